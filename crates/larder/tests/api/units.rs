//! Units, packs, storage areas and barcodes through the API (issue 9, ADR 018): an item's
//! density and pack hierarchy round trip, amounts in packs and units convert exactly or are a
//! 422 naming the field and the part, storage areas are created, renamed at their version,
//! reordered, shelved and retired in their tenant only, and scans resolve to an item with
//! lot, expiry and quantity; on both backends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    density_and_packs_declared_in_packs_round_trip,
    amounts_convert_exactly_or_name_the_field_and_part,
    storage_areas_are_kept_in_walking_and_shelf_order_per_tenant,
    scans_resolve_to_an_item_with_lot_expiry_and_quantity,
);

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

async fn create(app: &TestApp, t: &Tenant, body: &Value) -> Value {
    let res = app.post("/api/v1/items", Some(&t.token), body).await;
    let status = res.status();
    let v = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

async fn density_and_packs_declared_in_packs_round_trip(app: TestApp) {
    let t = app.register("Units").await;
    let oil = create(
        &app,
        &t,
        &json!({"name": "Olive oil", "base_unit": "ml", "density": "0.91",
                "density_source": "USDA FoodData Central 171413",
                "pack_sizes": [{"name": "case", "contains": "6 bottles"},
                               {"name": "bottle", "contains": "1 l"}]}),
    )
    .await;
    assert_eq!(oil["density"], "0.91");
    assert_eq!(oil["density_source"], "USDA FoodData Central 171413");
    assert_eq!(
        oil["pack_sizes"],
        json!([{"name": "case", "quantity": "6000.000"}, {"name": "bottle", "quantity": "1000.000"}])
    );
    assert_eq!(oil["entry_step"], "0.001");
    assert_eq!(oil["entry_rounding"], "round");
    let id = oil["id"].as_str().unwrap_or_default().to_owned();
    let got = json_of(app.get(&format!("/api/v1/items/{id}"), &t.token).await).await;
    assert_eq!(got["density"], "0.91");
    assert_eq!(got["pack_sizes"], oil["pack_sizes"]);
    // Eaches default to whole eaches, refused otherwise.
    let cans = create(
        &app,
        &t,
        &json!({"name": "Tomatoes, tin", "base_unit": "ea",
                "pack_sizes": [{"name": "case", "contains": "4 packs"},
                               {"name": "pack", "contains": "6 ea"}]}),
    )
    .await;
    assert_eq!(cans["entry_step"], "1.000");
    assert_eq!(cans["entry_rounding"], "refuse");
    assert_eq!(cans["pack_sizes"][0]["quantity"], "24.000");
    // A PUT without a density clears it (a PUT replaces the editable fields).
    let res = app
        .put(
            &format!("/api/v1/items/{id}"),
            &t.token,
            &json!({"name": "Olive oil", "base_unit": "ml", "entry_step": "5",
                    "entry_rounding": "refuse"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let put = json_of(res).await;
    assert_eq!(put["density"], Value::Null);
    assert_eq!(put["entry_step"], "5.000");
    assert_eq!(put["entry_rounding"], "refuse");
    // Cycles, unknown inner packs, both forms, and a bad density name the field.
    for (body, field) in [
        (
            json!({"name": "A", "base_unit": "ea", "pack_sizes": [
                {"name": "case", "contains": "2 packs"}, {"name": "pack", "contains": "1 case"}]}),
            "pack_sizes[0]",
        ),
        (
            json!({"name": "B", "base_unit": "ea", "pack_sizes": [
                {"name": "each", "quantity": "1"}, {"name": "case", "contains": "4 crates"}]}),
            "pack_sizes[1]",
        ),
        (
            json!({"name": "C", "base_unit": "ea", "pack_sizes": [
                {"name": "case", "quantity": "4", "contains": "4 ea"}]}),
            "pack_sizes[0]",
        ),
        (
            json!({"name": "D", "base_unit": "g", "pack_sizes": [
                {"name": "bottle", "contains": "750 ml"}]}),
            "pack_sizes[0]",
        ),
        (
            json!({"name": "E", "base_unit": "g", "density": "0"}),
            "density",
        ),
        (
            json!({"name": "F", "base_unit": "g", "density_source": "a book"}),
            "density_source",
        ),
        (
            json!({"name": "G", "base_unit": "g", "entry_step": "0"}),
            "entry_step",
        ),
    ] {
        let res = app.post("/api/v1/items", Some(&t.token), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let p = json_of(res).await;
        assert_eq!(p["field"], field, "{p}");
    }
}

async fn amounts_convert_exactly_or_name_the_field_and_part(app: TestApp) {
    let t = app.register("Amounts").await;
    let flour = create(
        &app,
        &t,
        &json!({"name": "Flour", "base_unit": "g",
                "pack_sizes": [{"name": "case", "contains": "4 packs"},
                               {"name": "pack", "quantity": "1500"}]}),
    )
    .await;
    let id = flour["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/items/{id}/amount");
    let res = app
        .post(
            &path,
            Some(&t.token),
            &json!({"amount": "3 cases + 4 packs + 250 g"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = json_of(res).await;
    assert_eq!(v["quantity"], "24250.000");
    assert_eq!(v["base_unit"], "g");
    assert_eq!(v["rounded"], false);
    assert_eq!(
        v["parts"],
        json!([
            {"count": "3.000", "of": "cases", "quantity": "18000.000"},
            {"count": "4.000", "of": "packs", "quantity": "6000.000"},
            {"count": "250.000", "of": "g", "quantity": "250.000"}
        ])
    );
    // 1 oz is 28.349523125 g: to the thousandth, half to even.
    let v = json_of(
        app.post(&path, Some(&t.token), &json!({"amount": "1 oz"}))
            .await,
    )
    .await;
    assert_eq!(v["quantity"], "28.350");
    assert_eq!(v["rounded"], true);
    // A unit that cannot convert (no density), an unknown pack, an empty part: 422 on amount.
    for (amount, part) in [
        ("2 packs + 1 l", "part 2"),
        ("1 pallet", "part 1"),
        ("3 cases +", "part 2"),
    ] {
        let res = app
            .post(&path, Some(&t.token), &json!({"amount": amount}))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
        let p = json_of(res).await;
        assert_eq!(p["field"], "amount", "{p}");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(part), "{amount}: {detail}");
    }
    let p = json_of(
        app.post(&path, Some(&t.token), &json!({"amount": "1 l"}))
            .await,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap_or_default().contains("density"),
        "{p}"
    );
    // Eaches refuse a fraction by default.
    let eggs = create(
        &app,
        &t,
        &json!({"name": "Eggs", "base_unit": "ea",
        "pack_sizes": [{"name": "tray", "quantity": "30"}]}),
    )
    .await;
    let eggs = eggs["id"].as_str().unwrap_or_default().to_owned();
    let epath = format!("/api/v1/items/{eggs}/amount");
    let v = json_of(
        app.post(&epath, Some(&t.token), &json!({"amount": "2 trays + 3"}))
            .await,
    )
    .await;
    assert_eq!(v["quantity"], "63.000");
    let res = app
        .post(&epath, Some(&t.token), &json!({"amount": "0.5 ea"}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another tenant's item is a 404.
    let other = app.register("Amounts other").await;
    let res = app
        .post(&path, Some(&other.token), &json!({"amount": "1 case"}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn put_if(
    app: &TestApp,
    path: &str,
    token: &str,
    etag: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn storage_areas_are_kept_in_walking_and_shelf_order_per_tenant(app: TestApp) {
    let t = app.register("Areas").await;
    let other = app.register("Areas other").await;
    let loc = &t.location_id;
    let path = format!("/api/v1/locations/{loc}/storage-areas");
    let mut ids = Vec::new();
    for (i, name) in ["Walk-in", "Dry store", "Bar"].iter().enumerate() {
        let res = app
            .post_with_key(
                &path,
                &t.token,
                &format!("area-{i}"),
                &json!({"name": name}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let v = json_of(res).await;
        ids.push(v["id"].as_str().unwrap_or_default().to_owned());
    }
    // The same key creates once.
    let res = app
        .post_with_key(&path, &t.token, "area-2", &json!({"name": "Bar"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_of(res).await["id"], ids[2].as_str());
    // A second "Bar" is a conflict on name.
    let res = app
        .post(&path, Some(&t.token), &json!({"name": "Bar"}))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(res).await["field"], "name");
    let list = json_of(app.get(&path, &t.token).await).await;
    let names: Vec<&str> = list.as_array().map_or(Vec::new(), |a| {
        a.iter()
            .map(|x| x["name"].as_str().unwrap_or_default())
            .collect()
    });
    assert_eq!(names, vec!["Walk-in", "Dry store", "Bar"]);
    // Rename with If-Match; the same stale version again is 412 and changes nothing.
    let area = format!("/api/v1/storage-areas/{}", ids[0]);
    let res = put_if(
        &app,
        &area,
        &t.token,
        "\"1\"",
        &json!({"name": "Walk-in cooler"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let res = put_if(
        &app,
        &area,
        &t.token,
        "\"1\"",
        &json!({"name": "Cold room"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let got = json_of(app.get(&area, &t.token).await).await;
    assert_eq!(got["name"], "Walk-in cooler");
    // Reorder: the bar first. Leaving one out is a 422 on ids.
    let res = app
        .put(
            &format!("{path}/order"),
            &t.token,
            &json!({"ids": [ids[2], ids[0], ids[1]]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = json_of(res).await;
    assert_eq!(v[0]["name"], "Bar");
    assert_eq!(v[0]["position"], 1);
    let res = app
        .put(
            &format!("{path}/order"),
            &t.token,
            &json!({"ids": [ids[2], ids[0]]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "ids");
    // Shelves: items in order; an item may be in several areas.
    let milk = app.create_item(&t, "Milk", "ml", "0.001").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let shelf = format!("{area}/items");
    let res = app
        .put(&shelf, &t.token, &json!({"item_ids": [rice, milk]}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = json_of(res).await;
    assert_eq!(v[0]["name"], "Rice");
    assert_eq!(v[1]["name"], "Milk");
    assert_eq!(v[1]["shelf_order"], 2);
    let res = app
        .put(
            &format!("/api/v1/storage-areas/{}/items", ids[1]),
            &t.token,
            &json!({"item_ids": [rice]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .put(&shelf, &t.token, &json!({"item_ids": [rice, rice]}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "item_ids[1]");
    let v = json_of(app.get(&shelf, &t.token).await).await;
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    // Another tenant: its ids are 404 both ways.
    let theirs = app.create_item(&other, "Their milk", "ml", "0.001").await;
    let res = app
        .put(&shelf, &t.token, &json!({"item_ids": [theirs]}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for res in [
        app.get(&area, &other.token).await,
        app.get(&shelf, &other.token).await,
        put_if(&app, &area, &other.token, "\"2\"", &json!({"name": "Mine"})).await,
        app.put(&shelf, &other.token, &json!({"item_ids": []}))
            .await,
        app.get(&path, &other.token).await,
        app.post(&path, Some(&other.token), &json!({"name": "Mine"}))
            .await,
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // Retire: it leaves the list.
    let res = app
        .post(&format!("{area}/retire"), Some(&t.token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(json_of(res).await["retired_at"].is_string());
    let list = json_of(app.get(&path, &t.token).await).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
}

async fn scans_resolve_to_an_item_with_lot_expiry_and_quantity(app: TestApp) {
    let t = app.register("Scans").await;
    let cheese = create(
        &app,
        &t,
        &json!({"name": "Cheddar", "base_unit": "g", "barcode": "9501101530003"}),
    )
    .await;
    let cans = create(
        &app,
        &t,
        &json!({"name": "Tomatoes, tin", "base_unit": "ea", "barcode": "4006381333931"}),
    )
    .await;
    let resolve = |code: &str| {
        format!(
            "/api/v1/barcodes/resolve?code={}",
            code.replace('(', "%28")
                .replace(')', "%29")
                .replace('\u{1d}', "%1D")
        )
    };
    // GS1 DataMatrix, raw, with FNC1 as GS: GTIN, net weight 1.250 kg, lot, use-by.
    let res = app
        .get(
            &resolve("]d2010950110153000331030012501726123110L0T-7\u{1d}240ABC"),
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = json_of(res).await;
    assert_eq!(v["item"]["id"], cheese["id"]);
    assert_eq!(v["gtin"], "09501101530003");
    assert_eq!(v["lot"], "L0T-7");
    assert_eq!(v["expiry"], "2026-12-31");
    assert_eq!(v["quantity"], "1250.000");
    assert_eq!(v["symbology"], "]d2");
    let unmatched = v["unmatched"].to_string();
    assert!(unmatched.contains("240ABC"), "{unmatched}");
    // Pounds convert exactly: 2.5 lb is 1133.980925 g, to the thousandth.
    let v = json_of(
        app.get(&resolve("(01)09501101530003(3201)000025"), &t.token)
            .await,
    )
    .await;
    assert_eq!(v["quantity"], "1133.981");
    // A plain EAN-13 of an each item is one each; a net weight cannot become eaches.
    let v = json_of(app.get(&resolve("4006381333931"), &t.token).await).await;
    assert_eq!(v["item"]["id"], cans["id"]);
    assert_eq!(v["quantity"], "1.000");
    let v = json_of(
        app.get(&resolve("(01)04006381333931(3103)000400"), &t.token)
            .await,
    )
    .await;
    assert_eq!(v["quantity"], Value::Null);
    assert!(v["unmatched"].to_string().contains("3103"), "{v}");
    // No item with that GTIN: 404 with what was read.
    let res = app
        .get(&resolve("(01)00000096385074(10)X1"), &t.token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let p = json_of(res).await;
    assert_eq!(p["scan"]["lot"], "X1");
    assert_eq!(p["scan"]["item"], Value::Null);
    // A wrong check digit is a 422 on code.
    let res = app.get(&resolve("(01)09501101530004"), &t.token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "code");
    // Another tenant does not find these items.
    let other = app.register("Scans other").await;
    let res = app.get(&resolve("4006381333931"), &other.token).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
