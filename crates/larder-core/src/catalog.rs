//! Catalog rules: barcodes, how an item's amounts are entered (its pack hierarchy, density and
//! entry rounding, ADR 018).

use crate::amount::{Measure, Rounding, parse_amount};
use crate::decimal::{Density, Quantity};
use crate::rational::Ratio;
use crate::units::BaseUnit;

/// Whether `code` is a valid GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13) or GTIN-14: digits only,
/// of one of those lengths, with a correct check digit (GS1 General Specifications, §7.9.1:
/// from the right, digits alternately weighted 3 and 1, the check digit brings the sum to a
/// multiple of ten).
pub fn is_valid_gtin(code: &str) -> bool {
    let bytes = code.as_bytes();
    if !matches!(bytes.len(), 8 | 12 | 13 | 14) || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (body, check) = bytes.split_at(bytes.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check[0] - b'0')
}

/// The entry rounding an item gets when none is set (ADR 018): eaches are whole and a
/// fraction of one is refused (half a can is not stock anyone can count again); grams and
/// millilitres round half to even to the ledger's finest step, a thousandth.
pub fn default_rounding(base: BaseUnit) -> Rounding {
    match base {
        BaseUnit::Ea => Rounding {
            step: 1000,
            exact: true,
        },
        BaseUnit::G | BaseUnit::Ml => Rounding {
            step: 1,
            exact: false,
        },
    }
}

/// A density as the exact ratio [`Measure`] converts with (grams per millilitre).
pub fn density_ratio(d: Density) -> Option<Ratio> {
    Ratio::new(i128::from(d.raw()), i128::from(Density::ONE_RAW))
}

/// Whether `of` (as typed, lower case) names the pack `name`: the name itself, or with a
/// plural "s" or "es" added, case-insensitive (the rule of [`Measure`]).
pub fn names_pack(of: &str, name: &str) -> bool {
    let of = of.to_lowercase();
    let name = name.to_lowercase();
    of == name
        || of.strip_suffix('s') == Some(name.as_str())
        || of.strip_suffix("es") == Some(name.as_str())
}

/// A pack size as declared: by its base quantity, or by what it contains, an amount in other
/// packs of the same item and units (`"4 packs"`, `"6 ea"`, `"2 packs + 500 g"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackDecl {
    /// Its name.
    pub name: String,
    /// Base quantity of one pack (thousandths), when given directly.
    pub quantity: Option<Quantity>,
    /// What one pack contains, when given instead.
    pub contains: Option<String>,
}

/// Resolves declared packs into base quantities, each declared in terms of others in any
/// order (a case of 4 packs may come before the pack of 6 ea).
///
/// # Errors
/// `(index, message)` for the first pack at fault: neither or both of quantity and contents,
/// a part naming no pack of the item or unit, a unit that cannot convert, a pack that contains
/// itself (directly or through others), a size that is not positive or is finer than a
/// thousandth of the base unit.
pub fn resolve_packs(
    base: BaseUnit,
    density: Option<Ratio>,
    decls: &[PackDecl],
) -> Result<Vec<(String, Quantity)>, (usize, String)> {
    let mut sizes: Vec<Option<Quantity>> = Vec::with_capacity(decls.len());
    for (i, d) in decls.iter().enumerate() {
        match (&d.quantity, &d.contains) {
            (Some(q), None) => sizes.push(Some(*q)),
            (None, Some(_)) => sizes.push(None),
            _ => {
                return Err((i, "give either quantity or contains".to_owned()));
            }
        }
    }
    loop {
        let mut progress = false;
        for (i, d) in decls.iter().enumerate() {
            let (None, Some(text)) = (sizes[i], &d.contains) else {
                continue;
            };
            let parts = parse_amount(text).map_err(|e| (i, format!("contains: {e}")))?;
            let mut waiting = false;
            for p in &parts {
                let refs: Vec<usize> = decls
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| !p.of.is_empty() && names_pack(&p.of, &o.name))
                    .map(|(j, _)| j)
                    .collect();
                if refs.contains(&i) {
                    return Err((i, format!("contains itself ('{}')", p.of)));
                }
                waiting |= refs.iter().any(|&j| sizes[j].is_none());
            }
            if waiting {
                continue;
            }
            let known: Vec<(String, Quantity)> = decls
                .iter()
                .zip(&sizes)
                .filter_map(|(o, q)| q.map(|q| (o.name.clone(), q)))
                .collect();
            let measure = Measure {
                base,
                packs: &known,
                density,
            };
            let q = measure
                .total(&parts)
                .and_then(|t| {
                    Rounding {
                        step: 1,
                        exact: true,
                    }
                    .apply(t)
                })
                .map_err(|e| (i, format!("contains: {e}")))?;
            sizes[i] = Some(q);
            progress = true;
        }
        if !progress {
            break;
        }
    }
    let mut out = Vec::with_capacity(decls.len());
    for (i, (d, q)) in decls.iter().zip(sizes).enumerate() {
        let Some(q) = q else {
            return Err((
                i,
                "contains itself through the packs it contains (a cycle)".to_owned(),
            ));
        };
        if q.raw() <= 0 {
            return Err((i, "must be positive".to_owned()));
        }
        out.push((d.name.clone(), q));
    }
    Ok(out)
}

