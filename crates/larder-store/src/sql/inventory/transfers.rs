//! inventory's statements for transfers: the per-tenant number counter, headers and lines,
//! status changes with who and when, what sending and receiving recorded, the lots taken, and
//! the stock in transit (ADR 021).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::TransferId;
use larder_core::inventory::transfers::TransferStatus;

use crate::sql::{Exec, R, Row, SqlTx, ToArg, args, changed, rows};
use crate::{
    LocationScope, StoreError, TransferFilter, TransferLineRow, TransferLotRow,
    TransferReceivedLine, TransferRow, TransferSentLine, TransferStatusChange, TransferTx,
    TransitRow,
};

// The upsert takes the counter row's lock on PostgreSQL, so a concurrent create waits and then
// reads the number after this one.
const NEXT_NUMBER: &str = "INSERT INTO transfer_counters (tenant_id, last_number)
     VALUES ($1, 1)
     ON CONFLICT (tenant_id)
     DO UPDATE SET last_number = transfer_counters.last_number + 1
     RETURNING last_number";
const INSERT_TRANSFER: &str = "INSERT INTO transfers (tenant_id, id, number, from_location_id,
     to_location_id, status, note, version, requested_by, requested_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const UPDATE_TRANSFER: &str = "UPDATE transfers SET from_location_id = $3, to_location_id = $4,
     note = $5, version = $6
     WHERE tenant_id = $1 AND id = $2 AND version = $7 AND status = 'requested'";
const TRANSFER_EXISTS: &str = "SELECT version FROM transfers WHERE tenant_id = $1 AND id = $2";
const SET_STATUS: &str = "UPDATE transfers SET status = $4, version = $5,
       sent_by = CASE WHEN $4 = 'sent' THEN $6 ELSE sent_by END,
       sent_at = CASE WHEN $4 = 'sent' THEN $7 ELSE sent_at END,
       received_by = CASE WHEN $4 = 'received' THEN $6 ELSE received_by END,
       received_at = CASE WHEN $4 = 'received' THEN $7 ELSE received_at END,
       cancelled_by = CASE WHEN $4 = 'cancelled' THEN $6 ELSE cancelled_by END,
       cancelled_at = CASE WHEN $4 = 'cancelled' THEN $7 ELSE cancelled_at END,
       cancel_reason = CASE WHEN $4 = 'cancelled' THEN $8 ELSE cancel_reason END
     WHERE tenant_id = $1 AND id = $2 AND status = $3 AND version = $9";
const DELETE_LINES: &str = "DELETE FROM transfer_lines WHERE tenant_id = $1 AND transfer_id = $2";
const INSERT_LINE: &str = "INSERT INTO transfer_lines (tenant_id, transfer_id, line_no, item_id,
     quantity, amount) VALUES ($1, $2, $3, $4, $5, $6)";
const SENT_LINE: &str = "UPDATE transfer_lines SET sent_quantity = $4, sent_value = $5,
     out_movement_id = $6
     WHERE tenant_id = $1 AND transfer_id = $2 AND line_no = $3";
// The lot's code and expiry are copied as they are when it is taken (a part no lot covered
// has none: the outer join keeps the row).
const INSERT_LOT: &str = "INSERT INTO transfer_lots (tenant_id, transfer_id, line_no, seq,
     lot_id, code, expires_on, quantity, cost)
     SELECT $1, $2, $3, $4, $5, l.code, l.expires_on, $6, $7
     FROM (SELECT 1 AS one) o
     LEFT JOIN lots l ON l.tenant_id = $1 AND l.id = $5";
const RECEIVED_LINE: &str = "UPDATE transfer_lines SET received_quantity = $4,
     received_value = $5, discrepancy_quantity = $6, discrepancy_value = $7, note = $8
     WHERE tenant_id = $1 AND transfer_id = $2 AND line_no = $3";
const GET_TRANSFER: &str = "SELECT id, number, from_location_id, to_location_id, status, note,
     version, requested_by, requested_at, sent_by, sent_at, received_by, received_at,
     cancelled_by, cancelled_at, cancel_reason
     FROM transfers WHERE tenant_id = $1 AND id = $2";
