//! idempotency (`IdempotencyTx`): the first answer to an `Idempotency-Key` is stored once per
//! tenant and read back; a second insert of the key answers `false` and changes nothing.

use crate::*;

contract!(
    a_key_is_stored_once_and_its_first_answer_kept,
    keys_are_per_tenant,
    concurrent_requests_with_one_key_store_it_once,
);

fn answer(key: &str, status: u16, body: &str) -> IdempotencyRow {
    IdempotencyRow {
        key: key.into(),
        request_hash: vec![1, 2, 3, 255],
        status,
        body: body.into(),
        created_at: plus_micros(at(3, 1), 250),
    }
}

async fn a_key_is_stored_once_and_its_first_answer_kept(store: S) {
    let s = seed(&store, "idem").await;
    let first = answer("k1", 201, r#"{"id":"1"}"#);
    let retry = IdempotencyRow {
        request_hash: vec![9],
        status: 409,
        body: r#"{"id":"2"}"#.into(),
        ..first.clone()
    };
    let (f, r) = (first.clone(), retry.clone());
    let (before, stored, again, got) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let before = tx.get_idempotency("k1").await?;
            let stored = tx.insert_idempotency(&f).await?;
            let again = tx.insert_idempotency(&r).await?;
            Ok((before, stored, again, tx.get_idempotency("k1").await?))
        })
    })
    .await;
    assert_eq!(before, None);
    assert!(stored, "the first insert must store the key");
    assert!(!again, "the second insert of a key must answer false");
    assert_eq!(got, Some(first.clone()));

    // In a later transaction too: the committed key is kept, and the transaction goes on.
    let other = answer("k2", 200, "[]");
    let o2 = other.clone();
    let (again, stored, k1, k2, missing) = write(&store, s.tenant, move |tx| {
        Box::pin(async move {
            let again = tx.insert_idempotency(&retry).await?;
            let stored = tx.insert_idempotency(&o2).await?;
            Ok((
                again,
                stored,
                tx.get_idempotency("k1").await?,
                tx.get_idempotency("k2").await?,
                tx.get_idempotency("K1").await?,
            ))
        })
    })
    .await;
    assert!(!again);
    assert!(stored);
    assert_eq!(k1, Some(first));
    assert_eq!(k2, Some(other));
    assert_eq!(missing, None, "keys are compared exactly");
}

async fn keys_are_per_tenant(store: S) {
    let a = seed(&store, "idem-a").await;
    let b = seed(&store, "idem-b").await;
    let row = answer("shared", 201, "a");
    let r = row.clone();
    assert!(
        write(&store, a.tenant, move |tx| {
            Box::pin(async move { tx.insert_idempotency(&r).await })
        })
        .await
    );
    let theirs = answer("shared", 202, "b");
    let t = theirs.clone();
    let (before, stored, got) = write(&store, b.tenant, move |tx| {
        Box::pin(async move {
            let before = tx.get_idempotency("shared").await?;
            let stored = tx.insert_idempotency(&t).await?;
            Ok((before, stored, tx.get_idempotency("shared").await?))
        })
    })
    .await;
    assert_eq!(before, None, "B read A's idempotency key");
    assert!(stored, "A's key kept B from storing its own");
    assert_eq!(got, Some(theirs));
    let mine = read(&store, a.tenant, |tx| {
        Box::pin(async move { tx.get_idempotency("shared").await })
    })
    .await;
    assert_eq!(mine, Some(row));
}

async fn concurrent_requests_with_one_key_store_it_once(store: S) {
    let s = seed(&store, "idem-race").await;
    let mut handles = Vec::new();
    for i in 0..8u16 {
        let store = store.clone();
        let tenant = s.tenant;
        handles.push(tokio::spawn(async move {
            let row = answer("race", 200 + i, &format!("{i}"));
            run_tenant(store.as_ref(), tenant, Mode::Write, move |tx| {
                Box::pin(async move { tx.insert_idempotency(&row).await })
            })
            .await
        }));
    }
    let mut stored = 0;
    for h in handles {
        if h.await.unwrap().unwrap() {
            stored += 1;
        }
    }
    assert_eq!(
        stored, 1,
        "exactly one of the concurrent requests stores the key"
    );
    let got = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.get_idempotency("race").await })
    })
    .await
    .unwrap();
    assert_eq!(got.body, (got.status - 200).to_string(), "{got:?}");
}
