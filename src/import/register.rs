//! Import of a register spreadsheet: one row per recommendation (report, number, text, response, owner, due
//! date, status, ...), in CSV (UTF-8 or Windows-1252, `;` or `,`) or xlsx, turned into the events each row
//! implies by a [`Mapping`] that names which column is which.
//!
//! Every row is checked before any event is made, and every problem is reported with its row, column and value;
//! the events carry the row as their source locator, and their ids come from their content, so importing the same
//! register twice adds nothing.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use events::{Line, PartialDate, Stance, StreamId, Verdict};
use serde::Deserialize;

use super::ImportError;
use crate::store::Pending;

/// The built-in mapping for a typical Dutch register (`--map nl-register`): its TOML text.
pub const NL_REGISTER: &str = include_str!("nl-register.toml");

/// The names of the built-in mappings, each usable as `--map NAME`.
pub const BUILTIN_MAPPINGS: [&str; 1] = ["nl-register"];

/// One or more header texts for a column: the first that the header row holds is used.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn all(&self) -> Vec<&str> {
        match self {
            Names::One(n) => vec![n.as_str()],
            Names::Many(ns) => ns.iter().map(String::as_str).collect(),
        }
    }
}

/// The columns of a mapping, by their field; `report`, `report_date`, `number` and `text` are required.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Columns {
    report: Names,
    report_id: Option<Names>,
    report_date: Names,
    number: Names,
    text: Names,
    response: Option<Names>,
    response_date: Option<Names>,
    stance: Option<Names>,
    owner: Option<Names>,
    commitment: Option<Names>,
    due: Option<Names>,
    amount: Option<Names>,
    status: Option<Names>,
    status_date: Option<Names>,
    rationale: Option<Names>,
}

/// A mapping file as written (TOML, or the same shape in JSON).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    auditor: String,
    document: Option<String>,
    report_prefix: Option<String>,
    sheet: Option<String>,
    encoding: Option<String>,
    delimiter: Option<String>,
    columns: Columns,
    #[serde(default)]
    stances: BTreeMap<String, Stance>,
    #[serde(default)]
    verdicts: BTreeMap<String, Verdict>,
}

/// How a register's columns map to events: which header is which field, the words for stances and verdicts,
/// the auditor, and how to read the file.
///
/// Written as TOML (or JSON): `auditor` (the audit office: `report_published.auditor` and the assessor of each
/// verdict), optional `document` (the source document of every event; default `register`, whatever the file is
/// called, so that the same rows saved under another name, or as this year's copy, give the same events),
/// `report_prefix` (put before a report id made from its title), `sheet` (an xlsx sheet; default the first),
/// `encoding` (`utf-8` or `windows-1252`; default: UTF-8 unless the file is not, then Windows-1252),
/// `delimiter` (`;`, `,` or `tab`; default: whichever the header row uses most); `[columns]` naming the header
/// of each field (a text, or a list of alternatives: the first the header row holds is used), and `[stances]`
/// and `[verdicts]` adding words (`"afgerond" = "implemented"`) to the built-in Dutch and English ones. See
/// `src/import/nl-register.toml`, the built-in `nl-register`, for every field.
#[derive(Clone, Debug)]
pub struct Mapping {
    file: MappingFile,
    /// A mapping file, whose every column must be in the header row; the built-in one names alternatives a
    /// register may lack.
    strict: bool,
    stances: Vec<(String, Stance)>,
    verdicts: Vec<(String, Verdict)>,
}

