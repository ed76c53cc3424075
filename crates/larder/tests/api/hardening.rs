//! What an attacker or a fuzzer sends: control characters, numbers that do not fit, values that
//! overflow, ranges too long, malformed ids and bodies. Every answer is a problem+json the
//! OpenAPI document lists, naming the field, and both backends answer alike.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::TestApp;

both!(
    control_characters_and_invisible_names_are_refused_naming_the_field,
    numbers_are_exact_or_refused_never_rounded,
    an_item_cost_that_would_overflow_a_recipe_is_refused_and_reads_keep_working,
    on_hand_beyond_its_range_is_a_422_and_changes_nothing,
    reports_cap_their_period_and_rows,
    a_sale_whose_revenue_leaves_64_bits_keeps_the_menu_mix_exact,
    every_error_is_problem_json,
    weak_passwords_are_refused_at_registration,
);

/// Asserts a 422 problem naming `field`.
async fn assert_invalid(res: reqwest::Response, field: &str, what: &str) {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["field"], field, "{what}: {p}");
}

async fn control_characters_and_invisible_names_are_refused_naming_the_field(app: TestApp) {
    let t = app.register("Nul Bistro").await;
    let item = app.create_item(&t, "Rice", "g", "0.002").await;
    // NUL was a 500 on PostgreSQL and stored on SQLite.
    let writes = [
        (
            "/api/v1/auth/register",
            json!({"tenant_name": "A\u{0}B", "email": "nul@example.com", "password": "correct horse battery", "name": "N"}),
            "tenant_name",
        ),
        (
            "/api/v1/auth/login",
            json!({"email": "nul\u{0}@example.com", "password": "correct horse battery"}),
            "email",
        ),
        (
            "/api/v1/auth/login",
            json!({"email": t.email, "password": "correct horse\u{0}battery"}),
            "password",
        ),
        (
            "/api/v1/items",
            json!({"name": "Ri\u{0}ce", "base_unit": "g"}),
            "name",
        ),
        (
            "/api/v1/items",
            json!({"name": "Rice\nFlour", "base_unit": "g"}),
            "name",
        ),
        (
            "/api/v1/items",
            json!({"name": "\u{200b}\u{feff} ", "base_unit": "g"}),
            "name",
        ),
        (
            "/api/v1/items",
            json!({"name": "Oil", "base_unit": "ml", "sku": "A\u{7}"}),
            "sku",
        ),
        (
            "/api/v1/locations",
            json!({"name": "\u{0}", "kind": "outlet"}),
            "name",
        ),
        (
            "/api/v1/stock/adjustments",
            json!({"item_id": item, "location_id": t.location_id, "quantity": "1", "kind": "adjustment", "reason": "found\u{0}"}),
            "reason",
        ),
        (
            "/api/v1/sales",
            json!({"location_id": t.location_id, "lines": [{"name": "Pilau\u{0}", "quantity": "1"}]}),
            "lines[0].name",
        ),
        (
            "/api/v1/sales",
            json!({"location_id": t.location_id, "external_ref": "T\u{1b}1", "lines": [{"name": "Pilau", "quantity": "1"}]}),
            "external_ref",
        ),
    ];
    for (path, body, field) in writes {
        let res = app.post(path, Some(&t.token), &body).await;
        assert_invalid(res, field, &format!("{path} {body}")).await;
    }
    for (query, field) in [("q=Ri%00ce", "q"), ("barcode=%00", "barcode")] {
        let res = app.get(&format!("/api/v1/items?{query}"), &t.token).await;
        assert_invalid(res, field, query).await;
    }
    // A recipe's notes may span lines; names are trimmed and normalized to NFC.
    let res = app
        .post(
            "/api/v1/items",
            Some(&t.token),
            &json!({"name": "  Cafe\u{301} au lait ", "base_unit": "ml"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["name"],
        "Caf\u{e9} au lait"
    );
    // `%` and `_` in a search are characters, not wildcards.
    app.create_item(&t, "100% Rye", "g", "0.001").await;
    let res = app.get("/api/v1/items?q=%25", &t.token).await;
    let names: Vec<String> = res.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["100% Rye"]);
    // Nothing with a control character reached the database.
    let res = app.get("/api/v1/items?limit=500", &t.token).await;
    let body = res.text().await.unwrap();
    assert!(!body.contains("\\u0000"), "{body}");
}

async fn numbers_are_exact_or_refused_never_rounded(app: TestApp) {
    let t = app.register("Exact Kitchen").await;
    let item = app.create_item(&t, "Flour", "g", "0.001").await;
    let adjust = |quantity: Value| json!({"item_id": item, "location_id": t.location_id, "quantity": quantity, "kind": "adjustment"});
    for q in [
        json!(2.0000000000000001),
        json!(2),
        json!("2.0000000000000001"),
        json!("+1"),
        json!(" 1"),
        json!(".5"),
        json!("5."),
        json!("1e3"),
        json!("9200000000000000"),
        json!("1000000000000"),
    ] {
        let res = app
            .post(
                "/api/v1/stock/adjustments",
                Some(&t.token),
                &adjust(q.clone()),
            )
            .await;
        assert_invalid(res, "quantity", &q.to_string()).await;
    }
    assert_eq!(app.on_hand(&t, &item).await, "0.000");
    let res = app
        .post(
            "/api/v1/stock/adjustments",
            Some(&t.token),
            &adjust(json!("2.5000")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.on_hand(&t, &item).await, "2.500");
}

async fn an_item_cost_that_would_overflow_a_recipe_is_refused_and_reads_keep_working(app: TestApp) {
    let t = app.register("Costly").await;
    let saffron = app.create_item(&t, "Saffron", "g", "5.00").await;
    let res = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Saffron rice", "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": saffron, "quantity": "1", "unit": "kg"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // 1 kg at 999,999,999,999.999999 per g is far beyond any amount: refused on the write.
    let res = app
        .put(
            &format!("/api/v1/items/{saffron}"),
            &t.token,
            &json!({"name": "Saffron", "base_unit": "g", "unit_cost": "999999999999.999999"}),
        )
        .await;
    assert_invalid(res, "unit_cost", "cost update").await;
    let item: Value = app
        .get(&format!("/api/v1/items/{saffron}"), &t.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(item["unit_cost"], "5.00");
    assert_eq!(item["version"], 1);
    let recipes = app.get("/api/v1/recipes", &t.token).await;
    assert_eq!(recipes.status(), StatusCode::OK);
    let recipes: Value = recipes.json().await.unwrap();
    assert_eq!(recipes["data"][0]["cost_per_yield_unit"], "5000.00");
    // The same overflow through a new recipe is refused too.
    let res = app
        .post(
            "/api/v1/recipes",
            Some(&t.token),
            &json!({"name": "Saffron mountain", "yield_quantity": "0.001", "yield_unit": "ea", "lines": [{"item_id": saffron, "quantity": "999999999999", "unit": "kg"}]}),
        )
        .await;
    assert_invalid(res, "lines", "recipe").await;
}

async fn on_hand_beyond_its_range_is_a_422_and_changes_nothing(app: TestApp) {
    let t = app.register("Big Stores").await;
    let item = app.create_item(&t, "Salt", "g", "0.0001").await;
    let res = app.adjust(&t, &item, "999999999999.999", "receipt").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.adjust(&t, &item, "0.001", "receipt").await;
    assert_invalid(res, "quantity", "one more gram").await;
    assert_eq!(app.on_hand(&t, &item).await, "999999999999.999");
    // A batch of adjustments is refused whole.
    let res = app
        .post(
            "/api/v1/stock/adjustments/batch",
            Some(&t.token),
            &json!({"adjustments": [
                {"item_id": item, "location_id": t.location_id, "quantity": "-1", "kind": "adjustment"},
                {"item_id": item, "location_id": t.location_id, "quantity": "2", "kind": "adjustment"}
            ]}),
        )
        .await;
    if res.status() != StatusCode::NOT_FOUND {
        assert_invalid(res, "quantity", "batch").await;
    }
    assert_eq!(app.on_hand(&t, &item).await, "999999999999.999");
    assert!(app.app.check_ledger().await.unwrap().is_empty());
}

async fn reports_cap_their_period_and_rows(app: TestApp) {
    let t = app.register("Reporter").await;
    let started = std::time::Instant::now();
    let res = app
        .get(
            "/api/v1/reports/usage?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&limit=100",
            &t.token,
        )
        .await;
    assert_invalid(res, "to", "the thousand-year report").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let res = app
        .get(
            "/api/v1/reports/top-menu-items?from=2024-01-01T00:00:00Z&to=2025-06-01T00:00:00Z",
            &t.token,
        )
        .await;
    assert_invalid(res, "to", "a year and a half").await;
    for limit in ["0", "101", "500"] {
        let res = app
            .get(
                &format!("/api/v1/reports/usage?from=2024-01-01T00:00:00Z&to=2024-12-31T00:00:00Z&limit={limit}"),
                &t.token,
            )
            .await;
        assert_invalid(res, "limit", limit).await;
    }
    let res = app
        .get(
            "/api/v1/reports/usage?from=2024-01-01T00:00:00Z&to=2024-01-01T00:00:00Z",
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["data"], json!([]));
    let res = app
        .get(
            "/api/v1/reports/usage?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z",
            &t.token,
        )
        .await;
    assert_invalid(res, "from", "backwards").await;
}

async fn a_sale_whose_revenue_leaves_64_bits_keeps_the_menu_mix_exact(app: TestApp) {
    let t = app.register("Big Ticket").await;
    // 1,000,000 portions at 10,000.00: 10^19 billionths, past a 64-bit integer.
    let res = app
        .post(
            "/api/v1/sales",
            Some(&t.token),
            &json!({"location_id": t.location_id, "occurred_at": "2024-03-01T12:00:00Z", "lines": [
                {"name": "Banquet", "quantity": "1000000", "unit_price": "10000"},
                {"name": "Banquet", "quantity": "1000000", "unit_price": "10000.000001"}
            ]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .get(
            "/api/v1/reports/top-menu-items?from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z",
            &t.token,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let top: Value = res.json().await.unwrap();
    assert_eq!(top["data"][0]["name"], "Banquet");
    assert_eq!(top["data"][0]["quantity"], "2000000.000");
    assert_eq!(top["data"][0]["revenue"], "20000000001.00");
}

async fn every_error_is_problem_json(app: TestApp) {
    let t = app.register("Problems").await;
    let problem = |res: &reqwest::Response| {
        res.headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    // A malformed id.
    let res = app.get("/api/v1/items/not-a-uuid", &t.token).await;
    assert_eq!(problem(&res).as_deref(), Some("application/problem+json"));
    assert_invalid(res, "id", "malformed id").await;
    // An unknown route and a method the route lacks (with Allow).
    let res = app.get("/api/v1/nothing-here", &t.token).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(&res).as_deref(), Some("application/problem+json"));
    let res = app
        .client
        .delete(app.url("/api/v1/items"))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(problem(&res).as_deref(), Some("application/problem+json"));
    assert!(res.headers()["allow"].to_str().unwrap().contains("GET"));
    // A body over the limit, and one that is not JSON.
    // The server answers from the announced length, before the body, and may close the
    // connection while a client is still sending: announce 2 MiB and read the answer.
    let answer = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .unwrap();
        let head = format!(
            "POST /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            t.token,
            2 << 20
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut text = String::new();
        let _ = conn.read_to_string(&mut text).await;
        text
    };
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    let res = app
        .client
        .post(app.url("/api/v1/items"))
        .bearer_auth(&t.token)
        .header("content-type", "text/plain")
        .body("name=Rice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem(&res).as_deref(), Some("application/problem+json"));
    // 429 says how long to wait, rounded up: waiting that long lets the next attempt through.
    let body = json!({"email": "nobody@example.com", "password": "wrong password here"});
    let mut limited = None;
    for _ in 0..40 {
        let res = app.post("/api/v1/auth/login", None, &body).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the login limit never answered 429");
    assert_eq!(problem(&res).as_deref(), Some("application/problem+json"));
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // 30 a minute refill one attempt every 2 s; the wait left is rounded up, never down.
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let res = app.post("/api/v1/auth/login", None, &body).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn weak_passwords_are_refused_at_registration(app: TestApp) {
    for password in ["password", "12345678", "        ", "abcdefgh", "iloveyou"] {
        let res = app
            .post(
                "/api/v1/auth/register",
                None,
                &json!({"tenant_name": "Weak", "email": format!("weak-{}@example.com", uuid::Uuid::now_v7().simple()), "password": password, "name": "W"}),
            )
            .await;
        assert_invalid(res, "password", password).await;
    }
}

/// The resident-memory bound the README states for one `larder serve` whatever its clients
/// ask: the largest reports, four at a time, for a tenant with 150 ingredients sold all year.
const SERVER_MEMORY_BOUND_MIB: u64 = 128;

/// A `larder serve` process on a fresh SQLite directory; killed on drop.
struct Server {
    child: std::process::Child,
    url: String,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Self {
        use std::io::BufRead;
        let dir = std::env::temp_dir().join(format!("larder-mem-{}", uuid::Uuid::now_v7()));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_larder"))
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(&dir)
            .env_remove("DATABASE_URL")
            .env("LARDER_JWT_SECRET", "memory-test-secret-memory-test-secret")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("url: ")
            .unwrap_or_else(|| panic!("no url in {line:?}"))
            .trim_end_matches('/')
            .replace("localhost", "127.0.0.1");
        Self { child, url, dir }
    }

    /// The process's peak resident memory so far (`VmHWM`), MiB.
    fn peak_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kib / 1024
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_reports_keep_the_server_under_its_memory_bound() {
    let server = Server::start();
    let client = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.url);
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut req = client.post(url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "{status}: {body}");
            body
        }
    };
    let email = "memory@example.com";
    post("/api/v1/auth/register", None, json!({"tenant_name": "Memory", "email": email, "password": "correct horse battery", "name": "M"})).await;
    // The operator's link, as `larder users sign-up-link` prints it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_larder"))
        .args(["users", "sign-up-link", "--email", email, "--data-dir"])
        .arg(&server.dir)
        .env_remove("DATABASE_URL")
        .env("LARDER_JWT_SECRET", "memory-test-secret-memory-test-secret")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("sign-up token (single use): "))
        .unwrap_or_else(|| {
            panic!(
                "no token: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .trim()
        .to_owned();
    post(
        "/api/v1/auth/register/confirm",
        None,
        json!({"token": token, "password": "correct horse battery"}),
    )
    .await;
    let pair = post(
        "/api/v1/auth/login",
        None,
        json!({"email": email, "password": "correct horse battery"}),
    )
    .await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let t = Some(token.as_str());
    let location = post(
        "/api/v1/locations",
        t,
        json!({"name": "Kitchen", "kind": "outlet"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 150 ingredients, each the recipe of one dish.
    for i in 0..150 {
        let item = post(
            "/api/v1/items",
            t,
            json!({"name": format!("Ingredient {i:03}"), "base_unit": "g", "unit_cost": "0.01"}),
        )
        .await;
        let recipe = post("/api/v1/recipes", t, json!({"name": format!("Dish {i:03}"), "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": item["id"], "quantity": "100", "unit": "g"}]})).await;
        post(
            "/api/v1/menu-items",
            t,
            json!({"name": format!("Dish {i:03}"), "recipe_id": recipe["id"], "price": "9.50"}),
        )
        .await;
    }
    // A sale of every dish every six days for a year.
    let now = chrono::Utc::now();
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for day in (1..365).step_by(6) {
        let lines: Vec<Value> = (0..150)
            .map(|i| json!({"name": format!("Dish {i:03}"), "quantity": "2"}))
            .collect();
        post("/api/v1/sales", t, json!({"location_id": location, "occurred_at": at(now - chrono::Duration::days(day)), "lines": lines})).await;
    }
    // The request that took 1.2 GB: refused at once.
    let res = client
        .get(url(
            "/api/v1/reports/usage?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&limit=500",
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The largest reports allowed, eight at once (four run, four wait their turn), three times.
    let period = format!(
        "from={}&to={}&limit=100",
        at(now - chrono::Duration::days(366)),
        at(now)
    );
    for _ in 0..3 {
        let mut calls = Vec::new();
        for path in ["/api/v1/reports/usage", "/api/v1/reports/top-menu-items"] {
            for _ in 0..4 {
                let req = client
                    .get(url(&format!("{path}?{period}")))
                    .bearer_auth(&token);
                calls.push(tokio::spawn(async move { req.send().await.unwrap() }));
            }
        }
        for c in calls {
            let res = c.await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["data"].as_array().unwrap().len(), 100);
        }
    }
    let peak = server.peak_mib();
    assert!(
        peak < SERVER_MEMORY_BOUND_MIB,
        "peak resident memory {peak} MiB, bound {SERVER_MEMORY_BOUND_MIB} MiB"
    );
    eprintln!("peak resident memory of the server: {peak} MiB");
}
