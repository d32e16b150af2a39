//! The conformance suite of the store API: every rule of `EventStore` (expected versions, idempotency, atomic
//! batches, gap-free versions and positions also under concurrent appenders, references, the hash chain across
//! reopen, live subscriptions, export and import, the embedded Amsterdam case), run against every backend
//! (memory and sled) by the `conformance!` list at the end. A few tests of sled alone (one holder per directory,
//! shared flushes) follow it.
//!
//! Every test opens its stores in a fresh `tempfile::tempdir()` (the memory backend keys its stores by that
//! directory, so a "reopen" finds the same log); times come from a fixed clock. The suite calls the blocking
//! store API from async tests through `spawn_blocking`, as an async front end must.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::{Body, EventId, Line, NewEvent, Noted, PartialDate, RecordedEvent, Source, StatusAssessed, StreamId};
use events::{Hash, Timestamp, Verdict};
use followup::{
    check_chain, import, import_events, read_events, AppendError, AppendOutcome, ChainReport, Clock, EventStore,
    EventStoreExt, ExpectedVersion, Head, ImportError, ImportReport, MemoryStore, OpenError, Pending, PgStore,
    ReadError, SledStore, Subscription,
};

// ---------------------------------------------------------------------------------------------------------------
// Helpers: one per concern.
// ---------------------------------------------------------------------------------------------------------------

/// The report every test event belongs to.
const REPORT: &str = "ra-test-2013-nazorg";

/// An event id that no test ever stores.
const UNKNOWN_ID: &str = "00000000-0000-4000-8000-000000000001";

/// The instant every store in these tests records.
const NOW: &str = "2024-03-01T09:30:00Z";

/// A clock that always says [`NOW`].
fn fixed_clock() -> Clock {
    let now: Timestamp = NOW.parse().expect("a valid instant");
    Arc::new(move || now)
}

#[path = "support/postgres.rs"]
mod pg;

/// A backend the suite runs against.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Memory,
    Sled,
    /// A schema of its own on the server of `$FOLLOWUP_TEST_DATABASE`, named after the test's directory.
    Postgres,
}

/// The memory backend's stores, by the directory a test gave: reopening a directory finds the same log.
static MEMORY: Mutex<Option<HashMap<PathBuf, MemoryStore>>> = Mutex::new(None);

impl Backend {
    /// Opens (or reopens) the store in `dir` with the fixed clock.
    fn open(self, dir: &Path) -> Store {
        self.open_with_clock(dir, fixed_clock())
    }

    /// Opens (or reopens) the store in `dir` with `clock`.
    fn open_with_clock(self, dir: &Path, clock: Clock) -> Store {
        match self {
            Backend::Sled => Store(Arc::new(SledStore::open_with_clock(dir, clock).expect("the store opens"))),
            Backend::Postgres => {
                let base = pg::server().expect("a PostgreSQL server");
                let url = pg::schema_url(&base, &dir.display().to_string());
                Store(Arc::new(PgStore::open_with_clock(&url, true, clock).expect("the store opens")))
            }
            Backend::Memory => {
                let mut stores = MEMORY.lock().unwrap();
                let stores = stores.get_or_insert_with(HashMap::new);
                let store = match stores.get(dir) {
                    Some(existing) => existing.reopen(clock),
                    None => MemoryStore::with_clock(clock),
                };
                stores.insert(dir.to_owned(), store.clone());
                Store(Arc::new(store))
            }
        }
    }
}

/// A store under test, whatever its backend; its async methods call the blocking API on tokio's blocking pool.
#[derive(Clone)]
struct Store(Arc<dyn EventStore>);

impl std::ops::Deref for Store {
    type Target = dyn EventStore;
    fn deref(&self) -> &(dyn EventStore + 'static) {
        &*self.0
    }
}

impl Store {
    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&dyn EventStore) -> T + Send + 'static) -> T {
        let store = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || f(&*store)).await.expect("the blocking call did not panic")
    }

    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, AppendError> {
        let stream = stream.clone();
        self.blocking(move |s| s.append(&stream, expected, events, "tester")).await
    }

    async fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        let stream = stream.clone();
        self.blocking(move |s| s.read_stream(&stream, from)).await
    }

    async fn stream_head(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        let stream = stream.clone();
        self.blocking(move |s| s.stream_version(&stream)).await
    }

    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        self.blocking(move |s| s.read_range(from, limit)).await
    }
}

/// The integrity check of a store (chain and indexes).
fn verify_chain(store: &Store) -> Result<ChainReport, ReadError> {
    store.check_integrity(&mut |_| {})
}

/// Runs one test of the suite against `backend` on a multi-threaded runtime.
fn run<F: Future<Output = ()>>(backend: Backend, test: impl FnOnce(Backend) -> F) {
    if matches!(backend, Backend::Postgres) && pg::server().is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(8).enable_all().build().unwrap();
    rt.block_on(test(backend));
}

/// A stream of the test report: `""` is the report itself, `"/3"` its third recommendation.
fn stream(suffix: &str) -> StreamId {
    StreamId::parse(&format!("{REPORT}{suffix}")).expect("a valid stream id")
}

/// A `context_noted` event on `stream`; distinct summaries give distinct ids.
fn note(stream: &StreamId, summary: &str) -> NewEvent {
    let source = Source { document: "Test report".into(), locator: "3 Context".into(), quote: None };
    let body = Body::ContextNoted(Noted { summary: summary.into(), recommendations: vec![] });
    NewEvent::new(stream.clone(), date("2015"), source, body)
}

/// `n` distinct notes on `stream`, tagged so that different calls give different events.
fn notes(stream: &StreamId, tag: &str, n: usize) -> Vec<NewEvent> {
    (1..=n).map(|i| note(stream, &format!("{tag} {i}"))).collect()
}

/// A `status_assessed` event on recommendation stream `stream` resting on `evidence`.
fn assessment(stream: &StreamId, evidence: Vec<EventId>) -> NewEvent {
    let source = Source { document: "Test follow-up".into(), locator: "5 Conclusie".into(), quote: None };
    let body = Body::StatusAssessed(StatusAssessed {
        verdict: Verdict::PartiallyImplemented,
        as_of: date("2017-11"),
        assessor: "Rekenkamer".into(),
        rationale: "partly done".into(),
        evidence,
        attributable: Some(true),
        supersedes: None,
        label: None,
    });
    NewEvent::new(stream.clone(), date("2017-11"), source, body)
}

/// A partial date from EDTF text.
fn date(text: &str) -> PartialDate {
    PartialDate::parse(text).expect("a valid EDTF date")
}

/// An event id from its text.
fn id(text: &str) -> EventId {
    EventId::parse(text).expect("a valid event id")
}

/// A new event decoded from one input line of JSON.
fn input(json: &str) -> NewEvent {
    match events::decode(json.as_bytes()).expect("a valid input line") {
        Line::New(e) => e,
        Line::Recorded(_) => panic!("an input line, not a stored one: {json}"),
    }
}

/// Appends and expects success.
async fn append(store: &Store, stream: &StreamId, expected: ExpectedVersion, events: Vec<NewEvent>) -> AppendOutcome {
    store.append(stream, expected, events).await.expect("the append succeeds")
}

/// The store's stored lines, byte for byte, in position order.
fn exported(store: &Store) -> Vec<Vec<u8>> {
    store.lines(1).map(|r| r.expect("a stored line").1.to_vec()).collect()
}

/// The store's export as one JSON Lines text, lines joined by `\n`.
fn export_text(store: &Store) -> String {
    let lines: Vec<String> =
        exported(store).into_iter().map(|l| String::from_utf8(l).expect("stored lines are UTF-8")).collect();
    lines.join("\n")
}

/// Every stored event, in position order.
async fn all_events(store: &Store) -> Vec<RecordedEvent> {
    store.read_all(1, usize::MAX).await.expect("the log reads")
}

/// The positions of every stored event, in the order read.
async fn all_positions(store: &Store) -> Vec<u64> {
    all_events(store).await.iter().map(|e| e.position).collect()
}

/// Each stream's versions in the order `read_all` returns its events.
async fn versions_by_stream(store: &Store) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for e in all_events(store).await {
        out.entry(e.stream.to_string()).or_default().push(e.version);
    }
    out
}

/// What a failed write must leave as it was: the head, every stored byte, and the named streams.
#[derive(Debug, PartialEq)]
struct Snapshot {
    head: Head,
    lines: Vec<Vec<u8>>,
    streams: Vec<(Option<u64>, Option<Vec<RecordedEvent>>)>,
}

/// Takes a [`Snapshot`] of `store` and of `streams`.
async fn snapshot(store: &Store, streams: &[&StreamId]) -> Snapshot {
    let mut per_stream = Vec::new();
    for s in streams {
        let head = store.stream_head(s).await.expect("stream head reads");
        let events = store.read_stream(s, 1).await.expect("stream reads");
        per_stream.push((head, events));
    }
    Snapshot { head: store.head(), lines: exported(store), streams: per_stream }
}

/// The stream, expectation and actual version of a [`AppendError::WrongExpectedVersion`].
fn wrong_version(err: AppendError) -> (String, ExpectedVersion, Option<u64>) {
    match err {
        AppendError::WrongExpectedVersion { stream, expected, actual } => (stream.to_string(), expected, actual),
        other => panic!("expected WrongExpectedVersion, got {other:?}"),
    }
}

