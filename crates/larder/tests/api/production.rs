//! Production batches and the prep list (issue 9, item 5; ADR 022), end to end on both
//! backends: exact ingredient costs from two lots, the produced lot's value, code and use-by,
//! stock value conserved, yield variance, idempotency, isolation, and the prep list's
//! arithmetic against a hand-worked case.

use chrono::{Datelike, Duration, Utc};
use larder_core::{Money, Quantity};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    a_batch_consumes_two_lots_fefo_and_makes_a_lot_worth_exactly_what_it_used,
    production_refuses_what_it_cannot_make_and_stays_in_its_tenant,
    the_prep_list_makes_par_plus_expected_usage_less_on_hand_in_whole_batches,
    a_sale_takes_a_produced_sauce_from_its_stock_not_its_ingredients_again,
);

/// A dish using a produced sub-recipe, and a menu item selling the produced recipe itself:
/// once production makes the sauce, a sale takes the sauce item (whose batch already took the
/// tomatoes and oil), never the tomatoes and oil a second time.
async fn a_sale_takes_a_produced_sauce_from_its_stock_not_its_ingredients_again(app: TestApp) {
    let t = app.register("Pizzeria").await;
    let (tomato, oil, sauce, recipe) = sauce_kitchen(&app, &t).await;
    let dough = app.create_item(&t, "Dough ball", "ea", "0.5").await;
    receive(&app, &t, &tomato, "2000", "0.002", "2030-01-10").await;
    receive(&app, &t, &oil, "500", "0.01", "2030-01-10").await;
    receive(&app, &t, &dough, "10", "0.5", "2030-01-10").await;
    let res = app
        .post("/api/v1/recipes", Some(&t.token), &json!({"name": "Margherita", "yield_quantity": "1", "yield_unit": "ea",
            "lines": [{"recipe_id": recipe, "quantity": "200", "unit": "g"}, {"item_id": dough, "quantity": "1", "unit": "ea"}]}))
        .await;
    let pizza = json_of(res, StatusCode::CREATED).await["id"].clone();
    for body in [
        json!({"name": "Margherita", "recipe_id": pizza, "price": "9.00"}),
        json!({"name": "Pot of sauce", "recipe_id": recipe, "portion": "250", "price": "2.00"}),
    ] {
        let res = app.post("/api/v1/menu-items", Some(&t.token), &body).await;
        json_of(res, StatusCode::CREATED).await;
    }
    let body = json!({"location_id": t.location_id, "recipe_id": recipe, "planned_quantity": "2000",
                      "actual_quantity": "2000"});
    let res = app
        .post("/api/v1/production-batches", Some(&t.token), &body)
        .await;
    json_of(res, StatusCode::CREATED).await;
    let res = app
        .post(
            "/api/v1/sales",
            Some(&t.token),
            &json!({"location_id": t.location_id,
                    "lines": [{"name": "Margherita", "quantity": "2"}, {"name": "Pot of sauce", "quantity": "1"}]}),
        )
        .await;
    json_of(res, StatusCode::CREATED).await;
    // The batch took 2 000 g of tomatoes and 100 ml of oil; the sales took 2 x 200 g + 250 g
    // of sauce and two dough balls, and no more tomatoes or oil.
    assert_eq!(q(&app.on_hand(&t, &sauce).await), q("1350"));
    assert_eq!(q(&app.on_hand(&t, &dough).await), q("8"));
    assert_eq!(q(&app.on_hand(&t, &tomato).await), q("0"));
    assert_eq!(q(&app.on_hand(&t, &oil).await), q("400"));
}

fn money(v: &Value) -> Money {
    Money::parse(v.as_str().unwrap_or_else(|| panic!("not money: {v}")))
        .unwrap_or_else(|e| panic!("bad money {v}: {e:?}"))
}

fn qty(v: &Value) -> Quantity {
    Quantity::parse(v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}")))
        .unwrap_or_else(|e| panic!("bad quantity {v}: {e:?}"))
}

