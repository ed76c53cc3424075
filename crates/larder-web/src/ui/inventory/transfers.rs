//! Transfer pages (issue 9, item 4; ADR 021), phone first and working without scripts:
//! `/transfers` (newest first, by status), `/transfers/new` (from, to, and rows of an item and
//! an amount typed in its packs and units), `/transfers/{id}` (lines, lots taken,
//! discrepancies, who and when; cancel), `/transfers/{id}/send` (the lots that will be taken,
//! FEFO, then one button) and `/transfers/{id}/receive` (a card per line prefilled with what
//! was sent: one thumb confirms, or changes a line and says why). The receive form is boosted
//! by htmx where it loads (no full page flash on a slow connection) and is a plain form post
//! without it. Each confirming form carries an idempotency key made when it was rendered, so
//! a double tap posts once.

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
    item: String,
    requested: String,
    sent: String,
    received: String,
    discrepancy: Option<String>,
    note: Option<String>,
    lots: Vec<LotText>,
    /// What the receive box starts with.
    prefill: String,
}

fn lines_of(t: &Transfer, n: &Numbers) -> Vec<LineView> {
    t.lines
        .iter()
        .map(|l| {
            let u = l.base_unit;
            LineView {
                line_no: l.line_no,
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
    item: String,
    quantity: String,
    lots: Vec<LotText>,
    shortfall: Option<String>,
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
}

async fn send_view(
    s: &AppState,
    p: Principal,
    id: TransferId,
    error: Option<String>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let t = s.app.get_transfer(p, id).await?;
    if t.status != TransferStatus::Requested {
        return Ok(Redirect::to(&format!("/transfers/{id}")).into_response());
    }
    let me = s.app.me(p).await?;
    let n = Numbers::of(&s.app.get_settings(p).await?);
    let plan = s.app.transfer_lots_to_take(p, id).await?;
    let lines = t
        .lines
        .iter()
        .map(|l| {
            let u = l.base_unit;
            let take = plan.iter().find(|x| x.line_no == l.line_no);
            TakeLine {
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
            }
        })
        .collect();
    let status = match &error {
        Some(_) => StatusCode::CONFLICT,
        None => StatusCode::OK,
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
        key: new_key(),
        lines,
    };
    with_status(render(&page)?, status)
}

async fn send_page(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
) -> Result<Response, PageError> {
    send_view(&s, p, id, None).await
}

async fn send(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let key = IdempotencyKey::parse(f.get("key")).ok();
    match s.app.send_transfer(p, id, f.version()?, key).await {
        Ok(_) => Ok(Redirect::to(&format!("/transfers/{id}")).into_response()),
        Err(e) if shown_again(&e).is_some() => {
            let page = detail_page(&s, p, id, Some(message(&e))).await?;
            with_status(
                render(&page)?,
                shown_again(&e).unwrap_or(StatusCode::CONFLICT),
            )
        }
        Err(e) => Err(e.into()),
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
}

async fn receive_view(
    s: &AppState,
    p: Principal,
    id: TransferId,
    typed: Option<&Fields>,
    error: Option<String>,
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
    })
}

async fn receive_page(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TransferId>,
) -> Result<Response, PageError> {
    let t = s.app.get_transfer(p, id).await?;
    if t.status != TransferStatus::Sent {
        return Ok(Redirect::to(&format!("/transfers/{id}")).into_response());
    }
    Ok(with_script(render(
        &receive_view(&s, p, id, None, None).await?,
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
    let page = receive_view(&s, p, id, Some(&f), Some(message(&e))).await?;
    with_status(with_script(render(&page)?), status)
}
