//! catalog (`CatalogTx`): items with their packs and costs, unique SKUs, versioned updates,
//! filtered keyset pages, the unit list for costing, and par levels per location.

use crate::*;

contract!(
    an_item_round_trips_with_its_packs_and_cost,
    skus_are_unique_per_tenant,
    update_item_bumps_the_version_and_refuses_a_stale_one,
    items_page_by_name_with_a_cursor,
    items_with_equal_names_page_by_id,
    items_filter_by_name_category_and_barcode,
    the_name_filter_matches_its_text_literally,
    all_item_units_lists_every_item_by_name,
    par_levels_show_in_the_stock_list_and_are_replaced,
    a_retired_item_leaves_the_list_and_stays_readable,
    an_items_par_levels_list_per_location,
);

async fn a_retired_item_leaves_the_list_and_stays_readable(store: S) {
    let s = seed(&store, "retire-item").await;
    let ghee = item_row("Ghee", None);
    let g = ghee.clone();
    let id = s.item;
    let (first, again, missing, listed, with_retired, got, units) =
        write(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.insert_item(&g).await?;
                let first = tx.retire_item(id, at(3, 9)).await;
                // Retiring again keeps the first time.
                let again = tx.retire_item(id, at(4, 9)).await;
                let missing = tx.retire_item(ItemId::new(), at(3, 9)).await;
                let listed = tx
                    .list_items(&ItemFilter {
                        limit: 10,
                        ..Default::default()
                    })
                    .await?;
                let with_retired = tx
                    .list_items(&ItemFilter {
                        limit: 10,
                        include_retired: true,
                        ..Default::default()
                    })
                    .await?;
                Ok((
                    first,
                    again,
                    missing,
                    listed,
                    with_retired,
                    tx.get_item(id).await?,
                    tx.all_item_units().await?,
                ))
            })
        })
        .await;
    assert_eq!((first, again), (Ok(()), Ok(())));
    assert_eq!(missing, Err(StoreError::NotFound));
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![ghee.id]
    );
    // The catalog import and export see retired items too.
    assert_eq!(with_retired.len(), 2);
    assert!(with_retired.iter().any(|i| i.id == id));
    assert_eq!(got.and_then(|i| i.retired_at), Some(at(3, 9)));
    // Costing still sees it: recipes that use it keep their cost.
    assert_eq!(units.len(), 2);
}

async fn an_items_par_levels_list_per_location(store: S) {
    let s = seed(&store, "item-pars").await;
    let other = location_row("Peckham", LocationKind::Outlet);
    let (o, item, here) = (other.clone(), s.item, s.location);
    let (before, after) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&o).await?;
            let before = tx.item_par_levels(item).await?;
            for (location, par) in [(here, "5000"), (o.id, "2000")] {
                tx.upsert_par_level(&ParLevelRow {
                    item_id: item,
                    location_id: location,
                    par_level: Some(q(par)),
                    reorder_point: None,
                })
                .await?;
            }
            Ok((before, tx.item_par_levels(item).await?))
        })
    })
    .await;
    assert!(before.is_empty());
    let mut want = vec![(s.location, Some(q("5000"))), (other.id, Some(q("2000")))];
    want.sort_by_key(|(l, _)| *l);
    assert_eq!(
        after
            .iter()
            .map(|r| (r.location_id, r.par_level))
            .collect::<Vec<_>>(),
        want
    );
}

async fn an_item_round_trips_with_its_packs_and_cost(store: S) {
    let s = seed(&store, "item").await;
    let full = ItemRow {
        name: "Whole milk".into(),
        sku: Some("MILK-4L".into()),
        category: Some("dairy".into()),
        base_unit: BaseUnit::Ml,
        pack_sizes: vec![
            PackSize {
                name: "bottle".into(),
                quantity: q("4000"),
            },
            PackSize {
                name: "crate of 6".into(),
                quantity: q("24000.5"),
            },
        ],
        barcode: Some("5000000000011".into()),
        unit_cost: Some(Money::from_raw(312)),
        version: 1,
        created_at: plus_micros(at(1, 9), 123_456),
        updated_at: plus_micros(at(1, 10), 654_321),
        ..item_row("", None)
    };
    let bare = ItemRow {
        id: ItemId::new(),
        name: "Napkins".into(),
        sku: None,
        category: None,
        base_unit: BaseUnit::Ea,
        pack_sizes: Vec::new(),
        barcode: None,
        unit_cost: None,
        version: 7,
        created_at: at(1, 9),
        updated_at: at(1, 9),
        retired_at: None,
    };
    let (f, b, seeded) = (full.clone(), bare.clone(), s.item);
    let got = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&f).await?;
            tx.insert_item(&b).await?;
            Ok((
                tx.get_item(f.id).await?,
                tx.get_item(b.id).await?,
                tx.get_item(seeded).await?,
                tx.get_item(ItemId::new()).await?,
            ))
        })
    })
    .await;
    assert_eq!(got.0, Some(full));
    assert_eq!(got.1, Some(bare));
    assert_eq!(got.2, Some(s.item_row));
    assert_eq!(got.3, None);
}

