//! inventory: stock counts (issue 9, item 2; ADR 019). A count is started at a location, full
//! (every item its storage areas hold, or one area's) or cycle (chosen items), blind or not;
//! its sheet is fixed then, in walking order. Several counters enter lines at once, each an
//! amount in packs and units ("3 cases + 4 packs + 250 g") or a base quantity, with the
//! instant it was counted; a recount replaces a line and keeps the one before as history, and
//! a line for an item or area not on the sheet is kept and flagged. Each item is compared with
//! the ledger **at the instant it was counted**, so the kitchen keeps trading while it is
//! counted, and approving posts one `count_adjustment` per differing item, dated that instant.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use larder_core::amount::{Measure, Rounding, parse_amount};
use larder_core::auth::Permission;
use larder_core::inventory::MovementKind;
use larder_core::inventory::counts::{
    self as rules, CountScope, CountStatus, Thresholds, Variance,
};
use larder_core::{
    BaseUnit, ItemId, Label, LocationId, Money, MovementId, Note, Quantity, StockCountId,
    StorageAreaId, UserId,
};
use larder_store::{
    Costing, CountLevelRow, CountLineRow, CountResultRow, CountSheetRow, CountStatusChange, Mode,
    MovementRow, StockCountFilter, StockCountRow, StoreError, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Most items a cycle count may name.
pub const MAX_CYCLE_ITEMS: usize = 500;

/// Start a stock count.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartCountCommand {
    /// Where stock is counted.
    pub location_id: LocationId,
    /// `full`: every item the location's storage areas hold (or `storage_area_id`'s), plus,
    /// for the whole location, every item with stock there that no area holds; `cycle`: the
    /// items in `item_ids`.
    pub scope: CountScope,
    /// A full count of one storage area of the location.
    #[serde(default)]
    pub storage_area_id: Option<StorageAreaId>,
    /// A cycle count's items, 1 to 500, each once.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub item_ids: Option<Vec<ItemId>>,
    /// Hide book stock and variance from counters (whoever may approve still sees them).
    #[serde(default)]
    pub blind: bool,
    /// Flag a variance beyond this percent of book stock (default 5), not negative.
    #[serde(default)]
    pub threshold_percent: Option<Quantity>,
    /// Flag a variance beyond this value (default 20.00), not negative.
    #[serde(default)]
    pub threshold_value: Option<Money>,
    /// A note.
    #[serde(default)]
    pub note: Option<Note>,
}

/// Enter (or recount) one item's line in one area.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountLineCommand {
    /// The area it was counted in; absent: no area (an item kept nowhere in particular, or a
    /// count without areas).
    #[serde(default)]
    pub storage_area_id: Option<StorageAreaId>,
    /// As counted, in the item's packs and units: `"3 cases + 4 packs + 250 g"`, `"1.5 kg"`,
    /// `"12"` (base units). Either this or `quantity`.
    #[serde(default)]
    pub amount: Option<Label>,
    /// Base-unit quantity (decimal string, not negative). Either this or `amount`.
    #[serde(default)]
    pub quantity: Option<Quantity>,
    /// When the shelf was counted (default now): not in the future, not before the count
    /// started. The line is compared with the ledger at this instant.
    #[serde(default)]
    pub counted_at: Option<DateTime<Utc>>,
}

/// Approve a count.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveCountCommand {
    /// Also post, for each item on the sheet that nobody counted, an adjustment taking its
    /// stock to zero (at the approval's instant). Default false: such items are flagged "not
    /// counted" and left unchanged.
    #[serde(default)]
    pub zero_uncounted: bool,
}

/// A count done on paper (or before the tenant used Larder), recorded later as it happened:
/// started at `started_at`, each line counted at its own instant, approved at `approved_at`.
/// The demo's replayed history records its counts this way.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct PastCountCommand {
    /// The count as it was started.
    pub count: StartCountCommand,
    /// When it was started: not in the future.
    pub started_at: DateTime<Utc>,
    /// Its lines, each with its `counted_at` (required, from `started_at` to `approved_at`).
    pub lines: Vec<PastCountLine>,
    /// When it was approved: from the last line's instant, not in the future.
    pub approved_at: DateTime<Utc>,
    /// As [`ApproveCountCommand::zero_uncounted`].
    pub zero_uncounted: bool,
}

/// One line of a [`PastCountCommand`].
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct PastCountLine {
    /// The item counted.
    pub item_id: ItemId,
    /// The line as entered; its `counted_at` is required.
    pub line: CountLineCommand,
}

/// Filters for counts, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StockCountQuery {
    /// At this location.
    pub location_id: Option<LocationId>,
    /// In this status.
    pub status: Option<CountStatus>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// One row of the count sheet: an item in an area, with its current line.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SheetLine {
    /// Walking order (1-based); lines not on the sheet follow it.
    pub line_no: i32,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// The area.
    pub storage_area_id: Option<StorageAreaId>,
    /// The area's name.
    pub area_name: Option<String>,
    /// Whether the sheet lists this item in this area (a line off the sheet is kept, flagged).
    pub on_sheet: bool,
    /// The current count, base units; `None`: not counted yet.
    pub counted: Option<Quantity>,
    /// As typed.
    pub amount: Option<String>,
    /// When it was counted.
    pub counted_at: Option<DateTime<Utc>>,
    /// Who counted it.
    pub counted_by: Option<UserId>,
    /// Earlier lines this one replaced (recounts), kept as history.
    pub recounts: u32,
}

