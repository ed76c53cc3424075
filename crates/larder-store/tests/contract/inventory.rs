//! inventory (`InventoryTx`): the append-only ledger and the stock levels it keeps by atomic
//! increments: sums per posting and across postings, negative stock kept, movements and stock
//! listed with filters and keyset cursors, what a posting is about to name, refused postings
//! that write nothing, and the ledger check. The backend-specific tests at the end tamper with
//! the tables directly: the ledger's triggers refuse it, and `ledger_mismatches` reports it.

use crate::*;

mod counts;

contract!(
    movements_move_on_hand_and_the_ledger_checks_out,
    one_posting_sums_several_movements_per_item_and_location,
    levels_add_up_across_postings_and_keep_the_latest_time,
    a_movement_round_trips_with_every_field,
    movements_filter_and_page_newest_first,
    stock_lists_filter_and_page_by_item_name_item_and_location,
    movement_target_reads_the_item_and_the_location,
    postings_naming_missing_rows_are_refused_and_write_nothing,
    on_hand_stays_within_the_range_of_a_quantity,
    an_empty_posting_writes_nothing,
    lots_are_consumed_fefo_and_the_ledger_values_stock,
    moving_average_takes_the_average_cost,
    concurrent_postings_take_each_lot_once,
    a_backdated_receipt_settles_the_shortfall_it_finds_and_values_from_its_own_date,
    every_kind_is_stored_and_a_movement_is_reversed_once,
);

/// The kinds transfers and production post are stored and read back (the widened CHECK on
/// both backends); a compensating movement names the one it reverses, and a second reversal
/// of the same movement is refused by `stock_movements_reverses`, writing nothing.
async fn every_kind_is_stored_and_a_movement_is_reversed_once(store: S) {
    let s = seed(&store, "kinds").await;
    let posted: Vec<MovementRow> = [
        (MovementKind::TransferIn, "5"),
        (MovementKind::ProductionOutput, "3"),
        (MovementKind::TransferOut, "-1"),
        (MovementKind::ProductionUse, "-2"),
    ]
    .into_iter()
    .map(|(k, qty)| movement(&s, k, qty))
    .collect();
    let wrong = posted[2].clone();
    let reversal = MovementRow {
        reverses: Some(wrong.id),
        quantity: q("1"),
        ..movement(&s, MovementKind::TransferOut, "1")
    };
    let again = MovementRow {
        reverses: Some(wrong.id),
        quantity: q("1"),
        ..movement(&s, MovementKind::TransferOut, "1")
    };
    let (p, r) = (posted.clone(), reversal.clone());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.append_movements(&p).await?;
            tx.append_movements(&[r]).await.map(drop)
        })
    })
    .await;
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.append_movements(&[again]).await.map(drop) })
    })
    .await;
    assert_eq!(err, Err(conflict("stock_movements_reverses")));
    let all = all_movements(&store, s.tenant).await;
    assert_eq!(all.len(), 5);
    let kinds: Vec<MovementKind> = all.iter().map(|m| m.kind).collect();
    for k in [
        MovementKind::TransferIn,
        MovementKind::TransferOut,
        MovementKind::ProductionUse,
        MovementKind::ProductionOutput,
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let back = all.iter().find(|m| m.id == reversal.id).map(|m| m.reverses);
    assert_eq!(back, Some(Some(wrong.id)));
    let (item, location) = (s.item, s.location);
    let on_hand = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_stock_level(item, location).await })
    })
    .await;
    // 5 + 3 - 1 - 2, and the reversed transfer's 1 back.
    assert_eq!(on_hand, q("6"));
}

/// Ids sorted newest first, as the ledger lists them.
fn newest_first(mut ids: Vec<MovementId>) -> Vec<MovementId> {
    ids.sort_by_key(|id| std::cmp::Reverse(*id));
    ids
}

async fn movements_move_on_hand_and_the_ledger_checks_out(store: S) {
    let s = seed(&store, "ledger").await;
    let moves = vec![
        movement(&s, MovementKind::Opening, "10"),
        movement(&s, MovementKind::Sale, "-2.125"),
        movement(&s, MovementKind::Waste, "-0.5"),
        movement(&s, MovementKind::Sale, "-9"),
    ];
    let sales = newest_first(vec![moves[1].id, moves[3].id]);
    let (item, location) = (s.item, s.location);
    let (level, mismatches, listed) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.append_movements(&moves).await?;
            let level = tx.get_stock_level(item, location).await?;
            let mismatches = tx.ledger_mismatches().await?;
            let listed = tx
                .list_movements(&MovementFilter {
                    item_id: Some(item),
                    kind: Some(MovementKind::Sale),
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            Ok((level, mismatches, listed))
        })
    })
    .await;
    // 10 - 2.125 - 0.5 - 9 = -1.625: negative stock is kept, not clamped.
    assert_eq!(level, q("-1.625"));
    assert!(mismatches.is_empty(), "{mismatches:?}");
    assert_eq!(listed.iter().map(|m| m.id).collect::<Vec<_>>(), sales);
    // And once committed, from another transaction.
    let (level, mismatches) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_stock_level(item, location).await?,
                tx.ledger_mismatches().await?,
            ))
        })
    })
    .await;
    assert_eq!(level, q("-1.625"));
    assert!(mismatches.is_empty(), "{mismatches:?}");
}

