//! CSV for Excel: UTF-8 with BOM, CRLF, RFC 4180 quoting, formula-safe text.

use super::{Cell, Table, looks_like_formula};

/// Without the BOM, Excel reads UTF-8 as the local ANSI code page and
/// mangles Vietnamese diacritics.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes the table; the caller has already checked its shape.
pub(super) fn write(t: &Table) -> Vec<u8> {
    let mut out = String::with_capacity(64 * (t.rows.len() + 1));
    // Written with the rows (not before) so an empty header list gives no blank line.
    if !t.headers.is_empty() {
        write_record(&mut out, t.headers.iter().map(|h| text(h)));
    }
    for row in &t.rows {
        write_record(&mut out, row.iter().map(cell));
    }
    let mut bytes = Vec::with_capacity(BOM.len() + out.len());
    bytes.extend_from_slice(BOM);
    bytes.extend_from_slice(out.as_bytes());
    bytes
}

fn write_record<'a>(out: &mut String, fields: impl Iterator<Item = std::borrow::Cow<'a, str>>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
}

fn cell(c: &Cell) -> std::borrow::Cow<'_, str> {
    match c {
        Cell::Text(s) => text(s),
        // Numbers and dates go out untouched: `-1` must stay a number.
        Cell::Int(v) => v.to_string().into(),
        Cell::Float(v) if v.is_finite() => v.to_string().into(),
        Cell::Float(_) | Cell::Empty => "".into(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string().into(),
    }
}

/// A leading `'` makes Excel and LibreOffice show the cell as text instead of
/// evaluating it (OWASP's advice for CSV injection).
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(s) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Format, render};
    use super::*;
    use chrono::NaiveDate;

    fn table(headers: &[&str], rows: Vec<Vec<Cell>>) -> Table {
        Table {
            title: "t".into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        }
    }

    fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
        let body = bytes.strip_prefix(BOM).expect("BOM first");
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(body)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn bom_and_crlf() {
        let out = render(
            &table(&["a", "b"], vec![vec![1.into(), "x".into()]]),
            Format::Csv,
        )
        .unwrap();
        assert_eq!(out, b"\xEF\xBB\xBFa,b\r\n1,x\r\n");
    }

    #[test]
    fn vietnamese_round_trips() {
        let headers = ["Mã", "Tên nhiệm vụ", "Đơn vị chủ trì", "Hạn"];
        let row = vec![
            Cell::from("NV-01"),
            Cell::from("Xây dựng cơ sở dữ liệu quốc gia về khoa học, công nghệ"),
            Cell::from("Bộ Khoa học và Công nghệ"),
            Cell::from(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()),
        ];
        let out = render(&table(&headers, vec![row]), Format::Csv).unwrap();
        let rows = parse(&out);
        assert_eq!(rows[0], headers);
        assert_eq!(
            rows[1],
            [
                "NV-01",
                "Xây dựng cơ sở dữ liệu quốc gia về khoa học, công nghệ",
                "Bộ Khoa học và Công nghệ",
                "2025-12-31"
            ]
        );
    }

    #[test]
    fn formulas_are_neutralised_but_numbers_are_not() {
        let row = vec![
            Cell::from("=1+1"),
            Cell::from("+1"),
            Cell::from("-1"),
            Cell::from("@SUM(A1)"),
            Cell::from("\t=x"),
            Cell::from("  =x"),
            Cell::Int(-1),
            Cell::Float(-2.5),
            Cell::from("a-b"),
        ];
        let headers = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
        let out = render(&table(&headers, vec![row]), Format::Csv).unwrap();
        let rows = parse(&out);
        assert_eq!(
            rows[1],
            [
                "'=1+1",
                "'+1",
                "'-1",
                "'@SUM(A1)",
                "'\t=x",
                "'  =x",
                "-1",
                "-2.5",
                "a-b"
            ]
        );
    }

    #[test]
    fn header_text_is_neutralised_too() {
        let out = render(&table(&["=HYPERLINK(\"x\")"], vec![]), Format::Csv).unwrap();
        assert_eq!(&out[3..], b"\"'=HYPERLINK(\"\"x\"\")\"\r\n");
    }

    #[test]
    fn quoting() {
        let texts = [
            "a,b",
            "say \"hi\"",
            "line1\nline2",
            "cr\rx",
            "crlf\r\nx",
            "plain",
        ];
        let row: Vec<Cell> = texts.iter().map(|&s| s.into()).collect();
        let out = render(
            &table(&["1", "2", "3", "4", "5", "6"], vec![row]),
            Format::Csv,
        )
        .unwrap();
        let s = std::str::from_utf8(&out[3..]).unwrap();
        assert!(s.ends_with(
            "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"cr\rx\",\"crlf\r\nx\",plain\r\n"
        ));
        assert_eq!(parse(&out)[1], texts);
    }

    #[test]
    fn empty_and_special_values() {
        let row = vec![
            Cell::Empty,
            Cell::Float(f64::NAN),
            Cell::Float(0.1),
            Cell::Int(i64::MIN),
        ];
        let out = render(&table(&["a", "b", "c", "d"], vec![row]), Format::Csv).unwrap();
        assert_eq!(parse(&out)[1], ["", "", "0.1", "-9223372036854775808"]);
    }
}
