//! Analytics for the dashboard: theoretical usage per ingredient per week, and top menu items
//! of a period.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use larder_core::auth::Permission;
use larder_core::decimal::div_round_half_even;
use larder_core::{BaseUnit, ItemId, MenuItemId, Money, Quantity};
use larder_store::Mode;
use larder_store::run_tenant;
use serde::Serialize;

use crate::{App, AppError, Principal};

/// One ingredient's theoretical usage, week by week.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UsageSeries {
    /// Item.
    pub item_id: ItemId,
    /// Name.
    pub name: String,
    /// Base unit.
    pub base_unit: BaseUnit,
    /// Total over the period.
    pub total: Quantity,
    /// (Monday of the week, usage), one entry per week of the period (zeros included).
    pub weeks: Vec<(NaiveDate, Quantity)>,
}

/// A menu item's sales in a period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TopMenuItem {
    /// Name as sold.
    pub name: String,
    /// Menu item, when mapped.
    pub menu_item_id: Option<MenuItemId>,
    /// Count sold.
    pub quantity: Quantity,
    /// Revenue, rounded half to even.
    pub revenue: Money,
}

/// The Monday of `d`'s ISO week.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn day_date(day: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp(day * 86_400, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// A tenant's calendar: business days are local dates in `tz` that start `cutoff_minutes`
/// after local midnight.
#[derive(Clone, Copy, Debug)]
pub struct Calendar {
    /// IANA time zone.
    pub tz: Tz,
    /// Minutes after local midnight at which a business day starts.
    pub cutoff_minutes: i32,
}

impl Calendar {
    /// Seconds to add to a UTC instant so that whole days since the epoch count business days:
    /// the UTC offset at `t` minus the cutoff.
    pub fn offset_at(&self, t: DateTime<Utc>) -> i64 {
        let utc_offset = self
            .tz
            .offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc();
        i64::from(utc_offset) - i64::from(self.cutoff_minutes) * 60
    }

    /// The business day an instant belongs to.
    pub fn business_date(&self, t: DateTime<Utc>) -> NaiveDate {
        (t + Duration::seconds(self.offset_at(t))).date_naive()
    }

    /// The instant business day `d` starts. A start that falls in a daylight-saving gap moves
    /// an hour later; one that happens twice takes the earlier.
    pub fn day_start(&self, d: NaiveDate) -> DateTime<Utc> {
        let local = d.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(self.cutoff_minutes));
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.tz
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// `[from, to)` cut where the offset changes (daylight saving), each piece with its offset.
    pub fn spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>, i64)> {
        let mut spans = Vec::new();
        let (mut start, mut current) = (from, self.offset_at(from));
        let mut probe = from;
        while probe < to {
            let next = (probe + Duration::hours(6)).min(to);
            if next < to && self.offset_at(next) != current {
                // The change lies in (probe, next]: narrow it to the second.
                let (mut lo, mut hi) = (probe.timestamp(), next.timestamp());
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    let at = DateTime::<Utc>::from_timestamp(mid, 0).unwrap_or(probe);
                    if self.offset_at(at) == current {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let change = DateTime::<Utc>::from_timestamp(hi, 0).unwrap_or(next);
                spans.push((start, change, current));
                start = change;
                current = self.offset_at(change);
            }
            probe = next;
        }
        spans.push((start, to, current));
        spans
    }
}

