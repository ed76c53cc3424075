//! Events (issue 10): relaying to RabbitMQ, and live streams, in this process on a fresh
//! tenant of the backend:
//!
//! - a backlog of 2,000 hand adjustments (4,000 events: each posts `inventory.stock_changed`
//!   and `inventory.stock_adjusted`) written through the use cases with the outbox and the
//!   audit log, then relayed to the broker with publisher confirms (`App::relay_events` with
//!   the `larder serve` publisher): events/s relayed;
//! - the router served on a local port with 50 clients on `GET /api/v1/events/stream`:
//!   200 adjustments one every 20 ms, each event's commit-to-live latency (from the `POST`'s
//!   answer to its arrival at each client) p50/p99; then 1,000 adjustments as fast as 4
//!   clients post them, and the events delivered per second to the 50 clients together.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use larder_app::auth::RegisterCommand;
use larder_app::catalog::ItemCommand;
use larder_app::inventory::AdjustmentCommand;
use larder_app::tenancy::LocationCommand;
use larder_app::{App, Principal};
use larder_core::auth::Role;
use larder_core::inventory::MovementKind;
use larder_core::tenancy::LocationKind;
use larder_core::units::BaseUnit;
use larder_core::{ItemId, LocationId, Money, Quantity};

use crate::Config;
use crate::demo::text;

/// SSE clients connected during the latency and fan-out phases.
pub(crate) const SSE_CLIENTS: usize = 50;
/// Adjustments in the relay backlog.
const BACKLOG: usize = 2_000;
/// Paced adjustments for the latency phase, and the pace.
const PACED: usize = 200;
const PACE: Duration = Duration::from_millis(20);
/// Adjustments of the fan-out phase, and their posting clients.
const BURST: usize = 1_000;
const BURST_CLIENTS: usize = 4;
/// The broker the relay measures against.
const RABBITMQ: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// What the events bench measured on one backend.
#[derive(Clone, Debug, Default)]
pub(crate) struct Events {
    /// Writing the backlog (in process, one at a time, outbox and audit included): adjustments/s.
    pub backlog_adjustments_per_s: f64,
    /// Events relayed to the broker per second (`None`: no broker reachable).
    pub relayed_per_s: Option<f64>,
    /// Events relayed.
    pub relayed: usize,
    /// Why the relay was not measured.
    pub relay_note: Option<String>,
    /// Commit-to-live latency over every client and paced event, ms, sorted.
    pub live_ms: Vec<f64>,
    /// Events the 50 clients received together per second during the burst.
    pub fanout_per_s: f64,
    /// Adjustments of the burst (each client should receive each one's event).
    pub burst_expected: usize,
    /// The fewest clients any burst event reached (50 when none was lost).
    pub burst_fewest: usize,
}

fn err(e: larder_app::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

async fn tenant(app: &App) -> anyhow::Result<(Principal, LocationId, Vec<ItemId>, String)> {
    let email = format!("bench-events-{}@larder.test", uuid::Uuid::now_v7().simple());
    let password = "events bench password";
    let reg = app
        .create_tenant(RegisterCommand {
            tenant_name: text(&format!("Bench events {}", uuid::Uuid::now_v7().simple()))?,
            email: text(&email)?,
            password: text(password)?,
            name: text("Bench")?,
            currency: None,
            time_zone: None,
            day_cutoff_minutes: None,
        })
        .await
        .map_err(err)?;
    let p = Principal::operator(reg.tenant_id, reg.user_id, Role::Owner);
    let location = app
        .create_location(
            p,
            LocationCommand {
                name: text("Kitchen")?,
                kind: LocationKind::Outlet,
            },
            None,
        )
        .await
        .map_err(err)?
        .value
        .id;
    let mut items = Vec::new();
    for n in 0..50 {
        items.push(
            app.create_item(
                p,
                ItemCommand {
                    name: text(&format!("Bench item {n:02}"))?,
                    sku: None,
                    category: None,
                    base_unit: BaseUnit::G,
                    pack_sizes: Vec::new(),
                    barcode: None,
                    unit_cost: Some(Money::from_raw(10_000)),
                    density: None,
                    density_source: None,
                    entry_step: None,
                    entry_rounding: None,
                },
                None,
            )
            .await
            .map_err(err)?
            .value
            .id,
        );
    }
    let token = app
        .login(
            larder_app::auth::LoginCommand {
                email: text(&email)?,
                password: text(password)?,
                tenant: None,
                one_time_code: None,
            },
            larder_app::audit::RequestMeta::default(),
        )
        .await
        .map_err(err)?
        .access_token;
    Ok((p, location, items, token))
}

fn adjustment(item: ItemId, location: LocationId) -> AdjustmentCommand {
    AdjustmentCommand {
        item_id: item,
        location_id: location,
        quantity: Quantity::from_raw(1_000),
        kind: MovementKind::Adjustment,
        reason: None,
        occurred_at: None,
        lot_code: None,
        expires_on: None,
    }
}

/// One SSE client: records when each `inventory.stock_adjusted` event (by its movement id)
/// arrived.
async fn listen(
    client: reqwest::Client,
    url: String,
    token: String,
    seen: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let mut res = client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    ready.send(()).await.ok();
    let mut buf = String::new();
    while let Some(chunk) = res.chunk().await? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let at = Instant::now();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) {
                let v: serde_json::Value = serde_json::from_str(data.trim())?;
                if let Some(id) = v["data"]["id"].as_str() {
                    seen.lock()
                        .map_err(|_| anyhow!("poisoned"))?
                        .entry(id.to_owned())
                        .or_default()
                        .push(at);
                }
            }
        }
    }
    Ok(())
}

