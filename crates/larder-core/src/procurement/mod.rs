//! procurement: suppliers and what is bought from them. This module holds the rules that need
//! no storage: the days a supplier takes orders, and a supplier's pack hierarchy in the item's
//! base unit; [`purchase_orders`] holds those of purchase orders, [`reorder`] the rule of
//! reorder suggestions.

pub mod goods_receipts;
pub mod invoices;
pub mod purchase_orders;
pub mod reorder;

use std::fmt;

use chrono::Weekday;
use serde::{Deserialize, Serialize};

use crate::rational::Ratio;
use crate::{BaseUnit, Quantity, Unit};

/// One level of a supplier's pack, outermost first: an outer level counts the next one (`case`
/// of 6), the innermost gives a quantity in a unit (`bag` of 1 `kg`). A case of 6 x 1 kg bags
/// is `[{case, 6}, {bag, 1, kg}]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackLevel {
    /// What the supplier calls it (`case`, `bag`).
    pub name: String,
    /// How many of the next level (outer levels), or how much in `unit` (the innermost).
    #[schema(value_type = String)]
    pub quantity: Quantity,
    /// The innermost level's unit (convertible to the item's base unit); absent on outer levels.
    pub unit: Option<Unit>,
}

/// Why a pack hierarchy was refused: the level (index, outermost 0) and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("packs[{level}].{field}: {message}")]
pub struct PackError {
    /// The level at fault.
    pub level: usize,
    /// `quantity`, `unit` or `name`.
    pub field: &'static str,
    /// Why.
    pub message: String,
}

/// The most levels a pack hierarchy may have (pallet, case, pack, each).
pub const MAX_PACK_LEVELS: usize = 4;

/// One outermost pack in the item's base unit, exactly (thousandths): the product of the
/// levels' counts and the innermost quantity converted to `base` (units' exact factors).
///
/// # Errors
/// No level or more than [`MAX_PACK_LEVELS`]; an empty name; a quantity not positive; a unit
/// on an outer level or none on the innermost; a unit of another dimension than `base`; a
/// result that is not a whole number of thousandths of `base` (a 1 oz bag of an item kept in
/// grams is 28.349523125 g) or is beyond [`Quantity`]'s range.
pub fn pack_base_quantity(levels: &[PackLevel], base: BaseUnit) -> Result<Quantity, PackError> {
    let err = |level: usize, field: &'static str, message: String| PackError {
        level,
        field,
        message,
    };
    if levels.is_empty() || levels.len() > MAX_PACK_LEVELS {
        return Err(err(
            0,
            "name",
            format!("a pack has 1 to {MAX_PACK_LEVELS} levels"),
        ));
    }
    let last = levels.len() - 1;
    let mut total = Ratio::from_int(1);
    for (i, l) in levels.iter().enumerate() {
        if l.name.trim().is_empty() || l.name.chars().count() > 100 {
            return Err(err(i, "name", "must be 1..=100 characters".into()));
        }
        if l.quantity.raw() <= 0 {
            return Err(err(i, "quantity", "must be positive".into()));
        }
        let q = Ratio::new(i128::from(l.quantity.raw()), i128::from(Quantity::ONE_RAW))
            .ok_or_else(|| err(i, "quantity", "is out of range".into()))?;
        let factor = match (i == last, l.unit) {
            (false, None) => Ratio::from_int(1),
            (false, Some(_)) => {
                return Err(err(
                    i,
                    "unit",
                    "only the innermost level has a unit; outer levels count the next".into(),
                ));
            }
            (true, None) => {
                return Err(err(i, "unit", "the innermost level needs a unit".into()));
            }
            (true, Some(u)) => u
                .factor_to(base)
                .map_err(|e| err(i, "unit", e.to_string()))?,
        };
        total = total
            .checked_mul(q)
            .and_then(|t| t.checked_mul(factor))
            .ok_or_else(|| {
                err(
                    i,
                    "quantity",
                    "the pack is beyond the largest quantity".into(),
                )
            })?;
    }
    let thousandths = total
        .checked_mul(Ratio::from_int(i128::from(Quantity::ONE_RAW)))
        .ok_or_else(|| {
            err(
                last,
                "quantity",
                "the pack is beyond the largest quantity".into(),
            )
        })?;
    if thousandths.den() != 1 {
        return Err(err(
            last,
            "unit",
            format!(
                "the pack is not a whole number of thousandths of a {} (give it in {})",
                base.as_str(),
                base.as_str()
            ),
        ));
    }
    i64::try_from(thousandths.num())
        .ok()
        .and_then(Quantity::checked_from_raw)
        .ok_or_else(|| {
            err(
                last,
                "quantity",
                "the pack is beyond the largest quantity".into(),
            )
        })
}

