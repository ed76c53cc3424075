//! Stock operations over the demo's history (issue 9), on the store the purchasing bench has
//! just loaded, in this process, through the use cases:
//!
//! - the AvT report of the demo's location for each period between two consecutive monthly
//!   full counts (`App::avt_report` with `from_count`/`to_count`);
//! - a full count of the location (every item of its storage areas) entered by 3 counters at
//!   once, each walking a third of the sheet line by line (`App::enter_count_line`), then
//!   approved; the check that every entered line is on the count;
//! - approving a 300-line count sheet: a bench storage area of 300 items with stock, counted
//!   line by line, then `App::approve_stock_count` timed (the count movements posted against
//!   book stock at each line's instant).

use std::time::Instant;

use anyhow::{Context, anyhow};
use larder_app::analytics::avt::AvtQuery;
use larder_app::catalog::ItemCommand;
use larder_app::inventory::AdjustmentCommand;
use larder_app::inventory::counts::{ApproveCountCommand, CountLineCommand, StartCountCommand};
use larder_app::tenancy::storage_areas::{ShelfCommand, StorageAreaCommand};
use larder_app::{App, Principal};
use larder_core::inventory::MovementKind;
use larder_core::inventory::counts::CountScope;
use larder_core::units::BaseUnit;
use larder_core::{ItemId, Label, LocationId, Money, Quantity, StockCountId};

use crate::demo::text;

/// Items on the sheet whose approval is timed.
pub(crate) const APPROVE_LINES: usize = 300;
/// Counters entering the full count at once.
pub(crate) const COUNTERS: usize = 3;
/// Times the full count and the 300-line approval are repeated.
const FULL_COUNTS: usize = 5;
const APPROVALS: usize = 15;

/// What the stock-operations bench measured on one backend.
#[derive(Clone, Debug, Default)]
pub(crate) struct StockOps {
    /// AvT of the location between two consecutive monthly full counts: milliseconds, sorted.
    pub avt_ms: Vec<f64>,
    /// Of those periods, the ones the completeness gate called trustworthy.
    pub avt_trustworthy: usize,
    /// Lines on the location's full count sheet.
    pub full_count_lines: usize,
    /// Entering the whole full count by [`COUNTERS`] counters at once: seconds, sorted.
    pub full_count_s: Vec<f64>,
    /// Entered lines missing from a count afterwards, over every full count (must be 0).
    pub lost_lines: usize,
    /// Approving a [`APPROVE_LINES`]-line sheet: milliseconds, sorted.
    pub approve_ms: Vec<f64>,
}

