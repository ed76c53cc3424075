//! Reorder suggestions' rule (issue 8; ADR 017): how much of an item a location should order
//! now, from its par level or reorder point, what it has on hand and on order, its usage
//! and its preferred supplier item's packs, minimum order, lead time and order days. Pure and
//! exact: integers only (`i128` inside), no floats.
//!
//! The policy is the classic periodic-review "order-up-to" rule with a reorder point (an
//! (s, S) policy: Silver, Pyke & Thomas, *Inventory and Production Management in Supply
//! Chains*, 4th ed., ch. 6), with the lead-time demand projected from average daily usage:
//!
//! - daily usage `u` = what sales and production batches used over the last `N` days / `N`
//!   (kept as the exact fraction);
//! - the order placed now arrives on `expected_delivery(today, order days, lead time)`
//!   ([`super::purchase_orders::expected_delivery`]); the stock must last `d` days until then
//!   (`d` >= the lead time);
//! - projected stock at delivery `P = on hand + on order - u x d`;
//! - order when `P` < the reorder point (only a par level: when `P` < par);
//! - up to the par level, or without one up to `reorder point + u x c` where `c` is the
//!   supplier's order cycle (days from this order day to its next one; 1 when it takes
//!   orders every day or names no days): `need = target - P`, nothing when `need <= 0`;
//! - in whole packs, rounded **up** (never order short), and at least the minimum order.
//!
//! Rounding: the decision uses the exact fractions (everything is scaled by `N`); only what is
//! shown is rounded: daily usage and projected stock half to even to the thousandth, the
//! need up to the thousandth, packs up to a whole pack.

use chrono::{Datelike, NaiveDate};

use super::OrderDays;
use super::purchase_orders::{MAX_LINE_PACKS, expected_delivery};
use crate::Quantity;
use crate::decimal::div_round_half_even;

/// The sales history a suggestion averages by default, in days.
pub const DEFAULT_USAGE_DAYS: u32 = 28;
/// The shortest history a suggestion may average, in days.
pub const MIN_USAGE_DAYS: u32 = 7;
/// The longest history a suggestion may average, in days.
pub const MAX_USAGE_DAYS: u32 = 365;

/// What an item has and should have at a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stock {
    /// On hand now (may be negative: sales are never refused).
    pub on_hand: Quantity,
    /// Ordered on open purchase orders and not yet received.
    pub on_order: Quantity,
    /// Par level (order up to this).
    pub par_level: Option<Quantity>,
    /// Reorder point (order when below this).
    pub reorder_point: Option<Quantity>,
}

/// Sale usage over a history of `days` days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Removed by sales over the history, in the base unit (a negative sum counts as none).
    pub total: Quantity,
    /// The history's length in days, at least 1.
    pub days: u32,
}

impl Usage {
    /// Average daily usage, rounded half to even to the thousandth (for display; the rule
    /// uses the exact fraction).
    pub fn daily(self) -> Quantity {
        let n = i128::from(self.days.max(1));
        clamp(div_round_half_even(i128::from(self.total.raw().max(0)), n))
    }
}

/// How the preferred supplier sells and delivers the item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Supply {
    /// The days it takes orders (none: any day).
    pub order_days: OrderDays,
    /// Days from order to delivery.
    pub lead_time_days: i32,
    /// One pack in the item's base unit (positive).
    pub pack_quantity: Quantity,
    /// The smallest order, in packs.
    pub moq_packs: i32,
}

/// What to order of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// When an order placed now arrives (today, without a supplier).
    pub expected_delivery: NaiveDate,
    /// Days from today to that delivery: what the stock on hand must cover.
    pub days_until_delivery: i64,
    /// Average daily usage, half to even to the thousandth.
    pub daily_usage: Quantity,
    /// Projected stock at delivery, half to even to the thousandth.
    pub projected: Quantity,
    /// What it takes to reach the target, rounded up to the thousandth (positive).
    pub needed: Quantity,
    /// Whole packs to order, at least the minimum order (0 without a supplier).
    pub packs: i32,
    /// `packs` x the pack, in the base unit (`needed` without a supplier).
    pub quantity: Quantity,
}

/// A quantity from thousandths, held to [`Quantity`]'s range.
fn clamp(raw: i128) -> Quantity {
    let max = i128::from(Quantity::MAX_RAW);
    Quantity::from_raw(i64::try_from(raw.clamp(-max, max)).unwrap_or(0))
}

/// `ceil(num / den)` for a positive `den`.
fn div_ceil(num: i128, den: i128) -> i128 {
    let q = num.div_euclid(den);
    if num.rem_euclid(den) == 0 { q } else { q + 1 }
}

/// Days from `order_day` to the supplier's next order day after it: 1 when it takes orders
/// every day or names none, 7 when it takes them one day a week.
pub fn order_cycle_days(order_days: OrderDays, order_day: NaiveDate) -> i64 {
    if order_days == OrderDays::default() {
        return 1;
    }
    let mut day = order_day;
    for n in 1..=7 {
        day = day.succ_opt().unwrap_or(day);
        if order_days.contains(day.weekday()) {
            return n;
        }
    }
    7
}

