//! Purchase order pages, phone first and without scripts: `/purchase-orders` (the orders by
//! status), `/purchase-orders/new` (pick a supplier, then its items and packs in a fixed number
//! of rows), `/purchase-orders/{id}` (lines, total, history, a button per allowed action,
//! the sent documents, and once sent a form that emails the order with its PDF to the supplier),
//! the actions' form posts and the documents' downloads.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use larder_app::procurement::SupplierItemQuery;
use larder_app::procurement::po_email::PurchaseOrderEmailCommand;
use larder_app::procurement::purchase_orders::{
    DocumentKind, PurchaseOrder, PurchaseOrderCommand, PurchaseOrderLineCommand, PurchaseOrderQuery,
};
use larder_app::{AppError, IdempotencyKey};
use larder_core::auth::Permission;
use larder_core::procurement::purchase_orders::{PoAction, PoStatus, approval_needs_scope};
use larder_core::{LocationId, Money, Note, PurchaseOrderId, SupplierId, SupplierItemId};

use super::super::error::{PageError, render};
use super::super::format::Numbers;
use super::super::forms::{Fields, message, shown_again};
use super::super::session::Session;
use super::super::tenancy::with_status;
use crate::AppState;

/// `GET|POST /purchase-orders`, `GET /purchase-orders/new`, `GET /purchase-orders/{id}`,
/// `POST /purchase-orders/{id}/email`, `POST /purchase-orders/{id}/{action}`,
/// `GET /purchase-orders/{id}/documents/{kind}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/purchase-orders", get(list).post(create))
        .route("/purchase-orders/new", get(new_form))
        .route("/purchase-orders/{id}", get(detail))
        .route("/purchase-orders/{id}/email", post(email))
        .route("/purchase-orders/{id}/{action}", post(act))
        .route("/purchase-orders/{id}/documents/{kind}", get(document))
}

/// How many line rows the new-order form offers (more lines: edit through the API, or order
/// again).
const FORM_ROWS: usize = 8;

/// A status as people read it.
pub(super) fn status_text(s: PoStatus) -> &'static str {
    match s {
        PoStatus::Draft => "Draft",
        PoStatus::Submitted => "Submitted",
        PoStatus::Approved => "Approved",
        PoStatus::Sent => "Sent",
        PoStatus::PartiallyReceived => "Partly received",
        PoStatus::Received => "Received",
        PoStatus::Cancelled => "Cancelled",
        PoStatus::ClosedShort => "Closed short",
    }
}

/// An amount of the order's currency: with the tenant's symbol when it is the tenant's, else
/// with its code (`€12.50` is never guessed).
pub(super) fn amount(n: &Numbers, tenant_currency: &str, currency: &str, m: Money) -> String {
    if currency == tenant_currency {
        n.money(Some(m))
    } else {
        format!("{m} {currency}")
    }
}

struct Row {
    id: PurchaseOrderId,
    number: String,
    supplier: String,
    location: String,
    status: &'static str,
    expected: String,
    total: String,
}

#[derive(Template)]
#[template(path = "procurement/purchase_orders.html")]
struct ListPage {
    nav: &'static str,
    tenant_name: String,
    writable: bool,
    filter: String,
    statuses: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
struct ListQuery {
    status: Option<String>,
    cursor: Option<String>,
}

/// The orders, newest first (100 a page), all or of one status.
async fn list(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let status = match q.status.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => Some(
            v.parse::<PoStatus>()
                .map_err(|e| AppError::invalid("status", e))?,
        ),
        None => None,
    };
    let page = s
        .app
        .list_purchase_orders(
            p,
            PurchaseOrderQuery {
                status,
                limit: Some(100),
                cursor: q.cursor,
                ..PurchaseOrderQuery::default()
            },
        )
        .await?;
    let filter = status.map(PoStatus::as_str).unwrap_or("").to_owned();
    let mut statuses = vec![("", "All")];
    statuses.extend(PoStatus::ALL.iter().map(|s| (s.as_str(), status_text(*s))));
    render(&ListPage {
        nav: "purchase-orders",
        tenant_name: me.tenant_name,
        writable: p.require(Permission::PurchaseOrdersWrite).is_ok(),
        next: page.next_cursor.map(|c| {
            format!(
                "/purchase-orders?status={filter}&cursor={}",
                super::super::format::urlencode(&c)
            )
        }),
        filter,
        statuses,
        rows: page
            .data
            .into_iter()
            .map(|o| Row {
                id: o.id,
                number: o.number,
                supplier: o.supplier_name,
                location: o.location_name,
                status: status_text(o.status),
                expected: o.expected_delivery.format("%-d %b").to_string(),
                total: amount(&n, &settings.currency, &o.currency, o.total),
            })
            .collect(),
    })
}

