//! sales depletion: what a sale takes out of stock. Each line whose menu item has a recipe
//! takes that recipe's ingredients out through the ledger (kind `sale`), in the sale's own
//! transaction; lines that map to no recipe are kept and reported by name, never dropped.
//!
//! Usage is summed exactly per ticket and ingredient and rounded once (half to even), so one
//! ticket writes at most one movement per ingredient.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use larder_core::inventory::MovementKind;
use larder_core::menu::{self, Usage};
use larder_core::{ItemId, MenuItemId, Money, MovementId};
use larder_store::prelude::*;
use larder_store::{Costing, MenuItemRow, MovementRow, SaleRow};

use crate::AppError;
use crate::menu::Book;

/// Per-sale usage of each menu item (`None`: no recipe), for one period of the book.
type UsageMap = HashMap<MenuItemId, Option<Usage>>;

/// Maps sold names to menu items and menu items to exact usage per sale, with the recipe
/// and menu item versions in force when each sale happened (when the book was loaded with
/// its history; ADR 023).
pub struct Depleter<'b> {
    book: &'b Book,
    by_name: HashMap<String, MenuItemId>,
    /// Usage with the versions in force now.
    pub(crate) usage: Arc<UsageMap>,
    /// Usage in earlier periods of the history, worked out when a sale first needs one.
    past: Mutex<HashMap<usize, Arc<UsageMap>>>,
}

/// The key a sold name is matched on: trimmed, lowercased, inner whitespace collapsed.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A sale ready to write, with the movements it causes.
pub struct PreparedSale {
    /// The sale.
    pub sale: SaleRow,
    /// Its depletion (one movement per ingredient).
    pub movements: Vec<MovementRow>,
    /// Lines whose menu item has a recipe.
    pub lines_depleted: usize,
    /// Names of lines without a recipe, one per line.
    pub unmapped: Vec<String>,
}

impl<'b> Depleter<'b> {
    /// Builds the name index and per-sale usage of every menu item in `book`.
    ///
    /// # Errors
    /// 422 when a menu item's recipe cannot be exploded.
    pub fn new(book: &'b Book) -> Result<Self, AppError> {
        let by_name = book
            .menu_items
            .values()
            .map(|m| (name_key(&m.name), m.id))
            .collect();
        Ok(Self {
            book,
            by_name,
            usage: Arc::new(book.current_usage()?),
            past: Mutex::new(HashMap::new()),
        })
    }

    /// Per-sale usage of each menu item with the versions in force at `at`.
    ///
    /// # Errors
    /// 422 when a version in force then cannot be exploded.
    pub fn usage_at(&self, at: DateTime<Utc>) -> Result<Arc<UsageMap>, AppError> {
        let Some(h) = &self.book.history else {
            return Ok(Arc::clone(&self.usage));
        };
        let epoch = h.epoch_of(at);
        if epoch + 1 >= h.epochs() {
            return Ok(Arc::clone(&self.usage));
        }
        let mut past = self
            .past
            .lock()
            .map_err(|_| AppError::Internal("the depletion cache is poisoned".into()))?;
        if let Some(u) = past.get(&epoch) {
            return Ok(Arc::clone(u));
        }
        let u = Arc::new(self.book.usage_in_epoch(epoch)?);
        past.insert(epoch, Arc::clone(&u));
        Ok(u)
    }

    /// A menu item's price in force at `at`.
    pub fn price_at(&self, id: MenuItemId, at: DateTime<Utc>) -> Option<Money> {
        self.book.price_at(id, at)
    }

    /// Adds the tenant's POS aliases (names mapped by hand to a menu item). A menu item's own
    /// name wins over an alias with the same key; an alias of a menu item not in the book is
    /// passed over.
    #[must_use]
    pub fn with_aliases(mut self, aliases: &[larder_store::SaleAliasRow]) -> Self {
        for a in aliases {
            if self.book.menu_items.contains_key(&a.menu_item_id) {
                self.by_name
                    .entry(a.name_key.clone())
                    .or_insert(a.menu_item_id);
            }
        }
        self
    }