fn err(e: larder_app::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

/// Measures on the demo's store, as the demo owner `p`, at the demo's `location`.
///
/// # Errors
/// When a step fails or a count loses an entered line.
pub(crate) async fn measure(
    app: &App,
    p: Principal,
    location: LocationId,
) -> anyhow::Result<StockOps> {
    let mut out = StockOps::default();

    // AvT between consecutive monthly full counts, the latest 24 periods.
    let mut full: Vec<_> = app
        .avt_counts(p, location)
        .await
        .map_err(err)?
        .into_iter()
        .filter(|c| c.scope == "full")
        .collect();
    full.sort_by_key(|c| c.approved_at);
    for pair in full.windows(2).rev().take(24) {
        let started = Instant::now();
        let r = app
            .avt_report(
                p,
                AvtQuery {
                    location_id: location,
                    from: None,
                    to: None,
                    from_count: Some(pair[0].id),
                    to_count: Some(pair[1].id),
                },
            )
            .await
            .map_err(err)?;
        out.avt_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        out.avt_trustworthy += usize::from(r.trustworthy);
    }
    out.avt_ms.sort_by(f64::total_cmp);

    // A full count of the location, entered by three counters at once.
    for _ in 0..FULL_COUNTS {
        let count = start(app, p, location, CountScope::Full, None).await?;
        let sheet = app.get_stock_count(p, count).await.map_err(err)?.sheet;
        out.full_count_lines = sheet.len();
        let started = Instant::now();
        let mut counters = Vec::new();
        for c in 0..COUNTERS {
            let mine: Vec<_> = sheet
                .iter()
                .skip(c)
                .step_by(COUNTERS)
                .map(|l| (l.item_id, l.storage_area_id))
                .collect();
            let app = app.clone();
            counters.push(tokio::spawn(async move {
                for (n, (item, area)) in mine.into_iter().enumerate() {
                    app.enter_count_line(
                        p,
                        count,
                        item,
                        CountLineCommand {
                            storage_area_id: area,
                            quantity: Some(Quantity::from_raw(1_000 * (n as i64 + 1))),
                            ..Default::default()
                        },
                        None,
                    )
                    .await
                    .map_err(err)?;
                }
                anyhow::Ok(())
            }));
        }
        for c in counters {
            c.await.context("a counter panicked")??;
        }
        out.full_count_s.push(started.elapsed().as_secs_f64());
        let entered = app.get_stock_count(p, count).await.map_err(err)?;
        out.lost_lines += sheet.len().saturating_sub(entered.counted_items as usize);
        app.approve_stock_count(p, count, ApproveCountCommand::default(), None, None)
            .await
            .map_err(err)?;
    }
    out.full_count_s.sort_by(f64::total_cmp);
    if out.lost_lines > 0 {
        anyhow::bail!(
            "{} entered count line(s) were missing from the full counts",
            out.lost_lines
        );
    }

    // A 300-item storage area with stock, counted and approved again and again.
    let area = app
        .create_storage_area(
            p,
            location,
            StorageAreaCommand {
                name: text::<Label>("Bench store")?,
            },
            None,
        )
        .await
        .map_err(err)?
        .value
        .id;
    let mut items: Vec<ItemId> = Vec::with_capacity(APPROVE_LINES);
    for n in 0..APPROVE_LINES {
        let item = app
            .create_item(
                p,
                ItemCommand {
                    name: text(&format!("Bench item {n:03}"))?,
                    sku: None,
                    category: Some(text("Bench")?),
                    base_unit: BaseUnit::G,
                    pack_sizes: Vec::new(),
                    barcode: None,
                    unit_cost: Some(Money::from_raw(10_000)),
                    density: None,
                    density_source: None,
                    entry_step: None,
                    entry_rounding: None,
                },
                None,
            )
            .await
            .map_err(err)?
            .value
            .id;
        items.push(item);
    }
    app.set_area_items(
        p,
        area,
        ShelfCommand {
            item_ids: items.clone(),
        },
    )
    .await
    .map_err(err)?;
    let stock: Vec<AdjustmentCommand> = items
        .iter()
        .map(|&item_id| AdjustmentCommand {
            item_id,
            location_id: location,
            quantity: Quantity::from_raw(5_000_000),
            kind: MovementKind::Receipt,
            reason: None,
            occurred_at: None,
            lot_code: None,
            expires_on: None,
        })
        .collect();
    app.post_adjustments(p, stock, None).await.map_err(err)?;
    for round in 0..APPROVALS {
        let count = start(app, p, location, CountScope::Full, Some(area)).await?;
        for (n, &item) in items.iter().enumerate() {
            // Each round counts a little less than the last, so every line posts a movement.
            let counted = 5_000_000 - 1_000 * (round as i64 + 1) - (n as i64 % 7) * 10;
            app.enter_count_line(
                p,
                count,
                item,
                CountLineCommand {
                    storage_area_id: Some(area),
                    quantity: Some(Quantity::from_raw(counted)),
                    ..Default::default()
                },
                None,
            )
            .await
            .map_err(err)?;
        }
        let started = Instant::now();
        app.approve_stock_count(p, count, ApproveCountCommand::default(), None, None)
            .await
            .map_err(err)?;
        out.approve_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
    }
    out.approve_ms.sort_by(f64::total_cmp);
    Ok(out)
}

async fn start(
    app: &App,
    p: Principal,
    location: LocationId,
    scope: CountScope,
    area: Option<larder_core::StorageAreaId>,
) -> anyhow::Result<StockCountId> {
    Ok(app
        .start_stock_count(
            p,
            StartCountCommand {
                location_id: location,
                scope,
                storage_area_id: area,
                item_ids: None,
                blind: false,
                threshold_percent: None,
                threshold_value: None,
                note: None,
            },
            None,
        )
        .await
        .map_err(err)?
        .value
        .id)
}
