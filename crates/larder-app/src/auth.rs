//! Tenancy and authentication: register, login, refresh-token rotation with reuse detection,
//! logout, and the [`Principal`] every other use case is called with.
//!
//! Access tokens are HS256 JWTs (RFC 7519) valid 15 minutes, carrying tenant, person and role.
//! Refresh tokens are opaque (`<tenant id>.<32 random bytes, base64url>`), stored as SHA-256,
//! rotated on every use; presenting a rotated token again revokes its whole family (the
//! reuse detection of RFC 9700 "OAuth 2.0 Security Best Current Practice" §4.14.2).
//! Passwords are hashed with Argon2id (RFC 9106) at the `argon2` crate's defaults (OWASP's
//! m=19 MiB, t=2, p=1), off the async executor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use larder_core::auth::{Permission, Role};
use larder_core::tenancy::slugify;
use larder_core::{
    Email, LocationId, Name, Password, RefreshTokenId, TenantId, TokenFamilyId, UserId,
};
use larder_store::{
    LocationScope, MembershipRow, Mode, RefreshTokenRow, SignUpRow, TenantRow, TenantTx, UserRow,
    run_global, run_tenant,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Conflicts;
use crate::{App, AppError};

pub mod api_keys;
pub mod members;
pub mod password;
pub mod reset;
pub mod totp;

/// Auth's constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[
    ("tenants_slug", "slug"),
    ("users_email", "email"),
    // A deactivated member added again (PostgreSQL's and SQLite's names for the key).
    ("memberships_pkey", "email"),
    ("memberships_user_id", "email"),
]);

/// A new tenant's business day starts at 04:00 local time: a sale at 01:30 counts for the day
/// before, as a kitchen that closes after midnight reckons it.
pub const DEFAULT_DAY_CUTOFF_MINUTES: i32 = 240;

/// Lifetime of an access token.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// Lifetime of a refresh token. Each rotation issues a new one with a full lifetime, so a
/// session used at least once a week never expires (a sliding window of 7 days).
pub const REFRESH_TTL: Duration = Duration::days(7);

/// How long a process trusts what it last read of a session (role, deactivation, logout)
/// before reading it again. A logout, role change or deactivation made through this process
/// takes effect on the next request; one made through another process on the same database
/// within this time.
pub const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Sessions read recently, by tenant, person and session.
pub(crate) type SessionCache =
    mini_moka::sync::Cache<(TenantId, UserId, TokenFamilyId), larder_store::SessionRow>;

/// API keys read recently, by the SHA-256 of the key.
pub(crate) type ApiKeyCache = mini_moka::sync::Cache<Vec<u8>, larder_store::ApiKeyStateRow>;

/// A cache of API keys that forgets each after [`SESSION_RECHECK`].
pub(crate) fn api_key_cache() -> ApiKeyCache {
    mini_moka::sync::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(SESSION_RECHECK)
        .build()
}

/// A cache of sessions that forgets each after [`SESSION_RECHECK`].
pub(crate) fn session_cache() -> SessionCache {
    mini_moka::sync::Cache::builder()
        .max_capacity(100_000)
        .time_to_live(SESSION_RECHECK)
        .build()
}

/// The signing secret for access tokens (at least 32 bytes). `Debug` never prints it.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl TokenKeys {
    /// Keys from a secret.
    ///
    /// # Errors
    /// When the secret is shorter than 32 bytes (HS256 wants a key as long as its output).
    pub fn from_secret(secret: &[u8]) -> Result<Self, AppError> {
        if secret.len() < 32 {
            return Err(AppError::invalid("jwt_secret", "must be at least 32 bytes"));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// 32 random bytes, for a new data directory.
    ///
    /// # Errors
    /// When the system's random source fails.
    pub fn generate_secret() -> Result<Vec<u8>, AppError> {
        random_bytes::<32>().map(|b| b.to_vec())
    }
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], AppError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| AppError::Internal(format!("random source failed: {e}")))?;
    Ok(b)
}

/// Who is calling: a person acting in one tenant with one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The tenant acted in.
    pub tenant_id: TenantId,
    /// The person.
    pub user_id: UserId,
    /// Their role there, as read at the start of the request.
    pub role: Role,
    /// The login session the request came through (`None` for an API key, or an operator
    /// command such as the demo or an import, which acts without one).
    pub session: Option<TokenFamilyId>,
    /// An API key's scopes, which limit what the role grants; `None` for a person's session.
    pub scopes: Option<larder_core::auth::Scopes>,
    /// The tenant requires a second factor of this owner or admin and the session did not
    /// verify one: nothing but two-factor setup is allowed.
    pub mfa_missing: bool,
    /// The locations this person may see and change: every one, or only those their membership
    /// is limited to (read afresh inside each use case's transaction).
    pub locations: LocationScope,
    /// Where the request came from, for the audit log (set by the web layer).
    pub request: crate::audit::RequestMeta,
}

