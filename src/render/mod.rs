//! Projections written for people and spreadsheets: labels in English or Dutch, Markdown, CSV, and a
//! self-contained HTML page with an SVG timeline chart. Pure functions from projections to text.

pub mod csv;
pub mod html;
pub mod labels;
pub mod markdown;

pub use labels::{word, Lang, Word};

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
pub fn sections<'a>(timeline: &'a Timeline, status: &'a Status) -> Vec<Section<'a>> {
    let mut reports: Vec<&str> = Vec::new();
    for r in status
        .recommendations
        .iter()
        .map(|r| r.report.as_str())
        .chain(timeline.entries.iter().map(|e| e.stream.report()))
    {
        if !reports.contains(&r) {
            reports.push(r);
        }
    }
    let mut out = Vec::new();
    for report in reports {
        let own: Vec<&TimelineEntry> = timeline
            .entries
            .iter()
            .filter(|e| e.stream.report() == report && e.stream.recommendation().is_none())
            .collect();
        if !own.is_empty() {
            out.push(Section { report, recommendation: None, entries: own });
        }
        for r in status.recommendations.iter().filter(|r| r.report == report) {
            let entries = timeline
                .entries
                .iter()
                .filter(|e| {
                    e.stream.report() == report
                        && e.stream.recommendation().map_or(e.recommendations.contains(&r.number), |n| n == r.number)
                })
                .collect();
            out.push(Section { report, recommendation: Some(r), entries });
        }
    }
    out
}
