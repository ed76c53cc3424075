//! Corrections (issue 9, item 6; ADR 023) through the API, on both backends: effective-dated
//! recipe and menu item versions, sales depleted and costed with the versions in force when
//! they happened, backdated edits re-depleting what they touch by compensating movements,
//! late mappings of POS names depleting once, `If-Match` and tenant isolation.

use chrono::{Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    an_effective_dated_recipe_change_costs_old_sales_with_the_old_recipe,
    a_backdated_menu_item_change_redepletes_and_prices_with_the_version_in_force,
    a_late_mapping_depletes_past_lines_once,
    history_is_the_callers_tenants_and_needs_the_permission,
);

fn ago(days: i64) -> String {
    (Utc::now() - Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn put_if(
    app: &TestApp,
    path: &str,
    token: &str,
    etag: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app.client.put(app.url(path)).bearer_auth(token).json(body);
    if let Some(e) = etag {
        req = req.header("If-Match", e);
    }
    req.send().await.unwrap()
}

/// 10 kg of `item` opened at its cost (one lot: every take is valued at that cost).
async fn stock(app: &TestApp, t: &Tenant, item: &str) {
    let res = app.adjust(t, item, "10000", "opening").await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
}

async fn sell_at(app: &TestApp, t: &Tenant, name: &str, qty: &str, at: &str) -> String {
    let sale = json!({"location_id": t.location_id, "occurred_at": at,
                      "lines": [{"name": name, "quantity": qty}]});
    let res = app.post("/api/v1/sales", Some(&t.token), &sale).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The sale movements of `sale` (quantity, value), sorted (movements posted in one step share
/// a millisecond, so their ids do not order them).
async fn sale_movements(
    app: &TestApp,
    t: &Tenant,
    item: &str,
    sale: &str,
) -> Vec<(String, String)> {
    let res = app
        .get(
            &format!("/api/v1/stock-movements?item_id={item}&kind=sale&limit=500"),
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let mut out: Vec<(String, String)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sale_id"] == sale)
        .map(|m| {
            (
                m["quantity"].as_str().unwrap().to_owned(),
                m["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn sorted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    v.sort();
    v
}

async fn an_effective_dated_recipe_change_costs_old_sales_with_the_old_recipe(app: TestApp) {
    let t = app.register("Recipe history").await;
    let chickpeas = app.create_item(&t, "Chickpeas", "g", "0.004").await;
    stock(&app, &t, &chickpeas).await;
    let res = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Chana", "yield_quantity": "1", "yield_unit": "ea",
                    "lines": [{"item_id": chickpeas, "quantity": "200", "unit": "g"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let recipe = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post(
            "/api/v1/menu-items",
            Some(&t.token),
            &json!({"name": "Chana masala", "recipe_id": recipe, "price": "8.00"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Ten days ago two portions (400 g), two days ago one (200 g).
    let old = sell_at(&app, &t, "Chana masala", "2", &ago(10)).await;
    let recent = sell_at(&app, &t, "Chana masala", "1", &ago(2)).await;
    assert_eq!(app.on_hand(&t, &chickpeas).await, "9400.000");

    // From five days ago a portion takes 250 g: the sale two days ago is re-depleted (its
    // 200 g reversed, 250 g posted), the one ten days ago is not.
    let path = format!("/api/v1/recipes/{recipe}");
    let five_days_ago = ago(5);
    let edit = json!({"name": "Chana", "yield_quantity": "1", "yield_unit": "ea",
        "effective_from": five_days_ago,
        "lines": [{"item_id": chickpeas, "quantity": "250", "unit": "g"}]});
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &edit).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["cost_per_yield_unit"], "1.00");
    assert_eq!(
        r["correction"],
        json!({"sales": 1, "reversed": 1, "posted": 1})
    );
    assert_eq!(app.on_hand(&t, &chickpeas).await, "9350.000");
    assert_eq!(
        sale_movements(&app, &t, &chickpeas, &old).await,
        vec![("-400.000".to_owned(), "-1.60".to_owned())]
    );
    assert_eq!(
        sale_movements(&app, &t, &chickpeas, &recent).await,
        sorted(&[
            ("-200.000", "-0.80"),
            ("200.000", "0.80"),
            ("-250.000", "-1.00")
        ])
    );

    // A sale imported now for a day before the change takes the old recipe; one today the new.
    let late = sell_at(&app, &t, "Chana masala", "1", &ago(7)).await;
    let today = sell_at(&app, &t, "Chana masala", "1", &ago(0)).await;
    assert_eq!(
        sale_movements(&app, &t, &chickpeas, &late).await,
        vec![("-200.000".to_owned(), "-0.80".to_owned())]
    );
    assert_eq!(
        sale_movements(&app, &t, &chickpeas, &today).await,
        vec![("-250.000".to_owned(), "-1.00".to_owned())]
    );
    assert_eq!(app.on_hand(&t, &chickpeas).await, "8900.000");

    // A stale version is refused and changes nothing.
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &edit).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.on_hand(&t, &chickpeas).await, "8900.000");
    // Not in the future, not before the current version's date.
    let mut future = edit.clone();
    future["effective_from"] = json!((Utc::now() + Duration::days(1)).to_rfc3339());
    let res = put_if(&app, &path, &t.token, Some("\"2\""), &future).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "effective_from"
    );
    let mut before = edit.clone();
    before["effective_from"] = json!(ago(6));
    let res = put_if(&app, &path, &t.token, Some("\"2\""), &before).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "effective_from"
    );
    // A new recipe takes no date.
    let res = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Dated", "yield_quantity": "1", "yield_unit": "ea",
                    "effective_from": ago(1),
                    "lines": [{"item_id": chickpeas, "quantity": "1", "unit": "g"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "effective_from"
    );

    // The same edit again is a new version that changes no sale: nothing is re-depleted.
    let res = put_if(&app, &path, &t.token, Some("\"2\""), &edit).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["correction"],
        json!({"sales": 0, "reversed": 0, "posted": 0})
    );
    assert_eq!(app.on_hand(&t, &chickpeas).await, "8900.000");

    // The history lists every version, newest first, each costed.
    let res = app.get(&format!("{path}/history"), &t.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h: Value = res.json().await.unwrap();
    let versions = h["data"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(
        versions
            .iter()
            .map(|v| (v["version"].clone(), v["cost_per_yield_unit"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!(3), json!("1.00")),
            (json!(2), json!("1.00")),
            (json!(1), json!("0.80"))
        ]
    );
    assert_eq!(versions[2]["effective_from"], Value::Null);
    assert_eq!(versions[2]["lines"][0]["quantity"], "200.000");
    assert_eq!(versions[0]["effective_to"], Value::Null);
    assert_eq!(versions[2]["effective_to"], versions[1]["effective_from"]);

    // A retired recipe keeps its history.
    let res = app
        .post(&format!("{path}/retire"), Some(&t.token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let h: Value = app
        .get(&format!("{path}/history"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(h["data"].as_array().unwrap().len(), 3);
}

async fn a_backdated_menu_item_change_redepletes_and_prices_with_the_version_in_force(
    app: TestApp,
) {
    let t = app.register("Menu history").await;
    let flour = app.create_item(&t, "Flour", "g", "0.001").await;
    stock(&app, &t, &flour).await;
    let small = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Naan dough", "yield_quantity": "1", "yield_unit": "ea",
                    "lines": [{"item_id": flour, "quantity": "100", "unit": "g"}]}),
        )
        .await;
    let small = small.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post(
            "/api/v1/menu-items",
            Some(&t.token),
            &json!({"name": "Naan", "recipe_id": small, "price": "2.50"}),
        )
        .await;
    let naan: Value = res.json().await.unwrap();
    let id = naan["id"].as_str().unwrap().to_owned();
    let before = sell_at(&app, &t, "Naan", "1", &ago(6)).await;
    let after = sell_at(&app, &t, "Naan", "2", &ago(1)).await;
    assert_eq!(app.on_hand(&t, &flour).await, "9700.000");

    // From three days ago a naan is one and a half portions at 3.00.
    let path = format!("/api/v1/menu-items/{id}");
    let edit = json!({"name": "Naan", "recipe_id": small, "portion": "1.5", "price": "3.00",
                      "effective_from": ago(3)});
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &edit).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["cost"], "0.15");
    assert_eq!(
        m["correction"],
        json!({"sales": 1, "reversed": 1, "posted": 1})
    );
    // 2 x 150 g instead of 2 x 100 g.
    assert_eq!(app.on_hand(&t, &flour).await, "9600.000");
    assert_eq!(
        sale_movements(&app, &t, &flour, &before).await,
        vec![("-100.000".to_owned(), "-0.10".to_owned())]
    );
    assert_eq!(
        sale_movements(&app, &t, &flour, &after).await,
        sorted(&[
            ("-200.000", "-0.20"),
            ("200.000", "0.20"),
            ("-300.000", "-0.30")
        ])
    );
    // A sale without a price takes the price in force when it happened.
    let res = app
        .post(
            "/api/v1/sales",
            Some(&t.token),
            &json!({"location_id": t.location_id, "occurred_at": ago(5),
                    "lines": [{"name": "Naan", "quantity": "2"}]}),
        )
        .await;
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["lines"][0]["unit_price"], "2.50");
    assert_eq!(s["total"], "5.00");
    // A stale version is refused.
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &edit).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);

    let h: Value = app
        .get(&format!("{path}/history"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        h["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (
                v["version"].clone(),
                v["price"].clone(),
                v["cost"].clone(),
                v["food_cost_pct"].clone()
            ))
            .collect::<Vec<_>>(),
        vec![
            (json!(2), json!("3.00"), json!("0.15"), json!("5.0")),
            (json!(1), json!("2.50"), json!("0.10"), json!("4.0")),
        ]
    );
}

async fn a_late_mapping_depletes_past_lines_once(app: TestApp) {
    let t = app.register("Late mapping").await;
    let flour = app.create_item(&t, "Flour", "g", "0.001").await;
    stock(&app, &t, &flour).await;
    let naan = app.dish(&t, "Garlic naan", &flour, "120").await;
    let plain = app.dish(&t, "Plain naan", &flour, "90").await;
    // The till sells it as "garlic nan" (two lines on one ticket, one on another) beside a
    // dish that maps.
    let res = app
        .post(
            "/api/v1/sales",
            Some(&t.token),
            &json!({"location_id": t.location_id, "occurred_at": ago(4),
                    "lines": [{"name": "garlic nan", "quantity": "2"},
                              {"name": "Plain naan", "quantity": "1"},
                              {"name": "GARLIC  NAN", "quantity": "1"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let first = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = sell_at(&app, &t, "garlic nan", "1", &ago(1)).await;
    assert_eq!(app.on_hand(&t, &flour).await, "9910.000");
    let unmapped: Value = app
        .get("/api/v1/sales/unmapped", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let lines: i64 = unmapped["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["lines"].as_i64().unwrap())
        .sum();
    assert_eq!(lines, 3);

    // Mapping the name depletes the three past lines (4 naans, 480 g) once.
    let body = json!({"name": "Garlic Nan", "menu_item_id": naan});
    let key = "late-map-1";
    let res = app
        .post_with_key("/api/v1/sales/aliases", &t.token, key, &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let r: Value = res.json().await.unwrap();
    assert_eq!(
        (
            r["past_lines_mapped"].clone(),
            r["past_sales_depleted"].clone()
        ),
        (json!(3), json!(2))
    );
    assert_eq!(app.on_hand(&t, &flour).await, "9430.000");
    // The ticket's plain naan (90 g) and the garlic naans (360 g) are one depletion of the
    // ticket as if posted today: the 90 g stays as it was.
    assert_eq!(
        sale_movements(&app, &t, &flour, &first).await,
        sorted(&[
            ("-90.000", "-0.09"),
            ("90.000", "0.09"),
            ("-450.000", "-0.45")
        ])
    );
    assert_eq!(
        sale_movements(&app, &t, &flour, &second).await,
        vec![("-120.000".to_owned(), "-0.12".to_owned())]
    );
    // A retry, and a remap to another dish, deplete nothing more.
    let res = app
        .post_with_key("/api/v1/sales/aliases", &t.token, key, &body)
        .await;
    assert!(res.status().is_success());
    let res = app
        .post(
            "/api/v1/sales/aliases",
            Some(&t.token),
            &json!({"name": "garlic nan", "menu_item_id": plain}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["past_lines_mapped"],
        json!(0)
    );
    assert_eq!(app.on_hand(&t, &flour).await, "9430.000");
    let unmapped: Value = app
        .get("/api/v1/sales/unmapped", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unmapped["data"], json!([]));
    // The past lines now name the menu item they were mapped to first.
    let sale: Value = app
        .get(&format!("/api/v1/sales/{first}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sale["lines"][0]["menu_item_id"], json!(naan));
    assert_eq!(sale["unmapped"], json!([]));
}

async fn history_is_the_callers_tenants_and_needs_the_permission(app: TestApp) {
    let t = app.register("History owner").await;
    let other = app.register("History other").await;
    let flour = app.create_item(&t, "Flour", "g", "0.001").await;
    let menu_item = app.dish(&t, "Roti", &flour, "80").await;
    let m: Value = app
        .get(&format!("/api/v1/menu-items/{menu_item}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    let recipe = m["recipe_id"].as_str().unwrap().to_owned();
    for path in [
        format!("/api/v1/recipes/{recipe}/history"),
        format!("/api/v1/menu-items/{menu_item}/history"),
    ] {
        let res = app.get(&path, &other.token).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let res = app.get(&path, &t.token).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["data"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    // Another tenant cannot edit it, dated or not.
    let res = put_if(
        &app,
        &format!("/api/v1/menu-items/{menu_item}"),
        &other.token,
        None,
        &json!({"name": "Roti", "price": "1.00", "effective_from": ago(1)}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Staff may not edit recipes.
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let res = put_if(
        &app,
        &format!("/api/v1/recipes/{recipe}"),
        &staff,
        None,
        &json!({"name": "Roti recipe", "yield_quantity": "1", "yield_unit": "ea",
                "effective_from": ago(1),
                "lines": [{"item_id": flour, "quantity": "90", "unit": "g"}]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
