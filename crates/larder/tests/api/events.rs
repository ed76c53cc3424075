//! Events (issue 10, ADR 025), on both backends: every change is an event in the tenant's
//! gap-free sequence with its envelope, recorded once (a refused request records none, an
//! idempotent retry none twice); `GET /events` reads after a sequence number and filters; the
//! live stream delivers and resumes after `Last-Event-ID` missing nothing; tenants and
//! locations are isolated; the relay publishes every event to RabbitMQ, in order, once the
//! broker is reachable (RabbitMQ is required, as PostgreSQL is: `LARDER_SKIP_RABBITMQ=1` skips
//! it outside CI); and, on PostgreSQL, two `larder serve` processes see each other's changes
//! live, and a relay killed with -9 loses no event.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sse::next_event;

use crate::both;
use crate::helpers::{Backend, Tenant, TestApp};

both!(
    a_change_is_an_event_in_sequence_with_its_envelope,
    refused_requests_and_retries_record_no_extra_event,
    the_stream_delivers_live_and_resumes_after_last_event_id,
    events_are_isolated_between_tenants_and_filtered_by_location,
    the_relay_publishes_every_event_to_rabbitmq_once_the_broker_is_back,
);

pub(crate) const RABBITMQ: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

pub(crate) async fn events(app: &TestApp, t: &Tenant, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/events{query}"), &t.token).await;
    let status = res.status();
    let body = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn types(batch: &Value) -> Vec<String> {
    batch["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn seqs(batch: &Value) -> Vec<i64> {
    batch["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

async fn a_change_is_an_event_in_sequence_with_its_envelope(app: TestApp) {
    let t = app.register("Events Kitchen").await;
    let all = events(&app, &t, "").await;
    // Registering made the location: the tenant's first event.
    assert_eq!(types(&all), vec!["tenancy.location_created"]);
    assert_eq!(seqs(&all), vec![1]);
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    let res = app.adjust(&t, &rice, "2500", "receipt").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let movement = json_of(res).await;

    let all = events(&app, &t, "").await;
    assert_eq!(
        types(&all),
        vec![
            "tenancy.location_created",
            "catalog.item_created",
            "inventory.stock_changed",
            "inventory.stock_adjusted",
        ]
    );
    assert_eq!(seqs(&all), vec![1, 2, 3, 4]);
    assert_eq!(all["last_seq"], json!(4));
    let e = &all["data"][1];
    assert_eq!(e["tenant_id"], json!(t.tenant_id));
    assert_eq!(
        e["data"]["id"],
        json!(rice),
        "the data is the resource as answered"
    );
    assert_eq!(e["data"]["name"], json!("Basmati rice"));
    assert_eq!(e["location_id"], Value::Null, "an item is tenant-wide");
    assert_eq!(e["schema_version"], json!(1));
    assert!(e["actor"].is_string());
    assert!(
        uuid::Uuid::parse_str(e["id"].as_str().unwrap()).is_ok_and(|u| u.get_version_num() == 7)
    );
    let changed = &all["data"][2];
    assert_eq!(changed["location_id"], json!(t.location_id));
    assert_eq!(
        changed["data"]["items"],
        json!([{"item_id": rice, "kind": "receipt", "quantity": "2500.000", "movements": 1}])
    );
    let adjusted = &all["data"][3];
    assert_eq!(adjusted["data"]["id"], movement["id"]);
    assert_eq!(adjusted["location_id"], json!(t.location_id));

    // After a sequence number, by type, a page at a time.
    let after = events(&app, &t, "?after=2").await;
    assert_eq!(seqs(&after), vec![3, 4]);
    let only = events(
        &app,
        &t,
        "?type=inventory.stock_adjusted,catalog.item_created",
    )
    .await;
    assert_eq!(seqs(&only), vec![2, 4]);
    assert_eq!(only["last_seq"], json!(4));
    let page = events(&app, &t, "?limit=2").await;
    assert_eq!(seqs(&page), vec![1, 2]);
    assert_eq!(page["last_seq"], json!(2));
    for (query, field) in [
        ("?type=inventory.nothing", "type"),
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?after=-1", "after"),
    ] {
        let res = app.get(&format!("/api/v1/events{query}"), &t.token).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(json_of(res).await["field"], json!(field), "{query}");
    }
}

async fn refused_requests_and_retries_record_no_extra_event(app: TestApp) {
    let t = app.register("Quiet Kitchen").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    let head = events(&app, &t, "").await["last_seq"].as_i64().unwrap();
    // Refused: an unknown item, a bad quantity.
    let res = app
        .adjust(&t, &uuid::Uuid::now_v7().to_string(), "5", "receipt")
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.adjust(&t, &rice, "0", "receipt").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(events(&app, &t, "").await["last_seq"], json!(head));
    // A retried create with its Idempotency-Key records its events once.
    let body =
        json!({"item_id": rice, "location_id": t.location_id, "quantity": "10", "kind": "receipt"});
    for _ in 0..2 {
        let res = app
            .post_with_key("/api/v1/stock/adjustments", &t.token, "retry-1", &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let after = events(&app, &t, &format!("?after={head}")).await;
    assert_eq!(
        types(&after),
        vec!["inventory.stock_changed", "inventory.stock_adjusted"]
    );
}

/// Reads server-sent events from a response body.
mod sse {
    use serde_json::Value;

    /// The next event's `id` and JSON `data`, skipping comments; `None` when the stream ends.
    pub async fn next_event(res: &mut reqwest::Response, buf: &mut String) -> Option<(i64, Value)> {
        loop {
            if let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if let Some(id) = id {
                    return Some((id, serde_json::from_str(&data).expect("event data is JSON")));
                }
                continue;
            }
            let chunk = res.chunk().await.ok()??;
            buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn open_stream(
    app: &TestApp,
    t: &Tenant,
    query: &str,
    last: Option<i64>,
) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(&format!("/api/v1/events/stream{query}")))
        .bearer_auth(&t.token);
    if let Some(n) = last {
        req = req.header("Last-Event-ID", n.to_string());
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    res
}

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within 10 s"))
}

async fn the_stream_delivers_live_and_resumes_after_last_event_id(app: TestApp) {
    let t = app.register("Live Kitchen").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    // Without Last-Event-ID the stream starts now: the item's event is not replayed.
    let mut res = open_stream(&app, &t, "?type=inventory.stock_adjusted", None).await;
    let mut buf = String::new();
    assert_eq!(
        app.adjust(&t, &rice, "100", "receipt").await.status(),
        StatusCode::CREATED
    );
    let (first, e) = within("the first live event", next_event(&mut res, &mut buf))
        .await
        .expect("an event");
    assert_eq!(e["type"], json!("inventory.stock_adjusted"));
    assert_eq!(e["seq"], json!(first));
    assert_eq!(e["data"]["quantity"], json!("100.000"));
    drop(res);

    // Disconnected: three more changes happen; resuming after `first` misses none of them.
    for q in ["1", "2", "3"] {
        assert_eq!(
            app.adjust(&t, &rice, q, "receipt").await.status(),
            StatusCode::CREATED
        );
    }
    let mut res = open_stream(&app, &t, "?type=inventory.stock_adjusted", Some(first)).await;
    let mut buf = String::new();
    let mut got = Vec::new();
    for _ in 0..3 {
        let (id, e) = within("a resumed event", next_event(&mut res, &mut buf))
            .await
            .expect("an event");
        got.push((id, e["data"]["quantity"].as_str().unwrap().to_owned()));
    }
    assert_eq!(
        got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(),
        vec!["1.000", "2.000", "3.000"]
    );
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "in sequence order");
    // And live again after the catch-up.
    assert_eq!(
        app.adjust(&t, &rice, "4", "receipt").await.status(),
        StatusCode::CREATED
    );
    let (_, e) = within(
        "a live event after resuming",
        next_event(&mut res, &mut buf),
    )
    .await
    .expect("an event");
    assert_eq!(e["data"]["quantity"], json!("4.000"));

    // Refused up front: a bad Last-Event-ID, an unknown type, no token.
    let res = app
        .client
        .get(app.url("/api/v1/events/stream"))
        .bearer_auth(&t.token)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], json!("Last-Event-ID"));
    let res = app
        .get("/api/v1/events/stream?type=nothing.at_all", &t.token)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .client
        .get(app.url("/api/v1/events/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn events_are_isolated_between_tenants_and_filtered_by_location(app: TestApp) {
    let a = app.register("Kitchen A").await;
    let b = app.register("Kitchen B").await;
    let rice = app.create_item(&a, "Basmati rice", "g", "0.002").await;
    assert_eq!(
        app.adjust(&a, &rice, "10", "receipt").await.status(),
        StatusCode::CREATED
    );
    let second = json_of(
        app.post(
            "/api/v1/locations",
            Some(&a.token),
            &json!({"name": "Peckham", "kind": "outlet"}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"item_id": rice, "location_id": second, "quantity": "7", "kind": "receipt"});
    assert_eq!(
        app.post("/api/v1/stock/adjustments", Some(&a.token), &body)
            .await
            .status(),
        StatusCode::CREATED
    );

    // B sees only its own location's creation; its sequence is its own.
    let eb = events(&app, &b, "").await;
    assert_eq!(types(&eb), vec!["tenancy.location_created"]);
    assert_eq!(seqs(&eb), vec![1]);
    // A's location filter keeps that location's events and the tenant-wide ones.
    let at_first = events(&app, &a, &format!("?location_id={}", a.location_id)).await;
    for e in at_first["data"].as_array().unwrap() {
        assert!(
            e["location_id"] == json!(a.location_id) || e["location_id"].is_null(),
            "{e}"
        );
    }
    assert!(types(&at_first).contains(&"catalog.item_created".to_owned()));
    assert_eq!(
        at_first["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == json!("inventory.stock_adjusted"))
            .count(),
        1
    );
    // Another tenant's location is not found, on the list and the stream.
    for path in ["/api/v1/events", "/api/v1/events/stream"] {
        let res = app
            .get(&format!("{path}?location_id={}", a.location_id), &b.token)
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // A stream of B hears nothing of A's changes.
    let mut res = open_stream(&app, &b, "", None).await;
    let mut buf = String::new();
    assert_eq!(
        app.adjust(&a, &rice, "1", "receipt").await.status(),
        StatusCode::CREATED
    );
    let heard =
        tokio::time::timeout(Duration::from_millis(1500), next_event(&mut res, &mut buf)).await;
    assert!(heard.is_err(), "B's stream heard A's change: {heard:?}");
}

/// Whether RabbitMQ tests may be skipped here: only with `LARDER_SKIP_RABBITMQ=1`, never in
/// CI (`.ci/run` unsets it).
pub(crate) fn rabbitmq_skipped() -> bool {
    std::env::var("LARDER_SKIP_RABBITMQ").is_ok_and(|v| v == "1")
}

/// A queue bound to every event of `tenant` on the events exchange.
pub(crate) async fn tenant_queue(tenant: &str) -> (lapin::Connection, lapin::Channel, String) {
    use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
    use lapin::types::FieldTable;
    let conn = lapin::Connection::connect(RABBITMQ, lapin::ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| {
            panic!("RabbitMQ is required at {RABBITMQ} (LARDER_SKIP_RABBITMQ=1 skips): {e}")
        });
    let ch = conn.create_channel().await.unwrap();
    ch.exchange_declare(
        larder::amqp::EXCHANGE.into(),
        lapin::ExchangeKind::Topic,
        ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    let q = ch
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    ch.queue_bind(
        q.name().clone(),
        larder::amqp::EXCHANGE.into(),
        format!("{tenant}.#").into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    let name = q.name().to_string();
    (conn, ch, name)
}

/// Consumes from `queue` until every id of `want` has arrived (duplicates allowed); returns the
/// message ids in arrival order and their routing keys.
async fn consume_until(
    ch: &lapin::Channel,
    queue: &str,
    want: &BTreeSet<String>,
) -> Vec<(String, String)> {
    consume_until_within(ch, queue, want, Duration::from_secs(20)).await
}

/// As [`consume_until`], failing when no message arrives for `idle`.
pub(crate) async fn consume_until_within(
    ch: &lapin::Channel,
    queue: &str,
    want: &BTreeSet<String>,
    idle: Duration,
) -> Vec<(String, String)> {
    use futures::StreamExt;
    use lapin::options::{BasicAckOptions, BasicConsumeOptions};
    let mut consumer = ch
        .basic_consume(
            queue.into(),
            format!("test-{}", uuid::Uuid::now_v7()).into(),
            BasicConsumeOptions::default(),
            lapin::types::FieldTable::default(),
        )
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut seen = BTreeSet::new();
    while !want.is_subset(&seen) {
        let d = tokio::time::timeout(idle, consumer.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "only {} of {} events reached RabbitMQ, then none for {idle:?}",
                    seen.len(),
                    want.len()
                )
            })
            .expect("the consumer ended")
            .expect("a delivery");
        let id = d
            .properties
            .message_id()
            .as_ref()
            .expect("message_id")
            .to_string();
        let body: Value = serde_json::from_slice(&d.data).expect("JSON");
        assert_eq!(body["id"], json!(id), "message_id is the event id");
        got.push((id.clone(), d.routing_key.to_string()));
        seen.insert(id);
        d.ack(BasicAckOptions::default()).await.unwrap();
    }
    got
}

async fn the_relay_publishes_every_event_to_rabbitmq_once_the_broker_is_back(app: TestApp) {
    if rabbitmq_skipped() {
        eprintln!("skipping RabbitMQ: LARDER_SKIP_RABBITMQ=1");
        return;
    }
    let t = app.register("Relay Kitchen").await;
    let (_conn, ch, queue) = tenant_queue(&t.tenant_id).await;
    // The broker is unreachable: requests succeed, events wait in the outbox.
    let down: Arc<dyn larder_app::events::Publisher> = Arc::new(larder::amqp::AmqpPublisher::new(
        "amqp://guest:guest@127.0.0.1:1/%2f",
    ));
    let relay = tokio::spawn(larder::amqp::relay(app.app.clone(), down));
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    for q in ["1", "2", "3"] {
        assert_eq!(
            app.adjust(&t, &rice, q, "receipt").await.status(),
            StatusCode::CREATED
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.abort();
    let listed = events(&app, &t, "").await;
    let want: Vec<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(want.len(), 8, "{listed}");
    // The broker is back: every event arrives, in sequence order, with its routing key.
    let up: Arc<dyn larder_app::events::Publisher> =
        Arc::new(larder::amqp::AmqpPublisher::new(RABBITMQ));
    let relay = tokio::spawn(larder::amqp::relay(app.app.clone(), up));
    let got = consume_until(&ch, &queue, &want.iter().cloned().collect()).await;
    relay.abort();
    let order: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(
        order,
        want.iter().map(String::as_str).collect::<Vec<_>>(),
        "in order, once each"
    );
    assert_eq!(got[1].1, format!("{}.catalog.item_created", t.tenant_id));
}

// --- Two processes on one PostgreSQL -------------------------------------------------------

/// A `larder serve` child process.
struct Serve {
    child: std::process::Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database_url: &str, amqp: Option<&str>) -> Serve {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("larder-proc-{}", uuid::Uuid::now_v7()));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_larder"));
    cmd.args(["serve", "--port", "0", "--data-dir"])
        .arg(&dir)
        .env("DATABASE_URL", database_url)
        .env(
            "LARDER_JWT_SECRET",
            "test-secret-test-secret-test-secret-0123",
        )
        .env_remove("LARDER_AMQP_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if let Some(a) = amqp {
        cmd.env("LARDER_AMQP_URL", a);
    }
    let mut child = cmd.spawn().expect("larder serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the url line");
    let url = line
        .trim()
        .strip_prefix("url: ")
        .unwrap_or_else(|| panic!("no url in {line:?}"))
        .trim_end_matches('/')
        .replace("localhost", "127.0.0.1");
    Serve { child, url }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_see_each_others_changes_live_and_a_killed_relay_loses_nothing()
 {
    let Some(app) = crate::helpers::spawn_app_opt(Backend::Postgres).await else {
        return;
    };
    let skip_broker = rabbitmq_skipped();
    let t = app.register("Two Kitchens").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    let db = app.database_url.clone().expect("a PostgreSQL URL");
    let queue = if skip_broker {
        None
    } else {
        Some(tenant_queue(&t.tenant_id).await)
    };
    let mut one = serve(&db, (!skip_broker).then_some(RABBITMQ));
    let two = serve(&db, None);
    let client = reqwest::Client::new();
    let adjust = |base: &str, qty: &str| {
        client
            .post(format!("{base}/api/v1/stock/adjustments"))
            .bearer_auth(&t.token)
            .json(&json!({"item_id": rice, "location_id": t.location_id, "quantity": qty, "kind": "receipt"}))
            .send()
    };

    // A stream on process two hears a change made through process one within a second.
    let mut res = client
        .get(format!(
            "{}/api/v1/events/stream?type=inventory.stock_adjusted",
            two.url
        ))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut buf = String::new();
    // A first change, untimed: process two's LISTEN may still be registering.
    let r = adjust(&one.url, "10").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, e) = within(
        "the first change through the other process",
        next_event(&mut res, &mut buf),
    )
    .await
    .expect("an event");
    assert_eq!(e["data"]["quantity"], json!("10.000"));
    for qty in ["11", "12", "13"] {
        let r = adjust(&one.url, qty).await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let committed = Instant::now();
        let (_, e) = within(
            "a change through the other process",
            next_event(&mut res, &mut buf),
        )
        .await
        .expect("an event");
        let waited = committed.elapsed();
        assert_eq!(e["data"]["quantity"], json!(format!("{qty}.000")));
        assert!(
            waited < Duration::from_secs(1),
            "seen on the other process after {waited:?}"
        );
    }
    drop(res);

    let Some((_conn, ch, queue)) = queue else {
        eprintln!("skipping the relay half: LARDER_SKIP_RABBITMQ=1");
        return;
    };
    // A burst through process one, then kill -9 in the middle of relaying it; a new process
    // (with the relay) publishes whatever was not confirmed: every event arrives.
    let mut writes = Vec::new();
    for n in 0..40 {
        writes.push(adjust(&one.url, if n % 2 == 0 { "1" } else { "2" }));
    }
    for w in futures::future::join_all(writes).await {
        assert_eq!(w.unwrap().status(), StatusCode::CREATED);
    }
    one.child.kill().expect("kill -9");
    let _ = one.child.wait();
    let listed = events(&app, &t, "?limit=500").await;
    let want: BTreeSet<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    // The location, the item, and a stock_changed and a stock_adjusted per adjustment.
    assert_eq!(want.len(), 2 + 2 * 44);
    let _again = serve(&db, Some(RABBITMQ));
    let got = consume_until(&ch, &queue, &want).await;
    let ids: BTreeSet<String> = got.iter().map(|g| g.0.clone()).collect();
    assert_eq!(ids, want, "every committed event, and nothing else");
    // Each first arrival is in sequence order.
    let mut first = Vec::new();
    for (id, _) in &got {
        if !first.contains(id) {
            first.push(id.clone());
        }
    }
    let in_seq: Vec<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(first, in_seq);
}
