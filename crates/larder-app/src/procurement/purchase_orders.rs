//! procurement: purchase orders (issue 8, part 2; ADR 013). A PO orders whole packs of one
//! supplier's items for one location; it is edited (`If-Match`) only as a draft, then
//! submitted, approved (above the tenant's approval threshold only with
//! `purchase_orders.approve`), sent (its PDF and CSV rendered and kept), and later received by
//! goods receipts, cancelled, or closed short. Every change of status is an event with who and
//! when. Reading needs `purchase_orders.read`, everything else `purchase_orders.write`; a
//! member limited to some locations sees and orders only for those.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use larder_core::auth::Permission;
use larder_core::procurement::purchase_orders::{self as rules, PoAction, PoStatus};
use larder_core::procurement::{OrderDays, PackLevel};
use larder_core::{
    ItemId, LocationId, Money, Note, PurchaseOrderId, Quantity, SupplierId, SupplierItemId, UserId,
};
use larder_store::{
    Mode, PurchaseOrderDocumentRow, PurchaseOrderFilter, PurchaseOrderLineRow, PurchaseOrderRow,
    PurchaseOrderStatusChange, StoreError, SupplierRow, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use super::po_documents::{OrderDocument, OrderDocumentLine, render_csv, render_pdf};
use super::price_at;
use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Purchase orders' constraints, by the field clients write.
pub(super) const CONFLICTS: Conflicts = Conflicts(&[
    ("purchase_orders_number", "number"),
    ("purchase_order_documents_kind", "status"),
]);

/// One line to order: whole packs of a supplier item.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderLineCommand {
    /// A supplier item of the order's supplier whose item is not retired.
    pub supplier_item_id: SupplierItemId,
    /// Whole packs, at least the supplier item's minimum order (`moq_packs`).
    #[schema(minimum = 1, maximum = 1000000)]
    pub packs: i32,
    /// Price of one pack, not negative; default the supplier item's price in force now.
    pub price_per_pack: Option<Money>,
}

/// Create a purchase order, or (with `PUT`, as a draft) replace its header and lines.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderCommand {
    /// An active supplier; the order is in its currency.
    pub supplier_id: SupplierId,
    /// Where it is delivered (one of a limited member's locations).
    pub location_id: LocationId,
    /// When it should arrive (`YYYY-MM-DD`, today to a year ahead); default the supplier's next
    /// order day from today plus its lead time.
    pub expected_delivery: Option<NaiveDate>,
    /// A note for the supplier.
    pub note: Option<Note>,
    /// 1 to 200 lines.
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<PurchaseOrderLineCommand>,
}

/// Why a purchase order is cancelled or closed short.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderReason {
    /// Kept on the event.
    pub reason: Note,
}

/// A document a purchase order is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// The PDF for a person.
    Pdf,
    /// The CSV for an order import.
    Csv,
}

impl DocumentKind {
    /// The stored spelling and file extension.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Csv => "csv",
        }
    }
}

/// A line of a purchase order as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseOrderLine {
    /// 1, 2, ...
    pub line_no: i32,
    /// What is ordered.
    pub supplier_item_id: SupplierItemId,
    /// The supplier's code.
    pub supplier_sku: String,
    /// The supplier's description.
    pub description: Option<String>,
    /// The tenant's item.
    pub item_id: ItemId,
    /// The item's name.
    pub item_name: String,
    /// One pack as the supplier describes it (`case of 6 × bag 1 kg`).
    pub pack: String,
    /// Packs ordered.
    pub packs: i32,
    /// One pack in the item's base unit.
    pub pack_quantity: Quantity,
    /// `packs` x `pack_quantity`, in the item's base unit (exact).
    pub quantity: Quantity,
    /// Price of one pack.
    pub price_per_pack: Money,
    /// `packs` x `price_per_pack`.
    pub line_total: Money,
    /// Received so far by goods receipts, in the item's base unit.
    pub received_quantity: Quantity,
}

