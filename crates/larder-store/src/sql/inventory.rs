//! inventory's statements: the ledger, stock levels and lots. Appending to the ledger is a
//! sequence of [`Dialect`](super::Dialect) batches: the atomic level increments computed once
//! by [`level_deltas`](crate::level_deltas) (which lock the levels and return their cost
//! state), the open lots of those levels, then the movements, lots, consumptions and level
//! values worked out by [`larder_core::inventory::costing`].

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::NaiveDate;
use larder_core::inventory::costing::{
    Incoming, LevelCost, OpenLot, Outgoing, Take, ValuationMethod,
};
use larder_core::inventory::{MovementKind, MovementOrder};
use larder_core::{BaseUnit, ItemId, LocationId, LotId, Money, MovementId, Quantity};

mod production;
mod transfers;

use super::{Column, Exec, R, Row, SqlTx, ToArg, args, rows};

mod counts;
mod waste;
use crate::{
    CostMismatch, Costing, InventoryTx, LedgerMismatch, LevelDelta, LotFilter, LotRow,
    MovementCost, MovementFilter, MovementRow, MovementTarget, StockFilter, StockLevelRow,
    StoreError, UsedFilter, UsedRow, ValueFilter, ValueRow, level_deltas,
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
     reason, sale_id, created_by, occurred_at, recorded_at, value, cost_variance, shortfall,
     settled, reverses
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
     unit_cost, reason, sale_id, created_by, occurred_at, recorded_at, value, cost_variance,
     shortfall, settled, reverses
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
     reason, sale_id, created_by, occurred_at, recorded_at, value, cost_variance, shortfall,
     settled, reverses
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
const COST_MISMATCHES: &str = "WITH sums AS (
         SELECT item_id, location_id, CAST(SUM(value) AS BIGINT) AS total
         FROM stock_movements WHERE tenant_id = $1 GROUP BY item_id, location_id
     ),
     held AS (
         SELECT item_id, location_id, CAST(SUM(remaining) AS BIGINT) AS total
         FROM lots WHERE tenant_id = $1 AND remaining > 0 GROUP BY item_id, location_id
     )
     SELECT l.item_id, l.location_id, 'value', l.value, COALESCE(s.total, CAST(0 AS BIGINT))
       FROM stock_levels l
       LEFT JOIN sums s ON s.item_id = l.item_id AND s.location_id = l.location_id
      WHERE l.tenant_id = $1 AND l.value <> COALESCE(s.total, 0)
     UNION ALL
     SELECT l.item_id, l.location_id, 'lots',
            CASE WHEN l.on_hand > 0 THEN l.on_hand ELSE CAST(0 AS BIGINT) END,
            COALESCE(h.total, CAST(0 AS BIGINT))
       FROM stock_levels l
       LEFT JOIN held h ON h.item_id = l.item_id AND h.location_id = l.location_id
      WHERE l.tenant_id = $1
        AND CASE WHEN l.on_hand > 0 THEN l.on_hand ELSE 0 END <> COALESCE(h.total, 0)";
const LIST_LOTS: &str = "SELECT id, item_id, location_id, code, expires_on, received_at,
     received_quantity, unit_cost, remaining, remaining_value, movement_id
     FROM lots WHERE tenant_id = $1
       AND ($2 IS NULL OR item_id = $2)
       AND ($3 IS NULL OR location_id = $3)
       AND ($4 = 0 OR remaining > 0)
       AND ($5 IS NULL OR expires_on <= $5)
       AND ($6 IS NULL OR COALESCE(expires_on, '9999-12-31') > $6
            OR (COALESCE(expires_on, '9999-12-31') = $6 AND id > $7))
       AND ($9 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $9))
     ORDER BY COALESCE(expires_on, '9999-12-31'), id LIMIT $8";
const MOVEMENT_LOTS: &str = "SELECT c.lot_id, c.quantity, c.cost
     FROM lot_consumptions c
     JOIN lots l ON l.tenant_id = c.tenant_id AND l.id = c.lot_id
     WHERE c.tenant_id = $1 AND c.movement_id = $2
     ORDER BY (l.expires_on IS NULL), l.expires_on, l.received_at, l.id";
