//! procurement: the suppliers a tenant buys from (issue 8's first part). Suppliers are
//! catalog data: `catalog.read` to see them, `catalog.write` to add and change them. Purchase
//! orders, with their own scopes, are in [`purchase_orders`], reorder suggestions (which make
//! draft purchase orders) in [`reorder`], emailing a sent order to its supplier in
//! [`po_email`].

pub mod goods_receipts;
pub mod history;
pub mod invoices;
mod po_documents;
pub mod po_email;
pub mod purchase_orders;
pub mod reorder;

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::catalog::is_valid_gtin;
use larder_core::procurement::{OrderDays, PackLevel, pack_base_quantity};
use larder_core::tenancy::CurrencyCode;
use larder_core::{
    Code, Email, ItemId, Label, LocationId, Money, Name, Quantity, SupplierId, SupplierItemId,
};
use larder_store::{
    Mode, PreferredSupplierRow, SupplierItemRow, SupplierPriceRow, SupplierRow, TenantTx,
    run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Procurement's constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[
    ("suppliers_name", "name"),
    ("supplier_items_supplier_sku", "supplier_sku"),
    ("supplier_item_prices_effective_from", "effective_from"),
]);

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
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::SupplierCreated,
            &cmd,
            move |tx| {
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
            },
        )
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
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::SupplierUpdated,
            move |tx| {
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
            },
        )
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

/// A price of a supplier item from a date on.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupplierPrice {
    /// From when (until the next price's).
    pub effective_from: DateTime<Utc>,
    /// Price of one outermost pack, in the supplier's currency.
    pub price_per_pack: Money,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// What a supplier sells: one of the tenant's items in the supplier's packs, with its prices.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupplierItem {
    /// Id.
    pub id: SupplierItemId,
    /// The supplier.
    pub supplier_id: SupplierId,
    /// The tenant's item.
    pub item_id: ItemId,
    /// The supplier's code.
    pub supplier_sku: String,
    /// The supplier's description.
    pub description: Option<String>,
    /// GTIN of the outermost pack.
    pub gtin: Option<String>,
    /// The pack levels, outermost first.
    pub packs: Vec<PackLevel>,
    /// One outermost pack in the item's base unit (exact).
    pub pack_quantity: Quantity,
    /// The smallest order, in packs.
    pub moq_packs: i32,
    /// The price in force now (the latest from a date not after now).
    pub current_price: Option<Money>,
    /// Every price, oldest first; none is ever changed.
    pub prices: Vec<SupplierPrice>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Add a supplier item.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierItemCommand {
    /// The supplier.
    pub supplier_id: SupplierId,
    /// The tenant's item it is.
    pub item_id: ItemId,
    /// The supplier's code, unique per supplier, up to 64 characters.
    pub supplier_sku: Code,
    /// The supplier's description.
    pub description: Option<Name>,
    /// GTIN-8, -12, -13 or -14 of the outermost pack, with a valid check digit.
    #[schema(pattern = "^([0-9]{8}|[0-9]{12,14})$")]
    pub gtin: Option<String>,
    /// Pack levels, outermost first (`[{case, 6}, {bag, 1, kg}]`), 1 to 4; converted exactly
    /// to the item's base unit.
    #[schema(min_items = 1, max_items = 4)]
    pub packs: Vec<PackLevel>,
    /// The smallest order in packs, 1..=10000 (default 1).
    #[schema(minimum = 1, maximum = 10000)]
    pub moq_packs: Option<i32>,
    /// A first price per pack, from `price_effective_from` (default now).
    pub price_per_pack: Option<Money>,
    /// When the first price takes effect.
    pub price_effective_from: Option<DateTime<Utc>>,
}

/// Record a supplier item's price from a date on.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierPriceCommand {
    /// Price of one outermost pack, not negative, in the supplier's currency.
    pub price_per_pack: Money,
    /// From when (default now); a past date records a price that was in force then.
    pub effective_from: Option<DateTime<Utc>>,
}

