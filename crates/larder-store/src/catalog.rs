//! catalog: items (ingredients, preps, supplies), their packs and par levels per location.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::decimal::Density;
use larder_core::{BaseUnit, ItemId, LocationId, Money, Quantity, SupplierItemId};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A purchase pack of an item, such as a 10 kg sack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackSize {
    /// What the supplier calls it ("sack", "case of 12").
    pub name: String,
    /// Base units in one pack, thousandths.
    pub quantity: Quantity,
}

/// An inventory item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRow {
    /// Id.
    pub id: ItemId,
    /// Name.
    pub name: String,
    /// Stock-keeping unit code, unique in the tenant when given.
    pub sku: Option<String>,
    /// Category ("dry goods", "dairy").
    pub category: Option<String>,
    /// The unit stock is counted in.
    pub base_unit: BaseUnit,
    /// Purchase packs.
    pub pack_sizes: Vec<PackSize>,
    /// GTIN / EAN barcode.
    pub barcode: Option<String>,
    /// Current cost per base unit, millionths of the currency.
    pub unit_cost: Option<Money>,
    /// Edit version for `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was retired (it leaves lists and pickers, keeps its stock history and stays
    /// readable); `None` while in use.
    pub retired_at: Option<DateTime<Utc>>,
}

/// Filters for listing items.
#[derive(Clone, Debug, Default)]
pub struct ItemFilter {
    /// Name contains this (case-insensitive).
    pub name_contains: Option<String>,
    /// Exact category.
    pub category: Option<String>,
    /// Exact barcode.
    pub barcode: Option<String>,
    /// Keyset cursor: items after this (name, id).
    pub after: Option<(String, ItemId)>,
    /// At most this many.
    pub limit: u32,
    /// Retired items too (the catalog import and export: a retired item's name and SKU stay
    /// taken, and recipes may still name it).
    pub include_retired: bool,
}

/// An item's par level and reorder point at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParLevelRow {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Stock to order up to.
    pub par_level: Option<Quantity>,
    /// Below this, stock is low.
    pub reorder_point: Option<Quantity>,
}

/// An item's id, base unit and cost, for explosion and costing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemUnitRow {
    /// Item.
    pub id: ItemId,
    /// Name.
    pub name: String,
    /// Base unit.
    pub base_unit: BaseUnit,
    /// Cost per base unit.
    pub unit_cost: Option<Money>,
}

/// How an item's amounts are entered (ADR 018): its density and entry rounding. Kept beside
/// the item row, read and written on their own, so the many places that build an item need not
/// know of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemMeasureRow {
    /// Grams per millilitre, exact to the millionth; `None`: unknown (mass and volume do not
    /// convert).
    pub density: Option<Density>,
    /// Where the density comes from ("USDA FoodData Central 171413").
    pub density_source: Option<String>,
    /// Entry rounding step, thousandths of the base unit; `None`: the base unit's default.
    pub entry_step: Option<Quantity>,
    /// Refuse (`true`) or round (`false`) an entry off the step; `None`: the default.
    pub entry_exact: Option<bool>,
}

/// An item a scanned GTIN names: by its own barcode, or by a supplier item's GTIN (a case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GtinMatchRow {
    /// The item.
    pub item_id: ItemId,
    /// The supplier item whose GTIN matched; `None` when the item's own barcode did.
    pub supplier_item_id: Option<SupplierItemId>,
    /// The supplier item's pack, base units (thousandths); `None` for the item's own barcode.
    pub pack_quantity: Option<Quantity>,
}

/// The catalog port.
#[async_trait]
pub trait CatalogTx: Send {
    /// Adds an item. Conflict `items_sku` on a duplicate SKU.
    async fn insert_item(&mut self, item: &ItemRow) -> Result<(), StoreError>;
    /// Replaces an item's fields when its version is `expected_version`; the row's version is
    /// bumped. NotFound when absent; Conflict `items_version` when the version moved on.
    async fn update_item(
        &mut self,
        item: &ItemRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// One item.
    async fn get_item(&mut self, id: ItemId) -> Result<Option<ItemRow>, StoreError>;
    /// Marks an item retired at `at`, unless it already is (the first time is kept).
    /// NotFound when absent.
    async fn retire_item(&mut self, id: ItemId, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Items in use (not retired) by name, filtered, `limit` at most.
    async fn list_items(&mut self, filter: &ItemFilter) -> Result<Vec<ItemRow>, StoreError>;
    /// Every item's id, base unit and unit cost, by name.
    async fn all_item_units(&mut self) -> Result<Vec<ItemUnitRow>, StoreError>;
    /// An item's par levels and reorder points, one row per location that has them, by
    /// location id.
    async fn item_par_levels(&mut self, item: ItemId) -> Result<Vec<ParLevelRow>, StoreError>;
    /// Sets an item's par level and reorder point at a location (creating or replacing).
    async fn upsert_par_level(&mut self, par: &ParLevelRow) -> Result<(), StoreError>;
    /// An item's density and entry rounding; `None` when the item is absent.
    async fn get_item_measure(&mut self, id: ItemId) -> Result<Option<ItemMeasureRow>, StoreError>;
    /// Replaces an item's density and entry rounding. NotFound when the item is absent.
    async fn set_item_measure(
        &mut self,
        id: ItemId,
        measure: &ItemMeasureRow,
    ) -> Result<(), StoreError>;
    /// Items in use whose barcode is one of `codes`, then items whose supplier items carry
    /// one of them as GTIN; `codes` holds at most four forms of one GTIN (GTIN-14, -13, -12,
    /// -8), more are ignored. Items first, then supplier items, each by id.
    async fn items_by_gtin(&mut self, codes: &[String]) -> Result<Vec<GtinMatchRow>, StoreError>;
}

/// Pack sizes as stored: `name=thousandths` pairs joined by `;` (the separators in a name
/// become spaces), so no JSON type is needed in either backend.
pub fn encode_packs(packs: &[PackSize]) -> String {
    packs
        .iter()
        .map(|p| format!("{}={}", p.name.replace([';', '='], " "), p.quantity.raw()))
        .collect::<Vec<_>>()
        .join(";")
}

/// Reads [`encode_packs`]' text back.
///
/// # Errors
/// [`StoreError::Other`] on text it did not write.
pub fn decode_packs(s: &str) -> Result<Vec<PackSize>, StoreError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || StoreError::Other(format!("bad pack sizes '{s}' in storage"));
    s.split(';')
        .map(|p| {
            let (name, raw) = p.rsplit_once('=').ok_or_else(bad)?;
            let raw: i64 = raw.parse().map_err(|_| bad())?;
            Ok(PackSize {
                name: name.to_owned(),
                quantity: Quantity::from_raw(raw),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_round_trip_and_separators_in_names_do_not_break_them() {
        let packs = vec![
            PackSize {
                name: "case=6;x".into(),
                quantity: Quantity::from_raw(6_000_000),
            },
            PackSize {
                name: "bag".into(),
                quantity: Quantity::from_raw(1_500),
            },
        ];
        let text = encode_packs(&packs);
        assert_eq!(text, "case 6 x=6000000;bag=1500");
        let back = decode_packs(&text).unwrap_or_default();
        assert_eq!(back[0].name, "case 6 x");
        assert_eq!(back[1], packs[1]);
        assert!(decode_packs("").is_ok_and(|v| v.is_empty()));
        assert!(decode_packs("bag").is_err());
    }
}
