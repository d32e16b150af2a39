//! The store API: an append-only log of sealed event lines, per-stream versions, global positions and a live
//! subscription, the same for every backend.
//!
//! [`EventStore`] is what every caller uses; it names no storage engine. Every write goes through one commit
//! planner ([`planner`]), which decides resends, expected versions, references, versions, positions and seals
//! over a read-only [`LogView`] that each backend provides under its own serialisation point; a backend only
//! applies what the planner decided. Backends: [`MemoryStore`] (tests) and [`SledStore`] (the embedded
//! default). Errors carry an [`ErrorKind`], mapped once to exit codes (and to HTTP status codes by a server).

mod ahead;
mod memory;
pub mod planner;
mod postgres;
mod sled_backend;
mod subscription;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use events::{EventId, Hash, NewEvent, RecordedEvent, StreamId, Timestamp};

pub use memory::MemoryStore;
pub use planner::{Pending, CHUNK_EVENTS, MAX_ERRORS};
pub use postgres::{database_place, is_database_url, PgStore};
pub use sled_backend::SledStore;
pub use subscription::Subscription;

use crate::chain::ChainReport;

/// A source of transaction time for a store: the UTC instant a commit is recorded at.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What kind of failure an error is: the one classification that exit codes and HTTP status codes map from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request contradicts the log as it is: a wrong expected version, an id with other content, an export
    /// that does not continue the log.
    Conflict,
    /// The request itself is wrong: an invalid event, an unknown reference, a bad argument.
    Invalid,
    /// What was asked for does not exist: no store, no stream, no report.
    NotFound,
    /// The store cannot serve now but may later: held by another process, a disk full, a failed sync.
    Unavailable,
    /// Stored data is damaged: a line that does not decode, a broken chain, an index that disagrees.
    Integrity,
    /// Anything else: a bug or an unexpected failure of the machine.
    Internal,
}

impl ErrorKind {
    /// The kind's name in snake case (`conflict`, `not_found`, ...).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Conflict => "conflict",
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Integrity => "integrity",
            ErrorKind::Internal => "internal",
        }
    }
}

/// A failure of the storage engine underneath a backend, told in its own words and classified.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    message: String,
    kind: ErrorKind,
}

impl BackendError {
    /// A failure described by `message`, of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> BackendError {
        BackendError { message: message.into(), kind }
    }

    /// The failure's kind: [`ErrorKind::Unavailable`] for a full disk or an IO failure that may pass,
    /// [`ErrorKind::Integrity`] for damaged data, [`ErrorKind::Internal`] otherwise.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl From<std::io::Error> for BackendError {
    fn from(e: std::io::Error) -> BackendError {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => BackendError::new(
                ErrorKind::Unavailable,
                "the disk is full: free some space there and try again; no acknowledged event is lost",
            ),
            _ => BackendError::new(io_kind(&e), e.to_string()),
        }
    }
}

/// The kind of an IO failure: [`ErrorKind::Unavailable`] for one that may pass (a full disk or quota, a busy
/// or interrupted device, a time-out), [`ErrorKind::Internal`] otherwise (permissions, a missing file).
pub fn io_kind(e: &std::io::Error) -> ErrorKind {
    use std::io::ErrorKind as Io;
    match e.kind() {
        Io::StorageFull | Io::QuotaExceeded | Io::ResourceBusy | Io::TimedOut | Io::Interrupted | Io::WouldBlock => {
            ErrorKind::Unavailable
        }
        _ => ErrorKind::Internal,
    }
}

/// What the appender expects a stream's version to be before its events are appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version.
    Any,
    /// The stream must not exist yet (version 0); written `no-stream` or `0`.
    NoStream,
    /// The stream must be at exactly this version; `Exact(0)` is the same as `NoStream`.
    Exact(u64),
}

impl ExpectedVersion {
    /// Parses `any`, `no-stream`, `0` (the same as `no-stream`) or a version number.
    ///
    /// # Errors
    /// A message naming the text when it is none of these.
    pub fn parse(text: &str) -> Result<ExpectedVersion, String> {
        match text {
            "any" => Ok(ExpectedVersion::Any),
            "no-stream" | "0" => Ok(ExpectedVersion::NoStream),
            n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n
                .parse::<u64>()
                .map(ExpectedVersion::Exact)
                .map_err(|_| format!("`{text}` is not an expected version (a number, `any` or `no-stream`)")),
            _ => Err(format!("`{text}` is not an expected version (a number, `any` or `no-stream`)")),
        }
    }

