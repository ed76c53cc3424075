//! analytics' statements: usage by day (a [`Dialect`](super::Dialect) statement: day
//! arithmetic differs), menu mix, the span of sales; actual vs theoretical in [`avt`].

mod avt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::Quantity;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{AnalyticsTx, DailyUsageRow, LocationScope, TopMenuItemRow};

/// Quantity sold per name, menu item and price: the revenue (quantity x price, up to
/// 10^33 billionths) is summed in Rust in 128 bits, since a 64-bit product in SQL overflows
/// for a line of a million portions at ten thousand each.
const TOP_MENU_ITEMS: &str = "SELECT item_name, menu_item_id, unit_price,
     CAST(SUM(quantity) AS BIGINT)
     FROM sale_lines
     WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
       AND ($4 IS NULL OR sale_id IN (SELECT s.id FROM sales s
            JOIN member_locations ml ON ml.tenant_id = s.tenant_id
                                    AND ml.location_id = s.location_id
            WHERE s.tenant_id = $1 AND ml.user_id = $4
              AND s.occurred_at >= $2 AND s.occurred_at < $3))
     GROUP BY item_name, menu_item_id, unit_price";
const SALES_SPAN: &str = "SELECT MIN(occurred_at), MAX(occurred_at) FROM sales
     WHERE tenant_id = $1
       AND ($2 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $2))";

fn daily_usage(mut r: Row) -> R<DailyUsageRow> {
    Ok(DailyUsageRow {
        day: r.get()?,
        item_id: r.get()?,
        quantity: r.get()?,
    })
}

/// Folds rows of (name, menu item, price, quantity) into the `limit` names sold most, by
/// quantity then name, with exact revenue; a quantity beyond [`Quantity`]'s range shows at its
/// limit.
fn top_menu_items(rows: Vec<Row>, limit: u32) -> R<Vec<TopMenuItemRow>> {
    use std::collections::HashMap;
    let mut by_name: HashMap<(String, Option<larder_core::MenuItemId>), (i128, i128)> =
        HashMap::new();
    for mut r in rows {
        let name: String = r.get()?;
        let menu: Option<larder_core::MenuItemId> = r.get()?;
        let price: larder_core::Money = r.get()?;
        let qty: i64 = r.get()?;
        let slot = by_name.entry((name, menu)).or_default();
        slot.0 += i128::from(qty);
        slot.1 += i128::from(qty) * i128::from(price.raw());
    }
    let max = i128::from(Quantity::MAX_RAW);
    let mut out: Vec<TopMenuItemRow> = by_name
        .into_iter()
        .map(
            |((item_name, menu_item_id), (qty, revenue))| TopMenuItemRow {
                item_name,
                menu_item_id,
                quantity: Quantity::from_raw(i64::try_from(qty.clamp(-max, max)).unwrap_or(0)),
                revenue_billionths: revenue,
            },
        )
        .collect();
    out.sort_by(|a, b| {
        b.quantity
            .cmp(&a.quantity)
            .then_with(|| a.item_name.cmp(&b.item_name))
    });
    out.truncate(limit as usize);
    Ok(out)
}

#[async_trait]
impl<E: Exec> AnalyticsTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn usage_by_day(
        &mut self,
        scope: LocationScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_seconds: i64,
    ) -> R<Vec<DailyUsageRow>> {
        let sql = self.exec.dialect().usage_by_day;
        rows(
            self.exec
                .fetch_all(
                    sql,
                    args![self.tenant, from, to, offset_seconds, scope.member()],
                )
                .await?,
            daily_usage,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn top_menu_items(
        &mut self,
        scope: LocationScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<TopMenuItemRow>> {
        top_menu_items(
            self.exec
                .fetch_all(TOP_MENU_ITEMS, args![self.tenant, from, to, scope.member()])
                .await?,
            limit,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn sales_span(
        &mut self,
        scope: LocationScope,
    ) -> R<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let Some(mut r) = self
            .exec
            .fetch_optional(SALES_SPAN, args![self.tenant, scope.member()])
            .await?
        else {
            return Ok(None);
        };
        let min: Option<DateTime<Utc>> = r.get()?;
        let max: Option<DateTime<Utc>> = r.get()?;
        Ok(min.zip(max))
    }
}
