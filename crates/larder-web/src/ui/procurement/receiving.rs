//! Receiving at the back door (issue 8, item 10), phone first and usable without scripts:
//! `/receiving` (the orders that can receive now at the member's locations, newest expected
//! first, as big cards), `/receiving/{id}` (an order's lines as cards with what is still to
//! come and boxes for packs or a weight, price, lot, expiry and refusals, under a scan box),
//! `/receiving/walk-in` (a delivery without an order, by item), `/receiving/done/{id}` (the
//! receipt in plain words) and `/assets/receiving.js`.
//!
//! The scan box is a GET form: a keyboard-wedge scanner types the GTIN and Enter, and the page
//! comes back with that line first and its packs box focused. The opt-in script does the same
//! without a page load and counts one pack per scan. A confirmed form carries an idempotency
//! key made when the page was rendered, so a double tap or a resent POST posts one receipt
//! (keys are the signed-in person's: `larder_app::idempotency::run_once`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use larder_app::catalog::{Item, ItemQuery};
use larder_app::procurement::goods_receipts::{
    GoodsReceipt, GoodsReceiptLine, GoodsReceiptQuery, ReceiptCommand, ReceiptLineCommand,
};
use larder_app::procurement::purchase_orders::{PurchaseOrder, PurchaseOrderQuery};
use larder_app::procurement::{SupplierItemQuery, SupplierQuery};
use larder_app::{AppError, IdempotencyKey, Principal};
use larder_core::auth::Permission;
use larder_core::decimal::div_round_half_even;
use larder_core::procurement::purchase_orders::PoStatus;
use larder_core::{
    BaseUnit, Code, GoodsReceiptId, ItemId, Label, LocationId, Money, PurchaseOrderId, Quantity,
    SupplierId,
};

use super::super::error::{PageError, render};
use super::super::format::{Numbers, count};
use super::super::forms::{Fields, message, money_per, opt_text, quantity_in, shown_again};
use super::super::session::Session;
use super::super::tenancy::with_status;
use super::super::with_script;
use super::purchase_orders::{amount, status_text};
use crate::AppState;

/// The scan box's script: finds the scanned line in the page and counts a pack per scan.
const SCRIPT: &str = include_str!("../../../assets/receiving.js");

/// How many rows the walk-in form offers.
const WALK_IN_ROWS: usize = 6;

/// The statuses an order receives in.
const RECEIVABLE: [PoStatus; 3] = [
    PoStatus::Approved,
    PoStatus::Sent,
    PoStatus::PartiallyReceived,
];

/// `GET /receiving`, `GET|POST /receiving/walk-in`, `GET|POST /receiving/{id}`,
/// `GET /receiving/done/{id}`, `GET /assets/receiving.js`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/receiving", get(list))
        .route("/receiving/walk-in", get(walk_in_form).post(walk_in))
        .route("/receiving/done/{id}", get(done))
        .route("/receiving/{id}", get(order_form).post(receive))
        .route("/assets/receiving.js", get(script))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// A fresh idempotency key for a form about to be rendered.
fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The unit a weight or volume is typed in on these pages (the item's larger unit), and how
/// many base units it holds.
fn entry_unit(base: BaseUnit) -> (&'static str, i128) {
    match base {
        BaseUnit::G => ("kg", 1000),
        BaseUnit::Ml => ("L", 1000),
        BaseUnit::Ea => ("ea", 1),
    }
}

/// `q` in packs of `pack` (thousandths, rounded half to even).
fn packs_of(q: Quantity, pack: Quantity) -> Quantity {
    let raw = div_round_half_even(
        i128::from(q.raw()) * i128::from(Quantity::ONE_RAW),
        i128::from(pack.raw().max(1)),
    );
    Quantity::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))
}

/// A scanned or typed code as compared: a GTIN without its leading zeros (a GTIN-12 read as
/// a GTIN-13 or -14 is the same code), anything else (a SKU) in upper case.
fn normalize(code: &str) -> String {
    let t = code.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let s = t.trim_start_matches('0');
        if s.is_empty() { "0" } else { s }.to_owned()
    } else {
        t.to_uppercase()
    }
}

/// Whether a number box holds what a scanner types (eight digits or more) rather than a count:
/// a scan that landed in the wrong box must not receive 96 million packs.
fn looks_scanned(v: &str) -> bool {
    v.len() >= 8 && v.bytes().all(|b| b.is_ascii_digit())
}

fn blank(v: &str) -> Option<&str> {
    Some(v.trim()).filter(|v| !v.is_empty())
}

/// A count of packs as typed (`2`, `1.5`), naming `field`.
fn packs_value(field: &str, v: &str) -> Result<Quantity, AppError> {
    if looks_scanned(v) {
        return Err(AppError::invalid(
            field,
            format!(
                "'{v}' looks like a scanned code, not a number of packs: scan into the box at the top"
            ),
        ));
    }
    Quantity::parse(v).map_err(|_| {
        AppError::invalid(
            field,
            format!("'{v}' is not a number of packs such as 2 or 1.5"),
        )
    })
}

