//! tenancy: storage areas within a location (walk-in, dry store, freezer, bar), in walking
//! order, and the items on each area's shelves in shelf order: what a count sheet walks
//! (ADR 018). An item may be in several areas.

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::{BaseUnit, ItemId, Label, LocationId, StorageAreaId};
use larder_store::{Mode, StorageAreaRow, StoreError, TenantTx, run_tenant};
use serde::{Deserialize, Serialize};

use super::require_location;
use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::{App, AppError, Principal};

/// Storage areas' constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[("storage_areas_name", "name")]);

/// At most this many areas per location, and items per area.
pub const MAX_AREAS: usize = 100;
/// At most this many items on one area's shelves.
pub const MAX_SHELF_ITEMS: usize = 500;

/// A storage area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StorageArea {
    /// Id.
    pub id: StorageAreaId,
    /// Its location.
    pub location_id: LocationId,
    /// Name, unique within the location.
    pub name: String,
    /// Walking order within the location, 1 first.
    pub position: i32,
    /// For `If-Match`.
    pub version: i64,
    /// When it was retired (it leaves lists and count sheets); `null` while in use.
    pub retired_at: Option<DateTime<Utc>>,
}

impl From<StorageAreaRow> for StorageArea {
    fn from(r: StorageAreaRow) -> Self {
        Self {
            id: r.id,
            location_id: r.location_id,
            name: r.name,
            position: r.position,
            version: r.version,
            retired_at: r.retired_at,
        }
    }
}

/// Create or rename a storage area.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageAreaCommand {
    /// 1..=100 characters, unique within the location.
    pub name: Label,
}

/// A location's areas in their new walking order.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageAreaOrder {
    /// Every area in use at the location, each once, first walked first.
    #[schema(max_items = 100)]
    pub ids: Vec<StorageAreaId>,
}

/// An area's items in shelf order.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShelfCommand {
    /// The tenant's items, each once, in shelf order (replaces the area's list); at most 500.
    #[schema(max_items = 500)]
    pub item_ids: Vec<ItemId>,
}

/// An item on an area's shelves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShelfItem {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Shelf order, 1 first.
    pub shelf_order: i32,
}

/// Reads an area the caller may see (its location in their scope), or 404.
async fn area_in_scope(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: StorageAreaId,
) -> Result<StorageAreaRow, AppError> {
    let area = tx
        .get_storage_area(id)
        .await?
        .ok_or(AppError::NotFound("storage area"))?;
    require_location(tx, p.locations, area.location_id)
        .await
        .map_err(|_| AppError::NotFound("storage area"))?;
    Ok(area)
}

/// A location the caller may see (in their scope), which exists, or 404: shared with the
/// kitchen's use cases.
pub(crate) async fn location_in_scope(
    tx: &mut dyn TenantTx,
    p: &Principal,
    location: LocationId,
) -> Result<(), AppError> {
    require_location(tx, p.locations, location).await?;
    tx.get_location(location)
        .await?
        .ok_or(AppError::NotFound("location"))?;
    Ok(())
}

async fn shelf(tx: &mut dyn TenantTx, id: StorageAreaId) -> Result<Vec<ShelfItem>, AppError> {
    Ok(tx
        .area_items(id)
        .await?
        .into_iter()
        .map(|r| ShelfItem {
            item_id: r.item_id,
            name: r.item_name,
            base_unit: r.base_unit,
            shelf_order: r.shelf_order,
        })
        .collect())
}

fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == "storage_areas_version" => {
            AppError::PreconditionFailed("storage area")
        }
        e => e.into(),
    }
}

