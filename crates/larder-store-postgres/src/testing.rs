//! Throwaway databases for tests: one fresh database per test, named after the test process so
//! a later run can drop what a killed run left behind.
//!
//! The server is `LARDER_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//! a role that may create databases). Tests fail, not skip, when it cannot be reached, unless
//! `LARDER_SKIP_POSTGRES=1` says to skip on a machine without PostgreSQL.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use larder_store::StoreError;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// The admin URL tests create databases through.
pub fn admin_url() -> String {
    std::env::var("LARDER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Whether PostgreSQL tests are to be skipped (`LARDER_SKIP_POSTGRES=1`).
pub fn skipped() -> bool {
    std::env::var("LARDER_SKIP_POSTGRES").is_ok_and(|v| v == "1")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);
static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Creates an empty database and returns its owner URL.
///
/// # Errors
/// [`StoreError::Unavailable`] when the server cannot be reached.
pub async fn fresh_database() -> Result<String, StoreError> {
    let admin = admin_url();
    let options =
        PgConnectOptions::from_str(&admin).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut conn = PgConnection::connect_with(&options).await.map_err(|e| {
        StoreError::Unavailable(format!(
            "PostgreSQL tests need a server at {} (set LARDER_TEST_POSTGRES_URL, or LARDER_SKIP_POSTGRES=1 to skip): {e}",
            redact(&admin)
        ))
    })?;
    SWEPT
        .get_or_init(|| async {
            // Drop databases of test processes that are gone (killed runs leave them behind).
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT datname FROM pg_database WHERE datname LIKE 'larder_t_%'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
            for name in names {
                let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
                if pid.is_some_and(|p| !pid_alive(p)) {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            }
        })
        .await;
    let name = format!(
        "larder_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::now_v7()
            .simple()
            .to_string()
            .get(20..)
            .unwrap_or("x")
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .map_err(|e| StoreError::Other(format!("cannot create test database: {e}")))?;
    let _ = conn.close().await;
    Ok(url_of(&admin, &name))
}

fn url_of(admin: &str, name: &str) -> String {
    // Replace the path (database name) of the admin URL, keeping any query string.
    let (base, query) = admin
        .split_once('?')
        .map_or((admin, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
