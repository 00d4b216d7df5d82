//! Task lists kept as spreadsheets: CSV (as Excel exports it) or XLSX. Columns are found by their
//! header, either recognised by name (Vietnamese, English or French, diacritics and case ignored)
//! or named explicitly with a [`Mapping`]. The result has the annex parser's groups and problems;
//! tasks are [`TableTask`]s because a spreadsheet code such as `II.14` does not fit the annex's
//! numeric task number. As in the annex parser nothing is dropped silently: every row that is not
//! taken becomes a [`Problem`] carrying its line (the spreadsheet row number; the physical line for
//! CSV), and deadlines that fit no known form are kept as text and reported, never guessed.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{DataRef, ExcelDateTime, ExcelDateTimeType, Reader, SheetType, SheetVisible, Xlsx};
use serde::Serialize;

use crate::import::annex::{Group, Problem};
use domain::deadline::Deadline;
use domain::text::{fold, nfc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Code,
    Title,
    Group,
    Lead,
    Coordinating,
    Result,
    Deadline,
    Description,
    Priority,
    Visibility,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Code,
        Field::Title,
        Field::Group,
        Field::Lead,
        Field::Coordinating,
        Field::Result,
        Field::Deadline,
        Field::Description,
        Field::Priority,
        Field::Visibility,
    ];

    const REQUIRED: [Field; 3] = [Field::Title, Field::Lead, Field::Deadline];

    /// The name used in `--map` and in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Title => "title",
            Field::Group => "group",
            Field::Lead => "lead",
            Field::Coordinating => "coordinating",
            Field::Result => "result",
            Field::Deadline => "deadline",
            Field::Description => "description",
            Field::Priority => "priority",
            Field::Visibility => "visibility",
        }
    }

    fn from_name(s: &str) -> Option<Field> {
        let s = fold(s);
        Field::ALL.into_iter().find(|f| f.name() == s)
    }

    /// Folded header names, best first: when two columns match (say `STT` and `Mã nhiệm vụ`),
    /// the one matching the earlier synonym wins.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Code => &[
                "ma nhiem vu",
                "ma so",
                "ma",
                "so hieu",
                "ky hieu",
                "code",
                "task code",
                "id",
                "ref",
                "reference",
                "numero",
                "n°",
                "stt",
                "tt",
                "so tt",
                "so thu tu",
                "no",
                "number",
                "#",
            ],
            Field::Title => &[
                "ten nhiem vu",
                "nhiem vu",
                "noi dung nhiem vu",
                "noi dung",
                "ten nhiem vu, de an",
                "nhiem vu, de an",
                "nhiem vu/de an",
                "ten de an",
                "task",
                "task name",
                "title",
                "action",
                "tache",
                "intitule",
                "titre",
                "libelle",
            ],
            Field::Group => &[
                "nhom nhiem vu",
                "nhom",
                "linh vuc",
                "group",
                "task group",
                "section",
                "category",
                "groupe",
                "axe",
            ],
            Field::Lead => &[
                "co quan chu tri",
                "don vi chu tri",
                "co quan chu tri thuc hien",
                "chu tri",
                "lead",
                "lead agency",
                "responsible",
                "owner",
                "responsable",
                "pilote",
                "organisme responsable",
            ],
            Field::Coordinating => &[
                "co quan phoi hop",
                "don vi phoi hop",
                "co quan phoi hop thuc hien",
                "phoi hop",
                "coordinating",
                "coordinating agencies",
                "partners",
                "partenaires",
                "organismes associes",
            ],
            Field::Result => &[
                "san pham",
                "ket qua",
                "san pham du kien",
                "ket qua du kien",
                "san pham, ket qua",
                "san pham/ket qua",
                "hinh thuc van ban",
                "result",
                "results",
                "expected result",
                "output",
                "deliverable",
                "resultat",
                "resultat attendu",
                "produit",
                "livrable",
            ],
            Field::Deadline => &[
                "thoi han",
                "thoi han hoan thanh",
                "thoi gian hoan thanh",
                "han hoan thanh",
                "thoi gian",
                "thoi gian thuc hien",
                "deadline",
                "due",
                "due date",
                "completion time",
                "echeance",
                "delai",
                "date limite",
            ],
            Field::Description => &[
                "mo ta",
                "ghi chu",
                "description",
                "notes",
                "note",
                "remarques",
                "observations",
            ],
            Field::Priority => &["uu tien", "muc do uu tien", "priority", "priorite"],
            Field::Visibility => &[
                "cong khai",
                "pham vi cong khai",
                "hien thi",
                "visibility",
                "visibilite",
            ],
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Explicit columns, from `--map code=Mã,title=Tên nhiệm vụ,lead=Cơ quan chủ trì`. Fields it
/// does not name are still recognised by header, from the columns it leaves free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping(pub Vec<(Field, String /* header as written in the file */)>);

