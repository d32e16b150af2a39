//! A self-contained HTML page (inline CSS and SVG, nothing fetched): the summary, the status table, an SVG chart
//! with one lane per recommendation, and the timelines with their sources. Every text from the log is escaped.

use std::fmt::Write;

use events::{Body, Date, EventType, Precision, Verdict};
use projections::{RecommendationStatus, Status, Summary, Timeline, TimelineEntry};

use super::labels::{self, word, Lang, Word};

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
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

const STYLE: &str = r#"
:root { --ink: #1d2433; --muted: #5b6475; --rule: #d7dbe3; --band: #f4f6f9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 .2em; } h2 { font-size: 1.25em; margin: 1.6em 0 .5em; border-bottom: 2px solid var(--rule); padding-bottom: .2em; }
h3 { font-size: 1.05em; margin: 1.3em 0 .4em; }
p.meta, .muted { color: var(--muted); }
table.summary { width: auto; min-width: 50%; } table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; font-size: .93em; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--rule); overflow-wrap: anywhere; unicode-bidi: isolate; }
h1, h2, h3 { overflow-wrap: anywhere; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.verdict { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: .9em; white-space: nowrap; }
.v-not_implemented { background: #f6d0cc; } .v-in_progress { background: #fbe7b5; } .v-partially_implemented { background: #fde2b8; }
.v-implemented { background: #cfeccd; } .v-no_longer_relevant { background: #e2e4e8; } .v-none { background: #eef0f3; }
.source { color: var(--muted); font-size: .88em; } .quote { font-style: italic; }
figure { margin: 0; } figcaption { color: var(--muted); font-size: .88em; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { font: 12px system-ui, sans-serif; fill: var(--ink); }
.legend span { display: inline-block; margin-right: 14px; font-size: .88em; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
@page { size: A4; margin: 15mm; }
@media print { body { max-width: none; padding: 0; font-size: 10.5pt; } h1, h2, h3 { break-after: avoid; } tr, figure { break-inside: avoid; } }
"#;

/// A whole page around `body` (already HTML), titled `title`.
pub fn page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        lang.code(),
        escape(title)
    )
}

fn verdict_badge(lang: Lang, v: Option<Verdict>) -> String {
    match v {
        Some(v) => format!("<span class=\"verdict v-{}\">{}</span>", v.code(), escape(labels::verdict(lang, v))),
        None => format!("<span class=\"verdict v-none\">{}</span>", escape(word(lang, Word::NotAssessed))),
    }
}

/// The status as an HTML table; with an owner column when any recommendation has an owner
/// ([`projections::RecommendationStatus::owner`]).
pub fn status_table(status: &Status, lang: Lang) -> String {
    let owners = status.recommendations.iter().any(|r| r.owner.is_some());
    let mut out = String::from("<table class=\"status\">\n<thead><tr>");
    let mut head =
        vec![Word::Recommendation, Word::Stance, Word::Commitments, Word::Actions, Word::Verdict, Word::AsOf];
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
        let _ = writeln!(
            out,
            "<tr><td><strong>{}.</strong> {}<br><span class=\"muted\">{}</span></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td>{owner}</tr>",
            r.number,
            escape(r.text.as_deref().unwrap_or("")),
            escape(r.id.as_str()),
            escape(r.stance.map_or(word(lang, Word::NoResponse), |s| labels::stance(lang, s))),
            r.commitments.len(),
            actions,
            verdict_badge(lang, r.verdict)
                + &r.verdict_judgement
                    .map(|j| format!("<br><span class=\"muted\">{}</span>", escape(labels::judgement(lang, j))))
                    .unwrap_or_default(),
            escape(&r.verdict_as_of.as_ref().map(|d| labels::date(lang, d)).unwrap_or_default()),
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

/// Does `e` concern recommendation `r`: its own stream, or a report-level event naming it or the whole report.
fn concerns(e: &TimelineEntry, r: &RecommendationStatus) -> bool {
    e.stream.report() == r.report && e.concerned().concerns(r.number)
}

/// How a kind of event is drawn: a row within the lane and a colour.
fn mark_style(kind: EventType) -> (usize, &'static str) {
    match kind {
        EventType::ExecutiveResponded | EventType::ExecutiveReported => (0, "#3b6fb6"),
        EventType::CommitteeDiscussed | EventType::CouncilDecided | EventType::CouncilMotionVoted => (1, "#7b4fa3"),
        EventType::CommitmentMade | EventType::CommitmentRevised => (2, "#d9822b"),
        EventType::ActionTaken => (3, "#2e8b57"),
        EventType::StatusAssessed => (4, "#1d2433"),
        EventType::EventRetracted => (4, "#c0392b"),
        EventType::ReportPublished
        | EventType::RecommendationIssued
        | EventType::AuditorCommented
        | EventType::ContextNoted => (5, "#8a93a3"),
    }
}

fn verdict_fill(v: Verdict) -> &'static str {
    match v {
        Verdict::NotImplemented => "#e8776b",
        Verdict::InProgress => "#f2c14e",
        Verdict::PartiallyImplemented => "#f4a259",
        Verdict::Implemented => "#5cb85c",
        Verdict::NoLongerRelevant => "#a0a7b4",
    }
}

/// An SVG chart: one lane per recommendation across the years, events as marks by kind (a partial date as a
/// span over its interval, a day as a point), each verdict as a coloured band from its as-of date, hover titles
/// with the summary and the source. The years run from the first report's publication to the last event.
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
    let lanes = status.recommendations.len();
    let height = top + lane_h * lanes as f64 + 10.0;
    let mut out = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n",
        escape(&format!("{} {first_year}–{last_year}", word(lang, Word::Timeline)))
    );
    // Years: a rule and a label at each 1 January.
    for year in first_year..=last_year + 1 {
        let Ok(d) = Date::new(year, 1, 1) else { continue };
        let xx = if year > last_year { left + plot } else { x(d) };
        let _ = writeln!(
            out,
            "<line x1=\"{xx:.1}\" y1=\"{}\" x2=\"{xx:.1}\" y2=\"{}\" stroke=\"#d7dbe3\"/>",
            top - 6.0,
            height - 10.0
        );
        if year <= last_year {
            let mid = (xx + x(Date::new(year, 12, 31).unwrap_or(d))) / 2.0;
            let _ = writeln!(out, "<text x=\"{mid:.1}\" y=\"{}\" text-anchor=\"middle\">{year}</text>", top - 12.0);
        }
    }
    let mut hidden = 0;
    // Each lane looks only at its report's entries: grouped once, not searched for each lane.
    let mut entries_of: std::collections::HashMap<&str, Vec<&TimelineEntry>> = std::collections::HashMap::new();
    for e in &timeline.entries {
        entries_of.entry(e.stream.report()).or_default().push(e);
    }
    let several =
        status.recommendations.first().is_some_and(|f| status.recommendations.iter().any(|o| o.report != f.report));
    for (i, r) in status.recommendations.iter().enumerate() {
        let y0 = top + lane_h * i as f64;
        let _ = writeln!(out, "<g class=\"lane\" data-recommendation=\"{}\">", escape(r.id.as_str()));
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"{y0:.1}\" width=\"{width}\" height=\"{lane_h}\" fill=\"{}\"/>",
            if i % 2 == 0 { "#f4f6f9" } else { "#ffffff" }
        );
        // Verdict bands, from each standing verdict's as-of date to the next one's or the end.
        let standing: Vec<_> = r.verdicts.iter().filter(|v| v.superseded_by.is_none()).collect();
        for (k, v) in standing.iter().enumerate() {
            let from = x(v.as_of.start());
            let to = standing.get(k + 1).map_or(left + plot, |n| x(n.as_of.start()));
            let title = format!(
                "{}: {} ({} {})",
                word(lang, Word::Verdict),
                labels::verdict(lang, v.verdict),
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
        }
        let name =
            if several { r.id.to_string() } else { format!("{} {}", word(lang, Word::Recommendation), r.number) };
        let label: String = r.text.as_deref().unwrap_or("").chars().take(26).collect();
        let ellipsis = if r.text.as_deref().unwrap_or("").chars().count() > 26 { "…" } else { "" };
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"{:.1}\"><tspan font-weight=\"600\">{}</tspan><tspan x=\"8\" dy=\"15\">{}{ellipsis}</tspan><title>{}</title></text>",
            y0 + 22.0,
            escape(&name),
            escape(&label),
            escape(r.text.as_deref().unwrap_or(""))
        );
        let own = entries_of.get(r.report.as_str()).map(Vec::as_slice).unwrap_or_default();
        for e in own.iter().copied().filter(|e| concerns(e, r)) {
            if e.occurred.end() < start {
                hidden += 1;
                continue;
            }
            let (row, colour) = mark_style(e.kind);
            let y = y0 + 7.0 + row as f64 * 8.0;
            let mut title = format!("{} — {}", labels::date(lang, &e.occurred), labels::kind(lang, e.kind));
            let detail = labels::entry_detail(lang, e);
            if !detail.is_empty() {
                let _ = write!(title, ": {detail}");
            }
            let _ = write!(
                title,
                "\n{}\n{}: {}, {}",
                e.summary,
                word(lang, Word::Source),
                e.source.document,
                e.source.locator
            );
            let title = escape(&title);
            let class = format!("mark k-{}", e.kind);
            // A qualified date (~ approximate, ? uncertain) is drawn paler and dashed.
            let qualified = if e.occurred.qualifier() == events::Qualifier::Exact {
                ""
            } else {
                " stroke-dasharray=\"2 2\" stroke-width=\"1\" stroke=\"#1d2433\" opacity=\"0.55\""
            };
            if e.occurred.precision() == Precision::Day {
                let _ = writeln!(
                    out,
                    "<circle class=\"{class}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\"{qualified}><title>{title}</title></circle>",
                    x(e.occurred.start()),
                    y + 3.0
                );
            } else {
                let from = x(e.occurred.start());
                let to = x(e.occurred.end().tomorrow().unwrap_or(e.occurred.end()));
                let _ = writeln!(
                    out,
                    "<rect class=\"{class}\" x=\"{from:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"6\" rx=\"3\" fill=\"{colour}\" fill-opacity=\"0.75\"{qualified}><title>{title}</title></rect>",
                    (to - from).max(3.0)
                );
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    let mut legend = String::from("<p class=\"legend\">");
    for kind in [
        EventType::ExecutiveResponded,
        EventType::CouncilDecided,
        EventType::CommitmentMade,
        EventType::ActionTaken,
        EventType::StatusAssessed,
        EventType::ContextNoted,
    ] {
        let name = labels::kind(lang, kind);
        let _ = write!(legend, "<span><i style=\"background:{}\"></i>{}</span>", mark_style(kind).1, escape(name));
    }
    for v in Verdict::ALL {
        let _ = write!(
            legend,
            "<span><i style=\"background:{};opacity:.6\"></i>{}</span>",
            verdict_fill(v),
            escape(labels::verdict(lang, v))
        );
    }
    legend.push_str("</p>\n");
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
        Lang::En => "A lane per recommendation; a bar spans the period a date covers (a year, a season, a month), a dot is a day, a pale dashed mark an approximate or uncertain date; coloured bands show each verdict from its as-of date. Report-level events appear in every lane they concern. Hover for details and sources.",
        Lang::Nl => "Een baan per aanbeveling; een balk beslaat de periode van een datum (jaar, seizoen, maand), een stip is een dag, een bleke gestippelde markering een geschatte of onzekere datum; gekleurde banden tonen elk oordeel vanaf de stand per datum. Gebeurtenissen op rapportniveau staan in elke baan waarop ze betrekking hebben. Wijs aan voor details en bronnen.",
    };
    format!("<figure>\n{out}<figcaption>{}{}</figcaption>\n{legend}</figure>\n", escape(caption), escape(&note))
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
            "<tr><td style=\"white-space:nowrap\">{}</td><td>{what}</td><td>{}</td><td class=\"source\">{}, {}{quote}</td></tr>",
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
