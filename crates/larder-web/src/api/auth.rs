//! auth: `/auth` (register, login, refresh, logout, me) and `/members`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use larder_app::AppError;
use larder_app::auth::{LoginCommand, RegisterCommand};
use larder_core::auth::Role;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth, REFRESH_COOKIE};
use crate::{AppState, cookies};

/// Auth's routes with their OpenAPI paths; register, login and refresh are rate-limited per
/// client address.
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    let limited = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(confirm_sign_up))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(request_password_reset))
        .routes(routes!(reset_password))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            crate::limit_auth,
        ));
    OpenApiRouter::new()
        .merge(limited)
        .routes(routes!(add_member))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(list_members))
        .routes(routes!(set_member_role))
        .routes(routes!(set_member_active))
        .routes(routes!(set_member_locations))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(totp_setup))
        .routes(routes!(totp_confirm))
        .routes(routes!(totp_disable))
        .routes(routes!(set_mfa_policy))
}

#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = larder_app::auth::RegisterCommand, responses((status = 202, description = "The sign-up waits for its email to be verified: the link sent there finishes it (the same answer whether or not the email has an account)", body = larder_app::auth::SignUpPending), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this address; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn register(
    State(s): State<AppState>,
    ApiJson(cmd): ApiJson<RegisterCommand>,
) -> ApiResult<Response> {
    let r = s.app.register(cmd).await?;
    Ok((StatusCode::ACCEPTED, Json(r)).into_response())
}

#[utoipa::path(post, path = "/auth/register/confirm", tag = "auth", request_body = larder_app::auth::ConfirmSignUpCommand, responses((status = 201, description = "The email is verified: tenant and owner created (log in with the sign-up's password, or, when `existing_account`, the account's own)", body = larder_app::auth::Registered), (status = 401, description = "The link is not valid, was used, or has expired", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "The same new email was confirmed twice at once", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this address; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn confirm_sign_up(
    State(s): State<AppState>,
    ApiJson(cmd): ApiJson<larder_app::auth::ConfirmSignUpCommand>,
) -> ApiResult<Response> {
    let r = s.app.confirm_sign_up(cmd).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = larder_app::auth::LoginCommand, responses((status = 200, description = "OK", body = larder_app::TokenPair), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this address; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn login(
    State(s): State<AppState>,
    jar: CookieJar,
    crate::extract::Meta(meta): crate::extract::Meta,
    ApiJson(cmd): ApiJson<LoginCommand>,
) -> ApiResult<Response> {
    let pair = s.app.login(cmd, meta).await?;
    let jar = cookies::with_refresh(jar, &pair.refresh_token, s.cookie_secure);
    Ok((jar, Json(pair)).into_response())
}

/// The refresh token, when not sent as the HttpOnly cookie.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshBody {
    /// The opaque refresh token: the tenant's id in hex, a dot, 43 base64url characters.
    #[schema(pattern = "^[0-9a-f]{32}\\.[A-Za-z0-9_-]{43}$")]
    refresh_token: Option<String>,
}

/// Whether `t` has the refresh token's documented shape: 32 hex digits, a dot, 43 base64url
/// characters.
fn is_refresh_shaped(t: &str) -> bool {
    t.split_once('.').is_some_and(|(tenant, secret)| {
        tenant.len() == 32
            && tenant
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            && secret.len() == 43
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The refresh token from the body, else the cookie.
///
/// # Errors
/// 422 on `refresh_token` when the body's is not shaped as one; 401 when there is none.
fn refresh_token(jar: &CookieJar, body: Option<RefreshBody>) -> Result<String, ApiError> {
    if let Some(t) = body.as_ref().and_then(|b| b.refresh_token.as_deref())
        && !is_refresh_shaped(t)
    {
        return Err(ApiError(AppError::invalid(
            "refresh_token",
            "is not a refresh token this server issued",
        )));
    }
    body.and_then(|b| b.refresh_token)
        .or_else(|| jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()))
        .ok_or(ApiError(AppError::Unauthenticated("missing refresh token")))
}

#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = Option<RefreshBody>, responses((status = 200, description = "A new pair; the presented token is spent", body = larder_app::TokenPair), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this address; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn refresh(
    State(s): State<AppState>,
    jar: CookieJar,
    body: Option<ApiJson<RefreshBody>>,
) -> ApiResult<Response> {
    let token = refresh_token(&jar, body.map(|b| b.0))?;
    let pair = s.app.refresh(&token).await?;
    let jar = cookies::with_refresh(jar, &pair.refresh_token, s.cookie_secure);
    Ok((jar, Json(pair)).into_response())
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = Option<RefreshBody>, responses((status = 204, description = "The session is ended: its refresh tokens are revoked and its access tokens refused from the next request")), security((), ("bearer" = [])))]
pub(crate) async fn logout(
    State(s): State<AppState>,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    body: Option<ApiJson<RefreshBody>>,
) -> ApiResult<Response> {
    // An access token (header or cookie) ends its own session; a refresh token its family.
    // Neither is required: logging out twice, or without a session, is not an error.
    if let Some(access) = crate::extract::access_token(&headers)
        && let Ok(p) = s.app.authenticate(&access).await
    {
        s.app.end_session(p).await?;
    }
    match refresh_token(&jar, body.map(|b| b.0)) {
        Ok(token) => s.app.logout(&token).await?,
        // Logging out without a token, or twice, is not an error.
        Err(ApiError(AppError::Unauthenticated(_))) => {}
        Err(e) => return Err(e),
    }
    Ok((cookies::cleared(jar), StatusCode::NO_CONTENT).into_response())
}

#[utoipa::path(get, path = "/auth/me", tag = "auth", responses((status = 200, description = "OK", body = larder_app::auth::Me), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn me(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(s.app.me(p).await?).into_response())
}

