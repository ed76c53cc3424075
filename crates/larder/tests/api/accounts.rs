//! Accounts: sessions that end at once (logout, deactivation), roles that change from the next
//! request, member administration that always leaves an owner.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    logout_ends_the_access_token_at_once,
    a_deactivated_member_is_refused_at_once_and_can_be_reactivated,
    a_role_change_applies_to_the_next_request,
    the_last_active_owner_cannot_be_demoted_or_deactivated,
    members_are_listed_by_email,
    api_keys_act_within_their_scopes_until_revoked,
    two_owners_stepping_down_at_once_leave_one_owner,
    adding_a_member_does_not_test_their_password,
    a_password_reset_token_works_once_and_ends_every_session,
    two_factor_login_with_codes_used_once_and_a_tenant_rule_for_admins,
    sign_up_answers_alike_for_any_email_and_its_link_works_once,
);

async fn status(res: reqwest::Response) -> StatusCode {
    res.status()
}

async fn logout_ends_the_access_token_at_once(app: TestApp) {
    let t = app.register("Logout Bistro").await;
    assert_eq!(
        status(app.get("/api/v1/auth/me", &t.token).await).await,
        StatusCode::OK
    );
    // Logout with the refresh token only: the access token of that session stops working now,
    // not in 15 minutes.
    let res = app
        .post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": t.refresh}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get("/api/v1/auth/me", &t.token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["type"],
        "/problems/unauthenticated"
    );
    // Logout with only the access token ends its session and its refresh token.
    let pair = app.login(&t.email, "correct horse battery").await;
    let (access, refresh) = (
        pair["access_token"].as_str().unwrap().to_owned(),
        pair["refresh_token"].as_str().unwrap().to_owned(),
    );
    let other = app.login(&t.email, "correct horse battery").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status(app.get("/api/v1/items", &access).await).await,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Another session of the same person is untouched.
    assert_eq!(
        status(app.get("/api/v1/items", &other).await).await,
        StatusCode::OK
    );
}