/// A weight, volume or count typed in `per_base` base units, naming `field`.
fn amount_value(field: &str, v: &str, per_base: i128) -> Result<Quantity, AppError> {
    if looks_scanned(v) {
        return Err(AppError::invalid(
            field,
            format!(
                "'{v}' looks like a scanned code, not a quantity: scan into the box at the top"
            ),
        ));
    }
    quantity_in(field, v, per_base)
}

fn date_value(field: &str, v: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    v.map(|v| {
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| AppError::invalid(field, format!("'{v}' is not a date (YYYY-MM-DD)")))
    })
    .transpose()
}

/// Renames a use case's `lines[i].field` (the i-th line sent) to the page's line it came from.
fn at_row(e: AppError, rows: &[usize]) -> AppError {
    match e {
        AppError::Validation { field, message } => {
            let renamed = field
                .strip_prefix("lines[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, sub)| {
                    let row = rows.get(i.parse::<usize>().ok()?)?;
                    Some(format!("lines[{row}].{sub}"))
                });
            AppError::Validation {
                field: renamed.unwrap_or(field),
                message,
            }
        }
        other => other,
    }
}

/// A refused field of one row of the page.
#[derive(Clone, Debug)]
struct RowError {
    /// As the page names it: `lines[2].expires_on`.
    field: String,
    /// The box's name after the row: `expires_on`.
    sub: String,
    /// For people: `Expiry`.
    label: &'static str,
    message: String,
}

/// The box a field is typed in, as its label reads.
fn field_label(sub: &str) -> &'static str {
    match sub {
        "packs" => "Packs",
        "quantity" => "Quantity",
        "price_per_pack" => "Price per pack",
        "unit_cost" => "Cost",
        "lot_code" => "Lot code",
        "expires_on" => "Expiry",
        "rejected_packs" | "rejected_quantity" => "Refused",
        "rejection_reason" => "Reason",
        "item_id" => "Item",
        _ => "This line",
    }
}

/// Splits an error into the row it names (and how), or the sentence shown above the form.
fn split_error(e: &AppError) -> (Option<(usize, RowError)>, String) {
    if let AppError::Validation { field, message: m } = e
        && let Some((i, sub)) = field
            .strip_prefix("lines[")
            .and_then(|rest| rest.split_once("]."))
        && let Ok(row) = i.parse::<usize>()
    {
        let label = field_label(sub);
        return (
            Some((
                row,
                RowError {
                    field: field.clone(),
                    sub: sub.to_owned(),
                    label,
                    message: m.clone(),
                },
            )),
            format!("{label}: {m}"),
        );
    }
    let text = match e {
        AppError::Validation { field, message: m } if field == "lines" => m.clone(),
        AppError::IdempotencyMismatch => "This form was already confirmed with other numbers, so nothing was posted. Check the order before confirming again: the form now has a new key.".to_owned(),
        other => message(other),
    };
    (None, text)
}

// ---------------------------------------------------------------------------------------------
// The orders that can receive now.

struct OrderCard {
    id: PurchaseOrderId,
    number: String,
    supplier: String,
    location: String,
    expected: String,
    status: &'static str,
    lines_left: String,
}

#[derive(Template)]
#[template(path = "procurement/receiving.html")]
struct ListPage {
    nav: &'static str,
    tenant_name: String,
    orders: Vec<OrderCard>,
}

/// The orders that can be received now (approved, sent, partly received; 100 of each at
/// most) at the member's locations, newest expected first.
async fn list(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let me = s.app.me(p).await?;
    let mut found = Vec::new();
    for status in RECEIVABLE {
        let page = s
            .app
            .list_purchase_orders(
                p,
                PurchaseOrderQuery {
                    status: Some(status),
                    limit: Some(100),
                    ..PurchaseOrderQuery::default()
                },
            )
            .await?;
        found.extend(page.data);
    }
    found.sort_by(|a, b| {
        b.expected_delivery
            .cmp(&a.expected_delivery)
            .then_with(|| b.number.cmp(&a.number))
    });
    let mut orders = Vec::with_capacity(found.len());
    for o in found {
        let po = s.app.get_purchase_order(p, o.id).await?;
        let left = po
            .lines
            .iter()
            .filter(|l| l.received_quantity < l.quantity)
            .count();
        orders.push(OrderCard {
            id: o.id,
            number: o.number,
            supplier: o.supplier_name,
            location: o.location_name,
            expected: o.expected_delivery.format("%a %-d %b").to_string(),
            status: status_text(o.status),
            lines_left: match left {
                0 => "nothing left to come".into(),
                1 => "1 line to come".into(),
                n => format!("{n} lines to come"),
            },
        });
    }
    render(&ListPage {
        nav: "receiving",
        tenant_name: me.tenant_name,
        orders,
    })
}

