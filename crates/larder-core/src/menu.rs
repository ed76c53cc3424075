//! Recipes as bills of materials, and the two things computed from them: theoretical usage
//! (what selling a portion should take out of stock) and cost per portion.
//!
//! A recipe makes `yield_quantity` of its yield unit (say 10 portions `ea`, or 2 000 g of sauce)
//! from lines, each an item or a sub-recipe in any unit convertible to that component's base
//! (or yield) unit. [`explode`] turns a recipe into base-unit amounts of items per one yield
//! unit, exactly (fractions, [`Ratio`]); rounding happens once, at the end, half to even.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::decimal::{Money, Quantity};
use crate::ids::{ItemId, RecipeId};
use crate::rational::Ratio;
use crate::units::{BaseUnit, Unit, UnitError};

/// What a recipe line consumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Component {
    /// An inventory item, depleted from stock.
    Item(ItemId),
    /// A sub-recipe (prep), exploded into its own lines.
    Recipe(RecipeId),
}

/// One line of a bill of materials: `quantity` of `unit` of `component`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeLine {
    /// What is consumed.
    pub component: Component,
    /// How much, in thousandths of `unit`.
    pub quantity: Quantity,
    /// The unit the quantity is written in.
    pub unit: Unit,
}

/// A recipe as the explosion needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeDef {
    /// The recipe.
    pub id: RecipeId,
    /// Its name, for error messages.
    pub name: String,
    /// How much one batch makes, in thousandths of `yield_unit`; must be positive.
    pub yield_quantity: Quantity,
    /// The unit of the yield (`ea` for portions).
    pub yield_unit: BaseUnit,
    /// The bill of materials.
    pub lines: Vec<RecipeLine>,
}

/// Why a recipe cannot be exploded or costed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipeError {
    /// The recipe uses itself, directly or through sub-recipes.
    #[error("recipe '{0}' uses itself through its sub-recipes")]
    Cycle(String),
    /// A line names an item that does not exist.
    #[error("recipe '{recipe}' uses an unknown item {item}")]
    UnknownItem {
        /// Recipe name.
        recipe: String,
        /// The missing item.
        item: ItemId,
    },
    /// A line names a recipe that does not exist.
    #[error("unknown recipe {0}")]
    UnknownRecipe(RecipeId),
    /// A line's unit does not measure what its component is counted in.
    #[error("recipe '{recipe}': {source}")]
    Unit {
        /// Recipe name.
        recipe: String,
        /// The conversion failure.
        source: UnitError,
    },
    /// Yield zero or negative.
    #[error("recipe '{0}' has a yield that is not positive")]
    BadYield(String),
    /// Numbers too large to compute exactly.
    #[error("recipe '{0}' overflows exact arithmetic")]
    Overflow(String),
}

/// Base-unit amount of each item per one yield unit of a recipe (exact).
pub type Usage = BTreeMap<ItemId, Ratio>;

/// Explodes `recipe` into items: for each item, how many base units one yield unit of the
/// recipe consumes. `items` gives each item's base unit.
///
/// # Errors
/// [`RecipeError`] on a cycle, an unknown item or recipe, an incompatible unit, a non-positive
/// yield or overflow.
pub fn explode(
    recipe: RecipeId,
    recipes: &HashMap<RecipeId, RecipeDef>,
    items: &HashMap<ItemId, BaseUnit>,
) -> Result<Usage, RecipeError> {
    let mut memo = HashMap::new();
    explode_inner(recipe, recipes, items, &mut HashSet::new(), &mut memo)
}

