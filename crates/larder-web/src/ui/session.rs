//! The browser session: who is asking, from the HttpOnly cookies, and the same-origin rule that
//! stands in for CSRF tokens.
//!
//! The access and refresh tokens live in HttpOnly, SameSite=Strict cookies, so other sites'
//! forms and links never carry them. On top of that, every request that may change state (any
//! method but GET, HEAD, OPTIONS and TRACE) must come from our own origin: its `Origin` header,
//! when sent, must name the `Host` it was sent to. Together they stop CSRF without tokens.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use larder_app::Principal;

use crate::extract::{ACCESS_COOKIE, REFRESH_COOKIE};
use crate::{AppState, cookies};

/// The signed-in person of a page, from the access cookie; pages take it instead of reading
/// cookies themselves.
///
/// - A state-changing request from another origin is refused with a bare 403 before any
///   cookie is read (see [`SameOrigin`]).
/// - A valid access cookie yields its principal.
/// - Without one, a valid refresh cookie is rotated: the answer is a `307 Temporary Redirect`
///   to the same URL carrying the new cookies, so the browser repeats the request signed in
///   (one extra round trip when the 15-minute access token has expired).
/// - Otherwise the answer is `303 See Other` to `/login`.
pub struct Session(pub Principal);

/// Why a page request has no session, and what the browser is told.
#[derive(Debug)]
pub enum SessionRejection {
    /// No valid access or refresh cookie: `303 See Other` to `/login`.
    Login,
    /// The refresh cookie was rotated: `307 Temporary Redirect` to `location` (the request's
    /// own path and query) with the new cookies in `jar`.
    Renewed {
        /// The cookie jar with the new access and refresh cookies.
        jar: CookieJar,
        /// Where to repeat the request.
        location: String,
    },
    /// A state-changing request from another origin: 403.
    CrossOrigin,
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Login => Redirect::to("/login").into_response(),
            Self::Renewed { jar, location } => {
                (jar, Redirect::temporary(&location)).into_response()
            }
            Self::CrossOrigin => StatusCode::FORBIDDEN.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !SameOrigin::allows(parts) {
            return Err(SessionRejection::CrossOrigin);
        }
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(access) = jar.get(ACCESS_COOKIE).map(|c| c.value().to_owned())
            && let Ok(p) = state.app.authenticate(&access).await
        {
            return Ok(Session(p.with_request(crate::extract::request_meta(parts))));
        }
        if let Some(token) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned())
            && let Ok(pair) = state.app.refresh(&token).await
            && state.app.authenticate(&pair.access_token).await.is_ok()
        {
            let jar = cookies::with_access(
                cookies::with_refresh(jar, &pair.refresh_token, state.cookie_secure),
                &pair.access_token,
                state.cookie_secure,
            );
            return Err(SessionRejection::Renewed {
                jar,
                location: same_url(parts),
            });
        }
        Err(SessionRejection::Login)
    }
}

/// The request's own path and query, as a redirect target on this site. A path that a browser
/// would read as another host (`//evil.example`, `/\evil.example`) becomes `/`.
fn same_url(parts: &Parts) -> String {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |u| &u.0);
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    if !target.starts_with('/') || target.starts_with("//") || target.contains('\\') {
        return "/".to_owned();
    }
    target.to_owned()
}

/// Passes requests that cannot change state, and the others only when they come from our own
/// origin; refuses the rest with a bare 403. For forms that need no session (login, logout);
/// [`Session`] applies the same rule.
pub struct SameOrigin;

impl SameOrigin {
    /// Whether the request is safe (GET, HEAD, OPTIONS, TRACE) or comes from our own origin.
    fn allows(parts: &Parts) -> bool {
        parts.method.is_safe() || same_origin(&parts.headers)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if Self::allows(parts) {
            Ok(SameOrigin)
        } else {
            Err(StatusCode::FORBIDDEN)
        }
    }
}

/// Whether the `Origin` header, when there is one, names the `Host` the request was sent to.
/// Browsers send `Origin` on every cross-origin POST, so its absence means a same-origin form
/// of an older browser, or a client that is not a browser and carries no ambient cookies.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin.split_once("://").is_some_and(|(_, h)| h == host)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, Request};

    use super::*;

    fn parts(method: Method, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_state_changing_requests_from_other_sites_are_refused() {
        let host = ("host", "larder.example:8080");
        let ours = ("origin", "https://larder.example:8080");
        let theirs = ("origin", "https://evil.example");
        assert!(SameOrigin::allows(&parts(Method::POST, "/", &[host, ours])));
        assert!(SameOrigin::allows(&parts(Method::POST, "/", &[host])));
        assert!(!SameOrigin::allows(&parts(
            Method::POST,
            "/",
            &[host, theirs]
        )));
        assert!(!SameOrigin::allows(&parts(
            Method::DELETE,
            "/",
            &[host, theirs]
        )));
        assert!(!SameOrigin::allows(&parts(
            Method::POST,
            "/",
            &[host, ("origin", "null")]
        )));
        assert!(SameOrigin::allows(&parts(
            Method::GET,
            "/",
            &[host, theirs]
        )));
        assert!(SameOrigin::allows(&parts(
            Method::HEAD,
            "/",
            &[host, theirs]
        )));
    }

    #[test]
    fn a_renewed_session_repeats_the_same_request_and_never_leaves_the_site() {
        assert_eq!(
            same_url(&parts(Method::GET, "/items?q=rice&cursor=abc", &[])),
            "/items?q=rice&cursor=abc"
        );
        assert_eq!(same_url(&parts(Method::GET, "//evil.example/", &[])), "/");
        assert_eq!(same_url(&parts(Method::GET, "/\\evil.example/", &[])), "/");
        let res = SessionRejection::Renewed {
            jar: CookieJar::new(),
            location: "/recipes".into(),
        }
        .into_response();
        assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(res.headers()[header::LOCATION], "/recipes");
        let res = SessionRejection::Login.into_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[header::LOCATION], "/login");
    }
}
