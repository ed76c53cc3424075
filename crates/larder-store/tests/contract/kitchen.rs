//! kitchen (`KitchenTx`): stations are named once per location and versioned; workflow
//! templates keep every version, one active per menu item and per category, the item's own
//! winning over its category's; order numbers count from 1 per location and business day;
//! an order keeps its lines and tasks as written, lists by status, day and cursor, and moves
//! only from the version it was read at; open tasks come in queue order (priority, requested
//! time, order time); the task log and the duration samples are appended and read back in
//! order, one sample per task; an order has one delivery that has not failed; shifts are read
//! by the window they overlap. Every id of one tenant is unknown to another.

use larder_core::kitchen::{Channel, DeliveryStatus, OrderStatus, Priority, TaskStatus};
use larder_core::{DeliveryId, OrderId, OrderLineId, StationId, TaskId, WorkflowTemplateId};
use larder_store::{
    KitchenOrderFilter, KitchenOrderLineRow, KitchenOrderRow, KitchenTaskLogFilter,
    KitchenTaskLogRow, KitchenTaskRow, OrderDeliveryRow, ShiftRow, StationRow, TaskDurationRow,
    WorkflowTemplateRow, WorkflowTemplateVersionRow,
};
use uuid::Uuid;

use crate::*;

contract!(
    stations_are_named_once_per_location_versioned_and_the_tenants_own,
    templates_keep_every_version_and_one_active_per_item_or_category,
    orders_are_numbered_per_location_and_day_and_keep_their_lines_and_tasks,
    open_tasks_come_in_queue_order_and_move_only_from_their_version,
    the_task_log_and_duration_samples_are_appended_and_read_in_order,
    an_order_has_one_delivery_not_failed_and_shifts_are_read_by_overlap,
);

fn station(seed: &Seed, name: &str, types: &[&str], capacity: i64) -> StationRow {
    StationRow {
        id: StationId::new(),
        location_id: seed.location,
        name: name.into(),
        station_types: types.iter().map(|t| (*t).to_owned()).collect(),
        capacity,
        active: true,
        created_at: at(2, 9),
        updated_at: at(2, 9),
        version: 1,
    }
}

fn menu_item(name: &str, category: Option<&str>) -> MenuItemRow {
    MenuItemRow {
        id: MenuItemId::new(),
        name: name.into(),
        category: category.map(str::to_owned),
        recipe_id: None,
        portion: q("1"),
        price: Some(money("9.50")),
        version: 1,
        created_at: at(1, 1),
        retired_at: None,
    }
}

fn template(
    name: &str,
    menu_item: Option<MenuItemId>,
    category: Option<&str>,
) -> (WorkflowTemplateRow, WorkflowTemplateVersionRow) {
    let id = WorkflowTemplateId::new();
    (
        WorkflowTemplateRow {
            id,
            name: name.into(),
            menu_item_id: menu_item,
            category: category.map(str::to_owned),
            current_version: 1,
            active: true,
            created_at: at(2, 9),
            updated_at: at(2, 9),
            version: 1,
        },
        WorkflowTemplateVersionRow {
            template_id: id,
            version: 1,
            phases: r#"[{"name":"cook","tasks":[{"key":"bake","name":"Bake","station_type":"tandoor","estimate_secs":240,"depends_on":[],"subtasks":[]}]}]"#.into(),
            created_by: None,
            created_at: at(2, 9),
        },
    )
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
}

fn order(seed: &Seed, number: i64, created: DateTime<Utc>) -> KitchenOrderRow {
    KitchenOrderRow {
        id: OrderId::new(),
        location_id: seed.location,
        business_date: day(3),
        number,
        channel: Channel::Phone,
        status: OrderStatus::New,
        priority: Priority::Normal,
        customer_name: Some("Asha".into()),
        customer_phone: Some("+44 20 7946 0018".into()),
        customer_address: Some("12 Coldharbour Lane".into()),
        notes: Some("ring twice".into()),
        requested_at: None,
        predicted_ready_at: Some(plus_micros(created, 900_000_000)),
        eta_at: Some(plus_micros(created, 900_000_000)),
        started_at: None,
        ready_at: None,
        delivered_at: None,
        cancelled_at: None,
        cancel_reason: None,
        created_by: None,
        created_at: created,
        updated_at: created,
        version: 1,
    }
}

