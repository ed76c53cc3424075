//! Workflow templates: how one menu item (or a category's items) is made, as phases in order,
//! each of tasks done at a station type, with estimates, dependencies and subtasks; their
//! validation, and their instantiation into task instances for one order line.
//!
//! **Phases and dependencies.** Phases order the work through dependencies only, by one rule:
//! a task that lists no dependencies waits for every task of the nearest earlier phase that
//! has tasks (a first-phase task without dependencies waits for nothing); a task that lists
//! dependencies waits for exactly those, which must be in its own phase or an earlier one. So
//! "prep, cook, plate" needs no dependency written, and a task may still start early ("warm the
//! naan" in the cook phase waits only for "stretch dough", not for the whole prep phase).
//!
//! **Instantiation.** One set of task instances per order *line*, not per unit: a line of
//! 3 garlic naan is one ticket line on the station's screen, bumped once. Its estimate is the
//! template's per-unit estimate times the quantity (linear; a task that cooks many at once is
//! better written with a per-unit estimate that reflects batching, and learned durations are
//! kept per unit, see [`super::durations`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::dag::{TaskNode, cycles};
use super::orders::TaskStatus;
use super::{OrderLineId, TaskId};
use crate::MenuItemId;

/// The most tasks one template may have.
pub const MAX_TASKS: usize = 200;
/// The longest estimate one task may have, in seconds (4 hours: a slow braise).
pub const MAX_ESTIMATE_SECS: i64 = 4 * 3600;
/// The largest quantity of one order line.
pub const MAX_QUANTITY: i64 = 999;

/// A step of a task that a cook ticks off on the display ("add the cream").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubtaskTemplate {
    /// What to do.
    pub name: String,
    /// Whether the task may be completed with this step not ticked (a garnish).
    pub optional: bool,
}

/// One task of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskTemplate {
    /// Its key, unique within the template (`stretch_dough`); dependencies name it.
    pub key: String,
    /// What the station's screen shows ("Stretch the dough").
    pub name: String,
    /// The station type that does it (`tandoor`).
    pub station_type: String,
    /// How long one unit takes, in seconds, `1..=MAX_ESTIMATE_SECS`.
    pub estimate_secs: i64,
    /// Keys of the tasks it waits for; none means every task of the previous phase (module
    /// doc). A key listed twice counts once.
    pub depends_on: Vec<String>,
    /// Its steps, in order.
    pub subtasks: Vec<SubtaskTemplate>,
}

/// A phase: tasks that come after those of the phases before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Phase {
    /// Its name ("prep", "cook", "plate").
    pub name: String,
    /// Its tasks, in the order screens list them.
    pub tasks: Vec<TaskTemplate>,
}

/// A workflow template as validated and instantiated (one version of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkflowTemplate {
    /// Its name ("Breads").
    pub name: String,
    /// Its phases, in order.
    pub phases: Vec<Phase>,
}

impl WorkflowTemplate {
    /// Every task with its phase's index, in template order (phase by phase).
    pub fn tasks(&self) -> impl Iterator<Item = (usize, &TaskTemplate)> {
        self.phases
            .iter()
            .enumerate()
            .flat_map(|(p, phase)| phase.tasks.iter().map(move |t| (p, t)))
    }

    /// Each task's key with the keys it waits for once the phase rule is applied (module
    /// doc), in template order; dependencies in template order. Unknown keys are left out (a
    /// valid template has none).
    pub fn resolved_dependencies(&self) -> Vec<(String, Vec<String>)> {
        let tasks: Vec<(usize, &TaskTemplate)> = self.tasks().collect();
        let index = first_index(&tasks);
        resolve(&tasks, &index)
            .into_iter()
            .zip(&tasks)
            .map(|(deps, (_, t))| {
                (
                    t.key.clone(),
                    deps.into_iter().map(|d| tasks[d].1.key.clone()).collect(),
                )
            })
            .collect()
    }
}

/// Key -> index of its first task.
fn first_index<'a>(tasks: &[(usize, &'a TaskTemplate)]) -> HashMap<&'a str, usize> {
    let mut index = HashMap::new();
    for (i, (_, t)) in tasks.iter().enumerate() {
        index.entry(t.key.as_str()).or_insert(i);
    }
    index
}

