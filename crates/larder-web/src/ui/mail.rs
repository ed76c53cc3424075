//! mail page: `/mail`, the tenant's delivery log of outgoing mail for owners and admins
//! (ADR 029), newest first, all or only what failed: so a bounced alert or purchase order is
//! seen with the mail server's answer.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use larder_app::mail::{MailQuery, MailStatus};
use serde::Deserialize;

use super::error::{PageError, render};
use super::format::urlencode;
use super::session::Session;
use crate::AppState;

/// `GET /mail`.
pub fn router() -> Router<AppState> {
    Router::new().route("/mail", get(mail_page))
}

/// The page's query: a status (`failed`, `pending`, `sent`; empty: all) and the next page.
#[derive(Clone, Debug, Default, Deserialize)]
struct MailPageQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

/// One message as the page shows it.
struct Row {
    at: String,
    to: String,
    subject: String,
    purpose: String,
    status: &'static str,
    failed: bool,
    attempts: i32,
    /// The next attempt (pending), or the last answer.
    detail: String,
}

#[derive(Template)]
#[template(path = "mail/log.html")]
struct MailPage {
    nav: &'static str,
    tenant_name: String,
    status: String,
    rows: Vec<Row>,
    more: Option<String>,
}

async fn mail_page(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<MailPageQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let status = match q.status.as_str() {
        "pending" => Some(MailStatus::Pending),
        "sent" => Some(MailStatus::Sent),
        "failed" => Some(MailStatus::Failed),
        _ => None,
    };
    let page = s
        .app
        .mail_log(
            p,
            MailQuery {
                status,
                cursor: Some(q.cursor.clone()).filter(|c| !c.is_empty()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let settings = s.app.get_settings(p).await?;
    let tz: chrono_tz::Tz = settings.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let when = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%-d %b %Y %H:%M").to_string()
    };
    let rows = page
        .data
        .into_iter()
        .map(|m| Row {
            at: when(m.created_at),
            to: m.to.join(", "),
            subject: m.subject,
            purpose: m.purpose.replace('_', " "),
            status: match m.status {
                MailStatus::Pending => "Pending",
                MailStatus::Sent => "Sent",
                MailStatus::Failed => "Failed",
            },
            failed: m.status == MailStatus::Failed,
            attempts: m.attempts,
            detail: match (m.status, m.next_attempt_at, m.last_error) {
                (MailStatus::Pending, Some(next), Some(e)) => {
                    format!("next try {}; last: {e}", when(next))
                }
                (MailStatus::Sent, _, _) => m.sent_at.map(when).unwrap_or_default(),
                (_, _, Some(e)) => e,
                _ => String::new(),
            },
        })
        .collect();
    let shown = status.map_or("", MailStatus::as_str).to_owned();
    let more = page
        .next_cursor
        .map(|c| format!("/mail?status={shown}&cursor={}", urlencode(&c)));
    render(&MailPage {
        nav: "members",
        tenant_name: me.tenant_name,
        status: shown,
        rows,
        more,
    })
}
