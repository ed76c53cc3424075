//! AvT's statements (ADR 024): the ledger summed per item and bucket for one location, its
//! levels, and the completeness gate's reads. The movement sums run on the covering index
//! `stock_movements_location_occurred` (tenant, location, occurred_at, item, kind, quantity,
//! value; migration 20261208000008) as one range scan; the days with sales on
//! `sales_location_occurred`; counts on `stock_counts_location`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::inventory::MovementKind;
use larder_core::{BaseUnit, LocationId, Money, Quantity, StockCountId};
use uuid::Uuid;

use super::super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    AvtBucket, AvtCountRow, AvtDirection, AvtLevelRow, AvtOrderRow, AvtSumRow, AvtTx,
    AvtUnmappedRow, StoreError,
};

/// The movements before `$4` (the period's end), before `$3` (its start) as one bucket.
const SUMS_FORWARD: &str = "SELECT s.item_id, i.name, i.category, i.base_unit, s.bucket, s.q, s.v
     FROM (SELECT item_id,
                  CASE WHEN occurred_at < $3 THEN 'before' ELSE kind END AS bucket,
                  CAST(SUM(quantity) AS BIGINT) AS q, CAST(SUM(value) AS BIGINT) AS v
           FROM stock_movements
           WHERE tenant_id = $1 AND location_id = $2 AND occurred_at < $4
           GROUP BY item_id, bucket) s
     JOIN items i ON i.tenant_id = $1 AND i.id = s.item_id
     ORDER BY s.item_id, s.bucket";
/// The movements at or after `$3` (the period's start), at or after `$4` (its end) as one
/// bucket.
const SUMS_BACKWARD: &str = "SELECT s.item_id, i.name, i.category, i.base_unit, s.bucket, s.q, s.v
     FROM (SELECT item_id,
                  CASE WHEN occurred_at >= $4 THEN 'after' ELSE kind END AS bucket,
                  CAST(SUM(quantity) AS BIGINT) AS q, CAST(SUM(value) AS BIGINT) AS v
           FROM stock_movements
           WHERE tenant_id = $1 AND location_id = $2 AND occurred_at >= $3
           GROUP BY item_id, bucket) s
     JOIN items i ON i.tenant_id = $1 AND i.id = s.item_id
     ORDER BY s.item_id, s.bucket";
/// Two subqueries, so each is one seek at an end of the index (SQLite optimises a lone MIN or
/// MAX, not both in one select: that scans the location's whole history).
const LEDGER_SPAN: &str = "SELECT
     (SELECT MIN(occurred_at) FROM stock_movements WHERE tenant_id = $1 AND location_id = $2),
     (SELECT MAX(occurred_at) FROM stock_movements WHERE tenant_id = $1 AND location_id = $2)";
const LEVELS: &str = "SELECT l.item_id, i.name, i.category, i.base_unit, l.on_hand, l.value
     FROM stock_levels l JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
     WHERE l.tenant_id = $1 AND l.location_id = $2
     ORDER BY l.item_id";
const UNMAPPED: &str = "SELECT sl.item_name, COUNT(*), CAST(SUM(sl.quantity) AS BIGINT)
     FROM sale_lines sl
     JOIN sales s ON s.tenant_id = sl.tenant_id AND s.id = sl.sale_id
     WHERE sl.tenant_id = $1 AND s.location_id = $2 AND sl.occurred_at >= $3
       AND sl.occurred_at < $4 AND sl.menu_item_id IS NULL
     GROUP BY sl.item_name
     ORDER BY COUNT(*) DESC, sl.item_name LIMIT $5";
const ORDERS_DUE: &str = "SELECT number, status, expected_delivery FROM purchase_orders
     WHERE tenant_id = $1 AND location_id = $2
       AND status IN ('approved', 'sent', 'partially_received')
       AND expected_delivery >= $3 AND expected_delivery <= $4
     ORDER BY number LIMIT $5";
const COUNT: &str = "SELECT id, location_id, scope, status, started_at, started_by, approved_at
     FROM stock_counts WHERE tenant_id = $1 AND id = $2";
const OPEN_COUNTS: &str = "SELECT id, location_id, scope, status, started_at, started_by,
     approved_at
     FROM stock_counts
     WHERE tenant_id = $1 AND location_id = $2 AND status = 'open' AND started_at < $3
     ORDER BY started_at, id LIMIT $4";
const APPROVED_COUNTS: &str = "SELECT id, location_id, scope, status, started_at, started_by,
     approved_at
     FROM stock_counts
     WHERE tenant_id = $1 AND location_id = $2 AND status = 'approved'
       AND ($3 IS NULL OR approved_at >= $3) AND ($4 IS NULL OR approved_at <= $4)
     ORDER BY approved_at DESC, id DESC LIMIT $5";

