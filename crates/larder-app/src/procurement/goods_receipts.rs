//! procurement: goods receipts (issue 8, part 3; ADR 015). A delivery is received at the back
//! door against a purchase order (partial, over or under what was ordered, a substituted
//! supplier item, a line refused with its reason) or without one (a walk-in purchase). Each
//! accepted line posts one receipt movement that opens a lot with its code, expiry date and
//! exact cost (ADR 014), and adds to the order line's received quantity; the order moves to
//! `partially_received` or `received`. A price that differs from the order's is flagged. One
//! `Idempotency-Key` posts a delivery once. Receiving needs `inventory.adjust`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::inventory::MovementKind;
use larder_core::procurement::goods_receipts as rules;
use larder_core::procurement::purchase_orders::PoStatus;
use larder_core::{
    Code, GoodsReceiptId, ItemId, Label, LocationId, LotId, Money, MovementId, Note,
    PurchaseOrderId, Quantity, SupplierId, SupplierItemId,
};
use larder_store::{
    Costing, GoodsReceiptFilter, GoodsReceiptLineRow, GoodsReceiptRow, LotSpec, Mode, MovementRow,
    PurchaseOrderStatusChange, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use super::price_at;
use super::purchase_orders::visible;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Most lines one receipt may carry.
pub const MAX_LINES: usize = 500;

/// One line of a delivery: what arrived of one supplier item (or item), what was accepted and
/// refused, at what price, into which lot.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineCommand {
    /// The purchase order line this receives against (its `line_no`). Absent on a receipt
    /// against an order: something the order did not have.
    pub po_line: Option<i32>,
    /// The supplier item delivered: default the order line's; another one of the same
    /// supplier is a substitution (flagged). Required for a line not on an order unless
    /// `item_id` is given.
    pub supplier_item_id: Option<SupplierItemId>,
    /// The item, for a walk-in line bought without a supplier item (then `quantity` and
    /// `unit_cost` are in its base unit).
    pub item_id: Option<ItemId>,
    /// Packs accepted (decimal, at most 3 places: `2.5`), when received by supplier item.
    pub packs: Option<Quantity>,
    /// Quantity accepted in the item's base unit, instead of `packs`.
    pub quantity: Option<Quantity>,
    /// Packs refused at the door (or `rejected_quantity` in base units), with a reason.
    pub rejected_packs: Option<Quantity>,
    /// Quantity refused at the door, base units.
    pub rejected_quantity: Option<Quantity>,
    /// Why it was refused (required when anything was).
    pub rejection_reason: Option<Label>,
    /// Price per pack on the delivery note or invoice; default the order line's price, else
    /// the supplier item's price in force. Not negative.
    pub price_per_pack: Option<Money>,
    /// Cost per base unit, for a line received by `item_id`; default the item's cost.
    pub unit_cost: Option<Money>,
    /// The lot or batch code printed on the goods.
    pub lot_code: Option<Code>,
    /// Expiry or best-before date (`YYYY-MM-DD`), not before the day it arrived.
    pub expires_on: Option<NaiveDate>,
}

/// Receive a delivery.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptCommand {
    /// The purchase order delivered (approved, sent or partially received). Absent: a
    /// walk-in purchase.
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// Where it was received: default the order's location; required without an order.
    pub location_id: Option<LocationId>,
    /// The supplier of a walk-in purchase, if any (the order's otherwise).
    pub supplier_id: Option<SupplierId>,
    /// When it arrived (default now); not more than 5 minutes in the future.
    pub received_at: Option<DateTime<Utc>>,
    /// The supplier's delivery note or invoice number.
    pub delivery_note: Option<Code>,
    /// A note.
    pub note: Option<Note>,
    /// The lines, 1 to 500.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<ReceiptLineCommand>,
}

/// What is worth a second look on a receipt line.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceiptFlags {
    /// The price paid differs from the order line's price.
    pub price_differs: bool,
    /// Another supplier item than the order line's was delivered.
    pub substituted: bool,
    /// More arrived than was still to come on the order line.
    pub over: bool,
    /// Less arrived than was still to come on the order line.
    pub under: bool,
    /// Something was refused at the door.
    pub rejected: bool,
    /// The line is not on the order.
    pub not_ordered: bool,
}

