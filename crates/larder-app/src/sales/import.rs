//! sales import: a POS export (CSV) read in two passes, so memory does not grow with the
//! file's lines. The first pass validates every row and remembers only each ticket's time, row
//! count and a fingerprint of its rows (a few dozen bytes a ticket); a bad row is reported by
//! line and column, and in the default mode means nothing is written. The second pass holds a
//! ticket only until its last row is read, so a file whose tickets' rows are far apart (sorted
//! by item, say) holds more of them at once. The second pass streams complete tickets, which are depleted and written in
//! chunks of [`CHUNK_TICKETS`], one transaction each. A chunk skips tickets already stored
//! under the same source and number, so an import that was interrupted (killed, crashed)
//! resumes when run again, and a file imported twice writes nothing the second time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use larder_core::{LocationId, Money, Quantity, SaleId, TenantId};
use larder_store::prelude::*;
use larder_store::{Mode, SaleLineRow, SaleRow, run_tenant};
use serde::{Deserialize, Serialize};

use super::depletion::{Depleter, PreparedSale, write_sales};
use crate::menu::Book;
use crate::{App, AppError};

/// Tickets written per transaction: small enough that a chunk's sales and movements are a few
/// megabytes, large enough that the commit (an fsync on SQLite, a round trip on PostgreSQL)
/// is paid rarely.
pub const CHUNK_TICKETS: usize = 500;

/// How an import treats bad rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    /// Column name as in the header (or `row`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Data rows read.
    pub rows_read: u64,
    /// Distinct tickets in the file.
    pub tickets_in_file: usize,
    /// Tickets written now.
    pub tickets_imported: usize,
    /// Tickets already imported earlier (same source and number), skipped.
    pub tickets_already_imported: usize,
    /// Tickets left out because a row of theirs is bad.
    pub tickets_rejected: usize,
    /// Lines written.
    pub lines_imported: usize,
    /// Of those, lines whose menu item has a recipe (depleted).
    pub lines_depleted: usize,
    /// Lines written without a recipe: name and count, most frequent first.
    pub unmapped: Vec<(String, usize)>,
    /// Stock movements written.
    pub movements: usize,
    /// Every bad row.
    pub errors: Vec<RowError>,
    /// True when nothing was written because of bad rows (all-or-nothing).
    pub aborted: bool,
}

impl ImportReport {
    /// Lines written without a recipe.
    pub fn lines_unmapped(&self) -> usize {
        self.unmapped.iter().map(|(_, n)| n).sum()
    }
}

/// A ticket read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedTicket {
    /// Ticket number.
    pub external_ref: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Lines (name, quantity, unit price), in file order.
    pub lines: Vec<(String, Quantity, Money)>,
}

#[derive(Clone, Copy)]
enum Col {
    Ref,
    Date,
    Item,
    Quantity,
    Price,
}

fn column_of(header: &str) -> Option<Col> {
    let h: String = header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    match h.as_str() {
        "ordernumber" | "orderid" | "ticket" | "ticketnumber" | "externalref" | "receipt" => {
            Some(Col::Ref)
        }
        "orderdate" | "date" | "datetime" | "occurredat" | "time" => Some(Col::Date),
        "itemname" | "item" | "name" | "menuitem" | "product" => Some(Col::Item),
        "quantity" | "qty" => Some(Col::Quantity),
        "productprice" | "unitprice" | "price" => Some(Col::Price),
        _ => None,
    }
}

/// Parses a POS timestamp: RFC 3339, or local `DD/MM/YYYY HH:MM[:SS]` / `YYYY-MM-DD HH:MM[:SS]`
/// in `tz`. A local time that does not exist (the spring-forward hour) is read one hour later;
/// an ambiguous one (the fall-back hour) as the earlier instant.
///
/// # Errors
/// A message saying which formats are accepted.
pub fn parse_pos_time(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let formats = [
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ];
    let naive = formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| {
            format!("'{s}' is not a date and time (DD/MM/YYYY HH:MM, YYYY-MM-DD HH:MM or RFC 3339)")
        })?;
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("'{s}' does not exist in {tz}"))
}

/// The columns of a file: where each required one is, and its name as the header spells it.
struct Columns([(usize, String); 5]);