#[utoipa::path(get, path = "/members", tag = "auth", params(larder_app::page::PageQuery), responses((status = 200, description = "The members by email, active or not", body = larder_app::Page<larder_app::auth::members::Member>)), security(("bearer" = [])))]
pub(crate) async fn list_members(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<larder_app::page::PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_members(p, q.limit, q.cursor).await?).into_response())
}

#[utoipa::path(put, path = "/members/{user_id}/role", tag = "auth", params(("user_id" = larder_core::UserId, Path)), request_body = larder_app::auth::members::RoleCommand, responses((status = 200, description = "The member with the new role, in force from their next request", body = larder_app::auth::members::Member), (status = 409, description = "The last active owner cannot be demoted, nor a member limited to some locations made owner or admin", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn set_member_role(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::ApiPath(user): crate::extract::ApiPath<larder_core::UserId>,
    ApiJson(cmd): ApiJson<larder_app::auth::members::RoleCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_member_role(p, user, cmd).await?).into_response())
}

/// Whether a member may log in and act.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActiveBody {
    /// `false` deactivates (their sessions end at once), `true` reactivates.
    active: bool,
}

#[utoipa::path(put, path = "/members/{user_id}/active", tag = "auth", params(("user_id" = larder_core::UserId, Path)), request_body = ActiveBody, responses((status = 200, description = "The member; a deactivated one's sessions are revoked and their next request refused", body = larder_app::auth::members::Member), (status = 409, description = "The last active owner cannot be deactivated", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn set_member_active(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::ApiPath(user): crate::extract::ApiPath<larder_core::UserId>,
    ApiJson(b): ApiJson<ActiveBody>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_member_active(p, user, b.active).await?).into_response())
}

#[utoipa::path(put, path = "/members/{user_id}/locations", tag = "auth", params(("user_id" = larder_core::UserId, Path)), request_body = larder_app::auth::members::LocationsCommand, responses((status = 200, description = "The member, limited to the locations from their next request (`locations: null`: every location)", body = larder_app::auth::members::Member)), security(("bearer" = [])))]
pub(crate) async fn set_member_locations(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::ApiPath(user): crate::extract::ApiPath<larder_core::UserId>,
    ApiJson(cmd): ApiJson<larder_app::auth::members::LocationsCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_member_locations(p, user, cmd).await?).into_response())
}

#[utoipa::path(get, path = "/api-keys", tag = "auth", responses((status = 200, description = "The tenant's API keys, newest first (never their secrets)", body = larder_app::Page<larder_app::auth::api_keys::ApiKey>)), security(("bearer" = [])))]
pub(crate) async fn list_api_keys(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let keys = s.app.list_api_keys(p).await?;
    Ok(Json(larder_app::Page {
        data: keys,
        next_cursor: None,
    })
    .into_response())
}

