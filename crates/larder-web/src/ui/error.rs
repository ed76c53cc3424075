//! Page errors: the API's mapping ([`ApiError::parts`] and its headers, such as `Retry-After`
//! on 429) shown as an HTML page with the problem's title and a human, escaped detail. 5xx
//! pages carry no internal detail; the cause is logged once, by the API's mapping. A page
//! that finds the session gone (401) sends the browser to the login page instead.

use askama::Template;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use larder_app::AppError;

use crate::error::ApiError;

/// An error a page answers with: a [`larder_app::AppError`] shown as HTML with the status,
/// problem type and title the API gives it (409 stays 409, 412 stays 412, 429 carries
/// `Retry-After`, 503 stays 503).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    kind: &'a str,
    title: &'a str,
    detail: String,
}

/// What the page says happened: the use case's words for a client error, a fixed sentence
/// for a server error (whose message is for the logs only).
fn detail(e: &AppError, status: StatusCode) -> String {
    match e {
        AppError::NotFound(what) => format!("That {what} does not exist."),
        AppError::Forbidden(p) => format!("Your role lacks {p}."),
        AppError::Unavailable(_) => {
            "Larder cannot reach its database just now; try again in a moment.".to_owned()
        }
        _ if status.is_server_error() => "Something went wrong; it has been logged.".to_owned(),
        other => other.to_string(),
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Unauthenticated(_) = self.0 {
            return Redirect::to("/login").into_response();
        }
        let api = ApiError(self.0);
        let (status, kind, title) = api.parts();
        let page = ErrorPage {
            status: status.as_u16(),
            kind,
            title,
            detail: detail(&api.0, status),
        };
        let html = page.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "the error page failed to render");
            format!("<!doctype html><title>{title}</title><h1>{title}</h1>")
        });
        // The API's answer gives the status and headers (Retry-After, ...) and logs a 5xx with
        // its cause; the page replaces its problem+json body.
        let (mut parts, _) = api.into_response().into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Response::from_parts(parts, Body::from(html))
    }
}

/// Renders a page template, or answers 500 when it cannot.
///
/// # Errors
/// [`PageError`] wrapping [`AppError::Internal`] when the template fails.
pub fn render(t: &impl Template) -> Result<Response, PageError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError(AppError::Internal(format!("template failed: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn page(e: AppError) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = PageError(e).into_response();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    fn is_html(h: &axum::http::HeaderMap) -> bool {
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    }

    #[tokio::test]
    async fn a_conflict_is_a_409_conflict_page_with_the_escaped_detail() {
        let (status, headers, html) =
            page(AppError::conflict("sku", "<b>RICE-5</b> is already taken")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(is_html(&headers));
        assert!(html.contains("<h1>Conflict</h1>"), "{html}");
        assert!(
            html.contains("data-problem-type=\"/problems/conflict\""),
            "{html}"
        );
        assert!(
            html.contains("sku: &#60;b&#62;RICE-5&#60;/b&#62; is already taken")
                || html.contains("sku: &lt;b&gt;RICE-5&lt;/b&gt; is already taken"),
            "{html}"
        );
        assert!(!html.contains("<b>RICE-5"), "{html}");
    }

    #[tokio::test]
    async fn a_stale_version_is_a_412_page() {
        let (status, headers, html) = page(AppError::PreconditionFailed("recipe")).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED);
        assert!(is_html(&headers));
        assert!(html.contains("<h1>Stale version</h1>"), "{html}");
        assert!(
            html.contains("recipe was changed by someone else"),
            "{html}"
        );
    }

    #[tokio::test]
    async fn too_many_attempts_is_a_429_page_with_retry_after() {
        let (status, headers, html) = page(AppError::RateLimited(17)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers[header::RETRY_AFTER], "17");
        assert!(is_html(&headers));
        assert!(html.contains("<h1>Too many attempts</h1>"), "{html}");
        assert!(html.contains("try again in 17 seconds"), "{html}");
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_503_page_without_its_detail() {
        let (status, headers, html) = page(AppError::Unavailable(
            "connection refused by 10.1.2.3:5432".into(),
        ))
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(is_html(&headers));
        assert!(html.contains("<h1>Service unavailable</h1>"), "{html}");
        assert!(
            !html.contains("10.1.2.3") && !html.contains("refused"),
            "{html}"
        );
    }

    #[tokio::test]
    async fn an_internal_error_page_leaks_nothing() {
        let (status, _, html) =
            page(AppError::Internal("no such table: secret_things".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(html.contains("<h1>Internal error</h1>"), "{html}");
        assert!(html.contains("it has been logged"), "{html}");
        assert!(!html.contains("secret_things"), "{html}");
    }

    #[tokio::test]
    async fn client_errors_keep_their_status_and_a_lost_session_goes_to_login() {
        for (e, status, title) in [
            (
                AppError::NotFound("item"),
                StatusCode::NOT_FOUND,
                "Not found",
            ),
            (
                AppError::Forbidden("reports.read"),
                StatusCode::FORBIDDEN,
                "Not allowed",
            ),
            (
                AppError::invalid("from", "must be before to"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid request",
            ),
            (
                AppError::IdempotencyMismatch,
                StatusCode::CONFLICT,
                "Idempotency-Key reused",
            ),
        ] {
            let (got, _, html) = page(e).await;
            assert_eq!(got, status);
            assert!(html.contains(&format!("<h1>{title}</h1>")), "{html}");
        }
        let res = PageError(AppError::Unauthenticated("unknown user")).into_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[header::LOCATION], "/login");
    }
}
