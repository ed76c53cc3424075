//! `/auth`: register, login, refresh, logout, me; `/members`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use larder_app::AppError;
use larder_app::auth::{LoginCommand, RegisterCommand};
use larder_core::auth::Role;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Auth, REFRESH_COOKIE};
use crate::{AppState, cookies};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/members", post(add_member))
}

async fn register(
    State(s): State<AppState>,
    ApiJson(cmd): ApiJson<RegisterCommand>,
) -> ApiResult<Response> {
    let r = s.app.register(cmd).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

async fn login(
    State(s): State<AppState>,
    jar: CookieJar,
    ApiJson(cmd): ApiJson<LoginCommand>,
) -> ApiResult<Response> {
    let pair = s.app.login(cmd).await?;
    let jar = cookies::with_refresh(jar, &pair.refresh_token, s.cookie_secure);
    Ok((jar, Json(pair)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: Option<String>,
}

fn refresh_token(jar: &CookieJar, body: Option<RefreshBody>) -> Result<String, ApiError> {
    body.and_then(|b| b.refresh_token)
        .or_else(|| jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()))
        .ok_or(ApiError(AppError::Unauthenticated("missing refresh token")))
}

async fn refresh(
    State(s): State<AppState>,
    jar: CookieJar,
    body: Option<ApiJson<RefreshBody>>,
) -> ApiResult<Response> {
    let token = refresh_token(&jar, body.map(|b| b.0))?;
    let pair = s.app.refresh(&token).await?;
    let jar = cookies::with_refresh(jar, &pair.refresh_token, s.cookie_secure);
    Ok((jar, Json(pair)).into_response())
}

async fn logout(
    State(s): State<AppState>,
    jar: CookieJar,
    body: Option<ApiJson<RefreshBody>>,
) -> ApiResult<Response> {
    if let Ok(token) = refresh_token(&jar, body.map(|b| b.0)) {
        s.app.logout(&token).await?;
    }
    Ok((cookies::cleared(jar), StatusCode::NO_CONTENT).into_response())
}

async fn me(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(s.app.me(p).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberBody {
    email: String,
    name: String,
    password: String,
    role: Role,
}

async fn add_member(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<Response> {
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