// ---------------------------------------------------------------------------------------------
// One order's delivery.

/// What the page needs of one order line.
struct LineInfo {
    /// Position among the order's lines (the page's `lines[pos]`).
    pos: usize,
    line_no: i32,
    item: String,
    sku: String,
    pack: String,
    /// Normalized codes a scan finds the line by: GTINs and the SKU.
    codes: Vec<String>,
    base_unit: BaseUnit,
    pack_quantity: Quantity,
    packs: i32,
    quantity: Quantity,
    received: Quantity,
    price: Money,
}

impl LineInfo {
    fn outstanding(&self) -> Quantity {
        Quantity::from_raw((self.quantity.raw() - self.received.raw()).max(0))
    }
}

/// The order with its lines as the page needs them.
async fn load(
    s: &AppState,
    p: Principal,
    id: PurchaseOrderId,
) -> Result<(PurchaseOrder, Vec<LineInfo>), AppError> {
    let po = s.app.get_purchase_order(p, id).await?;
    let sold = s
        .app
        .list_supplier_items(
            p,
            SupplierItemQuery {
                supplier_id: Some(po.supplier_id),
                item_id: None,
            },
        )
        .await?;
    let gtins: HashMap<_, _> = sold
        .data
        .into_iter()
        .filter_map(|si| si.gtin.map(|g| (si.id, g)))
        .collect();
    let mut items: HashMap<ItemId, Item> = HashMap::new();
    let mut lines = Vec::with_capacity(po.lines.len());
    for (pos, l) in po.lines.iter().enumerate() {
        if let Entry::Vacant(e) = items.entry(l.item_id) {
            e.insert(s.app.get_item(p, l.item_id).await?);
        }
        let item = items.get(&l.item_id);
        let mut codes: Vec<String> = gtins
            .get(&l.supplier_item_id)
            .into_iter()
            .chain(item.and_then(|i| i.barcode.as_ref()))
            .map(|c| normalize(c))
            .collect();
        codes.push(normalize(&l.supplier_sku));
        lines.push(LineInfo {
            pos,
            line_no: l.line_no,
            item: l.item_name.clone(),
            sku: l.supplier_sku.clone(),
            pack: l.pack.clone(),
            codes,
            base_unit: item.map_or(BaseUnit::Ea, |i| i.base_unit),
            pack_quantity: l.pack_quantity,
            packs: l.packs,
            quantity: l.quantity,
            received: l.received_quantity,
            price: l.price_per_pack,
        });
    }
    Ok((po, lines))
}

/// A line's boxes as typed.
#[derive(Clone, Debug, Default)]
struct LineForm {
    packs: String,
    quantity: String,
    price: String,
    lot: String,
    expires: String,
    rejected: String,
    reason: String,
}

impl LineForm {
    /// What the page starts with: the packs still to come at the order's price.
    fn prefilled(l: &LineInfo) -> Self {
        Self {
            packs: count(packs_of(l.outstanding(), l.pack_quantity)),
            price: l.price.to_string(),
            ..Self::default()
        }
    }

    fn typed(f: &Fields, line_no: i32) -> Self {
        let g = |name: &str| f.get(&format!("{name}_{line_no}")).to_owned();
        Self {
            packs: g("packs"),
            quantity: g("quantity"),
            price: g("price"),
            lot: g("lot"),
            expires: g("expires"),
            rejected: g("rejected"),
            reason: g("reason"),
        }
    }
}

/// A line's card.
struct LineCard {
    line_no: i32,
    item: String,
    sku: String,
    pack: String,
    codes: String,
    /// (packs, quantity in the tenant's units).
    ordered: (String, String),
    received: (String, String),
    to_come: (String, String),
    finished: bool,
    unit: &'static str,
    ordered_price: String,
    price_changed: bool,
    form: LineForm,
    error: Option<RowError>,
    scanned: bool,
}

impl LineCard {
    /// Whether the box for `sub` is the one refused.
    fn bad(&self, sub: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.sub == sub)
    }

    fn refusing(&self) -> bool {
        !self.form.rejected.is_empty()
            || !self.form.reason.is_empty()
            || self.bad("rejected_packs")
            || self.bad("rejection_reason")
    }
}

#[derive(Template)]
#[template(path = "procurement/receiving_order.html")]
struct OrderPage {
    nav: &'static str,
    tenant_name: String,
    id: PurchaseOrderId,
    number: String,
    status: &'static str,
    facts: String,
    scan_message: Option<String>,
    scan_missed: bool,
    scanned: bool,
    error: Option<String>,
    key: String,
    delivery_note: String,
    lines: Vec<LineCard>,
}

