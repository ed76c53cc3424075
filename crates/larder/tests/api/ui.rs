//! The web UI over HTTP (the browser test covers the real browser).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, spawn_app};

fn browser() -> reqwest::Client {
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
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Cardamom") && html.contains("250.000 g"),
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
