//! inventory: waste entries (the document a waste posts: its reason and the waste movement of
//! each ingredient it took out), the waste report's sums, and what reversing a movement reads
//! (the movement that already reverses one, a lot by id). ADR 020.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::inventory::WasteReason;
use larder_core::{
    BaseUnit, ItemId, LocationId, LotId, Money, MovementId, Quantity, RecipeId, UserId,
    WasteEntryId,
};

use crate::{LocationScope, LotRow, MovementRow, StoreError};

/// A waste entry's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WasteEntryRow {
    /// Id (UUIDv7: creation order).
    pub id: WasteEntryId,
    /// Where it was thrown away.
    pub location_id: LocationId,
    /// Why.
    pub reason: WasteReason,
    /// What happened (required for `other`).
    pub note: Option<String>,
    /// The item wasted, for an entry by item.
    pub item_id: Option<ItemId>,
    /// The recipe wasted, for an entry by recipe (its ingredients were taken out).
    pub recipe_id: Option<RecipeId>,
    /// How much: thousandths of the item's base unit, or of the recipe's yield unit
    /// (positive).
    pub quantity: Quantity,
    /// The amount as it was typed ("2 packs + 150 g"), when typed.
    pub amount: Option<String>,
    /// When it happened (its movements' `occurred_at`).
    pub occurred_at: DateTime<Utc>,
    /// Who recorded it.
    pub created_by: UserId,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// One ingredient a waste entry took out of stock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WasteLineRow {
    /// 1-based, in item order.
    pub line_no: i32,
    /// The item taken out.
    pub item_id: ItemId,
    /// Quantity taken out, thousandths of its base unit (positive).
    pub quantity: Quantity,
    /// The cost it took from the lots (FEFO, at the tenant's valuation method), millionths
    /// (positive; includes a shortfall's provisional cost).
    pub value: Money,
    /// Its waste movement.
    pub movement_id: MovementId,
    /// The movement that reversed it, if any (read back; ignored on insert).
    pub reversed_by: Option<MovementId>,
}

/// Filters for listing waste entries, newest first.
#[derive(Clone, Debug, Default)]
pub struct WasteEntryFilter {
    /// At this location.
    pub location: Option<LocationId>,
    /// With this reason.
    pub reason: Option<WasteReason>,
    /// `occurred_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to`.
    pub to: Option<DateTime<Utc>>,
    /// Only entries at locations in this scope.
    pub scope: LocationScope,
    /// Keyset cursor: entries before this id.
    pub before: Option<WasteEntryId>,
    /// At most this many.
    pub limit: u32,
}

/// The waste movements of a period `[from, to)` by `occurred_at`, for the report.
#[derive(Clone, Debug)]
pub struct WasteReportFilter {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// One location.
    pub location: Option<LocationId>,
    /// Only locations in this scope.
    pub scope: LocationScope,
    /// At most this many rows (the caller asks one more to know it was cut).
    pub limit: u32,
}

/// Waste of one item at one location for one reason over a period. A reversal counts under
/// the reason of the movement it reverses, so a reversed entry nets to nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WasteTotalRow {
    /// Item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Its category.
    pub category: Option<String>,
    /// Location.
    pub location_id: LocationId,
    /// Its name.
    pub location_name: String,
    /// The waste reason as stored on the movement (a hand-posted movement's free text is
    /// passed through; the app reads it as a [`WasteReason`] or `other`).
    pub reason: Option<String>,
    /// Quantity thrown away, net of reversals, thousandths (positive when wasted).
    pub quantity: Quantity,
    /// Its cost, net of reversals, millionths (positive when wasted).
    pub value: Money,
}

/// The cost of the waste that occurred at one instant (for grouping by business day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WasteInstantRow {
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Cost, net of reversals, millionths (positive when wasted).
    pub value: Money,
}

/// The waste port (part of [`TenantTx`](crate::TenantTx)): waste entries, the waste report's
/// sums, and what a reversal reads.
#[async_trait]
pub trait WasteTx: Send {
    /// Adds an entry with its lines (their movements already appended). Conflict
    /// `foreign_key` when a location, item, recipe or movement is not the tenant's.
    async fn insert_waste_entry(
        &mut self,
        entry: &WasteEntryRow,
        lines: &[WasteLineRow],
    ) -> Result<(), StoreError>;
    /// One entry's header.
    async fn get_waste_entry(
        &mut self,
        id: WasteEntryId,
    ) -> Result<Option<WasteEntryRow>, StoreError>;
    /// An entry's lines by line number, each with the movement that reversed it.
    async fn waste_entry_lines(
        &mut self,
        id: WasteEntryId,
    ) -> Result<Vec<WasteLineRow>, StoreError>;
    /// Entries, newest first, filtered.
    async fn list_waste_entries(
        &mut self,
        filter: &WasteEntryFilter,
    ) -> Result<Vec<WasteEntryRow>, StoreError>;
    /// Waste movements of a period summed per item, location and reason (a reversal under
    /// the reason of what it reverses), by item name, location name, reason.
    async fn waste_totals(
        &mut self,
        filter: &WasteReportFilter,
    ) -> Result<Vec<WasteTotalRow>, StoreError>;
    /// Waste movements of a period summed per `occurred_at` (a reversal at its own), in time
    /// order, at most `filter.limit` rows.
    async fn waste_by_instant(
        &mut self,
        filter: &WasteReportFilter,
    ) -> Result<Vec<WasteInstantRow>, StoreError>;
    /// The movement that reverses `movement`, if any.
    async fn reversal_of(
        &mut self,
        movement: MovementId,
    ) -> Result<Option<MovementRow>, StoreError>;
    /// One lot (emptied ones too).
    async fn get_lot(&mut self, id: LotId) -> Result<Option<LotRow>, StoreError>;
}
