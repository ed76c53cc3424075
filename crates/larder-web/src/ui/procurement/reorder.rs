//! The reorder page, phone first and without scripts: `/reorder` picks a location (when the
//! member has more than one) and shows its suggestions as one card per supplier (item, on
//! hand, projected stock at delivery, suggested packs to edit, value, the group's total
//! against the supplier's minimum order); "Create draft orders" posts the packs and opens the
//! purchase orders list at its drafts.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use larder_app::AppError;
use larder_app::procurement::reorder::{
    ReorderChoice, ReorderOrderCommand, ReorderQuery, ReorderSuggestions,
};
use larder_core::auth::Permission;
use larder_core::{LocationId, Money};

use super::super::error::{PageError, render};
use super::super::format::Numbers;
use super::super::forms::{Fields, message, shown_again};
use super::super::session::Session;
use super::super::tenancy::with_status;
use crate::AppState;

/// `GET|POST /reorder`.
pub fn router() -> Router<AppState> {
    Router::new().route("/reorder", get(page).post(create))
}

struct LineView {
    supplier_item_id: String,
    item: String,
    pack: String,
    on_hand: String,
    projected: String,
    usage: String,
    packs: String,
    moq: i32,
    value: String,
}

struct GroupView {
    id: String,
    supplier: String,
    expected: String,
    total: String,
    minimum: Option<String>,
    below_minimum: bool,
    lines: Vec<LineView>,
}

struct NeedView {
    item: String,
    on_hand: String,
    needed: String,
}

#[derive(Template)]
#[template(path = "procurement/reorder.html")]
struct ReorderPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    locations: Vec<(LocationId, String)>,
    location_id: String,
    location_name: String,
    days: u32,
    writable: bool,
    groups: Vec<GroupView>,
    no_supplier: Vec<NeedView>,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    location_id: Option<String>,
    days: Option<String>,
}

/// An amount of a supplier's currency: with the tenant's symbol when it is the tenant's.
fn amount(n: &Numbers, tenant_currency: &str, currency: &str, m: Option<Money>) -> String {
    match m {
        Some(m) if currency != tenant_currency => format!("{m} {currency}"),
        m => n.money(m),
    }
}

/// The page for `location` (else the member's only location, else a picker), with the packs
/// typed before (by supplier item) in place of the suggested ones.
async fn reorder_page(
    s: &AppState,
    p: larder_app::Principal,
    location: Option<String>,
    days: Option<u32>,
    typed: &HashMap<String, String>,
    error: Option<String>,
) -> Result<ReorderPage, PageError> {
    p.require(Permission::PurchaseOrdersRead)?;
    let me = s.app.me(p).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let locations: Vec<(LocationId, String)> = s
        .app
        .list_locations(p, Some(500), None)
        .await?
        .data
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let chosen = match location.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(
            l.parse::<LocationId>()
                .map_err(|_| AppError::NotFound("location"))?,
        ),
        None if locations.len() == 1 => locations.first().map(|(id, _)| *id),
        None => None,
    };
    let mut out = ReorderPage {
        nav: "reorder",
        tenant_name: me.tenant_name,
        error,
        location_id: chosen.map(|l| l.to_string()).unwrap_or_default(),
        location_name: String::new(),
        locations,
        days: days.unwrap_or(28),
        writable: p.require(Permission::PurchaseOrdersWrite).is_ok(),
        groups: Vec::new(),
        no_supplier: Vec::new(),
    };
    let Some(location_id) = chosen else {
        return Ok(out);
    };
    let r: ReorderSuggestions = s
        .app
        .reorder_suggestions(
            p,
            ReorderQuery {
                location_id,
                days,
                as_of: None,
            },
        )
        .await?;
    out.location_name = r.location_name;
    out.days = r.days;
    let cur = settings.currency.clone();
    out.groups = r
        .suppliers
        .into_iter()
        .map(|g| GroupView {
            id: g.supplier_id.to_string(),
            supplier: g.supplier_name,
            expected: g.expected_delivery.format("%a %-d %b").to_string(),
            total: amount(&n, &cur, &g.currency, Some(g.total)),
            minimum: g
                .min_order_value
                .map(|m| amount(&n, &cur, &g.currency, Some(m))),
            below_minimum: g.below_minimum,
            lines: g
                .lines
                .into_iter()
                .map(|l| {
                    let id = l.supplier_item_id.to_string();
                    LineView {
                        packs: typed
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| l.suggested_packs.to_string()),
                        supplier_item_id: id,
                        item: l.item_name,
                        pack: l.pack,
                        on_hand: n.quantity(l.on_hand, l.base_unit),
                        projected: n.quantity(l.projected, l.base_unit),
                        usage: n.quantity(l.daily_usage, l.base_unit),
                        moq: l.moq_packs,
                        value: amount(&n, &cur, &g.currency, l.line_value),
                    }
                })
                .collect(),
        })
        .collect();
    out.no_supplier = r
        .no_supplier
        .into_iter()
        .map(|l| NeedView {
            item: l.item_name,
            on_hand: n.quantity(l.on_hand, l.base_unit),
            needed: n.quantity(l.needed, l.base_unit),
        })
        .collect();
    Ok(out)
}

/// `days` as typed: empty is the default; anything else must be a whole number.
fn days_of(s: Option<&str>) -> Result<Option<u32>, AppError> {
    match s.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d
            .parse::<u32>()
            .map(Some)
            .map_err(|_| AppError::invalid("days", format!("'{d}' is not a whole number of days"))),
        None => Ok(None),
    }
}

/// The suggestions for a location (or the location picker).
async fn page(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let days = days_of(q.days.as_deref())?;
    render(&reorder_page(&s, p, q.location_id, days, &HashMap::new(), None).await?)
}

/// Creates one draft per supplier from the packs on the page and opens the drafts; a refused
/// one shows the page again with the packs as typed.
async fn create(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::PurchaseOrdersWrite)?;
    let f = Fields(f);
    let location = f.get("location_id").to_owned();
    let days = days_of(f.opt("days")).ok().flatten();
    let ids = f.all("supplier_item_id");
    let packs = f.all("packs");
    let typed: HashMap<String, String> = ids
        .iter()
        .zip(packs.iter().chain(std::iter::repeat(&"")))
        .map(|(i, n)| ((*i).to_owned(), (*n).to_owned()))
        .collect();
    let result = async {
        let location_id: LocationId = location
            .parse()
            .map_err(|_| AppError::invalid("location_id", "choose a location"))?;
        let mut lines = Vec::new();
        for (i, (id, n)) in ids
            .iter()
            .zip(packs.iter().chain(std::iter::repeat(&"")))
            .enumerate()
        {
            let n = n.trim();
            let packs = if n.is_empty() {
                0
            } else {
                n.parse::<i32>().map_err(|_| {
                    AppError::invalid(
                        format!("lines[{i}].packs"),
                        format!("'{n}' is not a whole number of packs"),
                    )
                })?
            };
            lines.push(ReorderChoice {
                supplier_item_id: id.parse().map_err(|_| {
                    AppError::invalid(
                        format!("lines[{i}].supplier_item_id"),
                        "is not a supplier item",
                    )
                })?,
                packs,
            });
        }
        s.app
            .create_reorder_purchase_orders(
                p,
                ReorderOrderCommand {
                    location_id,
                    lines,
                    all_suggested: false,
                    days: None,
                },
                None,
            )
            .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/purchase-orders?status=draft").into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page =
                    reorder_page(&s, p, Some(location), days, &typed, Some(message(&e))).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}
