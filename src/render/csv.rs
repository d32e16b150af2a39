//! CSV for spreadsheets: UTF-8, an optional byte order mark, a header row, RFC 4180 quoting, and cells that a
//! spreadsheet would read as a formula neutralised. The timeline's CSV carries each event's full content, so it
//! imports back to the same events (`crate::import::csv`).

use projections::{Status, Timeline};

use super::labels::{self, Lang};

/// The byte order mark some spreadsheets need to read UTF-8.
pub const BOM: &str = "\u{feff}";

/// Cells starting with these are read as formulas by spreadsheets (OWASP: CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell made safe for spreadsheets: one that starts like a formula gets a leading `'`, and so does one that
/// starts with `'` already, so that [`restore`] gives back exactly the text.
pub fn neutralise(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) || text.starts_with('\'') {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Undoes [`neutralise`]: `restore(&neutralise(t)) == t` for every text `t`.
pub fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => rest,
        _ => text,
    }
}

/// The rows as CSV with `lang`'s delimiter ([`labels::csv_delimiter`]: `;` for Dutch spreadsheets).
fn write(rows: Vec<Vec<String>>, lang: Lang, bom: bool) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(labels::csv_delimiter(lang))
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
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

/// The timeline as CSV, a row per entry in timeline order; `;` separates the columns in Dutch (import reads
/// either).
pub fn timeline(timeline: &Timeline, lang: Lang, bom: bool) -> String {
    let mut rows = vec![header()];
    rows.extend(
        timeline
            .entries
            .iter()
            .map(|e| event_row(lang, e.position, &e.event_id, &e.stream, &e.occurred, &e.body, &e.summary, &e.source)),
    );
    write(rows, lang, bom)
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
    write(rows, lang, bom)
}

/// The status as CSV, a row per recommendation: codes beside their labels in `lang`, `total_eur` in euros with
/// `lang`'s decimal separator, `owner` as [`projections::RecommendationStatus::owner`]. Columns are named in
/// English whatever the language; `;` separates them in Dutch.
pub fn status(status: &Status, lang: Lang, bom: bool) -> String {
    let mut rows = vec![[
        "recommendation",
        "report",
        "number",
        "text",
        "owner",
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
        "verdict_judgement",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect::<Vec<_>>()];
    for r in &status.recommendations {
        let eur = r.totals_cents.get("EUR").map(|c| labels::decimal(lang, *c)).unwrap_or_default();
        rows.push(vec![
            r.id.to_string(),
            r.report.clone(),
            r.number.to_string(),
            r.text.clone().unwrap_or_default(),
            r.owner.clone().unwrap_or_default(),
            r.stance.map(|s| s.code().to_owned()).unwrap_or_default(),
            r.stance.map(|s| labels::stance(lang, s).to_owned()).unwrap_or_default(),
            r.verdict.map(|v| v.code().to_owned()).unwrap_or_default(),
            r.verdict.map(|v| labels::verdict_labelled(lang, v, r.verdict_label.as_deref())).unwrap_or_default(),
            r.verdict_as_of.as_ref().map(|d| d.to_string()).unwrap_or_default(),
            r.verdict_as_of.as_ref().map(|d| labels::date(lang, d)).unwrap_or_default(),
            r.commitments.len().to_string(),
            r.actions.len().to_string(),
            eur,
            r.claim.map(|c| c.code().to_owned()).unwrap_or_default(),
            r.claim_disagrees.map(|d| d.to_string()).unwrap_or_default(),
            r.verdict_judgement.map(|j| j.code().to_owned()).unwrap_or_default(),
        ]);
    }
    // The status is read, not imported back: bidirectional controls from the log are shown by their codes, as in
    // the terminal. (The timeline and log CSVs keep them, so that they import back to the same events.)
    let rows = rows.into_iter().map(|r| r.into_iter().map(|c| labels::visible(&c).into_owned()).collect()).collect();
    write(rows, lang, bom)
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
    fn a_csv_value_starting_with_an_apostrophe_and_a_formula_sign_round_trips_exactly() {
        for text in ["'=1+1", "'+31", "'-5", "'@x", "''", "'", "'quoted", "''=x", "=x", "", "a'=b"] {
            assert_eq!(restore(&neutralise(text)), text, "{text:?} as {:?}", neutralise(text));
            let cell = neutralise(text);
            assert!(!cell.starts_with(FORMULA_STARTS), "{cell:?} would run as a formula");
        }
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let csv = write(vec![vec!["a,b".into(), "say \"hi\"".into(), "two\nlines".into()]], Lang::En, false);
        assert_eq!(csv, "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
        let csv = write(vec![vec!["a,b".into(), "c;d".into(), "12,50".into()]], Lang::Nl, false);
        assert_eq!(csv, "a,b;\"c;d\";12,50\r\n");
    }
}