/// What stands out about an item.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountFlags {
    /// Counted, but not on the sheet (or not in the area the sheet has it in).
    pub not_on_sheet: bool,
    /// On the sheet and nobody counted it: left unchanged (unless approval zeroed it).
    pub not_counted: bool,
    /// Its variance is beyond a threshold (`false` when variance is hidden).
    pub variance: bool,
}

/// One item's count over its areas, with its variance when the caller may see it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountItem {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub base_unit: BaseUnit,
    /// Counted over every area, base units; `None`: not counted.
    pub counted: Option<Quantity>,
    /// The instant it is compared with the ledger at: the latest of its lines'.
    pub counted_at: Option<DateTime<Utc>>,
    /// Book stock at that instant (now, for an uncounted item); hidden from blind counters.
    pub book: Option<Quantity>,
    /// Counted minus book, in quantity, percent and value; hidden from blind counters.
    pub variance: Option<Variance>,
    /// Flags.
    pub flags: CountFlags,
    /// After approval: the count adjustment posted (zero: none).
    pub adjustment: Option<Quantity>,
    /// Its movement.
    pub movement_id: Option<MovementId>,
}

/// A stock count as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockCount {
    /// Id.
    pub id: StockCountId,
    /// Where.
    pub location_id: LocationId,
    /// The one area counted, if any.
    pub storage_area_id: Option<StorageAreaId>,
    /// Full or cycle.
    pub scope: CountScope,
    /// Book stock and variance hidden from counters.
    pub blind: bool,
    /// Open, approved or cancelled.
    pub status: CountStatus,
    /// When a variance is flagged.
    pub thresholds: Thresholds,
    /// Note.
    pub note: Option<String>,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// By.
    pub started_by: UserId,
    /// Approved (its adjustments posted).
    pub approved_at: Option<DateTime<Utc>>,
    /// By.
    pub approved_by: Option<UserId>,
    /// Cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// By.
    pub cancelled_by: Option<UserId>,
    /// Version for `If-Match` (moves on with every line and status change).
    pub version: i64,
    /// Whether book stock and variance are shown to this caller.
    pub variance_shown: bool,
    /// Items on the sheet.
    pub sheet_items: u32,
    /// Of them, counted.
    pub counted_items: u32,
    /// Items whose variance is flagged (zero when hidden).
    pub flagged_items: u32,
    /// The net variance value (hidden from blind counters; items without a cost add nothing).
    pub variance_value: Option<Money>,
    /// The sheet in walking order, then lines off the sheet.
    pub sheet: Vec<SheetLine>,
    /// Per item, in the sheet's order.
    pub items: Vec<CountItem>,
}

/// A line as entered.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountedLine {
    /// The count.
    pub stock_count_id: StockCountId,
    /// The count's version after this line.
    pub version: i64,
    /// The sheet row with its current line.
    pub line: SheetLine,
}

fn conflicts(e: StoreError, what: &'static str) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == "stock_counts_status" => {
            AppError::conflict("status", "the count is no longer open")
        }
        StoreError::Conflict { constraint } if constraint == "stock_counts_version" => {
            AppError::PreconditionFailed(what)
        }
        StoreError::NotFound => AppError::NotFound(what),
        e => e.into(),
    }
}

/// The count, when it is the tenant's and at a location the caller may see (404 otherwise).
async fn visible(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: StockCountId,
) -> Result<StockCountRow, AppError> {
    let c = tx
        .get_stock_count(id)
        .await?
        .ok_or(AppError::NotFound("stock count"))?;
    crate::tenancy::require_location(tx, p.locations, c.location_id)
        .await
        .map_err(|_| AppError::NotFound("stock count"))?;
    Ok(c)
}

/// Whether `p` may see book stock and variance of `c`.
fn shows_variance(p: &Principal, c: &StockCountRow) -> bool {
    !c.blind || p.require(Permission::CountsApprove).is_ok()
}

/// The current line of each (item, area) and how many it replaced.
/// A line's key: the item and the area it was counted in.
type LineKey = (ItemId, Option<StorageAreaId>);

fn current_lines(
    lines: Vec<CountLineRow>,
) -> (Vec<LineKey>, HashMap<LineKey, (CountLineRow, u32)>) {
    let mut order = Vec::new();
    let mut current: HashMap<(ItemId, Option<StorageAreaId>), (CountLineRow, u32)> = HashMap::new();
    for l in lines {
        let key = (l.item_id, l.storage_area_id);
        match current.get_mut(&key) {
            Some(slot) => {
                let recounts = slot.1 + 1;
                *slot = (l, recounts);
            }
            None => {
                order.push(key);
                current.insert(key, (l, 0));
            }
        }
    }
    (order, current)
}

