//! The sales import's column mapping: which column of a POS export holds the ticket number,
//! the date (and a separate time), the item, a size, the quantity and the price; how dates and
//! prices are written; which names to ignore. A column left out of the mapping is found by its
//! header among well-known names (the `generic` preset is the empty mapping); quantity, price,
//! time and size are optional. Built-in [`presets`] name the columns of exports we know; a
//! tenant saves its own mapping (`PUT /api/v1/sales/import-mapping`).
//!
//! Header names are matched ignoring case, spaces and punctuation (`Order Number`,
//! `OrderNumber` and `order_number` are one name).

use std::collections::BTreeMap;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use larder_core::{Money, Quantity};
use serde::{Deserialize, Serialize};

use crate::AppError;

/// How a size column changes a line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SizeMode {
    /// The size is appended to the item name: `Margherita` + `L` sells `Margherita (L)`.
    #[default]
    Append,
    /// The size scales the quantity by `size_factors` (a small pizza as 0.75 of the menu item),
    /// and the unit price by its inverse (rounded half to even to the millionth).
    Factor,
}

/// A second file holding each ticket's date and time (an orders file beside an order-lines
/// file), joined on the ticket number. Column names as in [`SalesMapping`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketsFileMapping {
    /// Ticket number column (default: found by header).
    pub ticket: Option<String>,
    /// Date (or date and time) column.
    pub date: Option<String>,
    /// Time column, when separate.
    pub time: Option<String>,
}

/// Where a POS export keeps what the import needs, by header name. Every field is optional:
/// a column not named is looked for among well-known header names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesMapping {
    /// Ticket (order, receipt, transaction) number column.
    pub ticket: Option<String>,
    /// Date column, or date and time in one.
    pub date: Option<String>,
    /// Time column, when the export keeps it apart from the date.
    pub time: Option<String>,
    /// chrono `strftime` format of the date column (`%d/%m/%Y`, or `%d/%m/%Y %H:%M` with the
    /// time in it); default: ISO 8601 / RFC 3339, then `DD/MM/YYYY`, `DD.MM.YYYY`, with an
    /// optional `HH:MM[:SS]`. A date without a time is read as 12:00 local (inside its
    /// business day whatever the day cutoff).
    pub date_format: Option<String>,
    /// chrono `strftime` format of the time column; default `HH:MM[:SS]` or `H:MM AM`.
    pub time_format: Option<String>,
    /// Item (product, article) name column.
    pub item: Option<String>,
    /// Size, variant or modifier column; empty cells leave the line as it is.
    pub size: Option<String>,
    /// What the size does.
    #[serde(default)]
    pub size_mode: SizeMode,
    /// With `size_mode: factor`: the portion factor of each size, as written in the file
    /// (`{"S": "0.75", "M": "1", "L": "1.35"}`); a size not listed is a bad row.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub size_factors: BTreeMap<String, Quantity>,
    /// Quantity column; without one every row sells one, and identical rows of a ticket
    /// (same name and price) are summed into one line.
    pub quantity: Option<String>,
    /// Unit price column; without one each line takes its menu item's price (0 when the name
    /// maps to no menu item, or the menu item has no price).
    pub price: Option<String>,
    /// Item names that are not sales (`NONE`, `Adjustment`): such rows are counted and
    /// skipped. Matched as menu names are: case and spacing ignored.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub ignore: Vec<String>,
    /// Prices written with a decimal comma (`0,90 €`); otherwise a comma separates thousands.
    /// Currency symbols and spaces are dropped in either case.
    #[serde(default)]
    pub decimal_comma: bool,
    /// The ticket times come from a second file (CLI `--tickets FILE`).
    pub tickets_file: Option<TicketsFileMapping>,
}

/// A built-in mapping.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Preset {
    /// Its name (`--preset`, `?preset=`).
    pub name: &'static str,
    /// What it reads.
    pub description: &'static str,
    /// The mapping.
    pub mapping: SalesMapping,
}

