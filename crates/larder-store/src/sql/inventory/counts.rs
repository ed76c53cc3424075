//! inventory's statements for stock counts (ADR 019): headers, sheets, counted lines,
//! approval results, and the reads variance needs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::inventory::counts::{CountScope, CountStatus, Thresholds};
use larder_core::{BaseUnit, ItemId, LocationId, Quantity, StockCountId, StorageAreaId};

use crate::sql::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    CountLevelRow, CountLineRow, CountResultRow, CountSheetLine, CountSheetRow, CountStatusChange,
    CountTx, SheetSourceRow, StockCountFilter, StockCountRow, StoreError,
};

const SHEET_SOURCE: &str = "SELECT ia.item_id, ia.storage_area_id
     FROM item_storage_areas ia
     JOIN storage_areas a ON a.tenant_id = ia.tenant_id AND a.id = ia.storage_area_id
     JOIN items i ON i.tenant_id = ia.tenant_id AND i.id = ia.item_id
     WHERE ia.tenant_id = $1 AND a.location_id = $2 AND a.retired_at IS NULL
       AND ($3 IS NULL OR a.id = $3)
     ORDER BY a.position, a.name, a.id, ia.shelf_order, i.name, i.id";
/// The levels, then each item's movements after the instant: a level row has no
/// `occurred_at`. Two branches rather than a LEFT JOIN, so the later movements are one range of
/// `stock_movements_location_occurred` (the LEFT JOIN scanned every movement of each item at
/// the location, once per level).
const COUNT_BOOK: &str = "SELECT item_id, on_hand, unit_cost, occurred_at, quantity FROM (
       SELECT s.item_id AS item_id, s.on_hand AS on_hand,
              COALESCE(s.last_cost, i.unit_cost) AS unit_cost,
              CAST(NULL AS TIMESTAMPTZ) AS occurred_at, CAST(NULL AS BIGINT) AS quantity, 0 AS k
       FROM stock_levels s
       JOIN items i ON i.tenant_id = s.tenant_id AND i.id = s.item_id
       WHERE s.tenant_id = $1 AND s.location_id = $2
       UNION ALL
       SELECT m.item_id, 0, 0, m.occurred_at, m.quantity, 1
       FROM stock_movements m
       WHERE m.tenant_id = $1 AND m.location_id = $2 AND m.occurred_at > $3
     ) b ORDER BY item_id, k";
const INSERT_COUNT: &str = "INSERT INTO stock_counts (tenant_id, id, location_id,
     storage_area_id, scope, blind, status, threshold_percent, threshold_value, note,
     started_at, started_by, approved_at, approved_by, cancelled_at, cancelled_by, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
const INSERT_SHEET: &str = "INSERT INTO stock_count_sheet (tenant_id, stock_count_id, line_no,
     item_id, storage_area_id) VALUES ($1, $2, $3, $4, $5)";
const GET_COUNT: &str = "SELECT id, location_id, storage_area_id, scope, blind, status,
     threshold_percent, threshold_value, note, started_at, started_by, approved_at,
     approved_by, cancelled_at, cancelled_by, version
     FROM stock_counts WHERE tenant_id = $1 AND id = $2";
const LIST_COUNTS: &str = "SELECT id, location_id, storage_area_id, scope, blind, status,
     threshold_percent, threshold_value, note, started_at, started_by, approved_at,
     approved_by, cancelled_at, cancelled_by, version
     FROM stock_counts WHERE tenant_id = $1
       AND ($2 IS NULL OR location_id = $2)
       AND ($3 IS NULL OR status = $3)
       AND ($4 IS NULL OR id < $4)
       AND ($6 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $6))
     ORDER BY id DESC LIMIT $5";
const SHEET: &str = "SELECT s.line_no, s.item_id, i.name, i.base_unit, s.storage_area_id, a.name
     FROM stock_count_sheet s
     JOIN items i ON i.tenant_id = s.tenant_id AND i.id = s.item_id
     LEFT JOIN storage_areas a ON a.tenant_id = s.tenant_id AND a.id = s.storage_area_id
     WHERE s.tenant_id = $1 AND s.stock_count_id = $2
     ORDER BY s.line_no";
/// Moves an open count's version on: the lock a line takes against a racing approval.
const TOUCH_OPEN: &str = "UPDATE stock_counts SET version = version + 1
     WHERE tenant_id = $1 AND id = $2 AND status = 'open'";
