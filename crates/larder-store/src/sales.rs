//! sales: POS tickets and their lines, as recorded (their depletion is inventory's).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{LocationId, MenuItemId, Money, Quantity, SaleId};

use crate::{LocationScope, StoreError};

/// A sale (POS ticket) with its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleRow {
    /// Id.
    pub id: SaleId,
    /// Where it was sold.
    pub location_id: LocationId,
    /// `api`, or the import's source name, with `external_ref` the POS ticket number.
    pub source: String,
    /// The POS's ticket number; unique per source.
    pub external_ref: Option<String>,
    /// When sold.
    pub occurred_at: DateTime<Utc>,
    /// When recorded.
    pub recorded_at: DateTime<Utc>,
    /// Lines.
    pub lines: Vec<SaleLineRow>,
}

/// One line of a sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleLineRow {
    /// Order on the ticket.
    pub line_no: i32,
    /// The menu item, when the name mapped to one.
    pub menu_item_id: Option<MenuItemId>,
    /// The name as sold.
    pub item_name: String,
    /// Count sold, thousandths.
    pub quantity: Quantity,
    /// Price of one.
    pub unit_price: Money,
}

/// Filters for listing sales.
#[derive(Clone, Debug, Default)]
pub struct SaleFilter {
    /// `occurred_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to`.
    pub to: Option<DateTime<Utc>>,
    /// Only sales at locations in this scope.
    pub scope: LocationScope,
    /// Keyset cursor: sales with a smaller (occurred_at, id).
    pub before: Option<(DateTime<Utc>, SaleId)>,
    /// At most this many.
    pub limit: u32,
}

/// A name sold that maps to no menu item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmappedRow {
    /// The name as sold.
    pub item_name: String,
    /// How many lines carried it.
    pub lines: i64,
    /// Total count sold.
    pub quantity: Quantity,
}

/// A name the POS sells mapped by hand to a menu item (a POS alias).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleAliasRow {
    /// The name's key: trimmed, spaces collapsed, lowercase (`name_key` in the app).
    pub name_key: String,
    /// The name as first seen.
    pub item_name: String,
    /// The menu item it sells.
    pub menu_item_id: MenuItemId,
    /// When mapped.
    pub created_at: DateTime<Utc>,
}

/// The sales port.
#[async_trait]
pub trait SalesTx: Send {
    /// Adds sales with their lines. Conflict `sales_external_ref` when a (source, external
    /// ref) pair exists.
    async fn insert_sales(&mut self, sales: &[SaleRow]) -> Result<(), StoreError>;
    /// Which of these external refs of `source` are already stored.
    async fn existing_sale_refs(
        &mut self,
        source: &str,
        refs: &[String],
    ) -> Result<Vec<String>, StoreError>;
    /// One sale with its lines.
    async fn get_sale(&mut self, id: SaleId) -> Result<Option<SaleRow>, StoreError>;
    /// Sales with their lines, newest first.
    async fn list_sales(&mut self, filter: &SaleFilter) -> Result<Vec<SaleRow>, StoreError>;
    /// Sale lines at locations in `scope` that map to no menu item, grouped by the name sold,
    /// most lines first.
    async fn unmapped_sales(
        &mut self,
        scope: LocationScope,
    ) -> Result<Vec<UnmappedRow>, StoreError>;
    /// The tenant's saved sales-import mapping (a JSON document), if any.
    async fn get_import_mapping(&mut self) -> Result<Option<String>, StoreError>;
    /// Saves the tenant's sales-import mapping, replacing the previous one.
    async fn put_import_mapping(
        &mut self,
        mapping: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Every POS alias of the tenant, by name key.
    async fn list_sale_aliases(&mut self) -> Result<Vec<SaleAliasRow>, StoreError>;
    /// Maps a POS name to a menu item, replacing an earlier mapping of the same key. A foreign
    /// key refuses a menu item of another tenant (`Other`); the app checks it first.
    async fn put_sale_alias(&mut self, alias: &SaleAliasRow) -> Result<(), StoreError>;
}
