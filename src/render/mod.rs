//! Projections written for people and spreadsheets: labels in English or Dutch, Markdown, CSV, and a
//! self-contained HTML page with an SVG timeline chart. Pure functions from projections to text.

pub mod csv;
pub mod html;
pub mod labels;
pub mod markdown;
pub mod output;
pub mod verification;

pub use labels::{word, Lang, Word};

use std::collections::{HashMap, HashSet};

use projections::{RecommendationStatus, Status, Timeline, TimelineEntry};

/// One group of a timeline as reports print it: a report's own entries (`recommendation` is `None`), or a
/// recommendation's entries with the report-level ones that name it; entries in timeline order.
pub struct Section<'a> {
    /// The report's id.
    pub report: &'a str,
    /// The recommendation, or `None` for the report's own entries.
    pub recommendation: Option<&'a RecommendationStatus>,
    /// The entries.
    pub entries: Vec<&'a TimelineEntry>,
}

/// The sections of a timeline, report by report (those of `status` first, then any other in the timeline): the
/// report's own entries when there are any, then one section per recommendation of `status`.
///
/// Entries and recommendations are grouped by report once, so the time grows with the size of the timeline and
/// of each report, not with their product over the whole log.
pub fn sections<'a>(timeline: &'a Timeline, status: &'a Status) -> Vec<Section<'a>> {
    let mut reports: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for r in status
        .recommendations
        .iter()
        .map(|r| r.report.as_str())
        .chain(timeline.entries.iter().map(|e| e.stream.report()))
    {
        if seen.insert(r) {
            reports.push(r);
        }
    }
    let mut entries_of: HashMap<&str, Vec<&TimelineEntry>> = HashMap::new();
    for e in &timeline.entries {
        entries_of.entry(e.stream.report()).or_default().push(e);
    }
    let mut recommendations_of: HashMap<&str, Vec<&RecommendationStatus>> = HashMap::new();
    for r in &status.recommendations {
        recommendations_of.entry(r.report.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    for report in reports {
        let entries = entries_of.get(report).map(Vec::as_slice).unwrap_or_default();
        let own: Vec<&TimelineEntry> =
            entries.iter().copied().filter(|e| e.stream.recommendation().is_none()).collect();
        if !own.is_empty() {
            out.push(Section { report, recommendation: None, entries: own });
        }
        for r in recommendations_of.get(report).map(Vec::as_slice).unwrap_or_default() {
            let entries = entries.iter().copied().filter(|e| e.concerned().names(r.number)).collect();
            out.push(Section { report, recommendation: Some(r), entries });
        }
    }
    out
}