/// Why a mapping could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// The mapping file could not be read.
    #[error("could not read the mapping {path}: {source}")]
    Io {
        /// The file, as given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The mapping is not a valid mapping; the message names the key.
    #[error("the mapping {name} is not valid: {message}")]
    Invalid {
        /// The mapping's file or built-in name.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// The words of stances every mapping knows, lower case: the glossary's Dutch and the codes.
const STANCE_WORDS: [(&str, Stance); 9] = [
    ("overgenomen", Stance::Adopted),
    ("volledig overgenomen", Stance::Adopted),
    ("overgenomen met kanttekeningen", Stance::AdoptedWithReservations),
    ("overgenomen met kanttekening", Stance::AdoptedWithReservations),
    ("gedeeltelijk overgenomen", Stance::PartiallyAdopted),
    ("deels overgenomen", Stance::PartiallyAdopted),
    ("niet overgenomen", Stance::Rejected),
    ("afgewezen", Stance::Rejected),
    ("ontraden", Stance::Rejected),
];

/// The words of verdicts every mapping knows, lower case: the Rekenkamer's scale and the codes.
const VERDICT_WORDS: [(&str, Verdict); 10] = [
    ("niet uitgevoerd", Verdict::NotImplemented),
    ("in uitvoering", Verdict::InProgress),
    ("gedeeltelijk uitgevoerd", Verdict::PartiallyImplemented),
    ("deels uitgevoerd", Verdict::PartiallyImplemented),
    ("uitgevoerd", Verdict::Implemented),
    ("volledig uitgevoerd", Verdict::Implemented),
    ("niet meer relevant", Verdict::NoLongerRelevant),
    ("vervallen", Verdict::NoLongerRelevant),
    ("niet overgenomen", Verdict::NotAdopted),
    ("not adopted", Verdict::NotAdopted),
];

/// A word as compared: lower case, spaces collapsed, a final period dropped.
fn normal(word: &str) -> String {
    word.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches('.').to_lowercase()
}

impl Mapping {
    /// The mapping `spec` names: a built-in one by name ([`BUILTIN_MAPPINGS`]), else a file (`.json` read as
    /// JSON, anything else as TOML).
    ///
    /// # Errors
    /// [`MappingError::Io`] when the file cannot be read; [`MappingError::Invalid`] naming the key at fault.
    pub fn load(spec: &str) -> Result<Mapping, MappingError> {
        if spec == "nl-register" {
            return Mapping::parse(NL_REGISTER, "nl-register", false);
        }
        let text =
            std::fs::read_to_string(spec).map_err(|source| MappingError::Io { path: spec.to_owned(), source })?;
        Mapping::parse(&text, spec, spec.to_ascii_lowercase().ends_with(".json"))
    }

    /// The mapping written in `text` (TOML, or JSON when `json`); `name` names it in errors.
    ///
    /// # Errors
    /// [`MappingError::Invalid`] naming the key at fault.
    pub fn parse(text: &str, name: &str, json: bool) -> Result<Mapping, MappingError> {
        let invalid = |message: String| MappingError::Invalid { name: name.to_owned(), message };
        let file: MappingFile = if json {
            serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| invalid(e.message().to_owned()))?
        };
        if let Some(e) = file.encoding.as_deref().filter(|e| encoding(e).is_none()) {
            return Err(invalid(format!("encoding `{e}` is not utf-8 or windows-1252")));
        }
        if let Some(d) = file.delimiter.as_deref().filter(|d| delimiter(d).is_none()) {
            return Err(invalid(format!("delimiter `{d}` is not `;`, `,` or `tab`")));
        }
        let mut stances: Vec<(String, Stance)> = STANCE_WORDS.iter().map(|(w, s)| ((*w).to_owned(), *s)).collect();
        stances.extend(Stance::ALL.iter().map(|s| (s.code().to_owned(), *s)));
        stances.extend(file.stances.iter().map(|(w, s)| (normal(w), *s)));
        let mut verdicts: Vec<(String, Verdict)> = VERDICT_WORDS.iter().map(|(w, v)| ((*w).to_owned(), *v)).collect();
        verdicts.extend(Verdict::ALL.iter().map(|v| (v.code().to_owned(), *v)));
        verdicts.extend(file.verdicts.iter().map(|(w, v)| (normal(w), *v)));
        Ok(Mapping { file, strict: name != "nl-register", stances, verdicts })
    }

    fn stance(&self, word: &str) -> Option<Stance> {
        let word = normal(word);
        self.stances.iter().rev().find(|(w, _)| *w == word).map(|(_, s)| *s)
    }

    fn verdict(&self, word: &str) -> Option<Verdict> {
        let word = normal(word);
        self.verdicts.iter().rev().find(|(w, _)| *w == word).map(|(_, v)| *v)
    }

    /// The words this mapping reads as stances (or verdicts), each once, for an error message.
    fn words<T>(list: &[(String, T)]) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for (w, _) in list {
            if !seen.contains(&w.as_str()) {
                seen.push(w);
            }
        }
        seen.join(", ")
    }
}

fn encoding(name: &str) -> Option<Encoding> {
    match name.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Some(Encoding::Utf8),
        "windows-1252" | "cp1252" | "latin1" | "iso-8859-1" => Some(Encoding::Windows1252),
        _ => None,
    }
}

fn delimiter(name: &str) -> Option<u8> {
    match name {
        ";" => Some(b';'),
        "," => Some(b','),
        "tab" | "\t" => Some(b'\t'),
        _ => None,
    }
}

/// The character encoding of a CSV register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a byte order mark is skipped).
    Utf8,
    /// Windows-1252 (cp1252), as spreadsheets on Windows save "CSV" in Western Europe.
    Windows1252,
}

