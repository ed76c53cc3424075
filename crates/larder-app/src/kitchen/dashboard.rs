//! kitchen: the dashboard of one location: open orders by status, late orders, station loads
//! and the bottleneck now; prep times and the published ETA accuracy over a period (per
//! business day and channel: mean absolute error, bias and the share within +-5 minutes,
//! `larder_core::kitchen::accuracy`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::kitchen::accuracy::{Accuracy, WITHIN_SECS, eta_accuracy};
use larder_core::kitchen::queue::LOAD_HORIZON_SECS;
use larder_core::kitchen::{Channel, OrderStatus, TaskStatus, load_percent};
use larder_core::{LocationId, OrderId, StationId};
use larder_store::{KitchenOrderFilter, Mode, run_tenant};
use serde::{Deserialize, Serialize};

use super::engine::remaining_secs;
use super::location_in_scope;
use crate::{App, AppError, Principal};

/// The longest period the dashboard covers.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// The most ready orders a period may hold (the store reads at most this many); a period
/// with more is refused rather than summed in part.
pub const MAX_READY_ORDERS: usize = 10_000;

/// Which location and period (default: today's business day so far).
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// The location.
    pub location_id: LocationId,
    /// From (inclusive, RFC 3339); default the start of today's business day.
    pub from: Option<DateTime<Utc>>,
    /// To (exclusive); default now. At most 366 days after `from`.
    pub to: Option<DateTime<Utc>>,
}

/// ETA accuracy of a group of orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EtaAccuracy {
    /// Orders counted (made ready in the period, with a quote).
    pub orders: u64,
    /// Mean of |ready - quoted|, seconds, half to even.
    pub mean_abs_error_secs: i64,
    /// Mean of ready - quoted, seconds (positive: late on average).
    pub bias_secs: i64,
    /// Orders ready within 5 minutes of their quote, either way.
    pub within_5_min: u64,
    /// Their share in thousandths of a percent (85000 is 85 %), half to even.
    pub within_5_min_thousandths_pct: i64,
}

impl From<Accuracy> for EtaAccuracy {
    fn from(a: Accuracy) -> Self {
        Self {
            orders: a.orders,
            mean_abs_error_secs: a.mean_abs_error_secs,
            bias_secs: a.bias_secs,
            within_5_min: a.within,
            within_5_min_thousandths_pct: a.within_thousandths_pct,
        }
    }
}

/// ETA accuracy of one business day and channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayChannelAccuracy {
    /// The business day the orders were taken on.
    pub business_date: NaiveDate,
    /// Their channel.
    pub channel: Channel,
    /// Their accuracy.
    #[serde(flatten)]
    pub accuracy: EtaAccuracy,
}

/// A station now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StationNow {
    /// The station.
    pub station_id: StationId,
    /// Its name.
    pub name: String,
    /// Whether it takes work.
    pub active: bool,
    /// Tasks queued at it.
    pub queued: u32,
    /// Tasks in work at it.
    pub started: u32,
    /// Remaining estimated seconds of both.
    pub assigned_secs: i64,
    /// Load in whole percent (assigned seconds over 15 minutes of each slot); `null` without
    /// capacity.
    pub load_percent: Option<i64>,
}

/// An order running late.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LateOrder {
    /// The order.
    pub order_id: OrderId,
    /// Its number of the day.
    pub number: i64,
    /// Its status.
    pub status: OrderStatus,
    /// The time quoted when it was taken.
    pub predicted_ready_at: Option<DateTime<Utc>>,
    /// The latest estimate.
    pub eta_at: Option<DateTime<Utc>>,
    /// When the customer wants it.
    pub requested_at: Option<DateTime<Utc>>,
    /// Seconds it is (or will be) late: past its quote, or its estimate past the requested
    /// time, whichever is more.
    pub late_secs: i64,
}

