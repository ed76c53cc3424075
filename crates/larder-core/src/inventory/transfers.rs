//! Transfers' rules that need no storage (ADR 021): the states a transfer moves through, its
//! human number, and how what the receiver confirms is carried across from the lots the sender
//! gave up: which lots arrive, at what exact value, and the discrepancy (short or over) in
//! quantity and money.
//!
//! A transfer is `requested -> sent -> received`, or `cancelled` before it is sent. Sending
//! takes the lines from the sender's lots FEFO (each lot taken recorded with its quantity and
//! cost); receiving opens, at the receiver, one lot per lot taken, with its code, expiry and
//! exact value. A line received short keeps the lots in the order they were taken (the first
//! ones arrive, the rest are missing); one received over brings the extra in at the line's sent
//! unit cost, as a lot without a code.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::decimal::div_round_half_even;
use crate::{Money, Quantity};

/// Where a transfer is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Asked for; its lines may still change.
    Requested,
    /// Out of the sender's stock, in transit.
    Sent,
    /// Confirmed by the receiver, in the receiver's stock.
    Received,
    /// Called off before it was sent.
    Cancelled,
}

impl TransferStatus {
    /// Every state, in life order.
    pub const ALL: [TransferStatus; 4] = [
        TransferStatus::Requested,
        TransferStatus::Sent,
        TransferStatus::Received,
        TransferStatus::Cancelled,
    ];

    /// The stored and wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Requested => "requested",
            TransferStatus::Sent => "sent",
            TransferStatus::Received => "received",
            TransferStatus::Cancelled => "cancelled",
        }
    }

    /// The actions allowed from this state, in the order a page offers them.
    pub fn actions(self) -> Vec<TransferAction> {
        TransferAction::ALL
            .into_iter()
            .filter(|a| a.apply(self).is_ok())
            .collect()
    }
}

impl fmt::Display for TransferStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TransferStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransferStatus::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a transfer status"))
    }
}

/// What a person does to a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferAction {
    /// `requested -> sent` (by someone at the sending location).
    Send,
    /// `sent -> received` (by someone at the receiving location).
    Receive,
    /// `requested -> cancelled`.
    Cancel,
}

impl TransferAction {
    /// Every action.
    pub const ALL: [TransferAction; 3] = [
        TransferAction::Send,
        TransferAction::Receive,
        TransferAction::Cancel,
    ];

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TransferAction::Send => "send",
            TransferAction::Receive => "receive",
            TransferAction::Cancel => "cancel",
        }
    }

    /// The state this action moves a transfer in `from` to.
    ///
    /// # Errors
    /// A sentence for a person when the action is not allowed from `from` (a second send or
    /// receive included).
    pub fn apply(self, from: TransferStatus) -> Result<TransferStatus, String> {
        use TransferStatus as S;
        match (self, from) {
            (TransferAction::Send, S::Requested) => Ok(S::Sent),
            (TransferAction::Receive, S::Sent) => Ok(S::Received),
            (TransferAction::Cancel, S::Requested) => Ok(S::Cancelled),
            (TransferAction::Send, s) => Err(format!("a transfer that is {s} cannot be sent")),
            (TransferAction::Receive, S::Requested) => {
                Err("a transfer that is requested has not been sent yet".into())
            }
            (TransferAction::Receive, s) => {
                Err(format!("a transfer that is {s} cannot be received"))
            }
            (TransferAction::Cancel, s) => Err(format!(
                "a transfer that is {s} cannot be cancelled{}",
                if s == S::Sent {
                    " (it is in transit: receive it, recording what arrived)"
                } else {
                    ""
                }
            )),
        }
    }
}

impl fmt::Display for TransferAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transfer's number as people say it: `TRF-000042`.
pub fn transfer_number(n: i64) -> String {
    format!("TRF-{n:06}")
}

/// What one lot gave to a line when it was sent (or the part no lot covered): quantity and
/// the cost taken with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentPart {
    /// Quantity taken, thousandths (positive).
    pub quantity: Quantity,
    /// The cost taken with it, millionths.
    pub cost: Money,
}

