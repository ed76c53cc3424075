//! Larder's storage port: what the use cases ask of a database, written once, implemented by
//! `larder-store-sqlite` and `larder-store-postgres`.
//!
//! A use case runs inside one transaction bound to one tenant: it hands [`Store::run_tenant`] a
//! job that receives `&mut dyn TenantTx`. Every tenant-owned method on [`TenantTx`] reads the
//! tenant from the transaction, never from an argument, so a store call without a tenant does
//! not compile. [`run_tenant`] and [`run_global`] wrap that in typed results.

mod error;
mod rows;

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{
    ItemId, LocationId, MenuItemId, MovementId, Quantity, RecipeId, SaleId, TenantId,
    TokenFamilyId, UserId,
};

pub use error::StoreError;
pub use rows::*;

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

/// Runs `f` in a transaction of `tenant` and returns its typed result.
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
        Err(E::from(StoreError::Other(
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
        Err(E::from(StoreError::Other(
            "the transaction was abandoned".into(),
        )))
    })
}

/// Rows that belong to no tenant: people, and a person's own memberships.
#[async_trait]
pub trait GlobalTx: Send {
    /// Adds a person. [`StoreError::Conflict`] `users_email` when the email is taken.
    async fn insert_user(&mut self, user: &UserRow) -> Result<(), StoreError>;
    /// A person by (case-folded) email.
    async fn find_user_by_email(&mut self, email: &str) -> Result<Option<UserRow>, StoreError>;
    /// A person by id.
    async fn get_user(&mut self, id: UserId) -> Result<Option<UserRow>, StoreError>;
    /// Every tenant a person belongs to, with the role there, oldest membership first.
    async fn memberships_of_user(&mut self, user: UserId)
    -> Result<Vec<MembershipRow>, StoreError>;
}

/// Everything a use case reads and writes for one tenant. The tenant is the transaction's.
#[async_trait]
pub trait TenantTx: GlobalTx {
    /// The tenant this transaction is bound to.
    fn tenant_id(&self) -> TenantId;

