//! The catalog as CSV: `/catalog/export/{kind}` and `/catalog/import/{kind}` (preview, commit
//! all-or-nothing, update by name or SKU, round trip into another tenant, permissions,
//! idempotent retries).

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    a_preview_writes_nothing_and_a_commit_creates_exact_values,
    a_bad_row_commits_nothing_and_every_bad_row_is_listed,
    recipes_resolve_sub_recipes_in_any_order_and_refuse_cycles_per_line,
    an_existing_item_is_updated_by_sku_or_name_and_unchanged_rows_say_so,
    an_export_imported_into_another_tenant_is_exactly_the_same_catalog,
    importing_needs_catalog_write_and_a_body_that_is_csv,
    a_retry_with_the_same_key_imports_once,
);

const ITEMS: &str = "name,sku,category,base_unit,unit_cost,cost_unit,barcode,packs
Basmati rice,RICE-1,Dry goods,g,4.20,kg,,sack=10000;bag=1000
Ghee,,Dairy,g,0.012345,g,,
Eggs,EGG-1,Dairy,ea,3.60,dozen,4006381333931,tray=30
";

const RECIPES: &str =
    "recipe,yield_quantity,yield_unit,notes,component,component_type,quantity,unit
Pilau rice,4,ea,Serve hot,Pilau base,,1.2,kg
Pilau rice,,,,Ghee,,0.5,oz
Pilau base,2500,g,\"1 kg rice cooks to 2.5 kg;
rest 10 minutes\",Basmati rice,item,1,kg
Pilau base,,,,Ghee,,50,g
";

const MENU: &str = "name,category,recipe,portion,price
Pilau rice,Sides,Pilau rice,1,3.95
Half pilau,Sides,Pilau rice,0.5,2.10
Bottled water,Drinks,,,1.50
";

async fn import(
    app: &TestApp,
    token: &str,
    kind: &str,
    dry_run: bool,
    key: Option<&str>,
    csv: &str,
) -> Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/catalog/import/{kind}?dry_run={dry_run}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned());
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.expect("request")
}

async fn import_ok(app: &TestApp, t: &Tenant, kind: &str, csv: &str) -> Value {
    let res = import(app, &t.token, kind, false, None, csv).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    res.json().await.expect("json")
}

async fn export(app: &TestApp, t: &Tenant, kind: &str) -> String {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/catalog/export/{kind}")))
        .bearer_auth(&t.token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    res.text().await.expect("text")
}

async fn items(app: &TestApp, t: &Tenant) -> Vec<Value> {
    let res = app.get("/api/v1/items?limit=500", &t.token).await;
    res.json::<Value>().await.expect("json")["data"]
        .as_array()
        .expect("data")
        .clone()
}

fn actions(report: &Value) -> Vec<(u64, String, String)> {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["name"].as_str().expect("name").to_owned(),
                r["action"].as_str().expect("action").to_owned(),
            )
        })
        .collect()
}