/// Imports a JSON Lines text.
fn import_text(store: &Store, text: &str) -> Result<ImportReport, ImportError> {
    import(&**store, text.as_bytes(), "tester", |_| {})
}

/// The positions of the next `n` events of a subscription; fails instead of hanging if it stalls.
async fn take(sub: &mut Subscription, n: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let e = or_stall(sub.next()).await.expect("the subscription yields");
        out.push(e.position);
    }
    out
}

/// Awaits `f`, turning a hang (a subscription that never yields) into a failure rather than a stuck test run.
/// This is a guard against hangs, not a timing assertion: a minute is far beyond any expected wait.
async fn or_stall<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.expect("stalled for a minute: an event was never delivered")
}

/// Feeds stored lines to [`check_chain`] without their store keys, as an exported file would.
fn check_lines(lines: &[Vec<u8>]) -> followup::ChainReport {
    check_chain(lines.iter().map(|l| Ok((None, l.clone()))))
}

/// Positions `1..=n`.
fn one_to(n: u64) -> Vec<u64> {
    (1..=n).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Expected versions.
// ---------------------------------------------------------------------------------------------------------------

async fn no_stream_on_an_absent_stream_creates_it_at_version_1(backend: Backend) {
    // given an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    // when appending with NoStream
    let out = append(&store, &s, ExpectedVersion::NoStream, vec![note(&s, "first")]).await;
    // then the stream exists at version 1, at position 1
    assert_eq!((out.positions, out.appended, out.version, out.head.position), (vec![1], 1, Some(1), 1));
    assert_eq!(store.stream_head(&s).await.unwrap(), Some(1));
    let stored = store.read_stream(&s, 1).await.unwrap().unwrap();
    assert_eq!(stored.iter().map(|e| (e.version, e.position)).collect::<Vec<_>>(), vec![(1, 1)]);
}

async fn no_stream_on_an_existing_stream_fails_with_its_version_and_writes_nothing(backend: Backend) {
    // given a stream at version 2
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "a", 2)).await;
    let before = snapshot(&store, &[&s]).await;
    // when appending with NoStream
    let err = store.append(&s, ExpectedVersion::NoStream, vec![note(&s, "late")]).await.unwrap_err();
    // then it fails naming version 2, and nothing is written
    assert_eq!(wrong_version(err), (s.to_string(), ExpectedVersion::NoStream, Some(2)));
    assert_eq!(snapshot(&store, &[&s]).await, before);
    assert_eq!(store.head().position, 2);
}

async fn exact_succeeds_only_at_that_version(backend: Backend) {
    // given a stream at version 2
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/2");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "a", 2)).await;
    let before = snapshot(&store, &[&s]).await;
    // when expecting a version below or above it, then each fails with the actual version and writes nothing
    for wrong in [1, 3, 100] {
        let err = store.append(&s, ExpectedVersion::Exact(wrong), vec![note(&s, "b")]).await.unwrap_err();
        assert_eq!(wrong_version(err), (s.to_string(), ExpectedVersion::Exact(wrong), Some(2)));
        assert_eq!(snapshot(&store, &[&s]).await, before);
    }
    // when expecting exactly 2, then it appends version 3 at position 3
    let out = append(&store, &s, ExpectedVersion::Exact(2), vec![note(&s, "b")]).await;
    assert_eq!((out.positions, out.appended, out.version), (vec![3], 1, Some(3)));
    assert_eq!(store.stream_head(&s).await.unwrap(), Some(3));
}

async fn exact_on_an_absent_stream_fails_with_no_version(backend: Backend) {
    // given a store where another stream exists
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (other, absent) = (stream("/1"), stream("/3"));
    append(&store, &other, ExpectedVersion::NoStream, notes(&other, "a", 3)).await;
    let before = snapshot(&store, &[&other, &absent]).await;
    // when expecting version 3 of a stream that does not exist
    let err = store.append(&absent, ExpectedVersion::Exact(3), vec![note(&absent, "x")]).await.unwrap_err();
    // then the actual version is None and nothing is written
    assert_eq!(wrong_version(err), (absent.to_string(), ExpectedVersion::Exact(3), None));
    assert_eq!(snapshot(&store, &[&other, &absent]).await, before);
    assert_eq!(store.read_stream(&absent, 1).await.unwrap(), None);
}

async fn any_appends_whatever_the_version(backend: Backend) {
    // given an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("");
    // when appending with Any to the absent stream, then to the existing one, twice
    let first = append(&store, &s, ExpectedVersion::Any, vec![note(&s, "1")]).await;
    let second = append(&store, &s, ExpectedVersion::Any, notes(&s, "2", 2)).await;
    let third = append(&store, &s, ExpectedVersion::Any, vec![note(&s, "3")]).await;
    // then every append succeeds and the versions follow on
    assert_eq!((first.positions, first.version), (vec![1], Some(1)));
    assert_eq!((second.positions, second.version), (vec![2, 3], Some(3)));
    assert_eq!((third.positions, third.version), (vec![4], Some(4)));
}

#[test]
fn expected_versions_parse_from_text() {
    let cases = [
        ("any", Ok(ExpectedVersion::Any)),
        ("no-stream", Ok(ExpectedVersion::NoStream)),
        ("0", Ok(ExpectedVersion::NoStream)),
        ("7", Ok(ExpectedVersion::Exact(7))),
    ];
    for (text, expected) in cases {
        assert_eq!(ExpectedVersion::parse(text), expected, "{text}");
    }
    for bad in ["seven", "-1", "", "Any", "1.5"] {
        let err = ExpectedVersion::parse(bad).unwrap_err();
        assert_eq!(err, format!("`{bad}` is not an expected version (a number, `any` or `no-stream`)"));
    }
    assert_eq!(ExpectedVersion::Exact(7).to_string(), "7");
    assert_eq!(ExpectedVersion::NoStream.to_string(), "no-stream");
    assert_eq!(ExpectedVersion::Any.to_string(), "any");
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Empty appends.
// ---------------------------------------------------------------------------------------------------------------

async fn an_empty_append_is_a_no_op(backend: Backend) {
    // given a store with a stream at version 2
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (s, absent) = (stream("/1"), stream("/2"));
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "a", 2)).await;
    let before = snapshot(&store, &[&s, &absent]).await;
    // when appending no events to it and to an absent stream
    let to_existing = append(&store, &s, ExpectedVersion::Any, vec![]).await;
    let to_absent = append(&store, &absent, ExpectedVersion::Any, vec![]).await;
    // then no positions, nothing appended, the head and every byte unchanged, and the absent stream still absent
    assert_eq!(to_existing, AppendOutcome { positions: vec![], appended: 0, version: Some(2), head: before.head });
    assert_eq!(to_absent, AppendOutcome { positions: vec![], appended: 0, version: None, head: before.head });
    assert_eq!(snapshot(&store, &[&s, &absent]).await, before);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Idempotency.
// ---------------------------------------------------------------------------------------------------------------

async fn resending_the_same_events_returns_their_original_positions(backend: Backend) {
    // given two events on one stream and a third on another
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (s, t) = (stream("/1"), stream("/2"));
    let batch = notes(&s, "a", 2);
    append(&store, &s, ExpectedVersion::NoStream, batch.clone()).await;
    append(&store, &t, ExpectedVersion::NoStream, vec![note(&t, "b")]).await;
    let before = snapshot(&store, &[&s, &t]).await;
    // when the first two are sent again (with an expectation that no longer holds)
    let out = append(&store, &s, ExpectedVersion::NoStream, batch).await;
    // then they keep positions 1 and 2, nothing is appended, and nothing changes
    assert_eq!(out, AppendOutcome { positions: vec![1, 2], appended: 0, version: Some(2), head: before.head });
    assert_eq!(snapshot(&store, &[&s, &t]).await, before);
}

async fn a_batch_mixing_a_resend_and_a_new_event_appends_only_the_new_one(backend: Backend) {
    // given a stream at version 2
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    let batch = notes(&s, "a", 2);
    append(&store, &s, ExpectedVersion::NoStream, batch.clone()).await;
    // when the second event is sent again together with a new one
    let new = note(&s, "new");
    let out = append(&store, &s, ExpectedVersion::Exact(2), vec![batch[1].clone(), new.clone()]).await;
    // then the resent event keeps position 2 and only the new one is appended, as version 3
    assert_eq!((out.positions, out.appended, out.version, out.head.position), (vec![2, 3], 1, Some(3), 3));
    let ids: Vec<EventId> = all_events(&store).await.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![batch[0].id, batch[1].id, new.id]);
}

async fn the_same_id_with_different_content_is_a_conflict_and_writes_nothing(backend: Backend) {
    // given one stored event
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    let original = note(&s, "original");
    append(&store, &s, ExpectedVersion::NoStream, vec![original.clone()]).await;
    let before = snapshot(&store, &[&s]).await;
    // when an event with its id but another summary is appended, alone and after a valid event
    let mut forged = note(&s, "forged");
    forged.id = original.id;
    let alone = store.append(&s, ExpectedVersion::Any, vec![forged.clone()]).await.unwrap_err();
    let after_valid = store.append(&s, ExpectedVersion::Any, vec![note(&s, "fine"), forged]).await.unwrap_err();
    // then both fail with IdConflict naming the id, and nothing is written
    for err in [alone, after_valid] {
        match err {
            AppendError::IdConflict(conflicting) => assert_eq!(conflicting, original.id),
            other => panic!("expected IdConflict, got {other:?}"),
        }
    }
    assert_eq!(snapshot(&store, &[&s]).await, before);
}

