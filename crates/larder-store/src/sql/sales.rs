//! sales' statements: tickets and their lines.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::SaleId;

use super::{Column, Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{LocationScope, SaleAliasRow, SaleFilter, SaleLineRow, SaleRow, SalesTx, UnmappedRow};

const GET_SALE: &str = "SELECT id, location_id, source, external_ref, occurred_at, recorded_at
     FROM sales WHERE tenant_id = $1 AND id = $2";
const SALE_LINES: &str = "SELECT sale_id, line_no, menu_item_id, item_name, quantity,
     unit_price FROM sale_lines WHERE tenant_id = $1 AND sale_id = $2 ORDER BY line_no";
const LIST_SALES: &str = "SELECT id, location_id, source, external_ref, occurred_at,
     recorded_at FROM sales WHERE tenant_id = $1
       AND ($2 IS NULL OR occurred_at >= $2)
       AND ($3 IS NULL OR occurred_at < $3)
       AND ($4 IS NULL OR occurred_at < $4 OR (occurred_at = $4 AND id < $5))
       AND ($7 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $7))
     ORDER BY occurred_at DESC, id DESC LIMIT $6";
/// The lines of exactly the sales [`LIST_SALES`] selects with the same parameters.
const LIST_SALES_LINES: &str = "SELECT sale_id, line_no, menu_item_id, item_name, quantity,
     unit_price FROM sale_lines WHERE tenant_id = $1 AND sale_id IN (
         SELECT id FROM sales WHERE tenant_id = $1
           AND ($2 IS NULL OR occurred_at >= $2)
           AND ($3 IS NULL OR occurred_at < $3)
           AND ($4 IS NULL OR occurred_at < $4 OR (occurred_at = $4 AND id < $5))
           AND ($7 IS NULL OR location_id IN (SELECT ml.location_id FROM member_locations ml
            WHERE ml.tenant_id = $1 AND ml.user_id = $7))
         ORDER BY occurred_at DESC, id DESC LIMIT $6)
     ORDER BY sale_id, line_no";
const UNMAPPED_SALES: &str = "SELECT item_name, COUNT(*), CAST(SUM(quantity) AS BIGINT)
     FROM sale_lines WHERE tenant_id = $1 AND menu_item_id IS NULL
       AND ($2 IS NULL OR sale_id IN (SELECT s.id FROM sales s
            JOIN member_locations ml ON ml.tenant_id = s.tenant_id
                                    AND ml.location_id = s.location_id
            WHERE s.tenant_id = $1 AND ml.user_id = $2))
     GROUP BY item_name ORDER BY COUNT(*) DESC, item_name";

const GET_IMPORT_MAPPING: &str = "SELECT mapping FROM sales_import_mappings WHERE tenant_id = $1";
const PUT_IMPORT_MAPPING: &str = "INSERT INTO sales_import_mappings (tenant_id, mapping,
     updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET mapping = excluded.mapping,
       updated_at = excluded.updated_at";
const LIST_ALIASES: &str = "SELECT name_key, item_name, menu_item_id, created_at
     FROM sales_aliases WHERE tenant_id = $1 ORDER BY name_key";
const PUT_ALIAS: &str = "INSERT INTO sales_aliases (tenant_id, name_key, item_name,
     menu_item_id, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, name_key) DO UPDATE SET item_name = excluded.item_name,
       menu_item_id = excluded.menu_item_id, created_at = excluded.created_at";

fn sale_head(mut r: Row) -> R<SaleRow> {
    Ok(SaleRow {
        id: r.get()?,
        location_id: r.get()?,
        source: r.get()?,
        external_ref: r.get()?,
        occurred_at: r.get()?,
        recorded_at: r.get()?,
        lines: Vec::new(),
    })
}

fn sale_line(mut r: Row) -> R<(SaleId, SaleLineRow)> {
    Ok((
        r.get()?,
        SaleLineRow {
            line_no: r.get()?,
            menu_item_id: r.get()?,
            item_name: r.get()?,
            quantity: r.get()?,
            unit_price: r.get()?,
        },
    ))
}