#[utoipa::path(post, path = "/api-keys", tag = "auth", request_body = larder_app::auth::api_keys::ApiKeyCommand, responses((status = 201, description = "Created; `key` is shown this once", body = larder_app::auth::api_keys::CreatedApiKey)), security(("bearer" = [])))]
pub(crate) async fn create_api_key(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<larder_app::auth::api_keys::ApiKeyCommand>,
) -> ApiResult<Response> {
    let created = s.app.create_api_key(p, cmd).await?;
    let mut res = (StatusCode::CREATED, Json(&created)).into_response();
    if let Ok(v) =
        axum::http::HeaderValue::from_str(&format!("/api/v1/api-keys/{}", created.api_key.id))
    {
        res.headers_mut().insert(axum::http::header::LOCATION, v);
    }
    Ok(res)
}

#[utoipa::path(delete, path = "/api-keys/{id}", tag = "auth", params(("id" = larder_core::ApiKeyId, Path)), responses((status = 204, description = "Revoked: refused from the next request")), security(("bearer" = [])))]
pub(crate) async fn revoke_api_key(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::ApiPath(id): crate::extract::ApiPath<larder_core::ApiKeyId>,
) -> ApiResult<Response> {
    s.app.revoke_api_key(p, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(post, path = "/auth/totp/setup", tag = "auth", request_body = larder_app::auth::totp::TotpSetupCommand, responses((status = 200, description = "A new secret, pending until confirmed with a code", body = larder_app::auth::totp::TotpSetup), (status = 409, description = "Two-factor authentication is already on", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn totp_setup(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<larder_app::auth::totp::TotpSetupCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.totp_setup(p, cmd).await?).into_response())
}

#[utoipa::path(post, path = "/auth/totp/confirm", tag = "auth", request_body = larder_app::auth::totp::OneTimeCode, responses((status = 200, description = "On; the recovery codes are shown this once", body = larder_app::auth::totp::RecoveryCodes), (status = 409, description = "Nothing is being set up", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many second-factor attempts for this person; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn totp_confirm(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<larder_app::auth::totp::OneTimeCode>,
) -> ApiResult<Response> {
    Ok(Json(s.app.totp_confirm(p, cmd).await?).into_response())
}

#[utoipa::path(post, path = "/auth/totp/disable", tag = "auth", request_body = larder_app::auth::totp::OneTimeCode, responses((status = 204, description = "Off; the recovery codes are void"), (status = 429, description = "Too many second-factor attempts for this person; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn totp_disable(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<larder_app::auth::totp::OneTimeCode>,
) -> ApiResult<Response> {
    s.app.totp_disable(p, cmd).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(put, path = "/tenant/mfa", tag = "auth", request_body = larder_app::auth::totp::MfaPolicy, responses((status = 200, description = "The rule; owners and admins without a verified second factor may then only set one up", body = larder_app::auth::totp::MfaPolicy)), security(("bearer" = [])))]
pub(crate) async fn set_mfa_policy(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<larder_app::auth::totp::MfaPolicy>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_mfa_policy(p, cmd).await?).into_response())
}

#[utoipa::path(post, path = "/auth/password-reset/request", tag = "auth", request_body = larder_app::auth::reset::ResetRequest, responses((status = 202, description = "Accepted, whether or not the email has an account"), (status = 429, description = "Too many attempts from this address; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn request_password_reset(
    State(s): State<AppState>,
    ApiJson(cmd): ApiJson<larder_app::auth::reset::ResetRequest>,
) -> ApiResult<Response> {
    s.app.request_password_reset(cmd).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = larder_app::auth::reset::ResetCommand, responses((status = 204, description = "The password is set; every session of the account is ended"), (status = 401, description = "The link is not valid, was used, or has expired", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this address; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn reset_password(
    State(s): State<AppState>,
    ApiJson(cmd): ApiJson<larder_app::auth::reset::ResetCommand>,
) -> ApiResult<Response> {
    s.app.reset_password(cmd).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A person to add to the caller's tenant.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberBody {
    email: larder_core::Email,
    name: larder_core::Name,
    /// The password of a new person; a person who already has an account keeps theirs.
    password: larder_core::Password,
    role: Role,
}

#[utoipa::path(post, path = "/members", tag = "auth", request_body = MemberBody, responses((status = 201, description = "Member added"), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 429, description = "Too many attempts from this address; retry after `Retry-After` seconds", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn add_member(
    State(s): State<AppState>,
    Auth(p): Auth,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Response> {
    // Adding a member touches accounts across tenants: limited per address like login, after
    // authentication (an anonymous request is a 401, not a 429).
    s.auth_attempt(peer.ip())?;
    let id = s
        .app
        .add_member(p, &b.email, &b.name, &b.password, b.role)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "user_id": id, "role": b.role })),
    )
        .into_response())
}
