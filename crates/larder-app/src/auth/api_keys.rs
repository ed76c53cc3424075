//! API keys: a tenant's credentials for integrations (a POS bridge, a supplier feed), sent as
//! `Authorization: Bearer lk_…` like an access token.
//!
//! A key is `lk_<tenant id, 32 hex digits>_<32 random bytes, base64url>`: the tenant lets it be
//! found under row-level security, and only the SHA-256 of the whole key is stored (the secret
//! has 256 bits of entropy, so a fast hash is enough; a password hash is not needed). It is shown
//! once, when created. A key acts as the member who created it, limited to its scopes, which
//! must be ones that member's role grants; it stops working when revoked, or when its creator is
//! deactivated or leaves. Its last use is recorded to the minute.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use larder_core::auth::{Permission, Scopes};
use larder_core::{ApiKeyId, Name, TenantId, UserId};
use larder_store::{ApiKeyRow, ApiKeyStateRow, Mode, run_tenant};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{App, AppError, Principal};

/// The prefix every API key starts with.
pub const KEY_PREFIX: &str = "lk_";

/// How often a key's last use is written: at most once a minute per key.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Create an API key.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCommand {
    /// What it is for, 1..=200 characters.
    pub name: Name,
    /// The permission scopes it may use (1 to 20; a repeat counts once), each granted by the
    /// creator's role.
    #[schema(min_items = 1, max_items = 20)]
    pub scopes: Vec<Permission>,
}

// The schema's `max_items` above is a literal: it must be the number of scopes there are.
const _: () = assert!(Permission::ALL.len() == 20);

/// An API key as listed (never its secret).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiKey {
    /// Id.
    pub id: ApiKeyId,
    /// What it is for.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<Permission>,
    /// Who created it (it acts as them).
    pub created_by: UserId,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used, to the minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            scopes: r.scopes.to_vec(),
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A key just created: the only answer that carries its secret.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// The key as listed.
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The key itself, to send as `Authorization: Bearer`. Shown this once; store it now.
    pub key: String,
}

/// The SHA-256 of a key, as stored.
fn key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// The tenant a key names, when it has a key's shape.
pub(crate) fn key_tenant(key: &str) -> Option<TenantId> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (tenant, secret) = (rest.get(..32)?, rest.get(32..)?);
    let secret = secret.strip_prefix('_')?;
    let shaped = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !shaped {
        return None;
    }
    tenant.parse().ok()
}