const STOCK_VALUE_NOW: &str = "SELECT item_id, location_id, on_hand, value
     FROM stock_levels WHERE tenant_id = $1
       AND ($2 IS NULL OR location_id = $2)
       AND ($3 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $3))
     ORDER BY item_id, location_id";
const STOCK_VALUE_AS_OF: &str = "SELECT item_id, location_id, CAST(SUM(quantity) AS BIGINT),
     CAST(SUM(value) AS BIGINT)
     FROM stock_movements WHERE tenant_id = $1 AND occurred_at <= $4
       AND ($2 IS NULL OR location_id = $2)
       AND ($3 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $3))
     GROUP BY item_id, location_id ORDER BY item_id, location_id";
const GOODS_USED: &str = "SELECT item_id, location_id, kind,
     CAST(SUM(CASE WHEN quantity < 0 THEN -quantity ELSE 0 END) AS BIGINT),
     CAST(SUM(CASE WHEN quantity < 0 THEN -value ELSE 0 END) - SUM(cost_variance) AS BIGINT)
     FROM stock_movements WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3
       AND (quantity < 0 OR cost_variance <> 0)
       AND ($4 IS NULL OR location_id = $4)
       AND ($5 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $5))
     GROUP BY item_id, location_id, kind ORDER BY item_id, location_id, kind";

pub(super) fn movement(mut r: Row) -> R<MovementRow> {
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
        lot: None,
        costing: Costing {
            value: r.get()?,
            cost_variance: r.get()?,
            shortfall: r.get()?,
            settled: r.get()?,
        },
        reverses: r.get()?,
    })
}

/// A stored `YYYY-MM-DD` date.
fn date(s: Option<String>) -> R<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|_| StoreError::Other(format!("bad date '{s}'")))
    })
    .transpose()
}

fn lot(mut r: Row) -> R<LotRow> {
    Ok(LotRow {
        id: r.get()?,
        item_id: r.get()?,
        location_id: r.get()?,
        code: r.get()?,
        expires_on: date(r.get()?)?,
        received_at: r.get()?,
        received_quantity: r.get()?,
        unit_cost: r.get()?,
        remaining: r.get()?,
        remaining_value: r.get()?,
        movement_id: r.get()?,
    })
}

fn value_row(mut r: Row) -> R<ValueRow> {
    Ok(ValueRow {
        item_id: r.get()?,
        location_id: r.get()?,
        on_hand: r.get()?,
        value: r.get()?,
    })
}

fn used_row(mut r: Row) -> R<UsedRow> {
    Ok(UsedRow {
        item_id: r.get()?,
        location_id: r.get()?,
        kind: r.spelled::<MovementKind>()?,
        quantity: r.get()?,
        cost: r.get()?,
    })
}

fn cost_mismatch(mut r: Row) -> R<CostMismatch> {
    Ok(CostMismatch {
        item_id: r.get()?,
        location_id: r.get()?,
        check: r.get()?,
        recorded: r.get()?,
        expected: r.get()?,
    })
}

fn overflow(_: larder_core::inventory::costing::CostOverflow) -> StoreError {
    StoreError::Other("the stock value is out of range".into())
}

/// A new lot to insert: the lot and its item, location, code, what it opened with, and the
/// movement that opened it.
struct NewLot {
    lot: OpenLot,
    item_id: ItemId,
    location_id: LocationId,
    code: Option<String>,
    received_quantity: Quantity,
    unit_cost: Money,
    movement_id: MovementId,
}

/// What one posting writes beside its movements, worked out from the levels' cost state.
#[derive(Default)]
struct CostWrites {
    costs: Vec<MovementCost>,
    new_lots: Vec<NewLot>,
    consumptions: Vec<(MovementId, Take)>,
}

