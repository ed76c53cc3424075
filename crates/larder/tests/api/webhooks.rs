//! Webhooks (issue 10, ADR 027), on both backends: a subscription receives its event types
//! signed per the Standard Webhooks scheme (checked with the specification's own `standardwebhooks`
//! library, before and after a secret rotation); a target that answers 500 is tried again and
//! the delivery log shows each attempt; a hanging target holds up no other; a delivery can be
//! replayed; loopback, private and link-local targets are refused unless the operator allows
//! them; other tenants' subscriptions are 404 and members without `members.manage` get 403.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    deliveries_are_signed_retried_logged_and_replayed,
    a_hanging_target_holds_up_no_other,
    private_targets_are_refused_and_subscriptions_are_the_tenants_own,
);

/// What a receiver got: headers and body of each request.
type Got = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;

/// A local HTTP receiver answering `statuses` in turn (then 204), or never when `hang`.
async fn receiver(statuses: Vec<u16>, hang: bool) -> (String, Got) {
    let got: Got = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(statuses));
    let g = got.clone();
    let handler = move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
        let (g, answers) = (g.clone(), answers.clone());
        async move {
            g.lock().unwrap().push((headers, body.to_vec()));
            if hang {
                tokio::time::sleep(Duration::from_secs(120)).await;
            }
            let code = {
                let mut a = answers.lock().unwrap();
                if a.is_empty() { 204 } else { a.remove(0) }
            };
            StatusCode::from_u16(code).unwrap()
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://127.0.0.1:{port}/hook"), got)
}

