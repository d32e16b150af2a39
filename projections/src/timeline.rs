//! The timeline projection: dated entries in timeline order, for a report, a recommendation or the whole log.

use std::collections::HashSet;

use events::{Body, Concerned, Date, EventId, EventType, PartialDate, RecordedEvent, Source, StreamId, Votes};
use serde::Serialize;

use crate::Window;

/// Which entries a timeline shows, beyond the bitemporal window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    /// Only this recommendation (its own events and the report-level events that name it or the whole report)
    /// or this report (all its streams).
    pub stream: Option<StreamId>,
    /// Only entries whose interval ends on or after this day.
    pub from: Option<Date>,
    /// Only entries whose interval starts on or before this day.
    pub to: Option<Date>,
}

/// One dated entry of a timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// The event's position in the log.
    pub position: u64,
    /// The event's id.
    pub event_id: EventId,
    /// Its stream.
    pub stream: StreamId,
    /// When it happened, as precise as the source.
    pub occurred: PartialDate,
    /// The event type, serialised as its code (`status_assessed`).
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The event's own text: its summary, the recommendation's wording, a verdict's rationale.
    pub summary: String,
    /// The key fact in a few words, in codes: `stance adopted_with_reservations`, `verdict implemented as of
    /// 2017-11`, `amount EUR 500000`, `motion adopted unanimous`; empty when the summary says it all.
    pub detail: String,
    /// The recommendations it singles out ([`Concerned::numbers`]): the stream's own number, or those a
    /// report-level event names (empty: the whole report).
    pub recommendations: Vec<u32>,
    /// Where the fact comes from.
    pub source: Source,
    /// The event's body, for renderers that word the key fact themselves (not serialised).
    #[serde(skip)]
    pub body: events::Body,
}

/// A timeline: entries by the first day of their interval, then its last day, then position.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timeline {
    /// The entries, in timeline order.
    pub entries: Vec<TimelineEntry>,
}

fn detail(body: &Body) -> String {
    let votes = |v: &Votes| match v {
        Votes::Unanimous(_) => "unanimous".to_owned(),
        Votes::Counted(c) => format!("{}-{}", c.in_favour, c.against),
    };
    match body {
        Body::ExecutiveResponded(b) => format!("stance {}", b.stance.code()),
        Body::StatusAssessed(b) => format!("verdict {} as of {}", b.verdict.code(), b.as_of),
        Body::ActionTaken(b) => {
            b.amount.map(|m| format!("amount {} {}", m.currency_code(), m.value_text())).unwrap_or_default()
        }
        Body::CouncilMotionVoted(b) => format!("motion {} {}", b.result.code(), votes(&b.votes)),
        Body::CouncilDecided(b) => b.votes.as_ref().map(|v| format!("vote {}", votes(v))).unwrap_or_default(),
        Body::CommitmentMade(b) => b.due.as_ref().map(|d| format!("due {d}")).unwrap_or_default(),
        Body::CommitmentRevised(b) => format!("due {} (commitment {})", b.due, b.commitment),
        Body::EventRetracted(b) => format!("retracts {}", b.target),
        Body::ExecutiveReported(b) => format!("claim {}", b.claim.code()),
        Body::CommitteeDiscussed(b) => format!("committee {}", b.committee),
        _ => String::new(),
    }
}

/// Folds events (in position order) into a timeline's order.
///
/// Holds one small slot per entry (its interval, position and id), never the events: a timeline of a million
/// events takes some 50 MB. [`TimelineOrder::entries`] then reads the entries to show.
pub struct TimelineFold {
    window: Window,
    filter: TimelineFilter,
    slots: Vec<Slot>,
    retracted: HashSet<EventId>,
}

/// One entry's place in a timeline.
#[derive(Clone, Copy)]
struct Slot {
    start: Date,
    end: Date,
    position: u64,
    id: EventId,
}

/// A timeline as the positions of its entries, in timeline order: by the first day of their interval, then its
/// last day, then position; retracted events left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimelineOrder {
    /// The positions, in timeline order.
    pub positions: Vec<u64>,
}

impl TimelineOrder {
    /// The entries, reading each event by its position with `event`; positions it does not find are skipped.
    ///
    /// # Errors
    /// The first error of `event`.
    pub fn entries<E>(&self, mut event: impl FnMut(u64) -> Result<Option<RecordedEvent>, E>) -> Result<Timeline, E> {
        let mut entries = Vec::with_capacity(self.positions.len());
        for &p in &self.positions {
            if let Some(e) = event(p)? {
                entries.push(TimelineEntry::of(&e));
            }
        }
        Ok(Timeline { entries })
    }
}

impl TimelineEntry {
    /// The entry of event `e`.
    pub fn of(e: &RecordedEvent) -> TimelineEntry {
        TimelineEntry {
            position: e.position,
            event_id: e.id,
            stream: e.stream.clone(),
            occurred: e.occurred.clone(),
            kind: e.body.event_type(),
            summary: e.body.summary().to_owned(),
            detail: detail(&e.body),
            recommendations: e.concerned().numbers().to_vec(),
            source: e.source.clone(),
            body: e.body.clone(),
        }
    }

    /// Which recommendations of its report the entry concerns ([`events::concerned`] of its stream and body).
    pub fn concerned(&self) -> Concerned<'_> {
        events::concerned(&self.stream, &self.body)
    }
}

impl TimelineFold {
    /// An empty fold.
    pub fn new(window: Window, filter: TimelineFilter) -> TimelineFold {
        TimelineFold { window, filter, slots: Vec::new(), retracted: HashSet::new() }
    }

