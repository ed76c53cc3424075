//! sales pages: importing a POS export. `/sales/import` shows the tenant's column mapping (to
//! edit and save, or to start from a preset) and an upload form; the upload goes with a
//! progress bar (a small script, `/assets/sales-import.js`) to `/sales/import/upload`, which
//! answers the report as an HTML fragment: a dry run's first lines as read, the names sold
//! that deplete nothing with a one-step "map to a menu item", every bad row, the date range.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::AppError;
use larder_app::sales::{ImportMode, ImportReport, SaleAliasCommand, SalesMapping, SizeMode};
use larder_core::auth::Permission;
use larder_core::{Code, LocationId, MenuItemId, Name};
use serde::Deserialize;

use super::error::{PageError, render};
use super::format::Numbers;
use super::session::{SameOrigin, Session};
use crate::AppState;
use crate::api::sales::PresetName;

/// The upload script: sends the file with a progress bar and shows the report.
const SCRIPT: &str = include_str!("../../assets/sales-import.js");

/// `GET /sales/import`, `POST /sales/import/mapping`, `POST /sales/import/upload`,
/// `POST /sales/aliases`, `GET /assets/sales-import.js`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sales/import", get(import_page))
        .route("/sales/import/mapping", post(save_mapping))
        .route("/sales/import/upload", post(upload))
        .route("/sales/aliases", post(map_name))
        .route("/assets/sales-import.js", get(script))
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

/// The mapping's fields as the form shows and sends them (empty = found by header name).
#[derive(Clone, Debug, Default, Deserialize)]
struct MappingForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    date_format: String,
    #[serde(default)]
    time_format: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    size_factors: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    price: String,
    /// Names to ignore, one per line or comma-separated.
    #[serde(default)]
    ignore: String,
    #[serde(default)]
    decimal_comma: Option<String>,
    /// Ticket times come from a second file (a CLI matter).
    #[serde(default)]
    tickets_file: Option<String>,
}

fn blank(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl MappingForm {
    fn of(m: &SalesMapping) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Self {
            ticket: s(&m.ticket),
            date: s(&m.date),
            time: s(&m.time),
            date_format: s(&m.date_format),
            time_format: s(&m.time_format),
            item: s(&m.item),
            size: s(&m.size),
            size_factors: m
                .size_factors
                .iter()
                .map(|(k, v)| format!("{k}={}", super::format::count(*v)))
                .collect::<Vec<_>>()
                .join(", "),
            quantity: s(&m.quantity),
            price: s(&m.price),
            ignore: m.ignore.join(", "),
            decimal_comma: m.decimal_comma.then(|| "on".into()),
            tickets_file: m.tickets_file.is_some().then(|| "on".into()),
        }
    }

    /// The mapping the form describes; its tickets file's columns (a CLI matter) are kept as
    /// saved while the box stays ticked, found by header name when it is newly ticked.
    fn mapping(&self, keep: &SalesMapping) -> Result<SalesMapping, AppError> {
        let mut size_factors = std::collections::BTreeMap::new();
        for part in self
            .size_factors
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                AppError::invalid(
                    "size_factors",
                    format!("'{part}' is not SIZE=FACTOR (L=1.35)"),
                )
            })?;
            let f = larder_core::Quantity::parse(v.trim()).map_err(|e| {
                AppError::invalid(format!("size_factors.{}", k.trim()), e.to_string())
            })?;
            size_factors.insert(k.trim().to_owned(), f);
        }
        Ok(SalesMapping {
            ticket: blank(&self.ticket),
            date: blank(&self.date),
            time: blank(&self.time),
            date_format: blank(&self.date_format),
            time_format: blank(&self.time_format),
            item: blank(&self.item),
            size: blank(&self.size),
            size_mode: if size_factors.is_empty() {
                SizeMode::Append
            } else {
                SizeMode::Factor
            },
            size_factors,
            quantity: blank(&self.quantity),
            price: blank(&self.price),
            ignore: self.ignore.split([',', '\n']).filter_map(blank).collect(),
            decimal_comma: self.decimal_comma.is_some(),
            tickets_file: self
                .tickets_file
                .is_some()
                .then(|| keep.tickets_file.clone().unwrap_or_default()),
        })
    }
}

#[derive(Template)]
#[template(path = "sales/import.html")]
struct ImportPage {
    nav: &'static str,
    tenant_name: String,
    editable: bool,
    saved: bool,
    mapped: Option<String>,
    error: Option<String>,
    from_preset: Option<&'static str>,
    presets: Vec<(&'static str, &'static str)>,
    form: MappingForm,
    locations: Vec<(LocationId, String)>,
    time_zone: String,
    limit_mib: u64,
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    preset: Option<PresetName>,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    mapped: Option<String>,
}

async fn page_for(
    s: &AppState,
    p: larder_app::Principal,
    form: Option<MappingForm>,
    preset: Option<PresetName>,
) -> Result<ImportPage, PageError> {
    let saved = s.app.sales_import_mapping(p).await?;
    let settings = s.app.get_settings(p).await?;
    let locations = s
        .app
        .list_locations(p, Some(500), None)
        .await?
        .data
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let (form, from_preset) = match (form, preset) {
        (Some(f), _) => (f, None),
        (None, Some(name)) => (
            MappingForm::of(&larder_app::sales::mapping::preset(name.as_str())?),
            Some(name.as_str()),
        ),
        (None, None) => (MappingForm::of(&saved.mapping), None),
    };
    Ok(ImportPage {
        nav: "import",
        tenant_name: settings.name.clone(),
        editable: p.require(Permission::SalesWrite).is_ok(),
        saved: false,
        mapped: None,
        error: None,
        from_preset,
        presets: larder_app::sales::presets()
            .into_iter()
            .map(|p| (p.name, p.description))
            .collect(),
        form,
        locations,
        time_zone: settings.time_zone,
        limit_mib: crate::extract::UPLOAD_LIMIT_BYTES / (1024 * 1024),
    })
}

