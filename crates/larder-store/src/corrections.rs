//! corrections: the effective-dated history of recipes and menu items (every version kept,
//! each in force from its `effective_from` until the next one's), and what a correction reads
//! and writes when it re-depletes past sales: the sales a change touches, a sale's live sale
//! movements, and sale lines mapped to a menu item after they were recorded (once each).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{BaseUnit, MenuItemId, Money, Quantity, RecipeId, SaleId};

use crate::{MovementRow, RecipeLineRow, StoreError};

/// One version of a recipe's bill of materials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeVersionRow {
    /// The recipe.
    pub recipe_id: RecipeId,
    /// The recipe's edit version this snapshot is (its `If-Match` version then).
    pub version: i64,
    /// From when it is in force; `None`: from the start (a recipe's first version).
    pub effective_from: Option<DateTime<Utc>>,
    /// Batch yield, thousandths of `yield_unit`.
    pub yield_quantity: Quantity,
    /// `ea`, `g` or `ml`.
    pub yield_unit: BaseUnit,
    /// Lines, by position.
    pub lines: Vec<RecipeLineRow>,
    /// When it was written.
    pub recorded_at: DateTime<Utc>,
}

/// One version of a menu item's recipe, portion and price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuItemVersionRow {
    /// The menu item.
    pub menu_item_id: MenuItemId,
    /// The menu item's edit version this snapshot is.
    pub version: i64,
    /// From when it is in force; `None`: from the start (a menu item's first version).
    pub effective_from: Option<DateTime<Utc>>,
    /// The recipe one sale consumes; `None`: unmapped.
    pub recipe_id: Option<RecipeId>,
    /// Portion of the recipe's yield unit, thousandths.
    pub portion: Quantity,
    /// Menu price.
    pub price: Option<Money>,
    /// When it was written.
    pub recorded_at: DateTime<Utc>,
}

/// The corrections port.
#[async_trait]
pub trait CorrectionsTx: Send {
    /// Records the recipe as stored now (head and lines, after an insert or an update) as its
    /// version `version`, in force from `effective_from` (`None`: from the start). NotFound
    /// when the recipe is absent; Conflict `recipe_versions_version` when that version exists.
    async fn record_recipe_version(
        &mut self,
        recipe: RecipeId,
        effective_from: Option<DateTime<Utc>>,
        recorded_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records the menu item as stored now as its current version, in force from
    /// `effective_from`. NotFound when absent; Conflict `menu_item_versions_version` when that
    /// version exists.
    async fn record_menu_item_version(
        &mut self,
        menu_item: MenuItemId,
        effective_from: Option<DateTime<Utc>>,
        recorded_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Every version of one recipe (or, with `None`, of every recipe), by recipe and version.
    async fn recipe_versions(
        &mut self,
        recipe: Option<RecipeId>,
    ) -> Result<Vec<RecipeVersionRow>, StoreError>;
    /// Every version of one menu item (or of every menu item), by menu item and version.
    async fn menu_item_versions(
        &mut self,
        menu_item: Option<MenuItemId>,
    ) -> Result<Vec<MenuItemVersionRow>, StoreError>;
    /// The sales (at most `limit`, earliest first) that occurred at or after `from` with a
    /// line sold as `menu_item`.
    async fn sales_with_menu_item(
        &mut self,
        menu_item: MenuItemId,
        from: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<SaleId>, StoreError>;
    /// Maps every line sold under exactly `name` that has no menu item to `menu_item`,
    /// recording each line once (`sale_line_mappings`, keyed by the line) with `name_key` and
    /// `at`; returns the sales whose lines it mapped, with how many lines each. A line already
    /// mapped is not mapped again.
    async fn map_unmapped_lines(
        &mut self,
        name: &str,
        menu_item: MenuItemId,
        name_key: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<(SaleId, i64)>, StoreError>;
    /// A sale's live sale movements: kind `sale`, not themselves a reversal and not reversed,
    /// by id.
    async fn live_sale_movements(&mut self, sale: SaleId) -> Result<Vec<MovementRow>, StoreError>;
}
