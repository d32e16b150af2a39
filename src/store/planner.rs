//! The commit planner: every rule of a write, once, for every backend.
//!
//! A backend takes its serialisation point (sled: the writer's mutex; a database server: a transaction holding the
//! head row), hands the planner a [`LogView`] of the log as it stands, and feeds it the write's items one at a time.
//! The planner decides, for each item: a resend (same id and content: it keeps its position), a conflict (same
//! id, other content), the expected version (checked at the first new event), the references (every id named
//! must exist, and name the right kind of event in the right place), the stream's next version, the next
//! position, and the seal (hash chained to the previous line). Every [`CHUNK_EVENTS`] events it hands back a
//! chunk of sealed lines for the backend to stage past the head, where no reader looks; at the end it hands back
//! the [`Commit`]: the last chunk, each stream's new version and the new head. The backend applies exactly that.
//!
//! The view must show what the backend staged for this write (ids and lines) as well as the committed log,
//! so that a resend or a reference to an event of an earlier chunk is found.

use std::collections::HashMap;

use events::{Body, EventId, EventType, LineError, NewEvent, RecordedEvent, StreamId, Timestamp};

use super::{AppendError, BackendError, ExpectedVersion, Head, ReadError, Refusals};

/// How many events a write stages at a time: it holds no more than this many in memory.
pub const CHUNK_EVENTS: usize = 8192;

/// The most errors one refused write reports.
pub const MAX_ERRORS: usize = 1000;

/// One item to write: a new event, or one of an exported log with its line, kept byte for byte.
#[derive(Clone, Debug)]
pub enum Pending {
    /// A new event, to be given its version, position, time and hash.
    New(NewEvent),
    /// An exported event with its exact line, to be written at the position it states.
    Restored(RecordedEvent, Vec<u8>),
}

impl Pending {
    /// The event as a new one: a restored event without its place in the log, time and hashes.
    pub fn into_new(self) -> NewEvent {
        match self {
            Pending::New(e) => e,
            Pending::Restored(e, _) => NewEvent {
                id: e.id,
                stream: e.stream,
                occurred: e.occurred,
                source: e.source,
                body: e.body,
                recorded_by: Some(e.recorded_by),
            },
        }
    }

    /// The event's id.
    pub fn id(&self) -> EventId {
        match self {
            Pending::New(e) => e.id,
            Pending::Restored(e, _) => e.id,
        }
    }

    fn stream_and_body(&self) -> (&StreamId, &Body) {
        match self {
            Pending::New(e) => (&e.stream, &e.body),
            Pending::Restored(e, _) => (&e.stream, &e.body),
        }
    }
}

/// What the planner reads of the log, under the backend's serialisation point: the committed log and whatever
/// the backend staged for the write in progress.
pub trait LogView {
    /// The position of event `id`, committed or staged; `None` when it is in neither.
    ///
    /// # Errors
    /// Storage failure.
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError>;

    /// The stored line at `position`, committed or staged.
    ///
    /// # Errors
    /// Storage failure.
    fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError>;

    /// The stream's committed version (not counting the write in progress); `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failure.
    fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError>;
}

impl<V: LogView + ?Sized> LogView for &V {
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError> {
        (**self).position_of(id)
    }

    fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError> {
        (**self).line_at(position)
    }

    fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError> {
        (**self).version_of(stream)
    }
}

/// A sealed event: its record and the exact line to store.
#[derive(Clone, Debug, PartialEq)]
pub struct Sealed {
    /// The event as stored.
    pub record: RecordedEvent,
    /// Its stored line: canonical JSON, `hash` last.
    pub line: Vec<u8>,
}

/// What a backend applies to end a write: the last chunk, each stream's new version, and the new head.
#[derive(Debug)]
pub struct Commit {
    /// The events not yet staged, in position order (possibly none).
    pub events: Vec<Sealed>,
    /// Every stream the write touched with its version afterwards.
    pub versions: Vec<(StreamId, u64)>,
    /// The head after the write.
    pub head: Head,
    /// Whether earlier chunks were staged (and so an uncommitted marker set).
    pub staged: bool,
}

/// The planner's decision for a whole write.
#[derive(Debug)]
pub enum Decision {
    /// Nothing new: every item is stored already (perhaps not yet durable, up to `last`).
    Nothing {
        /// Each item's position.
        positions: Vec<u64>,
        /// The expected stream's version.
        version: Option<u64>,
        /// The greatest position named, to wait for (0 for none).
        last: u64,
    },
    /// Apply this commit.
    Commit {
        /// What to apply.
        commit: Commit,
        /// Each item's position.
        positions: Vec<u64>,
        /// The expected stream's version afterwards.
        version: Option<u64>,
    },
}

/// What an event may refer to, beyond existing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Anything in the log.
    Any,
    /// An assessment of the same recommendation.
    Assessment,
    /// A commitment of the same report.
    Commitment,
    /// A commitment of the same stream, or, from a report stream, of one of its recommendations.
    OwnCommitment,
    /// Anything but a retraction, on the same stream or, from a report stream, on one of its recommendations.
    Retractable,
}