impl Columns {
    fn of(headers: &csv::StringRecord) -> Result<Self, AppError> {
        let mut cols: [Option<(usize, String)>; 5] = Default::default();
        for (i, h) in headers.iter().enumerate() {
            if let Some(c) = column_of(h) {
                cols[c as usize].get_or_insert((i, h.trim_start_matches('\u{feff}').to_owned()));
            }
        }
        let names = ["ticket number", "date", "item name", "quantity", "price"];
        let missing: Vec<&str> = names
            .iter()
            .zip(&cols)
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(AppError::invalid(
                "header",
                format!("missing column(s): {}", missing.join(", ")),
            ));
        }
        Ok(Self(cols.map(Option::unwrap_or_default)))
    }

    fn name(&self, c: Col) -> String {
        self.0[c as usize].1.clone()
    }

    fn get<'r>(&self, record: &'r csv::StringRecord, c: Col) -> &'r str {
        record.get(self.0[c as usize].0).unwrap_or("")
    }

    /// The ticket number of a row that is not valid UTF-8, as far as it reads.
    fn ticket_of_bytes(&self, record: &csv::ByteRecord) -> String {
        record
            .get(self.0[Col::Ref as usize].0)
            .map(|b| String::from_utf8_lossy(b).trim().to_owned())
            .unwrap_or_default()
    }
}

/// One good row.
struct Line {
    ticket: String,
    at: DateTime<Utc>,
    name: String,
    quantity: Quantity,
    price: Money,
}

/// Reads one row, or says everything wrong with it.
fn read_line(
    record: &csv::StringRecord,
    cols: &Columns,
    line: u64,
    tz: Tz,
) -> Result<Line, (String, Vec<RowError>)> {
    let mut errors = Vec::new();
    let mut err = |c: Col, m: String| {
        errors.push(RowError {
            line,
            field: cols.name(c),
            message: m,
        })
    };
    // The same text policy as the API's: a ticket is a `Code`, an item name a `Name`.
    let ticket = match larder_core::Code::parse(cols.get(record, Col::Ref)) {
        Ok(t) => t.into_string(),
        Err(e) => {
            err(Col::Ref, e.to_string());
            String::new()
        }
    };
    let at = parse_pos_time(cols.get(record, Col::Date), tz)
        .map_err(|m| err(Col::Date, m))
        .ok();
    let name = match larder_core::Name::parse(cols.get(record, Col::Item)) {
        Ok(n) => n.into_string(),
        Err(e) => {
            err(Col::Item, e.to_string());
            String::new()
        }
    };
    let raw_qty = cols.get(record, Col::Quantity);
    let quantity = match Quantity::parse(raw_qty) {
        Ok(q) if q.raw() > 0 => Some(q),
        Ok(_) => {
            err(Col::Quantity, "must be positive".into());
            None
        }
        Err(e) => {
            err(Col::Quantity, format!("'{raw_qty}' {e}"));
            None
        }
    };
    let raw_price = cols.get(record, Col::Price);
    let price = match Money::parse(raw_price) {
        Ok(p) if !p.is_negative() => Some(p),
        Ok(_) => {
            err(Col::Price, "must not be negative".into());
            None
        }
        Err(e) => {
            err(Col::Price, format!("'{raw_price}' {e}"));
            None
        }
    };
    match (at, quantity, price) {
        (Some(at), Some(quantity), Some(price)) if errors.is_empty() => Ok(Line {
            ticket,
            at,
            name,
            quantity,
            price,
        }),
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

/// Visits every data row: `Ok` with its file line, or why it could not be read.
fn rows<R: Read>(
    input: R,
    mut visit: impl FnMut(&Columns, u64, Result<&csv::StringRecord, Unreadable>) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let mut reader = reader(input);
    let headers = reader
        .headers()
        .map_err(|e| AppError::invalid("header", e.to_string()))?
        .clone();
    let cols = Columns::of(&headers)?;
    let mut bytes = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut bytes) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = bytes.position().map_or(line, |p| p.line());
                match csv::StringRecord::from_byte_record(std::mem::take(&mut bytes)) {
                    Ok(record) => {
                        visit(&cols, line, Ok(&record))?;
                        bytes = record.into_byte_record();
                    }
                    Err(e) => {
                        let message = e.utf8_error().to_string();
                        bytes = e.into_byte_record();
                        let ticket = cols.ticket_of_bytes(&bytes);
                        visit(&cols, line, Err(Unreadable { message, ticket }))?;
                    }
                }
            }
            Err(e) => visit(
                &cols,
                line.max(2),
                Err(Unreadable {
                    message: e.to_string(),
                    ticket: String::new(),
                }),
            )?,
        }
    }
}

/// A fingerprint of a ticket's rows, in file order: the second pass must read the same rows.
fn fold_row(digest: u64, l: &Line) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&l.name, l.quantity.raw(), l.price.raw(), l.at).hash(&mut h);
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
    /// Every bad row, by line.
    pub errors: Vec<RowError>,
    tickets: HashMap<String, TicketInfo>,
    bad: HashSet<String>,
}