const LIST_TRANSFERS: &str = "SELECT id, number, from_location_id, to_location_id, status,
     note, version, requested_by, requested_at, sent_by, sent_at, received_by, received_at,
     cancelled_by, cancelled_at, cancel_reason
     FROM transfers WHERE tenant_id = $1
       AND ($2 IS NULL OR status = $2)
       AND ($3 IS NULL OR from_location_id = $3 OR to_location_id = $3)
       AND ($4 IS NULL OR from_location_id IN (SELECT ml.location_id FROM member_locations ml
                WHERE ml.tenant_id = $1 AND ml.user_id = $4)
            OR to_location_id IN (SELECT ml.location_id FROM member_locations ml
                WHERE ml.tenant_id = $1 AND ml.user_id = $4))
       AND ($5 IS NULL OR number < $5)
     ORDER BY number DESC LIMIT $6";
const LINES: &str = "SELECT line_no, item_id, quantity, amount, sent_quantity, sent_value,
     out_movement_id, received_quantity, received_value, discrepancy_quantity,
     discrepancy_value, note
     FROM transfer_lines WHERE tenant_id = $1 AND transfer_id = $2
     ORDER BY line_no";
const LOTS: &str = "SELECT line_no, seq, lot_id, code, expires_on, quantity, cost
     FROM transfer_lots WHERE tenant_id = $1 AND transfer_id = $2
     ORDER BY line_no, seq";
// Now: the transfers that are sent. As of an instant: sent at or before it and not received
// by then (a transfer is received after it is sent, so the two never overlap).
const IN_TRANSIT: &str = "SELECT l.item_id, t.from_location_id, t.to_location_id,
       CAST(SUM(l.sent_quantity) AS BIGINT), CAST(SUM(l.sent_value) AS BIGINT)
     FROM transfer_lines l
     JOIN transfers t ON t.tenant_id = l.tenant_id AND t.id = l.transfer_id
     WHERE l.tenant_id = $1 AND t.sent_at IS NOT NULL AND l.sent_quantity IS NOT NULL
       AND (($2 IS NULL AND t.status = 'sent')
            OR ($2 IS NOT NULL AND t.sent_at <= $2
                AND (t.received_at IS NULL OR t.received_at > $2)))
       AND ($3 IS NULL OR t.from_location_id IN (SELECT ml.location_id FROM member_locations ml
                WHERE ml.tenant_id = $1 AND ml.user_id = $3)
            OR t.to_location_id IN (SELECT ml.location_id FROM member_locations ml
                WHERE ml.tenant_id = $1 AND ml.user_id = $3))
     GROUP BY l.item_id, t.from_location_id, t.to_location_id
     ORDER BY l.item_id, t.from_location_id, t.to_location_id";

/// A date as stored (`YYYY-MM-DD`).
fn date(s: Option<String>, column: &str) -> R<Option<NaiveDate>> {
    s.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|e| StoreError::Other(format!("{column} '{s}': {e}")))
    })
    .transpose()
}

fn transfer(mut r: Row) -> R<TransferRow> {
    Ok(TransferRow {
        id: r.get()?,
        number: r.get()?,
        from_location_id: r.get()?,
        to_location_id: r.get()?,
        status: r.spelled()?,
        note: r.get()?,
        version: r.get()?,
        requested_by: r.get()?,
        requested_at: r.get()?,
        sent_by: r.get()?,
        sent_at: r.get()?,
        received_by: r.get()?,
        received_at: r.get()?,
        cancelled_by: r.get()?,
        cancelled_at: r.get()?,
        cancel_reason: r.get()?,
    })
}

fn line(mut r: Row) -> R<TransferLineRow> {
    Ok(TransferLineRow {
        line_no: r.get()?,
        item_id: r.get()?,
        quantity: r.get()?,
        amount: r.get()?,
        sent_quantity: r.get()?,
        sent_value: r.get()?,
        out_movement_id: r.get()?,
        received_quantity: r.get()?,
        received_value: r.get()?,
        discrepancy_quantity: r.get()?,
        discrepancy_value: r.get()?,
        note: r.get()?,
    })
}

