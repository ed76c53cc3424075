//! procurement (`PurchaseOrderTx`): purchase orders are numbered per tenant without gaps or
//! sharing, keep their lines and status events, change only at their version (status moves
//! also only from the status they were read in), list newest first by filter and member
//! locations, keep their sent documents once, sum what is on order, and stay in their tenant.

use super::{supplier_item_row, supplier_row};
use crate::*;
use larder_core::PurchaseOrderId;
use larder_core::procurement::purchase_orders::PoStatus;
use larder_store::{
    OnOrderRow, PurchaseOrderDocumentRow, PurchaseOrderEventRow, PurchaseOrderFilter,
    PurchaseOrderLineRow, PurchaseOrderRow, PurchaseOrderStatusChange, SupplierItemRow,
    SupplierRow,
};

contract!(
    purchase_orders_are_numbered_per_tenant_and_change_only_at_their_version,
    purchase_orders_list_newest_first_by_filter_and_member_locations,
    sent_documents_are_kept_once_and_on_order_sums_open_lines,
);

pub(super) fn po_row(
    number: i64,
    supplier: &SupplierRow,
    location: LocationId,
    status: PoStatus,
) -> PurchaseOrderRow {
    PurchaseOrderRow {
        id: PurchaseOrderId::new(),
        number,
        supplier_id: supplier.id,
        location_id: location,
        status,
        currency: "GBP".into(),
        expected_delivery: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
        note: Some("Back door".into()),
        total: money("28.80"),
        version: 1,
        created_by: UserId::new(),
        created_at: at(10, 9),
    }
}

pub(super) fn line(
    no: i32,
    si: &SupplierItemRow,
    packs: i32,
    received: &str,
) -> PurchaseOrderLineRow {
    PurchaseOrderLineRow {
        line_no: no,
        supplier_item_id: si.id,
        item_id: si.item_id,
        packs,
        pack_quantity: si.pack_quantity,
        quantity: Quantity::from_raw(si.pack_quantity.raw() * i64::from(packs)),
        price_per_pack: money("9.60"),
        line_total: Money::from_raw(9_600_000 * i64::from(packs)),
        received_quantity: q(received),
    }
}

/// A supplier and one supplier item of the seed's item, written.
pub(super) async fn supplier_with_item(store: &S, s: &Seed) -> (SupplierRow, SupplierItemRow) {
    let sup = supplier_row("Brakes");
    let si = supplier_item_row(sup.id, s.item, "R-6KG");
    let (a, b) = (sup.clone(), si.clone());
    write(store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_supplier(&a).await?;
            tx.insert_supplier_item(&b).await
        })
    })
    .await;
    (sup, si)
}

