//! The import of the embedded takeaway history: timed in this process (`App::import_sales`,
//! then the ledger check), and run as `larder import sales` in a child process for its peak
//! resident memory, which the command prints on stderr.

use crate::demo::text;
use std::ffi::OsString;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use larder_app::auth::RegisterCommand;
use larder_app::sales::ImportMode;
use larder_app::tenancy::LocationCommand;
use larder_app::{App, Principal};
use larder_core::auth::Role;
use larder_core::tenancy::LocationKind;
use larder_core::{LocationId, TenantId};

use super::child::larder_command;
use crate::Config;
use crate::demo::{ORDERS_CSV, PRICES_CSV, RECIPES_TOML};

/// The in-process import.
#[derive(Clone, Debug)]
pub(crate) struct InProcess {
    /// CSV rows read.
    pub lines: u64,
    /// Sale movements written.
    pub movements: usize,
    /// `import_sales`, seconds.
    pub seconds: f64,
    /// The ledger check after it, seconds.
    pub check_seconds: f64,
}

/// The import as its own process.
#[derive(Clone, Debug)]
pub(crate) struct AsProcess {
    /// The whole process, start to exit, seconds.
    pub seconds: f64,
    /// Its peak resident memory (`VmHWM`), MiB, as it printed it.
    pub peak_mib: f64,
}

/// A fresh tenant with one location and the demo recipe book loaded.
async fn tenant_with_book(app: &App) -> anyhow::Result<(Principal, LocationId)> {
    let reg = app
        .create_tenant(RegisterCommand {
            tenant_name: text(&format!("Bench import {}", uuid::Uuid::now_v7().simple()))?,
            email: text(&format!(
                "bench-{}@larder.test",
                uuid::Uuid::now_v7().simple()
            ))?,
            password: text("import bench password")?,
            name: text("Bench")?,
            currency: None,
            time_zone: None,
            day_cutoff_minutes: None,
        })
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let p = Principal::operator(reg.tenant_id, reg.user_id, Role::Owner);
    let location = app
        .create_location(
            p,
            LocationCommand {
                name: text("Kitchen")?,
                kind: LocationKind::Outlet,
            },
            None,
        )
        .await
        .map_err(|e| anyhow!("{e}"))?
        .value
        .id;
    crate::demo::load_recipe_book(app, p, RECIPES_TOML, PRICES_CSV).await?;
    Ok((p, location))
}

/// Imports the whole history into a fresh tenant of `config`'s database in this process.
///
/// # Errors
/// When the store cannot be opened, a step fails, or the ledger check finds a mismatch.
pub(crate) async fn in_process(config: &Config) -> anyhow::Result<InProcess> {
    let store = crate::open_store(config).await?;
    let app = crate::build_app(config, store.clone())?;
    let (p, location) = tenant_with_book(&app).await?;
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
        .map_err(|e| anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut bad = app.check_ledger().await.map_err(|e| anyhow!("{e}"))?.len();
    bad += app.check_costs().await.map_err(|e| anyhow!("{e}"))?.len();
    let check_seconds = started.elapsed().as_secs_f64();
    store.close().await;
    if report.aborted || !report.errors.is_empty() {
        bail!("the import reported {} bad row(s)", report.errors.len());
    }
    if bad > 0 {
        bail!("ledger check failed after the import: {bad} stock level(s) differ");
    }
    Ok(InProcess {
        lines: report.rows_read,
        movements: report.movements,
        seconds,
        check_seconds,
    })
}

/// Prepares a tenant with the book in `config`'s database (in this process), writes the
/// history to a CSV under `dir`, and runs `larder import sales` on it as a child.
///
/// # Errors
/// When preparing fails, the child fails, or it prints no peak memory line.
pub(crate) async fn as_process(config: &Config, dir: &Path) -> anyhow::Result<AsProcess> {
    let (tenant, location): (TenantId, LocationId) = {
        let store = crate::open_store(config).await?;
        let app = crate::build_app(config, store.clone())?;
        let prepared = tenant_with_book(&app).await;
        store.close().await;
        let (p, location) = prepared?;
        (p.tenant_id, location)
    };
    let csv = dir.join("orders.csv");
    std::fs::write(&csv, ORDERS_CSV).with_context(|| format!("cannot write {}", csv.display()))?;
    let mut args: Vec<OsString> = vec![
        "import".into(),
        "sales".into(),
        csv.into_os_string(),
        "--tenant".into(),
        tenant.to_string().into(),
        "--location".into(),
        location.to_string().into(),
        "--data-dir".into(),
        config.data_dir.clone().into_os_string(),
    ];
    if let Some(url) = &config.database_url {
        args.extend(["--database-url".into(), url.into()]);
    }
    if let Some(url) = &config.app_database_url {
        args.extend(["--app-database-url".into(), url.into()]);
    }
    let mut cmd = larder_command(&args)?;
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .context("cannot run larder import sales")?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "larder import sales failed ({}): {}",
            out.status,
            stderr
                .lines()
                .rev()
                .take(10)
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    let peak_mib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("peak resident memory: ")?
                .strip_suffix(" MiB")?
                .parse::<f64>()
                .ok()
        })
        .ok_or_else(|| anyhow!("larder import sales printed no `peak resident memory` line"))?;
    Ok(AsProcess { seconds, peak_mib })
}