impl Principal {
    /// A principal for an operator command (the demo, an import, a benchmark) acting in
    /// `tenant` as `user` with `role`: no login session, no API-key scopes, no second-factor
    /// rule (the operator already holds the server's own credentials).
    pub fn operator(tenant: TenantId, user: UserId, role: Role) -> Self {
        Self {
            tenant_id: tenant,
            user_id: user,
            role,
            session: None,
            scopes: None,
            mfa_missing: false,
            locations: LocationScope::All,
            request: crate::audit::RequestMeta::default(),
        }
    }

    /// The same principal, acting for the request `meta` describes.
    #[must_use]
    pub fn with_request(mut self, meta: crate::audit::RequestMeta) -> Self {
        self.request = meta;
        self
    }

    /// Checks the role grants `p`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] naming the permission.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.mfa_missing {
            return Err(AppError::MfaSetupRequired);
        }
        if self.role.grants(p) && api_keys::allows(self.scopes, p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(p.as_str()))
        }
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
struct Claims {
    sub: String,
    tid: String,
    /// The session (refresh-token family) the token was issued in.
    sid: String,
    role: Role,
    iat: i64,
    nbf: i64,
    exp: i64,
    iss: String,
}

const ISSUER: &str = "larder";

/// Register a tenant with its owner.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct RegisterCommand {
    /// The restaurant group's name.
    pub tenant_name: Name,
    /// The owner's email (case-insensitive).
    pub email: Email,
    /// At least 8 characters, not a common password (NIST SP 800-63B §3.1.1.2; see
    /// [`password`]).
    pub password: Password,
    /// The owner's display name.
    pub name: Name,
    /// ISO 4217 code of the currency the restaurant's money is in (default `GBP`).
    #[schema(pattern = "^[A-Z]{3}$")]
    #[serde(default)]
    pub currency: Option<String>,
    /// IANA time zone business days are in (default `Europe/London`).
    #[schema(max_length = 64)]
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Minutes after local midnight a business day starts, 0 to 720 (default 240: 04:00, so a
    /// sale at 01:30 counts for the day before).
    #[schema(minimum = 0, maximum = 720)]
    #[serde(default)]
    pub day_cutoff_minutes: Option<i32>,
}

/// A sign-up's fields once checked, its password hashed.
struct CheckedSignUp {
    tenant_name: String,
    name: String,
    email: String,
    locale: crate::tenancy::Locale,
    password_hash: String,
}

impl RegisterCommand {
    /// Checks the locale and the password policy (which refuses a password built on the
    /// email, name or restaurant name) and hashes the password: the same work for every
    /// email, whether it signs up (`register`) or an operator creates the tenant.
    ///
    /// # Errors
    /// 422 naming the field.
    async fn checked(self) -> Result<CheckedSignUp, AppError> {
        let locale = self.locale()?;
        let tenant_name = self.tenant_name.into_string();
        let name = self.name.into_string();
        let email = self.email.as_str().to_owned();
        password::check(
            "password",
            &self.password,
            &[email.as_str(), name.as_str(), tenant_name.as_str()],
        )?;
        Ok(CheckedSignUp {
            tenant_name,
            name,
            email,
            locale,
            password_hash: hash_password(self.password).await?,
        })
    }

    /// The currency, time zone and day cutoff asked for, defaults filled in and checked.
    ///
    /// # Errors
    /// 422 naming `currency`, `time_zone` or `day_cutoff_minutes`.
    fn locale(&self) -> Result<crate::tenancy::Locale, AppError> {
        crate::tenancy::Locale::checked(
            self.currency.as_deref().unwrap_or("GBP"),
            self.time_zone.as_deref().unwrap_or("Europe/London"),
            self.day_cutoff_minutes
                .unwrap_or(DEFAULT_DAY_CUTOFF_MINUTES),
        )
    }
}

/// What registration created.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Registered {
    /// The new tenant.
    pub tenant_id: TenantId,
    /// Its slug (for login).
    pub tenant_slug: String,
    /// The owner.
    pub user_id: UserId,
    /// The email already had an account: that person is the owner, and their password is
    /// the one they had (the one given at sign-up was discarded).
    pub existing_account: bool,
}

/// How long a sign-up waits for its email to be verified.
pub const SIGN_UP_TTL: Duration = Duration::hours(24);

/// Sign-up's answer: the same whether or not the email has an account.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignUpPending {
    /// Always `pending`: the link sent to the email finishes the sign-up.
    pub status: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// Finish a sign-up with the token from its link and the password chosen at sign-up (so a
/// link to someone else's sign-up of the same email, which the mailbox also receives, cannot
/// create an account with a password its holder does not know).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmSignUpCommand {
    /// The token from the sign-up link.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: String,
    /// The password given at sign-up.
    pub password: Password,
}

