//! GS1 element strings as a scanner sends them (GS1-128, GS1 DataMatrix, GS1 QR, GS1
//! DataBar): the application identifiers (AIs) a kitchen needs, parsed into a GTIN, a lot, dates
//! and a net quantity, with anything else reported rather than dropped.
//!
//! Accepted forms (GS1 General Specifications, release 24, §§ 3, 5.4.7, 7.8):
//! - the human-readable form with AIs in brackets, `(01)09501101530003(17)261231(10)AB12`;
//! - the raw form a scanner types: AIs and values run together, a variable-length value ended
//!   by FNC1, transmitted as ASCII 29 (GS, `\u{1d}`), or by the end of the data; a leading GS
//!   (the FNC1 in first position) is ignored;
//! - either, after a symbology identifier (`]C1` GS1-128, `]d2` GS1 DataMatrix, `]Q3` GS1 QR,
//!   `]e0` GS1 DataBar), which is kept in [`Gs1::symbology`];
//! - plain digits of a GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13) or GTIN-14, as a linear
//!   barcode scans: a GTIN, nothing else.
//!
//! Dates (`11`, `13`, `15`, `16`, `17`) are YYMMDD: the century follows the GS1 rule (§ 7.12:
//! a year more than 50 years ahead of the current one is in the previous century, one more
//! than 49 years behind in the next), and day `00` means the last day of the month.
//! GTINs (`01`, `02`) must carry a correct check digit; `00` (SSCC) too.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::catalog::is_valid_gtin;
use crate::rational::Ratio;
use crate::units::Unit;

/// The group separator that stands for FNC1 in a transmitted element string.
pub const GS: char = '\u{1d}';

/// What an element holds, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gs1Value {
    /// A code or text (GTIN, lot, serial number, SSCC).
    Text(String),
    /// A date (`11`, `13`, `15`, `16`, `17`).
    Date(NaiveDate),
    /// A measure (`310n` kilograms, `320n` pounds, `315n` litres), exact.
    Measure {
        /// The unit the AI is in.
        unit: Unit,
        /// How many, exact (`3103` `001250` is 1.25 kg).
        amount: Ratio,
    },
    /// A count of trade items (`37`, `30`).
    Count(u64),
}

/// One element: its AI, what the AI means and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gs1Element {
    /// The AI, as it appeared (`"01"`, `"3103"`).
    pub ai: String,
    /// What it means, GS1's data title (`"GTIN"`, `"BATCH/LOT"`, `"NET WEIGHT (kg)"`).
    pub title: &'static str,
    /// The value as scanned.
    pub raw: String,
    /// The value, typed.
    pub value: Gs1Value,
}

/// Part of a scan that is not one of the AIs understood here: reported, never dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gs1Unknown {
    /// The AI when it could be told (always in the bracketed form; in the raw form only for
    /// AIs of a predefined length), else `None` and `raw` holds the rest of that field.
    pub ai: Option<String>,
    /// The value (or, without an AI, the unparsed text).
    pub raw: String,
}

/// A parsed scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gs1 {
    /// The symbology identifier it came with (`"]d2"`), if any.
    pub symbology: Option<String>,
    /// The understood elements, in scan order.
    pub elements: Vec<Gs1Element>,
    /// Elements not understood, in scan order.
    pub unknown: Vec<Gs1Unknown>,
}