/// Costs `movements` in order against `levels` (their state before the posting), changing
/// the levels as it goes.
fn cost_movements(
    movements: &[MovementRow],
    levels: &mut BTreeMap<(ItemId, LocationId), LevelCost>,
    method: ValuationMethod,
) -> R<CostWrites> {
    let mut w = CostWrites::default();
    for m in movements {
        let level = levels.entry((m.item_id, m.location_id)).or_default();
        if m.quantity.raw() > 0 {
            let unit_cost = match m.kind {
                // A production batch's output is costed at what its batch consumed (ADR 022);
                // a transfer in brings the cost it left the sender with (ADR 021).
                MovementKind::Receipt
                | MovementKind::Opening
                | MovementKind::ProductionOutput
                | MovementKind::TransferIn => m.unit_cost.or(level.last_cost),
                _ => level.last_cost.or(m.unit_cost),
            }
            .unwrap_or(Money::ZERO);
            let spec = m.lot.clone().unwrap_or_default();
            let r = level
                .receive(&Incoming {
                    lot_id: LotId::new(),
                    quantity: m.quantity,
                    unit_cost,
                    value: spec.value,
                    received_at: m.occurred_at,
                    expires_on: spec.expires_on,
                })
                .map_err(overflow)?;
            if let Some(l) = &r.lot {
                w.new_lots.push(NewLot {
                    lot: l.clone(),
                    item_id: m.item_id,
                    location_id: m.location_id,
                    code: spec.code,
                    received_quantity: l.remaining,
                    unit_cost,
                    movement_id: m.id,
                });
            }
            w.costs.push(MovementCost {
                costing: Costing {
                    value: r.value,
                    cost_variance: r.cost_variance,
                    shortfall: Quantity::ZERO,
                    settled: r.settled,
                },
                lot_id: r.lot.map(|l| l.id),
                taken: Vec::new(),
            });
        } else {
            let quantity = m
                .quantity
                .checked_neg()
                .ok_or_else(|| StoreError::Other("on hand overflows".into()))?;
            let c = level
                .consume(
                    method,
                    Outgoing {
                        quantity,
                        fallback_cost: m.unit_cost,
                    },
                )
                .map_err(overflow)?;
            w.consumptions.extend(c.taken.iter().map(|t| (m.id, *t)));
            w.costs.push(MovementCost {
                costing: Costing {
                    value: c.value,
                    cost_variance: Money::ZERO,
                    shortfall: c.shortfall,
                    settled: Quantity::ZERO,
                },
                lot_id: None,
                taken: c.taken,
            });
        }
    }
    Ok(w)
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

/// The batch columns of movements with their costs, in the order of
/// `Dialect::insert_movements`.
fn movement_columns(ms: &[MovementRow], costs: &[MovementCost]) -> Vec<Column> {
    let cost = |f: fn(&Costing) -> i64| -> Column {
        Column::Int(costs.iter().map(|c| Some(f(&c.costing))).collect())
    };
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
        cost(|c| c.value.raw()),
        cost(|c| c.cost_variance.raw()),
        cost(|c| c.shortfall.raw()),
        cost(|c| c.settled.raw()),
        Column::Uuid(ms.iter().map(|m| m.reverses.map(|r| r.as_uuid())).collect()),
    ]
}

