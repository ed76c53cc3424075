//! procurement: purchase orders, their lines, status events and sent documents (ADR 013).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::procurement::purchase_orders::PoStatus;
use larder_core::{
    ItemId, LocationId, Money, PurchaseOrderId, Quantity, SupplierId, SupplierItemId, UserId,
};

use crate::{LocationScope, StoreError};

/// A purchase order's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrderRow {
    /// Id.
    pub id: PurchaseOrderId,
    /// The tenant's sequence number (shown as `PO-000001`), unique in the tenant.
    pub number: i64,
    /// Who it is ordered from.
    pub supplier_id: SupplierId,
    /// Where it is delivered.
    pub location_id: LocationId,
    /// Where it is in its life.
    pub status: PoStatus,
    /// ISO 4217 code of its prices (the supplier's).
    pub currency: String,
    /// When it should arrive (a local date).
    pub expected_delivery: NaiveDate,
    /// A note for the supplier.
    pub note: Option<String>,
    /// The sum of its line totals, in `currency`.
    pub total: Money,
    /// Edit version: 1 when created, one more at every edit and change of status.
    pub version: i64,
    /// Who created it.
    pub created_by: UserId,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// One line of a purchase order: whole packs of a supplier item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrderLineRow {
    /// 1, 2, ... in the order.
    pub line_no: i32,
    /// What is ordered.
    pub supplier_item_id: SupplierItemId,
    /// The supplier item's item (kept for the on-order sums).
    pub item_id: ItemId,
    /// Packs ordered, at least 1.
    pub packs: i32,
    /// One pack in the item's base unit, as when ordered.
    pub pack_quantity: Quantity,
    /// `packs` x `pack_quantity`, in the item's base unit.
    pub quantity: Quantity,
    /// Price of one pack, in the order's currency.
    pub price_per_pack: Money,
    /// `packs` x `price_per_pack`.
    pub line_total: Money,
    /// What goods receipts have received against it, in the base unit (0 until then).
    pub received_quantity: Quantity,
}

/// A change of a purchase order's status: who, when, from and to, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrderEventRow {
    /// The version of the PO this change made.
    pub version: i64,
    /// The status before (`None` for the creation).
    pub from_status: Option<PoStatus>,
    /// The status after.
    pub to_status: PoStatus,
    /// Who.
    pub actor: UserId,
    /// When.
    pub at: DateTime<Utc>,
    /// Why (a cancellation's or a short close's reason), if given.
    pub note: Option<String>,
}

/// Moving a purchase order from one status to another at a known version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrderStatusChange {
    /// The PO.
    pub id: PurchaseOrderId,
    /// The status it must be in.
    pub from: PoStatus,
    /// The status it goes to.
    pub to: PoStatus,
    /// The version it must be at; it becomes this plus one.
    pub expected_version: i64,
    /// Who.
    pub actor: UserId,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, if given.
    pub note: Option<String>,
}

/// A document rendered when a purchase order was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrderDocumentRow {
    /// `pdf` or `csv`.
    pub kind: String,
    /// Its media type (`application/pdf`, `text/csv; charset=utf-8`).
    pub content_type: String,
    /// The bytes, as sent.
    pub body: Vec<u8>,
    /// When it was rendered.
    pub rendered_at: DateTime<Utc>,
}

/// Which purchase orders to list: newest number first, `limit` at most, numbers below
/// `before` (the cursor), of the locations `scope` allows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurchaseOrderFilter {
    /// In this status.
    pub status: Option<PoStatus>,
    /// Of this supplier.
    pub supplier: Option<SupplierId>,
    /// Delivered to this location.
    pub location: Option<LocationId>,
    /// Only at the locations a limited member may see.
    pub scope: LocationScope,
    /// Numbers below this one (the previous page's last).
    pub before: Option<i64>,
    /// Rows at most.
    pub limit: u32,
}

/// What is on order of an item at a location: the base quantity of its open purchase orders'
/// lines (approved, sent, partially received) not yet received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnOrderRow {
    /// The item.
    pub item_id: ItemId,
    /// Where it is to be delivered.
    pub location_id: LocationId,
    /// Ordered and not yet received, in the item's base unit.
    pub quantity: Quantity,
}

/// The purchase-order part of the procurement port ([`crate::ProcurementTx`] requires it).
#[async_trait]
pub trait PurchaseOrderTx: Send {
    /// Allocates the tenant's next purchase order number (1, 2, ...), by bumping a counter
    /// row in this transaction: concurrent transactions wait for each other and never share a
    /// number, and a rolled-back one gives its number back.
    async fn next_purchase_order_number(&mut self) -> Result<i64, StoreError>;
    /// Adds a purchase order with its lines, and its first event (none to `po.status`, by
    /// `created_by` at `created_at`, at `po.version`). Conflict `purchase_orders_number` on a
    /// number taken; `Other` when the supplier, location or a supplier item is not the
    /// tenant's (the app checks first).
    async fn insert_purchase_order(
        &mut self,
        po: &PurchaseOrderRow,
        lines: &[PurchaseOrderLineRow],
    ) -> Result<(), StoreError>;
    /// Replaces a purchase order's header fields (supplier, location, currency, expected
    /// delivery, note, total, version; never its status, number or creator) and all its lines
    /// when its version is `expected_version`. NotFound when absent; Conflict
    /// `purchase_orders_version` when the version moved on.
    async fn update_purchase_order(
        &mut self,
        po: &PurchaseOrderRow,
        lines: &[PurchaseOrderLineRow],
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// Moves a purchase order from `change.from` to `change.to` when it is at
    /// `change.expected_version` and in `change.from`, bumping its version by one, and records
    /// the event at the new version. NotFound when absent; Conflict `purchase_orders_version`
    /// when its version or status moved on.
    async fn set_purchase_order_status(
        &mut self,
        change: &PurchaseOrderStatusChange,
    ) -> Result<(), StoreError>;
    /// One purchase order.
    async fn get_purchase_order(
        &mut self,
        id: PurchaseOrderId,
    ) -> Result<Option<PurchaseOrderRow>, StoreError>;
    /// A purchase order's lines by line number (none for an unknown id).
    async fn purchase_order_lines(
        &mut self,
        id: PurchaseOrderId,
    ) -> Result<Vec<PurchaseOrderLineRow>, StoreError>;
    /// A purchase order's status events, oldest first.
    async fn purchase_order_events(
        &mut self,
        id: PurchaseOrderId,
    ) -> Result<Vec<PurchaseOrderEventRow>, StoreError>;
    /// Purchase orders matching `filter`, newest number first.
    async fn list_purchase_orders(
        &mut self,
        filter: &PurchaseOrderFilter,
    ) -> Result<Vec<PurchaseOrderRow>, StoreError>;
    /// Keeps a document rendered for a purchase order. Conflict
    /// `purchase_order_documents_kind` when it has one of that kind (documents are never
    /// replaced).
    async fn insert_purchase_order_document(
        &mut self,
        id: PurchaseOrderId,
        document: &PurchaseOrderDocumentRow,
    ) -> Result<(), StoreError>;
    /// A purchase order's document of `kind` (`pdf`, `csv`).
    async fn purchase_order_document(
        &mut self,
        id: PurchaseOrderId,
        kind: &str,
    ) -> Result<Option<PurchaseOrderDocumentRow>, StoreError>;
    /// What is on order per item and location (at `location` only, when given): open
    /// purchase orders' line quantities less what was received, lines fully received left
    /// out; by item, then location.
    async fn on_order(
        &mut self,
        location: Option<LocationId>,
    ) -> Result<Vec<OnOrderRow>, StoreError>;
}
