//! Valuation use cases: stock value now or as of any past instant, the cost of goods used
//! over a period, and the lots stock is held in (ADR 014).
//!
//! Every figure is read from the ledger: a movement records its effect on stock value when it
//! is posted, so the value as of an instant is the sum of the values of the movements that
//! occurred at or before it, and the cost of goods used over a period is what its decreases
//! took plus the cost variance of the shortfalls its increases settled.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::inventory::MovementKind;
use larder_core::inventory::costing::ValuationMethod;
use larder_core::{BaseUnit, ItemId, LocationId, LotId, Money, MovementId, Quantity};
use larder_store::{
    ItemFilter, ItemRow, LotFilter, LotRow, Mode, TenantTx, UsedFilter, ValueFilter, run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// How a valuation or a cost of goods used is broken down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueGroup {
    /// One line per item (all locations asked for together).
    #[default]
    Item,
    /// One line per location.
    Location,
    /// One line per item category (`""`: uncategorised).
    Category,
}

/// What to value.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StockValueQuery {
    /// As of this instant (RFC 3339): every movement that occurred at or before it. Absent:
    /// now. Not in the future.
    pub as_of: Option<DateTime<Utc>>,
    /// One location; absent: every location the caller may see.
    pub location_id: Option<LocationId>,
    /// `item` (default), `location` or `category`.
    pub group_by: Option<ValueGroup>,
}

/// One line of a valuation or a cost of goods used.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ValueLine {
    /// The item, location or category name.
    pub name: String,
    /// The item, when grouped by item.
    pub item_id: Option<ItemId>,
    /// The location, when grouped by location.
    pub location_id: Option<LocationId>,
    /// The item's base unit, when grouped by item.
    pub base_unit: Option<BaseUnit>,
    /// Quantity (on hand, or used), base units, when grouped by item.
    pub quantity: Option<Quantity>,
    /// Money (stock value, or cost of goods used), millionths of the currency as a decimal
    /// string. A negative stock value is a shortfall not yet settled by a receipt.
    pub value: Money,
}

/// Stock value, broken down, largest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StockValuation {
    /// The instant valued (`null`: now).
    pub as_of: Option<DateTime<Utc>>,
    /// The tenant's valuation method.
    pub method: ValuationMethod,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// The sum of the lines and of what is in transit.
    pub total: Money,
    /// The lines, largest value first (then by name): stock at locations.
    pub lines: Vec<ValueLine>,
    /// Stock sent by a transfer and not yet received (as of the instant): at neither
    /// location's on hand, valued at the cost it left the sender with (ADR 021). Zero when
    /// valuing one location.
    pub in_transit: Money,
    /// What is in transit, broken down as `lines` are (by location: the receiving one).
    pub in_transit_lines: Vec<ValueLine>,
}

/// A period of the ledger.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GoodsUsedQuery {
    /// Start, inclusive (RFC 3339, by when movements occurred).
    pub from: DateTime<Utc>,
    /// End, exclusive; after `from`.
    pub to: DateTime<Utc>,
    /// One location; absent: every location the caller may see.
    pub location_id: Option<LocationId>,
    /// `item` (default), `location` or `category`.
    pub group_by: Option<ValueGroup>,
}

/// The cost of one kind of decrease over the period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KindCost {
    /// `sale`, `waste`, `adjustment`, `count_adjustment`; `receipt` (or another increase)
    /// for the extra cost of shortfalls settled in the period.
    pub kind: MovementKind,
    /// Cost, millionths as a decimal string.
    pub cost: Money,
}

/// Cost of goods used over a period: what sales, waste and negative corrections took from
/// stock at the tenant's valuation method, plus the cost variance of shortfalls settled.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GoodsUsed {
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
    /// The tenant's valuation method.
    pub method: ValuationMethod,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// The total.
    pub total: Money,
    /// By kind of movement.
    pub by_kind: Vec<KindCost>,
    /// Broken down as asked, largest cost first.
    pub lines: Vec<ValueLine>,
}

