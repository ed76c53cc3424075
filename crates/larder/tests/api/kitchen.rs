//! Kitchen operations (issue 11; ADR 030-032), on both backends: stations, workflow templates
//! refused with a 422 naming the task, an order taken once per idempotency key, numbered per
//! day, its tasks queued at stations and its ready time quoted from the critical path; bumps
//! (a double tap is one transition, 409 before the dependencies are done), the order following
//! its tasks, queues ordered by priority, template versions kept by orders in flight,
//! cancellation, and another tenant's ids 404.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    an_order_is_taken_once_queued_at_its_stations_and_bumped_to_ready,
    a_workflow_with_a_cycle_a_missing_task_or_an_unknown_station_type_is_422_naming_it,
    queues_follow_priority_and_orders_keep_their_template_version,
    cancelling_stops_the_work_and_another_tenants_ids_are_404,
);

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

async fn created(app: &TestApp, t: &Tenant, path: &str, body: &Value) -> Value {
    let res = app.post(path, Some(&t.token), body).await;
    let status = res.status();
    let body = json_of(res).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A tandoor (one at a time) and a pass (two at a time) at `t`'s location, the menu item
/// "Garlic naan" (Breads, 3.50) and the Breads template: stretch (tandoor, 60 s), bake
/// (tandoor, 90 s), box (pass, 20 s), one per phase. Returns the two stations, the menu item
/// and the template.
async fn naan_kitchen(app: &TestApp, t: &Tenant) -> (String, String, String, String) {
    let stations = format!("/api/v1/locations/{}/stations", t.location_id);
    let tandoor = created(
        app,
        t,
        &stations,
        &json!({"name": "Tandoor", "station_types": ["tandoor"], "capacity": 1}),
    )
    .await;
    assert_eq!(tandoor["active"], true);
    let pass = created(
        app,
        t,
        &stations,
        &json!({"name": "Pass", "station_types": ["pass", "pass"], "capacity": 2}),
    )
    .await;
    assert_eq!(pass["station_types"], json!(["pass"]));
    let naan = created(
        app,
        t,
        "/api/v1/menu-items",
        &json!({"name": "Garlic naan", "category": "Breads", "price": "3.50"}),
    )
    .await;
    let template = created(app, t, "/api/v1/workflow-templates", &breads("Breads", 60)).await;
    assert_eq!(template["current_version"], 1);
    (id(&tandoor), id(&pass), id(&naan), id(&template))
}

fn breads(name: &str, stretch_secs: i64) -> Value {
    json!({"name": name, "category": "Breads", "phases": [
        {"name": "prep", "tasks": [{"key": "stretch", "name": "Stretch dough", "station_type": "tandoor", "estimate_secs": stretch_secs,
                                    "subtasks": [{"name": "Brush garlic butter", "optional": true}]}]},
        {"name": "cook", "tasks": [{"key": "bake", "name": "Bake", "station_type": "tandoor", "estimate_secs": 90}]},
        {"name": "pass", "tasks": [{"key": "box", "name": "Box", "station_type": "pass", "estimate_secs": 20}]},
    ]})
}

fn task<'a>(order: &'a Value, key: &str) -> &'a Value {
    order["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task_key"] == key)
        .unwrap_or_else(|| panic!("no task {key} in {order}"))
}

async fn bump(app: &TestApp, t: &Tenant, task: &str, status: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/tasks/{task}/status"),
        Some(&t.token),
        &json!({"status": status}),
    )
    .await
}

fn secs_between(a: &Value, b: &Value) -> i64 {
    let t = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    (t(b) - t(a)).num_seconds()
}

