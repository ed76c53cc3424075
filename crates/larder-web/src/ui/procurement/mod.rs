//! procurement pages: `/suppliers` (the suppliers, and for those who may, the add form) and
//! `/suppliers/{id}` (a supplier with what it sells: packs in the item's units and the price in
//! force, with the cost per kg, L or each it makes); purchase orders' pages are in
//! [`purchase_orders`], the reorder page (suggestions to draft orders) in [`reorder`],
//! receiving deliveries at the back door in [`receiving`].

mod purchase_orders;
mod receiving;
mod reorder;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use larder_app::AppError;
use larder_app::procurement::{SupplierCommand, SupplierItemQuery, SupplierQuery};
use larder_core::auth::Permission;
use larder_core::{Code, Email, Label, Money, Name, SupplierId};

use super::error::{PageError, render};
use super::format::Numbers;
use super::forms::{Fields, message, opt_text, shown_again, text};
use super::session::Session;
use super::tenancy::with_status;
use crate::AppState;

/// `GET|POST /suppliers`, `GET /suppliers/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/suppliers", get(suppliers).post(create_supplier))
        .route("/suppliers/{id}", get(supplier))
        .merge(purchase_orders::router())
        .merge(reorder::router())
        .merge(receiving::router())
}

const DAYS: [(&str, &str); 7] = [
    ("monday", "Mon"),
    ("tuesday", "Tue"),
    ("wednesday", "Wed"),
    ("thursday", "Thu"),
    ("friday", "Fri"),
    ("saturday", "Sat"),
    ("sunday", "Sun"),
];

/// Order days as people read them (`Mon, Thu`; `any day` for none).
fn days_text(days: &[String]) -> String {
    if days.is_empty() {
        return "any day".into();
    }
    DAYS.iter()
        .filter(|(d, _)| days.iter().any(|x| x == d))
        .map(|(_, short)| *short)
        .collect::<Vec<_>>()
        .join(", ")
}

struct SupplierView {
    id: SupplierId,
    name: String,
    days: String,
    lead_time: String,
    active: bool,
}

/// The add form as typed.
#[derive(Clone, Debug, Default)]
struct SupplierForm {
    name: String,
    email: String,
    phone: String,
    account_number: String,
    days: Vec<String>,
    lead_time_days: String,
    min_order_value: String,
}

#[derive(Template)]
#[template(path = "procurement/suppliers.html")]
struct SuppliersPage {
    nav: &'static str,
    tenant_name: String,
    editable: bool,
    error: Option<String>,
    suppliers: Vec<SupplierView>,
    form: SupplierForm,
    days: [(&'static str, &'static str); 7],
}

async fn suppliers_page(
    s: &AppState,
    p: larder_app::Principal,
    form: SupplierForm,
    error: Option<String>,
) -> Result<SuppliersPage, PageError> {
    let me = s.app.me(p).await?;
    let list = s
        .app
        .list_suppliers(
            p,
            SupplierQuery {
                include_inactive: Some(true),
                limit: Some(500),
                cursor: None,
            },
        )
        .await?;
    Ok(SuppliersPage {
        nav: "suppliers",
        tenant_name: me.tenant_name,
        editable: p.require(Permission::CatalogWrite).is_ok(),
        error,
        suppliers: list
            .data
            .into_iter()
            .map(|v| SupplierView {
                days: days_text(&v.order_days),
                lead_time: match v.lead_time_days {
                    0 => "same day".into(),
                    1 => "1 day".into(),
                    n => format!("{n} days"),
                },
                active: v.active,
                id: v.id,
                name: v.name,
            })
            .collect(),
        form,
        days: DAYS,
    })
}

/// The suppliers (500 at most), active first by name, and the add form.
async fn suppliers(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    let form = SupplierForm {
        lead_time_days: "1".into(),
        ..SupplierForm::default()
    };
    render(&suppliers_page(&s, p, form, None).await?)
}

