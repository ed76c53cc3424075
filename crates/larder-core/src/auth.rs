//! Roles and the permission scopes they grant. A membership (a person in one tenant) carries a
//! role; every use case asks for one [`Permission`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A member's role in a tenant, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Created the tenant; everything, including tenant settings.
    Owner,
    /// Everything but tenant settings; manages members.
    Admin,
    /// Runs a kitchen: catalog, recipes, stock, sales, reports.
    Manager,
    /// Works a shift: reads the catalog and stock, records waste, counts and sales.
    Staff,
}

/// A permission scope, written `context.action` on the wire (`inventory.adjust`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// `tenant.manage`: tenant settings.
    TenantManage,
    /// `members.manage`: invite and change members, create and revoke API keys.
    MembersManage,
    /// `catalog.read`: items and locations.
    CatalogRead,
    /// `catalog.write`: create and change items and locations.
    CatalogWrite,
    /// `inventory.read`: stock levels and movements.
    InventoryRead,
    /// `inventory.adjust`: post adjustments, waste, receipts and counts.
    InventoryAdjust,
    /// `recipes.read`: recipes, menu items, costs.
    RecipesRead,
    /// `recipes.write`: create and change recipes and menu items.
    RecipesWrite,
    /// `sales.read`: sales tickets.
    SalesRead,
    /// `sales.write`: post sales (POS ingestion, import).
    SalesWrite,
    /// `reports.read`: dashboards and analytics.
    ReportsRead,
    /// `purchase_orders.read`: purchase orders, their history and documents.
    PurchaseOrdersRead,
    /// `purchase_orders.write`: create, edit, submit, send, cancel and close purchase orders,
    /// and approve those at or below the tenant's approval threshold.
    PurchaseOrdersWrite,
    /// `purchase_orders.approve`: approve a purchase order above the tenant's approval
    /// threshold (or any, when the tenant sets none).
    PurchaseOrdersApprove,
    /// `counts.approve`: approve a stock count, posting its count adjustments.
    CountsApprove,
    /// `alerts.manage`: create, change and switch off alert rules, and check them at once.
    AlertsManage,
    /// `kitchen.read`: stations, workflow templates, customer orders, station queues and the
    /// kitchen display.
    KitchenRead,
    /// `kitchen.manage`: create and change stations and workflow templates.
    KitchenManage,
    /// `kitchen.orders`: take, change and cancel customer orders.
    KitchenOrders,
    /// `kitchen.work`: start, complete, block and recall tasks (bump tickets).
    KitchenWork,
}

impl Permission {
    /// Every scope. An API key's scopes are stored by name, and [`Scopes`] holds them as bits
    /// in this order: new scopes go at the end.
    pub const ALL: [Permission; 20] = [
        Permission::TenantManage,
        Permission::MembersManage,
        Permission::CatalogRead,
        Permission::CatalogWrite,
        Permission::InventoryRead,
        Permission::InventoryAdjust,
        Permission::RecipesRead,
        Permission::RecipesWrite,
        Permission::SalesRead,
        Permission::SalesWrite,
        Permission::ReportsRead,
        Permission::PurchaseOrdersRead,
        Permission::PurchaseOrdersWrite,
        Permission::PurchaseOrdersApprove,
        Permission::CountsApprove,
        Permission::AlertsManage,
        Permission::KitchenRead,
        Permission::KitchenManage,
        Permission::KitchenOrders,
        Permission::KitchenWork,
    ];

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::TenantManage => "tenant.manage",
            Permission::MembersManage => "members.manage",
            Permission::CatalogRead => "catalog.read",
            Permission::CatalogWrite => "catalog.write",
            Permission::InventoryRead => "inventory.read",
            Permission::InventoryAdjust => "inventory.adjust",
            Permission::RecipesRead => "recipes.read",
            Permission::RecipesWrite => "recipes.write",
            Permission::SalesRead => "sales.read",
            Permission::SalesWrite => "sales.write",
            Permission::ReportsRead => "reports.read",
            Permission::PurchaseOrdersRead => "purchase_orders.read",
            Permission::PurchaseOrdersWrite => "purchase_orders.write",
            Permission::PurchaseOrdersApprove => "purchase_orders.approve",
            Permission::CountsApprove => "counts.approve",
            Permission::AlertsManage => "alerts.manage",
            Permission::KitchenRead => "kitchen.read",
            Permission::KitchenManage => "kitchen.manage",
            Permission::KitchenOrders => "kitchen.orders",
            Permission::KitchenWork => "kitchen.work",
        }
    }
}

