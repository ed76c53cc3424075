#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! The storage contract, written once and run against both backends: every test below expands
//! into `sqlite::name` and `postgres::name`.

mod harness;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use larder_core::auth::Role;
use larder_core::inventory::MovementKind;
use larder_core::recipe::Component;
use larder_core::tenancy::LocationKind;
use larder_core::*;
use larder_store::*;

type S = Arc<dyn Store>;

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let store = crate::harness::sqlite().await;
                    super::$name(store.clone()).await;
                    store.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(store) = crate::harness::postgres().await else { return };
                    super::$name(store.clone()).await;
                    store.close().await;
                }
            )*
        }
    };
}

contract!(
    another_tenant_sees_none_of_the_first_tenants_rows,
    movements_move_on_hand_and_the_ledger_checks_out,
    sixty_four_concurrent_adjustments_lose_nothing,
    unique_constraints_are_reported_by_name,
    a_failed_job_rolls_back_only_its_own_writes,
    a_refresh_token_can_be_used_once,
    items_page_by_name_with_a_cursor,
    recipes_round_trip_with_their_lines,
    sales_round_trip_and_unmapped_names_are_reported,
);

fn at(day: u32, hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_default()
}

struct Seed {
    tenant: TenantId,
    location: LocationId,
    item: ItemId,
}

fn item_row(name: &str, sku: Option<&str>) -> ItemRow {
    ItemRow {
        id: ItemId::new(),
        name: name.into(),
        sku: sku.map(Into::into),
        category: Some("dry goods".into()),
        base_unit: BaseUnit::G,
        pack_sizes: vec![PackSize {
            name: "sack".into(),
            quantity: q("10000"),
        }],
        barcode: None,
        unit_cost: Some(Money::from_raw(1_200)),
        version: 1,
        created_at: at(1, 9),
        updated_at: at(1, 9),
    }
}

fn movement(seed: &Seed, kind: MovementKind, qty: &str) -> MovementRow {
    MovementRow {
        id: MovementId::new(),
        item_id: seed.item,
        location_id: seed.location,
        kind,
        quantity: q(qty),
        unit_cost: None,
        reason: None,
        sale_id: None,
        created_by: None,
        occurred_at: at(2, 10),
        recorded_at: at(2, 11),
    }
}

async fn seed(store: &S, name: &str) -> Seed {
    let tenant = TenantId::new();
    let location = LocationId::new();
    let item = item_row("Basmati rice", Some("RICE-1"));
    let item_id = item.id;
    let slug = format!("{name}-{}", tenant.as_uuid().simple());
    run_tenant(store.as_ref(), tenant, Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_tenant(&TenantRow {
                id: tenant,
                name: "Test".into(),
                slug,
                currency: "GBP".into(),
                time_zone: "Europe/London".into(),
                day_cutoff_minutes: 240,
                created_at: at(1, 8),
            })
            .await?;
            tx.insert_location(&LocationRow {
                id: location,
                name: "Brixton".into(),
                kind: LocationKind::Outlet,
                created_at: at(1, 8),
            })
            .await?;
            tx.insert_item(&item).await?;
            Ok::<_, StoreError>(())
        })
    })
    .await
    .unwrap_or_else(|e| panic!("seeding failed: {e}"));
    Seed {
        tenant,
        location,
        item: item_id,
    }
}

