//! procurement: supplier invoices, the three-way match and supplier performance (issue 8,
//! items 7 and 8; ADR 016). An invoice bills packs of a supplier's items, optionally against a
//! purchase order and the goods receipts it covers (a line may name the receipt line it
//! bills); it is entered as JSON or imported from CSV (all or nothing), its total is computed
//! exactly, and each line's price joins the supplier item's price history from the invoice
//! date. Invoices are appended, never edited (corrections will be credit notes). Reading needs
//! `purchase_orders.read`, entering `purchase_orders.write`; invoices belong to a supplier and
//! carry no location, but one against an order a limited member cannot see is not found.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use larder_core::auth::Permission;
use larder_core::procurement::goods_receipts::{packs_to_base, packs_value};
use larder_core::procurement::invoices::{
    self as rules, Discrepancy, InvoiceTotals, MatchInput, MatchSide, OrderHistory,
    PerformanceFigures,
};
use larder_core::procurement::purchase_orders::{PoStatus, po_number};
use larder_core::{
    Code, GoodsReceiptId, InvoiceId, ItemId, Money, Note, PurchaseOrderId, Quantity, SupplierId,
    SupplierItemId, UserId,
};
use larder_store::{
    GoodsReceiptFilter, InvoiceFilter, InvoiceLineRow, InvoiceRow, LocationScope, Mode,
    PurchaseOrderFilter, SupplierItemRow, SupplierPriceRow, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use super::price_at;
use super::purchase_orders::visible;
use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::sales::RowError;
use crate::{App, AppError, Principal};

/// Invoices' constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[("invoices_invoice_number", "invoice_number")]);

/// Most lines one invoice may carry.
pub const MAX_LINES: usize = 500;
/// Most rows an imported file may carry.
pub const MAX_ROWS: usize = 5_000;
/// Most purchase orders one supplier performance report reads.
pub const MAX_ORDERS: u32 = 5_000;
/// The longest period of a supplier performance report, in days.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Receipts and invoices read per purchase order (far beyond any real order).
const PER_ORDER: u32 = 10_000;

/// One line of an invoice.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineCommand {
    /// The supplier item billed (the invoice supplier's).
    pub supplier_item_id: SupplierItemId,
    /// Packs billed, positive, at most 3 decimals (`2.5`).
    pub packs: Quantity,
    /// Price per pack, not negative, in the supplier's currency.
    pub price_per_pack: Money,
    /// The goods receipt whose line this bills (the supplier's; of the invoice's order when
    /// it has one).
    pub goods_receipt_id: Option<GoodsReceiptId>,
    /// That receipt's line number (needs `goods_receipt_id`); it must have received this
    /// supplier item.
    pub receipt_line_no: Option<i32>,
}

/// Enter a supplier's invoice.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceCommand {
    /// Who bills.
    pub supplier_id: SupplierId,
    /// The supplier's invoice number, unique per supplier (409 on a duplicate).
    pub invoice_number: Code,
    /// The date on the invoice (`YYYY-MM-DD`), not after tomorrow; its prices are in force
    /// from local midnight of that day.
    pub invoice_date: NaiveDate,
    /// The purchase order it bills (the supplier's, agreed: approved or later).
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// The goods receipts it covers (the supplier's; of the order when there is one).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub goods_receipt_ids: Vec<GoodsReceiptId>,
    /// The total printed on it, not negative; a difference from the lines' sum is reported
    /// by the three-way match (`total_mismatch`), not refused.
    pub stated_total: Option<Money>,
    /// A note.
    pub note: Option<Note>,
    /// The lines, 1 to 500.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<InvoiceLineCommand>,
}

/// An invoice line as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceLine {
    /// 1-based.
    pub line_no: i32,
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
    /// Its SKU.
    pub supplier_sku: String,
    /// The item.
    pub item_id: ItemId,
    /// Packs billed.
    pub packs: Quantity,
    /// The same in the item's base unit.
    pub quantity: Quantity,
    /// Price per pack.
    pub price_per_pack: Money,
    /// `packs` x `price_per_pack`, half even to the millionth.
    pub line_total: Money,
    /// The receipt billed.
    pub goods_receipt_id: Option<GoodsReceiptId>,
    /// Its line.
    pub receipt_line_no: Option<i32>,
}

/// What an invoice line's price did to the supplier item's price history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceOutcome {
    /// Appended, in force from the invoice date.
    Appended,
    /// The same price was already in force at that date: nothing appended.
    AlreadyInForce,
    /// Another price starts at exactly that instant: it was kept (prices are never
    /// replaced) and this one was not appended; see `existing_price`.
    KeptExisting,
    /// The caller may not change supplier prices (`catalog.write`): nothing appended.
    NotPermitted,
}

/// One price the invoice brought to a supplier item's history.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriceUpdate {
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
    /// The invoice's price per pack.
    pub price_per_pack: Money,
    /// From when (local midnight of the invoice date).
    pub effective_from: DateTime<Utc>,
    /// What happened.
    pub outcome: PriceOutcome,
    /// The price kept, for `kept_existing`.
    pub existing_price: Option<Money>,
}

