//! Larder's storage on SQLite.
//!
//! One file in WAL mode, driven synchronously through rusqlite. Writes go through one writer
//! connection owned by one OS thread: requests arrive on a queue and the thread commits them
//! in small groups (group commit), each job inside its own savepoint so one job's failure
//! rolls back only that job; the fsync of `synchronous=FULL` is paid once per group. Reads run
//! on a few reader threads, each owning a read-only connection and running each job in its own
//! transaction (a consistent snapshot). Several writer connections would fight over SQLite's
//! single write lock ("database is locked" under load); and a driver that hands every
//! statement to a worker thread pays two thread wake-ups per statement, which is what bounded
//! the single writer before (`docs/benchmarks.md`). Here a job's statements run on the thread
//! that owns the connection, with no hand-off between them.

mod dialect;
mod exec;
mod migrate;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use larder_core::TenantId;
use larder_store::sql::{SqlGlobalTx, SqlTx};
use larder_store::{
    EventSignal, EventWake, GlobalJob, JobDone, Mode, Store, StoreError, TenantJob,
};
use rusqlite::{Connection, OpenFlags};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

pub use dialect::DIALECT;
pub use exec::classify;
use exec::{STATEMENT_CACHE, SqliteExec};
pub use migrate::migrate;

/// How many queued write jobs one commit may carry.
const GROUP_MAX: usize = 128;

/// Reader threads (each with its own connection): long reports do not hold up short reads.
const READERS: usize = 4;

/// The writer's page cache, KiB (SQLite's `cache_size` takes negative KiB). Imports write in
/// ledger order, so their working set is the right edge of each index and the pages of the
/// parent rows their foreign keys check: 8 MiB holds it.
const WRITER_CACHE_KIB: i64 = 8 * 1024;

/// Each reader's page cache, KiB: reads are short or scan (the file's pages stay in the
/// operating system's cache either way), so the four readers keep SQLite's default 2 MiB and an
/// idle server does not hold large caches resident.
const READER_CACHE_KIB: i64 = 2 * 1024;

enum WriteRequest {
    Tenant(TenantId, TenantJob),
    Global(GlobalJob),
    /// Commit what came before, close the connection, and say so.
    Shutdown(oneshot::Sender<()>),
}

type ReadWork = Box<dyn FnOnce(&mut Connection) + Send>;

enum ReadRequest {
    Work(ReadWork),
    Stop,
}

/// A SQLite database: the writer thread's queue and the reader threads' queue.
pub struct SqliteStore {
    writer: mpsc::Sender<WriteRequest>,
    readers: std::sync::mpsc::Sender<ReadRequest>,
    rt: Handle,
    path: PathBuf,
    /// Set by [`Store::close`]: later jobs are refused as unavailable rather than queued to
    /// threads that are stopping.
    closed: AtomicBool,
    /// Woken after each commit that wrote events.
    signal: EventSignal,
}

/// The file path of a `sqlite://path`, `sqlite:path` or plain path URL (any `?query` dropped).
pub fn path_of(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

fn configure(conn: &Connection, cache_kib: i64) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(classify)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(classify)?;
    conn.pragma_update(None, "cache_size", -cache_kib)
        .map_err(classify)?;
    conn.pragma_update(None, "temp_store", "memory")
        .map_err(classify)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // The query planner stability guarantee: plans never depend on bound values. Without it a
    // statement whose plan looked at a parameter (any `LIMIT $n`) is recompiled every time that
    // parameter is bound, which cost the stock list 10 % of its reader's time, parsing.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(classify)?;
    Ok(())
}

