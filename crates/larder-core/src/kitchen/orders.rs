//! The states an order, a task and a delivery move through, and which moves are allowed.
//!
//! - **Order**: `new -> preparing -> ready -> delivering -> delivered`; a collected or eaten-in
//!   order goes `ready -> delivered` (handed over). `cancelled` from `new`, `preparing` or
//!   `ready`; never after it left the kitchen. Cancelling marks every task of the order that is
//!   not done `cancelled`, started ones included ([`cancelled_tasks`]): the work stops and
//!   leaves the screens. Tasks already done stay done. Reversing what the order depleted from
//!   stock is the use case's job (inventory, not this machine).
//! - **Task**: `waiting` (dependencies not done) `-> ready` (queued at a station) `-> started
//!   -> done`; `blocked` from `waiting`, `ready` or `started` and back to any of those three;
//!   `cancelled` from any state but `done`; `started -> ready` un-starts a task bumped by
//!   mistake and `done -> started` recalls a bumped ticket. Moving to `ready`, `started` or
//!   `done` needs every dependency done (409 otherwise).
//! - **Delivery** (its own type, so the order keeps one status line): `assigned -> picked_up
//!   -> delivered`, or `failed` (with a reason, kept by the use case) from `assigned` or
//!   `picked_up`.
//!
//! A move to the state something is already in is [`Step::Unchanged`], not an error: a double
//! tap on "bump" is one transition, and a retried request answers as the first did.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident => $wire:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in the order of the declaration.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored and wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!(concat!("'{}' is not ", $what), s))
            }
        }
    };
}

wire_enum!(
    /// Where an order came from.
    Channel, "an order channel" {
        /// Taken by phone.
        Phone => "phone",
        /// Taken at the counter.
        InStore => "in_store",
        /// Placed online.
        Online => "online",
        /// Imported (a file, another system).
        Import => "import",
    }
);

wire_enum!(
    /// How urgent an order is; it orders station queues. Declared lowest first, so `Ord`
    /// ranks `urgent` highest.
    Priority, "a priority" {
        /// The usual.
        Normal => "normal",
        /// Ahead of normal orders.
        High => "high",
        /// Ahead of everything.
        Urgent => "urgent",
    }
);

wire_enum!(
    /// Where an order is.
    OrderStatus, "an order status" {
        /// Taken, no task started.
        New => "new",
        /// At least one task started.
        Preparing => "preparing",
        /// Every task done; waiting at the pass.
        Ready => "ready",
        /// With a rider.
        Delivering => "delivering",
        /// With the customer (delivered, collected or served).
        Delivered => "delivered",
        /// Called off before it left the kitchen.
        Cancelled => "cancelled",
    }
);

wire_enum!(
    /// Where a task instance is.
    TaskStatus, "a task status" {
        /// Some dependency is not done.
        Waiting => "waiting",
        /// Dependencies done; queued at a station.
        Ready => "ready",
        /// Being worked on.
        Started => "started",
        /// Finished.
        Done => "done",
        /// Held up (an ingredient out, a broken oven); a person says why.
        Blocked => "blocked",
        /// Its order was cancelled.
        Cancelled => "cancelled",
    }
);

wire_enum!(
    /// Where a delivery is.
    DeliveryStatus, "a delivery status" {
        /// A rider is assigned.
        Assigned => "assigned",
        /// The rider took it from the pass.
        PickedUp => "picked_up",
        /// Handed to the customer.
        Delivered => "delivered",
        /// Could not be delivered (the reason is kept with it).
        Failed => "failed",
    }
);

/// What a transition did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<S> {
    /// It moved from one state to another: record it, emit its event.
    Moved {
        /// The state it was in.
        from: S,
        /// The state it is in now.
        to: S,
    },
    /// It was already there (a repeated bump): nothing to record.
    Unchanged(S),
}

