//! catalog_csv: `/catalog/export/{kind}` (the tenant's items, recipes or menu items as a CSV
//! file) and `/catalog/import/{kind}` (a CSV file in the same layout, previewed with
//! `?dry_run=true` or written all-or-nothing). Layouts: `docs/catalog-csv.md`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use larder_app::AppError;
use larder_app::catalog_csv::{CatalogImport, CatalogKind, ImportQuery};
use larder_app::sales::RowError;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult, PROBLEM_JSON};
use crate::extract::{ApiCsv, ApiPath, ApiQuery, Auth, IdemKey};

/// The catalog CSV routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_catalog))
        .routes(routes!(import_catalog))
}

/// The `{kind}` path parameter: `items`, `recipes` or `menu_items`.
fn kind_of(raw: &str) -> Result<CatalogKind, ApiError> {
    raw.parse()
        .map_err(|e: String| ApiError(AppError::invalid("kind", e)))
}

/// The 422 a commit with bad rows gets: a problem whose `errors` lists every bad row.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BadRowsProblem {
    /// `/problems/bad-rows` (or `/problems/validation` for a file that is not CSV).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short title.
    pub title: String,
    /// 422.
    pub status: u16,
    /// How many rows are bad; nothing was imported.
    pub detail: String,
    /// `body`, `header` or the parameter at fault.
    pub field: Option<String>,
    /// Every bad row: line (the header is line 1), column, message. Absent for a file that is
    /// not CSV, which `detail` explains naming the line.
    pub errors: Option<Vec<RowError>>,
}

fn bad_rows(report: CatalogImport) -> Response {
    let problem = BadRowsProblem {
        kind: "/problems/bad-rows".into(),
        title: "Bad rows".into(),
        status: 422,
        detail: format!(
            "{} bad row(s) in {}.csv: nothing was imported",
            report.errors.len(),
            report.kind
        ),
        field: Some("body".into()),
        errors: Some(report.errors),
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut res = (StatusCode::UNPROCESSABLE_ENTITY, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

#[utoipa::path(get, path = "/catalog/export/{kind}", tag = "catalog_csv", params(("kind" = CatalogKind, Path, description = "items, recipes or menu_items")), responses((status = 200, description = "The file (UTF-8, header first), as `docs/catalog-csv.md` describes", body = String, content_type = "text/csv"), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks catalog.read (items) or recipes.read (recipes, menu items)", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Unknown kind", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn export_catalog(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(kind): ApiPath<String>,
) -> ApiResult<Response> {
    let kind = kind_of(&kind)?;
    let csv = s.app.export_catalog(p, kind).await?;
    let disposition = format!("attachment; filename=\"{kind}.csv\"");
    let mut res = csv.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[utoipa::path(post, path = "/catalog/import/{kind}", tag = "catalog_csv", params(("kind" = CatalogKind, Path, description = "items, recipes or menu_items"), ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body(content = String, content_type = "text/csv", description = "The file, UTF-8, header first (`docs/catalog-csv.md`), at most 1 MiB and 10,000 rows"), responses((status = 200, description = "The preview (`dry_run=true`: nothing written, bad rows listed) or the import (written)", body = CatalogImport), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks catalog.write (and recipes.write for recipes and menu items)", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "The Idempotency-Key was used for another file", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "A record changed while the import was written; preview again", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 415, description = "The body is not text/csv", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Bad rows (every one listed in `errors`; nothing was imported), or a body that is not UTF-8 CSV with the kind's columns (the line named in `detail`)", body = BadRowsProblem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn import_catalog(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    IdemKey(k): IdemKey,
    ApiCsv(body): ApiCsv,
) -> ApiResult<Response> {
    let kind = kind_of(&kind)?;
    let dry_run = q.dry_run.unwrap_or(false);
    let r = s.app.import_catalog(p, kind, body, dry_run, k).await?;
    if !dry_run && !r.value.committed {
        return Ok(bad_rows(r.value));
    }
    let mut res = Json(r.value).into_response();
    if r.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}
