//! The status projection: where each recommendation stands, folded from the log.

use std::collections::{BTreeMap, HashMap};

use events::{
    Body, Claim, Concerned, EventId, MotionResult, PartialDate, RecordedEvent, Stance, StreamId, Timestamp, Verdict,
    Votes,
};
use serde::Serialize;

use crate::{Anomaly, Concern, Judgement, Stamp, Verification, Window};

/// The status of every recommendation, ordered by report id and then number.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Status {
    /// Every report with a recommendation listed or a publication in the window, by id: what its first
    /// `report_published` (by position, not retracted) says.
    pub reports: Vec<ReportEntry>,
    /// One entry per recommendation that was issued or has events, by report and number.
    pub recommendations: Vec<RecommendationStatus>,
    /// Facts that did not fit, in log order; the status is built from the rest.
    pub anomalies: Vec<Anomaly>,
}

/// A report as its publication describes it; only the id when the window holds no publication of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportEntry {
    /// The report's id (its stream).
    pub id: String,
    /// Its title.
    pub title: Option<String>,
    /// Who published it.
    pub auditor: Option<String>,
    /// When it was published, as precise as the source.
    pub published: Option<PartialDate>,
    /// Where it can be read.
    pub url: Option<String>,
    /// How many later `report_published` events its stream holds in the window: follow-up reports.
    pub follow_ups: usize,
}

impl ReportEntry {
    /// The entry of report `id` before any publication of it is seen: its id alone.
    pub fn unpublished(id: &str) -> ReportEntry {
        ReportEntry { id: id.to_owned(), title: None, auditor: None, published: None, url: None, follow_ups: 0 }
    }

    /// The report's title, else its id.
    pub fn name(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id)
    }
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
    /// Its wording, once issued (or reframed).
    pub text: Option<String>,
    /// The earlier recommendations it carries on, when a `recommendation_reframed` issued it.
    pub predecessors: Vec<StreamId>,
    /// Who is responsible for it now: the current owner of its latest commitment (in timeline order) that has
    /// one, else the owner named when it was issued; `None` when no event names one.
    pub owner: Option<String>,
    /// When it was issued.
    pub issued: Option<PartialDate>,
    /// The executive's latest stance (by occurred date, then position); `None` before any response.
    pub stance: Option<Stance>,
    /// The executive's latest own claim of progress (by occurred date, then position).
    pub claim: Option<Claim>,
    /// When that claim was made.
    pub claim_occurred: Option<PartialDate>,
    /// Whether that claim disagrees with the latest verdict (`done` against anything but `implemented` or
    /// `no_longer_relevant`, `in_progress` against anything but `in_progress` or `partially_implemented`,
    /// `not_started` against anything but `not_implemented`); `None` unless both exist.
    pub claim_disagrees: Option<bool>,
    /// The latest verdict (greatest as-of date, then latest recorded) among those not superseded; `None` before
    /// the first assessment.
    pub verdict: Option<Verdict>,
    /// The as-of date of that verdict.
    pub verdict_as_of: Option<PartialDate>,
    /// That verdict in the office's own words, when its assessment gives them.
    pub verdict_label: Option<String>,
    /// How verification judges that verdict (rules V1 to V5: supported, unsupported, undermined), once [`judge`]
    /// has been given the verification of the same window; `None` before that or without a verdict.
    pub verdict_judgement: Option<Judgement>,
    /// Every verdict, by as-of date then position.
    pub verdicts: Vec<VerdictEntry>,
    /// Council decisions and motions that concern it, in timeline order.
    pub council: Vec<CouncilEntry>,
    /// Commitments made, in timeline order.
    pub commitments: Vec<CommitmentEntry>,
    /// Actions taken, in timeline order.
    pub actions: Vec<ActionEntry>,
    /// The sum of the actions' amounts per currency code, in minor units (cents for EUR), exact whatever the
    /// number and size of the amounts.
    pub totals_cents: BTreeMap<String, i128>,
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
    /// The verdict in the office's own words, when the assessment gives them (`data.label`).
    pub label: Option<String>,
    /// The assessment this one replaces, when it says so.
    pub supersedes: Option<EventId>,
    /// The later assessment that replaces this one, if any.
    pub superseded_by: Option<EventId>,
    /// How verification judges it, once [`judge`] has been given the verification of the same window.
    pub judgement: Option<Judgement>,
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
    /// The owner first named (`commitment_made.owner`).
    pub owner: Option<String>,
    /// The owner now: the last revision's that names one, else the first.
    pub current_owner: Option<String>,
    /// The due date now: the last revision's, else the first.
    pub current_due: Option<PartialDate>,
    /// Every revision of the due date, in timeline order.
    pub revisions: Vec<Revision>,
    /// How many revisions moved the due date later.
    pub slips: usize,
    /// The first action recorded as keeping this commitment (`action_taken.fulfils`), if any.
    pub kept_by: Option<EventId>,
}

/// A revision of a commitment's due date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Revision {
    /// The `commitment_revised` event.
    pub event_id: EventId,
    /// When the revision happened.
    pub occurred: PartialDate,
    /// The new due date.
    pub due: PartialDate,
    /// Why.
    pub reason: String,
    /// The new owner, when the revision names one.
    pub owner: Option<String>,
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

/// What the status keeps of one event: compact, owned, tagged with the event's id and its [`Stamp`].
struct Kept {
    id: EventId,
    position: u64,
    stamp: Stamp,
    occurred: PartialDate,
    fact: Fact,
}

enum Fact {
    Published {
        title: String,
        auditor: String,
        url: Option<String>,
    },
    Issued(String, Option<String>),
    Reframed(String, Vec<StreamId>),
    /// A stance, and the stances of named recommendations that differ from it.
    Stance(Stance, Vec<(u32, Stance)>),
    Council(CouncilEntry),
    Commitment(CommitmentEntry),
    Action(ActionEntry),
    Verdict(VerdictEntry),
    Claim(Claim),
    Other,
}

