//! Extractors: the authenticated principal, JSON and query bodies whose rejections use our
//! problem format and name the field, the `Idempotency-Key` and `If-Match` headers.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
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
/// (the web UI; see [`crate::ui`] for its CSRF rules). A request that changes state on the
/// strength of the cookie alone must come from our own origin (403 otherwise): a page of
/// another origin cannot send one in the caller's name, even as a "simple" request (a form
/// post, a body-less POST) that no CORS preflight stops.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = access_token(&parts.headers)
            .ok_or(ApiError(AppError::Unauthenticated("missing bearer token")))?;
        let by_cookie = !parts.headers.contains_key(header::AUTHORIZATION);
        if by_cookie && !parts.method.is_safe() && !crate::ui::session::same_origin(&parts.headers)
        {
            return Err(ApiError(AppError::Forbidden(
                "a cookie-authenticated change from another origin",
            )));
        }
        state
            .app
            .authenticate(&token)
            .await
            .map(|p| Auth(p.with_request(request_meta(parts))))
            .map_err(ApiError)
    }
}

/// The id [`crate::request_ids`] gave a request.
#[derive(Clone, Copy, Debug)]
pub struct RequestId(pub uuid::Uuid);

/// Where a request came from, for the audit log: its [`RequestId`] and the TCP peer's address.
pub fn request_meta(parts: &Parts) -> larder_app::audit::RequestMeta {
    larder_app::audit::RequestMeta {
        request_id: parts.extensions.get::<RequestId>().map(|r| r.0),
        client: parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip()),
    }
}

/// [`request_meta`] as an extractor, for the handlers that act before anyone is authenticated
/// (login).
pub struct Meta(pub larder_app::audit::RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(request_meta(parts)))
    }
}

/// The largest request body the API reads: 1 MiB (a sale of 500 lines is about 100 KiB).
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// The access token of a request: `Authorization: Bearer`, else the UI's access cookie.
pub fn access_token(headers: &axum::http::HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .map(str::to_owned);
    bearer.or_else(|| {
        CookieJar::from_headers(headers)
            .get(ACCESS_COOKIE)
            .map(|c| c.value().to_owned())
    })
}

/// Whether the `Content-Type`'s media type (before any `;` parameters) is one `accepts` takes.
fn media_type_is(headers: &axum::http::HeaderMap, accepts: impl Fn(&str) -> bool) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| accepts(v.split(';').next().unwrap_or("").trim()))
}

/// The 415 problem: the body must be `wanted`.
fn unsupported_media_type(wanted: &str) -> Response {
    crate::error::problem(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "/problems/unsupported-media-type",
        "Unsupported media type",
        format!("the body must be {wanted}"),
        Some("content-type"),
    )
}

/// The body, at most [`BODY_LIMIT_BYTES`]: a larger one is a 413, a broken one a 422.
async fn read_limited<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, Response> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                body_too_large()
            } else {
                ApiError(AppError::invalid("body", e.body_text())).into_response()
            }
        })
}

/// The 413 problem for a body over [`BODY_LIMIT_BYTES`].
fn body_too_large() -> Response {
    crate::error::problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "/problems/body-too-large",
        "Body too large",
        format!("the request body is larger than the limit of {BODY_LIMIT_BYTES} bytes"),
        Some("body"),
    )
}

/// A JSON body; a malformed one is a 422 naming the field (`lines[2].quantity`), another media
/// type a 415, a body over [`BODY_LIMIT_BYTES`] a 413, all problem+json.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !media_type_is(req.headers(), |essence| {
            essence.eq_ignore_ascii_case("application/json")
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        }) {
            return Err(unsupported_media_type("application/json"));
        }
        let bytes = read_limited(req, state).await?;
        // Every body the API takes is a JSON object; serde would also read a struct from an
        // array of its fields in order, which the document does not allow.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(
                ApiError(AppError::invalid("body", "must be a JSON object")).into_response()
            );
        }
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
                ApiError(AppError::invalid(field, msg)).into_response()
            })
    }
}

/// A `text/csv` body, as bytes (at most [`BODY_LIMIT_BYTES`]): another media type is a 415 and
/// a larger body a 413, both problem+json. Whether it is UTF-8 CSV is the use case's to say,
/// naming the line.
pub struct ApiCsv(pub Vec<u8>);

impl<S: Send + Sync> FromRequest<S> for ApiCsv {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !media_type_is(req.headers(), |essence| {
            essence.eq_ignore_ascii_case("text/csv")
        }) {
            return Err(unsupported_media_type("text/csv"));
        }
        Ok(ApiCsv(read_limited(req, state).await?.to_vec()))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    /// No body, an empty one or JSON `null` is `None`.
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
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, BODY_LIMIT_BYTES)
            .await
            .map_err(|_| body_too_large())?;
        let absent = std::str::from_utf8(&bytes)
            .map(str::trim)
            .is_ok_and(|t| t.is_empty() || t == "null");
        if absent {
            return Ok(None);
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// Path parameters (ids); a malformed one is a 422 naming the parameter, as problem+json.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::Path;
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                // A single parameter (`/items/{id}`) is deserialized without its name; the
                // route's raw parameters still know it.
                let only = axum::extract::RawPathParams::from_request_parts(parts, state)
                    .await
                    .ok()
                    .and_then(|raw| {
                        let mut keys = raw.iter().map(|(k, _)| k.to_owned());
                        let first = keys.next();
                        if keys.next().is_none() { first } else { None }
                    });
                let field = match (e.kind(), only) {
                    (
                        ErrorKind::ParseErrorAtKey { key, .. }
                        | ErrorKind::InvalidUtf8InPathParam { key },
                        _,
                    ) => key.clone(),
                    (_, Some(key)) => key,
                    _ => "path".to_owned(),
                };
                Err(ApiError(AppError::invalid(field, "is not a valid id")))
            }
            Err(e) => Err(ApiError(AppError::invalid("path", e.body_text()))),
        }
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