fn start_dispatcher(app: &TestApp) -> tokio::task::JoinHandle<()> {
    let sender: Arc<dyn larder_app::webhooks::WebhookSender> =
        Arc::new(larder::webhooks::HttpSender::new(true).unwrap());
    tokio::spawn(larder::webhooks::dispatch(app.app.clone(), sender))
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

async fn subscribe(app: &TestApp, t: &Tenant, url: &str, types: Value) -> (String, String) {
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&t.token),
            &json!({"url": url, "description": "till", "event_types": types}),
        )
        .await;
    let status = res.status();
    let body = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["secret"].as_str().unwrap().starts_with("whsec_"));
    (
        body["webhook"]["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// Waits up to `secs` for the receiver to hold `n` requests.
async fn requests(got: &Got, n: usize, secs: u64) -> Vec<(axum::http::HeaderMap, Vec<u8>)> {
    for _ in 0..secs * 10 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got.lock().unwrap().clone()
}

/// The delivery log once `done` holds of it (the receiver sees a request before the
/// dispatcher records the answer), waiting up to 10 s; the last log read otherwise.
async fn settled(
    app: &TestApp,
    t: &Tenant,
    id: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut log = Vec::new();
    for _ in 0..100 {
        log = deliveries(app, t, id).await;
        if done(&log) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    log
}

async fn deliveries(app: &TestApp, t: &Tenant, id: &str) -> Vec<Value> {
    json_of(
        app.get(&format!("/api/v1/webhooks/{id}/deliveries"), &t.token)
            .await,
    )
    .await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn deliveries_are_signed_retried_logged_and_replayed(app: TestApp) {
    let t = app.register("Hooked Kitchen").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    let (url, got) = receiver(vec![500], false).await;
    let (id, secret) = subscribe(&app, &t, &url, json!(["inventory.stock_adjusted"])).await;
    let dispatcher = start_dispatcher(&app);
    assert_eq!(
        app.adjust(&t, &rice, "100", "receipt").await.status(),
        StatusCode::CREATED
    );

    // First attempt answered 500, the retry 5 s later 204.
    let reqs = requests(&got, 2, 20).await;
    assert_eq!(reqs.len(), 2, "the 500 was tried again");
    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    let events = json_of(
        app.get("/api/v1/events?type=inventory.stock_adjusted", &t.token)
            .await,
    )
    .await;
    let event = &events["data"][0];
    for (headers, body) in &reqs {
        verifier
            .verify(body, headers)
            .unwrap_or_else(|e| panic!("the signature does not verify: {e}"));
        assert_eq!(headers["webhook-id"], event["id"].as_str().unwrap());
        let sent: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(sent, *event, "the body is the event's envelope");
    }
    let log = settled(&app, &t, &id, |l| {
        l.iter().all(|d| d["status"] == json!("succeeded"))
    })
    .await;
    assert_eq!(log.len(), 1, "only the subscribed type: {log:?}");
    let d = &log[0];
    assert_eq!(d["status"], json!("succeeded"));
    assert_eq!(d["attempts"], json!(2));
    assert_eq!(d["last_status"], json!(204));
    assert_eq!(d["event_id"], event["id"]);

    // Replayed: delivered again, with the same id.
    let res = app
        .post(
            &format!(
                "/api/v1/webhooks/{id}/deliveries/{}/replay",
                d["id"].as_str().unwrap()
            ),
            Some(&t.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let reqs = requests(&got, 3, 10).await;
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].0["webhook-id"], event["id"].as_str().unwrap());

    // A rotated secret: the next delivery verifies with the new one and, for a day, the old.
    let res = app
        .post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&t.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let rotated = json_of(res).await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["webhook"]["previous_secret_until"].is_string());
    assert_eq!(
        app.adjust(&t, &rice, "5", "receipt").await.status(),
        StatusCode::CREATED
    );
    let reqs = requests(&got, 4, 10).await;
    assert_eq!(reqs.len(), 4);
    let (h, b) = &reqs[3];
    standardwebhooks::Webhook::new(&new_secret)
        .unwrap()
        .verify(b, h)
        .unwrap();
    verifier.verify(b, h).unwrap();
    // A tampered body does not verify.
    let mut bad = b.clone();
    bad[0] = b' ';
    assert!(verifier.verify(&bad, h).is_err());
    dispatcher.abort();

    // The rest of the API: one subscription, its ETag, an update switching it off.
    let res = app.get(&format!("/api/v1/webhooks/{id}"), &t.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let w = json_of(res).await;
    assert!(w.get("secret").is_none(), "the secret is shown only once");
    let res = app
        .client
        .put(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&t.token)
        .header("If-Match", &etag)
        .json(&json!({"url": url, "event_types": [], "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let off = json_of(res).await;
    assert_eq!(off["active"], json!(false));
    assert_eq!(off["event_types"], json!([]));
    let res = app
        .client
        .put(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&t.token)
        .header("If-Match", &etag)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let audit = json_of(
        app.get("/api/v1/audit-log?action=webhooks.", &t.token)
            .await,
    )
    .await;
    let text = audit.to_string();
    assert!(text.contains("webhooks.webhook_created") && text.contains("webhooks.secret_rotated"));
    assert!(
        !text.contains(&secret[6..]) && !text.contains(&new_secret[6..]),
        "a secret leaked into the audit log"
    );
}

async fn a_hanging_target_holds_up_no_other(app: TestApp) {
    let t = app.register("Two Receivers").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    let (slow_url, slow) = receiver(Vec::new(), true).await;
    let (fast_url, fast) = receiver(Vec::new(), false).await;
    subscribe(&app, &t, &slow_url, json!([])).await;
    let (fast_id, _) = subscribe(&app, &t, &fast_url, json!([])).await;
    let dispatcher = start_dispatcher(&app);
    for q in ["1", "2", "3"] {
        assert_eq!(
            app.adjust(&t, &rice, q, "receipt").await.status(),
            StatusCode::CREATED
        );
    }
    // Six events each (stock_changed and stock_adjusted per adjustment): the fast target gets
    // all of them while the slow one still holds its first requests.
    let reqs = requests(&fast, 6, 5).await;
    assert_eq!(reqs.len(), 6, "the fast target waited for the slow one");
    assert!(
        !slow.lock().unwrap().is_empty(),
        "the slow target was tried too"
    );
    let all_done =
        |l: &[Value]| l.len() == 6 && l.iter().all(|d| d["status"] == json!("succeeded"));
    let log = settled(&app, &t, &fast_id, all_done).await;
    assert!(all_done(&log), "{log:?}");
    dispatcher.abort();
}

async fn private_targets_are_refused_and_subscriptions_are_the_tenants_own(app: TestApp) {
    let a = app.register("Kitchen A").await;
    let b = app.register("Kitchen B").await;
    // The operator has not allowed private targets in this app.
    let strict = app.app.clone().with_webhook_private_targets(false);
    let p = app.app.authenticate(&a.token).await.unwrap();
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "not a url",
    ] {
        let e = strict
            .create_webhook(
                p,
                larder_app::webhooks::WebhookCommand {
                    url: url.into(),
                    description: None,
                    event_types: None,
                    active: None,
                },
            )
            .await
            .err()
            .unwrap_or_else(|| panic!("{url} was accepted"));
        assert!(
            matches!(&e, larder_app::AppError::Validation { field, .. } if field == "url"),
            "{url}: {e:?}"
        );
    }
    strict
        .create_webhook(
            p,
            larder_app::webhooks::WebhookCommand {
                url: "https://hooks.example.com/larder".into(),
                description: None,
                event_types: Some(vec!["sales.sale_recorded".into()]),
                active: None,
            },
        )
        .await
        .expect("a public https target");
    // The strict sender refuses a private address at delivery time too, written or resolved.
    let sender = larder::webhooks::HttpSender::new(false).unwrap();
    use larder_app::webhooks::WebhookSender;
    let e = sender
        .post("http://127.0.0.1:9/hook", Vec::new(), b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(e.contains("refused"), "{e}");
    let e = sender
        .post("http://localhost:9/hook", Vec::new(), b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(e.contains("private"), "{e}");

    // Bad types, other tenants, roles.
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&a.token),
            &json!({"url": "https://example.com/x", "event_types": ["inventory.nothing"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], json!("event_types[0]"));
    let (id, _) = subscribe(&app, &a, "https://example.com/a", json!([])).await;
    let res = app
        .post(
            "/api/v1/webhooks",
            Some(&a.token),
            &json!({"url": "https://example.com/a"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    for path in [
        format!("/api/v1/webhooks/{id}"),
        format!("/api/v1/webhooks/{id}/deliveries"),
    ] {
        assert_eq!(
            app.get(&path, &b.token).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let listed = json_of(app.get("/api/v1/webhooks", &b.token).await).await;
    assert_eq!(listed, json!([]));
    let (_, _, manager) = app.add_member(&a, "manager").await;
    assert_eq!(
        app.get("/api/v1/webhooks", &manager).await.status(),
        StatusCode::FORBIDDEN
    );
    // Not with an API key either, whatever its scopes: it could subscribe to what it cannot read.
    let res = app
        .post(
            "/api/v1/api-keys",
            Some(&a.token),
            &json!({"name": "bridge", "scopes": ["members.manage"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let key = json_of(res).await["key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/webhooks", &key).await.status(),
        StatusCode::FORBIDDEN
    );
}
