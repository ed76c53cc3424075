//! inventory (`CountTx`): a stock count keeps its header, its sheet in walking order and its
//! lines (append-only, each moving the count's version on while it is open); a line or a
//! status change on a count that is no longer open is refused; the reads variance needs (the
//! location's levels with their cost, the movements after an instant) answer exactly; and
//! every id stays in its tenant. Storage areas are placed with tenancy's own port
//! (`StorageAreaTx`), as the storage-area endpoints place them.

use crate::*;
use larder_core::inventory::counts::{CountScope, CountStatus, Thresholds};
use larder_core::{StockCountId, StorageAreaId};
use larder_store::{
    CountLineRow, CountResultRow, CountSheetRow, CountStatusChange, StockCountFilter,
    StockCountRow, StorageAreaRow,
};

contract!(a_count_keeps_its_sheet_lines_and_results_and_stays_in_its_tenant,);

fn area(location: LocationId, name: &str, position: i32) -> StorageAreaRow {
    StorageAreaRow {
        id: StorageAreaId::new(),
        location_id: location,
        name: name.into(),
        position,
        version: 1,
        created_at: at(1, 10),
        retired_at: None,
    }
}

fn count_row(location: LocationId, area: Option<StorageAreaId>) -> StockCountRow {
    StockCountRow {
        id: StockCountId::new(),
        location_id: location,
        storage_area_id: area,
        scope: CountScope::Full,
        blind: true,
        status: CountStatus::Open,
        thresholds: Thresholds {
            percent: q("2.5"),
            value: money("15"),
        },
        note: Some("month end".into()),
        started_at: at(3, 9),
        started_by: UserId::new(),
        approved_at: None,
        approved_by: None,
        cancelled_at: None,
        cancelled_by: None,
        version: 1,
    }
}

fn line(
    c: &StockCountRow,
    item: ItemId,
    area: Option<StorageAreaId>,
    qty: &str,
    t: DateTime<Utc>,
) -> CountLineRow {
    CountLineRow {
        id: uuid::Uuid::now_v7(),
        stock_count_id: c.id,
        item_id: item,
        storage_area_id: area,
        quantity: q(qty),
        amount: Some("1 sack".into()),
        on_sheet: true,
        counted_at: t,
        counted_by: UserId::new(),
        recorded_at: plus_micros(t, 5),
    }
}

