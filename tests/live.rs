//! The live read models: status, timeline and verification folds fed event by event and asked at several windows
//! while they are fed answer exactly what a fresh fold of the events so far answers, on the embedded case and on
//! a generated history.

use std::collections::HashMap;

use events::{Hash, Line, NewEvent, RecordedEvent, StreamId, Timestamp};
use followup::{generate, GenerateOptions};
use projections::{StatusFold, TimelineFilter, TimelineFold, VerifyFold, Window};

const CASE: &str = include_str!("../examples/nazorg-amsterdam.jsonl");

/// When the first event of a [`seal`]ed log was recorded; position `p` is recorded `p` hours later.
fn start() -> Timestamp {
    "2020-01-01T00:00:00Z".parse().unwrap()
}

/// The instant `hours` after [`start`], plus half an hour: between two events of a sealed log.
fn between(hours: usize) -> Timestamp {
    start() + jiff::SignedDuration::from_mins(hours as i64 * 60 + 30)
}

/// Seals events into a log: positions 1.., versions per stream, recorded one hour apart (position p at p hours
/// after [`start`]), so that `known_at` windows cut the log.
fn seal(events: impl IntoIterator<Item = NewEvent>) -> Vec<RecordedEvent> {
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut prev = Hash::ZERO;
    let mut log = Vec::new();
    for (i, e) in events.into_iter().enumerate() {
        let v = versions.entry(e.stream.clone()).or_default();
        *v += 1;
        let position = i as u64 + 1;
        let at = start() + jiff::SignedDuration::from_hours(position as i64);
        let (recorded, _) = RecordedEvent::seal(e, *v, position, at, "live test".into(), prev);
        prev = recorded.hash;
        log.push(recorded);
    }
    log
}

fn case() -> Vec<RecordedEvent> {
    seal(CASE.lines().map(|l| match events::decode(l.as_bytes()) {
        Ok(Line::New(e)) => e,
        other => panic!("not an input line: {other:?}"),
    }))
}

fn generated() -> Vec<RecordedEvent> {
    seal(generate(GenerateOptions { reports: 20, seed: 3 }))
}

fn day(text: &str) -> events::Date {
    text.parse().unwrap()
}

/// Five windows over a log of `n` events: none, two as-of days, a known-at instant a third into the log, and both
/// at once (two thirds in).
fn windows(n: usize, as_of: [&str; 2]) -> [Window; 5] {
    [
        Window::default(),
        Window { as_of: Some(day(as_of[0])), known_at: None },
        Window { as_of: Some(day(as_of[1])), known_at: None },
        Window { as_of: None, known_at: Some(between(n / 3)) },
        Window { as_of: Some(day(as_of[1])), known_at: Some(between(2 * n / 3)) },
    ]
}

/// What a read model answers through one window: the JSON of the status, of the timeline's positions (the whole
/// log and one recommendation's) and of the verification.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: String,
    timeline: String,
    recommendation: String,
    verification: String,
}

/// The live model: the three folds fed together.
#[derive(Default)]
struct Live {
    status: StatusFold,
    timeline: TimelineFold,
    verify: VerifyFold,
}

impl Live {
    fn apply(&mut self, e: &RecordedEvent) {
        self.status.apply(e);
        self.timeline.apply(e);
        self.verify.apply(e);
    }

    fn answer(&self, window: Window, recommendation: &TimelineFilter) -> Answer {
        Answer {
            status: json(&self.status.snapshot(window)),
            timeline: json(&self.timeline.snapshot(window, &TimelineFilter::default()).positions),
            recommendation: json(&self.timeline.snapshot(window, recommendation).positions),
            verification: json(&self.verify.snapshot(window)),
        }
    }
}

