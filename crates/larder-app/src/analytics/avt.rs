//! analytics: actual vs theoretical (AvT) variance per item and category for one location and
//! period, and the completeness gate that says whether the variance can be trusted (ADR 024).
//!
//! For each item: actual usage is opening + receipts + transfers in + production output,
//! less transfers out, waste and closing; theoretical usage is sales depletion + production
//! use; the variance is actual less theoretical, which the ledger makes equal to minus the
//! period's adjustments and count adjustments, in quantity and in money (stored movement
//! values).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::decimal::div_round_half_even;
use larder_core::inventory::MovementKind;
use larder_core::procurement::purchase_orders::po_number;
use larder_core::{BaseUnit, ItemId, LocationId, Money, Quantity, StockCountId};
use larder_store::{
    AvtBucket, AvtCountRow, AvtDirection, AvtLevelRow, AvtSumRow, Mode, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use super::{Calendar, day_date};
use crate::{App, AppError, Principal};

/// The longest AvT period, as for every report: 366 days.
pub const MAX_AVT_DAYS: i64 = super::MAX_REPORT_DAYS;
/// At most this many unmapped names, orders and counts are named per reason.
pub const MAX_REASON_ROWS: u32 = 50;
/// At most this many approved counts are offered for picking a period.
pub const MAX_COUNTS_LISTED: u32 = 100;

/// What the AvT report asks for: a location and a period, given either as two instants or as
/// two approved counts of that location.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AvtQuery {
    /// The location (one of a limited member's).
    pub location_id: LocationId,
    /// Start of the period, inclusive (with `to`; not with the counts).
    pub from: Option<DateTime<Utc>>,
    /// End of the period, exclusive: after `from`, at most 366 days after it.
    pub to: Option<DateTime<Utc>>,
    /// The approved count that opens the period (with `to_count`): the period starts at its
    /// approval.
    pub from_count: Option<StockCountId>,
    /// The approved count that closes the period: it ends at its approval, which comes after
    /// `from_count`'s.
    pub to_count: Option<StockCountId>,
}

/// A quantity with its value: thousandths of the item's base unit, millionths of the currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Flow {
    /// Quantity, in the item's base unit.
    pub quantity: Quantity,
    /// Value at the movements' stored values (ADR 014).
    pub value: Money,
}

/// One item's AvT for the period. Inflows and outflows are positive amounts; `adjustments`
/// and `variance` are signed. A positive variance is a loss: more was used than the recipes
/// account for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AvtLine {
    /// Item.
    pub item_id: ItemId,
    /// Name.
    pub name: String,
    /// Category, if any.
    pub category: Option<String>,
    /// Base unit of its quantities.
    pub base_unit: BaseUnit,
    /// Book stock at the period's start (after an approved count: what was counted, plus
    /// what happened between counting and approval).
    pub opening: Flow,
    /// Receipts (and `opening` movements: stock brought onto the books) in the period.
    pub receipts: Flow,
    /// Transfers received.
    pub transfers_in: Flow,
    /// What production batches made.
    pub production_output: Flow,
    /// Transfers sent.
    pub transfers_out: Flow,
    /// Waste.
    pub waste: Flow,
    /// Book stock at the period's end (after an approved count: its counted stock).
    pub closing: Flow,
    /// opening + receipts + transfers in + production output - transfers out - waste - closing.
    pub actual_usage: Flow,
    /// Depleted by sales (recipes x what was sold), at the cost it was depleted at.
    pub sales: Flow,
    /// Consumed by production batches (recipes x what was made).
    pub production_use: Flow,
    /// sales + production use.
    pub theoretical_usage: Flow,
    /// Adjustments and count adjustments of the period, signed as posted.
    pub adjustments: Flow,
    /// actual - theoretical usage (equal to minus `adjustments`).
    pub variance: Flow,
    /// Variance over theoretical usage by quantity, percent with one decimal (half to even);
    /// `null` without positive theoretical usage.
    pub variance_percent: Option<String>,
    /// The same by value.
    pub variance_value_percent: Option<String>,
}