impl FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown scope '{s}'"))
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Permission {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Permission::ALL.map(Permission::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for Permission {}

/// A set of [`Permission`]s (an API key's scopes), as bits in [`Permission::ALL`] order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes(u32);

impl Scopes {
    fn bit(p: Permission) -> u32 {
        let i = Permission::ALL.iter().position(|q| *q == p).unwrap_or(0);
        1 << i
    }
    /// Whether `p` is in the set.
    pub fn contains(self, p: Permission) -> bool {
        self.0 & Self::bit(p) != 0
    }
    /// The scopes, in [`Permission::ALL`] order.
    pub fn to_vec(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.contains(*p))
            .collect()
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The stored spelling: the scopes' names, space-separated.
    pub fn to_text(self) -> String {
        self.to_vec()
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromIterator<Permission> for Scopes {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |acc, p| acc | Self::bit(p)))
    }
}

impl FromStr for Scopes {
    type Err = String;
    /// Parses the stored spelling (names separated by spaces).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split_whitespace().map(str::parse).collect()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Staff => "staff",
        }
    }

    /// Whether this role grants `p`.
    pub fn grants(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Role::Owner => true,
            Role::Admin => p != P::TenantManage,
            Role::Manager => !matches!(
                p,
                P::TenantManage | P::MembersManage | P::PurchaseOrdersApprove
            ),
            Role::Staff => matches!(
                p,
                P::CatalogRead
                    | P::InventoryRead
                    | P::InventoryAdjust
                    | P::RecipesRead
                    | P::SalesWrite
                    | P::PurchaseOrdersRead
                    | P::KitchenRead
                    | P::KitchenOrders
                    | P::KitchenWork
            ),
        }
    }

    /// The scopes this role grants, in [`Permission::ALL`] order.
    pub fn scopes(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.grants(*p))
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "staff" => Ok(Role::Staff),
            other => Err(format!("unknown role '{other}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest() {
        for p in Permission::ALL {
            if Role::Staff.grants(p) {
                assert!(Role::Manager.grants(p), "{p}");
            }
            if Role::Manager.grants(p) {
                assert!(Role::Admin.grants(p), "{p}");
            }
            assert!(Role::Owner.grants(p));
        }
        assert!(!Role::Staff.grants(Permission::CatalogWrite));
        assert!(!Role::Manager.grants(Permission::MembersManage));
        assert!(!Role::Admin.grants(Permission::TenantManage));
        // Purchase orders: staff read them, managers write them, admins approve them too.
        assert!(Role::Staff.grants(Permission::PurchaseOrdersRead));
        assert!(!Role::Staff.grants(Permission::PurchaseOrdersWrite));
        assert!(Role::Manager.grants(Permission::PurchaseOrdersWrite));
        assert!(!Role::Manager.grants(Permission::PurchaseOrdersApprove));
        assert!(Role::Admin.grants(Permission::PurchaseOrdersApprove));
    }

    #[test]
    fn scopes_round_trip_through_their_stored_spelling() {
        let s: Scopes = [Permission::InventoryRead, Permission::CatalogRead]
            .into_iter()
            .collect();
        assert_eq!(s.to_text(), "catalog.read inventory.read");
        assert_eq!(s.to_text().parse::<Scopes>(), Ok(s));
        assert!(s.contains(Permission::CatalogRead));
        assert!(!s.contains(Permission::CatalogWrite));
        assert!("catalog.read nonsense".parse::<Scopes>().is_err());
        // A key stored before the purchase-order scopes existed reads as it did.
        let old: Scopes = "reports.read sales.write".parse().unwrap();
        assert_eq!(
            old.to_vec(),
            [Permission::SalesWrite, Permission::ReportsRead]
        );
        let po: Scopes = "purchase_orders.approve".parse().unwrap();
        assert!(po.contains(Permission::PurchaseOrdersApprove));
        assert!(!po.contains(Permission::ReportsRead));
        let all: Scopes = Permission::ALL.into_iter().collect();
        assert_eq!(all.to_vec(), Permission::ALL.to_vec());
        assert_eq!(
            serde_json::to_string(&Permission::SalesWrite)
                .ok()
                .as_deref(),
            Some("\"sales.write\"")
        );
    }
}
