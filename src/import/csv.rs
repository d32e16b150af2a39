//! CSV import: events read back from a spreadsheet in the timeline's columns (what `render::csv` writes).

use std::io::Read;

use events::Line;

use super::{ImportError, LineProblem};
use crate::render::csv::{restore, BOM};
use crate::store::Pending;

/// Reads events from CSV with a header row: the columns of [`crate::render::csv::TIMELINE_COLUMNS`] that carry content (`stream`,
/// `type`, `occurred`, `document`, `locator`, `data`; `event_id` or `id`, `quote` and `recorded_by` if present),
/// others ignored. The delimiter is `,` or `;`, whichever the header uses; a byte order mark is skipped and
/// neutralised cells are restored. Each row is checked as an input line is. With a `position` column, rows are
/// taken in position order (a timeline lists them by date, but an event must follow those it names); otherwise in
/// file order.
///
/// # Errors
/// [`ImportError::Invalid`] listing every bad row by its line number; [`ImportError::Empty`]; [`ImportError::Io`].
pub fn read_events(mut reader: impl Read) -> Result<Vec<(usize, Pending)>, ImportError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(ImportError::Io)?;
    if let Some(problem) = super::foreign_format(&bytes) {
        return Err(ImportError::Invalid(vec![problem]));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            let message = format!(
                "the file is not UTF-8 (byte 0x{:02X}); save it as UTF-8 (\"CSV UTF-8\" in a spreadsheet) and import it again",
                bytes[at]
            );
            return Err(ImportError::Invalid(vec![LineProblem { line, message }]));
        }
    };
    let text = text.strip_prefix(BOM).unwrap_or(&text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() { b';' } else { b',' };
    let mut r = csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = match r.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
        Err(e) => {
            return Err(ImportError::Invalid(vec![LineProblem {
                line: 1,
                message: format!("the header row is not CSV: {e}"),
            }]))
        }
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let required = ["stream", "type", "occurred", "document", "locator", "data"];
    let missing: Vec<&str> = required.iter().copied().filter(|c| col(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(ImportError::Invalid(vec![LineProblem {
            line: 1,
            message: format!(
                "the header row lacks the column{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        }]));
    }
    let id_col = col("event_id").or_else(|| col("id"));
    let (quote_col, by_col, position_col) = (col("quote"), col("recorded_by"), col("position"));
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in r.records() {
        let record = match record {
            Ok(rec) => rec,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(text, p.byte()));
                problems.push(LineProblem { line, message: format!("not a CSV row: {e}") });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(text, p.byte()));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |i: usize| restore(record.get(i).unwrap_or("")).to_owned();
        let data: serde_json::Value = match serde_json::from_str(&get(col("data").unwrap_or(0))) {
            Ok(v) => v,
            Err(e) => {
                problems.push(LineProblem { line, message: format!("column `data` is not JSON: {e}") });
                continue;
            }
        };
        let mut source = serde_json::json!({"document": get(col("document").unwrap_or(0)), "locator": get(col("locator").unwrap_or(0))});
        if let Some(q) = quote_col.map(get).filter(|q| !q.is_empty()) {
            source["quote"] = q.into();
        }
        let mut obj = serde_json::json!({
            "stream": get(col("stream").unwrap_or(0)),
            "type": get(col("type").unwrap_or(0)),
            "occurred": get(col("occurred").unwrap_or(0)),
            "source": source,
            "data": data,
        });
        if let Some(id) = id_col.map(get).filter(|i| !i.is_empty()) {
            obj["id"] = id.into();
        }
        if let Some(by) = by_col.map(get).filter(|b| !b.is_empty()) {
            obj["recorded_by"] = by.into();
        }
        let position = position_col.and_then(|i| get(i).trim().parse::<u64>().ok()).unwrap_or(u64::MAX);
        match events::decode(obj.to_string().as_bytes()) {
            Ok(Line::New(e)) => out.push((position, line, Pending::New(e))),
            Ok(Line::Recorded(_)) => {
                problems.push(LineProblem { line, message: "a CSV row holds a new event, not a stored one".into() })
            }
            Err(e) => problems.push(LineProblem { line, message: e.to_string() }),
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    if out.is_empty() {
        return Err(ImportError::Empty);
    }
    out.sort_by_key(|(position, line, _)| (*position, *line));
    Ok(out.into_iter().map(|(_, line, p)| (line, p)).collect())
}

/// The number (from 1) of the line on which the record starting at byte `byte` of `text` stands. The CSV reader
/// starts a record at the `\n` of the CRLF that ended the one before, and counts that line to the record before.
pub(super) fn line_at(text: &str, byte: u64) -> usize {
    let start = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    let rest = &text.as_bytes()[start..];
    let skip = rest.iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
    1 + text.as_bytes()[..start + skip].iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_of_a_crlf_csv_is_named_by_its_own_line_not_the_one_before() {
        let header = "stream,type,occurred,document,locator,data";
        let good = r#"r,context_noted,2015,D,L,"{""summary"":""ok""}""#;
        let bad = r#"r,context_noted,2015-02-30,D,L,"{""summary"":""x""}""#;
        for end in ["\n", "\r\n"] {
            let text = [header, good, good, bad].join(end) + end;
            match read_events(text.as_bytes()).unwrap_err() {
                ImportError::Invalid(p) => assert_eq!(p.iter().map(|p| p.line).collect::<Vec<_>>(), [4], "{end:?}"),
                other => panic!("{other}"),
            }
            let text = [header, good, bad.replace("2015-02-30", "2016").as_str()].join(end) + end;
            let lines: Vec<usize> = read_events(text.as_bytes()).unwrap().into_iter().map(|(l, _)| l).collect();
            assert_eq!(lines, [2, 3], "{end:?}");
        }
    }
}
