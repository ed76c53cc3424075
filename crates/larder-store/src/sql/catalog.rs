//! catalog's statements: items and par levels.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::decimal::Density;
use larder_core::{BaseUnit, ItemId};

use super::{Exec, R, Row, SqlTx, ToArg, args, changed, rows};
use crate::{
    CatalogTx, GtinMatchRow, ItemFilter, ItemMeasureRow, ItemRow, ItemUnitRow, ParLevelRow,
    decode_packs, encode_packs,
};

const INSERT_ITEM: &str = "INSERT INTO items
     (tenant_id, id, name, sku, category, base_unit, pack_sizes, barcode, unit_cost, version,
      created_at, updated_at, retired_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const RETIRE_ITEM: &str = "UPDATE items SET retired_at = coalesce(retired_at, $3)
     WHERE tenant_id = $1 AND id = $2";
const UPDATE_ITEM: &str = "UPDATE items
     SET name = $3, sku = $4, category = $5, pack_sizes = $6, barcode = $7, unit_cost = $8,
         version = version + 1, updated_at = $9
     WHERE tenant_id = $1 AND id = $2 AND version = $10";
const ITEM_EXISTS: &str = "SELECT version FROM items WHERE tenant_id = $1 AND id = $2";
const GET_ITEM: &str = "SELECT id, name, sku, category, base_unit, pack_sizes, barcode,
     unit_cost, version, created_at, updated_at, retired_at
     FROM items WHERE tenant_id = $1 AND id = $2";
const LIST_ITEMS: &str = "SELECT id, name, sku, category, base_unit, pack_sizes, barcode,
     unit_cost, version, created_at, updated_at, retired_at
     FROM items WHERE tenant_id = $1 AND ($8 = 1 OR retired_at IS NULL)
       AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '!')
       AND ($3 IS NULL OR category = $3)
       AND ($4 IS NULL OR barcode = $4)
       AND ($5 IS NULL OR name > $5 OR (name = $5 AND id > $6))
     ORDER BY name, id LIMIT $7";
const ALL_ITEM_UNITS: &str = "SELECT id, name, base_unit, unit_cost
     FROM items WHERE tenant_id = $1 ORDER BY name, id";
const ITEM_PAR_LEVELS: &str = "SELECT item_id, location_id, par_level, reorder_point
     FROM par_levels WHERE tenant_id = $1 AND item_id = $2 ORDER BY location_id";
const UPSERT_PAR_LEVEL: &str = "INSERT INTO par_levels
     (tenant_id, item_id, location_id, par_level, reorder_point) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, item_id, location_id)
     DO UPDATE SET par_level = excluded.par_level, reorder_point = excluded.reorder_point";

const GET_ITEM_MEASURE: &str = "SELECT density, density_source, entry_step, entry_exact
     FROM items WHERE tenant_id = $1 AND id = $2";
const SET_ITEM_MEASURE: &str = "UPDATE items
     SET density = $3, density_source = $4, entry_step = $5, entry_exact = $6
     WHERE tenant_id = $1 AND id = $2";
const ITEMS_BY_GTIN: &str = "SELECT id, NULL, NULL, 0 AS src FROM items
     WHERE tenant_id = $1 AND retired_at IS NULL AND barcode IN ($2, $3, $4, $5)
     UNION ALL
     SELECT si.item_id, si.id, si.pack_quantity, 1 AS src FROM supplier_items si
     JOIN items i ON i.tenant_id = si.tenant_id AND i.id = si.item_id
     WHERE si.tenant_id = $1 AND i.retired_at IS NULL AND si.gtin IN ($2, $3, $4, $5)
     ORDER BY 4, 1, 2";

fn item(mut r: Row) -> R<ItemRow> {
    Ok(ItemRow {
        id: r.get()?,
        name: r.get()?,
        sku: r.get()?,
        category: r.get()?,
        base_unit: r.spelled::<BaseUnit>()?,
        pack_sizes: decode_packs(&r.get::<String>()?)?,
        barcode: r.get()?,
        unit_cost: r.get()?,
        version: r.get()?,
        created_at: r.get()?,
        updated_at: r.get()?,
        retired_at: r.get()?,
    })
}