/// One increase the receiver posts: from the `index`-th part sent (`None`: more than was
/// sent), its quantity and exact value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// The part sent it carries across (`None`: the extra of a line received over).
    pub index: Option<usize>,
    /// Quantity, thousandths (positive).
    pub quantity: Quantity,
    /// Exact value, millionths.
    pub value: Money,
}

/// What receiving one line brings in, and what it differs by from what was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    /// The increases, in the order the parts were taken (the extra last).
    pub arrivals: Vec<Arrival>,
    /// The value received: the sum of the arrivals' values.
    pub received_value: Money,
    /// Received minus sent, thousandths (negative: short; positive: over).
    pub discrepancy_quantity: Quantity,
    /// Received value minus sent value, millionths.
    pub discrepancy_value: Money,
}

/// `value * part / whole`, half to even; exactly `value` when `part == whole`.
fn share(value: Money, part: i64, whole: i64) -> Option<Money> {
    if part == whole {
        return Some(value);
    }
    if whole == 0 {
        return None;
    }
    let v = div_round_half_even(
        i128::from(value.raw()) * i128::from(part),
        i128::from(whole),
    );
    i64::try_from(v).ok().and_then(Money::checked_from_raw)
}

/// Carries `received` across from the `parts` a line was sent as (their quantities sum to
/// what was sent). Received in full, every part arrives at its own cost, so the value
/// received is exactly the value sent. Short, the parts arrive in order until the received
/// quantity runs out; a part cut short arrives at its cost in proportion (half to even). Over,
/// every part arrives and the extra arrives at the line's sent unit cost (sent value x extra /
/// sent quantity, half to even).
///
/// # Errors
/// A message when `received` is negative, nothing was sent, or a value leaves the range.
pub fn carry(parts: &[SentPart], received: Quantity) -> Result<Carried, &'static str> {
    if received.is_negative() {
        return Err("must not be negative");
    }
    let sent: i64 = parts.iter().map(|p| p.quantity.raw()).sum();
    let sent_value = parts
        .iter()
        .try_fold(Money::ZERO, |a, p| a.checked_add(p.cost))
        .ok_or("the value sent is out of range")?;
    if sent <= 0 {
        return Err("nothing was sent");
    }
    let mut left = received.raw();
    let mut arrivals = Vec::with_capacity(parts.len() + 1);
    for (i, p) in parts.iter().enumerate() {
        if left == 0 {
            break;
        }
        let q = left.min(p.quantity.raw());
        if q <= 0 {
            continue;
        }
        let value = share(p.cost, q, p.quantity.raw()).ok_or("a value is out of range")?;
        arrivals.push(Arrival {
            index: Some(i),
            quantity: Quantity::from_raw(q),
            value,
        });
        left -= q;
    }
    if left > 0 {
        let value = share(sent_value, left, sent).ok_or("the extra's value is out of range")?;
        arrivals.push(Arrival {
            index: None,
            quantity: Quantity::from_raw(left),
            value,
        });
    }
    let received_value = arrivals
        .iter()
        .try_fold(Money::ZERO, |a, x| a.checked_add(x.value))
        .ok_or("the value received is out of range")?;
    Ok(Carried {
        arrivals,
        received_value,
        discrepancy_quantity: Quantity::from_raw(received.raw() - sent),
        discrepancy_value: received_value
            .checked_sub(sent_value)
            .ok_or("the discrepancy is out of range")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn part(q: i64, c: i64) -> SentPart {
        SentPart {
            quantity: Quantity::from_raw(q),
            cost: Money::from_raw(c),
        }
    }

    #[test]
    fn numbers_are_six_digits_with_a_prefix() {
        assert_eq!(transfer_number(42), "TRF-000042");
        assert_eq!(transfer_number(1_234_567), "TRF-1234567");
    }

    #[test]
    fn only_the_life_order_moves_a_transfer() {
        use TransferAction as A;
        use TransferStatus as S;
        assert_eq!(A::Send.apply(S::Requested), Ok(S::Sent));
        assert_eq!(A::Receive.apply(S::Sent), Ok(S::Received));
        assert_eq!(A::Cancel.apply(S::Requested), Ok(S::Cancelled));
        assert!(A::Send.apply(S::Sent).is_err());
        assert!(A::Receive.apply(S::Received).is_err());
        assert!(A::Cancel.apply(S::Sent).is_err());
        assert_eq!(S::Requested.actions(), vec![A::Send, A::Cancel]);
        assert_eq!(S::Sent.actions(), vec![A::Receive]);
        assert!(S::Received.actions().is_empty());
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(s));
        }
    }

    #[test]
    fn received_in_full_every_lot_arrives_at_its_own_cost() {
        let c = carry(
            &[part(2_000, 3_000_000), part(1_000, 1_700_000)],
            Quantity::from_raw(3_000),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.arrivals.len(), 2);
        assert_eq!(c.received_value, Money::from_raw(4_700_000));
        assert_eq!(c.discrepancy_quantity, Quantity::ZERO);
        assert_eq!(c.discrepancy_value, Money::ZERO);
    }

    #[test]
    fn short_the_first_lots_arrive_and_the_cut_one_in_proportion() {
        // 2 kg at 3.00 and 1 kg at 1.70 sent, 2.5 kg arrive: the first lot whole, half the
        // second (0.85); 0.5 kg worth 0.85 is missing.
        let c = carry(
            &[part(2_000, 3_000_000), part(1_000, 1_700_000)],
            Quantity::from_raw(2_500),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.arrivals,
            vec![
                Arrival {
                    index: Some(0),
                    quantity: Quantity::from_raw(2_000),
                    value: Money::from_raw(3_000_000)
                },
                Arrival {
                    index: Some(1),
                    quantity: Quantity::from_raw(500),
                    value: Money::from_raw(850_000)
                },
            ]
        );
        assert_eq!(c.discrepancy_quantity, Quantity::from_raw(-500));
        assert_eq!(c.discrepancy_value, Money::from_raw(-850_000));
    }

    #[test]
    fn over_the_extra_arrives_at_the_sent_unit_cost() {
        // 3 sent for 1.00 (0.333.. each); 4 arrive: the extra is 1/3 of 1.00, half to even.
        let c = carry(&[part(3_000, 1_000_000)], Quantity::from_raw(4_000))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.arrivals.len(), 2);
        assert_eq!(c.arrivals[1].index, None);
        assert_eq!(c.arrivals[1].value, Money::from_raw(333_333));
        assert_eq!(c.discrepancy_quantity, Quantity::from_raw(1_000));
        assert_eq!(c.discrepancy_value, Money::from_raw(333_333));
    }

    #[test]
    fn nothing_arriving_is_a_discrepancy_of_everything() {
        let c = carry(&[part(3_000, 1_000_000)], Quantity::ZERO).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.arrivals.is_empty());
        assert_eq!(c.discrepancy_value, Money::from_raw(-1_000_000));
        assert!(carry(&[part(3_000, 1)], Quantity::from_raw(-1)).is_err());
        assert!(carry(&[], Quantity::from_raw(1)).is_err());
    }

    proptest! {
        /// The value received is the value sent plus the discrepancy, exactly, and the
        /// arrivals hold exactly the quantity received; in full, nothing differs.
        #[test]
        fn carrying_conserves_quantity_and_value(
            parts in prop::collection::vec((1i64..5_000_000, 0i64..50_000_000_000), 1..6),
            received in 0i64..30_000_000,
        ) {
            let parts: Vec<SentPart> = parts.into_iter().map(|(q, c)| part(q, c)).collect();
            let sent: i64 = parts.iter().map(|p| p.quantity.raw()).sum();
            let sent_value: i64 = parts.iter().map(|p| p.cost.raw()).sum();
            for r in [received, sent] {
                let c = carry(&parts, Quantity::from_raw(r)).unwrap_or_else(|e| panic!("{e}"));
                let q: i64 = c.arrivals.iter().map(|a| a.quantity.raw()).sum();
                let v: i64 = c.arrivals.iter().map(|a| a.value.raw()).sum();
                prop_assert_eq!(q, r);
                prop_assert_eq!(v, c.received_value.raw());
                prop_assert_eq!(v - sent_value, c.discrepancy_value.raw());
                prop_assert_eq!(r - sent, c.discrepancy_quantity.raw());
                if r == sent {
                    prop_assert_eq!(c.discrepancy_value, Money::ZERO);
                }
            }
        }
    }
}
