//! The demo buys its stock (issue 8): its sales history is replayed day by day with the
//! purchasing a kitchen would have done around it, through the use cases.
//!
//! Each business day at 06:00 local time, in this order: the sales of the day before are
//! imported (they deplete stock through the recipes, lots first-expiry-first-out); the
//! deliveries due that day are received into lots (lot code from the SKU and date, expiry from
//! the book's shelf life); then each supplier that takes orders that weekday gets an order of
//! what the reorder suggestions say (par levels from the history's weekly usage, on hand and on
//! order as they stand, daily usage of the last 28 days), recorded as placed at that instant.
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
use larder_app::analytics::UsageSeries;
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
    /// Seconds the replay took.
    pub seconds: f64,
}

impl Replayed {
    fn add(&mut self, w: &larder_app::sales::import::TicketsWritten) {
        self.tickets += w.tickets;
        self.lines_depleted += w.lines_depleted;
        self.movements += w.movements;
    }
}

/// The note on the demo's orders.
fn order_note(day: NaiveDate) -> String {
    format!("Demo order placed {day}")
}

/// Each item's weekly usage over the history, as [`UsageSeries`] (the par rule reads it).
fn weekly_usage(
    usage: &[(DateTime<Utc>, ItemId, Quantity)],
    cal: &larder_app::analytics::Calendar,
) -> Vec<UsageSeries> {
    let mut by_item: BTreeMap<ItemId, BTreeMap<NaiveDate, i64>> = BTreeMap::new();
    for (at, item, q) in usage {
        *by_item
            .entry(*item)
            .or_default()
            .entry(cal.week_of(cal.business_date(*at)))
            .or_default() += q.raw();
    }
    by_item
        .into_iter()
        .map(|(item, weeks)| UsageSeries {
            item_id: item,
            name: String::new(),
            base_unit: larder_core::BaseUnit::G,
            total: Quantity::from_raw(weeks.values().sum()),
            weeks: weeks
                .into_iter()
                .map(|(w, q)| (w, Quantity::from_raw(q)))
                .collect(),
        })
        .collect()
}

/// Replays `tickets` (sorted or not) with purchasing, at `location` of `p`'s tenant, the items
/// supplied as `supply` says; `source` is the tickets' sales source.
///
/// # Errors
/// The use cases' errors.
pub async fn replay(
    app: &App,
    p: Principal,
    location: LocationId,
    source: &str,
    mut tickets: Vec<ParsedTicket>,
    supply: &BTreeMap<ItemId, DemoSupply>,
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
    let importer = app.ticket_importer(p.tenant_id).await.map_err(failed)?;
    let depleter = importer.depleter().map_err(failed)?;
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

    // Par levels and reorder points from the history's weekly usage, and the opening count at
    // par the day before the first week, once.
    if resume == 0 && !crate::demo::opening_posted(app, p, location).await? {
        let usage = larder_app::sales::import::usage_of_tickets(&depleter, location, &tickets)
            .map_err(failed)?;
        let packs: HashMap<ItemId, Quantity> =
            supply.iter().map(|(i, s)| (*i, s.pack_quantity)).collect();
        let pars = crate::demo::derive_par_levels(&weekly_usage(&usage, &cal), &packs);
        for (item, (par, reorder)) in &pars {
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
        let cmds: Vec<AdjustmentCommand> = pars
            .iter()
            .map(|(item, (par, _))| AdjustmentCommand {
                item_id: *item,
                location_id: location,
                quantity: *par,
                kind: MovementKind::Opening,
                reason: Some(reason.clone()),
                occurred_at: Some(opening_at),
                lot_code: None,
                expires_on: None,
            })
            .collect();
        out.openings = cmds.len();
        app.post_adjustments(p, cmds, None)
            .await
            .map_err(failed)
            .context("posting the opening count")?;
    }

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
        // 2. The deliveries due today.
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
        // 3. Orders from the suppliers that take them today, from the reorder suggestions.
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
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}
