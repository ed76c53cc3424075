//! The web UI over HTTP (the browser test covers the real browser).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_session_and_show_only_the_callers_tenant() {
    let app = spawn_app(Backend::Sqlite).await;
    let a = app.register("Owner Tenant").await;
    let b = app.register("Other Tenant").await;
    let item_b = app.create_item(&b, "Other's saffron", "g", "2.5").await;
    let email = format!("staff-{}@example.com", uuid::Uuid::now_v7().simple());
    let res = app.post("/api/v1/members", Some(&a.token), &json!({"email": email, "name": "Staff", "password": "staff password 1", "role": "staff"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let item_a = app.create_item(&a, "Cardamom", "g", "0.03").await;
    assert_eq!(
        app.adjust(&a, &item_a, "250", "receipt").await.status(),
        StatusCode::CREATED
    );

    let web = browser();
    let res = web.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");

    // A login form posted from another site is refused.
    let form = [("email", email.as_str()), ("password", "staff password 1")];
    let res = web
        .post(app.url("/login"))
        .header("Origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = web
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set_cookies: Vec<_> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        set_cookies
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("SameSite=Strict")),
        "{set_cookies:?}"
    );

    // Staff see stock, not the reports, and never another tenant's item.
    let page = web.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    // The dashboard runs the app's own script (its live parts), and no other.
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self';"),
        "{csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Cardamom") && html.contains("250 g"),
        "{html}"
    );
    assert!(html.contains("need a manager&#x27;s role") || html.contains("need a manager's role"));
    assert!(!html.contains("Other&#x27;s saffron") && !html.contains("Other's saffron"));
    assert_eq!(
        web.get(app.url(&format!("/items/{item_b}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        web.get(app.url(&format!("/items/{item_a}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Logging out ends the session.
    assert_eq!(
        web.post(app.url("/logout")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        web.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

fn cookie_header(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().unwrap().split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) async fn logged_in(app: &crate::helpers::TestApp, email: &str) -> reqwest::Client {
    let web = browser();
    let res = web
        .post(app.url("/login"))
        .form(&[("email", email), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    web
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_cookie_is_renewed_from_the_refresh_cookie_on_the_same_url() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Renewing Tenant").await;
    let web = browser();
    let res = web
        .get(app.url("/items?q=rice"))
        .header(
            "cookie",
            format!(
                "larder_access=expired.or.forged; larder_refresh={}",
                t.refresh
            ),
        )
        .send()
        .await
        .unwrap();
    // The browser is sent back to the same page with a fresh pair of cookies.
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(res.headers()["location"], "/items?q=rice");
    let cookies = cookie_header(&res);
    assert!(
        cookies.contains("larder_access=") && cookies.contains("larder_refresh="),
        "{cookies}"
    );
    let page = web
        .get(app.url("/items?q=rice"))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Renewing Tenant"));
    // The old refresh token is spent: presented again, it is a copy, and signs nobody in.
    let res = web
        .get(app.url("/"))
        .header("cookie", format!("larder_refresh={}", t.refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_that_ends_before_it_starts_is_a_422_page_naming_the_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Period Tenant").await;
    let web = logged_in(&app, &t.email).await;
    let res = web
        .get(app.url("/?from=2024-02-01&to=2024-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Invalid request</h1>"), "{html}");
    assert!(html.contains("from: must be before to"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_form_past_the_address_limit_is_a_429_page_with_retry_after() {
    let app = spawn_app(Backend::Sqlite).await;
    // Forged refreshes are cheap, so they spend the address's budget faster than it refills.
    let forged = json!({"refresh_token": format!("{}.{}", "0".repeat(32), "A".repeat(43))});
    for _ in 0..larder_web::AUTH_ATTEMPTS_PER_MINUTE {
        assert_eq!(
            app.post("/api/v1/auth/refresh", None, &forged)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = browser()
        .post(app.url("/login"))
        .form(&[
            ("email", "guess@example.com"),
            ("password", "guess guess guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Too many attempts</h1>"), "{html}");
    assert!(
        html.contains(&format!("try again in {wait} seconds")),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_say_503_not_500_when_the_database_is_gone_and_keep_its_detail_private() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Closing Tenant").await;
    let web = logged_in(&app, &t.email).await;
    assert_eq!(
        web.get(app.url("/items")).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The access cookie is checked without the database, so the page reaches its use case.
    app.app.store().close().await;
    // SQLite's reader threads stop a moment after `close` returns; a read queued before they
    // have gone is dropped with their queue, which the store reports as an abandoned
    // transaction (500) rather than as unavailable. Once they have gone, every read is refused
    // as unavailable, which is what a page must show.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for path in ["/", "/items", "/recipes"] {
        let res = web.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = res.text().await.unwrap();
        assert!(html.contains("<h1>Service unavailable</h1>"), "{html}");
        assert!(
            !html.contains("stopped") && !html.contains("reader"),
            "{html}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_and_settings_pages_refuse_bad_input_and_only_owners_change_settings() {
    let app = spawn_app(Backend::Sqlite).await;
    // Sign-up: a bad time zone shows the form again, naming it and keeping what was typed.
    let web = browser();
    let form = [
        ("tenant_name", "Pizza Place"),
        ("name", "Maria"),
        ("email", "maria@example.com"),
        ("password", "wood fired oven 1970"),
        ("currency", "USD"),
        ("time_zone", "New York"),
        ("day_cutoff", "03:00"),
    ];
    let res = web
        .post(app.url("/signup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("is not an IANA time zone"), "{html}");
    assert!(html.contains("value=\"Pizza Place\""));
    assert!(
        !html.contains("wood fired oven 1970"),
        "the password came back"
    );
    // A good one answers alike for any email and creates nothing yet.
    let mut good = form;
    good[5] = ("time_zone", "America/New_York");
    let res = web
        .post(app.url("/signup"))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("id=\"sent\""));
    // The link with a wrong password: 401, and the link still works.
    let token = app
        .app
        .issue_sign_up_token(&larder_core::Email::parse("maria@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    let confirm = |password: &'static str| {
        let (web, url, token) = (&web, app.url("/signup/confirm"), token.clone());
        async move {
            web.post(url)
                .form(&[("token", token.as_str()), ("password", password)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        confirm("not my password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = confirm("wood fired oven 1970").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("pizza-place"));

    // Settings: the owner saves; a form read before someone else saved is a 412 page; a bad
    // cutoff is a 422 page; a manager sees the values but no form, and a post is refused.
    let owner = browser();
    let res = owner
        .post(app.url("/login"))
        .form(&[
            ("email", "maria@example.com"),
            ("password", "wood fired oven 1970"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let settings = |version: &'static str, cutoff: &'static str| {
        let (owner, url) = (&owner, app.url("/settings"));
        async move {
            owner
                .post(url)
                .form(&[
                    ("version", version),
                    ("currency", "USD"),
                    ("time_zone", "America/New_York"),
                    ("day_cutoff", cutoff),
                    ("week_start", "sunday"),
                    ("units", "metric"),
                    ("approval_threshold", ""),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = settings("1", "02:00").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/settings?saved=1");
    assert_eq!(
        settings("1", "02:00").await.status(),
        StatusCode::PRECONDITION_FAILED
    );
    let res = settings("2", "13:00").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("value=\"13:00\""));
    let page = owner
        .get(app.url("/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"02:00\"") && page.contains("value=\"sunday\" selected"));
    // The approval threshold for purchase orders: saved from the page, a negative one refused.
    let threshold = |version: &'static str, amount: &'static str| {
        let (owner, url) = (&owner, app.url("/settings"));
        async move {
            owner
                .post(url)
                .form(&[
                    ("version", version),
                    ("currency", "USD"),
                    ("time_zone", "America/New_York"),
                    ("day_cutoff", "02:00"),
                    ("week_start", "sunday"),
                    ("units", "metric"),
                    ("approval_threshold", amount),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = threshold("2", "-5").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("approval_threshold"));
    assert_eq!(threshold("2", "750").await.status(), StatusCode::SEE_OTHER);
    let login = app.login("maria@example.com", "wood fired oven 1970").await;
    let s: Value = app
        .get("/api/v1/settings", login["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["approval_threshold"], "750.00");

    let token = app.login("maria@example.com", "wood fired oven 1970").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = format!("manager-{}@example.com", uuid::Uuid::now_v7().simple());
    let res = app
        .post(
            "/api/v1/members",
            Some(&token),
            &json!({"email": email, "name": "M", "password": "correct horse battery", "role": "manager"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let manager = logged_in(&app, &email).await;
    let page = manager
        .get(app.url("/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Only an owner can change these") && !page.contains("id=\"save\""));
    let res = manager
        .post(app.url("/settings"))
        .form(&[
            ("version", "2"),
            ("currency", "EUR"),
            ("time_zone", "Europe/Paris"),
            ("day_cutoff", "00:00"),
            ("week_start", "monday"),
            ("units", "metric"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_the_tenants_currency_and_units() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Pizza Place").await;
    let flour = app.create_item(&t, "Flour", "g", "0.0016").await;
    assert_eq!(
        app.adjust(&t, &flour, "2000", "receipt").await.status(),
        StatusCode::CREATED
    );
    let web = logged_in(&app, &t.email).await;
    let page = |path: String| {
        let (web, url) = (&web, app.url(&path));
        async move { web.get(url).send().await.unwrap().text().await.unwrap() }
    };
    // Pounds sterling and metric by default: the cost per kg, the stock in kg.
    let html = page(format!("/items/{flour}")).await;
    assert!(
        html.contains("<span id=\"unit-cost\">£1.60/kg</span>") && html.contains("2 kg"),
        "{html}"
    );
    let res = app
        .put(
            "/api/v1/settings",
            &t.token,
            &json!({"currency": "USD", "time_zone": "America/New_York", "day_cutoff_minutes": 180,
                    "week_start": "sunday", "units": "us_customary"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // 0.0016 per g is 0.7257 per lb; 2 000 g is 4.409 lb.
    let html = page(format!("/items/{flour}")).await;
    assert!(
        html.contains("$0.73/lb") && html.contains("4.41 lb"),
        "{html}"
    );
    let html = page("/".to_owned()).await;
    assert!(
        html.contains("4.41 lb") && html.contains("weeks start on Sunday"),
        "{html}"
    );
    let html = page("/items".to_owned()).await;
    assert!(html.contains("$0.73/lb"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_have_a_y_axis_and_mark_a_partial_last_week() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Partial Weeks").await;
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    app.dish(&t, "Rice Bowl", &rice, "100").await;
    // The last sale on Wednesday 2026-03-11: its week (Monday 9 March) has three days of data.
    for day in ["2026-03-03", "2026-03-11"] {
        app.sell(&t, "Rice Bowl", "2", &format!("{day}T12:00:00Z"))
            .await;
    }
    let web = logged_in(&app, &t.email).await;
    let html = web
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("9 Mar 2026 (partial)"), "{html}");
    assert!(html.contains("stroke-dasharray"), "{html}");
    assert!(
        html.contains(">200 g</text>") && html.contains(">0 g</text>"),
        "{html}"
    );
    // A period of whole weeks that the data covers has no partial week.
    let html = web
        .get(app.url("/?from=2026-02-23&to=2026-03-09"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(">2 Mar 2026<"), "{html}");
    assert!(
        !html.contains("(partial)") && !html.contains("stroke-dasharray"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_recipe_lists_its_ingredients_for_the_batch() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Sauce Kitchen").await;
    let tomato = app.create_item(&t, "Tomato", "g", "0.003").await;
    let res = app
        .post("/api/v1/recipes", Some(&t.token), &json!({"name": "Tomato sauce", "yield_quantity": "2400", "yield_unit": "g", "lines": [{"item_id": tomato, "quantity": "3", "unit": "kg"}]}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let recipe: serde_json::Value = res.json().await.unwrap();
    // Per gram of sauce 1.25 g of tomato; for the batch 3 kg, exactly.
    assert_eq!(recipe["ingredients"][0]["quantity"], "1.250");
    assert_eq!(recipe["batch_ingredients"][0]["quantity"], "3000.000");
    let web = logged_in(&app, &t.email).await;
    let html = web
        .get(app.url(&format!("/recipes/{}", recipe["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Ingredients for one batch (2.4 kg)") && html.contains(">3 kg</td>"),
        "{html}"
    );
    // The bill of materials as entered, without the ledger's trailing zeros.
    assert!(
        html.contains(">3 kg</td></tr>") && !html.contains("3.000 kg"),
        "{html}"
    );
    assert!(html.contains("£3.75/kg"), "{html}");
}

/// The API takes the UI's cookie, but a change made on the strength of the cookie alone must
/// come from our own origin: a page elsewhere cannot retire an item or import sales in the
/// caller's name with a "simple" request that no CORS preflight stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_authenticated_api_change_from_another_origin_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Origin Bistro").await;
    let okra = app.create_item(&t, "Okra", "g", "0.006").await;
    let web = logged_in(&app, &t.email).await;
    let origin = app.address.clone();
    let retire = app.url(&format!("/api/v1/items/{okra}/retire"));
    let res = web
        .post(&retire)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let import = app.url(&format!(
        "/api/v1/sales/imports?location_id={}",
        t.location_id
    ));
    let res = web
        .post(&import)
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body("ticket,date,item\n1,2024-05-01 12:00,Okra\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Nothing changed: the item is still listed, no sale recorded.
    let item: Value = app
        .get(&format!("/api/v1/items/{okra}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(item["retired_at"], Value::Null);
    let sales: Value = app
        .get("/api/v1/sales", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sales["data"], json!([]));
    // From our own origin the cookie works; a bearer token needs no origin at all.
    let res = web
        .post(&retire)
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let res = app
        .client
        .post(&import)
        .bearer_auth(&t.token)
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body("ticket,date,item\n1,2024-05-01 12:00,Okra\n")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "an upload is text/csv"
    );
}

/// The suppliers pages: a refused supplier shows the form again (422) naming the field and
/// keeping what was typed; staff see the list but no form and may not post; another tenant's
/// supplier is a 404 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supplier_pages_name_bad_fields_and_keep_to_their_tenant_and_role() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Supplier Pages").await;
    let web = logged_in(&app, &t.email).await;
    let res = web
        .post(app.url("/suppliers"))
        .form(&[
            ("name", "Brakes"),
            ("lead_time_days", "120"),
            ("order_days", "monday"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("lead_time_days") && page.contains("value=\"Brakes\""),
        "{page}"
    );
    assert!(
        page.contains("id=\"day-monday\" style") && page.contains("checked"),
        "the ticked day stays ticked"
    );
    let res = web
        .post(app.url("/suppliers"))
        .form(&[("name", "Brakes"), ("lead_time_days", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/suppliers/"), "{location}");

    let email = format!("staff-{}@example.com", uuid::Uuid::now_v7().simple());
    let res = app
        .post(
            "/api/v1/members",
            Some(&t.token),
            &json!({"email": email, "name": "S", "password": "correct horse battery", "role": "staff"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let staff = logged_in(&app, &email).await;
    let list = staff
        .get(app.url("/suppliers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Brakes") && !list.contains("id=\"add-supplier\""),
        "{list}"
    );
    let res = staff
        .post(app.url("/suppliers"))
        .form(&[("name", "Staff's own")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let other = app.register("Other Supplier Pages").await;
    let theirs = logged_in(&app, &other.email).await;
    let res = theirs.get(app.url(&location)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// The purchase order pages: a line below the minimum order shows the form again (422) naming
/// it and keeping what was typed; the order's page offers only the actions its status allows,
/// a page read before a change is refused (412) showing the order as it is; staff see orders
/// but no buttons and may not post; another tenant's order is a 404 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purchase_order_pages_name_bad_lines_follow_the_status_and_keep_to_their_tenant() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("PO Pages").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.0016").await;
    let supplier = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let si = app
        .post(
            "/api/v1/supplier-items",
            Some(&t.token),
            &json!({"supplier_id": supplier, "item_id": rice, "supplier_sku": "R-6KG", "moq_packs": 2,
                    "price_per_pack": "9.60",
                    "packs": [{"name": "case", "quantity": "6"}, {"name": "bag", "quantity": "1", "unit": "kg"}]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let web = logged_in(&app, &t.email).await;
    let form = web
        .get(app.url(&format!("/purchase-orders/new?supplier_id={supplier}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("R-6KG") && form.contains("at least 2"),
        "{form}"
    );
    let order = |packs: &'static str| {
        vec![
            ("supplier_id", supplier.clone()),
            ("location_id", t.location_id.clone()),
            ("expected_delivery", String::new()),
            ("supplier_item_id", si.clone()),
            ("packs", packs.to_owned()),
            ("supplier_item_id", String::new()),
            ("packs", String::new()),
            ("note", "Back door".to_owned()),
        ]
    };
    let res = web
        .post(app.url("/purchase-orders"))
        .form(&order("1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("lines[0].packs")
            && page.contains("value=\"1\"")
            && page.contains("Back door"),
        "{page}"
    );
    let res = web
        .post(app.url("/purchase-orders"))
        .form(&order("3"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(at.starts_with("/purchase-orders/"), "{at}");
    let page = web
        .get(app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("PO-000001") && page.contains("£28.80"),
        "{page}"
    );
    assert!(
        page.contains("id=\"po-submit\"")
            && page.contains("id=\"po-cancel\"")
            && !page.contains("id=\"po-approve\""),
        "a draft is submitted or cancelled"
    );
    // The three-way match: nothing received yet, so every ordered line is short.
    assert!(
        page.contains("id=\"po-match\"") && page.contains("received 0.000 of"),
        "{page}"
    );
    let post = |action: &str, version: &str| {
        web.post(app.url(&format!("{at}/{action}")))
            .form(&[("version", version)])
            .send()
    };
    assert_eq!(
        post("submit", "1").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let res = post("submit", "1").await.unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Submitted") && page.contains("id=\"po-approve\""),
        "{page}"
    );
    assert_eq!(
        post("approve", "2").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post("send", "3").await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let res = web
        .get(app.url(&format!("{at}/documents/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));

    let (_, staff_email, _) = app.add_member(&t, "staff").await;
    let staff = browser();
    let res = staff
        .post(app.url("/login"))
        .form(&[
            ("email", staff_email.as_str()),
            ("password", crate::helpers::MEMBER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = staff
        .get(app.url("/purchase-orders"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("PO-000001") && !list.contains("id=\"new-po\""),
        "{list}"
    );
    let page = staff
        .get(app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("id=\"po-actions\""), "staff get no buttons");
    let res = staff
        .post(app.url(&format!("{at}/cancel")))
        .form(&[("version", "4"), ("reason", "staff")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let other = app.register("Other PO Pages").await;
    let theirs = logged_in(&app, &other.email).await;
    for path in [at.clone(), format!("{at}/documents/csv")] {
        let res = theirs.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

/// The reorder page: with two locations it asks which first; a location's suggestions come in
/// supplier cards with the packs to edit; packs below the minimum order show the page again
/// (422) naming the line with what was typed; good packs make the draft and open the drafts;
/// staff see suggestions without the button and may not post; another tenant's location is a
/// 404 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reorder_page_picks_a_location_names_bad_packs_and_makes_drafts() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Reorder Pages").await;
    let rice = app.create_item(&t, "Basmati rice", "g", "0.0016").await;
    let res = app
        .post(
            "/api/v1/locations",
            Some(&t.token),
            &json!({"name": "Peckham", "kind": "outlet"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .put(
            &format!("/api/v1/items/{rice}/par-levels/{}", t.location_id),
            &t.token,
            &json!({"par_level": "20000", "reorder_point": "8000"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let supplier = id(app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes", "lead_time_days": 2}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap());
    let si = id(app
        .post(
            "/api/v1/supplier-items",
            Some(&t.token),
            &json!({"supplier_id": supplier, "item_id": rice, "supplier_sku": "R-6KG", "moq_packs": 2,
                    "price_per_pack": "9.60",
                    "packs": [{"name": "case", "quantity": "6"}, {"name": "bag", "quantity": "1", "unit": "kg"}]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap());
    let res = app
        .put(
            &format!("/api/v1/items/{rice}/preferred-supplier/{}", t.location_id),
            &t.token,
            &json!({"supplier_item_id": si}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let web = logged_in(&app, &t.email).await;
    let text = |res: reqwest::Response| async move { res.text().await.unwrap() };
    let res = web.get(app.url("/reorder")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = text(res).await;
    assert!(
        page.contains("id=\"reorder-location\"")
            && page.contains("Peckham")
            && !page.contains("id=\"reorder-form\""),
        "{page}"
    );
    let here = format!("/reorder?location_id={}", t.location_id);
    let page = text(web.get(app.url(&here)).send().await.unwrap()).await;
    assert!(
        page.contains("Basmati rice")
            && page.contains(&format!("id=\"packs-{si}\""))
            && page.contains("value=\"4\"")
            && page.contains("£38.40")
            && page.contains("id=\"create-drafts\""),
        "{page}"
    );
    let form = |packs: &'static str| {
        vec![
            ("location_id", t.location_id.clone()),
            ("days", "28".to_owned()),
            ("supplier_item_id", si.clone()),
            ("packs", packs.to_owned()),
        ]
    };
    let res = web
        .post(app.url("/reorder"))
        .form(&form("1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(res).await;
    assert!(
        page.contains("lines[0].packs") && page.contains("value=\"1\""),
        "{page}"
    );
    let res = web
        .post(app.url("/reorder"))
        .form(&form("5"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/purchase-orders?status=draft");
    let list = text(
        web.get(app.url("/purchase-orders?status=draft"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        list.contains("PO-000001") && list.contains("Draft") && list.contains("£48.00"),
        "{list}"
    );

    let (_, staff_email, _) = app.add_member(&t, "staff").await;
    let staff = browser();
    let res = staff
        .post(app.url("/login"))
        .form(&[
            ("email", staff_email.as_str()),
            ("password", crate::helpers::MEMBER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = text(staff.get(app.url(&here)).send().await.unwrap()).await;
    assert!(
        page.contains("Basmati rice") && !page.contains("id=\"create-drafts\""),
        "{page}"
    );
    let res = staff
        .post(app.url("/reorder"))
        .form(&form("5"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let other = app.register("Other Reorder Pages").await;
    let theirs = logged_in(&app, &other.email).await;
    for path in [here.clone(), "/reorder?location_id=nonsense".to_owned()] {
        let res = theirs.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

/// A sent order to receive at the back door: 3 cases of rice (6 x 1 kg at 9.60, GTIN
/// 4006381333931) and a case of oil (SKU OIL-4, 4 x 2.5 L at 18.40) from Brakes, to the
/// tenant's location; its id.
pub(crate) async fn order_to_receive(
    app: &crate::helpers::TestApp,
    t: &crate::helpers::Tenant,
) -> String {
    let rice = app.create_item(t, "Basmati rice", "g", "0.0016").await;
    let oil = app.create_item(t, "Rapeseed oil", "ml", "0.0013").await;
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            "/api/v1/suppliers",
            Some(&t.token),
            &json!({"name": "Brakes"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let supplier = id(res.json().await.unwrap());
    let mut sold = Vec::new();
    for body in [
        json!({"supplier_id": supplier, "item_id": rice, "supplier_sku": "R-6KG", "gtin": "4006381333931",
               "price_per_pack": "9.60",
               "packs": [{"name": "case", "quantity": "6"}, {"name": "bag", "quantity": "1", "unit": "kg"}]}),
        json!({"supplier_id": supplier, "item_id": oil, "supplier_sku": "OIL-4", "price_per_pack": "18.40",
               "packs": [{"name": "case", "quantity": "4"}, {"name": "bottle", "quantity": "2.5", "unit": "l"}]}),
    ] {
        let res = app
            .post("/api/v1/supplier-items", Some(&t.token), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        sold.push(id(res.json().await.unwrap()));
    }
    let res = app
        .post(
            "/api/v1/purchase-orders",
            Some(&t.token),
            &json!({"supplier_id": supplier, "location_id": t.location_id,
                    "lines": [{"supplier_item_id": sold[0], "packs": 3},
                              {"supplier_item_id": sold[1], "packs": 1}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let po = id(res.json().await.unwrap());
    for (action, version) in [("submit", 1), ("approve", 2), ("send", 3)] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/purchase-orders/{po}/{action}")))
            .bearer_auth(&t.token)
            .header("if-match", format!("\"{version}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{action}");
    }
    po
}

/// The hidden idempotency key of a rendered form.
fn form_key(html: &str) -> String {
    let at = html.find(r#"name="key" value=""#).expect("a key field") + 18;
    html[at..].split('"').next().unwrap().to_owned()
}

/// Receiving at the back door over HTTP, as staff: the list shows the sent order; a scan of a
/// known GTIN (or SKU) brings its line first with the packs box focused, an unknown one says
/// so; a bad expiry shows the form again (422) on that line's card with what was typed; the
/// form posts once however often it is sent, and the receipt names what to look at; another
/// tenant's order is a 404 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_received_at_the_back_door_by_scan_and_form_once() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Back Door").await;
    let po = order_to_receive(&app, &t).await;
    let (_, staff_email, _) = app.add_member(&t, "staff").await;
    let web = browser();
    let res = web
        .post(app.url("/login"))
        .form(&[
            ("email", staff_email.as_str()),
            ("password", crate::helpers::MEMBER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let get = |path: String| {
        let (web, url) = (&web, app.url(&path));
        async move {
            let res = web.get(url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (status, list) = get("/receiving".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("PO-000001")
            && list.contains("Brakes")
            && list.contains(&format!("href=\"/receiving/{po}\""))
            && list.contains("2 lines to come")
            && list.contains("class=\"active\" id=\"nav-receiving\""),
        "{list}"
    );
    // A scan of the oil's SKU brings its line first, its packs box focused.
    let (_, page) = get(format!("/receiving/{po}?scan=oil-4")).await;
    let (rice, oil) = (
        page.find("id=\"line-1\"").unwrap(),
        page.find("id=\"line-2\"").unwrap(),
    );
    assert!(oil < rice, "the scanned line comes first");
    assert!(page.contains("Found Rapeseed oil"), "{page}");
    let packs = &page[page.find("id=\"packs-2\"").unwrap()..];
    assert!(
        packs[..packs.find('>').unwrap()].contains("autofocus"),
        "{packs}"
    );
    // A GTIN-13 read as a GTIN-14 (a leading zero) is the same code.
    let (_, page) = get(format!("/receiving/{po}?scan=04006381333931")).await;
    assert!(page.contains("line-card scanned\" id=\"line-1\""), "{page}");
    let (status, page) = get(format!("/receiving/{po}?scan=96385074")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("No line on this order has GTIN 96385074.") && !page.contains(" scanned\""),
        "{page}"
    );
    // The page runs its own script and no other.
    let res = web
        .get(app.url(&format!("/receiving/{po}")))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"src="/assets/receiving.js""#));
    let script = web
        .get(app.url("/assets/receiving.js"))
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
    // Prefilled with what is still to come, at the order's price.
    assert!(
        page.contains(r#"name="packs_1" id="packs-1" data-role="packs" inputmode="decimal" autocomplete="off" value="3""#),
        "{page}"
    );
    let key = form_key(&page);
    let form = |expires: &str| {
        vec![
            ("key", key.clone()),
            ("packs_1", "2".into()),
            ("quantity_1", String::new()),
            ("price_1", "9.60".into()),
            ("lot_1", "R-1".into()),
            ("expires_1", expires.to_owned()),
            ("rejected_1", String::new()),
            ("reason_1", String::new()),
            ("packs_2", "1".into()),
            ("quantity_2", String::new()),
            ("price_2", "19.00".into()),
            ("lot_2", "O-7".into()),
            ("expires_2", String::new()),
            ("rejected_2", String::new()),
            ("reason_2", String::new()),
            ("delivery_note", "DN-1001".into()),
        ]
    };
    let post = |body: Vec<(&'static str, String)>| {
        let (web, url) = (&web, app.url(&format!("/receiving/{po}")));
        async move { web.post(url).form(&body).send().await.unwrap() }
    };
    let res = post(form("2020-01-01")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let card = &page[page.find("id=\"line-1\"").unwrap()..page.find("id=\"line-2\"").unwrap()];
    assert!(
        card.contains(r#"data-field="lines[0].expires_on""#)
            && card.contains("must not be before the day the goods arrived")
            && card.contains("value=\"R-1\""),
        "{card}"
    );
    assert!(page.contains("Line 1 (Basmati rice)"), "{page}");
    assert_eq!(form_key(&page), key, "a refused form keeps its key");
    // Confirmed twice (a double tap): one receipt.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let res = post(form("2030-06-01")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        seen.push(res.headers()["location"].to_str().unwrap().to_owned());
    }
    assert_eq!(seen[0], seen[1]);
    assert!(seen[0].starts_with("/receiving/done/"), "{}", seen[0]);
    let listed: Value = app
        .get(
            &format!("/api/v1/goods-receipts?purchase_order_id={po}"),
            &t.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "posted once");
    let (status, done) = get(seen[0].clone()).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "Order now: Partly received",
        "PO-000001",
        "DN-1001",
        "2 packs · 12 kg",
        "R-1",
        "1 Jun 2030",
        "Under: less arrived than was still to come",
        "Price differs: £19.00 a pack, the order said £18.40",
        "£38.20",
    ] {
        assert!(done.contains(want), "{want}: {done}");
    }
    assert!(!done.contains("Over:"), "{done}");
    // The order now has a line left; the list says so.
    let (_, list) = get("/receiving".into()).await;
    assert!(list.contains("1 line to come"), "{list}");

    let other = app.register("Other Back Door").await;
    let theirs = logged_in(&app, &other.email).await;
    for path in [format!("/receiving/{po}"), seen[0].clone()] {
        let res = theirs.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = {
        let res = theirs.get(app.url("/receiving")).send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    };
    assert!(!list.contains("PO-000001"), "{list}");
}

/// A walk-in delivery by item: received at the item's cost into a lot; a quantity in a unit
/// that does not measure the item shows the form again naming the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_in_delivery_is_received_by_item() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Walk In").await;
    let flour = app.create_item(&t, "Flour", "g", "0.0008").await;
    let web = logged_in(&app, &t.email).await;
    let page = web
        .get(app.url("/receiving/walk-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Flour · £0.80/kg"), "{page}");
    let key = form_key(&page);
    let form = |unit: &str| {
        vec![
            ("key", key.clone()),
            ("location_id", t.location_id.clone()),
            ("supplier_id", String::new()),
            ("delivery_note", String::new()),
            ("item_id", String::new()),
            ("quantity", String::new()),
            ("unit", String::new()),
            ("cost", String::new()),
            ("lot", String::new()),
            ("expires", String::new()),
            ("item_id", flour.clone()),
            ("quantity", "5".into()),
            ("unit", unit.to_owned()),
            ("cost", String::new()),
            ("lot", "F-1".into()),
            ("expires", "2030-01-31".into()),
        ]
    };
    let res = web
        .post(app.url("/receiving/walk-in"))
        .form(&form("ml"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(r#"data-field="lines[1].quantity""#) && page.contains("Row 2"),
        "{page}"
    );
    let res = web
        .post(app.url("/receiving/walk-in"))
        .form(&form(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let at = res.headers()["location"].to_str().unwrap().to_owned();
    let done = web
        .get(app.url(&at))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in ["Flour", "5 kg", "£4.00", "F-1", "31 Jan 2030"] {
        assert!(done.contains(want), "{want}: {done}");
    }
    assert_eq!(app.on_hand(&t, &flour).await, "5000.000");
}

/// Three items with barcodes, as the scanning pages use them: cheddar (g, EAN-13
/// 9501101530003, a GS1 string carries its net weight), tinned tomatoes (ea, 4006381333931:
/// one tin a scan) and olive oil (ml, 5012345678900); their ids in that order.
pub(crate) async fn scanned_items(
    app: &crate::helpers::TestApp,
    t: &crate::helpers::Tenant,
) -> (String, String, String) {
    let mut ids = Vec::new();
    for (name, unit, cost, barcode) in [
        ("Cheddar", "g", "0.012", "9501101530003"),
        ("Tomatoes, tin", "ea", "0.80", "4006381333931"),
        ("Olive oil", "ml", "0.006", "5012345678900"),
    ] {
        let res = app
            .post(
                "/api/v1/items",
                Some(&t.token),
                &json!({"name": name, "base_unit": unit, "unit_cost": cost, "barcode": barcode}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        ids.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    (ids[0].clone(), ids[1].clone(), ids[2].clone())
}

/// A second location of `t`, the central kitchen, holding 24 tins and 5 kg of cheddar; its id.
pub(crate) async fn stocked_kitchen(
    app: &crate::helpers::TestApp,
    t: &crate::helpers::Tenant,
    cheddar: &str,
    tins: &str,
) -> String {
    let res = app
        .post(
            "/api/v1/locations",
            Some(&t.token),
            &json!({"name": "Central kitchen", "kind": "central_kitchen"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let ck = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post(
            "/api/v1/goods-receipts",
            Some(&t.token),
            &json!({"location_id": ck, "lines": [
                {"item_id": tins, "quantity": "24", "unit_cost": "0.80", "lot_code": "T-1", "expires_on": "2031-01-31"},
                {"item_id": cheddar, "quantity": "5000", "unit_cost": "0.012", "lot_code": "C-1", "expires_on": "2030-03-01"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    ck
}

/// A code as a query value: GS1's brackets percent-encoded.
pub(crate) fn code_query(code: &str) -> String {
    code.replace('(', "%28").replace(')', "%29")
}

/// The opening tag of the element with `id` in `page`.
fn tag<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let start = page[..at].rfind('<').unwrap();
    let end = at + page[at..].find('>').unwrap();
    &page[start..=end]
}

/// Scanning without script (ADR 018): the scan box of the count sheet, the waste page and a
/// transfer's send and receive pages is a GET form the server resolves. The sheet brings the
/// scanned item's card first (in the area being counted), its box filled with what the scan
/// carries; an item not on the sheet fills the not-on-the-sheet form, which saves a flagged
/// line; an unknown code names itself. Waste chooses the item and its amount. The send page
/// fills the line's box or an added row, and sending posts what the boxes say (once, however
/// often the form is sent); the receive page fills the line, and says what was not sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_waste_and_transfer_pages_take_a_scan_without_script() {
    let app = spawn_app(Backend::Sqlite).await;
    let t = app.register("Scan Without Script").await;
    let (cheddar, tins, oil) = scanned_items(&app, &t).await;
    let areas = crate::counts::areas(
        &app,
        &t,
        &[
            ("Walk-in", 1, &[&cheddar, &tins]),
            ("Dry store", 2, &[&tins]),
        ],
    )
    .await;
    let (walk_in, dry) = (areas[0].clone(), areas[1].clone());
    let web = browser();
    let res = web
        .post(app.url("/login"))
        .form(&[
            ("email", t.email.as_str()),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let get = |path: String| {
        let (web, url) = (&web, app.url(&path));
        async move {
            let res = web.get(url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };

    // The count sheet: Walk-in cheddar (1), Walk-in tins (2), Dry store tins (3).
    let res = app
        .post(
            "/api/v1/stock-counts",
            Some(&t.token),
            &json!({"location_id": t.location_id, "scope": "full"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let count = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, page) = get(format!("/counts/{count}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tag(&page, "scan").contains("autofocus"), "{page}");
    assert!(page.contains(r#"src="/assets/scan-lines.js""#));
    // A tin: its first card (no area chosen yet) comes first, one tin in its box.
    let (_, page) = get(format!("/counts/{count}?scan=4006381333931")).await;
    let amount = tag(&page, "amount-2");
    assert!(
        amount.contains(r#"value="1 ea""#) && amount.contains("autofocus"),
        "{amount}"
    );
    assert!(page.find("id=\"line-2\"") < page.find("id=\"line-1\""));
    assert!(
        page.contains("Tomatoes, tin (Walk-in): 1 ea. Check it, then Save."),
        "{page}"
    );
    // In the dry store, the dry store's card.
    let (_, page) = get(format!("/counts/{count}?scan=4006381333931&area={dry}")).await;
    assert!(tag(&page, "amount-3").contains("autofocus"), "{page}");
    assert!(!tag(&page, "amount-2").contains("autofocus"));
    assert!(!tag(&page, "scan").contains("autofocus"));
    // A GS1 string with a net weight of 1.250 kg: 1250 g of cheddar.
    let (_, page) = get(format!(
        "/counts/{count}?scan={}",
        code_query("(01)09501101530003(3103)001250")
    ))
    .await;
    assert!(
        tag(&page, "amount-1").contains(r#"value="1250 g""#),
        "{page}"
    );
    // Olive oil is not on the sheet: the form for it comes first, chosen, in the area.
    let (_, page) = get(format!("/counts/{count}?scan=5012345678900&area={walk_in}")).await;
    assert!(page.contains("Olive oil is not on the sheet"), "{page}");
    assert!(page.find("id=\"extra-line\"") < page.find("id=\"sheet\""));
    assert!(
        page.contains(&format!(r#"<option value="{oil}" selected>"#)),
        "{page}"
    );
    assert!(page.contains(&format!(r#"<option value="{walk_in}" selected>"#)));
    assert!(tag(&page, "extra-amount").contains("autofocus"));
    // An unknown code says which.
    let (status, page) = get(format!("/counts/{count}?scan=96385074")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No item has the code 96385074."), "{page}");
    assert!(
        tag(&page, "scan").contains("autofocus"),
        "ready for the next scan"
    );
    // Saved without script: back at the sheet in that area; the line is flagged.
    let res = web
        .post(app.url(&format!("/counts/{count}/lines")))
        .form(&[
            ("item_id", oil.as_str()),
            ("storage_area_id", walk_in.as_str()),
            ("amount", "750 ml"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with(&format!("/counts/{count}?area={walk_in}#line-")),
        "{to}"
    );
    let c: Value = app
        .get(&format!("/api/v1/stock-counts/{count}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    let line = c["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item_id"] == oil.as_str())
        .unwrap();
    assert_eq!(line["counted"], "750.000");
    assert_eq!(line["flags"]["not_on_sheet"], true);

    // Waste: the scanned item is chosen with its weight.
    let (_, page) = get(format!(
        "/waste?scan={}",
        code_query("(01)09501101530003(3103)000250")
    ))
    .await;
    assert!(
        page.contains(&format!(r#"<option value="item:{cheddar}" selected>"#)),
        "{page}"
    );
    let amount = tag(&page, "waste-amount");
    assert!(
        amount.contains(r#"value="250 g""#) && amount.contains("autofocus"),
        "{amount}"
    );
    assert!(page.contains("Cheddar: 250 g. Tap why it was thrown away."));
    let (_, page) = get("/waste?scan=96385074".into()).await;
    assert!(page.contains("No item has the code 96385074."), "{page}");

    // A transfer of 12 tins from the kitchen.
    let ck = stocked_kitchen(&app, &t, &cheddar, &tins).await;
    let res = app
        .post(
            "/api/v1/transfers",
            Some(&t.token),
            &json!({"from_location_id": ck, "to_location_id": t.location_id,
                    "lines": [{"item_id": tins, "quantity": "12"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let trf = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, page) = get(format!("/transfers/{trf}/send")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tag(&page, "sending-1").contains(r#"value="12""#), "{page}");
    let (_, page) = get(format!("/transfers/{trf}/send?scan=4006381333931")).await;
    let sending = tag(&page, "sending-1");
    assert!(
        sending.contains(r#"value="1 ea""#) && sending.contains("autofocus"),
        "{sending}"
    );
    // Cheddar was not asked for: it fills an added row.
    let (_, page) = get(format!(
        "/transfers/{trf}/send?scan={}",
        code_query("(01)09501101530003(3103)001000")
    ))
    .await;
    assert!(page.contains("Cheddar was not asked for"), "{page}");
    assert!(page.contains(&format!(r#"<option value="{cheddar}" selected>"#)));
    assert!(tag(&page, "add-amount-1").contains(r#"value="1000 g""#));
    assert!(
        page.contains("<details class=\"card add-items\" open>"),
        "{page}"
    );
    let key = form_key(&page);
    let form = vec![
        ("version", "1".to_owned()),
        ("key", key),
        ("was_1", "12".into()),
        ("amount_1", "2 ea".into()),
        ("add_item", cheddar.clone()),
        ("add_amount", "1000 g".into()),
        ("add_item", String::new()),
        ("add_amount", String::new()),
    ];
    for _ in 0..2 {
        let res = web
            .post(app.url(&format!("/transfers/{trf}/send")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()["location"].to_str().unwrap(),
            format!("/transfers/{trf}")
        );
    }
    let sent: Value = app
        .get(&format!("/api/v1/transfers/{trf}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sent["status"], "sent");
    let lines: Vec<(String, String)> = sent["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["item_name"].as_str().unwrap().to_owned(),
                l["sent_quantity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("Tomatoes, tin".to_owned(), "2.000".to_owned()),
            ("Cheddar".to_owned(), "1000.000".to_owned())
        ]
    );
    // Receiving: the tin's line takes the scan; olive oil was not sent.
    let (_, page) = get(format!("/transfers/{trf}/receive?scan=4006381333931")).await;
    let received = tag(&page, "received-1");
    assert!(
        received.contains(r#"value="1 ea""#) && received.contains("autofocus"),
        "{received}"
    );
    let (_, page) = get(format!("/transfers/{trf}/receive?scan=5012345678900")).await;
    assert!(
        page.contains("Olive oil was not sent on this transfer."),
        "{page}"
    );
}
