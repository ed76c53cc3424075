//! Units of measure: the three base units items are counted in, and the kitchen units a recipe
//! may be written in, each with its exact factor to a base unit.
//!
//! Factors are exact rationals. Sources: the international avoirdupois pound is defined as
//! exactly 0.453 592 37 kg (International Yard and Pound Agreement, 1959; NIST Handbook 44,
//! Appendix C), so 1 oz = 28.349 523 125 g; US customary volumes follow NIST Handbook 44
//! Appendix C: 1 US fl oz = 29.573 529 562 5 ml, 1 US cup = 8 fl oz, 1 tbsp = 1/2 fl oz,
//! 1 tsp = 1/6 fl oz. Conversions between mass and volume need a density and are refused here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::rational::Ratio;

/// The unit an item's stock is counted in. Quantities are thousandths of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BaseUnit {
    /// Grams (mass).
    G,
    /// Millilitres (volume).
    Ml,
    /// Each (a count: eggs, cans, portions).
    Ea,
}

impl BaseUnit {
    /// The stored and wire spelling: `g`, `ml` or `ea`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::G => "g",
            Self::Ml => "ml",
            Self::Ea => "ea",
        }
    }
}

impl fmt::Display for BaseUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BaseUnit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "g" => Ok(Self::G),
            "ml" => Ok(Self::Ml),
            "ea" => Ok(Self::Ea),
            other => Err(UnitError::Unknown(other.to_owned())),
        }
    }
}

/// A unit a quantity may be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Milligram.
    Mg,
    /// Gram.
    G,
    /// Kilogram.
    Kg,
    /// Avoirdupois ounce.
    Oz,
    /// Avoirdupois pound.
    Lb,
    /// Millilitre.
    Ml,
    /// Centilitre.
    Cl,
    /// Decilitre.
    Dl,
    /// Litre.
    L,
    /// US teaspoon.
    Tsp,
    /// US tablespoon.
    Tbsp,
    /// US fluid ounce.
    FlOz,
    /// US cup.
    Cup,
    /// Each.
    Ea,
    /// Dozen (12 each).
    Dozen,
}

/// Why a unit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// Not a unit we know.
    #[error("unknown unit '{0}'")]
    Unknown(String),
    /// The unit measures something else than the base unit (mass vs volume vs count).
    #[error("'{from}' cannot be converted to '{to}'")]
    Incompatible {
        /// The unit given.
        from: &'static str,
        /// The base unit wanted.
        to: &'static str,
    },
}

impl Unit {
    /// Every unit, for listings and tests.
    pub const ALL: [Unit; 15] = [
        Unit::Mg,
        Unit::G,
        Unit::Kg,
        Unit::Oz,
        Unit::Lb,
        Unit::Ml,
        Unit::Cl,
        Unit::Dl,
        Unit::L,
        Unit::Tsp,
        Unit::Tbsp,
        Unit::FlOz,
        Unit::Cup,
        Unit::Ea,
        Unit::Dozen,
    ];

