//! procurement: goods receipts, their lines, and what they add to purchase order lines
//! (ADR 015).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::{
    GoodsReceiptId, ItemId, LocationId, LotId, Money, MovementId, PurchaseOrderId, Quantity,
    SupplierId, SupplierItemId, UserId,
};

use crate::{LocationScope, StoreError};

/// A goods receipt's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoodsReceiptRow {
    /// Id (UUIDv7: creation order).
    pub id: GoodsReceiptId,
    /// The purchase order it receives against; `None` for a walk-in purchase.
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// The supplier (the order's, or a walk-in's if named).
    pub supplier_id: Option<SupplierId>,
    /// Where it was received.
    pub location_id: LocationId,
    /// When it arrived (its movements' `occurred_at`).
    pub received_at: DateTime<Utc>,
    /// The supplier's delivery note or invoice number.
    pub delivery_note: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Who received it.
    pub created_by: UserId,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// One line of a goods receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoodsReceiptLineRow {
    /// 1-based.
    pub line_no: i32,
    /// The purchase order line it receives against.
    pub po_line_no: Option<i32>,
    /// The supplier item received, when named.
    pub supplier_item_id: Option<SupplierItemId>,
    /// The item received.
    pub item_id: ItemId,
    /// Packs accepted (thousandths of a pack), when received by supplier item.
    pub packs: Option<Quantity>,
    /// Quantity accepted, thousandths of the base unit (zero: all rejected).
    pub quantity: Quantity,
    /// Price per pack paid, when received by supplier item.
    pub price_per_pack: Option<Money>,
    /// Cost per base unit of the lot (millionths).
    pub unit_cost: Money,
    /// The accepted quantity's value, exactly (millionths).
    pub value: Money,
    /// The order line's price per pack, when against an order line.
    pub ordered_price_per_pack: Option<Money>,
    /// Another supplier item than the order line's was delivered.
    pub substituted: bool,
    /// Quantity refused at the door, thousandths of the base unit.
    pub rejected_quantity: Quantity,
    /// Why it was refused.
    pub rejection_reason: Option<String>,
    /// The lot's code.
    pub lot_code: Option<String>,
    /// The lot's expiry or best-before date.
    pub expires_on: Option<NaiveDate>,
    /// The receipt movement (none when nothing was accepted).
    pub movement_id: Option<MovementId>,
    /// The lot it opened (none when nothing was accepted, or all of it settled a shortfall).
    pub lot_id: Option<LotId>,
}

/// Filters for listing goods receipts, newest first.
#[derive(Clone, Debug, Default)]
pub struct GoodsReceiptFilter {
    /// Against this purchase order.
    pub purchase_order: Option<PurchaseOrderId>,
    /// At this location.
    pub location: Option<LocationId>,
    /// Only receipts at locations in this scope.
    pub scope: LocationScope,
    /// Keyset cursor: receipts before this id.
    pub before: Option<GoodsReceiptId>,
    /// At most this many.
    pub limit: u32,
}

/// The goods receipts port (part of [`ProcurementTx`](crate::ProcurementTx)).
#[async_trait]
pub trait GoodsReceiptTx: Send {
    /// Adds a receipt with its lines (their movements and lots already appended). Conflict
    /// `foreign_key` when an order, supplier, location, item, movement or lot is not the
    /// tenant's.
    async fn insert_goods_receipt(
        &mut self,
        receipt: &GoodsReceiptRow,
        lines: &[GoodsReceiptLineRow],
    ) -> Result<(), StoreError>;
    /// One receipt's header.
    async fn get_goods_receipt(
        &mut self,
        id: GoodsReceiptId,
    ) -> Result<Option<GoodsReceiptRow>, StoreError>;
    /// A receipt's lines, by line number.
    async fn goods_receipt_lines(
        &mut self,
        id: GoodsReceiptId,
    ) -> Result<Vec<GoodsReceiptLineRow>, StoreError>;
    /// Receipts, newest first, filtered.
    async fn list_goods_receipts(
        &mut self,
        filter: &GoodsReceiptFilter,
    ) -> Result<Vec<GoodsReceiptRow>, StoreError>;
    /// Adds `quantity` to what an order line has received. NotFound when there is no such
    /// line.
    async fn add_received_quantity(
        &mut self,
        order: PurchaseOrderId,
        line_no: i32,
        quantity: Quantity,
    ) -> Result<(), StoreError>;
}
