//! tenancy: the tenant (restaurant group) and its locations (central kitchen, outlets).

pub mod storage_areas;

use chrono::Utc;
use chrono_tz::Tz;
use larder_core::auth::Permission;
use larder_core::inventory::costing::ValuationMethod;
use larder_core::tenancy::{CurrencyCode, LocationKind, UnitSystem, WeekStart};
use larder_core::{LocationId, Money, Name, TenantId};
use larder_store::{LocationRow, LocationScope, Mode, TenantRow, TenantTx, run_tenant};
use serde::{Deserialize, Serialize};

use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Tenancy's constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[("locations_name", "name")]);

/// A location as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    /// Id.
    pub id: LocationId,
    /// Name.
    pub name: String,
    /// `central_kitchen` or `outlet`.
    pub kind: LocationKind,
    /// Edit version (also the `ETag`), for `If-Match`.
    pub version: i64,
}

impl From<LocationRow> for Location {
    fn from(r: LocationRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            kind: r.kind,
            version: r.version,
        }
    }
}

/// Create or rename a location.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationCommand {
    /// 1..=200 characters, unique in the tenant.
    pub name: Name,
    /// `central_kitchen` or `outlet`.
    pub kind: LocationKind,
}

/// A tenant's currency, time zone and business-day cutoff, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locale {
    /// ISO 4217 code.
    pub currency: String,
    /// IANA time zone name.
    pub time_zone: String,
    /// Minutes after local midnight a business day starts, 0..=720.
    pub day_cutoff_minutes: i32,
}

/// The latest a business day may start: noon (a later cutoff would put most of a day's
/// trade in the day before).
pub const MAX_DAY_CUTOFF_MINUTES: i32 = 720;

impl Locale {
    /// Checks each part.
    ///
    /// # Errors
    /// 422 naming `currency` (not an ISO 4217 currency), `time_zone` (not an IANA name) or
    /// `day_cutoff_minutes` (outside 0..=720).
    pub fn checked(
        currency: &str,
        time_zone: &str,
        day_cutoff_minutes: i32,
    ) -> Result<Self, AppError> {
        let currency =
            CurrencyCode::parse(currency).map_err(|e| AppError::invalid("currency", e))?;
        let tz = time_zone.parse::<Tz>().map_err(|_| {
            AppError::invalid(
                "time_zone",
                format!("'{time_zone}' is not an IANA time zone such as Europe/London"),
            )
        })?;
        if !(0..=MAX_DAY_CUTOFF_MINUTES).contains(&day_cutoff_minutes) {
            return Err(AppError::invalid(
                "day_cutoff_minutes",
                "must be 0 (midnight) to 720 (noon)",
            ));
        }
        Ok(Self {
            currency: currency.code().to_owned(),
            time_zone: tz.name().to_owned(),
            day_cutoff_minutes,
        })
    }
}

/// Every IANA time zone name Larder knows, for pickers.
pub fn time_zone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect()
}

/// Currencies offered first in pickers (any ISO 4217 currency is accepted).
pub const COMMON_CURRENCIES: [&str; 16] = [
    "GBP", "EUR", "USD", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "JPY", "INR",
    "SGD", "HKD", "ZAR",
];

/// A tenant's settings as the API shows them.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// The restaurant group's name.
    pub name: String,
    /// ISO 4217 code of the currency all money is in. Amounts are never converted: changing it
    /// relabels them.
    pub currency: String,
    /// Decimals of the currency's minor unit (2 for GBP, 0 for JPY), used for display.
    pub currency_minor_units: u32,
    /// The currency's symbol.
    pub currency_symbol: String,
    /// IANA time zone of business days and of POS times without an offset.
    pub time_zone: String,
    /// Minutes after local midnight a business day starts.
    pub day_cutoff_minutes: i32,
    /// The day business weeks start.
    pub week_start: WeekStart,
    /// How quantities are shown to people (pages convert to it; the API keeps base units).
    pub units: UnitSystem,
    /// Purchase orders above this total will need approval; `null`: never (kept for the
    /// purchasing context, which uses it).
    pub approval_threshold: Option<Money>,
    /// How stock and the cost of goods used are valued: `fifo` or `moving_average`
    /// (ADR 014); fixed once stock has moved.
    pub valuation_method: ValuationMethod,
    /// Edit version (also the `ETag`).
    pub version: i64,
}

impl Settings {
    fn of(t: &TenantRow) -> Self {
        let currency = CurrencyCode::parse(&t.currency).ok();
        Self {
            name: t.name.clone(),
            currency: t.currency.clone(),
            currency_minor_units: currency.map_or(2, CurrencyCode::minor_units),
            currency_symbol: currency.map_or_else(|| t.currency.clone(), CurrencyCode::symbol),
            time_zone: t.time_zone.clone(),
            day_cutoff_minutes: t.day_cutoff_minutes,
            week_start: t.week_start,
            units: t.units,
            approval_threshold: t.approval_threshold,
            valuation_method: t.valuation_method,
            version: t.settings_version,
        }
    }
}