impl Encoding {
    /// Parses `utf-8` or `windows-1252` (also `cp1252`, `latin1`), in any case.
    ///
    /// # Errors
    /// A message naming the text otherwise.
    pub fn parse(text: &str) -> Result<Encoding, String> {
        encoding(text).ok_or_else(|| format!("`{text}` is not an encoding: utf-8 or windows-1252"))
    }
}

/// A row of a register that cannot be imported: where, which column and value, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// The row number as a spreadsheet shows it (from 1, the header row included); for CSV, the line on which
    /// the row starts.
    pub row: usize,
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
    /// The column's header, when one column is at fault.
    pub column: Option<String>,
    /// The cell's value as read, when one cell is at fault.
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    /// `row 4, column "Status", value "half klaar": why` (with `sheet S, ` first for a workbook).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = &self.sheet {
            write!(f, "sheet {s}, ")?;
        }
        write!(f, "row {}", self.row)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c:?}")?;
        }
        if let Some(v) = &self.value {
            write!(f, ", value {v:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A cell as read: text from CSV or a workbook's text cell, a number, or a date cell of a workbook.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(i16, i8, i8),
}

impl Cell {
    /// The cell as a user sees it, for messages and texts.
    fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(y, m, d) => format!("{d:02}-{m:02}-{y:04}"),
        }
    }

    fn is_empty(&self) -> bool {
        self.shown().is_empty()
    }
}

/// A register as read: its header row and its rows, each with its row number.
struct Table {
    sheet: Option<String>,
    headers: Vec<String>,
    rows: Vec<(usize, Vec<Cell>)>,
}

/// What reading a register gave: the events in row order, each with its row number, and notes for the user
/// (such as the encoding that was guessed).
pub struct RegisterEvents {
    /// The events, with the row each comes from, in row order (a report's publication before its
    /// recommendations).
    pub events: Vec<(usize, Pending)>,
    /// What the reader decided that the user should know, one sentence each.
    pub notes: Vec<String>,
}

/// Reads a register (`bytes`: an xlsx workbook, or CSV) with `mapping`. `encoding` overrides the mapping's and the
/// guess.
///
/// Each row gives, in this order: `report_published` (for the first row of each report), `recommendation_issued`
/// (dated as the report), `executive_responded` (when there is a stance or a response; dated by the response
/// date, else the report's), `commitment_made` (when there is a due date, an owner or a commitment: its summary
/// the commitment, else the response, else the recommendation's text; with the due date and owner), `action_taken`
/// (when there is an amount, in euros), and `status_assessed` (when there is a status: as of its status date,
/// the commitment and action as evidence). Every event's source is the document and the row (`row 4`, or
/// `sheet Blad1, row 4`).
///
/// Dates are read as `31-12-2015` (also with `/` or `.`), `12-2015`, `2015`, EDTF (`2015-12-31`, `2016-23`),
/// or a workbook's date cells; amounts as `12.500,50`, `€ 12.500`, `12500.5` or a number cell.
///
/// # Errors
/// [`ImportError::Rows`] naming every bad row with its column and value (an unknown status or stance word, an
/// unreadable date, number or amount, a missing required column or value, a second row for the same
/// recommendation); [`ImportError::Empty`] for a register without rows. Nothing is decided from a partial file.
pub fn read_events(bytes: &[u8], mapping: &Mapping, encoding: Option<Encoding>) -> Result<RegisterEvents, ImportError> {
    let mut notes = Vec::new();
    let table = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, mapping.file.sheet.as_deref())?
    } else {
        let encoding = encoding.or_else(|| mapping.file.encoding.as_deref().and_then(self::encoding));
        read_csv(bytes, encoding, mapping.file.delimiter.as_deref().and_then(delimiter), &mut notes)?
    };
    // Not the file's name: a register is saved under many names over the years, and its rows are the same facts.
    let document = mapping.file.document.clone().unwrap_or_else(|| "register".to_owned());
    let events = rows_to_events(&table, mapping, &document)?;
    Ok(RegisterEvents { events, notes })
}

fn problem(row: usize, sheet: &Option<String>, message: impl Into<String>) -> RowProblem {
    RowProblem { row, sheet: sheet.clone(), column: None, value: None, message: message.into() }
}

