//! The audit log (issue 10, ADR 026), on both backends: writes, logins and failed logins are
//! recorded with who, what, the target before and after, the request's id and the client's
//! address; owners and admins read it, others get 403, tenants see only their own; the chain
//! verifies, and `larder audit verify` names an edited, a deleted and a reordered record.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    writes_and_logins_are_recorded_with_before_after_request_and_client,
    only_owners_and_admins_read_it_and_tenants_are_isolated,
    the_cli_names_an_edited_a_deleted_and_a_reordered_record,
);

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

async fn audit(app: &TestApp, t: &Tenant, query: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/audit-log{query}"), &t.token)
        .await;
    let status = res.status();
    let body = json_of(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn actions(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn writes_and_logins_are_recorded_with_before_after_request_and_client(app: TestApp) {
    let t = app.register("Audited Kitchen").await;
    let res = app
        .post(
            "/api/v1/items",
            Some(&t.token),
            &json!({"name": "Basmati rice", "base_unit": "g", "unit_cost": "0.002"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let item = json_of(res).await;
    let id = item["id"].as_str().unwrap().to_owned();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/items/{id}")))
        .bearer_auth(&t.token)
        .json(&json!({"name": "Brown rice", "base_unit": "g", "unit_cost": "0.0025"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    // A wrong password for a known person is recorded in their tenant, with no actor.
    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": t.email, "password": "not the password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let page = audit(&app, &t, "").await;
    assert_eq!(
        actions(&page),
        vec![
            "auth.login_failed",
            "catalog.item_updated",
            "catalog.item_created",
            "tenancy.location_created",
            "auth.login",
        ]
    );
    let records = page["data"].as_array().unwrap();
    let seqs: Vec<i64> = records.iter().map(|r| r["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![5, 4, 3, 2, 1]);
    let failed = &records[0];
    assert_eq!(failed["actor"], Value::Null);
    assert_eq!(failed["client_addr"], json!("127.0.0.1"));
    let updated = &records[1];
    assert_eq!(updated["target_type"], json!("item"));
    assert_eq!(updated["target_id"], json!(id));
    assert_eq!(updated["summary"]["before"]["name"], json!("Basmati rice"));
    assert_eq!(updated["summary"]["after"]["name"], json!("Brown rice"));
    assert_eq!(updated["summary"]["after"]["unit_cost"], json!("0.0025"));
    let created = &records[2];
    assert_eq!(created["summary"]["before"], Value::Null);
    assert_eq!(
        created["request_id"],
        json!(request_id),
        "the answer's X-Request-Id"
    );
    assert!(created["actor"].is_string());
    assert_eq!(created["client_addr"], json!("127.0.0.1"));
    assert_eq!(created["hash"].as_str().unwrap().len(), 64);

    // Filters and pages.
    assert_eq!(
        actions(&audit(&app, &t, "?action=auth.").await),
        vec!["auth.login_failed", "auth.login"]
    );
    assert_eq!(
        actions(&audit(&app, &t, &format!("?target_id={id}")).await),
        vec!["catalog.item_updated", "catalog.item_created"]
    );
    let first = audit(&app, &t, "?limit=2").await;
    assert_eq!(actions(&first).len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let next = audit(&app, &t, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(
        actions(&next),
        vec!["catalog.item_created", "tenancy.location_created"]
    );
    let res = app.get("/api/v1/audit-log?cursor=nonsense", &t.token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], json!("cursor"));

    let v = json_of(app.get("/api/v1/audit-log/verify", &t.token).await).await;
    assert_eq!(v["intact"], json!(true), "{v}");
    assert_eq!(v["verified"], json!(5));
    assert_eq!(v["head"], json!(5));
}

async fn only_owners_and_admins_read_it_and_tenants_are_isolated(app: TestApp) {
    let a = app.register("Kitchen A").await;
    let b = app.register("Kitchen B").await;
    let (_, _, manager) = app.add_member(&a, "manager").await;
    for path in ["/api/v1/audit-log", "/api/v1/audit-log/verify"] {
        assert_eq!(
            app.get(path, &manager).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let (_, _, admin) = app.add_member(&a, "admin").await;
    let res = app.get("/api/v1/audit-log", &admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = json_of(res).await;
    assert!(actions(&page).contains(&"auth.member_added".to_owned()));
    // B's log holds B's records only.
    let eb = audit(&app, &b, "").await;
    assert_eq!(actions(&eb), vec!["tenancy.location_created", "auth.login"]);
    // An API key, even an owner's, does not read it.
    let res = app
        .post(
            "/api/v1/api-keys",
            Some(&a.token),
            &json!({"name": "pos", "scopes": ["inventory.read"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let key = json_of(res).await["key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/audit-log", &key).await.status(),
        StatusCode::FORBIDDEN
    );
    // The key's creation is recorded, its secret is not.
    let page = audit(&app, &a, "?action=auth.api_key").await;
    let text = page.to_string();
    assert!(text.contains("auth.api_key_created"));
    assert!(
        !text.contains(&key[8..]),
        "the key's secret is in the audit log"
    );
}

/// Runs `larder audit verify` against the test's database; its exit status and output.
fn verify_cli(app: &TestApp) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_larder"));
    cmd.args(["audit", "verify", "--data-dir"])
        .arg(&app.data_dir)
        .env_remove("DATABASE_URL");
    if let Some(url) = &app.database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().expect("larder audit verify runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Runs `sql` on the test's database as its owner, past the append-only trigger.
async fn tamper(app: &TestApp, sql: &str) {
    match &app.database_url {
        Some(url) => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; {sql}; \
                 ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only; COMMIT;"
            )))
            .execute(&mut c)
            .await
            .unwrap();
        }
        None => {
            let c = rusqlite::Connection::open(app.data_dir.join("larder.db")).unwrap();
            c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
            c.execute_batch(&format!(
                "BEGIN; DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}; \
                 CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END; \
                 CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END; COMMIT;"
            ))
            .unwrap();
        }
    }
}

/// The tenant id as the backend stores it, for a `WHERE` in [`tamper`].
fn tenant_key(app: &TestApp, t: &Tenant) -> String {
    match &app.database_url {
        Some(_) => format!("'{}'", t.tenant_id),
        None => format!(
            "x'{}'",
            uuid::Uuid::parse_str(&t.tenant_id).unwrap().simple()
        ),
    }
}

async fn the_cli_names_an_edited_a_deleted_and_a_reordered_record(app: TestApp) {
    let edited = app.register("Edited").await;
    let deleted = app.register("Deleted").await;
    let reordered = app.register("Reordered").await;
    for t in [&edited, &deleted, &reordered] {
        for name in ["Rice", "Okra", "Ghee"] {
            app.create_item(t, name, "g", "0.01").await;
        }
    }
    let (ok, out) = verify_cli(&app);
    assert!(ok, "{out}");
    assert!(out.contains("5 record(s), chain intact"), "{out}");

    let key = |t: &Tenant| tenant_key(&app, t);
    tamper(
        &app,
        &format!(
            "UPDATE audit_log SET summary = replace(summary, 'Okra', 'Gold') WHERE tenant_id = {} AND seq = 4",
            key(&edited)
        ),
    )
    .await;
    tamper(
        &app,
        &format!(
            "DELETE FROM audit_log WHERE tenant_id = {} AND seq = 3",
            key(&deleted)
        ),
    )
    .await;
    tamper(
        &app,
        &format!(
            "UPDATE audit_log SET seq = CASE seq WHEN 3 THEN 103 ELSE seq END WHERE tenant_id = {k}; \
             UPDATE audit_log SET seq = 3 WHERE tenant_id = {k} AND seq = 4; \
             UPDATE audit_log SET seq = 4 WHERE tenant_id = {k} AND seq = 103",
            k = key(&reordered)
        ),
    )
    .await;
    let (ok, out) = verify_cli(&app);
    assert!(!ok, "a broken chain must exit 1: {out}");
    let line = |t: &Tenant| {
        out.lines()
            .find(|l| l.contains(&t.tenant_id))
            .unwrap_or_else(|| panic!("no line for {}: {out}", t.tenant_id))
            .to_owned()
    };
    assert!(line(&edited).contains("BROKEN at record 4"), "{out}");
    assert!(line(&edited).contains("edited"), "{out}");
    assert!(line(&deleted).contains("BROKEN at record 4"), "{out}");
    assert!(line(&deleted).contains("deleted"), "{out}");
    assert!(line(&reordered).contains("BROKEN at record 3"), "{out}");
    // The API says the same to the tenant's owner.
    let v = json_of(app.get("/api/v1/audit-log/verify", &edited.token).await).await;
    assert_eq!(v["intact"], json!(false));
    assert_eq!(v["broken_seq"], json!(4));
}
