//! Pure projections of the `followup` event log: the status of every recommendation and dated timelines.
//!
//! No IO, no clock, no async, no environment: every function folds events given in position order, and time
//! comes from the events' envelopes and from arguments. Depends on the `events` crate alone.
#![deny(missing_docs)]

mod filter;
mod scale;
mod status;
mod summary;
mod timeline;
mod verify;

use std::collections::HashMap;

use events::{Concerned, EventId, RecordedEvent};
use serde::Serialize;

pub(crate) use filter::Stamp;
pub use filter::Window;
pub use scale::{on_scale, Category, Scale, ScaleCounts, ScaleSummary, ScaleSumming};
pub use status::{
    judge, order_overdue, overdue, owner_is, status, ActionEntry, Amount, CommitmentEntry, CouncilEntry, Overdue,
    RecommendationStatus, ReportEntry, Revision, Status, StatusFold, VerdictEntry,
};
pub use summary::{summary, ReportSummary, Summary, Summing};
pub use timeline::{timeline, Timeline, TimelineEntry, TimelineFilter, TimelineFold, TimelineOrder};
pub use verify::{verify_verdicts, Failure, Judgement, VerdictCheck, Verification, VerifyFold};

/// A fact that did not fit a projection: reported beside the result, never a panic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// The position of the event at fault, when there is one.
    pub position: Option<u64>,
    /// Its id.
    pub event_id: Option<EventId>,
    /// What does not fit.
    pub message: String,
}

impl Anomaly {
    /// An anomaly about `event`, or about no event in particular.
    pub fn new(event: Option<&RecordedEvent>, message: String) -> Anomaly {
        Anomaly { position: event.map(|e| e.position), event_id: event.map(|e| e.id), message }
    }
}

/// An owned [`Concerned`], for a fold that keeps it after the event is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Concern {
    /// [`Concerned::One`].
    One(u32),
    /// [`Concerned::Named`].
    Named(Box<[u32]>),
    /// [`Concerned::Report`].
    Report,
}

impl Concern {
    /// What `event` concerns, by [`events::concerned`].
    pub(crate) fn of(event: &RecordedEvent) -> Concern {
        match event.concerned() {
            Concerned::One(n) => Concern::One(n),
            Concerned::Named(named) => Concern::Named(named.into()),
            Concerned::Report => Concern::Report,
        }
    }

    /// The borrowed form, whose methods state the rule.
    pub(crate) fn as_concerned(&self) -> Concerned<'_> {
        match self {
            Concern::One(n) => Concerned::One(*n),
            Concern::Named(named) => Concerned::Named(named),
            Concern::Report => Concerned::Report,
        }
    }
}

/// Report ids interned as small numbers, so that a fold keeps a `u32` per event rather than a `String`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reports {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Reports {
    /// The number of `report`, given it on first sight: 0, 1, 2, ... in order of first sight.
    pub(crate) fn intern(&mut self, report: &str) -> u32 {
        if let Some(&id) = self.ids.get(report) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 reports");
        self.ids.insert(report.into(), id);
        self.names.push(report.into());
        id
    }

    /// The number of `report`, if it was seen.
    pub(crate) fn get(&self, report: &str) -> Option<u32> {
        self.ids.get(report).copied()
    }

    /// The report id numbered `id` by [`Reports::intern`].
    pub(crate) fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |n| n)
    }
}

#[cfg(test)]
pub(crate) mod given {
    //! Test logs built from short JSON lines.

    use std::collections::HashMap;

    use events::{Hash, Line, RecordedEvent, Timestamp};

