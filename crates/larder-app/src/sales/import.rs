//! sales import: a POS export (CSV) read in two passes, so memory does not grow with the
//! file's lines. Its columns are found through a [`SalesMapping`] (presets, a saved mapping, or
//! header names alone). The first pass validates every row and remembers only each ticket's
//! time, row count and a fingerprint of its rows (a few dozen bytes a ticket); a bad row is
//! reported by line and column, and in the default mode means nothing is written. The second
//! pass holds a ticket only until its last row is read, so a file whose tickets' rows are far
//! apart (sorted by item, say) holds more of them at once. It streams complete tickets, which
//! are depleted and written in chunks of [`CHUNK_TICKETS`], one transaction each. A chunk skips
//! tickets already stored under the same source and number, so an import that was interrupted
//! (killed, crashed) resumes when run again, and a file imported twice writes nothing the
//! second time. A dry run reads both passes and writes nothing.
//!
//! When the ticket times are in a second file (an orders file beside the order lines), that
//! file is read first into a map of ticket number to time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use larder_core::{ItemId, LocationId, MenuItemId, Money, Quantity, SaleId, TenantId};
use larder_store::prelude::*;
use larder_store::{Mode, SaleLineRow, SaleRow, run_tenant};
use serde::{Deserialize, Serialize};

use super::depletion::{Depleter, PreparedSale, write_sales};
use super::mapping::{Col, Layout, SalesMapping, SizeEffect};
use crate::menu::Book;
use crate::{App, AppError};

pub use super::mapping::parse_pos_time;

/// Tickets written per transaction: small enough that a chunk's sales and movements are a few
/// megabytes, large enough that the commit (an fsync on SQLite, a round trip on PostgreSQL)
/// is paid rarely.
pub const CHUNK_TICKETS: usize = 500;

/// Lines a dry run shows as parsed.
pub const SAMPLE_LINES: usize = 20;

/// Bad rows an import lists (it counts them all): a file of nothing but bad rows does not make
/// a report, or the memory holding it, as large as the file.
pub const MAX_ERRORS_LISTED: usize = 1000;

/// How an import treats bad rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Any bad row: nothing is written.
    AllOrNothing,
    /// Tickets without a bad row are written; every bad row is listed, and its whole ticket
    /// is left out (so fixing the file and importing again brings it in whole).
    SkipBadTickets,
}

/// A row the import refused: its line in the file (the header is line 1), the column at
/// fault, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// Line number in the file.
    pub line: u64,
    /// Column name as in the header (or `row`; `tickets_file.<column>` for the tickets file).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A name sold whose lines deplete nothing (no menu item, or a menu item without a recipe).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UnmappedName {
    /// The name as sold.
    pub name: String,
    /// The menu item it is sold as, when it is one (without a recipe).
    pub menu_item_id: Option<MenuItemId>,
    /// Lines that carried it.
    pub lines: usize,
    /// Count sold.
    pub quantity: Quantity,
    /// Quantity x unit price over its lines, in the tenant's currency.
    pub revenue: Money,
}

/// A line as a dry run read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SampleLine {
    /// Ticket number.
    pub ticket: String,
    /// When sold.
    pub occurred_at: DateTime<Utc>,
    /// The name as sold (with its size, when appended).
    pub name: String,
    /// Count sold.
    pub quantity: Quantity,
    /// Price of one (from the menu when the file has no price).
    pub unit_price: Money,
    /// The menu item it maps to.
    pub menu_item: Option<String>,
}

/// What an import did (or, for a dry run, would do).
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Nothing was written: a dry run.
    pub dry_run: bool,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows skipped because their name is one to ignore.
    pub rows_ignored: u64,
    /// Distinct tickets in the file.
    pub tickets_in_file: usize,
    /// Tickets written now (a dry run: that would be written).
    pub tickets_imported: usize,
    /// Tickets already imported earlier (same source and number), skipped.
    pub tickets_already_imported: usize,
    /// Tickets left out because a row of theirs is bad.
    pub tickets_rejected: usize,
    /// Lines written.
    pub lines_imported: usize,
    /// Of those, lines whose menu item has a recipe (depleted).
    pub lines_depleted: usize,
    /// Lines without a price in the file nor on the menu, recorded at 0.
    pub lines_without_price: usize,
    /// Lines written without a recipe, by name, most lines first.
    pub unmapped: Vec<UnmappedName>,
    /// Stock movements written.
    pub movements: usize,
    /// The first and last sale time among the good tickets.
    pub first_sale: Option<DateTime<Utc>>,
    /// See `first_sale`.
    pub last_sale: Option<DateTime<Utc>>,
    /// A dry run's first lines as parsed (empty otherwise).
    pub sample: Vec<SampleLine>,
    /// The first [`MAX_ERRORS_LISTED`] bad rows (the tickets file's first).
    pub errors: Vec<RowError>,
    /// How many errors the bad rows have in all.
    pub errors_total: u64,
    /// True when nothing was written because of bad rows (all-or-nothing).
    pub aborted: bool,
    /// Seconds the import took.
    pub seconds: f64,
    /// The tenant's time zone, in which the file's local times were read (IANA name).
    pub time_zone: String,
}

impl ImportReport {
    /// Lines written without a recipe.
    pub fn lines_unmapped(&self) -> usize {
        self.unmapped.iter().map(|u| u.lines).sum()
    }
}

/// A ticket read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedTicket {
    /// Ticket number.
    pub external_ref: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Lines (name, quantity, unit price when the file has one), in file order.
    pub lines: Vec<(String, Quantity, Option<Money>)>,
}

/// Ticket number to time, from a tickets file; `None` for a ticket the file lists with two
/// different times (its rows are refused).
pub type TicketTimes = HashMap<String, Option<DateTime<Utc>>>;

/// What reads a file: the mapping applied to it, the tenant's time zone, and the ticket times
/// when they come from a second file.
#[derive(Clone)]
pub struct Reading {
    /// The columns.
    pub mapping: SalesMapping,
    /// Local times are read in this zone.
    pub tz: Tz,
    /// Ticket times from a tickets file.
    pub times: Option<Arc<TicketTimes>>,
}

impl Reading {
    /// The generic mapping in `tz`.
    pub fn generic(tz: Tz) -> Self {
        Self {
            mapping: SalesMapping::default(),
            tz,
            times: None,
        }
    }
}

