//! Reorder suggestions over the API on both backends: exact packs from par levels, on hand,
//! sales history, lead time and packs; what is on order reduces them; items without a
//! preferred supplier listed apart; drafts made once per Idempotency-Key, one per supplier;
//! another tenant's location is not found.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    suggestions_are_exact_packs_from_sales_history_and_on_order_reduces_them,
    drafts_from_suggestions_are_made_once_per_key_one_per_supplier,
    suggestions_stay_in_their_tenant_and_bad_requests_name_the_field,
);

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// An instant `days` days ago (RFC 3339).
fn ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The ids a test needs.
struct Kitchen {
    rice: String,
    flour: String,
    oil: String,
    brakes_rice: String,
    bidfood_flour: String,
    brakes: String,
}

/// Rice: 100 g a bowl, 140 bowls sold in the last 28 days (500 g a day) and 100 more 40 days
/// ago (outside the history), 30 kg received: 6000 g on hand; par 30 kg, point 20 kg; bought
/// from Brakes (any day, 2 days' lead, minimum order 50.00) as cases of 6 kg at 9.60.
/// Flour: par 10 kg, none on hand, from Bidfood as 16 kg sacks at 12.00, at least 2. Oil: par
/// 5 l, no preferred supplier. Salt: above its reorder point (not listed).
async fn kitchen(app: &TestApp, t: &Tenant) -> Kitchen {
    let rice = app.create_item(t, "Basmati rice", "g", "0.0016").await;
    let flour = app.create_item(t, "Bread flour", "g", "0.0008").await;
    let oil = app.create_item(t, "Rapeseed oil", "ml", "0.0013").await;
    let salt = app.create_item(t, "Sea salt", "g", "0.001").await;
    app.dish(t, "Rice bowl", &rice, "100").await;
    for (n, days) in [("50", 2), ("60", 10), ("30", 20), ("100", 40)] {
        app.sell(t, "Rice bowl", n, &ago(days)).await;
    }
    for (item, qty) in [(&rice, "30000"), (&salt, "1000")] {
        assert_eq!(
            app.adjust(t, item, qty, "receipt").await.status(),
            StatusCode::CREATED
        );
    }
    for (item, body) in [
        (
            &rice,
            json!({"par_level": "30000", "reorder_point": "20000"}),
        ),
        (&flour, json!({"par_level": "10000"})),
        (&oil, json!({"par_level": "5000", "reorder_point": "1000"})),
        (&salt, json!({"par_level": "2000", "reorder_point": "500"})),
    ] {
        let res = app
            .put(
                &format!("/api/v1/items/{item}/par-levels/{}", t.location_id),
                &t.token,
                &body,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    }
    let supplier = |body: Value| async move {
        let res = app.post("/api/v1/suppliers", Some(&t.token), &body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        id_of(&json_of(res).await)
    };
    let brakes =
        supplier(json!({"name": "Brakes", "lead_time_days": 2, "min_order_value": "50"})).await;
    let bidfood = supplier(json!({"name": "Bidfood", "lead_time_days": 1})).await;
    let supplier_item = |body: Value| async move {
        let res = app
            .post("/api/v1/supplier-items", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        id_of(&json_of(res).await)
    };
    let brakes_rice = supplier_item(json!({"supplier_id": brakes, "item_id": rice, "supplier_sku": "R-6KG",
        "price_per_pack": "9.60",
        "packs": [{"name": "case", "quantity": "6"}, {"name": "bag", "quantity": "1", "unit": "kg"}]}))
    .await;
    let bidfood_flour = supplier_item(
        json!({"supplier_id": bidfood, "item_id": flour, "supplier_sku": "FL-16",
        "price_per_pack": "12.00", "moq_packs": 2,
        "packs": [{"name": "sack", "quantity": "16", "unit": "kg"}]}),
    )
    .await;
    for (item, si) in [(&rice, &brakes_rice), (&flour, &bidfood_flour)] {
        let res = app
            .put(
                &format!("/api/v1/items/{item}/preferred-supplier/{}", t.location_id),
                &t.token,
                &json!({"supplier_item_id": si}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    }
    Kitchen {
        rice,
        flour,
        oil,
        brakes_rice,
        bidfood_flour,
        brakes,
    }
}

async fn suggestions(app: &TestApp, t: &Tenant) -> Value {
    let res = app
        .get(
            &format!("/api/v1/reorder-suggestions?location_id={}", t.location_id),
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await
}

/// The line of `item` in any supplier group.
fn line_of<'a>(s: &'a Value, item: &str) -> Option<&'a Value> {
    s["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["lines"].as_array().unwrap())
        .find(|l| l["item_id"] == item)
}

async fn suggestions_are_exact_packs_from_sales_history_and_on_order_reduces_them(app: TestApp) {
    let t = app.register("Reorder Bistro").await;
    let k = kitchen(&app, &t).await;
    let s = suggestions(&app, &t).await;
    assert_eq!(
        (s["days"].as_i64(), s["location_id"].as_str()),
        (Some(28), Some(t.location_id.as_str()))
    );
    // By supplier name: Bidfood, then Brakes.
    let names: Vec<&str> = s["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["supplier_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bidfood", "Brakes"]);
    // Rice: 500 g a day for the 2 days to delivery: 6000 - 1000 = 5000 g < 20000; up to
    // 30000 g needs 25000 g: 4.17 cases, so 5 cases (30 kg), 48.00 (below Brakes' 50.00).
    let rice = line_of(&s, &k.rice).unwrap();
    assert_eq!(
        (
            rice["on_hand"].as_str(),
            rice["on_order"].as_str(),
            rice["daily_usage"].as_str(),
            rice["projected"].as_str(),
            rice["suggested_packs"].as_i64(),
            rice["pack_quantity"].as_str(),
            rice["quantity"].as_str(),
            rice["price_per_pack"].as_str(),
            rice["line_value"].as_str(),
            rice["supplier_item_id"].as_str(),
        ),
        (
            Some("6000.000"),
            Some("0.000"),
            Some("500.000"),
            Some("5000.000"),
            Some(5),
            Some("6000.000"),
            Some("30000.000"),
            Some("9.60"),
            Some("48.00"),
            Some(k.brakes_rice.as_str()),
        )
    );
    let brakes = &s["suppliers"][1];
    assert_eq!(
        (
            brakes["total"].as_str(),
            brakes["min_order_value"].as_str(),
            brakes["below_minimum"].as_bool(),
        ),
        (Some("48.00"), Some("50.00"), Some(true))
    );
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    assert_eq!(
        brakes["expected_delivery"].as_str(),
        Some(
            (today + chrono::Days::new(2))
                .format("%Y-%m-%d")
                .to_string()
                .as_str()
        )
    );
    // Flour: nothing on hand, par 10 kg: one 16 kg sack, but at least 2.
    let flour = line_of(&s, &k.flour).unwrap();
    assert_eq!(
        (
            flour["suggested_packs"].as_i64(),
            flour["line_value"].as_str()
        ),
        (Some(2), Some("24.00"))
    );
    assert_eq!(s["suppliers"][0]["below_minimum"], json!(false));
    // Oil has no preferred supplier: what it needs, apart. Salt is above its point.
    assert_eq!(
        s["no_supplier"],
        json!([{"item_id": k.oil, "item_name": "Rapeseed oil", "base_unit": "ml",
                "on_hand": "0.000", "on_order": "0.000", "par_level": "5000.000",
                "reorder_point": "1000.000", "daily_usage": "0.000", "projected": "0.000",
                "needed": "5000.000"}])
    );
    assert_eq!(
        s["suppliers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["lines"].as_array().unwrap().len())
            .sum::<usize>(),
        2,
        "salt is above its reorder point"
    );
    // A longer history averages the old sale in: 240 bowls in 56 days.
    let res = app
        .get(
            &format!(
                "/api/v1/reorder-suggestions?location_id={}&days=56",
                t.location_id
            ),
            &t.token,
        )
        .await;
    let long = json_of(res).await;
    assert_eq!(
        line_of(&long, &k.rice).unwrap()["daily_usage"].as_str(),
        Some("428.571"),
        "24000 g / 56 days, half to even"
    );

    // One case approved on a PO is on order: projected 11000 g, 19000 g to par: 4 cases.
    let po = app
        .post(
            "/api/v1/purchase-orders",
            Some(&t.token),
            &json!({"supplier_id": k.brakes, "location_id": t.location_id,
                    "lines": [{"supplier_item_id": k.brakes_rice, "packs": 1}]}),
        )
        .await;
    assert_eq!(po.status(), StatusCode::CREATED);
    let po_id = id_of(&json_of(po).await);
    // A draft is not on order yet.
    let s = suggestions(&app, &t).await;
    assert_eq!(line_of(&s, &k.rice).unwrap()["suggested_packs"], json!(5));
    for action in ["submit", "approve"] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/purchase-orders/{po_id}/{action}")))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{action}");
    }
    let s = suggestions(&app, &t).await;
    let rice = line_of(&s, &k.rice).unwrap();
    assert_eq!(
        (
            rice["on_order"].as_str(),
            rice["projected"].as_str(),
            rice["suggested_packs"].as_i64(),
            rice["line_value"].as_str()
        ),
        (Some("6000.000"), Some("11000.000"), Some(4), Some("38.40"))
    );
}

async fn drafts_from_suggestions_are_made_once_per_key_one_per_supplier(app: TestApp) {
    let t = app.register("Draft Bistro").await;
    let k = kitchen(&app, &t).await;
    let body = json!({"location_id": t.location_id, "all_suggested": true});
    let res = app
        .post_with_key(
            "/api/v1/reorder-suggestions/purchase-orders",
            &t.token,
            "reorder-1",
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let made = json_of(res).await;
    let pos = made["purchase_orders"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str, i64)> = pos
        .iter()
        .map(|p| {
            (
                p["supplier_name"].as_str().unwrap(),
                p["status"].as_str().unwrap(),
                p["total"].as_str().unwrap(),
                p["lines"][0]["packs"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Bidfood", "draft", "24.00", 2),
            ("Brakes", "draft", "48.00", 5)
        ]
    );
    // The same key again: the same orders, nothing written twice.
    let again = app
        .post_with_key(
            "/api/v1/reorder-suggestions/purchase-orders",
            &t.token,
            "reorder-1",
            &body,
        )
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        json_of(again).await["purchase_orders"],
        made["purchase_orders"]
    );
    let drafts = json_of(
        app.get("/api/v1/purchase-orders?status=draft", &t.token)
            .await,
    )
    .await;
    assert_eq!(drafts["data"].as_array().unwrap().len(), 2);

    // Chosen lines: the packs as edited, 0 leaves a line out; below the minimum order is named
    // as the request named it.
    let res = app
        .post_with_key(
            "/api/v1/reorder-suggestions/purchase-orders",
            &t.token,
            "reorder-2",
            &json!({"location_id": t.location_id, "lines": [
                {"supplier_item_id": k.brakes_rice, "packs": 0},
                {"supplier_item_id": k.bidfood_flour, "packs": 1}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json_of(res).await;
    assert!(problem.to_string().contains("lines[1].packs"), "{problem}");
    let res = app
        .post_with_key(
            "/api/v1/reorder-suggestions/purchase-orders",
            &t.token,
            "reorder-3",
            &json!({"location_id": t.location_id, "lines": [
                {"supplier_item_id": k.brakes_rice, "packs": 7},
                {"supplier_item_id": k.bidfood_flour, "packs": 0}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let one = json_of(res).await;
    assert_eq!(one["purchase_orders"].as_array().unwrap().len(), 1);
    assert_eq!(one["purchase_orders"][0]["lines"][0]["packs"], json!(7));
    assert_eq!(one["purchase_orders"][0]["total"], json!("67.20"));
    // Nothing chosen is named.
    let res = app
        .post(
            "/api/v1/reorder-suggestions/purchase-orders",
            Some(&t.token),
            &json!({"location_id": t.location_id, "lines": [{"supplier_item_id": k.brakes_rice, "packs": 0}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(res).await.to_string().contains("lines"));
}

async fn suggestions_stay_in_their_tenant_and_bad_requests_name_the_field(app: TestApp) {
    let t = app.register("Mine Bistro").await;
    let k = kitchen(&app, &t).await;
    let other = app.register("Theirs Bistro").await;
    let res = app
        .get(
            &format!("/api/v1/reorder-suggestions?location_id={}", t.location_id),
            &other.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(
            "/api/v1/reorder-suggestions/purchase-orders",
            Some(&other.token),
            &json!({"location_id": t.location_id, "all_suggested": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Their own location with our supplier item: not found either.
    let res = app
        .post(
            "/api/v1/reorder-suggestions/purchase-orders",
            Some(&other.token),
            &json!({"location_id": other.location_id, "lines": [{"supplier_item_id": k.brakes_rice, "packs": 5}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let drafts = json_of(app.get("/api/v1/purchase-orders", &t.token).await).await;
    assert_eq!(drafts["data"], json!([]));
    // Their suggestions: nothing (they have no par levels).
    let theirs = suggestions(&app, &other).await;
    assert_eq!(
        (theirs["suppliers"].clone(), theirs["no_supplier"].clone()),
        (json!([]), json!([]))
    );
    // Bad requests name the field.
    for (query, field) in [
        (format!("location_id={}&days=6", t.location_id), "days"),
        (format!("location_id={}&days=366", t.location_id), "days"),
    ] {
        let res = app
            .get(&format!("/api/v1/reorder-suggestions?{query}"), &t.token)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(json_of(res).await.to_string().contains(field));
    }
    let res = app.get("/api/v1/reorder-suggestions", &t.token).await;
    assert!(res.status().is_client_error());
    let res = app
        .post(
            "/api/v1/reorder-suggestions/purchase-orders",
            Some(&t.token),
            &json!({"location_id": t.location_id, "all_suggested": true,
                    "lines": [{"supplier_item_id": k.brakes_rice, "packs": 1}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Staff read suggestions but may not order.
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let res = app
        .get(
            &format!("/api/v1/reorder-suggestions?location_id={}", t.location_id),
            &staff,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            "/api/v1/reorder-suggestions/purchase-orders",
            Some(&staff),
            &json!({"location_id": t.location_id, "all_suggested": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
