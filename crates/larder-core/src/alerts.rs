//! Alert rules and notification timing (ADR 028).
//!
//! A tenant sets rules of the kinds below. Each rule's condition is a set of *cases* (an item
//! below its reorder point at a location, one lot near its date, one overdue order...), each
//! with a stable key; an alert is raised once per case when it appears and resolved when it is
//! gone. Who hears of it, and when, is each member's preference: in the notification centre,
//! by email at once (held through quiet hours) or in a daily digest.

use std::fmt;
use std::str::FromStr;

use chrono::{Duration, NaiveDateTime, NaiveTime};

macro_rules! alert_kinds {
    ($($variant:ident => $name:literal, $doc:literal;)+) => {
        /// What a rule watches; `as_str` is its stable wire name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AlertKind {
            $(#[doc = $doc] $variant,)+
        }

        impl AlertKind {
            /// Every kind, in the order pages list them.
            pub const ALL: &'static [AlertKind] = &[$(AlertKind::$variant,)+];

            /// The wire name.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(AlertKind::$variant => $name,)+
                }
            }

            /// What it watches, in one sentence.
            #[must_use]
            pub const fn description(self) -> &'static str {
                match self {
                    $(AlertKind::$variant => $doc,)+
                }
            }
        }
    };
}

alert_kinds! {
    BelowReorderPoint => "below_reorder_point", "An item's stock at a location is below its reorder point.";
    LotExpiring => "lot_expiring", "A lot with stock left reaches its date within `days` days (or has passed it).";
    WasteOverValue => "waste_over_value", "A location's waste of the business day is worth more than `value`.";
    PoOverdue => "po_overdue", "An approved or sent purchase order is not fully received more than `days` days after its expected delivery date.";
    SupplierPriceUp => "supplier_price_up", "A supplier item's price, changed within the last 30 days, is more than `percent` % above the price before it.";
    CountVariance => "count_variance", "An item's latest approved count (within 90 days) found a variance worth more than `value` either way.";
}

impl AlertKind {
    /// The threshold a rule of this kind takes, by its field name in the API: `days`,
    /// `value` (money) or `percent`; `None` when it takes none.
    #[must_use]
    pub const fn threshold_field(self) -> Option<&'static str> {
        match self {
            AlertKind::BelowReorderPoint => None,
            AlertKind::LotExpiring | AlertKind::PoOverdue => Some("days"),
            AlertKind::WasteOverValue | AlertKind::CountVariance => Some("value"),
            AlertKind::SupplierPriceUp => Some("percent"),
        }
    }

    /// Whether a rule of this kind may be limited to one location (a supplier's prices are
    /// the tenant's, not a location's).
    #[must_use]
    pub const fn has_location(self) -> bool {
        !matches!(self, AlertKind::SupplierPriceUp)
    }

    /// A short title for lists and email subjects.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            AlertKind::BelowReorderPoint => "Below reorder point",
            AlertKind::LotExpiring => "Lot expiring",
            AlertKind::WasteOverValue => "Waste over limit",
            AlertKind::PoOverdue => "Purchase order overdue",
            AlertKind::SupplierPriceUp => "Supplier price up",
            AlertKind::CountVariance => "Count variance",
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AlertKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "must be one of {}",
                    AlertKind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Most days a `lot_expiring` or `po_overdue` rule may look ahead or allow.
pub const MAX_DAYS: i64 = 90;
/// The window of `supplier_price_up`: a price changed longer ago than this no longer alerts.
pub const PRICE_WINDOW: Duration = Duration::days(30);
/// The window of `count_variance`: counts approved longer ago than this no longer alert.
pub const COUNT_WINDOW: Duration = Duration::days(90);

/// Whether a price moving from `before` to `after` (any one currency unit: both per pack, in
/// millionths) rose by more than `percent_thousandths` thousandths of a percent (`5000` is
/// 5 %). Exact: `after x 100 000 > before x (100 000 + threshold)`. A rise from nothing is a
/// rise of any percent.
#[must_use]
pub fn price_rose_more_than(before: i64, after: i64, percent_thousandths: i64) -> bool {
    if after <= before {
        return false;
    }
    i128::from(after) * 100_000 > i128::from(before) * (100_000 + i128::from(percent_thousandths))
}

/// The rise from `before` to `after` in thousandths of a percent, rounded down; `None` from
/// nothing.
#[must_use]
pub fn rise_thousandths(before: i64, after: i64) -> Option<i64> {
    if before <= 0 {
        return None;
    }
    let r = (i128::from(after) - i128::from(before)) * 100_000 / i128::from(before);
    i64::try_from(r).ok()
}

/// A member's quiet hours: from `start` to `end` local time, across midnight when `end` comes
/// before `start` (22:00 to 07:00). Equal ends mean none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    /// When they start.
    pub start: NaiveTime,
    /// When they end (the held emails go then).
    pub end: NaiveTime,
}