impl Kept {
    fn of(e: &RecordedEvent) -> Kept {
        let occurred = e.occurred.clone();
        let fact = match &e.body {
            Body::ReportPublished(b) => {
                Fact::Published { title: b.title.clone(), auditor: b.auditor.clone(), url: b.url.clone() }
            }
            Body::RecommendationIssued(b) => Fact::Issued(b.text.clone(), b.owner.clone()),
            Body::RecommendationReframed(b) => Fact::Reframed(b.text.clone(), b.predecessors.clone()),
            Body::ExecutiveResponded(b) => {
                Fact::Stance(b.stance, b.stances.iter().map(|s| (s.number, s.stance)).collect())
            }
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
                owner: b.owner.clone(),
                current_owner: b.owner.clone(),
                current_due: b.due.clone(),
                revisions: Vec::new(),
                slips: 0,
                kept_by: None,
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
                label: b.label.clone(),
                supersedes: b.supersedes,
                superseded_by: None,
                judgement: None,
            }),
            Body::ExecutiveReported(b) => Fact::Claim(b.claim),
            _ => Fact::Other,
        };
        Kept { id: e.id, position: e.position, stamp: Stamp::of(e), occurred, fact }
    }
}

/// A report-level fact and the recommendations of its report it concerns.
struct ReportFact {
    report: String,
    concern: Concern,
    kept: Kept,
}

/// An action that keeps a commitment (`action_taken.fulfils`).
struct Keeper {
    position: u64,
    id: EventId,
    stamp: Stamp,
}

/// A revision of a commitment's due date.
struct Revised {
    position: u64,
    stamp: Stamp,
    revision: Revision,
}

/// The status of every recommendation as a live read model: events go in one at a time, in position order;
/// the status through any window comes out on demand.
///
/// Feed it with [`StatusFold::apply`] and ask [`StatusFold::snapshot`] as often as wanted, between applies too:
/// a snapshot reads the fold without changing it. The fold keeps a compact owned copy of what the status needs
/// of every event (texts of recommendations, commitments and actions included), never the events themselves,
/// whatever the window later asked. Which events count is decided at snapshot time, as
/// [`status`](crate::status) describes.
#[derive(Default)]
pub struct StatusFold {
    /// Report -> recommendation number -> its own stream's events, in log order.
    recs: BTreeMap<String, BTreeMap<u32, Vec<Kept>>>,
    /// Report-level events, in log order.
    report_level: Vec<ReportFact>,
    /// Report -> the indexes in `report_level` of its events, ascending: a report's snapshot reads its own.
    report_level_of: HashMap<String, Vec<usize>>,
    /// Commitment -> its due-date revisions, in log order.
    revisions: HashMap<EventId, Vec<Revised>>,
    /// Commitment -> the actions that keep it, in log order.
    kept: HashMap<EventId, Vec<Keeper>>,
    /// Retraction target -> the earliest `recorded_at` of its retractions.
    retracted: HashMap<EventId, Timestamp>,
}

impl StatusFold {
    /// An empty fold.
    pub fn new() -> StatusFold {
        StatusFold::default()
    }

    /// Takes in the next event of the log (events in position order).
    pub fn apply(&mut self, event: &RecordedEvent) {
        if let Body::EventRetracted(r) = &event.body {
            let first = self.retracted.entry(r.target).or_insert(event.recorded_at);
            *first = (*first).min(event.recorded_at);
            return;
        }
        let stamp = Stamp::of(event);
        if let Body::ActionTaken(a) = &event.body {
            for c in &a.fulfils {
                self.kept.entry(*c).or_default().push(Keeper { position: event.position, id: event.id, stamp });
            }
        }
        if let Body::CommitmentRevised(r) = &event.body {
            let revision = Revision {
                event_id: event.id,
                occurred: event.occurred.clone(),
                due: r.due.clone(),
                reason: r.reason.clone(),
                owner: r.owner.clone(),
            };
            let revised = Revised { position: event.position, stamp, revision };
            self.revisions.entry(r.commitment).or_default().push(revised);
        }
        let kept = Kept::of(event);
        let report = event.stream.report();
        match event.stream.recommendation() {
            Some(n) => {
                let numbers = match self.recs.get_mut(report) {
                    Some(numbers) => numbers,
                    None => self.recs.entry(report.to_owned()).or_default(),
                };
                numbers.entry(n).or_default().push(kept);
            }
            None => {
                match self.report_level_of.get_mut(report) {
                    Some(at) => at.push(self.report_level.len()),
                    None => {
                        self.report_level_of.insert(report.to_owned(), vec![self.report_level.len()]);
                    }
                }
                self.report_level.push(ReportFact { report: report.to_owned(), concern: Concern::of(event), kept });
            }
        }
    }

    /// The id of every report with an event applied so far, ascending: the reports a snapshot can list.
    pub fn reports(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.recs.keys().map(String::as_str).collect();
        ids.extend(self.report_level_of.keys().filter(|r| !self.recs.contains_key(*r)).map(String::as_str));
        ids.sort_unstable();
        ids
    }

    /// The entry of every report with an event applied so far (as [`StatusFold::reports`]), as the status through
    /// `window` describes it: its first publication in the window, else its id alone. Reads the report-level facts
    /// only, not the recommendations: for choosing a report among all of them.
    pub fn report_entries(&self, window: Window) -> Vec<ReportEntry> {
        let retracted = |id: &EventId| self.retracted.get(id).is_some_and(|t| window.knows(*t));
        self.reports()
            .into_iter()
            .map(|id| {
                let mut entry = ReportEntry::unpublished(id);
                for f in self.report_level_of.get(id).into_iter().flatten().map(|&i| &self.report_level[i]) {
                    if matches!(f.kept.fact, Fact::Published { .. })
                        && window.counts(f.kept.stamp)
                        && !retracted(&f.kept.id)
                    {
                        published(&mut entry, &f.kept);
                    }
                }
                entry
            })
            .collect()
    }

