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
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
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
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            larder_app::AppError::RateLimited(wait.as_secs().max(1))
        })
    }
}

/// The whole application: API, UI, health, metrics, with tracing, a 30 s timeout, a 16 MiB
/// body limit and panic recovery.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router(state.clone()))
        .merge(ui::router())
        .merge(ops::router())
        .layer(axum::middleware::from_fn(ops::track_metrics))
        // Pages carry no script and are never framed; nothing is sniffed or cached by proxies.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(RequestBodyLimitLayer::new(16 * 1024 * 1024))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
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
