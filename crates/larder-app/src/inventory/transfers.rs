//! inventory: transfers between a tenant's locations (issue 9, item 4; ADR 021).
//!
//! A transfer is requested (lines of items and quantities, or amounts typed in packs and units,
//! editable with `If-Match`), then sent by someone at the sending location (one `transfer_out`
//! movement per line through the ledger's one door, taking lots FEFO; the lots taken are kept
//! with their code, expiry, quantity and cost), then received by someone at the receiving
//! location (each line's quantity confirmed; `transfer_in` movements carry the lots across,
//! one increase per lot taken with its code, expiry and exact value; a line short or over is a
//! recorded discrepancy in quantity and value, never an error), or cancelled before it is
//! sent. Between sending and receiving the stock is in neither location's on hand but in
//! transit, which the stock value counts ([`super::valuation`]).
//!
//! Sending or receiving twice posts once: the status change is guarded by the version read
//! and the status, so a second attempt (or a racing one) is a 409 on `status` and its
//! transaction writes nothing; with the same `Idempotency-Key` the first answer is replayed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use larder_core::amount::{Measure, Rounding, parse_amount};
use larder_core::auth::Permission;
use larder_core::decimal::div_round_half_even;
use larder_core::inventory::MovementKind;
use larder_core::inventory::transfers::{
    SentPart, TransferAction, TransferStatus, carry, transfer_number,
};
use larder_core::{
    BaseUnit, ItemId, Label, LocationId, LotId, Money, MovementId, Note, Quantity, TransferId,
    UserId,
};
use larder_store::{
    Costing, LocationScope, LotFilter, LotSpec, Mode, MovementRow, StoreError, TenantTx,
    TransferFilter, TransferLineRow, TransferLotRow, TransferReceivedLine, TransferRow,
    TransferSentLine, TransferStatusChange, run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Most lines one transfer may carry.
pub const MAX_LINES: usize = 500;

/// One line of a transfer request: an item and how much of it, as a quantity in its base
/// unit or as an amount typed in its packs and units.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferLineCommand {
    /// The item.
    pub item_id: ItemId,
    /// Quantity in the item's base unit (positive), instead of `amount`.
    pub quantity: Option<Quantity>,
    /// An amount in the item's packs and units ("2 cases + 3 kg", "1.5 kg"), summed exactly
    /// into its base unit; instead of `quantity`.
    pub amount: Option<Label>,
}

/// Request a transfer, or replace a requested one's locations, note and lines.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferCommand {
    /// Where the stock leaves (the central kitchen, an outlet).
    pub from_location_id: LocationId,
    /// Where it arrives; not the sender.
    pub to_location_id: LocationId,
    /// A note.
    pub note: Option<Note>,
    /// The lines, 1 to 500.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<TransferLineCommand>,
}

/// What arrived of one line.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveLineCommand {
    /// The line (its `line_no`).
    pub line_no: i32,
    /// Quantity that arrived, base units (zero or more); instead of `received_amount`.
    /// Absent with no amount: what was sent.
    pub received_quantity: Option<Quantity>,
    /// What arrived, in the item's packs and units.
    pub received_amount: Option<Label>,
    /// A note (what was wrong).
    pub note: Option<Note>,
}

/// Receive a transfer: the lines that differ from what was sent, or that carry a note; a
/// line not named arrived as sent.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveCommand {
    /// Lines confirmed (at most one per line).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub lines: Vec<ReceiveLineCommand>,
}

/// Why a transfer is cancelled.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelCommand {
    /// The reason.
    pub reason: Note,
}

/// Filters for transfers, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransferQuery {
    /// In this status.
    pub status: Option<TransferStatus>,
    /// From or to this location.
    pub location_id: Option<LocationId>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// What a line took from one of the sender's lots.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferLot {
    /// The sender's lot (`null`: the part no lot covered, costed provisionally).
    pub lot_id: Option<LotId>,
    /// Its code.
    pub code: Option<String>,
    /// Its expiry or best-before date.
    pub expires_on: Option<NaiveDate>,
    /// Quantity taken, base units.
    pub quantity: Quantity,
    /// The cost taken with it.
    pub cost: Money,
}

