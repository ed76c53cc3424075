//! The Markdown report: the run's context, the goals (each met or not, never hidden), then one
//! table per measurement with the machine's own limit beside Larder's figure.

use super::http::{ITEMS, Outcome};
use super::limits::PGBENCH_CLIENTS;
use super::{BackendRun, CLIENTS_16, Report, SQLITE_LIMIT_WRITE};

/// A goal in MB (10^6 bytes) as MiB, the unit `/proc` readings are shown in.
fn mb_as_mib(mb: f64) -> f64 {
    mb * 1e6 / (1024.0 * 1024.0)
}

/// The server's memory under load grows when the mean of its last 10 s is more than this
/// fraction above the mean of its first 10 s after the warm-up.
const GROWTH_TOLERANCE: f64 = 0.05;

/// Above this CPU use (% of one core) the report warns that the load generator may have been
/// a bottleneck.
const LOAD_GENERATOR_BUSY: f64 = 50.0;

enum Verdict {
    Met,
    Missed,
    NotMeasured,
}

struct Goal {
    goal: String,
    figure: String,
    verdict: Verdict,
}

fn judged(goal: impl Into<String>, figure: String, met: bool) -> Goal {
    Goal {
        goal: goal.into(),
        figure,
        verdict: if met { Verdict::Met } else { Verdict::Missed },
    }
}

fn unmeasured(goal: impl Into<String>, why: impl Into<String>) -> Goal {
    Goal {
        goal: goal.into(),
        figure: why.into(),
        verdict: Verdict::NotMeasured,
    }
}

/// `12345.6` as `12,346`.
fn int(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn num(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "n/a".into(),
    }
}

fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.0} %"),
        _ => "n/a".into(),
    }
}

/// The server's memory over the soak.
struct Growth {
    first: f64,
    peak: f64,
    last: f64,
    early: f64,
    late: f64,
    window: usize,
    growing: bool,
}

fn growth(rss: &[f64]) -> Option<Growth> {
    let first = *rss.first()?;
    let last = *rss.last()?;
    let window = (rss.len() / 2).clamp(1, 10);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len().max(1) as f64;
    let early = mean(rss.get(..window)?);
    let late = mean(rss.get(rss.len() - window..)?);
    Some(Growth {
        first,
        peak: rss.iter().copied().fold(f64::MIN, f64::max),
        last,
        early,
        late,
        window,
        growing: late > early * (1.0 + GROWTH_TOLERANCE),
    })
}

/// The backends to judge: SQLite, and PostgreSQL or why it was not measured.
fn backends(r: &Report) -> Vec<(&'static str, Result<&BackendRun, String>)> {
    vec![
        ("SQLite", Ok(&r.sqlite)),
        (
            "PostgreSQL",
            r.postgres.as_ref().ok_or_else(|| {
                if r.opts.skip_postgres {
                    "skipped (`--skip-postgres`)".to_owned()
                } else {
                    "PostgreSQL unreachable (see above)".to_owned()
                }
            }),
        ),
    ]
}