/// Measures on a fresh store of `config`'s database.
///
/// # Errors
/// When the store cannot be opened or a step fails.
pub(crate) async fn run(config: &Config) -> anyhow::Result<Events> {
    let store = crate::open_store(config).await?;
    let app = crate::build_app(config, store.clone())?;
    let (p, location, items, token) = tenant(&app).await?;
    let mut out = Events::default();

    // The backlog, written one adjustment at a time.
    let started = Instant::now();
    for n in 0..BACKLOG {
        app.post_adjustment(p, adjustment(items[n % items.len()], location), None)
            .await
            .map_err(err)?;
    }
    out.backlog_adjustments_per_s = BACKLOG as f64 / started.elapsed().as_secs_f64();

    // Relayed to the broker.
    let publisher: Arc<dyn larder_app::events::Publisher> =
        Arc::new(crate::amqp::AmqpPublisher::new(RABBITMQ));
    let started = Instant::now();
    let mut relayed = 0;
    loop {
        match app.relay_events(publisher.clone(), 500).await {
            Ok(0) => break,
            Ok(n) => relayed += n,
            Err(e) => {
                out.relay_note = Some(format!("RabbitMQ at {RABBITMQ}: {e}"));
                break;
            }
        }
    }
    if out.relay_note.is_none() {
        out.relayed = relayed;
        out.relayed_per_s = Some(relayed as f64 / started.elapsed().as_secs_f64());
    }

    // Live streams: the router on a local port, 50 clients.
    let router = larder_web::router(larder_web::AppState::new(app.clone(), false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(larder_web::serve(listener, router, std::future::pending()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .context("an HTTP client")?;
    let seen: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
    let (ready_tx, mut ready) = tokio::sync::mpsc::channel(SSE_CLIENTS);
    let mut listeners = Vec::new();
    for _ in 0..SSE_CLIENTS {
        listeners.push(tokio::spawn(listen(
            client.clone(),
            format!("{base}/api/v1/events/stream?type=inventory.stock_adjusted"),
            token.clone(),
            seen.clone(),
            ready_tx.clone(),
        )));
    }
    for _ in 0..SSE_CLIENTS {
        tokio::time::timeout(Duration::from_secs(30), ready.recv())
            .await
            .context("an SSE client did not connect")?;
    }
    let (c, b, t) = (client.clone(), base.clone(), token.clone());
    let post = move |item: ItemId| {
        let (client, base, token) = (c.clone(), b.clone(), t.clone());
        async move {
            let res = client
                .post(format!("{base}/api/v1/stock/adjustments"))
                .bearer_auth(&token)
                .json(&serde_json::json!({
                    "item_id": item, "location_id": location, "quantity": "1", "kind": "adjustment"
                }))
                .send()
                .await?
                .error_for_status()?;
            let at = Instant::now();
            let v: serde_json::Value = res.json().await?;
            anyhow::Ok((v["id"].as_str().unwrap_or_default().to_owned(), at))
        }
    };
    // Paced: latency.
    let mut committed = Vec::with_capacity(PACED);
    for n in 0..PACED {
        committed.push(post(items[n % items.len()]).await?);
        tokio::time::sleep(PACE).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    {
        let seen = seen.lock().map_err(|_| anyhow!("poisoned"))?;
        for (id, at) in &committed {
            for got in seen.get(id).into_iter().flatten() {
                out.live_ms
                    .push(got.saturating_duration_since(*at).as_secs_f64() * 1000.0);
            }
        }
    }
    out.live_ms.sort_by(f64::total_cmp);
    // Burst: fan-out rate.
    let before: usize = seen
        .lock()
        .map_err(|_| anyhow!("poisoned"))?
        .values()
        .map(Vec::len)
        .sum();
    let started = Instant::now();
    let mut posters = Vec::new();
    for c in 0..BURST_CLIENTS {
        let post = post.clone();
        let items = items.clone();
        posters.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in (c..BURST).step_by(BURST_CLIENTS) {
                ids.push(post(items[n % items.len()]).await?.0);
            }
            anyhow::Ok(ids)
        }));
    }
    let mut burst_ids = Vec::new();
    for t in posters {
        burst_ids.extend(t.await??);
    }
    out.burst_expected = burst_ids.len();
    let want = before + SSE_CLIENTS * burst_ids.len();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_arrival = started;
    loop {
        let (total, latest) = {
            let seen = seen.lock().map_err(|_| anyhow!("poisoned"))?;
            (
                seen.values().map(Vec::len).sum::<usize>(),
                seen.values().flatten().max().copied(),
            )
        };
        if let Some(l) = latest {
            last_arrival = last_arrival.max(l);
        }
        if total >= want || Instant::now() > deadline {
            out.fanout_per_s =
                (total - before) as f64 / last_arrival.duration_since(started).as_secs_f64();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    {
        let seen = seen.lock().map_err(|_| anyhow!("poisoned"))?;
        out.burst_fewest = burst_ids
            .iter()
            .map(|id| seen.get(id).map_or(0, Vec::len))
            .min()
            .unwrap_or(0)
            .min(SSE_CLIENTS);
    }
    for l in listeners {
        l.abort();
    }
    server.abort();
    store.close().await;
    Ok(out)
}
