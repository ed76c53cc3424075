//! inventory: stock counts (issue 9, item 2; ADR 019). A count's header, its sheet (fixed when
//! it starts, in walking order), the lines counters enter (append-only: the newest line of an
//! item and area is the one that counts), what approval worked out per item, and the reads
//! variance needs (the location's levels, and the movements that occurred after an instant).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::inventory::counts::{CountScope, CountStatus, Thresholds};
use larder_core::{
    BaseUnit, ItemId, LocationId, Money, MovementId, Quantity, StockCountId, StorageAreaId, UserId,
};
use uuid::Uuid;

use crate::{LocationScope, StoreError};

/// A stock count's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockCountRow {
    /// Id (UUIDv7: start order).
    pub id: StockCountId,
    /// Where stock is counted.
    pub location_id: LocationId,
    /// The one storage area counted; `None`: the whole location (or a cycle count's items
    /// wherever they are kept).
    pub storage_area_id: Option<StorageAreaId>,
    /// Full or cycle.
    pub scope: CountScope,
    /// Book stock and variance hidden from counters (shown to whoever may approve).
    pub blind: bool,
    /// Open, approved or cancelled.
    pub status: CountStatus,
    /// When a variance is flagged.
    pub thresholds: Thresholds,
    /// A note.
    pub note: Option<String>,
    /// When it was started.
    pub started_at: DateTime<Utc>,
    /// Who started it.
    pub started_by: UserId,
    /// When it was approved (its adjustments posted).
    pub approved_at: Option<DateTime<Utc>>,
    /// Who approved it.
    pub approved_by: Option<UserId>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Who cancelled it.
    pub cancelled_by: Option<UserId>,
    /// Edit version for `If-Match`: moves on with every line entered and every status change.
    pub version: i64,
}

/// One row of a count sheet as written: an item to count in an area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountSheetRow {
    /// Walking order, 1-based.
    pub line_no: i32,
    /// The item.
    pub item_id: ItemId,
    /// The area it is kept in; `None`: no area holds it at this location.
    pub storage_area_id: Option<StorageAreaId>,
}

/// One row of a count sheet as read, with what a counter needs to see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountSheetLine {
    /// Walking order, 1-based.
    pub line_no: i32,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// The area; `None`: no area.
    pub storage_area_id: Option<StorageAreaId>,
    /// The area's name.
    pub area_name: Option<String>,
}

/// Where an item is kept at a location, as a count sheet is built from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetSourceRow {
    /// The item.
    pub item_id: ItemId,
    /// The storage area.
    pub storage_area_id: StorageAreaId,
}

/// An item's stock level at the counted location, with what values a variance and what
/// occurred after an instant (so book stock at any later instant is on hand minus them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountLevelRow {
    /// The item.
    pub item_id: ItemId,
    /// On hand now, thousandths.
    pub on_hand: Quantity,
    /// The level's last cost per base unit, else the item's cost (millionths).
    pub unit_cost: Option<Money>,
    /// `(occurred_at, signed quantity)` of its movements there that occurred after the
    /// instant asked for, in no particular order.
    pub later: Vec<(DateTime<Utc>, Quantity)>,
}

/// A counted line (append-only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountLineRow {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// The count.
    pub stock_count_id: StockCountId,
    /// The item.
    pub item_id: ItemId,
    /// The area it was counted in.
    pub storage_area_id: Option<StorageAreaId>,
    /// What was counted, thousandths of the base unit.
    pub quantity: Quantity,
    /// The amount as typed ("3 cases + 4 packs"), when given so.
    pub amount: Option<String>,
    /// Whether the item and area are on the count's sheet (a line off the sheet is kept and
    /// flagged).
    pub on_sheet: bool,
    /// When the shelf was counted (compared with the ledger at this instant).
    pub counted_at: DateTime<Utc>,
    /// Who counted.
    pub counted_by: UserId,
    /// When Larder learned of it.
    pub recorded_at: DateTime<Utc>,
}