async fn an_event_repeated_within_a_batch_is_written_once(backend: Backend) {
    // given an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    let (a, b) = (note(&s, "a"), note(&s, "b"));
    // when one batch holds the same event twice
    let out = append(&store, &s, ExpectedVersion::NoStream, vec![a.clone(), b.clone(), a.clone()]).await;
    // then it is written once and both mentions report its position
    assert_eq!((out.positions, out.appended, out.version), (vec![1, 2, 1], 2, Some(2)));
    let ids: Vec<EventId> = all_events(&store).await.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![a.id, b.id]);
}

async fn a_batch_holding_one_id_with_two_contents_is_a_conflict_and_writes_nothing(backend: Backend) {
    // given an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    let before = snapshot(&store, &[&s]).await;
    // when one batch holds an event and, later, another content under its id
    let a = note(&s, "a");
    let mut twin = note(&s, "not a");
    twin.id = a.id;
    let err = store.append(&s, ExpectedVersion::NoStream, vec![a.clone(), note(&s, "b"), twin]).await.unwrap_err();
    // then it is an IdConflict naming the id, and the stream is still absent
    match err {
        AppendError::IdConflict(conflicting) => assert_eq!(conflicting, a.id),
        other => panic!("expected IdConflict, got {other:?}"),
    }
    assert_eq!(snapshot(&store, &[&s]).await, before);
    assert_eq!(store.head().position, 0);
}

/// Four input lines over two streams, without ids: importing them twice must add nothing the second time.
const SMALL_FILE: &str = r#"{"stream":"ra-test-2013-nazorg","type":"report_published","occurred":"2013-05","source":{"document":"Test report","locator":"1"},"data":{"title":"Test","auditor":"Rekenkamer","summary":"A test report"}}
{"stream":"ra-test-2013-nazorg/1","type":"recommendation_issued","occurred":"2013-05","source":{"document":"Test report","locator":"2"},"data":{"number":1,"text":"Do the thing"}}
{"stream":"ra-test-2013-nazorg/1","type":"commitment_made","occurred":"2013-07-04","source":{"document":"Test report","locator":"3"},"data":{"summary":"Will do the thing","due":"2015"}}
{"stream":"ra-test-2013-nazorg","type":"context_noted","occurred":"2014~","source":{"document":"Test report","locator":"4"},"data":{"summary":"Something changed"}}
"#;