/// A transfer line as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferLine {
    /// 1-based.
    pub line_no: i32,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Quantity asked for, base units.
    pub quantity: Quantity,
    /// The amount as typed, when given so.
    pub amount: Option<String>,
    /// Quantity that left the sender (once sent).
    pub sent_quantity: Option<Quantity>,
    /// The cost it left with (once sent).
    pub sent_value: Option<Money>,
    /// The sender's transfer_out movement.
    pub out_movement_id: Option<MovementId>,
    /// Quantity the receiver confirmed (once received).
    pub received_quantity: Option<Quantity>,
    /// Its value as carried across.
    pub received_value: Option<Money>,
    /// Received minus sent, base units (negative: short).
    pub discrepancy_quantity: Option<Quantity>,
    /// Received value minus sent value.
    pub discrepancy_value: Option<Money>,
    /// The receiver's note.
    pub note: Option<String>,
    /// The lots it took at the sender, FEFO order.
    pub lots: Vec<TransferLot>,
}

/// A transfer as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    /// Id.
    pub id: TransferId,
    /// `TRF-000001`.
    pub number: String,
    /// Sender.
    pub from_location_id: LocationId,
    /// Its name.
    pub from_location_name: String,
    /// Receiver.
    pub to_location_id: LocationId,
    /// Its name.
    pub to_location_name: String,
    /// Where it is in its life.
    pub status: TransferStatus,
    /// What may be done next.
    pub actions: Vec<TransferAction>,
    /// A note.
    pub note: Option<String>,
    /// Edit version (also the `ETag`).
    pub version: i64,
    /// Who asked for it.
    pub requested_by: UserId,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// Who sent it.
    pub sent_by: Option<UserId>,
    /// When.
    pub sent_at: Option<DateTime<Utc>>,
    /// Who received it.
    pub received_by: Option<UserId>,
    /// When.
    pub received_at: Option<DateTime<Utc>>,
    /// Who cancelled it.
    pub cancelled_by: Option<UserId>,
    /// When.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why.
    pub cancel_reason: Option<String>,
    /// The cost that left the sender (once sent): what is in transit until received.
    pub sent_value: Option<Money>,
    /// The value that arrived (once received).
    pub received_value: Option<Money>,
    /// Received minus sent value (once received): the discrepancies' value.
    pub discrepancy_value: Option<Money>,
    /// The lines.
    pub lines: Vec<TransferLine>,
}

/// What sending a line will take from the sender's open lots now, FEFO.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LotsToTake {
    /// The line.
    pub line_no: i32,
    /// The lots, in the order they will be taken (cost not yet worked out: zero).
    pub lots: Vec<TransferLot>,
    /// What no lot covers (costed provisionally when sent).
    pub shortfall: Quantity,
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

/// `text` typed in `item`'s packs and units, as an exact quantity of its base unit.
fn amount_of(item: &larder_store::ItemRow, text: &str, field: &str) -> Result<Quantity, AppError> {
    let packs: Vec<(String, Quantity)> = item
        .pack_sizes
        .iter()
        .map(|p| (p.name.clone(), p.quantity))
        .collect();
    let measure = Measure {
        base: item.base_unit,
        packs: &packs,
        density: None,
    };
    parse_amount(text)
        .and_then(|parts| measure.total(&parts))
        .and_then(|r| {
            Rounding {
                step: 1,
                exact: true,
            }
            .apply(r)
        })
        .map_err(|e| AppError::invalid(field, e.to_string()))
}

/// The shape of a request, before anything is read.
fn check_shape(cmd: &TransferCommand) -> Result<(), AppError> {
    if cmd.lines.is_empty() || cmd.lines.len() > MAX_LINES {
        return Err(AppError::invalid(
            "lines",
            format!("must have 1 to {MAX_LINES} lines"),
        ));
    }
    if cmd.from_location_id == cmd.to_location_id {
        return Err(AppError::invalid(
            "to_location_id",
            "must be another location than the sender",
        ));
    }
    for (i, l) in cmd.lines.iter().enumerate() {
        if l.quantity.is_some() == l.amount.is_some() {
            return Err(at_line(
                i,
                AppError::invalid("quantity", "give either quantity or amount"),
            ));
        }
        if l.quantity.is_some_and(|q| q.raw() <= 0) {
            return Err(at_line(
                i,
                AppError::invalid("quantity", "must be positive"),
            ));
        }
    }
    Ok(())
}

