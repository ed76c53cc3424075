//! Tenants and locations: the shape of a restaurant group.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a location is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// Prepares for other sites (commissary).
    CentralKitchen,
    /// Serves guests.
    Outlet,
}

impl LocationKind {
    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            LocationKind::CentralKitchen => "central_kitchen",
            LocationKind::Outlet => "outlet",
        }
    }
}

impl fmt::Display for LocationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LocationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "central_kitchen" => Ok(LocationKind::CentralKitchen),
            "outlet" => Ok(LocationKind::Outlet),
            other => Err(format!("unknown location kind '{other}'")),
        }
    }
}

/// A URL-safe tenant slug from a name: lowercase ASCII letters and digits, runs of anything
/// else become one `-`, trimmed, at most 48 characters; `"tenant"` when nothing is left.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut s: String = out.trim_matches('-').chars().take(48).collect();
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() { "tenant".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Curry House (Brixton) Ltd."),
            "curry-house-brixton-ltd"
        );
        assert_eq!(slugify("  ***  "), "tenant");
    }
}