fn read_csv(
    bytes: &[u8],
    encoding: Option<Encoding>,
    delimiter: Option<u8>,
    notes: &mut Vec<String>,
) -> Result<Table, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match (encoding, std::str::from_utf8(bytes)) {
        (Some(Encoding::Utf8), Err(e)) => {
            let at = e.valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            return Err(ImportError::Rows(vec![problem(
                line,
                &None,
                format!("the file is not UTF-8 (byte 0x{:02X}); give --encoding windows-1252 if it is that", bytes[at]),
            )]));
        }
        (Some(Encoding::Utf8) | None, Ok(text)) => text.to_owned(),
        (Some(Encoding::Windows1252), _) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
        (None, Err(e)) => {
            let at = e.valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            notes.push(format!(
                "the file is not UTF-8 (byte 0x{:02X} on line {line}): read as Windows-1252; give --encoding to say otherwise",
                bytes[at]
            ));
            encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
        }
    };
    let first = text.lines().next().unwrap_or("");
    let delimiter = delimiter.unwrap_or_else(|| {
        [b';', b',', b'\t'].into_iter().max_by_key(|d| first.matches(char::from(*d)).count()).unwrap_or(b';')
    });
    let mut r =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(text.as_bytes());
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| ImportError::Rows(vec![problem(1, &None, format!("the header row is not CSV: {e}"))]))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in r.records() {
        match record {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| super::csv::line_at(&text, p.byte()));
                let cells = rec
                    .iter()
                    .map(|c| if c.trim().is_empty() { Cell::Empty } else { Cell::Text(c.trim().to_owned()) })
                    .collect();
                rows.push((line, cells));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| super::csv::line_at(&text, p.byte()));
                problems.push(problem(line, &None, format!("not a CSV row: {e}")));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Rows(problems));
    }
    Ok(Table { sheet: None, headers, rows })
}

fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Table, ImportError> {
    use calamine::{Data, Reader, Xlsx};
    let whole = |message: String| ImportError::Rows(vec![problem(1, &None, message)]);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| whole(format!("the file is not an xlsx workbook: {e}")))?;
    let names = book.sheet_names();
    let name =
        match sheet {
            Some(s) => names.iter().find(|n| n.eq_ignore_ascii_case(s)).cloned().ok_or_else(|| {
                whole(format!("the workbook has no sheet {s:?}; its sheets are {}", names.join(", ")))
            })?,
            None => names.first().cloned().ok_or_else(|| whole("the workbook has no sheet".into()))?,
        };
    let range = book.worksheet_range(&name).map_err(|e| whole(format!("sheet {name} cannot be read: {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let cell = |d: &Data| match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.trim().to_owned()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Date(y as i16, m as i8, d as i8)
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
    };
    let mut rows = range.rows().enumerate();
    let headers = match rows.next() {
        Some((_, r)) => r.iter().map(|c| cell(c).shown()).collect(),
        None => return Err(ImportError::Empty),
    };
    let rows = rows.map(|(i, r)| (first_row + i + 1, r.iter().map(cell).collect())).collect();
    Ok(Table { sheet: Some(name), headers, rows })
}

/// Where each field's column is in the header row.
struct Located {
    index: HashMap<&'static str, (usize, String)>,
}

impl Located {
    fn get<'a>(&self, field: &str, cells: &'a [Cell]) -> Option<(&'a Cell, &str)> {
        let (i, header) = self.index.get(field)?;
        Some((cells.get(*i).unwrap_or(&Cell::Empty), header.as_str()))
    }
}

