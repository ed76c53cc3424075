//! auth's statements: people, memberships, refresh tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::auth::Role;
use larder_core::{LocationId, TokenFamilyId, UserId};

use super::{Exec, R, Row, SqlGlobalTx, SqlTx, ToArg, args, rows};
use crate::{
    ApiKeyRow, ApiKeyStateRow, AuthTx, GlobalTx, MemberRow, MembershipRow, RefreshTokenRow,
    SessionRow, SignUpRow, TotpRow, UserRow,
};
use larder_core::ApiKeyId;
use larder_core::auth::Scopes;

const INSERT_USER: &str =
    "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)";
const USER_BY_EMAIL: &str =
    "SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1";
const USER_BY_ID: &str =
    "SELECT id, email, name, password_hash, created_at FROM users WHERE id = $1";
const MEMBERSHIPS_OF_USER: &str = "SELECT m.tenant_id, t.slug, t.name, m.user_id, m.role
     FROM memberships m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.user_id = $1 AND m.deactivated_at IS NULL ORDER BY m.created_at, m.tenant_id";
const MEMBERSHIPS_OF_USER_IN_TENANT: &str = "SELECT m.tenant_id, t.slug, t.name, m.user_id, m.role
     FROM memberships m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.deactivated_at IS NULL
     ORDER BY m.created_at, m.tenant_id";
const INSERT_MEMBERSHIP: &str =
    "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)";
const GET_MEMBERSHIP: &str = "SELECT m.tenant_id, t.slug, t.name, m.user_id, m.role
     FROM memberships m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.deactivated_at IS NULL";
