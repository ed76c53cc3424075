//! What a person does with POS exports through the API and UI: the tenant's saved import
//! mapping, an import (or dry run) into a location they may work at, and mapping a name the
//! POS sells to a menu item (a POS alias) in one step.

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::{LocationId, MenuItemId, Name};
use larder_store::{Mode, SaleAliasRow, run_tenant};
use serde::{Deserialize, Serialize};

use super::depletion::name_key;
use super::import::{ImportReport, ImportRequest};
use super::mapping::SalesMapping;
use crate::{App, AppError, Principal};

/// The tenant's mapping for sales imports.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedMapping {
    /// True when the tenant saved it; false for the generic mapping used until then.
    pub saved: bool,
    /// The mapping.
    pub mapping: SalesMapping,
}

/// Map a name the POS sells to a menu item.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleAliasCommand {
    /// The name as sold (matched ignoring case and spacing).
    pub name: Name,
    /// The menu item it sells.
    pub menu_item_id: MenuItemId,
}

/// A name the POS sells, mapped to a menu item.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SaleAlias {
    /// The name as sold.
    pub name: String,
    /// The menu item.
    pub menu_item_id: MenuItemId,
    /// The menu item's name.
    pub menu_item: String,
    /// When mapped.
    pub created_at: DateTime<Utc>,
    /// On the answer to a mapping: past lines sold under the name without a menu item that
    /// it mapped (and depleted) now; 0 in lists.
    #[serde(default)]
    pub past_lines_mapped: i64,
    /// On the answer to a mapping: the sales those lines belong to; 0 in lists.
    #[serde(default)]
    pub past_sales_depleted: i64,
    /// On the answer to a mapping: what re-depleting those sales wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<crate::corrections::Redepletion>,
}

/// Where the import writes and under which source its ticket numbers are unique.
#[derive(Clone, Debug)]
pub struct ImportTarget {
    /// The location sold at.
    pub location_id: LocationId,
    /// The POS's name: a ticket number already imported under it is skipped.
    pub source: String,
}

/// Whether `p` may import sales: `sales.write` and `sales.read` (the report shows sales).
///
/// # Errors
/// 403 naming the missing scope.
pub fn may_import(p: &Principal) -> Result<(), AppError> {
    p.require(Permission::SalesWrite)?;
    p.require(Permission::SalesRead)
}

