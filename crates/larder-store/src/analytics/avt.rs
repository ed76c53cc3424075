//! analytics, actual vs theoretical (AvT, ADR 024): the grouped reads one AvT report makes for
//! one location and period, and the completeness gate's reads (unmapped sales, orders still to
//! come, counts not approved, days without sales). Each is one statement, grouped in SQL, so a
//! report costs a handful of queries whatever the number of items.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::inventory::MovementKind;
use larder_core::{BaseUnit, ItemId, LocationId, Money, Quantity, StockCountId, UserId};

use crate::StoreError;

/// Where one item's movements at a location fall against a period `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AvtBucket {
    /// Occurred before `from` (part of the opening book).
    Before,
    /// Occurred in `[from, to)`, of this kind.
    In(MovementKind),
    /// Occurred at or after `to` (after the closing book).
    After,
}

/// The sums of one item's movements at one location in one [`AvtBucket`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvtSumRow {
    /// Item.
    pub item_id: ItemId,
    /// Its name.
    pub name: String,
    /// Its category, if any.
    pub category: Option<String>,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Which movements.
    pub bucket: AvtBucket,
    /// Signed sum of their quantities, thousandths of the base unit.
    pub quantity: Quantity,
    /// Signed sum of their stored values (`stock_movements.value`), millionths.
    pub value: Money,
}

/// One item's stock level at a location now (on hand and stock value), for reading the book at
/// an instant backwards from today.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvtLevelRow {
    /// Item.
    pub item_id: ItemId,
    /// Its name.
    pub name: String,
    /// Its category, if any.
    pub category: Option<String>,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// On hand now, thousandths.
    pub on_hand: Quantity,
    /// Stock value now, millionths.
    pub value: Money,
}

/// How [`AvtTx::avt_movement_sums`] reads the book at the period's ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvtDirection {
    /// Sums the ledger from its start: the movements before `to`, split into
    /// [`AvtBucket::Before`] and the period's kinds (no levels). Cheaper for an early period.
    Forward,
    /// Sums from `from` to today: the period's kinds and [`AvtBucket::After`], plus the levels
    /// now; the book at an instant is the level minus what came after. Cheaper for a recent
    /// period.
    Backward,
}

/// A stock count's header, as AvT reads it (the counts context owns counting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvtCountRow {
    /// Id.
    pub id: StockCountId,
    /// Location counted.
    pub location_id: LocationId,
    /// `full` or `cycle`.
    pub scope: String,
    /// `open`, `approved` or `cancelled`.
    pub status: String,
    /// When counting started.
    pub started_at: DateTime<Utc>,
    /// Who started it.
    pub started_by: UserId,
    /// When it was approved (its count adjustments posted), if it was.
    pub approved_at: Option<DateTime<Utc>>,
}

/// A name sold at a location in a period that maps to no menu item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvtUnmappedRow {
    /// The name as the POS sent it.
    pub item_name: String,
    /// Sale lines with that name.
    pub lines: i64,
    /// Quantity sold, thousandths.
    pub quantity: Quantity,
}

/// A purchase order expected at a location and not fully received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvtOrderRow {
    /// The order's number.
    pub number: i64,
    /// Its status (`approved`, `sent`, `partially_received`).
    pub status: String,
    /// The day it is expected, `YYYY-MM-DD`.
    pub expected_delivery: String,
}

/// The AvT port (a supertrait of [`crate::AnalyticsTx`]).
#[async_trait]
pub trait AvtTx: Send {
    /// The first and last `occurred_at` of the movements at `location`, if any: what the
    /// report weighs to pick an [`AvtDirection`].
    async fn avt_ledger_span(
        &mut self,
        location: LocationId,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, StoreError>;
    /// The movements at `location` summed per item and [`AvtBucket`] against `[from, to)`
    /// (by `occurred_at`), each row with the item's name, category and unit. `Forward` reads
    /// the movements before `to` (buckets `Before` and `In`); `Backward` reads those at or
    /// after `from` (`In` and `After`). Items with no such movement have no row.
    async fn avt_movement_sums(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        direction: AvtDirection,
    ) -> Result<Vec<AvtSumRow>, StoreError>;
    /// The stock levels at `location` now (every item with a level row).
    async fn avt_levels(&mut self, location: LocationId) -> Result<Vec<AvtLevelRow>, StoreError>;
    /// Names sold at `location` in `[from, to)` with no menu item, by lines (most first) then
    /// name, `limit` at most.
    async fn avt_unmapped_sales(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AvtUnmappedRow>, StoreError>;
    /// Purchase orders for `location` expected on a day in `[first, last]` that are agreed
    /// with the supplier and not fully received (approved, sent, partially received), by
    /// number, `limit` at most.
    async fn avt_orders_due(
        &mut self,
        location: LocationId,
        first: NaiveDate,
        last: NaiveDate,
        limit: u32,
    ) -> Result<Vec<AvtOrderRow>, StoreError>;
    /// The business days (days since 1970-01-01 of `occurred_at + offset_seconds`) in
    /// `[from, to)` on which `location` recorded at least one sale, ascending. The caller
    /// picks the offset for a span where it is constant, as [`crate::AnalyticsTx::usage_by_day`].
    async fn avt_sale_days(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_seconds: i64,
    ) -> Result<Vec<i64>, StoreError>;
    /// One stock count's header (reads `stock_counts`).
    async fn avt_count(&mut self, id: StockCountId) -> Result<Option<AvtCountRow>, StoreError>;
    /// The counts of `location` still open that started before `before` (reads
    /// `stock_counts`), oldest first, `limit` at most.
    async fn avt_open_counts(
        &mut self,
        location: LocationId,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AvtCountRow>, StoreError>;
    /// The approved counts of `location` (reads `stock_counts`) approved in `[from, to]`
    /// (either end open when `None`), latest approval first, `limit` at most.
    async fn avt_approved_counts(
        &mut self,
        location: LocationId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<AvtCountRow>, StoreError>;
}