/// Log in.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginCommand {
    /// Email.
    pub email: Email,
    /// Password.
    pub password: Password,
    /// Tenant id or slug, needed only when the person belongs to several.
    pub tenant: Option<Name>,
    /// With two-factor authentication on: six digits from the authenticator app, or a
    /// recovery code.
    #[serde(default)]
    #[schema(pattern = "^([0-9]{6}|[a-z2-7]{5}-[a-z2-7]{5})$")]
    pub one_time_code: Option<String>,
}

/// Tokens handed out by login and refresh.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque; exchange at `/auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token is valid.
    pub expires_in: i64,
}

/// Who the caller is.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// Person.
    pub user_id: UserId,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Tenant acted in.
    pub tenant_id: TenantId,
    /// Its name.
    pub tenant_name: String,
    /// Its slug.
    pub tenant_slug: String,
    /// Role there.
    pub role: Role,
    /// Permissions the role grants.
    pub scopes: Vec<&'static str>,
    /// The locations they are limited to; `null` for every location.
    pub locations: Option<Vec<LocationId>>,
}

/// Inserts the tenant `tenant_name` (its slug the name's, with `suffix` when given), its
/// owner (`owner`, or the existing person of that email) and the owner's membership.
async fn create_tenant(
    tx: &mut dyn TenantTx,
    tenant_id: TenantId,
    tenant_name: String,
    locale: crate::tenancy::Locale,
    suffix: Option<String>,
    owner: UserRow,
) -> Result<Registered, AppError> {
    let slug = match suffix {
        None => slugify(&tenant_name),
        Some(x) => format!("{}-{x}", slugify(&tenant_name)),
    };
    let now = Utc::now();
    tx.insert_tenant(&TenantRow {
        id: tenant_id,
        name: tenant_name,
        slug: slug.clone(),
        currency: locale.currency,
        time_zone: locale.time_zone,
        day_cutoff_minutes: locale.day_cutoff_minutes,
        week_start: larder_core::tenancy::WeekStart::Monday,
        units: larder_core::tenancy::UnitSystem::Metric,
        approval_threshold: None,
        valuation_method: Default::default(),
        settings_version: 1,
        created_at: now,
    })
    .await?;
    let (user_id, existing_account) = match tx.find_user_by_email(&owner.email).await? {
        Some(u) => (u.id, true),
        None => {
            tx.insert_user(&owner).await?;
            (owner.id, false)
        }
    };
    tx.insert_membership(user_id, Role::Owner, now).await?;
    Ok(Registered {
        tenant_id,
        tenant_slug: slug,
        user_id,
        existing_account,
    })
}

/// The SHA-256 of a link token, as stored.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub(crate) async fn hash_password(password: Password) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let password = password.as_str();
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

