//! procurement's statements: suppliers here, purchase orders in [`purchase_orders`], what
//! reorder suggestions read in [`reorder`].

mod goods_receipts;
mod invoices;
mod purchase_orders;
mod reorder;

use async_trait::async_trait;
use larder_core::{ItemId, SupplierId, SupplierItemId};

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{PreferredSupplierRow, ProcurementTx, SupplierItemRow, SupplierPriceRow, SupplierRow};

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
        self.versioned(n, SUPPLIER_EXISTS, s.id.as_uuid(), "suppliers")
            .await
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

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_supplier_item(&mut self, s: &SupplierItemRow) -> R<()> {
        self.exec
            .execute(
                INSERT_SUPPLIER_ITEM,
                args![
                    self.tenant,
                    s.id,
                    s.supplier_id,
                    s.item_id,
                    s.supplier_sku,
                    s.description,
                    s.gtin,
                    s.packs,
                    s.pack_quantity,
                    s.moq_packs,
                    s.version,
                    s.created_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_supplier_item(&mut self, id: SupplierItemId) -> R<Option<SupplierItemRow>> {
        self.exec
            .fetch_optional(GET_SUPPLIER_ITEM, args![self.tenant, id])
            .await?
            .map(supplier_item)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_supplier_items(
        &mut self,
        supplier: Option<SupplierId>,
        item: Option<ItemId>,
    ) -> R<Vec<SupplierItemRow>> {
        rows(
            self.exec
                .fetch_all(LIST_SUPPLIER_ITEMS, args![self.tenant, supplier, item])
                .await?,
            supplier_item,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_supplier_price(&mut self, p: &SupplierPriceRow) -> R<()> {
        self.exec
            .execute(
                INSERT_PRICE,
                args![
                    self.tenant,
                    p.supplier_item_id,
                    p.effective_from,
                    p.price_per_pack,
                    p.recorded_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn supplier_prices(&mut self, id: SupplierItemId) -> R<Vec<SupplierPriceRow>> {
        rows(
            self.exec.fetch_all(PRICES, args![self.tenant, id]).await?,
            |mut r| {
                Ok(SupplierPriceRow {
                    supplier_item_id: r.get()?,
                    effective_from: r.get()?,
                    price_per_pack: r.get()?,
                    recorded_at: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn set_preferred_supplier(&mut self, p: &PreferredSupplierRow) -> R<()> {
        self.exec
            .execute(
                SET_PREFERRED,
                args![self.tenant, p.item_id, p.location_id, p.supplier_item_id],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn preferred_suppliers(&mut self, item: ItemId) -> R<Vec<PreferredSupplierRow>> {
        rows(
            self.exec
                .fetch_all(PREFERRED, args![self.tenant, item])
                .await?,
            |mut r| {
                Ok(PreferredSupplierRow {
                    item_id: r.get()?,
                    location_id: r.get()?,
                    supplier_item_id: r.get()?,
                })
            },
        )
    }
}

const INSERT_SUPPLIER_ITEM: &str = "INSERT INTO supplier_items (tenant_id, id, supplier_id,
     item_id, supplier_sku, description, gtin, packs, pack_quantity, moq_packs, version,
     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const GET_SUPPLIER_ITEM: &str = "SELECT id, supplier_id, item_id, supplier_sku, description, gtin,
     packs, pack_quantity, moq_packs, version, created_at
     FROM supplier_items WHERE tenant_id = $1 AND id = $2";
const LIST_SUPPLIER_ITEMS: &str = "SELECT id, supplier_id, item_id, supplier_sku, description,
     gtin, packs, pack_quantity, moq_packs, version, created_at
     FROM supplier_items WHERE tenant_id = $1
       AND ($2 IS NULL OR supplier_id = $2) AND ($3 IS NULL OR item_id = $3)
     ORDER BY supplier_sku, id";
const INSERT_PRICE: &str = "INSERT INTO supplier_item_prices (tenant_id, supplier_item_id,
     effective_from, price_per_pack, recorded_at) VALUES ($1, $2, $3, $4, $5)";
const PRICES: &str = "SELECT supplier_item_id, effective_from, price_per_pack, recorded_at
     FROM supplier_item_prices WHERE tenant_id = $1 AND supplier_item_id = $2
     ORDER BY effective_from";
const SET_PREFERRED: &str = "INSERT INTO preferred_suppliers (tenant_id, item_id, location_id,
     supplier_item_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, item_id, location_id)
     DO UPDATE SET supplier_item_id = excluded.supplier_item_id";
const PREFERRED: &str = "SELECT item_id, location_id, supplier_item_id FROM preferred_suppliers
     WHERE tenant_id = $1 AND item_id = $2 ORDER BY location_id";

fn supplier_item(mut r: Row) -> R<SupplierItemRow> {
    Ok(SupplierItemRow {
        id: r.get()?,
        supplier_id: r.get()?,
        item_id: r.get()?,
        supplier_sku: r.get()?,
        description: r.get()?,
        gtin: r.get()?,
        packs: r.get()?,
        pack_quantity: r.get()?,
        moq_packs: r.get()?,
        version: r.get()?,
        created_at: r.get()?,
    })
}
