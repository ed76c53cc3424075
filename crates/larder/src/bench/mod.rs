//! `larder bench`: measures Larder as deployed and writes a Markdown report.
//!
//! On SQLite and on PostgreSQL it starts the real server (`larder serve`) as a child process
//! and drives it over HTTP from this process: stock adjustments from 1, 16 and 64 keep-alive
//! clients (checking that every acknowledged write is on hand), the stock list from 16
//! clients, and a memory soak under 16 clients. Beside each figure it puts the machine's own
//! limit measured in the same run (the same transaction straight on SQLite, one at a time and
//! fsync'd; `pgbench` on PostgreSQL). It also times the import of the embedded takeaway
//! history, in process and as `larder import sales` (for its peak memory), and reads the
//! resident memory of an idle `larder demo`. Goals are marked met or not; a missed goal still
//! exits 0 (the bench measures), a failure (lost writes, a crash) exits 1.

mod child;
mod events;
mod http;
mod import;
mod limits;
mod procfs;
mod procurement;
mod report;
mod stock_ops;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};

pub use procfs::peak_rss_mib;

use crate::Config;
use child::Server;
use http::{Api, Fixture, Outcome, Phase, Work};

/// What to measure and for how long.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where to write the report (it is printed too).
    pub out: Option<PathBuf>,
    /// Measured seconds of each load phase and of each pgbench run.
    pub seconds: u64,
    /// Seconds of the memory soak under 16 clients (after a warm-up).
    pub soak_seconds: u64,
    /// Warm-up seconds before each load phase, not counted.
    pub warmup_seconds: u64,
    /// Do not measure PostgreSQL.
    pub skip_postgres: bool,
}

/// Concurrent clients of the adjustment phases.
const ADJUST_CLIENTS: [usize; 3] = [1, 16, 64];
/// Concurrent clients of the stock list and the soak.
const CLIENTS_16: usize = 16;
/// How long the SQLite limit's write loop and read loop run.
const SQLITE_LIMIT_WRITE: Duration = Duration::from_secs(3);
const SQLITE_LIMIT_READ: Duration = Duration::from_secs(1);

/// A database the bench runs on.
enum Db {
    Sqlite,
    Postgres {
        url: String,
        app_url: Option<String>,
    },
}

impl Db {
    fn name(&self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres { .. } => "PostgreSQL",
        }
    }

    /// The configuration of an in-process store on this database.
    fn config(&self, base: &Config, data_dir: PathBuf) -> Config {
        match self {
            Db::Sqlite => Config {
                data_dir,
                database_url: None,
                app_database_url: None,
                ..base.clone()
            },
            Db::Postgres { url, app_url } => Config {
                data_dir,
                database_url: Some(url.clone()),
                app_database_url: app_url.clone(),
                ..base.clone()
            },
        }
    }

    /// The PostgreSQL database's name (the URL's path), for finding its backends.
    fn database_name(&self) -> Option<String> {
        match self {
            Db::Sqlite => None,
            Db::Postgres { url, .. } => url
                .split('?')
                .next()
                .and_then(|u| u.split_once("://"))
                .and_then(|(_, rest)| rest.split_once('/'))
                .map(|(_, name)| name.to_owned())
                .filter(|n| !n.is_empty()),
        }
    }

    /// Brings the database to a steady state before a measurement (PostgreSQL: vacuum and
    /// analyze the bench's tables; SQLite: nothing).
    async fn settle(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite => Ok(()),
            Db::Postgres { url, .. } => limits::settle_postgres(url).await,
        }
    }

    /// The flags that point a `larder` child at this database.
    fn flags(&self) -> Vec<OsString> {
        match self {
            Db::Sqlite => Vec::new(),
            Db::Postgres { url, app_url } => {
                let mut f: Vec<OsString> = vec!["--database-url".into(), url.into()];
                if let Some(app) = app_url {
                    f.extend(["--app-database-url".into(), app.into()]);
                }
                f
            }
        }
    }
}

/// An adjustment phase and the ledger check after it.
#[derive(Clone, Debug)]
struct AdjustRun {
    outcome: Outcome,
    writes: WritesCheck,
}