/// A receipt line as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GoodsReceiptLine {
    /// 1-based.
    pub line_no: i32,
    /// The order line received against.
    pub po_line: Option<i32>,
    /// The supplier item received.
    pub supplier_item_id: Option<SupplierItemId>,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Packs accepted.
    pub packs: Option<Quantity>,
    /// Quantity accepted, base units.
    pub quantity: Quantity,
    /// Price per pack paid.
    pub price_per_pack: Option<Money>,
    /// The order line's price per pack.
    pub ordered_price_per_pack: Option<Money>,
    /// Cost per base unit of the lot.
    pub unit_cost: Money,
    /// Value of what was accepted, exactly.
    pub value: Money,
    /// Quantity refused, base units.
    pub rejected_quantity: Quantity,
    /// Why.
    pub rejection_reason: Option<String>,
    /// Lot code.
    pub lot_code: Option<String>,
    /// Expiry or best-before date.
    pub expires_on: Option<NaiveDate>,
    /// The receipt movement.
    pub movement_id: Option<MovementId>,
    /// The lot it opened.
    pub lot_id: Option<LotId>,
    /// What to look at.
    pub flags: ReceiptFlags,
}

/// A goods receipt as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GoodsReceipt {
    /// Id.
    pub id: GoodsReceiptId,
    /// The order received against.
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// The supplier.
    pub supplier_id: Option<SupplierId>,
    /// Where.
    pub location_id: LocationId,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Delivery note or invoice number.
    pub delivery_note: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// The value of everything accepted.
    pub total: Money,
    /// The order's status after this receipt.
    pub purchase_order_status: Option<PoStatus>,
    /// The lines.
    pub lines: Vec<GoodsReceiptLine>,
}

/// Filters for receipts, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GoodsReceiptQuery {
    /// Against this order.
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// At this location.
    pub location_id: Option<LocationId>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

fn at_line(i: usize, e: AppError) -> AppError {
    match e {
        AppError::Validation { field, message } => AppError::Validation {
            field: format!("lines[{i}].{field}"),
            message,
        },
        other => other,
    }
}

/// The shape of a command, before anything is read.
fn check_shape(cmd: &ReceiptCommand, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    if cmd.lines.is_empty() || cmd.lines.len() > MAX_LINES {
        return Err(AppError::invalid(
            "lines",
            format!("must have 1 to {MAX_LINES} lines"),
        ));
    }
    if cmd.purchase_order_id.is_none() && cmd.location_id.is_none() {
        return Err(AppError::invalid(
            "location_id",
            "is required for a receipt without a purchase order",
        ));
    }
    if cmd.purchase_order_id.is_some() && cmd.supplier_id.is_some() {
        return Err(AppError::invalid(
            "supplier_id",
            "comes from the purchase order",
        ));
    }
    let received_at = cmd.received_at.unwrap_or(now);
    if received_at > now + chrono::Duration::minutes(5) {
        return Err(AppError::invalid(
            "received_at",
            "must not be in the future",
        ));
    }
    for (i, l) in cmd.lines.iter().enumerate() {
        let bad = |f: &str, m: &str| at_line(i, AppError::invalid(f, m));
        if l.packs.is_some() == l.quantity.is_some() {
            return Err(bad("packs", "give either packs or quantity (base units)"));
        }
        if l.rejected_packs.is_some() && l.rejected_quantity.is_some() {
            return Err(bad(
                "rejected_packs",
                "give either rejected_packs or rejected_quantity",
            ));
        }
        for (f, v) in [
            ("packs", l.packs),
            ("quantity", l.quantity),
            ("rejected_packs", l.rejected_packs),
            ("rejected_quantity", l.rejected_quantity),
        ] {
            if v.is_some_and(Quantity::is_negative) {
                return Err(bad(f, "must not be negative"));
            }
        }
        let rejected = l
            .rejected_packs
            .or(l.rejected_quantity)
            .unwrap_or(Quantity::ZERO);
        let accepted = l.packs.or(l.quantity).unwrap_or(Quantity::ZERO);
        if accepted.raw() == 0 && rejected.raw() == 0 {
            return Err(bad("packs", "nothing was accepted or refused"));
        }
        if rejected.raw() > 0 && l.rejection_reason.is_none() {
            return Err(bad("rejection_reason", "say why it was refused"));
        }
        if l.price_per_pack.is_some_and(Money::is_negative) {
            return Err(bad("price_per_pack", "must not be negative"));
        }
        if l.unit_cost.is_some_and(Money::is_negative) {
            return Err(bad("unit_cost", "must not be negative"));
        }
        if l.expires_on.is_some_and(|d| d < received_at.date_naive()) {
            return Err(bad(
                "expires_on",
                "must not be before the day the goods arrived",
            ));
        }
        if cmd.purchase_order_id.is_none() && l.po_line.is_some() {
            return Err(bad("po_line", "needs a purchase_order_id"));
        }
        if l.item_id.is_some() && (l.supplier_item_id.is_some() || l.po_line.is_some()) {
            return Err(bad(
                "item_id",
                "is for a line bought without a supplier item or order line",
            ));
        }
        if l.item_id.is_some() && (l.packs.is_some() || l.rejected_packs.is_some()) {
            return Err(bad(
                "packs",
                "a line by item_id is in base units (quantity)",
            ));
        }
        if l.item_id.is_none() && l.supplier_item_id.is_none() && l.po_line.is_none() {
            return Err(bad(
                "supplier_item_id",
                "name the supplier item, the order line or the item",
            ));
        }
    }
    Ok(received_at)
}

