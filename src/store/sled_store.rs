//! [`SledStore`]: the event store in an embedded sled database, with one writer at a time and an fsync per commit.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use events::{EventId, Hash, NewEvent, RecordedEvent, StreamId, Timestamp};
use tokio::sync::broadcast;

use super::{keys, AppendError, AppendOutcome, EventStore, ExpectedVersion, Head, OpenError, ReadError, Subscription};

/// sled's segment size. sled writes a page larger than a quarter of a segment to a separate blob file, which it
/// does not fsync; 8 MiB segments put that threshold at 2 MiB, above any leaf of at most 17 lines of at most
/// [`events::MAX_LINE_BYTES`] each, so every write goes through the log file that [`SledStore`] syncs.
const SEGMENT_SIZE: usize = 8 << 20;

/// sled's page cache, in bytes (sled's default is 1 GiB). Replays read the log once in order, so a large cache
/// buys little and would hold a large store's pages in memory.
const CACHE_BYTES: u64 = 64 << 20;

/// How long opening waits for a store held by another handle before it reports [`OpenError::InUse`].
const OPEN_PATIENCE: std::time::Duration = std::time::Duration::from_millis(800);

/// How many committed events a slow subscriber may fall behind before it re-reads them from the store.
const BROADCAST_CAPACITY: usize = 4096;

/// A source of transaction time.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The event store kept in a sled database in one directory.
///
/// Cheap to clone: clones share the database. One process at a time may open a directory.
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    /// sled's log file, opened again to fdatasync it: sled's own flush only calls sync_file_range.
    log_file: File,
    /// The durable head, the end of what readers see.
    head: RwLock<Head>,
    /// Held while a write checks and applies its events: one writer at a time.
    writer: Mutex<()>,
    /// What is durable, and the committed events not yet broadcast.
    sync: Mutex<SyncState>,
    /// Signalled when a flush and fsync ends.
    synced: Condvar,
    /// Set when a commit could not be made durable: the store refuses writes from then on.
    failed: std::sync::OnceLock<String>,
    tx: broadcast::Sender<Arc<RecordedEvent>>,
    clock: Clock,
}

/// How many events a write applies to sled at a time: it holds no more than this many in memory.
pub const CHUNK_EVENTS: usize = 8192;

/// How many positions [`SledStore::map_ahead`] deals to a worker at a time.
const AHEAD_EVENTS: usize = 1024;

/// The durability of the log, shared by the writers waiting for it.
struct SyncState {
    /// The head of everything committed to sled: durable, or waiting for a flush and fsync. Kept here, not under
    /// the writer's mutex, so that a writer waiting for durability never waits for a long write in progress.
    applied: Head,
    /// The last durable position (the published head's).
    durable: u64,
    /// Whether a flush and fsync is under way.
    syncing: bool,
    /// How many flushes and fsyncs made commits durable since the store was opened.
    syncs: u64,
    /// Committed events waiting for durability before they are broadcast, in position order.
    unsent: VecDeque<Arc<RecordedEvent>>,
}

/// The part of a write not yet applied to sled.
#[derive(Default)]
struct Chunk {
    batch: sled::Batch,
    records: Vec<RecordedEvent>,
    ids: HashMap<EventId, usize>,
}

/// Where an id was seen before: in the chunk being built, or in sled (its line).
enum Seen {
    Record(usize),
    Stored(Option<sled::IVec>),
}

/// Keeps the last [`BROADCAST_CAPACITY`] of a write's records for the live subscription: a subscriber that misses
/// earlier ones reads them from the store.
fn keep_recent(recent: &mut VecDeque<Arc<RecordedEvent>>, records: Vec<RecordedEvent>) {
    let skip = records.len().saturating_sub(BROADCAST_CAPACITY);
    recent.extend(records.into_iter().skip(skip).map(Arc::new));
    while recent.len() > BROADCAST_CAPACITY {
        recent.pop_front();
    }
}

/// Removes every line past `head`, with the id and stream version entries that point at it, and the marker of
/// an uncommitted write. Returns how many lines it removed.
fn remove_uncommitted(tree: &sled::Tree, head: u64) -> Result<usize, sled::Error> {
    let mut removed = 0;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    for kv in tree.range(keys::line(head + 1)..=keys::line(u64::MAX)) {
        let (k, line) = kv?;
        let position = keys::decode_u64(&k[1..]).unwrap_or(0);
        if let Ok(e) = RecordedEvent::decode(&line) {
            let points_here = |v: Option<sled::IVec>| v.and_then(|v| keys::decode_u64(&v)) == Some(position);
            if points_here(tree.get(keys::id(&e.id))?) {
                batch.remove(&keys::id(&e.id));
            }
            let sv = keys::stream_version(e.stream.as_str(), e.version);
            if points_here(tree.get(&sv)?) {
                batch.remove(sv);
            }
        }
        batch.remove(k);
        removed += 1;
        in_batch += 1;
        if in_batch == CHUNK_EVENTS {
            tree.apply_batch(std::mem::take(&mut batch))?;
            in_batch = 0;
        }
    }
    batch.remove(keys::UNCOMMITTED);
    tree.apply_batch(batch)?;
    Ok(removed)
}

