//! Numbers, units and money for people: the text every page shows for a quantity, a count, a
//! yield or a cost, plus the two escapes pages need outside templates (HTML text for the SVG
//! charts, URL query values for the pager links).

use larder_core::decimal::div_round_half_even;
use larder_core::tenancy::UnitSystem;
use larder_core::{BaseUnit, Money, Quantity};
use larder_store::PackSize;

/// How one tenant's numbers read for people: money with its currency's symbol and minor units,
/// quantities in the largest sensible unit of its unit system with at most three significant
/// digits and no trailing zeros (`12 ea`, `1.46 kg`, `250 g`, `3.2 lb`). Display only: the API
/// keeps the exact strings, and what a page shows is rounded half to even.
#[derive(Clone, Debug)]
pub struct Numbers {
    symbol: String,
    minor_units: u32,
    units: UnitSystem,
}

/// An exact quantity in a display unit: `num / den` of `unit`.
struct Scaled {
    num: i128,
    den: i128,
    unit: &'static str,
}

/// Grams in a US avoirdupois ounce and pound, millilitres in a US fluid ounce and gallon, as
/// exact fractions (NIST Handbook 44, Appendix C): 1 oz = 28.349523125 g, 1 lb = 453.59237 g,
/// 1 US fl oz = 29.5735295625 ml, 1 US gal = 3 785.411784 ml. Each is (numerator, denominator)
/// of the unit in thousandths of the base unit.
const OZ: (i128, i128) = (28_349_523_125, 1_000_000);
const LB: (i128, i128) = (45_359_237, 100);
const FL_OZ: (i128, i128) = (295_735_295_625, 10_000_000);
const GAL: (i128, i128) = (3_785_411_784, 1_000);

impl Numbers {
    /// Pounds sterling and metric units, for tests.
    #[cfg(test)]
    pub fn metric_gbp() -> Self {
        Self {
            symbol: "£".into(),
            minor_units: 2,
            units: UnitSystem::Metric,
        }
    }

    /// The numbers of a tenant with these settings.
    pub fn of(s: &larder_app::tenancy::Settings) -> Self {
        Self {
            symbol: s.currency_symbol.clone(),
            minor_units: s.currency_minor_units.min(6),
            units: s.units,
        }
    }

    /// `q` (thousandths of `unit`) in the display unit: kg / L from 1 000 g / ml in metric, oz
    /// and lb / fl oz and gal in US customary; `ea` as is.
    fn scale(&self, q: Quantity, unit: BaseUnit) -> Scaled {
        let raw = i128::from(q.raw());
        let at_least = |per: (i128, i128)| raw.abs() * per.1 >= per.0;
        let of = |per: (i128, i128), unit| Scaled {
            num: raw * per.1,
            den: per.0,
            unit,
        };
        match (unit, self.units) {
            (BaseUnit::Ea, _) => of((1_000, 1), "ea"),
            (BaseUnit::G, UnitSystem::Metric) if raw.abs() >= 1_000_000 => of((1_000_000, 1), "kg"),
            (BaseUnit::G, UnitSystem::Metric) => of((1_000, 1), "g"),
            (BaseUnit::Ml, UnitSystem::Metric) if raw.abs() >= 1_000_000 => of((1_000_000, 1), "L"),
            (BaseUnit::Ml, UnitSystem::Metric) => of((1_000, 1), "ml"),
            (BaseUnit::G, UnitSystem::UsCustomary) if at_least(LB) => of(LB, "lb"),
            (BaseUnit::G, UnitSystem::UsCustomary) => of(OZ, "oz"),
            (BaseUnit::Ml, UnitSystem::UsCustomary) if at_least(GAL) => of(GAL, "gal"),
            (BaseUnit::Ml, UnitSystem::UsCustomary) => of(FL_OZ, "fl oz"),
        }
    }

    /// A quantity for people (`"1.46 kg"`, `"250 g"`, `"12 ea"`, `"-120 g"`).
    pub fn quantity(&self, q: Quantity, unit: BaseUnit) -> String {
        let s = self.scale(q, unit);
        format!("{} {}", significant(s.num, s.den), s.unit)
    }

    /// As [`Numbers::quantity`], or an en dash when there is none (an unset par level).
    pub fn opt_quantity(&self, q: Option<Quantity>, unit: BaseUnit) -> String {
        q.map_or_else(|| "–".to_owned(), |q| self.quantity(q, unit))
    }

