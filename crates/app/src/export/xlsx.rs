//! XLSX via rust_xlsxwriter: bold frozen header, typed numbers and dates,
//! formula-safe text.

use rust_xlsxwriter::{ColNum, ExcelDateTime, Format, RowNum, Workbook, Worksheet, XlsxError};

use super::{Cell, ExportError, Table, looks_like_formula};

/// Excel shows only 15 significant digits; larger integers go out as text so
/// that IDs and amounts are not silently rounded.
const MAX_EXACT_INT: u64 = 999_999_999_999_999;
/// Excel's cell text limit, counted in UTF-16 units.
const MAX_TEXT_UTF16: usize = 32_767;
const WIDTH_SAMPLE_ROWS: usize = 200;
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

struct Styles {
    header: Format,
    header_safe: Format,
    safe: Format,
    int: Format,
    date: Format,
}

/// Writes the table; the caller has already checked its shape.
pub(super) fn write(t: &Table) -> Result<Vec<u8>, ExportError> {
    write_book(std::slice::from_ref(t))
}

/// Writes one worksheet per table, in order (titles distinct after cleaning); the caller has
/// already checked their shapes.
pub(super) fn write_book(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    let header = Format::new().set_bold();
    // quotePrefix is the stored form of a typed leading `'`: the text is kept
    // as-is yet stays text even if a user edits the cell and presses Enter.
    let styles = Styles {
        header_safe: header.clone().set_quote_prefix(),
        header,
        safe: Format::new().set_quote_prefix(),
        // "0" rather than General, which turns 12+ digit integers into 1.2E+11.
        int: Format::new().set_num_format("0"),
        date: Format::new().set_num_format("yyyy-mm-dd"),
    };

    let mut wb = Workbook::new();
    for t in tables {
        let ws = wb.add_worksheet();
        sheet(ws, t, &styles)?;
    }
    Ok(wb.save_to_buffer()?)
}

fn sheet(ws: &mut Worksheet, t: &Table, styles: &Styles) -> Result<(), XlsxError> {
    ws.set_name(sheet_name(&t.title))?;

    for (c, h) in t.headers.iter().enumerate() {
        let col = col_num(c)?;
        write_text(ws, 0, col, h, &styles.header, &styles.header_safe)?;
    }
    if !t.headers.is_empty() {
        ws.set_freeze_panes(1, 0)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = RowNum::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, r, col_num(c)?, cell, styles)?;
        }
    }
    for (c, w) in column_widths(t).into_iter().enumerate() {
        ws.set_column_width(col_num(c)?, w as f64)?;
    }
    Ok(())
}

fn col_num(c: usize) -> Result<ColNum, XlsxError> {
    ColNum::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}

fn write_cell(
    ws: &mut Worksheet,
    r: RowNum,
    c: ColNum,
    cell: &Cell,
    s: &Styles,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(text) => write_text(ws, r, c, text, &Format::default(), &s.safe)?,
        Cell::Int(v) if v.unsigned_abs() <= MAX_EXACT_INT => {
            ws.write_number_with_format(r, c, *v as f64, &s.int)?;
        }
        // A number is never a formula, so no quote prefix here.
        Cell::Int(v) => {
            ws.write_string(r, c, v.to_string())?;
        }
        Cell::Float(v) if v.is_finite() => {
            ws.write_number(r, c, *v)?;
        }
        Cell::Float(_) | Cell::Empty => {}
        Cell::Date(d) => match excel_date(*d) {
            Some(x) => {
                ws.write_date_with_format(r, c, x, &s.date)?;
            }
            // Outside Excel's calendar (1900–9999): keep it readable as text.
            None => {
                ws.write_string(r, c, d.format("%Y-%m-%d").to_string())?;
            }
        },
    }
    Ok(())
}