/// One event to write: a new one, or one of an exported log with its line, kept byte for byte.
#[derive(Clone, Debug)]
pub enum Pending {
    /// A new event, to be given its version, position, time and hash.
    New(NewEvent),
    /// An exported event with its exact line, to be written at the position it states.
    Restored(RecordedEvent, Vec<u8>),
}

/// The most errors one refused write reports.
pub const MAX_ERRORS: usize = 1000;

impl Pending {
    /// The event's id.
    pub fn id(&self) -> EventId {
        match self {
            Pending::New(e) => e.id,
            Pending::Restored(e, _) => e.id,
        }
    }
}

/// What an event may refer to, beyond existing.
#[derive(Clone, Copy)]
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
    fn judge(self, from: &StreamId, to: &StreamId, kind: &str) -> Option<String> {
        match self {
            Rule::Any => None,
            Rule::Assessment if kind != "status_assessed" => Some(format!("it names a {kind}, not a status_assessed")),
            Rule::Assessment if to != from => Some(format!("it names an assessment of {to}, not of {from}")),
            Rule::Commitment if kind != "commitment_made" => Some(format!("it names a {kind}, not a commitment_made")),
            Rule::Commitment if to.report() != from.report() => {
                Some(format!("it names a commitment of another report ({to})"))
            }
            Rule::OwnCommitment if kind != "commitment_made" => {
                Some(format!("it names a {kind}, not a commitment_made"))
            }
            Rule::OwnCommitment if to != from && !(from.recommendation().is_none() && to.report() == from.report()) => {
                Some(format!("it names a commitment of {to}; revise it from that stream or from its report's stream"))
            }
            Rule::Retractable if kind == "event_retracted" => {
                Some("a retraction cannot be retracted; record the event again instead".into())
            }
            Rule::Retractable if to != from && !(from.recommendation().is_none() && to.report() == from.report()) => {
                Some(format!("it is on {to}; retract it from that stream or from its report's stream"))
            }
            _ => None,
        }
    }
}

/// The references of a body: the field that holds each, the id, and what it may name.
fn reference_rules(body: &events::Body) -> Vec<(String, EventId, Rule)> {
    use events::Body;
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

/// What a write did: for each pending event its position, and how many it added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The position of each pending event, in order; known events keep their original positions.
    pub positions: Vec<u64>,
    /// How many events were added.
    pub appended: usize,
    /// The version of the expected stream right after this write (`None` when it does not exist, or when the
    /// write expected no stream).
    pub version: Option<u64>,
    /// The log head afterwards.
    pub head: Head,
}

/// Creates a new, empty store at `dir` (absent or an empty directory) all at once: it is made in a temporary
/// directory beside `dir`, synced, and renamed into place, so a process killed while creating leaves either no
/// store or a whole one, never a directory that is neither.
fn create(dir: &Path) -> std::io::Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let tmp = tempfile::Builder::new().prefix(".followup-new-").tempdir_in(&parent)?;
    {
        let db =
            sled::Config::new().path(tmp.path()).segment_size(SEGMENT_SIZE).open().map_err(std::io::Error::other)?;
        let tree = db.open_tree(keys::TREE).map_err(std::io::Error::other)?;
        tree.insert(keys::FORMAT, &keys::FORMAT_VERSION.to_be_bytes()).map_err(std::io::Error::other)?;
        db.flush().map_err(std::io::Error::other)?;
        for name in ["db", "conf"] {
            File::open(tmp.path().join(name))?.sync_all()?;
        }
        File::open(tmp.path())?.sync_all()?;
    }
    let made = tmp.keep();
    if let Err(e) = std::fs::rename(&made, dir) {
        let _ = std::fs::remove_dir_all(&made);
        return Err(e);
    }
    File::open(&parent)?.sync_all()
}

impl SledStore {
    /// Opens the store in `dir`, creating it if absent.
    ///
    /// # Errors
    /// [`OpenError::InUse`] when another process holds it; [`OpenError::Format`] when a newer release wrote it;
    /// storage, IO and damage errors naming the directory.
    pub fn open(dir: &Path) -> Result<SledStore, OpenError> {
        SledStore::open_with_clock(dir, Arc::new(Timestamp::now))
    }

