use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    an_adjustment_retried_with_its_key_writes_once_and_answers_the_same,
    sixty_four_concurrent_adjustments_to_one_item_lose_nothing,
    negative_stock_is_kept_and_flagged_and_quantities_are_exact,
    movements_are_listed_newest_first_with_a_cursor,
    stock_is_valued_from_its_lots_now_and_as_of_a_date,
);

async fn an_adjustment_retried_with_its_key_writes_once_and_answers_the_same(app: TestApp) {
    let t = app.register("Idempotent").await;
    let item = app.create_item(&t, "Paneer", "g", "0.008").await;
    let body = json!({"item_id": item, "location_id": t.location_id, "quantity": "2.5", "kind": "receipt"});
    let first = app
        .post_with_key("/api/v1/stock/adjustments", &t.token, "delivery-42", &body)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let a: Value = first.json().await.unwrap();
    let again = app
        .post_with_key("/api/v1/stock/adjustments", &t.token, "delivery-42", &body)
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let b: Value = again.json().await.unwrap();
    assert_eq!(a, b, "the retry answers with the first movement");
    assert_eq!(app.on_hand(&t, &item).await, "2.500");
    let listed: Value = app
        .get(&format!("/api/v1/stock-movements?item_id={item}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    // The same key with another body is refused, not replayed.
    let other =
        json!({"item_id": item, "location_id": t.location_id, "quantity": "3", "kind": "receipt"});
    let res = app
        .post_with_key("/api/v1/stock/adjustments", &t.token, "delivery-42", &other)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(app.on_hand(&t, &item).await, "2.500");
}

async fn sixty_four_concurrent_adjustments_to_one_item_lose_nothing(app: TestApp) {
    let t = app.register("Concurrent").await;
    let item = app.create_item(&t, "Chicken breast", "g", "0.0055").await;
    let app = Arc::new(app);
    let mut handles = Vec::new();
    for i in 0..64 {
        let (app, t, item) = (app.clone(), t.clone(), item.clone());
        handles.push(tokio::spawn(async move {
            let qty = if i % 4 == 0 { "-0.125" } else { "1.001" };
            let res = app.adjust(&t, &item, qty, "adjustment").await;
            assert_eq!(res.status(), StatusCode::CREATED);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    // 48 x 1.001 - 16 x 0.125 = 48.048 - 2 = 46.048
    assert_eq!(app.on_hand(&t, &item).await, "46.048");
    assert!(app.app.check_ledger().await.unwrap().is_empty());
}

async fn negative_stock_is_kept_and_flagged_and_quantities_are_exact(app: TestApp) {
    let t = app.register("Negative").await;
    let item = app.create_item(&t, "Okra", "g", "0.006").await;
    assert_eq!(
        app.adjust(&t, &item, "100", "opening").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.adjust(&t, &item, "150.25", "waste").await.status(),
        StatusCode::CREATED
    );
    let res = app
        .put(
            &format!("/api/v1/items/{item}/par-levels/{}", t.location_id),
            &t.token,
            &json!({"par_level": "500", "reorder_point": "200"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let stock: Value = app
        .get(
            &format!("/api/v1/stock?location_id={}", t.location_id),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let row = &stock["data"][0];
    assert_eq!(row["on_hand"], "-50.250");
    assert_eq!(row["negative"], true);
    assert_eq!(row["low"], true);
    assert_eq!(row["item_id"], item.as_str());
    assert_eq!(row["location_id"], t.location_id.as_str());
    // Too many decimals is refused, never rounded.
    let res = app.adjust(&t, &item, "1.0005", "adjustment").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "quantity");
    let res = app.post("/api/v1/stock/adjustments", Some(&t.token), &json!({"item_id": item, "location_id": t.location_id, "quantity": 1.0005, "kind": "adjustment"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Waste needs a known reason; sales cannot be posted by hand.
    let res = app.post("/api/v1/stock/adjustments", Some(&t.token), &json!({"item_id": item, "location_id": t.location_id, "quantity": "1", "kind": "waste"})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "reason");
    let res = app.post("/api/v1/stock/adjustments", Some(&t.token), &json!({"item_id": item, "location_id": t.location_id, "quantity": "1", "kind": "sale"})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "kind");
    assert_eq!(app.on_hand(&t, &item).await, "-50.250");
}

async fn movements_are_listed_newest_first_with_a_cursor(app: TestApp) {
    let t = app.register("Ledger").await;
    let item = app.create_item(&t, "Ginger", "g", "0.004").await;
    for q in ["1", "2", "3", "4", "5"] {
        assert_eq!(
            app.adjust(&t, &item, q, "receipt").await.status(),
            StatusCode::CREATED
        );
    }
    let first: Value = app
        .get("/api/v1/stock-movements?limit=3", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let qs: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["quantity"].as_str().unwrap())
        .collect();
    assert_eq!(qs, ["5.000", "4.000", "3.000"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(
            &format!("/api/v1/stock-movements?limit=3&cursor={cursor}"),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let qs: Vec<&str> = second["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["quantity"].as_str().unwrap())
        .collect();
    assert_eq!(qs, ["2.000", "1.000"]);
    assert!(second["next_cursor"].is_null());
    let receipts: Value = app
        .get("/api/v1/stock-movements?kind=waste", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(receipts["data"].as_array().unwrap().is_empty());

    // In kitchen time: recorded out of order (a late entry for yesterday, one with the same
    // instant as another), listed latest occurred first, paged by (occurred_at, id).
    let at = |q: &str, when: &str| {
        json!({"item_id": item, "location_id": t.location_id, "quantity": q, "kind": "receipt",
               "occurred_at": when})
    };
    for (q, when) in [
        ("10", "2026-03-05T10:00:00Z"),
        ("11", "2026-03-03T10:00:00Z"),
        ("12", "2026-03-05T10:00:00Z"),
        ("13", "2026-03-04T10:00:00Z"),
    ] {
        let res = app
            .post("/api/v1/stock/adjustments", Some(&t.token), &at(q, when))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let window = "from=2026-03-01T00:00:00Z&to=2026-03-06T00:00:00Z&order=occurred&limit=2";
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = format!("/api/v1/stock-movements?{window}{cursor}");
        let page: Value = app.get(&url, &t.token).await.json().await.unwrap();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["quantity"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["12.000", "10.000", "13.000", "11.000"]);
    let res = app
        .get("/api/v1/stock-movements?order=alphabetical", &t.token)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// `larder check` finds a stock level that disagrees with its movements, prints it and exits 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn larder_check_reports_a_stock_level_that_disagrees_with_its_movements() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let t = app.register("Checked").await;
    let item = app.create_item(&t, "Cumin seeds", "g", "0.007").await;
    assert_eq!(
        app.adjust(&t, &item, "500", "receipt").await.status(),
        StatusCode::CREATED
    );
    let larder = env!("CARGO_BIN_EXE_larder");
    let ok = std::process::Command::new(larder)
        .arg("check")
        .arg("--data-dir")
        .arg(&app.data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // Someone edits the table behind the ledger's back.
    let conn = rusqlite::Connection::open(app.data_dir.join("larder.db")).unwrap();
    conn.execute("UPDATE stock_levels SET on_hand = on_hand + 1", [])
        .unwrap();
    drop(conn);

    let bad = app.app.check_ledger().await.unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].1.on_hand.to_string(), "500.001");
    assert_eq!(bad[0].1.movements_sum.to_string(), "500.000");
    let out = std::process::Command::new(larder)
        .arg("check")
        .arg("--data-dir")
        .arg(&app.data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&item) && stdout.contains("500.001,500.000"),
        "{stdout}"
    );
}

async fn stock_is_valued_from_its_lots_now_and_as_of_a_date(app: TestApp) {
    let t = app.register("Valued").await;
    let item = app.create_item(&t, "Paneer", "g", "0.008").await;
    let post = |body: Value| {
        let app = &app;
        let token = t.token.clone();
        async move {
            app.post("/api/v1/stock/adjustments", Some(&token), &body)
                .await
        }
    };
    // Two deliveries at the book cost, 8.00 per kg: the later one expires first.
    for (code, at, expires) in [
        ("L1", "2026-11-01T09:00:00Z", "2026-11-10"),
        ("L2", "2026-11-02T09:00:00Z", "2026-11-05"),
    ] {
        let res = post(
            json!({"item_id": item, "location_id": t.location_id, "quantity": "1000",
            "kind": "receipt", "occurred_at": at, "lot_code": code, "expires_on": expires}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let m: Value = res.json().await.unwrap();
        assert_eq!(m["value"], "8.00");
    }
    // Bad lots: an expiry before the delivery, a lot on a decrease.
    let res = post(
        json!({"item_id": item, "location_id": t.location_id, "quantity": "1",
        "kind": "receipt", "occurred_at": "2026-11-02T09:00:00Z", "expires_on": "2026-11-01"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "expires_on");
    let res = post(
        json!({"item_id": item, "location_id": t.location_id, "quantity": "1",
        "kind": "waste", "reason": "spoilage", "lot_code": "L1"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "lot_code");
    // 1.5 kg spoiled: all of L2 (expiring first), then half of L1; 12.00.
    let res = post(
        json!({"item_id": item, "location_id": t.location_id, "quantity": "1500",
        "kind": "waste", "reason": "spoilage", "occurred_at": "2026-11-03T10:00:00Z"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let waste: Value = res.json().await.unwrap();
    assert_eq!(
        (&waste["value"], &waste["shortfall"]),
        (&json!("-12.00"), &json!("0.000"))
    );
    let lots: Value = app
        .get(&format!("/api/v1/lots?item_id={item}&open=false"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    let lots = lots["data"].as_array().unwrap();
    assert_eq!(
        lots.iter()
            .map(|l| (
                l["code"].as_str().unwrap(),
                l["remaining"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        vec![("L2", "0.000"), ("L1", "500.000")]
    );
    let taken: Value = app
        .get(
            &format!(
                "/api/v1/stock-movements/{}/lots",
                waste["id"].as_str().unwrap()
            ),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        taken,
        json!([
            {"lot_id": lots[0]["id"], "quantity": "1000.000", "cost": "8.00"},
            {"lot_id": lots[1]["id"], "quantity": "500.000", "cost": "4.00"},
        ])
    );
    let value = |q: &str| {
        let app = &app;
        let token = t.token.clone();
        let path = format!("/api/v1/stock-value{q}");
        async move {
            let res = app.get(&path, &token).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let now = value("").await;
    assert_eq!(
        (&now["total"], &now["method"]),
        (&json!("4.00"), &json!("fifo"))
    );
    assert_eq!(now["lines"][0]["quantity"], "500.000");
    let then = value("?as_of=2026-11-02T12:00:00Z&group_by=category").await;
    assert_eq!(then["total"], "16.00");
    let used: Value = app
        .get(
            "/api/v1/cost-of-goods-used?from=2026-11-01T00:00:00Z&to=2026-11-04T00:00:00Z",
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(used["total"], "12.00");
    assert_eq!(used["by_kind"], json!([{"kind": "waste", "cost": "12.00"}]));
    // Stock has moved: the valuation method is fixed.
    let s: Value = app
        .get("/api/v1/settings", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .put(
            "/api/v1/settings",
            &t.token,
            &json!({"currency": s["currency"], "time_zone": s["time_zone"],
                    "day_cutoff_minutes": s["day_cutoff_minutes"], "week_start": s["week_start"],
                    "units": s["units"], "valuation_method": "moving_average"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "valuation_method"
    );
    // Another tenant sees none of it.
    let other = app.register("Other valued").await;
    let res = app
        .get(
            &format!(
                "/api/v1/stock-movements/{}/lots",
                waste["id"].as_str().unwrap()
            ),
            &other.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let lots: Value = app
        .get("/api/v1/lots", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lots["data"], json!([]));
    assert_eq!(
        app.get("/api/v1/stock-value", &other.token)
            .await
            .json::<Value>()
            .await
            .unwrap()["total"],
        "0.00"
    );
}
