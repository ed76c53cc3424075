//! inventory: the append-only stock ledger and the stock levels it keeps.

mod transfers;
pub use transfers::*;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::inventory::costing::Take;
use larder_core::inventory::{MovementKind, MovementOrder};
use larder_core::{
    BaseUnit, ItemId, LocationId, LotId, Money, MovementId, Quantity, SaleId, UserId,
};

use crate::{LocationScope, StoreError};

pub mod waste;
pub use waste::*;
mod production;
pub use production::*;
mod counts;
pub use counts::*;

/// The lot an increase opens: its code and expiry (or best-before) date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LotSpec {
    /// The supplier's lot or batch code.
    pub code: Option<String>,
    /// Expiry or best-before date.
    pub expires_on: Option<NaiveDate>,
    /// The exact value of what came in, when known (a receipt's packs x price per pack);
    /// `None`: quantity x unit cost.
    pub value: Option<Money>,
}

/// What a movement did to stock value (ADR 014). Set by [`InventoryTx::append_movements`]
/// and read back with the movement; ignored on input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Costing {
    /// Change to stock value, millionths of the currency: the purchase value of an
    /// increase (plus its `cost_variance`), minus the cost a decrease took.
    pub value: Money,
    /// Of an increase that settled a shortfall: provisional minus actual cost of what it
    /// settled (part of the cost of goods used).
    pub cost_variance: Money,
    /// Of a decrease: the quantity no lot covered, costed provisionally (flagged).
    pub shortfall: Quantity,
    /// Of an increase: the shortfall quantity it settled.
    pub settled: Quantity,
}

/// What [`InventoryTx::append_movements`] worked out for one movement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MovementCost {
    /// Its effect on stock value.
    pub costing: Costing,
    /// The lot an increase opened (none when it only settled a shortfall).
    pub lot_id: Option<LotId>,
    /// The lots a decrease took from, FEFO order, with the cost taken from each.
    pub taken: Vec<Take>,
}

/// One ledger row. `quantity` is the signed change to on hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovementRow {
    /// Id (UUIDv7: creation order).
    pub id: MovementId,
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Kind.
    pub kind: MovementKind,
    /// Signed change to on hand, thousandths of the base unit.
    pub quantity: Quantity,
    /// Cost per base unit at the time, when known.
    pub unit_cost: Option<Money>,
    /// Waste reason or adjustment reason.
    pub reason: Option<String>,
    /// The sale that caused it.
    pub sale_id: Option<SaleId>,
    /// Who recorded it.
    pub created_by: Option<UserId>,
    /// The mistaken movement this one compensates (same kind, opposite sign); a movement is
    /// reversed at most once (`stock_movements_reverses`).
    pub reverses: Option<MovementId>,
    /// When it happened in the kitchen.
    pub occurred_at: DateTime<Utc>,
    /// When Larder learned of it.
    pub recorded_at: DateTime<Utc>,
    /// Of an increase: the lot it opens (`None`: an undated lot without a code). Not stored
    /// on the movement (the lot names its movement); `None` when read back.
    pub lot: Option<LotSpec>,
    /// Its effect on stock value: worked out when appended (ignored on input).
    pub costing: Costing,
}

/// A lot as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotRow {
    /// Id.
    pub id: LotId,
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Lot or batch code.
    pub code: Option<String>,
    /// Expiry or best-before date.
    pub expires_on: Option<NaiveDate>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Quantity it opened with (after settling any shortfall), thousandths.
    pub received_quantity: Quantity,
    /// Cost per base unit, millionths.
    pub unit_cost: Money,
    /// Quantity left, thousandths.
    pub remaining: Quantity,
    /// Value of what is left, millionths.
    pub remaining_value: Money,
    /// The movement that opened it (`None` for stock on hand when lots were introduced).
    pub movement_id: Option<MovementId>,
}

/// Filters for listing lots, in FEFO order (earliest expiry first, undated last, then id).
#[derive(Clone, Debug, Default)]
pub struct LotFilter {
    /// Item.
    pub item_id: Option<ItemId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Only lots with stock left.
    pub open_only: bool,
    /// Only lots expiring on or before this date.
    pub expires_by: Option<NaiveDate>,
    /// Only lots at locations in this scope.
    pub scope: LocationScope,
    /// Keyset cursor: lots after this (expiry key `YYYY-MM-DD`, `9999-12-31` when undated; id).
    pub after: Option<(String, LotId)>,
    /// At most this many.
    pub limit: u32,
}

/// Quantity and value of one item at one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueRow {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// On hand, thousandths.
    pub on_hand: Quantity,
    /// Stock value, millionths.
    pub value: Money,
}

