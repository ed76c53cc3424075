//! The documents a purchase order is sent as: a one-table CSV (a row per line, for a
//! supplier's order import) and an A4 PDF (for a person), both rendered from the same
//! [`OrderDocument`]. The PDF uses the standard Helvetica font with WinAnsi encoding, which every
//! PDF reader has, so no font file is embedded; its content streams are left uncompressed
//! (they are small, and tests read them).

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use larder_core::Money;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::AppError;

/// What both documents show.
#[derive(Clone, Debug)]
pub(crate) struct OrderDocument {
    /// The ordering tenant.
    pub tenant_name: String,
    /// Where it is delivered.
    pub location_name: String,
    /// Who it is ordered from.
    pub supplier_name: String,
    /// The tenant's account number with the supplier.
    pub account_number: Option<String>,
    /// `PO-000001`.
    pub number: String,
    /// When it was created (local date).
    pub ordered_on: NaiveDate,
    /// When it should arrive.
    pub expected_delivery: NaiveDate,
    /// When it was sent, in the tenant's time zone.
    pub sent_at: DateTime<Tz>,
    /// ISO 4217 code.
    pub currency: String,
    /// A note for the supplier.
    pub note: Option<String>,
    /// The lines, in order.
    pub lines: Vec<OrderDocumentLine>,
    /// The sum of the line totals.
    pub total: Money,
}

/// One line of an order document.
#[derive(Clone, Debug)]
pub(crate) struct OrderDocumentLine {
    /// 1, 2, ...
    pub line_no: i32,
    /// The supplier's code.
    pub supplier_sku: String,
    /// The supplier's description, or the item's name.
    pub description: String,
    /// Packs ordered.
    pub packs: i32,
    /// One pack, as the supplier describes it (`case of 6 × bag 1 kg`).
    pub pack: String,
    /// Price of one pack.
    pub price_per_pack: Money,
    /// `packs` x `price_per_pack`.
    pub line_total: Money,
}

/// The CSV's columns, in order.
pub(crate) const CSV_COLUMNS: [&str; 13] = [
    "po_number",
    "supplier",
    "account_number",
    "deliver_to",
    "expected_delivery",
    "line",
    "supplier_sku",
    "description",
    "packs",
    "pack",
    "price_per_pack",
    "line_total",
    "currency",
];