impl Mapping {
    pub fn parse(spec: &str) -> Result<Mapping, String> {
        let mut pairs: Vec<(Field, String)> = vec![];
        for piece in spec.split(',') {
            let known = piece
                .split_once('=')
                .and_then(|(k, v)| Field::from_name(k).map(|f| (f, v)));
            match (known, pairs.last_mut()) {
                (Some((f, v)), _) => {
                    if pairs.iter().any(|(g, _)| *g == f) {
                        return Err(format!("{f} is mapped twice"));
                    }
                    pairs.push((f, v.to_string()));
                }
                // Headers may themselves contain commas ("Cơ quan chủ trì, phối hợp"), so a
                // piece that does not start with `field=` continues the previous header.
                (None, Some((_, header))) => {
                    header.push(',');
                    header.push_str(piece);
                }
                (None, None) => {
                    let name = piece.split_once('=').map_or(piece, |(k, _)| k).trim();
                    return Err(if piece.contains('=') {
                        format!(
                            "unknown field {name:?}; fields are: {}",
                            Field::ALL.map(Field::name).join(", ")
                        )
                    } else {
                        format!("expected field=header, found {:?}", piece.trim())
                    });
                }
            }
        }
        for (f, header) in &mut pairs {
            *header = clean(header);
            if header.is_empty() {
                return Err(format!("{f} has no header"));
            }
        }
        if pairs.is_empty() {
            return Err("the mapping is empty".into());
        }
        Ok(Mapping(pairs))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error(
        "the file is not UTF-8 text: save it as UTF-8 (in Excel: Save As › \"CSV UTF-8\") and import it again"
    )]
    Encoding,
    #[error("required columns not found: {} (name them with --map, e.g. lead=<header>)", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("the mapping names a column that is not in the file: {0:?}")]
    UnknownHeader(String),
    #[error("no sheet named {name:?}; the workbook has: {}", .sheets.join(", "))]
    UnknownSheet { name: String, sheets: Vec<String> },
    #[error("the file has no header row")]
    Empty,
    #[error("cannot read the CSV file: {0}")]
    Csv(String),
    #[error("cannot read the workbook (an .xlsx file is expected): {0}")]
    Xlsx(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableTask {
    pub line: usize,
    /// As written, e.g. `14` or `II.14`; numbered 1, 2, … when the file has no code column.
    pub code: String,
    /// Index into [`Parsed::groups`]; None when the row has no group.
    pub group: Option<usize>,
    /// The code of that group, for reports.
    pub group_code: Option<String>,
    pub title: String,
    pub lead: String,
    pub coordinating: String,
    pub result: String,
    pub deadline_text: String,
    pub deadline: Deadline,
    /// Empty when the file has no such column; the importer decides what the text means.
    pub description: String,
    pub priority: String,
    pub visibility: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Parsed {
    pub groups: Vec<Group>,
    pub tasks: Vec<TableTask>,
    pub problems: Vec<Problem>,
    /// Line of the header row; rows above it (titles of the document) are not read.
    pub header_line: usize,
    /// The header each field was read from, for the dry-run report.
    pub columns: Vec<(Field, String)>,
}

// ---------------------------------------------------------------------------------------------
// Cells and rows common to both formats

/// A cell before we know its column: XLSX numbers are only turned into text once we know whether
/// they sit in the deadline column, where a serial number is a date.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
}

struct Row {
    line: usize,
    cells: Vec<Cell>,
}

/// Trimmed, NFC, single-spaced (line breaks inside a cell become spaces).
fn clean(s: &str) -> String {
    nfc(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 14.0 → "14", 1.5 → "1.5" (Rust's shortest round-trip form).
fn number_text(n: f64) -> String {
    format!("{n}")
}

fn date_text(dt: &ExcelDateTime) -> String {
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    format!("{d:02}/{m:02}/{y:04}")
}

impl Cell {
    fn text(&self, field: Option<Field>, is_1904: bool) -> String {
        match *self {
            Cell::Text(ref s) => s.clone(),
            Cell::Number(n) if field == Some(Field::Deadline) => deadline_number(n, is_1904),
            Cell::Number(n) => number_text(n),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Cell::Text(s) if s.is_empty())
    }
}

/// A bare number in the deadline column: a year as such, or an Excel date serial whose cell lost
/// its date format. The two ranges cannot overlap (serial 2100 is in 1905), and any other number
/// stays a number, so Deadline::parse rejects it and it is reported.
fn deadline_number(n: f64, is_1904: bool) -> String {
    if n.fract() == 0.0 && (1990.0..=2100.0).contains(&n) {
        return number_text(n);
    }
    if n.is_finite() && n > 2100.0 {
        let dt = ExcelDateTime::new(n, ExcelDateTimeType::DateTime, is_1904);
        let (y, ..) = dt.to_ymd_hms_milli();
        if (1990..=2100).contains(&y) {
            return date_text(&dt);
        }
    }
    number_text(n)
}

// ---------------------------------------------------------------------------------------------
// CSV

pub fn read_csv(bytes: &[u8], map: Option<&Mapping>) -> Result<Parsed, TableError> {
    build(csv_rows(bytes)?, map, false)
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<Row>, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // NUL never occurs in text but fills UTF-16 files, which are otherwise "valid" UTF-8.
    let text = std::str::from_utf8(bytes).map_err(|_| TableError::Encoding)?;
    if text.contains('\0') {
        return Err(TableError::Encoding);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut rows = vec![];
    // csv's own line numbers go wrong after CRLF and blank lines, and its byte offsets point at
    // the end of the previous record, so lines are counted here from where the record's text starts.
    let (mut counted_to, mut line) = (0usize, 1usize);
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
        start = start.clamp(counted_to, text.len());
        start += text.as_bytes()[start..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        line += text.as_bytes()[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = start;
        rows.push(Row {
            line,
            cells: record.iter().map(|c| Cell::Text(clean(c))).collect(),
        });
    }
    Ok(rows)
}

/// Any table as rows of text, CSV or XLSX (told apart by the content: an XLSX is a zip
/// archive), each with its line (the spreadsheet row number; the physical line for CSV).
/// Numbers read from XLSX are written in Rust's shortest form ("14", "1.5").
pub fn read_grid(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, TableError> {
    let rows = if bytes.starts_with(b"PK\x03\x04") {
        catch_unwind(AssertUnwindSafe(|| xlsx_rows(bytes, None)))
            .unwrap_or_else(|_| Err(TableError::Xlsx("the workbook is damaged".into())))?
            .0
    } else {
        csv_rows(bytes)?
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let cells = r
                .cells
                .iter()
                .map(|c| match c {
                    Cell::Text(t) => t.clone(),
                    Cell::Number(n) => number_text(*n),
                })
                .collect();
            (r.line, cells)
        })
        .collect())
}

/// Excel writes `;` where the decimal separator is a comma (vi, fr), `,` elsewhere, and tabs for
/// "Unicode text". Excel pads every record to the same width, so the delimiter is the candidate
/// whose per-record count repeats most often; commas inside a `;` file's text vary from row to row.
fn sniff_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    let mut counts: Vec<[usize; 3]> = vec![];
    let mut current = [0usize; 3];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                if current != [0; 3] {
                    counts.push(current);
                }
                current = [0; 3];
                if counts.len() >= 50 {
                    break;
                }
            }
            _ if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    current[i] += 1;
                }
            }
            _ => {}
        }
    }
    if current != [0; 3] {
        counts.push(current);
    }
    let score = |i: usize| {
        let mut freq: BTreeMap<usize, usize> = BTreeMap::new();
        for c in counts.iter().map(|c| c[i]).filter(|&n| n > 0) {
            *freq.entry(c).or_default() += 1;
        }
        // (how many records share the commonest count, that count)
        freq.into_iter()
            .map(|(n, times)| (times, n))
            .max()
            .unwrap_or((0, 0))
    };
    let best = (0..CANDIDATES.len())
        .max_by_key(|&i| (score(i), std::cmp::Reverse(i)))
        .unwrap_or(0);
    CANDIDATES[best]
}

