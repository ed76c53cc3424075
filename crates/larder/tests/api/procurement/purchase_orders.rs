//! Purchase orders over the API on both backends: created once per Idempotency-Key and
//! numbered per tenant, edited as drafts at their version, refused with the field named, moved
//! draft -> submitted -> approved -> sent with every change listed, approved above the tenant's
//! threshold only with `purchase_orders.approve`, sent as a PDF and a CSV kept as sent,
//! cancelled with a reason, and kept in their tenant and a limited member's locations.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    a_purchase_order_goes_from_draft_to_sent_with_its_history_and_documents,
    a_draft_is_edited_at_its_version_and_bad_lines_are_named,
    approving_above_the_threshold_needs_the_approve_scope,
    wrong_transitions_are_conflicts_and_a_cancellation_keeps_its_reason,
    purchase_orders_stay_in_their_tenant_and_a_limited_members_locations,
);

/// What a test orders from: Brakes (account BR-1042, Mondays and Thursdays, 2 days), selling
/// rice as a case of 6 x 1 kg at 9.60 (at least 2 cases) and oil as 4 x 2.5 l at 18.40.
pub(super) struct Shop {
    pub(super) supplier: String,
    pub(super) rice: String,
    pub(super) oil: String,
}

pub(super) async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

pub(super) async fn shop(app: &TestApp, t: &Tenant) -> Shop {
    let rice_item = app.create_item(t, "Basmati rice", "g", "0.0016").await;
    let oil_item = app.create_item(t, "Rapeseed oil", "ml", "0.0013").await;
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes", "account_number": "BR-1042",
                    "order_days": ["monday", "thursday"], "lead_time_days": 2}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let supplier = json_of(res).await["id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for body in [
        json!({"supplier_id": supplier, "item_id": rice_item, "supplier_sku": "R-6KG",
               "description": "Basmati rice 6 x 1 kg", "moq_packs": 2, "price_per_pack": "9.60",
               "packs": [{"name": "case", "quantity": "6"}, {"name": "bag", "quantity": "1", "unit": "kg"}]}),
        json!({"supplier_id": supplier, "item_id": oil_item, "supplier_sku": "OIL-4",
               "price_per_pack": "18.40",
               "packs": [{"name": "case", "quantity": "4"}, {"name": "bottle", "quantity": "2.5", "unit": "l"}]}),
    ] {
        let res = app
            .post("/api/v1/supplier-items", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        ids.push(json_of(res).await["id"].as_str().unwrap().to_owned());
    }
    Shop {
        supplier,
        oil: ids.pop().unwrap(),
        rice: ids.pop().unwrap(),
    }
}

/// A PO of 3 cases of rice (28.80) and 1 of oil at an agreed 17.00, delivered to `location`.
pub(super) fn order(s: &Shop, location: &str) -> Value {
    json!({"supplier_id": s.supplier, "location_id": location, "note": "Back door, before 10:00",
           "lines": [{"supplier_item_id": s.rice, "packs": 3},
                     {"supplier_item_id": s.oil, "packs": 1, "price_per_pack": "17.00"}]})
}

pub(super) async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = app.post("/api/v1/purchase-orders", Some(token), body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    json_of(res).await
}

/// `POST /purchase-orders/{id}/{action}` with `If-Match: "version"` and an optional body.
pub(super) async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    action: &str,
    version: i64,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/purchase-orders/{id}/{action}")))
        .bearer_auth(token)
        .header("if-match", format!("\"{version}\""));
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn put_if(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    body: &Value,
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/purchase-orders/{id}")))
        .bearer_auth(token)
        .header("if-match", format!("\"{version}\""))
        .json(body)
        .send()
        .await
        .unwrap()
}

