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

/// Whole units a [`Quantity`] or [`Money`] may hold, in magnitude: 12 integer digits, so
/// `999999999999.999` g (a million tonnes) or 999,999,999,999.999999 of a currency. Every value
/// Larder accepts, stores or computes stays inside it; a write whose result would leave it is
/// refused (see [`Quantity::checked_add`]).
pub const MAX_INTEGER_DIGITS: u32 = 12;

/// Parses the documented form exactly: `^-?[0-9]{1,12}(\.[0-9]+)?$` with at most `scale`
/// significant decimals (trailing zeros beyond them are allowed: `"1.2500"`). No sign `+`, no
/// spaces, no exponent, no bare `.5` or `5.`.
fn parse_fixed(s: &str, scale: u32) -> Result<i64, DecimalError> {
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return Err(DecimalError::Invalid);
    }
    if int_part.len() > MAX_INTEGER_DIGITS as usize {
        return Err(DecimalError::OutOfRange);
    }
    let significant = frac_part.unwrap_or("").trim_end_matches('0');
    if significant.len() > scale as usize {
        return Err(DecimalError::TooManyDecimals { max: scale });
    }
    let mut value: i64 = 0;
    for b in int_part
        .bytes()
        .chain((0..scale as usize).map(|i| significant.as_bytes().get(i).copied().unwrap_or(b'0')))
    {
        // At most 12 + 6 digits: below i64::MAX, so this cannot overflow.
        value = value * 10 + i64::from(b - b'0');
    }
    Ok(if neg { -value } else { value })
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
            /// The largest raw magnitude: [`MAX_INTEGER_DIGITS`] nines, then the decimals'.
            pub const MAX_RAW: i64 = 10i64.pow(MAX_INTEGER_DIGITS + $scale) - 1;
            /// The largest value.
            pub const MAX: Self = Self(Self::MAX_RAW);

            /// `Some` when `raw` is within [`Self::MAX_RAW`] in magnitude.
            pub const fn checked_from_raw(raw: i64) -> Option<Self> {
                if raw >= -Self::MAX_RAW && raw <= Self::MAX_RAW {
                    Some(Self(raw))
                } else {
                    None
                }
            }
            /// A whole number of units (`from_units(3)` is `3.000...`); `None` beyond the range.
            pub fn from_units(units: i64) -> Option<Self> {
                units.checked_mul(Self::ONE_RAW).and_then(Self::checked_from_raw)
            }
            /// Parses a decimal string; never rounds.
            ///
            /// # Errors
            /// [`DecimalError`] when the text is empty, not a decimal, has too many decimals or
            /// does not fit.
            pub fn parse(s: &str) -> Result<Self, DecimalError> {
                parse_fixed(s, $scale).map(Self)
            }
            /// Sum, `None` beyond the range ([`MAX_INTEGER_DIGITS`] integer digits).
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).and_then(Self::checked_from_raw)
            }
            /// Difference, `None` beyond the range.
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).and_then(Self::checked_from_raw)
            }
            /// Negation, `None` beyond the range.
            pub fn checked_neg(self) -> Option<Self> {
                self.0.checked_neg().and_then(Self::checked_from_raw)
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
                    .pattern(Some(concat!("^-?[0-9]{1,12}(\\.[0-9]{1,", $scale, "}0*)?$")))
                    .description(Some(concat!(
                        "Exact decimal as a string: at most 12 integer digits and ", $scale,
                        " significant decimals; never rounded (JSON numbers are refused)"
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
                        write!(f, "{} as a decimal string (such as \"2.5\") with at most {} decimals", $what, $scale)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(|e| E::custom(format!("{} {e}", $what)))
                    }
                }
                // Only strings: a JSON number may already have been rounded by the parser
                // (`2.0000000000000001` reads as 2), and Larder never rounds input.
                d.deserialize_str(V)
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
    /// millionth: `qty_raw * cost_raw / 1000`; `None` beyond Money's range.
    pub fn cost_at(self, unit_cost: Money) -> Option<Money> {
        let v = div_round_half_even(i128::from(self.0) * i128::from(unit_cost.0), 1000);
        i64::try_from(v).ok().and_then(Money::checked_from_raw)
    }
}

fixed_type!(
    /// An item's density in grams per millilitre, exact to the millionth (`"0.91"` for olive
    /// oil): what converts an amount in grams to an item kept in millilitres and back.
    Density,
    6,
    1,
    "density"
);

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
    fn only_the_documented_form_is_accepted() {
        for bad in ["+1", " 1", "1 ", ".5", "5.", "-", "-.5", "1,5", "0x10", "١"] {
            assert_eq!(Quantity::parse(bad), Err(DecimalError::Invalid), "{bad:?}");
        }
        assert_eq!(Quantity::parse("-0.5").map(Quantity::raw), Ok(-500));
        assert_eq!(Quantity::parse("007").map(Quantity::raw), Ok(7000));
    }

    #[test]
    fn twelve_integer_digits_bound_every_value() {
        assert_eq!(
            Quantity::parse("999999999999.999").map(Quantity::raw),
            Ok(Quantity::MAX_RAW)
        );
        assert_eq!(
            Quantity::parse("1000000000000"),
            Err(DecimalError::OutOfRange)
        );
        assert_eq!(
            Money::parse("-999999999999.999999").map(Money::raw),
            Ok(-Money::MAX_RAW)
        );
        assert_eq!(Quantity::MAX.checked_add(Quantity::from_raw(1)), None);
        assert_eq!(
            Quantity::MAX.checked_neg().map(Quantity::raw),
            Some(-Quantity::MAX_RAW)
        );
        assert_eq!(Quantity::from_units(1_000_000_000_000), None);
        // A million tonnes at 2.00 per g is beyond Money's range: refused, not wrapped.
        assert_eq!(Quantity::MAX.cost_at(Money::from_raw(2_000_000)), None);
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
    fn json_numbers_are_refused_and_strings_are_exact() {
        for number in ["2.5", "2", "2.0000000000000001", "1e3"] {
            let e = serde_json::from_str::<Quantity>(number)
                .err()
                .map(|e| e.to_string());
            assert!(
                e.as_deref()
                    .is_some_and(|e| e.contains("expected quantity as a decimal string")),
                "{number}: {e:?}"
            );
        }
        assert_eq!(
            serde_json::from_str::<Quantity>("\"2.0000000000000001\"")
                .map_err(|e| e.to_string())
                .err()
                .as_deref(),
            Some("quantity has more than 3 decimal places at line 1 column 20")
        );
        assert_eq!(
            serde_json::from_str::<Quantity>("\"123456789012.345\"")
                .map(|q| q.raw())
                .ok(),
            Some(123_456_789_012_345)
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
        fn quantity_text_round_trips(raw in -Quantity::MAX_RAW..=Quantity::MAX_RAW) {
            let q = Quantity::from_raw(raw);
            prop_assert_eq!(Quantity::parse(&q.to_string()), Ok(q));
        }

        #[test]
        fn money_text_round_trips(raw in -Money::MAX_RAW..=Money::MAX_RAW) {
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
        fn addition_is_exact_or_refused(a in -Quantity::MAX_RAW..=Quantity::MAX_RAW, b in -Quantity::MAX_RAW..=Quantity::MAX_RAW) {
            let s = Quantity::from_raw(a).checked_add(Quantity::from_raw(b));
            let exact = a + b;
            prop_assert_eq!(s.map(|q| q.raw()), (exact.abs() <= Quantity::MAX_RAW).then_some(exact));
        }

        #[test]
        fn what_parses_matches_the_documented_pattern(s in "-?[0-9]{0,14}(\\.[0-9]{0,8})?") {
            let re = regex::Regex::new(r"^-?[0-9]{1,12}(\.[0-9]{1,3}0*)?$").unwrap_or_else(|e| panic!("{e}"));
            prop_assert_eq!(Quantity::parse(&s).is_ok(), re.is_match(&s), "{:?}", s);
        }
    }
}
