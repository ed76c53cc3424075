//! Password reset through a single-use, expiring token.
//!
//! A token is 32 random bytes (base64url), stored as SHA-256, valid for
//! [`RESET_TOKEN_TTL`] and spent by its first use. Mail comes with the events issue; until then
//! an operator issues the link with `larder users reset-link --email …`, and the API's request
//! endpoint answers the same whether or not the email has an account (it logs the request for
//! the operator). Setting the new password applies the password policy and ends every session
//! the person holds, in every tenant.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use larder_core::{Email, Password, UserId};
use larder_store::{Mode, run_global, run_tenant};
use serde::{Deserialize, Serialize};

use crate::auth::token_hash;
use crate::{App, AppError};

/// How long a reset token is valid.
pub const RESET_TOKEN_TTL: Duration = Duration::hours(1);

/// Ask for a password reset.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's email.
    pub email: Email,
}

/// Set a new password with a reset token.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetCommand {
    /// The token from the reset link.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: String,
    /// The new password (the policy of [`crate::auth::password`]).
    pub password: Password,
}

impl App {
    /// Issues a reset token for the account of `email`, valid for `ttl`, for an operator to
    /// hand over (`larder users reset-link`). `None` when no account has that email.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn issue_reset_token(
        &self,
        email: &Email,
        ttl: Duration,
    ) -> Result<Option<String>, AppError> {
        let token = URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<32>()?);
        let hash = token_hash(&token);
        let email = email.as_str().to_owned();
        let issued = run_global(self.db(), Mode::Write, move |tx| {
            Box::pin(async move {
                let Some(user) = tx.find_user_by_email(&email).await? else {
                    return Ok::<_, AppError>(false);
                };
                let now = Utc::now();
                tx.insert_reset_token(&hash, user.id, now, now + ttl)
                    .await?;
                Ok(true)
            })
        })
        .await?;
        Ok(issued.then_some(token))
    }

    /// Records a request for a password reset. The answer is the same whether or not the email
    /// has an account; with no mail path yet, the request is logged for the operator.
    ///
    /// # Errors
    /// Storage errors.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn request_password_reset(&self, cmd: ResetRequest) -> Result<(), AppError> {
        let email = cmd.email.as_str().to_owned();
        let known = run_global(self.db(), Mode::Read, move |tx| {
            Box::pin(
                async move { Ok::<_, AppError>(tx.find_user_by_email(&email).await?.is_some()) },
            )
        })
        .await?;
        if known {
            tracing::info!(
                email = %cmd.email,
                "password reset requested; no mail is configured: an operator can issue the link with `larder users reset-link --email`"
            );
        }
        Ok(())
    }

    /// Sets a new password with a reset token, spends the token, and ends every session the
    /// person holds.
    ///
    /// # Errors
    /// 422 on `password` by the policy; 401 when the token is unknown, used or expired.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn reset_password(&self, cmd: ResetCommand) -> Result<(), AppError> {
        let hash = token_hash(cmd.token.trim());
        // The policy first, so a refused password leaves the token usable.
        crate::auth::password::check("password", &cmd.password, &[])?;
        let password_hash = crate::auth::hash_password(cmd.password.clone()).await?;
        let user = run_global(self.db(), Mode::Write, move |tx| {
            Box::pin(async move {
                let user = tx.use_reset_token(&hash, Utc::now()).await?.ok_or(
                    AppError::Unauthenticated("the reset link is not valid or has expired"),
                )?;
                tx.set_password_hash(user, &password_hash).await?;
                Ok::<_, AppError>(user)
            })
        })
        .await?;
        self.end_every_session(user).await
    }

    /// Revokes every refresh token `user` holds, in each tenant they belong to.
    async fn end_every_session(&self, user: UserId) -> Result<(), AppError> {
        let tenants = run_global(self.db(), Mode::Read, move |tx| {
            Box::pin(async move { tx.memberships_of_user(user).await.map_err(AppError::from) })
        })
        .await?;
        for m in tenants {
            run_tenant(self.db(), m.tenant_id, Mode::Write, move |tx| {
                Box::pin(async move {
                    tx.revoke_user_tokens(user, Utc::now())
                        .await
                        .map_err(AppError::from)
                })
            })
            .await?;
        }
        self.sessions.invalidate_all();
        Ok(())
    }
}
