//! A self-contained HTML page (inline CSS and SVG, nothing fetched): the summary, the status table, an SVG chart
//! with one lane per recommendation, and the timelines with their sources. Every text from the log is escaped.

use std::collections::HashMap;
use std::fmt::Write;

use events::{Body, Date, EventType, Precision, Verdict};
use projections::{RecommendationStatus, Status, Summary, Timeline, TimelineEntry};

use super::labels::{self, word, Lang, Word};

/// Text made safe for HTML content and attribute values; bidirectional control characters are shown by their
/// codes ([`labels::visible`]), so that no text from the log reverses the rest of a cell or a tooltip.
pub fn escape(text: &str) -> String {
    let text = labels::visible(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The stylesheet of every page: inline in the report pack, served as `/static/style.css` by the server.
pub const STYLE: &str = r#"
:root { --ink: #1d2433; --muted: #5b6475; --rule: #d7dbe3; --band: #f4f6f9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 .2em; } h2 { font-size: 1.25em; margin: 1.6em 0 .5em; border-bottom: 2px solid var(--rule); padding-bottom: .2em; }
h3 { font-size: 1.05em; margin: 1.3em 0 .4em; }
p.meta, .muted { color: var(--muted); }
table.summary { width: auto; min-width: 50%; } table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; font-size: .93em; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--rule); unicode-bidi: isolate; }
th, td, h1, h2, h3 { overflow-wrap: break-word; word-break: normal; hyphens: manual; }
p.meta { overflow-wrap: anywhere; }
.date { white-space: nowrap; min-width: 7em; }
table.timeline td:nth-child(2) { min-width: 8em; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.verdict { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: .9em; white-space: nowrap; }
.v-not_implemented { background: #f6d0cc; } .v-in_progress { background: #fbe7b5; } .v-partially_implemented { background: #fde2b8; }
.v-implemented { background: #cfeccd; } .v-no_longer_relevant { background: #e2e4e8; } .v-none { background: #eef0f3; }
.source { color: var(--muted); font-size: .88em; } .quote { font-style: italic; }
figure { margin: 0; } figcaption { color: var(--muted); font-size: .88em; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg.chart text.lane-verdict, svg.chart text.band-label { font-size: 10.5px; font-style: italic; }
.legend { margin: .3em 0; }
.legend span { display: inline-block; margin-right: 14px; font-size: .88em; white-space: nowrap; }
.legend svg.key { vertical-align: -2px; margin-right: 5px; }
@page { size: A4; margin: 15mm; }
@media (max-width: 900px) { body { padding: 12px; } th, td { padding: 4px 5px; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; } table { font-size: 9pt; } th, td { padding: 3px 5px; } h1, h2, h3 { break-after: avoid; } tr, figure { break-inside: avoid; }
  .verdict, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .verdict { border: 1px solid var(--muted); }
}
"#;

/// The tag that marks a page this crate wrote, so that `report --out` knows its own `index.html` from a user's.
pub const GENERATOR: &str = "<meta name=\"generator\" content=\"followup\">";

/// A whole page around `body` (already HTML), titled `title`, marked with [`GENERATOR`].
pub fn page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n{GENERATOR}\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        lang.code(),
        escape(title)
    )
}

/// A verdict as a coloured badge, with the office's own label beside it when it has one.
pub(crate) fn verdict_badge(lang: Lang, v: Option<Verdict>, label: Option<&str>) -> String {
    match v {
        Some(v) => format!(
            "<span class=\"verdict v-{}\">{}</span>",
            v.code(),
            escape(&labels::verdict_labelled(lang, v, label))
        ),
        None => format!("<span class=\"verdict v-none\">{}</span>", escape(word(lang, Word::NotAssessed))),
    }
}

/// The status as an HTML table: per recommendation its text and id, stance, commitments, actions (and their euro
/// totals), and its current verdict with its as-of date and judgement in one cell (so the table fits 800 px and
/// A4); with an owner column when any recommendation has an owner ([`projections::RecommendationStatus::owner`]);
/// grouped by report when there are several.
pub fn status_table(status: &Status, lang: Lang) -> String {
    let owners = status.recommendations.iter().any(|r| r.owner.is_some());
    let mut out = String::from("<table class=\"status\">\n<thead><tr>");
    let mut head = vec![Word::Recommendation, Word::Stance, Word::Commitments, Word::Actions, Word::Verdict];
    if owners {
        head.push(Word::Owner);
    }
    for w in &head {
        let _ = write!(out, "<th>{}</th>", escape(word(lang, *w)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let several =
        status.recommendations.first().is_some_and(|f| status.recommendations.iter().any(|o| o.report != f.report));
    let mut current: Option<&str> = None;
    for r in &status.recommendations {
        if several && current != Some(r.report.as_str()) {
            current = Some(r.report.as_str());
            let name = status.reports.iter().find(|e| e.id == r.report).map(|e| labels::report(lang, e));
            let _ = writeln!(
                out,
                "<tr><th colspan=\"{}\">{} {}</th></tr>",
                head.len(),
                escape(word(lang, Word::Report)),
                escape(&name.unwrap_or_else(|| r.report.clone()))
            );
        }
        let totals: Vec<String> = r.totals_cents.iter().map(|(c, v)| labels::amount(lang, *v, c)).collect();
        let actions = if totals.is_empty() {
            r.actions.len().to_string()
        } else {
            format!("{}<br>{}", r.actions.len(), escape(&totals.join(", ")))
        };
        let owner =
            if owners { format!("<td>{}</td>", escape(r.owner.as_deref().unwrap_or(""))) } else { String::new() };
        let as_of = r
            .verdict_as_of
            .as_ref()
            .map(|d| {
                format!(
                    "<br><span class=\"date muted\">{} {}</span>",
                    escape(&word(lang, Word::AsOf).to_lowercase()),
                    escape(&labels::date(lang, d))
                )
            })
            .unwrap_or_default();
        let judged = r
            .verdict_judgement
            .map(|j| format!("<br><span class=\"muted\">{}</span>", escape(labels::judgement(lang, j))))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td><strong>{}.</strong> {}<br><span class=\"muted\">{}</span></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}{as_of}{judged}</td>{owner}</tr>",
            r.number,
            escape(r.text.as_deref().unwrap_or("")),
            escape(r.id.as_str()),
            escape(r.stance.map_or(word(lang, Word::NoResponse), |s| labels::stance(lang, s))),
            r.commitments.len(),
            actions,
            verdict_badge(lang, r.verdict, r.verdict_label.as_deref()),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The rows of a summary table: a label and a cell per column (each report, then the total when there are
/// several reports). Shared by the HTML and text renderings, which show figures down and reports across.
pub fn summary_rows(summary: &Summary, lang: Lang) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let cols: Vec<&projections::ReportSummary> =
        summary.reports.iter().chain((summary.reports.len() > 1).then_some(&summary.overall)).collect();
    let names = cols
        .iter()
        .map(|s| if s.report.is_empty() { word(lang, Word::Total).to_owned() } else { s.report.clone() })
        .collect();
    let mut rows: Vec<(String, Vec<String>)> = vec![
        (word(lang, Word::Recommendations).to_owned(), cols.iter().map(|s| s.recommendations.to_string()).collect()),
        (word(lang, Word::Assessed).to_owned(), cols.iter().map(|s| s.assessed.to_string()).collect()),
    ];
    for v in Verdict::ALL {
        rows.push((
            labels::verdict(lang, v).to_owned(),
            cols.iter().map(|s| s.verdicts.get(v.code()).copied().unwrap_or(0).to_string()).collect(),
        ));
    }
    rows.push((word(lang, Word::NotSupported).to_owned(), cols.iter().map(|s| s.not_supported.to_string()).collect()));
    rows.push((
        word(lang, Word::ImplementedRate).to_owned(),
        cols.iter().map(|s| rate(s.implemented, s.assessed)).collect(),
    ));
    rows.push((
        word(lang, Word::ImplementedOrPartiallyRate).to_owned(),
        cols.iter().map(|s| rate(s.implemented_or_partially, s.assessed)).collect(),
    ));
    rows.push((
        word(lang, Word::OpenCommitments).to_owned(),
        cols.iter().map(|s| s.open_commitments.to_string()).collect(),
    ));
    rows.push((
        word(lang, Word::OverdueCommitments).to_owned(),
        cols.iter().map(|s| s.overdue_commitments.to_string()).collect(),
    ));
    (names, rows)
}

/// The summary as HTML: figures down, reports (and the total) across.
pub fn summary(summary: &Summary, lang: Lang) -> String {
    let (names, rows) = summary_rows(summary, lang);
    let mut out = String::from("<table class=\"summary\">\n<thead><tr><th></th>");
    for n in &names {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(n));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (label, cells) in rows {
        let _ = write!(out, "<tr><th>{}</th>", escape(&label));
        for c in cells {
            let _ = write!(out, "<td class=\"num\">{}</td>", escape(&c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// `3 of 5 (60%)`, or `–` when nothing is assessed.
pub fn rate(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{part}/{whole} ({:.0}%)", 100.0 * part as f64 / whole as f64)
}

/// A mark's shape: each group of event kinds has its own, so the chart reads without colour (printed in black
/// and white).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    Plus,
    Cross,
    Ring,
}

/// How a kind of event is drawn: a row within the lane (0 at the top), a shape and a colour.
fn mark_style(kind: EventType) -> (usize, Shape, &'static str) {
    match kind {
        EventType::ExecutiveResponded | EventType::ExecutiveReported => (0, Shape::Circle, "#3b6fb6"),
        EventType::CommitteeDiscussed | EventType::CouncilDecided | EventType::CouncilMotionVoted => {
            (1, Shape::Square, "#7b4fa3")
        }
        EventType::CommitmentMade | EventType::CommitmentRevised => (2, Shape::Triangle, "#d9822b"),
        EventType::ActionTaken => (3, Shape::Diamond, "#2e8b57"),
        EventType::StatusAssessed => (4, Shape::Plus, "#1d2433"),
        EventType::EventRetracted => (4, Shape::Cross, "#c0392b"),
        EventType::ReportPublished
        | EventType::RecommendationIssued
        | EventType::RecommendationReframed
        | EventType::AuditorCommented
        | EventType::ContextNoted => (5, Shape::Ring, "#8a93a3"),
    }
}

/// The kinds the key names, one group per shape, in the order of the lanes' rows.
const KEY: &[&[EventType]] = &[
    &[EventType::ExecutiveResponded, EventType::ExecutiveReported],
    &[EventType::CommitteeDiscussed, EventType::CouncilDecided, EventType::CouncilMotionVoted],
    &[EventType::CommitmentMade, EventType::CommitmentRevised],
    &[EventType::ActionTaken],
    &[EventType::StatusAssessed],
    &[EventType::EventRetracted],
    &[
        EventType::ReportPublished,
        EventType::RecommendationIssued,
        EventType::RecommendationReframed,
        EventType::AuditorCommented,
        EventType::ContextNoted,
    ],
];

/// SVG of `shape` centred on (`cx`, `cy`), `r` from its centre to its edge, in `colour` and outlined in ink.
fn glyph(shape: Shape, cx: f64, cy: f64, r: f64, colour: &str) -> String {
    let ink = "stroke=\"#1d2433\" stroke-width=\"0.8\"";
    let (left, right, up, down) = (cx - r, cx + r, cy - r, cy + r);
    match shape {
        Shape::Circle => format!("<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r:.1}\" fill=\"{colour}\" {ink}/>"),
        Shape::Ring => format!(
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{:.1}\" fill=\"#ffffff\" stroke=\"{colour}\" stroke-width=\"1.8\"/>",
            r - 0.9
        ),
        Shape::Square => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\" {ink}/>",
            cx - 0.85 * r,
            cy - 0.85 * r,
            1.7 * r,
            1.7 * r
        ),
        Shape::Triangle => format!(
            "<path d=\"M{cx:.1} {up:.1}L{right:.1} {:.1}L{left:.1} {:.1}Z\" fill=\"{colour}\" {ink}/>",
            cy + 0.8 * r,
            cy + 0.8 * r
        ),
        Shape::Diamond => format!(
            "<path d=\"M{cx:.1} {up:.1}L{right:.1} {cy:.1}L{cx:.1} {down:.1}L{left:.1} {cy:.1}Z\" fill=\"{colour}\" {ink}/>"
        ),
        Shape::Plus => format!(
            "<path d=\"M{left:.1} {cy:.1}H{right:.1}M{cx:.1} {up:.1}V{down:.1}\" stroke=\"{colour}\" stroke-width=\"2.4\"/>"
        ),
        Shape::Cross => format!(
            "<path d=\"M{left:.1} {up:.1}L{right:.1} {down:.1}M{left:.1} {down:.1}L{right:.1} {up:.1}\" stroke=\"{colour}\" stroke-width=\"2.4\"/>"
        ),
    }
}

fn verdict_fill(v: Verdict) -> &'static str {
    match v {
        Verdict::NotImplemented => "#e8776b",
        Verdict::InProgress => "#f2c14e",
        Verdict::PartiallyImplemented => "#f4a259",
        Verdict::Implemented => "#5cb85c",
        Verdict::NoLongerRelevant => "#a0a7b4",
        Verdict::NotAdopted => "#7d6f8f",
    }
}

/// The step between labelled years on an axis of `years` years over `plot` units: every year, or every 2nd,
/// 5th, 10th, 20th, 50th, ... year, the smallest that leaves a label 36 units (four digits at 12 px take about
/// 28). `plot` is in the chart's units (its viewBox), so the step holds at any size the chart is drawn.
pub fn year_step(years: u32, plot: f64) -> i16 {
    let per_year = plot / f64::from(years.max(1));
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].into_iter().find(|s| per_year * f64::from(*s) >= 36.0).unwrap_or(1000)
}

/// A lane of the chart: a report's own entries, or a recommendation's.
enum Lane<'a> {
    Report(&'a str),
    Recommendation(&'a RecommendationStatus),
}

/// Draws entry `e` as a mark in the lane at `y0`: its kind's shape at its row, over a bar when its date covers more
/// than a day; a qualified date (~ approximate, ? uncertain) pale and its bar dashed; a hover title with the
/// date, the kind, the key fact, the summary, the source and, for a report's own entry, the recommendations it
/// concerns.
fn mark(out: &mut String, e: &TimelineEntry, lang: Lang, x: &dyn Fn(Date) -> f64, y0: f64) {
    let (row, shape, colour) = mark_style(e.kind);
    let cy = y0 + 10.0 + row as f64 * 8.0;
    let mut title = format!("{} — {}", labels::date(lang, &e.occurred), labels::kind(lang, e.kind));
    let detail = labels::entry_detail(lang, e);
    if !detail.is_empty() {
        let _ = write!(title, ": {detail}");
    }
    let _ = write!(title, "\n{}\n{}: {}, {}", e.summary, word(lang, Word::Source), e.source.document, e.source.locator);
    match e.concerned() {
        events::Concerned::One(_) => {}
        events::Concerned::Report => {
            let _ = write!(title, "\n{}: {}", word(lang, Word::Recommendations), word(lang, Word::All));
        }
        events::Concerned::Named(numbers) => {
            let numbers: Vec<String> = numbers.iter().map(u32::to_string).collect();
            let _ = write!(title, "\n{}: {}", word(lang, Word::Recommendations), numbers.join(", "));
        }
    }
    let exact = e.occurred.qualifier() == events::Qualifier::Exact;
    let _ = write!(
        out,
        "<g class=\"mark k-{}\" data-event=\"{}\"{}><title>{}</title>",
        e.kind,
        e.event_id,
        if exact { "" } else { " opacity=\"0.55\"" },
        escape(&title)
    );
    let cx = if e.occurred.precision() == Precision::Day {
        x(e.occurred.start())
    } else {
        let from = x(e.occurred.start());
        let to = x(e.occurred.end().tomorrow().unwrap_or(e.occurred.end()));
        let dashed = if exact { "" } else { " stroke-dasharray=\"2 2\" stroke-width=\"1\" stroke=\"#1d2433\"" };
        let _ = write!(
            out,
            "<rect class=\"span\" x=\"{from:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"6\" rx=\"3\" fill=\"{colour}\" fill-opacity=\"0.75\"{dashed}/>",
            cy - 3.0,
            (to - from).max(3.0)
        );
        (from + to) / 2.0
    };
    out.push_str(&glyph(shape, cx, cy, 4.0, colour));
    out.push_str("</g>\n");
}

/// An SVG chart and its key: per report a lane of its own for the report's entries (each drawn once, whatever
/// recommendations it concerns; the hover title names them), then one lane per recommendation with its own
/// entries. Events are marks with a shape per kind (a partial date also as a bar over its interval), each
/// verdict a coloured band from its as-of date, labelled where it is wide enough; each recommendation's lane
/// names its current verdict in words, so the chart reads on paper in black and white. The years run from the
/// first report's publication to the last event; with many years only every [`year_step`]th is labelled.
pub fn chart(status: &Status, timeline: &Timeline, lang: Lang) -> String {
    let first_year = timeline
        .entries
        .iter()
        .filter(|e| matches!(e.body, Body::ReportPublished(_)))
        .map(|e| e.occurred.start().year())
        .min()
        .or_else(|| timeline.entries.iter().map(|e| e.occurred.start().year()).min())
        .unwrap_or(2000);
    let last_year =
        timeline.entries.iter().map(|e| e.occurred.end().year()).max().unwrap_or(first_year).max(first_year);
    let start = Date::new(first_year, 1, 1).unwrap_or_default();
    let end = Date::new(last_year, 12, 31).unwrap_or_default();
    let total = start.until(end).map(|s| s.get_days() as f64 + 1.0).unwrap_or(365.0).max(1.0);
    let (left, width, top, lane_h) = (200.0, 1000.0, 34.0, 58.0);
    let plot = width - left - 12.0;
    let x =
        |d: Date| left + plot * (start.until(d).map(|s| s.get_days() as f64).unwrap_or(0.0)).clamp(0.0, total) / total;
    // Entries grouped once by report and recommendation (`None`: the report's own), not searched for each lane.
    let mut entries_of: HashMap<(&str, Option<u32>), Vec<&TimelineEntry>> = HashMap::new();
    for e in &timeline.entries {
        entries_of.entry((e.stream.report(), e.stream.recommendation())).or_default().push(e);
    }
    let mut lanes: Vec<Lane> = Vec::new();
    for (i, r) in status.recommendations.iter().enumerate() {
        let new_report = i == 0 || status.recommendations[i - 1].report != r.report;
        if new_report && entries_of.contains_key(&(r.report.as_str(), None)) {
            lanes.push(Lane::Report(r.report.as_str()));
        }
        lanes.push(Lane::Recommendation(r));
    }
    let height = top + lane_h * lanes.len() as f64 + 10.0;
    let mut out = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n",
        escape(&format!("{} {first_year}–{last_year}", word(lang, Word::Timeline)))
    );
    // Years: a rule at each 1 January and a label in the middle of each labelled year; when years are too dense
    // for a rule each, rules at the labelled years only.
    let step = year_step((last_year - first_year + 1) as u32, plot);
    let dense = plot / f64::from(last_year - first_year + 1) < 6.0;
    for year in first_year..=last_year + 1 {
        let Ok(d) = Date::new(year, 1, 1) else { continue };
        let labelled = year.rem_euclid(step) == 0;
        if dense && !labelled && year <= last_year {
            continue;
        }
        let xx = if year > last_year { left + plot } else { x(d) };
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" y1=\"{}\" x2=\"{xx:.1}\" y2=\"{}\" stroke=\"#d7dbe3\"/>",
            top - 6.0,
            height - 10.0
        );
        if year <= last_year && labelled {
            let mid = (xx + x(Date::new(year, 12, 31).unwrap_or(d))) / 2.0;
            let _ = writeln!(
                out,
                "<text class=\"year\" x=\"{mid:.1}\" y=\"{}\" text-anchor=\"middle\">{year}</text>",
                top - 12.0
            );
        }
    }
    let mut hidden = 0;
    let several =
        status.recommendations.first().is_some_and(|f| status.recommendations.iter().any(|o| o.report != f.report));
    for (i, lane) in lanes.iter().enumerate() {
        let y0 = top + lane_h * i as f64;
        let (report, number) = match lane {
            Lane::Report(report) => {
                let _ = writeln!(out, "<g class=\"report-lane\" data-report=\"{}\">", escape(report));
                let _ = writeln!(
                    out,
                    "<rect x=\"0\" y=\"{y0:.1}\" width=\"{width}\" height=\"{lane_h}\" fill=\"#e9edf3\"/>"
                );
                let own = entries_of.get(&(*report, None)).map(Vec::as_slice).unwrap_or_default();
                let title = own.iter().find_map(|e| match &e.body {
                    Body::ReportPublished(b) => Some(b.title.as_str()),
                    _ => None,
                });
                let name = if several { (*report).to_owned() } else { word(lang, Word::Report).to_owned() };
                lane_label(&mut out, y0, &name, title.unwrap_or(if several { "" } else { report }), None);
                (*report, None)
            }
            Lane::Recommendation(r) => {
                let _ = writeln!(out, "<g class=\"lane\" data-recommendation=\"{}\">", escape(r.id.as_str()));
                let _ = writeln!(
                    out,
                    "<rect x=\"0\" y=\"{y0:.1}\" width=\"{width}\" height=\"{lane_h}\" fill=\"{}\"/>",
                    if i % 2 == 0 { "#f4f6f9" } else { "#ffffff" }
                );
                verdict_bands(&mut out, r, lang, &x, y0, (left + plot, lane_h));
                let name = if several {
                    r.id.to_string()
                } else {
                    format!("{} {}", word(lang, Word::Recommendation), r.number)
                };
                let current = match r.verdict {
                    Some(v) => labels::verdict_labelled(lang, v, r.verdict_label.as_deref()),
                    None => word(lang, Word::NotAssessed).to_owned(),
                };
                lane_label(&mut out, y0, &name, r.text.as_deref().unwrap_or(""), Some(&current));
                (r.report.as_str(), Some(r.number))
            }
        };
        for e in entries_of.get(&(report, number)).map(Vec::as_slice).unwrap_or_default() {
            if e.occurred.end() < start {
                hidden += 1;
                continue;
            }
            mark(&mut out, e, lang, &x, y0);
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    let note = match (hidden, lang) {
        (0, _) => String::new(),
        (n, Lang::En) => {
            format!(" {n} earlier marks (before {first_year}) are not drawn; the timelines below list them.")
        }
        (n, Lang::Nl) => format!(
            " {n} eerdere gebeurtenissen (vóór {first_year}) zijn niet getekend; de tijdlijnen hieronder noemen ze."
        ),
    };
    let caption = match lang {
        Lang::En => "A lane for the report's own events, each drawn once whatever recommendations it concerns, then a lane per recommendation. Each kind of event has a shape of its own (see the key); a bar spans the period a date covers (a year, a season, a month), a shape alone is a day; a pale mark with a dashed bar is an approximate or uncertain date. Coloured bands show each verdict from its as-of date, and each lane names its current verdict. Hover for details and sources.",
        Lang::Nl => "Een baan voor de gebeurtenissen van het rapport zelf, elk één keer getekend voor welke aanbevelingen ze ook gelden, dan een baan per aanbeveling. Elke soort gebeurtenis heeft een eigen vorm (zie de legenda); een balk beslaat de periode van een datum (jaar, seizoen, maand), een vorm alleen is een dag; een bleke markering met gestippelde balk is een geschatte of onzekere datum. Gekleurde banden tonen elk oordeel vanaf de stand per datum, en elke baan noemt haar huidige oordeel. Wijs aan voor details en bronnen.",
    };
    format!("<figure>\n{out}<figcaption>{}{}</figcaption>\n{}</figure>\n", escape(caption), escape(&note), key(lang))
}

/// The left of a lane: its name in bold, a line of its text (cut at 26 characters, whole in the hover title),
/// and, for a recommendation, its current verdict in words.
fn lane_label(out: &mut String, y0: f64, name: &str, text: &str, verdict: Option<&str>) {
    let label: String = text.chars().take(26).collect();
    let ellipsis = if text.chars().count() > 26 { "…" } else { "" };
    let _ = writeln!(
        out,
        "<text x=\"8\" y=\"{:.1}\"><tspan font-weight=\"600\">{}</tspan><tspan x=\"8\" dy=\"14\">{}{ellipsis}</tspan><title>{}</title></text>",
        y0 + 18.0,
        escape(name),
        escape(&label),
        escape(text)
    );
    if let Some(v) = verdict {
        let _ = writeln!(out, "<text class=\"lane-verdict\" x=\"8\" y=\"{:.1}\">{}</text>", y0 + 47.0, escape(v));
    }
}

/// A recommendation's verdict bands, from each standing verdict's as-of date to the next one's or `end`, each
/// named in words inside it where it is wide enough.
fn verdict_bands(
    out: &mut String,
    r: &RecommendationStatus,
    lang: Lang,
    x: &dyn Fn(Date) -> f64,
    y0: f64,
    (end, lane_h): (f64, f64),
) {
    let standing: Vec<_> = r.verdicts.iter().filter(|v| v.superseded_by.is_none()).collect();
    for (k, v) in standing.iter().enumerate() {
        let from = x(v.as_of.start());
        let to = standing.get(k + 1).map_or(end, |n| x(n.as_of.start()));
        let name = labels::verdict(lang, v.verdict);
        let labelled = labels::verdict_labelled(lang, v.verdict, v.label.as_deref());
        let title = format!(
            "{}: {labelled} ({} {})",
            word(lang, Word::Verdict),
            word(lang, Word::AsOf).to_lowercase(),
            labels::date(lang, &v.as_of)
        );
        let _ = writeln!(
            out,
            "<rect class=\"verdict-band v-{}\" x=\"{from:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"0.35\"><title>{}</title></rect>",
            v.verdict.code(),
            y0 + 3.0,
            (to - from).max(3.0),
            lane_h - 6.0,
            verdict_fill(v.verdict),
            escape(&title)
        );
        // About 6 units a character at the label's 10.5 px.
        if to - from >= 8.0 + 6.0 * name.chars().count() as f64 {
            let _ = writeln!(
                out,
                "<text class=\"band-label\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                from + 4.0,
                y0 + lane_h - 7.0,
                escape(name)
            );
        }
    }
}

/// The chart's key, in inline SVG so that it prints as drawn: each kind's shape and colour, then each verdict's
/// colour.
fn key(lang: Lang) -> String {
    let mut key = String::from("<p class=\"legend\">");
    for group in KEY {
        let (_, shape, colour) = mark_style(group[0]);
        let names: Vec<&str> = group.iter().map(|k| labels::kind(lang, *k)).collect();
        let _ = write!(
            key,
            "<span><svg class=\"key\" width=\"14\" height=\"14\" viewBox=\"-7 -7 14 14\" aria-hidden=\"true\">{}</svg>{}</span>",
            glyph(shape, 0.0, 0.0, 5.0, colour),
            escape(&names.join(", "))
        );
    }
    key.push_str("</p>\n<p class=\"legend\">");
    for v in Verdict::ALL {
        let _ = write!(
            key,
            "<span><svg class=\"key\" width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" aria-hidden=\"true\"><rect x=\"0.5\" y=\"0.5\" width=\"13\" height=\"13\" rx=\"2\" fill=\"{}\" fill-opacity=\"0.6\" stroke=\"#5b6475\" stroke-width=\"0.6\"/></svg>{}</span>",
            verdict_fill(v),
            escape(labels::verdict(lang, v))
        );
    }
    key.push_str("</p>\n");
    key
}

fn entry_rows(out: &mut String, entries: &[&TimelineEntry], lang: Lang) {
    out.push_str("<table class=\"timeline\">\n<thead><tr>");
    for w in [Word::Date, Word::Event, Word::Summary, Word::Source] {
        let _ = write!(out, "<th>{}</th>", escape(word(lang, w)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for e in entries {
        let detail = labels::entry_detail(lang, e);
        let what = if detail.is_empty() {
            escape(labels::kind(lang, e.kind))
        } else {
            format!("{}<br><span class=\"muted\">{}</span>", escape(labels::kind(lang, e.kind)), escape(&detail))
        };
        let quote = e
            .source
            .quote
            .as_ref()
            .map(|q| format!("<br><span class=\"quote\">“{}”</span>", escape(q)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td class=\"date\">{}</td><td>{what}</td><td>{}</td><td class=\"source\">{}, {}{quote}</td></tr>",
            escape(&labels::date(lang, &e.occurred)),
            escape(&e.summary),
            escape(&e.source.document),
            escape(&e.source.locator)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The timeline as HTML: report-level entries, then a table per recommendation with its own entries and the
/// report-level ones that name it.
pub fn timeline_sections(timeline: &Timeline, status: &Status, lang: Lang) -> String {
    let mut out = String::new();
    for section in super::sections(timeline, status) {
        match section.recommendation {
            None => {
                let _ = writeln!(out, "<h3>{} {}</h3>", escape(word(lang, Word::Report)), escape(section.report));
            }
            Some(r) => {
                let _ = writeln!(
                    out,
                    "<h3 id=\"rec-{}-{}\">{} {}: {}</h3>",
                    escape(section.report),
                    r.number,
                    escape(word(lang, Word::Recommendation)),
                    r.number,
                    escape(r.text.as_deref().unwrap_or(""))
                );
            }
        }
        entry_rows(&mut out, &section.entries, lang);
    }
    out
}

/// The whole report page: title, summary, status, chart, and timelines with sources.
pub fn report_page(
    status: &Status,
    timeline: &Timeline,
    summary_: &Summary,
    lang: Lang,
    title: &str,
    generated: &str,
) -> String {
    let mut body = format!("<h1>{}</h1>\n<p class=\"meta\">{}</p>\n", escape(title), escape(generated));
    let _ = write!(body, "<h2>{}</h2>\n{}", escape(word(lang, Word::VerdictSummary)), summary(summary_, lang));
    let _ = write!(body, "<h2>{}</h2>\n{}", escape(word(lang, Word::Status)), status_table(status, lang));
    let _ = write!(body, "<h2>{}</h2>\n{}", escape(word(lang, Word::Timeline)), chart(status, timeline, lang));
    let _ = write!(body, "{}", timeline_sections(timeline, status, lang));
    page(lang, title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn rates_are_parts_of_the_assessed() {
        assert_eq!(rate(3, 5), "3/5 (60%)");
        assert_eq!(rate(0, 0), "–");
    }
}
