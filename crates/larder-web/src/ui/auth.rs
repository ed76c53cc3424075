//! auth pages: the login form and logging out, sign-up, and the [`members`] page. Neither needs a session; both refuse forms
//! posted from another site ([`SameOrigin`]), and login attempts count against the same
//! per-address limit as the API's ([`crate::AUTH_ATTEMPTS_PER_MINUTE`]).

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use larder_app::AppError;
use larder_app::auth::{ConfirmSignUpCommand, LoginCommand, RegisterCommand};
use larder_app::tenancy::{COMMON_CURRENCIES, time_zone_names};
use serde::Deserialize;

use super::error::{PageError, render};
use super::session::SameOrigin;
use super::tenancy::{LocaleForm, cutoff_minutes};
use crate::extract::REFRESH_COOKIE;
use crate::{AppState, cookies};

mod members;

/// `GET /login`, `POST /login`, `POST /logout`, `GET|POST /signup`, `GET|POST /signup/confirm`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/signup", get(signup_form).post(signup))
        .route("/signup/confirm", get(confirm_form).post(confirm))
        .merge(members::router())
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
    crate::extract::Meta(meta): crate::extract::Meta,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let result = match login_command(&f) {
        Ok(cmd) => s.app.login(cmd, meta).await,
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

/// The sign-up form as typed (never the password).
#[derive(Clone, Debug, Default, Deserialize)]
struct SignUpForm {
    tenant_name: String,
    name: String,
    email: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    locale: LocaleForm,
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignUpPage {
    error: Option<String>,
    sent: bool,
    form: SignUpForm,
    locale: LocaleForm,
    currencies: &'static [&'static str],
    time_zones: Vec<&'static str>,
}

impl SignUpPage {
    fn new(form: SignUpForm) -> Self {
        Self {
            error: None,
            sent: false,
            locale: form.locale.clone(),
            form,
            currencies: &COMMON_CURRENCIES,
            time_zones: time_zone_names(),
        }
    }
}

async fn signup_form() -> Result<Response, PageError> {
    render(&SignUpPage::new(SignUpForm::default()))
}

fn register_command(f: &SignUpForm) -> Result<RegisterCommand, AppError> {
    let invalid = |field: &'static str| {
        move |e: larder_core::TextError| AppError::invalid(field, e.to_string())
    };
    Ok(RegisterCommand {
        tenant_name: larder_core::Name::parse(&f.tenant_name).map_err(invalid("tenant_name"))?,
        email: larder_core::Email::parse(&f.email).map_err(invalid("email"))?,
        password: larder_core::Password::parse(&f.password).map_err(invalid("password"))?,
        name: larder_core::Name::parse(&f.name).map_err(invalid("name"))?,
        currency: Some(f.locale.currency.trim().to_owned()),
        time_zone: Some(f.locale.time_zone.trim().to_owned()),
        day_cutoff_minutes: Some(cutoff_minutes(&f.locale.day_cutoff)?),
    })
}

/// Asks for the tenant; the page then says to open the emailed link, the same for every
/// email. A refused field shows the form again (422) with what was typed, but not the password.
async fn signup(
    _: SameOrigin,
    _: LoginAttempt,
    State(s): State<AppState>,
    Form(mut f): Form<SignUpForm>,
) -> Result<Response, PageError> {
    let result = match register_command(&f) {
        Ok(cmd) => s.app.register(cmd).await,
        Err(e) => Err(e),
    };
    f.password.clear();
    match result {
        Ok(_) => {
            let mut page = SignUpPage::new(f);
            page.sent = true;
            render(&page)
        }
        Err(e @ AppError::Validation { .. }) => {
            let mut page = SignUpPage::new(f);
            page.error = Some(e.to_string());
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "auth/signup_confirm.html")]
struct ConfirmPage {
    error: Option<String>,
    token: String,
    done: Option<String>,
    existing_account: bool,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The link's page: asks for the password chosen at sign-up.
async fn confirm_form(Query(q): Query<TokenQuery>) -> Result<Response, PageError> {
    render(&ConfirmPage {
        error: None,
        token: q.token,
        done: None,
        existing_account: false,
    })
}

#[derive(Deserialize)]
struct ConfirmForm {
    token: String,
    password: String,
}

/// Creates the tenant and says how to log in; a wrong password or a spent or expired link
/// shows the form again (401).
async fn confirm(
    _: SameOrigin,
    _: LoginAttempt,
    State(s): State<AppState>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let result = match larder_core::Password::parse(&f.password) {
        Ok(password) => {
            s.app
                .confirm_sign_up(ConfirmSignUpCommand {
                    token: f.token.clone(),
                    password,
                })
                .await
        }
        Err(e) => Err(AppError::invalid("password", e.to_string())),
    };
    match result {
        Ok(r) => render(&ConfirmPage {
            error: None,
            token: String::new(),
            done: Some(r.tenant_slug),
            existing_account: r.existing_account,
        }),
        Err(e @ (AppError::Unauthenticated(_) | AppError::Validation { .. })) => {
            let mut res = render(&ConfirmPage {
                error: Some(e.to_string()),
                token: f.token,
                done: None,
                existing_account: false,
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