impl App {
    /// Theoretical usage (sale movements) per ingredient per week in `[from, to)`, the `top`
    /// ingredients by total usage. Weeks start on Monday and days are the tenant's business
    /// days (its time zone, its day cutoff), daylight saving included.
    ///
    /// # Errors
    /// 403 without `reports.read`; 422 when `from` is not before `to`.
    pub async fn weekly_usage(
        &self,
        p: Principal,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        top: usize,
    ) -> Result<Vec<UsageSeries>, AppError> {
        p.require(Permission::ReportsRead)?;
        if from >= to {
            return Err(AppError::invalid("from", "must be before to"));
        }
        let cal = self.calendar(p.tenant_id).await?;
        let spans = cal.spans(from, to);
        let (days, items) = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let mut days = Vec::new();
                for (a, b, offset) in spans {
                    days.extend(tx.usage_by_day(a, b, offset).await?);
                }
                Ok::<_, AppError>((days, tx.all_item_units().await?))
            })
        })
        .await?;
        let info: HashMap<ItemId, (String, BaseUnit)> = items
            .into_iter()
            .map(|i| (i.id, (i.name, i.base_unit)))
            .collect();
        let first_week = week_start(cal.business_date(from));
        let last_week = week_start(cal.business_date(to - Duration::microseconds(1)));
        let mut per_item: HashMap<ItemId, BTreeMap<NaiveDate, i64>> = HashMap::new();
        for d in days {
            let w = week_start(day_date(d.day));
            *per_item.entry(d.item_id).or_default().entry(w).or_default() += d.quantity.raw();
        }
        let mut series: Vec<UsageSeries> = per_item
            .into_iter()
            .map(|(item_id, weeks)| {
                let mut all = Vec::new();
                let mut w = first_week;
                while w <= last_week {
                    all.push((w, Quantity::from_raw(weeks.get(&w).copied().unwrap_or(0))));
                    w += Duration::days(7);
                }
                let (name, base_unit) = info
                    .get(&item_id)
                    .cloned()
                    .unwrap_or_else(|| (item_id.to_string(), BaseUnit::Ea));
                UsageSeries {
                    item_id,
                    name,
                    base_unit,
                    total: Quantity::from_raw(weeks.values().sum()),
                    weeks: all,
                }
            })
            .collect();
        series.sort_by(|a, b| b.total.cmp(&a.total).then(a.name.cmp(&b.name)));
        series.truncate(top);
        Ok(series)
    }

    /// Menu items by quantity sold in `[from, to)`.
    ///
    /// # Errors
    /// 403 without `reports.read`; 422 when `from` is not before `to`.
    pub async fn top_menu_items(
        &self,
        p: Principal,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TopMenuItem>, AppError> {
        p.require(Permission::ReportsRead)?;
        if from >= to {
            return Err(AppError::invalid("from", "must be before to"));
        }
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.top_menu_items(from, to, limit.clamp(1, 100))
                    .await
                    .map_err(AppError::from)
            })
        })
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TopMenuItem {
                name: r.item_name,
                menu_item_id: r.menu_item_id,
                quantity: r.quantity,
                revenue: Money::from_raw(
                    i64::try_from(div_round_half_even(i128::from(r.revenue_billionths), 1000))
                        .unwrap_or(i64::MAX),
                ),
            })
            .collect())
    }

    /// First and last sale of the tenant, for choosing a default period.
    ///
    /// # Errors
    /// 403 without `reports.read`.
    pub async fn sales_span(
        &self,
        p: Principal,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, AppError> {
        p.require(Permission::ReportsRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, |tx| {
            Box::pin(async move { tx.sales_span().await.map_err(AppError::from) })
        })
        .await
    }

    /// The tenant's business calendar.
    ///
    /// # Errors
    /// 404 when the tenant does not exist; 500 when its zone is not an IANA name.
    pub async fn calendar(&self, tenant: larder_core::TenantId) -> Result<Calendar, AppError> {
        let t = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move { tx.get_tenant().await.map_err(AppError::from) })
        })
        .await?
        .ok_or(AppError::NotFound("tenant"))?;
        let tz = t
            .time_zone
            .parse::<Tz>()
            .map_err(|_| AppError::Internal(format!("bad time zone {}", t.time_zone)))?;
        Ok(Calendar {
            tz,
            cutoff_minutes: t.day_cutoff_minutes,
        })
    }

    /// Sale lines that map to no menu item, by name.
    ///
    /// # Errors
    /// 403 without `sales.read`.
    pub async fn unmapped_sales(
        &self,
        p: Principal,
    ) -> Result<Vec<larder_store::UnmappedRow>, AppError> {
        p.require(Permission::SalesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, |tx| {
            Box::pin(async move { tx.unmapped_sales().await.map_err(AppError::from) })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> Calendar {
        Calendar {
            tz: "Europe/London".parse().unwrap_or(Tz::UTC),
            cutoff_minutes: 240,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn business_days_follow_the_cutoff_and_daylight_saving() {
        let c = london();
        // 01:30 BST on 3 Aug is before the 04:00 cutoff: it belongs to 2 Aug.
        assert_eq!(
            c.business_date(utc("2019-08-03T00:30:00Z")).to_string(),
            "2019-08-02"
        );
        assert_eq!(
            c.business_date(utc("2019-08-03T03:00:00Z")).to_string(),
            "2019-08-03"
        );
        // In winter London is on UTC: 03:59 UTC is still the day before.
        assert_eq!(
            c.business_date(utc("2019-01-10T03:59:00Z")).to_string(),
            "2019-01-09"
        );
        assert_eq!(
            c.day_start(NaiveDate::from_ymd_opt(2019, 8, 3).unwrap_or_default()),
            utc("2019-08-03T03:00:00Z")
        );
        assert_eq!(
            c.day_start(NaiveDate::from_ymd_opt(2019, 1, 10).unwrap_or_default()),
            utc("2019-01-10T04:00:00Z")
        );
    }

    #[test]
    fn spans_split_at_the_clock_change() {
        let c = london();
        let spans = c.spans(utc("2019-03-25T00:00:00Z"), utc("2019-04-05T00:00:00Z"));
        assert_eq!(spans.len(), 2);
        // Clocks went forward at 01:00 UTC on 31 March 2019.
        assert_eq!(spans[0].1, utc("2019-03-31T01:00:00Z"));
        assert_eq!((spans[0].2, spans[1].2), (-4 * 3600, -3 * 3600));
        assert_eq!(
            c.spans(utc("2019-06-01T00:00:00Z"), utc("2019-06-08T00:00:00Z"))
                .len(),
            1
        );
    }
}
