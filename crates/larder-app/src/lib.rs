//! Larder's use cases, written once over the storage port: authorization, validation and
//! orchestration. Every entry point takes the authenticated [`Principal`] (or is explicitly
//! an operator or anonymous one, such as `register`), asks for one permission, validates its
//! command, and runs inside one transaction of the principal's tenant. One module per bounded
//! context, named as in every other layer.

pub mod alerts;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod catalog_csv;
pub mod corrections;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod inventory;
pub mod kitchen;
pub mod mail;
pub mod menu;
pub mod page;
pub mod procurement;
pub mod sales;
pub mod tenancy;
pub mod webhooks;

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
    sessions: auth::SessionCache,
    api_keys: auth::ApiKeyCache,
    second_factor_limiter: Arc<governor::DefaultKeyedRateLimiter<larder_core::UserId>>,
    /// Webhooks may target loopback and private addresses (the operator's choice).
    webhook_private_targets: bool,
}

impl App {
    /// Builds the application over `store`, signing tokens with `keys`.
    pub fn new(store: Arc<dyn Store>, keys: TokenKeys) -> Self {
        Self {
            store,
            keys: Arc::new(keys),
            sessions: auth::session_cache(),
            api_keys: auth::api_key_cache(),
            second_factor_limiter: Arc::new(governor::RateLimiter::keyed(
                governor::Quota::per_minute(
                    std::num::NonZeroU32::new(auth::totp::SECOND_FACTOR_ATTEMPTS_PER_MINUTE)
                        .unwrap_or(std::num::NonZeroU32::MIN),
                ),
            )),
            webhook_private_targets: false,
        }
    }

    /// The same application, letting webhooks target loopback and private addresses (or
    /// not): `LARDER_WEBHOOK_ALLOW_PRIVATE`, for a receiver on the same host or network.
    #[must_use]
    pub fn with_webhook_private_targets(mut self, allow: bool) -> Self {
        self.webhook_private_targets = allow;
        self
    }

    /// Whether webhooks may target loopback and private addresses.
    #[must_use]
    pub fn webhook_private_targets(&self) -> bool {
        self.webhook_private_targets
    }

    /// The store (for health checks and operator commands).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn db(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// Checks `value` under Larder's text policy ([`larder_core::text`]: no control characters,
/// at most `max` characters, at least one visible) and returns it trimmed and in NFC; the error
/// names `field`. For text that does not arrive as one of the policy's types
/// ([`larder_core::Name`] and the others), such as a pack's name or a CSV cell.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    larder_core::text::clean(value, max, &[]).map_err(|e| AppError::invalid(field, e.to_string()))
}
