//! The `Store` trait itself: a job commits when it succeeds and leaves nothing when it fails
//! or panics (tenant and global jobs), a failed job rolls back only its own writes, 64
//! concurrent writers lose nothing, read jobs do not write, `tenant_ids`, `ping` and `close`;
//! and isolation between tenants for every kind of row, including foreign keys that would
//! cross tenants. A PostgreSQL-only test checks row-level security under the application role.

use crate::*;

contract!(
    a_committed_job_is_seen_by_the_next_and_a_failed_one_leaves_nothing,
    a_failed_job_rolls_back_only_its_own_writes,
    a_panicking_job_is_abandoned_and_its_writes_rolled_back,
    a_read_job_cannot_write,
    sixty_four_concurrent_adjustments_lose_nothing,
    tenant_ids_lists_every_tenant_in_id_order,
    ping_answers_until_the_store_is_closed,
    another_tenant_reads_none_of_the_first_tenants_rows,
    another_tenant_changes_none_of_the_first_tenants_rows,
    foreign_keys_never_cross_tenants,
);

async fn a_committed_job_is_seen_by_the_next_and_a_failed_one_leaves_nothing(store: S) {
    let s = seed(&store, "commit").await;
    let kept = item_row("Kept", None);
    let dropped = item_row("Dropped", None);
    let (kept_id, dropped_id) = (kept.id, dropped.id);
    let refused = movement(&s, MovementKind::Receipt, "9");
    // A job's result reaches the caller; its writes are visible to itself at once.
    let own = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&kept).await?;
            tx.get_item(kept.id).await
        })
    })
    .await;
    assert_eq!(own.map(|i| i.name), Some("Kept".to_string()));
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&dropped).await?;
            tx.append_movements(&[refused]).await?;
            Err::<(), _>(StoreError::Other("use case refused".into()))
        })
    })
    .await;
    assert_eq!(err, Err(StoreError::Other("use case refused".into())));
    let (item, location) = (s.item, s.location);
    let (k, d, level) = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_item(kept_id).await?,
                tx.get_item(dropped_id).await?,
                tx.get_stock_level(item, location).await?,
            ))
        })
    })
    .await;
    assert_eq!(k.map(|i| i.name), Some("Kept".to_string()));
    assert_eq!(d, None);
    assert_eq!(level, Quantity::ZERO);
    assert!(all_movements(&store, s.tenant).await.is_empty());

    // The same for global jobs.
    let (u1, u2) = (user_row("Kept"), user_row("Dropped"));
    let (id1, id2) = (u1.id, u2.id);
    run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_user(&u1).await })
    })
    .await
    .unwrap();
    let err = run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_user(&u2).await?;
            Err::<(), _>(StoreError::NotFound)
        })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
    let (g1, g2) = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(
            async move { Ok::<_, StoreError>((tx.get_user(id1).await?, tx.get_user(id2).await?)) },
        )
    })
    .await
    .unwrap();
    assert_eq!(g1.map(|u| u.name), Some("Kept".to_string()));
    assert_eq!(g2, None);
}

async fn a_failed_job_rolls_back_only_its_own_writes(store: S) {
    let s = seed(&store, "rollback").await;
    let good = item_row("Good", None);
    let bad = item_row("Bad", None);
    let (good_id, bad_id) = (good.id, bad.id);
    let st1 = store.clone();
    let st2 = store.clone();
    let tenant = s.tenant;
    let failing = tokio::spawn(async move {
        run_tenant(st1.as_ref(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.insert_item(&bad).await?;
                Err::<(), _>(StoreError::Other("use case refused".into()))
            })
        })
        .await
    });
    let succeeding = tokio::spawn(async move {
        run_tenant(st2.as_ref(), tenant, Mode::Write, move |tx| {
            Box::pin(async move { tx.insert_item(&good).await })
        })
        .await
    });
    assert!(failing.await.unwrap().is_err());
    succeeding.await.unwrap().unwrap();
    let (g, b) = read(&store, s.tenant, move |tx| {
        Box::pin(async move { Ok((tx.get_item(good_id).await?, tx.get_item(bad_id).await?)) })
    })
    .await;
    assert!(g.is_some());
    assert!(b.is_none());
}