/// Each task's dependencies as indices (sorted, no repeats) under the phase rule; unknown keys
/// and dependencies on later phases are left out.
fn resolve(tasks: &[(usize, &TaskTemplate)], index: &HashMap<&str, usize>) -> Vec<Vec<usize>> {
    tasks
        .iter()
        .map(|&(phase, t)| {
            let mut deps: Vec<usize> = if t.depends_on.is_empty() {
                // Every task of the nearest earlier phase with tasks.
                let previous = tasks.iter().map(|(p, _)| *p).filter(|&p| p < phase).max();
                match previous {
                    Some(prev) => (0..tasks.len()).filter(|&j| tasks[j].0 == prev).collect(),
                    None => Vec::new(),
                }
            } else {
                t.depends_on
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .filter(|&j| tasks[j].0 <= phase)
                    .collect()
            };
            deps.sort_unstable();
            deps.dedup();
            deps
        })
        .collect()
}

/// Why a workflow template was refused. Each names the task at fault by its key (the API
/// answers 422 with one entry per problem).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum TemplateProblem {
    /// No task at all.
    #[error("a workflow template needs at least one task")]
    Empty,
    /// More than [`MAX_TASKS`] tasks.
    #[error("a workflow template has at most {MAX_TASKS} tasks, not {count}")]
    TooManyTasks {
        /// How many it has.
        count: usize,
    },
    /// A task without a key (phase and position from 0).
    #[error("task {position} of phase {phase} has no key")]
    BlankKey {
        /// The phase's index.
        phase: usize,
        /// The task's index within it.
        position: usize,
    },
    /// A second task with a key already used (the first keeps it).
    #[error("task '{task}': another task has this key")]
    DuplicateKey {
        /// The key.
        task: String,
    },
    /// A dependency on a key no task has.
    #[error("task '{task}' depends on '{dependency}', which is not a task of this template")]
    UnknownDependency {
        /// The task.
        task: String,
        /// The missing key.
        dependency: String,
    },
    /// A dependency on a task of a later phase (phases are in order).
    #[error("task '{task}' depends on '{dependency}', which is in a later phase")]
    LaterPhaseDependency {
        /// The task.
        task: String,
        /// The later task's key.
        dependency: String,
    },
    /// Tasks waiting for each other in a circle, in dependency order (each waits for the
    /// next, the last for the first); a task waiting for itself is a cycle of one.
    #[error("tasks {} depend on each other in a cycle ({})", quoted(.tasks), circle(.tasks))]
    Cycle {
        /// The tasks on the cycle.
        tasks: Vec<String>,
    },
    /// A station type that no station has.
    #[error("task '{task}' needs station type '{station_type}', which no station has")]
    UnknownStationType {
        /// The task.
        task: String,
        /// Its station type.
        station_type: String,
    },
    /// An estimate of zero seconds or less.
    #[error("task '{task}': the estimate must be positive, not {estimate_secs} s")]
    NonPositiveEstimate {
        /// The task.
        task: String,
        /// Its estimate in seconds.
        estimate_secs: i64,
    },
    /// An estimate longer than [`MAX_ESTIMATE_SECS`].
    #[error(
        "task '{task}': the estimate may be at most {MAX_ESTIMATE_SECS} s, not {estimate_secs} s"
    )]
    EstimateTooLong {
        /// The task.
        task: String,
        /// Its estimate in seconds.
        estimate_secs: i64,
    },
}

