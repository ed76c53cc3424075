//! The audit log's statements (ADR 026).

use async_trait::async_trait;
use chrono::SubsecRound;
use larder_core::audit::{AuditFields, GENESIS, to_hex};

use super::{Column, Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{AuditFilter, AuditRow, AuditTx, NewAudit, StoreError};

/// Reads the tenant's head, creating it, and locks it until the transaction ends (PostgreSQL:
/// the no-op update takes the row lock), so one transaction at a time extends the chain: on
/// SQLite the writing transaction, on PostgreSQL the numberer after commit.
const LOCK_HEAD: &str = "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_heads.seq
     RETURNING seq, hash";
const SET_HEAD: &str = "UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1";
/// A record numbered and chained in its own transaction (SQLite), whose `pos` is its number.
const INSERT_AUDIT: &str = "INSERT INTO audit_log (tenant_id, seq, pos, id, at, actor, action,
     target_type, target_id, summary, request_id, client_addr, prev_hash, hash)
     VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
/// A record without its number and hashes, which [`SqlTx::number_committed`] gives it after
/// the commit (PostgreSQL: `pos`, from a global identity, orders it until then).
const INSERT_UNNUMBERED_AUDIT: &str = "INSERT INTO audit_log (tenant_id, id, at, actor, action,
     target_type, target_id, summary, request_id, client_addr)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// The tenant's committed records still to number, in `pos` order.
const UNNUMBERED: &str = "SELECT pos, id, at, actor, action, target_type, target_id, summary,
     request_id, client_addr
     FROM audit_log WHERE tenant_id = $1 AND seq IS NULL ORDER BY pos LIMIT $2";
/// The target's latest record, numbered or not yet.
const LAST_SUMMARY: &str = "SELECT summary FROM audit_log
     WHERE tenant_id = $1 AND target_id = $2 ORDER BY pos DESC LIMIT 1";
const LIST: &str = "SELECT seq, id, at, actor, action, target_type, target_id, summary,
     request_id, client_addr, prev_hash, hash
     FROM audit_log WHERE tenant_id = $1
       AND ($2 IS NULL OR actor = $2)
       AND ($3 IS NULL OR substr(action, 1, length($3)) = $3)
       AND ($4 IS NULL OR target_id = $4)
       AND ($5 IS NULL OR at >= $5)
       AND ($6 IS NULL OR at < $6)
       AND seq IS NOT NULL AND ($7 IS NULL OR seq < $7)
     ORDER BY seq DESC LIMIT $8";
const CHAIN: &str = "SELECT seq, id, at, actor, action, target_type, target_id, summary,
     request_id, client_addr, prev_hash, hash
     FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
const HEAD: &str = "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1";

fn audit(mut r: Row) -> R<AuditRow> {
    Ok(AuditRow {
        seq: r.get()?,
        id: r.get()?,
        at: r.get()?,
        actor: r.get()?,
        action: r.get()?,
        target_type: r.get()?,
        target_id: r.get()?,
        summary: r.get()?,
        request_id: r.get()?,
        client_addr: r.get()?,
        prev_hash: r.get()?,
        hash: r.get()?,
    })
}

/// A head's hash as stored, checked to be 32 bytes.
fn head_hash(stored: Vec<u8>) -> R<[u8; 32]> {
    stored
        .try_into()
        .map_err(|_| StoreError::Other("the audit head's hash is not 32 bytes".into()))
}

impl<E: Exec> SqlTx<E> {
    /// Writes the records [`AuditTx::record_audit`] held without numbers or hashes; part of
    /// [`SqlTx::flush_events`] where the backend numbers after commit.
    pub(super) async fn write_unnumbered_audit(&mut self) -> R<()> {
        for a in std::mem::take(&mut self.audit) {
            self.exec
                .execute(
                    INSERT_UNNUMBERED_AUDIT,
                    args![
                        self.tenant,
                        a.id,
                        a.at.trunc_subsecs(6),
                        a.actor,
                        a.action,
                        a.target_type,
                        a.target_id,
                        a.summary,
                        a.request_id,
                        a.client_addr
                    ],
                )
                .await?;
        }
        Ok(())
    }