async fn skus_are_unique_per_tenant(store: S) {
    let a = seed(&store, "sku-a").await;
    let b = seed(&store, "sku-b").await;
    let dup = item_row("Other rice", Some("RICE-1"));
    let err = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_item(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("items_sku")));

    // Items without a SKU do not clash; B has its own RICE-1 already (the seed's).
    let (n1, n2) = (item_row("Loose 1", None), item_row("Loose 2", None));
    let other = item_row("Flour", Some("FLOUR-1"));
    let o2 = other.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&n1).await?;
            tx.insert_item(&n2).await?;
            tx.insert_item(&o2).await
        })
    })
    .await;
    let skus = read(&store, b.tenant, |tx| {
        Box::pin(async move {
            tx.list_items(&ItemFilter {
                limit: 10,
                ..Default::default()
            })
            .await
        })
    })
    .await
    .into_iter()
    .map(|i| i.sku)
    .collect::<Vec<_>>();
    assert_eq!(skus, vec![Some("RICE-1".to_string())]);

    // An update onto a taken SKU is refused by name as well.
    let clash = ItemRow {
        sku: Some("RICE-1".into()),
        ..other
    };
    let err = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_item(&clash, 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("items_sku")));
}

async fn update_item_bumps_the_version_and_refuses_a_stale_one(store: S) {
    let s = seed(&store, "update").await;
    let changed = ItemRow {
        name: "Basmati rice, aged".into(),
        sku: Some("RICE-2".into()),
        category: Some("rice".into()),
        pack_sizes: vec![PackSize {
            name: "bag".into(),
            quantity: q("5000"),
        }],
        barcode: Some("5012345678900".into()),
        unit_cost: Some(Money::from_raw(1_350)),
        updated_at: at(5, 9),
        ..s.item_row.clone()
    };
    let c = changed.clone();
    let got = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.update_item(&c, 1).await?;
            tx.get_item(c.id).await
        })
    })
    .await;
    let v2 = ItemRow {
        version: 2,
        ..changed.clone()
    };
    assert_eq!(got, Some(v2.clone()));

    // A writer that read version 1 is refused, and the row keeps version 2's fields.
    let stale = ItemRow {
        name: "Lost update".into(),
        updated_at: at(6, 9),
        ..changed.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_item(&stale, 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("items_version")));
    let ahead = ItemRow {
        name: "From the future".into(),
        ..changed.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_item(&ahead, 3).await })
    })
    .await;
    assert_eq!(err, Err(conflict("items_version")));
    let id = s.item;
    let kept = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_item(id).await })
    })
    .await;
    assert_eq!(kept, Some(v2));

    // The current version updates again, to 3; clearing optional fields clears them.
    let cleared = ItemRow {
        sku: None,
        category: None,
        pack_sizes: Vec::new(),
        barcode: None,
        unit_cost: None,
        updated_at: at(7, 9),
        ..changed.clone()
    };
    let c = cleared.clone();
    let got = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.update_item(&c, 2).await?;
            tx.get_item(c.id).await
        })
    })
    .await;
    assert_eq!(
        got,
        Some(ItemRow {
            version: 3,
            ..cleared
        })
    );

    let ghost = item_row("Ghost", None);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_item(&ghost, 1).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
}

async fn items_page_by_name_with_a_cursor(store: S) {
    let s = seed(&store, "paging").await;
    let names = ["Cumin", "Apple", "Zucchini", "Butter", "apple"];
    let rows: Vec<ItemRow> = names.iter().map(|n| item_row(n, None)).collect();
    let pages = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            for r in &rows {
                tx.insert_item(r).await?;
            }
            let mut pages = Vec::new();
            let mut after = None;
            loop {
                // A cursor that does not advance would page forever.
                assert!(pages.len() < 10, "the cursor does not advance: {pages:?}");
                let page = tx
                    .list_items(&ItemFilter {
                        after: after.clone(),
                        limit: 2,
                        ..Default::default()
                    })
                    .await?;
                if page.is_empty() {
                    break;
                }
                after = page.last().map(|i| (i.name.clone(), i.id));
                pages.push(page.into_iter().map(|i| i.name).collect::<Vec<_>>());
            }
            let found = tx
                .list_items(&ItemFilter {
                    name_contains: Some("APP".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            pages.push(found.into_iter().map(|i| i.name).collect());
            Ok(pages)
        })
    })
    .await;
    // Bytewise name order on both backends; the seed's "Basmati rice" is among them.
    assert_eq!(
        pages,
        vec![
            vec!["Apple".to_string(), "Basmati rice".into()],
            vec!["Butter".into(), "Cumin".into()],
            vec!["Zucchini".into(), "apple".into()],
            vec!["Apple".into(), "apple".into()],
        ]
    );
}