    /// Opens the store in `dir`, which must exist: for commands that only read.
    ///
    /// # Errors
    /// [`OpenError::Missing`] when `dir` holds no store; otherwise as [`SledStore::open`].
    pub fn open_existing(dir: &Path) -> Result<SledStore, OpenError> {
        if !dir.join("conf").is_file() {
            return Err(OpenError::Missing { path: dir.display().to_string() });
        }
        SledStore::open(dir)
    }

    /// Opens the store with a given source of transaction time (for tests and replays).
    ///
    /// # Errors
    /// As [`SledStore::open`].
    pub fn open_with_clock(dir: &Path, clock: Clock) -> Result<SledStore, OpenError> {
        let path = dir.display().to_string();
        let io = |source| OpenError::Io { path: path.clone(), source };
        if !dir.join("conf").is_file() {
            let empty = match std::fs::read_dir(dir) {
                Ok(mut entries) => entries.next().is_none(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
                Err(e) => return Err(io(e)),
            };
            if !empty {
                return Err(OpenError::NotAStore { path });
            }
            create(dir).map_err(io)?;
        }
        // Another process may hold the store, or this one's last handle may still be closing (sled's IO
        // threads let go of the file a moment after the last handle is dropped): try for up to a second.
        let deadline = std::time::Instant::now() + OPEN_PATIENCE;
        let db = loop {
            match sled::Config::new().path(dir).segment_size(SEGMENT_SIZE).cache_capacity(CACHE_BYTES).open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                    if std::time::Instant::now() >= deadline {
                        return Err(OpenError::InUse { path });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(source) => return Err(OpenError::Storage { path, source }),
            }
        };
        let storage = |source| OpenError::Storage { path: path.clone(), source };
        let tree = db.open_tree(keys::TREE).map_err(storage)?;
        match tree.get(keys::FORMAT).map_err(storage)? {
            None => {
                tree.insert(keys::FORMAT, &keys::FORMAT_VERSION.to_be_bytes()).map_err(storage)?;
            }
            Some(v) => {
                let found = v.as_ref().try_into().map(u32::from_be_bytes).unwrap_or(u32::MAX);
                if found != keys::FORMAT_VERSION {
                    return Err(OpenError::Format { path, found, supported: keys::FORMAT_VERSION });
                }
            }
        }
        let head = match tree.get(keys::HEAD).map_err(storage)? {
            None => Head { position: 0, hash: Hash::ZERO, recorded_at: None },
            Some(v) => {
                let (position, hash, ns) = keys::decode_head(&v).ok_or_else(|| OpenError::Corrupt {
                    path: path.clone(),
                    reason: "the head record is damaged".into(),
                })?;
                let recorded_at = Timestamp::from_nanosecond(ns).ok();
                Head { position, hash, recorded_at }
            }
        };
        // A write killed before its final batch left chunks past the head, and its marker: remove them.
        if tree.contains_key(keys::UNCOMMITTED).map_err(storage)? {
            let removed = remove_uncommitted(&tree, head.position).map_err(storage)?;
            tracing::info!(removed, "removed the events of a write that did not complete");
        }
        let log_file = File::open(dir.join("db")).map_err(io)?;
        db.flush().map_err(storage)?;
        log_file.sync_data().map_err(io)?;
        // A new store's files and their directory entries must survive a power loss too.
        File::open(dir.join("conf")).and_then(|f| f.sync_all()).map_err(io)?;
        File::open(dir).and_then(|f| f.sync_all()).map_err(io)?;
        tracing::debug!(path = %dir.display(), head = head.position, "store opened");
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let inner = Inner {
            path: dir.to_owned(),
            db,
            tree,
            log_file,
            head: RwLock::new(head),
            writer: Mutex::new(()),
            sync: Mutex::new(SyncState {
                applied: head,
                durable: head.position,
                syncing: false,
                syncs: 0,
                unsent: VecDeque::new(),
            }),
            synced: Condvar::new(),
            failed: Default::default(),
            tx,
            clock,
        };
        Ok(SledStore { inner: Arc::new(inner) })
    }

    /// How many flushes and fsyncs have made commits durable since the store was opened: fewer than the
    /// commits when concurrent writers shared them.
    pub fn syncs(&self) -> u64 {
        self.inner.sync.lock().unwrap_or_else(|e| e.into_inner()).syncs
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The end of the log.
    pub fn head(&self) -> Head {
        *self.inner.head.read().unwrap_or_else(|e| e.into_inner())
    }

    fn position_of(&self, id: &EventId) -> Result<Option<u64>, sled::Error> {
        Ok(self.inner.tree.get(keys::id(id))?.and_then(|v| keys::decode_u64(&v)))
    }

    fn version_of(&self, stream: &str) -> Result<Option<u64>, sled::Error> {
        Ok(self.inner.tree.get(keys::stream_head(stream))?.and_then(|v| keys::decode_u64(&v)))
    }

    /// The stored line at `position`, as written.
    ///
    /// # Errors
    /// Storage failure.
    pub fn line(&self, position: u64) -> Result<Option<sled::IVec>, ReadError> {
        if position > self.head().position {
            return Ok(None);
        }
        self.raw_line(position)
    }

    /// The line at `position` even if its commit is still being made durable (for the writer only).
    fn raw_line(&self, position: u64) -> Result<Option<sled::IVec>, ReadError> {
        Ok(self.inner.tree.get(keys::line(position))?)
    }

    /// The event at `position`.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    pub fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        match self.line(position)? {
            None => Ok(None),
            Some(line) => decode_at(position, &line).map(Some),
        }
    }