/// Which sides of a transfer `scope` may act for: (sender, receiver).
async fn sides(
    tx: &mut dyn TenantTx,
    scope: LocationScope,
    from: LocationId,
    to: LocationId,
) -> Result<(bool, bool), AppError> {
    let LocationScope::Member(user) = scope else {
        return Ok((true, true));
    };
    Ok(match tx.member_locations(user).await? {
        Some(allowed) => (allowed.contains(&from), allowed.contains(&to)),
        None => (true, true),
    })
}

/// The transfer `id` as `p` may see it: 404 when absent, or when a limited member has
/// neither of its locations.
async fn visible(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: TransferId,
) -> Result<(TransferRow, (bool, bool)), AppError> {
    let t = tx
        .get_transfer(id)
        .await?
        .ok_or(AppError::NotFound("transfer"))?;
    let s = sides(tx, p.locations, t.from_location_id, t.to_location_id).await?;
    if !s.0 && !s.1 {
        return Err(AppError::NotFound("transfer"));
    }
    Ok((t, s))
}

/// Checks a request's locations and lines against the tenant: the lines as rows.
async fn plan(
    tx: &mut dyn TenantTx,
    p: &Principal,
    cmd: &TransferCommand,
) -> Result<Vec<TransferLineRow>, AppError> {
    for l in [cmd.from_location_id, cmd.to_location_id] {
        tx.get_location(l)
            .await?
            .ok_or(AppError::NotFound("location"))?;
    }
    let (from, to) = sides(tx, p.locations, cmd.from_location_id, cmd.to_location_id).await?;
    if !from && !to {
        return Err(AppError::NotFound("location"));
    }
    let mut rows = Vec::with_capacity(cmd.lines.len());
    let mut items: HashMap<ItemId, larder_store::ItemRow> = HashMap::new();
    for (i, l) in cmd.lines.iter().enumerate() {
        if let std::collections::hash_map::Entry::Vacant(e) = items.entry(l.item_id) {
            let item = tx
                .get_item(l.item_id)
                .await?
                .ok_or(AppError::NotFound("item"))?;
            e.insert(item);
        }
        let item = items.get(&l.item_id).ok_or(AppError::NotFound("item"))?;
        let quantity = match (&l.quantity, &l.amount) {
            (Some(q), _) => *q,
            (None, Some(a)) => amount_of(item, a.as_str(), "amount").map_err(|e| at_line(i, e))?,
            (None, None) => Quantity::ZERO,
        };
        if quantity.raw() <= 0 {
            return Err(at_line(
                i,
                AppError::invalid("amount", "must be more than zero"),
            ));
        }
        rows.push(TransferLineRow {
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            item_id: l.item_id,
            quantity,
            amount: l.amount.as_ref().map(|a| a.as_str().to_owned()),
            sent_quantity: None,
            sent_value: None,
            out_movement_id: None,
            received_quantity: None,
            received_value: None,
            discrepancy_quantity: None,
            discrepancy_value: None,
            note: None,
        });
    }
    Ok(rows)
}

