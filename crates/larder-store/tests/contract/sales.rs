//! sales (`SalesTx`): tickets with their lines, listed newest first with a cursor, external
//! refs unique per source, refs already stored, names sold that map to no menu item.

use crate::*;

contract!(
    sales_round_trip_and_unmapped_names_are_reported,
    sales_list_newest_first_with_their_own_lines_and_a_cursor,
    sales_filter_by_time,
    existing_refs_are_per_source,
    an_external_ref_is_unique_per_source,
    sales_must_name_existing_locations_and_menu_items,
    unmapped_names_rank_by_lines_then_name,
    import_mappings_and_aliases_are_replaced_and_kept_per_tenant,
);

async fn import_mappings_and_aliases_are_replaced_and_kept_per_tenant(store: S) {
    let s = seed(&store, "aliases").await;
    let other = seed(&store, "aliases-other").await;
    let item = MenuItemRow {
        id: MenuItemId::new(),
        name: "The Hawaiian Pizza (M)".into(),
        category: None,
        recipe_id: None,
        portion: q("1"),
        price: Some(money("16.50")),
        created_at: at(1, 2),
        version: 1,
        retired_at: None,
    };
    let second = MenuItemRow {
        id: MenuItemId::new(),
        name: "The Hawaiian Pizza (L)".into(),
        ..item.clone()
    };
    let alias = SaleAliasRow {
        name_key: "hawaiian_m".into(),
        item_name: "hawaiian_m".into(),
        menu_item_id: item.id,
        created_at: at(2, 3),
    };
    let remapped = SaleAliasRow {
        item_name: "Hawaiian_M".into(),
        menu_item_id: second.id,
        created_at: at(3, 4),
        ..alias.clone()
    };
    let (a, r) = (alias.clone(), remapped.clone());
    let (before, first, after, mapping) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_menu_item(&item).await?;
            tx.insert_menu_item(&second).await?;
            let before = tx.get_import_mapping().await?;
            tx.put_import_mapping(r#"{"preset":"generic"}"#, at(1, 1))
                .await?;
            tx.put_import_mapping(r#"{"preset":"takeaway"}"#, at(1, 2))
                .await?;
            tx.put_sale_alias(&a).await?;
            let first = tx.list_sale_aliases().await?;
            tx.put_sale_alias(&r).await?;
            let after = tx.list_sale_aliases().await?;
            Ok((before, first, after, tx.get_import_mapping().await?))
        })
    })
    .await;
    assert_eq!(before, None);
    assert_eq!(first, vec![alias]);
    assert_eq!(after, vec![remapped]);
    assert_eq!(mapping.as_deref(), Some(r#"{"preset":"takeaway"}"#));
    let (theirs, their_mapping) = read(&store, other.tenant, |tx| {
        Box::pin(async move {
            Ok((
                tx.list_sale_aliases().await?,
                tx.get_import_mapping().await?,
            ))
        })
    })
    .await;
    assert!(theirs.is_empty(), "{theirs:?}");
    assert_eq!(their_mapping, None);
}

async fn sales_round_trip_and_unmapped_names_are_reported(store: S) {
    let s = seed(&store, "sales").await;
    let ticket = SaleRow {
        recorded_at: at(4, 9),
        ..sale(
            s.location,
            Some("16118"),
            at(3, 20),
            vec![
                sale_line(1, "Plain Papadum", "2", "0.80"),
                sale_line(2, "Plain Papadum", "1", "0.80"),
            ],
        )
    };
    let dup = SaleRow {
        id: SaleId::new(),
        ..ticket.clone()
    };
    let s2 = ticket.clone();
    let (got, missing, existing, unmapped, top) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(std::slice::from_ref(&s2)).await?;
            let got = tx.get_sale(s2.id).await?;
            let missing = tx.get_sale(SaleId::new()).await?;
            let existing = tx
                .existing_sale_refs("csv", &["16118".into(), "1".into()])
                .await?;
            let unmapped = tx.unmapped_sales(LocationScope::All).await?;
            let top = tx
                .top_menu_items(LocationScope::All, at(1, 0), at(30, 0), 5)
                .await?;
            Ok((got, missing, existing, unmapped, top))
        })
    })
    .await;
    assert_eq!(got, Some(ticket));
    assert_eq!(missing, None);
    assert_eq!(existing, vec!["16118".to_string()]);
    assert_eq!(
        unmapped,
        vec![UnmappedRow {
            item_name: "Plain Papadum".into(),
            lines: 2,
            quantity: q("3")
        }]
    );
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].quantity, q("3"));
    // 3 x 0.80 = 2.40, in billionths
    assert_eq!(top[0].revenue_billionths, 2_400_000_000);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_sales(&[dup]).await })
    })
    .await;
    assert_eq!(err, Err(conflict("sales_external_ref")));
}