fn errors(report: &Value) -> Vec<(u64, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("line"),
                e["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect()
}

async fn a_preview_writes_nothing_and_a_commit_creates_exact_values(app: TestApp) {
    let t = app.register("CSV import").await;
    let res = import(&app, &t.token, "items", true, None, ITEMS).await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview: Value = res.json().await.unwrap();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["committed"], false);
    assert_eq!(
        actions(&preview),
        vec![
            (2, "Basmati rice".into(), "create".into()),
            (3, "Ghee".into(), "create".into()),
            (4, "Eggs".into(), "create".into()),
        ]
    );
    assert!(items(&app, &t).await.is_empty(), "a preview wrote");

    let done = import_ok(&app, &t, "items", ITEMS).await;
    assert_eq!(done["committed"], true);
    assert_eq!(done["created"], 3);
    let all = items(&app, &t).await;
    let by = |name: &str| all.iter().find(|i| i["name"] == name).unwrap().clone();
    let rice = by("Basmati rice");
    // 4.20 a kilo is exactly 0.0042 a gram.
    assert_eq!(rice["unit_cost"], "0.0042");
    assert_eq!(rice["sku"], "RICE-1");
    assert_eq!(rice["category"], "Dry goods");
    assert_eq!(rice["pack_sizes"][0]["name"], "sack");
    assert_eq!(
        rice["pack_sizes"][0]["quantity"]
            .as_str()
            .unwrap()
            .trim_end_matches('0')
            .trim_end_matches('.'),
        "10000"
    );
    let eggs = by("Eggs");
    assert_eq!(
        eggs["unit_cost"].as_str().unwrap().trim_end_matches('0'),
        "0.3"
    );
    assert_eq!(eggs["barcode"], "4006381333931");
    assert_eq!(by("Ghee")["unit_cost"], "0.012345");

    import_ok(&app, &t, "recipes", RECIPES).await;
    let menu = import_ok(&app, &t, "menu_items", MENU).await;
    assert_eq!(menu["created"], 3);
    let res = app.get("/api/v1/recipes", &t.token).await;
    let recipes: Value = res.json().await.unwrap();
    let base = recipes["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Pilau base")
        .unwrap()
        .clone();
    assert_eq!(base["notes"], "1 kg rice cooks to 2.5 kg;\nrest 10 minutes");
    // 1 kg of rice at 0.0042 and 50 g of ghee at 0.012345 make 2500 g: 4.20 + 0.61725.
    assert_eq!(
        base["batch_cost"].as_str().unwrap().trim_end_matches('0'),
        "4.81725"
    );
    let res = app.get("/api/v1/menu-items", &t.token).await;
    let menu: Value = res.json().await.unwrap();
    let half = menu["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Half pilau")
        .unwrap()
        .clone();
    assert_eq!(half["price"].as_str().unwrap().trim_end_matches('0'), "2.1");
    assert_eq!(
        half["portion"].as_str().unwrap().trim_end_matches('0'),
        "0.5"
    );
}

async fn a_bad_row_commits_nothing_and_every_bad_row_is_listed(app: TestApp) {
    let t = app.register("CSV bad rows").await;
    let csv = "name,sku,category,base_unit,unit_cost,cost_unit,barcode,packs
Rice,,,kg,,,,
,SKU2,,g,,,,
Salt,,,g,-1,,,
Flour,,,g,,,4006381333932,
Oil,,,ml,1,g,,
Good,,,g,1,,,
Sugar,,,g,,,,bag
Good,,,g,2,,,
";
    let preview: Value = import(&app, &t.token, "items", true, None, csv)
        .await
        .json()
        .await
        .unwrap();
    let expected = vec![
        (2, "base_unit".to_owned()),
        (3, "name".to_owned()),
        (4, "unit_cost".to_owned()),
        (5, "barcode".to_owned()),
        (6, "cost_unit".to_owned()),
        (8, "packs".to_owned()),
        (9, "name".to_owned()),
    ];
    assert_eq!(errors(&preview), expected);
    let res = import(&app, &t.token, "items", false, None, csv).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/bad-rows");
    assert_eq!(errors(&problem), expected);
    assert!(items(&app, &t).await.is_empty(), "a bad file wrote");
}

async fn recipes_resolve_sub_recipes_in_any_order_and_refuse_cycles_per_line(app: TestApp) {
    let t = app.register("CSV cycles").await;
    import_ok(&app, &t, "items", ITEMS).await;
    let csv = "recipe,yield_quantity,yield_unit,notes,component,component_type,quantity,unit
Gravy,1000,g,,Stock,,500,g
Stock,1000,g,,Gravy,,100,g
Stock,,,,Ghee,,10,g
Naan,10,ea,,Flour,,1,kg
Ghee dish,1,ea,,Ghee,,1,l
";
    let res = import(&app, &t.token, "recipes", false, None, csv).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(
        errors(&problem),
        vec![
            (2, "component".to_owned()),
            (3, "component".to_owned()),
            (5, "component".to_owned()),
            (6, "unit".to_owned()),
        ]
    );
    let text = problem.to_string();
    assert!(text.contains("cycle"), "{text}");
    assert!(text.contains("no item or recipe named 'Flour'"), "{text}");
    let res = app.get("/api/v1/recipes", &t.token).await;
    let recipes: Value = res.json().await.unwrap();
    assert!(recipes["data"].as_array().unwrap().is_empty());
}

