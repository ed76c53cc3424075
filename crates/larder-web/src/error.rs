//! The one place errors become HTTP answers: RFC 9457 problem+json with a stable `type` per
//! kind. 5xx answers carry no internal detail; their cause is logged.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use larder_app::AppError;
use serde::Serialize;

/// An error answered as problem+json.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    /// Every bad row of an uploaded file, by line and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [larder_app::sales::RowError]>,
}

impl ApiError {
    /// Status, stable problem type and title for the error.
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match &self.0 {
            AppError::Validation { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/validation",
                "Invalid request",
            ),
            AppError::InvalidRows(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/validation",
                "Invalid request",
            ),
            AppError::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                "/problems/unauthenticated",
                "Not authenticated",
            ),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "/problems/forbidden", "Not allowed"),
            AppError::MfaRequired => (
                StatusCode::UNAUTHORIZED,
                "/problems/mfa-required",
                "One-time code required",
            ),
            AppError::MfaSetupRequired => (
                StatusCode::FORBIDDEN,
                "/problems/mfa-setup-required",
                "Two-factor authentication required",
            ),
            AppError::LocationLimited(_) => (
                StatusCode::FORBIDDEN,
                "/problems/location-limited",
                "Limited to some locations",
            ),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "/problems/not-found", "Not found"),
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "/problems/conflict", "Conflict"),
            AppError::IdempotencyMismatch => (
                StatusCode::CONFLICT,
                "/problems/idempotency-key-reused",
                "Idempotency-Key reused",
            ),
            AppError::PreconditionFailed(_) => (
                StatusCode::PRECONDITION_FAILED,
                "/problems/stale-version",
                "Stale version",
            ),
            AppError::RateLimited(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/rate-limited",
                "Too many attempts",
            ),
            AppError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "/problems/unavailable",
                "Service unavailable",
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "/problems/internal",
                "Internal error",
            ),
        }
    }
}

/// A problem+json answer: `status`, its stable `kind` and `title`, what happened, and the
/// field at fault when there is one.
pub fn problem(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: String,
    field: Option<&str>,
) -> Response {
    problem_with_rows(status, kind, title, detail, field, None)
}

/// [`problem`] with every bad row of an uploaded file (`errors`).
fn problem_with_rows(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: String,
    field: Option<&str>,
    errors: Option<&[larder_app::sales::RowError]>,
) -> Response {
    let body = serde_json::to_vec(&Problem {
        kind,
        title,
        status: status.as_u16(),
        detail,
        field,
        errors,
    })
    .unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

/// The media type of every API error.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.parts();
        let detail = if status.is_server_error() {
            if matches!(self.0, AppError::Unavailable(_)) {
                tracing::warn!(error = ?self.0, "request failed");
            } else {
                tracing::error!(error = ?self.0, "request failed");
            }
            "the server could not complete the request".to_owned()
        } else {
            self.0.to_string()
        };
        let field = match &self.0 {
            AppError::Validation { field, .. } | AppError::Conflict { field, .. } => {
                Some(field.as_str())
            }
            AppError::InvalidRows(_) => Some("file"),
            _ => None,
        };
        let rows = match &self.0 {
            AppError::InvalidRows(rows) => Some(rows.as_slice()),
            _ => None,
        };
        let mut res = problem_with_rows(status, kind, title, detail, field, rows);
        let retry_after = match &self.0 {
            AppError::RateLimited(secs) => Some(*secs),
            // Overload and timeouts pass; a second is a fair first wait.
            AppError::Unavailable(_) => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The problem type and title of an error status that did not come from a use case: a route
/// or method that does not exist, a body over the limit or of another media type, a request
/// that took too long.
fn http_problem(status: StatusCode) -> (&'static str, &'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("/problems/not-found", "Not found", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "/problems/method-not-allowed",
            "Method not allowed",
            "the resource does not answer this method; see the Allow header",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "/problems/body-too-large",
            "Body too large",
            "the request body is larger than the limit of 1 MiB",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "/problems/unsupported-media-type",
            "Unsupported media type",
            "the body must be application/json",
        ),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => (
            "/problems/unavailable",
            "Service unavailable",
            "the request took too long or the server is busy; retry later",
        ),
        _ => ("/problems/http", "Request failed", "the request failed"),
    }
}

/// Turns an error answer that is not problem+json already (axum's own 404 and 405, the body
/// limit's 413, the timeout) into one, keeping its status and headers (`Allow`).
pub async fn problem_for_bare_errors(res: Response) -> Response {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return res;
    }
    // A timeout is reported as 503, which the OpenAPI document lists for every operation.
    let status = if status == StatusCode::REQUEST_TIMEOUT {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        status
    };
    let (kind, title, detail) = http_problem(status);
    let (mut parts, _) = res.into_parts();
    let fresh = problem(status, kind, title, detail.to_owned(), None);
    let (fresh_parts, body) = fresh.into_parts();
    parts.status = status;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if status == StatusCode::SERVICE_UNAVAILABLE && !parts.headers.contains_key(header::RETRY_AFTER)
    {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    drop(fresh_parts);
    Response::from_parts(parts, body)
}

/// The problem+json body, for the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDoc {
    /// Stable problem type, such as `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short title.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened (no internal detail on 5xx).
    pub detail: String,
    /// The field at fault (validation and conflict problems; `file` for bad rows).
    pub field: Option<String>,
    /// Every bad row of an uploaded file by line and column (an invoice import).
    pub errors: Option<Vec<larder_app::sales::RowError>>,
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;
