//! corrections' statements: recipe and menu item versions (snapshots of the current rows,
//! taken by `INSERT ... SELECT` so a version is exactly what was stored), the sales a change
//! touches, late mappings of sale lines, and a sale's live sale movements.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{BaseUnit, MenuItemId, RecipeId, SaleId};

use super::inventory::movement;
use super::menu::recipe_line_of_version;
use super::{Exec, R, Row, SqlTx, ToArg, args, changed, rows};
use crate::{CorrectionsTx, MenuItemVersionRow, MovementRow, RecipeVersionRow};

const RECORD_RECIPE_VERSION: &str = "INSERT INTO recipe_versions
     (tenant_id, recipe_id, version, effective_from, yield_quantity, yield_unit, recorded_at)
     SELECT tenant_id, id, version, $3, yield_quantity, yield_unit, $4
     FROM recipes WHERE tenant_id = $1 AND id = $2";
const RECORD_RECIPE_VERSION_LINES: &str = "INSERT INTO recipe_version_lines
     (tenant_id, recipe_id, version, position, item_id, sub_recipe_id, quantity, unit)
     SELECT l.tenant_id, l.recipe_id, r.version, l.position, l.item_id, l.sub_recipe_id,
            l.quantity, l.unit
     FROM recipe_lines l JOIN recipes r ON r.tenant_id = l.tenant_id AND r.id = l.recipe_id
     WHERE l.tenant_id = $1 AND l.recipe_id = $2";
const RECORD_MENU_ITEM_VERSION: &str = "INSERT INTO menu_item_versions
     (tenant_id, menu_item_id, version, effective_from, recipe_id, portion, price, recorded_at)
     SELECT tenant_id, id, version, $3, recipe_id, portion, price, $4
     FROM menu_items WHERE tenant_id = $1 AND id = $2";
const RECIPE_VERSIONS: &str = "SELECT recipe_id, version, effective_from, yield_quantity,
     yield_unit, recorded_at FROM recipe_versions
     WHERE tenant_id = $1 AND ($2 IS NULL OR recipe_id = $2) ORDER BY recipe_id, version";
const RECIPE_VERSION_LINES: &str = "SELECT recipe_id, version, position, item_id,
     sub_recipe_id, quantity, unit FROM recipe_version_lines
     WHERE tenant_id = $1 AND ($2 IS NULL OR recipe_id = $2)
     ORDER BY recipe_id, version, position";
const MENU_ITEM_VERSIONS: &str = "SELECT menu_item_id, version, effective_from, recipe_id,
     portion, price, recorded_at FROM menu_item_versions
     WHERE tenant_id = $1 AND ($2 IS NULL OR menu_item_id = $2) ORDER BY menu_item_id, version";
const SALES_WITH_MENU_ITEM: &str = "SELECT sale_id, MIN(occurred_at) FROM sale_lines
     WHERE tenant_id = $1 AND menu_item_id = $2 AND occurred_at >= $3
     GROUP BY sale_id ORDER BY MIN(occurred_at), sale_id LIMIT $4";
const UNMAPPED_SALES_NAMED: &str = "SELECT sale_id, CAST(COUNT(*) AS BIGINT) FROM sale_lines
     WHERE tenant_id = $1 AND menu_item_id IS NULL AND item_name = $2
     GROUP BY sale_id ORDER BY sale_id";
const RECORD_LATE_MAPPINGS: &str = "INSERT INTO sale_line_mappings
     (tenant_id, sale_id, line_no, menu_item_id, name_key, mapped_at)
     SELECT tenant_id, sale_id, line_no, $3, $4, $5 FROM sale_lines
     WHERE tenant_id = $1 AND menu_item_id IS NULL AND item_name = $2";
const MAP_LINES: &str = "UPDATE sale_lines SET menu_item_id = $3
     WHERE tenant_id = $1 AND menu_item_id IS NULL AND item_name = $2";
const LIVE_SALE_MOVEMENTS: &str = "SELECT m.id, m.item_id, m.location_id, m.kind, m.quantity,
     m.unit_cost, m.reason, m.sale_id, m.created_by, m.occurred_at, m.recorded_at, m.value,
     m.cost_variance, m.shortfall, m.settled, m.reverses
     FROM stock_movements m
     WHERE m.tenant_id = $1 AND m.sale_id = $2 AND m.kind = 'sale' AND m.reverses IS NULL
       AND NOT EXISTS (SELECT 1 FROM stock_movements r
                       WHERE r.tenant_id = m.tenant_id AND r.reverses = m.id)
     ORDER BY m.id";