impl App {
    /// The tenant's saved sales-import mapping, or the generic one.
    ///
    /// # Errors
    /// 403 without `sales.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn sales_import_mapping(&self, p: Principal) -> Result<SavedMapping, AppError> {
        p.require(Permission::SalesRead)?;
        let raw = run_tenant(self.db(), p.tenant_id, Mode::Read, |tx| {
            Box::pin(async move { tx.get_import_mapping().await.map_err(AppError::from) })
        })
        .await?;
        read_saved(raw)
    }

    /// The saved mapping of `tenant` (an operator command: no principal), or the generic one.
    ///
    /// # Errors
    /// 404 on the tenant; 500 when the saved mapping does not read.
    pub async fn saved_sales_import_mapping(
        &self,
        tenant: larder_core::TenantId,
    ) -> Result<SalesMapping, AppError> {
        let raw = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move { tx.get_import_mapping().await.map_err(AppError::from) })
        })
        .await?;
        read_saved(raw).map(|s| s.mapping)
    }

    /// Saves the mapping of `tenant` (an operator command: no principal).
    ///
    /// # Errors
    /// 422 naming the field.
    pub async fn save_sales_import_mapping_as_operator(
        &self,
        tenant: larder_core::TenantId,
        mapping: &SalesMapping,
    ) -> Result<(), AppError> {
        mapping.validate()?;
        let json = serde_json::to_string(mapping)
            .map_err(|e| AppError::Internal(format!("mapping: {e}")))?;
        let now = Utc::now();
        let saved = mapping.clone();
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.put_import_mapping(&json, now).await?;
                crate::events::emit_system(
                    tx,
                    crate::events::EventType::SalesMappingSaved,
                    None,
                    now,
                    crate::events::to_json(&saved)?,
                )
                .await
            })
        })
        .await
    }

    /// Saves the tenant's sales-import mapping (replacing the previous one).
    ///
    /// # Errors
    /// 403 without `sales.write` and `sales.read`; 422 naming the field.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn save_sales_import_mapping(
        &self,
        p: Principal,
        mapping: SalesMapping,
    ) -> Result<SavedMapping, AppError> {
        p.require(Permission::SalesWrite)?;
        p.require(Permission::SalesRead)?;
        mapping.validate()?;
        let json = serde_json::to_string(&mapping)
            .map_err(|e| AppError::Internal(format!("mapping: {e}")))?;
        let now = Utc::now();
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::SalesMappingSaved,
            move |tx| {
                Box::pin(async move {
                    tx.put_import_mapping(&json, now)
                        .await
                        .map_err(AppError::from)
                })
            },
        )
        .await?;
        Ok(SavedMapping {
            saved: true,
            mapping,
        })
    }

    /// Imports (or, with `req.dry_run`, reads without writing) a POS export into a location
    /// the person may work at; see [`App::import_sales_with`].
    ///
    /// # Errors
    /// 403 without `sales.write` and `sales.read`; 404 on the location (one outside a limited
    /// member's included); as [`App::import_sales_with`].
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn import_sales_for(
        &self,
        p: Principal,
        target: ImportTarget,
        req: ImportRequest,
    ) -> Result<ImportReport, AppError> {
        may_import(&p)?;
        let source = larder_core::Code::parse(&target.source)
            .map_err(|e| AppError::invalid("source", e.to_string()))?
            .into_string();
        if source == "api" {
            return Err(AppError::invalid(
                "source",
                "'api' is the source of sales posted one by one; name the POS",
            ));
        }
        if source == crate::kitchen::stock::SALE_SOURCE {
            return Err(AppError::invalid(
                "source",
                "'kitchen' is the source of the sales Larder's own orders make; name the POS",
            ));
        }
        let location = target.location_id;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(
                async move { crate::tenancy::require_location(tx, p.locations, location).await },
            )
        })
        .await?;
        self.import_sales_with(p.tenant_id, location, &source, req)
            .await
    }

    /// Maps a name the POS sells to a menu item: sales imported or posted from now on under
    /// that name deplete its recipe, and the lines already recorded under it without a menu
    /// item are mapped to it and depleted now, once each (each line's late mapping is kept
    /// under the line's key), with the versions in force when each sale happened (ADR 023).
    /// Mapping the name again, or to another menu item, maps no past line twice.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 422 on `menu_item_id` (not a menu item of the tenant), on
    /// `name` when it is a menu item's own name or when more than
    /// [`crate::corrections::MAX_REDEPLETED_SALES`] past sales named it.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn map_sold_name(
        &self,
        p: Principal,
        cmd: SaleAliasCommand,
    ) -> Result<SaleAlias, AppError> {
        p.require(Permission::RecipesWrite)?;
        let now = Utc::now();
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::SoldNameMapped,
            move |tx| {
                Box::pin(async move {
                    let book = crate::menu::Book::load(tx).await?;
                    let item = book
                        .menu_items
                        .get(&cmd.menu_item_id)
                        .ok_or_else(|| AppError::invalid("menu_item_id", "no such menu item"))?;
                    let key = name_key(cmd.name.as_str());
                    if let Some(own) = book.menu_items.values().find(|m| name_key(&m.name) == key) {
                        return Err(AppError::invalid(
                            "name",
                            format!("is the menu item '{}' itself", own.name),
                        ));
                    }
                    let row = SaleAliasRow {
                        name_key: key.clone(),
                        item_name: cmd.name.as_str().to_owned(),
                        menu_item_id: item.id,
                        created_at: now,
                    };
                    let (item_id, item_name) = (item.id, item.name.clone());
                    tx.put_sale_alias(&row).await?;
                    let late =
                        crate::corrections::map_late(tx, &key, item_id, p.user_id, now).await?;
                    Ok(SaleAlias {
                        name: row.item_name,
                        menu_item_id: item_id,
                        menu_item: item_name,
                        created_at: now,
                        past_lines_mapped: late.lines,
                        past_sales_depleted: late.sales,
                        correction: Some(late.redepletion),
                    })
                })
            },
        )
        .await
    }

    /// The tenant's POS aliases, by name.
    ///
    /// # Errors
    /// 403 without `recipes.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_sale_aliases(&self, p: Principal) -> Result<Vec<SaleAlias>, AppError> {
        p.require(Permission::RecipesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, |tx| {
            Box::pin(async move {
                let book = crate::menu::Book::load(tx).await?;
                Ok(tx
                    .list_sale_aliases()
                    .await?
                    .into_iter()
                    .map(|a| SaleAlias {
                        menu_item: book.item_name_of_menu(a.menu_item_id),
                        name: a.item_name,
                        menu_item_id: a.menu_item_id,
                        created_at: a.created_at,
                        past_lines_mapped: 0,
                        past_sales_depleted: 0,
                        correction: None,
                    })
                    .collect())
            })
        })
        .await
    }
}

/// The stored mapping document, or the generic mapping.
fn read_saved(raw: Option<String>) -> Result<SavedMapping, AppError> {
    Ok(match raw {
        Some(json) => SavedMapping {
            saved: true,
            mapping: serde_json::from_str(&json).map_err(|e| {
                AppError::Internal(format!("the saved import mapping does not read: {e}"))
            })?,
        },
        None => SavedMapping {
            saved: false,
            mapping: SalesMapping::default(),
        },
    })
}

impl crate::menu::Book {
    /// A menu item's name (empty when it is not in the book).
    fn item_name_of_menu(&self, id: MenuItemId) -> String {
        self.menu_items
            .get(&id)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    }
}
