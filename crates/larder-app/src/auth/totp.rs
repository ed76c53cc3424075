//! Two-factor authentication: time-based one-time passwords (TOTP, RFC 6238: HMAC-SHA1, six
//! digits, 30-second steps, one step of clock skew either way, each step accepted once) with ten
//! single-use recovery codes, and a tenant's rule that its owners and admins must use it.
//!
//! Setting it up takes two calls: `setup` stores a new secret as pending and returns it (base32
//! and an `otpauth://` URI for an authenticator app); `confirm` with a code from the app makes it
//! the person's secret and returns the recovery codes, once (only their SHA-256 is kept). From
//! then on login needs a code (or a recovery code) after the password. When the tenant requires
//! it, an owner or admin whose session did not verify a second factor may call nothing but
//! two-factor setup, `me` and logout: every other use case answers 403 until they log in again
//! with a code.

use chrono::Utc;
use larder_core::{TenantId, UserId};
use larder_store::{Mode, run_global, run_tenant};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Totp};

use crate::{App, AppError, Principal};

/// Seconds per TOTP step (RFC 6238's default).
pub const STEP_SECONDS: u64 = 30;
/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Recovery codes issued when two-factor authentication is confirmed.
pub const RECOVERY_CODES: usize = 10;
/// The issuer authenticator apps show.
const ISSUER: &str = "Larder";
/// The alphabet of recovery codes (RFC 4648 base32, lower-cased: no 0/1/8/9 to misread).
const RECOVERY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A second factor being set up: the secret to enter in an authenticator app.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// The secret, base32 (RFC 4648), for typing in.
    pub secret: String,
    /// The same as an `otpauth://totp/…` URI, for a QR code.
    pub otpauth_uri: String,
}

/// A code from an authenticator app, or a recovery code.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneTimeCode {
    /// Six digits from the app, or a recovery code (`abcde-fghij`).
    #[schema(pattern = "^([0-9]{6}|[a-z2-7]{5}-[a-z2-7]{5})$")]
    pub code: String,
}

/// Second-factor attempts (codes at login, confirm and disable) allowed per person per
/// minute, as a burst refilled evenly. Three codes in a million are valid at any moment (one
/// step of skew either way), so at this rate a guess succeeds about once in 23 days per
/// process serving the tenant.
pub const SECOND_FACTOR_ATTEMPTS_PER_MINUTE: u32 = 10;

/// The recovery codes, shown once.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, each standing in for one app code at login.
    pub recovery_codes: Vec<String>,
}

/// Start setting up a second factor: the current password again, so a stolen access token
/// alone cannot bind someone else's authenticator to the account.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpSetupCommand {
    /// The account's password.
    pub password: larder_core::Password,
}

/// The tenant's two-factor rule.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaPolicy {
    /// Whether owners and admins must log in with a second factor.
    pub required: bool,
}

/// The TOTP of a secret, as every check here uses it.
///
/// # Errors
/// 500 when the secret is too short for RFC 4226 (never for one Larder made).
fn totp(secret: &[u8], email: &str) -> Result<Totp, AppError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(email.replace(':', "_"))
        .build()
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

/// The step a six-digit `code` is valid for now (±1 step), if any.
fn matching_step(secret: &[u8], code: &str) -> Result<Option<i64>, AppError> {
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let step = totp(secret, "")?.check(code, now);
    Ok(step.and_then(|s| i64::try_from(s).ok()))
}

fn recovery_hash(code: &str) -> Vec<u8> {
    Sha256::digest(code.trim().to_ascii_lowercase().as_bytes()).to_vec()
}

fn new_recovery_codes() -> Result<Vec<String>, AppError> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let bytes = crate::auth::random_bytes::<10>()?;
        let chars: String = bytes
            .iter()
            .map(|b| char::from(RECOVERY_ALPHABET[usize::from(b % 32)]))
            .collect();
        codes.push(format!("{}-{}", &chars[..5], &chars[5..]));
    }
    Ok(codes)
}

/// Two-factor settings are a person's own: an API key may not change them.
fn require_session(p: &Principal) -> Result<(), AppError> {
    if p.session.is_none() {
        return Err(AppError::Forbidden("a login session (not an API key)"));
    }
    Ok(())
}

