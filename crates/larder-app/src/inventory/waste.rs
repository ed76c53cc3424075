//! inventory: waste entries and reversals (issue 9, items 3 and 6; ADR 020).
//!
//! A waste entry throws stock away at a location with a reason: an item with a quantity (in
//! base units, or an amount typed in its packs and units: "2 packs + 150 g"), or a recipe
//! with a quantity of its yield (a wasted batch of sauce takes its ingredients out, exploded
//! exactly as sales deplete). Each ingredient is one `waste` movement through the ledger's one
//! door, valued at lot cost FEFO (ADR 014); the entry keeps each movement with the quantity
//! and cost it took. The waste report sums the ledger's waste movements by reason, item,
//! location, business day or category, in quantity and money.
//!
//! A mistaken movement is never edited: `reverse_movement` posts a compensating movement of
//! the same kind and opposite quantity that names it (`reverses`), once. Reversing a decrease
//! puts the stock back at exactly the cost it took (and in the lot's code and expiry when it
//! took from one dated lot); reversing an increase takes stock out FEFO. A movement its own
//! document posted (sale, transfer, production) is reversed through that document.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use larder_core::amount::{Measure, Rounding, parse_amount};
use larder_core::auth::Permission;
use larder_core::inventory::waste::{self as rules, WasteGroup};
use larder_core::inventory::{MovementKind, WasteReason};
use larder_core::menu::{self, Usage};
use larder_core::{
    BaseUnit, ItemId, Label, LocationId, Money, MovementId, Note, Quantity, RecipeId, WasteEntryId,
};
use larder_store::{
    Costing, LotSpec, Mode, MovementRow, StoreError, TenantTx, WasteEntryFilter, WasteEntryRow,
    WasteLineRow, WasteReportFilter, run_tenant,
};
use serde::{Deserialize, Serialize};

use super::Movement;
use crate::analytics::{Calendar, MAX_REPORT_DAYS, MAX_REPORT_ROWS};
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::menu::Book;
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// The most (item, location, reason) sums, or distinct instants, one waste report reads; a
/// period holding more is refused (422 on `to`) rather than read without bound.
pub const MAX_REPORT_SUMS: u32 = 100_000;

/// Throw stock away: an item (with `quantity` or `amount`) or a recipe (with a quantity of
/// its yield, in `quantity` or `amount`).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WasteCommand {
    /// Where it was thrown away.
    pub location_id: LocationId,
    /// Why: `spoilage`, `expired`, `overproduction`, `prep_error`, `returned`, `dropped`,
    /// `staff_meal` or `other`.
    pub reason: WasteReason,
    /// What happened; required for `other`.
    #[serde(default)]
    pub note: Option<Note>,
    /// When it happened (default now); not more than 5 minutes in the future.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    /// The item wasted (exactly one of `item_id` and `recipe_id`).
    #[serde(default)]
    pub item_id: Option<ItemId>,
    /// The recipe wasted: its ingredients are taken out.
    #[serde(default)]
    pub recipe_id: Option<RecipeId>,
    /// How much, in the item's base unit or the recipe's yield unit (decimal string, at
    /// most 3 decimals, positive). Exactly one of `quantity` and `amount`.
    #[serde(default)]
    pub quantity: Option<Quantity>,
    /// How much as typed: parts in the item's packs and in units, summed exactly
    /// ("1 case + 2 packs + 250 g"); a recipe's in units of its yield ("1.5 kg").
    #[serde(default)]
    pub amount: Option<Label>,
}

/// One ingredient a waste entry took out.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WasteLine {
    /// 1-based.
    pub line_no: i32,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Quantity taken out, base units (positive).
    pub quantity: Quantity,
    /// The cost it took from the lots, FEFO at the tenant's valuation method (positive).
    pub value: Money,
    /// Its waste movement.
    pub movement_id: MovementId,
    /// The movement that reversed it, if it was.
    pub reversed_by: Option<MovementId>,
}

