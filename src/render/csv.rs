//! CSV for spreadsheets: UTF-8, an optional byte order mark, a header row, RFC 4180 quoting, and cells that a
//! spreadsheet would read as a formula neutralised. The timeline's CSV carries each event's full content, so it
//! imports back to the same events ([`read_events`]).

use std::io::Read;

use events::{Line, NewEvent};
use projections::{Status, Timeline};

use super::labels::{self, Lang};
use crate::import::{ImportError, LineProblem};
use crate::store::Pending;

/// The byte order mark some spreadsheets need to read UTF-8.
pub const BOM: &str = "\u{feff}";

/// Cells starting with these are read as formulas by spreadsheets (OWASP: CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell made safe for spreadsheets: one that starts like a formula gets a leading `'`.
pub fn neutralise(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Undoes [`neutralise`].
pub fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

fn write(rows: Vec<Vec<String>>, bom: bool) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for r in rows {
        let _ = w.write_record(r.iter().map(|c| neutralise(c)));
    }
    let bytes = w.into_inner().unwrap_or_default();
    let text = String::from_utf8(bytes).unwrap_or_default();
    if bom {
        format!("{BOM}{text}")
    } else {
        text
    }
}

/// The columns of the timeline's CSV; `event_id`, `stream`, `occurred`, `type`, `document`, `locator`, `quote`
/// and `data` are what an import reads back, the others are for people.
pub const TIMELINE_COLUMNS: [&str; 14] = [
    "position",
    "event_id",
    "stream",
    "recommendation",
    "occurred",
    "date",
    "type",
    "event",
    "summary",
    "detail",
    "document",
    "locator",
    "quote",
    "data",
];

/// One row of [`TIMELINE_COLUMNS`].
#[allow(clippy::too_many_arguments)]
fn event_row(
    lang: Lang,
    position: u64,
    id: &events::EventId,
    stream: &events::StreamId,
    occurred: &events::PartialDate,
    body: &events::Body,
    summary: &str,
    source: &events::Source,
) -> Vec<String> {
    let data = serde_json::to_value(body).map(|v| v["data"].to_string()).unwrap_or_default();
    let kind = body.event_type();
    vec![
        position.to_string(),
        id.to_string(),
        stream.to_string(),
        stream.recommendation().map(|n| n.to_string()).unwrap_or_default(),
        occurred.to_string(),
        labels::date(lang, occurred),
        kind.code().to_owned(),
        labels::kind(lang, kind).to_owned(),
        summary.to_owned(),
        labels::detail(lang, body),
        source.document.clone(),
        source.locator.clone(),
        source.quote.clone().unwrap_or_default(),
        data,
    ]
}

fn header() -> Vec<String> {
    TIMELINE_COLUMNS.iter().map(|c| c.to_string()).collect()
}

/// The timeline as CSV, a row per entry in timeline order.
pub fn timeline(timeline: &Timeline, lang: Lang, bom: bool) -> String {
    let mut rows = vec![header()];
    rows.extend(
        timeline
            .entries
            .iter()
            .map(|e| event_row(lang, e.position, &e.event_id, &e.stream, &e.occurred, &e.body, &e.summary, &e.source)),
    );
    write(rows, bom)
}

/// The whole log as CSV with the timeline's columns, in position order, retracted events and retractions
/// included: what `export --format csv` writes, and what imports back to the same log's events.
pub fn log(events: &[events::RecordedEvent], lang: Lang, bom: bool) -> String {
    let mut rows = vec![header()];
    rows.extend(
        events
            .iter()
            .map(|e| event_row(lang, e.position, &e.id, &e.stream, &e.occurred, &e.body, e.body.summary(), &e.source)),
    );
    write(rows, bom)
}

/// The status as CSV, a row per recommendation.
pub fn status(status: &Status, lang: Lang, bom: bool) -> String {
    let mut rows = vec![[
        "recommendation",
        "report",
        "number",
        "text",
        "stance",
        "stance_label",
        "verdict",
        "verdict_label",
        "as_of",
        "as_of_label",
        "commitments",
        "actions",
        "total_eur",
        "claim",
        "claim_disagrees",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect::<Vec<_>>()];
    for r in &status.recommendations {
        let eur = r.totals_cents.get("EUR").map(|c| events::Money::eur(*c).value_text()).unwrap_or_default();
        rows.push(vec![
            r.id.to_string(),
            r.report.clone(),
            r.number.to_string(),
            r.text.clone().unwrap_or_default(),
            r.stance.map(|s| s.code().to_owned()).unwrap_or_default(),
            r.stance.map(|s| labels::stance(lang, s).to_owned()).unwrap_or_default(),
            r.verdict.map(|v| v.code().to_owned()).unwrap_or_default(),
            r.verdict.map(|v| labels::verdict(lang, v).to_owned()).unwrap_or_default(),
            r.verdict_as_of.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            r.verdict_as_of.as_ref().map(|d| labels::date(lang, d)).unwrap_or_default(),
            r.commitments.len().to_string(),
            r.actions.len().to_string(),
            eur,
            r.claim.map(|c| c.code().to_owned()).unwrap_or_default(),
            r.claim_disagrees.map(|d| d.to_string()).unwrap_or_default(),
        ]);
    }
    write(rows, bom)
}

/// Reads events from CSV with a header row: the columns of [`TIMELINE_COLUMNS`] that carry content (`stream`,
/// `type`, `occurred`, `document`, `locator`, `data`; `event_id` or `id`, `quote` and `recorded_by` if present),
/// others ignored. The delimiter is `,` or `;`, whichever the header uses; a byte order mark is skipped and
/// neutralised cells are restored. Each row is checked as an input line is. With a `position` column, rows are
/// taken in position order (a timeline lists them by date, but an event must follow those it names); otherwise in
/// file order.
///
/// # Errors
/// [`ImportError::Invalid`] listing every bad row by its line number; [`ImportError::Empty`]; [`ImportError::Io`].
pub fn read_events(mut reader: impl Read) -> Result<Vec<(usize, Pending)>, ImportError> {
    let mut text = String::new();
    reader.read_to_string(&mut text).map_err(ImportError::Io)?;
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
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(LineProblem { line, message: format!("not a CSV row: {e}") });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
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

/// The events of a CSV read by [`read_events`], for tests and callers that want them without a store.
pub fn events_of(pending: &[(usize, Pending)]) -> Vec<NewEvent> {
    pending
        .iter()
        .filter_map(|(_, p)| match p {
            Pending::New(e) => Some(e.clone()),
            Pending::Restored(..) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        for text in ["=SUM(A1)", "+31", "-5", "@cmd", "\tx"] {
            assert_eq!(neutralise(text), format!("'{text}"));
            assert_eq!(restore(&neutralise(text)), text);
        }
        assert_eq!(neutralise("plain"), "plain");
        assert_eq!(restore("'quoted"), "'quoted", "an apostrophe before anything else is the text's own");
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let csv = write(vec![vec!["a,b".into(), "say \"hi\"".into(), "two\nlines".into()]], false);
        assert_eq!(csv, "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
    }
}