async fn items_with_equal_names_page_by_id(store: S) {
    let s = seed(&store, "same-name").await;
    let rows: Vec<ItemRow> = (0..3).map(|_| item_row("Butter", None)).collect();
    let mut butter: Vec<ItemId> = rows.iter().map(|r| r.id).collect();
    butter.sort();
    let pages = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            // Inserted in reverse id order: the order listed is the key's, not insertion's.
            for r in rows.iter().rev() {
                tx.insert_item(r).await?;
            }
            let mut pages = Vec::new();
            let mut after = None;
            loop {
                // A cursor that does not advance would page forever.
                assert!(pages.len() < 10, "the cursor does not advance: {pages:?}");
                let page = tx
                    .list_items(&ItemFilter {
                        after: after.clone(),
                        limit: 2,
                        ..Default::default()
                    })
                    .await?;
                if page.is_empty() {
                    break;
                }
                after = page.last().map(|i| (i.name.clone(), i.id));
                pages.push(page.into_iter().map(|i| i.id).collect::<Vec<_>>());
            }
            Ok(pages)
        })
    })
    .await;
    assert_eq!(
        pages,
        vec![vec![s.item, butter[0]], vec![butter[1], butter[2]]]
    );
}

async fn items_filter_by_name_category_and_barcode(store: S) {
    let s = seed(&store, "filters").await;
    let mk = |name: &str, category: &str, barcode: Option<&str>| ItemRow {
        category: Some(category.into()),
        barcode: barcode.map(Into::into),
        ..item_row(name, None)
    };
    let rows = vec![
        mk("Whole milk", "dairy", Some("5000000000011")),
        mk("Milk chocolate", "confectionery", None),
        mk("Buttermilk", "dairy", None),
        mk("Oat MILK", "dairy", Some("5000000000028")),
    ];
    let ids: Vec<ItemId> = rows.iter().map(|r| r.id).collect();
    let chocolate = (rows[1].name.clone(), rows[1].id);
    let lists = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            for r in &rows {
                tx.insert_item(r).await?;
            }
            let f =
                |name: Option<&str>, category: Option<&str>, barcode: Option<&str>| ItemFilter {
                    name_contains: name.map(Into::into),
                    category: category.map(Into::into),
                    barcode: barcode.map(Into::into),
                    after: None,
                    limit: 10,
                    include_retired: false,
                };
            let filters = vec![
                f(Some("milk"), None, None),
                f(Some("MILK"), Some("dairy"), None),
                ItemFilter {
                    limit: 2,
                    ..f(None, Some("dairy"), None)
                },
                f(None, Some("Dairy"), None),
                f(None, None, Some("5000000000028")),
                f(Some("whole"), None, Some("5000000000028")),
                ItemFilter {
                    after: Some(chocolate),
                    ..f(Some("milk"), None, None)
                },
            ];
            let mut out = Vec::new();
            for filter in &filters {
                out.push(
                    tx.list_items(filter)
                        .await?
                        .into_iter()
                        .map(|i| i.id)
                        .collect::<Vec<_>>(),
                );
            }
            Ok(out)
        })
    })
    .await;
    let (whole, chocolate, buttermilk, oat) = (ids[0], ids[1], ids[2], ids[3]);
    assert_eq!(
        lists,
        vec![
            vec![buttermilk, chocolate, oat, whole],
            vec![buttermilk, oat, whole],
            vec![buttermilk, oat],
            vec![],
            vec![oat],
            vec![],
            vec![oat, whole],
        ]
    );
}