const INSERT_REFRESH_TOKEN: &str = "INSERT INTO refresh_tokens
     (tenant_id, id, family_id, user_id, token_hash, created_at, expires_at, used_at, revoked_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const FIND_REFRESH_TOKEN: &str = "SELECT id, family_id, user_id, token_hash, created_at,
     expires_at, used_at, revoked_at
     FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2";
const MARK_REFRESH_TOKEN_USED: &str = "UPDATE refresh_tokens SET used_at = $3
     WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL";
const REVOKE_TOKEN_FAMILY: &str = "UPDATE refresh_tokens SET revoked_at = $3
     WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL";
const REVOKE_USER_TOKENS: &str = "UPDATE refresh_tokens SET revoked_at = $3
     WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL";
const LIST_MEMBERS: &str = "SELECT m.user_id, u.email, u.name, m.role, m.created_at,
     m.deactivated_at, m.locations_limited_at
     FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.tenant_id = $1 AND ($2 IS NULL OR u.email > $2)
     ORDER BY u.email LIMIT $3";
const GET_MEMBER: &str = "SELECT m.user_id, u.email, u.name, m.role, m.created_at,
     m.deactivated_at, m.locations_limited_at
     FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.tenant_id = $1 AND m.user_id = $2";
const SET_MEMBER_ROLE: &str =
    "UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2";
const SET_MEMBER_DEACTIVATED: &str =
    "UPDATE memberships SET deactivated_at = $3 WHERE tenant_id = $1 AND user_id = $2";
const SET_LOCATIONS_LIMITED: &str =
    "UPDATE memberships SET locations_limited_at = $3 WHERE tenant_id = $1 AND user_id = $2";
const DELETE_MEMBER_LOCATIONS: &str =
    "DELETE FROM member_locations WHERE tenant_id = $1 AND user_id = $2";
const INSERT_MEMBER_LOCATION: &str =
    "INSERT INTO member_locations (tenant_id, user_id, location_id) VALUES ($1, $2, $3)";
const LOCATIONS_LIMITED_AT: &str =
    "SELECT locations_limited_at FROM memberships WHERE tenant_id = $1 AND user_id = $2";
const MEMBER_LOCATIONS: &str = "SELECT location_id FROM member_locations
     WHERE tenant_id = $1 AND user_id = $2 ORDER BY location_id";
const ALL_MEMBER_LOCATIONS: &str = "SELECT user_id, location_id FROM member_locations
     WHERE tenant_id = $1 ORDER BY user_id, location_id";
const COUNT_ACTIVE_OWNERS: &str = "SELECT count(*) FROM memberships
     WHERE tenant_id = $1 AND role = 'owner' AND deactivated_at IS NULL";
const INSERT_API_KEY: &str = "INSERT INTO api_keys
     (tenant_id, id, name, scopes, key_hash, created_by, created_at, last_used_at, revoked_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const LIST_API_KEYS: &str = "SELECT id, name, scopes, key_hash, created_by, created_at,
     last_used_at, revoked_at
     FROM api_keys WHERE tenant_id = $1 ORDER BY id DESC";
const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at = $3
     WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL";
const API_KEY_EXISTS: &str = "SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND id = $2";
const API_KEY_STATE: &str = "SELECT k.id, k.created_by, k.scopes, k.revoked_at, k.last_used_at,
     m.role, m.deactivated_at, m.locations_limited_at
     FROM api_keys k
     LEFT JOIN memberships m ON m.tenant_id = k.tenant_id AND m.user_id = k.created_by
     WHERE k.tenant_id = $1 AND k.key_hash = $2";
const TOUCH_API_KEY: &str =
    "UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2";
const SESSION: &str = "SELECT m.role, m.deactivated_at,
     (SELECT count(*) FROM refresh_tokens r
      WHERE r.tenant_id = $1 AND r.family_id = $3 AND r.revoked_at IS NOT NULL),
     (SELECT count(*) FROM mfa_sessions s WHERE s.tenant_id = $1 AND s.family_id = $3),
     t.mfa_required_at, m.locations_limited_at
     FROM memberships m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.tenant_id = $1 AND m.user_id = $2";
const TOTP: &str = "SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1";
const SET_TOTP_PENDING: &str = "UPDATE users SET totp_pending = $2 WHERE id = $1";
const SET_TOTP_SECRET: &str =
    "UPDATE users SET totp_secret = $2, totp_pending = NULL, totp_last_step = $3 WHERE id = $1";
const USE_TOTP_STEP: &str = "UPDATE users SET totp_last_step = $2
     WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)";
const DELETE_RECOVERY_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";
const INSERT_RECOVERY_CODE: &str =
    "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)";
const USE_RECOVERY_CODE: &str = "UPDATE recovery_codes SET used_at = $3
     WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
const LOCK_TENANT: &str = "UPDATE tenants SET mfa_required_at = mfa_required_at WHERE id = $1";
const INSERT_RESET_TOKEN: &str = "INSERT INTO account_tokens
     (token_hash, purpose, user_id, created_at, expires_at, used_at)
     VALUES ($1, 'password_reset', $2, $3, $4, NULL)";
const USE_RESET_TOKEN: &str = "UPDATE account_tokens SET used_at = $2
     WHERE token_hash = $1 AND purpose = 'password_reset' AND used_at IS NULL AND expires_at > $2
     RETURNING user_id";
const INSERT_SIGN_UP: &str = "INSERT INTO sign_ups
     (id, email, name, tenant_name, currency, time_zone, day_cutoff_minutes, password_hash,
      token_hash, created_at, expires_at, confirmed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, NULL)";
const PURGE_SIGN_UPS: &str = "DELETE FROM sign_ups WHERE expires_at < $1";
const CLEAR_SIGN_UP_TOKENS: &str =
    "UPDATE sign_ups SET token_hash = NULL WHERE email = $1 AND token_hash IS NOT NULL";
const SET_SIGN_UP_TOKEN: &str = "UPDATE sign_ups SET token_hash = $2 WHERE id = (
     SELECT id FROM sign_ups WHERE email = $1 AND confirmed_at IS NULL AND expires_at > $3
     ORDER BY created_at DESC, id DESC LIMIT 1)";
const FIND_SIGN_UP: &str =
    "SELECT id, email, name, tenant_name, currency, time_zone, day_cutoff_minutes,
     password_hash, created_at, expires_at FROM sign_ups
     WHERE token_hash = $1 AND confirmed_at IS NULL AND expires_at > $2";
const USE_SIGN_UP_TOKEN: &str = "UPDATE sign_ups SET confirmed_at = $2, password_hash = ''
     WHERE token_hash = $1 AND confirmed_at IS NULL AND expires_at > $2
     RETURNING id, email, name, tenant_name, currency, time_zone, day_cutoff_minutes,
       password_hash, created_at, expires_at";
const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
const SET_MFA_REQUIRED: &str = "UPDATE tenants SET mfa_required_at = $2 WHERE id = $1";
const INSERT_MFA_SESSION: &str = "INSERT INTO mfa_sessions (tenant_id, family_id, verified_at)
     VALUES ($1, $2, $3) ON CONFLICT (tenant_id, family_id) DO NOTHING";

