//! The status projection: where each recommendation stands, folded from the log.

use std::collections::{BTreeMap, HashMap, HashSet};

use events::{Body, EventId, MotionResult, PartialDate, RecordedEvent, Stance, StreamId, Verdict, Votes};
use serde::Serialize;

use crate::{Anomaly, Window};

/// The status of every recommendation, ordered by report id and then number.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Status {
    /// One entry per recommendation that was issued or has events, by report and number.
    pub recommendations: Vec<RecommendationStatus>,
    /// Facts that did not fit, in log order; the status is built from the rest.
    pub anomalies: Vec<Anomaly>,
}

/// Where one recommendation stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecommendationStatus {
    /// Its stream id: `report/number`.
    pub id: StreamId,
    /// The report's id.
    pub report: String,
    /// Its number in the report.
    pub number: u32,
    /// Its wording, once issued.
    pub text: Option<String>,
    /// When it was issued.
    pub issued: Option<PartialDate>,
    /// The executive's latest stance (by occurred date, then position); `None` before any response.
    pub stance: Option<Stance>,
    /// The latest verdict (greatest as-of date, then latest recorded); `None` before the first assessment.
    pub verdict: Option<Verdict>,
    /// The as-of date of that verdict.
    pub verdict_as_of: Option<PartialDate>,
    /// Every verdict, by as-of date then position.
    pub verdicts: Vec<VerdictEntry>,
    /// Council decisions and motions that concern it, in timeline order.
    pub council: Vec<CouncilEntry>,
    /// Commitments made, in timeline order.
    pub commitments: Vec<CommitmentEntry>,
    /// Actions taken, in timeline order.
    pub actions: Vec<ActionEntry>,
    /// The sum of the actions' amounts per currency code, in minor units (cents for EUR).
    pub totals_cents: BTreeMap<String, i64>,
    /// How many events concern it (its own and the report-level ones that name it or the whole report).
    pub events: usize,
}

/// One verdict in a recommendation's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictEntry {
    /// The `status_assessed` event.
    pub event_id: EventId,
    /// Its position in the log.
    pub position: u64,
    /// The verdict.
    pub verdict: Verdict,
    /// The state of affairs it describes.
    pub as_of: PartialDate,
    /// Who assessed.
    pub assessor: String,
    /// Whether a shortfall is attributable to the executive, when said.
    pub attributable: Option<bool>,
}

/// A council decision or motion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CouncilEntry {
    /// The event.
    pub event_id: EventId,
    /// When.
    pub occurred: PartialDate,
    /// `decision` or `motion`.
    pub kind: &'static str,
    /// The motion's title, for a motion.
    pub motion: Option<String>,
    /// What became of a motion.
    pub result: Option<MotionResult>,
    /// How the vote went.
    pub votes: Option<Votes>,
    /// What was decided or asked.
    pub summary: String,
}

/// A commitment with its due dates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommitmentEntry {
    /// The `commitment_made` event.
    pub event_id: EventId,
    /// When it was made.
    pub occurred: PartialDate,
    /// What was promised.
    pub summary: String,
    /// The due date first given.
    pub due: Option<PartialDate>,
}

/// An action, with its amount.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionEntry {
    /// The `action_taken` event.
    pub event_id: EventId,
    /// When.
    pub occurred: PartialDate,
    /// What was done.
    pub summary: String,
    /// The amount, when one was given.
    pub amount: Option<Amount>,
}

/// An amount of money in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amount {
    /// The amount in minor units: cents for EUR.
    pub cents: i64,
    /// The ISO 4217 currency code.
    pub currency: String,
}

/// What the status keeps of one event: compact, owned, tagged with the event's id.
struct Kept {
    id: EventId,
    position: u64,
    occurred: PartialDate,
    fact: Fact,
}

enum Fact {
    Issued(String),
    Stance(Stance),
    Council(CouncilEntry),
    Commitment(CommitmentEntry),
    Action(ActionEntry),
    Verdict(VerdictEntry),
    Other,
}

impl Kept {
    fn of(e: &RecordedEvent) -> Kept {
        let occurred = e.occurred.clone();
        let fact = match &e.body {
            Body::RecommendationIssued(b) => Fact::Issued(b.text.clone()),
            Body::ExecutiveResponded(b) => Fact::Stance(b.stance),
            Body::CouncilDecided(b) => Fact::Council(CouncilEntry {
                event_id: e.id,
                occurred: occurred.clone(),
                kind: "decision",
                motion: None,
                result: None,
                votes: b.votes,
                summary: b.summary.clone(),
            }),
            Body::CouncilMotionVoted(b) => Fact::Council(CouncilEntry {
                event_id: e.id,
                occurred: occurred.clone(),
                kind: "motion",
                motion: Some(b.motion.clone()),
                result: Some(b.result),
                votes: Some(b.votes),
                summary: b.summary.clone(),
            }),
            Body::CommitmentMade(b) => Fact::Commitment(CommitmentEntry {
                event_id: e.id,
                occurred: occurred.clone(),
                summary: b.summary.clone(),
                due: b.due.clone(),
            }),
            Body::ActionTaken(b) => Fact::Action(ActionEntry {
                event_id: e.id,
                occurred: occurred.clone(),
                summary: b.summary.clone(),
                amount: b.amount.map(|m| Amount { cents: m.cents, currency: m.currency_code().to_owned() }),
            }),
            Body::StatusAssessed(b) => Fact::Verdict(VerdictEntry {
                event_id: e.id,
                position: e.position,
                verdict: b.verdict,
                as_of: b.as_of.clone(),
                assessor: b.assessor.clone(),
                attributable: b.attributable,
            }),
            _ => Fact::Other,
        };
        Kept { id: e.id, position: e.position, occurred, fact }
    }
}

