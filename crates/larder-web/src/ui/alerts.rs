//! alerts pages (ADR 028): `/notifications` is a member's own notification centre (its unread
//! count and list kept live), `/alerts` the tenant's open alerts and its rules (added, changed,
//! switched off and checked at once by managers), `/notifications/preferences` how a member
//! hears of each kind (the centre, email at once or in a digest) and their quiet hours.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::alerts::{
    Alert, AlertPreferences, AlertQuery, AlertRule, AlertRuleCommand, ChannelPreference, MarkRead,
    Notification, NotificationQuery,
};
use larder_core::alerts::AlertKind;
use larder_core::auth::Permission;
use larder_core::{LocationId, Money, Quantity};
use uuid::Uuid;

use super::error::{PageError, render};
use super::forms::{Fields, message, shown_again};
use super::session::{SameOrigin, Session};
use super::with_script;
use crate::AppState;

/// `GET /notifications`, `POST /notifications/read`, `GET|POST /notifications/preferences`,
/// `GET /alerts`, `POST /alerts/rules`, `POST /alerts/rules/{id}`, `POST /alerts/check`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(centre))
        .route("/notifications/read", post(mark_read))
        .route(
            "/notifications/preferences",
            get(preferences).post(save_preferences),
        )
        .route("/alerts", get(alerts))
        .route("/alerts/rules", post(add_rule))
        .route("/alerts/rules/{id}", post(change_rule))
        .route("/alerts/check", post(check))
}

/// A kind for the pages: its wire name, title, description and threshold's field.
struct KindView {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    field: &'static str,
}

