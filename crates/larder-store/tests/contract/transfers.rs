//! inventory (`TransferTx`): a transfer numbers itself per tenant, keeps its lines and edits
//! them only at its version while requested, moves status once with who and when, keeps the
//! lots each line took with their code and expiry copied, lists by status, location and a
//! member's locations, reports what is in transit now and as of any instant, and stays in its
//! tenant. A transfer in carries its lot's exact value and unit cost; sending and receiving
//! conserve quantity and value across locations plus in transit.

use crate::*;
use larder_core::inventory::transfers::{SentPart, TransferStatus, carry};
use larder_core::{LotId, TransferId};
use larder_store::{
    TransferFilter, TransferLineRow, TransferLotRow, TransferReceivedLine, TransferRow,
    TransferSentLine, TransferStatusChange,
};

contract!(
    a_transfer_keeps_its_lines_lots_and_who_moved_it_when,
    transfers_conserve_quantity_and_value_across_locations,
);

/// A lot taken as the test compares it: line, seq, code, expiry, quantity.
type LotSeen<'a> = (i32, i32, Option<&'a str>, Option<NaiveDate>, Quantity);

fn transfer_row(number: i64, from: LocationId, to: LocationId, by: UserId) -> TransferRow {
    TransferRow {
        id: TransferId::new(),
        number,
        from_location_id: from,
        to_location_id: to,
        status: TransferStatus::Requested,
        note: Some("for the weekend".into()),
        version: 1,
        requested_by: by,
        requested_at: at(10, 8),
        sent_by: None,
        sent_at: None,
        received_by: None,
        received_at: None,
        cancelled_by: None,
        cancelled_at: None,
        cancel_reason: None,
    }
}

fn line(line_no: i32, item: ItemId, qty: &str) -> TransferLineRow {
    TransferLineRow {
        line_no,
        item_id: item,
        quantity: q(qty),
        amount: Some(format!("{qty} g")),
        sent_quantity: None,
        sent_value: None,
        out_movement_id: None,
        received_quantity: None,
        received_value: None,
        discrepancy_quantity: None,
        discrepancy_value: None,
        note: None,
    }
}

fn change(
    id: TransferId,
    from: TransferStatus,
    to: TransferStatus,
    version: i64,
    by: UserId,
    when: DateTime<Utc>,
) -> TransferStatusChange {
    TransferStatusChange {
        id,
        from,
        to,
        expected_version: version,
        actor: by,
        at: when,
        note: None,
    }
}

/// A receipt of `qty` at `cost` (total value) into a lot `code` expiring on March `day`.
fn receipt(
    item: ItemId,
    location: LocationId,
    qty: &str,
    value: &str,
    code: &str,
    day: u32,
) -> MovementRow {
    let mut m = mv(item, location, MovementKind::Receipt, qty, at(2, 9));
    m.unit_cost = Some(money("0.001"));
    m.lot = Some(LotSpec {
        code: Some(code.into()),
        expires_on: NaiveDate::from_ymd_opt(2026, 3, day),
        value: Some(money(value)),
    });
    m
}

