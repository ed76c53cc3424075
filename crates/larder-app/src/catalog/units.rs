//! catalog: amounts as a kitchen enters them ("3 cases + 4 packs + 250 g"), made exact
//! quantities of an item's base unit with its packs, density and entry rounding (ADR 018).
//! Every use case that takes a quantity from a person can take an amount through
//! [`item_amount_in`] (inside its own transaction) or [`App::item_amount`].

use larder_core::amount::{AmountPart, Measure, Rounding, parse_amount};
use larder_core::auth::Permission;
use larder_core::catalog::density_ratio;
use larder_core::rational::Ratio;
use larder_core::{BaseUnit, ItemId, Quantity};
use larder_store::{Mode, TenantTx, run_tenant};
use serde::{Deserialize, Serialize};

use super::{EntryRounding, Item, load_item};
use crate::{App, AppError, Principal};

/// An amount to convert.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountCommand {
    /// Parts separated by `+` or `,`, each a number and a pack of the item or a unit
    /// (`"3 cases + 4 packs + 250 g"`, `"1.5 kg"`, `"12"` in the base unit); up to 200
    /// characters.
    #[schema(min_length = 1, max_length = 200)]
    pub amount: String,
}

/// One part of an amount, in the base unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AmountPartView {
    /// How many, as typed.
    pub count: Quantity,
    /// Of what, as typed (lower case); empty: the base unit.
    pub of: String,
    /// This part in the base unit, to the thousandth (half to even).
    pub quantity: Quantity,
}

/// An amount made a quantity of the item's base unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AmountView {
    /// The amount as given.
    pub amount: String,
    /// The quantity stored: the exact sum, on the item's entry rounding.
    pub quantity: Quantity,
    /// `g`, `ml` or `ea`.
    pub base_unit: BaseUnit,
    /// Each part, in the base unit.
    pub parts: Vec<AmountPartView>,
    /// Whether the entry rounding changed the exact sum.
    pub rounded: bool,
}

/// What an item's amounts are entered in: its packs, density and entry rounding.
#[derive(Clone, Debug)]
pub struct ItemMeasure {
    base: BaseUnit,
    packs: Vec<(String, Quantity)>,
    density: Option<Ratio>,
    rounding: Rounding,
}

impl ItemMeasure {
    /// The measure of `item`.
    pub fn of(item: &Item) -> Self {
        Self {
            base: item.base_unit,
            packs: item
                .pack_sizes
                .iter()
                .map(|p| (p.name.clone(), p.quantity))
                .collect(),
            density: item.density.and_then(density_ratio),
            rounding: Rounding {
                step: item.entry_step.raw().max(1),
                exact: item.entry_rounding == EntryRounding::Refuse,
            },
        }
    }

    fn measure(&self) -> Measure<'_> {
        Measure {
            base: self.base,
            packs: &self.packs,
            density: self.density,
        }
    }

    /// Base units in one of `unit` (a pack name or a unit), exact.
    ///
    /// # Errors
    /// An unknown pack or unit, or one that cannot convert (the message says why).
    pub fn per(&self, unit: &str) -> Result<Ratio, String> {
        let one = AmountPart {
            count: Quantity::from_raw(1000),
            of: unit.to_lowercase(),
        };
        self.measure().total(&[one]).map_err(|e| e.message)
    }

    /// `text` as a quantity of the base unit.
    ///
    /// # Errors
    /// 422 naming `field`, with the part at fault: an empty or malformed amount, a pack or
    /// unit the item does not have, a unit that cannot convert (no density; eaches against a
    /// mass or volume), an amount off the entry step when the item refuses those, or out of
    /// range.
    pub fn amount(&self, field: &str, text: &str) -> Result<AmountView, AppError> {
        if text.chars().count() > 200 {
            return Err(AppError::invalid(field, "must be at most 200 characters"));
        }
        let bad = |e: larder_core::amount::AmountError| AppError::invalid(field, e.to_string());
        let parts = parse_amount(text).map_err(bad)?;
        let m = self.measure();
        let total = m.total(&parts).map_err(bad)?;
        let quantity = self.rounding.apply(total).map_err(bad)?;
        let exact = Rounding {
            step: 1,
            exact: true,
        }
        .apply(total);
        let mut views = Vec::with_capacity(parts.len());
        for p in &parts {
            let q = m
                .total(std::slice::from_ref(p))
                .and_then(|t| Rounding::default().apply(t))
                .map_err(bad)?;
            views.push(AmountPartView {
                count: p.count,
                of: p.of.clone(),
                quantity: q,
            });
        }
        Ok(AmountView {
            amount: text.to_owned(),
            quantity,
            base_unit: self.base,
            parts: views,
            rounded: exact != Ok(quantity),
        })
    }
}

