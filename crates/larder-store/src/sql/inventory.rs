//! inventory's statements: the ledger and stock levels. Appending to the ledger is a
//! [`Dialect`](super::Dialect) batch: movements and the atomic level increments computed once
//! by [`level_deltas`](crate::level_deltas).

use async_trait::async_trait;
use larder_core::inventory::{MovementKind, MovementOrder};
use larder_core::{BaseUnit, ItemId, LocationId, MovementId, Quantity};

use super::{Column, Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    InventoryTx, LedgerMismatch, LevelDelta, MovementFilter, MovementRow, MovementTarget,
    StockFilter, StockLevelRow, level_deltas,
};

const MOVEMENT_TARGET: &str = "SELECT i.base_unit, i.unit_cost, l.id
     FROM (SELECT 1 AS one) o
     LEFT JOIN items i ON i.tenant_id = $1 AND i.id = $2
     LEFT JOIN locations l ON l.tenant_id = $1 AND l.id = $3";
const LIST_STOCK: &str = "SELECT s.item_id, i.name, i.base_unit, s.location_id, s.on_hand,
     p.par_level, p.reorder_point, s.updated_at
     FROM stock_levels s
     JOIN items i ON i.tenant_id = s.tenant_id AND i.id = s.item_id
     LEFT JOIN par_levels p ON p.tenant_id = s.tenant_id AND p.item_id = s.item_id
                           AND p.location_id = s.location_id
     WHERE s.tenant_id = $1
       AND ($2 IS NULL OR s.location_id = $2)
       AND ($3 IS NULL OR s.item_id = $3)
       AND ($4 IS NULL OR i.name > $4 OR (i.name = $4 AND (s.item_id > $5
            OR (s.item_id = $5 AND s.location_id > $6))))
       AND ($8 IS NULL OR s.location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $8))
     ORDER BY i.name, s.item_id, s.location_id LIMIT $7";
const GET_STOCK_LEVEL: &str = "SELECT on_hand FROM stock_levels
     WHERE tenant_id = $1 AND item_id = $2 AND location_id = $3";
const LIST_MOVEMENTS: &str = "SELECT id, item_id, location_id, kind, quantity, unit_cost,
     reason, sale_id, created_by, occurred_at, recorded_at
     FROM stock_movements WHERE tenant_id = $1
       AND ($2 IS NULL OR item_id = $2)
       AND ($3 IS NULL OR location_id = $3)
       AND ($4 IS NULL OR kind = $4)
       AND ($5 IS NULL OR occurred_at >= $5)
       AND ($6 IS NULL OR occurred_at < $6)
       AND ($7 IS NULL OR id < $7)
       AND ($9 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $9))
     ORDER BY id DESC LIMIT $8";
/// As [`LIST_MOVEMENTS`], latest occurred first.
const LIST_MOVEMENTS_BY_OCCURRENCE: &str = "SELECT id, item_id, location_id, kind, quantity,
     unit_cost, reason, sale_id, created_by, occurred_at, recorded_at
     FROM stock_movements WHERE tenant_id = $1
       AND ($2 IS NULL OR item_id = $2)
       AND ($3 IS NULL OR location_id = $3)
       AND ($4 IS NULL OR kind = $4)
       AND ($5 IS NULL OR occurred_at >= $5)
       AND ($6 IS NULL OR occurred_at < $6)
       AND ($10 IS NULL OR occurred_at < $10 OR (occurred_at = $10 AND id < $7))
       AND ($9 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $9))
     ORDER BY occurred_at DESC, id DESC LIMIT $8";
const GET_MOVEMENT: &str = "SELECT id, item_id, location_id, kind, quantity, unit_cost,
     reason, sale_id, created_by, occurred_at, recorded_at
     FROM stock_movements WHERE tenant_id = $1 AND id = $2";