/// Checks a second factor of `user` (a code or a recovery code) and spends it. Attempts per
/// person are limited ([`SECOND_FACTOR_ATTEMPTS_PER_MINUTE`]), so guessing one of the million
/// codes takes weeks.
///
/// # Errors
/// 401 when it is wrong, reused, or the person has no second factor; 429 past the limit.
pub(crate) async fn verify_second_factor(
    app: &App,
    user: UserId,
    code: &str,
) -> Result<(), AppError> {
    app.second_factor_attempt(user)?;
    let wrong = || AppError::Unauthenticated("wrong or already used one-time code");
    let code = code.trim().to_owned();
    run_global(app.db(), Mode::Write, move |tx| {
        Box::pin(async move {
            let state = tx.totp(user).await?;
            let secret = state.secret.ok_or_else(wrong)?;
            if code.len() == usize::from(DIGITS) && code.bytes().all(|b| b.is_ascii_digit()) {
                let step = matching_step(&secret, &code)?.ok_or_else(wrong)?;
                if !tx.use_totp_step(user, step).await? {
                    return Err(wrong());
                }
                return Ok(());
            }
            if tx
                .use_recovery_code(user, &recovery_hash(&code), Utc::now())
                .await?
            {
                Ok(())
            } else {
                Err(wrong())
            }
        })
    })
    .await
}

/// Whether `user` has a confirmed second factor.
pub(crate) async fn has_second_factor(app: &App, user: UserId) -> Result<bool, AppError> {
    run_global(app.db(), Mode::Read, move |tx| {
        Box::pin(async move { Ok::<_, AppError>(tx.totp(user).await?.secret.is_some()) })
    })
    .await
}

