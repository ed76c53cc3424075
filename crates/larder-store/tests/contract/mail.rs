//! mail (`MailTx`): a queued message keeps its recipients, bodies and attachments byte for
//! byte and is listed newest first, filtered and paged, per tenant; due messages are claimed
//! under a lease (and, on PostgreSQL, skipped while another transaction holds them); an
//! attempt is recorded only under the lease it was made with; the sender's tenant list holds
//! tenants with pending mail; on PostgreSQL the application role sees no other tenant's mail.

use chrono::Duration;
use larder_store::{MailAttachment, MailAttempt, MailFilter, NewMail};
use uuid::Uuid;

use crate::*;

contract!(
    queued_mail_is_kept_and_listed_newest_first_per_tenant,
    due_mail_is_claimed_under_a_lease_and_attempts_are_recorded_under_it,
);

/// A message of `purpose` to `to`, queued at `created_at`, with a binary attachment.
fn mail(to: &[&str], purpose: &str, created_at: DateTime<Utc>) -> NewMail {
    NewMail {
        id: Uuid::now_v7(),
        to: to.iter().map(|s| (*s).to_owned()).collect(),
        subject: format!("Purchase order PO-000001 ({purpose})"),
        text: "Dear supplier,\r\n\r\nplease find the order attached.\r\n".into(),
        html: Some("<p>Dear supplier,</p><p>please find the order <b>attached</b>.</p>".into()),
        attachments: vec![
            MailAttachment {
                name: "PO-000001.pdf".into(),
                content_type: "application/pdf".into(),
                // Every byte value, NUL included, survives.
                body: (0..=255u8).chain([0, 0, 255]).collect(),
            },
            MailAttachment {
                name: "PO-000001.csv".into(),
                content_type: "text/csv; charset=utf-8".into(),
                body: b"sku,packs\nRICE-1,2\n".to_vec(),
            },
        ],
        purpose: purpose.into(),
        created_by: None,
        created_at,
    }
}

async fn queue(store: &S, tenant: TenantId, m: NewMail) {
    write(store, tenant, move |tx| {
        Box::pin(async move { tx.queue_mail(&m).await })
    })
    .await;
}

async fn list(store: &S, tenant: TenantId, f: MailFilter) -> Vec<larder_store::MailRow> {
    read(store, tenant, move |tx| {
        Box::pin(async move { tx.list_mail(&f).await })
    })
    .await
}

fn all() -> MailFilter {
    MailFilter {
        limit: 100,
        ..MailFilter::default()
    }
}

async fn queued_mail_is_kept_and_listed_newest_first_per_tenant(store: S) {
    let a = seed(&store, "mail-a").await;
    let b = seed(&store, "mail-b").await;
    assert!(!store.mail_tenants().await.unwrap().contains(&a.tenant));
    let mut first = mail(
        &["orders@supplier.example", "buyer@kitchen.example"],
        "purchase_order",
        at(2, 9),
    );
    first.created_by = Some(UserId::new());
    let mut second = mail(&["chef@kitchen.example"], "alert", at(2, 10));
    second.html = None;
    second.attachments = Vec::new();
    let other = mail(&["someone@else.example"], "alert", at(2, 11));
    queue(&store, a.tenant, first.clone()).await;
    queue(&store, a.tenant, second.clone()).await;
    queue(&store, b.tenant, other.clone()).await;

    let tenants = store.mail_tenants().await.unwrap();
    assert!(tenants.contains(&a.tenant) && tenants.contains(&b.tenant));

    let log = list(&store, a.tenant, all()).await;
    assert_eq!(
        log.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![second.id, first.id],
        "newest first, the tenant's own only"
    );
    let f = &log[1];
    assert_eq!(f.to, first.to);
    assert_eq!(f.subject, first.subject);
    assert_eq!(f.purpose, "purchase_order");
    assert_eq!(
        (f.status.as_str(), f.attempts, f.next_attempt_at),
        ("pending", 0, at(2, 9))
    );
    assert_eq!(
        (f.last_error.as_ref(), f.last_attempt_at, f.sent_at),
        (None, None, None)
    );
    assert_eq!(f.attachment_names, vec!["PO-000001.pdf", "PO-000001.csv"]);
    assert_eq!((f.created_by, f.created_at), (first.created_by, at(2, 9)));
    assert!(log[0].attachment_names.is_empty());

    // Filters and pages.
    let alerts = list(
        &store,
        a.tenant,
        MailFilter {
            purpose: Some("alert".into()),
            ..all()
        },
    )
    .await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].id, second.id);
    let sent = list(
        &store,
        a.tenant,
        MailFilter {
            status: Some("sent".into()),
            ..all()
        },
    )
    .await;
    assert!(sent.is_empty());
    let page = list(&store, a.tenant, MailFilter { limit: 1, ..all() }).await;
    assert_eq!(page.len(), 1);
    let older = list(
        &store,
        a.tenant,
        MailFilter {
            before: Some(page[0].id),
            ..all()
        },
    )
    .await;
    assert_eq!(
        older.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![first.id]
    );

    // Another tenant's message is not there.
    let (id, other_id) = (first.id, other.id);
    let (got, foreign) = read(&store, a.tenant, move |tx| {
        Box::pin(async move { Ok((tx.get_mail(id).await?, tx.get_mail(other_id).await?)) })
    })
    .await;
    assert_eq!(got.as_ref(), Some(f));
    assert_eq!(foreign, None);
    let b_log = list(&store, b.tenant, all()).await;
    assert_eq!(
        b_log.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![other.id]
    );
}