async fn one_posting_sums_several_movements_per_item_and_location(store: S) {
    let s = seed(&store, "sums").await;
    let flour = item_row("Flour", None);
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let (rice, brixton, fl, pk) = (s.item, s.location, flour.id, peckham.id);
    let (f2, p2) = (flour.clone(), peckham.clone());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&f2).await?;
            tx.insert_location(&p2).await
        })
    })
    .await;
    let posting = vec![
        mv(rice, brixton, MovementKind::Receipt, "10", at(2, 9)),
        mv(fl, brixton, MovementKind::Waste, "-1", at(2, 8)),
        mv(rice, brixton, MovementKind::Sale, "-2.5", at(2, 12)),
        mv(rice, pk, MovementKind::Receipt, "3", at(2, 7)),
        mv(rice, brixton, MovementKind::Adjustment, "0.125", at(2, 10)),
    ];
    let (levels, stock, mismatches) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.append_movements(&posting).await?;
            let mut levels = Vec::new();
            for (i, l) in [(rice, brixton), (rice, pk), (fl, brixton), (fl, pk)] {
                levels.push(tx.get_stock_level(i, l).await?);
            }
            let stock = tx
                .list_stock(&StockFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            Ok((levels, stock, tx.ledger_mismatches().await?))
        })
    })
    .await;
    // 10 - 2.5 + 0.125; 3; -1 from nothing; never moved.
    assert_eq!(levels, vec![q("7.625"), q("3"), q("-1"), Quantity::ZERO]);
    assert!(mismatches.is_empty(), "{mismatches:?}");
    let row = |item: &ItemRow, location, on_hand: &str, updated_at| StockLevelRow {
        item_id: item.id,
        item_name: item.name.clone(),
        base_unit: item.base_unit,
        location_id: location,
        on_hand: q(on_hand),
        par_level: None,
        reorder_point: None,
        updated_at,
    };
    // Each level's time is the latest `recorded_at` among its movements (occurred + 1 h).
    let mut rice_rows = vec![
        row(&s.item_row, brixton, "7.625", at(2, 13)),
        row(&s.item_row, pk, "3", at(2, 8)),
    ];
    rice_rows.sort_by_key(|r| r.location_id);
    let mut expected = rice_rows;
    expected.push(row(&flour, brixton, "-1", at(2, 9)));
    assert_eq!(stock, expected);
    // Every movement is in the ledger, one row each.
    assert_eq!(all_movements(&store, s.tenant).await.len(), 5);
}

async fn levels_add_up_across_postings_and_keep_the_latest_time(store: S) {
    let s = seed(&store, "across").await;
    let (item, location, tenant) = (s.item, s.location, s.tenant);
    let stock = |store: S| async move {
        read(&store, tenant, move |tx| {
            Box::pin(async move {
                let rows = tx
                    .list_stock(&StockFilter {
                        item_id: Some(item),
                        limit: 10,
                        ..Default::default()
                    })
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| (r.on_hand, r.updated_at))
                    .collect::<Vec<_>>())
            })
        })
        .await
    };
    post(
        &store,
        s.tenant,
        vec![mv(item, location, MovementKind::Receipt, "5", at(3, 10))],
    )
    .await;
    assert_eq!(stock(store.clone()).await, vec![(q("5"), at(3, 11))]);
    // A late entry recorded before the level's time adds to it but does not move it back.
    let mut late = mv(item, location, MovementKind::Waste, "-1.5", at(2, 10));
    late.recorded_at = at(3, 9);
    post(&store, s.tenant, vec![late]).await;
    assert_eq!(stock(store.clone()).await, vec![(q("3.5"), at(3, 11))]);
    post(
        &store,
        s.tenant,
        vec![mv(item, location, MovementKind::Receipt, "1", at(4, 10))],
    )
    .await;
    assert_eq!(stock(store.clone()).await, vec![(q("4.5"), at(4, 11))]);
}

async fn a_movement_round_trips_with_every_field(store: S) {
    let s = seed(&store, "fields").await;
    let ticket = sale(s.location, Some("T-1"), at(2, 20), Vec::new());
    let full = MovementRow {
        id: MovementId::new(),
        item_id: s.item,
        location_id: s.location,
        kind: MovementKind::CountAdjustment,
        quantity: q("-0.001"),
        unit_cost: Some(Money::from_raw(1_234_567)),
        reason: Some("count on 2 March".into()),
        sale_id: Some(ticket.id),
        created_by: Some(UserId::new()),
        reverses: None,
        occurred_at: plus_micros(at(2, 20), 1),
        recorded_at: plus_micros(at(2, 21), 999_999),
        lot: None,
        // 0.001 short on an empty level, at the book cost 1.234567: 0.0012346 rounds to
        // 0.001235.
        costing: Costing {
            value: Money::from_raw(-1235),
            cost_variance: Money::ZERO,
            shortfall: q("0.001"),
            settled: Quantity::ZERO,
        },
    };
    let bare = mv(s.item, s.location, MovementKind::Opening, "0", at(1, 0));
    let (f, b) = (full.clone(), bare.clone());
    let got = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_sales(&[ticket]).await?;
            tx.append_movements(&[f.clone(), b.clone()]).await?;
            Ok((
                tx.get_movement(f.id).await?,
                tx.get_movement(b.id).await?,
                tx.get_movement(MovementId::new()).await?,
            ))
        })
    })
    .await;
    assert_eq!(got.0, Some(full.clone()));
    assert_eq!(got.1, Some(bare.clone()));
    assert_eq!(got.2, None);
    let mut expected = vec![full, bare];
    expected.sort_by_key(|m| std::cmp::Reverse(m.id));
    assert_eq!(all_movements(&store, s.tenant).await, expected);
}