fn user(mut r: Row) -> R<UserRow> {
    Ok(UserRow {
        id: r.get()?,
        email: r.get()?,
        name: r.get()?,
        password_hash: r.get()?,
        created_at: r.get()?,
    })
}

fn membership(mut r: Row) -> R<MembershipRow> {
    Ok(MembershipRow {
        tenant_id: r.get()?,
        tenant_slug: r.get()?,
        tenant_name: r.get()?,
        user_id: r.get()?,
        role: r.spelled::<Role>()?,
    })
}

fn member(mut r: Row) -> R<MemberRow> {
    Ok(MemberRow {
        user_id: r.get()?,
        email: r.get()?,
        name: r.get()?,
        role: r.spelled::<Role>()?,
        created_at: r.get()?,
        deactivated_at: r.get()?,
        locations_limited_at: r.get()?,
    })
}

fn sign_up(mut r: Row) -> R<SignUpRow> {
    Ok(SignUpRow {
        id: r.get()?,
        email: r.get()?,
        name: r.get()?,
        tenant_name: r.get()?,
        currency: r.get()?,
        time_zone: r.get()?,
        day_cutoff_minutes: r.get()?,
        password_hash: r.get()?,
        created_at: r.get()?,
        expires_at: r.get()?,
    })
}

fn refresh_token(mut r: Row) -> R<RefreshTokenRow> {
    Ok(RefreshTokenRow {
        id: r.get()?,
        family_id: r.get()?,
        user_id: r.get()?,
        token_hash: r.get()?,
        created_at: r.get()?,
        expires_at: r.get()?,
        used_at: r.get()?,
        revoked_at: r.get()?,
    })
}

async fn insert_user<E: Exec>(e: &mut E, u: &UserRow) -> R<()> {
    e.execute(
        INSERT_USER,
        args![u.id, u.email, u.name, u.password_hash, u.created_at],
    )
    .await
    .map(drop)
}

async fn find_user_by_email<E: Exec>(e: &mut E, email: &str) -> R<Option<UserRow>> {
    e.fetch_optional(USER_BY_EMAIL, args![email])
        .await?
        .map(user)
        .transpose()
}

async fn get_user<E: Exec>(e: &mut E, id: UserId) -> R<Option<UserRow>> {
    e.fetch_optional(USER_BY_ID, args![id])
        .await?
        .map(user)
        .transpose()
}

async fn memberships_of_user<E: Exec>(e: &mut E, id: UserId) -> R<Vec<MembershipRow>> {
    if let Some(set_user) = e.dialect().set_user {
        e.execute(set_user, args![id.to_string()]).await?;
    }
    rows(
        e.fetch_all(MEMBERSHIPS_OF_USER, args![id]).await?,
        membership,
    )
}

async fn totp<E: Exec>(e: &mut E, user: UserId) -> R<TotpRow> {
    match e.fetch_optional(TOTP, args![user]).await? {
        Some(mut r) => Ok(TotpRow {
            secret: r.get()?,
            pending: r.get()?,
            last_step: r.get()?,
        }),
        None => Ok(TotpRow::default()),
    }
}

async fn replace_recovery_codes<E: Exec>(e: &mut E, user: UserId, hashes: &[Vec<u8>]) -> R<()> {
    e.execute(DELETE_RECOVERY_CODES, args![user]).await?;
    for h in hashes {
        e.execute(INSERT_RECOVERY_CODE, args![user, h.as_slice()])
            .await?;
    }
    Ok(())
}