fn line(
    order: &KitchenOrderRow,
    line_no: i64,
    item: &MenuItemRow,
    tpl: Option<&WorkflowTemplateRow>,
) -> KitchenOrderLineRow {
    KitchenOrderLineRow {
        id: OrderLineId::new(),
        order_id: order.id,
        line_no,
        menu_item_id: item.id,
        item_name: item.name.clone(),
        quantity: 2,
        unit_price: money("3.25"),
        modifiers: r#"["no onion","extra mozzarella"]"#.into(),
        notes: None,
        template_id: tpl.map(|t| t.id),
        template_version: tpl.map(|t| t.current_version),
    }
}

fn task(line: &KitchenOrderLineRow, key: &str, phase: i64, deps: &[TaskId]) -> KitchenTaskRow {
    KitchenTaskRow {
        id: TaskId::new(),
        order_id: line.order_id,
        line_id: line.id,
        task_key: key.into(),
        name: format!("Task {key}"),
        phase,
        station_type: "tandoor".into(),
        quantity: line.quantity,
        unit_estimate_secs: 120,
        estimate_secs: 240,
        depends_on: deps.to_vec(),
        subtasks: r#"[{"name":"brush with ghee","optional":true,"done":false}]"#.into(),
        status: if deps.is_empty() {
            TaskStatus::Ready
        } else {
            TaskStatus::Waiting
        },
        station_id: None,
        fire_at: None,
        queued_at: None,
        started_at: None,
        done_at: None,
        started_by: None,
        done_by: None,
        blocked_reason: None,
        updated_at: at(3, 18),
        version: 1,
    }
}

/// A tenant with a tandoor station, a menu item "Garlic naan" (category Breads) and an
/// active template for it.
async fn kitchen(store: &S, name: &str) -> (Seed, StationRow, MenuItemRow, WorkflowTemplateRow) {
    let seed = seed(store, name).await;
    let st = station(&seed, "Tandoor", &["tandoor"], 2);
    let item = menu_item("Garlic naan", Some("Breads"));
    let (tpl, v1) = template("Naan", Some(item.id), None);
    let (s, i, t) = (st.clone(), item.clone(), tpl.clone());
    write(store, seed.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_station(&s).await?;
            tx.insert_menu_item(&i).await?;
            tx.insert_workflow_template(&t, &v1).await
        })
    })
    .await;
    (seed, st, item, tpl)
}

async fn add_order(
    store: &S,
    tenant: TenantId,
    o: &KitchenOrderRow,
    lines: &[KitchenOrderLineRow],
    tasks: &[KitchenTaskRow],
) {
    let (o, lines, tasks) = (o.clone(), lines.to_vec(), tasks.to_vec());
    write(store, tenant, move |tx| {
        Box::pin(async move { tx.insert_kitchen_order(&o, &lines, &tasks).await })
    })
    .await;
}

async fn stations_are_named_once_per_location_versioned_and_the_tenants_own(store: S) {
    let a = seed(&store, "stations-a").await;
    let b = seed(&store, "stations-b").await;
    let tandoor = station(&a, "Tandoor", &["bread", "tandoor"], 2);
    let fryer = station(&a, "Fryer", &["fryer"], 1);
    let (t, f) = (tandoor.clone(), fryer.clone());
    write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_station(&t).await?;
            tx.insert_station(&f).await
        })
    })
    .await;
    let id = tandoor.id;
    let got = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.get_station(id).await })
    })
    .await;
    assert_eq!(got, Some(tandoor.clone()), "types and capacity as written");
    let twice = station(&a, "Tandoor", &["tandoor"], 1);
    let refused = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_station(&twice).await })
    })
    .await;
    assert_eq!(refused, Err(conflict("stations_name")));
    // Another tenant's location cannot hold this tenant's station.
    let foreign = station(&a, "Grill", &["grill"], 1);
    let refused = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_station(&foreign).await })
    })
    .await;
    assert_eq!(refused, Err(conflict("foreign_key")));
    let listed = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.list_stations(Some(a.location)).await })
    })
    .await;
    assert_eq!(listed, vec![fryer.clone(), tandoor.clone()], "by name");
    let elsewhere = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.list_stations(Some(b.location)).await })
    })
    .await;
    assert!(elsewhere.is_empty());
    // Versions.
    let mut v2 = tandoor.clone();
    v2.capacity = 3;
    v2.active = false;
    v2.station_types = vec!["tandoor".into()];
    v2.updated_at = at(2, 10);
    v2.version = 2;
    let u = v2.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_station(&u).await })
    })
    .await;
    let stale = v2.clone();
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_station(&stale).await })
    })
    .await;
    assert_eq!(r, Err(conflict("stations_version")));
    let got = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.get_station(id).await })
    })
    .await;
    assert_eq!(got, Some(v2.clone()));
    // Tenant b sees none of it.
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move { Ok((tx.get_station(id).await?, tx.list_stations(None).await?)) })
    })
    .await;
    assert_eq!(from_b, (None, vec![]));
    let mut v3 = v2.clone();
    v3.version = 3;
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.update_station(&v3).await })
    })
    .await;
    assert_eq!(r, Err(StoreError::NotFound));
}

