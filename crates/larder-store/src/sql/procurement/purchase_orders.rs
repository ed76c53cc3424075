//! procurement's statements for purchase orders: the per-tenant number counter, headers and
//! lines, status events, sent documents and the on-order sums.

use async_trait::async_trait;
use chrono::NaiveDate;
use larder_core::procurement::purchase_orders::PoStatus;
use larder_core::{LocationId, PurchaseOrderId};

use crate::sql::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    OnOrderRow, PurchaseOrderDocumentRow, PurchaseOrderEventRow, PurchaseOrderFilter,
    PurchaseOrderLineRow, PurchaseOrderRow, PurchaseOrderStatusChange, PurchaseOrderTx, StoreError,
};

// The upsert takes the counter row's lock on PostgreSQL, so a concurrent create waits and then
// reads the number after this one.
const NEXT_NUMBER: &str = "INSERT INTO purchase_order_counters (tenant_id, last_number)
     VALUES ($1, 1)
     ON CONFLICT (tenant_id)
     DO UPDATE SET last_number = purchase_order_counters.last_number + 1
     RETURNING last_number";
const INSERT_PO: &str = "INSERT INTO purchase_orders (tenant_id, id, number, supplier_id,
     location_id, status, currency, expected_delivery, note, total, version, created_by,
     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const UPDATE_PO: &str = "UPDATE purchase_orders SET supplier_id = $3, location_id = $4,
     currency = $5, expected_delivery = $6, note = $7, total = $8, version = $9
     WHERE tenant_id = $1 AND id = $2 AND version = $10";
const PO_EXISTS: &str = "SELECT version FROM purchase_orders WHERE tenant_id = $1 AND id = $2";
const SET_STATUS: &str = "UPDATE purchase_orders SET status = $4, version = $5
     WHERE tenant_id = $1 AND id = $2 AND status = $3 AND version = $6";
const INSERT_EVENT: &str = "INSERT INTO purchase_order_events (tenant_id, purchase_order_id,
     version, from_status, to_status, actor, at, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const DELETE_LINES: &str =
    "DELETE FROM purchase_order_lines WHERE tenant_id = $1 AND purchase_order_id = $2";
const INSERT_LINE: &str = "INSERT INTO purchase_order_lines (tenant_id, purchase_order_id,
     line_no, supplier_item_id, item_id, packs, pack_quantity, quantity, price_per_pack,
     line_total, received_quantity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const PO_COLUMNS_GET: &str = "SELECT id, number, supplier_id, location_id, status, currency,
     expected_delivery, note, total, version, created_by, created_at
     FROM purchase_orders WHERE tenant_id = $1 AND id = $2";
const LIST_POS: &str = "SELECT id, number, supplier_id, location_id, status, currency,
     expected_delivery, note, total, version, created_by, created_at
     FROM purchase_orders WHERE tenant_id = $1
       AND ($2 IS NULL OR status = $2)
       AND ($3 IS NULL OR supplier_id = $3)
       AND ($4 IS NULL OR location_id = $4)
       AND ($5 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $5))
       AND ($6 IS NULL OR number < $6)
     ORDER BY number DESC LIMIT $7";
const LINES: &str = "SELECT line_no, supplier_item_id, item_id, packs, pack_quantity, quantity,
     price_per_pack, line_total, received_quantity
     FROM purchase_order_lines WHERE tenant_id = $1 AND purchase_order_id = $2
     ORDER BY line_no";
const EVENTS: &str = "SELECT version, from_status, to_status, actor, at, note
     FROM purchase_order_events WHERE tenant_id = $1 AND purchase_order_id = $2
     ORDER BY version";
const INSERT_DOCUMENT: &str = "INSERT INTO purchase_order_documents (tenant_id,
     purchase_order_id, kind, content_type, body, rendered_at)
     VALUES ($1, $2, $3, $4, $5, $6)";
const DOCUMENT: &str = "SELECT kind, content_type, body, rendered_at
     FROM purchase_order_documents
     WHERE tenant_id = $1 AND purchase_order_id = $2 AND kind = $3";