fn kinds() -> Vec<KindView> {
    AlertKind::ALL
        .iter()
        .map(|k| KindView {
            name: k.as_str(),
            title: k.title(),
            description: k.description(),
            field: k.threshold_field().unwrap_or(""),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "alerts/centre.html")]
struct CentrePage {
    nav: &'static str,
    tenant_name: String,
    notifications: Vec<Notification>,
    unread: i64,
    more: Option<String>,
}

async fn centre(
    State(s): State<AppState>,
    Session(p): Session,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let cursor = Fields(q).get("cursor").to_owned();
    let page = s
        .app
        .list_notifications(
            p,
            NotificationQuery {
                unread: None,
                limit: Some(50),
                cursor: Some(cursor).filter(|c| !c.is_empty()),
            },
        )
        .await?;
    Ok(with_script(render(&CentrePage {
        nav: "alerts",
        tenant_name: me.tenant_name,
        notifications: page.data,
        unread: page.unread,
        more: page
            .next_cursor
            .map(|c| format!("/notifications?cursor={c}")),
    })?))
}

async fn mark_read(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let cmd = match f.get("id").parse::<Uuid>() {
        Ok(id) => MarkRead {
            ids: Some(vec![id]),
            all: None,
        },
        Err(_) => MarkRead {
            ids: None,
            all: Some(true),
        },
    };
    s.app.mark_notifications_read(p, cmd).await?;
    Ok(Redirect::to("/notifications").into_response())
}

#[derive(Template)]
#[template(path = "alerts/alerts.html")]
struct AlertsPage {
    nav: &'static str,
    tenant_name: String,
    alerts: Vec<Alert>,
    rules: Vec<RuleView>,
    kinds: Vec<KindView>,
    locations: Vec<(LocationId, String)>,
    manage: bool,
    error: Option<String>,
    checked: Option<String>,
    typed_kind: String,
    typed_threshold: String,
}

/// A rule as the page shows it.
struct RuleView {
    rule: AlertRule,
    title: &'static str,
    field: &'static str,
    threshold: String,
    place: String,
}

async fn alerts_page(
    s: &AppState,
    p: larder_app::Principal,
    error: Option<String>,
    checked: Option<String>,
    typed: &Fields,
) -> Result<AlertsPage, PageError> {
    let me = s.app.me(p).await?;
    let locations: Vec<(LocationId, String)> = s
        .app
        .list_locations(p, Some(500), None)
        .await?
        .data
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let name_of = |l: Option<LocationId>| match l {
        None => "every location".to_owned(),
        Some(l) => locations
            .iter()
            .find(|(id, _)| *id == l)
            .map_or_else(|| l.to_string(), |(_, n)| n.clone()),
    };
    let rules = s
        .app
        .list_alert_rules(p)
        .await?
        .into_iter()
        .map(|r| {
            let kind = r.kind.parse::<AlertKind>().ok();
            RuleView {
                title: kind.map_or("", AlertKind::title),
                field: kind.and_then(AlertKind::threshold_field).unwrap_or(""),
                threshold: r
                    .days
                    .map(|d| d.to_string())
                    .or_else(|| r.value.map(|v| v.to_string()))
                    .or_else(|| r.percent.map(|v| v.to_string()))
                    .unwrap_or_default(),
                place: name_of(r.location_id),
                rule: r,
            }
        })
        .collect();
    let alerts = s
        .app
        .list_alerts(
            p,
            AlertQuery {
                status: None,
                location_id: None,
                limit: Some(200),
                cursor: None,
            },
        )
        .await?
        .data;
    Ok(AlertsPage {
        nav: "alerts",
        tenant_name: me.tenant_name,
        alerts,
        rules,
        kinds: kinds(),
        locations,
        manage: p.require(Permission::AlertsManage).is_ok(),
        error,
        checked,
        typed_kind: typed.get("kind").to_owned(),
        typed_threshold: typed.get("threshold").to_owned(),
    })
}

async fn alerts(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    Ok(with_script(render(
        &alerts_page(&s, p, None, None, &Fields(Vec::new())).await?,
    )?))
}

/// A rule's command from its form: `kind`, `location_id` (empty: every location),
/// `threshold` (read as the kind's days, value or percent) and `enabled`.
fn rule_command(f: &Fields, enabled: bool) -> Result<AlertRuleCommand, larder_app::AppError> {
    let kind: AlertKind = f
        .get("kind")
        .parse()
        .map_err(|e: String| larder_app::AppError::invalid("kind", e))?;
    let location_id = match f.get("location_id") {
        "" => None,
        l => Some(
            l.parse::<LocationId>()
                .map_err(|_| larder_app::AppError::invalid("location_id", "is not a location"))?,
        ),
    };
    let t = f.get("threshold").trim();
    let field = kind.threshold_field();
    let missing = |name: &str| larder_app::AppError::invalid(name, "is required for this rule");
    let mut cmd = AlertRuleCommand {
        kind: kind.as_str().to_owned(),
        location_id,
        days: None,
        value: None,
        percent: None,
        enabled: Some(enabled),
    };
    match field {
        Some("days") if t.is_empty() => return Err(missing("days")),
        Some("days") => {
            cmd.days =
                Some(t.parse().map_err(|_| {
                    larder_app::AppError::invalid("days", "must be a whole number")
                })?);
        }
        Some("value") if t.is_empty() => return Err(missing("value")),
        Some("value") => {
            cmd.value = Some(
                Money::parse(t)
                    .map_err(|e| larder_app::AppError::invalid("value", e.to_string()))?,
            );
        }
        Some("percent") if t.is_empty() => return Err(missing("percent")),
        Some("percent") => {
            cmd.percent = Some(
                Quantity::parse(t.trim_end_matches('%').trim())
                    .map_err(|e| larder_app::AppError::invalid("percent", e.to_string()))?,
            );
        }
        _ => {}
    }
    Ok(cmd)
}

async fn shown_with_error(
    s: &AppState,
    p: larder_app::Principal,
    e: larder_app::AppError,
    f: &Fields,
) -> Result<Response, PageError> {
    match shown_again(&e) {
        Some(status) => {
            let page = alerts_page(s, p, Some(message(&e)), None, f).await?;
            Ok((status, with_script(render(&page)?)).into_response())
        }
        None => Err(e.into()),
    }
}

async fn add_rule(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let made = match rule_command(&f, true) {
        Ok(cmd) => s.app.create_alert_rule(p, cmd, None).await.map(drop),
        Err(e) => Err(e),
    };
    match made {
        Ok(()) => Ok(Redirect::to("/alerts#rules").into_response()),
        Err(e) => shown_with_error(&s, p, e, &f).await,
    }
}

async fn change_rule(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<Uuid>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let version = Some(f.get("version").parse::<i64>().unwrap_or(0));
    let changed = match rule_command(&f, f.get("enabled") == "true") {
        Ok(cmd) => s.app.update_alert_rule(p, id, version, cmd).await.map(drop),
        Err(e) => Err(e),
    };
    match changed {
        Ok(()) => Ok(Redirect::to("/alerts#rules").into_response()),
        Err(e) => shown_with_error(&s, p, e, &f).await,
    }
}

async fn check(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
) -> Result<Response, PageError> {
    let o = s.app.check_alerts(p).await?;
    let said = format!(
        "Checked: {} raised, {} resolved, {} open.",
        o.raised, o.resolved, o.open
    );
    Ok(with_script(render(
        &alerts_page(&s, p, None, Some(said), &Fields(Vec::new())).await?,
    )?))
}

#[derive(Template)]
#[template(path = "alerts/preferences.html")]
struct PreferencesPage {
    nav: &'static str,
    tenant_name: String,
    rows: Vec<(KindView, ChannelPreference)>,
    quiet_from: String,
    quiet_until: String,
    digest_at: String,
    email: String,
    error: Option<String>,
    saved: bool,
}

async fn preferences_page(
    s: &AppState,
    p: larder_app::Principal,
    prefs: AlertPreferences,
    error: Option<String>,
    saved: bool,
) -> Result<PreferencesPage, PageError> {
    let me = s.app.me(p).await?;
    let rows = kinds()
        .into_iter()
        .map(|k| {
            let c = prefs
                .channels
                .iter()
                .find(|c| c.kind == k.name)
                .cloned()
                .unwrap_or(ChannelPreference {
                    kind: k.name.to_owned(),
                    in_app: true,
                    email: "off".into(),
                });
            (k, c)
        })
        .collect();
    Ok(PreferencesPage {
        nav: "alerts",
        tenant_name: me.tenant_name,
        rows,
        quiet_from: prefs.quiet_from.unwrap_or_default(),
        quiet_until: prefs.quiet_until.unwrap_or_default(),
        digest_at: prefs.digest_at.unwrap_or_default(),
        email: me.email,
        error,
        saved,
    })
}

async fn preferences(
    State(s): State<AppState>,
    Session(p): Session,
) -> Result<Response, PageError> {
    let prefs = s.app.alert_preferences(p).await?;
    render(&preferences_page(&s, p, prefs, None, false).await?)
}

async fn save_preferences(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let opt = |name: &str| Some(f.get(name).trim().to_owned()).filter(|v| !v.is_empty());
    let cmd = AlertPreferences {
        channels: AlertKind::ALL
            .iter()
            .map(|k| ChannelPreference {
                kind: k.as_str().to_owned(),
                in_app: f.get(&format!("in_app.{}", k.as_str())) == "on",
                email: match f.get(&format!("email.{}", k.as_str())) {
                    "" => "off".to_owned(),
                    e => e.to_owned(),
                },
            })
            .collect(),
        quiet_from: opt("quiet_from"),
        quiet_until: opt("quiet_until"),
        digest_at: opt("digest_at"),
    };
    match s.app.set_alert_preferences(p, cmd.clone()).await {
        Ok(saved) => render(&preferences_page(&s, p, saved, None, true).await?),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page = preferences_page(&s, p, cmd, Some(message(&e)), false).await?;
                Ok((status, render(&page)?).into_response())
            }
            None => Err(e.into()),
        },
    }
}
