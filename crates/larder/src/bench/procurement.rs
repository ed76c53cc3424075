//! Purchasing and valuation over the demo's full history (issue 8): stock value as of 100
//! dates spread over the four years (the ledger summed up to each), and receiving a 40-line
//! purchase order (receipt movements into lots, order lines and status), in this process,
//! through the use cases. Then, on the same store, the stock-operations bench
//! ([`super::stock_ops`]).

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, anyhow};
use chrono::Duration;
use larder_app::inventory::valuation::StockValueQuery;
use larder_app::procurement::goods_receipts::{ReceiptCommand, ReceiptLineCommand};
use larder_app::procurement::purchase_orders::{PurchaseOrderCommand, PurchaseOrderLineCommand};
use larder_core::procurement::purchase_orders::PoAction;
use larder_core::{Quantity, SupplierId};

use crate::Config;
use crate::demo::{DEMO_EMAIL, text};

/// What the purchasing bench measured on one backend.
#[derive(Clone, Debug, Default)]
pub(crate) struct Procurement {
    /// The demo's load (book, suppliers, and the four years replayed with their purchasing),
    /// seconds.
    pub replay_seconds: f64,
    /// Purchase orders the replay placed.
    pub orders: usize,
    /// Deliveries it received.
    pub deliveries: usize,
    /// Stock value as of a date: milliseconds, sorted.
    pub valuation_ms: Vec<f64>,
    /// Receiving one 40-line order: milliseconds, sorted.
    pub receive_ms: Vec<f64>,
    /// Reorder suggestions for every item of the demo's location: milliseconds, sorted.
    pub reorder_ms: Vec<f64>,
}

/// The nearest-rank percentile `p` (0..=100) of sorted samples.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// A deterministic sequence in `[0, 1)` (xorshift64*), so runs value the same dates.
struct Dates(u64);

impl Dates {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Loads the demo into `config`'s database and measures.
///
/// # Errors
/// When the store cannot be opened or a step fails.
pub(crate) async fn run(
    config: &Config,
) -> anyhow::Result<(Procurement, anyhow::Result<super::stock_ops::StockOps>)> {
    let store = crate::open_store(config).await?;
    let app = crate::build_app(config, store.clone())?;
    let started = Instant::now();
    let loaded = crate::demo::load_demo(&app, &indicatif::ProgressBar::hidden())
        .await
        .context("loading the demo")?;
    let replay_seconds = started.elapsed().as_secs_f64();
    let p = app
        .operator_principal(&text(DEMO_EMAIL)?)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("the demo owner is missing"))?;
    let mut out = Procurement {
        replay_seconds,
        orders: loaded.orders,
        deliveries: loaded.receipts,
        ..Procurement::default()
    };

    // Valuation as of 100 dates over the history.
    let (first, last) = app
        .sales_span(p)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("the demo has no sales"))?;
    let span = (last - first).num_seconds().max(1) as f64;
    let mut dates = Dates(0x9E37_79B9_7F4A_7C15);
    for _ in 0..100 {
        let at = first + Duration::seconds((dates.next() * span) as i64);
        let started = Instant::now();
        app.stock_value(
            p,
            StockValueQuery {
                as_of: Some(at),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
        out.valuation_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
    }
    out.valuation_ms.sort_by(f64::total_cmp);

    // Receiving a 40-line order from the supplier that sells the most items, 25 times.
    let location = app
        .list_locations(p, None, None)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .data
        .first()
        .map(|l| l.id)
        .ok_or_else(|| anyhow!("the demo has no location"))?;
    // Reorder suggestions for every item of the location, 20 times.
    for _ in 0..20 {
        let started = Instant::now();
        app.reorder_suggestions(
            p,
            larder_app::procurement::reorder::ReorderQuery {
                location_id: location,
                days: None,
                as_of: Some(last),
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
        out.reorder_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
    }
    out.reorder_ms.sort_by(f64::total_cmp);
    let supply = crate::demo::demo_supply(&app, p).await?;
    let mut by_supplier: BTreeMap<SupplierId, Vec<_>> = BTreeMap::new();
    for s in supply.values() {
        by_supplier
            .entry(s.supplier_id)
            .or_default()
            .push(s.clone());
    }
    let (supplier, items) = by_supplier
        .into_iter()
        .max_by_key(|(_, v)| v.len())
        .ok_or_else(|| anyhow!("the demo has no suppliers"))?;
    let lines: Vec<PurchaseOrderLineCommand> = items
        .iter()
        .cycle()
        .take(40)
        .map(|s| PurchaseOrderLineCommand {
            supplier_item_id: s.supplier_item_id,
            packs: s.moq_packs,
            price_per_pack: None,
        })
        .collect();
    for _ in 0..25 {
        let po = app
            .create_purchase_order(
                p,
                PurchaseOrderCommand {
                    supplier_id: supplier,
                    location_id: location,
                    expected_delivery: None,
                    note: None,
                    lines: lines.clone(),
                },
                None,
            )
            .await
            .map_err(|e| anyhow!("{e}"))?
            .value;
        for action in [PoAction::Submit, PoAction::Approve, PoAction::Send] {
            app.transition_purchase_order(p, po.id, action, None, None)
                .await
                .map_err(|e| anyhow!("{e}"))?;
        }
        let receipt = ReceiptCommand {
            purchase_order_id: Some(po.id),
            lines: po
                .lines
                .iter()
                .map(|l| ReceiptLineCommand {
                    po_line: Some(l.line_no),
                    packs: Some(Quantity::from_raw(i64::from(l.packs) * 1000)),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let started = Instant::now();
        app.receive_goods(p, receipt, None)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        out.receive_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
    }
    out.receive_ms.sort_by(f64::total_cmp);
    let ops = super::stock_ops::measure(&app, p, location).await;
    let bad = app.check_ledger().await.map_err(|e| anyhow!("{e}"))?.len()
        + app.check_costs().await.map_err(|e| anyhow!("{e}"))?.len();
    store.close().await;
    if bad > 0 {
        anyhow::bail!("the ledger check failed after the purchasing bench: {bad} level(s)");
    }
    Ok((out, ops))
}
