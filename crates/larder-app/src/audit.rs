//! The audit log (ADR 026): every write through the API or the UI, and logins, failed logins,
//! role and membership changes, token and key revocations and settings, appends a record to
//! the tenant's hash chain in the transaction of the change ([`larder_store::AuditTx`],
//! [`larder_core::audit`]). Owners and admins read it; `larder audit verify` walks every chain.

use chrono::{DateTime, Utc};
use larder_core::audit::{AuditFields, Broken, Verifier, to_hex as hex};
use larder_core::auth::Role;
use larder_core::{TenantId, UserId};
use larder_store::prelude::*;
use larder_store::{AuditFilter, AuditRow, Mode, NewAudit, run_tenant};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::page;
use crate::{App, AppError, Principal};

/// Where a request came from, for the audit log: the id the server gave it (`X-Request-Id` on
/// the answer) and the client's address (the TCP peer's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The request's id.
    pub request_id: Option<Uuid>,
    /// The client's address.
    pub client: Option<std::net::IpAddr>,
}

/// Longest text kept of one field in a summary.
const SUMMARY_TEXT: usize = 200;

/// The scalar fields of an answer (strings cut to 200 characters), or for a list its length:
/// what a record keeps of a resource.
fn scalars(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) if s.chars().count() > SUMMARY_TEXT => Some((
                        k.clone(),
                        Value::String(s.chars().take(SUMMARY_TEXT).collect::<String>() + "…"),
                    )),
                    Value::Array(_) | Value::Object(_) => None,
                    other => Some((k.clone(), other.clone())),
                })
                .collect(),
        ),
        Value::Array(a) => serde_json::json!({ "count": a.len() }),
        other => other.clone(),
    }
}

/// The target's id in an answer: its `id`, or for a list its first element's.
pub(crate) fn target_id(v: &Value) -> Option<String> {
    let head = v.as_array().and_then(|a| a.first()).unwrap_or(v);
    match head.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What kind of thing an action is done to: the event name less its verb
/// (`catalog.item_created` -> `item`, `counts.count_line_entered` -> `count_line`).
pub(crate) fn target_type(action: &str) -> String {
    let event = action.split_once('.').map_or(action, |(_, e)| e);
    event
        .rsplit_once('_')
        .map_or(event, |(thing, _)| thing)
        .to_owned()
}

/// Records `action` on the target `after` describes (`target_type`, its id), by `actor`, with
/// the target's previous summary as "before".
///
/// # Errors
/// Storage errors.
pub(crate) async fn record(
    tx: &mut dyn TenantTx,
    actor: Option<UserId>,
    meta: RequestMeta,
    action: &str,
    target_type: &str,
    target_id: Option<String>,
    after: &Value,
) -> Result<(), AppError> {
    let before = match &target_id {
        Some(id) => tx
            .last_audit_summary(id)
            .await?
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .and_then(|mut v| v.get_mut("after").map(Value::take))
            .unwrap_or(Value::Null),
        None => Value::Null,
    };
    let summary = serde_json::json!({ "before": before, "after": scalars(after) });
    tx.record_audit(NewAudit {
        id: Uuid::now_v7(),
        at: Utc::now(),
        actor,
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id,
        summary: summary.to_string(),
        request_id: meta.request_id.map(|r| r.to_string()),
        client_addr: meta.client.map(|c| c.to_string()),
    });
    Ok(())
}

/// Records what `p` did (an `auth.` action or an event type) to a target.
///
/// # Errors
/// Storage errors.
pub(crate) async fn record_by(
    tx: &mut dyn TenantTx,
    p: &Principal,
    action: &str,
    target_type: &str,
    target_id: Option<String>,
    after: &Value,
) -> Result<(), AppError> {
    record(
        tx,
        Some(p.user_id),
        p.request,
        action,
        target_type,
        target_id,
        after,
    )
    .await
}

/// Appends one record on a user (the target) in its own transaction of `tenant` (logins,
/// failed logins, two-factor changes: actions that change nothing else there).
///
/// # Errors
/// Storage errors.
pub(crate) async fn append(
    app: &App,
    tenant: TenantId,
    actor: Option<UserId>,
    meta: RequestMeta,
    action: &'static str,
    target: Option<String>,
    after: Value,
) -> Result<(), AppError> {
    run_tenant(app.db(), tenant, Mode::Write, move |tx| {
        Box::pin(async move { record(tx, actor, meta, action, "user", target, &after).await })
    })
    .await
}

/// One record as owners and admins read it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// The tenant's number, from 1.
    pub seq: i64,
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (absent: the system, or someone unknown such as a failed login's guess).
    pub actor: Option<UserId>,
    /// What: an event type (`docs/events.md`) or an `auth.` action.
    pub action: String,
    /// To what: kind.
    pub target_type: String,
    /// To what: id.
    pub target_id: Option<String>,
    /// The target's scalar fields before and after.
    #[schema(value_type = Object)]
    pub summary: Value,
    /// The request's id (its `X-Request-Id`).
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// SHA-256 of the previous record's hash and this record (hex).
    pub hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        Self {
            seq: r.seq,
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            summary: serde_json::from_str(&r.summary).unwrap_or(Value::Null),
            request_id: r.request_id,
            client_addr: r.client_addr,
            hash: hex(&r.hash),
        }
    }
}

/// Filters for `GET /audit-log`, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// By this person.
    pub actor: Option<UserId>,
    /// Actions starting with this (`auth.`, `catalog.item_`), at most 100 characters.
    #[param(max_length = 100)]
    pub action: Option<String>,
    /// On this target id, at most 100 characters.
    #[param(max_length = 100)]
    pub target_id: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// A page of records.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub data: Vec<AuditEntry>,
    /// The next (older) page's cursor.
    pub next_cursor: Option<String>,
}

