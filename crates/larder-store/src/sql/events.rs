//! The outbox's statements (ADR 025).

use async_trait::async_trait;
use chrono::{SubsecRound, Utc};

use super::{Column, Exec, R, Row, SqlTx, ToArg, args, rows};
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
        if let Some(insert) = self.exec.dialect().insert_unnumbered {
            let unnumbered = !self.events.is_empty() || !self.audit.is_empty();
            if unnumbered {
                self.write_unnumbered(insert).await?;
            }
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

    /// Writes the held events and audit records without numbers, in one statement (the
    /// dialect's `insert_unnumbered`); `pos`, a global identity, orders them until
    /// [`SqlTx::number_committed`] numbers them.
    async fn write_unnumbered(&mut self, insert: &'static str) -> R<()> {
        let events = std::mem::take(&mut self.events);
        let audit = std::mem::take(&mut self.audit);
        let uuid = |v: Vec<uuid::Uuid>| Column::Uuid(v.into_iter().map(Some).collect());
        let text = |v: Vec<String>| Column::Text(v.into_iter().map(Some).collect());
        let columns = [
            uuid(events.iter().map(|e| e.id).collect()),
            text(events.iter().map(|e| e.event_type.to_owned()).collect()),
            Column::Uuid(
                events
                    .iter()
                    .map(|e| e.location_id.map(|l| l.as_uuid()))
                    .collect(),
            ),
            Column::Time(events.iter().map(|e| Some(e.occurred_at)).collect()),
            Column::Uuid(events.iter().map(|e| e.actor.map(|a| a.as_uuid())).collect()),
            Column::Int(
                events
                    .iter()
                    .map(|e| Some(i64::from(e.schema_version)))
                    .collect(),
            ),
            text(events.into_iter().map(|e| e.data).collect()),
            uuid(audit.iter().map(|a| a.id).collect()),
            Column::Time(audit.iter().map(|a| Some(a.at.trunc_subsecs(6))).collect()),
            Column::Uuid(audit.iter().map(|a| a.actor.map(|u| u.as_uuid())).collect()),
            text(audit.iter().map(|a| a.action.clone()).collect()),
            text(audit.iter().map(|a| a.target_type.clone()).collect()),
            Column::Text(audit.iter().map(|a| a.target_id.clone()).collect()),
            text(audit.iter().map(|a| a.summary.clone()).collect()),
            Column::Text(audit.iter().map(|a| a.request_id.clone()).collect()),
            Column::Text(audit.into_iter().map(|a| a.client_addr).collect()),
        ];
        self.exec
            .execute_batch(insert, args![self.tenant, Utc::now()], &columns)
            .await?;
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
    /// under the tenant's numbering lock, held until this transaction ends so that one round
    /// at a time runs in any process, up to `limit` events take the next sequence numbers in
    /// the order of their `pos`, and up to `limit` audit records the next numbers of the
    /// chain with their hashes; the heads move, and the `NOTIFY` is queued for the commit.
    /// Each statement after the lock sees what the previous round committed, and only
    /// committed rows, so a transaction still running (or rolled back) is never numbered. A
    /// round that finds nothing writes nothing.
    ///
    /// # Errors
    /// [`crate::StoreError`] when a row cannot be read or written, or the dialect numbers in
    /// the writing transaction (SQLite); the round must then be rolled back.
    pub async fn number_committed(&mut self, limit: u32) -> R<Numbered> {
        let d = self.exec.dialect();
        let (Some(lock), Some(number_events), Some(number_audit)) =
            (d.lock_numbering, d.number_events, d.number_audit)
        else {
            return Err(crate::StoreError::Other(
                "this backend numbers events in the writing transaction".into(),
            ));
        };
        self.exec.execute(lock, args![self.tenant]).await?;
        let mut r = self
            .exec
            .fetch_optional(number_events, args![self.tenant, i64::from(limit)])
            .await?
            .ok_or_else(|| crate::StoreError::Other("numbering returned no row".into()))?;
        let head: Option<i64> = r.get()?;
        let numbered: i64 = r.get()?;
        let mut out = Numbered {
            events: usize::try_from(numbered).unwrap_or(0),
            wake: head.map(|head| EventWake {
                tenant_id: self.tenant,
                head,
            }),
            ..Numbered::default()
        };
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