/// A transfer as shown, read in the transaction.
async fn view(tx: &mut dyn TenantTx, t: TransferRow) -> Result<Transfer, AppError> {
    let lines = tx.transfer_lines(t.id).await?;
    let lots = tx.transfer_lots(t.id).await?;
    let mut names: HashMap<ItemId, (String, BaseUnit)> = HashMap::new();
    for l in &lines {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(l.item_id) {
            let item = tx.get_item(l.item_id).await?;
            e.insert(item.map_or_else(
                || (l.item_id.to_string(), BaseUnit::Ea),
                |i| (i.name, i.base_unit),
            ));
        }
    }
    let from_name = tx
        .get_location(t.from_location_id)
        .await?
        .map(|l| l.name)
        .unwrap_or_default();
    let to_name = tx
        .get_location(t.to_location_id)
        .await?
        .map(|l| l.name)
        .unwrap_or_default();
    let sum = |f: &dyn Fn(&TransferLineRow) -> Option<Money>| -> Result<Option<Money>, AppError> {
        let mut total: Option<i128> = None;
        for l in &lines {
            if let Some(v) = f(l) {
                *total.get_or_insert(0) += i128::from(v.raw());
            }
        }
        total
            .map(|v| {
                i64::try_from(v)
                    .ok()
                    .and_then(Money::checked_from_raw)
                    .ok_or_else(|| AppError::invalid("lines", "the total is out of range"))
            })
            .transpose()
    };
    let sent_value = sum(&|l| l.sent_value)?;
    let received_value = sum(&|l| l.received_value)?;
    let discrepancy_value = sum(&|l| l.discrepancy_value)?;
    let out_lines = lines
        .iter()
        .map(|l| {
            let (item_name, base_unit) = names
                .get(&l.item_id)
                .cloned()
                .unwrap_or_else(|| (l.item_id.to_string(), BaseUnit::Ea));
            TransferLine {
                line_no: l.line_no,
                item_id: l.item_id,
                item_name,
                base_unit,
                quantity: l.quantity,
                amount: l.amount.clone(),
                sent_quantity: l.sent_quantity,
                sent_value: l.sent_value,
                out_movement_id: l.out_movement_id,
                received_quantity: l.received_quantity,
                received_value: l.received_value,
                discrepancy_quantity: l.discrepancy_quantity,
                discrepancy_value: l.discrepancy_value,
                note: l.note.clone(),
                lots: lots
                    .iter()
                    .filter(|x| x.line_no == l.line_no)
                    .map(|x| TransferLot {
                        lot_id: x.lot_id,
                        code: x.code.clone(),
                        expires_on: x.expires_on,
                        quantity: x.quantity,
                        cost: x.cost,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(Transfer {
        id: t.id,
        number: transfer_number(t.number),
        from_location_id: t.from_location_id,
        from_location_name: from_name,
        to_location_id: t.to_location_id,
        to_location_name: to_name,
        status: t.status,
        actions: t.status.actions(),
        note: t.note,
        version: t.version,
        requested_by: t.requested_by,
        requested_at: t.requested_at,
        sent_by: t.sent_by,
        sent_at: t.sent_at,
        received_by: t.received_by,
        received_at: t.received_at,
        cancelled_by: t.cancelled_by,
        cancelled_at: t.cancelled_at,
        cancel_reason: t.cancel_reason,
        sent_value,
        received_value,
        discrepancy_value,
        lines: out_lines,
    })
}

/// A version conflict from the store: stale when the caller named the version it read,
/// otherwise someone else moved the transfer on at the same moment.
fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == "transfers_version" => {
            AppError::PreconditionFailed("transfer")
        }
        e => e.into(),
    }
}

/// Moves `t` on by `action` (guarded by its version and status), checking `if_match` first.
async fn move_on(
    tx: &mut dyn TenantTx,
    p: &Principal,
    t: &TransferRow,
    action: TransferAction,
    if_match: Option<i64>,
    at: DateTime<Utc>,
    note: Option<String>,
) -> Result<TransferStatus, AppError> {
    if if_match.is_some_and(|v| v != t.version) {
        return Err(AppError::PreconditionFailed("transfer"));
    }
    let to = action
        .apply(t.status)
        .map_err(|m| AppError::conflict("status", m))?;
    tx.set_transfer_status(&TransferStatusChange {
        id: t.id,
        from: t.status,
        to,
        expected_version: t.version,
        actor: p.user_id,
        at,
        note,
    })
    .await
    .map_err(|e| match e {
        StoreError::Conflict { constraint } if constraint == "transfers_version" => {
            AppError::conflict(
                "status",
                "the transfer changed while this was done; reload it and try again",
            )
        }
        e => e.into(),
    })?;
    Ok(to)
}

/// Cost per base unit of `value` spread over `quantity` (millionths per unit, half to even).
fn unit_cost(value: Money, quantity: Quantity) -> Option<Money> {
    if quantity.raw() <= 0 {
        return None;
    }
    let v = div_round_half_even(
        i128::from(value.raw()) * i128::from(Quantity::ONE_RAW),
        i128::from(quantity.raw()),
    );
    i64::try_from(v).ok().and_then(Money::checked_from_raw)
}

/// Posts the sending of `t` (already moved to `sent`): one transfer_out per line, the lots
/// each took recorded.
async fn post_send(
    tx: &mut dyn TenantTx,
    p: &Principal,
    t: &TransferRow,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let lines = tx.transfer_lines(t.id).await?;
    let reason = format!("transfer {}", transfer_number(t.number));
    let mut movements = Vec::with_capacity(lines.len());
    for l in &lines {
        let book = tx.get_item(l.item_id).await?.and_then(|i| i.unit_cost);
        movements.push(MovementRow {
            id: MovementId::new(),
            item_id: l.item_id,
            location_id: t.from_location_id,
            kind: MovementKind::TransferOut,
            quantity: l
                .quantity
                .checked_neg()
                .ok_or_else(|| AppError::invalid("lines", "a quantity is out of range"))?,
            unit_cost: book,
            reason: Some(reason.clone()),
            sale_id: None,
            created_by: Some(p.user_id),
            reverses: None,
            occurred_at: now,
            recorded_at: now,
            lot: None,
            costing: Costing::default(),
        });
    }
    let costs = crate::events::append_movements(tx, &movements).await?;
    let mut sent = Vec::with_capacity(lines.len());
    for ((l, m), c) in lines.iter().zip(movements.iter()).zip(costs.iter()) {
        let value = c
            .costing
            .value
            .checked_neg()
            .ok_or_else(|| AppError::invalid("lines", "a value is out of range"))?;
        let mut lots = Vec::with_capacity(c.taken.len() + 1);
        let mut taken_cost = Money::ZERO;
        for (k, take) in c.taken.iter().enumerate() {
            taken_cost = taken_cost
                .checked_add(take.cost)
                .ok_or_else(|| AppError::invalid("lines", "a value is out of range"))?;
            lots.push(TransferLotRow {
                line_no: l.line_no,
                seq: i32::try_from(k + 1).unwrap_or(i32::MAX),
                lot_id: Some(take.lot_id),
                code: None,
                expires_on: None,
                quantity: take.quantity,
                cost: take.cost,
            });
        }
        if c.costing.shortfall.raw() > 0 {
            lots.push(TransferLotRow {
                line_no: l.line_no,
                seq: i32::try_from(lots.len() + 1).unwrap_or(i32::MAX),
                lot_id: None,
                code: None,
                expires_on: None,
                quantity: c.costing.shortfall,
                cost: value
                    .checked_sub(taken_cost)
                    .ok_or_else(|| AppError::invalid("lines", "a value is out of range"))?,
            });
        }
        sent.push(TransferSentLine {
            line_no: l.line_no,
            quantity: l.quantity,
            value,
            movement_id: m.id,
            lots,
        });
    }
    tx.record_transfer_sent(t.id, &sent).await?;
    Ok(())
}

/// What the receiver confirmed per line number: (quantity, note); lines not named arrived
/// as sent.
async fn confirmed(
    tx: &mut dyn TenantTx,
    lines: &[TransferLineRow],
    cmd: &ReceiveCommand,
) -> Result<HashMap<i32, (Quantity, Option<String>)>, AppError> {
    let mut out = HashMap::new();
    let mut seen = HashSet::new();
    for (i, c) in cmd.lines.iter().enumerate() {
        let bad = |f: &str, m: &str| at_line(i, AppError::invalid(f, m));
        let Some(line) = lines.iter().find(|l| l.line_no == c.line_no) else {
            return Err(bad("line_no", "the transfer has no such line"));
        };
        if !seen.insert(c.line_no) {
            return Err(bad("line_no", "is named twice"));
        }
        let sent = line.sent_quantity.unwrap_or(line.quantity);
        let q = match (&c.received_quantity, &c.received_amount) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "received_quantity",
                    "give either received_quantity or received_amount",
                ));
            }
            (Some(q), None) => *q,
            (None, Some(a)) => {
                let item = tx
                    .get_item(line.item_id)
                    .await?
                    .ok_or(AppError::NotFound("item"))?;
                amount_of(&item, a.as_str(), "received_amount").map_err(|e| at_line(i, e))?
            }
            (None, None) => sent,
        };
        if q.is_negative() {
            return Err(bad("received_quantity", "must not be negative"));
        }
        out.insert(
            c.line_no,
            (q, c.note.as_ref().map(|n| n.as_str().to_owned())),
        );
    }
    Ok(out)
}

