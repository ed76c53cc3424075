//! analytics pages: the dashboard. Everyone who may read stock sees stock on hand with its
//! negative and low flags; managers and up also see the period's weekly ingredient usage, the
//! menu items sold most and the sales that map to no recipe. One use case,
//! [`larder_app::App::dashboard`], reads it all and decides the period and what the viewer
//! may see; this module only turns it into text. The AvT report's page is in [`avt`].

mod avt;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use larder_app::analytics::{Dashboard, DashboardQuery};
use larder_app::catalog::ItemQuery;
use larder_app::{AppError, Principal};
use larder_core::auth::Permission;

use super::chart::sparkline;
use super::error::{PageError, render};
use super::format::{Numbers, count};
use super::inventory::{StockRow, stock_rows};
use super::session::Session;
use crate::AppState;
use larder_core::tenancy::WeekStart;

/// `GET /`: the dashboard.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .merge(avt::router())
        .route_layer(axum::middleware::from_fn(limit_heavy_page))
}

/// The dashboard computes reports: it takes a turn among them, or shows the busy page.
async fn limit_heavy_page(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    crate::heavy_turn(req, next)
        .await
        .unwrap_or_else(|e| PageError(e).into_response())
}

/// One ingredient's usage chart.
struct Chart {
    name: String,
    total: String,
    peak: String,
    svg: String,
}

/// One row of the top menu items.
struct TopRow {
    name: String,
    quantity: String,
    revenue: String,
}

/// One step of the first-run checklist.
struct Step {
    id: &'static str,
    text: &'static str,
    href: &'static str,
    /// Another way to do it (an import), with its link.
    alt: Option<(&'static str, &'static str)>,
    done: bool,
}

