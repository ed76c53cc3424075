//! events: `/events` (the tenant's events after a sequence number, a page at a time) and
//! `/events/stream` (the same, live, as server-sent events; ADR 025).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use larder_app::events::{Envelope, EventFilter, EventQuery};
use larder_app::{App, Principal};
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Auth};

/// How often a quiet stream looks at the outbox anyway (a wake lost with a broken `LISTEN`
/// connection is found this way).
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// How often a quiet stream sends a comment, so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The events routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(stream_events))
}

#[utoipa::path(get, path = "/events", tag = "events", params(EventQuery), responses((status = 200, description = "The events after `after` you may see, in sequence order; `last_seq` is where the next read starts (`after`)", body = larder_app::events::EventBatch)), security(("bearer" = [])))]
pub(crate) async fn list_events(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Response> {
    let filter = q.filter()?;
    let batch = s
        .app
        .read_events(p, q.after.unwrap_or(0), filter, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(batch).into_response())
}

/// The sequence number a client last received: the `Last-Event-ID` header (a reconnecting
/// `EventSource` sends it), else the query's `after`.
fn resume_from(headers: &HeaderMap, q: &EventQuery) -> Result<Option<i64>, ApiError> {
    match headers.get("last-event-id") {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| {
                larder_app::AppError::invalid("Last-Event-ID", "must be a sequence number").into()
            }),
        None => Ok(q.after),
    }
}

#[utoipa::path(get, path = "/events/stream", tag = "events", params(EventQuery, ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received: the stream resumes right after it, missing nothing")), responses((status = 200, description = "Server-sent events: each `id` is the event's sequence number and `data` its envelope (JSON, as `GET /events` lists); a comment every 15 s while quiet", content_type = "text/event-stream", body = String)), security(("bearer" = [])))]
pub(crate) async fn stream_events(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Response> {
    let filter = q.filter()?;
    let wakes = s.app.event_wakes();
    let cursor = match resume_from(&headers, &q)? {
        Some(n) => n,
        None => s.app.event_head(p).await?,
    };
    // Refuse at once what every later read would refuse (permission, location).
    s.app.read_events(p, cursor, filter.clone(), 1).await?;
    let live = Live {
        app: s.app.clone(),
        p,
        filter,
        cursor,
        pending: VecDeque::new(),
        wakes,
    };
    let stream = futures::stream::unfold(live, |mut live| async move {
        let e = live.next().await?;
        let data = serde_json::to_string(&e).unwrap_or_default();
        let event = Event::default().id(e.seq.to_string()).data(data);
        Some((Ok::<_, Infallible>(event), live))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response())
}

/// One client's live stream: reads the outbox from its cursor whenever a commit of its tenant
/// wrote events, and every [`LOOK_EVERY`].
struct Live {
    app: App,
    p: Principal,
    filter: EventFilter,
    cursor: i64,
    pending: VecDeque<Envelope>,
    wakes: tokio::sync::broadcast::Receiver<larder_store::EventWake>,
}

impl Live {
    /// The next event, waiting as long as it takes; `None` ends the stream (a failed read: the
    /// client reconnects with `Last-Event-ID`).
    async fn next(&mut self) -> Option<Envelope> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            let batch = match self
                .app
                .read_events(self.p, self.cursor, self.filter.clone(), 500)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::info!(error = %e, "an event stream ends");
                    return None;
                }
            };
            let moved = batch.last_seq > self.cursor;
            self.cursor = batch.last_seq;
            self.pending.extend(batch.data);
            if moved {
                continue;
            }
            let look = tokio::time::sleep(LOOK_EVERY);
            tokio::pin!(look);
            loop {
                tokio::select! {
                    w = self.wakes.recv() => match w {
                        Ok(w) if w.tenant_id == self.p.tenant_id && w.head > self.cursor => break,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return None,
                    },
                    () = &mut look => break,
                }
            }
        }
    }
}
