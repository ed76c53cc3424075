//! procurement: the suppliers a tenant buys from, ([`purchase_orders`]) what it orders from
//! them, and ([`reorder`]) what reorder suggestions read.

mod goods_receipts;
mod invoices;
mod purchase_orders;
mod reorder;

pub use goods_receipts::*;
pub use invoices::*;
pub use purchase_orders::*;
pub use reorder::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{ItemId, LocationId, Money, Quantity, SupplierId, SupplierItemId};

use crate::StoreError;

/// A supplier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierRow {
    /// Id.
    pub id: SupplierId,
    /// Name, unique in the tenant.
    pub name: String,
    /// Where orders go.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// The tenant's account number with the supplier.
    pub account_number: Option<String>,
    /// Days orders are taken, as `OrderDays` writes them (`monday,thursday`).
    pub order_days: String,
    /// Days from order to delivery.
    pub lead_time_days: i32,
    /// Smallest order the supplier takes, in `currency`.
    pub min_order_value: Option<Money>,
    /// ISO 4217 code of the supplier's prices.
    pub currency: String,
    /// False when no longer ordered from (kept for history).
    pub active: bool,
    /// Edit version for `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// What a supplier sells: one of the tenant's items in the supplier's packs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierItemRow {
    /// Id.
    pub id: SupplierItemId,
    /// The supplier.
    pub supplier_id: SupplierId,
    /// The tenant's item.
    pub item_id: ItemId,
    /// The supplier's code, unique per supplier.
    pub supplier_sku: String,
    /// The supplier's description.
    pub description: Option<String>,
    /// GTIN of the outermost pack.
    pub gtin: Option<String>,
    /// The pack levels, outermost first, as JSON (`PackLevel`s).
    pub packs: String,
    /// One outermost pack in the item's base unit, thousandths.
    pub pack_quantity: Quantity,
    /// The smallest order, in packs.
    pub moq_packs: i32,
    /// Edit version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A supplier item's price per pack from `effective_from` on (until the next one's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierPriceRow {
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
    /// From when.
    pub effective_from: DateTime<Utc>,
    /// Price of one outermost pack, in the supplier's currency.
    pub price_per_pack: Money,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// The supplier item an item is bought as at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreferredSupplierRow {
    /// The item.
    pub item_id: ItemId,
    /// The location.
    pub location_id: LocationId,
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
}

/// The procurement port: suppliers here, purchase orders in [`PurchaseOrderTx`], goods
/// receipts in [`GoodsReceiptTx`], invoices in [`InvoiceTx`] and what reorder suggestions read
/// in [`ReorderTx`] (supertraits, so one context keeps one trait in `TenantTx`).
#[async_trait]
pub trait ProcurementTx: PurchaseOrderTx + GoodsReceiptTx + InvoiceTx + ReorderTx + Send {
    /// Adds a supplier. Conflict `suppliers_name` on a duplicate name.
    async fn insert_supplier(&mut self, supplier: &SupplierRow) -> Result<(), StoreError>;
    /// Replaces a supplier's fields when its version is `expected_version` (the row carries the
    /// next one). NotFound when absent; Conflict `suppliers_version` when the version moved on;
    /// Conflict `suppliers_name` on a duplicate name.
    async fn update_supplier(
        &mut self,
        supplier: &SupplierRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// One supplier.
    async fn get_supplier(&mut self, id: SupplierId) -> Result<Option<SupplierRow>, StoreError>;
    /// Suppliers by name, `limit` at most, after the cursor `(name, id)`; inactive ones only
    /// when `include_inactive`.
    async fn list_suppliers(
        &mut self,
        after: Option<(String, SupplierId)>,
        limit: u32,
        include_inactive: bool,
    ) -> Result<Vec<SupplierRow>, StoreError>;
    /// Adds a supplier item. Conflict `supplier_items_supplier_sku` when the supplier has the
    /// SKU; `Other` when its supplier or item is not the tenant's (the app checks first).
    async fn insert_supplier_item(&mut self, item: &SupplierItemRow) -> Result<(), StoreError>;
    /// One supplier item.
    async fn get_supplier_item(
        &mut self,
        id: SupplierItemId,
    ) -> Result<Option<SupplierItemRow>, StoreError>;
    /// Supplier items of a supplier and/or of an item (both `None`: all), by SKU.
    async fn list_supplier_items(
        &mut self,
        supplier: Option<SupplierId>,
        item: Option<ItemId>,
    ) -> Result<Vec<SupplierItemRow>, StoreError>;
    /// Appends a price. Conflict `supplier_item_prices_effective_from` when the supplier item
    /// has a price from that same instant (prices are never replaced).
    async fn insert_supplier_price(&mut self, price: &SupplierPriceRow) -> Result<(), StoreError>;
    /// A supplier item's prices, oldest first.
    async fn supplier_prices(
        &mut self,
        id: SupplierItemId,
    ) -> Result<Vec<SupplierPriceRow>, StoreError>;
    /// Makes a supplier item the preferred one of its item at a location (replacing the one
    /// before).
    async fn set_preferred_supplier(
        &mut self,
        row: &PreferredSupplierRow,
    ) -> Result<(), StoreError>;
    /// The preferred supplier items of an item, by location.
    async fn preferred_suppliers(
        &mut self,
        item: ItemId,
    ) -> Result<Vec<PreferredSupplierRow>, StoreError>;
}