async fn templates_keep_every_version_and_one_active_per_item_or_category(store: S) {
    let a = seed(&store, "templates-a").await;
    let b = seed(&store, "templates-b").await;
    let naan = menu_item("Garlic naan", Some("Breads"));
    let roti = menu_item("Tandoori roti", Some("Breads"));
    let (own, own_v1) = template("Naan", Some(naan.id), None);
    let (breads, breads_v1) = template("Breads", None, Some("Breads"));
    let (n, r, o, ov, br, bv) = (
        naan.clone(),
        roti.clone(),
        own.clone(),
        own_v1.clone(),
        breads.clone(),
        breads_v1.clone(),
    );
    write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_menu_item(&n).await?;
            tx.insert_menu_item(&r).await?;
            tx.insert_workflow_template(&o, &ov).await?;
            tx.insert_workflow_template(&br, &bv).await
        })
    })
    .await;
    // The item's own template wins over its category's; another item of the category gets
    // the category's; an item of no category with no template gets none.
    let (naan_id, roti_id) = (naan.id, roti.id);
    let found = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.active_workflow_template(naan_id, Some("Breads")).await?,
                tx.active_workflow_template(roti_id, Some("Breads")).await?,
                tx.active_workflow_template(roti_id, None).await?,
            ))
        })
    })
    .await;
    assert_eq!(found, (Some(own.clone()), Some(breads.clone()), None));
    // A second active template for the same item, or the same name, is refused.
    let (again, again_v1) = template("Naan again", Some(naan.id), None);
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_workflow_template(&again, &again_v1).await })
    })
    .await;
    assert_eq!(r, Err(conflict("workflow_templates_menu_item_id")));
    let (same_name, same_name_v1) = template("Naan", None, Some("Curries"));
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_workflow_template(&same_name, &same_name_v1).await })
    })
    .await;
    assert_eq!(r, Err(conflict("workflow_templates_name")));
    // Version 2: both versions stay readable; a stale write is refused.
    let mut t2 = own.clone();
    t2.current_version = 2;
    t2.version = 2;
    t2.updated_at = at(2, 10);
    let v2 = WorkflowTemplateVersionRow {
        version: 2,
        phases: "[]".into(),
        created_at: at(2, 10),
        ..own_v1.clone()
    };
    let (u, uv) = (t2.clone(), v2.clone());
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_workflow_template(&u, Some(&uv)).await })
    })
    .await;
    let stale = t2.clone();
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_workflow_template(&stale, None).await })
    })
    .await;
    assert_eq!(r, Err(conflict("workflow_templates_version")));
    let id = own.id;
    let got = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_workflow_template(id).await?,
                tx.workflow_template_version(id, 1).await?,
                tx.workflow_template_version(id, 2).await?,
                tx.workflow_template_version(id, 3).await?,
                tx.list_workflow_templates().await?,
            ))
        })
    })
    .await;
    assert_eq!(
        got,
        (
            Some(t2.clone()),
            Some(own_v1.clone()),
            Some(v2.clone()),
            None,
            vec![breads.clone(), t2.clone()]
        )
    );
    // Switched off, the item falls back to its category's template.
    let mut off = t2.clone();
    off.active = false;
    off.version = 3;
    let u = off.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_workflow_template(&u, None).await })
    })
    .await;
    let found = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.active_workflow_template(naan_id, Some("Breads")).await })
    })
    .await;
    assert_eq!(found, Some(breads.clone()));
    // Tenant b sees none of it.
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_workflow_template(id).await?,
                tx.workflow_template_version(id, 1).await?,
                tx.list_workflow_templates().await?,
                tx.active_workflow_template(roti_id, Some("Breads")).await?,
            ))
        })
    })
    .await;
    assert_eq!(from_b, (None, None, vec![], None));
}

