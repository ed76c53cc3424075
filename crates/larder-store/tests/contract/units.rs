//! Units and storage areas (issue 9, ADR 018): an item's density and entry rounding
//! (`CatalogTx::get_item_measure`, `set_item_measure`), items found by a scanned GTIN in any of
//! its forms and through supplier items (`items_by_gtin`), and storage areas with their shelves
//! (`StorageAreaTx`), all per tenant.

use crate::*;
use larder_core::decimal::Density;
use larder_core::{StorageAreaId, SupplierId, SupplierItemId};
use larder_store::{GtinMatchRow, ItemMeasureRow, StorageAreaRow, SupplierItemRow, SupplierRow};

contract!(
    an_items_measure_round_trips_and_stays_in_its_tenant,
    items_are_found_by_any_form_of_a_gtin_and_by_supplier_items,
    storage_areas_keep_walking_order_names_and_versions,
    shelves_keep_their_order_and_the_sheet_walks_areas_then_shelves,
);

async fn an_items_measure_round_trips_and_stays_in_its_tenant(store: S) {
    let s = seed(&store, "measure").await;
    let other = seed(&store, "measure-other").await;
    let id = s.item;
    let m = ItemMeasureRow {
        density: Some(Density::from_raw(910_000)),
        density_source: Some("USDA FoodData Central 171413".into()),
        entry_step: Some(q("1")),
        entry_exact: Some(true),
    };
    let m2 = m.clone();
    let (before, after, missing) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let before = tx.get_item_measure(id).await?;
            tx.set_item_measure(id, &m2).await?;
            let missing = tx
                .set_item_measure(ItemId::new(), &ItemMeasureRow::default())
                .await;
            Ok((before, tx.get_item_measure(id).await?, missing))
        })
    })
    .await;
    assert_eq!(before, Some(ItemMeasureRow::default()));
    assert_eq!(after, Some(m));
    assert_eq!(missing, Err(StoreError::NotFound));
    // Another tenant neither reads nor writes it.
    let theirs = attempt(&store, other.tenant, move |tx| {
        Box::pin(async move {
            let read = tx.get_item_measure(id).await?;
            let wrote = tx.set_item_measure(id, &ItemMeasureRow::default()).await;
            Ok((read, wrote))
        })
    })
    .await;
    assert_eq!(theirs, Ok((None, Err(StoreError::NotFound))));
    // Clearing it is a write of the default.
    let cleared = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_item_measure(id, &ItemMeasureRow::default()).await?;
            tx.get_item_measure(id).await
        })
    })
    .await;
    assert_eq!(cleared, Some(ItemMeasureRow::default()));
}

async fn items_are_found_by_any_form_of_a_gtin_and_by_supplier_items(store: S) {
    let s = seed(&store, "gtin").await;
    let other = seed(&store, "gtin-other").await;
    let mut milk = item_row("Milk", None);
    milk.barcode = Some("4006381333931".into());
    let mut retired = item_row("Old milk", None);
    retired.barcode = Some("4006381333931".into());
    retired.retired_at = Some(at(2, 9));
    let supplier = SupplierRow {
        id: SupplierId::new(),
        name: "Brakes".into(),
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
    };
    let case = SupplierItemRow {
        id: SupplierItemId::new(),
        supplier_id: supplier.id,
        item_id: milk.id,
        supplier_sku: "MILK-12".into(),
        description: None,
        gtin: Some("14006381333938".into()),
        packs: "[]".into(),
        pack_quantity: q("12000"),
        moq_packs: 1,
        version: 1,
        created_at: at(1, 9),
    };
    let (milk_id, case_id) = (milk.id, case.id);
    let (by13, by14, by_case, none) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&milk).await?;
            tx.insert_item(&retired).await?;
            tx.insert_supplier(&supplier).await?;
            tx.insert_supplier_item(&case).await?;
            let forms = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
            Ok((
                tx.items_by_gtin(&forms(&["4006381333931"])).await?,
                tx.items_by_gtin(&forms(&["04006381333931", "4006381333931"]))
                    .await?,
                tx.items_by_gtin(&forms(&["14006381333938"])).await?,
                tx.items_by_gtin(&forms(&["00000096385074", "96385074"]))
                    .await?,
            ))
        })
    })
    .await;
    let own = GtinMatchRow {
        item_id: milk_id,
        supplier_item_id: None,
        pack_quantity: None,
    };
    assert_eq!(by13, vec![own.clone()]);
    assert_eq!(by14, vec![own]);
    assert_eq!(
        by_case,
        vec![GtinMatchRow {
            item_id: milk_id,
            supplier_item_id: Some(case_id),
            pack_quantity: Some(q("12000")),
        }]
    );
    assert!(none.is_empty());
    let theirs = read(&store, other.tenant, move |tx| {
        Box::pin(async move { tx.items_by_gtin(&["4006381333931".to_owned()]).await })
    })
    .await;
    assert!(theirs.is_empty());
}