/// One good row.
struct Line {
    ticket: String,
    at: DateTime<Utc>,
    name: String,
    quantity: Quantity,
    price: Option<Money>,
}

/// Reads one row: `Ok(None)` for a row whose name is to be ignored; or says everything wrong
/// with it.
fn read_line(
    record: &csv::StringRecord,
    layout: &Layout,
    line: u64,
    r: &Reading,
) -> Result<Option<Line>, (String, Vec<RowError>)> {
    let mut errors = Vec::new();
    let mut err = |c: Col, m: String| {
        errors.push(RowError {
            line,
            field: layout.name(c),
            message: m,
        })
    };
    // The same text policy as the API's: a ticket is a `Code`, an item name a `Name`.
    let ticket = match larder_core::Code::parse(layout.get(record, Col::Ticket).unwrap_or("")) {
        Ok(t) => t.into_string(),
        Err(e) => {
            err(Col::Ticket, e.to_string());
            String::new()
        }
    };
    let raw_name = layout.get(record, Col::Item).unwrap_or("");
    if layout.ignored(raw_name) {
        return Ok(None);
    }
    let at = match &r.times {
        Some(times) => match times.get(&ticket) {
            Some(Some(t)) => Some(*t),
            Some(None) => {
                err(
                    Col::Ticket,
                    format!("ticket {ticket} has two times in the tickets file"),
                );
                None
            }
            None => {
                if !ticket.is_empty() {
                    err(
                        Col::Ticket,
                        format!("ticket {ticket} is not in the tickets file"),
                    );
                }
                None
            }
        },
        None => layout
            .instant(record, r.tz)
            .map_err(|(c, m)| err(c, m))
            .ok(),
    };
    let size = layout
        .size(record)
        .map_err(|m| err(Col::Size, m))
        .ok()
        .flatten();
    let name = match size {
        Some(SizeEffect::Append(s)) => format!("{} ({s})", raw_name.trim()),
        _ => raw_name.to_owned(),
    };
    let name = match larder_core::Name::parse(&name) {
        Ok(n) => n.into_string(),
        Err(e) => {
            err(Col::Item, e.to_string());
            String::new()
        }
    };
    let mut quantity = match layout.get(record, Col::Quantity) {
        None => Some(Quantity::from_raw(Quantity::ONE_RAW)),
        Some(raw) => match Quantity::parse(raw) {
            Ok(q) if q.raw() > 0 => Some(q),
            Ok(_) => {
                err(Col::Quantity, "must be positive".into());
                None
            }
            Err(e) => {
                err(Col::Quantity, format!("'{raw}' {e}"));
                None
            }
        },
    };
    let mut price = match layout.get(record, Col::Price) {
        None => Some(None),
        Some(raw) => match layout.price(raw) {
            Ok(p) if !p.is_negative() => Some(Some(p)),
            Ok(_) => {
                err(Col::Price, "must not be negative".into());
                None
            }
            Err(m) => {
                err(Col::Price, m);
                None
            }
        },
    };
    if let (Some(SizeEffect::Factor(f)), Some(q)) = (layout.size(record).ok().flatten(), quantity) {
        // q x f, and the price / f, each rounded half to even to its scale.
        let scaled = larder_core::decimal::div_round_half_even(
            i128::from(q.raw()) * i128::from(f.raw()),
            i128::from(Quantity::ONE_RAW),
        );
        quantity = i64::try_from(scaled)
            .ok()
            .and_then(Quantity::checked_from_raw)
            .filter(|q| q.raw() > 0);
        if quantity.is_none() {
            err(
                Col::Size,
                "the size factor makes the quantity zero or too large".into(),
            );
        }
        if let Some(Some(p)) = price {
            let per = larder_core::decimal::div_round_half_even(
                i128::from(p.raw()) * i128::from(Quantity::ONE_RAW),
                i128::from(f.raw()),
            );
            price = i64::try_from(per)
                .ok()
                .and_then(Money::checked_from_raw)
                .map(Some);
            if price.is_none() {
                err(
                    Col::Size,
                    "the size factor makes the price too large".into(),
                );
            }
        }
    }
    match (at, quantity, price) {
        (Some(at), Some(quantity), Some(price)) if errors.is_empty() => Ok(Some(Line {
            ticket,
            at,
            name,
            quantity,
            price,
        })),
        _ => Err((ticket, errors)),
    }
}

fn reader<R: Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input)
}

/// A row the CSV reader could not read: why, and its ticket number when that much could be
/// read (so the rest of the ticket is left out with it).
struct Unreadable {
    message: String,
    ticket: String,
}

/// Visits every data row: `Ok` with its file line, or why it could not be read. `layout_of`
/// applies the mapping to the header.
fn rows<R: Read>(
    input: R,
    layout_of: impl FnOnce(&csv::StringRecord) -> Result<Layout, AppError>,
    mut visit: impl FnMut(&Layout, u64, Result<&csv::StringRecord, Unreadable>) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let mut reader = reader(input);
    let headers = reader
        .headers()
        .map_err(|e| AppError::invalid("header", e.to_string()))?
        .clone();
    let layout = layout_of(&headers)?;
    let mut bytes = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut bytes) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = bytes.position().map_or(line, |p| p.line());
                match csv::StringRecord::from_byte_record(std::mem::take(&mut bytes)) {
                    Ok(record) => {
                        visit(&layout, line, Ok(&record))?;
                        bytes = record.into_byte_record();
                    }
                    Err(e) => {
                        let message = e.utf8_error().to_string();
                        bytes = e.into_byte_record();
                        let ticket = layout.get_bytes(&bytes, Col::Ticket);
                        visit(&layout, line, Err(Unreadable { message, ticket }))?;
                    }
                }
            }
            Err(e) => visit(
                &layout,
                line.max(2),
                Err(Unreadable {
                    message: e.to_string(),
                    ticket: String::new(),
                }),
            )?,
        }
    }
}