// ---------------------------------------------------------------------------------------------
// XLSX

/// Columns past this are ignored: task tables are narrow, and a stray cell at column XFD must
/// not make every row 16,384 cells wide.
const MAX_COLUMNS: u32 = 256;

pub fn read_xlsx(
    bytes: &[u8],
    sheet: Option<&str>,
    map: Option<&Mapping>,
) -> Result<Parsed, TableError> {
    // calamine, zip and quick-xml parse untrusted archives; should one of them panic on a crafted
    // file, the import must fail with an error rather than take the process down.
    let (rows, is_1904) = catch_unwind(AssertUnwindSafe(|| xlsx_rows(bytes, sheet)))
        .unwrap_or_else(|_| Err(TableError::Xlsx("the workbook is damaged".into())))?;
    build(rows, map, is_1904)
}

fn xlsx_error(e: calamine::XlsxError) -> TableError {
    match e {
        calamine::XlsxError::Zip(_) => TableError::Xlsx(
            "not an .xlsx file (an old .xls workbook must first be saved as .xlsx)".into(),
        ),
        e => TableError::Xlsx(e.to_string()),
    }
}

fn xlsx_rows(bytes: &[u8], sheet: Option<&str>) -> Result<(Vec<Row>, bool), TableError> {
    let mut wb = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let sheets = wb.sheets_metadata().to_vec();
    let name = match sheet {
        Some(wanted) => sheets
            .iter()
            .find(|s| s.name == wanted)
            .or_else(|| {
                // Typed on a terminal, "Phu luc II" should still find "Phụ lục II", if unique.
                let mut folded = sheets.iter().filter(|s| fold(&s.name) == fold(wanted));
                folded.next().filter(|_| folded.next().is_none())
            })
            .map(|s| s.name.clone())
            .ok_or_else(|| TableError::UnknownSheet {
                name: wanted.to_string(),
                sheets: sheets.iter().map(|s| s.name.clone()).collect(),
            })?,
        None => {
            let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
            worksheets()
                .find(|s| s.visible == SheetVisible::Visible)
                .or_else(|| worksheets().next())
                .map(|s| s.name.clone())
                .ok_or_else(|| TableError::Xlsx("the workbook has no worksheet".into()))?
        }
    };
    let is_1904 = wb.has_1904_epoch();
    let merges = wb.merge_cells_by_sheet_name(&name).map_err(xlsx_error)?;

    let mut grid: BTreeMap<u32, BTreeMap<u32, Cell>> = BTreeMap::new();
    let mut reader = wb.worksheet_cells_reader(&name).map_err(xlsx_error)?;
    while let Some(cell) = reader.next_cell().map_err(xlsx_error)? {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        let value = match cell.get_value() {
            DataRef::Int(i) => Cell::Text(i.to_string()),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::String(s) => Cell::Text(clean(s)),
            DataRef::SharedString(s) => Cell::Text(clean(s)),
            DataRef::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
            DataRef::DateTime(dt) if dt.is_datetime() => Cell::Text(date_text(dt)),
            DataRef::DateTime(dt) => Cell::Number(dt.as_f64()),
            DataRef::DateTimeIso(s) => Cell::Text(iso_date_text(s)),
            DataRef::DurationIso(s) => Cell::Text(clean(s)),
            DataRef::Error(e) => Cell::Text(e.to_string()),
            DataRef::Empty => continue,
        };
        if !value.is_empty() {
            grid.entry(r).or_default().insert(c, value);
        }
    }

    // A cell merged down a column (a group, or a lead shared by several tasks) shows its value on
    // every row it spans, so each of those rows gets it. Merges across columns are left alone:
    // spreading a heading over title, lead and deadline would invent a task.
    for m in merges {
        let (top, col, bottom) = (m.start.0, m.start.1, m.end.0);
        if m.end.1 != col || bottom <= top || col >= MAX_COLUMNS {
            continue;
        }
        let Some(value) = grid.get(&top).and_then(|r| r.get(&col)).cloned() else {
            continue;
        };
        for (_, row) in grid.range_mut(top + 1..=bottom) {
            row.entry(col).or_insert_with(|| value.clone());
        }
    }

    let rows = grid
        .into_iter()
        .map(|(r, cells)| {
            let width = cells.keys().next_back().map_or(0, |&c| c as usize + 1);
            let mut row = vec![Cell::Text(String::new()); width];
            for (c, v) in cells {
                row[c as usize] = v;
            }
            Row {
                line: r as usize + 1,
                cells: row,
            }
        })
        .collect();
    Ok((rows, is_1904))
}

