//! The machine's own limits, measured in the same run as Larder's figures: the fastest this
//! disk and database can do Larder's adjustment transaction with nothing of Larder in the way.
//!
//! - SQLite: the transaction one at a time, each commit fsync'd (WAL, `synchronous=FULL`, the
//!   writer connection Larder opens), on a fresh file beside the server's; plus a 50-row read
//!   of the stock list's query on one connection.
//! - PostgreSQL: `pgbench` with a custom script doing the same transaction from 16 clients,
//!   and the stock list's query from 16 clients, as the database owner.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use rusqlite::params;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::http::ITEMS;

/// The SQLite limits.
#[derive(Clone, Debug)]
pub(crate) struct SqliteLimit {
    /// The disk alone: 4 KiB overwritten and `fdatasync`ed, one at a time, per second (a
    /// one-at-a-time commit cannot beat it; when it is far above the transaction rate, the
    /// CPU bounds commits, not the disk).
    pub fsync_per_s: f64,
    /// Transactions per second, one at a time, each fsync'd.
    pub tx_per_s: f64,
    /// Transactions committed.
    pub transactions: u64,
    /// The stock list's query (50 rows, one connection): mean latency, ms.
    pub read_avg_ms: f64,
    /// Its 95th percentile, ms.
    pub read_p95_ms: f64,
}

const SQLITE_INSERT_MOVEMENT: &str = "INSERT INTO stock_movements
     (tenant_id, id, item_id, location_id, kind, quantity, unit_cost, reason, sale_id,
      created_by, occurred_at, recorded_at)
     VALUES (?1, ?2, ?3, ?4, 'adjustment', 1000, NULL, NULL, NULL, NULL, ?5, ?5)";
const SQLITE_ADD_TO_LEVEL: &str = "INSERT INTO stock_levels
     (tenant_id, item_id, location_id, on_hand, updated_at) VALUES (?1, ?2, ?3, 1000, ?4)
     ON CONFLICT (tenant_id, item_id, location_id) DO UPDATE
     SET on_hand = stock_levels.on_hand + excluded.on_hand,
         updated_at = max(stock_levels.updated_at, excluded.updated_at)";
/// The stock list's statement (`larder-store`'s `LIST_STOCK`) for one location, first page.
const STOCK_PAGE: &str = "SELECT s.item_id, i.name, i.base_unit, s.location_id, s.on_hand,
     p.par_level, p.reorder_point, s.updated_at
     FROM stock_levels s
     JOIN items i ON i.tenant_id = s.tenant_id AND i.id = s.item_id
     LEFT JOIN par_levels p ON p.tenant_id = s.tenant_id AND p.item_id = s.item_id
                           AND p.location_id = s.location_id
     WHERE s.tenant_id = ?1 AND s.location_id = ?2
     ORDER BY i.name, s.item_id, s.location_id LIMIT 50";