/// Reads a tickets file (ticket number and time per row): the times, the first
/// [`MAX_ERRORS_LISTED`] bad rows (field `tickets_file.<column>`) and how many there are. A
/// ticket listed twice with two times is a bad row, and the ticket's rows in the sales file
/// are refused.
///
/// # Errors
/// 422 on `tickets_file.header` or `mapping.tickets_file.<field>`.
pub fn read_ticket_times(
    input: impl Read,
    mapping: &SalesMapping,
    tz: Tz,
) -> Result<(TicketTimes, Vec<RowError>, u64), AppError> {
    let files = mapping.tickets_file.clone().unwrap_or_default();
    let mut times = TicketTimes::new();
    let mut errors = Vec::new();
    let mut total = 0u64;
    rows(
        input,
        |h| Layout::of_tickets(&files, mapping, h),
        |layout, line, row| {
            let mut bad = |c: Option<Col>, message: String| {
                total += 1;
                if errors.len() < MAX_ERRORS_LISTED {
                    errors.push(RowError {
                        line,
                        field: format!(
                            "tickets_file.{}",
                            c.map_or("row".into(), |c| layout.name(c))
                        ),
                        message,
                    });
                }
            };
            let record = match row {
                Ok(r) => r,
                Err(u) => {
                    bad(None, u.message);
                    return Ok(());
                }
            };
            let ticket =
                match larder_core::Code::parse(layout.get(record, Col::Ticket).unwrap_or("")) {
                    Ok(t) => t.into_string(),
                    Err(e) => {
                        bad(Some(Col::Ticket), e.to_string());
                        return Ok(());
                    }
                };
            match layout.instant(record, tz) {
                Ok(at) => match times.get_mut(&ticket) {
                    None => {
                        times.insert(ticket, Some(at));
                    }
                    Some(known) if *known == Some(at) => {}
                    Some(known) => {
                        *known = None;
                        bad(
                            Some(Col::Date),
                            format!("ticket {ticket} is listed earlier with another time"),
                        );
                    }
                },
                Err((c, m)) => bad(Some(c), m),
            }
            Ok(())
        },
    )?;
    Ok((times, errors, total))
}

/// A fingerprint of a ticket's rows, in file order: the second pass must read the same rows.
fn fold_row(digest: u64, l: &Line) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&l.name, l.quantity.raw(), l.price.map(Money::raw), l.at).hash(&mut h);
    digest.rotate_left(7) ^ h.finish()
}

/// What the first pass learned of each ticket.
#[derive(Clone, Copy, Debug)]
struct TicketInfo {
    occurred_at: DateTime<Utc>,
    rows: usize,
    first_line: u64,
    digest: u64,
}

/// The first pass over a file: every bad row, and each good ticket's time and row count.
#[derive(Debug, Default)]
pub struct Scan {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows whose name is one to ignore.
    pub rows_ignored: u64,
    /// The first [`MAX_ERRORS_LISTED`] bad rows, by line.
    pub errors: Vec<RowError>,
    /// Every bad row's errors, counted.
    pub errors_total: u64,
    /// Whether the file has a quantity column (without one, identical rows are summed).
    pub has_quantity: bool,
    /// Whether the file has a price column (without one, prices come from the menu).
    pub has_price: bool,
    tickets: HashMap<String, TicketInfo>,
    bad: HashSet<String>,
}

impl Scan {
    /// Counts a bad row's error, and keeps it while fewer than [`MAX_ERRORS_LISTED`] are.
    fn add_error(&mut self, e: RowError) {
        self.errors_total += 1;
        if self.errors.len() < MAX_ERRORS_LISTED {
            self.errors.push(e);
        }
    }

    /// Distinct tickets in the file, good or bad.
    pub fn tickets_in_file(&self) -> usize {
        self.tickets.len()
            + self
                .bad
                .iter()
                .filter(|t| !self.tickets.contains_key(*t))
                .count()
    }

    /// Tickets with a bad row.
    pub fn tickets_rejected(&self) -> usize {
        self.bad.len()
    }
}

/// The first pass: validates every row of a POS sales CSV, its columns found through the
/// reading's mapping (other columns are ignored). Rows are grouped into tickets by number; a
/// ticket's rows must agree on its time.
///
/// # Errors
/// 422 on `header` or `mapping.<field>` when a column is missing or the file is not CSV at all.
pub fn scan(input: impl Read, r: &Reading) -> Result<Scan, AppError> {
    let mut scan = Scan::default();
    rows(
        input,
        |h| Layout::of(&r.mapping, h, r.times.is_some()),
        |layout, line, row| {
            scan.rows_read += 1;
            scan.has_quantity = layout.has(Col::Quantity);
            scan.has_price = layout.has(Col::Price);
            let record = match row {
                Ok(r) => r,
                Err(Unreadable { message, ticket }) => {
                    scan.add_error(RowError {
                        line,
                        field: "row".into(),
                        message,
                    });
                    if !ticket.is_empty() {
                        scan.bad.insert(ticket);
                    }
                    return Ok(());
                }
            };
            match read_line(record, layout, line, r) {
                Ok(None) => scan.rows_ignored += 1,
                Ok(Some(l)) => {
                    if let Some(t) = scan.tickets.get_mut(&l.ticket) {
                        if t.occurred_at != l.at {
                            let message = format!(
                                "ticket {} has another date on line {}",
                                l.ticket, t.first_line
                            );
                            scan.add_error(RowError {
                                line,
                                field: layout.name(Col::Date),
                                message,
                            });
                            scan.bad.insert(l.ticket);
                        } else {
                            t.rows += 1;
                            t.digest = fold_row(t.digest, &l);
                        }
                    } else {
                        let digest = fold_row(0, &l);
                        scan.tickets.insert(
                            l.ticket,
                            TicketInfo {
                                occurred_at: l.at,
                                rows: 1,
                                first_line: line,
                                digest,
                            },
                        );
                    }
                }
                Err((ticket, errors)) => {
                    for e in errors {
                        scan.add_error(e);
                    }
                    scan.bad.insert(ticket);
                }
            }
            Ok(())
        },
    )?;
    scan.errors.sort_by_key(|e| e.line);
    Ok(scan)
}

/// Sums identical lines (same name and price) of a ticket, keeping the first one's place: a
/// file without a quantity column has one row per unit sold.
fn sum_identical(
    lines: Vec<(String, Quantity, Option<Money>)>,
) -> Vec<(String, Quantity, Option<Money>)> {
    let mut out: Vec<(String, Quantity, Option<Money>)> = Vec::with_capacity(lines.len());
    for (name, q, p) in lines {
        match out.iter_mut().find(|(n, _, pp)| *n == name && *pp == p) {
            Some((_, total, _)) => *total = total.checked_add(q).unwrap_or(*total),
            None => out.push((name, q, p)),
        }
    }
    out
}