/// Four sales at Brixton: `[0]` on the 2nd with one line, `[1]` and `[2]` at the same instant on
/// the 3rd (two lines, none), `[3]` on the 4th with three lines.
fn four_sales(location: LocationId) -> Vec<SaleRow> {
    vec![
        sale(
            location,
            Some("1"),
            at(2, 10),
            vec![sale_line(1, "Dal", "1", "4.00")],
        ),
        sale(
            location,
            Some("2"),
            at(3, 10),
            vec![
                sale_line(1, "Naan", "2", "2.75"),
                sale_line(2, "Lassi", "1", "3.50"),
            ],
        ),
        sale(location, None, at(3, 10), Vec::new()),
        sale(
            location,
            Some("4"),
            plus_micros(at(4, 10), 5),
            vec![
                sale_line(1, "Biryani", "1", "14.00"),
                sale_line(2, "Raita", "0.5", "2.00"),
                sale_line(3, "Naan", "3", "2.75"),
            ],
        ),
    ]
}

/// `sales` ordered newest first: by occurred_at, then id, both descending.
fn newest_first(mut sales: Vec<SaleRow>) -> Vec<SaleRow> {
    sales.sort_by_key(|s| std::cmp::Reverse((s.occurred_at, s.id)));
    sales
}

async fn sales_list_newest_first_with_their_own_lines_and_a_cursor(store: S) {
    let s = seed(&store, "list-sales").await;
    let sales = four_sales(s.location);
    let expected = newest_first(sales.clone());
    // One call, oldest last: the list's order is the key's.
    let mut shuffled = sales.clone();
    shuffled.swap(0, 3);
    shuffled.swap(1, 2);
    let (pages, first_two) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(&shuffled).await?;
            let mut pages = Vec::new();
            let mut before = None;
            loop {
                // A cursor that does not advance would page forever.
                assert!(pages.len() < 10, "the cursor does not advance: {pages:?}");
                let page = tx
                    .list_sales(&SaleFilter {
                        before,
                        limit: 2,
                        ..Default::default()
                    })
                    .await?;
                if page.is_empty() {
                    break;
                }
                before = page.last().map(|s| (s.occurred_at, s.id));
                pages.push(page);
            }
            let first_two = tx
                .list_sales(&SaleFilter {
                    limit: 2,
                    ..Default::default()
                })
                .await?;
            Ok((pages, first_two))
        })
    })
    .await;
    assert_eq!(first_two, expected[..2].to_vec());
    // Each sale carries exactly its own lines, in line order, on every page.
    assert_eq!(
        pages,
        vec![expected[..2].to_vec(), expected[2..].to_vec()],
        "pages of two by (occurred_at, id) descending"
    );
    let ids = [sales[0].id, sales[3].id];
    let got = read(&store, s.tenant, move |tx| {
        Box::pin(async move { Ok((tx.get_sale(ids[0]).await?, tx.get_sale(ids[1]).await?)) })
    })
    .await;
    assert_eq!(got, (Some(sales[0].clone()), Some(sales[3].clone())));
}

async fn sales_filter_by_time(store: S) {
    let s = seed(&store, "sales-time").await;
    let sales = four_sales(s.location);
    let all = newest_first(sales.clone());
    let tied = newest_first(vec![sales[1].clone(), sales[2].clone()]);
    let filters = vec![
        // from is inclusive, to exclusive.
        SaleFilter {
            from: Some(at(3, 10)),
            limit: 10,
            ..Default::default()
        },
        SaleFilter {
            to: Some(at(3, 10)),
            limit: 10,
            ..Default::default()
        },
        SaleFilter {
            from: Some(at(3, 10)),
            to: Some(plus_micros(at(4, 10), 5)),
            limit: 10,
            ..Default::default()
        },
        // The cursor splits the two sales of one instant by id.
        SaleFilter {
            from: Some(at(3, 0)),
            before: Some((tied[0].occurred_at, tied[0].id)),
            limit: 10,
            ..Default::default()
        },
    ];
    let lists = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(&sales).await?;
            let mut out = Vec::new();
            for f in &filters {
                out.push(tx.list_sales(f).await?);
            }
            Ok(out)
        })
    })
    .await;
    assert_eq!(
        lists,
        vec![
            all[..3].to_vec(),
            all[3..].to_vec(),
            tied.clone(),
            tied[1..].to_vec(),
        ]
    );
}