/// A waste entry as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WasteEntry {
    /// Id.
    pub id: WasteEntryId,
    /// Where.
    pub location_id: LocationId,
    /// Why.
    pub reason: WasteReason,
    /// What happened.
    pub note: Option<String>,
    /// The item wasted (an entry by item).
    pub item_id: Option<ItemId>,
    /// The recipe wasted (an entry by recipe).
    pub recipe_id: Option<RecipeId>,
    /// The item's or the recipe's name.
    pub name: String,
    /// How much, in `unit` (the item's base unit or the recipe's yield unit).
    pub quantity: Quantity,
    /// The unit of `quantity`.
    pub unit: BaseUnit,
    /// The amount as typed, when typed.
    pub amount: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// The cost of everything it took out (positive), millionths as a decimal string.
    pub value: Money,
    /// Every line was reversed.
    pub reversed: bool,
    /// The ingredients it took out.
    pub lines: Vec<WasteLine>,
}

/// Filters for waste entries, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WasteQuery {
    /// At this location.
    pub location_id: Option<LocationId>,
    /// With this reason.
    pub reason: Option<WasteReason>,
    /// `occurred_at >= from` (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to` (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Reverse a mistaken movement (or every movement of a waste entry).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseCommand {
    /// Why it is reversed ("entered twice"), kept on the compensating movement.
    pub reason: Label,
}

/// The waste report's period and breakdown.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WasteReportQuery {
    /// Start, inclusive (RFC 3339, by when the waste happened).
    pub from: DateTime<Utc>,
    /// End, exclusive; at most 366 days after `from`.
    pub to: DateTime<Utc>,
    /// One location; absent: every location the caller may see.
    pub location_id: Option<LocationId>,
    /// `reason` (default), `item`, `location`, `day` (business days) or `category`.
    pub group_by: Option<WasteGroup>,
}

/// One line of the waste report.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WasteReportLine {
    /// The reason's, item's, location's or category's name, or the day (`YYYY-MM-DD`).
    pub name: String,
    /// The reason, when grouped by reason.
    pub reason: Option<WasteReason>,
    /// The item, when grouped by item.
    pub item_id: Option<ItemId>,
    /// The location, when grouped by location.
    pub location_id: Option<LocationId>,
    /// The business day, when grouped by day.
    pub day: Option<NaiveDate>,
    /// The item's base unit, when grouped by item.
    pub base_unit: Option<BaseUnit>,
    /// Quantity thrown away net of reversals, base units, when grouped by item.
    pub quantity: Option<Quantity>,
    /// Its cost at lot cost, net of reversals, millionths as a decimal string.
    pub value: Money,
}

/// Waste over a period, in money (and quantity per item), with totals.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WasteReport {
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
    /// The breakdown of `lines`.
    pub group_by: WasteGroup,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// The cost of all the waste of the period, net of reversals.
    pub total: Money,
    /// The lines, most money first (by day: in date order), at most 100.
    pub lines: Vec<WasteReportLine>,
    /// More lines than `lines` holds (their money is in `total`).
    pub truncated: bool,
    /// The same waste by item category, most money first.
    pub categories: Vec<WasteReportLine>,
}

fn blank_line(name: String, value: Money) -> WasteReportLine {
    WasteReportLine {
        name,
        reason: None,
        item_id: None,
        location_id: None,
        day: None,
        base_unit: None,
        quantity: None,
        value,
    }
}

/// A stored reason as a [`WasteReason`]: a hand-posted movement's is one (checked when
/// posted); anything else reads as `other`.
fn reason_of(stored: Option<&str>) -> WasteReason {
    stored
        .and_then(|s| s.parse().ok())
        .unwrap_or(WasteReason::Other)
}

fn report_money(raw: i128) -> Money {
    let clamped = raw.clamp(-i128::from(Money::MAX_RAW), i128::from(Money::MAX_RAW));
    Money::from_raw(i64::try_from(clamped).unwrap_or(Money::MAX_RAW))
}

