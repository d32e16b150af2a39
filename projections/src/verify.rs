//! Verdict verification: replay the log and judge every `status_assessed` against the evidence it names.
//!
//! The rules, and where they come from:
//! - **V1** the recommendation was issued before it was assessed: a `recommendation_issued` on the same stream,
//!   recorded earlier and not retracted by then, whose date does not start after the assessment's. An
//!   assessment of nothing is no verdict: a follow-up audit assesses the recommendations of a published report.
//! - **V2** every piece of evidence exists, belongs to the same recommendation or to its report (a report-level
//!   event that names the recommendation or the whole report), was recorded before the assessment, certainly
//!   occurred by the assessment's as-of date, and had not been retracted when the assessment was recorded. A
//!   retraction recorded after the assessment leaves the verdict *undermined*: it was sound when given, but one of
//!   its grounds has since been withdrawn. (Follow-up audit practice: a verdict on the state of affairs at a date
//!   rests on facts of that date, traceable to their source.)
//! - **V3** the verdict fits its evidence: `implemented` and `partially_implemented` rest on at least one
//!   `action_taken`; `in_progress` on a `commitment_made` or an `action_taken`; `not_implemented` says whether the
//!   shortfall is attributable to the executive; `no_longer_relevant` rests on a `context_noted` or a
//!   `council_decided`. (The verdict scale of the Rekenkamer Amsterdam follow-up: *uitgevoerd* means something was
//!   done; *niet uitgevoerd* comes with whether it is *te wijten aan* the executive.)
//! - **V4** `implemented` on a recommendation whose latest stance dated by the as-of date, as the log stood at
//!   the assessment, is `rejected`: flagged, since the follow-up audit first asks whether the executive adopted a
//!   recommendation (*overgenomen*) and then whether it carried it out; carried out while rejected needs
//!   explaining.
//! - **V5** per recommendation, an assessment recorded later does not move the as-of date backwards unless it
//!   names, in `supersedes`, the assessment it replaces: each follow-up describes a later state of affairs than
//!   the one before, so a step back in time is either a correction that says so or a mistake.
//!
//! A retracted assessment is not judged and takes no part in V5; it is listed as retracted.
//!
//! A verdict with no failure is *supported*; with a V1 to V5 failure *unsupported*; with only later retractions
//! of its evidence *undermined*.

use std::collections::HashMap;

use events::{
    Body, Concerned, EventId, EventType, PartialDate, RecordedEvent, Stance, StatusAssessed, StreamId, Timestamp,
    Verdict,
};
use serde::Serialize;

use crate::{Concern, Reports, Stamp, Window};

/// The judgement of one verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// Every rule holds.
    Supported,
    /// A rule fails.
    Unsupported,
    /// Every rule held when it was recorded, but evidence was retracted since.
    Undermined,
}

impl Judgement {
    /// The judgement's code, as serialised: `supported`, `unsupported`, `undermined`.
    pub fn code(self) -> &'static str {
        match self {
            Judgement::Supported => "supported",
            Judgement::Unsupported => "unsupported",
            Judgement::Undermined => "undermined",
        }
    }
}

/// One rule that a verdict fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// `V1` to `V5`.
    pub rule: &'static str,
    /// What fails, naming the events.
    pub message: String,
}

/// One verdict and its judgement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictCheck {
    /// The recommendation's stream.
    pub recommendation: StreamId,
    /// The `status_assessed` event.
    pub event_id: EventId,
    /// Its position.
    pub position: u64,
    /// The verdict given.
    pub verdict: Verdict,
    /// The state of affairs it describes.
    pub as_of: PartialDate,
    /// The verdict in the office's own words, when the assessment gives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The judgement.
    pub result: Judgement,
    /// Every rule it fails, in rule order; for an undermined verdict, the retractions.
    pub failures: Vec<Failure>,
    /// The first later assessment (by position, judged in the same window) that supersedes it: the verdict is
    /// history then, not the recommendation's current one. Absent from JSON when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<EventId>,
}

/// The judgement of every verdict, in log order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verification {
    /// One entry per standing `status_assessed` in the window, by position.
    pub verdicts: Vec<VerdictCheck>,
    /// The assessments not judged because they were retracted, by position.
    pub retracted: Vec<EventId>,
}

impl Verification {
    /// The verdicts that stand: not superseded by a later assessment.
    pub fn standing(&self) -> impl Iterator<Item = &VerdictCheck> {
        self.verdicts.iter().filter(|v| v.superseded_by.is_none())
    }

    /// Whether every standing verdict is supported: a superseded one is history, judged and shown, but it is not
    /// what the log now says of its recommendation.
    pub fn all_supported(&self) -> bool {
        self.standing().all(|v| v.result == Judgement::Supported)
    }
}

/// What verification keeps of an event that may be evidence.
struct Fact {
    position: u64,
    recorded_at: Timestamp,
    /// Its report, interned in [`VerifyFold::reports`]; its stream is that report, or `report/n` when it concerns
    /// [`Concern::One`] `n`.
    report: u32,
    occurred: PartialDate,
    kind: EventType,
    concern: Concern,
}

struct Issue {
    position: u64,
    recorded_at: Timestamp,
    occurred: PartialDate,
    id: EventId,
}

struct Response {
    occurred: PartialDate,
    position: u64,
    recorded_at: Timestamp,
    id: EventId,
    stance: Stance,
}