/// The weekdays a supplier takes orders on (or delivers on), Monday first. Kept as a set: a
/// day listed twice is one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderDays(u8);

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl OrderDays {
    /// Days from their English names (`monday`, `Thu`; chrono's spelling, any case).
    ///
    /// # Errors
    /// The first name that is not a weekday, quoted.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut bits = 0u8;
        for n in names {
            let day: Weekday = n
                .as_ref()
                .trim()
                .parse()
                .map_err(|_| format!("'{}' is not a weekday", n.as_ref()))?;
            bits |= 1 << day.num_days_from_monday();
        }
        Ok(Self(bits))
    }

    /// Whether `day` is one of them.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// The days, Monday first, as lowercase names (`["monday", "thursday"]`).
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [&str; 7] = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        WEEK.iter()
            .zip(NAMES)
            .filter(|(d, _)| self.contains(**d))
            .map(|(_, n)| n)
            .collect()
    }
}

/// Stored and shown as the names joined by commas (`monday,thursday`; empty for none).
impl fmt::Display for OrderDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(name: &str, q: &str, unit: Option<Unit>) -> PackLevel {
        PackLevel {
            name: name.into(),
            quantity: Quantity::parse(q).unwrap(),
            unit,
        }
    }

    #[test]
    fn a_case_of_six_one_kilo_bags_is_six_thousand_grams_exactly() {
        let case = [level("case", "6", None), level("bag", "1", Some(Unit::Kg))];
        assert_eq!(
            pack_base_quantity(&case, BaseUnit::G).map(|q| q.to_string()),
            Ok("6000.000".to_string())
        );
        // 12 x 1 lb = 5443.1084 g: finer than a thousandth of a gram, refused, not rounded.
        let lbs = [level("case", "12", None), level("tub", "1", Some(Unit::Lb))];
        let e = pack_base_quantity(&lbs, BaseUnit::G).unwrap_err();
        assert_eq!((e.level, e.field), (1, "unit"));
        // 4 x 2.5 l of oil kept in ml; a dozen eggs kept each.
        assert_eq!(
            pack_base_quantity(
                &[
                    level("case", "4", None),
                    level("bottle", "2.5", Some(Unit::L))
                ],
                BaseUnit::Ml
            ),
            Ok(Quantity::parse("10000").unwrap())
        );
        assert_eq!(
            pack_base_quantity(
                &[
                    level("tray", "30", None),
                    level("dozen", "1", Some(Unit::Dozen))
                ],
                BaseUnit::Ea
            ),
            Ok(Quantity::parse("360").unwrap())
        );
    }

    #[test]
    fn a_pack_that_cannot_be_made_names_its_level() {
        let cases: [(Vec<PackLevel>, usize, &str); 5] = [
            (vec![level("bag", "1", Some(Unit::L))], 0, "unit"),
            (vec![level("case", "6", None)], 0, "unit"),
            (
                vec![
                    level("case", "6", Some(Unit::G)),
                    level("bag", "1", Some(Unit::Kg)),
                ],
                0,
                "unit",
            ),
            (
                vec![level("case", "0", None), level("bag", "1", Some(Unit::Kg))],
                0,
                "quantity",
            ),
            (vec![level(" ", "1", Some(Unit::Kg))], 0, "name"),
        ];
        for (levels, at, field) in cases {
            let e = pack_base_quantity(&levels, BaseUnit::G).unwrap_err();
            assert_eq!((e.level, e.field), (at, field), "{e}");
        }
        assert!(pack_base_quantity(&[], BaseUnit::G).is_err());
        let huge = [
            level("pallet", "999999999", None),
            level("case", "999999999", None),
            level("bag", "1", Some(Unit::Kg)),
        ];
        assert_eq!(
            pack_base_quantity(&huge, BaseUnit::G).unwrap_err().field,
            "quantity"
        );
    }

    #[test]
    fn order_days_are_a_set_in_week_order() {
        let d = OrderDays::parse(&["Thursday", "mon", "thu"]).unwrap();
        assert_eq!(d.names(), ["monday", "thursday"]);
        assert_eq!(d.to_string(), "monday,thursday");
        assert!(d.contains(Weekday::Mon) && !d.contains(Weekday::Tue));
        assert_eq!(
            OrderDays::parse(&d.to_string().split(',').collect::<Vec<_>>()),
            Ok(d)
        );
        assert_eq!(
            OrderDays::parse::<&str>(&[]).map(|d| d.to_string()),
            Ok(String::new())
        );
        assert_eq!(
            OrderDays::parse(&["someday"]),
            Err("'someday' is not a weekday".to_string())
        );
    }
}