/// Change a tenant's settings (every field; read them first and send them back changed).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsCommand {
    /// ISO 4217 code (`GBP`, `USD`).
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// IANA time zone (`Europe/London`, `America/New_York`). Past movements keep their instants;
    /// only how they fall into business days changes.
    #[schema(max_length = 64)]
    pub time_zone: String,
    /// Minutes after local midnight a business day starts, 0 to 720.
    #[schema(minimum = 0, maximum = 720)]
    pub day_cutoff_minutes: i32,
    /// The day business weeks start.
    pub week_start: WeekStart,
    /// How quantities are shown.
    pub units: UnitSystem,
    /// Purchase orders above this total need approval; absent or `null`: never.
    #[serde(default)]
    pub approval_threshold: Option<Money>,
    /// `fifo` or `moving_average`; absent keeps the current method. Changing it once any
    /// stock has moved is a 409: it would revalue what is already recorded.
    #[serde(default)]
    pub valuation_method: Option<ValuationMethod>,
}

/// Refuses a location outside `scope` as if it did not exist (404 `location`), so a member
/// limited to some locations learns nothing of the others. The member's list is read in the
/// caller's transaction: a limit changed a moment ago applies.
///
/// # Errors
/// 404 when the location is outside the scope.
pub(crate) async fn require_location(
    tx: &mut dyn TenantTx,
    scope: LocationScope,
    location: LocationId,
) -> Result<(), AppError> {
    let LocationScope::Member(user) = scope else {
        return Ok(());
    };
    match tx.member_locations(user).await? {
        Some(allowed) if !allowed.contains(&location) => Err(AppError::NotFound("location")),
        _ => Ok(()),
    }
}