/// What a job that panics returns (it never does).
fn boom<T>() -> T {
    panic!("this job panics on purpose")
}

async fn a_panicking_job_is_abandoned_and_its_writes_rolled_back(store: S) {
    let s = seed(&store, "panic").await;
    let (a, b, c) = (
        item_row("A", None),
        item_row("B", None),
        item_row("C", None),
    );
    let ids = [a.id, b.id, c.id];
    let user = user_row("Ghost");
    let uid = user.id;

    // Through the typed helper: the caller learns the transaction was abandoned.
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_item(&a).await?;
            Ok(boom::<bool>())
        })
    })
    .await;
    assert_eq!(
        err,
        Err(StoreError::Unavailable(
            "the transaction was abandoned".into()
        ))
    );

    // Through the trait's own methods, with a job that never hands back its result.
    let (started, ran) = futures::channel::oneshot::channel::<()>();
    let tenant_job: TenantJob = Box::new(move |tx| {
        Box::pin(async move {
            tx.insert_item(&b).await.unwrap();
            drop(started);
            boom()
        })
    });
    store
        .run_tenant(s.tenant, Mode::Write, tenant_job)
        .await
        .unwrap();
    assert!(ran.await.is_err(), "the job did not run");
    let (started, ran) = futures::channel::oneshot::channel::<()>();
    let global_job: GlobalJob = Box::new(move |tx| {
        Box::pin(async move {
            tx.insert_user(&user).await.unwrap();
            drop(started);
            boom()
        })
    });
    store.run_global(Mode::Write, global_job).await.unwrap();
    assert!(ran.await.is_err(), "the job did not run");

    // The store goes on, and none of the three writes was kept. (A write job queues behind
    // the abandoned ones on SQLite's writer.)
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_item(&c).await })
    })
    .await;
    let got = read(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let mut out = Vec::new();
            for id in ids {
                out.push(tx.get_item(id).await?.map(|i| i.name));
            }
            out.push(tx.get_user(uid).await?.map(|u| u.name));
            Ok(out)
        })
    })
    .await;
    assert_eq!(got, vec![None, None, Some("C".to_string()), None]);
}

async fn a_read_job_cannot_write(store: S) {
    // A write in a `Mode::Read` job fails on both backends: SQLite runs it on a read-only
    // connection, PostgreSQL in a READ ONLY transaction.
    let s = seed(&store, "read-only").await;
    let item = item_row("Written in a read job", None);
    let id = item.id;
    let res = run_tenant(store.as_ref(), s.tenant, Mode::Read, move |tx| {
        Box::pin(async move { tx.insert_item(&item).await })
    })
    .await;
    let kept = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_item(id).await })
    })
    .await;
    assert_eq!(kept, None, "a read job's write was kept");
    assert!(res.is_err(), "a write in a read job was accepted: {res:?}");
}

async fn sixty_four_concurrent_adjustments_lose_nothing(store: S) {
    let s = seed(&store, "concurrent").await;
    let seed = Arc::new(s);
    let mut handles = Vec::new();
    for i in 0..64 {
        let store = store.clone();
        let seed = seed.clone();
        handles.push(tokio::spawn(async move {
            let m = movement(
                &seed,
                MovementKind::Adjustment,
                if i % 2 == 0 { "1.5" } else { "-0.25" },
            );
            run_tenant(store.as_ref(), seed.tenant, Mode::Write, move |tx| {
                Box::pin(async move { tx.append_movements(&[m]).await.map(drop) })
            })
            .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let (item, location) = (seed.item, seed.location);
    let (level, mismatches) = read(&store, seed.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_stock_level(item, location).await?,
                tx.ledger_mismatches().await?,
            ))
        })
    })
    .await;
    // 32 x 1.5 - 32 x 0.25 = 40
    assert_eq!(level, q("40"));
    assert!(mismatches.is_empty(), "{mismatches:?}");
    assert_eq!(all_movements(&store, seed.tenant).await.len(), 64);
}