macro_rules! global_tx {
    ($ty:ident, |$this:ident, $id:ident| $memberships:expr) => {
        #[async_trait]
        impl<E: Exec> GlobalTx for $ty<E> {
            #[tracing::instrument(level = "debug", skip_all)]
            async fn totp(&mut self, user: UserId) -> R<TotpRow> {
                totp(&mut self.exec, user).await
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn set_totp_pending(&mut self, user: UserId, secret: Option<&[u8]>) -> R<()> {
                self.exec
                    .execute(SET_TOTP_PENDING, args![user, secret])
                    .await
                    .map(drop)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn set_totp_secret(
                &mut self,
                user: UserId,
                secret: Option<&[u8]>,
                last_step: Option<i64>,
            ) -> R<()> {
                self.exec
                    .execute(SET_TOTP_SECRET, args![user, secret, last_step])
                    .await
                    .map(drop)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn use_totp_step(&mut self, user: UserId, step: i64) -> R<bool> {
                let n = self.exec.execute(USE_TOTP_STEP, args![user, step]).await?;
                Ok(n == 1)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn replace_recovery_codes(&mut self, user: UserId, hashes: &[Vec<u8>]) -> R<()> {
                replace_recovery_codes(&mut self.exec, user, hashes).await
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn insert_reset_token(
                &mut self,
                hash: &[u8],
                user: UserId,
                at: DateTime<Utc>,
                expires_at: DateTime<Utc>,
            ) -> R<()> {
                self.exec
                    .execute(INSERT_RESET_TOKEN, args![hash, user, at, expires_at])
                    .await
                    .map(drop)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn use_reset_token(
                &mut self,
                hash: &[u8],
                at: DateTime<Utc>,
            ) -> R<Option<UserId>> {
                match self
                    .exec
                    .fetch_optional(USE_RESET_TOKEN, args![hash, at])
                    .await?
                {
                    Some(mut r) => Ok(Some(r.get()?)),
                    None => Ok(None),
                }
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn insert_sign_up(&mut self, s: &SignUpRow) -> R<()> {
                self.exec
                    .execute(PURGE_SIGN_UPS, args![s.created_at])
                    .await?;
                self.exec
                    .execute(
                        INSERT_SIGN_UP,
                        args![
                            s.id,
                            s.email,
                            s.name,
                            s.tenant_name,
                            s.currency,
                            s.time_zone,
                            s.day_cutoff_minutes,
                            s.password_hash,
                            s.created_at,
                            s.expires_at
                        ],
                    )
                    .await
                    .map(drop)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn set_sign_up_token(
                &mut self,
                email: &str,
                hash: &[u8],
                at: DateTime<Utc>,
            ) -> R<bool> {
                self.exec
                    .execute(CLEAR_SIGN_UP_TOKENS, args![email])
                    .await?;
                let n = self
                    .exec
                    .execute(SET_SIGN_UP_TOKEN, args![email, hash, at])
                    .await?;
                Ok(n == 1)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn find_sign_up(
                &mut self,
                hash: &[u8],
                at: DateTime<Utc>,
            ) -> R<Option<SignUpRow>> {
                self.exec
                    .fetch_optional(FIND_SIGN_UP, args![hash, at])
                    .await?
                    .map(sign_up)
                    .transpose()
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn use_sign_up_token(
                &mut self,
                hash: &[u8],
                at: DateTime<Utc>,
            ) -> R<Option<SignUpRow>> {
                self.exec
                    .fetch_optional(USE_SIGN_UP_TOKEN, args![hash, at])
                    .await?
                    .map(sign_up)
                    .transpose()
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn set_password_hash(&mut self, user: UserId, hash: &str) -> R<()> {
                self.exec
                    .execute(SET_PASSWORD_HASH, args![user, hash])
                    .await
                    .map(drop)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn use_recovery_code(
                &mut self,
                user: UserId,
                hash: &[u8],
                at: DateTime<Utc>,
            ) -> R<bool> {
                let n = self
                    .exec
                    .execute(USE_RECOVERY_CODE, args![user, hash, at])
                    .await?;
                Ok(n == 1)
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn insert_user(&mut self, u: &UserRow) -> R<()> {
                insert_user(&mut self.exec, u).await
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn find_user_by_email(&mut self, email: &str) -> R<Option<UserRow>> {
                find_user_by_email(&mut self.exec, email).await
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn get_user(&mut self, id: UserId) -> R<Option<UserRow>> {
                get_user(&mut self.exec, id).await
            }
            #[tracing::instrument(level = "debug", skip_all)]
            async fn memberships_of_user(&mut self, $id: UserId) -> R<Vec<MembershipRow>> {
                let $this = self;
                $memberships
            }
        }
    };
}
// Inside a tenant's transaction a person's memberships are only that tenant's, on both
// backends: the statement filters by the tenant, and PostgreSQL's row-level security is not
// widened by `set_user`.
global_tx!(SqlTx, |tx, id| rows(
    tx.exec
        .fetch_all(MEMBERSHIPS_OF_USER_IN_TENANT, args![tx.tenant, id])
        .await?,
    membership
));
global_tx!(SqlGlobalTx, |tx, id| memberships_of_user(&mut tx.exec, id)
    .await);

#[async_trait]
impl<E: Exec> AuthTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_membership(&mut self, user: UserId, role: Role, at: DateTime<Utc>) -> R<()> {
        self.exec
            .execute(
                INSERT_MEMBERSHIP,
                args![self.tenant, user, role.as_str(), at],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_membership(&mut self, user: UserId) -> R<Option<MembershipRow>> {
        self.exec
            .fetch_optional(GET_MEMBERSHIP, args![self.tenant, user])
            .await?
            .map(membership)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_refresh_token(&mut self, t: &RefreshTokenRow) -> R<()> {
        self.exec
            .execute(
                INSERT_REFRESH_TOKEN,
                args![
                    self.tenant,
                    t.id,
                    t.family_id,
                    t.user_id,
                    t.token_hash,
                    t.created_at,
                    t.expires_at,
                    t.used_at,
                    t.revoked_at
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn find_refresh_token(&mut self, hash: &[u8]) -> R<Option<RefreshTokenRow>> {
        self.exec
            .fetch_optional(FIND_REFRESH_TOKEN, args![self.tenant, hash])
            .await?
            .map(refresh_token)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn mark_refresh_token_used(&mut self, hash: &[u8], at: DateTime<Utc>) -> R<bool> {
        let n = self
            .exec
            .execute(MARK_REFRESH_TOKEN_USED, args![self.tenant, hash, at])
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn revoke_token_family(&mut self, family: TokenFamilyId, at: DateTime<Utc>) -> R<()> {
        self.exec
            .execute(REVOKE_TOKEN_FAMILY, args![self.tenant, family, at])
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn revoke_user_tokens(&mut self, user: UserId, at: DateTime<Utc>) -> R<()> {
        self.exec
            .execute(REVOKE_USER_TOKENS, args![self.tenant, user, at])
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_members(&mut self, after: Option<&str>, limit: u32) -> R<Vec<MemberRow>> {
        rows(
            self.exec
                .fetch_all(LIST_MEMBERS, args![self.tenant, after, i64::from(limit)])
                .await?,
            member,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_member(&mut self, user: UserId) -> R<Option<MemberRow>> {
        self.exec
            .fetch_optional(GET_MEMBER, args![self.tenant, user])
            .await?
            .map(member)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_member_role(&mut self, user: UserId, role: Role) -> R<bool> {
        let n = self
            .exec
            .execute(SET_MEMBER_ROLE, args![self.tenant, user, role.as_str()])
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_member_deactivated(&mut self, user: UserId, at: Option<DateTime<Utc>>) -> R<bool> {
        let n = self
            .exec
            .execute(SET_MEMBER_DEACTIVATED, args![self.tenant, user, at])
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_member_locations(
        &mut self,
        user: UserId,
        locations: Option<&[LocationId]>,
        at: DateTime<Utc>,
    ) -> R<bool> {
        let since = locations.map(|_| at);
        let n = self
            .exec
            .execute(SET_LOCATIONS_LIMITED, args![self.tenant, user, since])
            .await?;
        if n != 1 {
            return Ok(false);
        }
        self.exec
            .execute(DELETE_MEMBER_LOCATIONS, args![self.tenant, user])
            .await?;
        for location in locations.unwrap_or_default() {
            self.exec
                .execute(INSERT_MEMBER_LOCATION, args![self.tenant, user, location])
                .await?;
        }
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn member_locations(&mut self, user: UserId) -> R<Option<Vec<LocationId>>> {
        let limited = match self
            .exec
            .fetch_optional(LOCATIONS_LIMITED_AT, args![self.tenant, user])
            .await?
        {
            Some(mut r) => r.get::<Option<DateTime<Utc>>>()?.is_some(),
            None => false,
        };
        if !limited {
            return Ok(None);
        }
        rows(
            self.exec
                .fetch_all(MEMBER_LOCATIONS, args![self.tenant, user])
                .await?,
            |mut r| r.get(),
        )
        .map(Some)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn all_member_locations(&mut self) -> R<Vec<(UserId, LocationId)>> {
        rows(
            self.exec
                .fetch_all(ALL_MEMBER_LOCATIONS, args![self.tenant])
                .await?,
            |mut r| Ok((r.get()?, r.get()?)),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_mfa_required(&mut self, since: Option<DateTime<Utc>>) -> R<()> {
        self.exec
            .execute(SET_MFA_REQUIRED, args![self.tenant, since])
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_mfa_session(&mut self, family: TokenFamilyId, at: DateTime<Utc>) -> R<()> {
        self.exec
            .execute(INSERT_MFA_SESSION, args![self.tenant, family, at])
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn lock_tenant(&mut self) -> R<()> {
        // An update of the row to itself: a row lock on PostgreSQL until commit (SQLite's
        // single writer serializes anyway).
        self.exec
            .execute(LOCK_TENANT, args![self.tenant])
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn count_active_owners(&mut self) -> R<i64> {
        let row = self
            .exec
            .fetch_optional(COUNT_ACTIVE_OWNERS, args![self.tenant])
            .await?;
        match row {
            Some(mut r) => r.get(),
            None => Ok(0),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_api_key(&mut self, k: &ApiKeyRow) -> R<()> {
        self.exec
            .execute(
                INSERT_API_KEY,
                args![
                    self.tenant,
                    k.id,
                    k.name,
                    k.scopes.to_text(),
                    k.key_hash,
                    k.created_by,
                    k.created_at,
                    k.last_used_at,
                    k.revoked_at
                ],
            )
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_api_keys(&mut self) -> R<Vec<ApiKeyRow>> {
        rows(
            self.exec
                .fetch_all(LIST_API_KEYS, args![self.tenant])
                .await?,
            |mut r| {
                Ok(ApiKeyRow {
                    id: r.get()?,
                    name: r.get()?,
                    scopes: r.spelled::<Scopes>()?,
                    key_hash: r.get()?,
                    created_by: r.get()?,
                    created_at: r.get()?,
                    last_used_at: r.get()?,
                    revoked_at: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn revoke_api_key(&mut self, id: ApiKeyId, at: DateTime<Utc>) -> R<bool> {
        self.exec
            .execute(REVOKE_API_KEY, args![self.tenant, id, at])
            .await?;
        // Revoking twice keeps the first time and is not an error; only a missing key is.
        let row = self
            .exec
            .fetch_optional(API_KEY_EXISTS, args![self.tenant, id])
            .await?;
        Ok(match row {
            Some(mut r) => r.get::<i64>()? > 0,
            None => false,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn api_key_state(&mut self, hash: &[u8]) -> R<Option<ApiKeyStateRow>> {
        self.exec
            .fetch_optional(API_KEY_STATE, args![self.tenant, hash])
            .await?
            .map(|mut r| {
                Ok(ApiKeyStateRow {
                    id: r.get()?,
                    created_by: r.get()?,
                    scopes: r.spelled::<Scopes>()?,
                    revoked: r.get::<Option<DateTime<Utc>>>()?.is_some(),
                    last_used_at: r.get()?,
                    creator_role: r
                        .get::<Option<String>>()?
                        .map(|s| s.parse::<Role>())
                        .transpose()
                        .map_err(crate::StoreError::Other)?,
                    creator_deactivated: r.get::<Option<DateTime<Utc>>>()?.is_some(),
                    creator_locations_limited: r.get::<Option<DateTime<Utc>>>()?.is_some(),
                })
            })
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn touch_api_key(&mut self, id: ApiKeyId, at: DateTime<Utc>) -> R<()> {
        self.exec
            .execute(TOUCH_API_KEY, args![self.tenant, id, at])
            .await
            .map(drop)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn session(&mut self, user: UserId, family: TokenFamilyId) -> R<Option<SessionRow>> {
        self.exec
            .fetch_optional(SESSION, args![self.tenant, user, family])
            .await?
            .map(|mut r| {
                Ok(SessionRow {
                    role: r.spelled::<Role>()?,
                    deactivated: r.get::<Option<DateTime<Utc>>>()?.is_some(),
                    revoked: r.get::<i64>()? > 0,
                    mfa: r.get::<i64>()? > 0,
                    mfa_required: r.get::<Option<DateTime<Utc>>>()?.is_some(),
                    locations_limited: r.get::<Option<DateTime<Utc>>>()?.is_some(),
                })
            })
            .transpose()
    }
}