/// The built-in mappings: `generic` (columns found by header name) and `takeaway` (the London
/// takeaway's export, `Order Number,Order Date,Item Name,Quantity,Product Price` with
/// `DD/MM/YYYY HH:MM` times).
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "generic",
            description: "Columns found by header name: ticket/order/receipt/transaction number, date (and time), item/product/article, size, quantity/qty, price/unit price",
            mapping: SalesMapping::default(),
        },
        Preset {
            name: "takeaway",
            description: "Order Number, Order Date (DD/MM/YYYY HH:MM), Item Name, Quantity, Product Price",
            mapping: SalesMapping {
                ticket: Some("Order Number".into()),
                date: Some("Order Date".into()),
                date_format: Some("%d/%m/%Y %H:%M".into()),
                item: Some("Item Name".into()),
                quantity: Some("Quantity".into()),
                price: Some("Product Price".into()),
                ..SalesMapping::default()
            },
        },
    ]
}

/// The preset called `name`.
///
/// # Errors
/// 422 on `preset` naming the presets there are.
pub fn preset(name: &str) -> Result<SalesMapping, AppError> {
    presets()
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.mapping)
        .ok_or_else(|| {
            let names: Vec<&str> = presets().iter().map(|p| p.name).collect();
            AppError::invalid(
                "preset",
                format!("'{name}' is not a preset ({})", names.join(", ")),
            )
        })
}

/// A column name as compared: lowercase letters and digits only, byte-order mark dropped.
fn key(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

/// The columns a mapping can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    Ticket,
    Date,
    Time,
    Item,
    Size,
    Quantity,
    Price,
}

impl Col {
    const ALL: [Col; 7] = [
        Col::Ticket,
        Col::Date,
        Col::Time,
        Col::Item,
        Col::Size,
        Col::Quantity,
        Col::Price,
    ];

    /// The mapping's field for this column.
    fn field(self) -> &'static str {
        match self {
            Col::Ticket => "ticket",
            Col::Date => "date",
            Col::Time => "time",
            Col::Item => "item",
            Col::Size => "size",
            Col::Quantity => "quantity",
            Col::Price => "price",
        }
    }

    /// Header names (as [`key`]s) this column is found under when the mapping does not name it.
    fn known(self) -> &'static [&'static str] {
        match self {
            Col::Ticket => &[
                "ordernumber",
                "orderid",
                "orderno",
                "ticket",
                "ticketnumber",
                "ticketno",
                "ticketid",
                "receipt",
                "receiptnumber",
                "receiptno",
                "transactionid",
                "transactionnumber",
                "transaction",
                "checknumber",
                "billnumber",
                "externalref",
            ],
            Col::Date => &[
                "orderdate",
                "date",
                "datetime",
                "occurredat",
                "timestamp",
                "saledate",
                "transactiondate",
                "createdat",
            ],
            Col::Time => &["time", "ordertime", "saletime", "transactiontime"],
            Col::Item => &[
                "itemname",
                "item",
                "name",
                "menuitem",
                "product",
                "productname",
                "article",
            ],
            Col::Size => &["size", "variant", "pricepointname"],
            Col::Quantity => &["quantity", "qty", "count", "units"],
            Col::Price => &["productprice", "unitprice", "price", "itemprice"],
        }
    }

    fn named(self, m: &SalesMapping) -> Option<&str> {
        match self {
            Col::Ticket => m.ticket.as_deref(),
            Col::Date => m.date.as_deref(),
            Col::Time => m.time.as_deref(),
            Col::Item => m.item.as_deref(),
            Col::Size => m.size.as_deref(),
            Col::Quantity => m.quantity.as_deref(),
            Col::Price => m.price.as_deref(),
        }
    }
}

const MAX_TEXT: usize = 200;