/// What one line resolved to, before it is written.
struct Resolved {
    row: GoodsReceiptLineRow,
    flags: ReceiptFlags,
    item_name: String,
    /// (order line, quantity to add to it).
    adds_to: Option<(i32, Quantity)>,
}

async fn resolve_line(
    tx: &mut dyn TenantTx,
    i: usize,
    l: &ReceiptLineCommand,
    order: Option<&(
        larder_store::PurchaseOrderRow,
        Vec<larder_store::PurchaseOrderLineRow>,
    )>,
    supplier: Option<SupplierId>,
    received_at: DateTime<Utc>,
    names: &mut HashMap<ItemId, (String, Option<Money>)>,
) -> Result<Resolved, AppError> {
    let bad = |f: &str, m: String| at_line(i, AppError::invalid(f, m));
    let po_line = match (l.po_line, order) {
        (Some(n), Some((_, lines))) => Some(
            lines
                .iter()
                .find(|x| x.line_no == n)
                .ok_or_else(|| bad("po_line", format!("the order has no line {n}")))?
                .clone(),
        ),
        _ => None,
    };
    let mut flags = ReceiptFlags {
        not_ordered: order.is_some() && po_line.is_none(),
        ..Default::default()
    };
    // The supplier item delivered, if any, and the item.
    let supplier_item_id = l
        .supplier_item_id
        .or(po_line.as_ref().map(|x| x.supplier_item_id));
    let (item_id, pack_quantity, listed_price) = match supplier_item_id {
        Some(id) => {
            let si = tx
                .get_supplier_item(id)
                .await?
                .ok_or(AppError::NotFound("supplier item"))?;
            if let Some(s) = supplier
                && si.supplier_id != s
            {
                return Err(bad(
                    "supplier_item_id",
                    "is another supplier's item".to_owned(),
                ));
            }
            let prices = tx.supplier_prices(id).await?;
            (
                si.item_id,
                Some(si.pack_quantity),
                price_at(&prices, received_at),
            )
        }
        None => {
            let item = l.item_id.ok_or(AppError::NotFound("item"))?;
            (item, None, None)
        }
    };
    if let Some(pl) = &po_line
        && pl.supplier_item_id != supplier_item_id.unwrap_or(pl.supplier_item_id)
    {
        flags.substituted = true;
    }
    if let std::collections::hash_map::Entry::Vacant(e) = names.entry(item_id) {
        let item = tx
            .get_item(item_id)
            .await?
            .ok_or(AppError::NotFound("item"))?;
        e.insert((item.name, item.unit_cost));
    }
    let (item_name, book_cost) = names.get(&item_id).cloned().unwrap_or_default();
    // Quantities, exactly.
    let to_base = |packs: Option<Quantity>, base: Option<Quantity>, field: &str| match (
        packs,
        base,
        pack_quantity,
    ) {
        (Some(p), _, Some(pq)) => {
            rules::packs_to_base(p, pq).map_err(|m| at_line(i, AppError::invalid(field, m)))
        }
        (Some(_), _, None) => Err(at_line(
            i,
            AppError::invalid(field, "needs a supplier item to count packs"),
        )),
        (None, Some(q), _) => Ok(q),
        (None, None, _) => Ok(Quantity::ZERO),
    };
    let quantity = to_base(l.packs, l.quantity, "packs")?;
    let rejected = to_base(
        l.rejected_packs,
        l.rejected_quantity,
        if l.rejected_packs.is_some() {
            "rejected_packs"
        } else {
            "rejected_quantity"
        },
    )?;
    flags.rejected = rejected.raw() > 0;
    // Price and value: packs x price exactly, the lot's cost per base unit from it.
    let ordered_price = po_line.as_ref().map(|x| x.price_per_pack);
    let (price_per_pack, value, unit_cost) = match pack_quantity {
        Some(pq) => {
            let price = l
                .price_per_pack
                .or(if flags.substituted {
                    None
                } else {
                    ordered_price
                })
                .or(listed_price)
                .ok_or_else(|| {
                    bad(
                        "price_per_pack",
                        "is required: the supplier item has no price in force".to_owned(),
                    )
                })?;
            let packs = match l.packs {
                Some(p) => p,
                None => Quantity::from_raw(
                    i64::try_from(i128::from(quantity.raw()) * 1000 / i128::from(pq.raw().max(1)))
                        .unwrap_or(i64::MAX),
                ),
            };
            let value = if l.packs.is_some() {
                rules::packs_value(packs, price)
            } else {
                // Base units of a supplier item: value at the price per base unit.
                rules::unit_cost_of(price, pq).and_then(|c| quantity.cost_at(c))
            }
            .ok_or_else(|| {
                bad(
                    "price_per_pack",
                    "the line's value is out of range".to_owned(),
                )
            })?;
            let unit_cost = if quantity.raw() > 0 {
                rules::unit_cost_of(value, quantity)
            } else {
                rules::unit_cost_of(price, pq)
            }
            .unwrap_or(Money::ZERO);
            (Some(price), value, unit_cost)
        }
        None => {
            let cost = l
                .unit_cost
                .or(book_cost)
                .ok_or_else(|| bad("unit_cost", "is required: the item has no cost".to_owned()))?;
            let value = quantity
                .cost_at(cost)
                .ok_or_else(|| bad("unit_cost", "the line's value is out of range".to_owned()))?;
            (None, value, cost)
        }
    };
    if let (Some(paid), Some(ordered)) = (price_per_pack, ordered_price)
        && !flags.substituted
        && paid != ordered
    {
        flags.price_differs = true;
    }
    // Against the order line: what it still expects, and whether this counts toward it (the
    // same item, substituted or not).
    let mut adds_to = None;
    if let Some(pl) = &po_line
        && pl.item_id == item_id
    {
        let outstanding = (pl.quantity.raw() - pl.received_quantity.raw()).max(0);
        flags.over = quantity.raw() > outstanding;
        flags.under = quantity.raw() < outstanding;
        if quantity.raw() > 0 {
            adds_to = Some((pl.line_no, quantity));
        }
    }
    let line_no = i32::try_from(i + 1).unwrap_or(i32::MAX);
    Ok(Resolved {
        item_name,
        flags,
        adds_to,
        row: GoodsReceiptLineRow {
            line_no,
            po_line_no: po_line.as_ref().map(|x| x.line_no),
            supplier_item_id,
            item_id,
            packs: pack_quantity.map(|pq| match l.packs {
                Some(p) => p,
                None => Quantity::from_raw(
                    i64::try_from(i128::from(quantity.raw()) * 1000 / i128::from(pq.raw().max(1)))
                        .unwrap_or(i64::MAX),
                ),
            }),
            quantity,
            price_per_pack,
            unit_cost,
            value,
            ordered_price_per_pack: ordered_price,
            substituted: flags.substituted,
            rejected_quantity: rejected,
            rejection_reason: l.rejection_reason.clone().map(Label::into_string),
            lot_code: l.lot_code.clone().map(Code::into_string),
            expires_on: l.expires_on,
            movement_id: None,
            lot_id: None,
        },
    })
}