/// What a render of the order page is given beyond the order.
struct Shown {
    forms: Vec<LineForm>,
    delivery_note: String,
    key: String,
    error: Option<AppError>,
    scan: Option<String>,
}

async fn order_page(
    s: &AppState,
    p: Principal,
    po: &PurchaseOrder,
    lines: &[LineInfo],
    shown: Shown,
) -> Result<OrderPage, PageError> {
    let me = s.app.me(p).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let money = |m: Money| amount(&n, &settings.currency, &po.currency, m);
    let (row_error, error) = match &shown.error {
        Some(e) => {
            let (row, text) = split_error(e);
            let text = match &row {
                Some((pos, _)) => lines
                    .iter()
                    .find(|l| l.pos == *pos)
                    .map_or(text.clone(), |l| {
                        format!("Line {} ({}): {text}", pos + 1, l.item)
                    }),
                None => text,
            };
            (row, Some(text))
        }
        None => (None, None),
    };
    let scan = shown.scan.as_deref().and_then(blank);
    let found = scan.and_then(|code| {
        let c = normalize(code);
        lines.iter().find(|l| l.codes.contains(&c)).map(|l| l.pos)
    });
    let scan_message = scan.map(|code| match found.and_then(|pos| lines.get(pos)) {
        Some(l) => format!("Found {}: count its packs.", l.item),
        None if code.bytes().all(|b| b.is_ascii_digit()) => {
            format!("No line on this order has GTIN {code}.")
        }
        None => format!("No line on this order has SKU {code}."),
    });
    let packs_text = |packs: String| {
        let one = packs == "1";
        format!("{packs} pack{}", if one { "" } else { "s" })
    };
    let both = |q: Quantity, l: &LineInfo| {
        (
            packs_text(count(packs_of(q, l.pack_quantity))),
            n.quantity(q, l.base_unit),
        )
    };
    let mut cards: Vec<LineCard> = lines
        .iter()
        .zip(shown.forms)
        .map(|(l, form)| {
            let price_changed = blank(&form.price)
                .and_then(|v| Money::parse(v).ok())
                .is_some_and(|m| m != l.price);
            LineCard {
                line_no: l.line_no,
                item: l.item.clone(),
                sku: l.sku.clone(),
                pack: format!("{} = {}", l.pack, n.quantity(l.pack_quantity, l.base_unit)),
                codes: l.codes.join(" "),
                ordered: (
                    packs_text(l.packs.to_string()),
                    n.quantity(l.quantity, l.base_unit),
                ),
                received: both(l.received, l),
                to_come: both(l.outstanding(), l),
                finished: l.outstanding().raw() == 0,
                unit: entry_unit(l.base_unit).0,
                ordered_price: money(l.price),
                price_changed,
                form,
                error: row_error
                    .as_ref()
                    .filter(|(pos, _)| *pos == l.pos)
                    .map(|(_, e)| e.clone()),
                scanned: found == Some(l.pos),
            }
        })
        .collect();
    // The scanned line comes first, the others keep the order's order.
    cards.sort_by_key(|c| !c.scanned);
    Ok(OrderPage {
        nav: "receiving",
        tenant_name: me.tenant_name,
        id: po.id,
        number: po.number.clone(),
        status: status_text(po.status),
        facts: format!(
            "{} · to {} · expected {}",
            po.supplier_name,
            po.location_name,
            po.expected_delivery.format("%a %-d %b")
        ),
        scan_missed: scan.is_some() && found.is_none(),
        scanned: found.is_some(),
        scan_message,
        error,
        key: shown.key,
        delivery_note: shown.delivery_note,
        lines: cards,
    })
}

#[derive(serde::Deserialize)]
struct ScanQuery {
    scan: Option<String>,
}

/// The order's lines to receive, with the scanned line first when `?scan=` names one.
async fn order_form(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<PurchaseOrderId>,
    Query(q): Query<ScanQuery>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let (po, lines) = load(&s, p, id).await?;
    if !RECEIVABLE.contains(&po.status) {
        return Err(AppError::conflict(
            "status",
            format!(
                "{} is {} and cannot receive goods",
                po.number,
                status_text(po.status).to_lowercase()
            ),
        )
        .into());
    }
    let shown = Shown {
        forms: lines.iter().map(LineForm::prefilled).collect(),
        delivery_note: String::new(),
        key: new_key(),
        error: None,
        scan: q.scan,
    };
    let page = order_page(&s, p, &po, &lines, shown).await?;
    Ok(with_script(render(&page)?))
}

