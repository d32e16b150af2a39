//! The event store: an append-only log of sealed event lines, per-stream versions, global positions, and a live
//! subscription. [`EventStore`] is the interface; [`SledStore`] keeps it in an embedded sled database.

mod keys;
mod sled_store;
mod subscription;

use std::fmt;

use events::{EventId, Hash, NewEvent, RecordedEvent, StreamId, Timestamp};

pub use sled_store::{Pending, SledStore, Written, CHUNK_EVENTS};
pub use subscription::Subscription;

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
    /// When the last event was recorded, if any.
    pub recorded_at: Option<Timestamp>,
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
    /// The database failed.
    #[error("storage failed: {0}")]
    Storage(#[from] sled::Error),
    /// Making the append durable failed.
    #[error("could not sync the store to disk: {0}")]
    Io(#[from] std::io::Error),
    /// The writing task ended abnormally.
    #[error("the writer stopped: {0}")]
    Writer(String),
    /// An earlier commit could not be made durable; the store takes no writes until it is reopened.
    #[error("the store refuses writes since a commit could not be made durable ({0}); reopen it")]
    Failed(String),
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The database failed.
    #[error("storage failed: {0}")]
    Storage(#[from] sled::Error),
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

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The directory holds no store (for commands that only read).
    #[error("no store at {path}: import or record events first, or give the right --store")]
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
    /// The store was written by a newer release.
    #[error("store {path} has format {found}; this release reads format {supported}")]
    Format {
        /// The store's directory.
        path: String,
        /// The format found.
        found: u32,
        /// The format this release reads.
        supported: u32,
    },
    /// The database could not be opened.
    #[error("could not open store {path}: {source}")]
    Storage {
        /// The store's directory.
        path: String,
        /// Why.
        source: sled::Error,
    },
    /// The directory could not be created or synced.
    #[error("could not open store {path}: {source}")]
    Io {
        /// The store's directory.
        path: String,
        /// Why.
        source: std::io::Error,
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

/// An append-only, durable event log with per-stream optimistic concurrency.
///
/// Invariants every implementation keeps: positions are 1, 2, 3, ... without gaps in commit order; each stream's
/// versions are 1, 2, 3, ... without gaps; an event id is stored at most once; a batch is written whole or not at
/// all; an append returns only once its events are durable; each stored line's `prev_hash` is the previous
/// line's `hash`.
#[async_trait::async_trait]
pub trait EventStore: Send + Sync {
    /// Appends `events` to `stream` if its version meets `expected`, atomically, and returns where they stand.
    ///
    /// Events whose id is already stored with the same content are not written again and keep their original
    /// positions; if the whole batch is such a resend, nothing is written and the expectation is not checked.
    /// An empty batch writes nothing but is checked against the expectation. Every event must belong to `stream`.
    ///
    /// # Errors
    /// [`AppendError::WrongExpectedVersion`] with the actual version; [`AppendError::IdConflict`];
    /// [`AppendError::UnknownReference`] for evidence, targets or commitments not in the store;
    /// [`AppendError::Invalid`]; storage and sync failures. On error nothing is written.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, AppendError>;

    /// The events of `stream` from version `from` (1 for all), in version order; `None` when the stream does not
    /// exist, which is distinct from an existing stream with nothing from `from` on.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    async fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError>;

    /// At most `limit` events from position `from` (1 for the start), in position order.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    async fn read_all(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, ReadError>;

    /// The stream's current version, `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failure.
    async fn stream_head(&self, stream: &StreamId) -> Result<Option<u64>, ReadError>;

    /// The end of the log.
    fn head(&self) -> Head;

    /// Every event from position `from` on, first those already stored and then each new one as it is committed,
    /// each exactly once and in position order. A subscription keeps the store open while it lives.
    fn subscribe(&self, from: u64) -> Subscription;
}