    // --- tenancy ---
    /// Creates this transaction's tenant. Conflict `tenants_slug` when the slug is taken.
    async fn insert_tenant(&mut self, tenant: &TenantRow) -> Result<(), StoreError>;
    /// This transaction's tenant.
    async fn get_tenant(&mut self) -> Result<Option<TenantRow>, StoreError>;
    /// Adds a person to this tenant.
    async fn insert_membership(
        &mut self,
        user: UserId,
        role: larder_core::auth::Role,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A person's membership in this tenant.
    async fn get_membership(&mut self, user: UserId) -> Result<Option<MembershipRow>, StoreError>;
    /// Adds a location.
    async fn insert_location(&mut self, location: &LocationRow) -> Result<(), StoreError>;
    /// Changes a location's name and kind. NotFound when absent.
    async fn update_location(&mut self, location: &LocationRow) -> Result<(), StoreError>;
    /// One location.
    async fn get_location(&mut self, id: LocationId) -> Result<Option<LocationRow>, StoreError>;
    /// Locations by name, `limit` at most, after the cursor `(name, id)`.
    async fn list_locations(
        &mut self,
        after: Option<(String, LocationId)>,
        limit: u32,
    ) -> Result<Vec<LocationRow>, StoreError>;

    // --- auth ---
    /// Stores a refresh token (hashed).
    async fn insert_refresh_token(&mut self, token: &RefreshTokenRow) -> Result<(), StoreError>;
    /// A refresh token by the SHA-256 of its secret.
    async fn find_refresh_token(
        &mut self,
        hash: &[u8],
    ) -> Result<Option<RefreshTokenRow>, StoreError>;
    /// Marks a token used (rotated). Returns false when it was already used: a reuse.
    async fn mark_refresh_token_used(
        &mut self,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Revokes every token of a family.
    async fn revoke_token_family(
        &mut self,
        family: TokenFamilyId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    // --- idempotency ---
    /// The stored answer to an earlier request with this key.
    async fn get_idempotency(&mut self, key: &str) -> Result<Option<IdempotencyRow>, StoreError>;
    /// Stores the answer to a request. Conflict `idempotency_keys_pkey` when the key exists.
    async fn insert_idempotency(&mut self, row: &IdempotencyRow) -> Result<(), StoreError>;

    // --- catalog ---
    /// Adds an item. Conflict `items_sku` on a duplicate SKU.
    async fn insert_item(&mut self, item: &ItemRow) -> Result<(), StoreError>;
    /// Replaces an item's fields when its version is `expected_version`; the row's version is
    /// bumped. NotFound when absent; Conflict `items_version` when the version moved on.
    async fn update_item(
        &mut self,
        item: &ItemRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// One item.
    async fn get_item(&mut self, id: ItemId) -> Result<Option<ItemRow>, StoreError>;
    /// Items by name, filtered, `limit` at most.
    async fn list_items(&mut self, filter: &ItemFilter) -> Result<Vec<ItemRow>, StoreError>;
    /// Sets an item's par level and reorder point at a location.
    async fn upsert_par_level(&mut self, par: &ParLevelRow) -> Result<(), StoreError>;

    // --- inventory ---
    /// Appends movements and applies each to its stock level by an atomic increment, in order.
    async fn append_movements(&mut self, movements: &[MovementRow]) -> Result<(), StoreError>;
    /// Stock levels with their item and par settings, by (item name, item id, location id).
    async fn list_stock(&mut self, filter: &StockFilter) -> Result<Vec<StockLevelRow>, StoreError>;
    /// One stock level (zero when never moved).
    async fn get_stock_level(
        &mut self,
        item: ItemId,
        location: LocationId,
    ) -> Result<Quantity, StoreError>;
    /// Movements, newest first, filtered.
    async fn list_movements(
        &mut self,
        filter: &MovementFilter,
    ) -> Result<Vec<MovementRow>, StoreError>;
    /// One movement.
    async fn get_movement(&mut self, id: MovementId) -> Result<Option<MovementRow>, StoreError>;
    /// Every item x location whose on hand differs from the sum of its movements.
    async fn ledger_mismatches(&mut self) -> Result<Vec<LedgerMismatch>, StoreError>;

    // --- menu ---
    /// Adds a recipe with its lines. Conflict `recipes_name` on a duplicate name.
    async fn insert_recipe(&mut self, recipe: &RecipeRow) -> Result<(), StoreError>;
    /// One recipe with its lines.
    async fn get_recipe(&mut self, id: RecipeId) -> Result<Option<RecipeRow>, StoreError>;
    /// Every recipe with its lines (for explosion and costing).
    async fn all_recipes(&mut self) -> Result<Vec<RecipeRow>, StoreError>;
    /// Adds a menu item. Conflict `menu_items_name` on a duplicate name.
    async fn insert_menu_item(&mut self, item: &MenuItemRow) -> Result<(), StoreError>;
    /// One menu item.
    async fn get_menu_item(&mut self, id: MenuItemId) -> Result<Option<MenuItemRow>, StoreError>;
    /// Every menu item.
    async fn all_menu_items(&mut self) -> Result<Vec<MenuItemRow>, StoreError>;
    /// Every item's id, base unit and unit cost (for explosion and costing).
    async fn all_item_units(&mut self) -> Result<Vec<ItemUnitRow>, StoreError>;

    // --- sales ---
    /// Adds sales with their lines. Conflict `sales_external_ref` when a (source, external
    /// ref) pair exists.
    async fn insert_sales(&mut self, sales: &[SaleRow]) -> Result<(), StoreError>;
    /// Which of these external refs of `source` are already stored.
    async fn existing_sale_refs(
        &mut self,
        source: &str,
        refs: &[String],
    ) -> Result<Vec<String>, StoreError>;
    /// One sale with its lines.
    async fn get_sale(&mut self, id: SaleId) -> Result<Option<SaleRow>, StoreError>;
    /// Sales, newest first.
    async fn list_sales(&mut self, filter: &SaleFilter) -> Result<Vec<SaleRow>, StoreError>;
    /// Sale lines that map to no menu item, grouped by the name sold.
    async fn unmapped_sales(&mut self) -> Result<Vec<UnmappedRow>, StoreError>;

    // --- analytics ---
    /// Quantity removed by sale movements per item per day in `[from, to)`, where the day of an
    /// instant `t` is `floor((t + offset_seconds) / 86 400 s)` days since 1970-01-01: the caller
    /// picks the offset (UTC offset minus the day cutoff) for a span where it is constant.
    async fn usage_by_day(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_seconds: i64,
    ) -> Result<Vec<DailyUsageRow>, StoreError>;
    /// Menu items by quantity sold in `[from, to)`, `limit` at most.
    async fn top_menu_items(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TopMenuItemRow>, StoreError>;
    /// First and last sale time, if any sale exists.
    async fn sales_span(&mut self) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, StoreError>;
}