fn report_quantity(raw: i128) -> Quantity {
    let clamped = raw.clamp(
        -i128::from(Quantity::MAX_RAW),
        i128::from(Quantity::MAX_RAW),
    );
    Quantity::from_raw(i64::try_from(clamped).unwrap_or(Quantity::MAX_RAW))
}

/// Lines by value (most first), then name.
fn by_value(mut lines: Vec<WasteReportLine>) -> Vec<WasteReportLine> {
    lines.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.name.cmp(&b.name)));
    lines
}

/// The quantity a command asks for, in base units of `base` (with `packs` for an item).
fn entered_quantity(
    cmd: &WasteCommand,
    base: BaseUnit,
    packs: &[(String, Quantity)],
) -> Result<Quantity, AppError> {
    let q = match (&cmd.quantity, &cmd.amount) {
        (Some(q), None) => *q,
        (None, Some(a)) => {
            let parts =
                parse_amount(a.as_str()).map_err(|e| AppError::invalid("amount", e.to_string()))?;
            let m = Measure {
                base,
                packs,
                density: None,
            };
            let total = m
                .total(&parts)
                .map_err(|e| AppError::invalid("amount", e.to_string()))?;
            Rounding::default()
                .apply(total)
                .map_err(|e| AppError::invalid("amount", e.to_string()))?
        }
        _ => {
            return Err(AppError::invalid(
                "quantity",
                "give either quantity (base units) or amount (\"2 packs + 150 g\")",
            ));
        }
    };
    if q.raw() <= 0 {
        let field = if cmd.amount.is_some() {
            "amount"
        } else {
            "quantity"
        };
        return Err(AppError::invalid(field, "must be more than zero"));
    }
    Ok(q)
}

/// The shape of a command, before anything is read; its `occurred_at`.
fn check_shape(cmd: &WasteCommand, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    if cmd.item_id.is_some() == cmd.recipe_id.is_some() {
        return Err(AppError::invalid(
            "item_id",
            "give either item_id or recipe_id",
        ));
    }
    if rules::needs_note(cmd.reason) && cmd.note.is_none() {
        return Err(AppError::invalid(
            "note",
            "say what happened when the reason is other",
        ));
    }
    let occurred_at = cmd.occurred_at.unwrap_or(now);
    if occurred_at > now + Duration::minutes(5) {
        return Err(AppError::invalid(
            "occurred_at",
            "must not be in the future",
        ));
    }
    Ok(occurred_at)
}

/// Names and base units of every item, for showing lines.
async fn item_names(
    tx: &mut dyn TenantTx,
) -> Result<HashMap<ItemId, (String, BaseUnit)>, AppError> {
    Ok(tx
        .all_item_units()
        .await?
        .into_iter()
        .map(|i| (i.id, (i.name, i.base_unit)))
        .collect())
}

/// An entry as shown.
async fn view(
    tx: &mut dyn TenantTx,
    e: WasteEntryRow,
    items: &HashMap<ItemId, (String, BaseUnit)>,
) -> Result<WasteEntry, AppError> {
    let rows = tx.waste_entry_lines(e.id).await?;
    let (name, unit) = match (e.item_id, e.recipe_id) {
        (Some(i), _) => items
            .get(&i)
            .cloned()
            .unwrap_or_else(|| (i.to_string(), BaseUnit::Ea)),
        (None, Some(r)) => tx
            .get_recipe(r)
            .await?
            .map_or_else(|| (r.to_string(), BaseUnit::Ea), |r| (r.name, r.yield_unit)),
        (None, None) => (String::new(), BaseUnit::Ea),
    };
    let mut total: i128 = 0;
    let mut lines = Vec::with_capacity(rows.len());
    for l in rows {
        total += i128::from(l.value.raw());
        let (item_name, base_unit) = items
            .get(&l.item_id)
            .cloned()
            .unwrap_or_else(|| (l.item_id.to_string(), BaseUnit::Ea));
        lines.push(WasteLine {
            line_no: l.line_no,
            item_id: l.item_id,
            item_name,
            base_unit,
            quantity: l.quantity,
            value: l.value,
            movement_id: l.movement_id,
            reversed_by: l.reversed_by,
        });
    }
    Ok(WasteEntry {
        id: e.id,
        location_id: e.location_id,
        reason: e.reason,
        note: e.note,
        item_id: e.item_id,
        recipe_id: e.recipe_id,
        name,
        quantity: e.quantity,
        unit,
        amount: e.amount,
        occurred_at: e.occurred_at,
        created_at: e.created_at,
        value: report_money(total),
        reversed: !lines.is_empty() && lines.iter().all(|l| l.reversed_by.is_some()),
        lines,
    })
}

