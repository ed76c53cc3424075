//! Alerts (ADR 028): per-tenant rules whose conditions are checked against the ledger, lots,
//! purchase orders, prices and counts; an alert raised once per case and resolved when it
//! clears (`alerts.alert_raised`, `alerts.alert_resolved`, which webhooks can subscribe to);
//! each member's notification centre with its unread count; and their channels by alert kind
//! (the centre, email at once or in a daily digest) with quiet hours.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use larder_core::alerts::{
    AlertKind, COUNT_WINDOW, DEFAULT_DIGEST_AT, MAX_DAYS, PRICE_WINDOW, QuietHours, digest_due,
    immediate_due, price_rose_more_than, rise_thousandths,
};
use larder_core::auth::{Permission, Role};
use larder_core::{LocationId, Money, Quantity, TenantId, UserId};
use larder_store::{
    AlertPreferenceRow, AlertRow, AlertRuleRow, LocationScope, Mode, NotificationRow,
    NotificationSettingsRow, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::analytics::Calendar;
use crate::events::{EventType, emit_system};
use crate::page;
use crate::{App, AppError, Principal};

/// Most rules a tenant may have.
pub const MAX_RULES: usize = 200;

/// A rule: what to watch, where, and from what threshold.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleCommand {
    /// `below_reorder_point`, `lot_expiring`, `waste_over_value`, `po_overdue`,
    /// `supplier_price_up` or `count_variance` (fixed once created).
    #[schema(max_length = 40)]
    pub kind: String,
    /// The one location watched; absent: every location (`supplier_price_up` watches the
    /// tenant's prices and takes none).
    #[serde(default)]
    pub location_id: Option<LocationId>,
    /// `lot_expiring`: alert this many days before a lot's date (0..=90, 0: on the day);
    /// `po_overdue`: this many days after the expected delivery date (0..=90).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 90)]
    pub days: Option<i64>,
    /// `waste_over_value`: a business day's waste worth more than this at a location;
    /// `count_variance`: a counted line's variance worth more than this, either way
    /// (decimal, the tenant's currency).
    #[serde(default)]
    pub value: Option<Money>,
    /// `supplier_price_up`: a new price more than this percent above the one before it
    /// (decimal, up to 3 places, more than 0).
    #[serde(default)]
    pub percent: Option<Quantity>,
    /// Checked (default true); false switches it off and resolves its open alerts.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A rule as stored.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertRule {
    /// Id.
    pub id: Uuid,
    /// What it watches.
    pub kind: String,
    /// In words.
    pub description: String,
    /// The one location watched; absent: every location.
    pub location_id: Option<LocationId>,
    /// See [`AlertRuleCommand::days`].
    pub days: Option<i64>,
    /// See [`AlertRuleCommand::value`].
    pub value: Option<Money>,
    /// See [`AlertRuleCommand::percent`].
    pub percent: Option<Quantity>,
    /// Checked.
    pub enabled: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// For `If-Match`.
    pub version: i64,
}

/// An alert: one case of a rule's condition.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    /// Id.
    pub id: Uuid,
    /// The rule that raised it.
    pub rule_id: Uuid,
    /// Its kind.
    pub kind: String,
    /// The kind in words (`Below reorder point`).
    pub title: String,
    /// The case's stable key (`item:<id>@<location>`, `lot:<id>`, `po:<id>`...).
    pub condition_key: String,
    /// Where (absent for a tenant-wide case: a supplier's price).
    pub location_id: Option<LocationId>,
    /// What, in one sentence.
    pub subject: String,
    /// The case's figures (item, lot, order, values), by kind.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// `open` or `resolved`.
    pub status: String,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// When its condition cleared.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<AlertRow> for Alert {
    fn from(a: AlertRow) -> Self {
        let title = a
            .kind
            .parse::<AlertKind>()
            .map_or_else(|_| a.kind.clone(), |k| k.title().to_owned());
        Self {
            id: a.id,
            rule_id: a.rule_id,
            title,
            condition_key: a.condition_key,
            location_id: a.location_id,
            subject: a.subject,
            detail: serde_json::from_str(&a.detail).unwrap_or(Value::Null),
            status: if a.resolved_at.is_some() {
                "resolved"
            } else {
                "open"
            }
            .to_owned(),
            kind: a.kind,
            raised_at: a.raised_at,
            resolved_at: a.resolved_at,
        }
    }
}

/// What a check of the rules did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckOutcome {
    /// Alerts raised.
    pub raised: u32,
    /// Alerts resolved.
    pub resolved: u32,
    /// Alerts open after the check.
    pub open: u32,
}

/// One notification in a member's centre.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notification {
    /// Id.
    pub id: Uuid,
    /// When it came.
    pub created_at: DateTime<Utc>,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
    /// The alert, as it is now (it may have been resolved since).
    pub alert: Alert,
}

/// A page of notifications, newest first, with the unread count.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NotificationPage {
    /// Newest first.
    pub data: Vec<Notification>,
    /// The next (older) page's cursor.
    pub next_cursor: Option<String>,
    /// Unread notifications in all.
    pub unread: i64,
}

/// Which notifications, how many, from where.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only the unread (default false).
    pub unread: Option<bool>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Which alerts.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// `open` (default), `resolved` or `all`.
    #[param(max_length = 10)]
    pub status: Option<String>,
    /// Only at this location.
    pub location_id: Option<LocationId>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Mark notifications read: `ids`, or every unread one with `all`.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// The notifications (at most 100).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub ids: Option<Vec<Uuid>>,
    /// Every unread notification.
    #[serde(default)]
    pub all: Option<bool>,
}

/// How many were marked, and what is left unread.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MarkedRead {
    /// Marked read now.
    pub marked: u64,
    /// Still unread.
    pub unread: i64,
}