/// What to value.
#[derive(Clone, Debug, Default)]
pub struct ValueFilter {
    /// As of this instant (every movement that occurred at or before it); `None`: now, from
    /// the stock levels.
    pub as_of: Option<DateTime<Utc>>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Only stock at locations in this scope.
    pub scope: LocationScope,
}

/// What one kind of decrease used of one item at one location over a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsedRow {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Kind.
    pub kind: MovementKind,
    /// Quantity removed, thousandths (positive).
    pub quantity: Quantity,
    /// Cost of goods used, millionths (positive), including the cost variance of shortfalls
    /// settled in the period.
    pub cost: Money,
}

/// A period of the ledger by `occurred_at`: `[from, to)`.
#[derive(Clone, Debug)]
pub struct UsedFilter {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Only stock at locations in this scope.
    pub scope: LocationScope,
}

/// A stock level whose value or lots disagree with the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostMismatch {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// `value` (the level's value against the sum of its movements' values) or `lots` (the
    /// quantity left in its lots against on hand when positive, else zero).
    pub check: String,
    /// What the level says.
    pub recorded: i64,
    /// What the ledger or the lots add up to.
    pub expected: i64,
}

/// Filters for listing movements (newest first).
#[derive(Clone, Debug, Default)]
pub struct MovementFilter {
    /// Item.
    pub item_id: Option<ItemId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Kind.
    pub kind: Option<MovementKind>,
    /// `occurred_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to`.
    pub to: Option<DateTime<Utc>>,
    /// Only movements at locations in this scope.
    pub scope: LocationScope,
    /// Recorded (by id) or occurred (by `occurred_at`, then id) order, newest first.
    pub order: MovementOrder,
    /// Keyset cursor: movements before this id, in recorded order; in occurred order, before
    /// (`before_occurred`, this id).
    pub before: Option<MovementId>,
    /// The cursor's `occurred_at`, in occurred order.
    pub before_occurred: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: u32,
}

/// Filters for listing stock levels.
#[derive(Clone, Debug, Default)]
pub struct StockFilter {
    /// Location.
    pub location_id: Option<LocationId>,
    /// Item.
    pub item_id: Option<ItemId>,
    /// Only stock at locations in this scope.
    pub scope: LocationScope,
    /// Keyset cursor: rows after this (item name, item id, location id).
    pub after: Option<(String, ItemId, LocationId)>,
    /// At most this many.
    pub limit: u32,
}

/// On hand of one item at one location, with what is needed to flag it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevelRow {
    /// Item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Location.
    pub location_id: LocationId,
    /// On hand, thousandths.
    pub on_hand: Quantity,
    /// Par level there.
    pub par_level: Option<Quantity>,
    /// Reorder point there.
    pub reorder_point: Option<Quantity>,
    /// Last movement applied.
    pub updated_at: DateTime<Utc>,
}

/// A stock level that disagrees with its movements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerMismatch {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// What `stock_levels` says (zero when the row is missing).
    pub on_hand: Quantity,
    /// What the movements add up to.
    pub movements_sum: Quantity,
}

/// What a hand-posted movement needs to know before it is written, read in one statement:
/// the item (its base unit and current cost) and whether the location exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovementTarget {
    /// The item's base unit and cost per base unit; `None` when there is no such item.
    pub item: Option<(BaseUnit, Option<Money>)>,
    /// Whether the location exists.
    pub location_exists: bool,
}

