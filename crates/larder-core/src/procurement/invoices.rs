//! Invoices' rules that need no storage: the three-way match of a purchase order, what its
//! goods receipts accepted and what its invoices bill, listing every discrepancy; and a
//! supplier's performance over a period (on-time delivery, fill rate, lead times, price
//! variance). Everything is exact integer arithmetic; ratios are rounded half to even only
//! when they are written out as decimal strings. ADR 016.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::goods_receipts::packs_value;
use crate::decimal::div_round_half_even;
use crate::{InvoiceId, Money, Quantity, SupplierItemId};

/// What kind of difference the three-way match found.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// The goods receipts accepted another base quantity than the order has.
    QuantityReceivedVsOrdered,
    /// The invoices bill another base quantity than the receipts accepted.
    QuantityInvoicedVsReceived,
    /// An invoice bills a price per pack the order does not have.
    PriceInvoicedVsOrdered,
    /// A receipt paid a price per pack the order does not have.
    PriceReceivedVsOrdered,
    /// Received, and no invoice bills it.
    MissingOnInvoice,
    /// Invoiced, and no receipt accepted it.
    MissingOnReceipt,
    /// Received or invoiced, and not on the order.
    NotOrdered,
    /// An invoice's stated total is not the sum of its lines.
    TotalMismatch,
}

/// One line of one side of the match (an order line, an accepted receipt line, an invoice
/// line), reduced to what is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchInput {
    /// The supplier item.
    pub supplier_item: SupplierItemId,
    /// Packs, thousandths of a pack.
    pub packs: Quantity,
    /// The same in the item's base unit, thousandths.
    pub quantity: Quantity,
    /// Price per pack (a receipt line by base quantity only may have none).
    pub price_per_pack: Option<Money>,
    /// The line's value as stored (packs x price, exactly).
    pub value: Money,
}

/// An invoice's total as computed from its lines and as the supplier stated it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceTotals {
    /// The invoice.
    pub invoice: InvoiceId,
    /// Its number.
    pub number: String,
    /// The sum of its lines.
    pub computed: Money,
    /// The total printed on it, if given.
    pub stated: Option<Money>,
}

/// What one side of the match sums to for one supplier item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchSide {
    /// Packs (decimal, thousandths).
    pub packs: Quantity,
    /// Base quantity, thousandths of the item's base unit.
    pub quantity: Quantity,
    /// Value, exactly (the sum of the lines' packs x price).
    pub value: Money,
    /// The distinct prices per pack, in the order first seen.
    pub prices: Vec<Money>,
}

/// One difference, with the figures on either side. `*_difference` is actual minus expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Discrepancy {
    /// What kind.
    pub kind: DiscrepancyKind,
    /// The supplier item (none for `total_mismatch`).
    pub supplier_item_id: Option<SupplierItemId>,
    /// The invoice (`total_mismatch` only).
    pub invoice_id: Option<InvoiceId>,
    /// Its number (`total_mismatch` only).
    pub invoice_number: Option<String>,
    /// The base quantity expected (ordered, or received for `quantity_invoiced_vs_received`).
    pub expected_quantity: Option<Quantity>,
    /// The base quantity found.
    pub actual_quantity: Option<Quantity>,
    /// `actual_quantity - expected_quantity`.
    pub quantity_difference: Option<Quantity>,
    /// The price per pack ordered.
    pub expected_price: Option<Money>,
    /// The price per pack received or invoiced.
    pub actual_price: Option<Money>,
    /// Expected amount (`total_mismatch`: the computed total).
    pub expected_amount: Option<Money>,
    /// Actual amount (`total_mismatch`: the stated total).
    pub actual_amount: Option<Money>,
    /// The money effect: the price difference times the packs at that price (half even to
    /// the millionth), or the stated total less the computed one.
    pub amount_difference: Option<Money>,
}

impl Discrepancy {
    fn of(kind: DiscrepancyKind, item: SupplierItemId) -> Self {
        Self {
            kind,
            supplier_item_id: Some(item),
            invoice_id: None,
            invoice_number: None,
            expected_quantity: None,
            actual_quantity: None,
            quantity_difference: None,
            expected_price: None,
            actual_price: None,
            expected_amount: None,
            actual_amount: None,
            amount_difference: None,
        }
    }
}

