//! sales: POS sales (tickets) recorded through the API or imported from a POS export, and
//! the theoretical depletion of their recipes' ingredients ([`depletion`]); imports in
//! [`import`].

pub mod depletion;
pub mod import;
pub mod mapping;
pub mod pos;

use chrono::{DateTime, Duration, Utc};
use larder_core::auth::Permission;
use larder_core::{Code, ItemId, LocationId, MenuItemId, Money, Name, Quantity, SaleId};
use larder_store::{Mode, MovementRow, SaleLineRow, SaleRow, run_tenant};
use serde::{Deserialize, Serialize};

use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::menu::Book;
use crate::page::{self, Page};
use crate::{App, AppError, Principal};
pub use depletion::{Depleter, PreparedSale, name_key, write_sales};
pub use import::{ImportMode, ImportReport, ImportRequest, Opener, RowError, UnmappedName};
pub use mapping::{Preset, SalesMapping, SizeMode, TicketsFileMapping, presets};
pub use pos::{ImportTarget, SaleAlias, SaleAliasCommand, SavedMapping, may_import};

/// Sales' constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[("sales_external_ref", "external_ref")]);

/// One line of a sale command: a menu item by id, or a name as the POS printed it.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleLineCommand {
    /// The menu item.
    pub menu_item_id: Option<MenuItemId>,
    /// Or the name sold (matched case-insensitively; kept unmapped when nothing matches).
    pub name: Option<Name>,
    /// Count sold, positive.
    pub quantity: Quantity,
    /// Price of one (default: the menu item's price, else 0).
    pub unit_price: Option<Money>,
}

/// Post a sale.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleCommand {
    /// Where it was sold.
    pub location_id: LocationId,
    /// When (default now); not more than 5 minutes in the future.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The POS ticket number, unique per tenant for API sales.
    pub external_ref: Option<Code>,
    /// 1..=500 lines.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<SaleLineCommand>,
}

/// A depleted ingredient of a sale.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Depletion {
    /// Item.
    pub item_id: ItemId,
    /// Removed from on hand (positive), base unit.
    pub quantity: Quantity,
}

/// A sale line as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SaleLine {
    /// Position.
    pub line_no: i32,
    /// Menu item, when the name mapped.
    pub menu_item_id: Option<MenuItemId>,
    /// Name as sold.
    pub item_name: String,
    /// Count.
    pub quantity: Quantity,
    /// Price of one.
    pub unit_price: Money,
}

/// A sale as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sale {
    /// Id.
    pub id: SaleId,
    /// Location.
    pub location_id: LocationId,
    /// `api` or `csv`.
    pub source: String,
    /// Ticket number.
    pub external_ref: Option<String>,
    /// When sold.
    pub occurred_at: DateTime<Utc>,
    /// Lines.
    pub lines: Vec<SaleLine>,
    /// Sum of quantity x unit price, rounded half to even.
    pub total: Money,
    /// Names of lines that map to no recipe (recorded, not depleted).
    pub unmapped: Vec<String>,
    /// What the sale took out of stock (present on the answer to a post).
    #[serde(default)]
    pub depletions: Vec<Depletion>,
}

/// Sum of quantity x unit price over `lines`, rounded half to even once; `None` beyond
/// [`Money`]'s range (a write refuses such a sale, so a stored one always has a total).
fn sale_total<'l>(lines: impl Iterator<Item = (Quantity, Money)> + 'l) -> Option<Money> {
    let mut billionths: i128 = 0;
    for (q, price) in lines {
        billionths = billionths.checked_add(i128::from(q.raw()) * i128::from(price.raw()))?;
    }
    i64::try_from(larder_core::decimal::div_round_half_even(billionths, 1000))
        .ok()
        .and_then(Money::checked_from_raw)
}