impl Rule {
    /// Why the event at `from` may not refer to an event of type `kind` on `to`; `None` when it may.
    fn judge(self, from: &StreamId, to: &StreamId, kind: EventType) -> Option<String> {
        let from_its_report = from.recommendation().is_none() && to.report() == from.report();
        match self {
            Rule::Any => None,
            Rule::Assessment if kind != EventType::StatusAssessed => {
                Some(format!("it names a {kind}, not a {}", EventType::StatusAssessed))
            }
            Rule::Assessment if to != from => Some(format!("it names an assessment of {to}, not of {from}")),
            Rule::Commitment if kind != EventType::CommitmentMade => {
                Some(format!("it names a {kind}, not a {}", EventType::CommitmentMade))
            }
            Rule::Commitment if to.report() != from.report() => {
                Some(format!("it names a commitment of another report ({to})"))
            }
            Rule::OwnCommitment if kind != EventType::CommitmentMade => {
                Some(format!("it names a {kind}, not a {}", EventType::CommitmentMade))
            }
            Rule::OwnCommitment if to != from && !from_its_report => {
                Some(format!("it names a commitment of {to}; revise it from that stream or from its report's stream"))
            }
            Rule::Retractable if kind == EventType::EventRetracted => Some(
                "a retraction cannot be retracted; restore the event instead (record it again with --restore)".into(),
            ),
            Rule::Retractable if to != from && !from_its_report => {
                Some(format!("it is on {to}; retract it from that stream or from its report's stream"))
            }
            _ => None,
        }
    }
}

/// The references of a body: the field that holds each, the id, and what it may name.
fn reference_rules(body: &Body) -> Vec<(String, EventId, Rule)> {
    match body {
        Body::StatusAssessed(b) => {
            let mut out: Vec<_> =
                b.evidence.iter().enumerate().map(|(i, id)| (format!("data.evidence[{i}]"), *id, Rule::Any)).collect();
            out.extend(b.supersedes.map(|id| ("data.supersedes".to_owned(), id, Rule::Assessment)));
            out
        }
        Body::EventRetracted(b) => vec![("data.target".into(), b.target, Rule::Retractable)],
        Body::CommitmentRevised(b) => vec![("data.commitment".into(), b.commitment, Rule::OwnCommitment)],
        Body::ActionTaken(b) => {
            b.fulfils.iter().enumerate().map(|(i, id)| (format!("data.fulfils[{i}]"), *id, Rule::Commitment)).collect()
        }
        _ => Vec::new(),
    }
}

/// Decodes the stored line at `position`: a damaged one is an integrity failure, not a refusal.
fn decode_at(position: u64, line: &[u8]) -> Result<RecordedEvent, ReadError> {
    RecordedEvent::decode(line).map_err(|e| ReadError::Corrupt { position, error: e.to_string() })
}

/// The planner of one write: feed it items with [`Planner::push`], then call [`Planner::finish`].
pub struct Planner {
    start: Head,
    now: Timestamp,
    expect: Option<(StreamId, ExpectedVersion)>,
    recorded_by: String,
    /// Events sealed since the last chunk was handed out, and where each id stands among them.
    chunk: Vec<Sealed>,
    ids: HashMap<EventId, usize>,
    versions: HashMap<StreamId, u64>,
    errors: Refusals,
    skipped: bool,
    expectation_met: bool,
    positions: Vec<u64>,
    next: u64,
    prev: events::Hash,
    last_at: Option<Timestamp>,
    staged: bool,
    stopped: bool,
}

