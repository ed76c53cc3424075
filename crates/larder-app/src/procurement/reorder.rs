//! procurement: reorder suggestions (issue 8, item 6; ADR 017). For one location, every item
//! with a par level or reorder point there is weighed by
//! [`larder_core::procurement::reorder::suggest`] (on hand, on order, usage by sales and batches, the
//! preferred supplier item's packs, minimum order, lead time and order days); what needs
//! ordering is grouped by supplier with the group's value against the supplier's minimum
//! order, and items without a preferred supplier are listed apart with what they need. The
//! chosen lines (or all of them as computed now) become one draft purchase order per supplier
//! in one transaction, through the same creation as a hand-made order. Reading needs
//! `purchase_orders.read`, ordering `purchase_orders.write`; a member limited to some
//! locations sees and orders only for theirs (another location is a 404).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use larder_core::auth::Permission;
use larder_core::procurement::purchase_orders::{self as rules, MAX_LINE_PACKS};
use larder_core::procurement::reorder::{
    self as policy, DEFAULT_USAGE_DAYS, MAX_USAGE_DAYS, MIN_USAGE_DAYS, Stock, Supply, Usage,
};
use larder_core::procurement::{OrderDays, PackLevel};
use larder_core::{BaseUnit, ItemId, LocationId, Money, Quantity, SupplierId, SupplierItemId};
use larder_store::{Mode, SupplierRow, TenantTx, run_tenant};
use serde::{Deserialize, Serialize};

use super::purchase_orders::{
    CONFLICTS, PurchaseOrder, PurchaseOrderCommand, PurchaseOrderLineCommand, insert_draft,
    pack_text,
};
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::{App, AppError, Principal};

/// Asking for a location's reorder suggestions.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReorderQuery {
    /// The location to order for (one of a limited member's).
    pub location_id: LocationId,
    /// Days of sales history to average daily usage over, 7..=365 (default 28).
    #[param(minimum = 7, maximum = 365)]
    pub days: Option<u32>,
    /// The instant to compute at (default now; at most a day ahead): the sales history ends
    /// here, today is its local date and prices are those in force then; on hand and on
    /// order are always as of now.
    pub as_of: Option<DateTime<Utc>>,
}

/// What an item suggests ordering from its preferred supplier.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReorderLine {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit (every quantity below is in it).
    pub base_unit: BaseUnit,
    /// On hand at the location now.
    pub on_hand: Quantity,
    /// On open purchase orders (approved, sent, partly received) and not yet received.
    pub on_order: Quantity,
    /// Par level there.
    pub par_level: Option<Quantity>,
    /// Reorder point there.
    pub reorder_point: Option<Quantity>,
    /// Average daily usage over the history, by sales and production batches (half to even to
    /// the thousandth).
    pub daily_usage: Quantity,
    /// Projected stock when an order placed now arrives (half to even to the thousandth).
    pub projected: Quantity,
    /// The preferred supplier item.
    pub supplier_item_id: SupplierItemId,
    /// The supplier's code.
    pub supplier_sku: String,
    /// One pack as the supplier describes it.
    pub pack: String,
    /// Whole packs suggested (rounded up, at least the minimum order).
    pub suggested_packs: i32,
    /// The supplier item's minimum order, in packs.
    pub moq_packs: i32,
    /// One pack in the base unit.
    pub pack_quantity: Quantity,
    /// `suggested_packs` x `pack_quantity`.
    pub quantity: Quantity,
    /// The price per pack in force (none when the supplier item has no price yet).
    pub price_per_pack: Option<Money>,
    /// `suggested_packs` x `price_per_pack`.
    pub line_value: Option<Money>,
}

/// A supplier's suggested lines: what one draft purchase order would hold.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReorderGroup {
    /// The supplier.
    pub supplier_id: SupplierId,
    /// Its name.
    pub supplier_name: String,
    /// ISO 4217 code of its prices.
    pub currency: String,
    /// When an order placed now arrives (its next order day plus its lead time).
    pub expected_delivery: NaiveDate,
    /// The sum of the priced lines' values.
    pub total: Money,
    /// The smallest order the supplier takes.
    pub min_order_value: Option<Money>,
    /// True when `total` is below `min_order_value`.
    pub below_minimum: bool,
    /// The lines, by item name.
    pub lines: Vec<ReorderLine>,
}

