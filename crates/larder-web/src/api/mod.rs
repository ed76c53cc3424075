//! The JSON API under `/api/v1`. Each context owns its router and the OpenAPI paths of its
//! handlers (`utoipa-axum`); this module mounts them and serves the document.

mod alerts;
mod analytics;
mod audit;
mod auth;
mod catalog;
mod catalog_csv;
mod corrections;
mod events;
mod inventory;
mod kitchen;
mod mail;
mod menu;
mod procurement;
pub(crate) mod sales;
mod tenancy;
mod webhooks;

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
        (name = "catalog_csv", description = "The catalog (items, recipes, menu items) as CSV files: export, and import with a preview"),
        (name = "inventory", description = "The stock ledger"),
        (name = "menu", description = "Recipes and menu items, costed"),
        (name = "sales", description = "Sales and theoretical depletion"),
        (name = "reports", description = "Usage and menu mix"),
        (name = "procurement", description = "Suppliers, their items and prices, purchase orders and reorder suggestions"),
        (name = "events", description = "Domain events: read after a sequence number, or live as server-sent events"),
        (name = "audit", description = "The hash-chained audit log (owners and admins)"),
        (name = "alerts", description = "Alert rules, the alerts they raise and resolve, each member's notification centre and preferences"),
        (name = "webhooks", description = "Subscriptions to events, signed per Standard Webhooks, with their delivery log (owners and admins)"),
        (name = "kitchen", description = "Stations and their queues, workflow templates, customer orders with their tasks and quoted ready times, and the kitchen display's bumps"),
        (name = "mail", description = "The delivery log of outgoing mail: alerts, digests and purchase orders emailed to suppliers (owners and admins)"),
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
        .merge(catalog_csv::router())
        .merge(inventory::router())
        .merge(menu::router())
        .merge(sales::router())
        .merge(analytics::router())
        .merge(procurement::router())
        .merge(corrections::router())
        .merge(inventory::transfers::router())
        .merge(inventory::counts::router())
        .merge(events::router())
        .merge(audit::router())
        .merge(webhooks::router())
        .merge(alerts::router())
        .merge(mail::router())
        .merge(kitchen::router())
}

/// The API routes, under `/api/v1`, and `/api/v1/openapi.json` serving their document (rendered
/// once).
pub fn router(state: AppState) -> Router<AppState> {
    let (routes, mut doc) = OpenApiRouter::new()
        .nest("/api/v1", contexts(state))
        .split_for_parts();
    document_common_answers(&mut doc);
    let json: axum::body::Bytes = serde_json::to_vec(&doc).unwrap_or_default().into();
    let served = axum::routing::get(move || {
        let json = json.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], json).into_response() }
    });
    routes.route("/api/v1/openapi.json", served)
}

/// Adds to every operation the answers any request can get, so each operation documents every
/// status it can answer without each handler repeating them:
///
/// - 500 (a fault) and 503 (the database is unreachable or overloaded, or the request took
///   longer than the server's time limit), with `Retry-After`;
/// - with a request body: 413 (over [`crate::extract::BODY_LIMIT_BYTES`]), 415 (not the
///   media type the body is documented in: JSON, or CSV for the catalog import) and 422
///   (malformed or invalid);
/// - with parameters: 422 (a malformed parameter, named in `field`);
/// - when authenticated: 401, 403 (the role lacks the permission; not for `/auth/me`) and 404
///   (the resource, or one the request names, does not exist in the caller's tenant);
/// - with an `Idempotency-Key`: 409 (the key was used for another request).
///
/// It also gives the `Idempotency-Key` and `If-Match` headers the patterns the server checks.
fn document_common_answers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::Operation;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                crate::error::PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ProblemDoc")))
                    .build(),
            )
            .build()
    };
    let add = |op: &mut Operation, status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description).into());
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for op in ops.into_iter().flatten() {
            for p in op.parameters.iter_mut().flatten() {
                if let utoipa::openapi::RefOr::T(p) = p {
                    let pattern = match p.name.to_ascii_lowercase().as_str() {
                        "idempotency-key" => "^[!-~]{1,255}$",
                        "if-match" => "^(W/)?\"[0-9]{1,18}\"$",
                        _ => continue,
                    };
                    p.schema = Some(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::schema::Type::String)
                            .pattern(Some(pattern))
                            .into(),
                    );
                }
            }
            add(op, "500", "Internal error (no detail; the cause is logged)");
            add(
                op,
                "503",
                "The database is unavailable or overloaded, or the request took too long; retry after `Retry-After` seconds",
            );
            if let Some(body) = &op.request_body {
                let csv = matches!(body, utoipa::openapi::RefOr::T(b) if b.content.contains_key("text/csv"));
                let media = if csv { "text/csv" } else { "application/json" };
                add(op, "413", "The body is larger than 1 MiB");
                add(op, "415", &format!("The body is not {media}"));
                add(op, "422", "Invalid field (named in `field`)");
            }
            let params = op.parameters.as_ref().map_or(0, Vec::len);
            if params > 0 {
                add(op, "422", "Invalid field (named in `field`)");
            }
            let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if authenticated {
                add(op, "401", "Not authenticated");
                if !path.ends_with("/auth/me") {
                    add(op, "403", "Role lacks the permission");
                    add(op, "404", "Not found in your tenant");
                }
            }
            let keyed = op.parameters.iter().flatten().any(|p| {
                matches!(p, utoipa::openapi::RefOr::T(p) if p.name.eq_ignore_ascii_case("Idempotency-Key"))
            });
            if keyed {
                add(
                    op,
                    "409",
                    "The Idempotency-Key was used for a different request, or a unique field is taken",
                );
            }
        }
    }
}

/// A 200 answer with `body` and its version as the `ETag`.
pub(crate) fn with_etag(version: i64, body: impl Serialize) -> Response {
    let mut res = axum::Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&crate::extract::etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
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