impl Planner {
    /// A planner for a write that starts at `start` (the head of everything committed, durable or not), recorded
    /// at `now` (clamped so that `recorded_at` never goes back along positions, rounded to microseconds).
    ///
    /// # Errors
    /// An invalid `recorded_by`.
    pub fn new(
        start: Head,
        now: Timestamp,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Planner, Refusals> {
        if let Err(error) = events::check_recorder(recorded_by) {
            return Err(vec![(0, AppendError::Invalid { event: EventId::from_uuid(uuid::Uuid::nil()), error })]);
        }
        let now = now.round(jiff::Unit::Microsecond).unwrap_or(now);
        let now = match start.recorded_at {
            Some(last) if last > now => last,
            _ => now,
        };
        Ok(Planner {
            start,
            now,
            expect: expect.map(|(s, e)| (s.clone(), e)),
            recorded_by: recorded_by.to_owned(),
            chunk: Vec::new(),
            ids: HashMap::new(),
            versions: HashMap::new(),
            errors: Vec::new(),
            skipped: false,
            expectation_met: false,
            positions: Vec::new(),
            next: start.position + 1,
            prev: start.hash,
            last_at: start.recorded_at,
            staged: false,
            stopped: false,
        })
    }

    /// Judges item `i` (`None`: one the caller could not read). Returns a full chunk for the backend to stage
    /// past the head, when [`CHUNK_EVENTS`] events are sealed; the view must then show them.
    ///
    /// # Errors
    /// A refusal that ends the write at once (a wrong expected version, a storage failure); other refusals are
    /// collected and reported by [`Planner::finish`].
    pub fn push(
        &mut self,
        view: &dyn LogView,
        i: usize,
        item: Option<Pending>,
    ) -> Result<Option<Vec<Sealed>>, Refusals> {
        let Some(item) = item else {
            self.skipped = true;
            return Ok(None);
        };
        if self.errors.len() >= MAX_ERRORS {
            return Ok(None);
        }
        let at = |e: AppendError| vec![(i, e)];
        let id = item.id();
        if let Some(p) = self.resend_position(view, &item).map_err(at)? {
            match p {
                Ok(p) => self.positions.push(p),
                Err(p) => {
                    self.errors.push((i, AppendError::IdConflict(id)));
                    self.positions.push(p);
                }
            }
            return Ok(None);
        }
        if let Some((stream, expected)) = &self.expect {
            if !self.expectation_met {
                let version = view.version_of(stream).map_err(|e| at(e.into()))?;
                if !expected.admits(version) {
                    // Checked at the first new event, before any chunk is staged: nothing to remove.
                    let (stream, expected) = (stream.clone(), *expected);
                    return Err(vec![(0, AppendError::WrongExpectedVersion { stream, expected, actual: version })]);
                }
                self.expectation_met = true;
            }
        }
        let (stream, body) = item.stream_and_body();
        if let Some((s, _)) = &self.expect {
            if s != stream {
                let error = LineError::field("stream", format!("is `{stream}`, but this append is to `{s}`"));
                self.errors.push((i, AppendError::Invalid { event: id, error }));
                return Ok(None);
            }
        }
        if let Some(problem) = self.reference_problem(view, id, stream, body).map_err(at)? {
            self.errors.push((i, problem));
            return Ok(None);
        }
        let version = match self.versions.get(stream) {
            Some(v) => *v,
            None => view.version_of(stream).map_err(|e| at(e.into()))?.unwrap_or(0),
        } + 1;
        let sealed = match self.seal(item, version) {
            Ok(sealed) => sealed,
            Err(problem) => {
                // Every later exported line would be out of place too: report this one only.
                self.stopped = matches!(problem, AppendError::Discontinuous { .. });
                self.errors.push((i, problem));
                return Ok(None);
            }
        };
        self.versions.insert(sealed.record.stream.clone(), version);
        self.ids.insert(id, self.chunk.len());
        self.positions.push(self.next);
        self.prev = sealed.record.hash;
        self.last_at = Some(sealed.record.recorded_at);
        self.next += 1;
        self.chunk.push(sealed);
        if self.chunk.len() >= CHUNK_EVENTS {
            self.staged = true;
            self.ids.clear();
            return Ok(Some(std::mem::take(&mut self.chunk)));
        }
        Ok(None)
    }

    /// Whether the write stopped judging: after an exported line that does not continue the log, every later one
    /// would be out of place too, so the caller reads no more items.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Whether chunks were handed out for staging.
    pub fn staged(&self) -> bool {
        self.staged
    }

    /// Ends the write: the commit to apply, or that there is nothing new.
    ///
    /// # Errors
    /// Every refused item, in item order (an empty list when only unreadable items refused it); a wrong expected
    /// version of a write with no new event.
    pub fn finish(self, view: &dyn LogView) -> Result<Decision, Refusals> {
        let Planner {
            mut errors, skipped, expect, versions, positions, next, prev, last_at, start, chunk, staged, ..
        } = self;
        if !errors.is_empty() || skipped {
            errors.sort_by_key(|(i, _)| *i);
            return Err(errors);
        }
        let version = match &expect {
            Some((stream, expected)) => {
                let version = match versions.get(stream) {
                    Some(v) => Some(*v),
                    None => view.version_of(stream).map_err(|e| vec![(0, e.into())])?,
                };
                if positions.is_empty() && !expected.admits(version) {
                    let (stream, expected) = (stream.clone(), *expected);
                    return Err(vec![(0, AppendError::WrongExpectedVersion { stream, expected, actual: version })]);
                }
                version
            }
            None => None,
        };
        if next == start.position + 1 {
            let last = positions.iter().copied().max().unwrap_or(0);
            return Ok(Decision::Nothing { positions, version, last });
        }
        let mut versions: Vec<(StreamId, u64)> = versions.into_iter().collect();
        versions.sort();
        let head = Head { position: next - 1, hash: prev, recorded_at: last_at };
        Ok(Decision::Commit { commit: Commit { events: chunk, versions, head, staged }, positions, version })
    }

    /// Where an item stands if its id is known: `Ok(position)` for a resend, `Err(position)` for the same id with
    /// other content; `None` for a new id.
    fn resend_position(&self, view: &dyn LogView, item: &Pending) -> Result<Option<Result<u64, u64>>, AppendError> {
        let id = item.id();
        if let Some(&j) = self.ids.get(&id) {
            let record = &self.chunk[j].record;
            let equal = match item {
                Pending::Restored(..) => false,
                Pending::New(e) => record.same_content(e),
            };
            return Ok(Some(if equal { Ok(record.position) } else { Err(record.position) }));
        }
        let Some(p) = view.position_of(&id)? else { return Ok(None) };
        let stored = view.line_at(p)?.unwrap_or_default();
        let equal = match item {
            Pending::Restored(e, line) => p == e.position && stored == *line,
            Pending::New(e) => decode_at(p, &stored)?.same_content(e),
        };
        Ok(Some(if equal { Ok(p) } else { Err(p) }))
    }

    /// Why `body`'s references may not stand, if they may not: each must name an event in the log or earlier in
    /// this write, of the kind and place its field requires.
    fn reference_problem(
        &self,
        view: &dyn LogView,
        id: EventId,
        stream: &StreamId,
        body: &Body,
    ) -> Result<Option<AppendError>, AppendError> {
        for (field, reference, rule) in reference_rules(body) {
            let target = match self.ids.get(&reference) {
                Some(&j) => {
                    let r = &self.chunk[j].record;
                    Some((r.stream.clone(), r.body.event_type(), r.occurred.clone()))
                }
                None => match view.position_of(&reference)? {
                    Some(p) => {
                        let e = decode_at(p, &view.line_at(p)?.unwrap_or_default())?;
                        Some((e.stream, e.body.event_type(), e.occurred))
                    }
                    None => None,
                },
            };
            let problem = match target {
                None => Some(AppendError::UnknownReference { event: id, reference, field }),
                Some((target_stream, kind, occurred)) => {
                    match rule.judge(stream, &target_stream, kind) {
                        Some(reason) => Some(AppendError::WrongReference { event: id, reference, field, reason }),
                        // A revised due date is held to the rule of the first one: not before the commitment.
                        None => match body {
                            Body::CommitmentRevised(b) if b.due.end() < occurred.start() => {
                                Some(AppendError::Invalid {
                                    event: id,
                                    error: events::LineError::field(
                                        "data.due",
                                        format!("{} is before the commitment it revises was made ({occurred})", b.due),
                                    ),
                                })
                            }
                            _ => None,
                        },
                    }
                }
            };
            if problem.is_some() {
                return Ok(problem);
            }
        }
        Ok(None)
    }

    /// Seals a new event at the next position, or checks that an exported one continues the log there.
    fn seal(&self, item: Pending, version: u64) -> Result<Sealed, AppendError> {
        let next = self.next;
        let (record, line) = match item {
            Pending::New(e) => {
                let id = e.id;
                e.validate().map_err(|error| AppendError::Invalid { event: id, error })?;
                let by = e.recorded_by.clone().unwrap_or_else(|| self.recorded_by.clone());
                let (record, line) = RecordedEvent::seal(e, version, next, self.now, by, self.prev);
                (record, line)
            }
            Pending::Restored(e, line) => {
                let reason = if e.position != next {
                    Some(format!("the store's next position is {next}"))
                } else if e.prev_hash != self.prev {
                    Some(format!("its prev_hash is {}, the store's head hash is {}", e.prev_hash, self.prev))
                } else if e.version != version {
                    Some(format!("its version is {}, stream {} is at {}", e.version, e.stream, version - 1))
                } else if self.last_at.is_some_and(|t| e.recorded_at < t) {
                    Some("it was recorded before the event preceding it".into())
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(AppendError::Discontinuous { position: e.position, reason });
                }
                (e, line)
            }
        };
        if line.len() > events::MAX_STORED_LINE_BYTES {
            let error = LineError::line(format!(
                "the stored event would be {} bytes; the limit is {}",
                line.len(),
                events::MAX_STORED_LINE_BYTES
            ));
            return Err(AppendError::Invalid { event: record.id, error });
        }
        Ok(Sealed { record, line })
    }
}

/// A backend's side of one write, under its serialisation point: the view of the log, and where chunks go.
pub trait Stage: LogView {
    /// Applies a chunk past the head, where no reader looks, marked as uncommitted; the view shows it from then on.
    ///
    /// # Errors
    /// Storage failure.
    fn stage(&mut self, chunk: Vec<Sealed>) -> Result<(), BackendError>;