async fn another_tenant_sees_none_of_the_first_tenants_rows(store: S) {
    let a = seed(&store, "a").await;
    let b = seed(&store, "b").await;
    let (item, location) = (a.item, a.location);
    let mv = movement(&a, MovementKind::Receipt, "5");
    let mv_id = mv.id;
    run_tenant(store.as_ref(), a.tenant, Mode::Write, move |tx| {
        Box::pin(async move { tx.append_movements(&[mv]).await })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    let seen = run_tenant(store.as_ref(), b.tenant, Mode::Read, move |tx| {
        Box::pin(async move {
            let item = tx.get_item(item).await?;
            let location = tx.get_location(location).await?;
            let movement = tx.get_movement(mv_id).await?;
            let level = tx
                .get_stock_level(
                    item.as_ref().map_or(ItemId::new(), |i| i.id),
                    location.as_ref().map_or(LocationId::new(), |l| l.id),
                )
                .await?;
            let items = tx
                .list_items(&ItemFilter {
                    limit: 100,
                    ..Default::default()
                })
                .await?;
            let stock = tx
                .list_stock(&StockFilter {
                    limit: 100,
                    ..Default::default()
                })
                .await?;
            let movements = tx
                .list_movements(&MovementFilter {
                    limit: 100,
                    ..Default::default()
                })
                .await?;
            Ok::<_, StoreError>((item, location, movement, level, items, stock, movements))
        })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen.0, None, "item of tenant A visible to B");
    assert_eq!(seen.1, None, "location of tenant A visible to B");
    assert_eq!(seen.2, None, "movement of tenant A visible to B");
    assert_eq!(seen.3, Quantity::ZERO);
    // B sees only its own item, no stock and no movements.
    assert_eq!(
        seen.4.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![b.item]
    );
    assert!(seen.5.is_empty());
    assert!(seen.6.is_empty());

    // B cannot record a movement against A's item: the composite foreign key refuses it.
    let foreign = movement(
        &Seed {
            tenant: b.tenant,
            location: b.location,
            item: a.item,
        },
        MovementKind::Receipt,
        "1",
    );
    let err = run_tenant(store.as_ref(), b.tenant, Mode::Write, move |tx| {
        Box::pin(async move { tx.append_movements(&[foreign]).await })
    })
    .await;
    assert!(matches!(err, Err(StoreError::Conflict { .. })), "{err:?}");
}

async fn movements_move_on_hand_and_the_ledger_checks_out(store: S) {
    let s = seed(&store, "ledger").await;
    let moves = vec![
        movement(&s, MovementKind::Opening, "10"),
        movement(&s, MovementKind::Sale, "-2.125"),
        movement(&s, MovementKind::Waste, "-0.5"),
        movement(&s, MovementKind::Sale, "-9"),
    ];
    let (item, location) = (s.item, s.location);
    let (level, mismatches, listed) =
        run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.append_movements(&moves).await?;
                let level = tx.get_stock_level(item, location).await?;
                let mismatches = tx.ledger_mismatches().await?;
                let listed = tx
                    .list_movements(&MovementFilter {
                        item_id: Some(item),
                        kind: Some(MovementKind::Sale),
                        limit: 10,
                        ..Default::default()
                    })
                    .await?;
                Ok::<_, StoreError>((level, mismatches, listed))
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // 10 - 2.125 - 0.5 - 9 = -1.625: negative stock is kept, not clamped.
    assert_eq!(level, q("-1.625"));
    assert!(mismatches.is_empty(), "{mismatches:?}");
    assert_eq!(listed.len(), 2);
    assert!(listed[0].id > listed[1].id, "newest first");
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
                Box::pin(async move { tx.append_movements(&[m]).await })
            })
            .await
        }));
    }
    for h in handles {
        h.await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (item, location) = (seed.item, seed.location);
    let level = run_tenant(store.as_ref(), seed.tenant, Mode::Read, move |tx| {
        Box::pin(async move { tx.get_stock_level(item, location).await })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // 32 x 1.5 - 32 x 0.25 = 40
    assert_eq!(level, q("40"));
}

async fn unique_constraints_are_reported_by_name(store: S) {
    let s = seed(&store, "unique").await;
    let dup = item_row("Other rice", Some("RICE-1"));
    let err = run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_item(&dup).await })
    })
    .await;
    assert_eq!(
        err,
        Err(StoreError::Conflict {
            constraint: "items_sku".into()
        })
    );

    let row = IdempotencyRow {
        key: "k1".into(),
        request_hash: vec![1],
        status: 201,
        body: "{}".into(),
        created_at: at(3, 1),
    };
    let again = row.clone();
    let res = run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_idempotency(&row).await?;
            tx.insert_idempotency(&again).await
        })
    })
    .await;
    assert_eq!(
        res,
        Err(StoreError::Conflict {
            constraint: "idempotency_keys_key".into()
        })
    );

    let email = format!("{}@example.com", TenantId::new());
    let u1 = UserRow {
        id: UserId::new(),
        email: email.clone(),
        name: "A".into(),
        password_hash: "x".into(),
        created_at: at(1, 1),
    };
    let u2 = UserRow {
        id: UserId::new(),
        ..u1.clone()
    };
    run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_user(&u1).await })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let err = run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_user(&u2).await })
    })
    .await;
    assert_eq!(
        err,
        Err(StoreError::Conflict {
            constraint: "users_email".into()
        })
    );
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
    assert!(failing.await.unwrap_or_else(|e| panic!("{e}")).is_err());
    succeeding
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (g, b) = run_tenant(store.as_ref(), s.tenant, Mode::Read, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((tx.get_item(good_id).await?, tx.get_item(bad_id).await?))
        })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(g.is_some());
    assert!(b.is_none());
}