fn explode_inner(
    id: RecipeId,
    recipes: &HashMap<RecipeId, RecipeDef>,
    items: &HashMap<ItemId, BaseUnit>,
    visiting: &mut HashSet<RecipeId>,
    memo: &mut HashMap<RecipeId, Usage>,
) -> Result<Usage, RecipeError> {
    if let Some(u) = memo.get(&id) {
        return Ok(u.clone());
    }
    let def = recipes.get(&id).ok_or(RecipeError::UnknownRecipe(id))?;
    if !visiting.insert(id) {
        return Err(RecipeError::Cycle(def.name.clone()));
    }
    if def.yield_quantity.raw() <= 0 {
        return Err(RecipeError::BadYield(def.name.clone()));
    }
    let overflow = || RecipeError::Overflow(def.name.clone());
    let unit_err = |source| RecipeError::Unit {
        recipe: def.name.clone(),
        source,
    };
    let mut usage = Usage::new();
    for line in &def.lines {
        // Base units of the component per one yield unit:
        // (line.raw/1000 * factor) / (yield.raw/1000) = line.raw * factor / yield.raw
        let per_yield = |base: BaseUnit| -> Result<Ratio, RecipeError> {
            let factor = line.unit.factor_to(base).map_err(unit_err)?;
            Ratio::new(
                i128::from(line.quantity.raw()),
                i128::from(def.yield_quantity.raw()),
            )
            .and_then(|r| r.checked_mul(factor))
            .ok_or_else(overflow)
        };
        match line.component {
            Component::Item(item) => {
                let base = *items.get(&item).ok_or_else(|| RecipeError::UnknownItem {
                    recipe: def.name.clone(),
                    item,
                })?;
                let amount = per_yield(base)?;
                add_to(&mut usage, item, amount).ok_or_else(overflow)?;
            }
            Component::Recipe(sub) => {
                let sub_def = recipes.get(&sub).ok_or(RecipeError::UnknownRecipe(sub))?;
                let scale = per_yield(sub_def.yield_unit)?;
                let sub_usage = explode_inner(sub, recipes, items, visiting, memo)?;
                for (item, amount) in sub_usage {
                    let scaled = amount.checked_mul(scale).ok_or_else(overflow)?;
                    add_to(&mut usage, item, scaled).ok_or_else(overflow)?;
                }
            }
        }
    }
    visiting.remove(&id);
    memo.insert(id, usage.clone());
    Ok(usage)
}

fn add_to(usage: &mut Usage, item: ItemId, amount: Ratio) -> Option<()> {
    let slot = usage.entry(item).or_insert(Ratio::ZERO);
    *slot = slot.checked_add(amount)?;
    Some(())
}

/// Scales a usage by `portions` (thousandths of the recipe's yield unit, as a menu item's
/// portion or a sale line's quantity) and adds it into `into`, still exact.
///
/// Returns `None` on overflow.
pub fn accumulate(into: &mut Usage, usage: &Usage, portions: Quantity) -> Option<()> {
    let factor = Ratio::new(i128::from(portions.raw()), 1000)?;
    for (item, amount) in usage {
        add_to(into, *item, amount.checked_mul(factor)?)?;
    }
    Some(())
}

/// Rounds an exact usage to quantities (thousandths of each base unit), half to even, once.
/// Items whose amount rounds to zero are left out. `None` when an amount is beyond
/// [`Quantity`]'s range.
pub fn to_quantities(usage: &Usage) -> Option<Vec<(ItemId, Quantity)>> {
    let mut out = Vec::with_capacity(usage.len());
    for (item, amount) in usage {
        let raw = amount.checked_mul(Ratio::from_int(1000))?.round_half_even();
        let q = i64::try_from(raw)
            .ok()
            .and_then(Quantity::checked_from_raw)?;
        if q != Quantity::ZERO {
            out.push((*item, q));
        }
    }
    Some(out)
}

