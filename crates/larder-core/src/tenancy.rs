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

/// Spelled-out enums of the tenancy context: the stored and wire spelling, `Display` and
/// `FromStr` from one table.
macro_rules! spelled {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),* }

        impl $name {
            /// The stored and wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$v),)*
                    other => Err(format!("unknown {} '{other}'", stringify!($name))),
                }
            }
        }
    };
}

spelled!(
    /// The day a tenant's business weeks start on (reports bucket usage by these weeks).
    WeekStart {
        /// ISO 8601's week.
        Monday => "monday",
        /// Tuesday.
        Tuesday => "tuesday",
        /// Wednesday.
        Wednesday => "wednesday",
        /// Thursday.
        Thursday => "thursday",
        /// Friday.
        Friday => "friday",
        /// Saturday.
        Saturday => "saturday",
        /// The week of the US and many others.
        Sunday => "sunday",
    }
);

impl WeekStart {
    /// The weekday.
    pub const fn weekday(self) -> chrono::Weekday {
        match self {
            WeekStart::Monday => chrono::Weekday::Mon,
            WeekStart::Tuesday => chrono::Weekday::Tue,
            WeekStart::Wednesday => chrono::Weekday::Wed,
            WeekStart::Thursday => chrono::Weekday::Thu,
            WeekStart::Friday => chrono::Weekday::Fri,
            WeekStart::Saturday => chrono::Weekday::Sat,
            WeekStart::Sunday => chrono::Weekday::Sun,
        }
    }
}

spelled!(
    /// How quantities are shown to people (stock is always kept in base units).
    UnitSystem {
        /// Grams, kilograms, millilitres, litres.
        Metric => "metric",
        /// Ounces, pounds, fluid ounces, gallons.
        UsCustomary => "us_customary",
    }
);

/// An ISO 4217 currency code (`GBP`, `USD`, `JPY`): the currency a tenant's money is in.
/// Amounts are kept in millionths whatever the currency; its minor units only say how many
/// decimals people are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrencyCode(iso_currency::Currency);

impl CurrencyCode {
    /// The currency of an active ISO 4217 alphabetic code, upper case.
    ///
    /// # Errors
    /// A message when `code` is not one (funds, metals and testing codes included).
    pub fn parse(code: &str) -> Result<Self, String> {
        let c = iso_currency::Currency::from_code(code)
            .ok_or_else(|| format!("'{code}' is not an ISO 4217 currency code"))?;
        if c.exponent().is_none() {
            return Err(format!("'{code}' is not a currency money is kept in"));
        }
        Ok(Self(c))
    }

    /// The three letters.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Decimals of its minor unit (ISO 4217's exponent): 2 for GBP, 0 for JPY, 3 for BHD.
    pub fn minor_units(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(2))
    }

    /// Its symbol (`£`, `$`, `¥`; the generic `¤` when it has none).
    pub fn symbol(self) -> String {
        self.0.symbol().to_string()
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

    #[test]
    fn currencies_know_their_minor_units_and_refuse_what_is_not_money() {
        let gbp = CurrencyCode::parse("GBP").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (gbp.code(), gbp.minor_units(), gbp.symbol().as_str()),
            ("GBP", 2, "£")
        );
        assert_eq!(
            CurrencyCode::parse("JPY").map(CurrencyCode::minor_units),
            Ok(0)
        );
        assert_eq!(
            CurrencyCode::parse("BHD").map(CurrencyCode::minor_units),
            Ok(3)
        );
        assert!(CurrencyCode::parse("gbp").is_err());
        assert!(CurrencyCode::parse("XAU").is_err());
        assert!(CurrencyCode::parse("ABC").is_err());
    }

    #[test]
    fn week_starts_and_unit_systems_round_trip() {
        assert_eq!("sunday".parse::<WeekStart>(), Ok(WeekStart::Sunday));
        assert_eq!(WeekStart::Sunday.weekday(), chrono::Weekday::Sun);
        assert_eq!(
            "us_customary".parse::<UnitSystem>().map(UnitSystem::as_str),
            Ok("us_customary")
        );
        assert!("fortnightly".parse::<WeekStart>().is_err());
    }
}
