//! The ledger's pure rules: movement kinds and their signs, waste reasons, stock flags.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::decimal::Quantity;

pub mod costing;
pub mod counts;
pub mod production;
pub mod transfers;
pub mod waste;

/// The order movements are listed in, newest first either way: by when Larder recorded them
/// (their id; the default), or by when they happened in the kitchen (`occurred_at`, then id).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MovementOrder {
    /// Newest recorded first.
    #[default]
    Recorded,
    /// Latest occurred first.
    Occurred,
}

/// Why a stock movement happened (DESIGN.md glossary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Stock present when the ledger starts.
    Opening,
    /// Goods received from a supplier.
    Receipt,
    /// Theoretical depletion by a sale.
    Sale,
    /// Stock thrown away, with a reason.
    Waste,
    /// A manual correction.
    Adjustment,
    /// The difference a stock count found.
    CountAdjustment,
    /// Stock sent to another location (leaves the sender's on hand; in transit until
    /// received).
    TransferOut,
    /// Stock received from another location.
    TransferIn,
    /// An ingredient a production batch consumed.
    ProductionUse,
    /// What a production batch made (a lot of the produced item).
    ProductionOutput,
}

impl MovementKind {
    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            MovementKind::Opening => "opening",
            MovementKind::Receipt => "receipt",
            MovementKind::Sale => "sale",
            MovementKind::Waste => "waste",
            MovementKind::Adjustment => "adjustment",
            MovementKind::CountAdjustment => "count_adjustment",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::ProductionUse => "production_use",
            MovementKind::ProductionOutput => "production_output",
        }
    }

    /// Every kind, in declaration order.
    pub const ALL: [MovementKind; 10] = [
        MovementKind::Opening,
        MovementKind::Receipt,
        MovementKind::Sale,
        MovementKind::Waste,
        MovementKind::Adjustment,
        MovementKind::CountAdjustment,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
        MovementKind::ProductionUse,
        MovementKind::ProductionOutput,
    ];

    /// Whether movements of this kind are posted only by their own document (a sale, a
    /// transfer, a production batch) and never by hand through `POST /stock-movements`.
    pub const fn is_document_only(self) -> bool {
        matches!(
            self,
            MovementKind::Sale
                | MovementKind::TransferOut
                | MovementKind::TransferIn
                | MovementKind::ProductionUse
                | MovementKind::ProductionOutput
        )
    }

    /// The signed change to on hand for a movement of this kind.
    ///
    /// Receipts, openings, transfers in and production output add; wastes, sales, transfers
    /// out and production use remove: for them `quantity` is the amount, given positive. Adjustments and count adjustments are the signed change itself.
    /// A zero quantity is refused for every kind.
    ///
    /// # Errors
    /// A message naming the rule broken.
    pub fn signed_delta(self, quantity: Quantity) -> Result<Quantity, &'static str> {
        if quantity.raw() == 0 {
            return Err("must not be zero");
        }
        match self {
            MovementKind::Opening
            | MovementKind::Receipt
            | MovementKind::TransferIn
            | MovementKind::ProductionOutput => {
                if quantity.is_negative() {
                    Err("must be positive for a receipt or opening")
                } else {
                    Ok(quantity)
                }
            }
            MovementKind::Sale
            | MovementKind::Waste
            | MovementKind::TransferOut
            | MovementKind::ProductionUse => {
                if quantity.is_negative() {
                    Err("must be positive for waste or a sale (the amount removed)")
                } else {
                    quantity.checked_neg().ok_or("is out of range")
                }
            }
            MovementKind::Adjustment | MovementKind::CountAdjustment => Ok(quantity),
        }
    }
}

impl fmt::Display for MovementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MovementKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MovementKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown movement kind '{s}'"))
    }
}

/// Why stock was wasted; the usual categories of kitchen waste logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WasteReason {
    /// Went off before use.
    Spoilage,
    /// Past its use-by date.
    Expired,
    /// Made more than sold.
    Overproduction,
    /// Burnt, dropped, wrong order.
    PrepError,
    /// Sent back by a guest.
    Returned,
    /// Dropped or spilled.
    Dropped,
    /// Eaten by staff (a staff meal).
    StaffMeal,
    /// Anything else (the note says what).
    Other,
}

impl WasteReason {
    /// Every reason, in declaration order.
    pub const ALL: [WasteReason; 8] = [
        WasteReason::Spoilage,
        WasteReason::Expired,
        WasteReason::Overproduction,
        WasteReason::PrepError,
        WasteReason::Returned,
        WasteReason::Dropped,
        WasteReason::StaffMeal,
        WasteReason::Other,
    ];

    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            WasteReason::Spoilage => "spoilage",
            WasteReason::Expired => "expired",
            WasteReason::Overproduction => "overproduction",
            WasteReason::PrepError => "prep_error",
            WasteReason::Returned => "returned",
            WasteReason::Dropped => "dropped",
            WasteReason::StaffMeal => "staff_meal",
            WasteReason::Other => "other",
        }
    }
}

