#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! The storage contract, written once and run against both backends. Each context's file
//! (`catalog.rs` for `CatalogTx`, ...) invokes [`contract!`] for its own tests, so every test
//! runs as `<context>::sqlite::<name>` and `<context>::postgres::<name>`; `store.rs` covers the
//! `Store` trait itself and `parity.rs` checks, without a database, that the two backends share
//! their SQL and that every port method has a contract test.
//!
//! This file holds the macro and the seeds and helpers the contexts share.

mod harness;

/// Expands each named `async fn name(store: S)` of the invoking module into a test per backend,
/// on a fresh database each.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let store = crate::harness::sqlite().await;
                    assert_eq!(store.backend(), "sqlite");
                    super::$name(store.clone()).await;
                    store.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(store) = crate::harness::postgres().await else { return };
                    assert_eq!(store.backend(), "postgres");
                    super::$name(store.clone()).await;
                    store.close().await;
                }
            )*
        }
    };
}

mod alerts;
mod analytics;
mod audit;
mod auth;
mod avt;
mod catalog;
mod corrections;
mod events;
mod idempotency;
mod inventory;
mod kitchen;
mod mail;
mod menu;
mod parity;
mod procurement;
mod production;
mod sales;
mod store;
mod tenancy;
mod transfers;
mod units;
mod waste;
mod webhooks;

use std::sync::Arc;

pub(crate) use chrono::{DateTime, NaiveDate, TimeZone, Utc};
pub(crate) use larder_core::auth::Role;
pub(crate) use larder_core::inventory::MovementKind;
pub(crate) use larder_core::inventory::costing::ValuationMethod;
pub(crate) use larder_core::menu::Component;
pub(crate) use larder_core::tenancy::{LocationKind, UnitSystem, WeekStart};
pub(crate) use larder_core::{
    BaseUnit, ItemId, LocationId, MenuItemId, Money, MovementId, Quantity, RecipeId,
    RefreshTokenId, SaleId, TenantId, TokenFamilyId, Unit, UserId,
};
pub(crate) use larder_store::prelude::*;
pub(crate) use larder_store::{
    BoxFuture, Costing, DailyUsageRow, GlobalJob, IdempotencyRow, ItemFilter, ItemRow, ItemUnitRow,
    LedgerMismatch, LocationRow, LocationScope, LotFilter, LotSpec, MembershipRow, MenuItemRow,
    Mode, MovementFilter, MovementRow, MovementTarget, PackSize, ParLevelRow, RecipeLineRow,
    RecipeRow, RefreshTokenRow, SaleAliasRow, SaleFilter, SaleLineRow, SaleRow, StockFilter,
    StockLevelRow, Store, StoreError, TenantJob, TenantRow, TopMenuItemRow, UnmappedRow,
    UsedFilter, UserRow, ValueFilter, run_global, run_tenant,
};

/// The store under test.
pub(crate) type S = Arc<dyn Store>;

/// 2026-03-`day` `hour`:00:00 UTC.
pub(crate) fn at(day: u32, hour: u32) -> DateTime<Utc> {
    at_hms(day, hour, 0, 0)
}

/// 2026-03-`day` `h`:`m`:`s` UTC.
pub(crate) fn at_hms(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, h, m, s)
        .single()
        .unwrap_or_else(|| panic!("bad test time {day} {h}:{m}:{s}"))
}

/// `t` plus `micros` microseconds (both backends keep microseconds).
pub(crate) fn plus_micros(t: DateTime<Utc>, micros: i64) -> DateTime<Utc> {
    t + chrono::Duration::microseconds(micros)
}

/// A quantity from its decimal text.
pub(crate) fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("bad quantity {s}: {e:?}"))
}

/// Money from its decimal text.
pub(crate) fn money(s: &str) -> Money {
    Money::parse(s).unwrap_or_else(|e| panic!("bad money {s}: {e:?}"))
}

/// The conflict error on `constraint`.
pub(crate) fn conflict(constraint: &str) -> StoreError {
    StoreError::Conflict {
        constraint: constraint.into(),
    }
}

/// What [`seed`] created.
#[derive(Clone, Debug)]
pub(crate) struct Seed {
    pub tenant: TenantId,
    pub location: LocationId,
    pub item: ItemId,
    pub tenant_row: TenantRow,
    pub location_row: LocationRow,
    pub item_row: ItemRow,
}

pub(crate) fn tenant_row(tenant: TenantId, name: &str) -> TenantRow {
    TenantRow {
        id: tenant,
        name: format!("Tenant {name}"),
        slug: format!("{name}-{}", tenant.as_uuid().simple()),
        currency: "GBP".into(),
        time_zone: "Europe/London".into(),
        day_cutoff_minutes: 240,
        week_start: WeekStart::Monday,
        units: UnitSystem::Metric,
        approval_threshold: None,
        valuation_method: Default::default(),
        settings_version: 1,
        created_at: at(1, 8),
    }
}

pub(crate) fn location_row(name: &str, kind: LocationKind) -> LocationRow {
    LocationRow {
        id: LocationId::new(),
        name: name.into(),
        kind,
        version: 1,
        created_at: at(1, 8),
    }
}

