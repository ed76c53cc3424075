//! The rows the port reads and writes. Quantities are thousandths of the item's base unit,
//! money millionths of the tenant's currency, times UTC.

use chrono::{DateTime, Utc};
use larder_core::auth::Role;
use larder_core::inventory::MovementKind;
use larder_core::recipe::Component;
use larder_core::tenancy::LocationKind;
use larder_core::{
    BaseUnit, ItemId, LocationId, MenuItemId, Money, MovementId, Quantity, RecipeId,
    RefreshTokenId, SaleId, TenantId, TokenFamilyId, Unit, UserId,
};
use serde::{Deserialize, Serialize};

/// A tenant (restaurant group).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRow {
    /// Id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Unique URL-safe handle, used at login.
    pub slug: String,
    /// ISO 4217 code of the currency all money is in.
    pub currency: String,
    /// IANA time zone of business days.
    pub time_zone: String,
    /// Minutes after local midnight at which a business day starts (a sale at 01:30 with a
    /// 04:00 cutoff belongs to the day before).
    pub day_cutoff_minutes: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    /// Id.
    pub id: UserId,
    /// Lowercased email, unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A person's membership in a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipRow {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its slug.
    pub tenant_slug: String,
    /// Its name.
    pub tenant_name: String,
    /// The person.
    pub user_id: UserId,
    /// The role there.
    pub role: Role,
}

/// One refresh token, stored as the SHA-256 of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRow {
    /// Id.
    pub id: RefreshTokenId,
    /// The rotation family (one login).
    pub family_id: TokenFamilyId,
    /// Whose.
    pub user_id: UserId,
    /// SHA-256 of the secret.
    pub token_hash: Vec<u8>,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Not valid after.
    pub expires_at: DateTime<Utc>,
    /// When it was rotated (used); a second use is a reuse.
    pub used_at: Option<DateTime<Utc>>,
    /// When its family was revoked (logout or reuse).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The stored answer to an idempotent request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRow {
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// SHA-256 of the method, path and body, to refuse the key's reuse for another request.
    pub request_hash: Vec<u8>,
    /// HTTP status of the first answer.
    pub status: u16,
    /// JSON body of the first answer.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationRow {
    /// Id.
    pub id: LocationId,
    /// Name, unique in the tenant.
    pub name: String,
    /// Central kitchen or outlet.
    pub kind: LocationKind,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A purchase pack of an item, such as a 10 kg sack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PackSize {
    /// What the supplier calls it ("sack", "case of 12").
    pub name: String,
    /// Base units in one pack, thousandths.
    pub quantity: Quantity,
}

/// An inventory item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRow {
    /// Id.
    pub id: ItemId,
    /// Name.
    pub name: String,
    /// Stock-keeping unit code, unique in the tenant when given.
    pub sku: Option<String>,
    /// Category ("dry goods", "dairy").
    pub category: Option<String>,
    /// The unit stock is counted in.
    pub base_unit: BaseUnit,
    /// Purchase packs.
    pub pack_sizes: Vec<PackSize>,
    /// GTIN / EAN barcode.
    pub barcode: Option<String>,
    /// Current cost per base unit, millionths of the currency.
    pub unit_cost: Option<Money>,
    /// Edit version for `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Filters for listing items.
#[derive(Clone, Debug, Default)]
pub struct ItemFilter {
    /// Name contains this (case-insensitive).
    pub name_contains: Option<String>,
    /// Exact category.
    pub category: Option<String>,
    /// Exact barcode.
    pub barcode: Option<String>,
    /// Keyset cursor: items after this (name, id).
    pub after: Option<(String, ItemId)>,
    /// At most this many.
    pub limit: u32,
}

/// An item's par level and reorder point at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParLevelRow {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Stock to order up to.
    pub par_level: Option<Quantity>,
    /// Below this, stock is low.
    pub reorder_point: Option<Quantity>,
}

/// One ledger row. `quantity` is the signed change to on hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovementRow {
    /// Id (UUIDv7: creation order).
    pub id: MovementId,
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// Kind.
    pub kind: MovementKind,
    /// Signed change to on hand, thousandths of the base unit.
    pub quantity: Quantity,
    /// Cost per base unit at the time, when known.
    pub unit_cost: Option<Money>,
    /// Waste reason or adjustment reason.
    pub reason: Option<String>,
    /// The sale that caused it.
    pub sale_id: Option<SaleId>,
    /// Who recorded it.
    pub created_by: Option<UserId>,
    /// When it happened in the kitchen.
    pub occurred_at: DateTime<Utc>,
    /// When Larder learned of it.
    pub recorded_at: DateTime<Utc>,
}

