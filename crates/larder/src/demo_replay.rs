//! The demo buys its stock (issue 8): its sales history is replayed day by day with the
//! purchasing a kitchen would have done around it, through the use cases.
//!
//! Each business day at 06:00 local time, in this order: the sales of the day before are
//! imported (they deplete stock through the recipes, lots first-expiry-first-out); the
//! deliveries due that day are received into lots (lot code from the SKU and date, expiry from
//! the book's shelf life); then each supplier that takes orders that weekday gets an order of
//! what the reorder suggestions say (on hand and on order as they stand, daily usage of the last
//! 28 days), recorded as placed at that instant. Par levels cover ten days of use, or a
//! perishable's shelf life when shorter: first from the first four weeks' sales, then reviewed
//! each Monday from the two weeks before ([`par_from_daily`]). With a recipe
//! book, the kitchen's counts, waste and prep batches are replayed too (crate::demo_stock), and
//! what the day's sales would run out of is bought at the cash and carry that morning.
//! Everything is recorded in the order it happened, so lots, FEFO and valuation see a kitchen
//! that bought before it sold.
//!
//! An interrupted replay resumes: tickets already stored are skipped, the day of the first
//! missing ticket is the day it resumes at, and an order already placed is found by its
//! supplier and delivery date.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use larder_app::inventory::AdjustmentCommand;
use larder_app::procurement::goods_receipts::{ReceiptCommand, ReceiptLineCommand};
use larder_app::procurement::history::PastOrderCommand;
use larder_app::procurement::purchase_orders::{
    PurchaseOrderCommand, PurchaseOrderLineCommand, PurchaseOrderQuery,
};
use larder_app::procurement::reorder::ReorderQuery;
use larder_app::sales::import::ParsedTicket;
use larder_app::{App, Principal};
use larder_core::inventory::MovementKind;
use larder_core::procurement::OrderDays;
use larder_core::procurement::purchase_orders::{PoStatus, expected_delivery};
use larder_core::{ItemId, LocationId, PurchaseOrderId, Quantity, SupplierId};

use crate::demo::{DemoSupply, failed, text};

/// What the replay did.
#[derive(Clone, Debug, Default)]
pub struct Replayed {
    /// Tickets imported.
    pub tickets: usize,
    /// Their lines that depleted stock through a recipe.
    pub lines_depleted: usize,
    /// Sale movements written.
    pub movements: usize,
    /// Purchase orders placed.
    pub orders: usize,
    /// Deliveries received.
    pub deliveries: usize,
    /// Days replayed.
    pub days: usize,
    /// Opening count lines posted (0 when it was there).
    pub openings: usize,
    /// Counts, waste entries and production batches recorded.
    pub stock: crate::demo_stock::StockDone,
    /// Walk-in purchases of what the day would otherwise have run out of.
    pub walk_ins: usize,
    /// Seconds the replay took.
    pub seconds: f64,
    /// Of which, per step.
    pub steps: StepSeconds,
}

impl Replayed {
    fn add(&mut self, w: &larder_app::sales::import::TicketsWritten) {
        self.tickets += w.tickets;
        self.lines_depleted += w.lines_depleted;
        self.movements += w.movements;
    }
}

/// Seconds the replay spent in each of its steps, logged at its end (where a load's time goes).
#[derive(Clone, Copy, Debug, Default)]
pub struct StepSeconds {
    /// Importing the sales.
    pub sales: f64,
    /// Counts and expired waste.
    pub counts_and_waste: f64,
    /// Receiving deliveries.
    pub receiving: f64,
    /// Reviewing pars and placing orders.
    pub ordering: f64,
    /// Prep batches and the week's waste.
    pub production: f64,
}

/// The note on the demo's orders.
fn order_note(day: NaiveDate) -> String {
    format!("Demo order placed {day}")
}

/// The longest wait, in days, between two deliveries of a supplier that takes orders on
/// `order_days` and delivers `lead_time_days` later (7 when it takes orders one day a week;
/// 1 when it names no days, as it then takes them every day).
pub(crate) fn longest_delivery_gap(order_days: OrderDays, lead_time_days: i32) -> i64 {
    let lead = i64::from(lead_time_days.max(0));
    let every_day = order_days.names().is_empty();
    let mut days: Vec<i64> = (0..7_u8)
        .filter(|d| {
            every_day || chrono::Weekday::try_from(*d).is_ok_and(|w| order_days.contains(w))
        })
        .map(|d| (i64::from(d) + lead).rem_euclid(7))
        .collect();
    days.sort_unstable();
    days.dedup();
    let Some(first) = days.first().copied() else {
        return 1;
    };
    days.push(first + 7);
    days.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(7)
}