impl Scan {
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

/// The first pass: validates every row of a POS sales CSV (a header naming at least ticket,
/// date, item, quantity and price columns, such as the takeaway export's
/// `OrderNumber,OrderDate,ItemName,Quantity,ProductPrice`; other columns are ignored). Rows
/// are grouped into tickets by number; a ticket's rows must agree on its time.
///
/// # Errors
/// 422 on `header` when a required column is missing or the file is not CSV at all.
pub fn scan(input: impl Read, tz: Tz) -> Result<Scan, AppError> {
    let mut scan = Scan::default();
    rows(input, |cols, line, row| {
        scan.rows_read += 1;
        let record = match row {
            Ok(r) => r,
            Err(Unreadable { message, ticket }) => {
                scan.errors.push(RowError {
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
        match read_line(record, cols, line, tz) {
            Ok(l) => {
                if let Some(t) = scan.tickets.get_mut(&l.ticket) {
                    if t.occurred_at != l.at {
                        scan.errors.push(RowError {
                            line,
                            field: cols.name(Col::Date),
                            message: format!(
                                "ticket {} has another date on line {}",
                                l.ticket, t.first_line
                            ),
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
                scan.errors.extend(errors);
                scan.bad.insert(ticket);
            }
        }
        Ok(())
    })?;
    scan.errors.sort_by_key(|e| e.line);
    Ok(scan)
}

/// The second pass: hands `emit` every good ticket (no bad row) complete, in the order its
/// last row appears in the file. Only tickets whose rows are still to come are held.
///
/// # Errors
/// 422 on `file` when the file no longer reads as the first pass read it (a ticket's rows,
/// time, or fingerprint differ): chunks written before that stay written; `emit`'s errors.
pub fn stream(
    input: impl Read,
    tz: Tz,
    scan: &Scan,
    mut emit: impl FnMut(ParsedTicket) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let changed = || AppError::invalid("file", "changed while it was being imported");
    let mut pending: HashMap<String, (ParsedTicket, u64)> = HashMap::new();
    rows(input, |cols, line, row| {
        let Ok(record) = row else { return Ok(()) };
        let Ok(l) = read_line(record, cols, line, tz) else {
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
            && let Some((done, digest)) = pending.remove(&l.ticket)
        {
            if digest != info.digest {
                return Err(changed());
            }
            emit(done)?;
        }
        Ok(())
    })?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(changed())
    }
}

/// Turns a parsed ticket into a sale row for `location` from `source`.
pub fn ticket_sale(
    t: &ParsedTicket,
    location: LocationId,
    source: &str,
    now: DateTime<Utc>,
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
                unit_price: *p,
            })
            .collect(),
    }
}

/// What one chunk wrote.
#[derive(Default)]
struct Written {
    tickets: usize,
    skipped: usize,
    lines: usize,
    lines_depleted: usize,
    movements: usize,
    unmapped: Vec<String>,
}

/// Writes the tickets of `prepared` not yet stored under `source`, in the caller's
/// transaction.
async fn write_new(
    tx: &mut dyn TenantTx,
    source: &str,
    prepared: Vec<PreparedSale>,
) -> Result<Written, AppError> {
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
    write_sales(tx, &new).await?;
    Ok(Written {
        tickets: new.len(),
        skipped: old.len(),
        lines: new.iter().map(|p| p.sale.lines.len()).sum(),
        lines_depleted: new.iter().map(|p| p.lines_depleted).sum(),
        movements: new.iter().map(|p| p.movements.len()).sum(),
        unmapped: new.into_iter().flat_map(|p| p.unmapped).collect(),
    })
}

/// Sorts unmapped names most frequent first.
fn unmapped_list(unmapped: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = unmapped.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn task_failed(e: tokio::task::JoinError) -> AppError {
    AppError::Internal(format!("the import's reader failed: {e}"))
}

fn unreadable(e: std::io::Error) -> AppError {
    AppError::invalid("file", format!("cannot be read: {e}"))
}

impl App {
    /// Imports a POS sales CSV into `location` of `tenant` (an operator command: no
    /// principal), depleting stock. `open` opens the file; it is read twice (see the module
    /// documentation), on a blocking thread, while chunks are written.
    ///
    /// # Errors
    /// 422 on `header` or `file`; 404 on the location or tenant; storage errors (the chunks
    /// written before one stay written: run the import again to finish it).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %tenant, source = %source))]
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
        R: Read,
    {
        let tz = self.tenant_tz(tenant).await?;
        run_tenant(self.db(), tenant, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.get_location(location)
                    .await?
                    .ok_or(AppError::NotFound("location"))
            })
        })
        .await?;
        let open = Arc::new(open);
        let first = open.clone();
        let scan = Arc::new(
            tokio::task::spawn_blocking(move || scan(first().map_err(unreadable)?, tz))
                .await
                .map_err(task_failed)??,
        );
        let mut report = ImportReport {
            rows_read: scan.rows_read,
            tickets_in_file: scan.tickets_in_file(),
            tickets_rejected: scan.tickets_rejected(),
            errors: scan.errors.clone(),
            ..Default::default()
        };
        if mode == ImportMode::AllOrNothing && !report.errors.is_empty() {
            report.aborted = true;
            return Ok(report);
        }
        let book = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move { Book::load(tx).await })
        })
        .await?;
        // Fail before reading on: a recipe that cannot be exploded.
        Depleter::new(&book)?;

        // The second pass reads and depletes on a blocking thread and hands over chunks of
        // prepared sales while the previous chunk is written; two in flight at most, so memory
        // is bounded by the chunk size, not the file.
        let (chunks, mut incoming) = tokio::sync::mpsc::channel::<Vec<PreparedSale>>(2);
        let s = scan.clone();
        let src = source.to_owned();
        let reading = tokio::task::spawn_blocking(move || -> Result<(), AppError> {
            let depleter = Depleter::new(&book)?;
            let mut chunk = Vec::with_capacity(CHUNK_TICKETS);
            let send = |chunk: Vec<ParsedTicket>| -> Result<(), AppError> {
                let now = Utc::now();
                let prepared = chunk
                    .iter()
                    .map(|t| depleter.prepare(ticket_sale(t, location, &src, now), None))
                    .collect::<Result<Vec<_>, _>>()?;
                // A closed channel means the writer stopped on an error it reports.
                chunks
                    .blocking_send(prepared)
                    .map_err(|_| AppError::Internal("the import stopped".into()))
            };
            stream(open().map_err(unreadable)?, tz, &s, |t| {
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
        let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
        while let Some(prepared) = incoming.recv().await {
            let src = source.to_owned();
            let written = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
                Box::pin(async move { write_new(tx, &src, prepared).await })
            })
            .await?;
            tracing::debug!(
                tickets = written.tickets,
                skipped = written.skipped,
                "import chunk written"
            );
            report.tickets_imported += written.tickets;
            report.tickets_already_imported += written.skipped;
            report.lines_imported += written.lines;
            report.lines_depleted += written.lines_depleted;
            report.movements += written.movements;
            for n in written.unmapped {
                *unmapped.entry(n).or_default() += 1;
            }
        }
        reading.await.map_err(task_failed)??;
        report.unmapped = unmapped_list(unmapped);
        Ok(report)
    }
}

/// Reads a whole file into tickets (both passes, in memory): for tests and small files.
///
/// # Errors
/// As [`scan`] and [`stream`].
pub fn parse_all(input: &[u8], tz: Tz) -> Result<(Scan, Vec<ParsedTicket>), AppError> {
    let s = scan(input, tz)?;
    let mut tickets = Vec::new();
    stream(input, tz, &s, |t| {
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
        let s = scan(CSV.as_bytes(), london()).unwrap();
        let other =
            "OrderNumber,OrderDate,ItemName,Quantity,ProductPrice\n99,03/08/2019 20:25,X,1,1\n";
        let err = stream(other.as_bytes(), london(), &s, |_| Ok(())).err();
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
        let s = scan(first.as_bytes(), Tz::UTC).unwrap();
        for edited in [
            "ticket,date,item,qty,price\n1,2019-08-03 12:00,A,2,1\n",
            "ticket,date,item,qty,price\n1,2019-08-03 12:01,A,1,1\n",
        ] {
            let err = stream(edited.as_bytes(), Tz::UTC, &s, |_| Ok(())).err();
            assert!(matches!(err, Some(AppError::Validation { field, .. }) if field == "file"));
        }
        assert!(stream(first.as_bytes(), Tz::UTC, &s, |_| Ok(())).is_ok());
    }

    #[test]
    fn a_missing_column_is_named() {
        let err = scan("OrderNumber,ItemName,Quantity\n1,a,1\n".as_bytes(), Tz::UTC).err();
        assert!(
            matches!(err, Some(AppError::Validation { ref field, ref message }) if field == "header" && message.contains("date") && message.contains("price"))
        );
    }

    #[test]
    fn local_times_across_daylight_saving() {
        // 01:30 on 2019-03-31 does not exist in London: read as 02:30 BST = 01:30 UTC.
        assert_eq!(
            parse_pos_time("31/03/2019 01:30", london()).map(|t| t.to_rfc3339()),
            Ok("2019-03-31T01:30:00+00:00".into())
        );
        // 01:30 on 2019-10-27 happens twice: the earlier (BST) instant.
        assert_eq!(
            parse_pos_time("27/10/2019 01:30", london()).map(|t| t.to_rfc3339()),
            Ok("2019-10-27T00:30:00+00:00".into())
        );
    }
}