/// Why a scan could not be read: which element (by its AI, if known) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gs1Error {
    /// The AI at fault, if the fault is in one element.
    pub ai: Option<String>,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for Gs1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.ai {
            Some(ai) => write!(f, "({ai}): {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Gs1Error {}

fn fail(ai: Option<&str>, message: impl Into<String>) -> Gs1Error {
    Gs1Error {
        ai: ai.map(str::to_owned),
        message: message.into(),
    }
}

/// How a known AI's value is shaped.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Digits, exactly this many, with a GS1 check digit.
    Checked(usize),
    /// Alphanumeric up to this many (variable length).
    Text(usize),
    /// YYMMDD.
    Date,
    /// Six digits with the AI's last digit as the number of decimals.
    Measure(Unit),
    /// Digits up to this many (variable length).
    Count(usize),
}

/// The AIs understood: (AI, or its first three digits for `310n`-style ones, title, kind).
const KNOWN: &[(&str, &str, Kind)] = &[
    ("00", "SSCC", Kind::Checked(18)),
    ("01", "GTIN", Kind::Checked(14)),
    ("02", "CONTENT", Kind::Checked(14)),
    ("10", "BATCH/LOT", Kind::Text(20)),
    ("11", "PROD DATE", Kind::Date),
    ("13", "PACK DATE", Kind::Date),
    ("15", "BEST BEFORE", Kind::Date),
    ("16", "SELL BY", Kind::Date),
    ("17", "USE BY OR EXPIRY", Kind::Date),
    ("21", "SERIAL", Kind::Text(20)),
    ("30", "VAR. COUNT", Kind::Count(8)),
    ("37", "COUNT", Kind::Count(8)),
    ("310", "NET WEIGHT (kg)", Kind::Measure(Unit::Kg)),
    ("315", "NET VOLUME (l)", Kind::Measure(Unit::L)),
    ("320", "NET WEIGHT (lb)", Kind::Measure(Unit::Lb)),
];

/// The AI (and its entry) that `digits` starts with, if known.
fn known_at(digits: &str) -> Option<(&'static str, &'static str, Kind, usize)> {
    KNOWN.iter().find_map(|&(ai, title, kind)| {
        let len = if matches!(kind, Kind::Measure(_)) {
            4
        } else {
            ai.len()
        };
        let head = digits.get(..len)?;
        let fits = if len == 4 {
            head.starts_with(ai) && head.as_bytes()[3].is_ascii_digit()
        } else {
            head == ai
        };
        fits.then_some((ai, title, kind, len))
    })
}

/// The value length of AIs whose length GS1 predefines by their first two digits (§ 5.10.1,
/// figure 5.10.1-2), the AI's own digits included: such an element needs no FNC1 after it.
fn predefined_length(digits: &str) -> Option<usize> {
    let two = digits.get(..2)?;
    Some(match two {
        "00" => 20,
        "01" | "02" | "03" => 16,
        "04" => 18,
        "11" | "12" | "13" | "14" | "15" | "16" | "17" | "18" | "19" => 8,
        "20" => 4,
        "31" | "32" | "33" | "34" | "35" | "36" => 10,
        "41" => 16,
        _ => return None,
    })
}

/// The date of a YYMMDD value, with GS1's century rule against `today` and day 00 as the
/// month's last day.
///
/// # Errors
/// Not six digits, or no such date.
pub fn gs1_date(v: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{v}' is not a YYMMDD date"));
    }
    let n = |r: std::ops::Range<usize>| v.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let (yy, mm, dd) = (n(0..2), n(2..4), n(4..6));
    let current = today.year();
    let century = current - current.rem_euclid(100);
    let diff = i64::from(yy) - i64::from(current.rem_euclid(100));
    let year = if (51..=99).contains(&diff) {
        century - 100
    } else if (-99..=-50).contains(&diff) {
        century + 100
    } else {
        century
    } + i32::try_from(yy).unwrap_or(0);
    let date = if dd == 0 {
        NaiveDate::from_ymd_opt(year, mm, 1).and_then(|first| {
            let next = if mm == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, mm + 1, 1)
            };
            next.and_then(|n| n.pred_opt())
                .filter(|_| first.month() == mm)
        })
    } else {
        NaiveDate::from_ymd_opt(year, mm, dd)
    };
    date.ok_or_else(|| format!("'{v}' is not a date"))
}

