//! procurement: suppliers over the API on both backends: created in the tenant's currency,
//! changed at their version, listed by name (inactive ones on request), refused with the field
//! named, kept in their tenant. Purchase orders are in [`purchase_orders`], reorder
//! suggestions in [`reorder`].

mod goods_receipts;
mod invoices;
mod purchase_orders;
mod reorder;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    suppliers_are_created_changed_at_their_version_and_listed,
    bad_supplier_fields_are_named_and_suppliers_stay_in_their_tenant,
    supplier_items_convert_packs_exactly_and_keep_every_price,
    a_price_list_adds_supplier_items_and_prices_or_names_every_bad_row,
);

async fn a_price_list_adds_supplier_items_and_prices_or_names_every_bad_row(app: TestApp) {
    let t = app.register("Price List Bistro").await;
    let res = app
        .post(
            "/api/v1/items",
            Some(&t.token),
            &json!({"name": "Basmati rice", "sku": "RICE-1", "base_unit": "g"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    app.create_item(&t, "Rapeseed oil", "ml", "0.0013").await;
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes"}),
        )
        .await;
    let brakes = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let send = |csv: &'static str, query: &'static str, token: String, supplier: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&format!("/api/v1/suppliers/{supplier}/price-list{query}")))
                .bearer_auth(token)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .unwrap()
        }
    };
    let good = "supplier_sku,item,description,pack,moq_packs,price_per_pack,effective_from
