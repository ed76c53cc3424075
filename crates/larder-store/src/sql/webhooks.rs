//! The webhooks' statements (ADR 027).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{DeliveryRow, DueDelivery, EventTx, WebhookRow, WebhookTx};

const INSERT_WEBHOOK: &str = "INSERT INTO webhooks (tenant_id, id, url, description,
     event_types, secret, previous_secret, previous_until, active, disabled_reason, cursor_seq,
     failures, failing_since, created_by, created_at, updated_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
const GET_WEBHOOK: &str = "SELECT id, url, description, event_types, secret, previous_secret,
     previous_until, active, disabled_reason, cursor_seq, failures, failing_since, created_by,
     created_at, updated_at, version
     FROM webhooks WHERE tenant_id = $1 AND id = $2";
const LIST_WEBHOOKS: &str = "SELECT id, url, description, event_types, secret, previous_secret,
     previous_until, active, disabled_reason, cursor_seq, failures, failing_since, created_by,
     created_at, updated_at, version
     FROM webhooks WHERE tenant_id = $1 ORDER BY id DESC LIMIT 100";
const UPDATE_WEBHOOK: &str = "UPDATE webhooks SET url = $3, description = $4,
     event_types = $5, secret = $6, previous_secret = $7, previous_until = $8, active = $9,
     disabled_reason = $10, cursor_seq = $11, failures = $12, failing_since = $13,
     updated_at = $14, version = $15
     WHERE tenant_id = $1 AND id = $2 AND version = $15 - 1";
const WEBHOOK_EXISTS: &str = "SELECT 1 FROM webhooks WHERE tenant_id = $1 AND id = $2";
const CURSOR: &str = "SELECT cursor_seq FROM webhooks WHERE tenant_id = $1 AND id = $2";
const SET_CURSOR: &str = "UPDATE webhooks SET cursor_seq = $3
     WHERE tenant_id = $1 AND id = $2 AND cursor_seq < $3";
const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (tenant_id, id, webhook_id,
     event_id, event_seq, event_type, status, attempts, next_attempt_at, last_status,
     last_error, last_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, NULL, NULL, NULL, $7)
     ON CONFLICT (tenant_id, webhook_id, event_id) DO NOTHING";
const LEASE: &str = "UPDATE webhook_deliveries SET next_attempt_at = $3
     WHERE tenant_id = $1 AND id = $2";
const RECORD_ATTEMPT: &str = "UPDATE webhook_deliveries SET status = $3, attempts = $4,
     next_attempt_at = $5, last_status = $6, last_error = $7, last_attempt_at = $8
     WHERE tenant_id = $1 AND id = $2";
const SUCCEEDED: &str = "UPDATE webhooks SET failures = 0, failing_since = NULL
     WHERE tenant_id = $1 AND id = $2 RETURNING failures, failing_since";
const FAILED: &str = "UPDATE webhooks SET failures = failures + 1,
     failing_since = COALESCE(failing_since, $3)
     WHERE tenant_id = $1 AND id = $2 RETURNING failures, failing_since";
const DISABLE: &str = "UPDATE webhooks SET active = 0, disabled_reason = $3, updated_at = $4,
     version = version + 1 WHERE tenant_id = $1 AND id = $2";
const REPLAY: &str = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3
     WHERE tenant_id = $1 AND id = $2";
const LIST_DELIVERIES: &str = "SELECT d.id, d.webhook_id, d.event_id, d.event_seq,
     d.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
     d.last_attempt_at, d.created_at
     FROM webhook_deliveries d
     WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND ($3 IS NULL OR d.id < $3)
     ORDER BY d.id DESC LIMIT $4";
const GET_DELIVERY: &str = "SELECT d.id, d.webhook_id, d.event_id, d.event_seq, d.event_type,
     d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.last_attempt_at,
     d.created_at
     FROM webhook_deliveries d WHERE d.tenant_id = $1 AND d.id = $2";

fn webhook(mut r: Row) -> R<WebhookRow> {
    Ok(WebhookRow {
        id: r.get()?,
        url: r.get()?,
        description: r.get()?,
        event_types: r.get()?,
        secret: r.get()?,
        previous_secret: r.get()?,
        previous_until: r.get()?,
        active: r.get::<i64>()? != 0,
        disabled_reason: r.get()?,
        cursor_seq: r.get()?,
        failures: r.get()?,
        failing_since: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
        updated_at: r.get()?,
        version: r.get()?,
    })
}