/// A line row of the form as typed.
#[derive(Clone, Debug, Default)]
struct LineForm {
    supplier_item_id: String,
    packs: String,
}

/// The new-order form as typed.
#[derive(Clone, Debug, Default)]
struct OrderForm {
    supplier_id: String,
    location_id: String,
    expected_delivery: String,
    note: String,
    lines: Vec<LineForm>,
}

/// A supplier item as the form offers it.
struct Offer {
    id: SupplierItemId,
    label: String,
}

#[derive(Template)]
#[template(path = "procurement/purchase_order_new.html")]
struct NewPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    suppliers: Vec<(SupplierId, String)>,
    supplier_name: Option<String>,
    locations: Vec<(LocationId, String)>,
    offers: Vec<Offer>,
    form: OrderForm,
}

async fn new_page(
    s: &AppState,
    p: larder_app::Principal,
    form: OrderForm,
    error: Option<String>,
) -> Result<NewPage, PageError> {
    p.require(Permission::PurchaseOrdersWrite)?;
    let me = s.app.me(p).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let suppliers = s
        .app
        .list_suppliers(
            p,
            larder_app::procurement::SupplierQuery {
                include_inactive: Some(false),
                limit: Some(500),
                cursor: None,
            },
        )
        .await?
        .data;
    let chosen = form
        .supplier_id
        .parse::<SupplierId>()
        .ok()
        .and_then(|id| suppliers.iter().find(|v| v.id == id));
    let mut offers = Vec::new();
    if let Some(sup) = chosen {
        let sold = s
            .app
            .list_supplier_items(
                p,
                SupplierItemQuery {
                    supplier_id: Some(sup.id),
                    item_id: None,
                },
            )
            .await?;
        for si in sold.data {
            let item = s.app.get_item(p, si.item_id).await?;
            if item.retired_at.is_some() {
                continue;
            }
            let pack = larder_app::procurement::purchase_orders::pack_text(&si.packs);
            let price = si
                .current_price
                .map(|m| amount(&n, &settings.currency, &sup.currency, m))
                .unwrap_or_else(|| "no price".into());
            let moq = if si.moq_packs > 1 {
                format!(", at least {}", si.moq_packs)
            } else {
                String::new()
            };
            offers.push(Offer {
                id: si.id,
                label: format!("{} · {} ({pack}) {price}{moq}", item.name, si.supplier_sku),
            });
        }
    }
    let locations = s
        .app
        .list_locations(p, Some(500), None)
        .await?
        .data
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let mut form = form;
    form.lines
        .resize(FORM_ROWS.max(form.lines.len()), LineForm::default());
    Ok(NewPage {
        nav: "purchase-orders",
        tenant_name: me.tenant_name,
        error,
        supplier_name: chosen.map(|v| v.name.clone()),
        suppliers: suppliers.iter().map(|v| (v.id, v.name.clone())).collect(),
        locations,
        offers,
        form,
    })
}

#[derive(serde::Deserialize)]
struct NewQuery {
    supplier_id: Option<String>,
}

/// The new-order form: first the supplier; then, for it, the lines.
async fn new_form(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let form = OrderForm {
        supplier_id: q.supplier_id.unwrap_or_default(),
        ..OrderForm::default()
    };
    render(&new_page(&s, p, form, None).await?)
}

fn typed(f: &Fields) -> OrderForm {
    let ids = f.all("supplier_item_id");
    let packs = f.all("packs");
    OrderForm {
        supplier_id: f.get("supplier_id").to_owned(),
        location_id: f.get("location_id").to_owned(),
        expected_delivery: f.get("expected_delivery").to_owned(),
        note: f.get("note").to_owned(),
        lines: ids
            .iter()
            .zip(packs.iter().chain(std::iter::repeat(&"")))
            .map(|(id, p)| LineForm {
                supplier_item_id: (*id).to_owned(),
                packs: (*p).to_owned(),
            })
            .collect(),
    }
}

