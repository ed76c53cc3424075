//! procurement: supplier invoices, their lines and the goods receipts they cover, and the
//! purchase orders expected in a period that supplier performance reads (ADR 016).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::{
    GoodsReceiptId, InvoiceId, ItemId, Money, PurchaseOrderId, Quantity, SupplierId,
    SupplierItemId, UserId,
};

use crate::{LocationScope, PurchaseOrderRow, StoreError};

/// An invoice's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRow {
    /// Id (UUIDv7: creation order).
    pub id: InvoiceId,
    /// Who bills.
    pub supplier_id: SupplierId,
    /// The supplier's number, unique per supplier.
    pub invoice_number: String,
    /// The date printed on it (its prices are in force from it).
    pub invoice_date: NaiveDate,
    /// The purchase order it bills, if any.
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// ISO 4217 code (the supplier's).
    pub currency: String,
    /// The sum of its line totals, exactly.
    pub total: Money,
    /// The total printed on it, if given (a difference is a discrepancy, not an error).
    pub stated_total: Option<Money>,
    /// A note.
    pub note: Option<String>,
    /// Who entered it.
    pub created_by: UserId,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceLineRow {
    /// 1-based.
    pub line_no: i32,
    /// The supplier item billed.
    pub supplier_item_id: SupplierItemId,
    /// Its item.
    pub item_id: ItemId,
    /// Packs billed, thousandths of a pack.
    pub packs: Quantity,
    /// The same in the item's base unit, thousandths.
    pub quantity: Quantity,
    /// Price per pack.
    pub price_per_pack: Money,
    /// `packs` x `price_per_pack`, half even to the millionth.
    pub line_total: Money,
    /// The goods receipt whose line it bills, if named.
    pub goods_receipt_id: Option<GoodsReceiptId>,
    /// That receipt's line number.
    pub receipt_line_no: Option<i32>,
}

/// Which invoices to list: newest first, `limit` at most, ids below `before` (the cursor).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// Of this supplier.
    pub supplier: Option<SupplierId>,
    /// Billing this purchase order: against it, covering one of its receipts, or with a line
    /// billing one of its receipts' lines.
    pub purchase_order: Option<PurchaseOrderId>,
    /// Ids below this one (the previous page's last).
    pub before: Option<InvoiceId>,
    /// Rows at most.
    pub limit: u32,
}

/// The invoices part of the procurement port ([`crate::ProcurementTx`] requires it).
#[async_trait]
pub trait InvoiceTx: Send {
    /// Adds an invoice with the receipts it covers and its lines. Conflict
    /// `invoices_invoice_number` when the supplier has an invoice of that number; Conflict
    /// `foreign_key` when a supplier, order, receipt (line), supplier item or item is not the
    /// tenant's (the app checks first).
    async fn insert_invoice(
        &mut self,
        invoice: &InvoiceRow,
        receipts: &[GoodsReceiptId],
        lines: &[InvoiceLineRow],
    ) -> Result<(), StoreError>;
    /// One invoice's header.
    async fn get_invoice(&mut self, id: InvoiceId) -> Result<Option<InvoiceRow>, StoreError>;
    /// An invoice's lines, by line number (none for an unknown id).
    async fn invoice_lines(&mut self, id: InvoiceId) -> Result<Vec<InvoiceLineRow>, StoreError>;
    /// The goods receipts an invoice covers, by id.
    async fn invoice_receipts(&mut self, id: InvoiceId) -> Result<Vec<GoodsReceiptId>, StoreError>;
    /// Invoices matching `filter`, newest first.
    async fn list_invoices(
        &mut self,
        filter: &InvoiceFilter,
    ) -> Result<Vec<InvoiceRow>, StoreError>;
    /// Purchase orders expected from `from` to `to` (local dates, both included), of
    /// `supplier` when given, at the locations `scope` allows, that were agreed with the
    /// supplier (approved, sent, partially received, received or closed short; drafts,
    /// submitted and cancelled orders are left out); by supplier, then expected date, then
    /// number; `limit` at most.
    async fn purchase_orders_expected(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        supplier: Option<SupplierId>,
        scope: LocationScope,
        limit: u32,
    ) -> Result<Vec<PurchaseOrderRow>, StoreError>;
}
