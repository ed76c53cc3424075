//! inventory (`WasteTx`, ADR 020): a waste entry keeps its lines with the movement each
//! posted and reads back the movement that reversed it; the report's sums net a reversal
//! under the reason of what it reversed; a reversal is found from what it reverses; a lot is
//! read by id; another tenant sees none of it.

use crate::*;
use larder_core::WasteEntryId;
use larder_core::inventory::WasteReason;
use larder_store::{WasteEntryFilter, WasteEntryRow, WasteLineRow, WasteReportFilter};

contract!(an_entry_keeps_its_lines_and_a_reversal_nets_it_out_of_the_report,);

fn receipt(s: &Seed, qty: &str, value: &str, code: &str, day: u32) -> MovementRow {
    let mut m = mv(s.item, s.location, MovementKind::Receipt, qty, at(day, 8));
    m.unit_cost = Some(money("0.002"));
    m.lot = Some(LotSpec {
        code: Some(code.into()),
        expires_on: NaiveDate::from_ymd_opt(2026, 4, day),
        value: Some(money(value)),
    });
    m
}

fn waste(s: &Seed, qty: &str, reason: &str, hour: u32) -> MovementRow {
    let mut m = mv(s.item, s.location, MovementKind::Waste, qty, at(3, hour));
    m.reason = Some(reason.into());
    m
}

fn entry(s: &Seed, reason: WasteReason, qty: &str, hour: u32) -> WasteEntryRow {
    WasteEntryRow {
        id: WasteEntryId::new(),
        location_id: s.location,
        reason,
        note: Some("tray slid off the pass".into()),
        item_id: Some(s.item),
        recipe_id: None,
        quantity: q(qty),
        amount: Some(format!("{qty} g")),
        occurred_at: at(3, hour),
        created_by: UserId::new(),
        created_at: at(3, hour + 1),
    }
}

