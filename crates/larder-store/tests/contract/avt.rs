//! analytics, AvT (`AvtTx`): one location's movements summed per item and kind against a
//! period, forwards and backwards to the same book, with exact values from the lots they
//! took; and the completeness gate's reads (unmapped names, orders still to come, counts not
//! approved, days with sales), each in its location, period and tenant. Counts are placed
//! with the counts context's own port (`CountTx`): started, then approved or cancelled.

use crate::*;
use larder_core::inventory::counts::{CountScope, CountStatus, Thresholds};
use larder_core::procurement::purchase_orders::PoStatus;
use larder_core::{PurchaseOrderId, StockCountId, SupplierId};
use larder_store::{
    AvtBucket, AvtCountRow, AvtDirection, AvtLevelRow, AvtOrderRow, AvtSumRow, AvtUnmappedRow,
    CountStatusChange, LotSpec, PurchaseOrderRow, StockCountRow, SupplierRow,
};

contract!(
    movement_sums_split_the_ledger_at_the_period_forwards_and_backwards,
    gate_reads_name_unmapped_sales_orders_due_and_days_with_sales,
    count_headers_read_by_status_location_and_approval,
);

/// An increase opening a lot worth exactly `value`.
fn inflow(s: &Seed, kind: MovementKind, qty: &str, value: &str, t: DateTime<Utc>) -> MovementRow {
    let mut m = mv(s.item, s.location, kind, qty, t);
    m.lot = Some(LotSpec {
        value: Some(money(value)),
        ..Default::default()
    });
    m
}

/// Before the period (10 to 20 March): 10 kg received for 20.00 (0.002 a gram). In it: 5 kg
/// received (12.50) at its very start, 1 kg transferred in (2.00), 2 kg produced (3.00), and
/// every kind of decrease, all taken first-in from the first lot at 0.002: sold 6 kg (12.00),
/// wasted 1 kg (2.00), sent 0.5 kg (1.00), used in production 1.5 kg (3.00), adjusted -0.2 kg
/// (0.40), counted 0.3 kg short (0.60). At its end exactly (after it): 0.4 kg sold (0.80).
async fn movement_sums_split_the_ledger_at_the_period_forwards_and_backwards(store: S) {
    use MovementKind as K;
    let s = seed(&store, "avt-sums").await;
    let other = location_row("Peckham", LocationKind::Outlet);
    let other_id = other.id;
    let (from, to) = (at(10, 0), at(20, 0));
    let out = |kind, qty: &str, t| mv(s.item, s.location, kind, qty, t);
    let postings = vec![
        vec![inflow(&s, K::Receipt, "10000", "20", at(2, 9))],
        vec![inflow(&s, K::Receipt, "5000", "12.5", from)],
        vec![
            inflow(&s, K::TransferIn, "1000", "2", at(11, 9)),
            inflow(&s, K::ProductionOutput, "2000", "3", at(11, 10)),
        ],
        vec![
            out(K::Sale, "-6000", at(12, 12)),
            out(K::Waste, "-1000", at(13, 12)),
            out(K::TransferOut, "-500", at(14, 12)),
            out(K::ProductionUse, "-1500", at(15, 12)),
            out(K::Adjustment, "-200", at(16, 12)),
            out(K::CountAdjustment, "-300", plus_micros(to, -1)),
        ],
        vec![out(K::Sale, "-400", to)],
        // Another location's movement is not this one's.
        vec![mv(s.item, other_id, K::Receipt, "999", at(12, 0))],
    ];
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_location(&other).await })
    })
    .await;
    for p in postings {
        post(&store, s.tenant, p).await;
    }
    let loc = s.location;
    let (span, forward, backward, levels, early) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.avt_ledger_span(loc).await?,
                tx.avt_movement_sums(loc, from, to, AvtDirection::Forward)
                    .await?,
                tx.avt_movement_sums(loc, from, to, AvtDirection::Backward)
                    .await?,
                tx.avt_levels(loc).await?,
                // A period before anything moved.
                tx.avt_movement_sums(loc, at(1, 0), at(2, 0), AvtDirection::Forward)
                    .await?,
            ))
        })
    })
    .await;
    assert_eq!(span, Some((at(2, 9), to)));
    let row = |bucket, qty: &str, value: &str| AvtSumRow {
        item_id: s.item,
        name: "Basmati rice".into(),
        category: Some("dry goods".into()),
        base_unit: BaseUnit::G,
        bucket,
        quantity: q(qty),
        value: money(value),
    };
    let period = vec![
        row(AvtBucket::In(K::Receipt), "5000", "12.5"),
        row(AvtBucket::In(K::TransferIn), "1000", "2"),
        row(AvtBucket::In(K::ProductionOutput), "2000", "3"),
        row(AvtBucket::In(K::Sale), "-6000", "-12"),
        row(AvtBucket::In(K::Waste), "-1000", "-2"),
        row(AvtBucket::In(K::TransferOut), "-500", "-1"),
        row(AvtBucket::In(K::ProductionUse), "-1500", "-3"),
        row(AvtBucket::In(K::Adjustment), "-200", "-0.4"),
        row(AvtBucket::In(K::CountAdjustment), "-300", "-0.6"),
    ];
    let sorted = |mut rows: Vec<AvtSumRow>| {
        rows.sort_by_key(|r| format!("{:?}", r.bucket));
        rows
    };
    let mut want_forward = period.clone();
    want_forward.push(row(AvtBucket::Before, "10000", "20"));
    let mut want_backward = period;
    want_backward.push(row(AvtBucket::After, "-400", "-0.8"));
    assert_eq!(sorted(forward), sorted(want_forward));
    assert_eq!(sorted(backward), sorted(want_backward));
    assert_eq!(
        levels,
        vec![AvtLevelRow {
            item_id: s.item,
            name: "Basmati rice".into(),
            category: Some("dry goods".into()),
            base_unit: BaseUnit::G,
            on_hand: q("8100"),
            value: money("17.7"),
        }]
    );
    assert_eq!(early, Vec::new());

    // Another tenant sees nothing of this location.
    let t2 = seed(&store, "avt-sums-2").await;
    let theirs = read(&store, t2.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.avt_ledger_span(loc).await?,
                tx.avt_movement_sums(loc, from, to, AvtDirection::Backward)
                    .await?,
                tx.avt_levels(loc).await?,
            ))
        })
    })
    .await;
    assert_eq!(theirs, (None, Vec::new(), Vec::new()));
}