/// Deserializes a query string, naming the parameter at fault (`limit`, `q`).
fn serde_urlencoded_from<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "query".to_owned()
        } else {
            path
        };
        ApiError(AppError::invalid(field, e.into_inner().to_string()))
    })
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

/// The largest upload a POS export import takes through HTTP: 64 MiB (about 1.4 million
/// lines of the takeaway's layout). The import keeps a few dozen bytes per ticket while it
/// reads, so this bounds its memory; larger files go through `larder import sales`, which has
/// no limit.
pub const UPLOAD_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// How long an upload may pause between two chunks of its body.
pub const UPLOAD_STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// Imports through HTTP running at once in this process: each holds a spooled file on disk
/// and, while it reads, a few dozen bytes per ticket.
pub const UPLOAD_CONCURRENCY: usize = 2;

static UPLOADS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(UPLOAD_CONCURRENCY);

/// A turn among [`UPLOAD_CONCURRENCY`] uploads, held until dropped.
///
/// # Errors
/// 503 (`Retry-After`) when none is free within five seconds.
pub async fn upload_turn() -> Result<tokio::sync::SemaphorePermit<'static>, AppError> {
    match tokio::time::timeout(std::time::Duration::from_secs(5), UPLOADS.acquire()).await {
        Ok(Ok(turn)) => Ok(turn),
        _ => Err(AppError::Unavailable(
            "other imports are running; retry shortly".into(),
        )),
    }
}

/// A CSV upload spooled to a temporary file (deleted when dropped), so the import can read it
/// twice without holding it in memory.
pub struct Upload {
    /// The file.
    pub file: tempfile::TempPath,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Why an upload was refused.
fn upload_problem(status: StatusCode, kind: &str, title: &str, detail: String) -> Response {
    crate::error::problem(status, kind, title, detail, Some("body"))
}

/// The 413 for an upload over [`UPLOAD_LIMIT_BYTES`].
pub fn upload_too_large() -> Response {
    upload_problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "/problems/body-too-large",
        "Body too large",
        format!(
            "the file is larger than the upload limit of {} MiB: split it, or import it with `larder import sales`",
            UPLOAD_LIMIT_BYTES / (1024 * 1024)
        ),
    )
}

/// Reads a CSV upload to a temporary file: the body must be `text/csv`, not larger than
/// [`UPLOAD_LIMIT_BYTES`] (refused up front on its `Content-Length`, or as soon as it grows
/// past it), not empty, and keep coming (a pause longer than [`UPLOAD_STALL`] ends it). Memory
/// stays at one chunk of the body. Callers check the caller's permission first and hold an
/// [`upload_turn`].
///
/// # Errors
/// 415 for another media type, 413 over the limit, 422 on `body` when empty, when it stops
/// before its end or stalls, 500 when the temporary file cannot be written.
pub async fn spool(req: Request) -> Result<Upload, Response> {
    use http_body_util::BodyExt as _;
    use tokio::io::AsyncWriteExt as _;
    // Only text/csv: unlike text/plain it is not a CORS-safelisted type, so no page of another
    // origin can send an upload without a preflight.
    if !media_type_is(req.headers(), |essence| {
        essence.eq_ignore_ascii_case("text/csv")
    }) {
        return Err(unsupported_media_type("a CSV file (text/csv)"));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > UPLOAD_LIMIT_BYTES) {
        return Err(upload_too_large());
    }
    let failed = |e: std::io::Error| {
        ApiError(AppError::Internal(format!("spooling an upload: {e}"))).into_response()
    };
    let temp = tempfile::NamedTempFile::new().map_err(failed)?;
    let (std_file, path) = temp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let mut body = req.into_body();
    let mut bytes = 0u64;
    loop {
        let next = tokio::time::timeout(UPLOAD_STALL, body.frame())
            .await
            .map_err(|_| {
                ApiError(AppError::invalid(
                    "body",
                    format!(
                        "the upload stalled (nothing for {} s)",
                        UPLOAD_STALL.as_secs()
                    ),
                ))
                .into_response()
            })?;
        let Some(frame) = next else { break };
        let frame = frame.map_err(|e| {
            ApiError(AppError::invalid(
                "body",
                format!("the upload broke off: {e}"),
            ))
            .into_response()
        })?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        bytes += chunk.len() as u64;
        if bytes > UPLOAD_LIMIT_BYTES {
            return Err(upload_too_large());
        }
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)?;
    if bytes == 0 {
        return Err(ApiError(AppError::invalid("body", "the file is empty")).into_response());
    }
    Ok(Upload { file: path, bytes })
}
