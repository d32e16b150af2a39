//! The timeline projection: dated entries in timeline order, for a report, a recommendation or the whole log.

use std::collections::HashMap;

use events::{
    Body, Concerned, Date, EventId, EventType, PartialDate, RecordedEvent, Source, StreamId, Timestamp, Votes,
};
use serde::Serialize;

use crate::{Reports, Stamp, Window};

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
    /// For an assessment, the later assessment that supersedes it (in the window), if any: it is no current
    /// verdict any more. Absent from JSON when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<EventId>,
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
        Body::ExecutiveResponded(b) if b.stances.is_empty() => format!("stance {}", b.stance.code()),
        Body::ExecutiveResponded(b) => {
            let each: Vec<String> = b.stances.iter().map(|s| format!("{} {}", s.number, s.stance.code())).collect();
            format!("stance {}; {}", b.stance.code(), each.join(", "))
        }
        Body::RecommendationReframed(b) => {
            let from: Vec<&str> = b.predecessors.iter().map(|p| p.as_str()).collect();
            format!("{} from {}", b.how.code(), from.join(", "))
        }
        Body::StatusAssessed(b) if b.label.is_some() => {
            format!("verdict {} as of {} (“{}”)", b.verdict.code(), b.as_of, b.label.as_deref().unwrap_or_default())
        }
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

/// The timeline's order as a live read model: events go in one at a time, in position order; the order of the
/// entries through any window and filter comes out on demand.
///
/// Feed it with [`TimelineFold::apply`] and ask [`TimelineFold::snapshot`] as often as wanted, between applies
/// too: a snapshot reads the fold without changing it. It holds one small slot per event (its interval, position,
/// id, recording time, interned report and the recommendations it concerns), never the event or its texts: some
/// 64 bytes per event, 64 MB for a million. [`TimelineOrder::entries`] then reads the entries to show.
#[derive(Default)]
pub struct TimelineFold {
    slots: Vec<Slot>,
    /// Interned report -> the indexes of its slots, in position order: a report's or recommendation's timeline
    /// reads its report's slots only.
    by_report: Vec<Vec<u32>>,
    /// The numbers named by report-level events, slot after slot ([`SlotConcern::Named`] ranges).
    named: Vec<u32>,
    reports: Reports,
    /// Retraction target -> the earliest `recorded_at` of its retractions.
    retracted: HashMap<EventId, Timestamp>,
    /// Every assessment that names one it supersedes: (it, the one superseded, its stamp), in position order.
    supersessions: Vec<(EventId, EventId, Stamp)>,
}

/// One event's place in a timeline: its interval, its [`Stamp`] (its parts side by side, which packs tighter),
/// its report and what it concerns.
#[derive(Clone, Copy)]
struct Slot {
    start: Date,
    end: Date,
    recorded_at: Timestamp,
    position: u64,
    id: EventId,
    report: u32,
    concern: SlotConcern,
}

impl Slot {
    fn stamp(&self) -> Stamp {
        Stamp { recorded_at: self.recorded_at, last_day: self.end }
    }
}

/// A [`Concerned`] kept in a slot, its named numbers in [`TimelineFold::named`].
#[derive(Clone, Copy)]
enum SlotConcern {
    One(u32),
    Named { from: u32, to: u32 },
    Report,
}