fn unmapped(mut r: Row) -> R<UnmappedRow> {
    Ok(UnmappedRow {
        item_name: r.get()?,
        lines: r.get()?,
        quantity: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> SalesTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, sales = sales.len()))]
    async fn insert_sales(&mut self, sales: &[SaleRow]) -> R<()> {
        if sales.is_empty() {
            return Ok(());
        }
        let dialect = self.exec.dialect();
        let heads = vec![
            Column::Uuid(sales.iter().map(|s| Some(s.id.as_uuid())).collect()),
            Column::Uuid(
                sales
                    .iter()
                    .map(|s| Some(s.location_id.as_uuid()))
                    .collect(),
            ),
            Column::Text(sales.iter().map(|s| Some(s.source.clone())).collect()),
            Column::Text(sales.iter().map(|s| s.external_ref.clone()).collect()),
            Column::Time(sales.iter().map(|s| Some(s.occurred_at)).collect()),
            Column::Time(sales.iter().map(|s| Some(s.recorded_at)).collect()),
        ];
        self.exec
            .execute_batch(dialect.insert_sales, args![self.tenant], &heads)
            .await?;
        let lines: Vec<(&SaleRow, &SaleLineRow)> = sales
            .iter()
            .flat_map(|s| s.lines.iter().map(move |l| (s, l)))
            .collect();
        if lines.is_empty() {
            return Ok(());
        }
        let columns = vec![
            Column::Uuid(lines.iter().map(|(s, _)| Some(s.id.as_uuid())).collect()),
            Column::Int(
                lines
                    .iter()
                    .map(|(_, l)| Some(i64::from(l.line_no)))
                    .collect(),
            ),
            Column::Uuid(
                lines
                    .iter()
                    .map(|(_, l)| l.menu_item_id.map(|m| m.as_uuid()))
                    .collect(),
            ),
            Column::Text(
                lines
                    .iter()
                    .map(|(_, l)| Some(l.item_name.clone()))
                    .collect(),
            ),
            Column::Int(lines.iter().map(|(_, l)| Some(l.quantity.raw())).collect()),
            Column::Int(
                lines
                    .iter()
                    .map(|(_, l)| Some(l.unit_price.raw()))
                    .collect(),
            ),
            Column::Time(lines.iter().map(|(s, _)| Some(s.occurred_at)).collect()),
        ];
        self.exec
            .execute_batch(dialect.insert_sale_lines, args![self.tenant], &columns)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant, refs = refs.len()))]
    async fn existing_sale_refs(&mut self, source: &str, refs: &[String]) -> R<Vec<String>> {
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        let sql = self.exec.dialect().existing_sale_refs;
        rows(
            self.exec
                .fetch_all(sql, args![self.tenant, source, refs])
                .await?,
            |mut r| r.get(),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_sale(&mut self, id: SaleId) -> R<Option<SaleRow>> {
        let Some(head) = self
            .exec
            .fetch_optional(GET_SALE, args![self.tenant, id])
            .await?
        else {
            return Ok(None);
        };
        let mut sale = sale_head(head)?;
        for l in self
            .exec
            .fetch_all(SALE_LINES, args![self.tenant, id])
            .await?
        {
            sale.lines.push(sale_line(l)?.1);
        }
        Ok(Some(sale))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_sales(&mut self, f: &SaleFilter) -> R<Vec<SaleRow>> {
        let (at, id) = f.before.map_or((None, None), |(t, i)| (Some(t), Some(i)));
        let limit = i64::from(f.limit);
        let mut sales = rows(
            self.exec
                .fetch_all(
                    LIST_SALES,
                    args![self.tenant, f.from, f.to, at, id, limit, f.scope.member()],
                )
                .await?,
            sale_head,
        )?;
        let mut lines: HashMap<SaleId, Vec<SaleLineRow>> = HashMap::new();
        for l in self
            .exec
            .fetch_all(
                LIST_SALES_LINES,
                args![self.tenant, f.from, f.to, at, id, limit, f.scope.member()],
            )
            .await?
        {
            let (sale, line) = sale_line(l)?;
            lines.entry(sale).or_default().push(line);
        }
        for sale in &mut sales {
            sale.lines = lines.remove(&sale.id).unwrap_or_default();
        }
        Ok(sales)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn unmapped_sales(&mut self, scope: LocationScope) -> R<Vec<UnmappedRow>> {
        rows(
            self.exec
                .fetch_all(UNMAPPED_SALES, args![self.tenant, scope.member()])
                .await?,
            unmapped,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_import_mapping(&mut self) -> R<Option<String>> {
        match self
            .exec
            .fetch_optional(GET_IMPORT_MAPPING, args![self.tenant])
            .await?
        {
            Some(mut r) => Ok(Some(r.get()?)),
            None => Ok(None),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn put_import_mapping(&mut self, mapping: &str, now: DateTime<Utc>) -> R<()> {
        self.exec
            .execute(PUT_IMPORT_MAPPING, args![self.tenant, mapping, now])
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_sale_aliases(&mut self) -> R<Vec<SaleAliasRow>> {
        rows(
            self.exec
                .fetch_all(LIST_ALIASES, args![self.tenant])
                .await?,
            |mut r| {
                Ok(SaleAliasRow {
                    name_key: r.get()?,
                    item_name: r.get()?,
                    menu_item_id: r.get()?,
                    created_at: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn put_sale_alias(&mut self, a: &SaleAliasRow) -> R<()> {
        self.exec
            .execute(
                PUT_ALIAS,
                args![
                    self.tenant,
                    a.name_key,
                    a.item_name,
                    a.menu_item_id,
                    a.created_at
                ],
            )
            .await?;
        Ok(())
    }
}