/// Choose the supplier item an item is bought as at a location.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredSupplierCommand {
    /// A supplier item of this item.
    pub supplier_item_id: SupplierItemId,
}

/// Filters for listing supplier items.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SupplierItemQuery {
    /// Of this supplier.
    pub supplier_id: Option<SupplierId>,
    /// Of this item.
    pub item_id: Option<ItemId>,
}

/// The rows of a CSV file (trimmed; a BOM on the header ignored), each as its line number and
/// the cells of `columns` in that order (a column the file lacks reads as empty).
///
/// # Errors
/// 422 on `header` when a `required` column is missing (naming the columns read), on `file`
/// when the CSV itself does not read (with its line).
pub(crate) fn csv_rows(
    bytes: &[u8],
    columns: &[&str],
    required: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| AppError::invalid("file", e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    for name in required {
        if col(name).is_none() {
            return Err(AppError::invalid(
                "header",
                format!("missing column {name} (columns: {})", columns.join(", ")),
            ));
        }
    }
    let idx: Vec<Option<usize>> = columns.iter().map(|c| col(c)).collect();
    let mut records = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let line = r
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 2, |p| p.line());
        let r = r.map_err(|e| AppError::invalid("file", format!("line {line}: {e}")))?;
        let cells = idx
            .iter()
            .map(|j| {
                j.and_then(|j| r.get(j))
                    .map(str::to_owned)
                    .unwrap_or_default()
            })
            .collect();
        records.push((line, cells));
    }
    Ok(records)
}

/// The price in force at `now`: the latest from a date not after it.
fn price_at(prices: &[SupplierPriceRow], now: DateTime<Utc>) -> Option<Money> {
    prices
        .iter()
        .filter(|p| p.effective_from <= now)
        .max_by_key(|p| p.effective_from)
        .map(|p| p.price_per_pack)
}

/// A supplier item with its prices, as shown.
async fn supplier_item_view(
    tx: &mut dyn TenantTx,
    row: SupplierItemRow,
) -> Result<SupplierItem, AppError> {
    let prices = tx.supplier_prices(row.id).await?;
    let packs: Vec<PackLevel> = serde_json::from_str(&row.packs)
        .map_err(|e| AppError::Internal(format!("stored packs do not read: {e}")))?;
    Ok(SupplierItem {
        current_price: price_at(&prices, Utc::now()),
        prices: prices
            .into_iter()
            .map(|p| SupplierPrice {
                effective_from: p.effective_from,
                price_per_pack: p.price_per_pack,
                recorded_at: p.recorded_at,
            })
            .collect(),
        id: row.id,
        supplier_id: row.supplier_id,
        item_id: row.item_id,
        supplier_sku: row.supplier_sku,
        description: row.description,
        gtin: row.gtin,
        packs,
        pack_quantity: row.pack_quantity,
        moq_packs: row.moq_packs,
        created_at: row.created_at,
    })
}

/// Checks a price command: the amount not negative, the date (default `now`) not more than a
/// year ahead.
fn checked_price(
    price: Money,
    effective_from: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    field: &str,
) -> Result<DateTime<Utc>, AppError> {
    if price.is_negative() {
        return Err(AppError::invalid(field, "must not be negative"));
    }
    let at = effective_from.unwrap_or(now);
    if at > now + chrono::Duration::days(366) {
        return Err(AppError::invalid(
            "effective_from",
            "must be within a year from now",
        ));
    }
    Ok(at)
}

