//! auth pages: the login form and logging out. Neither needs a session; both refuse forms
//! posted from another site ([`SameOrigin`]), and login attempts count against the same
//! per-address limit as the API's ([`crate::AUTH_ATTEMPTS_PER_MINUTE`]).

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use larder_app::AppError;
use larder_app::auth::LoginCommand;
use serde::Deserialize;

use super::error::{PageError, render};
use super::session::SameOrigin;
use crate::extract::REFRESH_COOKIE;
use crate::{AppState, cookies};

/// `GET /login`, `POST /login`, `POST /logout`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

/// One login attempt from the client's address, counted before the form is read; past the
/// limit the page answers 429 with `Retry-After`. The address is the TCP peer's.
struct LoginAttempt;

impl FromRequestParts<AppState> for LoginAttempt {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        state
            .auth_attempt(ip)
            .map(|()| LoginAttempt)
            .map_err(PageError)
    }
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    error: Option<String>,
    email: String,
    tenant: String,
}

async fn login_form() -> Result<Response, PageError> {
    render(&LoginPage {
        error: None,
        email: String::new(),
        tenant: String::new(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    one_time_code: String,
}

/// The form as the login use case takes it; a field that breaks the text policy is a 422 on it.
fn login_command(f: &LoginForm) -> Result<LoginCommand, AppError> {
    let invalid = |field: &'static str| {
        move |e: larder_core::TextError| AppError::invalid(field, e.to_string())
    };
    let tenant = f.tenant.trim();
    Ok(LoginCommand {
        email: larder_core::Email::parse(&f.email).map_err(invalid("email"))?,
        password: larder_core::Password::parse(&f.password).map_err(invalid("password"))?,
        tenant: if tenant.is_empty() {
            None
        } else {
            Some(larder_core::Name::parse(tenant).map_err(invalid("tenant"))?)
        },
        one_time_code: Some(f.one_time_code.trim().to_owned()).filter(|c| !c.is_empty()),
    })
}

/// Sets the session cookies and goes to the dashboard; a wrong password or an ambiguous
/// tenant shows the form again (401) with what was typed, but not the password.
async fn login(
    _: SameOrigin,
    _: LoginAttempt,
    State(s): State<AppState>,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let result = match login_command(&f) {
        Ok(cmd) => s.app.login(cmd).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(pair) => {
            let jar = cookies::with_access(
                cookies::with_refresh(jar, &pair.refresh_token, s.cookie_secure),
                &pair.access_token,
                s.cookie_secure,
            );
            Ok((jar, Redirect::to("/")).into_response())
        }
        Err(
            e
            @ (AppError::Unauthenticated(_) | AppError::MfaRequired | AppError::Validation { .. }),
        ) => {
            let mut res = render(&LoginPage {
                error: Some(e.to_string()),
                email: f.email,
                tenant: f.tenant,
            })?;
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// Revokes the refresh token's family, clears both cookies and goes to the login page; without
/// a session it only does the last two.
async fn logout(
    _: SameOrigin,
    State(s): State<AppState>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if let Some(token) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) {
        s.app.logout(&token).await?;
    }
    // A copy of the access cookie stops working too, not only when it expires.
    if let Some(access) = jar
        .get(crate::extract::ACCESS_COOKIE)
        .map(|c| c.value().to_owned())
        && let Ok(p) = s.app.authenticate(&access).await
    {
        s.app.end_session(p).await?;
    }
    Ok((cookies::cleared(jar), Redirect::to("/login")).into_response())
}
