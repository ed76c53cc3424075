//! tenancy: tenants (restaurant groups), their locations and the storage areas within them.

mod storage_areas;

pub use storage_areas::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::Money;
use larder_core::tenancy::{LocationKind, UnitSystem, WeekStart};
use larder_core::{LocationId, TenantId, UserId};

use crate::StoreError;

/// A tenant (restaurant group).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRow {
    /// Id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Unique URL-safe handle, used at login.
    pub slug: String,
    /// ISO 4217 code of the currency all money is in.
    pub currency: String,
    /// IANA time zone of business days.
    pub time_zone: String,
    /// Minutes after local midnight at which a business day starts (a sale at 01:30 with a
    /// 04:00 cutoff belongs to the day before).
    pub day_cutoff_minutes: i32,
    /// The day business weeks start.
    pub week_start: WeekStart,
    /// How quantities are shown.
    pub units: UnitSystem,
    /// Purchase orders above this total need approval; `None`: never.
    pub approval_threshold: Option<Money>,
    /// How stock and the cost of goods used are valued.
    pub valuation_method: larder_core::inventory::costing::ValuationMethod,
    /// Edit version of the settings, for `If-Match`.
    pub settings_version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationRow {
    /// Id.
    pub id: LocationId,
    /// Name, unique in the tenant.
    pub name: String,
    /// Central kitchen or outlet.
    pub kind: LocationKind,
    /// Edit version for `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Which locations a read or write may touch: every location of the tenant, or only those a
/// member is limited to (the `member_locations` of a membership whose `locations_limited_at`
/// is set). Store filters bind [`LocationScope::member`] and keep a row only when its location
/// is one of that member's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LocationScope {
    /// Every location (owners, admins, unlimited members, operator commands).
    #[default]
    All,
    /// Only the locations listed for this member.
    Member(UserId),
}

impl LocationScope {
    /// The member whose locations limit the rows, as a statement binds it (`NULL` for all).
    pub fn member(self) -> Option<UserId> {
        match self {
            Self::All => None,
            Self::Member(u) => Some(u),
        }
    }
}

/// The tenancy port: the transaction's own tenant and its locations; storage areas are in
/// [`StorageAreaTx`].
#[async_trait]
pub trait TenancyTx: StorageAreaTx + Send {
    /// The tenant this transaction is bound to.
    fn tenant_id(&self) -> TenantId;
    /// Creates this transaction's tenant. Conflict `tenants_slug` when the slug is taken;
    /// Other when the row is not this transaction's tenant.
    async fn insert_tenant(&mut self, tenant: &TenantRow) -> Result<(), StoreError>;
    /// This transaction's tenant.
    async fn get_tenant(&mut self) -> Result<Option<TenantRow>, StoreError>;
    /// Replaces the tenant's settings (currency, time zone, day cutoff, week start, units,
    /// approval threshold) when their version is `expected_version`, bumping it. Conflict
    /// `tenants_version` when the version moved on.
    async fn update_settings(
        &mut self,
        settings: &TenantRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// Adds a location. Conflict `locations_name` on a duplicate name.
    async fn insert_location(&mut self, location: &LocationRow) -> Result<(), StoreError>;
    /// Changes a location's name and kind when its version is `expected_version`, bumping
    /// it. NotFound when absent; Conflict `locations_version` when the version moved on;
    /// Conflict `locations_name` on a duplicate name.
    async fn update_location(
        &mut self,
        location: &LocationRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// One location.
    async fn get_location(&mut self, id: LocationId) -> Result<Option<LocationRow>, StoreError>;
    /// Locations in `scope` by name, `limit` at most, after the cursor `(name, id)`.
    async fn list_locations(
        &mut self,
        scope: LocationScope,
        after: Option<(String, LocationId)>,
        limit: u32,
    ) -> Result<Vec<LocationRow>, StoreError>;
}
