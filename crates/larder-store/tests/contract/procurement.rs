//! procurement (`ProcurementTx`): suppliers round trip, change only at their version, keep
//! their names unique per tenant, list by name with a cursor (inactive ones on request), and
//! stay in their tenant.

use crate::*;
use larder_core::SupplierId;
use larder_store::SupplierRow;

contract!(
    suppliers_round_trip_and_change_only_at_their_version,
    suppliers_list_by_name_with_a_cursor_and_inactive_ones_on_request,
);

fn supplier_row(name: &str) -> SupplierRow {
    SupplierRow {
        id: SupplierId::new(),
        name: name.into(),
        email: Some("orders@example.com".into()),
        phone: None,
        account_number: Some("AC-1".into()),
        order_days: "monday,thursday".into(),
        lead_time_days: 2,
        min_order_value: Some(money("150")),
        currency: "GBP".into(),
        active: true,
        version: 1,
        created_at: at(1, 9),
    }
}

async fn suppliers_round_trip_and_change_only_at_their_version(store: S) {
    let s = seed(&store, "suppliers").await;
    let other = seed(&store, "suppliers-other").await;
    let a = supplier_row("Brakes");
    let changed = SupplierRow {
        name: "Brakes Foodservice".into(),
        lead_time_days: 1,
        min_order_value: None,
        active: false,
        version: 2,
        ..a.clone()
    };
    let (a2, c2) = (a.clone(), changed.clone());
    let (got, missing, after) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_supplier(&a2).await?;
            let got = tx.get_supplier(a2.id).await?;
            let missing = tx.get_supplier(SupplierId::new()).await?;
            tx.update_supplier(&c2, 1).await?;
            Ok((got, missing, tx.get_supplier(a2.id).await?))
        })
    })
    .await;
    assert_eq!(got, Some(a.clone()));
    assert_eq!(missing, None);
    assert_eq!(after, Some(changed.clone()));
    // At a version that moved on: a conflict, and nothing changes.
    let stale = SupplierRow {
        name: "Stale".into(),
        version: 2,
        ..a.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_supplier(&stale, 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("suppliers_version")));
    let gone = SupplierRow {
        id: SupplierId::new(),
        ..a.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_supplier(&gone, 1).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
    // Names are unique in a tenant, not across tenants.
    let dup = SupplierRow {
        id: SupplierId::new(),
        ..changed.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_supplier(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("suppliers_name")));
    let theirs = SupplierRow {
        id: SupplierId::new(),
        ..changed.clone()
    };
    let id = a.id;
    let (inserted, mine) = write(&store, other.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_supplier(&theirs).await?;
            Ok((true, tx.get_supplier(id).await?))
        })
    })
    .await;
    assert!(inserted);
    assert_eq!(mine, None, "another tenant's supplier is not found");
}

async fn suppliers_list_by_name_with_a_cursor_and_inactive_ones_on_request(store: S) {
    let s = seed(&store, "list-suppliers").await;
    let rows: Vec<SupplierRow> = ["Charlie", "Alpha", "Bravo"]
        .iter()
        .map(|n| supplier_row(n))
        .collect();
    let mut retired = supplier_row("Delta");
    retired.active = false;
    let (rows2, r2) = (rows.clone(), retired.clone());
    let (first, rest, all) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            for r in rows2.iter().chain([&r2]) {
                tx.insert_supplier(r).await?;
            }
            let first = tx.list_suppliers(None, 2, false).await?;
            let last = first.last().map(|r| (r.name.clone(), r.id));
            let rest = tx.list_suppliers(last, 2, false).await?;
            let all = tx.list_suppliers(None, 10, true).await?;
            Ok((first, rest, all))
        })
    })
    .await;
    let names = |v: &[SupplierRow]| v.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&first), ["Alpha", "Bravo"]);
    assert_eq!(names(&rest), ["Charlie"]);
    assert_eq!(names(&all), ["Alpha", "Bravo", "Charlie", "Delta"]);
}