fn delivery(r: &mut Row) -> R<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get()?,
        webhook_id: r.get()?,
        event_id: r.get()?,
        event_seq: r.get()?,
        event_type: r.get()?,
        status: r.get()?,
        attempts: r.get()?,
        next_attempt_at: r.get()?,
        last_status: r.get()?,
        last_error: r.get()?,
        last_attempt_at: r.get()?,
        created_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> WebhookTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_webhook(&mut self, w: &WebhookRow) -> R<()> {
        self.exec
            .execute(
                INSERT_WEBHOOK,
                args![
                    self.tenant,
                    w.id,
                    w.url,
                    w.description,
                    w.event_types,
                    w.secret,
                    w.previous_secret,
                    w.previous_until,
                    i64::from(w.active),
                    w.disabled_reason,
                    w.cursor_seq,
                    w.failures,
                    w.failing_since,
                    w.created_by,
                    w.created_at,
                    w.updated_at,
                    w.version
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_webhook(&mut self, id: Uuid) -> R<Option<WebhookRow>> {
        self.exec
            .fetch_optional(GET_WEBHOOK, args![self.tenant, id])
            .await?
            .map(webhook)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_webhooks(&mut self) -> R<Vec<WebhookRow>> {
        rows(
            self.exec
                .fetch_all(LIST_WEBHOOKS, args![self.tenant])
                .await?,
            webhook,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_webhook(&mut self, w: &WebhookRow) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_WEBHOOK,
                args![
                    self.tenant,
                    w.id,
                    w.url,
                    w.description,
                    w.event_types,
                    w.secret,
                    w.previous_secret,
                    w.previous_until,
                    i64::from(w.active),
                    w.disabled_reason,
                    w.cursor_seq,
                    w.failures,
                    w.failing_since,
                    w.updated_at,
                    w.version
                ],
            )
            .await?;
        self.versioned(n, WEBHOOK_EXISTS, w.id, "webhooks").await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn enqueue_deliveries(
        &mut self,
        webhook: Uuid,
        types: &[String],
        limit: u32,
        now: DateTime<Utc>,
    ) -> R<u32> {
        let Some(mut c) = self
            .exec
            .fetch_optional(CURSOR, args![self.tenant, webhook])
            .await?
        else {
            return Ok(0);
        };
        let cursor: i64 = c.get()?;
        let events = self.events_after(cursor, limit).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(0);
        };
        let mut made = 0;
        for e in events
            .iter()
            .filter(|e| types.is_empty() || types.contains(&e.event_type))
        {
            made += self
                .exec
                .execute(
                    INSERT_DELIVERY,
                    args![
                        self.tenant,
                        Uuid::now_v7(),
                        webhook,
                        e.id,
                        e.seq,
                        e.event_type,
                        now
                    ],
                )
                .await?;
        }
        self.exec
            .execute(SET_CURSOR, args![self.tenant, webhook, last])
            .await?;
        Ok(u32::try_from(made).unwrap_or(u32::MAX))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn claim_deliveries(
        &mut self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<DueDelivery>> {
        let claim = self.exec.dialect().claim_deliveries;
        let found = self
            .exec
            .fetch_all(claim, args![self.tenant, now, i64::from(limit)])
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for mut r in found {
            let d = delivery(&mut r)?;
            let url: String = r.get()?;
            let secret: String = r.get()?;
            let previous: Option<String> = r.get()?;
            let previous_until: Option<DateTime<Utc>> = r.get()?;
            let event = crate::EventRow {
                seq: r.get()?,
                id: r.get()?,
                event_type: r.get()?,
                location_id: r.get()?,
                occurred_at: r.get()?,
                recorded_at: r.get()?,
                actor: r.get()?,
                schema_version: r.get()?,
                data: r.get()?,
            };
            let mut secrets = vec![secret];
            if let (Some(p), Some(until)) = (previous, previous_until)
                && until > now
            {
                secrets.push(p);
            }
            out.push(DueDelivery {
                delivery: d,
                url,
                secrets,
                event,
            });
        }
        for d in &out {
            self.exec
                .execute(LEASE, args![self.tenant, d.delivery.id, lease])
                .await?;
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn record_attempt(
        &mut self,
        d: &DeliveryRow,
        succeeded: bool,
        now: DateTime<Utc>,
    ) -> R<(i32, Option<DateTime<Utc>>)> {
        let n = self
            .exec
            .execute(
                RECORD_ATTEMPT,
                args![
                    self.tenant,
                    d.id,
                    d.status,
                    d.attempts,
                    d.next_attempt_at,
                    d.last_status,
                    d.last_error,
                    d.last_attempt_at
                ],
            )
            .await?;
        super::changed(n)?;
        let mut r = if succeeded {
            self.exec
                .fetch_optional(SUCCEEDED, args![self.tenant, d.webhook_id])
                .await?
        } else {
            self.exec
                .fetch_optional(FAILED, args![self.tenant, d.webhook_id, now])
                .await?
        }
        .ok_or(crate::StoreError::NotFound)?;
        Ok((r.get()?, r.get()?))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn disable_webhook(&mut self, id: Uuid, reason: &str, now: DateTime<Utc>) -> R<()> {
        let n = self
            .exec
            .execute(DISABLE, args![self.tenant, id, reason, now])
            .await?;
        super::changed(n)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn replay_delivery(&mut self, id: Uuid, now: DateTime<Utc>) -> R<bool> {
        let n = self
            .exec
            .execute(REPLAY, args![self.tenant, id, now])
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_deliveries(
        &mut self,
        webhook: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> R<Vec<DeliveryRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_DELIVERIES,
                    args![self.tenant, webhook, before, i64::from(limit)],
                )
                .await?,
            |mut r| delivery(&mut r),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_delivery(&mut self, id: Uuid) -> R<Option<DeliveryRow>> {
        self.exec
            .fetch_optional(GET_DELIVERY, args![self.tenant, id])
            .await?
            .map(|mut r| delivery(&mut r))
            .transpose()
    }
}