async fn purchase_orders_are_numbered_per_tenant_and_change_only_at_their_version(store: S) {
    let s = seed(&store, "po").await;
    let other = seed(&store, "po-other").await;
    let (sup, si) = supplier_with_item(&store, &s).await;
    // Numbers count per tenant from 1; a rolled-back transaction gives its number back.
    let numbers = write(&store, s.tenant, |tx| {
        Box::pin(async move {
            Ok(vec![
                tx.next_purchase_order_number().await?,
                tx.next_purchase_order_number().await?,
            ])
        })
    })
    .await;
    assert_eq!(numbers, [1, 2]);
    let rolled_back = attempt(&store, s.tenant, |tx| {
        Box::pin(async move {
            tx.next_purchase_order_number().await?;
            Err::<(), _>(StoreError::NotFound)
        })
    })
    .await;
    assert_eq!(rolled_back, Err(StoreError::NotFound));
    let theirs = write(&store, other.tenant, |tx| {
        Box::pin(async move { tx.next_purchase_order_number().await })
    })
    .await;
    assert_eq!(theirs, 1);
    // Concurrent transactions never share a number.
    let mut handles = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        let tenant = s.tenant;
        handles.push(tokio::spawn(async move {
            write(&store, tenant, |tx| {
                Box::pin(async move { tx.next_purchase_order_number().await })
            })
            .await
        }));
    }
    let mut got = Vec::new();
    for h in handles {
        got.push(h.await.unwrap());
    }
    got.sort_unstable();
    assert_eq!(got, [3, 4, 5, 6, 7, 8]);

    let po = po_row(3, &sup, s.location, PoStatus::Draft);
    let lines = vec![line(1, &si, 3, "0"), line(2, &si, 1, "0")];
    let (p2, l2) = (po.clone(), lines.clone());
    let (got, got_lines, events, missing) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_purchase_order(&p2, &l2).await?;
            Ok((
                tx.get_purchase_order(p2.id).await?,
                tx.purchase_order_lines(p2.id).await?,
                tx.purchase_order_events(p2.id).await?,
                tx.get_purchase_order(PurchaseOrderId::new()).await?,
            ))
        })
    })
    .await;
    assert_eq!(got, Some(po.clone()));
    assert_eq!(got_lines, lines);
    assert_eq!(
        events,
        vec![PurchaseOrderEventRow {
            version: 1,
            from_status: None,
            to_status: PoStatus::Draft,
            actor: po.created_by,
            at: po.created_at,
            note: None,
        }]
    );
    assert_eq!(missing, None);
    // A number is the tenant's once.
    let dup = PurchaseOrderRow {
        id: PurchaseOrderId::new(),
        ..po.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_purchase_order(&dup, &[]).await })
    })
    .await;
    assert_eq!(err, Err(conflict("purchase_orders_number")));

    // Edited at its version: the header and the whole set of lines are replaced.
    let edited = PurchaseOrderRow {
        note: None,
        total: money("48.00"),
        expected_delivery: NaiveDate::from_ymd_opt(2026, 3, 14).unwrap(),
        version: 2,
        ..po.clone()
    };
    let new_lines = vec![line(1, &si, 5, "0")];
    let (e2, n2) = (edited.clone(), new_lines.clone());
    let (after, after_lines) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.update_purchase_order(&e2, &n2, 1).await?;
            Ok((
                tx.get_purchase_order(e2.id).await?,
                tx.purchase_order_lines(e2.id).await?,
            ))
        })
    })
    .await;
    assert_eq!(after, Some(edited.clone()));
    assert_eq!(after_lines, new_lines);
    let stale = PurchaseOrderRow {
        note: Some("stale".into()),
        version: 2,
        ..po.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_purchase_order(&stale, &[], 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("purchase_orders_version")));
    let gone = PurchaseOrderRow {
        id: PurchaseOrderId::new(),
        ..edited.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_purchase_order(&gone, &[], 2).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));

    // Status moves at the version and from the status read; each is an event.
    let actor = UserId::new();
    let submit = PurchaseOrderStatusChange {
        id: po.id,
        from: PoStatus::Draft,
        to: PoStatus::Submitted,
        expected_version: 2,
        actor,
        at: at(10, 10),
        note: None,
    };
    let s2 = submit.clone();
    let (moved, events) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_purchase_order_status(&s2).await?;
            Ok((
                tx.get_purchase_order(s2.id).await?,
                tx.purchase_order_events(s2.id).await?,
            ))
        })
    })
    .await;
    let moved = moved.unwrap();
    assert_eq!((moved.status, moved.version), (PoStatus::Submitted, 3));
    assert_eq!(
        events.last(),
        Some(&PurchaseOrderEventRow {
            version: 3,
            from_status: Some(PoStatus::Draft),
            to_status: PoStatus::Submitted,
            actor,
            at: at(10, 10),
            note: None,
        })
    );
    // Again from the same reading: its version and status moved on.
    for change in [
        submit.clone(),
        PurchaseOrderStatusChange {
            expected_version: 3,
            ..submit.clone()
        },
    ] {
        let err = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.set_purchase_order_status(&change).await })
        })
        .await;
        assert_eq!(err, Err(conflict("purchase_orders_version")));
    }
    let unknown = PurchaseOrderStatusChange {
        id: PurchaseOrderId::new(),
        ..submit.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.set_purchase_order_status(&unknown).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));

    // Another tenant reads nothing of it and cannot move it.
    let id = po.id;
    let seen = read(&store, other.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_purchase_order(id).await?,
                tx.purchase_order_lines(id).await?,
                tx.purchase_order_events(id).await?,
            ))
        })
    })
    .await;
    assert_eq!(seen, (None, Vec::new(), Vec::new()));
    let theirs = PurchaseOrderStatusChange {
        expected_version: 3,
        from: PoStatus::Submitted,
        to: PoStatus::Approved,
        ..submit
    };
    let err = attempt(&store, other.tenant, move |tx| {
        Box::pin(async move { tx.set_purchase_order_status(&theirs).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
}

async fn purchase_orders_list_newest_first_by_filter_and_member_locations(store: S) {
    let s = seed(&store, "po-list").await;
    let (sup, si) = supplier_with_item(&store, &s).await;
    let bidfood = supplier_row("Bidfood");
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let cook = user_row("Cook");
    let (pk, cid) = (peckham.id, cook.id);
    let rows = vec![
        po_row(1, &sup, s.location, PoStatus::Draft),
        po_row(2, &sup, pk, PoStatus::Sent),
        po_row(3, &bidfood, s.location, PoStatus::Sent),
        po_row(4, &sup, s.location, PoStatus::Sent),
    ];
    let (r2, b2, brixton) = (rows.clone(), bidfood.clone(), s.location);
    let si2 = si.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&peckham).await?;
            tx.insert_supplier(&b2).await?;
            tx.insert_user(&cook).await?;
            tx.insert_membership(cook.id, Role::Staff, at(2, 1)).await?;
            tx.set_member_locations(cook.id, Some(&[brixton]), at(2, 2))
                .await?;
            for r in &r2 {
                tx.insert_purchase_order(r, &[line(1, &si2, 1, "0")])
                    .await?;
            }
            Ok(())
        })
    })
    .await;
    let list = |f: PurchaseOrderFilter| {
        let store = store.clone();
        let tenant = s.tenant;
        async move {
            read(&store, tenant, move |tx| {
                Box::pin(async move { tx.list_purchase_orders(&f).await })
            })
            .await
            .iter()
            .map(|r| r.number)
            .collect::<Vec<_>>()
        }
    };
    let all = PurchaseOrderFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(list(all.clone()).await, [4, 3, 2, 1]);
    assert_eq!(
        list(PurchaseOrderFilter {
            limit: 2,
            ..all.clone()
        })
        .await,
        [4, 3]
    );
    assert_eq!(
        list(PurchaseOrderFilter {
            before: Some(3),
            ..all.clone()
        })
        .await,
        [2, 1]
    );
    assert_eq!(
        list(PurchaseOrderFilter {
            status: Some(PoStatus::Sent),
            supplier: Some(sup.id),
            ..all.clone()
        })
        .await,
        [4, 2]
    );
    assert_eq!(
        list(PurchaseOrderFilter {
            location: Some(pk),
            ..all.clone()
        })
        .await,
        [2]
    );
    // A member limited to Brixton sees Brixton's orders only.
    assert_eq!(
        list(PurchaseOrderFilter {
            scope: LocationScope::Member(cid),
            ..all.clone()
        })
        .await,
        [4, 3, 1]
    );
    let other = seed(&store, "po-list-other").await;
    let none = read(&store, other.tenant, move |tx| {
        Box::pin(async move { tx.list_purchase_orders(&all).await })
    })
    .await;
    assert_eq!(none, Vec::new());
}