/// `2025-06-30` or `2025-06-30T00:00:00` → `30/06/2025`; anything else as it is.
fn iso_date_text(s: &str) -> String {
    let s = clean(s);
    let date = s.get(..10).unwrap_or("");
    let parts: Vec<&str> = date.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{d}/{m}/{y}"),
        _ => s,
    }
}

// ---------------------------------------------------------------------------------------------
// Rows to tasks

/// Header rows are looked for among this many first non-empty rows, since documents often
/// carry a title ("PHỤ LỤC II – DANH MỤC NHIỆM VỤ") above the table.
const HEADER_SEARCH: usize = 20;

/// A header cell's folded name without a trailing note: "Thời hạn (năm):" → "thoi han".
fn header_key(s: &str) -> String {
    let mut k = fold(s);
    loop {
        let before = k.len();
        k = k.trim_end_matches([' ', '.', ':', '*']).to_string();
        if k.ends_with(')')
            && let Some(open) = k.rfind('(')
            && open > 0
        {
            k.truncate(open);
        }
        if k.len() == before {
            return k;
        }
    }
}

struct Columns {
    found: Vec<(Field, usize)>,
    unknown: Option<String>,
    missing: Vec<Field>,
}

impl Columns {
    fn of(&self, f: Field) -> Option<usize> {
        self.found.iter().find(|(g, _)| *g == f).map(|&(_, i)| i)
    }
}

fn find_columns(header: &[String], map: Option<&Mapping>) -> Columns {
    let mut found: Vec<(Field, usize)> = vec![];
    let mut unknown = None;
    let mut taken: HashSet<usize> = HashSet::new();
    for (field, name) in map.map_or(&[][..], |m| &m.0[..]) {
        let wanted = fold(name);
        match header.iter().position(|h| fold(h) == wanted) {
            Some(i) => {
                found.push((*field, i));
                taken.insert(i);
            }
            None => {
                unknown.get_or_insert_with(|| name.clone());
            }
        }
    }
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    for field in Field::ALL {
        if found.iter().any(|(f, _)| *f == field) {
            continue;
        }
        let best = field.synonyms().iter().find_map(|syn| {
            keys.iter()
                .enumerate()
                .find(|(i, k)| k == syn && !taken.contains(i))
                .map(|(i, _)| i)
        });
        if let Some(i) = best {
            found.push((field, i));
            taken.insert(i);
        }
    }
    let missing = Field::REQUIRED
        .into_iter()
        .filter(|f| !found.iter().any(|(g, _)| g == f))
        .collect();
    Columns {
        found,
        unknown,
        missing,
    }
}

/// `(1) (2) (3)` or `1 2 3` under the header, as official tables number their columns.
fn is_column_numbering(cells: &[String]) -> bool {
    let numbers: Option<Vec<u32>> = cells
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| c.trim_start_matches('(').trim_end_matches(')').parse().ok())
        .collect();
    numbers.is_some_and(|n| n.len() >= 3 && n.windows(2).all(|w| w[0] < w[1]))
}

/// `II. Hoàn thiện thể chế` → code `II`, title `Hoàn thiện thể chế`; a value with no such prefix
/// is both code and title.
fn split_group(value: &str) -> (Option<String>, String) {
    let (head, rest) = match value.find([' ', '.', ')', ':', '-']) {
        Some(i) => value.split_at(i),
        None => (value, ""),
    };
    let numbering = !head.is_empty()
        && (head.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L'))
            || head.chars().all(|c| c.is_ascii_digit()));
    if !numbering {
        return (None, value.to_string());
    }
    let title = rest.trim_start_matches([' ', '.', ')', ':', '-']).trim();
    let title = if title.is_empty() { value } else { title };
    (Some(head.to_string()), title.to_string())
}

