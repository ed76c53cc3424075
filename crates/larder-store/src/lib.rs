//! Larder's storage port: what the use cases ask of a database, written once, implemented by
//! `larder-store-sqlite` and `larder-store-postgres`.
//!
//! A use case runs inside one transaction bound to one tenant: it hands [`Store::run_tenant`] a
//! job that receives `&mut dyn TenantTx`. Every tenant-owned method reads the tenant from the
//! transaction, never from an argument, so a store call without a tenant does not compile.
//! [`run_tenant`] and [`run_global`] wrap that in typed results.
//!
//! The port is one trait per bounded context, each in the file of that context's name
//! (`catalog.rs`: [`CatalogTx`] and its rows), summed into [`TenantTx`]. Their SQL is written
//! once, in [`sql`], and run by both backends through [`sql::Exec`]; what differs between the
//! backends is a [`sql::Dialect`]. `docs/adr/005-adding-a-context.md` lists the files a new
//! context touches.

pub mod alerts;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod corrections;
mod error;
pub mod events;
pub mod idempotency;
pub mod inventory;
pub mod kitchen;
pub mod mail;
pub mod menu;
pub mod procurement;
pub mod sales;
pub mod sql;
pub mod tenancy;
pub mod webhooks;

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use larder_core::TenantId;

pub use alerts::*;
pub use analytics::*;
pub use audit::*;
pub use auth::*;
pub use catalog::*;
pub use corrections::*;
pub use error::StoreError;
pub use events::*;
pub use idempotency::*;
pub use inventory::*;
pub use kitchen::*;
pub use mail::*;
pub use menu::*;
pub use procurement::*;
pub use sales::*;
pub use tenancy::*;
pub use webhooks::*;

/// A boxed, sendable future borrowing for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Whether a transaction only reads (SQLite runs it on a reader connection) or writes (SQLite
/// queues it to the one writer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Reads only.
    Read,
    /// Reads and writes.
    Write,
}

/// What a finished job tells its store: whether to keep its writes, and how to hand the caller
/// its result once the transaction's fate (commit or not) is known.
pub struct JobDone {
    ok: bool,
    deliver: Box<dyn FnOnce(Option<StoreError>) + Send>,
}

impl JobDone {
    /// Whether the job succeeded (its writes are to be committed).
    pub fn ok(&self) -> bool {
        self.ok
    }
    /// Hands the result to the caller; `commit_error` is set when the commit failed.
    pub fn deliver(self, commit_error: Option<StoreError>) {
        (self.deliver)(commit_error);
    }

    /// The same job, failed after all with `error` (its events could not be written, say):
    /// its writes are to be rolled back and its caller gets `error`.
    #[must_use]
    pub fn failed(self, error: StoreError) -> Self {
        let inner = self.deliver;
        JobDone {
            ok: false,
            deliver: Box::new(move |_| inner(Some(error))),
        }
    }
}

/// A unit of work inside one tenant's transaction.
pub type TenantJob = Box<dyn for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, JobDone> + Send>;
/// A unit of work that touches only global rows (users) and a person's own memberships.
pub type GlobalJob = Box<dyn for<'t> FnOnce(&'t mut dyn GlobalTx) -> BoxFuture<'t, JobDone> + Send>;

/// A database Larder can run on.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Runs `job` in one transaction scoped to `tenant`, committing when it succeeds.
    ///
    /// # Errors
    /// [`StoreError`] when no transaction could be begun; the job's own result (and a failed
    /// commit) reach the caller through the job's delivery.
    async fn run_tenant(
        &self,
        tenant: TenantId,
        mode: Mode,
        job: TenantJob,
    ) -> Result<(), StoreError>;
    /// Runs `job` in one transaction with no tenant.
    ///
    /// # Errors
    /// As [`Store::run_tenant`].
    async fn run_global(&self, mode: Mode, job: GlobalJob) -> Result<(), StoreError>;
    /// Every tenant's id, for operator commands (`larder check`).
    ///
    /// # Errors
    /// [`StoreError`] on a database failure.
    async fn tenant_ids(&self) -> Result<Vec<TenantId>, StoreError>;
    /// Whether the database answers (readiness).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Closes connections (graceful shutdown).
    async fn close(&self);
    /// Wakes whoever waits for a tenant's new events: this process's commits, and on
    /// PostgreSQL every process's (through `NOTIFY`).
    fn event_signal(&self) -> &EventSignal;
    /// The tenants whose events are not all relayed to the broker yet.
    ///
    /// # Errors
    /// [`StoreError`] on a database failure.
    async fn unrelayed_tenants(&self) -> Result<Vec<TenantId>, StoreError>;
    /// The tenants with an active webhook (the dispatcher's work list).
    ///
    /// # Errors
    /// [`StoreError`] on a database failure.
    async fn webhook_tenants(&self) -> Result<Vec<TenantId>, StoreError>;
    /// The tenants with an alert rule switched on, an alert open or a notification email due
    /// (the alert loop's work list).
    ///
    /// # Errors
    /// [`StoreError`] on a database failure.
    async fn alert_tenants(&self) -> Result<Vec<TenantId>, StoreError>;
    /// The tenants with mail pending (the mail sender's work list, ADR 029).
    ///
    /// # Errors
    /// [`StoreError`] on a database failure.
    async fn mail_tenants(&self) -> Result<Vec<TenantId>, StoreError>;
}

