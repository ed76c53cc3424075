//! Purchase orders' rules that need no storage: the states a PO moves through and which
//! action moves it where, its human number, line arithmetic (exact, checked), when approval
//! needs its own scope, and the expected delivery date from a supplier's order days and lead
//! time. ADR 013.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::OrderDays;
use crate::{Money, Quantity};

/// Where a purchase order is in its life. `draft -> submitted -> approved -> sent ->
/// partially_received -> received`, or `cancelled` (before anything is received), or
/// `closed_short` (partly received, the rest will not come).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    /// Being written; the only state in which lines change.
    Draft,
    /// Waiting for approval.
    Submitted,
    /// Approved, not yet sent to the supplier.
    Approved,
    /// Sent to the supplier (its PDF and CSV rendered and kept).
    Sent,
    /// Some of it has arrived.
    PartiallyReceived,
    /// All of it has arrived.
    Received,
    /// Called off before anything arrived.
    Cancelled,
    /// Part arrived and the rest never will.
    ClosedShort,
}

impl PoStatus {
    /// Every state, in life order.
    pub const ALL: [PoStatus; 8] = [
        PoStatus::Draft,
        PoStatus::Submitted,
        PoStatus::Approved,
        PoStatus::Sent,
        PoStatus::PartiallyReceived,
        PoStatus::Received,
        PoStatus::Cancelled,
        PoStatus::ClosedShort,
    ];

    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            PoStatus::Draft => "draft",
            PoStatus::Submitted => "submitted",
            PoStatus::Approved => "approved",
            PoStatus::Sent => "sent",
            PoStatus::PartiallyReceived => "partially_received",
            PoStatus::Received => "received",
            PoStatus::Cancelled => "cancelled",
            PoStatus::ClosedShort => "closed_short",
        }
    }

    /// Whether goods are still expected against it: approved, sent or partially received
    /// (what a reorder suggestion counts as "on order").
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            PoStatus::Approved | PoStatus::Sent | PoStatus::PartiallyReceived
        )
    }

    /// The actions a person may take from this state, in the order a page offers them.
    pub fn actions(self) -> Vec<PoAction> {
        PoAction::ALL
            .into_iter()
            .filter(|a| a.apply(self, false).is_ok())
            .collect()
    }
}

impl fmt::Display for PoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PoStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PoStatus::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a purchase order status"))
    }
}

/// What a person does to a purchase order. Receiving is not here: goods receipts move a PO to
/// `partially_received` or `received` themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoAction {
    /// `draft -> submitted`.
    Submit,
    /// `submitted -> approved`.
    Approve,
    /// `approved -> sent`.
    Send,
    /// `draft | submitted | approved | sent -> cancelled`, while nothing is received.
    Cancel,
    /// `partially_received -> closed_short`.
    Close,
}

impl PoAction {
    /// Every action.
    pub const ALL: [PoAction; 5] = [
        PoAction::Submit,
        PoAction::Approve,
        PoAction::Send,
        PoAction::Cancel,
        PoAction::Close,
    ];

    /// The wire spelling (and the last segment of its endpoint).
    pub const fn as_str(self) -> &'static str {
        match self {
            PoAction::Submit => "submit",
            PoAction::Approve => "approve",
            PoAction::Send => "send",
            PoAction::Cancel => "cancel",
            PoAction::Close => "close",
        }
    }

    /// The state this action takes a PO in `from` to. `any_received` says whether goods have
    /// been received against it (a PO with receipts is never cancelled, only closed short).
    ///
    /// # Errors
    /// [`TransitionError`] saying why when the action is not allowed from `from`.
    pub fn apply(self, from: PoStatus, any_received: bool) -> Result<PoStatus, TransitionError> {
        use PoStatus as S;
        let to = match (self, from) {
            (PoAction::Submit, S::Draft) => S::Submitted,
            (PoAction::Approve, S::Submitted) => S::Approved,
            (PoAction::Send, S::Approved) => S::Sent,
            (PoAction::Cancel, S::Draft | S::Submitted | S::Approved | S::Sent)
                if !any_received =>
            {
                S::Cancelled
            }
            (PoAction::Close, S::PartiallyReceived) => S::ClosedShort,
            _ => {
                return Err(TransitionError {
                    action: self,
                    from,
                    any_received,
                });
            }
        };
        Ok(to)
    }
}

impl fmt::Display for PoAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action not allowed from a PO's state; its message says what is allowed instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionError {
    /// What was asked.
    pub action: PoAction,
    /// The state the PO is in.
    pub from: PoStatus,
    /// Whether goods were received against it.
    pub any_received: bool,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.action == PoAction::Cancel && self.any_received {
            return write!(
                f,
                "a purchase order with goods received cannot be cancelled; close it short instead"
            );
        }
        let allowed = self.from.actions();
        write!(
            f,
            "a {} purchase order cannot be {}",
            self.from.as_str().replace('_', " "),
            match self.action {
                PoAction::Submit => "submitted",
                PoAction::Approve => "approved",
                PoAction::Send => "sent",
                PoAction::Cancel => "cancelled",
                PoAction::Close => "closed short",
            }
        )?;
        if allowed.is_empty() {
            write!(f, " (it is final)")
        } else {
            let names: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
            write!(f, " (allowed: {})", names.join(", "))
        }
    }
}

impl std::error::Error for TransitionError {}

/// The human number of a tenant's `n`th purchase order: `PO-000001` (six digits at least).
pub fn po_number(n: i64) -> String {
    format!("PO-{n:06}")
}

/// The most packs one line may order.
pub const MAX_LINE_PACKS: i32 = 1_000_000;

/// The most lines one purchase order may have.
pub const MAX_LINES: usize = 200;

