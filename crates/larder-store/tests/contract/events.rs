//! events (`EventTx`, the outbox): events are written when their transaction commits and not
//! at all when it rolls back, numbered per tenant without gaps even under concurrent writers
//! (in commit order on SQLite, in numbering order after commit on PostgreSQL: ADR 025), each
//! writer's in its own order, read back after a sequence number, announced on the store's signal,
//! and relayed through a cursor that moves only forward and (PostgreSQL) one process holds.

use std::time::Duration;

use larder_store::{EventRow, EventWake, NewEvent};
use uuid::Uuid;

use crate::*;

contract!(
    events_are_written_at_commit_in_sequence,
    a_rolled_back_transaction_writes_no_event,
    sequences_and_events_are_per_tenant,
    concurrent_writers_get_gap_free_sequences_in_commit_order,
    a_commit_with_events_wakes_the_signal,
    the_relay_cursor_moves_forward_and_one_holder_claims_it,
);

fn event(location: Option<LocationId>, data: &str) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: "inventory.stock_adjusted",
        location_id: location,
        occurred_at: at(2, 10),
        actor: None,
        schema_version: 1,
        data: data.into(),
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

async fn all_events(store: &S, tenant: TenantId) -> Vec<EventRow> {
    read(store, tenant, |tx| {
        Box::pin(async move { tx.events_after(0, 500).await })
    })
    .await
}

async fn events_are_written_at_commit_in_sequence(store: S) {
    let s = seed(&store, "events").await;
    let head = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.event_head().await })
    })
    .await;
    assert_eq!(head, 0, "no event yet");
    let (a, b, c) = (
        event(Some(s.location), r#"{"n":1}"#),
        event(None, r#"{"n":2}"#),
        event(Some(s.location), r#"{"n":3}"#),
    );
    emit(&store, s.tenant, vec![a.clone(), b.clone()]).await;
    emit(&store, s.tenant, vec![c.clone()]).await;
    let got = all_events(&store, s.tenant).await;
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    for (row, want) in got.iter().zip([&a, &b, &c]) {
        assert_eq!(row.id, want.id);
        assert_eq!(row.event_type, want.event_type);
        assert_eq!(row.location_id, want.location_id);
        assert_eq!(row.occurred_at, want.occurred_at);
        assert_eq!(row.actor, None);
        assert_eq!(row.schema_version, 1);
        assert_eq!(row.data, want.data);
    }
    assert!(got[0].recorded_at <= got[2].recorded_at);
    let (after, head) = read(&store, s.tenant, |tx| {
        Box::pin(async move { Ok((tx.events_after(1, 1).await?, tx.event_head().await?)) })
    })
    .await;
    assert_eq!(after.len(), 1, "limit");
    assert_eq!(after[0].seq, 2);
    assert_eq!(head, 3);
}

async fn a_rolled_back_transaction_writes_no_event(store: S) {
    let s = seed(&store, "rolled").await;
    let e = event(Some(s.location), "{}");
    let failed = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.emit(e);
            Err::<(), _>(StoreError::Other("the use case failed".into()))
        })
    })
    .await;
    assert!(failed.is_err());
    assert!(all_events(&store, s.tenant).await.is_empty());
    let head = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.event_head().await })
    })
    .await;
    assert_eq!(
        head, 0,
        "a rolled-back transaction takes no sequence number"
    );
    // An event of another location's tenant would not commit either: the change and its
    // event are one transaction, so a failing write of the change takes its event with it.
    let bad = event(Some(LocationId::new()), "{}");
    let refused = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.emit(bad);
            Ok(())
        })
    })
    .await;
    assert!(
        refused.is_err(),
        "an event naming an unknown location fails the commit"
    );
    assert!(all_events(&store, s.tenant).await.is_empty());
    emit(&store, s.tenant, vec![event(None, "{}")]).await;
    let got = all_events(&store, s.tenant).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].seq, 1,
        "the next committed event is number 1: no gap"
    );
}