/// What fresh folds of `events` answer through `window`, by the free functions.
fn fresh(events: &[RecordedEvent], window: Window, recommendation: &TimelineFilter) -> Answer {
    let positions = |filter: TimelineFilter| -> Vec<u64> {
        projections::timeline(events, window, filter).entries.iter().map(|e| e.position).collect()
    };
    Answer {
        status: json(&projections::status(events, window)),
        timeline: json(&positions(TimelineFilter::default())),
        recommendation: json(&positions(recommendation.clone())),
        verification: json(&projections::verify_verdicts(events, window)),
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

/// Feeds `log` to a live model event by event; after a third, two thirds and all of it, asks every window and
/// compares with fresh folds of the prefix. Returns the answers after all events, window by window.
fn check(log: &[RecordedEvent], windows: &[Window], recommendation: &TimelineFilter) -> Vec<Answer> {
    let n = log.len();
    let stops = [n / 3, 2 * n / 3, n];
    let mut live = Live::default();
    let mut fed = 0;
    let mut last = Vec::new();
    for stop in stops {
        for e in &log[fed..stop] {
            live.apply(e);
        }
        fed = stop;
        last = windows.iter().map(|w| live.answer(*w, recommendation)).collect();
        for (w, got) in windows.iter().zip(&last) {
            assert_eq!(*got, fresh(&log[..stop], *w, recommendation), "after {stop} of {n} events, through {w:?}");
            // Known at an instant is the log as it stood then: the events recorded by then, in a window without
            // `known_at`.
            if let Some(t) = w.known_at {
                let held = log[..stop].iter().take_while(|e| e.recorded_at <= t).count();
                let then = Window { as_of: w.as_of, known_at: None };
                assert_eq!(*got, fresh(&log[..held], then, recommendation), "after {stop} events, through {w:?}");
            }
        }
        // Asking changed nothing: the same questions get the same answers.
        let again: Vec<Answer> = windows.iter().map(|w| live.answer(*w, recommendation)).collect();
        assert_eq!(again, last, "after {stop} events, asked twice");
    }
    last
}

fn verdicts(status_json: &str) -> usize {
    let status: serde_json::Value = serde_json::from_str(status_json).unwrap();
    status["recommendations"].as_array().unwrap().iter().filter(|r| !r["verdict"].is_null()).count()
}

fn count(json: &str, key: Option<&str>) -> usize {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let list = match key {
        Some(k) => &value[k],
        None => &value,
    };
    list.as_array().unwrap().len()
}

#[test]
fn the_live_model_of_the_case_answers_every_window_as_a_fresh_fold_of_the_events_so_far() {
    let log = case();
    let windows = windows(log.len(), ["2013-12-31", "2016-12-31"]);
    let recommendation =
        TimelineFilter { stream: Some(StreamId::parse("ra-amsterdam-2013-nazorg/3").unwrap()), from: None, to: None };
    let answers = check(&log, &windows, &recommendation);
    let [all, early, mid, known, both] = &answers[..] else { panic!("five windows") };
    // The windows cut the log: the five verdicts come in 2017, after the as-of days and the known-at instants.
    assert_eq!(verdicts(&all.status), 5);
    assert_eq!((verdicts(&mid.status), verdicts(&known.status), verdicts(&both.status)), (0, 0, 0));
    assert_eq!(count(&all.verification, Some("verdicts")), 5);
    assert_eq!(count(&mid.verification, Some("verdicts")), 0);
    let entries = |a: &Answer| count(&a.timeline, None);
    assert_eq!(entries(all), log.len(), "no retraction in the case: every event is an entry");
    assert!(
        entries(early) < entries(mid) && entries(mid) < entries(all),
        "{entries:?}",
        entries = [entries(early), entries(mid), entries(all)]
    );
    assert!(entries(known) < entries(both) && entries(both) < entries(all));
    assert!(count(&all.recommendation, None) < entries(all) && count(&all.recommendation, None) > 0);
}

#[test]
fn the_live_model_of_a_generated_history_answers_every_window_as_a_fresh_fold_of_the_events_so_far() {
    let log = generated();
    let windows = windows(log.len(), ["2012-06-30", "2016-06-30"]);
    let rec = log.iter().find_map(|e| e.stream.recommendation().map(|_| e.stream.clone())).unwrap();
    let recommendation = TimelineFilter { stream: Some(rec), from: None, to: None };
    let targets: std::collections::HashSet<events::EventId> = log
        .iter()
        .filter_map(|e| match &e.body {
            events::Body::EventRetracted(r) => Some(r.target),
            _ => None,
        })
        .collect();
    assert!(!targets.is_empty(), "the history retracts some events");
    let answers = check(&log, &windows, &recommendation);
    let [all, early, mid, known, both] = &answers[..] else { panic!("five windows") };
    let entries = |a: &Answer| count(&a.timeline, None);
    assert!(entries(early) < entries(mid) && entries(mid) < entries(all));
    assert!(entries(known) < entries(both) && entries(both) < entries(all));
    assert!(verdicts(&mid.status) < verdicts(&all.status));
    assert!(count(&known.verification, Some("verdicts")) < count(&all.verification, Some("verdicts")));
    // The whole timeline shows every event but the retracted ones.
    assert_eq!(entries(all), log.len() - log.iter().filter(|e| targets.contains(&e.id)).count());
}

#[test]
fn one_reports_snapshot_is_the_whole_snapshot_cut_to_that_report() {
    let log = generated();
    let report_of: HashMap<u64, String> = log.iter().map(|e| (e.position, e.stream.report().to_owned())).collect();
    let mut live = Live::default();
    for e in &log {
        live.apply(e);
    }
    let reports: std::collections::BTreeSet<&str> = log.iter().map(|e| e.stream.report()).collect();
    assert!(reports.len() >= 20);
    assert_eq!(live.status.reports(), reports.iter().copied().collect::<Vec<_>>());
    let (mut assessed, mut overdue_seen) = (0, 0);
    for window in windows(log.len(), ["2015-06-30", "2019-12-31"]) {
        let whole = live.status.snapshot(window);
        let whole_verification = live.verify.snapshot(window);
        // The summary and the overdue commitments, built report after report, are those of the whole status.
        let on = day("2019-12-31");
        let mut judged = whole.clone();
        projections::judge(&mut judged, &whole_verification);
        let mut summing = projections::Summing::new(on);
        let mut overdue = Vec::new();
        for report in &reports {
            let mut of_report = live.status.snapshot_of(window, Some(report));
            projections::judge(&mut of_report, &live.verify.snapshot_of(window, Some(report)));
            summing.add(&of_report);
            overdue.extend(projections::overdue(&of_report, on));
        }
        projections::order_overdue(&mut overdue);
        let summary = projections::summary(&judged, on);
        assessed += summary.overall.assessed;
        assert_eq!(json(&summing.finish()), json(&summary));
        let whole_overdue = projections::overdue(&judged, on);
        overdue_seen += whole_overdue.len();
        assert_eq!(json(&overdue), json(&whole_overdue));
        for report in &reports {
            let mut expected = whole.clone();
            expected.reports.retain(|r| r.id == *report);
            expected.recommendations.retain(|r| r.report == *report);
            expected.anomalies.retain(|a| a.position.is_some_and(|p| report_of[&p] == *report));
            assert_eq!(json(&live.status.snapshot_of(window, Some(report))), json(&expected), "{report}");
            let mut verification = whole_verification.clone();
            verification.verdicts.retain(|v| v.recommendation.report() == *report);
            verification.retracted.retain(|id| log.iter().any(|e| e.id == *id && e.stream.report() == *report));
            assert_eq!(json(&live.verify.snapshot_of(window, Some(report))), json(&verification), "{report}");
        }
    }
    assert!(assessed > 100 && overdue_seen > 10, "{assessed} verdicts, {overdue_seen} overdue");
}
