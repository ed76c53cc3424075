//! Waste and reversals (issue 9, items 3 and 6; ADR 020), on both backends: waste by item
//! takes its lots first-expiry-first-out at their costs, waste by recipe depletes each
//! ingredient exactly, the report's totals, a reversal restores on hand and stock value
//! exactly and only once, documents' movements are refused, and another tenant's ids are 404.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    waste_by_item_takes_two_lots_fefo_and_a_reversal_restores_it_exactly,
    waste_by_recipe_depletes_each_ingredient_and_the_report_sums_it,
    other_tenants_ids_are_404_and_a_documents_movements_are_refused,
);

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

async fn created(app: &TestApp, t: &Tenant, path: &str, body: &Value) -> Value {
    let res = app.post(path, Some(&t.token), body).await;
    let status = res.status();
    let body = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
    body
}

/// Stock value and on hand of the tenant's only item line.
async fn value_of(app: &TestApp, t: &Tenant) -> (Value, Value) {
    let v = json_of(app.get("/api/v1/stock-value", &t.token).await).await;
    (v["total"].clone(), v["lines"][0]["quantity"].clone())
}

fn report_path(group_by: &str) -> String {
    format!(
        "/api/v1/waste-report?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z&group_by={group_by}"
    )
}

async fn waste_by_item_takes_two_lots_fefo_and_a_reversal_restores_it_exactly(app: TestApp) {
    let t = app.register("Waste Kitchen").await;
    let res = app
        .post(
            "/api/v1/items",
            Some(&t.token),
            &json!({"name": "Basmati rice", "base_unit": "g", "unit_cost": "0.002",
                    "category": "dry goods", "pack_sizes": [{"name": "bag", "quantity": "500"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rice = json_of(res).await["id"].as_str().unwrap().to_owned();
    // Two lots at different costs: 1 kg at 0.002/g expiring first, 1 kg at 0.003/g.
    let receipt = json!({"location_id": t.location_id, "lines": [
        {"item_id": rice, "quantity": "1000", "unit_cost": "0.003", "lot_code": "LATE", "expires_on": "2031-02-01"},
        {"item_id": rice, "quantity": "1000", "unit_cost": "0.002", "lot_code": "EARLY", "expires_on": "2031-01-01"},
    ]});
    created(&app, &t, "/api/v1/goods-receipts", &receipt).await;
    assert_eq!(value_of(&app, &t).await, (json!("5.00"), json!("2000.000")));
    // "2 bags + 200 g": all of EARLY (2.00) and 200 g of LATE (0.60).
    let body = json!({"location_id": t.location_id, "reason": "spoilage", "item_id": rice,
                      "amount": "2 bags + 200 g", "note": "fridge failed overnight"});
    let res = app
        .post_with_key("/api/v1/waste-entries", &t.token, "waste-1", &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let entry = json_of(res).await;
    assert_eq!(
        (
            &entry["quantity"],
            &entry["value"],
            &entry["amount"],
            &entry["name"]
        ),
        (
            &json!("1200.000"),
            &json!("2.60"),
            &json!("2 bags + 200 g"),
            &json!("Basmati rice")
        )
    );
    assert_eq!(entry["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (&entry["lines"][0]["quantity"], &entry["lines"][0]["value"]),
        (&json!("1200.000"), &json!("2.60"))
    );
    let id = entry["id"].as_str().unwrap().to_owned();
    let movement = entry["lines"][0]["movement_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Retried with its key, it posts once.
    let again = app
        .post_with_key("/api/v1/waste-entries", &t.token, "waste-1", &body)
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(json_of(again).await["id"], json!(id));
    assert_eq!(value_of(&app, &t).await, (json!("2.40"), json!("800.000")));
    let taken = json_of(
        app.get(
            &format!("/api/v1/stock-movements/{movement}/lots"),
            &t.token,
        )
        .await,
    )
    .await;
    let costs: Vec<&Value> = taken
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["cost"])
        .collect();
    assert_eq!(costs, vec![&json!("2.00"), &json!("0.60")]);
    // The report, money first.
    let report = json_of(app.get(&report_path("reason"), &t.token).await).await;
    assert_eq!(report["total"], "2.60");
    assert_eq!(
        report["lines"],
        json!([{"name": "Spoiled", "reason": "spoilage", "item_id": null, "location_id": null,
                "day": null, "base_unit": null, "quantity": null, "value": "2.60"}])
    );
    assert_eq!(report["categories"][0]["name"], "dry goods");
    // Reversed: the stock comes back at the 2.60 it took, on hand and value exactly.
    let res = app
        .post(
            &format!("/api/v1/waste-entries/{id}/reverse"),
            Some(&t.token),
            &json!({"reason": "entered twice"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let reversed = json_of(res).await;
    assert_eq!(reversed["reversed"], true);
    let reversal = reversed["lines"][0]["reversed_by"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(value_of(&app, &t).await, (json!("5.00"), json!("2000.000")));
    // Twice is a 409; so is the movement itself (naming its reversal) and the reversal.
    let res = app
        .post(
            &format!("/api/v1/waste-entries/{id}/reverse"),
            Some(&t.token),
            &json!({"reason": "again"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post(
            &format!("/api/v1/stock-movements/{movement}/reverse"),
            Some(&t.token),
            &json!({"reason": "again"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let problem = json_of(res).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(&reversal),
        "{problem}"
    );
    let res = app
        .post(
            &format!("/api/v1/stock-movements/{reversal}/reverse"),
            Some(&t.token),
            &json!({"reason": "undo the undo"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The ledger shows what the reversal reverses; the report nets to nothing.
    let moves = json_of(
        app.get(
            &format!("/api/v1/stock-movements?item_id={rice}&kind=waste"),
            &t.token,
        )
        .await,
    )
    .await;
    let back = moves["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == json!(reversal))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        (
            &back["reverses"],
            &back["quantity"],
            &back["value"],
            &back["reason"]
        ),
        (
            &json!(movement),
            &json!("1200.000"),
            &json!("2.60"),
            &json!("entered twice")
        )
    );
    let report = json_of(app.get(&report_path("item"), &t.token).await).await;
    assert_eq!(
        (&report["total"], &report["lines"]),
        (&json!("0.00"), &json!([]))
    );
    // A decrease that took from one dated lot comes back in that lot's code and expiry (the
    // entry above took from two, so it came back undated): 100 g wasted by hand takes from
    // LATE, the earliest expiry left, and its reversal reopens 100 g of LATE at 0.30.
    let res = app.adjust(&t, &rice, "100", "waste").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let m = json_of(res).await;
    let res = app
        .post(
            &format!(
                "/api/v1/stock-movements/{}/reverse",
                m["id"].as_str().unwrap()
            ),
            Some(&t.token),
            &json!({"reason": "wrong item"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let lots = json_of(
        app.get(&format!("/api/v1/lots?item_id={rice}"), &t.token)
            .await,
    )
    .await;
    let codes: Vec<(&Value, &Value, &Value, &Value)> = lots["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                &l["code"],
                &l["expires_on"],
                &l["remaining"],
                &l["remaining_value"],
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (
                &json!("LATE"),
                &json!("2031-02-01"),
                &json!("700.000"),
                &json!("2.10")
            ),
            (
                &json!("LATE"),
                &json!("2031-02-01"),
                &json!("100.000"),
                &json!("0.30")
            ),
            (
                &Value::Null,
                &Value::Null,
                &json!("1200.000"),
                &json!("2.60")
            ),
        ]
    );
    assert_eq!(value_of(&app, &t).await, (json!("5.00"), json!("2000.000")));
}

async fn waste_by_recipe_depletes_each_ingredient_and_the_report_sums_it(app: TestApp) {
    let t = app.register("Dough Kitchen").await;
    let flour = app.create_item(&t, "Flour", "g", "0.001").await;
    let oil = app.create_item(&t, "Olive oil", "ml", "0.004").await;
    for (item, qty) in [(&flour, "5000"), (&oil, "1000")] {
        assert_eq!(
            app.adjust(&t, item, qty, "opening").await.status(),
            StatusCode::CREATED
        );
    }
    // 2 kg of dough from 1 kg flour and 100 ml oil.
    let recipe = created(
        &app,
        &t,
        "/api/v1/recipes",
        &json!({"name": "Pizza dough", "yield_quantity": "2000", "yield_unit": "g", "lines": [
            {"item_id": flour, "quantity": "1", "unit": "kg"},
            {"item_id": oil, "quantity": "100", "unit": "ml"}]}),
    )
    .await;
    // 500 g of dough over-produced: 250 g flour (0.25) and 25 ml oil (0.10).
    let entry = created(
        &app,
        &t,
        "/api/v1/waste-entries",
        &json!({"location_id": t.location_id, "reason": "overproduction",
                "recipe_id": recipe["id"], "amount": "0.5 kg"}),
    )
    .await;
    assert_eq!(
        (
            &entry["name"],
            &entry["quantity"],
            &entry["unit"],
            &entry["value"]
        ),
        (
            &json!("Pizza dough"),
            &json!("500.000"),
            &json!("g"),
            &json!("0.35")
        )
    );
    let mut lines: Vec<(String, Value, Value)> = entry["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["item_name"].as_str().unwrap().to_owned(),
                l["quantity"].clone(),
                l["value"].clone(),
            )
        })
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        lines,
        vec![
            ("Flour".to_owned(), json!("250.000"), json!("0.25")),
            ("Olive oil".to_owned(), json!("25.000"), json!("0.10")),
        ]
    );
    assert_eq!(app.on_hand(&t, &flour).await, "4750.000");
    assert_eq!(app.on_hand(&t, &oil).await, "975.000");
    // And 2 staff meals' worth of flour by item, in grams.
    created(
        &app,
        &t,
        "/api/v1/waste-entries",
        &json!({"location_id": t.location_id, "reason": "staff_meal", "item_id": flour, "quantity": "300"}),
    )
    .await;
    let by_item = json_of(app.get(&report_path("item"), &t.token).await).await;
    assert_eq!(by_item["total"], "0.65");
    let rows: Vec<(&Value, &Value, &Value)> = by_item["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (&l["name"], &l["quantity"], &l["value"]))
        .collect();
    assert_eq!(
        rows,
        vec![
            (&json!("Flour"), &json!("550.000"), &json!("0.55")),
            (&json!("Olive oil"), &json!("25.000"), &json!("0.10")),
        ]
    );
    let by_reason = json_of(app.get(&report_path("reason"), &t.token).await).await;
    let reasons: Vec<(&Value, &Value)> = by_reason["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (&l["reason"], &l["value"]))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (&json!("overproduction"), &json!("0.35")),
            (&json!("staff_meal"), &json!("0.30"))
        ]
    );
    let by_location = json_of(app.get(&report_path("location"), &t.token).await).await;
    assert_eq!(by_location["lines"][0]["name"], "Brixton");
    assert_eq!(by_location["lines"][0]["value"], "0.65");
    let by_day = json_of(app.get(&report_path("day"), &t.token).await).await;
    assert_eq!(by_day["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(by_day["lines"][0]["value"], "0.65");
    // The list, newest first, filtered by reason.
    let listed = json_of(
        app.get("/api/v1/waste-entries?reason=overproduction", &t.token)
            .await,
    )
    .await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["data"][0]["id"], entry["id"]);
    // Bad input names its field.
    for (body, field) in [
        (
            json!({"location_id": t.location_id, "reason": "other", "item_id": flour, "quantity": "1"}),
            "note",
        ),
        (
            json!({"location_id": t.location_id, "reason": "dropped", "item_id": flour, "amount": "2 l"}),
            "amount",
        ),
        (
            json!({"location_id": t.location_id, "reason": "dropped", "item_id": flour, "recipe_id": recipe["id"], "quantity": "1"}),
            "item_id",
        ),
        (
            json!({"location_id": t.location_id, "reason": "dropped", "item_id": flour}),
            "quantity",
        ),
    ] {
        let res = app
            .post("/api/v1/waste-entries", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(json_of(res).await["field"], field);
    }
    let res = app
        .get(
            "/api/v1/waste-report?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z",
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn other_tenants_ids_are_404_and_a_documents_movements_are_refused(app: TestApp) {
    let t = app.register("Home").await;
    let other = app.register("Stranger").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    assert_eq!(
        app.adjust(&t, &rice, "1000", "opening").await.status(),
        StatusCode::CREATED
    );
    let entry = created(
        &app,
        &t,
        "/api/v1/waste-entries",
        &json!({"location_id": t.location_id, "reason": "dropped", "item_id": rice, "quantity": "100"}),
    )
    .await;
    let (id, movement) = (
        entry["id"].as_str().unwrap().to_owned(),
        entry["lines"][0]["movement_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    // Another tenant: its own location with our item, our entry, our movement: 404.
    let res = app
        .post(
            "/api/v1/waste-entries",
            Some(&other.token),
            &json!({"location_id": other.location_id, "reason": "dropped", "item_id": rice, "quantity": "1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/waste-entries/{id}"), &other.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for path in [
        format!("/api/v1/waste-entries/{id}/reverse"),
        format!("/api/v1/stock-movements/{movement}/reverse"),
    ] {
        let res = app
            .post(&path, Some(&other.token), &json!({"reason": "not mine"}))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let listed = json_of(app.get("/api/v1/waste-entries", &other.token).await).await;
    assert_eq!(listed["data"], json!([]));
    let report = json_of(app.get(&report_path("item"), &other.token).await).await;
    assert_eq!(report["total"], "0.00");
    assert_eq!(app.on_hand(&t, &rice).await, "900.000");
    // A sale's movement belongs to the sale: 409, saying to reverse the document.
    app.dish(&t, "Rice bowl", &rice, "150").await;
    app.sell(&t, "Rice bowl", "1", "2026-12-01T12:00:00Z").await;
    let sales = json_of(
        app.get(
            &format!("/api/v1/stock-movements?item_id={rice}&kind=sale"),
            &t.token,
        )
        .await,
    )
    .await;
    let sale = sales["data"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/stock-movements/{sale}/reverse"),
            Some(&t.token),
            &json!({"reason": "wrong"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        json_of(res).await["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("document")
    );
    assert_eq!(app.on_hand(&t, &rice).await, "750.000");
}