/// The kitchen dashboard of one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KitchenDashboard {
    /// The location.
    pub location_id: LocationId,
    /// The period of the prep times and accuracy.
    pub from: DateTime<Utc>,
    /// Its end.
    pub to: DateTime<Utc>,
    /// Open orders by status now (`new`, `preparing`, `ready`), every status listed.
    pub open_orders: BTreeMap<String, u32>,
    /// Orders in the kitchen that are late now, latest first.
    pub late_orders: Vec<LateOrder>,
    /// Every station now.
    pub stations: Vec<StationNow>,
    /// The active station with capacity and the highest load now (ties: by name); `null`
    /// when none has work.
    pub bottleneck: Option<StationId>,
    /// Orders the kitchen made ready in the period (not those cancelled since, nor those with
    /// nothing to make).
    pub orders_ready: u64,
    /// Mean seconds from taken to ready of those, half to even; `null` without any.
    pub prep_mean_secs: Option<i64>,
    /// The 90th percentile of the same (nearest rank); `null` without any.
    pub prep_p90_secs: Option<i64>,
    /// ETA accuracy of the period's ready orders with a quote.
    pub accuracy: EtaAccuracy,
    /// The same per business day and channel.
    pub accuracy_by_day: Vec<DayChannelAccuracy>,
    /// The window of "on time" either way, seconds (300).
    pub within_secs: i64,
}

/// The nearest-rank percentile `pct` (1..=100) of sorted `v`.
fn nearest_rank(v: &[i64], pct: usize) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let rank = (pct * v.len()).div_ceil(100).max(1);
    v.get(rank - 1).copied()
}

impl App {
    /// A location's kitchen dashboard (module doc).
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404 on the location; 422 on `to` (not after `from`, or
    /// more than 366 days later).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn kitchen_dashboard(
        &self,
        p: Principal,
        q: DashboardQuery,
    ) -> Result<KitchenDashboard, AppError> {
        p.require(Permission::KitchenRead)?;
        let calendar = self.calendar(p.tenant_id).await?;
        let now = super::now();
        let from = q
            .from
            .unwrap_or_else(|| calendar.day_start(calendar.business_date(now)));
        let to = q.to.unwrap_or(now);
        if to <= from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if to - from > Duration::days(MAX_PERIOD_DAYS) {
            return Err(AppError::invalid(
                "to",
                "the period covers at most 366 days",
            ));
        }
        let location = q.location_id;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, location).await?;
                let open = tx
                    .list_kitchen_orders(&KitchenOrderFilter {
                        location_id: Some(location),
                        statuses: vec![
                            OrderStatus::New,
                            OrderStatus::Preparing,
                            OrderStatus::Ready,
                        ],
                        business_date: None,
                        before: None,
                        limit: 5000,
                    })
                    .await?;
                let mut open_orders: BTreeMap<String, u32> =
                    [OrderStatus::New, OrderStatus::Preparing, OrderStatus::Ready]
                        .into_iter()
                        .map(|s| (s.as_str().to_owned(), 0))
                        .collect();
                let mut late_orders = Vec::new();
                for o in &open {
                    *open_orders.entry(o.status.as_str().to_owned()).or_default() += 1;
                    if o.status == OrderStatus::Ready {
                        continue;
                    }
                    let past_quote = o.predicted_ready_at.map_or(0, |q| (now - q).num_seconds());
                    let past_request = match (o.eta_at, o.requested_at) {
                        (Some(e), Some(r)) => (e - r).num_seconds(),
                        _ => 0,
                    };
                    let late_secs = past_quote.max(past_request);
                    if late_secs > 0 {
                        late_orders.push(LateOrder {
                            order_id: o.id,
                            number: o.number,
                            status: o.status,
                            predicted_ready_at: o.predicted_ready_at,
                            eta_at: o.eta_at,
                            requested_at: o.requested_at,
                            late_secs,
                        });
                    }
                }
                late_orders
                    .sort_by(|a, b| b.late_secs.cmp(&a.late_secs).then(a.number.cmp(&b.number)));

