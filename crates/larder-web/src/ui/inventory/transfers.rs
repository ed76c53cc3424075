//! Transfer pages (issue 9, item 4; ADR 021), phone first and working without scripts:
//! `/transfers` (newest first, by status), `/transfers/new` (from, to, and rows of an item and
//! an amount typed in its packs and units), `/transfers/{id}` (lines, lots taken,
//! discrepancies, who and when; cancel), `/transfers/{id}/send` (the lots that will be taken,
//! FEFO, then one button) and `/transfers/{id}/receive` (a card per line prefilled with what
//! was sent: one thumb confirms, or changes a line and says why). The receive form is boosted
//! by htmx where it loads (no full page flash on a slow connection) and is a plain form post
//! without it. Each confirming form carries an idempotency key made when it was rendered, so
//! a double tap posts once.
//!
//! Both the send and the receive page have a scan box (ADR 018): a keyboard-wedge scanner or
//! the camera finds the line of the scanned item and fills its box with what the scan carries
//! (a net weight, a case, a count): the first scan replaces what the box was prefilled with
//! (what was asked, what was sent), each further one adds. On the send page the boxes are what
//! is sent: a changed amount, a line emptied or an item added (a scan of an item not asked
//! for goes to the "add an item" rows) replaces the request's lines (`If-Match` its version)
//! just before it is sent. On the receive page an item that was not sent is said so. With
//! script (`scan.js`, `scan-lines.js`) nothing reloads; without, the box is a GET form
//! (`?scan=`) and the page comes back with the line first, its box filled and focused.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::catalog::ItemQuery;
use larder_app::inventory::transfers::{
    CancelCommand, ReceiveCommand, ReceiveLineCommand, Transfer, TransferCommand,
    TransferLineCommand, TransferQuery,
};
use larder_app::{AppError, IdempotencyKey, Principal};
use larder_core::auth::Permission;
use larder_core::inventory::transfers::{TransferAction, TransferStatus};
use larder_core::{BaseUnit, ItemId, Label, LocationId, Note, Quantity, TransferId};

use super::super::error::{PageError, render};
use super::super::format::Numbers;
use super::super::forms::{Fields, message, shown_again};
use super::super::scan::{self, Scanned};
use super::super::session::Session;
use super::super::tenancy::with_status;
use super::super::with_script;
use crate::AppState;

/// `GET|POST /transfers`, `GET /transfers/new`, `GET /transfers/{id}`,
/// `GET|POST /transfers/{id}/send`, `GET|POST /transfers/{id}/receive`,
/// `POST /transfers/{id}/cancel`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/transfers", get(list).post(create))
        .route("/transfers/new", get(new_form))
        .route("/transfers/{id}", get(detail))
        .route("/transfers/{id}/send", get(send_page).post(send))
        .route("/transfers/{id}/receive", get(receive_page).post(receive))
        .route("/transfers/{id}/cancel", post(cancel))
}

/// How many rows the request form offers.
const FORM_ROWS: usize = 6;

fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A status as people read it.
fn status_text(s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Requested => "Requested",
        TransferStatus::Sent => "In transit",
        TransferStatus::Received => "Received",
        TransferStatus::Cancelled => "Cancelled",
    }
}

/// A quantity as an amount a person types back: kilograms, litres or eaches.
fn amount_text(q: Quantity, unit: BaseUnit) -> String {
    let (per, name) = match unit {
        BaseUnit::G => (1000, "kg"),
        BaseUnit::Ml => (1000, "l"),
        BaseUnit::Ea => (1, ""),
    };
    let whole = Quantity::from_raw(q.raw() / per);
    let exact = q.raw() % per == 0;
    let text = if exact {
        whole.to_string()
    } else {
        return format!("{q} {}", unit.as_str());
    };
    let text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
    if name.is_empty() {
        text
    } else {
        format!("{text} {name}")
    }
}

struct Card {
    id: TransferId,
    number: String,
    route: String,
    status: &'static str,
    lines: String,
    when: String,
}

#[derive(Template)]
#[template(path = "inventory/transfers.html")]
struct ListPage {
    nav: &'static str,
    tenant_name: String,
    writable: bool,
    filter: String,
    statuses: Vec<(&'static str, &'static str)>,
    cards: Vec<Card>,
}