    /// Whether a stream at `actual` (`None`: absent) meets the expectation.
    pub fn admits(&self, actual: Option<u64>) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => actual.is_none(),
            ExpectedVersion::Exact(n) => actual == Some(*n),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any"),
            ExpectedVersion::NoStream => f.write_str("no-stream"),
            ExpectedVersion::Exact(n) => write!(f, "{n}"),
        }
    }
}

impl std::str::FromStr for ExpectedVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExpectedVersion::parse(s)
    }
}

/// The end of the log: the last position and its hash (0 and [`Hash::ZERO`] for an empty store).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The last position, 0 when the log is empty.
    pub position: u64,
    /// The hash of the event at that position.
    pub hash: Hash,
    /// When the last event was recorded (UTC), if any.
    pub recorded_at: Option<Timestamp>,
}

impl Head {
    /// The head of an empty log.
    pub const EMPTY: Head = Head { position: 0, hash: Hash::ZERO, recorded_at: None };
}

/// The result of an append: where each event of the batch stands, in batch order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    /// For each event of the batch, its position; events already stored with the same content keep their original one.
    pub positions: Vec<u64>,
    /// How many events this append added (0 for an empty batch or a resent one).
    pub appended: usize,
    /// The stream's version after the append (`None` if it still does not exist).
    pub version: Option<u64>,
    /// The log head after the append.
    pub head: Head,
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

/// Every item a write refused, with its index among the items (from 0), in item order; empty when only items
/// the caller could not read (`None`) refused it.
pub type Refusals = Vec<(usize, AppendError)>;

/// Why an append, import or restore wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The stream's version is not the one expected.
    #[error("stream {stream} is at {}, expected {expected}", actual.map_or("no version (it does not exist)".to_owned(), |v| format!("version {v}")))]
    WrongExpectedVersion {
        /// The stream.
        stream: StreamId,
        /// What the appender expected.
        expected: ExpectedVersion,
        /// The stream's actual version, `None` when absent.
        actual: Option<u64>,
    },
    /// An event with this id is stored (or earlier in the batch) with different content.
    #[error("event {0} exists with different content")]
    IdConflict(EventId),
    /// The event refers to an event that is neither stored nor earlier in the batch.
    #[error("field `{field}`: event {reference} is not in the store")]
    UnknownReference {
        /// The referring event.
        event: EventId,
        /// The missing id.
        reference: EventId,
        /// The field holding the reference, such as `data.evidence[1]`.
        field: String,
    },
    /// The event refers to an event of the wrong kind or place.
    #[error("field `{field}`: event {reference} cannot be named here: {reason}")]
    WrongReference {
        /// The referring event.
        event: EventId,
        /// The id named.
        reference: EventId,
        /// The field holding the reference.
        field: String,
        /// Why it cannot be named.
        reason: String,
    },
    /// An event of an exported log does not continue the store's log where it ends.
    #[error("exported event at position {position} does not continue this store: {reason}")]
    Discontinuous {
        /// The position the exported line states.
        position: u64,
        /// What does not fit.
        reason: String,
    },
    /// An event breaks a rule of the schema.
    #[error("{error}")]
    Invalid {
        /// The event.
        event: EventId,
        /// The rule broken.
        error: events::LineError,
    },
    /// The storage engine failed.
    #[error("storage failed: {0}")]
    Storage(#[from] BackendError),
    /// A stored event the write had to read is damaged.
    #[error("{0}")]
    Read(#[source] Box<ReadError>),
    /// An earlier commit could not be made durable; the store takes no writes until it is reopened.
    #[error("the store refuses writes since a commit could not be made durable ({0}); reopen it")]
    Failed(String),
}

impl AppendError {
    /// The failure's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppendError::WrongExpectedVersion { .. }
            | AppendError::IdConflict(_)
            | AppendError::Discontinuous { .. } => ErrorKind::Conflict,
            AppendError::UnknownReference { .. } | AppendError::WrongReference { .. } | AppendError::Invalid { .. } => {
                ErrorKind::Invalid
            }
            AppendError::Storage(e) => e.kind(),
            AppendError::Read(e) => e.kind(),
            AppendError::Failed(_) => ErrorKind::Unavailable,
        }
    }
}