fn excel_date(d: chrono::NaiveDate) -> Option<ExcelDateTime> {
    use chrono::Datelike;
    let year = u16::try_from(d.year())
        .ok()
        .filter(|y| (1900..=9999).contains(y))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

/// Always a string cell (never `<f>`); risky-looking text also gets the
/// quote-prefix style.
fn write_text(
    ws: &mut Worksheet,
    r: RowNum,
    c: ColNum,
    text: &str,
    plain: &Format,
    safe: &Format,
) -> Result<(), XlsxError> {
    let format = if looks_like_formula(text) {
        safe
    } else {
        plain
    };
    ws.write_string_with_format(r, c, fit_text(text), format)?;
    Ok(())
}

/// Truncates to Excel's limit (marked with `…`) instead of failing the whole
/// export over one long description.
fn fit_text(s: &str) -> String {
    if s.len() <= MAX_TEXT_UTF16 || s.encode_utf16().count() <= MAX_TEXT_UTF16 {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut units = 0;
    for ch in s.chars() {
        units += ch.len_utf16();
        if units > MAX_TEXT_UTF16 - 1 {
            break;
        }
        out.push(ch);
    }
    out.push('…');
    out
}

/// Width in characters from the header and a sample of rows, so a million-row
/// export does not pay for a full scan.
fn column_widths(t: &Table) -> Vec<usize> {
    let mut widths: Vec<usize> = t.headers.iter().map(|h| text_width(h)).collect();
    for row in t.rows.iter().take(WIDTH_SAMPLE_ROWS) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell_width(cell));
        }
    }
    widths
        .into_iter()
        .map(|w| (w + 2).clamp(MIN_WIDTH, MAX_WIDTH))
        .collect()
}

fn cell_width(c: &Cell) -> usize {
    match c {
        Cell::Text(s) => text_width(s),
        Cell::Int(v) => v.to_string().len(),
        // General format shows at most ~11 characters.
        Cell::Float(v) => v.to_string().len().min(11),
        Cell::Date(_) => 10,
        Cell::Empty => 0,
    }
}

