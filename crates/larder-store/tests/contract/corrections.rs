//! corrections (`CorrectionsTx`): recipe and menu item versions are snapshots of what was
//! stored, each version once; the sales a menu item sold in from an instant; late mappings of
//! sale lines, once per line; a sale's live sale movements leave out reversals and what they
//! reversed.

use crate::*;

contract!(
    versions_are_snapshots_of_what_was_stored_once_each,
    sales_with_a_menu_item_from_an_instant_earliest_first,
    unmapped_lines_are_mapped_once_and_counted_by_sale,
    live_sale_movements_leave_out_reversals_and_what_they_reversed,
);

fn recipe(name: &str, item: ItemId, grams: &str) -> RecipeRow {
    RecipeRow {
        id: RecipeId::new(),
        name: name.into(),
        yield_quantity: q("1"),
        yield_unit: BaseUnit::Ea,
        notes: None,
        lines: vec![RecipeLineRow {
            position: 1,
            component: Component::Item(item),
            quantity: q(grams),
            unit: Unit::G,
        }],
        version: 1,
        created_at: at(1, 1),
        retired_at: None,
    }
}

fn menu_item(name: &str, recipe_id: Option<RecipeId>) -> MenuItemRow {
    MenuItemRow {
        id: MenuItemId::new(),
        name: name.into(),
        category: None,
        recipe_id,
        portion: q("1"),
        price: Some(money("9.50")),
        version: 1,
        created_at: at(1, 2),
        retired_at: None,
    }
}

async fn versions_are_snapshots_of_what_was_stored_once_each(store: S) {
    let s = seed(&store, "versions").await;
    let other = seed(&store, "versions-other").await;
    let r = recipe("Pilau", s.item, "300");
    let m = menu_item("Pilau rice", Some(r.id));
    let (rr, mm, item) = (r.clone(), m.clone(), s.item);
    let (recipes, one, menus) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_recipe(&rr).await?;
            tx.record_recipe_version(rr.id, None, at(1, 1)).await?;
            tx.insert_menu_item(&mm).await?;
            tx.record_menu_item_version(mm.id, None, at(1, 2)).await?;
            let edited = RecipeRow {
                yield_quantity: q("2"),
                lines: vec![
                    RecipeLineRow {
                        position: 1,
                        component: Component::Item(item),
                        quantity: q("0.5"),
                        unit: Unit::Kg,
                    },
                    RecipeLineRow {
                        position: 2,
                        component: Component::Item(item),
                        quantity: q("20"),
                        unit: Unit::G,
                    },
                ],
                ..rr.clone()
            };
            tx.update_recipe(&edited, 1).await?;
            tx.record_recipe_version(rr.id, Some(at(5, 12)), at(6, 9))
                .await?;
            let priced = MenuItemRow {
                price: Some(money("10.25")),
                portion: q("1.5"),
                ..mm.clone()
            };
            tx.update_menu_item(&priced, 1).await?;
            tx.record_menu_item_version(mm.id, Some(at(5, 12)), at(6, 9))
                .await?;
            Ok((
                tx.recipe_versions(None).await?,
                tx.recipe_versions(Some(rr.id)).await?,
                tx.menu_item_versions(Some(mm.id)).await?,
            ))
        })
    })
    .await;
    // A version is recorded once; a recipe that is not there has none (each refusal in its
    // own transaction: PostgreSQL ends a transaction at its first error).
    let rid = r.id;
    let again = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.record_recipe_version(rid, None, at(7, 1)).await })
    })
    .await;
    let mid = m.id;
    let again_menu = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.record_menu_item_version(mid, None, at(7, 1)).await })
    })
    .await;
    let missing = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.record_recipe_version(RecipeId::new(), None, at(7, 1))
                .await
        })
    })
    .await;
    assert_eq!(recipes, one);
    assert_eq!(one.len(), 2);
    assert_eq!(
        (one[0].version, one[0].effective_from, one[0].recorded_at),
        (1, None, at(1, 1))
    );
    assert_eq!(one[0].yield_quantity, q("1"));
    assert_eq!(one[0].lines, r.lines);
    assert_eq!(
        (one[1].version, one[1].effective_from, one[1].recorded_at),
        (2, Some(at(5, 12)), at(6, 9))
    );
    assert_eq!(one[1].yield_quantity, q("2"));
    assert_eq!(
        one[1]
            .lines
            .iter()
            .map(|l| (l.position, l.quantity, l.unit))
            .collect::<Vec<_>>(),
        vec![(1, q("0.5"), Unit::Kg), (2, q("20"), Unit::G)]
    );
    assert_eq!(menus.len(), 2);
    assert_eq!(
        (menus[0].version, menus[0].price, menus[0].portion),
        (1, Some(money("9.50")), q("1"))
    );
    assert_eq!(
        (
            menus[1].version,
            menus[1].effective_from,
            menus[1].price,
            menus[1].portion,
            menus[1].recipe_id
        ),
        (
            2,
            Some(at(5, 12)),
            Some(money("10.25")),
            q("1.5"),
            Some(r.id)
        )
    );
    assert_eq!(again, Err(conflict("recipe_versions_version")));
    assert_eq!(again_menu, Err(conflict("menu_item_versions_version")));
    assert_eq!(missing, Err(StoreError::NotFound));
    // Another tenant sees none of them.
    let (theirs, theirs_menu) = read(&store, other.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.recipe_versions(Some(r.id)).await?,
                tx.menu_item_versions(None).await?,
            ))
        })
    })
    .await;
    assert!(theirs.is_empty() && theirs_menu.is_empty());
}