impl App {
    /// Adds what a supplier sells: one of the tenant's items in the supplier's packs, converted
    /// exactly to the item's base unit, with an optional first price.
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404 on the supplier or item; 422 naming the field
    /// (`packs[1].unit`: a pack that cannot be made in the item's base unit); 409 on
    /// `supplier_sku`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_supplier_item(
        &self,
        p: Principal,
        cmd: SupplierItemCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<SupplierItem>, AppError> {
        p.require(Permission::CatalogWrite)?;
        if let Some(g) = &cmd.gtin
            && !is_valid_gtin(g)
        {
            return Err(AppError::invalid(
                "gtin",
                "is not a valid GTIN-8, -12, -13 or -14 (check digit)",
            ));
        }
        let moq = cmd.moq_packs.unwrap_or(1);
        if !(1..=10_000).contains(&moq) {
            return Err(AppError::invalid("moq_packs", "must be 1 to 10000 packs"));
        }
        let now = Utc::now();
        let first_price = match cmd.price_per_pack {
            Some(price) => Some((
                checked_price(price, cmd.price_effective_from, now, "price_per_pack")?,
                price,
            )),
            None => None,
        };
        let packs_json = serde_json::to_string(&cmd.packs)
            .map_err(|e| AppError::Internal(format!("packs: {e}")))?;
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::SupplierItemCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    tx.get_supplier(c.supplier_id)
                        .await?
                        .ok_or(AppError::NotFound("supplier"))?;
                    let item = tx
                        .get_item(c.item_id)
                        .await?
                        .ok_or(AppError::NotFound("item"))?;
                    let pack_quantity =
                        pack_base_quantity(&c.packs, item.base_unit).map_err(|e| {
                            AppError::invalid(format!("packs[{}].{}", e.level, e.field), e.message)
                        })?;
                    let row = SupplierItemRow {
                        id: SupplierItemId::new(),
                        supplier_id: c.supplier_id,
                        item_id: c.item_id,
                        supplier_sku: c.supplier_sku.into_string(),
                        description: c.description.map(Name::into_string),
                        gtin: c.gtin,
                        packs: packs_json,
                        pack_quantity,
                        moq_packs: moq,
                        version: 1,
                        created_at: now,
                    };
                    tx.insert_supplier_item(&row).await?;
                    if let Some((effective_from, price_per_pack)) = first_price {
                        tx.insert_supplier_price(&SupplierPriceRow {
                            supplier_item_id: row.id,
                            effective_from,
                            price_per_pack,
                            recorded_at: now,
                        })
                        .await?;
                    }
                    supplier_item_view(tx, row).await
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Records a supplier item's price from a date on. Prices are appended, never replaced: the
    /// history is what was paid.
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404; 422 on `price_per_pack` or `effective_from`; 409 on
    /// `effective_from` when a price from that same instant exists.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn add_supplier_price(
        &self,
        p: Principal,
        id: SupplierItemId,
        cmd: SupplierPriceCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<SupplierItem>, AppError> {
        p.require(Permission::CatalogWrite)?;
        let now = Utc::now();
        let effective_from = checked_price(
            cmd.price_per_pack,
            cmd.effective_from,
            now,
            "price_per_pack",
        )?;
        let price = cmd.price_per_pack;
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::SupplierPriceAdded,
            &(id, &cmd),
            move |tx| {
                Box::pin(async move {
                    let row = tx
                        .get_supplier_item(id)
                        .await?
                        .ok_or(AppError::NotFound("supplier item"))?;
                    tx.insert_supplier_price(&SupplierPriceRow {
                        supplier_item_id: id,
                        effective_from,
                        price_per_pack: price,
                        recorded_at: now,
                    })
                    .await?;
                    supplier_item_view(tx, row).await
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// One supplier item with its prices.
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_supplier_item(
        &self,
        p: Principal,
        id: SupplierItemId,
    ) -> Result<SupplierItem, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let row = tx
                    .get_supplier_item(id)
                    .await?
                    .ok_or(AppError::NotFound("supplier item"))?;
                supplier_item_view(tx, row).await
            })
        })
        .await
    }

