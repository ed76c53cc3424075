//! catalog_csv pages: `/catalog/import` (pick the file's kind, upload or paste it, see every
//! row's action and every bad row, confirm to import) and `/catalog/export/{kind}` (the
//! download). The chosen file comes as a `multipart/form-data` post (read with axum's
//! `Multipart`, under the 1 MiB body limit), so the page works without script; the
//! confirmation, which carries the previewed text, is an ordinary form.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
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

#[derive(Default, Deserialize)]
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
    req: Request,
) -> Result<Response, PageError> {
    let f = read_form(req).await?;
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

/// The upload form (`multipart/form-data`: `kind`, the chosen `file`, or the pasted `csv`)
/// or the confirmation (`application/x-www-form-urlencoded`).
///
/// # Errors
/// 422 on `body` for a form it cannot read.
async fn read_form(req: Request) -> Result<ImportForm, AppError> {
    let bad = |e: &dyn std::fmt::Display| {
        AppError::invalid("body", format!("is not the import form: {e}"))
    };
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(f) = axum::Form::<ImportForm>::from_request(req, &())
            .await
            .map_err(|e| bad(&e))?;
        return Ok(f);
    }
    let mut parts = Multipart::from_request(req, &())
        .await
        .map_err(|e| bad(&e))?;
    let mut f = ImportForm::default();
    let mut file = Vec::new();
    while let Some(field) = parts.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or("").to_owned();
        let value = field.bytes().await.map_err(|e| bad(&e))?;
        match name.as_str() {
            "kind" => f.kind = String::from_utf8_lossy(&value).into_owned(),
            "csv" => f.csv = String::from_utf8_lossy(&value).into_owned(),
            "file" => file = value.to_vec(),
            _ => {}
        }
    }
    if !file.is_empty() {
        // The file's own bytes: one that is not UTF-8 is refused by the import, naming the
        // line; lossy text here is only echoed on that page.
        f.csv = match String::from_utf8(file) {
            Ok(t) => t,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
    }
    Ok(f)
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(content_type: &'static str, body: &'static [u8]) -> Request {
        let mut req = Request::new(Body::from(body));
        *req.method_mut() = axum::http::Method::POST;
        req.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        req
    }

    #[tokio::test]
    async fn the_upload_form_is_read_from_multipart_with_the_file_before_the_pasted_text() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nrecipes\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\nContent-Type: text/csv\r\n\r\nrecipe,quantity\r\nDal,1\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\npasted\r\n--XyZ--\r\n";
        let f = read_form(request("multipart/form-data; boundary=XyZ", body))
            .await
            .unwrap_or_default();
        assert_eq!(f.kind, "recipes");
        assert_eq!(f.csv, "recipe,quantity\r\nDal,1\r\n");
        // Without a file, the pasted text; an urlencoded confirmation reads as a form.
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nitems\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\nname,base_unit\r\n--XyZ--\r\n";
        let f = read_form(request("multipart/form-data; boundary=XyZ", body))
            .await
            .unwrap_or_default();
        assert_eq!(
            (f.kind.as_str(), f.csv.as_str()),
            ("items", "name,base_unit")
        );
        let f = read_form(request(
            "application/x-www-form-urlencoded",
            b"kind=items&csv=a%2Cb&key=k1&confirm=1",
        ))
        .await
        .unwrap_or_default();
        assert_eq!(
            (f.csv.as_str(), f.key.as_str(), f.confirm.is_some()),
            ("a,b", "k1", true)
        );
        assert!(
            read_form(request("multipart/form-data; boundary=XyZ", b"garbage"))
                .await
                .is_err()
        );
    }
}
