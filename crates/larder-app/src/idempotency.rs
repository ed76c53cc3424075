//! Idempotent creates: a retried request with the same `Idempotency-Key` gets the first
//! answer and writes nothing twice (the IETF draft "The Idempotency-Key HTTP Header Field").
//!
//! The key, a hash of the request and the answer are stored in the same transaction as the
//! write, so either both exist or neither does. The first request's path costs one statement
//! more than an unkeyed one: the work runs, then the key is stored unless it exists. When it
//! exists (a retry, or a concurrent twin that committed first: the insert waits for it), the
//! transaction is rolled back and the stored answer returned. When the work itself fails, the
//! key is looked up before the error is returned, so a retry of a request that succeeded gets
//! its first answer even where the work would now refuse (a create whose name is taken by
//! the first attempt).

use chrono::Utc;
use larder_store::prelude::*;
use larder_store::{BoxFuture, IdempotencyRow, Mode, run_tenant};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::AppError;

/// A client's `Idempotency-Key`, 1..=255 visible ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a header value.
    ///
    /// # Errors
    /// 422 on `Idempotency-Key` when empty, too long or not visible ASCII.
    pub fn parse(v: &str) -> Result<Self, AppError> {
        let v = v.trim();
        if v.is_empty() || v.len() > 255 || !v.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Self(v.to_owned()))
    }
}

/// A result, and whether it is the replay of an earlier request's answer.
#[derive(Debug)]
pub struct Idempotent<T> {
    /// The answer.
    pub value: T,
    /// True when nothing was written because the key had been seen.
    pub replayed: bool,
}

fn request_hash(operation: &str, request: &impl Serialize) -> Result<Vec<u8>, AppError> {
    let body = serde_json::to_vec(request).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update([0]);
    h.update(&body);
    Ok(h.finalize().to_vec())
}

fn replay<T: DeserializeOwned>(row: &IdempotencyRow, hash: &[u8]) -> Result<T, AppError> {
    if row.request_hash != hash {
        return Err(AppError::IdempotencyMismatch);
    }
    serde_json::from_str(&row.body)
        .map_err(|e| AppError::Internal(format!("stored answer unreadable: {e}")))
}

/// Why a keyed transaction did not commit: the work's own error, or the key was taken.
enum Outcome {
    Failed(AppError),
    KeyTaken,
}

impl From<AppError> for Outcome {
    fn from(e: AppError) -> Self {
        Outcome::Failed(e)
    }
}

impl From<larder_store::StoreError> for Outcome {
    fn from(e: larder_store::StoreError) -> Self {
        Outcome::Failed(e.into())
    }
}

/// Runs `work` in a write transaction of `principal`'s tenant, once per `key` of that person.
///
/// `event` names the operation and is the domain event recorded with the answer, in the same
/// transaction (ADR 025). `event` and `request` identify the request: the same key with
/// another request is refused (409). Without a key, `work` simply runs. Keys are the person's own (stored as
/// `<user id>:<key>`): another person, or an API key acting as another creator, sending the same
/// key runs their own request, so a stored answer (a movement at a location they may not see,
/// say) is replayed only to whoever made it.
///
/// # Errors
/// `work`'s error, [`AppError::IdempotencyMismatch`], or a storage error.
pub async fn run_once<T, F>(
    store: &dyn larder_store::Store,
    principal: &crate::Principal,
    key: Option<IdempotencyKey>,
    event: crate::events::EventType,
    request: &(impl Serialize + Sync),
    work: F,
) -> Result<Idempotent<T>, AppError>
where
    T: Serialize + DeserializeOwned + Send + 'static,
    F: for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<T, AppError>> + Send + 'static,
{
    let tenant = principal.tenant_id;
    let p = *principal;
    let Some(IdempotencyKey(key)) = key else {
        let value = crate::events::write(store, &p, event, work).await?;
        return Ok(Idempotent {
            value,
            replayed: false,
        });
    };
    let key = format!("{}:{key}", principal.user_id);
    let hash = request_hash(event.as_str(), request)?;
    let (k, h) = (key.clone(), hash.clone());
    let first = run_tenant(store, tenant, Mode::Write, move |tx| {
        Box::pin(async move {
            let value = work(tx).await?;
            let json = crate::events::to_json(&value)?;
            crate::events::emit(tx, &p, event, json).await?;
            let body =
                serde_json::to_string(&value).map_err(|e| AppError::Internal(e.to_string()))?;
            let stored = tx
                .insert_idempotency(&IdempotencyRow {
                    key: k,
                    request_hash: h,
                    status: 201,
                    body,
                    created_at: Utc::now(),
                })
                .await?;
            if stored {
                Ok(value)
            } else {
                Err(Outcome::KeyTaken)
            }
        })
    })
    .await;
    let failure = match first {
        Ok(value) => {
            return Ok(Idempotent {
                value,
                replayed: false,
            });
        }
        Err(Outcome::KeyTaken) => None,
        Err(Outcome::Failed(e)) => Some(e),
    };
    // The key was taken, or the work failed: answer with a stored first answer if there is one.
    let stored = run_tenant(store, tenant, Mode::Read, move |tx| {
        Box::pin(async move { tx.get_idempotency(&key).await })
    })
    .await;
    match (stored, failure) {
        (Ok(Some(row)), _) => Ok(Idempotent {
            value: replay(&row, &hash)?,
            replayed: true,
        }),
        (_, Some(e)) => Err(e),
        (Ok(None), None) => Err(AppError::Internal("idempotency key vanished".into())),
        (Err(e), None) => Err(e.into()),
    }
}
