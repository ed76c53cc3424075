//! Learned task durations: what a task really takes at a station, from the last
//! [`WINDOW`] actual durations of that template task at that station, robust to the odd
//! outlier (a ticket left started through a rush, a bump forgotten, a double tap a second
//! after the start).
//!
//! The rule, exact in integers:
//!
//! 1. take the last [`WINDOW`] samples (seconds per unit, positive; others are ignored);
//! 2. with fewer than [`MIN_SAMPLES`], use the template's estimate;
//! 3. otherwise drop the outliers by the Hampel identifier: a sample is an outlier when its
//!    distance from the median is more than 2.5 x 1.4826 x the median absolute deviation (MAD)
//!    — F. R. Hampel, "The influence curve and its role in robust estimation", *JASA* 69
//!    (1974) 383-393, for the MAD rule; C. Leys et al., "Detecting outliers: Do not use
//!    standard deviation around the mean, use absolute deviation around the median", *Journal
//!    of Experimental Social Psychology* 49 (2013) 764-766, for the 1.4826 consistency
//!    constant and 2.5 as the recommended cut-off. When the MAD is 0 (most samples equal),
//!    only the samples equal to the median are kept;
//! 4. the learned duration is the mean of the samples kept, rounded half to even to the
//!    second.
//!
//! Samples are **per unit**: a line of 3 that took 360 s is a sample of 120 s
//! ([`per_unit_secs`]); the ETA multiplies back by the line's quantity.

use serde::Serialize;

use crate::decimal::div_round_half_even;

/// How many of the latest samples are averaged.
pub const WINDOW: usize = 20;
/// The fewest samples that replace the template's estimate (`K`). Five keeps one odd sample
/// from deciding while a new item still learns within its first evening.
pub const MIN_SAMPLES: usize = 5;
/// The Hampel cut-off, 2.5 x 1.4826 = 3.7065, in ten-thousandths.
const CUTOFF_TEN_THOUSANDTHS: i128 = 37_065;

/// Where a duration came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LearnedSource {
    /// The template's estimate: fewer than [`MIN_SAMPLES`] samples.
    Template,
    /// The samples' robust mean.
    Learned,
}

/// A task's expected duration per unit and how it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Learned {
    /// Seconds per unit.
    pub secs: i64,
    /// Template or learned.
    pub source: LearnedSource,
    /// Samples in the window (positive ones).
    pub samples: usize,
    /// Samples kept after dropping outliers (0 for the template).
    pub kept: usize,
}

/// Twice the median of sorted `v` (exact for an even count); 0 for none.
fn twice_median(v: &[i128]) -> i128 {
    let n = v.len();
    if n == 0 {
        0
    } else if n % 2 == 1 {
        2 * v[n / 2]
    } else {
        v[n / 2 - 1] + v[n / 2]
    }
}

/// The expected duration of one unit of a template task at a station, by the module's rule,
/// from `samples` (actual seconds per unit, oldest first; only the last [`WINDOW`] positive
/// ones count) and the template's `estimate_secs`.
pub fn learned_duration(samples: &[i64], estimate_secs: i64) -> Learned {
    let window: Vec<i64> = samples
        .iter()
        .rev()
        .copied()
        .filter(|&s| s > 0)
        .take(WINDOW)
        .collect();
    if window.len() < MIN_SAMPLES {
        return Learned {
            secs: estimate_secs,
            source: LearnedSource::Template,
            samples: window.len(),
            kept: 0,
        };
    }
    let mut sorted: Vec<i128> = window.iter().map(|&s| i128::from(s)).collect();
    sorted.sort_unstable();
    // In doubled units: m2 = 2 x median, d = |2x - m2| = 2 x |x - median|, and
    // mad2 = 2 x median(d) = 4 x MAD. Keep x when |x - median| <= 3.7065 x MAD, that is
    // d / 2 <= 3.7065 x mad2 / 4, that is 20 000 x d <= 37 065 x mad2.
    let m2 = twice_median(&sorted);
    let mut deviations: Vec<i128> = sorted.iter().map(|&x| (2 * x - m2).abs()).collect();
    deviations.sort_unstable();
    let mad2 = twice_median(&deviations);
    let kept: Vec<i128> = sorted
        .iter()
        .copied()
        .filter(|&x| 20_000 * (2 * x - m2).abs() <= CUTOFF_TEN_THOUSANDTHS * mad2)
        .collect();
    // Never empty (at least half the samples lie within one MAD of the median); the median
    // stands in all the same.
    let secs = if kept.is_empty() {
        div_round_half_even(m2, 2)
    } else {
        div_round_half_even(kept.iter().sum(), kept.len() as i128)
    };
    Learned {
        secs: i64::try_from(secs).unwrap_or(estimate_secs),
        source: LearnedSource::Learned,
        samples: window.len(),
        kept: kept.len(),
    }
}