async fn movements_filter_and_page_newest_first(store: S) {
    let s = seed(&store, "movements").await;
    let flour = item_row("Flour", None);
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let (rice, brixton, fl, pk) = (s.item, s.location, flour.id, peckham.id);
    let m = [
        mv(rice, brixton, MovementKind::Receipt, "10", at(1, 10)),
        mv(rice, brixton, MovementKind::Sale, "-1", at(2, 10)),
        mv(fl, brixton, MovementKind::Sale, "-2", at(2, 12)),
        mv(rice, pk, MovementKind::Waste, "-0.5", at(3, 10)),
        mv(rice, brixton, MovementKind::Sale, "-1", at(3, 10)),
        mv(fl, pk, MovementKind::Receipt, "4", at(4, 0)),
    ];
    let ids: Vec<MovementId> = m.iter().map(|x| x.id).collect();
    let pick = |which: &[usize]| newest_first(which.iter().map(|&i| ids[i]).collect());
    // Two postings, the second first: the list is by id, not by posting.
    let (first, second) = (m[..3].to_vec(), m[3..].to_vec());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&flour).await?;
            tx.insert_location(&peckham).await?;
            tx.append_movements(&second).await?;
            tx.append_movements(&first).await.map(drop)
        })
    })
    .await;
    let f = |limit| MovementFilter {
        limit,
        ..Default::default()
    };
    let filters = vec![
        f(100),
        MovementFilter {
            item_id: Some(rice),
            ..f(100)
        },
        MovementFilter {
            location_id: Some(pk),
            ..f(100)
        },
        MovementFilter {
            kind: Some(MovementKind::Sale),
            ..f(100)
        },
        MovementFilter {
            from: Some(at(2, 12)),
            ..f(100)
        },
        MovementFilter {
            to: Some(at(3, 10)),
            ..f(100)
        },
        MovementFilter {
            item_id: Some(rice),
            location_id: Some(brixton),
            kind: Some(MovementKind::Sale),
            from: Some(at(2, 10)),
            to: Some(at(3, 10)),
            ..f(100)
        },
        f(2),
        MovementFilter {
            before: Some(pick(&[0, 1, 2, 3, 4, 5])[1]),
            item_id: Some(rice),
            ..f(100)
        },
    ];
    let lists = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let mut out = Vec::new();
            for filter in &filters {
                out.push(
                    tx.list_movements(filter)
                        .await?
                        .into_iter()
                        .map(|m| m.id)
                        .collect::<Vec<_>>(),
                );
            }
            // Pages of two, by cursor, until an empty page.
            let mut pages = Vec::new();
            let mut before = None;
            loop {
                // A cursor that does not advance would page forever.
                assert!(pages.len() < 10, "the cursor does not advance: {pages:?}");
                let page = tx
                    .list_movements(&MovementFilter { before, ..f(2) })
                    .await?;
                if page.is_empty() {
                    break;
                }
                before = page.last().map(|m| m.id);
                pages.push(page.into_iter().map(|m| m.id).collect::<Vec<_>>());
            }
            Ok((out, pages))
        })
    })
    .await;
    let all = pick(&[0, 1, 2, 3, 4, 5]);
    let rice_older: Vec<MovementId> = pick(&[0, 1, 3, 4])
        .into_iter()
        .filter(|id| *id < all[1])
        .collect();
    assert_eq!(
        lists.0,
        vec![
            all.clone(),
            pick(&[0, 1, 3, 4]),
            pick(&[3, 5]),
            pick(&[1, 2, 4]),
            pick(&[2, 3, 4, 5]),
            pick(&[0, 1, 2]),
            pick(&[1]),
            all[..2].to_vec(),
            rice_older,
        ]
    );
    assert_eq!(
        lists.1,
        all.chunks(2).map(<[_]>::to_vec).collect::<Vec<_>>()
    );
}

