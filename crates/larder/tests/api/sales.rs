use larder_app::sales::ImportMode;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    recipe_cost_and_sale_depletion_are_exact,
    a_sale_retried_with_its_key_is_recorded_once,
    a_bad_csv_row_is_reported_by_line_and_nothing_is_lost,
    imports_read_each_supported_layout_through_presets_and_a_saved_mapping,
    a_dry_run_reports_what_it_read_and_writes_nothing,
    an_unmapped_name_mapped_in_one_step_depletes_from_the_next_import,
    bad_uploads_and_mappings_are_refused_naming_what_is_wrong,
);

/// Posts `csv` to the import with `query` (after `location_id=`): the status and the JSON.
async fn upload(app: &TestApp, t: &Tenant, query: &str, csv: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/sales/imports?location_id={}{query}",
            t.location_id
        )))
        .bearer_auth(&t.token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

/// A bakery: flour at 0.0012/g, a baguette of 250 g flour sold at 0.90 on the menu.
async fn bakery(app: &TestApp, t: &Tenant) -> String {
    let flour = app.create_item(t, "Flour", "g", "0.0012").await;
    let recipe = app
        .post("/api/v1/recipes", Some(&t.token), &json!({"name": "Baguette dough", "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": flour, "quantity": "250", "unit": "g"}]}))
        .await;
    let recipe: Value = recipe.json().await.unwrap();
    let menu = app
        .post(
            "/api/v1/menu-items",
            Some(&t.token),
            &json!({"name": "Traditional Baguette", "recipe_id": recipe["id"], "price": "0.90"}),
        )
        .await;
    assert_eq!(menu.status(), StatusCode::CREATED);
    flour
}