#[derive(serde::Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let status = match q.status.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => Some(
            v.parse::<TransferStatus>()
                .map_err(|e| AppError::invalid("status", e))?,
        ),
        None => None,
    };
    let page = s
        .app
        .list_transfers(
            p,
            TransferQuery {
                status,
                limit: Some(100),
                ..TransferQuery::default()
            },
        )
        .await?;
    let mut statuses = vec![("", "All")];
    statuses.extend(
        TransferStatus::ALL
            .iter()
            .map(|s| (s.as_str(), status_text(*s))),
    );
    render(&ListPage {
        nav: "transfers",
        tenant_name: me.tenant_name,
        writable: p.require(Permission::InventoryAdjust).is_ok(),
        filter: status.map(TransferStatus::as_str).unwrap_or("").to_owned(),
        statuses,
        cards: page
            .data
            .into_iter()
            .map(|t| Card {
                id: t.id,
                route: format!("{} → {}", t.from_location_name, t.to_location_name),
                status: status_text(t.status),
                lines: match t.lines.len() {
                    1 => format!("1 line: {}", t.lines[0].item_name),
                    n => format!("{n} lines"),
                },
                when: t
                    .received_at
                    .or(t.sent_at)
                    .unwrap_or(t.requested_at)
                    .format("%-d %b %H:%M")
                    .to_string(),
                number: t.number,
            })
            .collect(),
    })
}

/// The request form as typed.
#[derive(Clone, Debug, Default)]
struct RequestForm {
    from: String,
    to: String,
    note: String,
    key: String,
    rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "inventory/transfer_new.html")]
struct NewPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    locations: Vec<(LocationId, String)>,
    items: Vec<(ItemId, String)>,
    form: RequestForm,
}

async fn new_page(
    s: &AppState,
    p: Principal,
    mut form: RequestForm,
    error: Option<String>,
) -> Result<NewPage, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let me = s.app.me(p).await?;
    let locations = s
        .app
        .list_locations(p, Some(500), None)
        .await?
        .data
        .into_iter()
        .map(|l| (l.id, l.name))
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
        .data
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    form.rows.resize(
        FORM_ROWS.max(form.rows.len()),
        (String::new(), String::new()),
    );
    if form.key.is_empty() {
        form.key = new_key();
    }
    Ok(NewPage {
        nav: "transfers",
        tenant_name: me.tenant_name,
        error,
        locations,
        items,
        form,
    })
}

async fn new_form(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    render(&new_page(&s, p, RequestForm::default(), None).await?)
}

/// The command a filled-in form makes: rows without an item are skipped, and a row's fields
/// are named by their position among the rows kept (as the API names them).
fn command(f: &RequestForm) -> Result<TransferCommand, AppError> {
    let from_location_id = f
        .from
        .parse()
        .map_err(|_| AppError::invalid("from_location_id", "choose where it leaves from"))?;
    let to_location_id =
        f.to.parse()
            .map_err(|_| AppError::invalid("to_location_id", "choose where it goes"))?;
    let note = match f.note.trim() {
        "" => None,
        n => Some(Note::parse(n).map_err(|e| AppError::invalid("note", e.to_string()))?),
    };
    let mut lines = Vec::new();
    for (item, amount) in f.rows.iter().filter(|(i, _)| !i.is_empty()) {
        let i = lines.len();
        let item_id = item
            .parse()
            .map_err(|_| AppError::invalid(format!("lines[{i}].item_id"), "choose an item"))?;
        let amount = Label::parse(amount.trim())
            .map_err(|e| AppError::invalid(format!("lines[{i}].amount"), e.to_string()))?;
        lines.push(TransferLineCommand {
            item_id,
            quantity: None,
            amount: Some(amount),
        });
    }
    Ok(TransferCommand {
        from_location_id,
        to_location_id,
        note,
        lines,
    })
}

async fn create(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let form = RequestForm {
        from: f.get("from_location_id").to_owned(),
        to: f.get("to_location_id").to_owned(),
        note: f.get("note").to_owned(),
        key: f.get("key").to_owned(),
        rows: f
            .all("item_id")
            .iter()
            .zip(f.all("amount").iter().chain(std::iter::repeat(&"")))
            .map(|(i, a)| ((*i).to_owned(), (*a).to_owned()))
            .collect(),
    };
    let result = match command(&form) {
        Ok(cmd) => s
            .app
            .create_transfer(p, cmd, IdempotencyKey::parse(&form.key).ok())
            .await
            .map(|r| r.value.id),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(id) => return Ok(Redirect::to(&format!("/transfers/{id}")).into_response()),
        Err(e) => e,
    };
    let Some(status) = shown_again(&e) else {
        return Err(e.into());
    };
    let page = new_page(&s, p, form, Some(message(&e))).await?;
    with_status(render(&page)?, status)
}