async fn a_transfer_keeps_its_lines_lots_and_who_moved_it_when(store: S) {
    let s = seed(&store, "transfers").await;
    let kitchen = location_row("Central kitchen", LocationKind::CentralKitchen);
    let other_outlet = location_row("Peckham", LocationKind::Outlet);
    let (ck, pk, bx) = (kitchen.id, other_outlet.id, s.location);
    let (chef, cook) = (user_row("Chef"), user_row("Cook"));
    let (chef_id, cook_id) = (chef.id, cook.id);
    let item = s.item;
    // Two lots at the kitchen: the later-expiring one first, so FEFO takes the other first.
    let (r1, r2) = (
        receipt(item, ck, "4000", "8.00", "L-LATE", 30),
        receipt(item, ck, "1000", "3.00", "L-SOON", 20),
    );
    let (numbers, t1, t2) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&kitchen).await?;
            tx.insert_location(&other_outlet).await?;
            for (u, role) in [(&chef, Role::Manager), (&cook, Role::Staff)] {
                tx.insert_user(u).await?;
                tx.insert_membership(u.id, role, at(2, 1)).await?;
            }
            tx.set_member_locations(cook_id, Some(&[pk]), at(2, 2))
                .await?;
            tx.append_movements(&[r1, r2]).await?;
            let a = tx.next_transfer_number().await?;
            let b = tx.next_transfer_number().await?;
            let t1 = transfer_row(a, ck, bx, chef_id);
            let t2 = transfer_row(b, bx, pk, chef_id);
            tx.insert_transfer(&t1, &[line(1, item, "500")]).await?;
            tx.insert_transfer(&t2, &[line(1, item, "100")]).await?;
            Ok(((a, b), t1, t2))
        })
    })
    .await;
    assert_eq!(numbers, (1, 2), "numbers count up per tenant");
    // A number taken twice is refused by name.
    let dup = transfer_row(1, ck, bx, chef_id);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_transfer(&dup, &[]).await })
    })
    .await;
    assert_eq!(err, Err(conflict("transfers_number")));
    // Edited at its version: the lines are replaced; a stale version is refused.
    let edited = TransferRow {
        version: 2,
        note: None,
        ..t1.clone()
    };
    let (e, e2) = (edited.clone(), edited.clone());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.update_transfer(&e, &[line(1, item, "4500"), line(2, item, "700")], 1)
                .await
        })
    })
    .await;
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_transfer(&e2, &[], 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("transfers_version")));
    let ghost = TransferRow {
        id: TransferId::new(),
        ..edited.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_transfer(&ghost, &[], 2).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
    // Sent at 11 March 10:00: the status moves once, who and when kept; the lines take their
    // lots FEFO (line 1: 1 kg of L-SOON then 3.5 kg of L-LATE; line 2: the last 0.5 kg of
    // L-LATE and 0.2 kg no lot covers).
    let t1_id = t1.id;
    let sent_at = at(11, 10);
    let (costs, out_ids) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_transfer_status(&change(
                t1_id,
                TransferStatus::Requested,
                TransferStatus::Sent,
                2,
                chef_id,
                sent_at,
            ))
            .await?;
            let outs = vec![
                mv(item, ck, MovementKind::TransferOut, "-4500", sent_at),
                mv(item, ck, MovementKind::TransferOut, "-700", sent_at),
            ];
            let ids: Vec<MovementId> = outs.iter().map(|m| m.id).collect();
            let costs = tx.append_movements(&outs).await?;
            Ok((costs, ids))
        })
    })
    .await;
    assert_eq!(costs[0].taken.len(), 2);
    assert_eq!(costs[0].taken[0].quantity, q("1000"));
    assert_eq!(costs[0].taken[0].cost, money("3.00"));
    assert_eq!(costs[0].taken[1].cost, money("7.00"));
    assert_eq!(costs[1].costing.shortfall, q("200"));
    let lots_of = |no: i32, c: &larder_store::MovementCost| -> Vec<TransferLotRow> {
        let mut v: Vec<TransferLotRow> = c
            .taken
            .iter()
            .enumerate()
            .map(|(k, t)| TransferLotRow {
                line_no: no,
                seq: k as i32 + 1,
                lot_id: Some(t.lot_id),
                code: None,
                expires_on: None,
                quantity: t.quantity,
                cost: t.cost,
            })
            .collect();
        if c.costing.shortfall.raw() > 0 {
            let taken: i64 = c.taken.iter().map(|t| t.cost.raw()).sum();
            v.push(TransferLotRow {
                line_no: no,
                seq: v.len() as i32 + 1,
                lot_id: None,
                code: Some("ignored".into()),
                expires_on: None,
                quantity: c.costing.shortfall,
                cost: Money::from_raw(-c.costing.value.raw() - taken),
            });
        }
        v
    };
    let sent = vec![
        TransferSentLine {
            line_no: 1,
            quantity: q("4500"),
            value: money("10.00"),
            movement_id: out_ids[0],
            lots: lots_of(1, &costs[0]),
        },
        TransferSentLine {
            line_no: 2,
            quantity: q("700"),
            value: Money::from_raw(-costs[1].costing.value.raw()),
            movement_id: out_ids[1],
            lots: lots_of(2, &costs[1]),
        },
    ];
    let shortfall_cost = Money::from_raw(-costs[1].costing.value.raw() - 1_000_000);
    let s2 = sent.clone();
    let (again, missing) = {
        write(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.record_transfer_sent(t1_id, &s2).await })
        })
        .await;
        // A second send from requested finds it sent: nothing changes.
        let again = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.set_transfer_status(&change(
                    t1_id,
                    TransferStatus::Requested,
                    TransferStatus::Sent,
                    2,
                    chef_id,
                    sent_at,
                ))
                .await
            })
        })
        .await;
        let bad = vec![TransferSentLine {
            line_no: 9,
            ..sent[0].clone()
        }];
        let missing = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.record_transfer_sent(t1_id, &bad).await })
        })
        .await;
        (again, missing)
    };
    assert_eq!(again, Err(conflict("transfers_version")));
    assert_eq!(missing, Err(StoreError::NotFound));
    let (got, lines, lots, transit_now, transit_before, transit_during) =
        read(&store, s.tenant, move |tx| {
            Box::pin(async move {
                Ok((
                    tx.get_transfer(t1_id).await?,
                    tx.transfer_lines(t1_id).await?,
                    tx.transfer_lots(t1_id).await?,
                    tx.in_transit(None, LocationScope::All).await?,
                    tx.in_transit(Some(at(11, 9)), LocationScope::All).await?,
                    tx.in_transit(Some(at(11, 10)), LocationScope::All).await?,
                ))
            })
        })
        .await;
    let got = got.unwrap_or_else(|| panic!("the transfer is gone"));
    assert_eq!(
        (got.status, got.version, got.sent_by, got.sent_at),
        (TransferStatus::Sent, 3, Some(chef_id), Some(sent_at))
    );
    assert_eq!(got.number, 1);
    assert_eq!(got.note, None);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].sent_quantity, Some(q("4500")));
    assert_eq!(lines[0].sent_value, Some(money("10.00")));
    assert_eq!(lines[0].out_movement_id, Some(out_ids[0]));
    assert_eq!(lines[1].amount.as_deref(), Some("700 g"));
    // The lots' codes and expiries are copied as they were; the uncovered part has none.
    let codes: Vec<LotSeen> = lots
        .iter()
        .map(|l| {
            (
                l.line_no,
                l.seq,
                l.code.as_deref(),
                l.expires_on,
                l.quantity,
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (
                1,
                1,
                Some("L-SOON"),
                NaiveDate::from_ymd_opt(2026, 3, 20),
                q("1000")
            ),
            (
                1,
                2,
                Some("L-LATE"),
                NaiveDate::from_ymd_opt(2026, 3, 30),
                q("3500")
            ),
            (
                2,
                1,
                Some("L-LATE"),
                NaiveDate::from_ymd_opt(2026, 3, 30),
                q("500")
            ),
            (2, 2, None, None, q("200")),
        ]
    );
    assert_eq!(lots[3].lot_id, None);
    assert_eq!(lots[3].cost, shortfall_cost);
    // In transit now and as of the instant it was sent; nothing before.
    assert!(transit_before.is_empty());
    assert_eq!(transit_now, transit_during);
    assert_eq!(transit_now.len(), 1);
    assert_eq!(
        (
            transit_now[0].item_id,
            transit_now[0].from_location_id,
            transit_now[0].to_location_id,
            transit_now[0].quantity
        ),
        (item, ck, bx, q("5200"))
    );
    assert_eq!(
        transit_now[0].value,
        money("10.00")
            .checked_add(lines[1].sent_value.unwrap_or_default())
            .unwrap_or_default()
    );
    // Lists: by status, by location (either side), by a member's locations (Peckham only:
    // the second transfer, which is to Peckham), newest first, paged by number.
    let (sent_only, at_kitchen, the_cooks, page2, cross) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let f = |status, location, scope, before| TransferFilter {
                status,
                location,
                scope,
                before,
                limit: 10,
            };
            Ok((
                tx.list_transfers(&f(
                    Some(TransferStatus::Sent),
                    None,
                    LocationScope::All,
                    None,
                ))
                .await?,
                tx.list_transfers(&f(None, Some(ck), LocationScope::All, None))
                    .await?,
                tx.list_transfers(&f(None, None, LocationScope::Member(cook_id), None))
                    .await?,
                tx.list_transfers(&f(None, None, LocationScope::All, Some(2)))
                    .await?,
                tx.list_transfers(&f(None, Some(bx), LocationScope::All, None))
                    .await?,
            ))
        })
    })
    .await;
    let ids = |v: &[TransferRow]| v.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(&sent_only), vec![t1_id]);
    assert_eq!(ids(&at_kitchen), vec![t1_id]);
    assert_eq!(ids(&the_cooks), vec![t2.id]);
    assert_eq!(ids(&page2), vec![t1_id]);
    assert_eq!(ids(&cross), vec![t2.id, t1_id]);
    // Received at 12 March: recorded per line, out of transit from then on, still in transit
    // as of before it.
    let received_at = at(12, 9);
    let received = vec![
        TransferReceivedLine {
            line_no: 1,
            quantity: q("4000"),
            value: money("8.50"),
            discrepancy_quantity: q("-500"),
            discrepancy_value: money("-1.50"),
            note: Some("one bag split".into()),
        },
        TransferReceivedLine {
            line_no: 2,
            quantity: q("200"),
            value: Money::ZERO,
            discrepancy_quantity: Quantity::ZERO,
            discrepancy_value: Money::ZERO,
            note: None,
        },
    ];
    let (r, bad) = (
        received.clone(),
        vec![TransferReceivedLine {
            line_no: 7,
            ..received[1].clone()
        }],
    );
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_transfer_status(&change(
                t1_id,
                TransferStatus::Sent,
                TransferStatus::Received,
                3,
                cook_id,
                received_at,
            ))
            .await?;
            tx.record_transfer_received(t1_id, &r).await
        })
    })
    .await;
    let missing = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.record_transfer_received(t1_id, &bad).await })
    })
    .await;
    assert_eq!(missing, Err(StoreError::NotFound));
    let (got, lines, now, then, after) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_transfer(t1_id).await?,
                tx.transfer_lines(t1_id).await?,
                tx.in_transit(None, LocationScope::All).await?,
                tx.in_transit(Some(at(12, 8)), LocationScope::All).await?,
                tx.in_transit(Some(received_at), LocationScope::All).await?,
            ))
        })
    })
    .await;
    let got = got.unwrap_or_else(|| panic!("the transfer is gone"));
    assert_eq!(
        (got.status, got.version, got.received_by, got.received_at),
        (
            TransferStatus::Received,
            4,
            Some(cook_id),
            Some(received_at)
        )
    );
    assert_eq!(got.sent_at, Some(sent_at), "the send is kept");
    assert_eq!(lines[0].received_quantity, Some(q("4000")));
    assert_eq!(lines[0].received_value, Some(money("8.50")));
    assert_eq!(lines[0].discrepancy_quantity, Some(q("-500")));
    assert_eq!(lines[0].discrepancy_value, Some(money("-1.50")));
    assert_eq!(lines[0].note.as_deref(), Some("one bag split"));
    assert!(now.is_empty());
    assert_eq!(then.len(), 1);
    assert!(after.is_empty());
    // Cancelled: who, when and why.
    let t2_id = t2.id;
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_transfer_status(&TransferStatusChange {
                note: Some("not needed".into()),
                ..change(
                    t2_id,
                    TransferStatus::Requested,
                    TransferStatus::Cancelled,
                    1,
                    chef_id,
                    at(13, 1),
                )
            })
            .await
        })
    })
    .await;
    // Another tenant sees none of it, and cannot move it.
    let other = seed(&store, "transfers-other").await;
    let (seen, theirs, moved) = {
        let seen = read(&store, other.tenant, move |tx| {
            Box::pin(async move {
                Ok((
                    tx.get_transfer(t1_id).await?,
                    tx.transfer_lines(t1_id).await?,
                    tx.transfer_lots(t1_id).await?,
                    tx.list_transfers(&TransferFilter {
                        limit: 10,
                        ..Default::default()
                    })
                    .await?,
                    tx.in_transit(Some(at(11, 12)), LocationScope::All).await?,
                ))
            })
        })
        .await;
        let moved = attempt(&store, other.tenant, move |tx| {
            Box::pin(async move {
                tx.set_transfer_status(&change(
                    t2_id,
                    TransferStatus::Cancelled,
                    TransferStatus::Sent,
                    2,
                    chef_id,
                    at(13, 2),
                ))
                .await
            })
        })
        .await;
        let theirs = read(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.get_transfer(t2_id).await })
        })
        .await;
        (seen, theirs, moved)
    };
    assert!(seen.0.is_none() && seen.1.is_empty() && seen.2.is_empty());
    assert!(seen.3.is_empty() && seen.4.is_empty());
    assert_eq!(moved, Err(StoreError::NotFound));
    let theirs = theirs.unwrap_or_else(|| panic!("the transfer is gone"));
    assert_eq!(
        (
            theirs.status,
            theirs.cancelled_by,
            theirs.cancel_reason.as_deref()
        ),
        (TransferStatus::Cancelled, Some(chef_id), Some("not needed"))
    );
}

