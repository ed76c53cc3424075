//! Amounts as a kitchen enters them: several parts, each a number and what it counts, a pack
//! of the item or a unit ("3 cases + 4 packs + 250 g"), summed exactly into the item's base
//! unit.
//!
//! A pack is one of the item's named pack sizes (its base quantity is stored with the item, so
//! a hierarchy case -> pack -> each is a list of sizes: "case" 24 ea, "pack" 6 ea). A unit of
//! another dimension than the item's base unit (grams of an item kept in millilitres) converts
//! only through the item's density, given in grams per millilitre. The exact sum is returned
//! as a [`Ratio`] of base units; [`Rounding`] makes it a [`Quantity`].

use std::fmt;

use crate::decimal::Quantity;
use crate::rational::Ratio;
use crate::units::{BaseUnit, Unit};

/// One part of an entered amount: how many, of what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountPart {
    /// How many, exact (at most 3 decimals, as typed).
    pub count: Quantity,
    /// What was counted, as typed: a pack name ("case", "cases") or a unit ("g", "kg").
    /// Empty: the item's base unit.
    pub of: String,
}

/// Why an amount was refused: the part (0-based) and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountError {
    /// Index of the part at fault (`None`: the amount as a whole).
    pub part: Option<usize>,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.part {
            Some(i) => write!(f, "part {}: {}", i + 1, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for AmountError {}

fn err(part: Option<usize>, message: impl Into<String>) -> AmountError {
    AmountError {
        part,
        message: message.into(),
    }
}

/// Splits "3 cases + 4 packs + 250 g" (or "3 case, 4 pack, 250g", or "1.5") into parts.
/// Parts are separated by `+` or `,`; each is a number (at most 3 decimals, not negative)
/// followed, with or without a space, by what it counts.
///
/// # Errors
/// An empty amount, a part without a number, a negative or over-precise number.
pub fn parse_amount(text: &str) -> Result<Vec<AmountPart>, AmountError> {
    let mut parts = Vec::new();
    for (i, raw) in text.split(['+', ',']).enumerate() {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(err(Some(i), "is empty"));
        }
        let split = raw
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(raw.len());
        let (number, of) = raw.split_at(split);
        if number.is_empty() {
            return Err(err(
                Some(i),
                format!("'{raw}' does not start with a number"),
            ));
        }
        let count =
            Quantity::parse(number).map_err(|e| err(Some(i), format!("'{number}': {e}")))?;
        parts.push(AmountPart {
            count,
            of: of.trim().to_lowercase(),
        });
    }
    if parts.is_empty() {
        return Err(err(None, "is empty"));
    }
    Ok(parts)
}

/// What an item can be entered in.
#[derive(Clone, Debug)]
pub struct Measure<'a> {
    /// The item's base unit.
    pub base: BaseUnit,
    /// Its pack sizes: name and base quantity of one pack (thousandths).
    pub packs: &'a [(String, Quantity)],
    /// Grams per millilitre, when known (converts between mass and volume).
    pub density: Option<Ratio>,
}