/// The first-run checklist for someone who sets the restaurant up (`catalog.write`): add a
/// location, add or import items, add recipes, import sales, each ticked once the tenant has
/// one. `None` once every step is done, or for someone who cannot do them.
async fn checklist(s: &AppState, p: Principal) -> Result<Option<Vec<Step>>, PageError> {
    if p.require(Permission::CatalogWrite).is_err() {
        return Ok(None);
    }
    let has_location = !s
        .app
        .list_locations(p, Some(1), None)
        .await?
        .data
        .is_empty();
    let has_item = !s
        .app
        .list_items(
            p,
            ItemQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?
        .data
        .is_empty();
    // A role without these reads cannot do the steps either: they count as done for it.
    let has_recipe = match s.app.list_recipes(p, Some(1), None).await {
        Ok(page) => !page.data.is_empty(),
        Err(AppError::Forbidden(_)) => true,
        Err(e) => return Err(e.into()),
    };
    let has_sale = match s.app.list_sales(p, Some(1), None).await {
        Ok(page) => !page.data.is_empty(),
        Err(AppError::Forbidden(_)) => true,
        Err(e) => return Err(e.into()),
    };
    if has_location && has_item && has_recipe && has_sale {
        return Ok(None);
    }
    Ok(Some(vec![
        Step {
            id: "step-location",
            text: "Add a location (your kitchen or outlet)",
            href: "/locations",
            alt: None,
            done: has_location,
        },
        Step {
            id: "step-items",
            text: "Add the items you stock",
            href: "/items/new",
            alt: Some(("or import them", "/catalog/import")),
            done: has_item,
        },
        Step {
            id: "step-recipes",
            text: "Add recipes",
            href: "/recipes/new",
            alt: None,
            done: has_recipe,
        },
        Step {
            id: "step-sales",
            text: "Import sales from your till",
            href: "/sales/import",
            alt: None,
            done: has_sale,
        },
    ]))
}

#[derive(Template)]
#[template(path = "analytics/dashboard.html")]
struct DashboardPage {
    nav: &'static str,
    /// The first-run checklist, while some step is left.
    checklist: Option<Vec<Step>>,
    /// The day the tenant's weeks start, capitalised.
    week_start: String,
    /// The last week runs past the data (its chart segments are dashed).
    partial_last_week: bool,
    tenant_name: String,
    from: NaiveDate,
    to: NaiveDate,
    span: Option<String>,
    charts: Vec<Chart>,
    top: Vec<TopRow>,
    stock: Vec<StockRow>,
    stock_more: Option<String>,
    negative_count: usize,
    low_count: usize,
    multi_location: bool,
    unmapped_lines: i64,
    unmapped_names: Vec<String>,
    reports: bool,
    /// Stock value now and its method, when the caller may read reports.
    stock_value: Option<(String, &'static str)>,
    /// Stock value by category, largest first.
    value_by_category: Vec<(String, String)>,
    /// Open alerts the caller may see (at most 200 counted), and their unread notifications.
    alerts_open: usize,
    /// See `alerts_open`.
    unread: i64,
}

/// Sale names listed in the "sales without a recipe" note; the count covers them all.
const UNMAPPED_NAMES_SHOWN: usize = 20;

impl DashboardPage {
    fn new(d: Dashboard, n: &Numbers, week_start: WeekStart) -> Self {
        let (from, to) = (d.from, d.to);
        let stock = stock_rows(&d.stock.data, &d.locations, n);
        let day = week_start.as_str();
        Self {
            nav: "dashboard",
            checklist: None,
            week_start: day[..1].to_uppercase() + &day[1..],
            partial_last_week: d.partial_last_week,
            tenant_name: d.tenant_name,
            from,
            to,
            span: d
                .span
                .map(|(a, b)| format!("{} to {}", a.date_naive(), b.date_naive())),
            charts: d
                .usage
                .iter()
                .map(|u| Chart {
                    name: u.name.clone(),
                    total: n.quantity(u.total, u.base_unit),
                    peak: n.quantity(
                        u.weeks.iter().map(|(_, q)| *q).max().unwrap_or_default(),
                        u.base_unit,
                    ),
                    svg: sparkline(u, n, d.partial_last_week),
                })
                .collect(),
            top: d
                .top
                .into_iter()
                .map(|t| TopRow {
                    name: t.name,
                    quantity: count(t.quantity),
                    revenue: n.money(Some(t.revenue)),
                })
                .collect(),
            negative_count: stock.iter().filter(|r| r.negative).count(),
            low_count: stock.iter().filter(|r| r.low).count(),
            stock,
            stock_more: d
                .stock
                .next_cursor
                .map(|c| format!("/?from={from}&to={to}&cursor={c}")),
            multi_location: d.locations.len() > 1,
            unmapped_lines: d.unmapped.iter().map(|u| u.lines).sum(),
            unmapped_names: d
                .unmapped
                .iter()
                .take(UNMAPPED_NAMES_SHOWN)
                .map(|u| format!("{} ({})", u.item_name, u.lines))
                .collect(),
            reports: d.reports,
            stock_value: None,
            value_by_category: Vec::new(),
            alerts_open: 0,
            unread: 0,
        }
    }
}

/// The dashboard for `?from=&to=` (business days, `to` exclusive; default the eight weeks up
/// to the last sale) and `?cursor=` (the stock table's next page).
async fn dashboard(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let d = s.app.dashboard(p, q).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let mut page = DashboardPage::new(d, &n, settings.week_start);
    page.checklist = checklist(&s, p).await?;
    page.alerts_open = s
        .app
        .list_alerts(
            p,
            larder_app::alerts::AlertQuery {
                limit: Some(200),
                ..Default::default()
            },
        )
        .await?
        .data
        .len();
    page.unread = s.app.unread_notifications(p).await?;
    if p.require(larder_core::auth::Permission::ReportsRead)
        .is_ok()
    {
        let v = s
            .app
            .stock_value(
                p,
                larder_app::inventory::valuation::StockValueQuery {
                    group_by: Some(larder_app::inventory::valuation::ValueGroup::Category),
                    ..Default::default()
                },
            )
            .await?;
        let method = match v.method {
            larder_core::inventory::costing::ValuationMethod::Fifo => "FIFO",
            larder_core::inventory::costing::ValuationMethod::MovingAverage => "moving average",
        };
        page.stock_value = Some((n.money(Some(v.total)), method));
        page.value_by_category = v
            .lines
            .into_iter()
            .map(|l| {
                let name = if l.name.is_empty() {
                    "Uncategorised".to_owned()
                } else {
                    l.name
                };
                (name, n.money(Some(l.value)))
            })
            .collect();
    }
    render(&page).map(super::with_script)
}