/// The second pass: hands `emit` every good ticket (no bad row) complete, in the order its
/// last row appears in the file. Only tickets whose rows are still to come are held.
///
/// # Errors
/// 422 on `file` when the file no longer reads as the first pass read it (a ticket's rows,
/// time, or fingerprint differ): chunks written before that stay written; `emit`'s errors.
pub fn stream(
    input: impl Read,
    r: &Reading,
    scan: &Scan,
    mut emit: impl FnMut(ParsedTicket) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let changed = || AppError::invalid("file", "changed while it was being imported");
    let mut pending: HashMap<String, (ParsedTicket, u64)> = HashMap::new();
    rows(
        input,
        |h| Layout::of(&r.mapping, h, r.times.is_some()),
        |layout, line, row| {
            let Ok(record) = row else { return Ok(()) };
            let Ok(Some(l)) = read_line(record, layout, line, r) else {
                return Ok(());
            };
            if scan.bad.contains(&l.ticket) {
                return Ok(());
            }
            let info = scan.tickets.get(&l.ticket).ok_or_else(changed)?;
            if l.at != info.occurred_at {
                return Err(changed());
            }
            let (t, digest) = pending.entry(l.ticket.clone()).or_insert_with(|| {
                (
                    ParsedTicket {
                        external_ref: l.ticket.clone(),
                        occurred_at: info.occurred_at,
                        lines: Vec::with_capacity(info.rows),
                    },
                    0,
                )
            });
            *digest = fold_row(*digest, &l);
            t.lines.push((l.name, l.quantity, l.price));
            if t.lines.len() == info.rows
                && let Some((mut done, digest)) = pending.remove(&l.ticket)
            {
                if digest != info.digest {
                    return Err(changed());
                }
                if !scan.has_quantity {
                    done.lines = sum_identical(done.lines);
                }
                emit(done)?;
            }
            Ok(())
        },
    )?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(changed())
    }
}

/// Turns a parsed ticket into a sale row for `location` from `source`; a line without a price
/// takes its menu item's (through `depleter`), else 0.
pub fn ticket_sale(
    t: &ParsedTicket,
    location: LocationId,
    source: &str,
    now: DateTime<Utc>,
    depleter: &Depleter<'_>,
) -> SaleRow {
    SaleRow {
        id: SaleId::new(),
        location_id: location,
        source: source.to_owned(),
        external_ref: Some(t.external_ref.clone()),
        occurred_at: t.occurred_at,
        recorded_at: now,
        lines: t
            .lines
            .iter()
            .enumerate()
            .map(|(i, (name, q, p))| SaleLineRow {
                line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
                menu_item_id: None,
                item_name: name.clone(),
                quantity: *q,
                unit_price: p
                    .or_else(|| {
                        depleter
                            .menu_item(name)
                            .and_then(|m| depleter.price_at(m.id, t.occurred_at))
                    })
                    .unwrap_or(Money::ZERO),
            })
            .collect(),
    }
}

/// What one chunk wrote (or, dry, would write).
#[derive(Default)]
struct Written {
    tickets: usize,
    skipped: usize,
}

/// Writes the tickets of `prepared` not yet stored under `source`, in the caller's
/// transaction (a dry run only asks which are stored); returns those it wrote.
async fn write_new(
    tx: &mut dyn TenantTx,
    source: &str,
    prepared: Vec<PreparedSale>,
    dry_run: bool,
) -> Result<(Vec<PreparedSale>, usize), AppError> {
    let refs: Vec<String> = prepared
        .iter()
        .filter_map(|p| p.sale.external_ref.clone())
        .collect();
    let existing: HashSet<String> = tx
        .existing_sale_refs(source, &refs)
        .await?
        .into_iter()
        .collect();
    let (old, new): (Vec<PreparedSale>, Vec<PreparedSale>) = prepared.into_iter().partition(|p| {
        p.sale
            .external_ref
            .as_ref()
            .is_some_and(|r| existing.contains(r))
    });
    if !dry_run {
        write_sales(tx, &new).await?;
        let mut by_location: BTreeMap<LocationId, Vec<&PreparedSale>> = BTreeMap::new();
        for p in &new {
            by_location.entry(p.sale.location_id).or_default().push(p);
        }
        for (location_id, sales) in by_location {
            let (Some(first), Some(last)) = (sales.first(), sales.last()) else {
                continue;
            };
            let data = crate::events::SalesImported {
                source,
                location_id,
                sale_ids: sales.iter().map(|p| p.sale.id).collect(),
                from: first.sale.occurred_at,
                to: last.sale.occurred_at,
            };
            crate::events::emit_system(
                tx,
                crate::events::EventType::SalesImported,
                Some(location_id),
                last.sale.occurred_at,
                crate::events::to_json(&data)?,
            )
            .await?;
        }
    }
    Ok((new, old.len()))
}

/// Totals over the written tickets.
#[derive(Default)]
struct Tally {
    unmapped: BTreeMap<String, UnmappedName>,
}

impl Tally {
    /// Adds what `new` (tickets written) brings to `report`.
    fn add(
        &mut self,
        report: &mut ImportReport,
        new: &[PreparedSale],
        w: &Written,
        names: &HashMap<MenuItemId, String>,
        dry_run: bool,
        file_has_price: bool,
    ) {
        report.tickets_imported += w.tickets;
        report.tickets_already_imported += w.skipped;
        for p in new {
            let s = &p.sale;
            report.lines_imported += s.lines.len();
            report.lines_depleted += p.lines_depleted;
            report.movements += p.movements.len();
            report.first_sale = Some(
                report
                    .first_sale
                    .map_or(s.occurred_at, |f| f.min(s.occurred_at)),
            );
            report.last_sale = Some(
                report
                    .last_sale
                    .map_or(s.occurred_at, |f| f.max(s.occurred_at)),
            );
            for l in &s.lines {
                if !file_has_price && l.unit_price == Money::ZERO {
                    report.lines_without_price += 1;
                }
                if dry_run && report.sample.len() < SAMPLE_LINES {
                    report.sample.push(SampleLine {
                        ticket: s.external_ref.clone().unwrap_or_default(),
                        occurred_at: s.occurred_at,
                        name: l.item_name.clone(),
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                        menu_item: l.menu_item_id.and_then(|m| names.get(&m).cloned()),
                    });
                }
            }
            // `unmapped` holds one name per line that depleted nothing, in line order.
            let mut rest = p.unmapped.iter().peekable();
            for l in &s.lines {
                if rest.peek().is_some_and(|n| **n == l.item_name) {
                    rest.next();
                    let u =
                        self.unmapped
                            .entry(l.item_name.clone())
                            .or_insert_with(|| UnmappedName {
                                name: l.item_name.clone(),
                                menu_item_id: l.menu_item_id,
                                lines: 0,
                                quantity: Quantity::ZERO,
                                revenue: Money::ZERO,
                            });
                    u.lines += 1;
                    u.quantity = u.quantity.checked_add(l.quantity).unwrap_or(u.quantity);
                    let line_revenue = larder_core::decimal::div_round_half_even(
                        i128::from(l.quantity.raw()) * i128::from(l.unit_price.raw()),
                        i128::from(Quantity::ONE_RAW),
                    );
                    u.revenue = i64::try_from(line_revenue)
                        .ok()
                        .and_then(Money::checked_from_raw)
                        .and_then(|r| u.revenue.checked_add(r))
                        .unwrap_or(u.revenue);
                }
            }
        }
    }

