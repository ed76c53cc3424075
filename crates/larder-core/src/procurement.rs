//! procurement: suppliers and, in the issues that follow, what is bought from them. This module
//! holds the rules that need no storage: the days a supplier takes orders.

use std::fmt;

use chrono::Weekday;

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