    /// Checks the index entries of one stored event: its id and its stream version must point at its position.
    /// Returns what is wrong, if anything.
    ///
    /// # Errors
    /// Storage failure.
    pub fn index_entry_problem(&self, e: &RecordedEvent) -> Result<Option<String>, ReadError> {
        let tree = &self.inner.tree;
        let at = |v: Option<sled::IVec>| v.and_then(|v| keys::decode_u64(&v));
        if at(tree.get(keys::id(&e.id))?) != Some(e.position) {
            return Ok(Some(format!("the id index does not point event {} at position {}", e.id, e.position)));
        }
        if at(tree.get(keys::stream_version(e.stream.as_str(), e.version))?) != Some(e.position) {
            return Ok(Some(format!(
                "the index of {} version {} does not point at position {}",
                e.stream, e.version, e.position
            )));
        }
        Ok(None)
    }

    /// Checks what the indexes hold beyond the events, once every event's entries are checked: no line past the
    /// head, and every stream's recorded version the last of `versions` (each stream's last version in the log).
    /// Returns the position after the head and what is wrong, if anything.
    ///
    /// # Errors
    /// Storage failure.
    pub fn index_tail_problem(&self, versions: &HashMap<StreamId, u64>) -> Result<Option<(u64, String)>, ReadError> {
        let tree = &self.inner.tree;
        let head = self.head().position;
        if let Some(kv) = tree.scan_prefix(b"L").next_back() {
            let (k, _) = kv?;
            let last = keys::decode_u64(&k[1..]).unwrap_or(0);
            if last > head {
                return Ok(Some((
                    head + 1,
                    format!("the store holds a line at position {last}, past its head at {head}"),
                )));
            }
        }
        let mut recorded = 0;
        for kv in tree.scan_prefix(b"V") {
            let (k, v) = kv?;
            recorded += 1;
            let stream = String::from_utf8_lossy(&k[1..]).into_owned();
            let written = keys::decode_u64(&v);
            let actual = StreamId::parse(&stream).ok().and_then(|s| versions.get(&s).copied());
            if written != actual {
                return Ok(Some((
                    head + 1,
                    format!("stream {stream} is recorded at version {written:?}, its log ends at {actual:?}"),
                )));
            }
        }
        if versions.len() != recorded {
            return Ok(Some((head + 1, "a stream of the log has no recorded version".into())));
        }
        Ok(None)
    }