/// The movement that compensates `original`, named by it: same item, location and kind,
/// the opposite quantity, `occurred_at` the original's (the mistake never happened in the
/// kitchen; `recorded_at` says when it was corrected). A decrease comes back at exactly the
/// cost it took, in the code and expiry of the one dated lot it took from, if it took from
/// one; an increase goes out FEFO.
///
/// # Errors
/// 409 on `id` for a reversal, a movement its document posted, or one already reversed
/// (naming the reversal).
async fn reversal_row(
    tx: &mut dyn TenantTx,
    p: &Principal,
    original: &MovementRow,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<MovementRow, AppError> {
    let quantity = rules::reversal_quantity(
        original.kind,
        original.quantity,
        original.reverses.is_some(),
    )
    .map_err(|e| AppError::conflict("id", e.to_string()))?;
    if let Some(r) = tx.reversal_of(original.id).await? {
        return Err(already_reversed(original.id, Some(r.id)));
    }
    let lot = if original.quantity.is_negative() {
        let value = original
            .costing
            .value
            .checked_neg()
            .ok_or_else(|| AppError::invalid("id", "the movement's value is out of range"))?;
        let taken = tx.movement_lots(original.id).await?;
        let dated = match taken.as_slice() {
            [one] => tx
                .get_lot(one.lot_id)
                .await?
                .filter(|l| l.expires_on.is_some()),
            _ => None,
        };
        Some(LotSpec {
            code: dated.as_ref().and_then(|l| l.code.clone()),
            expires_on: dated.and_then(|l| l.expires_on),
            value: Some(value),
        })
    } else {
        None
    };
    Ok(MovementRow {
        id: MovementId::new(),
        item_id: original.item_id,
        location_id: original.location_id,
        kind: original.kind,
        quantity,
        unit_cost: original.unit_cost,
        reason: Some(reason.to_owned()),
        sale_id: None,
        created_by: Some(p.user_id),
        reverses: Some(original.id),
        occurred_at: original.occurred_at,
        recorded_at: now,
        lot,
        costing: Costing::default(),
    })
}

fn already_reversed(id: MovementId, by: Option<MovementId>) -> AppError {
    AppError::conflict(
        "id",
        match by {
            Some(r) => format!("movement {id} was already reversed by movement {r}"),
            None => format!("movement {id} was already reversed"),
        },
    )
}

/// A reversal racing another of the same movement loses on `stock_movements_reverses`.
fn raced(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == "stock_movements_reverses" => {
            AppError::conflict("id", "the movement was already reversed")
        }
        other => other.into(),
    }
}

/// Reads an entry the caller may see (404 otherwise).
async fn visible_entry(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: WasteEntryId,
) -> Result<WasteEntryRow, AppError> {
    let e = tx
        .get_waste_entry(id)
        .await?
        .ok_or(AppError::NotFound("waste entry"))?;
    crate::tenancy::require_location(tx, p.locations, e.location_id)
        .await
        .map_err(|_| AppError::NotFound("waste entry"))?;
    Ok(e)
}

