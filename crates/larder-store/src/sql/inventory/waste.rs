//! inventory's statements for waste entries, the waste report's sums and what a reversal
//! reads (ADR 020). Every statement is written once: the report sums by `occurred_at` and
//! leaves business days to the app, so no dialect is needed.

use async_trait::async_trait;
use larder_core::inventory::WasteReason;
use larder_core::{BaseUnit, LotId, MovementId, WasteEntryId};
use uuid::Uuid;

use super::{lot, movement};
use crate::sql::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    LotRow, MovementRow, WasteEntryFilter, WasteEntryRow, WasteInstantRow, WasteLineRow,
    WasteReportFilter, WasteTotalRow, WasteTx,
};

const INSERT_ENTRY: &str = "INSERT INTO waste_entries (tenant_id, id, location_id, reason,
     note, item_id, recipe_id, quantity, amount, occurred_at, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const INSERT_LINE: &str = "INSERT INTO waste_entry_lines (tenant_id, waste_entry_id, line_no,
     item_id, quantity, value, movement_id) VALUES ($1, $2, $3, $4, $5, $6, $7)";
const GET_ENTRY: &str = "SELECT id, location_id, reason, note, item_id, recipe_id, quantity,
     amount, occurred_at, created_by, created_at
     FROM waste_entries WHERE tenant_id = $1 AND id = $2";
const ENTRY_LINES: &str = "SELECT l.line_no, l.item_id, l.quantity, l.value, l.movement_id,
     r.id
     FROM waste_entry_lines l
     LEFT JOIN stock_movements r ON r.tenant_id = l.tenant_id AND r.reverses = l.movement_id
     WHERE l.tenant_id = $1 AND l.waste_entry_id = $2
     ORDER BY l.line_no";
const LIST_ENTRIES: &str = "SELECT id, location_id, reason, note, item_id, recipe_id, quantity,
     amount, occurred_at, created_by, created_at
     FROM waste_entries WHERE tenant_id = $1
       AND ($2 IS NULL OR location_id = $2)
       AND ($3 IS NULL OR reason = $3)
       AND ($4 IS NULL OR occurred_at >= $4)
       AND ($5 IS NULL OR occurred_at < $5)
       AND ($6 IS NULL OR id < $6)
       AND ($8 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $8))
     ORDER BY id DESC LIMIT $7";
/// A reversal counts under the reason of the movement it reverses (its own `reason` says why
/// it was reversed), so an entry and its reversal net to nothing in every grouping.
const WASTE_TOTALS: &str = "SELECT m.item_id, i.name, i.base_unit, i.category, m.location_id,
     l.name, COALESCE(o.reason, m.reason) AS why,
     CAST(-SUM(m.quantity) AS BIGINT), CAST(-SUM(m.value) AS BIGINT)
     FROM stock_movements m
     JOIN items i ON i.tenant_id = m.tenant_id AND i.id = m.item_id
     JOIN locations l ON l.tenant_id = m.tenant_id AND l.id = m.location_id
     LEFT JOIN stock_movements o ON o.tenant_id = m.tenant_id AND o.id = m.reverses
     WHERE m.tenant_id = $1 AND m.kind = 'waste'
       AND m.occurred_at >= $2 AND m.occurred_at < $3
       AND ($4 IS NULL OR m.location_id = $4)
       AND ($5 IS NULL OR m.location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $5))
     GROUP BY m.item_id, i.name, i.base_unit, i.category, m.location_id, l.name,
              COALESCE(o.reason, m.reason)
     ORDER BY i.name, m.item_id, l.name, m.location_id LIMIT $6";
const WASTE_BY_INSTANT: &str = "SELECT m.occurred_at, CAST(-SUM(m.value) AS BIGINT)
     FROM stock_movements m
     WHERE m.tenant_id = $1 AND m.kind = 'waste'
       AND m.occurred_at >= $2 AND m.occurred_at < $3
       AND ($4 IS NULL OR m.location_id = $4)
       AND ($5 IS NULL OR m.location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $5))
     GROUP BY m.occurred_at ORDER BY m.occurred_at LIMIT $6";
const REVERSAL_OF: &str = "SELECT id, item_id, location_id, kind, quantity, unit_cost,
     reason, sale_id, created_by, occurred_at, recorded_at, value, cost_variance, shortfall,
     settled, reverses
     FROM stock_movements WHERE tenant_id = $1 AND reverses = $2";