/// What approval worked out for one item (append-only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountResultRow {
    /// The item.
    pub item_id: ItemId,
    /// Counted, over its areas; `None`: not counted (left unchanged unless zeroed).
    pub counted: Option<Quantity>,
    /// Book stock at `at`.
    pub book: Quantity,
    /// The instant compared: the latest of its lines' (the approval's for an uncounted item).
    pub at: DateTime<Utc>,
    /// The count adjustment posted (zero: none).
    pub adjustment: Quantity,
    /// Its movement.
    pub movement_id: Option<MovementId>,
}

/// Filters for listing counts, newest first.
#[derive(Clone, Debug, Default)]
pub struct StockCountFilter {
    /// At this location.
    pub location: Option<LocationId>,
    /// In this status.
    pub status: Option<CountStatus>,
    /// Only counts at locations in this scope.
    pub scope: LocationScope,
    /// Keyset cursor: counts before this id.
    pub before: Option<StockCountId>,
    /// At most this many.
    pub limit: u32,
}

/// A count leaving `open`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountStatusChange {
    /// The count.
    pub id: StockCountId,
    /// `approved` or `cancelled`.
    pub to: CountStatus,
    /// The version the caller read (`If-Match`); `None`: unconditional.
    pub expected_version: Option<i64>,
    /// Who.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// The stock counts port (part of `TenantTx`).
#[async_trait]
pub trait CountTx: Send {
    /// The items kept in a location's storage areas that are in use (one area, when given),
    /// in walking order: areas by position then name, items by shelf order then name.
    async fn count_sheet_source(
        &mut self,
        location: LocationId,
        area: Option<StorageAreaId>,
    ) -> Result<Vec<SheetSourceRow>, StoreError>;
    /// Every stock level at a location with its cost per base unit (the level's last cost,
    /// else the item's) and the movements there that occurred after `after`, by item id. One
    /// statement, so on PostgreSQL on hand and the movements are one snapshot: book stock at
    /// an instant worked out from them misses no posting that commits meanwhile.
    async fn count_book(
        &mut self,
        location: LocationId,
        after: DateTime<Utc>,
    ) -> Result<Vec<CountLevelRow>, StoreError>;
    /// Adds a count with its sheet. Conflict `foreign_key` when its location, area or an item
    /// is not the tenant's.
    async fn insert_stock_count(
        &mut self,
        count: &StockCountRow,
        sheet: &[CountSheetRow],
    ) -> Result<(), StoreError>;
    /// One count.
    async fn get_stock_count(
        &mut self,
        id: StockCountId,
    ) -> Result<Option<StockCountRow>, StoreError>;
    /// Counts, newest first, filtered.
    async fn list_stock_counts(
        &mut self,
        filter: &StockCountFilter,
    ) -> Result<Vec<StockCountRow>, StoreError>;
    /// A count's sheet in walking order, with item and area names.
    async fn stock_count_sheet(
        &mut self,
        id: StockCountId,
    ) -> Result<Vec<CountSheetLine>, StoreError>;
    /// Adds a counted line and moves the count's version on, while the count is open (on
    /// PostgreSQL the version's increment locks the count until commit, so a line and an
    /// approval never pass each other). Conflict `stock_counts_status` when the count is not
    /// open; NotFound when there is no such count.
    async fn insert_count_line(&mut self, line: &CountLineRow) -> Result<(), StoreError>;
    /// A count's lines, oldest recorded first (a later line of an item and area replaces an
    /// earlier one).
    async fn count_lines(&mut self, id: StockCountId) -> Result<Vec<CountLineRow>, StoreError>;
    /// Moves an open count to approved or cancelled, stamping who and when, and its version
    /// on. NotFound when there is no such count; Conflict `stock_counts_version` when it is no
    /// longer open or its version is not `expected_version` (the caller reads it again to say
    /// which).
    async fn set_stock_count_status(
        &mut self,
        change: &CountStatusChange,
    ) -> Result<(), StoreError>;
    /// Adds what approval worked out per item. Conflict on a second result for an item.
    async fn insert_count_results(
        &mut self,
        id: StockCountId,
        results: &[CountResultRow],
    ) -> Result<(), StoreError>;
    /// What approval worked out, by item id.
    async fn count_results(&mut self, id: StockCountId) -> Result<Vec<CountResultRow>, StoreError>;
}