/// An item's par level and reorder point from its average daily usage (base-unit thousandths
/// per day), shelf life (days), pack (base-unit thousandths) and the longest wait between its
/// supplier's deliveries (days). The par covers ten days of use (about the week and a half the
/// demo's first pars covered), but no more than the shelf life less half the days a pack lasts
/// (an order up to par is rounded up to whole packs, half a pack over on average, and what is
/// over must still be used before it expires); yet always the longest wait between deliveries
/// and a day more, since a kitchen would rather throw some chicken away than run out of it
/// before the next delivery; at least two days, at most ten; whole base units, rounded up. The
/// reorder point is the use over the longest wait between deliveries (an order is placed when
/// what will be left at its delivery would not last until the one after), at most four fifths
/// of the par. An item not used lately keeps one
/// pack as its par and orders only once it has run out (reorder point zero). An ASSUMPTION of
/// how a chef sets pars, worked in thousandths of a day.
pub(crate) fn par_from_daily(
    daily: i64,
    shelf_life_days: u32,
    pack: i64,
    delivery_gap_days: i64,
) -> (Quantity, Quantity) {
    if daily <= 0 {
        return (Quantity::from_raw(pack.max(1000)), Quantity::ZERO);
    }
    let pack_days = i128::from(pack) * 1000 / i128::from(daily);
    let shelf = i128::from(shelf_life_days) * 1000;
    let wait = i128::from(delivery_gap_days + 1) * 1000;
    let cover = (shelf - pack_days / 2).max(wait).clamp(2_000, 10_000);
    let par = i128::from(daily) * cover / 1000;
    let par = i64::try_from((par + 999).div_euclid(1000) * 1000).unwrap_or(i64::MAX);
    let reorder = (i128::from(daily) * i128::from(delivery_gap_days)).min(i128::from(par) * 4 / 5);
    (
        Quantity::from_raw(par),
        Quantity::from_raw(i64::try_from(reorder).unwrap_or(i64::MAX)),
    )
}

/// What a chef does on seeing that the day will run out of something before the next
/// delivery: buys the shortfall, in whole packs of the preferred supplier item, at the cash and
/// carry at 11:00 (`at` + 5 h), received as a walk-in purchase. The replay knows the day's
/// sales (`day_usage`); stock may not go below zero, as it could not in a kitchen. Returns the
/// purchases made.
#[allow(clippy::too_many_arguments)]
async fn walk_in(
    app: &App,
    p: Principal,
    location: LocationId,
    day: NaiveDate,
    at: DateTime<Utc>,
    kitchen: &crate::demo_stock::Kitchen,
    day_usage: &HashMap<ItemId, i64>,
    supply: &BTreeMap<ItemId, DemoSupply>,
) -> anyhow::Result<usize> {
    if day_usage.is_empty() {
        return Ok(0);
    }
    let on_hand = kitchen.on_hand(app, p).await?;
    let mut bought = 0;
    for (item, s) in supply {
        let short =
            day_usage.get(item).copied().unwrap_or(0) - on_hand.get(item).copied().unwrap_or(0);
        if short <= 0 {
            continue;
        }
        let pack = s.pack_quantity.raw().max(1);
        let packs = (short + pack - 1) / pack;
        app.receive_goods(
            p,
            ReceiptCommand {
                purchase_order_id: None,
                location_id: Some(location),
                supplier_id: Some(s.supplier_id),
                received_at: Some(at + Duration::hours(5)),
                note: Some(text(
                    "Bought at the cash and carry: the day would have run out",
                )?),
                lines: vec![ReceiptLineCommand {
                    supplier_item_id: Some(s.supplier_item_id),
                    packs: Some(Quantity::from_raw(packs * 1000)),
                    lot_code: Some(text(&format!(
                        "{}-{}",
                        s.supplier_sku,
                        day.format("%y%m%d")
                    ))?),
                    expires_on: day
                        .checked_add_days(chrono::Days::new(u64::from(s.shelf_life_days))),
                    ..Default::default()
                }],
                ..Default::default()
            },
            None,
        )
        .await
        .map_err(failed)
        .with_context(|| format!("a walk-in purchase of {} on {day}", s.supplier_sku))?;
        bought += 1;
    }
    Ok(bought)
}

