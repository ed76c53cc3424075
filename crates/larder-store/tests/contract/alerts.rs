//! alerts (`AlertTx`): rules are versioned per tenant; an alert is raised once per rule and
//! case while it is open, and may be raised again once resolved; notifications are a member's
//! own, counted unread and marked read by id or all at once; due emails come with the member's
//! address and are taken once; the loop's tenant list holds tenants with a rule switched on or
//! an email due; and items below their reorder point are read from the stock levels.

use larder_store::{
    AlertPreferenceRow, AlertRow, AlertRuleRow, NotificationRow, NotificationSettingsRow,
};
use uuid::Uuid;

use crate::*;

contract!(
    rules_are_versioned_per_tenant_and_list_the_tenant_for_the_loop,
    an_alert_is_raised_once_per_case_until_resolved_and_tenants_see_only_theirs,
    notifications_are_counted_marked_read_and_emailed_once,
    items_below_their_reorder_point_are_read_from_stock,
    waste_is_valued_per_location_and_the_other_readings_stay_in_their_tenant,
);

fn rule(kind: &str, threshold: i64) -> AlertRuleRow {
    AlertRuleRow {
        id: Uuid::now_v7(),
        kind: kind.into(),
        location_id: None,
        threshold,
        enabled: true,
        created_by: None,
        created_at: at(2, 9),
        updated_at: at(2, 9),
        version: 1,
    }
}

fn alert(rule: Uuid, key: &str, raised: DateTime<Utc>) -> AlertRow {
    AlertRow {
        id: Uuid::now_v7(),
        rule_id: rule,
        kind: "below_reorder_point".into(),
        condition_key: key.into(),
        location_id: None,
        subject: format!("case {key}"),
        detail: "{}".into(),
        raised_at: raised,
        resolved_at: None,
    }
}

async fn add_rule(store: &S, tenant: TenantId, r: &AlertRuleRow) {
    let r = r.clone();
    write(store, tenant, move |tx| {
        Box::pin(async move { tx.insert_alert_rule(&r).await })
    })
    .await;
}

async fn raise(store: &S, tenant: TenantId, a: &AlertRow) -> bool {
    let a = a.clone();
    write(store, tenant, move |tx| {
        Box::pin(async move { tx.raise_alert(&a).await })
    })
    .await
}

async fn rules_are_versioned_per_tenant_and_list_the_tenant_for_the_loop(store: S) {
    let a = seed(&store, "alert-rules-a").await;
    let b = seed(&store, "alert-rules-b").await;
    assert!(!store.alert_tenants().await.unwrap().contains(&a.tenant));
    let mut r = rule("lot_expiring", 3);
    r.location_id = Some(a.location);
    add_rule(&store, a.tenant, &r).await;
    assert!(store.alert_tenants().await.unwrap().contains(&a.tenant));
    assert!(!store.alert_tenants().await.unwrap().contains(&b.tenant));
    let id = r.id;
    let got = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.get_alert_rule(id).await })
    })
    .await;
    assert_eq!(got, Some(r.clone()));
    let from_b = read(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.get_alert_rule(id).await })
    })
    .await;
    assert_eq!(from_b, None, "another tenant's rule is not found");
    // A rule at another tenant's location is refused.
    let mut foreign = rule("lot_expiring", 3);
    foreign.location_id = Some(a.location);
    let f = foreign.clone();
    let refused = attempt(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_alert_rule(&f).await })
    })
    .await;
    assert_eq!(refused, Err(conflict("foreign_key")));
    // Versions: a stale write is refused; switching it off takes the tenant off the list.
    let mut v2 = r.clone();
    v2.version = 2;
    v2.enabled = false;
    v2.threshold = 5;
    let u = v2.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_alert_rule(&u).await })
    })
    .await;
    let stale = v2.clone();
    let r2 = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_alert_rule(&stale).await })
    })
    .await;
    assert_eq!(r2, Err(conflict("alert_rules_version")));
    let list = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.list_alert_rules().await })
    })
    .await;
    assert_eq!(list, vec![v2]);
    assert!(!store.alert_tenants().await.unwrap().contains(&a.tenant));
}

