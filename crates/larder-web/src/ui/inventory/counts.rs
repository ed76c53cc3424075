//! Stock counts on a phone (issue 9, item 2; ADR 019): `/counts` (recent counts and a form to
//! start one) and `/counts/{id}` (the count sheet in walking order, one card per item and
//! area with one big box; each card saves on its own with htmx `hx-post`, or as a plain form
//! post without script), with the manager's variance table, flags and Approve.
//!
//! A scan box sits at the top of an open sheet (ADR 018): a keyboard-wedge scanner or the
//! camera finds the scanned item's card (in the area being counted, else its first), focuses
//! its box and fills it with what the scan carries (a net weight, a case), or adds it to what
//! the box holds; an item not on the sheet goes to the "not on the sheet" form, which the
//! API accepts and flags. With script (`scan.js`, `scan-lines.js`) nothing reloads; without,
//! the box is a GET form (`?scan=`, with the current `area`) and the sheet comes back with the
//! card first, or that form first, filled.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::inventory::counts::{
    ApproveCountCommand, CountLineCommand, SheetLine, StartCountCommand, StockCount,
    StockCountQuery,
};
use larder_app::{AppError, Principal};
use larder_core::auth::Permission;
use larder_core::inventory::counts::{CountScope, CountStatus};
use larder_core::{ItemId, Label, LocationId, StockCountId, StorageAreaId};

use super::super::error::{PageError, render};
use super::super::format::{Numbers, numbers_for};
use super::super::forms::{Fields, message};
use super::super::scan::{self, Scanned, add_amount};
use super::super::session::Session;
use super::super::with_script;
use crate::AppState;

/// `GET|POST /counts`, `GET /counts/{id}`, `POST /counts/{id}/lines`, `/approve`, `/cancel`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/counts", get(list).post(start))
        .route("/counts/{id}", get(sheet))
        .route("/counts/{id}/lines", post(save_line))
        .route("/counts/{id}/approve", post(approve))
        .route("/counts/{id}/cancel", post(cancel))
}

struct CountRow {
    id: StockCountId,
    started: String,
    location: String,
    what: String,
    status: &'static str,
}

struct Choice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "inventory/counts.html")]
struct ListPage {
    nav: &'static str,
    tenant_name: String,
    counts: Vec<CountRow>,
    locations: Vec<Choice>,
    items: Vec<Choice>,
    error: Option<String>,
}

fn status_text(s: CountStatus) -> &'static str {
    match s {
        CountStatus::Open => "open",
        CountStatus::Approved => "approved",
        CountStatus::Cancelled => "cancelled",
    }
}