    /// Unmapped names, most lines first.
    fn unmapped(self) -> Vec<UnmappedName> {
        let mut v: Vec<UnmappedName> = self.unmapped.into_values().collect();
        v.sort_by(|a, b| b.lines.cmp(&a.lines).then(a.name.cmp(&b.name)));
        v
    }
}

fn task_failed(e: tokio::task::JoinError) -> AppError {
    AppError::Internal(format!("the import's reader failed: {e}"))
}

fn unreadable(e: std::io::Error) -> AppError {
    AppError::invalid("file", format!("cannot be read: {e}"))
}

/// Opens a file to read (once per pass).
pub type Opener = Arc<dyn Fn() -> std::io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// What to import and how.
#[derive(Clone)]
pub struct ImportRequest {
    /// The sales file.
    pub lines: Opener,
    /// The tickets file, when ticket times are apart from the lines (the mapping's
    /// `tickets_file` names its columns).
    pub tickets: Option<Opener>,
    /// The columns.
    pub mapping: SalesMapping,
    /// Bad rows.
    pub mode: ImportMode,
    /// Read everything, write nothing.
    pub dry_run: bool,
}

impl ImportRequest {
    /// The generic mapping over one file opened by `open`.
    pub fn generic<F, R>(open: F, mode: ImportMode) -> Self
    where
        F: Fn() -> std::io::Result<R> + Send + Sync + 'static,
        R: Read + Send + 'static,
    {
        Self {
            lines: Arc::new(move || open().map(|r| Box::new(r) as Box<dyn Read + Send>)),
            tickets: None,
            mapping: SalesMapping::default(),
            mode,
            dry_run: false,
        }
    }
}

impl App {
    /// Imports a POS sales CSV with the generic mapping: see [`App::import_sales_with`].
    ///
    /// # Errors
    /// As [`App::import_sales_with`].
    pub async fn import_sales<F, R>(
        &self,
        tenant: TenantId,
        location: LocationId,
        source: &str,
        open: F,
        mode: ImportMode,
    ) -> Result<ImportReport, AppError>
    where
        F: Fn() -> std::io::Result<R> + Send + Sync + 'static,
        R: Read + Send + 'static,
    {
        self.import_sales_with(tenant, location, source, ImportRequest::generic(open, mode))
            .await
    }

    /// Imports a POS sales CSV into `location` of `tenant` (an operator command: no
    /// principal; the API's import checks the caller first), depleting stock. The files are
    /// read twice (see the module documentation), on a blocking thread, while chunks are
    /// written; a dry run writes nothing and reports the first lines as parsed.
    ///
    /// # Errors
    /// 422 on `header`, `mapping.<field>` or `file`; 404 on the location or tenant; storage
    /// errors (the chunks written before one stay written: run the import again to finish it).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %tenant, source = %source))]
    pub async fn import_sales_with(
        &self,
        tenant: TenantId,
        location: LocationId,
        source: &str,
        req: ImportRequest,
    ) -> Result<ImportReport, AppError> {
        let started = std::time::Instant::now();
        req.mapping.validate()?;
        match (&req.mapping.tickets_file, &req.tickets) {
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "tickets_file",
                    "this mapping reads ticket times from a second file: import with `larder import sales --tickets FILE`, or untick it in the mapping",
                ));
            }
            (None, Some(_)) => {
                return Err(AppError::invalid(
                    "tickets_file",
                    "a tickets file needs the mapping's tickets_file (its columns)",
                ));
            }
            _ => {}
        }
        let tz = self.tenant_tz(tenant).await?;
        run_tenant(self.db(), tenant, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.get_location(location)
                    .await?
                    .ok_or(AppError::NotFound("location"))
            })
        })
        .await?;
        let mut reading = Reading {
            mapping: req.mapping.clone(),
            tz,
            times: None,
        };
        let mut ticket_errors = Vec::new();
        let mut ticket_errors_total = 0;
        if let Some(open) = req.tickets.clone() {
            let m = req.mapping.clone();
            let (times, errors, total) = tokio::task::spawn_blocking(move || {
                read_ticket_times(open().map_err(unreadable)?, &m, tz)
            })
            .await
            .map_err(task_failed)??;
            reading.times = Some(Arc::new(times));
            ticket_errors = errors;
            ticket_errors_total = total;
        }
        let first = req.lines.clone();
        let r = reading.clone();
        let scan = Arc::new(
            tokio::task::spawn_blocking(move || scan(first().map_err(unreadable)?, &r))
                .await
                .map_err(task_failed)??,
        );
        let mut report = ImportReport {
            time_zone: tz.name().to_owned(),
            dry_run: req.dry_run,
            rows_read: scan.rows_read,
            rows_ignored: scan.rows_ignored,
            tickets_in_file: scan.tickets_in_file(),
            tickets_rejected: scan.tickets_rejected(),
            errors: ticket_errors
                .into_iter()
                .chain(scan.errors.iter().cloned())
                .take(MAX_ERRORS_LISTED)
                .collect(),
            errors_total: ticket_errors_total + scan.errors_total,
            ..Default::default()
        };
        if req.mode == ImportMode::AllOrNothing && !report.errors.is_empty() {
            report.aborted = true;
            report.seconds = started.elapsed().as_secs_f64();
            return Ok(report);
        }
        let (book, aliases) = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move {
                Ok::<_, AppError>((
                    Book::load_with_history(tx).await?,
                    tx.list_sale_aliases().await?,
                ))
            })
        })
        .await?;
        let names: HashMap<MenuItemId, String> = book
            .menu_items
            .values()
            .map(|m| (m.id, m.name.clone()))
            .collect();
        // Fail before reading on: a recipe that cannot be exploded.
        Depleter::new(&book)?;

        // The second pass reads and depletes on a blocking thread and hands over chunks of
        // prepared sales while the previous chunk is written; two in flight at most, so memory
        // is bounded by the chunk size, not the file.
        let (chunks, mut incoming) = tokio::sync::mpsc::channel::<Vec<PreparedSale>>(2);
        let s = scan.clone();
        let src = source.to_owned();
        let open = req.lines.clone();
        let r = reading.clone();
        let reading_task = tokio::task::spawn_blocking(move || -> Result<(), AppError> {
            let depleter = Depleter::new(&book)?.with_aliases(&aliases);
            let mut chunk = Vec::with_capacity(CHUNK_TICKETS);
            let send = |chunk: Vec<ParsedTicket>| -> Result<(), AppError> {
                let now = Utc::now();
                let prepared = chunk
                    .iter()
                    .map(|t| depleter.prepare(ticket_sale(t, location, &src, now, &depleter), None))
                    .collect::<Result<Vec<_>, _>>()?;
                // A closed channel means the writer stopped on an error it reports.
                chunks
                    .blocking_send(prepared)
                    .map_err(|_| AppError::Internal("the import stopped".into()))
            };
            stream(open().map_err(unreadable)?, &r, &s, |t| {
                chunk.push(t);
                if chunk.len() == CHUNK_TICKETS {
                    send(std::mem::replace(
                        &mut chunk,
                        Vec::with_capacity(CHUNK_TICKETS),
                    ))?;
                }
                Ok(())
            })?;
            if !chunk.is_empty() {
                send(chunk)?;
            }
            Ok(())
        });
        let mut tally = Tally::default();
        let file_prices = scan.has_price;
        while let Some(prepared) = incoming.recv().await {
            let src = source.to_owned();
            let dry = req.dry_run;
            let (new, skipped) = run_tenant(
                self.db(),
                tenant,
                if dry { Mode::Read } else { Mode::Write },
                move |tx| Box::pin(async move { write_new(tx, &src, prepared, dry).await }),
            )
            .await?;
            let w = Written {
                tickets: new.len(),
                skipped,
            };
            tracing::debug!(
                tickets = w.tickets,
                skipped = w.skipped,
                "import chunk written"
            );
            tally.add(&mut report, &new, &w, &names, req.dry_run, file_prices);
        }
        reading_task.await.map_err(task_failed)??;
        report.unmapped = tally.unmapped();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }
}