/// Money totals of a category or of the whole location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AvtTotal {
    /// The category (`null`: items without one; for the location total always `null`).
    pub category: Option<String>,
    /// Items in it.
    pub items: u32,
    /// Actual usage's value.
    pub actual_usage: Money,
    /// Theoretical usage's value.
    pub theoretical_usage: Money,
    /// Variance's value (positive: loss).
    pub variance: Money,
    /// Variance over theoretical usage by value, percent with one decimal; `null` without
    /// positive theoretical usage.
    pub variance_percent: Option<String>,
}

/// Which piece the completeness gate found missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    /// Sales in the period name no menu item, so they depleted nothing.
    UnmappedSales,
    /// Purchase orders expected in the period are not (fully) received.
    OrdersNotReceived,
    /// A count started before the period's end is still open.
    CountsNotApproved,
    /// Whole business days of the period have no sales at the location.
    DaysWithoutSales,
    /// The period is given as instants that are not both approvals of counts.
    NotBoundedByCounts,
    /// A bounding count is a cycle count: items it did not count start or end at book stock.
    CycleCountBound,
}

/// A name sold with no menu item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnmappedName {
    /// The name as the POS sent it.
    pub name: String,
    /// Sale lines.
    pub lines: i64,
    /// Quantity sold.
    pub quantity: Quantity,
}

/// A purchase order still to come.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrderDue {
    /// Its number as people read it (`PO-000042`).
    pub number: String,
    /// Its status.
    pub status: String,
    /// The day it was expected.
    pub expected_delivery: String,
}

/// One reason the variance is not trustworthy, with what it names (only its own list is
/// filled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GateReason {
    /// Which piece is missing.
    pub kind: GateKind,
    /// In words.
    pub message: String,
    /// `unmapped_sales`: the names (most lines first, 50 at most).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<UnmappedName>,
    /// `orders_not_received`: the orders (by number, 50 at most).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<OrderDue>,
    /// `counts_not_approved` and `cycle_count_bound`: the counts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub count_ids: Vec<StockCountId>,
    /// `days_without_sales`: the business days.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<NaiveDate>,
}

impl GateReason {
    fn new(kind: GateKind, message: String) -> Self {
        Self {
            kind,
            message,
            names: Vec::new(),
            orders: Vec::new(),
            count_ids: Vec::new(),
            dates: Vec::new(),
        }
    }
}

/// The AvT report of one location and period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AvtReport {
    /// The location.
    pub location_id: LocationId,
    /// Its name.
    pub location_name: String,
    /// The period's start (inclusive): movements that occurred at or after it.
    pub from: DateTime<Utc>,
    /// The period's end (exclusive).
    pub to: DateTime<Utc>,
    /// The count that opened the period, when given by counts.
    pub from_count: Option<StockCountId>,
    /// The count that closed it.
    pub to_count: Option<StockCountId>,
    /// Whether the completeness gate passed: no reasons.
    pub trustworthy: bool,
    /// What is missing, each named; empty when trustworthy.
    pub reasons: Vec<GateReason>,
    /// Items, largest variance by value (absolute) first, losses before gains of the same
    /// size, then by name.
    pub lines: Vec<AvtLine>,
    /// Categories, ranked as the lines.
    pub categories: Vec<AvtTotal>,
    /// The whole location.
    pub total: AvtTotal,
}

/// An approved count, for choosing a period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApprovedCount {
    /// Id.
    pub id: StockCountId,
    /// `full` or `cycle`.
    pub scope: String,
    /// When counting started.
    pub started_at: DateTime<Utc>,
    /// When it was approved: a period bound.
    pub approved_at: DateTime<Utc>,
}

fn clamp_quantity(raw: i128) -> Quantity {
    let max = i128::from(Quantity::MAX_RAW);
    Quantity::from_raw(i64::try_from(raw.clamp(-max, max)).unwrap_or(0))
}