async fn imports_read_each_supported_layout_through_presets_and_a_saved_mapping(app: TestApp) {
    let t = app.register("Layouts").await;
    let (rice, _, _) = pilau(&app, &t).await;
    let flour = bakery(&app, &t).await;

    // The takeaway's own export, headers with spaces as Kaggle ships them: the preset.
    let takeaway = "Order Number,Order Date,Item Name,Quantity,Product Price,Total products
5,03/08/2019 20:25,Pilau Rice,2,2.95,2
6,03/08/2019 21:10,Pilau Rice,1,2.95,1
";
    let (status, r) = upload(&app, &t, "&preset=takeaway&source=takeaway", takeaway).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["tickets_imported"].as_u64(), r["lines_depleted"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(app.on_hand(&t, &rice).await, "-360.000");

    // A bakery's export: separate date and time, a ticket_number header, prices with a
    // decimal comma and a euro sign, a row to ignore. A saved mapping reads it.
    let mapping = json!({"decimal_comma": true, "ignore": ["."]});
    let res = app
        .put("/api/v1/sales/import-mapping", &t.token, &mapping)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let bakery_csv = ",date,time,ticket_number,article,Quantity,unit_price
0,2021-01-02,08:38,150040,TRADITIONAL BAGUETTE,3,\"0,90 \u{20ac}\"
1,2021-01-02,08:38,150040,.,1,\"0,00 \u{20ac}\"
2,2021-01-02,09:14,150041,TRADITIONAL BAGUETTE,1,\"1,20 \u{20ac}\"
";
    let (status, r) = upload(&app, &t, "&source=bakery", bakery_csv).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["rows_ignored"], 1);
    assert_eq!(r["tickets_imported"], 2);
    assert_eq!(app.on_hand(&t, &flour).await, "-1000.000");
    let sales: Value = app
        .get("/api/v1/sales", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let newest = &sales["data"][0];
    assert_eq!(newest["lines"][0]["unit_price"], "1.20");
    // 09:14 in the tenant's zone (Europe/London, the default) in January is 09:14 UTC.
    assert_eq!(newest["occurred_at"], "2021-01-02T09:14:00Z");

    // One row per unit sold, no quantity or price: identical rows summed, the menu's price.
    let per_unit = "Receipt,Date,Item
A1,2021-01-03 10:00,Traditional Baguette
A1,2021-01-03 10:00,Traditional Baguette
A1,2021-01-03 10:00,Pilau Rice
";
    let (status, r) = upload(&app, &t, "&preset=generic&source=till", per_unit).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["tickets_imported"].as_u64(), r["lines_imported"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(r["lines_without_price"], 0);
    let sales: Value = app
        .get("/api/v1/sales", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let lines = &sales["data"][0]["lines"];
    assert_eq!(
        (
            lines[0]["quantity"].as_str(),
            lines[0]["unit_price"].as_str()
        ),
        (Some("2.000"), Some("0.90"))
    );
    assert_eq!(lines[1]["unit_price"], "2.95");
    assert_eq!(app.on_hand(&t, &flour).await, "-1500.000");

    // The same file again under the same source writes nothing.
    let (_, r) = upload(&app, &t, "&preset=generic&source=till", per_unit).await;
    assert_eq!(
        (
            r["tickets_imported"].as_u64(),
            r["tickets_already_imported"].as_u64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(app.on_hand(&t, &flour).await, "-1500.000");

    // The saved mapping is the tenant's own.
    let other = app.register("Other bakery").await;
    let theirs: Value = app
        .get("/api/v1/sales/import-mapping", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["saved"], false);
    let mine: Value = app
        .get("/api/v1/sales/import-mapping", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            mine["saved"].as_bool(),
            mine["mapping"]["decimal_comma"].as_bool()
        ),
        (Some(true), Some(true))
    );
}

async fn a_dry_run_reports_what_it_read_and_writes_nothing(app: TestApp) {
    let t = app.register("Dry run").await;
    let (rice, _, _) = pilau(&app, &t).await;
    let csv = "ticket,date,item,qty,price
1,2024-05-01 12:00,Pilau Rice,1,2.95
1,2024-05-01 12:00,Mango Lassi,2,3.50
2,2024-05-03 19:30,Mango Lassi,1,3.50
3,2024-05-03 19:45,Peshwari Naan,1,3.25
";
    let (status, r) = upload(&app, &t, "&dry_run=true", csv).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["tickets_imported"], 3);
    assert_eq!(r["sample"].as_array().unwrap().len(), 4);
    assert_eq!(r["sample"][0]["menu_item"], "Pilau Rice");
    assert_eq!(r["sample"][1]["menu_item"], Value::Null);
    assert_eq!(
        r["unmapped"],
        json!([
            {"name": "Mango Lassi", "menu_item_id": null, "lines": 2, "quantity": "3.000", "revenue": "10.50"},
            {"name": "Peshwari Naan", "menu_item_id": null, "lines": 1, "quantity": "1.000", "revenue": "3.25"}
        ])
    );
    // London in May is UTC+1.
    assert_eq!(r["first_sale"], "2024-05-01T11:00:00Z");
    assert_eq!(r["last_sale"], "2024-05-03T18:45:00Z");
    assert_eq!(
        app.on_hand(&t, &rice).await,
        "0.000",
        "a dry run writes nothing"
    );
    let sales: Value = app
        .get("/api/v1/sales", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sales["data"], json!([]));
}

async fn an_unmapped_name_mapped_in_one_step_depletes_from_the_next_import(app: TestApp) {
    let t = app.register("Aliases").await;
    let (rice, _, _) = pilau(&app, &t).await;
    let menu: Value = app
        .get("/api/v1/menu-items", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let pilau_id = menu["data"][0]["id"].as_str().unwrap().to_owned();
    let (_, r) = upload(
        &app,
        &t,
        "",
        "ticket,date,item,qty,price\n1,2024-05-01 12:00,PILAU RICE (L),1,3.50\n",
    )
    .await;
    assert_eq!(r["unmapped"][0]["name"], "PILAU RICE (L)");
    assert_eq!(app.on_hand(&t, &rice).await, "0.000");

    // A staff member may not map names; a menu item of another tenant is not one.
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let body = json!({"name": "PILAU RICE (L)", "menu_item_id": pilau_id});
    assert_eq!(
        app.post("/api/v1/sales/aliases", Some(&staff), &body)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let other = app.register("Other aliases").await;
    let res = app
        .post("/api/v1/sales/aliases", Some(&other.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "menu_item_id");
    // A menu item's own name needs no alias.
    let own = json!({"name": "pilau rice", "menu_item_id": pilau_id});
    let res = app
        .post("/api/v1/sales/aliases", Some(&t.token), &own)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = app
        .post("/api/v1/sales/aliases", Some(&t.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // The line already imported under the name is mapped and depleted now, once (ADR 023).
    let mapped: Value = res.json().await.unwrap();
    assert_eq!(
        (
            mapped["past_lines_mapped"].clone(),
            mapped["past_sales_depleted"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(app.on_hand(&t, &rice).await, "-120.000");
    let aliases: Value = app
        .get("/api/v1/sales/aliases", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(aliases["data"][0]["menu_item"], "Pilau Rice");
    // Matched ignoring case and spacing, by imports and by sales posted one by one.
    let (_, r) = upload(
        &app,
        &t,
        "",
        "ticket,date,item,qty,price\n2,2024-05-02 12:00,pilau  rice (l),2,3.50\n",
    )
    .await;
    assert_eq!(r["lines_depleted"], 1);
    app.sell(&t, "Pilau Rice (L)", "1", "2024-05-03T12:00:00Z")
        .await;
    assert_eq!(app.on_hand(&t, &rice).await, "-480.000");
    let other_aliases: Value = app
        .get("/api/v1/sales/aliases", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other_aliases["data"], json!([]));
}

async fn bad_uploads_and_mappings_are_refused_naming_what_is_wrong(app: TestApp) {
    let t = app.register("Bad uploads").await;
    let (rice, _, _) = pilau(&app, &t).await;
    let url = app.url(&format!(
        "/api/v1/sales/imports?location_id={}",
        t.location_id
    ));
    // Not CSV by its media type.
    let res = app
        .client
        .post(&url)
        .bearer_auth(&t.token)
        .header("content-type", "application/pdf")
        .body("%PDF-1.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Not CSV by its content (a PNG sent as text/csv): no columns to find.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
    let res = app
        .client
        .post(&url)
        .bearer_auth(&t.token)
        .header("content-type", "text/csv")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "header", "{body}");
    // An empty file.
    let (status, body) = upload(&app, &t, "", "").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body"))
    );
    // A mapping naming a column the file lacks.
    let res = app
        .put(
            "/api/v1/sales/import-mapping",
            &t.token,
            &json!({"ticket": "Receipt No"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = upload(
        &app,
        &t,
        "",
        "ticket,date,item\n1,2024-05-01 12:00,Pilau Rice\n",
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("mapping.ticket"))
    );
    assert!(
        body["detail"].as_str().unwrap().contains("Receipt No"),
        "{body}"
    );
    // A date that does not parse with the chosen format: the row, and nothing written.
    let res = app
        .put(
            "/api/v1/sales/import-mapping",
            &t.token,
            &json!({"date_format": "%m/%d/%Y %H:%M"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, r) = upload(
        &app,
        &t,
        "",
        "ticket,date,item,qty\n1,05/01/2024 12:00,Pilau Rice,1\n2,31/12/2024 12:00,Pilau Rice,1\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["aborted"], true);
    assert_eq!(
        (
            r["errors"][0]["line"].as_u64(),
            r["errors"][0]["field"].as_str()
        ),
        (Some(3), Some("date"))
    );
    assert_eq!(app.on_hand(&t, &rice).await, "0.000");
    // A mapping that is not one: named by field.
    let res = app
        .put(
            "/api/v1/sales/import-mapping",
            &t.token,
            &json!({"date_format": "%Q"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "mapping.date_format"
    );
    // A tickets file is for the CLI.
    let res = app
        .put(
            "/api/v1/sales/import-mapping",
            &t.token,
            &json!({"tickets_file": {}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = upload(&app, &t, "", "ticket,item\n1,Pilau Rice\n").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("tickets_file"))
    );

    // A 1 GiB upload is refused on its length before a byte of it is read.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/sales/imports?location_id={} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: 1073741824\r\n\r\n",
        t.location_id, t.token
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut answer))
        .await
        .expect("the server answers without waiting for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larder import sales"), "{answer}");
    assert_eq!(app.on_hand(&t, &rice).await, "0.000");
}

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
    assert_eq!(
        report
            .unmapped
            .iter()
            .map(|u| (
                u.name.as_str(),
                u.lines,
                u.quantity.to_string(),
                u.revenue.to_string()
            ))
            .collect::<Vec<_>>(),
        vec![("Plain Naan", 1, "1.000".to_string(), "2.60".to_string())]
    );
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