/// What [`App::import_tickets`] wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct TicketsWritten {
    /// Tickets written (those already stored are not counted).
    pub tickets: usize,
    /// Their lines that depleted stock through a recipe.
    pub lines_depleted: usize,
    /// Sale movements written.
    pub movements: usize,
}

/// A tenant's recipe book and POS aliases, loaded once for importing many small batches of
/// tickets (a history replayed day by day): [`TicketImporter::depleter`] explodes the recipes
/// once, [`App::import_tickets`] writes each batch.
pub struct TicketImporter {
    book: Book,
    aliases: Vec<larder_store::SaleAliasRow>,
}

impl TicketImporter {
    /// The depletion of every menu item, worked out once.
    ///
    /// # Errors
    /// 422 when a recipe cannot be exploded.
    pub fn depleter(&self) -> Result<Depleter<'_>, AppError> {
        Ok(Depleter::new(&self.book)?.with_aliases(&self.aliases))
    }
}

impl App {
    /// Loads `tenant`'s recipe book and POS aliases for [`App::import_tickets`]. Recipes
    /// changed afterwards are not seen by it: load again.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn ticket_importer(&self, tenant: TenantId) -> Result<TicketImporter, AppError> {
        let (book, aliases) = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move {
                Ok::<_, AppError>((
                    Book::load_with_history(tx).await?,
                    tx.list_sale_aliases().await?,
                ))
            })
        })
        .await?;
        Ok(TicketImporter { book, aliases })
    }

    /// Writes tickets already parsed (one day of a history being replayed, say) into
    /// `location` of `tenant` under `source`, depleting stock through `depleter`, in one
    /// transaction; tickets already stored under their reference are skipped. Returns what
    /// was written. An operator command, as [`App::import_sales_with`] is.
    ///
    /// # Errors
    /// 422 when a depletion overflows; storage errors.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %tenant, tickets = tickets.len()))]
    pub async fn import_tickets(
        &self,
        tenant: TenantId,
        location: LocationId,
        source: &str,
        depleter: &Depleter<'_>,
        tickets: Vec<ParsedTicket>,
    ) -> Result<TicketsWritten, AppError> {
        if tickets.is_empty() {
            return Ok(TicketsWritten::default());
        }
        let now = Utc::now();
        let prepared = tickets
            .iter()
            .map(|t| depleter.prepare(ticket_sale(t, location, source, now, depleter), None))
            .collect::<Result<Vec<_>, _>>()?;
        let src = source.to_owned();
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                let (new, _) = write_new(tx, &src, prepared, false).await?;
                Ok(TicketsWritten {
                    tickets: new.len(),
                    lines_depleted: new.iter().map(|n| n.lines_depleted).sum(),
                    movements: new.iter().map(|n| n.movements.len()).sum(),
                })
            })
        })
        .await
    }

    /// The references among `refs` already stored under `source` for `tenant`.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn stored_sale_refs(
        &self,
        tenant: TenantId,
        source: &str,
        refs: Vec<String>,
    ) -> Result<HashSet<String>, AppError> {
        let src = source.to_owned();
        run_tenant(self.db(), tenant, Mode::Read, move |tx| {
            Box::pin(async move {
                Ok::<_, AppError>(
                    tx.existing_sale_refs(&src, &refs)
                        .await?
                        .into_iter()
                        .collect(),
                )
            })
        })
        .await
    }
}

/// What `tickets` would deplete through `depleter`, without writing anything: (when, item,
/// quantity removed) per ingredient of each ticket.
///
/// # Errors
/// 422 when a depletion overflows.
pub fn usage_of_tickets(
    depleter: &Depleter<'_>,
    location: LocationId,
    tickets: &[ParsedTicket],
) -> Result<Vec<(DateTime<Utc>, ItemId, Quantity)>, AppError> {
    let now = Utc::now();
    let mut out = Vec::new();
    for t in tickets {
        let prepared = depleter.prepare(ticket_sale(t, location, "usage", now, depleter), None)?;
        out.extend(prepared.movements.into_iter().filter_map(|m| {
            m.quantity
                .checked_neg()
                .map(|q| (m.occurred_at, m.item_id, q))
        }));
    }
    Ok(out)
}

