//! Editing and retiring through the API (issue 7): `PUT /recipes/{id}` and
//! `PUT /menu-items/{id}` with `If-Match`, `PUT /locations/{id}` with its version, and
//! `POST .../retire` for items, recipes and menu items, on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    a_recipe_is_replaced_in_place_and_a_stale_version_is_refused,
    a_recipe_cannot_be_edited_into_containing_itself,
    a_menu_item_is_replaced_with_its_new_cost_and_margin,
    retired_things_leave_lists_stay_readable_and_sales_still_record,
    a_location_rename_carries_its_version,
    editing_needs_the_write_permission_and_the_callers_tenant,
);

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

async fn post_empty(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn a_recipe_is_replaced_in_place_and_a_stale_version_is_refused(app: TestApp) {
    let t = app.register("Recipe edits").await;
    let rice = app.create_item(&t, "Basmati", "g", "0.002").await;
    let ghee = app.create_item(&t, "Ghee", "g", "0.01").await;
    let res = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Pilau", "yield_quantity": "4", "yield_unit": "ea",
            "lines": [{"item_id": rice, "quantity": "300", "unit": "g"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/recipes/{id}");
    let got = app.get(&path, &t.token).await;
    assert_eq!(got.headers()["etag"], "\"1\"");

    // 300 g rice at 0.002 + 20 g ghee at 0.01 = 0.80 a batch of 2: 0.40 a portion.
    let body = json!({"name": "Pilau rice", "yield_quantity": "2", "yield_unit": "ea", "notes": "rinse twice",
        "lines": [{"item_id": rice, "quantity": "0.3", "unit": "kg"}, {"item_id": ghee, "quantity": "20", "unit": "g"}]});
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["name"], "Pilau rice");
    assert_eq!(r["version"], 2);
    assert_eq!(r["yield_quantity"], "2.000");
    assert_eq!(r["notes"], "rinse twice");
    assert_eq!(r["lines"].as_array().unwrap().len(), 2);
    assert_eq!(r["lines"][0]["unit"], "kg");
    assert_eq!(r["batch_cost"], "0.80");
    assert_eq!(r["cost_per_yield_unit"], "0.40");

    // A tab still holding version 1 is refused and changes nothing.
    let stale = json!({"name": "Old tab", "yield_quantity": "1", "yield_unit": "ea",
        "lines": [{"item_id": rice, "quantity": "1", "unit": "g"}]});
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &stale).await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let now: Value = app.get(&path, &t.token).await.json().await.unwrap();
    assert_eq!(
        (now["name"].clone(), now["version"].clone()),
        (json!("Pilau rice"), json!(2))
    );

    // A malformed If-Match, a bad field and a taken name are refused naming them.
    let res = put_if(&app, &path, &t.token, Some("yesterday"), &body).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "If-Match");
    let bad = json!({"name": "Pilau rice", "yield_quantity": "2", "yield_unit": "ea",
        "lines": [{"item_id": rice, "quantity": "-1", "unit": "g"}]});
    let res = put_if(&app, &path, &t.token, Some("\"2\""), &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "lines[0].quantity"
    );
    let other = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Plain rice", "yield_quantity": "1", "yield_unit": "ea",
            "lines": [{"item_id": rice, "quantity": "100", "unit": "g"}]}),
        )
        .await;
    assert_eq!(other.status(), StatusCode::CREATED);
    let taken = json!({"name": "Plain rice", "yield_quantity": "2", "yield_unit": "ea",
        "lines": [{"item_id": rice, "quantity": "1", "unit": "g"}]});
    let res = put_if(&app, &path, &t.token, Some("\"2\""), &taken).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "name");
    // Without If-Match the write is unconditional, as for items.
    let res = put_if(&app, &path, &t.token, None, &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"3\"");
    let missing = format!("/api/v1/recipes/{}", uuid::Uuid::now_v7());
    assert_eq!(
        put_if(&app, &missing, &t.token, None, &body).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_recipe_cannot_be_edited_into_containing_itself(app: TestApp) {
    let t = app.register("Cycles").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let base = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Base", "yield_quantity": "1000", "yield_unit": "g",
            "lines": [{"item_id": rice, "quantity": "1", "unit": "kg"}]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let plate = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Plate", "yield_quantity": "1", "yield_unit": "ea",
            "lines": [{"recipe_id": base["id"], "quantity": "250", "unit": "g"}]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let cycle = json!({"name": "Base", "yield_quantity": "1000", "yield_unit": "g",
        "lines": [{"recipe_id": plate["id"], "quantity": "1", "unit": "ea"}]});
    let res = put_if(
        &app,
        &format!("/api/v1/recipes/{}", base["id"].as_str().unwrap()),
        &t.token,
        None,
        &cycle,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["field"], "lines", "{p}");
    let now: Value = app
        .get(
            &format!("/api/v1/recipes/{}", plate["id"].as_str().unwrap()),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["cost_per_yield_unit"], "0.50");
}

async fn a_menu_item_is_replaced_with_its_new_cost_and_margin(app: TestApp) {
    let t = app.register("Menu edits").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let id = app.dish(&t, "Rice bowl", &rice, "150").await;
    let path = format!("/api/v1/menu-items/{id}");
    let got = app.get(&path, &t.token).await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()["etag"], "\"1\"");
    let m: Value = got.json().await.unwrap();
    assert_eq!(m["cost"], "0.30");

    let body = json!({"name": "Large rice bowl", "category": "Sides", "recipe_id": m["recipe_id"], "portion": "2", "price": "4.00"});
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["name"], "Large rice bowl");
    assert_eq!(m["category"], "Sides");
    assert_eq!(m["portion"], "2.000");
    assert_eq!(m["price"], "4.00");
    assert_eq!(m["cost"], "0.60");
    assert_eq!(m["food_cost_pct"], "15.0");
    assert_eq!(m["contribution_margin"], "3.40");
    assert_eq!(m["version"], 2);

    let res = put_if(
        &app,
        &path,
        &t.token,
        Some("\"1\""),
        &json!({"name": "Old tab"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let res = put_if(
        &app,
        &path,
        &t.token,
        Some("\"2\""),
        &json!({"name": "Bowl", "price": "-1"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "price");
    let res = put_if(
        &app,
        &path,
        &t.token,
        Some("\"2\""),
        &json!({"name": "Bowl", "recipe_id": uuid::Uuid::now_v7()}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let listed: Value = app
        .get("/api/v1/menu-items", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["name"], "Large rice bowl");
    assert_eq!(listed["data"][0]["price"], "4.00");
}

async fn retired_things_leave_lists_stay_readable_and_sales_still_record(app: TestApp) {
    let t = app.register("Retiring").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let okra = app.create_item(&t, "Okra", "g", "0.006").await;
    let dish = app.dish(&t, "Rice bowl", &rice, "150").await;
    let dish_v: Value = app
        .get(&format!("/api/v1/menu-items/{dish}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    let recipe = dish_v["recipe_id"].as_str().unwrap().to_owned();

    let res = post_empty(&app, &format!("/api/v1/items/{okra}/retire"), &t.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let item: Value = res.json().await.unwrap();
    assert!(item["retired_at"].is_string(), "{item}");
    // Again: still 200, the first time kept.
    let again: Value = post_empty(&app, &format!("/api/v1/items/{okra}/retire"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["retired_at"], item["retired_at"]);
    let res = post_empty(&app, &format!("/api/v1/recipes/{recipe}/retire"), &t.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.json::<Value>().await.unwrap()["retired_at"].is_string());
    let res = post_empty(&app, &format!("/api/v1/menu-items/{dish}/retire"), &t.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.json::<Value>().await.unwrap()["retired_at"].is_string());

    // Out of the lists...
    let names = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(
            app.get("/api/v1/items", &t.token)
                .await
                .json()
                .await
                .unwrap()
        ),
        ["Rice"]
    );
    assert!(
        names(
            app.get("/api/v1/recipes", &t.token)
                .await
                .json()
                .await
                .unwrap()
        )
        .is_empty()
    );
    assert!(
        names(
            app.get("/api/v1/menu-items", &t.token)
                .await
                .json()
                .await
                .unwrap()
        )
        .is_empty()
    );
    // ...readable by id, still costed...
    assert_eq!(
        app.get(&format!("/api/v1/items/{okra}"), &t.token)
            .await
            .status(),
        StatusCode::OK
    );
    let r: Value = app
        .get(&format!("/api/v1/recipes/{recipe}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["cost_per_yield_unit"], "0.30");
    let m: Value = app
        .get(&format!("/api/v1/menu-items/{dish}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["cost"], "0.30");
    // ...and a sale of the retired dish still records and depletes its recipe.
    app.sell(&t, "Rice bowl", "2", "2026-11-30T12:00:00Z").await;
    assert_eq!(app.on_hand(&t, &rice).await, "-300.000");
    let unmapped: Value = app
        .get("/api/v1/sales/unmapped", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        unmapped["data"].as_array().unwrap().is_empty(),
        "{unmapped}"
    );
    // An unknown id is a 404.
    let ghost = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/items/{ghost}/retire"),
        format!("/api/v1/recipes/{ghost}/retire"),
        format!("/api/v1/menu-items/{ghost}/retire"),
    ] {
        assert_eq!(
            post_empty(&app, &path, &t.token).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

async fn a_location_rename_carries_its_version(app: TestApp) {
    let t = app.register("Sites").await;
    let path = format!("/api/v1/locations/{}", t.location_id);
    let got = app.get(&path, &t.token).await;
    assert_eq!(got.headers()["etag"], "\"1\"");
    let body = json!({"name": "Brixton Market", "kind": "central_kitchen"});
    let res = put_if(&app, &path, &t.token, Some("\"1\""), &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let l: Value = res.json().await.unwrap();
    assert_eq!(
        (l["name"].clone(), l["kind"].clone(), l["version"].clone()),
        (json!("Brixton Market"), json!("central_kitchen"), json!(2))
    );
    let res = put_if(
        &app,
        &path,
        &t.token,
        Some("\"1\""),
        &json!({"name": "Old tab", "kind": "outlet"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let now: Value = app.get(&path, &t.token).await.json().await.unwrap();
    assert_eq!(now["name"], "Brixton Market");
}

async fn editing_needs_the_write_permission_and_the_callers_tenant(app: TestApp) {
    let t = app.register("Owner side").await;
    let other = app.register("Other side").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let dish = app.dish(&t, "Rice bowl", &rice, "150").await;
    let m: Value = app
        .get(&format!("/api/v1/menu-items/{dish}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    let recipe = m["recipe_id"].as_str().unwrap().to_owned();
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let recipe_body = json!({"name": "X", "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": rice, "quantity": "1", "unit": "g"}]});
    let menu_body = json!({"name": "X"});
    for (token, want) in [
        (&staff, StatusCode::FORBIDDEN),
        (&other.token, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            put_if(
                &app,
                &format!("/api/v1/recipes/{recipe}"),
                token,
                None,
                &recipe_body
            )
            .await
            .status(),
            want
        );
        assert_eq!(
            put_if(
                &app,
                &format!("/api/v1/menu-items/{dish}"),
                token,
                None,
                &menu_body
            )
            .await
            .status(),
            want
        );
        assert_eq!(
            post_empty(&app, &format!("/api/v1/items/{rice}/retire"), token)
                .await
                .status(),
            want
        );
        assert_eq!(
            post_empty(&app, &format!("/api/v1/recipes/{recipe}/retire"), token)
                .await
                .status(),
            want
        );
        assert_eq!(
            post_empty(&app, &format!("/api/v1/menu-items/{dish}/retire"), token)
                .await
                .status(),
            want
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/menu-items/{dish}"), &other.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Nothing changed.
    let m2: Value = app
        .get(&format!("/api/v1/menu-items/{dish}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m2, m);
}