async fn an_existing_item_is_updated_by_sku_or_name_and_unchanged_rows_say_so(app: TestApp) {
    let t = app.register("CSV update").await;
    import_ok(&app, &t, "items", ITEMS).await;
    let rice_id = items(&app, &t).await[0]["id"].clone();
    // Renamed by its SKU, re-costed by name, one row as stored, one new item.
    let csv = "name,sku,category,base_unit,unit_cost,cost_unit,barcode,packs
Rice (basmati),RICE-1,Dry goods,g,4.20,kg,,sack=10000;bag=1000
Ghee,,Dairy,g,0.02,g,,
Eggs,EGG-1,Dairy,ea,0.3,ea,4006381333931,tray=30
Salt,,Dry goods,g,0.001,g,,
";
    let preview: Value = import(&app, &t.token, "items", true, None, csv)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        actions(&preview),
        vec![
            (2, "Rice (basmati)".into(), "update".into()),
            (3, "Ghee".into(), "update".into()),
            (4, "Eggs".into(), "unchanged".into()),
            (5, "Salt".into(), "create".into()),
        ]
    );
    let done = import_ok(&app, &t, "items", csv).await;
    assert_eq!(
        (
            done["created"].clone(),
            done["updated"].clone(),
            done["unchanged"].clone()
        ),
        (1.into(), 2.into(), 1.into())
    );
    let all = items(&app, &t).await;
    assert_eq!(all.len(), 4);
    let rice = all.iter().find(|i| i["id"] == rice_id).unwrap();
    assert_eq!(rice["name"], "Rice (basmati)");
    assert_eq!(rice["version"], 2);
    let ghee = all.iter().find(|i| i["name"] == "Ghee").unwrap();
    assert_eq!(
        ghee["unit_cost"].as_str().unwrap().trim_end_matches('0'),
        "0.02"
    );
    // A base unit cannot change.
    let res = import(
        &app,
        &t.token,
        "items",
        false,
        None,
        "name,base_unit\nGhee,ml\n",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(errors(&problem), vec![(2, "base_unit".to_owned())]);
    // A file without a column leaves that field of an updated item as it is.
    import_ok(&app, &t, "items", "name,base_unit,category\nGhee,g,Fats\n").await;
    let all = items(&app, &t).await;
    let ghee = all.iter().find(|i| i["name"] == "Ghee").unwrap();
    assert_eq!(ghee["category"], "Fats");
    assert_eq!(
        ghee["unit_cost"].as_str().unwrap().trim_end_matches('0'),
        "0.02"
    );
}