/// Reviews every purchased item's par level at `location` from its daily usage over the 14
/// days before `at` (sales and batches, as the reorder suggestions read it): what a manager
/// does each Monday, so the pars follow the trade as it grows and shrinks (and a fortnight
/// without sales, where the sales file has a gap, stops the ordering of what would expire).
async fn review_pars(
    app: &App,
    p: Principal,
    location: LocationId,
    at: DateTime<Utc>,
    supply: &BTreeMap<ItemId, DemoSupply>,
) -> anyhow::Result<()> {
    let suggested = app
        .reorder_suggestions(
            p,
            ReorderQuery {
                location_id: location,
                days: Some(14),
                as_of: Some(at),
            },
        )
        .await
        .map_err(failed)?;
    for line in suggested.suppliers.iter().flat_map(|g| g.lines.iter()) {
        let Some(s) = supply.get(&line.item_id) else {
            continue;
        };
        let (par, reorder) = par_from_daily(
            line.daily_usage.raw(),
            s.shelf_life_days,
            s.pack_quantity.raw(),
            longest_delivery_gap(s.order_days, s.lead_time_days),
        );
        // A par within a tenth of what it should be is left as it is.
        let set = line.par_level.map_or(0, Quantity::raw);
        if (par.raw() - set).abs() * 10 <= par.raw() && line.reorder_point.is_some() {
            continue;
        }
        app.set_par_level(
            p,
            line.item_id,
            location,
            larder_app::catalog::ParLevelCommand {
                par_level: Some(par),
                reorder_point: Some(reorder),
            },
        )
        .await
        .map_err(failed)?;
    }
    Ok(())
}

