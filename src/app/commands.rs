//! Commands: record one event, import a file (JSON Lines, or CSV in the timeline's columns), restore an export,
//! import a register spreadsheet.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

use events::{EventId, NewEvent, StreamId};

use super::{AppError, Principal};
use crate::import::register::{Encoding, Mapping};
use crate::import::{self, ImportReport};
use crate::store::{EventStore, EventStoreExt, ExpectedVersion, OpenError, Opened, Pending};

/// Where a recorded event stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The event's id (given, or derived from its content; for a restored fact, derived from the retraction).
    pub event_id: EventId,
    /// Its stream.
    pub stream: StreamId,
    /// Its position in the log (its original one when it was recorded before).
    pub position: u64,
    /// The stream's version afterwards.
    pub version: Option<u64>,
    /// 1 when it was appended, 0 when it was already recorded with the same content.
    pub appended: usize,
    /// With `restore`: the retracted event this one restores, and the retraction, which both stay in the log.
    pub restores: Option<(EventId, EventId)>,
    /// What looks wrong beside the log, though accepted ([`super::lint`]); none when nothing was appended.
    pub warnings: Vec<super::Warning>,
}

/// How a record treats a fact that was recorded before and retracted since.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Retracted {
    /// Refuse it, saying so: recording the same content again would be a resend, and change nothing.
    #[default]
    Refuse,
    /// Record it anew, as a restored fact: its id is derived from the retracted event's and the retraction's,
    /// so restoring twice records it once.
    Restore,
}

/// Records one event on its stream if the stream's version meets `expected`; `principal` records it unless the
/// event names its recorder.
///
/// A fact recorded before and retracted since has the same content id as before, so recording it again would
/// be a resend and leave it retracted: with [`Retracted::Refuse`] that is refused, naming the retraction; with
/// [`Retracted::Restore`] the fact is recorded anew with an id derived from the retraction (the retracted event
/// and its retraction stay in the log, as everything does).
///
/// # Errors
/// [`AppError::Append`]: a wrong expected version (with the actual one), an id with other content, an unknown
/// or misplaced reference, an invalid event, a storage failure. [`AppError::RecordedAndRetracted`];
/// [`AppError::Param`] naming `restore` for a fact that is not retracted. Nothing is written then.
pub fn record(
    store: &dyn EventStore,
    principal: &Principal,
    mut event: NewEvent,
    expected: ExpectedVersion,
    retracted: Retracted,
) -> Result<Recorded, AppError> {
    let stream = event.stream.clone();
    let mut restores = None;
    // A restored fact retracted again is restored under the next retraction's id: follow them to the end.
    while let Some((position, retraction, reason)) = retraction_of(store, &stream, event.id)? {
        if retracted == Retracted::Refuse {
            return Err(AppError::RecordedAndRetracted {
                event: event.id,
                position,
                retraction: retraction.id,
                retraction_position: retraction.position,
                reason,
            });
        }
        let original = restores.map_or(event.id, |(original, _)| original);
        restores = Some((original, retraction.id));
        event.id = EventId::from_uuid(uuid::Uuid::new_v5(&event.id.uuid(), retraction.id.as_bytes()));
    }
    if retracted == Retracted::Restore && restores.is_none() {
        return Err(AppError::Param {
            name: "restore",
            message: format!("event {} is not a retracted fact: there is nothing to restore", event.id),
        });
    }
    let event_id = event.id;
    let outcome = store.append(&stream, expected, vec![event], principal.name())?;
    let position = outcome.positions.first().copied().unwrap_or(0);
    let warnings = if outcome.appended > 0 { super::lint::after_commit(store, position, 1) } else { Vec::new() };
    Ok(Recorded {
        event_id,
        stream,
        position,
        version: outcome.version,
        appended: outcome.appended,
        restores,
        warnings,
    })
}

/// Where a recorded batch stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedBatch {
    /// Each event's id and position, in batch order (a resent event keeps its original position).
    pub events: Vec<(EventId, u64)>,
    /// The stream's version afterwards.
    pub version: Option<u64>,
    /// How many events were appended: 0 when the whole batch was recorded before with the same content.
    pub appended: usize,
    /// The log head afterwards.
    pub head: crate::store::Head,
    /// What looks wrong beside the log, though accepted ([`super::lint`]).
    pub warnings: Vec<super::Warning>,
}

