//! The web UI: server-rendered pages for a manager, working on a phone-sized screen. One
//! module per bounded context that has pages, named as in every other layer (`auth`,
//! `analytics`, `catalog`, `menu`, `tenancy`, with `inventory`'s stock rows that two of them show), each
//! owning its routes and its templates under `templates/<context>/`; beside them the
//! [`session`] extractor (who is asking, and the same-origin rule that stands in for CSRF
//! tokens), the page [`error`]s, the [`format`] helpers, the editing pages' shared [`forms`]
//! parsing and the SVG [`chart`]s.

mod analytics;
mod auth;
mod catalog;
mod catalog_csv;
mod chart;
mod error;
mod format;
mod forms;
mod inventory;
mod menu;
mod procurement;
mod sales;
pub(crate) mod session;
mod tenancy;

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

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(analytics::router())
        .merge(catalog::router())
        .merge(catalog_csv::router())
        .merge(menu::router())
        .merge(sales::router())
        .merge(procurement::router())
        .merge(tenancy::router())
}
