//! Idempotent requests: the stored first answer to each `Idempotency-Key`. Not a bounded
//! context of its own: every context's creates share it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;

/// The stored answer to an idempotent request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRow {
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// SHA-256 of the operation and request, to refuse the key's reuse for another request.
    pub request_hash: Vec<u8>,
    /// HTTP status of the first answer.
    pub status: u16,
    /// JSON body of the first answer.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The idempotency port.
#[async_trait]
pub trait IdempotencyTx: Send {
    /// The stored answer to an earlier request with this key.
    async fn get_idempotency(&mut self, key: &str) -> Result<Option<IdempotencyRow>, StoreError>;
    /// Stores the answer to a request unless the key is stored already (by an earlier or a
    /// concurrent request, which this one then waits for); returns whether it was stored.
    async fn insert_idempotency(&mut self, row: &IdempotencyRow) -> Result<bool, StoreError>;
}