/// One supplier item in the match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchLine {
    /// The supplier item.
    pub supplier_item_id: SupplierItemId,
    /// What the order has (none: not ordered).
    pub ordered: Option<MatchSide>,
    /// What the receipts accepted (none: nothing).
    pub received: Option<MatchSide>,
    /// What the invoices bill (none: nothing).
    pub invoiced: Option<MatchSide>,
    /// This item's discrepancies (empty: it matches).
    pub discrepancies: Vec<Discrepancy>,
}

/// The whole match: per supplier item (in the order's line order, then anything else as
/// first received or invoiced), and every discrepancy, the invoices' totals included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThreeWayMatch {
    /// Per supplier item.
    pub lines: Vec<MatchLine>,
    /// Every discrepancy (the lines' and `total_mismatch`); empty for a clean match.
    pub discrepancies: Vec<Discrepancy>,
}

fn q(raw: i128) -> Option<Quantity> {
    i64::try_from(raw).ok().and_then(Quantity::checked_from_raw)
}

fn m(raw: i128) -> Option<Money> {
    i64::try_from(raw).ok().and_then(Money::checked_from_raw)
}

/// Sums the lines of one side by supplier item; also the packs at each distinct price.
#[derive(Default)]
struct Acc {
    packs: i128,
    quantity: i128,
    value: i128,
    /// (price, packs at it), in the order first seen.
    by_price: Vec<(Money, i128)>,
}

impl Acc {
    fn add(&mut self, l: &MatchInput) {
        self.packs += i128::from(l.packs.raw());
        self.quantity += i128::from(l.quantity.raw());
        self.value += i128::from(l.value.raw());
        if let Some(p) = l.price_per_pack {
            match self.by_price.iter_mut().find(|(x, _)| *x == p) {
                Some((_, n)) => *n += i128::from(l.packs.raw()),
                None => self.by_price.push((p, i128::from(l.packs.raw()))),
            }
        }
    }

    fn side(&self) -> Option<MatchSide> {
        Some(MatchSide {
            packs: q(self.packs)?,
            quantity: q(self.quantity)?,
            value: m(self.value)?,
            prices: self.by_price.iter().map(|(p, _)| *p).collect(),
        })
    }
}

fn sum(lines: &[MatchInput]) -> (Vec<SupplierItemId>, HashMap<SupplierItemId, Acc>) {
    let mut order = Vec::new();
    let mut map: HashMap<SupplierItemId, Acc> = HashMap::new();
    for l in lines {
        if !map.contains_key(&l.supplier_item) {
            order.push(l.supplier_item);
        }
        map.entry(l.supplier_item).or_default().add(l);
    }
    (order, map)
}