fn supplier_command(f: &Fields) -> Result<SupplierCommand, AppError> {
    let blank = |n: &str| f.opt(n).map(str::trim).filter(|v| !v.is_empty());
    Ok(SupplierCommand {
        name: text("name", f.get("name"), Name::parse)?,
        email: opt_text("email", blank("email"), Email::parse)?,
        phone: opt_text("phone", blank("phone"), Label::parse)?,
        account_number: opt_text("account_number", blank("account_number"), Code::parse)?,
        order_days: f.all("order_days").into_iter().map(str::to_owned).collect(),
        lead_time_days: match blank("lead_time_days") {
            Some(v) => Some(v.parse::<i32>().map_err(|_| {
                AppError::invalid("lead_time_days", format!("'{v}' is not a number of days"))
            })?),
            None => None,
        },
        min_order_value: match blank("min_order_value") {
            Some(v) => Some(
                Money::parse(v)
                    .map_err(|e| AppError::invalid("min_order_value", format!("'{v}' {e}")))?,
            ),
            None => None,
        },
        currency: None,
        active: None,
    })
}

/// Adds a supplier and opens its page; a refused one shows the list again with what was typed.
async fn create_supplier(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let f = Fields(f);
    let result = match supplier_command(&f) {
        Ok(cmd) => s
            .app
            .create_supplier(p, cmd, None)
            .await
            .map(|r| r.value.id),
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/suppliers/{id}")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let typed = SupplierForm {
                    name: f.get("name").to_owned(),
                    email: f.get("email").to_owned(),
                    phone: f.get("phone").to_owned(),
                    account_number: f.get("account_number").to_owned(),
                    days: f.all("order_days").into_iter().map(str::to_owned).collect(),
                    lead_time_days: f.get("lead_time_days").to_owned(),
                    min_order_value: f.get("min_order_value").to_owned(),
                };
                let page = suppliers_page(&s, p, typed, Some(message(&e))).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

struct SupplierItemView {
    sku: String,
    item: String,
    item_id: larder_core::ItemId,
    pack: String,
    price: String,
    unit_cost: String,
}

#[derive(Template)]
#[template(path = "procurement/supplier.html")]
struct SupplierPage {
    nav: &'static str,
    tenant_name: String,
    name: String,
    contact: Vec<(&'static str, String)>,
    items: Vec<SupplierItemView>,
}

/// One supplier and what it sells.
async fn supplier(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<SupplierId>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let v = s.app.get_supplier(p, id).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let sold = s
        .app
        .list_supplier_items(
            p,
            SupplierItemQuery {
                supplier_id: Some(id),
                item_id: None,
            },
        )
        .await?;
    let mut items = Vec::with_capacity(sold.data.len());
    for si in sold.data {
        let item = s.app.get_item(p, si.item_id).await?;
        let pack = si
            .packs
            .iter()
            .map(|l| match l.unit {
                Some(u) => format!("{} {} {}", l.name, super::format::count(l.quantity), u),
                None => format!("{} of {}", l.name, super::format::count(l.quantity)),
            })
            .collect::<Vec<_>>()
            .join(" × ");
        // Cost of one base unit: the pack's price over its base quantity, to the millionth.
        let unit_cost = si.current_price.and_then(|price| {
            let per = larder_core::decimal::div_round_half_even(
                i128::from(price.raw()) * i128::from(larder_core::Quantity::ONE_RAW),
                i128::from(si.pack_quantity.raw().max(1)),
            );
            i64::try_from(per).ok().map(Money::from_raw)
        });
        items.push(SupplierItemView {
            sku: si.supplier_sku,
            item: item.name,
            item_id: si.item_id,
            pack: format!("{pack} = {}", n.quantity(si.pack_quantity, item.base_unit)),
            price: n.money(si.current_price),
            unit_cost: n.unit_cost(unit_cost, item.base_unit),
        });
    }
    let mut contact = vec![
        ("Orders", days_text(&v.order_days)),
        (
            "Lead time",
            format!(
                "{} day{}",
                v.lead_time_days,
                if v.lead_time_days == 1 { "" } else { "s" }
            ),
        ),
    ];
    if let Some(m) = v.min_order_value {
        contact.push(("Minimum order", n.money(Some(m))));
    }
    for (label, value) in [
        ("Email", v.email.clone()),
        ("Phone", v.phone.clone()),
        ("Account", v.account_number.clone()),
    ] {
        if let Some(value) = value {
            contact.push((label, value));
        }
    }
    if !v.active {
        contact.push(("Status", "inactive".into()));
    }
    render(&SupplierPage {
        nav: "suppliers",
        tenant_name: me.tenant_name,
        name: v.name,
        contact,
        items,
    })
}