/// Filters for lots.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LotQuery {
    /// Item.
    pub item_id: Option<ItemId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Only lots with stock left (default `true`).
    pub open: Option<bool>,
    /// Only lots expiring on or before this date (`YYYY-MM-DD`).
    pub expires_by: Option<NaiveDate>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// A lot: what one increase brought in at one location, and what is left of it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Lot {
    /// Id.
    pub id: LotId,
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// The supplier's lot or batch code.
    pub code: Option<String>,
    /// Expiry or best-before date.
    pub expires_on: Option<NaiveDate>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// What it opened with (after settling any shortfall), base units.
    pub received_quantity: Quantity,
    /// Cost per base unit.
    pub unit_cost: Money,
    /// What is left, base units.
    pub remaining: Quantity,
    /// The value of what is left.
    pub remaining_value: Money,
    /// The movement that opened it (`null`: stock on hand when lots were introduced).
    pub movement_id: Option<MovementId>,
}

impl From<LotRow> for Lot {
    fn from(l: LotRow) -> Self {
        Self {
            id: l.id,
            item_id: l.item_id,
            location_id: l.location_id,
            code: l.code,
            expires_on: l.expires_on,
            received_at: l.received_at,
            received_quantity: l.received_quantity,
            unit_cost: l.unit_cost,
            remaining: l.remaining,
            remaining_value: l.remaining_value,
            movement_id: l.movement_id,
        }
    }
}

/// What a decrease took from one lot.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LotTake {
    /// The lot.
    pub lot_id: LotId,
    /// Quantity taken, base units.
    pub quantity: Quantity,
    /// Cost taken with it.
    pub cost: Money,
}

/// The items, locations and currency a breakdown names.
struct Names {
    items: HashMap<ItemId, ItemRow>,
    locations: HashMap<LocationId, String>,
    currency: String,
    method: ValuationMethod,
}

async fn names(tx: &mut dyn TenantTx) -> Result<Names, AppError> {
    let mut items = HashMap::new();
    let mut after = None;
    loop {
        let page = tx
            .list_items(&ItemFilter {
                after: after.clone(),
                limit: 1000,
                include_retired: true,
                ..Default::default()
            })
            .await?;
        let done = page.len() < 1000;
        after = page.last().map(|i| (i.name.clone(), i.id));
        items.extend(page.into_iter().map(|i| (i.id, i)));
        if done {
            break;
        }
    }
    let mut locations = HashMap::new();
    let mut after = None;
    loop {
        let page = tx
            .list_locations(larder_store::LocationScope::All, after.clone(), 1000)
            .await?;
        let done = page.len() < 1000;
        after = page.last().map(|l| (l.name.clone(), l.id));
        locations.extend(page.into_iter().map(|l| (l.id, l.name)));
        if done {
            break;
        }
    }
    let t = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    Ok(Names {
        items,
        locations,
        currency: t.currency,
        method: t.valuation_method,
    })
}

/// One line's key and its sums (quantity only when grouped by item).
#[derive(Default)]
struct Sum {
    quantity: i128,
    value: i128,
}

fn to_money(v: i128, field: &str) -> Result<Money, AppError> {
    i64::try_from(v)
        .ok()
        .and_then(Money::checked_from_raw)
        .ok_or_else(|| AppError::invalid(field, "the total is beyond the range of an amount"))
}

