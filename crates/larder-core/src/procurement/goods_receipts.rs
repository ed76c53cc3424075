//! Goods receipts' rules that need no storage: which purchase orders can receive, quantities
//! in packs converted exactly, a line's value and the cost per base unit of its lot, and the
//! order's status once a delivery is in. ADR 015.

use super::purchase_orders::PoStatus;
use crate::decimal::div_round_half_even;
use crate::{Money, Quantity};

/// Whether a purchase order in `status` can receive goods: once approved or sent, and while
/// part of it is still to come. Everything else is a conflict: a draft or submitted order is
/// not agreed with the supplier yet, and a received, cancelled or closed one is finished.
pub fn can_receive(status: PoStatus) -> bool {
    matches!(
        status,
        PoStatus::Approved | PoStatus::Sent | PoStatus::PartiallyReceived
    )
}

/// `packs` (thousandths of a pack: "2.5" packs) of a pack holding `pack_quantity`
/// (thousandths of the base unit), exactly.
///
/// # Errors
/// A message when the product is finer than a thousandth of the base unit (half a pack of
/// 0.001 kg) or beyond a quantity's range.
pub fn packs_to_base(packs: Quantity, pack_quantity: Quantity) -> Result<Quantity, &'static str> {
    let product = i128::from(packs.raw()) * i128::from(pack_quantity.raw());
    if product % 1000 != 0 {
        return Err("is finer than the item's base unit allows");
    }
    i64::try_from(product / 1000)
        .ok()
        .and_then(Quantity::checked_from_raw)
        .ok_or("is out of range")
}

/// The value of `packs` at `price_per_pack`, rounded half to even to the millionth; `None`
/// beyond Money's range.
pub fn packs_value(packs: Quantity, price_per_pack: Money) -> Option<Money> {
    let v = div_round_half_even(
        i128::from(packs.raw()) * i128::from(price_per_pack.raw()),
        1000,
    );
    i64::try_from(v).ok().and_then(Money::checked_from_raw)
}

/// The cost per base unit of `quantity` worth `value`, rounded half to even to the millionth
/// (what the lot records; the lot's value itself is `value`, exactly). `None` for a zero
/// quantity or beyond Money's range.
pub fn unit_cost_of(value: Money, quantity: Quantity) -> Option<Money> {
    if quantity.raw() == 0 {
        return None;
    }
    let v = div_round_half_even(i128::from(value.raw()) * 1000, i128::from(quantity.raw()));
    i64::try_from(v).ok().and_then(Money::checked_from_raw)
}

/// The status a purchase order moves to once its lines have received what they have:
/// `received` when every line has at least what it ordered, `partially_received` otherwise.
/// Each pair is (ordered, received), base units.
pub fn status_after_receipt(lines: impl IntoIterator<Item = (Quantity, Quantity)>) -> PoStatus {
    if lines
        .into_iter()
        .all(|(ordered, received)| received >= ordered)
    {
        PoStatus::Received
    } else {
        PoStatus::PartiallyReceived
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or(Quantity::ZERO)
    }

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap_or(Money::ZERO)
    }

    #[test]
    fn only_agreed_and_unfinished_orders_receive() {
        let open: Vec<PoStatus> = PoStatus::ALL
            .into_iter()
            .filter(|s| can_receive(*s))
            .collect();
        assert_eq!(
            open,
            vec![
                PoStatus::Approved,
                PoStatus::Sent,
                PoStatus::PartiallyReceived
            ]
        );
    }

    #[test]
    fn packs_convert_exactly_or_are_refused() {
        // 2.5 cases of 6 x 1 kg: 15 kg.
        assert_eq!(packs_to_base(q("2.5"), q("6000")), Ok(q("15000")));
        // Half a pack of 0.001 g is not a whole thousandth.
        assert!(packs_to_base(q("0.5"), q("0.001")).is_err());
        assert!(packs_to_base(Quantity::MAX, q("1000")).is_err());
    }

    #[test]
    fn a_line_is_worth_its_packs_and_its_lot_costs_per_base_unit() {
        assert_eq!(packs_value(q("3"), m("16.00")), Some(m("48.00")));
        // A third of a case at 10.00: 3.333333 (half to even at the millionth).
        assert_eq!(packs_value(q("0.333"), m("10")), Some(m("3.33")));
        // 10.00 for 3 kg: 0.003333 per g, the lot keeps 10.00 itself.
        assert_eq!(unit_cost_of(m("10"), q("3000")), Some(m("0.003333")));
        assert_eq!(unit_cost_of(m("10"), Quantity::ZERO), None);
    }

    #[test]
    fn an_order_is_received_when_every_line_has_what_it_ordered() {
        assert_eq!(
            status_after_receipt([(q("10"), q("10")), (q("5"), q("6"))]),
            PoStatus::Received
        );
        assert_eq!(
            status_after_receipt([(q("10"), q("10")), (q("5"), q("4.999"))]),
            PoStatus::PartiallyReceived
        );
    }
}