    /// An amount in the currency, to its minor unit (`"£12.95"`, `"-£0.40"`, `"¥1296"`), or an
    /// en dash when unknown.
    pub fn money(&self, m: Option<Money>) -> String {
        m.map_or_else(
            || "–".to_owned(),
            |m| self.amount(i128::from(m.raw()), 1_000_000),
        )
    }

    /// `num / den` of the currency, to its minor unit, with its symbol.
    fn amount(&self, num: i128, den: i128) -> String {
        let d = self.minor_units;
        let scaled = div_round_half_even(num * 10_i128.pow(d), den.max(1));
        let sign = if scaled < 0 { "-" } else { "" };
        format!("{sign}{}{}", self.symbol, fixed(scaled.abs(), d))
    }

    /// A cost per base unit as people price it: per kg / L (metric), per lb / gal (US), or
    /// each (`"£1.60/kg"`, `"$0.73/lb"`, `"£0.40 each"`), or an en dash when unknown.
    pub fn unit_cost(&self, cost: Option<Money>, unit: BaseUnit) -> String {
        let Some(cost) = cost else {
            return "–".into();
        };
        let c = i128::from(cost.raw());
        // Cost of one display unit = cost per base unit x base units in it (millionths).
        match (unit, self.units) {
            (BaseUnit::Ea, _) => format!("{} each", self.amount(c, 1_000_000)),
            (BaseUnit::G, UnitSystem::Metric) => {
                format!("{}/kg", self.amount(c * 1_000, 1_000_000))
            }
            (BaseUnit::Ml, UnitSystem::Metric) => {
                format!("{}/L", self.amount(c * 1_000, 1_000_000))
            }
            (BaseUnit::G, UnitSystem::UsCustomary) => {
                format!("{}/lb", self.amount(c * LB.0, LB.1 * 1_000 * 1_000_000))
            }
            (BaseUnit::Ml, UnitSystem::UsCustomary) => {
                format!("{}/gal", self.amount(c * GAL.0, GAL.1 * 1_000 * 1_000_000))
            }
        }
    }

    /// What a recipe makes: `"1 portion"`, `"2.5 portions"`, or a quantity for a prep.
    pub fn yield_text(&self, q: Quantity, unit: BaseUnit) -> String {
        match unit {
            BaseUnit::Ea if q.raw() == 1000 => "1 portion".to_owned(),
            BaseUnit::Ea => format!("{} portions", count(q)),
            _ => self.quantity(q, unit),
        }
    }