async fn tenant_ids_lists_every_tenant_in_id_order(store: S) {
    assert_eq!(store.tenant_ids().await, Ok(Vec::new()));
    let mut ids = Vec::new();
    for name in ["t1", "t2", "t3"] {
        ids.push(seed(&store, name).await.tenant);
    }
    // A tenant whose creating job failed is not listed.
    let ghost = TenantId::new();
    let row = tenant_row(ghost, "ghost");
    let err = attempt(&store, ghost, move |tx| {
        Box::pin(async move {
            tx.insert_tenant(&row).await?;
            Err::<(), _>(StoreError::Other("refused".into()))
        })
    })
    .await;
    assert!(err.is_err());
    ids.sort();
    assert_eq!(store.tenant_ids().await, Ok(ids));
}

async fn ping_answers_until_the_store_is_closed(store: S) {
    assert_eq!(store.ping().await, Ok(()));
    store.close().await;
    let ping = store.ping().await;
    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
    let ids = store.tenant_ids().await;
    assert!(matches!(ids, Err(StoreError::Unavailable(_))), "{ids:?}");
    let tenant = TenantId::new();
    let row = tenant_row(tenant, "closed");
    let err = attempt(&store, tenant, move |tx| {
        Box::pin(async move { tx.insert_tenant(&row).await })
    })
    .await;
    assert!(err.is_err(), "a closed store took a write");
}

/// A tenant with a row of every kind: what [`seed`] makes, plus a movement, a par level, a
/// recipe, a menu item, a sale (one line mapped to the menu item, one not) depleting stock, a
/// member with a refresh token, and an idempotency key.
struct Full {
    seed: Seed,
    movement: MovementId,
    recipe: RecipeId,
    menu_item: MenuItemId,
    sale: SaleId,
    user: UserId,
    family: TokenFamilyId,
}

async fn full_tenant(store: &S, name: &str) -> Full {
    let s = seed(store, name).await;
    let recipe = RecipeRow {
        id: RecipeId::new(),
        name: "Plain rice".into(),
        yield_quantity: q("1"),
        yield_unit: BaseUnit::Ea,
        notes: None,
        lines: vec![RecipeLineRow {
            position: 1,
            component: Component::Item(s.item),
            quantity: q("150"),
            unit: Unit::G,
        }],
        version: 1,
        created_at: at(1, 1),
        retired_at: None,
    };
    let menu_item = MenuItemRow {
        id: MenuItemId::new(),
        name: "Plain rice".into(),
        category: None,
        recipe_id: Some(recipe.id),
        portion: q("1"),
        price: Some(money("3.00")),
        version: 1,
        created_at: at(1, 1),
        retired_at: None,
    };
    let mut mapped = sale_line(1, "Plain rice", "2", "3.00");
    mapped.menu_item_id = Some(menu_item.id);
    let ticket = sale(
        s.location,
        Some("T-1"),
        at(2, 19),
        vec![mapped, sale_line(2, "Poppadom", "1", "0.80")],
    );
    let receipt = movement(&s, MovementKind::Receipt, "10");
    let depletion = MovementRow {
        sale_id: Some(ticket.id),
        ..mv(s.item, s.location, MovementKind::Sale, "-0.3", at(2, 19))
    };
    let user = user_row("Member");
    let family = TokenFamilyId::new();
    let token = RefreshTokenRow {
        id: RefreshTokenId::new(),
        family_id: family,
        user_id: user.id,
        token_hash: vec![42; 32],
        created_at: at(1, 1),
        expires_at: at(20, 1),
        used_at: None,
        revoked_at: None,
    };
    let full = Full {
        seed: s.clone(),
        movement: receipt.id,
        recipe: recipe.id,
        menu_item: menu_item.id,
        sale: ticket.id,
        user: user.id,
        family,
    };
    let (item, location) = (s.item, s.location);
    write(store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.upsert_par_level(&ParLevelRow {
                item_id: item,
                location_id: location,
                par_level: Some(q("20")),
                reorder_point: Some(q("5")),
            })
            .await?;
            tx.insert_recipe(&recipe).await?;
            tx.insert_menu_item(&menu_item).await?;
            tx.insert_sales(&[ticket]).await?;
            tx.append_movements(&[receipt, depletion]).await?;
            tx.insert_user(&user).await?;
            tx.insert_membership(user.id, Role::Manager, at(1, 1))
                .await?;
            tx.insert_refresh_token(&token).await?;
            tx.insert_idempotency(&IdempotencyRow {
                key: "k".into(),
                request_hash: vec![1],
                status: 201,
                body: "{}".into(),
                created_at: at(2, 1),
            })
            .await?;
            Ok(())
        })
    })
    .await;
    full
}

