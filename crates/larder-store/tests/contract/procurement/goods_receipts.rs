//! procurement (`GoodsReceiptTx`): a receipt keeps its header and lines exactly (with the
//! movement and lot each accepted line made), lists newest first by order, location and a
//! member's locations, adds what arrived to its order lines, and stays in its tenant.

use super::purchase_orders::{line, po_row, supplier_with_item};
use crate::*;
use larder_core::procurement::purchase_orders::PoStatus;
use larder_core::{GoodsReceiptId, PurchaseOrderId};
use larder_store::{GoodsReceiptFilter, GoodsReceiptLineRow, GoodsReceiptRow};

contract!(a_receipt_keeps_its_lines_and_adds_to_its_order_lines,);

fn receipt_row(po: Option<PurchaseOrderId>, location: LocationId) -> GoodsReceiptRow {
    GoodsReceiptRow {
        id: GoodsReceiptId::new(),
        purchase_order_id: po,
        supplier_id: None,
        location_id: location,
        received_at: at(11, 7),
        delivery_note: Some("DN-881".into()),
        note: None,
        created_by: UserId::new(),
        created_at: at(11, 8),
    }
}

async fn a_receipt_keeps_its_lines_and_adds_to_its_order_lines(store: S) {
    let s = seed(&store, "receipts").await;
    let (sup, si) = supplier_with_item(&store, &s).await;
    let po = po_row(1, &sup, s.location, PoStatus::Sent);
    let po_id = po.id;
    let po_lines = vec![line(1, &si, 2, "0")];
    let (p, pl) = (po.clone(), po_lines.clone());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_purchase_order(&p, &pl).await })
    })
    .await;
    // One accepted line that moved stock into a lot, one refused outright.
    let mut mv_in = mv(s.item, s.location, MovementKind::Receipt, "6000", at(11, 7));
    mv_in.unit_cost = Some(money("0.0016"));
    let mv_id = mv_in.id;
    let mut g = receipt_row(Some(po_id), s.location);
    g.supplier_id = Some(sup.id);
    let accepted = GoodsReceiptLineRow {
        line_no: 1,
        po_line_no: Some(1),
        supplier_item_id: Some(si.id),
        item_id: s.item,
        packs: Some(q("1")),
        quantity: q("6000"),
        price_per_pack: Some(money("9.90")),
        unit_cost: money("0.00165"),
        value: money("9.90"),
        ordered_price_per_pack: Some(money("9.60")),
        substituted: false,
        rejected_quantity: Quantity::ZERO,
        rejection_reason: None,
        lot_code: Some("L-42".into()),
        expires_on: NaiveDate::from_ymd_opt(2026, 9, 1),
        movement_id: Some(mv_id),
        lot_id: None,
    };
    let refused = GoodsReceiptLineRow {
        line_no: 2,
        po_line_no: None,
        packs: None,
        quantity: Quantity::ZERO,
        price_per_pack: None,
        value: Money::ZERO,
        ordered_price_per_pack: None,
        rejected_quantity: q("500"),
        rejection_reason: Some("crushed".into()),
        lot_code: None,
        expires_on: None,
        movement_id: None,
        ..accepted.clone()
    };
    let (gh, lines) = (g.clone(), vec![accepted.clone(), refused.clone()]);
    let other = receipt_row(None, s.location);
    let (o, ghost) = (other.clone(), PurchaseOrderId::new());
    let (got, got_lines, by_po, walk_ins, order_lines, missing) =
        write(&store, s.tenant, move |tx| {
            Box::pin(async move {
                let costs = tx.append_movements(&[mv_in]).await?;
                let mut lines = lines;
                lines[0].lot_id = costs[0].lot_id;
                tx.insert_goods_receipt(&gh, &lines).await?;
                tx.insert_goods_receipt(&o, &[]).await?;
                tx.add_received_quantity(po_id, 1, q("6000")).await?;
                let missing = tx.add_received_quantity(ghost, 1, q("1")).await;
                Ok((
                    tx.get_goods_receipt(gh.id).await?,
                    tx.goods_receipt_lines(gh.id).await?,
                    tx.list_goods_receipts(&GoodsReceiptFilter {
                        purchase_order: Some(po_id),
                        limit: 10,
                        ..Default::default()
                    })
                    .await?,
                    tx.list_goods_receipts(&GoodsReceiptFilter {
                        limit: 10,
                        ..Default::default()
                    })
                    .await?,
                    tx.purchase_order_lines(po_id).await?,
                    missing,
                ))
            })
        })
        .await;
    assert_eq!(got, Some(g.clone()));
    assert_eq!(got_lines.len(), 2);
    assert!(
        got_lines[0].lot_id.is_some(),
        "the accepted line names its lot"
    );
    assert_eq!(
        GoodsReceiptLineRow {
            lot_id: None,
            ..got_lines[0].clone()
        },
        accepted
    );
    assert_eq!(got_lines[1], refused);
    assert_eq!(by_po.iter().map(|r| r.id).collect::<Vec<_>>(), vec![g.id]);
    // Newest first: the walk-in was made after.
    assert_eq!(
        walk_ins.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![other.id, g.id]
    );
    assert_eq!(order_lines[0].received_quantity, q("6000"));
    assert_eq!(missing, Err(StoreError::NotFound));
    // Another tenant sees none of it.
    let stranger = seed(&store, "receipts-other").await;
    let gid = g.id;
    let seen = read(&store, stranger.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_goods_receipt(gid).await?,
                tx.goods_receipt_lines(gid).await?,
            ))
        })
    })
    .await;
    assert_eq!(seen, (None, Vec::new()));
}