/// A transition that is not allowed, naming where from and where to (the API answers 409).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// An order cannot move so.
    #[error("an order cannot go from {from} to {to}")]
    Order {
        /// Its state.
        from: OrderStatus,
        /// The state asked for.
        to: OrderStatus,
    },
    /// A task cannot move so.
    #[error("a task cannot go from {from} to {to}")]
    Task {
        /// Its state.
        from: TaskStatus,
        /// The state asked for.
        to: TaskStatus,
    },
    /// A task may not become ready, start or complete while a dependency is not done.
    #[error("a task cannot go from {from} to {to} before its dependencies are done")]
    DependenciesNotDone {
        /// Its state.
        from: TaskStatus,
        /// The state asked for.
        to: TaskStatus,
    },
    /// A delivery cannot move so.
    #[error("a delivery cannot go from {from} to {to}")]
    Delivery {
        /// Its state.
        from: DeliveryStatus,
        /// The state asked for.
        to: DeliveryStatus,
    },
}

impl OrderStatus {
    /// Whether nothing more happens to it (`delivered`, `cancelled`).
    pub const fn is_final(self) -> bool {
        matches!(self, OrderStatus::Delivered | OrderStatus::Cancelled)
    }

    /// Moves an order to `to` (module doc).
    ///
    /// # Errors
    /// [`TransitionError::Order`] for a move the machine does not have.
    pub fn transition(self, to: OrderStatus) -> Result<Step<OrderStatus>, TransitionError> {
        use OrderStatus as S;
        if self == to {
            return Ok(Step::Unchanged(self));
        }
        let allowed = matches!(
            (self, to),
            (S::New, S::Preparing)
                | (S::Preparing, S::Ready)
                | (S::Ready, S::Delivering)
                | (S::Ready, S::Delivered)
                | (S::Delivering, S::Delivered)
                | (S::New | S::Preparing | S::Ready, S::Cancelled)
        );
        if allowed {
            Ok(Step::Moved { from: self, to })
        } else {
            Err(TransitionError::Order { from: self, to })
        }
    }
}

impl TaskStatus {
    /// Whether it holds a place at a station (queued or in work).
    pub const fn is_open(self) -> bool {
        matches!(self, TaskStatus::Ready | TaskStatus::Started)
    }

    /// Moves a task to `to` (module doc); `dependencies_done` says whether every task it waits
    /// for is done.
    ///
    /// # Errors
    /// [`TransitionError::Task`] for a move the machine does not have;
    /// [`TransitionError::DependenciesNotDone`] for a move to `ready`, `started` or `done`
    /// with a dependency not done.
    pub fn transition(
        self,
        to: TaskStatus,
        dependencies_done: bool,
    ) -> Result<Step<TaskStatus>, TransitionError> {
        use TaskStatus as S;
        if self == to {
            return Ok(Step::Unchanged(self));
        }
        let allowed = matches!(
            (self, to),
            (S::Waiting, S::Ready)
                | (S::Ready, S::Started)
                | (S::Started, S::Done)
                | (S::Started, S::Ready)
                | (S::Done, S::Started)
                | (S::Waiting | S::Ready | S::Started, S::Blocked)
                | (S::Blocked, S::Waiting | S::Ready | S::Started)
                | (
                    S::Waiting | S::Ready | S::Started | S::Blocked,
                    S::Cancelled
                )
        );
        if !allowed {
            return Err(TransitionError::Task { from: self, to });
        }
        if matches!(to, S::Ready | S::Started | S::Done) && !dependencies_done {
            return Err(TransitionError::DependenciesNotDone { from: self, to });
        }
        Ok(Step::Moved { from: self, to })
    }
}

impl DeliveryStatus {
    /// Moves a delivery to `to` (module doc).
    ///
    /// # Errors
    /// [`TransitionError::Delivery`] for a move the machine does not have.
    pub fn transition(self, to: DeliveryStatus) -> Result<Step<DeliveryStatus>, TransitionError> {
        use DeliveryStatus as S;
        if self == to {
            return Ok(Step::Unchanged(self));
        }
        let allowed = matches!(
            (self, to),
            (S::Assigned, S::PickedUp)
                | (S::PickedUp, S::Delivered)
                | (S::Assigned | S::PickedUp, S::Failed)
        );
        if allowed {
            Ok(Step::Moved { from: self, to })
        } else {
            Err(TransitionError::Delivery { from: self, to })
        }
    }