async fn an_alert_is_raised_once_per_case_until_resolved_and_tenants_see_only_theirs(store: S) {
    let a = seed(&store, "alerts-a").await;
    let b = seed(&store, "alerts-b").await;
    let r = rule("below_reorder_point", 0);
    add_rule(&store, a.tenant, &r).await;
    let first = alert(r.id, "item:1", at(3, 9));
    // A check takes the tenant's alert lock first (taken again by the same transaction, or
    // after another commits).
    write(&store, a.tenant, |tx| {
        Box::pin(async move {
            tx.lock_alerts().await?;
            tx.lock_alerts().await
        })
    })
    .await;
    assert!(raise(&store, a.tenant, &first).await);
    // The same case again, while open: not raised (another process got there first).
    assert!(!raise(&store, a.tenant, &alert(r.id, "item:1", at(3, 10))).await);
    let other = alert(r.id, "item:2", at(3, 10));
    assert!(raise(&store, a.tenant, &other).await);
    let open = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.open_alerts().await })
    })
    .await;
    assert_eq!(open, vec![first.clone(), other.clone()]);
    let b_sees = read(&store, b.tenant, |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.open_alerts().await?,
                tx.list_alerts(None, None, None, 50).await?,
            ))
        })
    })
    .await;
    assert_eq!(b_sees, (vec![], vec![]));
    // Resolved once; then the case may come back as a new alert.
    let id = first.id;
    let (once, twice) = write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.resolve_alert(id, at(4, 9)).await?,
                tx.resolve_alert(id, at(4, 10)).await?,
            ))
        })
    })
    .await;
    assert_eq!((once, twice), (true, false));
    let again = alert(r.id, "item:1", at(5, 9));
    assert!(raise(&store, a.tenant, &again).await);
    let (open, resolved, all, got) = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.list_alerts(Some(true), None, None, 50).await?,
                tx.list_alerts(Some(false), None, None, 50).await?,
                tx.list_alerts(None, None, None, 2).await?,
                tx.get_alert(id).await?,
            ))
        })
    })
    .await;
    assert_eq!(
        open.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![again.id, other.id],
        "newest first"
    );
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].resolved_at, Some(at(4, 9)));
    assert_eq!(all.len(), 2, "limited");
    assert_eq!(got.and_then(|g| g.resolved_at), Some(at(4, 9)));
}

async fn member(store: &S, tenant: TenantId, name: &str) -> (UserId, String) {
    let u = user_row(name);
    let (id, email) = (u.id, u.email.clone());
    run_global(store.as_ref(), Mode::Write, move |tx| {
        Box::pin(async move { tx.insert_user(&u).await })
    })
    .await
    .unwrap();
    write(store, tenant, move |tx| {
        Box::pin(async move { tx.insert_membership(id, Role::Manager, at(1, 2)).await })
    })
    .await;
    (id, email)
}

fn note(user: UserId, alert: Uuid, due: Option<DateTime<Utc>>) -> NotificationRow {
    NotificationRow {
        id: Uuid::now_v7(),
        user_id: user,
        alert_id: alert,
        in_app: true,
        created_at: at(3, 9),
        read_at: None,
        email_due_at: due,
        emailed_at: None,
    }
}

async fn notifications_are_counted_marked_read_and_emailed_once(store: S) {
    let a = seed(&store, "notes-a").await;
    let (cook, cook_email) = member(&store, a.tenant, "Cook").await;
    let (chef, _) = member(&store, a.tenant, "Chef").await;
    let r = rule("below_reorder_point", 0);
    add_rule(&store, a.tenant, &r).await;
    let x = alert(r.id, "item:1", at(3, 9));
    let y = alert(r.id, "item:2", at(3, 9));
    raise(&store, a.tenant, &x).await;
    raise(&store, a.tenant, &y).await;
    let n1 = note(cook, x.id, Some(at(3, 9)));
    let n2 = note(cook, y.id, Some(at(4, 7)));
    let mut hidden = note(cook, y.id, None);
    hidden.in_app = false;
    let n3 = note(chef, x.id, None);
    let all = vec![n1.clone(), n2.clone(), hidden.clone(), n3.clone()];
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_notifications(&all).await })
    })
    .await;
    let (list, unread, chefs) = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.list_notifications(cook, false, None, 50).await?,
                tx.unread_notifications(cook).await?,
                tx.unread_notifications(chef).await?,
            ))
        })
    })
    .await;
    assert_eq!(
        list.iter().map(|(n, _)| n.id).collect::<Vec<_>>(),
        vec![n2.id, n1.id],
        "the centre's own, newest first, not one kept for email only"
    );
    assert_eq!(list[0].1.id, y.id, "with its alert");
    assert_eq!((unread, chefs), (2, 1));
    // One by id: only the member's own.
    let (mine, theirs) = (n1.id, n3.id);
    let marked = write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.mark_notifications_read(cook, Some(&[mine, theirs]), at(3, 12))
                .await
        })
    })
    .await;
    assert_eq!(marked, 1);
    let unread_only = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.list_notifications(cook, true, None, 50).await })
    })
    .await;
    assert_eq!(unread_only.len(), 1);
    let rest = write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.mark_notifications_read(cook, None, at(3, 13)).await })
    })
    .await;
    assert_eq!(rest, 1);
    // Emails: due by time, with the address; taken once.
    let due = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.due_emails(at(3, 10), 100).await })
    })
    .await;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].notification.id, n1.id);
    assert_eq!(due[0].email, cook_email);
    assert_eq!(due[0].alert.id, x.id);
    assert!(store.alert_tenants().await.unwrap().contains(&a.tenant));
    let ids = vec![n1.id];
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.mark_emailed(&ids, at(3, 10)).await })
    })
    .await;
    let later = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.due_emails(at(5, 0), 100).await })
    })
    .await;
    assert_eq!(
        later.iter().map(|d| d.notification.id).collect::<Vec<_>>(),
        vec![n2.id]
    );
    // Preferences replace the member's set.
    let prefs = vec![AlertPreferenceRow {
        kind: "lot_expiring".into(),
        in_app: false,
        email: "digest".into(),
    }];
    let settings = NotificationSettingsRow {
        quiet_start: Some(22 * 60),
        quiet_end: Some(7 * 60),
        digest_minute: 390,
        updated_at: at(3, 9),
    };
    let (p2, s2) = (prefs.clone(), settings.clone());
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.set_alert_preferences(cook, &p2, &s2).await })
    })
    .await;
    let (mine, everyone, got, all_settings) = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.alert_preferences(cook).await?,
                tx.all_alert_preferences().await?,
                tx.notification_settings(cook).await?,
                tx.all_notification_settings().await?,
            ))
        })
    })
    .await;
    assert_eq!(mine, prefs);
    assert_eq!(everyone, vec![(cook, prefs[0].clone())]);
    assert_eq!(got, Some(settings.clone()));
    assert_eq!(all_settings, vec![(cook, settings)]);
}