fn recipe_version(mut r: Row) -> R<RecipeVersionRow> {
    Ok(RecipeVersionRow {
        recipe_id: r.get()?,
        version: r.get()?,
        effective_from: r.get()?,
        yield_quantity: r.get()?,
        yield_unit: r.spelled::<BaseUnit>()?,
        lines: Vec::new(),
        recorded_at: r.get()?,
    })
}

fn menu_item_version(mut r: Row) -> R<MenuItemVersionRow> {
    Ok(MenuItemVersionRow {
        menu_item_id: r.get()?,
        version: r.get()?,
        effective_from: r.get()?,
        recipe_id: r.get()?,
        portion: r.get()?,
        price: r.get()?,
        recorded_at: r.get()?,
    })
}

fn sale_count(mut r: Row) -> R<(SaleId, i64)> {
    Ok((r.get()?, r.get()?))
}

#[async_trait]
impl<E: Exec> CorrectionsTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn record_recipe_version(
        &mut self,
        recipe: RecipeId,
        effective_from: Option<DateTime<Utc>>,
        recorded_at: DateTime<Utc>,
    ) -> R<()> {
        let n = self
            .exec
            .execute(
                RECORD_RECIPE_VERSION,
                args![self.tenant, recipe, effective_from, recorded_at],
            )
            .await?;
        changed(n)?;
        self.exec
            .execute(RECORD_RECIPE_VERSION_LINES, args![self.tenant, recipe])
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn record_menu_item_version(
        &mut self,
        menu_item: MenuItemId,
        effective_from: Option<DateTime<Utc>>,
        recorded_at: DateTime<Utc>,
    ) -> R<()> {
        let n = self
            .exec
            .execute(
                RECORD_MENU_ITEM_VERSION,
                args![self.tenant, menu_item, effective_from, recorded_at],
            )
            .await?;
        changed(n)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn recipe_versions(&mut self, recipe: Option<RecipeId>) -> R<Vec<RecipeVersionRow>> {
        let mut versions = rows(
            self.exec
                .fetch_all(RECIPE_VERSIONS, args![self.tenant, recipe])
                .await?,
            recipe_version,
        )?;
        let index: HashMap<(RecipeId, i64), usize> = versions
            .iter()
            .enumerate()
            .map(|(i, v)| ((v.recipe_id, v.version), i))
            .collect();
        for l in self
            .exec
            .fetch_all(RECIPE_VERSION_LINES, args![self.tenant, recipe])
            .await?
        {
            let (rid, version, line) = recipe_line_of_version(l)?;
            if let Some(&i) = index.get(&(rid, version)) {
                versions[i].lines.push(line);
            }
        }
        Ok(versions)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn menu_item_versions(
        &mut self,
        menu_item: Option<MenuItemId>,
    ) -> R<Vec<MenuItemVersionRow>> {
        rows(
            self.exec
                .fetch_all(MENU_ITEM_VERSIONS, args![self.tenant, menu_item])
                .await?,
            menu_item_version,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn sales_with_menu_item(
        &mut self,
        menu_item: MenuItemId,
        from: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<SaleId>> {
        rows(
            self.exec
                .fetch_all(
                    SALES_WITH_MENU_ITEM,
                    args![self.tenant, menu_item, from, i64::from(limit)],
                )
                .await?,
            |mut r| r.get(),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn map_unmapped_lines(
        &mut self,
        name: &str,
        menu_item: MenuItemId,
        name_key: &str,
        at: DateTime<Utc>,
    ) -> R<Vec<(SaleId, i64)>> {
        let sales = rows(
            self.exec
                .fetch_all(UNMAPPED_SALES_NAMED, args![self.tenant, name])
                .await?,
            sale_count,
        )?;
        if sales.is_empty() {
            return Ok(sales);
        }
        self.exec
            .execute(
                RECORD_LATE_MAPPINGS,
                args![self.tenant, name, menu_item, name_key, at],
            )
            .await?;
        self.exec
            .execute(MAP_LINES, args![self.tenant, name, menu_item])
            .await?;
        Ok(sales)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn live_sale_movements(&mut self, sale: SaleId) -> R<Vec<MovementRow>> {
        rows(
            self.exec
                .fetch_all(LIVE_SALE_MOVEMENTS, args![self.tenant, sale])
                .await?,
            movement,
        )
    }
}
