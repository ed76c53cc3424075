//! procurement's statements for invoices: headers, the receipts they cover, lines, and the
//! purchase orders expected in a period.

use async_trait::async_trait;
use chrono::NaiveDate;
use larder_core::{GoodsReceiptId, InvoiceId, SupplierId};

use crate::sql::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    InvoiceFilter, InvoiceLineRow, InvoiceRow, InvoiceTx, LocationScope, PurchaseOrderRow,
    StoreError,
};

const INSERT_INVOICE: &str = "INSERT INTO invoices (tenant_id, id, supplier_id, invoice_number,
     invoice_date, purchase_order_id, currency, total, stated_total, note, created_by,
     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const INSERT_COVERS: &str = "INSERT INTO invoice_receipts (tenant_id, invoice_id,
     goods_receipt_id) VALUES ($1, $2, $3)";
const INSERT_LINE: &str = "INSERT INTO invoice_lines (tenant_id, invoice_id, line_no,
     supplier_item_id, item_id, packs, quantity, price_per_pack, line_total, goods_receipt_id,
     receipt_line_no) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const GET_INVOICE: &str = "SELECT id, supplier_id, invoice_number, invoice_date,
     purchase_order_id, currency, total, stated_total, note, created_by, created_at
     FROM invoices WHERE tenant_id = $1 AND id = $2";
const LINES: &str = "SELECT line_no, supplier_item_id, item_id, packs, quantity, price_per_pack,
     line_total, goods_receipt_id, receipt_line_no
     FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY line_no";
const COVERS: &str = "SELECT goods_receipt_id FROM invoice_receipts
     WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY goods_receipt_id";
const LIST: &str = "SELECT i.id, i.supplier_id, i.invoice_number, i.invoice_date,
     i.purchase_order_id, i.currency, i.total, i.stated_total, i.note, i.created_by,
     i.created_at
     FROM invoices i WHERE i.tenant_id = $1
       AND ($2 IS NULL OR i.supplier_id = $2)
       AND ($3 IS NULL OR i.purchase_order_id = $3 OR i.id IN (
            SELECT ir.invoice_id FROM invoice_receipts ir
            JOIN goods_receipts g ON g.tenant_id = ir.tenant_id AND g.id = ir.goods_receipt_id
            WHERE ir.tenant_id = $1 AND g.purchase_order_id = $3))
       AND ($4 IS NULL OR i.id < $4)
     ORDER BY i.id DESC LIMIT $5";
const EXPECTED: &str = "SELECT id, number, supplier_id, location_id, status, currency,
     expected_delivery, note, total, version, created_by, created_at
     FROM purchase_orders WHERE tenant_id = $1
       AND expected_delivery >= $2 AND expected_delivery <= $3
       AND ($4 IS NULL OR supplier_id = $4)
       AND status IN ('approved', 'sent', 'partially_received', 'received', 'closed_short')
       AND ($5 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $5))
     ORDER BY supplier_id, expected_delivery, number LIMIT $6";

fn date(s: &str, what: &str) -> R<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Other(format!("{what} '{s}': {e}")))
}

fn invoice(mut r: Row) -> R<InvoiceRow> {
    Ok(InvoiceRow {
        id: r.get()?,
        supplier_id: r.get()?,
        invoice_number: r.get()?,
        invoice_date: date(&r.get::<String>()?, "invoice_date")?,
        purchase_order_id: r.get()?,
        currency: r.get()?,
        total: r.get()?,
        stated_total: r.get()?,
        note: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

fn line(mut r: Row) -> R<InvoiceLineRow> {
    Ok(InvoiceLineRow {
        line_no: r.get::<i64>()?.try_into().unwrap_or(0),
        supplier_item_id: r.get()?,
        item_id: r.get()?,
        packs: r.get()?,
        quantity: r.get()?,
        price_per_pack: r.get()?,
        line_total: r.get()?,
        goods_receipt_id: r.get()?,
        receipt_line_no: r.get::<Option<i64>>()?.and_then(|n| n.try_into().ok()),
    })
}

fn order(mut r: Row) -> R<PurchaseOrderRow> {
    Ok(PurchaseOrderRow {
        id: r.get()?,
        number: r.get()?,
        supplier_id: r.get()?,
        location_id: r.get()?,
        status: r.spelled()?,
        currency: r.get()?,
        expected_delivery: date(&r.get::<String>()?, "expected_delivery")?,
        note: r.get()?,
        total: r.get()?,
        version: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[async_trait]
impl<E: Exec> InvoiceTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, lines = lines.len()))]
    async fn insert_invoice(
        &mut self,
        i: &InvoiceRow,
        receipts: &[GoodsReceiptId],
        lines: &[InvoiceLineRow],
    ) -> R<()> {
        self.exec
            .execute(
                INSERT_INVOICE,
                args![
                    self.tenant,
                    i.id,
                    i.supplier_id,
                    i.invoice_number,
                    date_text(i.invoice_date),
                    i.purchase_order_id,
                    i.currency,
                    i.total,
                    i.stated_total,
                    i.note,
                    i.created_by,
                    i.created_at
                ],
            )
            .await?;
        for g in receipts {
            self.exec
                .execute(INSERT_COVERS, args![self.tenant, i.id, *g])
                .await?;
        }
        for l in lines {
            self.exec
                .execute(
                    INSERT_LINE,
                    args![
                        self.tenant,
                        i.id,
                        l.line_no,
                        l.supplier_item_id,
                        l.item_id,
                        l.packs,
                        l.quantity,
                        l.price_per_pack,
                        l.line_total,
                        l.goods_receipt_id,
                        l.receipt_line_no
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_invoice(&mut self, id: InvoiceId) -> R<Option<InvoiceRow>> {
        self.exec
            .fetch_optional(GET_INVOICE, args![self.tenant, id])
            .await?
            .map(invoice)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn invoice_lines(&mut self, id: InvoiceId) -> R<Vec<InvoiceLineRow>> {
        rows(
            self.exec.fetch_all(LINES, args![self.tenant, id]).await?,
            line,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn invoice_receipts(&mut self, id: InvoiceId) -> R<Vec<GoodsReceiptId>> {
        rows(
            self.exec.fetch_all(COVERS, args![self.tenant, id]).await?,
            |mut r| r.get(),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_invoices(&mut self, f: &InvoiceFilter) -> R<Vec<InvoiceRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST,
                    args![
                        self.tenant,
                        f.supplier,
                        f.purchase_order,
                        f.before,
                        i64::from(f.limit)
                    ],
                )
                .await?,
            invoice,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn purchase_orders_expected(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        supplier: Option<SupplierId>,
        scope: LocationScope,
        limit: u32,
    ) -> R<Vec<PurchaseOrderRow>> {
        rows(
            self.exec
                .fetch_all(
                    EXPECTED,
                    args![
                        self.tenant,
                        date_text(from),
                        date_text(to),
                        supplier,
                        scope.member(),
                        i64::from(limit)
                    ],
                )
                .await?,
            order,
        )
    }
}