/// Prices on `side` that the order does not have, each with the packs at it.
fn price_discrepancies(
    kind: DiscrepancyKind,
    item: SupplierItemId,
    ordered: &Acc,
    side: &Acc,
) -> Option<Vec<Discrepancy>> {
    let Some((expected, _)) = ordered.by_price.first().copied() else {
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    for (price, packs) in &side.by_price {
        if ordered.by_price.iter().any(|(p, _)| p == price) {
            continue;
        }
        let diff = m(i128::from(price.raw()) - i128::from(expected.raw()))?;
        out.push(Discrepancy {
            expected_price: Some(expected),
            actual_price: Some(*price),
            amount_difference: Some(packs_value(q(*packs)?, diff)?),
            ..Discrepancy::of(kind, item)
        });
    }
    Some(out)
}

fn quantity_discrepancy(
    kind: DiscrepancyKind,
    item: SupplierItemId,
    expected: i128,
    actual: i128,
) -> Option<Discrepancy> {
    Some(Discrepancy {
        expected_quantity: Some(q(expected)?),
        actual_quantity: Some(q(actual)?),
        quantity_difference: Some(q(actual - expected)?),
        ..Discrepancy::of(kind, item)
    })
}

/// Matches an order's lines against what its receipts accepted and its invoices bill, per
/// supplier item, and checks each invoice's stated total. Quantities are compared in the
/// item's base unit, prices per pack exactly. The kinds:
///
/// - ordered, and the receipts accepted another quantity (nothing, too):
///   `quantity_received_vs_ordered`;
/// - received and invoiced in different quantities: `quantity_invoiced_vs_received`;
/// - a received (or invoiced) price per pack the order does not have, one per such price
///   with the packs at it: `price_received_vs_ordered` (`price_invoiced_vs_ordered`);
/// - received, not invoiced: `missing_on_invoice`; invoiced, not received:
///   `missing_on_receipt`; received or invoiced, not ordered: `not_ordered`;
/// - a stated total that is not the computed one: `total_mismatch`.
///
/// `None` when a sum is beyond Quantity's or Money's range.
pub fn three_way_match(
    ordered: &[MatchInput],
    received: &[MatchInput],
    invoiced: &[MatchInput],
    totals: &[InvoiceTotals],
) -> Option<ThreeWayMatch> {
    use DiscrepancyKind as K;
    let (mut keys, o) = sum(ordered);
    let (rk, r) = sum(received);
    let (ik, i) = sum(invoiced);
    for k in rk.into_iter().chain(ik) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut lines = Vec::with_capacity(keys.len());
    let mut all = Vec::new();
    for item in keys {
        let (oa, ra, ia) = (o.get(&item), r.get(&item), i.get(&item));
        let got_received = ra.is_some_and(|a| a.quantity != 0);
        let got_invoiced = ia.is_some_and(|a| a.quantity != 0);
        let mut d = Vec::new();
        match oa {
            Some(oa) => {
                let rq = ra.map_or(0, |a| a.quantity);
                if rq != oa.quantity {
                    d.push(quantity_discrepancy(
                        K::QuantityReceivedVsOrdered,
                        item,
                        oa.quantity,
                        rq,
                    )?);
                }
                if let Some(ra) = ra {
                    d.extend(price_discrepancies(
                        K::PriceReceivedVsOrdered,
                        item,
                        oa,
                        ra,
                    )?);
                }
                if let Some(ia) = ia {
                    d.extend(price_discrepancies(
                        K::PriceInvoicedVsOrdered,
                        item,
                        oa,
                        ia,
                    )?);
                }
            }
            None => {
                if got_received || got_invoiced {
                    d.push(Discrepancy::of(K::NotOrdered, item));
                }
            }
        }
        match (ra, ia) {
            (Some(ra), Some(ia)) if got_received && got_invoiced && ra.quantity != ia.quantity => {
                d.push(quantity_discrepancy(
                    K::QuantityInvoicedVsReceived,
                    item,
                    ra.quantity,
                    ia.quantity,
                )?);
            }
            _ => {}
        }
        if got_received && !got_invoiced {
            d.push(Discrepancy {
                actual_quantity: ra.and_then(|a| q(a.quantity)),
                ..Discrepancy::of(K::MissingOnInvoice, item)
            });
        }
        if got_invoiced && !got_received {
            d.push(Discrepancy {
                actual_quantity: ia.and_then(|a| q(a.quantity)),
                ..Discrepancy::of(K::MissingOnReceipt, item)
            });
        }
        all.extend(d.iter().cloned());
        lines.push(MatchLine {
            supplier_item_id: item,
            ordered: match oa {
                Some(a) => Some(a.side()?),
                None => None,
            },
            received: match ra {
                Some(a) => Some(a.side()?),
                None => None,
            },
            invoiced: match ia {
                Some(a) => Some(a.side()?),
                None => None,
            },
            discrepancies: d,
        });
    }
    for t in totals {
        if let Some(stated) = t.stated
            && stated != t.computed
        {
            all.push(Discrepancy {
                kind: K::TotalMismatch,
                supplier_item_id: None,
                invoice_id: Some(t.invoice),
                invoice_number: Some(t.number.clone()),
                expected_quantity: None,
                actual_quantity: None,
                quantity_difference: None,
                expected_price: None,
                actual_price: None,
                expected_amount: Some(t.computed),
                actual_amount: Some(stated),
                amount_difference: Some(
                    m(i128::from(stated.raw()) - i128::from(t.computed.raw()))?,
                ),
            });
        }
    }
    Some(ThreeWayMatch {
        lines,
        discrepancies: all,
    })
}

/// The decimal places of the rates in [`SupplierPerformance`] (`0.8333` is 83.33 %).
pub const RATE_PLACES: u32 = 4;
/// The decimal places of the average lead times, in days (`2.50`).
pub const DAYS_PLACES: u32 = 2;

/// `num / den` written with `places` decimals, rounded half to even; `None` when `den` is 0.
pub fn decimal_ratio(num: i128, den: i128, places: u32) -> Option<String> {
    if den == 0 {
        return None;
    }
    let scaled = div_round_half_even(num.checked_mul(10i128.checked_pow(places)?)?, den);
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    let unit = 10u128.pow(places);
    if places == 0 {
        return Some(format!("{sign}{abs}"));
    }
    Some(format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = places as usize
    ))
}