async fn the_name_filter_matches_its_text_literally(store: S) {
    // The filter's own `%` and `_` match themselves, and folding is ASCII on both backends
    // (both databases' `lower()` fold ASCII only), so "Éclair" finds "Éclair".
    let s = seed(&store, "literal").await;
    let rows: Vec<ItemRow> = [
        "100% rye flour",
        "10 eggs",
        "a_b",
        "axb",
        "Éclair",
        "Yes! oats",
        "a\\b",
    ]
    .iter()
    .map(|n| item_row(n, None))
    .collect();
    let found = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            for r in &rows {
                tx.insert_item(r).await?;
            }
            let mut out = Vec::new();
            for text in ["0%", "a_b", "Éclair", "%", "s! o", "!", "a\\b"] {
                let names = tx
                    .list_items(&ItemFilter {
                        name_contains: Some(text.into()),
                        limit: 10,
                        ..Default::default()
                    })
                    .await?
                    .into_iter()
                    .map(|i| i.name)
                    .collect::<Vec<_>>();
                out.push((text, names));
            }
            Ok(out)
        })
    })
    .await;
    assert_eq!(
        found,
        vec![
            ("0%", vec!["100% rye flour".to_string()]),
            ("a_b", vec!["a_b".into()]),
            ("Éclair", vec!["Éclair".into()]),
            ("%", vec!["100% rye flour".into()]),
            ("s! o", vec!["Yes! oats".into()]),
            ("!", vec!["Yes! oats".into()]),
            ("a\\b", vec!["a\\b".into()]),
        ]
    );
}

async fn all_item_units_lists_every_item_by_name(store: S) {
    let s = seed(&store, "units").await;
    let zucchini = ItemRow {
        base_unit: BaseUnit::Ea,
        unit_cost: Some(Money::from_raw(450_000)),
        ..item_row("Zucchini", None)
    };
    let apple_juice = ItemRow {
        base_unit: BaseUnit::Ml,
        unit_cost: None,
        ..item_row("Apple juice", None)
    };
    let (z, a) = (zucchini.clone(), apple_juice.clone());
    let units = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&z).await?;
            tx.insert_item(&a).await?;
            tx.all_item_units().await
        })
    })
    .await;
    let unit = |i: &ItemRow| ItemUnitRow {
        id: i.id,
        name: i.name.clone(),
        base_unit: i.base_unit,
        unit_cost: i.unit_cost,
    };
    assert_eq!(
        units,
        vec![unit(&apple_juice), unit(&s.item_row), unit(&zucchini)]
    );
    let other = seed(&store, "units-other").await;
    let theirs = read(&store, other.tenant, |tx| {
        Box::pin(async move { tx.all_item_units().await })
    })
    .await;
    assert_eq!(theirs, vec![unit(&other.item_row)]);
}

async fn par_levels_show_in_the_stock_list_and_are_replaced(store: S) {
    let s = seed(&store, "par").await;
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let pk = peckham.id;
    let (item, brixton) = (s.item, s.location);
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&peckham).await?;
            tx.upsert_par_level(&ParLevelRow {
                item_id: item,
                location_id: brixton,
                par_level: Some(q("20")),
                reorder_point: Some(q("5.5")),
            })
            .await
        })
    })
    .await;
    let tenant = s.tenant;
    let stock = |store: S| async move {
        read(&store, tenant, |tx| {
            Box::pin(async move {
                tx.list_stock(&StockFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await
            })
        })
        .await
        .into_iter()
        .map(|r| (r.location_id, r.par_level, r.reorder_point))
        .collect::<Vec<_>>()
    };
    // A par level alone makes no stock row; the first movement does.
    assert!(stock(store.clone()).await.is_empty());
    post(
        &store,
        s.tenant,
        vec![
            mv(item, brixton, MovementKind::Receipt, "3", at(2, 9)),
            mv(item, pk, MovementKind::Receipt, "1", at(2, 9)),
        ],
    )
    .await;
    let mut expected = vec![(brixton, Some(q("20")), Some(q("5.5"))), (pk, None, None)];
    expected.sort_by_key(|e| e.0);
    assert_eq!(stock(store.clone()).await, expected);

    // Upserting again replaces both values, a `None` included.
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.upsert_par_level(&ParLevelRow {
                item_id: item,
                location_id: brixton,
                par_level: None,
                reorder_point: Some(q("8")),
            })
            .await?;
            tx.upsert_par_level(&ParLevelRow {
                item_id: item,
                location_id: pk,
                par_level: Some(q("2.25")),
                reorder_point: None,
            })
            .await
        })
    })
    .await;
    let mut expected = vec![(brixton, None, Some(q("8"))), (pk, Some(q("2.25")), None)];
    expected.sort_by_key(|e| e.0);
    assert_eq!(stock(store.clone()).await, expected);

    // A par level needs its item and location.
    for (item_id, location_id) in [(ItemId::new(), brixton), (item, LocationId::new())] {
        let err = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.upsert_par_level(&ParLevelRow {
                    item_id,
                    location_id,
                    par_level: Some(q("1")),
                    reorder_point: None,
                })
                .await
            })
        })
        .await;
        assert_eq!(err, Err(conflict("foreign_key")));
    }
}
