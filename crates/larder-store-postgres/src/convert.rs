//! Conversions between PostgreSQL values and domain types, and the one place `sqlx::Error`
//! becomes a [`StoreError`]. Instants are `timestamptz` and pass through unchanged; the
//! identity helpers keep the row code the same shape as the SQLite backend's.

use chrono::{DateTime, Utc};
use larder_store::StoreError;

/// Classifies a driver error: unique violations become [`StoreError::Conflict`] with the
/// constraint's name (the migrations name them `{table}_{column}` as SQLite's are derived),
/// foreign-key violations `foreign_key`, connection trouble [`StoreError::Unavailable`].
pub fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("23505") => StoreError::Conflict {
                constraint: db.constraint().unwrap_or("unique").to_owned(),
            },
            Some("23503") => StoreError::Conflict {
                constraint: "foreign_key".into(),
            },
            Some(code) if code.starts_with("08") || code == "57P01" || code == "53300" => {
                StoreError::Unavailable(db.message().to_owned())
            }
            _ => StoreError::Other(db.message().to_owned()),
        },
        _ => StoreError::Other(e.to_string()),
    }
}

/// An instant as bound.
pub fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

/// An instant as read.
pub fn from_ts(v: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
    Ok(v)
}

/// An optional instant as read.
pub fn from_opt_ts(v: Option<DateTime<Utc>>) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(v)
}

/// Parses a stored enum spelling.
pub fn parse_text<T: std::str::FromStr>(v: &str, what: &str) -> Result<T, StoreError> {
    v.parse()
        .map_err(|_| StoreError::Other(format!("bad {what} '{v}' in storage")))
}
