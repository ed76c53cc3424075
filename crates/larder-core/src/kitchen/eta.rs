//! An order's ETA by list scheduling, and firing an order's items so they finish together.
//!
//! **The model.** Each station has `capacity` slots, each working on one task at a time. The
//! work already at a station comes first: its started tasks occupy slots for their remaining
//! seconds, then its queued tasks, in queue order, each take the slot that frees first. The new
//! order's tasks come after that work (an urgent order may in fact jump the queue; the ETA is
//! then on the safe side).
//!
//! **Staff.** A station works only with someone on shift at it: `staffed_from` is when the
//! first person on shift there is in (now or earlier when someone is on shift now). Before it,
//! the station starts nothing new (started tasks still finish); with nobody on shift at all it
//! counts as capacity 0 and is skipped. The number of people does not scale the capacity: the
//! capacity is the station's parallel slots.
//!
//! **The scheduler.** Earliest-start-first list scheduling (Hwang, Chow, Anger & Lee,
//! "Scheduling precedence graphs in systems with interprocessor communication times", *SIAM J.
//! Computing* 18 (1989) 244-257, without communication costs): repeatedly, among the tasks
//! whose dependencies are all placed, take the one that can start soonest (ties: the longer
//! chain still after it, its bottom level as in Hu's critical-path priority, then the task
//! given first), and place it on the slot of a station of its type where it ends soonest
//! (ties: the earlier start, then the station's name, then its id, then the lower slot). A task
//! starts no earlier than its dependencies' ends and its slot's previous task's end, so no
//! station ever runs more tasks than its capacity. With empty queues and enough slots every
//! task starts when its dependencies end and the ETA is now plus the critical path.
//!
//! **Firing by prep time** ([`fire_plan`]): items (order lines) are held so they reach the pass
//! together: the item that ends last starts at once, the others are held by the difference of
//! their ends. Holding one item can shift another on a busy station, so the holds are refined
//! for a few rounds ([`FIRE_ROUNDS`]) and the plan with the smallest spread of ends is kept
//! (never worse than firing everything at once).

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::dag::{CriticalPath, DagError, TaskNode, bottom_levels, critical_path, predecessors};
use super::{StationId, TaskId, at_offset, clamp_secs, secs_between};

/// The most slots a station is given, whatever its capacity says (a typo of 1000 would
/// otherwise cost memory, not realism).
pub const MAX_STATION_SLOTS: u32 = 64;
/// How many times [`fire_plan`] refines its holds after the first guess.
pub const FIRE_ROUNDS: usize = 4;

/// A station and the work already at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationState {
    /// The station.
    pub id: StationId,
    /// Its name (it orders ties).
    pub name: String,
    /// The station types it does.
    pub station_types: Vec<String>,
    /// Its parallel slots (at most [`MAX_STATION_SLOTS`] count).
    pub capacity: u32,
    /// Whether it is in use; an inactive station is skipped.
    pub active: bool,
    /// The remaining seconds of each started task, one per busy slot (more than the capacity:
    /// the extra ones wait as the first of the queue).
    pub running_secs: Vec<i64>,
    /// The remaining seconds of each queued task, in queue order.
    pub queued_secs: Vec<i64>,
    /// When someone on shift at it is first in (module doc); `None`: nobody on shift.
    pub staffed_from: Option<DateTime<Utc>>,
}

impl StationState {
    /// Whether it takes new work at some point: active, with a capacity and staff.
    pub fn is_usable(&self) -> bool {
        self.active && self.capacity > 0 && self.staffed_from.is_some()
    }
}

/// A station's `staffed_from` from the shifts at it (`[start, end)` each): `now` when a shift
/// covers `now`, else the start of the next shift that has not ended, else `None`. Shift ends
/// are not modelled further: a station staffed now is taken to stay staffed while the order is
/// made (the use case passes the shifts of the day).
pub fn staffed_from(
    now: DateTime<Utc>,
    shifts: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Option<DateTime<Utc>> {
    shifts
        .iter()
        .filter(|(start, end)| start < end && *end > now)
        .map(|(start, _)| (*start).max(now))
        .min()
}

/// A task of the order to schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTask {
    /// The task.
    pub id: TaskId,
    /// The station type that does it.
    pub station_type: String,
    /// How long it takes in seconds (the learned duration times the quantity, or the
    /// template's estimate) where no station-specific duration is given.
    pub duration_secs: i64,
    /// Durations learned at particular stations, in seconds, overriding `duration_secs` there.
    pub station_secs: Vec<(StationId, i64)>,
    /// The tasks it waits for.
    pub depends_on: Vec<TaskId>,
}

