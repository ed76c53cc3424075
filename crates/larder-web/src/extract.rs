//! Extractors: the authenticated principal, JSON and query bodies whose rejections use our
//! problem format and name the field, the `Idempotency-Key` and `If-Match` headers.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use larder_app::{AppError, IdempotencyKey, Principal};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The name of the HttpOnly cookie the web UI keeps its access token in.
pub const ACCESS_COOKIE: &str = "larder_access";
/// The name of the HttpOnly cookie holding the refresh token.
pub const REFRESH_COOKIE: &str = "larder_refresh";

/// The caller, from `Authorization: Bearer <access token>` (API clients) or the access cookie
/// (the web UI; see [`crate::ui`] for its CSRF rules).
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .map(str::to_owned);
        let token = match bearer {
            Some(t) => t,
            None => {
                let jar = CookieJar::from_headers(&parts.headers);
                jar.get(ACCESS_COOKIE)
                    .map(|c| c.value().to_owned())
                    .ok_or(ApiError(AppError::Unauthenticated("missing bearer token")))?
            }
        };
        state.app.authenticate(&token).map(Auth).map_err(ApiError)
    }
}

/// A JSON body; a malformed one is a 422 naming the field (`lines[2].quantity`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError(AppError::invalid(
                "content-type",
                "must be application/json",
            )));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError(AppError::invalid("body", e.body_text())))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "body".to_owned() } else { path };
                let inner = e.into_inner();
                let msg = inner.to_string();
                // serde_json appends " at line L column C"; the field name says where.
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                ApiError(AppError::invalid(field, msg))
            })
    }
}

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v == "0")
            || (!req.headers().contains_key(header::CONTENT_TYPE)
                && !req.headers().contains_key(header::TRANSFER_ENCODING));
        if empty {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// Query parameters; a malformed one is a 422.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_from(q).map(ApiQuery)
    }
}

fn serde_urlencoded_from<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| ApiError(AppError::invalid("query", "is malformed")))?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| ApiError(AppError::invalid("query", e.body_text())))
}

/// The optional `Idempotency-Key` header.
pub struct IdemKey(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdemKey(None)),
            Some(v) => {
                let s = v
                    .to_str()
                    .map_err(|_| ApiError(AppError::invalid("Idempotency-Key", "must be ASCII")))?;
                IdempotencyKey::parse(s)
                    .map(|k| IdemKey(Some(k)))
                    .map_err(ApiError)
            }
        }
    }
}

/// The optional `If-Match` header, as a version (`"3"` or `W/"3"`).
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let s = v
            .to_str()
            .unwrap_or("")
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"');
        s.parse::<i64>().map(|n| IfMatch(Some(n))).map_err(|_| {
            ApiError(AppError::invalid(
                "If-Match",
                "must be an ETag this server issued",
            ))
        })
    }
}

/// An `ETag` for a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}
