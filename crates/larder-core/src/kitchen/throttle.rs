//! Throttling by work, not by order count: the kitchen's day is cut into 5-minute slots
//! aligned on the clock (`12:00`, `12:05`...), each station type can do so many
//! station-seconds of work per slot (its stations' capacity x 300 s), and a new order is booked
//! into the earliest slot from which its work fits on top of what is already booked. Its
//! quoted time is then the end of the last slot it uses, so it includes the work already
//! queued ahead of it.
//!
//! Work is kept in station-seconds (a screen shows station-minutes, seconds / 60). The slot
//! that contains `now` offers only what is left of it, pro rata, rounded down.
//!
//! **Fitting.** An order's work of a station type that is more than one slot's capacity is
//! spread over the fewest consecutive slots that could hold it (`ceil(work / capacity)`),
//! taking what each has free in order; the order fits at slot `s` when, for every station type,
//! those slots from `s` have room for all of its work.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::eta::StationState;

/// A throttling slot's length in seconds: 5 minutes.
pub const SLOT_SECS: i64 = 300;
/// How far ahead a booking is searched, in slots (a day).
pub const MAX_SLOTS_AHEAD: i64 = 288;

/// The slot that contains `t`: its number since the Unix epoch.
pub fn slot_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(SLOT_SECS)
}

/// When slot `slot` starts; the latest instant chrono has for a slot beyond it.
pub fn slot_start(slot: i64) -> DateTime<Utc> {
    slot.checked_mul(SLOT_SECS)
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The station-seconds each station type can do per slot: the capacity of every station that
/// takes work (active, with staff on shift at `now`) times [`SLOT_SECS`], summed per type. A
/// station of several types counts fully for each (they share it, so this is generous there).
pub fn slot_capacity(stations: &[StationState], now: DateTime<Utc>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for s in stations {
        if !s.is_usable() || s.staffed_from.is_some_and(|t| t > now) {
            continue;
        }
        for ty in &s.station_types {
            let e = out.entry(ty.clone()).or_insert(0i64);
            *e = e.saturating_add(i64::from(s.capacity).saturating_mul(SLOT_SECS));
        }
    }
    out
}

/// Where a new order's work was booked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SlotBooking {
    /// The first slot it uses.
    pub first_slot: i64,
    /// When that slot starts (the order may be fired then).
    pub starts_at: DateTime<Utc>,
    /// The last slot it uses.
    pub last_slot: i64,
    /// When that slot ends: the quoted ready time.
    pub ready_by: DateTime<Utc>,
    /// Station-seconds booked per slot and station type (to add to `booked`).
    pub allocations: Vec<(i64, String, i64)>,
}

/// Why an order could not be booked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ThrottleError {
    /// The order needs a station type no working station has.
    #[error("no working station does '{station_type}'")]
    NoCapacity {
        /// The station type.
        station_type: String,
    },
    /// It does not fit within [`MAX_SLOTS_AHEAD`] slots.
    #[error("the kitchen is booked for the next {MAX_SLOTS_AHEAD} slots")]
    Full,
}