impl PlannedTask {
    /// Its duration at `station`, held to `0..=MAX_TASK_SECS`.
    fn secs_at(&self, station: StationId) -> i64 {
        clamp_secs(
            self.station_secs
                .iter()
                .find(|(s, _)| *s == station)
                .map_or(self.duration_secs, |(_, secs)| *secs),
        )
    }
}

/// Where and when one task is predicted to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduledTask {
    /// The task.
    pub id: TaskId,
    /// The station it is planned at.
    pub station: StationId,
    /// The slot of that station (from 0).
    pub slot: u32,
    /// When its dependencies are done (or its item is fired, whichever is later).
    pub ready: DateTime<Utc>,
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// Seconds from ready to start: the wait for a free slot or for staff.
    pub wait_secs: i64,
}

/// One station's part in an ETA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StationWait {
    /// The station.
    pub station: StationId,
    /// Its name.
    pub name: String,
    /// Whether it could take work (active, capacity, staff).
    pub usable: bool,
    /// Remaining seconds of the work already at it (started and queued).
    pub backlog_secs: i64,
    /// Seconds until its first slot is free for new work; `None` when not usable.
    pub free_after_secs: Option<i64>,
    /// How many of the order's tasks are planned at it.
    pub tasks: u32,
    /// The seconds those tasks wait for a slot, summed.
    pub wait_secs: i64,
}

/// An order's ETA with its breakdown (the data of an "order ETA recalculated" event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Eta {
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// When the order is predicted ready: the latest end of its tasks (`computed_at` without
    /// tasks).
    pub ready_at: DateTime<Utc>,
    /// Seconds from `computed_at` to `ready_at`.
    pub total_secs: i64,
    /// The order's critical path with each task's `duration_secs` (what it would take with
    /// free stations).
    pub critical_path: CriticalPath,
    /// `total_secs - critical_path.length_secs`: what queues, capacity and staff add (it may
    /// be negative when a station is faster than the default duration).
    pub queue_delay_secs: i64,
    /// Each task's plan, in the order given.
    pub tasks: Vec<ScheduledTask>,
    /// Each station's part, in the order given.
    pub stations: Vec<StationWait>,
}

/// Why no ETA could be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EtaError {
    /// The tasks are not a graph (repeated id, unknown dependency, cycle).
    #[error(transparent)]
    Graph(#[from] DagError),
    /// No active, staffed station with capacity does a task's station type.
    #[error("no station with staff does '{station_type}' (task {task})")]
    NoStation {
        /// The first such task.
        task: TaskId,
        /// Its station type.
        station_type: String,
    },
}

/// A station's slots after the work already at it.
struct Prepared {
    free: Vec<i64>,
    backlog: i64,
}

fn prepare(now: DateTime<Utc>, s: &StationState) -> Prepared {
    let backlog = s
        .running_secs
        .iter()
        .chain(&s.queued_secs)
        .fold(0i64, |acc, &r| acc.saturating_add(clamp_secs(r)));
    let Some(from) = s.staffed_from.filter(|_| s.is_usable()) else {
        return Prepared {
            free: Vec::new(),
            backlog,
        };
    };
    let staff = secs_between(now, from).max(0);
    let slots = s.capacity.min(MAX_STATION_SLOTS) as usize;
    let mut free = vec![staff; slots];
    let mut waiting = Vec::new();
    for (i, &r) in s.running_secs.iter().enumerate() {
        if i < slots {
            free[i] = clamp_secs(r).max(staff);
        } else {
            waiting.push(r);
        }
    }
    waiting.extend_from_slice(&s.queued_secs);
    for r in waiting {
        let k = first_free(&free);
        free[k] = free[k].saturating_add(clamp_secs(r));
    }
    Prepared { free, backlog }
}