async fn waste_is_valued_per_location_and_the_other_readings_stay_in_their_tenant(store: S) {
    let a = seed(&store, "readings-a").await;
    let b = seed(&store, "readings-b").await;
    let mut receipt = movement(&a, MovementKind::Receipt, "10");
    receipt.unit_cost = Some(money("0.5"));
    let waste = movement(&a, MovementKind::Waste, "-4");
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.append_movements(&[receipt, waste]).await.map(drop) })
    })
    .await;
    let location = a.location;
    let (value, none_before) = read(&store, a.tenant, move |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.waste_value(at(2, 0), at(3, 0), None).await?,
                tx.waste_value(at(1, 0), at(2, 0), Some(location)).await?,
            ))
        })
    })
    .await;
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].0, a.location);
    assert!(
        value[0].1.raw() > 0,
        "waste is a positive value: {:?}",
        value[0].1
    );
    assert!(none_before.is_empty());
    let others = read(&store, b.tenant, |tx| {
        Box::pin(async move {
            Ok::<_, StoreError>((
                tx.waste_value(at(1, 0), at(9, 0), None).await?.len(),
                tx.expiring_lots("2999-01-01", None).await?.len(),
                tx.overdue_purchase_orders("2999-01-01", None).await?.len(),
                tx.recent_price_changes(at(1, 0), at(9, 0)).await?.len(),
                tx.latest_count_results(at(1, 0), None).await?.len(),
                tx.below_reorder_point(None).await?.len(),
            ))
        })
    })
    .await;
    assert_eq!(others, (0, 0, 0, 0, 0, 0), "B reads none of A's");
    let undated = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.expiring_lots("2999-01-01", None).await })
    })
    .await;
    assert!(undated.is_empty(), "a lot without a date never expires");
}

async fn items_below_their_reorder_point_are_read_from_stock(store: S) {
    let a = seed(&store, "below-a").await;
    let (item, location) = (a.item, a.location);
    let m = movement(&a, MovementKind::Receipt, "4");
    write(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.upsert_par_level(&ParLevelRow {
                item_id: item,
                location_id: location,
                par_level: Some(q("10")),
                reorder_point: Some(q("5")),
            })
            .await?;
            tx.append_movements(&[m]).await.map(drop)
        })
    })
    .await;
    let below = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.below_reorder_point(None).await })
    })
    .await;
    assert_eq!(below.len(), 1);
    assert_eq!((below[0].on_hand, below[0].reorder_point), (q("4"), q("5")));
    let m = movement(&a, MovementKind::Receipt, "1");
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.append_movements(&[m]).await.map(drop) })
    })
    .await;
    let at_point = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.below_reorder_point(Some(location)).await })
    })
    .await;
    assert!(at_point.is_empty(), "at the reorder point is not below it");
}