/// Everything a tenant's transaction can read of `a`'s rows, by `a`'s ids and by listing.
#[derive(Debug, PartialEq)]
struct Seen {
    tenant: Option<TenantId>,
    item: Option<ItemRow>,
    location: Option<LocationRow>,
    movement: Option<MovementRow>,
    level: Quantity,
    target: MovementTarget,
    items: Vec<ItemId>,
    units: Vec<ItemId>,
    locations: Vec<LocationId>,
    stock: Vec<(ItemId, LocationId)>,
    movements: usize,
    mismatches: Vec<LedgerMismatch>,
    recipe: Option<RecipeRow>,
    recipes: Vec<RecipeId>,
    menu_item: Option<MenuItemRow>,
    menu_items: Vec<MenuItemId>,
    sale: Option<SaleRow>,
    sales: Vec<SaleId>,
    refs: Vec<String>,
    unmapped: Vec<UnmappedRow>,
    top: Vec<TopMenuItemRow>,
    usage: Vec<DailyUsageRow>,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    membership: Option<MembershipRow>,
    token: Option<RefreshTokenRow>,
    idempotency: Option<IdempotencyRow>,
}

async fn seen_by(store: &S, tenant: TenantId, a: &Full) -> Seen {
    let (item, location, movement) = (a.seed.item, a.seed.location, a.movement);
    let (recipe, menu_item, sale, user) = (a.recipe, a.menu_item, a.sale, a.user);
    read(store, tenant, move |tx| {
        Box::pin(async move {
            Ok(Seen {
                tenant: tx.get_tenant().await?.map(|t| t.id),
                item: tx.get_item(item).await?,
                location: tx.get_location(location).await?,
                movement: tx.get_movement(movement).await?,
                level: tx.get_stock_level(item, location).await?,
                target: tx.movement_target(item, location).await?,
                items: tx
                    .list_items(&ItemFilter {
                        limit: 100,
                        ..Default::default()
                    })
                    .await?
                    .into_iter()
                    .map(|i| i.id)
                    .collect(),
                units: tx
                    .all_item_units()
                    .await?
                    .into_iter()
                    .map(|i| i.id)
                    .collect(),
                locations: tx
                    .list_locations(LocationScope::All, None, 100)
                    .await?
                    .into_iter()
                    .map(|l| l.id)
                    .collect(),
                stock: tx
                    .list_stock(&StockFilter {
                        limit: 100,
                        ..Default::default()
                    })
                    .await?
                    .into_iter()
                    .map(|r| (r.item_id, r.location_id))
                    .collect(),
                movements: tx
                    .list_movements(&MovementFilter {
                        limit: 100,
                        ..Default::default()
                    })
                    .await?
                    .len(),
                mismatches: tx.ledger_mismatches().await?,
                recipe: tx.get_recipe(recipe).await?,
                recipes: tx.all_recipes().await?.into_iter().map(|r| r.id).collect(),
                menu_item: tx.get_menu_item(menu_item).await?,
                menu_items: tx
                    .all_menu_items()
                    .await?
                    .into_iter()
                    .map(|m| m.id)
                    .collect(),
                sale: tx.get_sale(sale).await?,
                sales: tx
                    .list_sales(&SaleFilter {
                        limit: 100,
                        ..Default::default()
                    })
                    .await?
                    .into_iter()
                    .map(|s| s.id)
                    .collect(),
                refs: tx.existing_sale_refs("csv", &["T-1".into()]).await?,
                unmapped: tx.unmapped_sales(LocationScope::All).await?,
                top: tx
                    .top_menu_items(LocationScope::All, at(1, 0), at(30, 0), 10)
                    .await?,
                usage: tx
                    .usage_by_day(LocationScope::All, at(1, 0), at(30, 0), 0)
                    .await?,
                span: tx.sales_span(LocationScope::All).await?,
                membership: tx.get_membership(user).await?,
                token: tx.find_refresh_token(&[42; 32]).await?,
                idempotency: tx.get_idempotency("k").await?,
            })
        })
    })
    .await
}