/// Filters for listing movements (newest first).
#[derive(Clone, Debug, Default)]
pub struct MovementFilter {
    /// Item.
    pub item_id: Option<ItemId>,
    /// Location.
    pub location_id: Option<LocationId>,
    /// Kind.
    pub kind: Option<MovementKind>,
    /// `occurred_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to`.
    pub to: Option<DateTime<Utc>>,
    /// Keyset cursor: movements with a smaller id.
    pub before: Option<MovementId>,
    /// At most this many.
    pub limit: u32,
}

/// Filters for listing stock levels.
#[derive(Clone, Debug, Default)]
pub struct StockFilter {
    /// Location.
    pub location_id: Option<LocationId>,
    /// Item.
    pub item_id: Option<ItemId>,
    /// Keyset cursor: rows after this (item name, item id, location id).
    pub after: Option<(String, ItemId, LocationId)>,
    /// At most this many.
    pub limit: u32,
}

/// On hand of one item at one location, with what is needed to flag it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevelRow {
    /// Item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Location.
    pub location_id: LocationId,
    /// On hand, thousandths.
    pub on_hand: Quantity,
    /// Par level there.
    pub par_level: Option<Quantity>,
    /// Reorder point there.
    pub reorder_point: Option<Quantity>,
    /// Last movement applied.
    pub updated_at: DateTime<Utc>,
}

/// A stock level that disagrees with its movements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerMismatch {
    /// Item.
    pub item_id: ItemId,
    /// Location.
    pub location_id: LocationId,
    /// What `stock_levels` says (zero when the row is missing).
    pub on_hand: Quantity,
    /// What the movements add up to.
    pub movements_sum: Quantity,
}

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
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// An item's id, base unit and cost, for explosion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemUnitRow {
    /// Item.
    pub id: ItemId,
    /// Name.
    pub name: String,
    /// Base unit.
    pub base_unit: BaseUnit,
    /// Cost per base unit.
    pub unit_cost: Option<Money>,
}

/// A sale (POS ticket) with its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleRow {
    /// Id.
    pub id: SaleId,
    /// Where it was sold.
    pub location_id: LocationId,
    /// `api` or `csv:<name>`, with `external_ref` the POS ticket number.
    pub source: String,
    /// The POS's ticket number; unique per source.
    pub external_ref: Option<String>,
    /// When sold.
    pub occurred_at: DateTime<Utc>,
    /// When recorded.
    pub recorded_at: DateTime<Utc>,
    /// Lines.
    pub lines: Vec<SaleLineRow>,
}

/// One line of a sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleLineRow {
    /// Order on the ticket.
    pub line_no: i32,
    /// The menu item, when the name mapped to one.
    pub menu_item_id: Option<MenuItemId>,
    /// The name as sold.
    pub item_name: String,
    /// Count sold, thousandths.
    pub quantity: Quantity,
    /// Price of one.
    pub unit_price: Money,
}

/// Filters for listing sales.
#[derive(Clone, Debug, Default)]
pub struct SaleFilter {
    /// `occurred_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to`.
    pub to: Option<DateTime<Utc>>,
    /// Keyset cursor: sales with a smaller (occurred_at, id).
    pub before: Option<(DateTime<Utc>, SaleId)>,
    /// At most this many.
    pub limit: u32,
}

/// A name sold that maps to no menu item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmappedRow {
    /// The name as sold.
    pub item_name: String,
    /// How many lines carried it.
    pub lines: i64,
    /// Total count sold.
    pub quantity: Quantity,
}

/// Usage of one item on one day (as offset by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyUsageRow {
    /// Days since 1970-01-01 of the (offset) day.
    pub day: i64,
    /// Item.
    pub item_id: ItemId,
    /// Removed by sales, positive.
    pub quantity: Quantity,
}

/// A menu item's sales in a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopMenuItemRow {
    /// Name as sold.
    pub item_name: String,
    /// The menu item, if mapped.
    pub menu_item_id: Option<MenuItemId>,
    /// Count sold.
    pub quantity: Quantity,
    /// Revenue before rounding: the sum of quantity (thousandths) x unit price (millionths),
    /// so billionths of the currency; callers round it half to even to [`Money`].
    pub revenue_billionths: i64,
}
