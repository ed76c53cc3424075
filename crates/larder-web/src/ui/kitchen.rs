//! kitchen pages: `/kitchen` lists each location's stations; `/kitchen/stations/{id}` is a
//! station's display for a wall screen, a tablet or a phone: its tickets in work then in queue
//! order with their items, modifiers, notes and steps, the time each has taken against its
//! estimate (amber past it, red past one and a half times it), one big button to bump each,
//! and the station's all-day counts. It updates itself from the event stream (`live.js`).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use larder_app::kitchen::stations::{QueuedTask, Station};
use larder_app::kitchen::tasks::TaskMoveCommand;
use larder_core::kitchen::TaskStatus;
use larder_core::{StationId, TaskId};

use super::error::{PageError, render};
use super::forms::Fields;
use super::session::{SameOrigin, Session};
use super::with_script;
use crate::AppState;

/// `GET /kitchen`, `GET /kitchen/stations/{id}`, `POST /kitchen/tasks/{id}/status`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/kitchen", get(stations))
        .route("/kitchen/stations/{id}", get(display))
        .route("/kitchen/tasks/{id}/status", post(bump))
}

/// A location with its stations and their loads.
struct LocationStations {
    name: String,
    stations: Vec<(Station, Option<i64>)>,
}

#[derive(Template)]
#[template(path = "kitchen/stations.html")]
struct StationsPage {
    nav: &'static str,
    tenant_name: String,
    locations: Vec<LocationStations>,
}

async fn stations(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let mut locations = Vec::new();
    for l in s.app.list_locations(p, Some(500), None).await?.data {
        let mut stations = Vec::new();
        for st in s.app.list_stations(p, l.id).await? {
            let load = s.app.station_queue(p, st.id).await?.load_percent;
            stations.push((st, load));
        }
        locations.push(LocationStations {
            name: l.name,
            stations,
        });
    }
    render(&StationsPage {
        nav: "kitchen",
        tenant_name: me.tenant_name,
        locations,
    })
}

/// A ticket as the display shows it.
struct Ticket {
    task: QueuedTask,
    /// "Start" or "Done".
    action: &'static str,
    /// The status the button moves it to.
    to: &'static str,
    /// Whole minutes taken so far (since it started, or since it was queued).
    minutes: i64,
    /// Whole minutes of its estimate (at least 1).
    estimate_minutes: i64,
    /// `""`, `"amber"` (past its estimate) or `"red"` (past one and a half times it).
    tone: &'static str,
    /// "held until 19:42" for a line fired later.
    held: Option<String>,
}

fn ticket(task: QueuedTask, now: DateTime<Utc>) -> Ticket {
    let since = task.started_at.or(task.queued_at).unwrap_or(now);
    let secs = (now - since).num_seconds().max(0);
    let tone = if task.status != TaskStatus::Started {
        ""
    } else if secs * 2 > task.estimate_secs * 3 {
        "red"
    } else if secs > task.estimate_secs {
        "amber"
    } else {
        ""
    };
    let (action, to) = if task.status == TaskStatus::Started {
        ("Done", "done")
    } else {
        ("Start", "started")
    };
    Ticket {
        held: task
            .fire_at
            .filter(|f| *f > now && task.status != TaskStatus::Started)
            .map(|f| format!("held until {}", f.format("%H:%M"))),
        minutes: secs / 60,
        estimate_minutes: (task.estimate_secs / 60).max(1),
        tone,
        action,
        to,
        task,
    }
}

#[derive(Template)]
#[template(path = "kitchen/station.html")]
struct DisplayPage {
    nav: &'static str,
    tenant_name: String,
    station: Station,
    tickets: Vec<Ticket>,
    all_day: Vec<(String, i64)>,
    load_percent: Option<i64>,
    error: Option<String>,
}

async fn display(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StationId>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let queue = s.app.station_queue(p, id).await?;
    let now = Utc::now();
    let error = Some(Fields(q).get("error").to_owned()).filter(|e| !e.is_empty());
    Ok(with_script(render(&DisplayPage {
        nav: "kitchen",
        tenant_name: me.tenant_name,
        tickets: queue.tasks.into_iter().map(|t| ticket(t, now)).collect(),
        all_day: queue.all_day.into_iter().collect(),
        load_percent: queue.load_percent,
        station: queue.station,
        error,
    })?))
}

async fn bump(
    _: SameOrigin,
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<TaskId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let back = f
        .get("station")
        .parse::<StationId>()
        .map_err(|_| PageError(larder_app::AppError::invalid("station", "not a station")))?;
    let status = match f.get("status") {
        "started" => TaskStatus::Started,
        "done" => TaskStatus::Done,
        other => {
            return Err(PageError(larder_app::AppError::invalid(
                "status",
                format!("'{other}' is not a bump"),
            )));
        }
    };
    let url = format!("/kitchen/stations/{back}");
    match s
        .app
        .move_task(
            p,
            id,
            TaskMoveCommand {
                status,
                reason: None,
            },
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&url).into_response()),
        // A bump the ticket cannot take (its order was cancelled, a step is not ticked):
        // back to the display, which says why.
        Err(e @ larder_app::AppError::Conflict { .. }) => {
            let message: String = e.to_string();
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("error", &message)
                .finish();
            Ok(Redirect::to(&format!("{url}?{query}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
