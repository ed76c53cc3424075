//! tenancy (`TenancyTx`): the transaction's tenant row, and locations with their unique names,
//! renames and keyset pages.

use crate::*;

contract!(
    a_tenant_round_trips_and_its_slug_is_unique,
    a_transaction_creates_only_its_own_tenant,
    locations_round_trip_and_names_are_unique_per_tenant,
    update_location_renames_and_reports_a_missing_one,
    locations_page_by_name_with_a_cursor,
    a_member_limited_to_locations_reads_only_theirs,
    settings_are_replaced_at_their_version_only,
);

async fn a_tenant_round_trips_and_its_slug_is_unique(store: S) {
    let s = seed(&store, "tenant").await;
    let tenant = s.tenant;
    let (id, got) = read(&store, s.tenant, |tx| {
        Box::pin(async move { Ok((tx.tenant_id(), tx.get_tenant().await?)) })
    })
    .await;
    assert_eq!(id, tenant);
    assert_eq!(got, Some(s.tenant_row.clone()));

    // A transaction of a tenant that was never created sees no tenant row.
    let ghost = TenantId::new();
    let (id, none) = read(&store, ghost, |tx| {
        Box::pin(async move { Ok((tx.tenant_id(), tx.get_tenant().await?)) })
    })
    .await;
    assert_eq!(id, ghost);
    assert_eq!(none, None);

    // Another tenant may not take the slug.
    let other = TenantId::new();
    let taken = TenantRow {
        id: other,
        ..s.tenant_row.clone()
    };
    let err = attempt(&store, other, move |tx| {
        Box::pin(async move { tx.insert_tenant(&taken).await })
    })
    .await;
    assert_eq!(err, Err(conflict("tenants_slug")));
    let none = read(&store, other, |tx| {
        Box::pin(async move { tx.get_tenant().await })
    })
    .await;
    assert_eq!(none, None, "the refused tenant was written");
}

async fn a_transaction_creates_only_its_own_tenant(store: S) {
    let mine = TenantId::new();
    let theirs = tenant_row(TenantId::new(), "theirs");
    let theirs_id = theirs.id;
    let err = attempt(&store, mine, move |tx| {
        Box::pin(async move { tx.insert_tenant(&theirs).await })
    })
    .await;
    assert!(matches!(err, Err(StoreError::Other(_))), "{err:?}");
    assert!(
        store.tenant_ids().await.unwrap().is_empty(),
        "a tenant was created from another tenant's transaction"
    );
    let none = read(&store, theirs_id, |tx| {
        Box::pin(async move { tx.get_tenant().await })
    })
    .await;
    assert_eq!(none, None);
}

async fn locations_round_trip_and_names_are_unique_per_tenant(store: S) {
    let a = seed(&store, "loc-a").await;
    let b = seed(&store, "loc-b").await;
    let kitchen = location_row("Central kitchen", LocationKind::CentralKitchen);
    let k2 = kitchen.clone();
    let (got, seeded, missing) = write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&k2).await?;
            Ok((
                tx.get_location(k2.id).await?,
                tx.get_location(a.location).await?,
                tx.get_location(LocationId::new()).await?,
            ))
        })
    })
    .await;
    assert_eq!(got, Some(kitchen.clone()));
    assert_eq!(seeded, Some(a.location_row.clone()));
    assert_eq!(missing, None);

    // The name is unique within the tenant, whatever the kind.
    let dup = location_row("Central kitchen", LocationKind::Outlet);
    let err = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_location(&dup).await })
    })
    .await;
    assert_eq!(err, Err(conflict("locations_name")));

    // ... and only there: tenant B may use it too.
    let theirs = location_row("Central kitchen", LocationKind::CentralKitchen);
    let theirs_id = theirs.id;
    let listed = write(&store, b.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&theirs).await?;
            tx.list_locations(LocationScope::All, None, 10).await
        })
    })
    .await;
    // B lists its own two locations, by name.
    assert_eq!(
        listed.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![b.location, theirs_id]
    );
}