const ON_ORDER: &str = "SELECT l.item_id, p.location_id,
       CAST(SUM(l.quantity - l.received_quantity) AS BIGINT)
     FROM purchase_order_lines l
     JOIN purchase_orders p ON p.tenant_id = l.tenant_id AND p.id = l.purchase_order_id
     WHERE l.tenant_id = $1
       AND p.status IN ('approved', 'sent', 'partially_received')
       AND l.quantity > l.received_quantity
       AND ($2 IS NULL OR p.location_id = $2)
     GROUP BY l.item_id, p.location_id
     ORDER BY l.item_id, p.location_id";

/// A date as stored (`YYYY-MM-DD`, which sorts as the dates do on both backends).
fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn purchase_order(mut r: Row) -> R<PurchaseOrderRow> {
    Ok(PurchaseOrderRow {
        id: r.get()?,
        number: r.get()?,
        supplier_id: r.get()?,
        location_id: r.get()?,
        status: r.spelled()?,
        currency: r.get()?,
        expected_delivery: {
            let s: String = r.get()?;
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|e| StoreError::Other(format!("expected_delivery '{s}': {e}")))?
        },
        note: r.get()?,
        total: r.get()?,
        version: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

fn line(mut r: Row) -> R<PurchaseOrderLineRow> {
    Ok(PurchaseOrderLineRow {
        line_no: r.get()?,
        supplier_item_id: r.get()?,
        item_id: r.get()?,
        packs: r.get()?,
        pack_quantity: r.get()?,
        quantity: r.get()?,
        price_per_pack: r.get()?,
        line_total: r.get()?,
        received_quantity: r.get()?,
    })
}

impl<E: Exec> SqlTx<E> {
    async fn insert_lines(&mut self, id: PurchaseOrderId, lines: &[PurchaseOrderLineRow]) -> R<()> {
        for l in lines {
            self.exec
                .execute(
                    INSERT_LINE,
                    args![
                        self.tenant,
                        id,
                        l.line_no,
                        l.supplier_item_id,
                        l.item_id,
                        l.packs,
                        l.pack_quantity,
                        l.quantity,
                        l.price_per_pack,
                        l.line_total,
                        l.received_quantity
                    ],
                )
                .await?;
        }
        Ok(())
    }

    async fn insert_event(&mut self, id: PurchaseOrderId, e: &PurchaseOrderEventRow) -> R<()> {
        self.exec
            .execute(
                INSERT_EVENT,
                args![
                    self.tenant,
                    id,
                    e.version,
                    e.from_status.map(PoStatus::as_str),
                    e.to_status.as_str(),
                    e.actor,
                    e.at,
                    e.note
                ],
            )
            .await?;
        Ok(())
    }
}

#[async_trait]
impl<E: Exec> PurchaseOrderTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn next_purchase_order_number(&mut self) -> R<i64> {
        let mut row = self
            .exec
            .fetch_optional(NEXT_NUMBER, args![self.tenant])
            .await?
            .ok_or_else(|| StoreError::Other("the number counter returned no row".into()))?;
        row.get()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_purchase_order(
        &mut self,
        po: &PurchaseOrderRow,
        lines: &[PurchaseOrderLineRow],
    ) -> R<()> {
        self.exec
            .execute(
                INSERT_PO,
                args![
                    self.tenant,
                    po.id,
                    po.number,
                    po.supplier_id,
                    po.location_id,
                    po.status.as_str(),
                    po.currency,
                    date_text(po.expected_delivery),
                    po.note,
                    po.total,
                    po.version,
                    po.created_by,
                    po.created_at
                ],
            )
            .await?;
        self.insert_lines(po.id, lines).await?;
        self.insert_event(
            po.id,
            &PurchaseOrderEventRow {
                version: po.version,
                from_status: None,
                to_status: po.status,
                actor: po.created_by,
                at: po.created_at,
                note: None,
            },
        )
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_purchase_order(
        &mut self,
        po: &PurchaseOrderRow,
        lines: &[PurchaseOrderLineRow],
        expected_version: i64,
    ) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_PO,
                args![
                    self.tenant,
                    po.id,
                    po.supplier_id,
                    po.location_id,
                    po.currency,
                    date_text(po.expected_delivery),
                    po.note,
                    po.total,
                    po.version,
                    expected_version
                ],
            )
            .await?;
        self.versioned(n, PO_EXISTS, po.id.as_uuid(), "purchase_orders")
            .await?;
        self.exec
            .execute(DELETE_LINES, args![self.tenant, po.id])
            .await?;
        self.insert_lines(po.id, lines).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_purchase_order_status(&mut self, c: &PurchaseOrderStatusChange) -> R<()> {
        let version = c.expected_version + 1;
        let n = self
            .exec
            .execute(
                SET_STATUS,
                args![
                    self.tenant,
                    c.id,
                    c.from.as_str(),
                    c.to.as_str(),
                    version,
                    c.expected_version
                ],
            )
            .await?;
        self.versioned(n, PO_EXISTS, c.id.as_uuid(), "purchase_orders")
            .await?;
        self.insert_event(
            c.id,
            &PurchaseOrderEventRow {
                version,
                from_status: Some(c.from),
                to_status: c.to,
                actor: c.actor,
                at: c.at,
                note: c.note.clone(),
            },
        )
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_purchase_order(&mut self, id: PurchaseOrderId) -> R<Option<PurchaseOrderRow>> {
        self.exec
            .fetch_optional(PO_COLUMNS_GET, args![self.tenant, id])
            .await?
            .map(purchase_order)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn purchase_order_lines(&mut self, id: PurchaseOrderId) -> R<Vec<PurchaseOrderLineRow>> {
        rows(
            self.exec.fetch_all(LINES, args![self.tenant, id]).await?,
            line,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn purchase_order_events(
        &mut self,
        id: PurchaseOrderId,
    ) -> R<Vec<PurchaseOrderEventRow>> {
        rows(
            self.exec.fetch_all(EVENTS, args![self.tenant, id]).await?,
            |mut r| {
                Ok(PurchaseOrderEventRow {
                    version: r.get()?,
                    from_status: r
                        .get::<Option<String>>()?
                        .map(|s| s.parse())
                        .transpose()
                        .map_err(|e: String| StoreError::Other(format!("from_status: {e}")))?,
                    to_status: r.spelled()?,
                    actor: r.get()?,
                    at: r.get()?,
                    note: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_purchase_orders(&mut self, f: &PurchaseOrderFilter) -> R<Vec<PurchaseOrderRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_POS,
                    args![
                        self.tenant,
                        f.status.map(PoStatus::as_str),
                        f.supplier,
                        f.location,
                        f.scope.member(),
                        f.before,
                        i64::from(f.limit)
                    ],
                )
                .await?,
            purchase_order,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_purchase_order_document(
        &mut self,
        id: PurchaseOrderId,
        d: &PurchaseOrderDocumentRow,
    ) -> R<()> {
        self.exec
            .execute(
                INSERT_DOCUMENT,
                args![
                    self.tenant,
                    id,
                    d.kind,
                    d.content_type,
                    d.body,
                    d.rendered_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn purchase_order_document(
        &mut self,
        id: PurchaseOrderId,
        kind: &str,
    ) -> R<Option<PurchaseOrderDocumentRow>> {
        self.exec
            .fetch_optional(DOCUMENT, args![self.tenant, id, kind])
            .await?
            .map(|mut r| {
                Ok(PurchaseOrderDocumentRow {
                    kind: r.get()?,
                    content_type: r.get()?,
                    body: r.get()?,
                    rendered_at: r.get()?,
                })
            })
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn on_order(&mut self, location: Option<LocationId>) -> R<Vec<OnOrderRow>> {
        rows(
            self.exec
                .fetch_all(ON_ORDER, args![self.tenant, location])
                .await?,
            |mut r| {
                Ok(OnOrderRow {
                    item_id: r.get()?,
                    location_id: r.get()?,
                    quantity: r.get()?,
                })
            },
        )
    }
}