async fn stock_lists_filter_and_page_by_item_name_item_and_location(store: S) {
    let s = seed(&store, "stock").await;
    let apples = [item_row("Apple", None), item_row("Apple", None)];
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let (rice, brixton, pk) = (s.item, s.location, peckham.id);
    let (a1, a2) = (apples[0].id, apples[1].id);
    let posting = vec![
        mv(rice, brixton, MovementKind::Receipt, "1", at(2, 1)),
        mv(a2, brixton, MovementKind::Receipt, "2", at(2, 1)),
        mv(rice, pk, MovementKind::Receipt, "3", at(2, 1)),
        mv(a1, pk, MovementKind::Receipt, "4", at(2, 1)),
        mv(a1, brixton, MovementKind::Receipt, "5", at(2, 1)),
    ];
    let ap = apples.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            for a in &ap {
                tx.insert_item(a).await?;
            }
            tx.insert_location(&peckham).await?;
            tx.append_movements(&posting).await.map(drop)
        })
    })
    .await;
    // (name, item, location, on hand), in the list's order: name, then item id, then location.
    let mut expected = [
        ("Apple", a1, brixton, q("5")),
        ("Apple", a1, pk, q("4")),
        ("Apple", a2, brixton, q("2")),
        ("Basmati rice", rice, brixton, q("1")),
        ("Basmati rice", rice, pk, q("3")),
    ];
    expected.sort_by_key(|e| (e.0, e.1, e.2));
    let key = |r: &StockLevelRow| (r.item_name.clone(), r.item_id, r.location_id, r.on_hand);
    let f = |limit| StockFilter {
        limit,
        ..Default::default()
    };
    let filters = vec![
        f(10),
        StockFilter {
            location_id: Some(brixton),
            ..f(10)
        },
        StockFilter {
            item_id: Some(a1),
            ..f(10)
        },
        StockFilter {
            item_id: Some(a1),
            location_id: Some(pk),
            ..f(10)
        },
        StockFilter {
            location_id: Some(pk),
            after: Some((expected[0].0.to_string(), expected[0].1, expected[0].2)),
            ..f(10)
        },
    ];
    let (lists, pages) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let mut lists = Vec::new();
            for filter in &filters {
                lists.push(tx.list_stock(filter).await?.iter().map(key).collect());
            }
            let mut pages = Vec::new();
            let mut after = None;
            loop {
                // A cursor that does not advance would page forever.
                assert!(pages.len() < 10, "the cursor does not advance: {pages:?}");
                let page = tx
                    .list_stock(&StockFilter {
                        after: after.clone(),
                        ..f(2)
                    })
                    .await?;
                if page.is_empty() {
                    break;
                }
                after = page
                    .last()
                    .map(|r| (r.item_name.clone(), r.item_id, r.location_id));
                pages.push(page.iter().map(key).collect::<Vec<_>>());
            }
            Ok::<(Vec<Vec<_>>, _), StoreError>((lists, pages))
        })
    })
    .await;
    let owned = |rows: Vec<&(&str, ItemId, LocationId, Quantity)>| {
        rows.into_iter()
            .map(|e| (e.0.to_string(), e.1, e.2, e.3))
            .collect::<Vec<_>>()
    };
    let first = expected[0];
    assert_eq!(
        lists,
        vec![
            owned(expected.iter().collect()),
            owned(expected.iter().filter(|e| e.2 == brixton).collect()),
            owned(expected.iter().filter(|e| e.1 == a1).collect()),
            owned(expected.iter().filter(|e| e.1 == a1 && e.2 == pk).collect()),
            owned(
                expected
                    .iter()
                    .filter(|e| e.2 == pk && (e.0, e.1, e.2) > (first.0, first.1, first.2))
                    .collect()
            ),
        ]
    );
    let all = owned(expected.iter().collect());
    assert_eq!(pages, all.chunks(2).map(<[_]>::to_vec).collect::<Vec<_>>());
}

async fn movement_target_reads_the_item_and_the_location(store: S) {
    let s = seed(&store, "target").await;
    let napkins = ItemRow {
        base_unit: BaseUnit::Ea,
        unit_cost: None,
        ..item_row("Napkins", None)
    };
    let other = seed(&store, "target-other").await;
    let (rice, brixton, nap) = (s.item, s.location, napkins.id);
    let (their_item, their_location) = (other.item, other.location);
    let got = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&napkins).await?;
            let mut out = Vec::new();
            for (i, l) in [
                (rice, brixton),
                (nap, brixton),
                (ItemId::new(), brixton),
                (rice, LocationId::new()),
                (ItemId::new(), LocationId::new()),
                (their_item, their_location),
            ] {
                out.push(tx.movement_target(i, l).await?);
            }
            Ok(out)
        })
    })
    .await;
    let target = |item, location_exists| MovementTarget {
        item,
        location_exists,
    };
    assert_eq!(
        got,
        vec![
            target(Some((BaseUnit::G, Some(Money::from_raw(1_200)))), true),
            target(Some((BaseUnit::Ea, None)), true),
            target(None, true),
            target(Some((BaseUnit::G, Some(Money::from_raw(1_200)))), false),
            target(None, false),
            target(None, false),
        ]
    );
}

async fn postings_naming_missing_rows_are_refused_and_write_nothing(store: S) {
    let s = seed(&store, "missing").await;
    let with_sale = MovementRow {
        sale_id: Some(SaleId::new()),
        ..movement(&s, MovementKind::Sale, "-1")
    };
    let postings = vec![
        vec![mv(
            ItemId::new(),
            s.location,
            MovementKind::Receipt,
            "1",
            at(2, 1),
        )],
        vec![mv(
            s.item,
            LocationId::new(),
            MovementKind::Receipt,
            "1",
            at(2, 1),
        )],
        vec![with_sale],
        // One bad movement refuses the whole posting, the good one with it.
        vec![
            movement(&s, MovementKind::Receipt, "2"),
            mv(
                ItemId::new(),
                s.location,
                MovementKind::Receipt,
                "1",
                at(2, 1),
            ),
        ],
    ];
    for posting in postings {
        let err = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.append_movements(&posting).await.map(drop) })
        })
        .await;
        assert_eq!(err, Err(conflict("foreign_key")));
    }
    assert!(all_movements(&store, s.tenant).await.is_empty());
    let (item, location) = (s.item, s.location);
    let (level, stock) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_stock_level(item, location).await?,
                tx.list_stock(&StockFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?,
            ))
        })
    })
    .await;
    assert_eq!(level, Quantity::ZERO);
    assert!(stock.is_empty(), "{stock:?}");
}