    /// The stored lines from `from` up to the head as it is now, in position order, as written.
    pub fn lines(&self, from: u64) -> impl Iterator<Item = Result<(u64, sled::IVec), ReadError>> + '_ {
        let end = self.head().position;
        self.inner.tree.range(keys::line(from.max(1))..=keys::line(end)).map(|kv| {
            let (k, v) = kv?;
            let position = keys::decode_u64(&k[1..]).unwrap_or(0);
            Ok((position, v))
        })
    }

    /// The events from `from` up to the head as it is now, decoded, in position order.
    pub fn events(&self, from: u64) -> impl Iterator<Item = Result<RecordedEvent, ReadError>> + '_ {
        self.lines(from).map(|r| r.and_then(|(p, line)| decode_at(p, &line)))
    }

    /// As [`SledStore::events`], with the reading and decoding done ahead on worker threads while the caller
    /// folds: for replays of the whole log. See [`SledStore::map_ahead`].
    pub fn events_ahead(&self, from: u64) -> impl Iterator<Item = Result<RecordedEvent, ReadError>> {
        self.map_ahead(from, decode_at)
    }

    /// Applies `f` to every stored line (its position and bytes) from `from` up to the head as it is now, on
    /// worker threads (one per core, at most four), and yields the results in position order.
    ///
    /// The log is cut into runs of [`AHEAD_EVENTS`] positions dealt to the workers in turn; each worker keeps at
    /// most two runs ahead, so memory stays bounded whatever the log's size. Dropping the iterator stops the
    /// workers.
    pub fn map_ahead<T, F>(&self, from: u64, f: F) -> impl Iterator<Item = Result<T, ReadError>>
    where
        T: Send + 'static,
        F: Fn(u64, &[u8]) -> Result<T, ReadError> + Send + Sync + 'static,
    {
        let from = from.max(1);
        let end = self.head().position;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        let f = Arc::new(f);
        let receivers: Vec<_> = (0..workers)
            .map(|w| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Result<T, ReadError>>>(2);
                let (tree, f) = (self.inner.tree.clone(), Arc::clone(&f));
                std::thread::spawn(move || {
                    let mut start = from + (w * AHEAD_EVENTS) as u64;
                    while start <= end {
                        let last = end.min(start + AHEAD_EVENTS as u64 - 1);
                        let mut run = Vec::with_capacity(AHEAD_EVENTS);
                        for kv in tree.range(keys::line(start)..=keys::line(last)) {
                            let item = kv
                                .map_err(ReadError::from)
                                .and_then(|(k, line)| f(keys::decode_u64(&k[1..]).unwrap_or(0), &line));
                            let stop = item.is_err();
                            run.push(item);
                            if stop {
                                break;
                            }
                        }
                        if tx.send(run).is_err() {
                            return;
                        }
                        start += (workers * AHEAD_EVENTS) as u64;
                    }
                });
                rx
            })
            .collect();
        let mut turn = 0;
        let mut stopped = false;
        std::iter::from_fn(move || {
            if stopped {
                return None;
            }
            let run = receivers[turn % receivers.len()].recv().ok()?;
            turn += 1;
            if run.last().is_some_and(|r| r.is_err()) {
                stopped = true;
            }
            Some(run)
        })
        .flatten()
    }

    /// Writes `items` in one atomic, durable commit: new events get the next versions and positions; exported
    /// events must continue the log exactly where it ends. With `expect`, every new event must belong to that
    /// stream and the stream's version must meet the expectation (unless every event is a resend).
    /// `recorded_by` is used for new events that do not name their recorder.
    ///
    /// # Errors
    /// Every offending item (up to [`MAX_ERRORS`]) with its index and why, in item order; nothing is written.
    pub fn write(
        &self,
        items: Vec<Pending>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Vec<(usize, AppendError)>> {
        self.write_iter(items.into_iter().map(Some), expect, recorded_by)
    }

    /// As [`SledStore::write`], reading the items as it goes, so that a commit of any size takes bounded memory.
    ///
    /// An item `None` stands for one the caller could not read (a bad line of a file): it is counted in the
    /// indexes of errors, and the write goes on checking the other items but commits nothing.
    ///
    /// Events are written in chunks of [`CHUNK_EVENTS`] past the head, where no reader looks, and a marker
    /// records the uncommitted range; the final batch moves the head and removes the marker, then one flush and
    /// fsync makes the whole commit durable. A refused write removes its chunks; a process killed before the
    /// final batch leaves the marker, and the next open removes the chunks (see [`SledStore::open`]).
    ///
    /// # Errors
    /// Every offending item (up to [`MAX_ERRORS`]) with its index and why, in item order; an empty list when only
    /// `None` items refused it. Nothing is written.
    pub fn write_iter(
        &self,
        items: impl IntoIterator<Item = Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Vec<(usize, AppendError)>> {
        let inner = &*self.inner;
        let writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(reason) = inner.failed.get() {
            return Err(vec![(0, AppendError::Failed(reason.clone()))]);
        }
        let one = |i: usize, e: AppendError| vec![(i, e)];
        let storage = |i: usize| move |e: sled::Error| vec![(i, AppendError::Storage(e))];
        if let Err(error) = events::check_recorder(recorded_by) {
            return Err(one(0, AppendError::Invalid { event: EventId::from_uuid(uuid::Uuid::nil()), error }));
        }
        let start = inner.sync.lock().unwrap_or_else(|e| e.into_inner()).applied;
        let now = (inner.clock)().round(jiff::Unit::Microsecond).unwrap_or_else(|_| (inner.clock)());
        let now = match start.recorded_at {
            Some(last) if last > now => last,
            _ => now,
        };
        let mut chunk = Chunk::default();
        let mut versions: HashMap<StreamId, u64> = HashMap::new();
        let mut errors: Vec<(usize, AppendError)> = Vec::new();
        let mut skipped = false;
        let mut expectation_met = false;
        let mut positions = Vec::new();
        let mut recent: VecDeque<Arc<RecordedEvent>> = VecDeque::new();
        let (mut next, mut prev, mut last_at) = (start.position + 1, start.hash, start.recorded_at);
        let mut in_progress = false;

        for (i, item) in items.into_iter().enumerate() {
            let Some(item) = item else {
                skipped = true;
                continue;
            };
            if errors.len() >= MAX_ERRORS {
                continue;
            }
            let id = item.id();
            // An event seen before, in this write or the log, with the same content is a resend: it keeps its
            // position and is not written again.
            let seen = match chunk.ids.get(&id) {
                Some(&j) => Some((chunk.records[j].position, Seen::Record(j))),
                None => match self.position_of(&id).map_err(storage(i))? {
                    Some(p) => Some((p, Seen::Stored(self.raw_line(p).map_err(|e| one(i, read_to_append(e)))?))),
                    None => None,
                },
            };
            if let Some((p, seen)) = seen {
                let equal = match (&item, seen) {
                    (Pending::Restored(e, line), Seen::Stored(stored)) => {
                        p == e.position && stored.as_deref() == Some(line.as_slice())
                    }
                    (Pending::Restored(..), Seen::Record(_)) => false,
                    (Pending::New(e), Seen::Record(j)) => chunk.records[j].same_content(e),
                    (Pending::New(e), Seen::Stored(stored)) => decode_at(p, &stored.unwrap_or_default())
                        .map_err(|e| one(i, read_to_append(e)))?
                        .same_content(e),
                };
                if !equal {
                    errors.push((i, AppendError::IdConflict(id)));
                }
                positions.push(p);
                continue;
            }
            if let Some((stream, expected)) = expect {
                if !expectation_met {
                    let version = self.version_of(stream.as_str()).map_err(storage(i))?;
                    if !expected.admits(version) {
                        // Checked at the first new event, before any chunk is applied: nothing to remove.
                        return Err(one(
                            0,
                            AppendError::WrongExpectedVersion { stream: stream.clone(), expected, actual: version },
                        ));
                    }
                    expectation_met = true;
                }
            }
            let (stream, body) = match &item {
                Pending::New(e) => (&e.stream, &e.body),
                Pending::Restored(e, _) => (&e.stream, &e.body),
            };
            if let Some((s, _)) = expect {
                if s != stream {
                    let error =
                        events::LineError::field("stream", format!("is `{stream}`, but this append is to `{s}`"));
                    errors.push((i, AppendError::Invalid { event: id, error }));
                    continue;
                }
            }
            if let Some(problem) = self.reference_problem(&chunk, id, stream, body).map_err(|e| one(i, e))? {
                errors.push((i, problem));
                continue;
            }
            let current = match versions.get(stream) {
                Some(v) => Some(*v),
                None => self.version_of(stream.as_str()).map_err(storage(i))?,
            };
            let version = current.unwrap_or(0) + 1;
            let (record, line) = match item {
                Pending::New(e) => {
                    if let Err(error) = e.validate() {
                        errors.push((i, AppendError::Invalid { event: id, error }));
                        continue;
                    }
                    let by = e.recorded_by.clone().unwrap_or_else(|| recorded_by.to_owned());
                    RecordedEvent::seal(e, version, next, now, by, prev)
                }
                Pending::Restored(e, line) => {
                    let reason = if e.position != next {
                        Some(format!("the store's next position is {next}"))
                    } else if e.prev_hash != prev {
                        Some(format!("its prev_hash is {}, the store's head hash is {prev}", e.prev_hash))
                    } else if e.version != version {
                        Some(format!("its version is {}, stream {} is at {}", e.version, e.stream, version - 1))
                    } else if last_at.is_some_and(|t| e.recorded_at < t) {
                        Some("it was recorded before the event preceding it".into())
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        // Every later exported line would be out of place too: report this one only.
                        errors.push((i, AppendError::Discontinuous { position: e.position, reason }));
                        break;
                    }
                    (e, line)
                }
            };
            if line.len() > events::MAX_STORED_LINE_BYTES {
                let error = events::LineError::line(format!(
                    "the stored event would be {} bytes; the limit is {}",
                    line.len(),
                    events::MAX_STORED_LINE_BYTES
                ));
                errors.push((i, AppendError::Invalid { event: id, error }));
                continue;
            }
            chunk.batch.insert(&keys::line(next), line);
            chunk.batch.insert(keys::stream_version(record.stream.as_str(), version), &next.to_be_bytes());
            chunk.batch.insert(&keys::id(&id), &next.to_be_bytes());
            versions.insert(record.stream.clone(), version);
            chunk.ids.insert(id, chunk.records.len());
            positions.push(next);
            prev = record.hash;
            last_at = Some(record.recorded_at);
            next += 1;
            chunk.records.push(record);
            if chunk.records.len() >= CHUNK_EVENTS {
                // Past the head, marked as uncommitted: invisible to readers, removed if this write fails.
                if !in_progress {
                    chunk.batch.insert(keys::UNCOMMITTED, &(start.position + 1).to_be_bytes());
                    in_progress = true;
                }
                let full = std::mem::take(&mut chunk);
                if let Err(e) = inner.tree.apply_batch(full.batch) {
                    self.discard(start.position);
                    return Err(storage(i)(e));
                }
                keep_recent(&mut recent, full.records);
            }
        }
        if !errors.is_empty() || skipped {
            if in_progress {
                self.discard(start.position);
            }
            errors.sort_by_key(|(i, _)| *i);
            return Err(errors);
        }
        let version = match expect {
            Some((stream, expected)) => {
                let version = match versions.get(stream) {
                    Some(v) => Some(*v),
                    None => self.version_of(stream.as_str()).map_err(storage(0))?,
                };
                if positions.is_empty() && !expected.admits(version) {
                    return Err(one(
                        0,
                        AppendError::WrongExpectedVersion { stream: stream.clone(), expected, actual: version },
                    ));
                }
                version
            }
            None => None,
        };
        if next == start.position + 1 {
            // Nothing new: the events named are stored, though perhaps not yet durable.
            drop(writer);
            let last = positions.iter().copied().max().unwrap_or(0);
            self.wait_durable(last).map_err(|e| one(0, e))?;
            return Ok(Written { positions, appended: 0, version, head: self.head() });
        }
        let Chunk { mut batch, records, .. } = chunk;
        keep_recent(&mut recent, records);
        for (stream, version) in &versions {
            batch.insert(keys::stream_head(stream.as_str()), &version.to_be_bytes());
        }
        let new_head = Head { position: next - 1, hash: prev, recorded_at: last_at };
        let ns = last_at.map_or(0, |t| t.as_nanosecond());
        batch.insert(keys::HEAD, &keys::encode_head(new_head.position, &new_head.hash, ns)[..]);
        if in_progress {
            batch.remove(keys::UNCOMMITTED);
        }
        let last = positions.len().saturating_sub(1);
        if let Err(e) = inner.tree.apply_batch(batch) {
            if in_progress {
                self.discard(start.position);
            }
            return Err(storage(last)(e));
        }
        {
            let mut sync = inner.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.applied = new_head;
            sync.unsent.extend(recent);
        }
        drop(writer);
        // Other writers may commit while this one waits: one flush and fsync makes all of them durable.
        self.wait_durable(new_head.position).map_err(|e| one(last, e))?;
        let appended = (new_head.position - start.position) as usize;
        tracing::debug!(appended, head = new_head.position, "commit durable");
        Ok(Written { positions, appended, version, head: new_head })
    }

    /// Why `body`'s references may not stand, if they may not: each must name an event in the log or earlier in
    /// this write, of the kind and place its field requires.
    fn reference_problem(
        &self,
        chunk: &Chunk,
        id: EventId,
        stream: &StreamId,
        body: &events::Body,
    ) -> Result<Option<AppendError>, AppendError> {
        for (field, reference, rule) in reference_rules(body) {
            let target = match chunk.ids.get(&reference) {
                Some(&j) => Some((chunk.records[j].stream.clone(), chunk.records[j].body.type_name())),
                None => match self.position_of(&reference)? {
                    Some(p) => {
                        let line = self.raw_line(p).map_err(read_to_append)?.unwrap_or_default();
                        let e = decode_at(p, &line).map_err(read_to_append)?;
                        Some((e.stream, e.body.type_name()))
                    }
                    None => None,
                },
            };
            let problem = match target {
                None => Some(AppendError::UnknownReference { event: id, reference, field }),
                Some((target_stream, kind)) => rule
                    .judge(stream, &target_stream, kind)
                    .map(|reason| AppendError::WrongReference { event: id, reference, field, reason }),
            };
            if problem.is_some() {
                return Ok(problem);
            }
        }
        Ok(None)
    }

    /// Removes the chunks a refused write applied past `head` (the caller holds the writer's mutex). If that
    /// fails, the store takes no more writes: the next open removes them.
    fn discard(&self, head: u64) {
        if let Err(e) = remove_uncommitted(&self.inner.tree, head) {
            let _ = self.inner.failed.set(format!("could not remove a refused write: {e}"));
        }
    }

    /// Waits until the log is durable up to `position`, making it so if no other writer is: whoever finds no
    /// flush under way flushes and fsyncs everything applied so far, and publishes the new head, for all the
    /// writers waiting (group commit).
    fn wait_durable(&self, position: u64) -> Result<(), AppendError> {
        let inner = &*self.inner;
        let mut sync = inner.sync.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if sync.durable >= position {
                return Ok(());
            }
            if let Some(reason) = inner.failed.get() {
                return Err(AppendError::Failed(reason.clone()));
            }
            if sync.syncing {
                sync = inner.synced.wait(sync).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            sync.syncing = true;
            let target = sync.applied;
            drop(sync);
            // Once applied, a batch is in sled's memory; if it cannot be made durable, whether it survives is
            // unknown, so the store takes no more writes until it is reopened and its log read back.
            let durable = inner
                .db
                .flush()
                .map(|_| ())
                .map_err(AppendError::Storage)
                .and_then(|()| inner.log_file.sync_data().map_err(AppendError::Io));
            sync = inner.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.syncing = false;
            match durable {
                Ok(()) => {
                    sync.durable = target.position;
                    sync.syncs += 1;
                    *inner.head.write().unwrap_or_else(|e| e.into_inner()) = target;
                    while sync.unsent.front().is_some_and(|e| e.position <= target.position) {
                        if let Some(e) = sync.unsent.pop_front() {
                            let _ = inner.tx.send(e);
                        }
                    }
                    inner.synced.notify_all();
                }
                Err(e) => {
                    let _ = inner.failed.set(e.to_string());
                    inner.synced.notify_all();
                    return Err(e);
                }
            }
        }
    }

    pub(crate) fn sender(&self) -> &broadcast::Sender<Arc<RecordedEvent>> {
        &self.inner.tx
    }

    /// The positions of `stream`'s versions from `from` on, up to the published head: a commit still being made
    /// durable is not visible. `None` when the stream has no durable event.
    fn stream_positions(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<u64>>, ReadError> {
        let end = self.head().position;
        let prefix = keys::stream_prefix(stream.as_str());
        let mut exists = false;
        let mut out = Vec::new();
        for kv in self.inner.tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let position = keys::decode_u64(&v).unwrap_or(u64::MAX);
            if position > end {
                break;
            }
            exists = true;
            if keys::decode_u64(&k[prefix.len()..]).unwrap_or(0) >= from {
                out.push(position);
            }
        }
        Ok(exists.then_some(out))
    }

    fn read_stream_sync(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        let Some(positions) = self.stream_positions(stream, from.max(1))? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(positions.len());
        for position in positions {
            match self.event(position)? {
                Some(e) => out.push(e),
                None => {
                    return Err(ReadError::Corrupt { position, error: "the stream index names a missing event".into() })
                }
            }
        }
        Ok(Some(out))
    }

    /// The events of report stream `report` and of all its recommendations' streams, in position order: all a
    /// recommendation's timeline and status rest on, read through the stream index without a scan of the log.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    pub fn report_events(&self, report: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        let end = self.head().position;
        let mut positions = Vec::new();
        let own = keys::stream_prefix(report.as_str());
        let mut recommendations = own.clone();
        if let Some(last) = recommendations.last_mut() {
            *last = b'/';
        }
        for prefix in [own, recommendations] {
            for kv in self.inner.tree.scan_prefix(&prefix) {
                let (_, v) = kv?;
                match keys::decode_u64(&v) {
                    Some(p) if p <= end => positions.push(p),
                    _ => {}
                }
            }
        }
        positions.sort_unstable();
        positions
            .into_iter()
            .map(|position| {
                self.event(position)?
                    .ok_or(ReadError::Corrupt { position, error: "the stream index names a missing event".into() })
            })
            .collect()
    }

    /// The stream's durable version: that of its last event at or before the published head.
    fn durable_version(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        let end = self.head().position;
        let prefix = keys::stream_prefix(stream.as_str());
        for kv in self.inner.tree.scan_prefix(&prefix).rev() {
            let (k, v) = kv?;
            if keys::decode_u64(&v).is_some_and(|p| p <= end) {
                return Ok(keys::decode_u64(&k[prefix.len()..]));
            }
        }
        Ok(None)
    }
}