impl QuietHours {
    /// Whether local time `t` falls in them (`start` included, `end` not).
    #[must_use]
    pub fn contains(self, t: NaiveTime) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => self.start <= t && t < self.end,
            std::cmp::Ordering::Greater => t >= self.start || t < self.end,
        }
    }
}

/// When an email about something that happened at local time `now` goes out: at once, or, in
/// quiet hours, when they end.
#[must_use]
pub fn immediate_due(now: NaiveDateTime, quiet: Option<QuietHours>) -> NaiveDateTime {
    match quiet {
        Some(q) if q.contains(now.time()) => {
            let end_today = now.date().and_time(q.end);
            if end_today > now {
                end_today
            } else {
                end_today + Duration::days(1)
            }
        }
        _ => now,
    }
}

/// When the daily digest that takes something that happened at local time `now` goes out: the
/// next `at` strictly after `now` (a digest sent at 07:00 holds what came before it).
#[must_use]
pub fn digest_due(now: NaiveDateTime, at: NaiveTime) -> NaiveDateTime {
    let today = now.date().and_time(at);
    if today > now {
        today
    } else {
        today + Duration::days(1)
    }
}

/// The digest's default hour when a member has not chosen one: 07:00 local time.
pub const DEFAULT_DIGEST_AT: NaiveTime = match NaiveTime::from_hms_opt(7, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
    }

    #[test]
    fn kinds_round_trip_and_name_their_threshold() {
        for k in AlertKind::ALL {
            assert_eq!(k.as_str().parse::<AlertKind>(), Ok(*k));
        }
        assert!("low".parse::<AlertKind>().is_err());
        assert_eq!(AlertKind::LotExpiring.threshold_field(), Some("days"));
        assert_eq!(AlertKind::BelowReorderPoint.threshold_field(), None);
        assert!(!AlertKind::SupplierPriceUp.has_location());
    }

    #[test]
    fn a_price_rise_is_compared_exactly() {
        // 10.00 -> 10.50 is exactly 5 %: not more than 5 %.
        assert!(!price_rose_more_than(10_000_000, 10_500_000, 5_000));
        assert!(price_rose_more_than(10_000_000, 10_500_001, 5_000));
        assert!(!price_rose_more_than(10_000_000, 9_000_000, 0));
        assert!(price_rose_more_than(0, 1, 50_000));
        assert_eq!(rise_thousandths(10_000_000, 10_750_000), Some(7_500));
        assert_eq!(rise_thousandths(0, 5), None);
    }

    #[test]
    fn quiet_hours_hold_email_until_they_end() {
        let night = QuietHours {
            start: hm(22, 0),
            end: hm(7, 0),
        };
        assert_eq!(
            immediate_due(at("2026-12-07 23:15"), Some(night)),
            at("2026-12-08 07:00")
        );
        assert_eq!(
            immediate_due(at("2026-12-08 03:00"), Some(night)),
            at("2026-12-08 07:00")
        );
        assert_eq!(
            immediate_due(at("2026-12-08 07:00"), Some(night)),
            at("2026-12-08 07:00")
        );
        assert_eq!(
            immediate_due(at("2026-12-08 12:00"), Some(night)),
            at("2026-12-08 12:00")
        );
        let lunch = QuietHours {
            start: hm(12, 0),
            end: hm(14, 30),
        };
        assert_eq!(
            immediate_due(at("2026-12-08 13:00"), Some(lunch)),
            at("2026-12-08 14:30")
        );
        assert_eq!(
            immediate_due(at("2026-12-08 13:00"), None),
            at("2026-12-08 13:00")
        );
    }

    #[test]
    fn a_digest_takes_what_came_before_its_hour() {
        assert_eq!(
            digest_due(at("2026-12-08 06:59"), DEFAULT_DIGEST_AT),
            at("2026-12-08 07:00")
        );
        assert_eq!(
            digest_due(at("2026-12-08 07:00"), DEFAULT_DIGEST_AT),
            at("2026-12-09 07:00")
        );
    }

    proptest! {
        #[test]
        fn an_email_is_never_due_before_it_happened_nor_in_quiet_hours(
            minute in 0i64..(3 * 24 * 60),
            s in 0u32..1440,
            e in 0u32..1440,
        ) {
            let now = at("2026-12-07 00:00") + Duration::minutes(minute);
            let q = QuietHours { start: hm(s / 60, s % 60), end: hm(e / 60, e % 60) };
            let due = immediate_due(now, Some(q));
            prop_assert!(due >= now);
            prop_assert!(due - now < Duration::days(1));
            prop_assert!(!q.contains(due.time()));
        }
    }
}
