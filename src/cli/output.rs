//! Output of projections: readable tables for people, JSON for machines.

use std::io::Write;

use anyhow::Result;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use projections::{Status, Timeline};

use super::human;
use crate::Format;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(160);
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
    let mut t = table(&["Recommendation", "Stance", "Council", "Commitments", "Actions", "Verdict"]);
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
        t.add_row(vec![
            Cell::new(format!("{}. {}\n{}", r.number, text, r.id)),
            Cell::new(r.stance.map_or("no response", human::stance)),
            Cell::new(council),
            Cell::new(r.commitments.len()),
            Cell::new(actions),
            Cell::new(verdict),
        ]);
    }
    writeln!(out, "{t}")?;
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