/// The earliest booking of `work` (station-seconds per station type) from the slot containing
/// `now` on (module doc). `booked` is the work already booked, per slot number and station
/// type; `capacity` each type's station-seconds per slot ([`slot_capacity`]). Work of zero or
/// less is ignored; an order with none is booked in the current slot.
///
/// # Errors
/// [`ThrottleError::NoCapacity`] for a type without capacity, [`ThrottleError::Full`] when no
/// slot within [`MAX_SLOTS_AHEAD`] fits.
pub fn earliest_slot(
    now: DateTime<Utc>,
    booked: &BTreeMap<i64, BTreeMap<String, i64>>,
    capacity: &BTreeMap<String, i64>,
    work: &BTreeMap<String, i64>,
) -> Result<SlotBooking, ThrottleError> {
    let current = slot_of(now);
    let left_now = SLOT_SECS - now.timestamp().rem_euclid(SLOT_SECS);
    let mut needs = Vec::new();
    for (ty, &w) in work {
        if w <= 0 {
            continue;
        }
        let cap = capacity.get(ty).copied().unwrap_or(0);
        if cap <= 0 {
            return Err(ThrottleError::NoCapacity {
                station_type: ty.clone(),
            });
        }
        let slots = w / cap + i64::from(w % cap != 0);
        if slots > MAX_SLOTS_AHEAD {
            return Err(ThrottleError::Full);
        }
        needs.push((ty, w, cap, slots));
    }
    let free = |slot: i64, ty: &String, cap: i64| -> i64 {
        let cap = if slot == current {
            // What is left of the current slot, pro rata, rounded down.
            i64::try_from(i128::from(cap) * i128::from(left_now) / i128::from(SLOT_SECS))
                .unwrap_or(0)
        } else {
            cap
        };
        let used = booked
            .get(&slot)
            .and_then(|b| b.get(ty))
            .copied()
            .unwrap_or(0);
        (cap - used).max(0)
    };
    for s in current..current + MAX_SLOTS_AHEAD {
        let mut allocations = Vec::new();
        let mut fits = true;
        for &(ty, w, cap, k) in &needs {
            let mut left = w;
            for slot in s..s + k {
                let take = free(slot, ty, cap).min(left);
                if take > 0 {
                    allocations.push((slot, ty.clone(), take));
                    left -= take;
                }
            }
            if left > 0 {
                fits = false;
                break;
            }
        }
        if fits {
            let last = allocations.iter().map(|a| a.0).max().unwrap_or(s);
            allocations.sort();
            return Ok(SlotBooking {
                first_slot: s,
                starts_at: slot_start(s),
                last_slot: last,
                ready_by: slot_start(last + 1),
                allocations,
            });
        }
    }
    Err(ThrottleError::Full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-12-07 18:00:00 UTC, a slot boundary.
    fn six() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_580_000, 0).unwrap()
    }

    fn map(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
    }

    #[test]
    fn an_order_goes_into_the_first_slot_with_room_for_its_work() {
        assert_eq!(six().timestamp() % SLOT_SECS, 0);
        let s = slot_of(six());
        // Two tandoor slots: 600 station-seconds per 5 minutes.
        let cap = map(&[("tandoor", 600), ("pass", 300)]);
        let mut booked = BTreeMap::new();
        booked.insert(s, map(&[("tandoor", 500)]));
        booked.insert(s + 1, map(&[("tandoor", 300)]));
        let b = earliest_slot(
            six(),
            &booked,
            &cap,
            &map(&[("tandoor", 240), ("pass", 30)]),
        )
        .unwrap();
        assert_eq!(b.first_slot, s + 1);
        assert_eq!(b.ready_by, six() + chrono::TimeDelta::minutes(10));
        assert_eq!(
            b.allocations,
            vec![
                (s + 1, "pass".to_string(), 30),
                (s + 1, "tandoor".to_string(), 240)
            ]
        );
        // Counting orders would have let it into the first slot; the work says no.
        let small = earliest_slot(six(), &booked, &cap, &map(&[("tandoor", 100)])).unwrap();
        assert_eq!(small.first_slot, s);
    }

    #[test]
    fn big_orders_spread_and_the_current_slot_counts_what_is_left() {
        let s = slot_of(six());
        let cap = map(&[("curry", 300)]);
        let b = earliest_slot(six(), &BTreeMap::new(), &cap, &map(&[("curry", 700)])).unwrap();
        assert_eq!((b.first_slot, b.last_slot), (s, s + 2));
        assert_eq!(b.allocations.iter().map(|a| a.2).sum::<i64>(), 700);
        // Two minutes into the slot, three are left: 180 station-seconds.
        let later = six() + chrono::TimeDelta::minutes(2);
        let b = earliest_slot(later, &BTreeMap::new(), &cap, &map(&[("curry", 200)])).unwrap();
        assert_eq!(b.first_slot, s + 1);
        let b = earliest_slot(later, &BTreeMap::new(), &cap, &map(&[("curry", 180)])).unwrap();
        assert_eq!(b.first_slot, s);
        assert_eq!(
            earliest_slot(six(), &BTreeMap::new(), &cap, &map(&[("fryer", 1)])),
            Err(ThrottleError::NoCapacity {
                station_type: "fryer".into()
            })
        );
        let mut full = BTreeMap::new();
        for k in 0..MAX_SLOTS_AHEAD {
            full.insert(s + k, map(&[("curry", 300)]));
        }
        assert_eq!(
            earliest_slot(six(), &full, &cap, &map(&[("curry", 1)])),
            Err(ThrottleError::Full)
        );
    }

    #[test]
    fn capacity_counts_working_stations_only() {
        use crate::kitchen::StationId;
        let st = |name: &str, cap: u32, active: bool, staffed: Option<i64>| StationState {
            id: StationId::new(),
            name: name.into(),
            station_types: vec!["fryer".into()],
            capacity: cap,
            active,
            running_secs: vec![],
            queued_secs: vec![],
            staffed_from: staffed.map(|m| six() + chrono::TimeDelta::minutes(m)),
        };
        let stations = vec![
            st("a", 2, true, Some(-60)),
            st("b", 1, false, Some(0)),
            st("c", 1, true, None),
            st("d", 1, true, Some(30)),
        ];
        assert_eq!(slot_capacity(&stations, six()), map(&[("fryer", 600)]));
    }

    proptest! {
        #[test]
        fn a_booking_never_overfills_a_slot_and_nothing_earlier_fits(
            cap in 60i64..1200,
            booked_secs in proptest::collection::vec(0i64..1200, 0..12),
            w in 1i64..3000,
            offset in 0i64..SLOT_SECS,
        ) {
            let now = six() + chrono::TimeDelta::seconds(offset);
            let s = slot_of(now);
            let booked: BTreeMap<i64, BTreeMap<String, i64>> = booked_secs
                .iter()
                .enumerate()
                .map(|(i, &b)| (s + i as i64, map(&[("grill", b)])))
                .collect();
            let capacity = map(&[("grill", cap)]);
            let b = earliest_slot(now, &booked, &capacity, &map(&[("grill", w)])).unwrap();
            prop_assert_eq!(b.allocations.iter().map(|a| a.2).sum::<i64>(), w);
            // What a slot has room for, computed again here.
            let room = |slot: i64| {
                let full = if slot == s { cap * (SLOT_SECS - offset) / SLOT_SECS } else { cap };
                let before = booked.get(&slot).and_then(|m| m.get("grill")).copied().unwrap_or(0);
                (full - before).max(0)
            };
            for (slot, _, secs) in &b.allocations {
                prop_assert!(*secs <= room(*slot), "slot {} overfilled", slot);
                prop_assert!(*slot >= b.first_slot && *slot <= b.last_slot);
            }
            prop_assert!(b.ready_by > now);
            prop_assert_eq!(b.ready_by, slot_start(b.last_slot + 1));
            // No earlier slot would have held it in as few slots.
            let k = (w + cap - 1) / cap;
            for earlier in s..b.first_slot {
                let total: i64 = (earlier..earlier + k).map(&room).sum();
                prop_assert!(total < w);
            }
        }
    }
}
