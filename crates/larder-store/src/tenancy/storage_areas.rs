//! tenancy: storage areas within a location (walk-in, dry store, freezer, bar) in walking
//! order, and the items each holds in shelf order: the count sheet's skeleton (ADR 018).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{BaseUnit, ItemId, LocationId, StorageAreaId};

use crate::StoreError;

/// A storage area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageAreaRow {
    /// Id.
    pub id: StorageAreaId,
    /// The location it is in.
    pub location_id: LocationId,
    /// Name, unique within the location (retired ones included).
    pub name: String,
    /// Walking order within the location (1 first).
    pub position: i32,
    /// Edit version for `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it was retired (it leaves lists and sheets); `None` while in use.
    pub retired_at: Option<DateTime<Utc>>,
}

/// An item on an area's shelves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShelfItemRow {
    /// The area.
    pub storage_area_id: StorageAreaId,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Shelf order within the area (1 first).
    pub shelf_order: i32,
}

/// One line of a location's count sheet: an area (in walking order) and an item on its
/// shelves (in shelf order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRow {
    /// The area.
    pub storage_area_id: StorageAreaId,
    /// Its name.
    pub area_name: String,
    /// Its position.
    pub position: i32,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Shelf order within the area.
    pub shelf_order: i32,
}

/// The storage areas port (a part of [`crate::TenancyTx`]).
#[async_trait]
pub trait StorageAreaTx: Send {
    /// Adds an area. Conflict `storage_areas_name` when the location has one of that name.
    async fn insert_storage_area(&mut self, area: &StorageAreaRow) -> Result<(), StoreError>;
    /// Changes an area's name and retirement when its version is `expected_version`, bumping
    /// it. NotFound when absent; Conflict `storage_areas_version` when the version moved on;
    /// Conflict `storage_areas_name` on a duplicate name.
    async fn update_storage_area(
        &mut self,
        area: &StorageAreaRow,
        expected_version: i64,
    ) -> Result<(), StoreError>;
    /// One area (retired or not).
    async fn get_storage_area(
        &mut self,
        id: StorageAreaId,
    ) -> Result<Option<StorageAreaRow>, StoreError>;
    /// A location's areas in walking order (position, then name), retired ones only when
    /// asked.
    async fn list_storage_areas(
        &mut self,
        location: LocationId,
        include_retired: bool,
    ) -> Result<Vec<StorageAreaRow>, StoreError>;
    /// Sets the positions of `ids` to 1, 2, ... in that order (walking order); versions are
    /// not bumped (the order is the location's, not an area's edit). Ids not in the tenant
    /// change nothing.
    async fn set_storage_area_positions(&mut self, ids: &[StorageAreaId])
    -> Result<(), StoreError>;
    /// Replaces the items of an area with `items` in that shelf order.
    async fn set_area_items(
        &mut self,
        area: StorageAreaId,
        items: &[ItemId],
    ) -> Result<(), StoreError>;
    /// An area's items in shelf order.
    async fn area_items(&mut self, area: StorageAreaId) -> Result<Vec<ShelfItemRow>, StoreError>;
    /// A location's count sheet: its areas in use in walking order, each area's items in shelf
    /// order (retired items left out); an item in several areas appears once per area.
    async fn location_sheet(&mut self, location: LocationId) -> Result<Vec<SheetRow>, StoreError>;
}
