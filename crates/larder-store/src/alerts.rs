//! The alerts port (ADR 028): rules, the alerts they raise (one open alert per rule and case),
//! each member's notifications and preferences, and the readings each kind of rule needs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{
    BaseUnit, ItemId, LocationId, LotId, Money, PurchaseOrderId, Quantity, StockCountId,
    SupplierItemId, UserId,
};
use uuid::Uuid;

use crate::StoreError;

/// An alert rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRuleRow {
    /// UUIDv7.
    pub id: Uuid,
    /// `larder_core::alerts::AlertKind`'s wire name.
    pub kind: String,
    /// The one location it watches; `None`: every location.
    pub location_id: Option<LocationId>,
    /// Days, millionths of the currency or thousandths of a percent, by kind (0 when it
    /// takes none).
    pub threshold: i64,
    /// It is checked.
    pub enabled: bool,
    /// Who made it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency.
    pub version: i64,
}

/// An alert: one case of a rule's condition, open until it clears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRow {
    /// UUIDv7.
    pub id: Uuid,
    /// The rule.
    pub rule_id: Uuid,
    /// The rule's kind.
    pub kind: String,
    /// The case, stable while it lasts (`item:<id>@<location>`, `lot:<id>`...).
    pub condition_key: String,
    /// Where (none for a tenant-wide case such as a supplier's price).
    pub location_id: Option<LocationId>,
    /// What, in words.
    pub subject: String,
    /// The case's figures, JSON.
    pub detail: String,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// When it cleared; `None` while open.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A member's notification of an alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRow {
    /// UUIDv7.
    pub id: Uuid,
    /// Whose.
    pub user_id: UserId,
    /// Of which alert.
    pub alert_id: Uuid,
    /// Shown in their notification centre.
    pub in_app: bool,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When they read it.
    pub read_at: Option<DateTime<Utc>>,
    /// When its email goes; `None`: no email.
    pub email_due_at: Option<DateTime<Utc>>,
    /// When it went into an email.
    pub emailed_at: Option<DateTime<Utc>>,
}

/// An email due: the notification, its alert, and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueEmailRow {
    /// The notification.
    pub notification: NotificationRow,
    /// Its alert as it is now.
    pub alert: AlertRow,
    /// The member's email address.
    pub email: String,
    /// Their name.
    pub name: String,
}

/// A member's channels for one kind of alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertPreferenceRow {
    /// The kind.
    pub kind: String,
    /// In the notification centre.
    pub in_app: bool,
    /// `off`, `immediate` or `digest`.
    pub email: String,
}

/// A member's quiet hours and digest time (minutes after local midnight).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationSettingsRow {
    /// Quiet from.
    pub quiet_start: Option<i32>,
    /// Quiet until.
    pub quiet_end: Option<i32>,
    /// When the daily digest goes.
    pub digest_minute: i32,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An item below its reorder point at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BelowReorderRow {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Where.
    pub location_id: LocationId,
    /// Stock on hand.
    pub on_hand: Quantity,
    /// The reorder point.
    pub reorder_point: Quantity,
}

/// A lot with stock left that reaches its date by a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiringLotRow {
    /// The lot.
    pub lot_id: LotId,
    /// Its code.
    pub code: Option<String>,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Where.
    pub location_id: LocationId,
    /// Its date, `YYYY-MM-DD`.
    pub expires_on: String,
    /// What is left.
    pub remaining: Quantity,
    /// Its value.
    pub remaining_value: Money,
}

/// A purchase order not fully received after its expected delivery date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverduePoRow {
    /// The order.
    pub id: PurchaseOrderId,
    /// Its number.
    pub number: i64,
    /// Its supplier's name.
    pub supplier_name: String,
    /// Where it goes.
    pub location_id: LocationId,
    /// Its status.
    pub status: String,
    /// Its expected delivery date, `YYYY-MM-DD`.
    pub expected_delivery: String,
}

/// A supplier item's price in force and the one before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceChangeRow {
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
    /// Its SKU at the supplier.
    pub supplier_sku: String,
    /// The supplier's name.
    pub supplier_name: String,
    /// The item's name.
    pub item_name: String,
    /// When the price in force took effect.
    pub effective_from: DateTime<Utc>,
    /// The price before, per pack.
    pub before: Money,
    /// The price in force, per pack.
    pub after: Money,
}

/// An item's latest approved count result at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountVarianceRow {
    /// The count.
    pub count_id: StockCountId,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Where.
    pub location_id: LocationId,
    /// Counted.
    pub counted: Quantity,
    /// Book stock at the instant compared.
    pub book: Quantity,
    /// The count adjustment's value (signed: negative is a loss).
    pub value: Money,
    /// When the count was approved.
    pub approved_at: DateTime<Utc>,
}