/// Posts the receiving of `t` (already moved to `received`): the lots carried across, the
/// discrepancies recorded.
async fn post_receive(
    tx: &mut dyn TenantTx,
    p: &Principal,
    t: &TransferRow,
    cmd: &ReceiveCommand,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let lines = tx.transfer_lines(t.id).await?;
    let given = confirmed(tx, &lines, cmd).await?;
    let lots = tx.transfer_lots(t.id).await?;
    let reason = format!("transfer {}", transfer_number(t.number));
    let mut movements = Vec::new();
    let mut received = Vec::with_capacity(lines.len());
    for l in &lines {
        let sent_q = l.sent_quantity.unwrap_or(l.quantity);
        let (q, note) = given.get(&l.line_no).cloned().unwrap_or((sent_q, None));
        let taken: Vec<&TransferLotRow> = lots.iter().filter(|x| x.line_no == l.line_no).collect();
        let parts: Vec<SentPart> = taken
            .iter()
            .map(|x| SentPart {
                quantity: x.quantity,
                cost: x.cost,
            })
            .collect();
        let c = carry(&parts, q).map_err(|m| AppError::invalid("lines", m))?;
        for a in &c.arrivals {
            let from = a.index.and_then(|k| taken.get(k));
            movements.push(MovementRow {
                id: MovementId::new(),
                item_id: l.item_id,
                location_id: t.to_location_id,
                kind: MovementKind::TransferIn,
                quantity: a.quantity,
                unit_cost: unit_cost(a.value, a.quantity),
                reason: Some(reason.clone()),
                sale_id: None,
                created_by: Some(p.user_id),
                reverses: None,
                occurred_at: now,
                recorded_at: now,
                lot: Some(LotSpec {
                    code: from.and_then(|x| x.code.clone()),
                    expires_on: from.and_then(|x| x.expires_on),
                    value: Some(a.value),
                }),
                costing: Costing::default(),
            });
        }
        received.push(TransferReceivedLine {
            line_no: l.line_no,
            quantity: q,
            value: c.received_value,
            discrepancy_quantity: c.discrepancy_quantity,
            discrepancy_value: c.discrepancy_value,
            note,
        });
    }
    if !movements.is_empty() {
        crate::events::append_movements(tx, &movements).await?;
    }
    tx.record_transfer_received(t.id, &received).await?;
    Ok(())
}

