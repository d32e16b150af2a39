//! The application layer: what every front end does, written once. Commands (record, import JSON Lines or CSV,
//! restore an export) take the recorder from an explicit [`Principal`]; queries (status, timeline, summary, due,
//! export, the report pack) take a window; verification judges a store or an exported file.
//!
//! No argv, no HTTP, no environment and no clock here: a front end parses its input into these calls, gives the
//! day to judge on when one is needed, and prints or renders what they return. Every error is an [`AppError`]
//! with a [`kind`](AppError::kind), which each front end maps once (to an exit code, to an HTTP status).

mod commands;
mod demo;
pub mod lint;
mod params;
mod queries;
mod verify;

pub use commands::{
    copy, import, import_register, record, record_batch, record_in, Copied, ImportFormat, ImportInput, Recorded,
    RecordedBatch, Retracted,
};
pub use demo::{demo, Demo, CASE};
pub use lint::Warning;
pub use params::{parse_instant, parse_report, parse_scale, window};
pub use queries::{
    due, export, export_csv, on_scale, report_pack, status, summary, timeline, Folds, ReadModels, RegisterPage,
    ReportPack, TimelineQuery, PACK_FILES,
};
pub use verify::{verify_events, verify_log, verify_store, Outcome, EXIT_ERROR, EXIT_INTEGRITY, EXIT_UNSUPPORTED};

use crate::import::register::MappingError;
use crate::import::ImportError;
use crate::store::{AppendError, ErrorKind, OpenError, ReadError};

/// Who acts: the name recorded as `recorded_by` of the events they record without naming a recorder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    name: String,
    /// Signed in to the server: every event it writes is recorded by it, so an import line that names its
    /// recorder or carries a store's seal (an exported line) is refused.
    signed_in: bool,
}

impl Principal {
    /// The principal called `name` (at most [`events::MAX_RECORDER_BYTES`] bytes, no control characters).
    ///
    /// # Errors
    /// [`AppError::Param`] naming `recorded_by` when the name cannot be a recorder.
    pub fn new(name: impl Into<String>) -> Result<Principal, AppError> {
        let name = name.into();
        events::check_recorder(&name).map_err(|e| AppError::Param { name: "recorded_by", message: e.to_string() })?;
        Ok(Principal { name, signed_in: false })
    }

    /// A user signed in to the server, as [`Principal::new`]: what it imports cannot name another recorder.
    ///
    /// # Errors
    /// As [`Principal::new`].
    pub fn signed_in(name: impl Into<String>) -> Result<Principal, AppError> {
        Ok(Principal { signed_in: true, ..Principal::new(name)? })
    }

    /// Why an event this principal imports is refused, naming the field: `None` when it may.
    pub fn refusal(&self, event: &crate::store::Pending) -> Option<String> {
        if !self.signed_in {
            return None;
        }
        match event {
            crate::store::Pending::New(e) if e.recorded_by.is_some() => Some(format!(
                "field `recorded_by`: the recorder is who imports it ({}); a line cannot name another",
                self.name
            )),
            crate::store::Pending::New(_) => None,
            crate::store::Pending::Restored(..) => Some(
                "an exported line (with `recorded_at`, `position` and `hash`) is restored by `followup import` on the \
                 server's machine, not through the server: the recorder is who imports it"
                    .into(),
            ),
        }
    }

    /// The principal's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Why a command or query failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The store could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The store could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The store refused a write.
    #[error(transparent)]
    Append(#[from] AppendError),
    /// An import wrote nothing; its lines say why, line by line.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A register's mapping could not be read or is not valid.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// A parameter is wrong: `name` is the parameter (`from`, `report`, `recorded_by`).
    #[error("{message}")]
    Param {
        /// The parameter at fault.
        name: &'static str,
        /// What is wrong, naming the value.
        message: String,
    },
    /// The window of a timeline is empty: its start is after its end.
    #[error("from {from} is after to {to}: the window is empty")]
    EmptyRange {
        /// The start asked for.
        from: events::PartialDate,
        /// The end asked for.
        to: events::PartialDate,
    },
    /// What the request names is not in the store.
    #[error("{0}")]
    NotFound(String),
    /// The fact was recorded before and retracted since: recording it again would change nothing.
    #[error(
        "event {event} was recorded at position {position} and retracted at position {retraction_position} \
         ({reason}); recording it again changes nothing: record it with --restore to restore it as a new event"
    )]
    RecordedAndRetracted {
        /// The event, by its content id.
        event: events::EventId,
        /// Its position.
        position: u64,
        /// The retraction.
        retraction: events::EventId,
        /// The retraction's position.
        retraction_position: u64,
        /// Why it was retracted.
        reason: String,
    },
    /// A file given as an exported log holds input lines: it is a file to import, with no chain to check.
    #[error(
        "its first line is an input line without the store's fields (id, version, position, hashes): it is a file \
         to import, not an export; import it, then verify the store, or verify a file written by `followup export`"
    )]
    NotAnExport,
    /// A file given as an exported log is not JSON Lines at all (a CSV, a spreadsheet): it holds no chain.
    #[error(
        "its first line is not a JSON object: it is not an export (a CSV, even `export --format csv`, holds no hash \
         chain); verify the store, or a file written by `followup export`"
    )]
    NotJsonLines,
    /// The disk holding the store has too little room for an import: nothing was written.
    #[error(
        "the disk holding the store has {} free, and this import needs about {} (a stored event takes up to 5 times \
         its line): free some space there and try again; nothing was imported",
        megabytes(*free),
        megabytes(*needed)
    )]
    NoRoom {
        /// Bytes free for the store.
        free: u64,
        /// Bytes the import is estimated to take.
        needed: u64,
    },
    /// The log does not hold what its head says.
    #[error("{0}")]
    Integrity(String),
    /// Reading input or writing output failed (not the store: its failures are the store's errors).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An input file could not be opened.
    #[error("could not open {path}: {source}")]
    File {
        /// The file, as given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Bytes as megabytes with one decimal: `3.2 MB`.
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

impl AppError {
    /// The failure's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::Open(e) => e.kind(),
            AppError::Read(e) => e.kind(),
            AppError::Append(e) => e.kind(),
            AppError::Import(e) => e.kind(),
            AppError::Param { .. }
            | AppError::EmptyRange { .. }
            | AppError::NotAnExport
            | AppError::NotJsonLines
            | AppError::Mapping(_) => ErrorKind::Invalid,
            AppError::NotFound(_) => ErrorKind::NotFound,
            AppError::NoRoom { .. } => ErrorKind::Unavailable,
            AppError::RecordedAndRetracted { .. } => ErrorKind::Conflict,
            AppError::Integrity(_) => ErrorKind::Integrity,
            AppError::Io(_) | AppError::File { .. } => ErrorKind::Internal,
        }
    }

    /// One line per bad input line of a refused import (`line N: why`), in file order; none otherwise.
    pub fn lines(&self) -> Vec<String> {
        match self {
            AppError::Import(e) => e.lines(),
            _ => Vec::new(),
        }
    }
}
