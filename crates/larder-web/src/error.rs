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
            AppError::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                "/problems/unauthenticated",
                "Not authenticated",
            ),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "/problems/forbidden", "Not allowed"),
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.parts();
        let detail = if status.is_server_error() {
            tracing::error!(error = ?self.0, "request failed");
            "the server could not complete the request".to_owned()
        } else {
            self.0.to_string()
        };
        let field = match &self.0 {
            AppError::Validation { field, .. } | AppError::Conflict { field, .. } => {
                Some(field.as_str())
            }
            _ => None,
        };
        let body = serde_json::to_vec(&Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
            field,
        })
        .unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let AppError::RateLimited(secs) = &self.0
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
    /// The field at fault (validation and conflict problems).
    pub field: Option<String>,
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;