const COUNT_EXISTS: &str = "SELECT version FROM stock_counts WHERE tenant_id = $1 AND id = $2";
const INSERT_LINE: &str = "INSERT INTO stock_count_lines (tenant_id, id, stock_count_id,
     item_id, storage_area_id, quantity, amount, on_sheet, counted_at, counted_by, recorded_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const LINES: &str = "SELECT id, stock_count_id, item_id, storage_area_id, quantity, amount,
     on_sheet, counted_at, counted_by, recorded_at
     FROM stock_count_lines WHERE tenant_id = $1 AND stock_count_id = $2
     ORDER BY recorded_at, id";
const SET_STATUS: &str = "UPDATE stock_counts SET status = $3,
     approved_at = $4, approved_by = $5, cancelled_at = $6, cancelled_by = $7,
     version = version + 1
     WHERE tenant_id = $1 AND id = $2 AND status = 'open' AND ($8 IS NULL OR version = $8)";
const INSERT_RESULT: &str = "INSERT INTO stock_count_results (tenant_id, stock_count_id,
     item_id, counted, book, at, adjustment, movement_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const RESULTS: &str = "SELECT item_id, counted, book, at, adjustment, movement_id
     FROM stock_count_results WHERE tenant_id = $1 AND stock_count_id = $2 ORDER BY item_id";