fn goals(r: &Report) -> Vec<Goal> {
    let mut g = Vec::new();
    let s = &r.sqlite;
    let goal = "SQLite 16 clients >= 2 x the SQLite one-at-a-time rate";
    match (s.adjust_at(16), s.sqlite_limit()) {
        (Some(a), Some(l)) => {
            let x = a.outcome.rate();
            g.push(judged(
                goal,
                format!(
                    "{}/s = {:.2} x {}/s{}",
                    int(x),
                    x / l.tx_per_s,
                    int(l.tx_per_s),
                    best_of(s.sqlite_limits.len())
                ),
                x >= 2.0 * l.tx_per_s,
            ));
        }
        _ => g.push(unmeasured(goal, "not measured (see failures)")),
    }
    for (name, b) in backends(r) {
        let goal = format!("{name}: 64 clients > 16 clients");
        match b.map(|b| (b.adjust_at(16), b.adjust_at(64))) {
            Ok((Some(a16), Some(a64))) => {
                let (x16, x64) = (a16.outcome.rate(), a64.outcome.rate());
                g.push(judged(
                    goal,
                    format!("{}/s vs {}/s", int(x64), int(x16)),
                    x64 > x16,
                ));
            }
            Ok(_) => g.push(unmeasured(goal, "not measured (see failures)")),
            Err(why) => g.push(unmeasured(goal, why)),
        }
    }
    let goal = "PostgreSQL 16 clients >= 0.8 x pgbench (same transaction, 16 clients)";
    match backends(r).into_iter().nth(1).map(|(_, b)| b) {
        Some(Ok(p)) => match (p.adjust_at(16), p.pg_limit()) {
            (Some(a), Some(l)) => {
                let x = a.outcome.rate();
                g.push(judged(
                    goal,
                    format!(
                        "{}/s = {:.2} x {} tps{}",
                        int(x),
                        x / l.write_tps,
                        int(l.write_tps),
                        best_of(p.pg_limits.len())
                    ),
                    x >= 0.8 * l.write_tps,
                ));
            }
            _ => g.push(unmeasured(
                goal,
                p.limit_note
                    .clone()
                    .unwrap_or_else(|| "not measured (see failures)".into()),
            )),
        },
        Some(Err(why)) => g.push(unmeasured(goal, why)),
        None => g.push(unmeasured(goal, "not measured")),
    }
    for (name, b) in backends(r) {
        let goal = format!("{name}: stock list p95 < 5 ms (16 clients)");
        match b.map(|b| b.list.as_ref().and_then(|l| l.percentile_ms(95.0))) {
            Ok(Some(p95)) => g.push(judged(goal, format!("{p95:.2} ms"), p95 < 5.0)),
            Ok(None) => g.push(unmeasured(goal, "not measured (see failures)")),
            Err(why) => g.push(unmeasured(goal, why)),
        }
    }
    for ((name, b), limit_s) in backends(r).into_iter().zip([1.0, 3.0]) {
        let goal = format!("Import {name} < {limit_s:.0} s (whole history, in process)");
        match b.map(|b| b.import.as_ref().map(|i| i.seconds)) {
            Ok(Some(sec)) => g.push(judged(goal, format!("{sec:.2} s"), sec < limit_s)),
            Ok(None) => g.push(unmeasured(goal, "not measured (see failures)")),
            Err(why) => g.push(unmeasured(goal, why)),
        }
    }
    let mb100 = mb_as_mib(100.0);
    for (name, b) in backends(r) {
        let goal = format!("Import peak memory < 100 MB ({mb100:.1} MiB), {name}, as a process");
        match b.map(|b| b.import_process.as_ref().map(|i| i.peak_mib)) {
            Ok(Some(m)) => g.push(judged(goal, format!("{m:.1} MiB"), m < mb100)),
            Ok(None) => g.push(unmeasured(goal, "not measured (see failures)")),
            Err(why) => g.push(unmeasured(goal, why)),
        }
    }
    let mb60 = mb_as_mib(60.0);
    let goal = format!("Demo idle < 60 MB ({mb60:.1} MiB)");
    match r.demo_idle_mib {
        Some(m) => g.push(judged(goal, format!("{m:.1} MiB"), m < mb60)),
        None => g.push(unmeasured(goal, "not measured (see failures)")),
    }
    let soak_note = if r.opts.soak_seconds < 60 {
        format!(" (this run's soak: {} s)", r.opts.soak_seconds)
    } else {
        String::new()
    };
    for (name, b) in backends(r) {
        let goal = format!(
            "{name}: server under 60 s of 16-client load < 100 MB ({mb100:.1} MiB){soak_note}"
        );
        let grown = b.map(|b| b.soak.as_ref().and_then(|s| growth(&s.outcome.rss_mib)));
        match &grown {
            Ok(Some(gr)) => g.push(judged(
                goal,
                format!("peak {:.1} MiB", gr.peak),
                gr.peak < mb100,
            )),
            Ok(None) => g.push(unmeasured(goal, "not measured (see failures)")),
            Err(why) => g.push(unmeasured(goal, why.clone())),
        }
        let goal = format!("{name}: server memory not growing under load{soak_note}");
        match grown {
            Ok(Some(gr)) => g.push(judged(
                goal,
                format!(
                    "last {w} s mean {:.1} MiB vs first {w} s {:.1} MiB ({:+.1} %)",
                    gr.late,
                    gr.early,
                    (gr.late / gr.early - 1.0) * 100.0,
                    w = gr.window
                ),
                !gr.growing,
            )),
            Ok(None) => g.push(unmeasured(goal, "not measured (see failures)")),
            Err(why) => g.push(unmeasured(goal, why)),
        }
    }
    for (name, b) in backends(r) {
        let goal = format!("{name}: no failed requests under load");
        match b {
            Ok(b) if !b.adjust.is_empty() => {
                let phases = b
                    .adjust
                    .iter()
                    .map(|a| &a.outcome)
                    .chain(b.list.as_ref())
                    .chain(b.soak.as_ref().map(|s| &s.outcome));
                let errors: u64 = phases.map(|o| o.errors_total).sum();
                g.push(judged(goal, format!("{errors} failed"), errors == 0));
            }
            Ok(_) => g.push(unmeasured(goal, "not measured (see failures)")),
            Err(why) => g.push(unmeasured(goal, why)),
        }
    }
    g
}

