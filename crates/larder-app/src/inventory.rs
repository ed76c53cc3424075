//! Inventory use cases: posting adjustments (and waste, receipts, openings, count
//! adjustments) to the ledger, reading stock levels and movements, and the ledger check.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::inventory::{MovementKind, MovementOrder, StockFlags, WasteReason};
use larder_core::{
    BaseUnit, Code, ItemId, Label, LocationId, Money, MovementId, Quantity, TenantId,
};
use larder_store::{
    Costing, LedgerMismatch, LocationScope, LotSpec, Mode, MovementFilter, MovementRow,
    StockFilter, StockLevelRow, run_tenant,
};
use serde::{Deserialize, Serialize};

pub mod counts;
pub mod production;
pub mod transfers;
pub mod valuation;
pub mod waste;

use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// A movement as the API shows it: `quantity` is the signed change to on hand.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Movement {
    /// Id.
    pub id: MovementId,
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Kind.
    pub kind: MovementKind,
    /// Signed change, base unit.
    pub quantity: Quantity,
    /// The item's book cost per base unit at the time (a receipt's: what it cost).
    pub unit_cost: Option<Money>,
    /// Its effect on stock value (millionths, signed): the purchase value of an increase,
    /// minus the cost a decrease took from the lots (ADR 014).
    pub value: Money,
    /// Of an increase that settled a shortfall: provisional minus actual cost of what it
    /// settled.
    pub cost_variance: Money,
    /// Of a decrease: the quantity no lot covered, costed provisionally at the last known
    /// cost. Flagged: a later receipt settles it.
    pub shortfall: Quantity,
    /// Of an increase: the shortfall it settled.
    pub settled: Quantity,
    /// Waste or adjustment reason.
    pub reason: Option<String>,
    /// The sale behind a `sale` movement.
    pub sale_id: Option<larder_core::SaleId>,
    /// The mistaken movement this one compensates (same kind, opposite quantity; ADR 020).
    pub reverses: Option<MovementId>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl Movement {
    /// The view of an appended row with the cost the ledger worked out for it.
    pub fn costed(mut row: MovementRow, cost: Option<&larder_store::MovementCost>) -> Self {
        if let Some(c) = cost {
            row.costing = c.costing;
        }
        Self::from(row)
    }
}

impl From<MovementRow> for Movement {
    fn from(m: MovementRow) -> Self {
        Self {
            id: m.id,
            item_id: m.item_id,
            location_id: m.location_id,
            kind: m.kind,
            quantity: m.quantity,
            unit_cost: m.unit_cost,
            value: m.costing.value,
            cost_variance: m.costing.cost_variance,
            shortfall: m.costing.shortfall,
            settled: m.costing.settled,
            reason: m.reason,
            sale_id: m.sale_id,
            reverses: m.reverses,
            occurred_at: m.occurred_at,
            recorded_at: m.recorded_at,
        }
    }
}

/// Post one movement by hand.
///
/// For `receipt`, `opening` and `waste` the quantity is the amount (positive); for
/// `adjustment` and `count_adjustment` it is the signed change. Sales come only from sales.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentCommand {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Base-unit quantity, decimal string (at most 3 decimals).
    pub quantity: Quantity,
    /// `opening`, `receipt`, `waste`, `adjustment` or `count_adjustment` (transfers,
    /// production and sales post their own).
    pub kind: MovementKind,
    /// Required for waste (`spoilage`, `expired`, `overproduction`, `prep_error`, `returned`,
    /// `dropped`, `staff_meal`, `other`); free text up to 100 characters otherwise.
    pub reason: Option<Label>,
    /// When it happened (default now); not more than 5 minutes in the future.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Of an increase: the lot or batch code of the lot it opens.
    #[serde(default)]
    pub lot_code: Option<Code>,
    /// Of an increase: the lot's expiry or best-before date (`YYYY-MM-DD`), not before the
    /// day it happened.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

/// A stock level with its flags.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StockLevel {
    /// Item.
    pub item_id: ItemId,
    /// Item name.
    pub item_name: String,
    /// Base unit.
    pub base_unit: BaseUnit,
    /// Location.
    pub location_id: LocationId,
    /// On hand (theoretical), may be negative.
    pub on_hand: Quantity,
    /// Par level, if set.
    pub par_level: Option<Quantity>,
    /// Reorder point, if set.
    pub reorder_point: Option<Quantity>,
    /// Negative and low flags.
    #[serde(flatten)]
    pub flags: StockFlags,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<StockLevelRow> for StockLevel {
    fn from(r: StockLevelRow) -> Self {
        Self {
            flags: StockFlags::of(r.on_hand, r.reorder_point),
            item_id: r.item_id,
            item_name: r.item_name,
            base_unit: r.base_unit,
            location_id: r.location_id,
            on_hand: r.on_hand,
            par_level: r.par_level,
            reorder_point: r.reorder_point,
            updated_at: r.updated_at,
        }
    }
}