fn micros_now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Measures SQLite on a fresh database at `path`: the adjustment transaction one at a time
/// for `write_for`, then the stock page read for `read_for`. Blocking.
///
/// # Errors
/// When the database cannot be created or a statement fails.
pub(crate) fn sqlite(
    path: &Path,
    write_for: Duration,
    read_for: Duration,
) -> anyhow::Result<SqliteLimit> {
    let fsync_per_s = fsync_rate(&path.with_extension("fsync"), Duration::from_secs(1))?;
    let mut conn = larder_store_sqlite::open_writer(path).map_err(|e| anyhow!("{e}"))?;
    larder_store_sqlite::migrate(&mut conn).map_err(|e| anyhow!("{e}"))?;
    let tenant = Uuid::now_v7();
    let location = Uuid::now_v7();
    let items: Vec<Uuid> = (0..ITEMS).map(|_| Uuid::now_v7()).collect();
    let now = micros_now();
    let seed = conn.transaction()?;
    seed.execute(
        "INSERT INTO tenants (id, name, slug, currency, time_zone, day_cutoff_minutes, created_at)
         VALUES (?1, 'Bench limit', 'bench-limit', 'GBP', 'Europe/London', 240, ?2)",
        params![tenant.as_bytes(), now],
    )?;
    seed.execute(
        "INSERT INTO locations (tenant_id, id, name, kind, created_at)
         VALUES (?1, ?2, 'Bench kitchen', 'outlet', ?3)",
        params![tenant.as_bytes(), location.as_bytes(), now],
    )?;
    for (n, item) in items.iter().enumerate() {
        seed.execute(
            "INSERT INTO items (tenant_id, id, name, sku, category, base_unit, pack_sizes,
                 barcode, unit_cost, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, NULL, NULL, 'g', '[]', NULL, 1000, 1, ?4, ?4)",
            params![
                tenant.as_bytes(),
                item.as_bytes(),
                format!("Bench item {n:02}"),
                now
            ],
        )?;
    }
    seed.commit()?;

    let mut begin = conn.prepare("BEGIN IMMEDIATE")?;
    let mut insert = conn.prepare(SQLITE_INSERT_MOVEMENT)?;
    let mut add = conn.prepare(SQLITE_ADD_TO_LEVEL)?;
    let mut commit = conn.prepare("COMMIT")?;
    let started = Instant::now();
    let mut transactions = 0u64;
    while started.elapsed() < write_for {
        let item = items
            .get(transactions as usize % ITEMS)
            .context("no items")?
            .as_bytes();
        let now = micros_now();
        begin.execute([])?;
        insert.execute(params![
            tenant.as_bytes(),
            Uuid::now_v7().as_bytes(),
            item,
            location.as_bytes(),
            now
        ])?;
        add.execute(params![tenant.as_bytes(), item, location.as_bytes(), now])?;
        commit.execute([])?;
        transactions += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    drop((begin, insert, add, commit));

    let mut page = conn.prepare(STOCK_PAGE)?;
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < read_for {
        let t = Instant::now();
        let mut rows = page.query(params![tenant.as_bytes(), location.as_bytes()])?;
        let mut n = 0;
        while rows.next()?.is_some() {
            n += 1;
        }
        if n != ITEMS {
            bail!("the stock page read {n} rows, expected {ITEMS}");
        }
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let reads = latencies.len().max(1);
    Ok(SqliteLimit {
        fsync_per_s,
        tx_per_s: transactions as f64 / seconds,
        transactions,
        read_avg_ms: latencies.iter().sum::<f64>() / reads as f64,
        read_p95_ms: latencies
            .get(((reads as f64 * 0.95).ceil() as usize).clamp(1, reads) - 1)
            .copied()
            .unwrap_or(f64::NAN),
    })
}

/// Overwrites 4 KiB blocks in place (cycling over a 4 MiB file written beforehand, as SQLite
/// reuses its WAL) and `fdatasync`s each, one at a time, for `run_for`, in a scratch file at
/// `path` (removed after): syncs per second. Appending instead would also flush the file's
/// size each time, which a commit to a reused WAL does not pay.
fn fsync_rate(path: &Path, run_for: Duration) -> anyhow::Result<f64> {
    use std::io::{Seek, SeekFrom, Write};
    const BLOCK: usize = 4096;
    const BLOCKS: u64 = 1024;
    let mut file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let block = [0x5a_u8; BLOCK];
    for _ in 0..BLOCKS {
        file.write_all(&block)?;
    }
    file.sync_all()?;
    let started = Instant::now();
    let mut syncs = 0u64;
    while started.elapsed() < run_for {
        file.seek(SeekFrom::Start((syncs % BLOCKS) * BLOCK as u64))?;
        file.write_all(&block)?;
        file.sync_data()?;
        syncs += 1;
    }
    let rate = syncs as f64 / started.elapsed().as_secs_f64();
    drop(file);
    let _ = std::fs::remove_file(path);
    Ok(rate)
}

/// The PostgreSQL limits from `pgbench`.
#[derive(Clone, Debug)]
pub(crate) struct PgLimit {
    /// The adjustment transaction from 16 clients: transactions per second.
    pub write_tps: f64,
    /// Its mean latency, ms.
    pub write_latency_ms: f64,
    /// The stock page read from 16 clients: transactions per second.
    pub read_tps: f64,
    /// Its mean latency, ms.
    pub read_latency_ms: f64,
    /// Whether the scripts set `app.tenant_id` (when the owner does not bypass row-level
    /// security, as a superuser does).
    pub sets_tenant: bool,
}

/// Concurrent pgbench clients: as many as the Larder figure they are compared with.
pub(crate) const PGBENCH_CLIENTS: usize = 16;

/// Whether `pgbench` runs.
pub(crate) fn pgbench_available() -> bool {
    std::process::Command::new("pgbench")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The id of seeded item `n`: a fixed UUID pattern the script can rebuild from a number.
const ITEM_PREFIX: &str = "0190c0de-0000-7000-8000-";

/// Seeds a tenant, a location and [`ITEMS`] items in the database at `url` (as its owner),
/// then runs pgbench for `seconds` with the write and the read scripts, written under `dir`.
///
/// # Errors
/// When seeding fails, pgbench fails, or its output has no `tps`.
pub(crate) async fn postgres(url: &str, dir: &Path, seconds: u64) -> anyhow::Result<PgLimit> {
    // The schema first: this runs before the server has ever opened the database.
    larder_store_postgres::migrate(url)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mut conn = PgConnection::connect(url)
        .await
        .context("cannot connect to PostgreSQL as the owner")?;
    let bypass: bool = sqlx::query_scalar(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .context("cannot read the owner's role")?;
    let tenant = Uuid::now_v7();
    let location = Uuid::now_v7();
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO tenants (id, name, slug, currency, time_zone, day_cutoff_minutes, created_at)
         VALUES ($1, 'Bench pgbench', $2, 'GBP', 'Europe/London', 240, now())",
    )
    .bind(tenant)
    .bind(format!("bench-pgbench-{}", tenant.simple()))
    .execute(&mut *tx)
    .await
    .context("cannot seed the pgbench tenant")?;
    sqlx::query(
        "INSERT INTO locations (tenant_id, id, name, kind, created_at)
         VALUES ($1, $2, 'Bench kitchen', 'outlet', now())",
    )
    .bind(tenant)
    .bind(location)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO items (tenant_id, id, name, base_unit, pack_sizes, unit_cost, version,
             created_at, updated_at)
         SELECT $1, ($2 || lpad(n::text, 12, '0'))::uuid, 'Bench item ' || lpad(n::text, 2, '0'),
                'g', '[]', 1000, 1, now(), now()
         FROM generate_series(0, $3::int - 1) n",
    )
    .bind(tenant)
    .bind(ITEM_PREFIX)
    .bind(ITEMS as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let _ = conn.close().await;

    let set_tenant = if bypass {
        String::new()
    } else {
        format!("SELECT set_config('app.tenant_id', '{tenant}', true);\n")
    };
    // The statements Larder's adjustment (an increase) runs, over the same 50 items, without
    // the idempotency record and the HTTP around it: move on hand and read the level's cost
    // state back, read its open lots, append the movement and the lot it opens (one statement
    // here, two in Larder), set the level's value.
    let item = format!("('{ITEM_PREFIX}' || lpad(:n::text, 12, '0'))::uuid");
    let write = format!(
        "\\set n random(0, {last})
BEGIN;
{set_tenant}INSERT INTO stock_levels (tenant_id, item_id, location_id, on_hand, updated_at) VALUES ('{tenant}', {item}, '{location}', 1000, now()) ON CONFLICT (tenant_id, item_id, location_id) DO UPDATE SET on_hand = stock_levels.on_hand + excluded.on_hand, updated_at = GREATEST(stock_levels.updated_at, excluded.updated_at) RETURNING item_id, location_id, on_hand, value, last_cost, (SELECT t.valuation_method FROM tenants t WHERE t.id = '{tenant}');
SELECT l.item_id, l.location_id, l.id, l.expires_on, l.received_at, l.remaining, l.remaining_value FROM lots l WHERE l.tenant_id = '{tenant}' AND l.item_id = {item} AND l.location_id = '{location}' AND l.remaining > 0;
WITH m AS (INSERT INTO stock_movements (tenant_id, id, item_id, location_id, kind, quantity, unit_cost, reason, sale_id, created_by, occurred_at, recorded_at, value, cost_variance, shortfall, settled) VALUES ('{tenant}', gen_random_uuid(), {item}, '{location}', 'adjustment', 1000, NULL, NULL, NULL, NULL, now(), now(), 0, 0, 0, 0) RETURNING id) INSERT INTO lots (tenant_id, id, item_id, location_id, code, expires_on, received_at, received_quantity, unit_cost, remaining, remaining_value, movement_id) SELECT '{tenant}', gen_random_uuid(), {item}, '{location}', NULL, NULL, now(), 1000, 0, 1000, 0, m.id FROM m;
UPDATE stock_levels SET value = value, last_cost = 0 WHERE tenant_id = '{tenant}' AND item_id = {item} AND location_id = '{location}';
END;
",
        last = ITEMS - 1
    );
    let page = STOCK_PAGE
        .replace("?1", &format!("'{tenant}'"))
        .replace("?2", &format!("'{location}'"))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let read = if bypass {
        format!("{page};\n")
    } else {
        format!("BEGIN;\n{set_tenant}{page};\nEND;\n")
    };
    let write_file = dir.join("pgbench-adjustment.sql");
    let read_file = dir.join("pgbench-stock-page.sql");
    std::fs::write(&write_file, write)?;
    std::fs::write(&read_file, read)?;
    settle_postgres(url).await?;
    let (write_tps, write_latency_ms) = pgbench(url, &write_file, seconds).await?;
    settle_postgres(url).await?;
    let (read_tps, read_latency_ms) = pgbench(url, &read_file, seconds).await?;
    Ok(PgLimit {
        write_tps,
        write_latency_ms,
        read_tps,
        read_latency_ms,
        sets_tenant: !bypass,
    })
}

/// The tables the bench writes and reads.
const BENCH_TABLES: &str =
    "stock_levels, stock_movements, items, locations, par_levels, idempotency_keys";

/// `VACUUM (ANALYZE)` of the tables the bench touches, as the owner at `url`: what autovacuum
/// does in a database that has been running a while. Without it a fresh database plans the
/// stock page on empty-table statistics (4 times slower here), and a phase would inherit the
/// dead rows of the one before. Run before each measurement, on both sides of a comparison.
///
/// # Errors
/// When PostgreSQL cannot be reached or refuses.
pub(crate) async fn settle_postgres(url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url)
        .await
        .context("cannot connect to PostgreSQL as the owner")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "VACUUM (ANALYZE) {BENCH_TABLES}"
    )))
    .execute(&mut conn)
    .await
    .context("VACUUM (ANALYZE) failed")?;
    let _ = conn.close().await;
    Ok(())
}

/// Runs `pgbench -n -M prepared -c 16 -j 2 -T seconds -f script url`: tps and mean latency.
async fn pgbench(url: &str, script: &Path, seconds: u64) -> anyhow::Result<(f64, f64)> {
    let mut cmd = std::process::Command::new("pgbench");
    cmd.args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &PGBENCH_CLIENTS.to_string()])
        .args(["-T", &seconds.max(1).to_string()])
        .arg("-f")
        .arg(script)
        .arg(url);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .context("cannot run pgbench")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "pgbench {} failed ({}): {}",
            script.display(),
            out.status,
            stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
        );
    }
    let number_after = |prefix: &str| {
        stdout.lines().find_map(|l| {
            l.trim()
                .strip_prefix(prefix)?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
    };
    let tps = number_after("tps = ")
        .ok_or_else(|| anyhow!("no `tps = ` in pgbench's output: {stdout}"))?;
    let latency = number_after("latency average = ").unwrap_or(f64::NAN);
    Ok((tps, latency))
}
