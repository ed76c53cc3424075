//! Stock counts' pure rules (issue 9, item 2; ADR 019): how a counted item's lines add up,
//! its book stock at the instant it was counted, its variance and flags, and the count
//! adjustment an approval posts.
//!
//! Counting while the kitchen trades: each line records when it was counted, and an item is
//! compared with the ledger **at that instant** (every movement with `occurred_at <=
//! counted_at`). Book stock then is worked out from on hand now minus what occurred after the
//! instant ([`book_at`]), so a sale during the count is neither lost (it happened after the
//! shelf was counted: it stays after the adjustment) nor double counted (it happened before:
//! the shelf already lacks it, and so does book stock at that instant).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::decimal::{Money, Quantity, div_round_half_even};

/// Which items a count covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountScope {
    /// Every item kept in the location's storage areas (or in one area), plus, for the whole
    /// location, every item with stock there that no area holds.
    Full,
    /// A chosen list of items (a cycle or partial count).
    Cycle,
}

/// Where a count is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountStatus {
    /// Counters are entering lines.
    Open,
    /// A manager approved it; its count adjustments are posted.
    Approved,
    /// Abandoned; it posted nothing.
    Cancelled,
}

macro_rules! spelled {
    ($t:ty, $($v:ident => $s:literal),*) => {
        impl $t {
            /// The stored and wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($s => Ok(Self::$v),)* _ => Err(format!("unknown value '{s}'")) }
            }
        }
    };
}

spelled!(CountScope, Full => "full", Cycle => "cycle");
spelled!(CountStatus, Open => "open", Approved => "approved", Cancelled => "cancelled");

/// When a variance is worth a manager's look: beyond `percent` of book stock in quantity, or
/// beyond `value` in money (either way, up or down).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Thresholds {
    /// Percent of book stock, as a decimal string (`"5"` is 5 %); stored in thousandths of a
    /// percent.
    pub percent: Quantity,
    /// Money, in the tenant's currency.
    pub value: Money,
}

impl Default for Thresholds {
    /// 5 % and 20.00: a count that moves a shelf by a twentieth, or by the price of a
    /// decent bottle, is worth a second look.
    fn default() -> Self {
        Self {
            percent: Quantity::from_raw(5_000),
            value: Money::from_raw(20_000_000),
        }
    }
}

/// An item's counted quantity over all the areas it was counted in, and the instant it is
/// compared with the ledger at: the **latest** of its lines' instants (ADR 019). A line
/// counted earlier in another area is taken as still true at that instant; the ledger does not
/// know which area a sale took from, so no instant is right for both areas, and the latest one
/// keeps every sale recorded up to the last shelf counted on the book side.
///
/// `None` when there are no lines; `None` too when the sum leaves the quantity range.
pub fn tally(lines: &[(Quantity, DateTime<Utc>)]) -> Option<(Quantity, DateTime<Utc>)> {
    let (first, rest) = lines.split_first()?;
    rest.iter().try_fold(*first, |(q, at), (lq, lat)| {
        Some((q.checked_add(*lq)?, at.max(*lat)))
    })
}

/// Book stock at `at`: on hand now minus every movement that occurred after `at`
/// (`later` holds `(occurred_at, signed quantity)` of movements of the same item and location;
/// those at or before `at` are ignored). `None` beyond the quantity range.
pub fn book_at(
    on_hand_now: Quantity,
    later: &[(DateTime<Utc>, Quantity)],
    at: DateTime<Utc>,
) -> Option<Quantity> {
    later
        .iter()
        .filter(|(occurred, _)| *occurred > at)
        .try_fold(on_hand_now, |q, (_, d)| q.checked_sub(*d))
}

/// The count adjustment that makes book stock at the counted instant equal the counted
/// quantity: `counted - book`, `None` when it is zero (nothing to post) or out of range.
pub fn adjustment(counted: Quantity, book: Quantity) -> Option<Quantity> {
    counted.checked_sub(book).filter(|d| d.raw() != 0)
}

