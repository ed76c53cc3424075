//! catalog: items (ingredients, preps, supplies) and their par levels per location; how their
//! amounts are entered ([`units`]) and scanned ([`barcodes`]).

pub mod barcodes;
pub mod units;

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::catalog::{
    PackDecl, default_rounding, density_ratio, is_valid_gtin, resolve_packs,
};
use larder_core::decimal::Density;
use larder_core::{BaseUnit, Code, ItemId, Label, LocationId, Money, Name, Quantity};
use larder_store::{
    ItemFilter, ItemMeasureRow, ItemRow, Mode, PackSize, ParLevelRow, TenantTx, run_tenant,
};
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
    /// Grams per millilitre (exact to the millionth), when known: converts amounts in grams
    /// to an item kept in millilitres and back.
    pub density: Option<Density>,
    /// Where the density comes from.
    pub density_source: Option<String>,
    /// Entered amounts round to a multiple of this, in the base unit (`"1"`: whole eaches).
    pub entry_step: Quantity,
    /// What happens to an amount off the step: rounded half to even, or refused (422).
    pub entry_rounding: EntryRounding,
}

/// What happens to an entered amount that is not a multiple of the item's entry step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryRounding {
    /// Rounded half to even to the step.
    Round,
    /// Refused with a 422 naming the field.
    Refuse,
}

impl Item {
    /// This item with its density and entry rounding as stored (`None`: none set, the base
    /// unit's default rounding).
    pub(crate) fn with_measure(mut self, m: Option<ItemMeasureRow>) -> Self {
        let m = m.unwrap_or_default();
        let default = default_rounding(self.base_unit);
        self.density = m.density;
        self.density_source = m.density_source;
        self.entry_step = m.entry_step.unwrap_or(Quantity::from_raw(default.step));
        self.entry_rounding = if m.entry_exact.unwrap_or(default.exact) {
            EntryRounding::Refuse
        } else {
            EntryRounding::Round
        };
        self
    }
}

/// Reads an item with its measure, or 404.
pub(crate) async fn load_item(tx: &mut dyn TenantTx, id: ItemId) -> Result<Item, AppError> {
    let row = tx.get_item(id).await?.ok_or(AppError::NotFound("item"))?;
    let m = tx.get_item_measure(id).await?;
    Ok(Item::from(row).with_measure(m))
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
            density: None,
            density_source: None,
            entry_step: Quantity::from_raw(default_rounding(r.base_unit).step),
            entry_rounding: if default_rounding(r.base_unit).exact {
                EntryRounding::Refuse
            } else {
                EntryRounding::Round
            },
        }
    }
}

/// A pack size as entered: its base quantity, or what one contains in other packs of the same
/// item and units (`"4 packs"`, `"6 ea"`, `"2.5 kg"`), stored as its base quantity.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackSizeCommand {
    /// What it is called ("case", "pack"), up to 100 characters.
    pub name: String,
    /// Base units in one pack (give this or `contains`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// What one pack contains, an amount (give this or `quantity`); packs may refer to each
    /// other in any order, never in a cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub contains: Option<String>,
}

