//! inventory: production (ADR 022): what production knows about a recipe (the item it makes,
//! shelf life, usual batch), production batches with what each consumed, and what the prep
//! list reads (produced items with a par level, portions sold per menu item).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::{
    ItemId, LocationId, LotId, MenuItemId, Money, MovementId, ProductionBatchId, Quantity,
    RecipeId, UserId,
};

use crate::{LocationScope, StoreError};

/// What production needs to know about a recipe, kept beside it (the recipe's own rows belong
/// to the menu context).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionRecipeRow {
    /// The recipe.
    pub recipe_id: RecipeId,
    /// The prep item it makes (its base unit is the recipe's yield unit); unique in the
    /// tenant.
    pub item_id: ItemId,
    /// Days what it makes keeps (use-by = day made + this); `None`: no use-by date.
    pub shelf_life_days: Option<i32>,
    /// The usual batch, thousandths of the yield unit; `None`: the recipe's yield.
    pub default_batch: Option<Quantity>,
    /// Edit version for `If-Match`.
    pub version: i64,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A production batch: a recipe made at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionBatchRow {
    /// Id (UUIDv7: creation order).
    pub id: ProductionBatchId,
    /// Sequential per tenant (`PB-000001`).
    pub number: i64,
    /// Where it was made.
    pub location_id: LocationId,
    /// The recipe made.
    pub recipe_id: RecipeId,
    /// The item made.
    pub item_id: ItemId,
    /// What was planned (and what the ingredients were scaled to), thousandths of the yield
    /// unit; positive.
    pub planned_quantity: Quantity,
    /// What came out, thousandths of the yield unit; positive.
    pub actual_quantity: Quantity,
    /// The cost of what it consumed, millionths: the value of the lot it made.
    pub cost: Money,
    /// The produced lot's use-by date.
    pub expires_on: Option<NaiveDate>,
    /// When it was made (its movements' `occurred_at`).
    pub produced_at: DateTime<Utc>,
    /// Its `production_output` movement.
    pub output_movement_id: MovementId,
    /// The lot it opened (none when all of it settled a shortfall of the item).
    pub lot_id: Option<LotId>,
    /// A note.
    pub note: Option<String>,
    /// Who recorded it.
    pub created_by: UserId,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// One ingredient a batch consumed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionInputRow {
    /// 1-based.
    pub line_no: i32,
    /// The item consumed.
    pub item_id: ItemId,
    /// Quantity consumed, thousandths of its base unit (positive).
    pub quantity: Quantity,
    /// Its cost, millionths (positive: minus the movement's value).
    pub cost: Money,
    /// The part no lot covered, costed provisionally.
    pub shortfall: Quantity,
    /// Its `production_use` movement.
    pub movement_id: MovementId,
}

/// Filters for listing batches, newest first.
#[derive(Clone, Debug, Default)]
pub struct ProductionBatchFilter {
    /// Made at this location.
    pub location: Option<LocationId>,
    /// Of this recipe.
    pub recipe: Option<RecipeId>,
    /// Making this item.
    pub item: Option<ItemId>,
    /// Only batches at locations in this scope.
    pub scope: LocationScope,
    /// Keyset cursor: batches before this id.
    pub before: Option<ProductionBatchId>,
    /// At most this many.
    pub limit: u32,
}

/// A produced item with a par level at a location: a line of the prep list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrepCandidateRow {
    /// The recipe that makes it.
    pub recipe_id: RecipeId,
    /// The item.
    pub item_id: ItemId,
    /// Its par level there, thousandths.
    pub par_level: Quantity,
    /// On hand there now, thousandths (zero when never moved).
    pub on_hand: Quantity,
}

/// Portions of a menu item sold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoldRow {
    /// The menu item.
    pub menu_item_id: MenuItemId,
    /// Portions, thousandths.
    pub quantity: Quantity,
}

/// The production port (part of [`InventoryTx`](crate::InventoryTx)'s context).
#[async_trait]
pub trait ProductionTx: Send {
    /// What production knows about a recipe.
    async fn get_production_recipe(
        &mut self,
        recipe: RecipeId,
    ) -> Result<Option<ProductionRecipeRow>, StoreError>;
    /// Adds production settings to a recipe. Conflict `production_recipes_item_id` when another
    /// recipe makes the item; `production_recipes_recipe_id` when the recipe has some;
    /// `foreign_key` when the recipe or item is not the tenant's.
    async fn insert_production_recipe(
        &mut self,
        row: &ProductionRecipeRow,
    ) -> Result<(), StoreError>;
    /// Replaces a recipe's production settings (writing `row.version`) if its version is
    /// still `expected_version`. Conflict `production_recipes_version` when it is not (or
    /// the row is gone), `production_recipes_item_id` as for inserts.
    async fn update_production_recipe(
        &mut self,
        row: &ProductionRecipeRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// Every recipe's production settings.
    async fn all_production_recipes(&mut self) -> Result<Vec<ProductionRecipeRow>, StoreError>;
    /// The tenant's next batch number (1, 2, ...); concurrent callers get distinct numbers.
    async fn next_production_batch_number(&mut self) -> Result<i64, StoreError>;
    /// Adds a batch with its inputs (their movements and lot already appended). Conflict
    /// `production_batches_number` on a number taken, `foreign_key` on a row not the
    /// tenant's.
    async fn insert_production_batch(
        &mut self,
        batch: &ProductionBatchRow,
        inputs: &[ProductionInputRow],
    ) -> Result<(), StoreError>;
    /// One batch.
    async fn get_production_batch(
        &mut self,
        id: ProductionBatchId,
    ) -> Result<Option<ProductionBatchRow>, StoreError>;
    /// A batch's inputs, by line number.
    async fn production_batch_inputs(
        &mut self,
        id: ProductionBatchId,
    ) -> Result<Vec<ProductionInputRow>, StoreError>;
    /// Batches, newest first, filtered.
    async fn list_production_batches(
        &mut self,
        filter: &ProductionBatchFilter,
    ) -> Result<Vec<ProductionBatchRow>, StoreError>;
    /// Produced items with a par level at `location`, with on hand there, by recipe id.
    async fn prep_candidates(
        &mut self,
        location: LocationId,
    ) -> Result<Vec<PrepCandidateRow>, StoreError>;
    /// Portions sold per menu item at `location` in `[from, to)` (lines mapped to a menu item
    /// only).
    async fn sold_by_menu_item(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SoldRow>, StoreError>;
}
