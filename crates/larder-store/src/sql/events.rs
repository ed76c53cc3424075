//! The outbox's statements (ADR 025).

use async_trait::async_trait;
use chrono::Utc;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{EventRow, EventTx, EventWake, NewEvent};

/// Takes `$2` sequence numbers from the tenant's head, creating it, and returns the new head.
/// The row stays locked (PostgreSQL) until the transaction ends: the tenant's next writer of
/// events waits here, so sequence order is commit order.
const TAKE_SEQ: &str = "INSERT INTO event_heads (tenant_id, event_seq) VALUES ($1, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET event_seq = event_heads.event_seq + $2
     RETURNING event_seq";
const INSERT_EVENT: &str = "INSERT INTO outbox (tenant_id, seq, id, event_type, location_id,
     occurred_at, recorded_at, actor, schema_version, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const EVENTS_AFTER: &str = "SELECT seq, id, event_type, location_id, occurred_at, recorded_at,
     actor, schema_version, data
     FROM outbox WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
const HEAD: &str = "SELECT event_seq FROM event_heads WHERE tenant_id = $1";
const ENSURE_RELAY: &str = "INSERT INTO outbox_relay (tenant_id, relayed_seq) VALUES ($1, 0)
     ON CONFLICT (tenant_id) DO NOTHING";
const SET_RELAYED: &str = "UPDATE outbox_relay SET relayed_seq = $2
     WHERE tenant_id = $1 AND relayed_seq < $2";

fn event(mut r: Row) -> R<EventRow> {
    Ok(EventRow {
        seq: r.get()?,
        id: r.get()?,
        event_type: r.get()?,
        location_id: r.get()?,
        occurred_at: r.get()?,
        recorded_at: r.get()?,
        actor: r.get()?,
        schema_version: r.get()?,
        data: r.get()?,
    })
}

impl<E: Exec> SqlTx<E> {
    /// Appends the audit records the job held to the tenant's chain, then writes the events
    /// [`EventTx::emit`] held, with the tenant's next sequence numbers, and on PostgreSQL
    /// queues the commit's `NOTIFY`. The backends call it last, just before
    /// committing a job that succeeded. Returns the wake to announce once the commit is done,
    /// or `None` when the job recorded no event.
    ///
    /// # Errors
    /// [`crate::StoreError`] when a row cannot be written; the job must then be rolled back.
    pub async fn flush_events(&mut self) -> R<Option<EventWake>> {
        self.flush_audit().await?;
        if self.events.is_empty() {
            return Ok(None);
        }
        let pending = std::mem::take(&mut self.events);
        let n = i64::try_from(pending.len()).unwrap_or(i64::MAX);
        let head: i64 = self
            .exec
            .fetch_optional(TAKE_SEQ, args![self.tenant, n])
            .await?
            .ok_or_else(|| crate::StoreError::Other("the event head was not returned".into()))?
            .get()?;
        let recorded_at = Utc::now();
        for (i, e) in (head - n + 1..).zip(&pending) {
            self.exec
                .execute(
                    INSERT_EVENT,
                    args![
                        self.tenant,
                        i,
                        e.id,
                        e.event_type,
                        e.location_id,
                        e.occurred_at,
                        recorded_at,
                        e.actor,
                        e.schema_version,
                        e.data
                    ],
                )
                .await?;
        }
        let wake = EventWake {
            tenant_id: self.tenant,
            head,
        };
        if let Some(notify) = self.exec.dialect().notify_events {
            self.exec.execute(notify, args![wake.payload()]).await?;
        }
        Ok(Some(wake))
    }
}

#[async_trait]
impl<E: Exec> EventTx for SqlTx<E> {
    fn emit(&mut self, event: NewEvent) {
        self.events.push(event);
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn events_after(&mut self, after: i64, limit: u32) -> R<Vec<EventRow>> {
        rows(
            self.exec
                .fetch_all(EVENTS_AFTER, args![self.tenant, after, i64::from(limit)])
                .await?,
            event,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn event_head(&mut self) -> R<i64> {
        match self.exec.fetch_optional(HEAD, args![self.tenant]).await? {
            Some(mut r) => r.get(),
            None => Ok(0),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn claim_relay(&mut self) -> R<Option<i64>> {
        self.exec.execute(ENSURE_RELAY, args![self.tenant]).await?;
        let claim = self.exec.dialect().claim_relay;
        match self.exec.fetch_optional(claim, args![self.tenant]).await? {
            Some(mut r) => Ok(Some(r.get()?)),
            None => Ok(None),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_relayed(&mut self, seq: i64) -> R<()> {
        self.exec
            .execute(SET_RELAYED, args![self.tenant, seq])
            .await?;
        Ok(())
    }
}