/// An invoice as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Invoice {
    /// Id.
    pub id: InvoiceId,
    /// Who bills.
    pub supplier_id: SupplierId,
    /// The supplier's number.
    pub invoice_number: String,
    /// The date on it.
    pub invoice_date: NaiveDate,
    /// The order it bills.
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// The goods receipts it covers.
    pub goods_receipt_ids: Vec<GoodsReceiptId>,
    /// ISO 4217 code (the supplier's).
    pub currency: String,
    /// The lines' sum, exactly.
    pub total: Money,
    /// The total printed on it.
    pub stated_total: Option<Money>,
    /// The stated total is not the computed one.
    pub total_differs: bool,
    /// A note.
    pub note: Option<String>,
    /// The lines.
    pub lines: Vec<InvoiceLine>,
    /// What its prices did to the price history (only in the answer that entered it).
    pub price_updates: Vec<PriceUpdate>,
    /// Who entered it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The invoices an import entered.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvoiceImport {
    /// Each invoice of the file, in the order first seen.
    pub invoices: Vec<Invoice>,
}

/// Filters for invoices, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// Of this supplier.
    pub supplier_id: Option<SupplierId>,
    /// Billing this purchase order (against it or covering one of its receipts).
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// One supplier item in a purchase order's match, named.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchLineView {
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
    /// Its SKU.
    pub supplier_sku: String,
    /// Its item's name.
    pub item_name: String,
    /// What the order has (none: not ordered).
    pub ordered: Option<MatchSide>,
    /// What the receipts accepted.
    pub received: Option<MatchSide>,
    /// What the invoices bill.
    pub invoiced: Option<MatchSide>,
    /// This item's discrepancies.
    pub discrepancies: Vec<Discrepancy>,
}

/// A purchase order x its goods receipts x its invoices.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseOrderMatch {
    /// The order.
    pub purchase_order_id: PurchaseOrderId,
    /// `PO-000001`.
    pub number: String,
    /// The receipts against it.
    pub goods_receipt_ids: Vec<GoodsReceiptId>,
    /// The invoices billing it (against it or covering one of its receipts).
    pub invoice_ids: Vec<InvoiceId>,
    /// Per supplier item: ordered, received (accepted lines), invoiced.
    pub lines: Vec<MatchLineView>,
    /// Every discrepancy, the invoices' `total_mismatch` included; empty when it matches.
    pub discrepancies: Vec<Discrepancy>,
    /// No discrepancy.
    pub matches: bool,
}

/// A supplier performance report's period and filter.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PerformanceQuery {
    /// First expected-delivery date counted (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last one, at most 366 days after `from`.
    pub to: NaiveDate,
    /// Only this supplier.
    pub supplier_id: Option<SupplierId>,
}

/// One supplier's figures.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupplierPerformance {
    /// The supplier.
    pub supplier_id: SupplierId,
    /// Its name.
    pub supplier_name: String,
    /// The currency of `price_variance`.
    pub currency: String,
    /// The figures (rates as fractions with 4 decimals, lead times in days with 2).
    pub figures: PerformanceFigures,
}

/// Supplier performance over the purchase orders expected in a period: on-time delivery
/// (first receipt on or before the expected day, in the tenant's time zone), fill rate,
/// promised vs actual lead time and price variance.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupplierPerformanceReport {
    /// First expected-delivery date counted.
    pub from: NaiveDate,
    /// Last one.
    pub to: NaiveDate,
    /// Decimals of the rates (fractions: `0.5000` is 50 %).
    pub rate_places: u32,
    /// Decimals of the lead times (days).
    pub lead_time_places: u32,
    /// Per supplier with orders expected in the period, by name.
    pub suppliers: Vec<SupplierPerformance>,
}

fn at_line(i: usize, e: AppError) -> AppError {
    match e {
        AppError::Validation { field, message } => AppError::Validation {
            field: format!("lines[{i}].{field}"),
            message,
        },
        other => other,
    }
}

/// The tenant's time zone.
async fn zone(tx: &mut dyn TenantTx) -> Result<Tz, AppError> {
    let t = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    t.time_zone
        .parse::<Tz>()
        .map_err(|_| AppError::Internal(format!("bad time zone {}", t.time_zone)))
}

