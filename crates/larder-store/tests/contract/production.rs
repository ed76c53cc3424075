//! inventory (`ProductionTx`, ADR 022): a recipe's production settings are versioned and one
//! recipe makes an item; batch numbers count per tenant; a batch keeps its header and inputs
//! exactly and lists newest first by location, recipe and item; the prep list reads produced
//! items with a par level and portions sold per menu item; all of it stays in its tenant.

use crate::*;
use larder_core::ProductionBatchId;
use larder_store::{
    ProductionBatchFilter, ProductionBatchRow, ProductionInputRow, ProductionRecipeRow, SoldRow,
};

contract!(
    production_settings_are_versioned_and_one_recipe_makes_an_item,
    a_batch_keeps_its_inputs_numbers_count_per_tenant_and_lists_filter,
    the_prep_list_reads_par_levels_on_hand_and_portions_sold,
);

/// A prep recipe yielding 2 000 g of sauce from the seed's item.
fn sauce_recipe(s: &Seed) -> RecipeRow {
    RecipeRow {
        id: RecipeId::new(),
        name: "Tomato sauce".into(),
        yield_quantity: q("2000"),
        yield_unit: BaseUnit::G,
        notes: None,
        lines: vec![RecipeLineRow {
            position: 1,
            component: Component::Item(s.item),
            quantity: q("2"),
            unit: Unit::Kg,
        }],
        version: 1,
        created_at: at(1, 10),
        retired_at: None,
    }
}

fn settings(recipe: RecipeId, item: ItemId) -> ProductionRecipeRow {
    ProductionRecipeRow {
        recipe_id: recipe,
        item_id: item,
        shelf_life_days: Some(3),
        default_batch: Some(q("4000")),
        version: 1,
        updated_at: plus_micros(at(2, 9), 7),
    }
}

/// The seed, a sauce item and its recipe with production settings.
async fn with_sauce(store: &S, name: &str) -> (Seed, ItemRow, RecipeRow) {
    let s = seed(store, name).await;
    let sauce = item_row("Tomato sauce", None);
    let recipe = sauce_recipe(&s);
    let (i, r) = (sauce.clone(), recipe.clone());
    write(store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&i).await?;
            tx.insert_recipe(&r).await?;
            tx.insert_production_recipe(&settings(r.id, i.id)).await
        })
    })
    .await;
    (s, sauce, recipe)
}

async fn production_settings_are_versioned_and_one_recipe_makes_an_item(store: S) {
    let (s, sauce, recipe) = with_sauce(&store, "prod-settings").await;
    let other = RecipeRow {
        name: "Sauce, second way".into(),
        ..sauce_recipe(&s)
    };
    let (o, rid, iid) = (other.clone(), recipe.id, sauce.id);
    let (got, all) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_recipe(&o).await?;
            Ok((
                tx.get_production_recipe(rid).await?,
                tx.all_production_recipes().await?,
            ))
        })
    })
    .await;
    assert_eq!(got, Some(settings(recipe.id, sauce.id)));
    assert_eq!(all, vec![settings(recipe.id, sauce.id)]);
    // A second recipe making the same item is refused by name.
    let dup = settings(other.id, sauce.id);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_production_recipe(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("production_recipes_item_id")));
    // An update at the version read moves it on; one at a stale version is refused.
    let next = ProductionRecipeRow {
        shelf_life_days: None,
        default_batch: None,
        version: 2,
        updated_at: at(3, 9),
        ..settings(rid, iid)
    };
    let n = next.clone();
    let after = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.update_production_recipe(&n, 1).await?;
            tx.get_production_recipe(rid).await
        })
    })
    .await;
    assert_eq!(after, Some(next.clone()));
    let stale = ProductionRecipeRow {
        version: 3,
        ..next.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_production_recipe(&stale, 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("production_recipes_version")));
    // Another tenant sees none of it, and cannot name the recipe.
    let t = seed(&store, "prod-settings-other").await;
    let (seen, all) = read(&store, t.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_production_recipe(rid).await?,
                tx.all_production_recipes().await?,
            ))
        })
    })
    .await;
    assert_eq!((seen, all), (None, vec![]));
    let titem = t.item;
    let err = attempt(&store, t.tenant, move |tx| {
        Box::pin(async move { tx.insert_production_recipe(&settings(rid, titem)).await })
    })
    .await;
    assert_eq!(err, Err(conflict("foreign_key")));
}