/// An item that needs ordering but has no preferred supplier (or only an inactive one) at the
/// location: what it needs, in its base unit, assuming delivery today.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnsuppliedLine {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// On hand now.
    pub on_hand: Quantity,
    /// On order, not yet received.
    pub on_order: Quantity,
    /// Par level.
    pub par_level: Option<Quantity>,
    /// Reorder point.
    pub reorder_point: Option<Quantity>,
    /// Average daily usage by sales and production batches.
    pub daily_usage: Quantity,
    /// Projected stock (now: no lead time is known).
    pub projected: Quantity,
    /// What reaches the target, rounded up to the thousandth.
    pub needed: Quantity,
}

/// A location's reorder suggestions.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReorderSuggestions {
    /// The location.
    pub location_id: LocationId,
    /// Its name.
    pub location_name: String,
    /// The instant computed at.
    pub as_of: DateTime<Utc>,
    /// Days of sales history averaged.
    pub days: u32,
    /// One group per supplier, by supplier name.
    pub suppliers: Vec<ReorderGroup>,
    /// Items to order that have no (active) preferred supplier there, by name.
    pub no_supplier: Vec<UnsuppliedLine>,
}

/// A chosen line: packs of a supplier item.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderChoice {
    /// A supplier item (of an active supplier, its item not retired).
    pub supplier_item_id: SupplierItemId,
    /// Whole packs, at least its minimum order; 0 leaves the line out.
    #[schema(minimum = 0, maximum = 1000000)]
    pub packs: i32,
}

/// Turn reorder suggestions into draft purchase orders: the chosen lines, or every suggested
/// line as computed now.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderOrderCommand {
    /// Where the orders are delivered (one of a limited member's locations).
    pub location_id: LocationId,
    /// The lines to order (grouped by their supplier); leave empty with `all_suggested`.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub lines: Vec<ReorderChoice>,
    /// Order every suggested line as computed now instead of `lines`.
    #[serde(default)]
    pub all_suggested: bool,
    /// With `all_suggested`: days of sales history, 7..=365 (default 28).
    #[schema(minimum = 7, maximum = 365)]
    pub days: Option<u32>,
}

/// The draft purchase orders made from reorder suggestions, one per supplier.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReorderOrders {
    /// The drafts, by supplier name.
    pub purchase_orders: Vec<PurchaseOrder>,
}

/// The history's length: 7..=365 days, default 28.
fn usage_days(days: Option<u32>) -> Result<u32, AppError> {
    let d = days.unwrap_or(DEFAULT_USAGE_DAYS);
    if (MIN_USAGE_DAYS..=MAX_USAGE_DAYS).contains(&d) {
        Ok(d)
    } else {
        Err(AppError::invalid(
            "days",
            format!("must be {MIN_USAGE_DAYS} to {MAX_USAGE_DAYS} days"),
        ))
    }
}

/// A supplier's order days as stored (`monday,thursday`).
fn order_days(s: &SupplierRow) -> OrderDays {
    let names: Vec<&str> = s.order_days.split(',').filter(|d| !d.is_empty()).collect();
    OrderDays::parse(&names).unwrap_or_default()
}