async fn due_mail_is_claimed_under_a_lease_and_attempts_are_recorded_under_it(store: S) {
    let s = seed(&store, "mail-claim").await;
    let first = mail(&["orders@supplier.example"], "purchase_order", at(3, 9));
    let mut second = mail(&["chef@kitchen.example"], "alert", at(3, 10));
    (second.html, second.attachments) = (None, Vec::new());
    queue(&store, s.tenant, first.clone()).await;
    queue(&store, s.tenant, second.clone()).await;
    let now = at(3, 10);
    // Not yet due.
    let early = write(&store, s.tenant, |tx| {
        Box::pin(async move { tx.claim_mail(at(3, 8), at(3, 8), 10).await })
    })
    .await;
    assert!(early.is_empty());
    // Earliest due first, up to the limit, with everything the sender needs.
    let lease = plus_micros(now + Duration::seconds(120), 1);
    let claimed = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.claim_mail(now, lease, 1).await })
    })
    .await;
    assert_eq!(claimed.len(), 1, "limit");
    let c = &claimed[0];
    assert_eq!(c.mail.id, first.id);
    assert_eq!(c.mail.next_attempt_at, lease, "leased");
    assert_eq!(c.text, first.text);
    assert_eq!(c.html, first.html);
    assert_eq!(c.attachments, first.attachments, "byte for byte, in order");
    // Leased: the next claim at the same instant takes the other one only.
    let next = write(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.claim_mail(now, lease, 10).await })
    })
    .await;
    assert_eq!(
        next.iter().map(|d| d.mail.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    assert!(next[0].attachments.is_empty() && next[0].html.is_none());

    // A temporary failure: pending again, due later, with the server's answer.
    let retry = MailAttempt {
        id: first.id,
        leased_until: c.mail.next_attempt_at,
        status: "pending".into(),
        attempts: 1,
        next_attempt_at: at(3, 11),
        last_error: Some("421 4.3.0 try again later".into()),
        attempted_at: at(3, 10),
    };
    let r = retry.clone();
    assert!(
        write(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.record_mail_attempt(&r).await })
        })
        .await
    );
    // The same outcome again: the lease it was made under is gone, so nothing is recorded.
    let r = retry.clone();
    assert!(
        !write(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.record_mail_attempt(&r).await })
        })
        .await
    );
    let id = first.id;
    let m = read(&store, s.tenant, move |tx| {
        Box::pin(async move { tx.get_mail(id).await })
    })
    .await
    .unwrap();
    assert_eq!(
        (m.status.as_str(), m.attempts, m.next_attempt_at),
        ("pending", 1, at(3, 11))
    );
    assert_eq!(m.last_error.as_deref(), Some("421 4.3.0 try again later"));
    assert_eq!((m.last_attempt_at, m.sent_at), (Some(at(3, 10)), None));

    // Due again: claimed and sent.
    let later = write(&store, s.tenant, |tx| {
        Box::pin(async move { tx.claim_mail(at(3, 11), at(3, 12), 10).await })
    })
    .await;
    assert_eq!(later.len(), 2, "the other one's lease has ended too");
    let mine = later.iter().find(|d| d.mail.id == first.id).unwrap();
    let sent = MailAttempt {
        id: first.id,
        leased_until: mine.mail.next_attempt_at,
        status: "sent".into(),
        attempts: 2,
        next_attempt_at: at_hms(3, 11, 0, 5),
        last_error: None,
        attempted_at: at_hms(3, 11, 0, 5),
    };
    assert!(
        write(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.record_mail_attempt(&sent).await })
        })
        .await
    );
    // A permanent refusal of the other one.
    let failed = MailAttempt {
        id: second.id,
        leased_until: at(3, 12),
        status: "failed".into(),
        attempts: 1,
        next_attempt_at: at(3, 11),
        last_error: Some("550 5.1.1 mailbox unavailable".into()),
        attempted_at: at(3, 11),
    };
    assert!(
        write(&store, s.tenant, move |tx| {
            Box::pin(async move { tx.record_mail_attempt(&failed).await })
        })
        .await
    );
    let log = list(&store, s.tenant, all()).await;
    let by_id = |id: Uuid| log.iter().find(|m| m.id == id).unwrap();
    let done = by_id(first.id);
    assert_eq!(
        (
            done.status.as_str(),
            done.attempts,
            done.last_error.as_deref()
        ),
        ("sent", 2, None)
    );
    assert_eq!(done.sent_at, Some(at_hms(3, 11, 0, 5)));
    let refused = by_id(second.id);
    assert_eq!(
        (
            refused.status.as_str(),
            refused.last_error.as_deref(),
            refused.sent_at
        ),
        ("failed", Some("550 5.1.1 mailbox unavailable"), None)
    );
    // Nothing pending is left: not claimed again, and off the sender's list.
    let none = write(&store, s.tenant, |tx| {
        Box::pin(async move { tx.claim_mail(at(9, 0), at(9, 1), 10).await })
    })
    .await;
    assert!(none.is_empty());
    assert!(!store.mail_tenants().await.unwrap().contains(&s.tenant));

    if store.backend() == "postgres" {
        // A claim held by an open transaction is skipped by another.
        let held_mail = mail(&["held@kitchen.example"], "alert", at(4, 0));
        queue(&store, s.tenant, held_mail).await;
        let (held_tx, held) = tokio::sync::oneshot::channel::<usize>();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = {
            let store = store.clone();
            let tenant = s.tenant;
            tokio::spawn(async move {
                write(&store, tenant, move |tx| {
                    Box::pin(async move {
                        let c = tx.claim_mail(at(5, 0), at(5, 1), 10).await?;
                        let _ = held_tx.send(c.len());
                        let _ = released.await;
                        Ok(())
                    })
                })
                .await;
            })
        };
        assert_eq!(held.await.unwrap(), 1);
        let other = write(&store, s.tenant, |tx| {
            Box::pin(async move { tx.claim_mail(at(5, 0), at(5, 1), 10).await })
        })
        .await;
        assert!(other.is_empty(), "claimed twice: {other:?}");
        let _ = release.send(());
        holder.await.unwrap();
    }
}

