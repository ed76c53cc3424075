//! Larder's HTTP face: the JSON API (`/api/v1`), the server-rendered web UI (`/`), health and
//! metrics. [`router`] builds the whole application; [`serve`] runs it on a listener the
//! caller bound (tests bind port 0 and read the port back).

mod api;
pub mod error;
pub mod extract;
mod ops;
mod ui;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use larder_app::App;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Whether cookies carry the `Secure` attribute (true unless configured off for plain
    /// HTTP on a non-localhost address).
    pub cookie_secure: bool,
    /// Login, register and refresh attempts per client address.
    auth_limiter: std::sync::Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
}

/// Login, register and token-refresh attempts allowed per client address per minute (a burst
/// of as many, refilled evenly), against password guessing.
pub const AUTH_ATTEMPTS_PER_MINUTE: u32 = 30;

impl AppState {
    /// State over `app`.
    pub fn new(app: App, cookie_secure: bool) -> Self {
        let quota = governor::Quota::per_minute(
            std::num::NonZeroU32::new(AUTH_ATTEMPTS_PER_MINUTE)
                .unwrap_or(std::num::NonZeroU32::MIN),
        );
        Self {
            app,
            cookie_secure,
            auth_limiter: std::sync::Arc::new(governor::RateLimiter::keyed(quota)),
        }
    }

    /// Counts one authentication attempt from `ip`.
    ///
    /// # Errors
    /// [`larder_app::AppError::RateLimited`] with the seconds to wait.
    pub fn auth_attempt(&self, ip: std::net::IpAddr) -> Result<(), larder_app::AppError> {
        use governor::clock::{Clock, DefaultClock};
        self.auth_limiter.check_key(&ip).map_err(|not_until| {
            // Whole seconds, rounded up: the client that waits as long as told gets through.
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            larder_app::AppError::RateLimited(secs.max(1))
        })
    }
}

/// How long a request may take before the server gives up on it with a 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application: API, UI, health, metrics, with tracing, a [`REQUEST_TIMEOUT`], a
/// body limit of [`extract::BODY_LIMIT_BYTES`] and panic recovery. Every error the API answers,
/// its own or one of these layers', is problem+json.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router(state.clone()))
        .merge(ui::router())
        .merge(ops::router())
        .layer(axum::middleware::from_fn(ops::track_metrics))
        // Pages carry no script (the two that run one of the app's own say so themselves:
        // `ui::with_script`) and are never framed; nothing is sniffed or cached by proxies.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(axum::middleware::from_fn(limits))
        .layer(axum::middleware::from_fn(request_ids))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(api_problems))
        .layer(
            // One span and one line per request at INFO. Measured with `larder bench`-style load
            // (16 clients, 25-30 k adjustments/s), turning them off made no difference beyond
            // the run-to-run noise, so operators keep them.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// Whether `path` takes a bulk upload (a POS export): its body is streamed to disk up to
/// [`extract::UPLOAD_LIMIT_BYTES`] by the handler, and the import may take longer than
/// [`REQUEST_TIMEOUT`].
pub(crate) fn is_upload(path: &str) -> bool {
    matches!(path, "/api/v1/sales/imports" | "/sales/import/upload")
}

/// The body limit ([`extract::BODY_LIMIT_BYTES`]: a 413 up front on a larger
/// `Content-Length`, or when the body grows past it) and the [`REQUEST_TIMEOUT`] (a 503), for
/// every request but uploads (see [`is_upload`]).
async fn limits(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if is_upload(req.uri().path()) {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > extract::BODY_LIMIT_BYTES as u64) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let req = req
        .map(|b| axum::body::Body::new(http_body_util::Limited::new(b, extract::BODY_LIMIT_BYTES)));
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Gives every request an id (a UUIDv7, [`extract::RequestId`]): the audit log records it and
/// every answer carries it as `X-Request-Id`, so a record and a client's report can be matched.
/// A client's own `X-Request-Id` is not trusted.
async fn request_ids(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = uuid::Uuid::now_v7();
    req.extensions_mut().insert(extract::RequestId(id));
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Makes every error answer under `/api/` problem+json, whichever layer produced it (an
/// unknown route, a method the route lacks, the body limit, the timeout, a panic).
async fn api_problems(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if is_api {
        error::problem_for_bare_errors(res).await
    } else {
        res
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish.
///
/// # Errors
/// I/O errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Reports (and the dashboard, which holds them) computed at once in this process. Each is
/// bounded (a year of weeks, 100 rows), so this bounds the memory reports can take together.
pub const HEAVY_CONCURRENCY: usize = 4;
/// How long a report waits for a turn before it is answered 503 with `Retry-After`.
pub const HEAVY_WAIT: Duration = Duration::from_secs(5);

static HEAVY: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HEAVY_CONCURRENCY);

/// Runs `next` when a turn among [`HEAVY_CONCURRENCY`] is free within [`HEAVY_WAIT`].
pub(crate) async fn heavy_turn(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, larder_app::AppError> {
    match tokio::time::timeout(HEAVY_WAIT, HEAVY.acquire()).await {
        Ok(Ok(_turn)) => Ok(next.run(req).await),
        _ => Err(larder_app::AppError::Unavailable(
            "too many reports are being computed; retry shortly".into(),
        )),
    }
}

/// [`heavy_turn`] for the API's reports: a 503 problem when none is free.
pub(crate) async fn limit_heavy_api(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    heavy_turn(req, next)
        .await
        .unwrap_or_else(|e| error::ApiError(e).into_response())
}

/// Applies the per-address limit of [`AUTH_ATTEMPTS_PER_MINUTE`] to the authentication routes.
/// The address is the TCP peer's; behind a reverse proxy every client shares the proxy's.
pub(crate) async fn limit_auth(
    axum::extract::State(s): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    match s.auth_attempt(ip) {
        Ok(()) => next.run(req).await,
        Err(e) => error::ApiError(e).into_response(),
    }
}

mod cookies {
    //! The auth cookies: HttpOnly, SameSite=Strict, Secure unless configured off.

    use axum_extra::extract::CookieJar;
    use axum_extra::extract::cookie::{Cookie, SameSite};

    use crate::extract::{ACCESS_COOKIE, REFRESH_COOKIE};

    fn cookie(
        name: &'static str,
        value: String,
        secure: bool,
        max_age_secs: i64,
    ) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .path("/")
            .max_age(time_duration(max_age_secs))
            .build()
    }

    fn time_duration(secs: i64) -> time::Duration {
        time::Duration::seconds(secs)
    }

    /// Adds the refresh cookie.
    pub fn with_refresh(jar: CookieJar, token: &str, secure: bool) -> CookieJar {
        jar.add(cookie(
            REFRESH_COOKIE,
            token.to_owned(),
            secure,
            larder_app::auth::REFRESH_TTL.num_seconds(),
        ))
    }

    /// Adds the access cookie.
    pub fn with_access(jar: CookieJar, token: &str, secure: bool) -> CookieJar {
        jar.add(cookie(
            ACCESS_COOKIE,
            token.to_owned(),
            secure,
            larder_app::auth::ACCESS_TTL.num_seconds(),
        ))
    }

    /// Removes both.
    pub fn cleared(jar: CookieJar) -> CookieJar {
        jar.remove(Cookie::build(ACCESS_COOKIE).path("/"))
            .remove(Cookie::build(REFRESH_COOKIE).path("/"))
    }
}