impl App {
    /// Creates an API key; the answer carries the key, once.
    ///
    /// # Errors
    /// 403 without `members.manage`, or for a scope the caller's role does not grant; 422 on
    /// `scopes` when empty.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_api_key(
        &self,
        p: Principal,
        cmd: ApiKeyCommand,
    ) -> Result<CreatedApiKey, AppError> {
        p.require(Permission::MembersManage)?;
        if cmd.scopes.is_empty() || cmd.scopes.len() > Permission::ALL.len() {
            return Err(AppError::invalid(
                "scopes",
                format!("must name 1 to {} scopes", Permission::ALL.len()),
            ));
        }
        for s in &cmd.scopes {
            p.require(*s)?;
        }
        let secret = URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<32>()?);
        let key = format!("{KEY_PREFIX}{}_{secret}", p.tenant_id.as_uuid().simple());
        let row = ApiKeyRow {
            id: ApiKeyId::new(),
            name: cmd.name.into_string(),
            scopes: cmd.scopes.iter().copied().collect(),
            key_hash: key_hash(&key),
            created_by: p.user_id,
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        };
        let r = row.clone();
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.insert_api_key(&r).await?;
                crate::audit::record_by(
                    tx,
                    &p,
                    "auth.api_key_created",
                    "api_key",
                    Some(r.id.to_string()),
                    &serde_json::json!({ "name": r.name, "scopes": r.scopes.to_vec().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",") }),
                )
                .await
            })
        })
        .await?;
        Ok(CreatedApiKey {
            api_key: ApiKey::from(row),
            key,
        })
    }

    /// The tenant's API keys, newest first, revoked ones included; never their secrets.
    ///
    /// # Errors
    /// 403 without `members.manage`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_api_keys(&self, p: Principal) -> Result<Vec<ApiKey>, AppError> {
        p.require(Permission::MembersManage)?;
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, |tx| {
            Box::pin(async move { tx.list_api_keys().await.map_err(AppError::from) })
        })
        .await?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    /// Revokes an API key: it is refused from the next request.
    ///
    /// # Errors
    /// 403 without `members.manage`; 404 when the tenant has no such key.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn revoke_api_key(&self, p: Principal, id: ApiKeyId) -> Result<(), AppError> {
        p.require(Permission::MembersManage)?;
        let found = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let found = tx.revoke_api_key(id, Utc::now()).await?;
                if found {
                    crate::audit::record_by(
                        tx,
                        &p,
                        "auth.api_key_revoked",
                        "api_key",
                        Some(id.to_string()),
                        &serde_json::json!({ "revoked": true }),
                    )
                    .await?;
                }
                Ok::<_, AppError>(found)
            })
        })
        .await?;
        if !found {
            return Err(AppError::NotFound("API key"));
        }
        self.api_keys.invalidate_all();
        Ok(())
    }

    /// Authenticates a request made with an API key (see the module).
    ///
    /// # Errors
    /// 401 when the key is unknown or revoked, or its creator is no longer an active member.
    pub(crate) async fn authenticate_api_key(&self, key: &str) -> Result<Principal, AppError> {
        let denied = || AppError::Unauthenticated("the API key is not valid or was revoked");
        let tenant = key_tenant(key).ok_or_else(denied)?;
        let hash = key_hash(key);
        let state = match self.api_keys.get(&hash) {
            Some(s) => s,
            None => {
                let h = hash.clone();
                let s = run_tenant(self.db(), tenant, Mode::Read, move |tx| {
                    Box::pin(async move { tx.api_key_state(&h).await.map_err(AppError::from) })
                })
                .await?
                .ok_or_else(denied)?;
                if !s.revoked && !s.creator_deactivated && s.creator_role.is_some() {
                    // Best effort: a failed write of the last use does not refuse the request.
                    if let Err(e) = self.touch_if_due(tenant, &s).await {
                        tracing::warn!(error = %e, "could not record an API key's last use");
                    }
                }
                self.api_keys.insert(hash, s.clone());
                s
            }
        };
        let role = match (&state, state.creator_role) {
            (s, Some(role)) if !s.revoked && !s.creator_deactivated => role,
            _ => return Err(denied()),
        };
        Ok(Principal {
            tenant_id: tenant,
            user_id: state.created_by,
            role,
            session: None,
            scopes: Some(state.scopes),
            // A key is its own credential, minted by a member who passed any second factor
            // the tenant asked of them; the tenant's rule applies to logins.
            mfa_missing: false,
            // A key sees no more than its creator: limited with them.
            locations: if state.creator_locations_limited {
                larder_store::LocationScope::Member(state.created_by)
            } else {
                larder_store::LocationScope::All
            },
            request: crate::audit::RequestMeta::default(),
        })
    }

    /// Records a key's use when its last one is a minute old or more.
    async fn touch_if_due(&self, tenant: TenantId, s: &ApiKeyStateRow) -> Result<(), AppError> {
        let now = Utc::now();
        if s.last_used_at.is_some_and(|t| now - t < TOUCH_EVERY) {
            return Ok(());
        }
        let id = s.id;
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move { tx.touch_api_key(id, now).await.map_err(AppError::from) })
        })
        .await
    }
}

/// The scopes of a key principal, for [`Principal::require`].
pub(crate) fn allows(scopes: Option<Scopes>, p: Permission) -> bool {
    scopes.is_none_or(|s| s.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_key_shaped_string_names_a_tenant() {
        let t = TenantId::new();
        let key = format!("lk_{}_{}", t.as_uuid().simple(), "a".repeat(43));
        assert_eq!(key_tenant(&key), Some(t));
        assert_eq!(key_tenant(&key[..key.len() - 1]), None);
        assert_eq!(key_tenant(&key.replacen("lk_", "xx_", 1)), None);
        assert_eq!(key_tenant("lk_short"), None);
        assert_eq!(
            key_tenant(&format!("lk_{}_{}", t.as_uuid().simple(), "!".repeat(43))),
            None
        );
    }
}
