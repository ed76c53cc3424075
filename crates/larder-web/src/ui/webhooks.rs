//! webhooks pages (ADR 027), for owners and admins: `/webhooks` lists the subscriptions and
//! adds one (its secret shown once), `/webhooks/{id}` shows one with its delivery log, a replay
//! button per delivery, secret rotation and switching it off and on.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::page::PageQuery;
use larder_app::webhooks::{Delivery, Webhook, WebhookCommand};
use larder_core::Note;
use serde::Deserialize;
use uuid::Uuid;

use super::error::{PageError, render};
use super::forms::{Fields, message, shown_again};
use super::session::{SameOrigin, Session};
use crate::AppState;

/// `GET|POST /webhooks`, `GET /webhooks/{id}`, `POST /webhooks/{id}/rotate`,
/// `POST /webhooks/{id}/active`, `POST /webhooks/{id}/deliveries/{delivery}/replay`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(detail))
        .route("/webhooks/{id}/rotate", post(rotate))
        .route("/webhooks/{id}/active", post(set_active))
        .route("/webhooks/{id}/deliveries/{delivery}/replay", post(replay))
}

#[derive(Template)]
#[template(path = "webhooks/list.html")]
struct ListPage {
    nav: &'static str,
    tenant_name: String,
    webhooks: Vec<Webhook>,
    error: Option<String>,
    url: String,
    types: String,
    description: String,
}

#[derive(Template)]
#[template(path = "webhooks/detail.html")]
struct DetailPage {
    nav: &'static str,
    tenant_name: String,
    webhook: Webhook,
    secret: Option<String>,
    deliveries: Vec<Delivery>,
    more: Option<String>,
    replayed: bool,
}

async fn list_page(
    s: &AppState,
    p: larder_app::Principal,
    error: Option<String>,
    typed: &Fields,
) -> Result<ListPage, PageError> {
    let me = s.app.me(p).await?;
    Ok(ListPage {
        nav: "members",
        tenant_name: me.tenant_name,
        webhooks: s.app.list_webhooks(p).await?,
        error,
        url: typed.get("url").to_owned(),
        types: typed.get("event_types").to_owned(),
        description: typed.get("description").to_owned(),
    })
}

async fn list(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    render(&list_page(&s, p, None, &Fields(Vec::new())).await?)
}

fn command(f: &Fields, active: Option<bool>) -> Result<WebhookCommand, larder_app::AppError> {
    let description = match f.get("description") {
        "" => None,
        d => Some(
            Note::parse(d)
                .map_err(|e| larder_app::AppError::invalid("description", e.to_string()))?,
        ),
    };
    let types: Vec<String> = f
        .get("event_types")
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(WebhookCommand {
        url: f.get("url").to_owned(),
        description,
        event_types: Some(types),
        active,
    })
}

async fn create(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let made = match command(&f, None) {
        Ok(cmd) => s.app.create_webhook(p, cmd).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(w) => {
            let me = s.app.me(p).await?;
            let deliveries = s
                .app
                .webhook_deliveries(p, w.webhook.id, PageQuery::default())
                .await?;
            render(&DetailPage {
                nav: "members",
                tenant_name: me.tenant_name,
                webhook: w.webhook,
                secret: Some(w.secret),
                deliveries: deliveries.data,
                more: None,
                replayed: false,
            })
        }
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page = list_page(&s, p, Some(message(&e)), &f).await?;
                Ok((status, render(&page)?).into_response())
            }
            None => Err(e.into()),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
struct DetailQuery {
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    replayed: String,
}

async fn detail(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<Uuid>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let webhook = s.app.get_webhook(p, id).await?;
    let page = s
        .app
        .webhook_deliveries(
            p,
            id,
            PageQuery {
                limit: Some(50),
                cursor: Some(q.cursor.clone()).filter(|c| !c.is_empty()),
            },
        )
        .await?;
    render(&DetailPage {
        nav: "members",
        tenant_name: me.tenant_name,
        webhook,
        secret: None,
        deliveries: page.data,
        more: page
            .next_cursor
            .map(|c| format!("/webhooks/{id}?cursor={c}")),
        replayed: !q.replayed.is_empty(),
    })
}

async fn rotate(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let w = s.app.rotate_webhook_secret(p, id).await?;
    let me = s.app.me(p).await?;
    let deliveries = s
        .app
        .webhook_deliveries(p, id, PageQuery::default())
        .await?;
    render(&DetailPage {
        nav: "members",
        tenant_name: me.tenant_name,
        webhook: w.webhook,
        secret: Some(w.secret),
        deliveries: deliveries.data,
        more: None,
        replayed: false,
    })
}

async fn set_active(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<Uuid>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let w = s.app.get_webhook(p, id).await?;
    let cmd = WebhookCommand {
        url: w.url.clone(),
        description: w.description.as_deref().and_then(|d| Note::parse(d).ok()),
        event_types: Some(w.event_types.clone()),
        active: Some(f.get("active") == "1"),
    };
    let version = f.get("version").parse().ok();
    s.app.update_webhook(p, id, cmd, version).await?;
    Ok(Redirect::to(&format!("/webhooks/{id}")).into_response())
}

async fn replay(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Path((id, delivery)): Path<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    s.app.replay_delivery(p, id, delivery).await?;
    Ok(Redirect::to(&format!("/webhooks/{id}?replayed=1")).into_response())
}