async fn on_hand_stays_within_the_range_of_a_quantity(store: S) {
    let s = seed(&store, "overflow").await;
    let big = |raw| MovementRow {
        quantity: Quantity::from_raw(raw),
        ..movement(&s, MovementKind::Adjustment, "0")
    };
    let posting = vec![big(i64::MAX), big(1)];
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.append_movements(&posting).await.map(drop) })
    })
    .await;
    assert_eq!(err, Err(StoreError::Other("on hand overflows".into())));
    assert!(all_movements(&store, s.tenant).await.is_empty());

    // Across postings the database refuses a level beyond Quantity's range (12 integer
    // digits), up or down, naming its check, instead of wrapping, rounding or overflowing.
    let range = || {
        Err(StoreError::OutOfRange {
            constraint: "stock_levels_on_hand_range".into(),
        })
    };
    post(&store, s.tenant, vec![big(Quantity::MAX_RAW)]).await;
    for posting in [vec![big(1)], vec![big(-1), big(2)]] {
        let err = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.append_movements(&posting).await.map(drop) })
        })
        .await;
        assert_eq!(err, range());
    }
    // (A single increment beyond the range is refused even where the level would end inside
    // it: both backends check the proposed row before they merge it into the existing one.)
    post(&store, s.tenant, vec![big(-Quantity::MAX_RAW)]).await;
    post(&store, s.tenant, vec![big(-Quantity::MAX_RAW)]).await;
    let posting = vec![big(-1)];
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.append_movements(&posting).await.map(drop) })
    })
    .await;
    assert_eq!(err, range());
    let (item, location) = (s.item, s.location);
    let level = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_stock_level(item, location).await })
    })
    .await;
    assert_eq!(level, Quantity::from_raw(-Quantity::MAX_RAW));
    assert_eq!(all_movements(&store, s.tenant).await.len(), 3);
}

async fn an_empty_posting_writes_nothing(store: S) {
    let s = seed(&store, "empty").await;
    let stock = write(&store, s.tenant, |tx| {
        Box::pin(async move {
            tx.append_movements(&[]).await?;
            tx.list_stock(&StockFilter {
                limit: 10,
                ..Default::default()
            })
            .await
        })
    })
    .await;
    assert!(stock.is_empty(), "{stock:?}");
    assert!(all_movements(&store, s.tenant).await.is_empty());
}

/// Two tenants with postings: in A, rice (+4) and flour (+2.5) at Brixton, and an item without
/// movements; in B, its rice (+1).
struct Tampered {
    a: Seed,
    b: Seed,
    flour: ItemId,
    unmoved: ItemId,
}

async fn before_tampering(store: &S) -> Tampered {
    let a = seed(store, "tamper-a").await;
    let b = seed(store, "tamper-b").await;
    let (flour, unmoved) = (item_row("Flour", None), item_row("Salt", None));
    let t = Tampered {
        a: a.clone(),
        b: b.clone(),
        flour: flour.id,
        unmoved: unmoved.id,
    };
    let posting = vec![
        movement(&a, MovementKind::Receipt, "4"),
        mv(flour.id, a.location, MovementKind::Receipt, "2.5", at(2, 1)),
    ];
    let mismatches = write(store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&flour).await?;
            tx.insert_item(&unmoved).await?;
            tx.append_movements(&posting).await?;
            tx.ledger_mismatches().await
        })
    })
    .await;
    assert!(mismatches.is_empty(), "{mismatches:?}");
    post(
        store,
        b.tenant,
        vec![movement(&b, MovementKind::Receipt, "1")],
    )
    .await;
    t
}

/// Checks what `ledger_mismatches` says after A's rice level was raised by 0.001, A's flour
/// level deleted, a level of 5 made up for A's salt, and B's rice level raised by 0.001.
async fn mismatches_after_tampering(store: &S, t: &Tampered) {
    let mismatches = |tenant| async move {
        let mut m = read(store, tenant, |tx| {
            Box::pin(async move { tx.ledger_mismatches().await })
        })
        .await;
        m.sort_by_key(|m| (m.item_id, m.location_id));
        m
    };
    let row = |item_id, location_id, on_hand: &str, movements_sum: &str| LedgerMismatch {
        item_id,
        location_id,
        on_hand: q(on_hand),
        movements_sum: q(movements_sum),
    };
    let mut expected = vec![
        row(t.a.item, t.a.location, "4.001", "4"),
        row(t.flour, t.a.location, "0", "2.5"),
        row(t.unmoved, t.a.location, "5", "0"),
    ];
    expected.sort_by_key(|m| (m.item_id, m.location_id));
    assert_eq!(mismatches(t.a.tenant).await, expected);
    assert_eq!(
        mismatches(t.b.tenant).await,
        vec![row(t.b.item, t.b.location, "1.001", "1")]
    );
}

fn open_sqlite(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    conn
}

