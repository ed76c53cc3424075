//! analytics: aggregates over the ledger and sales for reports; actual vs theoretical in
//! [`avt`].

mod avt;

pub use avt::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{ItemId, MenuItemId, Quantity};

use crate::{LocationScope, StoreError};

/// Usage of one item on one day (as offset by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyUsageRow {
    /// Days since 1970-01-01 of the (offset) day.
    pub day: i64,
    /// Item.
    pub item_id: ItemId,
    /// Removed by sales, positive.
    pub quantity: Quantity,
}

/// A menu item's sales in a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopMenuItemRow {
    /// Name as sold.
    pub item_name: String,
    /// The menu item, if mapped.
    pub menu_item_id: Option<MenuItemId>,
    /// Count sold.
    pub quantity: Quantity,
    /// Revenue before rounding: the sum of quantity (thousandths) x unit price (millionths),
    /// so billionths of the currency, exact in 128 bits; callers round it half to even to money.
    pub revenue_billionths: i128,
}

/// The analytics port.
#[async_trait]
pub trait AnalyticsTx: AvtTx + Send {
    /// Quantity removed by sale movements at locations in `scope` per item per day in
    /// `[from, to)`, where the day of an
    /// instant `t` is `floor((t + offset_seconds) / 86 400 s)` days since 1970-01-01: the caller
    /// picks the offset (UTC offset minus the day cutoff) for a span where it is constant.
    async fn usage_by_day(
        &mut self,
        scope: LocationScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_seconds: i64,
    ) -> Result<Vec<DailyUsageRow>, StoreError>;
    /// Menu items by quantity sold at locations in `scope` in `[from, to)`, `limit` at most.
    async fn top_menu_items(
        &mut self,
        scope: LocationScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TopMenuItemRow>, StoreError>;
    /// First and last sale time at locations in `scope`, if any sale exists there.
    async fn sales_span(
        &mut self,
        scope: LocationScope,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, StoreError>;
}