fn sale_view(s: &SaleRow, book: Option<&Depleter<'_>>, movements: &[MovementRow]) -> Sale {
    let total =
        sale_total(s.lines.iter().map(|l| (l.quantity, l.unit_price))).unwrap_or(Money::MAX);
    let unmapped = s
        .lines
        .iter()
        .filter(|l| match (l.menu_item_id, book) {
            (None, _) => true,
            (Some(m), Some(d)) => d.usage.get(&m).is_none_or(Option::is_none),
            (Some(_), None) => false,
        })
        .map(|l| l.item_name.clone())
        .collect();
    Sale {
        id: s.id,
        location_id: s.location_id,
        source: s.source.clone(),
        external_ref: s.external_ref.clone(),
        occurred_at: s.occurred_at,
        lines: s
            .lines
            .iter()
            .map(|l| SaleLine {
                line_no: l.line_no,
                menu_item_id: l.menu_item_id,
                item_name: l.item_name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
            .collect(),
        total,
        unmapped,
        depletions: movements
            .iter()
            .map(|m| Depletion {
                item_id: m.item_id,
                quantity: Quantity::from_raw(-m.quantity.raw()),
            })
            .collect(),
    }
}

impl App {
    /// Records a sale and depletes its recipes' ingredients in one transaction.
    ///
    /// # Errors
    /// 403 without `sales.write`; 422 naming the line and field; 404 on the location (one
    /// outside a limited member's included); 409 on `external_ref`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn post_sale(
        &self,
        p: Principal,
        cmd: SaleCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Sale>, AppError> {
        p.require(Permission::SalesWrite)?;
        let now = Utc::now();
        let occurred_at = cmd.occurred_at.unwrap_or(now);
        if occurred_at > now + Duration::minutes(5) {
            return Err(AppError::invalid(
                "occurred_at",
                "must not be in the future",
            ));
        }
        if cmd.lines.is_empty() || cmd.lines.len() > 500 {
            return Err(AppError::invalid("lines", "must have 1 to 500 lines"));
        }
        let external_ref = cmd.external_ref.clone().map(Code::into_string);
        for (i, l) in cmd.lines.iter().enumerate() {
            if l.quantity.raw() <= 0 {
                return Err(AppError::invalid(
                    format!("lines[{i}].quantity"),
                    "must be positive",
                ));
            }
            if l.unit_price.is_some_and(Money::is_negative) {
                return Err(AppError::invalid(
                    format!("lines[{i}].unit_price"),
                    "must not be negative",
                ));
            }
            if l.menu_item_id.is_none() && l.name.is_none() {
                return Err(AppError::invalid(
                    format!("lines[{i}].name"),
                    "give menu_item_id or name",
                ));
            }
        }
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::SaleRecorded,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    crate::tenancy::require_location(tx, p.locations, c.location_id).await?;
                    tx.get_location(c.location_id)
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                    let book = Book::load_with_history(tx).await?;
                    let aliases = tx.list_sale_aliases().await?;
                    let depleter = Depleter::new(&book)?.with_aliases(&aliases);
                    let mut lines = Vec::with_capacity(c.lines.len());
                    for (i, l) in c.lines.iter().enumerate() {
                        let menu = match l.menu_item_id {
                            Some(id) => Some(book.menu_items.get(&id).ok_or_else(|| {
                                AppError::invalid(
                                    format!("lines[{i}].menu_item_id"),
                                    "no such menu item",
                                )
                            })?),
                            None => depleter.menu_item(l.name.as_ref().map_or("", Name::as_str)),
                        };
                        lines.push(SaleLineRow {
                            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
                            menu_item_id: menu.map(|m| m.id),
                            item_name: menu.map_or_else(
                                || l.name.clone().map(Name::into_string).unwrap_or_default(),
                                |m| m.name.clone(),
                            ),
                            quantity: l.quantity,
                            unit_price: l
                                .unit_price
                                .or(menu.and_then(|m| depleter.price_at(m.id, occurred_at)))
                                .unwrap_or(Money::ZERO),
                        });
                    }
                    if sale_total(lines.iter().map(|l| (l.quantity, l.unit_price))).is_none() {
                        return Err(AppError::invalid(
                            "lines",
                            "the sale's total is beyond the largest amount (999999999999.999999)",
                        ));
                    }
                    let sale = SaleRow {
                        id: SaleId::new(),
                        location_id: c.location_id,
                        source: "api".into(),
                        external_ref,
                        occurred_at,
                        recorded_at: now,
                        lines,
                    };
                    let prepared = depleter.prepare(sale, Some(p.user_id))?;
                    write_sales(tx, std::slice::from_ref(&prepared)).await?;
                    Ok(sale_view(
                        &prepared.sale,
                        Some(&depleter),
                        &prepared.movements,
                    ))
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// One sale.
    ///
    /// # Errors
    /// 403 without `sales.read`; 404 (a sale at a location outside a limited member's
    /// included).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_sale(&self, p: Principal, id: SaleId) -> Result<Sale, AppError> {
        p.require(Permission::SalesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let s = tx.get_sale(id).await?.ok_or(AppError::NotFound("sale"))?;
                crate::tenancy::require_location(tx, p.locations, s.location_id)
                    .await
                    .map_err(|_| AppError::NotFound("sale"))?;
                let book = Book::load(tx).await?;
                let d = Depleter::new(&book)?;
                Ok(sale_view(&s, Some(&d), &[]))
            })
        })
        .await
    }

    /// Sales, newest first; a limited member's locations only.
    ///
    /// # Errors
    /// 403 without `sales.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_sales(
        &self,
        p: Principal,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<Sale>, AppError> {
        p.require(Permission::SalesRead)?;
        let limit = page::limit(limit)?;
        let before = match &cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                let at = DateTime::parse_from_rfc3339(&parts[0])
                    .map_err(|_| AppError::invalid("cursor", "is not a valid cursor"))?;
                Some((at.with_timezone(&Utc), page::id::<SaleId>(&parts[1])?))
            }
            None => None,
        };
        let filter = larder_store::SaleFilter {
            from: None,
            to: None,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let sales = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_sales(&filter).await?;
                let book = Book::load(tx).await?;
                let d = Depleter::new(&book)?;
                Ok::<_, AppError>(
                    rows.iter()
                        .map(|s| sale_view(s, Some(&d), &[]))
                        .collect::<Vec<_>>(),
                )
            })
        })
        .await?;
        Ok(page::page(sales, limit, |s: &Sale| {
            page::encode(&[&s.occurred_at.to_rfc3339(), &s.id.to_string()])
        }))
    }

    /// Sale lines that map to no menu item, by name; a limited member's locations only.
    ///
    /// # Errors
    /// 403 without `sales.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn unmapped_sales(
        &self,
        p: Principal,
    ) -> Result<Vec<larder_store::UnmappedRow>, AppError> {
        p.require(Permission::SalesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.unmapped_sales(p.locations).await.map_err(AppError::from) })
        })
        .await
    }
}