async fn list_page(
    s: &AppState,
    p: Principal,
    error: Option<String>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let locations = s.app.list_locations(p, Some(100), None).await?.data;
    let items = s
        .app
        .list_items(
            p,
            larder_app::catalog::ItemQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?
        .data;
    let counts = s
        .app
        .list_stock_counts(
            p,
            StockCountQuery {
                limit: Some(30),
                ..Default::default()
            },
        )
        .await?
        .data;
    let name_of = |id: LocationId| {
        locations
            .iter()
            .find(|l| l.id == id)
            .map_or_else(String::new, |l| l.name.clone())
    };
    let page = ListPage {
        nav: "counts",
        tenant_name: me.tenant_name,
        counts: counts
            .iter()
            .map(|c| CountRow {
                id: c.id,
                started: c.started_at.format("%a %-d %b %H:%M").to_string(),
                location: name_of(c.location_id),
                what: format!(
                    "{}{}",
                    match c.scope {
                        CountScope::Full => "Full count",
                        CountScope::Cycle => "Cycle count",
                    },
                    if c.blind { ", blind" } else { "" }
                ),
                status: status_text(c.status),
            })
            .collect(),
        locations: locations
            .iter()
            .map(|l| Choice {
                id: l.id.to_string(),
                name: l.name.clone(),
            })
            .collect(),
        items: items
            .iter()
            .map(|i| Choice {
                id: i.id.to_string(),
                name: i.name.clone(),
            })
            .collect(),
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&page).map(|r| (status, r).into_response())
}

async fn list(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    p.require(Permission::InventoryRead)?;
    list_page(&s, p, None).await
}

fn parse_id<T: std::str::FromStr>(field: &str, v: &str) -> Result<T, AppError> {
    v.parse()
        .map_err(|_| AppError::invalid(field, "choose one from the list"))
}

async fn start(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let cmd = (|| -> Result<StartCountCommand, AppError> {
        let scope = match f.get("scope") {
            "cycle" => CountScope::Cycle,
            _ => CountScope::Full,
        };
        let item_ids = match scope {
            CountScope::Cycle => Some(
                f.all("item_id")
                    .into_iter()
                    .map(|v| parse_id::<ItemId>("item_ids", v))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            CountScope::Full => None,
        };
        Ok(StartCountCommand {
            location_id: parse_id("location_id", f.get("location_id"))?,
            scope,
            storage_area_id: None,
            item_ids,
            blind: f.has("blind"),
            threshold_percent: None,
            threshold_value: None,
            note: None,
        })
    })();
    let key = f
        .opt("key")
        .and_then(|k| larder_app::IdempotencyKey::parse(k).ok());
    match cmd {
        Ok(cmd) => match s.app.start_stock_count(p, cmd, key).await {
            Ok(c) => Ok(Redirect::to(&format!("/counts/{}", c.value.id)).into_response()),
            Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
                list_page(&s, p, Some(message(&e))).await
            }
            Err(e) => Err(e.into()),
        },
        Err(e) => list_page(&s, p, Some(message(&e))).await,
    }
}

/// One card of the sheet.
struct LineCard {
    count_id: StockCountId,
    n: i32,
    item_id: ItemId,
    area_id: String,
    item: String,
    area: String,
    counted: String,
    amount: String,
    at: String,
    recounts: u32,
    on_sheet: bool,
    open: bool,
    saved: bool,
    /// The line a scan found (shown first, its box focused).
    scanned: bool,
    error: Option<String>,
}

fn card(c: &StockCount, l: &SheetLine, n: &Numbers) -> LineCard {
    LineCard {
        count_id: c.id,
        n: l.line_no,
        item_id: l.item_id,
        area_id: l.storage_area_id.map(|a| a.to_string()).unwrap_or_default(),
        item: l.item_name.clone(),
        area: l.area_name.clone().unwrap_or_else(|| "No area".into()),
        counted: l
            .counted
            .map(|q| n.quantity(q, l.base_unit))
            .unwrap_or_default(),
        amount: l.amount.clone().unwrap_or_default(),
        at: l
            .counted_at
            .map(|t| t.format("%H:%M:%S").to_string())
            .unwrap_or_default(),
        recounts: l.recounts,
        on_sheet: l.on_sheet,
        open: c.status == CountStatus::Open,
        saved: false,
        scanned: false,
        error: None,
    }
}

#[derive(Template)]
#[template(path = "inventory/count_line.html")]
struct LinePartial {
    l: LineCard,
}

struct VarianceRow {
    item: String,
    counted: String,
    book: String,
    variance: String,
    percent: String,
    value: String,
    flags: Vec<&'static str>,
    flagged: bool,
    posted: String,
}

#[derive(Template)]
#[template(path = "inventory/count.html")]
struct SheetPage {
    nav: &'static str,
    tenant_name: String,
    id: StockCountId,
    title: String,
    status: &'static str,
    open: bool,
    blind: bool,
    version: i64,
    lines: Vec<LineCard>,
    variance_shown: bool,
    can_approve: bool,
    rows: Vec<VarianceRow>,
    summary: String,
    items: Vec<Choice>,
    error: Option<String>,
    /// The area being counted (a storage area's id, or empty), kept in the scan form.
    area: String,
    /// The sheet's areas, for the not-on-the-sheet form.
    areas: Vec<Choice>,
    scan_message: Option<String>,
    scan_missed: bool,
    /// Whether the scan box has the focus when the page opens (a scanner types where the
    /// focus is): unless a scan's card or form has it.
    scan_focus: bool,
    /// The not-on-the-sheet form: the item chosen, its amount, and whether a scan put it
    /// first (its box focused).
    extra_item: String,
    extra_amount: String,
    extra_first: bool,
}

/// What the sheet is asked for beyond the count: a scan from the box without script, and the
/// area being counted.
#[derive(Debug, Default, serde::Deserialize)]
struct SheetQuery {
    scan: Option<String>,
    area: Option<String>,
}

/// A scan's outcome on the sheet.
#[derive(Default)]
struct OnSheet {
    message: Option<String>,
    missed: bool,
    /// The card's line number and the amount its box shows.
    card: Option<(i32, String)>,
    /// An item not on the sheet, and the amount the scan carries.
    extra: Option<(String, String)>,
    area: Option<String>,
}

/// Where a scan goes on the sheet: the item's line in `area` (the area being counted), else its
/// first line; else the not-on-the-sheet form.
async fn place_scan(
    s: &AppState,
    p: Principal,
    c: &StockCount,
    code: &str,
    area: &str,
) -> Result<OnSheet, AppError> {
    let found = match scan::resolve(s, p, code).await? {
        Scanned::Missed(m) => {
            return Ok(OnSheet {
                message: Some(m),
                missed: true,
                ..OnSheet::default()
            });
        }
        Scanned::Item(f) => f,
    };
    let area_of = |l: &SheetLine| l.storage_area_id.map(|a| a.to_string()).unwrap_or_default();
    let mine = || c.sheet.iter().filter(|l| l.item_id == found.item_id);
    let line = mine()
        .find(|l| !area.is_empty() && area_of(l) == area)
        .or_else(|| mine().next());
    let amount = found.amount.clone().unwrap_or_default();
    Ok(match line {
        Some(l) => {
            let shown = match &found.amount {
                Some(a) => add_amount(l.amount.as_deref().unwrap_or(""), a),
                None => l.amount.clone().unwrap_or_default(),
            };
            let name = match &l.area_name {
                Some(a) => format!("{} ({a})", found.name),
                None => found.name.clone(),
            };
            OnSheet {
                message: Some(if shown.is_empty() {
                    format!("{name}: type what you counted, then Save.")
                } else {
                    format!("{name}: {shown}. Check it, then Save.")
                }),
                missed: false,
                card: Some((l.line_no, shown)),
                extra: None,
                area: Some(area_of(l)),
            }
        }
        None => OnSheet {
            message: Some(format!(
                "{} is not on the sheet: save it below and it is counted, flagged for the manager.",
                found.name
            )),
            missed: false,
            card: None,
            extra: Some((found.item_id.to_string(), amount)),
            area: None,
        },
    })
}

async fn sheet_page(
    s: &AppState,
    p: Principal,
    id: StockCountId,
    error: Option<String>,
    q: SheetQuery,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let c = s.app.get_stock_count(p, id).await?;
    let mut area = q.area.unwrap_or_default();
    let code = q.scan.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let placed = match code {
        Some(code) if c.status == CountStatus::Open => place_scan(s, p, &c, code, &area).await?,
        _ => OnSheet::default(),
    };
    if let Some(a) = &placed.area {
        area.clone_from(a);
    }
    let n = numbers_for(&s.app, p).await?;
    let items = s
        .app
        .list_items(
            p,
            larder_app::catalog::ItemQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?
        .data;
    let rows = c
        .items
        .iter()
        .map(|i| {
            let v = i.variance;
            let mut flags = Vec::new();
            if i.flags.not_counted {
                flags.push("not counted");
            }
            if i.flags.not_on_sheet {
                flags.push("not on the sheet");
            }
            if i.flags.variance {
                flags.push("beyond threshold");
            }
            VarianceRow {
                item: i.item_name.clone(),
                counted: i
                    .counted
                    .map_or_else(|| "—".into(), |q| n.quantity(q, i.base_unit)),
                book: i
                    .book
                    .map_or_else(|| "—".into(), |q| n.quantity(q, i.base_unit)),
                variance: v.map_or_else(|| "—".into(), |v| n.quantity(v.quantity, i.base_unit)),
                percent: v.and_then(|v| v.percent).map_or_else(
                    || "—".into(),
                    |p| {
                        format!(
                            "{} %",
                            p.to_string().trim_end_matches('0').trim_end_matches('.')
                        )
                    },
                ),
                value: n.money(v.and_then(|v| v.value)),
                flagged: i.flags.variance || i.flags.not_counted || i.flags.not_on_sheet,
                flags,
                posted: i
                    .adjustment
                    .map_or_else(String::new, |q| n.quantity(q, i.base_unit)),
            }
        })
        .collect();
    let summary = format!(
        "{} of {} items counted{}",
        c.counted_items,
        c.sheet_items,
        if c.variance_shown {
            format!(
                ", {} flagged, net variance {}",
                c.flagged_items,
                n.money(c.variance_value)
            )
        } else {
            String::new()
        }
    );
    let page = SheetPage {
        nav: "counts",
        tenant_name: me.tenant_name,
        id: c.id,
        title: format!(
            "{}{}",
            match c.scope {
                CountScope::Full => "Full count",
                CountScope::Cycle => "Cycle count",
            },
            if c.blind { " (blind)" } else { "" }
        ),
        status: status_text(c.status),
        open: c.status == CountStatus::Open,
        blind: c.blind,
        version: c.version,
        lines: {
            let mut cards: Vec<LineCard> = c
                .sheet
                .iter()
                .map(|l| {
                    let mut k = card(&c, l, &n);
                    if let Some((line_no, amount)) = &placed.card
                        && *line_no == l.line_no
                    {
                        k.scanned = true;
                        k.amount.clone_from(amount);
                    }
                    k
                })
                .collect();
            // The scanned card comes first; the others keep walking order.
            cards.sort_by_key(|k| !k.scanned);
            cards
        },
        variance_shown: c.variance_shown,
        can_approve: p.require(Permission::CountsApprove).is_ok(),
        rows,
        summary,
        items: items
            .iter()
            .map(|i| Choice {
                id: i.id.to_string(),
                name: i.name.clone(),
            })
            .collect(),
        error,
        areas: {
            let mut areas: Vec<Choice> = Vec::new();
            for l in &c.sheet {
                if let (Some(a), Some(name)) = (l.storage_area_id, &l.area_name)
                    && !areas.iter().any(|x| x.id == a.to_string())
                {
                    areas.push(Choice {
                        id: a.to_string(),
                        name: name.clone(),
                    });
                }
            }
            areas
        },
        // Ready for the next scan, unless a scan put a box in front of the cook.
        scan_focus: placed.card.is_none() && placed.extra.is_none(),
        area,
        scan_message: placed.message,
        scan_missed: placed.missed,
        extra_first: placed.extra.is_some(),
        extra_item: placed
            .extra
            .as_ref()
            .map(|(i, _)| i.clone())
            .unwrap_or_default(),
        extra_amount: placed.extra.map(|(_, a)| a).unwrap_or_default(),
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&page).map(|r| with_script((status, r).into_response()))
}

/// The sheet; `?scan=` (the scan box without script) puts the scanned item's card first.
async fn sheet(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StockCountId>,
    Query(q): Query<SheetQuery>,
) -> Result<Response, PageError> {
    sheet_page(&s, p, id, None, q).await
}

fn line_command(f: &Fields) -> Result<(ItemId, CountLineCommand), AppError> {
    let item: ItemId = parse_id("item_id", f.get("item_id"))?;
    let storage_area_id = match f.opt("storage_area_id") {
        Some(a) => Some(parse_id::<StorageAreaId>("storage_area_id", a)?),
        None => None,
    };
    let amount = match f.opt("amount") {
        Some(a) => Some(Label::parse(a).map_err(|e| AppError::invalid("amount", e.to_string()))?),
        None => {
            return Err(AppError::invalid(
                "amount",
                "type what you counted, such as 2 cases + 3 or 1.5 kg",
            ));
        }
    };
    Ok((
        item,
        CountLineCommand {
            storage_area_id,
            amount,
            quantity: None,
            counted_at: None,
        },
    ))
}

/// Saves one card. With htmx (`HX-Request`) the answer is the card alone; without, the page
/// again (303 to it, at the card).
async fn save_line(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StockCountId>,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let htmx = headers.contains_key("hx-request");
    let f = Fields(f);
    let n_line: i32 = f.get("line_no").parse().unwrap_or(0);
    let result = match line_command(&f) {
        Ok((item, cmd)) => s.app.enter_count_line(p, id, item, cmd, None).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(done) => {
            if htmx {
                let c = s.app.get_stock_count(p, id).await?;
                let n = numbers_for(&s.app, p).await?;
                let mut l = card(
                    &c,
                    &SheetLine {
                        line_no: if n_line > 0 {
                            n_line
                        } else {
                            done.value.line.line_no
                        },
                        ..done.value.line
                    },
                    &n,
                );
                l.saved = true;
                render(&LinePartial { l })
            } else {
                // Back at the card, in the area being counted (for the next scan).
                let area = match f.opt("storage_area_id") {
                    Some(a) => format!("?area={}", super::super::format::urlencode(a)),
                    None => String::new(),
                };
                Ok(Redirect::to(&format!("/counts/{id}{area}#line-{n_line}")).into_response())
            }
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            if htmx {
                let c = s.app.get_stock_count(p, id).await?;
                let n = numbers_for(&s.app, p).await?;
                let Some(line) = c.sheet.iter().find(|l| l.line_no == n_line) else {
                    return sheet_page(&s, p, id, Some(message(&e)), SheetQuery::default()).await;
                };
                let mut l = card(&c, line, &n);
                l.amount = f.get("amount").to_owned();
                l.error = Some(message(&e));
                render(&LinePartial { l })
            } else {
                sheet_page(&s, p, id, Some(message(&e)), SheetQuery::default()).await
            }
        }
        Err(e) => Err(e.into()),
    }
}

async fn approve(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StockCountId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let version = f.version()?;
    let cmd = ApproveCountCommand {
        zero_uncounted: f.has("zero_uncounted"),
    };
    match s.app.approve_stock_count(p, id, cmd, version, None).await {
        Ok(_) => Ok(Redirect::to(&format!("/counts/{id}")).into_response()),
        Err(AppError::PreconditionFailed(_)) => {
            sheet_page(&s, p, id, Some("Lines were entered since you opened this count: check the variance again, then approve.".into()), SheetQuery::default()).await
        }
        Err(e @ AppError::Conflict { .. }) => sheet_page(&s, p, id, Some(message(&e)), SheetQuery::default()).await,
        Err(e) => Err(e.into()),
    }
}

async fn cancel(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StockCountId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    match s.app.cancel_stock_count(p, id, f.version()?).await {
        Ok(_) => Ok(Redirect::to(&format!("/counts/{id}")).into_response()),
        Err(AppError::PreconditionFailed(_)) => {
            sheet_page(
                &s,
                p,
                id,
                Some("The count changed since you opened it: look again before cancelling.".into()),
                SheetQuery::default(),
            )
            .await
        }
        Err(e @ AppError::Conflict { .. }) => {
            sheet_page(&s, p, id, Some(message(&e)), SheetQuery::default()).await
        }
        Err(e) => Err(e.into()),
    }
}
