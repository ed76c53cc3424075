//! procurement: emailing a sent purchase order to its supplier (issue 10, ADR 029). The mail
//! carries the order's PDF exactly as it was rendered and kept when the order was sent, goes
//! through the one mail path ([`crate::mail::queue`]: queued in the transaction, sent by the
//! mail sender with retries, in the tenant's delivery log), and is an event
//! (`purchasing.po_emailed`) with its audit record.

use larder_core::auth::Permission;
use larder_core::procurement::purchase_orders::{self as rules, PoStatus};
use larder_core::{Email, LocationId, Note, PurchaseOrderId, SupplierId};
use larder_store::{MailAttachment, NewMail};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::purchase_orders::{DocumentKind, tenant_zone, visible};
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::mail::{Mail, escape_html};
use crate::{App, AppError, Principal};

/// The mail's purpose in the delivery log.
pub const PURPOSE: &str = "purchase_order";

/// Email a sent purchase order.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderEmailCommand {
    /// Who gets it: 1 to 20 addresses; absent or empty, the supplier's email.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub to: Option<Vec<Email>>,
    /// A few words above the order in the mail.
    #[serde(default)]
    pub message: Option<Note>,
}

/// A purchase order queued to be emailed.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseOrderEmailed {
    /// The purchase order.
    pub id: PurchaseOrderId,
    /// `PO-000001`.
    pub number: String,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// Where it is delivered.
    pub location_id: LocationId,
    /// The queued mail, as the delivery log shows it (`GET /mail/{id}`): it is sent by the
    /// mail sender, retried when the mail server is away.
    pub mail: Mail,
}

/// The text and HTML bodies of the mail.
struct Bodies {
    text: String,
    html: String,
}

/// What the mail says, in the supplier's words: the order, where it goes and when, its total.
#[derive(Clone, Copy)]
struct Letter<'a> {
    /// The buyer's words above the order.
    message: Option<&'a str>,
    number: &'a str,
    tenant: &'a str,
    location: &'a str,
    delivery: &'a str,
    total: &'a str,
    /// The buyer's name and address, to reply to.
    sender: Option<(&'a str, &'a str)>,
    /// The attachment's file name.
    file: &'a str,
}

/// What the supplier reads: the buyer's words, the order in one sentence, where the PDF is and
/// whom to answer.
fn bodies(l: &Letter<'_>) -> Bodies {
    let Letter {
        message,
        number,
        tenant,
        location,
        delivery,
        total,
        sender,
        file,
    } = *l;
    let order = format!(
        "Purchase order {number} from {tenant}, for delivery to {location} on {delivery}. Total {total}."
    );
    let attached = format!("The order is attached as {file}.");
    let by = sender.map(|(name, email)| {
        (
            format!("Sent by {name} ({email}); please reply to them."),
            format!(
                "Sent by {} (<a href=\"mailto:{}\">{}</a>); please reply to them.",
                escape_html(name),
                escape_html(email),
                escape_html(email)
            ),
        )
    });
    let mut text = String::new();
    let mut html = String::from("<!DOCTYPE html><html><body>");
    if let Some(m) = message {
        text.push_str(m);
        text.push_str("\n\n");
        html.push_str("<p>");
        html.push_str(&escape_html(m).replace("\r\n", "\n").replace('\n', "<br>"));
        html.push_str("</p>");
    }
    for (t, h) in [
        (order.clone(), escape_html(&order)),
        (attached.clone(), escape_html(&attached)),
    ]
    .into_iter()
    .chain(by)
    {
        text.push_str(&t);
        text.push_str("\n\n");
        html.push_str("<p>");
        html.push_str(&h);
        html.push_str("</p>");
    }
    html.push_str("</body></html>");
    Bodies {
        text: text.trim_end().to_owned(),
        html,
    }
}