async fn a_count_keeps_its_sheet_lines_and_results_and_stays_in_its_tenant(store: S) {
    let s = seed(&store, "counts").await;
    let oil = ItemRow {
        base_unit: BaseUnit::Ml,
        ..item_row("Olive oil", Some("OIL-1"))
    };
    let oil_id = oil.id;
    // The dry store is walked first (position 1), the walk-in second; the old bar, retired,
    // is on no sheet.
    let walk_in = area(s.location, "Walk-in", 2);
    let dry = area(s.location, "Dry store", 1);
    let bar = StorageAreaRow {
        retired_at: Some(at(1, 11)),
        ..area(s.location, "Old bar", 3)
    };
    let (w, d, b, o) = (walk_in.clone(), dry.clone(), bar.clone(), oil.clone());
    let (rice, loc) = (s.item, s.location);
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&o).await?;
            tx.insert_storage_area(&w).await?;
            tx.insert_storage_area(&d).await?;
            tx.insert_storage_area(&b).await?;
            tx.set_area_items(w.id, &[oil_id]).await?;
            tx.set_area_items(d.id, &[rice, oil_id]).await?;
            tx.set_area_items(b.id, &[rice]).await
        })
    })
    .await;
    let (wid, did) = (walk_in.id, dry.id);
    let (all, one) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.count_sheet_source(loc, None).await?,
                tx.count_sheet_source(loc, Some(wid)).await?,
            ))
        })
    })
    .await;
    let pairs: Vec<_> = all.iter().map(|r| (r.storage_area_id, r.item_id)).collect();
    assert_eq!(pairs, vec![(did, rice), (did, oil_id), (wid, oil_id)]);
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].storage_area_id, one[0].item_id), (wid, oil_id));

    // Rice: 10 kg opened on the 2nd, 2 kg sold at 10:00 and 1.5 kg at 12:00 on the 3rd.
    let mut opening = mv(rice, loc, MovementKind::Opening, "10000", at(2, 8));
    opening.unit_cost = Some(money("0.0012"));
    post(
        &store,
        s.tenant,
        vec![
            opening,
            mv(rice, loc, MovementKind::Sale, "-2000", at(3, 10)),
            mv(rice, loc, MovementKind::Sale, "-1500", at(3, 12)),
        ],
    )
    .await;
    let bid = bar.id;
    let (levels, before, area_read, nowhere) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.count_book(loc, at(3, 10)).await?,
                tx.count_book(loc, at(2, 0)).await?,
                (
                    tx.get_storage_area(wid).await?,
                    tx.get_storage_area(bid).await?,
                ),
                tx.get_storage_area(StorageAreaId::new()).await?,
            ))
        })
    })
    .await;
    assert_eq!(levels.len(), 1);
    assert_eq!((levels[0].item_id, levels[0].on_hand), (rice, q("6500")));
    assert_eq!(levels[0].unit_cost, Some(money("0.0012")));
    assert_eq!(levels[0].later, vec![(at(3, 12), q("-1500"))]);
    let mut all_later = before[0].later.clone();
    all_later.sort();
    assert_eq!(
        all_later,
        vec![
            (at(2, 8), q("10000")),
            (at(3, 10), q("-2000")),
            (at(3, 12), q("-1500"))
        ]
    );
    // An area reads back whole, a retired one too (a count started before it was retired
    // still names it).
    assert_eq!(area_read, (Some(walk_in.clone()), Some(bar.clone())));
    assert!(nowhere.is_none());

    // The count and its sheet, read back with names.
    let c = count_row(loc, None);
    let sheet = vec![
        CountSheetRow {
            line_no: 1,
            item_id: rice,
            storage_area_id: Some(did),
        },
        CountSheetRow {
            line_no: 2,
            item_id: oil_id,
            storage_area_id: Some(did),
        },
        CountSheetRow {
            line_no: 3,
            item_id: oil_id,
            storage_area_id: Some(wid),
        },
        CountSheetRow {
            line_no: 4,
            item_id: rice,
            storage_area_id: None,
        },
    ];
    let (c2, sh) = (c.clone(), sheet.clone());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_stock_count(&c2, &sh).await })
    })
    .await;
    let id = c.id;
    let (got, read_sheet) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_stock_count(id).await?,
                tx.stock_count_sheet(id).await?,
            ))
        })
    })
    .await;
    assert_eq!(got.as_ref(), Some(&c));
    let names: Vec<_> = read_sheet
        .iter()
        .map(|l| {
            (
                l.line_no,
                l.item_name.as_str(),
                l.area_name.as_deref(),
                l.base_unit,
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (1, "Basmati rice", Some("Dry store"), BaseUnit::G),
            (2, "Olive oil", Some("Dry store"), BaseUnit::Ml),
            (3, "Olive oil", Some("Walk-in"), BaseUnit::Ml),
            (4, "Basmati rice", None, BaseUnit::G),
        ]
    );

    // Lines: each moves the version on; a recount is a newer line, the older one kept.
    let first = line(&c, rice, Some(did), "6200", at(3, 11));
    let recount = line(&c, rice, Some(did), "6400", at(3, 11));
    let recount = CountLineRow {
        recorded_at: plus_micros(at(3, 11), 9),
        ..recount
    };
    let off_sheet = CountLineRow {
        on_sheet: false,
        amount: None,
        ..line(&c, oil_id, None, "750", at(3, 13))
    };
    let (a, b, o2) = (first.clone(), recount.clone(), off_sheet.clone());
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_count_line(&a).await?;
            tx.insert_count_line(&b).await?;
            tx.insert_count_line(&o2).await
        })
    })
    .await;
    let (version, lines) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_stock_count(id).await?.map(|c| c.version),
                tx.count_lines(id).await?,
            ))
        })
    })
    .await;
    assert_eq!(version, Some(4));
    assert_eq!(
        lines,
        vec![first.clone(), recount.clone(), off_sheet.clone()]
    );

    // Approval: a stale version is refused, the version read is accepted; afterwards neither
    // a line nor another status change goes through.
    let change = CountStatusChange {
        id,
        to: CountStatus::Approved,
        expected_version: Some(3),
        by: UserId::new(),
        at: at(3, 14),
    };
    let stale = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.set_stock_count_status(&change).await })
    })
    .await;
    assert_eq!(stale, Err(conflict("stock_counts_version")));
    let ok = CountStatusChange {
        expected_version: Some(4),
        ..change
    };
    let results = vec![
        CountResultRow {
            item_id: rice,
            counted: Some(q("6400")),
            book: q("8000"),
            at: at(3, 11),
            adjustment: q("-1600"),
            movement_id: None,
        },
        CountResultRow {
            item_id: oil_id,
            counted: None,
            book: q("0"),
            at: at(3, 14),
            adjustment: q("0"),
            movement_id: None,
        },
    ];
    let r = results.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_stock_count_status(&ok).await?;
            tx.insert_count_results(id, &r).await
        })
    })
    .await;
    let late = line(&c, rice, Some(did), "1", at(3, 15));
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_count_line(&late).await })
    })
    .await;
    assert_eq!(err, Err(conflict("stock_counts_status")));
    let cancel = CountStatusChange {
        to: CountStatus::Cancelled,
        expected_version: None,
        ..ok
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.set_stock_count_status(&cancel).await })
    })
    .await;
    assert_eq!(err, Err(conflict("stock_counts_version")));
    let (after, mut got_results) = read(&store, s.tenant, move |tx| {
        Box::pin(async move { Ok((tx.get_stock_count(id).await?, tx.count_results(id).await?)) })
    })
    .await;
    let after = after.unwrap_or_else(|| panic!("the count is gone"));
    assert_eq!(after.status, CountStatus::Approved);
    assert_eq!(
        (after.approved_at, after.approved_by),
        (Some(at(3, 14)), Some(ok.by))
    );
    assert_eq!((after.cancelled_at, after.version), (None, 5));
    let mut want = results.clone();
    want.sort_by_key(|r| r.item_id);
    got_results.sort_by_key(|r| r.item_id);
    assert_eq!(got_results, want);

    // A second, cancelled count; lists filter by status and location, newest first.
    let other = count_row(loc, Some(wid));
    let (o3, oid) = (other.clone(), other.id);
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_stock_count(&o3, &[]).await?;
            tx.set_stock_count_status(&CountStatusChange {
                id: oid,
                to: CountStatus::Cancelled,
                expected_version: None,
                by: UserId::new(),
                at: at(4, 9),
            })
            .await
        })
    })
    .await;
    let (everything, approved, elsewhere, paged) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let f = StockCountFilter {
                limit: 10,
                ..Default::default()
            };
            Ok((
                tx.list_stock_counts(&f).await?,
                tx.list_stock_counts(&StockCountFilter {
                    status: Some(CountStatus::Approved),
                    ..f.clone()
                })
                .await?,
                tx.list_stock_counts(&StockCountFilter {
                    location: Some(LocationId::new()),
                    ..f.clone()
                })
                .await?,
                tx.list_stock_counts(&StockCountFilter {
                    before: Some(oid),
                    ..f
                })
                .await?,
            ))
        })
    })
    .await;
    let ids: Vec<_> = everything.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![oid, id]);
    assert_eq!(everything[0].status, CountStatus::Cancelled);
    assert_eq!(everything[0].cancelled_at, Some(at(4, 9)));
    assert_eq!(approved.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    assert!(elsewhere.is_empty());
    assert_eq!(paged.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);

    // Another tenant sees none of it and cannot write to it.
    let t2 = seed(&store, "counts-other").await;
    let foreign = line(&c, t2.item, None, "1", at(3, 12));
    let err = attempt(&store, t2.tenant, move |tx| {
        Box::pin(async move { tx.insert_count_line(&foreign).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
    let (seen, listed, sheet_seen, lines_seen, area_seen) = read(&store, t2.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_stock_count(id).await?,
                tx.list_stock_counts(&StockCountFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?,
                tx.stock_count_sheet(id).await?,
                tx.count_lines(id).await?,
                tx.get_storage_area(wid).await?,
            ))
        })
    })
    .await;
    assert!(seen.is_none() && listed.is_empty() && sheet_seen.is_empty() && lines_seen.is_empty());
    assert!(area_seen.is_none());
    let gone = CountStatusChange {
        id,
        to: CountStatus::Cancelled,
        expected_version: None,
        by: UserId::new(),
        at: at(5, 1),
    };
    let err = attempt(&store, t2.tenant, move |tx| {
        Box::pin(async move { tx.set_stock_count_status(&gone).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
}
