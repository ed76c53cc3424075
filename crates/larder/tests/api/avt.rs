//! Actual vs theoretical (`/api/v1/avt`, ADR 024): a hand-computed period between two approved
//! counts, the identity variance = -(adjustments + count adjustments), the ranking, category
//! subtotals and location total; the completeness gate naming each missing piece, one test per
//! reason; bad periods named by field; other tenants' counts and locations not found.
//!
//! Counts are real counts through the counts endpoints (ADR 019): started
//! (`POST /stock-counts`), counted (`PUT /stock-counts/{id}/lines/{item_id}`) and approved
//! (`POST /stock-counts/{id}/approve`), whose approval posts each count adjustment at the instant
//! the item was counted. A count starts and is approved at the present, so the hand-computed
//! period runs from one approval to the other while the test trades in between; the quiet-days
//! gate, which needs whole past days, is checked over a period given as two instants.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    avt_between_two_counts_matches_the_hand_computed_case,
    the_gate_names_unmapped_sales,
    the_gate_names_orders_not_received,
    the_gate_names_counts_not_approved,
    the_gate_names_days_without_sales,
    the_gate_says_when_the_period_is_not_bounded_by_counts,
    bad_periods_are_named_and_other_tenants_counts_are_not_found,
);

/// An instant as RFC 3339 to the microsecond, as both backends keep instants.
fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The present, to the microsecond (never ahead of the server's clock).
fn now() -> String {
    rfc(Utc::now())
}

/// Starts a count at `t`'s location (`POST /stock-counts`): `full`, or `cycle` of `items`. Its
/// id.
pub(crate) async fn start_count(app: &TestApp, t: &Tenant, scope: &str, items: &[&str]) -> String {
    let mut body = json!({"location_id": t.location_id, "scope": scope});
    if scope == "cycle" {
        body["item_ids"] = json!(items);
    }
    let res = app
        .post("/api/v1/stock-counts", Some(&t.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Counts each `(item, quantity in base units)` of `lines` now, with no storage area
/// (`PUT /stock-counts/{id}/lines/{item_id}`), then approves the count with `If-Match` of the
/// version the last line left (`POST /stock-counts/{id}/approve`): each counted item that
/// differs from book stock at its counted instant gets a count adjustment dated then.
pub(crate) async fn count_and_approve(app: &TestApp, t: &Tenant, id: &str, lines: &[(&str, &str)]) {
    let mut version = app
        .get(&format!("/api/v1/stock-counts/{id}"), &t.token)
        .await
        .json::<Value>()
        .await
        .unwrap()["version"]
        .clone();
    for (item, qty) in lines {
        let res = app
            .put(
                &format!("/api/v1/stock-counts/{id}/lines/{item}"),
                &t.token,
                &json!({"quantity": qty}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
        version = res.json::<Value>().await.unwrap()["version"].clone();
    }
    let res = app
        .client
        .post(app.url(&format!("/api/v1/stock-counts/{id}/approve")))
        .bearer_auth(&t.token)
        .header("if-match", format!("\"{version}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
}

/// When count `id` was approved, as the count reads back (`GET /stock-counts/{id}`).
async fn approved_at(app: &TestApp, t: &Tenant, id: &str) -> String {
    let res = app
        .get(&format!("/api/v1/stock-counts/{id}"), &t.token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["status"], "approved", "{c:#}");
    c["approved_at"].as_str().unwrap().to_owned()
}

/// Posts a hand movement (`receipt`, `waste`, `count_adjustment`) at `at`.
async fn movement(app: &TestApp, t: &Tenant, item: &str, kind: &str, qty: &str, at: &str) {
    let reason = (kind == "waste").then_some("dropped");
    let body = json!({"item_id": item, "location_id": t.location_id, "quantity": qty,
                      "kind": kind, "reason": reason, "occurred_at": at});
    let res = app
        .post("/api/v1/stock/adjustments", Some(&t.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
}

async fn item(app: &TestApp, t: &Tenant, name: &str, category: &str, cost: &str) -> String {
    let res = app
        .post(
            "/api/v1/items",
            Some(&t.token),
            &json!({"name": name, "base_unit": "g", "unit_cost": cost, "category": category}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A pizza on the menu: 200 g of flour and 100 g of cheese a portion.
async fn pizza(app: &TestApp, t: &Tenant, flour: &str, cheese: &str) {
    let recipe = app
        .post("/api/v1/recipes", Some(&t.token), &json!({"name": "Pizza dough and top", "yield_quantity": "1", "yield_unit": "ea",
            "lines": [{"item_id": flour, "quantity": "200", "unit": "g"}, {"item_id": cheese, "quantity": "100", "unit": "g"}]}))
        .await;
    assert_eq!(recipe.status(), StatusCode::CREATED);
    let recipe: Value = recipe.json().await.unwrap();
    let res = app
        .post(
            "/api/v1/menu-items",
            Some(&t.token),
            &json!({"name": "Pizza", "recipe_id": recipe["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn avt(app: &TestApp, t: &Tenant, query: &str) -> reqwest::Response {
    app.get(
        &format!("/api/v1/avt?location_id={}&{query}", t.location_id),
        &t.token,
    )
    .await
}

async fn report(app: &TestApp, t: &Tenant, query: &str) -> Value {
    let res = avt(app, t, query).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    res.json().await.unwrap()
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

fn period(from: &str, to: &str) -> String {
    format!("from={}&to={}", enc(from), enc(to))
}

fn flow(q: &str, v: &str) -> Value {
    json!({"quantity": q, "value": v})
}

/// The reason of `kind`, if the report has one.
fn reason<'a>(r: &'a Value, kind: &str) -> Option<&'a Value> {
    r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == kind)
}

fn kinds(r: &Value) -> Vec<String> {
    r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The hand-computed case up to its closing count: flour, cheese and the approved opening
/// count; what [`close_case`] needs.
pub(crate) struct OpenCase {
    /// Flour's id.
    pub flour: String,
    /// Cheese's id.
    pub cheese: String,
    /// The opening count's id.
    pub opening: String,
}

/// Flour (Dry, 0.002 a gram) and cheese (Dairy, 0.01 a gram); the counts are approved at the
/// present (London is on UTC; business days start at 04:00; the period holds no whole day):
///
/// - before: 10 kg flour (20.00) and 5 kg cheese (50.00) received an hour ago; the opening
///   count finds 9.8 kg flour and 5 kg cheese, so its approval posts flour 200 g short (-0.40)
///   at the instant the flour was counted;
/// - in the period, from the opening approval: 5 kg flour received (10.00); 30 pizzas sold in
///   three sales (6 kg flour, 12.00; 3 kg cheese, 30.00); 500 g flour dropped (1.00); (what
///   the caller adds before [`close_case`]); then the closing count finds 8 kg flour and 2.1 kg
///   cheese against book stock of 8.3 kg and 2 kg, so its approval posts flour 300 g short
///   (-0.60) and cheese 100 g over (+1.00, at its last cost) at their counted instants, and the
///   period ends at that approval;
/// - after: one more pizza.
///
/// Flour: opening 9.8 kg (19.60), closing 9.8 + 5 - 0.5 - 6 - 0.3 = 8 kg (16.00), actual 6.3 kg
/// (12.60) against 6 kg (12.00): variance 300 g (0.60), 5.0 %. Cheese: opening 5 kg (50.00),
/// closing 2.1 kg (21.00), actual 2.9 kg (29.00) against 3 kg (30.00): variance -100 g
/// (-1.00), -3.3 %. Cheese ranks first (1.00 > 0.60). Total: 41.60 against 42.00, -0.40,
/// -1.0 %.
pub(crate) async fn open_case(app: &TestApp, t: &Tenant) -> OpenCase {
    let flour = item(app, t, "Flour", "Dry", "0.002").await;
    let cheese = item(app, t, "Mozzarella", "Dairy", "0.01").await;
    pizza(app, t, &flour, &cheese).await;
    let hour_ago = rfc(Utc::now() - Duration::hours(1));
    movement(app, t, &flour, "receipt", "10000", &hour_ago).await;
    movement(app, t, &cheese, "receipt", "5000", &hour_ago).await;
    let opening = start_count(app, t, "full", &[]).await;
    count_and_approve(app, t, &opening, &[(&flour, "9800"), (&cheese, "5000")]).await;
    movement(app, t, &flour, "receipt", "5000", &now()).await;
    for _ in 0..3 {
        app.sell(t, "Pizza", "10", &now()).await;
    }
    movement(app, t, &flour, "waste", "500", &now()).await;
    OpenCase {
        flour,
        cheese,
        opening,
    }
}

/// The closing count of the case [`open_case`] began, then the pizza sold after it: flour,
/// cheese, the opening count and the closing count.
pub(crate) async fn close_case(
    app: &TestApp,
    t: &Tenant,
    case: OpenCase,
) -> (String, String, String, String) {
    let closing = start_count(app, t, "full", &[]).await;
    count_and_approve(
        app,
        t,
        &closing,
        &[(&case.flour, "8000"), (&case.cheese, "2100")],
    )
    .await;
    app.sell(t, "Pizza", "1", &now()).await;
    (case.flour, case.cheese, case.opening, closing)
}

/// The whole hand-computed case ([`open_case`] then [`close_case`]).
pub(crate) async fn hand_computed_case(
    app: &TestApp,
    t: &Tenant,
) -> (String, String, String, String) {
    let case = open_case(app, t).await;
    close_case(app, t, case).await
}

async fn avt_between_two_counts_matches_the_hand_computed_case(app: TestApp) {
    let t = app.register("AvT Pizza").await;
    let (flour, cheese, opening, closing) = hand_computed_case(&app, &t).await;
    let (from, to) = (
        approved_at(&app, &t, &opening).await,
        approved_at(&app, &t, &closing).await,
    );
    let r = report(
        &app,
        &t,
        &format!("from_count={opening}&to_count={closing}"),
    )
    .await;
    assert_eq!(r["trustworthy"], true, "{:#}", r["reasons"]);
    assert_eq!(r["reasons"], json!([]));
    assert_eq!(r["from"], from.as_str());
    assert_eq!(r["to"], to.as_str());
    assert_eq!(r["from_count"], opening.as_str());
    assert_eq!(r["to_count"], closing.as_str());
    assert_eq!(r["location_name"], "Brixton");
    let lines = r["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let (c, f) = (&lines[0], &lines[1]);
    assert_eq!(c["item_id"], cheese.as_str());
    assert_eq!(f["item_id"], flour.as_str());
    assert_eq!(f["name"], "Flour");
    assert_eq!(f["category"], "Dry");
    assert_eq!(f["base_unit"], "g");
    assert_eq!(f["opening"], flow("9800.000", "19.60"));
    assert_eq!(f["receipts"], flow("5000.000", "10.00"));
    assert_eq!(f["transfers_in"], flow("0.000", "0.00"));
    assert_eq!(f["production_output"], flow("0.000", "0.00"));
    assert_eq!(f["transfers_out"], flow("0.000", "0.00"));
    assert_eq!(f["waste"], flow("500.000", "1.00"));
    assert_eq!(f["closing"], flow("8000.000", "16.00"));
    assert_eq!(f["actual_usage"], flow("6300.000", "12.60"));
    assert_eq!(f["sales"], flow("6000.000", "12.00"));
    assert_eq!(f["production_use"], flow("0.000", "0.00"));
    assert_eq!(f["theoretical_usage"], flow("6000.000", "12.00"));
    assert_eq!(f["adjustments"], flow("-300.000", "-0.60"));
    assert_eq!(f["variance"], flow("300.000", "0.60"));
    assert_eq!(f["variance_percent"], "5.0");
    assert_eq!(f["variance_value_percent"], "5.0");
    assert_eq!(c["opening"], flow("5000.000", "50.00"));
    assert_eq!(c["closing"], flow("2100.000", "21.00"));
    assert_eq!(c["actual_usage"], flow("2900.000", "29.00"));
    assert_eq!(c["theoretical_usage"], flow("3000.000", "30.00"));
    assert_eq!(c["variance"], flow("-100.000", "-1.00"));
    assert_eq!(c["variance_percent"], "-3.3");
    // The identity: variance = -(adjustments + count adjustments), per item, both units.
    for l in lines {
        let neg = |v: &Value| {
            let s = v.as_str().unwrap();
            s.strip_prefix('-')
                .map_or_else(|| format!("-{s}"), str::to_owned)
        };
        assert_eq!(
            l["variance"]["quantity"].as_str().unwrap(),
            neg(&l["adjustments"]["quantity"])
        );
        assert_eq!(
            l["variance"]["value"].as_str().unwrap(),
            neg(&l["adjustments"]["value"])
        );
    }
    assert_eq!(
        r["categories"],
        json!([
            {"category": "Dairy", "items": 1, "actual_usage": "29.00", "theoretical_usage": "30.00", "variance": "-1.00", "variance_percent": "-3.3"},
            {"category": "Dry", "items": 1, "actual_usage": "12.60", "theoretical_usage": "12.00", "variance": "0.60", "variance_percent": "5.0"},
        ])
    );
    assert_eq!(
        r["total"],
        json!({"category": null, "items": 2, "actual_usage": "41.60", "theoretical_usage": "42.00", "variance": "-0.40", "variance_percent": "-1.0"})
    );

    // The same instants given as instants are the counts' approvals: the same report.
    let same = report(&app, &t, &period(&from, &to)).await;
    assert_eq!(same["trustworthy"], true, "{:#}", same["reasons"]);
    assert_eq!(same["lines"], r["lines"]);

    // The approved counts are offered for picking, latest first.
    let res = app
        .get(
            &format!("/api/v1/avt/counts?location_id={}", t.location_id),
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let counts: Value = res.json().await.unwrap();
    let ids: Vec<&str> = counts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![closing.as_str(), opening.as_str()]);
}

async fn the_gate_names_unmapped_sales(app: TestApp) {
    let t = app.register("AvT Unmapped").await;
    let case = open_case(&app, &t).await;
    app.sell(&t, "Garlic bread", "2", &now()).await;
    app.sell(&t, "Garlic bread", "1", &now()).await;
    app.sell(&t, "Tiramisu", "1", &now()).await;
    let (_, _, opening, closing) = close_case(&app, &t, case).await;
    // After the period: not named.
    app.sell(&t, "Calzone", "1", &now()).await;
    let r = report(
        &app,
        &t,
        &format!("from_count={opening}&to_count={closing}"),
    )
    .await;
    assert_eq!(r["trustworthy"], false);
    assert_eq!(kinds(&r), vec!["unmapped_sales"]);
    let u = reason(&r, "unmapped_sales").unwrap();
    assert_eq!(
        u["names"],
        json!([
            {"name": "Garlic bread", "lines": 2, "quantity": "3.000"},
            {"name": "Tiramisu", "lines": 1, "quantity": "1.000"},
        ])
    );
    assert!(
        u["message"].as_str().unwrap().contains("3 sale line(s)"),
        "{u}"
    );
    // The variance is still there, only not to be trusted.
    assert_eq!(r["total"]["variance"], "-0.40");
}

/// A sent order for `t`'s location of one case of flour, expected on `due`.
async fn sent_order(app: &TestApp, t: &Tenant, flour: &str, due: &str) -> String {
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Mill", "order_days": ["monday"], "lead_time_days": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let supplier = res.json::<Value>().await.unwrap()["id"].clone();
    let res = app
        .post(
            "/api/v1/supplier-items",
            Some(&t.token),
            &json!({"supplier_id": supplier, "item_id": flour, "supplier_sku": "F-16",
                    "price_per_pack": "20.00", "packs": [{"name": "sack", "quantity": "16", "unit": "kg"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let si = res.json::<Value>().await.unwrap()["id"].clone();
    let res = app
        .post(
            "/api/v1/purchase-orders",
            Some(&t.token),
            &json!({"supplier_id": supplier, "location_id": t.location_id, "expected_delivery": due,
                    "lines": [{"supplier_item_id": si, "packs": 1}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let po: Value = res.json().await.unwrap();
    let id = po["id"].as_str().unwrap();
    for (action, version) in [("submit", 1), ("approve", 2), ("send", 3)] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/purchase-orders/{id}/{action}")))
            .bearer_auth(&t.token)
            .header("if-match", format!("\"{version}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{action}");
    }
    po["number"].as_str().unwrap().to_owned()
}

async fn the_gate_names_orders_not_received(app: TestApp) {
    let t = app.register("AvT Orders").await;
    let flour = item(&app, &t, "Flour", "Dry", "0.002").await;
    // An order can only be expected from today on: the period runs from yesterday to ten
    // days ahead, and the order is due in three.
    let now = Utc::now();
    let due = (now + Duration::days(3)).date_naive().to_string();
    let number = sent_order(&app, &t, &flour, &due).await;
    let later = (now + Duration::days(40)).date_naive().to_string();
    sent_order_again(&app, &t, &flour, &later).await;
    let (from, to) = (now - Duration::days(1), now + Duration::days(10));
    let r = report(&app, &t, &period(&from.to_rfc3339(), &to.to_rfc3339())).await;
    assert_eq!(r["trustworthy"], false);
    let o = reason(&r, "orders_not_received").unwrap_or_else(|| panic!("{r:#}"));
    assert_eq!(
        o["orders"],
        json!([{"number": number, "status": "sent", "expected_delivery": due}])
    );
    assert!(o["message"].as_str().unwrap().contains(&number), "{o}");
}

/// A second order from another supplier, due outside the period.
async fn sent_order_again(app: &TestApp, t: &Tenant, flour: &str, due: &str) {
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Other mill", "order_days": ["monday"], "lead_time_days": 1}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let supplier = res.json::<Value>().await.unwrap()["id"].clone();
    let res = app
        .post(
            "/api/v1/supplier-items",
            Some(&t.token),
            &json!({"supplier_id": supplier, "item_id": flour, "supplier_sku": "F-25",
                    "price_per_pack": "30.00", "packs": [{"name": "sack", "quantity": "25", "unit": "kg"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let si = res.json::<Value>().await.unwrap()["id"].clone();
    let res = app
        .post(
            "/api/v1/purchase-orders",
            Some(&t.token),
            &json!({"supplier_id": supplier, "location_id": t.location_id, "expected_delivery": due,
                    "lines": [{"supplier_item_id": si, "packs": 1}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
}

async fn the_gate_names_counts_not_approved(app: TestApp) {
    let t = app.register("AvT Counts").await;
    // Started before the period and still open (nothing on its sheet yet); started in it and
    // still open; started after it (not named).
    let before = start_count(&app, &t, "full", &[]).await;
    let case = open_case(&app, &t).await;
    let during = start_count(&app, &t, "cycle", &[&case.flour]).await;
    let (_, _, opening, closing) = close_case(&app, &t, case).await;
    start_count(&app, &t, "full", &[]).await;
    let r = report(
        &app,
        &t,
        &format!("from_count={opening}&to_count={closing}"),
    )
    .await;
    assert_eq!(r["trustworthy"], false);
    assert_eq!(kinds(&r), vec!["counts_not_approved"]);
    assert_eq!(
        reason(&r, "counts_not_approved").unwrap()["count_ids"],
        json!([before, during])
    );
}

/// A period of whole past days, given as instants: counts are approved at the present, so no
/// two of them are days apart; the period is therefore also not bounded by counts, which is
/// named after the quiet days.
async fn the_gate_names_days_without_sales(app: TestApp) {
    let t = app.register("AvT Quiet").await;
    let flour = item(&app, &t, "Flour", "Dry", "0.002").await;
    let cheese = item(&app, &t, "Mozzarella", "Dairy", "0.01").await;
    pizza(&app, &t, &flour, &cheese).await;
    movement(&app, &t, &flour, "receipt", "10000", "2026-03-01T09:00:00Z").await;
    movement(&app, &t, &cheese, "receipt", "5000", "2026-03-01T09:00:00Z").await;
    // 2 March 06:00 to 10 March 06:00: the business days 3 to 9 March are whole (04:00 to
    // 04:00); pizzas sold on the 3rd, 4th, 5th and 9th (and on the 2nd, a partial day), none
    // on the 6th, 7th or 8th.
    for day in ["02", "03", "04", "05", "09"] {
        app.sell(&t, "Pizza", "2", &format!("2026-03-{day}T12:00:00Z"))
            .await;
    }
    let r = report(
        &app,
        &t,
        &period("2026-03-02T06:00:00Z", "2026-03-10T06:00:00Z"),
    )
    .await;
    assert_eq!(r["trustworthy"], false);
    assert_eq!(
        kinds(&r),
        vec!["days_without_sales", "not_bounded_by_counts"]
    );
    assert_eq!(
        reason(&r, "days_without_sales").unwrap()["dates"],
        json!(["2026-03-06", "2026-03-07", "2026-03-08"])
    );
}

async fn the_gate_says_when_the_period_is_not_bounded_by_counts(app: TestApp) {
    let t = app.register("AvT Unbounded").await;
    let (flour, _, opening, closing) = hand_computed_case(&app, &t).await;
    let from = approved_at(&app, &t, &opening).await;
    let to = approved_at(&app, &t, &closing).await;
    // A microsecond after the opening count's approval.
    let later = DateTime::parse_from_rfc3339(&from)
        .unwrap()
        .with_timezone(&Utc)
        + Duration::microseconds(1);
    let r = report(&app, &t, &period(&rfc(later), &to)).await;
    assert_eq!(r["trustworthy"], false);
    assert_eq!(kinds(&r), vec!["not_bounded_by_counts"]);
    assert_eq!(r["from_count"], Value::Null);
    // A cycle count at either end is named too: one of flour, approved after the closing
    // count (flour left uncounted, so it posts nothing).
    let cycle = start_count(&app, &t, "cycle", &[&flour]).await;
    count_and_approve(&app, &t, &cycle, &[]).await;
    let counts: Value = app
        .get(
            &format!("/api/v1/avt/counts?location_id={}", t.location_id),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = counts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![cycle.as_str(), closing.as_str(), opening.as_str()]
    );
    let r = report(&app, &t, &format!("from_count={opening}&to_count={cycle}")).await;
    assert_eq!(kinds(&r), vec!["cycle_count_bound"]);
    assert_eq!(
        reason(&r, "cycle_count_bound").unwrap()["count_ids"],
        json!([cycle])
    );
}

async fn bad_periods_are_named_and_other_tenants_counts_are_not_found(app: TestApp) {
    let t = app.register("AvT Bad").await;
    let (_, _, opening, closing) = hand_computed_case(&app, &t).await;
    let open = start_count(&app, &t, "full", &[]).await;
    let field = |res: reqwest::Response| async move {
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        res.json::<Value>().await.unwrap()["field"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let cases = [
        (String::new(), "from"),
        (
            format!(
                "from_count={opening}&{}",
                period("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z")
            ),
            "from",
        ),
        (format!("from_count={opening}"), "to_count"),
        (format!("to_count={closing}"), "from_count"),
        ("from=2026-03-01T00:00:00Z".to_owned(), "to"),
        (period("2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z"), "to"),
        (period("2025-01-01T00:00:00Z", "2026-03-02T00:00:00Z"), "to"),
        (
            format!("from_count={closing}&to_count={opening}"),
            "to_count",
        ),
        (
            format!("from_count={open}&to_count={closing}"),
            "from_count",
        ),
        ("from_count=nonsense&to_count=x".to_owned(), "from_count"),
    ];
    for (query, want) in cases {
        assert_eq!(field(avt(&app, &t, &query).await).await, want, "{query}");
    }
    // A count of another location bounds nothing here.
    let res = app
        .post(
            "/api/v1/locations",
            Some(&t.token),
            &json!({"name": "Peckham", "kind": "outlet"}),
        )
        .await;
    let peckham = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .get(
            &format!("/api/v1/avt?location_id={peckham}&from_count={opening}&to_count={closing}"),
            &t.token,
        )
        .await;
    assert_eq!(field(res).await, "from_count");

    // Another tenant: the counts and the location are not found.
    let other = app.register("AvT Other").await;
    let res = avt(
        &app,
        &other,
        &format!("from_count={opening}&to_count={closing}"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .get(
            &format!(
                "/api/v1/avt?location_id={}&{}",
                t.location_id,
                period("2026-03-02T06:00:00Z", "2026-03-05T06:00:00Z")
            ),
            &other.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .get(
            &format!("/api/v1/avt/counts?location_id={}", t.location_id),
            &other.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Staff may not read reports.
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let res = app
        .get(
            &format!(
                "/api/v1/avt?location_id={}&from_count={opening}&to_count={closing}",
                t.location_id
            ),
            &staff,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