    /// The spelling used in APIs and recipe files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Mg => "mg",
            Unit::G => "g",
            Unit::Kg => "kg",
            Unit::Oz => "oz",
            Unit::Lb => "lb",
            Unit::Ml => "ml",
            Unit::Cl => "cl",
            Unit::Dl => "dl",
            Unit::L => "l",
            Unit::Tsp => "tsp",
            Unit::Tbsp => "tbsp",
            Unit::FlOz => "fl_oz",
            Unit::Cup => "cup",
            Unit::Ea => "ea",
            Unit::Dozen => "dozen",
        }
    }

    /// The base unit this unit measures in, and how many base units one of it is (exact).
    pub fn base(self) -> (BaseUnit, Ratio) {
        let r = |n: i128, d: i128| Ratio::new(n, d).unwrap_or(Ratio::ZERO);
        match self {
            Unit::Mg => (BaseUnit::G, r(1, 1000)),
            Unit::G => (BaseUnit::G, r(1, 1)),
            Unit::Kg => (BaseUnit::G, r(1000, 1)),
            Unit::Oz => (BaseUnit::G, r(28_349_523_125, 1_000_000_000)),
            Unit::Lb => (BaseUnit::G, r(45_359_237, 100_000)),
            Unit::Ml => (BaseUnit::Ml, r(1, 1)),
            Unit::Cl => (BaseUnit::Ml, r(10, 1)),
            Unit::Dl => (BaseUnit::Ml, r(100, 1)),
            Unit::L => (BaseUnit::Ml, r(1000, 1)),
            Unit::Tsp => (BaseUnit::Ml, r(295_735_295_625, 60_000_000_000)),
            Unit::Tbsp => (BaseUnit::Ml, r(295_735_295_625, 20_000_000_000)),
            Unit::FlOz => (BaseUnit::Ml, r(295_735_295_625, 10_000_000_000)),
            Unit::Cup => (BaseUnit::Ml, r(8 * 295_735_295_625, 10_000_000_000)),
            Unit::Ea => (BaseUnit::Ea, r(1, 1)),
            Unit::Dozen => (BaseUnit::Ea, r(12, 1)),
        }
    }

    /// The exact factor from this unit to `to`.
    ///
    /// # Errors
    /// [`UnitError::Incompatible`] when the unit measures another dimension.
    pub fn factor_to(self, to: BaseUnit) -> Result<Ratio, UnitError> {
        let (base, factor) = self.base();
        if base == to {
            Ok(factor)
        } else {
            Err(UnitError::Incompatible {
                from: self.as_str(),
                to: to.as_str(),
            })
        }
    }
}

impl From<BaseUnit> for Unit {
    fn from(b: BaseUnit) -> Self {
        match b {
            BaseUnit::G => Unit::G,
            BaseUnit::Ml => Unit::Ml,
            BaseUnit::Ea => Unit::Ea,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Unit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Unit::ALL
            .into_iter()
            .find(|u| u.as_str() == lower)
            .ok_or_else(|| UnitError::Unknown(s.to_owned()))
    }
}

impl utoipa::PartialSchema for Unit {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Unit::ALL.iter().map(|u| u.as_str())))
            .description(Some(
                "A unit convertible to the component's base unit (mass, volume or count)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Unit {}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exact_factors() {
        assert_eq!(Unit::Kg.factor_to(BaseUnit::G), Ok(Ratio::from_int(1000)));
        let lb = Unit::Lb.factor_to(BaseUnit::G).unwrap_or(Ratio::ZERO);
        // 1 lb in thousandths of a gram, rounded: 453 592.37 -> 453 592
        assert_eq!(
            lb.checked_mul(Ratio::from_int(1000))
                .map(Ratio::round_half_even),
            Some(453_592)
        );
        let tbsp = Unit::Tbsp.factor_to(BaseUnit::Ml).unwrap_or(Ratio::ZERO);
        let tsp = Unit::Tsp.factor_to(BaseUnit::Ml).unwrap_or(Ratio::ZERO);
        assert_eq!(tsp.checked_mul(Ratio::from_int(3)), Some(tbsp));
        assert!(Unit::Kg.factor_to(BaseUnit::Ml).is_err());
        assert_eq!("KG".parse::<Unit>(), Ok(Unit::Kg));
        assert!("pinch".parse::<Unit>().is_err());
    }

    proptest! {
        #[test]
        fn every_unit_converts_to_its_own_base_and_no_other(i in 0usize..15) {
            let u = Unit::ALL[i];
            let (base, _) = u.base();
            prop_assert!(u.factor_to(base).is_ok());
            for other in [BaseUnit::G, BaseUnit::Ml, BaseUnit::Ea] {
                if other != base { prop_assert!(u.factor_to(other).is_err()); }
            }
            prop_assert_eq!(u.as_str().parse::<Unit>(), Ok(u));
        }

        #[test]
        fn kilograms_to_grams_is_exact(kg_thousandths in -1_000_000_000i128..1_000_000_000) {
            let f = Unit::Kg.factor_to(BaseUnit::G).unwrap_or(Ratio::ZERO);
            let g = Ratio::from_int(kg_thousandths).checked_mul(f).map(Ratio::round_half_even);
            prop_assert_eq!(g, Some(kg_thousandths * 1000));
        }
    }
}
