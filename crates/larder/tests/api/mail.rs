//! Mail (issue 10, ADR 029), on both backends, through a real SMTP server on a free local port
//! (the `mailin` crate's SMTP state machine over a TCP listener) and the real lettre sender: a
//! sent purchase order is emailed to its supplier as text and HTML with its PDF byte-identical
//! to the kept document; a recipient the server refuses (5xx) ends `failed` after one attempt
//! and is not retried, while a temporary refusal (4xx) is retried later; only sent orders are
//! emailed, an order whose supplier has no email needs addresses; the delivery log is the
//! tenant's own and for owners and admins.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Tenant, TestApp};

both!(
    a_sent_order_is_emailed_to_its_supplier_with_its_pdf,
    a_refused_recipient_fails_once_and_a_busy_one_is_retried_later,
    only_sent_orders_are_emailed_and_the_log_is_the_tenants_own,
    alert_emails_go_at_once_or_in_the_digest_as_each_member_chose,
);

/// A message the SMTP server took: its envelope and its data.
#[derive(Clone, Debug)]
struct Received {
    to: Vec<String>,
    data: Vec<u8>,
}

/// What the server took, and how many `RCPT TO` it was asked, per address.
#[derive(Clone, Default)]
struct Inbox {
    taken: Arc<Mutex<Vec<Received>>>,
    rcpts: Arc<Mutex<Vec<String>>>,
}

impl Inbox {
    fn rcpt_count(&self, address: &str) -> usize {
        self.rcpts
            .lock()
            .unwrap()
            .iter()
            .filter(|a| *a == address)
            .count()
    }

    /// Waits up to `secs` for `n` messages.
    async fn messages(&self, n: usize, secs: u64) -> Vec<Received> {
        for _ in 0..secs * 10 {
            if self.taken.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.taken.lock().unwrap().clone()
    }
}

/// One SMTP session's handler: refuses `nobody@...` for good (550) and `busy@...` for now
/// (450), takes everyone else.
struct Session {
    inbox: Inbox,
    to: Vec<String>,
    data: Vec<u8>,
}

impl mailin::Handler for Session {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> mailin::Response {
        self.to.clear();
        self.data.clear();
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> mailin::Response {
        self.inbox.rcpts.lock().unwrap().push(to.to_owned());
        if to.starts_with("nobody@") {
            mailin::response::NO_MAILBOX
        } else if to.starts_with("busy@") {
            mailin::Response::custom(450, "4.2.1 Mailbox busy, try later".into())
        } else {
            self.to.push(to.to_owned());
            mailin::response::OK
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin::Response {
        self.inbox.taken.lock().unwrap().push(Received {
            to: std::mem::take(&mut self.to),
            data: std::mem::take(&mut self.data),
        });
        mailin::response::OK
    }
}

/// Serves one connection: the greeting, then a reply to each line until the session closes.
fn serve_connection(stream: std::net::TcpStream, inbox: Inbox) -> std::io::Result<()> {
    use std::io::{BufRead, Write};
    let ip = stream.peer_addr()?.ip();
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = std::io::BufReader::new(stream);
    let mut session = mailin::SessionBuilder::new("smtp.test").build(
        ip,
        Session {
            inbox,
            to: Vec::new(),
            data: Vec::new(),
        },
    );
    session.greeting().write_to(&mut writer)?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let res = session.process(&line);
        match res.action {
            mailin::Action::Reply => res.write_to(&mut writer)?,
            mailin::Action::Close => {
                res.write_to(&mut writer)?;
                return Ok(());
            }
            mailin::Action::NoReply => {}
            mailin::Action::UpgradeTls => return Ok(()),
        }
        writer.flush()?;
    }
}

/// A real SMTP server on a free local port, one thread per connection.
fn smtp_server() -> (u16, Inbox) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Inbox::default();
    let shared = inbox.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let inbox = shared.clone();
            std::thread::spawn(move || {
                let _ = serve_connection(stream, inbox);
            });
        }
    });
    (port, inbox)
}

/// Starts the real sender (lettre over SMTP) against the server on `port`.
fn start_sender(app: &TestApp, port: u16) -> tokio::task::JoinHandle<()> {
    let sender: Arc<dyn larder_app::mail::MailSender> = Arc::new(
        larder::mail::SmtpSender::new(
            &format!("smtp://127.0.0.1:{port}"),
            "Larder <larder@kitchen.example>",
        )
        .unwrap(),
    );
    tokio::spawn(larder::mail::dispatch(app.app.clone(), sender))
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.unwrap_or_else(|e| panic!("json: {e}"))
}