    /// The order status a delivery's move implies: `picked_up` puts the order `delivering`,
    /// `delivered` puts it `delivered`; otherwise the order stays as it is (a failed delivery
    /// leaves it `delivering` for a person to decide).
    pub const fn order_status(self) -> Option<OrderStatus> {
        match self {
            DeliveryStatus::PickedUp => Some(OrderStatus::Delivering),
            DeliveryStatus::Delivered => Some(OrderStatus::Delivered),
            DeliveryStatus::Assigned | DeliveryStatus::Failed => None,
        }
    }
}

/// What cancelling an order does to its tasks: every task not done and not already cancelled
/// becomes `cancelled` (started ones included), in the order given; done tasks stay done.
pub fn cancelled_tasks<I: Copy>(tasks: &[(I, TaskStatus)]) -> Vec<I> {
    tasks
        .iter()
        .filter(|(_, s)| !matches!(s, TaskStatus::Done | TaskStatus::Cancelled))
        .map(|(id, _)| *id)
        .collect()
}

/// The order status its tasks imply, for the use case to apply after a task moves: `ready`
/// when every task is done, `preparing` once one has started or finished, else `new`; an order
/// already past `ready` or cancelled keeps its status. Cancelled tasks are not counted.
pub fn order_status_from_tasks(current: OrderStatus, tasks: &[TaskStatus]) -> OrderStatus {
    if matches!(
        current,
        OrderStatus::Delivering | OrderStatus::Delivered | OrderStatus::Cancelled
    ) {
        return current;
    }
    let live: Vec<TaskStatus> = tasks
        .iter()
        .copied()
        .filter(|s| *s != TaskStatus::Cancelled)
        .collect();
    if !live.is_empty() && live.iter().all(|s| *s == TaskStatus::Done) {
        OrderStatus::Ready
    } else if live
        .iter()
        .any(|s| matches!(s, TaskStatus::Started | TaskStatus::Done))
    {
        OrderStatus::Preparing
    } else {
        OrderStatus::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_order_goes_from_new_to_delivered_or_is_cancelled_in_the_kitchen() {
        use OrderStatus as S;
        let path = [S::New, S::Preparing, S::Ready, S::Delivering, S::Delivered];
        for w in path.windows(2) {
            assert_eq!(
                w[0].transition(w[1]),
                Ok(Step::Moved {
                    from: w[0],
                    to: w[1]
                })
            );
        }
        assert!(S::Ready.transition(S::Delivered).is_ok());
        for from in [S::New, S::Preparing, S::Ready] {
            assert!(from.transition(S::Cancelled).is_ok());
        }
        for from in [S::Delivering, S::Delivered] {
            assert_eq!(
                from.transition(S::Cancelled),
                Err(TransitionError::Order {
                    from,
                    to: S::Cancelled
                })
            );
        }
        assert_eq!(
            S::New.transition(S::Ready).unwrap_err().to_string(),
            "an order cannot go from new to ready"
        );
        assert_eq!(
            S::Cancelled.transition(S::Cancelled),
            Ok(Step::Unchanged(S::Cancelled))
        );
    }

    #[test]
    fn a_double_bump_is_one_transition() {
        let first = TaskStatus::Ready.transition(TaskStatus::Started, true);
        assert_eq!(
            first,
            Ok(Step::Moved {
                from: TaskStatus::Ready,
                to: TaskStatus::Started
            })
        );
        assert_eq!(
            TaskStatus::Started.transition(TaskStatus::Started, true),
            Ok(Step::Unchanged(TaskStatus::Started))
        );
        assert_eq!(
            TaskStatus::Done.transition(TaskStatus::Done, true),
            Ok(Step::Unchanged(TaskStatus::Done))
        );
    }

    #[test]
    fn a_task_with_dependencies_open_cannot_start_or_complete() {
        assert_eq!(
            TaskStatus::Waiting.transition(TaskStatus::Ready, false),
            Err(TransitionError::DependenciesNotDone {
                from: TaskStatus::Waiting,
                to: TaskStatus::Ready
            })
        );
        assert_eq!(
            TaskStatus::Waiting.transition(TaskStatus::Done, true),
            Err(TransitionError::Task {
                from: TaskStatus::Waiting,
                to: TaskStatus::Done
            })
        );
        assert!(
            TaskStatus::Waiting
                .transition(TaskStatus::Blocked, false)
                .is_ok()
        );
        assert!(
            TaskStatus::Done
                .transition(TaskStatus::Cancelled, true)
                .is_err()
        );
        assert!(
            TaskStatus::Done
                .transition(TaskStatus::Started, true)
                .is_ok()
        );
    }

    #[test]
    fn cancelling_stops_started_work_and_keeps_what_is_done() {
        let tasks = [
            (1, TaskStatus::Done),
            (2, TaskStatus::Started),
            (3, TaskStatus::Waiting),
            (4, TaskStatus::Blocked),
            (5, TaskStatus::Cancelled),
            (6, TaskStatus::Ready),
        ];
        assert_eq!(cancelled_tasks(&tasks), vec![2, 3, 4, 6]);
        for (_, s) in &tasks {
            let r = s.transition(TaskStatus::Cancelled, false);
            assert_eq!(r.is_ok(), *s != TaskStatus::Done);
        }
    }

    #[test]
    fn deliveries_keep_their_own_states() {
        use DeliveryStatus as D;
        assert!(D::Assigned.transition(D::PickedUp).is_ok());
        assert!(D::PickedUp.transition(D::Delivered).is_ok());
        assert!(D::PickedUp.transition(D::Failed).is_ok());
        assert!(D::Assigned.transition(D::Delivered).is_err());
        assert!(D::Delivered.transition(D::Failed).is_err());
        assert_eq!(D::PickedUp.order_status(), Some(OrderStatus::Delivering));
        assert_eq!("picked_up".parse::<D>(), Ok(D::PickedUp));
        assert!("lost".parse::<D>().is_err());
        assert_eq!("in_store".parse::<Channel>(), Ok(Channel::InStore));
        assert!(Priority::Urgent > Priority::High && Priority::High > Priority::Normal);
    }

    #[test]
    fn the_order_follows_its_tasks() {
        use TaskStatus as T;
        assert_eq!(
            order_status_from_tasks(OrderStatus::New, &[T::Ready, T::Waiting]),
            OrderStatus::New
        );
        assert_eq!(
            order_status_from_tasks(OrderStatus::New, &[T::Started, T::Waiting]),
            OrderStatus::Preparing
        );
        assert_eq!(
            order_status_from_tasks(OrderStatus::Preparing, &[T::Done, T::Cancelled]),
            OrderStatus::Ready
        );
        assert_eq!(
            order_status_from_tasks(OrderStatus::Delivering, &[T::Started]),
            OrderStatus::Delivering
        );
    }

    fn task_status() -> impl Strategy<Value = TaskStatus> {
        proptest::sample::select(TaskStatus::ALL.to_vec())
    }

    fn order_status() -> impl Strategy<Value = OrderStatus> {
        proptest::sample::select(OrderStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn repeating_a_task_transition_is_a_no_op(from in task_status(), to in task_status(), deps in any::<bool>()) {
            if let Ok(Step::Moved { to: now, .. }) = from.transition(to, deps) {
                prop_assert_eq!(now, to);
                prop_assert_eq!(now.transition(to, deps), Ok(Step::Unchanged(to)));
            }
            // Nothing leaves done but a recall, and nothing is done without its dependencies.
            if from == TaskStatus::Done && from != to {
                prop_assert_eq!(from.transition(to, true).is_ok(), to == TaskStatus::Started);
            }
            if to == TaskStatus::Done && from != to {
                prop_assert!(from.transition(to, false).is_err());
            }
        }

        #[test]
        fn final_orders_never_move(from in order_status(), to in order_status()) {
            let r = from.transition(to);
            if from.is_final() && from != to {
                prop_assert!(r.is_err());
            }
            if let Err(TransitionError::Order { from: f, to: t }) = r {
                prop_assert_eq!((f, t), (from, to));
            }
        }
    }
}