/// Where each column of the mapping is. Every required column must be there; with `strict` (a mapping file, which
/// names the columns of one register) every column it names.
fn locate(table: &Table, columns: &Columns, strict: bool) -> Result<Located, ImportError> {
    let fields: [(&'static str, Option<&Names>, bool); 15] = [
        ("report", Some(&columns.report), true),
        ("report_id", columns.report_id.as_ref(), false),
        ("report_date", Some(&columns.report_date), true),
        ("number", Some(&columns.number), true),
        ("text", Some(&columns.text), true),
        ("response", columns.response.as_ref(), false),
        ("response_date", columns.response_date.as_ref(), false),
        ("stance", columns.stance.as_ref(), false),
        ("owner", columns.owner.as_ref(), false),
        ("commitment", columns.commitment.as_ref(), false),
        ("due", columns.due.as_ref(), false),
        ("amount", columns.amount.as_ref(), false),
        ("status", columns.status.as_ref(), false),
        ("status_date", columns.status_date.as_ref(), false),
        ("rationale", columns.rationale.as_ref(), false),
    ];
    let mut index = HashMap::new();
    let mut missing = Vec::new();
    for (field, names, required) in fields {
        let Some(names) = names else { continue };
        let found = names.all().iter().find_map(|n| {
            table.headers.iter().position(|h| normal(h) == normal(n)).map(|i| (i, table.headers[i].clone()))
        });
        match found {
            Some(f) => {
                index.insert(field, f);
            }
            None if required || strict => missing.push(format!("{field} ({})", names.all().join(" or "))),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(ImportError::Rows(vec![problem(
            table.rows.first().map_or(1, |(r, _)| r.saturating_sub(1).max(1)),
            &table.sheet,
            format!(
                "the header row lacks the column{} {}; it has {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                table.headers.iter().filter(|h| !h.is_empty()).map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ")
            ),
        )]));
    }
    Ok(Located { index })
}

/// A date as registers write it: `31-12-2015` (or `/`, `.`), `12-2015`, EDTF, or a date cell.
fn date(cell: &Cell) -> Result<PartialDate, String> {
    let text = match cell {
        Cell::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
        Cell::Number(n) if n.fract() == 0.0 && (1000.0..=9999.0).contains(n) => format!("{}", *n as i64),
        Cell::Number(_) => return Err("is a number, not a date such as 31-12-2015".into()),
        Cell::Text(t) => {
            let t = t.trim();
            let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
            let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            match parts.as_slice() {
                [d, m, y] if digits(d) && digits(m) && digits(y) && d.len() <= 2 && m.len() <= 2 && y.len() == 4 => {
                    format!("{y}-{m:0>2}-{d:0>2}")
                }
                [m, y] if digits(m) && digits(y) && m.len() <= 2 && y.len() == 4 => format!("{y}-{m:0>2}"),
                _ => t.to_owned(),
            }
        }
        Cell::Empty => return Err("is empty".into()),
    };
    PartialDate::parse(&text).map_err(|e| format!("is not a date such as 31-12-2015 or 2015 ({e})"))
}

/// An amount in cents as registers write it: `12.500,50`, `€ 12.500`, `12500.5`, or a number cell.
fn cents(cell: &Cell) -> Result<i64, String> {
    let bad = || "is not an amount in euros such as 12.500,50".to_owned();
    let value = match cell {
        Cell::Number(n) => {
            // A number cell is binary floating point: whole cents within a millionth of a cent, or refused.
            let cents = n * 100.0;
            if !cents.is_finite() || (cents - cents.round()).abs() > 1e-6 || cents.abs() > 1e15 {
                return Err(format!("is {n}, not an amount in euros with at most two decimals up to 10^13"));
            }
            return Ok(cents.round() as i64);
        }
        Cell::Text(t) => t.replace(['€', ' ', '\u{a0}'], "").replace("EUR", ""),
        _ => return Err(bad()),
    };
    let (neg, value) = match value.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, value),
    };
    let plain = if value.contains(',') {
        // Decimal comma: dots group thousands.
        value.replace('.', "").replacen(',', ".", 1)
    } else {
        let groups: Vec<&str> = value.split('.').collect();
        if groups.len() > 1 && groups[1..].iter().all(|g| g.len() == 3) && groups.len() > 2
            || groups.len() == 2 && groups[1].len() == 3
        {
            value.replace('.', "")
        } else {
            value.clone()
        }
    };
    let (major, minor) = plain.split_once('.').unwrap_or((&plain, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if major.is_empty() || !all_digits(major) || !all_digits(minor) || minor.len() > 2 || major.len() > 13 {
        return Err(bad());
    }
    let major: i64 = major.parse().map_err(|_| bad())?;
    let minor: i64 = if minor.is_empty() { 0 } else { format!("{minor:0<2}").parse().map_err(|_| bad())? };
    let c = major * 100 + minor;
    Ok(if neg { -c } else { c })
}

/// The report id made from a title: lower case, letters without accents, other characters as `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if c != '-' || !out.ends_with('-') && !out.is_empty() {
            out.push(c);
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    out.truncate(events::MAX_REPORT_ID_LEN);
    out.trim_end_matches('-').to_owned()
}

/// What a report's first row said, to check the others against.
struct ReportSeen {
    title: String,
    date: PartialDate,
    row: usize,
}

/// One row being read: its cells, where the columns are, and the problems found so far.
struct Row<'a> {
    row: usize,
    sheet: &'a Option<String>,
    cells: &'a [Cell],
    at: &'a Located,
    problems: Vec<RowProblem>,
}