fn blob(id: uuid::Uuid) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// SQLite only: the ledger's triggers refuse UPDATE and DELETE to anyone with the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ledger_triggers_refuse_update_and_delete() {
    let (store, path) = crate::harness::sqlite_with_path().await;
    let s = seed(&store, "triggers").await;
    let m = movement(&s, MovementKind::Receipt, "3");
    let expected = vec![m.clone()];
    post(&store, s.tenant, vec![m]).await;
    let conn = open_sqlite(&path);
    for sql in [
        "UPDATE stock_movements SET quantity = 0",
        "DELETE FROM stock_movements",
    ] {
        let err = conn.execute(sql, []).err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("stock_movements is append-only")),
            "{sql}: {err:?}"
        );
    }
    let n: i64 = conn
        .query_row("SELECT count(*) FROM stock_movements", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    assert_eq!(all_movements(&store, s.tenant).await, expected);
    store.close().await;
}

/// SQLite only: `ledger_mismatches` reports levels changed behind the ledger's back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ledger_mismatches_report_tampered_levels() {
    let (store, path) = crate::harness::sqlite_with_path().await;
    let t = before_tampering(&store).await;
    let conn = open_sqlite(&path);
    let (ta, tb) = (blob(t.a.tenant.as_uuid()), blob(t.b.tenant.as_uuid()));
    conn.execute(
        "UPDATE stock_levels SET on_hand = on_hand + 1 WHERE tenant_id = ?1 AND item_id = ?2",
        rusqlite::params![ta, blob(t.a.item.as_uuid())],
    )
    .unwrap();
    conn.execute(
        "DELETE FROM stock_levels WHERE tenant_id = ?1 AND item_id = ?2",
        rusqlite::params![ta, blob(t.flour.as_uuid())],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO stock_levels (tenant_id, item_id, location_id, on_hand, updated_at)
         VALUES (?1, ?2, ?3, 5000, 0)",
        rusqlite::params![ta, blob(t.unmoved.as_uuid()), blob(t.a.location.as_uuid())],
    )
    .unwrap();
    conn.execute(
        "UPDATE stock_levels SET on_hand = on_hand + 1 WHERE tenant_id = ?1",
        rusqlite::params![tb],
    )
    .unwrap();
    drop(conn);
    mismatches_after_tampering(&store, &t).await;
    store.close().await;
}

