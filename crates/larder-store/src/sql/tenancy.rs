//! tenancy's statements: the tenant and its locations (storage areas in `storage_areas`).

mod storage_areas;

use async_trait::async_trait;
use larder_core::tenancy::{LocationKind, UnitSystem, WeekStart};
use larder_core::{LocationId, TenantId};

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{LocationRow, LocationScope, StoreError, TenancyTx, TenantRow};

const INSERT_TENANT: &str = "INSERT INTO tenants
     (id, name, slug, currency, time_zone, day_cutoff_minutes, week_start, units,
      approval_threshold, settings_version, created_at, valuation_method)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const GET_TENANT: &str = "SELECT id, name, slug, currency, time_zone, day_cutoff_minutes,
     week_start, units, approval_threshold, settings_version, created_at, valuation_method
     FROM tenants WHERE id = $1";
const UPDATE_SETTINGS: &str = "UPDATE tenants SET currency = $2, time_zone = $3,
     day_cutoff_minutes = $4, week_start = $5, units = $6, approval_threshold = $7,
     valuation_method = $9, settings_version = settings_version + 1
     WHERE id = $1 AND settings_version = $8";
const INSERT_LOCATION: &str = "INSERT INTO locations (tenant_id, id, name, kind, version,
     created_at) VALUES ($1, $2, $3, $4, $5, $6)";
const UPDATE_LOCATION: &str = "UPDATE locations SET name = $3, kind = $4, version = version + 1
     WHERE tenant_id = $1 AND id = $2 AND version = $5";
const LOCATION_EXISTS: &str = "SELECT version FROM locations WHERE tenant_id = $1 AND id = $2";
const GET_LOCATION: &str = "SELECT id, name, kind, version, created_at FROM locations
     WHERE tenant_id = $1 AND id = $2";
const LIST_LOCATIONS: &str = "SELECT id, name, kind, version, created_at FROM locations
     WHERE tenant_id = $1 AND ($2 IS NULL OR name > $2 OR (name = $2 AND id > $3))
       AND ($5 IS NULL OR id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $5))
     ORDER BY name, id LIMIT $4";

fn tenant(mut r: Row) -> R<TenantRow> {
    Ok(TenantRow {
        id: r.get()?,
        name: r.get()?,
        slug: r.get()?,
        currency: r.get()?,
        time_zone: r.get()?,
        day_cutoff_minutes: r.get()?,
        week_start: r.spelled::<WeekStart>()?,
        units: r.spelled::<UnitSystem>()?,
        approval_threshold: r.get()?,
        settings_version: r.get()?,
        created_at: r.get()?,
        valuation_method: r.spelled()?,
    })
}

fn location(mut r: Row) -> R<LocationRow> {
    Ok(LocationRow {
        id: r.get()?,
        name: r.get()?,
        kind: r.spelled::<LocationKind>()?,
        version: r.get()?,
        created_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> TenancyTx for SqlTx<E> {
    fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_tenant(&mut self, t: &TenantRow) -> R<()> {
        if t.id != self.tenant {
            return Err(StoreError::Other(
                "tenant row does not match the transaction".into(),
            ));
        }
        self.exec
            .execute(
                INSERT_TENANT,
                args![
                    t.id,
                    t.name,
                    t.slug,
                    t.currency,
                    t.time_zone,
                    t.day_cutoff_minutes,
                    t.week_start.as_str(),
                    t.units.as_str(),
                    t.approval_threshold,
                    t.settings_version,
                    t.created_at,
                    t.valuation_method.as_str()
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_tenant(&mut self) -> R<Option<TenantRow>> {
        self.exec
            .fetch_optional(GET_TENANT, args![self.tenant])
            .await?
            .map(tenant)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_settings(&mut self, t: &TenantRow, expected_version: i64) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_SETTINGS,
                args![
                    self.tenant,
                    t.currency,
                    t.time_zone,
                    t.day_cutoff_minutes,
                    t.week_start.as_str(),
                    t.units.as_str(),
                    t.approval_threshold,
                    expected_version,
                    t.valuation_method.as_str()
                ],
            )
            .await?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict {
                constraint: "tenants_version".into(),
            })
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_location(&mut self, l: &LocationRow) -> R<()> {
        self.exec
            .execute(
                INSERT_LOCATION,
                args![
                    self.tenant,
                    l.id,
                    l.name,
                    l.kind.as_str(),
                    l.version,
                    l.created_at
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_location(&mut self, l: &LocationRow, expected_version: i64) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_LOCATION,
                args![self.tenant, l.id, l.name, l.kind.as_str(), expected_version],
            )
            .await?;
        self.versioned(n, LOCATION_EXISTS, l.id.as_uuid(), "locations")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_location(&mut self, id: LocationId) -> R<Option<LocationRow>> {
        self.exec
            .fetch_optional(GET_LOCATION, args![self.tenant, id])
            .await?
            .map(location)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_locations(
        &mut self,
        scope: LocationScope,
        after: Option<(String, LocationId)>,
        limit: u32,
    ) -> R<Vec<LocationRow>> {
        let (name, id) = after.map_or((None, None), |(n, i)| (Some(n), Some(i)));
        rows(
            self.exec
                .fetch_all(
                    LIST_LOCATIONS,
                    args![self.tenant, name, id, i64::from(limit), scope.member()],
                )
                .await?,
            location,
        )
    }
}
