use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(another_tenant_can_neither_read_list_nor_change_the_first_tenants_data);

async fn another_tenant_can_neither_read_list_nor_change_the_first_tenants_data(app: TestApp) {
    let a = app.register("Tenant A").await;
    let b = app.register("Tenant B").await;
    let item = app.create_item(&a, "Saffron", "g", "2.5").await;
    assert_eq!(
        app.adjust(&a, &item, "10", "receipt").await.status(),
        StatusCode::CREATED
    );
    let recipe = app
        .post("/api/v1/recipes", Some(&a.token), &json!({"name": "Saffron rice", "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": item, "quantity": "0.2", "unit": "g"}]}))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let menu = app
        .post(
            "/api/v1/menu-items",
            Some(&a.token),
            &json!({"name": "Saffron Rice", "recipe_id": recipe}),
        )
        .await;
    assert_eq!(menu.status(), StatusCode::CREATED);
    let sale: Value = app
        .post("/api/v1/sales", Some(&a.token), &json!({"location_id": a.location_id, "lines": [{"name": "Saffron Rice", "quantity": "1"}]}))
        .await
        .json()
        .await
        .unwrap();
    let sale_id = sale["id"].as_str().unwrap();

    // Reads of A's ids by B: 404.
    for path in [
        format!("/api/v1/items/{item}"),
        format!("/api/v1/locations/{}", a.location_id),
        format!("/api/v1/recipes/{recipe}"),
        format!("/api/v1/sales/{sale_id}"),
    ] {
        assert_eq!(
            app.get(&path, &b.token).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Lists by B: none of A's rows.
    for path in [
        "/api/v1/items",
        "/api/v1/recipes",
        "/api/v1/menu-items",
        "/api/v1/sales",
        "/api/v1/stock",
        "/api/v1/stock-movements",
    ] {
        let body: Value = app.get(path, &b.token).await.json().await.unwrap();
        assert!(
            body["data"].as_array().unwrap().is_empty(),
            "{path}: {body}"
        );
    }
    let filtered: Value = app
        .get(&format!("/api/v1/stock?item_id={item}"), &b.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(filtered["data"].as_array().unwrap().is_empty());
    // Changes by B to A's rows: 404, and A's data is unchanged.
    assert_eq!(
        app.put(
            &format!("/api/v1/items/{item}"),
            &b.token,
            &json!({"name": "Stolen", "base_unit": "g"})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(
            &format!("/api/v1/locations/{}", a.location_id),
            &b.token,
            &json!({"name": "Stolen", "kind": "outlet"})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let adj =
        json!({"item_id": item, "location_id": b.location_id, "quantity": "5", "kind": "receipt"});
    assert_eq!(
        app.post("/api/v1/stock/adjustments", Some(&b.token), &adj)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let adj =
        json!({"item_id": item, "location_id": a.location_id, "quantity": "5", "kind": "receipt"});
    assert_eq!(
        app.post("/api/v1/stock/adjustments", Some(&b.token), &adj)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let sale_b =
        json!({"location_id": a.location_id, "lines": [{"name": "Saffron Rice", "quantity": "1"}]});
    assert_eq!(
        app.post("/api/v1/sales", Some(&b.token), &sale_b)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let menu_b = json!({"name": "Copy", "recipe_id": recipe});
    assert_eq!(
        app.post("/api/v1/menu-items", Some(&b.token), &menu_b)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let recipe_b = json!({"name": "Copy", "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": item, "quantity": "1", "unit": "g"}]});
    assert_eq!(
        app.post("/api/v1/recipes", Some(&b.token), &recipe_b)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let par = json!({"par_level": "100", "reorder_point": "10"});
    let res = app
        .put(
            &format!("/api/v1/items/{item}/par-levels/{}", b.location_id),
            &b.token,
            &par,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // B's reports see none of A's sales.
    // Reports cover at most 366 days: half a year either side of now holds A's sales.
    let now = chrono::Utc::now();
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let period = format!(
        "from={}&to={}",
        at(now - chrono::Duration::days(180)),
        at(now + chrono::Duration::days(180))
    );
    for path in [
        format!("/api/v1/reports/usage?{period}"),
        format!("/api/v1/reports/top-menu-items?{period}"),
        "/api/v1/sales/unmapped".to_owned(),
    ] {
        let body: Value = app.get(&path, &b.token).await.json().await.unwrap();
        assert!(
            body["data"].as_array().unwrap().is_empty(),
            "{path}: {body}"
        );
    }
    let a_top: Value = app
        .get(
            &format!("/api/v1/reports/top-menu-items?{period}"),
            &a.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        a_top["data"][0]["name"], "Saffron Rice",
        "the check above must be able to fail"
    );
    let a_item: Value = app
        .get(&format!("/api/v1/items/{item}"), &a.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a_item["name"], "Saffron");
    assert_eq!(app.on_hand(&a, &item).await, "9.800");
}