    /// Supplier items of a supplier and/or an item, by SKU, with their prices.
    ///
    /// # Errors
    /// 403 without `catalog.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_supplier_items(
        &self,
        p: Principal,
        q: SupplierItemQuery,
    ) -> Result<Page<SupplierItem>, AppError> {
        p.require(Permission::CatalogRead)?;
        let data = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_supplier_items(q.supplier_id, q.item_id).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(supplier_item_view(tx, r).await?);
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
        Ok(Page {
            data,
            next_cursor: None,
        })
    }

    /// Makes a supplier item the one an item is bought as at a location (replacing the one
    /// before).
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404 on the item, the location (one outside a limited
    /// member's included) or the supplier item; 422 on `supplier_item_id` when it sells
    /// another item.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_preferred_supplier(
        &self,
        p: Principal,
        item: ItemId,
        location: LocationId,
        cmd: PreferredSupplierCommand,
    ) -> Result<SupplierItem, AppError> {
        p.require(Permission::CatalogWrite)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::PreferredSupplierSet,
            move |tx| {
                Box::pin(async move {
                    crate::tenancy::require_location(tx, p.locations, location).await?;
                    tx.get_location(location)
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                    tx.get_item(item).await?.ok_or(AppError::NotFound("item"))?;
                    let si = tx
                        .get_supplier_item(cmd.supplier_item_id)
                        .await?
                        .ok_or(AppError::NotFound("supplier item"))?;
                    if si.item_id != item {
                        return Err(AppError::invalid("supplier_item_id", "sells another item"));
                    }
                    tx.set_preferred_supplier(&PreferredSupplierRow {
                        item_id: item,
                        location_id: location,
                        supplier_item_id: si.id,
                    })
                    .await?;
                    supplier_item_view(tx, si).await
                })
            },
        )
        .await
    }
}

/// What a supplier's price list import did (or, dry, would do).
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriceListReport {
    /// Nothing was written: a dry run, or bad rows.
    pub committed: bool,
    /// Data rows read.
    pub rows: usize,
    /// Supplier items the file adds.
    pub new_items: usize,
    /// Prices it appends.
    pub prices: usize,
    /// Every bad row by line and column; any means nothing was written.
    pub errors: Vec<crate::sales::RowError>,
}

/// One good row of a price list, planned.
#[derive(Clone, Debug)]
struct PriceListLine {
    new_item: Option<SupplierItemRow>,
    price: SupplierPriceRow,
}

/// Parses `case=6; bag=1 kg` (levels outermost first, `name=quantity[ unit]`).
fn parse_pack(text: &str) -> Result<Vec<PackLevel>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|level| {
            let (name, rest) = level
                .split_once('=')
                .ok_or_else(|| format!("'{level}' is not name=quantity (case=6; bag=1 kg)"))?;
            let mut parts = rest.split_whitespace();
            let q = parts.next().unwrap_or("");
            let quantity = Quantity::parse(q).map_err(|e| format!("'{q}' {e}"))?;
            let unit = match parts.next() {
                Some(u) => Some(u.parse::<larder_core::Unit>().map_err(|e| e.to_string())?),
                None => None,
            };
            Ok(PackLevel {
                name: name.trim().to_owned(),
                quantity,
                unit,
            })
        })
        .collect()
}

/// The columns of a price list: `supplier_sku` and `price_per_pack` always; `item` (the
/// tenant's item by SKU or name) and `pack` for a SKU the supplier item list does not have yet;
/// `description`, `gtin`, `moq_packs`, `effective_from` (`YYYY-MM-DD`, local midnight; default
/// now) optional.
const PRICE_LIST_COLUMNS: [&str; 8] = [
    "supplier_sku",
    "item",
    "description",
    "gtin",
    "pack",
    "moq_packs",
    "price_per_pack",
    "effective_from",
];

