//! Station queues: the order in which a station's ready tasks are shown and done, which
//! station a newly ready task is queued at, and a station's load in percent.
//!
//! - **Queue order**: priority (urgent, then high, then normal), then the order's requested
//!   time (earliest first; an order with none comes after those with one), then when the task
//!   was created, then its id. A total order, so two screens never disagree.
//! - **Station choice**: among the active stations that have the task's station type and a
//!   capacity of at least one, the least loaded, load being assigned work seconds per unit of
//!   capacity (`assigned_secs / capacity`, compared exactly by cross-multiplying); ties go to
//!   the station whose name sorts first, then the lower id.
//! - **Load in percent**: assigned work seconds over what the station's slots can do in
//!   [`LOAD_HORIZON_SECS`]: `100 x assigned / (capacity x horizon)`, rounded half to even to a
//!   whole percent. It may exceed 100 (more queued than the horizon holds: the bottleneck).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::orders::Priority;
use super::{StationId, TaskId};
use crate::decimal::div_round_half_even;

/// The horizon of a station's load: 100 % is 15 minutes of work for every slot.
pub const LOAD_HORIZON_SECS: i64 = 900;

/// A ready task in a station's queue, with what orders it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    /// The task.
    pub task: TaskId,
    /// Its order's priority.
    pub priority: Priority,
    /// When the customer wants the order, if they said.
    pub requested_at: Option<DateTime<Utc>>,
    /// When the task was created.
    pub created_at: DateTime<Utc>,
}

/// The queue order of the module doc: `Less` when `a` goes before `b`.
pub fn queue_cmp(a: &QueueEntry, b: &QueueEntry) -> Ordering {
    b.priority
        .cmp(&a.priority)
        .then_with(|| match (a.requested_at, b.requested_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.task.cmp(&b.task))
}

/// Sorts a station's queue into the order of the module doc.
pub fn sort_queue(entries: &mut [QueueEntry]) {
    entries.sort_by(queue_cmp);
}

/// A station as station choice needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationLoad {
    /// The station.
    pub id: StationId,
    /// Its name (ties go to the first by name).
    pub name: String,
    /// The station types it does.
    pub station_types: Vec<String>,
    /// Parallel tasks it can work on (0: none).
    pub capacity: u32,
    /// Whether it is in use.
    pub active: bool,
    /// The remaining estimated seconds of the tasks queued and started at it.
    pub assigned_secs: i64,
}

/// Whether `a` is less loaded than `b` (exactly, `a.assigned / a.capacity <
/// b.assigned / b.capacity`), ties by name then id. Both capacities are positive.
fn lighter(a: &StationLoad, b: &StationLoad) -> bool {
    let la = i128::from(a.assigned_secs.max(0)) * i128::from(b.capacity);
    let lb = i128::from(b.assigned_secs.max(0)) * i128::from(a.capacity);
    la.cmp(&lb)
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.id.cmp(&b.id))
        == Ordering::Less
}

/// The station a task of `station_type` is queued at (module doc); `None` when no active
/// station with capacity does that type.
pub fn choose_station<'a>(
    stations: &'a [StationLoad],
    station_type: &str,
) -> Option<&'a StationLoad> {
    let mut best: Option<&StationLoad> = None;
    for s in stations {
        if !s.active || s.capacity == 0 || !s.station_types.iter().any(|t| t == station_type) {
            continue;
        }
        if best.is_none_or(|b| lighter(s, b)) {
            best = Some(s);
        }
    }
    best
}

