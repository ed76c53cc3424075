//! inventory's waste pages (ADR 020): `/waste`, where a cook records waste with one thumb (an
//! item or recipe, an amount typed in packs and units, a big button per reason) and reverses a
//! recent entry, and `/waste/report`, the money thrown away over a period by reason, item,
//! location, day or category. Every form is a plain POST that works without script; the form
//! carries an idempotency key made when the page was rendered, so a double tap records once.
//! With htmx loaded, a Reverse button swaps only the recent entries (the redirect's page,
//! `hx-select`ed), so the half-typed form above them is kept.
//!
//! A scan box sits above the form (ADR 018): a keyboard-wedge scanner or the camera chooses
//! the scanned item and fills the amount with what the scan carries (a net weight, a case),
//! or adds it to the amount already there for that item. With script (`scan.js`,
//! `scan-lines.js`) nothing reloads; without, the box is a GET form (`/waste?scan=`) and the
//! page comes back with the item chosen and the amount filled.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, Utc};
use larder_app::catalog::ItemQuery;
use larder_app::inventory::waste::{
    ReverseCommand, WasteCommand, WasteEntry, WasteQuery, WasteReportQuery,
};
use larder_app::{AppError, IdempotencyKey, Principal};
use larder_core::auth::Permission;
use larder_core::inventory::WasteReason;
use larder_core::inventory::waste::WasteGroup;
use larder_core::{ItemId, Label, LocationId, Note, RecipeId, WasteEntryId};
use serde::Deserialize;

use super::super::error::{PageError, render};
use super::super::format::Numbers;
use super::super::forms::{Fields, message, shown_again};
use super::super::scan::{self, Scanned};
use super::super::session::Session;
use super::super::tenancy::with_status;
use super::super::with_script;
use crate::AppState;

/// `GET|POST /waste`, `POST /waste/{id}/reverse`, `GET /waste/report`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/waste", get(waste_form).post(record))
        .route("/waste/{id}/reverse", post(reverse))
        .route("/waste/report", get(report))
}

/// A recent entry as the page lists it.
struct EntryRow {
    id: WasteEntryId,
    name: String,
    amount: String,
    reason: &'static str,
    value: String,
    when: String,
    reversed: bool,
    ingredients: usize,
}

#[derive(Template)]
#[template(path = "inventory/waste.html")]
struct WastePage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    done: Option<String>,
    /// What the scan box found (or why not), and whether it missed.
    scan_message: Option<String>,
    scan_missed: bool,
    key: String,
    locations: Vec<(LocationId, String)>,
    items: Vec<(String, String)>,
    recipes: Vec<(String, String)>,
    reasons: Vec<(&'static str, &'static str)>,
    location_id: String,
    what: String,
    amount: String,
    note: String,
    entries: Vec<EntryRow>,
}

/// What the form had typed in, to show it again.
#[derive(Default)]
struct Typed {
    location_id: String,
    what: String,
    amount: String,
    note: String,
    /// A scan's sentence, and whether it missed.
    scan: Option<(String, bool)>,
}

fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn entry_row(e: &WasteEntry, n: &Numbers) -> EntryRow {
    EntryRow {
        id: e.id,
        name: e.name.clone(),
        amount: e
            .amount
            .clone()
            .unwrap_or_else(|| n.quantity(e.quantity, e.unit)),
        reason: e.reason.label(),
        value: n.money(Some(e.value)),
        when: e.occurred_at.format("%d %b %H:%M").to_string(),
        reversed: e.reversed,
        ingredients: e.lines.len(),
    }
}