async fn an_order_is_taken_once_queued_at_its_stations_and_bumped_to_ready(app: TestApp) {
    let t = app.register("Naan House").await;
    let (tandoor, pass, naan, template) = naan_kitchen(&app, &t).await;
    let orders = format!("/api/v1/locations/{}/orders", t.location_id);
    let body = json!({"channel": "phone", "customer_name": "Asha", "customer_phone": "07700 900123",
                      "lines": [{"menu_item_id": naan, "quantity": 2, "modifiers": ["extra butter"]}]});
    let first = app.post_with_key(&orders, &t.token, "order-1", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let order = json_of(first).await;
    assert_eq!(order["number"], 1);
    assert_eq!(order["status"], "new");
    assert_eq!(order["lines"][0]["unit_price"], "3.50");
    assert_eq!(order["lines"][0]["modifiers"], json!(["extra butter"]));
    assert_eq!(order["lines"][0]["template_id"], template.as_str());
    assert_eq!(order["lines"][0]["template_version"], 1);
    // One task set per line, estimates times the quantity; only the first can start.
    let (stretch, bake, boxing) = (
        task(&order, "stretch"),
        task(&order, "bake"),
        task(&order, "box"),
    );
    assert_eq!(
        [
            &stretch["estimate_secs"],
            &bake["estimate_secs"],
            &boxing["estimate_secs"]
        ],
        [&json!(120), &json!(180), &json!(40)]
    );
    assert_eq!(stretch["status"], "ready");
    assert_eq!(stretch["station_id"], tandoor.as_str());
    assert_eq!(bake["status"], "waiting");
    assert_eq!(bake["depends_on"], json!([stretch["id"]]));
    assert_eq!(boxing["depends_on"], json!([bake["id"]]));
    // Empty stations, nobody planned on shift: the quote is the critical path, 340 s.
    assert_eq!(
        secs_between(&order["created_at"], &order["predicted_ready_at"]),
        340
    );
    assert_eq!(order["eta_at"], order["predicted_ready_at"]);
    assert_eq!(order["eta_problem"], Value::Null);

    // The same key again: the first order, no second one.
    let again = app.post_with_key(&orders, &t.token, "order-1", &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(json_of(again).await["id"], order["id"]);
    let list = json_of(app.get(&orders, &t.token).await).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Baking before the dough is stretched: 409 naming it.
    let res = bump(&app, &t, bake["id"].as_str().unwrap(), "started").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let problem = json_of(res).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("'Stretch dough'"),
        "{problem}"
    );

    // Bump, and a double tap: one transition.
    let stretch_id = stretch["id"].as_str().unwrap();
    let res = json_of(bump(&app, &t, stretch_id, "started").await).await;
    assert_eq!(res["moved"], true);
    assert_eq!(res["task"]["status"], "started");
    assert_eq!(res["order"]["status"], "preparing");
    let tap = json_of(bump(&app, &t, stretch_id, "started").await).await;
    assert_eq!(tap["moved"], false);
    assert_eq!(tap["task"]["version"], res["task"]["version"]);
    assert_eq!(tap["order"]["version"], res["order"]["version"]);
    let queue = json_of(
        app.get(&format!("/api/v1/stations/{tandoor}/queue"), &t.token)
            .await,
    )
    .await;
    assert_eq!(queue["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(queue["tasks"][0]["status"], "started");
    assert_eq!(queue["tasks"][0]["order_number"], 1);

    // Done: the bake is queued at the tandoor.
    let done = json_of(bump(&app, &t, stretch_id, "done").await).await;
    assert_eq!(done["queued"].as_array().unwrap().len(), 1);
    assert_eq!(done["queued"][0]["id"], bake["id"]);
    assert_eq!(done["queued"][0]["station_id"], tandoor.as_str());
    for (key, station) in [("bake", &tandoor), ("box", &pass)] {
        let o = json_of(
            app.get(
                &format!("/api/v1/orders/{}", order["id"].as_str().unwrap()),
                &t.token,
            )
            .await,
        )
        .await;
        let task_id = task(&o, key)["id"].as_str().unwrap().to_owned();
        assert_eq!(task(&o, key)["station_id"], station.as_str(), "{key}");
        for status in ["started", "done"] {
            let res = bump(&app, &t, &task_id, status).await;
            assert_eq!(res.status(), StatusCode::OK, "{key} {status}");
        }
    }
    let o = json_of(
        app.get(
            &format!("/api/v1/orders/{}", order["id"].as_str().unwrap()),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(o["status"], "ready");
    assert!(o["ready_at"].is_string());
    assert_eq!(
        o["predicted_ready_at"], order["predicted_ready_at"],
        "the quote is kept"
    );
    assert!(
        o["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "done")
    );
    // A recalled ticket reopens the order.
    let boxing_id = task(&o, "box")["id"].as_str().unwrap().to_owned();
    let recalled = json_of(bump(&app, &t, &boxing_id, "started").await).await;
    assert_eq!(recalled["order"]["status"], "preparing");
    assert_eq!(recalled["order"]["ready_at"], Value::Null);

    // The next order of the day is number 2.
    let second = app
        .post(
            &orders,
            Some(&t.token),
            &json!({"channel": "in_store", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
        )
        .await;
    assert_eq!(json_of(second).await["number"], 2);
}

async fn a_workflow_with_a_cycle_a_missing_task_or_an_unknown_station_type_is_422_naming_it(
    app: TestApp,
) {
    let t = app.register("Strict Kitchen").await;
    naan_kitchen(&app, &t).await;
    let task = |key: &str, station: &str, deps: &[&str]| json!({"key": key, "name": key.to_uppercase(), "station_type": station, "estimate_secs": 60, "depends_on": deps});
    for (tasks, field, says) in [
        (
            vec![task("a", "tandoor", &["b"]), task("b", "tandoor", &["a"])],
            "phases[0].tasks[0]",
            "cycle",
        ),
        (
            vec![task("a", "tandoor", &[]), task("b", "tandoor", &["ghost"])],
            "phases[0].tasks[1]",
            "'ghost'",
        ),
        (
            vec![task("a", "tandoor", &[]), task("grill", "grill", &[])],
            "phases[0].tasks[1]",
            "'grill'",
        ),
    ] {
        let body = json!({"name": "Bad", "category": "Curries", "phases": [{"name": "cook", "tasks": tasks}]});
        let res = app
            .post("/api/v1/workflow-templates", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem = json_of(res).await;
        assert_eq!(problem["field"], field, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{problem}"
        );
    }
    // Both a menu item and a category, and a station type that is not a code.
    let res = app
        .post("/api/v1/workflow-templates", Some(&t.token), &json!({"name": "Both", "category": "Curries", "menu_item_id": "0190c0de-0000-7000-8000-000000000000",
              "phases": [{"name": "cook", "tasks": [task("a", "tandoor", &[])]}]}))
        .await;
    assert_eq!(json_of(res).await["field"], "menu_item_id");
    let res = app
        .post(
            "/api/v1/workflow-templates",
            Some(&t.token),
            &json!({"name": "Caps", "category": "Curries",
              "phases": [{"name": "cook", "tasks": [task("a", "Tandoor", &[])]}]}),
        )
        .await;
    assert_eq!(
        json_of(res).await["field"],
        "phases[0].tasks[0].station_type"
    );
    // A second active template for Breads: 409 on the category.
    let res = app
        .post(
            "/api/v1/workflow-templates",
            Some(&t.token),
            &breads("Breads again", 60),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(res).await["field"], "category");
    // Nothing was written.
    let all = json_of(app.get("/api/v1/workflow-templates", &t.token).await).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
}

async fn queues_follow_priority_and_orders_keep_their_template_version(app: TestApp) {
    let t = app.register("Busy Tandoor").await;
    let (tandoor, _, naan, template) = naan_kitchen(&app, &t).await;
    let orders = format!("/api/v1/locations/{}/orders", t.location_id);
    let normal = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "online", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
    )
    .await;
    let urgent = created(&app, &t, &orders, &json!({"channel": "phone", "priority": "urgent", "lines": [{"menu_item_id": naan, "quantity": 1}]})).await;
    // The second order waits behind the first's work at the one-slot tandoor.
    assert!(
        secs_between(&urgent["created_at"], &urgent["predicted_ready_at"]) > 170,
        "{urgent}"
    );
    let queue = json_of(
        app.get(&format!("/api/v1/stations/{tandoor}/queue"), &t.token)
            .await,
    )
    .await;
    let numbers: Vec<&Value> = queue["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| &q["order_number"])
        .collect();
    assert_eq!(numbers, [&json!(2), &json!(1)], "urgent first: {queue}");
    assert_eq!(queue["assigned_secs"], 120);
    assert_eq!(queue["load_percent"], 13, "120 s of 900 s, half to even");

    // New phases are version 2; the orders in flight keep version 1 and their tasks.
    let current = app
        .get(&format!("/api/v1/workflow-templates/{template}"), &t.token)
        .await;
    let etag = current.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/workflow-templates/{template}")))
        .bearer_auth(&t.token)
        .header("If-Match", &etag)
        .json(&breads("Breads", 45))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v2 = json_of(res).await;
    assert_eq!(v2["current_version"], 2);
    let stale = app
        .client
        .put(app.url(&format!("/api/v1/workflow-templates/{template}")))
        .bearer_auth(&t.token)
        .header("If-Match", &etag)
        .json(&breads("Breads", 30))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let old = json_of(
        app.get(
            &format!("/api/v1/workflow-templates/{template}?version=1"),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(old["phases"][0]["tasks"][0]["estimate_secs"], 60);
    let kept = json_of(
        app.get(&format!("/api/v1/orders/{}", id(&normal)), &t.token)
            .await,
    )
    .await;
    assert_eq!(kept["lines"][0]["template_version"], 1);
    assert_eq!(task(&kept, "stretch")["estimate_secs"], 60);
    let third = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "online", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
    )
    .await;
    assert_eq!(third["lines"][0]["template_version"], 2);
    assert_eq!(task(&third, "stretch")["estimate_secs"], 45);
}

async fn cancelling_stops_the_work_and_another_tenants_ids_are_404(app: TestApp) {
    let t = app.register("Cancel Kitchen").await;
    let other = app.register("Other Kitchen").await;
    let (tandoor, _, naan, template) = naan_kitchen(&app, &t).await;
    let orders = format!("/api/v1/locations/{}/orders", t.location_id);
    let order = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "phone", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
    )
    .await;
    let stretch = task(&order, "stretch")["id"].as_str().unwrap().to_owned();
    assert_eq!(
        bump(&app, &t, &stretch, "started").await.status(),
        StatusCode::OK
    );
    // Blocking needs a reason.
    let res = bump(&app, &t, &stretch, "blocked").await;
    assert_eq!(json_of(res).await["field"], "reason");

    // Another tenant sees none of it and cannot order this tenant's dishes.
    let oid = id(&order);
    for path in [
        format!("/api/v1/orders/{oid}"),
        format!("/api/v1/stations/{tandoor}"),
        format!("/api/v1/stations/{tandoor}/queue"),
        format!("/api/v1/workflow-templates/{template}"),
        format!("/api/v1/locations/{}/orders", t.location_id),
    ] {
        assert_eq!(
            app.get(&path, &other.token).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let res = app
        .post(
            &format!("/api/v1/tasks/{stretch}/status"),
            Some(&other.token),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(
            &format!("/api/v1/orders/{oid}/cancel"),
            Some(&other.token),
            &json!({"reason": "spite"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let theirs = format!("/api/v1/locations/{}/orders", other.location_id);
    let res = app
        .post(
            &theirs,
            Some(&other.token),
            &json!({"channel": "phone", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(
            &format!("/api/v1/locations/{}/stations", other.location_id),
            Some(&t.token),
            &json!({"name": "Mine", "station_types": ["grill"], "capacity": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Cancelling: the started task and those waiting are cancelled; again: as it is.
    let res = app
        .post(
            &format!("/api/v1/orders/{oid}/cancel"),
            Some(&t.token),
            &json!({"reason": "customer called back"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cancelled = json_of(res).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "customer called back");
    assert!(
        cancelled["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "cancelled"),
        "{cancelled}"
    );
    let again = json_of(
        app.post(
            &format!("/api/v1/orders/{oid}/cancel"),
            Some(&t.token),
            &json!({"reason": "twice"}),
        )
        .await,
    )
    .await;
    assert_eq!(again["version"], cancelled["version"]);
    assert_eq!(again["cancel_reason"], "customer called back");
    let res = bump(&app, &t, &stretch, "done").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let queue = json_of(
        app.get(&format!("/api/v1/stations/{tandoor}/queue"), &t.token)
            .await,
    )
    .await;
    assert_eq!(queue["tasks"], json!([]));
    // A changed order after cancelling: 409.
    let res = app
        .put(
            &format!("/api/v1/orders/{oid}"),
            &t.token,
            &json!({"priority": "high"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}