async fn orders_are_numbered_per_location_and_day_and_keep_their_lines_and_tasks(store: S) {
    let (a, tandoor, naan, tpl) = kitchen(&store, "orders-a").await;
    let b = seed(&store, "orders-b").await;
    let loc = a.location;
    let numbers = write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.next_kitchen_order_number(loc, day(3)).await?,
                tx.next_kitchen_order_number(loc, day(3)).await?,
                tx.next_kitchen_order_number(loc, day(4)).await?,
            ))
        })
    })
    .await;
    assert_eq!(numbers, (1, 2, 1), "from 1 per business day");
    let b_loc = b.location;
    let b_first = write(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.next_kitchen_order_number(b_loc, day(3)).await })
    })
    .await;
    assert_eq!(b_first, 1, "each tenant counts its own");
    // A rolled-back order leaves its number unused: the next one takes the following.
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.next_kitchen_order_number(loc, day(3)).await?;
            Err::<(), _>(StoreError::Other("rolled back".into()))
        })
    })
    .await;
    assert!(r.is_err());
    let third = write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.next_kitchen_order_number(loc, day(3)).await })
    })
    .await;
    assert_eq!(third, 3);

    let first = order(&a, 1, at(3, 18));
    let l1 = line(&first, 1, &naan, Some(&tpl));
    let l2 = KitchenOrderLineRow {
        quantity: 1,
        modifiers: "[]".into(),
        notes: Some("well done".into()),
        ..line(&first, 2, &naan, None)
    };
    let stretch = task(&l1, "stretch", 0, &[]);
    let bake = task(&l1, "bake", 1, &[stretch.id]);
    let plain = task(&l2, "bake", 0, &[]);
    add_order(
        &store,
        a.tenant,
        &first,
        &[l1.clone(), l2.clone()],
        &[bake.clone(), stretch.clone(), plain.clone()],
    )
    .await;
    let id = first.id;
    let got = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_kitchen_order(id).await?,
                tx.kitchen_order_lines(id).await?,
                tx.kitchen_order_tasks(id).await?,
            ))
        })
    })
    .await;
    assert_eq!(got.0, Some(first.clone()));
    assert_eq!(got.1, vec![l1.clone(), l2.clone()]);
    assert_eq!(
        got.2,
        vec![stretch.clone(), bake.clone(), plain.clone()],
        "by line, phase, id; dependencies and subtasks as written"
    );
    // The same number twice at a location and day is refused.
    let dup = order(&a, 1, at(3, 18));
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_kitchen_order(&dup, &[], &[]).await })
    })
    .await;
    assert_eq!(r, Err(conflict("kitchen_orders_number")));
    // Another tenant's menu item cannot be ordered here.
    let other = order(&b, 2, at(3, 18));
    let foreign_line = line(&other, 1, &naan, None);
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_kitchen_order(&other, &[foreign_line], &[]).await })
    })
    .await;
    assert_eq!(r, Err(conflict("foreign_key")));
    // Nor another tenant's template version in a line, or its station in a task.
    let roti = menu_item("Roti", None);
    let r2 = roti.clone();
    write(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_menu_item(&r2).await })
    })
    .await;
    let other = order(&b, 3, at(3, 18));
    let foreign_template = line(&other, 1, &roti, Some(&tpl));
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_kitchen_order(&other, &[foreign_template], &[])
                .await
        })
    })
    .await;
    assert_eq!(r, Err(conflict("foreign_key")));
    let other = order(&b, 4, at(3, 18));
    let own_line = line(&other, 1, &roti, None);
    let mut foreign_station = task(&own_line, "bake", 0, &[]);
    foreign_station.station_id = Some(tandoor.id);
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_kitchen_order(&other, &[own_line], &[foreign_station])
                .await
        })
    })
    .await;
    assert_eq!(r, Err(conflict("foreign_key")));

    // A second order, ready; a third the next day.
    let mut second = order(&a, 2, at(3, 19));
    second.status = OrderStatus::Ready;
    second.ready_at = Some(at(3, 20));
    let mut third = order(&a, 1, at(4, 12));
    third.business_date = day(4);
    add_order(&store, a.tenant, &second, &[], &[]).await;
    add_order(&store, a.tenant, &third, &[], &[]).await;
    let list = |f: KitchenOrderFilter| {
        let store = store.clone();
        async move {
            read(&store, a.tenant, move |tx| {
                Box::pin(async move { tx.list_kitchen_orders(&f).await })
            })
            .await
            .into_iter()
            .map(|o| o.id)
            .collect::<Vec<_>>()
        }
    };
    let all = KitchenOrderFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        list(all.clone()).await,
        vec![third.id, second.id, first.id],
        "newest first"
    );
    assert_eq!(
        list(KitchenOrderFilter {
            statuses: vec![OrderStatus::New, OrderStatus::Preparing],
            ..all.clone()
        })
        .await,
        vec![third.id, first.id]
    );
    assert_eq!(
        list(KitchenOrderFilter {
            statuses: vec![OrderStatus::Ready],
            business_date: Some(day(3)),
            location_id: Some(a.location),
            ..all.clone()
        })
        .await,
        vec![second.id]
    );
    assert_eq!(
        list(KitchenOrderFilter {
            limit: 1,
            before: Some(third.id),
            ..all.clone()
        })
        .await,
        vec![second.id],
        "the cursor"
    );
    assert_eq!(
        list(KitchenOrderFilter {
            location_id: Some(b.location),
            ..all.clone()
        })
        .await,
        Vec::<OrderId>::new()
    );
    let loc = Some(a.location);
    let ready = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.kitchen_orders_ready_between(loc, at(3, 0), at(4, 0))
                .await
        })
    })
    .await;
    assert_eq!(ready, vec![second.clone()]);

    // Moves from the version read; stale is refused; another tenant finds nothing.
    let mut moved = first.clone();
    moved.status = OrderStatus::Cancelled;
    moved.cancelled_at = Some(at(3, 19));
    moved.cancel_reason = Some("customer called".into());
    moved.priority = Priority::Urgent;
    moved.customer_address = None;
    moved.updated_at = at(3, 19);
    moved.version = 2;
    // The quote at creation is kept whatever the write says.
    let u = KitchenOrderRow {
        predicted_ready_at: Some(at(9, 9)),
        ..moved.clone()
    };
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_kitchen_order(&u).await })
    })
    .await;
    let stale = moved.clone();
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_kitchen_order(&stale).await })
    })
    .await;
    assert_eq!(r, Err(conflict("kitchen_orders_version")));
    let got = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.get_kitchen_order(id).await })
    })
    .await;
    assert_eq!(got, Some(moved.clone()));
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_kitchen_order(id).await?,
                tx.kitchen_order_lines(id).await?,
                tx.kitchen_order_tasks(id).await?,
                tx.list_kitchen_orders(&KitchenOrderFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await?,
            ))
        })
    })
    .await;
    assert_eq!(from_b, (None, vec![], vec![], vec![]));
    let mut v3 = moved.clone();
    v3.version = 3;
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.update_kitchen_order(&v3).await })
    })
    .await;
    assert_eq!(r, Err(StoreError::NotFound));
}