impl SalesMapping {
    /// Checks the mapping on its own (before any file): lengths, formats, factors.
    ///
    /// # Errors
    /// 422 naming the field (`mapping.date_format`, `mapping.size_factors.S`, ...).
    pub fn validate(&self) -> Result<(), AppError> {
        for c in Col::ALL {
            if let Some(n) = c.named(self) {
                check_column(&format!("mapping.{}", c.field()), n)?;
            }
        }
        if let Some(t) = &self.tickets_file {
            for (f, n) in [("ticket", &t.ticket), ("date", &t.date), ("time", &t.time)] {
                if let Some(n) = n {
                    check_column(&format!("mapping.tickets_file.{f}"), n)?;
                }
            }
        }
        for (field, f) in [
            ("mapping.date_format", &self.date_format),
            ("mapping.time_format", &self.time_format),
        ] {
            if let Some(f) = f {
                check_format(field, f)?;
            }
        }
        if self.ignore.len() > 200 {
            return Err(AppError::invalid("mapping.ignore", "at most 200 names"));
        }
        if let Some(n) = self
            .ignore
            .iter()
            .find(|n| n.trim().is_empty() || n.chars().count() > MAX_TEXT)
        {
            return Err(AppError::invalid(
                "mapping.ignore",
                format!("'{n}' must be 1..=200 characters"),
            ));
        }
        if self.size_factors.len() > 100 {
            return Err(AppError::invalid(
                "mapping.size_factors",
                "at most 100 sizes",
            ));
        }
        for (size, f) in &self.size_factors {
            if f.raw() <= 0 {
                return Err(AppError::invalid(
                    format!("mapping.size_factors.{size}"),
                    "must be positive",
                ));
            }
        }
        if self.size_mode == SizeMode::Factor && self.size_factors.is_empty() {
            return Err(AppError::invalid(
                "mapping.size_factors",
                "size_mode factor needs the factor of each size",
            ));
        }
        Ok(())
    }

    /// A readable one-line account of the mapping, for logs and the CLI.
    pub fn describe(&self) -> String {
        Col::ALL
            .iter()
            .filter_map(|c| c.named(self).map(|n| format!("{}='{n}'", c.field())))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn check_column(field: &str, name: &str) -> Result<(), AppError> {
    if name.trim().is_empty() || name.chars().count() > MAX_TEXT {
        return Err(AppError::invalid(
            field,
            "must name a column (1..=200 characters)",
        ));
    }
    Ok(())
}

fn check_format(field: &str, f: &str) -> Result<(), AppError> {
    if f.is_empty() || f.len() > 100 || StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) {
        return Err(AppError::invalid(
            field,
            format!("'{f}' is not a chrono strftime format (such as %d/%m/%Y %H:%M)"),
        ));
    }
    Ok(())
}

/// A mapping applied to one file's header: where each column is and its name as written.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    cols: Cols,
    date_format: Option<String>,
    time_format: Option<String>,
    size_mode: SizeMode,
    size_factors: BTreeMap<String, Quantity>,
    ignore: Vec<String>,
    decimal_comma: bool,
}

/// Where each mapped column is in the file and its header as written, by [`Col`] (an array:
/// the import looks a column up for every cell).
#[derive(Clone, Debug, Default)]
struct Cols([Option<(usize, String)>; 7]);

impl Cols {
    fn contains_key(&self, c: &Col) -> bool {
        self.0[*c as usize].is_some()
    }

    fn insert(&mut self, c: Col, v: (usize, String)) {
        self.0[c as usize] = Some(v);
    }

    fn remove(&mut self, c: &Col) -> Option<(usize, String)> {
        self.0[*c as usize].take()
    }

    fn get(&self, c: &Col) -> Option<&(usize, String)> {
        self.0[*c as usize].as_ref()
    }
}