/// Acknowledged writes against what the server has on hand, over all phases so far.
#[derive(Clone, Debug, Default)]
struct WritesCheck {
    /// 201s since the tenant was created (warm-ups included).
    acked: u64,
    /// Sum of on hand over the items, thousandths of a gram.
    on_hand_milli: i64,
    /// Acknowledged but not on hand, summed per item, in adjustments (lost writes).
    lost: i64,
    /// On hand but never acknowledged, summed per item, in adjustments.
    unacknowledged: i64,
    /// Requests that got no answer so far (each may or may not have been written).
    unanswered: u64,
}

impl WritesCheck {
    /// `sum(on hand) - acknowledged`, in adjustments (1 g each).
    fn difference(&self) -> f64 {
        self.on_hand_milli as f64 / 1000.0 - self.acked as f64
    }

    /// Why this is a failure, if it is: a write lost, or more writes on hand than requests
    /// that could explain them.
    fn failure(&self) -> Option<String> {
        if self.lost > 0 {
            return Some(format!(
                "{} acknowledged adjustment(s) are not on hand (lost writes)",
                self.lost
            ));
        }
        if self.unacknowledged > i64::try_from(self.unanswered).unwrap_or(i64::MAX) {
            return Some(format!(
                "{} adjustment(s) are on hand that were never acknowledged, more than the {} request(s) left unanswered",
                self.unacknowledged, self.unanswered
            ));
        }
        None
    }
}

/// The writes acknowledged per item over the server's life, and the check against on hand.
struct Ledger {
    acked: Vec<u64>,
    unanswered: u64,
}

impl Ledger {
    async fn add_and_check(
        &mut self,
        out: &Outcome,
        api: &mut Api,
        fixture: &Fixture,
    ) -> anyhow::Result<WritesCheck> {
        for (sum, n) in self.acked.iter_mut().zip(&out.acked) {
            *sum += n;
        }
        self.unanswered += out.unanswered_total;
        let levels = api.on_hand(fixture).await?;
        let mut check = WritesCheck {
            unanswered: self.unanswered,
            ..WritesCheck::default()
        };
        for (item, acked) in fixture.items.iter().zip(&self.acked) {
            let on_hand = levels.get(item).copied().unwrap_or(0);
            let acked_milli = i64::try_from(*acked)?.saturating_mul(1000);
            check.acked += acked;
            check.on_hand_milli += on_hand;
            let diff = on_hand - acked_milli;
            // Whole adjustments, rounding a partial one away from zero.
            if diff < 0 {
                check.lost += (-diff + 999) / 1000;
            } else {
                check.unacknowledged += (diff + 999) / 1000;
            }
        }
        Ok(check)
    }
}