/// The receipt a confirmed form makes (lines with nothing accepted or refused left out), and
/// the page position of each line sent.
fn order_command(
    po: &PurchaseOrder,
    lines: &[LineInfo],
    forms: &[LineForm],
    delivery_note: &str,
) -> Result<(ReceiptCommand, Vec<usize>), AppError> {
    let mut out = Vec::new();
    let mut rows = Vec::new();
    for (l, form) in lines.iter().zip(forms) {
        let field = |sub: &str| format!("lines[{}].{sub}", l.pos);
        let base = blank(&form.quantity)
            .map(|v| amount_value(&field("quantity"), v, entry_unit(l.base_unit).1))
            .transpose()?;
        let packs = match base {
            Some(_) => None,
            None => blank(&form.packs)
                .map(|v| packs_value(&field("packs"), v))
                .transpose()?,
        };
        let refused = blank(&form.rejected)
            .map(|v| packs_value(&field("rejected_packs"), v))
            .transpose()?
            .filter(|q| q.raw() != 0);
        if base.or(packs).unwrap_or(Quantity::ZERO).raw() == 0 && refused.is_none() {
            continue;
        }
        let price = match blank(&form.price) {
            Some(v) => Some(Money::parse(v).map_err(|_| {
                AppError::invalid(
                    field("price_per_pack"),
                    format!("'{v}' is not a price such as 9.60"),
                )
            })?),
            None => None,
        };
        rows.push(l.pos);
        out.push(ReceiptLineCommand {
            po_line: Some(l.line_no),
            packs: if base.is_none() {
                Some(packs.unwrap_or(Quantity::ZERO))
            } else {
                None
            },
            quantity: base,
            rejected_packs: refused,
            rejection_reason: match refused {
                Some(_) => opt_text(
                    &field("rejection_reason"),
                    blank(&form.reason),
                    Label::parse,
                )?,
                None => None,
            },
            // The order's price is the default; only a different one is sent (and flagged).
            price_per_pack: price.filter(|m| *m != l.price),
            lot_code: opt_text(&field("lot_code"), blank(&form.lot), Code::parse)?,
            expires_on: date_value(&field("expires_on"), blank(&form.expires))?,
            ..ReceiptLineCommand::default()
        });
    }
    if out.is_empty() {
        return Err(AppError::invalid(
            "lines",
            "Nothing was received or refused: enter the packs that arrived on at least one line.",
        ));
    }
    Ok((
        ReceiptCommand {
            purchase_order_id: Some(po.id),
            delivery_note: opt_text("delivery_note", blank(delivery_note), Code::parse)?,
            lines: out,
            ..ReceiptCommand::default()
        },
        rows,
    ))
}

/// Receives the delivery and shows the receipt; a refused one shows the form again as typed,
/// the error on its line's card.
async fn receive(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<PurchaseOrderId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let f = Fields(f);
    let (po, lines) = load(&s, p, id).await?;
    let forms: Vec<LineForm> = lines
        .iter()
        .map(|l| LineForm::typed(&f, l.line_no))
        .collect();
    let delivery_note = f.get("delivery_note").to_owned();
    let key = f.get("key").to_owned();
    let result = match order_command(&po, &lines, &forms, &delivery_note) {
        Ok((cmd, rows)) => s
            .app
            .receive_goods(p, cmd, IdempotencyKey::parse(&key).ok())
            .await
            .map(|r| r.value.id)
            .map_err(|e| at_row(e, &rows)),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(rid) => return Ok(Redirect::to(&format!("/receiving/done/{rid}")).into_response()),
        Err(e) => e,
    };
    let status = match (&e, shown_again(&e)) {
        (AppError::IdempotencyMismatch, _) => StatusCode::CONFLICT,
        (_, Some(status)) => status,
        (_, None) => return Err(e.into()),
    };
    let key = match e {
        AppError::IdempotencyMismatch => new_key(),
        _ => key,
    };
    let shown = Shown {
        forms,
        delivery_note,
        key,
        error: Some(e),
        scan: None,
    };
    let page = order_page(&s, p, &po, &lines, shown).await?;
    with_status(with_script(render(&page)?), status)
}

// ---------------------------------------------------------------------------------------------
// A walk-in delivery.

/// A row of the walk-in form as typed.
#[derive(Clone, Debug, Default)]
struct WalkInRow {
    item: String,
    quantity: String,
    unit: String,
    cost: String,
    lot: String,
    expires: String,
    error: Option<RowError>,
}

impl WalkInRow {
    fn bad(&self, sub: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.sub == sub)
    }
}

/// The units a walk-in row may be typed in: blank is the item's larger unit.
const WALK_IN_UNITS: [(&str, &str); 3] = [("", "kg · L · each"), ("g", "g"), ("ml", "ml")];

#[derive(Template)]
#[template(path = "procurement/receiving_walk_in.html")]
struct WalkInPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    key: String,
    locations: Vec<(LocationId, String)>,
    suppliers: Vec<(SupplierId, String)>,
    items: Vec<(ItemId, String)>,
    units: [(&'static str, &'static str); 3],
    location_id: String,
    supplier_id: String,
    delivery_note: String,
    rows: Vec<WalkInRow>,
}