    /// The status of every recommendation through `window`, from the events applied so far.
    ///
    /// An event counts if the log held it at `window.known_at` and it certainly occurred by `window.as_of`; a
    /// retraction counts if the log held it at `known_at`, whenever it occurred, and removes its target. A
    /// recommendation is listed if one of its own stream's events counts (even if retracted); report-level events
    /// that count are attached to the recommendations of their report they concern ([`events::Concerned`]), and
    /// one that names a recommendation not listed is an anomaly.
    pub fn snapshot(&self, window: Window) -> Status {
        self.snapshot_of(window, None)
    }

    /// As [`StatusFold::snapshot`], of one report only when `report` is given: its recommendations, its entry
    /// and its anomalies, exactly as they are in the whole snapshot, without building the others.
    pub fn snapshot_of(&self, window: Window, report: Option<&str>) -> Status {
        let scope = report;
        let retracted = |id: &EventId| self.retracted.get(id).is_some_and(|t| window.knows(*t));
        // Who kept a commitment, and its revisions, are looked up for the commitments shown only.
        let kept_by = |c: &EventId| -> Option<EventId> {
            self.kept
                .get(c)?
                .iter()
                .filter(|a| window.counts(a.stamp) && !retracted(&a.id))
                .map(|a| (a.position, a.id))
                .min()
                .map(|(_, a)| a)
        };
        let revisions_of = |c: &EventId| -> Vec<Revision> {
            let mut revisions: Vec<&Revised> = self
                .revisions
                .get(c)
                .into_iter()
                .flatten()
                .filter(|r| window.counts(r.stamp) && !retracted(&r.revision.event_id))
                .collect();
            revisions.sort_by(|a, b| a.revision.occurred.cmp(&b.revision.occurred).then(a.position.cmp(&b.position)));
            revisions.into_iter().map(|r| r.revision.clone()).collect()
        };
        // The recommendations listed: those with an own-stream event that counts.
        let mut recs: BTreeMap<(&str, u32), Vec<&Kept>> = BTreeMap::new();
        let mut per_report: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut own_first: HashMap<(&str, u32), &Kept> = HashMap::new();
        let scoped: Vec<(&String, &BTreeMap<u32, Vec<Kept>>)> = match scope {
            Some(s) => self.recs.get_key_value(s).into_iter().collect(),
            None => self.recs.iter().collect(),
        };
        for (report, numbers) in scoped {
            for (n, own) in numbers {
                let list: Vec<&Kept> = own.iter().filter(|k| window.counts(k.stamp)).collect();
                if let Some(first) = list.first() {
                    own_first.insert((report, *n), first);
                }
                if !list.is_empty() {
                    recs.insert((report, *n), list);
                    per_report.entry(report).or_default().push(*n);
                }
            }
        }
        let mut anomalies = Vec::new();
        let mut reports: BTreeMap<&str, ReportEntry> = BTreeMap::new();
        let blank = ReportEntry::unpublished;
        for (report, _) in recs.keys() {
            reports.entry(report).or_insert_with(|| blank(report));
        }
        let report_level: Box<dyn Iterator<Item = &ReportFact>> = match scope {
            Some(s) => Box::new(self.report_level_of.get(s).into_iter().flatten().map(|&i| &self.report_level[i])),
            None => Box::new(self.report_level.iter()),
        };
        for f in report_level {
            if !window.counts(f.kept.stamp) || retracted(&f.kept.id) {
                continue;
            }
            let report = f.report.as_str();
            if matches!(f.kept.fact, Fact::Published { .. }) {
                published(reports.entry(report).or_insert_with(|| blank(report)), &f.kept);
            }
            let concerned = f.concern.as_concerned();
            if concerned == Concerned::Report {
                for n in per_report.get(report).map(Vec::as_slice).unwrap_or_default() {
                    if let Some(list) = recs.get_mut(&(report, *n)) {
                        list.push(&f.kept);
                    }
                }
                continue;
            }
            for n in concerned.numbers() {
                match recs.get_mut(&(report, *n)) {
                    Some(list) => list.push(&f.kept),
                    None => anomalies.push(Anomaly {
                        position: Some(f.kept.position),
                        event_id: Some(f.kept.id),
                        message: format!("names recommendation {n} of {report}, which has no events"),
                    }),
                }
            }
        }
        let mut recommendations = Vec::with_capacity(recs.len());
        for ((report, number), mut list) in recs {
            let issue = list
                .iter()
                .find(|k| matches!(k.fact, Fact::Issued(..) | Fact::Reframed(..)))
                .map(|k| (k.position, k.id));
            list.retain(|k| !retracted(&k.id));
            list.sort_by(|a, b| a.occurred.cmp(&b.occurred).then(a.position.cmp(&b.position)));
            let s = summarise(report.to_owned(), number, &list, &revisions_of, &kept_by);
            // A recommendation whose issue was retracted is withdrawn: out of the status, with a note.
            if let (None, Some((position, id))) = (&s.issued, issue) {
                anomalies.push(Anomaly {
                    position: Some(position),
                    event_id: Some(id),
                    message: format!("recommendation {} is left out: its recommendation_issued was retracted", s.id),
                });
                continue;
            }
            if s.issued.is_none() {
                // The first event of its own stream (report-level ones attached to it are not its own).
                let first = own_first.get(&(report, number)).copied();
                anomalies.push(Anomaly {
                    position: first.map(|k| k.position),
                    event_id: first.map(|k| k.id),
                    message: format!("recommendation {} has events but was never issued", s.id),
                });
            }
            recommendations.push(s);
        }
        anomalies.sort_by_key(|a| a.position);
        Status { reports: reports.into_values().collect(), recommendations, anomalies }
    }
}

/// Takes a `report_published` (in log order) into its report's entry: the first describes the report, each later
/// one is a follow-up.
fn published(entry: &mut ReportEntry, kept: &Kept) {
    let Fact::Published { title, auditor, url } = &kept.fact else { return };
    if entry.title.is_some() {
        entry.follow_ups += 1;
    } else {
        entry.title = Some(title.clone());
        entry.auditor = Some(auditor.clone());
        entry.published = Some(kept.occurred.clone());
        entry.url = url.clone();
    }
}