fn text_width(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// Excel's rules: 1–31 UTF-16 units, none of `[]:*?/\`, no leading or
/// trailing apostrophe, not the reserved "History".
pub(crate) fn sheet_name(title: &str) -> String {
    let is_edge = |c: char| c == '\'' || c.is_whitespace();
    let cleaned: Vec<char> = title
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned: String = cleaned.into_iter().collect();
    let chars: Vec<char> = cleaned.trim_matches(is_edge).chars().collect();

    let mut cut = 0;
    let mut units = 0;
    while cut < chars.len() && units + chars[cut].len_utf16() <= 31 {
        units += chars[cut].len_utf16();
        cut += 1;
    }
    // Decomposed (NFD) Vietnamese: don't keep a base letter without its marks.
    if cut < chars.len() && is_combining(chars[cut]) {
        while cut > 0 && is_combining(chars[cut]) {
            cut -= 1;
        }
    }
    let name: String = chars[..cut].iter().collect();
    let name = name.trim_end_matches(is_edge);

    if name.is_empty() {
        "Sheet1".to_owned()
    } else if name.eq_ignore_ascii_case("History") {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

#[cfg(test)]
mod tests {
    use super::super::{Format as Fmt, render};
    use super::*;
    use chrono::NaiveDate;
    use std::collections::HashMap;
    use std::io::Read;

    fn unzip(bytes: &[u8]) -> HashMap<String, String> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut files = HashMap::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            files.insert(f.name().unwrap().into_owned(), s);
        }
        files
    }

    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(&tag[start..start + tag[start..].find('"')?])
    }

    /// The `<c r="…">` element for a cell reference, whole.
    fn cell_xml<'a>(sheet: &'a str, r: &str) -> &'a str {
        let start = sheet
            .find(&format!("<c r=\"{r}\""))
            .unwrap_or_else(|| panic!("no cell {r}"));
        let rest = &sheet[start..];
        let open_end = rest.find('>').unwrap();
        if rest[..open_end].ends_with('/') {
            &rest[..=open_end]
        } else {
            &rest[..rest.find("</c>").unwrap() + 4]
        }
    }

    fn value(cell: &str) -> &str {
        let s = cell.find("<v>").unwrap() + 3;
        &cell[s..s + cell[s..].find("</v>").unwrap()]
    }

    fn unescape(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }

    fn shared_strings(files: &HashMap<String, String>) -> Vec<String> {
        files["xl/sharedStrings.xml"]
            .split("<si>")
            .skip(1)
            .map(|si| {
                let t = &si[si.find("<t").unwrap()..];
                let t = &t[t.find('>').unwrap() + 1..t.find("</t>").unwrap()];
                unescape(t)
            })
            .collect()
    }

    fn string_at(files: &HashMap<String, String>, r: &str) -> String {
        let c = cell_xml(&files["xl/worksheets/sheet1.xml"], r);
        assert_eq!(
            attr(c, "t"),
            Some("s"),
            "{r} should be a shared string: {c}"
        );
        shared_strings(files)[value(c).parse::<usize>().unwrap()].clone()
    }

    /// The `<xf>` of cellXfs used by a cell.
    fn xf_of(files: &HashMap<String, String>, r: &str) -> String {
        let c = cell_xml(&files["xl/worksheets/sheet1.xml"], r);
        let idx: usize = attr(c, "s").unwrap_or("0").parse().unwrap();
        let styles = &files["xl/styles.xml"];
        let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
        let xf = xfs.split("<xf ").nth(idx + 1).unwrap();
        format!("<xf {}", &xf[..xf.find('>').unwrap() + 1])
    }

    fn sample() -> Table {
        Table {
            title: "Tiến độ: Quý 1/2025 [Nghị quyết 57-NQ/TW] và các chương trình".into(),
            headers: vec![
                "Tên nhiệm vụ".into(),
                "Số lượng".into(),
                "Hạn hoàn thành".into(),
                "Tỷ lệ".into(),
                "Ghi chú".into(),
            ],
            rows: vec![
                vec![
                    "=1+1".into(),
                    Cell::Int(-1),
                    NaiveDate::from_ymd_opt(2025, 12, 31).unwrap().into(),
                    Cell::Float(0.75),
                    "Đã hoàn thành".into(),
                ],
                vec![
                    "@SUM(A1)".into(),
                    Cell::Int(1_234_567_890_123_456_789),
                    NaiveDate::from_ymd_opt(1800, 1, 1).unwrap().into(),
                    Cell::Float(f64::NAN),
                    Cell::Empty,
                ],
            ],
        }
    }

    #[test]
    fn opens_as_zip_with_vietnamese_header_and_sheet_name() {
        let files = unzip(&render(&sample(), Fmt::Xlsx).unwrap());
        assert_eq!(string_at(&files, "A1"), "Tên nhiệm vụ");
        assert_eq!(string_at(&files, "C1"), "Hạn hoàn thành");
        let wb = &files["xl/workbook.xml"];
        let name = attr(&wb[wb.find("<sheet ").unwrap()..], "name").unwrap();
        assert_eq!(name, "Tiến độ_ Quý 1_2025 _Nghị quyết");
        assert_eq!(name.chars().count(), 31);
    }

    #[test]
    fn text_that_looks_like_a_formula_is_a_string() {
        let files = unzip(&render(&sample(), Fmt::Xlsx).unwrap());
        let sheet = &files["xl/worksheets/sheet1.xml"];
        assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "{sheet}");
        assert_eq!(string_at(&files, "A2"), "=1+1");
        assert_eq!(string_at(&files, "A3"), "@SUM(A1)");
        assert_eq!(attr(&xf_of(&files, "A2"), "quotePrefix"), Some("1"));
        // Ordinary text is left without the prefix style.
        assert_eq!(attr(&xf_of(&files, "E2"), "quotePrefix"), None);
    }

    #[test]
    fn numbers_are_numbers() {
        let files = unzip(&render(&sample(), Fmt::Xlsx).unwrap());
        let sheet = &files["xl/worksheets/sheet1.xml"];
        let b2 = cell_xml(sheet, "B2");
        assert_eq!(attr(b2, "t"), None, "{b2}");
        assert_eq!(value(b2), "-1");
        assert_eq!(attr(&xf_of(&files, "B2"), "quotePrefix"), None);
        let d2 = cell_xml(sheet, "D2");
        assert_eq!((attr(d2, "t"), value(d2)), (None, "0.75"));
        // Too many digits for Excel: kept exact as text.
        assert_eq!(string_at(&files, "B3"), "1234567890123456789");
        // NaN and Empty leave no cell at all.
        assert!(!sheet.contains("r=\"D3\"") && !sheet.contains("r=\"E3\""));
    }

    #[test]
    fn dates_are_real_dates() {
        let files = unzip(&render(&sample(), Fmt::Xlsx).unwrap());
        let c2 = cell_xml(&files["xl/worksheets/sheet1.xml"], "C2");
        assert_eq!(attr(c2, "t"), None);
        // 2025-12-31 as an Excel 1900-system serial.
        assert_eq!(value(c2), "46022");
        let fmt_id = attr(&xf_of(&files, "C2"), "numFmtId").unwrap().to_owned();
        let styles = &files["xl/styles.xml"];
        assert!(
            styles.contains(&format!(
                "<numFmt numFmtId=\"{fmt_id}\" formatCode=\"yyyy-mm-dd\"/>"
            )),
            "{styles}"
        );
        // Outside Excel's range: readable text instead of a wrong serial.
        assert_eq!(string_at(&files, "C3"), "1800-01-01");
    }

    #[test]
    fn header_bold_frozen_and_widths() {
        let files = unzip(&render(&sample(), Fmt::Xlsx).unwrap());
        let sheet = &files["xl/worksheets/sheet1.xml"];
        assert!(
            sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
            "{sheet}"
        );
        let font_id: usize = attr(&xf_of(&files, "A1"), "fontId")
            .unwrap()
            .parse()
            .unwrap();
        let styles = &files["xl/styles.xml"];
        let fonts = &styles[styles.find("<fonts").unwrap()..styles.find("</fonts>").unwrap()];
        let font = fonts.split("<font>").nth(font_id + 1).unwrap();
        assert!(font.starts_with("<b/>"), "{fonts}");
        assert_eq!(attr(&xf_of(&files, "A2"), "fontId"), Some("0"));
        assert!(sheet.contains("<cols>"));
    }

    #[test]
    fn widths_follow_content_and_are_capped() {
        let t = Table {
            title: "x".into(),
            headers: vec!["a".into(), "Tên".into(), "c".into()],
            rows: vec![vec![
                "x".repeat(500).into(),
                "Hà Nội, Việt Nam".into(),
                Cell::Empty,
            ]],
        };
        assert_eq!(column_widths(&t), vec![MAX_WIDTH, 18, MIN_WIDTH]);
    }

    #[test]
    fn sheet_names_follow_excel_rules() {
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(" '' "), "Sheet1");
        assert_eq!(sheet_name("'Báo cáo'"), "Báo cáo");
        assert_eq!(sheet_name("a[b]c:d*e?f/g\\h"), "a_b_c_d_e_f_g_h");
        assert_eq!(sheet_name("history"), "history_");
        let long = "Nhiệm vụ trọng tâm năm 2025 của Bộ";
        assert_eq!(sheet_name(long), "Nhiệm vụ trọng tâm năm 2025 của");
        // NFD: "ệ" = e + U+0323 + U+0302 straddling the limit is dropped whole.
        let nfd = format!("{}e\u{0323}\u{0302}t", "a".repeat(30));
        assert_eq!(sheet_name(&nfd), "a".repeat(30));
        // Every output is accepted by rust_xlsxwriter's own validation.
        for t in ["", "?", "'x'", long, &nfd, "😀".repeat(20).as_str()] {
            let mut wb = Workbook::new();
            wb.add_worksheet().set_name(sheet_name(t)).unwrap();
        }
    }

    #[test]
    fn over_long_text_is_truncated_not_fatal() {
        let t = Table {
            title: "x".into(),
            headers: vec!["a".into()],
            rows: vec![vec!["ệ".repeat(40_000).into()]],
        };
        let files = unzip(&render(&t, Fmt::Xlsx).unwrap());
        let s = string_at(&files, "A2");
        assert_eq!(s.chars().count(), MAX_TEXT_UTF16);
        assert!(s.ends_with("ệ…"));
    }

    #[test]
    fn empty_table_still_renders() {
        let files = unzip(&render(&Table::default(), Fmt::Xlsx).unwrap());
        assert!(files["xl/workbook.xml"].contains("name=\"Sheet1\""));
    }
}