fn build(rows: Vec<Row>, map: Option<&Mapping>, is_1904: bool) -> Result<Parsed, TableError> {
    let text_row =
        |r: &Row| -> Vec<String> { r.cells.iter().map(|c| c.text(None, is_1904)).collect() };
    let nonempty = |r: &&Row| r.cells.iter().any(|c| !c.is_empty());

    // The header is the first row where every required column (and every mapped header) is
    // found; failing that, errors are told about the row that came closest.
    let mut best: Option<(usize, Columns)> = None;
    for (i, row) in rows
        .iter()
        .enumerate()
        .filter(|(_, r)| nonempty(r))
        .take(HEADER_SEARCH)
    {
        let cols = find_columns(&text_row(row), map);
        let complete = cols.unknown.is_none() && cols.missing.is_empty();
        let rank = |c: &Columns| (c.unknown.is_none(), c.found.len());
        if best.as_ref().is_none_or(|(_, b)| rank(&cols) > rank(b)) || complete {
            best = Some((i, cols));
        }
        if complete {
            break;
        }
    }
    let Some((header_index, cols)) = best else {
        return Err(TableError::Empty);
    };
    if let Some(name) = cols.unknown {
        return Err(TableError::UnknownHeader(name));
    }
    if !cols.missing.is_empty() {
        return Err(TableError::MissingColumns(
            cols.missing.iter().map(|f| f.name().to_string()).collect(),
        ));
    }

    let header = text_row(&rows[header_index]);
    let mut out = Parsed {
        header_line: rows[header_index].line,
        columns: Field::ALL
            .into_iter()
            .filter_map(|f| cols.of(f).map(|i| (f, header[i].clone())))
            .collect(),
        ..Default::default()
    };
    let mut group_values: Vec<String> = vec![];
    let mut codes: HashSet<String> = HashSet::new();

    for row in rows.iter().skip(header_index + 1).filter(|r| nonempty(r)) {
        let line = row.line;
        let get = |f: Field| -> String {
            cols.of(f)
                .and_then(|i| row.cells.get(i))
                .map(|c| c.text(Some(f), is_1904))
                .unwrap_or_default()
        };
        let mut problem = |message: String| out.problems.push(Problem { line, message });

        if is_column_numbering(&text_row(row)) {
            problem("row skipped: it numbers the columns".into());
            continue;
        }
        let (title, lead) = (get(Field::Title), get(Field::Lead));
        if title.is_empty() || lead.is_empty() {
            let what = match (title.is_empty(), lead.is_empty()) {
                (true, true) => "no title and no lead agency",
                (true, false) => "no title",
                _ => "no lead agency",
            };
            problem(format!("row skipped: {what}"));
            continue;
        }

        let sequence = (out.tasks.len() + 1).to_string();
        let code = match cols.of(Field::Code) {
            None => sequence,
            Some(_) => {
                let c = get(Field::Code).trim_end_matches('.').trim().to_string();
                if c.is_empty() {
                    problem(format!("no code; numbered {sequence}"));
                    sequence
                } else {
                    c
                }
            }
        };
        // Codes are unique within a programme; a second row with the same code would make
        // the whole import fail when stored, so it is set aside here, with its line.
        if !codes.insert(code.clone()) {
            problem(format!(
                "row skipped: code {code} is already used by an earlier row"
            ));
            continue;
        }

        let deadline_text = get(Field::Deadline);
        let deadline = Deadline::parse(&deadline_text);
        if deadline == Deadline::Unparsed {
            problem(format!(
                "task {code}: deadline not understood: {deadline_text:?}"
            ));
        }

        let group_value = get(Field::Group);
        let group = (!group_value.is_empty()).then(|| {
            group_values
                .iter()
                .position(|g| *g == group_value)
                .unwrap_or_else(|| {
                    let (prefix, title) = split_group(&group_value);
                    let code = unique_group_code(&out.groups, prefix, &group_value);
                    out.groups.push(Group { code, title });
                    group_values.push(group_value.clone());
                    out.groups.len() - 1
                })
        });

        out.tasks.push(TableTask {
            line,
            group_code: group.map(|g| out.groups[g].code.clone()),
            group,
            code,
            title,
            lead,
            coordinating: get(Field::Coordinating),
            result: get(Field::Result),
            deadline_text,
            deadline,
            description: get(Field::Description),
            priority: get(Field::Priority),
            visibility: get(Field::Visibility),
        });
    }
    Ok(out)
}