async fn an_export_imported_into_another_tenant_is_exactly_the_same_catalog(app: TestApp) {
    let a = app.register("CSV source").await;
    import_ok(&app, &a, "items", ITEMS).await;
    import_ok(&app, &a, "recipes", RECIPES).await;
    import_ok(&app, &a, "menu_items", MENU).await;
    let b = app.register("CSV target").await;
    // Tenant isolation: the new tenant's export holds none of the first tenant's catalog.
    for kind in ["items", "recipes", "menu_items"] {
        let empty = export(&app, &b, kind).await;
        assert_eq!(empty.lines().count(), 1, "{kind}: {empty}");
    }
    let mut files = Vec::new();
    for kind in ["items", "recipes", "menu_items"] {
        let csv = export(&app, &a, kind).await;
        let done = import_ok(&app, &b, kind, &csv).await;
        assert_eq!(done["updated"], 0);
        assert_eq!(done["errors"].as_array().unwrap().len(), 0);
        files.push((kind, csv));
    }
    for (kind, csv) in files {
        assert_eq!(export(&app, &b, kind).await, csv, "{kind}");
        // Importing the export again changes nothing.
        let again = import_ok(&app, &b, kind, &csv).await;
        assert_eq!(again["created"], 0, "{kind}");
        assert_eq!(again["updated"], 0, "{kind}");
    }
    // Exact quantities and money, as the JSON API shows them.
    let costs = |v: Vec<Value>| {
        let mut c: Vec<(String, String, String)> = v
            .iter()
            .map(|i| {
                (
                    i["name"].to_string(),
                    i["unit_cost"].to_string(),
                    i["pack_sizes"].to_string(),
                )
            })
            .collect();
        c.sort();
        c
    };
    assert_eq!(costs(items(&app, &a).await), costs(items(&app, &b).await));
    let recipe_costs = |v: Value| {
        let mut c: Vec<(String, String, String)> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].to_string(),
                    r["batch_cost"].to_string(),
                    r["lines"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|l| format!("{}{}{}", l["name"], l["quantity"], l["unit"]))
                        .collect(),
                )
            })
            .collect();
        c.sort();
        c
    };
    let ra: Value = app
        .get("/api/v1/recipes", &a.token)
        .await
        .json()
        .await
        .unwrap();
    let rb: Value = app
        .get("/api/v1/recipes", &b.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recipe_costs(ra), recipe_costs(rb));
}

async fn importing_needs_catalog_write_and_a_body_that_is_csv(app: TestApp) {
    let t = app.register("CSV rights").await;
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let res = import(&app, &staff, "items", true, None, ITEMS).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = import(&app, &staff, "items", false, None, ITEMS).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(items(&app, &t).await.is_empty());
    // Staff may read the catalog, so may export it.
    let res = app
        .client
        .get(app.url("/api/v1/catalog/export/items"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // JSON is not CSV; bytes that are not UTF-8 and rows of the wrong width name the line.
    let res = app
        .client
        .post(app.url("/api/v1/catalog/import/items"))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = app
        .client
        .post(app.url("/api/v1/catalog/import/items?dry_run=true"))
        .bearer_auth(&t.token)
        .header("content-type", "text/csv")
        .body(b"name,base_unit\nRice,g\nCaf\xe9,g\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("line 3"), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("UTF-8"), "{p}");
    let res = import(
        &app,
        &t.token,
        "items",
        true,
        None,
        "name,base_unit\nRice,g,extra\n",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("line 2"), "{p}");
    let res = import(
        &app,
        &t.token,
        "items",
        true,
        None,
        "name,colour\nRice,white\n",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["field"], "header");
    let res = import(&app, &t.token, "things", true, None, ITEMS).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["field"], "kind");
}

async fn a_retry_with_the_same_key_imports_once(app: TestApp) {
    let t = app.register("CSV retry").await;
    let first = import(&app, &t.token, "items", false, Some("catalog-1"), ITEMS).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    // Someone changes an item in between; the retry must not put the file's value back.
    let rice = items(&app, &t).await[0].clone();
    let res = app
        .put(
            &format!("/api/v1/items/{}", rice["id"].as_str().unwrap()),
            &t.token,
            &serde_json::json!({"name": "Basmati rice", "sku": "RICE-1", "base_unit": "g", "unit_cost": "0.005"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again = import(&app, &t.token, "items", false, Some("catalog-1"), ITEMS).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    let all = items(&app, &t).await;
    assert_eq!(all.len(), 3);
    let rice = all.iter().find(|i| i["sku"] == "RICE-1").unwrap();
    assert_eq!(
        rice["unit_cost"].as_str().unwrap().trim_end_matches('0'),
        "0.005"
    );
    // The same key with another file is refused.
    let res = import(
        &app,
        &t.token,
        "items",
        false,
        Some("catalog-1"),
        "name,base_unit\nSalt,g\n",
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}