impl App {
    /// Requests a transfer, numbered next in the tenant (`TRF-000001`); retried with its key,
    /// it is created once.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on a location or item that is not the tenant's, or
    /// when a limited member has neither location; 422 naming the field
    /// (`to_location_id` the sender, `lines[1].amount` a pack the item does not have).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id, lines = cmd.lines.len()))]
    pub async fn create_transfer(
        &self,
        p: Principal,
        cmd: TransferCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Transfer>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        check_shape(&cmd)?;
        let now = Utc::now();
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::TransferRequested,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    let lines = plan(tx, &p, &c).await?;
                    let number = tx.next_transfer_number().await?;
                    let row = TransferRow {
                        id: TransferId::new(),
                        number,
                        from_location_id: c.from_location_id,
                        to_location_id: c.to_location_id,
                        status: TransferStatus::Requested,
                        note: c.note.clone().map(Note::into_string),
                        version: 1,
                        requested_by: p.user_id,
                        requested_at: now,
                        sent_by: None,
                        sent_at: None,
                        received_by: None,
                        received_at: None,
                        cancelled_by: None,
                        cancelled_at: None,
                        cancel_reason: None,
                    };
                    tx.insert_transfer(&row, &lines).await?;
                    view(tx, row).await
                })
            },
        )
        .await
    }

    /// Replaces a requested transfer's locations, note and lines when `if_match` (if given)
    /// is its version.
    ///
    /// # Errors
    /// As [`App::create_transfer`]; 409 on `status` once it is sent or cancelled; 412 when
    /// the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_transfer(
        &self,
        p: Principal,
        id: TransferId,
        cmd: TransferCommand,
        if_match: Option<i64>,
    ) -> Result<Transfer, AppError> {
        p.require(Permission::InventoryAdjust)?;
        check_shape(&cmd)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::TransferUpdated,
            move |tx| {
                Box::pin(async move {
                    let (current, _) = visible(tx, &p, id).await?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("transfer"));
                    }
                    if current.status != TransferStatus::Requested {
                        return Err(AppError::conflict(
                            "status",
                            format!(
                                "only a requested transfer can be edited; {} is {}",
                                transfer_number(current.number),
                                current.status
                            ),
                        ));
                    }
                    let lines = plan(tx, &p, &cmd).await?;
                    let row = TransferRow {
                        from_location_id: cmd.from_location_id,
                        to_location_id: cmd.to_location_id,
                        note: cmd.note.clone().map(Note::into_string),
                        version: current.version + 1,
                        ..current
                    };
                    tx.update_transfer(&row, &lines, expected)
                        .await
                        .map_err(stale)?;
                    view(tx, row).await
                })
            },
        )
        .await
    }

    /// Sends a requested transfer: one transfer_out movement per line at the sender, taking
    /// its lots FEFO (the lots taken kept on the line); the stock is then in transit. Needs
    /// access to the sending location. Sending again is a 409 and posts nothing; retried
    /// with its key, the first answer is replayed.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`, or for a limited member without the sending location;
    /// 404; 409 on `status` when it is not requested; 412 when `if_match` is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn send_transfer(
        &self,
        p: Principal,
        id: TransferId,
        if_match: Option<i64>,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Transfer>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::TransferSent,
            &(id, if_match),
            move |tx| {
                Box::pin(async move {
                    let (t, (from, _)) = visible(tx, &p, id).await?;
                    if !from {
                        return Err(AppError::LocationLimited(
                            "only someone at the sending location can send a transfer",
                        ));
                    }
                    let to = move_on(tx, &p, &t, TransferAction::Send, if_match, now, None).await?;
                    post_send(tx, &p, &t, now).await?;
                    let row = TransferRow {
                        status: to,
                        version: t.version + 1,
                        sent_by: Some(p.user_id),
                        sent_at: Some(now),
                        ..t
                    };
                    view(tx, row).await
                })
            },
        )
        .await
    }

    /// Receives a sent transfer: each line's quantity confirmed (default what was sent),
    /// transfer_in movements at the receiver carrying the lots across with their code,
    /// expiry and exact value; a line short or over records its discrepancy in quantity and
    /// value (more than was sent is valued at the line's sent unit cost). Needs access to the
    /// receiving location. Receiving again is a 409 and posts nothing; retried with its key,
    /// the first answer is replayed.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`, or for a limited member without the receiving
    /// location; 404; 409 on `status` when it is not sent; 412 when `if_match` is stale; 422
    /// naming the field (`lines[0].line_no` not on the transfer, `lines[1].received_quantity`
    /// negative).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn receive_transfer(
        &self,
        p: Principal,
        id: TransferId,
        cmd: ReceiveCommand,
        if_match: Option<i64>,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Transfer>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        if cmd.lines.len() > MAX_LINES {
            return Err(AppError::invalid(
                "lines",
                format!("must have at most {MAX_LINES} lines"),
            ));
        }
        let now = Utc::now();
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::TransferReceived,
            &(id, if_match, &cmd),
            move |tx| {
                Box::pin(async move {
                    let (t, (_, to_side)) = visible(tx, &p, id).await?;
                    if !to_side {
                        return Err(AppError::LocationLimited(
                            "only someone at the receiving location can receive a transfer",
                        ));
                    }
                    let to =
                        move_on(tx, &p, &t, TransferAction::Receive, if_match, now, None).await?;
                    post_receive(tx, &p, &t, &c, now).await?;
                    let row = TransferRow {
                        status: to,
                        version: t.version + 1,
                        received_by: Some(p.user_id),
                        received_at: Some(now),
                        ..t
                    };
                    view(tx, row).await
                })
            },
        )
        .await
    }

    /// Cancels a requested transfer, keeping the reason; nothing moved.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404; 409 on `status` once it is sent (receive it,
    /// recording what arrived) or already cancelled; 412 when `if_match` is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn cancel_transfer(
        &self,
        p: Principal,
        id: TransferId,
        cmd: CancelCommand,
        if_match: Option<i64>,
    ) -> Result<Transfer, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::TransferCancelled,
            move |tx| {
                Box::pin(async move {
                    let (t, _) = visible(tx, &p, id).await?;
                    let reason = cmd.reason.into_string();
                    let to = move_on(
                        tx,
                        &p,
                        &t,
                        TransferAction::Cancel,
                        if_match,
                        now,
                        Some(reason.clone()),
                    )
                    .await?;
                    let row = TransferRow {
                        status: to,
                        version: t.version + 1,
                        cancelled_by: Some(p.user_id),
                        cancelled_at: Some(now),
                        cancel_reason: Some(reason),
                        ..t
                    };
                    view(tx, row).await
                })
            },
        )
        .await
    }

    /// One transfer with its lines and the lots they took.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404 (one whose locations are both outside a limited
    /// member's included).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_transfer(&self, p: Principal, id: TransferId) -> Result<Transfer, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let (t, _) = visible(tx, &p, id).await?;
                view(tx, t).await
            })
        })
        .await
    }

    /// Transfers, newest first; a limited member's (from or to one of their locations) only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_transfers(
        &self,
        p: Principal,
        q: TransferQuery,
    ) -> Result<Page<Transfer>, AppError> {
        p.require(Permission::InventoryRead)?;
        let limit = page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(
                page::decode(c, 1)?[0]
                    .parse::<i64>()
                    .map_err(|_| AppError::invalid("cursor", "is not a valid cursor"))?,
            ),
            None => None,
        };
        let filter = TransferFilter {
            status: q.status,
            location: q.location_id,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_transfers(&filter).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(view(tx, r).await?);
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
        Ok(page::page(rows, limit, |t: &Transfer| {
            let n = t.number.trim_start_matches("TRF-").trim_start_matches('0');
            page::encode(&[n])
        }))
    }

    /// What sending a requested transfer would take from the sender's open lots now, line by
    /// line, FEFO (for the send page; the posting itself decides).
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn transfer_lots_to_take(
        &self,
        p: Principal,
        id: TransferId,
    ) -> Result<Vec<LotsToTake>, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let (t, _) = visible(tx, &p, id).await?;
                let lines = tx.transfer_lines(t.id).await?;
                let mut out = Vec::with_capacity(lines.len());
                // Lines of one item share its lots: what an earlier line takes is gone.
                let mut used: HashMap<LotId, i64> = HashMap::new();
                for l in &lines {
                    let open = tx
                        .list_lots(&LotFilter {
                            item_id: Some(l.item_id),
                            location_id: Some(t.from_location_id),
                            open_only: true,
                            limit: 500,
                            ..Default::default()
                        })
                        .await?;
                    let mut left = l.quantity.raw();
                    let mut lots = Vec::new();
                    for lot in open {
                        if left == 0 {
                            break;
                        }
                        let have = lot.remaining.raw() - used.get(&lot.id).copied().unwrap_or(0);
                        let q = left.min(have);
                        if q <= 0 {
                            continue;
                        }
                        *used.entry(lot.id).or_default() += q;
                        left -= q;
                        lots.push(TransferLot {
                            lot_id: Some(lot.id),
                            code: lot.code,
                            expires_on: lot.expires_on,
                            quantity: Quantity::from_raw(q),
                            cost: Money::ZERO,
                        });
                    }
                    out.push(LotsToTake {
                        line_no: l.line_no,
                        lots,
                        shortfall: Quantity::from_raw(left),
                    });
                }
                Ok(out)
            })
        })
        .await
    }
}
