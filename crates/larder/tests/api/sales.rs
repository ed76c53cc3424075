use larder_app::sales::ImportMode;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    recipe_cost_and_sale_depletion_are_exact,
    a_sale_retried_with_its_key_is_recorded_once,
    a_bad_csv_row_is_reported_by_line_and_nothing_is_lost,
);

/// Rice 0.0016/g, oil 0.0013/ml; a 2.5 kg pilau base from 1 kg rice and 50 ml oil; a portion
/// of pilau rice is 300 g of base plus 1 US tablespoon of oil, sold at 2.95.
async fn pilau(app: &TestApp, t: &Tenant) -> (String, String, String) {
    let rice = app.create_item(t, "Basmati rice", "g", "0.0016").await;
    let oil = app.create_item(t, "Vegetable oil", "ml", "0.0013").await;
    let base = app
        .post("/api/v1/recipes", Some(&t.token), &json!({
            "name": "Pilau base", "yield_quantity": "2500", "yield_unit": "g",
            "lines": [{"item_id": rice, "quantity": "1", "unit": "kg"}, {"item_id": oil, "quantity": "50", "unit": "ml"}]
        }))
        .await;
    assert_eq!(base.status(), StatusCode::CREATED);
    let base: Value = base.json().await.unwrap();
    let portion = app
        .post("/api/v1/recipes", Some(&t.token), &json!({
            "name": "Pilau rice portion", "yield_quantity": "1", "yield_unit": "ea",
            "lines": [{"recipe_id": base["id"], "quantity": "300", "unit": "g"}, {"item_id": oil, "quantity": "1", "unit": "tbsp"}]
        }))
        .await;
    assert_eq!(portion.status(), StatusCode::CREATED);
    let portion: Value = portion.json().await.unwrap();
    let menu = app
        .post(
            "/api/v1/menu-items",
            Some(&t.token),
            &json!({"name": "Pilau Rice", "recipe_id": portion["id"], "price": "2.95"}),
        )
        .await;
    assert_eq!(menu.status(), StatusCode::CREATED);
    (rice, oil, portion["id"].as_str().unwrap().to_owned())
}