impl App {
    /// Queues a mail of a sent purchase order to its supplier (or to `to`), with the PDF it was
    /// sent as attached byte for byte and the buyer's `message` above it; the mail sender
    /// delivers it (retrying while the mail server is away) and the delivery log shows how it
    /// went. An `Idempotency-Key` makes a retried request queue nothing twice.
    ///
    /// # Errors
    /// 403 without `purchase_orders.write`; 404 on the order (or one at a location outside a
    /// limited member's); 409 on `status` when it has not been sent (no PDF was kept) or was
    /// cancelled; 422 on `to` when it is empty and the supplier has no usable email, on
    /// `to[i]` for an address mail cannot be sent to.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn email_purchase_order(
        &self,
        p: Principal,
        id: PurchaseOrderId,
        cmd: PurchaseOrderEmailCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<PurchaseOrderEmailed>, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        let given: Vec<String> = cmd
            .to
            .iter()
            .flatten()
            .map(|e| e.as_str().to_owned())
            .collect();
        if given.len() > larder_core::mail::MAX_RECIPIENTS {
            return Err(AppError::invalid(
                "to",
                format!(
                    "give at most {} addresses",
                    larder_core::mail::MAX_RECIPIENTS
                ),
            ));
        }
        let message = cmd.message.clone().map(Note::into_string);
        let request = (id, &cmd);
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::PoEmailed,
            &request,
            move |tx| {
                Box::pin(async move {
                    let po = visible(tx, &p, id).await?;
                    let number = rules::po_number(po.number);
                    if po.status == PoStatus::Cancelled {
                        return Err(AppError::conflict(
                            "status",
                            format!("{number} is cancelled; it is not emailed"),
                        ));
                    }
                    let pdf = tx
                        .purchase_order_document(id, DocumentKind::Pdf.as_str())
                        .await?
                        .ok_or_else(|| {
                            AppError::conflict(
                                "status",
                                format!(
                                    "{number} has not been sent yet (it is {}); send it first, \
                                     which renders the PDF that is emailed",
                                    po.status.as_str().replace('_', " ")
                                ),
                            )
                        })?;
                    let supplier = tx
                        .get_supplier(po.supplier_id)
                        .await?
                        .ok_or(AppError::NotFound("supplier"))?;
                    let to = if given.is_empty() {
                        let Some(email) = supplier.email.clone() else {
                            return Err(AppError::invalid(
                                "to",
                                format!(
                                    "the supplier {} has no email: give the addresses to send to",
                                    supplier.name
                                ),
                            ));
                        };
                        larder_core::mail::parse_address(&email).map_err(|e| {
                            AppError::invalid(
                                "to",
                                format!("the supplier's email {email} {e}: give an address"),
                            )
                        })?;
                        vec![email]
                    } else {
                        given
                    };
                    let (_, _, tenant_name) = tenant_zone(tx).await?;
                    let location = tx
                        .get_location(po.location_id)
                        .await?
                        .map(|l| l.name)
                        .unwrap_or_default();
                    let member = tx.get_member(p.user_id).await?;
                    let file = format!("{number}.pdf");
                    let delivery = po.expected_delivery.format("%A %-d %B %Y").to_string();
                    let total = format!("{} {}", po.total, po.currency);
                    let b = bodies(&Letter {
                        message: message.as_deref(),
                        number: &number,
                        tenant: &tenant_name,
                        location: &location,
                        delivery: &delivery,
                        total: &total,
                        sender: member.as_ref().map(|m| (m.name.as_str(), m.email.as_str())),
                        file: &file,
                    });
                    let now = chrono::Utc::now();
                    let mail = crate::mail::queue(
                        tx,
                        &NewMail {
                            id: Uuid::now_v7(),
                            to,
                            subject: format!("Purchase order {number} from {tenant_name}"),
                            text: b.text,
                            html: Some(b.html),
                            attachments: vec![MailAttachment {
                                name: file,
                                content_type: pdf.content_type,
                                body: pdf.body,
                            }],
                            purpose: PURPOSE.into(),
                            created_by: Some(p.user_id),
                            created_at: now,
                        },
                    )
                    .await?;
                    Ok(PurchaseOrderEmailed {
                        id,
                        number,
                        supplier_id: po.supplier_id,
                        location_id: po.location_id,
                        mail,
                    })
                })
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bodies_say_the_same_and_the_html_is_escaped() {
        let letter = Letter {
            message: Some("Please deliver <before> 10am\nThanks"),
            number: "PO-000007",
            tenant: "Fish & Chips Ltd",
            location: "Brixton",
            delivery: "Tuesday 3 March 2026",
            total: "120.50 GBP",
            sender: Some(("Ana", "ana@kitchen.example")),
            file: "PO-000007.pdf",
        };
        let b = bodies(&letter);
        assert!(
            b.text
                .starts_with("Please deliver <before> 10am\nThanks\n\n")
        );
        assert!(b.text.contains("Purchase order PO-000007 from Fish & Chips Ltd, for delivery to Brixton on Tuesday 3 March 2026. Total 120.50 GBP."));
        assert!(b.text.contains("attached as PO-000007.pdf"));
        assert!(
            b.text
                .ends_with("Sent by Ana (ana@kitchen.example); please reply to them.")
        );
        assert!(
            b.html
                .contains("<p>Please deliver &lt;before&gt; 10am<br>Thanks</p>")
        );
        assert!(b.html.contains("Fish &amp; Chips Ltd"));
        assert!(b.html.contains("href=\"mailto:ana@kitchen.example\""));
        let plain = bodies(&Letter {
            message: None,
            sender: None,
            number: "PO-1",
            ..letter
        });
        assert!(plain.text.starts_with("Purchase order PO-1"));
        assert!(!plain.text.contains("Sent by"));
    }
}
