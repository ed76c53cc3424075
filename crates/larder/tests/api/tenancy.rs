//! Tenant settings: read by every member, changed by owners with If-Match, given at sign-up,
//! and used by reports (the week start) without rewriting anything recorded.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    settings_are_read_by_members_and_changed_by_owners_at_their_version,
    sign_up_sets_the_currency_time_zone_and_day_cutoff,
    reports_bucket_by_the_tenants_week_start_and_nothing_recorded_moves,
);

async fn settings_are_read_by_members_and_changed_by_owners_at_their_version(app: TestApp) {
    let t = app.register("Settings Bistro").await;
    let res = app.get("/api/v1/settings", &t.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let s: Value = res.json().await.unwrap();
    assert_eq!(
        s,
        json!({"name": "Settings Bistro", "currency": "GBP", "currency_minor_units": 2,
               "currency_symbol": "£", "time_zone": "Europe/London", "day_cutoff_minutes": 240,
               "week_start": "monday", "units": "metric", "approval_threshold": null,
               "valuation_method": "fifo", "version": 1})
    );
    let new = json!({"currency": "JPY", "time_zone": "Asia/Tokyo", "day_cutoff_minutes": 300,
                     "week_start": "sunday", "units": "us_customary",
                     "approval_threshold": "50000", "valuation_method": "moving_average"});
    // A manager reads them but may not change them.
    let (_, _, manager) = app.add_member(&t, "manager").await;
    assert_eq!(
        app.get("/api/v1/settings", &manager).await.status(),
        StatusCode::OK
    );
    let res = app.put("/api/v1/settings", &manager, &new).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Each part is checked, naming the field.
    for (field, value) in [
        ("currency", json!("XAU")),
        ("currency", json!("usd")),
        ("time_zone", json!("Mars/Olympus_Mons")),
        ("day_cutoff_minutes", json!(721)),
        ("day_cutoff_minutes", json!(-1)),
        ("approval_threshold", json!("-1")),
    ] {
        let mut bad = new.clone();
        bad[field] = value.clone();
        let res = app.put("/api/v1/settings", &t.token, &bad).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} {value}"
        );
        assert_eq!(
            res.json::<Value>().await.unwrap()["field"],
            field,
            "{value}"
        );
    }
    let res = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&t.token)
        .header("if-match", "\"1\"")
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let s: Value = res.json().await.unwrap();
    assert_eq!(
        (
            &s["currency"],
            &s["currency_minor_units"],
            &s["time_zone"],
            &s["week_start"],
            &s["units"],
            &s["approval_threshold"],
            &s["valuation_method"]
        ),
        (
            &json!("JPY"),
            &json!(0),
            &json!("Asia/Tokyo"),
            &json!("sunday"),
            &json!("us_customary"),
            &json!("50000.00"),
            &json!("moving_average")
        )
    );
    // The same If-Match again is stale: 412, and nothing changes.
    let res = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&t.token)
        .header("if-match", "\"1\"")
        .json(
            &json!({"currency": "EUR", "time_zone": "Europe/Paris", "day_cutoff_minutes": 0,
                      "week_start": "monday", "units": "metric"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let s: Value = app
        .get("/api/v1/settings", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((&s["currency"], &s["version"]), (&json!("JPY"), &json!(2)));
    // Another tenant's settings are its own.
    let other = app.register("Other Bistro").await;
    let s: Value = app
        .get("/api/v1/settings", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["currency"], "GBP");
}

async fn sign_up_sets_the_currency_time_zone_and_day_cutoff(app: TestApp) {
    let email = format!("pizza-{}@example.com", uuid::Uuid::now_v7().simple());
    let body = json!({"tenant_name": "Pizza Place", "email": email, "password": "correct horse battery",
                      "name": "Owner", "currency": "USD", "time_zone": "America/New_York",
                      "day_cutoff_minutes": 180});
    app.sign_up(&body).await;
    let token = app.login(&email, "correct horse battery").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let s: Value = app
        .get("/api/v1/settings", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &s["currency"],
            &s["currency_symbol"],
            &s["time_zone"],
            &s["day_cutoff_minutes"]
        ),
        (
            &json!("USD"),
            &json!("$"),
            &json!("America/New_York"),
            &json!(180)
        )
    );
    // A bad one is refused at sign-up, naming it.
    let mut bad = body.clone();
    bad["time_zone"] = json!("New York");
    let res = app.post("/api/v1/auth/register", None, &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "time_zone");
}

async fn reports_bucket_by_the_tenants_week_start_and_nothing_recorded_moves(app: TestApp) {
    let t = app.register("Weekly Kitchen").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    app.dish(&t, "Rice Bowl", &rice, "100").await;
    // Sold on Saturday 2026-03-07 and Sunday 2026-03-08, at noon in London.
    for day in ["2026-03-07", "2026-03-08"] {
        app.sell(&t, "Rice Bowl", "1", &format!("{day}T12:00:00Z"))
            .await;
    }
    let period = "/api/v1/reports/usage?from=2026-03-01T04:00:00Z&to=2026-03-15T04:00:00Z";
    let weeks = |v: Value| v["data"][0]["weeks"].clone();
    // Monday weeks: both days in the week of Monday 2 March.
    let monday = weeks(app.get(period, &t.token).await.json().await.unwrap());
    assert_eq!(
        monday,
        json!([
            ["2026-02-23", "0.000"],
            ["2026-03-02", "200.000"],
            ["2026-03-09", "0.000"]
        ])
    );
    let moves_before: Value = app
        .get("/api/v1/stock-movements", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .put(
            "/api/v1/settings",
            &t.token,
            &json!({"currency": "GBP", "time_zone": "Europe/London", "day_cutoff_minutes": 240,
                    "week_start": "sunday", "units": "metric"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Sunday weeks: Saturday ends the week of 1 March, Sunday starts the week of 8 March.
    let sunday = weeks(app.get(period, &t.token).await.json().await.unwrap());
    assert_eq!(
        sunday,
        json!([["2026-03-01", "100.000"], ["2026-03-08", "100.000"]])
    );
    let moves_after: Value = app
        .get("/api/v1/stock-movements", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        moves_before, moves_after,
        "a settings change rewrote the ledger"
    );
    // A new time zone: nothing recorded moves, and an import reads its local times there
    // (12:00 in New York on 10 March 2026, daylight time, is 16:00 UTC).
    let res = app
        .put(
            "/api/v1/settings",
            &t.token,
            &json!({"currency": "USD", "time_zone": "America/New_York", "day_cutoff_minutes": 240,
                    "week_start": "sunday", "units": "metric"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let moves_now: Value = app
        .get("/api/v1/stock-movements", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        moves_before, moves_now,
        "a time zone change rewrote the ledger"
    );
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/sales/imports?location_id={}",
            t.location_id
        )))
        .bearer_auth(&t.token)
        .header("content-type", "text/csv")
        .body("ticket,date,time,item\n77,2026-03-10,12:00,Rice Bowl\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let sales: Value = app
        .get("/api/v1/sales", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sales["data"][0]["occurred_at"], "2026-03-10T16:00:00Z");
    assert_eq!(sales["data"][1]["occurred_at"], "2026-03-08T12:00:00Z");
}