/// Filters for stock levels.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StockQuery {
    /// Location.
    pub location_id: Option<LocationId>,
    /// Item.
    pub item_id: Option<ItemId>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    #[schema(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    #[schema(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Filters for movements (newest first).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MovementQuery {
    /// Item.
    pub item_id: Option<ItemId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Kind.
    pub kind: Option<MovementKind>,
    /// `occurred_at >= from` (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to` (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    #[schema(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    #[schema(max_length = 1024)]
    pub cursor: Option<String>,
    /// `recorded` (newest recorded first, the default) or `occurred` (latest in the kitchen
    /// first). A cursor belongs to the order it was made in.
    #[serde(default)]
    pub order: Option<MovementOrder>,
}

/// Validates a hand-posted movement into the row to append.
fn adjustment_row(
    p: &Principal,
    cmd: &AdjustmentCommand,
    now: DateTime<Utc>,
) -> Result<MovementRow, AppError> {
    if cmd.kind == MovementKind::Sale {
        return Err(AppError::invalid(
            "kind",
            "sales deplete stock through POST /api/v1/sales",
        ));
    }
    if cmd.kind.is_document_only() {
        return Err(AppError::invalid(
            "kind",
            "transfers and production batches post their own movements (POST /api/v1/transfers, /production-batches)",
        ));
    }
    let quantity = cmd
        .kind
        .signed_delta(cmd.quantity)
        .map_err(|m| AppError::invalid("quantity", m))?;
    let reason = cmd.reason.clone().map(Label::into_string);
    if cmd.kind == MovementKind::Waste {
        match &reason {
            None => return Err(AppError::invalid("reason", "is required for waste")),
            Some(r) => {
                r.parse::<WasteReason>().map_err(|_| {
                    AppError::invalid("reason", "must be one of spoilage, expired, overproduction, prep_error, returned, dropped, staff_meal, other")
                })?;
            }
        }
    }
    let occurred_at = cmd.occurred_at.unwrap_or(now);
    if occurred_at > now + Duration::minutes(5) {
        return Err(AppError::invalid(
            "occurred_at",
            "must not be in the future",
        ));
    }
    let lot = if cmd.lot_code.is_some() || cmd.expires_on.is_some() {
        if quantity.is_negative() {
            let field = if cmd.lot_code.is_some() {
                "lot_code"
            } else {
                "expires_on"
            };
            return Err(AppError::invalid(
                field,
                "belongs to an increase; a decrease takes lots first-expiry-first-out",
            ));
        }
        if let Some(d) = cmd.expires_on
            && d < occurred_at.date_naive()
        {
            return Err(AppError::invalid(
                "expires_on",
                "must not be before the day the stock arrived",
            ));
        }
        Some(LotSpec {
            code: cmd.lot_code.clone().map(Code::into_string),
            expires_on: cmd.expires_on,
            value: None,
        })
    } else {
        None
    };
    Ok(MovementRow {
        id: MovementId::new(),
        item_id: cmd.item_id,
        location_id: cmd.location_id,
        kind: cmd.kind,
        quantity,
        unit_cost: None,
        reason,
        sale_id: None,
        created_by: Some(p.user_id),
        reverses: None,
        occurred_at,
        recorded_at: now,
        lot,
        costing: Costing::default(),
    })
}

/// The store filter of a stock query at the locations of `scope`, and the page size (the
/// filter asks for one row more, to know whether there is a next page).
pub(crate) fn stock_filter(
    q: &StockQuery,
    scope: LocationScope,
) -> Result<(StockFilter, u32), AppError> {
    let limit = page::limit(q.limit)?;
    let after = match &q.cursor {
        Some(c) => {
            let parts = page::decode(c, 3)?;
            Some((
                parts[0].clone(),
                page::id::<ItemId>(&parts[1])?,
                page::id::<LocationId>(&parts[2])?,
            ))
        }
        None => None,
    };
    Ok((
        StockFilter {
            location_id: q.location_id,
            item_id: q.item_id,
            scope,
            after,
            limit: limit + 1,
        },
        limit,
    ))
}