impl Row<'_> {
    /// The cell and header of `field`, when the register has that column.
    fn cell(&self, field: &str) -> Option<(Cell, String)> {
        self.at.get(field, self.cells).map(|(c, h)| (c.clone(), h.to_owned()))
    }

    /// The cell and header of `field` when the column is there and the cell not empty.
    fn given(&self, field: &str) -> Option<(Cell, String)> {
        self.cell(field).filter(|(c, _)| !c.is_empty())
    }

    /// The text of `field`, `None` when the column is absent or the cell empty.
    fn text(&self, field: &str) -> Option<String> {
        self.given(field).map(|(c, _)| c.shown())
    }

    /// Records a problem with the cell of `field` (or of a column the register lacks, by its field name).
    fn fail(&mut self, field: &str, message: String) {
        let (cell, header) = self.cell(field).unwrap_or((Cell::Empty, field.to_owned()));
        self.problems.push(RowProblem {
            row: self.row,
            sheet: self.sheet.clone(),
            column: Some(header),
            value: Some(cell.shown()),
            message,
        });
    }

    /// The cell of a field every row needs; a problem when it is empty.
    fn required(&mut self, field: &str) -> Option<Cell> {
        let (cell, _) = self.cell(field)?;
        if cell.is_empty() {
            self.fail(field, "is empty, and every row needs it".into());
            return None;
        }
        Some(cell)
    }

    /// The date in `field`, `None` when absent or empty; a problem when it is no date.
    fn date(&mut self, field: &str) -> Option<PartialDate> {
        let (cell, _) = self.given(field)?;
        date(&cell).map_err(|m| self.fail(field, m)).ok()
    }
}

/// The report, recommendation and what the row says of it, all checked.
struct Parsed {
    title: String,
    report: StreamId,
    report_date: PartialDate,
    number: u32,
    text: String,
    stance: Option<Stance>,
    stance_text: Option<String>,
    response: Option<String>,
    responded: PartialDate,
    owner: Option<String>,
    commitment: Option<String>,
    due: Option<PartialDate>,
    amount: Option<(i64, String, String)>,
    verdict: Option<Verdict>,
    status_date: Option<PartialDate>,
    rationale: Option<String>,
}

fn parse_row(r: &mut Row<'_>, mapping: &Mapping) -> Option<Parsed> {
    let title = r.required("report").map(|c| c.shown());
    let report_date = r.required("report_date").and_then(|c| date(&c).map_err(|m| r.fail("report_date", m)).ok());
    let number = r.required("number").and_then(|c| {
        let n = match &c {
            Cell::Number(n) if n.fract() == 0.0 => Some(*n as i64),
            other => other.shown().trim_end_matches('.').parse::<i64>().ok(),
        };
        let n = n.and_then(|n| u32::try_from(n).ok()).filter(|n| (1..=events::MAX_RECOMMENDATION).contains(n));
        if n.is_none() {
            r.fail("number", "is not a recommendation number from 1 to 9999".into());
        }
        n
    });
    let text = r.required("text").map(|c| c.shown());
    let stance = r.given("stance").and_then(|(c, _)| {
        let s = mapping.stance(&c.shown());
        if s.is_none() {
            r.fail("stance", format!("is not a stance; the mapping knows {}", Mapping::words(&mapping.stances)));
        }
        s
    });
    let verdict = r.given("status").and_then(|(c, _)| {
        let v = mapping.verdict(&c.shown());
        if v.is_none() {
            r.fail("status", format!("is not a status; the mapping knows {}", Mapping::words(&mapping.verdicts)));
        }
        v
    });
    let response_date = r.date("response_date");
    let due = r.date("due");
    let status_date = r.date("status_date");
    let amount = r
        .given("amount")
        .and_then(|(c, h)| cents(&c).map_err(|m| r.fail("amount", m)).ok().map(|cents| (cents, h, c.shown())));
    let response = r.text("response");
    if response.is_some() && r.given("stance").is_none() {
        r.fail("stance", "is empty, but the row has a response: a response needs a stance".into());
    }
    if r.given("status").is_some() && r.given("status_date").is_none() {
        r.fail("status_date", "is empty, but the row has a status: a status needs the date it describes".into());
    }
    let (title, report_date, number, text) = (title?, report_date?, number?, text?);
    let id_text = match r.text("report_id") {
        Some(id) => id,
        None => {
            let prefix = mapping.file.report_prefix.as_deref().map(|p| format!("{p} ")).unwrap_or_default();
            slug(&format!("{prefix}{} {title}", report_date.start().year()))
        }
    };
    let Some(report) = StreamId::parse(&id_text).ok().filter(|s| s.recommendation().is_none()) else {
        let field = if r.cell("report_id").is_some() { "report_id" } else { "report" };
        r.fail(field, format!("gives no valid report id (`{id_text}`): a-z, 0-9, '.', '_' and '-'"));
        return None;
    };
    let responded = response_date.unwrap_or_else(|| report_date.clone());
    if let Some(d) = &due {
        if d.end() < responded.start() {
            r.fail("due", format!("is before the commitment was made ({responded})"));
        }
    }
    if !r.problems.is_empty() {
        return None;
    }
    Some(Parsed {
        title,
        report,
        report_date,
        number,
        text,
        stance,
        stance_text: r.text("stance"),
        response,
        responded,
        owner: r.text("owner"),
        commitment: r.text("commitment"),
        due,
        amount,
        verdict,
        status_date,
        rationale: r.text("rationale").or_else(|| r.text("status")),
    })
}