impl<E: Exec> SqlTx<E> {
    async fn insert_transfer_lines(&mut self, id: TransferId, lines: &[TransferLineRow]) -> R<()> {
        for l in lines {
            self.exec
                .execute(
                    INSERT_LINE,
                    args![self.tenant, id, l.line_no, l.item_id, l.quantity, l.amount],
                )
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl<E: Exec> TransferTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn next_transfer_number(&mut self) -> R<i64> {
        let mut row = self
            .exec
            .fetch_optional(NEXT_NUMBER, args![self.tenant])
            .await?
            .ok_or_else(|| StoreError::Other("the number counter returned no row".into()))?;
        row.get()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_transfer(&mut self, t: &TransferRow, lines: &[TransferLineRow]) -> R<()> {
        self.exec
            .execute(
                INSERT_TRANSFER,
                args![
                    self.tenant,
                    t.id,
                    t.number,
                    t.from_location_id,
                    t.to_location_id,
                    t.status.as_str(),
                    t.note,
                    t.version,
                    t.requested_by,
                    t.requested_at
                ],
            )
            .await?;
        self.insert_transfer_lines(t.id, lines).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_transfer(
        &mut self,
        t: &TransferRow,
        lines: &[TransferLineRow],
        expected_version: i64,
    ) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_TRANSFER,
                args![
                    self.tenant,
                    t.id,
                    t.from_location_id,
                    t.to_location_id,
                    t.note,
                    t.version,
                    expected_version
                ],
            )
            .await?;
        self.versioned(n, TRANSFER_EXISTS, t.id.as_uuid(), "transfers")
            .await?;
        self.exec
            .execute(DELETE_LINES, args![self.tenant, t.id])
            .await?;
        self.insert_transfer_lines(t.id, lines).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_transfer_status(&mut self, c: &TransferStatusChange) -> R<()> {
        let n = self
            .exec
            .execute(
                SET_STATUS,
                args![
                    self.tenant,
                    c.id,
                    c.from.as_str(),
                    c.to.as_str(),
                    c.expected_version + 1,
                    c.actor,
                    c.at,
                    c.note,
                    c.expected_version
                ],
            )
            .await?;
        self.versioned(n, TRANSFER_EXISTS, c.id.as_uuid(), "transfers")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn record_transfer_sent(&mut self, id: TransferId, lines: &[TransferSentLine]) -> R<()> {
        for l in lines {
            let n = self
                .exec
                .execute(
                    SENT_LINE,
                    args![
                        self.tenant,
                        id,
                        l.line_no,
                        l.quantity,
                        l.value,
                        l.movement_id
                    ],
                )
                .await?;
            changed(n)?;
            for lot in &l.lots {
                self.exec
                    .execute(
                        INSERT_LOT,
                        args![
                            self.tenant,
                            id,
                            l.line_no,
                            lot.seq,
                            lot.lot_id,
                            lot.quantity,
                            lot.cost
                        ],
                    )
                    .await?;
            }
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn record_transfer_received(
        &mut self,
        id: TransferId,
        lines: &[TransferReceivedLine],
    ) -> R<()> {
        for l in lines {
            let n = self
                .exec
                .execute(
                    RECEIVED_LINE,
                    args![
                        self.tenant,
                        id,
                        l.line_no,
                        l.quantity,
                        l.value,
                        l.discrepancy_quantity,
                        l.discrepancy_value,
                        l.note
                    ],
                )
                .await?;
            changed(n)?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_transfer(&mut self, id: TransferId) -> R<Option<TransferRow>> {
        self.exec
            .fetch_optional(GET_TRANSFER, args![self.tenant, id])
            .await?
            .map(transfer)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn transfer_lines(&mut self, id: TransferId) -> R<Vec<TransferLineRow>> {
        rows(
            self.exec.fetch_all(LINES, args![self.tenant, id]).await?,
            line,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn transfer_lots(&mut self, id: TransferId) -> R<Vec<TransferLotRow>> {
        rows(
            self.exec.fetch_all(LOTS, args![self.tenant, id]).await?,
            |mut r| {
                Ok(TransferLotRow {
                    line_no: r.get()?,
                    seq: r.get()?,
                    lot_id: r.get()?,
                    code: r.get()?,
                    expires_on: date(r.get()?, "expires_on")?,
                    quantity: r.get()?,
                    cost: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_transfers(&mut self, f: &TransferFilter) -> R<Vec<TransferRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_TRANSFERS,
                    args![
                        self.tenant,
                        f.status.map(TransferStatus::as_str),
                        f.location,
                        f.scope.member(),
                        f.before,
                        i64::from(f.limit)
                    ],
                )
                .await?,
            transfer,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn in_transit(
        &mut self,
        as_of: Option<DateTime<Utc>>,
        scope: LocationScope,
    ) -> R<Vec<TransitRow>> {
        rows(
            self.exec
                .fetch_all(IN_TRANSIT, args![self.tenant, as_of, scope.member()])
                .await?,
            |mut r| {
                Ok(TransitRow {
                    item_id: r.get()?,
                    from_location_id: r.get()?,
                    to_location_id: r.get()?,
                    quantity: r.get()?,
                    value: r.get()?,
                })
            },
        )
    }
}