impl App {
    /// Starts setting up a second factor: a new secret, pending until confirmed.
    ///
    /// # Errors
    /// 403 for an API key (only a person's login session may); 401 when the password is
    /// wrong; 409 on `totp` when one is already confirmed (disable it first).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn totp_setup(
        &self,
        p: Principal,
        cmd: TotpSetupCommand,
    ) -> Result<TotpSetup, AppError> {
        require_session(&p)?;
        self.check_password(p.user_id, cmd.password).await?;
        let secret = crate::auth::random_bytes::<20>()?.to_vec();
        let s = secret.clone();
        let user = p.user_id;
        let email = run_global(self.db(), Mode::Write, move |tx| {
            Box::pin(async move {
                if tx.totp(user).await?.secret.is_some() {
                    return Err(AppError::conflict(
                        "totp",
                        "two-factor authentication is already on; disable it to set up another app",
                    ));
                }
                tx.set_totp_pending(user, Some(&s)).await?;
                let person = tx.get_user(user).await?.ok_or(AppError::NotFound("user"))?;
                Ok(person.email)
            })
        })
        .await?;
        let t = totp(&secret, &email)?;
        Ok(TotpSetup {
            secret: t.secret().to_base32(),
            otpauth_uri: t
                .to_url()
                .map_err(|e| AppError::Internal(format!("otpauth: {e}")))?,
        })
    }

    /// Confirms the pending secret with a code from the app: two-factor authentication is on,
    /// this session counts as verified, and the recovery codes are returned (once).
    ///
    /// # Errors
    /// 422 on `code` when it does not match the pending secret; 409 on `totp` when nothing is
    /// being set up.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn totp_confirm(
        &self,
        p: Principal,
        cmd: OneTimeCode,
    ) -> Result<RecoveryCodes, AppError> {
        require_session(&p)?;
        self.second_factor_attempt(p.user_id)?;
        let codes = new_recovery_codes()?;
        let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(c)).collect();
        let user = p.user_id;
        run_global(self.db(), Mode::Write, move |tx| {
            Box::pin(async move {
                let state = tx.totp(user).await?;
                let pending = state.pending.ok_or_else(|| {
                    AppError::conflict("totp", "nothing is being set up; call setup first")
                })?;
                let step = matching_step(&pending, cmd.code.trim())?.ok_or_else(|| {
                    AppError::invalid(
                        "code",
                        "does not match; check the app's clock and try the next code",
                    )
                })?;
                tx.set_totp_secret(user, Some(&pending), Some(step)).await?;
                tx.replace_recovery_codes(user, &hashes).await?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
        self.mark_session_verified(p).await?;
        // Two-factor state is the person's, outside the tenant's transaction: the record
        // follows the change, and failing to write it must not hide the recovery codes.
        if let Err(e) = crate::audit::append(
            self,
            p.tenant_id,
            Some(p.user_id),
            p.request,
            "auth.totp_enabled",
            Some(p.user_id.to_string()),
            serde_json::json!({ "user_id": p.user_id }),
        )
        .await
        {
            tracing::error!(error = %e, "could not audit enabling two-factor authentication");
        }
        Ok(RecoveryCodes {
            recovery_codes: codes,
        })
    }

    /// Turns two-factor authentication off, with a code (or a recovery code) as proof.
    ///
    /// # Errors
    /// 401 when the code is wrong or reused.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn totp_disable(&self, p: Principal, cmd: OneTimeCode) -> Result<(), AppError> {
        require_session(&p)?;
        verify_second_factor(self, p.user_id, &cmd.code).await?;
        let user = p.user_id;
        run_global(self.db(), Mode::Write, move |tx| {
            Box::pin(async move {
                tx.set_totp_secret(user, None, None).await?;
                tx.replace_recovery_codes(user, &[]).await?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
        self.sessions.invalidate_all();
        if let Err(e) = crate::audit::append(
            self,
            p.tenant_id,
            Some(p.user_id),
            p.request,
            "auth.totp_disabled",
            Some(p.user_id.to_string()),
            serde_json::json!({ "user_id": p.user_id }),
        )
        .await
        {
            tracing::error!(error = %e, "could not audit disabling two-factor authentication");
        }
        Ok(())
    }

    /// Sets whether the tenant's owners and admins must use a second factor.
    ///
    /// # Errors
    /// 403 without `tenant.manage`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn set_mfa_policy(
        &self,
        p: Principal,
        cmd: MfaPolicy,
    ) -> Result<MfaPolicy, AppError> {
        require_session(&p)?;
        p.require(larder_core::auth::Permission::TenantManage)?;
        let since = cmd.required.then(Utc::now);
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.set_mfa_required(since).await?;
                crate::audit::record_by(
                    tx,
                    &p,
                    "auth.mfa_policy_set",
                    "tenant",
                    Some(p.tenant_id.to_string()),
                    &serde_json::json!({ "required": since.is_some() }),
                )
                .await
            })
        })
        .await?;
        self.sessions.invalidate_all();
        Ok(cmd)
    }

    /// Records that the caller's session verified a second factor.
    async fn mark_session_verified(&self, p: Principal) -> Result<(), AppError> {
        let Some(family) = p.session else {
            return Ok(());
        };
        self.mark_family_verified(p.tenant_id, family).await?;
        self.sessions.invalidate(&(p.tenant_id, p.user_id, family));
        Ok(())
    }

    /// Records that a session (refresh-token family) verified a second factor.
    pub(crate) async fn mark_family_verified(
        &self,
        tenant: TenantId,
        family: larder_core::TokenFamilyId,
    ) -> Result<(), AppError> {
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.insert_mfa_session(family, Utc::now())
                    .await
                    .map_err(AppError::from)
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 test vectors (eight digits, the 20-byte ASCII secret
    /// "12345678901234567890", 30-second steps), through the same builder settings.
    #[test]
    fn rfc_6238_test_vectors() {
        let t = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(8)
            .with_step_duration(STEP_SECONDS)
            .with_secret(b"12345678901234567890".to_vec())
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        for (time, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(t.generate(time).to_string(), code, "T = {time}");
        }
        // SHA-256 and SHA-512 with their longer RFC secrets.
        let sha256 = Builder::new()
            .with_algorithm(Algorithm::SHA256)
            .with_digits(8)
            .with_secret(b"12345678901234567890123456789012".to_vec())
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sha256.generate(59).to_string(), "46119246");
        let sha512 = Builder::new()
            .with_algorithm(Algorithm::SHA512)
            .with_digits(8)
            .with_secret(
                b"1234567890123456789012345678901234567890123456789012345678901234".to_vec(),
            )
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sha512.generate(59).to_string(), "90693936");
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let secret = b"12345678901234567890".to_vec();
        let t = totp(&secret, "cook@example.com").unwrap_or_else(|e| panic!("{e}"));
        let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
        let step = now / STEP_SECONDS;
        let code = |s: u64| t.generate(s * STEP_SECONDS).to_string();
        assert_eq!(
            matching_step(&secret, &code(step)).ok().flatten(),
            i64::try_from(step).ok()
        );
        assert!(
            matching_step(&secret, &code(step - 1))
                .ok()
                .flatten()
                .is_some()
        );
        assert!(
            matching_step(&secret, &code(step + 3))
                .ok()
                .flatten()
                .is_none()
        );
        assert!(
            t.to_url()
                .is_ok_and(|u| u.starts_with("otpauth://totp/Larder:cook%40example.com?"))
        );
    }

    #[test]
    fn recovery_codes_are_ten_distinct_base32_pairs() {
        let codes = new_recovery_codes().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for c in &codes {
            assert_eq!(c.len(), 11);
            assert!(c.chars().enumerate().all(|(i, ch)| if i == 5 {
                ch == '-'
            } else {
                RECOVERY_ALPHABET.contains(&(ch as u8))
            }));
        }
        assert_eq!(recovery_hash(" ABCDE-fghij "), recovery_hash("abcde-fghij"));
    }
}