/// What one item comes to at approval (or on the sheet while open).
struct Worked {
    item: CountItem,
    result: CountResultRow,
    unit_cost: Option<Money>,
}

/// The sheet, the current lines and each item's variance, against the ledger as it stands
/// (`now` for items not counted).
async fn work_out(
    tx: &mut dyn TenantTx,
    c: &StockCountRow,
    now: DateTime<Utc>,
) -> Result<(Vec<SheetLine>, Vec<Worked>), AppError> {
    let sheet = tx.stock_count_sheet(c.id).await?;
    let (order, current) = current_lines(tx.count_lines(c.id).await?);
    let earliest = current
        .values()
        .map(|(l, _)| l.counted_at)
        .min()
        .unwrap_or(now)
        .min(now);
    let levels: HashMap<ItemId, CountLevelRow> = tx
        .count_book(c.location_id, earliest)
        .await?
        .into_iter()
        .map(|l| (l.item_id, l))
        .collect();
    let mut names: HashMap<ItemId, (String, BaseUnit, Option<Money>)> = HashMap::new();
    let mut out_sheet = Vec::with_capacity(sheet.len());
    let mut on_sheet: HashSet<(ItemId, Option<StorageAreaId>)> = HashSet::new();
    let mut item_order: Vec<ItemId> = Vec::new();
    let mut sheet_items: HashSet<ItemId> = HashSet::new();
    for s in &sheet {
        names
            .entry(s.item_id)
            .or_insert_with(|| (s.item_name.clone(), s.base_unit, None));
        let key = (s.item_id, s.storage_area_id);
        on_sheet.insert(key);
        if sheet_items.insert(s.item_id) {
            item_order.push(s.item_id);
        }
        let cur = current.get(&key);
        out_sheet.push(SheetLine {
            line_no: s.line_no,
            item_id: s.item_id,
            item_name: s.item_name.clone(),
            base_unit: s.base_unit,
            storage_area_id: s.storage_area_id,
            area_name: s.area_name.clone(),
            on_sheet: true,
            counted: cur.map(|(l, _)| l.quantity),
            amount: cur.and_then(|(l, _)| l.amount.clone()),
            counted_at: cur.map(|(l, _)| l.counted_at),
            counted_by: cur.map(|(l, _)| l.counted_by),
            recounts: cur.map_or(0, |(_, n)| *n),
        });
    }
    // Lines off the sheet, in the order they were first entered.
    let mut next = i32::try_from(sheet.len()).unwrap_or(i32::MAX);
    let mut area_names: HashMap<StorageAreaId, Option<String>> = HashMap::new();
    for key in order.iter().filter(|k| !on_sheet.contains(k)) {
        let Some((l, n)) = current.get(key) else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(l.item_id) {
            let item = tx.get_item(l.item_id).await?;
            e.insert(item.map_or_else(
                || (l.item_id.to_string(), BaseUnit::Ea, None),
                |i| (i.name, i.base_unit, i.unit_cost),
            ));
        }
        if !item_order.contains(&l.item_id) {
            item_order.push(l.item_id);
        }
        let area_name = match l.storage_area_id {
            Some(a) => match area_names.get(&a) {
                Some(n) => n.clone(),
                None => {
                    let n = tx.get_storage_area(a).await?.map(|r| r.name);
                    area_names.insert(a, n.clone());
                    n
                }
            },
            None => None,
        };
        let (item_name, base_unit, _) = names.get(&l.item_id).cloned().unwrap_or_default_name();
        next = next.saturating_add(1);
        out_sheet.push(SheetLine {
            line_no: next,
            item_id: l.item_id,
            item_name,
            base_unit,
            storage_area_id: l.storage_area_id,
            area_name,
            on_sheet: false,
            counted: Some(l.quantity),
            amount: l.amount.clone(),
            counted_at: Some(l.counted_at),
            counted_by: Some(l.counted_by),
            recounts: *n,
        });
    }
    // Per item: the sum of its current lines at their latest instant, against the book then.
    let mut worked = Vec::with_capacity(item_order.len());
    for item in item_order {
        let lines: Vec<(Quantity, DateTime<Utc>)> = current
            .iter()
            .filter(|((i, _), _)| *i == item)
            .map(|(_, (l, _))| (l.quantity, l.counted_at))
            .collect();
        let off_sheet = current.keys().any(|k| k.0 == item && !on_sheet.contains(k));
        let tally = if lines.is_empty() {
            None
        } else {
            Some(rules::tally(&lines).ok_or_else(|| {
                AppError::invalid("quantity", "the item's lines add up beyond the range")
            })?)
        };
        let level = levels.get(&item);
        let on_hand = level.map_or(Quantity::ZERO, |l| l.on_hand);
        let later: &[(DateTime<Utc>, Quantity)] = level.map_or(&[], |l| l.later.as_slice());
        let at = tally.map_or(now, |(_, t)| t);
        let book = rules::book_at(on_hand, later, at)
            .ok_or_else(|| AppError::invalid("quantity", "book stock is beyond the range"))?;
        let (name, base_unit, item_cost) = names.get(&item).cloned().unwrap_or_default_name();
        // The level's cost, else the item's (an item never moved here has no level).
        let unit_cost = match level.and_then(|l| l.unit_cost).or(item_cost) {
            Some(c) => Some(c),
            None => tx.get_item(item).await?.and_then(|i| i.unit_cost),
        };
        let variance = match tally {
            Some((counted, _)) => Some(
                Variance::of(counted, book, unit_cost, c.thresholds).ok_or_else(|| {
                    AppError::invalid("quantity", "the variance is beyond the range")
                })?,
            ),
            None => None,
        };
        worked.push(Worked {
            unit_cost,
            result: CountResultRow {
                item_id: item,
                counted: tally.map(|(q, _)| q),
                book,
                at,
                adjustment: Quantity::ZERO,
                movement_id: None,
            },
            item: CountItem {
                item_id: item,
                item_name: name,
                base_unit,
                counted: tally.map(|(q, _)| q),
                counted_at: tally.map(|(_, t)| t),
                book: Some(book),
                variance,
                flags: CountFlags {
                    not_on_sheet: off_sheet,
                    not_counted: tally.is_none(),
                    variance: variance.is_some_and(|v| v.flagged),
                },
                adjustment: None,
                movement_id: None,
            },
        });
    }
    Ok((out_sheet, worked))
}

