//! procurement: the suppliers a tenant buys from (issue 8's first part). Suppliers are
//! catalog data: `catalog.read` to see them, `catalog.write` to add and change them; approving
//! purchase orders will have its own scope.

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::procurement::OrderDays;
use larder_core::tenancy::CurrencyCode;
use larder_core::{Code, Email, Label, Money, Name, SupplierId};
use larder_store::{Mode, SupplierRow, run_tenant};
use serde::{Deserialize, Serialize};

use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Procurement's constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[("suppliers_name", "name")]);

/// The longest lead time a supplier may state, in days.
pub const MAX_LEAD_TIME_DAYS: i32 = 90;

/// A supplier as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Supplier {
    /// Id.
    pub id: SupplierId,
    /// Name.
    pub name: String,
    /// Where orders go.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// The tenant's account number with the supplier.
    pub account_number: Option<String>,
    /// Days the supplier takes orders, Monday first (`["monday", "thursday"]`).
    pub order_days: Vec<String>,
    /// Days from order to delivery.
    pub lead_time_days: i32,
    /// Smallest order the supplier takes, in `currency`.
    pub min_order_value: Option<Money>,
    /// ISO 4217 code of the supplier's prices.
    pub currency: String,
    /// False when no longer ordered from (kept, with its history).
    pub active: bool,
    /// For `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<SupplierRow> for Supplier {
    fn from(r: SupplierRow) -> Self {
        Self {
            order_days: r
                .order_days
                .split(',')
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
            id: r.id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            account_number: r.account_number,
            lead_time_days: r.lead_time_days,
            min_order_value: r.min_order_value,
            currency: r.currency,
            active: r.active,
            version: r.version,
            created_at: r.created_at,
        }
    }
}

/// Create a supplier, or (with `PUT`) replace its fields.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierCommand {
    /// 1..=200 characters, unique in the tenant.
    pub name: Name,
    /// Where orders go.
    pub email: Option<Email>,
    /// Up to 100 characters.
    pub phone: Option<Label>,
    /// Up to 64 characters.
    pub account_number: Option<Code>,
    /// Weekday names (`monday` ... `sunday`); default none (orders any day).
    #[serde(default)]
    #[schema(max_items = 7)]
    pub order_days: Vec<String>,
    /// 0..=90 days from order to delivery; default 1.
    #[schema(minimum = 0, maximum = 90)]
    pub lead_time_days: Option<i32>,
    /// Not negative, in `currency`.
    pub min_order_value: Option<Money>,
    /// ISO 4217 code (any case); default the tenant's currency.
    pub currency: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

/// A supplier command's fields, checked.
struct Valid {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    account_number: Option<String>,
    order_days: String,
    lead_time_days: i32,
    min_order_value: Option<Money>,
    currency: Option<String>,
    active: bool,
}

fn validate(c: &SupplierCommand) -> Result<Valid, AppError> {
    if c.order_days.len() > 7 {
        return Err(AppError::invalid("order_days", "at most 7 days"));
    }
    let order_days =
        OrderDays::parse(&c.order_days).map_err(|e| AppError::invalid("order_days", e))?;
    let lead_time_days = c.lead_time_days.unwrap_or(1);
    if !(0..=MAX_LEAD_TIME_DAYS).contains(&lead_time_days) {
        return Err(AppError::invalid(
            "lead_time_days",
            format!("must be 0 to {MAX_LEAD_TIME_DAYS} days"),
        ));
    }
    if c.min_order_value.is_some_and(Money::is_negative) {
        return Err(AppError::invalid("min_order_value", "must not be negative"));
    }
    let currency = match &c.currency {
        Some(code) => Some(
            CurrencyCode::parse(&code.trim().to_ascii_uppercase())
                .map_err(|e| AppError::invalid("currency", e))?
                .code()
                .to_owned(),
        ),
        None => None,
    };
    Ok(Valid {
        name: c.name.as_str().to_owned(),
        email: c.email.as_ref().map(ToString::to_string),
        phone: c.phone.clone().map(Label::into_string),
        account_number: c.account_number.clone().map(Code::into_string),
        order_days: order_days.to_string(),
        lead_time_days,
        min_order_value: c.min_order_value,
        currency,
        active: c.active.unwrap_or(true),
    })
}