/// Sums `(item, location, quantity, value)` rows into lines grouped as asked, largest value
/// first, and their total.
fn breakdown(
    rows: impl Iterator<Item = (ItemId, LocationId, i64, i64)>,
    group: ValueGroup,
    n: &Names,
) -> Result<(Money, Vec<ValueLine>), AppError> {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Item(ItemId),
        Location(LocationId),
        Category(String),
    }
    let mut sums: BTreeMap<Key, Sum> = BTreeMap::new();
    let mut total: i128 = 0;
    for (item, location, quantity, value) in rows {
        let key = match group {
            ValueGroup::Item => Key::Item(item),
            ValueGroup::Location => Key::Location(location),
            ValueGroup::Category => Key::Category(
                n.items
                    .get(&item)
                    .and_then(|i| i.category.clone())
                    .unwrap_or_default(),
            ),
        };
        let s = sums.entry(key).or_default();
        s.quantity += i128::from(quantity);
        s.value += i128::from(value);
        total += i128::from(value);
    }
    let mut lines = Vec::with_capacity(sums.len());
    for (key, s) in sums {
        let value = to_money(s.value, "value")?;
        lines.push(match key {
            Key::Item(id) => {
                let item = n.items.get(&id);
                ValueLine {
                    name: item.map_or_else(|| id.to_string(), |i| i.name.clone()),
                    item_id: Some(id),
                    location_id: None,
                    base_unit: item.map(|i| i.base_unit),
                    quantity: Some(Quantity::from_raw(i64::try_from(s.quantity).map_err(
                        |_| AppError::invalid("quantity", "the total is beyond a quantity's range"),
                    )?)),
                    value,
                }
            }
            Key::Location(id) => ValueLine {
                name: n
                    .locations
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| id.to_string()),
                item_id: None,
                location_id: Some(id),
                base_unit: None,
                quantity: None,
                value,
            },
            Key::Category(name) => ValueLine {
                name,
                item_id: None,
                location_id: None,
                base_unit: None,
                quantity: None,
                value,
            },
        });
    }
    lines.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
    Ok((to_money(total, "total")?, lines))
}