/// Finds `wanted` in `headers`: the mapping's name, or a known one. `Ok(None)` when neither.
fn find(
    headers: &csv::StringRecord,
    named: Option<&str>,
    known: &[&str],
    field: &str,
) -> Result<Option<(usize, String)>, AppError> {
    let keys: Vec<String> = headers.iter().map(key).collect();
    let plain = |i: usize| headers[i].trim_start_matches('\u{feff}').to_owned();
    if let Some(n) = named {
        let k = key(n);
        return keys
            .iter()
            .position(|h| *h == k)
            .map(|i| Some((i, plain(i))))
            .ok_or_else(|| {
                AppError::invalid(
                    field,
                    format!(
                        "names column '{n}', which the file does not have (its columns: {})",
                        headers
                            .iter()
                            .map(|h| h.trim_start_matches('\u{feff}'))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            });
    }
    Ok(known
        .iter()
        .find_map(|k| keys.iter().position(|h| h == k))
        .map(|i| (i, plain(i))))
}

impl Layout {
    /// Applies `m` to a file's header.
    ///
    /// # Errors
    /// 422 on `mapping.<field>` when the mapping names a column the file lacks; on `header`
    /// when a required column (ticket, date, item) is neither named nor found.
    pub(crate) fn of(
        m: &SalesMapping,
        headers: &csv::StringRecord,
        dated_elsewhere: bool,
    ) -> Result<Self, AppError> {
        let mut cols = Cols::default();
        for c in Col::ALL {
            if dated_elsewhere && matches!(c, Col::Date | Col::Time) {
                continue;
            }
            // An unnamed time column is only looked for beside a date column.
            if c == Col::Time && m.time.is_none() && m.date.is_some() {
                continue;
            }
            if let Some(found) = find(
                headers,
                c.named(m),
                c.known(),
                &format!("mapping.{}", c.field()),
            )? {
                cols.insert(c, found);
            }
        }
        // A file whose only time column is called `time` keeps its date and time there.
        if !cols.contains_key(&Col::Date)
            && m.time.is_none()
            && let Some(t) = cols.remove(&Col::Time)
        {
            cols.insert(Col::Date, t);
        }
        let mut required = vec![(Col::Ticket, "ticket number"), (Col::Item, "item name")];
        if !dated_elsewhere {
            required.insert(1, (Col::Date, "date"));
        }
        let missing: Vec<&str> = required
            .iter()
            .filter(|(c, _)| !cols.contains_key(c))
            .map(|(_, n)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(AppError::invalid(
                "header",
                format!(
                    "missing column(s): {} (name them in the mapping, or use a preset)",
                    missing.join(", ")
                ),
            ));
        }
        Ok(Self {
            cols,
            date_format: m.date_format.clone(),
            time_format: m.time_format.clone(),
            size_mode: m.size_mode,
            size_factors: m.size_factors.clone(),
            ignore: m
                .ignore
                .iter()
                .map(|n| super::depletion::name_key(n))
                .collect(),
            decimal_comma: m.decimal_comma,
        })
    }

    /// The tickets file's layout: its ticket and date (and time) columns.
    pub(crate) fn of_tickets(
        t: &TicketsFileMapping,
        m: &SalesMapping,
        headers: &csv::StringRecord,
    ) -> Result<Self, AppError> {
        let inner = SalesMapping {
            ticket: t.ticket.clone(),
            date: t.date.clone(),
            time: t.time.clone(),
            date_format: m.date_format.clone(),
            time_format: m.time_format.clone(),
            ..SalesMapping::default()
        };
        let mut cols = Cols::default();
        for c in [Col::Ticket, Col::Date, Col::Time] {
            if c == Col::Time && inner.time.is_none() && inner.date.is_some() {
                continue;
            }
            if let Some(found) = find(
                headers,
                c.named(&inner),
                c.known(),
                &format!("mapping.tickets_file.{}", c.field()),
            )? {
                cols.insert(c, found);
            }
        }
        if !cols.contains_key(&Col::Date)
            && inner.time.is_none()
            && let Some(t) = cols.remove(&Col::Time)
        {
            cols.insert(Col::Date, t);
        }
        for (c, n) in [(Col::Ticket, "ticket number"), (Col::Date, "date")] {
            if !cols.contains_key(&c) {
                return Err(AppError::invalid(
                    "tickets_file.header",
                    format!("missing column: {n}"),
                ));
            }
        }
        Ok(Self {
            cols,
            date_format: inner.date_format,
            time_format: inner.time_format,
            size_mode: SizeMode::Append,
            size_factors: BTreeMap::new(),
            ignore: Vec::new(),
            decimal_comma: false,
        })
    }

    pub(crate) fn has(&self, c: Col) -> bool {
        self.cols.contains_key(&c)
    }

    /// The column's header as the file writes it (for errors); `row` when absent.
    pub(crate) fn name(&self, c: Col) -> String {
        self.cols
            .get(&c)
            .map_or_else(|| "row".to_owned(), |(_, n)| n.clone())
    }

    /// The cell of column `c`, `None` when the mapping has no such column.
    pub(crate) fn get<'r>(&self, record: &'r csv::StringRecord, c: Col) -> Option<&'r str> {
        self.cols.get(&c).map(|(i, _)| record.get(*i).unwrap_or(""))
    }

    /// The raw bytes of column `c` (a row that is not UTF-8), lossily.
    pub(crate) fn get_bytes(&self, record: &csv::ByteRecord, c: Col) -> String {
        self.cols
            .get(&c)
            .and_then(|(i, _)| record.get(*i))
            .map(|b| String::from_utf8_lossy(b).trim().to_owned())
            .unwrap_or_default()
    }

    /// Whether `name` is one of the names to ignore.
    pub(crate) fn ignored(&self, name: &str) -> bool {
        !self.ignore.is_empty() && self.ignore.contains(&super::depletion::name_key(name))
    }

    /// The row's instant: its date (and time) cells in `tz`.
    pub(crate) fn instant(
        &self,
        record: &csv::StringRecord,
        tz: Tz,
    ) -> Result<DateTime<Utc>, (Col, String)> {
        let date = self.get(record, Col::Date).unwrap_or("").trim();
        let naive = match self.get(record, Col::Time) {
            Some(time) => {
                let d =
                    parse_date(date, self.date_format.as_deref()).map_err(|m| (Col::Date, m))?;
                let t = parse_time(time.trim(), self.time_format.as_deref())
                    .map_err(|m| (Col::Time, m))?;
                d.and_time(t)
            }
            None => {
                if self.date_format.is_none()
                    && let Ok(t) = DateTime::parse_from_rfc3339(date)
                {
                    return Ok(t.with_timezone(&Utc));
                }
                parse_date_time(date, self.date_format.as_deref()).map_err(|m| (Col::Date, m))?
            }
        };
        local(naive, tz).map_err(|m| (Col::Date, m))
    }

    /// The row's size: `Ok(None)` without a size column or with an empty cell; with
    /// `Append` the text to append, with `Factor` the factor.
    pub(crate) fn size(&self, record: &csv::StringRecord) -> Result<Option<SizeEffect>, String> {
        let Some(raw) = self.get(record, Col::Size).map(str::trim) else {
            return Ok(None);
        };
        if raw.is_empty() {
            return Ok(None);
        }
        match self.size_mode {
            SizeMode::Append => Ok(Some(SizeEffect::Append(raw.to_owned()))),
            SizeMode::Factor => self
                .size_factors
                .get(raw)
                .map(|f| Some(SizeEffect::Factor(*f)))
                .ok_or_else(|| {
                    format!(
                        "size '{raw}' has no factor in the mapping ({})",
                        self.size_factors
                            .keys()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }),
        }
    }

    /// Parses a price cell: currency symbols and spaces dropped, the decimal comma honoured.
    pub(crate) fn price(&self, raw: &str) -> Result<Money, String> {
        parse_price(raw, self.decimal_comma)
    }
}

/// What a size does to its row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SizeEffect {
    /// Appended to the name in parentheses.
    Append(String),
    /// Multiplies the quantity.
    Factor(Quantity),
}