async fn open_tasks_come_in_queue_order_and_move_only_from_their_version(store: S) {
    let (a, tandoor, naan, tpl) = kitchen(&store, "queue-a").await;
    let b = seed(&store, "queue-b").await;
    // Orders: normal (first taken), normal wanted earlier, urgent (taken later), another
    // normal taken after the first, high (taken last); one at another location of the tenant.
    let normal = order(&a, 1, at(3, 18));
    let mut wanted = order(&a, 2, at(3, 19));
    wanted.requested_at = Some(at(3, 19));
    let mut urgent = order(&a, 3, at(3, 20));
    urgent.priority = Priority::Urgent;
    let later = order(&a, 4, at(3, 21));
    let mut high = order(&a, 5, at(3, 22));
    high.priority = Priority::High;
    let peckham = location_row("Peckham", LocationKind::Outlet);
    let mut elsewhere = order(&a, 1, at(3, 17));
    elsewhere.location_id = peckham.id;
    let p = peckham.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_location(&p).await })
    })
    .await;
    let mut made = Vec::new();
    for o in [&normal, &wanted, &urgent, &later, &high, &elsewhere] {
        let l = line(o, 1, &naan, Some(&tpl));
        let mut t = task(&l, "bake", 0, &[]);
        t.station_id = Some(tandoor.id);
        t.queued_at = Some(o.created_at);
        // Waiting and blocked tasks are open; a cancelled one is not.
        let mut waiting = task(&l, "plate", 1, &[t.id]);
        let mut cancelled = task(&l, "garnish", 1, &[t.id]);
        cancelled.status = TaskStatus::Cancelled;
        if o.number == 4 {
            waiting.status = TaskStatus::Blocked;
            waiting.blocked_reason = Some("oven down".into());
        }
        add_order(
            &store,
            a.tenant,
            o,
            std::slice::from_ref(&l),
            &[t.clone(), waiting, cancelled],
        )
        .await;
        made.push((o.clone(), t));
    }
    let loc = a.location;
    let open = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.open_kitchen_tasks(loc).await })
    })
    .await;
    let order_of = open
        .iter()
        .map(|t| (t.order_number, t.priority, t.task.task_key.as_str()))
        .collect::<Vec<_>>();
    assert_eq!(
        order_of,
        vec![
            (3, Priority::Urgent, "bake"),
            (3, Priority::Urgent, "plate"),
            (5, Priority::High, "bake"),
            (5, Priority::High, "plate"),
            (2, Priority::Normal, "bake"),
            (2, Priority::Normal, "plate"),
            (1, Priority::Normal, "bake"),
            (1, Priority::Normal, "plate"),
            (4, Priority::Normal, "bake"),
            (4, Priority::Normal, "plate"),
        ],
        "urgent, high, normal; then the requested time (none last), then the order time, \
         then the task id; this location's only, cancelled tasks left out"
    );
    assert_eq!(open[9].task.status, TaskStatus::Blocked);
    assert_eq!(open[0].task, made[2].1);
    assert_eq!(open[0].template_id, Some(tpl.id));
    assert_eq!(open[4].requested_at, Some(at(3, 19)));
    assert_eq!(open[6].order_created_at, at(3, 18));
    // Done, the urgent order's task leaves the open list.
    let mut done = made[2].1.clone();
    done.status = TaskStatus::Done;
    done.started_at = Some(at(3, 20));
    done.done_at = Some(plus_micros(at(3, 20), 250_000_000));
    done.subtasks = r#"[{"name":"brush with ghee","optional":true,"done":true}]"#.into();
    done.updated_at = at(3, 21);
    done.version = 2;
    let u = done.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_kitchen_task(&u).await })
    })
    .await;
    let stale = done.clone();
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_kitchen_task(&stale).await })
    })
    .await;
    assert_eq!(r, Err(conflict("kitchen_tasks_version")), "a double bump");
    let id = done.id;
    let (got, open) = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_kitchen_task(id).await?,
                tx.open_kitchen_tasks(loc).await?,
            ))
        })
    })
    .await;
    assert_eq!(got, Some(done.clone()));
    assert_eq!(
        open.iter()
            .map(|t| (t.order_number, t.task.task_key.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (3, "plate"),
            (5, "bake"),
            (5, "plate"),
            (2, "bake"),
            (2, "plate"),
            (1, "bake"),
            (1, "plate"),
            (4, "bake"),
            (4, "plate"),
        ],
        "the done task leaves the list"
    );
    // Tenant b sees none of it.
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_kitchen_task(id).await?,
                tx.open_kitchen_tasks(loc).await?,
            ))
        })
    })
    .await;
    assert_eq!(from_b, (None, vec![]));
    let mut v3 = done.clone();
    v3.version = 3;
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.update_kitchen_task(&v3).await })
    })
    .await;
    assert_eq!(r, Err(StoreError::NotFound));
}