async fn sequences_and_events_are_per_tenant(store: S) {
    let a = seed(&store, "events-a").await;
    let b = seed(&store, "events-b").await;
    emit(
        &store,
        a.tenant,
        vec![event(Some(a.location), r#"{"t":"a"}"#)],
    )
    .await;
    emit(&store, a.tenant, vec![event(None, r#"{"t":"a"}"#)]).await;
    emit(
        &store,
        b.tenant,
        vec![event(Some(b.location), r#"{"t":"b"}"#)],
    )
    .await;
    let (ea, eb) = (
        all_events(&store, a.tenant).await,
        all_events(&store, b.tenant).await,
    );
    assert_eq!(ea.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(eb.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1]);
    assert!(ea.iter().all(|e| e.data.contains("\"a\"")));
    assert!(eb.iter().all(|e| e.data.contains("\"b\"")));
    // Another tenant's location cannot be named.
    let cross = event(Some(b.location), "{}");
    let refused = attempt(&store, a.tenant, move |tx| {
        Box::pin(async move {
            tx.emit(cross);
            Ok(())
        })
    })
    .await;
    assert!(refused.is_err());
}

async fn concurrent_writers_get_gap_free_sequences_in_commit_order(store: S) {
    let s = seed(&store, "events-race").await;
    let mut tasks = Vec::new();
    for n in 0..16 {
        let store = store.clone();
        let tenant = s.tenant;
        let location = s.location;
        tasks.push(tokio::spawn(async move {
            for k in 0..4 {
                let e = event(Some(location), &format!(r#"{{"writer":{n},"k":{k}}}"#));
                emit(&store, tenant, vec![e]).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("a writer panicked");
    }
    let got = all_events(&store, s.tenant).await;
    assert_eq!(
        got.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=64).collect::<Vec<i64>>(),
        "64 events numbered 1..=64 without a gap"
    );
    // Each writer's events are in its own order: a write that follows another is numbered
    // after it (on PostgreSQL its round begins after the earlier one's commit).
    for n in 0..16 {
        let ks: Vec<String> = got
            .iter()
            .filter(|e| e.data.contains(&format!(r#""writer":{n},"#)))
            .map(|e| e.data.clone())
            .collect();
        let want: Vec<String> = (0..4)
            .map(|k| format!(r#"{{"writer":{n},"k":{k}}}"#))
            .collect();
        assert_eq!(ks, want);
    }
}

async fn a_commit_with_events_wakes_the_signal(store: S) {
    let s = seed(&store, "events-wake").await;
    let mut wakes = store.event_signal().subscribe();
    emit(&store, s.tenant, vec![event(None, "{}"), event(None, "{}")]).await;
    let w = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match wakes.recv().await {
                Ok(w) if w.tenant_id == s.tenant => return w,
                Ok(_) => {}
                Err(e) => panic!("the signal failed: {e}"),
            }
        }
    })
    .await
    .expect("a wake within 5 s");
    assert_eq!(w.head, 2);
    assert_eq!(EventWake::parse(&w.payload()), Some(w));
    // A transaction without events wakes nobody for its tenant.
    let before = wakes.len();
    write(&store, s.tenant, |tx| {
        Box::pin(async move { tx.event_head().await.map(drop) })
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = 0;
    while wakes.len() > before {
        if let Ok(w) = wakes.try_recv()
            && w.tenant_id == s.tenant
            && w.head > 2
        {
            extra += 1;
        }
    }
    assert_eq!(extra, 0);
}

async fn the_relay_cursor_moves_forward_and_one_holder_claims_it(store: S) {
    let s = seed(&store, "events-relay").await;
    emit(&store, s.tenant, vec![event(None, "{}"), event(None, "{}")]).await;
    emit(&store, s.tenant, vec![event(None, "{}")]).await;
    assert!(store.unrelayed_tenants().await.unwrap().contains(&s.tenant));
    let first = write(&store, s.tenant, |tx| {
        Box::pin(async move {
            let c = tx.claim_relay().await?;
            tx.set_relayed(2).await?;
            Ok(c)
        })
    })
    .await;
    assert_eq!(first, Some(0), "a new tenant's cursor starts at 0");
    let (again, back) = write(&store, s.tenant, |tx| {
        Box::pin(async move {
            let c = tx.claim_relay().await?;
            tx.set_relayed(1).await?;
            Ok((c, tx.claim_relay().await?))
        })
    })
    .await;
    assert_eq!(again, Some(2));
    assert_eq!(back, Some(2), "the cursor never moves back");
    assert!(store.unrelayed_tenants().await.unwrap().contains(&s.tenant));
    write(&store, s.tenant, |tx| {
        Box::pin(async move { tx.set_relayed(3).await })
    })
    .await;
    assert!(!store.unrelayed_tenants().await.unwrap().contains(&s.tenant));

    if store.backend() == "postgres" {
        // While one transaction holds the cursor, another's claim finds nothing to do.
        let (held_tx, held) = tokio::sync::oneshot::channel::<()>();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = {
            let store = store.clone();
            let tenant = s.tenant;
            tokio::spawn(async move {
                write(&store, tenant, move |tx| {
                    Box::pin(async move {
                        let c = tx.claim_relay().await?;
                        let _ = held_tx.send(());
                        let _ = released.await;
                        Ok(c)
                    })
                })
                .await
            })
        };
        held.await.expect("the holder claimed");
        let other = write(&store, s.tenant, |tx| {
            Box::pin(async move { tx.claim_relay().await })
        })
        .await;
        assert_eq!(other, None, "the held cursor is skipped");
        let _ = release.send(());
        assert_eq!(holder.await.expect("the holder finished"), Some(3));
    }
}
