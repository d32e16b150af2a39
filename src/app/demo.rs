//! The main job on the embedded case: the Rekenkamer Amsterdam follow-up imported into a fresh store, then its
//! status, its summary on the last day of the last verdict's as-of date, its timeline from the report's
//! publication to the last verdict, and its verification.

use events::{Body, Date};
use projections::{Status, Summary, Timeline, TimelineFilter, Window};

use super::{verify_store, AppError, Outcome, Principal};
use crate::store::EventStore;

/// The case: every dated fact of the Rekenkamer Amsterdam follow-up on aftercare for ex-prisoners.
pub const CASE: &str = include_str!("../../examples/nazorg-amsterdam.jsonl");

/// What the demo shows.
#[derive(Clone, Debug)]
pub struct Demo {
    /// How many events were imported.
    pub imported: usize,
    /// The status of the five recommendations.
    pub status: Status,
    /// The day the summary judges on: the last day of the latest verdict's as-of date (the state of affairs the
    /// follow-up describes), so the demo's figures never depend on today.
    pub summary_on: Date,
    /// Verdict counts, rates and commitments on `summary_on`.
    pub summary: Summary,
    /// The timeline from the report's publication to the last verdict.
    pub timeline: Timeline,
    /// How many entries of background before the report that timeline leaves out.
    pub earlier: usize,
    /// The verification of every verdict and of the chain.
    pub verified: Outcome,
}

/// Imports [`CASE`] into `store` (a fresh one) as `principal` and reads it back.
///
/// # Errors
/// The import refused, or the store failing.
pub fn demo(store: &dyn EventStore, principal: &Principal) -> Result<Demo, AppError> {
    let report = crate::import::import(store, CASE.as_bytes(), principal.name(), |_| {})?;
    let events: Vec<events::RecordedEvent> = store.events(1).collect::<Result<_, _>>()?;
    let status = super::status(store, Window::default(), None, None)?;
    let published = events.iter().find(|e| matches!(e.body, Body::ReportPublished(_))).map(|e| e.occurred.start());
    let last_verdict = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::StatusAssessed(b) => Some(b.as_of.end()),
            _ => None,
        })
        .max();
    let filter = TimelineFilter { stream: None, from: published, to: last_verdict };
    let timeline = projections::timeline(&events, Window::default(), filter);
    let all = projections::timeline(&events, Window::default(), TimelineFilter::default()).entries.len();
    let verified = verify_store(store, Window::default(), None)?;
    let summary_on = last_verdict.unwrap_or_default();
    let summary = super::summary(store, None, summary_on, None)?;
    Ok(Demo {
        imported: report.appended,
        status,
        summary_on,
        summary,
        earlier: all - timeline.entries.len(),
        timeline,
        verified,
    })
}