/// Local midnight of `d` in `tz`, as an instant.
fn local_midnight(d: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0)
        .and_then(|n| tz.from_local_datetime(&n).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// An invoice checked and resolved, ready to write.
struct Planned {
    row: InvoiceRow,
    receipts: Vec<GoodsReceiptId>,
    lines: Vec<InvoiceLineRow>,
    skus: HashMap<SupplierItemId, String>,
}

/// Checks a command against what the tenant has, naming the field at fault.
async fn plan(
    tx: &mut dyn TenantTx,
    p: &Principal,
    cmd: &InvoiceCommand,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Planned, AppError> {
    if cmd.lines.is_empty() || cmd.lines.len() > MAX_LINES {
        return Err(AppError::invalid(
            "lines",
            format!("must have 1 to {MAX_LINES} lines"),
        ));
    }
    if cmd.goods_receipt_ids.len() > 100 {
        return Err(AppError::invalid(
            "goods_receipt_ids",
            "at most 100 receipts",
        ));
    }
    let today = now.with_timezone(&tz).date_naive();
    if cmd.invoice_date > today + chrono::Days::new(1) {
        return Err(AppError::invalid(
            "invoice_date",
            "must not be after tomorrow",
        ));
    }
    if cmd.stated_total.is_some_and(Money::is_negative) {
        return Err(AppError::invalid("stated_total", "must not be negative"));
    }
    let supplier = tx
        .get_supplier(cmd.supplier_id)
        .await?
        .ok_or(AppError::NotFound("supplier"))?;
    if let Some(po) = cmd.purchase_order_id {
        let po = visible(tx, p, po).await?;
        if po.supplier_id != supplier.id {
            return Err(AppError::invalid(
                "purchase_order_id",
                "is another supplier's order",
            ));
        }
        if matches!(po.status, PoStatus::Draft | PoStatus::Submitted) {
            return Err(AppError::conflict(
                "status",
                "an order not yet agreed with the supplier cannot be invoiced",
            ));
        }
    }
    // The receipts it covers: named on it, and billed by its lines.
    let mut receipts: Vec<GoodsReceiptId> = Vec::new();
    let mut receipt_lines = HashMap::new();
    let named = cmd
        .goods_receipt_ids
        .iter()
        .enumerate()
        .map(|(i, g)| (format!("goods_receipt_ids[{i}]"), *g));
    let on_lines = cmd.lines.iter().enumerate().filter_map(|(i, l)| {
        l.goods_receipt_id
            .map(|g| (format!("lines[{i}].goods_receipt_id"), g))
    });
    for (field, g) in named.chain(on_lines).collect::<Vec<_>>() {
        if receipts.contains(&g) {
            continue;
        }
        let r = tx
            .get_goods_receipt(g)
            .await?
            .ok_or(AppError::NotFound("goods receipt"))?;
        crate::tenancy::require_location(tx, p.locations, r.location_id)
            .await
            .map_err(|_| AppError::NotFound("goods receipt"))?;
        if r.supplier_id != Some(supplier.id) {
            return Err(AppError::invalid(field, "is another supplier's receipt"));
        }
        if cmd.purchase_order_id.is_some() && r.purchase_order_id != cmd.purchase_order_id {
            return Err(AppError::invalid(
                field,
                "is not a receipt against the invoice's purchase order",
            ));
        }
        receipt_lines.insert(g, tx.goods_receipt_lines(g).await?);
        receipts.push(g);
    }
    let mut items: HashMap<SupplierItemId, SupplierItemRow> = HashMap::new();
    let mut lines = Vec::with_capacity(cmd.lines.len());
    let mut total: i128 = 0;
    for (i, l) in cmd.lines.iter().enumerate() {
        let bad = |f: &str, m: &str| at_line(i, AppError::invalid(f, m));
        if l.packs.raw() <= 0 {
            return Err(bad("packs", "must be positive"));
        }
        if l.price_per_pack.is_negative() {
            return Err(bad("price_per_pack", "must not be negative"));
        }
        if !items.contains_key(&l.supplier_item_id) {
            let si = tx
                .get_supplier_item(l.supplier_item_id)
                .await?
                .ok_or(AppError::NotFound("supplier item"))?;
            items.insert(si.id, si);
        }
        let Some(si) = items.get(&l.supplier_item_id) else {
            return Err(AppError::NotFound("supplier item"));
        };
        if si.supplier_id != supplier.id {
            return Err(bad("supplier_item_id", "is another supplier's item"));
        }
        let quantity = packs_to_base(l.packs, si.pack_quantity).map_err(|m| bad("packs", m))?;
        let line_total = packs_value(l.packs, l.price_per_pack)
            .ok_or_else(|| bad("price_per_pack", "the line's total is out of range"))?;
        match (l.goods_receipt_id, l.receipt_line_no) {
            (None, Some(_)) => {
                return Err(bad("receipt_line_no", "needs goods_receipt_id"));
            }
            (Some(g), Some(n)) => {
                let rl = receipt_lines
                    .get(&g)
                    .and_then(|ls| ls.iter().find(|x| x.line_no == n))
                    .ok_or_else(|| bad("receipt_line_no", "the receipt has no such line"))?;
                if rl.supplier_item_id != Some(si.id) {
                    return Err(bad(
                        "supplier_item_id",
                        "is not what that receipt line received",
                    ));
                }
            }
            _ => {}
        }
        total += i128::from(line_total.raw());
        lines.push(InvoiceLineRow {
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            supplier_item_id: si.id,
            item_id: si.item_id,
            packs: l.packs,
            quantity,
            price_per_pack: l.price_per_pack,
            line_total,
            goods_receipt_id: l.goods_receipt_id,
            receipt_line_no: l.receipt_line_no,
        });
    }
    let total = i64::try_from(total)
        .ok()
        .and_then(Money::checked_from_raw)
        .ok_or_else(|| AppError::invalid("lines", "the total is beyond the largest amount"))?;
    Ok(Planned {
        row: InvoiceRow {
            id: InvoiceId::new(),
            supplier_id: supplier.id,
            invoice_number: cmd.invoice_number.as_str().to_owned(),
            invoice_date: cmd.invoice_date,
            purchase_order_id: cmd.purchase_order_id,
            currency: supplier.currency,
            total,
            stated_total: cmd.stated_total,
            note: cmd.note.clone().map(Note::into_string),
            created_by: p.user_id,
            created_at: now,
        },
        receipts,
        lines,
        skus: items
            .into_iter()
            .map(|(id, si)| (id, si.supplier_sku))
            .collect(),
    })
}

/// Writes a planned invoice and appends its prices to the history (see [`PriceOutcome`]).
async fn enter(
    tx: &mut dyn TenantTx,
    planned: Planned,
    tz: Tz,
    now: DateTime<Utc>,
    may_price: bool,
) -> Result<Invoice, AppError> {
    tx.insert_invoice(&planned.row, &planned.receipts, &planned.lines)
        .await?;
    let effective_from = local_midnight(planned.row.invoice_date, tz)
        .ok_or_else(|| AppError::invalid("invoice_date", "has no midnight in the time zone"))?;
    let mut updates = Vec::new();
    let mut seen = HashSet::new();
    for l in &planned.lines {
        if !seen.insert((l.supplier_item_id, l.price_per_pack)) {
            continue;
        }
        let prices = tx.supplier_prices(l.supplier_item_id).await?;
        let same_instant = prices.iter().find(|x| x.effective_from == effective_from);
        let (outcome, existing_price) = match same_instant {
            Some(x) if x.price_per_pack == l.price_per_pack => (PriceOutcome::AlreadyInForce, None),
            Some(x) => (PriceOutcome::KeptExisting, Some(x.price_per_pack)),
            None if price_at(&prices, effective_from) == Some(l.price_per_pack) => {
                (PriceOutcome::AlreadyInForce, None)
            }
            None if !may_price => (PriceOutcome::NotPermitted, None),
            None => {
                tx.insert_supplier_price(&SupplierPriceRow {
                    supplier_item_id: l.supplier_item_id,
                    effective_from,
                    price_per_pack: l.price_per_pack,
                    recorded_at: now,
                })
                .await?;
                (PriceOutcome::Appended, None)
            }
        };
        updates.push(PriceUpdate {
            supplier_item_id: l.supplier_item_id,
            price_per_pack: l.price_per_pack,
            effective_from,
            outcome,
            existing_price,
        });
    }
    let mut shown = view(tx, planned.row, Some(&planned.skus)).await?;
    shown.price_updates = updates;
    Ok(shown)
}

/// A stored invoice as shown.
async fn view(
    tx: &mut dyn TenantTx,
    row: InvoiceRow,
    skus: Option<&HashMap<SupplierItemId, String>>,
) -> Result<Invoice, AppError> {
    let lines = tx.invoice_lines(row.id).await?;
    let receipts = tx.invoice_receipts(row.id).await?;
    let mut names: HashMap<SupplierItemId, String> = skus.cloned().unwrap_or_default();
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(l.supplier_item_id) {
            let sku = tx
                .get_supplier_item(l.supplier_item_id)
                .await?
                .map_or_else(String::new, |s| s.supplier_sku);
            e.insert(sku);
        }
        out.push(InvoiceLine {
            line_no: l.line_no,
            supplier_item_id: l.supplier_item_id,
            supplier_sku: names.get(&l.supplier_item_id).cloned().unwrap_or_default(),
            item_id: l.item_id,
            packs: l.packs,
            quantity: l.quantity,
            price_per_pack: l.price_per_pack,
            line_total: l.line_total,
            goods_receipt_id: l.goods_receipt_id,
            receipt_line_no: l.receipt_line_no,
        });
    }
    Ok(Invoice {
        id: row.id,
        supplier_id: row.supplier_id,
        invoice_number: row.invoice_number,
        invoice_date: row.invoice_date,
        purchase_order_id: row.purchase_order_id,
        goods_receipt_ids: receipts,
        currency: row.currency,
        total: row.total,
        stated_total: row.stated_total,
        total_differs: row.stated_total.is_some_and(|s| s != row.total),
        note: row.note,
        lines: out,
        price_updates: Vec::new(),
        created_by: row.created_by,
        created_at: row.created_at,
    })
}

/// An invoice the principal may see: the tenant's, and against an order they may see.
async fn visible_invoice(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: InvoiceId,
) -> Result<InvoiceRow, AppError> {
    let row = tx
        .get_invoice(id)
        .await?
        .ok_or(AppError::NotFound("invoice"))?;
    if let Some(po) = row.purchase_order_id {
        visible(tx, p, po)
            .await
            .map_err(|_| AppError::NotFound("invoice"))?;
    }
    Ok(row)
}

/// The columns of an invoice file: the first five always, the rest optional.
const CSV_COLUMNS: [&str; 9] = [
    "invoice_number",
    "invoice_date",
    "supplier_sku",
    "packs",
    "price_per_pack",
    "po_number",
    "goods_receipt_id",
    "receipt_line_no",
    "stated_total",
];

/// One invoice of a file: its command and the file line of each of its lines.
struct FileInvoice {
    first_line: u64,
    cmd: InvoiceCommand,
    line_of: Vec<u64>,
}

/// A command's error as a row of the file: a line's field at that line, a header field at
/// the invoice's first line, under the column the file names it by.
fn row_error(f: &FileInvoice, e: AppError) -> Result<RowError, AppError> {
    let (field, message) = match e {
        AppError::Validation { field, message } | AppError::Conflict { field, message } => {
            (field, message)
        }
        AppError::NotFound(what) => ("row".to_owned(), format!("{what} not found")),
        other => return Err(other),
    };
    let at = field
        .strip_prefix("lines[")
        .and_then(|r| r.split_once("]."))
        .and_then(|(i, rest)| {
            let i = i.parse::<usize>().ok()?;
            Some((f.line_of.get(i).copied()?, rest.to_owned()))
        });
    let (line, field) = at.unwrap_or((f.first_line, field));
    let field = match field.as_str() {
        "supplier_item_id" => "supplier_sku".to_owned(),
        "purchase_order_id" => "po_number".to_owned(),
        _ => field,
    };
    Ok(RowError {
        line,
        field,
        message,
    })
}

impl App {
    /// Enters a supplier's invoice: its lines' total computed exactly, the receipts it covers
    /// recorded, each line's price appended to the supplier item's history from the invoice
    /// date (unless the same price is in force then; a different price from exactly that
    /// instant is kept and reported). Retried with its key, it is entered once.
    ///
    /// # Errors
    /// 403 without `purchase_orders.write`; 404 on a supplier, order, receipt or supplier item
    /// that is not the tenant's (or an order or receipt outside a limited member's
    /// locations); 409 on `invoice_number` when the supplier has an invoice of that number,
    /// on `status` for a draft or submitted order; 422 naming the field (`lines[1].packs`).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id, lines = cmd.lines.len()))]
    pub async fn create_invoice(
        &self,
        p: Principal,
        cmd: InvoiceCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Invoice>, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        // Appending to a supplier's price history is the catalog's: without `catalog.write`
        // the invoice is entered and its prices reported as not appended.
        let may_price = p.require(Permission::CatalogWrite).is_ok();
        let now = Utc::now();
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::InvoiceRecorded,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    let tz = zone(tx).await?;
                    let planned = plan(tx, &p, &c, tz, now).await?;
                    enter(tx, planned, tz, now, may_price).await
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Imports a supplier's invoices from CSV (`invoice_number, invoice_date, supplier_sku,
    /// packs, price_per_pack` and optional `po_number` (`PO-000001`), `goods_receipt_id`,
    /// `receipt_line_no`, `stated_total`), one or several invoices per file grouped by
    /// `invoice_number`. All or nothing: every bad row is reported by line (the header is
    /// line 1) and column, and then nothing is written.
    ///
    /// # Errors
    /// 403 without `purchase_orders.write`; 404 on the supplier; 409 on `invoice_number` when
    /// the supplier has an invoice of a number in the file; 422 on `header` (a missing
    /// column), `file` (not UTF-8 CSV, no rows, too many) or with every bad row.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn import_invoices(
        &self,
        p: Principal,
        supplier: SupplierId,
        csv_bytes: Vec<u8>,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<InvoiceImport>, AppError> {
        p.require(Permission::PurchaseOrdersWrite)?;
        let may_price = p.require(Permission::CatalogWrite).is_ok();
        let now = Utc::now();
        let records = super::csv_rows(&csv_bytes, &CSV_COLUMNS, &CSV_COLUMNS[..5])?;
        if records.is_empty() || records.len() > MAX_ROWS {
            return Err(AppError::invalid(
                "file",
                format!("must have 1 to {MAX_ROWS} rows"),
            ));
        }
        let body = (supplier, &csv_bytes);
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::InvoicesImported,
            &body,
            move |tx| {
                Box::pin(async move {
                    let tz = zone(tx).await?;
                    tx.get_supplier(supplier)
                        .await?
                        .ok_or(AppError::NotFound("supplier"))?;
                    let by_sku: HashMap<String, SupplierItemId> = tx
                        .list_supplier_items(Some(supplier), None)
                        .await?
                        .into_iter()
                        .map(|s| (s.supplier_sku, s.id))
                        .collect();
                    let mut errors: Vec<RowError> = Vec::new();
                    let mut files: Vec<FileInvoice> = Vec::new();
                    let mut orders: HashMap<String, Option<PurchaseOrderId>> = HashMap::new();
                    for (line, cells) in records {
                        let before = errors.len();
                        let mut bad = |field: &str, message: String| {
                            errors.push(RowError {
                                line,
                                field: field.to_owned(),
                                message,
                            });
                        };
                        let number = Code::parse(&cells[0])
                            .map_err(|e| bad("invoice_number", e.to_string()))
                            .ok();
                        let date = NaiveDate::parse_from_str(&cells[1], "%Y-%m-%d")
                            .map_err(|_| {
                                bad(
                                    "invoice_date",
                                    format!("'{}' is not a date (YYYY-MM-DD)", cells[1]),
                                );
                            })
                            .ok();
                        let item = match by_sku.get(&cells[2]) {
                            Some(id) => Some(*id),
                            None => {
                                bad(
                                    "supplier_sku",
                                    format!("the supplier sells no '{}'", cells[2]),
                                );
                                None
                            }
                        };
                        let packs = match Quantity::parse(&cells[3]) {
                            Ok(q) if q.raw() > 0 => Some(q),
                            Ok(_) => {
                                bad("packs", "must be positive".into());
                                None
                            }
                            Err(e) => {
                                bad("packs", format!("'{}' {e}", cells[3]));
                                None
                            }
                        };
                        let price = match Money::parse(&cells[4]) {
                            Ok(m) if !m.is_negative() => Some(m),
                            Ok(_) => {
                                bad("price_per_pack", "must not be negative".into());
                                None
                            }
                            Err(e) => {
                                bad("price_per_pack", format!("'{}' {e}", cells[4]));
                                None
                            }
                        };
                        let po = if cells[5].is_empty() {
                            None
                        } else if let Some(found) = orders.get(&cells[5]) {
                            *found
                        } else {
                            let n = cells[5]
                                .trim_start_matches("PO-")
                                .parse::<i64>()
                                .ok()
                                .filter(|n| *n > 0);
                            let found = match n {
                                Some(n) => tx
                                    .list_purchase_orders(&PurchaseOrderFilter {
                                        supplier: Some(supplier),
                                        before: n.checked_add(1),
                                        limit: 1,
                                        ..Default::default()
                                    })
                                    .await?
                                    .into_iter()
                                    .find(|o| o.number == n)
                                    .map(|o| o.id),
                                None => None,
                            };
                            orders.insert(cells[5].clone(), found);
                            if found.is_none() {
                                bad(
                                    "po_number",
                                    format!("the supplier has no purchase order '{}'", cells[5]),
                                );
                            }
                            found
                        };
                        let receipt = if cells[6].is_empty() {
                            None
                        } else {
                            match cells[6].parse::<GoodsReceiptId>() {
                                Ok(g) => Some(g),
                                Err(_) => {
                                    bad(
                                        "goods_receipt_id",
                                        format!("'{}' is not a receipt id", cells[6]),
                                    );
                                    None
                                }
                            }
                        };
                        let receipt_line = if cells[7].is_empty() {
                            None
                        } else {
                            match cells[7].parse::<i32>() {
                                Ok(n) if n > 0 => Some(n),
                                _ => {
                                    bad(
                                        "receipt_line_no",
                                        format!("'{}' is not a line number", cells[7]),
                                    );
                                    None
                                }
                            }
                        };
                        let stated = if cells[8].is_empty() {
                            None
                        } else {
                            match Money::parse(&cells[8]) {
                                Ok(m) => Some(m),
                                Err(e) => {
                                    bad("stated_total", format!("'{}' {e}", cells[8]));
                                    None
                                }
                            }
                        };
                        if errors.len() > before {
                            continue;
                        }
                        let (Some(number), Some(date), Some(item), Some(packs), Some(price)) =
                            (number, date, item, packs, price)
                        else {
                            continue;
                        };
                        let l = InvoiceLineCommand {
                            supplier_item_id: item,
                            packs,
                            price_per_pack: price,
                            goods_receipt_id: receipt,
                            receipt_line_no: receipt_line,
                        };
                        match files
                            .iter_mut()
                            .find(|f| f.cmd.invoice_number.as_str() == number.as_str())
                        {
                            Some(f) => {
                                let mut clash = |field: &str| {
                                    errors.push(RowError {
                                        line,
                                        field: field.to_owned(),
                                        message: format!(
                                            "differs from line {} of the same invoice",
                                            f.first_line
                                        ),
                                    });
                                };
                                if f.cmd.invoice_date != date {
                                    clash("invoice_date");
                                    continue;
                                }
                                if po.is_some()
                                    && f.cmd.purchase_order_id.is_some_and(|x| Some(x) != po)
                                {
                                    clash("po_number");
                                    continue;
                                }
                                if stated.is_some()
                                    && f.cmd.stated_total.is_some_and(|x| Some(x) != stated)
                                {
                                    clash("stated_total");
                                    continue;
                                }
                                f.cmd.purchase_order_id = f.cmd.purchase_order_id.or(po);
                                f.cmd.stated_total = f.cmd.stated_total.or(stated);
                                f.cmd.lines.push(l);
                                f.line_of.push(line);
                            }
                            None => files.push(FileInvoice {
                                first_line: line,
                                cmd: InvoiceCommand {
                                    supplier_id: supplier,
                                    invoice_number: number,
                                    invoice_date: date,
                                    purchase_order_id: po,
                                    goods_receipt_ids: Vec::new(),
                                    stated_total: stated,
                                    note: None,
                                    lines: vec![l],
                                },
                                line_of: vec![line],
                            }),
                        }
                    }
                    // Each invoice checked against what the tenant has; the first fault of each
                    // is reported at its row.
                    let mut planned = Vec::new();
                    for f in &files {
                        match plan(tx, &p, &f.cmd, tz, now).await {
                            Ok(pl) => planned.push(pl),
                            Err(e) => errors.push(row_error(f, e)?),
                        }
                    }
                    if !errors.is_empty() {
                        errors.sort_by_key(|e| e.line);
                        return Err(AppError::InvalidRows(errors));
                    }
                    let mut invoices = Vec::with_capacity(planned.len());
                    for pl in planned {
                        invoices.push(enter(tx, pl, tz, now, may_price).await?);
                    }
                    Ok(InvoiceImport { invoices })
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// One invoice.
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 404 (one against an order outside a limited
    /// member's locations too).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_invoice(&self, p: Principal, id: InvoiceId) -> Result<Invoice, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let row = visible_invoice(tx, &p, id).await?;
                view(tx, row, None).await
            })
        })
        .await
    }

    /// Invoices, newest first.
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 404 on an order that is not the tenant's (or
    /// outside a limited member's locations); 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_invoices(
        &self,
        p: Principal,
        q: InvoiceQuery,
    ) -> Result<Page<Invoice>, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        let limit = page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(page::id::<InvoiceId>(&page::decode(c, 1)?[0])?),
            None => None,
        };
        let filter = InvoiceFilter {
            supplier: q.supplier_id,
            purchase_order: q.purchase_order_id,
            before,
            limit: limit + 1,
        };
        let invoices = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                if let Some(po) = filter.purchase_order {
                    visible(tx, &p, po).await?;
                }
                let rows = tx.list_invoices(&filter).await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    // One against an order the member may not see is left out.
                    if let Some(po) = row.purchase_order_id
                        && visible(tx, &p, po).await.is_err()
                    {
                        continue;
                    }
                    out.push(view(tx, row, None).await?);
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
        Ok(page::page(invoices, limit, |i: &Invoice| {
            page::encode(&[&i.id.to_string()])
        }))
    }

    /// The three-way match of a purchase order: per supplier item what it ordered, what its
    /// goods receipts accepted and what its invoices bill, with every discrepancy (ADR 016).
    /// Receipt lines bought by item only (no supplier item) are left out.
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 404 (an order outside a limited member's
    /// locations too).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn purchase_order_match(
        &self,
        p: Principal,
        id: PurchaseOrderId,
    ) -> Result<PurchaseOrderMatch, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let po = visible(tx, &p, id).await?;
                let ordered: Vec<MatchInput> = tx
                    .purchase_order_lines(id)
                    .await?
                    .into_iter()
                    .map(|l| MatchInput {
                        supplier_item: l.supplier_item_id,
                        packs: Quantity::from_units(i64::from(l.packs)).unwrap_or(Quantity::MAX),
                        quantity: l.quantity,
                        price_per_pack: Some(l.price_per_pack),
                        value: l.line_total,
                    })
                    .collect();
                let receipts = tx
                    .list_goods_receipts(&GoodsReceiptFilter {
                        purchase_order: Some(id),
                        scope: LocationScope::All,
                        limit: PER_ORDER,
                        ..Default::default()
                    })
                    .await?;
                let mut received = Vec::new();
                let mut receipt_ids = Vec::new();
                for g in receipts.iter().rev() {
                    receipt_ids.push(g.id);
                    for l in tx.goods_receipt_lines(g.id).await? {
                        if let Some(si) = l.supplier_item_id
                            && l.quantity.raw() > 0
                        {
                            received.push(MatchInput {
                                supplier_item: si,
                                packs: l.packs.unwrap_or(Quantity::ZERO),
                                quantity: l.quantity,
                                price_per_pack: l.price_per_pack,
                                value: l.value,
                            });
                        }
                    }
                }
                let invoices = tx
                    .list_invoices(&InvoiceFilter {
                        purchase_order: Some(id),
                        limit: PER_ORDER,
                        ..Default::default()
                    })
                    .await?;
                let mut invoiced = Vec::new();
                let mut totals = Vec::new();
                let mut invoice_ids = Vec::new();
                for inv in invoices.iter().rev() {
                    invoice_ids.push(inv.id);
                    for l in tx.invoice_lines(inv.id).await? {
                        invoiced.push(MatchInput {
                            supplier_item: l.supplier_item_id,
                            packs: l.packs,
                            quantity: l.quantity,
                            price_per_pack: Some(l.price_per_pack),
                            value: l.line_total,
                        });
                    }
                    totals.push(InvoiceTotals {
                        invoice: inv.id,
                        number: inv.invoice_number.clone(),
                        computed: inv.total,
                        stated: inv.stated_total,
                    });
                }
                let m = rules::three_way_match(&ordered, &received, &invoiced, &totals)
                    .ok_or_else(|| AppError::Internal("a match sum is out of range".into()))?;
                let mut lines = Vec::with_capacity(m.lines.len());
                for l in m.lines {
                    let si = tx.get_supplier_item(l.supplier_item_id).await?;
                    let (sku, item_name) = match si {
                        Some(si) => {
                            let name = tx
                                .get_item(si.item_id)
                                .await?
                                .map_or_else(String::new, |i| i.name);
                            (si.supplier_sku, name)
                        }
                        None => (String::new(), String::new()),
                    };
                    lines.push(MatchLineView {
                        supplier_item_id: l.supplier_item_id,
                        supplier_sku: sku,
                        item_name,
                        ordered: l.ordered,
                        received: l.received,
                        invoiced: l.invoiced,
                        discrepancies: l.discrepancies,
                    });
                }
                Ok(PurchaseOrderMatch {
                    purchase_order_id: id,
                    number: po_number(po.number),
                    goods_receipt_ids: receipt_ids,
                    invoice_ids,
                    lines,
                    matches: m.discrepancies.is_empty(),
                    discrepancies: m.discrepancies,
                })
            })
        })
        .await
    }

    /// Supplier performance over the purchase orders expected from `from` to `to`, per
    /// supplier (see [`PerformanceFigures`] for each figure; the rates are fractions with 4
    /// decimals, lead times days with 2, rounded half to even from exact integer sums). Dates
    /// are the tenant's local days. Needs `purchase_orders.read` (the figures are read from
    /// purchase orders, receipts and invoices; a limited member's locations only).
    ///
    /// # Errors
    /// 403 without `purchase_orders.read`; 404 on a supplier that is not the tenant's; 422 on
    /// `to` (before `from`, or more than 366 days after it) or a period with more than 5,000
    /// orders.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn supplier_performance(
        &self,
        p: Principal,
        q: PerformanceQuery,
    ) -> Result<SupplierPerformanceReport, AppError> {
        p.require(Permission::PurchaseOrdersRead)?;
        if q.to < q.from {
            return Err(AppError::invalid("to", "must not be before from"));
        }
        if (q.to - q.from).num_days() > MAX_PERIOD_DAYS {
            return Err(AppError::invalid(
                "to",
                format!("a period is at most {MAX_PERIOD_DAYS} days"),
            ));
        }
        let now = Utc::now();
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let tz = zone(tx).await?;
                let today = now.with_timezone(&tz).date_naive();
                if let Some(s) = q.supplier_id {
                    tx.get_supplier(s)
                        .await?
                        .ok_or(AppError::NotFound("supplier"))?;
                }
                let orders = tx
                    .purchase_orders_expected(
                        q.from,
                        q.to,
                        q.supplier_id,
                        p.locations,
                        MAX_ORDERS + 1,
                    )
                    .await?;
                if orders.len() > MAX_ORDERS as usize {
                    return Err(AppError::invalid(
                        "to",
                        format!(
                            "the period has more than {MAX_ORDERS} orders; choose a shorter one"
                        ),
                    ));
                }
                let mut by_supplier: Vec<(SupplierId, Vec<OrderHistory>)> = Vec::new();
                for po in orders {
                    let history = order_history(tx, &po, tz).await?;
                    match by_supplier.iter_mut().find(|(s, _)| *s == po.supplier_id) {
                        Some((_, v)) => v.push(history),
                        None => by_supplier.push((po.supplier_id, vec![history])),
                    }
                }
                let mut suppliers = Vec::with_capacity(by_supplier.len());
                for (s, histories) in by_supplier {
                    let row = tx
                        .get_supplier(s)
                        .await?
                        .ok_or(AppError::NotFound("supplier"))?;
                    suppliers.push(SupplierPerformance {
                        supplier_id: s,
                        supplier_name: row.name,
                        currency: row.currency,
                        figures: rules::supplier_performance(&histories, today).ok_or_else(
                            || AppError::Internal("a performance sum is out of range".into()),
                        )?,
                    });
                }
                suppliers.sort_by(|a, b| a.supplier_name.cmp(&b.supplier_name));
                Ok(SupplierPerformanceReport {
                    from: q.from,
                    to: q.to,
                    rate_places: rules::RATE_PLACES,
                    lead_time_places: rules::DAYS_PLACES,
                    suppliers,
                })
            })
        })
        .await
    }
}

