//! The web UI: server-rendered pages for a manager, working on a phone-sized screen.
//!
//! Sessions are HttpOnly, SameSite=Strict cookies holding the access and refresh tokens; an
//! expired access token is rotated with the refresh cookie transparently. SameSite=Strict keeps
//! other sites' forms from carrying the cookies, and every POST must come from our own origin
//! (its `Origin` header, when sent, must match `Host`), which together stop CSRF without tokens.

use askama::Template;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_extra::extract::CookieJar;
use chrono::{Duration, NaiveDate, Utc};
use larder_app::analytics::UsageSeries;
use larder_app::catalog::ItemQuery;
use larder_app::tenancy::Location;
use larder_app::inventory::{MovementQuery, StockLevel, StockQuery};
use larder_app::{AppError, Principal};
use larder_core::decimal::div_round_half_even;
use larder_core::{BaseUnit, ItemId, Money, Quantity, RecipeId};
use serde::Deserialize;

use crate::extract::{ACCESS_COOKIE, REFRESH_COOKIE};
use crate::{AppState, cookies};

pub fn router(state: AppState) -> Router<AppState> {
    let protected = Router::new()
        .route("/", get(dashboard))
        .route("/items", get(items))
        .route("/items/{id}", get(item))
        .route("/recipes", get(recipes))
        .route("/recipes/{id}", get(recipe))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_session,
        ));
    let login_post = Router::new().route("/login", post(login)).route_layer(
        axum::middleware::from_fn_with_state(state, crate::limit_auth),
    );
    Router::new()
        .route("/login", get(login_form))
        .merge(login_post)
        .route("/logout", post(logout))
        .merge(protected)
}

/// A page-level error: 404 and 403 as pages, everything else logged and shown plainly.
struct PageError(AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, text) = match &self.0 {
            AppError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                format!("That {what} does not exist."),
            ),
            AppError::Forbidden(p) => (StatusCode::FORBIDDEN, format!("Your role lacks {p}.")),
            AppError::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, self.0.to_string()),
            AppError::Unauthenticated(_) => return Redirect::to("/login").into_response(),
            other => {
                tracing::error!(error = ?other, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong; it has been logged.".to_owned(),
                )
            }
        };
        (status, Html(format!("<!doctype html><meta name=viewport content=\"width=device-width\"><title>Larder</title><p>{}</p><p><a href=\"/\">Back</a></p>", escape(&text))))
            .into_response()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn render(t: impl Template) -> Result<Response, PageError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError(AppError::Internal(e.to_string())))
}

/// Puts the session's principal into the request, rotating an expired access token with the
/// refresh cookie; without a session, redirects to the login page.
async fn require_session(
    State(s): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(p) = jar
        .get(ACCESS_COOKIE)
        .and_then(|c| s.app.authenticate(c.value()).ok())
    {
        req.extensions_mut().insert(p);
        return next.run(req).await;
    }
    if let Some(token) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned())
        && let Ok(pair) = s.app.refresh(&token).await
        && let Ok(p) = s.app.authenticate(&pair.access_token)
    {
        req.extensions_mut().insert(p);
        let res = next.run(req).await;
        let jar = cookies::with_access(
            cookies::with_refresh(jar, &pair.refresh_token, s.cookie_secure),
            &pair.access_token,
            s.cookie_secure,
        );
        return (jar, res).into_response();
    }
    Redirect::to("/login").into_response()
}

/// Refuses a POST whose `Origin` is another site's.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin.split_once("://").is_some_and(|(_, h)| h == host)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    email: String,
    tenant: String,
}