/// Says the limit is the higher of several runs.
fn best_of(runs: usize) -> String {
    if runs > 1 {
        format!(" (the higher of {runs} runs)")
    } else {
        String::new()
    }
}

fn cpu_cells(o: &Outcome, cores: usize) -> String {
    format!(
        "{} | {} | {} | {} | {}",
        pct(o.cpu.bench),
        pct(o.cpu.server),
        o.cpu.postgres.map_or_else(|| "–".into(), |p| pct(Some(p))),
        pct(o.cpu.rest(cores)),
        pct(o.cpu.machine)
    )
}

/// Renders the report.
pub(super) fn render(r: &Report) -> String {
    let mut md = String::from("# Larder benchmark\n\n");
    let m = &r.machine;
    md.push_str(&format!(
        "- Date: {}\n- Machine: {} cores (`nproc`){}, {} MiB memory; load average when the \
         bench started: {}\n- Commit: {}\n",
        r.date,
        m.cores,
        m.cpu
            .as_deref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default(),
        num(m.memory_mib, 0),
        m.load_average.as_deref().unwrap_or("n/a"),
        r.commit
            .as_deref()
            .unwrap_or("unknown (not a git checkout)")
    ));
    md.push_str(&format!(
        "- Method: the real server (`larder serve`) as a child process, driven over HTTP/1.1 from \
         this process (one keep-alive connection per client, each sending its next request as \
         soon as the answer arrives); each load phase warms up {} s (not counted) and is \
         measured for {} s; the memory soak runs {} s. Adjustments go round-robin over {ITEMS} \
         items of one location, 1 g each, each with a fresh UUIDv7 `Idempotency-Key`. On \
         PostgreSQL the bench's tables are vacuumed and analyzed (as autovacuum keeps a running \
         database) before each measurement, pgbench's and Larder's alike. Working files on \
         {}.\n\n",
        r.opts.warmup_seconds,
        r.opts.seconds,
        r.opts.soak_seconds,
        r.work_dir_fs.as_deref().unwrap_or("an unknown file system")
    ));
    if let Some(note) = &r.postgres_note {
        md.push_str(&format!("**{note}**\n\n"));
    }

    let all_failures: Vec<&String> = r
        .failures
        .iter()
        .chain(&r.sqlite.failures)
        .chain(r.postgres.iter().flat_map(|p| &p.failures))
        .collect();
    if !all_failures.is_empty() {
        md.push_str("## Failures\n\n");
        for f in &all_failures {
            md.push_str(&format!("- {}\n", f.replace('\n', "\n  ")));
        }
        md.push('\n');
    }

    md.push_str("## Goals\n\n| goal | figure | met |\n|---|---|---|\n");
    for goal in goals(r) {
        let verdict = match goal.verdict {
            Verdict::Met => "met",
            Verdict::Missed => "**not met**",
            Verdict::NotMeasured => "not measured",
        };
        md.push_str(&format!(
            "| {} | {} | {verdict} |\n",
            goal.goal, goal.figure
        ));
    }

    let runs: Vec<&BackendRun> = std::iter::once(&r.sqlite).chain(&r.postgres).collect();

    md.push_str(
        "\n## Stock adjustments over HTTP\n\n\
         `POST /api/v1/stock/adjustments`; a success is a 201. *vs the limit*: SQLite against the \
         same transaction one at a time, each fsync'd; PostgreSQL against pgbench running the \
         same transaction from 16 clients. *on hand − acked* is the sum of on hand over the items \
         (read through `GET /api/v1/stock`) minus every 201 since the tenant was created; it must \
         be 0. CPU over the measured window, in % of one core: the load generator (this process), \
         the server, the PostgreSQL backends serving its database, and the rest of the machine \
         (other processes, PostgreSQL's shared background processes); then the whole machine \
         busy, in % of all its cores. A busy rest of the machine means something else competed \
         for the cores and the figures are low.\n\n\
         | backend | clients | adjustments/s | vs the limit | p50 ms | p99 ms | errors | on hand − acked | load generator CPU | server CPU | its PostgreSQL backends | rest of the machine | machine busy |\n\
         |---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for b in &runs {
        for a in b.adjust.iter().chain(&b.soak) {
            let o = &a.outcome;
            let vs = match (b.sqlite_limit(), b.pg_limit()) {
                (Some(l), _) => format!("{:.2} x one at a time", o.rate() / l.tx_per_s),
                (None, Some(l)) => format!("{:.2} x pgbench", o.rate() / l.write_tps),
                (None, None) => "n/a".into(),
            };
            let label = if b.soak.as_ref().is_some_and(|s| std::ptr::eq(s, a)) {
                format!("{} (soak, {} s)", o.clients, o.seconds)
            } else {
                o.clients.to_string()
            };
            md.push_str(&format!(
                "| {} | {label} | {} | {vs} | {} | {} | {} | {} | {} |\n",
                b.name,
                int(o.rate()),
                num(o.percentile_ms(50.0), 2),
                num(o.percentile_ms(99.0), 2),
                o.errors,
                a.writes.difference(),
                cpu_cells(o, r.machine.cores)
            ));
        }
    }
    let first_errors: Vec<String> = runs
        .iter()
        .flat_map(|b| {
            b.adjust
                .iter()
                .map(|a| &a.outcome)
                .chain(&b.list)
                .chain(b.soak.as_ref().map(|s| &s.outcome))
                .filter_map(move |o| {
                    o.first_error.as_ref().map(|e| {
                        format!(
                            "- {}, {} clients: {} failed in all (first: {e})",
                            b.name, o.clients, o.errors_total
                        )
                    })
                })
        })
        .collect();
    if !first_errors.is_empty() {
        md.push_str("\nFailed requests:\n\n");
        md.push_str(&first_errors.join("\n"));
        md.push('\n');
    }

    let busy_generator: Vec<String> = runs
        .iter()
        .flat_map(|b| {
            b.adjust
                .iter()
                .map(|a| &a.outcome)
                .chain(&b.list)
                .chain(b.soak.as_ref().map(|s| &s.outcome))
                .filter(|o| o.cpu.bench.is_some_and(|c| c > LOAD_GENERATOR_BUSY))
                .map(move |o| {
                    format!(
                        "- {}, {} clients: the load generator used {} of a core",
                        b.name,
                        o.clients,
                        pct(o.cpu.bench)
                    )
                })
        })
        .collect();
    if !busy_generator.is_empty() {
        md.push_str(&format!(
            "\n**The load generator may have limited these figures** (over {LOAD_GENERATOR_BUSY:.0} % of a core):\n\n{}\n",
            busy_generator.join("\n")
        ));
    }

    md.push_str(&format!(
        "\n## Stock list over HTTP\n\n\
         `GET /api/v1/stock?location_id=..&limit=50` ({ITEMS} rows) from {CLIENTS_16} clients; a success is a 200. \
         *The query alone*: the same statement straight on the database (SQLite: one connection, \
         one query at a time; PostgreSQL: pgbench, {PGBENCH_CLIENTS} clients).\n\n\
         | backend | clients | requests/s | p50 ms | p95 ms | p99 ms | errors | the query alone | load generator CPU | server CPU | its PostgreSQL backends | rest of the machine | machine busy |\n\
         |---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n"
    ));
    for b in &runs {
        if let Some(o) = &b.list {
            let alone = match (b.sqlite_read(), b.pg_read()) {
                (Some(l), _) => {
                    format!("{:.3} ms mean, {:.3} ms p95", l.read_avg_ms, l.read_p95_ms)
                }
                (None, Some(l)) => {
                    format!("{:.3} ms mean, {} tps", l.read_latency_ms, int(l.read_tps))
                }
                (None, None) => "n/a".into(),
            };
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {alone} | {} |\n",
                b.name,
                o.clients,
                int(o.rate()),
                num(o.percentile_ms(50.0), 2),
                num(o.percentile_ms(95.0), 2),
                num(o.percentile_ms(99.0), 2),
                o.errors,
                cpu_cells(o, r.machine.cores)
            ));
        }
    }

    md.push_str(&format!(
        "\n## Server memory\n\n\
         `VmRSS` of the server process: idle after the setup, then once a second through the \
         soak ({CLIENTS_16} clients adjusting). *Growing*: the mean of the last 10 s more than \
         {:.0} % above the mean of the first 10 s after the warm-up (halves of the soak when it \
         is shorter than 20 s).\n\n\
         | backend | idle after setup MiB | soak first MiB | peak MiB | last MiB | first 10 s mean | last 10 s mean | growing |\n\
         |---|---:|---:|---:|---:|---:|---:|---|\n",
        GROWTH_TOLERANCE * 100.0
    ));
    for b in &runs {
        let gr = b.soak.as_ref().and_then(|s| growth(&s.outcome.rss_mib));
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            b.name,
            num(b.idle_after_setup_mib, 1),
            num(gr.as_ref().map(|g| g.first), 1),
            num(gr.as_ref().map(|g| g.peak), 1),
            num(gr.as_ref().map(|g| g.last), 1),
            num(gr.as_ref().map(|g| g.early), 1),
            num(gr.as_ref().map(|g| g.late), 1),
            gr.as_ref()
                .map_or("n/a", |g| if g.growing { "**yes**" } else { "no" })
        ));
    }
    md.push_str(&format!(
        "\n`larder demo` idle (SQLite, 3 s after it listens, the history loaded): {} MiB.\n",
        num(r.demo_idle_mib, 1)
    ));

    md.push_str(
        "\n## The machine's limits (same run)\n\n\
         Measured before and after the load on each backend; the figures above are compared with \
         the higher of the two.\n\n\
         | backend | when | what | figure |\n|---|---|---|---|\n",
    );
    for b in &runs {
        for (when, l) in &b.sqlite_limits {
            md.push_str(&format!(
                "| {} | {when} | the adjustment transaction (`BEGIN IMMEDIATE`, insert the movement, \
                 upsert the level, `COMMIT`), one at a time, each fsync'd (WAL, \
                 `synchronous=FULL`), {} s | {} tx/s ({} transactions) |\n",
                b.name,
                SQLITE_LIMIT_WRITE.as_secs(),
                int(l.tx_per_s),
                int(l.transactions as f64)
            ));
            md.push_str(&format!(
                "| {} | {when} | the disk alone: 4 KiB overwritten in place and `fdatasync`ed, one at a time, 1 s | {} syncs/s |\n",
                b.name,
                int(l.fsync_per_s)
            ));
            md.push_str(&format!(
                "| {} | {when} | the stock page query ({ITEMS} rows), one connection | {:.3} ms mean, {:.3} ms p95 |\n",
                b.name, l.read_avg_ms, l.read_p95_ms
            ));
        }
        for (when, l) in &b.pg_limits {
            let tenant = if l.sets_tenant {
                ", setting `app.tenant_id` (the owner does not bypass row-level security)"
            } else {
                " (the owner bypasses row-level security)"
            };
            md.push_str(&format!(
                "| {} | {when} | pgbench, the adjustment transaction (insert the movement, upsert the level) \
                 over {ITEMS} items, `-c {PGBENCH_CLIENTS} -j 2 -M prepared -T {}`{tenant} | {} tps, {:.2} ms mean latency |\n",
                b.name,
                r.opts.seconds,
                int(l.write_tps),
                l.write_latency_ms
            ));
            md.push_str(&format!(
                "| {} | {when} | pgbench, the stock page query ({ITEMS} rows), `-c {PGBENCH_CLIENTS} -j 2 -M prepared -T {}` | {} tps, {:.3} ms mean latency |\n",
                b.name,
                r.opts.seconds,
                int(l.read_tps),
                l.read_latency_ms
            ));
        }
        if let Some(note) = &b.limit_note {
            md.push_str(&format!("| {} | | {note} | n/a |\n", b.name));
        }
    }

    md.push_str(
        "\n## Import of the whole takeaway history\n\n\
         In process: `App::import_sales` of the embedded CSV into a fresh tenant with the demo \
         recipe book, then the ledger check. As a process: `larder import sales FILE` in a child \
         (start to exit) and the peak resident memory it reports.\n\n\
         | backend | order lines | sale movements | import + deplete (s) | lines/s | movements/s | ledger check (s) | as a process (s) | its peak memory MiB |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for b in &runs {
        let p = b.import_process.as_ref();
        match &b.import {
            Some(i) => md.push_str(&format!(
                "| {} | {} | {} | {:.2} | {} | {} | {:.2} | {} | {} |\n",
                b.name,
                int(i.lines as f64),
                int(i.movements as f64),
                i.seconds,
                int(i.lines as f64 / i.seconds),
                int(i.movements as f64 / i.seconds),
                i.check_seconds,
                num(p.map(|p| p.seconds), 2),
                num(p.map(|p| p.peak_mib), 1)
            )),
            None => md.push_str(&format!(
                "| {} | n/a | n/a | n/a | n/a | n/a | n/a | {} | {} |\n",
                b.name,
                num(p.map(|p| p.seconds), 2),
                num(p.map(|p| p.peak_mib), 1)
            )),
        }
    }
    md.push_str(
        "\n## Purchasing and valuation over the demo's history\n\n\
         In process: loading the whole demo (its four years replayed day by day: the sales, \
         the orders placed from the reorder suggestions and the deliveries received into lots; \
         POs/s is orders placed per second of that load), then stock value as of 100 dates spread over the history (the \
         ledger summed up to each, `App::stock_value`), and receiving a 40-line purchase \
         order 25 times (`App::receive_goods`: 40 receipt movements into lots, the order's \
         lines and status), and the reorder suggestions for every item of the demo's location \
         20 times (`App::reorder_suggestions` at the history's last sale).\n\n\
         | backend | demo load with its purchasing replay (s) | POs placed | deliveries | POs/s | valuation as of a date p50 (ms) | p95 (ms) | receive a 40-line PO p50 (ms) | p95 (ms) | reorder suggestions, whole location p50 (ms) | p95 (ms) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for b in &runs {
        let pr = b.procurement.as_ref();
        let pct = |v: Option<&Vec<f64>>, q: f64| {
            num(v.and_then(|v| super::procurement::percentile(v, q)), 1)
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            b.name,
            num(pr.map(|p| p.replay_seconds), 1),
            pr.map_or_else(|| "n/a".to_owned(), |p| p.orders.to_string()),
            pr.map_or_else(|| "n/a".to_owned(), |p| p.deliveries.to_string()),
            num(pr.map(|p| p.orders as f64 / p.replay_seconds.max(0.001)), 1),
            pct(pr.map(|p| &p.valuation_ms), 50.0),
            pct(pr.map(|p| &p.valuation_ms), 95.0),
            pct(pr.map(|p| &p.receive_ms), 50.0),
            pct(pr.map(|p| &p.receive_ms), 95.0),
            pct(pr.map(|p| &p.reorder_ms), 50.0),
            pct(pr.map(|p| &p.reorder_ms), 95.0),
        ));
    }
    md.push_str(&format!(
        "\n## Stock operations over the demo's history\n\n\
         In process, on the store the purchasing bench loaded: the AvT report of the demo's \
         location for each period between two consecutive monthly full counts (the latest 24; \
         *trustworthy*: periods the completeness gate passed); a full count of the location \
         entered by {counters} counters at once, each walking a third of the sheet line by \
         line, 5 times (*lost*: entered lines missing from the count afterwards, must be 0); \
         and approving a {lines}-line count sheet 15 times (`App::approve_stock_count`: one \
         count movement per line, each against book stock at its line's instant). *in limit \
         commits*: the p95 as a number of the machine's own one-at-a-time commits measured in \
         this run (SQLite fsync'd; pgbench's write transaction on PostgreSQL).\n\n\
         | backend | AvT between counts p50 (ms) | p95 (ms) | trustworthy | full count lines | {counters} counters p50 (s) | p95 (s) | lost | approve {lines} lines p50 (ms) | p95 (ms) | p95 in limit commits |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        counters = super::stock_ops::COUNTERS,
        lines = super::stock_ops::APPROVE_LINES,
    ));
    for b in &runs {
        let so = b.stock_ops.as_ref();
        let pct = |v: Option<&Vec<f64>>, q: f64, d: usize| {
            num(v.and_then(|v| super::procurement::percentile(v, q)), d)
        };
        let commit_ms = match (b.sqlite_limit(), b.pg_limit()) {
            (Some(l), _) => Some(1000.0 / l.tx_per_s),
            (None, Some(l)) => Some(1000.0 / l.write_tps),
            (None, None) => None,
        };
        let approve95 = so.and_then(|s| super::procurement::percentile(&s.approve_ms, 95.0));
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            b.name,
            pct(so.map(|s| &s.avt_ms), 50.0, 1),
            pct(so.map(|s| &s.avt_ms), 95.0, 1),
            so.map_or_else(
                || "n/a".to_owned(),
                |s| format!("{} of {}", s.avt_trustworthy, s.avt_ms.len())
            ),
            so.map_or_else(|| "n/a".to_owned(), |s| s.full_count_lines.to_string()),
            pct(so.map(|s| &s.full_count_s), 50.0, 2),
            pct(so.map(|s| &s.full_count_s), 95.0, 2),
            so.map_or_else(|| "n/a".to_owned(), |s| s.lost_lines.to_string()),
            pct(so.map(|s| &s.approve_ms), 50.0, 1),
            num(approve95, 1),
            num(approve95.zip(commit_ms).map(|(a, c)| a / c), 0),
        ));
    }
    md.push_str(&format!(
        "\n## Events: the outbox, the relay and live streams\n\n\
         In process, on a fresh tenant: 2,000 hand adjustments written one at a time through \
         the use cases (each records its movement, two events and an audit record in its \
         transaction), then relayed to RabbitMQ at 127.0.0.1:5672 with publisher confirms \
         (`App::relay_events`, 500 a batch); then the router served on a local port with \
         {clients} clients on `GET /api/v1/events/stream`: 200 adjustments one every 20 ms \
         (*live*: from each `POST`'s answer to the event's arrival at each client), and 1,000 \
         adjustments from 4 clients as fast as they go (*fan-out*: events received by the \
         {clients} clients together per second; *reached*: the fewest clients any of those \
         events reached).\n\n\
         | backend | backlog written (adjustments/s) | events relayed | relayed/s | live p50 (ms) | live p99 (ms) | fan-out (events/s) | reached |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
        clients = super::events::SSE_CLIENTS,
    ));
    for b in &runs {
        let e = b.events.as_ref();
        let pct = |q: f64| {
            num(
                e.and_then(|e| super::procurement::percentile(&e.live_ms, q)),
                1,
            )
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            b.name,
            e.map_or_else(|| "n/a".to_owned(), |e| int(e.backlog_adjustments_per_s)),
            e.map_or_else(|| "n/a".to_owned(), |e| int(e.relayed as f64)),
            e.and_then(|e| e.relayed_per_s)
                .map_or_else(|| "n/a".to_owned(), int),
            pct(50.0),
            pct(99.0),
            e.map_or_else(|| "n/a".to_owned(), |e| int(e.fanout_per_s)),
            e.map_or_else(
                || "n/a".to_owned(),
                |e| format!("{} of {}", e.burst_fewest, super::events::SSE_CLIENTS)
            ),
        ));
        if let Some(note) = e.and_then(|e| e.relay_note.as_ref()) {
            md.push_str(&format!(
                "\n{}: the relay was not measured ({note}).\n",
                b.name
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(int(9_800.4), "9,800");
        assert_eq!(int(123.0), "123");
        assert_eq!(int(1_234_567.0), "1,234,567");
        assert_eq!(int(-1_000.0), "-1,000");
        assert_eq!(int(f64::NAN), "n/a");
        assert!((mb_as_mib(100.0) - 95.367).abs() < 0.001);
    }

    #[test]
    fn growth_compares_the_last_ten_seconds_with_the_first() {
        let flat: Vec<f64> = vec![40.0; 61];
        assert!(growth(&flat).is_some_and(|g| !g.growing && g.window == 10));
        let rising: Vec<f64> = (0..61).map(|s| 40.0 + f64::from(s)).collect();
        assert!(growth(&rising).is_some_and(|g| g.growing && g.peak == 100.0));
        assert!(growth(&[]).is_none());
    }
}