/// Everything measured on one database.
#[derive(Clone, Debug, Default)]
struct BackendRun {
    name: &'static str,
    /// Measured before and after the load (the machine is shared: its limit moves).
    sqlite_limits: Vec<(&'static str, limits::SqliteLimit)>,
    pg_limits: Vec<(&'static str, limits::PgLimit)>,
    limit_note: Option<String>,
    idle_after_setup_mib: Option<f64>,
    adjust: Vec<AdjustRun>,
    list: Option<Outcome>,
    soak: Option<AdjustRun>,
    import: Option<import::InProcess>,
    import_process: Option<import::AsProcess>,
    procurement: Option<procurement::Procurement>,
    stock_ops: Option<stock_ops::StockOps>,
    events: Option<events::Events>,
    failures: Vec<String>,
}

impl BackendRun {
    fn adjust_at(&self, clients: usize) -> Option<&AdjustRun> {
        self.adjust.iter().find(|r| r.outcome.clients == clients)
    }

    /// The highest SQLite limit measured: Larder's figures are compared with the best the
    /// machine did, never with a run that something else slowed down.
    fn sqlite_limit(&self) -> Option<&limits::SqliteLimit> {
        self.sqlite_limits
            .iter()
            .map(|(_, l)| l)
            .max_by(|a, b| a.tx_per_s.total_cmp(&b.tx_per_s))
    }

    /// The fastest SQLite stock page read measured.
    fn sqlite_read(&self) -> Option<&limits::SqliteLimit> {
        self.sqlite_limits
            .iter()
            .map(|(_, l)| l)
            .min_by(|a, b| a.read_avg_ms.total_cmp(&b.read_avg_ms))
    }

    /// The highest pgbench write rate measured.
    fn pg_limit(&self) -> Option<&limits::PgLimit> {
        self.pg_limits
            .iter()
            .map(|(_, l)| l)
            .max_by(|a, b| a.write_tps.total_cmp(&b.write_tps))
    }

    /// The fastest pgbench stock page read measured.
    fn pg_read(&self) -> Option<&limits::PgLimit> {
        self.pg_limits
            .iter()
            .map(|(_, l)| l)
            .min_by(|a, b| a.read_latency_ms.total_cmp(&b.read_latency_ms))
    }
}

/// Everything the report shows.
#[derive(Clone, Debug)]
struct Report {
    date: String,
    machine: procfs::Machine,
    commit: Option<String>,
    work_dir_fs: Option<String>,
    opts: Options,
    sqlite: BackendRun,
    postgres: Option<BackendRun>,
    postgres_note: Option<String>,
    demo_idle_mib: Option<f64>,
    failures: Vec<String>,
}

/// Runs the benchmark, prints the report and writes it to `opts.out` when given.
///
/// # Errors
/// When the working directory or the report file cannot be written. A failed measurement is
/// reported (and makes the exit code 1) rather than returned.
pub async fn run(config: &Config, opts: Options) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("larder-bench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut report = Report {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: procfs::Machine::read(),
        commit: git_commit(),
        work_dir_fs: procfs::fs_type(&dir),
        opts: opts.clone(),
        sqlite: BackendRun::default(),
        postgres: None,
        postgres_note: None,
        demo_idle_mib: None,
        failures: Vec::new(),
    };

    eprintln!("bench: SQLite");
    report.sqlite = backend(&Db::Sqlite, config, &dir.join("sqlite"), &opts).await;

    if opts.skip_postgres {
        report.postgres_note = Some("PostgreSQL was skipped (`--skip-postgres`).".into());
    } else {
        match postgres(config).await {
            Ok((db, fresh)) => {
                eprintln!("bench: PostgreSQL");
                report.postgres = Some(backend(&db, config, &dir.join("postgres"), &opts).await);
                if let (true, Db::Postgres { url, .. }) = (fresh, &db)
                    && let Err(e) = drop_database(url).await
                {
                    eprintln!("bench: could not drop the bench's database: {e:#}");
                }
            }
            Err(e) => {
                report.postgres_note = Some(format!(
                    "PostgreSQL was not reachable ({e:#}); only SQLite was measured."
                ));
            }
        }
    }

    eprintln!("bench: demo idle memory");
    match demo_idle(&dir.join("demo")).await {
        Ok(mib) => report.demo_idle_mib = Some(mib),
        Err(e) => report.failures.push(format!("demo idle memory: {e:#}")),
    }
    let _ = std::fs::remove_dir_all(&dir);

    let failed = !report.failures.is_empty()
        || !report.sqlite.failures.is_empty()
        || report
            .postgres
            .as_ref()
            .is_some_and(|p| !p.failures.is_empty());
    let md = report::render(&report);
    println!("{md}");
    if let Some(path) = &opts.out {
        std::fs::write(path, &md).with_context(|| format!("failed to write {}", path.display()))?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// PostgreSQL at `DATABASE_URL` when it is a postgres URL (checked reachable), else a fresh
/// database on the test server (then `true`: the bench drops it when done).
async fn postgres(config: &Config) -> anyhow::Result<(Db, bool)> {
    match config.database_url.as_deref().map(str::trim) {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            use sqlx::Connection;
            let conn = sqlx::PgConnection::connect(u)
                .await
                .with_context(|| format!("cannot connect to {}", crate::config::redact(u)))?;
            let _ = conn.close().await;
            Ok((
                Db::Postgres {
                    url: u.to_owned(),
                    app_url: config.app_database_url.clone(),
                },
                false,
            ))
        }
        _ => {
            let url = larder_store_postgres::testing::fresh_database()
                .await
                .map_err(|e| anyhow!("{e}"))?;
            Ok((Db::Postgres { url, app_url: None }, true))
        }
    }
}

/// Drops the fresh database at `url` through the test server's admin URL.
async fn drop_database(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let name = url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| n.starts_with("larder_t_") && !n.contains('"'))
        .ok_or_else(|| anyhow!("not a database the bench created"))?;
    let mut conn =
        sqlx::PgConnection::connect(&larder_store_postgres::testing::admin_url()).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(())
}

/// Measures one database: its limit, the server under HTTP load, the import.
async fn backend(db: &Db, config: &Config, dir: &Path, opts: &Options) -> BackendRun {
    let mut run = BackendRun {
        name: db.name(),
        ..BackendRun::default()
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        run.failures
            .push(format!("cannot create {}: {e}", dir.display()));
        return run;
    }
    let name = db.name();

    limit(db, dir, opts, &mut run, "before the load").await;
    if let Err(e) = http_suite(db, dir, opts, &mut run).await {
        run.failures
            .push(format!("{name} server under load: {e:#}"));
    }
    limit(db, dir, opts, &mut run, "after the load").await;

    eprintln!("bench: {name}: import in process");
    match import::in_process(&db.config(config, dir.join("import"))).await {
        Ok(r) => run.import = Some(r),
        Err(e) => run.failures.push(format!("{name} import: {e:#}")),
    }
    eprintln!("bench: {name}: import as a process");
    match import::as_process(&db.config(config, dir.join("import-process")), dir).await {
        Ok(r) => run.import_process = Some(r),
        Err(e) => run
            .failures
            .push(format!("{name} import as a process: {e:#}")),
    }
    eprintln!("bench: {name}: events relayed and streamed live");
    match events::run(&db.config(config, dir.join("events"))).await {
        Ok(r) => run.events = Some(r),
        Err(e) => run.failures.push(format!("{name} events: {e:#}")),
    }
    eprintln!("bench: {name}: purchasing, valuation and stock operations over the demo");
    match procurement::run(&db.config(config, dir.join("procurement"))).await {
        Ok((r, ops)) => {
            run.procurement = Some(r);
            match ops {
                Ok(o) => run.stock_ops = Some(o),
                Err(e) => run.failures.push(format!("{name} stock operations: {e:#}")),
            }
        }
        Err(e) => run
            .failures
            .push(format!("{name} purchasing and valuation: {e:#}")),
    }
    run
}

/// Measures the machine's limit on `db` once, `when` saying where in the run.
async fn limit(db: &Db, dir: &Path, opts: &Options, run: &mut BackendRun, when: &'static str) {
    let name = db.name();
    eprintln!("bench: {name}: the machine's limit, {when}");
    match db {
        Db::Sqlite => {
            let path = dir.join(format!("limit-{}.db", run.sqlite_limits.len()));
            match tokio::task::spawn_blocking(move || {
                limits::sqlite(&path, SQLITE_LIMIT_WRITE, SQLITE_LIMIT_READ)
            })
            .await
            {
                Ok(Ok(l)) => run.sqlite_limits.push((when, l)),
                Ok(Err(e)) => run.failures.push(format!("SQLite limit, {when}: {e:#}")),
                Err(e) => run.failures.push(format!("SQLite limit, {when}: {e}")),
            }
        }
        Db::Postgres { url, .. } => {
            if limits::pgbench_available() {
                match limits::postgres(url, dir, opts.seconds).await {
                    Ok(l) => run.pg_limits.push((when, l)),
                    Err(e) => run.failures.push(format!("pgbench, {when}: {e:#}")),
                }
            } else {
                run.limit_note = Some("`pgbench` is not on PATH: no PostgreSQL limit.".into());
            }
        }
    }
}

/// Starts `larder serve` on `db`, sets up a tenant over HTTP, and runs the load phases.
async fn http_suite(
    db: &Db,
    dir: &Path,
    opts: &Options,
    run: &mut BackendRun,
) -> anyhow::Result<()> {
    let name = db.name();
    let mut args: Vec<OsString> = vec![
        "serve".into(),
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        "0".into(),
        "--data-dir".into(),
        dir.join("server").into_os_string(),
    ];
    args.extend(db.flags());
    let mut server = Server::start(
        &format!("larder serve ({name})"),
        &args,
        &dir.join("server.log"),
        Duration::from_secs(120),
    )
    .await?;
    let (addr, host) = (server.addr(), server.host());
    let mut api = Api::connect(addr, &host).await?;
    let mut store_flags: Vec<OsString> = vec!["--data-dir".into(), dir.join("server").into()];
    store_flags.extend(db.flags());
    let mut fixture = api
        .set_up(
            &format!("Bench HTTP {}", uuid::Uuid::now_v7().simple()),
            &store_flags,
        )
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    run.idle_after_setup_mib = peak_rss_mib(server.pid());

    let mut ledger = Ledger {
        acked: vec![0; fixture.items.len()],
        unanswered: 0,
    };
    let warmup = Duration::from_secs(opts.warmup_seconds);
    let measure = Duration::from_secs(opts.seconds.max(1));
    let database = db.database_name();
    let phase = |work, clients, measure, sample_rss| Phase {
        work,
        clients,
        warmup,
        measure,
        server_pid: server.pid(),
        sample_rss,
        database: database.clone(),
    };
    let adjust_phases: Vec<Phase> = ADJUST_CLIENTS
        .iter()
        .map(|c| phase(Work::Adjust, *c, measure, false))
        .collect();
    let list_phase = phase(Work::ListStock, CLIENTS_16, measure, false);
    let soak_phase = phase(
        Work::Adjust,
        CLIENTS_16,
        Duration::from_secs(opts.soak_seconds.max(1)),
        true,
    );

    for p in adjust_phases {
        let clients = p.clients;
        eprintln!("bench: {name}: {clients} client(s) adjusting");
        db.settle().await?;
        let mut api = Api::connect(addr, &host).await?;
        api.log_in(&mut fixture).await?;
        let outcome = http::run(addr, &host, &fixture, p).await?;
        server.ensure_running()?;
        let writes = check(&mut ledger, &outcome, addr, &host, &fixture).await?;
        if let Some(f) = writes.failure() {
            run.failures
                .push(format!("{name}, {clients} client(s): {f}"));
        }
        run.adjust.push(AdjustRun { outcome, writes });
    }

    eprintln!("bench: {name}: {CLIENTS_16} clients listing stock");
    db.settle().await?;
    let mut api = Api::connect(addr, &host).await?;
    api.log_in(&mut fixture).await?;
    let outcome = http::run(addr, &host, &fixture, list_phase).await?;
    server.ensure_running()?;
    run.list = Some(outcome);

    eprintln!(
        "bench: {name}: {CLIENTS_16} clients adjusting for {} s (memory soak)",
        opts.soak_seconds
    );
    db.settle().await?;
    let mut api = Api::connect(addr, &host).await?;
    api.log_in(&mut fixture).await?;
    let outcome = http::run(addr, &host, &fixture, soak_phase).await?;
    server.ensure_running()?;
    let writes = check(&mut ledger, &outcome, addr, &host, &fixture).await?;
    if let Some(f) = writes.failure() {
        run.failures.push(format!("{name}, memory soak: {f}"));
    }
    run.soak = Some(AdjustRun { outcome, writes });

    server.stop().await?;
    Ok(())
}

/// Adds a phase's acknowledged writes and compares them with on hand, over a fresh connection
/// (the setup connection may have been closed while idle).
async fn check(
    ledger: &mut Ledger,
    outcome: &Outcome,
    addr: std::net::SocketAddr,
    host: &str,
    fixture: &Fixture,
) -> anyhow::Result<WritesCheck> {
    let mut api = Api::connect(addr, host).await?;
    api.use_token(fixture);
    ledger.add_and_check(outcome, &mut api, fixture).await
}

/// Resident memory of `larder demo` 3 s after it listens (its load is done by then).
async fn demo_idle(data_dir: &Path) -> anyhow::Result<f64> {
    std::fs::create_dir_all(data_dir)?;
    let args: Vec<OsString> = vec![
        "demo".into(),
        "--host".into(),
        "127.0.0.1".into(),
        "--port".into(),
        "0".into(),
        "--data-dir".into(),
        data_dir.as_os_str().to_owned(),
    ];
    let server = Server::start(
        "larder demo",
        &args,
        &data_dir.join("demo.log"),
        Duration::from_secs(900),
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss = peak_rss_mib(server.pid());
    server.stop().await?;
    rss.context("cannot read the demo server's memory")
}

/// `git rev-parse --short HEAD`, when run inside a repository.
fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !s.is_empty()).then_some(s)
}
