//! webhooks (`WebhookTx`): subscriptions are stored per tenant with optimistic versions and a
//! unique URL; each event a subscription takes is queued once and its cursor moves past what it
//! looked at; due deliveries are claimed under a lease (and, on PostgreSQL, skipped while
//! another transaction holds them); attempts update the delivery and the subscription's
//! failure count atomically; a delivery can be replayed; the dispatcher's tenant list holds
//! tenants with an active subscription.

use chrono::Duration;
use larder_store::{DeliveryRow, NewEvent, WebhookRow};
use uuid::Uuid;

use crate::*;

contract!(
    subscriptions_are_versioned_unique_by_url_and_per_tenant,
    each_event_is_queued_once_and_the_cursor_moves_past_it,
    due_deliveries_are_claimed_under_a_lease_and_attempts_are_recorded,
);

fn hook(url: &str, types: &str) -> WebhookRow {
    WebhookRow {
        id: Uuid::now_v7(),
        url: url.into(),
        description: Some("till".into()),
        event_types: types.into(),
        secret: "whsec_c2VjcmV0".into(),
        previous_secret: None,
        previous_until: None,
        active: true,
        disabled_reason: None,
        cursor_seq: 0,
        failures: 0,
        failing_since: None,
        created_by: None,
        created_at: at(2, 9),
        updated_at: at(2, 9),
        version: 1,
    }
}

fn event(t: &'static str) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: t,
        location_id: None,
        occurred_at: at(2, 10),
        actor: None,
        schema_version: 1,
        data: "{}".into(),
    }
}

async fn emit(store: &S, tenant: TenantId, events: Vec<NewEvent>) {
    write(store, tenant, move |tx| {
        Box::pin(async move {
            for e in events {
                tx.emit(e);
            }
            Ok(())
        })
    })
    .await;
}

async fn subscriptions_are_versioned_unique_by_url_and_per_tenant(store: S) {
    let a = seed(&store, "hooks-a").await;
    let b = seed(&store, "hooks-b").await;
    let w = hook("https://example.com/a", "");
    let w2 = w.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_webhook(&w2).await })
    })
    .await;
    assert!(store.webhook_tenants().await.unwrap().contains(&a.tenant));
    assert!(!store.webhook_tenants().await.unwrap().contains(&b.tenant));
    let dup = hook("https://example.com/a", "");
    let taken = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.insert_webhook(&dup).await })
    })
    .await;
    assert_eq!(taken, Err(conflict("webhooks_url")));
    // Another tenant may use the same URL, and sees nothing of A's.
    let other = hook("https://example.com/a", "");
    write(&store, b.tenant, move |tx| {
        Box::pin(async move { tx.insert_webhook(&other).await })
    })
    .await;
    let id = w.id;
    let (got, list_b) = (
        read(&store, a.tenant, move |tx| {
            Box::pin(async move { tx.get_webhook(id).await })
        })
        .await,
        read(&store, b.tenant, |tx| {
            Box::pin(async move { tx.list_webhooks().await })
        })
        .await,
    );
    assert_eq!(got, Some(w.clone()));
    assert_eq!(list_b.len(), 1);
    assert!(
        read(&store, b.tenant, move |tx| Box::pin(async move {
            tx.get_webhook(id).await
        }))
        .await
        .is_none()
    );
    // Versions.
    let mut v2 = w.clone();
    v2.version = 2;
    v2.active = false;
    v2.disabled_reason = Some("off".into());
    let u = v2.clone();
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_webhook(&u).await })
    })
    .await;
    let stale = v2.clone();
    let r = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.update_webhook(&stale).await })
    })
    .await;
    assert_eq!(r, Err(conflict("webhooks_version")));
    let list = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.list_webhooks().await })
    })
    .await;
    assert_eq!(list, vec![v2]);
    assert!(
        !store.webhook_tenants().await.unwrap().contains(&a.tenant),
        "no active one left"
    );
    write(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.disable_webhook(id, "again", at(3, 1)).await })
    })
    .await;
    let off = read(&store, a.tenant, move |tx| {
        Box::pin(async move { tx.get_webhook(id).await })
    })
    .await
    .unwrap();
    assert_eq!(off.version, 3);
    assert_eq!(off.disabled_reason.as_deref(), Some("again"));
}

async fn each_event_is_queued_once_and_the_cursor_moves_past_it(store: S) {
    let s = seed(&store, "hooks-queue").await;
    emit(&store, s.tenant, vec![event("catalog.item_created")]).await;
    let mut w = hook(
        "https://example.com/q",
        "inventory.stock_adjusted,counts.count_approved",
    );
    w.cursor_seq = 1; // subscribed after the first event
    let id = w.id;
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_webhook(&w).await })
    })
    .await;
    emit(
        &store,
        s.tenant,
        vec![
            event("inventory.stock_adjusted"),
            event("catalog.item_created"),
            event("counts.count_approved"),
        ],
    )
    .await;
    let types = vec![
        "inventory.stock_adjusted".to_owned(),
        "counts.count_approved".to_owned(),
    ];
    let t2 = types.clone();
    let (made, again) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let made = tx.enqueue_deliveries(id, &t2, 2, at(3, 1)).await?;
            let again = tx.enqueue_deliveries(id, &t2, 10, at(3, 1)).await?;
            Ok((made, again))
        })
    })
    .await;
    assert_eq!(
        (made, again),
        (1, 1),
        "two events looked at, then the last one"
    );
    let t3 = types.clone();
    let none = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.enqueue_deliveries(id, &t3, 10, at(3, 1)).await })
    })
    .await;
    assert_eq!(none, 0);
    let list = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.list_deliveries(id, None, 10).await })
    })
    .await;
    assert_eq!(
        list.iter()
            .map(|d| (
                d.event_seq,
                d.event_type.as_str(),
                d.status.as_str(),
                d.attempts
            ))
            .collect::<Vec<_>>(),
        vec![
            (4, "counts.count_approved", "pending", 0),
            (2, "inventory.stock_adjusted", "pending", 0)
        ]
    );
    let w = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_webhook(id).await })
    })
    .await
    .unwrap();
    assert_eq!(w.cursor_seq, 4);
    let older = list[0].id;
    let page = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.list_deliveries(id, Some(older), 10).await })
    })
    .await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].event_seq, 2);
    // Every type, for a subscription to all.
    let mut all = hook("https://example.com/all", "");
    all.cursor_seq = 0;
    let all_id = all.id;
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_webhook(&all).await })
    })
    .await;
    let n = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.enqueue_deliveries(all_id, &[], 100, at(3, 1)).await })
    })
    .await;
    assert_eq!(n, 4);
}