async fn a_deactivated_member_is_refused_at_once_and_can_be_reactivated(app: TestApp) {
    let t = app.register("Deactivation").await;
    let (cook, email, token) = app.add_member(&t, "staff").await;
    assert_eq!(
        status(app.get("/api/v1/stock", &token).await).await,
        StatusCode::OK
    );
    let res = app
        .put(
            &format!("/api/v1/members/{cook}/active"),
            &t.token,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["active"], false);
    // The very next request with the token they hold is refused, and so is a new login.
    assert_eq!(
        status(app.get("/api/v1/stock", &token).await).await,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": "kitchen password 7"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Reactivated, they log in again; the old session stays ended.
    let res = app
        .put(
            &format!("/api/v1/members/{cook}/active"),
            &t.token,
            &json!({"active": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        status(app.get("/api/v1/stock", &token).await).await,
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.login(&email, "kitchen password 7").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        status(app.get("/api/v1/stock", &fresh).await).await,
        StatusCode::OK
    );
}

async fn a_role_change_applies_to_the_next_request(app: TestApp) {
    let t = app.register("Promotions").await;
    let (cook, _, token) = app.add_member(&t, "staff").await;
    let report = "/api/v1/reports/top-menu-items?from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z";
    assert_eq!(
        status(app.get(report, &token).await).await,
        StatusCode::FORBIDDEN
    );
    let res = app
        .put(
            &format!("/api/v1/members/{cook}/role"),
            &t.token,
            &json!({"role": "manager"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "manager");
    // The same access token, signed as staff, now acts as a manager.
    assert_eq!(status(app.get(report, &token).await).await, StatusCode::OK);
    let me: Value = app
        .get("/api/v1/auth/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "manager");
}

async fn the_last_active_owner_cannot_be_demoted_or_deactivated(app: TestApp) {
    let t = app.register("Ownership").await;
    let me: Value = app
        .get("/api/v1/auth/me", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let owner = me["user_id"].as_str().unwrap().to_owned();
    for (path, body) in [
        (
            format!("/api/v1/members/{owner}/role"),
            json!({"role": "admin"}),
        ),
        (
            format!("/api/v1/members/{owner}/active"),
            json!({"active": false}),
        ),
    ] {
        let res = app.put(&path, &t.token, &body).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{path}");
        assert_eq!(res.json::<Value>().await.unwrap()["field"], "role");
    }
    // An admin may manage members but not owners, nor make one.
    let (admin, _, admin_token) = app.add_member(&t, "admin").await;
    let (cook, _, _) = app.add_member(&t, "staff").await;
    for (path, body) in [
        (
            format!("/api/v1/members/{owner}/role"),
            json!({"role": "staff"}),
        ),
        (
            format!("/api/v1/members/{owner}/active"),
            json!({"active": false}),
        ),
        (
            format!("/api/v1/members/{cook}/role"),
            json!({"role": "owner"}),
        ),
    ] {
        let res = app.put(&path, &admin_token, &body).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let res = app
        .put(
            &format!("/api/v1/members/{cook}/role"),
            &admin_token,
            &json!({"role": "manager"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // With a second owner, the first may step down.
    let res = app
        .put(
            &format!("/api/v1/members/{admin}/role"),
            &t.token,
            &json!({"role": "owner"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .put(
            &format!("/api/v1/members/{owner}/role"),
            &t.token,
            &json!({"role": "manager"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Another tenant's member is not found here.
    let other = app.register("Elsewhere").await;
    let res = app
        .put(
            &format!("/api/v1/members/{cook}/role"),
            &other.token,
            &json!({"role": "staff"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn members_are_listed_by_email(app: TestApp) {
    let t = app.register("Roster").await;
    let (_, b, _) = app.add_member(&t, "staff").await;
    let (_, a, _) = app.add_member(&t, "manager").await;
    let page: Value = app
        .get("/api/v1/members?limit=2", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let mut all: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_owned())
        .collect();
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get(&format!("/api/v1/members?cursor={cursor}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    all.extend(
        rest["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["email"].as_str().unwrap().to_owned()),
    );
    let mut expected = vec![t.email.clone(), a, b];
    expected.sort();
    assert_eq!(all, expected);
    assert_eq!(rest["next_cursor"], Value::Null);
    // Staff may not see the roster.
    let (_, _, staff) = app.add_member(&t, "staff").await;
    assert_eq!(
        status(app.get("/api/v1/members", &staff).await).await,
        StatusCode::FORBIDDEN
    );
}

async fn api_keys_act_within_their_scopes_until_revoked(app: TestApp) {
    let t = app.register("Integrations").await;
    app.create_item(&t, "Rice", "g", "0.002").await;
    let res = app
        .post(
            "/api/v1/api-keys",
            Some(&t.token),
            &json!({"name": "POS bridge", "scopes": ["catalog.read", "sales.write"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("lk_"), "{key}");
    assert_eq!(created["scopes"], json!(["catalog.read", "sales.write"]));
    // Within its scopes it works; outside them it is refused, whatever its creator may do.
    assert_eq!(
        status(app.get("/api/v1/items", &key).await).await,
        StatusCode::OK
    );
    let res = app.get("/api/v1/stock", &key).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.json::<Value>().await.unwrap()["detail"],
        "missing permission inventory.read"
    );
    let res = app
        .post(
            "/api/v1/items",
            Some(&key),
            &json!({"name": "Oil", "base_unit": "ml"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The list never shows the secret, and records the key's use.
    let listed: Value = app
        .get("/api/v1/api-keys", &t.token)
        .await
        .json()
        .await
        .unwrap();
    let row = &listed["data"][0];
    assert_eq!(row["id"], id.as_str());
    assert!(row.get("key").is_none(), "{row}");
    assert!(row["last_used_at"].is_string(), "{row}");
    assert!(!listed.to_string().contains(&key));
    // Revoked, it is refused from the next request.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status(app.get("/api/v1/items", &key).await).await,
        StatusCode::UNAUTHORIZED
    );
    // A forged key of the same shape is refused; another tenant cannot revoke this one.
    let forged = format!(
        "{}{}",
        &key[..key.len() - 1],
        if key.ends_with('A') { 'B' } else { 'A' }
    );
    assert_eq!(
        status(app.get("/api/v1/items", &forged).await).await,
        StatusCode::UNAUTHORIZED
    );
    let other = app.register("Other Kitchen").await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{id}")))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // No one grants a scope they lack: an admin cannot mint tenant.manage; staff mint nothing.
    let (_, _, admin) = app.add_member(&t, "admin").await;
    let res = app
        .post(
            "/api/v1/api-keys",
            Some(&admin),
            &json!({"name": "Too much", "scopes": ["tenant.manage"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let res = app
        .post(
            "/api/v1/api-keys",
            Some(&staff),
            &json!({"name": "Mine", "scopes": ["catalog.read"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A key stops with its creator: deactivate the admin and their key is refused.
    let res = app
        .post(
            "/api/v1/api-keys",
            Some(&admin),
            &json!({"name": "Admin feed", "scopes": ["catalog.read"]}),
        )
        .await;
    let admin_key = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        status(app.get("/api/v1/items", &admin_key).await).await,
        StatusCode::OK
    );
    let me: Value = app
        .get("/api/v1/auth/me", &admin)
        .await
        .json()
        .await
        .unwrap();
    let admin_id = me["user_id"].as_str().unwrap().to_owned();
    let res = app
        .put(
            &format!("/api/v1/members/{admin_id}/active"),
            &t.token,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        status(app.get("/api/v1/items", &admin_key).await).await,
        StatusCode::UNAUTHORIZED
    );
}

/// The code of `secret` (base32) for the step `steps_ahead` after now.
fn totp_code(secret: &str, steps_ahead: u64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
    let t = totp_rs::Builder::new()
        .with_secret(bytes.as_bytes().to_vec())
        .build()
        .unwrap();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    t.generate(now + 30 * steps_ahead).to_string()
}

async fn two_factor_login_with_codes_used_once_and_a_tenant_rule_for_admins(app: TestApp) {
    let t = app.register("Two Factor").await;
    // Only the person, with their password, may bind an authenticator: not an API key (even
    // one of the owner's), not a token without the password.
    let key: Value = app
        .post(
            "/api/v1/api-keys",
            Some(&t.token),
            &json!({"name": "feed", "scopes": ["catalog.read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    let res = app
        .post(
            "/api/v1/auth/totp/setup",
            Some(&key),
            &json!({"password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post(
            "/api/v1/auth/totp/setup",
            Some(&t.token),
            &json!({"password": "not my password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let setup: Value = app
        .post(
            "/api/v1/auth/totp/setup",
            Some(&t.token),
            &json!({"password": "correct horse battery"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(
        setup["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Larder:")
    );
    let res = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(&t.token),
            &json!({"code": "000000"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let now_code = totp_code(&secret, 0);
    let res = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(&t.token),
            &json!({"code": now_code}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let recovery: Vec<String> = res.json::<Value>().await.unwrap()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    let login = |code: Option<String>| {
        let mut body = json!({"email": t.email, "password": "correct horse battery"});
        if let Some(c) = code {
            body["one_time_code"] = json!(c);
        }
        let app = &app;
        async move { app.post("/api/v1/auth/login", None, &body).await }
    };
    // The password alone is no longer enough; the answer says what is missing.
    let res = login(None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["type"],
        "/problems/mfa-required"
    );
    // The code that confirmed the app was spent: a code is accepted once (RFC 6238 §5.2).
    assert_eq!(
        login(Some(now_code)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(Some("123456".into())).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A recovery code works once.
    assert_eq!(
        login(Some(recovery[0].clone())).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        login(Some(recovery[0].clone())).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The next step's code works (one step of clock skew).
    let res = login(Some(totp_code(&secret, 1))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let owner = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // The tenant requires a second factor of owners and admins: an admin without one may set
    // it up and nothing else; staff are not affected.
    let (_, _, admin) = app.add_member(&t, "admin").await;
    let (_, _, staff) = app.add_member(&t, "staff").await;
    let res = app
        .put("/api/v1/tenant/mfa", &owner, &json!({"required": true}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/api/v1/items", &admin).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.json::<Value>().await.unwrap()["type"],
        "/problems/mfa-setup-required"
    );
    assert_eq!(
        app.post(
            "/api/v1/auth/totp/setup",
            Some(&admin),
            &json!({"password": "kitchen password 7"})
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        status(app.get("/api/v1/items", &staff).await).await,
        StatusCode::OK
    );
    // The owner logged in with a code: unaffected.
    assert_eq!(
        status(app.get("/api/v1/items", &owner).await).await,
        StatusCode::OK
    );
    // Guessing codes is limited per person: ten a minute, then 429.
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let res = app
            .post(
                "/api/v1/auth/totp/confirm",
                Some(&admin),
                &json!({"code": "000000"}),
            )
            .await;
        statuses.push(res.status());
    }
    assert_eq!(
        statuses[9],
        StatusCode::UNPROCESSABLE_ENTITY,
        "{statuses:?}"
    );
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Turning it off takes a code; then the password alone works again.
    let res = app
        .post(
            "/api/v1/auth/totp/disable",
            Some(&owner),
            &json!({"code": recovery[1]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(None).await.status(), StatusCode::OK);
}

async fn two_owners_stepping_down_at_once_leave_one_owner(app: TestApp) {
    // Five rounds: each spends four of the address's 30 authentication attempts a minute.
    for round in 0..5 {
        let t = app.register(&format!("Race {round}")).await;
        let me: Value = app
            .get("/api/v1/auth/me", &t.token)
            .await
            .json()
            .await
            .unwrap();
        let a = me["user_id"].as_str().unwrap().to_owned();
        let (b, _, b_token) = app.add_member(&t, "admin").await;
        let res = app
            .put(
                &format!("/api/v1/members/{b}/role"),
                &t.token,
                &json!({"role": "owner"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        // A deactivates B while B demotes A: one of them must be refused.
        let (deactivate_b, demote_a) = (
            format!("/api/v1/members/{b}/active"),
            format!("/api/v1/members/{a}/role"),
        );
        let (off, admin) = (json!({"active": false}), json!({"role": "admin"}));
        let (x, y) = tokio::join!(
            app.put(&deactivate_b, &t.token, &off),
            app.put(&demote_a, &b_token, &admin),
        );
        // Whichever runs second is refused: 409 (the last owner), 403 (A, demoted first, may no
        // longer touch an owner) or 401 (B, deactivated first, is logged out).
        let statuses = [x.status(), y.status()];
        assert!(
            statuses.iter().any(|s| *s != StatusCode::OK),
            "round {round}: {statuses:?}"
        );
        let members: Value = app
            .get("/api/v1/members", &t.token)
            .await
            .json()
            .await
            .unwrap_or(Value::Null);
        let listed = if members["data"].is_array() {
            members
        } else {
            app.get("/api/v1/members", &b_token)
                .await
                .json()
                .await
                .unwrap()
        };
        let owners = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "owner" && m["active"] == true)
            .count();
        assert!(owners >= 1, "round {round}: no active owner left: {listed}");
    }
}

async fn adding_a_member_does_not_test_their_password(app: TestApp) {
    let elsewhere = app.register("Elsewhere Cafe").await;
    let t = app.register("Curious Owner").await;
    // Adding someone who already has an account answers as for a new person whatever
    // password is sent: the answer is no oracle for their password.
    let new_email = format!("new-{}@example.com", uuid::Uuid::now_v7().simple());
    let answers = [
        app.post("/api/v1/members", Some(&t.token), &json!({"email": elsewhere.email, "name": "X", "password": "a wrong guess 1", "role": "staff"})).await,
        app.post("/api/v1/members", Some(&t.token), &json!({"email": new_email, "name": "Y", "password": "a fresh password 2", "role": "staff"})).await,
    ];
    for res in answers {
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["role"], "staff");
        assert!(body["user_id"].is_string());
    }
    // The existing person keeps their own password and now chooses between two tenants.
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": elsewhere.email, "password": "a wrong guess 1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": elsewhere.email, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "tenant");
    // Added twice is a conflict on email, not a constraint's name.
    let res = app.post("/api/v1/members", Some(&t.token), &json!({"email": new_email, "name": "Y", "password": "a fresh password 2", "role": "staff"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "email");
}

async fn a_password_reset_token_works_once_and_ends_every_session(app: TestApp) {
    let t = app.register("Forgetful").await;
    // Asking answers the same whether or not the email has an account.
    for email in [t.email.as_str(), "nobody-here@example.com"] {
        let res = app
            .post(
                "/api/v1/auth/password-reset/request",
                None,
                &json!({"email": email}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{email}");
    }
    let email = larder_core::Email::parse(&t.email).unwrap();
    let token = app
        .app
        .issue_reset_token(&email, chrono::Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    // The policy applies, and a refused password leaves the token usable.
    let res = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            &json!({"token": token, "password": "password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            &json!({"token": token, "password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Every session ended; the old password is refused and the new one works.
    assert_eq!(
        status(app.get("/api/v1/auth/me", &t.token).await).await,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": t.email, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.login(&t.email, "a brand new passphrase").await;
    // Used once only; an expired token is refused too.
    let res = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            &json!({"token": token, "password": "another new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let expired = app
        .app
        .issue_reset_token(&email, chrono::Duration::seconds(-1))
        .await
        .unwrap()
        .unwrap();
    let res = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            &json!({"token": expired, "password": "another new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        app.app
            .issue_reset_token(
                &larder_core::Email::parse("nobody-here@example.com").unwrap(),
                chrono::Duration::hours(1)
            )
            .await
            .unwrap()
            .is_none()
    );
}

async fn sign_up_answers_alike_for_any_email_and_its_link_works_once(app: TestApp) {
    let t = app.register("Known Kitchen").await;
    let new_email = format!("new-{}@example.com", uuid::Uuid::now_v7().simple());
    let ask = |email: String, password: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post(
                    "/api/v1/auth/register",
                    None,
                    &json!({"tenant_name": "Second Site", "email": email, "password": password, "name": "Someone"}),
                )
                .await;
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            (status, body)
        }
    };
    // The same answer, field for field but the expiry, for a known and an unknown email.
    let (known_status, known) = ask(t.email.clone(), "a different horse battery").await;
    let (new_status, fresh) = ask(new_email.clone(), "brand new horse battery").await;
    assert_eq!(
        (known_status, new_status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&known), keys(&fresh));
    assert_eq!(known["status"], fresh["status"]);
    // Nothing exists before the link is used: the new email cannot log in, and the known
    // account still has only its one tenant and its own password.
    let login = |email: &str, password: &str| {
        let body = json!({"email": email, "password": password});
        let app = &app;
        async move { app.post("/api/v1/auth/login", None, &body).await }
    };
    let res = login(&new_email, "brand new horse battery").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = login(&t.email, "a different horse battery").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&t.email, "correct horse battery").await.status(),
        StatusCode::OK
    );

    // The link needs the sign-up's password too (the mailbox also receives links to sign-ups
    // others asked with its email); a wrong one leaves the link usable. Single use; a made-up
    // one is refused.
    let email = larder_core::Email::parse(&new_email).unwrap();
    let token = app.app.issue_sign_up_token(&email).await.unwrap().unwrap();
    let confirm_with = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/register/confirm",
                None,
                &json!({"token": token, "password": password}),
            )
            .await
        }
    };
    let confirm = |token: String| confirm_with(token, "brand new horse battery");
    assert_eq!(
        confirm_with(token.clone(), "someone else's password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = confirm(token.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["existing_account"], false);
    assert_eq!(confirm(token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        confirm("A".repeat(43)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&new_email, "brand new horse battery").await.status(),
        StatusCode::OK
    );
    // No pending sign-up is left for that email: the operator gets no link.
    assert_eq!(app.app.issue_sign_up_token(&email).await.unwrap(), None);

    // The known email's sign-up, confirmed, adds a tenant to that account and keeps its
    // password: the sign-up's one does not log in.
    let known_email = larder_core::Email::parse(&t.email).unwrap();
    let token = app
        .app
        .issue_sign_up_token(&known_email)
        .await
        .unwrap()
        .unwrap();
    let res = confirm_with(token, "a different horse battery").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let second: Value = res.json().await.unwrap();
    assert_eq!(second["existing_account"], true);
    assert_eq!(second["user_id"], json!(t_user(&app, &t).await));
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": t.email, "password": "correct horse battery", "tenant": second["tenant_slug"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": t.email, "password": "a different horse battery", "tenant": second["tenant_slug"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// The user id of `t`'s owner.
async fn t_user(app: &TestApp, t: &Tenant) -> String {
    app.get("/api/v1/auth/me", &t.token)
        .await
        .json::<Value>()
        .await
        .unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned()
}
