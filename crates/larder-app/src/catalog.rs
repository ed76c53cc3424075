//! catalog: items (ingredients, preps, supplies) and their par levels per location.

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::catalog::is_valid_gtin;
use larder_core::{BaseUnit, Code, ItemId, Label, LocationId, Money, Name, Quantity};
use larder_store::{ItemFilter, ItemRow, Mode, PackSize, ParLevelRow, run_tenant};
use serde::{Deserialize, Serialize};

use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal, required_text};

/// The catalog's constraints, by the field clients write.
pub(crate) const CONFLICTS: Conflicts = Conflicts(&[("items_sku", "sku")]);

/// An item as the API shows it. Quantities are decimal strings in the base unit, money in the
/// tenant's currency.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Item {
    /// Id.
    pub id: ItemId,
    /// Name.
    pub name: String,
    /// SKU.
    pub sku: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// `g`, `ml` or `ea`.
    pub base_unit: BaseUnit,
    /// Purchase packs.
    pub pack_sizes: Vec<PackSize>,
    /// GTIN.
    pub barcode: Option<String>,
    /// Cost of one base unit.
    pub unit_cost: Option<Money>,
    /// For `If-Match`.
    pub version: i64,
    /// When the item was retired (it leaves lists and pickers, keeps its history); `null`
    /// while in use.
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<ItemRow> for Item {
    fn from(r: ItemRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            sku: r.sku,
            category: r.category,
            base_unit: r.base_unit,
            pack_sizes: r.pack_sizes,
            barcode: r.barcode,
            unit_cost: r.unit_cost,
            version: r.version,
            retired_at: r.retired_at,
        }
    }
}

/// Create an item, or (with `PUT`) replace its editable fields; `base_unit` cannot change once
/// stock has moved in it, so an update ignores it.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemCommand {
    /// 1..=200 characters.
    pub name: Name,
    /// Up to 64 characters, unique in the tenant.
    pub sku: Option<Code>,
    /// Up to 100 characters.
    pub category: Option<Label>,
    /// `g`, `ml` or `ea`.
    pub base_unit: BaseUnit,
    /// Purchase packs, each a positive quantity of the base unit; at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub pack_sizes: Vec<PackSize>,
    /// A GTIN-8, -12, -13 or -14 with a valid check digit (GS1 General Specifications §7.9).
    #[schema(pattern = "^([0-9]{8}|[0-9]{12,14})$")]
    pub barcode: Option<String>,
    /// Cost of one base unit, not negative.
    pub unit_cost: Option<Money>,
}

/// An item command's fields once checked: what a create or update stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ValidItem {
    pub(crate) name: String,
    pub(crate) sku: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) pack_sizes: Vec<PackSize>,
    pub(crate) barcode: Option<String>,
    pub(crate) unit_cost: Option<Money>,
}

/// Checks an item command (the API's and the CSV import's one set of rules).
///
/// # Errors
/// 422 naming the field (`barcode`, `pack_sizes[1].quantity`, `unit_cost`).
pub(crate) fn validate_item(c: &ItemCommand) -> Result<ValidItem, AppError> {
    let name = c.name.as_str().to_owned();
    let sku = c.sku.clone().map(Code::into_string);
    let category = c.category.clone().map(Label::into_string);
    let barcode = c.barcode.clone();
    if let Some(b) = &barcode
        && !is_valid_gtin(b)
    {
        return Err(AppError::invalid(
            "barcode",
            "is not a valid GTIN-8, -12, -13 or -14 (check digit)",
        ));
    }
    if c.pack_sizes.len() > 20 {
        return Err(AppError::invalid(
            "pack_sizes",
            "must have at most 20 packs",
        ));
    }
    let mut pack_sizes = Vec::with_capacity(c.pack_sizes.len());
    for (i, p) in c.pack_sizes.iter().enumerate() {
        let name = required_text(&format!("pack_sizes[{i}].name"), &p.name, Label::MAX_CHARS)?;
        if p.quantity.raw() <= 0 {
            return Err(AppError::invalid(
                format!("pack_sizes[{i}].quantity"),
                "must be positive",
            ));
        }
        pack_sizes.push(PackSize {
            name,
            quantity: p.quantity,
        });
    }
    if c.unit_cost.is_some_and(Money::is_negative) {
        return Err(AppError::invalid("unit_cost", "must not be negative"));
    }
    Ok(ValidItem {
        name,
        sku,
        category,
        pack_sizes,
        barcode,
        unit_cost: c.unit_cost,
    })
}

