//! Fresh stores for the contract tests.

use std::path::PathBuf;
use std::sync::Arc;

use larder_store::Store;

/// A SQLite store on a new file in the system temp directory.
pub async fn sqlite() -> Arc<dyn Store> {
    sqlite_with_path().await.0
}

/// As [`sqlite`], with the database file, for tests that open it directly.
pub async fn sqlite_with_path() -> (Arc<dyn Store>, PathBuf) {
    let dir = std::env::temp_dir().join(format!("larder-contract-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
    let url = format!("sqlite://{}", dir.join("larder.db").display());
    let store = larder_store_sqlite::SqliteStore::open(&url)
        .await
        .unwrap_or_else(|e| panic!("open SQLite: {e}"));
    let path = store.path().to_path_buf();
    (Arc::new(store), path)
}

/// A PostgreSQL store on a fresh database; `None` only when `LARDER_SKIP_POSTGRES=1`.
pub async fn postgres() -> Option<Arc<dyn Store>> {
    postgres_with_pool().await.map(|(s, _, _)| s)
}

/// As [`postgres`], with the application role's pool for raw queries and the owner's URL.
pub async fn postgres_with_pool() -> Option<(Arc<dyn Store>, sqlx::PgPool, String)> {
    use larder_store_postgres::testing;
    if testing::skipped() {
        eprintln!("skipping PostgreSQL: LARDER_SKIP_POSTGRES=1");
        return None;
    }
    let url = testing::fresh_database()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let store = larder_store_postgres::PgStore::open(&url, None)
        .await
        .unwrap_or_else(|e| panic!("open PostgreSQL: {e}"));
    let pool = store.pool().clone();
    Some((Arc::new(store), pool, url))
}