const LEDGER_MISMATCHES: &str = "WITH sums AS (
         SELECT item_id, location_id, CAST(SUM(quantity) AS BIGINT) AS total
         FROM stock_movements WHERE tenant_id = $1 GROUP BY item_id, location_id
     ),
     levels AS (SELECT item_id, location_id, on_hand FROM stock_levels WHERE tenant_id = $1)
     SELECT l.item_id, l.location_id, l.on_hand, COALESCE(s.total, CAST(0 AS BIGINT))
       FROM levels l
       LEFT JOIN sums s ON s.item_id = l.item_id AND s.location_id = l.location_id
      WHERE l.on_hand <> COALESCE(s.total, 0)
     UNION ALL
     SELECT s.item_id, s.location_id, CAST(0 AS BIGINT), s.total
       FROM sums s
       LEFT JOIN levels l ON l.item_id = s.item_id AND l.location_id = s.location_id
      WHERE l.item_id IS NULL AND s.total <> 0";

fn movement(mut r: Row) -> R<MovementRow> {
    Ok(MovementRow {
        id: r.get()?,
        item_id: r.get()?,
        location_id: r.get()?,
        kind: r.spelled::<MovementKind>()?,
        quantity: r.get()?,
        unit_cost: r.get()?,
        reason: r.get()?,
        sale_id: r.get()?,
        created_by: r.get()?,
        occurred_at: r.get()?,
        recorded_at: r.get()?,
    })
}

fn stock_level(mut r: Row) -> R<StockLevelRow> {
    Ok(StockLevelRow {
        item_id: r.get()?,
        item_name: r.get()?,
        base_unit: r.spelled::<BaseUnit>()?,
        location_id: r.get()?,
        on_hand: r.get()?,
        par_level: r.get()?,
        reorder_point: r.get()?,
        updated_at: r.get()?,
    })
}

fn mismatch(mut r: Row) -> R<LedgerMismatch> {
    Ok(LedgerMismatch {
        item_id: r.get()?,
        location_id: r.get()?,
        on_hand: r.get()?,
        movements_sum: r.get()?,
    })
}

/// The batch columns of movements, in the order of `Dialect::insert_movements`.
fn movement_columns(ms: &[MovementRow]) -> Vec<Column> {
    vec![
        Column::Uuid(ms.iter().map(|m| Some(m.id.as_uuid())).collect()),
        Column::Uuid(ms.iter().map(|m| Some(m.item_id.as_uuid())).collect()),
        Column::Uuid(ms.iter().map(|m| Some(m.location_id.as_uuid())).collect()),
        Column::Text(
            ms.iter()
                .map(|m| Some(m.kind.as_str().to_owned()))
                .collect(),
        ),
        Column::Int(ms.iter().map(|m| Some(m.quantity.raw())).collect()),
        Column::Int(ms.iter().map(|m| m.unit_cost.map(|c| c.raw())).collect()),
        Column::Text(ms.iter().map(|m| m.reason.clone()).collect()),
        Column::Uuid(ms.iter().map(|m| m.sale_id.map(|s| s.as_uuid())).collect()),
        Column::Uuid(
            ms.iter()
                .map(|m| m.created_by.map(|u| u.as_uuid()))
                .collect(),
        ),
        Column::Time(ms.iter().map(|m| Some(m.occurred_at)).collect()),
        Column::Time(ms.iter().map(|m| Some(m.recorded_at)).collect()),
    ]
}

/// The batch columns of level increments, in the order of `Dialect::add_to_stock_levels`.
fn delta_columns(ds: &[LevelDelta]) -> Vec<Column> {
    vec![
        Column::Uuid(ds.iter().map(|d| Some(d.item_id.as_uuid())).collect()),
        Column::Uuid(ds.iter().map(|d| Some(d.location_id.as_uuid())).collect()),
        Column::Int(ds.iter().map(|d| Some(d.delta)).collect()),
        Column::Time(ds.iter().map(|d| Some(d.at)).collect()),
    ]
}