struct LotText {
    code: String,
    expires: String,
    quantity: String,
    cost: String,
}

struct LineView {
    line_no: i32,
    item_id: ItemId,
    item: String,
    requested: String,
    sent: String,
    received: String,
    discrepancy: Option<String>,
    note: Option<String>,
    lots: Vec<LotText>,
    /// What the receive box starts with.
    prefill: String,
    /// The line a scan found (shown first, its box focused).
    scanned: bool,
}

fn lines_of(t: &Transfer, n: &Numbers) -> Vec<LineView> {
    t.lines
        .iter()
        .map(|l| {
            let u = l.base_unit;
            LineView {
                line_no: l.line_no,
                item_id: l.item_id,
                item: l.item_name.clone(),
                requested: n.quantity(l.quantity, u),
                sent: n.opt_quantity(l.sent_quantity, u),
                received: n.opt_quantity(l.received_quantity, u),
                discrepancy: match (l.discrepancy_quantity, l.discrepancy_value) {
                    (Some(q), Some(v)) if q.raw() != 0 || v.raw() != 0 => Some(format!(
                        "{} {} ({})",
                        if q.is_negative() { "Short" } else { "Over" },
                        n.quantity(Quantity::from_raw(q.raw().abs()), u),
                        n.money(Some(v))
                    )),
                    _ => None,
                },
                note: l.note.clone(),
                lots: l
                    .lots
                    .iter()
                    .map(|x| LotText {
                        code: x.code.clone().unwrap_or_else(|| {
                            if x.lot_id.is_some() {
                                "no code"
                            } else {
                                "not in stock"
                            }
                            .into()
                        }),
                        expires: x.expires_on.map_or_else(
                            || "no date".into(),
                            |d| d.format("%-d %b %Y").to_string(),
                        ),
                        quantity: n.quantity(x.quantity, u),
                        cost: n.money(Some(x.cost)),
                    })
                    .collect(),
                prefill: amount_text(l.sent_quantity.unwrap_or(l.quantity), u),
                scanned: false,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "inventory/transfer.html")]
struct DetailPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    id: TransferId,
    number: String,
    status: &'static str,
    version: i64,
    facts: Vec<(&'static str, String)>,
    lines: Vec<LineView>,
    can_send: bool,
    can_receive: bool,
    can_cancel: bool,
}

async fn detail_page(
    s: &AppState,
    p: Principal,
    id: TransferId,
    error: Option<String>,
) -> Result<DetailPage, PageError> {
    let me = s.app.me(p).await?;
    let n = Numbers::of(&s.app.get_settings(p).await?);
    let t = s.app.get_transfer(p, id).await?;
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|a| a.format("%-d %b %Y %H:%M").to_string())
    };
    let mut facts = vec![
        ("From", t.from_location_name.clone()),
        ("To", t.to_location_name.clone()),
        ("Requested", when(Some(t.requested_at)).unwrap_or_default()),
    ];
    if let Some(w) = when(t.sent_at) {
        facts.push(("Sent", w));
    }
    if let Some(v) = t.sent_value {
        facts.push(("Value sent", n.money(Some(v))));
    }
    if let Some(w) = when(t.received_at) {
        facts.push(("Received", w));
    }
    if let Some(v) = t.discrepancy_value.filter(|v| v.raw() != 0) {
        facts.push(("Discrepancy", n.money(Some(v))));
    }
    if let Some(w) = when(t.cancelled_at) {
        facts.push(("Cancelled", w));
    }
    if let Some(r) = &t.cancel_reason {
        facts.push(("Why", r.clone()));
    }
    if let Some(note) = &t.note {
        facts.push(("Note", note.clone()));
    }
    let writable = p.require(Permission::InventoryAdjust).is_ok();
    Ok(DetailPage {
        nav: "transfers",
        tenant_name: me.tenant_name,
        error,
        id: t.id,
        number: t.number.clone(),
        status: status_text(t.status),
        version: t.version,
        facts,
        lines: lines_of(&t, &n),
        can_send: writable && t.actions.contains(&TransferAction::Send),
        can_receive: writable && t.actions.contains(&TransferAction::Receive),
        can_cancel: writable && t.actions.contains(&TransferAction::Cancel),
    })
}