/// A page of stock levels from the rows [`stock_filter`] asked for.
pub(crate) fn stock_page(rows: Vec<StockLevelRow>, limit: u32) -> Page<StockLevel> {
    let levels = rows.into_iter().map(StockLevel::from).collect();
    page::page(levels, limit, |s: &StockLevel| {
        page::encode(&[
            &s.item_name,
            &s.item_id.to_string(),
            &s.location_id.to_string(),
        ])
    })
}

impl App {
    /// Posts one movement and moves on hand in the same transaction. Negative stock is
    /// allowed (and flagged on reads).
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 422 naming the field; 404 on the item or location.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn post_adjustment(
        &self,
        p: Principal,
        cmd: AdjustmentCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Movement>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let mut row = adjustment_row(&p, &cmd, Utc::now())?;
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::StockAdjusted,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    crate::tenancy::require_location(tx, p.locations, row.location_id).await?;
                    let target = tx.movement_target(row.item_id, row.location_id).await?;
                    let (_, cost) = target.item.ok_or(AppError::NotFound("item"))?;
                    if !target.location_exists {
                        return Err(AppError::NotFound("location"));
                    }
                    row.unit_cost = cost;
                    let costs =
                        crate::events::append_movements(tx, std::slice::from_ref(&row)).await?;
                    Ok(Movement::costed(row, costs.first()))
                })
            },
        )
        .await
    }

    /// Posts several movements in one transaction, all or none: an opening count, or a
    /// delivery of many items. Each is validated as [`App::post_adjustment`] validates one;
    /// the error names the command's index (`movements[3].quantity`).
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 422 naming the field; 404 on an item or location.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id, movements = cmds.len()))]
    pub async fn post_adjustments(
        &self,
        p: Principal,
        cmds: Vec<AdjustmentCommand>,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Vec<Movement>>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        let mut rows = Vec::with_capacity(cmds.len());
        for (i, cmd) in cmds.iter().enumerate() {
            rows.push(adjustment_row(&p, cmd, now).map_err(|e| match e {
                AppError::Validation { field, message } => AppError::Validation {
                    field: format!("movements[{i}].{field}"),
                    message,
                },
                other => other,
            })?);
        }
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::StockAdjusted,
            &cmds,
            move |tx| {
                Box::pin(async move {
                    let mut known = std::collections::HashMap::new();
                    for row in &mut rows {
                        let cost = match known.get(&(row.item_id, row.location_id)) {
                            Some(c) => *c,
                            None => {
                                crate::tenancy::require_location(tx, p.locations, row.location_id)
                                    .await?;
                                let t = tx.movement_target(row.item_id, row.location_id).await?;
                                let (_, cost) = t.item.ok_or(AppError::NotFound("item"))?;
                                if !t.location_exists {
                                    return Err(AppError::NotFound("location"));
                                }
                                known.insert((row.item_id, row.location_id), cost);
                                cost
                            }
                        };
                        row.unit_cost = cost;
                    }
                    let costs = crate::events::append_movements(tx, &rows).await?;
                    Ok(rows
                        .into_iter()
                        .zip(costs.iter())
                        .map(|(r, c)| Movement::costed(r, Some(c)))
                        .collect())
                })
            },
        )
        .await
    }

    /// Stock levels by item name, with negative and low flags; a limited member's locations
    /// only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_stock(
        &self,
        p: Principal,
        q: StockQuery,
    ) -> Result<Page<StockLevel>, AppError> {
        p.require(Permission::InventoryRead)?;
        let (filter, limit) = stock_filter(&q, p.locations)?;
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.list_stock(&filter).await.map_err(AppError::from) })
        })
        .await?;
        Ok(stock_page(rows, limit))
    }

    /// Ledger rows, newest recorded or latest occurred first; a limited member's locations
    /// only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit`, `cursor` or a `from` after `to`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_movements(
        &self,
        p: Principal,
        q: MovementQuery,
    ) -> Result<Page<Movement>, AppError> {
        p.require(Permission::InventoryRead)?;
        let limit = page::limit(q.limit)?;
        if let (Some(f), Some(t)) = (q.from, q.to)
            && f > t
        {
            return Err(AppError::invalid("from", "must not be after to"));
        }
        let order = q.order.unwrap_or_default();
        let (before, before_occurred) = match (&q.cursor, order) {
            (None, _) => (None, None),
            (Some(c), MovementOrder::Recorded) => {
                (Some(page::id::<MovementId>(&page::decode(c, 1)?[0])?), None)
            }
            (Some(c), MovementOrder::Occurred) => {
                let parts = page::decode(c, 2)?;
                let at = DateTime::parse_from_rfc3339(&parts[0])
                    .map_err(|_| AppError::invalid("cursor", "is not a valid cursor"))?;
                (
                    Some(page::id::<MovementId>(&parts[1])?),
                    Some(at.with_timezone(&Utc)),
                )
            }
        };
        let filter = MovementFilter {
            order,
            before_occurred,
            item_id: q.item_id,
            location_id: q.location_id,
            kind: q.kind,
            from: q.from,
            to: q.to,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.list_movements(&filter).await.map_err(AppError::from) })
        })
        .await?;
        let moves = rows.into_iter().map(Movement::from).collect();
        Ok(page::page(moves, limit, |m: &Movement| match order {
            MovementOrder::Recorded => page::encode(&[&m.id.to_string()]),
            MovementOrder::Occurred => page::encode(&[
                &m.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                &m.id.to_string(),
            ]),
        }))
    }

    /// Operator check of every tenant's ledger: each stock level must equal the sum of its
    /// movements. Returns the offending rows (empty when consistent).
    ///
    /// # Errors
    /// Storage errors.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn check_ledger(&self) -> Result<Vec<(TenantId, LedgerMismatch)>, AppError> {
        let mut out = Vec::new();
        for tenant in self.store.tenant_ids().await? {
            let rows = run_tenant(self.db(), tenant, Mode::Read, |tx| {
                Box::pin(async move { tx.ledger_mismatches().await.map_err(AppError::from) })
            })
            .await?;
            out.extend(rows.into_iter().map(|r| (tenant, r)));
        }
        Ok(out)
    }

    /// Operator check of every tenant's costs (ADR 014): each stock level's value must equal
    /// the sum of its movements' values, and its open lots must hold exactly its positive on
    /// hand. Returns the offending rows (empty when consistent).
    ///
    /// # Errors
    /// Storage errors.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn check_costs(
        &self,
    ) -> Result<Vec<(TenantId, larder_store::CostMismatch)>, AppError> {
        let mut out = Vec::new();
        for tenant in self.store.tenant_ids().await? {
            let rows = run_tenant(self.db(), tenant, Mode::Read, |tx| {
                Box::pin(async move { tx.cost_mismatches().await.map_err(AppError::from) })
            })
            .await?;
            out.extend(rows.into_iter().map(|r| (tenant, r)));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use larder_core::auth::Role;
    use larder_core::{TenantId, UserId};

    fn cmd(kind: MovementKind, qty: i64, reason: Option<&str>) -> AdjustmentCommand {
        AdjustmentCommand {
            item_id: ItemId::new(),
            location_id: LocationId::new(),
            quantity: Quantity::from_raw(qty),
            kind,
            reason: reason.map(|r| Label::parse(r).unwrap_or_else(|e| panic!("{e}"))),
            occurred_at: None,
            lot_code: None,
            expires_on: None,
        }
    }

    #[test]
    fn adjustments_are_validated_by_kind() {
        let p = Principal::operator(TenantId::new(), UserId::new(), Role::Staff);
        let now = Utc::now();
        assert_eq!(
            adjustment_row(&p, &cmd(MovementKind::Waste, 500, Some("spoilage")), now)
                .map(|r| r.quantity.raw())
                .ok(),
            Some(-500)
        );
        assert!(
            matches!(adjustment_row(&p, &cmd(MovementKind::Waste, 500, None), now), Err(AppError::Validation { field, .. }) if field == "reason")
        );
        assert!(
            matches!(adjustment_row(&p, &cmd(MovementKind::Waste, 500, Some("dropped it")), now), Err(AppError::Validation { field, .. }) if field == "reason")
        );
        assert!(
            matches!(adjustment_row(&p, &cmd(MovementKind::Sale, 500, None), now), Err(AppError::Validation { field, .. }) if field == "kind")
        );
        assert!(
            matches!(adjustment_row(&p, &cmd(MovementKind::Receipt, -1, None), now), Err(AppError::Validation { field, .. }) if field == "quantity")
        );
        let mut future = cmd(MovementKind::Receipt, 1, None);
        future.occurred_at = Some(now + Duration::hours(1));
        assert!(
            matches!(adjustment_row(&p, &future, now), Err(AppError::Validation { field, .. }) if field == "occurred_at")
        );
    }
}
