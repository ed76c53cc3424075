//! procurement: what reorder suggestions read (issue 8; ADR 017), in a few statements for a
//! whole location rather than one per item: the items with a par level or reorder point there
//! with their stock and preferred supplier item, and the sales usage of a period.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{BaseUnit, ItemId, LocationId, Money, Quantity, SupplierId, SupplierItemId};

use crate::StoreError;

/// The preferred supplier item of an item at a location, with its price at the instant asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReorderSupplyRow {
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// The supplier's code.
    pub supplier_sku: String,
    /// The pack levels, outermost first, as JSON (`PackLevel`s).
    pub packs: String,
    /// One outermost pack in the item's base unit.
    pub pack_quantity: Quantity,
    /// The smallest order, in packs.
    pub moq_packs: i32,
    /// The price per pack in force at the instant asked (the latest from a date not after it).
    pub price_per_pack: Option<Money>,
}

/// An item with a par level or a reorder point at a location: what a reorder suggestion needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReorderCandidateRow {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// On hand at the location (zero when it never moved there).
    pub on_hand: Quantity,
    /// Par level there.
    pub par_level: Option<Quantity>,
    /// Reorder point there.
    pub reorder_point: Option<Quantity>,
    /// Its preferred supplier item there, if one is chosen.
    pub supply: Option<ReorderSupplyRow>,
}

/// Sales usage of an item over a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemUsageRow {
    /// The item.
    pub item_id: ItemId,
    /// Removed by sale movements, positive (less any reversed).
    pub quantity: Quantity,
}

/// The reorder part of the procurement port ([`crate::ProcurementTx`] requires it).
#[async_trait]
pub trait ReorderTx: Send {
    /// The items that are not retired and have a par level or a reorder point at `location`,
    /// other than prep items (those a recipe makes, ADR 022: the prep list plans them), by
    /// name then id, each with its on hand there and its preferred supplier item there
    /// (with the price in force at `at`). One statement.
    async fn reorder_candidates(
        &mut self,
        location: LocationId,
        at: DateTime<Utc>,
    ) -> Result<Vec<ReorderCandidateRow>, StoreError>;
    /// What sale and production-use movements at `location` that occurred in `[from, to)`
    /// removed, per item (items with none left out), by item id: an ingredient a kitchen
    /// makes its sauces from is used by the batches, not by the sales (ADR 017).
    async fn usage(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ItemUsageRow>, StoreError>;
}
