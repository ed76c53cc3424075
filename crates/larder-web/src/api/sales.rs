//! sales: `/sales`, `/sales/unmapped`, the POS export import (`/sales/imports`, its
//! presets and the tenant's saved mapping) and POS aliases (`/sales/aliases`).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::sales::SaleCommand;
use larder_core::SaleId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey};

/// Sales' routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sales, post_sale))
        .routes(routes!(unmapped))
        .routes(routes!(get_sale))
        .routes(routes!(import_sales))
        .routes(routes!(import_presets))
        .routes(routes!(get_import_mapping, put_import_mapping))
        .routes(routes!(list_aliases, post_alias))
}

/// A built-in mapping's name.
#[derive(Clone, Copy, Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PresetName {
    /// Columns found by header name.
    Generic,
    /// The London takeaway's export.
    Takeaway,
}

impl PresetName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PresetName::Generic => "generic",
            PresetName::Takeaway => "takeaway",
        }
    }
}

/// Where and how to import.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    /// The location sold at.
    location_id: larder_core::LocationId,
    /// The POS's name (default `pos-<location_id>`, one per location, since tills number their
    /// tickets apart): a ticket number already imported under it is skipped.
    #[param(value_type = Option<String>, max_length = 64)]
    source: Option<larder_core::Code>,
    /// A built-in mapping instead of the tenant's saved one.
    preset: Option<PresetName>,
    /// Read the file and report what would be imported; write nothing.
    dry_run: Option<bool>,
    /// Bad rows: `all_or_nothing` (default) or `skip_bad_tickets`.
    mode: Option<larder_app::sales::ImportMode>,
}

#[utoipa::path(post, path = "/sales/imports", tag = "sales", params(ImportQuery), request_body(content = String, content_type = "text/csv", description = "The POS export, at most 64 MiB"), responses((status = 200, description = "Imported, or with dry_run what would be; bad rows listed by line and column (nothing written when aborted)", body = larder_app::sales::ImportReport), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 413, description = "Over the upload limit", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 415, description = "Not text/csv", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "A missing column, a mapping naming a column the file lacks, or not CSV", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn import_sales(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    req: axum::extract::Request,
) -> Result<Response, Response> {
    let refuse = |e: larder_app::AppError| crate::error::ApiError(e).into_response();
    // Who may import is known before a byte of the file is read.
    larder_app::sales::may_import(&p).map_err(refuse)?;
    let _turn = crate::extract::upload_turn().await.map_err(refuse)?;
    let upload = crate::extract::spool(req).await?;
    let report = import_upload(
        &s,
        p,
        &upload,
        q.location_id,
        q.source,
        q.preset,
        q.dry_run.unwrap_or(false),
        q.mode,
    )
    .await
    .map_err(|e| crate::error::ApiError(e).into_response())?;
    Ok(Json(report).into_response())
}

/// Imports a spooled upload with a preset or the tenant's saved mapping (shared with the UI).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn import_upload(
    s: &AppState,
    p: larder_app::Principal,
    upload: &crate::extract::Upload,
    location_id: larder_core::LocationId,
    source: Option<larder_core::Code>,
    preset: Option<PresetName>,
    dry_run: bool,
    mode: Option<larder_app::sales::ImportMode>,
) -> Result<larder_app::sales::ImportReport, larder_app::AppError> {
    let mapping = match preset {
        Some(name) => larder_app::sales::mapping::preset(name.as_str())?,
        None => s.app.sales_import_mapping(p).await?.mapping,
    };
    let path = upload.file.to_path_buf();
    let lines: larder_app::sales::Opener = std::sync::Arc::new(move || {
        std::fs::File::open(&path)
            .map(|f| Box::new(std::io::BufReader::new(f)) as Box<dyn std::io::Read + Send>)
    });
    s.app
        .import_sales_for(
            p,
            larder_app::sales::ImportTarget {
                location_id,
                source: source.map_or_else(
                    || format!("pos-{location_id}"),
                    larder_core::Code::into_string,
                ),
            },
            larder_app::sales::ImportRequest {
                lines,
                tickets: None,
                mapping,
                mode: mode.unwrap_or(larder_app::sales::ImportMode::AllOrNothing),
                dry_run,
            },
        )
        .await
}