async fn due_deliveries_are_claimed_under_a_lease_and_attempts_are_recorded(store: S) {
    let s = seed(&store, "hooks-claim").await;
    let mut w = hook("https://example.com/c", "");
    w.previous_secret = Some("whsec_b2xk".into());
    w.previous_until = Some(at(4, 0));
    let id = w.id;
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.insert_webhook(&w).await })
    })
    .await;
    emit(&store, s.tenant, vec![event("a.b"), event("a.c")]).await;
    let now = at(3, 10);
    write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.enqueue_deliveries(id, &[], 10, now).await })
    })
    .await;
    // Not yet due.
    let early = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.claim_deliveries(now - Duration::seconds(1), now, 10)
                .await
        })
    })
    .await;
    assert!(early.is_empty());
    let claimed = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.claim_deliveries(now, now + Duration::seconds(60), 1)
                .await
        })
    })
    .await;
    assert_eq!(claimed.len(), 1, "limit");
    let c = &claimed[0];
    assert_eq!(c.url, "https://example.com/c");
    assert_eq!(
        c.secrets,
        vec!["whsec_c2VjcmV0".to_owned(), "whsec_b2xk".to_owned()]
    );
    assert_eq!(c.event.seq, c.delivery.event_seq);
    assert_eq!(c.event.event_type, "a.b");
    // Leased: the next claim at the same instant takes the other one only.
    let next = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.claim_deliveries(now, now + Duration::seconds(60), 10)
                .await
        })
    })
    .await;
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].event.event_type, "a.c");
    // After the previous secret's day, only the current one signs.
    let later = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.claim_deliveries(at(5, 0), at(5, 1), 10).await })
    })
    .await;
    assert_eq!(later.len(), 2, "leases ended");
    assert!(later.iter().all(|d| d.secrets.len() == 1));

    // A failure, then a success.
    let failed = DeliveryRow {
        status: "pending".into(),
        attempts: 1,
        next_attempt_at: at(5, 2),
        last_status: Some(500),
        last_error: Some("the target answered 500".into()),
        last_attempt_at: Some(at(5, 1)),
        ..c.delivery.clone()
    };
    let f = failed.clone();
    let counts = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.record_attempt(&f, false, at(5, 1)).await })
    })
    .await;
    assert_eq!(counts, (1, Some(at(5, 1))));
    let f2 = DeliveryRow {
        attempts: 2,
        ..failed.clone()
    };
    let counts = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.record_attempt(&f2, false, at(5, 3)).await })
    })
    .await;
    assert_eq!(
        counts,
        (2, Some(at(5, 1))),
        "failing since the first failure"
    );
    let ok = DeliveryRow {
        status: "succeeded".into(),
        attempts: 3,
        last_status: Some(204),
        last_error: None,
        ..failed.clone()
    };
    let o = ok.clone();
    let counts = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.record_attempt(&o, true, at(5, 4)).await })
    })
    .await;
    assert_eq!(counts, (0, None));
    let did = ok.id;
    let got = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_delivery(did).await })
    })
    .await;
    assert_eq!(got, Some(ok));
    // Replayed: due again.
    let replayed = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.replay_delivery(did, at(6, 0)).await })
    })
    .await;
    assert!(replayed);
    let d = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_delivery(did).await })
    })
    .await
    .unwrap();
    assert_eq!(
        (d.status.as_str(), d.next_attempt_at),
        ("pending", at(6, 0))
    );
    let missing = write(&store, s.tenant, |tx| {
        Box::pin(async move { tx.replay_delivery(Uuid::now_v7(), at(6, 0)).await })
    })
    .await;
    assert!(!missing);

    if store.backend() == "postgres" {
        // A claim held by an open transaction is skipped by another.
        let (held_tx, held) = tokio::sync::oneshot::channel::<usize>();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = {
            let store = store.clone();
            let tenant = s.tenant;
            tokio::spawn(async move {
                write(&store, tenant, move |tx| {
                    Box::pin(async move {
                        let c = tx.claim_deliveries(at(7, 0), at(7, 1), 10).await?;
                        let _ = held_tx.send(c.len());
                        let _ = released.await;
                        Ok(())
                    })
                })
                .await;
            })
        };
        assert_eq!(held.await.unwrap(), 2);
        let other = write(&store, s.tenant, |tx| {
            Box::pin(async move { tx.claim_deliveries(at(7, 0), at(7, 1), 10).await })
        })
        .await;
        assert!(other.is_empty(), "claimed twice: {other:?}");
        let _ = release.send(());
        holder.await.unwrap();
    }
}