/// The result of walking a tenant's chain.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChainState {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Records that verified, from the first.
    pub verified: i64,
    /// The head's last number (0 before the first record).
    pub head: i64,
    /// Whether every record verified and the chain ends at the head.
    pub intact: bool,
    /// The first broken link, in words, naming the record.
    pub broken: Option<String>,
    /// The record it names.
    pub broken_seq: Option<i64>,
}

fn require_owner_or_admin(p: &Principal) -> Result<(), AppError> {
    if p.mfa_missing {
        return Err(AppError::MfaSetupRequired);
    }
    if matches!(p.role, Role::Owner | Role::Admin) && p.scopes.is_none() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the audit log is for owners and admins",
        ))
    }
}

/// Records verified per read.
const CHAIN_PAGE: u32 = 1000;

impl App {
    /// The tenant's audit records, newest first, filtered.
    ///
    /// # Errors
    /// 403 unless an owner or admin (in person, not through an API key); 422 on `limit`,
    /// `cursor` or a `from` after `to`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn audit_log(&self, p: Principal, q: AuditQuery) -> Result<AuditPage, AppError> {
        require_owner_or_admin(&p)?;
        let limit = page::limit(q.limit)?;
        for (field, v) in [("action", &q.action), ("target_id", &q.target_id)] {
            if v.as_ref().is_some_and(|v| v.chars().count() > 100) {
                return Err(AppError::invalid(field, "must be at most 100 characters"));
            }
        }
        if let (Some(f), Some(t)) = (q.from, q.to)
            && f > t
        {
            return Err(AppError::invalid("from", "must not be after `to`"));
        }
        let before_seq = match &q.cursor {
            Some(c) => Some(
                page::decode(c, 1)?[0]
                    .parse::<i64>()
                    .map_err(|_| AppError::invalid("cursor", "is not a cursor of this list"))?,
            ),
            None => None,
        };
        let filter = AuditFilter {
            actor: q.actor,
            action_prefix: q.action.clone(),
            target_id: q.target_id.clone(),
            from: q.from,
            to: q.to,
            before_seq,
            limit: limit + 1,
        };
        let mut rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.list_audit(&filter).await })
        })
        .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(r)) => Some(page::encode(&[&r.seq.to_string()])),
            _ => None,
        };
        Ok(AuditPage {
            data: rows.into_iter().map(AuditEntry::from).collect(),
            next_cursor,
        })
    }

    /// Walks `p`'s tenant's chain (owners and admins).
    ///
    /// # Errors
    /// 403 unless an owner or admin; storage errors.
    pub async fn verify_my_audit_chain(&self, p: Principal) -> Result<ChainState, AppError> {
        require_owner_or_admin(&p)?;
        self.verify_audit_chain(p.tenant_id).await
    }

    /// Walks `tenant`'s chain from its first record: each record's number, link and hash, and
    /// that the chain ends at the head (an operator command: no principal).
    ///
    /// # Errors
    /// Storage errors (a broken chain is a result, not an error).
    pub async fn verify_audit_chain(&self, tenant: TenantId) -> Result<ChainState, AppError> {
        let t = tenant.to_string();
        // The head first: records appended while the chain is walked come after it and are
        // left for the next walk.
        let head = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move { tx.audit_head().await })
        })
        .await?;
        let (head_seq, head_hash) = head.unwrap_or((0, larder_core::audit::GENESIS.to_vec()));
        let mut v = Verifier::default();
        let mut after = 0;
        let mut broken: Option<Broken> = None;
        loop {
            let rows = run_tenant(self.db(), tenant, Mode::Read, move |tx| {
                Box::pin(async move { tx.audit_chain(after, CHAIN_PAGE).await })
            })
            .await?;
            let n = rows.len();
            for r in rows.iter().take_while(|r| r.seq <= head_seq) {
                let (id, actor) = (r.id.to_string(), r.actor.map(|a| a.to_string()));
                let fields = AuditFields {
                    seq: r.seq,
                    id: &id,
                    tenant_id: &t,
                    at: r.at,
                    actor: actor.as_deref(),
                    action: &r.action,
                    target_type: &r.target_type,
                    target_id: r.target_id.as_deref(),
                    summary: &r.summary,
                    request_id: r.request_id.as_deref(),
                    client_addr: r.client_addr.as_deref(),
                };
                if let Err(b) = v.check(&fields, &r.prev_hash, &r.hash) {
                    broken = Some(b);
                    break;
                }
            }
            let past_head = rows.last().is_some_and(|r| r.seq >= head_seq);
            if broken.is_some() || n < CHAIN_PAGE as usize || past_head {
                break;
            }
            after = rows.last().map_or(after, |r| r.seq);
        }
        let verified = v.verified();
        let (broken, broken_seq) = match broken {
            Some(b) => {
                let seq = match &b {
                    Broken::Sequence { found, .. } => *found,
                    Broken::Link { seq } | Broken::Content { seq } => *seq,
                };
                (Some(b.to_string()), Some(seq))
            }
            None if verified != head_seq => (
                Some(format!(
                    "the chain ends at record {verified} but its head says {head_seq} (records after {verified} were deleted)"
                )),
                Some(verified + 1),
            ),
            None if v.last_hash().as_slice() != head_hash.as_slice() => (
                Some(format!(
                    "record {verified} is not the head's (the last record was replaced)"
                )),
                Some(verified),
            ),
            None => (None, None),
        };
        Ok(ChainState {
            tenant_id: tenant,
            verified,
            head: head_seq,
            intact: broken.is_none(),
            broken,
            broken_seq,
        })
    }
}