/// Computes a location's suggestions at `as_of` in the caller's transaction, in a handful of
/// statements whatever the number of items: the candidates, the usage, what is on order, the
/// tenant, and one read per supplier involved.
async fn compute(
    tx: &mut dyn TenantTx,
    p: &Principal,
    location: LocationId,
    as_of: DateTime<Utc>,
    days: u32,
) -> Result<ReorderSuggestions, AppError> {
    crate::tenancy::require_location(tx, p.locations, location).await?;
    let loc = tx
        .get_location(location)
        .await?
        .ok_or(AppError::NotFound("location"))?;
    let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    let tz = tenant
        .time_zone
        .parse::<Tz>()
        .map_err(|_| AppError::Internal(format!("bad time zone {}", tenant.time_zone)))?;
    let today = as_of.with_timezone(&tz).date_naive();
    let candidates = tx.reorder_candidates(location, as_of).await?;
    let from = as_of - chrono::Duration::days(i64::from(days));
    let used: HashMap<ItemId, Quantity> = tx
        .usage(location, from, as_of)
        .await?
        .into_iter()
        .map(|u| (u.item_id, u.quantity))
        .collect();
    let on_order: HashMap<ItemId, Quantity> = tx
        .on_order(Some(location))
        .await?
        .into_iter()
        .map(|o| (o.item_id, o.quantity))
        .collect();
    let mut suppliers: HashMap<SupplierId, SupplierRow> = HashMap::new();
    for c in &candidates {
        if let Some(s) = &c.supply
            && !suppliers.contains_key(&s.supplier_id)
            && let Some(row) = tx.get_supplier(s.supplier_id).await?
        {
            suppliers.insert(s.supplier_id, row);
        }
    }
    let mut groups: BTreeMap<(String, SupplierId), ReorderGroup> = BTreeMap::new();
    let mut no_supplier = Vec::new();
    for c in candidates {
        let stock = Stock {
            on_hand: c.on_hand,
            on_order: on_order.get(&c.item_id).copied().unwrap_or(Quantity::ZERO),
            par_level: c.par_level,
            reorder_point: c.reorder_point,
        };
        let usage = Usage {
            total: used.get(&c.item_id).copied().unwrap_or(Quantity::ZERO),
            days,
        };
        let active = c
            .supply
            .as_ref()
            .and_then(|s| suppliers.get(&s.supplier_id).map(|row| (s, row)))
            .filter(|(_, row)| row.active);
        let supply = active.map(|(s, row)| Supply {
            order_days: order_days(row),
            lead_time_days: row.lead_time_days,
            pack_quantity: s.pack_quantity,
            moq_packs: s.moq_packs,
        });
        let Some(sug) = policy::suggest(today, stock, usage, supply) else {
            continue;
        };
        let Some((s, row)) = active else {
            no_supplier.push(UnsuppliedLine {
                item_id: c.item_id,
                item_name: c.item_name,
                base_unit: c.base_unit,
                on_hand: stock.on_hand,
                on_order: stock.on_order,
                par_level: c.par_level,
                reorder_point: c.reorder_point,
                daily_usage: sug.daily_usage,
                projected: sug.projected,
                needed: sug.needed,
            });
            continue;
        };
        let packs: Vec<PackLevel> = serde_json::from_str(&s.packs)
            .map_err(|e| AppError::Internal(format!("stored packs do not read: {e}")))?;
        let line_value = s
            .price_per_pack
            .and_then(|price| rules::line_total(sug.packs, price));
        let group = groups
            .entry((row.name.clone(), row.id))
            .or_insert_with(|| ReorderGroup {
                supplier_id: row.id,
                supplier_name: row.name.clone(),
                currency: row.currency.clone(),
                expected_delivery: sug.expected_delivery,
                total: Money::ZERO,
                min_order_value: row.min_order_value,
                below_minimum: false,
                lines: Vec::new(),
            });
        if let Some(v) = line_value {
            group.total = group.total.checked_add(v).ok_or_else(|| {
                AppError::invalid(
                    "location_id",
                    "the suggestions' total is beyond the largest amount",
                )
            })?;
        }
        group.lines.push(ReorderLine {
            item_id: c.item_id,
            item_name: c.item_name,
            base_unit: c.base_unit,
            on_hand: stock.on_hand,
            on_order: stock.on_order,
            par_level: c.par_level,
            reorder_point: c.reorder_point,
            daily_usage: sug.daily_usage,
            projected: sug.projected,
            supplier_item_id: s.supplier_item_id,
            supplier_sku: s.supplier_sku.clone(),
            pack: pack_text(&packs),
            suggested_packs: sug.packs,
            moq_packs: s.moq_packs,
            pack_quantity: s.pack_quantity,
            quantity: sug.quantity,
            price_per_pack: s.price_per_pack,
            line_value,
        });
    }
    let suppliers = groups
        .into_values()
        .map(|mut g| {
            g.below_minimum = g.min_order_value.is_some_and(|m| g.total < m);
            g
        })
        .collect();
    Ok(ReorderSuggestions {
        location_id: location,
        location_name: loc.name,
        as_of,
        days,
        suppliers,
        no_supplier,
    })
}

