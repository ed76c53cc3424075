//! What the editing pages share: a posted form as its fields in order (rows of repeated
//! names, such as a recipe's lines, stay in step), exact decimals typed in a larger unit
//! (kg for an item counted in g, a cost per kg), and how a refused write is shown again.
//!
//! Every parse names the field the API would name, so a page's 422 says which box is wrong.

use axum::http::StatusCode;
use larder_app::AppError;
use larder_core::decimal::MAX_INTEGER_DIGITS;
use larder_core::{Money, Quantity};

/// A posted `application/x-www-form-urlencoded` body: its `(name, value)` pairs in order.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed (empty when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// The first value of `name`, trimmed, or `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every value of `name`, trimmed, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// Whether `name` was sent (a button's name, a ticked box).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The hidden `version` field, as the `If-Match` of the edit.
    ///
    /// # Errors
    /// 422 on `version` when it is not a number.
    pub fn version(&self) -> Result<Option<i64>, AppError> {
        match self.opt("version") {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                AppError::invalid("version", "must be the number the form was read with")
            }),
        }
    }
}

/// Parses text with a `larder_core::text` type (`Name::parse`, `Label::parse`...), naming
/// `field` in the error.
///
/// # Errors
/// 422 on `field` with the type's reason.
pub fn text<T>(
    field: &str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, larder_core::TextError>,
) -> Result<T, AppError> {
    parse(value).map_err(|e| AppError::invalid(field, e.to_string()))
}

/// As [`text`] for an optional field: blank is `None`.
///
/// # Errors
/// As [`text`].
pub fn opt_text<T>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, larder_core::TextError>,
) -> Result<Option<T>, AppError> {
    value.map(|v| text(field, v, parse)).transpose()
}

/// An exact decimal as typed (`-12.5`, `0.0016`): `(numerator, denominator)` with the
/// denominator a power of ten. At most 12 integer and 12 fraction digits.
fn decimal(field: &str, s: &str) -> Result<(i128, i128), AppError> {
    let bad = || AppError::invalid(field, format!("'{s}' is not a number such as 12 or 0.25"));
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = |p: &str, max: u32| p.len() <= max as usize && p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty()
        || !ok(int, MAX_INTEGER_DIGITS)
        || !ok(frac, 12)
        || (digits.contains('.') && frac.is_empty())
    {
        return Err(bad());
    }
    let den = 10_i128.pow(u32::try_from(frac.len()).unwrap_or(12));
    let whole: i128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let part: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    let num = whole * den + part;
    Ok((if neg { -num } else { num }, den))
}

/// A quantity typed in a unit `per_base` times the base unit (1000 for kg of an item counted
/// in g), as thousandths of the base unit.
///
/// # Errors
/// 422 on `field` when it is not a number, is finer than a thousandth of the base unit, or
/// is beyond the largest quantity.
pub fn quantity_in(field: &str, s: &str, per_base: i128) -> Result<Quantity, AppError> {
    let (num, den) = decimal(field, s)?;
    let thousandths = num * per_base * 1000;
    if thousandths % den != 0 {
        return Err(AppError::invalid(
            field,
            "is finer than a thousandth of the base unit",
        ));
    }
    i64::try_from(thousandths / den)
        .ok()
        .and_then(Quantity::checked_from_raw)
        .filter(|q| q.raw().abs() <= Quantity::MAX_RAW)
        .ok_or_else(|| {
            AppError::invalid(
                field,
                format!("is beyond the largest quantity ({})", Quantity::MAX),
            )
        })
}

/// A cost typed per a unit that holds `per_base` base units (per kg: 1000), as millionths of
/// the currency per base unit.
///
/// # Errors
/// 422 on `field` when it is not a number, is finer than a millionth per base unit, or is
/// beyond the largest amount.
pub fn money_per(field: &str, s: &str, per_base: i128) -> Result<Money, AppError> {
    let (num, den) = decimal(field, s)?;
    let millionths = num * 1_000_000;
    let div = den * per_base;
    if millionths % div != 0 {
        return Err(AppError::invalid(
            field,
            "is finer than a millionth of the currency per base unit",
        ));
    }
    i64::try_from(millionths / div)
        .ok()
        .and_then(Money::checked_from_raw)
        .ok_or_else(|| {
            AppError::invalid(
                field,
                format!("is beyond the largest amount ({})", Money::MAX),
            )
        })
}

/// `raw / 10^scale` as an exact decimal without trailing zeros (`plain(1500, 3)` is `1.5`), for
/// a form's value that must read back to the same number.
pub fn plain(raw: i128, scale: u32) -> String {
    let den = 10_i128.pow(scale);
    let sign = if raw < 0 { "-" } else { "" };
    let (whole, frac) = (raw.abs() / den, raw.abs() % den);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let digits = format!("{frac:0width$}", width = scale as usize);
    format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
}

/// The status a form page answers with when it shows the form again with the error: 422 for
/// a refused field, 409 for a taken name, 412 for a form read before someone else saved;
/// `None` for errors that get the error page.
pub fn shown_again(e: &AppError) -> Option<StatusCode> {
    match e {
        AppError::Validation { .. } => Some(StatusCode::UNPROCESSABLE_ENTITY),
        AppError::Conflict { .. } => Some(StatusCode::CONFLICT),
        AppError::PreconditionFailed(_) => Some(StatusCode::PRECONDITION_FAILED),
        _ => None,
    }
}

/// The sentence a form shows above itself for a refused write.
pub fn message(e: &AppError) -> String {
    match e {
        AppError::PreconditionFailed(what) => format!(
            "Someone else saved this {what} after you opened the form, so nothing was saved. The form now shows their version: make your change again."
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_typed_in_a_larger_unit_are_exact() {
        assert_eq!(
            quantity_in("q", "1.5", 1000).ok(),
            Some(Quantity::from_raw(1_500_000))
        );
        assert_eq!(
            quantity_in("q", "0.0005", 1000).ok(),
            Some(Quantity::from_raw(500))
        );
        assert_eq!(
            quantity_in("q", ".25", 1).ok(),
            Some(Quantity::from_raw(250))
        );
        assert!(quantity_in("q", "0.0000001", 1000).is_err());
        assert!(quantity_in("q", "1e3", 1).is_err());
        assert!(quantity_in("q", "1.", 1).is_err());
        assert!(quantity_in("q", "", 1).is_err());
        assert!(quantity_in("q", "999999999999", 1000).is_err());
        let e = quantity_in("pack_sizes[0].quantity", "lots", 1).unwrap_err();
        assert!(e.to_string().starts_with("pack_sizes[0].quantity:"), "{e}");
    }

    #[test]
    fn costs_typed_per_kg_are_exact_per_gram() {
        assert_eq!(
            money_per("c", "1.60", 1000).ok(),
            Some(Money::from_raw(1_600))
        );
        assert_eq!(
            money_per("c", "0.4", 1).ok(),
            Some(Money::from_raw(400_000))
        );
        assert!(money_per("c", "1.2345678", 1000).is_err());
    }

    #[test]
    fn plain_decimals_read_back_exactly() {
        assert_eq!(plain(1_500, 3), "1.5");
        assert_eq!(plain(25_000_000, 6), "25");
        assert_eq!(plain(-1_600, 6), "-0.0016");
        assert_eq!(plain(0, 3), "0");
    }
}