/// Reads a whole file into tickets (both passes, in memory) with the generic mapping: for
/// tests and small files.
///
/// # Errors
/// As [`scan`] and [`stream`].
pub fn parse_all(input: &[u8], tz: Tz) -> Result<(Scan, Vec<ParsedTicket>), AppError> {
    parse_with(input, &Reading::generic(tz))
}

/// [`parse_all`] with a reading of its own.
///
/// # Errors
/// As [`scan`] and [`stream`].
pub fn parse_with(input: &[u8], r: &Reading) -> Result<(Scan, Vec<ParsedTicket>), AppError> {
    let s = scan(input, r)?;
    let mut tickets = Vec::new();
    stream(input, r, &s, |t| {
        tickets.push(t);
        Ok(())
    })?;
    Ok((s, tickets))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "OrderNumber,OrderDate,ItemName,Quantity,ProductPrice,TotalProducts
16118,03/08/2019 20:25,Plain Papadum,2,0.8,6
16118,03/08/2019 20:25,King Prawn Balti,1,12.95,6
16117,03/08/2019 20:17,Plain Naan,x,2.6,7
16116,31/02/2019 20:09,Aloo Chaat,1,4.95,5
16115,03/08/2019 20:01,Chicken Pakora,1,5.9512345,7
16114,03/08/2019 19:00,Keema Naan,1,2.95,1
";

    fn london() -> Tz {
        "Europe/London".parse().unwrap_or(Tz::UTC)
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_column_and_their_tickets_left_out() {
        let (scan, tickets) = parse_all(CSV.as_bytes(), london()).unwrap();
        assert_eq!(scan.rows_read, 6);
        assert_eq!(scan.tickets_in_file(), 5);
        assert_eq!(scan.tickets_rejected(), 3);
        assert_eq!(
            scan.errors
                .iter()
                .map(|e| (e.line, e.field.as_str()))
                .collect::<Vec<_>>(),
            vec![(4, "Quantity"), (5, "OrderDate"), (6, "ProductPrice")]
        );
        assert!(
            scan.errors[2]
                .message
                .contains("more than 6 decimal places"),
            "{}",
            scan.errors[2].message
        );
        // File order; 19:00 BST is 18:00 UTC.
        assert_eq!(
            tickets
                .iter()
                .map(|t| t.external_ref.as_str())
                .collect::<Vec<_>>(),
            vec!["16118", "16114"]
        );
        assert_eq!(
            tickets[1].occurred_at.to_rfc3339(),
            "2019-08-03T18:00:00+00:00"
        );
        assert_eq!(tickets[0].lines.len(), 2);
    }

    #[test]
    fn a_ticket_whose_rows_are_apart_is_emitted_whole_once_its_last_row_is_read() {
        let csv = "ticket,date,item,qty,price
1,2019-08-03 12:00,A,1,1
2,2019-08-03 12:05,B,1,1
1,2019-08-03 12:00,C,2,1
";
        let (_, tickets) = parse_all(csv.as_bytes(), Tz::UTC).unwrap();
        assert_eq!(
            tickets
                .iter()
                .map(|t| (t.external_ref.as_str(), t.lines.len()))
                .collect::<Vec<_>>(),
            vec![("2", 1), ("1", 2)]
        );
    }

    #[test]
    fn rows_of_one_ticket_with_two_times_are_refused() {
        let csv = "ticket,date,item,qty,price
1,2019-08-03 12:00,A,1,1
1,2019-08-03 12:30,B,1,1
";
        let (scan, tickets) = parse_all(csv.as_bytes(), Tz::UTC).unwrap();
        assert!(tickets.is_empty());
        assert_eq!(scan.errors.len(), 1);
        assert_eq!(scan.errors[0].line, 3);
        assert!(scan.errors[0].message.contains("another date on line 2"));
    }

    #[test]
    fn a_file_that_changed_between_the_passes_is_refused() {
        let s = scan(CSV.as_bytes(), &Reading::generic(london())).unwrap();
        let other =
            "OrderNumber,OrderDate,ItemName,Quantity,ProductPrice\n99,03/08/2019 20:25,X,1,1\n";
        let err = stream(
            other.as_bytes(),
            &Reading::generic(london()),
            &s,
            |_| Ok(()),
        )
        .err();
        assert!(matches!(err, Some(AppError::Validation { field, .. }) if field == "file"));
    }

    #[test]
    fn a_row_that_is_not_utf8_leaves_its_whole_ticket_out() {
        let mut csv =
            b"ticket,date,item,qty,price\n42,2019-08-03 12:00,A,1,1\n42,2019-08-03 12:00,Caf"
                .to_vec();
        csv.push(0xE9); // "é" in Windows-1252
        csv.extend_from_slice(b",1,1\n43,2019-08-03 12:05,B,1,1\n");
        let (scan, tickets) = parse_all(&csv, Tz::UTC).unwrap();
        assert_eq!(scan.errors.len(), 1);
        assert_eq!(
            (scan.errors[0].line, scan.errors[0].field.as_str()),
            (3, "row")
        );
        assert_eq!(scan.tickets_rejected(), 1);
        assert_eq!(
            tickets
                .iter()
                .map(|t| t.external_ref.as_str())
                .collect::<Vec<_>>(),
            vec!["43"]
        );
    }

    #[test]
    fn an_edited_row_is_noticed_by_the_second_pass() {
        let first = "ticket,date,item,qty,price\n1,2019-08-03 12:00,A,1,1\n";
        let s = scan(first.as_bytes(), &Reading::generic(Tz::UTC)).unwrap();
        for edited in [
            "ticket,date,item,qty,price\n1,2019-08-03 12:00,A,2,1\n",
            "ticket,date,item,qty,price\n1,2019-08-03 12:01,A,1,1\n",
        ] {
            let err = stream(
                edited.as_bytes(),
                &Reading::generic(Tz::UTC),
                &s,
                |_| Ok(()),
            )
            .err();
            assert!(matches!(err, Some(AppError::Validation { field, .. }) if field == "file"));
        }
        assert!(stream(first.as_bytes(), &Reading::generic(Tz::UTC), &s, |_| Ok(())).is_ok());
    }

    #[test]
    fn a_missing_column_is_named() {
        let err = scan(
            "OrderNumber,ItemName,Quantity\n1,a,1\n".as_bytes(),
            &Reading::generic(Tz::UTC),
        )
        .err();
        assert!(
            matches!(err, Some(AppError::Validation { ref field, ref message }) if field == "header" && message.contains("date"))
        );
    }

    fn reading(mapping: SalesMapping) -> Reading {
        Reading {
            mapping,
            tz: Tz::UTC,
            times: None,
        }
    }

    #[test]
    fn one_row_per_unit_without_quantity_or_price_sums_identical_rows_per_ticket() {
        let csv = "ticket_number,date,time,article
7,2021-07-11,08:38,BAGUETTE
7,2021-07-11,08:38,CROISSANT
7,2021-07-11,08:38,baguette
7,2021-07-11,08:38,BAGUETTE
8,2021-07-11,08:40,NONE
";
        let m = SalesMapping {
            ignore: vec!["none".into()],
            ..SalesMapping::default()
        };
        let (scan, tickets) = parse_with(csv.as_bytes(), &reading(m)).unwrap();
        assert_eq!((scan.rows_read, scan.rows_ignored), (5, 1));
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        assert_eq!(tickets.len(), 1);
        let one = Quantity::from_raw(Quantity::ONE_RAW);
        assert_eq!(
            tickets[0].lines,
            vec![
                ("BAGUETTE".to_string(), Quantity::from_raw(2000), None),
                ("CROISSANT".to_string(), one, None),
                ("baguette".to_string(), one, None),
            ]
        );
    }

    #[test]
    fn a_size_is_appended_to_the_name_or_scales_quantity_and_price() {
        let csv = "Receipt,Date,Item,Size,Qty,Price
1,2024-05-01 12:00,Margherita,L,2,13.50
1,2024-05-01 12:00,Margherita,,1,10.00
";
        let (_, tickets) = parse_with(csv.as_bytes(), &reading(SalesMapping::default())).unwrap();
        assert_eq!(tickets[0].lines[0].0, "Margherita (L)");
        assert_eq!(tickets[0].lines[1].0, "Margherita");
        let m = SalesMapping {
            size_mode: super::super::mapping::SizeMode::Factor,
            size_factors: [("L".to_string(), Quantity::from_raw(1350))].into(),
            ..SalesMapping::default()
        };
        let (_, tickets) = parse_with(csv.as_bytes(), &reading(m.clone())).unwrap();
        // 2 x 1.35 = 2.7 portions at 13.50 / 1.35 = 10.00: the revenue stays 27.00.
        assert_eq!(
            tickets[0].lines[0],
            (
                "Margherita".to_string(),
                Quantity::from_raw(2700),
                Some(Money::from_raw(10_000_000))
            )
        );
        let bad = csv.replace(",L,", ",XL,");
        let (scan, _) = parse_with(bad.as_bytes(), &reading(m)).unwrap();
        assert_eq!(
            (scan.errors[0].line, scan.errors[0].field.as_str()),
            (2, "Size")
        );
        assert!(scan.errors[0].message.contains("'XL'"));
    }

    #[test]
    fn a_file_of_bad_rows_lists_the_first_thousand_and_counts_them_all() {
        let mut csv = String::from("ticket,date,item,qty\n");
        for i in 0..1500 {
            csv.push_str(&format!("{i},2024-05-01 12:00,A,x\n"));
        }
        let s = scan(csv.as_bytes(), &Reading::generic(Tz::UTC)).unwrap();
        assert_eq!((s.errors.len(), s.errors_total), (MAX_ERRORS_LISTED, 1500));
        assert_eq!(s.errors[999].line, 1001);
    }

    #[test]
    fn a_ticket_with_two_times_in_the_tickets_file_is_refused() {
        let orders = "order_id,date,time\n1,2015-01-01,11:00:00\n1,2015-01-01,12:00:00\n1,2015-01-01,13:00:00\n2,2015-01-01,11:30:00\n";
        let m = SalesMapping {
            tickets_file: Some(super::super::mapping::TicketsFileMapping::default()),
            ..SalesMapping::default()
        };
        let (times, errors, total) = read_ticket_times(orders.as_bytes(), &m, Tz::UTC).unwrap();
        assert_eq!(total, 2);
        assert_eq!(errors[0].line, 3);
        let r = Reading {
            mapping: m,
            tz: Tz::UTC,
            times: Some(Arc::new(times)),
        };
        let (s, tickets) = parse_with(b"order_id,item\n1,A\n2,B\n", &r).unwrap();
        assert_eq!(tickets.len(), 1);
        assert!(s.errors[0].message.contains("two times"), "{:?}", s.errors);
    }

    #[test]
    fn ticket_times_come_from_a_tickets_file_joined_on_the_number() {
        let orders = "order_id,date,time\n1,2015-01-01,11:38:36\n2,2015-01-01,11:57:40\n";
        let lines = "order_details_id,order_id,pizza_id,quantity
1,1,hawaiian_m,1
2,2,classic_dlx_m,1
3,2,five_cheese_l,2
4,3,mexicana_s,1
";
        let m = SalesMapping {
            ticket: Some("order_id".into()),
            item: Some("pizza_id".into()),
            tickets_file: Some(super::super::mapping::TicketsFileMapping::default()),
            ..SalesMapping::default()
        };
        let chicago: Tz = "America/Chicago".parse().unwrap();
        let (times, errors, _) = read_ticket_times(orders.as_bytes(), &m, chicago).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let r = Reading {
            mapping: m,
            tz: chicago,
            times: Some(Arc::new(times)),
        };
        let (scan, tickets) = parse_with(lines.as_bytes(), &r).unwrap();
        assert_eq!(tickets.len(), 2);
        assert_eq!(tickets[1].lines.len(), 2);
        // 11:57:40 in Chicago (CST) is 17:57:40 UTC.
        assert_eq!(
            tickets[1].occurred_at.to_rfc3339(),
            "2015-01-01T17:57:40+00:00"
        );
        assert_eq!(scan.errors.len(), 1);
        assert_eq!(
            (scan.errors[0].line, scan.errors[0].field.as_str()),
            (5, "order_id")
        );
        assert!(scan.errors[0].message.contains("not in the tickets file"));
    }
}