impl From<PackSize> for PackSizeCommand {
    fn from(p: PackSize) -> Self {
        Self {
            name: p.name,
            quantity: Some(p.quantity),
            contains: None,
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
    /// Packs, each a positive quantity of the base unit or what it contains in other packs;
    /// at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub pack_sizes: Vec<PackSizeCommand>,
    /// A GTIN-8, -12, -13 or -14 with a valid check digit (GS1 General Specifications §7.9).
    #[schema(pattern = "^([0-9]{8}|[0-9]{12,14})$")]
    pub barcode: Option<String>,
    /// Cost of one base unit, not negative.
    pub unit_cost: Option<Money>,
    /// Grams per millilitre, positive, up to 6 decimals; absent: unknown.
    #[serde(default)]
    pub density: Option<Density>,
    /// Where the density comes from (needed with a density), up to 200 characters.
    #[serde(default)]
    pub density_source: Option<Name>,
    /// Entry rounding step in the base unit, positive; absent: the base unit's default (`1`
    /// for `ea`, `0.001` for `g` and `ml`).
    #[serde(default)]
    pub entry_step: Option<Quantity>,
    /// Round or refuse an amount off the step; absent: the default (`refuse` for `ea`,
    /// `round` for `g` and `ml`).
    #[serde(default)]
    pub entry_rounding: Option<EntryRounding>,
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
    pub(crate) measure: ItemMeasureRow,
}

/// Checks an item command (the API's and the CSV import's one set of rules).
///
/// # Errors
/// 422 naming the field (`barcode`, `pack_sizes[1].quantity`, `unit_cost`).
pub(crate) fn validate_item(c: &ItemCommand) -> Result<ValidItem, AppError> {
    validate_item_in(c, c.base_unit)
}

/// [`validate_item`] for an item whose base unit is `base` (an update keeps the stored one).
///
/// # Errors
/// 422 naming the field (`barcode`, `pack_sizes[1]`, `pack_sizes[1].quantity`, `unit_cost`,
/// `density`, `entry_step`).
pub(crate) fn validate_item_in(c: &ItemCommand, base: BaseUnit) -> Result<ValidItem, AppError> {
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
    if c.density.is_some_and(|d| d.raw() <= 0) {
        return Err(AppError::invalid("density", "must be positive"));
    }
    if c.density.is_none() && c.density_source.is_some() {
        return Err(AppError::invalid(
            "density_source",
            "is given without a density",
        ));
    }
    if c.entry_step.is_some_and(|q| q.raw() <= 0) {
        return Err(AppError::invalid("entry_step", "must be positive"));
    }
    let mut decls = Vec::with_capacity(c.pack_sizes.len());
    for (i, p) in c.pack_sizes.iter().enumerate() {
        let name = required_text(&format!("pack_sizes[{i}].name"), &p.name, Label::MAX_CHARS)?;
        if p.quantity.is_some_and(|q| q.raw() <= 0) {
            return Err(AppError::invalid(
                format!("pack_sizes[{i}].quantity"),
                "must be positive",
            ));
        }
        if p.contains.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(AppError::invalid(
                format!("pack_sizes[{i}].contains"),
                "must be at most 200 characters",
            ));
        }
        decls.push(PackDecl {
            name,
            quantity: p.quantity,
            contains: p.contains.clone(),
        });
    }
    let pack_sizes = resolve_packs(base, c.density.and_then(density_ratio), &decls)
        .map_err(|(i, m)| AppError::invalid(format!("pack_sizes[{i}]"), m))?
        .into_iter()
        .map(|(name, quantity)| PackSize { name, quantity })
        .collect();
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
        measure: ItemMeasureRow {
            density: c.density,
            density_source: c.density_source.clone().map(Name::into_string),
            entry_step: c.entry_step,
            entry_exact: c.entry_rounding.map(|r| r == EntryRounding::Refuse),
        },
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
        let measure = v.measure;
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::ItemCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    tx.insert_item(&row).await?;
                    tx.set_item_measure(row.id, &measure).await?;
                    Ok(Item::from(row).with_measure(Some(measure)))
                })
            },
        )
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
        validate_item(&cmd)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::ItemUpdated,
            move |tx| {
                Box::pin(async move {
                    let current = tx.get_item(id).await?.ok_or(AppError::NotFound("item"))?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("item"));
                    }
                    // Packs declared in units resolve against the stored base unit.
                    let v = validate_item_in(&cmd, current.base_unit)?;
                    let measure = v.measure;
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
                            tx.set_item_measure(row.id, &measure).await?;
                            if cost_changed {
                                // A recipe or menu item costed with the new cost must stay within
                                // range, or its reads would fail (the transaction rolls back).
                                crate::menu::Book::load(tx)
                                    .await?
                                    .check_costs("unit_cost")?;
                            }
                            Ok(Item::from(row).with_measure(Some(measure)))
                        }
                        Err(larder_store::StoreError::Conflict { constraint })
                            if constraint == "items_version" =>
                        {
                            Err(AppError::PreconditionFailed("item"))
                        }
                        Err(e) => Err(e.into()),
                    }
                })
            },
        )
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
            Box::pin(async move { load_item(tx, id).await })
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
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::ItemRetired,
            move |tx| {
                Box::pin(async move {
                    tx.get_item(id).await?.ok_or(AppError::NotFound("item"))?;
                    tx.retire_item(id, Utc::now()).await?;
                    load_item(tx, id).await
                })
            },
        )
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
        let items = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_items(&filter).await?;
                let mut items = Vec::with_capacity(rows.len());
                for r in rows {
                    let m = tx.get_item_measure(r.id).await?;
                    items.push(Item::from(r).with_measure(m));
                }
                Ok::<_, AppError>(items)
            })
        })
        .await?;
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
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::ParLevelSet,
            move |tx| {
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
            },
        )
        .await
    }
}
