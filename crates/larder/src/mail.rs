//! The mail sender's I/O (ADR 029): SMTP through lettre (tokio, rustls; no OpenSSL) to the
//! server `LARDER_SMTP_URL` names, each message `multipart/alternative` text and HTML, inside
//! `multipart/mixed` with its attachments; and the loop that runs the use cases' rounds.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use larder_app::App;
use larder_app::mail::{MailSender, OutgoingMail, SendFailure};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::Config;

/// Concurrent SMTP sessions at most, over every tenant (a relay limits a client's connections;
/// a few suffice for alerts, digests and purchase orders).
pub const MAX_IN_FLIGHT: usize = 4;
/// How long one SMTP command may take (connecting included) before the attempt fails for now.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends over SMTP.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    /// A sender through the server at `url` (`smtp://host:port` in the clear,
    /// `smtp://host:587?tls=required` with STARTTLS, `smtps://host:465` with TLS from the
    /// start; `user:password@` to log in), from `from` (`Larder <larder@kitchen.example>`).
    ///
    /// # Errors
    /// When the URL is not an SMTP URL lettre reads, or `from` is not a mailbox.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .with_context(|| {
                format!(
                    "LARDER_SMTP_URL {} is not an smtp:// or smtps:// URL",
                    crate::config::redact(url)
                )
            })?
            .timeout(Some(COMMAND_TIMEOUT))
            .build();
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("LARDER_MAIL_FROM {from:?} is not a mail address"))?;
        Ok(Self { transport, from })
    }
}

/// The configured sender: `None` without `LARDER_SMTP_URL` (mail then waits in the queue, in
/// the delivery log as pending).
///
/// # Errors
/// A URL without `LARDER_MAIL_FROM`, or either unreadable.
pub fn sender(config: &Config) -> anyhow::Result<Option<Arc<dyn MailSender>>> {
    let Some(url) = config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let from = config.mail_from.as_deref().context(
        "LARDER_SMTP_URL is set without LARDER_MAIL_FROM: say whom Larder's mail comes from \
         (`Larder <larder@your.domain>`)",
    )?;
    Ok(Some(Arc::new(SmtpSender::new(url.trim(), from)?)))
}

/// `m` as a MIME message from `from`: `multipart/alternative` of the text and the HTML (or the
/// text alone), inside `multipart/mixed` with the attachments when there are any. Its
/// `Message-ID` is the message's id, so a retry that reaches the recipient twice is one
/// message to their mail client.
///
/// # Errors
/// [`SendFailure::Permanent`] when an address, the subject or a media type cannot be written
/// (sending again would not help).
pub fn message(from: &Mailbox, m: &OutgoingMail) -> Result<Message, SendFailure> {
    let bad = |what: String| SendFailure::Permanent(what);
    let mut b = Message::builder()
        .from(from.clone())
        .subject(m.subject.clone())
        .message_id(Some(format!("<{}@{}>", m.id, from.email.domain())));
    for to in &m.to {
        let mailbox: Mailbox = to
            .parse()
            .map_err(|e| bad(format!("the address {to} cannot be sent to: {e}")))?;
        b = b.to(mailbox);
    }
    let body = match &m.html {
        Some(html) => Body::Multi(MultiPart::alternative_plain_html(
            m.text.clone(),
            html.clone(),
        )),
        None => Body::Single(SinglePart::plain(m.text.clone())),
    };
    let built = if m.attachments.is_empty() {
        match body {
            Body::Multi(alt) => b.multipart(alt),
            Body::Single(text) => b.singlepart(text),
        }
    } else {
        let mixed = MultiPart::mixed();
        let mut mixed = match body {
            Body::Multi(alt) => mixed.multipart(alt),
            Body::Single(text) => mixed.singlepart(text),
        };
        for a in &m.attachments {
            let ct = ContentType::parse(&a.content_type).map_err(|e| {
                bad(format!(
                    "the attachment {} has a media type that cannot be written ({}): {e}",
                    a.name, a.content_type
                ))
            })?;
            mixed = mixed.singlepart(Attachment::new(a.name.clone()).body(a.body.clone(), ct));
        }
        b.multipart(mixed)
    };
    built.map_err(|e| bad(format!("the message cannot be written: {e}")))
}