/// The slot that frees first (the lower index on a tie); 0 for none.
fn first_free(free: &[i64]) -> usize {
    let mut best = 0;
    for (k, &f) in free.iter().enumerate() {
        if f < free[best] {
            best = k;
        }
    }
    best
}

/// The schedule in seconds from now: per task `(start, end, station, slot, ready)`.
type Placement = (i64, i64, usize, usize, i64);

/// What picks the next task: its soonest start, then the longer chain after it (bottom
/// level), then its index.
type PickKey = (i64, Reverse<i64>, usize);

/// Schedules `tasks` with each held at least `holds[v]` seconds (module doc).
fn schedule(
    now: DateTime<Utc>,
    stations: &[StationState],
    tasks: &[PlannedTask],
    holds: &[i64],
) -> Result<Eta, EtaError> {
    let nodes: Vec<TaskNode> = tasks
        .iter()
        .map(|t| TaskNode {
            id: t.id,
            duration_secs: t.duration_secs,
            depends_on: t.depends_on.clone(),
        })
        .collect();
    let preds = predecessors(&nodes)?;
    let durations: Vec<i64> = tasks.iter().map(|t| t.duration_secs).collect();
    let levels = bottom_levels(&durations, &preds);
    let mut prepared: Vec<Prepared> = stations.iter().map(|s| prepare(now, s)).collect();
    let mut by_name: Vec<usize> = (0..stations.len()).collect();
    by_name.sort_by(|&a, &b| {
        stations[a]
            .name
            .cmp(&stations[b].name)
            .then_with(|| stations[a].id.cmp(&stations[b].id))
    });
    let mut eligible = Vec::with_capacity(tasks.len());
    for t in tasks {
        let e: Vec<usize> = by_name
            .iter()
            .copied()
            .filter(|&s| {
                !prepared[s].free.is_empty() && stations[s].station_types.contains(&t.station_type)
            })
            .collect();
        if e.is_empty() {
            return Err(EtaError::NoStation {
                task: t.id,
                station_type: t.station_type.clone(),
            });
        }
        eligible.push(e);
    }
    let free_after: Vec<Option<i64>> = prepared
        .iter()
        .map(|p| p.free.iter().copied().min())
        .collect();

    let mut placed: Vec<Option<Placement>> = vec![None; tasks.len()];
    for _ in 0..tasks.len() {
        // The task to place, with its best option.
        let mut pick: Option<(PickKey, Placement)> = None;
        for v in 0..tasks.len() {
            if placed[v].is_some() {
                continue;
            }
            let mut ready = holds.get(v).copied().unwrap_or(0).max(0);
            let mut all_placed = true;
            for &u in &preds[v] {
                match placed[u] {
                    Some(p) => ready = ready.max(p.1),
                    None => all_placed = false,
                }
            }
            if !all_placed {
                continue;
            }
            let mut best: Option<Placement> = None;
            for &s in &eligible[v] {
                let slot = first_free(&prepared[s].free);
                let start = ready.max(prepared[s].free[slot]);
                let end = start.saturating_add(tasks[v].secs_at(stations[s].id));
                if best.is_none_or(|b| (end, start) < (b.1, b.0)) {
                    best = Some((start, end, s, slot, ready));
                }
            }
            if let Some(option) = best {
                let key = (option.0, Reverse(levels[v]), v);
                if pick.as_ref().is_none_or(|(k, _)| key < *k) {
                    pick = Some((key, option));
                }
            }
        }
        // An acyclic graph always has a task whose dependencies are placed.
        let Some(((_, _, v), option)) = pick else {
            break;
        };
        prepared[option.2].free[option.3] = option.1;
        placed[v] = Some(option);
    }

    let total = placed.iter().flatten().map(|p| p.1).max().unwrap_or(0);
    let mut waits: Vec<(u32, i64)> = vec![(0, 0); stations.len()];
    let mut scheduled = Vec::with_capacity(tasks.len());
    for (t, p) in tasks.iter().zip(&placed) {
        let Some((start, end, s, slot, ready)) = *p else {
            continue;
        };
        waits[s].0 += 1;
        waits[s].1 = waits[s].1.saturating_add(start - ready);
        scheduled.push(ScheduledTask {
            id: t.id,
            station: stations[s].id,
            slot: u32::try_from(slot).unwrap_or(u32::MAX),
            ready: at_offset(now, ready),
            start: at_offset(now, start),
            end: at_offset(now, end),
            wait_secs: start - ready,
        });
    }
    let cp = critical_path(&nodes)?;
    Ok(Eta {
        computed_at: now,
        ready_at: at_offset(now, total),
        total_secs: total,
        queue_delay_secs: total.saturating_sub(cp.length_secs),
        critical_path: cp,
        tasks: scheduled,
        stations: stations
            .iter()
            .zip(&prepared)
            .zip(free_after.iter().zip(&waits))
            .map(|((s, p), (free, w))| StationWait {
                station: s.id,
                name: s.name.clone(),
                usable: free.is_some(),
                backlog_secs: p.backlog,
                free_after_secs: *free,
                tasks: w.0,
                wait_secs: w.1,
            })
            .collect(),
    })
}

