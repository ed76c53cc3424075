//! menu (`MenuTx`): recipes with their lines in position order (items and sub-recipes), unique
//! names, lines that must name existing rows, and menu items.

use crate::*;

contract!(
    recipes_round_trip_with_their_lines,
    recipe_names_are_unique,
    recipe_lines_must_name_existing_items_and_recipes,
    menu_items_round_trip_by_name,
    menu_item_names_are_unique_and_their_recipes_must_exist,
    update_recipe_replaces_its_lines_and_refuses_a_stale_version,
    update_menu_item_bumps_the_version_and_refuses_a_stale_one,
    retired_recipes_and_menu_items_stay_readable_and_costed,
);

fn recipe(name: &str, lines: Vec<RecipeLineRow>) -> RecipeRow {
    RecipeRow {
        id: RecipeId::new(),
        name: name.into(),
        yield_quantity: q("1"),
        yield_unit: BaseUnit::Ea,
        notes: None,
        lines,
        version: 1,
        created_at: at(1, 1),
        retired_at: None,
    }
}

fn line(position: i32, component: Component, qty: &str, unit: Unit) -> RecipeLineRow {
    RecipeLineRow {
        position,
        component,
        quantity: q(qty),
        unit,
    }
}

async fn recipes_round_trip_with_their_lines(store: S) {
    let s = seed(&store, "recipes").await;
    let ghee = item_row("Ghee", None);
    let base = RecipeRow {
        name: "Pilau base".into(),
        yield_quantity: q("2500"),
        yield_unit: BaseUnit::G,
        notes: Some("1 kg rice cooks to 2.5 kg".into()),
        version: 3,
        created_at: plus_micros(at(1, 1), 42),
        ..recipe(
            "",
            vec![
                line(1, Component::Item(s.item), "1", Unit::Kg),
                line(2, Component::Item(ghee.id), "0.05", Unit::Kg),
            ],
        )
    };
    let plate = recipe(
        "Pilau rice",
        vec![line(1, Component::Recipe(base.id), "300", Unit::G)],
    );
    // Lines given out of position order come back in it.
    let mut shuffled = base.clone();
    shuffled.lines.reverse();
    // Inserted last, listed first: all_recipes lists by name, not by insertion.
    let aloo = recipe("Aloo gobi", Vec::new());
    let (b2, p2, a2) = (shuffled, plate.clone(), aloo.clone());
    let (got_plate, got_base, missing, all) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&ghee).await?;
            tx.insert_recipe(&b2).await?;
            tx.insert_recipe(&p2).await?;
            tx.insert_recipe(&a2).await?;
            Ok((
                tx.get_recipe(p2.id).await?,
                tx.get_recipe(b2.id).await?,
                tx.get_recipe(RecipeId::new()).await?,
                tx.all_recipes().await?,
            ))
        })
    })
    .await;
    assert_eq!(got_plate, Some(plate.clone()));
    assert_eq!(got_base, Some(base.clone()));
    assert_eq!(missing, None);
    assert_eq!(all, vec![aloo, base, plate]);
}

async fn recipe_names_are_unique(store: S) {
    let s = seed(&store, "recipe-names").await;
    let first = recipe("Dal", vec![line(1, Component::Item(s.item), "1", Unit::G)]);
    let dup = recipe("Dal", Vec::new());
    let f = first.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_recipe(&f).await })
    })
    .await;
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_recipe(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("recipes_name")));
    let all = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.all_recipes().await })
    })
    .await;
    assert_eq!(all, vec![first]);
    // Another tenant may use the name.
    let other = seed(&store, "recipe-names-other").await;
    let theirs = recipe("Dal", Vec::new());
    let t = theirs.clone();
    let all = write(&store, other.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_recipe(&t).await?;
            tx.all_recipes().await
        })
    })
    .await;
    assert_eq!(all, vec![theirs]);
}

