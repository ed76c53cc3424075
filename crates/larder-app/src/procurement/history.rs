//! procurement: purchasing recorded after the fact (ADR 015). An order placed outside Larder
//! (by phone, before the tenant used Larder, or replayed from a history such as the demo's) is
//! recorded as it happened: planned at the instant it was placed (prices in force then, the
//! supplier's next delivery from that day), and moved through submitted, approved and sent at
//! that instant, each move an event saying it was recorded later. Nothing is rendered (it was
//! sent outside Larder). Its deliveries are then received with goods receipts dated when they
//! arrived. Needs `purchase_orders.write`, and `purchase_orders.approve` above the tenant's
//! approval threshold, as a live order does.

use chrono::{DateTime, Utc};
use larder_core::PurchaseOrderId;
use larder_core::auth::Permission;
use larder_core::procurement::purchase_orders::{self as rules, PoStatus};
use larder_store::{PurchaseOrderRow, PurchaseOrderStatusChange};
use serde::{Deserialize, Serialize};

use super::purchase_orders::{
    PurchaseOrder, PurchaseOrderCommand, check_shape, plan, tenant_zone, view,
};
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::{App, AppError, Principal};

/// An order placed at `ordered_at`, recorded now.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PastOrderCommand {
    /// The order as it was placed (`expected_delivery` absent: the supplier's next order day
    /// from the day it was placed, plus its lead time).
    pub order: PurchaseOrderCommand,
    /// When it was placed: not in the future.
    pub ordered_at: DateTime<Utc>,
}

impl App {
    /// Records an order placed at `ordered_at`: numbered next, planned at that instant, and
    /// sent at it (events dated then, noting they were recorded later). Retried with its key,
    /// it is recorded once.
    ///
    /// # Errors
    /// As [`App::create_purchase_order`]; 403 without `purchase_orders.approve` above the
    /// approval threshold; 422 on `ordered_at` in the future.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn record_past_order(
        &self,
        p: Principal,
        cmd: PastOrderCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<PurchaseOrder>, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        check_shape(&cmd.order)?;
        let now = Utc::now();
        if cmd.ordered_at > now {
            return Err(AppError::invalid("ordered_at", "must not be in the future"));
        }
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::PastOrderRecorded,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    let at = c.ordered_at;
                    let planned = plan(tx, &p, &c.order, at).await?;
                    let (_, threshold, _) = tenant_zone(tx).await?;
                    let tenant_currency = tx
                        .get_tenant()
                        .await?
                        .map(|t| t.currency)
                        .unwrap_or_default();
                    if rules::approval_needs_scope(
                        planned.total,
                        threshold,
                        planned.supplier.currency == tenant_currency,
                    ) {
                        p.require(Permission::PurchaseOrdersApprove)?;
                    }
                    let number = tx.next_purchase_order_number().await?;
                    let mut row = PurchaseOrderRow {
                        id: PurchaseOrderId::new(),
                        number,
                        supplier_id: planned.supplier.id,
                        location_id: c.order.location_id,
                        status: PoStatus::Draft,
                        currency: planned.supplier.currency.clone(),
                        expected_delivery: planned.expected_delivery,
                        note: planned.note.clone(),
                        total: planned.total,
                        version: 1,
                        created_by: p.user_id,
                        created_at: now,
                    };
                    tx.insert_purchase_order(&row, &planned.lines).await?;
                    for to in [PoStatus::Submitted, PoStatus::Approved, PoStatus::Sent] {
                        tx.set_purchase_order_status(&PurchaseOrderStatusChange {
                            id: row.id,
                            from: row.status,
                            to,
                            expected_version: row.version,
                            actor: p.user_id,
                            at,
                            note: Some("recorded after the fact".into()),
                        })
                        .await?;
                        row.status = to;
                        row.version += 1;
                    }
                    view(tx, row).await
                })
            },
        )
        .await
    }
}