async fn the_task_log_and_duration_samples_are_appended_and_read_in_order(store: S) {
    let (a, tandoor, naan, tpl) = kitchen(&store, "log-a").await;
    let b = seed(&store, "log-b").await;
    let o = order(&a, 1, at(3, 18));
    let l = line(&o, 1, &naan, Some(&tpl));
    let tasks: Vec<KitchenTaskRow> = (0..3).map(|i| task(&l, &format!("t{i}"), 0, &[])).collect();
    add_order(&store, a.tenant, &o, std::slice::from_ref(&l), &tasks).await;
    let entry = |t: &KitchenTaskRow, from, to, at| KitchenTaskLogRow {
        id: Uuid::now_v7(),
        task_id: t.id,
        order_id: o.id,
        location_id: a.location,
        station_id: Some(tandoor.id),
        from_status: from,
        to_status: to,
        at,
        actor: None,
    };
    let same_moment = at(3, 19);
    let log = vec![
        entry(&tasks[0], TaskStatus::Ready, TaskStatus::Started, at(3, 18)),
        entry(
            &tasks[0],
            TaskStatus::Started,
            TaskStatus::Done,
            same_moment,
        ),
        entry(
            &tasks[1],
            TaskStatus::Ready,
            TaskStatus::Started,
            same_moment,
        ),
        entry(&tasks[2], TaskStatus::Ready, TaskStatus::Blocked, at(3, 20)),
    ];
    let l2 = log.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_kitchen_task_log(&l2).await })
    })
    .await;
    let page = |after: Option<(DateTime<Utc>, Uuid)>, limit, location| {
        let store = store.clone();
        async move {
            read(&store, a.tenant, move |tx| {
                Box::pin(async move {
                    tx.kitchen_task_log(&KitchenTaskLogFilter {
                        from: at(3, 18),
                        to: at(3, 20),
                        location_id: location,
                        after,
                        limit,
                    })
                    .await
                })
            })
            .await
        }
    };
    let first = page(None, 2, Some(a.location)).await;
    assert_eq!(first, log[..2].to_vec(), "oldest first, [from, to)");
    let last = first.last().map(|e| (e.at, e.id));
    let next = page(last, 2, None).await;
    assert_eq!(
        next,
        log[2..3].to_vec(),
        "the cursor splits entries of one instant"
    );
    assert!(page(None, 10, Some(b.location)).await.is_empty());
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move {
            tx.kitchen_task_log(&KitchenTaskLogFilter {
                from: at(1, 0),
                to: at(9, 0),
                location_id: None,
                after: None,
                limit: 10,
            })
            .await
        })
    })
    .await;
    assert!(from_b.is_empty());
    // Another tenant cannot log against this tenant's task, order, location or station.
    let foreign = log[0].clone();
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_kitchen_task_log(&[KitchenTaskLogRow {
                id: Uuid::now_v7(),
                ..foreign
            }])
            .await
        })
    })
    .await;
    assert_eq!(r, Err(conflict("foreign_key")));

    // Duration samples: one per task, newest first, per template task and station.
    let sample = |t: &KitchenTaskRow, secs, done_at| TaskDurationRow {
        task_id: t.id,
        template_id: tpl.id,
        task_key: "bake".into(),
        station_id: tandoor.id,
        per_unit_secs: secs,
        done_at,
    };
    let samples = vec![
        sample(&tasks[0], 110, at(3, 18)),
        sample(&tasks[1], 130, at(3, 19)),
        sample(&tasks[2], 125, at(3, 20)),
    ];
    let again = sample(&tasks[0], 999, at(3, 21));
    let (s, g) = (samples.clone(), again.clone());
    let recorded = write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            let mut out = Vec::new();
            for d in &s {
                out.push(tx.insert_task_duration(d).await?);
            }
            out.push(tx.insert_task_duration(&g).await?);
            Ok(out)
        })
    })
    .await;
    assert_eq!(
        recorded,
        vec![true, true, true, false],
        "a recalled task counts once"
    );
    let foreign = samples[0].clone();
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_task_duration(&foreign).await })
    })
    .await;
    assert_eq!(r, Err(conflict("foreign_key")), "another tenant's task");
    let (tid, sid) = (tpl.id, tandoor.id);
    let recent = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.recent_task_durations(tid, "bake", sid, 2).await?,
                tx.recent_task_durations(tid, "stretch", sid, 20).await?,
            ))
        })
    })
    .await;
    assert_eq!(recent, (vec![125, 130], vec![]));
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.recent_task_durations(tid, "bake", sid, 20).await })
    })
    .await;
    assert!(from_b.is_empty());
}