fn supplier(name: &str) -> SupplierRow {
    SupplierRow {
        id: SupplierId::new(),
        name: name.into(),
        email: None,
        phone: None,
        account_number: None,
        order_days: "monday".into(),
        lead_time_days: 1,
        min_order_value: None,
        currency: "GBP".into(),
        active: true,
        version: 1,
        created_at: at(1, 9),
    }
}

fn order(
    number: i64,
    sup: SupplierId,
    location: LocationId,
    status: PoStatus,
    due: u32,
) -> PurchaseOrderRow {
    PurchaseOrderRow {
        id: PurchaseOrderId::new(),
        number,
        supplier_id: sup,
        location_id: location,
        status,
        currency: "GBP".into(),
        expected_delivery: NaiveDate::from_ymd_opt(2026, 3, due).unwrap(),
        note: None,
        total: money("0"),
        version: 1,
        created_by: UserId::new(),
        created_at: at(1, 9),
    }
}

async fn gate_reads_name_unmapped_sales_orders_due_and_days_with_sales(store: S) {
    let s = seed(&store, "avt-gate").await;
    let other = location_row("Peckham", LocationKind::Outlet);
    let (loc, oth) = (s.location, other.id);
    let sup = supplier("Brakes");
    let sup_id = sup.id;
    let sales = vec![
        // Before the period (10 March 04:00 UTC): not read.
        sale(
            loc,
            None,
            at(10, 3),
            vec![sale_line(1, "Mystery", "5", "1")],
        ),
        sale(
            loc,
            None,
            at(10, 4),
            vec![
                sale_line(1, "Mystery", "2", "1"),
                sale_line(2, "Chips", "1", "1"),
            ],
        ),
        sale(
            loc,
            None,
            at(12, 20),
            vec![sale_line(1, "Mystery", "1.5", "1")],
        ),
        // Past midnight UTC, before the 04:00 cutoff: the 12th's business day.
        sale(loc, None, at(13, 2), vec![sale_line(1, "Chips", "1", "1")]),
        // Another location's.
        sale(
            oth,
            None,
            at(11, 12),
            vec![sale_line(1, "Elsewhere", "1", "1")],
        ),
        // At the period's end: not read.
        sale(loc, None, at(14, 4), vec![sale_line(1, "Late", "1", "1")]),
    ];
    let orders = vec![
        order(1, sup_id, loc, PoStatus::Sent, 11),
        order(2, sup_id, loc, PoStatus::PartiallyReceived, 13),
        order(3, sup_id, loc, PoStatus::Approved, 10),
        order(4, sup_id, loc, PoStatus::Received, 11), // done
        order(5, sup_id, loc, PoStatus::Draft, 11),    // not agreed
        order(6, sup_id, loc, PoStatus::Cancelled, 11),
        order(7, sup_id, loc, PoStatus::Sent, 14), // after the last day
        order(8, sup_id, oth, PoStatus::Sent, 11), // another location
    ];
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&other).await?;
            tx.insert_supplier(&sup).await?;
            for o in &orders {
                tx.insert_purchase_order(o, &[]).await?;
            }
            tx.insert_sales(&sales).await
        })
    })
    .await;
    let (from, to) = (at(10, 4), at(14, 4));
    let (unmapped, top1, due, days_cutoff, days_utc) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let first = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
            let last = NaiveDate::from_ymd_opt(2026, 3, 13).unwrap();
            Ok((
                tx.avt_unmapped_sales(loc, from, to, 50).await?,
                tx.avt_unmapped_sales(loc, from, to, 1).await?,
                tx.avt_orders_due(loc, first, last, 50).await?,
                tx.avt_sale_days(loc, from, to, -4 * 3600).await?,
                tx.avt_sale_days(loc, from, to, 0).await?,
            ))
        })
    })
    .await;
    let name = |n: &str, lines: i64, qty: &str| AvtUnmappedRow {
        item_name: n.into(),
        lines,
        quantity: q(qty),
    };
    assert_eq!(
        unmapped,
        vec![name("Chips", 2, "2"), name("Mystery", 2, "3.5")]
    );
    assert_eq!(top1, vec![name("Chips", 2, "2")]);
    let due_row = |number, status: &str, d: &str| AvtOrderRow {
        number,
        status: status.into(),
        expected_delivery: d.into(),
    };
    assert_eq!(
        due,
        vec![
            due_row(1, "sent", "2026-03-11"),
            due_row(2, "partially_received", "2026-03-13"),
            due_row(3, "approved", "2026-03-10"),
        ]
    );
    assert_eq!(days_cutoff, vec![day(3, 10), day(3, 12)]);
    assert_eq!(days_utc, vec![day(3, 10), day(3, 12), day(3, 13)]);

    // Another tenant reads none of it.
    let t2 = seed(&store, "avt-gate-2").await;
    let theirs = read(&store, t2.tenant, move |tx| {
        Box::pin(async move {
            let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
            let last = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
            Ok((
                tx.avt_unmapped_sales(loc, from, to, 50).await?,
                tx.avt_orders_due(loc, first, last, 50).await?,
                tx.avt_sale_days(loc, from, to, 0).await?,
            ))
        })
    })
    .await;
    assert_eq!(theirs, (Vec::new(), Vec::new(), Vec::new()));
}