async fn recipe_lines_must_name_existing_items_and_recipes(store: S) {
    let s = seed(&store, "recipe-fk").await;
    let bad = [
        recipe(
            "Ghost item",
            vec![line(1, Component::Item(ItemId::new()), "1", Unit::G)],
        ),
        recipe(
            "Ghost sub-recipe",
            vec![line(1, Component::Recipe(RecipeId::new()), "1", Unit::G)],
        ),
        // The good line does not keep a recipe whose other line is bad.
        recipe(
            "Half good",
            vec![
                line(1, Component::Item(s.item), "1", Unit::G),
                line(2, Component::Item(ItemId::new()), "1", Unit::G),
            ],
        ),
    ];
    for r in bad {
        let id = r.id;
        let err = attempt(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.insert_recipe(&r).await })
        })
        .await;
        assert_eq!(err, Err(conflict("foreign_key")));
        let got = read(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.get_recipe(id).await })
        })
        .await;
        assert_eq!(got, None);
    }
    let all = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.all_recipes().await })
    })
    .await;
    assert!(all.is_empty(), "{all:?}");
}

fn menu_item(name: &str, recipe_id: Option<RecipeId>) -> MenuItemRow {
    MenuItemRow {
        id: MenuItemId::new(),
        name: name.into(),
        category: Some("Curries".into()),
        recipe_id,
        portion: q("1"),
        price: Some(money("12.50")),
        version: 1,
        created_at: at(1, 2),
        retired_at: None,
    }
}

async fn menu_items_round_trip_by_name(store: S) {
    let s = seed(&store, "menu-items").await;
    let dal = recipe("Dal", vec![line(1, Component::Item(s.item), "80", Unit::G)]);
    let half = MenuItemRow {
        portion: q("0.5"),
        price: Some(money("6.333333")),
        created_at: plus_micros(at(1, 2), 7),
        ..menu_item("Dal (half)", Some(dal.id))
    };
    let bare = MenuItemRow {
        category: None,
        price: None,
        ..menu_item("Bottled water", None)
    };
    let full = menu_item("Dal", Some(dal.id));
    let rows = vec![half.clone(), full.clone(), bare.clone()];
    let ids: Vec<MenuItemId> = rows.iter().map(|m| m.id).collect();
    let (got, missing, all) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_recipe(&dal).await?;
            for m in &rows {
                tx.insert_menu_item(m).await?;
            }
            let mut got = Vec::new();
            for id in ids {
                got.push(tx.get_menu_item(id).await?);
            }
            Ok((
                got,
                tx.get_menu_item(MenuItemId::new()).await?,
                tx.all_menu_items().await?,
            ))
        })
    })
    .await;
    assert_eq!(
        got,
        vec![Some(half.clone()), Some(full.clone()), Some(bare.clone())]
    );
    assert_eq!(missing, None);
    assert_eq!(all, vec![bare, full, half]);
}

async fn menu_item_names_are_unique_and_their_recipes_must_exist(store: S) {
    let s = seed(&store, "menu-names").await;
    let first = menu_item("Naan", None);
    let f = first.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_menu_item(&f).await })
    })
    .await;
    let dup = menu_item("Naan", None);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_menu_item(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("menu_items_name")));
    let ghost = menu_item("Ghost", Some(RecipeId::new()));
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_menu_item(&ghost).await })
    })
    .await;
    assert_eq!(err, Err(conflict("foreign_key")));
    let all = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.all_menu_items().await })
    })
    .await;
    assert_eq!(all, vec![first]);
}