async fn another_tenant_reads_none_of_the_first_tenants_rows(store: S) {
    let a = full_tenant(&store, "a").await;
    let b = seed(&store, "b").await;
    // A sees its own rows (so the comparison below can fail).
    let mine = seen_by(&store, a.seed.tenant, &a).await;
    assert_eq!(mine.tenant, Some(a.seed.tenant));
    assert_eq!(mine.item, Some(a.seed.item_row.clone()));
    assert_eq!(mine.level, q("9.7"));
    assert_eq!(
        (mine.movements, mine.stock.len(), mine.sales.len()),
        (2, 1, 1)
    );
    assert!(mine.location.is_some() && mine.movement.is_some() && mine.recipe.is_some());
    assert!(mine.menu_item.is_some() && mine.sale.is_some() && mine.membership.is_some());
    assert!(mine.token.is_some() && mine.idempotency.is_some() && mine.span.is_some());
    assert_eq!((mine.recipes.len(), mine.menu_items.len()), (1, 1));
    assert_eq!(mine.refs, vec!["T-1".to_string()]);
    assert_eq!(
        (mine.unmapped.len(), mine.top.len(), mine.usage.len()),
        (1, 2, 1)
    );

    let theirs = seen_by(&store, b.tenant, &a).await;
    assert_eq!(
        theirs,
        Seen {
            tenant: Some(b.tenant),
            item: None,
            location: None,
            movement: None,
            level: Quantity::ZERO,
            target: MovementTarget {
                item: None,
                location_exists: false
            },
            items: vec![b.item],
            units: vec![b.item],
            locations: vec![b.location],
            stock: vec![],
            movements: 0,
            mismatches: vec![],
            recipe: None,
            recipes: vec![],
            menu_item: None,
            menu_items: vec![],
            sale: None,
            sales: vec![],
            refs: vec![],
            unmapped: vec![],
            top: vec![],
            usage: vec![],
            span: None,
            membership: None,
            token: None,
            idempotency: None,
        }
    );
}

async fn another_tenant_changes_none_of_the_first_tenants_rows(store: S) {
    let a = full_tenant(&store, "a").await;
    let b = seed(&store, "b").await;
    let before = seen_by(&store, a.seed.tenant, &a).await;
    let renamed_item = ItemRow {
        name: "Renamed by B".into(),
        ..a.seed.item_row.clone()
    };
    let err = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.update_item(&renamed_item, 1).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
    let renamed_location = LocationRow {
        name: "Renamed by B".into(),
        ..a.seed.location_row.clone()
    };
    let err = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.update_location(&renamed_location, 1).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));
    let family = a.family;
    let (used, stored) = write(&store, b.tenant, move |tx| {
        Box::pin(async move {
            let used = tx.mark_refresh_token_used(&[42; 32], at(3, 1)).await?;
            tx.revoke_token_family(family, at(3, 1)).await?;
            let stored = tx
                .insert_idempotency(&IdempotencyRow {
                    key: "k".into(),
                    request_hash: vec![2],
                    status: 200,
                    body: "b".into(),
                    created_at: at(3, 1),
                })
                .await?;
            Ok((used, stored))
        })
    })
    .await;
    assert!(!used, "B marked A's refresh token used");
    assert!(stored, "B's idempotency key clashed with A's");
    // B's own par level and stock for its own item do not touch A's.
    let (bi, bl) = (b.item, b.location);
    write(&store, b.tenant, move |tx| {
        Box::pin(async move {
            tx.upsert_par_level(&ParLevelRow {
                item_id: bi,
                location_id: bl,
                par_level: Some(q("1")),
                reorder_point: None,
            })
            .await?;
            tx.append_movements(&[mv(bi, bl, MovementKind::Receipt, "1", at(3, 1))])
                .await
                .map(drop)
        })
    })
    .await;
    let after = seen_by(&store, a.seed.tenant, &a).await;
    assert_eq!(after, before);
}