/// The ETA of an order's tasks at `now` given the stations and the work already at them, by
/// the module's list scheduling. Deterministic: the same input gives the same plan.
///
/// # Errors
/// [`EtaError::Graph`] when the tasks are not a graph; [`EtaError::NoStation`] when no
/// usable station does a task's type (the use case shows "no ETA: nobody on the tandoor").
pub fn estimate(
    now: DateTime<Utc>,
    stations: &[StationState],
    tasks: &[PlannedTask],
) -> Result<Eta, EtaError> {
    schedule(now, stations, tasks, &[])
}

/// When one item (order line) is fired and ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemFire {
    /// The item's index in the order given.
    pub item: usize,
    /// Seconds it is held before its tasks may start (0 for the longest).
    pub hold_secs: i64,
    /// When its tasks may start: now plus the hold.
    pub fire_at: DateTime<Utc>,
    /// When its last task is predicted to end (it reaches the pass).
    pub end: DateTime<Utc>,
}

/// An order's items fired so they finish together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirePlan {
    /// Each item, in the order given (an item without tasks: no hold, ends now).
    pub items: Vec<ItemFire>,
    /// Seconds between the first and the last item's end (0: all together).
    pub spread_secs: i64,
    /// The schedule with the holds.
    pub eta: Eta,
}