async fn an_entry_keeps_its_lines_and_a_reversal_nets_it_out_of_the_report(store: S) {
    let s = seed(&store, "waste").await;
    // Two lots: 1 000 g worth 2.00 expiring 1 April, 1 000 g worth 3.00 expiring 2 April.
    let (r1, r2) = (
        receipt(&s, "1000", "2", "A", 1),
        receipt(&s, "1000", "3", "B", 2),
    );
    // 1 200 g spoiled (FEFO: all of A and 200 g of B = 2.60), 100 g dropped (B: 0.30).
    let (w1, w2) = (
        waste(&s, "-1200", "spoilage", 10),
        waste(&s, "-100", "dropped", 11),
    );
    let (e1, e2) = (
        entry(&s, WasteReason::Spoilage, "1200", 10),
        entry(&s, WasteReason::Dropped, "100", 11),
    );
    let line = |m: &MovementRow, value: &str| WasteLineRow {
        line_no: 1,
        item_id: m.item_id,
        quantity: q(&m.quantity.to_string().replace('-', "")),
        value: money(value),
        movement_id: m.id,
        reversed_by: None,
    };
    let (l1, l2) = (line(&w1, "2.60"), line(&w2, "0.30"));
    let mut back = mv(s.item, s.location, MovementKind::Waste, "100", at(3, 11));
    back.reverses = Some(w2.id);
    back.reason = Some("entered twice".into());
    back.lot = Some(LotSpec {
        code: Some("B".into()),
        expires_on: NaiveDate::from_ymd_opt(2026, 4, 2),
        value: Some(money("0.30")),
    });
    let back_id = back.id;
    let (a, b, c, d) = (e1.clone(), e2.clone(), l1.clone(), l2.clone());
    let (w1c, w2c) = (w1.clone(), w2.clone());
    let (costs, lot_a) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let received = tx.append_movements(&[r1, r2]).await?;
            let costs = tx.append_movements(&[w1c, w2c]).await?;
            tx.insert_waste_entry(&a, &[c]).await?;
            tx.insert_waste_entry(&b, &[d]).await?;
            tx.append_movements(&[back]).await?;
            Ok((costs, received[0].lot_id))
        })
    })
    .await;
    assert_eq!(costs[0].costing.value, money("-2.60"));
    assert_eq!(costs[1].costing.value, money("-0.30"));
    let lot_a = lot_a.unwrap_or_else(|| panic!("the receipt opened a lot"));
    let period = WasteReportFilter {
        from: at(1, 0),
        to: at(10, 0),
        location: None,
        scope: LocationScope::All,
        limit: 100,
    };
    let (w1id, w2id, e1id, e2id) = (w1.id, w2.id, e1.id, e2.id);
    let p = period.clone();
    let (got, lines1, lines2, all, dropped, mut totals, instants, rev1, rev2, lot) =
        read(&store, s.tenant, move |tx| {
            Box::pin(async move {
                Ok((
                    tx.get_waste_entry(e1id).await?,
                    tx.waste_entry_lines(e1id).await?,
                    tx.waste_entry_lines(e2id).await?,
                    tx.list_waste_entries(&WasteEntryFilter {
                        limit: 10,
                        ..Default::default()
                    })
                    .await?,
                    tx.list_waste_entries(&WasteEntryFilter {
                        reason: Some(WasteReason::Dropped),
                        from: Some(at(3, 0)),
                        to: Some(at(4, 0)),
                        limit: 10,
                        ..Default::default()
                    })
                    .await?,
                    tx.waste_totals(&p).await?,
                    tx.waste_by_instant(&p).await?,
                    tx.reversal_of(w1id).await?,
                    tx.reversal_of(w2id).await?,
                    tx.get_lot(lot_a).await?,
                ))
            })
        })
        .await;
    assert_eq!(got, Some(e1.clone()));
    assert_eq!(lines1, vec![l1]);
    assert_eq!(
        lines2,
        vec![WasteLineRow {
            reversed_by: Some(back_id),
            ..l2
        }]
    );
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![e2.id, e1.id]
    );
    assert_eq!(
        dropped.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![e2.id]
    );
    // The reversal counts under "dropped", the reason of what it reversed: net nothing.
    totals.sort_by(|x, y| x.reason.cmp(&y.reason));
    let sums: Vec<(Option<&str>, Quantity, Money)> = totals
        .iter()
        .map(|t| (t.reason.as_deref(), t.quantity, t.value))
        .collect();
    assert_eq!(
        sums,
        vec![
            (Some("dropped"), q("0"), money("0")),
            (Some("spoilage"), q("1200"), money("2.60")),
        ]
    );
    assert_eq!(totals[1].item_name, "Basmati rice");
    assert_eq!(totals[1].location_name, "Brixton");
    assert_eq!(totals[1].category.as_deref(), Some("dry goods"));
    assert_eq!(totals[1].base_unit, BaseUnit::G);
    let by_time: Vec<(DateTime<Utc>, Money)> =
        instants.iter().map(|i| (i.occurred_at, i.value)).collect();
    assert_eq!(
        by_time,
        vec![(at(3, 10), money("2.60")), (at(3, 11), money("0"))]
    );
    assert_eq!(rev1, None);
    assert_eq!(
        rev2.as_ref().map(|m| (m.id, m.reverses)),
        Some((back_id, Some(w2.id)))
    );
    let lot = lot.unwrap_or_else(|| panic!("lot A"));
    assert_eq!(
        (lot.code.as_deref(), lot.remaining, lot.remaining_value),
        (Some("A"), q("0"), money("0"))
    );
    // The reversal put back 100 g at the 0.30 it took: 800 g worth 5.00 - 2.60 = 2.40 are left.
    let (item, location) = (s.item, s.location);
    let values = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.stock_value(&ValueFilter {
                location_id: Some(location),
                ..Default::default()
            })
            .await
        })
    })
    .await;
    let v = values.iter().find(|v| v.item_id == item);
    assert_eq!(
        v.map(|v| (v.on_hand, v.value)),
        Some((q("800"), money("2.40")))
    );
    // Another tenant sees none of it.
    let stranger = seed(&store, "waste-other").await;
    let seen = read(&store, stranger.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_waste_entry(e1id).await?,
                tx.waste_entry_lines(e1id).await?,
                tx.list_waste_entries(&WasteEntryFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?
                .len(),
                tx.waste_totals(&period).await?.len(),
                tx.reversal_of(w2id).await?,
                tx.get_lot(lot_a).await?,
            ))
        })
    })
    .await;
    assert_eq!(seen, (None, Vec::new(), 0, 0, None, None));
}