type Attempt =
    Box<dyn for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<(), StoreError>> + Send>;

fn job<F>(f: F) -> Attempt
where
    F: for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<(), StoreError>>
        + Send
        + 'static,
{
    Box::new(f)
}

async fn foreign_keys_never_cross_tenants(store: S) {
    let a = full_tenant(&store, "a").await;
    let b = seed(&store, "b").await;
    let (ai, al, bi, bl) = (a.seed.item, a.seed.location, b.item, b.location);
    let (a_recipe, a_menu_item, a_sale) = (a.recipe, a.menu_item, a.sale);

    let attempts: Vec<(&str, Attempt)> = vec![
        (
            "movement of A's item",
            job(move |tx| {
                Box::pin(async move {
                    tx.append_movements(&[mv(ai, bl, MovementKind::Receipt, "1", at(3, 1))])
                        .await
                        .map(drop)
                })
            }),
        ),
        (
            "movement at A's location",
            job(move |tx| {
                Box::pin(async move {
                    tx.append_movements(&[mv(bi, al, MovementKind::Receipt, "1", at(3, 1))])
                        .await
                        .map(drop)
                })
            }),
        ),
        (
            "movement of A's sale",
            job(move |tx| {
                Box::pin(async move {
                    let m = MovementRow {
                        sale_id: Some(a_sale),
                        ..mv(bi, bl, MovementKind::Sale, "-1", at(3, 1))
                    };
                    tx.append_movements(&[m]).await.map(drop)
                })
            }),
        ),
        (
            "par level of A's item",
            job(move |tx| {
                Box::pin(async move {
                    tx.upsert_par_level(&ParLevelRow {
                        item_id: ai,
                        location_id: bl,
                        par_level: Some(q("1")),
                        reorder_point: None,
                    })
                    .await
                })
            }),
        ),
        (
            "recipe line of A's item",
            job(move |tx| {
                Box::pin(async move {
                    tx.insert_recipe(&RecipeRow {
                        id: RecipeId::new(),
                        name: "Borrowed".into(),
                        yield_quantity: q("1"),
                        yield_unit: BaseUnit::Ea,
                        notes: None,
                        lines: vec![RecipeLineRow {
                            position: 1,
                            component: Component::Item(ai),
                            quantity: q("1"),
                            unit: Unit::G,
                        }],
                        version: 1,
                        created_at: at(3, 1),
                        retired_at: None,
                    })
                    .await
                })
            }),
        ),
        (
            "recipe line of A's recipe",
            job(move |tx| {
                Box::pin(async move {
                    tx.insert_recipe(&RecipeRow {
                        id: RecipeId::new(),
                        name: "Borrowed".into(),
                        yield_quantity: q("1"),
                        yield_unit: BaseUnit::Ea,
                        notes: None,
                        lines: vec![RecipeLineRow {
                            position: 1,
                            component: Component::Recipe(a_recipe),
                            quantity: q("1"),
                            unit: Unit::G,
                        }],
                        version: 1,
                        created_at: at(3, 1),
                        retired_at: None,
                    })
                    .await
                })
            }),
        ),
        (
            "menu item of A's recipe",
            job(move |tx| {
                Box::pin(async move {
                    tx.insert_menu_item(&MenuItemRow {
                        id: MenuItemId::new(),
                        name: "Borrowed".into(),
                        category: None,
                        recipe_id: Some(a_recipe),
                        portion: q("1"),
                        price: None,
                        version: 1,
                        created_at: at(3, 1),
                        retired_at: None,
                    })
                    .await
                })
            }),
        ),
        (
            "sale at A's location",
            job(move |tx| {
                Box::pin(async move {
                    tx.insert_sales(&[sale(al, None, at(3, 1), Vec::new())])
                        .await
                })
            }),
        ),
        (
            "sale line of A's menu item",
            job(move |tx| {
                Box::pin(async move {
                    let mut line = sale_line(1, "Plain rice", "1", "3.00");
                    line.menu_item_id = Some(a_menu_item);
                    tx.insert_sales(&[sale(bl, None, at(3, 1), vec![line])])
                        .await
                })
            }),
        ),
    ];
    for (what, job) in attempts {
        let err = attempt(&store, b.tenant, job).await;
        assert_eq!(err, Err(conflict("foreign_key")), "{what}");
    }
    let before = seen_by(&store, b.tenant, &a).await;
    assert_eq!(
        (
            before.movements,
            before.recipes.len(),
            before.menu_items.len(),
            before.sales.len()
        ),
        (0, 0, 0, 0),
        "a refused write was kept"
    );
}