/// PostgreSQL only: the work list reads every tenant's pending mail as the table's owner, while
/// the application role, bound by row-level security, sees only the tenant it has set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_application_role_sees_only_its_tenants_mail() {
    let Some((store, pg, _)) = crate::harness::postgres_with_pool().await else {
        return;
    };
    let a = seed(&store, "mail-rls-a").await;
    let b = seed(&store, "mail-rls-b").await;
    queue(
        &store,
        a.tenant,
        mail(&["a@kitchen.example"], "alert", at(2, 9)),
    )
    .await;
    let tenants = store.mail_tenants().await.unwrap();
    assert!(tenants.contains(&a.tenant) && !tenants.contains(&b.tenant));
    for (table, count) in [
        ("mail", "SELECT count(*) FROM mail"),
        ("mail_attachments", "SELECT count(*) FROM mail_attachments"),
    ] {
        let unset: i64 = sqlx::query_scalar(count).fetch_one(&pg).await.unwrap();
        assert_eq!(unset, 0, "{table}: rows seen without a tenant");
        let mut tx = pg.begin().await.unwrap();
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(b.tenant.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let as_b: i64 = sqlx::query_scalar(count).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(as_b, 0, "{table}: another tenant's rows seen");
        tx.rollback().await.unwrap();
    }
    store.close().await;
}