fn batch_row(
    s: &Seed,
    recipe: RecipeId,
    item: ItemId,
    number: i64,
    output: MovementId,
) -> ProductionBatchRow {
    ProductionBatchRow {
        id: ProductionBatchId::new(),
        number,
        location_id: s.location,
        recipe_id: recipe,
        item_id: item,
        planned_quantity: q("4000"),
        actual_quantity: q("3850.5"),
        cost: money("9.600001"),
        expires_on: NaiveDate::from_ymd_opt(2026, 3, 13),
        produced_at: plus_micros(at(10, 7), 3),
        output_movement_id: output,
        lot_id: None,
        note: Some("a little thin".into()),
        created_by: UserId::new(),
        created_at: at(10, 8),
    }
}

async fn a_batch_keeps_its_inputs_numbers_count_per_tenant_and_lists_filter(store: S) {
    let (s, sauce, recipe) = with_sauce(&store, "prod-batches").await;
    let mut use_mv = mv(
        s.item,
        s.location,
        MovementKind::ProductionUse,
        "-4000",
        at(10, 7),
    );
    use_mv.unit_cost = Some(money("0.0024"));
    let mut out_mv = mv(
        sauce.id,
        s.location,
        MovementKind::ProductionOutput,
        "3850.5",
        at(10, 7),
    );
    out_mv.lot = Some(LotSpec {
        code: Some("PB-000001".into()),
        expires_on: NaiveDate::from_ymd_opt(2026, 3, 13),
        value: Some(money("9.600001")),
    });
    let (use_id, out_id) = (use_mv.id, out_mv.id);
    let (sd, rid, iid) = (s.clone(), recipe.id, sauce.id);
    let (n1, n2, first, second, inputs, got, by_recipe, by_item, before, elsewhere) =
        write(&store, s.tenant, move |tx| {
            Box::pin(async move {
                tx.append_movements(&[use_mv]).await?;
                let out = tx.append_movements(&[out_mv]).await?;
                let n1 = tx.next_production_batch_number().await?;
                let n2 = tx.next_production_batch_number().await?;
                let mut first = batch_row(&sd, rid, iid, n1, out_id);
                first.lot_id = out[0].lot_id;
                let inputs = vec![ProductionInputRow {
                    line_no: 1,
                    item_id: sd.item,
                    quantity: q("4000"),
                    cost: money("9.600001"),
                    shortfall: q("4000"),
                    movement_id: use_id,
                }];
                tx.insert_production_batch(&first, &inputs).await?;
                let second = ProductionBatchRow {
                    id: ProductionBatchId::new(),
                    expires_on: None,
                    note: None,
                    ..batch_row(&sd, rid, iid, n2, out_id)
                };
                tx.insert_production_batch(&second, &[]).await?;
                let f = |recipe, item, before| ProductionBatchFilter {
                    recipe,
                    item,
                    before,
                    location: Some(sd.location),
                    limit: 10,
                    ..Default::default()
                };
                Ok((
                    n1,
                    n2,
                    first.clone(),
                    second.clone(),
                    tx.production_batch_inputs(first.id).await?,
                    tx.get_production_batch(first.id).await?,
                    tx.list_production_batches(&f(Some(rid), None, None))
                        .await?,
                    tx.list_production_batches(&f(None, Some(sd.item), None))
                        .await?,
                    tx.list_production_batches(&f(None, None, Some(second.id)))
                        .await?,
                    tx.list_production_batches(&ProductionBatchFilter {
                        location: Some(LocationId::new()),
                        limit: 10,
                        ..Default::default()
                    })
                    .await?,
                ))
            })
        })
        .await;
    assert_eq!((n1, n2), (1, 2));
    assert!(first.lot_id.is_some(), "the output opened a lot");
    assert_eq!(got, Some(first.clone()));
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].cost, money("9.600001"));
    assert_eq!(inputs[0].shortfall, q("4000"));
    assert_eq!(by_recipe, vec![second.clone(), first.clone()]);
    assert!(
        by_item.is_empty(),
        "the batches made the sauce, not the rice"
    );
    assert_eq!(before, vec![first.clone()]);
    assert!(elsewhere.is_empty());
    // The same number twice is refused by name.
    let (sd, dup) = (s.clone(), first.clone());
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let again = ProductionBatchRow {
                id: ProductionBatchId::new(),
                ..dup
            };
            let _ = &sd;
            tx.insert_production_batch(&again, &[]).await
        })
    })
    .await;
    assert_eq!(err, Err(conflict("production_batches_number")));
    // Another tenant counts from 1 and sees none of these batches.
    let t = seed(&store, "prod-batches-other").await;
    let fid = first.id;
    let (n, seen, listed, ins) = write(&store, t.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.next_production_batch_number().await?,
                tx.get_production_batch(fid).await?,
                tx.list_production_batches(&ProductionBatchFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?,
                tx.production_batch_inputs(fid).await?,
            ))
        })
    })
    .await;
    assert_eq!((n, seen, listed, ins), (1, None, vec![], vec![]));
}