/// PostgreSQL only: as the SQLite test above, tampering as the application role inside each
/// tenant's row-level security.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_ledger_mismatches_report_tampered_levels() {
    let Some((store, pg, _)) = crate::harness::postgres_with_pool().await else {
        return;
    };
    let t = before_tampering(&store).await;
    let mut tx = pg.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(t.a.tenant.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE stock_levels SET on_hand = on_hand + 1 WHERE item_id = $1")
        .bind(t.a.item.as_uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("DELETE FROM stock_levels WHERE item_id = $1")
        .bind(t.flour.as_uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO stock_levels (tenant_id, item_id, location_id, on_hand, updated_at)
         VALUES ($1, $2, $3, 5000, now())",
    )
    .bind(t.a.tenant.as_uuid())
    .bind(t.unmoved.as_uuid())
    .bind(t.a.location.as_uuid())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = pg.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(t.b.tenant.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let n = sqlx::query("UPDATE stock_levels SET on_hand = on_hand + 1")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(
        n, 1,
        "row-level security let B's transaction change A's levels"
    );
    tx.commit().await.unwrap();
    mismatches_after_tampering(&store, &t).await;
    store.close().await;
}

/// A receipt of `qty` at `cost` per base unit opening a lot with `code` and `expires`.
fn receipt(
    s: &Seed,
    qty: &str,
    cost: &str,
    code: Option<&str>,
    expires: Option<(u32, u32)>,
    occurred: DateTime<Utc>,
) -> MovementRow {
    MovementRow {
        unit_cost: Some(money(cost)),
        lot: Some(LotSpec {
            code: code.map(Into::into),
            expires_on: expires.and_then(|(m, d)| chrono::NaiveDate::from_ymd_opt(2026, m, d)),
            value: None,
        }),
        ..mv(s.item, s.location, MovementKind::Receipt, qty, occurred)
    }
}

async fn lots_are_consumed_fefo_and_the_ledger_values_stock(store: S) {
    let s = seed(&store, "lots").await;
    // Lot A: 10 at 2.00 expiring 20 March; lot B: 10 at 1.00 expiring 10 March (received
    // later, used first); lot C: 5 at 3.00 undated (used last).
    let a = receipt(&s, "10", "2", Some("A"), Some((3, 20)), at(1, 9));
    let b = receipt(&s, "10", "1", Some("B"), Some((3, 10)), at(2, 9));
    let c = receipt(&s, "5", "3", None, None, at(2, 10));
    post(&store, s.tenant, vec![a.clone(), b.clone(), c.clone()]).await;
    let sale1 = mv(s.item, s.location, MovementKind::Sale, "-15", at(3, 12));
    let sale1_id = sale1.id;
    let (item, location) = (s.item, s.location);
    let (costs, taken, open, now, then, used, bad) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let costs = tx.append_movements(&[sale1]).await?;
            let taken = tx.movement_lots(sale1_id).await?;
            let open = tx
                .list_lots(&LotFilter {
                    item_id: Some(item),
                    open_only: true,
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            let now = tx.stock_value(&ValueFilter::default()).await?;
            let then = tx
                .stock_value(&ValueFilter {
                    as_of: Some(at(2, 23)),
                    location_id: Some(location),
                    ..Default::default()
                })
                .await?;
            let used = tx
                .goods_used(&UsedFilter {
                    from: at(3, 0),
                    to: at(4, 0),
                    location_id: None,
                    scope: LocationScope::All,
                })
                .await?;
            Ok((
                costs,
                taken,
                open,
                now,
                then,
                used,
                tx.cost_mismatches().await?,
            ))
        })
    })
    .await;
    // B's 10 at 1.00, then 5 of A's at 2.00: 20.00.
    assert_eq!(costs[0].costing.value, money("-20"));
    assert_eq!(costs[0].costing.shortfall, Quantity::ZERO);
    let lot_of = |code: Option<&str>| {
        open.iter()
            .find(|l| l.code.as_deref() == code)
            .map(|l| l.id)
    };
    assert_eq!(taken.len(), 2);
    assert_eq!((taken[0].quantity, taken[0].cost), (q("10"), money("10")));
    assert_eq!((taken[1].quantity, taken[1].cost), (q("5"), money("10")));
    assert_eq!(Some(taken[1].lot_id), lot_of(Some("A")));
    // Open lots in FEFO order: A (5 left, 10.00), then the undated C (5, 15.00).
    let summary: Vec<_> = open
        .iter()
        .map(|l| {
            (
                l.code.clone(),
                l.remaining,
                l.remaining_value,
                l.received_quantity,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some("A".to_owned()), q("5"), money("10"), q("10")),
            (None, q("5"), money("15"), q("5")),
        ]
    );
    assert_eq!(
        open[0].expires_on,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 20)
    );
    assert_eq!(open[0].movement_id, Some(a.id));
    assert_eq!(
        now.iter().map(|v| (v.on_hand, v.value)).collect::<Vec<_>>(),
        vec![(q("10"), money("25"))]
    );
    // As of the end of 2 January: 10 x 2 + 10 x 1 + 5 x 3 = 45.00 for 25.
    assert_eq!(
        then.iter()
            .map(|v| (v.on_hand, v.value))
            .collect::<Vec<_>>(),
        vec![(q("25"), money("45"))]
    );
    assert_eq!(
        used.iter()
            .map(|u| (u.kind, u.quantity, u.cost))
            .collect::<Vec<_>>(),
        vec![(MovementKind::Sale, q("15"), money("20"))]
    );
    assert!(bad.is_empty(), "{bad:?}");

    // 12 more: A's 5 (10.00), C's 5 (15.00) and 2 short at the last cost, 3.00: 31.00.
    let sale2 = mv(s.item, s.location, MovementKind::Sale, "-12", at(4, 12));
    // Then 4 arrive at 4.00: 2 settle the shortfall (provisionally 6.00, actually 8.00).
    let late = receipt(&s, "4", "4", Some("D"), Some((3, 30)), at(5, 9));
    let (costs, open, used, bad) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let mut costs = tx.append_movements(&[sale2]).await?;
            costs.extend(tx.append_movements(&[late]).await?);
            let open = tx
                .list_lots(&LotFilter {
                    open_only: true,
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            let used = tx
                .goods_used(&UsedFilter {
                    from: at(4, 0),
                    to: at(6, 0),
                    location_id: Some(location),
                    scope: LocationScope::All,
                })
                .await?;
            Ok((costs, open, used, tx.cost_mismatches().await?))
        })
    })
    .await;
    assert_eq!(costs[0].costing.value, money("-31"));
    assert_eq!(costs[0].costing.shortfall, q("2"));
    assert_eq!(costs[1].costing.settled, q("2"));
    assert_eq!(costs[1].costing.cost_variance, money("-2"));
    assert_eq!(costs[1].costing.value, money("14"));
    assert_eq!(
        open.iter()
            .map(|l| (l.code.clone(), l.remaining, l.remaining_value))
            .collect::<Vec<_>>(),
        vec![(Some("D".to_owned()), q("2"), money("8"))]
    );
    // Cost of goods used: the sale's 31.00 and the 2.00 the settled shortfall cost more.
    assert_eq!(
        used.iter()
            .map(|u| (u.kind, u.quantity, u.cost))
            .collect::<Vec<_>>(),
        vec![
            (MovementKind::Receipt, Quantity::ZERO, money("2")),
            (MovementKind::Sale, q("12"), money("31")),
        ]
    );
    assert!(bad.is_empty(), "{bad:?}");
    let value = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.stock_value(&ValueFilter::default()).await })
    })
    .await;
    assert_eq!(
        value
            .iter()
            .map(|v| (v.on_hand, v.value))
            .collect::<Vec<_>>(),
        vec![(q("2"), money("8"))]
    );
}

async fn moving_average_takes_the_average_cost(store: S) {
    let s = seed(&store, "average").await;
    let row = TenantRow {
        valuation_method: ValuationMethod::MovingAverage,
        settings_version: 2,
        ..s.tenant_row.clone()
    };
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_settings(&row, 1).await })
    })
    .await;
    post(
        &store,
        s.tenant,
        vec![
            receipt(&s, "10", "1", None, None, at(1, 9)),
            receipt(&s, "30", "2", None, None, at(1, 10)),
        ],
    )
    .await;
    let sale = mv(s.item, s.location, MovementKind::Sale, "-8", at(2, 12));
    let (costs, bad) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let costs = tx.append_movements(&[sale]).await?;
            Ok((costs, tx.cost_mismatches().await?))
        })
    })
    .await;
    // 70.00 for 40 is 1.75 each: 8 cost 14.00 (FIFO would take 8 x 1.00).
    assert_eq!(costs[0].costing.value, money("-14"));
    assert_eq!(costs[0].taken.len(), 1);
    assert!(bad.is_empty(), "{bad:?}");
}

