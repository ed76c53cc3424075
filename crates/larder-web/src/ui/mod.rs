//! The web UI: server-rendered pages for a manager, working on a phone-sized screen. One
//! module per bounded context that has pages, named as in every other layer (`auth`,
//! `analytics`, `catalog`, `menu`, `tenancy`, with `inventory`'s stock rows that two of them show), each
//! owning its routes and its templates under `templates/<context>/`; beside them the
//! [`session`] extractor (who is asking, and the same-origin rule that stands in for CSRF
//! tokens), the page [`error`]s, the [`format`] helpers, the editing pages' shared [`forms`]
//! parsing, the SVG [`chart`]s and the lines pages' [`scan`] box.

mod alerts;
mod analytics;
mod audit;
mod auth;
mod catalog;
mod catalog_csv;
mod chart;
mod error;
mod format;
mod forms;
mod inventory;
mod kitchen;
mod mail;
mod menu;
mod procurement;
mod sales;
mod scan;
pub(crate) mod session;
mod tenancy;
mod webhooks;

use axum::Router;

use crate::AppState;

/// Every page: `/login`, `/logout`, `/signup`, `/signup/confirm`, `/` (dashboard, with the
/// first-run checklist), `/items` (and `/items/new`, `/items/{id}`, `/items/{id}/edit`, par
/// levels, retire), `/recipes` (and `/recipes/new`, `/recipes/{id}`, `/recipes/{id}/edit`,
/// `/recipes/cost`, retire), `/menu` and `/menu-items/...`, `/catalog/import`, `/catalog/export/{kind}`, `/sales/import`,
/// `/locations`, `/members`,
/// `/settings`. Pages other than login and logout take a [`session::Session`], which sends a
/// browser without one to `/login`; its same-origin rule guards every form post.
/// The Content-Security-Policy of a page that runs one of the app's own scripts (the recipe
/// form's live cost, the sales upload's progress): every other page keeps the default,
/// `script-src 'none'`.
const SCRIPT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// Lets `res` (a page) run the app's own scripts, and no others.
pub(crate) fn with_script(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(SCRIPT_CSP),
    );
    res
}

/// htmx 2.0.11 (`htmx.org` on npm, `dist/htmx.min.js`, Zero-Clause BSD licence; sha256
/// d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717), served as
/// `/assets/htmx.min.js` for the pages that update part of themselves (a count line, a
/// waste entry): each works without it, as a plain form post, on a slow or script-less phone.
/// Pages that load it answer with [`with_script`]; `hx-on` attributes need `eval` and are not
/// used.
const HTMX: &str = include_str!("../../assets/htmx.min.js");

/// The script that keeps a page's `data-live` parts current from the event stream (its
/// contract is at the top of the file, and in ADR 025).
const LIVE_JS: &str = include_str!("../../assets/live.js");

async fn live_js() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        LIVE_JS,
    )
        .into_response()
}

async fn htmx() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        HTMX,
    )
        .into_response()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/htmx.min.js", axum::routing::get(htmx))
        .route("/assets/live.js", axum::routing::get(live_js))
        .merge(auth::router())
        .merge(analytics::router())
        .merge(catalog::router())
        .merge(catalog_csv::router())
        .merge(menu::router())
        .merge(sales::router())
        .merge(procurement::router())
        .merge(tenancy::router())
        .merge(inventory::waste::router())
        .merge(inventory::production::router())
        .merge(inventory::transfers::router())
        .merge(inventory::counts::router())
        .merge(scan::router())
        .merge(audit::router())
        .merge(webhooks::router())
        .merge(alerts::router())
        .merge(mail::router())
        .merge(kitchen::router())
}