/// Decodes the event `kind` on `stream` from the row, as an input line is decoded.
fn event(
    stream: &StreamId,
    kind: &str,
    occurred: &PartialDate,
    source: &serde_json::Value,
    data: serde_json::Value,
) -> Result<events::NewEvent, String> {
    let line = serde_json::json!({"stream": stream.as_str(), "type": kind, "occurred": occurred.as_str(),
        "source": source, "data": data});
    match events::decode(line.to_string().as_bytes()) {
        Ok(Line::New(e)) => Ok(e),
        Ok(Line::Recorded(_)) => Err(format!("its {kind} is not a new event")),
        Err(e) => Err(format!("its {kind} is not valid: {e}")),
    }
}

/// The events of one checked row, in order; `first` when the row is its report's first.
fn row_events(
    p: &Parsed,
    mapping: &Mapping,
    source: &serde_json::Value,
    first: bool,
) -> Result<Vec<events::NewEvent>, String> {
    let mut out = Vec::new();
    if first {
        let data = serde_json::json!({"title": p.title, "auditor": mapping.file.auditor, "summary": p.title});
        out.push(event(&p.report, "report_published", &p.report_date, source, data)?);
    }
    let stream = p.report.recommendation_stream(p.number).map_err(|e| e.to_string())?;
    let issued = serde_json::json!({"number": p.number, "text": p.text});
    out.push(event(&stream, "recommendation_issued", &p.report_date, source, issued)?);
    if let Some(stance) = p.stance {
        let summary = p.response.clone().or_else(|| p.stance_text.clone()).unwrap_or_default();
        let data = serde_json::json!({"stance": stance, "summary": summary});
        out.push(event(&stream, "executive_responded", &p.responded, source, data)?);
    }
    let mut evidence = Vec::new();
    if p.due.is_some() || p.owner.is_some() || p.commitment.is_some() {
        let summary = p.commitment.clone().or_else(|| p.response.clone()).unwrap_or_else(|| p.text.clone());
        let mut data = serde_json::json!({"summary": summary});
        if let Some(d) = &p.due {
            data["due"] = d.as_str().into();
        }
        if let Some(o) = &p.owner {
            data["owner"] = o.as_str().into();
        }
        let e = event(&stream, "commitment_made", &p.responded, source, data)?;
        evidence.push(e.id);
        out.push(e);
    }
    if let Some((cents, header, shown)) = &p.amount {
        let value: serde_json::Number =
            events::minor_units_text(i128::from(*cents)).parse().map_err(|_| format!("amount {shown} is too large"))?;
        let occurred = p.status_date.clone().unwrap_or_else(|| p.responded.clone());
        let data =
            serde_json::json!({"summary": format!("{header}: {shown}"), "amount": {"value": value, "currency": "EUR"}});
        let e = event(&stream, "action_taken", &occurred, source, data)?;
        evidence.push(e.id);
        out.push(e);
    }
    if let (Some(verdict), Some(as_of)) = (p.verdict, &p.status_date) {
        let rationale = p.rationale.clone().unwrap_or_default();
        let data = serde_json::json!({"verdict": verdict, "as_of": as_of.as_str(), "assessor": mapping.file.auditor,
            "rationale": rationale, "evidence": evidence});
        out.push(event(&stream, "status_assessed", as_of, source, data)?);
    }
    Ok(out)
}