/// One purchase order's history, as supplier performance reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderHistory {
    /// The day it was sent (local), if it was.
    pub sent_on: Option<NaiveDate>,
    /// The day it was expected.
    pub expected: NaiveDate,
    /// The day of its first goods receipt (local), if any.
    pub first_receipt_on: Option<NaiveDate>,
    /// Per order line: (ordered, received) base quantity.
    pub lines: Vec<(Quantity, Quantity)>,
    /// The order's value (its total).
    pub ordered_value: Money,
    /// What was paid against what was ordered: (ordered price, price paid, packs), from the
    /// invoices where they bill the item, else from the receipts.
    pub prices: Vec<(Money, Money, Quantity)>,
}

/// A supplier's figures over a period. Rates are fractions with [`RATE_PLACES`] decimals
/// (`"0.5000"` is 50 %), lead times days with [`DAYS_PLACES`] decimals; each rounded half to
/// even from exact integer sums, and absent when nothing counts toward it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PerformanceFigures {
    /// Orders expected in the period.
    pub orders: u32,
    /// Of them, delivered (a first receipt) or overdue (expected before today): these count
    /// toward the on-time and fill rates.
    pub due: u32,
    /// Of those, first received on or before the expected day.
    pub on_time: u32,
    /// `on_time / due`.
    pub on_time_rate: Option<String>,
    /// The due orders' received base quantity, each line capped at what it ordered, over
    /// their ordered base quantity.
    pub fill_rate: Option<String>,
    /// Average days from sending to the expected day, over orders that were sent.
    pub promised_lead_time_days: Option<String>,
    /// Average days from sending to the first receipt, over orders sent and received.
    pub actual_lead_time_days: Option<String>,
    /// Sum of (price paid - price ordered) x packs, exactly.
    pub price_variance: Money,
    /// `price_variance` over the value ordered by the orders that received anything.
    pub price_variance_rate: Option<String>,
}