fn bucket(spelled: &str) -> R<AvtBucket> {
    Ok(match spelled {
        "before" => AvtBucket::Before,
        "after" => AvtBucket::After,
        kind => AvtBucket::In(
            kind.parse::<MovementKind>()
                .map_err(|_| StoreError::Other(format!("unknown movement kind '{kind}'")))?,
        ),
    })
}

fn sum_row(mut r: Row) -> R<AvtSumRow> {
    Ok(AvtSumRow {
        item_id: r.get()?,
        name: r.get()?,
        category: r.get()?,
        base_unit: r.spelled::<BaseUnit>()?,
        bucket: bucket(&r.get::<String>()?)?,
        quantity: Quantity::from_raw(r.get::<i64>()?),
        value: Money::from_raw(r.get::<i64>()?),
    })
}

fn level_row(mut r: Row) -> R<AvtLevelRow> {
    Ok(AvtLevelRow {
        item_id: r.get()?,
        name: r.get()?,
        category: r.get()?,
        base_unit: r.spelled::<BaseUnit>()?,
        on_hand: r.get()?,
        value: r.get()?,
    })
}

fn count_row(mut r: Row) -> R<AvtCountRow> {
    Ok(AvtCountRow {
        id: StockCountId::from_uuid(r.get::<Uuid>()?),
        location_id: r.get()?,
        scope: r.get()?,
        status: r.get()?,
        started_at: r.get()?,
        started_by: r.get()?,
        approved_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> AvtTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_ledger_span(
        &mut self,
        location: LocationId,
    ) -> R<Option<(DateTime<Utc>, DateTime<Utc>)>> {
        let Some(mut r) = self
            .exec
            .fetch_optional(LEDGER_SPAN, args![self.tenant, location])
            .await?
        else {
            return Ok(None);
        };
        let min: Option<DateTime<Utc>> = r.get()?;
        let max: Option<DateTime<Utc>> = r.get()?;
        Ok(min.zip(max))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_movement_sums(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        direction: AvtDirection,
    ) -> R<Vec<AvtSumRow>> {
        let sql = match direction {
            AvtDirection::Forward => SUMS_FORWARD,
            AvtDirection::Backward => SUMS_BACKWARD,
        };
        rows(
            self.exec
                .fetch_all(sql, args![self.tenant, location, from, to])
                .await?,
            sum_row,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_levels(&mut self, location: LocationId) -> R<Vec<AvtLevelRow>> {
        rows(
            self.exec
                .fetch_all(LEVELS, args![self.tenant, location])
                .await?,
            level_row,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_unmapped_sales(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<AvtUnmappedRow>> {
        rows(
            self.exec
                .fetch_all(
                    UNMAPPED,
                    args![self.tenant, location, from, to, i64::from(limit)],
                )
                .await?,
            |mut r| {
                Ok(AvtUnmappedRow {
                    item_name: r.get()?,
                    lines: r.get()?,
                    quantity: Quantity::from_raw(r.get::<i64>()?),
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_orders_due(
        &mut self,
        location: LocationId,
        first: NaiveDate,
        last: NaiveDate,
        limit: u32,
    ) -> R<Vec<AvtOrderRow>> {
        let (first, last) = (first.to_string(), last.to_string());
        rows(
            self.exec
                .fetch_all(
                    ORDERS_DUE,
                    args![self.tenant, location, first, last, i64::from(limit)],
                )
                .await?,
            |mut r| {
                Ok(AvtOrderRow {
                    number: r.get()?,
                    status: r.get()?,
                    expected_delivery: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_sale_days(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        offset_seconds: i64,
    ) -> R<Vec<i64>> {
        let sql = self.exec.dialect().avt_sale_days;
        rows(
            self.exec
                .fetch_all(sql, args![self.tenant, location, from, to, offset_seconds])
                .await?,
            |mut r| r.get(),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_count(&mut self, id: StockCountId) -> R<Option<AvtCountRow>> {
        self.exec
            .fetch_optional(COUNT, args![self.tenant, id.as_uuid()])
            .await?
            .map(count_row)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_open_counts(
        &mut self,
        location: LocationId,
        before: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<AvtCountRow>> {
        rows(
            self.exec
                .fetch_all(
                    OPEN_COUNTS,
                    args![self.tenant, location, before, i64::from(limit)],
                )
                .await?,
            count_row,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn avt_approved_counts(
        &mut self,
        location: LocationId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u32,
    ) -> R<Vec<AvtCountRow>> {
        rows(
            self.exec
                .fetch_all(
                    APPROVED_COUNTS,
                    args![self.tenant, location, from, to, i64::from(limit)],
                )
                .await?,
            count_row,
        )
    }
}