/// What to order of one item at a location on `today`, by the policy of the module's doc;
/// `None` when it has neither a par level nor a reorder point, or when its projected stock at
/// delivery is at or above the point (or par) or the target is already reached.
///
/// Without a `supply` (no preferred supplier item) the order is assumed to arrive today, any
/// day being an order day: the suggestion then gives what is needed in the base unit and no
/// packs. Packs are capped at what one purchase order line may order
/// ([`MAX_LINE_PACKS`]) and at what a quantity can hold.
pub fn suggest(
    today: NaiveDate,
    stock: Stock,
    usage: Usage,
    supply: Option<Supply>,
) -> Option<Suggestion> {
    let trigger = stock.reorder_point.or(stock.par_level)?;
    let n = i128::from(usage.days.max(1));
    let used = i128::from(usage.total.raw().max(0));
    let (order_days, lead) = supply.map_or((OrderDays::default(), 0), |s| {
        (s.order_days, s.lead_time_days.max(0))
    });
    let delivery = expected_delivery(today, order_days, lead);
    let order_day = expected_delivery(today, order_days, 0);
    let days = (delivery - today).num_days().max(i64::from(lead));
    // Everything below is in thousandths x n, so u x d is exact.
    let projected_n = (i128::from(stock.on_hand.raw()) + i128::from(stock.on_order.raw())) * n
        - used * i128::from(days);
    if projected_n >= i128::from(trigger.raw()) * n {
        return None;
    }
    let target_n = match (stock.par_level, stock.reorder_point) {
        (Some(par), _) => i128::from(par.raw()) * n,
        (None, Some(point)) => {
            i128::from(point.raw()) * n + used * i128::from(order_cycle_days(order_days, order_day))
        }
        (None, None) => return None,
    };
    let need_n = target_n - projected_n;
    if need_n <= 0 {
        return None;
    }
    let needed = clamp(div_ceil(need_n, n));
    let (packs, quantity) = match supply {
        Some(s) if s.pack_quantity.raw() > 0 => {
            let pack = i128::from(s.pack_quantity.raw());
            let cap = i128::from(MAX_LINE_PACKS)
                .min(i128::from(Quantity::MAX_RAW) / pack)
                .max(1);
            let packs = div_ceil(need_n, pack * n)
                .max(i128::from(s.moq_packs.max(1)))
                .min(cap);
            let packs = i32::try_from(packs).unwrap_or(MAX_LINE_PACKS);
            (packs, clamp(i128::from(packs) * pack))
        }
        _ => (0, needed),
    };
    Some(Suggestion {
        expected_delivery: delivery,
        days_until_delivery: days,
        daily_usage: usage.daily(),
        projected: clamp(div_round_half_even(projected_n, n)),
        needed,
        packs,
        quantity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    /// 2026-12-07 is a Monday.
    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn stock(on_hand: &str, on_order: &str, par: Option<&str>, point: Option<&str>) -> Stock {
        Stock {
            on_hand: q(on_hand),
            on_order: q(on_order),
            par_level: par.map(q),
            reorder_point: point.map(q),
        }
    }

    /// 28 days of usage totalling `total` (so `total / 28` a day).
    fn usage(total: &str) -> Usage {
        Usage {
            total: q(total),
            days: 28,
        }
    }

    /// Orders on Mondays and Thursdays, 2 days' lead time, cases of 6 kg, at least `moq`.
    fn brakes(moq: i32) -> Supply {
        Supply {
            order_days: OrderDays::parse(&["monday", "thursday"]).unwrap(),
            lead_time_days: 2,
            pack_quantity: q("6000"),
            moq_packs: moq,
        }
    }

    #[test]
    fn it_orders_up_to_par_in_whole_packs_rounded_up() {
        // 14 kg used in 28 days: 500 g a day. Ordered Monday, delivered Wednesday: 2 days.
        // Projected 3000 - 1000 = 2000 g < point 4000; need 20000 - 2000 = 18000 g: 3 cases.
        let s = suggest(
            monday(),
            stock("3000", "0", Some("20000"), Some("4000")),
            usage("14000"),
            Some(brakes(1)),
        )
        .unwrap();
        assert_eq!(
            s.expected_delivery,
            NaiveDate::from_ymd_opt(2026, 12, 9).unwrap()
        );
        assert_eq!(
            (
                s.days_until_delivery,
                s.daily_usage,
                s.projected,
                s.needed,
                s.packs,
                s.quantity
            ),
            (2, q("500"), q("2000"), q("18000"), 3, q("18000"))
        );
        // One gram more needed is a fourth case, never a short order.
        let s = suggest(
            monday(),
            stock("2999", "0", Some("20000"), Some("4000")),
            usage("14000"),
            Some(brakes(1)),
        )
        .unwrap();
        assert_eq!((s.needed, s.packs, s.quantity), (q("18001"), 4, q("24000")));
    }

    #[test]
    fn the_minimum_order_raises_the_packs() {
        let s = suggest(
            monday(),
            stock("3000", "0", Some("8000"), Some("4000")),
            usage("14000"),
            Some(brakes(5)),
        )
        .unwrap();
        // Need 6000 g = 1 case, but the supplier takes 5 at least.
        assert_eq!((s.needed, s.packs, s.quantity), (q("6000"), 5, q("30000")));
    }

    #[test]
    fn what_is_on_order_counts_and_at_or_above_the_point_nothing_is_suggested() {
        // On order 2000 g lifts the projection to 4000 g: at the point, nothing to order.
        assert_eq!(
            suggest(
                monday(),
                stock("3000", "2000", Some("20000"), Some("4000")),
                usage("14000"),
                Some(brakes(1)),
            ),
            None
        );
        // 1999 g on order: projected 3999 g, below; 16001 g needed: 3 cases.
        let s = suggest(
            monday(),
            stock("3000", "1999", Some("20000"), Some("4000")),
            usage("14000"),
            Some(brakes(1)),
        )
        .unwrap();
        assert_eq!((s.projected, s.needed, s.packs), (q("3999"), q("16001"), 3));
        // Far above the point: nothing.
        assert_eq!(
            suggest(
                monday(),
                stock("50000", "0", Some("60000"), Some("4000")),
                usage("14000"),
                Some(brakes(1)),
            ),
            None
        );
    }

    #[test]
    fn without_a_par_level_or_a_reorder_point_it_is_not_listed() {
        assert_eq!(
            suggest(
                monday(),
                stock("-500", "0", None, None),
                usage("14000"),
                Some(brakes(1))
            ),
            None
        );
    }

    #[test]
    fn only_a_par_level_triggers_below_par() {
        // No point: below par triggers. Projected 10000 - 1000 = 9000 < par 12000: 3000 g,
        // one case.
        let s = suggest(
            monday(),
            stock("10000", "0", Some("12000"), None),
            usage("14000"),
            Some(brakes(1)),
        )
        .unwrap();
        assert_eq!((s.needed, s.packs), (q("3000"), 1));
        assert_eq!(
            suggest(
                monday(),
                stock("13000", "0", Some("12000"), None),
                usage("14000"),
                Some(brakes(1))
            ),
            None
        );
    }

    #[test]
    fn only_a_reorder_point_orders_a_cycle_of_usage_above_it() {
        // Ordered Monday, next order day Thursday: a 3-day cycle. Projected 2000 g, point
        // 4000 g: target 4000 + 3 x 500 = 5500 g, need 3500 g: one case.
        let s = suggest(
            monday(),
            stock("3000", "0", None, Some("4000")),
            usage("14000"),
            Some(brakes(1)),
        )
        .unwrap();
        assert_eq!((s.needed, s.packs), (q("3500"), 1));
        let thu = OrderDays::parse(&["thursday"]).unwrap();
        assert_eq!(
            order_cycle_days(thu, NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()),
            7
        );
        assert_eq!(order_cycle_days(OrderDays::default(), monday()), 1);
    }

    #[test]
    fn usage_is_exact_and_delivery_waits_for_the_next_order_day() {
        // 1000 g in 28 days (35.714... g a day, shown 35.714); ordered on a Tuesday the order
        // goes Thursday and arrives Saturday: 4 days, 142.857... g, so projected 857.142857...
        // (shown 857.143) below the point of 1000: par 2000 needs 1142.857..., 1142.858 up.
        let tuesday = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let s = suggest(
            tuesday,
            stock("1000", "0", Some("2000"), Some("1000")),
            usage("1000"),
            Some(Supply {
                pack_quantity: q("1000"),
                ..brakes(1)
            }),
        )
        .unwrap();
        assert_eq!(
            (
                s.days_until_delivery,
                s.daily_usage,
                s.projected,
                s.needed,
                s.packs
            ),
            (4, q("35.714"), q("857.143"), q("1142.858"), 2)
        );
    }

    #[test]
    fn without_a_supplier_it_gives_the_need_in_the_base_unit() {
        // No lead time: projected is on hand now; a negative on hand is made up too.
        let s = suggest(
            monday(),
            stock("-500", "0", Some("2000"), Some("1000")),
            usage("0"),
            None,
        )
        .unwrap();
        assert_eq!(
            (
                s.days_until_delivery,
                s.projected,
                s.needed,
                s.packs,
                s.quantity,
                s.expected_delivery
            ),
            (0, q("-500"), q("2500"), 0, q("2500"), monday())
        );
    }

    #[test]
    fn packs_are_capped_at_what_a_line_may_order() {
        let s = suggest(
            monday(),
            stock("0", "0", Some("999999999999"), None),
            usage("0"),
            Some(Supply {
                pack_quantity: q("0.001"),
                ..brakes(1)
            }),
        )
        .unwrap();
        assert_eq!(s.packs, MAX_LINE_PACKS);
    }
}