fn quoted(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn circle(keys: &[String]) -> String {
    let mut s = keys.join(" -> ");
    if let Some(first) = keys.first() {
        s.push_str(" -> ");
        s.push_str(first);
    }
    s
}

impl TemplateProblem {
    /// The key of the task it names (the first, for a cycle); `None` for problems of the
    /// whole template or of a task without a key.
    pub fn task(&self) -> Option<&str> {
        match self {
            TemplateProblem::Empty
            | TemplateProblem::TooManyTasks { .. }
            | TemplateProblem::BlankKey { .. } => None,
            TemplateProblem::Cycle { tasks } => tasks.first().map(String::as_str),
            TemplateProblem::DuplicateKey { task }
            | TemplateProblem::UnknownDependency { task, .. }
            | TemplateProblem::LaterPhaseDependency { task, .. }
            | TemplateProblem::UnknownStationType { task, .. }
            | TemplateProblem::NonPositiveEstimate { task, .. }
            | TemplateProblem::EstimateTooLong { task, .. } => Some(task),
        }
    }
}

/// Every problem of `template`, in template order; an empty list when it can be saved.
/// `station_types` are the types the tenant's stations have (any station, active or not);
/// `None` skips that check (an instantiation of a template saved earlier).
fn problems<S: AsRef<str>>(
    template: &WorkflowTemplate,
    station_types: Option<&[S]>,
) -> Vec<TemplateProblem> {
    let tasks: Vec<(usize, &TaskTemplate)> = template.tasks().collect();
    let mut out = Vec::new();
    if tasks.is_empty() {
        out.push(TemplateProblem::Empty);
        return out;
    }
    if tasks.len() > MAX_TASKS {
        out.push(TemplateProblem::TooManyTasks { count: tasks.len() });
        return out;
    }
    let index = first_index(&tasks);
    let mut position_in_phase = HashMap::new();
    for (i, &(phase, t)) in tasks.iter().enumerate() {
        let position = position_in_phase.entry(phase).or_insert(0usize);
        let here = *position;
        *position += 1;
        if t.key.trim().is_empty() {
            out.push(TemplateProblem::BlankKey {
                phase,
                position: here,
            });
            continue;
        }
        let task = || t.key.clone();
        if index.get(t.key.as_str()) != Some(&i) {
            out.push(TemplateProblem::DuplicateKey { task: task() });
        }
        let mut listed: Vec<&String> = t.depends_on.iter().collect();
        listed.dedup();
        for d in listed {
            match index.get(d.as_str()) {
                None => out.push(TemplateProblem::UnknownDependency {
                    task: task(),
                    dependency: d.clone(),
                }),
                Some(&j) if tasks[j].0 > phase => {
                    out.push(TemplateProblem::LaterPhaseDependency {
                        task: task(),
                        dependency: d.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        if let Some(types) = station_types
            && !types.iter().any(|s| s.as_ref() == t.station_type)
        {
            out.push(TemplateProblem::UnknownStationType {
                task: task(),
                station_type: t.station_type.clone(),
            });
        }
        if t.estimate_secs <= 0 {
            out.push(TemplateProblem::NonPositiveEstimate {
                task: task(),
                estimate_secs: t.estimate_secs,
            });
        } else if t.estimate_secs > MAX_ESTIMATE_SECS {
            out.push(TemplateProblem::EstimateTooLong {
                task: task(),
                estimate_secs: t.estimate_secs,
            });
        }
    }
    // Cycles among the first task of each key (duplicates and blank keys stay out of the
    // graph: they are refused already).
    let mut preds = resolve(&tasks, &index);
    for (i, p) in preds.iter_mut().enumerate() {
        if index.get(tasks[i].1.key.as_str()) != Some(&i) {
            p.clear();
        }
    }
    for cycle in cycles(&preds) {
        out.push(TemplateProblem::Cycle {
            tasks: cycle.into_iter().map(|i| tasks[i].1.key.clone()).collect(),
        });
    }
    out
}

/// Checks a workflow template before it is saved: every problem, each naming its task —
/// no task, too many, a blank or repeated key, a dependency on a missing task or on a later
/// phase, a dependency cycle (naming the tasks on it), a station type none of
/// `station_types` is, an estimate not in `1..=MAX_ESTIMATE_SECS`.
///
/// # Errors
/// The list of problems, in template order (cycles last), when there is at least one.
pub fn validate<S: AsRef<str>>(
    template: &WorkflowTemplate,
    station_types: &[S],
) -> Result<(), Vec<TemplateProblem>> {
    let found = problems(template, Some(station_types));
    if found.is_empty() { Ok(()) } else { Err(found) }
}

/// An order line as instantiation needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderLine {
    /// The line (its tasks carry it).
    pub id: OrderLineId,
    /// What was ordered (its template was chosen from it).
    pub menu_item: MenuItemId,
    /// How many, `1..=MAX_QUANTITY`.
    pub quantity: i64,
}

/// One task of one order line, made from a template's task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskInstance {
    /// Its id.
    pub id: TaskId,
    /// The order line it belongs to.
    pub line: OrderLineId,
    /// The template task's key (learned durations are kept per key and station).
    pub task_key: String,
    /// What the screen shows.
    pub name: String,
    /// Its phase's index in the template.
    pub phase: usize,
    /// The station type that does it.
    pub station_type: String,
    /// The line's quantity.
    pub quantity: i64,
    /// The template's estimate for one unit, in seconds.
    pub unit_estimate_secs: i64,
    /// The estimate for the line: `unit_estimate_secs x quantity`, in seconds.
    pub estimate_secs: i64,
    /// The instances it waits for, in template order.
    pub depends_on: Vec<TaskId>,
    /// Its steps, none ticked.
    pub subtasks: Vec<SubtaskTemplate>,
    /// `ready` when it waits for nothing, else `waiting`.
    pub status: TaskStatus,
}

impl TaskInstance {
    /// The instance as a node of the order's graph, with its template estimate.
    pub fn node(&self) -> TaskNode {
        TaskNode {
            id: self.id,
            duration_secs: self.estimate_secs,
            depends_on: self.depends_on.clone(),
        }
    }
}

/// Why an order line could not be instantiated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstantiateError {
    /// The template is not valid (its structure; station types are not checked here).
    #[error("the workflow template is not valid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Template(Vec<TemplateProblem>),
    /// A quantity not in `1..=MAX_QUANTITY`.
    #[error("the quantity must be 1 to {MAX_QUANTITY}, not {0}")]
    Quantity(i64),
}

/// The task instances of one order line: one per template task, in template order (phase by
/// phase), each id drawn from `new_id` in that order (the use case passes `TaskId::new`, a
/// test a counter), dependencies resolved by the phase rule (module doc) to instance ids.
///
/// # Errors
/// [`InstantiateError::Template`] for a template with structural problems (as [`validate`],
/// station types aside); [`InstantiateError::Quantity`].
pub fn instantiate(
    template: &WorkflowTemplate,
    line: &OrderLine,
    mut new_id: impl FnMut() -> TaskId,
) -> Result<Vec<TaskInstance>, InstantiateError> {
    if !(1..=MAX_QUANTITY).contains(&line.quantity) {
        return Err(InstantiateError::Quantity(line.quantity));
    }
    let found = problems::<&str>(template, None);
    if !found.is_empty() {
        return Err(InstantiateError::Template(found));
    }
    let tasks: Vec<(usize, &TaskTemplate)> = template.tasks().collect();
    let deps = resolve(&tasks, &first_index(&tasks));
    let ids: Vec<TaskId> = tasks.iter().map(|_| new_id()).collect();
    Ok(tasks
        .iter()
        .zip(deps)
        .zip(&ids)
        .map(|((&(phase, t), deps), &id)| TaskInstance {
            id,
            line: line.id,
            task_key: t.key.clone(),
            name: t.name.clone(),
            phase,
            station_type: t.station_type.clone(),
            quantity: line.quantity,
            unit_estimate_secs: t.estimate_secs,
            estimate_secs: t.estimate_secs.saturating_mul(line.quantity),
            status: if deps.is_empty() {
                TaskStatus::Ready
            } else {
                TaskStatus::Waiting
            },
            depends_on: deps.into_iter().map(|d| ids[d]).collect(),
            subtasks: t.subtasks.clone(),
        })
        .collect())
}

/// The dependencies of `task` among `all` that are not done (a dependency not in `all`
/// counts as not done). Empty when it may start or complete; otherwise the use case answers
/// 409 naming them.
pub fn unfinished_dependencies(task: &TaskInstance, all: &[TaskInstance]) -> Vec<TaskId> {
    task.depends_on
        .iter()
        .filter(|d| {
            !all.iter()
                .any(|t| t.id == **d && t.status == TaskStatus::Done)
        })
        .copied()
        .collect()
}

/// The `waiting` tasks whose dependencies are all done: those to move to `ready` and queue,
/// in the order given.
pub fn newly_ready(all: &[TaskInstance]) -> Vec<TaskId> {
    all.iter()
        .filter(|t| t.status == TaskStatus::Waiting && unfinished_dependencies(t, all).is_empty())
        .map(|t| t.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kitchen::dag::{critical_path, topological_order};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn task(key: &str, station: &str, secs: i64, deps: &[&str]) -> TaskTemplate {
        TaskTemplate {
            key: key.into(),
            name: key.replace('_', " "),
            station_type: station.into(),
            estimate_secs: secs,
            depends_on: deps.iter().map(|d| (*d).to_string()).collect(),
            subtasks: vec![SubtaskTemplate {
                name: "check".into(),
                optional: true,
            }],
        }
    }

    fn phase(name: &str, tasks: Vec<TaskTemplate>) -> Phase {
        Phase {
            name: name.into(),
            tasks,
        }
    }

    /// Naan: stretch (prep), bake (tandoor) and butter (cook), then box at the pass.
    fn naan() -> WorkflowTemplate {
        WorkflowTemplate {
            name: "Breads".into(),
            phases: vec![
                phase("prep", vec![task("stretch", "bread", 60, &[])]),
                phase(
                    "cook",
                    vec![
                        task("bake", "tandoor", 120, &[]),
                        task("butter", "bread", 20, &["bake"]),
                    ],
                ),
                phase("plate", vec![task("box", "pass", 15, &[])]),
            ],
        }
    }

    const TYPES: [&str; 3] = ["bread", "tandoor", "pass"];

    fn counter() -> impl FnMut() -> TaskId {
        let mut n = 0u128;
        move || {
            n += 1;
            TaskId::from_uuid(Uuid::from_u128(n))
        }
    }

    fn line(quantity: i64) -> OrderLine {
        OrderLine {
            id: OrderLineId::from_uuid(Uuid::from_u128(77)),
            menu_item: MenuItemId::from_uuid(Uuid::from_u128(78)),
            quantity,
        }
    }

    #[test]
    fn a_task_without_dependencies_waits_for_the_previous_phase() {
        assert_eq!(validate(&naan(), &TYPES), Ok(()));
        assert_eq!(
            naan().resolved_dependencies(),
            vec![
                ("stretch".to_string(), vec![]),
                ("bake".to_string(), vec!["stretch".to_string()]),
                ("butter".to_string(), vec!["bake".to_string()]),
                (
                    "box".to_string(),
                    vec!["bake".to_string(), "butter".to_string()]
                ),
            ]
        );
        // An empty phase between two is skipped over.
        let mut t = naan();
        t.phases.insert(2, phase("rest", vec![]));
        assert_eq!(t.resolved_dependencies()[3].1, vec!["bake", "butter"]);
    }

    #[test]
    fn every_problem_is_named_with_its_task() {
        let t = WorkflowTemplate {
            name: "Bad".into(),
            phases: vec![
                phase(
                    "one",
                    vec![
                        task("a", "bread", 0, &["c"]),
                        task("b", "grill", 30, &["a", "ghost"]),
                        task("c", "bread", 30, &["b"]),
                        task("a", "bread", 30, &[]),
                        task("d", "bread", 99_999, &["e"]),
                        task("s", "bread", 5, &["s"]),
                        task(" ", "bread", 5, &[]),
                    ],
                ),
                phase("two", vec![task("e", "pass", 10, &[])]),
            ],
        };
        let problems = validate(&t, &TYPES).unwrap_err();
        let want = vec![
            TemplateProblem::NonPositiveEstimate {
                task: "a".into(),
                estimate_secs: 0,
            },
            TemplateProblem::UnknownDependency {
                task: "b".into(),
                dependency: "ghost".into(),
            },
            TemplateProblem::UnknownStationType {
                task: "b".into(),
                station_type: "grill".into(),
            },
            TemplateProblem::DuplicateKey { task: "a".into() },
            TemplateProblem::LaterPhaseDependency {
                task: "d".into(),
                dependency: "e".into(),
            },
            TemplateProblem::EstimateTooLong {
                task: "d".into(),
                estimate_secs: 99_999,
            },
            TemplateProblem::BlankKey {
                phase: 0,
                position: 6,
            },
            TemplateProblem::Cycle {
                tasks: vec!["a".into(), "c".into(), "b".into()],
            },
            TemplateProblem::Cycle {
                tasks: vec!["s".into()],
            },
        ];
        assert_eq!(problems, want);
        assert_eq!(
            problems[7].to_string(),
            "tasks 'a', 'c', 'b' depend on each other in a cycle (a -> c -> b -> a)"
        );
        assert_eq!(problems[7].task(), Some("a"));
        let empty = WorkflowTemplate {
            name: "Nothing".into(),
            phases: vec![phase("one", vec![])],
        };
        assert_eq!(validate(&empty, &TYPES), Err(vec![TemplateProblem::Empty]));
    }

    #[test]
    fn a_line_is_one_set_of_tasks_scaled_by_its_quantity() {
        let tasks = instantiate(&naan(), &line(3), counter()).unwrap();
        let id = |n: u128| TaskId::from_uuid(Uuid::from_u128(n));
        assert_eq!(
            tasks.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![id(1), id(2), id(3), id(4)]
        );
        assert_eq!(tasks[3].depends_on, vec![id(2), id(3)]);
        assert_eq!(
            tasks.iter().map(|t| t.estimate_secs).collect::<Vec<_>>(),
            vec![180, 360, 60, 45]
        );
        assert_eq!(tasks[0].status, TaskStatus::Ready);
        assert_eq!(tasks[1].status, TaskStatus::Waiting);
        let nodes: Vec<_> = tasks.iter().map(TaskInstance::node).collect();
        assert_eq!(
            critical_path(&nodes).unwrap().length_secs,
            180 + 360 + 60 + 45
        );
        assert_eq!(
            instantiate(&naan(), &line(0), counter()),
            Err(InstantiateError::Quantity(0))
        );
        let mut bad = naan();
        bad.phases[0].tasks[0].depends_on = vec!["box".into()];
        assert!(matches!(
            instantiate(&bad, &line(1), counter()),
            Err(InstantiateError::Template(_))
        ));
    }

    #[test]
    fn tasks_become_ready_when_their_dependencies_are_done() {
        let mut tasks = instantiate(&naan(), &line(1), counter()).unwrap();
        assert!(newly_ready(&tasks).is_empty());
        assert_eq!(
            unfinished_dependencies(&tasks[1], &tasks),
            vec![tasks[0].id]
        );
        tasks[0].status = TaskStatus::Done;
        assert_eq!(newly_ready(&tasks), vec![tasks[1].id]);
        tasks[1].status = TaskStatus::Done;
        tasks[2].status = TaskStatus::Done;
        assert_eq!(newly_ready(&tasks), vec![tasks[3].id]);
    }

    /// A random valid template: up to 4 phases of up to 4 tasks, each listing no dependencies
    /// or some earlier tasks' keys.
    fn template() -> impl Strategy<Value = WorkflowTemplate> {
        proptest::collection::vec(
            proptest::collection::vec(
                (1i64..600, proptest::collection::vec(any::<bool>(), 16)),
                0..4,
            ),
            1..4,
        )
        .prop_map(|phases| {
            let mut n = 0usize;
            let mut keys: Vec<(usize, String)> = Vec::new();
            let mut out = Vec::new();
            for (p, ts) in phases.into_iter().enumerate() {
                let mut tasks = Vec::new();
                for (secs, picks) in ts {
                    let key = format!("t{n}");
                    let deps: Vec<String> = keys
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| picks[i % 16])
                        .map(|(_, (_, k))| k.clone())
                        .collect();
                    tasks.push(TaskTemplate {
                        key: key.clone(),
                        name: key.clone(),
                        station_type: "grill".into(),
                        estimate_secs: secs,
                        depends_on: deps,
                        subtasks: vec![],
                    });
                    keys.push((p, key));
                    n += 1;
                }
                out.push(Phase {
                    name: format!("p{p}"),
                    tasks,
                });
            }
            if n == 0 {
                out[0].tasks.push(TaskTemplate {
                    key: "only".into(),
                    name: "only".into(),
                    station_type: "grill".into(),
                    estimate_secs: 5,
                    depends_on: vec![],
                    subtasks: vec![],
                });
            }
            WorkflowTemplate {
                name: "random".into(),
                phases: out,
            }
        })
    }

    proptest! {
        #[test]
        fn instantiated_tasks_respect_every_dependency(t in template(), q in 1i64..5) {
            prop_assert_eq!(validate(&t, &["grill"]), Ok(()));
            let tasks = instantiate(&t, &line(q), counter()).unwrap();
            prop_assert_eq!(tasks.len(), t.tasks().count());
            let nodes: Vec<_> = tasks.iter().map(TaskInstance::node).collect();
            let order = topological_order(&nodes).unwrap();
            let pos: HashMap<TaskId, usize> =
                order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            for task in &tasks {
                for d in &task.depends_on {
                    prop_assert!(pos[d] < pos[&task.id]);
                    // A dependency is never in a later phase.
                    let dep = tasks.iter().find(|x| x.id == *d).unwrap();
                    prop_assert!(dep.phase <= task.phase);
                }
                prop_assert_eq!(task.estimate_secs, task.unit_estimate_secs * q);
                prop_assert_eq!(task.status == TaskStatus::Ready, task.depends_on.is_empty());
            }
            // Deterministic: the same template and ids give the same instances.
            prop_assert_eq!(instantiate(&t, &line(q), counter()).unwrap(), tasks);
        }
    }
}
