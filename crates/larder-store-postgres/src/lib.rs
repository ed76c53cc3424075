//! Larder's storage on PostgreSQL.
//!
//! Migrations run as the database owner (the `DATABASE_URL` role). The application then
//! connects as `larder_app`, a role that owns no table, so the row-level security policies
//! apply to every query; each transaction begins with
//! `select set_config('app.tenant_id', $1, true)` (transaction-local, so a pooled connection
//! never carries one request's tenant into the next).

mod dialect;
mod exec;
mod numbering;

pub mod testing;

use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use larder_core::TenantId;
use larder_store::sql::{SqlGlobalTx, SqlTx};
use larder_store::{
    EVENTS_CHANNEL, EventSignal, EventWake, GlobalJob, Mode, Store, StoreError, TenantJob,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

pub use dialect::DIALECT;
use exec::PgExec;
pub use exec::classify;

/// The forward-only migrations of this backend (`migrations/`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The role the application connects as.
pub const APP_ROLE: &str = "larder_app";

/// A PostgreSQL database reached through a pool of `larder_app` connections.
pub struct PgStore {
    pool: PgPool,
    signal: EventSignal,
    listener: tokio::task::JoinHandle<()>,
    numberer: Arc<numbering::Numberer>,
    numbering: tokio::task::JoinHandle<()>,
}

/// How long a write waits, after its commit, for the round that numbers its events and audit
/// records before it returns anyway (the write is committed; a later round numbers them).
const NUMBERING_WAIT: Duration = Duration::from_secs(10);

fn bad_url(e: sqlx::Error) -> StoreError {
    StoreError::Other(format!("bad PostgreSQL URL: {e}"))
}

/// The application's connection options: `app_url` when given, else `owner_url` with the user
/// replaced by [`APP_ROLE`] and the password dropped (for trust or peer authentication; set
/// `LARDER_APP_DATABASE_URL` where the role has a password).
pub fn app_options(owner_url: &str, app_url: Option<&str>) -> Result<PgConnectOptions, StoreError> {
    match app_url {
        Some(url) => PgConnectOptions::from_str(url).map_err(bad_url),
        None => Ok(PgConnectOptions::from_str(owner_url)
            .map_err(bad_url)?
            .username(APP_ROLE)
            .password("")),
    }
}

impl PgStore {
    /// Runs pending migrations as the owner at `owner_url`, then opens the application pool.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the server cannot be reached, [`StoreError::Other`]
    /// when a migration fails.
    pub async fn open(owner_url: &str, app_url: Option<&str>) -> Result<Self, StoreError> {
        migrate(owner_url).await?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            // A connection that broke is found by the query that uses it (and reported as
            // unavailable); a ping before every transaction would cost a round trip each.
            .test_before_acquire(false)
            .connect_with(app_options(owner_url, app_url)?)
            .await
            .map_err(classify)?;
        let signal = EventSignal::default();
        let listener = tokio::spawn(listen(pool.clone(), signal.clone()));
        let numberer = Arc::new(numbering::Numberer::default());
        let numbering = tokio::spawn(numbering::run(
            pool.clone(),
            signal.clone(),
            numberer.clone(),
        ));
        Ok(Self {
            pool,
            signal,
            listener,
            numberer,
            numbering,
        })
    }

    /// The application pool, for tests that check what `larder_app` can see.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Turns every process's `NOTIFY larder_events` into this process's [`EventSignal`], for as
/// long as the store is open. A lost connection is retried each second; what was announced
/// meanwhile is found by the live streams' own periodic look at the outbox.
async fn listen(pool: PgPool, signal: EventSignal) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for events; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(EVENTS_CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen for events; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if let Some(w) = EventWake::parse(n.payload()) {
                        signal.wake(w);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the event listener lost its connection");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

/// Creates the database when it does not exist yet (the owner needs `CREATEDB`), then runs
/// pending migrations as the owner.
///
/// # Errors
/// As [`PgStore::open`].
pub async fn migrate(owner_url: &str) -> Result<(), StoreError> {
    use sqlx::migrate::MigrateDatabase;
    let unreachable =
        |e: sqlx::Error| StoreError::Unavailable(format!("cannot reach PostgreSQL: {e}"));
    if !sqlx::Postgres::database_exists(owner_url)
        .await
        .map_err(unreachable)?
    {
        sqlx::Postgres::create_database(owner_url)
            .await
            .map_err(|e| StoreError::Other(format!("cannot create the database: {e}")))?;
    }
    let mut owner =
        PgConnection::connect_with(&PgConnectOptions::from_str(owner_url).map_err(bad_url)?)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot reach PostgreSQL: {e}")))?;
    MIGRATOR
        .run(&mut owner)
        .await
        .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
    let _ = owner.close().await;
    Ok(())
}

/// The statement that opens a tenant's transaction: `BEGIN` (for a read job `READ ONLY`, so it
/// cannot write, and `REPEATABLE READ`, so its statements see one snapshot, as on SQLite's
/// read-only connections; a read-only transaction never fails to serialize) and the transaction-local
/// tenant setting the row-level security policies read, sent together (one round trip). The
/// id is a UUID we format, so it is safe to inline.
pub(crate) fn begin_tenant(tenant: TenantId, mode: Mode) -> sqlx::AssertSqlSafe<String> {
    let begin = match mode {
        Mode::Read => "BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ",
        Mode::Write => "BEGIN",
    };
    sqlx::AssertSqlSafe(format!(
        "{begin}; SELECT set_config('app.tenant_id', '{}', true)",
        tenant.as_uuid().hyphenated()
    ))
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn run_tenant(
        &self,
        tenant: TenantId,
        mode: Mode,
        job: TenantJob,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin_with(begin_tenant(tenant, mode))
            .await
            .map_err(classify)?;
        let done = {
            let mut port = SqlTx::new(PgExec::new(&mut tx), tenant);
            match AssertUnwindSafe(job(&mut port)).catch_unwind().await.ok() {
                Some(done) if done.ok() => Some(match port.flush_events().await {
                    Ok(flushed) => (done, flushed.unnumbered),
                    Err(e) => (done.failed(e), false),
                }),
                other => other.map(|d| (d, false)),
            }
        };
        let Some((done, unnumbered)) = done else {
            let _ = tx.rollback().await;
            return Ok(()); // the caller is told the transaction was abandoned
        };
        if done.ok() {
            let commit = tx.commit().await.map_err(classify).err();
            if commit.is_none() && unnumbered {
                let round = self.numberer.request(tenant);
                if tokio::time::timeout(NUMBERING_WAIT, round).await.is_err() {
                    tracing::warn!(%tenant, "a write's events were not numbered in time");
                }
            }
            done.deliver(commit);
        } else {
            let _ = tx.rollback().await;
            done.deliver(None);
        }
        Ok(())
    }

    async fn run_global(&self, mode: Mode, job: GlobalJob) -> Result<(), StoreError> {
        let mut tx = match mode {
            Mode::Read => {
                self.pool
                    .begin_with("BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ")
                    .await
            }
            Mode::Write => self.pool.begin().await,
        }
        .map_err(classify)?;
        let done = {
            let mut port = SqlGlobalTx::new(PgExec::new(&mut tx));
            AssertUnwindSafe(job(&mut port)).catch_unwind().await.ok()
        };
        let Some(done) = done else {
            let _ = tx.rollback().await;
            return Ok(());
        };
        if done.ok() {
            let commit = tx.commit().await.map_err(classify).err();
            done.deliver(commit);
        } else {
            let _ = tx.rollback().await;
            done.deliver(None);
        }
        Ok(())
    }

    async fn tenant_ids(&self) -> Result<Vec<TenantId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT larder_tenant_ids()")
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    async fn close(&self) {
        self.listener.abort();
        self.numbering.abort();
        self.numberer.release_all();
        self.pool.close().await;
    }

    fn event_signal(&self) -> &EventSignal {
        &self.signal
    }

    async fn webhook_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT larder_webhook_tenants()")
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    async fn alert_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT larder_alert_tenants()")
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    async fn mail_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT larder_mail_tenants()")
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    async fn unrelayed_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT larder_unrelayed_tenants()")
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }
}