/// How a member hears of one kind of alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPreference {
    /// The alert kind.
    #[schema(max_length = 40)]
    pub kind: String,
    /// In the notification centre (default true).
    pub in_app: bool,
    /// `off` (default), `immediate` (held through quiet hours) or `digest` (one email a day).
    #[schema(max_length = 10)]
    pub email: String,
}

/// A member's notification preferences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertPreferences {
    /// One per alert kind (on `PUT`, kinds left out go back to the defaults).
    #[schema(max_items = 20)]
    pub channels: Vec<ChannelPreference>,
    /// No email from (`HH:MM`, the tenant's time zone); with `quiet_until`.
    #[serde(default)]
    #[schema(max_length = 5)]
    pub quiet_from: Option<String>,
    /// No email until (`HH:MM`); held emails go then.
    #[serde(default)]
    #[schema(max_length = 5)]
    pub quiet_until: Option<String>,
    /// When the daily digest goes (`HH:MM`, default `07:00`).
    #[serde(default)]
    #[schema(max_length = 5)]
    pub digest_at: Option<String>,
}

/// A parsed rule threshold and its stored form.
fn threshold_of(kind: AlertKind, cmd: &AlertRuleCommand) -> Result<i64, AppError> {
    let want = kind.threshold_field();
    for (field, given) in [
        ("days", cmd.days.is_some()),
        ("value", cmd.value.is_some()),
        ("percent", cmd.percent.is_some()),
    ] {
        if given && want != Some(field) {
            return Err(AppError::invalid(
                field,
                format!("is not a threshold of {kind}"),
            ));
        }
    }
    match kind {
        AlertKind::BelowReorderPoint => Ok(0),
        AlertKind::LotExpiring | AlertKind::PoOverdue => {
            let d = cmd
                .days
                .ok_or_else(|| AppError::invalid("days", format!("is required for {kind}")))?;
            if !(0..=MAX_DAYS).contains(&d) {
                return Err(AppError::invalid("days", "must be from 0 to 90"));
            }
            Ok(d)
        }
        AlertKind::WasteOverValue | AlertKind::CountVariance => {
            let v = cmd
                .value
                .ok_or_else(|| AppError::invalid("value", format!("is required for {kind}")))?;
            if v.raw() < 0 {
                return Err(AppError::invalid("value", "must not be negative"));
            }
            Ok(v.raw())
        }
        AlertKind::SupplierPriceUp => {
            let p = cmd
                .percent
                .ok_or_else(|| AppError::invalid("percent", format!("is required for {kind}")))?;
            if p.raw() <= 0 || p.raw() > 1_000_000 {
                return Err(AppError::invalid(
                    "percent",
                    "must be more than 0 and at most 1000",
                ));
            }
            Ok(p.raw())
        }
    }
}

fn kind_of(s: &str) -> Result<AlertKind, AppError> {
    s.trim()
        .parse()
        .map_err(|e: String| AppError::invalid("kind", e))
}

fn rule_view(r: &AlertRuleRow) -> AlertRule {
    let kind = r.kind.parse::<AlertKind>().ok();
    let field = kind.and_then(AlertKind::threshold_field);
    AlertRule {
        id: r.id,
        kind: r.kind.clone(),
        description: kind.map_or_else(String::new, |k| k.description().to_owned()),
        location_id: r.location_id,
        days: (field == Some("days")).then_some(r.threshold),
        value: (field == Some("value")).then(|| Money::from_raw(r.threshold)),
        percent: (field == Some("percent")).then(|| Quantity::from_raw(r.threshold)),
        enabled: r.enabled,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    }
}

/// A rule of every location (and a tenant-wide one, a supplier's prices) is for members who
/// see every location: a member limited to some names one of theirs, and leaves the
/// tenant-wide rules alone.
async fn require_unlimited(tx: &mut dyn TenantTx, p: &Principal) -> Result<(), AppError> {
    if let LocationScope::Member(u) = p.locations
        && tx.member_locations(u).await?.is_some()
    {
        return Err(AppError::invalid(
            "location_id",
            "a member limited to some locations sets rules of one of theirs only",
        ));
    }
    Ok(())
}

/// What a member must hold to hear of, or read, an alert of `kind` (as for the events behind
/// it: orders and prices need `purchase_orders.read`, counts `counts.approve`; a kind this
/// build does not know, the most).
pub(crate) fn permission_for(kind: &str) -> Permission {
    match kind {
        "po_overdue" | "supplier_price_up" => Permission::PurchaseOrdersRead,
        "count_variance" => Permission::CountsApprove,
        "below_reorder_point" | "lot_expiring" | "waste_over_value" => Permission::InventoryRead,
        _ => Permission::MembersManage,
    }
}

fn parse_hhmm(field: &str, s: &str) -> Result<NaiveTime, AppError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| AppError::invalid(field, "must be a time of day, HH:MM"))
}

fn minute_of(t: NaiveTime) -> i32 {
    i32::try_from(t.hour() * 60 + t.minute()).unwrap_or(0)
}

fn time_of(minute: i32) -> NaiveTime {
    let m = u32::try_from(minute.clamp(0, 1439)).unwrap_or(0);
    NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap_or(NaiveTime::MIN)
}

/// The instant a local wall-clock time in `tz` falls on (a time in a daylight-saving gap
/// moves an hour later).
fn instant_of(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// A member's channels for `kind`: what they set, else the centre and no email.
fn channel<'a>(prefs: &'a [AlertPreferenceRow], kind: &str) -> (bool, &'a str) {
    prefs
        .iter()
        .find(|p| p.kind == kind)
        .map_or((true, "off"), |p| (p.in_app, p.email.as_str()))
}

