//! The storage error, classified once from the driver's error by each backend.

/// What went wrong in storage, in the terms a use case can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or belongs to another tenant).
    #[error("not found")]
    NotFound,
    /// A unique or check constraint refused the write; `constraint` is its name.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The constraint's name, such as `items_sku`.
        constraint: String,
    },
    /// A check refused a value beyond its range; `constraint` is its name, such as
    /// `stock_levels_on_hand_range` (on hand beyond Quantity's 12 integer digits).
    #[error("out of range: {constraint}")]
    OutOfRange {
        /// The check's name.
        constraint: String,
    },
    /// The database could not be reached or is overloaded (pool timeout, connection refused).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the text is for logs, never for clients.
    #[error("storage failure: {0}")]
    Other(String),
}