fn area_row(location: LocationId, name: &str, position: i32) -> StorageAreaRow {
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

async fn storage_areas_keep_walking_order_names_and_versions(store: S) {
    let s = seed(&store, "areas").await;
    let other = seed(&store, "areas-other").await;
    let walk_in = area_row(s.location, "Walk-in", 1);
    let dry = area_row(s.location, "Dry store", 2);
    let bar = area_row(s.location, "Bar", 3);
    let (w, d, b) = (walk_in.clone(), dry.clone(), bar.clone());
    let loc = s.location;
    let listed = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_storage_area(&w).await?;
            tx.insert_storage_area(&d).await?;
            tx.insert_storage_area(&b).await?;
            tx.list_storage_areas(loc, false).await
        })
    })
    .await;
    assert_eq!(listed, vec![walk_in.clone(), dry.clone(), bar.clone()]);
    // A name is unique within its location.
    let dup = area_row(s.location, "Bar", 4);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_storage_area(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("storage_areas_name")));
    // Rename at the version; a stale version is a conflict, a missing area not found.
    let renamed = StorageAreaRow {
        name: "Walk-in cooler".into(),
        version: 2,
        ..walk_in.clone()
    };
    let r = renamed.clone();
    let (ok, stale, missing, got) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let ok = tx.update_storage_area(&r, 1).await;
            let stale = tx.update_storage_area(&r, 1).await;
            let missing = tx
                .update_storage_area(&area_row(loc, "Nowhere", 9), 1)
                .await;
            Ok((ok, stale, missing, tx.get_storage_area(r.id).await?))
        })
    })
    .await;
    assert_eq!(ok, Ok(()));
    assert_eq!(stale, Err(conflict("storage_areas_version")));
    assert_eq!(missing, Err(StoreError::NotFound));
    assert_eq!(got, Some(renamed.clone()));
    // Reorder: bar first; retire the dry store (it leaves the list unless asked for).
    let order = vec![bar.id, renamed.id, dry.id];
    let retired = StorageAreaRow {
        retired_at: Some(at(3, 9)),
        version: 2,
        ..dry.clone()
    };
    let rt = retired.clone();
    let (in_use, all) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_storage_area_positions(&order).await?;
            tx.update_storage_area(&rt, 1).await?;
            Ok((
                tx.list_storage_areas(loc, false).await?,
                tx.list_storage_areas(loc, true).await?,
            ))
        })
    })
    .await;
    let names = |v: &[StorageAreaRow]| v.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&in_use), vec!["Bar", "Walk-in cooler"]);
    assert_eq!(names(&all), vec!["Bar", "Walk-in cooler", "Dry store"]);
    assert_eq!(all[0].position, 1);
    assert_eq!(all[2].position, 3);
    assert_eq!(all[2].version, 2, "reordering does not bump versions");
    // Another tenant sees none of them and cannot move them.
    let bar_id = bar.id;
    let theirs = write(&store, other.tenant, move |tx| {
        Box::pin(async move {
            tx.set_storage_area_positions(&[bar_id]).await?;
            Ok((
                tx.get_storage_area(bar_id).await?,
                tx.list_storage_areas(loc, true).await?,
            ))
        })
    })
    .await;
    assert_eq!(theirs, (None, Vec::new()));
    let still = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_storage_area(bar_id).await })
    })
    .await;
    assert_eq!(still.map(|a| a.position), Some(1));
}

async fn shelves_keep_their_order_and_the_sheet_walks_areas_then_shelves(store: S) {
    let s = seed(&store, "shelves").await;
    let other = seed(&store, "shelves-other").await;
    let walk_in = area_row(s.location, "Walk-in", 1);
    let dry = area_row(s.location, "Dry store", 2);
    let milk = item_row("Milk", None);
    let flour = item_row("Flour", None);
    let mut gone = item_row("Gone", None);
    gone.retired_at = Some(at(2, 1));
    let (w, d) = (walk_in.clone(), dry.clone());
    let (rice, milk_id, flour_id, gone_id) = (s.item, milk.id, flour.id, gone.id);
    let loc = s.location;
    let (shelf, sheet) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&milk).await?;
            tx.insert_item(&flour).await?;
            tx.insert_item(&gone).await?;
            tx.insert_storage_area(&w).await?;
            tx.insert_storage_area(&d).await?;
            tx.set_area_items(w.id, &[milk_id, rice]).await?;
            // Replaced whole: the second call's order wins. Rice is in both areas.
            tx.set_area_items(d.id, &[rice, flour_id]).await?;
            tx.set_area_items(d.id, &[flour_id, gone_id, rice]).await?;
            Ok((tx.area_items(d.id).await?, tx.location_sheet(loc).await?))
        })
    })
    .await;
    let shelf: Vec<(String, i32)> = shelf
        .iter()
        .map(|r| (r.item_name.clone(), r.shelf_order))
        .collect();
    assert_eq!(
        shelf,
        vec![
            ("Flour".to_owned(), 1),
            ("Gone".to_owned(), 2),
            ("Basmati rice".to_owned(), 3)
        ]
    );
    let walk: Vec<(String, String)> = sheet
        .iter()
        .map(|r| (r.area_name.clone(), r.item_name.clone()))
        .collect();
    assert_eq!(
        walk,
        vec![
            ("Walk-in".to_owned(), "Milk".to_owned()),
            ("Walk-in".to_owned(), "Basmati rice".to_owned()),
            ("Dry store".to_owned(), "Flour".to_owned()),
            ("Dry store".to_owned(), "Basmati rice".to_owned()),
        ],
        "areas in walking order, shelves in order, retired items left out"
    );
    assert_eq!(sheet[0].base_unit, BaseUnit::G);
    // Another tenant reads neither.
    let dry_id = dry.id;
    let theirs = read(&store, other.tenant, move |tx| {
        Box::pin(async move { Ok((tx.area_items(dry_id).await?, tx.location_sheet(loc).await?)) })
    })
    .await;
    assert_eq!(theirs, (Vec::new(), Vec::new()));
}
