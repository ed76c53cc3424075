//! One UUIDv7 newtype per entity, so an [`ItemId`] cannot be passed where a [`LocationId`] is
//! wanted. UUIDv7 (RFC 9562 §5.7) ids sort by creation time, which keeps B-tree inserts local.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an id read from storage or parsed at the edge.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The raw UUID, for storage.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A tenant: one restaurant group, the unit of isolation.
    TenantId
);
id_type!(
    /// A person, global across tenants.
    UserId
);
id_type!(
    /// A location of a tenant: a central kitchen or an outlet.
    LocationId
);
id_type!(
    /// An inventory item (ingredient, prep or supply).
    ItemId
);
id_type!(
    /// One row of the append-only stock ledger.
    MovementId
);
id_type!(
    /// A recipe (bill of materials).
    RecipeId
);
id_type!(
    /// A menu item: what a guest orders and a POS sells.
    MenuItemId
);
id_type!(
    /// A sale (one POS ticket).
    SaleId
);
id_type!(
    /// A refresh token (one link of a rotation family).
    RefreshTokenId
);
id_type!(
    /// A refresh-token family: every token rotated from one login.
    TokenFamilyId
);
id_type!(
    /// An API key of a tenant.
    ApiKeyId
);
id_type!(
    /// A supplier of a tenant (procurement).
    SupplierId
);
id_type!(
    /// What a supplier sells a tenant: one of its items in the supplier's packs.
    SupplierItemId
);
id_type!(
    /// A lot: what one increase of stock brought in at one location (inventory).
    LotId
);
id_type!(
    /// A purchase order of a tenant (procurement).
    PurchaseOrderId
);
id_type!(
    /// A goods receipt: one delivery received at a location (procurement).
    GoodsReceiptId
);
id_type!(
    /// A supplier's invoice: what it bills for goods received (procurement).
    InvoiceId
);
id_type!(
    /// A storage area within a location: walk-in, dry store, freezer, bar (tenancy).
    StorageAreaId
);
id_type!(
    /// A stock count: a sheet of counted lines at one location, approved once (inventory).
    StockCountId
);
id_type!(
    /// A waste entry: stock thrown away, by item or by recipe, with its reason (inventory).
    WasteEntryId
);
id_type!(
    /// A transfer of stock between two locations of a tenant (inventory).
    TransferId
);
id_type!(
    /// A production batch: a sub-recipe made at a location (inventory).
    ProductionBatchId
);
id_type!(
    /// A customer order (phone, in store, online, imported).
    OrderId
);
id_type!(
    /// One line of an order: a menu item in a quantity, with its modifiers.
    OrderLineId
);
id_type!(
    /// A task instance: one task of a workflow template made for one order line.
    TaskId
);
id_type!(
    /// A station: a place in the kitchen with a capacity of parallel tasks (tandoor, fryer, pass).
    StationId
);
id_type!(
    /// A workflow template (all its versions share the id).
    WorkflowTemplateId
);
id_type!(
    /// A delivery of an order by a rider.
    DeliveryId
);
