//! Production's pure rules (issue 9, item 5; ADR 022): what a batch of a recipe consumes when
//! sub-recipes that are themselves produced are taken from stock, the batch number, the
//! produced lot's use-by date, yield variance, expected usage of a prep item, and the prep
//! list's quantity to make.
//!
//! Quantities are thousandths of a base unit (the produced item's base unit is its recipe's
//! yield unit); everything is exact until one final rounding, half to even for amounts and up
//! for whole batches.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};

use crate::decimal::{Quantity, div_round_half_even};
use crate::ids::{ItemId, RecipeId};
use crate::menu::{self, Component, RecipeDef, RecipeError, Usage};
use crate::rational::Ratio;
use crate::units::{BaseUnit, Unit};

/// The recipe book as production sees it: every line naming a sub-recipe that has a produced
/// item (in `produced`: recipe -> its item) is replaced by that item, in the sub-recipe's
/// yield unit, so exploding a recipe stops at prep items kept in stock (a sauce made
/// yesterday is taken from the sauce's lots, not re-made from its ingredients). Lines of
/// other sub-recipes are left, and explode through as usual.
pub fn stock_book(
    recipes: &HashMap<RecipeId, RecipeDef>,
    produced: &HashMap<RecipeId, ItemId>,
) -> HashMap<RecipeId, RecipeDef> {
    recipes
        .iter()
        .map(|(id, def)| {
            let mut def = def.clone();
            for line in &mut def.lines {
                if let Component::Recipe(sub) = line.component
                    && let Some(item) = produced.get(&sub)
                {
                    line.component = Component::Item(*item);
                }
            }
            (*id, def)
        })
        .collect()
}

/// What making `planned` (thousandths of the recipe's yield unit) of `recipe` consumes, per
/// item in its base unit, rounded half to even once per item; items that round to zero are
/// left out. Produced sub-recipes are consumed as their items (see [`stock_book`]).
///
/// # Errors
/// [`RecipeError`] when the recipe cannot be exploded (cycle, unknown component, unit
/// mismatch) or the amounts overflow.
pub fn batch_usage(
    recipe: RecipeId,
    recipes: &HashMap<RecipeId, RecipeDef>,
    items: &HashMap<ItemId, BaseUnit>,
    produced: &HashMap<RecipeId, ItemId>,
    planned: Quantity,
) -> Result<Vec<(ItemId, Quantity)>, RecipeError> {
    let book = stock_book(recipes, produced);
    let per_unit = menu::explode(recipe, &book, items)?;
    let name = || {
        recipes
            .get(&recipe)
            .map_or_else(|| recipe.to_string(), |r| r.name.clone())
    };
    let mut total = Usage::new();
    menu::accumulate(&mut total, &per_unit, planned)
        .ok_or_else(|| RecipeError::Overflow(name()))?;
    menu::to_quantities(&total).ok_or_else(|| RecipeError::Overflow(name()))
}

/// A batch's number as people say it: `PB-000001`, sequential per tenant.
pub fn batch_number(n: i64) -> String {
    format!("PB-{n:06}")
}

/// The use-by date of what a batch made: the business day it was made plus the recipe's
/// shelf life in days; `None` without a shelf life (or beyond the calendar).
pub fn use_by(produced_on: NaiveDate, shelf_life_days: Option<i32>) -> Option<NaiveDate> {
    let days = u64::try_from(shelf_life_days?).ok()?;
    produced_on.checked_add_days(Days::new(days))
}

/// Yield variance of a batch: actual minus planned (thousandths of the yield unit), and that
/// as a percentage of planned in hundredths of a percent, rounded half to even (`-400` is
/// -4.00 %); the percentage is `None` when nothing was planned.
pub fn yield_variance(planned: Quantity, actual: Quantity) -> (Quantity, Option<i64>) {
    let diff = i128::from(actual.raw()) - i128::from(planned.raw());
    let q = i64::try_from(diff)
        .ok()
        .and_then(Quantity::checked_from_raw)
        .unwrap_or(if diff < 0 {
            Quantity::from_raw(-Quantity::MAX_RAW)
        } else {
            Quantity::MAX
        });
    let pct = (planned.raw() != 0)
        .then(|| div_round_half_even(diff * 10_000, i128::from(planned.raw())))
        .and_then(|p| i64::try_from(p).ok());
    (q, pct)
}

