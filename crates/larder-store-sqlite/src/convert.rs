//! Conversions between SQLite values and domain types, and the one place `sqlx::Error`
//! becomes a [`StoreError`].

use chrono::{DateTime, Utc};
use larder_store::StoreError;

/// Classifies a driver error: unique and check violations become [`StoreError::Conflict`]
/// named `{table}_{column}` after the last column SQLite reports (the index names in the
/// migrations follow the same rule), connection trouble [`StoreError::Unavailable`].
pub fn classify(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(db) => {
            let message = db.message();
            if let Some(cols) = message.strip_prefix("UNIQUE constraint failed: ") {
                let last = cols.split(", ").last().unwrap_or(cols);
                let constraint = match last.split_once('.') {
                    Some((table, col)) => format!("{table}_{col}"),
                    None => last.to_owned(),
                };
                StoreError::Conflict { constraint }
            } else if message.starts_with("FOREIGN KEY constraint failed") {
                StoreError::Conflict {
                    constraint: "foreign_key".into(),
                }
            } else if message.contains("database is locked") || message.contains("busy") {
                StoreError::Unavailable(message.to_owned())
            } else {
                StoreError::Other(message.to_owned())
            }
        }
        _ => StoreError::Other(e.to_string()),
    }
}

/// A UTC instant as stored: microseconds since the Unix epoch.
pub fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// A stored instant back.
pub fn from_ts(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(v)
        .ok_or_else(|| StoreError::Other(format!("bad timestamp {v}")))
}

/// A stored optional instant back.
pub fn from_opt_ts(v: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    v.map(from_ts).transpose()
}

/// Parses a stored enum spelling.
pub fn parse_text<T: std::str::FromStr>(v: &str, what: &str) -> Result<T, StoreError> {
    v.parse()
        .map_err(|_| StoreError::Other(format!("bad {what} '{v}' in storage")))
}