/// A change of a purchase order's status.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseOrderEvent {
    /// Before (`null` when it was created).
    pub from_status: Option<PoStatus>,
    /// After.
    pub to_status: PoStatus,
    /// Who.
    pub actor: UserId,
    /// Their name, while they are a member.
    pub actor_name: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Why (a cancellation's or short close's reason).
    pub note: Option<String>,
}

/// A purchase order with its lines and history.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseOrder {
    /// Id.
    pub id: PurchaseOrderId,
    /// `PO-000001`, sequential in the tenant.
    pub number: String,
    /// The supplier.
    pub supplier_id: SupplierId,
    /// Its name.
    pub supplier_name: String,
    /// Where it is delivered.
    pub location_id: LocationId,
    /// Its name.
    pub location_name: String,
    /// Where it is in its life.
    pub status: PoStatus,
    /// ISO 4217 code of its prices (the supplier's).
    pub currency: String,
    /// When it should arrive.
    pub expected_delivery: NaiveDate,
    /// A note for the supplier.
    pub note: Option<String>,
    /// The sum of the line totals.
    pub total: Money,
    /// The lines.
    pub lines: Vec<PurchaseOrderLine>,
    /// Every change of status, oldest first.
    pub events: Vec<PurchaseOrderEvent>,
    /// What may be done next given its status (approving may still need
    /// `purchase_orders.approve`).
    pub actions: Vec<PoAction>,
    /// The documents it was sent as (`pdf`, `csv`; none before it is sent).
    pub documents: Vec<DocumentKind>,
    /// For `If-Match`.
    pub version: i64,
    /// Who created it.
    pub created_by: UserId,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A purchase order in a list.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseOrderSummary {
    /// Id.
    pub id: PurchaseOrderId,
    /// `PO-000001`.
    pub number: String,
    /// The supplier.
    pub supplier_id: SupplierId,
    /// Its name.
    pub supplier_name: String,
    /// Where it is delivered.
    pub location_id: LocationId,
    /// Its name.
    pub location_name: String,
    /// Where it is in its life.
    pub status: PoStatus,
    /// ISO 4217 code.
    pub currency: String,
    /// When it should arrive.
    pub expected_delivery: NaiveDate,
    /// The sum of the line totals.
    pub total: Money,
    /// For `If-Match`.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Listing purchase orders, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderQuery {
    /// In this status.
    pub status: Option<PoStatus>,
    /// Of this supplier.
    pub supplier_id: Option<SupplierId>,
    /// Delivered to this location.
    pub location_id: Option<LocationId>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// A rendered document of a purchase order.
#[derive(Clone, Debug)]
pub struct PurchaseOrderDocument {
    /// Its media type.
    pub content_type: String,
    /// A file name (`PO-000001.pdf`).
    pub file_name: String,
    /// The bytes, as sent.
    pub body: Vec<u8>,
}

/// A pack as people read it: `case of 6 × bag 1 kg`.
pub fn pack_text(levels: &[PackLevel]) -> String {
    levels
        .iter()
        .map(|l| match l.unit {
            Some(u) => format!("{} {} {}", l.name, count(l.quantity), u),
            None => format!("{} of {}", l.name, count(l.quantity)),
        })
        .collect::<Vec<_>>()
        .join(" × ")
}

/// A quantity without trailing zeros (`6`, `2.5`).
fn count(q: Quantity) -> String {
    let s = q.to_string();
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The purchase order `id` as `p` may see it: 404 when absent, or at a location outside a
/// limited member's (as if it did not exist).
pub(super) async fn visible(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: PurchaseOrderId,
) -> Result<PurchaseOrderRow, AppError> {
    let po = tx
        .get_purchase_order(id)
        .await?
        .ok_or(AppError::NotFound("purchase order"))?;
    match crate::tenancy::require_location(tx, p.locations, po.location_id).await {
        Ok(()) => Ok(po),
        Err(AppError::NotFound(_)) => Err(AppError::NotFound("purchase order")),
        Err(e) => Err(e),
    }
}

/// The tenant's time zone, read in the transaction.
pub(super) async fn tenant_zone(
    tx: &mut dyn TenantTx,
) -> Result<(Tz, Option<Money>, String), AppError> {
    let t = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    let tz = t
        .time_zone
        .parse::<Tz>()
        .map_err(|_| AppError::Internal(format!("bad time zone {}", t.time_zone)))?;
    Ok((tz, t.approval_threshold, t.name))
}

/// A command's header and lines, checked against the supplier, its items and prices.
pub(super) struct Planned {
    pub(super) supplier: SupplierRow,
    pub(super) expected_delivery: NaiveDate,
    pub(super) note: Option<String>,
    pub(super) total: Money,
    pub(super) lines: Vec<PurchaseOrderLineRow>,
}

/// The checks that need no storage: 1 to 200 lines, packs in range, prices not negative.
pub(super) fn check_shape(cmd: &PurchaseOrderCommand) -> Result<(), AppError> {
    if cmd.lines.is_empty() || cmd.lines.len() > rules::MAX_LINES {
        return Err(AppError::invalid(
            "lines",
            format!("a purchase order has 1 to {} lines", rules::MAX_LINES),
        ));
    }
    for (i, l) in cmd.lines.iter().enumerate() {
        if !(1..=rules::MAX_LINE_PACKS).contains(&l.packs) {
            return Err(AppError::invalid(
                format!("lines[{i}].packs"),
                format!("must be 1 to {} whole packs", rules::MAX_LINE_PACKS),
            ));
        }
        if l.price_per_pack.is_some_and(Money::is_negative) {
            return Err(AppError::invalid(
                format!("lines[{i}].price_per_pack"),
                "must not be negative",
            ));
        }
    }
    Ok(())
}

/// Checks a command in the transaction: the location is the principal's, the supplier is the
/// tenant's and active, each line's supplier item is that supplier's, its item not retired,
/// its packs at least the minimum order, its price given or in force now; computes the
/// quantities and totals exactly, and the expected delivery when none is given.
pub(super) async fn plan(
    tx: &mut dyn TenantTx,
    p: &Principal,
    cmd: &PurchaseOrderCommand,
    now: DateTime<Utc>,
) -> Result<Planned, AppError> {
    crate::tenancy::require_location(tx, p.locations, cmd.location_id).await?;
    tx.get_location(cmd.location_id)
        .await?
        .ok_or(AppError::NotFound("location"))?;
    let supplier = tx
        .get_supplier(cmd.supplier_id)
        .await?
        .ok_or(AppError::NotFound("supplier"))?;
    if !supplier.active {
        return Err(AppError::invalid(
            "supplier_id",
            "the supplier is inactive: it is no longer ordered from",
        ));
    }
    let mut lines = Vec::with_capacity(cmd.lines.len());
    for (i, l) in cmd.lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        let si = tx
            .get_supplier_item(l.supplier_item_id)
            .await?
            .ok_or(AppError::NotFound("supplier item"))?;
        if si.supplier_id != supplier.id {
            return Err(AppError::invalid(
                field("supplier_item_id"),
                "is sold by another supplier",
            ));
        }
        let item = tx
            .get_item(si.item_id)
            .await?
            .ok_or(AppError::NotFound("item"))?;
        if item.retired_at.is_some() {
            return Err(AppError::invalid(
                field("supplier_item_id"),
                format!("its item {} is retired", item.name),
            ));
        }
        if l.packs < si.moq_packs {
            return Err(AppError::invalid(
                field("packs"),
                format!(
                    "is below the supplier's minimum order of {} packs",
                    si.moq_packs
                ),
            ));
        }
        let price_per_pack = match l.price_per_pack {
            Some(price) => price,
            None => price_at(&tx.supplier_prices(si.id).await?, now).ok_or_else(|| {
                AppError::invalid(
                    field("price_per_pack"),
                    "the supplier item has no price in force: give one",
                )
            })?,
        };
        let quantity = rules::line_quantity(l.packs, si.pack_quantity)
            .ok_or_else(|| AppError::invalid(field("packs"), "is beyond the largest quantity"))?;
        let line_total = rules::line_total(l.packs, price_per_pack).ok_or_else(|| {
            AppError::invalid(
                field("packs"),
                "makes a line total beyond the largest amount",
            )
        })?;
        lines.push(PurchaseOrderLineRow {
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            supplier_item_id: si.id,
            item_id: si.item_id,
            packs: l.packs,
            pack_quantity: si.pack_quantity,
            quantity,
            price_per_pack,
            line_total,
            received_quantity: Quantity::ZERO,
        });
    }
    let total = rules::order_total(lines.iter().map(|l| l.line_total))
        .ok_or_else(|| AppError::invalid("lines", "the total is beyond the largest amount"))?;
    let (tz, _, _) = tenant_zone(tx).await?;
    let today = now.with_timezone(&tz).date_naive();
    let expected_delivery = match cmd.expected_delivery {
        Some(d) if d < today => {
            return Err(AppError::invalid(
                "expected_delivery",
                "must not be in the past",
            ));
        }
        Some(d) if d > today + chrono::Days::new(366) => {
            return Err(AppError::invalid(
                "expected_delivery",
                "must be within a year from today",
            ));
        }
        Some(d) => d,
        None => {
            let days: Vec<&str> = supplier
                .order_days
                .split(',')
                .filter(|d| !d.is_empty())
                .collect();
            let days = OrderDays::parse(&days).unwrap_or_default();
            rules::expected_delivery(today, days, supplier.lead_time_days)
        }
    };
    Ok(Planned {
        supplier,
        expected_delivery,
        note: cmd.note.clone().map(Note::into_string),
        total,
        lines,
    })
}

/// A purchase order as shown: names, lines with their supplier items, events with names.
pub(super) async fn view(
    tx: &mut dyn TenantTx,
    row: PurchaseOrderRow,
) -> Result<PurchaseOrder, AppError> {
    let supplier_name = tx
        .get_supplier(row.supplier_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let location_name = tx
        .get_location(row.location_id)
        .await?
        .map(|l| l.name)
        .unwrap_or_default();
    let stored = tx.purchase_order_lines(row.id).await?;
    let any_received = stored.iter().any(|l| l.received_quantity > Quantity::ZERO);
    let mut lines = Vec::with_capacity(stored.len());
    for l in stored {
        let si = tx
            .get_supplier_item(l.supplier_item_id)
            .await?
            .ok_or_else(|| AppError::Internal("a PO line's supplier item is gone".into()))?;
        let item_name = tx
            .get_item(l.item_id)
            .await?
            .map(|i| i.name)
            .unwrap_or_default();
        let packs: Vec<PackLevel> = serde_json::from_str(&si.packs)
            .map_err(|e| AppError::Internal(format!("stored packs do not read: {e}")))?;
        lines.push(PurchaseOrderLine {
            line_no: l.line_no,
            supplier_item_id: l.supplier_item_id,
            supplier_sku: si.supplier_sku,
            description: si.description,
            item_id: l.item_id,
            item_name,
            pack: pack_text(&packs),
            packs: l.packs,
            pack_quantity: l.pack_quantity,
            quantity: l.quantity,
            price_per_pack: l.price_per_pack,
            line_total: l.line_total,
            received_quantity: l.received_quantity,
        });
    }
    let mut names: HashMap<UserId, Option<String>> = HashMap::new();
    let mut events = Vec::new();
    for e in tx.purchase_order_events(row.id).await? {
        let actor_name = match names.get(&e.actor) {
            Some(n) => n.clone(),
            None => {
                let n = tx.get_member(e.actor).await?.map(|m| m.name);
                names.insert(e.actor, n.clone());
                n
            }
        };
        events.push(PurchaseOrderEvent {
            from_status: e.from_status,
            to_status: e.to_status,
            actor: e.actor,
            actor_name,
            at: e.at,
            note: e.note,
        });
    }
    let documents = if events.iter().any(|e| e.to_status == PoStatus::Sent) {
        vec![DocumentKind::Pdf, DocumentKind::Csv]
    } else {
        Vec::new()
    };
    Ok(PurchaseOrder {
        id: row.id,
        number: rules::po_number(row.number),
        supplier_id: row.supplier_id,
        supplier_name,
        location_id: row.location_id,
        location_name,
        status: row.status,
        currency: row.currency,
        expected_delivery: row.expected_delivery,
        note: row.note,
        total: row.total,
        lines,
        events,
        actions: PoAction::ALL
            .into_iter()
            .filter(|a| a.apply(row.status, any_received).is_ok())
            .collect(),
        documents,
        version: row.version,
        created_by: row.created_by,
        created_at: row.created_at,
    })
}

/// Renders the documents a PO is sent as, from what it is now.
async fn render(
    tx: &mut dyn TenantTx,
    po: &PurchaseOrder,
    supplier: &SupplierRow,
    now: DateTime<Utc>,
) -> Result<Vec<PurchaseOrderDocumentRow>, AppError> {
    let (tz, _, tenant_name) = tenant_zone(tx).await?;
    let doc = OrderDocument {
        tenant_name,
        location_name: po.location_name.clone(),
        supplier_name: supplier.name.clone(),
        account_number: supplier.account_number.clone(),
        number: po.number.clone(),
        ordered_on: po.created_at.with_timezone(&tz).date_naive(),
        expected_delivery: po.expected_delivery,
        sent_at: now.with_timezone(&tz),
        currency: po.currency.clone(),
        note: po.note.clone(),
        lines: po
            .lines
            .iter()
            .map(|l| OrderDocumentLine {
                line_no: l.line_no,
                supplier_sku: l.supplier_sku.clone(),
                description: l.description.clone().unwrap_or_else(|| l.item_name.clone()),
                packs: l.packs,
                pack: l.pack.clone(),
                price_per_pack: l.price_per_pack,
                line_total: l.line_total,
            })
            .collect(),
        total: po.total,
    };
    Ok(vec![
        PurchaseOrderDocumentRow {
            kind: DocumentKind::Pdf.as_str().into(),
            content_type: "application/pdf".into(),
            body: render_pdf(&doc),
            rendered_at: now,
        },
        PurchaseOrderDocumentRow {
            kind: DocumentKind::Csv.as_str().into(),
            content_type: "text/csv; charset=utf-8".into(),
            body: render_csv(&doc)?,
            rendered_at: now,
        },
    ])
}

/// Checks `cmd` (its shape, then against the supplier, its items and prices) and inserts it
/// as a draft numbered next in the tenant, in the supplier's currency: the one way a purchase
/// order is created, by hand or from reorder suggestions, inside the caller's transaction.
///
/// # Errors
/// As [`App::create_purchase_order`], the fields named as in `cmd`.
pub(super) async fn insert_draft(
    tx: &mut dyn TenantTx,
    p: &Principal,
    cmd: &PurchaseOrderCommand,
    now: DateTime<Utc>,
) -> Result<PurchaseOrder, AppError> {
    check_shape(cmd)?;
    let plan = plan(tx, p, cmd, now).await?;
    let number = tx.next_purchase_order_number().await?;
    let row = PurchaseOrderRow {
        id: PurchaseOrderId::new(),
        number,
        supplier_id: plan.supplier.id,
        location_id: cmd.location_id,
        status: PoStatus::Draft,
        currency: plan.supplier.currency,
        expected_delivery: plan.expected_delivery,
        note: plan.note,
        total: plan.total,
        version: 1,
        created_by: p.user_id,
        created_at: now,
    };
    tx.insert_purchase_order(&row, &plan.lines).await?;
    view(tx, row).await
}

/// A version conflict from the store as a stale `If-Match`.
fn stale(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } if constraint == "purchase_orders_version" => {
            AppError::PreconditionFailed("purchase order")
        }
        e => e.into(),
    }
}