async fn detail(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
) -> Result<Response, PageError> {
    render(&detail_page(&s, p, id, None).await?)
}

async fn cancel(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let result = match Note::parse(f.get("reason")) {
        Ok(reason) => s
            .app
            .cancel_transfer(p, id, CancelCommand { reason }, f.version()?)
            .await
            .map(drop),
        Err(e) => Err(AppError::invalid("reason", e.to_string())),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/transfers/{id}")).into_response()),
        Err(e) => {
            let Some(status) = shown_again(&e) else {
                return Err(e.into());
            };
            let page = detail_page(&s, p, id, Some(message(&e))).await?;
            with_status(render(&page)?, status)
        }
    }
}

struct TakeLine {
    line_no: i32,
    item_id: ItemId,
    item: String,
    quantity: String,
    lots: Vec<LotText>,
    shortfall: Option<String>,
    /// What the "Sending" box holds, and what it held when the page was made (the request).
    amount: String,
    was: String,
    scanned: bool,
}

#[derive(Template)]
#[template(path = "inventory/transfer_send.html")]
struct SendPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    id: TransferId,
    number: String,
    from: String,
    to: String,
    version: i64,
    key: String,
    lines: Vec<TakeLine>,
    /// Items that can be added (id, name), and the added rows as typed (item id, amount).
    items: Vec<(ItemId, String)>,
    extras: Vec<(String, String)>,
    scan_message: Option<String>,
    scan_missed: bool,
}

impl SendPage {
    /// Whether a scan put a line's or an added row's box in front of the cook (which then has
    /// the focus instead of the scan box).
    fn scanned_any(&self) -> bool {
        self.lines.iter().any(|l| l.scanned)
            || (self.scan_message.is_some()
                && !self.scan_missed
                && self.extras.first().is_some_and(|(i, _)| !i.is_empty()))
    }

    /// Whether the "add an item" rows are shown open: one of them is filled in.
    fn extras_open(&self) -> bool {
        self.extras
            .iter()
            .any(|(i, a)| !i.is_empty() || !a.is_empty())
    }
}

/// How many "add an item" rows the send page offers (script adds more as scans need them).
const EXTRA_ROWS: usize = 2;

/// The amount a requested line is typed back as: as it was typed, else in kg, l or eaches.
fn asked(l: &larder_app::inventory::transfers::TransferLine) -> String {
    l.amount
        .clone()
        .unwrap_or_else(|| amount_text(l.quantity, l.base_unit))
}

/// What the send page shows beyond the transfer: the boxes as typed (after a refused send), a
/// scan from the box without script, and the error with its status.
#[derive(Default)]
struct SendShown<'a> {
    typed: Option<&'a Fields>,
    scan: Option<String>,
    error: Option<(String, StatusCode)>,
    key: Option<String>,
}

