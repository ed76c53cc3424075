//! ETA accuracy, published per group (a business day and a channel, or any key the caller
//! chooses): how far the ready time predicted when an order was created was from when it was
//! actually ready.
//!
//! An order's error is `actual - predicted` in seconds: positive when it was ready later than
//! quoted. Per group: the mean absolute error, the bias (the mean signed error) and the share
//! of orders within [`WITHIN_SECS`] either way (inclusive), each rounded half to even — the
//! means to the second, the share to a thousandth of a percent (`85_000` is 85 %).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::decimal::div_round_half_even;

/// The window of "on time": 5 minutes either way.
pub const WITHIN_SECS: i64 = 300;

/// One group's accuracy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Accuracy {
    /// Orders counted.
    pub orders: u64,
    /// Mean of `|actual - predicted|`, seconds, half to even.
    pub mean_abs_error_secs: i64,
    /// Mean of `actual - predicted`, seconds, half to even (positive: late on average).
    pub bias_secs: i64,
    /// Orders with `|actual - predicted| <= WITHIN_SECS`.
    pub within: u64,
    /// `within / orders` in thousandths of a percent, half to even (0 without orders).
    pub within_thousandths_pct: i64,
}

/// Sums kept while counting a group.
#[derive(Default)]
struct Sums {
    n: i128,
    abs: i128,
    signed: i128,
    within: i128,
}

/// The accuracy of each group of `(group, predicted, actual)` samples, groups in key order.
pub fn eta_accuracy<K: Ord>(
    samples: impl IntoIterator<Item = (K, DateTime<Utc>, DateTime<Utc>)>,
) -> BTreeMap<K, Accuracy> {
    let mut sums: BTreeMap<K, Sums> = BTreeMap::new();
    for (key, predicted, actual) in samples {
        let err = i128::from((actual - predicted).num_seconds());
        let s = sums.entry(key).or_default();
        s.n += 1;
        s.abs += err.abs();
        s.signed += err;
        if err.abs() <= i128::from(WITHIN_SECS) {
            s.within += 1;
        }
    }
    sums.into_iter()
        .map(|(k, s)| {
            let n = s.n.max(1);
            let to_i64 =
                |v: i128| i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX });
            (
                k,
                Accuracy {
                    orders: u64::try_from(s.n).unwrap_or(u64::MAX),
                    mean_abs_error_secs: to_i64(div_round_half_even(s.abs, n)),
                    bias_secs: to_i64(div_round_half_even(s.signed, n)),
                    within: u64::try_from(s.within).unwrap_or(u64::MAX),
                    within_thousandths_pct: to_i64(div_round_half_even(s.within * 100_000, n)),
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::orders::Channel;
    use chrono::{NaiveDate, TimeDelta};
    use proptest::prelude::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_580_000 + secs, 0).unwrap()
    }

    #[test]
    fn accuracy_is_kept_per_day_and_channel() {
        let mon = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let tue = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let samples = vec![
            ((mon, Channel::Phone), t(0), t(120)),
            ((mon, Channel::Phone), t(0), t(-300)),
            ((mon, Channel::Phone), t(0), t(301)),
            ((mon, Channel::Online), t(0), t(0)),
            ((tue, Channel::Phone), t(0), t(-61)),
        ];
        let acc = eta_accuracy(samples);
        assert_eq!(acc.len(), 3);
        let phone = acc[&(mon, Channel::Phone)];
        // Errors 120, -300, 301: |e| mean 721 / 3 = 240.33 -> 240; bias 121 / 3 -> 40; two of
        // three within 5 minutes: 66.667 %.
        assert_eq!(
            phone,
            Accuracy {
                orders: 3,
                mean_abs_error_secs: 240,
                bias_secs: 40,
                within: 2,
                within_thousandths_pct: 66_667,
            }
        );
        assert_eq!(acc[&(mon, Channel::Online)].within_thousandths_pct, 100_000);
        assert_eq!(acc[&(tue, Channel::Phone)].bias_secs, -61);
        assert!(eta_accuracy(Vec::<((), _, _)>::new()).is_empty());
    }

    proptest! {
        #[test]
        fn accuracy_bounds_hold(errors in proptest::collection::vec(-3600i64..3600, 1..50)) {
            let acc = eta_accuracy(errors.iter().map(|&e| ((), t(0), t(0) + TimeDelta::seconds(e))));
            let a = acc[&()];
            prop_assert_eq!(a.orders as usize, errors.len());
            prop_assert!(a.mean_abs_error_secs >= a.bias_secs.abs());
            prop_assert!(a.mean_abs_error_secs <= errors.iter().map(|e| e.abs()).max().unwrap());
            prop_assert!((0..=100_000).contains(&a.within_thousandths_pct));
            let within = errors.iter().filter(|e| e.abs() <= WITHIN_SECS).count();
            prop_assert_eq!(a.within as usize, within);
            // Splitting into groups and merging their counts loses nothing.
            let split = eta_accuracy(errors.iter().enumerate().map(|(i, &e)| (i % 3, t(0), t(e))));
            prop_assert_eq!(split.values().map(|g| g.orders).sum::<u64>(), a.orders);
            prop_assert_eq!(split.values().map(|g| g.within).sum::<u64>(), a.within);
        }
    }
}