impl Measure<'_> {
    /// The base quantity of one pack named `of` (case-insensitive; a plural "s" or "es" may
    /// be added).
    fn pack(&self, of: &str) -> Option<Quantity> {
        self.packs.iter().find_map(|(name, q)| {
            let name = name.to_lowercase();
            let hit = of == name
                || of.strip_suffix('s') == Some(name.as_str())
                || of.strip_suffix("es") == Some(name.as_str());
            hit.then_some(*q)
        })
    }

    /// Base units in one `unit`, through the density when the dimensions differ.
    fn unit_factor(&self, unit: Unit, part: usize) -> Result<Ratio, AmountError> {
        let (dim, factor) = unit.base();
        if dim == self.base {
            return Ok(factor);
        }
        let density = match (dim, self.base) {
            (BaseUnit::G, BaseUnit::Ml) | (BaseUnit::Ml, BaseUnit::G) => self.density,
            _ => None,
        };
        let Some(density) = density.filter(|d| d.num() > 0) else {
            return Err(err(
                Some(part),
                format!(
                    "'{}' cannot be converted to '{}'{}",
                    unit.as_str(),
                    self.base.as_str(),
                    if matches!(dim, BaseUnit::Ea) || matches!(self.base, BaseUnit::Ea) {
                        ""
                    } else {
                        " without the item's density"
                    }
                ),
            ));
        };
        // g -> ml divides by g/ml; ml -> g multiplies.
        let per = if dim == BaseUnit::G {
            Ratio::new(density.den(), density.num())
        } else {
            Some(density)
        };
        per.and_then(|p| factor.checked_mul(p))
            .ok_or_else(|| err(Some(part), "is out of range"))
    }

    /// The exact sum of `parts` in base units (not thousandths).
    ///
    /// # Errors
    /// A part counting an unknown pack or unit, a unit that cannot convert (no density, or
    /// each against a mass), or a sum out of range.
    pub fn total(&self, parts: &[AmountPart]) -> Result<Ratio, AmountError> {
        let mut total = Ratio::ZERO;
        for (i, p) in parts.iter().enumerate() {
            let count = Ratio::new(i128::from(p.count.raw()), 1000)
                .ok_or_else(|| err(Some(i), "is out of range"))?;
            let per = if p.of.is_empty() {
                Ratio::from_int(1)
            } else if let Some(q) = self.pack(&p.of) {
                Ratio::new(i128::from(q.raw()), 1000)
                    .ok_or_else(|| err(Some(i), "is out of range"))?
            } else if let Ok(unit) = p.of.parse::<Unit>() {
                self.unit_factor(unit, i)?
            } else {
                let names: Vec<&str> = self.packs.iter().map(|(n, _)| n.as_str()).collect();
                return Err(err(
                    Some(i),
                    format!(
                        "'{}' is neither a pack of this item ({}) nor a unit",
                        p.of,
                        if names.is_empty() {
                            "it has none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            };
            total = count
                .checked_mul(per)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| err(Some(i), "is out of range"))?;
        }
        Ok(total)
    }
}

/// How an exact amount becomes a stored quantity: to a multiple of `step` thousandths of the
/// base unit (1: the finest the ledger holds; 1000: whole grams, millilitres or eaches),
/// rounding half to even (ADR 002), or refusing anything that is not already a multiple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rounding {
    /// The step, thousandths of the base unit (at least 1).
    pub step: i64,
    /// Refuse instead of rounding.
    pub exact: bool,
}

impl Default for Rounding {
    fn default() -> Self {
        Self {
            step: 1,
            exact: false,
        }
    }
}

impl Rounding {
    /// `amount` (base units) as a quantity on this rounding.
    ///
    /// # Errors
    /// Out of range, or (when `exact`) not a multiple of the step.
    pub fn apply(self, amount: Ratio) -> Result<Quantity, AmountError> {
        let step = i128::from(self.step.max(1));
        let thousandths = amount
            .checked_mul(Ratio::from_int(1000))
            .ok_or_else(|| err(None, "is out of range"))?;
        let steps = Ratio::new(thousandths.num(), thousandths.den() * step)
            .ok_or_else(|| err(None, "is out of range"))?;
        if self.exact && steps.den() != 1 {
            return Err(err(
                None,
                format!(
                    "is not a whole multiple of {}",
                    Quantity::from_raw(self.step.max(1))
                ),
            ));
        }
        let raw = steps
            .round_half_even()
            .checked_mul(step)
            .and_then(|r| i64::try_from(r).ok())
            .ok_or_else(|| err(None, "is out of range"))?;
        Ok(Quantity::from_raw(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn packs() -> Vec<(String, Quantity)> {
        vec![
            ("case".to_owned(), q("24")),
            ("pack".to_owned(), q("6")),
            ("box".to_owned(), q("12")),
        ]
    }

    #[test]
    fn cases_packs_and_eaches_sum_exactly() {
        let packs = packs();
        let m = Measure {
            base: BaseUnit::Ea,
            packs: &packs,
            density: None,
        };
        let parts = parse_amount("3 cases + 4 packs + 5").unwrap_or_default();
        assert_eq!(parts.len(), 3);
        let total = m.total(&parts).unwrap_or(Ratio::ZERO);
        assert_eq!(Rounding::default().apply(total), Ok(q("101")));
        // "boxes": the plural with "es"; commas separate parts too.
        let parts = parse_amount("2 boxes, 1 pack").unwrap_or_default();
        assert_eq!(m.total(&parts).map(|t| t.num()), Ok(30));
    }

    #[test]
    fn units_convert_and_grams_of_a_liquid_need_its_density() {
        let m = Measure {
            base: BaseUnit::Ml,
            packs: &[],
            density: None,
        };
        let parts = parse_amount("1.5 l + 250ml").unwrap_or_default();
        assert_eq!(
            m.total(&parts).and_then(|t| Rounding::default().apply(t)),
            Ok(q("1750"))
        );
        let grams = parse_amount("250 g").unwrap_or_default();
        let e = m.total(&grams).err().map(|e| e.message).unwrap_or_default();
        assert!(e.contains("density"), "{e}");
        // Olive oil, 0.91 g/ml: 91 g is exactly 100 ml.
        let oil = Measure {
            density: Ratio::new(91, 100),
            ..m
        };
        let parts = parse_amount("91 g").unwrap_or_default();
        assert_eq!(
            oil.total(&parts).and_then(|t| Rounding::default().apply(t)),
            Ok(q("100"))
        );
        // Eaches never convert to a volume.
        let parts = parse_amount("2 ea").unwrap_or_default();
        assert!(oil.total(&parts).is_err());
    }

    #[test]
    fn rounding_steps_and_exactness() {
        // 1 oz is 28.349523125 g: to the thousandth, half to even.
        let m = Measure {
            base: BaseUnit::G,
            packs: &[],
            density: None,
        };
        let oz = m.total(&parse_amount("1 oz").unwrap_or_default());
        let oz = oz.unwrap_or(Ratio::ZERO);
        assert_eq!(Rounding::default().apply(oz), Ok(q("28.350")));
        let whole = Rounding {
            step: 1000,
            exact: false,
        };
        assert_eq!(whole.apply(oz), Ok(q("28")));
        let exact = Rounding {
            step: 1000,
            exact: true,
        };
        assert!(exact.apply(oz).is_err());
        assert_eq!(exact.apply(Ratio::from_int(3)), Ok(q("3")));
    }

    #[test]
    fn bad_parts_name_themselves() {
        assert_eq!(parse_amount("").err().and_then(|e| e.part), Some(0));
        assert_eq!(
            parse_amount("3 cases +").err().and_then(|e| e.part),
            Some(1)
        );
        assert_eq!(parse_amount("cases").err().and_then(|e| e.part), Some(0));
        assert!(parse_amount("1.2345 kg").is_err());
        let packs = packs();
        let m = Measure {
            base: BaseUnit::Ea,
            packs: &packs,
            density: None,
        };
        let e = m.total(&parse_amount("1 pallet").unwrap_or_default()).err();
        assert_eq!(e.as_ref().and_then(|e| e.part), Some(0));
        assert!(
            e.map(|e| e.message)
                .unwrap_or_default()
                .contains("case, pack, box")
        );
    }
}