/// The inventory port.
#[async_trait]
pub trait InventoryTx: Send {
    /// Appends movements, in order, and applies their sum per (item, location) to its stock
    /// level by an atomic increment, in (item, location) order so concurrent postings never
    /// deadlock (on PostgreSQL the increment also locks the levels, so one posting at a time
    /// reads and writes their lots). Each movement is costed through the level's lots
    /// ([`larder_core::inventory::costing`]): an increase settles any shortfall and opens a
    /// lot (`lot`'s code and expiry) at `unit_cost` for a receipt or opening, at the level's
    /// last cost (else `unit_cost`) for a correction; a decrease consumes lots FEFO under the
    /// tenant's valuation method. Returns each movement's cost, in input order.
    ///
    /// Other("on hand overflows") when a sum leaves `i64`, Other("the stock value is out of
    /// range") when a value does; Conflict `foreign_key` when an item, location or sale does
    /// not exist.
    async fn append_movements(
        &mut self,
        movements: &[MovementRow],
    ) -> Result<Vec<MovementCost>, StoreError>;
    /// The item and location a movement is about to name.
    async fn movement_target(
        &mut self,
        item: ItemId,
        location: LocationId,
    ) -> Result<MovementTarget, StoreError>;
    /// Stock levels with their item and par settings, by (item name, item id, location id).
    async fn list_stock(&mut self, filter: &StockFilter) -> Result<Vec<StockLevelRow>, StoreError>;
    /// One stock level (zero when never moved).
    async fn get_stock_level(
        &mut self,
        item: ItemId,
        location: LocationId,
    ) -> Result<Quantity, StoreError>;
    /// Movements, newest first, filtered.
    async fn list_movements(
        &mut self,
        filter: &MovementFilter,
    ) -> Result<Vec<MovementRow>, StoreError>;
    /// One movement.
    async fn get_movement(&mut self, id: MovementId) -> Result<Option<MovementRow>, StoreError>;
    /// Every item x location whose on hand differs from the sum of its movements.
    async fn ledger_mismatches(&mut self) -> Result<Vec<LedgerMismatch>, StoreError>;
    /// Every level whose value differs from the sum of its movements' values, or whose open
    /// lots do not hold exactly its positive on hand.
    async fn cost_mismatches(&mut self) -> Result<Vec<CostMismatch>, StoreError>;
    /// Lots in FEFO order, filtered.
    async fn list_lots(&mut self, filter: &LotFilter) -> Result<Vec<LotRow>, StoreError>;
    /// What a decrease took from each lot, in FEFO order of the lots.
    async fn movement_lots(&mut self, movement: MovementId) -> Result<Vec<Take>, StoreError>;
    /// Quantity and value per item and location, now or as of an instant.
    async fn stock_value(&mut self, filter: &ValueFilter) -> Result<Vec<ValueRow>, StoreError>;
    /// Quantity used and its cost per item, location and kind of decrease over a period.
    async fn goods_used(&mut self, filter: &UsedFilter) -> Result<Vec<UsedRow>, StoreError>;
}

/// The change a posting makes to one stock level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelDelta {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Sum of the posting's movements for it, thousandths.
    pub delta: i64,
    /// The latest `recorded_at` among them.
    pub at: DateTime<Utc>,
}

/// Sums movements per (item, location), in that key order: the order every backend locks
/// stock levels in, so two postings touching the same levels cannot deadlock.
///
/// # Errors
/// [`StoreError::Other`] "on hand overflows" when a sum leaves `i64`.
pub fn level_deltas(movements: &[MovementRow]) -> Result<Vec<LevelDelta>, StoreError> {
    let mut sums: BTreeMap<(ItemId, LocationId), (i64, DateTime<Utc>)> = BTreeMap::new();
    for m in movements {
        let e = sums
            .entry((m.item_id, m.location_id))
            .or_insert((0, m.recorded_at));
        e.0 =
            e.0.checked_add(m.quantity.raw())
                .ok_or_else(|| StoreError::Other("on hand overflows".into()))?;
        e.1 = e.1.max(m.recorded_at);
    }
    Ok(sums
        .into_iter()
        .map(|((item_id, location_id), (delta, at))| LevelDelta {
            item_id,
            location_id,
            delta,
            at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn mv(item: ItemId, loc: LocationId, q: i64, sec: i64) -> MovementRow {
        MovementRow {
            id: MovementId::new(),
            item_id: item,
            location_id: loc,
            kind: MovementKind::Adjustment,
            quantity: Quantity::from_raw(q),
            unit_cost: None,
            reason: None,
            sale_id: None,
            created_by: None,
            reverses: None,
            occurred_at: Utc.timestamp_opt(sec, 0).single().unwrap_or_default(),
            recorded_at: Utc.timestamp_opt(sec, 0).single().unwrap_or_default(),
            lot: None,
            costing: Costing::default(),
        }
    }

    #[test]
    fn deltas_sum_per_level_in_key_order_with_the_latest_time() {
        let (a, b) = (ItemId::new(), ItemId::new());
        let l = LocationId::new();
        let d =
            level_deltas(&[mv(b, l, 5, 10), mv(a, l, -2, 30), mv(b, l, 7, 20)]).unwrap_or_default();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].item_id, d[0].delta), (a, -2));
        assert_eq!((d[1].item_id, d[1].delta, d[1].at.timestamp()), (b, 12, 20));
    }

    #[test]
    fn a_sum_beyond_i64_is_refused() {
        let (i, l) = (ItemId::new(), LocationId::new());
        assert!(level_deltas(&[mv(i, l, i64::MAX, 0), mv(i, l, 1, 0)]).is_err());
    }
}