/// Parses a price as POS exports write it: `12.95`, `£12.95`, `$1,234.50`, `0,90 €` (with
/// `decimal_comma`), `-3.00`.
///
/// # Errors
/// The cell and why, such as more than 6 decimals.
pub fn parse_price(raw: &str, decimal_comma: bool) -> Result<Money, String> {
    let kept: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
        .collect();
    let (thousands, decimal) = if decimal_comma {
        ('.', ',')
    } else {
        (',', '.')
    };
    // A thousands separator stands before exactly three digits (`1,234.50`); anything else is
    // most likely the other decimal mark, which must not be read as a number 100 times larger.
    let chars: Vec<char> = kept.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == thousands {
            let digits = chars[i + 1..]
                .iter()
                .take_while(|d| d.is_ascii_digit())
                .count();
            let next = chars.get(i + 1 + digits);
            if digits != 3 || next.is_some_and(|n| *n != thousands && *n != decimal) {
                return Err(if decimal_comma {
                    format!("'{raw}' is not a price with a decimal comma (0,90 or 1.234,50)")
                } else {
                    format!(
                        "'{raw}' is not a price (12.95 or 1,234.50; for 0,90 set decimal_comma)"
                    )
                });
            }
        }
    }
    let normal = if decimal_comma {
        kept.replace('.', "").replace(',', ".")
    } else {
        kept.replace(',', "")
    };
    if normal.is_empty() {
        return Err(format!("'{raw}' is not a price"));
    }
    Money::parse(&normal).map_err(|e| format!("'{raw}' {e}"))
}

