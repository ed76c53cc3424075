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
    /// 422: rows of an uploaded file are invalid, each named by its line and column; nothing
    /// was written.
    #[error("{}", rows_detail(.0))]
    InvalidRows(Vec<crate::sales::RowError>),
    /// 401: no valid credentials, or a refresh token that is expired, revoked or reused.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// 401: the password was right, and a second factor is needed: send `one_time_code`.
    #[error(
        "this account uses two-factor authentication: send the code from the authenticator app as one_time_code"
    )]
    MfaRequired,
    /// 403: the tenant requires a second factor of owners and admins, and this session has
    /// none: set it up (`/auth/totp/setup`, `/auth/totp/confirm`), then log in again.
    #[error(
        "the tenant requires two-factor authentication of owners and admins: set it up at /api/v1/auth/totp/setup, then log in again with a code"
    )]
    MfaSetupRequired,
    /// 403: authenticated, but the role lacks the permission.
    #[error("missing permission {0}")]
    Forbidden(&'static str),
    /// 403: the member is limited to some locations and the action concerns the whole tenant
    /// (adding a location).
    #[error("{0}")]
    LocationLimited(&'static str),
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

/// Every bad row as one sentence: `line 3, packs: ...; line 5, supplier_sku: ...`.
fn rows_detail(rows: &[crate::sales::RowError]) -> String {
    let each: Vec<String> = rows
        .iter()
        .map(|r| format!("line {}, {}: {}", r.line, r.field, r.message))
        .collect();
    format!("nothing was written; {}", each.join("; "))
}

impl AppError {
    /// A validation error on `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error with its field named inside `parent` (`lines[2]` + `quantity` ->
    /// `lines[2].quantity`); errors without a field are unchanged.
    #[must_use]
    pub fn within(self, parent: &str) -> Self {
        match self {
            Self::Validation { field, message } => Self::Validation {
                field: format!("{parent}.{field}"),
                message,
            },
            Self::Conflict { field, message } => Self::Conflict {
                field: format!("{parent}.{field}"),
                message,
            },
            e => e,
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
    /// A conflict keeps the store's constraint name as its field until the context that
    /// caused it names the field its clients know (see [`Conflicts`]).
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("resource"),
            StoreError::Conflict { constraint } => AppError::Conflict {
                message: format!("{constraint} is already taken"),
                field: constraint,
            },
            StoreError::OutOfRange { constraint } if constraint == "stock_levels_on_hand_range" => {
                AppError::invalid(
                    "quantity",
                    format!(
                        "would take on hand beyond the largest quantity ({})",
                        larder_core::Quantity::MAX
                    ),
                )
            }
            StoreError::OutOfRange { constraint } => {
                AppError::invalid(constraint, "is beyond its range")
            }
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

/// A context's table from its storage constraints to the fields its clients write
/// (`items_sku` -> `sku`). Each context keeps its own beside its use cases and passes their
/// errors through [`Conflicts::name`]; there is no list of every context's constraints.
pub(crate) struct Conflicts(pub &'static [(&'static str, &'static str)]);

impl Conflicts {
    /// Renames a conflict on one of this context's constraints to its field.
    pub(crate) fn name(&self, e: AppError) -> AppError {
        match e {
            AppError::Conflict { field, message } => {
                match self.0.iter().find(|(c, _)| *c == field) {
                    Some((_, f)) => AppError::conflict(*f, format!("{f} is already taken")),
                    None => AppError::Conflict { field, message },
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_names_its_own_constraints_and_leaves_others_alone() {
        const T: Conflicts = Conflicts(&[("items_sku", "sku")]);
        let named = T.name(
            StoreError::Conflict {
                constraint: "items_sku".into(),
            }
            .into(),
        );
        assert!(
            matches!(&named, AppError::Conflict { field, message } if field == "sku" && message == "sku is already taken"),
            "{named:?}"
        );
        let other = T.name(
            StoreError::Conflict {
                constraint: "recipes_name".into(),
            }
            .into(),
        );
        assert!(matches!(other, AppError::Conflict { field, .. } if field == "recipes_name"));
        assert!(matches!(
            T.name(AppError::NotFound("item")),
            AppError::NotFound("item")
        ));
    }
}