async fn importing_the_same_file_twice_appends_nothing_the_second_time(backend: Backend) {
    // given a store that imported a file
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let first = import_text(&store, SMALL_FILE).unwrap();
    let lines = exported(&store);
    // when the same file is imported again
    let second = import_text(&store, SMALL_FILE).unwrap();
    // then the first appended all four, the second none, and the log is unchanged
    assert_eq!((first.events, first.appended, first.already, first.head.position), (4, 4, 0, 4));
    assert_eq!(
        second,
        ImportReport { events: 4, appended: 0, already: 4, head: first.head, first_appended: None, warnings: vec![] }
    );
    assert_eq!(exported(&store), lines);
    assert_eq!(versions_by_stream(&store).await.get(&stream("/1").to_string()), Some(&vec![1, 2]));
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Atomic batches.
// ---------------------------------------------------------------------------------------------------------------

async fn a_batch_with_an_event_of_another_stream_writes_nothing(backend: Backend) {
    // given a stream at version 1
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (s, t) = (stream("/1"), stream("/2"));
    append(&store, &s, ExpectedVersion::NoStream, vec![note(&s, "first")]).await;
    let before = snapshot(&store, &[&s, &t]).await;
    // when a batch of three appended to it holds, last, an event of another stream
    let stray = note(&t, "stray");
    let batch = vec![note(&s, "ok 1"), note(&s, "ok 2"), stray.clone()];
    let err = store.append(&s, ExpectedVersion::Exact(1), batch).await.unwrap_err();
    // then it is refused as invalid, naming the stray event and its stream field, and nothing is written
    match err {
        AppendError::Invalid { event, error } => {
            assert_eq!(event, stray.id);
            assert_eq!(error.field.as_deref(), Some("stream"));
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(snapshot(&store, &[&s, &t]).await, before);
    assert_eq!(all_positions(&store).await, vec![1]);
}

async fn a_batch_with_an_unknown_evidence_id_writes_nothing(backend: Backend) {
    // given a recommendation stream with one event
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    let known = note(&s, "known");
    append(&store, &s, ExpectedVersion::NoStream, vec![known.clone()]).await;
    let before = snapshot(&store, &[&s]).await;
    // when a batch ends in an assessment whose evidence names a stored id and one never stored
    let verdict = assessment(&s, vec![known.id, id(UNKNOWN_ID)]);
    let batch = vec![note(&s, "more"), verdict.clone()];
    let err = store.append(&s, ExpectedVersion::Exact(1), batch).await.unwrap_err();
    // then the store names the assessment and the missing id, and nothing is written
    match err {
        AppendError::UnknownReference { event, reference, field } => {
            assert_eq!((event, reference, field.as_str()), (verdict.id, id(UNKNOWN_ID), "data.evidence[1]"));
        }
        other => panic!("expected UnknownReference, got {other:?}"),
    }
    assert_eq!(snapshot(&store, &[&s]).await, before);
}

async fn evidence_may_name_an_event_earlier_in_the_same_batch(backend: Backend) {
    // given an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/4");
    // when one batch holds an event and an assessment resting on it
    let evidence = note(&s, "done");
    let verdict = assessment(&s, vec![evidence.id]);
    let out = append(&store, &s, ExpectedVersion::NoStream, vec![evidence, verdict.clone()]).await;
    // then both are appended, the assessment second
    assert_eq!((out.positions, out.appended, out.version), (vec![1, 2], 2, Some(2)));
    assert_eq!(store.event(2).unwrap().map(|e| e.id), Some(verdict.id));
}

async fn an_import_over_several_streams_with_a_bad_reference_writes_nothing_and_names_its_line(backend: Backend) {
    // given a store holding two events
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (report, one, two) = (stream(""), stream("/1"), stream("/2"));
    append(&store, &one, ExpectedVersion::NoStream, notes(&one, "held", 2)).await;
    let before = snapshot(&store, &[&report, &one, &two]).await;
    // when a file over three streams has, on its sixth line (after a blank one), an assessment whose evidence
    // is not stored
    let bad = format!(
        r#"{{"stream":"{REPORT}/2","type":"status_assessed","occurred":"2017-11","source":{{"document":"D","locator":"5"}},"data":{{"verdict":"implemented","as_of":"2017-11","assessor":"A","rationale":"R","evidence":["{UNKNOWN_ID}"]}}}}"#
    );
    let text = [
        format!(r#"{{"stream":"{REPORT}","type":"context_noted","occurred":"2014","source":{{"document":"D","locator":"1"}},"data":{{"summary":"r"}}}}"#),
        format!(r#"{{"stream":"{REPORT}/1","type":"context_noted","occurred":"2014","source":{{"document":"D","locator":"2"}},"data":{{"summary":"one"}}}}"#),
        String::new(),
        format!(r#"{{"stream":"{REPORT}/2","type":"context_noted","occurred":"2014","source":{{"document":"D","locator":"3"}},"data":{{"summary":"two"}}}}"#),
        format!(r#"{{"stream":"{REPORT}/2","type":"context_noted","occurred":"2015","source":{{"document":"D","locator":"4"}},"data":{{"summary":"two again"}}}}"#),
        bad,
        format!(r#"{{"stream":"{REPORT}","type":"context_noted","occurred":"2016","source":{{"document":"D","locator":"6"}},"data":{{"summary":"after"}}}}"#),
    ]
    .join("\n");
    let decoded = read_events(text.as_bytes(), |_| {}).unwrap();
    assert_eq!(decoded.iter().map(|(line, _)| *line).collect::<Vec<_>>(), vec![1, 2, 4, 5, 6, 7]);
    let err = import_events(&*store, decoded, "tester").unwrap_err();
    // then the error names line 6 and the missing id, and nothing is written to any stream
    match err {
        ImportError::Refused(errors) => match errors.as_slice() {
            [(line, AppendError::UnknownReference { reference, .. })] => {
                assert_eq!((*line, *reference), (6, id(UNKNOWN_ID)));
            }
            other => panic!("expected one UnknownReference, got {other:?}"),
        },
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(snapshot(&store, &[&report, &one, &two]).await, before);
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Versions and positions.
// ---------------------------------------------------------------------------------------------------------------

async fn interleaved_streams_get_gap_free_versions_and_positions(backend: Backend) {
    // given three streams appended to in turns, in batches of one to three events
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (report, one, two) = (stream(""), stream("/1"), stream("/2"));
    let mut sent: BTreeMap<String, Vec<EventId>> = BTreeMap::new();
    let plan = [(&one, 2), (&two, 1), (&report, 3), (&one, 1), (&two, 2), (&one, 3), (&report, 1)];
    for (turn, (s, n)) in plan.iter().enumerate() {
        let batch = notes(s, &format!("turn {turn}"), *n);
        sent.entry(s.to_string()).or_default().extend(batch.iter().map(|e| e.id));
        append(&store, s, ExpectedVersion::Any, batch).await;
    }
    // then positions are 1..=13 and each stream's versions 1..=k, in position order
    assert_eq!(all_positions(&store).await, one_to(13));
    let expected: BTreeMap<String, Vec<u64>> =
        [(&report, 4), (&one, 6), (&two, 3)].into_iter().map(|(s, k)| (s.to_string(), one_to(k))).collect();
    assert_eq!(versions_by_stream(&store).await, expected);
    // and read_stream returns each stream's events in version order, as sent
    for s in [&report, &one, &two] {
        let read = store.read_stream(s, 1).await.unwrap().unwrap();
        assert_eq!(read.iter().map(|e| e.id).collect::<Vec<_>>(), sent[&s.to_string()], "{s}");
        assert!(read.windows(2).all(|w| w[0].position < w[1].position), "{s}: positions rise with versions");
    }
    // and reading from a version starts there
    let from_5 = store.read_stream(&one, 5).await.unwrap().unwrap();
    assert_eq!(from_5.iter().map(|e| e.version).collect::<Vec<_>>(), vec![5, 6]);
    // and the stream heads are the last versions
    assert_eq!(store.stream_head(&report).await.unwrap(), Some(4));
    assert_eq!(store.stream_head(&one).await.unwrap(), Some(6));
    assert_eq!(store.stream_head(&two).await.unwrap(), Some(3));
    assert_eq!(store.head().position, 13);
}

async fn reading_a_missing_stream_is_none_but_past_the_end_is_empty(backend: Backend) {
    // given a stream with two events
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (s, absent) = (stream("/1"), stream("/9"));
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "a", 2)).await;
    // then a missing stream reads as None and has no head
    assert_eq!(store.read_stream(&absent, 1).await.unwrap(), None);
    assert_eq!(store.stream_head(&absent).await.unwrap(), None);
    // and the existing stream read from beyond its end is an empty list
    assert_eq!(store.read_stream(&s, 3).await.unwrap(), Some(vec![]));
    assert_eq!(store.read_stream(&s, 100).await.unwrap(), Some(vec![]));
    // and from version 0 it reads as from 1
    assert_eq!(store.read_stream(&s, 0).await.unwrap().map(|v| v.len()), Some(2));
}

async fn read_all_returns_at_most_limit_events_from_a_position(backend: Backend) {
    // given an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    assert_eq!(all_positions(&store).await, Vec::<u64>::new());
    assert_eq!(exported(&store), Vec::<Vec<u8>>::new());
    let empty = verify_chain(&store).unwrap();
    assert_eq!((empty.events, empty.head, empty.broken), (0, Hash::ZERO, None));
    // when ten events are appended
    let s = stream("");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "n", 10)).await;
    // then read_all takes a window of the log
    let window = |from, limit| {
        let store = store.clone();
        async move { store.read_all(from, limit).await.unwrap().iter().map(|e| e.position).collect::<Vec<_>>() }
    };
    assert_eq!(window(4, 3).await, vec![4, 5, 6]);
    assert_eq!(window(9, 10).await, vec![9, 10]);
    assert_eq!(window(0, 2).await, vec![1, 2]);
    assert_eq!(window(1, 0).await, Vec::<u64>::new());
    assert_eq!(window(11, 5).await, Vec::<u64>::new());
    assert_eq!(window(1, 100).await, one_to(10));
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Concurrent appenders.
// ---------------------------------------------------------------------------------------------------------------

/// How many tasks append at once.
const TASKS: usize = 64;

async fn concurrent_appenders_to_their_own_streams_leave_no_gaps(backend: Backend) {
    // given an empty store and 64 tasks, each appending to its own stream: one event with NoStream, two with
    // Exact(1), one with Any
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let s = stream(&format!("/{}", t + 1));
            let mut positions = Vec::new();
            for (expected, n) in
                [(ExpectedVersion::NoStream, 1), (ExpectedVersion::Exact(1), 2), (ExpectedVersion::Any, 1)]
            {
                let out = append(&store, &s, expected, notes(&s, &format!("{t} {expected}"), n)).await;
                assert_eq!(out.appended, n);
                positions.extend(out.positions);
            }
            positions
        }));
    }
    // when all have finished
    let mut returned = Vec::new();
    for task in tasks {
        let positions = task.await.expect("the task did not panic");
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "one task's positions rise: {positions:?}");
        returned.extend(positions);
    }
    // then the returned and the stored positions are exactly 1..=256, without gaps or duplicates
    let n = (TASKS * 4) as u64;
    returned.sort_unstable();
    assert_eq!(returned, one_to(n));
    assert_eq!(all_positions(&store).await, one_to(n));
    // and every stream holds versions 1..=4
    let versions = versions_by_stream(&store).await;
    assert_eq!(versions.len(), TASKS);
    assert!(versions.values().all(|v| *v == one_to(4)), "{versions:?}");
    // and the chain is intact over all of them
    let chain = verify_chain(&store).unwrap();
    assert!(chain.ok(), "{:?}", chain.broken);
    assert_eq!((chain.events, chain.head), (n, store.head().hash));
}

async fn appenders_racing_on_one_stream_win_one_version_each(backend: Backend) {
    // given a stream at version 1 and 64 tasks, each appending one event with Exact(v) from v = 1, retrying
    // with the actual version when another task got there first
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    append(&store, &s, ExpectedVersion::NoStream, vec![note(&s, "seed")]).await;
    // and a live subscriber from the start
    let mut subscription = store.subscribe(1);
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < TASKS + 1 {
            seen.push(subscription.next().await.unwrap().position);
        }
        seen
    });
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let event = note(&s, &format!("racer {t}"));
            let mut v = 1;
            let mut losses = 0;
            loop {
                match store.append(&s, ExpectedVersion::Exact(v), vec![event.clone()]).await {
                    Ok(out) => return (v, event.id, out, losses),
                    Err(AppendError::WrongExpectedVersion { actual: Some(actual), .. }) => {
                        assert!(actual > v, "a loser sees a later version: {actual} after {v}");
                        v = actual;
                        losses += 1;
                    }
                    Err(other) => panic!("unexpected error: {other:?}"),
                }
            }
        }));
    }
    // when all have won once
    let mut winners: BTreeMap<u64, EventId> = BTreeMap::new();
    let mut total_losses = 0;
    for task in tasks {
        let (v, event, out, losses) = task.await.expect("the task did not panic");
        // then each win appended its event as version v + 1, which on this single stream is position v + 1
        assert_eq!((out.positions, out.appended), (vec![v + 1], 1), "the win at Exact({v})");
        assert_eq!(winners.insert(v, event), None, "two tasks won at Exact({v})");
        total_losses += losses;
    }
    // and exactly one task won at each of Exact(1) ..= Exact(64)
    assert_eq!(winners.keys().copied().collect::<Vec<_>>(), one_to(TASKS as u64));
    let n = TASKS as u64 + 1;
    let stored = store.read_stream(&s, 1).await.unwrap().unwrap();
    assert_eq!(stored.iter().map(|e| e.version).collect::<Vec<_>>(), one_to(n));
    for (v, event) in &winners {
        assert_eq!(stored[*v as usize].id, *event, "version {} is the winner at Exact({v})", v + 1);
    }
    assert_eq!(all_positions(&store).await, one_to(n));
    assert_eq!(store.stream_head(&s).await.unwrap(), Some(n));
    let chain = verify_chain(&store).unwrap();
    assert!(chain.ok(), "{:?}", chain.broken);
    assert_eq!(chain.events, n);
    assert!(total_losses <= TASKS * (TASKS - 1) / 2, "{total_losses} losses");
    // and the subscriber saw every event once, in order
    assert_eq!(watcher.await.unwrap(), one_to(n));
}

async fn an_append_reports_the_version_it_wrote_even_under_contention(backend: Backend) {
    // given 64 tasks appending to one stream with Any, eight single-event appends each
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for i in 0..8 {
                outcomes.push(append(&store, &s, ExpectedVersion::Any, vec![note(&s, &format!("{t} {i}"))]).await);
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.expect("the task did not panic"));
    }
    // then each outcome's version is the version its own event was given, not that of a later append
    let mut misreported = Vec::new();
    for out in &outcomes {
        let written = store.event(out.positions[0]).unwrap().expect("the event is stored").version;
        if out.version != Some(written) {
            misreported.push((written, out.version));
        }
    }
    assert!(
        misreported.is_empty(),
        "{} of {} appends reported another version than they wrote; (written, reported), first five: {:?}",
        misreported.len(),
        outcomes.len(),
        &misreported[..misreported.len().min(5)]
    );
    assert_eq!(store.stream_head(&s).await.unwrap(), Some(TASKS as u64 * 8));
}

// ---------------------------------------------------------------------------------------------------------------
// 7 and 8. Reopening.
// ---------------------------------------------------------------------------------------------------------------

async fn the_hash_chain_continues_across_a_reopen(backend: Backend) {
    // given a store with three events, dropped
    let dir = tempfile::tempdir().unwrap();
    let s = stream("/1");
    let head_before = {
        let store = backend.open(dir.path());
        append(&store, &s, ExpectedVersion::NoStream, notes(&s, "before", 3)).await;
        store.head()
    };
    // when the directory is reopened and two more events are appended
    let store = backend.open(dir.path());
    assert_eq!(store.head(), head_before, "the head survives the reopen");
    let out = append(&store, &s, ExpectedVersion::Exact(3), notes(&s, "after", 2)).await;
    // then the first new event chains to the head before the reopen, and the whole chain checks out
    assert_eq!((out.positions, out.version), (vec![4, 5], Some(5)));
    let first_new = store.event(4).unwrap().expect("position 4 is stored");
    assert_eq!(first_new.prev_hash, head_before.hash);
    let chain = verify_chain(&store).unwrap();
    assert!(chain.ok(), "{:?}", chain.broken);
    assert_eq!((chain.events, chain.head), (5, store.head().hash));
}