/// A count started at `started` at `location` (open, with an empty sheet), and what ends it:
/// approval or cancellation at an instant, or nothing.
struct Placed {
    row: StockCountRow,
    end: Option<(CountStatus, DateTime<Utc>)>,
}

fn count(
    location: LocationId,
    scope: CountScope,
    started: DateTime<Utc>,
    end: Option<(CountStatus, DateTime<Utc>)>,
) -> Placed {
    Placed {
        row: StockCountRow {
            id: StockCountId::new(),
            location_id: location,
            storage_area_id: None,
            scope,
            blind: false,
            status: CountStatus::Open,
            thresholds: Thresholds {
                percent: q("5"),
                value: money("20"),
            },
            note: None,
            started_at: started,
            started_by: UserId::new(),
            approved_at: None,
            approved_by: None,
            cancelled_at: None,
            cancelled_by: None,
            version: 1,
        },
        end,
    }
}

impl Placed {
    /// The header as AvT reads it once the count has ended as placed.
    fn seen(&self) -> AvtCountRow {
        let status = self.end.map_or(CountStatus::Open, |(s, _)| s);
        AvtCountRow {
            id: self.row.id,
            location_id: self.row.location_id,
            scope: self.row.scope.as_str().into(),
            status: status.as_str().into(),
            started_at: self.row.started_at,
            started_by: self.row.started_by,
            approved_at: self
                .end
                .filter(|(s, _)| *s == CountStatus::Approved)
                .map(|(_, t)| t),
        }
    }
}