async fn sent_documents_are_kept_once_and_on_order_sums_open_lines(store: S) {
    let s = seed(&store, "po-docs").await;
    let other = seed(&store, "po-docs-other").await;
    let (sup, si) = supplier_with_item(&store, &s).await;
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let pk = peckham.id;
    // Open orders (approved, sent, partly received) count, less what was received; a draft, a
    // cancelled and a received one do not, nor does a line received in full.
    let orders = vec![
        (
            po_row(1, &sup, s.location, PoStatus::Approved),
            vec![line(1, &si, 2, "0"), line(2, &si, 1, "6000")],
        ),
        (
            po_row(2, &sup, s.location, PoStatus::PartiallyReceived),
            vec![line(1, &si, 3, "1500.5")],
        ),
        (
            po_row(3, &sup, pk, PoStatus::Sent),
            vec![line(1, &si, 1, "0")],
        ),
        (
            po_row(4, &sup, s.location, PoStatus::Draft),
            vec![line(1, &si, 9, "0")],
        ),
        (
            po_row(5, &sup, s.location, PoStatus::Cancelled),
            vec![line(1, &si, 9, "0")],
        ),
        (
            po_row(6, &sup, s.location, PoStatus::Received),
            vec![line(1, &si, 9, "0")],
        ),
    ];
    let first = orders[0].0.id;
    let pdf = PurchaseOrderDocumentRow {
        kind: "pdf".into(),
        content_type: "application/pdf".into(),
        body: b"%PDF-1.7\n\x00\xff binary".to_vec(),
        rendered_at: at(10, 11),
    };
    let (o2, p2) = (orders.clone(), pdf.clone());
    let (kept, csv, here, everywhere) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&peckham).await?;
            for (po, lines) in &o2 {
                tx.insert_purchase_order(po, lines).await?;
            }
            tx.insert_purchase_order_document(first, &p2).await?;
            Ok((
                tx.purchase_order_document(first, "pdf").await?,
                tx.purchase_order_document(first, "csv").await?,
                tx.on_order(Some(s.location)).await?,
                tx.on_order(None).await?,
            ))
        })
    })
    .await;
    assert_eq!(kept, Some(pdf.clone()));
    assert_eq!(csv, None);
    let rice = |location, quantity: &str| OnOrderRow {
        item_id: s.item,
        location_id: location,
        quantity: q(quantity),
    };
    // 2 x 6 kg + (3 x 6 kg - 1500.5 g) at Brixton.
    assert_eq!(here, vec![rice(s.location, "28499.5")]);
    let mut expected = vec![rice(s.location, "28499.5"), rice(pk, "6000")];
    expected.sort_by_key(|r| r.location_id);
    assert_eq!(everywhere, expected);
    // A document is never replaced.
    let again = PurchaseOrderDocumentRow {
        body: b"other".to_vec(),
        ..pdf
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_purchase_order_document(first, &again).await })
    })
    .await;
    assert_eq!(err, Err(conflict("purchase_order_documents_kind")));
    // Another tenant reads neither the document nor the sums.
    let theirs = read(&store, other.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.purchase_order_document(first, "pdf").await?,
                tx.on_order(None).await?,
            ))
        })
    })
    .await;
    assert_eq!(theirs, (None, Vec::new()));
}