impl From<ReadError> for AppendError {
    fn from(e: ReadError) -> AppendError {
        match e {
            ReadError::Storage(s) => AppendError::Storage(s),
            other => AppendError::Read(Box::new(other)),
        }
    }
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The storage engine failed.
    #[error("storage failed: {0}")]
    Storage(#[from] BackendError),
    /// A stored line does not decode: the store is damaged.
    #[error("the event at position {position} is damaged: {error}")]
    Corrupt {
        /// Its position.
        position: u64,
        /// What is wrong.
        error: String,
    },
    /// The store was dropped while a subscription waited.
    #[error("the store was closed")]
    Closed,
}

impl ReadError {
    /// The failure's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ReadError::Storage(e) => e.kind(),
            ReadError::Corrupt { .. } => ErrorKind::Integrity,
            ReadError::Closed => ErrorKind::Unavailable,
        }
    }
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The place holds no store (for commands that only read).
    #[error("no store at {path}: import or record events first, or give the right --store or --database")]
    Missing {
        /// The directory.
        path: String,
    },
    /// The directory holds other files, not a store; nothing was written there.
    #[error("{path} is not a followup store (it holds other files); choose an empty or new directory")]
    NotAStore {
        /// The directory.
        path: String,
    },
    /// Another process (or another handle in this one) holds the store.
    #[error("store in use: {path} is held by another process; try again when it is done")]
    InUse {
        /// The store's directory.
        path: String,
    },
    /// The store was written in a format this release does not read.
    #[error("store {path} has format {found}; this release reads format {supported}")]
    Format {
        /// The store's directory.
        path: String,
        /// The format found.
        found: u32,
        /// The format this release reads.
        supported: u32,
    },
    /// The storage engine could not open the store.
    #[error("could not open store {path}: {source}")]
    Storage {
        /// The store's directory.
        path: String,
        /// Why.
        source: BackendError,
    },
    /// The store's head record is damaged.
    #[error("store {path} is damaged: {reason}")]
    Corrupt {
        /// The store's directory.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl OpenError {
    /// The failure's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            OpenError::Missing { .. } => ErrorKind::NotFound,
            OpenError::NotAStore { .. } | OpenError::Format { .. } => ErrorKind::Invalid,
            OpenError::InUse { .. } => ErrorKind::Unavailable,
            OpenError::Storage { source, .. } => source.kind(),
            OpenError::Corrupt { .. } => ErrorKind::Integrity,
        }
    }
}

/// Events read in position order, one at a time; a backend may read and decode ahead on other threads.
pub type EventIter<'a> = Box<dyn Iterator<Item = Result<RecordedEvent, ReadError>> + Send + 'a>;

/// Stored lines in position order, each with its position, byte for byte as sealed.
pub type LineIter<'a> = Box<dyn Iterator<Item = Result<(u64, Vec<u8>), ReadError>> + Send + 'a>;

/// An append-only, durable event log with per-stream optimistic concurrency: the API every caller uses,
/// whatever the backend.
///
/// Invariants every backend keeps: positions are 1, 2, 3, ... without gaps in commit order; each stream's
/// versions are 1, 2, 3, ... without gaps; an event id is stored at most once; a write is committed whole or not
/// at all; a write returns only once its events are durable, and readers see only durable events; each stored
/// line's `prev_hash` is the previous line's `hash`; `recorded_at` never decreases along positions.
///
/// Every method blocks on the backend's IO: async code calls them from a blocking thread
/// (`tokio::task::spawn_blocking`), never on an async worker. [`Subscription::next`] is async and does so itself.
pub trait EventStore: Send + Sync {
    /// Writes `items` in one atomic, durable commit, through the commit planner: new events get the next versions
    /// and positions; exported events must continue the log exactly where it ends; events whose id is stored with
    /// the same content are resends and keep their positions. With `expect`, every new event must belong to that
    /// stream and the stream's version must meet the expectation (unless every event is a resend; an empty write
    /// is checked against it). `recorded_by` records new events that do not name their recorder.
    ///
    /// Items are read one at a time, so a write of any size takes bounded memory. An item `None` stands for one
    /// the caller could not read (a bad line of a file): the write goes on judging the others but commits nothing.
    ///
    /// # Errors
    /// Every refused item (up to [`MAX_ERRORS`]) with its index, in item order; nothing is written.
    fn write(
        &self,
        items: &mut dyn Iterator<Item = Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals>;

    /// The end of the durable log.
    fn head(&self) -> Head;

    /// The stream's durable version, `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failure.
    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, ReadError>;

    /// The events of `stream` from version `from` (1 for all), in version order; `None` when the stream does not
    /// exist, which is distinct from an existing stream with nothing from `from` on.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError>;

    /// At most `limit` events from position `from` (1 for the start), in position order.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    fn read_range(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        self.events(from).take(limit).collect()
    }

