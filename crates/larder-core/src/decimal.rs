//! Exact fixed-point numbers: [`Quantity`] (thousandths of a base unit) and [`Money`]
//! (millionths of the tenant's currency).
//!
//! They travel as decimal strings (`"2.500"`, `"12.95"`). Parsing never rounds: a value with
//! more decimals than the type holds is an error ([`DecimalError::TooManyDecimals`]). Where a
//! computation has to round (a unit conversion, a cost), it rounds half to even through
//! [`div_round_half_even`], and says so where it does.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text was empty.
    #[error("is empty")]
    Empty,
    /// The text is not a plain decimal number (`-12.5`, `3`, `0.125`).
    #[error("is not a decimal number")]
    Invalid,
    /// More decimals than the type holds; we never round input silently.
    #[error("has more than {max} decimal places")]
    TooManyDecimals {
        /// Decimal places the type holds.
        max: u32,
    },
    /// The value does not fit the type's 64-bit range.
    #[error("is out of range")]
    OutOfRange,
}

/// Divides `num` by `den`, rounding half to even (banker's rounding, IEEE 754 `roundTiesToEven`).
///
/// `den` must not be zero; a zero denominator returns 0 rather than panicking, and callers
/// guard against it where it can arise (a recipe yield of zero is rejected at parse time).
pub fn div_round_half_even(num: i128, den: i128) -> i128 {
    if den == 0 {
        return 0;
    }
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let q = num.div_euclid(den);
    let r = num.rem_euclid(den);
    match (2 * r).cmp(&den) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => {
            if q % 2 == 0 {
                q
            } else {
                q + 1
            }
        }
    }
}

fn parse_fixed(s: &str, scale: u32) -> Result<i64, DecimalError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (neg, digits) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(DecimalError::Invalid);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError::Invalid);
    }
    if digits.ends_with('.') && frac_part.is_empty() && digits.contains('.') {
        return Err(DecimalError::Invalid);
    }
    let significant = frac_part.trim_end_matches('0');
    if significant.len() > scale as usize {
        return Err(DecimalError::TooManyDecimals { max: scale });
    }
    let mut value: i128 = 0;
    for b in int_part.bytes() {
        value = value * 10 + i128::from(b - b'0');
        if value > i128::from(i64::MAX) {
            return Err(DecimalError::OutOfRange);
        }
    }
    let mut frac: i128 = 0;
    for i in 0..scale as usize {
        let d = significant.as_bytes().get(i).map_or(0, |b| b - b'0');
        frac = frac * 10 + i128::from(d);
    }
    let total = value * 10i128.pow(scale) + frac;
    let total = if neg { -total } else { total };
    i64::try_from(total).map_err(|_| DecimalError::OutOfRange)
}

fn format_fixed(
    f: &mut fmt::Formatter<'_>,
    raw: i64,
    scale: u32,
    min_decimals: u32,
) -> fmt::Result {
    let unit = 10u64.pow(scale);
    let sign = if raw < 0 { "-" } else { "" };
    let abs = raw.unsigned_abs();
    let int = abs / unit;
    let frac = abs % unit;
    let mut frac_s = format!("{frac:0width$}", width = scale as usize);
    while frac_s.len() > min_decimals as usize && frac_s.ends_with('0') {
        frac_s.pop();
    }
    if frac_s.is_empty() {
        write!(f, "{sign}{int}")
    } else {
        write!(f, "{sign}{int}.{frac_s}")
    }
}

