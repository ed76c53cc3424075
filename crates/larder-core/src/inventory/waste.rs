//! Waste and reversals, the pure rules (ADR 020): what a waste entry must say, how a waste
//! report is broken down, and which movement may be reversed by what.
//!
//! A mistaken movement is never edited: it is compensated by a movement of the same kind and
//! the opposite quantity that names it (`reverses`). A movement is reversed at most once, a
//! reversal is not itself reversed (post the movement again), and a movement its own document
//! posted (a sale, a transfer, a production batch) is reversed by reversing that document.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{MovementKind, WasteReason};
use crate::decimal::Quantity;

/// Whether a waste entry with `reason` needs a note: `other` must say what happened.
pub const fn needs_note(reason: WasteReason) -> bool {
    matches!(reason, WasteReason::Other)
}

/// How a waste report is broken down.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WasteGroup {
    /// One line per waste reason (the default).
    #[default]
    Reason,
    /// One line per item, with its quantity.
    Item,
    /// One line per location.
    Location,
    /// One line per business day (the tenant's time zone and day cutoff).
    Day,
    /// One line per item category (`""`: uncategorised).
    Category,
}

impl WasteGroup {
    /// Every grouping, in declaration order.
    pub const ALL: [WasteGroup; 5] = [
        WasteGroup::Reason,
        WasteGroup::Item,
        WasteGroup::Location,
        WasteGroup::Day,
        WasteGroup::Category,
    ];

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            WasteGroup::Reason => "reason",
            WasteGroup::Item => "item",
            WasteGroup::Location => "location",
            WasteGroup::Day => "day",
            WasteGroup::Category => "category",
        }
    }
}

impl fmt::Display for WasteGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WasteGroup {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WasteGroup::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| format!("unknown grouping '{s}'"))
    }
}

impl WasteReason {
    /// How the reason reads on a page ("Prep error", "Staff meal").
    pub const fn label(self) -> &'static str {
        match self {
            WasteReason::Spoilage => "Spoiled",
            WasteReason::Expired => "Expired",
            WasteReason::Overproduction => "Over-production",
            WasteReason::PrepError => "Prep error",
            WasteReason::Returned => "Returned",
            WasteReason::Dropped => "Dropped",
            WasteReason::StaffMeal => "Staff meal",
            WasteReason::Other => "Other",
        }
    }
}

/// Why a movement cannot be reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotReversible {
    /// It is itself a reversal: post the movement again instead.
    #[error("this movement is itself a reversal; post the movement again instead")]
    IsReversal,
    /// Its document posted it: reverse the document.
    #[error(
        "a {0} movement belongs to its document (the sale, transfer or production batch); reverse or correct the document instead"
    )]
    Document(MovementKind),
}

/// The quantity of the movement that reverses one of `kind` and signed `quantity`, which
/// itself reverses `reverses` (if anything): the opposite quantity, of the same kind.
///
/// # Errors
/// [`NotReversible`] for a reversal or a movement its document posted; `None` quantity (a
/// movement of `i64::MIN`, which the ledger never holds) is reported as a reversal refused.
pub fn reversal_quantity(
    kind: MovementKind,
    quantity: Quantity,
    reverses: bool,
) -> Result<Quantity, NotReversible> {
    if reverses {
        return Err(NotReversible::IsReversal);
    }
    if kind.is_document_only() {
        return Err(NotReversible::Document(kind));
    }
    quantity.checked_neg().ok_or(NotReversible::IsReversal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_reversal_is_the_opposite_quantity_of_the_same_kind() {
        assert_eq!(
            reversal_quantity(MovementKind::Waste, q("-250"), false),
            Ok(q("250"))
        );
        assert_eq!(
            reversal_quantity(MovementKind::Receipt, q("6000"), false),
            Ok(q("-6000"))
        );
        assert_eq!(
            reversal_quantity(MovementKind::Waste, q("250"), true),
            Err(NotReversible::IsReversal)
        );
        for k in MovementKind::ALL
            .into_iter()
            .filter(|k| k.is_document_only())
        {
            assert_eq!(
                reversal_quantity(k, q("-1"), false),
                Err(NotReversible::Document(k))
            );
        }
    }

    #[test]
    fn only_other_needs_a_note_and_groupings_round_trip() {
        for r in WasteReason::ALL {
            assert_eq!(needs_note(r), r == WasteReason::Other);
            assert!(!r.label().is_empty());
        }
        for g in WasteGroup::ALL {
            assert_eq!(g.as_str().parse::<WasteGroup>(), Ok(g));
        }
        assert!("week".parse::<WasteGroup>().is_err());
    }
}
