//! The task graph of an order: tasks that wait for other tasks (a DAG). Its topological order,
//! each task's earliest start and end when nothing but its dependencies holds it, and the
//! critical path: the longest chain of dependent tasks, which bounds how soon the order can be
//! ready however many stations there are (Kelley & Walker, "Critical-path planning and
//! scheduling", Proc. Eastern Joint Computer Conference, 1959).
//!
//! Every function here is deterministic: ties go to the task given first.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::{TaskId, clamp_secs};

/// One task of a graph: its id, how long it takes (seconds) and the tasks it waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskNode {
    /// The task.
    pub id: TaskId,
    /// How long it takes, in seconds; held to `0..=MAX_TASK_SECS`.
    pub duration_secs: i64,
    /// The tasks that must end before it starts (a task listed twice counts once).
    pub depends_on: Vec<TaskId>,
}

/// Why a set of tasks is not a graph that can be ordered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DagError {
    /// Two tasks have one id.
    #[error("task {task} appears twice")]
    DuplicateTask {
        /// The repeated id.
        task: TaskId,
    },
    /// A task waits for a task that is not in the graph.
    #[error("task {task} depends on {dependency}, which is not one of the order's tasks")]
    UnknownDependency {
        /// The task.
        task: TaskId,
        /// What it waits for.
        dependency: TaskId,
    },
    /// Tasks wait for each other in a circle; `tasks` lists one such circle in dependency
    /// order (each waits for the next, the last for the first).
    #[error("tasks {} depend on each other in a cycle", join_ids(.tasks))]
    Cycle {
        /// The tasks on the cycle.
        tasks: Vec<TaskId>,
    },
}

