//! Turns any list into a downloadable file (CSV, XLSX) and deadlines into an
//! iCalendar feed.

pub mod csv;
pub mod ics;
pub mod xlsx;

use chrono::NaiveDate;

/// One value of a [`Table`]. Numbers and dates keep their type so that the
/// spreadsheet can sort and sum them.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Non-finite values (NaN, ±∞) are written as empty cells: no spreadsheet
    /// has a sensible value for them.
    Float(f64),
    Date(NaiveDate),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Self {
        Cell::Text(s.clone())
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<i32> for Cell {
    fn from(v: i32) -> Self {
        Cell::Int(v.into())
    }
}

impl From<u32> for Cell {
    fn from(v: u32) -> Self {
        Cell::Int(v.into())
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Float(v)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// A list to export: one header row, then data rows of the same width.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Used as the worksheet name (sanitised) in XLSX.
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A ragged row is a caller bug: its values would land under the wrong
    /// headers, so refuse it rather than export something misleading.
    fn check_shape(&self) -> Result<(), ExportError> {
        let expected = self.headers.len();
        match self.rows.iter().position(|r| r.len() != expected) {
            Some(i) => Err(ExportError::RowLength {
                row: i,
                expected,
                got: self.rows[i].len(),
            }),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// Parses the `?format=` query value; case and surrounding spaces are
    /// ignored because links are often typed by hand.
    pub fn from_query(s: &str) -> Option<Format> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("csv") {
            Some(Format::Csv)
        } else if s.eq_ignore_ascii_case("xlsx") {
            Some(Format::Xlsx)
        } else {
            None
        }
    }

    pub fn content_type(&self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// File extension without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("row {row} has {got} cells but there are {expected} headers")]
    RowLength {
        row: usize,
        expected: usize,
        got: usize,
    },
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Several tables as one workbook, a worksheet each (a briefing's sections).
pub fn render_book(tables: &[Table]) -> Result<Vec<u8>, ExportError> {
    for t in tables {
        t.check_shape()?;
    }
    self::xlsx::write_book(tables)
}

pub fn render(t: &Table, f: Format) -> Result<Vec<u8>, ExportError> {
    t.check_shape()?;
    match f {
        Format::Csv => Ok(self::csv::write(t)),
        Format::Xlsx => self::xlsx::write(t),
    }
}

/// True when a spreadsheet could take this text for a formula.
///
/// Leading spaces are skipped: LibreOffice (with "trim spaces") and some
/// importers strip them before deciding, so `"  =cmd()"` is as risky as
/// `"=cmd()"`. Tab and CR are triggers themselves.
pub(crate) fn looks_like_formula(s: &str) -> bool {
    matches!(
        s.trim_start_matches(' ').chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_query() {
        assert_eq!(Format::from_query("csv"), Some(Format::Csv));
        assert_eq!(Format::from_query(" XLSX "), Some(Format::Xlsx));
        assert_eq!(Format::from_query("xls"), None);
        assert_eq!(Format::from_query(""), None);
        assert_eq!(Format::Xlsx.extension(), "xlsx");
        assert!(Format::Csv.content_type().starts_with("text/csv"));
    }

    #[test]
    fn cell_conversions() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        assert_eq!(Cell::from("a"), Cell::Text("a".into()));
        assert_eq!(Cell::from(Some(d)), Cell::Date(d));
        assert_eq!(Cell::from(None::<NaiveDate>), Cell::Empty);
        assert_eq!(Cell::from(None::<String>), Cell::Empty);
        assert_eq!(Cell::from(Some("x".to_string())), Cell::Text("x".into()));
        assert_eq!(Cell::from(-3i64), Cell::Int(-3));
    }

    #[test]
    fn formula_detection() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "   =x"] {
            assert!(looks_like_formula(s), "{s:?}");
        }
        for s in ["", "abc", "Hà Nội", "1-2", " a=b", "'=x"] {
            assert!(!looks_like_formula(s), "{s:?}");
        }
    }

    #[test]
    fn ragged_rows_are_rejected() {
        let t = Table {
            title: "t".into(),
            headers: vec!["a".into(), "b".into()],
            rows: vec![vec![1.into(), 2.into()], vec![1.into()]],
        };
        for f in [Format::Csv, Format::Xlsx] {
            match render(&t, f) {
                Err(ExportError::RowLength {
                    row: 1,
                    expected: 2,
                    got: 1,
                }) => {}
                other => panic!("{other:?}"),
            }
        }
    }
}
