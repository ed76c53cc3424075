//! analytics' statements: usage by day (a [`Dialect`](super::Dialect) statement: day
//! arithmetic differs), menu mix, the span of sales.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{AnalyticsTx, DailyUsageRow, TopMenuItemRow};

const TOP_MENU_ITEMS: &str = "SELECT item_name, menu_item_id, CAST(SUM(quantity) AS BIGINT) AS qty,
     CAST(SUM(quantity * unit_price) AS BIGINT)
     FROM sale_lines
     WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
     GROUP BY item_name, menu_item_id
     ORDER BY qty DESC, item_name LIMIT $4";
const SALES_SPAN: &str =
    "SELECT MIN(occurred_at), MAX(occurred_at) FROM sales WHERE tenant_id = $1";

fn daily_usage(mut r: Row) -> R<DailyUsageRow> {
    Ok(DailyUsageRow {
        day: r.get()?,
        item_id: r.get()?,
        quantity: r.get()?,
    })
}

fn top_menu_item(mut r: Row) -> R<TopMenuItemRow> {
    Ok(TopMenuItemRow {
        item_name: r.get()?,
        menu_item_id: r.get()?,
        quantity: r.get()?,
        revenue_billionths: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> AnalyticsTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn usage_by_day(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_seconds: i64,
    ) -> R<Vec<DailyUsageRow>> {
        let sql = self.exec.dialect().usage_by_day;
        rows(
            self.exec
                .fetch_all(sql, args![self.tenant, from, to, offset_seconds])
                .await?,
            daily_usage,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn top_menu_items(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<TopMenuItemRow>> {
        rows(
            self.exec
                .fetch_all(
                    TOP_MENU_ITEMS,
                    args![self.tenant, from, to, i64::from(limit)],
                )
                .await?,
            top_menu_item,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn sales_span(&mut self) -> R<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let Some(mut r) = self
            .exec
            .fetch_optional(SALES_SPAN, args![self.tenant])
            .await?
        else {
            return Ok(None);
        };
        let min: Option<DateTime<Utc>> = r.get()?;
        let max: Option<DateTime<Utc>> = r.get()?;
        Ok(min.zip(max))
    }
}