/// A stored receipt as shown, its flags worked out again from what was stored.
async fn view(tx: &mut dyn TenantTx, g: GoodsReceiptRow) -> Result<GoodsReceipt, AppError> {
    let lines = tx.goods_receipt_lines(g.id).await?;
    let status = match g.purchase_order_id {
        Some(id) => tx.get_purchase_order(id).await?.map(|po| po.status),
        None => None,
    };
    let mut names: HashMap<ItemId, String> = HashMap::new();
    let mut total: i128 = 0;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(l.item_id) {
            let name = tx
                .get_item(l.item_id)
                .await?
                .map_or_else(|| l.item_id.to_string(), |i| i.name);
            e.insert(name);
        }
        total += i128::from(l.value.raw());
        out.push(GoodsReceiptLine {
            item_name: names.get(&l.item_id).cloned().unwrap_or_default(),
            flags: ReceiptFlags {
                price_differs: !l.substituted
                    && l.price_per_pack.is_some()
                    && l.ordered_price_per_pack.is_some()
                    && l.price_per_pack != l.ordered_price_per_pack,
                substituted: l.substituted,
                rejected: l.rejected_quantity.raw() > 0,
                not_ordered: g.purchase_order_id.is_some() && l.po_line_no.is_none(),
                over: false,
                under: false,
            },
            line_no: l.line_no,
            po_line: l.po_line_no,
            supplier_item_id: l.supplier_item_id,
            item_id: l.item_id,
            packs: l.packs,
            quantity: l.quantity,
            price_per_pack: l.price_per_pack,
            ordered_price_per_pack: l.ordered_price_per_pack,
            unit_cost: l.unit_cost,
            value: l.value,
            rejected_quantity: l.rejected_quantity,
            rejection_reason: l.rejection_reason,
            lot_code: l.lot_code,
            expires_on: l.expires_on,
            movement_id: l.movement_id,
            lot_id: l.lot_id,
        });
    }
    Ok(GoodsReceipt {
        id: g.id,
        purchase_order_id: g.purchase_order_id,
        supplier_id: g.supplier_id,
        location_id: g.location_id,
        received_at: g.received_at,
        delivery_note: g.delivery_note,
        note: g.note,
        total: i64::try_from(total)
            .ok()
            .and_then(Money::checked_from_raw)
            .ok_or_else(|| AppError::invalid("lines", "the total is out of range"))?,
        purchase_order_status: status,
        lines: out,
    })
}