/// Builds one recommendation's status from what was kept of its events, in timeline order.
fn summarise(
    report: String,
    number: u32,
    list: &[&Kept],
    revisions_of: &dyn Fn(&EventId) -> Vec<Revision>,
    kept_by: &dyn Fn(&EventId) -> Option<EventId>,
) -> RecommendationStatus {
    let id = StreamId::parse(&format!("{report}/{number}"))
        .expect("a stream id's report with a valid number is a stream id");
    let mut s = RecommendationStatus {
        id,
        report,
        number,
        text: None,
        predecessors: Vec::new(),
        owner: None,
        issued: None,
        stance: None,
        claim: None,
        claim_occurred: None,
        claim_disagrees: None,
        verdict: None,
        verdict_as_of: None,
        verdict_label: None,
        verdict_judgement: None,
        verdicts: Vec::new(),
        council: Vec::new(),
        commitments: Vec::new(),
        actions: Vec::new(),
        totals_cents: BTreeMap::new(),
        events: list.len(),
    };
    let mut issued_owner = None;
    for k in list {
        match &k.fact {
            Fact::Issued(text, owner) => {
                s.text = Some(text.clone());
                s.issued = Some(k.occurred.clone());
                issued_owner = owner.clone();
            }
            Fact::Reframed(text, predecessors) => {
                s.text = Some(text.clone());
                s.issued = Some(k.occurred.clone());
                s.predecessors.clone_from(predecessors);
            }
            Fact::Stance(stance, per) => {
                s.stance = Some(per.iter().find(|(n, _)| *n == number).map_or(*stance, |(_, st)| *st));
            }
            Fact::Council(c) => s.council.push(c.clone()),
            Fact::Commitment(c) => {
                let mut c = c.clone();
                c.kept_by = kept_by(&c.event_id);
                for r in revisions_of(&c.event_id) {
                    if c.current_due.as_ref().is_some_and(|d| r.due.end() > d.end()) {
                        c.slips += 1;
                    }
                    c.current_due = Some(r.due.clone());
                    if r.owner.is_some() {
                        c.current_owner = r.owner.clone();
                    }
                    c.revisions.push(r);
                }
                s.commitments.push(c);
            }
            Fact::Claim(claim) => {
                s.claim = Some(*claim);
                s.claim_occurred = Some(k.occurred.clone());
            }
            Fact::Action(a) => {
                if let Some(m) = &a.amount {
                    *s.totals_cents.entry(m.currency.clone()).or_default() += i128::from(m.cents);
                }
                s.actions.push(a.clone());
            }
            Fact::Verdict(v) => s.verdicts.push(v.clone()),
            Fact::Published { .. } | Fact::Other => {}
        }
    }
    s.owner = s.commitments.iter().rev().find_map(|c| c.current_owner.clone()).or(issued_owner);
    s.verdicts.sort_by(|a, b| a.as_of.cmp(&b.as_of).then(a.position.cmp(&b.position)));
    // An assessment superseded twice is superseded by the first (by position) that names it.
    let mut replaced: HashMap<EventId, (u64, EventId)> = HashMap::new();
    for v in &s.verdicts {
        if let Some(old) = v.supersedes {
            let first = replaced.entry(old).or_insert((v.position, v.event_id));
            if v.position < first.0 {
                *first = (v.position, v.event_id);
            }
        }
    }
    let replaced: HashMap<EventId, EventId> = replaced.into_iter().map(|(old, (_, by))| (old, by)).collect();
    for v in &mut s.verdicts {
        v.superseded_by = replaced.get(&v.event_id).copied();
    }
    if let Some(last) = s.verdicts.iter().rev().find(|v| v.superseded_by.is_none()) {
        s.verdict = Some(last.verdict);
        s.verdict_as_of = Some(last.as_of.clone());
        s.verdict_label.clone_from(&last.label);
    }
    s.claim_disagrees = match (s.claim, s.verdict) {
        (Some(c), Some(v)) => Some(!claim_agrees(c, v)),
        _ => None,
    };
    s
}

/// Sets each verdict's judgement in `status` from `verification`, which must be of the same log and window: a
/// verdict whose evidence was retracted shows as undermined, one that breaks a rule as unsupported.
pub fn judge(status: &mut Status, verification: &Verification) {
    let judged: HashMap<EventId, Judgement> = verification.verdicts.iter().map(|v| (v.event_id, v.result)).collect();
    for r in &mut status.recommendations {
        for v in &mut r.verdicts {
            v.judgement = judged.get(&v.event_id).copied();
        }
        r.verdict_judgement = r.verdicts.iter().rev().find(|v| v.superseded_by.is_none()).and_then(|v| v.judgement);
    }
}

/// Whether the executive's claim matches the auditor's verdict.
fn claim_agrees(claim: Claim, verdict: Verdict) -> bool {
    match claim {
        Claim::Done => matches!(verdict, Verdict::Implemented | Verdict::NoLongerRelevant),
        Claim::InProgress => matches!(verdict, Verdict::InProgress | Verdict::PartiallyImplemented),
        Claim::NotStarted => matches!(verdict, Verdict::NotImplemented | Verdict::NotAdopted),
    }
}

/// Whether `owner` is `name`: equal after trimming both and ignoring case (Unicode lower case), so `--owner`
/// finds `Wethouder Zorg` as `wethouder zorg`. No owner matches no name.
pub fn owner_is(owner: Option<&str>, name: &str) -> bool {
    owner.is_some_and(|o| o.trim().to_lowercase() == name.trim().to_lowercase())
}

impl RecommendationStatus {
    /// Whether `name` is responsible for this recommendation or for one of its commitments: its owner, or a
    /// commitment's current owner, is `name` by [`owner_is`].
    pub fn owned_by(&self, name: &str) -> bool {
        owner_is(self.owner.as_deref(), name)
            || self.commitments.iter().any(|c| owner_is(c.current_owner.as_deref(), name))
    }
}

impl Overdue {
    /// Whether `name` is to keep this commitment: its owner ([`Overdue::owner`]) is `name` by [`owner_is`].
    pub fn owned_by(&self, name: &str) -> bool {
        owner_is(self.owner.as_deref(), name)
    }
}