/// Records `events`, every one on `stream`, in one commit if the stream's version meets `expected`; `principal`
/// records them (a batch whose events name their own recorder is refused: the recorder is who asks).
///
/// As [`record`] with [`Retracted::Refuse`] for each event: a fact recorded and retracted since is refused.
///
/// # Errors
/// [`AppError::Param`] naming `events[i].stream` or `events[i].recorded_by`, or an empty batch; as [`record`].
/// Nothing is written then.
pub fn record_batch(
    store: &dyn EventStore,
    principal: &Principal,
    stream: &StreamId,
    events: Vec<NewEvent>,
    expected: ExpectedVersion,
) -> Result<RecordedBatch, AppError> {
    if events.is_empty() {
        return Err(AppError::Param { name: "events", message: "the batch holds no event".into() });
    }
    for (i, e) in events.iter().enumerate() {
        if &e.stream != stream {
            return Err(AppError::Param {
                name: "stream",
                message: format!("events[{i}] is on stream {}, not on {stream}", e.stream),
            });
        }
        if e.recorded_by.is_some() {
            return Err(AppError::Param {
                name: "recorded_by",
                message: format!("events[{i}] names its recorder; the recorder is who records it"),
            });
        }
        if let Some((position, retraction, reason)) = retraction_of(store, stream, e.id)? {
            return Err(AppError::RecordedAndRetracted {
                event: e.id,
                position,
                retraction: retraction.id,
                retraction_position: retraction.position,
                reason,
            });
        }
    }
    let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
    let outcome = store.append(stream, expected, events, principal.name())?;
    let first = outcome.positions.iter().max().map(|last| last + 1 - outcome.appended as u64);
    let warnings = match (outcome.appended, first) {
        (0, _) | (_, None) => Vec::new(),
        (n, Some(first)) => super::lint::after_commit(store, first, n),
    };
    Ok(RecordedBatch {
        events: ids.into_iter().zip(outcome.positions).collect(),
        version: outcome.version,
        appended: outcome.appended,
        head: outcome.head,
        warnings,
    })
}

