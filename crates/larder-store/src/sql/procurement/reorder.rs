//! procurement's statements for reorder suggestions: a location's candidates (par levels
//! joined with stock, preferred supplier items and the price in force) and its sales usage,
//! each one statement for the whole location.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{BaseUnit, LocationId, Quantity, SupplierId, SupplierItemId};

use crate::sql::{Exec, R, SqlTx, ToArg, args, rows};
use crate::{ItemUsageRow, ReorderCandidateRow, ReorderSupplyRow, ReorderTx};

const REORDER_CANDIDATES: &str = "SELECT p.item_id, i.name, i.base_unit,
       CAST(COALESCE(s.on_hand, 0) AS BIGINT), p.par_level, p.reorder_point,
       si.id, si.supplier_id, si.supplier_sku, si.packs, si.pack_quantity, si.moq_packs,
       (SELECT pr.price_per_pack FROM supplier_item_prices pr
         WHERE pr.tenant_id = si.tenant_id AND pr.supplier_item_id = si.id
           AND pr.effective_from <= $3
         ORDER BY pr.effective_from DESC LIMIT 1)
     FROM par_levels p
     JOIN items i ON i.tenant_id = p.tenant_id AND i.id = p.item_id
     LEFT JOIN stock_levels s ON s.tenant_id = p.tenant_id AND s.item_id = p.item_id
                             AND s.location_id = p.location_id
     LEFT JOIN preferred_suppliers ps ON ps.tenant_id = p.tenant_id AND ps.item_id = p.item_id
                                     AND ps.location_id = p.location_id
     LEFT JOIN supplier_items si ON si.tenant_id = ps.tenant_id AND si.id = ps.supplier_item_id
     WHERE p.tenant_id = $1 AND p.location_id = $2 AND i.retired_at IS NULL
       AND (p.par_level IS NOT NULL OR p.reorder_point IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM production_recipes pr
                        WHERE pr.tenant_id = p.tenant_id AND pr.item_id = p.item_id)
     ORDER BY i.name, p.item_id";
const USAGE: &str = "SELECT item_id, CAST(-SUM(quantity) AS BIGINT)
     FROM stock_movements
     WHERE tenant_id = $1 AND location_id = $2 AND kind IN ('sale', 'production_use')
       AND occurred_at >= $3 AND occurred_at < $4
     GROUP BY item_id ORDER BY item_id";

#[async_trait]
impl<E: Exec> ReorderTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn reorder_candidates(
        &mut self,
        location: LocationId,
        at: DateTime<Utc>,
    ) -> R<Vec<ReorderCandidateRow>> {
        rows(
            self.exec
                .fetch_all(REORDER_CANDIDATES, args![self.tenant, location, at])
                .await?,
            |mut r| {
                let item_id = r.get()?;
                let item_name = r.get()?;
                let base_unit = r.spelled::<BaseUnit>()?;
                let on_hand = r.get()?;
                let par_level = r.get()?;
                let reorder_point = r.get()?;
                let supplier_item_id: Option<SupplierItemId> = r.get()?;
                let supplier_id: Option<SupplierId> = r.get()?;
                let supplier_sku: Option<String> = r.get()?;
                let packs: Option<String> = r.get()?;
                let pack_quantity: Option<Quantity> = r.get()?;
                let moq_packs: Option<i32> = r.get()?;
                let price_per_pack = r.get()?;
                let supply = match (
                    supplier_item_id,
                    supplier_id,
                    supplier_sku,
                    packs,
                    pack_quantity,
                    moq_packs,
                ) {
                    (Some(id), Some(sup), Some(sku), Some(packs), Some(pack), Some(moq)) => {
                        Some(ReorderSupplyRow {
                            supplier_item_id: id,
                            supplier_id: sup,
                            supplier_sku: sku,
                            packs,
                            pack_quantity: pack,
                            moq_packs: moq,
                            price_per_pack,
                        })
                    }
                    _ => None,
                };
                Ok(ReorderCandidateRow {
                    item_id,
                    item_name,
                    base_unit,
                    on_hand,
                    par_level,
                    reorder_point,
                    supply,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn usage(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> R<Vec<ItemUsageRow>> {
        rows(
            self.exec
                .fetch_all(USAGE, args![self.tenant, location, from, to])
                .await?,
            |mut r| {
                Ok(ItemUsageRow {
                    item_id: r.get()?,
                    quantity: r.get()?,
                })
            },
        )
    }
}
