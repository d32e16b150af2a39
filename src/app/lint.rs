//! Warnings on what a write accepted: facts that are valid on their own but look wrong beside the log.
//!
//! The store refuses what breaks a rule of the schema or of references. What follows is accepted, because a
//! correct log passes through such states (a response imported before its recommendation, a plan dated ahead),
//! but each is said to whoever wrote it, naming the event and the field:
//! - `occurred`: a date that starts after the day the store recorded the event (UTC), a fact ahead of its time;
//!   status and summary count it only from that day on, since they default to today;
//! - `data.as_of`: a verdict's state of affairs that runs past the assessment itself (`2017` in an assessment of
//!   November 2017), so it describes days the assessor had not seen;
//! - `type`: a second `recommendation_issued` on a stream, with other text, which the status shows instead of
//!   the first (correct a recommendation by retracting the first one);
//! - `stream`: an event of a recommendation that was never issued, or of a report that was never published;
//! - `data.recommendations`: a report-level event naming a recommendation its report never issued.

use std::collections::{BTreeMap, BTreeSet};

use events::{Body, EventId, RecordedEvent, StreamId};
use serde::Serialize;

use super::AppError;
use crate::store::EventStore;

/// A warning on one written event: its position and id, the field at issue and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The event's position in the log.
    pub position: u64,
    /// The event's id.
    pub event_id: EventId,
    /// The field at issue, as a path into the event line (`data.as_of`).
    pub field: &'static str,
    /// What looks wrong, lowercase, no final period.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "position {} (event {}), field `{}`: {}", self.position, self.event_id, self.field, self.message)
    }
}

/// [`written`] after a commit: the events are stored whatever the reading of them does, so a read failure
/// becomes one warning (at `from`, field `log`) saying so rather than an error that would read as a refusal.
pub fn after_commit(store: &dyn EventStore, from: u64, count: usize) -> Vec<Warning> {
    written(store, from, count).unwrap_or_else(|e| {
        vec![Warning {
            position: from,
            event_id: EventId::from_uuid(uuid::Uuid::nil()),
            field: "log",
            message: format!(
                "the {count} events from position {from} are stored, but the checks on them could not read the log: {e}"
            ),
        }]
    })
}

