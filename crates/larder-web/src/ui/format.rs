//! Numbers, units and money for people: the text every page shows for a quantity, a count, a
//! yield or a cost, plus the two escapes pages need outside templates (HTML text for the SVG
//! charts, URL query values for the pager links).

use larder_core::decimal::div_round_half_even;
use larder_core::{BaseUnit, Money, Quantity};
use larder_store::PackSize;

/// A quantity for people: kilograms and litres from 1 000 g / ml up (rounded half to even to
/// the gram or millilitre), else the base unit with its three decimals (`"250.000 g"`,
/// `"5.000 kg"`, `"3.000 ea"`).
pub fn human(q: Quantity, unit: BaseUnit) -> String {
    match unit {
        BaseUnit::G | BaseUnit::Ml if q.raw().unsigned_abs() >= 1_000_000 => {
            let big = Quantity::from_raw(
                i64::try_from(div_round_half_even(i128::from(q.raw()), 1000)).unwrap_or(i64::MAX),
            );
            format!("{big} {}", if unit == BaseUnit::G { "kg" } else { "l" })
        }
        _ => format!("{q} {unit}"),
    }
}

/// As [`human`], or an en dash when there is no quantity (an unset par level).
pub fn opt_human(q: Option<Quantity>, unit: BaseUnit) -> String {
    q.map_or_else(|| "–".to_owned(), |q| human(q, unit))
}

/// An amount in the tenant's currency (`"12.95"`), or an en dash when unknown.
pub fn money(m: Option<Money>) -> String {
    m.map_or_else(|| "–".to_owned(), |m| m.to_string())
}

/// A count for people: `3` when whole, `1.5` otherwise (exact, trailing zeros dropped).
pub fn count(q: Quantity) -> String {
    if q.raw() % 1000 == 0 {
        (q.raw() / 1000).to_string()
    } else {
        q.to_string().trim_end_matches('0').to_owned()
    }
}

/// What a recipe makes: `"1 portion"`, `"2.5 portions"`, or a quantity as [`human`] writes it
/// for a prep measured in grams or millilitres.
pub fn yield_text(q: Quantity, unit: BaseUnit) -> String {
    match unit {
        BaseUnit::Ea if q.raw() == 1000 => "1 portion".to_owned(),
        BaseUnit::Ea => format!("{} portions", count(q)),
        _ => human(q, unit),
    }
}

/// Cost per portion, or per kg / l for a prep: the batch cost (rounded once) over the yield,
/// rounded half to even to the millionth (`"1.25 per portion"`, `"3.2 per kg"`).
pub fn unit_cost_text(
    per_unit: Option<Money>,
    batch: Option<Money>,
    yield_quantity: Quantity,
    unit: BaseUnit,
) -> String {
    let (Some(per_unit), Some(batch)) = (per_unit, batch) else {
        return "–".into();
    };
    let (per, scale) = match unit {
        BaseUnit::Ea => return format!("{per_unit} per portion"),
        BaseUnit::G => ("kg", 1_000_000),
        BaseUnit::Ml => ("l", 1_000_000),
    };
    let raw = div_round_half_even(
        i128::from(batch.raw()) * scale,
        i128::from(yield_quantity.raw()).max(1),
    );
    format!(
        "{} per {per}",
        Money::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))
    )
}

