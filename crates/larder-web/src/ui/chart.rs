//! Charts drawn on the server as inline SVG (no script, no image requests): the sparkline of
//! one ingredient's weekly usage.

use larder_app::analytics::UsageSeries;
use larder_core::Quantity;

use super::format::{Numbers, escape};

/// One ingredient's weekly usage as an inline SVG line chart, 300 x 104 user units scaled to
/// the card's width: one point per week, the peak week at the top, zero on the axis, the first
/// and last weeks labelled. Integer pixel arithmetic; negative weeks sit on the axis.
pub fn sparkline(s: &UsageSeries, numbers: &Numbers) -> String {
    const W: i128 = 300;
    const H: i128 = 104;
    const PAD: i128 = 6;
    const AXIS: i128 = 14;
    let max = s
        .weeks
        .iter()
        .map(|(_, q)| i128::from(q.raw()))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = i128::try_from(s.weeks.len()).unwrap_or(1).max(2) - 1;
    let points: Vec<String> = s
        .weeks
        .iter()
        .enumerate()
        .map(|(i, (_, q))| {
            let x = PAD + i128::try_from(i).unwrap_or(0) * (W - 2 * PAD) / n;
            let y = H - AXIS - i128::from(q.raw()).max(0) * (H - AXIS - 2 * PAD) / max;
            format!("{x},{y}")
        })
        .collect();
    let first = s
        .weeks
        .first()
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let last = s
        .weeks
        .last()
        .map(|(d, _)| d.to_string())
        .unwrap_or_default();
    let peak = numbers.quantity(
        Quantity::from_raw(i64::try_from(max).unwrap_or(i64::MAX)),
        s.base_unit,
    );
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{name}: weekly usage from {first} to {last}, peak {peak}\">\
<title>{name}: weekly theoretical usage, peak {peak} per week</title>\
<line x1=\"{PAD}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#d9dee5\"/>\
<polyline fill=\"none\" stroke=\"#0b6e4f\" stroke-width=\"2\" points=\"{pts}\"/>\
<text x=\"{PAD}\" y=\"{label_y}\" font-size=\"10\" fill=\"#5b6878\">week of {first}</text>\
<text x=\"{right}\" y=\"{label_y}\" font-size=\"10\" fill=\"#5b6878\" text-anchor=\"end\">week of {last}</text></svg>",
        name = escape(&s.name),
        base = H - AXIS,
        label_y = H - 2,
        right = W - PAD,
        pts = points.join(" "),
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use larder_core::{BaseUnit, ItemId};

    use super::*;

    fn series(name: &str, raws: &[i64]) -> UsageSeries {
        let monday = NaiveDate::from_ymd_opt(2019, 7, 1).unwrap();
        let weeks: Vec<_> = raws
            .iter()
            .zip(0..)
            .map(|(r, i)| (monday + chrono::Duration::weeks(i), Quantity::from_raw(*r)))
            .collect();
        UsageSeries {
            item_id: ItemId::new(),
            name: name.to_owned(),
            base_unit: BaseUnit::G,
            total: Quantity::from_raw(raws.iter().sum()),
            weeks,
        }
    }

    #[test]
    fn the_peak_week_touches_the_top_and_zero_weeks_the_axis() {
        let svg = sparkline(
            &series("Basmati rice", &[0, 2_000_000, 1_000_000]),
            &Numbers::metric_gbp(),
        );
        // x from 6 to 294 in two steps; y 90 is the axis, 12 the top (78 units above), 51 half.
        assert!(svg.contains("points=\"6,90 150,12 294,51\""), "{svg}");
        assert!(svg.contains("peak 2 kg"), "{svg}");
        assert!(svg.contains("week of 2019-07-01") && svg.contains("week of 2019-07-15"));
    }

    #[test]
    fn a_single_empty_week_draws_without_dividing_by_zero() {
        let svg = sparkline(&series("Okra", &[0]), &Numbers::metric_gbp());
        assert!(svg.contains("points=\"6,90\""), "{svg}");
    }

    #[test]
    fn item_names_are_escaped() {
        let svg = sparkline(
            &series("<script>\"x\" & y", &[1_000]),
            &Numbers::metric_gbp(),
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;&quot;x&quot; &amp; y"), "{svg}");
    }
}
