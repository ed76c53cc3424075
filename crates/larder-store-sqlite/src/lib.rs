//! Larder's storage on SQLite.
//!
//! One file in WAL mode. Writes go through one writer connection owned by one task: requests
//! arrive on a queue and the task commits them in small groups (group commit), each job inside
//! its own savepoint so one job's failure rolls back only that job. Reads run on a pool of
//! read-only connections, each in its own transaction (a consistent snapshot). Several writer
//! connections would fight over SQLite's single write lock ("database is locked" under load).

mod convert;
mod tx;

use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use larder_core::TenantId;
use larder_store::{GlobalJob, JobDone, Mode, Store, StoreError, TenantJob};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

pub use convert::classify;
use tx::{SqliteGlobalTx, SqliteTx};

/// How many queued write jobs one commit may carry.
const GROUP_MAX: usize = 64;

/// The forward-only migrations of this backend (`migrations/`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

enum WriteRequest {
    Tenant(TenantId, TenantJob),
    Global(GlobalJob),
    /// Commit what came before, close the connection, and say so.
    Shutdown(oneshot::Sender<()>),
}

/// A SQLite database: the writer task's queue and the reader pool.
pub struct SqliteStore {
    writer: mpsc::Sender<WriteRequest>,
    readers: SqlitePool,
}

fn options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Other(format!("bad SQLite URL: {e}")))?
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit survives power loss; group commit pays the fsync once per group.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // A 64 MiB page cache per connection (negative = KiB): a bulk import touches every
        // index page of the ledger, and the default 2 MB cache thrashes.
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory"))
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `url` (`sqlite://path/to/larder.db`),
    /// runs pending migrations, and starts the writer task.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be opened or a migration fails.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let mut writer = SqliteConnection::connect_with(&options(url)?.create_if_missing(true))
            .await
            .map_err(classify)?;
        MIGRATOR
            .run(&mut writer)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options(url)?.read_only(true))
            .await
            .map_err(classify)?;
        let (sender, receiver) = mpsc::channel(1024);
        tokio::spawn(writer_loop(writer, receiver));
        Ok(Self {
            writer: sender,
            readers,
        })
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), StoreError> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(classify)
}

async fn run_one(conn: &mut SqliteConnection, request: WriteRequest) -> Option<JobDone> {
    let fut = async {
        match request {
            WriteRequest::Tenant(tenant, job) => {
                let mut tx = SqliteTx::new(conn, tenant);
                Some(job(&mut tx).await)
            }
            WriteRequest::Global(job) => {
                let mut tx = SqliteGlobalTx::new(conn);
                Some(job(&mut tx).await)
            }
            WriteRequest::Shutdown(_) => None,
        }
    };
    // A panicking job loses only itself: its savepoint is rolled back and its caller is told
    // the transaction was abandoned.
    AssertUnwindSafe(fut).catch_unwind().await.ok().flatten()
}

async fn writer_loop(mut conn: SqliteConnection, mut queue: mpsc::Receiver<WriteRequest>) {
    let mut batch = Vec::with_capacity(GROUP_MAX);
    let mut shutdown = None;
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < GROUP_MAX {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if let Some(pos) = batch
            .iter()
            .position(|r| matches!(r, WriteRequest::Shutdown(_)))
        {
            // Jobs queued after the shutdown request are dropped (their callers are told).
            if let WriteRequest::Shutdown(reply) = batch.swap_remove(pos) {
                shutdown = Some(reply);
            }
            batch.truncate(pos);
        }
        if let Err(e) = exec(&mut conn, "BEGIN IMMEDIATE").await {
            tracing::error!(error = %e, "could not begin a write transaction");
            batch.clear(); // callers learn the transaction was abandoned
            continue;
        }
        let mut finished = Vec::with_capacity(batch.len());
        for request in batch.drain(..) {
            if exec(&mut conn, "SAVEPOINT job").await.is_err() {
                continue;
            }
            let done = run_one(&mut conn, request).await;
            let keep = done.as_ref().is_some_and(JobDone::ok);
            if !keep {
                let _ = exec(&mut conn, "ROLLBACK TO job").await;
            }
            let _ = exec(&mut conn, "RELEASE job").await;
            if let Some(done) = done {
                finished.push(done);
            }
        }
        let commit = exec(&mut conn, "COMMIT").await.err();
        if commit.is_some() {
            let _ = exec(&mut conn, "ROLLBACK").await;
        }
        for done in finished {
            done.deliver(commit.clone());
        }
        if shutdown.is_some() {
            break;
        }
    }
    let _ = conn.close().await;
    if let Some(reply) = shutdown {
        let _ = reply.send(());
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn run_tenant(
        &self,
        tenant: TenantId,
        mode: Mode,
        job: TenantJob,
    ) -> Result<(), StoreError> {
        match mode {
            Mode::Write => self
                .writer
                .send(WriteRequest::Tenant(tenant, job))
                .await
                .map_err(|_| StoreError::Unavailable("the writer has stopped".into())),
            Mode::Read => {
                let mut conn = self.readers.acquire().await.map_err(classify)?;
                exec(&mut conn, "BEGIN").await?;
                let done = {
                    let mut tx = SqliteTx::new(&mut conn, tenant);
                    AssertUnwindSafe(job(&mut tx)).catch_unwind().await.ok()
                };
                let _ = exec(&mut conn, "ROLLBACK").await;
                if let Some(done) = done {
                    done.deliver(None);
                }
                Ok(())
            }
        }
    }

    async fn run_global(&self, mode: Mode, job: GlobalJob) -> Result<(), StoreError> {
        match mode {
            Mode::Write => self
                .writer
                .send(WriteRequest::Global(job))
                .await
                .map_err(|_| StoreError::Unavailable("the writer has stopped".into())),
            Mode::Read => {
                let mut conn = self.readers.acquire().await.map_err(classify)?;
                exec(&mut conn, "BEGIN").await?;
                let done = {
                    let mut tx = SqliteGlobalTx::new(&mut conn);
                    AssertUnwindSafe(job(&mut tx)).catch_unwind().await.ok()
                };
                let _ = exec(&mut conn, "ROLLBACK").await;
                if let Some(done) = done {
                    done.deliver(None);
                }
                Ok(())
            }
        }
    }

    async fn tenant_ids(&self) -> Result<Vec<TenantId>, StoreError> {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
            .fetch_all(&self.readers)
            .await
            .map_err(classify)?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.readers)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self
            .writer
            .send(WriteRequest::Shutdown(reply))
            .await
            .is_ok()
        {
            let _ = tokio::time::timeout(Duration::from_secs(10), done).await;
        }
        self.readers.close().await;
    }
}