#[async_trait]
impl<E: Exec> InventoryTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, movements = movements.len()))]
    async fn append_movements(&mut self, movements: &[MovementRow]) -> R<()> {
        if movements.is_empty() {
            return Ok(());
        }
        let deltas = level_deltas(movements)?;
        let dialect = self.exec.dialect();
        let mut columns = movement_columns(movements);
        match dialect.append_ledger {
            Some(both) => {
                columns.extend(delta_columns(&deltas));
                self.exec
                    .execute_batch(both, args![self.tenant], &columns)
                    .await?;
            }
            None => {
                self.exec
                    .execute_batch(dialect.insert_movements, args![self.tenant], &columns)
                    .await?;
                self.exec
                    .execute_batch(
                        dialect.add_to_stock_levels,
                        args![self.tenant],
                        &delta_columns(&deltas),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn movement_target(&mut self, item: ItemId, location: LocationId) -> R<MovementTarget> {
        let mut r = self
            .exec
            .fetch_optional(MOVEMENT_TARGET, args![self.tenant, item, location])
            .await?
            .unwrap_or_default();
        let unit: Option<String> = r.get()?;
        let cost = r.get()?;
        let location: Option<uuid::Uuid> = r.get()?;
        let item = match unit {
            Some(u) => Some((
                u.parse::<BaseUnit>()
                    .map_err(|_| crate::StoreError::Other(format!("bad base unit '{u}'")))?,
                cost,
            )),
            None => None,
        };
        Ok(MovementTarget {
            item,
            location_exists: location.is_some(),
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_stock(&mut self, f: &StockFilter) -> R<Vec<StockLevelRow>> {
        let (name, item_after, loc_after) = f
            .after
            .clone()
            .map_or((None, None, None), |(n, i, l)| (Some(n), Some(i), Some(l)));
        rows(
            self.exec
                .fetch_all(
                    LIST_STOCK,
                    args![
                        self.tenant,
                        f.location_id,
                        f.item_id,
                        name,
                        item_after,
                        loc_after,
                        i64::from(f.limit),
                        f.scope.member()
                    ],
                )
                .await?,
            stock_level,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_stock_level(&mut self, item: ItemId, location: LocationId) -> R<Quantity> {
        match self
            .exec
            .fetch_optional(GET_STOCK_LEVEL, args![self.tenant, item, location])
            .await?
        {
            Some(mut r) => r.get(),
            None => Ok(Quantity::ZERO),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_movements(&mut self, f: &MovementFilter) -> R<Vec<MovementRow>> {
        let (kind, limit, member) = (
            f.kind.map(|k| k.as_str()),
            i64::from(f.limit),
            f.scope.member(),
        );
        let found = match f.order {
            MovementOrder::Recorded => {
                self.exec
                    .fetch_all(
                        LIST_MOVEMENTS,
                        args![
                            self.tenant,
                            f.item_id,
                            f.location_id,
                            kind,
                            f.from,
                            f.to,
                            f.before,
                            limit,
                            member
                        ],
                    )
                    .await?
            }
            MovementOrder::Occurred => {
                self.exec
                    .fetch_all(
                        LIST_MOVEMENTS_BY_OCCURRENCE,
                        args![
                            self.tenant,
                            f.item_id,
                            f.location_id,
                            kind,
                            f.from,
                            f.to,
                            f.before,
                            limit,
                            member,
                            f.before_occurred
                        ],
                    )
                    .await?
            }
        };
        rows(found, movement)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_movement(&mut self, id: MovementId) -> R<Option<MovementRow>> {
        self.exec
            .fetch_optional(GET_MOVEMENT, args![self.tenant, id])
            .await?
            .map(movement)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn ledger_mismatches(&mut self) -> R<Vec<LedgerMismatch>> {
        rows(
            self.exec
                .fetch_all(LEDGER_MISMATCHES, args![self.tenant])
                .await?,
            mismatch,
        )
    }
}
