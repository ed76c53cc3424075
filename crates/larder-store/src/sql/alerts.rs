//! The alerts' statements (ADR 028).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{BaseUnit, LocationId, UserId};
use uuid::Uuid;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    AlertPreferenceRow, AlertRow, AlertRuleRow, AlertTx, BelowReorderRow, CountVarianceRow,
    DueEmailRow, ExpiringLotRow, NotificationRow, NotificationSettingsRow, OverduePoRow,
    PriceChangeRow,
};

const LOCK: &str = "INSERT INTO alert_locks (tenant_id) VALUES ($1)
     ON CONFLICT (tenant_id) DO UPDATE SET tenant_id = excluded.tenant_id";
const INSERT_RULE: &str = "INSERT INTO alert_rules (tenant_id, id, kind, location_id,
     threshold, enabled, created_by, created_at, updated_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const GET_RULE: &str = "SELECT id, kind, location_id, threshold, enabled, created_by,
     created_at, updated_at, version FROM alert_rules WHERE tenant_id = $1 AND id = $2";
const LIST_RULES: &str = "SELECT id, kind, location_id, threshold, enabled, created_by,
     created_at, updated_at, version FROM alert_rules WHERE tenant_id = $1
     ORDER BY id LIMIT 500";
const UPDATE_RULE: &str = "UPDATE alert_rules SET location_id = $3, threshold = $4,
     enabled = $5, updated_at = $6, version = $7
     WHERE tenant_id = $1 AND id = $2 AND version = $7 - 1";
const RULE_EXISTS: &str = "SELECT 1 FROM alert_rules WHERE tenant_id = $1 AND id = $2";

const OPEN_ALERTS: &str = "SELECT id, rule_id, kind, condition_key, location_id, subject,
     detail, raised_at, resolved_at FROM alerts
     WHERE tenant_id = $1 AND resolved_at IS NULL ORDER BY id LIMIT 10000";
const RAISE: &str = "INSERT INTO alerts (tenant_id, id, rule_id, kind, condition_key,
     location_id, subject, detail, raised_at, resolved_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)
     ON CONFLICT (tenant_id, rule_id, condition_key) WHERE resolved_at IS NULL DO NOTHING";
const RESOLVE: &str = "UPDATE alerts SET resolved_at = $3
     WHERE tenant_id = $1 AND id = $2 AND resolved_at IS NULL";
const LIST_ALERTS: &str = "SELECT id, rule_id, kind, condition_key, location_id, subject,
     detail, raised_at, resolved_at FROM alerts
     WHERE tenant_id = $1
       AND ($2 IS NULL OR ($2 = 1 AND resolved_at IS NULL) OR ($2 = 0 AND resolved_at IS NOT NULL))
       AND ($3 IS NULL OR location_id = $3)
       AND ($4 IS NULL OR id < $4)
     ORDER BY id DESC LIMIT $5";
const GET_ALERT: &str = "SELECT id, rule_id, kind, condition_key, location_id, subject,
     detail, raised_at, resolved_at FROM alerts WHERE tenant_id = $1 AND id = $2";

const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (tenant_id, id, user_id,
     alert_id, in_app, created_at, read_at, email_due_at, emailed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const LIST_NOTIFICATIONS: &str = "SELECT n.id, n.user_id, n.alert_id, n.in_app, n.created_at,
     n.read_at, n.email_due_at, n.emailed_at,
     a.id, a.rule_id, a.kind, a.condition_key, a.location_id, a.subject, a.detail,
     a.raised_at, a.resolved_at
     FROM notifications n
     JOIN alerts a ON a.tenant_id = n.tenant_id AND a.id = n.alert_id
     WHERE n.tenant_id = $1 AND n.user_id = $2 AND n.in_app = 1
       AND ($3 = 0 OR n.read_at IS NULL) AND ($4 IS NULL OR n.id < $4)
     ORDER BY n.id DESC LIMIT $5";
const UNREAD: &str = "SELECT CAST(COUNT(*) AS BIGINT) FROM notifications
     WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL AND in_app = 1";
const READ_ALL: &str = "UPDATE notifications SET read_at = $3
     WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL AND in_app = 1";
const READ_ONE: &str = "UPDATE notifications SET read_at = $4
     WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL AND in_app = 1";
const DUE_EMAILS: &str = "SELECT n.id, n.user_id, n.alert_id, n.in_app, n.created_at,
     n.read_at, n.email_due_at, n.emailed_at,
     a.id, a.rule_id, a.kind, a.condition_key, a.location_id, a.subject, a.detail,
     a.raised_at, a.resolved_at, u.email, u.name, m.deactivated_at
     FROM notifications n
     JOIN alerts a ON a.tenant_id = n.tenant_id AND a.id = n.alert_id
     JOIN memberships m ON m.tenant_id = n.tenant_id AND m.user_id = n.user_id
     JOIN users u ON u.id = n.user_id
     WHERE n.tenant_id = $1 AND n.emailed_at IS NULL AND n.email_due_at IS NOT NULL
       AND n.email_due_at <= $2
     ORDER BY n.user_id, n.email_due_at, n.id LIMIT $3";
const MARK_EMAILED: &str = "UPDATE notifications SET emailed_at = $3
     WHERE tenant_id = $1 AND id = $2 AND emailed_at IS NULL";

const PREFERENCES: &str = "SELECT kind, in_app, email FROM alert_preferences
     WHERE tenant_id = $1 AND user_id = $2 ORDER BY kind";
const ALL_PREFERENCES: &str = "SELECT user_id, kind, in_app, email FROM alert_preferences
     WHERE tenant_id = $1 ORDER BY user_id, kind";
const DELETE_PREFERENCES: &str = "DELETE FROM alert_preferences
     WHERE tenant_id = $1 AND user_id = $2";
const INSERT_PREFERENCE: &str = "INSERT INTO alert_preferences (tenant_id, user_id, kind,
     in_app, email) VALUES ($1, $2, $3, $4, $5)";