const GET_LOT: &str = "SELECT id, item_id, location_id, code, expires_on, received_at,
     received_quantity, unit_cost, remaining, remaining_value, movement_id
     FROM lots WHERE tenant_id = $1 AND id = $2";

fn entry(mut r: Row) -> R<WasteEntryRow> {
    Ok(WasteEntryRow {
        id: WasteEntryId::from_uuid(r.get::<Uuid>()?),
        location_id: r.get()?,
        reason: r.spelled::<WasteReason>()?,
        note: r.get()?,
        item_id: r.get()?,
        recipe_id: r.get()?,
        quantity: r.get()?,
        amount: r.get()?,
        occurred_at: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

fn line(mut r: Row) -> R<WasteLineRow> {
    Ok(WasteLineRow {
        line_no: r.get::<i64>()?.try_into().unwrap_or(0),
        item_id: r.get()?,
        quantity: r.get()?,
        value: r.get()?,
        movement_id: r.get()?,
        reversed_by: r.get::<Option<MovementId>>()?,
    })
}

fn total(mut r: Row) -> R<WasteTotalRow> {
    Ok(WasteTotalRow {
        item_id: r.get()?,
        item_name: r.get()?,
        base_unit: r.spelled::<BaseUnit>()?,
        category: r.get()?,
        location_id: r.get()?,
        location_name: r.get()?,
        reason: r.get()?,
        quantity: r.get()?,
        value: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> WasteTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, lines = lines.len()))]
    async fn insert_waste_entry(&mut self, e: &WasteEntryRow, lines: &[WasteLineRow]) -> R<()> {
        self.exec
            .execute(
                INSERT_ENTRY,
                args![
                    self.tenant,
                    e.id.as_uuid(),
                    e.location_id,
                    e.reason.as_str(),
                    e.note,
                    e.item_id,
                    e.recipe_id,
                    e.quantity,
                    e.amount,
                    e.occurred_at,
                    e.created_by,
                    e.created_at
                ],
            )
            .await?;
        for l in lines {
            self.exec
                .execute(
                    INSERT_LINE,
                    args![
                        self.tenant,
                        e.id.as_uuid(),
                        l.line_no,
                        l.item_id,
                        l.quantity,
                        l.value,
                        l.movement_id
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_waste_entry(&mut self, id: WasteEntryId) -> R<Option<WasteEntryRow>> {
        self.exec
            .fetch_optional(GET_ENTRY, args![self.tenant, id.as_uuid()])
            .await?
            .map(entry)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn waste_entry_lines(&mut self, id: WasteEntryId) -> R<Vec<WasteLineRow>> {
        rows(
            self.exec
                .fetch_all(ENTRY_LINES, args![self.tenant, id.as_uuid()])
                .await?,
            line,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_waste_entries(&mut self, f: &WasteEntryFilter) -> R<Vec<WasteEntryRow>> {
        let reason = f.reason.map(|r| r.as_str().to_owned());
        rows(
            self.exec
                .fetch_all(
                    LIST_ENTRIES,
                    args![
                        self.tenant,
                        f.location,
                        reason,
                        f.from,
                        f.to,
                        f.before.map(|b| b.as_uuid()),
                        i64::from(f.limit),
                        f.scope.member()
                    ],
                )
                .await?,
            entry,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn waste_totals(&mut self, f: &WasteReportFilter) -> R<Vec<WasteTotalRow>> {
        rows(
            self.exec
                .fetch_all(
                    WASTE_TOTALS,
                    args![
                        self.tenant,
                        f.from,
                        f.to,
                        f.location,
                        f.scope.member(),
                        i64::from(f.limit)
                    ],
                )
                .await?,
            total,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn waste_by_instant(&mut self, f: &WasteReportFilter) -> R<Vec<WasteInstantRow>> {
        rows(
            self.exec
                .fetch_all(
                    WASTE_BY_INSTANT,
                    args![
                        self.tenant,
                        f.from,
                        f.to,
                        f.location,
                        f.scope.member(),
                        i64::from(f.limit)
                    ],
                )
                .await?,
            |mut r| {
                Ok(WasteInstantRow {
                    occurred_at: r.get()?,
                    value: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn reversal_of(&mut self, id: MovementId) -> R<Option<MovementRow>> {
        self.exec
            .fetch_optional(REVERSAL_OF, args![self.tenant, id])
            .await?
            .map(movement)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_lot(&mut self, id: LotId) -> R<Option<LotRow>> {
        self.exec
            .fetch_optional(GET_LOT, args![self.tenant, id])
            .await?
            .map(lot)
            .transpose()
    }
}
