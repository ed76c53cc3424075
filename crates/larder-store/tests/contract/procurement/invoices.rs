//! procurement (`InvoiceTx`): an invoice keeps its header, the receipts it covers and its
//! lines exactly, its number is unique per supplier, it lists newest first by supplier and by
//! the order it bills (directly or through a receipt), purchase orders are found by their
//! expected date, and all of it stays in its tenant.

use super::purchase_orders::{line, po_row, supplier_with_item};
use crate::*;
use larder_core::procurement::purchase_orders::PoStatus;
use larder_core::{GoodsReceiptId, InvoiceId, PurchaseOrderId, SupplierId};
use larder_store::{
    GoodsReceiptLineRow, GoodsReceiptRow, InvoiceFilter, InvoiceLineRow, InvoiceRow, LocationScope,
};

contract!(an_invoice_keeps_its_lines_and_receipts_and_its_number_once_per_supplier,);

fn invoice_row(number: &str, supplier: SupplierId, po: Option<PurchaseOrderId>) -> InvoiceRow {
    InvoiceRow {
        id: InvoiceId::new(),
        supplier_id: supplier,
        invoice_number: number.into(),
        invoice_date: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
        purchase_order_id: po,
        currency: "GBP".into(),
        total: money("19.80"),
        stated_total: Some(money("19.90")),
        note: None,
        created_by: UserId::new(),
        created_at: at(12, 9),
    }
}

async fn an_invoice_keeps_its_lines_and_receipts_and_its_number_once_per_supplier(store: S) {
    let s = seed(&store, "invoices").await;
    let (sup, si) = supplier_with_item(&store, &s).await;
    let po = po_row(1, &sup, s.location, PoStatus::Sent);
    let draft = po_row(2, &sup, s.location, PoStatus::Draft);
    let po_id = po.id;
    let receipt = GoodsReceiptRow {
        id: GoodsReceiptId::new(),
        purchase_order_id: Some(po_id),
        supplier_id: Some(sup.id),
        location_id: s.location,
        received_at: at(11, 7),
        delivery_note: None,
        note: None,
        created_by: UserId::new(),
        created_at: at(11, 8),
    };
    let receipt_line = GoodsReceiptLineRow {
        line_no: 1,
        po_line_no: Some(1),
        supplier_item_id: Some(si.id),
        item_id: s.item,
        packs: Some(q("2")),
        quantity: Quantity::from_raw(si.pack_quantity.raw() * 2),
        price_per_pack: Some(money("9.60")),
        unit_cost: money("0.0016"),
        value: money("19.20"),
        ordered_price_per_pack: Some(money("9.60")),
        substituted: false,
        rejected_quantity: Quantity::ZERO,
        rejection_reason: None,
        lot_code: None,
        expires_on: None,
        movement_id: None,
        lot_id: None,
    };
    // Against the order, covering its receipt, one line billing the receipt's line; and a
    // second invoice of the same supplier with no order.
    let a = invoice_row("INV-1", sup.id, Some(po_id));
    let a_lines = vec![InvoiceLineRow {
        line_no: 1,
        supplier_item_id: si.id,
        item_id: s.item,
        packs: q("2"),
        quantity: receipt_line.quantity,
        price_per_pack: money("9.90"),
        line_total: money("19.80"),
        goods_receipt_id: Some(receipt.id),
        receipt_line_no: Some(1),
    }];
    let b = invoice_row("INV-2", sup.id, None);
    let dup = invoice_row("INV-1", sup.id, None);
    let (p, d, g, gl, ah, al, bh) = (
        po.clone(),
        draft.clone(),
        receipt.clone(),
        receipt_line.clone(),
        a.clone(),
        a_lines.clone(),
        b.clone(),
    );
    let (got, lines, covers, by_po, by_supplier, page2, expected, none_expected) =
        write(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.insert_purchase_order(&p, &[line(1, &si, 2, "0")])
                    .await?;
                tx.insert_purchase_order(&d, &[line(1, &si, 2, "0")])
                    .await?;
                tx.insert_goods_receipt(&g, &[gl]).await?;
                tx.insert_invoice(&ah, &[g.id], &al).await?;
                tx.insert_invoice(&bh, &[], &[]).await?;
                let all = InvoiceFilter {
                    supplier: Some(bh.supplier_id),
                    limit: 10,
                    ..Default::default()
                };
                let from = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
                let to = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
                Ok((
                    tx.get_invoice(ah.id).await?,
                    tx.invoice_lines(ah.id).await?,
                    tx.invoice_receipts(ah.id).await?,
                    tx.list_invoices(&InvoiceFilter {
                        purchase_order: Some(p.id),
                        limit: 10,
                        ..Default::default()
                    })
                    .await?,
                    tx.list_invoices(&all).await?,
                    tx.list_invoices(&InvoiceFilter {
                        before: Some(bh.id),
                        ..all.clone()
                    })
                    .await?,
                    tx.purchase_orders_expected(
                        from,
                        to,
                        Some(p.supplier_id),
                        LocationScope::All,
                        10,
                    )
                    .await?,
                    tx.purchase_orders_expected(to, to, None, LocationScope::All, 10)
                        .await?,
                ))
            })
        })
        .await;
    assert_eq!(got, Some(a.clone()));
    assert_eq!(lines, a_lines);
    assert_eq!(covers, vec![receipt.id]);
    assert_eq!(by_po.iter().map(|i| i.id).collect::<Vec<_>>(), vec![a.id]);
    assert_eq!(
        by_supplier.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![b.id, a.id]
    );
    assert_eq!(page2.iter().map(|i| i.id).collect::<Vec<_>>(), vec![a.id]);
    // The draft is not agreed with the supplier: only the sent order is expected.
    assert_eq!(expected, vec![po.clone()]);
    assert!(none_expected.is_empty());
    let dup_err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_invoice(&dup, &[], &[]).await })
    })
    .await;
    assert_eq!(
        dup_err,
        Err(StoreError::Conflict {
            constraint: "invoices_invoice_number".into()
        })
    );
    // Another tenant sees none of it.
    let stranger = seed(&store, "invoices-other").await;
    let aid = a.id;
    let seen = read(&store, stranger.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_invoice(aid).await?,
                tx.invoice_lines(aid).await?,
                tx.invoice_receipts(aid).await?,
                tx.list_invoices(&InvoiceFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?,
            ))
        })
    })
    .await;
    assert_eq!(seen, (None, Vec::new(), Vec::new(), Vec::new()));
}