/// Formats hundredths of a percent as `-4.00`.
pub fn format_pct(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let a = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Expected usage of each prep item on a day: the mean, over the same weekday of each of the
/// last `weeks` weeks, of portions sold x what one portion takes of the item. `days` holds
/// one map per past day (menu item's exact usage per portion is `usage`, keyed the same as
/// the sold quantities); days without sales count as zero, so a new site reads low until it
/// has `weeks` weeks of history. Exact; round with [`menu::to_quantities`].
///
/// `None` on overflow or when `weeks` is zero.
pub fn expected_usage<K: std::hash::Hash + Eq>(
    days: &[HashMap<K, Quantity>],
    usage: &HashMap<K, Usage>,
    weeks: u32,
) -> Option<Usage> {
    let mut total = Usage::new();
    for sold in days {
        for (k, portions) in sold {
            if let Some(u) = usage.get(k) {
                menu::accumulate(&mut total, u, *portions)?;
            }
        }
    }
    let inv = Ratio::new(1, i128::from(weeks))?;
    for v in total.values_mut() {
        *v = v.checked_mul(inv)?;
    }
    Some(total)
}

/// How much to make: the par level plus the day's expected usage less what is on hand,
/// nothing when that is not positive, else rounded up to whole batches of `batch`
/// (thousandths; a batch that is not positive counts as one thousandth). Returns the quantity
/// and the number of batches. `None` when the numbers leave `i64`.
pub fn to_make(
    par: Quantity,
    expected: Quantity,
    on_hand: Quantity,
    batch: Quantity,
) -> Option<(Quantity, i64)> {
    let batch = batch.raw().max(1);
    let need = par
        .raw()
        .checked_add(expected.raw())?
        .checked_sub(on_hand.raw())?;
    if need <= 0 {
        return Some((Quantity::ZERO, 0));
    }
    let batches = need.checked_add(batch - 1)? / batch;
    Some((Quantity::from_raw(batches.checked_mul(batch)?), batches))
}

/// The recipe line a produced item stands for in its unit: `quantity` of the item in `unit`
/// (the recipe's yield unit, which is the produced item's base unit).
pub fn yield_unit(unit: BaseUnit) -> Unit {
    Unit::from(unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::RecipeLine;
    use proptest::prelude::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_default()
    }

    /// Tomato sauce (produced): 2 kg tomatoes + 100 ml oil make 2 000 g. Lasagne tray: 500 g
    /// sauce + 1 kg pasta dough (not produced: 600 g flour + 400 g egg, yield 1 000 g).
    #[test]
    fn produced_sub_recipes_are_taken_from_stock_and_others_explode() {
        let (tomato, oil, flour, egg, sauce_item) = (
            ItemId::new(),
            ItemId::new(),
            ItemId::new(),
            ItemId::new(),
            ItemId::new(),
        );
        let (sauce, dough, tray) = (RecipeId::new(), RecipeId::new(), RecipeId::new());
        let line = |component, quantity: &str, unit| RecipeLine {
            component,
            quantity: q(quantity),
            unit,
        };
        let recipes = HashMap::from([
            (
                sauce,
                RecipeDef {
                    id: sauce,
                    name: "sauce".into(),
                    yield_quantity: q("2000"),
                    yield_unit: BaseUnit::G,
                    lines: vec![
                        line(Component::Item(tomato), "2", Unit::Kg),
                        line(Component::Item(oil), "100", Unit::Ml),
                    ],
                },
            ),
            (
                dough,
                RecipeDef {
                    id: dough,
                    name: "dough".into(),
                    yield_quantity: q("1000"),
                    yield_unit: BaseUnit::G,
                    lines: vec![
                        line(Component::Item(flour), "600", Unit::G),
                        line(Component::Item(egg), "400", Unit::G),
                    ],
                },
            ),
            (
                tray,
                RecipeDef {
                    id: tray,
                    name: "tray".into(),
                    yield_quantity: q("1"),
                    yield_unit: BaseUnit::Ea,
                    lines: vec![
                        line(Component::Recipe(sauce), "500", Unit::G),
                        line(Component::Recipe(dough), "1", Unit::Kg),
                    ],
                },
            ),
        ]);
        let items = HashMap::from([
            (tomato, BaseUnit::G),
            (oil, BaseUnit::Ml),
            (flour, BaseUnit::G),
            (egg, BaseUnit::G),
            (sauce_item, BaseUnit::G),
        ]);
        let produced = HashMap::from([(sauce, sauce_item)]);
        // Three trays: 1 500 g of sauce from stock, 1 800 g flour, 1 200 g egg.
        let mut got = batch_usage(tray, &recipes, &items, &produced, q("3")).unwrap_or_default();
        got.sort();
        let mut want = vec![
            (sauce_item, q("1500")),
            (flour, q("1800")),
            (egg, q("1200")),
        ];
        want.sort();
        assert_eq!(got, want);
        // The sauce itself, 3 000 g (1.5 batches): its own lines, scaled.
        let mut got =
            batch_usage(sauce, &recipes, &items, &produced, q("3000")).unwrap_or_default();
        got.sort();
        let mut want = vec![(tomato, q("3000")), (oil, q("150"))];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn numbers_use_by_and_variance() {
        assert_eq!(batch_number(1), "PB-000001");
        assert_eq!(batch_number(1_234_567), "PB-1234567");
        let d = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap_or_default();
        assert_eq!(use_by(d, Some(3)), NaiveDate::from_ymd_opt(2026, 4, 2));
        assert_eq!(use_by(d, Some(0)), Some(d));
        assert_eq!(use_by(d, None), None);
        assert_eq!(use_by(d, Some(-1)), None);
        // Planned 5 kg, made 4.8 kg: -200 g, -4.00 %.
        assert_eq!(
            yield_variance(q("5000"), q("4800")),
            (q("-200"), Some(-400))
        );
        // 2/3 % rounds half to even at the hundredth: 0.67.
        assert_eq!(yield_variance(q("3000"), q("3020")), (q("20"), Some(67)));
        assert_eq!(yield_variance(Quantity::ZERO, q("1")).1, None);
        assert_eq!(format_pct(-400), "-4.00");
        assert_eq!(format_pct(67), "0.67");
        assert_eq!(format_pct(-5), "-0.05");
    }

    #[test]
    fn to_make_rounds_up_to_whole_batches() {
        // Par 4 kg, expected 2.5 kg, on hand 1.2 kg: 5.3 kg short, batches of 2 kg: 3 (6 kg).
        assert_eq!(
            to_make(q("4000"), q("2500"), q("1200"), q("2000")),
            Some((q("6000"), 3))
        );
        // Exactly covered: nothing.
        assert_eq!(
            to_make(q("4000"), q("1000"), q("5000"), q("2000")),
            Some((Quantity::ZERO, 0))
        );
        // Negative on hand is a larger need.
        assert_eq!(
            to_make(q("1000"), Quantity::ZERO, q("-500"), q("1000")),
            Some((q("2000"), 2))
        );
    }

    #[test]
    fn expected_usage_is_the_mean_of_the_same_weekday() {
        let sauce = ItemId::new();
        // One pizza takes 80 g of sauce; sold 10, 12, 0 (no sales that day) and 14.
        let usage = HashMap::from([("pizza", Usage::from([(sauce, Ratio::from_int(80))]))]);
        let days: Vec<HashMap<&str, Quantity>> = vec![
            HashMap::from([("pizza", q("10"))]),
            HashMap::from([("pizza", q("12"))]),
            HashMap::new(),
            HashMap::from([("pizza", q("14")), ("unknown", q("3"))]),
        ];
        let e = expected_usage(&days, &usage, 4).unwrap_or_default();
        // (10 + 12 + 0 + 14) x 80 / 4 = 720 g.
        assert_eq!(
            menu::to_quantities(&e).unwrap_or_default(),
            vec![(sauce, q("720"))]
        );
        assert!(expected_usage(&days, &usage, 0).is_none());
    }

    proptest! {
        /// What to make always covers the need, by less than one batch, in whole batches.
        #[test]
        fn to_make_covers_the_need_by_less_than_a_batch(
            par in 0i64..10_000_000, expected in 0i64..10_000_000,
            on_hand in -1_000_000i64..20_000_000, batch in 1i64..5_000_000,
        ) {
            let (make, n) = to_make(
                Quantity::from_raw(par), Quantity::from_raw(expected),
                Quantity::from_raw(on_hand), Quantity::from_raw(batch),
            ).unwrap_or_default();
            let need = par + expected - on_hand;
            prop_assert_eq!(make.raw(), n * batch);
            if need <= 0 {
                prop_assert_eq!(n, 0);
            } else {
                prop_assert!(make.raw() >= need);
                prop_assert!(make.raw() - need < batch);
            }
        }
    }
}
