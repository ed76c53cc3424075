//! Analytics for the dashboard: theoretical usage per ingredient per week, and top menu items
//! of a period.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
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

impl App {
    /// Theoretical usage (sale movements) per ingredient per week (weeks start on Monday, days
    /// are UTC days) in `[from, to)`, the `top` ingredients by total usage.
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
        let (days, items) = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                Ok::<_, AppError>((tx.usage_by_day(from, to).await?, tx.all_item_units().await?))
            })
        })
        .await?;
        let info: HashMap<ItemId, (String, BaseUnit)> = items
            .into_iter()
            .map(|i| (i.id, (i.name, i.base_unit)))
            .collect();
        let first_week = week_start(from.date_naive());
        let last_week = week_start((to - Duration::microseconds(1)).date_naive());
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