/// A report-level fact and the recommendations it names (empty: all of the report's).
struct ReportFact {
    report: String,
    named: Vec<u32>,
    kept: std::sync::Arc<Kept>,
}

/// Folds events (in position order) into the status of every recommendation.
///
/// Feed it with [`StatusFold::apply`], one event at a time in position order, then call [`StatusFold::finish`].
/// It keeps a compact copy of what it needs, never the events themselves. The window's `known_at` and `as_of`
/// decide which events count; a retraction known in the window removes its target.
pub struct StatusFold {
    window: Window,
    recs: BTreeMap<(String, u32), Vec<std::sync::Arc<Kept>>>,
    report_level: Vec<ReportFact>,
    retracted: HashSet<EventId>,
}

impl StatusFold {
    /// An empty fold over `window`.
    pub fn new(window: Window) -> StatusFold {
        StatusFold { window, recs: BTreeMap::new(), report_level: Vec::new(), retracted: HashSet::new() }
    }

    /// Takes in the next event of the log.
    pub fn apply(&mut self, event: &RecordedEvent) {
        if !self.window.known(event) {
            return;
        }
        if let Body::EventRetracted(r) = &event.body {
            self.retracted.insert(r.target);
            return;
        }
        if !self.window.occurred(event) {
            return;
        }
        let kept = std::sync::Arc::new(Kept::of(event));
        match event.stream.recommendation() {
            Some(n) => self.recs.entry((event.stream.report().to_owned(), n)).or_default().push(kept),
            None => self.report_level.push(ReportFact {
                report: event.stream.report().to_owned(),
                named: event.body.recommendations().to_vec(),
                kept,
            }),
        }
    }

    /// The status of every recommendation.
    pub fn finish(self) -> Status {
        let StatusFold { mut recs, report_level, retracted, .. } = self;
        let mut anomalies = Vec::new();
        let mut per_report: HashMap<String, Vec<u32>> = HashMap::new();
        for (report, n) in recs.keys() {
            per_report.entry(report.clone()).or_default().push(*n);
        }
        for f in report_level {
            if retracted.contains(&f.kept.id) {
                continue;
            }
            if f.named.is_empty() {
                for n in per_report.get(&f.report).map(Vec::as_slice).unwrap_or_default() {
                    if let Some(list) = recs.get_mut(&(f.report.clone(), *n)) {
                        list.push(f.kept.clone());
                    }
                }
                continue;
            }
            for n in &f.named {
                match recs.get_mut(&(f.report.clone(), *n)) {
                    Some(list) => list.push(f.kept.clone()),
                    None => anomalies.push(Anomaly {
                        position: Some(f.kept.position),
                        event_id: Some(f.kept.id),
                        message: format!("names recommendation {n} of {}, which has no events", f.report),
                    }),
                }
            }
        }
        let mut recommendations = Vec::with_capacity(recs.len());
        for ((report, number), mut list) in recs {
            list.retain(|k| !retracted.contains(&k.id));
            list.sort_by(|a, b| a.occurred.cmp(&b.occurred).then(a.position.cmp(&b.position)));
            let s = summarise(report, number, &list);
            if s.issued.is_none() {
                anomalies.push(Anomaly {
                    position: None,
                    event_id: None,
                    message: format!("recommendation {} has events but was never issued", s.id),
                });
            }
            recommendations.push(s);
        }
        anomalies.sort_by_key(|a| a.position);
        Status { recommendations, anomalies }
    }
}

/// Builds one recommendation's status from what was kept of its events, in timeline order.
fn summarise(report: String, number: u32, list: &[std::sync::Arc<Kept>]) -> RecommendationStatus {
    let id = StreamId::parse(&format!("{report}/{number}"))
        .expect("a stream id's report with a valid number is a stream id");
    let mut s = RecommendationStatus {
        id,
        report,
        number,
        text: None,
        issued: None,
        stance: None,
        verdict: None,
        verdict_as_of: None,
        verdicts: Vec::new(),
        council: Vec::new(),
        commitments: Vec::new(),
        actions: Vec::new(),
        totals_cents: BTreeMap::new(),
        events: list.len(),
    };
    for k in list {
        match &k.fact {
            Fact::Issued(text) => {
                s.text = Some(text.clone());
                s.issued = Some(k.occurred.clone());
            }
            Fact::Stance(stance) => s.stance = Some(*stance),
            Fact::Council(c) => s.council.push(c.clone()),
            Fact::Commitment(c) => s.commitments.push(c.clone()),
            Fact::Action(a) => {
                if let Some(m) = &a.amount {
                    *s.totals_cents.entry(m.currency.clone()).or_default() += m.cents;
                }
                s.actions.push(a.clone());
            }
            Fact::Verdict(v) => s.verdicts.push(v.clone()),
            Fact::Other => {}
        }
    }
    s.verdicts.sort_by(|a, b| a.as_of.cmp(&b.as_of).then(a.position.cmp(&b.position)));
    if let Some(last) = s.verdicts.last() {
        s.verdict = Some(last.verdict);
        s.verdict_as_of = Some(last.as_of.clone());
    }
    s
}

/// The status of every recommendation from `events` in position order, seen through `window`.
pub fn status<'a>(events: impl IntoIterator<Item = &'a RecordedEvent>, window: Window) -> Status {
    let mut fold = StatusFold::new(window);
    for e in events {
        fold.apply(e);
    }
    fold.finish()
}