async fn sales_with_a_menu_item_from_an_instant_earliest_first(store: S) {
    let s = seed(&store, "sales-since").await;
    let m = menu_item("Naan", None);
    let other_m = menu_item("Roti", None);
    let line = |menu: &MenuItemRow, n: i32| SaleLineRow {
        menu_item_id: Some(menu.id),
        ..sale_line(n, &menu.name, "1", "2.50")
    };
    let early = sale(s.location, None, at(3, 12), vec![line(&m, 1)]);
    let late = sale(
        s.location,
        None,
        at(9, 12),
        vec![line(&other_m, 1), line(&m, 2)],
    );
    let middle = sale(s.location, None, at(5, 12), vec![line(&m, 1), line(&m, 2)]);
    let roti_only = sale(s.location, None, at(6, 12), vec![line(&other_m, 1)]);
    let (mid_id, late_id) = (middle.id, late.id);
    let (mm, om) = (m.clone(), other_m.clone());
    let (from_4, capped, none) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_menu_item(&mm).await?;
            tx.insert_menu_item(&om).await?;
            tx.insert_sales(&[early, late, middle, roti_only]).await?;
            Ok((
                tx.sales_with_menu_item(mm.id, at(4, 0), 10).await?,
                tx.sales_with_menu_item(mm.id, at(4, 0), 1).await?,
                tx.sales_with_menu_item(mm.id, at(10, 0), 10).await?,
            ))
        })
    })
    .await;
    assert_eq!(from_4, vec![mid_id, late_id]);
    assert_eq!(capped, vec![mid_id]);
    assert!(none.is_empty());
}

