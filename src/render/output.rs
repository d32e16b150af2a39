//! Output of projections as the command line writes them (and the server, when asked for a `format`): tables
//! for people (in English or Dutch), JSON for machines, and Markdown, CSV and HTML through the other renderers.

use std::io::{IsTerminal, Write};

use crate::render::{self, labels, word, Lang, Word};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use projections::{RecommendationStatus, Status, Summary, Timeline};

/// What a command writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for people.
    Text,
    /// JSON for machines.
    Json,
    /// Markdown.
    Md,
    /// CSV.
    Csv,
    /// A standalone HTML page.
    Html,
}

impl Format {
    /// Parses `text`, `json`, `md`, `csv` or `html`.
    ///
    /// # Errors
    /// A message naming the text and the formats.
    pub fn parse(text: &str) -> std::result::Result<Format, String> {
        match text {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "md" => Ok(Format::Md),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(format!("`{other}` is not a format: give text, json, md, csv or html")),
        }
    }

    /// The media type of what the format writes.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; charset=utf-8",
            Format::Json => "application/json",
            Format::Md => "text/markdown; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// Why output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The command does not write the format asked for.
    #[error("{0}")]
    Format(String),
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Writing JSON failed.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

type Result<T> = std::result::Result<T, OutputError>;

/// How output is written: format, language, and whether CSV starts with a byte order mark.
#[derive(Clone, Copy)]
pub struct Style {
    /// The format.
    pub format: Format,
    /// The language of labels.
    pub lang: Lang,
    /// A byte order mark before CSV.
    pub bom: bool,
}

/// A table cell holding `text` with its bidirectional control characters shown by their codes, so that no text
/// from the log reverses the rest of a row.
pub fn cell(text: impl std::fmt::Display) -> Cell {
    Cell::new(labels::visible(&text.to_string()))
}

/// A table with the house style.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    // On a terminal the table fits its width; in a file or pipe, 160 columns.
    if !std::io::stdout().is_terminal() {
        t.set_width(160);
    }
    t.set_header(header.iter().map(Cell::new));
    t
}

/// Refuses a format a command does not write.
pub fn only_text_or_json(format: Format, command: &str) -> Result<()> {
    if matches!(format, Format::Text | Format::Json) {
        return Ok(());
    }
    Err(OutputError::Format(format!("{command} writes --format text or json")))
}

