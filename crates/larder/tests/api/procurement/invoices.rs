//! Invoices, the three-way match and supplier performance over HTTP on both backends: an
//! invoice against a received order appends its prices to the history and the match lists
//! every kind of discrepancy; a retried invoice is entered once and a second of its number is
//! a 409; a CSV with bad rows lists each by line and column and writes nothing; another
//! tenant's ids are not found; supplier performance's exact figures for an on-time full and a
//! late partial delivery.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::purchase_orders::{Shop, act, create, id_of, json_of, order, shop};
use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    an_invoice_updates_the_price_history_and_the_match_finds_every_discrepancy,
    an_invoice_file_with_bad_rows_names_each_and_writes_nothing,
    another_tenants_suppliers_orders_receipts_and_invoices_are_not_found,
    supplier_performance_counts_an_on_time_full_and_a_late_partial_delivery,
);

async fn send(app: &TestApp, t: &Tenant, body: &Value) -> String {
    let id = id_of(&create(app, &t.token, body).await);
    for (action, version) in [("submit", 1), ("approve", 2), ("send", 3)] {
        let res = act(app, &t.token, &id, action, version, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{action}");
    }
    id
}

async fn supplier_item(app: &TestApp, t: &Tenant, s: &Shop, name: &str, sku: &str) -> String {
    let item = app.create_item(t, name, "g", "0.001").await;
    let res = app
        .post(
            "/api/v1/supplier-items",
            Some(&t.token),
            &json!({"supplier_id": s.supplier, "item_id": item, "supplier_sku": sku,
                    "price_per_pack": "2.00", "packs": [{"name": "bag", "quantity": "1", "unit": "kg"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    id_of(&json_of(res).await)
}

async fn receive(app: &TestApp, t: &Tenant, body: &Value) -> Value {
    let res = app
        .post("/api/v1/goods-receipts", Some(&t.token), body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    json_of(res).await
}

async fn an_invoice_updates_the_price_history_and_the_match_finds_every_discrepancy(app: TestApp) {
    let t = app.register("Matching Bistro").await;
    let s = shop(&app, &t).await;
    let flour = supplier_item(&app, &t, &s, "Flour", "FLOUR-1").await;
    let salt = supplier_item(&app, &t, &s, "Salt", "SALT-1").await;
    let po = send(&app, &t, &order(&s, &t.location_id)).await;
    // Nothing received or invoiced yet: every ordered line is short.
    let m = json_of(
        app.get(&format!("/api/v1/purchase-orders/{po}/match"), &t.token)
            .await,
    )
    .await;
    assert_eq!(m["matches"], false);
    // 2 of 3 cases of rice; the oil at 17.50 (ordered 17.00); flour that was never ordered.
    let g = receive(
        &app,
        &t,
        &json!({"purchase_order_id": po, "lines": [
            {"po_line": 1, "packs": "2"},
            {"po_line": 2, "packs": "1", "price_per_pack": "17.50"},
            {"supplier_item_id": flour, "packs": "1", "price_per_pack": "2.00"}]}),
    )
    .await;
    let receipt = id_of(&g);
    // Billed: 3 cases of rice, the oil at 17.75, salt that was neither ordered nor received,
    // and a stated total that is not the lines' 48.55.
    let invoice = json!({"supplier_id": s.supplier, "invoice_number": "INV-7781",
        "invoice_date": "2025-06-02", "purchase_order_id": po, "goods_receipt_ids": [receipt],
        "stated_total": "50.00",
        "lines": [
            {"supplier_item_id": s.rice, "packs": "3", "price_per_pack": "9.60",
             "goods_receipt_id": receipt, "receipt_line_no": 1},
            {"supplier_item_id": s.oil, "packs": "1", "price_per_pack": "17.75"},
            {"supplier_item_id": salt, "packs": "1", "price_per_pack": "2.00"}]});
    let res = app
        .post_with_key("/api/v1/invoices", &t.token, "inv-7781", &invoice)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let inv = json_of(res).await;
    assert_eq!(
        (&inv["total"], &inv["stated_total"], &inv["total_differs"]),
        (&json!("48.55"), &json!("50.00"), &json!(true))
    );
    assert_eq!(inv["lines"][0]["quantity"], "18000.000");
    let outcomes: Vec<&Value> = inv["price_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["outcome"])
        .collect();
    assert_eq!(outcomes, vec!["appended", "appended", "appended"]);
    // Retried with its key: the same answer, entered once; another of its number: 409.
    let again = app
        .post_with_key("/api/v1/invoices", &t.token, "inv-7781", &invoice)
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again).await, inv);
    let res = app
        .post_with_key("/api/v1/invoices", &t.token, "inv-7781-b", &invoice)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(res).await["field"], "invoice_number");
    let listed = json_of(app.get("/api/v1/invoices", &t.token).await).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let got = json_of(
        app.get(&format!("/api/v1/invoices/{}", id_of(&inv)), &t.token)
            .await,
    )
    .await;
    assert_eq!(got["goods_receipt_ids"], json!([receipt]));
    // The oil's history has the invoice's price from the invoice date.
    let oil = json_of(
        app.get(&format!("/api/v1/supplier-items/{}", s.oil), &t.token)
            .await,
    )
    .await;
    let effective = inv["price_updates"][1]["effective_from"].clone();
    assert!(
        oil["prices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["price_per_pack"] == "17.75" && p["effective_from"] == effective),
        "{oil}"
    );
    // A second invoice of the same day: the same price is already in force; another price
    // from that same instant keeps the one recorded and says so.
    let res = app
        .post(
            "/api/v1/invoices",
            Some(&t.token),
            &json!({"supplier_id": s.supplier, "invoice_number": "INV-7782",
                "invoice_date": "2025-06-02", "lines": [
                {"supplier_item_id": s.oil, "packs": "1", "price_per_pack": "17.75"},
                {"supplier_item_id": s.oil, "packs": "1", "price_per_pack": "18.00"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let second = json_of(res).await;
    assert_eq!(second["price_updates"][0]["outcome"], "already_in_force");
    assert_eq!(
        (
            &second["price_updates"][1]["outcome"],
            &second["price_updates"][1]["existing_price"]
        ),
        (&json!("kept_existing"), &json!("17.75"))
    );
    // The match: each kind once, with exact figures.
    let m = json_of(
        app.get(&format!("/api/v1/purchase-orders/{po}/match"), &t.token)
            .await,
    )
    .await;
    assert_eq!(m["matches"], false);
    let mut kinds: Vec<(String, String)> = m["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["supplier_item_id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    kinds.sort();
    let mut want = vec![
        ("missing_on_invoice".to_owned(), flour.clone()),
        ("missing_on_receipt".to_owned(), salt.clone()),
        ("not_ordered".to_owned(), flour.clone()),
        ("not_ordered".to_owned(), salt.clone()),
        ("price_invoiced_vs_ordered".to_owned(), s.oil.clone()),
        ("price_received_vs_ordered".to_owned(), s.oil.clone()),
        ("quantity_invoiced_vs_received".to_owned(), s.rice.clone()),
        ("quantity_received_vs_ordered".to_owned(), s.rice.clone()),
        ("total_mismatch".to_owned(), String::new()),
    ];
    want.sort();
    assert_eq!(kinds, want, "{m}");
    let find = |kind: &str| {
        m["discrepancies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == kind)
            .cloned()
            .unwrap()
    };
    let short = find("quantity_received_vs_ordered");
    assert_eq!(
        (&short["expected_quantity"], &short["actual_quantity"]),
        (&json!("18000.000"), &json!("12000.000"))
    );
    assert_eq!(
        find("price_invoiced_vs_ordered")["amount_difference"],
        "0.75"
    );
    assert_eq!(
        find("price_received_vs_ordered")["amount_difference"],
        "0.50"
    );
    assert_eq!(find("total_mismatch")["amount_difference"], "1.45");
    assert_eq!(m["lines"][0]["supplier_sku"], "R-6KG");
    assert_eq!(m["lines"][0]["received"]["value"], "19.20");
}

async fn an_invoice_file_with_bad_rows_names_each_and_writes_nothing(app: TestApp) {
    let t = app.register("Importing Bistro").await;
    let s = shop(&app, &t).await;
    let po = send(&app, &t, &order(&s, &t.location_id)).await;
    let number = json_of(
        app.get(&format!("/api/v1/purchase-orders/{po}"), &t.token)
            .await,
    )
    .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let import = |body: String| {
        let app = &app;
        let t = &t;
        let supplier = s.supplier.clone();
        async move {
            app.client
                .post(app.url(&format!("/api/v1/invoices/import?supplier_id={supplier}")))
                .bearer_auth(&t.token)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let bad = format!(
        "invoice_number,invoice_date,supplier_sku,packs,price_per_pack,po_number\n\
         INV-10,2025-06-02,R-6KG,2,9.60,{number}\n\
         INV-10,2025-06-02,NOPE,1,1.00,\n\
         INV-11,06/02/2025,OIL-4,abc,-1,\n\
         INV-12,2025-06-02,OIL-4,1,17.00,PO-999999\n"
    );
    let res = import(bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json_of(res).await;
    assert_eq!(problem["field"], "file");
    let rows: Vec<(u64, String)> = problem["errors"]
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
        rows,
        vec![
            (3, "supplier_sku".to_owned()),
            (4, "invoice_date".to_owned()),
            (4, "packs".to_owned()),
            (4, "price_per_pack".to_owned()),
            (5, "po_number".to_owned()),
        ],
        "{problem}"
    );
    let listed = json_of(app.get("/api/v1/invoices", &t.token).await).await;
    assert_eq!(listed["data"], json!([]), "nothing was written");
    // A receipt line that received something else: named at its row.
    let g = receive(
        &app,
        &t,
        &json!({"purchase_order_id": po, "lines": [{"po_line": 1, "packs": "3"}]}),
    )
    .await;
    let receipt = id_of(&g);
    let res = import(format!(
        "invoice_number,invoice_date,supplier_sku,packs,price_per_pack,goods_receipt_id,receipt_line_no\n\
         INV-20,2025-06-02,R-6KG,3,9.60,{receipt},1\n\
         INV-20,2025-06-02,OIL-4,1,17.00,{receipt},1\n"
    ))
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json_of(res).await;
    assert_eq!(
        (
            &problem["errors"][0]["line"],
            &problem["errors"][0]["field"]
        ),
        (&json!(3), &json!("supplier_sku")),
        "{problem}"
    );
    // Two good invoices in one file.
    let res = import(format!(
        "invoice_number,invoice_date,supplier_sku,packs,price_per_pack,po_number,stated_total\n\
         INV-10,2025-06-02,R-6KG,3,9.60,{number},45.80\n\
         INV-11,2025-06-03,OIL-4,0.5,17.00,,\n\
         INV-10,2025-06-02,OIL-4,1,17.00,,\n"
    ))
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let r = json_of(res).await;
    let totals: Vec<(&Value, &Value)> = r["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (&i["invoice_number"], &i["total"]))
        .collect();
    assert_eq!(
        totals,
        vec![
            (&json!("INV-10"), &json!("45.80")),
            (&json!("INV-11"), &json!("8.50"))
        ]
    );
    assert_eq!(r["invoices"][0]["purchase_order_id"], json!(po));
    let m = json_of(
        app.get(&format!("/api/v1/purchase-orders/{po}/match"), &t.token)
            .await,
    )
    .await;
    assert_eq!(m["matches"], false, "the oil is not received yet");
    assert_eq!(m["lines"][0]["discrepancies"], json!([]), "{m}");
}

async fn another_tenants_suppliers_orders_receipts_and_invoices_are_not_found(app: TestApp) {
    let t = app.register("Owning Bistro").await;
    let s = shop(&app, &t).await;
    let po = send(&app, &t, &order(&s, &t.location_id)).await;
    let g = receive(
        &app,
        &t,
        &json!({"purchase_order_id": po, "lines": [{"po_line": 1, "packs": "3"}]}),
    )
    .await;
    let receipt = id_of(&g);
    let res = app
        .post(
            "/api/v1/invoices",
            Some(&t.token),
            &json!({"supplier_id": s.supplier, "invoice_number": "A-1", "invoice_date": "2025-06-02",
                    "purchase_order_id": po,
                    "lines": [{"supplier_item_id": s.rice, "packs": "3", "price_per_pack": "9.60"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let invoice = id_of(&json_of(res).await);

    let other = app.register("Prying Bistro").await;
    let own = shop(&app, &other).await;
    for url in [
        format!("/api/v1/invoices/{invoice}"),
        format!("/api/v1/purchase-orders/{po}/match"),
        format!("/api/v1/invoices?purchase_order_id={po}"),
        format!(
            "/api/v1/supplier-performance?from=2025-01-01&to=2025-12-31&supplier_id={}",
            s.supplier
        ),
    ] {
        assert_eq!(
            app.get(&url, &other.token).await.status(),
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    let line = json!({"supplier_item_id": own.rice, "packs": "1", "price_per_pack": "1"});
    for body in [
        json!({"supplier_id": s.supplier, "invoice_number": "X", "invoice_date": "2025-06-02",
               "lines": [{"supplier_item_id": s.rice, "packs": "1", "price_per_pack": "1"}]}),
        json!({"supplier_id": own.supplier, "invoice_number": "X", "invoice_date": "2025-06-02",
               "purchase_order_id": po, "lines": [line]}),
        json!({"supplier_id": own.supplier, "invoice_number": "X", "invoice_date": "2025-06-02",
               "goods_receipt_ids": [receipt], "lines": [line]}),
        json!({"supplier_id": own.supplier, "invoice_number": "X", "invoice_date": "2025-06-02",
               "lines": [{"supplier_item_id": s.rice, "packs": "1", "price_per_pack": "1"}]}),
    ] {
        let res = app
            .post("/api/v1/invoices", Some(&other.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{body}");
    }
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/invoices/import?supplier_id={}",
            s.supplier
        )))
        .bearer_auth(&other.token)
        .header("content-type", "text/csv")
        .body("invoice_number,invoice_date,supplier_sku,packs,price_per_pack\nX,2025-06-02,R-6KG,1,1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let listed = json_of(app.get("/api/v1/invoices", &other.token).await).await;
    assert_eq!(listed["data"], json!([]));
}

async fn set_time_zone(app: &TestApp, t: &Tenant, zone: &str) {
    let s = json_of(app.get("/api/v1/settings", &t.token).await).await;
    let mut body = s.clone();
    body["time_zone"] = json!(zone);
    let obj = body.as_object_mut().unwrap();
    obj.retain(|k, _| {
        [
            "currency",
            "time_zone",
            "day_cutoff_minutes",
            "week_start",
            "units",
            "valuation_method",
            "approval_threshold",
        ]
        .contains(&k.as_str())
    });
    let res = app.put("/api/v1/settings", &t.token, &body).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
}

async fn supplier_performance_counts_an_on_time_full_and_a_late_partial_delivery(app: TestApp) {
    let t = app.register("Measuring Bistro").await;
    let s = shop(&app, &t).await;
    // Orders are placed on Pago Pago time (UTC-11) and received on Kiritimati time (UTC+14),
    // a day or two later in local dates: so an order due "today" arrives late without waiting.
    set_time_zone(&app, &t, "Pacific/Pago_Pago").await;
    let today_p = (chrono::Utc::now() - chrono::Duration::hours(11)).date_naive();
    let due = |days: u64| (today_p + chrono::Days::new(days)).to_string();
    let mut on_time = order(&s, &t.location_id);
    on_time["expected_delivery"] = json!(due(3));
    let mut late = order(&s, &t.location_id);
    late["expected_delivery"] = json!(due(0));
    let a = send(&app, &t, &on_time).await;
    let b = send(&app, &t, &late).await;
    set_time_zone(&app, &t, "Pacific/Kiritimati").await;
    // All of A at its prices; a third of B's rice at 9.90 (ordered 9.60) and none of its oil.
    receive(
        &app,
        &t,
        &json!({"purchase_order_id": a, "lines": [{"po_line": 1, "packs": "3"}, {"po_line": 2, "packs": "1"}]}),
    )
    .await;
    receive(
        &app,
        &t,
        &json!({"purchase_order_id": b, "lines": [{"po_line": 1, "packs": "1", "price_per_pack": "9.90"}]}),
    )
    .await;
    let today_k = (chrono::Utc::now() + chrono::Duration::hours(14)).date_naive();
    let d = (today_k - today_p).num_days();
    let r = json_of(
        app.get(
            &format!(
                "/api/v1/supplier-performance?from={}&to={}&supplier_id={}",
                due(0),
                due(3),
                s.supplier
            ),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(
        (&r["rate_places"], &r["lead_time_places"]),
        (&json!(4), &json!(2))
    );
    let f = &r["suppliers"][0]["figures"];
    assert_eq!(
        (&f["orders"], &f["due"], &f["on_time"], &f["on_time_rate"]),
        (&json!(2), &json!(2), &json!(1), &json!("0.5000")),
        "{r}"
    );
    // (18 + 10 + 6 + 0) / (18 + 10 + 18 + 10) kg and l.
    assert_eq!(f["fill_rate"], "0.6071");
    // Sent and received the same (Kiritimati) day; promised (3 - d) and -d days.
    assert_eq!(f["actual_lead_time_days"], "0.00");
    let promised = if d == 1 { "0.50" } else { "-0.50" };
    assert_eq!(f["promised_lead_time_days"], promised, "d = {d}");
    // One case at 0.30 over, of 91.60 ordered.
    assert_eq!(
        (&f["price_variance"], &f["price_variance_rate"]),
        (&json!("0.30"), &json!("0.0033"))
    );
}
