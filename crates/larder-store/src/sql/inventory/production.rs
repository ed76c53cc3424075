//! inventory's statements for production (ADR 022): recipes' production settings, the batch
//! number counter, batches and their inputs, and the prep list's reads.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::{LocationId, ProductionBatchId, RecipeId};

use crate::sql::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    PrepCandidateRow, ProductionBatchFilter, ProductionBatchRow, ProductionInputRow,
    ProductionRecipeRow, ProductionTx, SoldRow, StoreError,
};

const ALL_RECIPES: &str = "SELECT recipe_id, item_id, shelf_life_days, default_batch,
     version, updated_at FROM production_recipes WHERE tenant_id = $1 ORDER BY recipe_id";
const GET_RECIPE: &str = "SELECT recipe_id, item_id, shelf_life_days, default_batch,
     version, updated_at FROM production_recipes WHERE tenant_id = $1 AND recipe_id = $2";
const INSERT_RECIPE: &str = "INSERT INTO production_recipes (tenant_id, recipe_id, item_id,
     shelf_life_days, default_batch, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
const UPDATE_RECIPE: &str = "UPDATE production_recipes SET item_id = $3, shelf_life_days = $4,
     default_batch = $5, version = $6, updated_at = $7
     WHERE tenant_id = $1 AND recipe_id = $2 AND version = $8";
// The upsert takes the counter row's lock on PostgreSQL, so a concurrent batch waits and then
// reads the number after this one.
const NEXT_NUMBER: &str = "INSERT INTO production_batch_counters (tenant_id, last_number)
     VALUES ($1, 1)
     ON CONFLICT (tenant_id)
     DO UPDATE SET last_number = production_batch_counters.last_number + 1
     RETURNING last_number";
const INSERT_BATCH: &str = "INSERT INTO production_batches (tenant_id, id, number,
     location_id, recipe_id, item_id, planned_quantity, actual_quantity, cost, expires_on,
     produced_at, output_movement_id, lot_id, note, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
const INSERT_INPUT: &str = "INSERT INTO production_batch_inputs (tenant_id, batch_id, line_no,
     item_id, quantity, cost, shortfall, movement_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const GET_BATCH: &str = "SELECT id, number, location_id, recipe_id, item_id,
     planned_quantity, actual_quantity, cost, expires_on, produced_at, output_movement_id,
     lot_id, note, created_by, created_at FROM production_batches
     WHERE tenant_id = $1 AND id = $2";
const LIST_BATCHES: &str = "SELECT id, number, location_id, recipe_id, item_id,
     planned_quantity, actual_quantity, cost, expires_on, produced_at, output_movement_id,
     lot_id, note, created_by, created_at FROM production_batches
     WHERE tenant_id = $1
       AND ($2 IS NULL OR location_id = $2)
       AND ($3 IS NULL OR recipe_id = $3)
       AND ($4 IS NULL OR item_id = $4)
       AND ($5 IS NULL OR id < $5)
       AND ($7 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $7))
     ORDER BY id DESC LIMIT $6";
const INPUTS: &str = "SELECT line_no, item_id, quantity, cost, shortfall, movement_id
     FROM production_batch_inputs WHERE tenant_id = $1 AND batch_id = $2 ORDER BY line_no";
const PREP_CANDIDATES: &str = "SELECT pr.recipe_id, pr.item_id, p.par_level,
     COALESCE(s.on_hand, CAST(0 AS BIGINT))
     FROM production_recipes pr
     JOIN par_levels p ON p.tenant_id = pr.tenant_id AND p.item_id = pr.item_id
                      AND p.location_id = $2
     LEFT JOIN stock_levels s ON s.tenant_id = pr.tenant_id AND s.item_id = pr.item_id
                             AND s.location_id = $2
     WHERE pr.tenant_id = $1 AND p.par_level IS NOT NULL
     ORDER BY pr.recipe_id";
const SOLD: &str = "SELECT l.menu_item_id, CAST(SUM(l.quantity) AS BIGINT)
     FROM sale_lines l
     JOIN sales s ON s.tenant_id = l.tenant_id AND s.id = l.sale_id
     WHERE l.tenant_id = $1 AND s.location_id = $2
       AND l.occurred_at >= $3 AND l.occurred_at < $4
       AND l.menu_item_id IS NOT NULL
     GROUP BY l.menu_item_id
     ORDER BY l.menu_item_id";

fn recipe(mut r: Row) -> R<ProductionRecipeRow> {
    Ok(ProductionRecipeRow {
        recipe_id: r.get()?,
        item_id: r.get()?,
        shelf_life_days: r.get()?,
        default_batch: r.get()?,
        version: r.get()?,
        updated_at: r.get()?,
    })
}

fn date(s: Option<String>) -> R<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|_| StoreError::Other(format!("bad date '{s}'")))
    })
    .transpose()
}