impl App {
    /// Records waste: each ingredient taken out is one `waste` movement valued at lot cost
    /// (FEFO), and the entry keeps them; retried with its key, it posts once.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on a location, item or recipe that is not the
    /// tenant's (or a location outside a limited member's); 422 naming the field (`amount`
    /// for a part that cannot convert, `note` for `other` without one).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn post_waste(
        &self,
        p: Principal,
        cmd: WasteCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<WasteEntry>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        let occurred_at = check_shape(&cmd, now)?;
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::WasteRecorded,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    crate::tenancy::require_location(tx, p.locations, c.location_id).await?;
                    tx.get_location(c.location_id)
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                    // What comes out, per item, exactly, rounded once.
                    let (quantity, out): (Quantity, Vec<(ItemId, Quantity, Option<Money>)>) =
                        match (c.item_id, c.recipe_id) {
                            (Some(id), _) => {
                                let item =
                                    tx.get_item(id).await?.ok_or(AppError::NotFound("item"))?;
                                let packs: Vec<(String, Quantity)> = item
                                    .pack_sizes
                                    .iter()
                                    .map(|s| (s.name.clone(), s.quantity))
                                    .collect();
                                let q = entered_quantity(&c, item.base_unit, &packs)?;
                                (q, vec![(id, q, item.unit_cost)])
                            }
                            (None, Some(id)) => {
                                let recipe = tx
                                    .get_recipe(id)
                                    .await?
                                    .ok_or(AppError::NotFound("recipe"))?;
                                let q = entered_quantity(&c, recipe.yield_unit, &[])?;
                                let book = Book::load(tx).await?;
                                let mut total = Usage::new();
                                menu::accumulate(&mut total, &book.usage(id)?, q).ok_or_else(
                                    || AppError::invalid("quantity", "the ingredients overflow"),
                                )?;
                                let quantities = menu::to_quantities(&total).ok_or_else(|| {
                                    AppError::invalid("quantity", "the ingredients overflow")
                                })?;
                                if quantities.is_empty() {
                                    return Err(AppError::invalid(
                                        "recipe_id",
                                        "the recipe takes nothing out of stock in that quantity",
                                    ));
                                }
                                let out = quantities
                                    .into_iter()
                                    .map(|(item, q)| (item, q, book.unit_cost(item)))
                                    .collect();
                                (q, out)
                            }
                            (None, None) => return Err(AppError::NotFound("item")),
                        };
                    let movements: Vec<MovementRow> = out
                        .iter()
                        .map(|(item, q, cost)| {
                            q.checked_neg()
                                .map(|neg| MovementRow {
                                    id: MovementId::new(),
                                    item_id: *item,
                                    location_id: c.location_id,
                                    kind: MovementKind::Waste,
                                    quantity: neg,
                                    unit_cost: *cost,
                                    reason: Some(c.reason.as_str().to_owned()),
                                    sale_id: None,
                                    created_by: Some(p.user_id),
                                    reverses: None,
                                    occurred_at,
                                    recorded_at: now,
                                    lot: None,
                                    costing: Costing::default(),
                                })
                                .ok_or_else(|| AppError::invalid("quantity", "is out of range"))
                        })
                        .collect::<Result<_, _>>()?;
                    let costs = crate::events::append_movements(tx, &movements).await?;
                    let mut lines = Vec::with_capacity(movements.len());
                    for (i, (m, cost)) in movements.iter().zip(costs.iter()).enumerate() {
                        lines.push(WasteLineRow {
                            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
                            item_id: m.item_id,
                            quantity: m.quantity.checked_neg().unwrap_or(Quantity::ZERO),
                            value: cost
                                .costing
                                .value
                                .checked_neg()
                                .ok_or_else(|| AppError::invalid("quantity", "is out of range"))?,
                            movement_id: m.id,
                            reversed_by: None,
                        });
                    }
                    let entry = WasteEntryRow {
                        id: WasteEntryId::new(),
                        location_id: c.location_id,
                        reason: c.reason,
                        note: c.note.clone().map(Note::into_string),
                        item_id: c.item_id,
                        recipe_id: c.recipe_id,
                        quantity,
                        amount: c.amount.clone().map(Label::into_string),
                        occurred_at,
                        created_by: p.user_id,
                        created_at: now,
                    };
                    tx.insert_waste_entry(&entry, &lines).await?;
                    let items = item_names(tx).await?;
                    view(tx, entry, &items).await
                })
            },
        )
        .await
    }

    /// One waste entry with its lines.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404 (one at a location outside a limited member's too).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_waste_entry(
        &self,
        p: Principal,
        id: WasteEntryId,
    ) -> Result<WasteEntry, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let e = visible_entry(tx, &p, id).await?;
                let items = item_names(tx).await?;
                view(tx, e, &items).await
            })
        })
        .await
    }

    /// Waste entries, newest first; a limited member's locations only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit`, `cursor` or a `from` after `to`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_waste_entries(
        &self,
        p: Principal,
        q: WasteQuery,
    ) -> Result<Page<WasteEntry>, AppError> {
        p.require(Permission::InventoryRead)?;
        let limit = page::limit(q.limit)?;
        if let (Some(f), Some(t)) = (q.from, q.to)
            && f > t
        {
            return Err(AppError::invalid("from", "must not be after to"));
        }
        let before = match &q.cursor {
            Some(c) => Some(page::id::<WasteEntryId>(&page::decode(c, 1)?[0])?),
            None => None,
        };
        let filter = WasteEntryFilter {
            location: q.location_id,
            reason: q.reason,
            from: q.from,
            to: q.to,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let entries = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_waste_entries(&filter).await?;
                let items = item_names(tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for e in rows {
                    out.push(view(tx, e, &items).await?);
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
        Ok(page::page(entries, limit, |e: &WasteEntry| {
            page::encode(&[&e.id.to_string()])
        }))
    }

    /// Reverses a mistaken movement by a compensating one that names it (ADR 020); retried
    /// with its key, it posts once.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on a movement not the tenant's (or outside a
    /// limited member's locations); 409 on `id` for a reversal, a sale's, transfer's or
    /// production batch's movement, or one already reversed (naming its reversal).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn reverse_movement(
        &self,
        p: Principal,
        id: MovementId,
        cmd: ReverseCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Movement>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        let request = (id, cmd.clone());
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::MovementReversed,
            &request,
            move |tx| {
                Box::pin(async move {
                    let original = tx
                        .get_movement(id)
                        .await?
                        .ok_or(AppError::NotFound("movement"))?;
                    crate::tenancy::require_location(tx, p.locations, original.location_id)
                        .await
                        .map_err(|_| AppError::NotFound("movement"))?;
                    let row = reversal_row(tx, &p, &original, cmd.reason.as_str(), now).await?;
                    let costs = crate::events::append_movements(tx, std::slice::from_ref(&row))
                        .await
                        .map_err(raced)?;
                    Ok(Movement::costed(row, costs.first()))
                })
            },
        )
        .await
    }

    /// Reverses every movement of a waste entry not already reversed, in one transaction;
    /// retried with its key, it posts once.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on an entry not the tenant's (or outside a limited
    /// member's locations); 409 on `id` when every movement was already reversed.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn reverse_waste_entry(
        &self,
        p: Principal,
        id: WasteEntryId,
        cmd: ReverseCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<WasteEntry>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        let request = (id, cmd.clone());
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::MovementReversed,
            &request,
            move |tx| {
                Box::pin(async move {
                    let entry = visible_entry(tx, &p, id).await?;
                    let lines = tx.waste_entry_lines(id).await?;
                    let mut rows = Vec::new();
                    for l in lines.iter().filter(|l| l.reversed_by.is_none()) {
                        let original = tx
                            .get_movement(l.movement_id)
                            .await?
                            .ok_or(AppError::NotFound("movement"))?;
                        rows.push(reversal_row(tx, &p, &original, cmd.reason.as_str(), now).await?);
                    }
                    if rows.is_empty() {
                        return Err(AppError::conflict(
                            "id",
                            format!("waste entry {id} was already reversed"),
                        ));
                    }
                    crate::events::append_movements(tx, &rows)
                        .await
                        .map_err(raced)?;
                    let items = item_names(tx).await?;
                    view(tx, entry, &items).await
                })
            },
        )
        .await
    }

    /// Waste over a period, from the ledger's waste movements (hand-posted ones too), at the
    /// cost they took from the lots and net of reversals: broken down by reason, item,
    /// location, business day or category, with the total and a breakdown by category.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `from` after `to`, a period over 366 days, or one
    /// holding more than [`MAX_REPORT_SUMS`] sums.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn waste_report(
        &self,
        p: Principal,
        q: WasteReportQuery,
    ) -> Result<WasteReport, AppError> {
        p.require(Permission::InventoryRead)?;
        if q.from > q.to {
            return Err(AppError::invalid("from", "must not be after to"));
        }
        if q.to - q.from > Duration::days(MAX_REPORT_DAYS) {
            return Err(AppError::invalid(
                "to",
                format!("a report covers at most {MAX_REPORT_DAYS} days; ask for a shorter period"),
            ));
        }
        let group_by = q.group_by.unwrap_or_default();
        let filter = WasteReportFilter {
            from: q.from,
            to: q.to,
            location: q.location_id,
            scope: p.locations,
            limit: MAX_REPORT_SUMS + 1,
        };
        let (tenant, totals, instants) =
            run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
                Box::pin(async move {
                    if let Some(l) = filter.location {
                        crate::tenancy::require_location(tx, p.locations, l).await?;
                    }
                    let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
                    let totals = tx.waste_totals(&filter).await?;
                    let instants = if group_by == WasteGroup::Day {
                        tx.waste_by_instant(&filter).await?
                    } else {
                        Vec::new()
                    };
                    Ok::<_, AppError>((tenant, totals, instants))
                })
            })
            .await?;
        if totals.len() > MAX_REPORT_SUMS as usize || instants.len() > MAX_REPORT_SUMS as usize {
            return Err(AppError::invalid(
                "to",
                "the period holds too much waste to sum at once; ask for a shorter period",
            ));
        }
        let total = report_money(totals.iter().map(|t| i128::from(t.value.raw())).sum());
        // Lines by the grouping asked for.
        let mut lines: Vec<WasteReportLine> = match group_by {
            WasteGroup::Reason => {
                let mut by: HashMap<WasteReason, i128> = HashMap::new();
                for t in &totals {
                    *by.entry(reason_of(t.reason.as_deref())).or_default() +=
                        i128::from(t.value.raw());
                }
                by_value(
                    by.into_iter()
                        .map(|(r, v)| WasteReportLine {
                            reason: Some(r),
                            ..blank_line(r.label().to_owned(), report_money(v))
                        })
                        .collect(),
                )
            }
            WasteGroup::Item => {
                let mut by: BTreeMap<ItemId, (String, BaseUnit, i128, i128)> = BTreeMap::new();
                for t in &totals {
                    let e = by
                        .entry(t.item_id)
                        .or_insert_with(|| (t.item_name.clone(), t.base_unit, 0, 0));
                    e.2 += i128::from(t.quantity.raw());
                    e.3 += i128::from(t.value.raw());
                }
                by_value(
                    by.into_iter()
                        .map(|(id, (name, unit, qty, v))| WasteReportLine {
                            item_id: Some(id),
                            base_unit: Some(unit),
                            quantity: Some(report_quantity(qty)),
                            ..blank_line(name, report_money(v))
                        })
                        .collect(),
                )
            }
            WasteGroup::Location => {
                let mut by: BTreeMap<LocationId, (String, i128)> = BTreeMap::new();
                for t in &totals {
                    let e = by
                        .entry(t.location_id)
                        .or_insert_with(|| (t.location_name.clone(), 0));
                    e.1 += i128::from(t.value.raw());
                }
                by_value(
                    by.into_iter()
                        .map(|(id, (name, v))| WasteReportLine {
                            location_id: Some(id),
                            ..blank_line(name, report_money(v))
                        })
                        .collect(),
                )
            }
            WasteGroup::Category => category_lines(&totals),
            WasteGroup::Day => {
                let calendar = Calendar::of(&tenant)?;
                let mut by: BTreeMap<NaiveDate, i128> = BTreeMap::new();
                for i in &instants {
                    *by.entry(calendar.business_date(i.occurred_at)).or_default() +=
                        i128::from(i.value.raw());
                }
                by.into_iter()
                    .map(|(d, v)| WasteReportLine {
                        day: Some(d),
                        ..blank_line(d.format("%Y-%m-%d").to_string(), report_money(v))
                    })
                    .collect()
            }
        };
        // A reversed entry nets to nothing: leave such lines out (by day, a day stays).
        if group_by != WasteGroup::Day {
            lines.retain(|l| {
                l.value != Money::ZERO || l.quantity.is_some_and(|q| q != Quantity::ZERO)
            });
        }
        let truncated = lines.len() > MAX_REPORT_ROWS as usize;
        lines.truncate(MAX_REPORT_ROWS as usize);
        let mut categories = category_lines(&totals);
        categories.retain(|l| l.value != Money::ZERO);
        Ok(WasteReport {
            from: q.from,
            to: q.to,
            group_by,
            currency: tenant.currency,
            total,
            lines,
            truncated,
            categories,
        })
    }
}