/// `text` as a quantity of `item`, inside the caller's transaction (for use cases that take
/// amounts: counts, waste, transfers).
///
/// # Errors
/// 404 when the item is not the tenant's; 422 naming `field` as [`ItemMeasure::amount`].
pub async fn item_amount_in(
    tx: &mut dyn TenantTx,
    item: ItemId,
    field: &str,
    text: &str,
) -> Result<AmountView, AppError> {
    let item = load_item(tx, item).await?;
    ItemMeasure::of(&item).amount(field, text)
}

impl App {
    /// `text` as an exact quantity of `item`'s base unit, with its packs, density and entry
    /// rounding.
    ///
    /// # Errors
    /// 403 without `catalog.read`; 404 on the item; 422 naming `field` (and the part).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn item_amount(
        &self,
        p: Principal,
        item: ItemId,
        field: &str,
        text: &str,
    ) -> Result<Quantity, AppError> {
        self.amount_view(p, item, field, text)
            .await
            .map(|v| v.quantity)
    }

    /// As [`App::item_amount`], with each part (the API's and live previews' answer).
    ///
    /// # Errors
    /// As [`App::item_amount`].
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn amount_view(
        &self,
        p: Principal,
        item: ItemId,
        field: &str,
        text: &str,
    ) -> Result<AmountView, AppError> {
        p.require(Permission::CatalogRead)?;
        let field = field.to_owned();
        let text = text.to_owned();
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { item_amount_in(tx, item, &field, &text).await })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn measure(base: BaseUnit, packs: &[(&str, &str)], step: &str, refuse: bool) -> ItemMeasure {
        ItemMeasure {
            base,
            packs: packs.iter().map(|(n, v)| ((*n).to_owned(), q(v))).collect(),
            density: None,
            rounding: Rounding {
                step: q(step).raw(),
                exact: refuse,
            },
        }
    }

    #[test]
    fn an_amount_names_its_parts_and_the_field() {
        let m = measure(
            BaseUnit::G,
            &[("case", "6000"), ("pack", "1000")],
            "0.001",
            false,
        );
        let v = m.amount("lines[2].amount", "3 cases + 4 packs + 250 g");
        let v = v.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(v.quantity, q("22250"));
        assert_eq!(
            v.parts.iter().map(|p| p.quantity).collect::<Vec<_>>(),
            vec![q("18000"), q("4000"), q("250")]
        );
        assert!(!v.rounded);
        let e = m.amount("lines[2].amount", "3 cases + 2 pallets").err();
        let text = format!("{e:?}");
        assert!(
            text.contains("lines[2].amount") && text.contains("part 2"),
            "{text}"
        );
        let e = m.amount("amount", "1 l").err();
        assert!(format!("{e:?}").contains("density"));
    }

    #[test]
    fn eaches_refuse_fractions_and_grams_round() {
        let ea = measure(BaseUnit::Ea, &[("pack", "6")], "1", true);
        assert_eq!(
            ea.amount("a", "2 packs + 1").map(|v| v.quantity).ok(),
            Some(q("13"))
        );
        assert!(ea.amount("a", "0.5 pack + 0.5").is_err());
        let g = measure(BaseUnit::G, &[], "1", false);
        let v = g.amount("a", "1 oz").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(v.quantity, q("28"));
        assert!(v.rounded);
        assert_eq!(v.parts[0].quantity, q("28.350"));
    }
}
