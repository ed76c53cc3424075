//! Larder's use cases, written once over the storage port: authorization, validation and
//! orchestration. Every entry point takes the authenticated [`Principal`] (or is explicitly
//! an operator or anonymous one, such as `register`), asks for one permission, validates its
//! command, and runs inside one transaction of the principal's tenant. One module per bounded
//! context, named as in every other layer.

pub mod analytics;
pub mod auth;
pub mod catalog;
pub mod error;
pub mod idempotency;
pub mod inventory;
pub mod menu;
pub mod page;
pub mod sales;
pub mod tenancy;

use std::sync::Arc;

use larder_store::Store;

pub use auth::{Principal, TokenKeys, TokenPair};
pub use error::AppError;
pub use idempotency::{IdempotencyKey, Idempotent};
pub use page::Page;

/// The application: a store and the keys tokens are signed with. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    keys: Arc<TokenKeys>,
}

impl App {
    /// Builds the application over `store`, signing tokens with `keys`.
    pub fn new(store: Arc<dyn Store>, keys: TokenKeys) -> Self {
        Self {
            store,
            keys: Arc::new(keys),
        }
    }

    /// The store (for health checks and operator commands).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn db(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// Trims `value` and checks it is 1..=`max` characters; the error names `field`.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

/// As [`required_text`] for an optional field; empty becomes `None`.
pub(crate) fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, AppError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(field, v, max).map(Some),
    }
}