struct Retraction {
    position: u64,
    recorded_at: Timestamp,
}

struct Assessment {
    id: EventId,
    position: u64,
    stamp: Stamp,
    stream: StreamId,
    occurred: PartialDate,
    body: StatusAssessed,
}

/// The judgement of every verdict as a live read model: events go in one at a time, in position order; the
/// judgements through any window come out on demand.
///
/// Feed it with [`VerifyFold::apply`] and ask [`VerifyFold::snapshot`] as often as wanted, between applies too:
/// a snapshot reads the fold without changing it. It keeps a compact index of every event (position, recording
/// time, interned report, date, type, the recommendations it concerns), retractions by target, issues by stream,
/// responses by recommendation, and the assessments.
#[derive(Default)]
pub struct VerifyFold {
    reports: Reports,
    facts: HashMap<EventId, Fact>,
    /// Facts of an id met again, which the later one hides while it is known: earliest first. Empty in a store,
    /// where ids are unique.
    shadowed: HashMap<EventId, Vec<Fact>>,
    /// Retraction target -> its retractions, in log order.
    retractions: HashMap<EventId, Vec<Retraction>>,
    /// Stream -> its issues, in log order.
    issued: HashMap<StreamId, Vec<Issue>>,
    /// Recommendation -> responses (by report and number; report-level ones under each they name, or under
    /// the report with number 0 when they name none).
    stances: HashMap<(String, u32), Vec<Response>>,
    assessments: Vec<Assessment>,
    /// Report -> the indexes in `assessments` of its own, ascending: a report's snapshot judges its own.
    assessments_of: HashMap<String, Vec<usize>>,
}

impl VerifyFold {
    /// An empty fold.
    pub fn new() -> VerifyFold {
        VerifyFold::default()
    }

    /// Takes in the next event of the log (events in position order).
    pub fn apply(&mut self, e: &RecordedEvent) {
        let fact = Fact {
            position: e.position,
            recorded_at: e.recorded_at,
            report: self.reports.intern(e.stream.report()),
            occurred: e.occurred.clone(),
            kind: e.body.event_type(),
            concern: Concern::of(e),
        };
        if let Some(hidden) = self.facts.insert(e.id, fact) {
            self.shadowed.entry(e.id).or_default().push(hidden);
        }
        match &e.body {
            Body::EventRetracted(r) => self
                .retractions
                .entry(r.target)
                .or_default()
                .push(Retraction { position: e.position, recorded_at: e.recorded_at }),
            Body::RecommendationIssued(_) | Body::RecommendationReframed(_) => {
                self.issued.entry(e.stream.clone()).or_default().push(Issue {
                    position: e.position,
                    recorded_at: e.recorded_at,
                    occurred: e.occurred.clone(),
                    id: e.id,
                })
            }
            Body::ExecutiveResponded(b) => {
                let concerned = e.concerned();
                let mut numbers: Vec<u32> = match concerned {
                    Concerned::Report => vec![0],
                    _ => concerned.numbers().to_vec(),
                };
                // A stance of its own for a recommendation, beside the report-wide one.
                for s in &b.stances {
                    if !numbers.contains(&s.number) {
                        numbers.push(s.number);
                    }
                }
                for n in numbers {
                    let r = Response {
                        occurred: e.occurred.clone(),
                        position: e.position,
                        recorded_at: e.recorded_at,
                        id: e.id,
                        stance: if n == 0 { b.stance } else { b.stance_on(n) },
                    };
                    self.stances.entry((e.stream.report().to_owned(), n)).or_default().push(r);
                }
            }
            Body::StatusAssessed(b) => {
                let report = e.stream.report();
                match self.assessments_of.get_mut(report) {
                    Some(at) => at.push(self.assessments.len()),
                    None => {
                        self.assessments_of.insert(report.to_owned(), vec![self.assessments.len()]);
                    }
                }
                self.assessments.push(Assessment {
                    id: e.id,
                    position: e.position,
                    stamp: Stamp::of(e),
                    stream: e.stream.clone(),
                    occurred: e.occurred.clone(),
                    body: b.clone(),
                });
            }
            _ => {}
        }
    }

    /// The fact of `id` the log held at `window.known_at`: the last one applied, if several share the id.
    fn fact(&self, id: &EventId, window: Window) -> Option<&Fact> {
        let latest = self.facts.get(id)?;
        if window.knows(latest.recorded_at) {
            return Some(latest);
        }
        self.shadowed.get(id)?.iter().rev().find(|f| window.knows(f.recorded_at))
    }

    /// The stream of `f`, as text.
    fn stream_of(&self, f: &Fact) -> String {
        let report = self.reports.name(f.report);
        match f.concern {
            Concern::One(n) => format!("{report}/{n}"),
            Concern::Named(_) | Concern::Report => report.to_owned(),
        }
    }