/// A name for an item whose row is gone (never: items are retired, not deleted).
trait DefaultName {
    fn unwrap_or_default_name(self) -> (String, BaseUnit, Option<Money>);
}

impl DefaultName for Option<(String, BaseUnit, Option<Money>)> {
    fn unwrap_or_default_name(self) -> (String, BaseUnit, Option<Money>) {
        self.unwrap_or_else(|| (String::new(), BaseUnit::Ea, None))
    }
}

/// A count as `p` sees it: an open one against the ledger now, an approved one as approval
/// worked it out, a cancelled one without variance.
async fn view(
    tx: &mut dyn TenantTx,
    p: &Principal,
    c: StockCountRow,
) -> Result<StockCount, AppError> {
    let shown = shows_variance(p, &c);
    let (sheet, worked) = work_out(tx, &c, Utc::now()).await?;
    let results: HashMap<ItemId, CountResultRow> = if c.status == CountStatus::Approved {
        tx.count_results(c.id)
            .await?
            .into_iter()
            .map(|r| (r.item_id, r))
            .collect()
    } else {
        HashMap::new()
    };
    let mut items = Vec::with_capacity(worked.len());
    for w in worked {
        let mut i = w.item;
        // An approved count shows what approval worked out: book stock then, and what it
        // posted (the ledger may have learned of backdated movements since).
        if let Some(r) = results.get(&i.item_id) {
            i.book = Some(r.book);
            i.counted = r.counted;
            i.adjustment = Some(r.adjustment);
            i.movement_id = r.movement_id;
            i.variance = r
                .counted
                .and_then(|counted| Variance::of(counted, r.book, w.unit_cost, c.thresholds));
            i.flags.variance = i.variance.is_some_and(|v| v.flagged);
        }
        items.push(i);
    }
    if !shown {
        for i in &mut items {
            i.book = None;
            i.variance = None;
            i.flags.variance = false;
        }
    }
    let sheet_items = u32::try_from(
        sheet
            .iter()
            .filter(|l| l.on_sheet)
            .map(|l| l.item_id)
            .collect::<HashSet<_>>()
            .len(),
    )
    .unwrap_or(u32::MAX);
    let counted_items =
        u32::try_from(items.iter().filter(|i| i.counted.is_some()).count()).unwrap_or(u32::MAX);
    let flagged_items =
        u32::try_from(items.iter().filter(|i| i.flags.variance).count()).unwrap_or(u32::MAX);
    let variance_value = if shown {
        let total: i128 = items
            .iter()
            .filter_map(|i| i.variance.and_then(|v| v.value))
            .map(|v| i128::from(v.raw()))
            .sum();
        i64::try_from(total).ok().and_then(Money::checked_from_raw)
    } else {
        None
    };
    Ok(StockCount {
        id: c.id,
        location_id: c.location_id,
        storage_area_id: c.storage_area_id,
        scope: c.scope,
        blind: c.blind,
        status: c.status,
        thresholds: c.thresholds,
        note: c.note,
        started_at: c.started_at,
        started_by: c.started_by,
        approved_at: c.approved_at,
        approved_by: c.approved_by,
        cancelled_at: c.cancelled_at,
        cancelled_by: c.cancelled_by,
        version: c.version,
        variance_shown: shown,
        sheet_items,
        counted_items,
        flagged_items,
        variance_value,
        sheet,
        items,
    })
}