fn count(mut r: Row) -> R<StockCountRow> {
    Ok(StockCountRow {
        id: r.get()?,
        location_id: r.get()?,
        storage_area_id: r.get()?,
        scope: r.spelled::<CountScope>()?,
        blind: r.get::<i64>()? == 1,
        status: r.spelled::<CountStatus>()?,
        thresholds: Thresholds {
            percent: r.get()?,
            value: r.get()?,
        },
        note: r.get()?,
        started_at: r.get()?,
        started_by: r.get()?,
        approved_at: r.get()?,
        approved_by: r.get()?,
        cancelled_at: r.get()?,
        cancelled_by: r.get()?,
        version: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> CountTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn count_sheet_source(
        &mut self,
        location: LocationId,
        area: Option<StorageAreaId>,
    ) -> R<Vec<SheetSourceRow>> {
        rows(
            self.exec
                .fetch_all(SHEET_SOURCE, args![self.tenant, location, area])
                .await?,
            |mut r| {
                Ok(SheetSourceRow {
                    item_id: r.get()?,
                    storage_area_id: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn count_book(
        &mut self,
        location: LocationId,
        after: DateTime<Utc>,
    ) -> R<Vec<CountLevelRow>> {
        let mut out: Vec<CountLevelRow> = Vec::new();
        for mut r in self
            .exec
            .fetch_all(COUNT_BOOK, args![self.tenant, location, after])
            .await?
        {
            let item_id: ItemId = r.get()?;
            let on_hand: Quantity = r.get()?;
            let unit_cost = r.get()?;
            let occurred: Option<DateTime<Utc>> = r.get()?;
            let quantity: Option<Quantity> = r.get()?;
            match (occurred, quantity) {
                (Some(t), Some(q)) => {
                    if let Some(l) = out.last_mut().filter(|l| l.item_id == item_id) {
                        l.later.push((t, q));
                    }
                }
                _ => out.push(CountLevelRow {
                    item_id,
                    on_hand,
                    unit_cost,
                    later: Vec::new(),
                }),
            }
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, lines = sheet.len()))]
    async fn insert_stock_count(&mut self, c: &StockCountRow, sheet: &[CountSheetRow]) -> R<()> {
        self.exec
            .execute(
                INSERT_COUNT,
                args![
                    self.tenant,
                    c.id,
                    c.location_id,
                    c.storage_area_id,
                    c.scope.as_str(),
                    i64::from(c.blind),
                    c.status.as_str(),
                    c.thresholds.percent,
                    c.thresholds.value,
                    c.note,
                    c.started_at,
                    c.started_by,
                    c.approved_at,
                    c.approved_by,
                    c.cancelled_at,
                    c.cancelled_by,
                    c.version
                ],
            )
            .await?;
        for s in sheet {
            self.exec
                .execute(
                    INSERT_SHEET,
                    args![self.tenant, c.id, s.line_no, s.item_id, s.storage_area_id],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_stock_count(&mut self, id: StockCountId) -> R<Option<StockCountRow>> {
        self.exec
            .fetch_optional(GET_COUNT, args![self.tenant, id])
            .await?
            .map(count)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_stock_counts(&mut self, f: &StockCountFilter) -> R<Vec<StockCountRow>> {
        let status = f.status.map(CountStatus::as_str);
        rows(
            self.exec
                .fetch_all(
                    LIST_COUNTS,
                    args![
                        self.tenant,
                        f.location,
                        status,
                        f.before,
                        i64::from(f.limit),
                        f.scope.member()
                    ],
                )
                .await?,
            count,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn stock_count_sheet(&mut self, id: StockCountId) -> R<Vec<CountSheetLine>> {
        rows(
            self.exec.fetch_all(SHEET, args![self.tenant, id]).await?,
            |mut r| {
                Ok(CountSheetLine {
                    line_no: r.get()?,
                    item_id: r.get()?,
                    item_name: r.get()?,
                    base_unit: r.spelled::<BaseUnit>()?,
                    storage_area_id: r.get()?,
                    area_name: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_count_line(&mut self, l: &CountLineRow) -> R<()> {
        let n = self
            .exec
            .execute(TOUCH_OPEN, args![self.tenant, l.stock_count_id])
            .await?;
        if n != 1 {
            return match self
                .exec
                .fetch_optional(COUNT_EXISTS, args![self.tenant, l.stock_count_id])
                .await?
            {
                Some(_) => Err(StoreError::Conflict {
                    constraint: "stock_counts_status".into(),
                }),
                None => Err(StoreError::NotFound),
            };
        }
        self.exec
            .execute(
                INSERT_LINE,
                args![
                    self.tenant,
                    l.id,
                    l.stock_count_id,
                    l.item_id,
                    l.storage_area_id,
                    l.quantity,
                    l.amount,
                    i64::from(l.on_sheet),
                    l.counted_at,
                    l.counted_by,
                    l.recorded_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn count_lines(&mut self, id: StockCountId) -> R<Vec<CountLineRow>> {
        rows(
            self.exec.fetch_all(LINES, args![self.tenant, id]).await?,
            |mut r| {
                Ok(CountLineRow {
                    id: r.get()?,
                    stock_count_id: r.get()?,
                    item_id: r.get()?,
                    storage_area_id: r.get()?,
                    quantity: r.get()?,
                    amount: r.get()?,
                    on_sheet: r.get::<i64>()? == 1,
                    counted_at: r.get()?,
                    counted_by: r.get()?,
                    recorded_at: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_stock_count_status(&mut self, c: &CountStatusChange) -> R<()> {
        let approved = c.to == CountStatus::Approved;
        let (approved_at, approved_by) = if approved {
            (Some(c.at), Some(c.by))
        } else {
            (None, None)
        };
        let (cancelled_at, cancelled_by) = if approved {
            (None, None)
        } else {
            (Some(c.at), Some(c.by))
        };
        let n = self
            .exec
            .execute(
                SET_STATUS,
                args![
                    self.tenant,
                    c.id,
                    c.to.as_str(),
                    approved_at,
                    approved_by,
                    cancelled_at,
                    cancelled_by,
                    c.expected_version
                ],
            )
            .await?;
        self.versioned(n, COUNT_EXISTS, c.id.as_uuid(), "stock_counts")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, items = results.len()))]
    async fn insert_count_results(
        &mut self,
        id: StockCountId,
        results: &[CountResultRow],
    ) -> R<()> {
        for x in results {
            self.exec
                .execute(
                    INSERT_RESULT,
                    args![
                        self.tenant,
                        id,
                        x.item_id,
                        x.counted,
                        x.book,
                        x.at,
                        x.adjustment,
                        x.movement_id
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn count_results(&mut self, id: StockCountId) -> R<Vec<CountResultRow>> {
        rows(
            self.exec.fetch_all(RESULTS, args![self.tenant, id]).await?,
            |mut r| {
                Ok(CountResultRow {
                    item_id: r.get()?,
                    counted: r.get()?,
                    book: r.get()?,
                    at: r.get()?,
                    adjustment: r.get()?,
                    movement_id: r.get()?,
                })
            },
        )
    }
}