/// Opens the writer connection: creates the file when missing, WAL, `synchronous=FULL` (a
/// commit survives power loss; group commit pays the fsync once per group).
///
/// # Errors
/// [`StoreError`] when the file cannot be opened or configured.
pub fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(classify)?;
    conn.pragma_update(None, "journal_mode", "wal")
        .map_err(classify)?;
    conn.pragma_update(None, "synchronous", "full")
        .map_err(classify)?;
    configure(&conn, WRITER_CACHE_KIB)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(classify)?;
    configure(&conn, READER_CACHE_KIB)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `url` (`sqlite://path/to/larder.db`),
    /// runs pending migrations, and starts the writer and reader threads.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be opened or a migration fails.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let path = path_of(url);
        let p = path.clone();
        let writer = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            let mut conn = open_writer(&p)?;
            migrate(&mut conn)?;
            Ok(conn)
        })
        .await
        .map_err(|e| StoreError::Other(format!("opening SQLite failed: {e}")))??;
        let handle = Handle::current();
        let (sender, receiver) = mpsc::channel(4096);
        let h = handle.clone();
        let signal = EventSignal::default();
        let s = signal.clone();
        std::thread::Builder::new()
            .name("larder-sqlite-writer".into())
            .spawn(move || writer_loop(writer, receiver, h, s))
            .map_err(|e| StoreError::Other(format!("cannot start the writer: {e}")))?;
        let (readers, queue) = std::sync::mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..READERS {
            let conn = open_reader(&path)?;
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("larder-sqlite-reader-{n}"))
                .spawn(move || reader_loop(conn, &queue))
                .map_err(|e| StoreError::Other(format!("cannot start a reader: {e}")))?;
        }
        Ok(Self {
            writer: sender,
            readers,
            rt: handle,
            path,
            closed: AtomicBool::new(false),
            signal,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn stopped(&self) -> Result<(), StoreError> {
        if self.closed.load(Ordering::Acquire) {
            Err(StoreError::Unavailable("the database is closed".into()))
        } else {
            Ok(())
        }
    }

    fn read(&self, work: ReadWork) -> Result<(), StoreError> {
        self.stopped()?;
        self.readers
            .send(ReadRequest::Work(work))
            .map_err(|_| StoreError::Unavailable("the readers have stopped".into()))
    }
}

fn exec(conn: &Connection, sql: &'static str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.raw_execute())
        .map(drop)
        .map_err(classify)
}

/// Runs a job to completion on this (non-async) thread. Jobs only await their store calls,
/// which never wait here; the runtime's handle still lets anything else they await make
/// progress. A panicking job yields `None`: its caller learns the transaction was abandoned.
fn drive<F: std::future::Future<Output = JobDone>>(rt: &Handle, job: F) -> Option<JobDone> {
    std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(job))).ok()
}

/// Begins the group's write transaction; false (logged) when it cannot.
fn begin(conn: &Connection) -> bool {
    match exec(conn, "BEGIN IMMEDIATE") {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "could not begin a write transaction");
            false
        }
    }
}

/// Runs one queued job; a tenant job that succeeded then writes the events it recorded
/// (failing the job if they cannot be written), and says which tenant to wake once the group
/// commits.
fn run_write(
    conn: &mut Connection,
    request: WriteRequest,
    rt: &Handle,
) -> (Option<JobDone>, Option<EventWake>) {
    match request {
        WriteRequest::Tenant(tenant, job) => {
            let mut tx = SqlTx::new(SqliteExec::new(conn), tenant);
            match drive(rt, job(&mut tx)) {
                Some(done) if done.ok() => match rt.block_on(tx.flush_events()) {
                    Ok(flushed) => (Some(done), flushed.wake),
                    Err(e) => (Some(done.failed(e)), None),
                },
                other => (other, None),
            }
        }
        WriteRequest::Global(job) => {
            let mut tx = SqlGlobalTx::new(SqliteExec::new(conn));
            (drive(rt, job(&mut tx)), None)
        }
        WriteRequest::Shutdown(_) => (None, None),
    }
}

fn writer_loop(
    mut conn: Connection,
    mut queue: mpsc::Receiver<WriteRequest>,
    rt: Handle,
    signal: EventSignal,
) {
    let mut batch = Vec::with_capacity(GROUP_MAX);
    let mut finished = Vec::with_capacity(GROUP_MAX);
    let mut wakes: Vec<EventWake> = Vec::new();
    let mut shutdown = None;
    while let Some(first) = queue.blocking_recv() {
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
        let mut open = begin(&conn);
        for request in batch.drain(..) {
            if !open || exec(&conn, "SAVEPOINT job").is_err() {
                continue; // dropped: its caller learns the transaction was abandoned
            }
            let (done, wake) = run_write(&mut conn, request, &rt);
            let ok = done.as_ref().is_some_and(JobDone::ok);
            let kept = if ok {
                exec(&conn, "RELEASE job").is_ok()
            } else {
                exec(&conn, "ROLLBACK TO job").is_ok() && exec(&conn, "RELEASE job").is_ok()
            };
            if kept && !conn.is_autocommit() {
                finished.extend(done);
                wakes.extend(wake.filter(|_| ok));
                continue;
            }
            // SQLite rolled the whole transaction back by itself (a full disk, an I/O error,
            // no memory): the group's earlier jobs are lost with it. Say so to each of them and
            // to this one, and go on in a new transaction.
            tracing::error!("the database rolled back a write transaction; its jobs are refused");
            if !conn.is_autocommit() {
                let _ = exec(&conn, "ROLLBACK");
            }
            let lost = StoreError::Unavailable("the database rolled the transaction back".into());
            for done in finished.drain(..).chain(done) {
                done.deliver(Some(lost.clone()));
            }
            wakes.clear();
            open = begin(&conn);
        }
        if open && !conn.is_autocommit() {
            let commit = exec(&conn, "COMMIT").err();
            if commit.is_some() {
                let _ = exec(&conn, "ROLLBACK");
            }
            if commit.is_none() {
                for w in wakes.drain(..) {
                    signal.wake(w);
                }
            }
            wakes.clear();
            for done in finished.drain(..) {
                done.deliver(commit.clone());
            }
        }
        if shutdown.is_some() {
            break;
        }
    }
    drop(conn);
    if let Some(reply) = shutdown {
        let _ = reply.send(());
    }
}

