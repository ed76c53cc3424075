//! procurement: the suppliers a tenant buys from.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{Money, SupplierId};

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

/// The procurement port.
#[async_trait]
pub trait ProcurementTx: Send {
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
}
