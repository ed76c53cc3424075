//! Goods receipts over HTTP on both backends: a delivery against a sent order received in
//! two parts into lots (a differing price flagged, a refused line kept with its reason, the
//! order partially then fully received), a retried delivery posted once, a walk-in purchase,
//! bad input refused naming the field with nothing written, orders that cannot receive, and
//! another tenant's ids.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::purchase_orders::{act, create, id_of, json_of, order, shop};
use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    a_delivery_is_received_into_lots_in_two_parts_and_posted_once_per_key,
    bad_receipts_are_refused_naming_the_field_and_write_nothing,
);

/// A sent order of 3 cases of rice (6 kg each, 9.60) and a case of oil (10 l, 17.00).
async fn sent_order(app: &TestApp, t: &Tenant) -> (super::purchase_orders::Shop, String) {
    let s = shop(app, t).await;
    let po = create(app, &t.token, &order(&s, &t.location_id)).await;
    let id = id_of(&po);
    for (action, version) in [("submit", 1), ("approve", 2), ("send", 3)] {
        let res = act(app, &t.token, &id, action, version, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{action}");
    }
    (s, id)
}

async fn receive(app: &TestApp, t: &Tenant, key: &str, body: &Value) -> reqwest::Response {
    app.post_with_key("/api/v1/goods-receipts", &t.token, key, body)
        .await
}

async fn a_delivery_is_received_into_lots_in_two_parts_and_posted_once_per_key(app: TestApp) {
    let t = app.register("Receiving Bistro").await;
    let (s, po) = sent_order(&app, &t).await;
    let first = json!({"purchase_order_id": po, "delivery_note": "DN-1001",
    "received_at": "2026-11-30T07:30:00Z",
    "lines": [
        {"po_line": 1, "packs": "2", "lot_code": "R-1", "expires_on": "2027-06-01"},
        {"po_line": 2, "packs": "1", "price_per_pack": "17.50", "lot_code": "O-7",
         "expires_on": "2027-01-15"},
        {"po_line": 1, "packs": "0", "rejected_packs": "1", "rejection_reason": "Torn sack"}
    ]});
    let res = receive(&app, &t, "dn-1001", &first).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = json_of(res).await;
    // 2 cases of rice at the ordered 9.60, the oil at 17.50: 36.70.
    assert_eq!(r["total"], "36.70");
    assert_eq!(r["purchase_order_status"], "partially_received");
    assert_eq!(
        (
            &r["lines"][0]["quantity"],
            &r["lines"][0]["value"],
            &r["lines"][0]["unit_cost"]
        ),
        (&json!("12000.000"), &json!("19.20"), &json!("0.0016"))
    );
    assert_eq!(r["lines"][0]["flags"]["under"], true);
    assert_eq!(r["lines"][1]["flags"]["price_differs"], true);
    assert_eq!(r["lines"][1]["ordered_price_per_pack"], "17.00");
    assert_eq!(
        (
            &r["lines"][2]["rejected_quantity"],
            &r["lines"][2]["rejection_reason"]
        ),
        (&json!("6000.000"), &json!("Torn sack"))
    );
    assert_eq!(r["lines"][2]["movement_id"], Value::Null);
    // The same delivery again with its key: the same answer, posted once.
    let again = receive(&app, &t, "dn-1001", &first).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again).await, r);
    let rice_item = r["lines"][0]["item_id"].as_str().unwrap().to_owned();
    assert_eq!(app.on_hand(&t, &rice_item).await, "12000.000");
    let lots = json_of(
        app.get(&format!("/api/v1/lots?item_id={rice_item}"), &t.token)
            .await,
    )
    .await;
    assert_eq!(
        (
            &lots["data"][0]["code"],
            &lots["data"][0]["expires_on"],
            &lots["data"][0]["remaining_value"]
        ),
        (&json!("R-1"), &json!("2027-06-01"), &json!("19.20"))
    );
    let value = json_of(app.get("/api/v1/stock-value", &t.token).await).await;
    assert_eq!(value["total"], "36.70");
    // The last case arrives: the order is received, and receives nothing more.
    let res = receive(
        &app,
        &t,
        "dn-1002",
        &json!({"purchase_order_id": po, "lines": [{"po_line": 1, "packs": "1"}]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = json_of(res).await;
    assert_eq!(r["purchase_order_status"], "received");
    assert_eq!(r["lines"][0]["flags"]["under"], false);
    let got = json_of(
        app.get(&format!("/api/v1/purchase-orders/{po}"), &t.token)
            .await,
    )
    .await;
    assert_eq!(got["status"], "received");
    assert_eq!(got["lines"][0]["received_quantity"], "18000.000");
    let res = receive(
        &app,
        &t,
        "dn-1003",
        &json!({"purchase_order_id": po, "lines": [{"po_line": 1, "packs": "1"}]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let listed = json_of(
        app.get(
            &format!("/api/v1/goods-receipts?purchase_order_id={po}"),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let _ = s;
}

async fn bad_receipts_are_refused_naming_the_field_and_write_nothing(app: TestApp) {
    let t = app.register("Careful Bistro").await;
    let (s, po) = sent_order(&app, &t).await;
    for (line, field) in [
        (
            json!({"po_line": 1, "packs": "1", "expires_on": "2020-01-01"}),
            "lines[0].expires_on",
        ),
        (
            json!({"po_line": 1, "packs": "1", "price_per_pack": "-1"}),
            "lines[0].price_per_pack",
        ),
        (json!({"po_line": 9, "packs": "1"}), "lines[0].po_line"),
        (
            json!({"po_line": 1, "packs": "1", "quantity": "5"}),
            "lines[0].packs",
        ),
        (
            json!({"po_line": 1, "packs": "0", "rejected_packs": "1"}),
            "lines[0].rejection_reason",
        ),
    ] {
        let res = app
            .post(
                "/api/v1/goods-receipts",
                Some(&t.token),
                &json!({"purchase_order_id": po, "lines": [line]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(json_of(res).await["field"], field);
    }
    let listed = json_of(app.get("/api/v1/goods-receipts", &t.token).await).await;
    assert_eq!(listed["data"], json!([]), "nothing was written");
    // A walk-in purchase needs its location; with it, it is received at the item's cost.
    let flour = app.create_item(&t, "Flour", "g", "0.0008").await;
    let walk_in = json!({"lines": [{"item_id": flour, "quantity": "5000", "unit_cost": "0.001"}]});
    let res = app
        .post("/api/v1/goods-receipts", Some(&t.token), &walk_in)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "location_id");
    let mut walk_in = walk_in;
    walk_in["location_id"] = json!(t.location_id);
    let res = app
        .post("/api/v1/goods-receipts", Some(&t.token), &walk_in)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = json_of(res).await;
    assert_eq!(
        (&r["total"], &r["purchase_order_id"]),
        (&json!("5.00"), &Value::Null)
    );
    // Orders that cannot receive: a draft, a cancelled one.
    let draft = id_of(&create(&app, &t.token, &order(&s, &t.location_id)).await);
    let one = json!({"purchase_order_id": draft, "lines": [{"po_line": 1, "packs": "1"}]});
    let res = app
        .post("/api/v1/goods-receipts", Some(&t.token), &one)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = act(
        &app,
        &t.token,
        &draft,
        "cancel",
        1,
        Some(json!({"reason": "Duplicate"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post("/api/v1/goods-receipts", Some(&t.token), &one)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Another tenant: the order and the receipt are not found.
    let other = app.register("Other receiving").await;
    let res = app
        .post(
            "/api/v1/goods-receipts",
            Some(&other.token),
            &json!({"purchase_order_id": po, "lines": [{"po_line": 1, "packs": "1"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let id = r["id"].as_str().unwrap();
    let res = app
        .get(&format!("/api/v1/goods-receipts/{id}"), &other.token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/goods-receipts/{id}"), &t.token)
            .await
            .status(),
        StatusCode::OK
    );
}