fn read_to_append(e: ReadError) -> AppendError {
    match e {
        ReadError::Storage(s) => AppendError::Storage(s),
        other => AppendError::Writer(other.to_string()),
    }
}

fn decode_at(position: u64, line: &[u8]) -> Result<RecordedEvent, ReadError> {
    RecordedEvent::decode(line).map_err(|e| ReadError::Corrupt { position, error: e.to_string() })
}

#[async_trait::async_trait]
impl EventStore for SledStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, AppendError> {
        let store = self.clone();
        let stream = stream.clone();
        let by = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        tokio::task::spawn_blocking(move || {
            let items = events.into_iter().map(Pending::New).collect();
            let written = store.write(items, Some((&stream, expected)), &by).map_err(|errors| {
                errors.into_iter().next().map(|(_, e)| e).unwrap_or(AppendError::Writer("no error".into()))
            })?;
            let Written { positions, appended, version, head } = written;
            Ok(AppendOutcome { positions, appended, version, head })
        })
        .await
        .map_err(|e| AppendError::Writer(e.to_string()))?
    }

    async fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        self.read_stream_sync(stream, from)
    }

    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        self.events(from).take(limit).collect()
    }

    async fn stream_head(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        self.durable_version(stream)
    }

    fn head(&self) -> Head {
        SledStore::head(self)
    }

    fn subscribe(&self, from: u64) -> Subscription {
        Subscription::new(self.clone(), from)
    }
}