impl App {
    /// Creates a draft purchase order, numbered next in the tenant, in the supplier's
    /// currency, each line priced at the supplier item's price in force now unless given.
    ///
    /// # Errors
    /// 403 without `purchase_orders.write`; 404 on the supplier, the location (one outside a
    /// limited member's) or a supplier item; 422 naming the field (`lines[0].packs` below the
    /// minimum order, `lines[1].price_per_pack` negative or missing with no price in force).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_purchase_order(
        &self,
        p: Principal,
        cmd: PurchaseOrderCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<PurchaseOrder>, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        check_shape(&cmd)?;
        let now = Utc::now();
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::PoCreated,
            &cmd,
            move |tx| Box::pin(async move { insert_draft(tx, &p, &c, now).await }),
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Replaces a draft purchase order's header and lines when `if_match` (if given) is its
    /// version; its number, status and history stay.
    ///
    /// # Errors
    /// 403; 404; 422 as for creating; 409 on `status` when it is no longer a draft; 412 when
    /// the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_purchase_order(
        &self,
        p: Principal,
        id: PurchaseOrderId,
        cmd: PurchaseOrderCommand,
        if_match: Option<i64>,
    ) -> Result<PurchaseOrder, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        check_shape(&cmd)?;
        let now = Utc::now();
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::PoUpdated,
            move |tx| {
                Box::pin(async move {
                    let current = visible(tx, &p, id).await?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("purchase order"));
                    }
                    if current.status != PoStatus::Draft {
                        return Err(AppError::conflict(
                            "status",
                            format!(
                                "only a draft purchase order can be edited; {} is {}",
                                rules::po_number(current.number),
                                current.status.as_str().replace('_', " ")
                            ),
                        ));
                    }
                    let plan = plan(tx, &p, &cmd, now).await?;
                    let row = PurchaseOrderRow {
                        supplier_id: plan.supplier.id,
                        location_id: cmd.location_id,
                        currency: plan.supplier.currency,
                        expected_delivery: plan.expected_delivery,
                        note: plan.note,
                        total: plan.total,
                        version: current.version + 1,
                        ..current
                    };
                    tx.update_purchase_order(&row, &plan.lines, expected)
                        .await
                        .map_err(stale)?;
                    view(tx, row).await
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Moves a purchase order on by `action` when `if_match` (if given) is its version:
    /// submit, approve (above the tenant's approval threshold, or when it sets none, only with
    /// `purchase_orders.approve`), send (renders its PDF and CSV and keeps them), cancel or
    /// close short (each with a `reason`). The change is an event with who and when.
    ///
    /// # Errors
    /// 403 without `purchase_orders.write`, or approving above the threshold without
    /// `purchase_orders.approve`; 404; 422 on `reason` (missing for cancel and close); 409 on
    /// `status` when the action is not allowed from its status (or it has goods received, for
    /// cancel); 412 when the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id, action = %action))]
    pub async fn transition_purchase_order(
        &self,
        p: Principal,
        id: PurchaseOrderId,
        action: PoAction,
        reason: Option<Note>,
        if_match: Option<i64>,
    ) -> Result<PurchaseOrder, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        if matches!(action, PoAction::Cancel | PoAction::Close) && reason.is_none() {
            return Err(AppError::invalid(
                "reason",
                "say why the purchase order is cancelled or closed short",
            ));
        }
        let now = Utc::now();
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::of_po_action(action),
            move |tx| {
                Box::pin(async move {
                    let current = visible(tx, &p, id).await?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("purchase order"));
                    }
                    let shown = view(tx, current.clone()).await?;
                    let any_received = shown
                        .lines
                        .iter()
                        .any(|l| l.received_quantity > Quantity::ZERO);
                    let to = action
                        .apply(current.status, any_received)
                        .map_err(|e| AppError::conflict("status", e.to_string()))?;
                    match action {
                        PoAction::Approve => {
                            let (_, threshold, _) = tenant_zone(tx).await?;
                            let tenant_currency = tx
                                .get_tenant()
                                .await?
                                .map(|t| t.currency)
                                .unwrap_or_default();
                            if rules::approval_needs_scope(
                                current.total,
                                threshold,
                                current.currency == tenant_currency,
                            ) {
                                p.require(Permission::PurchaseOrdersApprove)?;
                            }
                        }
                        PoAction::Send => {
                            let supplier = tx
                                .get_supplier(current.supplier_id)
                                .await?
                                .ok_or(AppError::NotFound("supplier"))?;
                            for d in render(tx, &shown, &supplier, now).await? {
                                tx.insert_purchase_order_document(id, &d).await?;
                            }
                        }
                        _ => {}
                    }
                    tx.set_purchase_order_status(&PurchaseOrderStatusChange {
                        id,
                        from: current.status,
                        to,
                        expected_version: current.version,
                        actor: p.user_id,
                        at: now,
                        note: reason.map(Note::into_string),
                    })
                    .await
                    .map_err(stale)?;
                    let row = PurchaseOrderRow {
                        status: to,
                        version: current.version + 1,
                        ..current
                    };
                    view(tx, row).await
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// One purchase order with its lines and history.
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 404 (one at a location outside a limited member's
    /// included).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_purchase_order(
        &self,
        p: Principal,
        id: PurchaseOrderId,
    ) -> Result<PurchaseOrder, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let row = visible(tx, &p, id).await?;
                view(tx, row).await
            })
        })
        .await
    }

    /// Purchase orders, newest first, paginated; a limited member's locations' only.
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_purchase_orders(
        &self,
        p: Principal,
        q: PurchaseOrderQuery,
    ) -> Result<Page<PurchaseOrderSummary>, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        let limit = page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(
                page::decode(c, 1)?[0]
                    .parse::<i64>()
                    .map_err(|_| AppError::invalid("cursor", "is not a valid cursor"))?,
            ),
            None => None,
        };
        let filter = PurchaseOrderFilter {
            status: q.status,
            supplier: q.supplier_id,
            location: q.location_id,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_purchase_orders(&filter).await?;
                let mut suppliers: HashMap<SupplierId, String> = HashMap::new();
                let mut locations: HashMap<LocationId, String> = HashMap::new();
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let supplier_name = match suppliers.get(&r.supplier_id) {
                        Some(n) => n.clone(),
                        None => {
                            let n = tx
                                .get_supplier(r.supplier_id)
                                .await?
                                .map(|s| s.name)
                                .unwrap_or_default();
                            suppliers.insert(r.supplier_id, n.clone());
                            n
                        }
                    };
                    let location_name = match locations.get(&r.location_id) {
                        Some(n) => n.clone(),
                        None => {
                            let n = tx
                                .get_location(r.location_id)
                                .await?
                                .map(|l| l.name)
                                .unwrap_or_default();
                            locations.insert(r.location_id, n.clone());
                            n
                        }
                    };
                    out.push(PurchaseOrderSummary {
                        id: r.id,
                        number: rules::po_number(r.number),
                        supplier_name,
                        location_name,
                        supplier_id: r.supplier_id,
                        location_id: r.location_id,
                        status: r.status,
                        currency: r.currency,
                        expected_delivery: r.expected_delivery,
                        total: r.total,
                        version: r.version,
                        created_at: r.created_at,
                    });
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
        Ok(page::page(rows, limit, |s: &PurchaseOrderSummary| {
            let n = s.number.trim_start_matches("PO-").trim_start_matches('0');
            page::encode(&[n])
        }))
    }

    /// A document a purchase order was sent as, byte for byte.
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 404 when the order is not found (or not the
    /// member's location's) or was not sent.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn purchase_order_document(
        &self,
        p: Principal,
        id: PurchaseOrderId,
        kind: DocumentKind,
    ) -> Result<PurchaseOrderDocument, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let po = visible(tx, &p, id).await?;
                let d = tx
                    .purchase_order_document(id, kind.as_str())
                    .await?
                    .ok_or(AppError::NotFound("document (the order is not sent yet)"))?;
                Ok(PurchaseOrderDocument {
                    content_type: d.content_type,
                    file_name: format!("{}.{}", rules::po_number(po.number), kind.as_str()),
                    body: d.body,
                })
            })
        })
        .await
    }
}
