//! The editing pages over HTTP (the browser test drives them in Chromium): a stale form, a
//! role without the write permission, bad input, another tenant's ids, the first-run
//! checklist, the live cost, the menu's sorting and the members page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, MEMBER_PASSWORD, TestApp, spawn_app};
use crate::ui::{browser, logged_in};

async fn login_as(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let web = browser();
    let res = web
        .post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    web
}

async fn post_form(
    web: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    web.post(app.url(path)).form(form).send().await.unwrap()
}

async fn page(web: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = web.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

fn item_form<'a>(name: &'a str, version: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("version", version),
        ("name", name),
        ("sku", ""),
        ("category", "dry goods"),
        ("base_unit", "g"),
        ("pack_name", "sack"),
        ("pack_quantity", "25"),
        ("pack_unit", "kg"),
        ("pack_name", ""),
        ("pack_quantity", ""),
        ("pack_unit", "kg"),
        ("barcode", ""),
        ("unit_cost", "1.60"),
        ("cost_per", "kg"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_saved_from_the_form_is_exact_and_a_stale_form_is_a_412_with_the_current_values() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Stale Forms").await;
    let web = logged_in(&app, &t.email).await;
    let res = post_form(&web, &app, "/items", &item_form("Basmati rice", "")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .trim_start_matches("/items/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    // The API holds the exact base-unit values the form typed per kg.
    let item: Value = app
        .get(&format!("/api/v1/items/{id}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(item["unit_cost"], "0.0016");
    assert_eq!(
        item["pack_sizes"],
        json!([{"name": "sack", "quantity": "25000.000"}])
    );
    let (status, html) = page(&web, &app, &format!("/items/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"name="version" value="1""#), "{html}");
    assert!(html.contains(r#"value="1.6""#), "{html}");

    // Two tabs open at version 1: the first save wins, the second is shown again, refused.
    let first = post_form(
        &web,
        &app,
        &format!("/items/{id}"),
        &item_form("Basmati rice, aged", "1"),
    )
    .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = post_form(
        &web,
        &app,
        &format!("/items/{id}"),
        &item_form("Basmati (old tab)", "1"),
    )
    .await;
    assert_eq!(second.status(), StatusCode::PRECONDITION_FAILED);
    let html = second.text().await.unwrap();
    assert!(html.contains("Someone else saved this item"), "{html}");
    assert!(
        html.contains("Basmati rice, aged") && html.contains(r#"name="version" value="2""#),
        "{html}"
    );
    let now: Value = app
        .get(&format!("/api/v1/items/{id}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["name"], "Basmati rice, aged");

    // The same for a location.
    let loc = &t.location_id;
    let form = |name: &'static str| vec![("version", "1"), ("name", name), ("kind", "outlet")];
    assert_eq!(
        post_form(
            &web,
            &app,
            &format!("/locations/{loc}"),
            &form("Brixton Market")
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let stale = post_form(&web, &app, &format!("/locations/{loc}"), &form("Old tab")).await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let html = stale.text().await.unwrap();
    assert!(
        html.contains("Someone else saved this location") && html.contains("Brixton Market"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_without_catalog_write_gets_403_on_the_edit_forms() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Roles Tenant").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let dish = app.dish(&t, "Rice bowl", &rice, "150").await;
    let m: Value = app
        .get(&format!("/api/v1/menu-items/{dish}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    let recipe = m["recipe_id"].as_str().unwrap().to_owned();
    let (_, email, _) = app.add_member(&t, "staff").await;
    let web = login_as(&app, &email, MEMBER_PASSWORD).await;
    for path in [
        "/items/new".to_owned(),
        format!("/items/{rice}/edit"),
        format!("/locations/{}/edit", t.location_id),
        "/recipes/new".to_owned(),
        format!("/recipes/{recipe}/edit"),
        "/menu-items/new".to_owned(),
        format!("/menu-items/{dish}/edit"),
        "/members".to_owned(),
    ] {
        let (status, html) = page(&web, &app, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("Your role lacks"), "{path}: {html}");
    }
    for path in [
        "/items".to_owned(),
        format!("/items/{rice}"),
        format!("/items/{rice}/retire"),
        "/locations".to_owned(),
    ] {
        let res = post_form(&web, &app, &path, &item_form("Sneaky", "1")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Reading is still allowed, without the edit controls.
    let (status, html) = page(&web, &app, &format!("/items/{rice}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/edit"), "{html}");
    let (status, html) = page(&web, &app, "/items").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/items/new"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_422_page_naming_the_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Bad Input").await;
    let web = logged_in(&app, &t.email).await;
    let mut form = item_form("Rice", "");
    form[6] = ("pack_quantity", "lots");
    let res = post_form(&web, &app, "/items", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("pack_sizes[0].quantity: "), "{html}");
    // What was typed is kept.
    assert!(html.contains(r#"value="lots""#), "{html}");
    let mut form = item_form("Rice", "");
    form[12] = ("unit_cost", "1.2345678");
    let res = post_form(&web, &app, "/items", &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("unit_cost: "));
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let component = format!("item:{rice}");
    let recipe = [
        ("name", "Rice"),
        ("yield_quantity", "1"),
        ("yield_unit", "ea"),
        ("line_component", component.as_str()),
        ("line_quantity", "a handful"),
        ("line_unit", "g"),
    ];
    let res = post_form(&web, &app, "/recipes", &recipe).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("lines[0].quantity: "));
    let res = post_form(
        &web,
        &app,
        "/locations",
        &[("name", ""), ("kind", "outlet")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("name: "));
    let res = post_form(
        &web,
        &app,
        &format!("/items/{rice}/par-levels"),
        &[
            ("location_id", t.location_id.as_str()),
            ("par_level", "-1"),
            ("reorder_point", ""),
            ("unit", "kg"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("par_level: must not be negative")
    );
    let (status, html) = page(&web, &app, "/menu?sort=colour").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("sort: "), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_ids_are_404_on_the_edit_pages() {
    let app = spawn_app(Backend::Sqlite).await;
    let a = app.register("Tenant A").await;
    let b = app.register("Tenant B").await;
    let item_b = app.create_item(&b, "B's saffron", "g", "2.5").await;
    let dish_b = app.dish(&b, "B's biryani", &item_b, "1").await;
    let m: Value = app
        .get(&format!("/api/v1/menu-items/{dish_b}"), &b.token)
        .await
        .json()
        .await
        .unwrap();
    let recipe_b = m["recipe_id"].as_str().unwrap().to_owned();
    let web = logged_in(&app, &a.email).await;
    for path in [
        format!("/items/{item_b}"),
        format!("/items/{item_b}/edit"),
        format!("/recipes/{recipe_b}/edit"),
        format!("/menu-items/{dish_b}/edit"),
        format!("/locations/{}/edit", b.location_id),
    ] {
        assert_eq!(
            page(&web, &app, &path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in [
        format!("/items/{item_b}"),
        format!("/items/{item_b}/retire"),
        format!("/recipes/{recipe_b}/retire"),
        format!("/menu-items/{dish_b}/retire"),
    ] {
        let res = post_form(&web, &app, &path, &item_form("Mine now", "1")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let res = post_form(
        &web,
        &app,
        &format!(
            "/items/{}/par-levels",
            app.create_item(&a, "A's rice", "g", "0.002").await
        ),
        &[
            ("location_id", b.location_id.as_str()),
            ("par_level", "5"),
            ("reorder_point", ""),
            ("unit", "kg"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let still: Value = app
        .get(&format!("/api/v1/items/{item_b}"), &b.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (still["name"].clone(), still["retired_at"].clone()),
        (json!("B's saffron"), Value::Null)
    );
    let (_, html) = page(&web, &app, "/menu").await;
    assert!(!html.contains("biryani"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checklist_ticks_each_step_and_goes_once_all_are_done() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("New Kitchen").await;
    let web = logged_in(&app, &t.email).await;
    let (_, html) = page(&web, &app, "/").await;
    assert!(html.contains(r#"id="checklist""#), "{html}");
    assert!(
        html.contains(r#"id="step-location" class="done""#),
        "{html}"
    );
    assert!(html.contains(r#"id="step-items" class="""#), "{html}");
    assert!(
        html.contains(r#"href="/catalog/import""#) && html.contains(r#"href="/sales/import""#),
        "{html}"
    );
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    app.dish(&t, "Rice bowl", &rice, "150").await;
    let (_, html) = page(&web, &app, "/").await;
    assert!(
        html.contains(r#"id="step-items" class="done""#)
            && html.contains(r#"id="step-recipes" class="done""#),
        "{html}"
    );
    assert!(html.contains(r#"id="step-sales" class="""#), "{html}");
    app.sell(&t, "Rice bowl", "1", "2026-11-30T12:00:00Z").await;
    let (_, html) = page(&web, &app, "/").await;
    assert!(!html.contains(r#"id="checklist""#), "{html}");
    // Staff, who cannot do the steps, never see it.
    let other = app.register("Staffed Kitchen").await;
    let (_, email, _) = app.add_member(&other, "staff").await;
    let staff = login_as(&app, &email, MEMBER_PASSWORD).await;
    let (_, html) = page(&staff, &app, "/").await;
    assert!(!html.contains(r#"id="checklist""#), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_cost_is_computed_on_the_server_and_never_saves() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Live Cost").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let web = logged_in(&app, &t.email).await;
    let (status, html) = page(&web, &app, "/recipes/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"src="/assets/recipe-cost.js""#), "{html}");
    let res = web.get(app.url("/recipes/new")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let script = web
        .get(app.url("/assets/recipe-cost.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let component = format!("item:{rice}");
    let form = [
        ("name", "Rice"),
        ("yield_quantity", "2"),
        ("yield_unit", "ea"),
        ("line_component", component.as_str()),
        ("line_quantity", "0.5"),
        ("line_unit", "kg"),
        ("line_component", ""),
        ("line_quantity", ""),
        ("line_unit", "g"),
    ];
    let cost: Value = post_form(&web, &app, "/recipes/cost", &form)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        cost,
        json!({"batch_cost": "£1.00", "per_unit": "£0.50 per portion", "note": ""})
    );
    let mut partial = form;
    partial[4] = ("line_quantity", "");
    let cost: Value = post_form(&web, &app, "/recipes/cost", &partial)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cost["batch_cost"], "–");
    assert!(
        cost["note"].as_str().unwrap().starts_with("lines"),
        "{cost}"
    );
    // Without scripts, "Work out cost" shows the same numbers in the form.
    let mut preview = form.to_vec();
    preview.push(("preview", "1"));
    let res = post_form(&web, &app, "/recipes", &preview).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("£1.00") && html.contains("£0.50 per portion"),
        "{html}"
    );
    let list: Value = app
        .get("/api/v1/recipes", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["data"].as_array().unwrap().is_empty(),
        "nothing was saved: {list}"
    );
    // "More lines" adds three blank rows to the two sent, keeping what was typed.
    let mut more = form.to_vec();
    more.push(("more", "1"));
    let res = post_form(&web, &app, "/recipes", &more).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"id="line_component_4""#) && !html.contains(r#"id="line_component_5""#),
        "{html}"
    );
    assert!(html.contains(r#"value="0.5""#), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_menu_sorts_by_any_column() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Sorted Menu").await;
    let rice = app.create_item(&t, "Rice", "g", "0.01").await;
    for (name, grams, price) in [
        ("Bowl A", "100", "5.00"),
        ("Bowl B", "300", "6.00"),
        ("Bowl C", "50", "2.00"),
    ] {
        let id = app.dish(&t, name, &rice, grams).await;
        let res = app.put(&format!("/api/v1/menu-items/{id}"), &t.token, &json!({"name": name, "recipe_id": app.get(&format!("/api/v1/menu-items/{id}"), &t.token).await.json::<Value>().await.unwrap()["recipe_id"], "price": price})).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let web = logged_in(&app, &t.email).await;
    let order = |html: &str| -> Vec<usize> {
        ["Bowl A", "Bowl B", "Bowl C"]
            .iter()
            .map(|n| html.find(n).unwrap())
            .collect()
    };
    let rank = |pos: Vec<usize>| -> String {
        let mut idx: Vec<usize> = (0..3).collect();
        idx.sort_by_key(|i| pos[*i]);
        idx.iter().map(|i| ["A", "B", "C"][*i]).collect()
    };
    // Food cost: A 1.00/5.00 = 20 %, B 3.00/6.00 = 50 %, C 0.50/2.00 = 25 %.
    for (sort, want) in [
        ("name", "ABC"),
        ("-name", "CBA"),
        ("food_cost", "ACB"),
        ("-food_cost", "BCA"),
        ("price", "CAB"),
        ("-margin", "ABC"),
    ] {
        let (status, html) = page(&web, &app, &format!("/menu?sort={sort}")).await;
        assert_eq!(status, StatusCode::OK);
        let table = &html[html.find(r#"id="menu""#).unwrap()..];
        assert_eq!(rank(order(table)), want, "{sort}");
    }
    let (_, html) = page(&web, &app, "/menu").await;
    assert!(html.contains("20.0%") && html.contains("£4.00"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_add_members_change_roles_and_deactivate_them_on_the_members_page() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Team").await;
    let web = logged_in(&app, &t.email).await;
    let email = format!("cook-{}@example.com", uuid::Uuid::now_v7().simple());
    let res = post_form(
        &web,
        &app,
        "/members",
        &[
            ("name", "Cook"),
            ("email", &email),
            ("password", "kitchen password 9"),
            ("role", "staff"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, html) = page(&web, &app, "/members").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&email) && html.contains("Cook"), "{html}");
    let members: Value = app
        .get("/api/v1/members", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let cook = members["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email.as_str())
        .unwrap()
        .clone();
    let id = cook["user_id"].as_str().unwrap();
    assert_eq!(cook["role"], "staff");
    assert_eq!(
        post_form(
            &web,
            &app,
            &format!("/members/{id}/role"),
            &[("role", "manager")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_form(
            &web,
            &app,
            &format!("/members/{id}/active"),
            &[("active", "false")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let members: Value = app
        .get("/api/v1/members", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let cook = members["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (cook["role"].clone(), cook["active"].clone()),
        (json!("manager"), json!(false))
    );
    // The last owner cannot be demoted: the page says why (409).
    let me: Value = app
        .get("/api/v1/auth/me", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let res = post_form(
        &web,
        &app,
        &format!("/members/{}/role", me["user_id"].as_str().unwrap()),
        &[("role", "staff")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("last active owner"));
    // A short password is refused naming the field.
    let res = post_form(
        &web,
        &app,
        "/members",
        &[
            ("name", "Short"),
            ("email", "short@example.com"),
            ("password", "x"),
            ("role", "staff"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("password: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retired_things_leave_the_pages_lists_but_forms_that_use_them_keep_them() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Retired Pages").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let dish = app.dish(&t, "Rice bowl", &rice, "150").await;
    let m: Value = app
        .get(&format!("/api/v1/menu-items/{dish}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    let recipe = m["recipe_id"].as_str().unwrap().to_owned();
    let web = logged_in(&app, &t.email).await;
    assert_eq!(
        post_form(&web, &app, &format!("/items/{rice}/retire"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_form(&web, &app, &format!("/recipes/{recipe}/retire"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = page(&web, &app, "/items").await;
    assert!(!html.contains(">Rice<"), "{html}");
    let (_, html) = page(&web, &app, &format!("/items/{rice}")).await;
    assert!(html.contains(r#"id="retired""#), "{html}");
    let (_, html) = page(&web, &app, "/recipes/new").await;
    assert!(!html.contains(&format!("item:{rice}")), "{html}");
    // The recipe still names its retired item, and the menu item its retired recipe.
    let (_, html) = page(&web, &app, &format!("/recipes/{recipe}/edit")).await;
    assert!(
        html.contains(&format!(r#"value="item:{rice}" selected"#)) && html.contains("retired"),
        "{html}"
    );
    let (_, html) = page(&web, &app, &format!("/menu-items/{dish}/edit")).await;
    assert!(
        html.contains(&format!(r#"value="{recipe}" selected"#)),
        "{html}"
    );
    // Saved as shown, the menu item keeps its recipe.
    let form = [
        ("version", "1"),
        ("name", "Rice bowl"),
        ("category", ""),
        ("recipe_id", recipe.as_str()),
        ("portion", "1"),
        ("price", "3.50"),
    ];
    assert_eq!(
        post_form(&web, &app, &format!("/menu-items/{dish}"), &form)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let m: Value = app
        .get(&format!("/api/v1/menu-items/{dish}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (m["recipe_id"].as_str(), m["cost"].as_str()),
        (Some(recipe.as_str()), Some("0.30"))
    );
    assert_eq!(
        post_form(&web, &app, &format!("/menu-items/{dish}/retire"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = page(&web, &app, "/menu").await;
    assert!(!html.contains("Rice bowl"), "{html}");
}