async fn unmapped_lines_are_mapped_once_and_counted_by_sale(store: S) {
    let s = seed(&store, "late-mapping").await;
    let other = seed(&store, "late-mapping-other").await;
    let m = menu_item("Garlic naan", None);
    let second = menu_item("Plain naan", None);
    let a = sale(
        s.location,
        None,
        at(3, 12),
        vec![
            sale_line(1, "garlic nan", "2", "3"),
            sale_line(2, "Dal", "1", "5"),
            sale_line(3, "garlic nan", "1", "3"),
        ],
    );
    let b = sale(
        s.location,
        None,
        at(4, 12),
        vec![sale_line(1, "garlic nan", "1", "3")],
    );
    let theirs = sale(
        other.location,
        None,
        at(4, 12),
        vec![sale_line(1, "garlic nan", "1", "3")],
    );
    let (a_id, b_id) = (a.id, b.id);
    let (mm, sm) = (m.clone(), second.clone());
    let (first, again, remapped, got_a, unmapped) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_menu_item(&mm).await?;
            tx.insert_menu_item(&sm).await?;
            tx.insert_sales(&[a, b]).await?;
            let first = tx
                .map_unmapped_lines("garlic nan", mm.id, "garlic nan", at(5, 1))
                .await?;
            let again = tx
                .map_unmapped_lines("garlic nan", mm.id, "garlic nan", at(5, 2))
                .await?;
            let remapped = tx
                .map_unmapped_lines("garlic nan", sm.id, "garlic nan", at(5, 3))
                .await?;
            Ok((
                first,
                again,
                remapped,
                tx.get_sale(a_id).await?,
                tx.unmapped_sales(LocationScope::All).await?,
            ))
        })
    })
    .await;
    let mut want = vec![(a_id, 2), (b_id, 1)];
    want.sort();
    assert_eq!(first, want);
    assert!(again.is_empty() && remapped.is_empty());
    let got_a = got_a.unwrap_or_else(|| panic!("sale a"));
    assert_eq!(
        got_a
            .lines
            .iter()
            .map(|l| l.menu_item_id)
            .collect::<Vec<_>>(),
        vec![Some(m.id), None, Some(m.id)]
    );
    assert_eq!(
        unmapped
            .iter()
            .map(|u| u.item_name.as_str())
            .collect::<Vec<_>>(),
        vec!["Dal"]
    );
    // Another tenant's lines under the same name are untouched.
    let other_store = store.clone();
    let theirs_mapped = write(&other_store, other.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(&[theirs]).await?;
            tx.unmapped_sales(LocationScope::All).await
        })
    })
    .await;
    assert_eq!(theirs_mapped.len(), 1);
    assert_eq!(theirs_mapped[0].lines, 1);
}

async fn live_sale_movements_leave_out_reversals_and_what_they_reversed(store: S) {
    let s = seed(&store, "live").await;
    let naan = sale(
        s.location,
        None,
        at(3, 12),
        vec![sale_line(1, "Naan", "1", "3")],
    );
    let sid = naan.id;
    let with_sale = |qty: &str| MovementRow {
        sale_id: Some(sid),
        ..mv(s.item, s.location, MovementKind::Sale, qty, at(3, 12))
    };
    let opening = mv(s.item, s.location, MovementKind::Opening, "1000", at(1, 12));
    let first = with_sale("-120");
    let second = with_sale("-30");
    let reversal = MovementRow {
        reverses: Some(first.id),
        ..with_sale("120")
    };
    let reposted = with_sale("-150");
    let (f, sec, rp) = (first.id, second.id, reposted.id);
    let (again, first_id) = (first.clone(), first.id);
    let live = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(&[naan]).await?;
            tx.append_movements(&[opening, first, second]).await?;
            tx.append_movements(&[reversal, reposted]).await?;
            tx.live_sale_movements(sid).await
        })
    })
    .await;
    // A movement is reversed once.
    let twice = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.append_movements(&[MovementRow {
                id: MovementId::new(),
                reverses: Some(first_id),
                quantity: q("120"),
                ..again
            }])
            .await
        })
    })
    .await;
    let ids: Vec<MovementId> = live.iter().map(|m| m.id).collect();
    let mut want = vec![sec, rp];
    want.sort();
    assert_eq!(ids, want);
    assert!(!ids.contains(&f));
    assert_eq!(twice, Err(conflict("stock_movements_reverses")));
}