fn join_ids(ids: &[TaskId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each node's predecessors as indices (sorted, without repeats), or the first problem.
pub(crate) fn predecessors(nodes: &[TaskNode]) -> Result<Vec<Vec<usize>>, DagError> {
    let mut index = HashMap::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        if index.insert(n.id, i).is_some() {
            return Err(DagError::DuplicateTask { task: n.id });
        }
    }
    let mut preds = Vec::with_capacity(nodes.len());
    for n in nodes {
        let mut p = Vec::with_capacity(n.depends_on.len());
        for d in &n.depends_on {
            match index.get(d) {
                Some(&j) => p.push(j),
                None => {
                    return Err(DagError::UnknownDependency {
                        task: n.id,
                        dependency: *d,
                    });
                }
            }
        }
        p.sort_unstable();
        p.dedup();
        preds.push(p);
    }
    if let Some(cycle) = cycles(&preds).into_iter().next() {
        return Err(DagError::Cycle {
            tasks: cycle.into_iter().map(|i| nodes[i].id).collect(),
        });
    }
    Ok(preds)
}

/// Kahn's algorithm over `preds` restricted to `alive` nodes, taking the lowest index among
/// the ready ones each time: the order, and which alive nodes could not be ordered (those on
/// a cycle or waiting for one).
pub(crate) fn kahn(preds: &[Vec<usize>], alive: &[bool]) -> (Vec<usize>, Vec<bool>) {
    let n = preds.len();
    let mut succs = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (v, p) in preds.iter().enumerate() {
        if !alive[v] {
            continue;
        }
        for &u in p {
            if alive[u] {
                succs[u].push(v);
                indegree[v] += 1;
            }
        }
    }
    let mut heap: BinaryHeap<Reverse<usize>> = (0..n)
        .filter(|&v| alive[v] && indegree[v] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    let mut left = alive.to_vec();
    while let Some(Reverse(u)) = heap.pop() {
        order.push(u);
        left[u] = false;
        for &v in &succs[u] {
            indegree[v] -= 1;
            if indegree[v] == 0 {
                heap.push(Reverse(v));
            }
        }
    }
    (order, left)
}

/// Every separate cycle of the graph, each in dependency order (each node waits for the next,
/// the last for the first) and starting at its lowest index; a node that only waits for a
/// cycle is on none. Deterministic.
pub(crate) fn cycles(preds: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut alive = vec![true; preds.len()];
    let mut found = Vec::new();
    loop {
        let (_, left) = kahn(preds, &alive);
        // Every node left waits for another node left, so walking "waits for" from one of
        // them must come back to a node already seen: that loop is a cycle.
        let Some(start) = left.iter().position(|&l| l) else {
            return found;
        };
        let mut seen_at = HashMap::new();
        let mut walk = Vec::new();
        let mut v = start;
        let cycle = loop {
            if let Some(&at) = seen_at.get(&v) {
                break walk.split_off(at);
            }
            seen_at.insert(v, walk.len());
            walk.push(v);
            match preds[v].iter().copied().find(|&u| left[u]) {
                Some(u) => v = u,
                None => break Vec::new(),
            }
        };
        if cycle.is_empty() {
            return found;
        }
        let lowest = cycle
            .iter()
            .enumerate()
            .min_by_key(|&(_, &v)| v)
            .map_or(0, |(i, _)| i);
        let mut cycle = cycle;
        cycle.rotate_left(lowest);
        for &v in &cycle {
            alive[v] = false;
        }
        found.push(cycle);
        alive = alive.iter().zip(&left).map(|(&a, &l)| a && l).collect();
    }
}

/// The tasks in an order that respects every dependency; among tasks free to go next, the
/// one given first goes first.
///
/// # Errors
/// [`DagError`]: a repeated id, a dependency on a task not given, or a cycle.
pub fn topological_order(nodes: &[TaskNode]) -> Result<Vec<TaskId>, DagError> {
    let preds = predecessors(nodes)?;
    let (order, _) = kahn(&preds, &vec![true; nodes.len()]);
    Ok(order.into_iter().map(|i| nodes[i].id).collect())
}

/// Each task's earliest start and end, in seconds from the moment the order is fired, when
/// only its dependencies hold it (unlimited stations): `(start, end)` per task, in the order
/// given. A task starts when the last of its dependencies ends (0 without any).
///
/// # Errors
/// [`DagError`], as [`topological_order`].
pub fn earliest_times(nodes: &[TaskNode]) -> Result<Vec<(i64, i64)>, DagError> {
    Ok(forward_pass(nodes, &predecessors(nodes)?).0)
}

/// Times per task and, for each, the predecessor that ends last (the first given on a tie).
fn forward_pass(nodes: &[TaskNode], preds: &[Vec<usize>]) -> (Vec<(i64, i64)>, Vec<Option<usize>>) {
    let (order, _) = kahn(preds, &vec![true; nodes.len()]);
    let mut times = vec![(0i64, 0i64); nodes.len()];
    let mut via = vec![None; nodes.len()];
    for v in order {
        let mut start = 0i64;
        for &u in &preds[v] {
            if via[v].is_none() || times[u].1 > start {
                start = times[u].1;
                via[v] = Some(u);
            }
        }
        times[v] = (
            start,
            start.saturating_add(clamp_secs(nodes[v].duration_secs)),
        );
    }
    (times, via)
}

/// The longest chain of dependent tasks and its length.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CriticalPath {
    /// The chain's tasks, first to last (empty for no tasks).
    pub tasks: Vec<TaskId>,
    /// The sum of their durations, in seconds: the soonest the order can be ready after it is
    /// fired with unlimited stations.
    pub length_secs: i64,
}

/// The critical path: the chain of dependent tasks with the largest sum of durations (the
/// forward pass of the critical path method, Kelley & Walker 1959). Among chains of equal
/// length, the one that ends at the task given first, reached through the predecessors given
/// first.
///
/// # Errors
/// [`DagError`], as [`topological_order`].
pub fn critical_path(nodes: &[TaskNode]) -> Result<CriticalPath, DagError> {
    let preds = predecessors(nodes)?;
    let (times, via) = forward_pass(nodes, &preds);
    let mut last: Option<usize> = None;
    for (v, t) in times.iter().enumerate() {
        if last.is_none_or(|l| t.1 > times[l].1) {
            last = Some(v);
        }
    }
    let Some(last) = last else {
        return Ok(CriticalPath::default());
    };
    let mut tasks = vec![nodes[last].id];
    let mut v = last;
    while let Some(u) = via[v] {
        tasks.push(nodes[u].id);
        v = u;
    }
    tasks.reverse();
    Ok(CriticalPath {
        tasks,
        length_secs: times[last].1,
    })
}

/// Each task's bottom level: the longest chain from it to the end of the graph, its own
/// duration included (Hu's level, the priority of critical-path list scheduling). `preds`
/// must be acyclic (from [`predecessors`]).
pub(crate) fn bottom_levels(durations: &[i64], preds: &[Vec<usize>]) -> Vec<i64> {
    let (order, _) = kahn(preds, &vec![true; durations.len()]);
    let mut level = vec![0i64; durations.len()];
    for &v in order.iter().rev() {
        level[v] = level[v].saturating_add(clamp_secs(durations[v]));
        for &u in &preds[v] {
            level[u] = level[u].max(level[v]);
        }
    }
    level
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    pub(crate) fn tid(n: u128) -> TaskId {
        TaskId::from_uuid(Uuid::from_u128(n + 1))
    }

    pub(crate) fn node(n: u128, secs: i64, deps: &[u128]) -> TaskNode {
        TaskNode {
            id: tid(n),
            duration_secs: secs,
            depends_on: deps.iter().map(|&d| tid(d)).collect(),
        }
    }

    /// Dough (0) -> top (1) -> bake (2); salad (3) alone; box (4) after bake and salad.
    fn pizza() -> Vec<TaskNode> {
        vec![
            node(2, 480, &[1]),
            node(0, 120, &[]),
            node(1, 90, &[0]),
            node(3, 300, &[]),
            node(4, 30, &[2, 3]),
        ]
    }

    #[test]
    fn the_critical_path_runs_through_the_longest_chain() {
        let cp = critical_path(&pizza()).unwrap();
        assert_eq!(cp.tasks, vec![tid(0), tid(1), tid(2), tid(4)]);
        assert_eq!(cp.length_secs, 120 + 90 + 480 + 30);
        assert_eq!(
            topological_order(&pizza()).unwrap(),
            vec![tid(0), tid(1), tid(2), tid(3), tid(4)]
        );
        let times = earliest_times(&pizza()).unwrap();
        assert_eq!(times[0], (210, 690));
        assert_eq!(times[4], (690, 720));
        assert_eq!(critical_path(&[]).unwrap(), CriticalPath::default());
    }

    #[test]
    fn a_bad_graph_is_named() {
        let mut g = pizza();
        g[1].depends_on.push(tid(4));
        match critical_path(&g) {
            Err(DagError::Cycle { tasks }) => {
                assert_eq!(tasks, vec![tid(2), tid(1), tid(0), tid(4)]);
            }
            other => panic!("{other:?}"),
        }
        let g = vec![node(0, 1, &[9])];
        assert_eq!(
            topological_order(&g),
            Err(DagError::UnknownDependency {
                task: tid(0),
                dependency: tid(9)
            })
        );
        let g = vec![node(0, 1, &[]), node(0, 2, &[])];
        assert_eq!(
            topological_order(&g),
            Err(DagError::DuplicateTask { task: tid(0) })
        );
        let g = vec![node(0, 1, &[0])];
        assert_eq!(
            topological_order(&g),
            Err(DagError::Cycle {
                tasks: vec![tid(0)]
            })
        );
    }

    #[test]
    fn separate_cycles_are_each_named_once() {
        // 0 <-> 1, 2 waits for 1 (on no cycle), 3 -> 4 -> 5 -> 3.
        let preds = vec![vec![1], vec![0], vec![1], vec![5], vec![3], vec![4]];
        assert_eq!(cycles(&preds), vec![vec![0, 1], vec![3, 5, 4]]);
        assert!(cycles(&[vec![], vec![0]]).is_empty());
    }

    /// A random DAG of up to 7 tasks given in a shuffled order: task `i` may wait for any task
    /// `j < i` of the hidden order.
    pub(crate) fn dag() -> impl Strategy<Value = Vec<TaskNode>> {
        (1usize..8)
            .prop_flat_map(|n| {
                (
                    proptest::collection::vec(0i64..1000, n),
                    proptest::collection::vec(any::<bool>(), n * n),
                    Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                )
            })
            .prop_map(|(secs, edges, perm)| {
                let n = secs.len();
                let nodes: Vec<TaskNode> = (0..n)
                    .map(|i| TaskNode {
                        id: tid(i as u128),
                        duration_secs: secs[i],
                        depends_on: (0..i)
                            .filter(|&j| edges[i * n + j])
                            .map(|j| tid(j as u128))
                            .collect(),
                    })
                    .collect();
                perm.iter().map(|&p| nodes[p].clone()).collect::<Vec<_>>()
            })
    }

    /// The longest path by brute force: every path ending at every task, walked backward.
    pub(crate) fn brute_longest(nodes: &[TaskNode]) -> i64 {
        fn longest_to(nodes: &[TaskNode], id: TaskId) -> i64 {
            let n = nodes.iter().find(|n| n.id == id).unwrap();
            n.duration_secs
                + n.depends_on
                    .iter()
                    .map(|&d| longest_to(nodes, d))
                    .max()
                    .unwrap_or(0)
        }
        nodes
            .iter()
            .map(|n| longest_to(nodes, n.id))
            .max()
            .unwrap_or(0)
    }

    proptest! {
        #[test]
        fn the_critical_path_is_the_longest_path(g in dag()) {
            let cp = critical_path(&g).unwrap();
            prop_assert_eq!(cp.length_secs, brute_longest(&g));
            // The path is a chain: each task waits for the one before it, and its durations
            // sum to its length.
            for w in cp.tasks.windows(2) {
                let later = g.iter().find(|n| n.id == w[1]).unwrap();
                prop_assert!(later.depends_on.contains(&w[0]));
            }
            let sum: i64 = cp.tasks.iter()
                .map(|id| g.iter().find(|n| n.id == *id).unwrap().duration_secs)
                .sum();
            prop_assert_eq!(sum, cp.length_secs);
        }

        #[test]
        fn a_topological_order_respects_every_dependency(g in dag()) {
            let order = topological_order(&g).unwrap();
            prop_assert_eq!(order.len(), g.len());
            let pos: HashMap<TaskId, usize> =
                order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            for n in &g {
                for d in &n.depends_on {
                    prop_assert!(pos[d] < pos[&n.id]);
                }
            }
        }

        #[test]
        fn no_task_starts_before_its_dependencies_end(g in dag()) {
            let times = earliest_times(&g).unwrap();
            let at: HashMap<TaskId, (i64, i64)> =
                g.iter().map(|n| n.id).zip(times.iter().copied()).collect();
            for n in &g {
                let (start, end) = at[&n.id];
                prop_assert_eq!(end - start, n.duration_secs);
                let latest = n.depends_on.iter().map(|d| at[d].1).max().unwrap_or(0);
                prop_assert_eq!(start, latest);
            }
        }

        #[test]
        fn a_back_edge_is_always_a_named_cycle(g in dag(), pick in any::<proptest::sample::Index>()) {
            // Make a task wait for one of its own dependents (or itself): a cycle.
            let mut g = g;
            let i = pick.index(g.len());
            let j = (0..g.len())
                .find(|&j| g[j].depends_on.contains(&g[i].id))
                .unwrap_or(i);
            let dep = g[j].id;
            g[i].depends_on.push(dep);
            match topological_order(&g) {
                Err(DagError::Cycle { tasks }) => {
                    prop_assert!(!tasks.is_empty());
                    for (k, t) in tasks.iter().enumerate() {
                        let next = tasks[(k + 1) % tasks.len()];
                        let n = g.iter().find(|n| n.id == *t).unwrap();
                        prop_assert!(n.depends_on.contains(&next));
                    }
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
