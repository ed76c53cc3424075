//! `larder import sales` for a person at a terminal: the files read through a progress bar
//! (bytes of both passes; hidden when stderr is not a terminal) and a readable summary:
//! tickets, lines, the date range, the names sold that deplete nothing as a table, bad rows,
//! the time taken.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use larder_app::sales::{ImportReport, Opener};

/// A reader that advances `bar` by the bytes it reads.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// A progress bar over `total` bytes on stderr (drawn only on a terminal).
pub(crate) fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// Opens `path` for each pass, counting what is read on `bar`.
pub(crate) fn opener(path: &Path, bar: ProgressBar) -> Opener {
    let path: PathBuf = path.to_owned();
    Arc::new(move || {
        let f = std::fs::File::open(&path)?;
        Ok(Box::new(Counting {
            inner: std::io::BufReader::new(f),
            bar: bar.clone(),
        }) as Box<dyn Read + Send>)
    })
}

/// Reads embedded bytes (the demo's files) for each pass, counting them on `bar`.
pub(crate) fn embedded(data: &'static [u8], bar: ProgressBar) -> Opener {
    Arc::new(move || {
        Ok(Box::new(Counting {
            inner: data,
            bar: bar.clone(),
        }) as Box<dyn Read + Send>)
    })
}

/// The most names and bad rows the summary lists (the JSON report has them all).
const LISTED: usize = 25;

/// The report as a person reads it: times in the tenant's zone, counts without trailing
/// zeros.
pub(crate) fn summary(r: &ImportReport) -> String {
    let mut out = String::new();
    let tz: chrono_tz::Tz = r.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let local = |t: &chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let ignored = if r.rows_ignored > 0 {
        format!(" ({} ignored by name)", r.rows_ignored)
    } else {
        String::new()
    };
    if r.aborted {
        let _ = writeln!(
            out,
            "{} rows read{ignored}; {} tickets in the file, {} with a bad row: nothing imported",
            r.rows_read, r.tickets_in_file, r.tickets_rejected
        );
    } else {
        let verb = if r.dry_run {
            "would import"
        } else {
            "imported"
        };
        let _ = writeln!(
            out,
            "{} rows read{ignored}; {} tickets in the file: {verb} {}, already imported {}, rejected {}",
            r.rows_read,
            r.tickets_in_file,
            r.tickets_imported,
            r.tickets_already_imported,
            r.tickets_rejected
        );
        let _ = writeln!(
            out,
            "{} lines, {} depleting stock ({} movements), {} without a recipe",
            r.lines_imported,
            r.lines_depleted,
            r.movements,
            r.lines_unmapped()
        );
    }
    if let (Some(a), Some(b)) = (r.first_sale, r.last_sale) {
        let _ = writeln!(
            out,
            "sales from {} to {} ({})",
            local(&a),
            local(&b),
            r.time_zone
        );
    }
    if r.lines_without_price > 0 {
        let _ = writeln!(
            out,
            "{} lines had no price in the file nor on the menu: recorded at 0",
            r.lines_without_price
        );
    }
    if !r.sample.is_empty() {
        let rows: Vec<[String; 6]> = r
            .sample
            .iter()
            .map(|l| {
                [
                    l.ticket.clone(),
                    local(&l.occurred_at),
                    l.name.clone(),
                    plain(&l.quantity.to_string()),
                    l.unit_price.to_string(),
                    l.menu_item.clone().unwrap_or_else(|| "(unmapped)".into()),
                ]
            })
            .collect();
        out.push_str("\nfirst lines as read:\n");
        out.push_str(&table(
            &["ticket", "time", "name", "qty", "price", "menu item"],
            &rows,
        ));
    }
    if !r.unmapped.is_empty() {
        let rows: Vec<[String; 4]> = r
            .unmapped
            .iter()
            .take(LISTED)
            .map(|u| {
                [
                    u.name.clone(),
                    u.lines.to_string(),
                    plain(&u.quantity.to_string()),
                    u.revenue.to_string(),
                ]
            })
            .collect();
        let _ = writeln!(
            out,
            "\n{} names sold deplete nothing (no menu item, or one without a recipe){}:",
            r.unmapped.len(),
            if r.unmapped.len() > LISTED {
                format!("; the {LISTED} most sold")
            } else {
                String::new()
            }
        );
        out.push_str(&table(&["name", "lines", "quantity", "revenue"], &rows));
    }
    if !r.errors.is_empty() {
        let rows: Vec<[String; 3]> = r
            .errors
            .iter()
            .take(LISTED)
            .map(|e| [e.line.to_string(), e.field.clone(), e.message.clone()])
            .collect();
        let _ = writeln!(out, "\n{} bad rows:", r.errors.len());
        out.push_str(&table(&["line", "column", "problem"], &rows));
    }
    let _ = writeln!(out, "\ntook {:.1} s", r.seconds);
    out
}

/// A decimal without trailing zeros (`2.000` is `2`, `1.500` is `1.5`).
fn plain(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

/// A plain-text table: columns padded to their widest cell.
fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = head.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from("  ");
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}  ");
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(head.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_to_their_widest_cell() {
        let t = table(
            &["name", "lines"],
            &[
                ["Plain Naan".into(), "3".into()],
                ["Dal".into(), "12".into()],
            ],
        );
        assert_eq!(
            t,
            "  name        lines\n  ----------  -----\n  Plain Naan  3\n  Dal         12\n"
        );
    }
}
