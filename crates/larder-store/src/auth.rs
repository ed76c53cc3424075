//! auth: people (global), their memberships in tenants, and refresh tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::auth::Role;
use larder_core::{RefreshTokenId, TenantId, TokenFamilyId, UserId};

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

/// Rows that belong to no tenant: people, and a person's own memberships.
#[async_trait]
pub trait GlobalTx: Send {
    /// Adds a person. Conflict `users_email` when the email is taken.
    async fn insert_user(&mut self, user: &UserRow) -> Result<(), StoreError>;
    /// A person by (case-folded) email.
    async fn find_user_by_email(&mut self, email: &str) -> Result<Option<UserRow>, StoreError>;
    /// A person by id.
    async fn get_user(&mut self, id: UserId) -> Result<Option<UserRow>, StoreError>;
    /// Every tenant a person belongs to, with the role there, oldest membership first. In a
    /// tenant's transaction, only that tenant's membership (login uses a global transaction).
    async fn memberships_of_user(&mut self, user: UserId)
    -> Result<Vec<MembershipRow>, StoreError>;
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
    /// A person's membership in this tenant.
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
}