/// The alerts port.
#[async_trait]
pub trait AlertTx: Send {
    /// Takes the tenant's alert lock until the transaction ends: a check or an email round
    /// takes it first, so two processes take turns and each reads what the other committed.
    async fn lock_alerts(&mut self) -> Result<(), StoreError>;
    /// Adds a rule. Conflict `foreign_key` when its location does not exist.
    async fn insert_alert_rule(&mut self, r: &AlertRuleRow) -> Result<(), StoreError>;
    /// A rule.
    async fn get_alert_rule(&mut self, id: Uuid) -> Result<Option<AlertRuleRow>, StoreError>;
    /// The tenant's rules, oldest first (at most 500).
    async fn list_alert_rules(&mut self) -> Result<Vec<AlertRuleRow>, StoreError>;
    /// Replaces a rule's location, threshold and switch when its version is `r.version - 1`.
    /// NotFound when it is gone, Conflict `alert_rules_version` when stale.
    async fn update_alert_rule(&mut self, r: &AlertRuleRow) -> Result<(), StoreError>;

    /// The open alerts (at most 10,000), oldest first.
    async fn open_alerts(&mut self) -> Result<Vec<AlertRow>, StoreError>;
    /// Raises an alert unless its rule already has one open for its key; true when raised.
    async fn raise_alert(&mut self, a: &AlertRow) -> Result<bool, StoreError>;
    /// Resolves an open alert at `at`; false when it was already resolved.
    async fn resolve_alert(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Alerts newest first below `before` (an id): open ones (`open` true), resolved ones
    /// (false) or both (`None`), at `location` when given, at most `limit`.
    async fn list_alerts(
        &mut self,
        open: Option<bool>,
        location: Option<LocationId>,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<AlertRow>, StoreError>;
    /// An alert.
    async fn get_alert(&mut self, id: Uuid) -> Result<Option<AlertRow>, StoreError>;

    /// Adds notifications.
    async fn insert_notifications(&mut self, n: &[NotificationRow]) -> Result<(), StoreError>;
    /// A member's notifications in the centre, newest first, below `before` (an id), only
    /// the unread when `unread`, at most `limit`, each with its alert.
    async fn list_notifications(
        &mut self,
        user: UserId,
        unread: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(NotificationRow, AlertRow)>, StoreError>;
    /// How many of a member's notifications in the centre are unread.
    async fn unread_notifications(&mut self, user: UserId) -> Result<i64, StoreError>;
    /// Marks a member's unread notifications read at `at`: those of `ids`, or all when
    /// `None`. Returns how many changed.
    async fn mark_notifications_read(
        &mut self,
        user: UserId,
        ids: Option<&[Uuid]>,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Notifications whose email is due at `now` and not sent, by member then time, at most
    /// `limit`, with the alert and the member's address (active members only).
    async fn due_emails(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueEmailRow>, StoreError>;
    /// Marks notifications emailed at `at` (or, for a member who left, dropped from email).
    async fn mark_emailed(&mut self, ids: &[Uuid], at: DateTime<Utc>) -> Result<(), StoreError>;

    /// A member's channels by kind (only the kinds they set).
    async fn alert_preferences(
        &mut self,
        user: UserId,
    ) -> Result<Vec<AlertPreferenceRow>, StoreError>;
    /// Every member's channels: (member, preference).
    async fn all_alert_preferences(
        &mut self,
    ) -> Result<Vec<(UserId, AlertPreferenceRow)>, StoreError>;
    /// Replaces a member's channels (every kind they set) and settings.
    async fn set_alert_preferences(
        &mut self,
        user: UserId,
        prefs: &[AlertPreferenceRow],
        settings: &NotificationSettingsRow,
    ) -> Result<(), StoreError>;
    /// A member's quiet hours and digest time, if set.
    async fn notification_settings(
        &mut self,
        user: UserId,
    ) -> Result<Option<NotificationSettingsRow>, StoreError>;
    /// Every member's settings.
    async fn all_notification_settings(
        &mut self,
    ) -> Result<Vec<(UserId, NotificationSettingsRow)>, StoreError>;

    /// Items whose stock is below their reorder point (at `location`, else everywhere), not
    /// retired.
    async fn below_reorder_point(
        &mut self,
        location: Option<LocationId>,
    ) -> Result<Vec<BelowReorderRow>, StoreError>;
    /// Lots with stock left whose date is on or before `until` (`YYYY-MM-DD`).
    async fn expiring_lots(
        &mut self,
        until: &str,
        location: Option<LocationId>,
    ) -> Result<Vec<ExpiringLotRow>, StoreError>;
    /// Each location's waste value (positive: what was thrown away, less reversals) of
    /// movements that happened in `[from, to)`.
    async fn waste_value(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        location: Option<LocationId>,
    ) -> Result<Vec<(LocationId, Money)>, StoreError>;
    /// Approved, sent or partly received orders expected before `before` (`YYYY-MM-DD`).
    async fn overdue_purchase_orders(
        &mut self,
        before: &str,
        location: Option<LocationId>,
    ) -> Result<Vec<OverduePoRow>, StoreError>;
    /// Supplier items whose price in force at `now` took effect at or after `since` and had
    /// a price before it.
    async fn recent_price_changes(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PriceChangeRow>, StoreError>;
    /// Each (item, location)'s latest counted result among counts approved at or after
    /// `since`.
    async fn latest_count_results(
        &mut self,
        since: DateTime<Utc>,
        location: Option<LocationId>,
    ) -> Result<Vec<CountVarianceRow>, StoreError>;
}
