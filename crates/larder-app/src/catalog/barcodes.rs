//! catalog: what a scanned barcode names. A GS1 element string or a plain EAN/UPC is parsed
//! ([`larder_core::gs1`]) and its GTIN matched against the tenant's items (their barcode, in
//! any GTIN form) and supplier items (a case's GTIN); the answer carries the lot, expiry and
//! quantity in the item's base unit, and says what did not match (ADR 018).

use chrono::{NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::gs1::{Gs1, Gs1Value, gtin_forms};
use larder_core::rational::Ratio;
use larder_core::{BaseUnit, ItemId, Quantity, SupplierItemId};
use larder_store::{Mode, run_tenant};
use serde::{Deserialize, Serialize};

use super::load_item;
use super::units::ItemMeasure;
use crate::{App, AppError, Principal};

/// A scan to resolve.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResolveQuery {
    /// What the scanner sent: `(01)09501101530003(17)261231(10)AB12`, the raw form with GS
    /// (ASCII 29) as FNC1, with or without `]C1`/`]d2`/`]Q3`, or EAN/UPC digits.
    #[param(min_length = 1, max_length = 200)]
    #[schema(min_length = 1, max_length = 200)]
    pub code: String,
}

/// One element of the scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanElement {
    /// Application identifier (`"01"`, `"3103"`); `null` when it could not be told.
    pub ai: Option<String>,
    /// GS1's title for it (`"BATCH/LOT"`); empty when not understood.
    pub title: String,
    /// The value as scanned.
    pub value: String,
}

/// The item a scan names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScannedItem {
    /// Id.
    pub id: ItemId,
    /// Name.
    pub name: String,
    /// `g`, `ml` or `ea`.
    pub base_unit: BaseUnit,
}

/// What a scan names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanResolution {
    /// The scan as received.
    pub code: String,
    /// Its symbology identifier (`"]d2"`), if sent.
    pub symbology: Option<String>,
    /// Its GTIN as GTIN-14.
    pub gtin: Option<String>,
    /// The tenant's item with that GTIN; `null` (and a 404) when none.
    pub item: Option<ScannedItem>,
    /// The supplier item whose GTIN matched (a case), when it was not the item's own barcode.
    pub supplier_item_id: Option<SupplierItemId>,
    /// Batch or lot (`10`).
    pub lot: Option<String>,
    /// Use-by (`17`), else best-before (`15`).
    pub expiry: Option<NaiveDate>,
    /// In the item's base unit: the net weight or volume converted exactly (to the thousandth,
    /// half to even), else a count of the item or its case, else one case or one each.
    pub quantity: Option<Quantity>,
    /// Every element read.
    pub elements: Vec<ScanElement>,
    /// What did not match, for a person: unknown AIs, a GTIN no item has, a weight the item's
    /// unit cannot take.
    pub unmatched: Vec<String>,
}

impl App {
    /// Resolves a scan against the tenant's items. An answer without `item` means no item has
    /// its GTIN (the API answers 404 with it).
    ///
    /// # Errors
    /// 403 without `catalog.read`; 422 on `code` when the scan cannot be read (a GTIN's check
    /// digit, a date that does not exist, a malformed element).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn resolve_barcode(
        &self,
        p: Principal,
        code: &str,
    ) -> Result<ScanResolution, AppError> {
        p.require(Permission::CatalogRead)?;
        if code.chars().count() > 200 {
            return Err(AppError::invalid("code", "must be at most 200 characters"));
        }
        let scan = Gs1::parse(code, Utc::now().date_naive())
            .map_err(|e| AppError::invalid("code", e.to_string()))?;
        let mut out = ScanResolution {
            code: code.to_owned(),
            symbology: scan.symbology.clone(),
            gtin: scan.gtin().map(str::to_owned),
            item: None,
            supplier_item_id: None,
            lot: scan.lot().map(str::to_owned),
            expiry: scan.expiry(),
            quantity: None,
            elements: scan
                .elements
                .iter()
                .map(|e| ScanElement {
                    ai: Some(e.ai.clone()),
                    title: e.title.to_owned(),
                    value: e.raw.clone(),
                })
                .chain(scan.unknown.iter().map(|u| ScanElement {
                    ai: u.ai.clone(),
                    title: String::new(),
                    value: u.raw.clone(),
                }))
                .collect(),
            unmatched: scan
                .unknown
                .iter()
                .map(|u| match &u.ai {
                    Some(ai) => format!("({ai}) {}: not an AI Larder reads", u.raw),
                    None => format!("'{}': an element Larder cannot read", u.raw),
                })
                .collect(),
        };
        let Some(gtin) = out.gtin.clone() else {
            out.unmatched.push("the scan has no GTIN".to_owned());
            return Ok(out);
        };
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let matches = tx.items_by_gtin(&gtin_forms(&gtin)).await?;
                let Some(hit) = matches.first().cloned() else {
                    out.unmatched
                        .push(format!("no item or supplier item has GTIN {gtin}"));
                    return Ok(out);
                };
                if matches.iter().any(|m| m.item_id != hit.item_id) {
                    out.unmatched.push(format!(
                        "GTIN {gtin} is on more than one item; the first is shown"
                    ));
                }
                let item = load_item(tx, hit.item_id).await?;
                out.quantity = quantity(&scan, &item, hit.pack_quantity, &mut out.unmatched);
                out.supplier_item_id = hit.supplier_item_id;
                out.item = Some(ScannedItem {
                    id: item.id,
                    name: item.name,
                    base_unit: item.base_unit,
                });
                Ok(out)
            })
        })
        .await
    }
}

/// The scan's quantity in the item's base unit (see [`ScanResolution::quantity`]).
fn quantity(
    scan: &Gs1,
    item: &super::Item,
    case: Option<Quantity>,
    unmatched: &mut Vec<String>,
) -> Option<Quantity> {
    let to_q = |r: Ratio| larder_core::amount::Rounding::default().apply(r).ok();
    if let Some((unit, amount)) = scan.net() {
        let m = ItemMeasure::of(item);
        return match m.per(unit.as_str()) {
            Ok(per) => amount.checked_mul(per).and_then(to_q),
            Err(why) => {
                let raw = scan
                    .elements
                    .iter()
                    .find(|e| matches!(e.value, Gs1Value::Measure { .. }))
                    .map(|e| format!("({}) {}", e.ai, e.raw))
                    .unwrap_or_default();
                unmatched.push(format!("{raw}: {why}"));
                None
            }
        };
    }
    let count = scan.count().map(i128::from);
    match (case, item.base_unit) {
        (Some(pack), _) => {
            Ratio::new(i128::from(pack.raw()) * count.unwrap_or(1), 1000).and_then(to_q)
        }
        (None, BaseUnit::Ea) => to_q(Ratio::from_int(count.unwrap_or(1))),
        (None, _) => count.and_then(|_| {
            unmatched.push("a count of items without a net weight has no base quantity".into());
            None
        }),
    }
}