async fn verify_password(password: Password, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let password = password.as_str();
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password nobody has, verified when the email is unknown so that a wrong email
/// costs the same time as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5VXcvJpw4S1rTfzUfWnGMjDLA0GD0T3fBNUDPUhFZ2o";

fn refresh_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn parse_refresh(token: &str) -> Result<TenantId, AppError> {
    let bad = AppError::Unauthenticated("the refresh token is not valid");
    let (tenant, secret) = token.split_once('.').ok_or(bad)?;
    if secret.len() != 43 {
        return Err(AppError::Unauthenticated("the refresh token is not valid"));
    }
    tenant
        .parse()
        .map_err(|_| AppError::Unauthenticated("the refresh token is not valid"))
}

impl App {
    /// Asks for a tenant with its owner. Nothing is created until the email is verified: the
    /// sign-up waits (for [`SIGN_UP_TTL`]) for its link to be used ([`App::confirm_sign_up`]),
    /// and the answer is the same whether or not the email has an account. The password is
    /// checked against the policy and hashed now, so the work is the same either way too. With
    /// no mail path yet, the sign-up is logged and an operator issues the link
    /// (`larder users sign-up-link --email`).
    ///
    /// # Errors
    /// 422 naming the field.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn register(&self, cmd: RegisterCommand) -> Result<SignUpPending, AppError> {
        let logged_email = cmd.email.clone();
        let CheckedSignUp {
            tenant_name,
            name,
            email,
            locale,
            password_hash,
        } = cmd.checked().await?;
        let now = Utc::now();
        let row = SignUpRow {
            id: uuid::Uuid::now_v7(),
            email,
            name,
            tenant_name,
            currency: locale.currency,
            time_zone: locale.time_zone,
            day_cutoff_minutes: locale.day_cutoff_minutes,
            password_hash,
            created_at: now,
            expires_at: now + SIGN_UP_TTL,
        };
        let expires_at = row.expires_at;
        run_global(self.db(), Mode::Write, move |tx| {
            Box::pin(async move { tx.insert_sign_up(&row).await.map_err(AppError::from) })
        })
        .await?;
        tracing::info!(
            email = %logged_email,
            "sign-up waiting for its email to be verified; no mail is configured: an operator can issue the link with `larder users sign-up-link --email`"
        );
        Ok(SignUpPending {
            status: "pending".into(),
            expires_at,
        })
    }

    /// Issues the link token of the latest pending sign-up of `email` (replacing any earlier
    /// one), for an operator to hand over (`larder users sign-up-link`). `None` when the email
    /// has no pending sign-up.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn issue_sign_up_token(&self, email: &Email) -> Result<Option<String>, AppError> {
        let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        let hash = token_hash(&token);
        let email = email.as_str().to_owned();
        let issued = run_global(self.db(), Mode::Write, move |tx| {
            Box::pin(async move {
                tx.set_sign_up_token(&email, &hash, Utc::now())
                    .await
                    .map_err(AppError::from)
            })
        })
        .await?;
        Ok(issued.then_some(token))
    }

    /// Finishes a sign-up with its link's token (single use) and the password given at
    /// sign-up: creates the tenant, its owner (the person the email already belongs to, when it
    /// does: their password stays as it was) and the membership, atomically with spending the
    /// token.
    ///
    /// # Errors
    /// 401 when the token is unknown, used or expired, or the password is not the sign-up's
    /// (the token stays usable).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn confirm_sign_up(&self, cmd: ConfirmSignUpCommand) -> Result<Registered, AppError> {
        const REFUSED: AppError = AppError::Unauthenticated(
            "the sign-up link or its password is not valid, or the link has expired",
        );
        let hash = token_hash(cmd.token.trim());
        let h = hash.clone();
        let found = run_global(self.db(), Mode::Read, move |tx| {
            Box::pin(async move { tx.find_sign_up(&h, Utc::now()).await })
        })
        .await?
        .ok_or(REFUSED)?;
        // Checked outside the writing transaction: Argon2 takes tens of milliseconds.
        if !verify_password(cmd.password, found.password_hash.clone()).await {
            return Err(REFUSED);
        }
        self.create_tenant_retrying(move |tx, tenant_id, suffix| {
            let (hash, found) = (hash.clone(), found.clone());
            Box::pin(async move {
                let now = Utc::now();
                match tx.use_sign_up_token(&hash, now).await? {
                    Some(s) if s.id == found.id => {}
                    _ => return Err(REFUSED),
                }
                let owner = UserRow {
                    id: UserId::new(),
                    email: found.email,
                    name: found.name,
                    password_hash: found.password_hash,
                    created_at: now,
                };
                let locale = crate::tenancy::Locale {
                    currency: found.currency,
                    time_zone: found.time_zone,
                    day_cutoff_minutes: found.day_cutoff_minutes,
                };
                create_tenant(tx, tenant_id, found.tenant_name, locale, suffix, owner).await
            })
        })
        .await
    }

    /// Operator lookup: the person of `email` acting in their one tenant with their role there,
    /// without a session (the demo resumes as its owner this way, not by logging in). `None`
    /// when no account has the email or it belongs to no tenant.
    ///
    /// # Errors
    /// 422 on `email` when the person belongs to several tenants.
    pub async fn operator_principal(&self, email: &Email) -> Result<Option<Principal>, AppError> {
        let email = email.as_str().to_owned();
        let found = run_global(self.db(), Mode::Read, move |tx| {
            Box::pin(async move {
                let Some(user) = tx.find_user_by_email(&email).await? else {
                    return Ok::<_, AppError>(None);
                };
                Ok(Some((user.id, tx.memberships_of_user(user.id).await?)))
            })
        })
        .await?;
        match found {
            None => Ok(None),
            Some((_, m)) if m.is_empty() => Ok(None),
            Some((user, m)) if m.len() == 1 => {
                Ok(Some(Principal::operator(m[0].tenant_id, user, m[0].role)))
            }
            Some(_) => Err(AppError::invalid(
                "email",
                "belongs to several tenants; name one",
            )),
        }
    }

    /// Creates a tenant with its owner at once, for operator commands (the demo, benchmarks),
    /// which hold the server's own credentials and verify no email. An email that already has
    /// an account makes that person the owner, their password unchanged.
    ///
    /// # Errors
    /// 422 naming the field.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn create_tenant(&self, cmd: RegisterCommand) -> Result<Registered, AppError> {
        let CheckedSignUp {
            tenant_name,
            name,
            email,
            locale,
            password_hash,
        } = cmd.checked().await?;
        let owner = UserRow {
            id: UserId::new(),
            email,
            name,
            password_hash,
            created_at: Utc::now(),
        };
        self.create_tenant_retrying(move |tx, tenant_id, suffix| {
            let (owner, tenant_name) = (owner.clone(), tenant_name.clone());
            let locale = locale.clone();
            Box::pin(async move {
                create_tenant(tx, tenant_id, tenant_name, locale, suffix, owner).await
            })
        })
        .await
    }

    /// Runs `create` in a new tenant's transaction until its slug is free: the name's slug
    /// first, then with a short random suffix (`None`, then `Some(suffix)`).
    async fn create_tenant_retrying<F>(&self, create: F) -> Result<Registered, AppError>
    where
        F: for<'t> Fn(
                &'t mut dyn TenantTx,
                TenantId,
                Option<String>,
            ) -> larder_store::BoxFuture<'t, Result<Registered, AppError>>
            + Clone
            + Send
            + Sync
            + 'static,
    {
        for attempt in 0..4 {
            let suffix = if attempt == 0 {
                None
            } else {
                Some(hex(&random_bytes::<3>()?))
            };
            let tenant_id = TenantId::new();
            let create = create.clone();
            let result = run_tenant(self.db(), tenant_id, Mode::Write, move |tx| {
                create(tx, tenant_id, suffix)
            })
            .await
            .map_err(|e| CONFLICTS.name(e));
            match result {
                Err(AppError::Conflict { field, .. }) if field == "slug" && attempt < 3 => {}
                Err(AppError::Conflict { field, .. }) if field == "email" => {
                    // Two sign-ups of one new email confirmed at the same instant.
                    return Err(AppError::conflict(
                        "email",
                        "was registered a moment ago; try again",
                    ));
                }
                other => return other,
            }
        }
        Err(AppError::conflict(
            "tenant_name",
            "could not find a free slug",
        ))
    }

    /// Checks `user`'s password.
    ///
    /// # Errors
    /// 401 when it is wrong or the person does not exist.
    pub(crate) async fn check_password(
        &self,
        user: UserId,
        password: Password,
    ) -> Result<(), AppError> {
        let person = run_global(self.db(), Mode::Read, move |tx| {
            Box::pin(async move { tx.get_user(user).await.map_err(AppError::from) })
        })
        .await?
        .ok_or(AppError::Unauthenticated("wrong password"))?;
        if verify_password(password, person.password_hash).await {
            Ok(())
        } else {
            Err(AppError::Unauthenticated("wrong password"))
        }
    }

    /// Counts one second-factor attempt of `user`.
    ///
    /// # Errors
    /// 429 with the seconds to wait past [`totp::SECOND_FACTOR_ATTEMPTS_PER_MINUTE`].
    pub(crate) fn second_factor_attempt(&self, user: UserId) -> Result<(), AppError> {
        use governor::clock::{Clock, DefaultClock};
        self.second_factor_limiter
            .check_key(&user)
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                AppError::RateLimited((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
            })
    }

    /// Checks a person's password and issues tokens for one of their tenants.
    ///
    /// # Errors
    /// 401 with the same answer for an unknown email and a wrong password; 422 on `tenant`
    /// when the person belongs to several tenants and named none (or one they are not in).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn login(
        &self,
        cmd: LoginCommand,
        meta: crate::audit::RequestMeta,
    ) -> Result<TokenPair, AppError> {
        let denied = || AppError::Unauthenticated("wrong email or password");
        let email = cmd.email.as_str().to_owned();
        let found = run_global(self.db(), Mode::Read, move |tx| {
            Box::pin(async move {
                let Some(user) = tx.find_user_by_email(&email).await? else {
                    return Ok::<_, AppError>(None);
                };
                let memberships = tx.memberships_of_user(user.id).await?;
                Ok(Some((user, memberships)))
            })
        })
        .await?;
        let Some((user, memberships)) = found else {
            let _ = verify_password(cmd.password, DUMMY_HASH.to_owned()).await;
            return Err(denied());
        };
        if !verify_password(cmd.password, user.password_hash.clone()).await {
            // Each tenant the person belongs to learns of the failed attempt on them; no
            // actor: the password did not prove who tried.
            for m in &memberships {
                if let Err(e) = crate::audit::append(
                    self,
                    m.tenant_id,
                    None,
                    meta,
                    "auth.login_failed",
                    Some(user.id.to_string()),
                    serde_json::json!({ "user_id": user.id, "reason": "wrong password" }),
                )
                .await
                {
                    tracing::error!(error = %e, "could not audit a failed login");
                }
            }
            return Err(denied());
        }
        let membership = choose_membership(&memberships, cmd.tenant.as_ref().map(Name::as_str))?;
        // The second factor is asked for only after the password is right, so its absence
        // tells a guesser nothing.
        let mfa = totp::has_second_factor(self, user.id).await?;
        if mfa {
            let code = cmd.one_time_code.as_deref().ok_or(AppError::MfaRequired)?;
            totp::verify_second_factor(self, user.id, code).await?;
        }
        let family = TokenFamilyId::new();
        let pair = self
            .issue(membership.tenant_id, user.id, membership.role, family)
            .await?;
        if let Err(e) = crate::audit::append(
            self,
            membership.tenant_id,
            Some(user.id),
            meta,
            "auth.login",
            Some(user.id.to_string()),
            serde_json::json!({ "user_id": user.id, "session": family, "second_factor": mfa }),
        )
        .await
        {
            tracing::error!(error = %e, "could not audit a login");
        }
        if mfa {
            self.mark_family_verified(membership.tenant_id, family)
                .await?;
        }
        Ok(pair)
    }

    async fn issue(
        &self,
        tenant: TenantId,
        user: UserId,
        role: Role,
        family: TokenFamilyId,
    ) -> Result<TokenPair, AppError> {
        let now = Utc::now();
        let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
        let refresh_token = format!("{}.{secret}", tenant.as_uuid().simple());
        let row = RefreshTokenRow {
            id: RefreshTokenId::new(),
            family_id: family,
            user_id: user,
            token_hash: refresh_hash(&refresh_token),
            created_at: now,
            expires_at: now + REFRESH_TTL,
            used_at: None,
            revoked_at: None,
        };
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move { tx.insert_refresh_token(&row).await.map_err(AppError::from) })
        })
        .await?;
        Ok(TokenPair {
            access_token: self.access_token(tenant, user, role, family, now)?,
            refresh_token,
            token_type: "Bearer",
            expires_in: ACCESS_TTL.num_seconds(),
        })
    }

    fn access_token(
        &self,
        tenant: TenantId,
        user: UserId,
        role: Role,
        family: TokenFamilyId,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let claims = Claims {
            sub: user.to_string(),
            tid: tenant.to_string(),
            sid: family.to_string(),
            role,
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + ACCESS_TTL).timestamp(),
            iss: ISSUER.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.keys.encoding)
            .map_err(|e| AppError::Internal(format!("signing failed: {e}")))
    }

    /// Verifies an access token's signature, issuer and times (`exp` and `nbf`, no leeway) and
    /// returns its tenant, person and session.
    fn verify_access(&self, token: &str) -> Result<(TenantId, UserId, TokenFamilyId), AppError> {
        verify_access(&self.keys, token)
    }

    /// Authenticates a request: verifies the access token, then checks its session is live
    /// (not logged out, the person still an active member) and takes the member's current
    /// role, so a logout, deactivation or role change applies to the next request (see
    /// [`SESSION_RECHECK`] for other processes).
    ///
    /// # Errors
    /// 401 when the token is malformed, badly signed, not yet valid or expired, or its session
    /// has ended.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        if token.starts_with(api_keys::KEY_PREFIX) {
            return self.authenticate_api_key(token).await;
        }
        let (tenant, user, session) = self.verify_access(token)?;
        let key = (tenant, user, session);
        let state = match self.sessions.get(&key) {
            Some(s) => s,
            None => {
                let s = run_tenant(self.db(), tenant, Mode::Read, move |tx| {
                    Box::pin(async move { tx.session(user, session).await.map_err(AppError::from) })
                })
                .await?
                .ok_or(AppError::Unauthenticated(
                    "the session has ended; log in again",
                ))?;
                self.sessions.insert(key, s.clone());
                s
            }
        };
        if state.deactivated || state.revoked {
            return Err(AppError::Unauthenticated(
                "the session has ended; log in again",
            ));
        }
        Ok(Principal {
            tenant_id: tenant,
            user_id: user,
            role: state.role,
            session: Some(session),
            scopes: None,
            mfa_missing: state.mfa_required
                && matches!(state.role, Role::Owner | Role::Admin)
                && !state.mfa,
            locations: if state.locations_limited {
                LocationScope::Member(user)
            } else {
                LocationScope::All
            },
            request: crate::audit::RequestMeta::default(),
        })
    }

    /// Rotates a refresh token: the presented one is spent and a new pair is issued in the
    /// same family. A token presented a second time revokes the family (someone copied it).
    ///
    /// # Errors
    /// 401 when the token is unknown, expired, revoked or reused, or its person is no longer a
    /// member of the tenant.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn refresh(&self, token: &str) -> Result<TokenPair, AppError> {
        enum Outcome {
            Rotate(UserId, Role, TokenFamilyId),
            Reused,
            Invalid,
        }
        let tenant = parse_refresh(token)?;
        let hash = refresh_hash(token);
        let outcome = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                let now = Utc::now();
                let Some(row) = tx.find_refresh_token(&hash).await? else {
                    return Ok::<_, AppError>(Outcome::Invalid);
                };
                if row.revoked_at.is_some() || row.expires_at <= now {
                    return Ok(Outcome::Invalid);
                }
                if !tx.mark_refresh_token_used(&hash, now).await? {
                    // Committed on purpose: the revocation must stick although we answer 401.
                    tx.revoke_token_family(row.family_id, now).await?;
                    crate::audit::record(
                        tx,
                        Some(row.user_id),
                        crate::audit::RequestMeta::default(),
                        "auth.session_revoked",
                        "session",
                        Some(row.family_id.to_string()),
                        &serde_json::json!({ "user_id": row.user_id, "reason": "refresh token reused" }),
                    )
                    .await?;
                    return Ok(Outcome::Reused);
                }
                match tx.get_membership(row.user_id).await? {
                    Some(m) => Ok(Outcome::Rotate(row.user_id, m.role, row.family_id)),
                    None => {
                        tx.revoke_token_family(row.family_id, now).await?;
                        Ok(Outcome::Invalid)
                    }
                }
            })
        })
        .await?;
        match outcome {
            Outcome::Rotate(user, role, family) => self.issue(tenant, user, role, family).await,
            Outcome::Reused => {
                tracing::warn!(tenant_id = %tenant, "refresh token reused; family revoked");
                Err(AppError::Unauthenticated(
                    "the refresh token was already used; log in again",
                ))
            }
            Outcome::Invalid => Err(AppError::Unauthenticated("the refresh token is not valid")),
        }
    }

    /// Revokes the refresh token's family (logout). Unknown tokens are ignored: logging out
    /// twice is not an error.
    ///
    /// # Errors
    /// Storage errors only.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        let Ok(tenant) = parse_refresh(token) else {
            return Ok(());
        };
        let hash = refresh_hash(token);
        let ended = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                let Some(row) = tx.find_refresh_token(&hash).await? else {
                    return Ok::<_, AppError>(None);
                };
                tx.revoke_token_family(row.family_id, Utc::now()).await?;
                crate::audit::record(
                    tx,
                    Some(row.user_id),
                    crate::audit::RequestMeta::default(),
                    "auth.logout",
                    "session",
                    Some(row.family_id.to_string()),
                    &serde_json::json!({ "user_id": row.user_id }),
                )
                .await?;
                Ok(Some((row.user_id, row.family_id)))
            })
        })
        .await?;
        if let Some((user, family)) = ended {
            self.sessions.invalidate(&(tenant, user, family));
        }
        Ok(())
    }

    /// Ends the caller's session (logout with only an access token): its refresh tokens are
    /// revoked and its access tokens refused from the next request.
    ///
    /// # Errors
    /// Storage errors only; a principal without a session has nothing to end.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn end_session(&self, p: Principal) -> Result<(), AppError> {
        let Some(family) = p.session else {
            return Ok(());
        };
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.revoke_token_family(family, Utc::now()).await?;
                crate::audit::record_by(
                    tx,
                    &p,
                    "auth.logout",
                    "session",
                    Some(family.to_string()),
                    &serde_json::json!({ "user_id": p.user_id }),
                )
                .await
            })
        })
        .await?;
        self.sessions.invalidate(&(p.tenant_id, p.user_id, family));
        Ok(())
    }

    /// The caller's person, tenant and role.
    ///
    /// # Errors
    /// 401 when the person or membership no longer exists.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn me(&self, p: Principal) -> Result<Me, AppError> {
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let user = tx
                    .get_user(p.user_id)
                    .await?
                    .ok_or(AppError::Unauthenticated("unknown user"))?;
                let m = tx
                    .get_membership(p.user_id)
                    .await?
                    .ok_or(AppError::Unauthenticated("not a member"))?;
                let locations = tx.member_locations(p.user_id).await?;
                Ok(Me {
                    user_id: user.id,
                    email: user.email,
                    name: user.name,
                    tenant_id: m.tenant_id,
                    tenant_name: m.tenant_name,
                    tenant_slug: m.tenant_slug,
                    role: m.role,
                    scopes: m
                        .role
                        .scopes()
                        .into_iter()
                        .map(Permission::as_str)
                        .collect(),
                    locations,
                })
            })
        })
        .await
    }

    /// Adds a person to the caller's tenant with a role, creating the person when new with
    /// `password`. A person who already has an account keeps their own password: `password`
    /// is not compared with it, so the answer (and its time: one Argon2id hash either way) does
    /// not tell whether the email was known or a guessed password was right.
    ///
    /// # Errors
    /// 403 without `members.manage`; 403 when an admin grants owner; 422 on `password` by the
    /// policy; 409 on `email` when the person is already a member here.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn add_member(
        &self,
        p: Principal,
        email: &Email,
        name: &Name,
        password: &Password,
        role: Role,
    ) -> Result<UserId, AppError> {
        p.require(Permission::MembersManage)?;
        if role == Role::Owner && p.role != Role::Owner {
            return Err(AppError::Forbidden(Permission::TenantManage.as_str()));
        }
        let email = email.as_str().to_owned();
        let name = name.as_str().to_owned();
        password::check("password", password, &[email.as_str(), name.as_str()])?;
        let e = email.clone();
        let existing = run_global(self.db(), Mode::Read, move |tx| {
            Box::pin(async move { tx.find_user_by_email(&e).await })
        })
        .await?;
        // Hashed either way, so a known email costs what an unknown one does.
        let hash = hash_password(password.clone()).await?;
        let (user_id, new_user) = match existing {
            Some(u) => (u.id, None),
            None => {
                let id = UserId::new();
                (
                    id,
                    Some(UserRow {
                        id,
                        email,
                        name,
                        password_hash: hash,
                        created_at: Utc::now(),
                    }),
                )
            }
        };
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                if let Some(u) = &new_user {
                    tx.insert_user(u).await?;
                }
                if tx.get_membership(user_id).await?.is_some() {
                    return Err(AppError::conflict("email", "is already a member"));
                }
                tx.insert_membership(user_id, role, Utc::now()).await?;
                crate::audit::record_by(
                    tx,
                    &p,
                    "auth.member_added",
                    "member",
                    Some(user_id.to_string()),
                    &serde_json::json!({ "user_id": user_id, "role": role }),
                )
                .await?;
                Ok(user_id)
            })
        })
        .await
        .map_err(|e| CONFLICTS.name(e))
    }
}