/// The status of every recommendation from `events` in position order, seen through `window`.
///
/// An event counts if the log held it at `window.known_at` and it certainly occurred by `window.as_of`; a
/// retraction known at `known_at` removes its target, whenever the retraction occurred. Recommendations are listed
/// by report id and then number, those with an own-stream event that counts; report-level events are attached to
/// the recommendations they concern. A [`StatusFold`] snapshot of the same events and window.
pub fn status<'a>(events: impl IntoIterator<Item = &'a RecordedEvent>, window: Window) -> Status {
    let mut fold = StatusFold::new();
    for e in events {
        fold.apply(e);
    }
    fold.snapshot(window)
}

/// A commitment overdue on a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overdue {
    /// The recommendation it serves.
    pub recommendation: StreamId,
    /// The commitment, with its due dates.
    pub commitment: CommitmentEntry,
    /// Who is to keep it: the commitment's current owner, else the recommendation's owner.
    pub owner: Option<String>,
    /// Whole days from the last day of its current due date to the day judged.
    pub days_overdue: i64,
    /// The recommendation's latest verdict, if any.
    pub verdict: Option<Verdict>,
}

/// The commitments overdue on `day`, by current due date, then recommendation.
///
/// A commitment is overdue when its current due date (the last revision's, else the first) ends before `day`,
/// no action keeps it (`action_taken.fulfils`), and the recommendation it serves has no verdict of
/// `implemented` or `no_longer_relevant`. Commitments without a due date
/// are never overdue. `status` should be folded with `as_of` = `day`, so that only what happened by then counts.
pub fn overdue(status: &Status, day: events::Date) -> Vec<Overdue> {
    let mut out = Vec::new();
    for r in &status.recommendations {
        if matches!(r.verdict, Some(Verdict::Implemented | Verdict::NoLongerRelevant)) {
            continue;
        }
        for c in &r.commitments {
            let Some(due) = &c.current_due else { continue };
            if c.kept_by.is_some() {
                continue;
            }
            if due.end() >= day {
                continue;
            }
            let days_overdue = due.end().until(day).map(|s| i64::from(s.get_days())).unwrap_or(0);
            let owner = c.current_owner.clone().or_else(|| r.owner.clone());
            out.push(Overdue {
                recommendation: r.id.clone(),
                commitment: c.clone(),
                owner,
                days_overdue,
                verdict: r.verdict,
            });
        }
    }
    order_overdue(&mut out);
    out
}