/// PostgreSQL only: the application role sees nothing without the tenant setting, only its
/// tenant's rows with it, and cannot rewrite the ledger (nor can the owner: a trigger).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rls_hides_rows_without_the_tenant_setting_and_the_ledger_is_append_only() {
    let Some((store, pg, owner_url)) = crate::harness::postgres_with_pool().await else {
        return;
    };
    let a = full_tenant(&store, "rls").await;
    let b = seed(&store, "rls-other").await;
    let tables = [
        "tenants",
        "memberships",
        "refresh_tokens",
        "idempotency_keys",
        "locations",
        "items",
        "par_levels",
        "stock_levels",
        "stock_movements",
        "recipes",
        "recipe_lines",
        "menu_items",
        "sales",
        "sale_lines",
    ];
    let count = |table: &str| format!("SELECT count(*) FROM {table}");
    for table in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count(table)))
            .fetch_one(&pg)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        assert_eq!(n, 0, "{table} visible without app.tenant_id");
    }
    for (tenant, own) in [(a.seed.tenant, true), (b.tenant, false)] {
        let mut tx = pg.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        for table in tables {
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "{} WHERE {} = $1",
                count(table),
                if table == "tenants" {
                    "id"
                } else {
                    "tenant_id"
                }
            )))
            .bind(a.seed.tenant.as_uuid())
            .fetch_one(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
            if own {
                assert!(n > 0, "{table}: A cannot see its own rows");
            } else {
                assert_eq!(n, 0, "{table}: B sees A's rows");
            }
        }
        drop(tx);
    }
    for sql in [
        "UPDATE stock_movements SET quantity = 0",
        "DELETE FROM stock_movements",
    ] {
        let mut tx = pg.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(a.seed.tenant.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let res = sqlx::query(sql).execute(&mut *tx).await;
        assert!(res.is_err(), "larder_app could rewrite the ledger: {sql}");
        drop(tx);
    }
    let owner = sqlx::PgPool::connect(&owner_url).await.unwrap();
    for sql in [
        "UPDATE stock_movements SET quantity = 0",
        "DELETE FROM stock_movements",
    ] {
        let err = sqlx::query(sql)
            .execute(&owner)
            .await
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("stock_movements is append-only")),
            "{sql}: {err:?}"
        );
    }
    owner.close().await;
    assert_eq!(all_movements(&store, a.seed.tenant).await.len(), 2);
    store.close().await;
}
