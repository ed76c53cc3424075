//! procurement's statements for goods receipts: headers, lines, and the received quantity
//! of purchase order lines.

use async_trait::async_trait;
use chrono::NaiveDate;
use larder_core::{GoodsReceiptId, PurchaseOrderId, Quantity};

use crate::sql::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{GoodsReceiptFilter, GoodsReceiptLineRow, GoodsReceiptRow, GoodsReceiptTx, StoreError};

const INSERT_RECEIPT: &str = "INSERT INTO goods_receipts (tenant_id, id, purchase_order_id,
     supplier_id, location_id, received_at, delivery_note, note, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const INSERT_LINE: &str = "INSERT INTO goods_receipt_lines (tenant_id, goods_receipt_id,
     line_no, po_line_no, supplier_item_id, item_id, packs, quantity, price_per_pack,
     unit_cost, value, ordered_price_per_pack, substituted, rejected_quantity,
     rejection_reason, lot_code, expires_on, movement_id, lot_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19)";
const GET_RECEIPT: &str = "SELECT id, purchase_order_id, supplier_id, location_id,
     received_at, delivery_note, note, created_by, created_at
     FROM goods_receipts WHERE tenant_id = $1 AND id = $2";
const RECEIPT_LINES: &str = "SELECT line_no, po_line_no, supplier_item_id, item_id, packs,
     quantity, price_per_pack, unit_cost, value, ordered_price_per_pack, substituted,
     rejected_quantity, rejection_reason, lot_code, expires_on, movement_id, lot_id
     FROM goods_receipt_lines WHERE tenant_id = $1 AND goods_receipt_id = $2
     ORDER BY line_no";
const LIST_RECEIPTS: &str = "SELECT id, purchase_order_id, supplier_id, location_id,
     received_at, delivery_note, note, created_by, created_at
     FROM goods_receipts WHERE tenant_id = $1
       AND ($2 IS NULL OR purchase_order_id = $2)
       AND ($3 IS NULL OR location_id = $3)
       AND ($4 IS NULL OR id < $4)
       AND ($6 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $6))
     ORDER BY id DESC LIMIT $5";
const ADD_RECEIVED: &str = "UPDATE purchase_order_lines
     SET received_quantity = received_quantity + $4
     WHERE tenant_id = $1 AND purchase_order_id = $2 AND line_no = $3";

fn receipt(mut r: Row) -> R<GoodsReceiptRow> {
    Ok(GoodsReceiptRow {
        id: r.get()?,
        purchase_order_id: r.get()?,
        supplier_id: r.get()?,
        location_id: r.get()?,
        received_at: r.get()?,
        delivery_note: r.get()?,
        note: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

fn line(mut r: Row) -> R<GoodsReceiptLineRow> {
    Ok(GoodsReceiptLineRow {
        line_no: r.get::<i64>()?.try_into().unwrap_or(0),
        po_line_no: r.get::<Option<i64>>()?.and_then(|n| n.try_into().ok()),
        supplier_item_id: r.get()?,
        item_id: r.get()?,
        packs: r.get()?,
        quantity: r.get()?,
        price_per_pack: r.get()?,
        unit_cost: r.get()?,
        value: r.get()?,
        ordered_price_per_pack: r.get()?,
        substituted: r.get::<i64>()? == 1,
        rejected_quantity: r.get()?,
        rejection_reason: r.get()?,
        lot_code: r.get()?,
        expires_on: r
            .get::<Option<String>>()?
            .map(|s| {
                NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .map_err(|_| StoreError::Other(format!("bad date '{s}'")))
            })
            .transpose()?,
        movement_id: r.get()?,
        lot_id: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> GoodsReceiptTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, lines = lines.len()))]
    async fn insert_goods_receipt(
        &mut self,
        g: &GoodsReceiptRow,
        lines: &[GoodsReceiptLineRow],
    ) -> R<()> {
        self.exec
            .execute(
                INSERT_RECEIPT,
                args![
                    self.tenant,
                    g.id,
                    g.purchase_order_id,
                    g.supplier_id,
                    g.location_id,
                    g.received_at,
                    g.delivery_note,
                    g.note,
                    g.created_by,
                    g.created_at
                ],
            )
            .await?;
        for l in lines {
            let expires = l.expires_on.map(|d| d.format("%Y-%m-%d").to_string());
            self.exec
                .execute(
                    INSERT_LINE,
                    args![
                        self.tenant,
                        g.id,
                        l.line_no,
                        l.po_line_no,
                        l.supplier_item_id,
                        l.item_id,
                        l.packs,
                        l.quantity,
                        l.price_per_pack,
                        l.unit_cost,
                        l.value,
                        l.ordered_price_per_pack,
                        i64::from(l.substituted),
                        l.rejected_quantity,
                        l.rejection_reason,
                        l.lot_code,
                        expires,
                        l.movement_id,
                        l.lot_id
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_goods_receipt(&mut self, id: GoodsReceiptId) -> R<Option<GoodsReceiptRow>> {
        self.exec
            .fetch_optional(GET_RECEIPT, args![self.tenant, id])
            .await?
            .map(receipt)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn goods_receipt_lines(&mut self, id: GoodsReceiptId) -> R<Vec<GoodsReceiptLineRow>> {
        rows(
            self.exec
                .fetch_all(RECEIPT_LINES, args![self.tenant, id])
                .await?,
            line,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_goods_receipts(&mut self, f: &GoodsReceiptFilter) -> R<Vec<GoodsReceiptRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_RECEIPTS,
                    args![
                        self.tenant,
                        f.purchase_order,
                        f.location,
                        f.before,
                        i64::from(f.limit),
                        f.scope.member()
                    ],
                )
                .await?,
            receipt,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn add_received_quantity(
        &mut self,
        order: PurchaseOrderId,
        line_no: i32,
        quantity: Quantity,
    ) -> R<()> {
        let n = self
            .exec
            .execute(ADD_RECEIVED, args![self.tenant, order, line_no, quantity])
            .await?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}