async fn send_view(
    s: &AppState,
    p: Principal,
    id: TransferId,
    shown: SendShown<'_>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let t = s.app.get_transfer(p, id).await?;
    if t.status != TransferStatus::Requested {
        return Ok(Redirect::to(&format!("/transfers/{id}")).into_response());
    }
    let me = s.app.me(p).await?;
    let n = Numbers::of(&s.app.get_settings(p).await?);
    let plan = s.app.transfer_lots_to_take(p, id).await?;
    let items: Vec<(ItemId, String)> = s
        .app
        .list_items(
            p,
            ItemQuery {
                limit: Some(500),
                ..ItemQuery::default()
            },
        )
        .await?
        .data
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    let mut lines: Vec<TakeLine> = t
        .lines
        .iter()
        .map(|l| {
            let u = l.base_unit;
            let take = plan.iter().find(|x| x.line_no == l.line_no);
            let was = asked(l);
            let typed = shown
                .typed
                .filter(|f| f.has(&format!("amount_{}", l.line_no)))
                .map(|f| f.get(&format!("amount_{}", l.line_no)).to_owned());
            TakeLine {
                line_no: l.line_no,
                item_id: l.item_id,
                item: l.item_name.clone(),
                quantity: n.quantity(l.quantity, u),
                lots: take
                    .map(|x| {
                        x.lots
                            .iter()
                            .map(|lot| LotText {
                                code: lot.code.clone().unwrap_or_else(|| "no code".into()),
                                expires: lot.expires_on.map_or_else(
                                    || "no date".into(),
                                    |d| d.format("%-d %b %Y").to_string(),
                                ),
                                quantity: n.quantity(lot.quantity, u),
                                cost: String::new(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                shortfall: take
                    .filter(|x| x.shortfall.raw() > 0)
                    .map(|x| n.quantity(x.shortfall, u)),
                amount: typed.unwrap_or_else(|| was.clone()),
                was,
                scanned: false,
            }
        })
        .collect();
    let mut extras: Vec<(String, String)> = shown
        .typed
        .map(|f| {
            f.all("add_item")
                .iter()
                .zip(f.all("add_amount").iter().chain(std::iter::repeat(&"")))
                .filter(|(i, a)| !i.is_empty() || !a.is_empty())
                .map(|(i, a)| ((*i).to_owned(), (*a).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut scan_message = None;
    let mut scan_missed = false;
    if let Some(code) = shown
        .scan
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match scan::resolve(s, p, code).await? {
            Scanned::Missed(m) => {
                scan_message = Some(m);
                scan_missed = true;
            }
            Scanned::Item(f) => {
                let on = t.lines.iter().find(|l| l.item_id == f.item_id);
                match on.and_then(|l| lines.iter_mut().find(|x| x.line_no == l.line_no)) {
                    Some(x) => {
                        if let Some(a) = &f.amount {
                            x.amount.clone_from(a);
                        }
                        x.scanned = true;
                        scan_message = Some(format!(
                            "{}: sending {}. Check it, then Send now.",
                            f.name, x.amount
                        ));
                    }
                    None => {
                        extras.insert(
                            0,
                            (f.item_id.to_string(), f.amount.clone().unwrap_or_default()),
                        );
                        scan_message = Some(format!(
                            "{} was not asked for: it is added below. Check the amount, then Send now.",
                            f.name
                        ));
                    }
                }
            }
        }
    }
    lines.sort_by_key(|l| !l.scanned);
    extras.resize(EXTRA_ROWS.max(extras.len()), (String::new(), String::new()));
    let (error, status) = match shown.error {
        Some((e, status)) => (Some(e), status),
        None => (None, StatusCode::OK),
    };
    let page = SendPage {
        nav: "transfers",
        tenant_name: me.tenant_name,
        error,
        id,
        number: t.number,
        from: t.from_location_name,
        to: t.to_location_name,
        version: t.version,
        key: shown.key.unwrap_or_else(new_key),
        lines,
        items,
        extras,
        scan_message,
        scan_missed,
    };
    with_status(with_script(render(&page)?), status)
}

#[derive(serde::Deserialize)]
struct ScanQuery {
    /// A code from the scan box, without script.
    scan: Option<String>,
}

/// What will be taken, with a box per line for what is sent; `?scan=` (the scan box without
/// script) puts the scanned item's line first.
async fn send_page(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
    Query(q): Query<ScanQuery>,
) -> Result<Response, PageError> {
    send_view(
        &s,
        p,
        id,
        SendShown {
            scan: q.scan,
            ..SendShown::default()
        },
    )
    .await
}

/// The request's lines as the send page's boxes say, when they differ from it: a box changed
/// (its amount), emptied (the line left out) or an item added. `None`: send as requested.
/// Errors name the item (`Basmati rice: ...`).
fn send_changes(t: &Transfer, f: &Fields) -> Result<Option<TransferCommand>, AppError> {
    let mut changed = false;
    let mut lines = Vec::with_capacity(t.lines.len());
    let amount = |name: &str, v: &str| {
        Label::parse(v).map_err(|e| AppError::invalid("amount", format!("{name}: {e}")))
    };
    for l in &t.lines {
        let field = format!("amount_{}", l.line_no);
        let typed = f.get(&field);
        let was = f.get(&format!("was_{}", l.line_no));
        if !f.has(&field) || typed == was {
            // Unchanged: exactly what was asked, whatever its packs are now.
            lines.push(TransferLineCommand {
                item_id: l.item_id,
                quantity: Some(l.quantity),
                amount: None,
            });
            continue;
        }
        changed = true;
        if typed.is_empty() {
            continue;
        }
        lines.push(TransferLineCommand {
            item_id: l.item_id,
            quantity: None,
            amount: Some(amount(&l.item_name, typed)?),
        });
    }
    for (item, typed) in f
        .all("add_item")
        .iter()
        .zip(f.all("add_amount").iter().chain(std::iter::repeat(&"")))
    {
        if item.is_empty() {
            continue;
        }
        let item_id: ItemId = item
            .parse()
            .map_err(|_| AppError::invalid("add_item", "choose an item from the list"))?;
        if typed.is_empty() {
            return Err(AppError::invalid(
                "add_amount",
                "say how much of the added item is sent",
            ));
        }
        changed = true;
        lines.push(TransferLineCommand {
            item_id,
            quantity: None,
            amount: Some(amount("The added item", typed)?),
        });
    }
    if !changed {
        return Ok(None);
    }
    if lines.is_empty() {
        return Err(AppError::invalid(
            "lines",
            "nothing is left to send: put an amount back, or cancel the transfer",
        ));
    }
    let note = t
        .note
        .as_deref()
        .map(Note::parse)
        .transpose()
        .map_err(|e| AppError::invalid("note", e.to_string()))?;
    Ok(Some(TransferCommand {
        from_location_id: t.from_location_id,
        to_location_id: t.to_location_id,
        note,
        lines,
    }))
}

/// Sends the transfer: the request replaced first when the boxes changed it, then sent at
/// the version that made. A transfer no longer requested (a second tap) shows its page.
async fn send(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    p.require(Permission::InventoryAdjust)?;
    let t = s.app.get_transfer(p, id).await?;
    if t.status != TransferStatus::Requested {
        return Ok(Redirect::to(&format!("/transfers/{id}")).into_response());
    }
    let key = IdempotencyKey::parse(f.get("key")).ok();
    let result = async {
        let mut version = f.version()?;
        if let Some(cmd) = send_changes(&t, &f)? {
            let named = cmd.lines.clone();
            let updated = s
                .app
                .update_transfer(p, id, cmd, version)
                .await
                .map_err(|e| by_item(e, &named, &t))?;
            version = Some(updated.version);
        }
        s.app.send_transfer(p, id, version, key).await.map(drop)
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/transfers/{id}")).into_response()),
        Err(e) => {
            let Some(status) = shown_again(&e) else {
                return Err(e.into());
            };
            // A box's error already names its item.
            let text = match &e {
                AppError::Validation { field, message } if field == "amount" => message.clone(),
                other => message(other),
            };
            send_view(
                &s,
                p,
                id,
                SendShown {
                    typed: Some(&f),
                    error: Some((text, status)),
                    key: Some(f.get("key").to_owned()),
                    ..SendShown::default()
                },
            )
            .await
        }
    }
}

/// A refused line of the replaced request (`lines[2].amount`) named by its item.
fn by_item(e: AppError, lines: &[TransferLineCommand], t: &Transfer) -> AppError {
    match e {
        AppError::Validation { field, message } => {
            let item = field
                .strip_prefix("lines[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(i, _)| lines.get(i.parse::<usize>().ok()?))
                .map(|l| {
                    t.lines
                        .iter()
                        .find(|x| x.item_id == l.item_id)
                        .map_or_else(|| "The added item".to_owned(), |x| x.item_name.clone())
                });
            match item {
                Some(name) => AppError::Validation {
                    field: "amount".into(),
                    message: format!("{name}: {message}"),
                },
                None => AppError::Validation { field, message },
            }
        }
        other => other,
    }
}

#[derive(Template)]
#[template(path = "inventory/transfer_receive.html")]
struct ReceivePage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    id: TransferId,
    number: String,
    from: String,
    to: String,
    version: i64,
    key: String,
    lines: Vec<LineView>,
    scan_message: Option<String>,
    scan_missed: bool,
}

impl ReceivePage {
    /// Whether a scan put a line's box in front of the cook (which then has the focus instead
    /// of the scan box).
    fn scanned_any(&self) -> bool {
        self.lines.iter().any(|l| l.scanned)
    }
}

async fn receive_view(
    s: &AppState,
    p: Principal,
    id: TransferId,
    typed: Option<&Fields>,
    error: Option<String>,
    scan: Option<&str>,
) -> Result<ReceivePage, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let t = s.app.get_transfer(p, id).await?;
    let me = s.app.me(p).await?;
    let n = Numbers::of(&s.app.get_settings(p).await?);
    let mut lines = lines_of(&t, &n);
    if let Some(f) = typed {
        for l in &mut lines {
            if let Some(v) = f.opt(&format!("received_{}", l.line_no)) {
                l.prefill = v.to_owned();
            }
            l.note = f.opt(&format!("note_{}", l.line_no)).map(str::to_owned);
        }
    }
    let mut scan_message = None;
    let mut scan_missed = false;
    if let Some(code) = scan.map(str::trim).filter(|c| !c.is_empty()) {
        match scan::resolve(s, p, code).await? {
            Scanned::Missed(m) => {
                scan_message = Some(m);
                scan_missed = true;
            }
            Scanned::Item(f) => {
                let on = t.lines.iter().find(|l| l.item_id == f.item_id);
                match on.and_then(|l| lines.iter_mut().find(|x| x.line_no == l.line_no)) {
                    Some(x) => {
                        if let Some(a) = &f.amount {
                            x.prefill.clone_from(a);
                        }
                        x.scanned = true;
                        scan_message = Some(format!(
                            "{}: {} arrived. Check it, then Confirm received.",
                            f.name, x.prefill
                        ));
                    }
                    None => {
                        scan_message = Some(format!("{} was not sent on this transfer.", f.name));
                        scan_missed = true;
                    }
                }
            }
        }
    }
    lines.sort_by_key(|l| !l.scanned);
    Ok(ReceivePage {
        nav: "transfers",
        tenant_name: me.tenant_name,
        error,
        id,
        number: t.number,
        from: t.from_location_name,
        to: t.to_location_name,
        version: t.version,
        key: typed.map_or_else(new_key, |f| f.get("key").to_owned()),
        lines,
        scan_message,
        scan_missed,
    })
}

/// A card per line prefilled with what was sent; `?scan=` (the scan box without script) puts
/// the scanned item's line first with what the scan carries.
async fn receive_page(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
    Query(q): Query<ScanQuery>,
) -> Result<Response, PageError> {
    let t = s.app.get_transfer(p, id).await?;
    if t.status != TransferStatus::Sent {
        return Ok(Redirect::to(&format!("/transfers/{id}")).into_response());
    }
    Ok(with_script(render(
        &receive_view(&s, p, id, None, None, q.scan.as_deref()).await?,
    )?))
}

/// The receive command a filled-in form makes: every line's box as an amount (what was sent
/// unless changed) and its note.
fn receive_command(t: &Transfer, f: &Fields) -> Result<ReceiveCommand, AppError> {
    let mut lines = Vec::with_capacity(t.lines.len());
    for (i, l) in t.lines.iter().enumerate() {
        let typed = f.get(&format!("received_{}", l.line_no));
        let received_amount = match typed {
            "" => None,
            a => Some(Label::parse(a).map_err(|e| {
                AppError::invalid(format!("lines[{i}].received_amount"), e.to_string())
            })?),
        };
        let note = match f.get(&format!("note_{}", l.line_no)) {
            "" => None,
            n => Some(
                Note::parse(n)
                    .map_err(|e| AppError::invalid(format!("lines[{i}].note"), e.to_string()))?,
            ),
        };
        lines.push(ReceiveLineCommand {
            line_no: l.line_no,
            received_quantity: None,
            received_amount,
            note,
        });
    }
    Ok(ReceiveCommand { lines })
}

async fn receive(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let t = s.app.get_transfer(p, id).await?;
    let result = match receive_command(&t, &f) {
        Ok(cmd) => s
            .app
            .receive_transfer(
                p,
                id,
                cmd,
                f.version()?,
                IdempotencyKey::parse(f.get("key")).ok(),
            )
            .await
            .map(drop),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/transfers/{id}")).into_response()),
        Err(e) => e,
    };
    let Some(status) = shown_again(&e) else {
        return Err(e.into());
    };
    let page = receive_view(&s, p, id, Some(&f), Some(message(&e)), None).await?;
    with_status(with_script(render(&page)?), status)
}
