use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    invalid_items_are_refused_naming_the_field,
    a_stale_if_match_gets_412_and_nothing_is_overwritten,
    items_are_paginated_and_filtered,
);

async fn invalid_items_are_refused_naming_the_field(app: TestApp) {
    let t = app.register("Validation").await;
    let cases = [
        (json!({"name": "", "base_unit": "g"}), "name"),
        (json!({"name": "Rice", "base_unit": "kg"}), "base_unit"),
        (
            json!({"name": "Rice", "base_unit": "g", "unit_cost": "0.0000001"}),
            "unit_cost",
        ),
        (
            json!({"name": "Rice", "base_unit": "g", "unit_cost": 0.0000001}),
            "unit_cost",
        ),
        (
            json!({"name": "Rice", "base_unit": "g", "barcode": "4006381333932"}),
            "barcode",
        ),
        (
            json!({"name": "Rice", "base_unit": "g", "pack_sizes": [{"name": "sack", "quantity": "10.0001"}]}),
            "pack_sizes[0].quantity",
        ),
        (
            json!({"name": "Rice", "base_unit": "g", "colour": "white"}),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/items", Some(&t.token), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["field"], field, "{body}: {p}");
        assert_eq!(p["type"], "/problems/validation");
    }
    let ok = app.post("/api/v1/items", Some(&t.token), &json!({"name": "Rice", "base_unit": "g", "sku": "R1", "unit_cost": "0.0016", "barcode": "4006381333931"})).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let item: Value = ok.json().await.unwrap();
    assert_eq!(item["unit_cost"], "0.0016");
    let dup = app
        .post(
            "/api/v1/items",
            Some(&t.token),
            &json!({"name": "Other", "base_unit": "g", "sku": "R1"}),
        )
        .await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    assert_eq!(dup.json::<Value>().await.unwrap()["field"], "sku");
}

async fn a_stale_if_match_gets_412_and_nothing_is_overwritten(app: TestApp) {
    let t = app.register("Versions").await;
    let id = app.create_item(&t, "Ghee", "g", "0.007").await;
    let res = app.get(&format!("/api/v1/items/{id}"), &t.token).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"1\"");
    let body = json!({"name": "Ghee (pure)", "base_unit": "g", "unit_cost": "0.0072"});
    let first = app
        .client
        .put(app.url(&format!("/api/v1/items/{id}")))
        .bearer_auth(&t.token)
        .header("If-Match", &etag)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let stale = json!({"name": "Ghee (old tab)", "base_unit": "g"});
    let second = app
        .client
        .put(app.url(&format!("/api/v1/items/{id}")))
        .bearer_auth(&t.token)
        .header("If-Match", &etag)
        .json(&stale)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::PRECONDITION_FAILED);
    let now: Value = app
        .get(&format!("/api/v1/items/{id}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["name"], "Ghee (pure)");
    assert_eq!(now["unit_cost"], "0.0072");
}

async fn items_are_paginated_and_filtered(app: TestApp) {
    let t = app.register("Pages").await;
    for n in ["Cumin", "Basmati", "Chilli", "Almonds", "Butter"] {
        app.create_item(&t, n, "g", "0.001").await;
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/items?limit=2&cursor={c}"),
            None => "/api/v1/items?limit=2".to_owned(),
        };
        let page: Value = app.get(&path, &t.token).await.json().await.unwrap();
        names.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["Almonds", "Basmati", "Butter", "Chilli", "Cumin"]);
    let found: Value = app
        .get("/api/v1/items?q=CHI", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/items?limit=0", &t.token).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/items?limit=501", &t.token).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/items?cursor=garbage!", &t.token)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