/// A supplier (with `email`, if any) selling rice by the 6 kg case at 9.60; its id and the
/// supplier item's.
async fn supplier(app: &TestApp, t: &Tenant, email: Option<&str>) -> (String, String) {
    let rice = app.create_item(t, "Basmati rice", "g", "0.0016").await;
    let mut body =
        json!({"name": "Brakes", "order_days": ["monday", "thursday"], "lead_time_days": 2});
    if let Some(e) = email {
        body["email"] = json!(e);
    }
    let res = app.post("/api/v1/suppliers", Some(&t.token), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let supplier = json_of(res).await["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            "/api/v1/supplier-items",
            Some(&t.token),
            &json!({"supplier_id": supplier, "item_id": rice, "supplier_sku": "R-6KG",
                    "price_per_pack": "9.60",
                    "packs": [{"name": "case", "quantity": "6"}, {"name": "bag", "quantity": "1", "unit": "kg"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    (
        supplier,
        json_of(res).await["id"].as_str().unwrap().to_owned(),
    )
}

/// A purchase order of 3 cases, moved on by `actions` (`submit`, `approve`, `send`); its id.
async fn order(app: &TestApp, t: &Tenant, s: &(String, String), actions: &[&str]) -> String {
    let res = app
        .post(
            "/api/v1/purchase-orders",
            Some(&t.token),
            &json!({"supplier_id": s.0, "location_id": t.location_id,
                    "lines": [{"supplier_item_id": s.1, "packs": 3}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = json_of(res).await["id"].as_str().unwrap().to_owned();
    for action in actions {
        let res = app
            .post(
                &format!("/api/v1/purchase-orders/{id}/{action}"),
                Some(&t.token),
                &json!(null),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{action}");
    }
    id
}

async fn email(app: &TestApp, token: &str, po: &str, body: &Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/purchase-orders/{po}/email"),
        Some(token),
        body,
    )
    .await
}

/// The log entry `id` once `done` holds of it, waiting up to 10 s (the server takes a message
/// before the sender records it).
async fn logged(app: &TestApp, t: &Tenant, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut m = Value::Null;
    for _ in 0..100 {
        let res = app.get(&format!("/api/v1/mail/{id}"), &t.token).await;
        assert_eq!(res.status(), StatusCode::OK);
        m = json_of(res).await;
        if done(&m) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    m
}

/// Alert emails (ADR 028) take the same path: a manager who wants reorder alerts at once gets
/// one message now; the owner, who wants them in the digest, gets theirs at the digest time;
/// each is queued once.
async fn alert_emails_go_at_once_or_in_the_digest_as_each_member_chose(app: TestApp) {
    let (port, inbox) = smtp_server();
    let t = app.register("Alerting Kitchen").await;
    let tenant: larder_core::TenantId = t.tenant_id.parse().unwrap();
    let (_, manager_email, manager) = app.add_member(&t, "manager").await;
    for (token, email) in [(&manager, "immediate"), (&t.token, "digest")] {
        let res = app
            .put(
                "/api/v1/notification-preferences",
                token,
                &json!({"channels": [{"kind": "below_reorder_point", "in_app": true, "email": email}],
                        "digest_at": "06:00"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let rice = app.create_item(&t, "Rice", "g", "0.002").await;
    let res = app
        .put(
            &format!("/api/v1/items/{rice}/par-levels/{}", t.location_id),
            &t.token,
            &json!({"par_level": "10", "reorder_point": "5"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            "/api/v1/alert-rules",
            Some(&t.token),
            &json!({"kind": "below_reorder_point"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let now = chrono::Utc::now();
    // The round checks the rules (raising the alert) and queues what is due now.
    app.app.alert_round(&[tenant], now).await;
    assert_eq!(
        app.app.queue_alert_emails(tenant, now).await.unwrap(),
        0,
        "queued once"
    );
    let sender = start_sender(&app, port);
    let got = inbox.messages(1, 20).await;
    assert_eq!(got.len(), 1, "the manager's, at once");
    assert_eq!(got[0].to, vec![manager_email.to_lowercase()]);
    let parsed = MessageParser::default().parse(&got[0].data).unwrap();
    assert_eq!(
        parsed.subject(),
        Some(
            "Below reorder point: Rice at Brixton: 0.000 g on hand, below its reorder point of 5.000 g"
        )
    );
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("Below reorder point (open): Rice at Brixton"),
        "{text}"
    );
    let html = parsed.body_html(0).unwrap();
    assert!(
        html.contains("<strong>Below reorder point</strong> (open)"),
        "{html}"
    );
    // The owner's digest goes at 06:00 local time: within a day, and not before.
    assert_eq!(app.app.queue_alert_emails(tenant, now).await.unwrap(), 0);
    let tomorrow = now + chrono::Duration::days(1);
    assert_eq!(
        app.app.queue_alert_emails(tenant, tomorrow).await.unwrap(),
        1
    );
    let got = inbox.messages(2, 20).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].to, vec![t.email.to_lowercase()]);
    let log = json_of(app.get("/api/v1/mail", &t.token).await).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 2, "{log}");
    sender.abort();
}

async fn a_sent_order_is_emailed_to_its_supplier_with_its_pdf(app: TestApp) {
    let (port, inbox) = smtp_server();
    let sender = start_sender(&app, port);
    let t = app.register("Mailing Kitchen").await;
    let s = supplier(&app, &t, Some("Orders@Brakes.example")).await;
    let po = order(&app, &t, &s, &["submit", "approve", "send"]).await;

    let res = app
        .client
        .post(app.url(&format!("/api/v1/purchase-orders/{po}/email")))
        .bearer_auth(&t.token)
        .header("Idempotency-Key", "email-po-1")
        .json(&json!({"message": "Please deliver before 10:00 <back door> & ring."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let answer = json_of(res).await;
    assert_eq!(answer["id"], json!(po));
    assert_eq!(answer["number"], json!("PO-000001"));
    let mail = &answer["mail"];
    let mail_id = mail["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/mail/{mail_id}"));
    assert_eq!(mail["to"], json!(["orders@brakes.example"]));
    assert_eq!(mail["purpose"], json!("purchase_order"));
    assert_eq!(mail["attachments"], json!(["PO-000001.pdf"]));
    let subject = mail["subject"].as_str().unwrap().to_owned();
    assert_eq!(subject, "Purchase order PO-000001 from Mailing Kitchen");

    // The server received it: to the supplier, text and HTML, the PDF as kept.
    let got = inbox.messages(1, 20).await;
    assert_eq!(got.len(), 1, "one message");
    assert_eq!(got[0].to, vec!["orders@brakes.example"]);
    let parsed = MessageParser::default().parse(&got[0].data).unwrap();
    assert_eq!(parsed.subject(), Some(subject.as_str()));
    assert_eq!(
        parsed
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("orders@brakes.example")
    );
    assert_eq!(
        parsed
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("larder@kitchen.example")
    );
    let count = |t: &str, s: &str| {
        parsed
            .parts
            .iter()
            .filter(|p| p.is_content_type(t, s))
            .count()
    };
    assert_eq!(count("multipart", "mixed"), 1);
    assert_eq!(count("multipart", "alternative"), 1);
    assert_eq!(count("text", "plain"), 1);
    assert_eq!(count("text", "html"), 1);
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("Please deliver before 10:00 <back door> & ring."),
        "{text}"
    );
    assert!(text.contains("PO-000001"), "{text}");
    let html = parsed.body_html(0).unwrap();
    assert!(
        html.contains("Please deliver before 10:00 &lt;back door&gt; &amp; ring."),
        "{html}"
    );
    let attachments: Vec<_> = parsed.attachments().collect();
    assert_eq!(attachments.len(), 1);
    let pdf = attachments[0];
    assert_eq!(pdf.attachment_name(), Some("PO-000001.pdf"));
    assert!(pdf.is_content_type("application", "pdf"));
    let kept = app
        .get(
            &format!("/api/v1/purchase-orders/{po}/documents/pdf"),
            &t.token,
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert!(kept.starts_with(b"%PDF"));
    assert_eq!(pdf.contents(), &kept[..], "the PDF byte for byte");

    // The log says it was sent, once.
    let m = logged(&app, &t, &mail_id, |m| m["status"] == json!("sent")).await;
    assert_eq!(m["status"], json!("sent"), "{m}");
    assert_eq!(m["attempts"], json!(1));
    assert!(m["sent_at"].is_string() && m["next_attempt_at"].is_null());

    // The same key: the first answer again, nothing queued twice.
    let res = app
        .client
        .post(app.url(&format!("/api/v1/purchase-orders/{po}/email")))
        .bearer_auth(&t.token)
        .header("Idempotency-Key", "email-po-1")
        .json(&json!({"message": "Please deliver before 10:00 <back door> & ring."}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_of(res).await["mail"]["id"], json!(mail_id));
    let log = json_of(app.get("/api/v1/mail", &t.token).await).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);

    // Emailing is an event and an audit record on the order.
    let events = json_of(
        app.get("/api/v1/events?type=purchasing.po_emailed", &t.token)
            .await,
    )
    .await;
    let e = &events["data"][0];
    assert_eq!(e["data"]["mail"]["id"], json!(mail_id));
    assert_eq!(e["location_id"], json!(t.location_id));
    let audit = json_of(
        app.get(
            &format!("/api/v1/audit-log?action=purchasing.po_emailed&target_id={po}"),
            &t.token,
        )
        .await,
    )
    .await;
    assert_eq!(audit["data"].as_array().unwrap().len(), 1, "{audit}");

    // Given addresses instead of the supplier's.
    let res = email(
        &app,
        &t.token,
        &po,
        &json!({"to": ["chef@kitchen.example", "Buyer@Kitchen.example"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let got = inbox.messages(2, 20).await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].to,
        vec!["chef@kitchen.example", "buyer@kitchen.example"]
    );
    sender.abort();
}

async fn a_refused_recipient_fails_once_and_a_busy_one_is_retried_later(app: TestApp) {
    let (port, inbox) = smtp_server();
    let sender = start_sender(&app, port);
    let t = app.register("Bouncing Kitchen").await;
    let s = supplier(&app, &t, Some("nobody@brakes.example")).await;
    let po = order(&app, &t, &s, &["submit", "approve", "send"]).await;

    let res = email(&app, &t.token, &po, &json!({})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let refused = json_of(res).await["mail"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = logged(&app, &t, &refused, |m| m["status"] != json!("pending")).await;
    assert_eq!(m["status"], json!("failed"), "{m}");
    assert_eq!(m["attempts"], json!(1));
    let error = m["last_error"].as_str().unwrap();
    assert!(
        error.contains("550"),
        "the server's answer is logged: {error}"
    );

    let res = email(&app, &t.token, &po, &json!({"to": ["busy@brakes.example"]})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let busy = json_of(res).await["mail"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = logged(&app, &t, &busy, |m| m["attempts"] == json!(1)).await;
    assert_eq!(m["status"], json!("pending"), "retried later: {m}");
    assert!(m["last_error"].as_str().unwrap().contains("450"), "{m}");
    let next: chrono::DateTime<chrono::Utc> =
        m["next_attempt_at"].as_str().unwrap().parse().unwrap();
    let wait = next - chrono::Utc::now();
    assert!(
        wait > chrono::Duration::seconds(45) && wait <= chrono::Duration::seconds(61),
        "the first retry a minute later: {wait}"
    );

    // No retry storm: the sender keeps looking every second, and asks about neither again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(inbox.rcpt_count("nobody@brakes.example"), 1);
    assert_eq!(inbox.rcpt_count("busy@brakes.example"), 1);
    let failed = json_of(app.get("/api/v1/mail?status=failed", &t.token).await).await;
    let failed = failed["data"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["id"], json!(refused));
    assert_eq!(failed[0]["attempts"], json!(1));
    assert!(inbox.messages(0, 0).await.is_empty(), "nothing was taken");
    sender.abort();
}

async fn only_sent_orders_are_emailed_and_the_log_is_the_tenants_own(app: TestApp) {
    // No sender runs: mail waits in the queue.
    let a = app.register("Kitchen A").await;
    let b = app.register("Kitchen B").await;
    let s = supplier(&app, &a, None).await;
    let draft = order(&app, &a, &s, &[]).await;
    let approved = order(&app, &a, &s, &["submit", "approve"]).await;
    let sent = order(&app, &a, &s, &["submit", "approve", "send"]).await;

    // Not sent: 409 on status.
    for po in [&draft, &approved] {
        let res = email(&app, &a.token, po, &json!({"to": ["x@brakes.example"]})).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let p = json_of(res).await;
        assert_eq!(p["field"], json!("status"), "{p}");
    }
    // The supplier has no email and none is given: 422 on `to`.
    let res = email(&app, &a.token, &sent, &json!({})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], json!("to"));
    let res = email(&app, &a.token, &sent, &json!({"to": []})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An address mail cannot go to, named.
    let res = email(
        &app,
        &a.token,
        &sent,
        &json!({"to": ["ok@brakes.example", "a..b@brakes.example"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(res).await["field"], json!("to[1]"));
    // A manager may email an order (purchase_orders.write) but not read the log.
    let (_, _, manager) = app.add_member(&a, "manager").await;
    let res = email(
        &app,
        &manager,
        &sent,
        &json!({"to": ["orders@brakes.example"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let queued = json_of(res).await["mail"].clone();
    let id = queued["id"].as_str().unwrap().to_owned();
    assert_eq!(queued["status"], json!("pending"));
    assert_eq!(
        app.get("/api/v1/mail", &manager).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, _, staff) = app.add_member(&a, "staff").await;
    assert_eq!(
        email(
            &app,
            &staff,
            &sent,
            &json!({"to": ["orders@brakes.example"]})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );

    // The owner's log shows it pending; another tenant sees none of it.
    let log = json_of(app.get("/api/v1/mail", &a.token).await).await;
    let data = log["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], json!(id));
    assert_eq!(data[0]["status"], json!("pending"));
    assert!(data[0]["next_attempt_at"].is_string());
    let theirs = json_of(app.get("/api/v1/mail", &b.token).await).await;
    assert!(theirs["data"].as_array().unwrap().is_empty(), "{theirs}");
    assert_eq!(
        app.get(&format!("/api/v1/mail/{id}"), &b.token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        email(&app, &b.token, &sent, &json!({"to": ["x@brakes.example"]}))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "another tenant's order"
    );
    // Filters and pages.
    let res = app.get("/api/v1/mail?purpose=alert", &a.token).await;
    assert!(json_of(res).await["data"].as_array().unwrap().is_empty());
    let res = app.get("/api/v1/mail?cursor=nonsense", &a.token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.get("/api/v1/mail?status=bounced", &a.token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The "Email to supplier" form on the order's page works without scripts: shown once the
/// order is sent, defaulting to the supplier's email; a bad address shows the page again
/// (422) with why and what was typed; a post queues one mail however often the page's form is
/// sent, and the page says to whom.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_page_emails_a_sent_order_without_scripts() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let t = app.register("Form Kitchen").await;
    let s = supplier(&app, &t, Some("orders@brakes.example")).await;
    let draft = order(&app, &t, &s, &[]).await;
    let po = order(&app, &t, &s, &["submit", "approve", "send"]).await;
    let web = crate::ui::browser();
    let res = web
        .post(app.url("/login"))
        .form(&[
            ("email", t.email.as_str()),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let page = |id: String| {
        let web = web.clone();
        let url = app.url(&format!("/purchase-orders/{id}"));
        async move { web.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(
        !page(draft.clone()).await.contains("id=\"po-email\""),
        "a draft is not emailed"
    );
    let html = page(po.clone()).await;
    assert!(html.contains(r#"<form method="post" action="/purchase-orders/"#));
    assert!(html.contains("id=\"po-email\""), "{html}");
    assert!(html.contains(r#"placeholder="orders@brakes.example""#));
    assert!(html.contains("Email to supplier"));
    let at = html.find(r#"name="key" value=""#).unwrap() + 18;
    let key = html[at..].split('"').next().unwrap().to_owned();

    // A bad address: the page again, with why and what was typed.
    let res = web
        .post(app.url(&format!("/purchase-orders/{po}/email")))
        .form(&[
            ("to", "chef@kitchen.example, not-an-address"),
            ("message", "Thanks"),
            ("key", &key),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("not-an-address"), "{html}");
    assert!(
        html.contains(r#"value="chef@kitchen.example, not-an-address""#),
        "{html}"
    );
    assert!(html.contains(">Thanks</textarea>"), "{html}");

    // Left empty: to the supplier; sent twice, queued once.
    for _ in 0..2 {
        let res = web
            .post(app.url(&format!("/purchase-orders/{po}/email")))
            .form(&[
                ("to", ""),
                ("message", "Before 10:00, please."),
                ("key", &key),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(
            to,
            format!("/purchase-orders/{po}?emailed=orders%40brakes.example")
        );
        let html = web
            .get(app.url(&to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Queued to be emailed to orders@brakes.example"),
            "{html}"
        );
    }
    let log = json_of(app.get("/api/v1/mail", &t.token).await).await;
    let data = log["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{log}");
    assert_eq!(data[0]["to"], json!(["orders@brakes.example"]));

    // The owner's mail log page lists it (no sender runs here: pending); failed ones apart.
    let html = web
        .get(app.url("/mail"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"mail-log\""), "{html}");
    assert!(
        html.contains("orders@brakes.example") && html.contains("Purchase order PO-000002"),
        "{html}"
    );
    assert!(html.contains("Pending"), "{html}");
    let html = web
        .get(app.url("/mail?status=failed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("No mail."), "{html}");
}