    /// Numbers and chains up to `limit` of the tenant's committed unnumbered records in `pos`
    /// order with the dialect's batch statement `number`, and moves the head; part of
    /// [`SqlTx::number_committed`], under the event head's lock. Returns how many.
    pub(super) async fn number_audit(&mut self, number: &'static str, limit: u32) -> R<usize> {
        let pending = self
            .exec
            .fetch_all(UNNUMBERED, args![self.tenant, i64::from(limit)])
            .await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let mut head = self
            .exec
            .fetch_optional(LOCK_HEAD, args![self.tenant, GENESIS.to_vec()])
            .await?
            .ok_or_else(|| StoreError::Other("the audit head was not returned".into()))?;
        let mut seq: i64 = head.get()?;
        let mut prev = head_hash(head.get()?)?;
        let tenant = self.tenant.to_string();
        let n = pending.len();
        let (mut poses, mut seqs, mut prevs, mut hashes) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for mut r in pending {
            seq += 1;
            let pos: i64 = r.get()?;
            let id: uuid::Uuid = r.get()?;
            let at: chrono::DateTime<chrono::Utc> = r.get()?;
            let actor: Option<larder_core::UserId> = r.get()?;
            let (action, target_type): (String, String) = (r.get()?, r.get()?);
            let target_id: Option<String> = r.get()?;
            let summary: String = r.get()?;
            let (request_id, client_addr): (Option<String>, Option<String>) = (r.get()?, r.get()?);
            let (id, actor) = (id.to_string(), actor.map(|u| u.to_string()));
            let hash = AuditFields {
                seq,
                id: &id,
                tenant_id: &tenant,
                at,
                actor: actor.as_deref(),
                action: &action,
                target_type: &target_type,
                target_id: target_id.as_deref(),
                summary: &summary,
                request_id: request_id.as_deref(),
                client_addr: client_addr.as_deref(),
            }
            .hash(&prev);
            poses.push(Some(pos));
            seqs.push(Some(seq));
            prevs.push(Some(to_hex(&prev)));
            hashes.push(Some(to_hex(&hash)));
            prev = hash;
        }
        self.exec
            .execute_batch(
                number,
                args![self.tenant],
                &[
                    Column::Int(poses),
                    Column::Int(seqs),
                    Column::Text(prevs),
                    Column::Text(hashes),
                ],
            )
            .await?;
        self.exec
            .execute(SET_HEAD, args![self.tenant, seq, prev.to_vec()])
            .await?;
        Ok(n)
    }

    /// Appends the records [`AuditTx::record_audit`] held to the tenant's chain in the
    /// writing transaction; part of [`SqlTx::flush_events`] where the backend numbers there.
    pub(super) async fn flush_audit(&mut self) -> R<()> {
        if self.audit.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.audit);
        let mut head = self
            .exec
            .fetch_optional(LOCK_HEAD, args![self.tenant, GENESIS.to_vec()])
            .await?
            .ok_or_else(|| StoreError::Other("the audit head was not returned".into()))?;
        let mut seq: i64 = head.get()?;
        let mut prev = head_hash(head.get()?)?;
        let tenant = self.tenant.to_string();
        for a in pending {
            seq += 1;
            let at = a.at.trunc_subsecs(6);
            let (id, actor) = (a.id.to_string(), a.actor.map(|u| u.to_string()));
            let fields = AuditFields {
                seq,
                id: &id,
                tenant_id: &tenant,
                at,
                actor: actor.as_deref(),
                action: &a.action,
                target_type: &a.target_type,
                target_id: a.target_id.as_deref(),
                summary: &a.summary,
                request_id: a.request_id.as_deref(),
                client_addr: a.client_addr.as_deref(),
            };
            let hash = fields.hash(&prev);
            self.exec
                .execute(
                    INSERT_AUDIT,
                    args![
                        self.tenant,
                        seq,
                        a.id,
                        at,
                        a.actor,
                        a.action,
                        a.target_type,
                        a.target_id,
                        a.summary,
                        a.request_id,
                        a.client_addr,
                        prev.to_vec(),
                        hash.to_vec()
                    ],
                )
                .await?;
            prev = hash;
        }
        self.exec
            .execute(SET_HEAD, args![self.tenant, seq, prev.to_vec()])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl<E: Exec> AuditTx for SqlTx<E> {
    fn record_audit(&mut self, record: NewAudit) {
        self.audit.push(record);
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn last_audit_summary(&mut self, target_id: &str) -> R<Option<String>> {
        match self
            .exec
            .fetch_optional(LAST_SUMMARY, args![self.tenant, target_id])
            .await?
        {
            Some(mut r) => Ok(Some(r.get()?)),
            None => Ok(None),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_audit(&mut self, f: &AuditFilter) -> R<Vec<AuditRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST,
                    args![
                        self.tenant,
                        f.actor,
                        f.action_prefix,
                        f.target_id,
                        f.from,
                        f.to,
                        f.before_seq,
                        i64::from(f.limit)
                    ],
                )
                .await?,
            audit,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn audit_chain(&mut self, after: i64, limit: u32) -> R<Vec<AuditRow>> {
        rows(
            self.exec
                .fetch_all(CHAIN, args![self.tenant, after, i64::from(limit)])
                .await?,
            audit,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn audit_head(&mut self) -> R<Option<(i64, Vec<u8>)>> {
        match self.exec.fetch_optional(HEAD, args![self.tenant]).await? {
            Some(mut r) => Ok(Some((r.get()?, r.get()?))),
            None => Ok(None),
        }
    }
}