    /// Cost per portion (to the minor unit), or per kg / L (per lb / gal) for a prep: the batch
    /// cost (rounded once) over the yield (`"£1.25 per portion"`, `"£3.20/kg"`); an en dash
    /// when a cost could not be computed.
    pub fn portion_cost(
        &self,
        per_unit: Option<Money>,
        batch: Option<Money>,
        yield_quantity: Quantity,
        unit: BaseUnit,
    ) -> String {
        let (Some(per_unit), Some(batch)) = (per_unit, batch) else {
            return "–".into();
        };
        match unit {
            BaseUnit::Ea => format!("{} per portion", self.money(Some(per_unit))),
            _ => {
                // Batch cost over yield, per base unit, exact until the one rounding.
                let raw = div_round_half_even(
                    i128::from(batch.raw()) * 1_000,
                    i128::from(yield_quantity.raw()).max(1),
                );
                self.unit_cost(
                    Some(Money::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))),
                    unit,
                )
            }
        }
    }

    /// An item's pack sizes, `"sack (25 kg), bag (1 kg)"`, or an en dash when it has none.
    pub fn packs(&self, p: &[PackSize], unit: BaseUnit) -> String {
        if p.is_empty() {
            return "–".into();
        }
        p.iter()
            .map(|p| format!("{} ({})", p.name, self.quantity(p.quantity, unit)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The numbers of the caller's tenant (its settings).
///
/// # Errors
/// As [`larder_app::App::get_settings`].
pub async fn numbers_for(
    app: &larder_app::App,
    p: larder_app::Principal,
) -> Result<Numbers, larder_app::AppError> {
    Ok(Numbers::of(&app.get_settings(p).await?))
}

/// `num / den` with at most three significant digits in its fraction: three decimals below
/// 1, two below 10, one below 100, none from 100 up (the integer part is never rounded away);
/// rounded half to even, trailing zeros dropped.
pub fn significant(num: i128, den: i128) -> String {
    let den = den.max(1);
    let whole = (num / den).unsigned_abs();
    let digits = if whole == 0 { 0 } else { whole.ilog10() + 1 };
    let decimals = 3_u32.saturating_sub(digits);
    let scaled = div_round_half_even(num * 10_i128.pow(decimals), den);
    let text = fixed(scaled.abs(), decimals);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if scaled < 0 { format!("-{text}") } else { text }
}

/// A non-negative integer of `decimals`-th parts as a decimal (`fixed(1295, 2)` is `12.95`).
fn fixed(v: i128, decimals: u32) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let p = 10_i128.pow(decimals);
    format!("{}.{:0width$}", v / p, v % p, width = decimals as usize)
}

/// A count for people: `3` when whole, `1.5` otherwise (exact, trailing zeros dropped).
pub fn count(q: Quantity) -> String {
    if q.raw() % 1000 == 0 {
        (q.raw() / 1000).to_string()
    } else {
        q.to_string().trim_end_matches('0').to_owned()
    }
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
    use proptest::prelude::*;

    fn q(raw: i64) -> Quantity {
        Quantity::from_raw(raw)
    }

    fn numbers(symbol: &str, minor_units: u32, units: UnitSystem) -> Numbers {
        Numbers {
            symbol: symbol.into(),
            minor_units,
            units,
        }
    }

    fn metric() -> Numbers {
        numbers("£", 2, UnitSystem::Metric)
    }

    #[test]
    fn quantities_use_the_largest_sensible_unit_and_three_significant_digits() {
        let n = metric();
        assert_eq!(n.quantity(q(250_000), BaseUnit::G), "250 g");
        assert_eq!(n.quantity(q(999_999), BaseUnit::G), "1000 g");
        assert_eq!(n.quantity(q(1_000_000), BaseUnit::G), "1 kg");
        assert_eq!(n.quantity(q(1_460_000), BaseUnit::G), "1.46 kg");
        assert_eq!(n.quantity(q(1_456_000), BaseUnit::G), "1.46 kg");
        assert_eq!(n.quantity(q(12_345_000), BaseUnit::G), "12.3 kg");
        assert_eq!(n.quantity(q(5_000_000), BaseUnit::Ml), "5 L");
        assert_eq!(n.quantity(q(-120_000), BaseUnit::G), "-120 g");
        assert_eq!(n.quantity(q(12_000), BaseUnit::Ea), "12 ea");
        assert_eq!(n.quantity(q(1_500), BaseUnit::Ea), "1.5 ea");
        assert_eq!(n.quantity(q(125), BaseUnit::G), "0.125 g");
        assert_eq!(n.quantity(q(0), BaseUnit::G), "0 g");
        // Half to even at the last digit shown: 1.245 kg to 1.24, 1.255 kg to 1.26.
        assert_eq!(n.quantity(q(1_245_000), BaseUnit::G), "1.24 kg");
        assert_eq!(n.quantity(q(1_255_000), BaseUnit::G), "1.26 kg");
    }

    #[test]
    fn us_customary_shows_ounces_pounds_fluid_ounces_and_gallons() {
        let n = numbers("$", 2, UnitSystem::UsCustomary);
        assert_eq!(n.quantity(q(453_592), BaseUnit::G), "16 oz");
        assert_eq!(n.quantity(q(453_593), BaseUnit::G), "1 lb");
        assert_eq!(n.quantity(q(1_000_000), BaseUnit::G), "2.2 lb");
        assert_eq!(n.quantity(q(28_350), BaseUnit::G), "1 oz");
        assert_eq!(n.quantity(q(3_785_412), BaseUnit::Ml), "1 gal");
        assert_eq!(n.quantity(q(29_574), BaseUnit::Ml), "1 fl oz");
        assert_eq!(n.quantity(q(3_000), BaseUnit::Ea), "3 ea");
        // 0.0016 per g is 0.7257... per lb.
        assert_eq!(
            n.unit_cost(Some(Money::from_raw(1_600)), BaseUnit::G),
            "$0.73/lb"
        );
    }

    #[test]
    fn money_has_the_symbol_and_minor_units_of_the_currency() {
        let n = metric();
        assert_eq!(n.money(Some(Money::from_raw(12_950_000))), "£12.95");
        assert_eq!(n.money(Some(Money::from_raw(1_584_747))), "£1.58");
        assert_eq!(n.money(Some(Money::from_raw(-400_000))), "-£0.40");
        assert_eq!(n.money(None), "–");
        let yen = numbers("¥", 0, UnitSystem::Metric);
        assert_eq!(yen.money(Some(Money::from_raw(1_295_500_000))), "¥1296");
        let dinar = numbers("BD", 3, UnitSystem::Metric);
        assert_eq!(dinar.money(Some(Money::from_raw(1_234_500))), "BD1.234");
    }

    #[test]
    fn unit_costs_are_per_kilogram_litre_or_each() {
        let n = metric();
        assert_eq!(
            n.unit_cost(Some(Money::from_raw(1_600)), BaseUnit::G),
            "£1.60/kg"
        );
        assert_eq!(
            n.unit_cost(Some(Money::from_raw(2_500)), BaseUnit::Ml),
            "£2.50/L"
        );
        assert_eq!(
            n.unit_cost(Some(Money::from_raw(400_000)), BaseUnit::Ea),
            "£0.40 each"
        );
        assert_eq!(n.unit_cost(None, BaseUnit::G), "–");
    }

    #[test]
    fn yields_and_portion_costs_read_as_a_cook_writes_them() {
        let n = metric();
        let m = |raw| Some(Money::from_raw(raw));
        assert_eq!(n.yield_text(q(1_000), BaseUnit::Ea), "1 portion");
        assert_eq!(n.yield_text(q(2_500), BaseUnit::Ea), "2.5 portions");
        assert_eq!(n.yield_text(q(2_400_000), BaseUnit::G), "2.4 kg");
        assert_eq!(
            n.portion_cost(m(1_584_747), m(1_584_747), q(1_000), BaseUnit::Ea),
            "£1.58 per portion"
        );
        // 8.00 for 2.5 kg is 3.20 per kg.
        assert_eq!(
            n.portion_cost(m(3_200), m(8_000_000), q(2_500_000), BaseUnit::G),
            "£3.20/kg"
        );
        assert_eq!(n.portion_cost(None, m(1), q(1_000), BaseUnit::G), "–");
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
        assert_eq!(n.packs(&p, BaseUnit::G), "sack (25 kg), bag (500 g)");
        assert_eq!(n.packs(&[], BaseUnit::G), "–");
    }

    #[test]
    fn counts_drop_trailing_zeros() {
        assert_eq!(count(q(3_000)), "3");
        assert_eq!(count(q(1_500)), "1.5");
        assert_eq!(count(q(-1_500)), "-1.5");
        assert_eq!(count(q(0)), "0");
    }

    /// The number part of a displayed quantity, in thousandths of its display unit.
    fn parse_thousandths(text: &str) -> i128 {
        let number = text.split(' ').next().unwrap_or("0");
        Quantity::parse(number).map_or(i128::MIN, |v| i128::from(v.raw()))
    }

    proptest! {
        /// A displayed quantity has at most three significant digits in its fraction and no
        /// trailing zeros, and differs from the exact value by at most half its last digit.
        #[test]
        fn display_never_shows_more_than_its_precision(raw in -10_i64.pow(15)..10_i64.pow(15)) {
            let n = metric();
            let text = n.quantity(q(raw), BaseUnit::G);
            let number = text.split(' ').next().unwrap_or("");
            if let Some((whole, frac)) = number.trim_start_matches('-').split_once('.') {
                prop_assert!(!frac.ends_with('0'), "{text}");
                let digits = if whole == "0" { 0 } else { whole.len() };
                prop_assert!(frac.len() + digits <= 3, "{text}");
            }
            let unit_thousandths: i128 = if text.ends_with(" kg") { 1_000_000 } else { 1_000 };
            let shown = parse_thousandths(&text) * unit_thousandths / 1_000;
            let decimals = number.split_once('.').map_or(0, |(_, f)| f.len() as u32);
            let half_step = unit_thousandths / 10_i128.pow(decimals) / 2;
            prop_assert!((shown - i128::from(raw)).abs() <= half_step, "{raw} -> {text}");
        }

        /// Where the value fits the shown precision, parsing the display gives it back exactly.
        #[test]
        fn an_exact_display_parses_back_to_the_value(
            whole in 0_i64..999, tenths in 0_i64..10, kg in any::<bool>(),
        ) {
            let n = metric();
            // 0 to 99.9 kg in tenths, or 0 to 999 g in grams: both within three digits.
            let raw = if kg { (whole % 100) * 1_000_000 + tenths * 100_000 } else { whole * 1_000 };
            let text = n.quantity(q(raw), BaseUnit::G);
            let unit_thousandths: i128 = if text.ends_with(" kg") { 1_000_000 } else { 1_000 };
            prop_assert_eq!(parse_thousandths(&text) * unit_thousandths / 1_000, i128::from(raw), "{}", text);
        }
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
