//! auth: people (global), their memberships in tenants, and refresh tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::auth::{Role, Scopes};
use larder_core::{ApiKeyId, LocationId, RefreshTokenId, TenantId, TokenFamilyId, UserId};

use crate::StoreError;

/// A person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    /// Id.
    pub id: UserId,
    /// Lowercased email, unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A person's membership in a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipRow {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its slug.
    pub tenant_slug: String,
    /// Its name.
    pub tenant_name: String,
    /// The person.
    pub user_id: UserId,
    /// The role there.
    pub role: Role,
}

/// A person's two-factor state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotpRow {
    /// The confirmed TOTP secret; `None` when two-factor authentication is off.
    pub secret: Option<Vec<u8>>,
    /// A secret being set up, until a code confirms it.
    pub pending: Option<Vec<u8>>,
    /// The last time step a code was accepted for.
    pub last_step: Option<i64>,
}

/// A member of the tenant as its members list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    /// The person.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their role here.
    pub role: Role,
    /// Since when.
    pub created_at: DateTime<Utc>,
    /// When they were deactivated; `None` while active.
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Since when they are limited to the locations [`AuthTx::member_locations`] lists;
    /// `None` for every location.
    pub locations_limited_at: Option<DateTime<Utc>>,
}

/// What every request checks about the session its access token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// The member's current role (it may have changed since the token was signed).
    pub role: Role,
    /// Whether the member is deactivated.
    pub deactivated: bool,
    /// Whether the session (its refresh-token family) was revoked: logout or reuse.
    pub revoked: bool,
    /// Whether the session's login verified a second factor.
    pub mfa: bool,
    /// Whether the tenant requires a second factor of its owners and admins.
    pub mfa_required: bool,
    /// Whether the member is limited to some locations.
    pub locations_limited: bool,
}

/// An API key, stored as the SHA-256 of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Id.
    pub id: ApiKeyId,
    /// What it is for (`POS bridge`).
    pub name: String,
    /// The permission scopes it may use.
    pub scopes: Scopes,
    /// SHA-256 of the secret.
    pub key_hash: Vec<u8>,
    /// Who created it; the key acts as them, within its scopes.
    pub created_by: UserId,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last authenticated with (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What every request made with an API key checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyStateRow {
    /// The key.
    pub id: ApiKeyId,
    /// Its creator, as whom it acts.
    pub created_by: UserId,
    /// Its scopes.
    pub scopes: Scopes,
    /// Whether it was revoked.
    pub revoked: bool,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The creator's current role here; `None` when they are no longer a member.
    pub creator_role: Option<Role>,
    /// Whether the creator is deactivated.
    pub creator_deactivated: bool,
    /// Whether the creator is limited to some locations (the key then is too).
    pub creator_locations_limited: bool,
}

/// One refresh token, stored as the SHA-256 of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRow {
    /// Id.
    pub id: RefreshTokenId,
    /// The rotation family (one login).
    pub family_id: TokenFamilyId,
    /// Whose.
    pub user_id: UserId,
    /// SHA-256 of the secret.
    pub token_hash: Vec<u8>,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Not valid after.
    pub expires_at: DateTime<Utc>,
    /// When it was rotated (used); a second use is a reuse.
    pub used_at: Option<DateTime<Utc>>,
    /// When its family was revoked (logout or reuse).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A sign-up waiting for its email to be verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignUpRow {
    /// Id.
    pub id: uuid::Uuid,
    /// The email to verify (case-folded).
    pub email: String,
    /// The person's name.
    pub name: String,
    /// The restaurant group's name.
    pub tenant_name: String,
    /// Its currency (ISO 4217).
    pub currency: String,
    /// Its IANA time zone.
    pub time_zone: String,
    /// Minutes after local midnight its business day starts.
    pub day_cutoff_minutes: i32,
    /// The argon2id hash of the password chosen at sign-up.
    pub password_hash: String,
    /// Asked.
    pub created_at: DateTime<Utc>,
    /// Not confirmable after.
    pub expires_at: DateTime<Utc>,
}