/// The typed value of a known element.
fn value_of(ai: &str, kind: Kind, raw: &str, today: NaiveDate) -> Result<Gs1Value, Gs1Error> {
    let digits = raw.bytes().all(|b| b.is_ascii_digit());
    match kind {
        Kind::Checked(n) => {
            let ok = raw.len() == n
                && digits
                && if n == 14 {
                    is_valid_gtin(raw)
                } else {
                    check_digit_ok(raw)
                };
            if ok {
                Ok(Gs1Value::Text(raw.to_owned()))
            } else {
                Err(fail(
                    Some(ai),
                    format!("'{raw}' is not {n} digits with a valid check digit"),
                ))
            }
        }
        Kind::Text(max) => {
            // GS1 AI encodable character set 82 (§ 7.11): printable ASCII without space.
            if raw.is_empty()
                || raw.chars().count() > max
                || !raw.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(fail(
                    Some(ai),
                    format!("must be 1 to {max} printable characters"),
                ));
            }
            Ok(Gs1Value::Text(raw.to_owned()))
        }
        Kind::Date => gs1_date(raw, today)
            .map(Gs1Value::Date)
            .map_err(|m| fail(Some(ai), m)),
        Kind::Measure(unit) => {
            let decimals = ai.as_bytes().get(3).map_or(0, |b| u32::from(b - b'0'));
            let n: i128 = if raw.len() == 6 && digits {
                raw.parse().unwrap_or(0)
            } else {
                return Err(fail(Some(ai), format!("'{raw}' is not six digits")));
            };
            let amount = Ratio::new(n, 10i128.pow(decimals))
                .ok_or_else(|| fail(Some(ai), "is out of range"))?;
            Ok(Gs1Value::Measure { unit, amount })
        }
        Kind::Count(max) => {
            if raw.is_empty() || raw.len() > max || !digits {
                return Err(fail(Some(ai), format!("must be 1 to {max} digits")));
            }
            Ok(Gs1Value::Count(raw.parse().unwrap_or(0)))
        }
    }
}

/// The GS1 mod-10 check digit over any length (as `is_valid_gtin`, for the SSCC's 18 digits).
fn check_digit_ok(code: &str) -> bool {
    let bytes = code.as_bytes();
    let Some((check, body)) = bytes.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check - b'0')
}

impl Gs1 {
    /// Parses a scan (see the module's accepted forms), reading dates against `today`.
    ///
    /// # Errors
    /// An empty scan; a known element with a malformed value (a GTIN's check digit, a date
    /// that does not exist, a weight that is not six digits); a bracket left open.
    pub fn parse(scan: &str, today: NaiveDate) -> Result<Self, Gs1Error> {
        let scan = scan.trim_matches(|c: char| c.is_whitespace() && c != GS);
        let (symbology, rest) = match scan.strip_prefix(']') {
            Some(r) if r.len() >= 2 && r.is_char_boundary(2) => {
                (Some(format!("]{}", &r[..2])), &r[2..])
            }
            _ => (None, scan),
        };
        let rest = rest.trim_start_matches(GS);
        if rest.is_empty() {
            return Err(fail(None, "is empty"));
        }
        let mut out = Self {
            symbology,
            ..Self::default()
        };
        if matches!(rest.len(), 8 | 12 | 13 | 14) && rest.bytes().all(|b| b.is_ascii_digit()) {
            // A linear EAN/UPC (or ITF-14) scan: the GTIN alone, padded to GTIN-14.
            let gtin = format!("{rest:0>14}");
            out.push("01", "GTIN", Kind::Checked(14), &gtin, today)?;
            return Ok(out);
        }
        if rest.starts_with('(') {
            out.parse_bracketed(rest, today)?;
        } else {
            out.parse_raw(rest, today)?;
        }
        Ok(out)
    }

    fn push(
        &mut self,
        ai: &str,
        title: &'static str,
        kind: Kind,
        raw: &str,
        today: NaiveDate,
    ) -> Result<(), Gs1Error> {
        let value = value_of(ai, kind, raw, today)?;
        self.elements.push(Gs1Element {
            ai: ai.to_owned(),
            title,
            raw: raw.to_owned(),
            value,
        });
        Ok(())
    }