/// The walk-in form's choices: the member's locations, active suppliers, items (500 each).
async fn walk_in_choices(
    s: &AppState,
    p: Principal,
) -> Result<
    (
        Vec<(LocationId, String)>,
        Vec<(SupplierId, String)>,
        Vec<Item>,
    ),
    AppError,
> {
    let locations = s
        .app
        .list_locations(p, Some(500), None)
        .await?
        .data
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let suppliers = s
        .app
        .list_suppliers(
            p,
            SupplierQuery {
                include_inactive: Some(false),
                limit: Some(500),
                cursor: None,
            },
        )
        .await?
        .data
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let items = s
        .app
        .list_items(
            p,
            ItemQuery {
                limit: Some(500),
                ..ItemQuery::default()
            },
        )
        .await?
        .data;
    Ok((locations, suppliers, items))
}

#[allow(clippy::too_many_arguments)]
async fn walk_in_page(
    s: &AppState,
    p: Principal,
    key: String,
    location_id: String,
    supplier_id: String,
    delivery_note: String,
    mut rows: Vec<WalkInRow>,
    error: Option<&AppError>,
) -> Result<WalkInPage, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let me = s.app.me(p).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let (locations, suppliers, items) = walk_in_choices(s, p).await?;
    let error = error.map(|e| {
        let (row, text) = split_error(e);
        match row {
            Some((i, re)) => {
                if let Some(r) = rows.get_mut(i) {
                    r.error = Some(re);
                }
                format!("Row {}: {text}", i + 1)
            }
            None => text,
        }
    });
    rows.resize(WALK_IN_ROWS.max(rows.len()), WalkInRow::default());
    Ok(WalkInPage {
        nav: "receiving",
        tenant_name: me.tenant_name,
        error,
        key,
        locations,
        suppliers,
        items: items
            .into_iter()
            .map(|i| {
                let cost = match i.unit_cost {
                    Some(c) => format!(" · {}", n.unit_cost(Some(c), i.base_unit)),
                    None => " · no cost yet".to_owned(),
                };
                (i.id, format!("{}{cost}", i.name))
            })
            .collect(),
        units: WALK_IN_UNITS,
        location_id,
        supplier_id,
        delivery_note,
        rows,
    })
}

/// The walk-in form: where, from whom, and rows by item.
async fn walk_in_form(
    State(s): State<AppState>,
    Session(p): Session,
) -> Result<Response, PageError> {
    let page = walk_in_page(
        &s,
        p,
        new_key(),
        String::new(),
        String::new(),
        String::new(),
        Vec::new(),
        None,
    )
    .await?;
    render(&page)
}

fn walk_in_rows(f: &Fields) -> Vec<WalkInRow> {
    let col = |name: &str| f.all(name);
    let (items, quantities, units, costs, lots, expiries) = (
        col("item_id"),
        col("quantity"),
        col("unit"),
        col("cost"),
        col("lot"),
        col("expires"),
    );
    let at = |v: &[&str], i: usize| v.get(i).copied().unwrap_or("").to_owned();
    (0..items.len())
        .map(|i| WalkInRow {
            item: at(&items, i),
            quantity: at(&quantities, i),
            unit: at(&units, i),
            cost: at(&costs, i),
            lot: at(&lots, i),
            expires: at(&expiries, i),
            error: None,
        })
        .collect()
}

/// How many base units of an item counted in `base` one `unit` of a walk-in row holds.
fn walk_in_per_base(field: &str, unit: &str, base: BaseUnit) -> Result<i128, AppError> {
    match (unit, base) {
        ("", b) => Ok(entry_unit(b).1),
        ("g", BaseUnit::G) | ("ml", BaseUnit::Ml) => Ok(1),
        (u, b) => Err(AppError::invalid(
            field,
            format!("an item counted in {b} is not measured in {u}"),
        )),
    }
}

