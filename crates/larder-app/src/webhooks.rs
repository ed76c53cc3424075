//! Webhooks (ADR 027): per-tenant subscriptions to event types, delivered signed per the
//! Standard Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
//! HMAC-SHA256 by the `standardwebhooks` crate, the specification's own implementation), retried
//! with exponential backoff for more than a day ([`larder_core::webhooks::RETRY_WAITS_SECS`]),
//! with a delivery log per subscription, a replay, secret rotation (the previous secret keeps
//! signing for 24 hours) and automatic disabling after sustained failure. Targets are `http(s)`
//! and, unless the operator allows it, never loopback, private or link-local addresses.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use larder_core::TenantId;
use larder_core::auth::Permission;
use larder_core::webhooks::{is_public, retry_after, should_disable};
use larder_store::{DeliveryRow, DueDelivery, Mode, WebhookRow, run_tenant};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::error::Conflicts;
use crate::events::{Envelope, EventType};
use crate::page;
use crate::{App, AppError, Principal};

/// How long a claimed delivery is leased to its sender (longer than [`SEND_TIMEOUT`]).
pub const LEASE: Duration = Duration::seconds(60);
/// How long one attempt may take, connecting included.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a rotated-out secret keeps signing.
pub const PREVIOUS_SECRET_LASTS: Duration = Duration::hours(24);
/// Most subscriptions a tenant may have.
pub const MAX_WEBHOOKS: usize = 100;

/// Subscribe to events.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCommand {
    /// Where to deliver: an `http` or `https` URL, at most 2,000 characters, without
    /// credentials; not a loopback, private or link-local address (unless the operator
    /// allows it).
    #[schema(max_length = 2000)]
    pub url: String,
    /// What it is for.
    #[serde(default)]
    pub description: Option<larder_core::Note>,
    /// The event types to deliver (`docs/events.md`); absent or empty: every type.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub event_types: Option<Vec<String>>,
    /// On `PUT`: false switches deliveries off; true switches them back on (and forgets past
    /// failures). Default true.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A subscription (its secret is shown only when created or rotated).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Webhook {
    /// Id.
    pub id: Uuid,
    /// Target.
    pub url: String,
    /// What it is for.
    pub description: Option<String>,
    /// Delivered types; empty: every type.
    pub event_types: Vec<String>,
    /// Deliveries are made.
    pub active: bool,
    /// Why it is off.
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last success.
    pub failures: i32,
    /// The first failure since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Whether a rotated-out secret still signs, and until when.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// For `If-Match`.
    pub version: i64,
}

/// A subscription with its signing secret, shown once (on create and rotate).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookWithSecret {
    /// The subscription.
    pub webhook: Webhook,
    /// `whsec_` and 32 random bytes in base64: verify each delivery's `webhook-signature`
    /// with it (any Standard Webhooks library does).
    pub secret: String,
}

/// One delivery of one event, with its latest attempt.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    /// Id.
    pub id: Uuid,
    /// The event (the `webhook-id` header).
    pub event_id: Uuid,
    /// Its sequence number.
    pub event_seq: i64,
    /// Its type.
    pub event_type: String,
    /// `pending` (due at `next_attempt_at`), `succeeded`, or `failed` (gave up).
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's HTTP status.
    pub last_status: Option<i32>,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the event was queued for this subscription.
    pub created_at: DateTime<Utc>,
}

/// A page of deliveries, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    /// Newest first.
    pub data: Vec<Delivery>,
    /// The next (older) page's cursor.
    pub next_cursor: Option<String>,
}

impl From<DeliveryRow> for Delivery {
    fn from(d: DeliveryRow) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            event_seq: d.event_seq,
            event_type: d.event_type,
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
            status: d.status,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            last_attempt_at: d.last_attempt_at,
            created_at: d.created_at,
        }
    }
}

