//! menu's statements: recipes with their lines, and menu items.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::menu::Component;
use larder_core::{BaseUnit, ItemId, MenuItemId, RecipeId, Unit};

use super::{Exec, R, Row, SqlTx, ToArg, args, changed, rows};
use crate::{MenuItemRow, MenuTx, RecipeLineRow, RecipeRow, StoreError};

const INSERT_RECIPE: &str = "INSERT INTO recipes
     (tenant_id, id, name, yield_quantity, yield_unit, notes, version, created_at, retired_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const UPDATE_RECIPE: &str = "UPDATE recipes
     SET name = $3, yield_quantity = $4, yield_unit = $5, notes = $6, version = version + 1
     WHERE tenant_id = $1 AND id = $2 AND version = $7";
const RECIPE_EXISTS: &str = "SELECT version FROM recipes WHERE tenant_id = $1 AND id = $2";
const DELETE_RECIPE_LINES: &str =
    "DELETE FROM recipe_lines WHERE tenant_id = $1 AND recipe_id = $2";
const RETIRE_RECIPE: &str = "UPDATE recipes SET retired_at = coalesce(retired_at, $3)
     WHERE tenant_id = $1 AND id = $2";
const INSERT_RECIPE_LINE: &str = "INSERT INTO recipe_lines
     (tenant_id, recipe_id, position, item_id, sub_recipe_id, quantity, unit)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const GET_RECIPE: &str = "SELECT id, name, yield_quantity, yield_unit, notes, version,
     created_at, retired_at FROM recipes WHERE tenant_id = $1 AND id = $2";
const RECIPE_LINES: &str = "SELECT recipe_id, position, item_id, sub_recipe_id, quantity, unit
     FROM recipe_lines WHERE tenant_id = $1 AND recipe_id = $2 ORDER BY position";
const ALL_RECIPES: &str = "SELECT id, name, yield_quantity, yield_unit, notes, version,
     created_at, retired_at FROM recipes WHERE tenant_id = $1 ORDER BY name, id";
const ALL_RECIPE_LINES: &str = "SELECT recipe_id, position, item_id, sub_recipe_id, quantity,
     unit FROM recipe_lines WHERE tenant_id = $1 ORDER BY recipe_id, position";
const INSERT_MENU_ITEM: &str = "INSERT INTO menu_items
     (tenant_id, id, name, category, recipe_id, portion, price, version, created_at, retired_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const GET_MENU_ITEM: &str = "SELECT id, name, category, recipe_id, portion, price, version,
     created_at, retired_at FROM menu_items WHERE tenant_id = $1 AND id = $2";
const ALL_MENU_ITEMS: &str = "SELECT id, name, category, recipe_id, portion, price, version,
     created_at, retired_at FROM menu_items WHERE tenant_id = $1 ORDER BY name, id";
const UPDATE_MENU_ITEM: &str = "UPDATE menu_items
     SET name = $3, category = $4, recipe_id = $5, portion = $6, price = $7,
         version = version + 1
     WHERE tenant_id = $1 AND id = $2 AND version = $8";
const MENU_ITEM_EXISTS: &str = "SELECT version FROM menu_items WHERE tenant_id = $1 AND id = $2";
const RETIRE_MENU_ITEM: &str = "UPDATE menu_items SET retired_at = coalesce(retired_at, $3)
     WHERE tenant_id = $1 AND id = $2";

fn recipe_head(mut r: Row) -> R<RecipeRow> {
    Ok(RecipeRow {
        id: r.get()?,
        name: r.get()?,
        yield_quantity: r.get()?,
        yield_unit: r.spelled::<BaseUnit>()?,
        notes: r.get()?,
        lines: Vec::new(),
        version: r.get()?,
        created_at: r.get()?,
        retired_at: r.get()?,
    })
}

fn recipe_line(mut r: Row) -> R<(RecipeId, RecipeLineRow)> {
    let recipe: RecipeId = r.get()?;
    Ok((recipe, line_from_position(r)?))
}

/// A recipe version's line (`recipe_id, version`, then the columns [`recipe_line`] reads
/// after its recipe).
pub(super) fn recipe_line_of_version(mut r: Row) -> R<(RecipeId, i64, RecipeLineRow)> {
    let recipe: RecipeId = r.get()?;
    let version: i64 = r.get()?;
    Ok((recipe, version, line_from_position(r)?))
}

/// A line's `position, item_id, sub_recipe_id, quantity, unit`.
fn line_from_position(mut r: Row) -> R<RecipeLineRow> {
    let position = r.get()?;
    let item: Option<ItemId> = r.get()?;
    let sub: Option<RecipeId> = r.get()?;
    let component = match (item, sub) {
        (Some(i), None) => Component::Item(i),
        (None, Some(s)) => Component::Recipe(s),
        _ => {
            return Err(StoreError::Other(
                "recipe line without exactly one component".into(),
            ));
        }
    };
    Ok(RecipeLineRow {
        position,
        component,
        quantity: r.get()?,
        unit: r.spelled::<Unit>()?,
    })
}

fn menu_item(mut r: Row) -> R<MenuItemRow> {
    Ok(MenuItemRow {
        id: r.get()?,
        name: r.get()?,
        category: r.get()?,
        recipe_id: r.get()?,
        portion: r.get()?,
        price: r.get()?,
        version: r.get()?,
        created_at: r.get()?,
        retired_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> MenuTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_recipe(&mut self, rec: &RecipeRow) -> R<()> {
        self.exec
            .execute(
                INSERT_RECIPE,
                args![
                    self.tenant,
                    rec.id,
                    rec.name,
                    rec.yield_quantity,
                    rec.yield_unit.as_str(),
                    rec.notes,
                    rec.version,
                    rec.created_at,
                    rec.retired_at
                ],
            )
            .await?;
        self.insert_recipe_lines(rec).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_recipe(&mut self, rec: &RecipeRow, expected_version: i64) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_RECIPE,
                args![
                    self.tenant,
                    rec.id,
                    rec.name,
                    rec.yield_quantity,
                    rec.yield_unit.as_str(),
                    rec.notes,
                    expected_version
                ],
            )
            .await?;
        self.versioned(n, RECIPE_EXISTS, rec.id.as_uuid(), "recipes")
            .await?;
        self.exec
            .execute(DELETE_RECIPE_LINES, args![self.tenant, rec.id])
            .await?;
        self.insert_recipe_lines(rec).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn retire_recipe(&mut self, id: RecipeId, at: DateTime<Utc>) -> R<()> {
        let n = self
            .exec
            .execute(RETIRE_RECIPE, args![self.tenant, id, at])
            .await?;
        changed(n)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_menu_item(&mut self, m: &MenuItemRow, expected_version: i64) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_MENU_ITEM,
                args![
                    self.tenant,
                    m.id,
                    m.name,
                    m.category,
                    m.recipe_id,
                    m.portion,
                    m.price,
                    expected_version
                ],
            )
            .await?;
        self.versioned(n, MENU_ITEM_EXISTS, m.id.as_uuid(), "menu_items")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn retire_menu_item(&mut self, id: MenuItemId, at: DateTime<Utc>) -> R<()> {
        let n = self
            .exec
            .execute(RETIRE_MENU_ITEM, args![self.tenant, id, at])
            .await?;
        changed(n)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_recipe(&mut self, id: RecipeId) -> R<Option<RecipeRow>> {
        let Some(head) = self
            .exec
            .fetch_optional(GET_RECIPE, args![self.tenant, id])
            .await?
        else {
            return Ok(None);
        };
        let mut rec = recipe_head(head)?;
        for l in self
            .exec
            .fetch_all(RECIPE_LINES, args![self.tenant, id])
            .await?
        {
            rec.lines.push(recipe_line(l)?.1);
        }
        Ok(Some(rec))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn all_recipes(&mut self) -> R<Vec<RecipeRow>> {
        let mut recipes = rows(
            self.exec.fetch_all(ALL_RECIPES, args![self.tenant]).await?,
            recipe_head,
        )?;
        let index: HashMap<RecipeId, usize> =
            recipes.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        for l in self
            .exec
            .fetch_all(ALL_RECIPE_LINES, args![self.tenant])
            .await?
        {
            let (rid, line) = recipe_line(l)?;
            if let Some(&i) = index.get(&rid) {
                recipes[i].lines.push(line);
            }
        }
        Ok(recipes)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_menu_item(&mut self, m: &MenuItemRow) -> R<()> {
        self.exec
            .execute(
                INSERT_MENU_ITEM,
                args![
                    self.tenant,
                    m.id,
                    m.name,
                    m.category,
                    m.recipe_id,
                    m.portion,
                    m.price,
                    m.version,
                    m.created_at,
                    m.retired_at
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_menu_item(&mut self, id: MenuItemId) -> R<Option<MenuItemRow>> {
        self.exec
            .fetch_optional(GET_MENU_ITEM, args![self.tenant, id])
            .await?
            .map(menu_item)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn all_menu_items(&mut self) -> R<Vec<MenuItemRow>> {
        rows(
            self.exec
                .fetch_all(ALL_MENU_ITEMS, args![self.tenant])
                .await?,
            menu_item,
        )
    }
}

impl<E: Exec> SqlTx<E> {
    /// Inserts a recipe's lines (after its head, or after its old lines were deleted).
    async fn insert_recipe_lines(&mut self, rec: &RecipeRow) -> R<()> {
        for line in &rec.lines {
            let (item, sub) = match line.component {
                Component::Item(i) => (Some(i), None),
                Component::Recipe(r) => (None, Some(r)),
            };
            self.exec
                .execute(
                    INSERT_RECIPE_LINE,
                    args![
                        self.tenant,
                        rec.id,
                        line.position,
                        item,
                        sub,
                        line.quantity,
                        line.unit.as_str()
                    ],
                )
                .await?;
        }
        Ok(())
    }
}
