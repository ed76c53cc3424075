//! procurement (`ProcurementTx`): suppliers round trip, change only at their version, keep
//! their names unique per tenant, list by name with a cursor (inactive ones on request), and
//! stay in their tenant. Purchase orders are in [`purchase_orders`], what reorder suggestions
//! read in [`reorder`].

mod goods_receipts;
mod invoices;
mod purchase_orders;
mod reorder;

use crate::*;
use larder_core::{SupplierId, SupplierItemId};
use larder_store::{PreferredSupplierRow, SupplierItemRow, SupplierPriceRow, SupplierRow};

contract!(
    suppliers_round_trip_and_change_only_at_their_version,
    suppliers_list_by_name_with_a_cursor_and_inactive_ones_on_request,
    supplier_items_keep_their_price_history_and_one_preferred_per_item_and_location,
);

fn supplier_item_row(supplier: SupplierId, item: ItemId, sku: &str) -> SupplierItemRow {
    SupplierItemRow {
        id: SupplierItemId::new(),
        supplier_id: supplier,
        item_id: item,
        supplier_sku: sku.into(),
        description: Some("Basmati rice 6 x 1 kg".into()),
        gtin: None,
        packs: r#"[{"name":"case","quantity":"6","unit":null},{"name":"bag","quantity":"1","unit":"kg"}]"#.into(),
        pack_quantity: q("6000"),
        moq_packs: 2,
        version: 1,
        created_at: at(1, 9),
    }
}

async fn supplier_items_keep_their_price_history_and_one_preferred_per_item_and_location(store: S) {
    let s = seed(&store, "supplier-items").await;
    let other = seed(&store, "supplier-items-other").await;
    let brakes = supplier_row("Brakes");
    let bidfood = supplier_row("Bidfood");
    let a = supplier_item_row(brakes.id, s.item, "R-6KG");
    let b = supplier_item_row(bidfood.id, s.item, "BR1");
    let price = |id, day, amount: &str| SupplierPriceRow {
        supplier_item_id: id,
        effective_from: at(day, 0),
        price_per_pack: money(amount),
        recorded_at: at(day, 12),
    };
    let prices = vec![price(a.id, 5, "9.60"), price(a.id, 2, "9.00")];
    let (sup1, sup2, a2, b2, p2) = (
        brakes.clone(),
        bidfood.clone(),
        a.clone(),
        b.clone(),
        prices.clone(),
    );
    let (location, item) = (s.location, s.item);
    let (got, of_brakes, of_item, history, preferred) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_supplier(&sup1).await?;
            tx.insert_supplier(&sup2).await?;
            tx.insert_supplier_item(&a2).await?;
            tx.insert_supplier_item(&b2).await?;
            for p in &p2 {
                tx.insert_supplier_price(p).await?;
            }
            let pick = |si| PreferredSupplierRow {
                item_id: item,
                location_id: location,
                supplier_item_id: si,
            };
            tx.set_preferred_supplier(&pick(a2.id)).await?;
            tx.set_preferred_supplier(&pick(b2.id)).await?;
            Ok((
                tx.get_supplier_item(a2.id).await?,
                tx.list_supplier_items(Some(sup1.id), None).await?,
                tx.list_supplier_items(None, Some(item)).await?,
                tx.supplier_prices(a2.id).await?,
                tx.preferred_suppliers(item).await?,
            ))
        })
    })
    .await;
    assert_eq!(got, Some(a.clone()));
    assert_eq!(of_brakes, vec![a.clone()]);
    assert_eq!(of_item.len(), 2);
    // Oldest first; a second price from the same instant is refused, never replacing one.
    assert_eq!(history, vec![prices[1].clone(), prices[0].clone()]);
    let again = price(a.id, 5, "11.00");
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_supplier_price(&again).await })
    })
    .await;
    assert_eq!(err, Err(conflict("supplier_item_prices_effective_from")));
    // One preferred per item and location: the later choice replaced the first.
    assert_eq!(
        preferred,
        vec![PreferredSupplierRow {
            item_id: s.item,
            location_id: s.location,
            supplier_item_id: b.id,
        }]
    );
    // A supplier's SKU is unique per supplier.
    let dup = SupplierItemRow {
        id: SupplierItemId::new(),
        ..a.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_supplier_item(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("supplier_items_supplier_sku")));
    // Another tenant neither reads them nor attaches its own rows to them.
    let (a_id, brakes_id) = (a.id, brakes.id);
    let theirs = read(&store, other.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_supplier_item(a_id).await?,
                tx.list_supplier_items(Some(brakes_id), None).await?,
                tx.supplier_prices(a_id).await?,
            ))
        })
    })
    .await;
    assert_eq!(theirs, (None, Vec::new(), Vec::new()));
    let foreign = SupplierItemRow {
        id: SupplierItemId::new(),
        item_id: other.item,
        ..a.clone()
    };
    let err = attempt(&store, other.tenant, move |tx| {
        Box::pin(async move { tx.insert_supplier_item(&foreign).await })
    })
    .await;
    assert!(
        err.is_err(),
        "a row naming another tenant's supplier was written"
    );
}

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