#[utoipa::path(get, path = "/sales/import-presets", tag = "sales", responses((status = 200, description = "The built-in mappings", body = Vec<larder_app::sales::Preset>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn import_presets(Auth(_p): Auth) -> ApiResult<Response> {
    Ok(Json(larder_app::sales::presets()).into_response())
}

#[utoipa::path(get, path = "/sales/import-mapping", tag = "sales", responses((status = 200, description = "The tenant's mapping (the generic one until saved)", body = larder_app::sales::SavedMapping), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_import_mapping(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Response> {
    Ok(Json(s.app.sales_import_mapping(p).await?).into_response())
}

#[utoipa::path(put, path = "/sales/import-mapping", tag = "sales", request_body = larder_app::sales::SalesMapping, responses((status = 200, description = "Saved", body = larder_app::sales::SavedMapping), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn put_import_mapping(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(m): ApiJson<larder_app::sales::SalesMapping>,
) -> ApiResult<Response> {
    Ok(Json(s.app.save_sales_import_mapping(p, m).await?).into_response())
}

#[utoipa::path(get, path = "/sales/aliases", tag = "sales", responses((status = 200, description = "Names the POS sells mapped to menu items", body = larder_app::Page<larder_app::sales::SaleAlias>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_aliases(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(larder_app::Page {
        data: s.app.list_sale_aliases(p).await?,
        next_cursor: None,
    })
    .into_response())
}

#[utoipa::path(post, path = "/sales/aliases", tag = "sales", request_body = larder_app::sales::SaleAliasCommand, responses((status = 201, description = "Mapped: sales under this name deplete the menu item's recipe from now on", body = larder_app::sales::SaleAlias), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn post_alias(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<larder_app::sales::SaleAliasCommand>,
) -> ApiResult<Response> {
    let a = s.app.map_sold_name(p, cmd).await?;
    Ok((axum::http::StatusCode::CREATED, Json(a)).into_response())
}

#[utoipa::path(post, path = "/sales", tag = "sales", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::sales::SaleCommand, responses((status = 201, description = "Recorded and depleted", body = larder_app::sales::Sale), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn post_sale(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<SaleCommand>,
) -> ApiResult<Response> {
    let r = s.app.post_sale(p, cmd, k).await?;
    let location = format!("/api/v1/sales/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/sales/{id}", tag = "sales", params(("id" = larder_core::SaleId, Path)), responses((status = 200, description = "OK", body = larder_app::sales::Sale), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_sale(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SaleId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_sale(p, id).await?).into_response())
}

#[utoipa::path(get, path = "/sales", tag = "sales", params(larder_app::page::PageQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::sales::Sale>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_sales(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<larder_app::page::PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_sales(p, q.limit, q.cursor).await?).into_response())
}

/// A name sold that maps to no menu item.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct UnmappedName {
    /// The name as sold.
    item_name: String,
    /// Lines that carried it.
    lines: i64,
    /// Total count sold.
    quantity: larder_core::Quantity,
}

#[utoipa::path(get, path = "/sales/unmapped", tag = "sales", responses((status = 200, description = "OK", body = larder_app::Page<UnmappedName>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn unmapped(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let rows = s.app.unmapped_sales(p).await?;
    let data = rows
        .into_iter()
        .map(|r| UnmappedName {
            item_name: r.item_name,
            lines: r.lines,
            quantity: r.quantity,
        })
        .collect();
    Ok(Json(larder_app::Page {
        data,
        next_cursor: None,
    })
    .into_response())
}
