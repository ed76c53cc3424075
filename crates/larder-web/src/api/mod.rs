//! The JSON API under `/api/v1`. Each context owns its router and the OpenAPI paths of its
//! handlers (`utoipa-axum`); this module mounts them and serves the document.

mod analytics;
mod auth;
mod catalog;
mod inventory;
mod menu;
mod sales;
mod tenancy;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use larder_app::Idempotent;
use serde::Serialize;

use crate::AppState;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI 3.1 document's frame: title, security scheme, tags. Each context's router
/// brings its own paths (`OpenApiRouter`), so a new context is documented by being mounted.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Larder API", description = "Restaurant inventory on one exact stock ledger. Quantities are decimal strings in thousandths of the item's base unit; money decimal strings in millionths of the tenant's currency. Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
    tags(
        (name = "tenancy", description = "Locations"),
        (name = "auth", description = "Tenants, people, tokens"),
        (name = "catalog", description = "Items and par levels"),
        (name = "inventory", description = "The stock ledger"),
        (name = "menu", description = "Recipes and menu items, costed"),
        (name = "sales", description = "Sales and theoretical depletion"),
        (name = "reports", description = "Usage and menu mix"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every context's routes, with the OpenAPI document they describe, to be nested under
/// `/api/v1`.
fn contexts(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(tenancy::router())
        .merge(auth::router(state))
        .merge(catalog::router())
        .merge(inventory::router())
        .merge(menu::router())
        .merge(sales::router())
        .merge(analytics::router())
}

/// The API routes, under `/api/v1`, and `/api/v1/openapi.json` serving their document (rendered
/// once).
pub fn router(state: AppState) -> Router<AppState> {
    let (routes, doc) = OpenApiRouter::new()
        .nest("/api/v1", contexts(state))
        .split_for_parts();
    let json: axum::body::Bytes = serde_json::to_vec(&doc).unwrap_or_default().into();
    let served = axum::routing::get(move || {
        let json = json.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], json).into_response() }
    });
    routes.route("/api/v1/openapi.json", served)
}

/// A 201 answer with the created resource, its `Location`, and `Idempotent-Replayed: true`
/// when it repeats an earlier answer.
pub(crate) fn created<T: Serialize>(result: Idempotent<T>, location: String) -> Response {
    let mut res = (StatusCode::CREATED, axum::Json(result.value)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    if result.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}