fn clamp_money(raw: i128) -> Money {
    let max = i128::from(Money::MAX_RAW);
    Money::from_raw(i64::try_from(raw.clamp(-max, max)).unwrap_or(0))
}

/// `part / whole` in percent with one decimal, half to even; `None` unless `whole > 0`.
pub fn percent(part: i128, whole: i128) -> Option<String> {
    if whole <= 0 {
        return None;
    }
    let tenths = div_round_half_even(part * 1000, whole);
    let sign = if tenths < 0 { "-" } else { "" };
    let t = tenths.abs();
    Some(format!("{sign}{}.{}", t / 10, t % 10))
}

/// Exact sums of one item's buckets, in 128 bits.
#[derive(Clone, Copy, Debug, Default)]
struct Sum {
    q: i128,
    v: i128,
}

impl Sum {
    fn add(&mut self, q: Quantity, v: Money) {
        self.q += i128::from(q.raw());
        self.v += i128::from(v.raw());
    }
    fn flow(self) -> Flow {
        Flow {
            quantity: clamp_quantity(self.q),
            value: clamp_money(self.v),
        }
    }
    fn neg(self) -> Sum {
        Sum {
            q: -self.q,
            v: -self.v,
        }
    }
    fn is_zero(self) -> bool {
        self.q == 0 && self.v == 0
    }
}

impl std::ops::Add for Sum {
    type Output = Sum;
    fn add(self, o: Sum) -> Sum {
        Sum {
            q: self.q + o.q,
            v: self.v + o.v,
        }
    }
}

impl std::ops::Sub for Sum {
    type Output = Sum;
    fn sub(self, o: Sum) -> Sum {
        Sum {
            q: self.q - o.q,
            v: self.v - o.v,
        }
    }
}

/// One item's signed sums: the book at the period's start and end and each kind's movements in
/// the period.
#[derive(Clone, Debug, Default)]
struct ItemSums {
    name: String,
    category: Option<String>,
    base_unit: Option<BaseUnit>,
    opening: Sum,
    closing: Sum,
    kinds: HashMap<MovementKind, Sum>,
}

impl ItemSums {
    fn kind(&self, k: MovementKind) -> Sum {
        self.kinds.get(&k).copied().unwrap_or_default()
    }
}

/// Folds the rows of [`AvtTx::avt_movement_sums`] (and, reading backwards, the levels now)
/// into each item's opening and closing book and its period's kinds. Forward: opening =
/// before, closing = before + period. Backward: closing = level - after, opening = closing -
/// period.
fn fold_sums(
    rows: Vec<AvtSumRow>,
    levels: Vec<AvtLevelRow>,
    direction: AvtDirection,
) -> HashMap<ItemId, ItemSums> {
    let mut items: HashMap<ItemId, ItemSums> = HashMap::new();
    let mut period: HashMap<ItemId, Sum> = HashMap::new();
    let mut level_or_before: HashMap<ItemId, Sum> = HashMap::new();
    let mut after: HashMap<ItemId, Sum> = HashMap::new();
    for l in levels {
        let e = items.entry(l.item_id).or_default();
        e.name = l.name;
        e.category = l.category;
        e.base_unit = Some(l.base_unit);
        level_or_before
            .entry(l.item_id)
            .or_default()
            .add(l.on_hand, l.value);
    }
    for r in rows {
        let e = items.entry(r.item_id).or_default();
        e.name = r.name;
        e.category = r.category;
        e.base_unit = Some(r.base_unit);
        match r.bucket {
            AvtBucket::Before => level_or_before
                .entry(r.item_id)
                .or_default()
                .add(r.quantity, r.value),
            AvtBucket::After => after.entry(r.item_id).or_default().add(r.quantity, r.value),
            AvtBucket::In(kind) => {
                e.kinds.entry(kind).or_default().add(r.quantity, r.value);
                period
                    .entry(r.item_id)
                    .or_default()
                    .add(r.quantity, r.value);
            }
        }
    }
    for (id, e) in &mut items {
        let base = level_or_before.get(id).copied().unwrap_or_default();
        let moved = period.get(id).copied().unwrap_or_default();
        match direction {
            AvtDirection::Forward => {
                e.opening = base;
                e.closing = base + moved;
            }
            AvtDirection::Backward => {
                e.closing = base - after.get(id).copied().unwrap_or_default();
                e.opening = e.closing - moved;
            }
        }
    }
    items
}

