//! tenancy's statements for storage areas and their shelves.

use async_trait::async_trait;
use larder_core::{BaseUnit, ItemId, LocationId, StorageAreaId};

use super::super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{SheetRow, ShelfItemRow, StorageAreaRow, StorageAreaTx};

const INSERT_AREA: &str = "INSERT INTO storage_areas
     (tenant_id, id, location_id, name, position, version, created_at, retired_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const UPDATE_AREA: &str = "UPDATE storage_areas
     SET name = $3, retired_at = $4, version = version + 1
     WHERE tenant_id = $1 AND id = $2 AND version = $5";
const AREA_EXISTS: &str = "SELECT version FROM storage_areas WHERE tenant_id = $1 AND id = $2";
const GET_AREA: &str = "SELECT id, location_id, name, position, version, created_at, retired_at
     FROM storage_areas WHERE tenant_id = $1 AND id = $2";
const LIST_AREAS: &str = "SELECT id, location_id, name, position, version, created_at,
     retired_at FROM storage_areas
     WHERE tenant_id = $1 AND location_id = $2 AND ($3 = 1 OR retired_at IS NULL)
     ORDER BY position, name, id";
const SET_POSITION: &str = "UPDATE storage_areas SET position = $3
     WHERE tenant_id = $1 AND id = $2";
const CLEAR_AREA_ITEMS: &str = "DELETE FROM item_storage_areas
     WHERE tenant_id = $1 AND storage_area_id = $2";
const INSERT_AREA_ITEM: &str = "INSERT INTO item_storage_areas
     (tenant_id, storage_area_id, item_id, shelf_order) VALUES ($1, $2, $3, $4)";
const AREA_ITEMS: &str = "SELECT isa.storage_area_id, isa.item_id, i.name, i.base_unit,
     isa.shelf_order
     FROM item_storage_areas isa
     JOIN items i ON i.tenant_id = isa.tenant_id AND i.id = isa.item_id
     WHERE isa.tenant_id = $1 AND isa.storage_area_id = $2
     ORDER BY isa.shelf_order, i.name, isa.item_id";
const LOCATION_SHEET: &str = "SELECT a.id, a.name, a.position, i.id, i.name, i.base_unit,
     isa.shelf_order
     FROM storage_areas a
     JOIN item_storage_areas isa ON isa.tenant_id = a.tenant_id AND isa.storage_area_id = a.id
     JOIN items i ON i.tenant_id = isa.tenant_id AND i.id = isa.item_id
     WHERE a.tenant_id = $1 AND a.location_id = $2 AND a.retired_at IS NULL
       AND i.retired_at IS NULL
     ORDER BY a.position, a.name, a.id, isa.shelf_order, i.name, i.id";

fn area(mut r: Row) -> R<StorageAreaRow> {
    Ok(StorageAreaRow {
        id: r.get()?,
        location_id: r.get()?,
        name: r.get()?,
        position: r.get()?,
        version: r.get()?,
        created_at: r.get()?,
        retired_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> StorageAreaTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_storage_area(&mut self, a: &StorageAreaRow) -> R<()> {
        self.exec
            .execute(
                INSERT_AREA,
                args![
                    self.tenant,
                    a.id,
                    a.location_id,
                    a.name,
                    a.position,
                    a.version,
                    a.created_at,
                    a.retired_at
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_storage_area(&mut self, a: &StorageAreaRow, expected_version: i64) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_AREA,
                args![self.tenant, a.id, a.name, a.retired_at, expected_version],
            )
            .await?;
        self.versioned(n, AREA_EXISTS, a.id.as_uuid(), "storage_areas")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_storage_area(&mut self, id: StorageAreaId) -> R<Option<StorageAreaRow>> {
        self.exec
            .fetch_optional(GET_AREA, args![self.tenant, id])
            .await?
            .map(area)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_storage_areas(
        &mut self,
        location: LocationId,
        include_retired: bool,
    ) -> R<Vec<StorageAreaRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_AREAS,
                    args![self.tenant, location, i64::from(include_retired)],
                )
                .await?,
            area,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_storage_area_positions(&mut self, ids: &[StorageAreaId]) -> R<()> {
        for (i, id) in ids.iter().enumerate() {
            let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
            self.exec
                .execute(SET_POSITION, args![self.tenant, *id, position])
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_area_items(&mut self, area: StorageAreaId, items: &[ItemId]) -> R<()> {
        self.exec
            .execute(CLEAR_AREA_ITEMS, args![self.tenant, area])
            .await?;
        for (i, item) in items.iter().enumerate() {
            let order = i32::try_from(i + 1).unwrap_or(i32::MAX);
            self.exec
                .execute(INSERT_AREA_ITEM, args![self.tenant, area, *item, order])
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn area_items(&mut self, area: StorageAreaId) -> R<Vec<ShelfItemRow>> {
        rows(
            self.exec
                .fetch_all(AREA_ITEMS, args![self.tenant, area])
                .await?,
            |mut r| {
                Ok(ShelfItemRow {
                    storage_area_id: r.get()?,
                    item_id: r.get()?,
                    item_name: r.get()?,
                    base_unit: r.spelled::<BaseUnit>()?,
                    shelf_order: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn location_sheet(&mut self, location: LocationId) -> R<Vec<SheetRow>> {
        rows(
            self.exec
                .fetch_all(LOCATION_SHEET, args![self.tenant, location])
                .await?,
            |mut r| {
                Ok(SheetRow {
                    storage_area_id: r.get()?,
                    area_name: r.get()?,
                    position: r.get()?,
                    item_id: r.get()?,
                    item_name: r.get()?,
                    base_unit: r.spelled::<BaseUnit>()?,
                    shelf_order: r.get()?,
                })
            },
        )
    }
}
