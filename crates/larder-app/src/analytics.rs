//! analytics: theoretical usage per ingredient per week, the menu mix of a period, the
//! tenant's business calendar, and the dashboard that puts them beside stock on hand; actual vs
//! theoretical variance and its completeness gate in [`avt`].

pub mod avt;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use larder_core::auth::Permission;
use larder_core::decimal::div_round_half_even;
use larder_core::tenancy::WeekStart;
use larder_core::{BaseUnit, ItemId, MenuItemId, Money, Quantity, TenantId};
use larder_store::prelude::*;
use larder_store::{
    DailyUsageRow, ItemUnitRow, LocationScope, Mode, TenantRow, TopMenuItemRow, UnmappedRow,
    run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::inventory::{StockLevel, StockQuery, stock_filter, stock_page};
use crate::page::Page;
use crate::tenancy::Location;
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
    /// (first day of the tenant's week, usage), one entry per week of the period (zeros included).
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

/// The longest period a report may cover: 366 days, a leap year. A longer one is a 422 on
/// `to`; a year of weekly usage for 100 items is 5,300 numbers.
pub const MAX_REPORT_DAYS: i64 = 366;
/// The most rows (items, menu items) a report answers.
pub const MAX_REPORT_ROWS: u32 = 100;
/// Rows a report answers by default.
pub const DEFAULT_REPORT_ROWS: u32 = 10;

/// Checks a report period `[from, to)` and row count: `from` not after `to` (an empty period
/// has no rows), at most [`MAX_REPORT_DAYS`], 1..=[`MAX_REPORT_ROWS`] rows.
///
/// # Errors
/// 422 on `from`, `to` or `limit`.
pub fn report_period(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: Option<u32>,
) -> Result<u32, AppError> {
    if from > to {
        return Err(AppError::invalid("from", "must not be after to"));
    }
    if to - from > Duration::days(MAX_REPORT_DAYS) {
        return Err(AppError::invalid(
            "to",
            format!("a report covers at most {MAX_REPORT_DAYS} days; ask for a shorter period"),
        ));
    }
    match limit {
        None => Ok(DEFAULT_REPORT_ROWS),
        Some(n) if (1..=MAX_REPORT_ROWS).contains(&n) => Ok(n),
        Some(_) => Err(AppError::invalid(
            "limit",
            format!("must be 1 to {MAX_REPORT_ROWS}"),
        )),
    }
}

/// A report's sum as a [`Quantity`]: exact within the range, else the range's limit (a sum
/// over a year of movements that each stay within range can only leave it by an absurd
/// volume, and a report must still answer).
fn report_quantity(raw: i128) -> Quantity {
    let clamped = raw.clamp(
        -i128::from(Quantity::MAX_RAW),
        i128::from(Quantity::MAX_RAW),
    );
    Quantity::from_raw(i64::try_from(clamped).unwrap_or(Quantity::MAX_RAW))
}

/// The first day of the week holding `d`, for weeks starting on `start`.
pub fn week_start(d: NaiveDate, start: WeekStart) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().days_since(start.weekday())))
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
    /// The day business weeks start.
    pub week_start: WeekStart,
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

    /// The first business day of the week holding business day `d`.
    pub fn week_of(&self, d: NaiveDate) -> NaiveDate {
        week_start(d, self.week_start)
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

impl Calendar {
    /// The calendar of a tenant row.
    ///
    /// # Errors
    /// 500 when its zone is not an IANA name.
    pub fn of(t: &TenantRow) -> Result<Self, AppError> {
        let tz = t
            .time_zone
            .parse::<Tz>()
            .map_err(|_| AppError::Internal(format!("bad time zone {}", t.time_zone)))?;
        Ok(Calendar {
            tz,
            cutoff_minutes: t.day_cutoff_minutes,
            week_start: t.week_start,
        })
    }
}

/// A period `[first, last]` of instants, such as the first and last sale.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Usage per item and business day, with each item's name and unit.
type UsageRows = (Vec<DailyUsageRow>, Vec<ItemUnitRow>);

/// Reads usage per item and business day in `[from, to)` at the locations of `scope`, one
/// query per span of constant UTC offset, and each item's name and unit.
async fn usage_rows(
    tx: &mut dyn TenantTx,
    scope: LocationScope,
    cal: Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<UsageRows, AppError> {
    let mut days = Vec::new();
    for (a, b, offset) in cal.spans(from, to) {
        days.extend(tx.usage_by_day(scope, a, b, offset).await?);
    }
    Ok((days, tx.all_item_units().await?))
}

/// Sums daily usage into the tenant's weeks (every week of `[from, to)` present, zeros
/// included), the `top` items by total usage first.
fn usage_series(
    days: Vec<DailyUsageRow>,
    items: Vec<ItemUnitRow>,
    cal: Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    top: usize,
) -> Vec<UsageSeries> {
    let info: HashMap<ItemId, (String, BaseUnit)> = items
        .into_iter()
        .map(|i| (i.id, (i.name, i.base_unit)))
        .collect();
    let first_week = cal.week_of(cal.business_date(from));
    let last_week = cal.week_of(cal.business_date(to - Duration::microseconds(1)));
    let mut per_item: HashMap<ItemId, BTreeMap<NaiveDate, i128>> = HashMap::new();
    for d in days {
        let w = cal.week_of(day_date(d.day));
        *per_item.entry(d.item_id).or_default().entry(w).or_default() +=
            i128::from(d.quantity.raw());
    }
    let mut series: Vec<UsageSeries> = per_item
        .into_iter()
        .map(|(item_id, weeks)| {
            let mut all = Vec::new();
            let mut w = first_week;
            while w <= last_week {
                all.push((w, report_quantity(weeks.get(&w).copied().unwrap_or(0))));
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
                total: report_quantity(weeks.values().sum()),
                weeks: all,
            }
        })
        .collect();
    series.sort_by(|a, b| b.total.cmp(&a.total).then(a.name.cmp(&b.name)));
    series.truncate(top);
    series
}

fn top_items(rows: Vec<TopMenuItemRow>) -> Vec<TopMenuItem> {
    rows.into_iter()
        .map(|r| TopMenuItem {
            name: r.item_name,
            menu_item_id: r.menu_item_id,
            quantity: r.quantity,
            revenue: {
                let raw = div_round_half_even(r.revenue_billionths, 1000)
                    .clamp(-i128::from(Money::MAX_RAW), i128::from(Money::MAX_RAW));
                Money::from_raw(i64::try_from(raw).unwrap_or(Money::MAX_RAW))
            },
        })
        .collect()
}

/// What the dashboard asks for: a period of business days `[from, to)` and a page of stock.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DashboardQuery {
    /// First business day (default: eight whole weeks before `to`).
    pub from: Option<NaiveDate>,
    /// The business day after the last (default: the start of the week after the last sale, or after
    /// today when there is none).
    pub to: Option<NaiveDate>,
    /// The stock page's cursor.
    pub cursor: Option<String>,
}

/// Everything the dashboard shows, read in one transaction.
#[derive(Debug)]
pub struct Dashboard {
    /// The tenant's name.
    pub tenant_name: String,
    /// Whether the viewer may see reports (usage, menu mix, unmapped sales): managers and up.
    pub reports: bool,
    /// The period, business days `[from, to)`.
    pub from: NaiveDate,
    /// See `from`.
    pub to: NaiveDate,
    /// First and last sale ever (reports only).
    pub span: Option<Span>,
    /// The six ingredients used most in the period, week by week (reports only).
    pub usage: Vec<UsageSeries>,
    /// The ten menu items sold most in the period (reports only).
    pub top: Vec<TopMenuItem>,
    /// A page of stock levels (200 a page).
    pub stock: Page<StockLevel>,
    /// The tenant's locations (up to 500).
    pub locations: Vec<Location>,
    /// Names sold that map to no menu item (reports only).
    pub unmapped: Vec<UnmappedRow>,
    /// The period's last week runs past the last day with data (the last sale, or today):
    /// its usage is not a whole week's and charts should say so.
    pub partial_last_week: bool,
}

/// Rows in one dashboard stock page.
const DASHBOARD_STOCK_ROWS: u32 = 200;

impl App {
    /// The dashboard: stock on hand with its flags for everyone who may read stock, and for
    /// managers and up the period's weekly ingredient usage, menu mix and unmapped sales. The
    /// default period is the eight whole weeks of the tenant (its week start to week start) up to the last sale, or up
    /// to today when nothing was sold yet.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `from` (not before `to`) or the cursor.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn dashboard(&self, p: Principal, q: DashboardQuery) -> Result<Dashboard, AppError> {
        p.require(Permission::InventoryRead)?;
        let reports = p.role.grants(Permission::ReportsRead);
        let (stock_filter, stock_limit) = stock_filter(
            &StockQuery {
                limit: Some(DASHBOARD_STOCK_ROWS),
                cursor: q.cursor.clone(),
                ..Default::default()
            },
            p.locations,
        )?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                // A person removed from the tenant keeps a valid token for up to 15 minutes;
                // the dashboard is where a session lands, so it checks.
                tx.get_membership(p.user_id)
                    .await?
                    .ok_or(AppError::Unauthenticated("not a member of this tenant"))?;
                let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
                let cal = Calendar::of(&tenant)?;
                let span = if reports {
                    tx.sales_span(p.locations).await?
                } else {
                    None
                };
                let last = span.map_or_else(
                    || cal.business_date(Utc::now()),
                    |(_, last)| cal.business_date(last),
                );
                let to = q.to.unwrap_or(cal.week_of(last) + Duration::weeks(1));
                let today = cal.business_date(Utc::now());
                let covered_end = to.min(last.min(today) + Duration::days(1));
                let last_week_end = cal.week_of(to - Duration::days(1)) + Duration::weeks(1);
                let partial_last_week = covered_end < last_week_end;
                let from = q.from.unwrap_or(to - Duration::weeks(8));
                if from >= to {
                    return Err(AppError::invalid("from", "must be before to"));
                }
                let (start, end) = (cal.day_start(from), cal.day_start(to));
                report_period(start, end, None)?;
                let (usage, top, unmapped) = if reports {
                    let (days, items) = usage_rows(tx, p.locations, cal, start, end).await?;
                    (
                        usage_series(days, items, cal, start, end, 6),
                        top_items(tx.top_menu_items(p.locations, start, end, 10).await?),
                        tx.unmapped_sales(p.locations).await?,
                    )
                } else {
                    (Vec::new(), Vec::new(), Vec::new())
                };
                let stock = stock_page(tx.list_stock(&stock_filter).await?, stock_limit);
                let locations = tx
                    .list_locations(p.locations, None, 500)
                    .await?
                    .into_iter()
                    .map(Location::from)
                    .collect();
                Ok(Dashboard {
                    tenant_name: tenant.name,
                    reports,
                    from,
                    to,
                    span,
                    usage,
                    top,
                    stock,
                    locations,
                    unmapped,
                    partial_last_week,
                })
            })
        })
        .await
    }

    /// Theoretical usage (sale movements) per ingredient per week in `[from, to)`, the `top`
    /// ingredients by total usage, at a limited member's locations only. Weeks start on the tenant's week start and days are the tenant's business
    /// days (its time zone, its day cutoff), daylight saving included.
    ///
    /// # Errors
    /// 403 without `reports.read`; 422 as [`report_period`] says.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn weekly_usage(
        &self,
        p: Principal,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: Option<u32>,
    ) -> Result<Vec<UsageSeries>, AppError> {
        p.require(Permission::ReportsRead)?;
        let top = report_period(from, to, limit)? as usize;
        if from == to {
            return Ok(Vec::new());
        }
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
                let cal = Calendar::of(&tenant)?;
                let (days, items) = usage_rows(tx, p.locations, cal, from, to).await?;
                Ok(usage_series(days, items, cal, from, to, top))
            })
        })
        .await
    }

    /// As [`App::weekly_usage`] for every item over any period, for operator commands (the
    /// demo derives par levels from the whole history). Not offered over HTTP: its answer
    /// grows with weeks x items.
    ///
    /// # Errors
    /// 403 without `reports.read`; 422 when `from` is not before `to`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn weekly_usage_of_history(
        &self,
        p: Principal,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<UsageSeries>, AppError> {
        p.require(Permission::ReportsRead)?;
        if from >= to {
            return Err(AppError::invalid("from", "must be before to"));
        }
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
                let cal = Calendar::of(&tenant)?;
                let (days, items) = usage_rows(tx, p.locations, cal, from, to).await?;
                Ok(usage_series(days, items, cal, from, to, usize::MAX))
            })
        })
        .await
    }

    /// Menu items by quantity sold in `[from, to)`, at a limited member's locations only.
    ///
    /// # Errors
    /// 403 without `reports.read`; 422 as [`report_period`] says.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn top_menu_items(
        &self,
        p: Principal,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: Option<u32>,
    ) -> Result<Vec<TopMenuItem>, AppError> {
        p.require(Permission::ReportsRead)?;
        let limit = report_period(from, to, limit)?;
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.top_menu_items(p.locations, from, to, limit)
                    .await
                    .map_err(AppError::from)
            })
        })
        .await?;
        Ok(top_items(rows))
    }

    /// First and last sale of the tenant (of a limited member's locations), for choosing a
    /// default period.
    ///
    /// # Errors
    /// 403 without `reports.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn sales_span(&self, p: Principal) -> Result<Option<Span>, AppError> {
        p.require(Permission::ReportsRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.sales_span(p.locations).await.map_err(AppError::from) })
        })
        .await
    }

    /// The tenant's business calendar.
    ///
    /// # Errors
    /// 404 when the tenant does not exist; 500 when its zone is not an IANA name.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %tenant))]
    pub async fn calendar(&self, tenant: TenantId) -> Result<Calendar, AppError> {
        let t = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move { tx.get_tenant().await.map_err(AppError::from) })
        })
        .await?
        .ok_or(AppError::NotFound("tenant"))?;
        Calendar::of(&t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> Calendar {
        Calendar {
            tz: "Europe/London".parse().unwrap_or(Tz::UTC),
            cutoff_minutes: 240,
            week_start: WeekStart::Monday,
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