/// The AvT lines of folded sums: every item with a figure that is not zero.
fn lines(items: HashMap<ItemId, ItemSums>) -> Vec<AvtLine> {
    use MovementKind as K;
    let mut out: Vec<AvtLine> = items
        .into_iter()
        .filter(|(_, s)| !s.opening.is_zero() || !s.closing.is_zero() || !s.kinds.is_empty())
        .map(|(item_id, s)| {
            let receipts = s.kind(K::Receipt) + s.kind(K::Opening);
            let (t_in, p_out) = (s.kind(K::TransferIn), s.kind(K::ProductionOutput));
            let (t_out, waste) = (s.kind(K::TransferOut).neg(), s.kind(K::Waste).neg());
            let (sales, p_use) = (s.kind(K::Sale).neg(), s.kind(K::ProductionUse).neg());
            let adjustments = s.kind(K::Adjustment) + s.kind(K::CountAdjustment);
            let actual = s.opening + receipts + t_in + p_out - t_out - waste - s.closing;
            let theoretical = sales + p_use;
            let variance = actual - theoretical;
            AvtLine {
                item_id,
                name: s.name,
                category: s.category,
                base_unit: s.base_unit.unwrap_or(BaseUnit::Ea),
                opening: s.opening.flow(),
                receipts: receipts.flow(),
                transfers_in: t_in.flow(),
                production_output: p_out.flow(),
                transfers_out: t_out.flow(),
                waste: waste.flow(),
                closing: s.closing.flow(),
                actual_usage: actual.flow(),
                sales: sales.flow(),
                production_use: p_use.flow(),
                theoretical_usage: theoretical.flow(),
                adjustments: adjustments.flow(),
                variance: variance.flow(),
                variance_percent: percent(variance.q, theoretical.q),
                variance_value_percent: percent(variance.v, theoretical.v),
            }
        })
        .collect();
    out.sort_by(|a, b| rank(a.variance.value, b.variance.value).then_with(|| a.name.cmp(&b.name)));
    out
}

/// Largest absolute variance first; of two the same size, the loss first.
fn rank(a: Money, b: Money) -> std::cmp::Ordering {
    let (a, b) = (i128::from(a.raw()), i128::from(b.raw()));
    b.abs().cmp(&a.abs()).then(b.cmp(&a))
}

/// Category subtotals (ranked as the lines) and the location total.
fn totals(lines: &[AvtLine]) -> (Vec<AvtTotal>, AvtTotal) {
    let total_of = |category: Option<String>, ls: &[&AvtLine]| {
        let sum =
            |f: fn(&AvtLine) -> Money| -> i128 { ls.iter().map(|l| i128::from(f(l).raw())).sum() };
        let (actual, theoretical, variance) = (
            sum(|l| l.actual_usage.value),
            sum(|l| l.theoretical_usage.value),
            sum(|l| l.variance.value),
        );
        AvtTotal {
            category,
            items: u32::try_from(ls.len()).unwrap_or(u32::MAX),
            actual_usage: clamp_money(actual),
            theoretical_usage: clamp_money(theoretical),
            variance: clamp_money(variance),
            variance_percent: percent(variance, theoretical),
        }
    };
    let mut by_category: HashMap<Option<String>, Vec<&AvtLine>> = HashMap::new();
    for l in lines {
        by_category.entry(l.category.clone()).or_default().push(l);
    }
    let mut categories: Vec<AvtTotal> = by_category
        .into_iter()
        .map(|(c, ls)| total_of(c, &ls))
        .collect();
    categories
        .sort_by(|a, b| rank(a.variance, b.variance).then_with(|| a.category.cmp(&b.category)));
    let all: Vec<&AvtLine> = lines.iter().collect();
    (categories, total_of(None, &all))
}