    /// The event at `position`, `None` past the head.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError>;

    /// The position of the durable event with id `id`, if the store holds one: a lookup in the backend's id
    /// index.
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, ReadError>;

    /// The first event of `stream` (its version 1), `None` when the stream does not exist: what a check that a
    /// recommendation was issued or a report published usually needs, without reading the whole stream.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    fn stream_first(&self, stream: &StreamId) -> Result<Option<RecordedEvent>, ReadError> {
        Ok(self.read_stream(stream, 1)?.and_then(|events| events.into_iter().next()))
    }

    /// Every event from `from` up to the head as it is now, in position order, for replays of the log.
    fn events(&self, from: u64) -> EventIter<'_>;

    /// Every stored line from `from` up to the head as it is now, in position order, as sealed (for export).
    fn lines(&self, from: u64) -> LineIter<'_>;

    /// The events of the report `report` names (a report stream, or one of its recommendations': the same
    /// report) and of all its recommendations' streams, in position order: all a recommendation's timeline and
    /// status rest on. Empty when the store holds no event of that report.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    fn report_events(&self, report: &StreamId) -> Result<Vec<RecordedEvent>, ReadError>;

    /// Checks the whole log in one read: the hash chain from position 1, that it ends at the head, and that the
    /// backend's indexes (ids, stream versions) agree with it; hands each sound event, in position order, to
    /// `each`. See [`crate::chain`].
    ///
    /// # Errors
    /// A storage failure while reading.
    fn check_integrity(&self, each: &mut dyn FnMut(&RecordedEvent)) -> Result<ChainReport, ReadError>;

    /// The bytes free for the store where it keeps its data (its disk), when the backend knows; `None` for a
    /// backend that does not keep data on a local disk, or when the system cannot say.
    fn room(&self) -> Option<u64> {
        None
    }

    /// Every event from position `from` on, first those already stored and then each new one as it becomes
    /// durable, each exactly once and in position order. A subscription keeps the store open while it lives.
    fn subscribe(&self, from: u64) -> Subscription;
}

impl<S: EventStore + ?Sized> EventStore for Arc<S> {
    fn write(
        &self,
        items: &mut dyn Iterator<Item = Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals> {
        (**self).write(items, expect, recorded_by)
    }
    fn head(&self) -> Head {
        (**self).head()
    }
    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        (**self).stream_version(stream)
    }
    fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        (**self).read_stream(stream, from)
    }
    fn read_range(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        (**self).read_range(from, limit)
    }
    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        (**self).event(position)
    }
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, ReadError> {
        (**self).position_of(id)
    }
    fn stream_first(&self, stream: &StreamId) -> Result<Option<RecordedEvent>, ReadError> {
        (**self).stream_first(stream)
    }
    fn events(&self, from: u64) -> EventIter<'_> {
        (**self).events(from)
    }
    fn lines(&self, from: u64) -> LineIter<'_> {
        (**self).lines(from)
    }
    fn room(&self) -> Option<u64> {
        (**self).room()
    }
    fn report_events(&self, report: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        (**self).report_events(report)
    }
    fn check_integrity(&self, each: &mut dyn FnMut(&RecordedEvent)) -> Result<ChainReport, ReadError> {
        (**self).check_integrity(each)
    }
    fn subscribe(&self, from: u64) -> Subscription {
        (**self).subscribe(from)
    }
}

/// Appending to one stream, and restoring, on any [`EventStore`].
pub trait EventStoreExt: EventStore {
    /// Appends `events` to `stream` if its version meets `expected`, atomically and durably, and returns where
    /// they stand; see [`EventStore::write`]. Every event must belong to `stream`.
    ///
    /// # Errors
    /// The first refusal: [`AppendError::WrongExpectedVersion`] with the actual version,
    /// [`AppendError::IdConflict`], [`AppendError::UnknownReference`], [`AppendError::Invalid`], storage and
    /// sync failures. Nothing is written.
    fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        recorded_by: &str,
    ) -> Result<AppendOutcome, AppendError> {
        let mut items = events.into_iter().map(|e| Some(Pending::New(e)));
        let Written { positions, appended, version, head } = self
            .write(&mut items, Some((stream, expected)), recorded_by)
            .map_err(|errors| errors.into_iter().next().map(|(_, e)| e).unwrap_or_else(no_error))?;
        Ok(AppendOutcome { positions, appended, version, head })
    }
}