/// One pack in its hierarchy: how many of the next smaller pack it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackLevel {
    /// Its name.
    pub name: String,
    /// Base quantity of one (thousandths).
    pub quantity: Quantity,
    /// The largest smaller pack it holds a whole number of, and how many (`case` -> 4 `pack`);
    /// `None` when no smaller pack divides it (it is counted in base units).
    pub holds: Option<(String, i64)>,
}

/// The pack hierarchy as stored sizes imply it, largest first: each pack holds the largest
/// smaller pack that divides it evenly (a case of 24 ea over a pack of 6 ea is "4 packs").
pub fn pack_hierarchy(packs: &[(String, Quantity)]) -> Vec<PackLevel> {
    let mut sorted: Vec<&(String, Quantity)> = packs.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sorted
        .iter()
        .map(|(name, q)| {
            let holds = sorted
                .iter()
                .filter(|(_, inner)| inner.raw() > 0 && *inner < *q && q.raw() % inner.raw() == 0)
                .map(|(n, inner)| (n.clone(), q.raw() / inner.raw()))
                .next();
            PackLevel {
                name: name.clone(),
                quantity: *q,
                holds,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins() {
        assert!(is_valid_gtin("4006381333931")); // EAN-13 from GS1's examples
        assert!(is_valid_gtin("036000291452")); // UPC-A
        assert!(is_valid_gtin("96385074"));
        assert!(!is_valid_gtin("4006381333932"));
        assert!(!is_valid_gtin("40063813339A1"));
        assert!(!is_valid_gtin("123"));
    }

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn decl(name: &str, quantity: Option<&str>, contains: Option<&str>) -> PackDecl {
        PackDecl {
            name: name.to_owned(),
            quantity: quantity.map(q),
            contains: contains.map(str::to_owned),
        }
    }

    #[test]
    fn packs_declared_in_other_packs_resolve_in_any_order() {
        let decls = [
            decl("case", None, Some("4 packs")),
            decl("pack", None, Some("6 ea")),
            decl("tray", Some("30"), None),
        ];
        let packs = resolve_packs(BaseUnit::Ea, None, &decls).unwrap_or_default();
        assert_eq!(
            packs,
            vec![
                ("case".to_owned(), q("24")),
                ("pack".to_owned(), q("6")),
                ("tray".to_owned(), q("30"))
            ]
        );
        let h = pack_hierarchy(&packs);
        assert_eq!(h[0].name, "tray");
        assert_eq!(h[0].holds, Some(("pack".to_owned(), 5)));
        assert_eq!(h[1].name, "case");
        assert_eq!(h[1].holds, Some(("pack".to_owned(), 4)));
        assert_eq!(h[2].holds, None);
        // A sack of 2.5 kg of a gram item; a bottle of 750 ml of a gram item through density.
        let sack = resolve_packs(BaseUnit::G, None, &[decl("sack", None, Some("2.5 kg"))]);
        assert_eq!(sack.map(|p| p[0].1), Ok(q("2500")));
        let oil = resolve_packs(
            BaseUnit::G,
            Ratio::new(91, 100),
            &[decl("bottle", None, Some("750 ml"))],
        );
        assert_eq!(oil.map(|p| p[0].1), Ok(q("682.5")));
    }

    #[test]
    fn cycles_unknown_packs_and_both_forms_name_the_pack() {
        let cyc = [
            decl("case", None, Some("4 packs")),
            decl("pack", None, Some("1 case")),
        ];
        let e = resolve_packs(BaseUnit::Ea, None, &cyc).err();
        assert_eq!(e.as_ref().map(|e| e.0), Some(0));
        assert!(e.map(|e| e.1).unwrap_or_default().contains("cycle"));
        let own = [decl("case", None, Some("2 cases"))];
        assert_eq!(
            resolve_packs(BaseUnit::Ea, None, &own).err().map(|e| e.0),
            Some(0)
        );
        let unknown = [
            decl("each", Some("1"), None),
            decl("case", None, Some("4 crates")),
        ];
        let e = resolve_packs(BaseUnit::Ea, None, &unknown).err();
        assert_eq!(e.as_ref().map(|e| e.0), Some(1));
        assert!(e.map(|e| e.1).unwrap_or_default().contains("crates"));
        let both = [decl("case", Some("4"), Some("4 ea"))];
        assert_eq!(
            resolve_packs(BaseUnit::Ea, None, &both).err().map(|e| e.0),
            Some(0)
        );
        let grams = [decl("tin", None, Some("400 g"))];
        assert!(resolve_packs(BaseUnit::Ea, None, &grams).is_err());
        assert_eq!(
            default_rounding(BaseUnit::Ea),
            Rounding {
                step: 1000,
                exact: true
            }
        );
    }
}