    /// Removes everything this write staged.
    fn discard(&mut self);
}

/// Plans a whole write: feeds `items` to a [`Planner`] over `stage`, stages each full chunk, and returns the
/// decision. A refused write has its staged chunks discarded before this returns.
///
/// # Errors
/// As [`Planner::push`] and [`Planner::finish`]; a chunk that could not be staged.
pub fn plan<S: Stage>(
    stage: &mut S,
    start: Head,
    now: Timestamp,
    items: &mut dyn Iterator<Item = Option<Pending>>,
    expect: Option<(&StreamId, ExpectedVersion)>,
    recorded_by: &str,
) -> Result<Decision, Refusals> {
    let mut planner = Planner::new(start, now, expect, recorded_by)?;
    for (i, item) in items.enumerate() {
        let pushed = planner.push(&*stage, i, item);
        let staged = match pushed {
            Ok(Some(chunk)) => stage.stage(chunk).map_err(|e| vec![(i, e.into())]),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = staged {
            if planner.staged() {
                stage.discard();
            }
            return Err(e);
        }
        if planner.stopped() {
            break;
        }
    }
    let staged = planner.staged();
    let decision = planner.finish(&*stage);
    if decision.is_err() && staged {
        stage.discard();
    }
    decision
}

/// What the writes combined so far show the next one's planner: their events, not yet applied, over a view of the
/// committed log.
pub struct Overlay<V> {
    base: V,
    ids: HashMap<EventId, u64>,
    lines: HashMap<u64, Vec<u8>>,
    versions: HashMap<StreamId, u64>,
}

impl<V> Overlay<V> {
    /// Nothing combined yet over `base`.
    pub fn new(base: V) -> Overlay<V> {
        Overlay { base, ids: HashMap::new(), lines: HashMap::new(), versions: HashMap::new() }
    }

    fn add(&mut self, commit: &Commit) {
        for s in &commit.events {
            self.ids.insert(s.record.id, s.record.position);
            self.lines.insert(s.record.position, s.line.clone());
        }
        self.versions.extend(commit.versions.iter().cloned());
    }
}

impl<V: LogView> LogView for Overlay<V> {
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError> {
        match self.ids.get(id) {
            Some(&p) => Ok(Some(p)),
            None => self.base.position_of(id),
        }
    }

    fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError> {
        match self.lines.get(&position) {
            Some(line) => Ok(Some(line.clone())),
            None => self.base.line_at(position),
        }
    }

    fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError> {
        match self.versions.get(stream) {
            Some(&v) => Ok(Some(v)),
            None => self.base.version_of(stream),
        }
    }
}

impl<V: LogView> Stage for Overlay<V> {
    fn stage(&mut self, _chunk: Vec<Sealed>) -> Result<(), BackendError> {
        // A combined write has fewer items than a chunk.
        Err(BackendError::new(super::ErrorKind::Internal, "a combined write grew past a chunk"))
    }

    fn discard(&mut self) {}
}

/// One small write of a group that a backend commits together.
pub struct GroupWrite {
    /// Its items.
    pub items: Vec<Option<Pending>>,
    /// The stream it expects, and at what version.
    pub expect: Option<(StreamId, ExpectedVersion)>,
    /// Who records its new events.
    pub recorded_by: String,
}

/// What the planner decided for one write of a group.
#[derive(Debug)]
pub enum Planned {
    /// Applied with the group (or nothing new).
    Written {
        /// Each item's position.
        positions: Vec<u64>,
        /// The expected stream's version afterwards.
        version: Option<u64>,
        /// How many events it added.
        appended: usize,
        /// The head after it.
        head: Head,
        /// The greatest position it needs durable: its own last event, or the last one a resend named.
        wait_for: u64,
    },
    /// Refused: nothing of it is applied.
    Refused(Refusals),
}

/// A write's outcome once its group's commit failed with `e`: refused if it added events (at its last item),
/// as it was otherwise.
pub fn refused_by(outcome: Planned, e: &BackendError) -> Planned {
    match outcome {
        Planned::Written { appended, positions, .. } if appended > 0 => {
            Planned::Refused(vec![(positions.len().saturating_sub(1), AppendError::Storage(e.clone()))])
        }
        other => other,
    }
}

/// Plans the writes of a group in turn over `base` (the committed log, under the backend's serialisation point),
/// each with its own expected version and refusals and each seeing the events of those before it. Returns the one
/// commit that applies all of them (`None` when none adds an event) and each write's outcome, in order.
pub fn plan_group<V: LogView>(
    base: V,
    start: Head,
    now: Timestamp,
    writes: Vec<GroupWrite>,
) -> (Option<Commit>, Vec<Planned>) {
    let mut view = Overlay::new(base);
    let mut head = start;
    let mut events: Vec<Sealed> = Vec::new();
    let mut outcomes = Vec::with_capacity(writes.len());
    for GroupWrite { items, expect, recorded_by } in writes {
        let expect = expect.as_ref().map(|(s, e)| (s, *e));
        let outcome = match plan(&mut view, head, now, &mut items.into_iter(), expect, &recorded_by) {
            Err(refusals) => Planned::Refused(refusals),
            Ok(Decision::Nothing { positions, version, last }) => {
                Planned::Written { positions, version, appended: 0, head, wait_for: last }
            }
            Ok(Decision::Commit { commit, positions, version }) => {
                view.add(&commit);
                let appended = (commit.head.position - head.position) as usize;
                head = commit.head;
                events.extend(commit.events);
                Planned::Written { positions, version, appended, head, wait_for: head.position }
            }
        };
        outcomes.push(outcome);
    }
    if events.is_empty() {
        return (None, outcomes);
    }
    let mut versions: Vec<(StreamId, u64)> = view.versions.into_iter().collect();
    versions.sort();
    (Some(Commit { events, versions, head, staged: false }), outcomes)
}

#[cfg(test)]
mod tests {
    //! Given a log, when a write is planned, then the decision: every rule against a view, without a storage
    //! engine.

    use super::*;
    use events::{Hash, Line};

    /// A log in plain maps: committed events and whatever the write in progress staged.
    #[derive(Default)]
    struct View {
        lines: Vec<Vec<u8>>,
        ids: HashMap<EventId, u64>,
        versions: HashMap<StreamId, u64>,
        head: Option<Head>,
        staged: usize,
        discarded: bool,
    }

    impl LogView for View {
        fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError> {
            Ok(self.ids.get(id).copied())
        }
        fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError> {
            Ok(self.lines.get(position as usize - 1).cloned())
        }
        fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError> {
            Ok(self.versions.get(stream).copied())
        }
    }

    impl Stage for View {
        fn stage(&mut self, chunk: Vec<Sealed>) -> Result<(), BackendError> {
            self.staged += chunk.len();
            self.put(chunk);
            Ok(())
        }
        fn discard(&mut self) {
            self.discarded = true;
        }
    }

    impl View {
        fn put(&mut self, chunk: Vec<Sealed>) {
            for s in chunk {
                self.ids.insert(s.record.id, s.record.position);
                self.lines.push(s.line);
            }
        }

        fn head(&self) -> Head {
            self.head.unwrap_or(Head::EMPTY)
        }

        /// Plans a write of `items` at the view's head, recorded at [`T0`] by `t`.
        fn plan(
            &mut self,
            items: Vec<Pending>,
            expect: Option<(&StreamId, ExpectedVersion)>,
        ) -> Result<Decision, Refusals> {
            let head = self.head();
            plan(self, head, t(T0), &mut items.into_iter().map(Some), expect, "t")
        }

        /// Plans and applies a write that must succeed; returns its positions.
        fn commit(&mut self, items: Vec<Pending>, expect: Option<(&StreamId, ExpectedVersion)>) -> Vec<u64> {
            match self.plan(items, expect).expect("the write is accepted") {
                Decision::Nothing { positions, .. } => positions,
                Decision::Commit { commit, positions, .. } => {
                    self.put(commit.events);
                    self.versions.extend(commit.versions);
                    self.head = Some(commit.head);
                    positions
                }
            }
        }
    }

    const T0: &str = "2024-03-01T09:30:00Z";

    fn t(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn s(text: &str) -> StreamId {
        StreamId::parse(text).unwrap()
    }

    /// A new event from an input line on `stream`: `type`, `data`, and an optional id.
    fn new(id: Option<&str>, stream: &str, kind: &str, data: &str) -> Pending {
        let id = id.map(|i| format!("\"id\":\"{i}\",")).unwrap_or_default();
        let line = format!(
            r#"{{{id}"stream":"{stream}","type":"{kind}","occurred":"2015","source":{{"document":"D","locator":"L"}},"data":{data}}}"#
        );
        match events::decode(line.as_bytes()).unwrap() {
            Line::New(e) => Pending::New(e),
            Line::Recorded(_) => panic!("an input line"),
        }
    }

    fn note(stream: &str, summary: &str) -> Pending {
        new(None, stream, "context_noted", &format!(r#"{{"summary":"{summary}"}}"#))
    }

    const A: &str = "00000000-0000-5000-8000-00000000000a";
    const C: &str = "00000000-0000-5000-8000-00000000000c";
    const X: &str = "00000000-0000-5000-8000-0000000000ff";

    fn refusals(result: Result<Decision, Refusals>) -> Vec<(usize, String)> {
        match result {
            Ok(d) => panic!("expected a refusal, got {d:?}"),
            Err(errors) => errors.into_iter().map(|(i, e)| (i, e.to_string())).collect(),
        }
    }

    #[test]
    fn given_an_empty_log_when_two_streams_are_written_then_positions_and_versions_follow_and_the_chain_links() {
        let mut view = View::default();
        let decision = view.plan(vec![note("r", "a"), note("r/1", "b"), note("r", "c")], None).unwrap();
        let Decision::Commit { commit, positions, version } = decision else { panic!("a commit") };
        assert_eq!((positions, version), (vec![1, 2, 3], None));
        let got: Vec<(u64, String, u64)> =
            commit.events.iter().map(|e| (e.record.position, e.record.stream.to_string(), e.record.version)).collect();
        assert_eq!(got, [(1, "r".into(), 1), (2, "r/1".into(), 1), (3, "r".into(), 2)]);
        assert_eq!(commit.versions, [(s("r"), 2), (s("r/1"), 1)]);
        assert_eq!(commit.events[0].record.prev_hash, Hash::ZERO);
        assert_eq!(commit.events[1].record.prev_hash, commit.events[0].record.hash);
        assert_eq!(commit.head.hash, commit.events[2].record.hash);
        assert_eq!(commit.head.recorded_at, Some(t(T0)));
        assert!(!commit.staged);
    }

    #[test]
    fn given_a_stored_event_when_it_is_sent_again_then_nothing_is_written_and_it_keeps_its_position() {
        let mut view = View::default();
        view.commit(vec![note("r", "a"), note("r", "b")], None);
        match view.plan(vec![note("r", "b")], Some((&s("r"), ExpectedVersion::Exact(7)))).unwrap() {
            Decision::Nothing { positions, version, last } => {
                assert_eq!((positions, version, last), (vec![2], Some(2), 2))
            }
            other => panic!("expected nothing new, got {other:?}"),
        }
    }

    #[test]
    fn given_a_stored_id_when_it_comes_with_other_content_then_the_write_is_refused_as_a_conflict() {
        let mut view = View::default();
        view.commit(vec![new(Some(A), "r", "context_noted", r#"{"summary":"a"}"#)], None);
        let got = refusals(
            view.plan(vec![note("r", "x"), new(Some(A), "r", "context_noted", r#"{"summary":"other"}"#)], None),
        );
        assert_eq!(got, [(1, format!("event {A} exists with different content"))]);
    }

    #[test]
    fn given_one_event_twice_in_a_write_then_it_is_written_once_and_both_items_name_its_position() {
        let mut view = View::default();
        let positions = view.commit(vec![note("r", "a"), note("r", "b"), note("r", "a")], None);
        assert_eq!(positions, [1, 2, 1]);
        assert_eq!(view.head().position, 2);
    }

    #[test]
    fn given_a_stream_at_version_2_when_the_expectation_is_wrong_then_it_is_refused_with_the_actual_version() {
        let mut view = View::default();
        view.commit(vec![note("r/1", "a"), note("r/1", "b")], None);
        for (expected, refused) in [
            (ExpectedVersion::NoStream, true),
            (ExpectedVersion::Exact(1), true),
            (ExpectedVersion::Exact(2), false),
            (ExpectedVersion::Any, false),
        ] {
            let result = view.plan(vec![note("r/1", "c")], Some((&s("r/1"), expected)));
            assert_eq!(result.is_err(), refused, "{expected}");
            if refused {
                let got = refusals(result);
                assert_eq!(got, [(0, format!("stream r/1 is at version 2, expected {expected}"))]);
            }
        }
        // an empty write is checked too, and an absent stream has no version
        let got = refusals(view.plan(vec![], Some((&s("r/1"), ExpectedVersion::Exact(5)))));
        assert_eq!(got, [(0, "stream r/1 is at version 2, expected 5".into())]);
        let got = refusals(view.plan(vec![note("r/2", "x")], Some((&s("r/2"), ExpectedVersion::Exact(1)))));
        assert_eq!(got, [(0, "stream r/2 is at no version (it does not exist), expected 1".into())]);
    }

    #[test]
    fn given_an_append_to_one_stream_when_an_event_names_another_then_the_field_stream_is_named() {
        let mut view = View::default();
        let got =
            refusals(view.plan(vec![note("r/1", "a"), note("r/2", "b")], Some((&s("r/1"), ExpectedVersion::Any))));
        assert_eq!(got, [(1, "field `stream`: is `r/2`, but this append is to `r/1`".into())]);
    }

    #[test]
    fn given_references_then_each_must_exist_earlier_and_name_the_right_kind_in_the_right_place() {
        let mut view = View::default();
        view.commit(vec![new(Some(C), "r/1", "commitment_made", r#"{"summary":"will"}"#), note("r/1", "n")], None);
        let assessment = |evidence: &str, supersedes: &str| {
            new(
                None,
                "r/1",
                "status_assessed",
                &format!(
                    r#"{{"verdict":"implemented","as_of":"2015","assessor":"A","rationale":"R","evidence":[{evidence}]{supersedes}}}"#
                ),
            )
        };
        let cases = [
            (assessment(&format!("\"{X}\""), ""), format!("field `data.evidence[0]`: event {X} is not in the store")),
            (
                assessment("", &format!(r#","supersedes":"{C}""#)),
                format!("field `data.supersedes`: event {C} cannot be named here: it names a commitment_made, not a status_assessed"),
            ),
            (
                new(None, "other/1", "commitment_revised", &format!(r#"{{"commitment":"{C}","due":"2016","reason":"late"}}"#)),
                format!("field `data.commitment`: event {C} cannot be named here: it names a commitment of r/1; revise it from that stream or from its report's stream"),
            ),
            (
                new(None, "r/2", "action_taken", &format!(r#"{{"summary":"done","fulfils":["{C}"]}}"#)),
                String::new(),
            ),
            (
                new(None, "q/2", "action_taken", &format!(r#"{{"summary":"done","fulfils":["{C}"]}}"#)),
                format!("field `data.fulfils[0]`: event {C} cannot be named here: it names a commitment of another report (r/1)"),
            ),
            (
                new(None, "r/2", "event_retracted", &format!(r#"{{"target":"{C}","reason":"wrong"}}"#)),
                format!("field `data.target`: event {C} cannot be named here: it is on r/1; retract it from that stream or from its report's stream"),
            ),
            (new(None, "r", "event_retracted", &format!(r#"{{"target":"{C}","reason":"wrong"}}"#)), String::new()),
            (
                new(None, "r/1", "commitment_revised", &format!(r#"{{"commitment":"{C}","due":"2014-06","reason":"r"}}"#)),
                "field `data.due`: 2014-06 is before the commitment it revises was made (2015)".into(),
            ),
            (
                new(None, "r/1", "commitment_revised", &format!(r#"{{"commitment":"{C}","due":"2015-01","reason":"r"}}"#)),
                String::new(),
            ),
        ];
        for (item, expected) in cases {
            let result = view.plan(vec![item], None);
            if expected.is_empty() {
                assert!(result.is_ok(), "{result:?}");
            } else {
                assert_eq!(refusals(result), [(0, expected)]);
            }
        }
        // a reference to an event earlier in the same write stands
        let write = vec![
            new(Some(A), "r/2", "action_taken", r#"{"summary":"done"}"#),
            new(
                None,
                "r/2",
                "status_assessed",
                &format!(
                    r#"{{"verdict":"implemented","as_of":"2015","assessor":"A","rationale":"R","evidence":["{A}"]}}"#
                ),
            ),
        ];
        assert!(view.plan(write, None).is_ok());
    }

    #[test]
    fn given_a_retraction_when_it_is_retracted_then_it_is_refused() {
        let mut view = View::default();
        let retraction = new(Some(A), "r", "event_retracted", &format!(r#"{{"target":"{C}","reason":"x"}}"#));
        view.commit(vec![new(Some(C), "r", "context_noted", r#"{"summary":"n"}"#), retraction], None);
        let again = new(None, "r", "event_retracted", &format!(r#"{{"target":"{A}","reason":"undo"}}"#));
        let got = refusals(view.plan(vec![again], None));
        assert_eq!(got, [(0, format!("field `data.target`: event {A} cannot be named here: a retraction cannot be retracted; restore the event instead (record it again with --restore)"))]);
    }

    #[test]
    fn given_an_export_then_its_lines_continue_the_log_exactly_or_the_write_stops_at_the_first_that_does_not() {
        let mut source = View::default();
        source.commit(vec![note("r", "a"), note("r", "b"), note("r", "c")], None);
        let restored: Vec<Pending> = source
            .lines
            .iter()
            .map(|l| match events::decode(l).unwrap() {
                Line::Recorded(e) => Pending::Restored(e, l.clone()),
                Line::New(_) => panic!("a stored line"),
            })
            .collect();
        // into an empty log, the lines are kept byte for byte
        let mut copy = View::default();
        copy.commit(restored.clone(), None);
        assert_eq!(copy.lines, source.lines);
        assert_eq!(copy.head(), source.head());
        // without its first line, the second does not continue an empty log: the write stops there
        let mut other = View::default();
        let got = refusals(other.plan(restored[1..].to_vec(), None));
        assert_eq!(
            got,
            [(0, "exported event at position 2 does not continue this store: the store's next position is 1".into())]
        );
    }

    #[test]
    fn given_an_unreadable_item_then_the_write_is_refused_without_a_refusal_of_its_own() {
        let mut view = View::default();
        let mut items = vec![Some(note("r", "a")), None, Some(note("r", "b"))].into_iter();
        let result = plan(&mut view, Head::EMPTY, t(T0), &mut items, None, "t");
        assert!(matches!(result, Err(ref e) if e.is_empty()), "{result:?}");
    }

    #[test]
    fn given_a_clock_behind_the_log_then_the_event_is_recorded_at_the_last_instant_not_before() {
        let mut view = View::default();
        view.commit(vec![note("r", "a")], None);
        let head = view.head();
        let decision =
            plan(&mut view, head, t("2020-01-01T00:00:00Z"), &mut vec![Some(note("r", "b"))].into_iter(), None, "t");
        let Ok(Decision::Commit { commit, .. }) = decision else { panic!("a commit") };
        assert_eq!(commit.events[0].record.recorded_at, t(T0));
    }

    #[test]
    fn given_more_events_than_a_chunk_then_full_chunks_are_staged_and_a_refusal_at_the_end_discards_them() {
        let mut view = View::default();
        let mut items: Vec<Pending> = (0..CHUNK_EVENTS + 5).map(|i| note("r", &format!("n{i}"))).collect();
        // a resend of an event of the first chunk, found through the view once staged
        items.push(note("r", "n0"));
        let Decision::Commit { commit, positions, .. } = view.plan(items.clone(), None).unwrap() else { panic!() };
        assert_eq!((view.staged, commit.events.len(), commit.staged), (CHUNK_EVENTS, 5, true));
        assert_eq!(positions.last(), Some(&1));
        // the same with an unknown reference at the end: refused, and what was staged is discarded
        let mut view = View::default();
        items.push(new(
            None,
            "r/1",
            "status_assessed",
            &format!(r#"{{"verdict":"implemented","as_of":"2015","assessor":"A","rationale":"R","evidence":["{X}"]}}"#),
        ));
        let got = refusals(view.plan(items, None));
        assert_eq!(got.len(), 1);
        assert!(view.discarded);
    }

    #[test]
    fn given_a_bad_recorder_then_nothing_is_planned() {
        let mut view = View::default();
        let mut items = vec![Some(note("r", "a"))].into_iter();
        let got = refusals(plan(&mut view, Head::EMPTY, t(T0), &mut items, None, "a\nb"));
        assert_eq!(got.len(), 1);
        assert!(got[0].1.contains("recorded_by"), "{got:?}");
    }
}