impl App {
    /// Stock value now or as of an instant, by item, location or category; a limited
    /// member's locations only.
    ///
    /// # Errors
    /// 403 without `reports.read`; 422 on an `as_of` in the future; 404 on a location
    /// outside the caller's scope.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn stock_value(
        &self,
        p: Principal,
        q: StockValueQuery,
    ) -> Result<StockValuation, AppError> {
        p.require(Permission::ReportsRead)?;
        if q.as_of.is_some_and(|t| t > Utc::now()) {
            return Err(AppError::invalid("as_of", "must not be in the future"));
        }
        let group = q.group_by.unwrap_or_default();
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                if let Some(l) = q.location_id {
                    crate::tenancy::require_location(tx, p.locations, l).await?;
                }
                let rows = tx
                    .stock_value(&ValueFilter {
                        as_of: q.as_of,
                        location_id: q.location_id,
                        scope: p.locations,
                    })
                    .await?;
                // In transit is at neither location: only a valuation of every location the
                // caller may see counts it.
                let transit = match q.location_id {
                    Some(_) => Vec::new(),
                    None => tx.in_transit(q.as_of, p.locations).await?,
                };
                let n = names(tx).await?;
                let (at_locations, lines) = breakdown(
                    rows.into_iter()
                        .map(|r| (r.item_id, r.location_id, r.on_hand.raw(), r.value.raw())),
                    group,
                    &n,
                )?;
                let (in_transit, in_transit_lines) = breakdown(
                    transit
                        .into_iter()
                        .map(|r| (r.item_id, r.to_location_id, r.quantity.raw(), r.value.raw())),
                    group,
                    &n,
                )?;
                Ok(StockValuation {
                    as_of: q.as_of,
                    method: n.method,
                    currency: n.currency,
                    total: to_money(
                        i128::from(at_locations.raw()) + i128::from(in_transit.raw()),
                        "total",
                    )?,
                    lines,
                    in_transit,
                    in_transit_lines,
                })
            })
        })
        .await
    }

    /// Cost of goods used over `[from, to)`, by kind and broken down as asked; a limited
    /// member's locations only.
    ///
    /// # Errors
    /// 403 without `reports.read`; 422 when `from` is not before `to`; 404 on a location
    /// outside the caller's scope.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn goods_used(&self, p: Principal, q: GoodsUsedQuery) -> Result<GoodsUsed, AppError> {
        p.require(Permission::ReportsRead)?;
        if q.from >= q.to {
            return Err(AppError::invalid("from", "must be before to"));
        }
        let group = q.group_by.unwrap_or_default();
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                if let Some(l) = q.location_id {
                    crate::tenancy::require_location(tx, p.locations, l).await?;
                }
                // A transfer out moves stock, it does not use it (ADR 021).
                let rows: Vec<_> = tx
                    .goods_used(&UsedFilter {
                        from: q.from,
                        to: q.to,
                        location_id: q.location_id,
                        scope: p.locations,
                    })
                    .await?
                    .into_iter()
                    .filter(|r| r.kind != MovementKind::TransferOut)
                    .collect();
                let n = names(tx).await?;
                let mut kinds: BTreeMap<&'static str, (MovementKind, i128)> = BTreeMap::new();
                for r in &rows {
                    kinds.entry(r.kind.as_str()).or_insert((r.kind, 0)).1 +=
                        i128::from(r.cost.raw());
                }
                let by_kind = kinds
                    .into_values()
                    .map(|(kind, cost)| {
                        Ok(KindCost {
                            kind,
                            cost: to_money(cost, "cost")?,
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()?;
                let (total, lines) = breakdown(
                    rows.into_iter()
                        .map(|r| (r.item_id, r.location_id, r.quantity.raw(), r.cost.raw())),
                    group,
                    &n,
                )?;
                Ok(GoodsUsed {
                    from: q.from,
                    to: q.to,
                    method: n.method,
                    currency: n.currency,
                    total,
                    by_kind,
                    lines,
                })
            })
        })
        .await
    }

    /// Lots, earliest expiry first (undated last); open ones only unless `open=false`; a
    /// limited member's locations only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_lots(&self, p: Principal, q: LotQuery) -> Result<Page<Lot>, AppError> {
        p.require(Permission::InventoryRead)?;
        let limit = page::limit(q.limit)?;
        let after = match &q.cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                if NaiveDate::parse_from_str(&parts[0], "%Y-%m-%d").is_err() {
                    return Err(AppError::invalid("cursor", "is not a valid cursor"));
                }
                Some((parts[0].clone(), page::id::<LotId>(&parts[1])?))
            }
            None => None,
        };
        let filter = LotFilter {
            item_id: q.item_id,
            location_id: q.location_id,
            open_only: q.open.unwrap_or(true),
            expires_by: q.expires_by,
            scope: p.locations,
            after,
            limit: limit + 1,
        };
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.list_lots(&filter).await.map_err(AppError::from) })
        })
        .await?;
        let lots = rows.into_iter().map(Lot::from).collect();
        Ok(page::page(lots, limit, |l: &Lot| {
            let key = l.expires_on.map_or_else(
                || "9999-12-31".to_owned(),
                |d| d.format("%Y-%m-%d").to_string(),
            );
            page::encode(&[&key, &l.id.to_string()])
        }))
    }

    /// What a movement took from each lot (empty for an increase), in FEFO order.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404 when the movement does not exist or is at a
    /// location outside the caller's scope.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn movement_lots(
        &self,
        p: Principal,
        id: MovementId,
    ) -> Result<Vec<LotTake>, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let m = tx
                    .get_movement(id)
                    .await?
                    .ok_or(AppError::NotFound("movement"))?;
                crate::tenancy::require_location(tx, p.locations, m.location_id)
                    .await
                    .map_err(|_| AppError::NotFound("movement"))?;
                Ok(tx
                    .movement_lots(id)
                    .await?
                    .into_iter()
                    .map(|t| LotTake {
                        lot_id: t.lot_id,
                        quantity: t.quantity,
                        cost: t.cost,
                    })
                    .collect())
            })
        })
        .await
    }
}