/// Replays `tickets` (sorted or not) with purchasing, at `location` of `p`'s tenant, the items
/// supplied as `supply` says; `source` is the tickets' sales source. With `book_toml`, the
/// book's stock operations too (crate::demo_stock: storage areas, prep made in batches, counts
/// and waste), each day between the deliveries and the orders.
///
/// # Errors
/// The use cases' errors.
#[allow(clippy::too_many_arguments)]
pub async fn replay(
    app: &App,
    p: Principal,
    location: LocationId,
    source: &str,
    mut tickets: Vec<ParsedTicket>,
    supply: &BTreeMap<ItemId, DemoSupply>,
    book_toml: Option<&str>,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<Replayed> {
    let started = Instant::now();
    let mut out = Replayed::default();
    if tickets.is_empty() {
        return Ok(out);
    }
    tickets.sort_by(|a, b| {
        a.occurred_at
            .cmp(&b.occurred_at)
            .then_with(|| a.external_ref.cmp(&b.external_ref))
    });
    let cal = app.calendar(p.tenant_id).await.map_err(failed)?;
    let mut importer = app.ticket_importer(p.tenant_id).await.map_err(failed)?;
    let stored = app
        .stored_sale_refs(
            p.tenant_id,
            source,
            tickets.iter().map(|t| t.external_ref.clone()).collect(),
        )
        .await
        .map_err(failed)?;
    let Some(resume) = tickets
        .iter()
        .position(|t| !stored.contains(&t.external_ref))
    else {
        return Ok(out);
    };
    let first_day = cal.business_date(tickets[0].occurred_at);
    let last_day = cal
        .business_date(tickets[tickets.len() - 1].occurred_at)
        .succ_opt()
        .unwrap_or(first_day);
    // The step the replay resumes at: the one that imported the last ticket stored (a step
    // imports what was sold before its 06:00, then receives, then orders). Every step before
    // it is complete; it runs again, skipping what it finds done: tickets stored, orders
    // received, orders placed (found by supplier and delivery date).
    let step_at = |d: NaiveDate| cal.day_start(d) + Duration::hours(2);
    let resume_day = match resume.checked_sub(1).map(|i| tickets[i].occurred_at) {
        None => first_day,
        Some(t) => {
            let d = cal.business_date(t);
            if t < step_at(d) {
                d
            } else {
                d.succ_opt().unwrap_or(d)
            }
        }
    };

    // Par levels and reorder points from the first four weeks' usage, and the opening count at
    // par the day before the first week (its lots dated to keep as a delivery's would), once.
    // The usage is read before any recipe is made into stock, so a sauce's ingredients count
    // at their full use.
    if resume == 0 && !crate::demo::opening_posted(app, p, location).await? {
        let depleter = importer.depleter().map_err(failed)?;
        let first = tickets[0].occurred_at;
        let month = tickets
            .iter()
            .position(|t| t.occurred_at >= first + Duration::days(28))
            .unwrap_or(tickets.len());
        let usage =
            larder_app::sales::import::usage_of_tickets(&depleter, location, &tickets[..month])
                .map_err(failed)?;
        let mut used: BTreeMap<ItemId, i64> = BTreeMap::new();
        for (_, item, q) in &usage {
            *used.entry(*item).or_default() += q.raw();
        }
        let pars: BTreeMap<ItemId, (Quantity, Quantity, u32)> = supply
            .iter()
            .map(|(item, s)| {
                // Average daily use, in thousandths, truncated (the reorder suggestions round
                // theirs half to even; a thousandth of a gram a day moves no par).
                let daily = used.get(item).copied().unwrap_or(0) / 28;
                let (par, reorder) = par_from_daily(
                    daily,
                    s.shelf_life_days,
                    s.pack_quantity.raw(),
                    longest_delivery_gap(s.order_days, s.lead_time_days),
                );
                (*item, (par, reorder, s.shelf_life_days))
            })
            .collect();
        for (item, (par, reorder, _)) in &pars {
            app.set_par_level(
                p,
                *item,
                location,
                larder_app::catalog::ParLevelCommand {
                    par_level: Some(*par),
                    reorder_point: Some(*reorder),
                },
            )
            .await
            .map_err(failed)?;
        }
        let opening_at = cal.day_start(cal.week_of(first_day)) - Duration::days(1);
        let reason: larder_core::Label = text("opening count (demo)")?;
        let opened = cal.business_date(opening_at);
        let cmds: Vec<AdjustmentCommand> = pars
            .iter()
            .map(|(item, (par, _, shelf))| AdjustmentCommand {
                item_id: *item,
                location_id: location,
                quantity: *par,
                kind: MovementKind::Opening,
                reason: Some(reason.clone()),
                occurred_at: Some(opening_at),
                lot_code: None,
                expires_on: opened.checked_add_days(chrono::Days::new(u64::from(*shelf))),
            })
            .collect();
        out.openings = cmds.len();
        app.post_adjustments(p, cmds, None)
            .await
            .map_err(failed)
            .context("posting the opening count")?;
    }
    // The kitchen's areas and prep recipes; sales then take a prep item from its stock.
    let mut kitchen = match book_toml {
        Some(book) => {
            let k = crate::demo_stock::set_up(app, p, location, book).await?;
            importer = app.ticket_importer(p.tenant_id).await.map_err(failed)?;
            Some(k)
        }
        None => None,
    };
    let depleter = importer.depleter().map_err(failed)?;

    // Suppliers and their order days; the orders already placed (a resumed replay).
    let mut suppliers: BTreeMap<SupplierId, &DemoSupply> = BTreeMap::new();
    for s in supply.values() {
        suppliers.entry(s.supplier_id).or_insert(s);
    }
    let mut placed: HashSet<(SupplierId, NaiveDate)> = HashSet::new();
    let mut pending: Vec<(NaiveDate, PurchaseOrderId)> = Vec::new();
    {
        let mut cursor = None;
        loop {
            let page = app
                .list_purchase_orders(
                    p,
                    PurchaseOrderQuery {
                        location_id: Some(location),
                        limit: Some(500),
                        cursor: cursor.clone(),
                        ..Default::default()
                    },
                )
                .await
                .map_err(failed)?;
            for po in &page.data {
                placed.insert((po.supplier_id, po.expected_delivery));
                if matches!(po.status, PoStatus::Sent | PoStatus::PartiallyReceived) {
                    pending.push((po.expected_delivery, po.id));
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    let sku_of: HashMap<ItemId, (&str, u32)> = supply
        .iter()
        .map(|(i, s)| (*i, (s.supplier_sku.as_str(), s.shelf_life_days)))
        .collect();

    let mut next = resume;
    let mut day = resume_day.max(first_day);
    while day <= last_day {
        let at = step_at(day);
        let mut lap = Instant::now();
        // 1. What was sold before 06:00.
        let end = tickets[next..]
            .iter()
            .position(|t| t.occurred_at >= at)
            .map_or(tickets.len(), |i| next + i);
        if end > next {
            let chunk = tickets[next..end].to_vec();
            let w = app
                .import_tickets(p.tenant_id, location, source, &depleter, chunk)
                .await
                .map_err(failed)?;
            out.add(&w);
            next = end;
        }
        out.steps.sales += lap.elapsed().as_secs_f64();
        lap = Instant::now();
        // 2. The count due today (before 06:00), then what expired goes in the bin.
        if let Some(k) = kitchen.as_mut() {
            k.count(app, p, day, cal.day_start(day)).await?;
            k.waste_expired(app, p, day, at).await?;
        }
        out.steps.counts_and_waste += lap.elapsed().as_secs_f64();
        lap = Instant::now();
        // 3. The deliveries due today.
        let (due, later): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(d, _)| *d <= day);
        pending = later;
        for (_, id) in due {
            let po = app.get_purchase_order(p, id).await.map_err(failed)?;
            if !matches!(po.status, PoStatus::Sent | PoStatus::PartiallyReceived) {
                continue;
            }
            let lines = po
                .lines
                .iter()
                .map(|l| {
                    let (sku, shelf) = sku_of.get(&l.item_id).copied().unwrap_or(("LOT", 30));
                    Ok(ReceiptLineCommand {
                        po_line: Some(l.line_no),
                        packs: Some(Quantity::from_raw(i64::from(l.packs) * 1000)),
                        lot_code: Some(text(&format!("{sku}-{}", day.format("%y%m%d")))?),
                        expires_on: day.checked_add_days(chrono::Days::new(u64::from(shelf))),
                        ..Default::default()
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            app.receive_goods(
                p,
                ReceiptCommand {
                    purchase_order_id: Some(id),
                    received_at: Some(at),
                    delivery_note: Some(text(&format!("DN-{}", po.number))?),
                    lines,
                    ..Default::default()
                },
                None,
            )
            .await
            .map_err(failed)
            .with_context(|| format!("receiving {} on {day}", po.number))?;
            out.deliveries += 1;
        }
        out.steps.receiving += lap.elapsed().as_secs_f64();
        lap = Instant::now();
        // 4. On Mondays, the pars reviewed from the last two weeks; then orders from the
        // suppliers that take them today, from the reorder suggestions.
        if day.weekday() == chrono::Weekday::Mon {
            review_pars(app, p, location, at, supply).await?;
        }
        let weekday = day.weekday();
        let ordering: HashSet<SupplierId> = suppliers
            .iter()
            .filter(|(id, s)| {
                s.order_days.contains(weekday)
                    && !placed
                        .contains(&(**id, expected_delivery(day, s.order_days, s.lead_time_days)))
            })
            .map(|(id, _)| *id)
            .collect();
        if !ordering.is_empty() && day < last_day {
            let suggested = app
                .reorder_suggestions(
                    p,
                    ReorderQuery {
                        location_id: location,
                        days: Some(28),
                        as_of: Some(at),
                    },
                )
                .await
                .map_err(failed)?;
            for group in suggested
                .suppliers
                .iter()
                .filter(|g| ordering.contains(&g.supplier_id))
            {
                let lines: Vec<PurchaseOrderLineCommand> = group
                    .lines
                    .iter()
                    .filter(|l| l.suggested_packs > 0)
                    .map(|l| PurchaseOrderLineCommand {
                        supplier_item_id: l.supplier_item_id,
                        packs: l.suggested_packs,
                        price_per_pack: None,
                    })
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                let po = app
                    .record_past_order(
                        p,
                        PastOrderCommand {
                            order: PurchaseOrderCommand {
                                supplier_id: group.supplier_id,
                                location_id: location,
                                expected_delivery: None,
                                note: Some(text(&order_note(day))?),
                                lines,
                            },
                            ordered_at: at,
                        },
                        None,
                    )
                    .await
                    .map_err(failed)
                    .with_context(|| format!("ordering from {} on {day}", group.supplier_name))?
                    .value;
                placed.insert((group.supplier_id, po.expected_delivery));
                pending.push((po.expected_delivery, po.id));
                out.orders += 1;
            }
        }
        out.steps.ordering += lap.elapsed().as_secs_f64();
        lap = Instant::now();
        // 5. The day's prep, made for what the day will sell, and the week's accidents.
        if let Some(k) = kitchen.as_mut() {
            let day_end = tickets[next..]
                .iter()
                .position(|t| t.occurred_at >= step_at(day + Duration::days(1)))
                .map_or(tickets.len(), |i| next + i);
            let usage = larder_app::sales::import::usage_of_tickets(
                &depleter,
                location,
                &tickets[next..day_end],
            )
            .map_err(failed)?;
            let mut by_item: HashMap<ItemId, i64> = HashMap::new();
            for (_, item, q) in &usage {
                *by_item.entry(*item).or_default() += q.raw();
            }
            k.produce(app, p, day, cal.day_start(day), &by_item).await?;
            out.walk_ins += walk_in(app, p, location, day, at, k, &by_item, supply).await?;
            k.weekly_waste(app, p, day, cal.day_start(day)).await?;
            k.used(&usage);
        }
        out.steps.production += lap.elapsed().as_secs_f64();
        out.days += 1;
        if out.days % 30 == 0 {
            progress.set_message(format!("takeaway replay: {day}"));
        }
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    if next < tickets.len() {
        let w = app
            .import_tickets(
                p.tenant_id,
                location,
                source,
                &depleter,
                tickets[next..].to_vec(),
            )
            .await
            .map_err(failed)?;
        out.add(&w);
    }
    out.stock = kitchen.map(|k| k.done).unwrap_or_default();
    out.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        seconds = format!("{:.1}", out.seconds),
        sales = format!("{:.1}", out.steps.sales),
        counts_and_waste = format!("{:.1}", out.steps.counts_and_waste),
        receiving = format!("{:.1}", out.steps.receiving),
        ordering = format!("{:.1}", out.steps.ordering),
        production = format!("{:.1}", out.steps.production),
        walk_ins = out.walk_ins,
        "replay steps"
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{longest_delivery_gap, par_from_daily};
    use larder_core::Quantity;

    fn q(s: &str) -> Quantity {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_par_covers_ten_days_or_what_a_lot_keeps_less_half_a_pack_but_the_wait_for_a_delivery() {
        // Rice: 1 kg a day, 10 kg sacks, keeps a year, deliveries up to 4 days apart: ten
        // days, reordered below four days' use.
        assert_eq!(
            par_from_daily(1_000_000, 365, 10_000_000, 4),
            (q("10000"), q("4000"))
        );
        // Spinach: 2 kg a day, 1 kg bags, keeps 7 days, deliveries at most 3 days apart:
        // 7 - 0.25 = 6.75 days.
        assert_eq!(
            par_from_daily(2_000_000, 7, 1_000_000, 3),
            (q("13500"), q("6000"))
        );
        // Chicken: 1.4 kg a day, 2 kg packs, keeps 4 days (4 - 0.714 = 3.286 days), but
        // deliveries are up to 4 days apart: five days, reordered below four.
        assert_eq!(
            par_from_daily(1_400_000, 4, 2_000_000, 4),
            (q("7000"), q("5600"))
        );
        // Not sold lately: one pack, ordered only once it has run out.
        assert_eq!(par_from_daily(0, 7, 500_000, 3), (q("500"), Quantity::ZERO));
    }

    #[test]
    fn the_longest_wait_between_deliveries_wraps_around_the_week() {
        use larder_core::procurement::OrderDays;
        let days = |s: &str| {
            OrderDays::parse(&s.split(',').collect::<Vec<_>>()).unwrap_or_else(|e| panic!("{e}"))
        };
        // Ordered Tuesday and Friday, delivered the next day: Wednesday to Saturday is 3 days,
        // Saturday to Wednesday 4.
        assert_eq!(longest_delivery_gap(days("tuesday,friday"), 1), 4);
        assert_eq!(longest_delivery_gap(days("monday,wednesday,friday"), 1), 3);
        assert_eq!(longest_delivery_gap(days("monday"), 2), 7);
    }
}