async fn update_location_renames_and_reports_a_missing_one(store: S) {
    let s = seed(&store, "rename").await;
    let other = location_row("Peckham", LocationKind::Outlet);
    let o2 = other.clone();
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_location(&o2).await })
    })
    .await;

    let renamed = LocationRow {
        name: "Brixton Market kitchen".into(),
        kind: LocationKind::CentralKitchen,
        version: 2,
        ..s.location_row.clone()
    };
    let r2 = renamed.clone();
    let (got, untouched) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.update_location(&r2, 1).await?;
            Ok((
                tx.get_location(r2.id).await?,
                tx.get_location(other.id).await?,
            ))
        })
    })
    .await;
    // Name and kind change and the version moves on; id and created_at stay.
    assert_eq!(got, Some(renamed.clone()));
    assert_eq!(untouched.map(|l| l.name), Some("Peckham".to_string()));

    let missing = location_row("Nowhere", LocationKind::Outlet);
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_location(&missing, 1).await })
    })
    .await;
    assert_eq!(err, Err(StoreError::NotFound));

    // A rename onto a taken name is refused by name.
    let clash = LocationRow {
        name: "Peckham".into(),
        ..renamed.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_location(&clash, 2).await })
    })
    .await;
    assert_eq!(err, Err(conflict("locations_name")));
    let id = s.location;
    let after = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_location(id).await })
    })
    .await;
    assert_eq!(after, Some(renamed.clone()));

    // A writer that read version 1 is refused by version, and the row is kept.
    let stale = LocationRow {
        name: "Lost update".into(),
        ..renamed.clone()
    };
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.update_location(&stale, 1).await })
    })
    .await;
    assert_eq!(err, Err(conflict("locations_version")));
    let after = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_location(id).await })
    })
    .await;
    assert_eq!(after, Some(renamed));
}

async fn locations_page_by_name_with_a_cursor(store: S) {
    let s = seed(&store, "loc-pages").await;
    let rows: Vec<LocationRow> = ["Walworth", "Acton", "Camden", "acton", "Dalston"]
        .iter()
        .map(|n| location_row(n, LocationKind::Outlet))
        .collect();
    let pages = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            for r in &rows {
                tx.insert_location(r).await?;
            }
            let mut pages = Vec::new();
            let mut after = None;
            loop {
                // A cursor that does not advance would page forever.
                assert!(pages.len() < 10, "the cursor does not advance: {pages:?}");
                let page = tx
                    .list_locations(LocationScope::All, after.clone(), 2)
                    .await?;
                if page.is_empty() {
                    break;
                }
                assert!(page.len() <= 2, "limit ignored: {page:?}");
                after = page.last().map(|l| (l.name.clone(), l.id));
                pages.push(page.into_iter().map(|l| l.name).collect::<Vec<_>>());
            }
            Ok(pages)
        })
    })
    .await;
    // Bytewise name order on both backends; the seed's "Brixton" is among them.
    assert_eq!(
        pages,
        vec![
            vec!["Acton".to_string(), "Brixton".into()],
            vec!["Camden".into(), "Dalston".into()],
            vec!["Walworth".into(), "acton".into()],
        ]
    );
}

/// What every scoped read returns, for comparing the scopes.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    locations: Vec<LocationId>,
    stock: Vec<LocationId>,
    movements: Vec<LocationId>,
    sales: Vec<LocationId>,
    unmapped: Vec<(String, i64)>,
    top: Vec<(String, Quantity)>,
    usage: Vec<Quantity>,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

async fn seen(tx: &mut dyn TenantTx, scope: LocationScope) -> Result<Seen, StoreError> {
    let (from, to) = (at(1, 0), at(20, 0));
    Ok(Seen {
        locations: ids(tx.list_locations(scope, None, 10).await?, |l| l.id),
        stock: ids(
            tx.list_stock(&StockFilter {
                scope,
                limit: 10,
                ..Default::default()
            })
            .await?,
            |s| s.location_id,
        ),
        movements: ids(
            tx.list_movements(&MovementFilter {
                scope,
                limit: 10,
                ..Default::default()
            })
            .await?,
            |m| m.location_id,
        ),
        sales: ids(
            tx.list_sales(&SaleFilter {
                scope,
                limit: 10,
                ..Default::default()
            })
            .await?,
            |s| s.location_id,
        ),
        unmapped: tx
            .unmapped_sales(scope)
            .await?
            .into_iter()
            .map(|u| (u.item_name, u.lines))
            .collect(),
        top: tx
            .top_menu_items(scope, from, to, 10)
            .await?
            .into_iter()
            .map(|t| (t.item_name, t.quantity))
            .collect(),
        usage: tx
            .usage_by_day(scope, from, to, 0)
            .await?
            .into_iter()
            .map(|u| u.quantity)
            .collect(),
        span: tx.sales_span(scope).await?,
    })
}

fn ids<T>(rows: Vec<T>, id: impl Fn(&T) -> LocationId) -> Vec<LocationId> {
    let mut v: Vec<LocationId> = rows.iter().map(id).collect();
    v.sort();
    v.dedup();
    v
}