fn types_of(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn view(w: &WebhookRow, now: DateTime<Utc>) -> Webhook {
    Webhook {
        id: w.id,
        url: w.url.clone(),
        description: w.description.clone(),
        event_types: types_of(&w.event_types),
        active: w.active,
        disabled_reason: w.disabled_reason.clone(),
        failures: w.failures,
        failing_since: w.failing_since,
        previous_secret_until: w
            .previous_until
            .filter(|u| *u > now && w.previous_secret.is_some()),
        created_at: w.created_at,
        updated_at: w.updated_at,
        version: w.version,
    }
}

/// Checks a target URL: `http(s)`, a host, no credentials, at most 2,000 characters, and (unless
/// `allow_private`) not `localhost` nor an address that [`is_public`] refuses. A host name is
/// checked again at each delivery, on the addresses it resolves to.
///
/// # Errors
/// 422 on `url`.
pub fn check_url(raw: &str, allow_private: bool) -> Result<String, AppError> {
    let bad = |why: &str| AppError::invalid("url", why.to_owned());
    if raw.chars().count() > 2000 {
        return Err(bad("must be at most 2000 characters"));
    }
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be an http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry a user name or password"));
    }
    let host = url.host().ok_or_else(|| bad("must name a host"))?;
    if !allow_private {
        let private = match host {
            url::Host::Ipv4(ip) => !is_public(ip.into()),
            url::Host::Ipv6(ip) => !is_public(ip.into()),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
        };
        if private {
            return Err(bad(
                "must not be a loopback, private or link-local address (the operator can allow them with LARDER_WEBHOOK_ALLOW_PRIVATE)",
            ));
        }
    }
    Ok(url.to_string())
}

