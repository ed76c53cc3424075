//! Stock counts on a phone (issue 9, item 2; ADR 019): `/counts` (recent counts and a form to
//! start one) and `/counts/{id}` (the count sheet in walking order, one card per item and
//! area with one big box; each card saves on its own with htmx `hx-post`, or as a plain form
//! post without script), with the manager's variance table, flags and Approve.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
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
}

async fn sheet_page(
    s: &AppState,
    p: Principal,
    id: StockCountId,
    error: Option<String>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let c = s.app.get_stock_count(p, id).await?;
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
        lines: c.sheet.iter().map(|l| card(&c, l, &n)).collect(),
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
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(&page).map(|r| with_script((status, r).into_response()))
}

async fn sheet(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StockCountId>,
) -> Result<Response, PageError> {
    sheet_page(&s, p, id, None).await
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
                Ok(Redirect::to(&format!("/counts/{id}#line-{n_line}")).into_response())
            }
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            if htmx {
                let c = s.app.get_stock_count(p, id).await?;
                let n = numbers_for(&s.app, p).await?;
                let Some(line) = c.sheet.iter().find(|l| l.line_no == n_line) else {
                    return sheet_page(&s, p, id, Some(message(&e))).await;
                };
                let mut l = card(&c, line, &n);
                l.amount = f.get("amount").to_owned();
                l.error = Some(message(&e));
                render(&LinePartial { l })
            } else {
                sheet_page(&s, p, id, Some(message(&e))).await
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
            sheet_page(&s, p, id, Some("Lines were entered since you opened this count: check the variance again, then approve.".into())).await
        }
        Err(e @ AppError::Conflict { .. }) => sheet_page(&s, p, id, Some(message(&e))).await,
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
            )
            .await
        }
        Err(e @ AppError::Conflict { .. }) => sheet_page(&s, p, id, Some(message(&e))).await,
        Err(e) => Err(e.into()),
    }
}
