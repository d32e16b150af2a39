//! Markdown for reports: a status table, and a timeline table per recommendation, ready to paste.

use std::fmt::Write;

use projections::{ReportSummary, Status, Summary, Timeline, TimelineEntry};

use super::labels::{self, word, Lang, Word};

/// A table cell: pipes and backslashes escaped, line breaks folded, `<` and `&` written as entities so that no
/// text from the log becomes markup.
pub fn cell(text: &str) -> String {
    let text = labels::visible(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '*' | '_' | '`' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for c in cells {
        let _ = write!(out, " {} |", c);
    }
    out.push('\n');
}

fn header(out: &mut String, cells: &[&str]) {
    row(out, &cells.iter().map(|c| cell(c)).collect::<Vec<_>>());
    out.push('|');
    for _ in cells {
        out.push_str(" --- |");
    }
    out.push('\n');
}

/// The status as Markdown: under a heading per report (its title, auditor, date and URL), a table with a row
/// per recommendation; with an owner column when any recommendation has an owner
/// ([`projections::RecommendationStatus::owner`]).
pub fn status(status: &Status, lang: Lang) -> String {
    let mut out = format!("# {}\n", word(lang, Word::Status));
    let owners = status.recommendations.iter().any(|r| r.owner.is_some());
    let mut head = vec![
        "#",
        word(lang, Word::Recommendation),
        word(lang, Word::Stance),
        word(lang, Word::Verdict),
        word(lang, Word::AsOf),
        word(lang, Word::Actions),
    ];
    if owners {
        head.push(word(lang, Word::Owner));
    }
    let mut current: Option<&str> = None;
    for r in &status.recommendations {
        if current != Some(r.report.as_str()) {
            current = Some(r.report.as_str());
            let _ = write!(out, "\n## {}\n\n", cell(&labels::report_heading(lang, status, &r.report)));
            header(&mut out, &head);
        }
        let totals: Vec<String> = r.totals_cents.iter().map(|(c, v)| labels::amount(lang, *v, c)).collect();
        let actions = if totals.is_empty() {
            r.actions.len().to_string()
        } else {
            format!("{} ({})", r.actions.len(), totals.join(", "))
        };
        let mut cells = vec![
            r.number.to_string(),
            cell(r.text.as_deref().unwrap_or("")),
            cell(r.stance.map_or(word(lang, Word::NoResponse), |s| labels::stance(lang, s))),
            cell(&match (r.verdict, r.verdict_judgement) {
                (Some(v), Some(j)) => format!(
                    "{} ({})",
                    labels::verdict_labelled(lang, v, r.verdict_label.as_deref()),
                    labels::judgement(lang, j)
                ),
                (Some(v), None) => labels::verdict_labelled(lang, v, r.verdict_label.as_deref()),
                (None, _) => word(lang, Word::NotAssessed).to_owned(),
            }),
            cell(&r.verdict_as_of.as_ref().map(|d| labels::date(lang, d)).unwrap_or_default()),
            cell(&actions),
        ];
        if owners {
            cells.push(cell(r.owner.as_deref().unwrap_or("")));
        }
        row(&mut out, &cells);
    }
    out
}

fn entries_table(out: &mut String, entries: &[&TimelineEntry], lang: Lang) {
    header(
        out,
        &[word(lang, Word::Date), word(lang, Word::Event), word(lang, Word::Summary), word(lang, Word::Source)],
    );
    for e in entries {
        let detail = labels::entry_detail(lang, e);
        let what = if detail.is_empty() {
            labels::kind(lang, e.kind).to_owned()
        } else {
            format!("{}: {detail}", labels::kind(lang, e.kind))
        };
        let source = match &e.source.quote {
            Some(q) => format!("{}, {} (“{}”)", e.source.document, e.source.locator, q),
            None => format!("{}, {}", e.source.document, e.source.locator),
        };
        row(out, &[cell(&labels::date(lang, &e.occurred)), cell(&what), cell(&e.summary), cell(&source)]);
    }
}

/// The timeline as Markdown: a table of the report-level entries, then a table per recommendation with its own
/// entries and the report-level ones that name it, each in timeline order.
pub fn timeline(timeline: &Timeline, status: &Status, lang: Lang) -> String {
    let mut out = format!("# {}\n", word(lang, Word::Timeline));
    for section in super::sections(timeline, status) {
        match section.recommendation {
            None => {
                let _ = write!(out, "\n## {}\n\n", cell(&labels::report_heading(lang, status, section.report)));
            }
            Some(_) if section.entries.is_empty() => continue,
            Some(r) => {
                let text = cell(r.text.as_deref().unwrap_or(""));
                let _ = write!(out, "\n## {} {}: {text}\n\n", word(lang, Word::Recommendation), r.number);
            }
        }
        entries_table(&mut out, &section.entries, lang);
    }
    out
}

/// The summary as one Markdown table under a heading: a row per report, and the total when there are several.
pub fn summary(summary: &Summary, lang: Lang) -> String {
    let rows: Vec<&ReportSummary> =
        summary.reports.iter().chain((summary.reports.len() > 1).then_some(&summary.overall)).collect();
    let name = |s: &ReportSummary| {
        if s.report.is_empty() {
            word(lang, Word::Total).to_owned()
        } else {
            s.report.clone()
        }
    };
    let mut head = vec![
        word(lang, Word::Report).to_owned(),
        word(lang, Word::Recommendations).to_owned(),
        word(lang, Word::Assessed).to_owned(),
    ];
    head.extend(events::Verdict::ALL.iter().map(|v| labels::verdict(lang, *v).to_owned()));
    head.extend(
        [
            Word::NotSupported,
            Word::ImplementedRate,
            Word::ImplementedOrPartiallyRate,
            Word::OpenCommitments,
            Word::OverdueCommitments,
        ]
        .map(|w| word(lang, w).to_owned()),
    );
    let cells = |s: &ReportSummary| {
        let mut c = vec![name(s), s.recommendations.to_string(), s.assessed.to_string()];
        c.extend(events::Verdict::ALL.iter().map(|v| s.verdicts.get(v.code()).copied().unwrap_or(0).to_string()));
        c.push(s.not_supported.to_string());
        c.push(super::html::rate(s.implemented, s.assessed));
        c.push(super::html::rate(s.implemented_or_partially, s.assessed));
        c.push(s.open_commitments.to_string());
        c.push(s.overdue_commitments.to_string());
        c
    };
    let mut md = format!("# {}\n\n", word(lang, Word::VerdictSummary));
    header(&mut md, &head.iter().map(String::as_str).collect::<Vec<_>>());
    for s in &rows {
        row(&mut md, &cells(s).iter().map(|c| cell(c)).collect::<Vec<_>>());
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_become_markup() {
        assert_eq!(cell("a|b\\c\n<script>&"), "a\\|b\\\\c &lt;script>&amp;");
        assert_eq!(cell("**b** [l](u) `c` #h _i_"), "\\*\\*b\\*\\* \\[l\\](u) \\`c\\` \\#h \\_i\\_");
    }
}
