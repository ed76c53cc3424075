//! audit (`AuditTx`, the hash-chained audit log): records are appended at commit (none when
//! the transaction rolls back), numbered per tenant from 1 without gaps even under concurrent
//! writers, each hashed over the previous one so the chain verifies; listed newest first with
//! filters; the previous summary of a target is found; and the log is append-only for the
//! application. On PostgreSQL, which numbers after commit, rows a writer committed but never
//! saw numbered (killed between its commit and the round) are numbered by the next round, and
//! a row, once numbered, can never be changed.

use chrono::SubsecRound;
use larder_core::audit::{AuditFields, GENESIS, Verifier};
use larder_store::{AuditFilter, AuditRow, NewAudit};
use uuid::Uuid;

use crate::*;

contract!(
    records_are_chained_at_commit_and_verify,
    a_rolled_back_transaction_appends_no_record,
    concurrent_writers_extend_one_chain_without_gaps,
    records_are_listed_newest_first_with_filters_per_tenant,
    the_log_is_append_only,
    rows_a_killed_writer_left_unnumbered_are_numbered_later,
);

fn record(action: &str, target: Option<&str>, actor: Option<UserId>) -> NewAudit {
    NewAudit {
        id: Uuid::now_v7(),
        at: Utc::now(),
        actor,
        action: action.into(),
        target_type: "item".into(),
        target_id: target.map(Into::into),
        summary: format!(r#"{{"after":{{"action":"{action}"}}}}"#),
        request_id: Some(Uuid::now_v7().to_string()),
        client_addr: Some("192.0.2.7".into()),
    }
}

async fn append(store: &S, tenant: TenantId, records: Vec<NewAudit>) {
    write(store, tenant, move |tx| {
        Box::pin(async move {
            for r in records {
                tx.record_audit(r);
            }
            Ok(())
        })
    })
    .await;
}

async fn chain(store: &S, tenant: TenantId) -> Vec<AuditRow> {
    read(store, tenant, |tx| {
        Box::pin(async move { tx.audit_chain(0, 1000).await })
    })
    .await
}

/// Verifies a stored chain as `larder audit verify` does; the number of records.
fn verify(tenant: TenantId, rows: &[AuditRow]) -> Result<i64, larder_core::audit::Broken> {
    let mut v = Verifier::default();
    let t = tenant.to_string();
    for r in rows {
        let (id, actor) = (r.id.to_string(), r.actor.map(|a| a.to_string()));
        v.check(
            &AuditFields {
                seq: r.seq,
                id: &id,
                tenant_id: &t,
                at: r.at,
                actor: actor.as_deref(),
                action: &r.action,
                target_type: &r.target_type,
                target_id: r.target_id.as_deref(),
                summary: &r.summary,
                request_id: r.request_id.as_deref(),
                client_addr: r.client_addr.as_deref(),
            },
            &r.prev_hash,
            &r.hash,
        )?;
    }
    Ok(v.verified())
}

async fn records_are_chained_at_commit_and_verify(store: S) {
    let s = seed(&store, "audit").await;
    let head = read(&store, s.tenant, |tx| {
        Box::pin(async move { tx.audit_head().await })
    })
    .await;
    assert_eq!(head, None);
    let user = UserId::new();
    let first = record("catalog.item_created", Some("i1"), Some(user));
    let second = record("catalog.item_updated", Some("i1"), Some(user));
    append(&store, s.tenant, vec![first.clone(), second.clone()]).await;
    append(
        &store,
        s.tenant,
        vec![record("auth.login_failed", None, None)],
    )
    .await;
    let rows = chain(&store, s.tenant).await;
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(rows[0].id, first.id);
    assert_eq!(
        rows[0].at,
        first.at.trunc_subsecs(6),
        "kept to the microsecond"
    );
    assert_eq!(rows[0].actor, Some(user));
    assert_eq!(rows[0].action, "catalog.item_created");
    assert_eq!(rows[0].target_id.as_deref(), Some("i1"));
    assert_eq!(rows[0].summary, first.summary);
    assert_eq!(rows[0].request_id, first.request_id);
    assert_eq!(rows[0].client_addr.as_deref(), Some("192.0.2.7"));
    assert_eq!(rows[0].prev_hash, GENESIS.to_vec());
    assert_eq!(rows[1].prev_hash, rows[0].hash);
    assert_eq!(rows[2].actor, None);
    assert_eq!(verify(s.tenant, &rows), Ok(3));
    let (head, last, after) = read(&store, s.tenant, |tx| {
        Box::pin(async move {
            Ok((
                tx.audit_head().await?,
                tx.last_audit_summary("i1").await?,
                tx.audit_chain(2, 10).await?,
            ))
        })
    })
    .await;
    assert_eq!(head, Some((3, rows[2].hash.clone())));
    assert_eq!(last.as_deref(), Some(second.summary.as_str()));
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].seq, 3);
}

