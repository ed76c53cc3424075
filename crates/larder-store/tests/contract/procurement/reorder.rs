//! procurement (`ReorderTx`): a location's reorder candidates are its items with a par level
//! or reorder point (not retired), with on hand (zero when never moved), the preferred
//! supplier item there and its price in force at the instant asked; sales usage sums a
//! location's sale movements of a period; neither reads another location or tenant.

use crate::*;
use larder_store::{
    ItemUsageRow, PreferredSupplierRow, ReorderCandidateRow, ReorderSupplyRow, SupplierPriceRow,
};

use super::{supplier_item_row, supplier_row};

contract!(reorder_candidates_join_par_stock_and_the_preferred_supplier_and_usage_sums_sales,);

async fn reorder_candidates_join_par_stock_and_the_preferred_supplier_and_usage_sums_sales(
    store: S,
) {
    let s = seed(&store, "reorder").await;
    let other = seed(&store, "reorder-other").await;
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let pk = peckham.id;
    let oil = item_row("Rapeseed oil", None);
    let salt = item_row("Salt", None);
    let old = ItemRow {
        retired_at: Some(at(1, 10)),
        ..item_row("Old flour", None)
    };
    let brakes = supplier_row("Brakes");
    let rice_si = supplier_item_row(brakes.id, s.item, "R-6KG");
    let (rice, here) = (s.item, s.location);
    let (o, sl, od, b, si) = (
        oil.clone(),
        salt.clone(),
        old.clone(),
        brakes.clone(),
        rice_si.clone(),
    );
    write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&peckham).await?;
            for i in [&o, &sl, &od] {
                tx.insert_item(i).await?;
            }
            let par = |item, location, par: Option<&str>, point: Option<&str>| ParLevelRow {
                item_id: item,
                location_id: location,
                par_level: par.map(q),
                reorder_point: point.map(q),
            };
            for p in [
                par(rice, here, Some("20000"), Some("4000")),
                par(o.id, here, None, Some("1000")),
                par(sl.id, here, None, None),
                par(od.id, here, Some("100"), None),
                par(sl.id, pk, Some("500"), None),
            ] {
                tx.upsert_par_level(&p).await?;
            }
            tx.insert_supplier(&b).await?;
            tx.insert_supplier_item(&si).await?;
            for (day, amount) in [(2, "9.00"), (5, "9.60")] {
                tx.insert_supplier_price(&SupplierPriceRow {
                    supplier_item_id: si.id,
                    effective_from: at(day, 0),
                    price_per_pack: money(amount),
                    recorded_at: at(day, 1),
                })
                .await?;
            }
            tx.set_preferred_supplier(&PreferredSupplierRow {
                item_id: rice,
                location_id: here,
                supplier_item_id: si.id,
            })
            .await
        })
    })
    .await;
    post(
        &store,
        s.tenant,
        vec![
            mv(rice, here, MovementKind::Receipt, "5000", at(2, 8)),
            mv(rice, here, MovementKind::Sale, "-1200", at(3, 12)),
            mv(rice, here, MovementKind::Sale, "-300.5", at(4, 12)),
            mv(rice, here, MovementKind::Waste, "-100", at(4, 13)),
            mv(rice, here, MovementKind::ProductionUse, "-200", at(5, 9)),
            mv(rice, here, MovementKind::Sale, "-700", at(10, 12)),
            mv(rice, pk, MovementKind::Sale, "-50", at(4, 12)),
            mv(oil.id, here, MovementKind::Sale, "-10", at(3, 12)),
        ],
    )
    .await;
    let (early, later, usage, at_peckham) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.reorder_candidates(here, at(4, 0)).await?,
                tx.reorder_candidates(here, at(6, 0)).await?,
                tx.usage(here, at(3, 0), at(10, 0)).await?,
                tx.reorder_candidates(pk, at(6, 0)).await?,
            ))
        })
    })
    .await;
    let supply = |price: &str| ReorderSupplyRow {
        supplier_item_id: rice_si.id,
        supplier_id: brakes.id,
        supplier_sku: "R-6KG".into(),
        packs: rice_si.packs.clone(),
        pack_quantity: q("6000"),
        moq_packs: 2,
        price_per_pack: Some(money(price)),
    };
    let expected = |price: &str| {
        vec![
            ReorderCandidateRow {
                item_id: rice,
                item_name: "Basmati rice".into(),
                base_unit: BaseUnit::G,
                on_hand: q("2499.5"),
                par_level: Some(q("20000")),
                reorder_point: Some(q("4000")),
                supply: Some(supply(price)),
            },
            // Sold here without a receipt (negative on hand); no preferred supplier.
            ReorderCandidateRow {
                item_id: oil.id,
                item_name: "Rapeseed oil".into(),
                base_unit: BaseUnit::G,
                on_hand: q("-10"),
                par_level: None,
                reorder_point: Some(q("1000")),
                supply: None,
            },
        ]
    };
    // By name; salt (neither level) and the retired flour are left out; the price is the one
    // in force at the instant asked.
    assert_eq!(early, expected("9.00"));
    assert_eq!(later, expected("9.60"));
    let mut sold = vec![
        ItemUsageRow {
            item_id: rice,
            quantity: q("1700.5"),
        },
        ItemUsageRow {
            item_id: oil.id,
            quantity: q("10"),
        },
    ];
    sold.sort_by_key(|r| r.item_id);
    assert_eq!(
        usage, sold,
        "sales and production use (not waste), of the period, here only"
    );
    // At Peckham only salt has a par level; it never moved there: zero on hand.
    assert_eq!(
        at_peckham,
        vec![ReorderCandidateRow {
            item_id: salt.id,
            item_name: "Salt".into(),
            base_unit: BaseUnit::G,
            on_hand: Quantity::ZERO,
            par_level: Some(q("500")),
            reorder_point: None,
            supply: None,
        }]
    );
    // Another tenant reads none of it.
    let theirs = read(&store, other.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.reorder_candidates(here, at(6, 0)).await?,
                tx.usage(here, at(1, 0), at(30, 0)).await?,
            ))
        })
    })
    .await;
    assert_eq!(theirs, (Vec::new(), Vec::new()));
}
