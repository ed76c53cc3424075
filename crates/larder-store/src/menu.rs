//! menu: recipes (bills of materials with sub-recipes and yields) and menu items.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::menu::Component;
use larder_core::{BaseUnit, MenuItemId, Money, Quantity, RecipeId, Unit};

use crate::StoreError;

/// A recipe line as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeLineRow {
    /// Order in the recipe.
    pub position: i32,
    /// Item or sub-recipe.
    pub component: Component,
    /// Amount, thousandths of `unit`.
    pub quantity: Quantity,
    /// Unit written.
    pub unit: Unit,
}

/// A recipe with its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeRow {
    /// Id.
    pub id: RecipeId,
    /// Name, unique in the tenant.
    pub name: String,
    /// Batch yield, thousandths of `yield_unit`.
    pub yield_quantity: Quantity,
    /// `ea` for portions, or `g` / `ml` for a prep.
    pub yield_unit: BaseUnit,
    /// Method, assumptions.
    pub notes: Option<String>,
    /// Lines.
    pub lines: Vec<RecipeLineRow>,
    /// Edit version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it was retired (it leaves lists and pickers, stays readable and costed); `None`
    /// while in use.
    pub retired_at: Option<DateTime<Utc>>,
}

/// A menu item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuItemRow {
    /// Id.
    pub id: MenuItemId,
    /// Name as the POS sells it, unique in the tenant.
    pub name: String,
    /// Category ("Curries", "Breads").
    pub category: Option<String>,
    /// The recipe one sale consumes; `None` leaves it unmapped.
    pub recipe_id: Option<RecipeId>,
    /// How much of the recipe's yield unit one sale takes, thousandths (1.000 = one portion).
    pub portion: Quantity,
    /// Menu price.
    pub price: Option<Money>,
    /// Edit version for `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it was retired (it leaves the menu; its sales still record and map); `None`
    /// while on the menu.
    pub retired_at: Option<DateTime<Utc>>,
}

/// The menu port.
#[async_trait]
pub trait MenuTx: Send {
    /// Adds a recipe with its lines. Conflict `recipes_name` on a duplicate name; Conflict
    /// `foreign_key` when a line names an item or recipe that does not exist.
    async fn insert_recipe(&mut self, recipe: &RecipeRow) -> Result<(), StoreError>;
    /// One recipe with its lines.
    async fn get_recipe(&mut self, id: RecipeId) -> Result<Option<RecipeRow>, StoreError>;
    /// Replaces a recipe's name, yield, notes and lines when its version is
    /// `expected_version`; the row's version is bumped. NotFound when absent; Conflict
    /// `recipes_version` when the version moved on; Conflict `recipes_name` on a duplicate
    /// name; Conflict `foreign_key` when a line names a row that does not exist.
    async fn update_recipe(
        &mut self,
        recipe: &RecipeRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// Marks a recipe retired at `at`, unless it already is (the first time is kept).
    /// NotFound when absent.
    async fn retire_recipe(&mut self, id: RecipeId, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Every recipe with its lines, retired ones included, by name (for explosion and
    /// costing).
    async fn all_recipes(&mut self) -> Result<Vec<RecipeRow>, StoreError>;
    /// Adds a menu item. Conflict `menu_items_name` on a duplicate name.
    async fn insert_menu_item(&mut self, item: &MenuItemRow) -> Result<(), StoreError>;
    /// One menu item.
    async fn get_menu_item(&mut self, id: MenuItemId) -> Result<Option<MenuItemRow>, StoreError>;
    /// Every menu item, retired ones included (their sales still map), by name.
    async fn all_menu_items(&mut self) -> Result<Vec<MenuItemRow>, StoreError>;
    /// Replaces a menu item's name, category, recipe, portion and price when its version is
    /// `expected_version`; the row's version is bumped. NotFound when absent; Conflict
    /// `menu_items_version` when the version moved on; Conflict `menu_items_name` on a
    /// duplicate name.
    async fn update_menu_item(
        &mut self,
        item: &MenuItemRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// Marks a menu item retired at `at`, unless it already is (the first time is kept).
    /// NotFound when absent.
    async fn retire_menu_item(
        &mut self,
        id: MenuItemId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}