fn json(out: &mut impl Write, value: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes the status: JSON `{"recommendations": [...], "anomalies": [...]}`, a table, Markdown, CSV or HTML.
pub fn status(out: &mut impl Write, style: Style, status: &Status) -> Result<()> {
    let lang = style.lang;
    match style.format {
        Format::Json => return json(out, status),
        Format::Md => return Ok(out.write_all(render::markdown::status(status, lang).as_bytes())?),
        Format::Csv => return Ok(out.write_all(render::csv::status(status, lang, style.bom).as_bytes())?),
        Format::Html => {
            let body = format!("<h1>{}</h1>\n{}", word(lang, Word::Status), render::html::status_table(status, lang));
            return Ok(out.write_all(render::html::page(lang, word(lang, Word::Status), &body).as_bytes())?);
        }
        Format::Text => {}
    }
    let claims = status.recommendations.iter().any(|r| r.claim.is_some());
    let owners = status.recommendations.iter().any(|r| r.owner.is_some());
    let mut header =
        vec![Word::Recommendation, Word::Stance, Word::Council, Word::Commitments, Word::Actions, Word::Verdict];
    if claims {
        header.push(Word::ExecutiveClaims);
    }
    if owners {
        header.push(Word::Owner);
    }
    if status.recommendations.is_empty() {
        writeln!(out, "{}", lang.pick("No recommendations in this window.", "Geen aanbevelingen in dit venster."))?;
    }
    // A table per report, under its title, auditor, date and URL.
    let header: Vec<&str> = header.iter().map(|w| word(lang, *w)).collect();
    let mut rows = status.recommendations.iter().peekable();
    while let Some(first) = rows.next() {
        let mut t = table(&header);
        let row = |r: &RecommendationStatus| {
            let mut row = status_row(lang, r, claims);
            if owners {
                row.push(cell(r.owner.as_deref().unwrap_or("")));
            }
            row
        };
        t.add_row(row(first));
        while let Some(r) = rows.next_if(|r| r.report == first.report) {
            t.add_row(row(r));
        }
        writeln!(out, "{}", report_heading(lang, status, &first.report))?;
        writeln!(out, "{t}")?;
    }
    if status
        .recommendations
        .iter()
        .flat_map(|r| &r.commitments)
        .any(|c| c.kept_by.is_some() && c.current_due.is_some())
    {
        writeln!(out, "{}", word(lang, Word::KeptMark))?;
    }
    for a in &status.anomalies {
        writeln!(out, "note: {}{}", a.position.map(|p| format!("position {p}: ")).unwrap_or_default(), a.message)?;
    }
    Ok(())
}

/// A report's heading, bidirectional controls shown by their codes.
fn report_heading(lang: Lang, status: &Status, id: &str) -> String {
    labels::visible(&labels::report_heading(lang, status, id)).into_owned()
}

/// One recommendation's row of the status table; with `claims`, its executive's claim too.
fn status_row(lang: Lang, r: &RecommendationStatus, claims: bool) -> Vec<Cell> {
    let text = r.text.as_deref().unwrap_or("");
    let council = council_cell(lang, r);
    let totals: Vec<String> = r.totals_cents.iter().map(|(c, v)| labels::amount(lang, *v, c)).collect();
    let actions = if totals.is_empty() {
        r.actions.len().to_string()
    } else {
        format!("{}\n{}", r.actions.len(), totals.join("\n"))
    };
    let judged = r.verdict_judgement.map(|j| format!("\n{}", labels::judgement(lang, j))).unwrap_or_default();
    let verdict = match (&r.verdict, &r.verdict_as_of) {
        (Some(v), Some(d)) => format!(
            "{}\n{} {}{judged}",
            labels::verdict_labelled(lang, *v, r.verdict_label.as_deref()),
            word(lang, Word::AsOf).to_lowercase(),
            labels::date(lang, d)
        ),
        _ => word(lang, Word::NotAssessed).to_owned(),
    };
    let commitments = commitments_cell(lang, r);
    let mut row = vec![
        cell(format!("{}. {}\n{}", r.number, text, r.id)),
        cell(r.stance.map_or(word(lang, Word::NoResponse), |s| labels::stance(lang, s))),
        cell(council),
        cell(commitments),
        cell(actions),
        cell(verdict),
    ];
    if claims {
        let when = r.claim_occurred.as_ref().map(|d| format!(" ({})", labels::date(lang, d))).unwrap_or_default();
        let claim = match (r.claim, r.claim_disagrees) {
            (None, _) => String::new(),
            (Some(c), Some(true)) => format!("{}{when}\n{}", labels::claim(lang, c), word(lang, Word::Disagrees)),
            (Some(c), _) => format!("{}{when}", labels::claim(lang, c)),
        };
        row.push(cell(claim));
    }
    row
}

/// The council's decisions and motions on a recommendation, a line each.
fn council_cell(lang: Lang, r: &RecommendationStatus) -> String {
    r.council
        .iter()
        .map(|c| match (c.kind, c.result) {
            ("motion", Some(res)) => format!(
                "{}: {} {}",
                labels::date(lang, &c.occurred),
                labels::kind(lang, events::EventType::CouncilMotionVoted),
                labels::motion(lang, res, c.votes.as_ref())
            ),
            _ => format!(
                "{}: {}",
                labels::date(lang, &c.occurred),
                labels::kind(lang, events::EventType::CouncilDecided)
            ),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many commitments, then each current due date (with the first and how often it slipped, ✓ when an
/// action keeps it, and its current owner when that is not the recommendation's).
fn commitments_cell(lang: Lang, r: &RecommendationStatus) -> String {
    let mut cell = r.commitments.len().to_string();
    for c in &r.commitments {
        let Some(now) = &c.current_due else { continue };
        let kept = match &c.current_owner {
            Some(o) if c.current_owner != r.owner => format!("{} ({o})", if c.kept_by.is_some() { " ✓" } else { "" }),
            _ => if c.kept_by.is_some() { " ✓" } else { "" }.to_owned(),
        };
        let due = word(lang, Word::Due);
        match &c.due {
            Some(first) if !c.revisions.is_empty() => cell.push_str(&format!(
                "\n{due} {} ({} {}, {}x){kept}",
                labels::date(lang, now),
                match lang {
                    Lang::En => "first",
                    Lang::Nl => "eerst",
                },
                labels::date(lang, first),
                c.slips
            )),
            _ => cell.push_str(&format!("\n{due} {}{kept}", labels::date(lang, now))),
        }
    }
    cell
}

/// Writes a timeline: JSON `{"entries": [...]}`, a table, Markdown or HTML grouped by recommendation (with
/// `status`), or CSV.
pub fn timeline(out: &mut impl Write, style: Style, timeline: &Timeline, status: &Status) -> Result<()> {
    let lang = style.lang;
    match style.format {
        Format::Json => return json(out, timeline),
        Format::Md => return Ok(out.write_all(render::markdown::timeline(timeline, status, lang).as_bytes())?),
        Format::Csv => return Ok(out.write_all(render::csv::timeline(timeline, lang, style.bom).as_bytes())?),
        Format::Html => {
            let body = format!(
                "<h1>{}</h1>\n{}{}",
                word(lang, Word::Timeline),
                render::html::chart(status, timeline, lang),
                render::html::timeline_sections(timeline, status, lang)
            );
            return Ok(out.write_all(render::html::page(lang, word(lang, Word::Timeline), &body).as_bytes())?);
        }
        Format::Text => {}
    }
    let mut t =
        table(&[Word::Date, Word::Recommendation, Word::Event, Word::Summary, Word::Source].map(|w| word(lang, w)));
    // With several reports a recommendation's number alone is ambiguous: each row names its report, and the
    // reports are listed under the table.
    let mut reports: Vec<&str> = timeline.entries.iter().map(|e| e.stream.report()).collect();
    reports.sort_unstable();
    reports.dedup();
    let several = reports.len() > 1;
    for e in &timeline.entries {
        let recs = match e.concerned() {
            events::Concerned::Report => word(lang, Word::All).to_owned(),
            c => c.numbers().iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        };
        let recs = if several { format!("{}\n{recs}", e.stream.report()) } else { recs };
        let detail = labels::entry_detail(lang, e);
        let what = if detail.is_empty() {
            labels::kind(lang, e.kind).to_owned()
        } else {
            format!("{}\n{detail}", labels::kind(lang, e.kind))
        };
        t.add_row(vec![
            cell(labels::date(lang, &e.occurred)),
            cell(recs),
            cell(what),
            cell(&e.summary),
            cell(&e.source.locator),
        ]);
    }
    writeln!(out, "{t}")?;
    if several {
        for r in &reports {
            writeln!(out, "{}", report_heading(lang, status, r))?;
        }
    }
    let n = timeline.entries.len();
    let noun = match (lang, n) {
        (Lang::En, 1) => "entry",
        (Lang::En, _) => "entries",
        (Lang::Nl, 1) => "gebeurtenis",
        (Lang::Nl, _) => "gebeurtenissen",
    };
    writeln!(out, "{n} {noun}")?;
    Ok(())
}

/// Writes the summary: JSON, a table, Markdown or HTML.
pub fn summary(out: &mut impl Write, style: Style, summary: &Summary) -> Result<()> {
    let lang = style.lang;
    match style.format {
        Format::Json => return json(out, summary),
        Format::Html => {
            let body =
                format!("<h1>{}</h1>\n{}", word(lang, Word::VerdictSummary), render::html::summary(summary, lang));
            return Ok(out.write_all(render::html::page(lang, word(lang, Word::VerdictSummary), &body).as_bytes())?);
        }
        Format::Csv => return Err(OutputError::Format("summary writes --format text, json, md or html".into())),
        Format::Md => return Ok(out.write_all(render::markdown::summary(summary, lang).as_bytes())?),
        Format::Text => {}
    }
    let (names, figures) = render::html::summary_rows(summary, lang);
    let mut header = vec![String::new()];
    header.extend(names);
    let mut t = table(&header.iter().map(String::as_str).collect::<Vec<_>>());
    for (label, cells) in figures {
        let mut row = vec![cell(label)];
        row.extend(cells.into_iter().map(cell));
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    Ok(())
}

/// Writes a summary on another office's scale: `{"scale", "categories", "reports", "overall", "losses"}` or a
/// table of the counts per category (rows) per report and overall (columns), the rate, and what the mapping
/// loses.
pub fn scale_summary(out: &mut impl Write, style: Style, s: &projections::ScaleSummary) -> Result<()> {
    only_text_or_json(style.format, "summary --scale")?;
    if style.format == Format::Json {
        return json(out, s);
    }
    let mut header = vec![format!("{} {}", s.scale.code().to_uppercase(), style.lang.pick("scale", "schaal"))];
    header.extend(s.reports.iter().map(|r| r.report.clone()));
    header.push(style.lang.pick("overall", "totaal").to_owned());
    let mut t = table(&header.iter().map(String::as_str).collect::<Vec<_>>());
    let columns: Vec<&projections::ScaleCounts> = s.reports.iter().chain(std::iter::once(&s.overall)).collect();
    for c in s.categories {
        let mut row = vec![cell(c.name)];
        row.extend(columns.iter().map(|r| cell(r.counts.get(c.code).copied().unwrap_or(0))));
        t.add_row(row);
    }
    let mut assessed = vec![cell(style.lang.pick("assessed", "beoordeeld"))];
    assessed.extend(columns.iter().map(|r| cell(format!("{} / {}", r.assessed, r.recommendations))));
    t.add_row(assessed);
    let done: Vec<&str> = s.categories.iter().filter(|c| c.implemented).map(|c| c.name).collect();
    let mut rate = vec![cell(format!("{} {}", style.lang.pick("rate:", "aandeel:"), done.join(", ")))];
    rate.extend(columns.iter().map(|r| cell(r.rate.map_or("–".into(), |x| format!("{:.0}%", x * 100.0)))));
    t.add_row(rate);
    writeln!(out, "{t}")?;
    for loss in s.losses {
        writeln!(out, "{} {loss}", style.lang.pick("Lost in the mapping:", "Verloren in de vertaling:"))?;
    }
    Ok(())
}

/// Writes the scores of drafts against a hand-encoded log, and the time phrases not read: `{"scores": [...],
/// "unread": [...]}` or a table with each kind's recall and precision, then what was missed and what was extra.
pub fn draft_scores(
    out: &mut impl Write,
    style: Style,
    scores: &[crate::draft::compare::Score],
    unread: &[crate::draft::Unread],
) -> Result<()> {
    only_text_or_json(style.format, "draft --compare")?;
    if style.format == Format::Json {
        let scores: Vec<_> = scores
            .iter()
            .map(|s| {
                serde_json::json!({"kind": s.kind, "reference": s.reference, "drafted": s.drafted, "matched": s.matched,
                    "recall": s.recall(), "precision": s.precision(), "missed": s.missed, "extra": s.extra})
            })
            .collect();
        let unread: Vec<_> =
            unread.iter().map(|u| serde_json::json!({"line": u.line, "phrase": u.phrase, "why": u.why})).collect();
        return json(out, &serde_json::json!({"scores": scores, "unread": unread}));
    }
    let mut t = table(&["kind", "reference", "drafted", "matched", "recall", "precision"]);
    for s in scores {
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        t.add_row(vec![
            cell(s.kind.to_owned()),
            cell(s.reference.to_string()),
            cell(s.drafted.to_string()),
            cell(s.matched.to_string()),
            cell(pct(s.recall())),
            cell(pct(s.precision())),
        ]);
    }
    writeln!(out, "{t}")?;
    for s in scores {
        for m in &s.missed {
            writeln!(out, "missed  {}: {m}", s.kind)?;
        }
        for e in &s.extra {
            writeln!(out, "extra   {}: {e}", s.kind)?;
        }
    }
    for u in unread {
        writeln!(out, "unread  line {}: \"{}\" ({})", u.line, u.phrase, u.why)?;
    }
    Ok(())
}

/// Writes the overdue commitments on `day`: `{"on", "overdue": [...]}` or a table.
pub fn due(out: &mut impl Write, style: Style, day: events::Date, overdue: &[projections::Overdue]) -> Result<()> {
    let lang = style.lang;
    only_text_or_json(style.format, "due")?;
    if style.format == Format::Json {
        return json(out, &serde_json::json!({"on": day.to_string(), "overdue": overdue}));
    }
    if overdue.is_empty() {
        match lang {
            Lang::En => writeln!(out, "No commitment is overdue on {day}.")?,
            Lang::Nl => writeln!(out, "Op {day} is geen toezegging over tijd.")?,
        }
        return Ok(());
    }
    let header = match lang {
        Lang::En => ["Recommendation", "Commitment", "Made", "Due first", "Due now", "Slipped", "Days overdue"],
        Lang::Nl => [
            "Aanbeveling",
            "Toezegging",
            "Gedaan",
            "Eerste termijn",
            "Huidige termijn",
            "Verschoven",
            "Dagen over tijd",
        ],
    };
    let mut header = header.to_vec();
    header.insert(2, word(lang, Word::Owner));
    let mut t = table(&header);
    for o in overdue {
        let c = &o.commitment;
        let d = |x: &Option<events::PartialDate>| x.as_ref().map(|d| labels::date(lang, d)).unwrap_or_default();
        t.add_row(vec![
            cell(&o.recommendation),
            cell(&c.summary),
            cell(o.owner.as_deref().unwrap_or("")),
            cell(labels::date(lang, &c.occurred)),
            cell(d(&c.due)),
            cell(d(&c.current_due)),
            cell(format!("{}x", c.slips)),
            cell(o.days_overdue),
        ]);
    }
    writeln!(out, "{t}")?;
    let n = overdue.len();
    match lang {
        Lang::En => writeln!(out, "{n} commitment{} overdue on {day}", if n == 1 { "" } else { "s" })?,
        Lang::Nl => writeln!(out, "{n} {} over tijd op {day}", if n == 1 { "toezegging" } else { "toezeggingen" })?,
    }
    Ok(())
}
