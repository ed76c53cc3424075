//! Transfers (issue 9, item 4; ADR 021): requested -> sent (out of the sender's stock, lots
//! taken FEFO, in transit and in the stock value) -> received (lots carried across with their
//! code, expiry and exact value; short and over recorded as discrepancies), cancelled before
//! sending; edits with If-Match; sending and receiving twice post once; a member limited to
//! locations acts only for their side; every id isolated per tenant.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp};

crate::both!(
    a_transfer_carries_stock_and_its_lots_from_the_kitchen_to_an_outlet,
    sending_or_receiving_twice_posts_once_and_more_than_sent_is_a_recorded_discrepancy,
    a_requested_transfer_is_edited_at_its_version_and_bad_input_names_the_field,
    transfers_are_isolated_per_tenant_and_a_limited_member_acts_for_their_side,
);

/// Money or a quantity from its decimal text, in millionths (exact).
fn raw(v: &Value) -> i64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"));
    larder_core::Money::parse(s)
        .unwrap_or_else(|e| panic!("{s}: {e:?}"))
        .raw()
}

/// A quantity from its decimal text, in thousandths (exact).
fn qty(v: &Value) -> i64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"));
    larder_core::Quantity::parse(s)
        .unwrap_or_else(|e| panic!("{s}: {e:?}"))
        .raw()
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