async fn the_prep_list_reads_par_levels_on_hand_and_portions_sold(store: S) {
    let (s, sauce, recipe) = with_sauce(&store, "prod-prep").await;
    let menu = MenuItemRow {
        id: MenuItemId::new(),
        name: "Margherita".into(),
        category: None,
        recipe_id: Some(recipe.id),
        portion: q("1"),
        price: Some(money("9")),
        version: 1,
        created_at: at(1, 2),
        retired_at: None,
    };
    let mut l1 = sale_line(1, "Margherita", "3", "9");
    l1.menu_item_id = Some(menu.id);
    let mut l2 = sale_line(2, "Margherita", "2.5", "9");
    l2.menu_item_id = Some(menu.id);
    let unmapped = sale_line(3, "Mystery", "7", "1");
    let inside = sale(s.location, Some("T1"), at(9, 12), vec![l1, l2, unmapped]);
    let mut l3 = sale_line(1, "Margherita", "4", "9");
    l3.menu_item_id = Some(menu.id);
    let outside = sale(s.location, Some("T2"), at(10, 12), vec![l3]);
    let (sd, m, iid) = (s.clone(), menu.clone(), sauce.id);
    let (before_par, candidates, sold, sold_elsewhere) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_menu_item(&m).await?;
            tx.insert_sales(&[inside, outside]).await?;
            let before_par = tx.prep_candidates(sd.location).await?;
            tx.upsert_par_level(&ParLevelRow {
                item_id: iid,
                location_id: sd.location,
                par_level: Some(q("3000")),
                reorder_point: None,
            })
            .await?;
            let mut m = mv(iid, sd.location, MovementKind::Opening, "1250", at(8, 9));
            m.unit_cost = Some(money("0.003"));
            tx.append_movements(&[m]).await?;
            Ok((
                before_par,
                tx.prep_candidates(sd.location).await?,
                tx.sold_by_menu_item(sd.location, at(9, 0), at(10, 0))
                    .await?,
                tx.sold_by_menu_item(LocationId::new(), at(9, 0), at(10, 0))
                    .await?,
            ))
        })
    })
    .await;
    assert!(before_par.is_empty(), "no par level, no prep line");
    assert_eq!(candidates.len(), 1);
    assert_eq!(
        (
            candidates[0].recipe_id,
            candidates[0].item_id,
            candidates[0].par_level,
            candidates[0].on_hand
        ),
        (recipe.id, sauce.id, q("3000"), q("1250"))
    );
    assert_eq!(
        sold,
        vec![SoldRow {
            menu_item_id: menu.id,
            quantity: q("5.5"),
        }]
    );
    assert!(sold_elsewhere.is_empty());
    // Another tenant reads nothing of this location.
    let t = seed(&store, "prod-prep-other").await;
    let loc = s.location;
    let (c, so) = read(&store, t.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.prep_candidates(loc).await?,
                tx.sold_by_menu_item(loc, at(9, 0), at(10, 0)).await?,
            ))
        })
    })
    .await;
    assert!(c.is_empty() && so.is_empty());
}