/// Verifies an access token's signature, issuer and times (`exp` and `nbf` required and
/// checked, no leeway) and returns its tenant, person and session.
fn verify_access(
    keys: &TokenKeys,
    token: &str,
) -> Result<(TenantId, UserId, TokenFamilyId), AppError> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
    v.validate_nbf = true;
    v.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &v)
        .map_err(|_| AppError::Unauthenticated("the access token is not valid or has expired"))?;
    let c = data.claims;
    let bad = || AppError::Unauthenticated("the access token is not valid");
    Ok((
        c.tid.parse().map_err(|_| bad())?,
        c.sub.parse().map_err(|_| bad())?,
        c.sid.parse().map_err(|_| bad())?,
    ))
}

fn choose_membership<'a>(
    memberships: &'a [MembershipRow],
    tenant: Option<&str>,
) -> Result<&'a MembershipRow, AppError> {
    match tenant.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => memberships
            .iter()
            .find(|m| m.tenant_slug == t || m.tenant_id.to_string() == t.to_lowercase())
            .ok_or_else(|| AppError::invalid("tenant", "you are not a member of that tenant")),
        None => match memberships {
            [only] => Ok(only),
            [] => Err(AppError::Unauthenticated("wrong email or password")),
            _ => Err(AppError::invalid(
                "tenant",
                "you belong to several tenants; name one by id or slug",
            )),
        },
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_so_unknown_emails_cost_a_full_verification() {
        let parsed = argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH);
        assert!(parsed.is_ok(), "{parsed:?}");
        assert!(
            Argon2::default()
                .verify_password(b"anything", DUMMY_HASH)
                .is_err()
        );
    }

    #[test]
    fn refresh_tokens_name_their_tenant_and_nothing_else_parses() {
        let t = TenantId::new();
        let token = format!("{}.{}", t.as_uuid().simple(), "A".repeat(43));
        assert_eq!(parse_refresh(&token).ok(), Some(t));
        assert!(parse_refresh("garbage").is_err());
        assert!(parse_refresh(&format!("{}.short", t.as_uuid().simple())).is_err());
    }

    fn claims(nbf_offset: i64, sid: &str) -> Claims {
        let now = Utc::now().timestamp();
        Claims {
            sub: UserId::new().to_string(),
            tid: TenantId::new().to_string(),
            sid: sid.to_owned(),
            role: Role::Owner,
            iat: now,
            nbf: now + nbf_offset,
            exp: now + 600,
            iss: ISSUER.into(),
        }
    }

    #[test]
    fn access_tokens_are_refused_before_nbf_and_without_a_session() {
        let keys = TokenKeys::from_secret(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
        let sign = |c: &Claims| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &keys.encoding)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let family = TokenFamilyId::new();
        assert!(verify_access(&keys, &sign(&claims(0, &family.to_string()))).is_ok());
        assert!(verify_access(&keys, &sign(&claims(60, &family.to_string()))).is_err());
        assert!(verify_access(&keys, &sign(&claims(0, "not-a-session"))).is_err());
        let other = TokenKeys::from_secret(&[8; 32]).unwrap_or_else(|e| panic!("{e}"));
        let forged = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(0, &family.to_string()),
            &other.encoding,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(verify_access(&keys, &forged).is_err());
    }
}