const DATE_TIMES: [&str; 9] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
];
const DATES: [&str; 4] = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d"];
const TIMES: [&str; 4] = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p"];

/// A date alone is read at noon: inside its business day whatever the cutoff.
fn noon(d: NaiveDate) -> NaiveDateTime {
    d.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
}

fn parse_date_time(s: &str, format: Option<&str>) -> Result<NaiveDateTime, String> {
    if let Some(f) = format {
        return NaiveDateTime::parse_from_str(s, f)
            .or_else(|_| NaiveDate::parse_from_str(s, f).map(noon))
            .map_err(|_| format!("'{s}' does not match the date format {f}"));
    }
    DATE_TIMES
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            DATES
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .map(noon)
        })
        .ok_or_else(|| {
            format!(
                "'{s}' is not a date and time (YYYY-MM-DD HH:MM, DD/MM/YYYY HH:MM or RFC 3339; set date_format for others)"
            )
        })
}

fn parse_date(s: &str, format: Option<&str>) -> Result<NaiveDate, String> {
    if let Some(f) = format {
        return NaiveDate::parse_from_str(s, f)
            .map_err(|_| format!("'{s}' does not match the date format {f}"));
    }
    DATES
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .ok_or_else(|| {
            format!("'{s}' is not a date (YYYY-MM-DD or DD/MM/YYYY; set date_format for others)")
        })
}

fn parse_time(s: &str, format: Option<&str>) -> Result<NaiveTime, String> {
    if let Some(f) = format {
        return NaiveTime::parse_from_str(s, f)
            .map_err(|_| format!("'{s}' does not match the time format {f}"));
    }
    TIMES
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(s, f).ok())
        .ok_or_else(|| format!("'{s}' is not a time (HH:MM[:SS] or H:MM AM)"))
}

/// A local time in `tz` as an instant. A local time that does not exist (the spring-forward
/// hour) is read one hour later; an ambiguous one (the fall-back hour) as the earlier instant.
fn local(naive: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("'{naive}' does not exist in {tz}"))
}