/// A message's body before the attachments are added.
enum Body {
    Multi(MultiPart),
    Single(SinglePart),
}

/// An SMTP error in words, with its causes; permanent (a 5xx answer, or the client refusing
/// what it was given) or for now (no connection, a timeout, TLS, a 4xx answer).
fn classify(e: &lettre::transport::smtp::Error) -> SendFailure {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    if e.is_permanent() || e.is_client() {
        SendFailure::Permanent(msg)
    } else {
        SendFailure::Temporary(msg)
    }
}

#[async_trait]
impl MailSender for SmtpSender {
    async fn send(&self, m: &OutgoingMail) -> Result<(), SendFailure> {
        let msg = message(&self.from, m)?;
        self.transport
            .send(msg)
            .await
            .map(drop)
            .map_err(|e| classify(&e))
    }
}

/// Runs the sender until the process stops: a round after each commit that wrote events (an
/// emailed purchase order, an alert) and every second (retries come due by the clock), at most
/// [`MAX_IN_FLIGHT`] messages at once.
pub async fn dispatch(app: App, sender: Arc<dyn MailSender>) {
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let mut wakes = app.event_wakes();
    loop {
        if let Err(e) = app.mail_round(sender.clone(), permits.clone()).await {
            tracing::warn!(error = %e, "a mail round failed");
        }
        tokio::select! {
            _ = wakes.recv() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use larder_app::mail::MailAttachment;

    fn outgoing() -> OutgoingMail {
        OutgoingMail {
            id: uuid::Uuid::now_v7(),
            to: vec![
                "orders@supplier.example".into(),
                "buyer@kitchen.example".into(),
            ],
            subject: "Purchase order PO-000001 from Fish & Chips".into(),
            text: "Hello".into(),
            html: Some("<p>Hello</p>".into()),
            attachments: vec![MailAttachment {
                name: "PO-000001.pdf".into(),
                content_type: "application/pdf".into(),
                body: b"%PDF-1.7".to_vec(),
            }],
        }
    }

    #[test]
    fn a_message_is_text_and_html_with_its_attachments() {
        let from: Mailbox = "Larder <larder@kitchen.example>".parse().unwrap();
        let m = outgoing();
        let raw = String::from_utf8(message(&from, &m).unwrap().formatted()).unwrap();
        assert!(raw.contains("To: orders@supplier.example, buyer@kitchen.example"));
        assert!(raw.contains(&format!("Message-ID: <{}@kitchen.example>", m.id)));
        assert!(raw.contains("multipart/mixed"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("filename=\"PO-000001.pdf\""));
        let mut plain = outgoing();
        (plain.html, plain.attachments) = (None, Vec::new());
        let raw = String::from_utf8(message(&from, &plain).unwrap().formatted()).unwrap();
        assert!(!raw.contains("multipart"));
        assert!(raw.contains("text/plain"));
    }

    #[test]
    fn what_cannot_be_written_is_refused_for_good() {
        let from: Mailbox = "larder@kitchen.example".parse().unwrap();
        let mut m = outgoing();
        m.attachments[0].content_type = "not a type".into();
        assert!(matches!(message(&from, &m), Err(SendFailure::Permanent(_))));
    }

    #[test]
    fn a_url_without_a_sender_address_is_refused() {
        let mut config = crate::config::tests::cfg(None);
        assert!(sender(&config).unwrap().is_none(), "no URL: no sender");
        config.smtp_url = Some("smtp://127.0.0.1:2525".into());
        let err = sender(&config)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("LARDER_MAIL_FROM"), "{err}");
        config.mail_from = Some("Larder <larder@kitchen.example>".into());
        assert!(sender(&config).unwrap().is_some());
        config.smtp_url = Some("http://example.com".into());
        assert!(sender(&config).is_err());
    }
}
