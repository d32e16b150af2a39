//! Output of projections: readable tables for people, JSON for machines.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use projections::{Status, Timeline};

use super::human;
use crate::Format;

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

/// Writes the status: `{"recommendations": [...], "anomalies": [...]}` or a table.
pub fn status(out: &mut impl Write, format: Format, status: &Status) -> Result<()> {
    if format == Format::Json {
        serde_json::to_writer(&mut *out, status)?;
        writeln!(out)?;
        return Ok(());
    }
    let claims = status.recommendations.iter().any(|r| r.claim.is_some());
    let mut header = vec!["Recommendation", "Stance", "Council", "Commitments", "Actions", "Verdict"];
    if claims {
        header.push("Executive claims");
    }
    let mut t = table(&header);
    for r in &status.recommendations {
        let text = r.text.as_deref().unwrap_or("(not issued)");
        let council = r
            .council
            .iter()
            .map(|c| match (c.kind, c.result) {
                ("motion", Some(res)) => {
                    format!("{}: motion {}", human::date(&c.occurred), human::motion(res, c.votes.as_ref()))
                }
                _ => format!("{}: decision", human::date(&c.occurred)),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let totals: Vec<String> = r.totals_cents.iter().map(|(c, v)| human::amount(*v, c)).collect();
        let actions = if totals.is_empty() {
            r.actions.len().to_string()
        } else {
            format!("{}\n{}", r.actions.len(), totals.join("\n"))
        };
        let verdict = match (&r.verdict, &r.verdict_as_of) {
            (Some(v), Some(d)) => format!("{}\nas of {}", human::verdict(*v), human::date(d)),
            _ => "not assessed".into(),
        };
        let mut commitments = r.commitments.len().to_string();
        for c in &r.commitments {
            let Some(now) = &c.current_due else { continue };
            let kept = if c.kept_by.is_some() { ", kept" } else { "" };
            match &c.due {
                Some(first) if !c.revisions.is_empty() => commitments.push_str(&format!(
                    "\ndue {} (first {}, slipped {}x){kept}",
                    human::date(now),
                    human::date(first),
                    c.slips
                )),
                _ => commitments.push_str(&format!("\ndue {}{kept}", human::date(now))),
            }
        }
        let mut row = vec![
            Cell::new(format!("{}. {}\n{}", r.number, text, r.id)),
            Cell::new(r.stance.map_or("no response", human::stance)),
            Cell::new(council),
            Cell::new(commitments),
            Cell::new(actions),
            Cell::new(verdict),
        ];
        if claims {
            let when = r.claim_occurred.as_ref().map(|d| format!(" ({})", human::date(d))).unwrap_or_default();
            let claim = match (r.claim, r.claim_disagrees) {
                (None, _) => String::new(),
                (Some(c), Some(true)) => format!("{}{when}\nDISAGREES with verdict", human::claim(c)),
                (Some(c), _) => format!("{}{when}", human::claim(c)),
            };
            row.push(Cell::new(claim));
        }
        t.add_row(row);
    }
    if status.recommendations.is_empty() {
        writeln!(out, "No recommendations in this window.")?;
    } else {
        writeln!(out, "{t}")?;
    }
    for a in &status.anomalies {
        writeln!(out, "note: {}{}", a.position.map(|p| format!("position {p}: ")).unwrap_or_default(), a.message)?;
    }
    Ok(())
}

/// Writes a timeline: `{"entries": [...]}` or a table.
pub fn timeline(out: &mut impl Write, format: Format, timeline: &Timeline) -> Result<()> {
    if format == Format::Json {
        serde_json::to_writer(&mut *out, timeline)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut t = table(&["Date", "Rec.", "Event", "Summary", "Source"]);
    for e in &timeline.entries {
        let recs = match e.stream.recommendation() {
            Some(n) => n.to_string(),
            None if e.recommendations.is_empty() => "all".into(),
            None => e.recommendations.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        };
        let what =
            if e.detail.is_empty() { human::kind(e.kind) } else { format!("{}\n{}", human::kind(e.kind), e.detail) };
        t.add_row(vec![
            Cell::new(human::date(&e.occurred)),
            Cell::new(recs),
            Cell::new(what),
            Cell::new(&e.summary),
            Cell::new(&e.source.locator),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "{} entries", timeline.entries.len())?;
    Ok(())
}

/// Writes the overdue commitments on `day`: `{"on", "overdue": [...]}` or a table.
pub fn due(out: &mut impl Write, format: Format, day: events::Date, overdue: &[projections::Overdue]) -> Result<()> {
    if format == Format::Json {
        serde_json::to_writer(&mut *out, &serde_json::json!({"on": day.to_string(), "overdue": overdue}))?;
        writeln!(out)?;
        return Ok(());
    }
    if overdue.is_empty() {
        writeln!(out, "No commitment is overdue on {day}.")?;
        return Ok(());
    }
    let mut t = table(&["Recommendation", "Commitment", "Made", "Due first", "Due now", "Slipped", "Days overdue"]);
    for o in overdue {
        let c = &o.commitment;
        let d = |x: &Option<events::PartialDate>| x.as_ref().map(human::date).unwrap_or_default();
        t.add_row(vec![
            Cell::new(&o.recommendation),
            Cell::new(&c.summary),
            Cell::new(human::date(&c.occurred)),
            Cell::new(d(&c.due)),
            Cell::new(d(&c.current_due)),
            Cell::new(format!("{}x", c.slips)),
            Cell::new(o.days_overdue),
        ]);
    }
    writeln!(out, "{t}")?;
    let n = overdue.len();
    writeln!(out, "{n} commitment{} overdue on {day}", if n == 1 { "" } else { "s" })?;
    Ok(())
}