fn rows_to_events(table: &Table, mapping: &Mapping, document: &str) -> Result<Vec<(usize, Pending)>, ImportError> {
    let at = locate(table, &mapping.file.columns, mapping.strict)?;
    let sheet = &table.sheet;
    let mut problems: Vec<RowProblem> = Vec::new();
    let mut out: Vec<(usize, Pending)> = Vec::new();
    let mut reports: HashMap<String, ReportSeen> = HashMap::new();
    let mut numbers: HashMap<String, usize> = HashMap::new();
    for (row, cells) in &table.rows {
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        let mut r = Row { row: *row, sheet, cells, at: &at, problems: Vec::new() };
        let parsed = parse_row(&mut r, mapping);
        let Some(p) = parsed else {
            problems.append(&mut r.problems);
            continue;
        };
        let first = match reports.get(p.report.as_str()) {
            None => {
                let seen = ReportSeen { title: p.title.clone(), date: p.report_date.clone(), row: *row };
                reports.insert(p.report.as_str().to_owned(), seen);
                true
            }
            Some(seen) if seen.title != p.title || seen.date != p.report_date => {
                r.fail(
                    "report_date",
                    format!(
                        "report {} was given as {:?} of {} on row {}; a report has one title and date",
                        p.report, seen.title, seen.date, seen.row
                    ),
                );
                problems.append(&mut r.problems);
                continue;
            }
            Some(_) => false,
        };
        let stream = format!("{}/{}", p.report, p.number);
        if let Some(earlier) = numbers.insert(stream, *row) {
            r.fail(
                "number",
                format!(
                    "recommendation {} of {} is on row {earlier} already; a register has a row per recommendation",
                    p.number, p.report
                ),
            );
            problems.append(&mut r.problems);
            continue;
        }
        let locator = match sheet {
            Some(s) => format!("sheet {s}, row {row}"),
            None => format!("row {row}"),
        };
        let source = serde_json::json!({"document": document, "locator": locator});
        match row_events(&p, mapping, &source, first) {
            Ok(events) => out.extend(events.into_iter().map(|e| (*row, Pending::New(e)))),
            Err(message) => problems.push(problem(*row, sheet, message)),
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Rows(problems));
    }
    if out.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_amounts_and_ids_are_read_as_dutch_registers_write_them() {
        let d = |t: &str| date(&Cell::Text(t.into())).map(|d| d.as_str().to_owned());
        assert_eq!(d("31-12-2015").as_deref(), Ok("2015-12-31"));
        assert_eq!(d("1/7/2016").as_deref(), Ok("2016-07-01"));
        assert_eq!(d("12-2015").as_deref(), Ok("2015-12"));
        assert_eq!(d("2016-23").as_deref(), Ok("2016-23"));
        assert!(d("31-02-2015").is_err());
        assert_eq!(date(&Cell::Date(2015, 12, 31)).unwrap().as_str(), "2015-12-31");
        let c = |t: &str| cents(&Cell::Text(t.into()));
        assert_eq!(c("12.500,50"), Ok(1_250_050));
        assert_eq!(c("€ 25.000"), Ok(2_500_000));
        assert_eq!(c("1.234.567"), Ok(123_456_700));
        assert_eq!(c("12500.5"), Ok(1_250_050));
        assert_eq!(c("-3,05"), Ok(-305));
        assert!(c("twaalf").is_err() && c("1,234,5").is_err());
        assert_eq!(cents(&Cell::Number(12500.5)), Ok(1_250_050));
        assert_eq!(cents(&Cell::Number(1234.56)), Ok(123_456));
        assert!(cents(&Cell::Number(1234.565)).is_err(), "a third decimal is refused, not rounded");
        assert!(cents(&Cell::Number(-0.004)).is_err());
        assert_eq!(slug("2014 Schuldhulpverlening: één loket"), "2014-schuldhulpverlening-een-loket");
    }

    #[test]
    fn the_built_in_mapping_reads_the_glossary_s_words() {
        let m = Mapping::load("nl-register").unwrap();
        assert_eq!(m.verdict("Gedeeltelijk uitgevoerd"), Some(Verdict::PartiallyImplemented));
        assert_eq!(m.verdict(" niet  meer relevant "), Some(Verdict::NoLongerRelevant));
        assert_eq!(m.verdict("uitgevoerd."), Some(Verdict::Implemented));
        assert_eq!(m.stance("Overgenomen met kanttekeningen"), Some(Stance::AdoptedWithReservations));
        assert_eq!(m.stance("half"), None);
        assert_eq!(m.verdict("Afgerond"), Some(Verdict::Implemented), "a word the built-in mapping adds");
        let extra = NL_REGISTER.replace("[stances]", "[stances]\n\"Omarmd\" = \"adopted\"");
        assert_eq!(Mapping::parse(&extra, "x", false).unwrap().stance("omarmd"), Some(Stance::Adopted));
        let bad = NL_REGISTER.replace("[columns]", "colour = 1\n[columns]");
        let err = Mapping::parse(&bad, "x.toml", false).unwrap_err().to_string();
        assert!(err.starts_with("the mapping x.toml is not valid: unknown field `colour`"), "{err}");
    }
}
