//! `spawn_app` and a `TestApp` with one helper per endpoint.

use larder::Config;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Expands `name` into `name::sqlite` and `name::postgres` test cases.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                    super::$name(app).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(app) = $crate::helpers::spawn_app_opt($crate::helpers::Backend::Postgres).await else { return };
                    super::$name(app).await;
                }
            }
        )*
    };
}

pub struct TestApp {
    pub data_dir: std::path::PathBuf,
    /// The PostgreSQL owner URL, on PostgreSQL.
    pub database_url: Option<String>,
    pub port: u16,
    pub address: String,
    pub client: reqwest::Client,
    pub app: larder_app::App,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_opt(backend).await.expect("PostgreSQL skipped")
}

/// `None` only for PostgreSQL with `LARDER_SKIP_POSTGRES=1`; an unreachable server fails.
pub async fn spawn_app_opt(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, false).await
}

/// As [`spawn_app_opt`], choosing whether cookies are `Secure` (browsers accept them on
/// `http://localhost`).
pub async fn spawn_app_with(backend: Backend, cookie_secure: bool) -> Option<TestApp> {
    let dir = std::env::temp_dir().join(format!("larder-api-{}", uuid::Uuid::now_v7()));
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            if larder_store_postgres::testing::skipped() {
                eprintln!("skipping PostgreSQL: LARDER_SKIP_POSTGRES=1");
                return None;
            }
            Some(
                larder_store_postgres::testing::fresh_database()
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        }
    };
    let config = Config {
        data_dir: dir,
        database_url: database_url.clone(),
        app_database_url: None,
        jwt_secret: Some("test-secret-test-secret-test-secret-0123".into()),
        amqp_url: None,
        webhook_allow_private: true,
        smtp_url: None,
        mail_from: None,
    };
    let store = larder::open_store(&config).await.expect("open store");
    let app = larder::build_app(&config, store).expect("build app");
    let router = larder_web::router(larder_web::AppState::new(app.clone(), cookie_secure));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(larder_web::serve(listener, router, std::future::pending()));
    Some(TestApp {
        data_dir: config.data_dir.clone(),
        database_url: config.database_url.clone(),
        port,
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        app,
    })
}

/// The password of members added by [`TestApp::add_member`].
pub const MEMBER_PASSWORD: &str = "kitchen password 7";

/// A registered tenant with its owner's token and one location.
#[derive(Clone)]
pub struct Tenant {
    pub tenant_id: String,
    pub token: String,
    pub refresh: String,
    pub location_id: String,
    pub email: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn post_with_key(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: &Value,
    ) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn register(&self, name: &str) -> Tenant {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase().replace(' ', "-"),
            uuid::Uuid::now_v7().simple()
        );
        let body = self
            .sign_up(&json!({"tenant_name": name, "email": email, "password": "correct horse battery", "name": "Owner"}))
            .await;
        let tenant_id = body["tenant_id"].as_str().expect("tenant_id").to_owned();
        let pair = self.login(&email, "correct horse battery").await;
        let token = pair["access_token"].as_str().expect("access").to_owned();
        let refresh = pair["refresh_token"].as_str().expect("refresh").to_owned();
        let loc = self
            .post(
                "/api/v1/locations",
                Some(&token),
                &json!({"name": "Brixton", "kind": "outlet"}),
            )
            .await;
        assert_eq!(loc.status(), StatusCode::CREATED);
        let location_id = loc.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned();
        Tenant {
            tenant_id,
            token,
            refresh,
            location_id,
            email,
        }
    }

    /// Signs up with `body` (202), has the operator issue the link's token (as
    /// `larder users sign-up-link` does) and confirms it (201); the confirmation's answer.
    pub async fn sign_up(&self, body: &Value) -> Value {
        let res = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{:?}", res.text().await);
        let email =
            larder_core::Email::parse(body["email"].as_str().expect("email")).expect("email");
        let token = self
            .app
            .issue_sign_up_token(&email)
            .await
            .expect("issue")
            .expect("a pending sign-up");
        let res = self
            .post(
                "/api/v1/auth/register/confirm",
                None,
                &json!({"token": token, "password": body["password"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
        res.json().await.expect("json")
    }

    /// Adds a member of `t` with `role` and the password [`MEMBER_PASSWORD`], and logs them in;
    /// their user id, email and access token.
    pub async fn add_member(&self, t: &Tenant, role: &str) -> (String, String, String) {
        let email = format!("{role}-{}@example.com", uuid::Uuid::now_v7().simple());
        let res = self
            .post(
                "/api/v1/members",
                Some(&t.token),
                &json!({"email": email, "name": role, "password": MEMBER_PASSWORD, "role": role}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = res.json::<Value>().await.expect("json")["user_id"]
            .as_str()
            .expect("user_id")
            .to_owned();
        let token = self.login(&email, MEMBER_PASSWORD).await["access_token"]
            .as_str()
            .expect("access")
            .to_owned();
        (id, email, token)
    }

    /// A dish on the menu: the menu item `name`, one portion of which uses `grams` g of `item`.
    pub async fn dish(&self, t: &Tenant, name: &str, item: &str, grams: &str) -> String {
        let recipe = self
            .post("/api/v1/recipes", Some(&t.token), &json!({"name": format!("{name} recipe"), "yield_quantity": "1", "yield_unit": "ea", "lines": [{"item_id": item, "quantity": grams, "unit": "g"}]}))
            .await;
        assert_eq!(recipe.status(), StatusCode::CREATED);
        let recipe: Value = recipe.json().await.expect("json");
        let res = self
            .post(
                "/api/v1/menu-items",
                Some(&t.token),
                &json!({"name": name, "recipe_id": recipe["id"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Sells `quantity` of `name` at `t`'s location at `at` (RFC 3339).
    pub async fn sell(&self, t: &Tenant, name: &str, quantity: &str, at: &str) {
        let sale = json!({"location_id": t.location_id, "occurred_at": at,
                          "lines": [{"name": name, "quantity": quantity}]});
        let res = self.post("/api/v1/sales", Some(&t.token), &sale).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        let res = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login failed");
        res.json().await.expect("json")
    }

    pub async fn create_item(&self, t: &Tenant, name: &str, unit: &str, cost: &str) -> String {
        let res = self
            .post(
                "/api/v1/items",
                Some(&t.token),
                &json!({"name": name, "base_unit": unit, "unit_cost": cost}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
        res.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    pub async fn adjust(&self, t: &Tenant, item: &str, qty: &str, kind: &str) -> Response {
        let body = json!({"item_id": item, "location_id": t.location_id, "quantity": qty, "kind": kind, "reason": if kind == "waste" { Some("spoilage") } else { None }});
        self.post("/api/v1/stock/adjustments", Some(&t.token), &body)
            .await
    }

    pub async fn on_hand(&self, t: &Tenant, item: &str) -> String {
        let res = self
            .get(&format!("/api/v1/stock?item_id={item}"), &t.token)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        body["data"]
            .as_array()
            .and_then(|a| a.first())
            .map_or("0.000".to_owned(), |r| {
                r["on_hand"].as_str().expect("on_hand").to_owned()
            })
    }
}
