//! Stock counts over HTTP on both backends (issue 9, item 2; ADR 019): a full count taken
//! while the kitchen trades (movements before and after each counted instant), two counters,
//! an amount in packs and units, a recount, a line off the sheet, variance against book stock
//! at the counted instant, approval posting counted minus book once (a stale If-Match 412, a
//! second approval the same answer); a blind count hiding book stock from staff; a cycle count
//! whose uncounted item is zeroed on request; bad input naming the field; another tenant's ids.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use larder_core::{ItemId, LocationId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    a_count_while_trading_posts_counted_minus_book_at_each_counted_instant_once,
    blind_and_cycle_counts_hide_book_stock_zero_on_request_and_refuse_bad_input,
    a_count_done_on_paper_is_recorded_later_at_its_own_instants,
);

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

/// Storage areas through their endpoints: each area created at `t`'s location
/// (`POST /locations/{id}/storage-areas`) with its items in shelf order
/// (`PUT /storage-areas/{id}/items`), then the location's walking order set by position
/// (`PUT /locations/{id}/storage-areas/order`); the areas' ids, in the order given.
pub(crate) async fn areas(
    app: &TestApp,
    t: &Tenant,
    layout: &[(&str, i32, &[&str])],
) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, _, items) in layout {
        let res = app
            .post(
                &format!("/api/v1/locations/{}/storage-areas", t.location_id),
                Some(&t.token),
                &json!({"name": name}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
        let id = json_of(res).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let res = app
            .put(
                &format!("/api/v1/storage-areas/{id}/items"),
                &t.token,
                &json!({"item_ids": items}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
        ids.push(id);
    }
    let mut walk: Vec<(i32, &String)> = layout.iter().map(|(_, p, _)| *p).zip(&ids).collect();
    walk.sort_by_key(|(p, _)| *p);
    let order: Vec<&String> = walk.into_iter().map(|(_, id)| id).collect();
    let res = app
        .put(
            &format!("/api/v1/locations/{}/storage-areas/order", t.location_id),
            &t.token,
            &json!({"ids": order}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    ids
}

async fn item_with_sack(app: &TestApp, t: &Tenant, name: &str, cost: &str) -> String {
    let res = app
        .post(
            "/api/v1/items",
            Some(&t.token),
            &json!({"name": name, "base_unit": "g", "unit_cost": cost,
                    "pack_sizes": [{"name": "sack", "quantity": "10000"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    json_of(res).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A movement by hand at `at`: `kind` opening, waste (positive amounts) or adjustment.
async fn moved(app: &TestApp, t: &Tenant, item: &str, qty: &str, kind: &str, at: DateTime<Utc>) {
    let body = json!({"item_id": item, "location_id": t.location_id, "quantity": qty,
                      "kind": kind, "occurred_at": rfc(at),
                      "reason": if kind == "waste" { Some("spoilage") } else { None }});
    let res = app
        .post("/api/v1/stock/adjustments", Some(&t.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
}

async fn line(
    app: &TestApp,
    token: &str,
    count: &str,
    item: &str,
    body: &Value,
) -> reqwest::Response {
    app.put(
        &format!("/api/v1/stock-counts/{count}/lines/{item}"),
        token,
        body,
    )
    .await
}

async fn approve(
    app: &TestApp,
    token: &str,
    count: &str,
    version: Option<i64>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/stock-counts/{count}/approve")))
        .bearer_auth(token);
    if let Some(v) = version {
        req = req.header("If-Match", format!("\"{v}\""));
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap_or_else(|e| panic!("approve: {e}"))
}

fn item_of<'a>(count: &'a Value, item: &str) -> &'a Value {
    count["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["item_id"] == item))
        .unwrap_or_else(|| panic!("{item} is not in {count}"))
}

async fn count_adjustments(app: &TestApp, t: &Tenant, item: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/stock-movements?item_id={item}&kind=count_adjustment"),
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    json_of(res).await["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn a_count_while_trading_posts_counted_minus_book_at_each_counted_instant_once(app: TestApp) {
    let t = app.register("Counting Canteen").await;
    let rice = item_with_sack(&app, &t, "Basmati rice", "0.0012").await;
    let oil = item_with_sack(&app, &t, "Olive oil", "0.01").await;
    let flour = item_with_sack(&app, &t, "Flour", "0.001").await;
    let ids = areas(
        &app,
        &t,
        &[("Walk-in", 2, &[&oil]), ("Dry store", 1, &[&rice, &oil])],
    )
    .await;
    let (walk_in, dry) = (ids[0].clone(), ids[1].clone());
    // To the microsecond, as both backends keep instants.
    let t0 = DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap_or_default();
    moved(&app, &t, &rice, "20000", "opening", t0 - Duration::hours(1)).await;
    moved(&app, &t, &flour, "400", "opening", t0 - Duration::hours(1)).await;

    let res = app
        .post(
            "/api/v1/stock-counts",
            Some(&t.token),
            &json!({"location_id": t.location_id, "scope": "full"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let c = json_of(res).await;
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    // The sheet in walking order: the dry store first (rice, oil), then the walk-in (oil),
    // then flour, which has stock and no area.
    let sheet: Vec<(String, String)> = c["sheet"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|l| {
            (
                l["item_name"].as_str().unwrap_or("").to_owned(),
                l["area_name"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("Basmati rice", "Dry store"),
        ("Olive oil", "Dry store"),
        ("Olive oil", "Walk-in"),
        ("Flour", "-"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(sheet, want);
    assert_eq!(
        (c["status"].as_str(), c["sheet_items"].as_i64()),
        (Some("open"), Some(3))
    );

    // Trading goes on: 2 kg of rice used before it is counted, 3 kg after.
    let counted_rice = t0 + Duration::seconds(60);
    moved(&app, &t, &rice, "2000", "waste", t0 + Duration::seconds(30)).await;
    moved(&app, &t, &rice, "3000", "waste", t0 + Duration::seconds(90)).await;
    let (_, _, staff) = app.add_member(&t, "staff").await;
    // Counter one: a sack and 7.5 kg of rice in the dry store; counter two: the oil.
    let res = line(&app, &t.token, &id, &rice, &json!({"storage_area_id": dry, "amount": "1 sack + 7.5 kg", "counted_at": rfc(counted_rice)})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let l = json_of(res).await;
    assert_eq!(
        (
            l["line"]["counted"].as_str(),
            l["line"]["on_sheet"].as_bool()
        ),
        (Some("17500.000"), Some(true))
    );
    let res = line(&app, &staff, &id, &oil, &json!({"storage_area_id": walk_in, "quantity": "2000", "counted_at": rfc(t0 + Duration::seconds(70))})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = line(&app, &staff, &id, &oil, &json!({"storage_area_id": dry, "quantity": "500", "counted_at": rfc(t0 + Duration::seconds(100))})).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Flour found in the walk-in, where the sheet does not have it: kept and flagged.
    let res = line(&app, &staff, &id, &flour, &json!({"storage_area_id": walk_in, "quantity": "350", "counted_at": rfc(t0 + Duration::seconds(80))})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["line"]["on_sheet"], false);
    // A recount of the rice replaces the line; the same line sent again enters nothing new.
    let recount =
        json!({"storage_area_id": dry, "amount": "17.6 kg", "counted_at": rfc(counted_rice)});
    let res = line(&app, &t.token, &id, &rice, &recount).await;
    assert_eq!(res.status(), StatusCode::OK);
    let first = json_of(res).await;
    assert_eq!(
        (
            first["line"]["recounts"].as_i64(),
            first["line"]["counted"].as_str()
        ),
        (Some(1), Some("17600.000"))
    );
    let res = line(&app, &t.token, &id, &rice, &recount).await;
    let again = json_of(res).await;
    assert_eq!(
        (again["version"].clone(), again["line"]["recounts"].clone()),
        (first["version"].clone(), json!(1))
    );

    let res = app
        .get(&format!("/api/v1/stock-counts/{id}"), &t.token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap_or("").to_owned();
    let c = json_of(res).await;
    let version = c["version"].as_i64().unwrap_or(0);
    assert_eq!(etag, format!("\"{version}\""));
    // Rice: book at its counted instant is 20 - 2 = 18 kg (the 3 kg used later is not
    // there yet); 17.6 counted is -0.4 kg, -2.222 %, -0.48: within the thresholds.
    let r = item_of(&c, &rice);
    assert_eq!(
        (r["counted"].as_str(), r["book"].as_str()),
        (Some("17600.000"), Some("18000.000"))
    );
    assert_eq!(
        r["variance"],
        json!({"quantity": "-400.000", "value": "-0.48", "percent": "-2.222", "flagged": false})
    );
    assert_eq!(
        r["counted_at"]
            .as_str()
            .map(|s| s.parse::<DateTime<Utc>>().ok()),
        Some(Some(counted_rice))
    );
    // Oil: 2.5 kg over two areas against nothing on the book: flagged, at the later instant.
    let o = item_of(&c, &oil);
    assert_eq!(
        (
            o["counted"].as_str(),
            o["book"].as_str(),
            o["flags"]["variance"].as_bool()
        ),
        (Some("2500.000"), Some("0.000"), Some(true))
    );
    assert_eq!(o["variance"]["value"], "25.00");
    let f = item_of(&c, &flour);
    assert_eq!(
        (
            f["flags"]["not_on_sheet"].as_bool(),
            f["variance"]["quantity"].as_str()
        ),
        (Some(true), Some("-50.000"))
    );
    // Flour: 50 g short of 400 is -12.5 %, beyond 5 %: flagged though it is worth 0.05.
    assert_eq!(f["variance"]["percent"], "-12.500");
    assert_eq!(
        (c["counted_items"].as_i64(), c["flagged_items"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(c["variance_value"], "24.47");

    // Approval: staff may not; a stale version is a 412; the version read approves.
    assert_eq!(
        approve(&app, &staff, &id, Some(version), None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        approve(&app, &t.token, &id, Some(version - 1), None)
            .await
            .status(),
        StatusCode::PRECONDITION_FAILED
    );
    let res = approve(&app, &t.token, &id, Some(version), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let done = json_of(res).await;
    assert_eq!(done["status"], "approved");
    assert_eq!(item_of(&done, &rice)["adjustment"], "-400.000");
    assert_eq!(item_of(&done, &oil)["adjustment"], "2500.000");
    // On hand: the counted 17.6 kg plus the 3 kg used after it was counted.
    assert_eq!(app.on_hand(&t, &rice).await, "14600.000");
    assert_eq!(app.on_hand(&t, &oil).await, "2500.000");
    assert_eq!(app.on_hand(&t, &flour).await, "350.000");
    let adj = count_adjustments(&app, &t, &rice).await;
    assert_eq!(adj.len(), 1);
    assert_eq!(
        (
            adj[0]["quantity"].as_str(),
            adj[0]["occurred_at"]
                .as_str()
                .and_then(|s| s.parse::<DateTime<Utc>>().ok())
        ),
        (Some("-400.000"), Some(counted_rice))
    );
    assert_eq!(adj[0]["reason"], format!("stock count {id}"));

    // Approving again posts nothing and answers the same; lines and cancelling are refused.
    let res = approve(
        &app,
        &t.token,
        &id,
        Some(version),
        Some(&json!({"zero_uncounted": true})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["items"], done["items"]);
    assert_eq!(count_adjustments(&app, &t, &rice).await.len(), 1);
    assert_eq!(app.on_hand(&t, &rice).await, "14600.000");
    let res = line(&app, &t.token, &id, &rice, &json!({"quantity": "1"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .client
        .post(app.url(&format!("/api/v1/stock-counts/{id}/cancel")))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let listed = json_of(
        app.get("/api/v1/stock-counts?status=approved", &t.token)
            .await,
    )
    .await;
    assert_eq!(listed["data"][0]["id"], id.as_str());
}

async fn blind_and_cycle_counts_hide_book_stock_zero_on_request_and_refuse_bad_input(app: TestApp) {
    let t = app.register("Blind Bistro").await;
    let rice = item_with_sack(&app, &t, "Basmati rice", "0.0012").await;
    let salt = item_with_sack(&app, &t, "Salt", "0.0005").await;
    moved(
        &app,
        &t,
        &rice,
        "5000",
        "opening",
        Utc::now() - Duration::hours(2),
    )
    .await;
    moved(
        &app,
        &t,
        &salt,
        "800",
        "opening",
        Utc::now() - Duration::hours(2),
    )
    .await;
    let (_, _, staff) = app.add_member(&t, "staff").await;
    // Bad starts.
    for (body, field) in [
        (
            json!({"location_id": t.location_id, "scope": "cycle"}),
            "item_ids",
        ),
        (
            json!({"location_id": t.location_id, "scope": "cycle", "item_ids": [rice, rice]}),
            "item_ids[1]",
        ),
        (
            json!({"location_id": t.location_id, "scope": "full", "item_ids": [rice]}),
            "item_ids",
        ),
        (
            json!({"location_id": t.location_id, "scope": "full", "threshold_percent": "-1"}),
            "threshold_percent",
        ),
    ] {
        let res = app
            .post("/api/v1/stock-counts", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(json_of(res).await["field"], field);
    }
    let res = app
        .post_with_key("/api/v1/stock-counts", &staff, "cycle-1",
              &json!({"location_id": t.location_id, "scope": "cycle", "item_ids": [rice, salt], "blind": true}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let c = json_of(res).await;
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    // Retried with its key: the same count.
    let res = app
        .post_with_key("/api/v1/stock-counts", &staff, "cycle-1",
              &json!({"location_id": t.location_id, "scope": "cycle", "item_ids": [rice, salt], "blind": true}))
        .await;
    assert_eq!(json_of(res).await["id"], id.as_str());
    // Bad lines name their field and write nothing.
    for (body, field) in [
        (json!({"amount": "3 pallets"}), "amount"),
        (json!({"amount": "1 sack", "quantity": "1"}), "amount"),
        (json!({"quantity": "-1"}), "quantity"),
        (
            json!({"quantity": "1", "counted_at": "2020-01-01T00:00:00Z"}),
            "counted_at",
        ),
        (
            json!({"quantity": "1", "counted_at": rfc(Utc::now() + Duration::hours(1))}),
            "counted_at",
        ),
    ] {
        let res = line(&app, &staff, &id, &rice, &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(json_of(res).await["field"], field, "{body}");
    }
    let res = line(&app, &staff, &id, &rice, &json!({"amount": "0.5 sack"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Blind: the counter sees what was counted, not the book or the variance.
    let seen = json_of(app.get(&format!("/api/v1/stock-counts/{id}"), &staff).await).await;
    assert_eq!(seen["variance_shown"], false);
    let r = item_of(&seen, &rice);
    assert_eq!(
        (r["counted"].as_str(), &r["book"], &r["variance"]),
        (Some("5000.000"), &Value::Null, &Value::Null)
    );
    assert_eq!(seen["variance_value"], Value::Null);
    // The owner sees it: exactly the book, nothing flagged; salt was not counted.
    let owner = app
        .get(&format!("/api/v1/stock-counts/{id}"), &t.token)
        .await;
    let version: i64 = owner.headers()["etag"]
        .to_str()
        .unwrap_or("")
        .trim_matches('"')
        .parse()
        .unwrap_or(0);
    let owner = json_of(owner).await;
    assert_eq!(owner["variance_shown"], true);
    assert_eq!(item_of(&owner, &rice)["variance"]["quantity"], "0.000");
    assert_eq!(item_of(&owner, &salt)["flags"]["not_counted"], true);
    assert_eq!(item_of(&owner, &salt)["book"], "800.000");

    // Another tenant sees none of it.
    let other = app.register("Other Diner").await;
    let their = item_with_sack(&app, &other, "Their rice", "0.001").await;
    assert_eq!(
        app.get(&format!("/api/v1/stock-counts/{id}"), &other.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        line(&app, &other.token, &id, &rice, &json!({"quantity": "1"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        approve(&app, &other.token, &id, None, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        line(&app, &t.token, &id, &their, &json!({"quantity": "1"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let listed = json_of(app.get("/api/v1/stock-counts", &other.token).await).await;
    assert_eq!(listed["data"], json!([]));
    let res = app
        .post(
            "/api/v1/stock-counts",
            Some(&other.token),
            &json!({"location_id": t.location_id, "scope": "full"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Approve zeroing what nobody counted: rice unchanged (no movement), salt to zero.
    let res = approve(
        &app,
        &t.token,
        &id,
        Some(version),
        Some(&json!({"zero_uncounted": true})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let done = json_of(res).await;
    assert_eq!(item_of(&done, &rice)["adjustment"], "0.000");
    assert_eq!(item_of(&done, &salt)["adjustment"], "-800.000");
    assert_eq!(app.on_hand(&t, &rice).await, "5000.000");
    assert_eq!(app.on_hand(&t, &salt).await, "0.000");
    assert!(count_adjustments(&app, &t, &rice).await.is_empty());

    // A count cancelled posts nothing and takes no more lines.
    let res = app
        .post(
            "/api/v1/stock-counts",
            Some(&t.token),
            &json!({"location_id": t.location_id, "scope": "cycle", "item_ids": [rice]}),
        )
        .await;
    let c2 = json_of(res).await;
    let id2 = c2["id"].as_str().unwrap_or_default().to_owned();
    let res = app
        .client
        .post(app.url(&format!("/api/v1/stock-counts/{id2}/cancel")))
        .bearer_auth(&t.token)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await["status"], "cancelled");
    assert_eq!(
        line(&app, &t.token, &id2, &rice, &json!({"quantity": "1"}))
            .await
            .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        approve(&app, &t.token, &id2, None, None).await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(app.on_hand(&t, &rice).await, "5000.000");
}

/// A count done on paper this morning, typed in now (`App::record_past_count`, as the demo's
/// history records its counts): started, counted and approved at their own instants, each
/// line against book stock at its counted instant; bad instants refused naming the field,
/// recording nothing.
async fn a_count_done_on_paper_is_recorded_later_at_its_own_instants(app: TestApp) {
    use larder_app::inventory::counts::{
        CountLineCommand, PastCountCommand, PastCountLine, StartCountCommand,
    };
    use larder_core::inventory::counts::CountScope;
    let t = app.register("Paper Counts").await;
    let p = app
        .app
        .operator_principal(&larder_core::Email::parse(&t.email).unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the owner"));
    let rice = item_with_sack(&app, &t, "Basmati rice", "0.0012").await;
    let rice_id: ItemId = rice.parse().unwrap_or_else(|_| panic!("item id"));
    let location: LocationId = t.location_id.parse().unwrap_or_else(|_| panic!("location"));
    let now = DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap_or_default();
    moved(
        &app,
        &t,
        &rice,
        "10000",
        "opening",
        now - Duration::hours(4),
    )
    .await;
    moved(&app, &t, &rice, "1000", "waste", now - Duration::hours(3)).await;
    moved(&app, &t, &rice, "500", "waste", now - Duration::minutes(30)).await;
    let started = now - Duration::minutes(150);
    let counted = now - Duration::minutes(135);
    let approved = now - Duration::minutes(120);
    let cmd = |counted_at: DateTime<Utc>, started_at: DateTime<Utc>| PastCountCommand {
        count: StartCountCommand {
            location_id: location,
            scope: CountScope::Cycle,
            storage_area_id: None,
            item_ids: Some(vec![rice_id]),
            blind: false,
            threshold_percent: None,
            threshold_value: None,
            note: None,
        },
        started_at,
        lines: vec![PastCountLine {
            item_id: rice_id,
            line: CountLineCommand {
                quantity: Some("8500".parse().unwrap_or_default()),
                counted_at: Some(counted_at),
                ..Default::default()
            },
        }],
        approved_at: approved,
        zero_uncounted: false,
    };
    // A line counted before the count started, a count started tomorrow: 422, nothing kept.
    for (c, field) in [
        (
            cmd(started - Duration::minutes(1), started),
            "lines[0].counted_at",
        ),
        (cmd(counted, now + Duration::days(1)), "started_at"),
    ] {
        match app.app.record_past_count(p, c, None).await {
            Err(larder_app::AppError::Validation { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let res = app.get("/api/v1/stock-counts", &t.token).await;
    assert_eq!(json_of(res).await["data"], json!([]));

    let c = app
        .app
        .record_past_count(p, cmd(counted, started), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .value;
    assert_eq!(c.started_at, started);
    assert_eq!(c.approved_at, Some(approved));
    // Book at the counted instant was 10 000 - 1 000 = 9 000 g: 500 g short, posted then;
    // the 500 g wasted since stays after it.
    let adj = count_adjustments(&app, &t, &rice).await;
    assert_eq!(adj.len(), 1, "{adj:?}");
    assert_eq!(adj[0]["quantity"], "-500.000");
    let at: DateTime<Utc> = adj[0]["occurred_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    assert_eq!(at, counted);
    assert_eq!(app.on_hand(&t, &rice).await, "8000.000");
    // Another tenant's owner records nothing at this location.
    let other = app.register("Elsewhere").await;
    let q = app
        .app
        .operator_principal(
            &larder_core::Email::parse(&other.email).unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the other owner"));
    let res = app
        .app
        .record_past_count(q, cmd(counted, started), None)
        .await;
    assert!(
        matches!(res, Err(larder_app::AppError::NotFound(_))),
        "{res:?}"
    );
}