pub(super) fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn a_purchase_order_goes_from_draft_to_sent_with_its_history_and_documents(app: TestApp) {
    let t = app.register("Order Bistro").await;
    let s = shop(&app, &t).await;
    let me = json_of(app.get("/api/v1/auth/me", &t.token).await).await;
    let owner = me["user_id"].as_str().unwrap().to_owned();
    let body = order(&s, &t.location_id);
    let res = app
        .post_with_key("/api/v1/purchase-orders", &t.token, "po-1", &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let po = json_of(res).await;
    // A retry with its key is the same order, written once.
    let again = app
        .post_with_key("/api/v1/purchase-orders", &t.token, "po-1", &body)
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(json_of(again).await["id"], po["id"]);
    let list = json_of(app.get("/api/v1/purchase-orders", &t.token).await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    assert_eq!(
        (
            po["number"].as_str(),
            po["status"].as_str(),
            po["currency"].as_str(),
            po["supplier_name"].as_str(),
            po["total"].as_str(),
        ),
        (
            Some("PO-000001"),
            Some("draft"),
            Some("GBP"),
            Some("Brakes"),
            Some("45.80")
        )
    );
    let rice = &po["lines"][0];
    assert_eq!(
        (
            rice["packs"].as_i64(),
            rice["quantity"].as_str(),
            rice["price_per_pack"].as_str(),
            rice["line_total"].as_str(),
            rice["pack"].as_str(),
            rice["received_quantity"].as_str(),
        ),
        (
            Some(3),
            Some("18000.000"),
            Some("9.60"),
            Some("28.80"),
            Some("case of 6 × bag 1 kg"),
            Some("0.000")
        ),
        "3 cases of 6 kg at the price in force"
    );
    let oil = &po["lines"][1];
    assert_eq!(
        (
            oil["quantity"].as_str(),
            oil["price_per_pack"].as_str(),
            oil["line_total"].as_str()
        ),
        (Some("10000.000"), Some("17.00"), Some("17.00")),
        "4 x 2.5 l in ml, at the agreed price"
    );
    // The supplier's next order day from today plus its two days' lead time.
    let expected = po["expected_delivery"].as_str().unwrap();
    let date = chrono::NaiveDate::parse_from_str(expected, "%Y-%m-%d").unwrap();
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let ahead = (date - today).num_days();
    assert!((2..=6).contains(&ahead), "{expected} from {today}");
    assert_eq!(po["actions"], json!(["submit", "cancel"]));
    assert_eq!(po["documents"], json!([]));
    let id = id_of(&po);

    // Submitted, approved (no threshold: the owner holds purchase_orders.approve), sent.
    for (action, version, status) in [
        ("submit", 1, "submitted"),
        ("approve", 2, "approved"),
        ("send", 3, "sent"),
    ] {
        let res = act(&app, &t.token, &id, action, version, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{action}");
        assert_eq!(
            res.headers()["etag"],
            format!("\"{}\"", version + 1).as_str()
        );
        assert_eq!(json_of(res).await["status"], status);
    }
    let sent = json_of(
        app.get(&format!("/api/v1/purchase-orders/{id}"), &t.token)
            .await,
    )
    .await;
    let events: Vec<(Value, Value, Value)> = sent["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["actor"], owner.as_str());
            assert!(e["at"].as_str().is_some());
            (
                e["from_status"].clone(),
                e["to_status"].clone(),
                e["actor_name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (Value::Null, json!("draft"), json!("Owner")),
            (json!("draft"), json!("submitted"), json!("Owner")),
            (json!("submitted"), json!("approved"), json!("Owner")),
            (json!("approved"), json!("sent"), json!("Owner")),
        ]
    );
    assert_eq!(sent["documents"], json!(["pdf", "csv"]));
    assert_eq!(sent["actions"], json!(["cancel"]));

    // The documents as sent: a PDF with the number in its text, a CSV of the lines.
    let pdf = app
        .get(
            &format!("/api/v1/purchase-orders/{id}/documents/pdf"),
            &t.token,
        )
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(
        pdf.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("PO-000001.pdf")
    );
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    for s in ["(PO-000001)", "(BR-1042)", "(R-6KG)", "(45.80 GBP)"] {
        assert!(text.contains(s), "the PDF lacks {s}");
    }
    let csv_res = app
        .get(
            &format!("/api/v1/purchase-orders/{id}/documents/csv"),
            &t.token,
        )
        .await;
    assert_eq!(csv_res.status(), StatusCode::OK);
    assert_eq!(csv_res.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv_res.bytes().await.unwrap();
    let mut r = csv::Reader::from_reader(body.as_ref());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "po_number",
            "supplier",
            "account_number",
            "deliver_to",
            "expected_delivery",
            "line",
            "supplier_sku",
            "description",
            "packs",
            "pack",
            "price_per_pack",
            "line_total",
            "currency"
        ]
    );
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let location = json_of(
        app.get(&format!("/api/v1/locations/{}", t.location_id), &t.token)
            .await,
    )
    .await["name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        rows,
        [
            vec![
                "PO-000001",
                "Brakes",
                "BR-1042",
                &location,
                expected,
                "1",
                "R-6KG",
                "Basmati rice 6 x 1 kg",
                "3",
                "case of 6 × bag 1 kg",
                "9.60",
                "28.80",
                "GBP"
            ],
            vec![
                "PO-000001",
                "Brakes",
                "BR-1042",
                &location,
                expected,
                "2",
                "OIL-4",
                "Rapeseed oil",
                "1",
                "case of 4 × bottle 2.5 l",
                "17.00",
                "17.00",
                "GBP"
            ],
        ]
    );

    // The next order is the next number; the list is newest first, filtered by status.
    let second = create(&app, &t.token, &order(&s, &t.location_id)).await;
    assert_eq!(second["number"], "PO-000002");
    let list = json_of(app.get("/api/v1/purchase-orders?limit=1", &t.token).await).await;
    assert_eq!(list["data"][0]["number"], "PO-000002");
    let next = json_of(
        app.get(
            &format!(
                "/api/v1/purchase-orders?limit=1&cursor={}",
                list["next_cursor"].as_str().unwrap()
            ),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(next["data"][0]["number"], "PO-000001");
    assert_eq!(next["next_cursor"], Value::Null);
    let sent_only = json_of(
        app.get("/api/v1/purchase-orders?status=sent", &t.token)
            .await,
    )
    .await;
    assert_eq!(sent_only["data"].as_array().unwrap().len(), 1);
    assert_eq!(sent_only["data"][0]["id"], id.as_str());
    // A draft has no documents yet.
    let res = app
        .get(
            &format!("/api/v1/purchase-orders/{}/documents/pdf", id_of(&second)),
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn a_draft_is_edited_at_its_version_and_bad_lines_are_named(app: TestApp) {
    let t = app.register("Edit Bistro").await;
    let s = shop(&app, &t).await;
    let po = create(&app, &t.token, &order(&s, &t.location_id)).await;
    let id = id_of(&po);
    let mut edit = order(&s, &t.location_id);
    edit["lines"] = json!([{"supplier_item_id": s.rice, "packs": 5}]);
    edit["expected_delivery"] = json!(
        (chrono::Utc::now() + chrono::Duration::days(10))
            .date_naive()
            .to_string()
    );
    let res = put_if(&app, &t.token, &id, 1, &edit).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let edited = json_of(res).await;
    assert_eq!(
        (
            edited["total"].as_str(),
            edited["lines"].as_array().unwrap().len(),
            edited["number"].as_str()
        ),
        (Some("48.00"), 1, Some("PO-000001"))
    );
    assert_eq!(edited["expected_delivery"], edit["expected_delivery"]);
    // A form read before the edit is stale.
    let res = put_if(&app, &t.token, &id, 1, &order(&s, &t.location_id)).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);

    // Bad lines are named, on create and edit, and nothing is written.
    let other_supplier = json_of(
        app.post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Bidfood"}),
        )
        .await,
    )
    .await;
    let mut cases = Vec::new();
    let mut below_moq = order(&s, &t.location_id);
    below_moq["lines"][0]["packs"] = json!(1);
    cases.push((below_moq, "lines[0].packs"));
    let mut negative = order(&s, &t.location_id);
    negative["lines"][1]["price_per_pack"] = json!("-1.00");
    cases.push((negative, "lines[1].price_per_pack"));
    let mut zero = order(&s, &t.location_id);
    zero["lines"][1]["packs"] = json!(0);
    cases.push((zero, "lines[1].packs"));
    let mut elsewhere = order(&s, &t.location_id);
    elsewhere["supplier_id"] = other_supplier["id"].clone();
    cases.push((elsewhere, "lines[0].supplier_item_id"));
    let mut empty = order(&s, &t.location_id);
    empty["lines"] = json!([]);
    cases.push((empty, "lines"));
    let mut past = order(&s, &t.location_id);
    past["expected_delivery"] = json!("2020-01-01");
    cases.push((past, "expected_delivery"));
    for (body, field) in cases {
        let res = app
            .post("/api/v1/purchase-orders", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(json_of(res).await["field"], field, "{body}");
        let res = put_if(&app, &t.token, &id, 2, &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(json_of(res).await["field"], field, "{body}");
    }
    let list = json_of(app.get("/api/v1/purchase-orders", &t.token).await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let got = json_of(
        app.get(&format!("/api/v1/purchase-orders/{id}"), &t.token)
            .await,
    )
    .await;
    assert_eq!(
        (got["version"].as_i64(), got["total"].as_str()),
        (Some(2), Some("48.00"))
    );

    // Once submitted it is no longer edited.
    assert_eq!(
        act(&app, &t.token, &id, "submit", 2, None).await.status(),
        StatusCode::OK
    );
    let res = put_if(&app, &t.token, &id, 3, &edit).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(res).await["field"], "status");
}

async fn approving_above_the_threshold_needs_the_approve_scope(app: TestApp) {
    let t = app.register("Approval Bistro").await;
    let s = shop(&app, &t).await;
    let (_, _, manager) = app.add_member(&t, "manager").await;
    let (_, _, admin) = app.add_member(&t, "admin").await;
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let submitted = |token: String, body: Value| {
        let app = &app;
        async move {
            let po = create(app, &token, &body).await;
            let id = id_of(&po);
            assert_eq!(
                act(app, &token, &id, "submit", 1, None).await.status(),
                StatusCode::OK
            );
            id
        }
    };
    // Staff read purchase orders but do not write them.
    let res = app
        .post(
            "/api/v1/purchase-orders",
            Some(&staff),
            &order(&s, &t.location_id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Without a threshold no approval needs purchase_orders.approve (the setting reads
    // "purchase orders above this total need approval; empty: none do").
    let first = submitted(manager.clone(), order(&s, &t.location_id)).await;
    assert_eq!(
        app.get(&format!("/api/v1/purchase-orders/{first}"), &staff)
            .await
            .status(),
        StatusCode::OK
    );
    let res = act(&app, &manager, &first, "approve", 2, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let small = submitted(manager.clone(), order(&s, &t.location_id)).await;

    // A threshold of 45.80: at it the manager approves; above it only the admin.
    let res = app
        .put(
            "/api/v1/settings",
            &t.token,
            &json!({"currency": "GBP", "time_zone": "Europe/London", "day_cutoff_minutes": 240,
                    "week_start": "monday", "units": "metric", "approval_threshold": "45.80"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = act(&app, &manager, &small, "approve", 2, None).await;
    assert_eq!(res.status(), StatusCode::OK, "45.80 is at the threshold");
    let mut big_order = order(&s, &t.location_id);
    big_order["lines"][1]["price_per_pack"] = json!("17.01");
    let big = submitted(manager.clone(), big_order).await;
    let res = act(&app, &manager, &big, "approve", 2, None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "45.81 is above it");
    assert!(
        json_of(res).await["detail"]
            .as_str()
            .unwrap()
            .contains("purchase_orders.approve")
    );
    let got = json_of(
        app.get(&format!("/api/v1/purchase-orders/{big}"), &admin)
            .await,
    )
    .await;
    assert_eq!(
        (got["status"].as_str(), got["version"].as_i64()),
        (Some("submitted"), Some(2)),
        "a refused approval changes nothing"
    );
    let res = act(&app, &admin, &big, "approve", 2, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let approved = json_of(res).await;
    assert_eq!(approved["events"][2]["actor_name"], "admin");
}

async fn wrong_transitions_are_conflicts_and_a_cancellation_keeps_its_reason(app: TestApp) {
    let t = app.register("Transition Bistro").await;
    let s = shop(&app, &t).await;
    let po = create(&app, &t.token, &order(&s, &t.location_id)).await;
    let id = id_of(&po);
    let reason = || Some(json!({"reason": "Ordered twice"}));
    // From a draft: no approve, send or close.
    for (action, body) in [("approve", None), ("send", None), ("close", reason())] {
        let res = act(&app, &t.token, &id, action, 1, body).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{action}");
        let problem = json_of(res).await;
        assert_eq!(problem["field"], "status");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("a draft purchase order cannot be"),
            "{problem}"
        );
    }
    // A stale version is a 412, before anything else.
    let res = act(&app, &t.token, &id, "submit", 7, None).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        act(&app, &t.token, &id, "submit", 1, None).await.status(),
        StatusCode::OK
    );
    for (action, body) in [("submit", None), ("send", None), ("close", reason())] {
        let res = act(&app, &t.token, &id, action, 2, body).await;
        assert_eq!(
            res.status(),
            StatusCode::CONFLICT,
            "{action} when submitted"
        );
    }
    // Cancelling needs a reason, which the event keeps.
    let res = act(&app, &t.token, &id, "cancel", 2, Some(json!({}))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json_of(res).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("reason"),
        "{problem}"
    );
    let res = act(
        &app,
        &t.token,
        &id,
        "cancel",
        2,
        Some(json!({"reason": " "})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "reason");
    let res = act(&app, &t.token, &id, "cancel", 2, reason()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cancelled = json_of(res).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["actions"], json!([]));
    let last = &cancelled["events"][2];
    assert_eq!(
        (
            last["from_status"].as_str(),
            last["to_status"].as_str(),
            last["note"].as_str()
        ),
        (Some("submitted"), Some("cancelled"), Some("Ordered twice"))
    );
    // Final: nothing more.
    for (action, body) in [
        ("submit", None),
        ("approve", None),
        ("send", None),
        ("cancel", reason()),
        ("close", reason()),
    ] {
        let res = act(&app, &t.token, &id, action, 3, body).await;
        assert_eq!(
            res.status(),
            StatusCode::CONFLICT,
            "{action} when cancelled"
        );
    }
    // A sent order may still be cancelled while nothing is received.
    let po = create(&app, &t.token, &order(&s, &t.location_id)).await;
    let id = id_of(&po);
    for (action, v) in [("submit", 1), ("approve", 2), ("send", 3)] {
        assert_eq!(
            act(&app, &t.token, &id, action, v, None).await.status(),
            StatusCode::OK
        );
    }
    let res = act(&app, &t.token, &id, "send", 4, None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "sent twice");
    let res = act(&app, &t.token, &id, "cancel", 4, reason()).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Its documents stay as they were sent.
    let res = app
        .get(
            &format!("/api/v1/purchase-orders/{id}/documents/csv"),
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn purchase_orders_stay_in_their_tenant_and_a_limited_members_locations(app: TestApp) {
    let t = app.register("Home Bistro").await;
    let s = shop(&app, &t).await;
    let po = create(&app, &t.token, &order(&s, &t.location_id)).await;
    let id = id_of(&po);
    for (action, v) in [("submit", 1), ("approve", 2), ("send", 3)] {
        assert_eq!(
            act(&app, &t.token, &id, action, v, None).await.status(),
            StatusCode::OK
        );
    }
    // Another tenant: its id, its documents and every action are not found.
    let other = app.register("Other Bistro").await;
    for path in [
        format!("/api/v1/purchase-orders/{id}"),
        format!("/api/v1/purchase-orders/{id}/documents/pdf"),
        format!("/api/v1/purchase-orders/{id}/documents/csv"),
    ] {
        assert_eq!(
            app.get(&path, &other.token).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for (action, body) in [
        ("submit", None),
        ("cancel", Some(json!({"reason": "mine now"}))),
    ] {
        let res = act(&app, &other.token, &id, action, 4, body).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let res = put_if(&app, &other.token, &id, 4, &order(&s, &other.location_id)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let theirs = json_of(app.get("/api/v1/purchase-orders", &other.token).await).await;
    assert_eq!(theirs["data"], json!([]));
    // Ordering from another tenant's supplier: its supplier is not found.
    let res = app
        .post(
            "/api/v1/purchase-orders",
            Some(&other.token),
            &order(&s, &other.location_id),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A manager limited to the first location neither sees nor orders for a second one.
    let peckham = json_of(
        app.post(
            "/api/v1/locations",
            Some(&t.token),
            &json!({"name": "Peckham", "kind": "outlet"}),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let at_peckham = create(&app, &t.token, &order(&s, &peckham)).await;
    let (manager, _, m) = app.add_member(&t, "manager").await;
    let res = app
        .put(
            &format!("/api/v1/members/{manager}/locations"),
            &t.token,
            &json!({"locations": [t.location_id]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let pk_id = id_of(&at_peckham);
    assert_eq!(
        app.get(&format!("/api/v1/purchase-orders/{pk_id}"), &m)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        act(&app, &m, &pk_id, "submit", 1, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let listed = json_of(app.get("/api/v1/purchase-orders", &m).await).await;
    let numbers: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["PO-000001"]);
    let res = app
        .post("/api/v1/purchase-orders", Some(&m), &order(&s, &peckham))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Moving their own draft to Peckham is refused the same way.
    let mine = create(&app, &m, &order(&s, &t.location_id)).await;
    let res = put_if(&app, &m, &id_of(&mine), 1, &order(&s, &peckham)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The owner sees both locations' orders.
    let all = json_of(app.get("/api/v1/purchase-orders", &t.token).await).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 3);
}