const UPSERT_SETTINGS: &str = "INSERT INTO notification_settings (tenant_id, user_id,
     quiet_start, quiet_end, digest_minute, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET quiet_start = excluded.quiet_start,
     quiet_end = excluded.quiet_end, digest_minute = excluded.digest_minute,
     updated_at = excluded.updated_at";
const SETTINGS: &str = "SELECT quiet_start, quiet_end, digest_minute, updated_at
     FROM notification_settings WHERE tenant_id = $1 AND user_id = $2";
const ALL_SETTINGS: &str = "SELECT user_id, quiet_start, quiet_end, digest_minute, updated_at
     FROM notification_settings WHERE tenant_id = $1 ORDER BY user_id";

const BELOW_REORDER: &str = "SELECT p.item_id, i.name, i.base_unit, p.location_id,
       CAST(COALESCE(s.on_hand, 0) AS BIGINT), p.reorder_point
     FROM par_levels p
     JOIN items i ON i.tenant_id = p.tenant_id AND i.id = p.item_id
     LEFT JOIN stock_levels s ON s.tenant_id = p.tenant_id AND s.item_id = p.item_id
                             AND s.location_id = p.location_id
     WHERE p.tenant_id = $1 AND p.reorder_point IS NOT NULL AND i.retired_at IS NULL
       AND ($2 IS NULL OR p.location_id = $2)
       AND COALESCE(s.on_hand, 0) < p.reorder_point
     ORDER BY p.location_id, i.name, p.item_id";
const EXPIRING: &str = "SELECT l.id, l.code, l.item_id, i.name, i.base_unit, l.location_id,
       l.expires_on, l.remaining, l.remaining_value
     FROM lots l JOIN items i ON i.tenant_id = l.tenant_id AND i.id = l.item_id
     WHERE l.tenant_id = $1 AND l.remaining > 0 AND l.expires_on IS NOT NULL
       AND l.expires_on <= $2 AND ($3 IS NULL OR l.location_id = $3)
     ORDER BY l.expires_on, l.id";
const WASTE_VALUE: &str = "SELECT location_id, CAST(-SUM(value) AS BIGINT)
     FROM stock_movements
     WHERE tenant_id = $1 AND kind = 'waste' AND occurred_at >= $2 AND occurred_at < $3
       AND ($4 IS NULL OR location_id = $4)
     GROUP BY location_id ORDER BY location_id";
const OVERDUE_POS: &str = "SELECT po.id, po.number, s.name, po.location_id, po.status,
       po.expected_delivery
     FROM purchase_orders po
     JOIN suppliers s ON s.tenant_id = po.tenant_id AND s.id = po.supplier_id
     WHERE po.tenant_id = $1 AND po.status IN ('approved', 'sent', 'partially_received')
       AND po.expected_delivery < $2 AND ($3 IS NULL OR po.location_id = $3)
     ORDER BY po.number";