/// A supplier's performance from its orders' histories; `today` (local) decides which
/// orders not yet received are overdue. `None` on an amount beyond Money's range.
pub fn supplier_performance(
    orders: &[OrderHistory],
    today: NaiveDate,
) -> Option<PerformanceFigures> {
    let mut f = PerformanceFigures {
        orders: u32::try_from(orders.len()).ok()?,
        ..Default::default()
    };
    let (mut filled, mut ordered) = (0i128, 0i128);
    let (mut promised, mut promised_n, mut actual, mut actual_n) = (0i128, 0i128, 0i128, 0i128);
    let (mut variance, mut received_value) = (0i128, 0i128);
    for o in orders {
        let due = o.first_receipt_on.is_some() || o.expected < today;
        if due {
            f.due += 1;
            if o.first_receipt_on.is_some_and(|d| d <= o.expected) {
                f.on_time += 1;
            }
            for (ord, rec) in &o.lines {
                ordered += i128::from(ord.raw());
                filled += i128::from(rec.raw().min(ord.raw()).max(0));
            }
        }
        if let Some(sent) = o.sent_on {
            promised += i128::from((o.expected - sent).num_days());
            promised_n += 1;
            if let Some(first) = o.first_receipt_on {
                actual += i128::from((first - sent).num_days());
                actual_n += 1;
            }
        }
        if o.first_receipt_on.is_some() {
            received_value += i128::from(o.ordered_value.raw());
            for (ord, paid, packs) in &o.prices {
                let diff = m(i128::from(paid.raw()) - i128::from(ord.raw()))?;
                variance += i128::from(packs_value(*packs, diff)?.raw());
            }
        }
    }
    f.on_time_rate = decimal_ratio(i128::from(f.on_time), i128::from(f.due), RATE_PLACES);
    f.fill_rate = decimal_ratio(filled, ordered, RATE_PLACES);
    f.promised_lead_time_days = decimal_ratio(promised, promised_n, DAYS_PLACES);
    f.actual_lead_time_days = decimal_ratio(actual, actual_n, DAYS_PLACES);
    f.price_variance = m(variance)?;
    f.price_variance_rate = decimal_ratio(variance, received_value, RATE_PLACES);
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qt(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or(Quantity::ZERO)
    }

    fn mo(s: &str) -> Money {
        Money::parse(s).unwrap_or(Money::ZERO)
    }

    /// `packs` of a 6 kg case at `price`.
    fn line(item: SupplierItemId, packs: &str, price: &str) -> MatchInput {
        let packs = qt(packs);
        let price = mo(price);
        MatchInput {
            supplier_item: item,
            packs,
            quantity: Quantity::from_raw(packs.raw() * 6000),
            price_per_pack: Some(price),
            value: packs_value(packs, price).unwrap_or(Money::ZERO),
        }
    }

    fn kinds(m: &ThreeWayMatch) -> Vec<DiscrepancyKind> {
        m.discrepancies.iter().map(|d| d.kind).collect()
    }

    fn run(o: &[MatchInput], r: &[MatchInput], i: &[MatchInput]) -> ThreeWayMatch {
        three_way_match(o, r, i, &[]).unwrap_or(ThreeWayMatch {
            lines: Vec::new(),
            discrepancies: Vec::new(),
        })
    }

    #[test]
    fn a_clean_match_has_no_discrepancy() {
        let a = SupplierItemId::new();
        let o = [line(a, "3", "9.60")];
        let got = run(&o, &[line(a, "2", "9.60"), line(a, "1", "9.60")], &o);
        assert!(got.discrepancies.is_empty(), "{got:?}");
        assert_eq!(
            got.lines[0].received.as_ref().map(|s| s.value),
            Some(mo("28.80"))
        );
    }

    #[test]
    fn short_delivery_is_quantity_received_vs_ordered() {
        let a = SupplierItemId::new();
        let got = run(
            &[line(a, "3", "9.60")],
            &[line(a, "2", "9.60")],
            &[line(a, "2", "9.60")],
        );
        assert_eq!(
            kinds(&got),
            vec![DiscrepancyKind::QuantityReceivedVsOrdered]
        );
        let d = &got.discrepancies[0];
        assert_eq!(
            (
                d.expected_quantity,
                d.actual_quantity,
                d.quantity_difference
            ),
            (Some(qt("18000")), Some(qt("12000")), Some(qt("-6000")))
        );
    }

    #[test]
    fn billing_more_than_received_is_quantity_invoiced_vs_received() {
        let a = SupplierItemId::new();
        let o = [line(a, "3", "9.60")];
        let got = run(&o, &o, &[line(a, "3.5", "9.60")]);
        assert_eq!(
            kinds(&got),
            vec![DiscrepancyKind::QuantityInvoicedVsReceived]
        );
        assert_eq!(got.discrepancies[0].quantity_difference, Some(qt("3000")));
    }

    #[test]
    fn prices_differing_from_the_order_are_priced_per_side() {
        let a = SupplierItemId::new();
        let got = run(
            &[line(a, "3", "9.60")],
            &[line(a, "3", "9.90")],
            &[line(a, "3", "10.00")],
        );
        assert_eq!(
            kinds(&got),
            vec![
                DiscrepancyKind::PriceReceivedVsOrdered,
                DiscrepancyKind::PriceInvoicedVsOrdered
            ]
        );
        // 3 packs x 0.30 and 3 x 0.40, exactly.
        assert_eq!(got.discrepancies[0].amount_difference, Some(mo("0.90")));
        assert_eq!(got.discrepancies[1].amount_difference, Some(mo("1.20")));
        assert_eq!(got.discrepancies[1].expected_price, Some(mo("9.60")));
    }

    #[test]
    fn received_and_not_invoiced_is_missing_on_invoice() {
        let a = SupplierItemId::new();
        let o = [line(a, "1", "5")];
        let got = run(&o, &o, &[]);
        assert_eq!(kinds(&got), vec![DiscrepancyKind::MissingOnInvoice]);
    }

    #[test]
    fn invoiced_and_not_received_is_missing_on_receipt() {
        let a = SupplierItemId::new();
        let o = [line(a, "1", "5")];
        let got = run(&o, &[], &o);
        assert_eq!(
            kinds(&got),
            vec![
                DiscrepancyKind::QuantityReceivedVsOrdered,
                DiscrepancyKind::MissingOnReceipt
            ]
        );
    }

    #[test]
    fn something_received_that_was_never_ordered_is_not_ordered() {
        let (a, b) = (SupplierItemId::new(), SupplierItemId::new());
        let o = [line(a, "1", "5")];
        let extra = [line(a, "1", "5"), line(b, "2", "1.25")];
        let got = run(&o, &extra, &extra);
        assert_eq!(kinds(&got), vec![DiscrepancyKind::NotOrdered]);
        assert_eq!(got.lines[1].supplier_item_id, b);
        assert!(got.lines[1].ordered.is_none());
    }

    #[test]
    fn a_stated_total_other_than_the_lines_is_total_mismatch() {
        let a = SupplierItemId::new();
        let o = [line(a, "1", "5")];
        let inv = InvoiceId::new();
        let totals = [
            InvoiceTotals {
                invoice: inv,
                number: "INV-1".into(),
                computed: mo("5"),
                stated: Some(mo("5.01")),
            },
            InvoiceTotals {
                invoice: InvoiceId::new(),
                number: "INV-2".into(),
                computed: mo("5"),
                stated: Some(mo("5")),
            },
        ];
        let got = three_way_match(&o, &o, &o, &totals);
        let got = got.unwrap_or(ThreeWayMatch {
            lines: Vec::new(),
            discrepancies: Vec::new(),
        });
        assert_eq!(kinds(&got), vec![DiscrepancyKind::TotalMismatch]);
        assert_eq!(got.discrepancies[0].invoice_id, Some(inv));
        assert_eq!(got.discrepancies[0].amount_difference, Some(mo("0.01")));
    }

    #[test]
    fn ratios_round_half_to_even_at_their_places() {
        assert_eq!(decimal_ratio(1, 3, 4).as_deref(), Some("0.3333"));
        assert_eq!(decimal_ratio(2, 3, 4).as_deref(), Some("0.6667"));
        // 0.00005 is a tie: to even.
        assert_eq!(decimal_ratio(1, 20000, 4).as_deref(), Some("0.0000"));
        assert_eq!(decimal_ratio(3, 20000, 4).as_deref(), Some("0.0002"));
        assert_eq!(decimal_ratio(-5, 2, 2).as_deref(), Some("-2.50"));
        assert_eq!(decimal_ratio(1, 0, 4), None);
    }

    #[test]
    fn performance_of_an_on_time_full_and_a_late_partial_delivery() {
        let d = |day: u32| NaiveDate::from_ymd_opt(2026, 12, day).unwrap_or_default();
        let on_time = OrderHistory {
            sent_on: Some(d(1)),
            expected: d(3),
            first_receipt_on: Some(d(3)),
            lines: vec![(qt("18000"), qt("18000"))],
            ordered_value: mo("28.80"),
            prices: vec![(mo("9.60"), mo("9.60"), qt("3"))],
        };
        let late = OrderHistory {
            sent_on: Some(d(2)),
            expected: d(4),
            first_receipt_on: Some(d(7)),
            // Over on one line (capped), short on the other.
            lines: vec![(qt("6000"), qt("7000")), (qt("10000"), qt("4000"))],
            ordered_value: mo("20.00"),
            prices: vec![(mo("10.00"), mo("10.50"), qt("1"))],
        };
        let pending = OrderHistory {
            sent_on: None,
            expected: d(20),
            ..Default::default()
        };
        let f = supplier_performance(&[on_time, late, pending], d(10));
        let f = f.unwrap_or_default();
        assert_eq!((f.orders, f.due, f.on_time), (3, 2, 1));
        assert_eq!(f.on_time_rate.as_deref(), Some("0.5000"));
        // (18000 + 6000 + 4000) / (18000 + 6000 + 10000) = 28 / 34.
        assert_eq!(f.fill_rate.as_deref(), Some("0.8235"));
        assert_eq!(f.promised_lead_time_days.as_deref(), Some("2.00"));
        // (2 + 5) / 2.
        assert_eq!(f.actual_lead_time_days.as_deref(), Some("3.50"));
        assert_eq!(f.price_variance, mo("0.50"));
        // 0.50 / 48.80.
        assert_eq!(f.price_variance_rate.as_deref(), Some("0.0102"));
    }
}