/// One sample per unit from a task's actual duration over a line of `quantity` units, half to
/// even to the second; `None` for a quantity below 1 or a duration below 1 s.
pub fn per_unit_secs(actual_secs: i64, quantity: i64) -> Option<i64> {
    if quantity < 1 || actual_secs < 1 {
        return None;
    }
    i64::try_from(div_round_half_even(
        i128::from(actual_secs),
        i128::from(quantity),
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fewer_than_k_samples_keep_the_template_estimate() {
        let l = learned_duration(&[100, 110, 120, 130], 300);
        assert_eq!(
            (l.secs, l.source, l.samples),
            (300, LearnedSource::Template, 4)
        );
        let l = learned_duration(&[100, 110, 0, -5, 120, 130], 300);
        assert_eq!(l.source, LearnedSource::Template);
    }

    #[test]
    fn an_outlier_does_not_move_the_learned_duration() {
        // Median 125, MAD 15, cut-off 3.7065 x 15 = 55.6 s: 3600 is dropped, the rest kept.
        let l = learned_duration(&[100, 110, 120, 130, 140, 3600], 300);
        assert_eq!((l.secs, l.source, l.kept), (120, LearnedSource::Learned, 5));
        // A forgotten bump two seconds after the start is dropped too.
        let l = learned_duration(&[2, 100, 110, 120, 130, 140], 300);
        assert_eq!(l.secs, 120);
        // Most samples equal: only those are kept.
        let l = learned_duration(&[90, 90, 90, 90, 200, 90], 300);
        assert_eq!((l.secs, l.kept), (90, 5));
    }

    #[test]
    fn only_the_last_twenty_count_and_the_mean_rounds_half_to_even() {
        let mut samples = vec![1000; 30];
        samples.extend([100; 20]);
        assert_eq!(learned_duration(&samples, 5).secs, 100);
        // 100, 101, 102, 103, 104, 105: mean 102.5 -> 102.
        assert_eq!(
            learned_duration(&[100, 101, 102, 103, 104, 105], 5).secs,
            102
        );
        assert_eq!(per_unit_secs(360, 3), Some(120));
        assert_eq!(per_unit_secs(5, 2), Some(2));
        assert_eq!(per_unit_secs(7, 2), Some(4));
        assert_eq!(per_unit_secs(7, 0), None);
    }

    proptest! {
        #[test]
        fn the_learned_duration_lies_within_the_samples(
            samples in proptest::collection::vec(1i64..10_000, 0..40),
            estimate in 1i64..10_000,
        ) {
            let l = learned_duration(&samples, estimate);
            let window: Vec<i64> = samples.iter().rev().take(WINDOW).copied().collect();
            if window.len() < MIN_SAMPLES {
                prop_assert_eq!(l.secs, estimate);
            } else {
                let lo = *window.iter().min().unwrap();
                let hi = *window.iter().max().unwrap();
                prop_assert!(lo <= l.secs && l.secs <= hi);
                prop_assert!(l.kept * 2 >= window.len());
                // The order of the window does not matter.
                let mut reversed = window.clone();
                reversed.reverse();
                prop_assert_eq!(learned_duration(&reversed, estimate).secs, l.secs);
            }
        }

        #[test]
        fn one_wild_sample_is_ignored_among_steady_ones(
            base in 60i64..600,
            jitter in proptest::collection::vec(0i64..5, 9),
            wild in 20i64..100,
        ) {
            let mut samples: Vec<i64> = jitter.iter().map(|j| base + j).collect();
            let steady = learned_duration(&samples, 1).secs;
            samples.push(base * wild);
            let with_wild = learned_duration(&samples, 1).secs;
            prop_assert!((with_wild - steady).abs() <= 5);
        }
    }
}