async fn a_refresh_token_can_be_used_once(store: S) {
    let s = seed(&store, "refresh").await;
    let user = UserRow {
        id: UserId::new(),
        email: format!("{}@example.com", UserId::new()),
        name: "Cook".into(),
        password_hash: "x".into(),
        created_at: at(1, 1),
    };
    let uid = user.id;
    let family = TokenFamilyId::new();
    let (first, second, revoked) = run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_user(&user).await?;
            tx.insert_membership(uid, Role::Staff, at(1, 1)).await?;
            tx.insert_refresh_token(&RefreshTokenRow {
                id: RefreshTokenId::new(),
                family_id: family,
                user_id: uid,
                token_hash: vec![7; 32],
                created_at: at(1, 1),
                expires_at: at(20, 1),
                used_at: None,
                revoked_at: None,
            })
            .await?;
            let first = tx.mark_refresh_token_used(&[7; 32], at(2, 1)).await?;
            let second = tx.mark_refresh_token_used(&[7; 32], at(2, 2)).await?;
            tx.revoke_token_family(family, at(2, 3)).await?;
            let revoked = tx
                .find_refresh_token(&[7; 32])
                .await?
                .and_then(|t| t.revoked_at);
            Ok::<_, StoreError>((first, second, revoked))
        })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(first);
    assert!(!second, "a second use must be detected");
    assert_eq!(revoked, Some(at(2, 3)));
    let memberships = run_global(store.as_ref(), Mode::Read, move |tx| {
        Box::pin(async move { tx.memberships_of_user(uid).await })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].tenant_id, s.tenant);
    assert_eq!(memberships[0].role, Role::Staff);
}