async fn page(
    s: &AppState,
    p: Principal,
    key: String,
    typed: Typed,
    error: Option<&AppError>,
    done: Option<String>,
) -> Result<WastePage, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let me = s.app.me(p).await?;
    let n = Numbers::of(&s.app.get_settings(p).await?);
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
        .map(|i| (format!("item:{}", i.id), i.name))
        .collect();
    let recipes = match s.app.list_recipes(p, Some(500), None).await {
        Ok(r) => r
            .data
            .into_iter()
            .map(|r| (format!("recipe:{}", r.id), r.name))
            .collect(),
        Err(AppError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let entries = s
        .app
        .list_waste_entries(
            p,
            WasteQuery {
                limit: Some(20),
                ..WasteQuery::default()
            },
        )
        .await?
        .data
        .iter()
        .map(|e| entry_row(e, &n))
        .collect();
    let (scan_message, scan_missed) = match typed.scan {
        Some((m, missed)) => (Some(m), missed),
        None => (None, false),
    };
    Ok(WastePage {
        nav: "waste",
        tenant_name: me.tenant_name,
        error: error.map(message),
        done,
        scan_message,
        scan_missed,
        key,
        locations,
        items,
        recipes,
        reasons: WasteReason::ALL
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        location_id: typed.location_id,
        what: typed.what,
        amount: typed.amount,
        note: typed.note,
        entries,
    })
}

#[derive(Deserialize)]
struct Done {
    done: Option<WasteEntryId>,
    /// A code from the scan box, without script.
    scan: Option<String>,
}

/// The form with the scanned item chosen and its amount filled, or the sentence saying why
/// not.
async fn scanned(s: &AppState, p: Principal, code: &str) -> Result<Typed, AppError> {
    Ok(match scan::resolve(s, p, code).await? {
        Scanned::Item(f) => Typed {
            what: format!("item:{}", f.item_id),
            scan: Some((
                match &f.amount {
                    Some(a) => format!("{}: {a}. Tap why it was thrown away.", f.name),
                    None => format!("{}: type how much, then tap why.", f.name),
                },
                false,
            )),
            amount: f.amount.unwrap_or_default(),
            ..Typed::default()
        },
        Scanned::Missed(m) => Typed {
            scan: Some((m, true)),
            ..Typed::default()
        },
    })
}

/// The waste form and the recent entries; `?scan=` (the scan box without script) chooses the
/// scanned item.
async fn waste_form(
    State(s): State<AppState>,
    Session(p): Session,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let typed = match d.scan.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => scanned(&s, p, code).await?,
        None => Typed::default(),
    };
    let done = match d.done {
        Some(id) => s
            .app
            .get_waste_entry(p, id)
            .await
            .ok()
            .map(|e| format!("Recorded: {} ({})", e.name, e.reason.label())),
        None => None,
    };
    Ok(with_script(render(
        &page(&s, p, new_key(), typed, None, done).await?,
    )?))
}

/// The command a posted form asks for.
fn command(f: &Fields) -> Result<WasteCommand, AppError> {
    let location_id = f
        .get("location_id")
        .parse::<LocationId>()
        .map_err(|_| AppError::invalid("location_id", "choose where it was thrown away"))?;
    let reason = f
        .get("reason")
        .parse::<WasteReason>()
        .map_err(|_| AppError::invalid("reason", "tap the reason"))?;
    let what = f.get("what");
    let (item_id, recipe_id) = if let Some(id) = what.strip_prefix("item:") {
        (
            Some(
                id.parse::<ItemId>()
                    .map_err(|_| AppError::invalid("item_id", "choose an item"))?,
            ),
            None,
        )
    } else if let Some(id) = what.strip_prefix("recipe:") {
        (
            None,
            Some(
                id.parse::<RecipeId>()
                    .map_err(|_| AppError::invalid("recipe_id", "choose a recipe"))?,
            ),
        )
    } else {
        return Err(AppError::invalid("item_id", "choose an item or a recipe"));
    };
    let amount = f.get("amount").trim();
    if amount.is_empty() {
        return Err(AppError::invalid(
            "amount",
            "say how much (\"2 packs + 150 g\")",
        ));
    }
    let amount = Label::parse(amount).map_err(|e| AppError::invalid("amount", e.to_string()))?;
    let note = match f.get("note").trim() {
        "" => None,
        n => Some(Note::parse(n).map_err(|e| AppError::invalid("note", e.to_string()))?),
    };
    Ok(WasteCommand {
        location_id,
        reason,
        note,
        occurred_at: None,
        item_id,
        recipe_id,
        quantity: None,
        amount: Some(amount),
    })
}