/// The order as CSV (UTF-8, a header row, then one row per line with the order's fields
/// repeated, the line total and currency last).
///
/// # Errors
/// 500 when the writer fails (it writes to memory).
pub(crate) fn render_csv(d: &OrderDocument) -> Result<Vec<u8>, AppError> {
    let fail = |e: csv::Error| AppError::Internal(format!("rendering the order CSV: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS).map_err(fail)?;
    let expected = d.expected_delivery.to_string();
    for l in &d.lines {
        w.write_record([
            d.number.as_str(),
            d.supplier_name.as_str(),
            d.account_number.as_deref().unwrap_or(""),
            d.location_name.as_str(),
            expected.as_str(),
            &l.line_no.to_string(),
            l.supplier_sku.as_str(),
            l.description.as_str(),
            &l.packs.to_string(),
            l.pack.as_str(),
            &l.price_per_pack.to_string(),
            &l.line_total.to_string(),
            d.currency.as_str(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("rendering the order CSV: {e}")))
}

/// `text` in WinAnsi (Windows-1252), the encoding of the standard fonts: Latin-1 as it is,
/// the typographic marks Windows-1252 adds where they are, anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths (thousandths of the font size) for what numbers and codes are
/// made of; other characters count as an average letter. Enough to right-align amounts.
fn width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' => 556,
            '.' | ',' | ' ' | ':' => 278,
            '-' => 333,
            'i' | 'j' | 'l' => 222,
            'f' | 't' | 'I' => 278,
            'm' | 'w' | 'W' | 'M' => 833,
            'A'..='Z' => 667,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// `text` cut to about `max` points at `size`, with an ellipsis when cut.
fn fit(text: &str, max: f32, size: f32) -> String {
    if width(text, size) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if width(&out, size) + width("…", size) > max {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

const A4: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 40.0;
const ROW: f32 = 14.0;
const FONT: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// A page being written: its content and the next line's height.
struct PageWriter {
    content: Content,
    y: f32,
}

impl PageWriter {
    fn new() -> Self {
        Self {
            content: Content::new(),
            y: A4.1 - MARGIN,
        }
    }

    fn text(&mut self, x: f32, y: f32, font: Name<'_>, size: f32, text: &str) {
        let bytes = win_ansi(text);
        self.content
            .begin_text()
            .set_font(font, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn right(&mut self, right_x: f32, y: f32, size: f32, text: &str) {
        self.text(right_x - width(text, size), y, FONT, size, text);
    }

    fn rule(&mut self, y: f32) {
        self.content
            .set_line_width(0.5)
            .move_to(MARGIN, y)
            .line_to(A4.0 - MARGIN, y)
            .stroke();
    }
}

// Table columns: line, SKU, description, packs (right edge), pack, price and total (right
// edges).
const COL_LINE: f32 = MARGIN;
const COL_SKU: f32 = MARGIN + 22.0;
const COL_DESC: f32 = MARGIN + 92.0;
const COL_PACKS_R: f32 = MARGIN + 262.0;
const COL_PACK: f32 = MARGIN + 270.0;
const COL_PRICE_R: f32 = A4.0 - MARGIN - 75.0;
const COL_TOTAL_R: f32 = A4.0 - MARGIN;

fn table_header(p: &mut PageWriter) {
    let y = p.y;
    p.text(COL_LINE, y, BOLD, 8.5, "#");
    p.text(COL_SKU, y, BOLD, 8.5, "SKU");
    p.text(COL_DESC, y, BOLD, 8.5, "Description");
    p.text(COL_PACKS_R - width("Packs", 8.5), y, BOLD, 8.5, "Packs");
    p.text(COL_PACK, y, BOLD, 8.5, "Pack");
    p.text(COL_PRICE_R - width("Price", 8.5), y, BOLD, 8.5, "Price");
    p.text(COL_TOTAL_R - width("Total", 8.5), y, BOLD, 8.5, "Total");
    p.rule(y - 4.0);
    p.y -= ROW + 2.0;
}

/// The order as a PDF: a heading block (tenant, delivery location, supplier and account,
/// number, dates, note), the lines as a table repeated on each page it needs, and the total
/// with its currency.
pub(crate) fn render_pdf(d: &OrderDocument) -> Vec<u8> {
    let mut pages: Vec<PageWriter> = Vec::new();
    let mut p = PageWriter::new();
    let title = format!("Purchase order {}", d.number);
    let y = p.y;
    p.text(MARGIN, y, BOLD, 16.0, &title);
    p.y -= 22.0;
    let y = p.y;
    p.text(MARGIN, y, FONT, 10.0, &d.tenant_name);
    p.y -= 24.0;
    let mut facts: Vec<(&str, String)> = vec![
        ("Supplier", d.supplier_name.clone()),
        (
            "Account number",
            d.account_number.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "Deliver to",
            format!("{}, {}", d.location_name, d.tenant_name),
        ),
        ("Order number", d.number.clone()),
        ("Ordered", d.ordered_on.format("%-d %B %Y").to_string()),
        (
            "Expected delivery",
            d.expected_delivery.format("%-d %B %Y").to_string(),
        ),
        ("Sent", d.sent_at.format("%-d %B %Y %H:%M %Z").to_string()),
        ("Currency", d.currency.clone()),
    ];
    if let Some(n) = &d.note {
        facts.push(("Note", n.replace(['\n', '\r', '\t'], " ")));
    }
    for (label, value) in facts {
        let y = p.y;
        p.text(MARGIN, y, BOLD, 9.5, label);
        p.text(
            MARGIN + 110.0,
            y,
            FONT,
            9.5,
            &fit(&value, A4.0 - 2.0 * MARGIN - 110.0, 9.5),
        );
        p.y -= ROW;
    }
    p.y -= 10.0;
    table_header(&mut p);
    for l in &d.lines {
        if p.y < MARGIN + 2.0 * ROW {
            pages.push(p);
            p = PageWriter::new();
            let y = p.y;
            p.text(MARGIN, y, BOLD, 10.0, &format!("{} (continued)", d.number));
            p.y -= 22.0;
            table_header(&mut p);
        }
        let y = p.y;
        p.text(COL_LINE, y, FONT, 8.5, &l.line_no.to_string());
        p.text(
            COL_SKU,
            y,
            FONT,
            8.5,
            &fit(&l.supplier_sku, COL_DESC - COL_SKU - 4.0, 8.5),
        );
        p.text(
            COL_DESC,
            y,
            FONT,
            8.5,
            &fit(&l.description, COL_PACKS_R - 30.0 - COL_DESC, 8.5),
        );
        p.right(COL_PACKS_R, y, 8.5, &l.packs.to_string());
        p.text(
            COL_PACK,
            y,
            FONT,
            8.5,
            &fit(&l.pack, COL_PRICE_R - 55.0 - COL_PACK, 8.5),
        );
        p.right(COL_PRICE_R, y, 8.5, &l.price_per_pack.to_string());
        p.right(COL_TOTAL_R, y, 8.5, &l.line_total.to_string());
        p.y -= ROW;
    }
    let y = p.y + ROW - 4.0;
    p.rule(y);
    p.y -= 4.0;
    let y = p.y;
    let total = format!("{} {}", d.total, d.currency);
    p.text(COL_PRICE_R - width("Total", 10.0), y, BOLD, 10.0, "Total");
    p.text(COL_TOTAL_R - width(&total, 10.0), y, BOLD, 10.0, &total);
    pages.push(p);

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first + 2 * i32::try_from(i).unwrap_or(0)))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(pages.len()).unwrap_or(1));
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr("Larder"));
    for (page, id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        let mut pg = pdf.page(*id);
        pg.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
        pg.parent(tree);
        pg.contents(content_id);
        pg.resources().fonts().pair(FONT, font).pair(BOLD, bold);
        pg.finish();
        let data = page.content.finish();
        pdf.stream(content_id, &data);
    }
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn order(lines: usize) -> OrderDocument {
        let m = |s: &str| Money::parse(s).unwrap();
        OrderDocument {
            tenant_name: "Brixton Curry House".into(),
            location_name: "Brixton (kitchen)".into(),
            supplier_name: "Brakes".into(),
            account_number: Some("BR-1042".into()),
            number: "PO-000007".into(),
            ordered_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            expected_delivery: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
            sent_at: chrono_tz::Europe::London
                .with_ymd_and_hms(2026, 12, 7, 10, 30, 0)
                .unwrap(),
            currency: "GBP".into(),
            note: Some("Back door, before 10:00".into()),
            lines: (1..=lines)
                .map(|i| OrderDocumentLine {
                    line_no: i32::try_from(i).unwrap(),
                    supplier_sku: format!("R-{i}"),
                    description: "Basmati rice, 6 × 1 kg — café grade".into(),
                    packs: 3,
                    pack: "case of 6 × bag 1 kg".into(),
                    price_per_pack: m("9.60"),
                    line_total: m("28.80"),
                })
                .collect(),
            total: m("28.80"),
        }
    }

    #[test]
    fn the_pdf_is_a_pdf_with_the_number_and_lines_in_its_text() {
        let pdf = render_pdf(&order(1));
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        for s in [
            "(PO-000007)",
            "(BR-1042)",
            "(R-1)",
            "(28.80)",
            "(28.80 GBP)",
            "WinAnsiEncoding",
        ] {
            assert!(text.contains(s), "{s} missing");
        }
        // Non-ASCII text is written in WinAnsi (× is 0xD7, — is 0x97), as a hex string.
        let hex: String = win_ansi("case of 6 × bag 1 kg")
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert!(
            hex.contains("D7") && text.contains(&format!("<{hex}>")),
            "× not in WinAnsi"
        );
        assert!(text.trim_end().ends_with("%%EOF"));
    }

    #[test]
    fn a_long_order_continues_on_more_pages() {
        let pdf = String::from_utf8_lossy(&render_pdf(&order(120))).into_owned();
        assert!(pdf.contains("/Count 3"), "120 lines take three pages");
        assert!(
            pdf.contains("(PO-000007 \\(continued\\))") || pdf.contains("(PO-000007 (continued))")
        );
    }

    #[test]
    fn the_csv_has_a_row_per_line_with_exact_amounts() {
        let csv_bytes = render_csv(&order(2)).unwrap();
        let mut r = csv::Reader::from_reader(csv_bytes.as_slice());
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "po_number",
                "supplier",
                "account_number",
                "deliver_to",
                "expected_delivery",
                "line",
                "supplier_sku",
                "description",
                "packs",
                "pack",
                "price_per_pack",
                "line_total",
                "currency"
            ]
        );
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1].iter().collect::<Vec<_>>(),
            [
                "PO-000007",
                "Brakes",
                "BR-1042",
                "Brixton (kitchen)",
                "2026-12-09",
                "2",
                "R-2",
                "Basmati rice, 6 × 1 kg — café grade",
                "3",
                "case of 6 × bag 1 kg",
                "9.60",
                "28.80",
                "GBP"
            ]
        );
    }

    #[test]
    fn text_is_fitted_and_encoded() {
        assert_eq!(
            win_ansi("€5 – ok 漢"),
            vec![0x80, b'5', b' ', 0x96, b' ', b'o', b'k', b' ', b'?']
        );
        let long = "x".repeat(200);
        let cut = fit(&long, 50.0, 10.0);
        assert!(cut.ends_with('…') && width(&cut, 10.0) <= 50.0 + width("…", 10.0));
        assert_eq!(fit("short", 100.0, 10.0), "short");
    }
}