async fn count_headers_read_by_status_location_and_approval(store: S) {
    let s = seed(&store, "avt-counts").await;
    let other = location_row("Peckham", LocationKind::Outlet);
    let loc = s.location;
    let approved = |t| Some((CountStatus::Approved, t));
    let march1 = count(loc, CountScope::Full, at(1, 6), approved(at(1, 8)));
    let march8 = count(loc, CountScope::Cycle, at(8, 6), approved(at(8, 9)));
    let open5 = count(loc, CountScope::Full, at(5, 10), None);
    let open9 = count(loc, CountScope::Full, at(9, 10), None);
    let cancelled = count(
        loc,
        CountScope::Full,
        at(4, 10),
        Some((CountStatus::Cancelled, at(4, 12))),
    );
    let elsewhere = count(other.id, CountScope::Full, at(2, 10), None);
    let all: Vec<_> = [&march1, &march8, &open5, &open9, &cancelled, &elsewhere]
        .iter()
        .map(|c| (c.row.clone(), c.end))
        .collect();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&other).await?;
            for (row, end) in &all {
                tx.insert_stock_count(row, &[]).await?;
                if let Some((to, when)) = *end {
                    tx.set_stock_count_status(&CountStatusChange {
                        id: row.id,
                        to,
                        expected_version: Some(1),
                        by: row.started_by,
                        at: when,
                    })
                    .await?;
                }
            }
            Ok(())
        })
    })
    .await;
    let (march1, march8, open5, open9) = (march1.seen(), march8.seen(), open5.seen(), open9.seen());
    let ids = (march1.id, open9.id);
    let (got, open_before_9, approved_all, approved_range, approved_one) =
        read(&store, s.tenant, move |tx| {
            Box::pin(async move {
                Ok((
                    (tx.avt_count(ids.0).await?, tx.avt_count(ids.1).await?),
                    tx.avt_open_counts(loc, at(9, 10), 50).await?,
                    tx.avt_approved_counts(loc, None, None, 50).await?,
                    tx.avt_approved_counts(loc, Some(at(1, 8)), Some(at(8, 8)), 50)
                        .await?,
                    tx.avt_approved_counts(loc, None, None, 1).await?,
                ))
            })
        })
        .await;
    assert_eq!(got, (Some(march1.clone()), Some(open9.clone())));
    // Started strictly before 9 March 10:00: the count opened then is not.
    assert_eq!(open_before_9, vec![open5.clone()]);
    assert_eq!(approved_all, vec![march8.clone(), march1.clone()]);
    assert_eq!(approved_range, vec![march1.clone()]);
    assert_eq!(approved_one, vec![march8.clone()]);

    // Another tenant cannot read the counts.
    let t2 = seed(&store, "avt-counts-2").await;
    let id = march1.id;
    let theirs = read(&store, t2.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.avt_count(id).await?,
                tx.avt_open_counts(loc, at(31, 0), 50).await?,
                tx.avt_approved_counts(loc, None, None, 50).await?,
            ))
        })
    })
    .await;
    assert_eq!(theirs, (None, Vec::new(), Vec::new()));
}