/// Orders overdue commitments as [`overdue`] does: by current due date, then recommendation, else as given.
/// Concatenating the overdue commitments of report-scoped statuses in report id order and ordering them gives
/// exactly what [`overdue`] gives of the whole status.
pub fn order_overdue(overdue: &mut [Overdue]) {
    overdue.sort_by(|a, b| {
        let due = |o: &Overdue| o.commitment.current_due.as_ref().map(|d| (d.start(), d.end()));
        due(a).cmp(&due(b)).then_with(|| a.recommendation.cmp(&b.recommendation))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::given::{self, at, line, log};
    use expect_test::expect;

    fn check(lines: &[String], window: Window) -> Status {
        status(&log(lines), window)
    }

    #[test]
    fn given_a_report_level_response_with_stances_of_its_own_when_folded_then_each_recommendation_takes_its_own() {
        let mut lines = given::follow_up()[..3].to_vec();
        lines.push(line(
            None,
            "r",
            "executive_responded",
            "2013-06",
            r#"{"stance":"adopted","summary":"yes, the second in part","stances":[{"number":2,"stance":"partially_adopted"}]}"#,
        ));
        let s = check(&lines, Window::default());
        let stance = |n: u32| s.recommendations.iter().find(|r| r.number == n).unwrap().stance;
        assert_eq!((stance(1), stance(2)), (Some(Stance::Adopted), Some(Stance::PartiallyAdopted)));
    }

    #[test]
    fn given_a_reframed_recommendation_when_folded_then_it_is_issued_with_its_text_and_predecessors() {
        let mut lines = given::follow_up()[..3].to_vec();
        lines.push(line(None, "s", "report_published", "2021-03", r#"{"title":"T2","auditor":"RA","summary":"S"}"#));
        lines.push(line(
            None,
            "s/1",
            "recommendation_reframed",
            "2021-03",
            r#"{"number":1,"text":"Do one and two","predecessors":["r/1","r/2"],"how":"merged"}"#,
        ));
        let s = check(&lines, Window::default());
        let r = s.recommendations.iter().find(|r| r.id.as_str() == "s/1").unwrap();
        assert_eq!(r.text.as_deref(), Some("Do one and two"));
        assert_eq!(r.issued.as_ref().map(|d| d.to_string()), Some("2021-03".into()));
        assert_eq!(r.predecessors.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["r/1", "r/2"]);
        assert!(s.anomalies.is_empty(), "{:?}", s.anomalies);
    }

    fn day(s: &str) -> events::Date {
        s.parse().unwrap()
    }

    #[test]
    fn given_a_follow_up_when_folded_then_each_recommendation_has_its_stance_council_actions_and_verdict() {
        let s = check(&given::follow_up(), Window::default());
        assert!(s.anomalies.is_empty(), "{:?}", s.anomalies);
        let summary: Vec<String> = s
            .recommendations
            .iter()
            .map(|r| {
                format!(
                    "{} {:?} {:?} {:?} council={} commitments={} actions={} totals={:?} events={}",
                    r.id,
                    r.stance,
                    r.verdict,
                    r.verdict_as_of.as_ref().map(|d| d.as_str()),
                    r.council.len(),
                    r.commitments.len(),
                    r.actions.len(),
                    r.totals_cents,
                    r.events
                )
            })
            .collect();
        expect![[r#"
            [
                "r/1 Some(Adopted) Some(PartiallyImplemented) Some(\"2017-11\") council=1 commitments=1 actions=2 totals={\"EUR\": 58000050} events=8",
                "r/2 Some(AdoptedWithReservations) None None council=2 commitments=0 actions=0 totals={} events=5",
            ]
        "#]]
        .assert_debug_eq(&summary);
    }

    #[test]
    fn given_as_of_a_date_when_folded_then_only_events_certainly_occurred_by_then_count() {
        // The 2015 action ends on 2015-12-31: not certain by 2015-06-30, certain by 2015-12-31.
        let mid = check(&given::follow_up(), Window { as_of: Some(day("2015-06-30")), known_at: None });
        assert_eq!(mid.recommendations[0].actions.len(), 0);
        assert_eq!(mid.recommendations[0].verdict, None);
        let end = check(&given::follow_up(), Window { as_of: Some(day("2015-12-31")), known_at: None });
        assert_eq!(end.recommendations[0].totals_cents.get("EUR"), Some(&50_000_000));
        assert_eq!(end.recommendations[0].stance, Some(Stance::Adopted));
    }

    #[test]
    fn given_known_at_an_instant_when_folded_then_only_what_the_log_held_then_counts() {
        // Position 4 (the response to 1) was recorded at hour 4.
        let s = check(&given::follow_up(), Window { as_of: None, known_at: Some(at(4)) });
        assert_eq!(s.recommendations[0].stance, Some(Stance::Adopted));
        assert_eq!(s.recommendations[1].stance, None);
        assert_eq!(s.recommendations[0].verdict, None);
    }

    #[test]
    fn given_a_later_response_when_folded_then_the_stance_is_the_latest_by_occurred_date() {
        let mut lines = given::follow_up();
        // Recorded last but occurred before the 2013 response: the 2013 stance stands.
        lines.push(line(None, "r/1", "executive_responded", "2012", r#"{"stance":"rejected","summary":"no"}"#));
        assert_eq!(check(&lines, Window::default()).recommendations[0].stance, Some(Stance::Adopted));
        lines.push(line(
            None,
            "r/1",
            "executive_responded",
            "2014-01",
            r#"{"stance":"rejected","summary":"changed mind"}"#,
        ));
        assert_eq!(check(&lines, Window::default()).recommendations[0].stance, Some(Stance::Rejected));
    }

    #[test]
    fn given_two_verdicts_when_folded_then_the_latest_as_of_wins_and_both_are_in_the_history() {
        let mut lines = given::follow_up();
        lines.push(line(
            None,
            "r/1",
            "status_assessed",
            "2016",
            &format!(
                r#"{{"verdict":"in_progress","as_of":"2016","assessor":"RA","rationale":"going","evidence":["{}"]}}"#,
                given::A1
            ),
        ));
        let s = check(&lines, Window::default());
        let r = &s.recommendations[0];
        assert_eq!(r.verdict, Some(Verdict::PartiallyImplemented));
        let history: Vec<(Verdict, &str)> = r.verdicts.iter().map(|v| (v.verdict, v.as_of.as_str())).collect();
        assert_eq!(history, [(Verdict::InProgress, "2016"), (Verdict::PartiallyImplemented, "2017-11")]);
    }

    #[test]
    fn given_a_retraction_when_folded_then_its_target_no_longer_counts_from_when_it_was_known() {
        let mut lines = given::follow_up();
        lines.push(given::retraction_of_a2());
        let after = check(&lines, Window::default());
        assert_eq!(after.recommendations[0].actions.len(), 1);
        assert_eq!(after.recommendations[0].totals_cents.get("EUR"), Some(&50_000_000));
        // Known at hour 11, before the retraction (position 12), the action still counts.
        let before = check(&lines, Window { as_of: None, known_at: Some(at(11)) });
        assert_eq!(before.recommendations[0].actions.len(), 2);
    }

    #[test]
    fn given_events_of_an_unissued_recommendation_when_folded_then_an_anomaly_is_reported() {
        let mut lines = given::follow_up();
        lines.push(line(None, "r/3", "action_taken", "2015", r#"{"summary":"orphan"}"#));
        lines.push(line(None, "r", "context_noted", "2015", r#"{"summary":"names 9","recommendations":[9]}"#));
        let s = check(&lines, Window::default());
        let messages: Vec<&str> = s.anomalies.iter().map(|a| a.message.as_str()).collect();
        assert_eq!(
            messages,
            ["recommendation r/3 has events but was never issued", "names recommendation 9 of r, which has no events"]
        );
        assert_eq!(s.recommendations.len(), 3);
        // The note cites the orphan's own event, not a report-level event attached to it.
        let orphan = check(&lines, Window::default()).recommendations.into_iter().find(|r| r.number == 3).unwrap();
        assert_eq!(orphan.actions[0].summary, "orphan");
        let own = log(&lines).into_iter().find(|e| e.stream.as_str() == "r/3").unwrap();
        assert_eq!((s.anomalies[0].position, s.anomalies[0].event_id), (Some(own.position), Some(own.id)));
    }

    #[test]
    fn given_no_events_when_folded_then_the_status_is_empty() {
        assert_eq!(check(&[], Window::default()), Status::default());
    }

    /// The follow-up with a retraction of the second action (position 12, occurred 2018), a commitment to 2
    /// (13) revised (14) and kept by an action (15), and a report-level note naming a recommendation without
    /// events (16): every part of the fold that a window cuts.
    fn corrected() -> Vec<String> {
        let mut lines = given::follow_up();
        lines.push(given::retraction_of_a2());
        lines.push(line(Some(C1), "r/2", "commitment_made", "2013-06", r#"{"summary":"a plan","due":"2014-23"}"#));
        lines.push(line(
            None,
            "r/2",
            "commitment_revised",
            "2014-10",
            &format!(r#"{{"commitment":"{C1}","due":"2015-34","reason":"staff"}}"#),
        ));
        lines.push(line(
            None,
            "r/2",
            "action_taken",
            "2016-03",
            &format!(r#"{{"summary":"kept","fulfils":["{C1}"]}}"#),
        ));
        lines.push(line(None, "r", "context_noted", "2015", r#"{"summary":"names 9","recommendations":[9]}"#));
        lines
    }

    #[test]
    fn given_a_live_fold_when_snapshot_known_at_each_position_then_it_equals_a_fresh_fold_of_that_prefix() {
        let events = log(&corrected());
        let mut live = StatusFold::new();
        for e in &events {
            live.apply(e);
        }
        for p in 0..=events.len() {
            let window = Window { as_of: None, known_at: Some(at(p as i64)) };
            assert_eq!(live.snapshot(window), status(&events[..p], Window::default()), "known at position {p}");
        }
    }

    #[test]
    fn given_a_live_fold_when_snapshot_as_of_a_day_then_it_equals_a_fresh_fold_of_the_events_certain_by_then() {
        let events = log(&corrected());
        let mut live = StatusFold::new();
        for e in &events {
            live.apply(e);
        }
        for d in ["2012-12-31", "2013-05-31", "2013-07-04", "2015-06-30", "2015-12-31", "2017-11-30", "2030-01-01"] {
            let day = day(d);
            // A retraction counts whenever it occurred; every other event only if certainly occurred by the day.
            let admitted: Vec<&RecordedEvent> = events
                .iter()
                .filter(|e| matches!(e.body, Body::EventRetracted(_)) || e.occurred.certainly_by(day))
                .collect();
            let window = Window { as_of: Some(day), known_at: None };
            assert_eq!(live.snapshot(window), status(admitted, Window::default()), "as of {d}");
        }
    }

    #[test]
    fn given_a_retraction_recorded_later_when_snapshot_then_it_is_ignored_before_it_was_known_and_honoured_after() {
        let events = log(&corrected());
        let mut live = StatusFold::new();
        for e in &events {
            live.apply(e);
        }
        let actions = |w: Window| live.snapshot(w).recommendations[0].actions.len();
        assert_eq!(actions(Window { as_of: None, known_at: Some(at(11)) }), 2);
        assert_eq!(actions(Window { as_of: None, known_at: Some(at(12)) }), 1);
        // Occurred in 2018, the retraction still counts as of 2016-12-31: it corrects the record.
        assert_eq!(actions(Window { as_of: Some(day("2016-12-31")), known_at: None }), 1);
        assert_eq!(actions(Window { as_of: Some(day("2016-12-31")), known_at: Some(at(11)) }), 2);
    }

    #[test]
    fn given_a_snapshot_when_more_events_are_applied_then_the_next_snapshot_sees_them_and_the_first_is_unchanged() {
        let events = log(&corrected());
        let windows = [
            Window::default(),
            Window { as_of: Some(day("2015-12-31")), known_at: None },
            Window { as_of: None, known_at: Some(at(9)) },
        ];
        let mut live = StatusFold::new();
        let (first, rest) = events.split_at(9);
        for e in first {
            live.apply(e);
        }
        let early: Vec<Status> = windows.iter().map(|w| live.snapshot(*w)).collect();
        assert_eq!(early, windows.map(|w| status(first, w)));
        assert_eq!(early, windows.map(|w| live.snapshot(w)), "a snapshot changes nothing");
        for e in rest {
            live.apply(e);
        }
        let late: Vec<Status> = windows.iter().map(|w| live.snapshot(*w)).collect();
        assert_eq!(late, windows.map(|w| status(&events, w)));
        assert_ne!(late[0], early[0], "the verdict and the retraction came later");
        assert_eq!(late[2], early[2], "known at position 9, the later events do not count");
    }

    const C1: &str = "00000000-0000-5000-8000-0000000000c1";

    fn lineage() -> Vec<String> {
        let mut lines = given::follow_up();
        lines.push(line(Some(C1), "r/2", "commitment_made", "2013-06", r#"{"summary":"a plan","due":"2014-23"}"#));
        lines.push(line(
            None,
            "r/2",
            "commitment_revised",
            "2014-10",
            &format!(r#"{{"commitment":"{C1}","due":"2015-34","reason":"staff"}}"#),
        ));
        lines.push(line(
            None,
            "r/2",
            "commitment_revised",
            "2015-05",
            &format!(r#"{{"commitment":"{C1}","due":"2015-06","reason":"earlier after all"}}"#),
        ));
        lines.push(line(
            None,
            "r/2",
            "commitment_revised",
            "2015-06",
            &format!(r#"{{"commitment":"{C1}","due":"2016","reason":"elections"}}"#),
        ));
        lines
    }

    #[test]
    fn given_revised_due_dates_when_folded_then_the_commitment_shows_first_and_current_due_and_its_slips() {
        let s = check(&lineage(), Window::default());
        let c = &s.recommendations[1].commitments[0];
        let got = (
            c.due.as_ref().map(|d| d.as_str()),
            c.current_due.as_ref().map(|d| d.as_str()),
            c.revisions.len(),
            c.slips,
        );
        // 2014-23 -> 2015-34 (later), -> 2015-06 (same last day: not a slip), -> 2016 (later)
        assert_eq!(got, (Some("2014-23"), Some("2016"), 3, 2));
        let mid = check(&lineage(), Window { as_of: Some(day("2015-05-31")), known_at: None });
        let c = &mid.recommendations[1].commitments[0];
        assert_eq!((c.current_due.as_ref().map(|d| d.as_str()), c.slips), (Some("2015-06"), 1));
    }

    #[test]
    fn given_a_day_when_overdue_is_asked_then_open_commitments_past_their_due_date_are_listed() {
        let s = check(&lineage(), Window { as_of: Some(day("2017-01-01")), known_at: None });
        let due = overdue(&s, day("2017-01-01"));
        let got: Vec<(&str, Option<&str>, i64)> = due
            .iter()
            .map(|o| (o.recommendation.as_str(), o.commitment.current_due.as_ref().map(|d| d.as_str()), o.days_overdue))
            .collect();
        // r/1's commitment (due 2014) is overdue too: its verdict is only partial.
        assert_eq!(got, [("r/1", Some("2014"), 732), ("r/2", Some("2016"), 1)]);
        assert!(overdue(&s, day("2014-12-31")).iter().all(|o| o.recommendation.as_str() != "r/2"));
    }

    #[test]
    fn given_an_action_that_keeps_a_commitment_when_folded_then_it_is_not_overdue() {
        let mut lines = lineage();
        lines.push(line(
            None,
            "r/2",
            "action_taken",
            "2016-03",
            &format!(r#"{{"summary":"kept","fulfils":["{C1}"]}}"#),
        ));
        let s = check(&lines, Window::default());
        assert!(s.recommendations[1].commitments[0].kept_by.is_some());
        let late = overdue(&s, day("2020-01-01"));
        let due: Vec<&str> = late.iter().map(|o| o.recommendation.as_str()).collect();
        assert_eq!(due, ["r/1"]);
    }

    #[test]
    fn given_an_executive_claim_when_folded_then_it_is_shown_beside_the_verdict_and_disagreement_flagged() {
        let mut lines = given::follow_up();
        lines.push(line(None, "r/1", "executive_reported", "2017-06", r#"{"claim":"done","summary":"all done"}"#));
        lines.push(line(None, "r/2", "executive_reported", "2017-06", r#"{"claim":"in_progress","summary":"busy"}"#));
        let s = check(&lines, Window::default());
        let got: Vec<(Option<Claim>, Option<bool>)> =
            s.recommendations.iter().map(|r| (r.claim, r.claim_disagrees)).collect();
        assert_eq!(got, [(Some(Claim::Done), Some(true)), (Some(Claim::InProgress), None)]);
        lines.push(line(None, "r/1", "executive_reported", "2017-09", r#"{"claim":"in_progress","summary":"half"}"#));
        assert_eq!(check(&lines, Window::default()).recommendations[0].claim_disagrees, Some(false));
    }

    #[test]
    fn given_a_superseding_assessment_when_folded_then_it_replaces_the_one_it_names() {
        let mut lines = given::follow_up();
        lines.push(line(None, "r/1", "status_assessed", "2017-12", &format!(
            r#"{{"verdict":"in_progress","as_of":"2017-06","assessor":"RA","rationale":"corrected","evidence":["{}"],"supersedes":"{}"}}"#,
            given::A1, given::V1
        )));
        let r = &check(&lines, Window::default()).recommendations[0];
        assert_eq!(
            (r.verdict, r.verdict_as_of.as_ref().map(|d| d.as_str())),
            (Some(Verdict::InProgress), Some("2017-06"))
        );
        assert_eq!(r.verdicts[1].superseded_by, Some(r.verdicts[0].event_id));
    }

    #[test]
    fn totals_of_ten_thousand_actions_of_ten_to_the_thirteen_euros_do_not_overflow() {
        let mut lines = vec![
            line(None, "r", "report_published", "2013", r#"{"title":"T","auditor":"A","summary":"S"}"#),
            line(None, "r/1", "recommendation_issued", "2013", r#"{"number":1,"text":"Spend"}"#),
        ];
        for i in 0..10_000 {
            lines.push(line(
                None,
                "r/1",
                "action_taken",
                "2015",
                &format!(r#"{{"summary":"tranche {i}","amount":{{"value":10000000000000,"currency":"EUR"}}}}"#),
            ));
        }
        let s = check(&lines, Window::default());
        // 10^4 actions of 10^15 cents: 10^19 cents, beyond i64::MAX (about 9.2 * 10^18)
        assert_eq!(s.recommendations[0].totals_cents.get("EUR"), Some(&10_i128.pow(19)));
        let json = serde_json::to_value(&s.recommendations[0]).unwrap();
        assert_eq!(json["totals_cents"]["EUR"].to_string(), "10000000000000000000");
    }
    #[test]
    fn given_owners_on_the_issue_a_commitment_and_a_revision_then_the_latest_named_is_the_owner() {
        const C1: &str = "00000000-0000-5000-8000-0000000000c1";
        let mut lines = given::follow_up();
        lines[1] = line(
            None,
            "r/1",
            "recommendation_issued",
            "2013-05",
            r#"{"number":1,"text":"Do one","owner":"Wethouder A"}"#,
        );
        lines[2] = line(
            None,
            "r/2",
            "recommendation_issued",
            "2013-05",
            r#"{"number":2,"text":"Do two","owner":"Wethouder B"}"#,
        );
        lines.push(line(
            Some(C1),
            "r/1",
            "commitment_made",
            "2013-07",
            r#"{"summary":"plan","due":"2014","owner":"Directeur Zorg"}"#,
        ));
        let before = check(&lines, Window::default());
        let owners = |s: &Status| s.recommendations.iter().map(|r| r.owner.clone()).collect::<Vec<_>>();
        assert_eq!(owners(&before), [Some("Directeur Zorg".to_owned()), Some("Wethouder B".to_owned())]);
        let revision = |occurred: &str, data: &str| line(None, "r/1", "commitment_revised", occurred, data);
        lines.push(revision("2014-06", &format!(r#"{{"commitment":"{C1}","due":"2015","reason":"later"}}"#)));
        lines.push(revision(
            "2014-09",
            &format!(r#"{{"commitment":"{C1}","due":"2015","reason":"new post","owner":"Afdeling OOV"}}"#),
        ));
        let after = check(&lines, Window::default());
        let c = &after.recommendations[0].commitments[1];
        assert_eq!(
            (c.owner.as_deref(), c.current_owner.as_deref(), c.slips),
            (Some("Directeur Zorg"), Some("Afdeling OOV"), 1)
        );
        assert_eq!(after.recommendations[0].owner.as_deref(), Some("Afdeling OOV"));
        assert!(after.recommendations[0].owned_by(" afdeling oov "));
        assert!(!after.recommendations[0].owned_by("Wethouder A"), "the issue's owner gave way to the commitment's");
        assert!(after.recommendations[1].owned_by("WETHOUDER B") && !after.recommendations[1].owned_by("Wethouder"));
        let overdue = overdue(&after, day("2016-01-01"));
        let owners: Vec<_> = overdue.iter().map(|o| (o.commitment.summary.as_str(), o.owner.as_deref())).collect();
        assert_eq!(owners, [("will do", Some("Afdeling OOV")), ("plan", Some("Afdeling OOV"))]);
    }
}