impl App {
    /// Receives a delivery: every accepted line posts a receipt movement opening a lot, the
    /// order's lines add what arrived and the order moves to partially received or received,
    /// all in one transaction; retried with its key, it posts once.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on an order, location, supplier item or item that
    /// is not the tenant's (or outside a limited member's locations); 409 when the order
    /// cannot receive (a draft, submitted, received, cancelled or closed order); 422 naming
    /// the field (`lines[2].expires_on`).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id, lines = cmd.lines.len()))]
    pub async fn receive_goods(
        &self,
        p: Principal,
        cmd: ReceiptCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<GoodsReceipt>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        let received_at = check_shape(&cmd, now)?;
        let c = cmd.clone();
        run_once(self.db(), &p, key, crate::events::EventType::GoodsReceived, &cmd, move |tx| {
            Box::pin(async move {
                let order = match c.purchase_order_id {
                    Some(id) => {
                        let po = visible(tx, &p, id).await?;
                        if !rules::can_receive(po.status) {
                            return Err(AppError::conflict(
                                "status",
                                format!(
                                    "a purchase order that is {} cannot receive goods",
                                    po.status.as_str().replace('_', " ")
                                ),
                            ));
                        }
                        if c.location_id.is_some_and(|l| l != po.location_id) {
                            return Err(AppError::invalid(
                                "location_id",
                                "is not where the purchase order is delivered",
                            ));
                        }
                        let lines = tx.purchase_order_lines(id).await?;
                        Some((po, lines))
                    }
                    None => None,
                };
                let location = match &order {
                    Some((po, _)) => po.location_id,
                    None => {
                        let l = c.location_id.ok_or(AppError::NotFound("location"))?;
                        crate::tenancy::require_location(tx, p.locations, l).await?;
                        tx.get_location(l)
                            .await?
                            .ok_or(AppError::NotFound("location"))?;
                        l
                    }
                };
                // Stock is valued in the tenant's currency: a supplier billing in another
                // cannot value a lot by its prices.
                let tenant_currency = tx
                    .get_tenant()
                    .await?
                    .map(|t| t.currency)
                    .unwrap_or_default();
                let foreign = |field: &str, currency: &str| {
                    AppError::invalid(
                        field,
                        format!(
                            "the supplier bills in {currency} and stock is valued in {tenant_currency}: receive it by item with a unit_cost in {tenant_currency}"
                        ),
                    )
                };
                let supplier = match &order {
                    Some((po, _)) => {
                        if po.currency != tenant_currency {
                            return Err(foreign("purchase_order_id", &po.currency));
                        }
                        Some(po.supplier_id)
                    }
                    None => match c.supplier_id {
                        Some(s) => {
                            let s = tx
                                .get_supplier(s)
                                .await?
                                .ok_or(AppError::NotFound("supplier"))?;
                            if s.currency != tenant_currency {
                                return Err(foreign("supplier_id", &s.currency));
                            }
                            Some(s.id)
                        }
                        None => None,
                    },
                };
                if supplier.is_none() {
                    for (i, l) in c.lines.iter().enumerate() {
                        let Some(id) = l.supplier_item_id else { continue };
                        let si = tx
                            .get_supplier_item(id)
                            .await?
                            .ok_or(AppError::NotFound("supplier item"))?;
                        let s = tx
                            .get_supplier(si.supplier_id)
                            .await?
                            .ok_or(AppError::NotFound("supplier"))?;
                        if s.currency != tenant_currency {
                            return Err(at_line(i, foreign("supplier_item_id", &s.currency)));
                        }
                    }
                }
                let mut names = HashMap::new();
                let mut resolved = Vec::with_capacity(c.lines.len());
                for (i, l) in c.lines.iter().enumerate() {
                    resolved.push(
                        resolve_line(tx, i, l, order.as_ref(), supplier, received_at, &mut names)
                            .await?,
                    );
                }
                // The movements, in line order; each accepted line opens its lot.
                let id = GoodsReceiptId::new();
                let reason = format!("goods receipt {id}");
                let mut movements = Vec::new();
                let mut of_line = Vec::new();
                for (i, r) in resolved.iter_mut().enumerate() {
                    if r.row.quantity.raw() == 0 {
                        continue;
                    }
                    let m = MovementRow {
                        id: MovementId::new(),
                        item_id: r.row.item_id,
                        location_id: location,
                        kind: MovementKind::Receipt,
                        quantity: r.row.quantity,
                        unit_cost: Some(r.row.unit_cost),
                        reason: Some(reason.clone()),
                        sale_id: None,
                        created_by: Some(p.user_id),
                        reverses: None,
                        occurred_at: received_at,
                        recorded_at: now,
                        lot: Some(LotSpec {
                            code: r.row.lot_code.clone(),
                            expires_on: r.row.expires_on,
                            value: Some(r.row.value),
                        }),
                        costing: Costing::default(),
                    };
                    r.row.movement_id = Some(m.id);
                    movements.push(m);
                    of_line.push(i);
                }
                let costs = crate::events::append_movements(tx, &movements).await?;
                for (i, cost) in of_line.iter().zip(costs.iter()) {
                    if let Some(r) = resolved.get_mut(*i) {
                        r.row.lot_id = cost.lot_id;
                    }
                }
                let header = GoodsReceiptRow {
                    id,
                    purchase_order_id: order.as_ref().map(|(po, _)| po.id),
                    supplier_id: supplier,
                    location_id: location,
                    received_at,
                    delivery_note: c.delivery_note.clone().map(Code::into_string),
                    note: c.note.clone().map(Note::into_string),
                    created_by: p.user_id,
                    created_at: now,
                };
                let rows: Vec<GoodsReceiptLineRow> =
                    resolved.iter().map(|r| r.row.clone()).collect();
                tx.insert_goods_receipt(&header, &rows).await?;
                // The order's lines and status.
                if let Some((po, lines)) = &order {
                    let mut received: HashMap<i32, Quantity> = lines
                        .iter()
                        .map(|l| (l.line_no, l.received_quantity))
                        .collect();
                    for r in &resolved {
                        if let Some((n, q)) = r.adds_to {
                            tx.add_received_quantity(po.id, n, q).await?;
                            if let Some(x) = received.get_mut(&n) {
                                *x = x.checked_add(q).ok_or_else(|| {
                                    AppError::invalid("lines", "received quantity overflows")
                                })?;
                            }
                        }
                    }
                    let to = rules::status_after_receipt(lines.iter().map(|l| {
                        (
                            l.quantity,
                            received.get(&l.line_no).copied().unwrap_or(Quantity::ZERO),
                        )
                    }));
                    // Every delivery that adds to the order moves its version on (an event even
                    // when the status stays partially received), guarded by the version read:
                    // two deliveries or a close racing this one make one of them a 409 to
                    // retry, never a receipt against a closed order or a stale status.
                    let arrived = resolved.iter().any(|r| r.adds_to.is_some());
                    if arrived {
                        tx.set_purchase_order_status(&PurchaseOrderStatusChange {
                            id: po.id,
                            from: po.status,
                            to,
                            expected_version: po.version,
                            actor: p.user_id,
                            at: now,
                            note: Some(format!("goods receipt {id}")),
                        })
                        .await
                        .map_err(|e| match e {
                            larder_store::StoreError::Conflict { constraint }
                                if constraint == "purchase_orders_version" =>
                            {
                                AppError::conflict(
                                    "status",
                                    "the purchase order changed while it was received; try again",
                                )
                            }
                            e => e.into(),
                        })?;
                    }
                }
                let mut shown = view(tx, header).await?;
                for (line, r) in shown.lines.iter_mut().zip(resolved.iter()) {
                    line.flags = r.flags;
                    line.item_name.clone_from(&r.item_name);
                }
                Ok(shown)
            })
        })
        .await
    }