async fn recipe_cost_and_sale_depletion_are_exact(app: TestApp) {
    let t = app.register("Costing").await;
    let (rice, oil, portion) = pilau(&app, &t).await;
    let recipe: Value = app
        .get(&format!("/api/v1/recipes/{portion}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    // rice 120 g x 0.0016 = 0.192; oil (6 + 14.78676478125) ml x 0.0013 = 0.027022794215625;
    // 0.219022794215625 rounds half-even to 0.219023.
    assert_eq!(recipe["cost_per_yield_unit"], "0.219023");
    let menu: Value = app
        .get("/api/v1/menu-items", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(menu["data"][0]["cost"], "0.219023");
    assert_eq!(menu["data"][0]["food_cost_pct"], "7.4");
    assert_eq!(menu["data"][0]["contribution_margin"], "2.730977");

    // A recipe line in an incompatible unit is refused, naming the line.
    let bad = app.post("/api/v1/recipes", Some(&t.token), &json!({"name": "Bad", "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": rice, "quantity": "1", "unit": "l"}]})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "lines[0].unit");

    let sale = app
        .post("/api/v1/sales", Some(&t.token), &json!({
            "location_id": t.location_id, "external_ref": "16118",
            "lines": [{"name": "pilau  rice", "quantity": "3"}, {"name": "Mystery Dish", "quantity": "1", "unit_price": "4.50"}]
        }))
        .await;
    assert_eq!(sale.status(), StatusCode::CREATED);
    let sale: Value = sale.json().await.unwrap();
    assert_eq!(sale["unmapped"], json!(["Mystery Dish"]));
    assert_eq!(sale["total"], "13.35");
    // 3 portions: rice 360 g; oil 3 x 20.78676478125 = 62.36029434375 ml -> 62.360.
    assert_eq!(app.on_hand(&t, &rice).await, "-360.000");
    assert_eq!(app.on_hand(&t, &oil).await, "-62.360");
    let unmapped: Value = app
        .get("/api/v1/sales/unmapped", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unmapped["data"][0]["item_name"], "Mystery Dish");
    let dup = app.post("/api/v1/sales", Some(&t.token), &json!({"location_id": t.location_id, "external_ref": "16118", "lines": [{"name": "Pilau Rice", "quantity": "1"}]})).await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    assert_eq!(dup.json::<Value>().await.unwrap()["field"], "external_ref");
    assert_eq!(app.on_hand(&t, &rice).await, "-360.000");
}

async fn a_sale_retried_with_its_key_is_recorded_once(app: TestApp) {
    let t = app.register("Retry").await;
    let (rice, _, _) = pilau(&app, &t).await;
    let body =
        json!({"location_id": t.location_id, "lines": [{"name": "Pilau Rice", "quantity": "2"}]});
    let first = app
        .post_with_key("/api/v1/sales", &t.token, "pos-ticket-7", &body)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let a: Value = first.json().await.unwrap();
    let second = app
        .post_with_key("/api/v1/sales", &t.token, "pos-ticket-7", &body)
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let b: Value = second.json().await.unwrap();
    assert_eq!(a, b);
    let sales: Value = app
        .get("/api/v1/sales", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sales["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.on_hand(&t, &rice).await, "-240.000");
}

const GOOD_AND_BAD: &str = "OrderNumber,OrderDate,ItemName,Quantity,ProductPrice,TotalProducts
2,03/08/2019 20:25,Pilau Rice,2,2.95,2
2,03/08/2019 20:25,Plain Naan,1,2.6,2
3,03/08/2019 20:30,Pilau Rice,two,2.95,1
4,03/08/2019 21:00,Pilau Rice,1,2.95,1
";

async fn a_bad_csv_row_is_reported_by_line_and_nothing_is_lost(app: TestApp) {
    let t = app.register("Import").await;
    let (rice, _, _) = pilau(&app, &t).await;
    let tenant = t.tenant_id.parse().unwrap();
    let location = t.location_id.parse().unwrap();

    let report = app
        .app
        .import_sales(
            tenant,
            location,
            "pos",
            || Ok(GOOD_AND_BAD.as_bytes()),
            ImportMode::AllOrNothing,
        )
        .await
        .unwrap();
    assert!(report.aborted);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(
        (report.errors[0].line, report.errors[0].field.as_str()),
        (4, "Quantity")
    );
    assert_eq!(report.tickets_imported, 0);
    assert_eq!(
        app.on_hand(&t, &rice).await,
        "0.000",
        "an aborted import writes nothing"
    );

    let report = app
        .app
        .import_sales(
            tenant,
            location,
            "pos",
            || Ok(GOOD_AND_BAD.as_bytes()),
            ImportMode::SkipBadTickets,
        )
        .await
        .unwrap();
    assert!(!report.aborted);
    assert_eq!(
        (
            report.tickets_in_file,
            report.tickets_imported,
            report.tickets_rejected
        ),
        (3, 2, 1)
    );
    assert_eq!((report.lines_imported, report.lines_depleted), (3, 2));
    assert_eq!(report.unmapped, vec![("Plain Naan".to_string(), 1)]);
    assert_eq!(app.on_hand(&t, &rice).await, "-360.000");

    // The fixed file brings in the rejected ticket; the others are not imported twice.
    let fixed = GOOD_AND_BAD.replace(",two,", ",2,");
    let report = app
        .app
        .import_sales(
            tenant,
            location,
            "pos",
            {
                let fixed = fixed.clone();
                move || Ok(std::io::Cursor::new(fixed.clone()))
            },
            ImportMode::AllOrNothing,
        )
        .await
        .unwrap();
    assert_eq!(
        (report.tickets_imported, report.tickets_already_imported),
        (1, 2)
    );
    assert_eq!(app.on_hand(&t, &rice).await, "-600.000");
    assert!(app.app.check_ledger().await.unwrap().is_empty());
}

both!(an_import_killed_mid_way_resumes_and_writes_every_ticket_once);

/// `kill -9` of `larder import sales` in the middle of its chunks: the ledger checks out, and
/// running the same import again writes the rest, every ticket exactly once (each ticket sells
/// one Pilau Rice, so on hand is exactly -120 g per ticket imported).
async fn an_import_killed_mid_way_resumes_and_writes_every_ticket_once(app: TestApp) {
    const TICKETS: i64 = 40_000;
    let t = app.register("Killed import").await;
    let (rice, _, _) = pilau(&app, &t).await;
    let mut csv = String::from("OrderNumber,OrderDate,ItemName,Quantity,ProductPrice\n");
    for i in 0..TICKETS {
        csv.push_str(&format!(
            "{i},{:02}/08/2019 {:02}:{:02},Pilau Rice,1,2.95\n",
            1 + i % 28,
            11 + i % 11,
            i % 60
        ));
    }
    std::fs::create_dir_all(&app.data_dir).unwrap();
    let file = app.data_dir.join("killed-import.csv");
    std::fs::write(&file, csv).unwrap();
    let import = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_larder"));
        cmd.args(["import", "sales"])
            .arg(&file)
            .args(["--tenant", &t.tenant_id, "--location", &t.location_id])
            .arg("--data-dir")
            .arg(&app.data_dir)
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(url) = &app.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd
    };
    let imported = |on_hand: String| -> i64 {
        let grams: f64 = on_hand.parse().unwrap();
        (-grams / 120.0).round() as i64
    };
    let mut child = import().spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the import never wrote"
        );
        if imported(app.on_hand(&t, &rice).await) >= 1_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let part = imported(app.on_hand(&t, &rice).await);
    assert!(part > 0 && part < TICKETS, "{part} tickets after the kill");
    assert_eq!(part % 500, 0, "a chunk is written whole or not at all");
    assert!(app.app.check_ledger().await.unwrap().is_empty());

    let again = import().status().unwrap();
    assert!(again.success());
    assert_eq!(
        app.on_hand(&t, &rice).await,
        format!("-{}.000", 120 * TICKETS)
    );
    assert!(app.app.check_ledger().await.unwrap().is_empty());
    let sales: Value = app
        .get("/api/v1/sales?limit=1", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sales["data"].as_array().unwrap().len(), 1);
}

both!(usage_is_bucketed_by_business_week_and_revenue_is_exact);

/// London, day cutoff 04:00: a sale at 00:30 BST on Monday 5 August 2019 belongs to Sunday's
/// business day, so to the week of 29 July.
async fn usage_is_bucketed_by_business_week_and_revenue_is_exact(app: TestApp) {
    let t = app.register("Weeks").await;
    let (rice, _, _) = pilau(&app, &t).await;
    for (at, qty) in [
        ("2019-08-04T23:30:00Z", 1),
        ("2019-08-05T10:00:00Z", 2),
        ("2019-08-11T20:00:00Z", 1),
    ] {
        let body = json!({"location_id": t.location_id, "occurred_at": at, "lines": [{"name": "Pilau Rice", "quantity": qty.to_string()}]});
        assert_eq!(
            app.post("/api/v1/sales", Some(&t.token), &body)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let usage: Value = app
        .get(
            "/api/v1/reports/usage?from=2019-07-29T03:00:00Z&to=2019-08-12T03:00:00Z",
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let rice_series = usage["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["item_id"] == rice.as_str())
        .unwrap();
    assert_eq!(
        rice_series["weeks"],
        json!([["2019-07-29", "120.000"], ["2019-08-05", "360.000"]])
    );
    assert_eq!(rice_series["total"], "480.000");
    let top: Value = app
        .get(
            "/api/v1/reports/top-menu-items?from=2019-07-29T03:00:00Z&to=2019-08-12T03:00:00Z",
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(top["data"][0]["name"], "Pilau Rice");
    assert_eq!(top["data"][0]["quantity"], "4.000");
    assert_eq!(top["data"][0]["revenue"], "11.80");
    let bad = app
        .get(
            "/api/v1/reports/usage?from=2019-08-12T00:00:00Z&to=2019-07-29T00:00:00Z",
            &t.token,
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