    fn parse_bracketed(&mut self, s: &str, today: NaiveDate) -> Result<(), Gs1Error> {
        let mut rest = s;
        while !rest.is_empty() {
            let Some(after) = rest.strip_prefix('(') else {
                return Err(fail(None, format!("'{rest}' is not an (AI)value element")));
            };
            let Some((ai, tail)) = after.split_once(')') else {
                return Err(fail(None, "a bracket is left open"));
            };
            let end = tail.find('(').unwrap_or(tail.len());
            let (raw, next) = tail.split_at(end);
            let raw = raw.trim_end_matches(GS);
            match known_at(ai).filter(|k| k.3 == ai.len()) {
                Some((_, title, kind, _)) => self.push(ai, title, kind, raw, today)?,
                None => self.unknown.push(Gs1Unknown {
                    ai: Some(ai.to_owned()),
                    raw: raw.to_owned(),
                }),
            }
            rest = next;
        }
        Ok(())
    }

    fn parse_raw(&mut self, s: &str, today: NaiveDate) -> Result<(), Gs1Error> {
        let mut rest = s;
        while !rest.is_empty() {
            if let Some((_, title, kind, len)) = known_at(rest) {
                let fixed = match kind {
                    Kind::Checked(n) => Some(n),
                    Kind::Date => Some(6),
                    Kind::Measure(_) => Some(6),
                    Kind::Text(_) | Kind::Count(_) => None,
                };
                let ai_digits = &rest[..len];
                let body = &rest[len..];
                let (raw, next) = match fixed {
                    Some(n) => {
                        let n = n.min(body.len());
                        let (v, t) = body.split_at(n);
                        (v, t)
                    }
                    None => {
                        let end = body.find(GS).unwrap_or(body.len());
                        body.split_at(end)
                    }
                };
                self.push(ai_digits, title, kind, raw, today)?;
                rest = next.trim_start_matches(GS);
            } else if let Some(n) = predefined_length(rest).filter(|&n| rest.len() >= n) {
                self.unknown.push(Gs1Unknown {
                    ai: Some(rest[..2].to_owned()),
                    raw: rest[2..n].to_owned(),
                });
                rest = rest[n..].trim_start_matches(GS);
            } else {
                // An AI of variable length and unknown size: the rest of this field.
                let end = rest.find(GS).unwrap_or(rest.len());
                self.unknown.push(Gs1Unknown {
                    ai: None,
                    raw: rest[..end].to_owned(),
                });
                rest = rest[end..].trim_start_matches(GS);
            }
        }
        Ok(())
    }

    /// The first element with this AI (`"01"`), or for a measure its first three digits
    /// (`"310"`).
    pub fn get(&self, ai: &str) -> Option<&Gs1Element> {
        self.elements.iter().find(|e| e.ai.starts_with(ai))
    }

    /// The trade item's GTIN-14 (`01`, else `02`, the GTIN of the contents of a logistic
    /// unit).
    pub fn gtin(&self) -> Option<&str> {
        self.get("01")
            .or_else(|| self.get("02"))
            .map(|e| e.raw.as_str())
    }

    /// The batch or lot (`10`).
    pub fn lot(&self) -> Option<&str> {
        self.get("10").map(|e| e.raw.as_str())
    }

    /// The expiry: use-by (`17`), else best-before (`15`).
    pub fn expiry(&self) -> Option<NaiveDate> {
        [self.get("17"), self.get("15")]
            .into_iter()
            .flatten()
            .find_map(|e| match e.value {
                Gs1Value::Date(d) => Some(d),
                _ => None,
            })
    }

    /// The net content as a measure (`310n`, `320n`, `315n`), the first given.
    pub fn net(&self) -> Option<(Unit, Ratio)> {
        self.elements.iter().find_map(|e| match e.value {
            Gs1Value::Measure { unit, amount } => Some((unit, amount)),
            _ => None,
        })
    }