async fn everything_acknowledged_reads_back_identically_after_a_reopen(backend: Backend) {
    // given a store with events on several streams, its export taken, then dropped
    let dir = tempfile::tempdir().unwrap();
    let (report, one) = (stream(""), stream("/1"));
    let (lines, head, events) = {
        let store = backend.open(dir.path());
        append(&store, &report, ExpectedVersion::NoStream, notes(&report, "r", 2)).await;
        append(&store, &one, ExpectedVersion::NoStream, notes(&one, "one", 3)).await;
        append(&store, &report, ExpectedVersion::Exact(2), notes(&report, "r again", 1)).await;
        (exported(&store), store.head(), all_events(&store).await)
    };
    assert_eq!(lines.len(), 6);
    // when the directory is reopened
    let store = backend.open(dir.path());
    // then every line is there byte for byte, and so are the head, the events and the stream heads
    assert_eq!(exported(&store), lines);
    assert_eq!(store.head(), head);
    assert_eq!(all_events(&store).await, events);
    assert_eq!(store.stream_head(&report).await.unwrap(), Some(3));
    assert_eq!(store.stream_head(&one).await.unwrap(), Some(3));
}

async fn recorded_times_never_go_back_when_the_clock_does(backend: Backend) {
    // given a store whose last event was recorded at NOW, reopened with a clock a year behind
    let dir = tempfile::tempdir().unwrap();
    let s = stream("/1");
    {
        let store = backend.open(dir.path());
        append(&store, &s, ExpectedVersion::NoStream, vec![note(&s, "now")]).await;
    }
    let earlier: Timestamp = "2023-03-01T09:30:00Z".parse().unwrap();
    let store = backend.open_with_clock(dir.path(), Arc::new(move || earlier));
    // when an event is appended
    append(&store, &s, ExpectedVersion::Exact(1), vec![note(&s, "later")]).await;
    // then it is recorded at NOW, not before the event preceding it, and the chain checks out
    let times: Vec<String> = all_events(&store).await.iter().map(|e| e.recorded_at.to_string()).collect();
    assert_eq!(times, vec![NOW, NOW]);
    assert_eq!(store.head().recorded_at.map(|t| t.to_string()).as_deref(), Some(NOW));
    assert!(verify_chain(&store).unwrap().ok());
}

// ---------------------------------------------------------------------------------------------------------------
// 9. Live subscriptions.
// ---------------------------------------------------------------------------------------------------------------

async fn a_subscription_yields_stored_events_then_live_ones_each_once_in_order(backend: Backend) {
    // given a store with five events and a subscription from position 1
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "stored", 5)).await;
    let mut sub = store.subscribe(1);
    // when another task appends twenty more, one at a time, while the subscriber reads
    let writer = {
        let store = store.clone();
        let t = stream("/2");
        tokio::spawn(async move {
            for i in 0..20 {
                append(&store, &t, ExpectedVersion::Any, vec![note(&t, &format!("live {i}"))]).await;
            }
        })
    };
    // then the subscriber sees positions 1..=25, in order
    assert_eq!(take(&mut sub, 25).await, one_to(25));
    writer.await.unwrap();
    // and nothing twice: the next event it yields is the next one appended
    append(&store, &s, ExpectedVersion::Any, vec![note(&s, "one more")]).await;
    assert_eq!(take(&mut sub, 1).await, vec![26]);
    assert_eq!(sub.next_position(), 27);
}

async fn a_subscription_catching_up_sees_events_appended_meanwhile_once(backend: Backend) {
    // given 1500 stored events, more than one catch-up read, and a subscription from position 1
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "stored", 1500)).await;
    let mut sub = store.subscribe(1);
    // when ten events are appended before it reads, ten after its first event, and forty by another task while
    // it catches up
    append(&store, &s, ExpectedVersion::Any, notes(&s, "before the first read", 10)).await;
    let mut seen = take(&mut sub, 1).await;
    append(&store, &s, ExpectedVersion::Any, notes(&s, "after the first read", 10)).await;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..40 {
                append(&store, &s, ExpectedVersion::Any, vec![note(&s, &format!("concurrent {i}"))]).await;
            }
        })
    };
    seen.extend(take(&mut sub, 1559).await);
    writer.await.unwrap();
    // then it yields 1..=1560, each once, in order
    assert_eq!(seen, one_to(1560));
    let t = stream("/1");
    append(&store, &t, ExpectedVersion::Any, vec![note(&t, "last")]).await;
    assert_eq!(take(&mut sub, 1).await, vec![1561]);
}

async fn a_subscription_from_a_middle_position_starts_there(backend: Backend) {
    // given ten events
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/3");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "n", 10)).await;
    // when subscribing from position 7 and appending two more
    let mut sub = store.subscribe(7);
    assert_eq!(sub.next_position(), 7);
    append(&store, &s, ExpectedVersion::Exact(10), notes(&s, "m", 2)).await;
    // then it yields 7..=12 and the events are the stored ones
    let mut events = Vec::new();
    for _ in 7..=12 {
        events.push(or_stall(sub.next()).await.unwrap());
    }
    assert_eq!(events.iter().map(|e| e.position).collect::<Vec<_>>(), vec![7, 8, 9, 10, 11, 12]);
    let stored = store.read_all(7, 6).await.unwrap();
    assert_eq!(events.iter().map(|e| (**e).clone()).collect::<Vec<_>>(), stored);
}

async fn a_subscriber_that_falls_far_behind_reads_the_missed_events_from_the_store(backend: Backend) {
    // given a subscription on an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let mut sub = store.subscribe(1);
    // when 5000 events (more than the live channel holds) are committed before it reads
    let s = stream("/2");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "burst", 5000)).await;
    // then it still yields every one of them, once, in order, and then the next live one
    assert_eq!(take(&mut sub, 5000).await, one_to(5000));
    append(&store, &s, ExpectedVersion::Exact(5000), vec![note(&s, "after")]).await;
    assert_eq!(take(&mut sub, 1).await, vec![5001]);
}

// ---------------------------------------------------------------------------------------------------------------
// 10. One holder per directory.
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_second_open_of_a_held_directory_is_in_use() {
    // given an open sled store holding one event
    let dir = tempfile::tempdir().unwrap();
    let store = Backend::Sled.open(dir.path());
    let s = stream("/1");
    EventStoreExt::append(&*store, &s, ExpectedVersion::NoStream, vec![note(&s, "held")], "tester").unwrap();
    // when the directory is opened a second time
    let second = SledStore::open_with_clock(dir.path(), fixed_clock());
    // then it is refused as in use, naming the directory
    match second {
        Err(OpenError::InUse { path }) => assert_eq!(path, dir.path().display().to_string()),
        Err(other) => panic!("expected InUse, got {other:?}"),
        Ok(_) => panic!("expected InUse, but the store opened twice"),
    }
    // and once the first is dropped, it opens and holds the event
    drop(store);
    let reopened = Backend::Sled.open(dir.path());
    assert_eq!(reopened.head().position, 1);
}

// ---------------------------------------------------------------------------------------------------------------
// 11. Export and import.
// ---------------------------------------------------------------------------------------------------------------

/// Input lines of every kind of value: a report, two recommendations, a response for both, a counted vote, a
/// commitment with a due date and its revision, an amount with cents, a verdict with evidence and a retraction.
fn variety() -> Vec<String> {
    vec![
        format!(
            r#"{{"stream":"{REPORT}","type":"report_published","occurred":"2013-05","source":{{"document":"Test report","locator":"1","quote":"“quoted” words"}},"data":{{"title":"Test","auditor":"Rekenkamer","summary":"A report","url":"https://example.invalid/r"}}}}"#
        ),
        format!(
            r#"{{"id":"11111111-1111-4111-8111-111111111111","stream":"{REPORT}/1","type":"recommendation_issued","occurred":"2013-05","source":{{"document":"Test report","locator":"2"}},"data":{{"number":1,"text":"Zorg voor een overzicht","explanation":"Why"}}}}"#
        ),
        format!(
            r#"{{"stream":"{REPORT}/2","type":"recommendation_issued","occurred":"2013-05","source":{{"document":"Test report","locator":"3"}},"data":{{"number":2,"text":"Onderzoek de mogelijkheden"}}}}"#
        ),
        format!(
            r#"{{"stream":"{REPORT}","type":"executive_responded","occurred":"2013-05-20","source":{{"document":"Test report","locator":"4"}},"data":{{"stance":"adopted_with_reservations","summary":"Yes, but","recommendations":[1,2]}}}}"#
        ),
        format!(
            r#"{{"stream":"{REPORT}","type":"council_motion_voted","occurred":"2013-07-04","source":{{"document":"Raad","locator":"5"}},"data":{{"motion":"Motie 1","result":"adopted","votes":{{"for":30,"against":15}},"summary":"Asks for more"}}}}"#
        ),
        format!(
            r#"{{"id":"22222222-2222-4222-8222-222222222222","stream":"{REPORT}/1","type":"commitment_made","occurred":"2013-36","source":{{"document":"Brief","locator":"6"}},"data":{{"summary":"Will report","due":"2014-23"}}}}"#
        ),
        format!(
            r#"{{"stream":"{REPORT}/1","type":"commitment_revised","occurred":"2014-11~","source":{{"document":"Brief","locator":"7"}},"data":{{"commitment":"22222222-2222-4222-8222-222222222222","due":"2015?","reason":"Delayed"}}}}"#
        ),
        format!(
            r#"{{"id":"33333333-3333-4333-8333-333333333333","stream":"{REPORT}/2","type":"action_taken","occurred":"2015","source":{{"document":"Begroting","locator":"8"}},"data":{{"summary":"Budget","amount":{{"value":12.5,"currency":"EUR"}}}}}}"#
        ),
        format!(
            r#"{{"stream":"{REPORT}/2","type":"status_assessed","occurred":"2017-11","source":{{"document":"Opvolging","locator":"9"}},"data":{{"verdict":"partially_implemented","as_of":"2017-11","assessor":"Rekenkamer","rationale":"Half","evidence":["33333333-3333-4333-8333-333333333333"],"attributable":false}}}}"#
        ),
        format!(
            r#"{{"stream":"{REPORT}/1","type":"event_retracted","occurred":"2018","source":{{"document":"Erratum","locator":"10"}},"data":{{"target":"11111111-1111-4111-8111-111111111111","reason":"Entered twice"}}}}"#
        ),
    ]
}

