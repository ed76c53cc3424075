//! Readings from Linux's `/proc`: a process's resident memory and CPU time, the machine's CPU
//! time, cores and memory, and the file system a path lives on. Each reading is `None` where
//! `/proc` is missing or unreadable (not Linux), and the report says "n/a".

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

/// Peak resident memory of this process so far (`VmHWM`), or the current resident memory
/// (`VmRSS`) of process `pid`, in MiB.
pub fn peak_rss_mib(pid: Option<u32>) -> Option<f64> {
    match pid {
        None => status_mib(None, "VmHWM:"),
        Some(p) => status_mib(Some(p), "VmRSS:"),
    }
}

/// A `kB` field of `/proc/<pid>/status` (this process when `pid` is `None`), in MiB.
pub(crate) fn status_mib(pid: Option<u32>, key: &str) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/status".to_owned(),
        |p| format!("/proc/{p}/status"),
    );
    let status = std::fs::read_to_string(path).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Clock ticks per second of `/proc`'s CPU times (`getconf CLK_TCK`; 100 on every Linux
/// architecture in practice).
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// CPU time (user + system, all threads) of process `pid` (this process when `None`), in
/// seconds, from fields 14 and 15 of `/proc/<pid>/stat`.
pub(crate) fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/stat".to_owned(),
        |p| format!("/proc/{p}/stat"),
    );
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / ticks_per_second())
}

/// The machine's busy and total CPU ticks over all cores, from the first line of `/proc/stat`
/// (idle and iowait count as not busy).
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// CPU seconds by pid of the PostgreSQL backends connected to database `db`, found by their
/// process titles (`postgres: [cluster:] user database host(port) state`).
fn postgres_backends(db: &str) -> Option<HashMap<u32, f64>> {
    let mut found = HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let title = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let mut words = title.split_whitespace();
        if words.next() != Some("postgres:") {
            continue;
        }
        let mut user = words.next();
        if user.is_some_and(|w| w.ends_with(':')) {
            user = words.next(); // that was the cluster name
        }
        if user.is_some()
            && words.next() == Some(db)
            && let Some(seconds) = cpu_seconds(Some(pid))
        {
            found.insert(pid, seconds);
        }
    }
    Some(found)
}

/// CPU readings at one instant: this process, the server, its PostgreSQL backends, the
/// machine.
#[derive(Clone, Debug)]
pub(crate) struct CpuSnapshot {
    at: Instant,
    bench: Option<f64>,
    server: Option<f64>,
    postgres: Option<HashMap<u32, f64>>,
    machine: Option<(u64, u64)>,
}

/// CPU use over a window, in percent of one core (processes) or of the whole machine.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CpuUse {
    /// The bench process (the load generator), % of one core.
    pub bench: Option<f64>,
    /// The server child process, % of one core.
    pub server: Option<f64>,
    /// The PostgreSQL backends connected to the server's database, % of one core.
    pub postgres: Option<f64>,
    /// All cores busy (server, load generator, database, anything else), % of the machine.
    pub machine: Option<f64>,
}

impl CpuUse {
    /// What the rest of the machine used (other processes, PostgreSQL's shared background
    /// processes), in % of one core: all `cores` busy minus the bench, the server and its
    /// database backends.
    pub(crate) fn rest(&self, cores: usize) -> Option<f64> {
        let used = self.machine? * cores as f64
            - self.bench?
            - self.server?
            - self.postgres.unwrap_or(0.0);
        Some(used.max(0.0))
    }
}

impl CpuSnapshot {
    /// Reads now; `server` is the server's pid, `database` the PostgreSQL database it uses.
    pub(crate) fn take(server: Option<u32>, database: Option<&str>) -> Self {
        Self {
            at: Instant::now(),
            bench: cpu_seconds(None),
            server: server.and_then(|p| cpu_seconds(Some(p))),
            postgres: database.and_then(postgres_backends),
            machine: machine_ticks(),
        }
    }

    /// The use between `self` and the later `end`.
    pub(crate) fn until(&self, end: &Self) -> CpuUse {
        let wall = end.at.duration_since(self.at).as_secs_f64();
        let pct = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if wall > 0.0 => Some((b - a) / wall * 100.0),
            _ => None,
        };
        let machine = match (self.machine, end.machine) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                Some((b1.saturating_sub(b0)) as f64 / (t1 - t0) as f64 * 100.0)
            }
            _ => None,
        };
        // Backends that connected during the window count from zero.
        let postgres = match (&self.postgres, &end.postgres) {
            (Some(a), Some(b)) if wall > 0.0 => {
                let used: f64 = b
                    .iter()
                    .map(|(pid, s)| s - a.get(pid).copied().unwrap_or(0.0))
                    .sum();
                Some(used / wall * 100.0)
            }
            _ => None,
        };
        CpuUse {
            bench: pct(self.bench, end.bench),
            server: pct(self.server, end.server),
            postgres,
            machine,
        }
    }
}

/// The machine: cores, total memory (MiB) and CPU model, as far as `/proc` tells.
#[derive(Clone, Debug, Default)]
pub(crate) struct Machine {
    /// Cores this process may use (what `nproc` prints).
    pub cores: usize,
    /// `MemTotal`, MiB.
    pub memory_mib: Option<f64>,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu: Option<String>,
    /// `/proc/loadavg`'s 1, 5 and 15 minute load averages when read.
    pub load_average: Option<String>,
}

impl Machine {
    /// Reads the machine.
    pub(crate) fn read() -> Self {
        let memory_mib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
                .map(|kb| kb / 1024.0)
        });
        let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
        Self {
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            memory_mib,
            cpu,
            load_average,
        }
    }
}

/// The file system type (`ext4`, `tmpfs`, ...) of the mount holding `path`, from
/// `/proc/self/mounts` (the longest mount point that is a prefix of the path).
pub(crate) fn fs_type(path: &Path) -> Option<String> {
    let path = path.canonicalize().ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let _device = f.next()?;
            let point = f.next()?;
            let kind = f.next()?;
            path.starts_with(point)
                .then(|| (point.len(), kind.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_cpu_time_and_a_resident_size() {
        assert!(cpu_seconds(None).is_some_and(|s| s >= 0.0));
        assert!(peak_rss_mib(None).is_some_and(|m| m > 0.0));
        assert!(peak_rss_mib(Some(std::process::id())).is_some_and(|m| m > 0.0));
        let before = CpuSnapshot::take(None, None);
        let after = CpuSnapshot::take(None, None);
        let _ = before.until(&after);
        assert!(Machine::read().cores >= 1);
    }
}