async fn a_rolled_back_transaction_appends_no_record(store: S) {
    let s = seed(&store, "audit-rolled").await;
    append(&store, s.tenant, vec![record("a.kept", None, None)]).await;
    let r = record("a.lost", None, None);
    let failed = attempt(&store, s.tenant, move |tx| {
        Box::pin(async move {
            tx.record_audit(r);
            Err::<(), _>(StoreError::Other("refused".into()))
        })
    })
    .await;
    assert!(failed.is_err());
    append(&store, s.tenant, vec![record("a.next", None, None)]).await;
    let rows = chain(&store, s.tenant).await;
    assert_eq!(
        rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        vec!["a.kept", "a.next"]
    );
    assert_eq!(verify(s.tenant, &rows), Ok(2));
}

async fn concurrent_writers_extend_one_chain_without_gaps(store: S) {
    let s = seed(&store, "audit-race").await;
    let mut tasks = Vec::new();
    for n in 0..12 {
        let store = store.clone();
        let tenant = s.tenant;
        tasks.push(tokio::spawn(async move {
            for k in 0..3 {
                append(
                    &store,
                    tenant,
                    vec![record(&format!("w{n}.k{k}"), None, None)],
                )
                .await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("a writer panicked");
    }
    let rows = chain(&store, s.tenant).await;
    assert_eq!(rows.len(), 36);
    assert_eq!(verify(s.tenant, &rows), Ok(36));
}

async fn records_are_listed_newest_first_with_filters_per_tenant(store: S) {
    let a = seed(&store, "audit-a").await;
    let b = seed(&store, "audit-b").await;
    let (alice, bob) = (UserId::new(), UserId::new());
    append(
        &store,
        a.tenant,
        vec![record("auth.login", None, Some(alice))],
    )
    .await;
    append(
        &store,
        a.tenant,
        vec![record("catalog.item_created", Some("x"), Some(bob))],
    )
    .await;
    append(
        &store,
        a.tenant,
        vec![record("auth.logout", None, Some(alice))],
    )
    .await;
    append(&store, b.tenant, vec![record("auth.login", None, None)]).await;
    let list = |f: AuditFilter, tenant: TenantId| {
        let store = store.clone();
        async move {
            read(&store, tenant, move |tx| {
                Box::pin(async move { tx.list_audit(&f).await })
            })
            .await
            .into_iter()
            .map(|r| (r.seq, r.action))
            .collect::<Vec<_>>()
        }
    };
    let all = AuditFilter {
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        list(all.clone(), a.tenant).await,
        vec![
            (3, "auth.logout".to_owned()),
            (2, "catalog.item_created".to_owned()),
            (1, "auth.login".to_owned())
        ]
    );
    assert_eq!(
        list(all.clone(), b.tenant).await,
        vec![(1, "auth.login".to_owned())]
    );
    let by = |f: AuditFilter| list(f, a.tenant);
    assert_eq!(
        by(AuditFilter {
            actor: Some(alice),
            ..all.clone()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        by(AuditFilter {
            action_prefix: Some("auth.".into()),
            ..all.clone()
        })
        .await,
        vec![(3, "auth.logout".to_owned()), (1, "auth.login".to_owned())]
    );
    assert_eq!(
        by(AuditFilter {
            target_id: Some("x".into()),
            ..all.clone()
        })
        .await,
        vec![(2, "catalog.item_created".to_owned())]
    );
    assert_eq!(
        by(AuditFilter {
            before_seq: Some(3),
            limit: 1,
            ..all.clone()
        })
        .await,
        vec![(2, "catalog.item_created".to_owned())]
    );
    let later = Utc::now() + chrono::Duration::hours(1);
    assert!(
        by(AuditFilter {
            from: Some(later),
            ..all.clone()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        by(AuditFilter {
            to: Some(later),
            ..all
        })
        .await
        .len(),
        3
    );
}

async fn the_log_is_append_only(store: S) {
    // On a store whose raw connection this test holds, as the application connects.
    let (own, raw) = if store.backend() == "postgres" {
        let Some((own, pool, _)) = crate::harness::postgres_with_pool().await else {
            return;
        };
        (own, Err(pool))
    } else {
        let (own, path) = crate::harness::sqlite_with_path().await;
        (own, Ok(path))
    };
    let s = seed(&own, "audit-fixed").await;
    append(&own, s.tenant, vec![record("a.b", Some("t"), None)]).await;
    match raw {
        Err(pool) => {
            // The application role may neither update nor delete a record.
            let upd = sqlx::query("UPDATE audit_log SET action = 'x'")
                .execute(&pool)
                .await;
            assert!(upd.is_err(), "the application role updated the audit log");
            let del = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
            assert!(del.is_err(), "the application role deleted audit records");
        }
        Ok(path) => {
            let conn = rusqlite::Connection::open(path).expect("open the file");
            let upd = conn.execute("UPDATE audit_log SET action = 'x'", []);
            assert!(upd.is_err(), "the audit log was updated");
            let del = conn.execute("DELETE FROM audit_log", []);
            assert!(del.is_err(), "audit records were deleted");
        }
    }
    assert_eq!(chain(&own, s.tenant).await.len(), 1);
    own.close().await;
}

async fn rows_a_killed_writer_left_unnumbered_are_numbered_later(store: S) {
    if store.backend() != "postgres" {
        return; // SQLite numbers in the writing transaction: nothing is ever left
    }
    let Some((own, _, url)) = crate::harness::postgres_with_pool().await else {
        return;
    };
    let s = seed(&own, "audit-unnumbered").await;
    append(&own, s.tenant, vec![record("a.first", Some("t"), None)]).await;
    // A writer that committed and was killed before any round: its rows, written as the
    // owner (no round follows this commit).
    let owner = sqlx::PgPool::connect(&url)
        .await
        .expect("connect as the owner");
    let t = s.tenant.as_uuid();
    let mut tx = owner.begin().await.expect("begin");
    for data in [r#"{"n":1}"#, r#"{"n":2}"#] {
        sqlx::query(
            "INSERT INTO outbox (tenant_id, id, event_type, occurred_at, recorded_at,
                 schema_version, data) VALUES ($1, $2, 'inventory.stock_adjusted', now(), now(), 1, $3)",
        )
        .bind(t)
        .bind(Uuid::now_v7())
        .bind(data)
        .execute(&mut *tx)
        .await
        .expect("insert an unnumbered event");
    }
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, id, at, action, target_type, target_id, summary)
         VALUES ($1, $2, date_trunc('milliseconds', now()), 'a.second', 'thing', 't', '{}')",
    )
    .bind(t)
    .bind(Uuid::now_v7())
    .execute(&mut *tx)
    .await
    .expect("insert an unnumbered record");
    tx.commit().await.expect("commit");
    // Unnumbered rows cannot change but for their numbers.
    let edit = sqlx::query("UPDATE outbox SET data = 'x' WHERE tenant_id = $1 AND seq IS NULL")
        .bind(t)
        .execute(&owner)
        .await;
    assert!(edit.is_err(), "an unnumbered event was edited");
    // The sweep (every 2 s) numbers them after the numbered ones, chained.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let rows = loop {
        let rows = chain(&own, s.tenant).await;
        if rows.len() == 2 || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(
        rows.iter()
            .map(|r| (r.seq, r.action.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "a.first"), (2, "a.second")]
    );
    assert_eq!(verify(s.tenant, &rows), Ok(2));
    let events = read(&own, s.tenant, |tx| {
        Box::pin(async move { tx.events_after(0, 10).await })
    })
    .await;
    assert_eq!(
        events
            .iter()
            .map(|e| (e.seq, e.data.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, r#"{"n":1}"#), (2, r#"{"n":2}"#)]
    );
    let head = read(&own, s.tenant, |tx| {
        Box::pin(async move { tx.event_head().await })
    })
    .await;
    assert_eq!(head, 2);
    // Numbered once: neither renumbered nor edited nor deleted, even by the owner.
    for sql in [
        "UPDATE outbox SET seq = 9 WHERE tenant_id = $1 AND seq = 1",
        "UPDATE audit_log SET seq = 9 WHERE tenant_id = $1 AND seq = 2",
        "UPDATE audit_log SET summary = 'x' WHERE tenant_id = $1 AND seq = 2",
        "DELETE FROM outbox WHERE tenant_id = $1 AND seq = 2",
    ] {
        let r = sqlx::query(sql).bind(t).execute(&owner).await;
        assert!(r.is_err(), "{sql} was allowed");
    }
    owner.close().await;
    own.close().await;
}
