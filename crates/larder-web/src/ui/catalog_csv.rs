//! catalog_csv pages: `/catalog/import` (pick the file's kind, upload or paste it, see every
//! row's action and every bad row, confirm to import) and `/catalog/export/{kind}` (the
//! download). Without multipart forms, a line of script reads the chosen file into the form's
//! text field; pasting works without it.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use larder_app::catalog_csv::{CatalogImport, CatalogKind};
use larder_app::{AppError, IdempotencyKey};
use serde::Deserialize;

use super::error::{PageError, render};
use super::session::{SameOrigin, Session};
use crate::AppState;

/// `GET /catalog/import`, `POST /catalog/import`, `GET /catalog/export/{kind}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog/import", get(import_page).post(import))
        .route("/catalog/export/{kind}", get(export))
}

const KINDS: [(&str, &str); 3] = [
    ("items", "Items"),
    ("recipes", "Recipes"),
    ("menu_items", "Menu items"),
];

/// The preview as the page shows it.
struct PreviewView {
    kind: CatalogKind,
    kind_label: &'static str,
    rows: Vec<larder_app::catalog_csv::PlannedRow>,
    errors: Vec<larder_app::sales::RowError>,
    created: usize,
    updated: usize,
    unchanged: usize,
}

impl From<CatalogImport> for PreviewView {
    fn from(r: CatalogImport) -> Self {
        Self {
            kind_label: label(r.kind),
            kind: r.kind,
            rows: r.rows,
            errors: r.errors,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
        }
    }
}

fn label(kind: CatalogKind) -> &'static str {
    match kind {
        CatalogKind::Items => "items",
        CatalogKind::Recipes => "recipes",
        CatalogKind::MenuItems => "menu items",
    }
}

#[derive(Template)]
#[template(path = "catalog_csv/import.html")]
struct ImportPage {
    nav: &'static str,
    tenant_name: String,
    kinds: &'static [(&'static str, &'static str)],
    kind: String,
    csv: String,
    key: String,
    error: Option<String>,
    done: Option<String>,
    preview: Option<PreviewView>,
}

impl ImportPage {
    fn new(tenant_name: String) -> Self {
        Self {
            nav: "items",
            tenant_name,
            kinds: &KINDS,
            kind: "items".into(),
            csv: String::new(),
            key: String::new(),
            error: None,
            done: None,
            preview: None,
        }
    }
}

async fn import_page(
    State(s): State<AppState>,
    Session(p): Session,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    render(&ImportPage::new(me.tenant_name))
}

#[derive(Deserialize)]
struct ImportForm {
    kind: String,
    #[serde(default)]
    csv: String,
    /// The preview's `Idempotency-Key`, so a resent confirmation imports once.
    #[serde(default)]
    key: String,
    /// Present on the confirmation.
    #[serde(default)]
    confirm: Option<String>,
}

/// Previews a file (the first post) or imports it (the confirmation). A refused file shows
/// the page again (422) with the reason, or the preview's bad rows.
async fn import(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<ImportForm>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let mut page = ImportPage::new(me.tenant_name);
    page.kind = f.kind.clone();
    let kind: CatalogKind = f
        .kind
        .parse()
        .map_err(|e: String| AppError::invalid("kind", e))?;
    let confirm = f.confirm.is_some();
    let key = if confirm {
        Some(IdempotencyKey::parse(&f.key)?)
    } else {
        None
    };
    // Browsers send a textarea's line ends as CRLF; the file's lines are the same either way.
    let csv = f.csv;
    match s
        .app
        .import_catalog(p, kind, csv.clone().into_bytes(), !confirm, key)
        .await
    {
        Ok(r) if r.value.committed => {
            let v = r.value;
            page.done = Some(format!(
                "Imported {}.csv: {} created, {} updated, {} unchanged.",
                v.kind, v.created, v.updated, v.unchanged
            ));
            render(&page)
        }
        Ok(r) => {
            page.key = uuid::Uuid::now_v7().to_string();
            let bad = !r.value.errors.is_empty();
            page.preview = Some(PreviewView::from(r.value));
            page.csv = csv;
            let mut res = render(&page)?;
            if bad {
                *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Ok(res)
        }
        Err(e @ AppError::Validation { .. }) => {
            page.error = Some(e.to_string());
            page.csv = csv;
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// The file to download.
async fn export(
    State(s): State<AppState>,
    Session(p): Session,
    Path(kind): Path<String>,
) -> Result<Response, PageError> {
    let kind: CatalogKind = kind
        .parse()
        .map_err(|e: String| AppError::invalid("kind", e))?;
    let csv = s.app.export_catalog(p, kind).await?;
    let mut res = csv.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{kind}.csv\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