/// A timeline as the positions of its entries, in timeline order, retracted events left out.
///
/// Timeline order groups entries by the year their date's interval starts in. Within a year, first the entries
/// dated more precisely than the whole year, by the first day of their interval, then its last day, then
/// position; then those that cover the whole year or more (`2013`, `199X`, `2011/2012`), by their last day, then
/// position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimelineOrder {
    /// The positions, in timeline order.
    pub positions: Vec<u64>,
    /// Superseded assessment -> the first assessment (by position) in the window, not retracted, that supersedes it.
    pub superseded: HashMap<EventId, EventId>,
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
                let mut entry = TimelineEntry::of(&e);
                entry.superseded_by = self.superseded.get(&e.id).copied();
                entries.push(entry);
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
            superseded_by: None,
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
    pub fn new() -> TimelineFold {
        TimelineFold::default()
    }

    /// Takes in the next event of the log (events in position order).
    pub fn apply(&mut self, e: &RecordedEvent) {
        if let Body::EventRetracted(r) = &e.body {
            let first = self.retracted.entry(r.target).or_insert(e.recorded_at);
            *first = (*first).min(e.recorded_at);
        }
        if let Body::StatusAssessed(b) = &e.body {
            if let Some(old) = b.supersedes {
                let stamp = Stamp { recorded_at: e.recorded_at, last_day: e.occurred.end() };
                self.supersessions.push((e.id, old, stamp));
            }
        }
        let concern = match e.concerned() {
            Concerned::One(n) => SlotConcern::One(n),
            Concerned::Report => SlotConcern::Report,
            Concerned::Named(named) => {
                let from = self.named.len();
                self.named.extend_from_slice(named);
                let index = |i: usize| u32::try_from(i).expect("fewer than 2^32 named recommendations");
                SlotConcern::Named { from: index(from), to: index(self.named.len()) }
            }
        };
        let report = self.reports.intern(e.stream.report());
        let index = u32::try_from(self.slots.len()).expect("fewer than 2^32 events in a timeline");
        match self.by_report.get_mut(report as usize) {
            Some(list) => list.push(index),
            None => {
                self.by_report.resize_with(report as usize + 1, Vec::new);
                self.by_report[report as usize].push(index);
            }
        }
        self.slots.push(Slot {
            start: e.occurred.start(),
            end: e.occurred.end(),
            recorded_at: e.recorded_at,
            position: e.position,
            id: e.id,
            report,
            concern,
        });
    }

    fn concerned(&self, slot: &Slot) -> Concerned<'_> {
        match slot.concern {
            SlotConcern::One(n) => Concerned::One(n),
            SlotConcern::Named { from, to } => Concerned::Named(&self.named[from as usize..to as usize]),
            SlotConcern::Report => Concerned::Report,
        }
    }

    /// The timeline's order through `window` and `filter`, from the events applied so far.
    ///
    /// An entry is shown if the log held its event at `window.known_at`, the event certainly occurred by
    /// `window.as_of`, it concerns `filter.stream` (a report: any of its streams; a recommendation: the events
    /// that concern it, [`events::Concerned`]), its interval overlaps `filter.from` to `filter.to`, and no
    /// retraction of it was known at `known_at` (whenever the retraction occurred).
    pub fn snapshot(&self, window: Window, filter: &TimelineFilter) -> TimelineOrder {
        let want = match &filter.stream {
            None => None,
            Some(s) => match self.reports.get(s.report()) {
                Some(report) => Some((report, s.recommendation())),
                None => return TimelineOrder::default(),
            },
        };
        let slots: Box<dyn Iterator<Item = &Slot>> = match want {
            None => Box::new(self.slots.iter()),
            Some((report, _)) => {
                Box::new(self.by_report.get(report as usize).into_iter().flatten().map(|i| &self.slots[*i as usize]))
            }
        };
        let mut shown: Vec<(i16, bool, Date, Date, u64)> = slots
            .filter(|s| window.counts(s.stamp()))
            .filter(|s| {
                want.is_none_or(|(report, n)| s.report == report && n.is_none_or(|n| self.concerned(s).concerns(n)))
            })
            .filter(|s| !(filter.from.is_some_and(|d| s.end < d) || filter.to.is_some_and(|d| s.start > d)))
            .filter(|s| !self.retracted.get(&s.id).is_some_and(|t| window.knows(*t)))
            .map(|s| {
                let (year, coarse) = year_and_coarseness(s.start, s.end);
                (year, coarse, s.start, s.end, s.position)
            })
            .collect();
        shown.sort_unstable();
        let mut superseded = HashMap::new();
        for (by, old, stamp) in &self.supersessions {
            if window.counts(*stamp) && !self.retracted.get(by).is_some_and(|t| window.knows(*t)) {
                superseded.entry(*old).or_insert(*by);
            }
        }
        TimelineOrder { positions: shown.into_iter().map(|(.., p)| p).collect(), superseded }
    }
}

