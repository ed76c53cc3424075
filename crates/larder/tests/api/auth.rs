use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    login_with_a_wrong_password_or_unknown_email_gets_the_same_401,
    a_refresh_token_rotates_and_its_reuse_revokes_the_family,
    roles_limit_what_a_member_may_do,
    me_reports_the_callers_tenant_and_scopes,
);

async fn login_with_a_wrong_password_or_unknown_email_gets_the_same_401(app: TestApp) {
    let t = app.register("Curry House").await;
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": t.email, "password": "nope nope nope"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "ghost@example.com", "password": "nope nope nope"}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (a, b): (Value, Value) = (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(a, b);
    let no_token = app
        .client
        .get(app.url("/api/v1/items"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    let bad_token = app.get("/api/v1/items", "not.a.jwt").await;
    assert_eq!(bad_token.status(), StatusCode::UNAUTHORIZED);
}

async fn a_refresh_token_rotates_and_its_reuse_revokes_the_family(app: TestApp) {
    let t = app.register("Rotation").await;
    let first = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": t.refresh}),
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let pair: Value = first.json().await.unwrap();
    let rotated = pair["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, t.refresh);
    assert_eq!(
        app.get("/api/v1/auth/me", pair["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    // The old token again: a reuse. 401, and the whole family (the rotated token too) dies.
    let reuse = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": t.refresh}),
        )
        .await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    let after = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": rotated}),
        )
        .await;
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "the rotated token must be revoked with its family"
    );

    // Logout revokes a fresh family.
    let pair = app.login(&t.email, "correct horse battery").await;
    let token = pair["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": token})
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": token})
        )
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
    let forged = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": format!("{}.{}", t.tenant_id.replace('-', ""), "A".repeat(43))})).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

async fn roles_limit_what_a_member_may_do(app: TestApp) {
    let t = app.register("Roles").await;
    let email = format!("cook-{}@example.com", uuid::Uuid::now_v7().simple());
    let res = app.post("/api/v1/members", Some(&t.token), &json!({"email": email, "name": "Cook", "password": "cook password 1", "role": "staff"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let staff = app.login(&email, "cook password 1").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let item = app.create_item(&t, "Onions", "g", "0.0008").await;
    // Staff may read and record waste, not change the catalog or add members.
    assert_eq!(
        app.get("/api/v1/items", &staff).await.status(),
        StatusCode::OK
    );
    let waste = json!({"item_id": item, "location_id": t.location_id, "quantity": "1", "kind": "waste", "reason": "spoilage"});
    assert_eq!(
        app.post("/api/v1/stock/adjustments", Some(&staff), &waste)
            .await
            .status(),
        StatusCode::CREATED
    );
    let res = app
        .post(
            "/api/v1/items",
            Some(&staff),
            &json!({"name": "Garlic", "base_unit": "g"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.json::<Value>().await.unwrap()["type"],
        "/problems/forbidden"
    );
    let res = app.post("/api/v1/members", Some(&staff), &json!({"email": "x@example.com", "name": "X", "password": "whatever 123", "role": "admin"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn me_reports_the_callers_tenant_and_scopes(app: TestApp) {
    let t = app.register("Me Ltd").await;
    let me: Value = app
        .get("/api/v1/auth/me", &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenant_id"], t.tenant_id.as_str());
    assert_eq!(me["role"], "owner");
    assert_eq!(me["tenant_slug"], "me-ltd");
    assert!(
        me["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "inventory.adjust")
    );
    // A second tenant with the same name gets another slug; the person can log in to either.
    let second = app
        .sign_up(&json!({"tenant_name": "Me Ltd", "email": t.email, "password": "another horse battery", "name": "Owner"}))
        .await;
    assert_ne!(second["tenant_slug"], "me-ltd");
    assert_eq!(second["existing_account"], true);
    let ambiguous = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": t.email, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(ambiguous.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ambiguous.json::<Value>().await.unwrap()["field"], "tenant");
    let chosen = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": t.email, "password": "correct horse battery", "tenant": "me-ltd"}),
        )
        .await;
    assert_eq!(chosen.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_limited_per_address() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    // Refreshes with a forged token are cheap (no password hashing), so the attempts arrive
    // faster than the quota refills (one every two seconds).
    let forged = json!({"refresh_token": format!("{}.{}", "0".repeat(32), "A".repeat(43))});
    for _ in 0..larder_web::AUTH_ATTEMPTS_PER_MINUTE {
        assert_eq!(
            app.post("/api/v1/auth/refresh", None, &forged)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The address's budget is spent for every authentication route, login included.
    let body = json!({"email": "guess@example.com", "password": "guess guess guess"});
    let res = app.post("/api/v1/auth/login", None, &body).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(
        res.json::<Value>().await.unwrap()["type"],
        "/problems/rate-limited"
    );
    // Other endpoints are not limited.
    assert_eq!(
        app.client
            .get(app.url("/health/live"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