/// Listing suppliers.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SupplierQuery {
    /// Inactive suppliers too (default: active only).
    pub include_inactive: Option<bool>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

impl App {
    /// Adds a supplier (in the tenant's currency unless the command names another).
    ///
    /// # Errors
    /// 403 without `catalog.write`; 422 naming the field; 409 on `name`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_supplier(
        &self,
        p: Principal,
        cmd: SupplierCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Supplier>, AppError> {
        p.require(Permission::CatalogWrite)?;
        let v = validate(&cmd)?;
        let now = Utc::now();
        run_once(self.db(), &p, key, "create_supplier", &cmd, move |tx| {
            Box::pin(async move {
                let currency = match v.currency {
                    Some(c) => c,
                    None => {
                        tx.get_tenant()
                            .await?
                            .ok_or(AppError::NotFound("tenant"))?
                            .currency
                    }
                };
                let row = SupplierRow {
                    id: SupplierId::new(),
                    name: v.name,
                    email: v.email,
                    phone: v.phone,
                    account_number: v.account_number,
                    order_days: v.order_days,
                    lead_time_days: v.lead_time_days,
                    min_order_value: v.min_order_value,
                    currency,
                    active: v.active,
                    version: 1,
                    created_at: now,
                };
                tx.insert_supplier(&row).await?;
                Ok(Supplier::from(row))
            })
        })
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Replaces a supplier's fields when `if_match` (if given) is its current version; an
    /// absent currency keeps the supplier's.
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404; 422; 409 on `name`; 412 when the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_supplier(
        &self,
        p: Principal,
        id: SupplierId,
        cmd: SupplierCommand,
        if_match: Option<i64>,
    ) -> Result<Supplier, AppError> {
        p.require(Permission::CatalogWrite)?;
        let v = validate(&cmd)?;
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let current = tx
                    .get_supplier(id)
                    .await?
                    .ok_or(AppError::NotFound("supplier"))?;
                let expected = if_match.unwrap_or(current.version);
                if expected != current.version {
                    return Err(AppError::PreconditionFailed("supplier"));
                }
                let row = SupplierRow {
                    name: v.name,
                    email: v.email,
                    phone: v.phone,
                    account_number: v.account_number,
                    order_days: v.order_days,
                    lead_time_days: v.lead_time_days,
                    min_order_value: v.min_order_value,
                    currency: v.currency.unwrap_or(current.currency.clone()),
                    active: v.active,
                    version: current.version + 1,
                    ..current
                };
                match tx.update_supplier(&row, expected).await {
                    Ok(()) => Ok(Supplier::from(row)),
                    Err(larder_store::StoreError::Conflict { constraint })
                        if constraint == "suppliers_version" =>
                    {
                        Err(AppError::PreconditionFailed("supplier"))
                    }
                    Err(e) => Err(e.into()),
                }
            })
        })
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// One supplier (an inactive one too).
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_supplier(&self, p: Principal, id: SupplierId) -> Result<Supplier, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.get_supplier(id)
                    .await?
                    .map(Supplier::from)
                    .ok_or(AppError::NotFound("supplier"))
            })
        })
        .await
    }

    /// Suppliers by name, paginated; active ones unless asked.
    ///
    /// # Errors
    /// 403 without `catalog.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_suppliers(
        &self,
        p: Principal,
        q: SupplierQuery,
    ) -> Result<Page<Supplier>, AppError> {
        p.require(Permission::CatalogRead)?;
        let limit = page::limit(q.limit)?;
        let after = match &q.cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                Some((parts[0].clone(), page::id::<SupplierId>(&parts[1])?))
            }
            None => None,
        };
        let all = q.include_inactive.unwrap_or(false);
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.list_suppliers(after, limit + 1, all)
                    .await
                    .map_err(AppError::from)
            })
        })
        .await?;
        Ok(page::page(
            rows.into_iter().map(Supplier::from).collect(),
            limit,
            |s: &Supplier| page::encode(&[&s.name, &s.id.to_string()]),
        ))
    }
}