/// Set an item's par level and reorder point at a location.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParLevelCommand {
    /// Stock to order up to.
    pub par_level: Option<Quantity>,
    /// Below this the item is flagged low.
    pub reorder_point: Option<Quantity>,
}

/// An item's par level and reorder point at one location.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParLevel {
    /// Location.
    pub location_id: LocationId,
    /// Stock to order up to, in the item's base unit.
    pub par_level: Option<Quantity>,
    /// Below this the item is flagged low.
    pub reorder_point: Option<Quantity>,
}

/// Filters for listing items.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// Name contains (case-insensitive; `%` and `_` are plain characters).
    pub q: Option<Label>,
    /// Exact category.
    pub category: Option<Label>,
    /// Exact barcode (for scanners).
    pub barcode: Option<Code>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    #[schema(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    #[schema(max_length = 1024)]
    pub cursor: Option<String>,
}

impl App {
    /// Creates an item.
    ///
    /// # Errors
    /// 403 without `catalog.write`; 422 naming the field; 409 on `sku`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_item(
        &self,
        p: Principal,
        cmd: ItemCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Item>, AppError> {
        p.require(Permission::CatalogWrite)?;
        let v = validate_item(&cmd)?;
        let now = Utc::now();
        let row = ItemRow {
            id: ItemId::new(),
            name: v.name,
            sku: v.sku,
            category: v.category,
            base_unit: cmd.base_unit,
            pack_sizes: v.pack_sizes,
            barcode: v.barcode,
            unit_cost: v.unit_cost,
            version: 1,
            created_at: now,
            updated_at: now,
            retired_at: None,
        };
        run_once(self.db(), &p, key, "create_item", &cmd, move |tx| {
            Box::pin(async move {
                tx.insert_item(&row).await?;
                Ok(Item::from(row))
            })
        })
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Replaces an item's editable fields when `if_match` is its current version.
    ///
    /// # Errors
    /// 403, 404, 422, 409 on `sku`, 412 when the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_item(
        &self,
        p: Principal,
        id: ItemId,
        cmd: ItemCommand,
        if_match: Option<i64>,
    ) -> Result<Item, AppError> {
        p.require(Permission::CatalogWrite)?;
        let v = validate_item(&cmd)?;
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let current = tx.get_item(id).await?.ok_or(AppError::NotFound("item"))?;
                let expected = if_match.unwrap_or(current.version);
                if expected != current.version {
                    return Err(AppError::PreconditionFailed("item"));
                }
                let current_cost = current.unit_cost;
                let row = ItemRow {
                    name: v.name,
                    sku: v.sku,
                    category: v.category,
                    pack_sizes: v.pack_sizes,
                    barcode: v.barcode,
                    unit_cost: v.unit_cost,
                    version: current.version + 1,
                    updated_at: Utc::now(),
                    ..current
                };
                let cost_changed = row.unit_cost != current_cost;
                match tx.update_item(&row, expected).await {
                    Ok(()) => {
                        if cost_changed {
                            // A recipe or menu item costed with the new cost must stay within
                            // range, or its reads would fail (the transaction rolls back).
                            crate::menu::Book::load(tx)
                                .await?
                                .check_costs("unit_cost")?;
                        }
                        Ok(Item::from(row))
                    }
                    Err(larder_store::StoreError::Conflict { constraint })
                        if constraint == "items_version" =>
                    {
                        Err(AppError::PreconditionFailed("item"))
                    }
                    Err(e) => Err(e.into()),
                }
            })
        })
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// One item.
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_item(&self, p: Principal, id: ItemId) -> Result<Item, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.get_item(id)
                    .await?
                    .map(Item::from)
                    .ok_or(AppError::NotFound("item"))
            })
        })
        .await
    }

    /// Retires an item: it leaves the items list and the recipe form's picker, and stays
    /// readable with its stock history; recipes that use it keep costing it. Retiring a
    /// retired item changes nothing (the first time is kept).
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn retire_item(&self, p: Principal, id: ItemId) -> Result<Item, AppError> {
        p.require(Permission::CatalogWrite)?;
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.get_item(id).await?.ok_or(AppError::NotFound("item"))?;
                tx.retire_item(id, Utc::now()).await?;
                tx.get_item(id)
                    .await?
                    .map(Item::from)
                    .ok_or(AppError::NotFound("item"))
            })
        })
        .await
    }

    /// Items in use (retired ones left out) by name, filtered and paginated.
    ///
    /// # Errors
    /// 403; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_items(&self, p: Principal, query: ItemQuery) -> Result<Page<Item>, AppError> {
        p.require(Permission::CatalogRead)?;
        let limit = page::limit(query.limit)?;
        let after = match &query.cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                Some((parts[0].clone(), page::id::<ItemId>(&parts[1])?))
            }
            None => None,
        };
        let filter = ItemFilter {
            include_retired: false,
            name_contains: query.q.map(Label::into_string),
            category: query.category.map(Label::into_string),
            barcode: query.barcode.map(Code::into_string),
            after,
            limit: limit + 1,
        };
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.list_items(&filter).await.map_err(AppError::from) })
        })
        .await?;
        let items = rows.into_iter().map(Item::from).collect();
        Ok(page::page(items, limit, |i: &Item| {
            page::encode(&[&i.name, &i.id.to_string()])
        }))
    }

    /// An item's par levels and reorder points at the locations the caller sees (a limited
    /// member's only).
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404 on the item.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn par_levels(&self, p: Principal, item: ItemId) -> Result<Vec<ParLevel>, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.get_item(item).await?.ok_or(AppError::NotFound("item"))?;
                let allowed = match p.locations {
                    larder_store::LocationScope::All => None,
                    larder_store::LocationScope::Member(u) => tx.member_locations(u).await?,
                };
                Ok(tx
                    .item_par_levels(item)
                    .await?
                    .into_iter()
                    .filter(|r| allowed.as_ref().is_none_or(|a| a.contains(&r.location_id)))
                    .map(|r| ParLevel {
                        location_id: r.location_id,
                        par_level: r.par_level,
                        reorder_point: r.reorder_point,
                    })
                    .collect())
            })
        })
        .await
    }

    /// Sets an item's par level and reorder point at a location.
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404 on the item or location (one outside a limited member's
    /// included); 422 on negative values.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_par_level(
        &self,
        p: Principal,
        item: ItemId,
        location: LocationId,
        cmd: ParLevelCommand,
    ) -> Result<ParLevelCommand, AppError> {
        p.require(Permission::CatalogWrite)?;
        if cmd.par_level.is_some_and(Quantity::is_negative) {
            return Err(AppError::invalid("par_level", "must not be negative"));
        }
        if cmd.reorder_point.is_some_and(Quantity::is_negative) {
            return Err(AppError::invalid("reorder_point", "must not be negative"));
        }
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.get_item(item).await?.ok_or(AppError::NotFound("item"))?;
                crate::tenancy::require_location(tx, p.locations, location).await?;
                tx.get_location(location)
                    .await?
                    .ok_or(AppError::NotFound("location"))?;
                tx.upsert_par_level(&ParLevelRow {
                    item_id: item,
                    location_id: location,
                    par_level: cmd.par_level,
                    reorder_point: cmd.reorder_point,
                })
                .await?;
                Ok(cmd)
            })
        })
        .await
    }
}
