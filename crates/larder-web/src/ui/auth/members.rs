//! The members page (owners and admins, `members.manage`): who belongs to the tenant, with
//! their role and whether they are active; add a member, change a role, deactivate or
//! reactivate. The rules (only an owner touches an owner, the last active owner stays) are
//! the auth context's; a refused change shows the page again with the reason.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::auth::members::{Member, RoleCommand};
use larder_app::{AppError, Principal};
use larder_core::auth::{Permission, Role};
use larder_core::{Email, Name, Password, UserId};
use serde::Deserialize;

use super::super::error::{PageError, render};
use super::super::forms::{Fields, message, shown_again, text};
use super::super::session::Session;
use super::super::tenancy::with_status;
use crate::AppState;

/// `GET /members`, `POST /members` (add), `POST /members/{user_id}/role`, `POST
/// /members/{user_id}/active`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(members).post(add_member))
        .route("/members/{user_id}/role", post(set_role))
        .route("/members/{user_id}/active", post(set_active))
}

/// The roles a member can be given, with what each may do.
const ROLES: [(&str, &str); 4] = [
    ("staff", "Staff (counts, waste, receiving)"),
    ("manager", "Manager (catalog, recipes, reports)"),
    ("admin", "Admin (and members)"),
    ("owner", "Owner (and settings)"),
];

struct MemberView {
    user_id: UserId,
    name: String,
    email: String,
    role: String,
    active: bool,
    limited: bool,
    me: bool,
}

/// The add form as typed (never the password).
#[derive(Default)]
struct AddForm {
    name: String,
    email: String,
    role: String,
}

#[derive(Template)]
#[template(path = "auth/members.html")]
struct MembersPage {
    nav: &'static str,
    tenant_name: String,
    saved: bool,
    error: Option<String>,
    members: Vec<MemberView>,
    roles: &'static [(&'static str, &'static str)],
    form: AddForm,
}

async fn members_page(
    s: &AppState,
    p: Principal,
    form: AddForm,
    error: Option<String>,
) -> Result<MembersPage, PageError> {
    let me = s.app.me(p).await?;
    let mut all: Vec<Member> = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = s.app.list_members(p, Some(500), cursor.take()).await?;
        all.extend(page.data);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(MembersPage {
        nav: "members",
        tenant_name: me.tenant_name,
        saved: false,
        error,
        members: all
            .into_iter()
            .map(|m| MemberView {
                me: m.user_id == p.user_id,
                user_id: m.user_id,
                name: m.name,
                email: m.email,
                role: m.role.to_string(),
                active: m.active,
                limited: m.locations.is_some(),
            })
            .collect(),
        roles: &ROLES,
        form,
    })
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

/// The members (up to 5,000) and the add form.
async fn members(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    p.require(Permission::MembersManage)?;
    let form = AddForm {
        role: "staff".into(),
        ..AddForm::default()
    };
    let mut page = members_page(&s, p, form, None).await?;
    page.saved = q.saved.is_some();
    render(&page)
}

fn role(f: &Fields) -> Result<Role, AppError> {
    f.get("role")
        .parse::<Role>()
        .map_err(|e| AppError::invalid("role", e))
}

/// Shows the page again with `e` when it is a refusal the page can explain (422, 409),
/// else the error page.
async fn refused(
    s: &AppState,
    p: Principal,
    form: AddForm,
    e: AppError,
) -> Result<Response, PageError> {
    match shown_again(&e) {
        Some(status) => {
            let page = members_page(s, p, form, Some(message(&e))).await?;
            with_status(render(&page)?, status)
        }
        None => Err(e.into()),
    }
}

/// Adds a member with a first password they change later.
async fn add_member(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let typed = AddForm {
        name: f.get("name").to_owned(),
        email: f.get("email").to_owned(),
        role: f.get("role").to_owned(),
    };
    let result = async {
        let email = text("email", f.get("email"), Email::parse)?;
        let name = text("name", f.get("name"), Name::parse)?;
        // A password is not trimmed.
        let raw =
            f.0.iter()
                .find(|(k, _)| k == "password")
                .map_or("", |(_, v)| v.as_str());
        let password =
            Password::parse(raw).map_err(|e| AppError::invalid("password", e.to_string()))?;
        s.app
            .add_member(p, &email, &name, &password, role(&f)?)
            .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/members?saved=1").into_response()),
        Err(e) => refused(&s, p, typed, e).await,
    }
}

/// Changes a member's role.
async fn set_role(
    State(s): State<AppState>,
    Session(p): Session,
    Path(user): Path<UserId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let result = match role(&f) {
        Ok(role) => s.app.set_member_role(p, user, RoleCommand { role }).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/members?saved=1").into_response()),
        Err(e) => refused(&s, p, AddForm::default(), e).await,
    }
}

/// Deactivates (`active=false`) or reactivates (`active=true`) a member.
async fn set_active(
    State(s): State<AppState>,
    Session(p): Session,
    Path(user): Path<UserId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let active = match f.get("active") {
        "true" => true,
        "false" => false,
        _ => {
            return refused(
                &s,
                p,
                AddForm::default(),
                AppError::invalid("active", "must be true or false"),
            )
            .await;
        }
    };
    match s.app.set_member_active(p, user, active).await {
        Ok(_) => Ok(Redirect::to("/members?saved=1").into_response()),
        Err(e) => refused(&s, p, AddForm::default(), e).await,
    }
}
