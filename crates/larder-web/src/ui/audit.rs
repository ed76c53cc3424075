//! audit page: `/audit`, the tenant's audit log for owners and admins (ADR 026), newest first,
//! filtered by action, with the chain's verification state on request (`?verify=1`: the chain
//! is walked from its first record, which takes a moment on a long history).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use larder_app::audit::{AuditQuery, ChainState};
use serde::Deserialize;

use super::error::{PageError, render};
use super::session::Session;
use crate::AppState;

/// `GET /audit`.
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

/// The page's query: an action prefix, the next page, and whether to verify the chain.
#[derive(Clone, Debug, Default, Deserialize)]
struct AuditPageQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    verify: String,
}

/// One record as the page shows it.
struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    target: String,
    change: String,
    client: String,
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    nav: &'static str,
    tenant_name: String,
    action: String,
    rows: Vec<Row>,
    more: Option<String>,
    chain: Option<ChainState>,
}

/// The fields that changed between before and after, as `name: old → new`; for a first
/// record, its name or nothing.
fn change_text(summary: &serde_json::Value) -> String {
    let (before, after) = (&summary["before"], &summary["after"]);
    let Some(after) = after.as_object() else {
        return String::new();
    };
    let shown = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".to_owned(),
        other => other.to_string(),
    };
    match before.as_object() {
        Some(before) => after
            .iter()
            .filter(|(k, v)| {
                *k != "version" && *k != "updated_at" && before.get(*k).is_some_and(|b| b != *v)
            })
            .map(|(k, v)| format!("{k}: {} → {}", shown(&before[k]), shown(v)))
            .collect::<Vec<_>>()
            .join("; "),
        None => after
            .get("name")
            .or_else(|| after.get("number"))
            .map(shown)
            .unwrap_or_default(),
    }
}

async fn audit_page(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<AuditPageQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let action = q.action.trim().to_owned();
    let page = s
        .app
        .audit_log(
            p,
            AuditQuery {
                action: Some(action.clone()).filter(|a| !a.is_empty()),
                cursor: Some(q.cursor.clone()).filter(|c| !c.is_empty()),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let chain = if q.verify.is_empty() {
        None
    } else {
        Some(s.app.verify_my_audit_chain(p).await?)
    };
    // Who is named by their name (a member who left is shown by the end of their id).
    let mut names = std::collections::HashMap::new();
    let mut cursor = None;
    loop {
        let members = s.app.list_members(p, Some(500), cursor).await?;
        names.extend(members.data.into_iter().map(|m| (m.user_id, m.name)));
        match members.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let settings = s.app.get_settings(p).await?;
    let tz: chrono_tz::Tz = settings.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let rows = page
        .data
        .into_iter()
        .map(|r| Row {
            seq: r.seq,
            at: r
                .at
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: r.actor.map_or_else(
                || "—".to_owned(),
                |a| {
                    names.get(&a).cloned().unwrap_or_else(|| {
                        let s = a.to_string();
                        format!("…{}", &s[s.len() - 8..])
                    })
                },
            ),
            target: match &r.target_id {
                Some(id) => format!("{} …{}", r.target_type, &id[id.len().saturating_sub(6)..]),
                None => r.target_type.clone(),
            },
            change: change_text(&r.summary),
            action: r.action,
            client: r.client_addr.unwrap_or_default(),
        })
        .collect();
    let more = page
        .next_cursor
        .map(|c| format!("/audit?action={}&cursor={c}", url_encode(&action)));
    render(&AuditPage {
        nav: "members",
        tenant_name: me.tenant_name,
        action,
        rows,
        more,
        chain,
    })
}

/// Percent-encodes a query value.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