async fn a_member_limited_to_locations_reads_only_theirs(store: S) {
    let s = seed(&store, "limited").await;
    let (item, brixton) = (s.item, s.location);
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let pk = peckham.id;
    let (cook, boss) = (user_row("Cook"), user_row("Boss"));
    let (cid, bid) = (cook.id, boss.id);
    // One sale at each location (on different days), each with its usage movement.
    let at_b = sale(
        brixton,
        Some("B-1"),
        at(3, 12),
        vec![sale_line(1, "Rice B", "2", "3")],
    );
    let at_p = sale(
        pk,
        Some("P-1"),
        at(5, 12),
        vec![sale_line(1, "Rice P", "5", "3")],
    );
    let mut used_b = mv(item, brixton, MovementKind::Sale, "-2", at(3, 12));
    used_b.sale_id = Some(at_b.id);
    let mut used_p = mv(item, pk, MovementKind::Sale, "-5", at(5, 12));
    used_p.sale_id = Some(at_p.id);
    let (limited, all, member, listed, session, pairs) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_location(&peckham).await?;
            tx.insert_sales(&[at_b, at_p]).await?;
            tx.append_movements(&[used_b, used_p]).await?;
            for (u, role) in [(&cook, Role::Staff), (&boss, Role::Manager)] {
                tx.insert_user(u).await?;
                tx.insert_membership(u.id, role, at(2, 1)).await?;
            }
            let before = tx.member_locations(cid).await?;
            assert_eq!(before, None, "a new member is limited");
            assert!(
                tx.set_member_locations(cid, Some(&[brixton]), at(6, 1))
                    .await?
            );
            assert!(
                tx.set_member_locations(bid, Some(&[pk, brixton]), at(6, 2))
                    .await?
            );
            // Replacing the boss's limit, then lifting it, leaves no row behind.
            assert!(tx.set_member_locations(bid, Some(&[pk]), at(6, 3)).await?);
            assert!(tx.set_member_locations(bid, None, at(6, 4)).await?);
            assert!(
                !tx.set_member_locations(UserId::new(), None, at(6, 4))
                    .await?
            );
            Ok((
                seen(tx, LocationScope::Member(cid)).await?,
                seen(tx, LocationScope::All).await?,
                tx.get_member(cid).await?,
                (
                    tx.member_locations(cid).await?,
                    tx.member_locations(bid).await?,
                ),
                tx.session(cid, TokenFamilyId::new()).await?,
                tx.all_member_locations().await?,
            ))
        })
    })
    .await;
    assert_eq!(
        limited,
        Seen {
            locations: vec![brixton],
            stock: vec![brixton],
            movements: vec![brixton],
            sales: vec![brixton],
            unmapped: vec![("Rice B".into(), 1)],
            top: vec![("Rice B".into(), q("2"))],
            usage: vec![q("2")],
            span: Some((at(3, 12), at(3, 12))),
        }
    );
    let mut both = vec![brixton, pk];
    both.sort();
    assert_eq!(all.locations, both);
    assert_eq!(all.stock, both);
    assert_eq!(all.sales, both);
    assert_eq!(all.usage, vec![q("2"), q("5")]);
    assert_eq!(all.span, Some((at(3, 12), at(5, 12))));
    assert_eq!(member.map(|m| m.locations_limited_at), Some(Some(at(6, 1))));
    assert_eq!(listed, (Some(vec![brixton]), None));
    assert!(session.is_some_and(|s| s.locations_limited));
    assert_eq!(pairs, vec![(cid, brixton)]);

    // A location that does not exist (or is another tenant's) is refused.
    let other = seed(&store, "limited-other").await;
    let theirs = other.location;
    let err = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.set_member_locations(cid, Some(&[theirs]), at(7, 1))
                .await
        })
    })
    .await;
    assert_eq!(err, Err(conflict("foreign_key")));
    // Another tenant sees none of this tenant's limits.
    let none = read(&store, other.tenant, move |tx| {
        Box::pin(async move { tx.all_member_locations().await })
    })
    .await;
    assert!(none.is_empty());
}

async fn settings_are_replaced_at_their_version_only(store: S) {
    let s = seed(&store, "settings").await;
    let changed = TenantRow {
        currency: "USD".into(),
        time_zone: "America/New_York".into(),
        day_cutoff_minutes: 180,
        week_start: WeekStart::Sunday,
        units: UnitSystem::UsCustomary,
        approval_threshold: Some(money("500")),
        settings_version: 2,
        ..s.tenant_row.clone()
    };
    let c = changed.clone();
    let (stale, fresh, read) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let stale = tx.update_settings(&c, 7).await;
            tx.update_settings(&c, 1).await?;
            Ok((
                stale,
                tx.update_settings(&c, 1).await,
                tx.get_tenant().await?,
            ))
        })
    })
    .await;
    assert_eq!(stale, Err(conflict("tenants_version")));
    assert_eq!(
        fresh,
        Err(conflict("tenants_version")),
        "a version is used once"
    );
    assert_eq!(read, Some(changed));
}