    /// The positions of the retractions of `id` known at `window.known_at`.
    fn retractions_of(&self, id: &EventId, window: Window) -> impl Iterator<Item = u64> + '_ {
        self.retractions.get(id).into_iter().flatten().filter(move |r| window.knows(r.recorded_at)).map(|r| r.position)
    }

    fn retracted_before(&self, id: &EventId, position: u64, window: Window) -> Option<u64> {
        self.retractions_of(id, window).filter(|p| *p < position).min()
    }

    fn retracted_after(&self, id: &EventId, position: u64, window: Window) -> Option<u64> {
        self.retractions_of(id, window).filter(|p| *p > position).min()
    }

    /// The latest stance on `stream` (by occurred date, then position) among responses recorded before `position`,
    /// not retracted by then, and dated no later than `by` (valid time).
    fn stance_at(&self, stream: &StreamId, position: u64, by: &PartialDate, window: Window) -> Option<Stance> {
        let n = stream.recommendation()?;
        let report = stream.report().to_owned();
        // The recommendation's own entry last, so that it wins over the report-wide one of the same response.
        [0, n]
            .iter()
            .filter_map(|k| self.stances.get(&(report.clone(), *k)))
            .flatten()
            .filter(|r| window.knows(r.recorded_at))
            .filter(|r| r.position < position && self.retracted_before(&r.id, position, window).is_none())
            .filter(|r| r.occurred.start() <= by.end())
            .max_by(|a, b| a.occurred.cmp(&b.occurred).then(a.position.cmp(&b.position)))
            .map(|r| r.stance)
    }

    /// The judgement of every verdict through `window`, from the events applied so far.
    ///
    /// `known_at` judges the log as it stood then: events and retractions recorded later are not seen. `as_of`
    /// judges only the assessments that certainly occurred by then; the evidence is judged against each
    /// assessment's own as-of date, and retractions count whenever they occurred.
    pub fn snapshot(&self, window: Window) -> Verification {
        self.snapshot_of(window, None)
    }

    /// As [`VerifyFold::snapshot`], judging only the assessments of one report when `report` is given.
    pub fn snapshot_of(&self, window: Window, report: Option<&str>) -> Verification {
        let mut verdicts = Vec::new();
        let mut retracted = Vec::new();
        // Assessment id -> the indexes in `verdicts` of its checks (several only if ids repeat outside a store).
        let mut judged: HashMap<EventId, Vec<usize>> = HashMap::new();
        // Per recommendation, the standing assessments recorded so far: (position, id, as_of).
        let mut earlier: HashMap<&StreamId, Vec<(u64, EventId, &PartialDate)>> = HashMap::new();
        let scoped: Box<dyn Iterator<Item = &Assessment>> = match report {
            Some(r) => Box::new(self.assessments_of.get(r).into_iter().flatten().map(|&i| &self.assessments[i])),
            None => Box::new(self.assessments.iter()),
        };
        for a in scoped.filter(|a| window.counts(a.stamp)) {
            let b = &a.body;
            // A retracted assessment is no verdict any more: it is neither judged nor compared with (V5).
            if self.retractions_of(&a.id, window).next().is_some() {
                retracted.push(a.id);
                continue;
            }
            let mut failures = Vec::new();
            let mut undermining = Vec::new();
            let mut fail = |rule: &'static str, message: String| failures.push(Failure { rule, message });

            // V1
            let issued = self
                .issued
                .get(&a.stream)
                .into_iter()
                .flatten()
                .filter(|i| window.knows(i.recorded_at))
                .filter(|i| i.position < a.position && self.retracted_before(&i.id, a.position, window).is_none())
                .min_by_key(|i| i.position);
            match issued {
                None => fail(
                    "V1",
                    format!(
                        "{} had not been issued (or its issue was retracted) when this assessment was recorded",
                        a.stream
                    ),
                ),
                Some(i) if i.occurred.start() > a.occurred.start() => fail(
                    "V1",
                    format!("{} was issued in {}, after this assessment ({})", a.stream, i.occurred, a.occurred),
                ),
                // An issue retracted after the assessment undermines it, as retracted evidence does: the verdict
                // was sound when made, and is about a recommendation the log no longer holds.
                Some(i) => {
                    if let Some(p) = self.retracted_after(&i.id, a.position, window) {
                        undermining.push(Failure {
                            rule: "V1",
                            message: format!(
                                "the issue of {} was retracted at position {p}, after the assessment",
                                a.stream
                            ),
                        });
                    }
                }
            }

            // V2, collecting the kinds of sound evidence for V3.
            let mut kinds: Vec<EventType> = Vec::new();
            for id in &b.evidence {
                let Some(f) = self.fact(id, window) else {
                    fail("V2", format!("evidence {id} is not in the log"));
                    continue;
                };
                // Its own recommendation's, or its report's about it. (An assessment on a report stream, which
                // validation refuses, rests on any event of the report stream.)
                let same_report = self.reports.get(a.stream.report()) == Some(f.report);
                let concerned = f.concern.as_concerned();
                let report_level = !matches!(concerned, Concerned::One(_));
                let about = same_report
                    && match a.stream.recommendation() {
                        Some(n) => concerned.concerns(n),
                        None => report_level,
                    };
                if !about {
                    let whose = if report_level && same_report {
                        let named: Vec<String> = concerned.numbers().iter().map(u32::to_string).collect();
                        format!("is a report-level event that concerns recommendation {} only", named.join(", "))
                    } else {
                        format!("belongs to {}, not to {} or its report", self.stream_of(f), a.stream)
                    };
                    fail("V2", format!("evidence {id} ({}) {whose}", f.kind));
                    continue;
                }
                if f.position > a.position {
                    fail(
                        "V2",
                        format!(
                            "evidence {id} ({}) was recorded after the assessment, at position {}",
                            f.kind, f.position
                        ),
                    );
                    continue;
                }
                if !f.occurred.certainly_by(b.as_of.end()) {
                    fail(
                        "V2",
                        format!(
                            "evidence {id} ({}) dated {} did not certainly occur by the as-of date {}",
                            f.kind, f.occurred, b.as_of
                        ),
                    );
                    continue;
                }
                if let Some(p) = self.retracted_before(id, a.position, window) {
                    fail(
                        "V2",
                        format!("evidence {id} ({}) had been retracted at position {p} before the assessment", f.kind),
                    );
                    continue;
                }
                // The verdict is judged on the log as it stood when it was recorded; a later retraction undermines it.
                if let Some(p) = self.retracted_after(id, a.position, window) {
                    undermining.push(Failure {
                        rule: "V2",
                        message: format!(
                            "evidence {id} ({}) was retracted at position {p}, after the assessment",
                            f.kind
                        ),
                    });
                }
                kinds.push(f.kind);
            }

            // V3
            let has = |ks: &[EventType]| kinds.iter().any(|k| ks.contains(k));
            let rests_on_none = |ks: &[EventType]| {
                let ks: Vec<&str> = ks.iter().map(EventType::code).collect();
                format!("{} rests on no {}", b.verdict.code(), ks.join(" or "))
            };
            const ACTION: &[EventType] = &[EventType::ActionTaken];
            const UNDER_WAY: &[EventType] = &[EventType::CommitmentMade, EventType::ActionTaken];
            const OVERTAKEN: &[EventType] = &[EventType::ContextNoted, EventType::CouncilDecided];
            const RESPONSE: &[EventType] = &[EventType::ExecutiveResponded];
            match b.verdict {
                Verdict::Implemented | Verdict::PartiallyImplemented if !has(ACTION) => {
                    fail("V3", rests_on_none(ACTION))
                }
                Verdict::InProgress if !has(UNDER_WAY) => fail("V3", rests_on_none(UNDER_WAY)),
                Verdict::NotImplemented if b.attributable.is_none() => fail(
                    "V3",
                    "not_implemented does not say whether the shortfall is attributable to the executive".into(),
                ),
                Verdict::NoLongerRelevant if !has(OVERTAKEN) => fail("V3", rests_on_none(OVERTAKEN)),
                Verdict::NotAdopted if !has(RESPONSE) => fail("V3", rests_on_none(RESPONSE)),
                _ => {}
            }

            // V4
            let stance = self.stance_at(&a.stream, a.position, &b.as_of, window);
            if b.verdict == Verdict::Implemented && stance == Some(Stance::Rejected) {
                fail(
                    "V4",
                    "implemented, but the executive rejected the recommendation and did not change its stance".into(),
                );
            }
            if b.verdict == Verdict::NotAdopted
                && matches!(stance, Some(Stance::Adopted | Stance::AdoptedWithReservations))
            {
                fail(
                    "V4",
                    "not_adopted, but the executive adopted the recommendation and did not change its stance".into(),
                );
            }

            // V5
            let before = earlier.entry(&a.stream).or_default();
            for (p, id, as_of) in before.iter() {
                if b.as_of < **as_of && b.supersedes != Some(*id) {
                    fail(
                        "V5",
                        format!("as of {} moves back from the assessment {id} (position {p}) as of {as_of} without superseding it", b.as_of),
                    );
                }
            }
            if let Some(old) = b.supersedes {
                before.retain(|(_, id, _)| *id != old);
            }
            before.push((a.position, a.id, &b.as_of));

            let result = match (failures.is_empty(), undermining.is_empty()) {
                (true, true) => Judgement::Supported,
                (true, false) => Judgement::Undermined,
                (false, _) => Judgement::Unsupported,
            };
            failures.extend(undermining);
            failures.sort_by_key(|f| f.rule);
            verdicts.push(VerdictCheck {
                recommendation: a.stream.clone(),
                event_id: a.id,
                position: a.position,
                verdict: b.verdict,
                as_of: b.as_of.clone(),
                label: b.label.clone(),
                result,
                failures,
                superseded_by: None,
            });
            judged.entry(a.id).or_default().push(verdicts.len() - 1);
            if let Some(old) = b.supersedes {
                // The first (by position) of the judged assessments with that id that is not yet superseded.
                let first =
                    judged.get(&old).into_iter().flatten().copied().find(|&i| verdicts[i].superseded_by.is_none());
                if let Some(i) = first {
                    verdicts[i].superseded_by = Some(a.id);
                }
            }
        }
        Verification { verdicts, retracted }
    }
}