    /// One goods receipt.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404 (one at a location outside a limited member's too).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_goods_receipt(
        &self,
        p: Principal,
        id: GoodsReceiptId,
    ) -> Result<GoodsReceipt, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let g = tx
                    .get_goods_receipt(id)
                    .await?
                    .ok_or(AppError::NotFound("goods receipt"))?;
                crate::tenancy::require_location(tx, p.locations, g.location_id)
                    .await
                    .map_err(|_| AppError::NotFound("goods receipt"))?;
                view(tx, g).await
            })
        })
        .await
    }

    /// Goods receipts, newest first; a limited member's locations only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_goods_receipts(
        &self,
        p: Principal,
        q: GoodsReceiptQuery,
    ) -> Result<Page<GoodsReceipt>, AppError> {
        p.require(Permission::InventoryRead)?;
        let limit = page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(page::id::<GoodsReceiptId>(&page::decode(c, 1)?[0])?),
            None => None,
        };
        let filter = GoodsReceiptFilter {
            purchase_order: q.purchase_order_id,
            location: q.location_id,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let receipts = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_goods_receipts(&filter).await?;
                let mut out = Vec::with_capacity(rows.len());
                for g in rows {
                    out.push(view(tx, g).await?);
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
        Ok(page::page(receipts, limit, |g: &GoodsReceipt| {
            page::encode(&[&g.id.to_string()])
        }))
    }
}
