//! The use-case error: what went wrong, in terms an interface can map to a status once.

use larder_store::StoreError;

/// Why a use case refused or failed. Each variant's doc says the HTTP status it becomes.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 422: a field of the request is invalid; `field` names it (`lines[2].quantity`).
    #[error("{field}: {message}")]
    Validation {
        /// The field at fault, as the client wrote it.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// 401: no valid credentials, or a refresh token that is expired, revoked or reused.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// 403: authenticated, but the role lacks the permission.
    #[error("missing permission {0}")]
    Forbidden(&'static str),
    /// 404: the thing does not exist in the caller's tenant (another tenant's id included).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: the write conflicts with existing data; `field` names what is taken.
    #[error("{field}: {message}")]
    Conflict {
        /// The field whose value is taken (`sku`, `email`).
        field: String,
        /// What happened.
        message: String,
    },
    /// 409: an `Idempotency-Key` was reused with a different request.
    #[error("the Idempotency-Key was used for a different request")]
    IdempotencyMismatch,
    /// 412: the `If-Match` version is stale.
    #[error("the {0} was changed by someone else; reload it and try again")]
    PreconditionFailed(&'static str),
    /// 429: too many attempts from one client (login, register, refresh); retry later.
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    /// 503: the database is unreachable or overloaded.
    #[error("storage unavailable")]
    Unavailable(String),
    /// 500: anything else; the text goes to logs only.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// A validation error on `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A conflict on `field`.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("resource"),
            StoreError::Conflict { constraint } => {
                let field = field_of(&constraint);
                AppError::Conflict {
                    message: format!("{field} is already taken"),
                    field,
                }
            }
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

/// The field clients know for a constraint: `items_sku` -> `sku`, `sales_external_ref` ->
/// `external_ref`; the idempotency key's is the header's name.
fn field_of(constraint: &str) -> String {
    const TABLES: [&str; 9] = [
        "menu_items",
        "refresh_tokens",
        "users",
        "items",
        "tenants",
        "locations",
        "sales",
        "recipes",
        "memberships",
    ];
    if constraint == "idempotency_keys_key" {
        return "Idempotency-Key".into();
    }
    TABLES
        .iter()
        .find_map(|t| constraint.strip_prefix(t).and_then(|r| r.strip_prefix('_')))
        .unwrap_or(constraint)
        .to_owned()
}
