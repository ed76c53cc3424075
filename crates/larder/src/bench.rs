//! `larder bench`: measures the import-and-deplete path on the real takeaway history, on
//! SQLite and (when reachable) PostgreSQL, plus the idle server's resident memory, and writes
//! a Markdown table.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use larder_app::auth::RegisterCommand;
use larder_app::tenancy::LocationCommand;
use larder_app::sales::ImportMode;
use larder_app::{App, Principal};
use larder_core::auth::Role;
use larder_core::tenancy::LocationKind;

use crate::Config;
use crate::demo::{ORDERS_CSV, PRICES_CSV, RECIPES_TOML};

struct Run {
    backend: &'static str,
    lines: u64,
    movements: usize,
    seconds: f64,
    check_seconds: f64,
}

/// Peak resident memory of this process so far (`VmHWM`), or the current resident memory
/// (`VmRSS`) of process `pid`, in MiB.
pub fn peak_rss_mib(pid: Option<u32>) -> Option<f64> {
    let path = pid.map_or_else(
        || "/proc/self/status".to_owned(),
        |p| format!("/proc/{p}/status"),
    );
    let key = if pid.is_some() { "VmRSS:" } else { "VmHWM:" };
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

async fn measure(app: &App, backend: &'static str) -> anyhow::Result<Run> {
    let reg = app
        .register(RegisterCommand {
            tenant_name: "Bench".into(),
            email: format!("bench-{}@larder.test", uuid::Uuid::now_v7().simple()),
            password: "bench-password".into(),
            name: "Bench".into(),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let p = Principal {
        tenant_id: reg.tenant_id,
        user_id: reg.user_id,
        role: Role::Owner,
    };
    let location = app
        .create_location(
            p,
            LocationCommand {
                name: "Kitchen".into(),
                kind: LocationKind::Outlet,
            },
            None,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .value
        .id;
    crate::demo::load_recipe_book(app, p, RECIPES_TOML, PRICES_CSV).await?;
    let started = Instant::now();
    let report = app
        .import_sales(
            p.tenant_id,
            location,
            "bench",
            || Ok(ORDERS_CSV.as_bytes()),
            ImportMode::AllOrNothing,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let bad = app
        .check_ledger()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(bad.is_empty(), "ledger check failed after the import");
    Ok(Run {
        backend,
        lines: report.rows_read,
        movements: report.movements,
        seconds,
        check_seconds: started.elapsed().as_secs_f64(),
    })
}

async fn idle_server_rss(data_dir: &std::path::Path) -> anyhow::Result<f64> {
    let exe = std::env::current_exe()?;
    let mut child = std::process::Command::new(exe)
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("failed to start the server")?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss = peak_rss_mib(Some(child.id()));
    let _ = child.kill();
    let _ = child.wait();
    rss.context("could not read the server's memory")
}

/// Runs the benchmark.
///
/// # Errors
/// When a backend fails (PostgreSQL is skipped, and said so, when unreachable).
pub async fn run(config: &Config, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("larder-bench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let mut runs = Vec::new();
    let sqlite_cfg = Config {
        data_dir: dir.clone(),
        database_url: None,
        ..config.clone()
    };
    let store = crate::open_store(&sqlite_cfg).await?;
    let app = crate::build_app(&sqlite_cfg, store.clone())?;
    runs.push(measure(&app, "SQLite").await?);
    store.close().await;
    let sqlite_peak = peak_rss_mib(None);

    let pg_url = match config.database_url.as_deref() {
        Some(u) if u.starts_with("postgres") => Some(u.to_owned()),
        _ => larder_store_postgres::testing::fresh_database().await.ok(),
    };
    let mut pg_note = String::new();
    match pg_url {
        Some(url) => {
            let pg_cfg = Config {
                database_url: Some(url),
                data_dir: dir.clone(),
                ..config.clone()
            };
            let store = crate::open_store(&pg_cfg).await?;
            let app = crate::build_app(&pg_cfg, store.clone())?;
            runs.push(measure(&app, "PostgreSQL").await?);
            store.close().await;
        }
        None => pg_note = "PostgreSQL was not reachable; only SQLite was measured.\n".into(),
    }
    let idle = idle_server_rss(&dir).await?;
    let _ = std::fs::remove_dir_all(&dir);

    let mut md = String::from(
        "| backend | order lines | sale movements | import + deplete (s) | lines/s | movements/s | ledger check (s) |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &runs {
        md.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.0} | {:.2} |\n",
            r.backend,
            r.lines,
            r.movements,
            r.seconds,
            r.lines as f64 / r.seconds,
            r.movements as f64 / r.seconds,
            r.check_seconds
        ));
    }
    md.push_str(&format!(
        "\nPeak resident memory of the bench process after the SQLite run: {:.1} MiB. Idle server (`larder serve`, SQLite) resident memory after 3 s: {:.1} MiB.\n{pg_note}",
        sqlite_peak.unwrap_or(f64::NAN),
        idle
    ));
    println!("{md}");
    if let Some(path) = out {
        std::fs::write(&path, &md)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