    /// Seals input lines into a log: positions 1.., versions per stream, recorded one hour apart from
    /// 2020-01-01T00:00:00Z (position p at p hours).
    pub fn log(lines: &[String]) -> Vec<RecordedEvent> {
        let mut versions: HashMap<String, u64> = HashMap::new();
        let mut prev = Hash::ZERO;
        let start: Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let Line::New(e) = events::decode(l.as_bytes()).unwrap_or_else(|err| panic!("{l}: {err}")) else {
                    panic!("not an input line")
                };
                let v = versions.entry(e.stream.to_string()).or_default();
                *v += 1;
                let position = i as u64 + 1;
                let at = start + jiff::SignedDuration::from_hours(position as i64);
                let (rec, _) = RecordedEvent::seal(e, *v, position, at, "t".into(), prev);
                prev = rec.hash;
                rec
            })
            .collect()
    }

    /// An input line: `stream`, `type`, `occurred`, `data` (a JSON object), optional `id`.
    pub fn line(id: Option<&str>, stream: &str, kind: &str, occurred: &str, data: &str) -> String {
        let id = id.map(|i| format!("\"id\":\"{i}\",")).unwrap_or_default();
        format!(
            r#"{{{id}"stream":"{stream}","type":"{kind}","occurred":"{occurred}","source":{{"document":"D","locator":"L"}},"data":{data}}}"#
        )
    }

    /// A retraction, on `r/1` and dated 2018, of the second action of [`follow_up`] (`A2`).
    pub fn retraction_of_a2() -> String {
        line(None, "r/1", "event_retracted", "2018", &format!(r#"{{"target":"{A2}","reason":"wrong"}}"#))
    }

    /// The instant at which position `p` of a [`log`] was recorded.
    pub fn at(p: i64) -> Timestamp {
        "2020-01-01T00:00:00Z".parse::<Timestamp>().unwrap() + jiff::SignedDuration::from_hours(p)
    }

    pub const A1: &str = "00000000-0000-5000-8000-0000000000a1";
    pub const A2: &str = "00000000-0000-5000-8000-0000000000a2";
    pub const V1: &str = "00000000-0000-5000-8000-0000000000b1";

    /// A small follow-up: report r with recommendations 1 and 2, responses, a council decision for the whole
    /// report, a motion naming 2, a commitment, two actions with amounts, and a verdict for 1.
    pub fn follow_up() -> Vec<String> {
        vec![
            line(None, "r", "report_published", "2013-05", r#"{"title":"T","auditor":"RA","summary":"S"}"#),
            line(None, "r/1", "recommendation_issued", "2013-05", r#"{"number":1,"text":"Do one"}"#),
            line(None, "r/2", "recommendation_issued", "2013-05", r#"{"number":2,"text":"Do two"}"#),
            line(None, "r/1", "executive_responded", "2013-05", r#"{"stance":"adopted","summary":"yes"}"#),
            line(
                None,
                "r/2",
                "executive_responded",
                "2013-05",
                r#"{"stance":"adopted_with_reservations","summary":"yes but"}"#,
            ),
            line(None, "r", "council_decided", "2013-07-04", r#"{"summary":"adopt all","votes":"unanimous"}"#),
            line(
                None,
                "r",
                "council_motion_voted",
                "2013-07-04",
                r#"{"motion":"M","result":"adopted","votes":"unanimous","summary":"m","recommendations":[2]}"#,
            ),
            line(None, "r/1", "commitment_made", "2013-06", r#"{"summary":"will do","due":"2014"}"#),
            line(
                Some(A1),
                "r/1",
                "action_taken",
                "2015",
                r#"{"summary":"budget","amount":{"value":500000,"currency":"EUR"}}"#,
            ),
            line(
                Some(A2),
                "r/1",
                "action_taken",
                "2016-23",
                r#"{"summary":"more","amount":{"value":80000.5,"currency":"EUR"}}"#,
            ),
            line(
                Some(V1),
                "r/1",
                "status_assessed",
                "2017-11",
                &format!(
                    r#"{{"verdict":"partially_implemented","as_of":"2017-11","assessor":"RA","rationale":"half","evidence":["{A1}"]}}"#
                ),
            ),
        ]
    }
}