/// The command a filled-in form makes: rows with no item chosen are skipped; a row's fields
/// are named by their position among the rows kept (as the API names them).
fn command(f: &OrderForm) -> Result<PurchaseOrderCommand, AppError> {
    let supplier_id = f
        .supplier_id
        .parse()
        .map_err(|_| AppError::invalid("supplier_id", "choose a supplier"))?;
    let location_id = f
        .location_id
        .parse()
        .map_err(|_| AppError::invalid("location_id", "choose where it is delivered"))?;
    let expected_delivery =
        match f.expected_delivery.trim() {
            "" => None,
            d => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                AppError::invalid("expected_delivery", format!("'{d}' is not a date"))
            })?),
        };
    let note = match f.note.trim() {
        "" => None,
        t => Some(Note::parse(t).map_err(|e| AppError::invalid("note", e.to_string()))?),
    };
    let mut lines = Vec::new();
    for l in f.lines.iter().filter(|l| !l.supplier_item_id.is_empty()) {
        let i = lines.len();
        let supplier_item_id = l.supplier_item_id.parse().map_err(|_| {
            AppError::invalid(format!("lines[{i}].supplier_item_id"), "choose an item")
        })?;
        let packs = l.packs.trim().parse::<i32>().map_err(|_| {
            AppError::invalid(
                format!("lines[{i}].packs"),
                format!("'{}' is not a whole number of packs", l.packs.trim()),
            )
        })?;
        lines.push(PurchaseOrderLineCommand {
            supplier_item_id,
            packs,
            price_per_pack: None,
        });
    }
    Ok(PurchaseOrderCommand {
        supplier_id,
        location_id,
        expected_delivery,
        note,
        lines,
    })
}