fn category_lines(totals: &[larder_store::WasteTotalRow]) -> Vec<WasteReportLine> {
    let mut by: BTreeMap<String, i128> = BTreeMap::new();
    for t in totals {
        *by.entry(t.category.clone().unwrap_or_default())
            .or_default() += i128::from(t.value.raw());
    }
    by_value(
        by.into_iter()
            .map(|(c, v)| blank_line(c, report_money(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> WasteCommand {
        WasteCommand {
            location_id: LocationId::new(),
            reason: WasteReason::Dropped,
            note: None,
            occurred_at: None,
            item_id: Some(ItemId::new()),
            recipe_id: None,
            quantity: None,
            amount: None,
        }
    }

    fn field(r: Result<impl std::fmt::Debug, AppError>) -> String {
        match r {
            Err(AppError::Validation { field, .. }) => field,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn amounts_sum_packs_and_units_exactly_and_name_their_field() {
        let packs = vec![("case".to_owned(), Quantity::from_raw(6_000_000))];
        let mut c = cmd();
        c.amount = Some(Label::parse("1 case + 250 g").unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(
            entered_quantity(&c, BaseUnit::G, &packs).ok(),
            Some(Quantity::from_raw(6_250_000))
        );
        c.amount = Some(Label::parse("2 l").unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(field(entered_quantity(&c, BaseUnit::G, &packs)), "amount");
        c.quantity = Some(Quantity::from_raw(1));
        assert_eq!(field(entered_quantity(&c, BaseUnit::G, &packs)), "quantity");
        c.amount = None;
        c.quantity = Some(Quantity::ZERO);
        assert_eq!(field(entered_quantity(&c, BaseUnit::G, &packs)), "quantity");
    }

    #[test]
    fn an_entry_names_one_thing_and_other_needs_a_note() {
        let now = Utc::now();
        let mut c = cmd();
        c.recipe_id = Some(RecipeId::new());
        assert_eq!(field(check_shape(&c, now)), "item_id");
        let mut c = cmd();
        c.reason = WasteReason::Other;
        assert_eq!(field(check_shape(&c, now)), "note");
        let mut c = cmd();
        c.occurred_at = Some(now + Duration::hours(1));
        assert_eq!(field(check_shape(&c, now)), "occurred_at");
        assert!(check_shape(&cmd(), now).is_ok());
    }
}