                let stations = tx.list_stations(Some(location)).await?;
                let tasks = tx.open_kitchen_tasks(location).await?;
                let stations: Vec<StationNow> = stations
                    .into_iter()
                    .map(|s| {
                        let at: Vec<_> = tasks
                            .iter()
                            .filter(|o| o.task.station_id == Some(s.id) && o.task.status.is_open())
                            .collect();
                        let assigned_secs: i64 =
                            at.iter().map(|o| remaining_secs(&o.task, now)).sum();
                        let count = |st: TaskStatus| {
                            u32::try_from(at.iter().filter(|o| o.task.status == st).count())
                                .unwrap_or(u32::MAX)
                        };
                        StationNow {
                            station_id: s.id,
                            queued: count(TaskStatus::Ready),
                            started: count(TaskStatus::Started),
                            load_percent: load_percent(
                                assigned_secs,
                                u32::try_from(s.capacity).unwrap_or(0),
                                LOAD_HORIZON_SECS,
                            ),
                            assigned_secs,
                            name: s.name,
                            active: s.active,
                        }
                    })
                    .collect();
                let bottleneck = stations
                    .iter()
                    .filter(|s| s.active && s.load_percent.is_some() && s.assigned_secs > 0)
                    .max_by(|a, b| {
                        a.load_percent
                            .cmp(&b.load_percent)
                            .then_with(|| b.name.cmp(&a.name))
                    })
                    .map(|s| s.station_id);

                let ready = tx
                    .kitchen_orders_ready_between(Some(location), from, to)
                    .await?;
                if ready.len() >= MAX_READY_ORDERS {
                    return Err(AppError::invalid(
                        "to",
                        "the period holds 10,000 ready orders or more: choose a shorter one",
                    ));
                }
                // Prep times and accuracy are the kitchen's: an order cancelled after it was
                // ready, and one ready when taken (nothing to make), are left out.
                let ready: Vec<_> = ready
                    .into_iter()
                    .filter(|o| {
                        o.status != OrderStatus::Cancelled && o.ready_at != Some(o.created_at)
                    })
                    .collect();
                let mut prep: Vec<i64> = ready
                    .iter()
                    .filter_map(|o| o.ready_at.map(|r| (r - o.created_at).num_seconds().max(0)))
                    .collect();
                prep.sort_unstable();
                let prep_mean_secs = (!prep.is_empty()).then(|| {
                    let sum: i128 = prep.iter().map(|&v| i128::from(v)).sum();
                    let n = i128::try_from(prep.len()).unwrap_or(i128::MAX);
                    i64::try_from(larder_core::decimal::div_round_half_even(sum, n))
                        .unwrap_or(i64::MAX)
                });
                let quoted: Vec<_> = ready
                    .iter()
                    .filter_map(|o| {
                        Some((
                            o.business_date,
                            o.channel,
                            o.predicted_ready_at?,
                            o.ready_at?,
                        ))
                    })
                    .collect();
                let accuracy = eta_accuracy(quoted.iter().map(|(_, _, p, a)| ((), *p, *a)))
                    .remove(&())
                    .map(EtaAccuracy::from)
                    .unwrap_or_default();
                let accuracy_by_day =
                    eta_accuracy(quoted.iter().map(|(d, c, p, a)| ((*d, *c), *p, *a)))
                        .into_iter()
                        .map(|((business_date, channel), a)| DayChannelAccuracy {
                            business_date,
                            channel,
                            accuracy: a.into(),
                        })
                        .collect();
                Ok(KitchenDashboard {
                    location_id: location,
                    from,
                    to,
                    open_orders,
                    late_orders,
                    stations,
                    bottleneck,
                    orders_ready: u64::try_from(ready.len()).unwrap_or(u64::MAX),
                    prep_mean_secs,
                    prep_p90_secs: nearest_rank(&prep, 90),
                    accuracy,
                    accuracy_by_day,
                    within_secs: WITHIN_SECS,
                })
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn the_90th_percentile_is_the_nearest_rank() {
        assert_eq!(nearest_rank(&[], 90), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(nearest_rank(&eleven, 90), Some(10));
    }
}