    fn concerns(&self, e: &RecordedEvent) -> bool {
        let Some(want) = &self.filter.stream else { return true };
        e.stream.report() == want.report() && want.recommendation().is_none_or(|n| e.concerned().concerns(n))
    }

    /// Takes in the next event of the log.
    pub fn apply(&mut self, e: &RecordedEvent) {
        if !self.window.known(e) {
            return;
        }
        if let Body::EventRetracted(r) = &e.body {
            self.retracted.insert(r.target);
        }
        if !self.window.occurred(e) || !self.concerns(e) {
            return;
        }
        let (start, end) = (e.occurred.start(), e.occurred.end());
        if self.filter.from.is_some_and(|d| end < d) || self.filter.to.is_some_and(|d| start > d) {
            return;
        }
        self.slots.push(Slot { start, end, position: e.position, id: e.id });
    }

    /// The timeline's order, without retracted events.
    pub fn finish(self) -> TimelineOrder {
        let TimelineFold { mut slots, retracted, .. } = self;
        slots.retain(|s| !retracted.contains(&s.id));
        slots.sort_unstable_by_key(|s| (s.start, s.end, s.position));
        TimelineOrder { positions: slots.into_iter().map(|s| s.position).collect() }
    }
}

/// The timeline of `events` (in position order) through `window` and `filter`.
pub fn timeline<'a>(
    events: impl IntoIterator<Item = &'a RecordedEvent>,
    window: Window,
    filter: TimelineFilter,
) -> Timeline {
    let events: Vec<&RecordedEvent> = events.into_iter().collect();
    let mut fold = TimelineFold::new(window, filter);
    for e in &events {
        fold.apply(e);
    }
    let Ok(timeline) = fold.finish().entries(|p| {
        Ok::<_, std::convert::Infallible>(
            events.binary_search_by_key(&p, |e| e.position).ok().map(|i| events[i].clone()),
        )
    });
    timeline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::given::{self, line, log};

    fn check(lines: &[String], window: Window, filter: TimelineFilter) -> Vec<(String, String, u64)> {
        timeline(&log(lines), window, filter)
            .entries
            .into_iter()
            .map(|e| (e.occurred.as_str().to_owned(), e.kind.code().to_owned(), e.position))
            .collect()
    }

    fn owned(v: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
        v.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), *c)).collect()
    }

    #[test]
    fn given_partial_dates_when_folded_then_entries_sort_by_interval_start_end_then_position() {
        let lines = vec![
            line(None, "r", "context_noted", "2013-07-04", r#"{"summary":"a"}"#),
            line(None, "r", "context_noted", "2013", r#"{"summary":"b"}"#),
            line(None, "r", "context_noted", "2013-05", r#"{"summary":"c"}"#),
            line(None, "r", "context_noted", "2013-05-01", r#"{"summary":"d"}"#),
            line(None, "r", "context_noted", "2012-24", r#"{"summary":"e"}"#),
            line(None, "r", "context_noted", "2013-05", r#"{"summary":"f"}"#),
        ];
        let got = check(&lines, Window::default(), TimelineFilter::default());
        assert_eq!(
            got,
            owned(&[
                ("2012-24", "context_noted", 5),
                ("2013", "context_noted", 2),
                ("2013-05-01", "context_noted", 4),
                ("2013-05", "context_noted", 3),
                ("2013-05", "context_noted", 6),
                ("2013-07-04", "context_noted", 1),
            ])
        );
    }

    #[test]
    fn given_a_recommendation_filter_when_folded_then_its_events_and_the_report_level_ones_that_concern_it_remain() {
        let rec1 = StreamId::parse("r/1").unwrap();
        let got =
            check(&given::follow_up(), Window::default(), TimelineFilter { stream: Some(rec1), from: None, to: None });
        let positions: Vec<u64> = got.iter().map(|g| g.2).collect();
        // Report (1), issued (2), response (4), council for all (6), commitment (8), actions (9, 10), verdict (11);
        // not the motion naming only recommendation 2 (7).
        assert_eq!(positions, [1, 2, 4, 8, 6, 9, 10, 11]);
    }

    #[test]
    fn given_from_and_to_when_folded_then_entries_overlapping_the_window_remain() {
        let from = Some("2015-06-01".parse().unwrap());
        let to = Some("2016-12-31".parse().unwrap());
        let got = check(&given::follow_up(), Window::default(), TimelineFilter { stream: None, from, to });
        assert_eq!(got, owned(&[("2015", "action_taken", 9), ("2016-23", "action_taken", 10)]));
    }

    #[test]
    fn given_a_retraction_when_folded_then_the_target_is_gone_and_the_retraction_is_shown() {
        let mut lines = given::follow_up();
        lines.push(line(
            None,
            "r/1",
            "event_retracted",
            "2018",
            &format!(r#"{{"target":"{}","reason":"wrong"}}"#, given::A2),
        ));
        let got = check(&lines, Window::default(), TimelineFilter::default());
        assert!(!got.iter().any(|g| g.2 == 10));
        assert_eq!(got.last(), Some(&("2018".to_owned(), "event_retracted".to_owned(), 12)));
    }

    #[test]
    fn given_entries_when_folded_then_details_state_the_key_fact() {
        let t = timeline(&log(&given::follow_up()), Window::default(), TimelineFilter::default());
        let details: Vec<&str> = t.entries.iter().map(|e| e.detail.as_str()).filter(|d| !d.is_empty()).collect();
        assert_eq!(
            details,
            [
                "stance adopted",
                "stance adopted_with_reservations",
                "due 2014",
                "vote unanimous",
                "motion adopted unanimous",
                "amount EUR 500000",
                "amount EUR 80000.50",
                "verdict partially_implemented as of 2017-11",
            ]
        );
    }
}