/// The commands the chosen lines make: one per supplier (by supplier name), each line with the
/// index it had in the request. Lines of 0 packs are left out.
async fn chosen(
    tx: &mut dyn TenantTx,
    cmd: &ReorderOrderCommand,
) -> Result<Vec<(PurchaseOrderCommand, Vec<Origin>)>, AppError> {
    let mut seen: HashMap<SupplierItemId, usize> = HashMap::new();
    let mut by_supplier: BTreeMap<(String, SupplierId), (PurchaseOrderCommand, Vec<Origin>)> =
        BTreeMap::new();
    for (i, l) in cmd.lines.iter().enumerate() {
        if let Some(first) = seen.insert(l.supplier_item_id, i) {
            return Err(AppError::invalid(
                format!("lines[{i}].supplier_item_id"),
                format!("is ordered on lines[{first}] already"),
            ));
        }
        if l.packs == 0 {
            continue;
        }
        let si = tx
            .get_supplier_item(l.supplier_item_id)
            .await?
            .ok_or(AppError::NotFound("supplier item"))?;
        let supplier = tx
            .get_supplier(si.supplier_id)
            .await?
            .ok_or(AppError::NotFound("supplier"))?;
        let (po, fields) = by_supplier
            .entry((supplier.name.clone(), supplier.id))
            .or_insert_with(|| {
                (
                    PurchaseOrderCommand {
                        supplier_id: supplier.id,
                        location_id: cmd.location_id,
                        expected_delivery: None,
                        note: None,
                        lines: Vec::new(),
                    },
                    Vec::new(),
                )
            });
        po.lines.push(PurchaseOrderLineCommand {
            supplier_item_id: l.supplier_item_id,
            packs: l.packs,
            price_per_pack: None,
        });
        fields.push(Origin::Line(i));
    }
    Ok(by_supplier.into_values().collect())
}

/// Where a line of a purchase order command came from: a line of the request, or a suggestion
/// (of the item named) taken with `all_suggested`.
#[derive(Clone, Debug)]
enum Origin {
    Line(usize),
    Suggested(String),
}

