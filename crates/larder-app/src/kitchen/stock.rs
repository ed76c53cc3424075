//! kitchen: what an order takes from stock. When an order is made ready (its last task done)
//! its items are depleted through their recipes exactly as a POS sale is: one sale of source
//! `kitchen`, whose id is the order's, through the sales depletion (`sales::Depleter`), so a
//! second completion (after a recall) finds the sale and depletes nothing more. Cancelling
//! an order that was depleted reverses each of its sale movements that is still live (the
//! reversal a sales correction posts: same kind, opposite quantity, naming it); the sale row
//! stays as the record of what was sold and taken back, and a later sales correction skips it
//! ([`is_given_back`]). The sale has no `external_ref` (its id is the order's), and a POS
//! import may not use the source `kitchen`.

use chrono::{DateTime, Utc};
use larder_core::kitchen::OrderStatus;
use larder_core::{OrderId, Quantity, SaleId, UserId};
use larder_store::{KitchenOrderLineRow, KitchenOrderRow, SaleLineRow, SaleRow, TenantTx};

use crate::AppError;
use crate::menu::Book;
use crate::sales::{Depleter, write_sales};

/// The source of the sales orders make.
pub const SALE_SOURCE: &str = "kitchen";

/// The sale an order makes: its id is the order's.
pub(crate) fn sale_id(order: &KitchenOrderRow) -> SaleId {
    SaleId::from_uuid(order.id.as_uuid())
}

/// Depletes an order's items at `now`, once (module doc). Whether it depleted now.
///
/// # Errors
/// 422 when a depletion overflows; storage errors.
pub(crate) async fn deplete(
    tx: &mut dyn TenantTx,
    order: &KitchenOrderRow,
    lines: &[KitchenOrderLineRow],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let id = sale_id(order);
    if lines.is_empty() || tx.get_sale(id).await?.is_some() {
        return Ok(false);
    }
    let book = Book::load_with_history(tx).await?;
    let depleter = Depleter::new(&book)?;
    let sale = SaleRow {
        id,
        location_id: order.location_id,
        source: SALE_SOURCE.to_owned(),
        // The sale's id is the order's: no reference a POS import could collide with.
        external_ref: None,
        occurred_at: now,
        recorded_at: now,
        lines: lines
            .iter()
            .map(|l| {
                Ok(SaleLineRow {
                    line_no: i32::try_from(l.line_no).unwrap_or(i32::MAX),
                    menu_item_id: Some(l.menu_item_id),
                    item_name: l.item_name.clone(),
                    quantity: Quantity::from_raw(l.quantity.checked_mul(1000).ok_or_else(
                        || AppError::invalid("quantity", "the quantity is out of range"),
                    )?),
                    unit_price: l.unit_price,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?,
    };
    let prepared = depleter.prepare_recorded(sale, by)?;
    write_sales(tx, std::slice::from_ref(&prepared)).await?;
    Ok(true)
}

/// Whether `sale` is a cancelled kitchen order's, whose depletion was given back: a sales
/// correction (a recipe or menu edit dated before it) must not deplete it again.
///
/// # Errors
/// Storage errors.
pub(crate) async fn is_given_back(tx: &mut dyn TenantTx, sale: &SaleRow) -> Result<bool, AppError> {
    if sale.source != SALE_SOURCE {
        return Ok(false);
    }
    let order = tx
        .get_kitchen_order(OrderId::from_uuid(sale.id.as_uuid()))
        .await?;
    Ok(order.is_some_and(|o| o.status == OrderStatus::Cancelled))
}

/// Reverses what a cancelled order depleted (module doc). How many movements it reversed.
///
/// # Errors
/// 422 when a reversal overflows; storage errors.
pub(crate) async fn reverse(
    tx: &mut dyn TenantTx,
    order: &KitchenOrderRow,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let id = sale_id(order);
    if tx.get_sale(id).await?.is_none() {
        return Ok(0);
    }
    let live = tx.live_sale_movements(id).await?;
    let reversals = live
        .iter()
        .map(|m| {
            crate::corrections::reversal_of(m, by, now)
                .ok_or_else(|| AppError::invalid("quantity", "a reversal overflows"))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    if !reversals.is_empty() {
        crate::events::append_movements(tx, &reversals).await?;
    }
    Ok(reversals.len())
}
