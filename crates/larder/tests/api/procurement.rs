//! procurement: suppliers over the API on both backends: created in the tenant's currency,
//! changed at their version, listed by name (inactive ones on request), refused with the field
//! named, kept in their tenant.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    suppliers_are_created_changed_at_their_version_and_listed,
    bad_supplier_fields_are_named_and_suppliers_stay_in_their_tenant,
);

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