async fn items_page_by_name_with_a_cursor(store: S) {
    let s = seed(&store, "paging").await;
    let names = ["Cumin", "Apple", "Zucchini", "Butter", "apple"];
    let rows: Vec<ItemRow> = names.iter().map(|n| item_row(n, None)).collect();
    let pages = run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
        Box::pin(async move {
            for r in &rows {
                tx.insert_item(r).await?;
            }
            let mut pages = Vec::new();
            let mut after = None;
            loop {
                let page = tx
                    .list_items(&ItemFilter {
                        after: after.clone(),
                        limit: 2,
                        ..Default::default()
                    })
                    .await?;
                if page.is_empty() {
                    break;
                }
                after = page.last().map(|i| (i.name.clone(), i.id));
                pages.push(page.into_iter().map(|i| i.name).collect::<Vec<_>>());
            }
            let found = tx
                .list_items(&ItemFilter {
                    name_contains: Some("APP".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await?;
            pages.push(found.into_iter().map(|i| i.name).collect());
            Ok::<_, StoreError>(pages)
        })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // Bytewise name order on both backends; the seed's "Basmati rice" is among them.
    assert_eq!(
        pages,
        vec![
            vec!["Apple".to_string(), "Basmati rice".into()],
            vec!["Butter".into(), "Cumin".into()],
            vec!["Zucchini".into(), "apple".into()],
            vec!["Apple".into(), "apple".into()],
        ]
    );
}

async fn recipes_round_trip_with_their_lines(store: S) {
    let s = seed(&store, "recipes").await;
    let base = RecipeRow {
        id: RecipeId::new(),
        name: "Pilau base".into(),
        yield_quantity: q("2500"),
        yield_unit: BaseUnit::G,
        notes: Some("1 kg rice cooks to 2.5 kg".into()),
        lines: vec![RecipeLineRow {
            position: 1,
            component: Component::Item(s.item),
            quantity: q("1"),
            unit: Unit::Kg,
        }],
        version: 1,
        created_at: at(1, 1),
    };
    let plate = RecipeRow {
        id: RecipeId::new(),
        name: "Pilau rice".into(),
        yield_quantity: q("1"),
        yield_unit: BaseUnit::Ea,
        notes: None,
        lines: vec![RecipeLineRow {
            position: 1,
            component: Component::Recipe(base.id),
            quantity: q("300"),
            unit: Unit::G,
        }],
        version: 1,
        created_at: at(1, 1),
    };
    let (b2, p2) = (base.clone(), plate.clone());
    let (got, all) = run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
        Box::pin(async move {
            tx.insert_recipe(&b2).await?;
            tx.insert_recipe(&p2).await?;
            Ok::<_, StoreError>((tx.get_recipe(p2.id).await?, tx.all_recipes().await?))
        })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, Some(plate.clone()));
    assert_eq!(all, vec![base, plate]);
}

async fn sales_round_trip_and_unmapped_names_are_reported(store: S) {
    let s = seed(&store, "sales").await;
    let sale = SaleRow {
        id: SaleId::new(),
        location_id: s.location,
        source: "csv".into(),
        external_ref: Some("16118".into()),
        occurred_at: at(3, 20),
        recorded_at: at(4, 9),
        lines: vec![
            SaleLineRow {
                line_no: 1,
                menu_item_id: None,
                item_name: "Plain Papadum".into(),
                quantity: q("2"),
                unit_price: Money::from_raw(800_000),
            },
            SaleLineRow {
                line_no: 2,
                menu_item_id: None,
                item_name: "Plain Papadum".into(),
                quantity: q("1"),
                unit_price: Money::from_raw(800_000),
            },
        ],
    };
    let dup = SaleRow {
        id: SaleId::new(),
        ..sale.clone()
    };
    let s2 = sale.clone();
    let (got, existing, unmapped, top) =
        run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.insert_sales(std::slice::from_ref(&s2)).await?;
                let got = tx.get_sale(s2.id).await?;
                let existing = tx
                    .existing_sale_refs("csv", &["16118".into(), "1".into()])
                    .await?;
                let unmapped = tx.unmapped_sales().await?;
                let top = tx.top_menu_items(at(1, 0), at(30, 0), 5).await?;
                Ok::<_, StoreError>((got, existing, unmapped, top))
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, Some(sale));
    assert_eq!(existing, vec!["16118".to_string()]);
    assert_eq!(
        unmapped,
        vec![UnmappedRow {
            item_name: "Plain Papadum".into(),
            lines: 2,
            quantity: q("3")
        }]
    );
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].quantity, q("3"));
    // 3 x 0.80 = 2.40, in billionths
    assert_eq!(top[0].revenue_billionths, 2_400_000_000);
    let err = run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_sales(&[dup]).await })
    })
    .await;
    assert_eq!(
        err,
        Err(StoreError::Conflict {
            constraint: "sales_external_ref".into()
        })
    );
}

/// PostgreSQL only: the application role sees nothing without the tenant setting, and cannot
/// rewrite the ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rls_hides_rows_without_the_tenant_setting_and_the_ledger_is_append_only() {
    let Some((store, pg)) = harness::postgres_with_pool().await else {
        return;
    };
    let s = seed(&store, "rls").await;
    let m = movement(&s, MovementKind::Receipt, "3");
    run_tenant(store.as_ref(), s.tenant, Mode::Write, move |tx| {
        Box::pin(async move { tx.append_movements(&[m]).await })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    for table in [
        "items",
        "locations",
        "stock_levels",
        "stock_movements",
        "memberships",
        "tenants",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&pg)
                .await
                .unwrap_or_else(|e| panic!("{table}: {e}"));
        assert_eq!(n, 0, "{table} visible without app.tenant_id");
    }
    let mut tx = pg.begin().await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(s.tenant.to_string())
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM stock_movements")
        .fetch_one(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 1);
    let upd = sqlx::query("UPDATE stock_movements SET quantity = 0")
        .execute(&mut *tx)
        .await;
    assert!(upd.is_err(), "larder_app could rewrite the ledger");
    drop(tx);
    store.close().await;
}