/// A store in `dir` holding [`variety`], appended stream by stream as a user would.
async fn varied_store(backend: Backend, dir: &Path) -> Store {
    let store = backend.open(dir);
    for line in variety() {
        let event = input(&line);
        let s = event.stream.clone();
        append(&store, &s, ExpectedVersion::Any, vec![event]).await;
    }
    store
}

async fn an_export_imported_into_an_empty_store_reproduces_it_byte_for_byte(backend: Backend) {
    // given a store holding ten varied events
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = varied_store(backend, dir_a.path()).await;
    assert_eq!(a.head().position, 10);
    // when its export is imported into a fresh store
    let b = backend.open(dir_b.path());
    let report = import_text(&b, &export_text(&a)).unwrap();
    // then all ten are appended and the two stores export the same bytes and have the same head
    let head = a.head();
    assert_eq!(
        report,
        ImportReport { events: 10, appended: 10, already: 0, head, first_appended: Some(1), warnings: vec![] }
    );
    assert_eq!(exported(&b), exported(&a));
    assert_eq!(b.head(), a.head());
    assert_eq!(all_events(&b).await, all_events(&a).await);
    let chain = verify_chain(&b).unwrap();
    assert!(chain.ok(), "{:?}", chain.broken);
    assert_eq!(chain.events, 10);
    // and importing the export again adds nothing
    let again = import_text(&b, &export_text(&a)).unwrap();
    let head = a.head();
    assert_eq!(
        again,
        ImportReport { events: 10, appended: 0, already: 10, head, first_appended: None, warnings: vec![] }
    );
    assert_eq!(exported(&b), exported(&a));
}

async fn an_export_continues_a_store_that_holds_its_beginning(backend: Backend) {
    // given a store holding the first four lines of another's export
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = varied_store(backend, dir_a.path()).await;
    let text = export_text(&a);
    let b = backend.open(dir_b.path());
    let beginning: Vec<&str> = text.lines().take(4).collect();
    assert_eq!(import_text(&b, &beginning.join("\n")).unwrap().appended, 4);
    // when the whole export is imported
    let report = import_text(&b, &text).unwrap();
    // then the other six are appended and the stores are identical
    assert_eq!((report.events, report.appended, report.already), (10, 6, 4));
    assert_eq!(exported(&b), exported(&a));
    assert_eq!(b.head(), a.head());
}