/// An item's pack sizes, `"sack (25.000 kg), bag (1.000 kg)"`, or an en dash when it has none.
pub fn packs(p: &[PackSize], unit: BaseUnit) -> String {
    if p.is_empty() {
        return "–".into();
    }
    p.iter()
        .map(|p| format!("{} ({})", p.name, human(p.quantity, unit)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Escapes text for HTML content and double-quoted attributes, for markup built outside a
/// template (the SVG charts).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: i64) -> Quantity {
        Quantity::from_raw(raw)
    }

    #[test]
    fn quantities_switch_to_kilograms_and_litres_at_one_thousand() {
        assert_eq!(human(q(250_000), BaseUnit::G), "250.000 g");
        assert_eq!(human(q(999_999), BaseUnit::G), "999.999 g");
        assert_eq!(human(q(1_000_000), BaseUnit::G), "1.000 kg");
        assert_eq!(human(q(5_000_000), BaseUnit::Ml), "5.000 l");
        assert_eq!(human(q(-120_000), BaseUnit::G), "-120.000 g");
        assert_eq!(human(q(-2_000_000), BaseUnit::G), "-2.000 kg");
        // Pieces never change unit.
        assert_eq!(human(q(1_500_000), BaseUnit::Ea), "1500.000 ea");
    }

    #[test]
    fn kilograms_round_half_to_even_to_the_gram() {
        // 1 500.5 g is halfway: to the even gram, 1 500.
        assert_eq!(human(q(1_500_500), BaseUnit::G), "1.500 kg");
        // 1 501.5 g: to the even gram, 1 502.
        assert_eq!(human(q(1_501_500), BaseUnit::G), "1.502 kg");
        assert_eq!(human(q(1_500_501), BaseUnit::G), "1.501 kg");
    }

    #[test]
    fn missing_values_are_a_dash() {
        assert_eq!(opt_human(None, BaseUnit::G), "–");
        assert_eq!(opt_human(Some(q(2_000)), BaseUnit::Ea), "2.000 ea");
        assert_eq!(money(None), "–");
        assert_eq!(money(Some(Money::from_raw(12_950_000))), "12.95");
        assert_eq!(packs(&[], BaseUnit::G), "–");
    }

    #[test]
    fn counts_drop_trailing_zeros() {
        assert_eq!(count(q(3_000)), "3");
        assert_eq!(count(q(1_500)), "1.5");
        assert_eq!(count(q(1_250)), "1.25");
        assert_eq!(count(q(-1_500)), "-1.5");
        assert_eq!(count(q(0)), "0");
    }

    #[test]
    fn yields_read_as_portions_or_quantities() {
        assert_eq!(yield_text(q(1_000), BaseUnit::Ea), "1 portion");
        assert_eq!(yield_text(q(4_000), BaseUnit::Ea), "4 portions");
        assert_eq!(yield_text(q(2_500), BaseUnit::Ea), "2.5 portions");
        assert_eq!(yield_text(q(2_400_000), BaseUnit::G), "2.400 kg");
        assert_eq!(yield_text(q(500_000), BaseUnit::Ml), "500.000 ml");
    }

    #[test]
    fn unit_costs_are_per_portion_or_per_kilogram_and_litre() {
        let m = |raw| Some(Money::from_raw(raw));
        assert_eq!(
            unit_cost_text(m(1_250_000), m(5_000_000), q(4_000), BaseUnit::Ea),
            "1.25 per portion"
        );
        // 8.00 for 2.5 kg is 3.20 per kg.
        assert_eq!(
            unit_cost_text(m(3_200), m(8_000_000), q(2_500_000), BaseUnit::G),
            "3.20 per kg"
        );
        // 1.00 for 3 l: 0.333333 3... rounds to the millionth.
        assert_eq!(
            unit_cost_text(m(333), m(1_000_000), q(3_000_000), BaseUnit::Ml),
            "0.333333 per l"
        );
        // A zero yield does not divide by zero.
        assert_eq!(
            unit_cost_text(m(0), m(1_000_000), q(0), BaseUnit::G),
            "1000000.00 per kg"
        );
        // A cost that could not be computed shows as a dash, never as a wrong number.
        assert_eq!(unit_cost_text(None, m(1), q(1_000), BaseUnit::G), "–");
    }

    #[test]
    fn packs_list_their_sizes() {
        let p = [
            PackSize {
                name: "sack".into(),
                quantity: q(25_000_000),
            },
            PackSize {
                name: "bag".into(),
                quantity: q(500_000),
            },
        ];
        assert_eq!(packs(&p, BaseUnit::G), "sack (25.000 kg), bag (500.000 g)");
    }

    #[test]
    fn escapes_keep_markup_and_queries_intact() {
        assert_eq!(
            urlencode("Basmati rice & co/1"),
            "Basmati%20rice%20%26%20co%2F1"
        );
        assert_eq!(urlencode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(urlencode("crème"), "cr%C3%A8me");
        assert_eq!(
            escape(r#"<b>"Fish" & chips</b>"#),
            "&lt;b&gt;&quot;Fish&quot; &amp; chips&lt;/b&gt;"
        );
    }
}
