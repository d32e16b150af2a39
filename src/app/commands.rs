//! Commands: record one event, import a file (JSON Lines, or CSV in the timeline's columns), restore an export.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

use events::{EventId, NewEvent, StreamId};

use super::{AppError, Principal};
use crate::import::{self, ImportReport};
use crate::store::{EventStore, EventStoreExt, ExpectedVersion, OpenError, Opened};

/// Where a recorded event stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The event's id (given, or derived from its content).
    pub event_id: EventId,
    /// Its stream.
    pub stream: StreamId,
    /// Its position in the log (its original one when it was recorded before).
    pub position: u64,
    /// The stream's version afterwards.
    pub version: Option<u64>,
    /// 1 when it was appended, 0 when it was already recorded with the same content.
    pub appended: usize,
}

/// Records one event on its stream if the stream's version meets `expected`; `principal` records it unless the
/// event names its recorder.
///
/// # Errors
/// [`AppError::Append`]: a wrong expected version (with the actual one), an id with other content, an unknown
/// or misplaced reference, an invalid event, a storage failure. Nothing is written then.
pub fn record(
    store: &dyn EventStore,
    principal: &Principal,
    event: NewEvent,
    expected: ExpectedVersion,
) -> Result<Recorded, AppError> {
    let (stream, event_id) = (event.stream.clone(), event.id);
    let outcome = store.append(&stream, expected, vec![event], principal.name())?;
    let position = outcome.positions.first().copied().unwrap_or(0);
    Ok(Recorded { event_id, stream, position, version: outcome.version, appended: outcome.appended })
}

/// As [`record`], into a store just opened: if the event is refused and the open created the store, the store
/// is removed again, so a refused first record leaves no empty store behind.
///
/// # Errors
/// As [`record`].
pub fn record_in(
    opened: Opened,
    principal: &Principal,
    event: NewEvent,
    expected: ExpectedVersion,
) -> Result<Recorded, AppError> {
    match record(&*opened.store, principal, event, expected) {
        Ok(recorded) => Ok(recorded),
        Err(e) => {
            opened.close_and_remove_if_created();
            Err(e)
        }
    }
}

/// What an import file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// One JSON object a line: input lines, or the lines of an export (restored byte for byte).
    JsonLines,
    /// CSV in the timeline's columns, `,` or `;`.
    Csv,
}

/// Where an import's lines come from.
pub enum ImportInput {
    /// A file, read twice: checked whole, then written.
    File(PathBuf),
    /// A stream that can be read once (standard input, an upload): spooled to a temporary file while it is
    /// checked, then written from there.
    Stream(Box<dyn Read + Send>),
}

/// Imports `input` all or nothing, in one durable commit; `principal` records the events that name no recorder.
///
/// The whole input is read and checked before the store is opened by `open`, so a bad file never holds the
/// store: a CSV file is read whole (its rows are put in position order); a JSON Lines file is checked line by line
/// and then read again and written in chunks, so memory stays bounded whatever its size. The store's own checks
/// (resends, references, continuity) follow while writing. If the import is refused and the open created the
/// store, the store is removed again. `progress` is called with the bytes of a JSON Lines file written so far.
///
/// # Errors
/// [`AppError::Import`] naming every bad line (nothing is written); [`AppError::Open`]; [`AppError::Io`] when
/// the input cannot be read.
pub fn import(
    open: impl FnOnce() -> Result<Opened, OpenError>,
    input: ImportInput,
    format: ImportFormat,
    principal: &Principal,
    progress: impl FnMut(u64),
) -> Result<ImportReport, AppError> {
    let by = principal.name();
    let file = |path: &PathBuf| {
        std::fs::File::open(path).map_err(|source| AppError::File { path: path.display().to_string(), source })
    };
    let (opened, imported) = match (format, input) {
        (ImportFormat::Csv, input) => {
            let events = match input {
                ImportInput::File(path) => import::csv::read_events(file(&path)?)?,
                ImportInput::Stream(reader) => import::csv::read_events(reader)?,
            };
            let opened = open()?;
            let imported = import::import_events(&*opened.store, events, by);
            (opened, imported)
        }
        (ImportFormat::JsonLines, ImportInput::File(path)) => {
            import::check_lines(BufReader::with_capacity(1 << 20, file(&path)?), None)?;
            let opened = open()?;
            let reader = BufReader::with_capacity(1 << 20, file(&path)?);
            let imported = import::import(&*opened.store, reader, by, progress);
            (opened, imported)
        }
        (ImportFormat::JsonLines, ImportInput::Stream(reader)) => {
            let mut spool = tempfile::tempfile()?;
            import::check_lines(BufReader::with_capacity(1 << 20, reader), Some(&mut spool))?;
            spool.seek(SeekFrom::Start(0))?;
            let opened = open()?;
            let imported = import::import(&*opened.store, BufReader::with_capacity(1 << 20, spool), by, progress);
            (opened, imported)
        }
    };
    match imported {
        Ok(report) => Ok(report),
        Err(e) => {
            opened.close_and_remove_if_created();
            Err(e.into())
        }
    }
}