/// When a member's email of something at `now` is due, or `None` for no email.
fn email_due(
    email: &str,
    settings: Option<&NotificationSettingsRow>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz).naive_local();
    match email {
        "immediate" => {
            let quiet = settings.and_then(|s| match (s.quiet_start, s.quiet_end) {
                (Some(a), Some(b)) => Some(QuietHours {
                    start: time_of(a),
                    end: time_of(b),
                }),
                _ => None,
            });
            let due = immediate_due(local, quiet);
            Some(if due == local {
                now
            } else {
                instant_of(tz, due)
            })
        }
        "digest" => {
            let at = settings.map_or(DEFAULT_DIGEST_AT, |s| time_of(s.digest_minute));
            Some(instant_of(tz, digest_due(local, at)))
        }
        _ => None,
    }
}

/// One case of a rule's condition, as found now.
struct Case {
    key: String,
    location_id: Option<LocationId>,
    subject: String,
    detail: Value,
}

/// The cases of `rule`'s condition at `now`.
async fn cases(
    tx: &mut dyn TenantTx,
    rule: &AlertRuleRow,
    kind: AlertKind,
    cal: &Calendar,
    currency: &str,
    places: &HashMap<LocationId, String>,
    now: DateTime<Utc>,
) -> Result<Vec<Case>, AppError> {
    let at = |l: &LocationId| places.get(l).cloned().unwrap_or_else(|| l.to_string());
    let today = cal.business_date(now);
    let mut out = Vec::new();
    match kind {
        AlertKind::BelowReorderPoint => {
            for r in tx.below_reorder_point(rule.location_id).await? {
                out.push(Case {
                    key: format!("item:{}@{}", r.item_id, r.location_id),
                    location_id: Some(r.location_id),
                    subject: format!(
                        "{} at {}: {} {} on hand, below its reorder point of {} {}",
                        r.item_name,
                        at(&r.location_id),
                        r.on_hand,
                        r.base_unit,
                        r.reorder_point,
                        r.base_unit
                    ),
                    detail: json!({
                        "item_id": r.item_id, "item_name": r.item_name,
                        "location_id": r.location_id, "base_unit": r.base_unit.as_str(),
                        "on_hand": r.on_hand, "reorder_point": r.reorder_point,
                    }),
                });
            }
        }
        AlertKind::LotExpiring => {
            let until = (today + Duration::days(rule.threshold)).to_string();
            for r in tx.expiring_lots(&until, rule.location_id).await? {
                let past = r.expires_on.as_str() < today.to_string().as_str();
                out.push(Case {
                    key: format!("lot:{}", r.lot_id),
                    location_id: Some(r.location_id),
                    subject: format!(
                        "{} at {}: {} {} {} {}{}",
                        r.item_name,
                        at(&r.location_id),
                        r.remaining,
                        r.base_unit,
                        if past { "expired" } else { "expires" },
                        r.expires_on,
                        r.code
                            .as_deref()
                            .map(|c| format!(" (lot {c})"))
                            .unwrap_or_default()
                    ),
                    detail: json!({
                        "lot_id": r.lot_id, "lot_code": r.code, "item_id": r.item_id,
                        "item_name": r.item_name, "location_id": r.location_id,
                        "base_unit": r.base_unit.as_str(), "expires_on": r.expires_on,
                        "remaining": r.remaining, "remaining_value": r.remaining_value,
                    }),
                });
            }
        }
        AlertKind::WasteOverValue => {
            let (from, to) = (
                cal.day_start(today),
                cal.day_start(today + Duration::days(1)),
            );
            for (l, v) in tx.waste_value(from, to, rule.location_id).await? {
                if v.raw() > rule.threshold {
                    out.push(Case {
                        key: format!("waste:{l}:{today}"),
                        location_id: Some(l),
                        subject: format!(
                            "Waste at {} on {today}: {v} {currency}, over {} {currency}",
                            at(&l),
                            Money::from_raw(rule.threshold)
                        ),
                        detail: json!({
                            "location_id": l, "business_date": today.to_string(),
                            "value": v, "threshold": Money::from_raw(rule.threshold),
                        }),
                    });
                }
            }
        }
        AlertKind::PoOverdue => {
            let before = (today - Duration::days(rule.threshold)).to_string();
            for r in tx
                .overdue_purchase_orders(&before, rule.location_id)
                .await?
            {
                out.push(Case {
                    key: format!("po:{}", r.id),
                    location_id: Some(r.location_id),
                    subject: format!(
                        "PO-{:06} from {} to {} was expected {} and is still {}",
                        r.number,
                        r.supplier_name,
                        at(&r.location_id),
                        r.expected_delivery,
                        r.status.replace('_', " ")
                    ),
                    detail: json!({
                        "purchase_order_id": r.id, "number": r.number,
                        "supplier_name": r.supplier_name, "location_id": r.location_id,
                        "status": r.status, "expected_delivery": r.expected_delivery,
                    }),
                });
            }
        }
        AlertKind::SupplierPriceUp => {
            for r in tx.recent_price_changes(now - PRICE_WINDOW, now).await? {
                if price_rose_more_than(r.before.raw(), r.after.raw(), rule.threshold) {
                    let rise =
                        rise_thousandths(r.before.raw(), r.after.raw()).map(Quantity::from_raw);
                    out.push(Case {
                        key: format!(
                            "price:{}:{}",
                            r.supplier_item_id,
                            r.effective_from.timestamp_micros()
                        ),
                        location_id: None,
                        subject: format!(
                            "{} ({} {}): {} -> {} {currency} a pack{}",
                            r.item_name,
                            r.supplier_name,
                            r.supplier_sku,
                            r.before,
                            r.after,
                            rise.map(|p| format!(", up {p} %")).unwrap_or_default()
                        ),
                        detail: json!({
                            "supplier_item_id": r.supplier_item_id,
                            "supplier_sku": r.supplier_sku, "supplier_name": r.supplier_name,
                            "item_name": r.item_name, "effective_from": r.effective_from,
                            "before": r.before, "after": r.after, "rise_percent": rise,
                        }),
                    });
                }
            }
        }
        AlertKind::CountVariance => {
            for r in tx
                .latest_count_results(now - COUNT_WINDOW, rule.location_id)
                .await?
            {
                if r.value.raw().unsigned_abs() > rule.threshold.unsigned_abs() {
                    out.push(Case {
                        key: format!("count:{}:{}", r.count_id, r.item_id),
                        location_id: Some(r.location_id),
                        subject: format!(
                            "{} at {}: counted {} {} against {} {} on the book, {} {currency}",
                            r.item_name,
                            at(&r.location_id),
                            r.counted,
                            r.base_unit,
                            r.book,
                            r.base_unit,
                            r.value
                        ),
                        detail: json!({
                            "stock_count_id": r.count_id, "item_id": r.item_id,
                            "item_name": r.item_name, "location_id": r.location_id,
                            "base_unit": r.base_unit.as_str(), "counted": r.counted,
                            "book": r.book, "value": r.value, "approved_at": r.approved_at,
                        }),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Who hears of alerts, read once per check that raises one.
struct Audience {
    members: Vec<(UserId, Role)>,
    limits: HashMap<UserId, BTreeSet<LocationId>>,
    prefs: HashMap<UserId, Vec<AlertPreferenceRow>>,
    settings: HashMap<UserId, NotificationSettingsRow>,
}

impl Audience {
    async fn read(tx: &mut dyn TenantTx) -> Result<Self, AppError> {
        let mut members = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = tx.list_members(after.as_deref(), 500).await?;
            let done = page.len() < 500;
            after = page.last().map(|m| m.email.clone());
            members.extend(
                page.into_iter()
                    .filter(|m| m.deactivated_at.is_none())
                    .map(|m| (m.user_id, m.role)),
            );
            if done {
                break;
            }
        }
        let mut limits: HashMap<UserId, BTreeSet<LocationId>> = HashMap::new();
        for (u, l) in tx.all_member_locations().await? {
            limits.entry(u).or_default().insert(l);
        }
        let mut prefs: HashMap<UserId, Vec<AlertPreferenceRow>> = HashMap::new();
        for (u, p) in tx.all_alert_preferences().await? {
            prefs.entry(u).or_default().push(p);
        }
        let settings = tx.all_notification_settings().await?.into_iter().collect();
        Ok(Self {
            members,
            limits,
            prefs,
            settings,
        })
    }

    /// The notifications of a new alert: one per member who may see it and wants to hear.
    fn notify(&self, a: &AlertRow, tz: Tz, now: DateTime<Utc>) -> Vec<NotificationRow> {
        let need = permission_for(&a.kind);
        let mut out = Vec::new();
        for (user, role) in &self.members {
            if !role.grants(need) {
                continue;
            }
            if let Some(allowed) = self.limits.get(user) {
                // A member limited to some locations hears only of cases at them.
                if !a.location_id.is_some_and(|l| allowed.contains(&l)) {
                    continue;
                }
            }
            let prefs = self.prefs.get(user).map_or(&[][..], Vec::as_slice);
            let (in_app, email) = channel(prefs, &a.kind);
            let due = email_due(email, self.settings.get(user), tz, now);
            if !in_app && due.is_none() {
                continue;
            }
            out.push(NotificationRow {
                id: Uuid::now_v7(),
                user_id: *user,
                alert_id: a.id,
                in_app,
                created_at: now,
                read_at: None,
                email_due_at: due,
                emailed_at: None,
            });
        }
        out
    }
}

/// Checks every rule of the tenant in `tx` at `now`: raises an alert for each new case (and
/// notifies), resolves each open alert whose case is gone or whose rule is off.
async fn check(tx: &mut dyn TenantTx, now: DateTime<Utc>) -> Result<CheckOutcome, AppError> {
    tx.lock_alerts().await?;
    let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    let cal = Calendar::of(&tenant)?;
    let rules = tx.list_alert_rules().await?;
    let places: HashMap<LocationId, String> = tx
        .list_locations(LocationScope::All, None, 1000)
        .await?
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let mut found: BTreeMap<(Uuid, String), Case> = BTreeMap::new();
    for rule in rules.iter().filter(|r| r.enabled) {
        let Ok(kind) = rule.kind.parse::<AlertKind>() else {
            continue;
        };
        for c in cases(tx, rule, kind, &cal, &tenant.currency, &places, now).await? {
            found.insert((rule.id, c.key.clone()), c);
        }
    }
    let open = tx.open_alerts().await?;
    let mut outcome = CheckOutcome::default();
    let mut still_open = 0u32;
    for a in &open {
        if found.contains_key(&(a.rule_id, a.condition_key.clone())) {
            still_open += 1;
            continue;
        }
        if tx.resolve_alert(a.id, now).await? {
            outcome.resolved += 1;
            let mut resolved = a.clone();
            resolved.resolved_at = Some(now);
            emit_system(
                tx,
                EventType::AlertResolved,
                a.location_id,
                now,
                crate::events::to_json(&Alert::from(resolved))?,
            )
            .await?;
        }
    }
    let open_keys: BTreeSet<(Uuid, String)> = open
        .iter()
        .map(|a| (a.rule_id, a.condition_key.clone()))
        .collect();
    let kinds: HashMap<Uuid, String> = rules.iter().map(|r| (r.id, r.kind.clone())).collect();
    let mut audience: Option<Audience> = None;
    for ((rule_id, key), c) in found {
        if open_keys.contains(&(rule_id, key.clone())) {
            continue;
        }
        let row = AlertRow {
            id: Uuid::now_v7(),
            rule_id,
            kind: kinds.get(&rule_id).cloned().unwrap_or_default(),
            condition_key: key,
            location_id: c.location_id,
            subject: c.subject,
            detail: c.detail.to_string(),
            raised_at: now,
            resolved_at: None,
        };
        // Another process raised it meanwhile: it is open, and its members were notified.
        if !tx.raise_alert(&row).await? {
            still_open += 1;
            continue;
        }
        outcome.raised += 1;
        still_open += 1;
        if audience.is_none() {
            audience = Some(Audience::read(tx).await?);
        }
        if let Some(who) = &audience {
            tx.insert_notifications(&who.notify(&row, cal.tz, now))
                .await?;
        }
        emit_system(
            tx,
            EventType::AlertRaised,
            row.location_id,
            now,
            crate::events::to_json(&Alert::from(row))?,
        )
        .await?;
    }
    outcome.open = still_open;
    Ok(outcome)
}

/// A member's own notifications and preferences are read and set in person: with their
/// session (a second factor, when required, verified), not an API key acting for them.
fn require_person(p: &Principal) -> Result<(), AppError> {
    p.require(Permission::InventoryRead)?;
    if p.scopes.is_some() {
        return Err(AppError::Forbidden(
            "notifications are a member's own: read them in person, not with an API key",
        ));
    }
    Ok(())
}

impl App {
    /// Adds a rule (checked from the next check on); a retry with the same `key` answers the
    /// first rule and adds none.
    ///
    /// # Errors
    /// 403 without `alerts.manage`; 422 on `kind`, `location_id` (given for a tenant-wide kind,
    /// or missing from a member limited to some locations),
    /// `days`, `value` or `percent`; 404 on a location `p` may not see or that does not
    /// exist; 409 on `kind` at 200 rules.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_alert_rule(
        &self,
        p: Principal,
        cmd: AlertRuleCommand,
        key: Option<crate::idempotency::IdempotencyKey>,
    ) -> Result<crate::idempotency::Idempotent<AlertRule>, AppError> {
        p.require(Permission::AlertsManage)?;
        let kind = kind_of(&cmd.kind)?;
        let threshold = threshold_of(kind, &cmd)?;
        if cmd.location_id.is_some() && !kind.has_location() {
            return Err(AppError::invalid(
                "location_id",
                format!("{kind} watches the tenant's prices, not a location's"),
            ));
        }
        let now = Utc::now();
        let row = AlertRuleRow {
            id: Uuid::now_v7(),
            kind: kind.as_str().to_owned(),
            location_id: cmd.location_id,
            threshold,
            enabled: cmd.enabled.unwrap_or(true),
            created_by: Some(p.user_id),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        crate::idempotency::run_once(
            self.db(),
            &p,
            key,
            EventType::AlertRuleCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    if let Some(l) = row.location_id {
                        crate::tenancy::require_location(tx, p.locations, l).await?;
                        tx.get_location(l)
                            .await?
                            .ok_or(AppError::NotFound("location"))?;
                    } else {
                        require_unlimited(tx, &p).await?;
                    }
                    if tx.list_alert_rules().await?.len() >= MAX_RULES {
                        return Err(AppError::conflict(
                            "kind",
                            "a tenant has at most 200 alert rules",
                        ));
                    }
                    tx.insert_alert_rule(&row).await?;
                    Ok(rule_view(&row))
                })
            },
        )
        .await
    }

    /// The tenant's rules, oldest first (a member limited to some locations sees the rules of
    /// those and the tenant-wide ones).
    ///
    /// # Errors
    /// 403 without `inventory.read`.
    pub async fn list_alert_rules(&self, p: Principal) -> Result<Vec<AlertRule>, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let allowed = match p.locations {
                    LocationScope::All => None,
                    LocationScope::Member(u) => tx.member_locations(u).await?,
                };
                Ok(tx
                    .list_alert_rules()
                    .await?
                    .iter()
                    .filter(|r| {
                        r.location_id
                            .is_none_or(|l| allowed.as_ref().is_none_or(|a| a.contains(&l)))
                    })
                    .map(rule_view)
                    .collect())
            })
        })
        .await
    }

    /// Changes a rule's location, threshold or switch (its kind stays); switching it off
    /// resolves its open alerts at the next check. Without `version` (no `If-Match`) the last
    /// write wins.
    ///
    /// # Errors
    /// 403 without `alerts.manage`, or for a member limited to some locations on a rule of
    /// every location; 404; 412 when `version` is given and is not the rule's; 422 as for
    /// [`App::create_alert_rule`], and on `kind` when it differs.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_alert_rule(
        &self,
        p: Principal,
        id: Uuid,
        version: Option<i64>,
        cmd: AlertRuleCommand,
    ) -> Result<AlertRule, AppError> {
        p.require(Permission::AlertsManage)?;
        let kind = kind_of(&cmd.kind)?;
        let threshold = threshold_of(kind, &cmd)?;
        if cmd.location_id.is_some() && !kind.has_location() {
            return Err(AppError::invalid(
                "location_id",
                format!("{kind} watches the tenant's prices, not a location's"),
            ));
        }
        crate::events::write(self.db(), &p, EventType::AlertRuleUpdated, move |tx| {
            Box::pin(async move {
                let mut row = tx
                    .get_alert_rule(id)
                    .await?
                    .ok_or(AppError::NotFound("alert rule"))?;
                for l in [row.location_id, cmd.location_id].into_iter().flatten() {
                    crate::tenancy::require_location(tx, p.locations, l).await?;
                }
                if row.location_id.is_none() && require_unlimited(tx, &p).await.is_err() {
                    return Err(AppError::Forbidden(
                        "a member limited to some locations cannot change a rule of every location",
                    ));
                }
                if row.kind != kind.as_str() {
                    return Err(AppError::invalid("kind", "cannot change once created"));
                }
                if version.is_some_and(|v| v != row.version) {
                    return Err(AppError::PreconditionFailed("alert rule"));
                }
                if let Some(l) = cmd.location_id {
                    tx.get_location(l)
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                } else {
                    require_unlimited(tx, &p).await?;
                }
                row.location_id = cmd.location_id;
                row.threshold = threshold;
                row.enabled = cmd.enabled.unwrap_or(true);
                row.updated_at = Utc::now();
                row.version += 1;
                tx.update_alert_rule(&row).await.map_err(|e| match e {
                    larder_store::StoreError::Conflict { constraint }
                        if constraint == "alert_rules_version" =>
                    {
                        AppError::PreconditionFailed("alert rule")
                    }
                    other => other.into(),
                })?;
                Ok(rule_view(&row))
            })
        })
        .await
    }

    /// A rule.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404.
    pub async fn get_alert_rule(&self, p: Principal, id: Uuid) -> Result<AlertRule, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let r = tx
                    .get_alert_rule(id)
                    .await?
                    .ok_or(AppError::NotFound("alert rule"))?;
                if let Some(l) = r.location_id {
                    crate::tenancy::require_location(tx, p.locations, l)
                        .await
                        .map_err(|_| AppError::NotFound("alert rule"))?;
                }
                Ok(rule_view(&r))
            })
        })
        .await
    }

    /// Checks the tenant's rules now (the alert loop does so every minute and after changes).
    ///
    /// # Errors
    /// 403 without `alerts.manage`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn check_alerts(&self, p: Principal) -> Result<CheckOutcome, AppError> {
        p.require(Permission::AlertsManage)?;
        self.evaluate_alerts(p.tenant_id, Utc::now()).await
    }

    /// Checks a tenant's rules at `now` in one transaction: the system's own check (no
    /// person acts). Two processes checking at once raise each case once (the open alert's
    /// key is unique).
    ///
    /// # Errors
    /// Storage errors.
    pub async fn evaluate_alerts(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<CheckOutcome, AppError> {
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move { check(tx, now).await })
        })
        .await
    }

    /// The tenants the alert loop looks after: those with a rule switched on or an email due.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn alert_tenants(&self) -> Result<Vec<TenantId>, AppError> {
        Ok(self.db().alert_tenants().await?)
    }

    /// Checks the rules of each tenant in `tenants` at `now`, then queues the alert emails due
    /// ([`App::queue_alert_emails`]); a tenant whose check fails is logged and the others still
    /// checked. Returns the sum of what the checks did.
    pub async fn alert_round(&self, tenants: &[TenantId], now: DateTime<Utc>) -> CheckOutcome {
        let mut sum = CheckOutcome::default();
        for t in tenants {
            match self.evaluate_alerts(*t, now).await {
                Ok(o) => {
                    sum.raised += o.raised;
                    sum.resolved += o.resolved;
                    sum.open += o.open;
                }
                Err(e) => tracing::warn!(tenant_id = %t, error = %e, "checking alert rules failed"),
            }
            if let Err(e) = self.queue_alert_emails(*t, now).await {
                tracing::warn!(tenant_id = %t, error = %e, "queueing alert emails failed");
            }
        }
        sum
    }

    /// Queues a tenant's alert emails due at `now` on the mail path (ADR 029): one message per
    /// member with every notification of theirs that is due (one alert sent at once, or the
    /// day's digest, or what quiet hours held back), text and HTML, each alert as it is now
    /// (open or resolved since). A member who left gets none. Returns the messages queued.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn queue_alert_emails(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<u32, AppError> {
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.lock_alerts().await?;
                let due = tx.due_emails(now, 1000).await?;
                if due.is_empty() {
                    return Ok(0);
                }
                let name = tx.get_tenant().await?.map(|t| t.name).unwrap_or_default();
                let mut queued = 0;
                let mut by_member: BTreeMap<UserId, Vec<larder_store::DueEmailRow>> =
                    BTreeMap::new();
                for d in due {
                    by_member.entry(d.notification.user_id).or_default().push(d);
                }
                for (user, rows) in by_member {
                    let ids: Vec<Uuid> = rows.iter().map(|r| r.notification.id).collect();
                    let address = rows[0].email.clone();
                    if !address.is_empty() {
                        crate::mail::queue(tx, &alert_email(&name, user, &address, &rows)).await?;
                        queued += 1;
                    }
                    tx.mark_emailed(&ids, now).await?;
                }
                Ok(queued)
            })
        })
        .await
    }

    /// Alerts `p` may see, newest first.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `status`, `limit` or `cursor`; 404 on a location
    /// `p` may not see.
    pub async fn list_alerts(
        &self,
        p: Principal,
        q: AlertQuery,
    ) -> Result<page::Page<Alert>, AppError> {
        p.require(Permission::InventoryRead)?;
        let open = match q.status.as_deref().unwrap_or("open") {
            "open" => Some(true),
            "resolved" => Some(false),
            "all" => None,
            _ => {
                return Err(AppError::invalid("status", "must be open, resolved or all"));
            }
        };
        let limit = page::limit(q.limit)?;
        let before: Option<Uuid> = match q.cursor.as_deref() {
            None => None,
            Some(c) => Some(page::id(&page::decode(c, 1)?[0])?),
        };
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                if let Some(l) = q.location_id {
                    crate::tenancy::require_location(tx, p.locations, l).await?;
                }
                let allowed = match p.locations {
                    LocationScope::All => None,
                    LocationScope::Member(u) => tx.member_locations(u).await?,
                };
                // One row more than the page says whether there is a next one.
                let rows = tx
                    .list_alerts(open, q.location_id, before, limit + 1)
                    .await?;
                let found = page::page(rows, limit, |r| page::encode(&[&r.id.to_string()]));
                let data = found
                    .data
                    .into_iter()
                    .filter(|a| {
                        p.require(permission_for(&a.kind)).is_ok()
                            && match &allowed {
                                None => true,
                                Some(al) => a.location_id.is_some_and(|l| al.contains(&l)),
                            }
                    })
                    .map(Alert::from)
                    .collect();
                Ok(page::Page {
                    data,
                    next_cursor: found.next_cursor,
                })
            })
        })
        .await
    }

    /// `p`'s notifications, newest first, with their unread count.
    ///
    /// # Errors
    /// 403 without `inventory.read` or with an API key; 422 on `limit` or `cursor`.
    pub async fn list_notifications(
        &self,
        p: Principal,
        q: NotificationQuery,
    ) -> Result<NotificationPage, AppError> {
        require_person(&p)?;
        let limit = page::limit(q.limit)?;
        let before: Option<Uuid> = match q.cursor.as_deref() {
            None => None,
            Some(c) => Some(page::id(&page::decode(c, 1)?[0])?),
        };
        let unread_only = q.unread.unwrap_or(false);
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx
                    .list_notifications(p.user_id, unread_only, before, limit + 1)
                    .await?;
                let found = page::page(rows, limit, |r| page::encode(&[&r.0.id.to_string()]));
                let unread = tx.unread_notifications(p.user_id).await?;
                Ok(NotificationPage {
                    data: found
                        .data
                        .into_iter()
                        .map(|(n, a)| Notification {
                            id: n.id,
                            created_at: n.created_at,
                            read_at: n.read_at,
                            alert: Alert::from(a),
                        })
                        .collect(),
                    next_cursor: found.next_cursor,
                    unread,
                })
            })
        })
        .await
    }

    /// How many of `p`'s notifications are unread.
    ///
    /// # Errors
    /// 403 without `inventory.read` or with an API key.
    pub async fn unread_notifications(&self, p: Principal) -> Result<i64, AppError> {
        require_person(&p)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { Ok(tx.unread_notifications(p.user_id).await?) })
        })
        .await
    }

    /// Marks `p`'s notifications read (`ids`, or all with `all`) and announces it
    /// (`alerts.notifications_read`, so their other pages update their count).
    ///
    /// # Errors
    /// 403 without `inventory.read` or with an API key; 422 on `ids` (none, or more than 100)
    /// unless `all`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn mark_notifications_read(
        &self,
        p: Principal,
        cmd: MarkRead,
    ) -> Result<MarkedRead, AppError> {
        require_person(&p)?;
        let all = cmd.all.unwrap_or(false);
        let ids = if all {
            None
        } else {
            let ids = cmd.ids.unwrap_or_default();
            if ids.is_empty() {
                return Err(AppError::invalid("ids", "name at least one, or set all"));
            }
            if ids.len() > 100 {
                return Err(AppError::invalid("ids", "must list at most 100"));
            }
            Some(ids)
        };
        crate::events::write(self.db(), &p, EventType::NotificationsRead, move |tx| {
            Box::pin(async move {
                let marked = tx
                    .mark_notifications_read(p.user_id, ids.as_deref(), Utc::now())
                    .await?;
                let unread = tx.unread_notifications(p.user_id).await?;
                Ok(MarkedRead { marked, unread })
            })
        })
        .await
    }

    /// `p`'s channels for every alert kind (defaults filled in), quiet hours and digest time.
    ///
    /// # Errors
    /// 403 without `inventory.read` or with an API key.
    pub async fn alert_preferences(&self, p: Principal) -> Result<AlertPreferences, AppError> {
        require_person(&p)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let prefs = tx.alert_preferences(p.user_id).await?;
                let settings = tx.notification_settings(p.user_id).await?;
                Ok(preferences_view(&prefs, settings.as_ref()))
            })
        })
        .await
    }

    /// Replaces `p`'s preferences (kinds left out go back to the defaults).
    ///
    /// # Errors
    /// 403 without `inventory.read` or with an API key; 422 on `channels[i].kind` (unknown, or
    /// twice), `channels[i].email`, `quiet_from`,
    /// `quiet_until` (one without the other) or `digest_at`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_alert_preferences(
        &self,
        p: Principal,
        cmd: AlertPreferences,
    ) -> Result<AlertPreferences, AppError> {
        require_person(&p)?;
        let mut rows: Vec<AlertPreferenceRow> = Vec::new();
        for (i, c) in cmd.channels.iter().enumerate() {
            let kind = c
                .kind
                .trim()
                .parse::<AlertKind>()
                .map_err(|e| AppError::invalid(format!("channels[{i}].kind"), e))?;
            if rows.iter().any(|r| r.kind == kind.as_str()) {
                return Err(AppError::invalid(
                    format!("channels[{i}].kind"),
                    "is listed twice",
                ));
            }
            if !matches!(c.email.as_str(), "off" | "immediate" | "digest") {
                return Err(AppError::invalid(
                    format!("channels[{i}].email"),
                    "must be off, immediate or digest",
                ));
            }
            rows.push(AlertPreferenceRow {
                kind: kind.as_str().to_owned(),
                in_app: c.in_app,
                email: c.email.clone(),
            });
        }
        let quiet = match (cmd.quiet_from.as_deref(), cmd.quiet_until.as_deref()) {
            (None, None) => None,
            (Some(a), Some(b)) => Some((
                minute_of(parse_hhmm("quiet_from", a)?),
                minute_of(parse_hhmm("quiet_until", b)?),
            )),
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "quiet_until",
                    "is required with quiet_from",
                ));
            }
            (None, Some(_)) => {
                return Err(AppError::invalid(
                    "quiet_from",
                    "is required with quiet_until",
                ));
            }
        };
        let digest = match cmd.digest_at.as_deref() {
            None => minute_of(DEFAULT_DIGEST_AT),
            Some(s) => minute_of(parse_hhmm("digest_at", s)?),
        };
        let settings = NotificationSettingsRow {
            quiet_start: quiet.map(|q| q.0),
            quiet_end: quiet.map(|q| q.1),
            digest_minute: digest,
            updated_at: Utc::now(),
        };
        crate::events::write(self.db(), &p, EventType::AlertPreferencesSet, move |tx| {
            Box::pin(async move {
                tx.set_alert_preferences(p.user_id, &rows, &settings)
                    .await?;
                Ok(preferences_view(&rows, Some(&settings)))
            })
        })
        .await
    }
}