/// A second location of `t`: the central kitchen.
async fn kitchen(app: &TestApp, t: &Tenant) -> String {
    let res = app
        .post(
            "/api/v1/locations",
            Some(&t.token),
            &json!({"name": "Central kitchen", "kind": "central_kitchen"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    json_of(res).await["id"].as_str().expect("id").to_owned()
}

/// Receives `lines` (item, grams, cost per g, lot code, expiry) at `location` as a walk-in.
async fn stock(
    app: &TestApp,
    t: &Tenant,
    location: &str,
    lines: &[(&str, &str, &str, &str, &str)],
) {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(item, q, cost, code, exp)| {
            json!({"item_id": item, "quantity": q, "unit_cost": cost, "lot_code": code, "expires_on": exp})
        })
        .collect();
    let res = app
        .post(
            "/api/v1/goods-receipts",
            Some(&t.token),
            &json!({"location_id": location, "lines": lines}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
}

async fn on_hand_at(app: &TestApp, t: &Tenant, item: &str, location: &str) -> i64 {
    let body = json_of(
        app.get(
            &format!("/api/v1/stock?item_id={item}&location_id={location}"),
            &t.token,
        )
        .await,
    )
    .await;
    body["data"]
        .as_array()
        .and_then(|a| a.first())
        .map_or(0, |r| qty(&r["on_hand"]))
}

/// The stock value: (total, in transit).
async fn value(app: &TestApp, t: &Tenant, query: &str) -> (i64, i64) {
    let res = app
        .get(&format!("/api/v1/stock-value{query}"), &t.token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = json_of(res).await;
    (raw(&v["total"]), raw(&v["in_transit"]))
}

async fn request(app: &TestApp, t: &Tenant, body: &Value) -> Value {
    let res = app.post("/api/v1/transfers", Some(&t.token), body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    json_of(res).await
}

async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    action: &str,
    body: &Value,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/transfers/{id}/{action}"),
        Some(token),
        body,
    )
    .await
}

async fn a_transfer_carries_stock_and_its_lots_from_the_kitchen_to_an_outlet(app: TestApp) {
    let t = app.register("Transfers").await;
    let ck = kitchen(&app, &t).await;
    let bx = t.location_id.clone();
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    // Two lots at the kitchen: 3 kg of A at 0.002/g (6.00), 2 kg of B at 0.0025/g (5.00).
    stock(
        &app,
        &t,
        &ck,
        &[
            (&rice, "3000", "0.002", "LOT-A", "2030-01-10"),
            (&rice, "2000", "0.0025", "LOT-B", "2030-02-10"),
        ],
    )
    .await;
    let (before, none) = value(&app, &t, "").await;
    assert_eq!((before, none), (11_000_000, 0));

    // Requested as an amount typed in kilograms: 4 kg.
    let tr = request(
        &app,
        &t,
        &json!({"from_location_id": ck, "to_location_id": bx, "note": "Friday",
                "lines": [{"item_id": rice, "amount": "3.5 kg + 500 g"}]}),
    )
    .await;
    assert_eq!(tr["number"], "TRF-000001");
    assert_eq!(tr["status"], "requested");
    assert_eq!(tr["actions"], json!(["send", "cancel"]));
    assert_eq!(qty(&tr["lines"][0]["quantity"]), 4_000_000);
    assert_eq!(tr["lines"][0]["amount"], "3.5 kg + 500 g");
    let id = tr["id"].as_str().expect("id").to_owned();

    // Sent: 4 kg leave the kitchen, FEFO (all of A, 1 kg of B) at 8.50; Brixton has none yet;
    // the stock value is unchanged, 8.50 of it in transit.
    let res = act(&app, &t.token, &id, "send", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let sent = json_of(res).await;
    assert_eq!(sent["status"], "sent");
    assert_eq!(raw(&sent["sent_value"]), 8_500_000);
    let lots = &sent["lines"][0]["lots"];
    assert_eq!(lots.as_array().map(Vec::len), Some(2));
    assert_eq!(
        (
            &lots[0]["code"],
            &lots[0]["expires_on"],
            qty(&lots[0]["quantity"]),
            raw(&lots[0]["cost"])
        ),
        (&json!("LOT-A"), &json!("2030-01-10"), 3_000_000, 6_000_000)
    );
    assert_eq!(
        (
            &lots[1]["code"],
            qty(&lots[1]["quantity"]),
            raw(&lots[1]["cost"])
        ),
        (&json!("LOT-B"), 1_000_000, 2_500_000)
    );
    assert_eq!(on_hand_at(&app, &t, &rice, &ck).await, 1_000_000);
    assert_eq!(on_hand_at(&app, &t, &rice, &bx).await, 0);
    assert_eq!(value(&app, &t, "").await, (11_000_000, 8_500_000));
    // One location's value leaves in transit out (it is at neither).
    assert_eq!(value(&app, &t, &format!("?location_id={bx}")).await, (0, 0));
    assert_eq!(
        value(&app, &t, &format!("?location_id={ck}")).await,
        (2_500_000, 0)
    );
    // As of the instant it was sent it is in transit; a moment before, it was at the kitchen.
    let sent_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(sent["sent_at"].clone()).expect("sent_at");
    let q = |at: chrono::DateTime<chrono::Utc>| {
        format!(
            "?as_of={}",
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .replace('+', "%2B")
        )
    };
    assert_eq!(value(&app, &t, &q(sent_at)).await, (11_000_000, 8_500_000));
    assert_eq!(
        value(&app, &t, &q(sent_at - chrono::Duration::microseconds(1))).await,
        (11_000_000, 0)
    );
    let by_item = json_of(app.get("/api/v1/stock-value", &t.token).await).await;
    assert_eq!(by_item["in_transit_lines"][0]["name"], "Basmati rice");
    assert_eq!(qty(&by_item["in_transit_lines"][0]["quantity"]), 4_000_000);

    // Received short: 3.5 kg arrive. All of LOT-A and 0.5 kg of LOT-B come in with their
    // codes, expiries and exact values (7.25); 0.5 kg worth 1.25 is the discrepancy.
    let res = act(
        &app,
        &t.token,
        &id,
        "receive",
        &json!({"lines": [{"line_no": 1, "received_quantity": "3500", "note": "one bag split"}]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let got = json_of(res).await;
    assert_eq!(got["status"], "received");
    assert!(got["actions"].as_array().is_some_and(Vec::is_empty));
    let line = &got["lines"][0];
    assert_eq!(qty(&line["received_quantity"]), 3_500_000);
    assert_eq!(raw(&line["received_value"]), 7_250_000);
    assert_eq!(qty(&line["discrepancy_quantity"]), -500_000);
    assert_eq!(raw(&line["discrepancy_value"]), -1_250_000);
    assert_eq!(line["note"], "one bag split");
    assert_eq!(raw(&got["discrepancy_value"]), -1_250_000);
    assert_eq!(on_hand_at(&app, &t, &rice, &bx).await, 3_500_000);
    assert_eq!(on_hand_at(&app, &t, &rice, &ck).await, 1_000_000);
    // The stock value moved by exactly the discrepancy; nothing is in transit.
    assert_eq!(value(&app, &t, "").await, (9_750_000, 0));
    assert_eq!(
        value(&app, &t, &format!("?location_id={bx}")).await,
        (7_250_000, 0)
    );
    // As of the send, it is still shown in transit.
    assert_eq!(value(&app, &t, &q(sent_at)).await, (11_000_000, 8_500_000));
    // Brixton's lots carry the kitchen's codes and expiries.
    let lots = json_of(
        app.get(&format!("/api/v1/lots?location_id={bx}"), &t.token)
            .await,
    )
    .await;
    let lots: Vec<(Value, Value, i64, i64)> = lots["data"]
        .as_array()
        .expect("lots")
        .iter()
        .map(|l| {
            (
                l["code"].clone(),
                l["expires_on"].clone(),
                qty(&l["remaining"]),
                raw(&l["remaining_value"]),
            )
        })
        .collect();
    assert_eq!(
        lots,
        vec![
            (json!("LOT-A"), json!("2030-01-10"), 3_000_000, 6_000_000),
            (json!("LOT-B"), json!("2030-02-10"), 500_000, 1_250_000),
        ]
    );
    // Moving stock is not using it: the cost of goods used has no transfer in it.
    let used = json_of(
        app.get(
            "/api/v1/cost-of-goods-used?from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(raw(&used["total"]), 0, "{used}");
    // The list: by status and location.
    let list = json_of(app.get("/api/v1/transfers?status=received", &t.token).await).await;
    assert_eq!(list["data"][0]["number"], "TRF-000001");
    let list = json_of(app.get("/api/v1/transfers?status=sent", &t.token).await).await;
    assert_eq!(list["data"], json!([]));
}

async fn sending_or_receiving_twice_posts_once_and_more_than_sent_is_a_recorded_discrepancy(
    app: TestApp,
) {
    let t = app.register("Twice").await;
    let ck = kitchen(&app, &t).await;
    let bx = t.location_id.clone();
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    stock(
        &app,
        &t,
        &ck,
        &[(&rice, "3000", "0.001", "LOT-C", "2030-03-01")],
    )
    .await;
    let tr = request(
        &app,
        &t,
        &json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "quantity": "3000"}]}),
    )
    .await;
    let id = tr["id"].as_str().expect("id").to_owned();
    // Receiving before sending is a conflict.
    let early = act(&app, &t.token, &id, "receive", &json!({})).await;
    assert_eq!(early.status(), StatusCode::CONFLICT);
    // Sent with a key; the same key replays; without it, a second send is a 409; once posted.
    let first = app
        .client
        .post(app.url(&format!("/api/v1/transfers/{id}/send")))
        .bearer_auth(&t.token)
        .header("Idempotency-Key", "send-once")
        .send()
        .await
        .expect("send");
    assert_eq!(first.status(), StatusCode::OK);
    let first = json_of(first).await;
    let replay = app
        .client
        .post(app.url(&format!("/api/v1/transfers/{id}/send")))
        .bearer_auth(&t.token)
        .header("Idempotency-Key", "send-once")
        .send()
        .await
        .expect("send");
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(replay).await, first);
    let again = act(&app, &t.token, &id, "send", &json!({})).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let problem = json_of(again).await;
    assert_eq!(problem["field"], "status", "{problem}");
    assert_eq!(on_hand_at(&app, &t, &rice, &ck).await, 0);
    // A sent transfer cannot be cancelled.
    let cancel = act(&app, &t.token, &id, "cancel", &json!({"reason": "oops"})).await;
    assert_eq!(cancel.status(), StatusCode::CONFLICT);
    // Received over: 3.6 kg for 3 kg sent at 3.00; the extra 0.6 kg comes in at the sent
    // unit cost (0.60), recorded as a discrepancy, not refused.
    let body = json!({"lines": [{"line_no": 1, "received_amount": "3.6 kg"}]});
    let res = app
        .client
        .post(app.url(&format!("/api/v1/transfers/{id}/receive")))
        .bearer_auth(&t.token)
        .header("Idempotency-Key", "receive-once")
        .json(&body)
        .send()
        .await
        .expect("receive");
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let got = json_of(res).await;
    let line = &got["lines"][0];
    assert_eq!(qty(&line["received_quantity"]), 3_600_000);
    assert_eq!(raw(&line["received_value"]), 3_600_000);
    assert_eq!(qty(&line["discrepancy_quantity"]), 600_000);
    assert_eq!(raw(&line["discrepancy_value"]), 600_000);
    assert_eq!(on_hand_at(&app, &t, &rice, &bx).await, 3_600_000);
    // Received again: with the key, the first answer; without, a 409; posted once.
    let replay = app
        .client
        .post(app.url(&format!("/api/v1/transfers/{id}/receive")))
        .bearer_auth(&t.token)
        .header("Idempotency-Key", "receive-once")
        .json(&body)
        .send()
        .await
        .expect("receive");
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(json_of(replay).await, got);
    let again = act(&app, &t.token, &id, "receive", &body).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(on_hand_at(&app, &t, &rice, &bx).await, 3_600_000);
    let moves = json_of(
        app.get(
            &format!("/api/v1/stock-movements?location_id={bx}&kind=transfer_in"),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(moves["data"].as_array().map(Vec::len), Some(2), "{moves}");
    // Stock value: 3.00 at the start, 3.60 now (the 0.60 over).
    assert_eq!(value(&app, &t, "").await, (3_600_000, 0));
}

async fn a_requested_transfer_is_edited_at_its_version_and_bad_input_names_the_field(app: TestApp) {
    let t = app.register("Edits").await;
    let ck = kitchen(&app, &t).await;
    let bx = t.location_id.clone();
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let bad = |body: Value, field: &'static str| {
        let app = &app;
        let token = t.token.clone();
        async move {
            let res = app.post("/api/v1/transfers", Some(&token), &body).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            let p = json_of(res).await;
            assert_eq!(p["field"], field, "{p}");
        }
    };
    bad(
        json!({"from_location_id": ck, "to_location_id": ck, "lines": [{"item_id": rice, "quantity": "1"}]}),
        "to_location_id",
    )
    .await;
    bad(
        json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "amount": "2 crates"}]}),
        "lines[0].amount",
    )
    .await;
    bad(
        json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "quantity": "1"}, {"item_id": rice, "quantity": "1", "amount": "1 g"}]}),
        "lines[1].quantity",
    )
    .await;
    bad(
        json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "quantity": "0"}]}),
        "lines[0].quantity",
    )
    .await;
    bad(
        json!({"from_location_id": ck, "to_location_id": bx, "lines": []}),
        "lines",
    )
    .await;
    let tr = request(
        &app,
        &t,
        &json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "quantity": "1000"}]}),
    )
    .await;
    let id = tr["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/transfers/{id}");
    let edit = json!({"from_location_id": bx, "to_location_id": ck,
                      "lines": [{"item_id": rice, "quantity": "250"}, {"item_id": rice, "amount": "1 kg"}]});
    let put = |v: &'static str| {
        app.client
            .put(app.url(&path))
            .bearer_auth(&t.token)
            .header("If-Match", v)
            .json(&edit)
            .send()
    };
    let res = put("\"1\"").await.expect("put");
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let edited = json_of(res).await;
    assert_eq!(edited["from_location_id"], json!(bx));
    assert_eq!(edited["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(qty(&edited["lines"][1]["quantity"]), 1_000_000);
    let stale = put("\"1\"").await.expect("put");
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    // Receiving line numbers the transfer does not have is named.
    let odd = act(&app, &t.token, &id, "send", &json!({})).await;
    assert_eq!(odd.status(), StatusCode::OK);
    let res = act(
        &app,
        &t.token,
        &id,
        "receive",
        &json!({"lines": [{"line_no": 9, "received_quantity": "1"}]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "lines[0].line_no");
    let res = act(
        &app,
        &t.token,
        &id,
        "receive",
        &json!({"lines": [{"line_no": 1, "received_quantity": "-1"}]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "lines[0].received_quantity");
    // Once sent it can no longer be edited.
    let res = app.put(&path, &t.token, &edit).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // A second one, cancelled with its reason; then not editable, not sendable.
    let tr = request(
        &app,
        &t,
        &json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "quantity": "1"}]}),
    )
    .await;
    assert_eq!(tr["number"], "TRF-000002");
    let id2 = tr["id"].as_str().expect("id").to_owned();
    let res = act(
        &app,
        &t.token,
        &id2,
        "cancel",
        &json!({"reason": "not needed"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let c = json_of(res).await;
    assert_eq!(
        (&c["status"], &c["cancel_reason"]),
        (&json!("cancelled"), &json!("not needed"))
    );
    assert!(c["cancelled_at"].is_string());
    let res = act(&app, &t.token, &id2, "send", &json!({})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .put(&format!("/api/v1/transfers/{id2}"), &t.token, &edit)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn transfers_are_isolated_per_tenant_and_a_limited_member_acts_for_their_side(app: TestApp) {
    let t = app.register("Mine").await;
    let ck = kitchen(&app, &t).await;
    let bx = t.location_id.clone();
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    stock(
        &app,
        &t,
        &ck,
        &[(&rice, "1000", "0.002", "LOT-D", "2030-03-01")],
    )
    .await;
    let tr = request(
        &app,
        &t,
        &json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "quantity": "400"}]}),
    )
    .await;
    let id = tr["id"].as_str().expect("id").to_owned();
    // Another tenant: every route with this id is a 404, and our items and locations too.
    let o = app.register("Theirs").await;
    let path = format!("/api/v1/transfers/{id}");
    assert_eq!(
        app.get(&path, &o.token).await.status(),
        StatusCode::NOT_FOUND
    );
    let body = json!({"from_location_id": ck, "to_location_id": bx, "lines": [{"item_id": rice, "quantity": "1"}]});
    assert_eq!(
        app.put(&path, &o.token, &body).await.status(),
        StatusCode::NOT_FOUND
    );
    for (action, b) in [
        ("send", json!({})),
        ("receive", json!({})),
        ("cancel", json!({"reason": "x"})),
    ] {
        assert_eq!(
            act(&app, &o.token, &id, action, &b).await.status(),
            StatusCode::NOT_FOUND,
            "{action}"
        );
    }
    let theirs = app.post("/api/v1/transfers", Some(&o.token), &body).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let own_item = app.create_item(&o, "Rice", "g", "0.002").await;
    let cross = json!({"from_location_id": o.location_id, "to_location_id": bx, "lines": [{"item_id": own_item, "quantity": "1"}]});
    assert_eq!(
        app.post("/api/v1/transfers", Some(&o.token), &cross)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let list = json_of(app.get("/api/v1/transfers", &o.token).await).await;
    assert_eq!(list["data"], json!([]));
    // A manager limited to Brixton (the receiver) sees it, cannot send it, can receive it.
    let (user, _, m) = app.add_member(&t, "manager").await;
    let res = app
        .put(
            &format!("/api/v1/members/{user}/locations"),
            &t.token,
            &json!({"locations": [bx]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.get(&path, &m).await.status(), StatusCode::OK);
    let res = act(&app, &m, &id, "send", &json!({})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(on_hand_at(&app, &t, &rice, &ck).await, 1_000_000);
    let res = act(&app, &t.token, &id, "send", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = act(&app, &m, &id, "receive", &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(on_hand_at(&app, &t, &rice, &bx).await, 400_000);
    // One between two locations they do not have is not theirs to see.
    let pk = app
        .post(
            "/api/v1/locations",
            Some(&t.token),
            &json!({"name": "Peckham", "kind": "outlet"}),
        )
        .await;
    let pk = json_of(pk).await["id"].as_str().expect("id").to_owned();
    let other = request(
        &app,
        &t,
        &json!({"from_location_id": ck, "to_location_id": pk, "lines": [{"item_id": rice, "quantity": "1"}]}),
    )
    .await;
    let other_id = other["id"].as_str().expect("id");
    assert_eq!(
        app.get(&format!("/api/v1/transfers/{other_id}"), &m)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let list = json_of(app.get("/api/v1/transfers", &m).await).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    // ...nor to request.
    let res = app
        .post(
            "/api/v1/transfers",
            Some(&m),
            &json!({"from_location_id": ck, "to_location_id": pk, "lines": [{"item_id": rice, "quantity": "1"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