/// If event `id` is stored on `stream` and retracted (a retraction lives on its stream or its report's), its
/// position, the first retraction of it and that retraction's reason.
fn retraction_of(
    store: &dyn EventStore,
    stream: &StreamId,
    id: EventId,
) -> Result<Option<(u64, events::RecordedEvent, String)>, AppError> {
    // Most events recorded are new: the id index says so without reading the stream.
    if store.position_of(&id)?.is_none() {
        return Ok(None);
    }
    let own = store.read_stream(stream, 1)?.unwrap_or_default();
    let Some(position) = own.iter().find(|e| e.id == id).map(|e| e.position) else { return Ok(None) };
    let report = match stream.recommendation() {
        Some(_) => store.read_stream(&stream.report_stream(), 1)?.unwrap_or_default(),
        None => Vec::new(),
    };
    let retraction = own
        .into_iter()
        .chain(report)
        .filter_map(|e| match &e.body {
            events::Body::EventRetracted(r) if r.target == id => Some((e.position, r.reason.clone(), e)),
            _ => None,
        })
        .min_by_key(|(p, ..)| *p);
    Ok(retraction.map(|(_, reason, r)| (position, r, reason)))
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
    retracted: Retracted,
) -> Result<Recorded, AppError> {
    match record(&*opened.store, principal, event, expected, retracted) {
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
/// The report carries the [warnings](super::lint) on the events appended.
///
/// # Errors
/// [`AppError::Import`] naming every bad line (nothing is written); [`AppError::Open`]; [`AppError::Io`] when
/// the input cannot be read.
pub fn import(
    open: impl FnOnce() -> Result<Opened, OpenError>,
    input: ImportInput,
    format: ImportFormat,
    principal: &Principal,
    progress: impl FnMut(u64) + Send,
) -> Result<ImportReport, AppError> {
    let by = principal.name();
    let file = |path: &PathBuf| {
        std::fs::File::open(path).map_err(|source| AppError::File { path: path.display().to_string(), source })
    };
    let size = |path: &PathBuf| std::fs::metadata(path).map_or(0, |m| m.len());
    let (opened, imported) = match (format, input) {
        (ImportFormat::Csv, input) => {
            let (events, bytes) = match input {
                ImportInput::File(path) => (import::csv::read_events(file(&path)?)?, size(&path)),
                ImportInput::Stream(reader) => {
                    let mut counted = Counted { inner: reader, bytes: 0 };
                    (import::csv::read_events(&mut counted)?, counted.bytes)
                }
            };
            let problems: Vec<import::LineProblem> = events
                .iter()
                .filter_map(|(line, e)| {
                    principal.refusal(e).map(|message| import::LineProblem { line: *line, message })
                })
                .collect();
            if !problems.is_empty() {
                return Err(crate::ImportError::Invalid(problems).into());
            }
            let opened = open_with_room(open, bytes)?;
            let imported = import::import_events(&*opened.store, events, by);
            (opened, imported)
        }
        (ImportFormat::JsonLines, ImportInput::File(path)) => {
            import::check_lines_by(BufReader::with_capacity(1 << 20, file(&path)?), None, |e| principal.refusal(e))?;
            let opened = open_with_room(open, size(&path))?;
            let reader = BufReader::with_capacity(1 << 20, file(&path)?);
            let imported = import::import(&*opened.store, reader, by, progress);
            (opened, imported)
        }
        (ImportFormat::JsonLines, ImportInput::Stream(reader)) => {
            let mut spool = tempfile::tempfile()?;
            import::check_lines_by(BufReader::with_capacity(1 << 20, reader), Some(&mut spool), |e| {
                principal.refusal(e)
            })?;
            let bytes = spool.seek(SeekFrom::End(0))?;
            spool.seek(SeekFrom::Start(0))?;
            let opened = open_with_room(open, bytes)?;
            let imported = import::import(&*opened.store, BufReader::with_capacity(1 << 20, spool), by, progress);
            (opened, imported)
        }
    };
    finish(opened, imported)
}

/// Imports a register spreadsheet (`input`: xlsx, or CSV in UTF-8 or Windows-1252) all or nothing, with the
/// mapping `map` names: a built-in one (`nl-register`) or a mapping file ([`Mapping::load`]); `encoding`
/// overrides the mapping's and the guess. The source document is the mapping's `document`, else `register`,
/// never the file's name, so the same rows under another name add nothing.
///
/// The whole register is read and every row checked before the store is opened by `open`; a bad row means
/// nothing is written. A row's `report_published` and `recommendation_issued` are left out when the store holds
/// that stream already (from this register or another source), so a report or recommendation is published or
/// issued once; every other event has its content id, so importing the same register again adds nothing (those
/// left out count as already present). Returns what was imported and the reader's notes for the user, one
/// sentence each (a file read as Windows-1252).
///
/// # Errors
/// [`AppError::Mapping`]; [`AppError::Import`] with [`crate::ImportError::Rows`] naming every bad row, column
/// and value; [`AppError::Open`]; [`AppError::File`] and [`AppError::Io`] when the input cannot be read.
pub fn import_register(
    open: impl FnOnce() -> Result<Opened, OpenError>,
    input: ImportInput,
    map: &str,
    encoding: Option<Encoding>,
    principal: &Principal,
) -> Result<(ImportReport, Vec<String>), AppError> {
    let mapping = Mapping::load(map)?;
    let mut bytes = Vec::new();
    match input {
        ImportInput::File(path) => {
            bytes =
                std::fs::read(&path).map_err(|source| AppError::File { path: path.display().to_string(), source })?
        }
        ImportInput::Stream(mut reader) => {
            reader.read_to_end(&mut bytes)?;
        }
    }
    let read = import::register::read_events(&bytes, &mapping, encoding)?;
    // A register's bytes say little of its events (a workbook is compressed): count 1 KiB an event.
    let opened = open_with_room(open, read.events.len() as u64 * 1024)?;
    let mut kept = Vec::with_capacity(read.events.len());
    let mut skipped = 0;
    for (row, pending) in read.events {
        let once = match &pending {
            crate::store::Pending::New(e) => {
                matches!(e.body, events::Body::ReportPublished(_) | events::Body::RecommendationIssued(_))
            }
            _ => false,
        };
        let stream = match &pending {
            crate::store::Pending::New(e) => Some(e.stream.clone()),
            _ => None,
        };
        let held = match (once, stream) {
            (true, Some(s)) => match opened.store.stream_version(&s) {
                Ok(v) => v.is_some(),
                Err(e) => {
                    opened.close_and_remove_if_created();
                    return Err(e.into());
                }
            },
            _ => false,
        };
        if held {
            skipped += 1;
        } else {
            kept.push((row, pending));
        }
    }
    let imported = if kept.is_empty() {
        Err(import::ImportError::Empty)
    } else {
        import::import_events(&*opened.store, kept, principal.name())
    };
    let mut report = finish(opened, imported)?;
    report.events += skipped;
    report.already += skipped;
    Ok((report, read.notes))
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// What an import of `bytes` of input is estimated to take on disk: a stored event takes some 3.7 to 5.1 times its
/// input line (the sealed line, its indexes, the storage engine's own overhead; measured on generated logs of
/// 107,000 and 8,000 events), so 5 times and a megabyte.
fn room_needed(bytes: u64) -> u64 {
    bytes.saturating_mul(5).saturating_add(1 << 20)
}

/// Opens the store for an import of `bytes` of input, refusing before anything is written when its disk has
/// too little room ([`AppError::NoRoom`]): an import that fills the disk halfway leaves the storage engine's
/// files grown by what it wrote, and the store then needs that room again before it opens.
fn open_with_room(open: impl FnOnce() -> Result<Opened, OpenError>, bytes: u64) -> Result<Opened, AppError> {
    let opened = open()?;
    match enough_room(opened.store.room(), bytes) {
        Ok(()) => Ok(opened),
        Err(e) => {
            opened.close_and_remove_if_created();
            Err(e)
        }
    }
}

/// Whether `free` bytes (when known) hold an import of `bytes` of input.
fn enough_room(free: Option<u64>, bytes: u64) -> Result<(), AppError> {
    let needed = room_needed(bytes);
    match free {
        Some(free) if free < needed => Err(AppError::NoRoom { free, needed }),
        _ => Ok(()),
    }
}

/// The end of every import: the warnings on what it appended, or, if it was refused and the open created the
/// store, the store removed again.
fn finish(opened: Opened, imported: Result<ImportReport, import::ImportError>) -> Result<ImportReport, AppError> {
    match imported {
        Ok(mut report) => {
            if let Some(from) = report.first_appended {
                report.warnings = super::lint::after_commit(&*opened.store, from, report.appended);
            }
            Ok(report)
        }
        Err(e) => {
            opened.close_and_remove_if_created();
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_too_large_for_the_disk_is_refused_before_anything_is_written_naming_both_sizes() {
        let e = enough_room(Some(4_200_000), 15_432_917).unwrap_err();
        assert_eq!(e.kind(), crate::store::ErrorKind::Unavailable);
        assert_eq!(
            e.to_string(),
            "the disk holding the store has 4.2 MB free, and this import needs about 78.2 MB (a stored event takes up \
             to 5 times its line): free some space there and try again; nothing was imported"
        );
        assert!(enough_room(Some(4_200_000), 600_000).is_ok());
        assert!(enough_room(None, u64::MAX).is_ok(), "a backend that cannot say is not refused");
    }
}

/// What a copy moved: how many events it added to the destination, and the destination's head after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    /// The events added (0 when the destination held the whole log already).
    pub copied: usize,
    /// The destination's head afterwards: the source's head when the copy is done.
    pub head: crate::store::Head,
}

/// Copies the whole log of `from` into `to`, every event with its stored line kept byte for byte (ids, versions,
/// positions, `recorded_at` and hashes), in one write: `to` must be empty or hold a beginning of `from`'s log
/// (then only the rest is added). Whatever the backends, the two exports are byte-identical afterwards.
///
/// # Errors
/// [`AppError::Append`] when `to` holds other events (the first line that does not continue it); a read failure
/// of `from` (nothing written); the destination's storage failures (nothing written).
pub fn copy(from: &dyn EventStore, to: &dyn EventStore) -> Result<Copied, AppError> {
    // The log as it is now: events the source commits meanwhile are left for another copy.
    let source = from.head();
    let mut failure: Option<AppError> = None;
    let lines = from.lines(1).take_while(|item| item.as_ref().map_or(true, |(p, _)| *p <= source.position));
    let mut items = lines.map_while(|item| match item {
        Ok((position, line)) => match events::RecordedEvent::decode(&line) {
            Ok(e) => Some(Some(Pending::Restored(e, line))),
            Err(e) => {
                failure =
                    Some(AppError::Integrity(format!("the source's event at position {position} is damaged: {e}")));
                Some(None)
            }
        },
        Err(e) => {
            failure = Some(e.into());
            Some(None)
        }
    });
    let written = to.write(&mut items, None, "copy");
    drop(items);
    if let Some(e) = failure {
        return Err(e);
    }
    let written = written.map_err(|refusals| {
        refusals
            .into_iter()
            .next()
            .map(|(_, e)| AppError::Append(e))
            .unwrap_or_else(|| AppError::Integrity("the copy was refused without a reason".into()))
    })?;
    if written.head.position > source.position {
        // Every line was a resend: the destination holds this log and more.
        return Err(AppError::Integrity(format!(
            "the destination holds the source's whole log and more (it ends at position {}, the source at {}): \
             there is nothing to copy",
            written.head.position, source.position
        )));
    }
    Ok(Copied { copied: written.appended, head: written.head })
}
