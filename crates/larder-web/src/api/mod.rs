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

/// All API routes, to be nested under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
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