/// Creates the order as a draft and opens it; a refused one shows the form again as typed.
async fn create(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::PurchaseOrdersWrite)?;
    let form = typed(&Fields(f));
    let result = match command(&form) {
        Ok(cmd) => s
            .app
            .create_purchase_order(p, cmd, None)
            .await
            .map(|r| r.value.id),
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/purchase-orders/{id}")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page = new_page(&s, p, form, Some(message(&e))).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

struct LineView {
    item: String,
    sku: String,
    pack: String,
    packs: i32,
    price: String,
    total: String,
}

struct EventView {
    text: String,
    when: String,
    note: Option<String>,
}

/// A button for an action: its path segment, label, and whether it asks for a reason.
struct ActionView {
    action: &'static str,
    label: &'static str,
    reason: bool,
    danger: bool,
}

#[derive(Template)]
#[template(path = "procurement/purchase_order.html")]
struct DetailPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    id: PurchaseOrderId,
    number: String,
    status: &'static str,
    facts: Vec<(&'static str, String)>,
    lines: Vec<LineView>,
    total: String,
    events: Vec<EventView>,
    actions: Vec<ActionView>,
    version: i64,
    documents: Vec<&'static str>,
    /// The three-way match: every discrepancy in words (empty: it matches).
    discrepancies: Vec<String>,
    /// The email form, once the order is sent (for members who may write orders).
    email: Option<EmailForm>,
    /// Who the order was just queued to be emailed to.
    emailed: Option<String>,
}

/// The "Email to supplier" form: what was typed (shown again after a refusal), the supplier's
/// email as the default, and an idempotency key so a double submit queues one mail.
struct EmailForm {
    to: String,
    message: String,
    supplier_email: Option<String>,
    key: String,
}

/// What a refused email form shows again.
#[derive(Default)]
struct EmailTyped {
    to: String,
    message: String,
}

/// A discrepancy of the three-way match in words, its item named by SKU and name.
fn discrepancy_text(
    d: &larder_core::procurement::invoices::Discrepancy,
    m: &larder_app::procurement::invoices::PurchaseOrderMatch,
) -> String {
    use larder_core::procurement::invoices::DiscrepancyKind as K;
    let what = d
        .supplier_item_id
        .and_then(|id| m.lines.iter().find(|l| l.supplier_item_id == id))
        .map_or_else(String::new, |l| {
            format!("{} {}", l.supplier_sku, l.item_name)
        });
    let q = |x: Option<larder_core::Quantity>| x.map_or_else(String::new, |x| x.to_string());
    let a = |x: Option<Money>| x.map_or_else(String::new, |x| x.to_string());
    match d.kind {
        K::QuantityReceivedVsOrdered => format!(
            "{what}: received {} of {} ordered",
            q(d.actual_quantity),
            q(d.expected_quantity)
        ),
        K::QuantityInvoicedVsReceived => format!(
            "{what}: invoiced {}, received {}",
            q(d.actual_quantity),
            q(d.expected_quantity)
        ),
        K::PriceReceivedVsOrdered => format!(
            "{what}: received at {}, ordered at {} ({})",
            a(d.actual_price),
            a(d.expected_price),
            a(d.amount_difference)
        ),
        K::PriceInvoicedVsOrdered => format!(
            "{what}: invoiced at {}, ordered at {} ({})",
            a(d.actual_price),
            a(d.expected_price),
            a(d.amount_difference)
        ),
        K::MissingOnInvoice => format!("{what}: received, not invoiced"),
        K::MissingOnReceipt => format!("{what}: invoiced, not received"),
        K::NotOrdered => format!("{what}: not on the order"),
        K::TotalMismatch => format!(
            "Invoice {}: states {}, its lines total {}",
            d.invoice_number.clone().unwrap_or_default(),
            a(d.actual_amount),
            a(d.expected_amount)
        ),
    }
}

async fn detail_page(
    s: &AppState,
    p: larder_app::Principal,
    po: PurchaseOrder,
    error: Option<String>,
    typed: EmailTyped,
) -> Result<DetailPage, PageError> {
    let me = s.app.me(p).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let tz: chrono_tz::Tz = settings.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let money = |m: Money| amount(&n, &settings.currency, &po.currency, m);
    let when = |t: DateTime<Utc>| t.with_timezone(&tz).format("%-d %b %Y %H:%M").to_string();
    let mut facts = vec![
        ("Supplier", po.supplier_name.clone()),
        ("Deliver to", po.location_name.clone()),
        (
            "Expected",
            po.expected_delivery.format("%a %-d %b %Y").to_string(),
        ),
    ];
    if let Some(note) = &po.note {
        facts.push(("Note", note.clone()));
    }
    let writable = p.require(Permission::PurchaseOrdersWrite).is_ok();
    let may_approve = p.require(Permission::PurchaseOrdersApprove).is_ok()
        || !approval_needs_scope(
            po.total,
            settings.approval_threshold,
            po.currency == settings.currency,
        );
    let actions = if writable {
        po.actions
            .iter()
            .filter(|a| **a != PoAction::Approve || may_approve)
            .map(|a| match a {
                PoAction::Submit => ActionView {
                    action: "submit",
                    label: "Submit for approval",
                    reason: false,
                    danger: false,
                },
                PoAction::Approve => ActionView {
                    action: "approve",
                    label: "Approve",
                    reason: false,
                    danger: false,
                },
                PoAction::Send => ActionView {
                    action: "send",
                    label: "Send to supplier",
                    reason: false,
                    danger: false,
                },
                PoAction::Cancel => ActionView {
                    action: "cancel",
                    label: "Cancel order",
                    reason: true,
                    danger: true,
                },
                PoAction::Close => ActionView {
                    action: "close",
                    label: "Close short",
                    reason: true,
                    danger: true,
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let email = if writable && !po.documents.is_empty() && po.status != PoStatus::Cancelled {
        // The supplier's address as the default; a member who may not read suppliers still
        // emails the order (to it by default, or to addresses they type).
        let supplier_email = match s.app.get_supplier(p, po.supplier_id).await {
            Ok(sup) => sup.email,
            Err(AppError::Forbidden(_)) => None,
            Err(e) => return Err(e.into()),
        };
        Some(EmailForm {
            to: typed.to,
            message: typed.message,
            supplier_email,
            key: uuid::Uuid::now_v7().to_string(),
        })
    } else {
        None
    };
    Ok(DetailPage {
        nav: "purchase-orders",
        tenant_name: me.tenant_name,
        error,
        id: po.id,
        number: po.number.clone(),
        status: status_text(po.status),
        facts,
        lines: po
            .lines
            .iter()
            .map(|l| LineView {
                item: l.item_name.clone(),
                sku: l.supplier_sku.clone(),
                pack: l.pack.clone(),
                packs: l.packs,
                price: money(l.price_per_pack),
                total: money(l.line_total),
            })
            .collect(),
        total: money(po.total),
        events: po
            .events
            .iter()
            .map(|e| EventView {
                text: format!(
                    "{} by {}",
                    match e.from_status {
                        None => "Created",
                        Some(_) => status_text(e.to_status),
                    },
                    e.actor_name
                        .clone()
                        .unwrap_or_else(|| "a former member".into())
                ),
                when: when(e.at),
                note: e.note.clone(),
            })
            .collect(),
        actions,
        version: po.version,
        documents: po.documents.iter().map(|d| d.as_str()).collect(),
        discrepancies: {
            let m = s.app.purchase_order_match(p, po.id).await?;
            m.discrepancies
                .iter()
                .map(|d| discrepancy_text(d, &m))
                .collect()
        },
        email,
        emailed: None,
    })
}

#[derive(serde::Deserialize)]
struct DetailQuery {
    /// Set after the order was queued to be emailed: to whom.
    emailed: Option<String>,
}

/// One order: its lines and total, its history, and a button for each action allowed now.
async fn detail(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<PurchaseOrderId>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let po = s.app.get_purchase_order(p, id).await?;
    let mut page = detail_page(&s, p, po, None, EmailTyped::default()).await?;
    // Only addresses are echoed: a crafted link cannot put other words on the page.
    page.emailed = q.emailed.filter(|e| {
        !e.is_empty()
            && e.split(", ")
                .all(|a| larder_core::mail::parse_address(a).is_ok())
    });
    render(&page)
}

/// Queues the order to be emailed with its PDF (to the supplier, or to the addresses typed,
/// separated by commas, semicolons or spaces) and comes back to the order saying to whom; a
/// refused one (not sent, no address, a bad address) shows the order with why and the form as
/// typed.
async fn email(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<PurchaseOrderId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let typed = EmailTyped {
        to: f.get("to").to_owned(),
        message: f.get("message").to_owned(),
    };
    let result = async {
        let to = typed
            .to
            .split([',', ';', ' ', '\n', '\r', '\t'])
            .filter(|a| !a.is_empty())
            .enumerate()
            .map(|(i, a)| {
                larder_core::Email::parse(a)
                    .map_err(|e| AppError::invalid(format!("to[{i}]"), format!("{a}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let message = match typed.message.trim() {
            "" => None,
            m => Some(Note::parse(m).map_err(|e| AppError::invalid("message", e.to_string()))?),
        };
        s.app
            .email_purchase_order(
                p,
                id,
                PurchaseOrderEmailCommand {
                    to: Some(to),
                    message,
                },
                IdempotencyKey::parse(f.get("key")).ok(),
            )
            .await
    }
    .await;
    match result {
        Ok(r) => Ok(Redirect::to(&format!(
            "/purchase-orders/{id}?emailed={}",
            super::super::format::urlencode(&r.value.mail.to.join(", "))
        ))
        .into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let po = s.app.get_purchase_order(p, id).await?;
                let page = detail_page(&s, p, po, Some(message(&e)), typed).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// Runs an action from the order's page and shows the order again; a refused one (a stale
/// page, a wrong state, a missing reason) shows the order as it is now with why.
async fn act(
    State(s): State<AppState>,
    Session(p): Session,
    Path((id, action)): Path<(PurchaseOrderId, String)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let action = PoAction::ALL
        .into_iter()
        .find(|a| a.as_str() == action)
        .ok_or(AppError::NotFound("page"))?;
    let f = Fields(f);
    let result = async {
        let version = f.version()?;
        let reason = match f.opt("reason").map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => {
                Some(Note::parse(r).map_err(|e| AppError::invalid("reason", e.to_string()))?)
            }
            None => None,
        };
        s.app
            .transition_purchase_order(p, id, action, reason, version)
            .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/purchase-orders/{id}")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let po = s.app.get_purchase_order(p, id).await?;
                let page = detail_page(&s, p, po, Some(message(&e)), EmailTyped::default()).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// A sent document, for download.
async fn document(
    State(s): State<AppState>,
    Session(p): Session,
    Path((id, kind)): Path<(PurchaseOrderId, String)>,
) -> Result<Response, PageError> {
    let kind = match kind.as_str() {
        "pdf" => DocumentKind::Pdf,
        "csv" => DocumentKind::Csv,
        _ => return Err(AppError::NotFound("document").into()),
    };
    let d = s.app.purchase_order_document(p, id, kind).await?;
    let mut res = d.body.into_response();
    if let Ok(v) = HeaderValue::from_str(&d.content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.file_name)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