fn m(s: &str) -> Money {
    Money::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

async fn json_of(res: reqwest::Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// Receives `quantity` of `item` into one lot at `unit_cost`, expiring on `expires`.
async fn receive(
    app: &TestApp,
    t: &Tenant,
    item: &str,
    quantity: &str,
    unit_cost: &str,
    expires: &str,
) {
    let body = json!({"location_id": t.location_id, "lines": [
        {"item_id": item, "quantity": quantity, "unit_cost": unit_cost, "expires_on": expires}]});
    let res = app
        .post("/api/v1/goods-receipts", Some(&t.token), &body)
        .await;
    json_of(res, StatusCode::CREATED).await;
}

/// Tomatoes, oil and a sauce item; the sauce recipe (2 kg tomatoes + 100 ml oil make
/// 2 000 g) set to make the sauce, keeping 3 days, in batches of 2 000 g.
async fn sauce_kitchen(app: &TestApp, t: &Tenant) -> (String, String, String, String) {
    let tomato = app.create_item(t, "Tomatoes", "g", "0.002").await;
    let oil = app.create_item(t, "Olive oil", "ml", "0.01").await;
    let sauce = app.create_item(t, "Tomato sauce", "g", "0").await;
    let res = app
        .post("/api/v1/recipes", Some(&t.token), &json!({"name": "Tomato sauce", "yield_quantity": "2000", "yield_unit": "g",
            "lines": [{"item_id": tomato, "quantity": "2", "unit": "kg"}, {"item_id": oil, "quantity": "100", "unit": "ml"}]}))
        .await;
    let recipe = json_of(res, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let res = app
        .put(
            &format!("/api/v1/recipes/{recipe}/production"),
            &t.token,
            &json!({"item_id": sauce, "shelf_life_days": 3, "default_batch": "2000"}),
        )
        .await;
    assert_eq!(
        res.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"1\"")
    );
    let s = json_of(res, StatusCode::OK).await;
    assert_eq!(s["item_name"], "Tomato sauce");
    assert_eq!(qty(&s["batch_size"]), q("2000"));
    (tomato, oil, sauce, recipe)
}

async fn stock_value(app: &TestApp, t: &Tenant) -> Money {
    let res = app.get("/api/v1/stock-value", &t.token).await;
    money(&json_of(res, StatusCode::OK).await["total"])
}

async fn a_batch_consumes_two_lots_fefo_and_makes_a_lot_worth_exactly_what_it_used(app: TestApp) {
    let t = app.register("Central").await;
    let (tomato, oil, sauce, recipe) = sauce_kitchen(&app, &t).await;
    // Two lots of tomatoes at different costs: the earlier expiry goes first.
    receive(&app, &t, &tomato, "1500", "0.003", "2030-01-20").await;
    receive(&app, &t, &tomato, "1000", "0.002", "2030-01-10").await;
    receive(&app, &t, &oil, "500", "0.01", "2030-06-01").await;
    let before = stock_value(&app, &t).await;
    assert_eq!(before, m("11.50"));
    let made_at = (Utc::now() - Duration::days(1))
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let body = json!({"location_id": t.location_id, "recipe_id": recipe, "planned_quantity": "1600",
                      "actual_quantity": "1500", "produced_at": made_at.to_rfc3339()});
    let res = app
        .post_with_key("/api/v1/production-batches", &t.token, "batch-1", &body)
        .await;
    let b = json_of(res, StatusCode::CREATED).await;
    assert_eq!(b["number"], "PB-000001");
    // 1 600 g of tomatoes: 1 000 g at 0.002 (2.00) then 600 g at 0.003 (1.80); 80 ml of oil
    // at 0.01 (0.80). The lot made is worth exactly 4.60.
    let inputs = b["inputs"].as_array().cloned().unwrap_or_default();
    assert_eq!(inputs.len(), 2);
    let input = |id: &str| {
        inputs
            .iter()
            .find(|i| i["item_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no input {id}"))
    };
    let tom = input(&tomato);
    assert_eq!(
        (qty(&tom["quantity"]), money(&tom["cost"])),
        (q("1600"), m("3.80"))
    );
    let lots = tom["lots"].as_array().cloned().unwrap_or_default();
    assert_eq!(lots.len(), 2);
    assert_eq!(
        (qty(&lots[0]["quantity"]), money(&lots[0]["cost"])),
        (q("1000"), m("2.00"))
    );
    assert_eq!(
        (qty(&lots[1]["quantity"]), money(&lots[1]["cost"])),
        (q("600"), m("1.80"))
    );
    let o = input(&oil);
    assert_eq!(
        (qty(&o["quantity"]), money(&o["cost"])),
        (q("80"), m("0.80"))
    );
    assert_eq!(money(&b["cost"]), m("4.60"));
    // 4.60 / 1 500 g = 0.0030666... per g, half to even at the millionth.
    assert_eq!(money(&b["unit_cost"]), m("0.003067"));
    assert_eq!(qty(&b["yield_variance"]), q("-100"));
    assert_eq!(b["yield_variance_pct"], "-6.25");
    let use_by = made_at.date_naive() + Duration::days(3);
    assert_eq!(b["expires_on"], use_by.format("%Y-%m-%d").to_string());
    // The produced lot: coded with the batch number, worth exactly what was consumed.
    let res = app
        .get(&format!("/api/v1/lots?item_id={sauce}"), &t.token)
        .await;
    let lots = json_of(res, StatusCode::OK).await["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0]["code"], "PB-000001");
    assert_eq!(lots[0]["id"], b["lot_id"]);
    assert_eq!(lots[0]["expires_on"], b["expires_on"]);
    assert_eq!(
        (
            qty(&lots[0]["remaining"]),
            money(&lots[0]["remaining_value"])
        ),
        (q("1500"), m("4.60"))
    );
    assert_eq!(money(&lots[0]["unit_cost"]), m("0.003067"));
    // Stock value is conserved exactly; on hand moved as made.
    assert_eq!(stock_value(&app, &t).await, before);
    assert_eq!(app.on_hand(&t, &tomato).await, "900.000");
    assert_eq!(app.on_hand(&t, &oil).await, "420.000");
    assert_eq!(app.on_hand(&t, &sauce).await, "1500.000");
    // The same key posts once.
    let res = app
        .post_with_key("/api/v1/production-batches", &t.token, "batch-1", &body)
        .await;
    assert_eq!(
        res.headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let again = json_of(res, StatusCode::CREATED).await;
    assert_eq!(again["id"], b["id"]);
    assert_eq!(app.on_hand(&t, &sauce).await, "1500.000");
    // A second batch by number of batches: 0.5 x 2 000 g, numbered next.
    let res = app
        .post(
            "/api/v1/production-batches",
            Some(&t.token),
            &json!({"location_id": t.location_id,
            "recipe_id": recipe, "batches": "0.5", "actual_quantity": "1000"}),
        )
        .await;
    let b2 = json_of(res, StatusCode::CREATED).await;
    assert_eq!(b2["number"], "PB-000002");
    assert_eq!(qty(&b2["planned_quantity"]), q("1000"));
    assert_eq!(b2["yield_variance_pct"], "0.00");
    // Listed per recipe with their variance, newest first; read one with its lots.
    let res = app
        .get(
            &format!("/api/v1/production-batches?recipe_id={recipe}&limit=1"),
            &t.token,
        )
        .await;
    let page = json_of(res, StatusCode::OK).await;
    assert_eq!(page["data"][0]["number"], "PB-000002");
    let cursor = page["next_cursor"].as_str().unwrap_or_default().to_owned();
    let res = app
        .get(
            &format!("/api/v1/production-batches?recipe_id={recipe}&cursor={cursor}"),
            &t.token,
        )
        .await;
    let page = json_of(res, StatusCode::OK).await;
    assert_eq!(page["data"][0]["number"], "PB-000001");
    assert_eq!(page["data"][0]["yield_variance_pct"], "-6.25");
    let res = app
        .get(
            &format!(
                "/api/v1/production-batches/{}",
                b["id"].as_str().unwrap_or_default()
            ),
            &t.token,
        )
        .await;
    let one = json_of(res, StatusCode::OK).await;
    assert_eq!(one["inputs"][0]["lots"].as_array().map(Vec::len), Some(2));
    // The recipe's yield summary: planned 2 600 g, made 2 500 g: -3.85 %.
    let res = app
        .get(&format!("/api/v1/recipes/{recipe}/production"), &t.token)
        .await;
    let s = json_of(res, StatusCode::OK).await;
    assert_eq!(s["yields"]["batches"], 2);
    assert_eq!(qty(&s["yields"]["variance"]), q("-100"));
    assert_eq!(s["yields"]["variance_pct"], "-3.85");
}

async fn production_refuses_what_it_cannot_make_and_stays_in_its_tenant(app: TestApp) {
    let t = app.register("Central").await;
    let (tomato, _oil, sauce, recipe) = sauce_kitchen(&app, &t).await;
    // A recipe that makes no stock item: 422 naming recipe_id.
    let res = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Salsa", "yield_quantity": "1000", "yield_unit": "g",
            "lines": [{"item_id": tomato, "quantity": "1", "unit": "kg"}]}),
        )
        .await;
    let salsa = json_of(res, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let make = |recipe: &str| json!({"location_id": t.location_id, "recipe_id": recipe, "planned_quantity": "1000", "actual_quantity": "1000"});
    let res = app
        .post("/api/v1/production-batches", Some(&t.token), &make(&salsa))
        .await;
    assert_eq!(
        json_of(res, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "recipe_id"
    );
    // Planned and batches together, or an actual yield of nothing: 422 naming the field.
    let mut both_given = make(&recipe);
    both_given["batches"] = json!("1");
    let res = app
        .post("/api/v1/production-batches", Some(&t.token), &both_given)
        .await;
    assert_eq!(
        json_of(res, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "planned_quantity"
    );
    let mut nothing = make(&recipe);
    nothing["actual_quantity"] = json!("0");
    let res = app
        .post("/api/v1/production-batches", Some(&t.token), &nothing)
        .await;
    assert_eq!(
        json_of(res, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "actual_quantity"
    );
    // The produced item is counted in the yield unit; another recipe cannot make it too.
    let oil_item = app.create_item(&t, "Chilli oil", "ml", "0").await;
    let res = app
        .put(
            &format!("/api/v1/recipes/{salsa}/production"),
            &t.token,
            &json!({"item_id": oil_item}),
        )
        .await;
    assert_eq!(
        json_of(res, StatusCode::UNPROCESSABLE_ENTITY).await["field"],
        "item_id"
    );
    let res = app
        .put(
            &format!("/api/v1/recipes/{salsa}/production"),
            &t.token,
            &json!({"item_id": sauce}),
        )
        .await;
    assert_eq!(json_of(res, StatusCode::CONFLICT).await["field"], "item_id");
    // A stale If-Match is a 412 and writes nothing.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/recipes/{recipe}/production")))
        .bearer_auth(&t.token)
        .header("If-Match", "\"7\"")
        .json(&json!({"item_id": sauce, "shelf_life_days": 9}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let res = app
        .get(&format!("/api/v1/recipes/{recipe}/production"), &t.token)
        .await;
    assert_eq!(json_of(res, StatusCode::OK).await["shelf_life_days"], 3);
    let res = app
        .post("/api/v1/production-batches", Some(&t.token), &make(&recipe))
        .await;
    let b = json_of(res, StatusCode::CREATED).await;
    // Another tenant: the recipe, its settings and the batch are 404, its list is empty,
    // and its own batches count from PB-000001.
    let u = app.register("Elsewhere").await;
    let res = app.post("/api/v1/production-batches", Some(&u.token),
        &json!({"location_id": u.location_id, "recipe_id": recipe, "planned_quantity": "1000", "actual_quantity": "1000"})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post("/api/v1/production-batches", Some(&u.token), &make(&recipe))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "another tenant's location"
    );
    let res = app
        .get(&format!("/api/v1/recipes/{recipe}/production"), &u.token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .put(
            &format!("/api/v1/recipes/{recipe}/production"),
            &u.token,
            &json!({"item_id": sauce}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .get(
            &format!(
                "/api/v1/production-batches/{}",
                b["id"].as_str().unwrap_or_default()
            ),
            &u.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.get("/api/v1/production-batches", &u.token).await;
    assert_eq!(json_of(res, StatusCode::OK).await["data"], json!([]));
    let res = app
        .get(
            &format!("/api/v1/prep-list?location_id={}", t.location_id),
            &u.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn the_prep_list_makes_par_plus_expected_usage_less_on_hand_in_whole_batches(app: TestApp) {
    let t = app.register("Central").await;
    let (_tomato, _oil, sauce, recipe) = sauce_kitchen(&app, &t).await;
    // A pasta portion takes 200 g of the sauce (a produced sub-recipe).
    let res = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Pasta al pomodoro", "yield_quantity": "1", "yield_unit": "ea",
            "lines": [{"recipe_id": recipe, "quantity": "200", "unit": "g"}]}),
        )
        .await;
    let pasta = json_of(res, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let res = app
        .post(
            "/api/v1/menu-items",
            Some(&t.token),
            &json!({"name": "Pasta", "recipe_id": pasta}),
        )
        .await;
    json_of(res, StatusCode::CREATED).await;
    // The day to plan: six days from now (so last week's same weekday is in the past). Sold on the same weekday over the last 4 weeks:
    // 10, 20, nothing and 30 portions; and 50 on another weekday, which does not count.
    let day = Utc::now().date_naive() + Duration::days(6);
    for (weeks, portions) in [(1, "10"), (2, "20"), (4, "30")] {
        let at = (day - Duration::days(7 * weeks))
            .and_hms_opt(13, 0, 0)
            .unwrap_or_default()
            .and_utc();
        app.sell(&t, "Pasta", portions, &at.to_rfc3339()).await;
    }
    let other_day = (day - Duration::days(9))
        .and_hms_opt(13, 0, 0)
        .unwrap_or_default()
        .and_utc();
    app.sell(&t, "Pasta", "50", &other_day.to_rfc3339()).await;
    // Par 2 000 g; 1 500 g on hand: the sales took their sauce from stock (110 portions x
    // 200 g = 22 000 g), so 23 500 g came in before them.
    let res = app
        .put(
            &format!("/api/v1/items/{sauce}/par-levels/{}", t.location_id),
            &t.token,
            &json!({"par_level": "2000"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.adjust(&t, &sauce, "23500", "opening").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .get(
            &format!("/api/v1/prep-list?location_id={}&date={day}", t.location_id),
            &t.token,
        )
        .await;
    let list = json_of(res, StatusCode::OK).await;
    assert_eq!(list["date"], day.format("%Y-%m-%d").to_string());
    let lines = list["lines"].as_array().cloned().unwrap_or_default();
    assert_eq!(lines.len(), 1, "{list}");
    let l = &lines[0];
    assert_eq!(l["item_id"], json!(sauce));
    assert_eq!(l["unit"], "g");
    // Expected: (10 + 20 + 0 + 30) x 200 g / 4 = 3 000 g. Need 2 000 + 3 000 - 1 500 =
    // 3 500 g: two batches of 2 000 g.
    assert_eq!(qty(&l["par_level"]), q("2000"));
    assert_eq!(qty(&l["on_hand"]), q("1500"));
    assert_eq!(qty(&l["expected_usage"]), q("3000"));
    assert_eq!(l["batches"], 2);
    assert_eq!(qty(&l["to_make"]), q("4000"));
    // Below its par, the sauce is on the prep list and not among what to buy (ADR 017).
    let res = app
        .get(
            &format!("/api/v1/reorder-suggestions?location_id={}", t.location_id),
            &t.token,
        )
        .await;
    let buy = json_of(res, StatusCode::OK).await;
    assert!(
        !buy.to_string().contains(&sauce),
        "a prep item is made, not bought: {buy}"
    );
    // Enough on hand: nothing to make.
    let res = app.adjust(&t, &sauce, "5000", "opening").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .get(
            &format!("/api/v1/prep-list?location_id={}&date={day}", t.location_id),
            &t.token,
        )
        .await;
    let list = json_of(res, StatusCode::OK).await;
    assert_eq!(qty(&list["lines"][0]["to_make"]), Quantity::ZERO);
    assert_eq!(list["lines"][0]["batches"], 0);
    let _ = day.weekday();
}