impl App {
    /// Imports a supplier's price list (CSV, `docs/price-list.md`): each row appends a price to
    /// the supplier item of its SKU, adding the supplier item first when the SKU is new. Every
    /// bad row is reported by line and column and then nothing is written; a dry run writes
    /// nothing either way. The whole file is one transaction.
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404 on the supplier; 422 on `header` (a missing column) or
    /// `file` (not UTF-8 CSV).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn import_price_list(
        &self,
        p: Principal,
        supplier: SupplierId,
        csv_bytes: Vec<u8>,
        dry_run: bool,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<PriceListReport>, AppError> {
        p.require(Permission::CatalogWrite)?;
        let tz = self.tenant_tz(p.tenant_id).await?;
        let now = Utc::now();
        let records = csv_rows(
            &csv_bytes,
            &PRICE_LIST_COLUMNS,
            &["supplier_sku", "price_per_pack"],
        )?;
        if records.len() > 10_000 {
            return Err(AppError::invalid("file", "at most 10,000 rows"));
        }
        let body = (supplier, &csv_bytes, dry_run);
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::PriceListImported,
            &body,
            move |tx| {
                Box::pin(async move {
                    tx.get_supplier(supplier)
                        .await?
                        .ok_or(AppError::NotFound("supplier"))?;
                    let items = tx
                        .list_items(&larder_store::ItemFilter {
                            limit: u32::MAX,
                            include_retired: true,
                            ..Default::default()
                        })
                        .await?;
                    let existing: std::collections::HashMap<String, SupplierItemRow> = tx
                        .list_supplier_items(Some(supplier), None)
                        .await?
                        .into_iter()
                        .map(|s| (s.supplier_sku.clone(), s))
                        .collect();
                    let mut report = PriceListReport {
                        rows: records.len(),
                        ..Default::default()
                    };
                    let mut planned: Vec<PriceListLine> = Vec::new();
                    let mut seen: std::collections::HashMap<(String, DateTime<Utc>), u64> =
                        std::collections::HashMap::new();
                    let mut new_skus: std::collections::HashMap<String, SupplierItemId> =
                        std::collections::HashMap::new();
                    for (line, cells) in records {
                        macro_rules! bad {
                            ($field:expr, $message:expr $(,)?) => {
                                report.errors.push(crate::sales::RowError {
                                    line,
                                    field: $field.to_owned(),
                                    message: $message,
                                })
                            };
                        }
                        let before = report.errors.len();
                        let sku = match Code::parse(&cells[0]) {
                            Ok(c) => c.into_string(),
                            Err(e) => {
                                bad!("supplier_sku", e.to_string());
                                String::new()
                            }
                        };
                        let price = match Money::parse(&cells[6]) {
                            Ok(m) if !m.is_negative() => Some(m),
                            Ok(_) => {
                                bad!("price_per_pack", "must not be negative".into());
                                None
                            }
                            Err(e) => {
                                bad!("price_per_pack", format!("'{}' {e}", cells[6]));
                                None
                            }
                        };
                        let effective_from = if cells[7].is_empty() {
                            Some(now)
                        } else {
                            match chrono::NaiveDate::parse_from_str(&cells[7], "%Y-%m-%d") {
                                Ok(d) => d
                                    .and_hms_opt(0, 0, 0)
                                    .and_then(|n| {
                                        use chrono::TimeZone;
                                        tz.from_local_datetime(&n).earliest()
                                    })
                                    .map(|t| t.with_timezone(&Utc)),
                                Err(_) => {
                                    bad!(
                                        "effective_from",
                                        format!("'{}' is not a date (YYYY-MM-DD)", cells[7]),
                                    );
                                    None
                                }
                            }
                        };
                        let existing_id = existing
                            .get(&sku)
                            .map(|s| s.id)
                            .or_else(|| new_skus.get(&sku).copied());
                        let mut new_item = None;
                        if existing_id.is_none() && !sku.is_empty() {
                            let item = items.iter().find(|i| {
                                i.sku.as_deref() == Some(cells[1].as_str()) || i.name == cells[1]
                            });
                            let Some(item) = item else {
                                bad!(
                                    "item",
                                    if cells[1].is_empty() {
                                        "a new supplier_sku needs the item it is (our SKU or name)"
                                            .into()
                                    } else {
                                        format!("no item with the SKU or name '{}'", cells[1])
                                    },
                                );
                                continue;
                            };
                            let packs = match parse_pack(&cells[4]) {
                                Ok(p) if !p.is_empty() => p,
                                Ok(_) => {
                                    bad!(
                                        "pack",
                                        "a new supplier_sku needs its pack (case=6; bag=1 kg)"
                                            .into()
                                    );
                                    continue;
                                }
                                Err(e) => {
                                    bad!("pack", e);
                                    continue;
                                }
                            };
                            let pack_quantity = match pack_base_quantity(&packs, item.base_unit) {
                                Ok(q) => q,
                                Err(e) => {
                                    bad!("pack", e.to_string());
                                    continue;
                                }
                            };
                            let gtin = Some(cells[3].clone()).filter(|g| !g.is_empty());
                            if let Some(g) = &gtin
                                && !is_valid_gtin(g)
                            {
                                bad!("gtin", format!("'{g}' is not a valid GTIN (check digit)"));
                            }
                            let moq = if cells[5].is_empty() {
                                1
                            } else {
                                match cells[5].parse::<i32>() {
                                    Ok(m) if (1..=10_000).contains(&m) => m,
                                    _ => {
                                        bad!(
                                            "moq_packs",
                                            format!("'{}' is not 1 to 10000", cells[5])
                                        );
                                        1
                                    }
                                }
                            };
                            let description = Some(cells[2].clone()).filter(|d| !d.is_empty());
                            if let Some(d) = &description
                                && let Err(e) = Name::parse(d)
                            {
                                bad!("description", e.to_string());
                            }
                            let row = SupplierItemRow {
                                id: SupplierItemId::new(),
                                supplier_id: supplier,
                                item_id: item.id,
                                supplier_sku: sku.clone(),
                                description,
                                gtin,
                                packs: serde_json::to_string(&packs)
                                    .map_err(|e| AppError::Internal(e.to_string()))?,
                                pack_quantity,
                                moq_packs: moq,
                                version: 1,
                                created_at: now,
                            };
                            new_skus.insert(sku.clone(), row.id);
                            new_item = Some(row);
                        }
                        let (Some(price), Some(effective_from)) = (price, effective_from) else {
                            continue;
                        };
                        if report.errors.len() > before {
                            continue;
                        }
                        if let Some(first) = seen.insert((sku.clone(), effective_from), line) {
                            bad!(
                                "effective_from",
                                format!("line {first} prices {sku} from the same date"),
                            );
                            continue;
                        }
                        let id = existing_id.or(new_item.as_ref().map(|r| r.id));
                        let Some(id) = id else { continue };
                        if existing_id.is_some()
                            && tx
                                .supplier_prices(id)
                                .await?
                                .iter()
                                .any(|p| p.effective_from == effective_from)
                        {
                            report.errors.push(crate::sales::RowError {
                                line,
                                field: "effective_from".into(),
                                message: format!("{sku} has a price from that date already"),
                            });
                            continue;
                        }
                        planned.push(PriceListLine {
                            new_item,
                            price: SupplierPriceRow {
                                supplier_item_id: id,
                                effective_from,
                                price_per_pack: price,
                                recorded_at: now,
                            },
                        });
                    }
                    report.new_items = planned.iter().filter(|l| l.new_item.is_some()).count();
                    report.prices = planned.len();
                    if dry_run || !report.errors.is_empty() {
                        return Ok(report);
                    }
                    for l in &planned {
                        if let Some(row) = &l.new_item {
                            tx.insert_supplier_item(row).await?;
                        }
                        tx.insert_supplier_price(&l.price).await?;
                    }
                    report.committed = true;
                    Ok(report)
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }
}