/// An item's variance against book stock at its counted instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Variance {
    /// Counted minus book, base units (signed).
    pub quantity: Quantity,
    /// That quantity at the level's current cost (signed), in the tenant's currency; `None`
    /// when the item has no cost yet.
    pub value: Option<Money>,
    /// The quantity as a percent of book stock (signed, thousandths of a percent, rounded half
    /// to even); `None` when book stock is zero.
    pub percent: Option<Quantity>,
    /// Beyond a threshold: in percent (or any difference from zero book stock), or in value.
    pub flagged: bool,
}

impl Variance {
    /// The variance of `counted` against `book`, valued at `unit_cost` per base unit.
    /// `None` when the difference or its value leaves the range.
    pub fn of(
        counted: Quantity,
        book: Quantity,
        unit_cost: Option<Money>,
        t: Thresholds,
    ) -> Option<Self> {
        let quantity = counted.checked_sub(book)?;
        let value = match unit_cost {
            Some(c) => Some(quantity.cost_at(c)?),
            None => None,
        };
        let percent = if book.raw() == 0 {
            None
        } else {
            let raw = div_round_half_even(
                i128::from(quantity.raw()) * 100_000,
                i128::from(book.raw()).abs(),
            );
            Some(Quantity::from_raw(i64::try_from(raw).ok()?))
        };
        let by_quantity = match percent {
            Some(p) => p.raw().unsigned_abs() > t.percent.raw().unsigned_abs(),
            None => quantity.raw() != 0,
        };
        let by_value = value.is_some_and(|v| v.raw().unsigned_abs() > t.value.raw().unsigned_abs());
        Some(Self {
            quantity,
            value,
            percent,
            flagged: by_quantity || by_value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0)
            .single()
            .unwrap_or_default()
    }

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn lines_sum_and_take_the_latest_instant() {
        assert_eq!(tally(&[]), None);
        assert_eq!(
            tally(&[(q("2"), at(30)), (q("1.5"), at(90)), (q("0"), at(60))]),
            Some((q("3.5"), at(90)))
        );
    }

    #[test]
    fn book_at_an_instant_removes_what_occurred_after_it() {
        // On hand 7 now; a sale of 2 at t=50 and a receipt of 4 at t=100.
        let later = [(at(50), q("-2")), (at(100), q("4"))];
        assert_eq!(book_at(q("7"), &later, at(40)), Some(q("5")));
        assert_eq!(book_at(q("7"), &later, at(50)), Some(q("3")));
        assert_eq!(book_at(q("7"), &later, at(100)), Some(q("7")));
    }

    #[test]
    fn variance_flags_by_percent_or_value_and_zero_book() {
        let t = Thresholds::default();
        // 10 kg book, 9.6 counted: -4 %, -0.4 kg at 3.00/kg = -1.20: not flagged.
        let cost = Money::parse("0.003").ok();
        let v = Variance::of(q("9600"), q("10000"), cost, t);
        assert_eq!(
            v,
            Some(Variance {
                quantity: q("-400"),
                value: Money::parse("-1.2").ok(),
                percent: Some(q("-4")),
                flagged: false
            })
        );
        // -6 %: flagged.
        assert!(Variance::of(q("9400"), q("10000"), cost, t).is_some_and(|v| v.flagged));
        // 1 % but 30.00 of saffron: flagged by value.
        let saffron = Money::parse("3").ok();
        let v = Variance::of(q("1010"), q("1000"), saffron, t);
        assert!(v.is_some_and(|v| v.flagged && v.percent == Some(q("1"))));
        // Nothing on the book, something on the shelf.
        let v = Variance::of(q("1"), q("0"), None, t);
        assert!(v.is_some_and(|v| v.flagged && v.percent.is_none() && v.value.is_none()));
        // Exact match.
        assert!(Variance::of(q("5"), q("5"), cost, t).is_some_and(|v| !v.flagged));
        // A third of a percent, rounded half to even to the thousandth.
        let v = Variance::of(q("301"), q("300"), None, t);
        assert_eq!(v.and_then(|v| v.percent), Some(q("0.333")));
    }

    #[test]
    fn spellings_round_trip() {
        for s in [CountScope::Full, CountScope::Cycle] {
            assert_eq!(s.as_str().parse::<CountScope>(), Ok(s));
        }
        for s in [
            CountStatus::Open,
            CountStatus::Approved,
            CountStatus::Cancelled,
        ] {
            assert_eq!(s.as_str().parse::<CountStatus>(), Ok(s));
        }
        assert!("frozen".parse::<CountStatus>().is_err());
    }

    /// One thing that happens while a count is open, in the order Larder learns of it.
    #[derive(Clone, Debug)]
    enum Event {
        /// A sale (or any movement) of `qty` (signed) that occurred at `at`, possibly recorded
        /// late (backdated before lines already counted).
        Movement { at: i64, qty: i64 },
        /// A counter counts the shelf at `at`: what is physically there is the opening stock
        /// plus every movement that occurred at or before `at`, off by `error` (a miscount
        /// or a theft the count exists to find).
        Count { at: i64, error: i64 },
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            (0i64..1_000, -50_000i64..50_000).prop_map(|(at, qty)| Event::Movement { at, qty }),
            (0i64..1_000, -5_000i64..5_000).prop_map(|(at, error)| Event::Count { at, error }),
        ]
    }

