//! The AvT page, `/avt`, phone first and without scripts: pick a location, then a period as
//! two approved counts (the default: the latest two) or as business days; the completeness
//! gate's reasons come first, and a variance that is not trustworthy is shown greyed under
//! them. Items are ranked by the variance's value: a table on a wide screen, stacked cards on
//! a phone (the same rows, restyled).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{Duration, NaiveDate};
use larder_app::AppError;
use larder_app::analytics::avt::{AvtLine, AvtQuery, AvtReport, AvtTotal, GateReason};
use larder_core::auth::Permission;
use larder_core::{LocationId, StockCountId};

use super::super::error::{PageError, render};
use super::super::format::Numbers;
use super::super::session::Session;
use crate::AppState;

/// `GET /avt`.
pub fn router() -> Router<AppState> {
    Router::new().route("/avt", get(page))
}

struct CountOption {
    id: String,
    label: String,
}

struct ReasonView {
    kind: &'static str,
    message: String,
    details: Vec<String>,
}

struct LineView {
    item: String,
    category: String,
    opening: String,
    inflows: String,
    outflows: String,
    closing: String,
    actual: String,
    theoretical: String,
    variance: String,
    variance_value: String,
    percent: String,
    loss: bool,
}

struct TotalView {
    name: String,
    items: u32,
    actual: String,
    theoretical: String,
    variance: String,
    percent: String,
    loss: bool,
}

struct ReportView {
    trustworthy: bool,
    period: String,
    reasons: Vec<ReasonView>,
    lines: Vec<LineView>,
    categories: Vec<TotalView>,
    total: TotalView,
}

#[derive(Template)]
#[template(path = "analytics/avt.html")]
struct AvtPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    locations: Vec<(LocationId, String)>,
    location_id: String,
    counts: Vec<CountOption>,
    from_count: String,
    to_count: String,
    from_day: String,
    to_day: String,
    report: Option<ReportView>,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    location_id: Option<String>,
    from_count: Option<String>,
    to_count: Option<String>,
    from_day: Option<String>,
    to_day: Option<String>,
}

fn filled(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn kind_name(r: &GateReason) -> &'static str {
    use larder_app::analytics::avt::GateKind as K;
    match r.kind {
        K::UnmappedSales => "unmapped_sales",
        K::OrdersNotReceived => "orders_not_received",
        K::CountsNotApproved => "counts_not_approved",
        K::DaysWithoutSales => "days_without_sales",
        K::NotBoundedByCounts => "not_bounded_by_counts",
        K::CycleCountBound => "cycle_count_bound",
    }
}