/// A station's load in whole percent (module doc): `100 x assigned_secs / (capacity x
/// horizon_secs)`, half to even; `None` for a capacity of 0 or a horizon below 1 s. Negative
/// work counts as none.
pub fn load_percent(assigned_secs: i64, capacity: u32, horizon_secs: i64) -> Option<i64> {
    if capacity == 0 || horizon_secs < 1 {
        return None;
    }
    let pct = div_round_half_even(
        100 * i128::from(assigned_secs.max(0)),
        i128::from(capacity) * i128::from(horizon_secs),
    );
    i64::try_from(pct).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000 + min * 60, 0).unwrap()
    }

    fn entry(n: u128, p: Priority, req: Option<i64>, created: i64) -> QueueEntry {
        QueueEntry {
            task: TaskId::from_uuid(Uuid::from_u128(n)),
            priority: p,
            requested_at: req.map(at),
            created_at: at(created),
        }
    }

    fn station(
        n: u128,
        name: &str,
        types: &[&str],
        capacity: u32,
        active: bool,
        secs: i64,
    ) -> StationLoad {
        StationLoad {
            id: StationId::from_uuid(Uuid::from_u128(n)),
            name: name.into(),
            station_types: types.iter().map(|t| (*t).to_string()).collect(),
            capacity,
            active,
            assigned_secs: secs,
        }
    }

    #[test]
    fn urgent_first_then_requested_time_then_creation() {
        use Priority::*;
        let mut q = vec![
            entry(1, Normal, None, 0),
            entry(2, Normal, Some(30), 5),
            entry(3, Urgent, None, 9),
            entry(4, High, Some(90), 1),
            entry(5, Normal, Some(20), 7),
            entry(6, Normal, None, 0),
            entry(7, High, Some(60), 2),
        ];
        sort_queue(&mut q);
        let order: Vec<u128> = q.iter().map(|e| e.task.as_uuid().as_u128()).collect();
        assert_eq!(order, vec![3, 7, 4, 5, 2, 1, 6]);
    }

    #[test]
    fn the_least_loaded_active_station_of_the_type_gets_the_task() {
        let stations = vec![
            station(1, "Tandoor 1", &["tandoor"], 2, true, 600),
            station(2, "Tandoor 2", &["tandoor"], 1, true, 200),
            station(3, "Tandoor 3", &["tandoor"], 4, false, 0),
            station(4, "Fryer", &["fryer"], 1, true, 0),
        ];
        // 600 / 2 = 300 per slot against 200: the second.
        assert_eq!(
            choose_station(&stations, "tandoor").map(|s| s.name.as_str()),
            Some("Tandoor 2")
        );
        let mut even = stations.clone();
        even[1].assigned_secs = 300;
        // 300 = 300: the first by name.
        assert_eq!(
            choose_station(&even, "tandoor").map(|s| s.name.as_str()),
            Some("Tandoor 1")
        );
        assert!(choose_station(&stations, "grill").is_none());
        let mut none = stations;
        none[3].capacity = 0;
        assert!(choose_station(&none, "fryer").is_none());
    }

    #[test]
    fn load_is_a_rounded_whole_percent() {
        assert_eq!(load_percent(900, 1, LOAD_HORIZON_SECS), Some(100));
        assert_eq!(load_percent(450, 2, LOAD_HORIZON_SECS), Some(25));
        // 9 / 1800 = 0.5 % -> 0 (half to even); 27 / 1800 = 1.5 % -> 2.
        assert_eq!(load_percent(9, 2, LOAD_HORIZON_SECS), Some(0));
        assert_eq!(load_percent(27, 2, LOAD_HORIZON_SECS), Some(2));
        assert_eq!(load_percent(2700, 1, LOAD_HORIZON_SECS), Some(300));
        assert_eq!(load_percent(10, 0, LOAD_HORIZON_SECS), None);
    }

    fn any_entry() -> impl Strategy<Value = QueueEntry> {
        (
            0u128..50,
            proptest::sample::select(Priority::ALL.to_vec()),
            proptest::option::of(0i64..100),
            0i64..100,
        )
            .prop_map(|(n, p, r, c)| entry(n, p, r, c))
    }

    proptest! {
        #[test]
        fn the_queue_order_is_total_and_puts_priority_first(mut q in proptest::collection::vec(any_entry(), 0..30)) {
            let mut reversed: Vec<QueueEntry> = q.iter().rev().copied().collect();
            sort_queue(&mut q);
            sort_queue(&mut reversed);
            prop_assert_eq!(&q, &reversed);
            for w in q.windows(2) {
                prop_assert!(w[0].priority >= w[1].priority);
                if w[0].priority == w[1].priority {
                    match (w[0].requested_at, w[1].requested_at) {
                        (Some(a), Some(b)) => prop_assert!(a <= b),
                        (None, Some(_)) => prop_assert!(false, "none before a requested time"),
                        _ => {}
                    }
                }
            }
        }

        #[test]
        fn no_eligible_station_is_less_loaded_than_the_chosen_one(
            loads in proptest::collection::vec((0i64..5000, 0u32..4, any::<bool>(), any::<bool>()), 1..8),
        ) {
            let stations: Vec<StationLoad> = loads
                .iter()
                .enumerate()
                .map(|(i, &(secs, cap, active, fry))| {
                    station(i as u128, &format!("s{}", i % 3), if fry { &["fryer"] } else { &["grill"] }, cap, active, secs)
                })
                .collect();
            let chosen = choose_station(&stations, "fryer");
            let eligible: Vec<&StationLoad> = stations
                .iter()
                .filter(|s| s.active && s.capacity > 0 && s.station_types[0] == "fryer")
                .collect();
            prop_assert_eq!(chosen.is_some(), !eligible.is_empty());
            if let Some(c) = chosen {
                for s in eligible {
                    prop_assert!(
                        i128::from(c.assigned_secs) * i128::from(s.capacity)
                            <= i128::from(s.assigned_secs) * i128::from(c.capacity)
                    );
                }
            }
        }
    }
}