/// A PO command's error on its `lines[j]` named as the request named it: `lines[i]...`, or
/// `all_suggested` with the item's name in the message.
fn renamed(e: AppError, origins: &[Origin]) -> AppError {
    let AppError::Validation { field, message } = e else {
        return e;
    };
    let origin = field
        .strip_prefix("lines[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(j, tail)| Some((origins.get(j.parse::<usize>().ok()?)?, tail)));
    match origin {
        Some((Origin::Line(i), tail)) => AppError::invalid(format!("lines[{i}]{tail}"), message),
        Some((Origin::Suggested(item), _)) => {
            AppError::invalid("all_suggested", format!("{item}: {message}"))
        }
        None => AppError::Validation { field, message },
    }
}

impl App {
    /// A location's reorder suggestions at `as_of` (default now), grouped by preferred
    /// supplier, with the items that have none apart.
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 404 on the location (one outside a limited
    /// member's included); 422 on `days` or an `as_of` more than a day ahead.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn reorder_suggestions(
        &self,
        p: Principal,
        q: ReorderQuery,
    ) -> Result<ReorderSuggestions, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        let days = usage_days(q.days)?;
        let now = Utc::now();
        let as_of = q.as_of.unwrap_or(now);
        if as_of > now + chrono::Duration::days(1) {
            return Err(AppError::invalid(
                "as_of",
                "must not be more than a day ahead",
            ));
        }
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { compute(tx, &p, q.location_id, as_of, days).await })
        })
        .await
    }

    /// Creates one draft purchase order per supplier from reorder suggestions, in one
    /// transaction and through the same checks as [`App::create_purchase_order`]: the chosen
    /// lines (0 packs left out), or with `all_suggested` every suggested line as computed now.
    ///
    /// # Errors
    /// 403 without `purchase_orders.write`; 404 on the location (one outside a limited
    /// member's included) or a supplier item; 422 naming the field (`lines` when nothing is
    /// left to order or both `lines` and `all_suggested` are given, `lines[2].packs` below the
    /// minimum order, `all_suggested` when a suggested line has no price in force).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_reorder_purchase_orders(
        &self,
        p: Principal,
        cmd: ReorderOrderCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<ReorderOrders>, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        let days = usage_days(cmd.days)?;
        if cmd.all_suggested && !cmd.lines.is_empty() {
            return Err(AppError::invalid(
                "lines",
                "give the lines to order or all_suggested, not both",
            ));
        }
        if !cmd.all_suggested && cmd.lines.iter().all(|l| l.packs == 0) {
            return Err(AppError::invalid(
                "lines",
                "nothing to order: give at least one line with packs, or all_suggested",
            ));
        }
        for (i, l) in cmd.lines.iter().enumerate() {
            if !(0..=MAX_LINE_PACKS).contains(&l.packs) {
                return Err(AppError::invalid(
                    format!("lines[{i}].packs"),
                    format!("must be 0 to {MAX_LINE_PACKS} whole packs"),
                ));
            }
        }
        if cmd.lines.len() > 1000 {
            return Err(AppError::invalid("lines", "at most 1000 lines"));
        }
        let now = Utc::now();
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::ReorderOrdersCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    crate::tenancy::require_location(tx, p.locations, c.location_id).await?;
                    tx.get_location(c.location_id)
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                    let orders = if c.all_suggested {
                        let s = compute(tx, &p, c.location_id, now, days).await?;
                        s.suppliers
                            .into_iter()
                            .map(|g| {
                                let fields = g
                                    .lines
                                    .iter()
                                    .map(|l| Origin::Suggested(l.item_name.clone()))
                                    .collect();
                                let po = PurchaseOrderCommand {
                                    supplier_id: g.supplier_id,
                                    location_id: c.location_id,
                                    expected_delivery: None,
                                    note: None,
                                    lines: g
                                        .lines
                                        .into_iter()
                                        .map(|l| PurchaseOrderLineCommand {
                                            supplier_item_id: l.supplier_item_id,
                                            packs: l.suggested_packs,
                                            price_per_pack: None,
                                        })
                                        .collect(),
                                };
                                (po, fields)
                            })
                            .collect()
                    } else {
                        chosen(tx, &c).await?
                    };
                    if orders.is_empty() {
                        return Err(AppError::invalid(
                            if c.all_suggested {
                                "all_suggested"
                            } else {
                                "lines"
                            },
                            "nothing to order at this location now",
                        ));
                    }
                    let mut purchase_orders = Vec::with_capacity(orders.len());
                    for (po, fields) in &orders {
                        let made = insert_draft(tx, &p, po, now)
                            .await
                            .map_err(|e| renamed(e, fields))?;
                        purchase_orders.push(made);
                    }
                    Ok(ReorderOrders { purchase_orders })
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_orders_line_field_is_named_as_the_request_named_it() {
        let origins = [
            Origin::Line(3),
            Origin::Line(0),
            Origin::Suggested("Basmati rice".into()),
        ];
        let named = |field: &str| match renamed(AppError::invalid(field, "no"), &origins) {
            AppError::Validation { field, message } => (field, message),
            e => panic!("{e:?}"),
        };
        assert_eq!(
            named("lines[1].packs"),
            ("lines[0].packs".into(), "no".into())
        );
        assert_eq!(named("supplier_id"), ("supplier_id".into(), "no".into()));
        assert_eq!(
            named("lines[2].price_per_pack"),
            ("all_suggested".into(), "Basmati rice: no".into())
        );
        assert_eq!(usage_days(None).ok(), Some(28));
        assert!(usage_days(Some(6)).is_err() && usage_days(Some(366)).is_err());
    }
}