/// Records the waste, then shows the page again (with what was recorded).
async fn record(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryAdjust)?;
    let f = Fields(f);
    let key = f.get("key").to_owned();
    let result = match command(&f) {
        Ok(cmd) => s
            .app
            .post_waste(p, cmd, IdempotencyKey::parse(&key).ok())
            .await
            .map(|r| r.value.id),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(id) => return Ok(Redirect::to(&format!("/waste?done={id}")).into_response()),
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
    let typed = Typed {
        location_id: f.get("location_id").to_owned(),
        what: f.get("what").to_owned(),
        amount: f.get("amount").to_owned(),
        note: f.get("note").to_owned(),
        scan: None,
    };
    with_status(
        with_script(render(&page(&s, p, key, typed, Some(&e), None).await?)?),
        status,
    )
}

/// Reverses a recent entry (every movement it posted), then shows the page again.
async fn reverse(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<WasteEntryId>,
) -> Result<Response, PageError> {
    let reason = Label::parse("reversed on the waste page")
        .map_err(|e| AppError::invalid("reason", e.to_string()))?;
    match s
        .app
        .reverse_waste_entry(p, id, ReverseCommand { reason }, None)
        .await
    {
        Ok(_) => Ok(Redirect::to("/waste").into_response()),
        Err(e @ AppError::Conflict { .. }) => {
            let page = page(&s, p, new_key(), Typed::default(), Some(&e), None).await?;
            with_status(with_script(render(&page)?), StatusCode::CONFLICT)
        }
        Err(e) => Err(e.into()),
    }
}

/// The report's period (business days, both included) and breakdown, as the form sends it.
#[derive(Deserialize, Default)]
struct ReportForm {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    group_by: Option<WasteGroup>,
}

struct ReportRow {
    name: String,
    quantity: String,
    value: String,
}

#[derive(Template)]
#[template(path = "inventory/waste_report.html")]
struct ReportPage {
    nav: &'static str,
    tenant_name: String,
    from: String,
    to: String,
    group_by: &'static str,
    groups: Vec<(&'static str, &'static str)>,
    total: String,
    lines: Vec<ReportRow>,
    truncated: bool,
    categories: Vec<ReportRow>,
}

/// Waste over a period: money first, then the breakdown asked for and by category.
async fn report(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<ReportForm>,
) -> Result<Response, PageError> {
    p.require(Permission::InventoryRead)?;
    let me = s.app.me(p).await?;
    let n = Numbers::of(&s.app.get_settings(p).await?);
    let calendar = s.app.calendar(p.tenant_id).await?;
    let today = calendar.business_date(Utc::now());
    let to = q.to.unwrap_or(today);
    let from = q.from.unwrap_or(to - Duration::days(6));
    let group_by = q.group_by.unwrap_or_default();
    let r = s
        .app
        .waste_report(
            p,
            WasteReportQuery {
                from: calendar.day_start(from),
                to: calendar.day_start(to + Duration::days(1)),
                location_id: None,
                group_by: Some(group_by),
            },
        )
        .await?;
    let row = |l: &larder_app::inventory::waste::WasteReportLine| ReportRow {
        name: if l.name.is_empty() {
            "Uncategorised".to_owned()
        } else {
            l.name.clone()
        },
        quantity: match (l.quantity, l.base_unit) {
            (Some(q), Some(u)) => n.quantity(q, u),
            _ => String::new(),
        },
        value: n.money(Some(l.value)),
    };
    render(&ReportPage {
        nav: "waste",
        tenant_name: me.tenant_name,
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        group_by: group_by.as_str(),
        groups: vec![
            ("reason", "Reason"),
            ("item", "Item"),
            ("location", "Location"),
            ("day", "Day"),
            ("category", "Category"),
        ],
        total: n.money(Some(r.total)),
        lines: r.lines.iter().map(row).collect(),
        truncated: r.truncated,
        categories: r.categories.iter().map(row).collect(),
    })
}