/// The quantity a line command gives, in base units.
fn line_quantity(
    cmd: &CountLineCommand,
    item: &larder_store::ItemRow,
) -> Result<(Quantity, Option<String>), AppError> {
    match (&cmd.amount, cmd.quantity) {
        (Some(_), Some(_)) | (None, None) => Err(AppError::invalid(
            "amount",
            "give either amount (packs and units) or quantity (base units)",
        )),
        (None, Some(q)) if q.is_negative() => {
            Err(AppError::invalid("quantity", "must not be negative"))
        }
        (None, Some(q)) => Ok((q, None)),
        (Some(text), None) => {
            let packs: Vec<(String, Quantity)> = item
                .pack_sizes
                .iter()
                .map(|p| (p.name.clone(), p.quantity))
                .collect();
            let m = Measure {
                base: item.base_unit,
                packs: &packs,
                density: None,
            };
            let q = parse_amount(text.as_str())
                .and_then(|parts| m.total(&parts))
                .and_then(|t| Rounding::default().apply(t))
                .map_err(|e| AppError::invalid("amount", e.to_string()))?;
            Ok((q, Some(text.as_str().to_owned())))
        }
    }
}

/// What a start command gives once checked: its thresholds and a cycle count's items.
#[derive(Clone, Debug)]
struct CheckedStart {
    thresholds: Thresholds,
    items: Vec<ItemId>,
}

/// Checks a start command's shape (thresholds, scope and items) before any transaction.
fn check_start(cmd: &StartCountCommand) -> Result<CheckedStart, AppError> {
    let defaults = Thresholds::default();
    let thresholds = Thresholds {
        percent: cmd.threshold_percent.unwrap_or(defaults.percent),
        value: cmd.threshold_value.unwrap_or(defaults.value),
    };
    if thresholds.percent.is_negative() {
        return Err(AppError::invalid(
            "threshold_percent",
            "must not be negative",
        ));
    }
    if thresholds.value.is_negative() {
        return Err(AppError::invalid("threshold_value", "must not be negative"));
    }
    let items = match (cmd.scope, &cmd.item_ids) {
        (CountScope::Cycle, Some(ids)) if !ids.is_empty() && ids.len() <= MAX_CYCLE_ITEMS => {
            let mut seen = HashSet::new();
            if let Some(i) = ids.iter().position(|i| !seen.insert(*i)) {
                return Err(AppError::invalid(
                    format!("item_ids[{i}]"),
                    "is named twice",
                ));
            }
            ids.clone()
        }
        (CountScope::Cycle, _) => {
            return Err(AppError::invalid(
                "item_ids",
                format!("a cycle count names 1 to {MAX_CYCLE_ITEMS} items"),
            ));
        }
        (CountScope::Full, Some(_)) => {
            return Err(AppError::invalid(
                "item_ids",
                "a full count takes every item of its areas; name items in a cycle count",
            ));
        }
        (CountScope::Full, None) => Vec::new(),
    };
    if cmd.scope == CountScope::Cycle && cmd.storage_area_id.is_some() {
        return Err(AppError::invalid(
            "storage_area_id",
            "a cycle count takes its items wherever they are kept",
        ));
    }
    Ok(CheckedStart { thresholds, items })
}

/// Starts a count in `tx` at `now`: the sheet fixed from the areas and (a full count of the
/// whole location) the items with stock at `now` that no area holds.
async fn start_in(
    tx: &mut dyn TenantTx,
    p: &Principal,
    c: &StartCountCommand,
    checked: CheckedStart,
    now: DateTime<Utc>,
) -> Result<StockCountRow, AppError> {
    let CheckedStart { thresholds, items } = checked;
    crate::tenancy::require_location(tx, p.locations, c.location_id).await?;
    tx.get_location(c.location_id)
        .await?
        .ok_or(AppError::NotFound("location"))?;
    if let Some(a) = c.storage_area_id {
        let area = tx
            .get_storage_area(a)
            .await?
            .ok_or(AppError::NotFound("storage area"))?;
        if area.location_id != c.location_id {
            return Err(AppError::invalid(
                "storage_area_id",
                "is an area of another location",
            ));
        }
    }
    let source = tx
        .count_sheet_source(c.location_id, c.storage_area_id)
        .await?;
    let mut rows: Vec<(ItemId, Option<StorageAreaId>)> = Vec::new();
    match c.scope {
        CountScope::Full => {
            rows.extend(source.iter().map(|s| (s.item_id, Some(s.storage_area_id))));
            if c.storage_area_id.is_none() {
                let kept: HashSet<ItemId> = source.iter().map(|s| s.item_id).collect();
                let mut loose = Vec::new();
                for l in tx.count_book(c.location_id, now).await? {
                    if l.on_hand.raw() != 0 && !kept.contains(&l.item_id) {
                        let name = tx
                            .get_item(l.item_id)
                            .await?
                            .map(|i| i.name)
                            .unwrap_or_default();
                        loose.push((name, l.item_id));
                    }
                }
                loose.sort();
                rows.extend(loose.into_iter().map(|(_, i)| (i, None)));
            }
        }
        CountScope::Cycle => {
            for (i, id) in items.iter().enumerate() {
                if tx.get_item(*id).await?.is_none() {
                    tracing::info!(index = i, "a cycle count names an unknown item");
                    return Err(AppError::NotFound("item"));
                }
            }
            let chosen: HashSet<ItemId> = items.iter().copied().collect();
            rows.extend(
                source
                    .iter()
                    .filter(|s| chosen.contains(&s.item_id))
                    .map(|s| (s.item_id, Some(s.storage_area_id))),
            );
            let placed: HashSet<ItemId> = rows.iter().map(|r| r.0).collect();
            rows.extend(
                items
                    .iter()
                    .filter(|i| !placed.contains(i))
                    .map(|i| (*i, None)),
            );
        }
    }
    let sheet: Vec<CountSheetRow> = rows
        .into_iter()
        .enumerate()
        .map(|(n, (item_id, storage_area_id))| CountSheetRow {
            line_no: i32::try_from(n + 1).unwrap_or(i32::MAX),
            item_id,
            storage_area_id,
        })
        .collect();
    let row = StockCountRow {
        id: StockCountId::new(),
        location_id: c.location_id,
        storage_area_id: c.storage_area_id,
        scope: c.scope,
        blind: c.blind,
        status: CountStatus::Open,
        thresholds,
        note: c.note.clone().map(Note::into_string),
        started_at: now,
        started_by: p.user_id,
        approved_at: None,
        approved_by: None,
        cancelled_at: None,
        cancelled_by: None,
        version: 1,
    };
    tx.insert_stock_count(&row, &sheet).await?;
    Ok(row)
}