    /// A count of trade items (`37`, else `30`).
    pub fn count(&self) -> Option<u64> {
        [self.get("37"), self.get("30")]
            .into_iter()
            .flatten()
            .find_map(|e| match e.value {
                Gs1Value::Count(n) => Some(n),
                _ => None,
            })
    }
}

/// The GTIN-14 of a GTIN-8, -12, -13 or -14 (left-padded with zeros, GS1 § 3.3.2), or `None`
/// when `code` is not a valid GTIN.
pub fn gtin14(code: &str) -> Option<String> {
    is_valid_gtin(code).then(|| format!("{code:0>14}"))
}

/// The forms a GTIN-14 may have been stored in: itself and, where its leading digits are
/// zeros, the GTIN-13, GTIN-12 and GTIN-8 it pads. For matching a scan against stored codes.
pub fn gtin_forms(gtin14: &str) -> Vec<String> {
    let mut forms = vec![gtin14.to_owned()];
    for (zeros, len) in [(1, 13), (2, 12), (6, 8)] {
        if gtin14.len() == 14 && gtin14.bytes().take(zeros).all(|b| b == b'0') {
            forms.push(gtin14[14 - len..].to_owned());
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 8).unwrap_or_default()
    }

    fn parse(s: &str) -> Gs1 {
        Gs1::parse(s, today()).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_bracketed_form_of_the_general_specifications_example() {
        // GS1 General Specifications § 5.4.7.6 / GS1 DataMatrix Guideline: GTIN, expiry, lot.
        let g = parse("(01)09501101530003(17)261231(10)AB12");
        assert_eq!(g.gtin(), Some("09501101530003"));
        assert_eq!(g.expiry(), Some(date(2026, 12, 31)));
        assert_eq!(g.lot(), Some("AB12"));
        assert!(g.unknown.is_empty());
        assert_eq!(g.symbology, None);
    }

    #[test]
    fn the_raw_form_with_fnc1_as_gs_and_symbology_identifiers() {
        // The same data as a GS1 DataMatrix scanner sends it: ]d2, FNC1 after the lot only
        // because the lot is variable length and something follows it.
        let g = parse("]d201095011015300031726123110AB12\u{1d}21SN0042");
        assert_eq!(g.symbology.as_deref(), Some("]d2"));
        assert_eq!(g.gtin(), Some("09501101530003"));
        assert_eq!(g.lot(), Some("AB12"));
        assert_eq!(g.get("21").map(|e| e.raw.as_str()), Some("SN0042"));
        // GS1-128 with a leading FNC1 transmitted as GS.
        let g = parse("]C1\u{1d}0109501101530003172612311012345");
        assert_eq!(g.lot(), Some("12345"));
        // GS1 QR.
        let g = parse("]Q30109501101530003");
        assert_eq!(g.gtin(), Some("09501101530003"));
    }

    #[test]
    fn net_weight_in_kg_and_lb_with_its_decimals() {
        // A variable-measure trade item (GS1 GenSpecs § 3.6.2 example: 3103 000750 = 0.750 kg).
        let g = parse("(01)95012345678903(3103)000750");
        assert_eq!(g.gtin(), Some("95012345678903"));
        assert_eq!(
            g.net(),
            Some((Unit::Kg, Ratio::new(750, 1000).unwrap_or(Ratio::ZERO)))
        );
        let g = parse("0195012345678903320200125515270131");
        assert_eq!(
            g.net(),
            Some((Unit::Lb, Ratio::new(1255, 100).unwrap_or(Ratio::ZERO)))
        );
        assert_eq!(
            g.get("15").map(|e| e.value.clone()),
            Some(Gs1Value::Date(date(2027, 1, 31)))
        );
        assert_eq!(g.expiry(), Some(date(2027, 1, 31)));
        let g = parse("(02)09501101530003(37)12(00)095011010000000018");
        assert_eq!(g.gtin(), Some("09501101530003"));
        assert_eq!(g.count(), Some(12));
        assert_eq!(
            g.get("00").map(|e| e.raw.as_str()),
            Some("095011010000000018")
        );
    }

    #[test]
    fn day_zero_is_the_last_of_the_month_and_the_century_rule() {
        assert_eq!(gs1_date("270200", today()), Ok(date(2027, 2, 28)));
        assert_eq!(gs1_date("280200", today()), Ok(date(2028, 2, 29)));
        assert_eq!(gs1_date("261200", today()), Ok(date(2026, 12, 31)));
        // 2026: 76 is 50 years ahead (still this century), 77 is 51 ahead (the previous one).
        assert_eq!(gs1_date("760101", today()), Ok(date(2076, 1, 1)));
        assert_eq!(gs1_date("770101", today()), Ok(date(1977, 1, 1)));
        // In 2095, 45 is 50 behind: the next century.
        let later = date(2095, 6, 1);
        assert_eq!(gs1_date("450101", later), Ok(date(2145, 1, 1)));
        assert_eq!(gs1_date("460101", later), Ok(date(2046, 1, 1)));
        assert!(gs1_date("261331", today()).is_err());
        assert!(gs1_date("260230", today()).is_err());
        assert!(gs1_date("2612", today()).is_err());
    }

    #[test]
    fn a_wrong_check_digit_is_refused_naming_the_ai() {
        let e = Gs1::parse("(01)09501101530004(10)X", today()).err();
        assert_eq!(e.and_then(|e| e.ai), Some("01".to_owned()));
        let e = Gs1::parse("(17)261331", today()).err();
        assert_eq!(e.and_then(|e| e.ai), Some("17".to_owned()));
        let e = Gs1::parse("(3103)12", today()).err();
        assert_eq!(e.and_then(|e| e.ai), Some("3103".to_owned()));
        assert!(Gs1::parse("(01", today()).is_err());
        assert!(Gs1::parse("  ", today()).is_err());
        assert!(Gs1::parse("4006381333932", today()).is_err());
    }

    #[test]
    fn unknown_ais_are_reported_not_dropped() {
        // 240 (additional product id, variable) and 7003 (expiry time) are not understood.
        let g = parse("(01)09501101530003(240)ABC(7003)2612311200(10)L1");
        assert_eq!(g.lot(), Some("L1"));
        assert_eq!(
            g.unknown,
            vec![
                Gs1Unknown {
                    ai: Some("240".into()),
                    raw: "ABC".into()
                },
                Gs1Unknown {
                    ai: Some("7003".into()),
                    raw: "2612311200".into()
                },
            ]
        );
        // Raw: 12 (due date) has a predefined length and is skipped cleanly; 240's length is
        // not predefined, so the rest of its field is reported whole.
        let g = parse("010950110153000312261231240XYZ\u{1d}10L2");
        assert_eq!(
            g.unknown[0],
            Gs1Unknown {
                ai: Some("12".into()),
                raw: "261231".into()
            }
        );
        assert_eq!(
            g.unknown[1],
            Gs1Unknown {
                ai: None,
                raw: "240XYZ".into()
            }
        );
        assert_eq!(g.lot(), Some("L2"));
    }

    #[test]
    fn plain_ean_upc_digits_are_a_gtin() {
        assert_eq!(parse("4006381333931").gtin(), Some("04006381333931"));
        assert_eq!(parse("036000291452").gtin(), Some("00036000291452"));
        assert_eq!(parse("96385074").gtin(), Some("00000096385074"));
        assert_eq!(gtin14("036000291452").as_deref(), Some("00036000291452"));
        assert_eq!(gtin14("036000291453"), None);
        assert_eq!(
            gtin_forms("00036000291452"),
            vec!["00036000291452", "0036000291452", "036000291452"]
        );
        assert_eq!(gtin_forms("00000096385074").len(), 4);
    }
}