macro_rules! fixed_type {
    ($(#[$doc:meta])* $name:ident, $scale:expr, $min_decimals:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Decimal places held.
            pub const SCALE: u32 = $scale;
            /// The raw integer count of the smallest step (`10^-SCALE`).
            pub const ONE_RAW: i64 = 10i64.pow($scale);
            /// Zero.
            pub const ZERO: Self = Self(0);

            /// Wraps a raw count of the smallest step (as stored).
            pub const fn from_raw(raw: i64) -> Self {
                Self(raw)
            }
            /// The raw count of the smallest step (as stored).
            pub const fn raw(self) -> i64 {
                self.0
            }
            /// A whole number of units (`from_units(3)` is `3.000...`); `None` on overflow.
            pub fn from_units(units: i64) -> Option<Self> {
                units.checked_mul(Self::ONE_RAW).map(Self)
            }
            /// Parses a decimal string; never rounds.
            ///
            /// # Errors
            /// [`DecimalError`] when the text is empty, not a decimal, has too many decimals or
            /// does not fit.
            pub fn parse(s: &str) -> Result<Self, DecimalError> {
                parse_fixed(s, $scale).map(Self)
            }
            /// Sum, `None` on overflow.
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }
            /// Difference, `None` on overflow.
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }
            /// Negation, `None` on overflow.
            pub fn checked_neg(self) -> Option<Self> {
                self.0.checked_neg().map(Self)
            }
            /// Whether the value is below zero.
            pub const fn is_negative(self) -> bool {
                self.0 < 0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_fixed(f, self.0, $scale, $min_decimals)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^-?[0-9]+(\\.[0-9]{1,", $scale, "})?$")))
                    .description(Some(concat!(
                        "Exact decimal, at most ", $scale,
                        " decimals (a JSON number with no more decimals is accepted on input)"
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl FromStr for $name {
            type Err = DecimalError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "{} as a decimal string or number with at most {} decimals", $what, $scale)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(|e| E::custom(format!("{} {e}", $what)))
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$name, E> {
                        $name::from_units(v).ok_or_else(|| E::custom(format!("{} is out of range", $what)))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$name, E> {
                        i64::try_from(v)
                            .ok()
                            .and_then($name::from_units)
                            .ok_or_else(|| E::custom(format!("{} is out of range", $what)))
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$name, E> {
                        // A JSON number arrives as f64; its shortest round-trip text is what the
                        // client wrote, so parse that text and refuse extra decimals.
                        if !v.is_finite() {
                            return Err(E::custom(format!("{} is not a finite number", $what)));
                        }
                        // An f64 keeps 15 significant digits exactly; beyond that the text we
                        // recover may not be what the client wrote, so ask for a string.
                        if v.abs() >= 10f64.powi(15 - $scale as i32) {
                            return Err(E::custom(format!(
                                "{} is too large to be exact as a JSON number; send it as a decimal string",
                                $what
                            )));
                        }
                        let text = format!("{v}");
                        $name::parse(&text).map_err(|e| E::custom(format!("{} {e}", $what)))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

fixed_type!(
    /// An exact quantity in thousandths of an item's base unit (g, ml or ea):
    /// `Quantity::from_raw(2500)` is 2.500 g when the base unit is the gram.
    /// Displays with exactly three decimals (`"2.500"`).
    Quantity,
    3,
    3,
    "quantity"
);

fixed_type!(
    /// An exact amount of money in millionths of the tenant's currency:
    /// `Money::from_raw(12_950_000)` is 12.95. Displays with at least two decimals and as many
    /// more as needed to be exact (`"12.95"`, `"0.0032"`).
    Money,
    6,
    2,
    "amount"
);

impl Quantity {
    /// The cost of this quantity at `unit_cost` per base unit, rounded half to even to the
    /// millionth: `qty_raw * cost_raw / 1000`.
    pub fn cost_at(self, unit_cost: Money) -> Option<Money> {
        let v = div_round_half_even(i128::from(self.0) * i128::from(unit_cost.0), 1000);
        i64::try_from(v).ok().map(Money)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_quantities_exactly() {
        assert_eq!(Quantity::parse("2.5").map(|q| q.raw()), Ok(2500));
        assert_eq!(Quantity::parse("-0.125").map(|q| q.raw()), Ok(-125));
        assert_eq!(
            Quantity::parse("3").map(|q| q.to_string()),
            Ok("3.000".into())
        );
        assert_eq!(Quantity::parse("1.2340").map(|q| q.raw()), Ok(1234));
        assert_eq!(
            Quantity::parse("1.2345"),
            Err(DecimalError::TooManyDecimals { max: 3 })
        );
        assert_eq!(Quantity::parse("1e3"), Err(DecimalError::Invalid));
        assert_eq!(Quantity::parse(""), Err(DecimalError::Empty));
        assert_eq!(Quantity::parse("."), Err(DecimalError::Invalid));
        assert_eq!(Quantity::parse("1."), Err(DecimalError::Invalid));
        assert_eq!(
            Quantity::parse("99999999999999999999"),
            Err(DecimalError::OutOfRange)
        );
        assert_eq!(Quantity::from_raw(-500).to_string(), "-0.500");
    }

    #[test]
    fn money_prints_at_least_two_decimals_and_stays_exact() {
        assert_eq!(Money::from_raw(12_950_000).to_string(), "12.95");
        assert_eq!(Money::from_raw(3_200).to_string(), "0.0032");
        assert_eq!(Money::from_raw(5_000_000).to_string(), "5.00");
        assert_eq!(
            Money::parse("0.1234567"),
            Err(DecimalError::TooManyDecimals { max: 6 })
        );
    }

    #[test]
    fn json_numbers_are_accepted_only_when_exact() {
        let q: Quantity = serde_json::from_str("2.5").unwrap_or_default();
        assert_eq!(q.raw(), 2500);
        assert!(serde_json::from_str::<Quantity>("2.5001").is_err());
        assert!(serde_json::from_str::<Money>("0.1234567").is_err());
        // 17 significant digits do not survive an f64: refused rather than silently changed.
        assert!(serde_json::from_str::<Quantity>("12345678901234.567").is_err());
        assert_eq!(
            serde_json::from_str::<Quantity>("\"12345678901234.567\"")
                .map(|q| q.raw())
                .ok(),
            Some(12_345_678_901_234_567)
        );
        assert_eq!(
            serde_json::from_str::<Quantity>("999999999999.999")
                .map(|q| q.raw())
                .ok(),
            Some(999_999_999_999_999)
        );
        let m: Money = serde_json::from_str("\"0.10\"").unwrap_or_default();
        assert_eq!(m.raw(), 100_000);
        assert_eq!(
            serde_json::to_string(&Quantity::from_raw(2500)).ok(),
            Some("\"2.500\"".into())
        );
    }

    #[test]
    fn half_even_rounding() {
        assert_eq!(div_round_half_even(5, 2), 2);
        assert_eq!(div_round_half_even(7, 2), 4);
        assert_eq!(div_round_half_even(-5, 2), -2);
        assert_eq!(div_round_half_even(-7, 2), -4);
        assert_eq!(div_round_half_even(10, 3), 3);
        assert_eq!(div_round_half_even(11, 3), 4);
        assert_eq!(div_round_half_even(-11, 3), -4);
    }

    proptest! {
        #[test]
        fn quantity_text_round_trips(raw in any::<i64>()) {
            let q = Quantity::from_raw(raw);
            prop_assert_eq!(Quantity::parse(&q.to_string()), Ok(q));
        }

        #[test]
        fn money_text_round_trips(raw in any::<i64>()) {
            let m = Money::from_raw(raw);
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        }

        #[test]
        fn half_even_is_within_half_a_step(num in -1_000_000_000i128..1_000_000_000, den in 1i128..100_000) {
            let r = div_round_half_even(num, den);
            // |r*den - num| <= den/2, and ties go to an even result
            let diff = (r * den - num).abs();
            prop_assert!(2 * diff <= den);
            if 2 * diff == den { prop_assert_eq!(r % 2, 0); }
        }

        #[test]
        fn addition_is_exact(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let s = Quantity::from_raw(a).checked_add(Quantity::from_raw(b));
            prop_assert_eq!(s.map(|q| q.raw()), Some(a + b));
        }
    }
}