fn check_types(types: Option<&[String]>) -> Result<String, AppError> {
    if types.is_some_and(|t| t.len() > 100) {
        return Err(AppError::invalid(
            "event_types",
            "must list at most 100 types",
        ));
    }
    let mut out: Vec<&str> = Vec::new();
    for (i, t) in types.unwrap_or_default().iter().enumerate() {
        let t = t.trim();
        if EventType::parse(t).is_none() {
            return Err(AppError::invalid(
                format!("event_types[{i}]"),
                format!("{t:?} is not an event type (docs/events.md)"),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out.join(","))
}

fn new_secret() -> Result<String, AppError> {
    Ok(format!(
        "whsec_{}",
        STANDARD.encode(crate::auth::random_bytes::<32>()?)
    ))
}

/// The webhooks' unique constraints, by the field a client writes.
const CONFLICTS: Conflicts = Conflicts(&[("webhooks_url", "url")]);

/// A storage error of a subscription's write: a taken URL is a 409 on `url`, a version that
/// moved on meanwhile a 412.
fn stored(e: larder_store::StoreError) -> AppError {
    match e {
        larder_store::StoreError::Conflict { constraint } if constraint == "webhooks_version" => {
            AppError::PreconditionFailed("webhook")
        }
        other => CONFLICTS.name(other.into()),
    }
}

/// Records `action` on a subscription in the audit log: what it keeps of it (never its
/// secret).
async fn audit(
    tx: &mut dyn larder_store::TenantTx,
    p: &Principal,
    action: &str,
    w: &WebhookRow,
) -> Result<(), AppError> {
    let kept = json!({
        "id": w.id, "url": w.url, "event_types": w.event_types, "active": w.active,
        "disabled_reason": w.disabled_reason, "version": w.version,
    });
    crate::audit::record_by(tx, p, action, "webhook", Some(w.id.to_string()), &kept).await
}

/// Where deliveries are sent: an HTTP client that posts a body with headers and answers the
/// response's status, applying [`SEND_TIMEOUT`], following no redirect and refusing to
/// connect to addresses the operator has not allowed.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Posts `body` to `url` with `headers`.
    ///
    /// # Errors
    /// Why no answer came, in words for the delivery log.
    async fn post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<u16, String>;
}

/// The Standard Webhooks headers of a delivery: the event id, the send time and one `v1`
/// signature per secret, space-separated.
///
/// # Errors
/// 500 when a stored secret is not valid base64.
pub fn signed_headers(
    event_id: Uuid,
    at: DateTime<Utc>,
    secrets: &[String],
    body: &[u8],
) -> Result<Vec<(String, String)>, AppError> {
    let id = event_id.to_string();
    let ts = at.timestamp();
    let mut sigs = Vec::with_capacity(secrets.len());
    for s in secrets {
        let hook = standardwebhooks::Webhook::new(s)
            .map_err(|e| AppError::Internal(format!("webhook secret: {e}")))?;
        sigs.push(
            hook.sign(&id, ts, body)
                .map_err(|e| AppError::Internal(format!("signing: {e}")))?,
        );
    }
    Ok(vec![
        ("webhook-id".into(), id),
        ("webhook-timestamp".into(), ts.to_string()),
        ("webhook-signature".into(), sigs.join(" ")),
        ("content-type".into(), "application/json".into()),
        ("user-agent".into(), "Larder-Webhooks/1".into()),
    ])
}

/// Webhooks are managed by owners and admins in person: an API key (even with
/// `members.manage`) could otherwise subscribe to events of contexts its scopes cannot read.
fn require_manager(p: &Principal) -> Result<(), AppError> {
    p.require(Permission::MembersManage)?;
    if p.scopes.is_some() {
        return Err(AppError::Forbidden(
            "webhooks are managed by owners and admins in person, not with an API key",
        ));
    }
    Ok(())
}

impl App {
    /// Subscribes to events from now on (earlier events are not delivered).
    ///
    /// # Errors
    /// 403 without `members.manage`; 422 on `url` or `event_types[i]`; 409 on `url` when the
    /// tenant already has a subscription to it, or 100 of them.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_webhook(
        &self,
        p: Principal,
        cmd: WebhookCommand,
    ) -> Result<WebhookWithSecret, AppError> {
        require_manager(&p)?;
        let url = check_url(&cmd.url, self.webhook_private_targets)?;
        let types = check_types(cmd.event_types.as_deref())?;
        let secret = new_secret()?;
        let now = Utc::now();
        let row = WebhookRow {
            id: Uuid::now_v7(),
            url,
            description: cmd.description.map(|d| d.as_str().to_owned()),
            event_types: types,
            secret: secret.clone(),
            previous_secret: None,
            previous_until: None,
            active: cmd.active.unwrap_or(true),
            disabled_reason: cmd
                .active
                .is_some_and(|a| !a)
                .then(|| "switched off".to_owned()),
            cursor_seq: 0,
            failures: 0,
            failing_since: None,
            created_by: Some(p.user_id),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let saved = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                if tx.list_webhooks().await?.len() >= MAX_WEBHOOKS {
                    return Err(AppError::conflict(
                        "url",
                        "a tenant has at most 100 webhooks",
                    ));
                }
                let mut row = row;
                row.cursor_seq = tx.event_head().await?;
                tx.insert_webhook(&row).await.map_err(stored)?;
                audit(tx, &p, "webhooks.webhook_created", &row).await?;
                Ok(row)
            })
        })
        .await?;
        Ok(WebhookWithSecret {
            webhook: view(&saved, now),
            secret,
        })
    }

    /// The tenant's subscriptions, newest first.
    ///
    /// # Errors
    /// 403 without `members.manage`.
    pub async fn list_webhooks(&self, p: Principal) -> Result<Vec<Webhook>, AppError> {
        require_manager(&p)?;
        let now = Utc::now();
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, |tx| {
            Box::pin(async move { tx.list_webhooks().await })
        })
        .await?;
        Ok(rows.iter().map(|w| view(w, now)).collect())
    }

    /// A subscription.
    ///
    /// # Errors
    /// 403 without `members.manage`; 404.
    pub async fn get_webhook(&self, p: Principal, id: Uuid) -> Result<Webhook, AppError> {
        require_manager(&p)?;
        let row = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.get_webhook(id).await })
        })
        .await?
        .ok_or(AppError::NotFound("webhook"))?;
        Ok(view(&row, Utc::now()))
    }

    /// Changes a subscription's target, description, types or state; switching it back on
    /// forgets its failures (and delivers what it missed meanwhile: its cursor did not move).
    ///
    /// # Errors
    /// 403; 404; 412 on a stale `If-Match`; 422 on `url` or `event_types[i]`; 409 on `url`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_webhook(
        &self,
        p: Principal,
        id: Uuid,
        cmd: WebhookCommand,
        if_match: Option<i64>,
    ) -> Result<Webhook, AppError> {
        require_manager(&p)?;
        let url = check_url(&cmd.url, self.webhook_private_targets)?;
        let types = check_types(cmd.event_types.as_deref())?;
        let now = Utc::now();
        let row = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let mut w = tx
                    .get_webhook(id)
                    .await?
                    .ok_or(AppError::NotFound("webhook"))?;
                if if_match.is_some_and(|v| v != w.version) {
                    return Err(AppError::PreconditionFailed("webhook"));
                }
                let active = cmd.active.unwrap_or(w.active);
                if active && !w.active {
                    w.failures = 0;
                    w.failing_since = None;
                    w.disabled_reason = None;
                } else if !active && w.active {
                    w.disabled_reason = Some("switched off".into());
                }
                w.url = url;
                w.description = cmd.description.map(|d| d.as_str().to_owned());
                w.event_types = types;
                w.active = active;
                w.updated_at = now;
                w.version += 1;
                tx.update_webhook(&w).await.map_err(stored)?;
                audit(tx, &p, "webhooks.webhook_updated", &w).await?;
                Ok(w)
            })
        })
        .await?;
        Ok(view(&row, now))
    }

    /// A new signing secret; the previous one keeps signing (beside it) for 24 hours, so
    /// receivers can switch without missing a delivery.
    ///
    /// # Errors
    /// 403; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn rotate_webhook_secret(
        &self,
        p: Principal,
        id: Uuid,
    ) -> Result<WebhookWithSecret, AppError> {
        require_manager(&p)?;
        let secret = new_secret()?;
        let now = Utc::now();
        let s = secret.clone();
        let row = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let mut w = tx
                    .get_webhook(id)
                    .await?
                    .ok_or(AppError::NotFound("webhook"))?;
                w.previous_secret = Some(std::mem::replace(&mut w.secret, s));
                w.previous_until = Some(now + PREVIOUS_SECRET_LASTS);
                w.updated_at = now;
                w.version += 1;
                tx.update_webhook(&w).await.map_err(stored)?;
                audit(tx, &p, "webhooks.secret_rotated", &w).await?;
                Ok::<_, AppError>(w)
            })
        })
        .await?;
        Ok(WebhookWithSecret {
            webhook: view(&row, now),
            secret,
        })
    }

    /// A subscription's deliveries, newest first.
    ///
    /// # Errors
    /// 403; 404 on the subscription; 422 on `limit` or `cursor`.
    pub async fn webhook_deliveries(
        &self,
        p: Principal,
        id: Uuid,
        q: page::PageQuery,
    ) -> Result<DeliveryPage, AppError> {
        require_manager(&p)?;
        let limit = page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(
                Uuid::parse_str(&page::decode(c, 1)?[0])
                    .map_err(|_| AppError::invalid("cursor", "is not a cursor of this list"))?,
            ),
            None => None,
        };
        let mut rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.get_webhook(id)
                    .await?
                    .ok_or(AppError::NotFound("webhook"))?;
                Ok::<_, AppError>(tx.list_deliveries(id, before, limit + 1).await?)
            })
        })
        .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(d)) => Some(page::encode(&[&d.id.to_string()])),
            _ => None,
        };
        Ok(DeliveryPage {
            data: rows.into_iter().map(Delivery::from).collect(),
            next_cursor,
        })
    }

    /// Delivers an event again now (after a target was fixed, say), whatever its state.
    ///
    /// # Errors
    /// 403; 404 on the subscription or the delivery (or one of another subscription).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn replay_delivery(
        &self,
        p: Principal,
        webhook: Uuid,
        delivery: Uuid,
    ) -> Result<Delivery, AppError> {
        require_manager(&p)?;
        let now = Utc::now();
        let d = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let d = tx
                    .get_delivery(delivery)
                    .await?
                    .filter(|d| d.webhook_id == webhook)
                    .ok_or(AppError::NotFound("delivery"))?;
                tx.replay_delivery(d.id, now).await?;
                crate::audit::record_by(
                    tx,
                    &p,
                    "webhooks.delivery_replayed",
                    "delivery",
                    Some(d.id.to_string()),
                    &json!({ "id": d.id, "event_id": d.event_id, "webhook_id": webhook }),
                )
                .await?;
                Ok::<_, AppError>(tx.get_delivery(d.id).await?)
            })
        })
        .await?
        .ok_or(AppError::NotFound("delivery"))?;
        Ok(Delivery::from(d))
    }

    /// One round of the dispatcher: for every tenant with an active subscription, queues a
    /// delivery per new event each subscription takes, claims what is due (leased for
    /// [`LEASE`], at most `permits`' free permits) and sends each in its own task holding a
    /// permit, so a slow or hanging target never holds up another. Returns how many sends
    /// were started.
    ///
    /// # Errors
    /// Storage errors (sends report their failures to the delivery log, not here).
    pub async fn webhook_round(
        &self,
        sender: Arc<dyn WebhookSender>,
        permits: Arc<tokio::sync::Semaphore>,
    ) -> Result<usize, AppError> {
        let mut started = 0;
        for tenant in self.db().webhook_tenants().await? {
            let free = u32::try_from(permits.available_permits()).unwrap_or(u32::MAX);
            if free == 0 {
                break;
            }
            let now = Utc::now();
            let due = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
                Box::pin(async move {
                    for w in tx.list_webhooks().await?.into_iter().filter(|w| w.active) {
                        tx.enqueue_deliveries(w.id, &types_of(&w.event_types), 500, now)
                            .await?;
                    }
                    Ok::<_, AppError>(tx.claim_deliveries(now, now + LEASE, free).await?)
                })
            })
            .await?;
            for d in due {
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    break; // leased: sent when the lease ends
                };
                let (app, sender) = (self.clone(), sender.clone());
                tokio::spawn(async move {
                    if let Err(e) = app.deliver(tenant, d, sender.as_ref()).await {
                        tracing::warn!(error = %e, "recording a webhook delivery failed");
                    }
                    drop(permit);
                });
                started += 1;
            }
        }
        Ok(started)
    }

    /// Sends one claimed delivery and records the attempt (and, after sustained failure,
    /// switches the subscription off).
    async fn deliver(
        &self,
        tenant: TenantId,
        due: DueDelivery,
        sender: &dyn WebhookSender,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        let envelope = Envelope::from_row(tenant, due.event)?;
        let body = serde_json::to_vec(&envelope).map_err(|e| AppError::Internal(e.to_string()))?;
        let headers = signed_headers(envelope.id, now, &due.secrets, &body)?;
        let answer = tokio::time::timeout(SEND_TIMEOUT, sender.post(&due.url, headers, body))
            .await
            .unwrap_or_else(|_| Err(format!("no answer in {} s", SEND_TIMEOUT.as_secs())));
        let done = Utc::now();
        let mut d = due.delivery;
        d.attempts += 1;
        d.last_attempt_at = Some(done);
        let ok = match answer {
            Ok(code) => {
                d.last_status = Some(i32::from(code));
                d.last_error =
                    (!(200..300).contains(&code)).then(|| format!("the target answered {code}"));
                (200..300).contains(&code)
            }
            Err(e) => {
                d.last_status = None;
                d.last_error = Some(e.chars().take(500).collect());
                false
            }
        };
        if ok {
            d.status = "succeeded".into();
        } else {
            match retry_after(u32::try_from(d.attempts).unwrap_or(u32::MAX)) {
                Some(wait) => {
                    d.status = "pending".into();
                    d.next_attempt_at = done + wait;
                }
                None => d.status = "failed".into(),
            }
        }
        let webhook = d.webhook_id;
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                let (failures, since) = tx.record_attempt(&d, ok, done).await?;
                let failing_for = since.map_or(Duration::zero(), |s| done - s);
                if !ok && should_disable(failing_for, u32::try_from(failures).unwrap_or(0)) {
                    let reason = format!(
                        "switched off after {failures} failed attempts over {} days without a success",
                        failing_for.num_days()
                    );
                    tx.disable_webhook(webhook, &reason, done).await?;
                    crate::audit::record(
                        tx,
                        None,
                        crate::audit::RequestMeta::default(),
                        "webhooks.webhook_disabled",
                        "webhook",
                        Some(webhook.to_string()),
                        &json!({ "id": webhook, "active": false, "disabled_reason": reason }),
                    )
                    .await?;
                }
                Ok::<_, AppError>(())
            })
        })
        .await
    }
}