pub(crate) fn item_row(name: &str, sku: Option<&str>) -> ItemRow {
    ItemRow {
        id: ItemId::new(),
        name: name.into(),
        sku: sku.map(Into::into),
        category: Some("dry goods".into()),
        base_unit: BaseUnit::G,
        pack_sizes: vec![PackSize {
            name: "sack".into(),
            quantity: q("10000"),
        }],
        barcode: None,
        unit_cost: Some(Money::from_raw(1_200)),
        version: 1,
        created_at: at(1, 9),
        updated_at: at(1, 9),
        retired_at: None,
    }
}

/// A person with an email no other test uses.
pub(crate) fn user_row(name: &str) -> UserRow {
    UserRow {
        id: UserId::new(),
        email: format!("{}@example.com", UserId::new()),
        name: name.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: at(1, 1),
    }
}

/// A movement of the seed's item at the seed's location.
pub(crate) fn movement(seed: &Seed, kind: MovementKind, qty: &str) -> MovementRow {
    mv(seed.item, seed.location, kind, qty, at(2, 10))
}

/// A movement of `item` at `location`, occurred at `occurred_at`, recorded an hour later.
pub(crate) fn mv(
    item: ItemId,
    location: LocationId,
    kind: MovementKind,
    qty: &str,
    occurred_at: DateTime<Utc>,
) -> MovementRow {
    MovementRow {
        id: MovementId::new(),
        item_id: item,
        location_id: location,
        kind,
        quantity: q(qty),
        unit_cost: None,
        reason: None,
        sale_id: None,
        created_by: None,
        reverses: None,
        occurred_at,
        recorded_at: occurred_at + chrono::Duration::hours(1),
        lot: None,
        costing: Costing::default(),
    }
}

pub(crate) fn sale_line(line_no: i32, name: &str, qty: &str, price: &str) -> SaleLineRow {
    SaleLineRow {
        line_no,
        menu_item_id: None,
        item_name: name.into(),
        quantity: q(qty),
        unit_price: money(price),
    }
}

pub(crate) fn sale(
    location: LocationId,
    external_ref: Option<&str>,
    occurred_at: DateTime<Utc>,
    lines: Vec<SaleLineRow>,
) -> SaleRow {
    SaleRow {
        id: SaleId::new(),
        location_id: location,
        source: "csv".into(),
        external_ref: external_ref.map(Into::into),
        occurred_at,
        recorded_at: occurred_at + chrono::Duration::hours(1),
        lines,
    }
}

/// A tenant with one outlet ("Brixton") and one item ("Basmati rice", SKU RICE-1).
pub(crate) async fn seed(store: &S, name: &str) -> Seed {
    let tenant = TenantId::new();
    let t = tenant_row(tenant, name);
    let location = location_row("Brixton", LocationKind::Outlet);
    let item = item_row("Basmati rice", Some("RICE-1"));
    let out = Seed {
        tenant,
        location: location.id,
        item: item.id,
        tenant_row: t.clone(),
        location_row: location.clone(),
        item_row: item.clone(),
    };
    write(store, tenant, move |tx| {
        Box::pin(async move {
            tx.insert_tenant(&t).await?;
            tx.insert_location(&location).await?;
            tx.insert_item(&item).await
        })
    })
    .await;
    out
}

/// Runs `f` in a write transaction of `tenant`; panics when it fails.
pub(crate) async fn write<T, F>(store: &S, tenant: TenantId, f: F) -> T
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<T, StoreError>>
        + Send
        + 'static,
{
    run_tenant(store.as_ref(), tenant, Mode::Write, f)
        .await
        .unwrap_or_else(|e| panic!("write transaction failed: {e:?}"))
}

/// Runs `f` in a read transaction of `tenant`; panics when it fails.
pub(crate) async fn read<T, F>(store: &S, tenant: TenantId, f: F) -> T
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<T, StoreError>>
        + Send
        + 'static,
{
    run_tenant(store.as_ref(), tenant, Mode::Read, f)
        .await
        .unwrap_or_else(|e| panic!("read transaction failed: {e:?}"))
}

/// Runs `f` in a write transaction of `tenant` and returns its result (for expected errors:
/// on PostgreSQL a failed statement ends its transaction, so each gets its own).
pub(crate) async fn attempt<T, F>(store: &S, tenant: TenantId, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<T, StoreError>>
        + Send
        + 'static,
{
    run_tenant(store.as_ref(), tenant, Mode::Write, f).await
}

/// Appends `movements` in one posting.
pub(crate) async fn post(store: &S, tenant: TenantId, movements: Vec<MovementRow>) {
    write(store, tenant, move |tx| {
        Box::pin(async move { tx.append_movements(&movements).await.map(drop) })
    })
    .await;
}

/// All movements of the tenant (newest first), at most 1000.
pub(crate) async fn all_movements(store: &S, tenant: TenantId) -> Vec<MovementRow> {
    read(store, tenant, |tx| {
        Box::pin(async move {
            tx.list_movements(&MovementFilter {
                limit: 1000,
                ..Default::default()
            })
            .await
        })
    })
    .await
}

/// Days since 1970-01-01 of 2026-`month`-`day`.
pub(crate) fn day(month: u32, day: u32) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    NaiveDate::from_ymd_opt(2026, month, day)
        .unwrap()
        .signed_duration_since(epoch)
        .num_days()
}