async fn existing_refs_are_per_source(store: S) {
    let s = seed(&store, "refs").await;
    let mut square = sale(s.location, Some("100"), at(2, 1), Vec::new());
    square.source = "square".into();
    let sales = vec![
        sale(s.location, Some("100"), at(2, 1), Vec::new()),
        sale(s.location, Some("101"), at(2, 2), Vec::new()),
        sale(s.location, None, at(2, 3), Vec::new()),
        square,
    ];
    let found = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(&sales).await?;
            let refs = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let mut out = Vec::new();
            for (source, asked) in [
                ("csv", refs(&["102", "101", "100"])),
                ("square", refs(&["100", "101"])),
                ("csv", refs(&[])),
                ("toast", refs(&["100"])),
                ("csv", refs(&["", "10"])),
            ] {
                let mut got = tx.existing_sale_refs(source, &asked).await?;
                got.sort();
                out.push(got);
            }
            Ok(out)
        })
    })
    .await;
    assert_eq!(
        found,
        vec![
            vec!["100".to_string(), "101".into()],
            vec!["100".into()],
            vec![],
            vec![],
            vec![],
        ]
    );
}

async fn an_external_ref_is_unique_per_source(store: S) {
    let s = seed(&store, "ref-unique").await;
    let first = sale(s.location, Some("7"), at(2, 1), Vec::new());
    let f = first.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_sales(&[f]).await })
    })
    .await;
    // In a later call, and twice within one call.
    let later = sale(s.location, Some("7"), at(2, 2), Vec::new());
    let twice = vec![
        sale(s.location, Some("8"), at(2, 2), Vec::new()),
        sale(s.location, Some("8"), at(2, 3), Vec::new()),
    ];
    for batch in [vec![later], twice] {
        let err = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.insert_sales(&batch).await })
        })
        .await;
        assert_eq!(err, Err(conflict("sales_external_ref")));
    }
    // Sales without a ref never clash, and another source may reuse the ref.
    let mut other_source = sale(s.location, Some("7"), at(2, 4), Vec::new());
    other_source.source = "api".into();
    let ok = vec![
        sale(s.location, None, at(2, 5), Vec::new()),
        sale(s.location, None, at(2, 5), Vec::new()),
        other_source,
    ];
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_sales(&ok).await })
    })
    .await;
    let listed = read(&store, s.tenant, |tx| {
        Box::pin(async move {
            tx.list_sales(&SaleFilter {
                limit: 10,
                ..Default::default()
            })
            .await
        })
    })
    .await;
    assert_eq!(listed.len(), 4);
    assert_eq!(listed.last(), Some(&first));
}

async fn sales_must_name_existing_locations_and_menu_items(store: S) {
    let s = seed(&store, "sales-fk").await;
    let mut ghost_line = sale_line(1, "Ghost", "1", "1.00");
    ghost_line.menu_item_id = Some(MenuItemId::new());
    let bad = vec![
        sale(LocationId::new(), Some("1"), at(2, 1), Vec::new()),
        sale(s.location, Some("2"), at(2, 1), vec![ghost_line]),
    ];
    for ticket in bad {
        let id = ticket.id;
        let err = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.insert_sales(&[ticket]).await })
        })
        .await;
        assert_eq!(err, Err(conflict("foreign_key")));
        let got = read(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.get_sale(id).await })
        })
        .await;
        assert_eq!(got, None, "a refused sale was kept");
    }
}

async fn unmapped_names_rank_by_lines_then_name(store: S) {
    let s = seed(&store, "unmapped").await;
    let naan = MenuItemRow {
        id: MenuItemId::new(),
        name: "Naan".into(),
        category: None,
        recipe_id: None,
        portion: q("1"),
        price: None,
        version: 1,
        created_at: at(1, 1),
        retired_at: None,
    };
    let mut mapped = sale_line(3, "Naan", "5", "2.75");
    mapped.menu_item_id = Some(naan.id);
    let sales = vec![
        sale(
            s.location,
            None,
            at(2, 1),
            vec![
                sale_line(1, "Lassi", "1", "3.50"),
                sale_line(2, "Chai", "2", "1.50"),
                mapped,
            ],
        ),
        sale(
            s.location,
            None,
            at(2, 2),
            vec![
                sale_line(1, "Chai", "0.5", "1.50"),
                sale_line(2, "Bhaji", "4", "1.00"),
                sale_line(3, "Lassi", "2", "3.50"),
            ],
        ),
        sale(
            s.location,
            None,
            at(2, 3),
            vec![
                sale_line(1, "Chai", "1", "1.50"),
                sale_line(2, "Dosa", "1", "6.00"),
                sale_line(3, "Dosa", "1", "6.00"),
            ],
        ),
    ];
    let unmapped = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_menu_item(&naan).await?;
            tx.insert_sales(&sales).await?;
            tx.unmapped_sales(LocationScope::All).await
        })
    })
    .await;
    let row = |name: &str, lines, qty: &str| UnmappedRow {
        item_name: name.into(),
        lines,
        quantity: q(qty),
    };
    // Most lines first; equal counts by name. The mapped Naan is not among them.
    assert_eq!(
        unmapped,
        vec![
            row("Chai", 3, "3.5"),
            row("Dosa", 2, "2"),
            row("Lassi", 2, "3"),
            row("Bhaji", 1, "4")
        ]
    );
}