R-6KG,RICE-1,Basmati 6 x 1 kg,case=6; bag=1 kg,2,9.00,2026-01-01
R-6KG,,,,,9.60,2026-06-01
OIL,Rapeseed oil,,case=4; bottle=2.5 l,,18.40,
";
    let res = send(good, "?dry_run=true", t.token.clone(), brakes.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(
        (
            r["committed"].as_bool(),
            r["new_items"].as_u64(),
            r["prices"].as_u64()
        ),
        (Some(false), Some(2), Some(3))
    );
    let none: Value = app
        .get("/api/v1/supplier-items", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["data"], json!([]), "a dry run writes nothing");

    let bad = "supplier_sku,item,pack,price_per_pack,effective_from
A,NO-SUCH,case=6; bag=1 kg,1.00,
B,RICE-1,case=12; tub=1 lb,1.00,
C,RICE-1,bag=1 kg,-2,
D,RICE-1,bag=1 kg,1.00,2026-13-01
E,RICE-1,bag=1 kg,1.00,2026-01-01
E,,,1.10,2026-01-01
";
    let r: Value = send(bad, "", t.token.clone(), brakes.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["committed"], false);
    let errors: Vec<(u64, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "item".to_string()),
            (3, "pack".to_string()),
            (4, "price_per_pack".to_string()),
            (5, "effective_from".to_string()),
            (7, "effective_from".to_string()),
        ]
    );
    let none: Value = app
        .get("/api/v1/supplier-items", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        none["data"],
        json!([]),
        "a file with a bad row writes nothing"
    );

    let res = send(good, "", t.token.clone(), brakes.clone()).await;
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["committed"], true);
    let items: Value = app
        .get(
            &format!("/api/v1/supplier-items?supplier_id={brakes}"),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    // By SKU: OIL, then R-6KG.
    let rice = &items["data"][1];
    assert_eq!(
        (
            rice["supplier_sku"].as_str(),
            rice["pack_quantity"].as_str()
        ),
        (Some("R-6KG"), Some("6000.000"))
    );
    assert_eq!(
        rice["prices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["price_per_pack"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["9.00", "9.60"]
    );
    // 2026-01-01 at midnight in London is midnight UTC (winter).
    assert_eq!(rice["prices"][0]["effective_from"], "2026-01-01T00:00:00Z");
    assert_eq!(items["data"][0]["pack_quantity"], "10000.000");
    // The same dated prices again are refused, not doubled.
    let r: Value = send(good, "", t.token.clone(), brakes.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["committed"], false);
    assert_eq!(r["errors"][0]["field"], "effective_from");

    let other = app.register("Other Price Bistro").await;
    let res = send(good, "", other.token.clone(), brakes.clone()).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn supplier_items_convert_packs_exactly_and_keep_every_price(app: TestApp) {
    let t = app.register("Pack Bistro").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.0016").await;
    let oil = app.create_item(&t, "Rapeseed oil", "ml", "0.0013").await;
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes"}),
        )
        .await;
    let brakes = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let case =
        json!([{"name": "case", "quantity": "6"}, {"name": "bag", "quantity": "1", "unit": "kg"}]);
    let body = json!({"supplier_id": brakes, "item_id": rice, "supplier_sku": "R-6KG",
                      "description": "Basmati 6 x 1 kg", "gtin": "5000000000000", "packs": case,
                      "moq_packs": 2, "price_per_pack": "9.00",
                      "price_effective_from": "2026-01-01T00:00:00Z"});
    let bad_gtin = app
        .post("/api/v1/supplier-items", Some(&t.token), &body)
        .await;
    assert_eq!(bad_gtin.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_gtin.json::<Value>().await.unwrap()["field"], "gtin");
    let mut body = body;
    body["gtin"] = json!("5000000000005");
    let res = app
        .post_with_key("/api/v1/supplier-items", &t.token, "rice-case", &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let si: Value = res.json().await.unwrap();
    assert_eq!(
        si["pack_quantity"], "6000.000",
        "6 x 1 kg in grams, exactly"
    );
    assert_eq!(
        (si["current_price"].as_str(), si["moq_packs"].as_i64()),
        (Some("9.00"), Some(2))
    );
    let again = app
        .post_with_key("/api/v1/supplier-items", &t.token, "rice-case", &body)
        .await;
    assert_eq!(again.json::<Value>().await.unwrap()["id"], si["id"]);
    let id = si["id"].as_str().unwrap().to_owned();

    // Prices are appended: a later one takes over, a future one waits, the same instant twice
    // is a conflict, and the history keeps them all.
    let price = |body: Value| {
        let (app, t, id) = (&app, &t, id.clone());
        async move {
            app.post(
                &format!("/api/v1/supplier-items/{id}/prices"),
                Some(&t.token),
                &body,
            )
            .await
        }
    };
    let res =
        price(json!({"price_per_pack": "9.60", "effective_from": "2026-06-01T00:00:00Z"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res =
        price(json!({"price_per_pack": "12.00", "effective_from": "2099-01-01T00:00:00Z"})).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "more than a year ahead"
    );
    let res =
        price(json!({"price_per_pack": "9.90", "effective_from": "2026-06-01T00:00:00Z"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "effective_from"
    );
    let res = price(json!({"price_per_pack": "-1"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let got: Value = app
        .get(&format!("/api/v1/supplier-items/{id}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["current_price"], "9.60");
    assert_eq!(
        got["prices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["price_per_pack"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["9.00", "9.60"]
    );

    // A pack that cannot be made in the item's base unit names its level.
    for (packs, field) in [
        (
            json!([{"name": "case", "quantity": "12"}, {"name": "tub", "quantity": "1", "unit": "lb"}]),
            "packs[1].unit",
        ),
        (
            json!([{"name": "bottle", "quantity": "1", "unit": "l"}]),
            "packs[0].unit",
        ),
        (json!([{"name": "case", "quantity": "6"}]), "packs[0].unit"),
    ] {
        let body =
            json!({"supplier_id": brakes, "item_id": rice, "supplier_sku": "X", "packs": packs});
        let res = app
            .post("/api/v1/supplier-items", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{packs}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["field"],
            field,
            "{packs}"
        );
    }
    let oil_case = json!({"supplier_id": brakes, "item_id": oil, "supplier_sku": "OIL-4",
                          "packs": [{"name": "case", "quantity": "4"}, {"name": "bottle", "quantity": "2.5", "unit": "l"}]});
    let res = app
        .post("/api/v1/supplier-items", Some(&t.token), &oil_case)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let oil_item: Value = res.json().await.unwrap();
    assert_eq!(oil_item["pack_quantity"], "10000.000");
    let listed: Value = app
        .get(
            &format!("/api/v1/supplier-items?supplier_id={brakes}"),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);

    // The preferred supplier item of an item at a location: one of its own.
    let url = format!("/api/v1/items/{rice}/preferred-supplier/{}", t.location_id);
    let res = app
        .put(&url, &t.token, &json!({"supplier_item_id": id}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .put(&url, &t.token, &json!({"supplier_item_id": oil_item["id"]}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Staff may not add them; another tenant's ids are not found.
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let mut staff_body = body.clone();
    staff_body["supplier_sku"] = json!("STAFF");
    let res = app
        .post("/api/v1/supplier-items", Some(&staff), &staff_body)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let other = app.register("Other Pack Bistro").await;
    assert_eq!(
        app.get(&format!("/api/v1/supplier-items/{id}"), &other.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let their_rice = app.create_item(&other, "Rice", "g", "0.002").await;
    let foreign = json!({"supplier_id": brakes, "item_id": their_rice, "supplier_sku": "F",
                         "packs": [{"name": "bag", "quantity": "1", "unit": "kg"}]});
    let res = app
        .post("/api/v1/supplier-items", Some(&other.token), &foreign)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "another tenant's supplier"
    );
    let res = app
        .post(
            &format!("/api/v1/supplier-items/{id}/prices"),
            Some(&other.token),
            &json!({"price_per_pack": "1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn suppliers_are_created_changed_at_their_version_and_listed(app: TestApp) {
    let t = app.register("Supplier Bistro").await;
    let body = json!({"name": "Brakes", "email": "orders@brakes.example", "account_number": "BR-1042",
                      "order_days": ["Thursday", "monday", "thu"], "lead_time_days": 2,
                      "min_order_value": "150"});
    let res = app
        .post_with_key("/api/v1/suppliers", &t.token, "supplier-brakes", &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let brakes: Value = res.json().await.unwrap();
    assert_eq!(brakes["order_days"], json!(["monday", "thursday"]));
    assert_eq!(
        brakes["currency"], "GBP",
        "the tenant's currency by default"
    );
    assert_eq!(brakes["min_order_value"], "150.00");
    assert_eq!(
        (brakes["active"].as_bool(), brakes["version"].as_i64()),
        (Some(true), Some(1))
    );
    // A retry with its key is the same supplier, written once.
    let again = app
        .post_with_key("/api/v1/suppliers", &t.token, "supplier-brakes", &body)
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], brakes["id"]);
    let id = brakes["id"].as_str().unwrap();

    // Changed at its version; a form read before is a 412 and changes nothing.
    let change = json!({"name": "Brakes Foodservice", "order_days": ["tuesday"], "lead_time_days": 1,
                        "currency": "eur", "active": false});
    let put = |if_match: &'static str| {
        let (app, t, change) = (&app, &t, change.clone());
        async move {
            app.client
                .put(app.url(&format!("/api/v1/suppliers/{id}")))
                .bearer_auth(&t.token)
                .header("if-match", if_match)
                .json(&change)
                .send()
                .await
                .unwrap()
        }
    };
    let res = put("\"1\"").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let changed: Value = res.json().await.unwrap();
    assert_eq!(
        (
            changed["name"].as_str(),
            changed["currency"].as_str(),
            changed["min_order_value"].clone()
        ),
        (Some("Brakes Foodservice"), Some("EUR"), Value::Null)
    );
    assert_eq!(put("\"1\"").await.status(), StatusCode::PRECONDITION_FAILED);

    // Listed by name: the inactive one only on request.
    for name in ["Bidfood", "Aubergine & Co"] {
        let res = app
            .post("/api/v1/suppliers", Some(&t.token), &json!({"name": name}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let names = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let active: Value = app
        .get("/api/v1/suppliers", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&active), ["Aubergine & Co", "Bidfood"]);
    let page: Value = app
        .get("/api/v1/suppliers?include_inactive=true&limit=2", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&page), ["Aubergine & Co", "Bidfood"]);
    let next: Value = app
        .get(
            &format!(
                "/api/v1/suppliers?include_inactive=true&limit=2&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&next), ["Brakes Foodservice"]);
    assert_eq!(next["next_cursor"], Value::Null);
}

async fn bad_supplier_fields_are_named_and_suppliers_stay_in_their_tenant(app: TestApp) {
    let t = app.register("Strict Bistro").await;
    for (body, field) in [
        (
            json!({"name": "A", "order_days": ["someday"]}),
            "order_days",
        ),
        (json!({"name": "A", "lead_time_days": 91}), "lead_time_days"),
        (
            json!({"name": "A", "min_order_value": "-1"}),
            "min_order_value",
        ),
        (json!({"name": "A", "currency": "XYZ"}), "currency"),
        (json!({"name": "A", "email": "not an email"}), "email"),
        (json!({"name": ""}), "name"),
    ] {
        let res = app.post("/api/v1/suppliers", Some(&t.token), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(res.json::<Value>().await.unwrap()["field"], field, "{body}");
    }
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dup = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes"}),
        )
        .await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    assert_eq!(dup.json::<Value>().await.unwrap()["field"], "name");
    // Staff read suppliers but do not change them.
    let (_, _, staff) = app.add_member(&t, "staff").await;
    assert_eq!(
        app.get(&format!("/api/v1/suppliers/{id}"), &staff)
            .await
            .status(),
        StatusCode::OK
    );
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&staff),
            &json!({"name": "Staff's own"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another tenant neither sees nor changes it, and may use the name.
    let other = app.register("Other Bistro").await;
    assert_eq!(
        app.get(&format!("/api/v1/suppliers/{id}"), &other.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = app
        .put(
            &format!("/api/v1/suppliers/{id}"),
            &other.token,
            &json!({"name": "Taken"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let theirs: Value = app
        .get("/api/v1/suppliers", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["data"], json!([]));
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&other.token),
            &json!({"name": "Brakes"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let mine: Value = app
        .get(&format!("/api/v1/suppliers/{id}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["name"], "Brakes");
}