fn batch(mut r: Row) -> R<ProductionBatchRow> {
    Ok(ProductionBatchRow {
        id: r.get()?,
        number: r.get()?,
        location_id: r.get()?,
        recipe_id: r.get()?,
        item_id: r.get()?,
        planned_quantity: r.get()?,
        actual_quantity: r.get()?,
        cost: r.get()?,
        expires_on: date(r.get()?)?,
        produced_at: r.get()?,
        output_movement_id: r.get()?,
        lot_id: r.get()?,
        note: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

fn input(mut r: Row) -> R<ProductionInputRow> {
    Ok(ProductionInputRow {
        line_no: r.get()?,
        item_id: r.get()?,
        quantity: r.get()?,
        cost: r.get()?,
        shortfall: r.get()?,
        movement_id: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> ProductionTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_production_recipe(&mut self, id: RecipeId) -> R<Option<ProductionRecipeRow>> {
        self.exec
            .fetch_optional(GET_RECIPE, args![self.tenant, id])
            .await?
            .map(recipe)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_production_recipe(&mut self, p: &ProductionRecipeRow) -> R<()> {
        self.exec
            .execute(
                INSERT_RECIPE,
                args![
                    self.tenant,
                    p.recipe_id,
                    p.item_id,
                    p.shelf_life_days,
                    p.default_batch,
                    p.version,
                    p.updated_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_production_recipe(
        &mut self,
        p: &ProductionRecipeRow,
        expected_version: i64,
    ) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_RECIPE,
                args![
                    self.tenant,
                    p.recipe_id,
                    p.item_id,
                    p.shelf_life_days,
                    p.default_batch,
                    p.version,
                    p.updated_at,
                    expected_version
                ],
            )
            .await?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict {
                constraint: "production_recipes_version".into(),
            })
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn all_production_recipes(&mut self) -> R<Vec<ProductionRecipeRow>> {
        rows(
            self.exec.fetch_all(ALL_RECIPES, args![self.tenant]).await?,
            recipe,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn next_production_batch_number(&mut self) -> R<i64> {
        let mut row = self
            .exec
            .fetch_optional(NEXT_NUMBER, args![self.tenant])
            .await?
            .ok_or_else(|| StoreError::Other("the number counter returned no row".into()))?;
        row.get()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, inputs = inputs.len()))]
    async fn insert_production_batch(
        &mut self,
        b: &ProductionBatchRow,
        inputs: &[ProductionInputRow],
    ) -> R<()> {
        let expires = b.expires_on.map(|d| d.format("%Y-%m-%d").to_string());
        self.exec
            .execute(
                INSERT_BATCH,
                args![
                    self.tenant,
                    b.id,
                    b.number,
                    b.location_id,
                    b.recipe_id,
                    b.item_id,
                    b.planned_quantity,
                    b.actual_quantity,
                    b.cost,
                    expires,
                    b.produced_at,
                    b.output_movement_id,
                    b.lot_id,
                    b.note,
                    b.created_by,
                    b.created_at
                ],
            )
            .await?;
        for i in inputs {
            self.exec
                .execute(
                    INSERT_INPUT,
                    args![
                        self.tenant,
                        b.id,
                        i.line_no,
                        i.item_id,
                        i.quantity,
                        i.cost,
                        i.shortfall,
                        i.movement_id
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_production_batch(
        &mut self,
        id: ProductionBatchId,
    ) -> R<Option<ProductionBatchRow>> {
        self.exec
            .fetch_optional(GET_BATCH, args![self.tenant, id])
            .await?
            .map(batch)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn production_batch_inputs(
        &mut self,
        id: ProductionBatchId,
    ) -> R<Vec<ProductionInputRow>> {
        rows(
            self.exec.fetch_all(INPUTS, args![self.tenant, id]).await?,
            input,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_production_batches(
        &mut self,
        f: &ProductionBatchFilter,
    ) -> R<Vec<ProductionBatchRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_BATCHES,
                    args![
                        self.tenant,
                        f.location,
                        f.recipe,
                        f.item,
                        f.before,
                        i64::from(f.limit),
                        f.scope.member()
                    ],
                )
                .await?,
            batch,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn prep_candidates(&mut self, location: LocationId) -> R<Vec<PrepCandidateRow>> {
        rows(
            self.exec
                .fetch_all(PREP_CANDIDATES, args![self.tenant, location])
                .await?,
            |mut r| {
                Ok(PrepCandidateRow {
                    recipe_id: r.get()?,
                    item_id: r.get()?,
                    par_level: r.get()?,
                    on_hand: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn sold_by_menu_item(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> R<Vec<SoldRow>> {
        rows(
            self.exec
                .fetch_all(SOLD, args![self.tenant, location, from, to])
                .await?,
            |mut r| {
                Ok(SoldRow {
                    menu_item_id: r.get()?,
                    quantity: r.get()?,
                })
            },
        )
    }
}
