//! The outbox's statements (ADR 025).

use async_trait::async_trait;
use chrono::Utc;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{EventRow, EventTx, EventWake, NewEvent};

/// Takes `$2` sequence numbers from the tenant's head, creating it, and returns the new head
/// (SQLite, numbering in the writing transaction, whose one writer makes sequence order commit
/// order).
const TAKE_SEQ: &str = "INSERT INTO event_heads (tenant_id, event_seq) VALUES ($1, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET event_seq = event_heads.event_seq + $2
     RETURNING event_seq";
const INSERT_EVENT: &str = "INSERT INTO outbox (tenant_id, seq, id, event_type, location_id,
     occurred_at, recorded_at, actor, schema_version, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// An event without its number, which [`SqlTx::number_committed`] gives it after the commit
/// (PostgreSQL: the row's `pos`, from a global identity, orders it until then).
const INSERT_UNNUMBERED_EVENT: &str = "INSERT INTO outbox (tenant_id, id, event_type,
     location_id, occurred_at, recorded_at, actor, schema_version, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// 1 when the tenant has committed events or audit records still to number, else 0.
const ANY_UNNUMBERED: &str = "SELECT CASE WHEN
         EXISTS (SELECT 1 FROM outbox WHERE tenant_id = $1 AND seq IS NULL)
         OR EXISTS (SELECT 1 FROM audit_log WHERE tenant_id = $1 AND seq IS NULL)
     THEN 1 ELSE 0 END";
/// Reads the tenant's event head, creating it, and locks it until the transaction ends (the
/// no-op update takes the row lock and, after waiting for another numberer, reads its result):
/// one numberer at a time per tenant, in any process.
const LOCK_HEAD: &str = "INSERT INTO event_heads (tenant_id, event_seq) VALUES ($1, 0)
     ON CONFLICT (tenant_id) DO UPDATE SET event_seq = event_heads.event_seq
     RETURNING event_seq";
const SET_HEAD: &str = "UPDATE event_heads SET event_seq = $2 WHERE tenant_id = $1";
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

/// What a job's events and audit records leave for after its commit
/// ([`SqlTx::flush_events`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Flushed {
    /// The wake to announce once the commit is done, when the transaction numbered events.
    pub wake: Option<EventWake>,
    /// Whether the transaction wrote events or audit records without numbers, for
    /// [`SqlTx::number_committed`] to number once it has committed.
    pub unnumbered: bool,
}

/// One round of [`SqlTx::number_committed`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Numbered {
    /// Events numbered.
    pub events: usize,
    /// Audit records numbered and chained.
    pub audit: usize,
    /// The wake to announce once the round has committed, when it numbered events.
    pub wake: Option<EventWake>,
    /// Whether a limit was reached, so another round may find more.
    pub more: bool,
}

impl<E: Exec> SqlTx<E> {
    /// Writes the audit records [`crate::AuditTx::record_audit`] held and the events
    /// [`EventTx::emit`] held. Where the dialect numbers after commit
    /// ([`crate::sql::Dialect::number_events`], PostgreSQL) they are written without numbers
    /// and [`Flushed::unnumbered`] says so; otherwise the audit records join the tenant's
    /// chain and the events take the tenant's next sequence numbers here. The backends call
    /// it last, just before committing a job that succeeded.
    ///
    /// # Errors
    /// [`crate::StoreError`] when a row cannot be written; the job must then be rolled back.
    pub async fn flush_events(&mut self) -> R<Flushed> {
        if self.exec.dialect().number_events.is_some() {
            let unnumbered = !self.events.is_empty() || !self.audit.is_empty();
            self.write_unnumbered_audit().await?;
            self.write_unnumbered_events().await?;
            return Ok(Flushed {
                wake: None,
                unnumbered,
            });
        }
        self.flush_audit().await?;
        Ok(Flushed {
            wake: self.write_numbered_events().await?,
            unnumbered: false,
        })
    }

    async fn write_unnumbered_events(&mut self) -> R<()> {
        let recorded_at = Utc::now();
        for e in std::mem::take(&mut self.events) {
            self.exec
                .execute(
                    INSERT_UNNUMBERED_EVENT,
                    args![
                        self.tenant,
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
        Ok(())
    }

    async fn write_numbered_events(&mut self) -> R<Option<EventWake>> {
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
        Ok(Some(EventWake {
            tenant_id: self.tenant,
            head,
        }))
    }

    /// Numbers what the tenant's committed transactions wrote without numbers (ADR 025):
    /// under the tenant's event head, locked until this transaction ends so that one numberer
    /// at a time runs in any process, up to `limit` events take the next sequence numbers in
    /// the order of their `pos`, and up to `limit` audit records the next numbers of the
    /// chain with their hashes; the heads move, and the dialect's `NOTIFY` is queued for the
    /// commit. Only committed rows are visible here, so a transaction still running (or
    /// rolled back) is never numbered. A round that finds nothing writes nothing.
    ///
    /// # Errors
    /// [`crate::StoreError`] when a row cannot be read or written, or the dialect numbers in
    /// the writing transaction (SQLite); the round must then be rolled back.
    pub async fn number_committed(&mut self, limit: u32) -> R<Numbered> {
        let d = self.exec.dialect();
        let (Some(number_events), Some(number_audit)) = (d.number_events, d.number_audit) else {
            return Err(crate::StoreError::Other(
                "this backend numbers events in the writing transaction".into(),
            ));
        };
        let any: i64 = match self
            .exec
            .fetch_optional(ANY_UNNUMBERED, args![self.tenant])
            .await?
        {
            Some(mut r) => r.get()?,
            None => 0,
        };
        if any == 0 {
            return Ok(Numbered::default());
        }
        let head: i64 = self
            .exec
            .fetch_optional(LOCK_HEAD, args![self.tenant])
            .await?
            .ok_or_else(|| crate::StoreError::Other("the event head was not returned".into()))?
            .get()?;
        let seqs: Vec<i64> = rows(
            self.exec
                .fetch_all(number_events, args![self.tenant, head, i64::from(limit)])
                .await?,
            |mut r| r.get(),
        )?;
        let mut out = Numbered {
            events: seqs.len(),
            ..Numbered::default()
        };
        if let Some(&new_head) = seqs.iter().max() {
            self.exec
                .execute(SET_HEAD, args![self.tenant, new_head])
                .await?;
            let wake = EventWake {
                tenant_id: self.tenant,
                head: new_head,
            };
            if let Some(notify) = d.notify_events {
                self.exec.execute(notify, args![wake.payload()]).await?;
            }
            out.wake = Some(wake);
        }
        out.audit = self.number_audit(number_audit, limit).await?;
        let full = usize::try_from(limit).unwrap_or(usize::MAX);
        out.more = out.events >= full || out.audit >= full;
        Ok(out)
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