impl<S: EventStore + ?Sized> EventStoreExt for S {}

fn no_error() -> AppendError {
    AppendError::Storage(BackendError::new(ErrorKind::Internal, "a write was refused without a reason"))
}

/// Where a store lives: the one thing a front end chooses about the backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A sled store in this directory.
    Dir(PathBuf),
    /// A store in this process's memory, gone when the last handle is dropped.
    Memory,
    /// A store in the PostgreSQL database this connection string names (a `postgres://` URL), in the
    /// connection's current schema.
    Database(String),
}

/// A store opened for writing, and whether the open created it.
pub struct Opened {
    /// The store.
    pub store: Arc<dyn EventStore>,
    created: Option<Created>,
}

/// What an open created, to be removed again if the first write is refused.
enum Created {
    /// The directory was made, with these parents (the outermost first made), or was empty before.
    Dir { outermost: Option<PathBuf>, dir: PathBuf },
}

impl Location {
    /// What messages call the store: its directory, or its database's name and host (never a password).
    pub fn describe(&self) -> String {
        match self {
            Location::Dir(dir) => dir.display().to_string(),
            Location::Memory => "memory".into(),
            Location::Database(url) => database_place(url),
        }
    }
}

impl Opened {
    /// A store that is already open (a server's), as opened without creating it: a refused import leaves it be.
    pub fn existing(store: Arc<dyn EventStore>) -> Opened {
        Opened { store, created: None }
    }

    /// Whether the open created the store.
    pub fn created(&self) -> bool {
        self.created.is_some()
    }

    /// Closes the store and, if the open created it, removes it again, with the directories the open made, so
    /// that a refused first write leaves no store behind.
    pub fn close_and_remove_if_created(self) {
        let Opened { store, created } = self;
        drop(store);
        match created {
            Some(Created::Dir { outermost: Some(outermost), .. }) => {
                let _ = std::fs::remove_dir_all(outermost);
            }
            Some(Created::Dir { outermost: None, dir }) => {
                // The directory was there, empty but for who may use the store: keep that.
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let name = entry.file_name();
                    if name == "access.json" || name == "access.lock" {
                        continue;
                    }
                    let path = entry.path();
                    let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
                }
            }
            None => {}
        }
    }
}

/// Opens the store at `location` for writing, creating it if absent (a sled directory that is absent or empty).
///
/// # Errors
/// [`OpenError::InUse`] when another process holds it; [`OpenError::NotAStore`] for a directory holding other
/// files; [`OpenError::Format`] for a store of another format; storage and damage errors naming the place.
pub fn open(location: &Location) -> Result<Opened, OpenError> {
    match location {
        Location::Memory => Ok(Opened { store: Arc::new(MemoryStore::new()), created: None }),
        Location::Dir(dir) => {
            let exists = SledStore::exists(dir);
            let outermost =
                dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).last().map(Path::to_path_buf);
            let store = SledStore::open(dir)?;
            let created = (!exists).then(|| Created::Dir { outermost, dir: dir.clone() });
            Ok(Opened { store: Arc::new(store), created })
        }
        // A refused first write leaves the tables it created, empty: other processes may have opened them since.
        Location::Database(url) => Ok(Opened { store: Arc::new(PgStore::open(url, true)?), created: None }),
    }
}

/// Opens an existing store for reading: a read never creates a store.
///
/// # Errors
/// [`OpenError::Missing`] when there is no store there; otherwise as [`open`].
pub fn open_existing(location: &Location) -> Result<Arc<dyn EventStore>, OpenError> {
    match location {
        Location::Memory => Err(OpenError::Missing { path: "memory".into() }),
        Location::Dir(dir) => Ok(Arc::new(SledStore::open_existing(dir)?)),
        Location::Database(url) => Ok(Arc::new(PgStore::open(url, false)?)),
    }
}

/// The last version of each stream, as an integrity check collects them.
pub type StreamVersions = HashMap<StreamId, u64>;