/// Which way to sum the ledger: forward when the period's end is nearer the location's first
/// movement than its start is to the last (fewer movements to read).
fn direction(
    span: (DateTime<Utc>, DateTime<Utc>),
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AvtDirection {
    let (first, last) = span;
    if to - first <= last - from {
        AvtDirection::Forward
    } else {
        AvtDirection::Backward
    }
}

/// The whole business days `d` with `from <= start(d)` and `start(d + 1) <= to`.
fn whole_days(cal: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<NaiveDate> {
    let mut d = cal.business_date(from);
    if cal.day_start(d) < from {
        d += Duration::days(1);
    }
    let mut out = Vec::new();
    while cal.day_start(d + Duration::days(1)) <= to {
        out.push(d);
        d += Duration::days(1);
    }
    out
}

/// The period of two approved counts of `location`: from the first's approval to the
/// second's.
///
/// # Errors
/// 404 when a count is not the tenant's; 422 on `from_count` / `to_count` when it is another
/// location's, not approved, or (`to_count`) not approved after `from_count`.
async fn count_period(
    tx: &mut dyn TenantTx,
    location: LocationId,
    from_count: StockCountId,
    to_count: StockCountId,
) -> Result<(AvtCountRow, AvtCountRow), AppError> {
    let mut bound = Vec::new();
    for (field, id) in [("from_count", from_count), ("to_count", to_count)] {
        let c = tx
            .avt_count(id)
            .await?
            .ok_or(AppError::NotFound("stock count"))?;
        if c.location_id != location {
            return Err(AppError::invalid(field, "is a count of another location"));
        }
        if c.status != "approved" || c.approved_at.is_none() {
            return Err(AppError::invalid(
                field,
                format!(
                    "is {}, not approved: only an approved count bounds a period",
                    c.status
                ),
            ));
        }
        bound.push(c);
    }
    let (Some(close), Some(open)) = (bound.pop(), bound.pop()) else {
        return Err(AppError::Internal("two counts expected".into()));
    };
    if close.approved_at <= open.approved_at {
        return Err(AppError::invalid(
            "to_count",
            "must have been approved after from_count",
        ));
    }
    Ok((open, close))
}

/// The completeness gate: every missing piece of the period, each named.
async fn gate(
    tx: &mut dyn TenantTx,
    cal: &Calendar,
    location: LocationId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bounds: Option<(&AvtCountRow, &AvtCountRow)>,
) -> Result<Vec<GateReason>, AppError> {
    let mut reasons = Vec::new();
    let unmapped = tx
        .avt_unmapped_sales(location, from, to, MAX_REASON_ROWS)
        .await?;
    if !unmapped.is_empty() {
        let lines: i64 = unmapped.iter().map(|u| u.lines).sum();
        let mut r = GateReason::new(
            GateKind::UnmappedSales,
            format!(
                "{lines} sale line(s) under {} name(s) map to no menu item, so they depleted nothing",
                unmapped.len()
            ),
        );
        r.names = unmapped
            .into_iter()
            .map(|u| UnmappedName {
                name: u.item_name,
                lines: u.lines,
                quantity: u.quantity,
            })
            .collect();
        reasons.push(r);
    }
    let (first_day, last_day) = (
        cal.business_date(from),
        cal.business_date(to - Duration::microseconds(1)),
    );
    let orders = tx
        .avt_orders_due(location, first_day, last_day, MAX_REASON_ROWS)
        .await?;
    if !orders.is_empty() {
        let numbers: Vec<String> = orders.iter().map(|o| po_number(o.number)).collect();
        let mut r = GateReason::new(
            GateKind::OrdersNotReceived,
            format!(
                "purchase orders expected in the period are not fully received: {}",
                numbers.join(", ")
            ),
        );
        r.orders = orders
            .into_iter()
            .map(|o| OrderDue {
                number: po_number(o.number),
                status: o.status,
                expected_delivery: o.expected_delivery,
            })
            .collect();
        reasons.push(r);
    }
    let open = tx.avt_open_counts(location, to, MAX_REASON_ROWS).await?;
    if !open.is_empty() {
        let mut r = GateReason::new(
            GateKind::CountsNotApproved,
            format!(
                "{} count(s) started before the period's end are not approved",
                open.len()
            ),
        );
        r.count_ids = open.iter().map(|c| c.id).collect();
        reasons.push(r);
    }
    let mut sold: BTreeSet<NaiveDate> = BTreeSet::new();
    for (a, b, offset) in cal.spans(from, to) {
        sold.extend(
            tx.avt_sale_days(location, a, b, offset)
                .await?
                .into_iter()
                .map(day_date),
        );
    }
    let quiet: Vec<NaiveDate> = whole_days(cal, from, to)
        .into_iter()
        .filter(|d| !sold.contains(d))
        .collect();
    if !quiet.is_empty() {
        let mut r = GateReason::new(
            GateKind::DaysWithoutSales,
            format!(
                "{} business day(s) in the period have no sales at this location",
                quiet.len()
            ),
        );
        r.dates = quiet;
        reasons.push(r);
    }
    match bounds {
        None => {
            let approved = tx
                .avt_approved_counts(location, Some(from), Some(to), MAX_COUNTS_LISTED)
                .await?;
            let at = |t: DateTime<Utc>| approved.iter().any(|c| c.approved_at == Some(t));
            if !(at(from) && at(to)) {
                reasons.push(GateReason::new(
                    GateKind::NotBoundedByCounts,
                    "the period does not start and end at approved counts, so opening and \
                     closing stock are book stock, not counted"
                        .into(),
                ));
            }
        }
        Some((open, close)) => {
            let cycle: Vec<StockCountId> = [open, close]
                .into_iter()
                .filter(|c| c.scope != "full")
                .map(|c| c.id)
                .collect();
            if !cycle.is_empty() {
                let mut r = GateReason::new(
                    GateKind::CycleCountBound,
                    "a bounding count is a cycle count: items it did not count start or end at \
                     book stock"
                        .into(),
                );
                r.count_ids = cycle;
                reasons.push(r);
            }
        }
    }
    Ok(reasons)
}

/// Computes the report in the caller's transaction: a handful of grouped queries whatever the
/// number of items (ledger span, movement sums, levels when reading backwards, and the gate's
/// four or five).
///
/// # Errors
/// As [`App::avt_report`].
pub async fn avt_report(
    tx: &mut dyn TenantTx,
    p: &Principal,
    q: &AvtQuery,
) -> Result<AvtReport, AppError> {
    crate::tenancy::require_location(tx, p.locations, q.location_id).await?;
    let location = tx
        .get_location(q.location_id)
        .await?
        .ok_or(AppError::NotFound("location"))?;
    let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    let cal = Calendar::of(&tenant)?;
    let by_instants = q.from.is_some() || q.to.is_some();
    let by_counts = q.from_count.is_some() || q.to_count.is_some();
    if by_instants && by_counts {
        return Err(AppError::invalid(
            "from",
            "give the period either as from and to or as from_count and to_count, not both",
        ));
    }
    let (from, to, bounds) = if by_counts {
        let a = q
            .from_count
            .ok_or_else(|| AppError::invalid("from_count", "is required with to_count"))?;
        let b = q
            .to_count
            .ok_or_else(|| AppError::invalid("to_count", "is required with from_count"))?;
        let (open, close) = count_period(tx, q.location_id, a, b).await?;
        let (Some(from), Some(to)) = (open.approved_at, close.approved_at) else {
            return Err(AppError::Internal("approved count without approval".into()));
        };
        (from, to, Some((open, close)))
    } else {
        let from = q.from.ok_or_else(|| {
            AppError::invalid(
                "from",
                "give the period as from and to, or as from_count and to_count",
            )
        })?;
        let to =
            q.to.ok_or_else(|| AppError::invalid("to", "is required with from"))?;
        if from >= to {
            return Err(AppError::invalid("to", "must be after from"));
        }
        (from, to, None)
    };
    if to - from > Duration::days(MAX_AVT_DAYS) {
        let field = if bounds.is_some() { "to_count" } else { "to" };
        return Err(AppError::invalid(
            field,
            format!("a report covers at most {MAX_AVT_DAYS} days; ask for a shorter period"),
        ));
    }
    let items = match tx.avt_ledger_span(q.location_id).await? {
        None => HashMap::new(),
        Some(span) => {
            let dir = direction(span, from, to);
            let rows = tx.avt_movement_sums(q.location_id, from, to, dir).await?;
            let levels = match dir {
                AvtDirection::Forward => Vec::new(),
                AvtDirection::Backward => tx.avt_levels(q.location_id).await?,
            };
            fold_sums(rows, levels, dir)
        }
    };
    let lines = lines(items);
    let (categories, total) = totals(&lines);
    let reasons = gate(
        tx,
        &cal,
        q.location_id,
        from,
        to,
        bounds.as_ref().map(|(a, b)| (a, b)),
    )
    .await?;
    Ok(AvtReport {
        location_id: q.location_id,
        location_name: location.name,
        from,
        to,
        from_count: bounds.as_ref().map(|(a, _)| a.id),
        to_count: bounds.as_ref().map(|(_, b)| b.id),
        trustworthy: reasons.is_empty(),
        reasons,
        lines,
        categories,
        total,
    })
}

impl App {
    /// The AvT report of a location for a period given as `[from, to)` or between two approved
    /// counts of that location (from the first's approval to the second's), with its
    /// completeness gate (ADR 024).
    ///
    /// # Errors
    /// 403 without `reports.read`; 404 on the location (or one outside a limited member's) or
    /// a count not the tenant's; 422 naming `from`, `to`, `from_count` or `to_count` for a
    /// period that is missing, mixed, empty, longer than 366 days, or bounded by a count that
    /// is another location's or not approved.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn avt_report(&self, p: Principal, q: AvtQuery) -> Result<AvtReport, AppError> {
        p.require(Permission::ReportsRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { avt_report(tx, &p, &q).await })
        })
        .await
    }

    /// The approved counts of a location, latest approval first (100 at most), for choosing
    /// an AvT period.
    ///
    /// # Errors
    /// 403 without `reports.read`; 404 on the location (or one outside a limited member's).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn avt_counts(
        &self,
        p: Principal,
        location: LocationId,
    ) -> Result<Vec<ApprovedCount>, AppError> {
        p.require(Permission::ReportsRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                crate::tenancy::require_location(tx, p.locations, location).await?;
                tx.get_location(location)
                    .await?
                    .ok_or(AppError::NotFound("location"))?;
                Ok(tx
                    .avt_approved_counts(location, None, None, MAX_COUNTS_LISTED)
                    .await?
                    .into_iter()
                    .filter_map(|c| {
                        c.approved_at.map(|approved_at| ApprovedCount {
                            id: c.id,
                            scope: c.scope,
                            started_at: c.started_at,
                            approved_at,
                        })
                    })
                    .collect())
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }
    fn m(s: &str) -> Money {
        Money::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }
    fn row(item: ItemId, bucket: AvtBucket, qty: &str, value: &str) -> AvtSumRow {
        AvtSumRow {
            item_id: item,
            name: "Flour".into(),
            category: Some("Dry".into()),
            base_unit: BaseUnit::G,
            bucket,
            quantity: q(qty),
            value: m(value),
        }
    }

    /// Opening 10 kg (20.00), received 5 kg (12.50), sold 6 kg (13.00), wasted 1 kg (2.00),
    /// counted 0.5 kg short (-1.00): closing 7.5 kg (16.50); actual 10 + 5 - 1 - 7.5 = 6.5 kg
    /// (20 + 12.5 - 2 - 16.5 = 14.00); theoretical 6 kg (13.00); variance 0.5 kg (1.00),
    /// minus the count adjustment. Read backwards, the level now is 5 kg (11.50) after 2.5 kg
    /// (5.00) left later.
    #[test]
    fn a_hand_computed_item_reads_the_same_both_ways() {
        use AvtBucket::*;
        use MovementKind as K;
        let id = ItemId::new();
        let forward = vec![
            row(id, Before, "10000", "20"),
            row(id, In(K::Receipt), "5000", "12.5"),
            row(id, In(K::Sale), "-6000", "-13"),
            row(id, In(K::Waste), "-1000", "-2"),
            row(id, In(K::CountAdjustment), "-500", "-1"),
        ];
        let backward = vec![
            row(id, In(K::Receipt), "5000", "12.5"),
            row(id, In(K::Sale), "-6000", "-13"),
            row(id, In(K::Waste), "-1000", "-2"),
            row(id, In(K::CountAdjustment), "-500", "-1"),
            row(id, After, "-2500", "-5"),
        ];
        let level = AvtLevelRow {
            item_id: id,
            name: "Flour".into(),
            category: Some("Dry".into()),
            base_unit: BaseUnit::G,
            on_hand: q("5000"),
            value: m("11.5"),
        };
        let a = lines(fold_sums(forward, Vec::new(), AvtDirection::Forward));
        let b = lines(fold_sums(backward, vec![level], AvtDirection::Backward));
        assert_eq!(a, b);
        let l = &a[0];
        assert_eq!(
            l.opening,
            Flow {
                quantity: q("10000"),
                value: m("20")
            }
        );
        assert_eq!(
            l.closing,
            Flow {
                quantity: q("7500"),
                value: m("16.5")
            }
        );
        assert_eq!(
            l.actual_usage,
            Flow {
                quantity: q("6500"),
                value: m("14")
            }
        );
        assert_eq!(
            l.theoretical_usage,
            Flow {
                quantity: q("6000"),
                value: m("13")
            }
        );
        assert_eq!(
            l.variance,
            Flow {
                quantity: q("500"),
                value: m("1")
            }
        );
        assert_eq!(
            l.adjustments,
            Flow {
                quantity: q("-500"),
                value: m("-1")
            }
        );
        assert_eq!(l.variance_percent.as_deref(), Some("8.3"));
        assert_eq!(l.variance_value_percent.as_deref(), Some("7.7"));
    }

    #[test]
    fn percentages_round_half_even_and_need_a_positive_whole() {
        assert_eq!(percent(1, 8).as_deref(), Some("12.5"));
        assert_eq!(percent(-1, 3).as_deref(), Some("-33.3"));
        assert_eq!(percent(1, 0), None);
        assert_eq!(percent(1, -5), None);
    }

    #[test]
    fn the_largest_variance_ranks_first_losses_before_gains() {
        let v = |s: &str| m(s);
        let mut xs = [v("-5"), v("2"), v("5"), v("-1")];
        xs.sort_by(|a, b| rank(*a, *b));
        assert_eq!(xs, [v("5"), v("-5"), v("2"), v("-1")]);
    }

    #[test]
    fn whole_days_leave_out_the_partial_days_at_either_end() {
        let cal = Calendar {
            tz: chrono_tz::Tz::UTC,
            cutoff_minutes: 240,
            week_start: larder_core::tenancy::WeekStart::Monday,
        };
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        // 1 March 10:00 to 4 March 04:00: 2 and 3 March are whole (04:00 to 04:00).
        let days = whole_days(&cal, t("2026-03-01T10:00:00Z"), t("2026-03-04T04:00:00Z"));
        let d = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        assert_eq!(days, vec![d("2026-03-02"), d("2026-03-03")]);
    }
}