fn done<T, E>(
    result: Result<T, E>,
    sender: futures::channel::oneshot::Sender<Result<T, E>>,
) -> JobDone
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let ok = result.is_ok();
    JobDone {
        ok,
        deliver: Box::new(move |commit_error| {
            let out = match commit_error {
                Some(e) if ok => Err(E::from(e)),
                _ => result,
            };
            // The caller may have gone away (client disconnected); nothing to tell.
            let _ = sender.send(out);
        }),
    }
}

/// Runs `f` in a transaction of `tenant` and returns its typed result. A transaction the store
/// dropped without an answer (a panicking job, a database that would not begin) is
/// [`StoreError::Unavailable`]: the caller may try again.
///
/// # Errors
/// `f`'s error, or a [`StoreError`] (converted) when the transaction could not begin or commit.
pub async fn run_tenant<T, E>(
    store: &dyn Store,
    tenant: TenantId,
    mode: Mode,
    f: impl for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (sender, receiver) = futures::channel::oneshot::channel();
    let job: TenantJob = Box::new(move |tx| Box::pin(async move { done(f(tx).await, sender) }));
    store.run_tenant(tenant, mode, job).await?;
    receiver.await.unwrap_or_else(|_| {
        Err(E::from(StoreError::Unavailable(
            "the transaction was abandoned".into(),
        )))
    })
}

/// Runs `f` in a transaction without a tenant and returns its typed result.
///
/// # Errors
/// As [`run_tenant`].
pub async fn run_global<T, E>(
    store: &dyn Store,
    mode: Mode,
    f: impl for<'t> FnOnce(&'t mut dyn GlobalTx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (sender, receiver) = futures::channel::oneshot::channel();
    let job: GlobalJob = Box::new(move |tx| Box::pin(async move { done(f(tx).await, sender) }));
    store.run_global(mode, job).await?;
    receiver.await.unwrap_or_else(|_| {
        Err(E::from(StoreError::Unavailable(
            "the transaction was abandoned".into(),
        )))
    })
}

/// Everything a use case reads and writes for one tenant: the sum of the contexts' ports, so
/// a use case holds one `&mut dyn TenantTx`. Bring the ports' methods into scope with
/// `use larder_store::prelude::*`.
pub trait TenantTx:
    GlobalTx
    + TenancyTx
    + AuthTx
    + IdempotencyTx
    + CatalogTx
    + InventoryTx
    + MenuTx
    + SalesTx
    + AnalyticsTx
    + ProcurementTx
    + WasteTx
    + ProductionTx
    + CorrectionsTx
    + TransferTx
    + CountTx
    + EventTx
    + AuditTx
    + WebhookTx
    + AlertTx
    + MailTx
    + KitchenTx
{
}

impl<T> TenantTx for T where
    T: GlobalTx
        + TenancyTx
        + AuthTx
        + IdempotencyTx
        + CatalogTx
        + InventoryTx
        + MenuTx
        + SalesTx
        + AnalyticsTx
        + ProcurementTx
        + WasteTx
        + ProductionTx
        + CorrectionsTx
        + TransferTx
        + CountTx
        + EventTx
        + AuditTx
        + WebhookTx
        + AlertTx
        + MailTx
        + KitchenTx
{
}

/// The port traits, for calling their methods on a `dyn TenantTx`.
pub mod prelude {
    pub use crate::AlertTx;
    pub use crate::AuditTx;
    pub use crate::CorrectionsTx;
    pub use crate::CountTx;
    pub use crate::EventTx;
    pub use crate::KitchenTx;
    pub use crate::MailTx;
    pub use crate::WasteTx;
    pub use crate::WebhookTx;
    pub use crate::{
        AnalyticsTx, AuthTx, AvtTx, CatalogTx, GlobalTx, GoodsReceiptTx, IdempotencyTx,
        InventoryTx, InvoiceTx, MenuTx, ProcurementTx, ProductionTx, PurchaseOrderTx, ReorderTx,
        SalesTx, StorageAreaTx, TenancyTx, TenantTx, TransferTx,
    };
}