async fn login_form() -> Result<Response, PageError> {
    render(LoginPage {
        error: None,
        email: String::new(),
        tenant: String::new(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    tenant: String,
}

async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let cmd = larder_app::auth::LoginCommand {
        email: f.email.clone(),
        password: f.password,
        tenant: Some(f.tenant.clone()).filter(|t| !t.trim().is_empty()),
    };
    match s.app.login(cmd).await {
        Ok(pair) => {
            let jar = cookies::with_access(
                cookies::with_refresh(jar, &pair.refresh_token, s.cookie_secure),
                &pair.access_token,
                s.cookie_secure,
            );
            Ok((jar, Redirect::to("/")).into_response())
        }
        Err(e @ (AppError::Unauthenticated(_) | AppError::Validation { .. })) => {
            let page = LoginPage {
                error: Some(e.to_string()),
                email: f.email,
                tenant: f.tenant,
            };
            let mut res = render(page)?;
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if !same_origin(&headers) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    if let Some(token) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) {
        s.app.logout(&token).await?;
    }
    Ok((cookies::cleared(jar), Redirect::to("/login")).into_response())
}

/// A quantity for people: kilograms and litres from 1 000 g / ml up (rounded half to even to
/// the gram or millilitre), else the base unit with its three decimals.
pub fn human(q: Quantity, unit: BaseUnit) -> String {
    match unit {
        BaseUnit::G | BaseUnit::Ml if q.raw().unsigned_abs() >= 1_000_000 => {
            let big = Quantity::from_raw(
                i64::try_from(div_round_half_even(i128::from(q.raw()), 1000)).unwrap_or(i64::MAX),
            );
            format!("{big} {}", if unit == BaseUnit::G { "kg" } else { "l" })
        }
        _ => format!("{q} {unit}"),
    }
}

fn opt_human(q: Option<Quantity>, unit: BaseUnit) -> String {
    q.map_or_else(|| "–".to_owned(), |q| human(q, unit))
}

fn money(m: Option<Money>) -> String {
    m.map_or_else(|| "–".to_owned(), |m| m.to_string())
}

/// One ingredient's weekly usage as an inline SVG line chart (integer pixel arithmetic).
fn sparkline(s: &UsageSeries) -> String {
    const W: i128 = 300;
    const H: i128 = 104;
    const PAD: i128 = 6;
    const AXIS: i128 = 14;
    let max = s
        .weeks
        .iter()
        .map(|(_, q)| i128::from(q.raw()))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = i128::try_from(s.weeks.len()).unwrap_or(1).max(2) - 1;
    let points: Vec<String> = s
        .weeks
        .iter()
        .enumerate()
        .map(|(i, (_, q))| {
            let x = PAD + i128::try_from(i).unwrap_or(0) * (W - 2 * PAD) / n;
            let y = H - AXIS - i128::from(q.raw()).max(0) * (H - AXIS - 2 * PAD) / max;
            format!("{x},{y}")
        })
        .collect();
    let first = s
        .weeks
        .first()
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let last = s
        .weeks
        .last()
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let peak = human(
        Quantity::from_raw(i64::try_from(max).unwrap_or(i64::MAX)),
        s.base_unit,
    );
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{name}: weekly usage from {first} to {last}, peak {peak}\">\
<title>{name}: weekly theoretical usage, peak {peak} per week</title>\
<line x1=\"{PAD}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#d9dee5\"/>\
<polyline fill=\"none\" stroke=\"#0b6e4f\" stroke-width=\"2\" points=\"{pts}\"/>\
<text x=\"{PAD}\" y=\"{label_y}\" font-size=\"10\" fill=\"#5b6878\">week of {first}</text>\
<text x=\"{right}\" y=\"{label_y}\" font-size=\"10\" fill=\"#5b6878\" text-anchor=\"end\">week of {last}</text></svg>",
        name = escape(&s.name),
        base = H - AXIS,
        label_y = H - 2,
        right = W - PAD,
        pts = points.join(" "),
    )
}

struct Chart {
    name: String,
    total: String,
    peak: String,
    svg: String,
}

/// Stock levels as table rows, with their locations' names.
fn stock_rows(levels: &[StockLevel], locations: &[Location]) -> Vec<StockRow> {
    levels
        .iter()
        .map(|r| StockRow {
            item_id: r.item_id,
            name: r.item_name.clone(),
            location: locations
                .iter()
                .find(|l| l.id == r.location_id)
                .map_or_else(String::new, |l| l.name.clone()),
            on_hand: human(r.on_hand, r.base_unit),
            reorder_point: opt_human(r.reorder_point, r.base_unit),
            par_level: opt_human(r.par_level, r.base_unit),
            negative: r.flags.negative,
            low: r.flags.low,
        })
        .collect()
}

struct StockRow {
    item_id: ItemId,
    name: String,
    location: String,
    on_hand: String,
    reorder_point: String,
    par_level: String,
    negative: bool,
    low: bool,
}

struct TopRow {
    name: String,
    quantity: String,
    revenue: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: &'static str,
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
}

#[derive(Deserialize)]
struct Period {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    cursor: Option<String>,
}

async fn dashboard(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Query(q): Query<Period>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    // Staff see stock; the reports need reports.read (managers and up).
    let reports = p.role.grants(larder_core::auth::Permission::ReportsRead);
    let span = if reports {
        s.app.sales_span(p).await?
    } else {
        None
    };
    // Business days: the tenant's time zone and day cutoff.
    let cal = s.app.calendar(p.tenant_id).await?;
    // Default period: the eight whole weeks (Monday to Monday) up to the last sale, or today.
    let last = span.map_or_else(
        || cal.business_date(Utc::now()),
        |(_, last)| cal.business_date(last),
    );
    let next_monday = larder_app::analytics::week_start(last) + Duration::weeks(1);
    let to = q.to.unwrap_or(next_monday);
    let from = q.from.unwrap_or(to - Duration::weeks(8));
    if from >= to {
        return Err(AppError::invalid("from", "must be before to").into());
    }
    let (usage, top) = if reports {
        let usage = s
            .app
            .weekly_usage(p, cal.day_start(from), cal.day_start(to), 6)
            .await?;
        let top = s
            .app
            .top_menu_items(p, cal.day_start(from), cal.day_start(to), 10)
            .await?;
        (usage, top)
    } else {
        (Vec::new(), Vec::new())
    };
    let stock = s
        .app
        .list_stock(
            p,
            StockQuery {
                limit: Some(200),
                cursor: q.cursor.clone(),
                ..Default::default()
            },
        )
        .await?;
    let locations = s.app.list_locations(p, Some(500), None).await?.data;
    let unmapped = if reports {
        s.app.unmapped_sales(p).await?
    } else {
        Vec::new()
    };
    let rows = stock_rows(&stock.data, &locations);
    render(DashboardPage {
        nav: "dashboard",
        tenant_name: me.tenant_name,
        from,
        to,
        span: span.map(|(a, b)| format!("{} to {}", a.date_naive(), b.date_naive())),
        charts: usage
            .iter()
            .map(|u| Chart {
                name: u.name.clone(),
                total: human(u.total, u.base_unit),
                peak: human(
                    u.weeks.iter().map(|(_, q)| *q).max().unwrap_or_default(),
                    u.base_unit,
                ),
                svg: sparkline(u),
            })
            .collect(),
        top: top
            .into_iter()
            .map(|t| TopRow {
                name: t.name,
                quantity: count(t.quantity),
                revenue: t.revenue.to_string(),
            })
            .collect(),
        multi_location: locations.len() > 1,
        reports,
        unmapped_lines: unmapped.iter().map(|u| u.lines).sum(),
        unmapped_names: unmapped
            .iter()
            .take(20)
            .map(|u| format!("{} ({})", u.item_name, u.lines))
            .collect(),
        negative_count: rows.iter().filter(|r| r.negative).count(),
        low_count: rows.iter().filter(|r| r.low).count(),
        stock: rows,
        stock_more: stock
            .next_cursor
            .map(|c| format!("/?from={from}&to={to}&cursor={c}")),
    })
}

struct ItemRowView {
    id: ItemId,
    name: String,
    category: String,
    base_unit: BaseUnit,
    unit_cost: String,
    packs: String,
}

#[derive(Template)]
#[template(path = "items.html")]
struct ItemsPage {
    nav: &'static str,
    tenant_name: String,
    q: String,
    items: Vec<ItemRowView>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct ItemsQuery {
    q: Option<String>,
    cursor: Option<String>,
}

fn packs(p: &[larder_store::PackSize], unit: BaseUnit) -> String {
    if p.is_empty() {
        return "–".into();
    }
    p.iter()
        .map(|p| format!("{} ({})", p.name, human(p.quantity, unit)))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn items(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let text = q.q.clone().unwrap_or_default();
    // A scanner types digits: treat an all-digit query as a barcode.
    let by_barcode = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    let query = ItemQuery {
        q: (!by_barcode)
            .then(|| text.clone())
            .filter(|t| !t.is_empty()),
        barcode: by_barcode.then(|| text.clone()),
        limit: Some(100),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.list_items(p, query).await?;
    render(ItemsPage {
        nav: "items",
        tenant_name: me.tenant_name,
        next: page
            .next_cursor
            .map(|c| format!("/items?q={}&cursor={c}", urlencode(&text))),
        q: text,
        items: page
            .data
            .into_iter()
            .map(|i| ItemRowView {
                id: i.id,
                category: i.category.unwrap_or_default(),
                base_unit: i.base_unit,
                unit_cost: money(i.unit_cost),
                packs: packs(&i.pack_sizes, i.base_unit),
                name: i.name,
            })
            .collect(),
    })
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

struct MovementView {
    when: String,
    kind: String,
    quantity: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    nav: &'static str,
    tenant_name: String,
    name: String,
    category: String,
    base_unit: BaseUnit,
    unit_cost: String,
    packs: String,
    barcode: Option<String>,
    stock: Vec<StockRow>,
    movements: Vec<MovementView>,
}

async fn item(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<ItemId>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let item = s.app.get_item(p, id).await?;
    let stock = s
        .app
        .list_stock(
            p,
            StockQuery {
                item_id: Some(id),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let locations = s.app.list_locations(p, Some(500), None).await?;
    let moves = s
        .app
        .list_movements(
            p,
            MovementQuery {
                item_id: Some(id),
                limit: Some(20),
                ..Default::default()
            },
        )
        .await?;
    render(ItemPage {
        nav: "items",
        tenant_name: me.tenant_name,
        category: item.category.clone().unwrap_or_default(),
        base_unit: item.base_unit,
        unit_cost: money(item.unit_cost),
        packs: packs(&item.pack_sizes, item.base_unit),
        barcode: item.barcode.clone(),
        stock: stock_rows(&stock.data, &locations.data),
        movements: moves
            .data
            .iter()
            .map(|m| MovementView {
                when: m.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
                kind: m.kind.to_string(),
                quantity: human(m.quantity, item.base_unit),
                reason: m.reason.clone().unwrap_or_default(),
            })
            .collect(),
        name: item.name,
    })
}

struct RecipeRowView {
    id: RecipeId,
    name: String,
    yield_text: String,
    cost: String,
    batch_cost: String,
}

#[derive(Template)]
#[template(path = "recipes.html")]
struct RecipesPage {
    nav: &'static str,
    tenant_name: String,
    recipes: Vec<RecipeRowView>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

/// A count for people: `3` when whole, `1.5` otherwise (exact, trailing zeros dropped).
fn count(q: Quantity) -> String {
    if q.raw() % 1000 == 0 {
        (q.raw() / 1000).to_string()
    } else {
        q.to_string().trim_end_matches('0').to_owned()
    }
}

fn yield_text(q: Quantity, unit: BaseUnit) -> String {
    match unit {
        BaseUnit::Ea if q.raw() == 1000 => "1 portion".to_owned(),
        BaseUnit::Ea => format!("{} portions", count(q)),
        _ => human(q, unit),
    }
}

/// Cost per portion, or per kg / l for a prep: the batch cost (rounded once) over the yield,
/// rounded half to even to the millionth.
fn unit_cost_text(
    per_unit: Money,
    batch: Money,
    yield_quantity: Quantity,
    unit: BaseUnit,
) -> String {
    let (per, scale) = match unit {
        BaseUnit::Ea => return format!("{per_unit} per portion"),
        BaseUnit::G => ("kg", 1_000_000),
        BaseUnit::Ml => ("l", 1_000_000),
    };
    let raw = div_round_half_even(
        i128::from(batch.raw()) * scale,
        i128::from(yield_quantity.raw()).max(1),
    );
    format!(
        "{} per {per}",
        Money::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))
    )
}

async fn recipes(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Query(q): Query<CursorQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let page = s.app.list_recipes(p, Some(100), q.cursor).await?;
    render(RecipesPage {
        nav: "recipes",
        tenant_name: me.tenant_name,
        next: page.next_cursor.map(|c| format!("/recipes?cursor={c}")),
        recipes: page
            .data
            .into_iter()
            .map(|r| RecipeRowView {
                id: r.id,
                yield_text: yield_text(r.yield_quantity, r.yield_unit),
                cost: unit_cost_text(
                    r.cost_per_yield_unit,
                    r.batch_cost,
                    r.yield_quantity,
                    r.yield_unit,
                ),
                batch_cost: r.batch_cost.to_string(),
                name: r.name,
            })
            .collect(),
    })
}

struct LineView {
    name: String,
    kind: &'static str,
    quantity: String,
    href: Option<String>,
}

struct IngredientView {
    item_id: ItemId,
    name: String,
    quantity: String,
}

#[derive(Template)]
#[template(path = "recipe.html")]
struct RecipePage {
    nav: &'static str,
    tenant_name: String,
    name: String,
    yield_text: String,
    per: &'static str,
    cost: String,
    batch_cost: String,
    missing: String,
    notes: Option<String>,
    lines: Vec<LineView>,
    ingredients: Vec<IngredientView>,
}

async fn recipe(
    State(s): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<RecipeId>,
) -> Result<Response, PageError> {
    use larder_core::menu::Component;
    let me = s.app.me(p).await?;
    let r = s.app.get_recipe(p, id).await?;
    render(RecipePage {
        nav: "recipes",
        tenant_name: me.tenant_name,
        yield_text: yield_text(r.yield_quantity, r.yield_unit),
        per: match r.yield_unit {
            BaseUnit::Ea => "portion",
            BaseUnit::G => "g",
            BaseUnit::Ml => "ml",
        },
        cost: unit_cost_text(
            r.cost_per_yield_unit,
            r.batch_cost,
            r.yield_quantity,
            r.yield_unit,
        ),
        batch_cost: r.batch_cost.to_string(),
        missing: r.missing_costs.join(", "),
        notes: r.notes.clone(),
        lines: r
            .lines
            .iter()
            .map(|l| LineView {
                name: l.name.clone(),
                kind: match l.component {
                    Component::Item(_) => "item",
                    Component::Recipe(_) => "sub-recipe",
                },
                quantity: format!("{} {}", l.quantity, l.unit),
                href: Some(match l.component {
                    Component::Item(i) => format!("/items/{i}"),
                    Component::Recipe(r) => format!("/recipes/{r}"),
                }),
            })
            .collect(),
        ingredients: r
            .ingredients
            .iter()
            .map(|i| IngredientView {
                item_id: i.item_id,
                name: i.name.clone(),
                quantity: human(i.quantity, i.base_unit),
            })
            .collect(),
        name: r.name,
    })
}