/// Enters one line of count `id` in `tx`, recorded at `now` (counted at `cmd.counted_at`,
/// else `now`).
async fn enter_in(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: StockCountId,
    item_id: ItemId,
    cmd: &CountLineCommand,
    now: DateTime<Utc>,
) -> Result<CountedLine, AppError> {
    let c = visible(tx, p, id).await?;
    if c.status != CountStatus::Open {
        return Err(AppError::conflict(
            "status",
            format!("the count is {}, no longer open", c.status),
        ));
    }
    let counted_at = cmd.counted_at.unwrap_or(now);
    if counted_at < c.started_at {
        return Err(AppError::invalid(
            "counted_at",
            "must not be before the count started",
        ));
    }
    let item = tx
        .get_item(item_id)
        .await?
        .ok_or(AppError::NotFound("item"))?;
    let area_name = match cmd.storage_area_id {
        Some(a) => {
            let area = tx
                .get_storage_area(a)
                .await?
                .ok_or(AppError::NotFound("storage area"))?;
            if area.location_id != c.location_id {
                return Err(AppError::invalid(
                    "storage_area_id",
                    "is an area of another location",
                ));
            }
            Some(area.name)
        }
        None => None,
    };
    let (quantity, amount) = line_quantity(cmd, &item)?;
    let sheet = tx.stock_count_sheet(c.id).await?;
    let on_sheet = sheet
        .iter()
        .find(|s| s.item_id == item_id && s.storage_area_id == cmd.storage_area_id);
    let line_no = on_sheet.map_or(0, |s| s.line_no);
    let (_, current) = current_lines(tx.count_lines(c.id).await?);
    let key = (item_id, cmd.storage_area_id);
    let before = current.get(&key);
    let same = before.is_some_and(|(l, _)| {
        cmd.counted_at == Some(l.counted_at) && l.quantity == quantity && l.counted_by == p.user_id
    });
    let (line, recounts, version) = if same {
        let (l, n) = before.cloned().ok_or(AppError::NotFound("line"))?;
        (l, n, c.version)
    } else {
        let line = CountLineRow {
            id: uuid::Uuid::now_v7(),
            stock_count_id: c.id,
            item_id,
            storage_area_id: cmd.storage_area_id,
            quantity,
            amount,
            on_sheet: on_sheet.is_some(),
            counted_at,
            counted_by: p.user_id,
            recorded_at: now,
        };
        tx.insert_count_line(&line)
            .await
            .map_err(|e| conflicts(e, "stock count"))?;
        let n = before.map_or(0, |(_, n)| n + 1);
        (line, n, c.version + 1)
    };
    Ok(CountedLine {
        stock_count_id: c.id,
        version,
        line: SheetLine {
            line_no,
            item_id,
            item_name: item.name,
            base_unit: item.base_unit,
            storage_area_id: cmd.storage_area_id,
            area_name,
            on_sheet: line.on_sheet,
            counted: Some(line.quantity),
            amount: line.amount,
            counted_at: Some(line.counted_at),
            counted_by: Some(line.counted_by),
            recounts,
        },
    })
}

