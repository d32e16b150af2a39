//! Commands: record one event, import a file (JSON Lines, or CSV in the timeline's columns), restore an export.

use std::io::BufRead;

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

/// What an import file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// One JSON object a line: input lines, or the lines of an export (restored byte for byte).
    JsonLines,
    /// CSV in the timeline's columns, `,` or `;`.
    Csv,
}

/// Imports `input` all or nothing, in one durable commit; `principal` records the events that name no recorder.
///
/// The store is opened by `open` only once there is something to write: a CSV file is read and checked whole
/// first (its rows are put in position order), a JSON Lines file is checked and written as it is read, in chunks,
/// so memory stays bounded. If the import is refused and the open created the store, the store is removed
/// again. `progress` is called with the bytes of a JSON Lines file read so far.
///
/// # Errors
/// [`AppError::Import`] naming every bad line (nothing is written); [`AppError::Open`].
pub fn import(
    open: impl FnOnce() -> Result<Opened, OpenError>,
    input: impl BufRead,
    format: ImportFormat,
    principal: &Principal,
    progress: impl FnMut(u64),
) -> Result<ImportReport, AppError> {
    let by = principal.name();
    let (opened, imported) = match format {
        ImportFormat::Csv => {
            let events = import::csv::read_events(input)?;
            let opened = open()?;
            let imported = import::import_events(&*opened.store, events, by);
            (opened, imported)
        }
        ImportFormat::JsonLines => {
            let opened = open()?;
            let imported = import::import(&*opened.store, input, by, progress);
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
