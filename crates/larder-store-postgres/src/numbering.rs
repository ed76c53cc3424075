//! Numbering after commit (ADR 025): a tenant's writing transactions insert their events and
//! audit records without numbers and commit without waiting for each other; this process's
//! numberer then numbers what they committed ([`SqlTx::number_committed`]), one round at a
//! time per tenant across every process (the event head's row lock), and announces the new
//! head. A writer waits for a round that began after its commit, so when a write returns its
//! events and audit record are numbered, as they were when the writer numbered them itself;
//! the writers of one moment share one round, one commit.
//!
//! A process killed between a commit and its round leaves rows unnumbered: every process
//! looks for them when it starts and every [`SWEEP`] after (`larder_unnumbered_tenants()`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use larder_core::TenantId;
use larder_store::sql::{Numbered, SqlTx};
use larder_store::{EventSignal, Mode, StoreError};
use sqlx::PgPool;
use tokio::sync::{Notify, oneshot};

use crate::exec::{PgExec, classify};

/// How often a process looks for rows that no round numbered (a process killed between its
/// commit and the round).
pub const SWEEP: Duration = Duration::from_secs(2);

/// Rows of each kind a round numbers at most.
const ROUND_LIMIT: u32 = 1000;

/// Tenants numbered at the same time (each round holds a pooled connection).
const PARALLEL_TENANTS: usize = 4;

/// The tenants waiting for a round, each with the writers waiting for it.
#[derive(Default)]
pub(crate) struct Numberer {
    pending: Mutex<HashMap<TenantId, Vec<oneshot::Sender<()>>>>,
    wake: Notify,
}

impl Numberer {
    /// Asks for a round of `tenant`; the receiver is told (or dropped, when the round failed)
    /// once a round that began after this call has finished.
    pub(crate) fn request(&self, tenant: TenantId) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(tenant)
            .or_default()
            .push(tx);
        self.wake.notify_one();
        rx
    }

    fn request_unwaited(&self, tenants: impl IntoIterator<Item = TenantId>) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for t in tenants {
            pending.entry(t).or_default();
        }
        drop(pending);
        self.wake.notify_one();
    }

    /// Puts a tenant back with its waiters, for a round that found more than its limit.
    fn requeue(&self, tenant: TenantId, waiters: Vec<oneshot::Sender<()>>) {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(tenant)
            .or_default()
            .extend(waiters);
        self.wake.notify_one();
    }

    /// Lets every waiting writer go (the store is closing: its rows are numbered by the next
    /// process's sweep).
    pub(crate) fn release_all(&self) {
        drop(self.take());
    }

    fn take(&self) -> HashMap<TenantId, Vec<oneshot::Sender<()>>> {
        std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// The numberer's loop, for as long as the store is open.
pub(crate) async fn run(pool: PgPool, signal: EventSignal, numberer: Arc<Numberer>) {
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = numberer.wake.notified() => {}
            _ = sweep.tick() => match unnumbered_tenants(&pool).await {
                Ok(ts) if !ts.is_empty() => numberer.request_unwaited(ts),
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list the tenants with unnumbered events");
                    continue;
                }
            },
        }
        // One round per tenant and batch, so a tenant with a backlog (after a crash) holds up
        // no other tenant's writers: it is put back, with its waiters, for the next batch.
        futures::stream::iter(numberer.take())
            .for_each_concurrent(PARALLEL_TENANTS, |(tenant, waiters)| {
                let (pool, signal, numberer) = (&pool, &signal, &numberer);
                async move {
                    match round(pool, tenant).await {
                        Ok(n) => {
                            if let Some(w) = n.wake {
                                signal.wake(w);
                            }
                            if n.more {
                                numberer.requeue(tenant, waiters);
                            } else {
                                for w in waiters {
                                    let _ = w.send(());
                                }
                            }
                        }
                        // The waiters are dropped: their writes are committed and return; the
                        // rows stay for the next request or sweep.
                        Err(e) => {
                            tracing::warn!(%tenant, error = %e, "numbering the tenant's events failed");
                        }
                    }
                }
            })
            .await;
    }
}

/// One round in its own transaction, committed when it numbered something.
async fn round(pool: &PgPool, tenant: TenantId) -> Result<Numbered, StoreError> {
    let mut tx = pool
        .begin_with(crate::begin_tenant(tenant, Mode::Write))
        .await
        .map_err(classify)?;
    let numbered = SqlTx::new(PgExec::new(&mut tx), tenant)
        .number_committed(ROUND_LIMIT)
        .await;
    match numbered {
        Ok(n) if n.events > 0 || n.audit > 0 => {
            tx.commit().await.map_err(classify)?;
            Ok(n)
        }
        other => {
            let _ = tx.rollback().await;
            other
        }
    }
}

async fn unnumbered_tenants(pool: &PgPool) -> Result<Vec<TenantId>, StoreError> {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT larder_unnumbered_tenants()")
        .fetch_all(pool)
        .await
        .map_err(classify)?;
    Ok(ids.into_iter().map(TenantId::from_uuid).collect())
}
