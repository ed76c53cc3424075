//! Alerts (issue 10, ADR 028): a rule's case is raised once, notifies the members who may see
//! it (as their preferences say), and resolves when it clears; thresholds are checked exactly;
//! a tenant sees only its own rules, alerts and notifications.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    below_reorder_point_is_raised_once_notified_and_resolved,
    waste_and_expiring_lots_raise_at_their_thresholds,
    rules_refuse_a_wrong_threshold_and_stay_in_their_tenant,
    preferences_choose_channels_and_quiet_hours,
);

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

async fn rule(app: &TestApp, t: &Tenant, body: Value) -> Value {
    let res = app.post("/api/v1/alert-rules", Some(&t.token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    json_of(res).await
}

async fn check(app: &TestApp, t: &Tenant) -> Value {
    let res = app
        .post("/api/v1/alerts/check", Some(&t.token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    json_of(res).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(path, token).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{path}: {:?}",
        res.text().await
    );
    json_of(res).await
}

async fn below_reorder_point_is_raised_once_notified_and_resolved(app: TestApp) {
    let t = app.register("Alert Kitchen").await;
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.002").await;
    let res = app
        .put(
            &format!("/api/v1/items/{rice}/par-levels/{}", t.location_id),
            &t.token,
            &json!({"par_level": "10000", "reorder_point": "5000"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    rule(&app, &t, json!({"kind": "below_reorder_point"})).await;
    assert_eq!(
        app.adjust(&t, &rice, "4999", "receipt").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        check(&app, &t).await,
        json!({"raised": 1, "resolved": 0, "open": 1})
    );
    // Checked again with the case unchanged: nothing new.
    assert_eq!(
        check(&app, &t).await,
        json!({"raised": 0, "resolved": 0, "open": 1})
    );
    let open = get(&app, &t.token, "/api/v1/alerts").await;
    let alerts = open["data"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{open}");
    let a = &alerts[0];
    assert_eq!(a["kind"], "below_reorder_point");
    assert_eq!(a["status"], "open");
    assert_eq!(a["location_id"], t.location_id.as_str());
    assert_eq!(a["detail"]["on_hand"], "4999.000");
    assert_eq!(a["detail"]["reorder_point"], "5000.000");
    assert_eq!(
        a["subject"],
        "Basmati rice at Brixton: 4999.000 g on hand, below its reorder point of 5000.000 g"
    );
    // The owner and the staff member (who reads stock) each have it, unread.
    for token in [&t.token, &staff] {
        let n = get(&app, token, "/api/v1/notifications").await;
        assert_eq!(n["unread"], 1, "{n}");
        assert_eq!(n["data"][0]["alert"]["id"], a["id"]);
        assert_eq!(
            get(&app, token, "/api/v1/notifications/unread-count").await["unread"],
            1
        );
    }
    // The event is in the outbox, for live pages and webhooks.
    let events = get(&app, &t.token, "/api/v1/events?type=alerts.alert_raised").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1, "{events}");
    assert_eq!(events["data"][0]["data"]["id"], a["id"]);
    // Stock back to the reorder point: resolved, once.
    assert_eq!(
        app.adjust(&t, &rice, "1", "receipt").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        check(&app, &t).await,
        json!({"raised": 0, "resolved": 1, "open": 0})
    );
    assert_eq!(
        check(&app, &t).await,
        json!({"raised": 0, "resolved": 0, "open": 0})
    );
    let resolved = get(&app, &t.token, "/api/v1/alerts?status=resolved").await;
    assert_eq!(resolved["data"][0]["id"], a["id"]);
    assert_eq!(resolved["data"][0]["status"], "resolved");
    assert!(
        get(&app, &t.token, "/api/v1/alerts").await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let events = get(&app, &t.token, "/api/v1/events?type=alerts.alert_resolved").await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    // Reading it: the staff member's count is their own.
    let n = get(&app, &t.token, "/api/v1/notifications").await;
    assert_eq!(n["data"][0]["alert"]["status"], "resolved");
    let id = n["data"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            "/api/v1/notifications/read",
            Some(&t.token),
            &json!({"ids": [id]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_of(res).await, json!({"marked": 1, "unread": 0}));
    assert_eq!(
        get(&app, &staff, "/api/v1/notifications/unread-count").await["unread"],
        1
    );
    let res = app
        .post(
            "/api/v1/notifications/read",
            Some(&staff),
            &json!({"all": true}),
        )
        .await;
    assert_eq!(json_of(res).await, json!({"marked": 1, "unread": 0}));
    // Below again: a new alert for the same case.
    assert_eq!(
        app.adjust(&t, &rice, "-2", "adjustment").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(check(&app, &t).await["raised"], 1);
    // Pages: the owner has two notifications; a page of one leads to the other, and a page
    // of exactly two has no next page.
    let first = get(&app, &t.token, "/api/v1/notifications?limit=1").await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = get(
        &app,
        &t.token,
        &format!("/api/v1/notifications?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_ne!(second["data"][0]["id"], first["data"][0]["id"]);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(
        get(&app, &t.token, "/api/v1/notifications?limit=2").await["next_cursor"],
        Value::Null
    );
    let alerts = get(&app, &t.token, "/api/v1/alerts?status=all&limit=1").await;
    let cursor = alerts["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let older = get(
        &app,
        &t.token,
        &format!("/api/v1/alerts?status=all&limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(older["data"][0]["status"], "resolved");
    assert_eq!(older["next_cursor"], Value::Null);
    // Staff may not change or check the rules.
    let res = app
        .post("/api/v1/alerts/check", Some(&staff), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn waste(app: &TestApp, t: &Tenant, item: &str, quantity: &str) {
    let body = json!({"location_id": t.location_id, "reason": "spoilage", "item_id": item,
                      "quantity": quantity});
    let res = app
        .post("/api/v1/waste-entries", Some(&t.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
}

async fn waste_and_expiring_lots_raise_at_their_thresholds(app: TestApp) {
    let t = app.register("Waste Kitchen").await;
    let cream = app.create_item(&t, "Double cream", "ml", "0.005").await;
    // 10 l at 0.005 a ml: 50.00 of stock, in a lot that expires in 2 days.
    // Two business days ahead: a new tenant's days are London's, from 04:00.
    let today = (chrono::Utc::now().with_timezone(&chrono_tz::Europe::London)
        - chrono::Duration::hours(4))
    .date_naive();
    let soon = (today + chrono::Duration::days(2)).to_string();
    let body = json!({"item_id": cream, "location_id": t.location_id, "quantity": "10000",
                      "kind": "receipt", "lot_code": "C-1", "expires_on": soon});
    let res = app
        .post("/api/v1/stock/adjustments", Some(&t.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    rule(
        &app,
        &t,
        json!({"kind": "waste_over_value", "value": "20.00"}),
    )
    .await;
    let lots = rule(
        &app,
        &t,
        json!({"kind": "lot_expiring", "days": 1, "location_id": t.location_id}),
    )
    .await;
    assert_eq!(lots["days"], 1);
    // Nothing yet: the lot is two days off, no waste.
    assert_eq!(check(&app, &t).await["raised"], 0);
    // Exactly 20.00 of waste is not over 20.00; one more ml is.
    waste(&app, &t, &cream, "4000").await;
    assert_eq!(check(&app, &t).await["raised"], 0);
    waste(&app, &t, &cream, "1").await;
    assert_eq!(check(&app, &t).await["raised"], 1);
    let open = get(&app, &t.token, "/api/v1/alerts").await;
    assert_eq!(open["data"][0]["kind"], "waste_over_value");
    assert_eq!(open["data"][0]["detail"]["value"], "20.005");
    // Two days ahead: the lot alerts.
    let id = lots["id"].as_str().unwrap();
    let res = app
        .put(
            &format!("/api/v1/alert-rules/{id}"),
            &t.token,
            &json!({"kind": "lot_expiring", "days": 2, "location_id": t.location_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    assert_eq!(
        check(&app, &t).await,
        json!({"raised": 1, "resolved": 0, "open": 2})
    );
    let open = get(&app, &t.token, "/api/v1/alerts").await;
    let lot = &open["data"][0];
    assert_eq!(lot["kind"], "lot_expiring");
    assert_eq!(lot["detail"]["lot_code"], "C-1");
    assert_eq!(lot["detail"]["remaining"], "5999.000");
    // The lot used up: resolved. Switching the waste rule off resolves its alert too.
    assert_eq!(
        app.adjust(&t, &cream, "-5999", "adjustment").await.status(),
        StatusCode::CREATED
    );
    let waste_rule = get(&app, &t.token, "/api/v1/alert-rules").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .put(
            &format!("/api/v1/alert-rules/{waste_rule}"),
            &t.token,
            &json!({"kind": "waste_over_value", "value": "20.00", "enabled": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        check(&app, &t).await,
        json!({"raised": 0, "resolved": 2, "open": 0})
    );
}

async fn rules_refuse_a_wrong_threshold_and_stay_in_their_tenant(app: TestApp) {
    let a = app.register("Rules A").await;
    let b = app.register("Rules B").await;
    for (body, field) in [
        (json!({"kind": "lot_expiring"}), "days"),
        (json!({"kind": "lot_expiring", "days": 91}), "days"),
        (
            json!({"kind": "below_reorder_point", "value": "1"}),
            "value",
        ),
        (
            json!({"kind": "supplier_price_up", "percent": "0"}),
            "percent",
        ),
        (
            json!({"kind": "supplier_price_up", "percent": "5", "location_id": a.location_id}),
            "location_id",
        ),
        (json!({"kind": "low_stock"}), "kind"),
    ] {
        let res = app.post("/api/v1/alert-rules", Some(&a.token), &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(json_of(res).await["field"], field, "{body}");
    }
    // Another tenant's location is not found.
    let res = app
        .post(
            "/api/v1/alert-rules",
            Some(&b.token),
            &json!({"kind": "below_reorder_point", "location_id": a.location_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let r = rule(
        &app,
        &a,
        json!({"kind": "supplier_price_up", "percent": "7.5"}),
    )
    .await;
    assert_eq!(r["percent"], "7.500");
    let id = r["id"].as_str().unwrap();
    // B sees none of A's rules, alerts or notifications, and cannot change A's rule.
    assert!(
        get(&app, &b.token, "/api/v1/alert-rules")
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get(&format!("/api/v1/alert-rules/{id}"), &b.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = app
        .put(
            &format!("/api/v1/alert-rules/{id}"),
            &b.token,
            &json!({"kind": "supplier_price_up", "percent": "1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A stale version is refused.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/alert-rules/{id}")))
        .bearer_auth(&a.token)
        .header("If-Match", "\"7\"")
        .json(&json!({"kind": "supplier_price_up", "percent": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    // The kind is fixed.
    let res = app
        .put(
            &format!("/api/v1/alert-rules/{id}"),
            &a.token,
            &json!({"kind": "po_overdue", "days": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], "kind");
    assert_eq!(
        check(&app, &b).await,
        json!({"raised": 0, "resolved": 0, "open": 0})
    );
    assert!(
        get(&app, &b.token, "/api/v1/alerts?status=all").await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A member's notifications are read in person, not with an API key acting for them.
    let key = json_of(
        app.post(
            "/api/v1/api-keys",
            Some(&a.token),
            &json!({"name": "stock screen", "scopes": ["inventory.read", "alerts.manage"]}),
        )
        .await,
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in ["/api/v1/notifications", "/api/v1/notification-preferences"] {
        assert_eq!(
            app.get(path, &key).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // A key with alerts.manage changes a rule without If-Match (the last write wins).
    let res = app
        .put(
            &format!("/api/v1/alert-rules/{id}"),
            &key,
            &json!({"kind": "supplier_price_up", "percent": "2"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    // A retried creation with the same key makes one rule.
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url("/api/v1/alert-rules"))
            .bearer_auth(&b.token)
            .header("Idempotency-Key", "rule-1")
            .json(&json!({"kind": "po_overdue", "days": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert_eq!(
        get(&app, &b.token, "/api/v1/alert-rules")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn preferences_choose_channels_and_quiet_hours(app: TestApp) {
    let t = app.register("Prefs Kitchen").await;
    let (_, _, manager) = app.add_member(&t, "manager").await;
    let p = get(&app, &manager, "/api/v1/notification-preferences").await;
    assert_eq!(p["channels"].as_array().unwrap().len(), 6);
    assert_eq!(
        p["channels"][0],
        json!({"kind": "below_reorder_point", "in_app": true, "email": "off"})
    );
    assert_eq!(p["digest_at"], "07:00");
    let res = app
        .put(
            "/api/v1/notification-preferences",
            &manager,
            &json!({"channels": [{"kind": "below_reorder_point", "in_app": false, "email": "off"}],
                    "quiet_from": "22:00", "quiet_until": "07:30", "digest_at": "06:15"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let saved = json_of(res).await;
    assert_eq!(saved["quiet_until"], "07:30");
    assert_eq!(saved["channels"][1]["kind"], "lot_expiring");
    assert_eq!(
        saved["channels"][1]["in_app"], true,
        "left out: the default"
    );
    for (body, field) in [
        (
            json!({"channels": [], "quiet_from": "22:00"}),
            "quiet_until",
        ),
        (json!({"channels": [], "digest_at": "25:00"}), "digest_at"),
        (
            json!({"channels": [{"kind": "lot_expiring", "in_app": true, "email": "sms"}]}),
            "channels[0].email",
        ),
    ] {
        let res = app
            .put("/api/v1/notification-preferences", &manager, &body)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(json_of(res).await["field"], field);
    }
    // The manager switched reorder alerts out of their centre: the owner still hears of it.
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let res = app
        .put(
            &format!("/api/v1/items/{rice}/par-levels/{}", t.location_id),
            &t.token,
            &json!({"par_level": "10", "reorder_point": "5"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    rule(&app, &t, json!({"kind": "below_reorder_point"})).await;
    assert_eq!(check(&app, &t).await["raised"], 1);
    assert_eq!(
        get(&app, &t.token, "/api/v1/notifications").await["unread"],
        1
    );
    assert_eq!(
        get(&app, &manager, "/api/v1/notifications").await["unread"],
        0
    );
}