impl FromStr for WasteReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WasteReason::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown waste reason '{s}'"))
    }
}

/// What a manager should notice about a stock level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StockFlags {
    /// Theoretical on hand is below zero: sales recorded more than was received. Allowed
    /// (a late receipt or an unrecorded transfer) but shown, never hidden.
    pub negative: bool,
    /// On hand is below the reorder point set for this item at this location.
    pub low: bool,
}

impl StockFlags {
    /// Flags for `on_hand` given an optional reorder point.
    pub fn of(on_hand: Quantity, reorder_point: Option<Quantity>) -> Self {
        Self {
            negative: on_hand.is_negative(),
            low: reorder_point.is_some_and(|rp| on_hand < rp),
        }
    }
}

/// How much to receive (or order) so that `on_hand` reaches the `par` level, in whole packs of
/// `pack` (thousandths of the base unit): the shortfall rounded up to the next whole pack, or
/// zero when stock is at or above par. A pack that is not positive counts as one base unit
/// (1.000). `None` when the numbers leave `i64`.
///
/// This is the periodic-review order-up-to rule, the (R, S) policy of inventory-control texts
/// with S the par level: stock is reviewed at each delivery and brought back up to S.
pub fn order_up_to_par(on_hand: Quantity, par: Quantity, pack: Quantity) -> Option<Quantity> {
    let pack = if pack.raw() > 0 { pack.raw() } else { 1000 };
    let short = par.raw().checked_sub(on_hand.raw())?;
    if short <= 0 {
        return Some(Quantity::ZERO);
    }
    let packs = short.checked_add(pack - 1)? / pack;
    packs.checked_mul(pack).map(Quantity::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_follow_the_kind() {
        let q = Quantity::from_raw(2500);
        assert_eq!(MovementKind::Receipt.signed_delta(q), Ok(q));
        assert_eq!(
            MovementKind::Waste.signed_delta(q),
            Ok(Quantity::from_raw(-2500))
        );
        assert!(
            MovementKind::Waste
                .signed_delta(Quantity::from_raw(-1))
                .is_err()
        );
        assert!(
            MovementKind::Receipt
                .signed_delta(Quantity::from_raw(-1))
                .is_err()
        );
        assert_eq!(
            MovementKind::Adjustment.signed_delta(Quantity::from_raw(-7)),
            Ok(Quantity::from_raw(-7))
        );
        assert!(
            MovementKind::Adjustment
                .signed_delta(Quantity::ZERO)
                .is_err()
        );
    }

    #[test]
    fn flags() {
        let f = StockFlags::of(Quantity::from_raw(-1), Some(Quantity::from_raw(10)));
        assert!(f.negative && f.low);
        assert_eq!(
            StockFlags::of(Quantity::from_raw(10), Some(Quantity::from_raw(10))),
            StockFlags::default()
        );
        assert_eq!(
            StockFlags::of(Quantity::from_raw(0), None),
            StockFlags::default()
        );
    }

    #[test]
    fn order_up_to_par_rounds_the_shortfall_up_to_whole_packs() {
        let q = Quantity::from_raw;
        // 10 kg par, 3.2 kg on hand, 5 kg sacks: 6.8 kg short is two sacks.
        assert_eq!(
            order_up_to_par(q(3_200_000), q(10_000_000), q(5_000_000)),
            Some(q(10_000_000))
        );
        // Exactly one pack short.
        assert_eq!(
            order_up_to_par(q(5_000), q(10_000), q(5_000)),
            Some(q(5_000))
        );
        // At or above par: nothing.
        assert_eq!(
            order_up_to_par(q(10_000), q(10_000), q(5_000)),
            Some(Quantity::ZERO)
        );
        assert_eq!(
            order_up_to_par(q(12_000), q(10_000), q(5_000)),
            Some(Quantity::ZERO)
        );
        // Negative on hand (sold before it was counted in) is a larger shortfall.
        assert_eq!(
            order_up_to_par(q(-1_500), q(1_000), q(1_000)),
            Some(q(3_000))
        );
        // No pack size: whole base units.
        assert_eq!(
            order_up_to_par(q(0), q(2_500), Quantity::ZERO),
            Some(q(3_000))
        );
        assert_eq!(order_up_to_par(q(i64::MIN), q(i64::MAX), q(1)), None);
    }
}