    proptest! {
        /// For any interleaving of sales and count lines (a recount replacing the line before
        /// it), approving posts `counted - book(counted_at)` at `counted_at`, and on hand then
        /// equals the counted quantity plus everything that occurred after the counted
        /// instant: sales during the count are neither lost nor counted twice.
        #[test]
        fn on_hand_after_approval_is_counted_plus_what_happened_after(
            opening in 0i64..1_000_000,
            events in proptest::collection::vec(event(), 1..40),
        ) {
            let mut ledger: Vec<(DateTime<Utc>, Quantity)> =
                vec![(at(-1), Quantity::from_raw(opening))];
            let mut line: Option<(Quantity, DateTime<Utc>)> = None;
            for e in &events {
                match *e {
                    Event::Movement { at: t, qty } => {
                        ledger.push((at(t), Quantity::from_raw(qty)));
                    }
                    Event::Count { at: t, error } => {
                        let shelf: i64 = ledger
                            .iter()
                            .filter(|(o, _)| *o <= at(t))
                            .map(|(_, d)| d.raw())
                            .sum::<i64>()
                            + error;
                        line = Some((Quantity::from_raw(shelf), at(t)));
                    }
                }
            }
            let Some((counted, counted_at)) = line.and_then(|l| tally(&[l])) else {
                return Ok(());
            };
            let on_hand: i64 = ledger.iter().map(|(_, d)| d.raw()).sum();
            let book = book_at(Quantity::from_raw(on_hand), &ledger, counted_at);
            let Some(book) = book else { return Err(TestCaseError::fail("range")) };
            // Book at the instant is the ledger up to it.
            let upto: i64 = ledger.iter().filter(|(o, _)| *o <= counted_at).map(|(_, d)| d.raw()).sum();
            prop_assert_eq!(book.raw(), upto);
            let after_approval = on_hand + adjustment(counted, book).map_or(0, Quantity::raw);
            let after: i64 = ledger.iter().filter(|(o, _)| *o > counted_at).map(|(_, d)| d.raw()).sum();
            prop_assert_eq!(after_approval, counted.raw() + after);
            // And the adjustment itself is exactly the counter's error.
            prop_assert_eq!(counted.raw() - book.raw(), counted.raw() - upto);
        }
    }
}