fn reason_view(r: GateReason, n: &Numbers) -> ReasonView {
    let mut details: Vec<String> = Vec::new();
    details.extend(r.names.iter().map(|u| {
        format!(
            "“{}”: {} line(s), {} sold",
            u.name,
            u.lines,
            super::super::format::count(u.quantity)
        )
    }));
    details.extend(r.orders.iter().map(|o| {
        format!(
            "PO {} ({}, expected {})",
            o.number,
            o.status.replace('_', " "),
            o.expected_delivery
        )
    }));
    details.extend(r.count_ids.iter().map(|c| format!("Count {c}")));
    if !r.dates.is_empty() {
        details.push(
            r.dates
                .iter()
                .map(|d| d.format("%a %-d %b").to_string())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let _ = n;
    ReasonView {
        kind: kind_name(&r),
        message: r.message,
        details,
    }
}

fn line_view(l: AvtLine, n: &Numbers) -> LineView {
    let u = l.base_unit;
    let add = |a: larder_core::Quantity, b: larder_core::Quantity| {
        larder_core::Quantity::from_raw(a.raw().saturating_add(b.raw()))
    };
    let inflows = add(
        add(l.receipts.quantity, l.transfers_in.quantity),
        l.production_output.quantity,
    );
    let outflows = add(l.transfers_out.quantity, l.waste.quantity);
    LineView {
        item: l.name,
        category: l.category.unwrap_or_else(|| "Uncategorised".into()),
        opening: n.quantity(l.opening.quantity, u),
        inflows: n.quantity(inflows, u),
        outflows: n.quantity(outflows, u),
        closing: n.quantity(l.closing.quantity, u),
        actual: n.quantity(l.actual_usage.quantity, u),
        theoretical: n.quantity(l.theoretical_usage.quantity, u),
        variance: n.quantity(l.variance.quantity, u),
        variance_value: n.money(Some(l.variance.value)),
        percent: l
            .variance_percent
            .map_or_else(|| "–".into(), |p| format!("{p} %")),
        loss: l.variance.value.raw() > 0,
    }
}

fn total_view(t: AvtTotal, n: &Numbers, name: Option<&str>) -> TotalView {
    TotalView {
        name: name
            .map(str::to_owned)
            .or(t.category)
            .unwrap_or_else(|| "Uncategorised".into()),
        items: t.items,
        actual: n.money(Some(t.actual_usage)),
        theoretical: n.money(Some(t.theoretical_usage)),
        variance: n.money(Some(t.variance)),
        percent: t
            .variance_percent
            .map_or_else(|| "–".into(), |p| format!("{p} %")),
        loss: t.variance.raw() > 0,
    }
}

fn report_view(r: AvtReport, n: &Numbers, period: String) -> ReportView {
    ReportView {
        trustworthy: r.trustworthy,
        period,
        reasons: r.reasons.into_iter().map(|x| reason_view(x, n)).collect(),
        lines: r.lines.into_iter().map(|l| line_view(l, n)).collect(),
        categories: r
            .categories
            .into_iter()
            .map(|c| total_view(c, n, None))
            .collect(),
        total: total_view(r.total, n, Some("All items")),
    }
}

fn day(field: &str, s: &str) -> Result<NaiveDate, AppError> {
    s.parse::<NaiveDate>()
        .map_err(|_| AppError::invalid(field, format!("'{s}' is not a date (YYYY-MM-DD)")))
}

fn count_id(field: &str, s: &str) -> Result<StockCountId, AppError> {
    s.parse::<StockCountId>()
        .map_err(|_| AppError::invalid(field, "choose a count"))
}

/// The report for the chosen location and period; a refused period shows the picker again
/// with the reason.
async fn page(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    p.require(Permission::ReportsRead)?;
    let me = s.app.me(p).await?;
    let settings = s.app.get_settings(p).await?;
    let n = Numbers::of(&settings);
    let locations: Vec<(LocationId, String)> = s
        .app
        .list_locations(p, Some(500), None)
        .await?
        .data
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    let chosen = match filled(&q.location_id) {
        Some(l) => Some(
            l.parse::<LocationId>()
                .map_err(|_| AppError::NotFound("location"))?,
        ),
        None if locations.len() == 1 => locations.first().map(|(id, _)| *id),
        None => None,
    };
    let mut out = AvtPage {
        nav: "avt",
        tenant_name: me.tenant_name,
        error: None,
        location_id: chosen.map(|l| l.to_string()).unwrap_or_default(),
        locations,
        counts: Vec::new(),
        from_count: filled(&q.from_count).unwrap_or_default().to_owned(),
        to_count: filled(&q.to_count).unwrap_or_default().to_owned(),
        from_day: filled(&q.from_day).unwrap_or_default().to_owned(),
        to_day: filled(&q.to_day).unwrap_or_default().to_owned(),
        report: None,
    };
    let Some(location_id) = chosen else {
        return render(&out);
    };
    let counts = s.app.avt_counts(p, location_id).await?;
    let cal = s.app.calendar(p.tenant_id).await?;
    let stamp = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&cal.tz)
            .format("%a %-d %b %Y %H:%M")
            .to_string()
    };
    out.counts = counts
        .iter()
        .map(|c| CountOption {
            id: c.id.to_string(),
            label: format!("{} count approved {}", c.scope, stamp(c.approved_at)),
        })
        .collect();
    let by_days = !out.from_day.is_empty() || !out.to_day.is_empty();
    if !by_days && out.from_count.is_empty() && out.to_count.is_empty() {
        // The latest two approved counts, when there are two.
        if let [close, open, ..] = counts.as_slice() {
            out.from_count = open.id.to_string();
            out.to_count = close.id.to_string();
        }
    }
    let query = (|| -> Result<Option<AvtQuery>, AppError> {
        let mut query = AvtQuery {
            location_id,
            ..Default::default()
        };
        if by_days {
            let from = day("from_day", &out.from_day)?;
            let to = day("to_day", &out.to_day)?;
            query.from = Some(cal.day_start(from));
            query.to = Some(cal.day_start(to + Duration::days(1)));
        } else if !out.from_count.is_empty() || !out.to_count.is_empty() {
            query.from_count = Some(count_id("from_count", &out.from_count)?);
            query.to_count = Some(count_id("to_count", &out.to_count)?);
        } else {
            return Ok(None);
        }
        Ok(Some(query))
    })();
    let result = match query {
        Ok(Some(query)) => s.app.avt_report(p, query).await.map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(r)) => {
            let period = format!("{} to {}", stamp(r.from), stamp(r.to));
            out.report = Some(report_view(r, &n, period));
        }
        Ok(None) => {}
        Err(AppError::Validation { field, message }) => {
            out.error = Some(format!("{}: {message}", field.replace('_', " ")));
        }
        Err(e) => return Err(e.into()),
    }
    render(&out)
}