/// Holds for an order's `items` (each its tasks; dependencies may cross items) so they reach
/// the pass together (module doc): the item that would end last is fired at once, each other
/// one held by the time it would otherwise wait at the pass; holds are then refined for
/// [`FIRE_ROUNDS`] rounds against the capacity, keeping the plan with the smallest spread
/// (then the earliest ready time, then the earliest round; firing everything at once is
/// the first candidate).
///
/// # Errors
/// [`EtaError`], as [`estimate`].
pub fn fire_plan(
    now: DateTime<Utc>,
    stations: &[StationState],
    items: &[Vec<PlannedTask>],
) -> Result<FirePlan, EtaError> {
    let tasks: Vec<PlannedTask> = items.iter().flatten().cloned().collect();
    let item_of: Vec<usize> = items
        .iter()
        .enumerate()
        .flat_map(|(i, ts)| ts.iter().map(move |_| i))
        .collect();
    let ends = |eta: &Eta| -> Vec<Option<i64>> {
        let mut e = vec![None; items.len()];
        for (t, &i) in eta.tasks.iter().zip(&item_of) {
            let end = secs_between(now, t.end);
            e[i] = Some(e[i].map_or(end, |x: i64| x.max(end)));
        }
        e
    };
    let spread = |e: &[Option<i64>]| {
        let lo = e.iter().flatten().min().copied().unwrap_or(0);
        let hi = e.iter().flatten().max().copied().unwrap_or(0);
        hi - lo
    };

    let mut item_holds = vec![0i64; items.len()];
    let mut eta = schedule(now, stations, &tasks, &[])?;
    let mut item_ends = ends(&eta);
    let mut best = (
        spread(&item_ends),
        eta.total_secs,
        item_holds.clone(),
        eta.clone(),
        item_ends.clone(),
    );
    for _ in 0..=FIRE_ROUNDS {
        let target = item_ends.iter().flatten().max().copied().unwrap_or(0);
        for (h, e) in item_holds.iter_mut().zip(&item_ends) {
            if let Some(e) = e {
                *h = h.saturating_add(target - e).max(0);
            }
        }
        let holds: Vec<i64> = item_of.iter().map(|&i| item_holds[i]).collect();
        eta = schedule(now, stations, &tasks, &holds)?;
        item_ends = ends(&eta);
        let s = spread(&item_ends);
        if (s, eta.total_secs) < (best.0, best.1) {
            best = (
                s,
                eta.total_secs,
                item_holds.clone(),
                eta.clone(),
                item_ends.clone(),
            );
        }
        if s == 0 {
            break;
        }
    }
    let (spread_secs, _, holds, eta, item_ends) = best;
    Ok(FirePlan {
        items: holds
            .iter()
            .zip(&item_ends)
            .enumerate()
            .map(|(item, (&h, e))| ItemFire {
                item,
                hold_secs: if e.is_some() { h } else { 0 },
                fire_at: at_offset(now, if e.is_some() { h } else { 0 }),
                end: at_offset(now, e.unwrap_or(0)),
            })
            .collect(),
        spread_secs,
        eta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::dag::tests::{brute_longest, dag, tid};
    use proptest::prelude::*;
    use std::collections::HashMap;
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap()
    }

    fn sid(n: u128) -> StationId {
        StationId::from_uuid(Uuid::from_u128(1000 + n))
    }

    fn station(n: u128, name: &str, types: &[&str], capacity: u32) -> StationState {
        StationState {
            id: sid(n),
            name: name.into(),
            station_types: types.iter().map(|t| (*t).to_string()).collect(),
            capacity,
            active: true,
            running_secs: vec![],
            queued_secs: vec![],
            staffed_from: Some(now()),
        }
    }

    fn task(n: u128, ty: &str, secs: i64, deps: &[u128]) -> PlannedTask {
        PlannedTask {
            id: tid(n),
            station_type: ty.into(),
            duration_secs: secs,
            station_secs: vec![],
            depends_on: deps.iter().map(|&d| tid(d)).collect(),
        }
    }

    fn secs(t: DateTime<Utc>) -> i64 {
        secs_between(now(), t)
    }

    #[test]
    fn with_free_stations_the_eta_is_the_critical_path() {
        let stations = vec![
            station(1, "Tandoor", &["tandoor"], 4),
            station(2, "Pass", &["pass"], 2),
        ];
        let tasks = vec![
            task(0, "tandoor", 120, &[]),
            task(1, "tandoor", 300, &[0]),
            task(2, "tandoor", 60, &[]),
            task(3, "pass", 30, &[1, 2]),
        ];
        let eta = estimate(now(), &stations, &tasks).unwrap();
        assert_eq!(eta.total_secs, 450);
        assert_eq!(eta.critical_path.length_secs, 450);
        assert_eq!(eta.queue_delay_secs, 0);
        assert_eq!(secs(eta.ready_at), 450);
        assert_eq!(eta.critical_path.tasks, vec![tid(0), tid(1), tid(3)]);
    }

    #[test]
    fn queued_work_and_one_slot_push_the_eta_out() {
        let mut tandoor = station(1, "Tandoor", &["tandoor"], 1);
        tandoor.running_secs = vec![100];
        tandoor.queued_secs = vec![200, 50];
        let stations = vec![tandoor, station(2, "Pass", &["pass"], 1)];
        let tasks = vec![
            task(0, "tandoor", 120, &[]),
            task(1, "tandoor", 60, &[]),
            task(2, "pass", 30, &[0, 1]),
        ];
        let eta = estimate(now(), &stations, &tasks).unwrap();
        // Tandoor free at 350; the longer chain first: 350..470, then 470..530; pass 530..560.
        let by_id: HashMap<TaskId, &ScheduledTask> = eta.tasks.iter().map(|t| (t.id, t)).collect();
        assert_eq!(
            (secs(by_id[&tid(0)].start), secs(by_id[&tid(0)].end)),
            (350, 470)
        );
        assert_eq!(
            (secs(by_id[&tid(1)].start), secs(by_id[&tid(1)].end)),
            (470, 530)
        );
        assert_eq!(eta.total_secs, 560);
        assert_eq!(eta.critical_path.length_secs, 150);
        assert_eq!(eta.queue_delay_secs, 410);
        assert_eq!(eta.stations[0].backlog_secs, 350);
        assert_eq!(eta.stations[0].free_after_secs, Some(350));
        assert_eq!(
            (eta.stations[0].tasks, eta.stations[0].wait_secs),
            (2, 350 + 470)
        );
    }

    #[test]
    fn the_least_loaded_station_takes_the_task_and_staff_gate_the_start() {
        let mut busy = station(1, "Fryer A", &["fryer"], 1);
        busy.running_secs = vec![300];
        let mut late = station(2, "Fryer B", &["fryer"], 1);
        late.staffed_from = Some(at_offset(now(), 120));
        let mut absent = station(3, "Fryer C", &["fryer"], 3);
        absent.staffed_from = None;
        let mut off = station(4, "Fryer D", &["fryer"], 3);
        off.active = false;
        let stations = vec![busy, late, absent, off];
        let eta = estimate(now(), &stations, &[task(0, "fryer", 60, &[])]).unwrap();
        assert_eq!(eta.tasks[0].station, sid(2));
        assert_eq!(secs(eta.tasks[0].start), 120);
        assert_eq!(eta.tasks[0].wait_secs, 120);
        assert!(!eta.stations[2].usable && !eta.stations[3].usable);
        let only_absent = vec![stations[2].clone()];
        assert_eq!(
            estimate(now(), &only_absent, &[task(0, "fryer", 60, &[])]),
            Err(EtaError::NoStation {
                task: tid(0),
                station_type: "fryer".into()
            })
        );
    }

    #[test]
    fn a_station_is_staffed_from_the_shift_that_covers_now_or_the_next_one() {
        let h = |m: i64| at_offset(now(), m * 60);
        assert_eq!(staffed_from(now(), &[(h(-60), h(60))]), Some(now()));
        assert_eq!(
            staffed_from(now(), &[(h(-120), h(-60)), (h(90), h(200)), (h(30), h(40))]),
            Some(h(30))
        );
        assert_eq!(staffed_from(now(), &[(h(-120), h(0))]), None);
        assert_eq!(staffed_from(now(), &[(h(10), h(10))]), None);
        assert_eq!(staffed_from(now(), &[]), None);
    }

    #[test]
    fn a_faster_station_is_preferred_by_its_learned_duration() {
        let stations = vec![
            station(1, "Grill A", &["grill"], 1),
            station(2, "Grill B", &["grill"], 1),
        ];
        let mut t = task(0, "grill", 300, &[]);
        t.station_secs = vec![(sid(2), 200)];
        let eta = estimate(now(), &stations, &[t]).unwrap();
        assert_eq!((eta.tasks[0].station, eta.total_secs), (sid(2), 200));
        assert_eq!(eta.queue_delay_secs, -100);
    }

    #[test]
    fn a_salad_is_held_so_it_meets_the_curry_at_the_pass() {
        let stations = vec![
            station(1, "Curry", &["curry"], 2),
            station(2, "Cold", &["cold"], 1),
            station(3, "Pass", &["pass"], 2),
        ];
        let curry = vec![task(0, "curry", 720, &[]), task(1, "pass", 30, &[0])];
        let salad = vec![task(2, "cold", 120, &[]), task(3, "pass", 30, &[2])];
        let plan = fire_plan(now(), &stations, &[curry, salad, vec![]]).unwrap();
        assert_eq!(plan.spread_secs, 0);
        assert_eq!(plan.items[0].hold_secs, 0);
        assert_eq!(plan.items[1].hold_secs, 600);
        assert_eq!(secs(plan.items[1].fire_at), 600);
        assert_eq!(secs(plan.items[0].end), 750);
        assert_eq!(secs(plan.items[1].end), 750);
        assert_eq!(plan.items[2].hold_secs, 0);
        assert_eq!(plan.eta.total_secs, 750);
    }

    fn ample(n: usize) -> Vec<StationState> {
        vec![
            station(1, "A", &["a"], n as u32),
            station(2, "B", &["b"], n as u32),
        ]
    }

    fn planned(g: &[TaskNode], types: &[bool]) -> Vec<PlannedTask> {
        g.iter()
            .zip(types)
            .map(|(n, &a)| PlannedTask {
                id: n.id,
                station_type: if a { "a" } else { "b" }.into(),
                duration_secs: n.duration_secs,
                station_secs: vec![],
                depends_on: n.depends_on.clone(),
            })
            .collect()
    }

    /// Stations of types a and b with 1 to 3 slots and some work already at them, the second
    /// possibly staffed later.
    fn busy_stations() -> impl Strategy<Value = Vec<StationState>> {
        (
            1u32..4,
            1u32..4,
            proptest::collection::vec(0i64..500, 0..4),
            proptest::collection::vec(0i64..500, 0..4),
            0i64..300,
        )
            .prop_map(|(ca, cb, ra, qb, staff)| {
                let mut a = station(1, "A", &["a"], ca);
                a.running_secs = ra;
                let mut b = station(2, "B", &["a", "b"], cb);
                b.queued_secs = qb;
                b.staffed_from = Some(at_offset(now(), staff));
                vec![a, b]
            })
    }

    fn check_schedule(
        eta: &Eta,
        tasks: &[PlannedTask],
        stations: &[StationState],
    ) -> Result<(), TestCaseError> {
        let by_id: HashMap<TaskId, &ScheduledTask> = eta.tasks.iter().map(|t| (t.id, t)).collect();
        prop_assert_eq!(eta.tasks.len(), tasks.len());
        for t in tasks {
            let s = by_id[&t.id];
            prop_assert!(s.start >= s.ready && s.end >= s.start);
            for d in &t.depends_on {
                prop_assert!(
                    s.start >= by_id[d].end,
                    "a task started before its dependency ended"
                );
            }
            let st = stations.iter().find(|x| x.id == s.station).unwrap();
            prop_assert!(st.station_types.contains(&t.station_type));
            prop_assert!(s.start >= st.staffed_from.unwrap());
        }
        // At every task's start, no station runs more tasks than its capacity.
        for st in stations {
            let mine: Vec<&ScheduledTask> =
                eta.tasks.iter().filter(|t| t.station == st.id).collect();
            for t in &mine {
                let running = mine
                    .iter()
                    .filter(|o| o.start <= t.start && t.start < o.end)
                    .count();
                prop_assert!(running <= st.capacity as usize);
            }
            // Each slot runs one task at a time, after the work already at it.
            let before = prepare(now(), st);
            for t in &mine {
                prop_assert!(t.slot < st.capacity);
                prop_assert!(secs(t.start) >= before.free[t.slot as usize]);
                for o in &mine {
                    if o.id != t.id && o.slot == t.slot {
                        prop_assert!(
                            o.end <= t.start || t.end <= o.start,
                            "one slot ran two tasks"
                        );
                    }
                }
            }
        }
        prop_assert_eq!(
            eta.ready_at,
            eta.tasks.iter().map(|t| t.end).max().unwrap_or(now())
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn with_empty_queues_and_ample_capacity_the_eta_is_now_plus_the_critical_path(
            g in dag(),
            types in proptest::collection::vec(any::<bool>(), 8),
        ) {
            let tasks = planned(&g, &types);
            let stations = ample(g.len());
            let eta = estimate(now(), &stations, &tasks).unwrap();
            prop_assert_eq!(eta.total_secs, brute_longest(&g));
            prop_assert_eq!(eta.ready_at, at_offset(now(), eta.critical_path.length_secs));
            prop_assert_eq!(eta.queue_delay_secs, 0);
            check_schedule(&eta, &tasks, &stations)?;
            for t in &eta.tasks {
                prop_assert_eq!(t.wait_secs, 0);
            }
        }

        #[test]
        fn a_busy_kitchen_never_breaks_dependencies_or_capacity(
            g in dag(),
            types in proptest::collection::vec(any::<bool>(), 8),
            stations in busy_stations(),
        ) {
            let tasks = planned(&g, &types);
            let eta = estimate(now(), &stations, &tasks).unwrap();
            check_schedule(&eta, &tasks, &stations)?;
            prop_assert!(eta.total_secs >= eta.critical_path.length_secs);
            // Deterministic.
            prop_assert_eq!(estimate(now(), &stations, &tasks).unwrap(), eta);
        }

        #[test]
        fn with_free_stations_every_item_ends_together(
            items in proptest::collection::vec(
                proptest::collection::vec((1i64..900, any::<bool>(), any::<bool>()), 1..4),
                1..5,
            ),
        ) {
            let mut n = 0u128;
            let order: Vec<Vec<PlannedTask>> = items
                .iter()
                .map(|chain| {
                    // Each item a chain (the last at the pass) or a fan-in into its last task.
                    let first = n;
                    let mut out = Vec::new();
                    for (k, &(secs, a, chained)) in chain.iter().enumerate() {
                        let deps: Vec<u128> = if k == 0 { vec![] } else if chained { vec![n - 1] } else { vec![first] };
                        out.push(task(n, if a { "a" } else { "b" }, secs, &deps));
                        n += 1;
                    }
                    out
                })
                .collect();
            let stations = ample(n as usize);
            let plan = fire_plan(now(), &stations, &order).unwrap();
            prop_assert_eq!(plan.spread_secs, 0);
            let ends: Vec<DateTime<Utc>> = plan.items.iter().map(|i| i.end).collect();
            prop_assert!(ends.windows(2).all(|w| w[0] == w[1]));
            // The longest item is not held and the order is ready as soon as without holds.
            prop_assert!(plan.items.iter().any(|i| i.hold_secs == 0));
            let all: Vec<PlannedTask> = order.iter().flatten().cloned().collect();
            prop_assert_eq!(plan.eta.ready_at, estimate(now(), &stations, &all).unwrap().ready_at);
            check_schedule(&plan.eta, &all, &stations)?;
        }

        #[test]
        fn holding_never_spreads_items_more_than_firing_at_once(
            items in proptest::collection::vec(
                proptest::collection::vec((1i64..900, any::<bool>()), 1..3),
                1..4,
            ),
            stations in busy_stations(),
        ) {
            let mut n = 0u128;
            let order: Vec<Vec<PlannedTask>> = items
                .iter()
                .map(|chain| {
                    let mut out = Vec::new();
                    for (k, &(secs, a)) in chain.iter().enumerate() {
                        let deps: Vec<u128> = if k == 0 { vec![] } else { vec![n - 1] };
                        out.push(task(n, if a { "a" } else { "b" }, secs, &deps));
                        n += 1;
                    }
                    out
                })
                .collect();
            let all: Vec<PlannedTask> = order.iter().flatten().cloned().collect();
            let at_once = estimate(now(), &stations, &all).unwrap();
            let plan = fire_plan(now(), &stations, &order).unwrap();
            let mut ends = vec![i64::MIN; order.len()];
            let mut starts = vec![i64::MAX; order.len()];
            let mut k = 0;
            for (i, item) in order.iter().enumerate() {
                for _ in item {
                    ends[i] = ends[i].max(secs(at_once.tasks[k].end));
                    starts[i] = starts[i].min(secs(plan.eta.tasks[k].start));
                    k += 1;
                }
            }
            let spread_at_once = ends.iter().max().unwrap() - ends.iter().min().unwrap();
            prop_assert!(plan.spread_secs <= spread_at_once);
            for (i, item) in plan.items.iter().enumerate() {
                prop_assert!(starts[i] >= item.hold_secs, "an item started before it was fired");
            }
            check_schedule(&plan.eta, &all, &stations)?;
        }
    }
}