async fn an_order_has_one_delivery_not_failed_and_shifts_are_read_by_overlap(store: S) {
    let (a, tandoor, _, _) = kitchen(&store, "deliveries-a").await;
    let b = seed(&store, "deliveries-b").await;
    let rider = user_row("Ravi");
    let cook = user_row("Meera");
    let (r, c) = (rider.clone(), cook.clone());
    write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.insert_user(&r).await?;
            tx.insert_user(&c).await
        })
    })
    .await;
    let o = order(&a, 1, at(3, 18));
    add_order(&store, a.tenant, &o, &[], &[]).await;
    let assigned = OrderDeliveryRow {
        id: DeliveryId::new(),
        order_id: o.id,
        rider_id: rider.id,
        status: DeliveryStatus::Assigned,
        assigned_at: at(3, 19),
        picked_up_at: None,
        delivered_at: None,
        failed_at: None,
        failure_reason: None,
        updated_at: at(3, 19),
        version: 1,
    };
    let d = assigned.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_order_delivery(&d).await })
    })
    .await;
    let second = OrderDeliveryRow {
        id: DeliveryId::new(),
        ..assigned.clone()
    };
    let s = second.clone();
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_order_delivery(&s).await })
    })
    .await;
    assert_eq!(r, Err(conflict("deliveries_order_id")));
    // It fails; then a second delivery of the order may be assigned.
    let mut failed = assigned.clone();
    failed.status = DeliveryStatus::Failed;
    failed.failed_at = Some(at(3, 20));
    failed.failure_reason = Some("no answer at the door".into());
    failed.updated_at = at(3, 20);
    failed.version = 2;
    let (f, s) = (failed.clone(), second.clone());
    write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.update_order_delivery(&f).await?;
            tx.insert_order_delivery(&s).await
        })
    })
    .await;
    let stale = failed.clone();
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_order_delivery(&stale).await })
    })
    .await;
    assert_eq!(r, Err(conflict("deliveries_version")));
    let (oid, rid, did) = (o.id, rider.id, assigned.id);
    let got = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_order_delivery(did).await?,
                tx.list_order_deliveries(Some(oid), None, false).await?,
                tx.list_order_deliveries(None, Some(rid), true).await?,
            ))
        })
    })
    .await;
    assert_eq!(
        got,
        (
            Some(failed.clone()),
            vec![second.clone(), failed.clone()],
            vec![second.clone()]
        )
    );
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.get_order_delivery(did).await?,
                tx.list_order_deliveries(None, None, false).await?,
            ))
        })
    })
    .await;
    assert_eq!(from_b, (None, vec![]));
    let foreign = OrderDeliveryRow {
        id: DeliveryId::new(),
        ..second.clone()
    };
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_order_delivery(&foreign).await })
    })
    .await;
    assert_eq!(r, Err(conflict("foreign_key")), "another tenant's order");

    // Shifts: read by the window they overlap; removed once.
    let shift = |starts, ends| ShiftRow {
        id: Uuid::now_v7(),
        location_id: a.location,
        station_id: tandoor.id,
        user_id: cook.id,
        starts_at: starts,
        ends_at: ends,
        created_at: at(2, 9),
    };
    let morning = shift(at(3, 8), at(3, 14));
    let evening = shift(at(3, 17), at(3, 23));
    let tomorrow = shift(at(4, 17), at(4, 23));
    let backwards = shift(at(3, 14), at(3, 8));
    let all = vec![morning.clone(), evening.clone(), tomorrow.clone()];
    write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            for s in &all {
                tx.insert_shift(s).await?;
            }
            Ok(())
        })
    })
    .await;
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_shift(&backwards).await })
    })
    .await;
    assert!(r.is_err(), "a shift ending before it starts is refused");
    let mut foreign = shift(at(3, 8), at(3, 14));
    foreign.location_id = b.location;
    let r = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_shift(&foreign).await })
    })
    .await;
    assert_eq!(r, Err(conflict("foreign_key")), "another tenant's station");
    let loc = a.location;
    let window = |from, to| {
        let store = store.clone();
        async move {
            read(&store, a.tenant, move |tx| {
                Box::pin(async move { tx.list_shifts(loc, from, to).await })
            })
            .await
        }
    };
    assert_eq!(
        window(at(3, 13), at(3, 18)).await,
        vec![morning.clone(), evening.clone()],
        "both overlap"
    );
    assert_eq!(
        window(at(3, 14), at(3, 17)).await,
        vec![],
        "touching is not overlapping"
    );
    let (mid, morning_id) = (evening.id, morning.id);
    let removed = write(&store, a.tenant, move |tx| {
        Box::pin(async move { Ok((tx.delete_shift(mid).await?, tx.delete_shift(mid).await?)) })
    })
    .await;
    assert_eq!(removed, (true, false));
    assert_eq!(window(at(3, 0), at(5, 0)).await, vec![morning, tomorrow]);
    let from_b = write(&store, b.tenant, move |tx| {
        Box::pin(async move {
            Ok((
                tx.list_shifts(loc, at(1, 0), at(9, 0)).await?,
                tx.delete_shift(morning_id).await?,
            ))
        })
    })
    .await;
    assert_eq!(
        from_b,
        (vec![], false),
        "another tenant's shift is not removed"
    );
    assert_eq!(window(at(3, 0), at(3, 23)).await.len(), 1);
}
