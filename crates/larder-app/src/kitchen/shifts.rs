//! kitchen: staff shifts per station and day, and who is on which station now. The ETA gates a
//! station by who is on shift there (ADR 030; a location that plans no shifts is staffed at
//! every station, see `engine`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::{LocationId, StationId, UserId};
use larder_store::{Mode, ShiftRow, run_tenant};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{location_in_scope, station_in_scope};
use crate::events::EventType;
use crate::{App, AppError, Principal};

/// The longest one shift may be.
pub const MAX_SHIFT_HOURS: i64 = 16;
/// A shift starts at most this many days ago (a correction of the record)...
pub const PAST_DAYS: i64 = 7;
/// ...and at most this many days ahead: the window in which it can also be removed.
pub const AHEAD_DAYS: i64 = 60;

/// A shift: a member at a station from `starts_at` to `ends_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shift {
    /// Id.
    pub id: Uuid,
    /// Where.
    pub location_id: LocationId,
    /// At which station.
    pub station_id: StationId,
    /// Who (a member of the tenant).
    pub user_id: UserId,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until.
    pub ends_at: DateTime<Utc>,
}

impl From<ShiftRow> for Shift {
    fn from(s: ShiftRow) -> Self {
        Self {
            id: s.id,
            location_id: s.location_id,
            station_id: s.station_id,
            user_id: s.user_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        }
    }
}

/// Plan a shift.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftCommand {
    /// A station of the location.
    pub station_id: StationId,
    /// A member of the tenant.
    pub user_id: UserId,
    /// From (RFC 3339), 7 days ago at the earliest and 60 days ahead at the latest.
    pub starts_at: DateTime<Utc>,
    /// Until: after `starts_at`, at most 16 hours later.
    pub ends_at: DateTime<Utc>,
}

/// Who is at one station now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StationCrew {
    /// The station.
    pub station_id: StationId,
    /// Its name.
    pub station_name: String,
    /// The members on shift there now, by id.
    pub user_ids: Vec<UserId>,
}

/// A location's shifts of the business day, and who is on which station now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShiftsToday {
    /// The location.
    pub location_id: LocationId,
    /// Today's business day (the tenant's day cutoff applied).
    pub business_date: NaiveDate,
    /// The shifts that overlap it, by start.
    pub shifts: Vec<Shift>,
    /// Every station of the location with who is on shift there now (none: nobody).
    pub on_now: Vec<StationCrew>,
    /// Whether the location plans shifts at all in the next 24 hours; when it does not, the
    /// ETA takes every active station to be staffed.
    pub plans_shifts: bool,
}

/// Which location's day to show.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShiftsQuery {
    /// The location.
    pub location_id: LocationId,
}

impl App {
    /// Plans a shift at a location.
    ///
    /// # Errors
    /// 403 without `kitchen.manage`; 404 on the location, the station (another location's
    /// included) or the member (deactivated included); 422 on `ends_at` (not after
    /// `starts_at`, or over 16 hours), `starts_at` (outside 7 days ago to 60 ahead) or
    /// `user_id` (a member limited to other locations).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn plan_shift(
        &self,
        p: Principal,
        location: LocationId,
        cmd: ShiftCommand,
    ) -> Result<Shift, AppError> {
        p.require(Permission::KitchenManage)?;
        if cmd.ends_at <= cmd.starts_at {
            return Err(AppError::invalid("ends_at", "must be after starts_at"));
        }
        if cmd.ends_at - cmd.starts_at > Duration::hours(MAX_SHIFT_HOURS) {
            return Err(AppError::invalid(
                "ends_at",
                "a shift lasts at most 16 hours",
            ));
        }
        let now = super::now();
        if cmd.starts_at < now - Duration::days(PAST_DAYS)
            || cmd.starts_at > now + Duration::days(AHEAD_DAYS)
        {
            return Err(AppError::invalid(
                "starts_at",
                "a shift is planned from 7 days ago to 60 days ahead",
            ));
        }
        crate::events::write(self.db(), &p, EventType::ShiftPlanned, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, location).await?;
                let station = station_in_scope(tx, &p, cmd.station_id).await?;
                if station.location_id != location {
                    return Err(AppError::NotFound("station"));
                }
                tx.get_member(cmd.user_id)
                    .await?
                    .filter(|m| m.deactivated_at.is_none())
                    .ok_or(AppError::NotFound("member"))?;
                if tx
                    .member_locations(cmd.user_id)
                    .await?
                    .is_some_and(|allowed| !allowed.contains(&location))
                {
                    return Err(AppError::invalid(
                        "user_id",
                        "the member is limited to other locations",
                    ));
                }
                let row = ShiftRow {
                    id: Uuid::now_v7(),
                    location_id: location,
                    station_id: station.id,
                    user_id: cmd.user_id,
                    starts_at: cmd.starts_at,
                    ends_at: cmd.ends_at,
                    created_at: super::now(),
                };
                tx.insert_shift(&row).await?;
                Ok(Shift::from(row))
            })
        })
        .await
    }

    /// Removes a planned shift of the location that overlaps the last 7 days or the next 60
    /// (older shifts are the record of who worked).
    ///
    /// # Errors
    /// 403 without `kitchen.manage`; 404 when there is no such shift at the location, or the
    /// location is not one the caller may see.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn remove_shift(
        &self,
        p: Principal,
        location: LocationId,
        id: Uuid,
    ) -> Result<Shift, AppError> {
        p.require(Permission::KitchenManage)?;
        crate::events::write(self.db(), &p, EventType::ShiftRemoved, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, location).await?;
                let now = super::now();
                let shift = tx
                    .list_shifts(
                        location,
                        now - Duration::days(PAST_DAYS + 1),
                        now + Duration::days(AHEAD_DAYS + 1),
                    )
                    .await?
                    .into_iter()
                    .find(|s| s.id == id)
                    .ok_or(AppError::NotFound("shift"))?;
                if !tx.delete_shift(id).await? {
                    return Err(AppError::NotFound("shift"));
                }
                Ok(Shift::from(shift))
            })
        })
        .await
    }

    /// A location's shifts of today's business day, and who is on which station now
    /// (`GET /shifts/today`).
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404 on the location.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn shifts_today(
        &self,
        p: Principal,
        location: LocationId,
    ) -> Result<ShiftsToday, AppError> {
        p.require(Permission::KitchenRead)?;
        let calendar = self.calendar(p.tenant_id).await?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, location).await?;
                let now = super::now();
                let day = calendar.business_date(now);
                let from = calendar.day_start(day);
                let to = calendar.day_start(day.succ_opt().unwrap_or(day));
                let shifts = tx.list_shifts(location, from, to).await?;
                let ahead = tx
                    .list_shifts(location, now, now + Duration::hours(24))
                    .await?;
                let stations = tx.list_stations(Some(location)).await?;
                let on_now = stations
                    .into_iter()
                    .map(|s| StationCrew {
                        user_ids: shifts
                            .iter()
                            .filter(|sh| {
                                sh.station_id == s.id && sh.starts_at <= now && now < sh.ends_at
                            })
                            .map(|sh| sh.user_id)
                            .collect(),
                        station_id: s.id,
                        station_name: s.name,
                    })
                    .collect();
                Ok(ShiftsToday {
                    location_id: location,
                    business_date: day,
                    shifts: shifts.into_iter().map(Shift::from).collect(),
                    on_now,
                    plans_shifts: !ahead.is_empty(),
                })
            })
        })
        .await
    }
}