async fn an_export_imported_into_a_store_with_other_events_is_discontinuous_and_writes_nothing(backend: Backend) {
    // given a store holding an event of its own
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = varied_store(backend, dir_a.path()).await;
    let b = backend.open(dir_b.path());
    let s = stream("/1");
    append(&b, &s, ExpectedVersion::NoStream, vec![note(&s, "of its own")]).await;
    let before = snapshot(&b, &[&s]).await;
    // when another store's export is imported into it
    let err = import_text(&b, &export_text(&a)).unwrap_err();
    // then the first line does not continue it, and nothing is written
    match err {
        ImportError::Refused(errors) => match errors.as_slice() {
            [(line, AppendError::Discontinuous { position, .. })] => assert_eq!((*line, *position), (1, 1)),
            other => panic!("expected one Discontinuous, got {other:?}"),
        },
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(snapshot(&b, &[&s]).await, before);
}

async fn an_export_missing_a_line_imports_nothing_and_names_the_line_after_the_gap(backend: Backend) {
    // given another store's export without its fifth line
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = varied_store(backend, dir_a.path()).await;
    let mut lines: Vec<String> = export_text(&a).lines().map(str::to_owned).collect();
    lines.remove(4);
    // when imported into an empty store
    let b = backend.open(dir_b.path());
    let err = import_text(&b, &lines.join("\n")).unwrap_err();
    // then the fifth line of the file, stating position 6, does not continue the log at 5, and nothing is written
    match err {
        ImportError::Refused(errors) => match errors.as_slice() {
            [(line, AppendError::Discontinuous { position, reason })] => {
                assert_eq!((*line, *position), (5, 6));
                assert_eq!(reason, "the store's next position is 5");
            }
            other => panic!("expected one Discontinuous, got {other:?}"),
        },
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!((b.head().position, exported(&b)), (0, Vec::<Vec<u8>>::new()));
}

async fn an_export_with_a_changed_byte_is_refused_naming_its_line(backend: Backend) {
    // given another store's export with one byte of its third line's body changed
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = varied_store(backend, dir_a.path()).await;
    let text = export_text(&a).replacen("Onderzoek de mogelijkheden", "Onderzoek de Mogelijkheden", 1);
    // when imported into an empty store
    let b = backend.open(dir_b.path());
    let err = import_text(&b, &text).unwrap_err();
    // then the third line is reported for its hash, and nothing is written
    match err {
        ImportError::Invalid(problems) => {
            assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), vec![3]);
            assert!(problems[0].message.contains("hash"), "{}", problems[0].message);
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(b.head().position, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// 12. The chain check over exported lines.
// ---------------------------------------------------------------------------------------------------------------

/// The lines of a store holding five notes `chain 1` .. `chain 5` on one stream.
async fn five_lines(backend: Backend) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "chain", 5)).await;
    exported(&store)
}

async fn an_intact_export_checks_out(backend: Backend) {
    let lines = five_lines(backend).await;
    let report = check_lines(&lines);
    assert_eq!((report.events, &report.broken), (5, &None));
    let last = RecordedEvent::decode(&lines[4]).unwrap();
    assert_eq!(report.head, last.hash);
    assert!(report.ok());
}

async fn one_changed_byte_breaks_the_chain_at_its_line(backend: Backend) {
    // given the export with one byte of the third line's summary changed
    let mut lines = five_lines(backend).await;
    let at = lines[2].windows(7).position(|w| w == b"chain 3").expect("the summary is in the line");
    lines[2][at] = b'C';
    // when checked, then it breaks at position 3 on the hash, after two sound lines
    let report = check_lines(&lines);
    let broken = report.broken.expect("the chain is broken");
    assert_eq!((broken.position, report.events), (3, 2));
    assert!(broken.reason.contains("hash"), "{}", broken.reason);
}

async fn a_deleted_line_breaks_the_chain_where_it_was(backend: Backend) {
    // given the export without its third line: the fourth now follows the second
    let mut lines = five_lines(backend).await;
    lines.remove(2);
    // when checked, then it breaks at the third place in the file, which the old fourth line now fills
    let report = check_lines(&lines);
    let broken = report.broken.expect("the chain is broken");
    assert_eq!((broken.position, report.events), (3, 2));
    assert_eq!(broken.reason, "the line states position 4, expected 3");
}

async fn two_swapped_lines_break_the_chain_at_the_first_of_them(backend: Backend) {
    // given the export with its second and third lines swapped
    let mut lines = five_lines(backend).await;
    lines.swap(1, 2);
    // when checked, then it breaks at position 2
    let report = check_lines(&lines);
    let broken = report.broken.expect("the chain is broken");
    assert_eq!((broken.position, report.events), (2, 1));
    assert_eq!(broken.reason, "the line states position 3, expected 2");
}

// ---------------------------------------------------------------------------------------------------------------
// 13. The embedded case.
// ---------------------------------------------------------------------------------------------------------------

async fn the_amsterdam_case_imports_whole_and_its_chain_checks_out(backend: Backend) {
    // given the embedded case file
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nazorg-amsterdam.jsonl");
    let text = std::fs::read_to_string(&path).expect("the case file reads");
    assert_eq!(text.lines().count(), 79);
    // when imported into a fresh store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let report = import_text(&store, &text).unwrap();
    // then all 79 lines are appended and the chain checks out to the head
    assert_eq!((report.events, report.appended, report.already, report.head.position), (79, 79, 0, 79));
    let chain = verify_chain(&store).unwrap();
    assert!(chain.ok(), "{:?}", chain.broken);
    assert_eq!((chain.events, chain.head), (79, store.head().hash));
    // and the five recommendations each got a verdict
    let verdicts: BTreeSet<String> = all_events(&store)
        .await
        .iter()
        .filter(|e| matches!(e.body, Body::StatusAssessed(_)))
        .map(|e| e.stream.to_string())
        .collect();
    assert_eq!(verdicts, (1..=5).map(|n| format!("ra-amsterdam-2013-nazorg/{n}")).collect());
}

// ---------------------------------------------------------------------------------------------------------------
// Regressions from review.
// ---------------------------------------------------------------------------------------------------------------

async fn an_empty_append_still_checks_the_expected_version(backend: Backend) {
    // given a stream at version 2
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    append(&store, &s, ExpectedVersion::NoStream, notes(&s, "a", 2)).await;
    // when an empty batch expects no stream, or version 1
    for expected in [ExpectedVersion::NoStream, ExpectedVersion::Exact(1)] {
        let err = store.append(&s, expected, vec![]).await.unwrap_err();
        // then it is refused with the actual version
        assert!(matches!(err, AppendError::WrongExpectedVersion { actual: Some(2), .. }), "{expected}: {err}");
    }
    // and with the right expectation it is a no-op that reports the version
    let ok = append(&store, &s, ExpectedVersion::Exact(2), vec![]).await;
    assert_eq!((ok.positions, ok.appended, ok.version), (vec![], 0, Some(2)));
}

async fn exact_zero_means_no_stream(backend: Backend) {
    // given an empty store
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    // when appending with Exact(0), then again with Exact(0)
    let first = append(&store, &s, ExpectedVersion::Exact(0), vec![note(&s, "a")]).await;
    let second = store.append(&s, ExpectedVersion::Exact(0), vec![note(&s, "b")]).await.unwrap_err();
    // then the first creates the stream and the second is refused like NoStream
    assert_eq!((first.positions, first.version), (vec![1], Some(1)));
    assert!(matches!(second, AppendError::WrongExpectedVersion { actual: Some(1), .. }), "{second}");
}

async fn references_must_name_the_right_kind_of_event_in_the_right_place(backend: Backend) {
    // given a recommendation with an action, a commitment and an assessment, and another recommendation
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let (one, two) = (stream("/1"), stream("/2"));
    let line = |s: &StreamId, kind: &str, data: &str| {
        input(&format!(
            r#"{{"stream":"{s}","type":"{kind}","occurred":"2016","source":{{"document":"D","locator":"L"}},"data":{data}}}"#
        ))
    };
    let action = line(&one, "action_taken", r#"{"summary":"did"}"#);
    let commitment = line(&one, "commitment_made", r#"{"summary":"will"}"#);
    append(&store, &one, ExpectedVersion::Any, vec![action.clone(), commitment.clone()]).await;
    let retraction = line(&one, "event_retracted", &format!(r#"{{"target":"{}","reason":"r"}}"#, action.id));
    append(&store, &one, ExpectedVersion::Any, vec![retraction.clone()]).await;
    let before = snapshot(&store, &[&one, &two]).await;
    // when events name the wrong kind or place
    let cases = [
        (
            &one,
            line(&one, "commitment_revised", &format!(r#"{{"commitment":"{}","due":"2018","reason":"r"}}"#, action.id)),
            "data.commitment",
        ),
        (
            &two,
            line(
                &two,
                "commitment_revised",
                &format!(r#"{{"commitment":"{}","due":"2018","reason":"r"}}"#, commitment.id),
            ),
            "data.commitment",
        ),
        (
            &one,
            line(&one, "action_taken", &format!(r#"{{"summary":"x","fulfils":["{}"]}}"#, action.id)),
            "data.fulfils[0]",
        ),
        (
            &one,
            line(&one, "event_retracted", &format!(r#"{{"target":"{}","reason":"undo"}}"#, retraction.id)),
            "data.target",
        ),
        (
            &two,
            line(&two, "event_retracted", &format!(r#"{{"target":"{}","reason":"r"}}"#, commitment.id)),
            "data.target",
        ),
        (
            &one,
            line(
                &one,
                "status_assessed",
                &format!(
                    r#"{{"verdict":"in_progress","as_of":"2016","assessor":"A","rationale":"R","evidence":["{}"],"supersedes":"{}"}}"#,
                    commitment.id, action.id
                ),
            ),
            "data.supersedes",
        ),
    ];
    for (s, event, field) in cases {
        let err = store.append(s, ExpectedVersion::Any, vec![event.clone()]).await.unwrap_err();
        // then each is refused naming the field, and nothing is written
        match &err {
            AppendError::WrongReference { field: f, .. } => assert_eq!(f, field, "{err}"),
            other => panic!("expected WrongReference on {field}, got {other}"),
        }
    }
    assert_eq!(snapshot(&store, &[&one, &two]).await, before);
    // and the report stream may retract an event of one of its recommendations
    let report = stream("");
    let from_report = line(&report, "event_retracted", &format!(r#"{{"target":"{}","reason":"r"}}"#, commitment.id));
    append(&store, &report, ExpectedVersion::Any, vec![from_report]).await;
}

// ---------------------------------------------------------------------------------------------------------------
// Large writes and group commit.
// ---------------------------------------------------------------------------------------------------------------

/// `n` notes on the report as input lines.
fn note_lines(tag: &str, n: usize) -> Vec<String> {
    notes(&stream(""), tag, n).iter().map(NewEvent::to_line).collect()
}

async fn an_import_of_several_chunks_refused_at_its_last_line_leaves_the_store_as_it_was(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    import(&*store, note_lines("before", 3).join("\n").as_bytes(), "t", |_| {}).unwrap();
    let before = export_text(&store);
    let n = 2 * followup::CHUNK_EVENTS + 10;

    // A bad line at the end: the chunks already applied are removed.
    let mut lines = note_lines("big", n);
    lines.push(r#"{"stream":"ra-test-2013-nazorg","type":"context_noted"}"#.into());
    let refused = import(&*store, lines.join("\n").as_bytes(), "t", |_| {}).unwrap_err();
    assert!(matches!(&refused, ImportError::Invalid(p) if p.len() == 1 && p[0].line == n + 1), "{refused:?}");
    // A reference to nothing at the end: refused by the store, and removed as well.
    let mut lines = note_lines("big", n);
    lines.push(assessment(&stream("/1"), vec![id(UNKNOWN_ID)]).to_line());
    let refused = import(&*store, lines.join("\n").as_bytes(), "t", |_| {}).unwrap_err();
    assert!(matches!(&refused, ImportError::Refused(e) if e.len() == 1 && e[0].0 == n + 1), "{refused:?}");

    assert_eq!(export_text(&store), before);
    assert_eq!(store.head().position, 3);
    let chain = verify_chain(&store).unwrap();
    assert!(chain.ok(), "no line or index entry is left past the head: {chain:?}");
    drop(store);
    let store = backend.open(dir.path());
    assert!(verify_chain(&store).unwrap().ok());
    // The refused events were not left behind as "already stored": importing them now appends every one.
    let report = import(&*store, note_lines("big", n).join("\n").as_bytes(), "t", |_| {}).unwrap();
    assert_eq!((report.appended, report.already, report.head.position), (n, 0, 3 + n as u64));
    assert!(verify_chain(&store).unwrap().ok());
}

#[test]
fn concurrent_appenders_share_flushes_and_every_acknowledged_append_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open_with_clock(dir.path(), fixed_clock()).unwrap();
    let (writers, each) = (32, 20);
    let barrier = std::sync::Barrier::new(writers);
    let positions = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for w in 0..writers {
            let (store, barrier, positions) = (&store, &barrier, &positions);
            scope.spawn(move || {
                let s = stream(&format!("/{}", w + 1));
                barrier.wait();
                for i in 0..each {
                    let e = note(&s, &format!("writer {w} note {i}"));
                    let mut items = std::iter::once(Some(Pending::New(e)));
                    let written = store
                        .write(&mut items, Some((&s, ExpectedVersion::Exact(i as u64))), "t")
                        .unwrap_or_else(|e| panic!("{e:?}"));
                    assert!(
                        store.head().position >= written.positions[0],
                        "acknowledged only once durable and visible"
                    );
                    positions.lock().unwrap().push(written.positions[0]);
                }
            });
        }
    });
    let total = (writers * each) as u64;
    let mut positions = positions.into_inner().unwrap();
    positions.sort_unstable();
    assert_eq!(positions, (1..=total).collect::<Vec<_>>());
    assert!(store.syncs() < total, "{} flushes for {total} appends: none was shared", store.syncs());
    drop(store);
    let store = Backend::Sled.open(dir.path());
    assert_eq!(store.head().position, total);
    assert!(verify_chain(&store).unwrap().ok());
    for w in 0..writers {
        let s = stream(&format!("/{}", w + 1));
        assert_eq!(store.stream_version(&s).unwrap(), Some(each as u64));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_writes_waiting_at_once_are_combined_and_each_keeps_its_own_refusals() {
    // given 48 writers, each appending 10 notes to its own stream with the expected version, and every third
    // write of every writer also sending one with a wrong expected version or an unknown evidence id
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open_with_clock(dir.path(), fixed_clock()).unwrap();
    let (writers, each) = (48, 10);
    let barrier = std::sync::Barrier::new(writers);
    let refused = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..writers {
            let (store, barrier, refused) = (&store, &barrier, &refused);
            scope.spawn(move || {
                let s = stream(&format!("/{}", w + 1));
                barrier.wait();
                for i in 0..each {
                    if i % 3 == 1 {
                        let wrong = note(&s, &format!("writer {w} late {i}"));
                        let mut items = std::iter::once(Some(Pending::New(wrong)));
                        let e = store.write(&mut items, Some((&s, ExpectedVersion::Exact(i as u64 + 5))), "t");
                        assert!(matches!(&e, Err(r) if matches!(r[0].1, AppendError::WrongExpectedVersion { .. })));
                        let mut bad = assessment(&s, vec![EventId::from_uuid(uuid::Uuid::from_u128(w as u128 + 1))]);
                        bad.id = EventId::from_uuid(uuid::Uuid::new_v4());
                        let mut items = std::iter::once(Some(Pending::New(bad)));
                        let e = store.write(&mut items, None, "t");
                        assert!(matches!(&e, Err(r) if matches!(r[0].1, AppendError::UnknownReference { .. })));
                        refused.fetch_add(2, std::sync::atomic::Ordering::Relaxed);
                    }
                    let e = note(&s, &format!("writer {w} note {i}"));
                    let mut items = std::iter::once(Some(Pending::New(e)));
                    let written = store
                        .write(&mut items, Some((&s, ExpectedVersion::Exact(i as u64))), "t")
                        .unwrap_or_else(|e| panic!("{e:?}"));
                    assert_eq!(written.version, Some(i as u64 + 1));
                    assert!(store.head().position >= written.positions[0]);
                }
            });
        }
    });
    // then every good write is stored, gap free, and the refused ones left nothing
    let total = (writers * each) as u64;
    assert_eq!(store.head().position, total);
    assert_eq!(refused.into_inner(), writers * 6);
    // and the writes shared sled batches, not only fsyncs
    assert!(store.batches() < total, "{} batches for {total} appends: none was combined", store.batches());
    drop(store);
    let store = Backend::Sled.open(dir.path());
    assert!(verify_chain(&store).unwrap().ok());
    for w in 0..writers {
        let s = stream(&format!("/{}", w + 1));
        assert_eq!(store.stream_version(&s).unwrap(), Some(each as u64));
        let texts: Vec<String> =
            store.read_stream(&s, 1).await.unwrap().unwrap().iter().map(|e| e.body.summary().to_owned()).collect();
        assert_eq!(texts, (0..each).map(|i| format!("writer {w} note {i}")).collect::<Vec<_>>());
    }
}

async fn report_events_are_the_report_s_streams_whether_asked_by_the_report_or_a_recommendation(backend: Backend) {
    // given events on a report, two of its recommendations, and another report whose id it prefixes
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let other = StreamId::parse(&format!("{REPORT}-b/1")).unwrap();
    for (s, tag) in [(stream(""), "report"), (stream("/1"), "one"), (other.clone(), "other"), (stream("/2"), "two")] {
        append(&store, &s, ExpectedVersion::Any, vec![note(&s, tag)]).await;
    }
    // when asked by the report, or by one of its recommendations, then the report's events, in position order
    for asked in [stream(""), stream("/1"), stream("/2")] {
        let got: Vec<(u64, String)> =
            store.report_events(&asked).unwrap().iter().map(|e| (e.position, e.stream.to_string())).collect();
        assert_eq!(got, [(1, stream("").to_string()), (2, stream("/1").to_string()), (4, stream("/2").to_string())]);
    }
    // and a report the store does not hold has none
    assert!(store.report_events(&StreamId::parse("absent-2020").unwrap()).unwrap().is_empty());
}

async fn an_event_is_found_by_its_id_and_a_stream_by_its_first_event(backend: Backend) {
    // given three events appended in two writes
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    let s = stream("/1");
    let first = append(&store, &s, ExpectedVersion::Any, notes(&s, "a", 2)).await;
    let second = append(&store, &s, ExpectedVersion::Any, notes(&s, "b", 1)).await;
    // when looked up by id, then each is at its position, and an id never written is not found
    let events = all_events(&store).await;
    assert_eq!(events.len(), 3);
    for e in &events {
        assert_eq!(store.position_of(&e.id).unwrap(), Some(e.position));
    }
    assert_eq!(first.positions, [1, 2]);
    assert_eq!(second.positions, [3]);
    assert_eq!(store.position_of(&id("00000000-0000-4000-8000-00000000abcd")).unwrap(), None);
    // and a stream's first event is its version 1, none for a stream that does not exist
    assert_eq!(store.stream_first(&s).unwrap(), Some(events[0].clone()));
    assert_eq!(store.stream_first(&stream("/9")).unwrap(), None);
}

async fn an_event_read_alone_is_its_stored_line_decoded_recent_or_not(backend: Backend) {
    // given a log of many writes, the newest of them kept decoded by a backend that caches them
    let dir = tempfile::tempdir().unwrap();
    let store = backend.open(dir.path());
    for n in 0..40 {
        let s = stream(&format!("/{}", n % 7 + 1));
        append(&store, &s, ExpectedVersion::Any, notes(&s, &format!("w{n}"), 1 + n % 3)).await;
    }
    // when each event is read alone, by range and as its stream's first, then each is its stored line decoded
    let lines = exported(&store);
    assert!(lines.len() > 60);
    for (i, line) in lines.iter().enumerate() {
        let position = i as u64 + 1;
        let decoded = RecordedEvent::decode(line).unwrap();
        assert_eq!(store.event(position).unwrap().as_ref(), Some(&decoded), "position {position}");
        assert_eq!(store.read_range(position, 1).unwrap(), std::slice::from_ref(&decoded), "position {position}");
        if decoded.version == 1 {
            assert_eq!(store.stream_first(&decoded.stream).unwrap(), Some(decoded.clone()));
            assert_eq!(store.stream_first(&decoded.stream).unwrap(), Some(decoded), "asked again");
        }
    }
    assert_eq!(store.event(lines.len() as u64 + 1).unwrap(), None, "nothing past the head");
}

// ---------------------------------------------------------------------------------------------------------------
// The suite, once per backend.
// ---------------------------------------------------------------------------------------------------------------

/// Runs each named test of the suite against every backend: `memory::NAME` and `sled::NAME`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[test] fn $name() { super::run(super::Backend::Memory, super::$name) })*
        }
        mod sled {
            $(#[test] fn $name() { super::run(super::Backend::Sled, super::$name) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::run(super::Backend::Postgres, super::$name) })*
        }
    };
}

conformance!(
    an_event_is_found_by_its_id_and_a_stream_by_its_first_event,
    an_event_read_alone_is_its_stored_line_decoded_recent_or_not,
    report_events_are_the_report_s_streams_whether_asked_by_the_report_or_a_recommendation,
    no_stream_on_an_absent_stream_creates_it_at_version_1,
    no_stream_on_an_existing_stream_fails_with_its_version_and_writes_nothing,
    exact_succeeds_only_at_that_version,
    exact_on_an_absent_stream_fails_with_no_version,
    any_appends_whatever_the_version,
    an_empty_append_is_a_no_op,
    resending_the_same_events_returns_their_original_positions,
    a_batch_mixing_a_resend_and_a_new_event_appends_only_the_new_one,
    the_same_id_with_different_content_is_a_conflict_and_writes_nothing,
    an_event_repeated_within_a_batch_is_written_once,
    a_batch_holding_one_id_with_two_contents_is_a_conflict_and_writes_nothing,
    importing_the_same_file_twice_appends_nothing_the_second_time,
    a_batch_with_an_event_of_another_stream_writes_nothing,
    a_batch_with_an_unknown_evidence_id_writes_nothing,
    evidence_may_name_an_event_earlier_in_the_same_batch,
    an_import_over_several_streams_with_a_bad_reference_writes_nothing_and_names_its_line,
    interleaved_streams_get_gap_free_versions_and_positions,
    reading_a_missing_stream_is_none_but_past_the_end_is_empty,
    read_all_returns_at_most_limit_events_from_a_position,
    concurrent_appenders_to_their_own_streams_leave_no_gaps,
    appenders_racing_on_one_stream_win_one_version_each,
    an_append_reports_the_version_it_wrote_even_under_contention,
    the_hash_chain_continues_across_a_reopen,
    everything_acknowledged_reads_back_identically_after_a_reopen,
    recorded_times_never_go_back_when_the_clock_does,
    a_subscription_yields_stored_events_then_live_ones_each_once_in_order,
    a_subscription_catching_up_sees_events_appended_meanwhile_once,
    a_subscription_from_a_middle_position_starts_there,
    a_subscriber_that_falls_far_behind_reads_the_missed_events_from_the_store,
    an_export_imported_into_an_empty_store_reproduces_it_byte_for_byte,
    an_export_continues_a_store_that_holds_its_beginning,
    an_export_imported_into_a_store_with_other_events_is_discontinuous_and_writes_nothing,
    an_export_missing_a_line_imports_nothing_and_names_the_line_after_the_gap,
    an_export_with_a_changed_byte_is_refused_naming_its_line,
    an_intact_export_checks_out,
    one_changed_byte_breaks_the_chain_at_its_line,
    a_deleted_line_breaks_the_chain_where_it_was,
    two_swapped_lines_break_the_chain_at_the_first_of_them,
    the_amsterdam_case_imports_whole_and_its_chain_checks_out,
    an_empty_append_still_checks_the_expected_version,
    exact_zero_means_no_stream,
    references_must_name_the_right_kind_of_event_in_the_right_place,
    an_import_of_several_chunks_refused_at_its_last_line_leaves_the_store_as_it_was,
);