fn item_unit(mut r: Row) -> R<ItemUnitRow> {
    Ok(ItemUnitRow {
        id: r.get()?,
        name: r.get()?,
        base_unit: r.spelled::<BaseUnit>()?,
        unit_cost: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> CatalogTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_item(&mut self, i: &ItemRow) -> R<()> {
        self.exec
            .execute(
                INSERT_ITEM,
                args![
                    self.tenant,
                    i.id,
                    i.name,
                    i.sku,
                    i.category,
                    i.base_unit.as_str(),
                    encode_packs(&i.pack_sizes),
                    i.barcode,
                    i.unit_cost,
                    i.version,
                    i.created_at,
                    i.updated_at,
                    i.retired_at
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_item(&mut self, i: &ItemRow, expected_version: i64) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_ITEM,
                args![
                    self.tenant,
                    i.id,
                    i.name,
                    i.sku,
                    i.category,
                    encode_packs(&i.pack_sizes),
                    i.barcode,
                    i.unit_cost,
                    i.updated_at,
                    expected_version
                ],
            )
            .await?;
        self.versioned(n, ITEM_EXISTS, i.id.as_uuid(), "items")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_item(&mut self, id: ItemId) -> R<Option<ItemRow>> {
        self.exec
            .fetch_optional(GET_ITEM, args![self.tenant, id])
            .await?
            .map(item)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn retire_item(&mut self, id: ItemId, at: DateTime<Utc>) -> R<()> {
        let n = self
            .exec
            .execute(RETIRE_ITEM, args![self.tenant, id, at])
            .await?;
        changed(n)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_items(&mut self, f: &ItemFilter) -> R<Vec<ItemRow>> {
        let (name, id) = f
            .after
            .clone()
            .map_or((None, None), |(n, i)| (Some(n), Some(i)));
        // Both databases' lower() folds ASCII only here (PostgreSQL's names are COLLATE "C"),
        // so the pattern is folded the same way; the filter's own % and _ match themselves.
        // The escape character is `!`, not a backslash, which PostgreSQL would read as an
        // escape inside the literal itself with standard_conforming_strings off.
        let like = f.name_contains.as_ref().map(|s| {
            let literal = s
                .to_ascii_lowercase()
                .replace('!', "!!")
                .replace('%', "!%")
                .replace('_', "!_");
            format!("%{literal}%")
        });
        rows(
            self.exec
                .fetch_all(
                    LIST_ITEMS,
                    args![
                        self.tenant,
                        like,
                        f.category,
                        f.barcode,
                        name,
                        id,
                        i64::from(f.limit),
                        i64::from(f.include_retired)
                    ],
                )
                .await?,
            item,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn all_item_units(&mut self) -> R<Vec<ItemUnitRow>> {
        rows(
            self.exec
                .fetch_all(ALL_ITEM_UNITS, args![self.tenant])
                .await?,
            item_unit,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn item_par_levels(&mut self, item: ItemId) -> R<Vec<ParLevelRow>> {
        rows(
            self.exec
                .fetch_all(ITEM_PAR_LEVELS, args![self.tenant, item])
                .await?,
            |mut r| {
                Ok(ParLevelRow {
                    item_id: r.get()?,
                    location_id: r.get()?,
                    par_level: r.get()?,
                    reorder_point: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn upsert_par_level(&mut self, p: &ParLevelRow) -> R<()> {
        self.exec
            .execute(
                UPSERT_PAR_LEVEL,
                args![
                    self.tenant,
                    p.item_id,
                    p.location_id,
                    p.par_level,
                    p.reorder_point
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_item_measure(&mut self, id: ItemId) -> R<Option<ItemMeasureRow>> {
        self.exec
            .fetch_optional(GET_ITEM_MEASURE, args![self.tenant, id])
            .await?
            .map(|mut r| {
                Ok(ItemMeasureRow {
                    density: r.get::<Option<i64>>()?.map(Density::from_raw),
                    density_source: r.get()?,
                    entry_step: r.get()?,
                    entry_exact: r.get::<Option<i64>>()?.map(|v| v != 0),
                })
            })
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_item_measure(&mut self, id: ItemId, m: &ItemMeasureRow) -> R<()> {
        let n = self
            .exec
            .execute(
                SET_ITEM_MEASURE,
                args![
                    self.tenant,
                    id,
                    m.density.map(Density::raw),
                    m.density_source,
                    m.entry_step,
                    m.entry_exact.map(i64::from)
                ],
            )
            .await?;
        changed(n)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn items_by_gtin(&mut self, codes: &[String]) -> R<Vec<GtinMatchRow>> {
        let code = |i: usize| codes.get(i).cloned();
        rows(
            self.exec
                .fetch_all(
                    ITEMS_BY_GTIN,
                    args![self.tenant, code(0), code(1), code(2), code(3)],
                )
                .await?,
            |mut r| {
                Ok(GtinMatchRow {
                    item_id: r.get()?,
                    supplier_item_id: r.get()?,
                    pack_quantity: r.get()?,
                })
            },
        )
    }
}