/// Parses a POS timestamp with the default formats (see [`SalesMapping::date_format`]): RFC
/// 3339, or a local date and time in `tz`.
///
/// # Errors
/// A message saying which formats are accepted.
pub fn parse_pos_time(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    local(parse_date_time(s, None)?, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &str) -> csv::StringRecord {
        csv::StringRecord::from(h.split(',').collect::<Vec<_>>())
    }

    #[test]
    fn headers_match_ignoring_case_spaces_and_punctuation() {
        let l = Layout::of(
            &preset("takeaway").unwrap(),
            &headers("\u{feff}OrderNumber,Order_Date,item name,QUANTITY,Product Price"),
            false,
        )
        .unwrap();
        assert_eq!(l.name(Col::Ticket), "OrderNumber");
        assert_eq!(l.name(Col::Date), "Order_Date");
        assert!(l.has(Col::Price) && !l.has(Col::Time));
    }

    #[test]
    fn a_mapping_naming_a_missing_column_is_refused_naming_the_field() {
        let m = SalesMapping {
            ticket: Some("Receipt No".into()),
            ..SalesMapping::default()
        };
        let err = Layout::of(&m, &headers("ticket_number,date,article"), false).unwrap_err();
        assert!(
            matches!(&err, AppError::Validation { field, message } if field == "mapping.ticket" && message.contains("Receipt No") && message.contains("ticket_number")),
            "{err:?}"
        );
    }

    #[test]
    fn the_generic_mapping_finds_separate_date_and_time_columns() {
        let l = Layout::of(
            &SalesMapping::default(),
            &headers("date,time,ticket_number,article,Quantity,unit_price"),
            false,
        )
        .unwrap();
        assert_eq!(l.name(Col::Ticket), "ticket_number");
        assert_eq!(l.name(Col::Time), "time");
        assert_eq!(l.name(Col::Item), "article");
        let rec = csv::StringRecord::from(vec![
            "2021-07-11",
            "08:38",
            "150040",
            "BAGUETTE",
            "1",
            "0,90 €",
        ]);
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            l.instant(&rec, paris).map(|t| t.to_rfc3339()),
            Ok("2021-07-11T06:38:00+00:00".into())
        );
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = Layout::of(
            &SalesMapping::default(),
            &headers("OrderNumber,ItemName,Quantity"),
            false,
        )
        .unwrap_err();
        assert!(
            matches!(&err, AppError::Validation { field, message } if field == "header" && message.contains("date")),
            "{err:?}"
        );
    }

    #[test]
    fn a_date_that_does_not_match_the_chosen_format_says_so() {
        let m = SalesMapping {
            date_format: Some("%m/%d/%Y %H:%M".into()),
            ..SalesMapping::default()
        };
        let l = Layout::of(&m, &headers("ticket,date,item"), false).unwrap();
        let rec = csv::StringRecord::from(vec!["1", "31/12/2019 10:00", "A"]);
        assert_eq!(
            l.instant(&rec, Tz::UTC),
            Err((
                Col::Date,
                "'31/12/2019 10:00' does not match the date format %m/%d/%Y %H:%M".into()
            ))
        );
        let rec = csv::StringRecord::from(vec!["1", "12/31/2019 10:00", "A"]);
        assert_eq!(
            l.instant(&rec, Tz::UTC).map(|t| t.to_rfc3339()),
            Ok("2019-12-31T10:00:00+00:00".into())
        );
    }

    #[test]
    fn prices_as_exports_write_them() {
        assert_eq!(
            parse_price("£12.95", false),
            Ok(Money::from_raw(12_950_000))
        );
        assert_eq!(
            parse_price("$1,234.50", false),
            Ok(Money::from_raw(1_234_500_000))
        );
        assert_eq!(parse_price("0,90 €", true), Ok(Money::from_raw(900_000)));
        assert_eq!(
            parse_price("1.234,5", true),
            Ok(Money::from_raw(1_234_500_000))
        );
        assert!(parse_price("free", false).unwrap_err().contains("'free'"));
        // The other decimal mark is refused, not read 100 times larger.
        assert!(
            parse_price("0,90 €", false)
                .unwrap_err()
                .contains("decimal_comma")
        );
        assert!(parse_price("12,5", false).is_err());
        assert!(parse_price("0.90", true).is_err());
        assert_eq!(
            parse_price("1,234,567.5", false),
            Ok(Money::from_raw(1_234_567_500_000))
        );
    }

    #[test]
    fn bad_mappings_are_refused_naming_the_field() {
        let cases = [
            (
                SalesMapping {
                    date_format: Some("%Q".into()),
                    ..SalesMapping::default()
                },
                "mapping.date_format",
            ),
            (
                SalesMapping {
                    size_mode: SizeMode::Factor,
                    ..SalesMapping::default()
                },
                "mapping.size_factors",
            ),
            (
                SalesMapping {
                    item: Some(" ".into()),
                    ..SalesMapping::default()
                },
                "mapping.item",
            ),
        ];
        for (m, want) in cases {
            assert!(
                matches!(m.validate(), Err(AppError::Validation { ref field, .. }) if field == want),
                "{want}"
            );
        }
        for p in presets() {
            assert!(p.mapping.validate().is_ok(), "{}", p.name);
        }
    }

    #[test]
    fn local_times_across_daylight_saving() {
        let london: Tz = "Europe/London".parse().unwrap();
        // 01:30 on 2019-03-31 does not exist in London: read as 02:30 BST = 01:30 UTC.
        assert_eq!(
            parse_pos_time("31/03/2019 01:30", london).map(|t| t.to_rfc3339()),
            Ok("2019-03-31T01:30:00+00:00".into())
        );
        // 01:30 on 2019-10-27 happens twice: the earlier (BST) instant.
        assert_eq!(
            parse_pos_time("27/10/2019 01:30", london).map(|t| t.to_rfc3339()),
            Ok("2019-10-27T00:30:00+00:00".into())
        );
    }
}