/// The cost of a usage at each item's unit cost (millionths per base unit), rounded half to
/// even once at the end. Items without a cost count as zero and are returned in the second
/// element so a page can say the cost is incomplete. `None` when the total is beyond
/// [`Money`]'s range.
pub fn cost(usage: &Usage, unit_costs: &HashMap<ItemId, Money>) -> Option<(Money, Vec<ItemId>)> {
    let mut total = Ratio::ZERO;
    let mut missing = Vec::new();
    for (item, amount) in usage {
        match unit_costs.get(item) {
            Some(c) => {
                total =
                    total.checked_add(amount.checked_mul(Ratio::from_int(i128::from(c.raw())))?)?
            }
            None => missing.push(*item),
        }
    }
    let total = i64::try_from(total.round_half_even())
        .ok()
        .and_then(Money::checked_from_raw)?;
    Some((total, missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_default()
    }

    struct Book {
        recipes: HashMap<RecipeId, RecipeDef>,
        items: HashMap<ItemId, BaseUnit>,
        rice: ItemId,
        oil: ItemId,
        pilau: RecipeId,
        plate: RecipeId,
    }

    /// Pilau base: 1 kg rice + 50 ml oil makes 2 500 g; a plate is 300 g of pilau + 1 tbsp oil,
    /// yield 1 portion.
    fn book() -> Book {
        let rice = ItemId::new();
        let oil = ItemId::new();
        let pilau = RecipeId::new();
        let plate = RecipeId::new();
        let mut recipes = HashMap::new();
        recipes.insert(
            pilau,
            RecipeDef {
                id: pilau,
                name: "pilau".into(),
                yield_quantity: q("2500"),
                yield_unit: BaseUnit::G,
                lines: vec![
                    RecipeLine {
                        component: Component::Item(rice),
                        quantity: q("1"),
                        unit: Unit::Kg,
                    },
                    RecipeLine {
                        component: Component::Item(oil),
                        quantity: q("50"),
                        unit: Unit::Ml,
                    },
                ],
            },
        );
        recipes.insert(
            plate,
            RecipeDef {
                id: plate,
                name: "plate".into(),
                yield_quantity: q("1"),
                yield_unit: BaseUnit::Ea,
                lines: vec![
                    RecipeLine {
                        component: Component::Recipe(pilau),
                        quantity: q("300"),
                        unit: Unit::G,
                    },
                    RecipeLine {
                        component: Component::Item(oil),
                        quantity: q("1"),
                        unit: Unit::Tbsp,
                    },
                ],
            },
        );
        let items = HashMap::from([(rice, BaseUnit::G), (oil, BaseUnit::Ml)]);
        Book {
            recipes,
            items,
            rice,
            oil,
            pilau,
            plate,
        }
    }

    #[test]
    fn sub_recipes_scale_exactly() {
        let b = book();
        let usage = explode(b.plate, &b.recipes, &b.items).unwrap_or_default();
        // rice: 300/2500 * 1000 g = 120 g; oil: 300/2500 * 50 = 6 ml + 14.78676478125 ml
        assert_eq!(usage.get(&b.rice), Some(&Ratio::from_int(120)));
        let qs = to_quantities(&usage).unwrap_or_default();
        let qs: HashMap<ItemId, Quantity> = qs.into_iter().collect();
        assert_eq!(qs.get(&b.rice), Some(&q("120")));
        // 6 + 14.78676478125 = 20.78676478125 ml, rounded half to even to 20.787
        assert_eq!(qs.get(&b.oil), Some(&q("20.787")));
        // rice at 0.0012/g (1.20 per kg) and oil at 0.0030/ml: 0.144 + 0.06236...
        let costs = HashMap::from([
            (b.rice, Money::from_raw(1_200)),
            (b.oil, Money::from_raw(3_000)),
        ]);
        let (c, missing) = cost(&usage, &costs).unwrap_or_default();
        // oil 20.78676478125 ml * 3000 = 62 360.29... -> 62 360; rice 120 * 1200 = 144 000
        assert_eq!(c, Money::from_raw(206_360));
        assert!(missing.is_empty());
    }

    #[test]
    fn cycles_and_bad_units_are_refused() {
        let mut b = book();
        if let Some(p) = b.recipes.get_mut(&b.pilau) {
            p.lines.push(RecipeLine {
                component: Component::Recipe(b.plate),
                quantity: q("1"),
                unit: Unit::Ea,
            });
        }
        assert!(matches!(
            explode(b.plate, &b.recipes, &b.items),
            Err(RecipeError::Cycle(_))
        ));
        let b = book();
        let mut bad = b.recipes.clone();
        if let Some(p) = bad.get_mut(&b.pilau) {
            p.lines[0].unit = Unit::L;
        }
        assert!(matches!(
            explode(b.plate, &bad, &b.items),
            Err(RecipeError::Unit { .. })
        ));
    }

    proptest! {
        /// Selling n portions one at a time or all at once depletes the same exact amount
        /// before rounding, and rounding a sum of exact amounts never drifts by more than half
        /// a thousandth per item.
        #[test]
        fn depletion_is_linear_in_portions(n in 1i64..500) {
            let b = book();
            let usage = explode(b.plate, &b.recipes, &b.items).unwrap_or_default();
            let mut one_by_one = Usage::new();
            for _ in 0..n { accumulate(&mut one_by_one, &usage, q("1")); }
            let mut at_once = Usage::new();
            accumulate(&mut at_once, &usage, Quantity::from_units(n).unwrap_or_default());
            prop_assert_eq!(&one_by_one, &at_once);
            let rice = at_once.get(&b.rice).copied().unwrap_or(Ratio::ZERO);
            prop_assert_eq!(rice, Ratio::from_int(120 * i128::from(n)));
        }

        /// Cost is additive: the cost of a recipe equals the sum of its items' exact costs,
        /// rounded once.
        #[test]
        fn cost_matches_manual_sum(rice_cost in 0i64..1_000_000, oil_cost in 0i64..1_000_000) {
            let b = book();
            let usage = explode(b.plate, &b.recipes, &b.items).unwrap_or_default();
            let costs = HashMap::from([(b.rice, Money::from_raw(rice_cost)), (b.oil, Money::from_raw(oil_cost))]);
            let (c, _) = cost(&usage, &costs).unwrap_or_default();
            // oil per plate = 6 + 295735295625/20000000000 ml = 415735295625/20000000000
            let exact_num = 120i128 * i128::from(rice_cost) * 20_000_000_000 + 415_735_295_625i128 * i128::from(oil_cost);
            let expected = crate::decimal::div_round_half_even(exact_num, 20_000_000_000);
            prop_assert_eq!(i128::from(c.raw()), expected);
        }
    }
}