impl App {
    /// Creates a location.
    ///
    /// # Errors
    /// 403 without `catalog.write`, or for a member limited to some locations; 422; 409 on
    /// `name`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_location(
        &self,
        p: Principal,
        cmd: LocationCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Location>, AppError> {
        p.require(Permission::CatalogWrite)?;
        if p.locations != LocationScope::All {
            return Err(AppError::LocationLimited(
                "a member limited to some locations cannot add locations",
            ));
        }
        let row = LocationRow {
            id: LocationId::new(),
            name: cmd.name.as_str().to_owned(),
            kind: cmd.kind,
            version: 1,
            created_at: Utc::now(),
        };
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::LocationCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    tx.insert_location(&row).await?;
                    Ok(Location::from(row))
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Renames a location or changes its kind, when `if_match` (if given) is its current
    /// version.
    ///
    /// # Errors
    /// 403; 404 (a location outside a limited member's included); 422; 409 on `name`; 412
    /// when the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_location(
        &self,
        p: Principal,
        id: LocationId,
        cmd: LocationCommand,
        if_match: Option<i64>,
    ) -> Result<Location, AppError> {
        p.require(Permission::CatalogWrite)?;
        let name = cmd.name.as_str().to_owned();
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::LocationUpdated,
            move |tx| {
                Box::pin(async move {
                    require_location(tx, p.locations, id).await?;
                    let current = tx
                        .get_location(id)
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("location"));
                    }
                    let row = LocationRow {
                        name,
                        kind: cmd.kind,
                        version: current.version + 1,
                        ..current
                    };
                    match tx.update_location(&row, expected).await {
                        Ok(()) => Ok(Location::from(row)),
                        Err(larder_store::StoreError::Conflict { constraint })
                            if constraint == "locations_version" =>
                        {
                            Err(AppError::PreconditionFailed("location"))
                        }
                        Err(e) => Err(e.into()),
                    }
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// One location.
    ///
    /// # Errors
    /// 403; 404 (a location outside a limited member's included).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_location(&self, p: Principal, id: LocationId) -> Result<Location, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                require_location(tx, p.locations, id).await?;
                tx.get_location(id)
                    .await?
                    .map(Location::from)
                    .ok_or(AppError::NotFound("location"))
            })
        })
        .await
    }

    /// Locations by name, paginated; a limited member's only.
    ///
    /// # Errors
    /// 403; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_locations(
        &self,
        p: Principal,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<Location>, AppError> {
        p.require(Permission::CatalogRead)?;
        let limit = page::limit(limit)?;
        let after = match &cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                Some((parts[0].clone(), page::id::<LocationId>(&parts[1])?))
            }
            None => None,
        };
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.list_locations(p.locations, after, limit + 1)
                    .await
                    .map_err(AppError::from)
            })
        })
        .await?;
        let locs = rows.into_iter().map(Location::from).collect();
        Ok(page::page(locs, limit, |l: &Location| {
            page::encode(&[&l.name, &l.id.to_string()])
        }))
    }

    /// The tenant's settings; every member may read them (pages format with them).
    ///
    /// # Errors
    /// 403 without `catalog.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_settings(&self, p: Principal) -> Result<Settings, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let t = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
                Ok(Settings::of(&t))
            })
        })
        .await
    }

    /// Replaces the tenant's settings (owners only), checked against `if_match` when given.
    /// Nothing recorded is rewritten: movements keep their instants and amounts their values.
    ///
    /// # Errors
    /// 403 without `tenant.manage`; 412 on a stale `if_match`; 422 naming the field.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_settings(
        &self,
        p: Principal,
        cmd: SettingsCommand,
        if_match: Option<i64>,
    ) -> Result<Settings, AppError> {
        p.require(Permission::TenantManage)?;
        let locale = Locale::checked(&cmd.currency, &cmd.time_zone, cmd.day_cutoff_minutes)?;
        if cmd.approval_threshold.is_some_and(Money::is_negative) {
            return Err(AppError::invalid(
                "approval_threshold",
                "must not be negative",
            ));
        }
        crate::events::write(self.db(), &p, crate::events::EventType::SettingsUpdated, move |tx| {
            Box::pin(async move {
                let current = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
                let expected = if_match.unwrap_or(current.settings_version);
                if expected != current.settings_version {
                    return Err(AppError::PreconditionFailed("settings"));
                }
                let valuation_method = cmd.valuation_method.unwrap_or(current.valuation_method);
                if valuation_method != current.valuation_method {
                    let moved = tx
                        .list_movements(&larder_store::MovementFilter {
                            limit: 1,
                            ..Default::default()
                        })
                        .await?;
                    if !moved.is_empty() {
                        return Err(AppError::conflict(
                            "valuation_method",
                            "stock has already moved: changing the valuation method would revalue what is recorded",
                        ));
                    }
                }
                let row = TenantRow {
                    valuation_method,
                    currency: locale.currency,
                    time_zone: locale.time_zone,
                    day_cutoff_minutes: locale.day_cutoff_minutes,
                    week_start: cmd.week_start,
                    units: cmd.units,
                    approval_threshold: cmd.approval_threshold,
                    settings_version: current.settings_version + 1,
                    ..current
                };
                match tx.update_settings(&row, expected).await {
                    Ok(()) => Ok(Settings::of(&row)),
                    Err(larder_store::StoreError::Conflict { constraint })
                        if constraint == "tenants_version" =>
                    {
                        Err(AppError::PreconditionFailed("settings"))
                    }
                    Err(e) => Err(e.into()),
                }
            })
        })
        .await
    }

    /// The tenant's time zone (business days and POS local times).
    ///
    /// # Errors
    /// 404 when the tenant does not exist; 500 when its zone is not an IANA name.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %tenant))]
    pub async fn tenant_tz(&self, tenant: TenantId) -> Result<Tz, AppError> {
        let t = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move { tx.get_tenant().await.map_err(AppError::from) })
        })
        .await?
        .ok_or(AppError::NotFound("tenant"))?;
        t.time_zone
            .parse::<Tz>()
            .map_err(|_| AppError::Internal(format!("bad time zone {}", t.time_zone)))
    }
}

impl App {
    /// Operator lookup of a tenant by id or slug.
    ///
    /// # Errors
    /// 404 when no tenant matches.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn find_tenant(&self, id_or_slug: &str) -> Result<TenantId, AppError> {
        for id in self.store.tenant_ids().await? {
            if id.to_string() == id_or_slug.to_lowercase() {
                return Ok(id);
            }
            let t = run_tenant(self.db(), id, Mode::Read, |tx| {
                Box::pin(async move { tx.get_tenant().await.map_err(AppError::from) })
            })
            .await?;
            if t.is_some_and(|t| t.slug == id_or_slug) {
                return Ok(id);
            }
        }
        Err(AppError::NotFound("tenant"))
    }

    /// Operator lookup of a tenant's location by id or name.
    ///
    /// # Errors
    /// 404 when no location matches.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %tenant))]
    pub async fn find_location(
        &self,
        tenant: TenantId,
        id_or_name: &str,
    ) -> Result<LocationId, AppError> {
        let key = id_or_name.to_owned();
        run_tenant(self.db(), tenant, Mode::Read, move |tx| {
            Box::pin(async move {
                let mut after = None;
                loop {
                    let page = tx
                        .list_locations(LocationScope::All, after.clone(), 200)
                        .await?;
                    if let Some(l) = page
                        .iter()
                        .find(|l| l.id.to_string() == key.to_lowercase() || l.name == key)
                    {
                        return Ok(l.id);
                    }
                    match page.last() {
                        Some(l) if page.len() == 200 => after = Some((l.name.clone(), l.id)),
                        _ => return Err(AppError::NotFound("location")),
                    }
                }
            })
        })
        .await
    }
}