    /// The menu item sold under `name`, if any.
    pub fn menu_item(&self, name: &str) -> Option<&MenuItemRow> {
        self.by_name
            .get(&name_key(name))
            .and_then(|id| self.book.menu_items.get(id))
    }

    /// Fills in each line's menu item (by name when not given) and computes the depletion.
    ///
    /// # Errors
    /// 422 on arithmetic overflow.
    pub fn prepare(
        &self,
        sale: SaleRow,
        recorded_by: Option<larder_core::UserId>,
    ) -> Result<PreparedSale, AppError> {
        self.prepare_with(sale, recorded_by, true)
    }

    /// The depletion of a sale as recorded: its lines' menu items as stored (a line without
    /// one stays unmapped: mapping it is a late mapping, recorded once), with the versions in
    /// force when it happened. What a correction compares with the sale's live movements.
    ///
    /// # Errors
    /// 422 on arithmetic overflow.
    pub fn prepare_recorded(
        &self,
        sale: SaleRow,
        recorded_by: Option<larder_core::UserId>,
    ) -> Result<PreparedSale, AppError> {
        self.prepare_with(sale, recorded_by, false)
    }

    fn prepare_with(
        &self,
        mut sale: SaleRow,
        recorded_by: Option<larder_core::UserId>,
        map_names: bool,
    ) -> Result<PreparedSale, AppError> {
        let usage = self.usage_at(sale.occurred_at)?;
        let mut total = Usage::new();
        let mut lines_depleted = 0;
        let mut unmapped = Vec::new();
        for line in &mut sale.lines {
            if map_names && line.menu_item_id.is_none() {
                line.menu_item_id = self.by_name.get(&name_key(&line.item_name)).copied();
            }
            match line
                .menu_item_id
                .and_then(|m| usage.get(&m))
                .and_then(Option::as_ref)
            {
                Some(u) => {
                    menu::accumulate(&mut total, u, line.quantity)
                        .ok_or_else(|| AppError::invalid("quantity", "depletion overflows"))?;
                    lines_depleted += 1;
                }
                None => unmapped.push(line.item_name.clone()),
            }
        }
        let quantities = menu::to_quantities(&total)
            .ok_or_else(|| AppError::invalid("quantity", "depletion overflows"))?;
        let movements = quantities
            .into_iter()
            .filter_map(|(item_id, q)| {
                q.checked_neg().map(|neg| MovementRow {
                    id: MovementId::new(),
                    item_id,
                    location_id: sale.location_id,
                    kind: MovementKind::Sale,
                    quantity: neg,
                    unit_cost: self.book_cost(item_id),
                    reason: None,
                    sale_id: Some(sale.id),
                    created_by: recorded_by,
                    reverses: None,
                    occurred_at: sale.occurred_at,
                    recorded_at: sale.recorded_at,
                    lot: None,
                    costing: Costing::default(),
                })
            })
            .collect();
        Ok(PreparedSale {
            sale,
            movements,
            lines_depleted,
            unmapped,
        })
    }

    fn book_cost(&self, item: ItemId) -> Option<Money> {
        self.book.unit_cost(item)
    }
}

impl Book {
    /// An item's current cost per base unit.
    pub fn unit_cost(&self, item: ItemId) -> Option<Money> {
        self.costs_get(item)
    }
}

/// Writes prepared sales and their movements: the caller's transaction makes them atomic.
///
/// # Errors
/// Storage errors (409 on `external_ref` for a ticket already stored).
pub async fn write_sales(
    tx: &mut dyn TenantTx,
    prepared: &[PreparedSale],
) -> Result<usize, AppError> {
    let sales: Vec<SaleRow> = prepared.iter().map(|p| p.sale.clone()).collect();
    tx.insert_sales(&sales).await?;
    let movements: Vec<MovementRow> = prepared
        .iter()
        .flat_map(|p| p.movements.iter().cloned())
        .collect();
    crate::events::append_movements(tx, &movements).await?;
    Ok(movements.len())
}
