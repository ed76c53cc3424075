//! Charts drawn on the server as inline SVG (no script, no image requests): the sparkline of
//! one ingredient's weekly usage.

use larder_app::analytics::UsageSeries;
use larder_core::Quantity;

use super::format::{Numbers, escape};

/// One ingredient's weekly usage as an inline SVG line chart, 300 x 104 user units scaled to
/// the card's width: one point per week, a y-axis from zero to the peak week (labelled with the
/// quantity and its unit), the first and last weeks labelled. When `partial_last` the last week
/// holds fewer days than a week (the period runs past the data): its segment is dashed and its
/// label says so, so a dip there does not read as a drop in usage. Each week has a dot and,
/// on hover, its date and value (an SVG `<title>`: no script). Integer pixel arithmetic;
/// negative weeks sit on the axis.
pub fn sparkline(s: &UsageSeries, numbers: &Numbers, partial_last: bool) -> String {
    const W: i128 = 300;
    const H: i128 = 104;
    const PAD: i128 = 6;
    const LEFT: i128 = 60;
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
            let x = LEFT + i128::try_from(i).unwrap_or(0) * (W - LEFT - PAD) / n;
            let y = H - AXIS - i128::from(q.raw()).max(0) * (H - AXIS - 2 * PAD) / max;
            format!("{x},{y}")
        })
        .collect();
    // Hover values: each week a dot and an invisible column with its value as a tooltip.
    let step = (W - LEFT - PAD) / n;
    let last_week = s.weeks.len().saturating_sub(1);
    let hover: String = s
        .weeks
        .iter()
        .zip(&points)
        .enumerate()
        .map(|(i, ((d, q), pt))| {
            let x: i128 = pt.split(',').next().and_then(|v| v.parse().ok()).unwrap_or(LEFT);
            let y = pt.rsplit(',').next().unwrap_or("0");
            let note = if partial_last && i == last_week {
                " (partial week)"
            } else {
                ""
            };
            format!(
                "<g class=\"pt\"><title>week of {}: {}{note}</title><rect x=\"{}\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"transparent\"/><circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\" fill=\"#0b6e4f\"/></g>",
                d.format("%-d %b %Y"),
                numbers.quantity(*q, s.base_unit),
                x - step / 2,
                step.max(1),
                H - AXIS,
            )
        })
        .collect();
    let dashed = partial_last && points.len() >= 2;
    let (solid, tail) = if dashed {
        (&points[..points.len() - 1], &points[points.len() - 2..])
    } else {
        (&points[..], &points[..0])
    };
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
    // Short labels under the axis (`1 Jul 2019`): the full dates are in the label read aloud.
    let short = |d: Option<&(chrono::NaiveDate, Quantity)>| {
        d.map(|(d, _)| d.format("%-d %b %Y").to_string())
            .unwrap_or_default()
    };
    let (first_short, last_short) = (short(s.weeks.first()), short(s.weeks.last()));
    let peak = numbers.quantity(
        Quantity::from_raw(i64::try_from(max).unwrap_or(i64::MAX)),
        s.base_unit,
    );
    let zero = numbers.quantity(Quantity::ZERO, s.base_unit);
    let partial = if dashed { " (partial)" } else { "" };
    let tail_line = if dashed {
        format!(
            "<polyline fill=\"none\" stroke=\"#0b6e4f\" stroke-width=\"2\" stroke-dasharray=\"4 3\" points=\"{}\"/>",
            tail.join(" ")
        )
    } else {
        String::new()
    };
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{name}: weekly usage from {first} to {last}{partial}, peak {peak}\">\
<title>{name}: weekly theoretical usage, peak {peak} per week</title>\
<line x1=\"{LEFT}\" y1=\"{PAD}\" x2=\"{LEFT}\" y2=\"{base}\" stroke=\"#d9dee5\"/>\
<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\" stroke=\"#d9dee5\"/>\
<text x=\"{tick_x}\" y=\"{peak_y}\" font-size=\"10\" fill=\"#5b6878\" text-anchor=\"end\">{peak}</text>\
<text x=\"{tick_x}\" y=\"{base}\" font-size=\"10\" fill=\"#5b6878\" text-anchor=\"end\">{zero}</text>\
<polyline fill=\"none\" stroke=\"#0b6e4f\" stroke-width=\"2\" points=\"{pts}\"/>{tail_line}{hover}\
<text x=\"{LEFT}\" y=\"{label_y}\" font-size=\"10\" fill=\"#5b6878\">{first_short}</text>\
<text x=\"{right}\" y=\"{label_y}\" font-size=\"10\" fill=\"#5b6878\" text-anchor=\"end\">{last_short}{partial}</text></svg>",
        name = escape(&s.name),
        base = H - AXIS,
        peak_y = PAD + 8,
        tick_x = LEFT - 4,
        label_y = H - 2,
        right = W - PAD,
        pts = solid.join(" "),
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
            false,
        );
        // x from 60 (right of the y-axis labels) to 294 in two steps; y 90 is the axis, 12
        // the top (78 units above), 51 half.
        assert!(svg.contains("points=\"60,90 177,12 294,51\""), "{svg}");
        assert!(svg.contains("peak 2 kg"), "{svg}");
        // The y-axis says its scale: the peak at the top, zero at the axis, with the unit.
        assert!(
            svg.contains(">2 kg</text>") && svg.contains(">0 g</text>"),
            "{svg}"
        );
        assert!(
            svg.contains(">1 Jul 2019<") && svg.contains(">15 Jul 2019<"),
            "{svg}"
        );
        assert!(
            svg.contains("weekly usage from 2019-07-01 to 2019-07-15,"),
            "{svg}"
        );
        assert!(
            !svg.contains("partial") && !svg.contains("dasharray"),
            "{svg}"
        );
    }

    #[test]
    fn a_partial_last_week_is_dashed_and_labelled() {
        let svg = sparkline(
            &series("Basmati rice", &[0, 2_000_000, 1_000_000]),
            &Numbers::metric_gbp(),
            true,
        );
        assert!(
            svg.contains("stroke-width=\"2\" points=\"60,90 177,12\""),
            "{svg}"
        );
        assert!(
            svg.contains("stroke-dasharray=\"4 3\" points=\"177,12 294,51\""),
            "{svg}"
        );
        assert!(svg.contains(">15 Jul 2019 (partial)<"), "{svg}");
    }

    #[test]
    fn each_week_shows_its_value_on_hover() {
        let svg = sparkline(
            &series("Basmati rice", &[0, 2_000_000, 1_500_000]),
            &Numbers::metric_gbp(),
            true,
        );
        assert!(
            svg.contains("<title>week of 1 Jul 2019: 0 g</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>week of 8 Jul 2019: 2 kg</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>week of 15 Jul 2019: 1.5 kg (partial week)</title>"),
            "{svg}"
        );
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn a_single_empty_week_draws_without_dividing_by_zero() {
        let svg = sparkline(&series("Okra", &[0]), &Numbers::metric_gbp(), true);
        assert!(svg.contains("points=\"60,90\""), "{svg}");
    }

    #[test]
    fn item_names_are_escaped() {
        let svg = sparkline(
            &series("<script>\"x\" & y", &[1_000]),
            &Numbers::metric_gbp(),
            false,
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;&quot;x&quot; &amp; y"), "{svg}");
    }
}