const PRICE_CHANGES: &str = "SELECT si.id, si.supplier_sku, s.name, i.name, p.effective_from,
       p.before, p.price_per_pack
     FROM (SELECT supplier_item_id, effective_from, price_per_pack,
                  LAG(price_per_pack) OVER (PARTITION BY supplier_item_id
                                            ORDER BY effective_from) AS before,
                  ROW_NUMBER() OVER (PARTITION BY supplier_item_id
                                     ORDER BY effective_from DESC) AS latest
             FROM supplier_item_prices
            WHERE tenant_id = $1 AND effective_from <= $3) p
     JOIN supplier_items si ON si.tenant_id = $1 AND si.id = p.supplier_item_id
     JOIN suppliers s ON s.tenant_id = si.tenant_id AND s.id = si.supplier_id
     JOIN items i ON i.tenant_id = si.tenant_id AND i.id = si.item_id
     WHERE p.latest = 1 AND p.before IS NOT NULL AND p.effective_from >= $2
     ORDER BY si.id";
const LATEST_COUNTS: &str = "SELECT x.stock_count_id, x.item_id, i.name, i.base_unit,
       x.location_id, x.counted, x.book, x.value, x.approved_at
     FROM (SELECT r.stock_count_id, r.item_id, c.location_id, r.counted, r.book,
                  CAST(COALESCE(m.value, 0) AS BIGINT) AS value, c.approved_at,
                  ROW_NUMBER() OVER (PARTITION BY r.item_id, c.location_id
                                     ORDER BY c.approved_at DESC, c.id DESC) AS latest
             FROM stock_count_results r
             JOIN stock_counts c ON c.tenant_id = r.tenant_id AND c.id = r.stock_count_id
             LEFT JOIN stock_movements m ON m.tenant_id = r.tenant_id AND m.id = r.movement_id
            WHERE r.tenant_id = $1 AND c.status = 'approved' AND c.approved_at >= $2
              AND r.counted IS NOT NULL AND ($3 IS NULL OR c.location_id = $3)) x
     JOIN items i ON i.tenant_id = $1 AND i.id = x.item_id
     WHERE x.latest = 1
     ORDER BY x.location_id, i.name, x.item_id";

fn rule(mut r: Row) -> R<AlertRuleRow> {
    Ok(AlertRuleRow {
        id: r.get()?,
        kind: r.get()?,
        location_id: r.get()?,
        threshold: r.get()?,
        enabled: r.get::<i64>()? != 0,
        created_by: r.get()?,
        created_at: r.get()?,
        updated_at: r.get()?,
        version: r.get()?,
    })
}

fn alert(r: &mut Row) -> R<AlertRow> {
    Ok(AlertRow {
        id: r.get()?,
        rule_id: r.get()?,
        kind: r.get()?,
        condition_key: r.get()?,
        location_id: r.get()?,
        subject: r.get()?,
        detail: r.get()?,
        raised_at: r.get()?,
        resolved_at: r.get()?,
    })
}

fn notification(r: &mut Row) -> R<NotificationRow> {
    Ok(NotificationRow {
        id: r.get()?,
        user_id: r.get()?,
        alert_id: r.get()?,
        in_app: r.get::<i64>()? != 0,
        created_at: r.get()?,
        read_at: r.get()?,
        email_due_at: r.get()?,
        emailed_at: r.get()?,
    })
}

fn preference(r: &mut Row) -> R<AlertPreferenceRow> {
    Ok(AlertPreferenceRow {
        kind: r.get()?,
        in_app: r.get::<i64>()? != 0,
        email: r.get()?,
    })
}