/// One order's history as performance reads it: sent day, first receipt day, per line what
/// was ordered and received, and the prices paid (invoiced where invoiced, else received).
async fn order_history(
    tx: &mut dyn TenantTx,
    po: &larder_store::PurchaseOrderRow,
    tz: Tz,
) -> Result<OrderHistory, AppError> {
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let sent_on = tx
        .purchase_order_events(po.id)
        .await?
        .into_iter()
        .find(|e| e.to_status == PoStatus::Sent)
        .map(|e| local(e.at));
    let lines = tx.purchase_order_lines(po.id).await?;
    let ordered_price: HashMap<SupplierItemId, Money> = lines
        .iter()
        .rev()
        .map(|l| (l.supplier_item_id, l.price_per_pack))
        .collect();
    let receipts = tx
        .list_goods_receipts(&GoodsReceiptFilter {
            purchase_order: Some(po.id),
            scope: LocationScope::All,
            limit: PER_ORDER,
            ..Default::default()
        })
        .await?;
    let first_receipt_on = receipts.iter().map(|g| local(g.received_at)).min();
    let mut invoiced: Vec<(Money, Money, Quantity)> = Vec::new();
    let mut invoiced_items = HashSet::new();
    for inv in tx
        .list_invoices(&InvoiceFilter {
            purchase_order: Some(po.id),
            limit: PER_ORDER,
            ..Default::default()
        })
        .await?
    {
        for l in tx.invoice_lines(inv.id).await? {
            if let Some(ordered) = ordered_price.get(&l.supplier_item_id) {
                invoiced_items.insert(l.supplier_item_id);
                invoiced.push((*ordered, l.price_per_pack, l.packs));
            }
        }
    }
    let mut prices = invoiced;
    for g in &receipts {
        for l in tx.goods_receipt_lines(g.id).await? {
            if let (Some(si), Some(ordered), Some(paid), Some(packs)) = (
                l.supplier_item_id,
                l.ordered_price_per_pack,
                l.price_per_pack,
                l.packs,
            ) && l.po_line_no.is_some()
                && !l.substituted
                && !invoiced_items.contains(&si)
            {
                prices.push((ordered, paid, packs));
            }
        }
    }
    Ok(OrderHistory {
        sent_on,
        expected: po.expected_delivery,
        first_receipt_on,
        lines: lines
            .iter()
            .map(|l| (l.quantity, l.received_quantity))
            .collect(),
        ordered_value: po.total,
        prices,
    })
}