/// A line's cost: `packs` x `price_per_pack`, exactly; `None` beyond [`Money`]'s range.
pub fn line_total(packs: i32, price_per_pack: Money) -> Option<Money> {
    price_per_pack
        .raw()
        .checked_mul(i64::from(packs))
        .and_then(Money::checked_from_raw)
}

/// A line's quantity in the item's base unit: `packs` x one pack's base quantity, exactly;
/// `None` beyond [`Quantity`]'s range.
pub fn line_quantity(packs: i32, pack_quantity: Quantity) -> Option<Quantity> {
    pack_quantity
        .raw()
        .checked_mul(i64::from(packs))
        .and_then(Quantity::checked_from_raw)
}

/// A purchase order's total: the sum of its line totals; `None` beyond [`Money`]'s range.
pub fn order_total(line_totals: impl IntoIterator<Item = Money>) -> Option<Money> {
    line_totals
        .into_iter()
        .try_fold(Money::ZERO, Money::checked_add)
}

/// Whether approving a PO of `total` needs the `purchase_orders.approve` scope: when the
/// total is above the tenant's threshold (at it `purchase_orders.write` is enough), or when
/// the order is in another currency than the tenant's (its total cannot be compared with the
/// threshold); never when the tenant sets no threshold and the currencies agree (the
/// setting: "purchase orders above this total need approval; empty: none do").
pub fn approval_needs_scope(total: Money, threshold: Option<Money>, same_currency: bool) -> bool {
    !same_currency || threshold.is_some_and(|t| total > t)
}

/// When an order placed on `today` should arrive: the first day on or after `today` that the
/// supplier takes orders (any day when it names none), plus its lead time in days.
pub fn expected_delivery(
    today: NaiveDate,
    order_days: OrderDays,
    lead_time_days: i32,
) -> NaiveDate {
    let mut order_day = today;
    if order_days != OrderDays::default() {
        for _ in 0..7 {
            if order_days.contains(order_day.weekday()) {
                break;
            }
            order_day = order_day.succ_opt().unwrap_or(order_day);
        }
    }
    order_day
        .checked_add_days(chrono::Days::new(
            u64::try_from(lead_time_days).unwrap_or(0),
        ))
        .unwrap_or(order_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_moves_a_po_from_its_states_only() {
        use PoAction as A;
        use PoStatus as S;
        let happy = [
            (A::Submit, S::Draft, S::Submitted),
            (A::Approve, S::Submitted, S::Approved),
            (A::Send, S::Approved, S::Sent),
            (A::Close, S::PartiallyReceived, S::ClosedShort),
        ];
        for (a, from, to) in happy {
            assert_eq!(a.apply(from, false), Ok(to), "{a} from {from}");
        }
        for from in [S::Draft, S::Submitted, S::Approved, S::Sent] {
            assert_eq!(A::Cancel.apply(from, false), Ok(S::Cancelled));
        }
        // Nothing leaves a final state; anything received bars cancelling.
        for from in [S::Received, S::Cancelled, S::ClosedShort] {
            assert!(from.actions().is_empty(), "{from}");
        }
        let e = A::Cancel.apply(S::Sent, true).unwrap_err();
        assert!(e.to_string().contains("close it short"), "{e}");
        assert_eq!(
            A::Approve.apply(S::Draft, false).unwrap_err().to_string(),
            "a draft purchase order cannot be approved (allowed: submit, cancel)"
        );
        assert_eq!(
            A::Send.apply(S::Received, false).unwrap_err().to_string(),
            "a received purchase order cannot be sent (it is final)"
        );
        assert_eq!(S::PartiallyReceived.actions(), vec![A::Close]);
        assert!(S::Sent.is_open() && !S::Draft.is_open() && !S::Received.is_open());
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(s));
        }
    }

    #[test]
    fn numbers_totals_and_quantities_are_exact_and_checked() {
        assert_eq!(po_number(1), "PO-000001");
        assert_eq!(po_number(1_234_567), "PO-1234567");
        let price = Money::parse("9.60").unwrap();
        assert_eq!(line_total(3, price), Money::parse("28.80").ok());
        assert_eq!(line_total(2, Money::MAX), None);
        let pack = Quantity::parse("6000").unwrap();
        assert_eq!(line_quantity(4, pack), Quantity::parse("24000").ok());
        assert_eq!(line_quantity(1_000_000, Quantity::MAX), None);
        assert_eq!(
            order_total([price, Money::parse("0.40").unwrap()]),
            Money::parse("10").ok()
        );
        assert_eq!(order_total([Money::MAX, Money::MAX]), None);
    }

    #[test]
    fn approval_needs_the_scope_above_the_threshold_only() {
        let m = |s: &str| Money::parse(s).unwrap();
        assert!(!approval_needs_scope(m("1000000"), None, true));
        assert!(approval_needs_scope(m("1"), None, false));
        assert!(!approval_needs_scope(m("500"), Some(m("500")), true));
        assert!(approval_needs_scope(m("500.01"), Some(m("500")), true));
    }

    #[test]
    fn delivery_is_the_next_order_day_plus_the_lead_time() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 2026-12-07 is a Monday.
        let mon_thu = OrderDays::parse(&["monday", "thursday"]).unwrap();
        assert_eq!(
            expected_delivery(d("2026-12-07"), mon_thu, 2),
            d("2026-12-09")
        );
        assert_eq!(
            expected_delivery(d("2026-12-08"), mon_thu, 2),
            d("2026-12-12")
        );
        assert_eq!(
            expected_delivery(d("2026-12-12"), mon_thu, 1),
            d("2026-12-15")
        );
        assert_eq!(
            expected_delivery(d("2026-12-12"), OrderDays::default(), 0),
            d("2026-12-12")
        );
    }
}
