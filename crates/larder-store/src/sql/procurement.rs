//! procurement's statements: suppliers.

use async_trait::async_trait;
use larder_core::SupplierId;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{ProcurementTx, StoreError, SupplierRow};

const INSERT_SUPPLIER: &str = "INSERT INTO suppliers (tenant_id, id, name, email, phone,
     account_number, order_days, lead_time_days, min_order_value, currency, active, version,
     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const UPDATE_SUPPLIER: &str = "UPDATE suppliers SET name = $3, email = $4, phone = $5,
     account_number = $6, order_days = $7, lead_time_days = $8, min_order_value = $9,
     currency = $10, active = $11, version = $12
     WHERE tenant_id = $1 AND id = $2 AND version = $13";
const SUPPLIER_EXISTS: &str = "SELECT version FROM suppliers WHERE tenant_id = $1 AND id = $2";
const GET_SUPPLIER: &str = "SELECT id, name, email, phone, account_number, order_days,
     lead_time_days, min_order_value, currency, active, version, created_at
     FROM suppliers WHERE tenant_id = $1 AND id = $2";
const LIST_SUPPLIERS: &str = "SELECT id, name, email, phone, account_number, order_days,
     lead_time_days, min_order_value, currency, active, version, created_at
     FROM suppliers WHERE tenant_id = $1 AND ($5 = 1 OR active = 1)
       AND ($2 IS NULL OR name > $2 OR (name = $2 AND id > $3))
     ORDER BY name, id LIMIT $4";

fn supplier(mut r: Row) -> R<SupplierRow> {
    Ok(SupplierRow {
        id: r.get()?,
        name: r.get()?,
        email: r.get()?,
        phone: r.get()?,
        account_number: r.get()?,
        order_days: r.get()?,
        lead_time_days: r.get()?,
        min_order_value: r.get()?,
        currency: r.get()?,
        active: r.get::<i64>()? == 1,
        version: r.get()?,
        created_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> ProcurementTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_supplier(&mut self, s: &SupplierRow) -> R<()> {
        self.exec
            .execute(
                INSERT_SUPPLIER,
                args![
                    self.tenant,
                    s.id,
                    s.name,
                    s.email,
                    s.phone,
                    s.account_number,
                    s.order_days,
                    s.lead_time_days,
                    s.min_order_value,
                    s.currency,
                    i64::from(s.active),
                    s.version,
                    s.created_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_supplier(&mut self, s: &SupplierRow, expected_version: i64) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_SUPPLIER,
                args![
                    self.tenant,
                    s.id,
                    s.name,
                    s.email,
                    s.phone,
                    s.account_number,
                    s.order_days,
                    s.lead_time_days,
                    s.min_order_value,
                    s.currency,
                    i64::from(s.active),
                    s.version,
                    expected_version
                ],
            )
            .await?;
        if n == 1 {
            return Ok(());
        }
        match self
            .exec
            .fetch_optional(SUPPLIER_EXISTS, args![self.tenant, s.id])
            .await?
        {
            Some(_) => Err(StoreError::Conflict {
                constraint: "suppliers_version".into(),
            }),
            None => Err(StoreError::NotFound),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_supplier(&mut self, id: SupplierId) -> R<Option<SupplierRow>> {
        self.exec
            .fetch_optional(GET_SUPPLIER, args![self.tenant, id])
            .await?
            .map(supplier)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_suppliers(
        &mut self,
        after: Option<(String, SupplierId)>,
        limit: u32,
        include_inactive: bool,
    ) -> R<Vec<SupplierRow>> {
        let (name, id) = after.map_or((None, None), |(n, i)| (Some(n), Some(i)));
        rows(
            self.exec
                .fetch_all(
                    LIST_SUPPLIERS,
                    args![
                        self.tenant,
                        name,
                        id,
                        i64::from(limit),
                        i64::from(include_inactive)
                    ],
                )
                .await?,
            supplier,
        )
    }
}
