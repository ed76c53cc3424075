//! The JSON API under `/api/v1`. Each context owns its router; they are merged here.

mod auth;
mod catalog;
mod inventory;
mod menu;
mod reports;
mod sales;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use larder_app::Idempotent;
use serde::Serialize;

use crate::AppState;

/// The OpenAPI 3.1 document of the API, generated from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Larder API", description = "Restaurant inventory on one exact stock ledger. Quantities are decimal strings in thousandths of the item's base unit; money decimal strings in millionths of the tenant's currency. Errors are RFC 9457 problem+json."),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, auth::me, auth::add_member,
        catalog::create_item, catalog::get_item, catalog::update_item, catalog::list_items, catalog::set_par_level,
        catalog::create_location, catalog::get_location, catalog::update_location, catalog::list_locations,
        inventory::list_stock, inventory::list_movements, inventory::post_adjustment,
        menu::create_recipe, menu::get_recipe, menu::list_recipes, menu::create_menu_item, menu::list_menu_items,
        sales::post_sale, sales::get_sale, sales::list_sales, sales::unmapped,
        reports::usage, reports::top_menu_items,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Tenants, people, tokens"),
        (name = "catalog", description = "Items, locations, par levels"),
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

async fn openapi_json() -> Response {
    use utoipa::OpenApi;
    axum::Json(ApiDoc::openapi()).into_response()
}

/// All API routes, to be nested under `/api/v1`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/openapi.json", axum::routing::get(openapi_json))
        .merge(auth::router(state))
        .merge(catalog::router())
        .merge(inventory::router())
        .merge(menu::router())
        .merge(sales::router())
        .merge(reports::router())
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
