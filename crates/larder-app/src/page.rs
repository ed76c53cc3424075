//! Keyset pagination: opaque cursors and bounded pages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::AppError;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: u32 = 500;

/// One page of a list: `data`, and `next_cursor` to pass back for the next page (`None` at
/// the end).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The rows.
    pub data: Vec<T>,
    /// Opaque; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The query of a plain list: page size and the cursor of the previous page. Unknown
/// parameters are refused (a misspelt `limt` would otherwise be ignored).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`, as it was given (an opaque token).
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// The page size for a requested `limit`: default 50, 1..=500.
///
/// # Errors
/// 422 on `limit` when 0 or above 500.
pub fn limit(requested: Option<u32>) -> Result<u32, AppError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(AppError::invalid("limit", "must be at least 1")),
        Some(n) if n > MAX_LIMIT => Err(AppError::invalid(
            "limit",
            format!("must be at most {MAX_LIMIT}"),
        )),
        Some(n) => Ok(n),
    }
}

/// Encodes cursor parts (joined by the unit separator) as URL-safe base64.
pub fn encode(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("\u{1f}"))
}

/// Decodes a cursor into exactly `n` parts.
///
/// # Errors
/// 422 on `cursor` when it is not one this server issued.
pub fn decode(cursor: &str, n: usize) -> Result<Vec<String>, AppError> {
    let bad = || AppError::invalid("cursor", "is not a valid cursor");
    if cursor.len() > 1024 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    // The parts are names and ids this server wrote: a control character other than the
    // separator means a forged cursor (and NUL would reach PostgreSQL as text).
    if text
        .chars()
        .any(|c| larder_core::text::is_control(c) && c != '\u{1f}')
    {
        return Err(bad());
    }
    let parts: Vec<String> = text.split('\u{1f}').map(str::to_owned).collect();
    if parts.len() == n {
        Ok(parts)
    } else {
        Err(bad())
    }
}

/// Parses a cursor part as an id.
///
/// # Errors
/// 422 on `cursor`.
pub fn id<T: std::str::FromStr>(part: &str) -> Result<T, AppError> {
    part.parse()
        .map_err(|_| AppError::invalid("cursor", "is not a valid cursor"))
}

/// Builds a page from `rows` fetched with `limit + 1`: the extra row only says there is more.
pub fn page<T>(mut rows: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page {
        data: rows,
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forged_ones_are_refused() {
        let c = encode(&["Rice", "01"]);
        assert_eq!(
            decode(&c, 2).ok(),
            Some(vec!["Rice".to_owned(), "01".to_owned()])
        );
        assert!(decode(&c, 3).is_err());
        assert!(decode("AA", 1).is_err(), "a NUL part");
        assert!(decode(&"A".repeat(1025), 1).is_err());
        assert!(decode("!!", 1).is_err());
    }
}