fn walk_in_command(
    f: &Fields,
    rows: &[WalkInRow],
    items: &HashMap<ItemId, BaseUnit>,
) -> Result<(ReceiptCommand, Vec<usize>), AppError> {
    let location_id = f
        .get("location_id")
        .parse::<LocationId>()
        .map_err(|_| AppError::invalid("location_id", "choose where it arrived"))?;
    let supplier_id = match blank(f.get("supplier_id")) {
        Some(v) => Some(
            v.parse::<SupplierId>()
                .map_err(|_| AppError::invalid("supplier_id", "choose a supplier or none"))?,
        ),
        None => None,
    };
    let mut out = Vec::new();
    let mut kept = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(item) = blank(&r.item) else {
            continue;
        };
        let field = |sub: &str| format!("lines[{i}].{sub}");
        let (item_id, base) = item
            .parse::<ItemId>()
            .ok()
            .and_then(|id| items.get(&id).map(|b| (id, *b)))
            .ok_or_else(|| AppError::invalid(field("item_id"), "choose an item"))?;
        let per = walk_in_per_base(&field("quantity"), &r.unit, base)?;
        let quantity = match blank(&r.quantity) {
            Some(v) => amount_value(&field("quantity"), v, per)?,
            None => {
                return Err(AppError::invalid(field("quantity"), "say how much arrived"));
            }
        };
        kept.push(i);
        out.push(ReceiptLineCommand {
            item_id: Some(item_id),
            quantity: Some(quantity),
            unit_cost: blank(&r.cost)
                .map(|v| money_per(&field("unit_cost"), v, per))
                .transpose()?,
            lot_code: opt_text(&field("lot_code"), blank(&r.lot), Code::parse)?,
            expires_on: date_value(&field("expires_on"), blank(&r.expires))?,
            ..ReceiptLineCommand::default()
        });
    }
    if out.is_empty() {
        return Err(AppError::invalid(
            "lines",
            "Nothing to receive: choose an item and its quantity on at least one row.",
        ));
    }
    Ok((
        ReceiptCommand {
            location_id: Some(location_id),
            supplier_id,
            delivery_note: opt_text("delivery_note", blank(f.get("delivery_note")), Code::parse)?,
            lines: out,
            ..ReceiptCommand::default()
        },
        kept,
    ))
}

/// Receives a walk-in delivery and shows the receipt; a refused one shows the form again.
async fn walk_in(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let f = Fields(f);
    let rows = walk_in_rows(&f);
    let (_, _, items) = walk_in_choices(&s, p).await?;
    let bases: HashMap<ItemId, BaseUnit> = items.iter().map(|i| (i.id, i.base_unit)).collect();
    let key = f.get("key").to_owned();
    let result = match walk_in_command(&f, &rows, &bases) {
        Ok((cmd, kept)) => s
            .app
            .receive_goods(p, cmd, IdempotencyKey::parse(&key).ok())
            .await
            .map(|r| r.value.id)
            .map_err(|e| at_row(e, &kept)),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(rid) => return Ok(Redirect::to(&format!("/receiving/done/{rid}")).into_response()),
        Err(e) => e,
    };
    let status = match (&e, shown_again(&e)) {
        (AppError::IdempotencyMismatch, _) => StatusCode::CONFLICT,
        (_, Some(status)) => status,
        (_, None) => return Err(e.into()),
    };
    let key = match e {
        AppError::IdempotencyMismatch => new_key(),
        _ => key,
    };
    let page = walk_in_page(
        &s,
        p,
        key,
        f.get("location_id").to_owned(),
        f.get("supplier_id").to_owned(),
        f.get("delivery_note").to_owned(),
        rows,
        Some(&e),
    )
    .await?;
    with_status(render(&page)?, status)
}

// ---------------------------------------------------------------------------------------------
// The receipt.

struct DoneLine {
    item: String,
    received: String,
    price: String,
    value: String,
    lot: String,
    expires: String,
    flags: Vec<String>,
}