/// One member's email of their due notifications: the subject names the one alert, or counts
/// them; the body lists each with its state, in text and HTML.
fn alert_email(
    tenant: &str,
    user: UserId,
    address: &str,
    rows: &[larder_store::DueEmailRow],
) -> larder_store::NewMail {
    fn line(a: &AlertRow) -> (&str, &'static str, &str, DateTime<Utc>) {
        let title: &str = match a.kind.parse::<AlertKind>() {
            Ok(k) => k.title(),
            Err(_) => a.kind.as_str(),
        };
        let state = if a.resolved_at.is_some() {
            "resolved"
        } else {
            "open"
        };
        (title, state, a.subject.as_str(), a.raised_at)
    }
    let subject = match rows {
        [one] => {
            let (title, _, subject, _) = line(&one.alert);
            format!("{title}: {subject}")
        }
        many => format!("{} Larder alerts for {tenant}", many.len()),
    };
    // One line, at most 200 characters (the mail path's rule).
    let mut subject: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if subject.chars().count() > 200 {
        subject = subject.chars().take(199).collect::<String>() + "…";
    }
    let mut text = format!("Hello {},\n\nLarder alerts for {tenant}:\n\n", rows[0].name);
    let mut html = format!(
        "<p>Hello {},</p><p>Larder alerts for {}:</p><ul>",
        crate::mail::escape_html(&rows[0].name),
        crate::mail::escape_html(tenant)
    );
    for r in rows {
        let (title, state, subject, raised) = line(&r.alert);
        let when = raised.format("%Y-%m-%d %H:%M UTC");
        text.push_str(&format!("- {title} ({state}): {subject}, raised {when}\n"));
        html.push_str(&format!(
            "<li><strong>{}</strong> ({state}): {}, raised {when}</li>",
            crate::mail::escape_html(title),
            crate::mail::escape_html(subject)
        ));
    }
    text.push_str(
        "\nSee them in the notification centre (/notifications); choose what you are sent on its preferences page.\n",
    );
    html.push_str(
        "</ul><p>See them in the notification centre (<code>/notifications</code>); choose what you are sent on its preferences page.</p>",
    );
    larder_store::NewMail {
        id: Uuid::now_v7(),
        to: vec![address.to_owned()],
        subject,
        text,
        html: Some(html),
        attachments: Vec::new(),
        purpose: if rows.len() == 1 { "alert" } else { "digest" }.to_owned(),
        created_by: Some(user),
        // Due to send from when it is queued (`now` only chose the notifications).
        created_at: Utc::now(),
    }
}