/// The year a date's interval starts in, and whether it covers that whole year or more (`2013`, `199X`,
/// `2011/2012`): such an entry is placed after the entries dated more precisely in its first year, so that a
/// reader does not see an action of "2013" above a report published in May 2013.
fn year_and_coarseness(start: Date, end: Date) -> (i16, bool) {
    let whole_year = start.day_of_year() == 1 && end >= start.last_of_year();
    (start.year(), whole_year)
}

/// The timeline of `events` (in position order) through `window` and `filter`.
pub fn timeline<'a>(
    events: impl IntoIterator<Item = &'a RecordedEvent>,
    window: Window,
    filter: TimelineFilter,
) -> Timeline {
    let events: Vec<&RecordedEvent> = events.into_iter().collect();
    let mut fold = TimelineFold::new();
    for e in &events {
        fold.apply(e);
    }
    let Ok(timeline) = fold.snapshot(window, &filter).entries(|p| {
        Ok::<_, std::convert::Infallible>(
            events.binary_search_by_key(&p, |e| e.position).ok().map(|i| events[i].clone()),
        )
    });
    timeline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::given::{self, at, line, log};

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
    fn given_partial_dates_when_folded_then_entries_sort_by_year_precise_ones_first_by_start_end_then_position() {
        let lines = vec![
            line(None, "r", "context_noted", "2013-07-04", r#"{"summary":"a"}"#),
            line(None, "r", "context_noted", "2013", r#"{"summary":"b"}"#),
            line(None, "r", "context_noted", "2013-05", r#"{"summary":"c"}"#),
            line(None, "r", "context_noted", "2013-05-01", r#"{"summary":"d"}"#),
            line(None, "r", "context_noted", "2012-24", r#"{"summary":"e"}"#),
            line(None, "r", "context_noted", "2013-05", r#"{"summary":"f"}"#),
            line(None, "r", "context_noted", "2013/2014", r#"{"summary":"g"}"#),
            line(None, "r", "context_noted", "2014-01", r#"{"summary":"i"}"#),
            line(None, "r", "context_noted", "2013-06/2014-02", r#"{"summary":"j"}"#),
        ];
        let got = check(&lines, Window::default(), TimelineFilter::default());
        assert_eq!(
            got,
            owned(&[
                ("2012-24", "context_noted", 5),
                ("2013-05-01", "context_noted", 4),
                ("2013-05", "context_noted", 3),
                ("2013-05", "context_noted", 6),
                ("2013-06/2014-02", "context_noted", 9),
                ("2013-07-04", "context_noted", 1),
                ("2013", "context_noted", 2),
                ("2013/2014", "context_noted", 7),
                ("2014-01", "context_noted", 8),
            ])
        );
        // A decade starts in its first year and covers it: after that year's precise entries.
        let lines = vec![
            line(None, "r", "context_noted", "201X", r#"{"summary":"h"}"#),
            line(None, "r", "context_noted", "2010-05", r#"{"summary":"k"}"#),
            line(None, "r", "context_noted", "2011-01", r#"{"summary":"l"}"#),
        ];
        let got = check(&lines, Window::default(), TimelineFilter::default());
        assert_eq!(
            got,
            owned(&[("2010-05", "context_noted", 2), ("201X", "context_noted", 1), ("2011-01", "context_noted", 3)])
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
        lines.push(given::retraction_of_a2());
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

    /// The positions a fresh fold of `events` shows through `window` and `filter`.
    fn order(events: &[RecordedEvent], window: Window, filter: &TimelineFilter) -> Vec<u64> {
        let mut fold = TimelineFold::new();
        for e in events {
            fold.apply(e);
        }
        fold.snapshot(window, filter).positions
    }

    /// The follow-up with a retraction of the second action (position 12, occurred 2018) and a report-level note
    /// naming recommendation 2 (13).
    fn corrected() -> Vec<RecordedEvent> {
        let mut lines = given::follow_up();
        lines.push(given::retraction_of_a2());
        lines.push(line(None, "r", "context_noted", "2015", r#"{"summary":"about two","recommendations":[2]}"#));
        log(&lines)
    }

    fn filters() -> Vec<TimelineFilter> {
        let stream = |s: &str| Some(StreamId::parse(s).unwrap());
        vec![
            TimelineFilter::default(),
            TimelineFilter { stream: stream("r"), from: None, to: None },
            TimelineFilter { stream: stream("r/1"), from: None, to: None },
            TimelineFilter { stream: stream("r/2"), from: Some("2014-01-01".parse().unwrap()), to: None },
            TimelineFilter { stream: stream("other"), from: None, to: None },
            TimelineFilter { stream: None, from: None, to: Some("2015-12-31".parse().unwrap()) },
        ]
    }

    #[test]
    fn given_a_live_fold_when_snapshot_known_at_each_position_then_it_equals_a_fresh_fold_of_that_prefix() {
        let events = corrected();
        let mut live = TimelineFold::new();
        for e in &events {
            live.apply(e);
        }
        for filter in filters() {
            for p in 0..=events.len() {
                let window = Window { as_of: None, known_at: Some(at(p as i64)) };
                assert_eq!(
                    live.snapshot(window, &filter).positions,
                    order(&events[..p], Window::default(), &filter),
                    "known at position {p}, {filter:?}"
                );
            }
        }
        // Known at hour 11 the retracted action (10) is shown; from hour 12 on it is not.
        let all = TimelineFilter::default();
        assert!(live.snapshot(Window { as_of: None, known_at: Some(at(11)) }, &all).positions.contains(&10));
        assert!(!live.snapshot(Window { as_of: None, known_at: Some(at(12)) }, &all).positions.contains(&10));
    }

    #[test]
    fn given_a_live_fold_when_snapshot_as_of_a_day_then_it_equals_a_fresh_fold_of_the_events_certain_by_then() {
        let events = corrected();
        let mut live = TimelineFold::new();
        for e in &events {
            live.apply(e);
        }
        for d in ["2012-12-31", "2013-05-31", "2015-12-31", "2016-12-31", "2017-11-30", "2030-01-01"] {
            let day: Date = d.parse().unwrap();
            let window = Window { as_of: Some(day), known_at: None };
            // A retraction takes effect whenever it occurred; it is shown only once it certainly occurred.
            let admitted: Vec<RecordedEvent> =
                events.iter().filter(|e| e.occurred.certainly_by(day)).cloned().collect();
            for filter in filters() {
                let mut fresh = order(&admitted, Window::default(), &filter);
                fresh.retain(|p| *p != 10);
                assert_eq!(live.snapshot(window, &filter).positions, fresh, "as of {d}, {filter:?}");
            }
        }
    }

    #[test]
    fn given_a_snapshot_when_more_events_are_applied_then_the_next_snapshot_sees_them_and_the_first_is_unchanged() {
        let events = corrected();
        let (first, rest) = events.split_at(10);
        let mut live = TimelineFold::new();
        for e in first {
            live.apply(e);
        }
        let all = TimelineFilter::default();
        let early = live.snapshot(Window::default(), &all);
        assert_eq!(early, live.snapshot(Window::default(), &all), "a snapshot changes nothing");
        assert!(early.positions.contains(&10));
        for e in rest {
            live.apply(e);
        }
        for filter in filters() {
            assert_eq!(live.snapshot(Window::default(), &filter).positions, order(&events, Window::default(), &filter));
        }
        let late = live.snapshot(Window::default(), &all);
        assert!(!late.positions.contains(&10) && late.positions.contains(&12), "{late:?}");
        assert_eq!(live.snapshot(Window { as_of: None, known_at: Some(at(10)) }, &all), early);
    }

    #[test]
    fn a_slot_takes_at_most_64_bytes_per_event() {
        assert!(std::mem::size_of::<Slot>() <= 64, "{} bytes", std::mem::size_of::<Slot>());
    }
}
