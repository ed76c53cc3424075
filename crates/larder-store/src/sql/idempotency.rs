//! The idempotency keys' statements.

use async_trait::async_trait;

use super::{Exec, R, Row, SqlTx, ToArg, args};
use crate::{IdempotencyRow, IdempotencyTx};

const GET_IDEMPOTENCY: &str = "SELECT key, request_hash, status, body, created_at
     FROM idempotency_keys WHERE tenant_id = $1 AND key = $2";
const INSERT_IDEMPOTENCY: &str = "INSERT INTO idempotency_keys
     (tenant_id, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, key) DO NOTHING";

fn idempotency(mut r: Row) -> R<IdempotencyRow> {
    Ok(IdempotencyRow {
        key: r.get()?,
        request_hash: r.get()?,
        status: r.get()?,
        body: r.get()?,
        created_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> IdempotencyTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_idempotency(&mut self, key: &str) -> R<Option<IdempotencyRow>> {
        self.exec
            .fetch_optional(GET_IDEMPOTENCY, args![self.tenant, key])
            .await?
            .map(idempotency)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_idempotency(&mut self, r: &IdempotencyRow) -> R<bool> {
        let n = self
            .exec
            .execute(
                INSERT_IDEMPOTENCY,
                args![
                    self.tenant,
                    r.key,
                    r.request_hash,
                    i64::from(r.status),
                    r.body,
                    r.created_at
                ],
            )
            .await?;
        Ok(n == 1)
    }
}