fn hhmm(minute: i32) -> String {
    time_of(minute).format("%H:%M").to_string()
}

fn preferences_view(
    prefs: &[AlertPreferenceRow],
    settings: Option<&NotificationSettingsRow>,
) -> AlertPreferences {
    AlertPreferences {
        channels: AlertKind::ALL
            .iter()
            .map(|k| {
                let (in_app, email) = channel(prefs, k.as_str());
                ChannelPreference {
                    kind: k.as_str().to_owned(),
                    in_app,
                    email: email.to_owned(),
                }
            })
            .collect(),
        quiet_from: settings.and_then(|s| s.quiet_start).map(hhmm),
        quiet_until: settings.and_then(|s| s.quiet_end).map(hhmm),
        digest_at: Some(settings.map_or_else(
            || hhmm(minute_of(DEFAULT_DIGEST_AT)),
            |s| hhmm(s.digest_minute),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn email_is_due_at_once_after_quiet_hours_or_with_the_digest_in_local_time() {
        let london: Tz = "Europe/London".parse().unwrap_or(Tz::UTC);
        let quiet = NotificationSettingsRow {
            quiet_start: Some(22 * 60),
            quiet_end: Some(7 * 60),
            digest_minute: 6 * 60 + 30,
            updated_at: Utc::now(),
        };
        // 23:30 in London in winter (UTC+0): held until 07:00.
        let night = utc("2026-12-07T23:30:00Z");
        assert_eq!(
            email_due("immediate", Some(&quiet), london, night),
            Some(utc("2026-12-08T07:00:00Z"))
        );
        // In summer (UTC+1) the same local hours are an hour earlier in UTC.
        assert_eq!(
            email_due(
                "immediate",
                Some(&quiet),
                london,
                utc("2026-07-07T22:30:00Z")
            ),
            Some(utc("2026-07-08T06:00:00Z"))
        );
        let noon = utc("2026-12-07T12:00:00Z");
        assert_eq!(
            email_due("immediate", Some(&quiet), london, noon),
            Some(noon)
        );
        assert_eq!(
            email_due("digest", Some(&quiet), london, noon),
            Some(utc("2026-12-08T06:30:00Z"))
        );
        assert_eq!(
            email_due("digest", None, london, noon),
            Some(utc("2026-12-08T07:00:00Z"))
        );
        assert_eq!(email_due("off", Some(&quiet), london, noon), None);
    }

    #[test]
    fn a_rule_takes_only_its_own_threshold() {
        let cmd = |days, value, percent| AlertRuleCommand {
            kind: String::new(),
            location_id: None,
            days,
            value,
            percent,
            enabled: None,
        };
        assert_eq!(
            threshold_of(AlertKind::LotExpiring, &cmd(Some(3), None, None)).ok(),
            Some(3)
        );
        assert!(threshold_of(AlertKind::LotExpiring, &cmd(None, None, None)).is_err());
        assert!(threshold_of(AlertKind::LotExpiring, &cmd(Some(91), None, None)).is_err());
        assert!(
            threshold_of(
                AlertKind::BelowReorderPoint,
                &cmd(None, Some(Money::from_raw(1)), None)
            )
            .is_err()
        );
        assert_eq!(
            threshold_of(
                AlertKind::SupplierPriceUp,
                &cmd(None, None, Some(Quantity::from_raw(7_500)))
            )
            .ok(),
            Some(7_500)
        );
        assert!(
            threshold_of(
                AlertKind::SupplierPriceUp,
                &cmd(None, None, Some(Quantity::from_raw(0)))
            )
            .is_err()
        );
    }
}