/// The batch columns of new lots, in the order of `Dialect::insert_lots`.
fn lot_columns(ls: &[NewLot]) -> Vec<Column> {
    vec![
        Column::Uuid(ls.iter().map(|l| Some(l.lot.id.as_uuid())).collect()),
        Column::Uuid(ls.iter().map(|l| Some(l.item_id.as_uuid())).collect()),
        Column::Uuid(ls.iter().map(|l| Some(l.location_id.as_uuid())).collect()),
        Column::Text(ls.iter().map(|l| l.code.clone()).collect()),
        Column::Text(
            ls.iter()
                .map(|l| l.lot.expires_on.map(|d| d.format("%Y-%m-%d").to_string()))
                .collect(),
        ),
        Column::Time(ls.iter().map(|l| Some(l.lot.received_at)).collect()),
        Column::Int(ls.iter().map(|l| Some(l.received_quantity.raw())).collect()),
        Column::Int(ls.iter().map(|l| Some(l.unit_cost.raw())).collect()),
        Column::Int(ls.iter().map(|l| Some(l.lot.remaining.raw())).collect()),
        Column::Int(
            ls.iter()
                .map(|l| Some(l.lot.remaining_value.raw()))
                .collect(),
        ),
        Column::Uuid(ls.iter().map(|l| Some(l.movement_id.as_uuid())).collect()),
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
    async fn append_movements(&mut self, movements: &[MovementRow]) -> R<Vec<MovementCost>> {
        if movements.is_empty() {
            return Ok(Vec::new());
        }
        let deltas = level_deltas(movements)?;
        let dialect = self.exec.dialect();
        // 1. Move on hand (locking the levels) and read their cost state back.
        let after = self
            .exec
            .fetch_batch(
                dialect.add_to_stock_levels,
                args![self.tenant],
                &delta_columns(&deltas),
            )
            .await?;
        let delta_of: HashMap<(ItemId, LocationId), i64> = deltas
            .iter()
            .map(|d| ((d.item_id, d.location_id), d.delta))
            .collect();
        let mut levels: BTreeMap<(ItemId, LocationId), LevelCost> = BTreeMap::new();
        let mut method = ValuationMethod::Fifo;
        for mut r in after {
            let key: (ItemId, LocationId) = (r.get()?, r.get()?);
            let on_hand: Quantity = r.get()?;
            let value: Money = r.get()?;
            let last_cost: Option<Money> = r.get()?;
            method = r.spelled::<ValuationMethod>()?;
            let before = on_hand.raw() - delta_of.get(&key).copied().unwrap_or(0);
            levels.insert(
                key,
                LevelCost {
                    on_hand: Quantity::from_raw(before),
                    value,
                    last_cost,
                    lots: Vec::new(),
                },
            );
        }
        // 2. Their open lots.
        let pairs = vec![
            Column::Uuid(deltas.iter().map(|d| Some(d.item_id.as_uuid())).collect()),
            Column::Uuid(
                deltas
                    .iter()
                    .map(|d| Some(d.location_id.as_uuid()))
                    .collect(),
            ),
        ];
        let mut existing: HashMap<LotId, (i64, i64)> = HashMap::new();
        for mut r in self
            .exec
            .fetch_batch(dialect.open_lots, args![self.tenant], &pairs)
            .await?
        {
            let key: (ItemId, LocationId) = (r.get()?, r.get()?);
            let lot = OpenLot {
                id: r.get()?,
                expires_on: date(r.get()?)?,
                received_at: r.get()?,
                remaining: r.get()?,
                remaining_value: r.get()?,
            };
            existing.insert(lot.id, (lot.remaining.raw(), lot.remaining_value.raw()));
            levels.entry(key).or_default().lots.push(lot);
        }
        // 3. Cost each movement in order, then write what changed.
        let mut w = cost_movements(movements, &mut levels, method)?;
        self.exec
            .execute_batch(
                dialect.insert_movements,
                args![self.tenant],
                &movement_columns(movements, &w.costs),
            )
            .await?;
        let left: HashMap<LotId, (i64, i64)> = levels
            .values()
            .flat_map(|l| l.lots.iter())
            .map(|l| (l.id, (l.remaining.raw(), l.remaining_value.raw())))
            .collect();
        let now_of = |id: &LotId| left.get(id).copied().unwrap_or((0, 0));
        if !w.new_lots.is_empty() {
            for n in &mut w.new_lots {
                let (remaining, value) = now_of(&n.lot.id);
                n.lot.remaining = Quantity::from_raw(remaining);
                n.lot.remaining_value = Money::from_raw(value);
            }
            self.exec
                .execute_batch(
                    dialect.insert_lots,
                    args![self.tenant],
                    &lot_columns(&w.new_lots),
                )
                .await?;
        }
        let mut changed: Vec<(LotId, (i64, i64))> = existing
            .iter()
            .filter_map(|(id, was)| {
                let now = now_of(id);
                (now != *was).then_some((*id, now))
            })
            .collect();
        changed.sort_by_key(|(id, _)| *id);
        if !changed.is_empty() {
            self.exec
                .execute_batch(
                    dialect.update_lots,
                    args![self.tenant],
                    &[
                        Column::Uuid(changed.iter().map(|(id, _)| Some(id.as_uuid())).collect()),
                        Column::Int(changed.iter().map(|(_, (r, _))| Some(*r)).collect()),
                        Column::Int(changed.iter().map(|(_, (_, v))| Some(*v)).collect()),
                    ],
                )
                .await?;
        }
        if !w.consumptions.is_empty() {
            let c = &w.consumptions;
            self.exec
                .execute_batch(
                    dialect.insert_lot_consumptions,
                    args![self.tenant],
                    &[
                        Column::Uuid(c.iter().map(|(m, _)| Some(m.as_uuid())).collect()),
                        Column::Uuid(c.iter().map(|(_, t)| Some(t.lot_id.as_uuid())).collect()),
                        Column::Int(c.iter().map(|(_, t)| Some(t.quantity.raw())).collect()),
                        Column::Int(c.iter().map(|(_, t)| Some(t.cost.raw())).collect()),
                    ],
                )
                .await?;
        }
        let ls: Vec<(&(ItemId, LocationId), &LevelCost)> = levels.iter().collect();
        self.exec
            .execute_batch(
                dialect.set_level_costs,
                args![self.tenant],
                &[
                    Column::Uuid(ls.iter().map(|((i, _), _)| Some(i.as_uuid())).collect()),
                    Column::Uuid(ls.iter().map(|((_, l), _)| Some(l.as_uuid())).collect()),
                    Column::Int(ls.iter().map(|(_, c)| Some(c.value.raw())).collect()),
                    Column::Int(
                        ls.iter()
                            .map(|(_, c)| c.last_cost.map(Money::raw))
                            .collect(),
                    ),
                ],
            )
            .await?;
        Ok(w.costs)
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

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn cost_mismatches(&mut self) -> R<Vec<CostMismatch>> {
        rows(
            self.exec
                .fetch_all(COST_MISMATCHES, args![self.tenant])
                .await?,
            cost_mismatch,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_lots(&mut self, f: &LotFilter) -> R<Vec<LotRow>> {
        let (after_key, after_id) = f
            .after
            .clone()
            .map_or((None, None), |(k, i)| (Some(k), Some(i)));
        let expires_by = f.expires_by.map(|d| d.format("%Y-%m-%d").to_string());
        rows(
            self.exec
                .fetch_all(
                    LIST_LOTS,
                    args![
                        self.tenant,
                        f.item_id,
                        f.location_id,
                        i64::from(f.open_only),
                        expires_by,
                        after_key,
                        after_id,
                        i64::from(f.limit),
                        f.scope.member()
                    ],
                )
                .await?,
            lot,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn movement_lots(&mut self, movement: MovementId) -> R<Vec<Take>> {
        rows(
            self.exec
                .fetch_all(MOVEMENT_LOTS, args![self.tenant, movement])
                .await?,
            |mut r| {
                Ok(Take {
                    lot_id: r.get()?,
                    quantity: r.get()?,
                    cost: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn stock_value(&mut self, f: &ValueFilter) -> R<Vec<ValueRow>> {
        let found = match f.as_of {
            None => {
                self.exec
                    .fetch_all(
                        STOCK_VALUE_NOW,
                        args![self.tenant, f.location_id, f.scope.member()],
                    )
                    .await?
            }
            Some(at) => {
                self.exec
                    .fetch_all(
                        STOCK_VALUE_AS_OF,
                        args![self.tenant, f.location_id, f.scope.member(), at],
                    )
                    .await?
            }
        };
        rows(found, value_row)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn goods_used(&mut self, f: &UsedFilter) -> R<Vec<UsedRow>> {
        rows(
            self.exec
                .fetch_all(
                    GOODS_USED,
                    args![self.tenant, f.from, f.to, f.location_id, f.scope.member()],
                )
                .await?,
            used_row,
        )
    }
}