async fn import_page(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let mut page = page_for(&s, p, None, q.preset).await?;
    page.saved = q.saved.is_some();
    page.mapped = q.mapped;
    render(&page).map(super::with_script)
}

/// Saves the mapping; a refused one shows the form again (422) with the reason.
async fn save_mapping(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<MappingForm>,
) -> Result<Response, PageError> {
    let keep = s.app.sales_import_mapping(p).await?.mapping;
    let result = match f.mapping(&keep) {
        Ok(m) => s.app.save_sales_import_mapping(p, m).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/sales/import?saved=1").into_response()),
        Err(e @ AppError::Validation { .. }) => {
            let mut page = page_for(&s, p, Some(f), None).await?;
            page.error = Some(e.to_string());
            let mut res = super::with_script(render(&page)?);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct UploadQuery {
    location_id: LocationId,
    #[serde(default)]
    dry_run: Option<String>,
    #[serde(default)]
    skip_bad_rows: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Template)]
#[template(path = "sales/import_report.html")]
struct ReportFragment {
    r: ImportReport,
    n: Numbers,
    menu: Vec<(MenuItemId, String)>,
    can_map: bool,
    time_zone: chrono_tz::Tz,
}

impl ReportFragment {
    fn local(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&self.time_zone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

/// Imports (or checks) the uploaded file and answers the report as an HTML fragment; a
/// refused upload (not CSV, too large, a mapping naming a missing column) is a 4xx fragment
/// saying why.
async fn upload(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> Result<Response, PageError> {
    let fragment_error = |status: StatusCode, message: String| {
        let html = format!(
            "<p class=\"error\" role=\"alert\" id=\"import-error\">{}</p>",
            super::format::escape(&message)
        );
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response()
    };
    if let Err(e) = larder_app::sales::may_import(&p) {
        return Ok(fragment_error(StatusCode::FORBIDDEN, e.to_string()));
    }
    let _turn = match crate::extract::upload_turn().await {
        Ok(t) => t,
        Err(e) => {
            return Ok(fragment_error(
                StatusCode::SERVICE_UNAVAILABLE,
                e.to_string(),
            ));
        }
    };
    let upload = match crate::extract::spool(req).await {
        Ok(u) => u,
        Err(res) => {
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), 64 * 1024)
                .await
                .unwrap_or_default();
            let detail = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["detail"].as_str().map(str::to_owned))
                .unwrap_or_else(|| status.to_string());
            return Ok(fragment_error(status, detail));
        }
    };
    let source = match q.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => match Code::parse(raw) {
            Ok(c) => Some(c),
            Err(e) => {
                return Ok(fragment_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("source: {e}"),
                ));
            }
        },
        None => None,
    };
    let mode = if q.skip_bad_rows.is_some() {
        ImportMode::SkipBadTickets
    } else {
        ImportMode::AllOrNothing
    };
    let report = match crate::api::sales::import_upload(
        &s,
        p,
        &upload,
        q.location_id,
        source,
        None,
        q.dry_run.is_some(),
        Some(mode),
    )
    .await
    {
        Ok(r) => r,
        Err(e @ (AppError::Validation { .. } | AppError::NotFound(_))) => {
            let status = if matches!(e, AppError::NotFound(_)) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Ok(fragment_error(status, e.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    let settings = s.app.get_settings(p).await?;
    let can_map = p.require(Permission::RecipesWrite).is_ok();
    let menu = if can_map && !report.unmapped.is_empty() {
        let mut items: Vec<(MenuItemId, String)> = s
            .app
            .list_menu_items(p, Some(500), None)
            .await?
            .data
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        items.sort_by_key(|a| a.1.to_lowercase());
        items
    } else {
        Vec::new()
    };
    let fragment = ReportFragment {
        time_zone: settings.time_zone.parse().unwrap_or(chrono_tz::UTC),
        n: Numbers::of(&settings),
        r: report,
        menu,
        can_map,
    };
    let html = fragment
        .render()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

#[derive(Deserialize)]
struct MapForm {
    name: String,
    menu_item_id: MenuItemId,
}

/// Maps a name sold to a menu item, then back to the import page saying so.
async fn map_name(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<MapForm>,
) -> Result<Response, PageError> {
    let name = Name::parse(&f.name).map_err(|e| AppError::invalid("name", e.to_string()))?;
    let a = s
        .app
        .map_sold_name(
            p,
            SaleAliasCommand {
                name,
                menu_item_id: f.menu_item_id,
            },
        )
        .await?;
    let said = format!(
        "{} → {}: {} past line{} in {} sale{} depleted now",
        a.name,
        a.menu_item,
        a.past_lines_mapped,
        if a.past_lines_mapped == 1 { "" } else { "s" },
        a.past_sales_depleted,
        if a.past_sales_depleted == 1 { "" } else { "s" },
    );
    let to = format!(
        "/sales/import?mapped={}",
        form_urlencoded::byte_serialize(said.as_bytes()).collect::<String>()
    );
    Ok(Redirect::to(&to).into_response())
}