/// The warnings on the `count` events written from position `from` on (a write's new events), in position order;
/// the checks that need the rest of the log read it from `store` (the streams concerned, not the whole log).
///
/// # Errors
/// [`AppError::Read`] when the store cannot be read.
pub fn written(store: &dyn EventStore, from: u64, count: usize) -> Result<Vec<Warning>, AppError> {
    let mut warnings = Vec::new();
    // Streams (recommendations) and reports the written events need, with the first event that needs each.
    let mut issued_needed: BTreeMap<StreamId, (u64, EventId, &'static str)> = BTreeMap::new();
    let mut published_needed: BTreeMap<String, (u64, EventId)> = BTreeMap::new();
    let mut issued_here: BTreeSet<StreamId> = BTreeSet::new();
    let mut published_here: BTreeSet<String> = BTreeSet::new();
    let mut reissued: Vec<(u64, EventId, StreamId, String)> = Vec::new();
    let mut predecessors: Vec<(u64, EventId, usize, StreamId)> = Vec::new();
    // A few events (a record, an append) are read in this thread; an import's through the store's readers.
    let written: crate::store::EventIter<'_> = if count <= 1024 {
        Box::new(store.read_range(from, count)?.into_iter().map(Ok))
    } else {
        Box::new(store.events(from).take(count))
    };
    for e in written {
        let e = e?;
        let recorded_on = e.recorded_at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        if e.occurred.start() > recorded_on {
            warnings.push(warning(
                &e,
                "occurred",
                format!(
                    "{} lies after the day it was recorded ({recorded_on}): status and summary count it only from then on",
                    e.occurred
                ),
            ));
        }
        let report = e.stream.report().to_owned();
        match &e.body {
            Body::ReportPublished(_) => {
                published_here.insert(report.clone());
            }
            Body::RecommendationReframed(b) => {
                issued_here.insert(e.stream.clone());
                if e.version > 1 {
                    reissued.push((e.position, e.id, e.stream.clone(), b.text.clone()));
                }
                for (i, p) in b.predecessors.iter().enumerate() {
                    predecessors.push((e.position, e.id, i, p.clone()));
                }
            }
            Body::RecommendationIssued(b) => {
                issued_here.insert(e.stream.clone());
                // An issue at version 1 is the stream's first event: there is no earlier one to replace.
                if e.version > 1 {
                    reissued.push((e.position, e.id, e.stream.clone(), b.text.clone()));
                }
            }
            Body::StatusAssessed(b) if b.as_of.end() > e.occurred.end() => warnings.push(warning(
                &e,
                "data.as_of",
                format!(
                    "{} runs past the assessment itself ({}): give the state of affairs as precisely as the assessment is dated",
                    b.as_of, e.occurred
                ),
            )),
            _ => {}
        }
        match e.stream.recommendation() {
            Some(_) if !matches!(e.body, Body::RecommendationIssued(_) | Body::RecommendationReframed(_)) => {
                issued_needed.entry(e.stream.clone()).or_insert((e.position, e.id, "stream"));
            }
            Some(_) => {}
            None => {
                for n in events::concerned(&e.stream, &e.body).numbers() {
                    if let Ok(s) = StreamId::parse(&format!("{report}/{n}")) {
                        issued_needed.entry(s).or_insert((e.position, e.id, "data.recommendations"));
                    }
                }
                if let Body::ExecutiveResponded(b) = &e.body {
                    for s in &b.stances {
                        if let Ok(s) = StreamId::parse(&format!("{report}/{}", s.number)) {
                            issued_needed.entry(s).or_insert((e.position, e.id, "data.stances"));
                        }
                    }
                }
            }
        }
        if !matches!(e.body, Body::ReportPublished(_)) {
            published_needed.entry(report).or_insert((e.position, e.id));
        }
    }
    let kinds = |store: &dyn EventStore, stream: &StreamId| -> Result<Vec<RecordedEvent>, AppError> {
        Ok(store.read_stream(stream, 1)?.unwrap_or_default())
    };
    for (position, id, stream, text) in reissued {
        let earlier = kinds(store, &stream)?.into_iter().find(|e| {
            e.position < position
                && match &e.body {
                    Body::RecommendationIssued(b) => b.text != text,
                    Body::RecommendationReframed(b) => b.text != text,
                    _ => false,
                }
        });
        if let Some(earlier) = earlier {
            warnings.push(Warning {
                position,
                event_id: id,
                field: "type",
                message: format!(
                    "{stream} was issued before with other text (position {}); the status shows this text from now on. To correct a recommendation, retract the earlier recommendation_issued",
                    earlier.position
                ),
            });
        }
    }
    // Each stream once (the map is keyed by it): one read of each stream the write did not issue.
    for (stream, (position, id, field)) in issued_needed {
        if issued_here.contains(&stream) {
            continue;
        }
        let is_issue =
            |e: &RecordedEvent| matches!(e.body, Body::RecommendationIssued(_) | Body::RecommendationReframed(_));
        // Usually the stream's first event: read the rest only when it is not.
        let issued =
            store.stream_first(&stream)?.is_some_and(|e| is_issue(&e)) || kinds(store, &stream)?.iter().any(is_issue);
        if !issued {
            let message = match field {
                "stream" => format!("{stream} has no recommendation_issued: status lists it as never issued"),
                _ => format!("names recommendation {stream}, which its report never issued"),
            };
            warnings.push(Warning { position, event_id: id, field, message });
        }
    }
    // A predecessor the log does not hold (yet): the chain of follow-ups has a gap.
    for (position, id, i, stream) in predecessors {
        if store.stream_first(&stream)?.is_none() && !issued_here.contains(&stream) {
            warnings.push(Warning {
                position,
                event_id: id,
                field: if i == 0 { "data.predecessors[0]" } else { "data.predecessors" },
                message: format!(
                    "{stream} is not in the log: import the earlier follow-up to trace the recommendation back"
                ),
            });
        }
    }
    for (report, (position, id)) in published_needed {
        if published_here.contains(&report) {
            continue;
        }
        let Ok(stream) = StreamId::parse(&report) else { continue };
        let is_publication = |e: &RecordedEvent| matches!(e.body, Body::ReportPublished(_));
        let published = store.stream_first(&stream)?.is_some_and(|e| is_publication(&e))
            || kinds(store, &stream)?.iter().any(is_publication);
        if !published {
            warnings.push(Warning {
                position,
                event_id: id,
                field: "stream",
                message: format!("report {report} has no report_published: its title, auditor and date are unknown"),
            });
        }
    }
    warnings.sort_by_key(|w| w.position);
    Ok(warnings)
}

fn warning(e: &RecordedEvent, field: &'static str, message: String) -> Warning {
    Warning { position: e.position, event_id: e.id, field, message }
}
