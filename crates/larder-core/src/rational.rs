//! Exact fractions for recipe explosion: scaling a bill of materials by `line / yield` at every
//! level of sub-recipes stays exact until the one final rounding.

use std::cmp::Ordering;

use crate::decimal::div_round_half_even;

/// An exact fraction `num / den` with `den > 0`, kept in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Ratio {
    /// Zero.
    pub const ZERO: Self = Self { num: 0, den: 1 };

    /// `num / den` in lowest terms; `None` when `den` is zero.
    pub fn new(num: i128, den: i128) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        let g = gcd(num, den).max(1);
        Some(Self {
            num: num / g,
            den: den / g,
        })
    }

    /// The whole number `n`.
    pub const fn from_int(n: i128) -> Self {
        Self { num: n, den: 1 }
    }

    /// Numerator (lowest terms).
    pub const fn num(self) -> i128 {
        self.num
    }

    /// Denominator (lowest terms, positive).
    pub const fn den(self) -> i128 {
        self.den
    }

    /// Exact sum; `None` on overflow.
    pub fn checked_add(self, o: Self) -> Option<Self> {
        let g = gcd(self.den, o.den).max(1);
        let den = (self.den / g).checked_mul(o.den)?;
        let num = self
            .num
            .checked_mul(o.den / g)?
            .checked_add(o.num.checked_mul(self.den / g)?)?;
        Self::new(num, den)
    }

    /// Exact product; `None` on overflow.
    pub fn checked_mul(self, o: Self) -> Option<Self> {
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        let num = (self.num / g1).checked_mul(o.num / g2)?;
        let den = (self.den / g2).checked_mul(o.den / g1)?;
        Self::new(num, den)
    }

    /// Rounded half to even to the nearest integer.
    pub fn round_half_even(self) -> i128 {
        div_round_half_even(self.num, self.den)
    }

    /// Sign of the fraction.
    pub fn signum(self) -> Ordering {
        self.num.cmp(&0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sum_of_thirds_is_exact(n in 1i128..1000) {
            let third = Ratio::new(n, 3).unwrap_or(Ratio::ZERO);
            let s = third.checked_add(third).and_then(|s| s.checked_add(third));
            prop_assert_eq!(s, Some(Ratio::from_int(n)));
        }

        #[test]
        fn mul_then_div_round_trips(a in -100_000i128..100_000, b in 1i128..100_000) {
            let r = Ratio::new(a, b).and_then(|r| r.checked_mul(Ratio::from_int(b)));
            prop_assert_eq!(r, Some(Ratio::from_int(a)));
        }
    }
}