async fn concurrent_postings_take_each_lot_once(store: S) {
    let s = seed(&store, "concurrent lots").await;
    post(
        &store,
        s.tenant,
        vec![receipt(&s, "100", "1", Some("BIG"), Some((4, 1)), at(1, 9))],
    )
    .await;
    // Twenty sales of 3 at once, each its own transaction.
    let mut tasks = Vec::new();
    for i in 0..20u32 {
        let (store, tenant) = (store.clone(), s.tenant);
        let m = mv(s.item, s.location, MovementKind::Sale, "-3", at(2, i));
        tasks.push(tokio::spawn(async move {
            write(&store, tenant, move |tx| {
                Box::pin(async move { tx.append_movements(&[m]).await.map(drop) })
            })
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("{e}"));
    }
    let (open, value, bad) = read(&store, s.tenant, |tx| {
        Box::pin(async move {
            let open = tx
                .list_lots(&LotFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            let value = tx.stock_value(&ValueFilter::default()).await?;
            Ok((open, value, tx.cost_mismatches().await?))
        })
    })
    .await;
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].remaining, open[0].remaining_value),
        (q("40"), money("40"))
    );
    assert_eq!(
        value
            .iter()
            .map(|v| (v.on_hand, v.value))
            .collect::<Vec<_>>(),
        vec![(q("40"), money("40"))]
    );
    assert!(bad.is_empty(), "{bad:?}");
}

async fn a_backdated_receipt_settles_the_shortfall_it_finds_and_values_from_its_own_date(store: S) {
    let s = seed(&store, "backdated").await;
    // 2 at 1.00 on the 1st; 5 sold on the 5th: the lot's 2 (2.00) and 3 short at the last
    // cost, 1.00 (3.00).
    post(
        &store,
        s.tenant,
        vec![receipt(&s, "2", "1", Some("EARLY"), None, at(1, 9))],
    )
    .await;
    post(
        &store,
        s.tenant,
        vec![mv(s.item, s.location, MovementKind::Sale, "-5", at(5, 12))],
    )
    .await;
    // Then a delivery of the 3rd is recorded late: 10 at 1.50. It settles the 3 short (4.50
    // actual against 3.00 provisional: 1.50 more cost of goods used) and opens a lot of 7
    // worth 10.50, dated the 3rd. The sale of the 5th is not reposted.
    let late = receipt(&s, "10", "1.5", Some("LATE"), None, at(3, 9));
    let (cost, bad) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let c = tx.append_movements(&[late]).await?;
            Ok((c, tx.cost_mismatches().await?))
        })
    })
    .await;
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(
        (
            cost[0].costing.settled,
            cost[0].costing.cost_variance,
            cost[0].costing.value
        ),
        (q("3"), money("-1.5"), money("13.5"))
    );
    let value_at = |day: u32| {
        let store = store.clone();
        let tenant = s.tenant;
        async move {
            let rows = read(&store, tenant, move |tx| {
                Box::pin(async move {
                    tx.stock_value(&ValueFilter {
                        as_of: Some(at(day, 23)),
                        ..Default::default()
                    })
                    .await
                })
            })
            .await;
            rows.first().map(|r| (r.on_hand, r.value))
        }
    };
    // Before the late delivery's date: as it was.
    assert_eq!(value_at(2).await, Some((q("2"), money("2"))));
    // From its date on it counts, with the variance of what it settled dated with it (ADR 014:
    // a backdated receipt revalues only the shortfall it settles, not the days between).
    assert_eq!(value_at(4).await, Some((q("12"), money("15.5"))));
    // After the sale: 7 left worth 10.50, the late lot's.
    assert_eq!(value_at(6).await, Some((q("7"), money("10.5"))));
    let (lots, used) = read(&store, s.tenant, |tx| {
        Box::pin(async move {
            let lots = tx
                .list_lots(&LotFilter {
                    open_only: true,
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            let used = tx
                .goods_used(&UsedFilter {
                    from: at(1, 0),
                    to: at(7, 0),
                    location_id: None,
                    scope: LocationScope::All,
                })
                .await?;
            Ok((lots, used))
        })
    })
    .await;
    assert_eq!(
        lots.iter()
            .map(|l| (
                l.code.clone(),
                l.remaining,
                l.remaining_value,
                l.received_at
            ))
            .collect::<Vec<_>>(),
        vec![(Some("LATE".to_owned()), q("7"), money("10.5"), at(3, 9))]
    );
    // Cost of goods used: the sale's 5.00 and the 1.50 the settlement added.
    assert_eq!(
        used.iter().map(|u| (u.kind, u.cost)).collect::<Vec<_>>(),
        vec![
            (MovementKind::Receipt, money("1.5")),
            (MovementKind::Sale, money("5"))
        ]
    );
}