/// Rows that belong to no tenant: people, and a person's own memberships.
#[async_trait]
pub trait GlobalTx: Send {
    /// Adds a person. Conflict `users_email` when the email is taken.
    async fn insert_user(&mut self, user: &UserRow) -> Result<(), StoreError>;
    /// A person by (case-folded) email.
    async fn find_user_by_email(&mut self, email: &str) -> Result<Option<UserRow>, StoreError>;
    /// A person by id.
    async fn get_user(&mut self, id: UserId) -> Result<Option<UserRow>, StoreError>;
    /// Every tenant a person belongs to and is not deactivated in, with the role there, oldest
    /// membership first. In a tenant's transaction, only that tenant's membership (login uses a
    /// global transaction).
    async fn memberships_of_user(&mut self, user: UserId)
    -> Result<Vec<MembershipRow>, StoreError>;
    /// A person's two-factor state (default when the person does not exist).
    async fn totp(&mut self, user: UserId) -> Result<TotpRow, StoreError>;
    /// Sets (or clears) the secret being set up.
    async fn set_totp_pending(
        &mut self,
        user: UserId,
        secret: Option<&[u8]>,
    ) -> Result<(), StoreError>;
    /// Sets (or, with `None`, clears) the confirmed secret, clears the pending one, and sets the
    /// last accepted step.
    async fn set_totp_secret(
        &mut self,
        user: UserId,
        secret: Option<&[u8]>,
        last_step: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Accepts time step `step` once: false when a code for it or a later step was accepted.
    async fn use_totp_step(&mut self, user: UserId, step: i64) -> Result<bool, StoreError>;
    /// Replaces a person's recovery codes (stored as SHA-256).
    async fn replace_recovery_codes(
        &mut self,
        user: UserId,
        hashes: &[Vec<u8>],
    ) -> Result<(), StoreError>;
    /// Stores a password-reset token (as SHA-256) for `user`, valid until `expires_at`.
    async fn insert_reset_token(
        &mut self,
        hash: &[u8],
        user: UserId,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Spends a password-reset token: its person, or `None` when unknown, used or expired.
    async fn use_reset_token(
        &mut self,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Option<UserId>, StoreError>;
    /// Replaces a person's password hash.
    async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<(), StoreError>;
    /// Records a sign-up waiting for its email to be verified (no token yet), after deleting
    /// the sign-ups expired before it was asked (a pending sign-up holds a password hash; none
    /// outlives its link by more than the next sign-up).
    async fn insert_sign_up(&mut self, sign_up: &SignUpRow) -> Result<(), StoreError>;
    /// Gives the latest unconfirmed, unexpired sign-up of `email` the token of this hash; the
    /// email's other sign-ups lose theirs. False when there is no such sign-up.
    async fn set_sign_up_token(
        &mut self,
        email: &str,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The unconfirmed, unexpired sign-up holding the token of this hash.
    async fn find_sign_up(
        &mut self,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Option<SignUpRow>, StoreError>;
    /// Spends a sign-up's token: the sign-up, now confirmed and its password hash cleared (the
    /// row's `password_hash` is empty), or `None` when the token is unknown, used or expired.
    async fn use_sign_up_token(
        &mut self,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Option<SignUpRow>, StoreError>;
    /// Spends a recovery code: false when unknown or already used.
    async fn use_recovery_code(
        &mut self,
        user: UserId,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// The auth port of a tenant: its memberships and refresh tokens.
#[async_trait]
pub trait AuthTx: Send {
    /// Adds a person to this tenant. Conflict `memberships_pkey`-style when already a member.
    async fn insert_membership(
        &mut self,
        user: UserId,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A person's active membership in this tenant (`None` when deactivated).
    async fn get_membership(&mut self, user: UserId) -> Result<Option<MembershipRow>, StoreError>;
    /// Stores a refresh token (hashed).
    async fn insert_refresh_token(&mut self, token: &RefreshTokenRow) -> Result<(), StoreError>;
    /// A refresh token by the SHA-256 of its secret.
    async fn find_refresh_token(
        &mut self,
        hash: &[u8],
    ) -> Result<Option<RefreshTokenRow>, StoreError>;
    /// Marks a token used (rotated). Returns false when it was already used: a reuse.
    async fn mark_refresh_token_used(
        &mut self,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Revokes every token of a family.
    async fn revoke_token_family(
        &mut self,
        family: TokenFamilyId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Revokes every refresh token a person holds in this tenant (deactivation).
    async fn revoke_user_tokens(
        &mut self,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The members, by email, after `after` (an email), at most `limit`.
    async fn list_members(
        &mut self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<MemberRow>, StoreError>;
    /// One member, active or not.
    async fn get_member(&mut self, user: UserId) -> Result<Option<MemberRow>, StoreError>;
    /// Changes a member's role; false when they are not a member.
    async fn set_member_role(&mut self, user: UserId, role: Role) -> Result<bool, StoreError>;
    /// Deactivates (`Some(at)`) or reactivates (`None`) a member; false when not a member.
    async fn set_member_deactivated(
        &mut self,
        user: UserId,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;
    /// Limits a member to `locations` (`Some`, replacing any earlier list, from `at`) or lifts
    /// the limit (`None`); false when they are not a member. Conflict `foreign_key` when a
    /// location does not exist.
    async fn set_member_locations(
        &mut self,
        user: UserId,
        locations: Option<&[LocationId]>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The locations a member is limited to, by id; `None` when they may use every location
    /// (or are not a member).
    async fn member_locations(
        &mut self,
        user: UserId,
    ) -> Result<Option<Vec<LocationId>>, StoreError>;
    /// Every (member, location) pair of the tenant's location limits, by member then location.
    async fn all_member_locations(&mut self) -> Result<Vec<(UserId, LocationId)>, StoreError>;
    /// Requires (`Some(since)`) or stops requiring a second factor of owners and admins.
    async fn set_mfa_required(&mut self, since: Option<DateTime<Utc>>) -> Result<(), StoreError>;
    /// Records that a session's login verified a second factor.
    async fn insert_mfa_session(
        &mut self,
        family: TokenFamilyId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Locks the tenant's row until the transaction ends, so that checks spanning several
    /// memberships (the last active owner) cannot race with another transaction's.
    async fn lock_tenant(&mut self) -> Result<(), StoreError>;
    /// Owners who are not deactivated.
    async fn count_active_owners(&mut self) -> Result<i64, StoreError>;
    /// Stores an API key (hashed). Conflict `api_keys_key_hash` on a repeated secret.
    async fn insert_api_key(&mut self, key: &ApiKeyRow) -> Result<(), StoreError>;
    /// The tenant's API keys, newest first, revoked ones included.
    async fn list_api_keys(&mut self) -> Result<Vec<ApiKeyRow>, StoreError>;
    /// Revokes a key; false when there is no such key.
    async fn revoke_api_key(&mut self, id: ApiKeyId, at: DateTime<Utc>)
    -> Result<bool, StoreError>;
    /// What a request with the key of this hash needs to know; `None` for an unknown key.
    async fn api_key_state(&mut self, hash: &[u8]) -> Result<Option<ApiKeyStateRow>, StoreError>;
    /// Records that a key was used at `at`.
    async fn touch_api_key(&mut self, id: ApiKeyId, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The state of a person's session (a refresh-token family) here; `None` when they are not
    /// a member.
    async fn session(
        &mut self,
        user: UserId,
        family: TokenFamilyId,
    ) -> Result<Option<SessionRow>, StoreError>;
}