/// Group codes are unique within a programme: the numbering prefix if free, else the whole value,
/// else a made-up `#n`.
fn unique_group_code(groups: &[Group], prefix: Option<String>, value: &str) -> String {
    let free = |c: &str| !groups.iter().any(|g| g.code == c);
    if let Some(p) = prefix.filter(|p| free(p)) {
        return p;
    }
    if free(value) {
        return value.to_string();
    }
    (groups.len() + 1..)
        .map(|n| format!("#{n}"))
        .find(|c| free(c))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;

    fn date(y: i32, m: u32, d: u32) -> Deadline {
        Deadline::Date {
            date: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        }
    }

    #[test]
    fn csv_with_bom_semicolons_and_vietnamese_headers() {
        let nfd_title: String = "Xây dựng   Luật Chuyển đổi số".nfd().collect();
        let csv = format!(
            "\u{FEFF}STT;Nhóm nhiệm vụ;Tên nhiệm vụ;Cơ quan chủ trì;Cơ quan phối hợp;Sản phẩm;Thời hạn hoàn thành\r\n\
             1;I. Hoàn thiện thể chế;{nfd_title};Bộ Khoa học và Công nghệ;Bộ Tư pháp, Bộ Nội vụ;Luật;Quý II/2025\r\n\
             2;I. Hoàn thiện thể chế;\"Sửa đổi Nghị định; \nhướng dẫn\";Bộ Tài chính;;Nghị định;2025\r\n\
             ;;;;;;\r\n\
             II.14;II. Hạ tầng số;Phát triển mạng 5G;Bộ KH&CN;Các tỉnh;Báo cáo;30/06/2025\r\n\
             15;;Đào tạo nhân lực;Bộ Giáo dục và Đào tạo;;;Thường xuyên\r\n"
        );
        let p = read_csv(csv.as_bytes(), None).unwrap();
        assert_eq!(p.problems, vec![]);
        assert_eq!(p.header_line, 1);
        assert_eq!(p.tasks.len(), 4);
        let t = &p.tasks[0];
        assert_eq!(t.code, "1");
        assert_eq!(t.title, "Xây dựng Luật Chuyển đổi số", "NFC, single-spaced");
        assert_eq!(t.lead, "Bộ Khoa học và Công nghệ");
        assert_eq!(t.coordinating, "Bộ Tư pháp, Bộ Nội vụ");
        assert_eq!(t.result, "Luật");
        assert_eq!(
            t.deadline,
            Deadline::Quarter {
                year: 2025,
                quarter: 2
            }
        );
        assert_eq!(p.tasks[1].title, "Sửa đổi Nghị định; hướng dẫn");
        assert_eq!(p.tasks[1].deadline, Deadline::Year { year: 2025 });
        assert_eq!(p.tasks[2].code, "II.14");
        assert_eq!(p.tasks[2].line, 6, "physical line, after a two-line cell");
        assert_eq!(p.tasks[2].deadline, date(2025, 6, 30));
        assert_eq!(p.tasks[3].deadline, Deadline::Ongoing);
        assert_eq!(
            p.groups,
            vec![
                Group {
                    code: "I".into(),
                    title: "Hoàn thiện thể chế".into()
                },
                Group {
                    code: "II".into(),
                    title: "Hạ tầng số".into()
                },
            ]
        );
        let groups: Vec<Option<usize>> = p.tasks.iter().map(|t| t.group).collect();
        assert_eq!(groups, vec![Some(0), Some(0), Some(1), None]);
        assert_eq!(p.tasks[2].group_code.as_deref(), Some("II"));
        assert_eq!(p.columns[0], (Field::Code, "STT".to_string()));
    }

    #[test]
    fn explicit_mapping_with_english_headers() {
        let map = Mapping::parse(
            "code=Ref, title=Action item,lead=Owner,coordinating=Partners,deadline=When",
        )
        .unwrap();
        let csv = "Ref,Action item,Owner,Partners,When,Task\n\
                   A1,\"Draft the decree, then consult\",Ministry of Justice,\"MOF, MOHA\",12/2025,ignored\n";
        let p = read_csv(csv.as_bytes(), Some(&map)).unwrap();
        assert_eq!(p.problems, vec![]);
        let t = &p.tasks[0];
        assert_eq!(t.code, "A1");
        assert_eq!(
            t.title, "Draft the decree, then consult",
            "the mapping beats 'Task'"
        );
        assert_eq!(t.lead, "Ministry of Justice");
        assert_eq!(t.coordinating, "MOF, MOHA");
        assert_eq!(
            t.deadline,
            Deadline::Month {
                year: 2025,
                month: 12
            }
        );
        assert_eq!(t.group, None);
    }

    #[test]
    fn mapping_spec_parsing() {
        let m =
            Mapping::parse("code=Mã,title=Tên nhiệm vụ,lead=Cơ quan chủ trì, phối hợp").unwrap();
        assert_eq!(
            m.0,
            vec![
                (Field::Code, "Mã".to_string()),
                (Field::Title, "Tên nhiệm vụ".to_string()),
                (Field::Lead, "Cơ quan chủ trì, phối hợp".to_string()),
            ]
        );
        assert_eq!(
            Mapping::parse("Title=X").unwrap().0,
            vec![(Field::Title, "X".into())]
        );
        assert!(
            Mapping::parse("owner=X")
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(
            Mapping::parse("title=A,title=B")
                .unwrap_err()
                .contains("twice")
        );
        assert!(Mapping::parse("title=").is_err());
        assert!(Mapping::parse("").is_err());
    }

    #[test]
    fn missing_required_columns_are_named() {
        let csv = "Mã;Tên nhiệm vụ;Ghi chú\n1;x;y\n";
        assert_eq!(
            read_csv(csv.as_bytes(), None).unwrap_err(),
            TableError::MissingColumns(vec!["lead".into(), "deadline".into()])
        );
    }

    #[test]
    fn mapped_header_absent_from_the_file() {
        let map = Mapping::parse("lead=Đơn vị thực hiện").unwrap();
        let csv = "Nhiệm vụ;Chủ trì;Thời hạn\nx;y;2025\n";
        assert_eq!(
            read_csv(csv.as_bytes(), Some(&map)).unwrap_err(),
            TableError::UnknownHeader("Đơn vị thực hiện".into())
        );
    }

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let csv = "DANH MỤC NHIỆM VỤ;;;;\n\
                   ;;;;\n\
                   TT;Nội dung;Chủ trì;Phối hợp;Thời hạn (năm)\n\
                   (1);(2);(3);(4);(5)\n\
                   1;Nhiệm vụ A;Bộ Y tế;;sớm nhất có thể\n\
                   2;;Bộ Y tế;;2025\n\
                   3;Nhiệm vụ C;;;2025\n\
                   1;Nhiệm vụ D;Bộ Công an;;2026\n\
                   \n\
                   ;Nhiệm vụ E;Bộ Công an;;\n";
        let p = read_csv(csv.as_bytes(), None).unwrap();
        assert_eq!(p.header_line, 3, "the title rows above are not the header");
        let codes: Vec<&str> = p.tasks.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, vec!["1", "2"]);
        assert_eq!(p.tasks[0].deadline_text, "sớm nhất có thể", "text kept");
        assert_eq!(p.tasks[0].deadline, Deadline::Unparsed);
        let got: Vec<(usize, &str)> = p
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (4, "row skipped: it numbers the columns"),
                (5, "task 1: deadline not understood: \"sớm nhất có thể\""),
                (6, "row skipped: no title"),
                (7, "row skipped: no lead agency"),
                (8, "row skipped: code 1 is already used by an earlier row"),
                (10, "no code; numbered 2"),
                (10, "task 2: deadline not understood: \"\""),
            ]
        );
    }

    #[test]
    fn without_a_code_column_rows_are_numbered() {
        let csv = "Task\tLead\tDeadline\tGroup\nA\tMOF\t2025\tFinance\nB\tMOJ\t2026\tLaw\nC\tMOF\t2027\tFinance\n";
        let p = read_csv(csv.as_bytes(), None).unwrap();
        let codes: Vec<&str> = p.tasks.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, vec!["1", "2", "3"]);
        assert_eq!(p.groups.len(), 2);
        assert_eq!(p.groups[0].code, "Finance");
        assert_eq!(p.tasks[2].group, Some(0));
    }

    #[test]
    fn semicolon_wins_over_commas_in_the_text() {
        let csv = "Nhiệm vụ;Chủ trì;Phối hợp;Thời hạn\n\
                   Việc A;Bộ A;Bộ B, Bộ C, Bộ D, Bộ E, Bộ F;2025\n\
                   Việc B;Bộ A;Bộ B, Bộ C;2025\n";
        let p = read_csv(csv.as_bytes(), None).unwrap();
        assert_eq!(p.tasks[0].coordinating, "Bộ B, Bộ C, Bộ D, Bộ E, Bộ F");
    }

    #[test]
    fn non_utf8_csv_is_refused() {
        // "Nhiệm vụ;Chủ trì" in Windows-1258, as Excel's plain "CSV" writes it on Vietnamese Windows.
        let cp1258 = b"Nhi\xD2m v\xF2;Ch\xF2 tr\xEC\n";
        let e = read_csv(cp1258, None).unwrap_err();
        assert_eq!(e, TableError::Encoding);
        assert!(e.to_string().contains("UTF-8"));
        let utf16: Vec<u8> = "\u{FEFF}Task\tLead"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(read_csv(&utf16, None).unwrap_err(), TableError::Encoding);
        assert_eq!(read_csv(b"", None).unwrap_err(), TableError::Empty);
    }

    #[test]
    fn header_keys_ignore_notes_and_punctuation() {
        assert_eq!(
            header_key("Thời hạn hoàn thành (năm):"),
            "thoi han hoan thanh"
        );
        assert_eq!(header_key("No."), "no");
        assert_eq!(header_key("  CƠ QUAN CHỦ TRÌ* "), "co quan chu tri");
    }

    mod xlsx {
        use super::*;
        use rust_xlsxwriter::{ExcelDateTime as XDate, Format, Workbook};

        fn workbook() -> Vec<u8> {
            let mut wb = Workbook::new();
            let date = Format::new().set_num_format("dd/mm/yyyy");
            let merged = Format::new();
            let ws = wb.add_worksheet();
            ws.set_name("Phụ lục II").unwrap();
            ws.write_string(0, 0, "PHỤ LỤC II: DANH MỤC NHIỆM VỤ")
                .unwrap();
            let header = ["Mã", "Nhóm", "Tên nhiệm vụ", "Cơ quan chủ trì", "Thời hạn"];
            for (c, h) in header.iter().enumerate() {
                ws.write_string(2, c as u16, *h).unwrap();
            }
            // Row 4: numeric code, a real date cell.
            ws.write_number(3, 0, 14.0).unwrap();
            ws.merge_range(3, 1, 4, 1, "II. Hạ tầng số", &merged)
                .unwrap();
            ws.write_string(3, 2, "Phát triển mạng 5G").unwrap();
            ws.write_string(3, 3, "Bộ KH&CN").unwrap();
            ws.write_datetime_with_format(3, 4, XDate::from_ymd(2025, 6, 30).unwrap(), &date)
                .unwrap();
            // Row 5: text code, a year typed as a number; its group comes from the merge above.
            ws.write_string(4, 0, "II.15").unwrap();
            ws.write_string(4, 2, "Trung tâm dữ liệu\nquốc gia")
                .unwrap();
            ws.write_string(4, 3, "Bộ Công an").unwrap();
            ws.write_number(4, 4, 2025.0).unwrap();
            // Row 6: a date serial that lost its format, and an odd number.
            ws.write_number(5, 0, 16.0).unwrap();
            ws.write_string(5, 2, "Nhiệm vụ khác").unwrap();
            ws.write_string(5, 3, "Bộ Tài chính").unwrap();
            ws.write_number(5, 4, 45657.0).unwrap();
            ws.write_number(6, 0, 17.5).unwrap();
            ws.write_string(6, 2, "Nhiệm vụ lạ").unwrap();
            ws.write_string(6, 3, "Bộ Tài chính").unwrap();
            ws.write_number(6, 4, 12.5).unwrap();
            let other = wb.add_worksheet();
            other.set_name("Other").unwrap();
            other.write_string(0, 0, "Task").unwrap();
            other.write_string(0, 1, "Lead").unwrap();
            other.write_string(0, 2, "Deadline").unwrap();
            other.write_string(1, 0, "Only task").unwrap();
            other.write_string(1, 1, "MOF").unwrap();
            other.write_string(1, 2, "Hằng năm").unwrap();
            wb.save_to_buffer().unwrap()
        }

        #[test]
        fn reads_the_first_sheet_with_dates_and_numbers() {
            let p = read_xlsx(&workbook(), None, None).unwrap();
            assert_eq!(p.header_line, 3);
            let codes: Vec<&str> = p.tasks.iter().map(|t| t.code.as_str()).collect();
            assert_eq!(codes, vec!["14", "II.15", "16", "17.5"]);
            let texts: Vec<&str> = p.tasks.iter().map(|t| t.deadline_text.as_str()).collect();
            assert_eq!(texts, vec!["30/06/2025", "2025", "31/12/2024", "12.5"]);
            assert_eq!(p.tasks[0].deadline, date(2025, 6, 30));
            assert_eq!(p.tasks[1].deadline, Deadline::Year { year: 2025 });
            assert_eq!(p.tasks[2].deadline, date(2024, 12, 31));
            assert_eq!(p.tasks[1].title, "Trung tâm dữ liệu quốc gia");
            assert_eq!(
                p.groups,
                vec![Group {
                    code: "II".into(),
                    title: "Hạ tầng số".into()
                }]
            );
            let groups: Vec<Option<usize>> = p.tasks.iter().map(|t| t.group).collect();
            assert_eq!(
                groups,
                vec![Some(0), Some(0), None, None],
                "merged cell spans two rows"
            );
            assert_eq!(
                p.problems,
                vec![Problem {
                    line: 7,
                    message: "task 17.5: deadline not understood: \"12.5\"".into()
                }]
            );
        }

        #[test]
        fn reads_a_named_sheet() {
            let p = read_xlsx(&workbook(), Some("other"), None).unwrap();
            assert_eq!(p.tasks.len(), 1);
            assert_eq!(p.tasks[0].deadline, Deadline::Yearly);
            let p = read_xlsx(&workbook(), Some("Phu luc II"), None).unwrap();
            assert_eq!(p.tasks.len(), 4);
        }

        #[test]
        fn unknown_sheet_lists_the_sheets() {
            let e = read_xlsx(&workbook(), Some("Sheet1"), None).unwrap_err();
            assert_eq!(
                e,
                TableError::UnknownSheet {
                    name: "Sheet1".into(),
                    sheets: vec!["Phụ lục II".into(), "Other".into()]
                }
            );
            assert!(e.to_string().contains("Phụ lục II, Other"));
        }

        #[test]
        fn a_csv_is_not_a_workbook() {
            let e = read_xlsx(b"Task;Lead;Deadline\n", None, None).unwrap_err();
            assert!(matches!(e, TableError::Xlsx(_)), "{e:?}");
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn damaged_workbooks_do_not_panic(
                flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
            ) {
                let mut bytes = workbook();
                for (at, b) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                let _ = read_xlsx(&bytes, None, None);
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read_csv(&bytes, None);
            let _ = read_xlsx(&bytes, None, None);
            let _ = read_xlsx(&bytes, Some("x"), None);
        }

        #[test]
        fn arbitrary_tables_never_panic(
            text in "[a-zA-Zàđơ0-9 ;,\t\"\r\n().:/-]{0,400}",
            header in prop::sample::select(vec![
                "Nhiệm vụ;Chủ trì;Thời hạn;Nhóm;Mã\n",
                "title,lead,deadline,group,code\n",
                "",
            ]),
            spec in "[a-z]{0,8}=[A-Za-z ]{0,6}(,[a-z]{0,8}=[A-Za-z ]{0,6}){0,2}",
        ) {
            let input = format!("{header}{text}");
            let _ = read_csv(input.as_bytes(), None);
            if let Ok(m) = Mapping::parse(&spec) {
                let _ = read_csv(input.as_bytes(), Some(&m));
            }
        }
    }
}
