//! kitchen: customer orders and the work they make (issue 11; ADR 030). This module holds the
//! pure rules, no storage and no clock: workflow templates and their validation
//! ([`workflow`]), the task graph's order and critical path ([`dag`]), learned task durations
//! ([`durations`]), station queues and station choice ([`queue`]), the ETA by list scheduling
//! and firing items so they finish together ([`eta`]), throttling by station-seconds per
//! 5-minute slot ([`throttle`]), the order, task and delivery state machines ([`orders`]) and
//! ETA accuracy ([`accuracy`]).
//!
//! Units, everywhere in this module: a duration is a whole number of seconds in an `i64`
//! (fields and arguments end in `_secs`); an instant is a `chrono::DateTime<Utc>`. A "station
//! type" is a short code such as `tandoor` or `fryer`, compared exactly (the edge trims and
//! lowercases it).

pub mod accuracy;
pub mod dag;
pub mod durations;
pub mod eta;
pub mod orders;
pub mod queue;
pub mod throttle;
pub mod workflow;

pub use accuracy::{Accuracy, eta_accuracy};
pub use dag::{CriticalPath, DagError, TaskNode, critical_path, earliest_times, topological_order};
pub use durations::{Learned, LearnedSource, learned_duration};
pub use eta::{
    Eta, EtaError, FirePlan, ItemFire, PlannedTask, ScheduledTask, StationState, StationWait,
    estimate, fire_plan, staffed_from,
};
pub use orders::{
    Channel, DeliveryStatus, OrderStatus, Priority, Step, TaskStatus, TransitionError,
};
pub use queue::{QueueEntry, StationLoad, choose_station, load_percent, sort_queue};
pub use throttle::{SlotBooking, ThrottleError, earliest_slot};
pub use workflow::{
    InstantiateError, OrderLine, Phase, SubtaskTemplate, TaskInstance, TaskTemplate,
    TemplateProblem, WorkflowTemplate, instantiate, validate,
};

/// The longest a single task's duration may be, in seconds, wherever one is taken in: one day.
/// Longer durations (a typo, a task left started overnight) are held to it so sums of
/// durations cannot overflow and one bad sample cannot push an ETA into next week.
pub const MAX_TASK_SECS: i64 = 86_400;

/// A duration taken in, held to `0..=MAX_TASK_SECS` seconds.
pub(crate) fn clamp_secs(secs: i64) -> i64 {
    secs.clamp(0, MAX_TASK_SECS)
}

/// `now` plus `secs` seconds, held to the latest instant chrono represents on overflow.
pub(crate) fn at_offset(
    now: chrono::DateTime<chrono::Utc>,
    secs: i64,
) -> chrono::DateTime<chrono::Utc> {
    chrono::TimeDelta::try_seconds(secs)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// Whole seconds from `now` to `t`, rounded toward zero (negative when `t` is earlier).
pub(crate) fn secs_between(
    now: chrono::DateTime<chrono::Utc>,
    t: chrono::DateTime<chrono::Utc>,
) -> i64 {
    (t - now).num_seconds()
}

pub use crate::ids::{DeliveryId, OrderId, OrderLineId, StationId, TaskId, WorkflowTemplateId};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_saturate_instead_of_panicking() {
        let now = chrono::DateTime::<chrono::Utc>::MAX_UTC;
        assert_eq!(at_offset(now, 10), chrono::DateTime::<chrono::Utc>::MAX_UTC);
        assert_eq!(clamp_secs(-5), 0);
        assert_eq!(clamp_secs(i64::MAX), MAX_TASK_SECS);
        let id = TaskId::new();
        assert_eq!(id.to_string().parse::<TaskId>().ok(), Some(id));
    }
}