/// Approves count `id` in `tx` at `now` (see [`App::approve_stock_count`]).
async fn approve_in(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: StockCountId,
    cmd: &ApproveCountCommand,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> Result<StockCount, AppError> {
    let c = visible(tx, p, id).await?;
    match c.status {
        CountStatus::Approved => return view(tx, p, c).await,
        CountStatus::Cancelled => {
            return Err(AppError::conflict(
                "status",
                "a cancelled count cannot be approved",
            ));
        }
        CountStatus::Open => {}
    }
    if if_match.is_some_and(|v| v != c.version) {
        return Err(AppError::PreconditionFailed("stock count"));
    }
    // Leave `open` first: the count row stays locked until commit, so a racing
    // line or approval waits and then finds it approved.
    let moved = tx
        .set_stock_count_status(&CountStatusChange {
            id,
            to: CountStatus::Approved,
            expected_version: Some(c.version),
            by: p.user_id,
            at: now,
        })
        .await;
    if let Err(e) = moved {
        let again = visible(tx, p, id).await?;
        if again.status == CountStatus::Approved {
            return view(tx, p, again).await;
        }
        return Err(conflicts(e, "stock count"));
    }
    let (_, worked) = work_out(tx, &c, now).await?;
    let reason = format!("stock count {id}");
    let mut movements = Vec::new();
    let mut results = Vec::with_capacity(worked.len());
    for w in worked {
        let mut r = w.result;
        let adjustment = match r.counted {
            Some(counted) => rules::adjustment(counted, r.book),
            None if cmd.zero_uncounted && !w.item.flags.not_on_sheet => {
                rules::adjustment(Quantity::ZERO, r.book)
            }
            None => None,
        };
        if let Some(q) = adjustment {
            let m = MovementRow {
                id: MovementId::new(),
                item_id: r.item_id,
                location_id: c.location_id,
                kind: MovementKind::CountAdjustment,
                quantity: q,
                unit_cost: w.unit_cost,
                reason: Some(reason.clone()),
                sale_id: None,
                created_by: Some(p.user_id),
                reverses: None,
                occurred_at: r.at,
                recorded_at: now,
                lot: None,
                costing: Costing::default(),
            };
            r.adjustment = q;
            r.movement_id = Some(m.id);
            movements.push(m);
        }
        results.push(r);
    }
    if !movements.is_empty() {
        crate::events::append_movements(tx, &movements).await?;
    }
    tx.insert_count_results(id, &results).await?;
    let approved = visible(tx, p, id).await?;
    view(tx, p, approved).await
}

impl App {
    /// Starts a count at a location: its sheet is fixed now, in walking order (areas by
    /// position, items by shelf order); a full count of the whole location adds, after the
    /// areas, every item with stock there that no area holds.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on a location, area or item that is not the
    /// tenant's (or a location outside a limited member's); 422 naming the field (an area of
    /// another location, a cycle count without items, a threshold below zero).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn start_stock_count(
        &self,
        p: Principal,
        cmd: StartCountCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<StockCount>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let checked = check_start(&cmd)?;
        let now = Utc::now();
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::CountStarted,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    let row = start_in(tx, &p, &c, checked, now).await?;
                    view(tx, &p, row).await
                })
            },
        )
        .await
    }

    /// One count with its sheet, lines and (unless blind for the caller) variance.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404 (a count at a location outside a limited member's
    /// too).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_stock_count(
        &self,
        p: Principal,
        id: StockCountId,
    ) -> Result<StockCount, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let c = visible(tx, &p, id).await?;
                view(tx, &p, c).await
            })
        })
        .await
    }

    /// Counts, newest first, without their sheets (`sheet` and `items` empty); a limited
    /// member's locations only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_stock_counts(
        &self,
        p: Principal,
        q: StockCountQuery,
    ) -> Result<Page<StockCount>, AppError> {
        p.require(Permission::InventoryRead)?;
        let limit = page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(page::id::<StockCountId>(&page::decode(c, 1)?[0])?),
            None => None,
        };
        let filter = StockCountFilter {
            location: q.location_id,
            status: q.status,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let counts = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_stock_counts(&filter).await?;
                Ok::<_, AppError>(rows.into_iter().map(|c| summary(&p, c)).collect::<Vec<_>>())
            })
        })
        .await?;
        Ok(page::page(counts, limit, |c: &StockCount| {
            page::encode(&[&c.id.to_string()])
        }))
    }

    /// Enters (or recounts) one item's line in one area of an open count. A line for an item
    /// or area not on the sheet is kept and flagged. Retried with its `Idempotency-Key`, it is
    /// entered once; sent again with the same `counted_at` and quantity by the same person, it
    /// enters nothing new.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on a count, item or area that is not the tenant's;
    /// 409 on `status` when the count is no longer open; 422 naming the field (`amount` that
    /// does not convert, a negative `quantity`, `counted_at` in the future or before the count
    /// started, an area of another location).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn enter_count_line(
        &self,
        p: Principal,
        id: StockCountId,
        item_id: ItemId,
        cmd: CountLineCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<CountedLine>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        if cmd
            .counted_at
            .is_some_and(|t| t > now + Duration::minutes(5))
        {
            return Err(AppError::invalid("counted_at", "must not be in the future"));
        }
        let request = (id, item_id, cmd.clone());
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::CountLineEntered,
            &request,
            move |tx| Box::pin(async move { enter_in(tx, &p, id, item_id, &cmd, now).await }),
        )
        .await
    }

    /// Approves an open count: for each counted item whose count differs from book stock at
    /// its counted instant, one `count_adjustment` of `counted - book(counted_at)` dated that
    /// instant (so what happened after it stays after it); items on the sheet nobody counted
    /// are left unchanged, or zeroed at the approval's instant with `zero_uncounted`. All in
    /// one transaction. Approving an approved count posts nothing and answers it as approved
    /// (with its key or without).
    ///
    /// # Errors
    /// 403 without `counts.approve`; 404; 409 on `status` for a cancelled count; 412 when
    /// `If-Match` is not the count's version (a line was entered since it was read).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn approve_stock_count(
        &self,
        p: Principal,
        id: StockCountId,
        cmd: ApproveCountCommand,
        if_match: Option<i64>,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<StockCount>, AppError> {
        p.require(Permission::CountsApprove)?;
        let request = (id, cmd.clone(), if_match);
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::CountApproved,
            &request,
            move |tx| {
                Box::pin(async move { approve_in(tx, &p, id, &cmd, if_match, Utc::now()).await })
            },
        )
        .await
    }

    /// Records a count done earlier ([`PastCountCommand`]): started, its lines entered and
    /// approved at their own instants, in one transaction, so each line is compared with the
    /// ledger at the instant it was counted exactly as a live count is. Retried with its key,
    /// it is recorded once.
    ///
    /// # Errors
    /// As [`App::start_stock_count`], [`App::enter_count_line`] and
    /// [`App::approve_stock_count`] (both scopes needed), the line at fault named
    /// `lines[i].<field>`; 422 on `started_at` or `approved_at` in the future, on
    /// `lines[i].counted_at` missing or outside `started_at..=approved_at`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn record_past_count(
        &self,
        p: Principal,
        cmd: PastCountCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<StockCount>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        p.require(Permission::CountsApprove)?;
        let checked = check_start(&cmd.count)?;
        let now = Utc::now();
        if cmd.started_at > now {
            return Err(AppError::invalid("started_at", "must not be in the future"));
        }
        if cmd.approved_at > now {
            return Err(AppError::invalid(
                "approved_at",
                "must not be in the future",
            ));
        }
        for (i, l) in cmd.lines.iter().enumerate() {
            match l.line.counted_at {
                Some(t) if t >= cmd.started_at && t <= cmd.approved_at => {}
                _ => {
                    return Err(AppError::invalid(
                        format!("lines[{i}].counted_at"),
                        "is required, from started_at to approved_at",
                    ));
                }
            }
        }
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::CountApproved,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    let row = start_in(tx, &p, &c.count, checked, c.started_at).await?;
                    for (i, l) in c.lines.iter().enumerate() {
                        enter_in(tx, &p, row.id, l.item_id, &l.line, c.approved_at)
                            .await
                            .map_err(|e| e.within(&format!("lines[{i}]")))?;
                    }
                    let approve = ApproveCountCommand {
                        zero_uncounted: c.zero_uncounted,
                    };
                    approve_in(tx, &p, row.id, &approve, None, c.approved_at).await
                })
            },
        )
        .await
    }

    /// Cancels an open count: it posts nothing. Cancelling a cancelled count answers it.
    ///
    /// # Errors
    /// 403 without `counts.approve`; 404; 409 on `status` for an approved count; 412 on a
    /// stale `If-Match`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn cancel_stock_count(
        &self,
        p: Principal,
        id: StockCountId,
        if_match: Option<i64>,
    ) -> Result<StockCount, AppError> {
        p.require(Permission::CountsApprove)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::CountCancelled,
            move |tx| {
                Box::pin(async move {
                    let c = visible(tx, &p, id).await?;
                    match c.status {
                        CountStatus::Cancelled => return view(tx, &p, c).await,
                        CountStatus::Approved => {
                            return Err(AppError::conflict(
                                "status",
                                "an approved count cannot be cancelled: its adjustments are posted",
                            ));
                        }
                        CountStatus::Open => {}
                    }
                    tx.set_stock_count_status(&CountStatusChange {
                        id,
                        to: CountStatus::Cancelled,
                        expected_version: if_match,
                        by: p.user_id,
                        at: Utc::now(),
                    })
                    .await
                    .map_err(|e| conflicts(e, "stock count"))?;
                    let c = visible(tx, &p, id).await?;
                    view(tx, &p, c).await
                })
            },
        )
        .await
    }
}

/// A count's header as listed (no sheet).
fn summary(p: &Principal, c: StockCountRow) -> StockCount {
    let shown = shows_variance(p, &c);
    StockCount {
        id: c.id,
        location_id: c.location_id,
        storage_area_id: c.storage_area_id,
        scope: c.scope,
        blind: c.blind,
        status: c.status,
        thresholds: c.thresholds,
        note: c.note,
        started_at: c.started_at,
        started_by: c.started_by,
        approved_at: c.approved_at,
        approved_by: c.approved_by,
        cancelled_at: c.cancelled_at,
        cancelled_by: c.cancelled_by,
        version: c.version,
        variance_shown: shown,
        sheet_items: 0,
        counted_items: 0,
        flagged_items: 0,
        variance_value: None,
        sheet: Vec::new(),
        items: Vec::new(),
    }
}