#[derive(Template)]
#[template(path = "procurement/receiving_done.html")]
struct DonePage {
    nav: &'static str,
    tenant_name: String,
    id: GoodsReceiptId,
    facts: Vec<(&'static str, String)>,
    total: String,
    lines: Vec<DoneLine>,
    /// The order, its number, its status now, and whether it still receives.
    order: Option<(PurchaseOrderId, String, &'static str, bool)>,
}

/// Over and under delivery of each line of `r`, against what was still to come on its order
/// line when it arrived. These are not stored with the receipt (the use case reports them
/// only in its answer), so they are worked out again: what the order line has received now,
/// less this receipt and the later receipts of the order.
async fn over_under(
    s: &AppState,
    p: Principal,
    r: &GoodsReceipt,
    po: &PurchaseOrder,
) -> Result<Vec<(bool, bool)>, AppError> {
    let all = s
        .app
        .list_goods_receipts(
            p,
            GoodsReceiptQuery {
                purchase_order_id: Some(po.id),
                limit: Some(500),
                ..GoodsReceiptQuery::default()
            },
        )
        .await?;
    let counts = |l: &GoodsReceiptLine| {
        l.po_line.and_then(|n| {
            po.lines
                .iter()
                .find(|x| x.line_no == n && x.item_id == l.item_id)
        })
    };
    // Newest first: the receipts listed before this one came after it.
    let mut after: HashMap<i32, i128> = HashMap::new();
    for g in all.data.iter().take_while(|g| g.id != r.id) {
        for l in &g.lines {
            if let Some(pl) = counts(l) {
                *after.entry(pl.line_no).or_default() += i128::from(l.quantity.raw());
            }
        }
    }
    let mut this: HashMap<i32, i128> = HashMap::new();
    for l in &r.lines {
        if let Some(pl) = counts(l) {
            *this.entry(pl.line_no).or_default() += i128::from(l.quantity.raw());
        }
    }
    Ok(r.lines
        .iter()
        .map(|l| match counts(l) {
            Some(pl) => {
                let before = i128::from(pl.received_quantity.raw())
                    - this.get(&pl.line_no).copied().unwrap_or(0)
                    - after.get(&pl.line_no).copied().unwrap_or(0);
                let outstanding = (i128::from(pl.quantity.raw()) - before).max(0);
                let q = i128::from(l.quantity.raw());
                (q > outstanding, q < outstanding)
            }
            None => (false, false),
        })
        .collect())
}

/// The receipt: its lines with value, lot, expiry and what is worth a second look, the total
/// and the order's status now.
async fn done(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<GoodsReceiptId>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let r = s.app.get_goods_receipt(p, id).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let tz: chrono_tz::Tz = settings.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let po = match r.purchase_order_id {
        Some(po) => Some(s.app.get_purchase_order(p, po).await?),
        None => None,
    };
    let currency = po
        .as_ref()
        .map_or(settings.currency.clone(), |po| po.currency.clone());
    let money = |m: Money| amount(&n, &settings.currency, &currency, m);
    let mut facts = vec![(
        "Received",
        r.received_at
            .with_timezone(&tz)
            .format("%a %-d %b %Y %H:%M")
            .to_string(),
    )];
    match &po {
        Some(po) => {
            facts.push(("Supplier", po.supplier_name.clone()));
            facts.push(("At", po.location_name.clone()));
        }
        None => {
            if let Some(sup) = r.supplier_id {
                facts.push(("Supplier", s.app.get_supplier(p, sup).await?.name));
            }
            let locations = s.app.list_locations(p, Some(500), None).await?.data;
            if let Some(l) = locations.iter().find(|l| l.id == r.location_id) {
                facts.push(("At", l.name.clone()));
            }
        }
    }
    if let Some(dn) = &r.delivery_note {
        facts.push(("Delivery note", dn.clone()));
    }
    let extents = match &po {
        Some(po) => over_under(&s, p, &r, po).await?,
        None => vec![(false, false); r.lines.len()],
    };
    let mut units: HashMap<ItemId, BaseUnit> = HashMap::new();
    let mut lines = Vec::with_capacity(r.lines.len());
    for (l, (over, under)) in r.lines.iter().zip(extents) {
        if let Entry::Vacant(e) = units.entry(l.item_id) {
            e.insert(s.app.get_item(p, l.item_id).await?.base_unit);
        }
        let unit = units.get(&l.item_id).copied().unwrap_or(BaseUnit::Ea);
        let mut flags = Vec::new();
        if l.flags.price_differs
            && let (Some(paid), Some(ordered)) = (l.price_per_pack, l.ordered_price_per_pack)
        {
            flags.push(format!(
                "Price differs: {} a pack, the order said {}",
                money(paid),
                money(ordered)
            ));
        }
        if l.flags.substituted {
            flags.push("Substituted: another product than the one ordered".to_owned());
        }
        if l.flags.not_ordered {
            flags.push("Not on the order".to_owned());
        }
        if over {
            flags.push("Over: more arrived than was still to come".to_owned());
        }
        if under {
            flags.push("Under: less arrived than was still to come".to_owned());
        }
        if l.flags.rejected {
            flags.push(format!(
                "Refused {}{}",
                n.quantity(l.rejected_quantity, unit),
                l.rejection_reason
                    .as_ref()
                    .map_or(String::new(), |why| format!(": {why}"))
            ));
        }
        lines.push(DoneLine {
            item: l.item_name.clone(),
            received: match l.packs {
                Some(packs) => format!(
                    "{} pack{} · {}",
                    count(packs),
                    if packs.raw() == Quantity::ONE_RAW {
                        ""
                    } else {
                        "s"
                    },
                    n.quantity(l.quantity, unit)
                ),
                None => n.quantity(l.quantity, unit),
            },
            price: match l.price_per_pack {
                Some(m) => format!("{} a pack", money(m)),
                None => n.unit_cost(Some(l.unit_cost), unit),
            },
            value: money(l.value),
            lot: l.lot_code.clone().unwrap_or_else(|| "–".into()),
            expires: l
                .expires_on
                .map_or_else(|| "–".into(), |d| d.format("%-d %b %Y").to_string()),
            flags,
        });
    }
    render(&DonePage {
        nav: "receiving",
        tenant_name: me.tenant_name,
        id: r.id,
        facts,
        total: money(r.total),
        lines,
        order: po.map(|po| {
            (
                po.id,
                po.number,
                status_text(po.status),
                RECEIVABLE.contains(&po.status),
            )
        }),
    })
}
