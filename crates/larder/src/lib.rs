//! The `larder` binary as a library: configuration, store selection, and the subcommands.
//! `main.rs` only parses arguments and calls [`cli::run`].

pub mod alerts;
pub mod amqp;
pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_replay;
pub mod demo_stock;
pub mod mail;
pub mod pizza_demo;
mod sales_import;
pub mod telemetry;
pub mod webhooks;

use std::sync::Arc;

use anyhow::Context;
use larder_app::{App, TokenKeys};
use larder_store::Store;

pub use config::{Backend, Config};

/// Opens the configured store, running pending migrations.
///
/// # Errors
/// When the database cannot be opened or migrated.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    match config.backend()? {
        Backend::Sqlite(url) => {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!(
                    "failed to create the data directory {}",
                    config.data_dir.display()
                )
            })?;
            let store = larder_store_sqlite::SqliteStore::open(&url)
                .await
                .context("failed to open the SQLite database")?;
            Ok(Arc::new(store))
        }
        Backend::Postgres(url) => {
            let store =
                larder_store_postgres::PgStore::open(&url, config.app_database_url.as_deref())
                    .await
                    .with_context(|| {
                        format!("failed to open PostgreSQL at {}", config::redact(&url))
                    })?;
            Ok(Arc::new(store))
        }
    }
}

/// Builds the application over `store` with the configured token keys.
///
/// # Errors
/// When the signing secret cannot be read or created.
pub fn build_app(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<App> {
    let secret = config.jwt_secret()?;
    let keys = TokenKeys::from_secret(&secret).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(App::new(store, keys).with_webhook_private_targets(config.webhook_allow_private))
}
