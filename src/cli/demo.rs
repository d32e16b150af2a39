//! `followup demo`: the embedded Amsterdam case (2013 to 2017) imported into a fresh temporary store, then its
//! status, its timeline and a check of the hash chain.

use std::io::Write;

use anyhow::{Context, Result};
use projections::{TimelineFilter, Window};

use super::output;
use crate::Format;

/// The case: every dated fact of the Rekenkamer Amsterdam follow-up on aftercare for ex-prisoners.
pub const CASE: &str = include_str!("../../examples/nazorg-amsterdam.jsonl");

/// Runs the demo into `out`.
pub fn run(out: &mut impl Write, style: output::Style) -> Result<()> {
    let format = style.format;
    let dir = tempfile::tempdir().context("could not create a temporary directory")?;
    let store = followup::SledStore::open(dir.path())?;
    let report = followup::import(&store, CASE.as_bytes(), "followup demo", |_| {})
        .context("import of the embedded case failed")?;
    let events: Vec<events::RecordedEvent> = store.events(1).collect::<Result<_, _>>()?;
    let status = projections::status(&events, Window::default());
    // The timeline from the report's publication to the last verdict; earlier background stays in `timeline`.
    let published =
        events.iter().find(|e| matches!(e.body, events::Body::ReportPublished(_))).map(|e| e.occurred.start());
    let last_verdict = events
        .iter()
        .filter_map(|e| match &e.body {
            events::Body::StatusAssessed(b) => Some(b.as_of.end()),
            _ => None,
        })
        .max();
    let filter = TimelineFilter { stream: None, from: published, to: last_verdict };
    let timeline = projections::timeline(&events, Window::default(), filter);
    let earlier = projections::timeline(&events, Window::default(), TimelineFilter::default()).entries.len()
        - timeline.entries.len();
    let chain = followup::verify_chain(&store)?;
    let verified = super::verify::events(&events, chain.clone());
    if format == Format::Json {
        let json = serde_json::json!({
            "imported": report.appended,
            "status": status,
            "timeline": timeline,
            "verdicts": verified.verification.verdicts,
            "chain": {"ok": chain.ok(), "events": chain.events, "head": chain.head.to_string()},
        });
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "Nazorg aan gedetineerden (Rekenkamer Amsterdam, May 2013): {} events imported into {}\n",
        report.appended,
        dir.path().display()
    )?;
    writeln!(out, "Status of the recommendations")?;
    output::status(out, style, &status)?;
    let span = |e: Option<&projections::TimelineEntry>| {
        e.map(|e| followup::render::labels::date(followup::render::Lang::En, &e.occurred)).unwrap_or_default()
    };
    writeln!(out, "\nTimeline, {} to {}", span(timeline.entries.first()), span(timeline.entries.last()))?;
    output::timeline(out, style, &timeline, &status)?;
    if earlier > 0 {
        writeln!(
            out,
            "({earlier} entries of background before the report are left out here; `followup timeline` shows them)"
        )?;
    }
    writeln!(out, "\nVerification: every verdict replayed against its evidence, and the hash chain")?;
    super::verify::write(out, format, style.lang, &verified)?;
    Ok(())
}