impl App {
    /// Adds a storage area at the end of a location's walking order.
    ///
    /// # Errors
    /// 403 without `catalog.write`; 404 on the location (one outside a limited member's
    /// included); 422 on `name`, or when the location has 100 areas; 409 on `name`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_storage_area(
        &self,
        p: Principal,
        location: LocationId,
        cmd: StorageAreaCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<StorageArea>, AppError> {
        p.require(Permission::CatalogWrite)?;
        let name = cmd.name.as_str().to_owned();
        let q = p;
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::StorageAreaCreated,
            &(location, &cmd),
            move |tx| {
                Box::pin(async move {
                    location_in_scope(tx, &q, location).await?;
                    let all = tx.list_storage_areas(location, true).await?;
                    if all.iter().filter(|a| a.retired_at.is_none()).count() >= MAX_AREAS {
                        return Err(AppError::invalid(
                            "name",
                            "the location has 100 storage areas, the most it may have",
                        ));
                    }
                    let row = StorageAreaRow {
                        id: StorageAreaId::new(),
                        location_id: location,
                        name,
                        position: all.iter().map(|a| a.position).max().unwrap_or(0) + 1,
                        version: 1,
                        created_at: Utc::now(),
                        retired_at: None,
                    };
                    tx.insert_storage_area(&row).await?;
                    Ok(StorageArea::from(row))
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Renames a storage area when `if_match` is its version.
    ///
    /// # Errors
    /// 403; 404; 422; 409 on `name`; 412 when the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn rename_storage_area(
        &self,
        p: Principal,
        id: StorageAreaId,
        cmd: StorageAreaCommand,
        if_match: Option<i64>,
    ) -> Result<StorageArea, AppError> {
        p.require(Permission::CatalogWrite)?;
        let name = cmd.name.as_str().to_owned();
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::StorageAreaRenamed,
            move |tx| {
                Box::pin(async move {
                    let current = area_in_scope(tx, &p, id).await?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("storage area"));
                    }
                    let row = StorageAreaRow {
                        name,
                        version: current.version + 1,
                        ..current
                    };
                    tx.update_storage_area(&row, expected)
                        .await
                        .map_err(stale)?;
                    Ok(StorageArea::from(row))
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Retires a storage area: it leaves the location's list and count sheets; its shelves are
    /// kept. Retiring again changes nothing.
    ///
    /// # Errors
    /// 403; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn retire_storage_area(
        &self,
        p: Principal,
        id: StorageAreaId,
    ) -> Result<StorageArea, AppError> {
        p.require(Permission::CatalogWrite)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::StorageAreaRetired,
            move |tx| {
                Box::pin(async move {
                    let current = area_in_scope(tx, &p, id).await?;
                    if current.retired_at.is_some() {
                        return Ok(StorageArea::from(current));
                    }
                    let row = StorageAreaRow {
                        retired_at: Some(Utc::now()),
                        version: current.version + 1,
                        ..current.clone()
                    };
                    tx.update_storage_area(&row, current.version)
                        .await
                        .map_err(stale)?;
                    Ok(StorageArea::from(row))
                })
            },
        )
        .await
    }

    /// One storage area.
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_storage_area(
        &self,
        p: Principal,
        id: StorageAreaId,
    ) -> Result<StorageArea, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { area_in_scope(tx, &p, id).await.map(StorageArea::from) })
        })
        .await
    }

    /// A location's storage areas in use, in walking order (at most 100).
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404 on the location.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_storage_areas(
        &self,
        p: Principal,
        location: LocationId,
    ) -> Result<Vec<StorageArea>, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, location).await?;
                Ok(tx
                    .list_storage_areas(location, false)
                    .await?
                    .into_iter()
                    .map(StorageArea::from)
                    .collect())
            })
        })
        .await
    }

    /// Puts a location's areas in a new walking order.
    ///
    /// # Errors
    /// 403; 404 on the location; 422 on `ids` unless they are exactly the location's areas in
    /// use, each once.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn reorder_storage_areas(
        &self,
        p: Principal,
        location: LocationId,
        cmd: StorageAreaOrder,
    ) -> Result<Vec<StorageArea>, AppError> {
        p.require(Permission::CatalogWrite)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::StorageAreasReordered,
            move |tx| {
                Box::pin(async move {
                    location_in_scope(tx, &p, location).await?;
                    let current = tx.list_storage_areas(location, false).await?;
                    let mut want: Vec<StorageAreaId> = current.iter().map(|a| a.id).collect();
                    let mut got = cmd.ids.clone();
                    want.sort();
                    got.sort();
                    if want != got {
                        return Err(AppError::invalid(
                            "ids",
                            "must list every storage area in use at the location, each once",
                        ));
                    }
                    tx.set_storage_area_positions(&cmd.ids).await?;
                    Ok(tx
                        .list_storage_areas(location, false)
                        .await?
                        .into_iter()
                        .map(StorageArea::from)
                        .collect())
                })
            },
        )
        .await
    }

    /// Replaces an area's items with `cmd.item_ids` in that shelf order.
    ///
    /// # Errors
    /// 403; 404 on the area, or on an item not in the tenant (`item_ids[i]` named); 422 on a
    /// repeated item or more than 500.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_area_items(
        &self,
        p: Principal,
        id: StorageAreaId,
        cmd: ShelfCommand,
    ) -> Result<Vec<ShelfItem>, AppError> {
        p.require(Permission::CatalogWrite)?;
        if cmd.item_ids.len() > MAX_SHELF_ITEMS {
            return Err(AppError::invalid("item_ids", "must have at most 500 items"));
        }
        for (i, item) in cmd.item_ids.iter().enumerate() {
            if cmd.item_ids[..i].contains(item) {
                return Err(AppError::invalid(
                    format!("item_ids[{i}]"),
                    "is already on the shelf list",
                ));
            }
        }
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::AreaItemsSet,
            move |tx| {
                Box::pin(async move {
                    area_in_scope(tx, &p, id).await?;
                    for item in &cmd.item_ids {
                        tx.get_item(*item)
                            .await?
                            .ok_or(AppError::NotFound("item"))?;
                    }
                    tx.set_area_items(id, &cmd.item_ids).await?;
                    shelf(tx, id).await
                })
            },
        )
        .await
    }

    /// An area's items in shelf order.
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn area_items(
        &self,
        p: Principal,
        id: StorageAreaId,
    ) -> Result<Vec<ShelfItem>, AppError> {
        p.require(Permission::CatalogRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                area_in_scope(tx, &p, id).await?;
                shelf(tx, id).await
            })
        })
        .await
    }
}
