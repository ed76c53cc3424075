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
    lines_are_fired_to_finish_together_and_shifts_gate_the_eta,
    subtasks_recalls_and_stations_that_cannot_make_an_order,
    a_ready_order_depletes_its_recipes_once_and_cancelling_reverses_it,
);

/// How many events of `kind` the tenant has recorded.
async fn events_of(app: &TestApp, t: &Tenant, kind: &str) -> usize {
    let batch = json_of(
        app.get(&format!("/api/v1/events?type={kind}&limit=500"), &t.token)
            .await,
    )
    .await;
    batch["data"].as_array().unwrap().len()
}

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
    let changes = events_of(&app, &t, "kitchen.task_changed").await;
    assert_eq!(changes, 1);
    let tap = json_of(bump(&app, &t, stretch_id, "started").await).await;
    assert_eq!(tap["moved"], false);
    assert_eq!(
        events_of(&app, &t, "kitchen.task_changed").await,
        changes,
        "nothing recorded"
    );
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
    assert_eq!(queue["tasks"][0]["item_name"], "Garlic naan");
    assert_eq!(queue["tasks"][0]["modifiers"], json!(["extra butter"]));
    assert_eq!(
        queue["tasks"][0]["subtasks"][0]["name"],
        "Brush garlic butter"
    );
    assert_eq!(queue["all_day"], json!({"Garlic naan": 2}));

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
    // The dashboard: one order ready, well ahead of its 340 s quote.
    let board = json_of(
        app.get(
            &format!("/api/v1/kitchen/dashboard?location_id={}", t.location_id),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(board["orders_ready"], 1, "{board}");
    assert_eq!(board["open_orders"]["ready"], 1);
    assert_eq!(board["open_orders"]["new"], 0);
    let error = board["accuracy"]["bias_secs"].as_i64().unwrap();
    assert!((-340..=-320).contains(&error), "{board}");
    assert_eq!(
        board["accuracy"]["mean_abs_error_secs"].as_i64().unwrap(),
        -error
    );
    assert_eq!(board["accuracy"]["within_5_min"], 0);
    assert_eq!(board["accuracy_by_day"][0]["channel"], "phone");
    assert_eq!(board["accuracy_by_day"][0]["orders"], 1);
    assert_eq!(board["prep_mean_secs"], board["prep_p90_secs"]);
    assert_eq!(board["bottleneck"], Value::Null, "no work left");
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
    // The second order waits behind the first's stretch at the one-slot tandoor: 60 + 170 s.
    assert_eq!(
        secs_between(&urgent["created_at"], &urgent["predicted_ready_at"]),
        230
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
        format!("/api/v1/shifts/today?location_id={}", t.location_id),
        format!("/api/v1/kitchen/dashboard?location_id={}", t.location_id),
        format!(
            "/api/v1/task-log?location_id={}&from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z",
            t.location_id
        ),
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
    let cancels = events_of(&app, &t, "kitchen.order_cancelled").await;
    assert_eq!(cancels, 1);
    let again = json_of(
        app.post(
            &format!("/api/v1/orders/{oid}/cancel"),
            Some(&t.token),
            &json!({"reason": "twice"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        events_of(&app, &t, "kitchen.order_cancelled").await,
        cancels
    );
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

async fn lines_are_fired_to_finish_together_and_shifts_gate_the_eta(app: TestApp) {
    let t = app.register("Curry House").await;
    let (tandoor, pass, naan, _) = naan_kitchen(&app, &t).await;
    let stations = format!("/api/v1/locations/{}/stations", t.location_id);
    created(
        &app,
        &t,
        &stations,
        &json!({"name": "Curry range", "station_types": ["curry"], "capacity": 2}),
    )
    .await;
    let dal = created(
        &app,
        &t,
        "/api/v1/menu-items",
        &json!({"name": "Dal makhani", "category": "Curries", "price": "7.95"}),
    )
    .await;
    created(&app, &t, "/api/v1/workflow-templates", &json!({"name": "Curries", "category": "Curries", "phases": [
        {"name": "cook", "tasks": [{"key": "simmer", "name": "Simmer", "station_type": "curry", "estimate_secs": 600}]}]})).await;
    let orders = format!("/api/v1/locations/{}/orders", t.location_id);
    // A 170 s naan and a 600 s dal: the naan is held 430 s so both reach the pass together.
    let order = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "phone", "lines": [
        {"menu_item_id": naan, "quantity": 1}, {"menu_item_id": id(&dal), "quantity": 1}]}),
    )
    .await;
    assert_eq!(
        secs_between(&order["created_at"], &order["predicted_ready_at"]),
        600
    );
    let stretch = task(&order, "stretch");
    assert_eq!(
        secs_between(&order["created_at"], &stretch["fire_at"]),
        430,
        "{order}"
    );
    assert_eq!(task(&order, "simmer")["fire_at"], Value::Null);
    // The held naan waits behind the work that may start now.
    let other = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "in_store", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
    )
    .await;
    let queue = json_of(
        app.get(&format!("/api/v1/stations/{tandoor}/queue"), &t.token)
            .await,
    )
    .await;
    let first: Vec<&Value> = queue["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| &q["order_id"])
        .collect();
    assert_eq!(first, [&other["id"], &order["id"]], "{queue}");
    // A drink without a workflow is ready at once.
    let lassi = created(
        &app,
        &t,
        "/api/v1/menu-items",
        &json!({"name": "Mango lassi", "price": "2.50"}),
    )
    .await;
    let drink = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "in_store", "lines": [{"menu_item_id": id(&lassi), "quantity": 2}]}),
    )
    .await;
    assert_eq!(drink["status"], "ready");
    assert_eq!(drink["tasks"], json!([]));

    // Shifts: the tandoor is staffed now, the pass from an hour on; the quote waits for it.
    let me = json_of(app.get("/api/v1/auth/me", &t.token).await).await;
    let user = me["user_id"].as_str().unwrap();
    let now = chrono::Utc::now();
    let at = |mins: i64| (now + chrono::Duration::minutes(mins)).to_rfc3339();
    let shifts = format!("/api/v1/locations/{}/shifts", t.location_id);
    for (station, from, to) in [(&tandoor, -5, 480), (&pass, 60, 540)] {
        created(&app, &t, &shifts, &json!({"station_id": station, "user_id": user, "starts_at": at(from), "ends_at": at(to)})).await;
    }
    let res = app
        .post(
            &shifts,
            Some(&t.token),
            &json!({"station_id": tandoor, "user_id": user, "starts_at": at(10), "ends_at": at(5)}),
        )
        .await;
    assert_eq!(json_of(res).await["field"], "ends_at");
    let res = app.post(&shifts, Some(&t.token), &json!({"station_id": tandoor, "user_id": user, "starts_at": at(61 * 24 * 60), "ends_at": at(61 * 24 * 60 + 60)})).await;
    assert_eq!(json_of(res).await["field"], "starts_at");
    let today = json_of(
        app.get(
            &format!("/api/v1/shifts/today?location_id={}", t.location_id),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(today["plans_shifts"], true);
    assert_eq!(today["shifts"].as_array().unwrap().len(), 2);
    let crew: Vec<(Value, usize)> = today["on_now"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["station_id"].clone(),
                c["user_ids"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert!(
        crew.contains(&(json!(tandoor), 1)) && crew.contains(&(json!(pass), 0)),
        "{today}"
    );
    // The box waits for the pass's shift: an hour from now, then 20 s.
    let late = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "phone", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
    )
    .await;
    let quoted = secs_between(&late["created_at"], &late["predicted_ready_at"]);
    assert!((3615..=3620).contains(&quoted), "{quoted} s: {late}");

    // The task log: every state change, as pages and as CSV.
    let stretch_id = task(&late, "stretch")["id"].as_str().unwrap().to_owned();
    assert_eq!(
        bump(&app, &t, &stretch_id, "started").await.status(),
        StatusCode::OK
    );
    let period = format!(
        "location_id={}&from={}&to={}",
        t.location_id,
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ")
    );
    let log = json_of(
        app.get(&format!("/api/v1/task-log?{period}&limit=500"), &t.token)
            .await,
    )
    .await;
    let entries = log["data"].as_array().unwrap();
    // Queued at creation: each naan's stretch (3) and the dal's simmer; then the start.
    assert_eq!(entries.len(), 5, "{log}");
    let last = entries.last().unwrap();
    assert_eq!(
        (&last["task_id"], &last["from_status"], &last["to_status"]),
        (&json!(stretch_id), &json!("ready"), &json!("started"))
    );
    let res = app
        .get(&format!("/api/v1/task-log/export?{period}"), &t.token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,task_id,order_id,location_id,station_id,from_status,to_status,actor"
    );
    assert_eq!(lines.len(), 6);
    assert!(
        lines[5].contains(&stretch_id) && lines[5].contains(",ready,started,"),
        "{csv}"
    );
}

async fn subtasks_recalls_and_stations_that_cannot_make_an_order(app: TestApp) {
    let t = app.register("Raita Bar").await;
    let (_, pass, naan, _) = naan_kitchen(&app, &t).await;
    let raita = created(
        &app,
        &t,
        "/api/v1/menu-items",
        &json!({"name": "Raita", "category": "Sides", "price": "2"}),
    )
    .await;
    created(&app, &t, "/api/v1/workflow-templates", &json!({"name": "Sides", "category": "Sides", "phases": [
        {"name": "plate", "tasks": [{"key": "mix", "name": "Mix raita", "station_type": "pass", "estimate_secs": 30,
            "subtasks": [{"name": "Add mint"}, {"name": "Dust cumin", "optional": true}]}]}]})).await;
    let orders = format!("/api/v1/locations/{}/orders", t.location_id);
    let order = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "in_store", "lines": [{"menu_item_id": id(&raita), "quantity": 1}]}),
    )
    .await;
    let mix = task(&order, "mix")["id"].as_str().unwrap().to_owned();
    assert_eq!(
        bump(&app, &t, &mix, "started").await.status(),
        StatusCode::OK
    );
    // The mint is not optional: not done before it is ticked off.
    let res = bump(&app, &t, &mix, "done").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        json_of(res).await["detail"]
            .as_str()
            .unwrap()
            .contains("'Add mint'")
    );
    let step = format!("/api/v1/tasks/{mix}/subtasks/0");
    let ticked = json_of(app.put(&step, &t.token, &json!({"done": true})).await).await;
    assert_eq!(ticked["task"]["subtasks"][0]["done"], true);
    let again = json_of(app.put(&step, &t.token, &json!({"done": true})).await).await;
    assert_eq!(again["moved"], false);
    let res = app
        .put(
            &format!("/api/v1/tasks/{mix}/subtasks/5"),
            &t.token,
            &json!({"done": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let done = json_of(bump(&app, &t, &mix, "done").await).await;
    assert_eq!(done["order"]["status"], "ready");

    // A recall takes back the queued task it let through, and is refused once that started.
    let bread = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "in_store", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
    )
    .await;
    let stretch = task(&bread, "stretch")["id"].as_str().unwrap().to_owned();
    let bake = task(&bread, "bake")["id"].as_str().unwrap().to_owned();
    for s in ["started", "done"] {
        assert_eq!(bump(&app, &t, &stretch, s).await.status(), StatusCode::OK);
    }
    let recalled = json_of(bump(&app, &t, &stretch, "started").await).await;
    assert_eq!(recalled["moved"], true);
    let now = json_of(
        app.get(&format!("/api/v1/orders/{}", id(&bread)), &t.token)
            .await,
    )
    .await;
    assert_eq!(
        (
            &task(&now, "bake")["status"],
            &task(&now, "bake")["station_id"]
        ),
        (&json!("waiting"), &Value::Null)
    );
    assert_eq!(
        bump(&app, &t, &stretch, "done").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        bump(&app, &t, &bake, "started").await.status(),
        StatusCode::OK
    );
    let res = bump(&app, &t, &stretch, "started").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        json_of(res).await["detail"]
            .as_str()
            .unwrap()
            .contains("'Bake'")
    );
    // Blocked with a reason, then unblocked: back in the queue, no start kept.
    let res = app
        .post(
            &format!("/api/v1/tasks/{bake}/status"),
            Some(&t.token),
            &json!({"status": "blocked", "reason": "oven down"}),
        )
        .await;
    assert_eq!(json_of(res).await["task"]["blocked_reason"], "oven down");
    let res = json_of(bump(&app, &t, &bake, "ready").await).await;
    assert_eq!(
        (
            &res["task"]["status"],
            &res["task"]["started_at"],
            &res["task"]["blocked_reason"]
        ),
        (&json!("ready"), &Value::Null, &Value::Null)
    );

    // The pass switched off: an order that needs it later on is refused, naming the task.
    let current = app.get(&format!("/api/v1/stations/{pass}"), &t.token).await;
    let version = current.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/stations/{pass}")))
        .bearer_auth(&t.token)
        .header("If-Match", &version)
        .json(&json!({"name": "Pass", "station_types": ["pass"], "capacity": 2, "active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await["active"], false);
    let res = app
        .post(
            &orders,
            Some(&t.token),
            &json!({"channel": "phone", "lines": [{"menu_item_id": naan, "quantity": 1}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json_of(res).await;
    assert_eq!(problem["field"], "lines[0].menu_item_id");
    assert!(
        problem["detail"].as_str().unwrap().contains("'Box'"),
        "{problem}"
    );
    let list = json_of(app.get(&orders, &t.token).await).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        2,
        "nothing was taken"
    );
}

async fn a_ready_order_depletes_its_recipes_once_and_cancelling_reverses_it(app: TestApp) {
    let t = app.register("Dough Works").await;
    naan_kitchen(&app, &t).await;
    let flour = app.create_item(&t, "Atta flour", "g", "0.002").await;
    assert_eq!(
        app.adjust(&t, &flour, "1000", "receipt").await.status(),
        StatusCode::CREATED
    );
    let recipe = created(
        &app,
        &t,
        "/api/v1/recipes",
        &json!({"name": "Naan dough", "yield_quantity": "1", "yield_unit": "ea",
        "lines": [{"item_id": flour, "quantity": "100", "unit": "g"}]}),
    )
    .await;
    let naan = created(&app, &t, "/api/v1/menu-items", &json!({"name": "Butter naan", "category": "Breads", "price": "3", "recipe_id": id(&recipe)})).await;
    let orders = format!("/api/v1/locations/{}/orders", t.location_id);
    let finish = |order: Value| {
        let app = &app;
        let t = &t;
        async move {
            for key in ["stretch", "bake", "box"] {
                let task_id = task(&order, key)["id"].as_str().unwrap().to_owned();
                for status in ["started", "done"] {
                    assert_eq!(
                        bump(app, t, &task_id, status).await.status(),
                        StatusCode::OK,
                        "{key} {status}"
                    );
                }
            }
        }
    };
    let two = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "phone", "lines": [{"menu_item_id": id(&naan), "quantity": 2}]}),
    )
    .await;
    finish(two.clone()).await;
    assert_eq!(app.on_hand(&t, &flour).await, "800.000", "2 naans x 100 g");
    // A recalled and re-bumped box: ready again, nothing more taken.
    let boxing = task(&two, "box")["id"].as_str().unwrap().to_owned();
    for status in ["started", "done"] {
        assert_eq!(
            bump(&app, &t, &boxing, status).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(app.on_hand(&t, &flour).await, "800.000");
    let sale = json_of(
        app.get(&format!("/api/v1/sales/{}", id(&two)), &t.token)
            .await,
    )
    .await;
    assert_eq!(sale["source"], "kitchen", "{sale}");
    // A ready order cancelled: what it took goes back, once.
    let one = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "phone", "lines": [{"menu_item_id": id(&naan), "quantity": 1}]}),
    )
    .await;
    finish(one.clone()).await;
    assert_eq!(app.on_hand(&t, &flour).await, "700.000");
    let cancel = format!("/api/v1/orders/{}/cancel", id(&one));
    let res = app
        .post(
            &cancel,
            Some(&t.token),
            &json!({"reason": "dropped on the floor"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.on_hand(&t, &flour).await, "800.000");
    let res = app
        .post(&cancel, Some(&t.token), &json!({"reason": "again"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.on_hand(&t, &flour).await, "800.000");
    // A recipe edit dated before both sales re-depletes the kept one (2 x 150 g) and leaves
    // the cancelled one given back.
    let from = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let res = app
        .put(&format!("/api/v1/recipes/{}", id(&recipe)), &t.token,
             &json!({"name": "Naan dough", "yield_quantity": "1", "yield_unit": "ea", "effective_from": from,
                     "lines": [{"item_id": flour, "quantity": "150", "unit": "g"}]}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(app.on_hand(&t, &flour).await, "700.000");
    // An order cancelled before it was made took nothing and gives nothing back.
    let early = created(
        &app,
        &t,
        &orders,
        &json!({"channel": "phone", "lines": [{"menu_item_id": id(&naan), "quantity": 3}]}),
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/orders/{}/cancel", id(&early)),
            Some(&t.token),
            &json!({"reason": "changed mind"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.on_hand(&t, &flour).await, "700.000");
}