fn settings(r: &mut Row) -> R<NotificationSettingsRow> {
    Ok(NotificationSettingsRow {
        quiet_start: r.get()?,
        quiet_end: r.get()?,
        digest_minute: r.get()?,
        updated_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> AlertTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn lock_alerts(&mut self) -> R<()> {
        self.exec.execute(LOCK, args![self.tenant]).await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_alert_rule(&mut self, r: &AlertRuleRow) -> R<()> {
        self.exec
            .execute(
                INSERT_RULE,
                args![
                    self.tenant,
                    r.id,
                    r.kind,
                    r.location_id,
                    r.threshold,
                    i64::from(r.enabled),
                    r.created_by,
                    r.created_at,
                    r.updated_at,
                    r.version
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_alert_rule(&mut self, id: Uuid) -> R<Option<AlertRuleRow>> {
        self.exec
            .fetch_optional(GET_RULE, args![self.tenant, id])
            .await?
            .map(rule)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_alert_rules(&mut self) -> R<Vec<AlertRuleRow>> {
        rows(
            self.exec.fetch_all(LIST_RULES, args![self.tenant]).await?,
            rule,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_alert_rule(&mut self, r: &AlertRuleRow) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_RULE,
                args![
                    self.tenant,
                    r.id,
                    r.location_id,
                    r.threshold,
                    i64::from(r.enabled),
                    r.updated_at,
                    r.version
                ],
            )
            .await?;
        self.versioned(n, RULE_EXISTS, r.id, "alert_rules").await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn open_alerts(&mut self) -> R<Vec<AlertRow>> {
        rows(
            self.exec.fetch_all(OPEN_ALERTS, args![self.tenant]).await?,
            |mut r| alert(&mut r),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn raise_alert(&mut self, a: &AlertRow) -> R<bool> {
        let n = self
            .exec
            .execute(
                RAISE,
                args![
                    self.tenant,
                    a.id,
                    a.rule_id,
                    a.kind,
                    a.condition_key,
                    a.location_id,
                    a.subject,
                    a.detail,
                    a.raised_at
                ],
            )
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn resolve_alert(&mut self, id: Uuid, at: DateTime<Utc>) -> R<bool> {
        let n = self
            .exec
            .execute(RESOLVE, args![self.tenant, id, at])
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_alerts(
        &mut self,
        open: Option<bool>,
        location: Option<LocationId>,
        before: Option<Uuid>,
        limit: u32,
    ) -> R<Vec<AlertRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_ALERTS,
                    args![
                        self.tenant,
                        open.map(i64::from),
                        location,
                        before,
                        i64::from(limit)
                    ],
                )
                .await?,
            |mut r| alert(&mut r),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_alert(&mut self, id: Uuid) -> R<Option<AlertRow>> {
        self.exec
            .fetch_optional(GET_ALERT, args![self.tenant, id])
            .await?
            .map(|mut r| alert(&mut r))
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_notifications(&mut self, n: &[NotificationRow]) -> R<()> {
        for x in n {
            self.exec
                .execute(
                    INSERT_NOTIFICATION,
                    args![
                        self.tenant,
                        x.id,
                        x.user_id,
                        x.alert_id,
                        i64::from(x.in_app),
                        x.created_at,
                        x.read_at,
                        x.email_due_at,
                        x.emailed_at
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_notifications(
        &mut self,
        user: UserId,
        unread: bool,
        before: Option<Uuid>,
        limit: u32,
    ) -> R<Vec<(NotificationRow, AlertRow)>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_NOTIFICATIONS,
                    args![
                        self.tenant,
                        user,
                        i64::from(unread),
                        before,
                        i64::from(limit)
                    ],
                )
                .await?,
            |mut r| Ok((notification(&mut r)?, alert(&mut r)?)),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn unread_notifications(&mut self, user: UserId) -> R<i64> {
        match self
            .exec
            .fetch_optional(UNREAD, args![self.tenant, user])
            .await?
        {
            Some(mut r) => r.get(),
            None => Ok(0),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn mark_notifications_read(
        &mut self,
        user: UserId,
        ids: Option<&[Uuid]>,
        at: DateTime<Utc>,
    ) -> R<u64> {
        match ids {
            None => {
                self.exec
                    .execute(READ_ALL, args![self.tenant, user, at])
                    .await
            }
            Some(ids) => {
                let mut n = 0;
                for id in ids {
                    n += self
                        .exec
                        .execute(READ_ONE, args![self.tenant, user, *id, at])
                        .await?;
                }
                Ok(n)
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn due_emails(&mut self, now: DateTime<Utc>, limit: u32) -> R<Vec<DueEmailRow>> {
        let found = self
            .exec
            .fetch_all(DUE_EMAILS, args![self.tenant, now, i64::from(limit)])
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for mut r in found {
            let notification = notification(&mut r)?;
            let alert = alert(&mut r)?;
            let email: String = r.get()?;
            let name: String = r.get()?;
            let left: Option<DateTime<Utc>> = r.get()?;
            out.push(DueEmailRow {
                notification,
                alert,
                // A member who left gets nothing: an empty address tells the caller to drop it.
                email: if left.is_some() { String::new() } else { email },
                name,
            });
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn mark_emailed(&mut self, ids: &[Uuid], at: DateTime<Utc>) -> R<()> {
        for id in ids {
            self.exec
                .execute(MARK_EMAILED, args![self.tenant, *id, at])
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn alert_preferences(&mut self, user: UserId) -> R<Vec<AlertPreferenceRow>> {
        rows(
            self.exec
                .fetch_all(PREFERENCES, args![self.tenant, user])
                .await?,
            |mut r| preference(&mut r),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn all_alert_preferences(&mut self) -> R<Vec<(UserId, AlertPreferenceRow)>> {
        rows(
            self.exec
                .fetch_all(ALL_PREFERENCES, args![self.tenant])
                .await?,
            |mut r| Ok((r.get()?, preference(&mut r)?)),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_alert_preferences(
        &mut self,
        user: UserId,
        prefs: &[AlertPreferenceRow],
        s: &NotificationSettingsRow,
    ) -> R<()> {
        self.exec
            .execute(DELETE_PREFERENCES, args![self.tenant, user])
            .await?;
        for p in prefs {
            self.exec
                .execute(
                    INSERT_PREFERENCE,
                    args![self.tenant, user, p.kind, i64::from(p.in_app), p.email],
                )
                .await?;
        }
        self.exec
            .execute(
                UPSERT_SETTINGS,
                args![
                    self.tenant,
                    user,
                    s.quiet_start,
                    s.quiet_end,
                    s.digest_minute,
                    s.updated_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn notification_settings(&mut self, user: UserId) -> R<Option<NotificationSettingsRow>> {
        self.exec
            .fetch_optional(SETTINGS, args![self.tenant, user])
            .await?
            .map(|mut r| settings(&mut r))
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn all_notification_settings(&mut self) -> R<Vec<(UserId, NotificationSettingsRow)>> {
        rows(
            self.exec
                .fetch_all(ALL_SETTINGS, args![self.tenant])
                .await?,
            |mut r| Ok((r.get()?, settings(&mut r)?)),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn below_reorder_point(
        &mut self,
        location: Option<LocationId>,
    ) -> R<Vec<BelowReorderRow>> {
        rows(
            self.exec
                .fetch_all(BELOW_REORDER, args![self.tenant, location])
                .await?,
            |mut r| {
                Ok(BelowReorderRow {
                    item_id: r.get()?,
                    item_name: r.get()?,
                    base_unit: r.spelled::<BaseUnit>()?,
                    location_id: r.get()?,
                    on_hand: r.get()?,
                    reorder_point: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn expiring_lots(
        &mut self,
        until: &str,
        location: Option<LocationId>,
    ) -> R<Vec<ExpiringLotRow>> {
        rows(
            self.exec
                .fetch_all(EXPIRING, args![self.tenant, until, location])
                .await?,
            |mut r| {
                Ok(ExpiringLotRow {
                    lot_id: r.get()?,
                    code: r.get()?,
                    item_id: r.get()?,
                    item_name: r.get()?,
                    base_unit: r.spelled::<BaseUnit>()?,
                    location_id: r.get()?,
                    expires_on: r.get()?,
                    remaining: r.get()?,
                    remaining_value: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn waste_value(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        location: Option<LocationId>,
    ) -> R<Vec<(LocationId, larder_core::Money)>> {
        rows(
            self.exec
                .fetch_all(WASTE_VALUE, args![self.tenant, from, to, location])
                .await?,
            |mut r| Ok((r.get()?, r.get()?)),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn overdue_purchase_orders(
        &mut self,
        before: &str,
        location: Option<LocationId>,
    ) -> R<Vec<OverduePoRow>> {
        rows(
            self.exec
                .fetch_all(OVERDUE_POS, args![self.tenant, before, location])
                .await?,
            |mut r| {
                Ok(OverduePoRow {
                    id: r.get()?,
                    number: r.get()?,
                    supplier_name: r.get()?,
                    location_id: r.get()?,
                    status: r.get()?,
                    expected_delivery: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn recent_price_changes(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> R<Vec<PriceChangeRow>> {
        rows(
            self.exec
                .fetch_all(PRICE_CHANGES, args![self.tenant, since, now])
                .await?,
            |mut r| {
                Ok(PriceChangeRow {
                    supplier_item_id: r.get()?,
                    supplier_sku: r.get()?,
                    supplier_name: r.get()?,
                    item_name: r.get()?,
                    effective_from: r.get()?,
                    before: r.get()?,
                    after: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn latest_count_results(
        &mut self,
        since: DateTime<Utc>,
        location: Option<LocationId>,
    ) -> R<Vec<CountVarianceRow>> {
        rows(
            self.exec
                .fetch_all(LATEST_COUNTS, args![self.tenant, since, location])
                .await?,
            |mut r| {
                Ok(CountVarianceRow {
                    count_id: r.get()?,
                    item_id: r.get()?,
                    item_name: r.get()?,
                    base_unit: r.spelled::<BaseUnit>()?,
                    location_id: r.get()?,
                    counted: r.get()?,
                    book: r.get()?,
                    value: r.get()?,
                    approved_at: r.get()?,
                })
            },
        )
    }
}