fn reader_loop(mut conn: Connection, queue: &Mutex<std::sync::mpsc::Receiver<ReadRequest>>) {
    loop {
        let next = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        match next {
            Ok(ReadRequest::Work(work)) => {
                work(&mut conn);
                // A job that failed mid-way may leave its transaction open.
                if !conn.is_autocommit() {
                    let _ = exec(&conn, "ROLLBACK");
                }
            }
            Ok(ReadRequest::Stop) | Err(_) => return,
        }
    }
}

/// The relay's work list: tenants with events past their relay cursor.
const UNRELAYED_TENANTS: &str = "SELECT h.tenant_id FROM event_heads h LEFT JOIN outbox_relay r ON r.tenant_id = h.tenant_id WHERE h.event_seq > COALESCE(r.relayed_seq, 0) ORDER BY h.tenant_id";

impl SqliteStore {
    /// The tenant ids `sql` selects, on a reader.
    async fn select_tenants(&self, sql: &'static str) -> Result<Vec<TenantId>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.read(Box::new(move |conn| {
            let ids = conn
                .prepare_cached(sql)
                .and_then(|mut s| {
                    s.query_map([], |r| r.get::<_, Vec<u8>>(0))?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(classify)
                .and_then(|blobs| {
                    blobs
                        .iter()
                        .map(|b| {
                            uuid::Uuid::from_slice(b)
                                .map(TenantId::from_uuid)
                                .map_err(|e| StoreError::Other(e.to_string()))
                        })
                        .collect()
                });
            let _ = reply.send(ids);
        }))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the readers have stopped".into()))?
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
        self.stopped()?;
        match mode {
            Mode::Write => self
                .writer
                .send(WriteRequest::Tenant(tenant, job))
                .await
                .map_err(|_| StoreError::Unavailable("the writer has stopped".into())),
            Mode::Read => {
                let rt = self.rt.clone();
                self.read(Box::new(move |conn| {
                    if exec(conn, "BEGIN").is_err() {
                        return; // the caller is told the transaction was abandoned
                    }
                    let done = {
                        let mut tx = SqlTx::new(SqliteExec::new(conn), tenant);
                        drive(&rt, job(&mut tx))
                    };
                    let _ = exec(conn, "ROLLBACK");
                    if let Some(done) = done {
                        done.deliver(None);
                    }
                }))
            }
        }
    }

    async fn run_global(&self, mode: Mode, job: GlobalJob) -> Result<(), StoreError> {
        self.stopped()?;
        match mode {
            Mode::Write => self
                .writer
                .send(WriteRequest::Global(job))
                .await
                .map_err(|_| StoreError::Unavailable("the writer has stopped".into())),
            Mode::Read => {
                let rt = self.rt.clone();
                self.read(Box::new(move |conn| {
                    if exec(conn, "BEGIN").is_err() {
                        return;
                    }
                    let done = {
                        let mut tx = SqlGlobalTx::new(SqliteExec::new(conn));
                        drive(&rt, job(&mut tx))
                    };
                    let _ = exec(conn, "ROLLBACK");
                    if let Some(done) = done {
                        done.deliver(None);
                    }
                }))
            }
        }
    }

    async fn tenant_ids(&self) -> Result<Vec<TenantId>, StoreError> {
        self.select_tenants("SELECT id FROM tenants ORDER BY id")
            .await
    }

    fn event_signal(&self) -> &EventSignal {
        &self.signal
    }

    async fn unrelayed_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        self.select_tenants(UNRELAYED_TENANTS).await
    }

    async fn webhook_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        self.select_tenants(
            "SELECT DISTINCT tenant_id FROM webhooks WHERE active = 1 ORDER BY tenant_id",
        )
        .await
    }

    async fn alert_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        self.select_tenants(
            "SELECT tenant_id FROM alert_rules WHERE enabled = 1
             UNION
             SELECT tenant_id FROM alerts WHERE resolved_at IS NULL
             UNION
             SELECT tenant_id FROM notifications
              WHERE emailed_at IS NULL AND email_due_at IS NOT NULL
             ORDER BY 1",
        )
        .await
    }

    async fn mail_tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        self.select_tenants(
            "SELECT DISTINCT tenant_id FROM mail WHERE status = 'pending' ORDER BY tenant_id",
        )
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.read(Box::new(move |conn| {
            let _ = reply.send(
                conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                    .map(drop)
                    .map_err(classify),
            );
        }))
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the readers have stopped".into()))?
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let (reply, done) = oneshot::channel();
        if self
            .writer
            .send(WriteRequest::Shutdown(reply))
            .await
            .is_ok()
        {
            let _ = tokio::time::timeout(Duration::from_secs(10), done).await;
        }
        for _ in 0..READERS {
            let _ = self.readers.send(ReadRequest::Stop);
        }
    }
}