/// The stock value of every level plus what is in transit, and the quantity on hand plus in
/// transit, as a (quantity, value) pair.
async fn totals(store: &S, tenant: TenantId, item: ItemId) -> (i64, i64) {
    read(store, tenant, move |tx| {
        Box::pin(async move {
            let levels = tx
                .stock_value(&ValueFilter::default())
                .await?
                .into_iter()
                .filter(|r| r.item_id == item)
                .fold((0, 0), |a, r| (a.0 + r.on_hand.raw(), a.1 + r.value.raw()));
            let transit = tx
                .in_transit(None, LocationScope::All)
                .await?
                .into_iter()
                .fold((0, 0), |a, r| (a.0 + r.quantity.raw(), a.1 + r.value.raw()));
            Ok((levels.0 + transit.0, levels.1 + transit.1))
        })
    })
    .await
}

/// For a run of generated transfers (quantities and lots from a fixed-seed generator, the
/// sender sometimes short of stock), sending leaves quantity and value over both locations
/// plus in transit unchanged; receiving in full leaves them unchanged, and receiving short or
/// over changes them by exactly the discrepancy recorded. The receiver's lots carry each sent
/// lot's code, expiry, quantity and exact value, at the sent unit cost.
async fn transfers_conserve_quantity_and_value_across_locations(store: S) {
    let s = seed(&store, "conserve").await;
    let kitchen = location_row("Central kitchen", LocationKind::CentralKitchen);
    let (ck, bx, item) = (kitchen.id, s.location, s.item);
    let mut rng: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move |n: u64| {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % n
    };
    let mut receipts = Vec::new();
    for k in 0..4u32 {
        let qty = (next(5_000) + 1) * 1000 + next(1000);
        let value = Money::from_raw(i64::try_from(next(90_000_000) + 1).unwrap_or(1));
        let mut m = receipt(
            item,
            ck,
            &Quantity::from_raw(i64::try_from(qty).unwrap_or(1)).to_string(),
            "0.01",
            &format!("L{k}"),
            10 + k,
        );
        if let Some(l) = m.lot.as_mut() {
            l.value = Some(value);
        }
        receipts.push(m);
    }
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&kitchen).await?;
            tx.append_movements(&receipts).await.map(drop)
        })
    })
    .await;
    for round in 0..6u32 {
        let before = totals(&store, s.tenant, item).await;
        let qty =
            Quantity::from_raw(i64::try_from((next(4_000) + 1) * 1000 + next(1000)).unwrap_or(1));
        let when = at(14 + round, 10);
        let out = {
            let mut m = mv(item, ck, MovementKind::TransferOut, "-1", when);
            m.quantity = Quantity::from_raw(-qty.raw());
            m
        };
        let id = TransferId::new();
        let t = TransferRow {
            id,
            ..transfer_row(i64::from(round) + 1, ck, bx, UserId::new())
        };
        let out_id = out.id;
        let cost = write(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.insert_transfer(&t, &[line(1, item, &qty.to_string())])
                    .await?;
                tx.set_transfer_status(&change(
                    id,
                    TransferStatus::Requested,
                    TransferStatus::Sent,
                    1,
                    UserId::new(),
                    when,
                ))
                .await?;
                let c = tx.append_movements(&[out]).await?;
                Ok(c.into_iter().next().unwrap_or_default())
            })
        })
        .await;
        let value = Money::from_raw(-cost.costing.value.raw());
        let mut parts: Vec<(Option<LotId>, SentPart)> = cost
            .taken
            .iter()
            .map(|t| {
                (
                    Some(t.lot_id),
                    SentPart {
                        quantity: t.quantity,
                        cost: t.cost,
                    },
                )
            })
            .collect();
        if cost.costing.shortfall.raw() > 0 {
            let taken: i64 = cost.taken.iter().map(|t| t.cost.raw()).sum();
            parts.push((
                None,
                SentPart {
                    quantity: cost.costing.shortfall,
                    cost: Money::from_raw(value.raw() - taken),
                },
            ));
        }
        let lots: Vec<TransferLotRow> = parts
            .iter()
            .enumerate()
            .map(|(k, (lot, p))| TransferLotRow {
                line_no: 1,
                seq: k as i32 + 1,
                lot_id: *lot,
                code: None,
                expires_on: None,
                quantity: p.quantity,
                cost: p.cost,
            })
            .collect();
        let sent = vec![TransferSentLine {
            line_no: 1,
            quantity: qty,
            value,
            movement_id: out_id,
            lots,
        }];
        write(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.record_transfer_sent(id, &sent).await })
        })
        .await;
        let in_transit = totals(&store, s.tenant, item).await;
        assert_eq!(in_transit, before, "round {round}: sending conserves");
        // Received in full, short or over.
        let received = match round % 3 {
            0 => qty,
            1 => Quantity::from_raw(
                qty.raw() - i64::try_from(next(u64::try_from(qty.raw()).unwrap_or(1))).unwrap_or(0),
            ),
            _ => Quantity::from_raw(qty.raw() + 1 + i64::try_from(next(3000)).unwrap_or(0)),
        };
        let taken = read(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.transfer_lots(id).await })
        })
        .await;
        let carried = carry(
            &taken
                .iter()
                .map(|l| SentPart {
                    quantity: l.quantity,
                    cost: l.cost,
                })
                .collect::<Vec<_>>(),
            received,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let arrivals: Vec<MovementRow> = carried
            .arrivals
            .iter()
            .map(|a| {
                let from = a.index.and_then(|k| taken.get(k));
                let mut m = mv(
                    item,
                    bx,
                    MovementKind::TransferIn,
                    &a.quantity.to_string(),
                    at(14 + round, 18),
                );
                m.unit_cost = Some(Money::from_raw(
                    a.value.raw() * 1000 / a.quantity.raw().max(1),
                ));
                m.lot = Some(LotSpec {
                    code: from.and_then(|l| l.code.clone()),
                    expires_on: from.and_then(|l| l.expires_on),
                    value: Some(a.value),
                });
                m
            })
            .collect();
        let (dq, dv) = (carried.discrepancy_quantity, carried.discrepancy_value);
        let rec = vec![TransferReceivedLine {
            line_no: 1,
            quantity: received,
            value: carried.received_value,
            discrepancy_quantity: dq,
            discrepancy_value: dv,
            note: None,
        }];
        let arrived_ids: Vec<MovementId> = arrivals.iter().map(|m| m.id).collect();
        write(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.set_transfer_status(&change(
                    id,
                    TransferStatus::Sent,
                    TransferStatus::Received,
                    2,
                    UserId::new(),
                    at(14 + round, 18),
                ))
                .await?;
                if !arrivals.is_empty() {
                    tx.append_movements(&arrivals).await?;
                }
                tx.record_transfer_received(id, &rec).await
            })
        })
        .await;
        let after = totals(&store, s.tenant, item).await;
        assert_eq!(
            after,
            (before.0 + dq.raw(), before.1 + dv.raw()),
            "round {round}: receiving changes the totals by the discrepancy only"
        );
        if round % 3 == 0 {
            assert_eq!(dv, Money::ZERO);
        }
        // Each receiver lot carries its sent lot's code and expiry and exact value, at the
        // sent unit cost.
        let opened = read(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.list_lots(&LotFilter {
                    location_id: Some(bx),
                    open_only: false,
                    limit: 500,
                    ..Default::default()
                })
                .await
            })
        })
        .await;
        for (a, m) in carried.arrivals.iter().zip(arrived_ids.iter()) {
            let lot = opened
                .iter()
                .find(|l| l.movement_id == Some(*m))
                .unwrap_or_else(|| panic!("round {round}: no lot for an arrival"));
            let from = a.index.and_then(|k| taken.get(k));
            assert_eq!(lot.received_quantity, a.quantity);
            assert_eq!(lot.code, from.and_then(|l| l.code.clone()));
            assert_eq!(lot.expires_on, from.and_then(|l| l.expires_on));
            assert_eq!(
                lot.unit_cost.raw(),
                a.value.raw() * 1000 / a.quantity.raw().max(1)
            );
        }
    }
    // The ledger still checks out at both locations.
    let (mismatches, costs) = read(&store, s.tenant, |tx| {
        Box::pin(async move { Ok((tx.ledger_mismatches().await?, tx.cost_mismatches().await?)) })
    })
    .await;
    assert!(mismatches.is_empty(), "{mismatches:?}");
    assert!(costs.is_empty(), "{costs:?}");
}