async fn update_recipe_replaces_its_lines_and_refuses_a_stale_version(store: S) {
    let s = seed(&store, "update-recipe").await;
    let ghee = item_row("Ghee", None);
    let dal = recipe(
        "Dal",
        vec![
            line(1, Component::Item(s.item), "80", Unit::G),
            line(2, Component::Item(ghee.id), "10", Unit::G),
        ],
    );
    let changed = RecipeRow {
        name: "Dal tadka".into(),
        yield_quantity: q("4"),
        notes: Some("temper at the end".into()),
        lines: vec![line(1, Component::Item(ghee.id), "0.02", Unit::Kg)],
        version: 2,
        ..dal.clone()
    };
    let (d, g, c) = (dal.clone(), ghee.clone(), changed.clone());
    let got = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&g).await?;
            tx.insert_recipe(&d).await?;
            tx.update_recipe(&c, 1).await?;
            tx.get_recipe(c.id).await
        })
    })
    .await;
    // Name, yield, notes and lines are replaced; the version moves on.
    assert_eq!(got, Some(changed.clone()));
    let stale = RecipeRow {
        name: "Lost update".into(),
        ..changed.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_recipe(&stale, 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("recipes_version")));
    let ghost = recipe("Ghost", Vec::new());
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_recipe(&ghost, 1).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
    let id = dal.id;
    let kept = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_recipe(id).await })
    })
    .await;
    assert_eq!(kept, Some(changed));
}

async fn update_menu_item_bumps_the_version_and_refuses_a_stale_one(store: S) {
    let s = seed(&store, "update-menu-item").await;
    let dal = recipe("Dal", vec![line(1, Component::Item(s.item), "80", Unit::G)]);
    let naan = menu_item("Naan", None);
    let changed = MenuItemRow {
        name: "Dal bowl".into(),
        category: None,
        recipe_id: Some(dal.id),
        portion: q("0.5"),
        price: Some(money("7.25")),
        version: 2,
        ..naan.clone()
    };
    let (d, n, c) = (dal.clone(), naan.clone(), changed.clone());
    let got = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_recipe(&d).await?;
            tx.insert_menu_item(&n).await?;
            tx.update_menu_item(&c, 1).await?;
            tx.get_menu_item(c.id).await
        })
    })
    .await;
    assert_eq!(got, Some(changed.clone()));
    let stale = MenuItemRow {
        name: "Lost update".into(),
        ..changed.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_menu_item(&stale, 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("menu_items_version")));
    let ghost = menu_item("Ghost", None);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_menu_item(&ghost, 1).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
}

async fn retired_recipes_and_menu_items_stay_readable_and_costed(store: S) {
    let s = seed(&store, "retire-menu").await;
    let dal = recipe("Dal", vec![line(1, Component::Item(s.item), "80", Unit::G)]);
    let bowl = menu_item("Dal bowl", Some(dal.id));
    let (d, b) = (dal.clone(), bowl.clone());
    let (results, recipe_got, item_got, recipes, items) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_recipe(&d).await?;
            tx.insert_menu_item(&b).await?;
            let results = vec![
                tx.retire_recipe(d.id, at(3, 9)).await,
                tx.retire_recipe(d.id, at(4, 9)).await,
                tx.retire_menu_item(b.id, at(3, 10)).await,
                tx.retire_menu_item(b.id, at(4, 10)).await,
                tx.retire_recipe(RecipeId::new(), at(3, 9)).await,
                tx.retire_menu_item(MenuItemId::new(), at(3, 9)).await,
            ];
            Ok((
                results,
                tx.get_recipe(d.id).await?,
                tx.get_menu_item(b.id).await?,
                tx.all_recipes().await?,
                tx.all_menu_items().await?,
            ))
        })
    })
    .await;
    assert_eq!(
        results,
        vec![
            Ok(()),
            Ok(()),
            Ok(()),
            Ok(()),
            Err(StoreError::NotFound),
            Err(StoreError::NotFound)
        ]
    );
    // The first retirement's time is kept; both stay readable and in the costing lists.
    assert_eq!(recipe_got.and_then(|r| r.retired_at), Some(at(3, 9)));
    assert_eq!(item_got.and_then(|m| m.retired_at), Some(at(3, 10)));
    assert_eq!(recipes.len(), 1);
    assert_eq!(items.len(), 1);
}