/// Judges every verdict of `events` (in position order) through `window`.
pub fn verify_verdicts<'a>(events: impl IntoIterator<Item = &'a RecordedEvent>, window: Window) -> Verification {
    let mut fold = VerifyFold::new();
    for e in events {
        fold.apply(e);
    }
    fold.snapshot(window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::given::{self, at, line, log, A1, A2, V1};

    const C1: &str = "00000000-0000-5000-8000-0000000000c1";
    const X1: &str = "00000000-0000-5000-8000-0000000000d1";

    /// Judges the log and returns, per verdict, its result and the rules it fails.
    fn check(lines: &[String], window: Window) -> Vec<(Judgement, Vec<&'static str>)> {
        verify_verdicts(&log(lines), window)
            .verdicts
            .into_iter()
            .map(|v| (v.result, v.failures.iter().map(|f| f.rule).collect()))
            .collect()
    }

    #[test]
    fn given_not_adopted_when_judged_then_it_needs_a_response_and_fails_while_the_stance_is_adopted() {
        let base = given::follow_up()[..3].to_vec();
        let assess = |evidence: &str| {
            line(
                None,
                "r/1",
                "status_assessed",
                "2017-11",
                &format!(
                    r#"{{"verdict":"not_adopted","as_of":"2017-11","assessor":"A","rationale":"R","evidence":[{evidence}]}}"#
                ),
            )
        };
        // Resting on nothing: V3.
        let mut lines = base.clone();
        lines.push(assess(""));
        assert_eq!(check(&lines, Window::default())[0].1, ["V3"]);
        // Resting on a rejection: supported.
        let mut lines = base.clone();
        lines.push(line(Some(C1), "r/1", "executive_responded", "2013-05", r#"{"stance":"rejected","summary":"no"}"#));
        lines.push(assess(&format!("\"{C1}\"")));
        assert_eq!(check(&lines, Window::default())[0], (Judgement::Supported, vec![]));
        // Resting on an adoption: V4.
        let mut lines = base;
        lines.push(line(Some(C1), "r/1", "executive_responded", "2013-05", r#"{"stance":"adopted","summary":"yes"}"#));
        lines.push(assess(&format!("\"{C1}\"")));
        assert_eq!(check(&lines, Window::default())[0].1, ["V4"]);
    }

    fn assessed(id: Option<&str>, stream: &str, verdict: &str, as_of: &str, evidence: &[&str], extra: &str) -> String {
        let evidence: Vec<String> = evidence.iter().map(|e| format!("\"{e}\"")).collect();
        line(
            id,
            stream,
            "status_assessed",
            as_of,
            &format!(
                r#"{{"verdict":"{verdict}","as_of":"{as_of}","assessor":"RA","rationale":"why","evidence":[{}]{extra}}}"#,
                evidence.join(",")
            ),
        )
    }

    fn with(mut lines: Vec<String>, more: &[String]) -> Vec<String> {
        lines.extend_from_slice(more);
        lines
    }

    const SUPPORTED: (Judgement, Vec<&str>) = (Judgement::Supported, vec![]);

    #[test]
    fn given_a_verdict_resting_on_an_action_when_verified_then_it_is_supported() {
        assert_eq!(check(&given::follow_up(), Window::default()), [SUPPORTED]);
    }

    #[test]
    fn given_an_assessment_of_an_unissued_recommendation_when_verified_then_v1_fails() {
        let lines = with(
            given::follow_up(),
            &[assessed(None, "r/3", "not_implemented", "2017-11", &[], r#","attributable":true"#)],
        );
        assert_eq!(check(&lines, Window::default())[1], (Judgement::Unsupported, vec!["V1"]));
    }

    #[test]
    fn given_a_recommendation_issued_after_its_assessment_when_verified_then_v1_fails() {
        let lines = vec![
            line(Some(X1), "r/4", "action_taken", "2016", r#"{"summary":"done"}"#),
            assessed(None, "r/4", "implemented", "2017", &[X1], ""),
            line(None, "r/4", "recommendation_issued", "2018", r#"{"number":4,"text":"late"}"#),
        ];
        assert_eq!(check(&lines, Window::default()), [(Judgement::Unsupported, vec!["V1"])]);
    }

    #[test]
    fn given_evidence_that_is_missing_foreign_or_too_late_when_verified_then_v2_fails() {
        let foreign = line(Some(X1), "r/2", "action_taken", "2015", r#"{"summary":"for two"}"#);
        let lines = with(given::follow_up(), &[foreign]);
        let missing = "00000000-0000-5000-8000-0000000000ff";
        for evidence in [[A1, missing], [A1, X1], [A1, A2]] {
            // A2 (autumn 2016) is not certain by an as-of date of 2016-06.
            let supersedes = format!(r#","supersedes":"{V1}""#);
            let lines = with(
                lines.clone(),
                &[assessed(None, "r/1", "partially_implemented", "2016-06", &evidence, &supersedes)],
            );
            assert_eq!(check(&lines, Window::default())[1], (Judgement::Unsupported, vec!["V2"]), "{evidence:?}");
        }
    }

    #[test]
    fn given_report_level_evidence_when_verified_then_it_counts_only_if_it_concerns_the_recommendation() {
        let about_two = line(Some(X1), "r", "action_taken", "2015", r#"{"summary":"for two","recommendations":[2]}"#);
        let about_all = line(Some(C1), "r", "action_taken", "2015", r#"{"summary":"for all"}"#);
        let lines = with(given::follow_up(), &[about_two, about_all]);
        let lines = with(
            lines,
            &[
                assessed(None, "r/1", "implemented", "2017-12", &[X1], ""),
                assessed(None, "r/2", "implemented", "2017-12", &[X1], ""),
                assessed(None, "r/1", "implemented", "2018", &[C1], ""),
            ],
        );
        let got = check(&lines, Window::default());
        assert_eq!(got[1..], [(Judgement::Unsupported, vec!["V2", "V3"]), SUPPORTED, SUPPORTED]);
    }

    #[test]
    fn given_evidence_retracted_before_the_assessment_when_verified_then_v2_fails_and_after_it_is_undermined() {
        let retract =
            line(None, "r/1", "event_retracted", "2017-12", &format!(r#"{{"target":"{A1}","reason":"wrong"}}"#));
        let after = with(given::follow_up(), std::slice::from_ref(&retract));
        assert_eq!(check(&after, Window::default()), [(Judgement::Undermined, vec!["V2"])]);
        let mut before = given::follow_up();
        let verdict = before.pop().unwrap();
        before.extend([retract, verdict]);
        assert_eq!(check(&before, Window::default()), [(Judgement::Unsupported, vec!["V2", "V3"])]);
    }

    #[test]
    fn given_a_retraction_when_verified_known_at_before_and_after_it_then_the_verdict_is_supported_then_undermined() {
        let retract =
            line(None, "r/1", "event_retracted", "2017-12", &format!(r#"{{"target":"{A1}","reason":"wrong"}}"#));
        let lines = with(given::follow_up(), &[retract]);
        // The retraction is position 12, recorded at hour 12.
        let before = Window { as_of: None, known_at: Some(at(11)) };
        let after = Window { as_of: None, known_at: Some(at(12)) };
        assert_eq!(check(&lines, before), [SUPPORTED]);
        assert_eq!(check(&lines, after), [(Judgement::Undermined, vec!["V2"])]);
        // Valid time does not hide a retraction: it is a correction of the record, known from when it was made.
        let as_of = Window { as_of: Some("2017-11-30".parse().unwrap()), known_at: None };
        assert_eq!(check(&lines, as_of), [(Judgement::Undermined, vec!["V2"])]);
    }

    #[test]
    fn given_verdicts_that_do_not_fit_their_evidence_when_verified_then_v3_fails() {
        let commitment = line(Some(C1), "r/2", "commitment_made", "2014", r#"{"summary":"will do"}"#);
        let context = line(Some(X1), "r/2", "context_noted", "2015", r#"{"summary":"law changed"}"#);
        let cases = [
            (assessed(None, "r/2", "implemented", "2017", &[C1], ""), vec!["V3"]),
            (assessed(None, "r/2", "partially_implemented", "2017", &[X1], ""), vec!["V3"]),
            (assessed(None, "r/2", "in_progress", "2017", &[C1], ""), vec![]),
            (assessed(None, "r/2", "in_progress", "2017", &[X1], ""), vec!["V3"]),
            (assessed(None, "r/2", "not_implemented", "2017", &[C1], ""), vec!["V3"]),
            (assessed(None, "r/2", "not_implemented", "2017", &[], r#","attributable":false"#), vec![]),
            (assessed(None, "r/2", "no_longer_relevant", "2017", &[X1], ""), vec![]),
            (assessed(None, "r/2", "no_longer_relevant", "2017", &[C1], ""), vec!["V3"]),
        ];
        for (verdict, rules) in cases {
            let lines = with(given::follow_up(), &[commitment.clone(), context.clone(), verdict.clone()]);
            let got = check(&lines, Window::default()).pop().unwrap();
            assert_eq!(got.1, rules, "{verdict}");
        }
    }

    #[test]
    fn given_a_rejected_recommendation_when_judged_implemented_then_v4_flags_it_unless_the_stance_changed() {
        let reject = line(None, "r/2", "executive_responded", "2013-06", r#"{"stance":"rejected","summary":"no"}"#);
        let act = line(Some(X1), "r/2", "action_taken", "2015", r#"{"summary":"did it anyway"}"#);
        let verdict = assessed(None, "r/2", "implemented", "2017", &[X1], "");
        let lines = with(given::follow_up(), &[reject.clone(), act.clone(), verdict.clone()]);
        assert_eq!(check(&lines, Window::default())[1], (Judgement::Unsupported, vec!["V4"]));
        let adopt =
            line(None, "r/2", "executive_responded", "2014", r#"{"stance":"adopted","summary":"yes after all"}"#);
        let lines = with(given::follow_up(), &[reject, adopt, act, verdict]);
        assert_eq!(check(&lines, Window::default())[1], SUPPORTED);
    }

    #[test]
    fn given_a_later_assessment_with_an_earlier_as_of_when_verified_then_v5_fails_unless_it_supersedes() {
        let back = assessed(None, "r/1", "partially_implemented", "2016-12", &[A1], "");
        let lines = with(given::follow_up(), &[back]);
        assert_eq!(check(&lines, Window::default())[1], (Judgement::Unsupported, vec!["V5"]));
        let superseding =
            assessed(None, "r/1", "partially_implemented", "2016-12", &[A1], &format!(r#","supersedes":"{V1}""#));
        let lines = with(given::follow_up(), &[superseding]);
        assert_eq!(check(&lines, Window::default())[1], SUPPORTED);
    }

    #[test]
    fn given_as_of_a_date_when_verified_then_only_assessments_made_by_then_are_judged() {
        let early = Window { as_of: Some("2017-10-31".parse().unwrap()), known_at: None };
        assert_eq!(check(&given::follow_up(), early), []);
        let late = Window { as_of: Some("2017-11-30".parse().unwrap()), known_at: None };
        assert_eq!(check(&given::follow_up(), late), [SUPPORTED]);
    }

    #[test]
    fn given_a_failing_verdict_when_verified_then_each_failure_names_the_evidence() {
        let lines = with(
            given::follow_up(),
            &[assessed(None, "r/1", "implemented", "2017-12", &["00000000-0000-5000-8000-0000000000ff"], "")],
        );
        let v = verify_verdicts(&log(&lines), Window::default()).verdicts.pop().unwrap();
        let messages: Vec<String> = v.failures.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect();
        assert_eq!(
            messages,
            [
                "V2: evidence 00000000-0000-5000-8000-0000000000ff is not in the log",
                "V3: implemented rests on no action_taken",
            ]
        );
    }

    #[test]
    fn given_a_retracted_assessment_when_verified_then_it_is_not_judged_nor_compared_with() {
        let wrong = "00000000-0000-5000-8000-0000000000e1";
        let lines = with(
            given::follow_up(),
            &[
                assessed(Some(wrong), "r/1", "implemented", "2020-12", &[], ""),
                line(
                    None,
                    "r/1",
                    "event_retracted",
                    "2021",
                    &format!(r#"{{"target":"{wrong}","reason":"no evidence"}}"#),
                ),
                assessed(None, "r/1", "partially_implemented", "2020-06", &[A1], ""),
            ],
        );
        let v = verify_verdicts(&log(&lines), Window::default());
        assert_eq!(v.retracted, [EventId::parse(wrong).unwrap()]);
        let got: Vec<(Judgement, usize)> = v.verdicts.iter().map(|x| (x.result, x.failures.len())).collect();
        assert_eq!(got, [(Judgement::Supported, 0), (Judgement::Supported, 0)]);
        // Known before the retraction, the wrong verdict is judged, and fails.
        let before = check(&lines, Window { as_of: None, known_at: Some(at(12)) });
        assert_eq!(before, [SUPPORTED, (Judgement::Unsupported, vec!["V3"])]);
    }

    #[test]
    fn given_a_chain_of_supersessions_when_verified_then_v5_compares_only_with_standing_assessments() {
        let a = "00000000-0000-5000-8000-0000000000e2";
        let b = "00000000-0000-5000-8000-0000000000e3";
        let lines = vec![
            line(None, "r/1", "recommendation_issued", "2013", r#"{"number":1,"text":"t"}"#),
            line(Some(A1), "r/1", "action_taken", "2014", r#"{"summary":"done"}"#),
            assessed(Some(a), "r/1", "implemented", "2020-12", &[A1], ""),
            assessed(Some(b), "r/1", "implemented", "2020-06", &[A1], &format!(r#","supersedes":"{a}""#)),
            assessed(None, "r/1", "implemented", "2020-09", &[A1], ""),
        ];
        assert_eq!(check(&lines, Window::default()), [SUPPORTED, SUPPORTED, SUPPORTED]);
    }

    #[test]
    fn given_a_change_of_stance_dated_after_the_as_of_date_when_verified_then_v4_still_flags() {
        let lines = vec![
            line(None, "r/1", "recommendation_issued", "2013", r#"{"number":1,"text":"t"}"#),
            line(None, "r/1", "executive_responded", "2013", r#"{"stance":"rejected","summary":"no"}"#),
            line(None, "r/1", "executive_responded", "2021-06", r#"{"stance":"adopted","summary":"yes now"}"#),
            line(Some(A1), "r/1", "action_taken", "2019", r#"{"summary":"did it"}"#),
            assessed(None, "r/1", "implemented", "2020-12", &[A1], ""),
        ];
        // The assessment is dated 2020-12 but recorded after the 2021 response: on 2020-12 the stance was rejected.
        assert_eq!(check(&lines, Window::default()), [(Judgement::Unsupported, vec!["V4"])]);
    }

    #[test]
    fn given_a_retracted_issue_when_verified_then_v1_fails() {
        let issue = "00000000-0000-5000-8000-0000000000e4";
        let lines = vec![
            line(Some(issue), "r/1", "recommendation_issued", "2013", r#"{"number":1,"text":"t"}"#),
            line(None, "r/1", "event_retracted", "2014", &format!(r#"{{"target":"{issue}","reason":"wrong report"}}"#)),
            assessed(None, "r/1", "not_implemented", "2017", &[], r#","attributable":true"#),
        ];
        assert_eq!(check(&lines, Window::default()), [(Judgement::Unsupported, vec!["V1"])]);
    }

    /// The follow-up, a later verdict on 1 resting on the same action (12), a retraction of that action (13) and
    /// a verdict on 2 (14).
    fn undermined() -> Vec<RecordedEvent> {
        log(&with(
            given::follow_up(),
            &[
                assessed(None, "r/1", "implemented", "2018", &[A1], ""),
                line(None, "r/1", "event_retracted", "2019", &format!(r#"{{"target":"{A1}","reason":"wrong"}}"#)),
                assessed(None, "r/2", "not_implemented", "2019", &[], r#","attributable":true"#),
            ],
        ))
    }

    fn judged(v: &Verification) -> Vec<(u64, Judgement)> {
        v.verdicts.iter().map(|x| (x.position, x.result)).collect()
    }

    #[test]
    fn given_a_live_fold_when_snapshot_known_at_each_position_then_it_equals_a_fresh_fold_of_that_prefix() {
        let events = undermined();
        let mut live = VerifyFold::new();
        for e in &events {
            live.apply(e);
        }
        for p in 0..=events.len() {
            let window = Window { as_of: None, known_at: Some(at(p as i64)) };
            assert_eq!(live.snapshot(window), verify_verdicts(&events[..p], Window::default()), "known at {p}");
        }
        let known = |p| judged(&live.snapshot(Window { as_of: None, known_at: Some(at(p)) }));
        assert_eq!(known(12), [(11, Judgement::Supported), (12, Judgement::Supported)]);
        assert_eq!(known(13), [(11, Judgement::Undermined), (12, Judgement::Undermined)]);
        let as_of_2018 = Window { as_of: Some("2018-12-31".parse().unwrap()), known_at: None };
        assert_eq!(judged(&live.snapshot(as_of_2018)), [(11, Judgement::Undermined), (12, Judgement::Undermined)]);
    }

    #[test]
    fn given_a_snapshot_when_more_events_are_applied_then_the_next_snapshot_sees_them_and_the_first_is_unchanged() {
        let events = undermined();
        let (first, rest) = events.split_at(12);
        let mut live = VerifyFold::new();
        for e in first {
            live.apply(e);
        }
        let early = live.snapshot(Window::default());
        assert_eq!(early, live.snapshot(Window::default()), "a snapshot changes nothing");
        assert_eq!(judged(&early), [(11, Judgement::Supported), (12, Judgement::Supported)]);
        for e in rest {
            live.apply(e);
        }
        let late = live.snapshot(Window::default());
        assert_eq!(late, verify_verdicts(&events, Window::default()));
        assert_eq!(
            judged(&late),
            [(11, Judgement::Undermined), (12, Judgement::Undermined), (14, Judgement::Supported)]
        );
        assert_eq!(live.snapshot(Window { as_of: None, known_at: Some(at(12)) }), early);
    }

    #[test]
    fn given_two_events_with_one_id_when_snapshot_then_the_last_one_known_is_the_evidence() {
        // Ids are unique in a store; an exported log can be edited. Known before the second, the first counts.
        let twin = line(Some(X1), "r/1", "action_taken", "2015", r#"{"summary":"an action"}"#);
        let other = line(Some(X1), "r/2", "action_taken", "2015", r#"{"summary":"the same id on 2"}"#);
        let lines =
            with(given::follow_up(), &[twin, assessed(None, "r/1", "implemented", "2017-12", &[X1], ""), other]);
        let events = log(&lines);
        let mut live = VerifyFold::new();
        for e in &events {
            live.apply(e);
        }
        let rules = |w: Window| -> Vec<Vec<&str>> {
            live.snapshot(w).verdicts.iter().map(|v| v.failures.iter().map(|f| f.rule).collect()).collect()
        };
        let none: Vec<&str> = Vec::new();
        assert_eq!(rules(Window { as_of: None, known_at: Some(at(13)) }), [none.clone(), none.clone()]);
        assert_eq!(rules(Window::default()), [none, vec!["V2", "V3"]]);
        for p in 0..=events.len() {
            let window = Window { as_of: None, known_at: Some(at(p as i64)) };
            assert_eq!(live.snapshot(window), verify_verdicts(&events[..p], Window::default()), "known at {p}");
        }
    }

    #[test]
    fn given_two_assessments_superseding_one_then_the_first_supersedes_it_and_only_standing_verdicts_count() {
        let old = "00000000-0000-5000-8000-0000000000f1";
        let first = "00000000-0000-5000-8000-0000000000f2";
        let second = "00000000-0000-5000-8000-0000000000f3";
        let lines = with(
            given::follow_up(),
            &[
                // unsupported: implemented, resting on no action (V3)
                assessed(Some(old), "r/1", "implemented", "2018", &[], ""),
                assessed(
                    Some(first),
                    "r/1",
                    "partially_implemented",
                    "2019",
                    &[A1],
                    &format!(r#","supersedes":"{old}""#),
                ),
                assessed(
                    Some(second),
                    "r/1",
                    "partially_implemented",
                    "2020",
                    &[A1],
                    &format!(r#","supersedes":"{old}""#),
                ),
            ],
        );
        let events = log(&lines);
        let v = verify_verdicts(&events, Window::default());
        let by: Vec<(String, Option<String>)> =
            v.verdicts.iter().map(|x| (x.event_id.to_string(), x.superseded_by.map(|b| b.to_string()))).collect();
        assert_eq!(by[1..], [(old.into(), Some(first.into())), (first.into(), None), (second.into(), None)]);
        assert_eq!(v.verdicts[1].result, Judgement::Unsupported);
        assert!(v.all_supported(), "the unsupported verdict is superseded: {v:?}");
        assert_eq!(v.standing().count(), 3);
        // status and timeline name the same superseder
        let s = crate::status(&events, Window::default());
        let old_entry = s.recommendations[0].verdicts.iter().find(|x| x.event_id.to_string() == old).unwrap();
        assert_eq!(old_entry.superseded_by.map(|b| b.to_string()).as_deref(), Some(first));
        let t = crate::timeline(&events, Window::default(), crate::TimelineFilter::default());
        let in_timeline = t.entries.iter().find(|e| e.event_id.to_string() == old).unwrap();
        assert_eq!(in_timeline.superseded_by.map(|b| b.to_string()).as_deref(), Some(first));
        // known before the supersessions, the old verdict stands, and fails
        let before = verify_verdicts(&events, Window { as_of: None, known_at: Some(at(12)) });
        assert!(!before.all_supported());
    }
}
