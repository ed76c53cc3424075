//! The scan box of the pages that take stock item by item (the count sheet, waste, transfers;
//! ADR 018): `/assets/scan-lines.js`, which puts a resolved scan on the page's line of its
//! item, and, for a phone without script, the same box as a plain GET form: the code it sends
//! is resolved here through larder-app's barcode resolution, and the page comes back with the
//! item chosen and its amount filled.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use larder_app::{AppError, Principal};
use larder_core::amount::parse_amount;
use larder_core::{BaseUnit, ItemId, Quantity};

use super::format::count;
use crate::AppState;

/// The lines pages' scanning script (its contract is at the top of the file).
const SCRIPT: &str = include_str!("../../assets/scan-lines.js");

/// `GET /assets/scan-lines.js`.
pub fn router() -> Router<AppState> {
    Router::new().route("/assets/scan-lines.js", get(script))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The item a scan names, as a page without script uses it.
#[derive(Clone, Debug)]
pub struct Found {
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub name: String,
    /// What the scan carries (a net weight, a case, a count), as an amount a box takes back
    /// ("2500 g", "24 ea"); `None` when it carries no quantity.
    pub amount: Option<String>,
}

/// What a scan box sent, resolved.
#[derive(Clone, Debug)]
pub enum Scanned {
    /// An item has the scan's GTIN.
    Item(Found),
    /// No item has it, or the scan cannot be read: the sentence for the person, naming the
    /// code.
    Missed(String),
}

/// Resolves `code` (what the scan box sent) against the tenant's items.
///
/// # Errors
/// 403 without `catalog.read`; storage errors. A code no item has, or one that cannot be read,
/// is [`Scanned::Missed`], not an error.
pub async fn resolve(s: &AppState, p: Principal, code: &str) -> Result<Scanned, AppError> {
    let code = code.trim();
    match s.app.resolve_barcode(p, code).await {
        Ok(r) => Ok(match r.item {
            Some(item) => Scanned::Item(Found {
                item_id: item.id,
                amount: r.quantity.map(|q| amount_text(q, item.base_unit)),
                name: item.name,
            }),
            None => Scanned::Missed(match r.gtin.as_deref() {
                Some(gtin) => format!("No item has the code {}.", short_gtin(gtin)),
                None => format!("{code} has no GTIN: no item can be found by it."),
            }),
        }),
        Err(AppError::Validation { message, .. }) => Ok(Scanned::Missed(format!(
            "Cannot read the code {code}: {message}."
        ))),
        Err(e) => Err(e),
    }
}

/// A GTIN as people compare it: without its leading zeros (GTIN-14 `00000096385074` is the
/// EAN-8 `96385074`), as the receiving page says it.
fn short_gtin(gtin: &str) -> &str {
    let s = gtin.trim_start_matches('0');
    if s.is_empty() { "0" } else { s }
}

/// `q` of the base unit as an amount the amount boxes take back exactly: `2500 g`, `1.5 ea`.
pub fn amount_text(q: Quantity, unit: BaseUnit) -> String {
    format!("{} {}", count(q), unit.as_str())
}

/// `more` (one part, such as `2500 g`) added to what a box holds: the two summed exactly when
/// both are one number of the same unit (`1 ea` and `1 ea` make `2 ea`), else joined with `+`
/// (`1 sack + 7.5 kg + 2500 g`), which every amount box sums; blank is `more` alone.
pub fn add_amount(held: &str, more: &str) -> String {
    let held = held.trim();
    if held.is_empty() {
        return more.to_owned();
    }
    let single = |t: &str| {
        parse_amount(t)
            .ok()
            .filter(|parts| parts.len() == 1)
            .and_then(|mut parts| parts.pop())
    };
    if let (Some(a), Some(b)) = (single(held), single(more))
        && a.of == b.of
        && let Some(sum) = a.count.raw().checked_add(b.count.raw())
        && sum <= Quantity::MAX_RAW
    {
        let total = Quantity::from_raw(sum);
        return if a.of.is_empty() {
            count(total)
        } else {
            format!("{} {}", count(total), a.of)
        };
    }
    format!("{held} + {more}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_is_added_exactly_to_what_a_box_holds() {
        assert_eq!(add_amount("", "2500 g"), "2500 g");
        assert_eq!(add_amount(" 1 ea ", "1 ea"), "2 ea");
        assert_eq!(add_amount("1.25 kg", "0.5 kg"), "1.75 kg");
        assert_eq!(add_amount("2500 g", "1 kg"), "2500 g + 1 kg");
        assert_eq!(
            add_amount("1 sack + 7.5 kg", "2500 g"),
            "1 sack + 7.5 kg + 2500 g"
        );
        assert_eq!(add_amount("3", "2"), "5");
    }

    #[test]
    fn a_scanned_quantity_reads_back_as_the_same_amount() {
        assert_eq!(
            amount_text(Quantity::from_raw(2_500_000), BaseUnit::G),
            "2500 g"
        );
        assert_eq!(
            amount_text(Quantity::from_raw(1_250), BaseUnit::Ml),
            "1.25 ml"
        );
        assert_eq!(short_gtin("00000096385074"), "96385074");
    }
}
