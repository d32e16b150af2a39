//! Import of JSON Lines files: decode every line and write them as they come, report every bad one, and commit
//! all in one durable commit or nothing.

pub mod csv;
pub mod register;

use std::io::{BufRead, Read};

use events::{Line, MAX_STORED_LINE_BYTES};

use crate::store::{AppendError, ErrorKind, EventStore, Head, Pending};

/// One line that could not be imported: its number (from 1) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// The line number in the file, from 1.
    pub line: usize,
    /// What is wrong, naming the field when there is one.
    pub message: String,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Some lines are invalid; every one is listed, in file order.
    #[error("{} invalid line{}; nothing was imported", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<LineProblem>),
    /// Some rows of a register are invalid; every one is listed with its column and value, in file order.
    #[error("{} invalid row{}; nothing was imported", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Rows(Vec<register::RowProblem>),
    /// The file holds no events: it is empty or all its lines are blank.
    #[error("nothing to import: the file has no events (it is empty or holds only blank lines)")]
    Empty,
    /// The store refused events; every one is listed (up to 1000), in file order. Nothing was written.
    #[error("{} event{} refused by the store; nothing was imported", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Refused(Vec<(usize, AppendError)>),
    /// The file could not be read.
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed while writing (its disk full, say): no line is at fault, and nothing was written.
    #[error("the store could not write the import: {0}; nothing was imported")]
    Store(AppendError),
}

/// The refusals of a write as an import's error: a failure of the store itself (not of a line) stands alone.
fn refused(errors: Vec<(usize, AppendError)>, line: impl Fn(usize) -> usize) -> ImportError {
    let failed = |e: &AppendError| matches!(e, AppendError::Storage(_) | AppendError::Read(_) | AppendError::Failed(_));
    match errors.iter().position(|(_, e)| failed(e)) {
        Some(i) => ImportError::Store(errors.into_iter().nth(i).map(|(_, e)| e).expect("the position found")),
        None => ImportError::Refused(errors.into_iter().map(|(i, e)| (line(i), e)).collect()),
    }
}

impl ImportError {
    /// The failure's kind: [`ErrorKind::Conflict`] when every refusal is one (an id with other content, an
    /// export that does not continue the store), the refusal's own kind for a storage failure,
    /// [`ErrorKind::Invalid`] otherwise.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ImportError::Invalid(_) | ImportError::Rows(_) | ImportError::Empty => ErrorKind::Invalid,
            ImportError::Refused(errors) => {
                let kinds: Vec<ErrorKind> = errors.iter().map(|(_, e)| e.kind()).collect();
                match kinds.first() {
                    Some(first) if kinds.iter().all(|k| k == first) => *first,
                    _ => ErrorKind::Invalid,
                }
            }
            ImportError::Io(e) => crate::store::io_kind(e),
            ImportError::Store(e) => e.kind(),
        }
    }

    /// One line per bad input line, `line N: why` (a register's rows: `row N, column "C", value "V": why`), in
    /// file order (none for a failure of the whole file).
    pub fn lines(&self) -> Vec<String> {
        match self {
            ImportError::Invalid(problems) => {
                problems.iter().map(|p| format!("line {}: {}", p.line, p.message)).collect()
            }
            ImportError::Rows(problems) => problems.iter().map(ToString::to_string).collect(),
            ImportError::Refused(errors) => errors.iter().map(|(line, e)| format!("line {line}: {e}")).collect(),
            ImportError::Empty | ImportError::Io(_) | ImportError::Store(_) => Vec::new(),
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// Events in the file.
    pub events: usize,
    /// Events added to the store.
    pub appended: usize,
    /// Events already in the store with the same content, left as they were.
    pub already: usize,
    /// The log head afterwards.
    pub head: Head,
    /// The position of the first event appended (they follow it without a gap), `None` when none was.
    pub first_appended: Option<u64>,
    /// What looks wrong beside the log among the events appended, though accepted (set by the application layer).
    pub warnings: Vec<crate::app::Warning>,
}

/// Reads one line of at most `MAX_STORED_LINE_BYTES` (without its line end) into `buf`; returns `None` at the end,
/// `Some(false)` for a line that was too long (its bytes are skipped), `Some(true)` otherwise.
fn next_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let limit = MAX_STORED_LINE_BYTES as u64 + 2;
    let n = reader.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') && n as u64 == limit {
        // Too long: drop the rest of the line.
        loop {
            let (done, used) = {
                let available = reader.fill_buf()?;
                match available.iter().position(|&c| c == b'\n') {
                    Some(i) => (true, i + 1),
                    None => (available.is_empty(), available.len()),
                }
            };
            reader.consume(used);
            if done {
                return Ok(Some(false));
            }
        }
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(true))
}

/// One non-blank line of a JSON Lines stream: its number (from 1) and its bytes without the line end, or
/// `None` when it was longer than [`MAX_STORED_LINE_BYTES`] (its bytes are skipped).
pub type NumberedLine = (usize, Option<Vec<u8>>);

/// The non-blank lines of a JSON Lines stream, as import and `verify --log` read them: a UTF-8 byte order mark
/// at the start and CRLF line ends are accepted, blank lines skipped, over-long lines reported without being
/// held in memory. `progress` is called with the bytes read so far, every 4096 lines.
pub struct Lines<R, P> {
    reader: R,
    progress: P,
    buf: Vec<u8>,
    number: usize,
    bytes: u64,
}

impl<R: BufRead, P: FnMut(u64)> Lines<R, P> {
    /// Reads `reader`.
    pub fn new(reader: R, progress: P) -> Lines<R, P> {
        Lines { reader, progress, buf: Vec::new(), number: 0, bytes: 0 }
    }
}

impl<R: BufRead, P: FnMut(u64)> Iterator for Lines<R, P> {
    type Item = std::io::Result<NumberedLine>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let fits = match next_line(&mut self.reader, &mut self.buf) {
                Err(e) => return Some(Err(e)),
                Ok(None) => {
                    (self.progress)(self.bytes);
                    return None;
                }
                Ok(Some(fits)) => fits,
            };
            self.number += 1;
            self.bytes += self.buf.len() as u64 + 1;
            if self.number.is_multiple_of(4096) {
                (self.progress)(self.bytes);
            }
            if !fits {
                return Some(Ok((self.number, None)));
            }
            let mut line = self.buf.as_slice();
            if self.number == 1 {
                line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(Ok((self.number, Some(line.to_vec()))));
        }
    }
}

/// Why `start` (the first bytes of a file) is no file of lines at all, if it is not: a zip archive, as a
/// spreadsheet workbook (xlsx, ods) is.
pub(crate) fn foreign_format(start: &[u8]) -> Option<LineProblem> {
    start.starts_with(b"PK\x03\x04").then(|| LineProblem {
        line: 1,
        message: "the file is a zip archive (a spreadsheet workbook such as xlsx?), not CSV or JSON Lines: a \
                  register of recommendations imports with `import --map nl-register FILE` (or a mapping of your \
                  own); other sheets, save as CSV UTF-8 and import that"
            .into(),
    })
}

/// Whether `problem` is [`foreign_format`]'s: the file is no file of lines at all.
fn is_foreign(problem: &LineProblem) -> bool {
    foreign_format(b"PK\x03\x04").is_some_and(|f| f.message == problem.message)
}

/// The event to write for line `number` (`None`: longer than the limit), or what is wrong with it.
fn pending(number: usize, line: Option<Vec<u8>>) -> Result<Pending, LineProblem> {
    let Some(line) = line else {
        return Err(LineProblem {
            line: number,
            message: format!("the line is longer than the limit of {MAX_STORED_LINE_BYTES} bytes"),
        });
    };
    if let Some(problem) = foreign_format(&line).filter(|_| number == 1) {
        return Err(problem);
    }
    match events::decode(&line) {
        Ok(Line::New(e)) => Ok(Pending::New(e)),
        Ok(Line::Recorded(e)) => Ok(Pending::Restored(e, line)),
        Err(e) => {
            // A drafted event still carries its draft members: say what to do rather than name a field.
            let draft =
                serde_json::from_slice::<serde_json::Value>(&line).ok().is_some_and(|v| v.get("draft").is_some());
            let message = if draft {
                "a drafted event (it has a `draft` member): review the drafts, then import them with `followup \
                 import --drafts FILE`"
                    .to_owned()
            } else {
                e.to_string()
            };
            Err(LineProblem { line: number, message })
        }
    }
}

/// Checks every line of a JSON Lines stream as an import would, keeping none of them, and returns how many lines
/// hold an event: an import checks its whole file so before it opens the store. `copy`, when given, receives
/// every byte read (a stream that cannot be read twice is spooled there).
///
/// # Errors
/// [`ImportError::Invalid`] listing every bad line; [`ImportError::Empty`] when no line holds an event;
/// [`ImportError::Io`].
pub fn check_lines(
    reader: impl BufRead + Send,
    copy: Option<&mut (dyn std::io::Write + Send)>,
) -> Result<usize, ImportError> {
    check_lines_by(reader, copy, |_| None)
}

/// As [`check_lines`], refusing also each event `refuse` says why of (a message naming the field).
///
/// # Errors
/// As [`check_lines`].
pub fn check_lines_by(
    reader: impl BufRead + Send,
    copy: Option<&mut (dyn std::io::Write + Send)>,
    refuse: impl Fn(&Pending) -> Option<String>,
) -> Result<usize, ImportError> {
    let mut reader = Tee { inner: reader, copy, failed: None };
    let checked = decoded(
        &mut reader,
        |_| {},
        |lines| {
            let mut problems = Vec::new();
            let mut events = 0;
            for item in lines {
                match item? {
                    (n, Ok(p)) => match refuse(&p) {
                        None => events += 1,
                        Some(message) => problems.push(LineProblem { line: n, message }),
                    },
                    // A workbook is no file of lines: say so once, not once for each of its binary "lines".
                    (1, Err(problem)) if is_foreign(&problem) => return Err(ImportError::Invalid(vec![problem])),
                    (_, Err(problem)) => problems.push(problem),
                }
            }
            Ok((events, problems))
        },
    );
    if let Some(e) = reader.failed.take() {
        return Err(ImportError::Io(e));
    }
    let (events, problems) = checked?;
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    if events == 0 {
        return Err(ImportError::Empty);
    }
    Ok(events)
}

/// A line's event to write, or what is wrong with it, with the line's number.
type Decoded = (usize, Result<Pending, LineProblem>);

/// How many lines a decoding worker takes at a time.
const DECODE_BATCH: usize = 256;

/// Reads the lines of `reader` (as [`Lines`] does, calling `progress`) on one thread, decodes them on worker
/// threads (one per core, at most four), and hands them to `consume` in line order. Each worker keeps at most two
/// batches of [`DECODE_BATCH`] lines ahead, so memory stays bounded whatever the file's size; a read failure
/// comes after every line read before it. The threads stop when `consume` returns.
pub fn decoded<T>(
    reader: impl BufRead + Send,
    progress: impl FnMut(u64) + Send,
    consume: impl FnOnce(&mut dyn Iterator<Item = std::io::Result<Decoded>>) -> T,
) -> T {
    use std::sync::mpsc::sync_channel;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let failure = std::sync::Mutex::new(None);
    std::thread::scope(|scope| {
        let mut inputs = Vec::with_capacity(workers);
        let mut outputs = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (in_tx, in_rx) = sync_channel::<Vec<NumberedLine>>(2);
            let (out_tx, out_rx) = sync_channel::<Vec<Decoded>>(2);
            scope.spawn(move || {
                for batch in in_rx {
                    let decoded = batch.into_iter().map(|(n, line)| (n, pending(n, line))).collect();
                    if out_tx.send(decoded).is_err() {
                        return;
                    }
                }
            });
            inputs.push(in_tx);
            outputs.push(out_rx);
        }
        let failure = &failure;
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(DECODE_BATCH);
            let mut turn = 0;
            for item in Lines::new(reader, progress) {
                match item {
                    Ok(line) => batch.push(line),
                    Err(e) => {
                        *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        break;
                    }
                }
                if batch.len() == DECODE_BATCH {
                    if inputs[turn % inputs.len()].send(std::mem::take(&mut batch)).is_err() {
                        return;
                    }
                    turn += 1;
                }
            }
            if !batch.is_empty() {
                let _ = inputs[turn % inputs.len()].send(batch);
            }
        });
        let mut turn = 0;
        let mut current = Vec::new().into_iter();
        let mut ended = false;
        let mut lines = std::iter::from_fn(move || loop {
            if let Some(item) = current.next() {
                return Some(Ok(item));
            }
            if ended {
                return None;
            }
            match outputs[turn % outputs.len()].recv() {
                Ok(batch) => {
                    turn += 1;
                    current = batch.into_iter();
                }
                Err(_) => {
                    ended = true;
                    return failure.lock().unwrap_or_else(|e| e.into_inner()).take().map(Err);
                }
            }
        });
        consume(&mut lines)
    })
}

/// A reader that copies what is read through it.
struct Tee<'a, R> {
    inner: R,
    copy: Option<&'a mut (dyn std::io::Write + Send)>,
    failed: Option<std::io::Error>,
}

impl<R: BufRead> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.fill_buf()?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.fill_buf()?[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tee<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let (Some(copy), Ok(bytes)) = (self.copy.as_mut(), self.inner.fill_buf()) {
            if let Err(e) = copy.write_all(&bytes[..amount.min(bytes.len())]) {
                self.failed.get_or_insert(e);
            }
        }
        self.inner.consume(amount);
    }
}

/// Decodes every line of a JSON Lines stream into events to write, with their line numbers.
///
/// Lines are read as [`Lines`] reads them. `progress` is called with the number of bytes read so far.
///
/// # Errors
/// [`ImportError::Invalid`] listing every bad line; [`ImportError::Empty`] when no line holds an event;
/// [`ImportError::Io`].
pub fn read_events(reader: impl BufRead, progress: impl FnMut(u64)) -> Result<Vec<(usize, Pending)>, ImportError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for item in Lines::new(reader, progress) {
        let (number, line) = item?;
        match pending(number, line) {
            Ok(p) => out.push((number, p)),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    if out.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(out)
}

/// Imports decoded events into `store` in one atomic, durable commit; `recorded_by` records lines that do not
/// name their recorder. Events already stored with the same content are left as they are.
///
/// # Errors
/// [`ImportError::Refused`] with the line of every event the store refuses; nothing is written.
pub fn import_events(
    store: &dyn EventStore,
    events: Vec<(usize, Pending)>,
    recorded_by: &str,
) -> Result<ImportReport, ImportError> {
    let (lines, items): (Vec<usize>, Vec<Pending>) = events.into_iter().unzip();
    let total = items.len();
    let written = store
        .write(&mut items.into_iter().map(Some), None, recorded_by)
        .map_err(|errors| refused(errors, |i| lines[i]))?;
    Ok(ImportReport {
        events: total,
        appended: written.appended,
        already: total - written.appended,
        head: written.head,
        first_appended: first_appended(&written),
        warnings: Vec::new(),
    })
}

/// Reads and imports a JSON Lines stream as it goes, all or nothing, in one durable commit: lines are decoded
/// and written in chunks (see [`EventStore::write`]), so memory stays bounded whatever the file's size.
///
/// # Errors
/// As [`read_events`] (every bad line, and then nothing is written) and [`import_events`]; a read failure
/// part way also writes nothing.
pub fn import(
    store: &dyn EventStore,
    reader: impl BufRead + Send,
    recorded_by: &str,
    progress: impl FnMut(u64) + Send,
) -> Result<ImportReport, ImportError> {
    let mut problems = Vec::new();
    let mut numbers = Vec::new();
    let mut failure = None;
    let written = decoded(reader, progress, |lines| {
        let mut items = std::iter::from_fn(|| {
            if failure.is_some() {
                return None;
            }
            let (number, event) = match lines.next()? {
                Ok(item) => item,
                Err(e) => {
                    // Stands for the unread rest: the write is refused.
                    failure = Some(e);
                    return Some(None);
                }
            };
            numbers.push(number);
            Some(event.map_err(|problem| problems.push(problem)).ok())
        });
        store.write(&mut items, None, recorded_by)
    });
    if let Some(e) = failure {
        return Err(ImportError::Io(e));
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    if numbers.is_empty() {
        return Err(ImportError::Empty);
    }
    let written = written.map_err(|errors| refused(errors, |i| numbers.get(i).copied().unwrap_or(0)))?;
    Ok(ImportReport {
        events: numbers.len(),
        appended: written.appended,
        already: numbers.len() - written.appended,
        head: written.head,
        first_appended: first_appended(&written),
        warnings: Vec::new(),
    })
}

/// The first position a write appended: its new events take the last positions it names, without a gap (a
/// resend keeps its older one); `None` when it appended nothing.
pub fn first_appended(written: &crate::store::Written) -> Option<u64> {
    let last = written.positions.iter().max()?;
    (written.appended > 0).then(|| last + 1 - written.appended as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BackendError;

    /// A `context_noted` input line numbered `i`.
    fn note_line(i: usize) -> String {
        format!(
            r#"{{"stream":"r-2020/1","type":"context_noted","occurred":"2020","source":{{"document":"D","locator":"{i}"}},"data":{{"summary":"note {i}"}}}}"#
        )
    }

    #[test]
    fn lines_decoded_on_workers_come_back_in_line_order_with_their_problems() {
        // given 2,000 lines over many batches, three of them bad
        let text: String = (1..=2000)
            .map(|i| if [7, 700, 1999].contains(&i) { "{not json\n".to_owned() } else { note_line(i) + "\n" })
            .collect();
        // when they are decoded, then every line comes back once, in order, and the bad ones name their lines
        let got: Vec<(usize, bool)> =
            decoded(text.as_bytes(), |_| {}, |lines| lines.map(|l| l.map(|(n, e)| (n, e.is_ok())).unwrap()).collect());
        assert_eq!(got.len(), 2000);
        assert!(got.iter().enumerate().all(|(i, (n, _))| *n == i + 1));
        let bad: Vec<usize> = got.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n).collect();
        assert_eq!(bad, [7, 700, 1999]);
    }

    #[test]
    fn a_read_failure_comes_after_every_line_read_before_it() {
        // given a reader that fails after 1,000 good lines
        struct Failing(std::io::Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(std::io::Error::other("the disk went away")),
                    n => Ok(n),
                }
            }
        }
        let text: String = (1..=1000).map(|i| note_line(i) + "\n").collect();
        let reader = std::io::BufReader::new(Failing(std::io::Cursor::new(text.into_bytes())));
        // when decoded, then the 1,000 lines come first, then the failure, then nothing
        let got: Vec<Result<usize, String>> =
            decoded(reader, |_| {}, |lines| lines.map(|l| l.map(|(n, _)| n).map_err(|e| e.to_string())).collect());
        assert_eq!(got.len(), 1001);
        assert!(got[..1000].iter().enumerate().all(|(i, n)| *n == Ok(i + 1)));
        assert_eq!(got[1000], Err("the disk went away".into()));
    }

    #[test]
    fn an_import_on_a_full_disk_blames_the_disk_not_a_line() {
        let full = BackendError::from(std::io::Error::from(std::io::ErrorKind::StorageFull));
        let errors = vec![(5253, AppendError::Storage(full))];
        let e = refused(errors, |i| i + 1);
        assert!(matches!(e, ImportError::Store(_)), "{e:?}");
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(e.lines().is_empty(), "no line is at fault: {:?}", e.lines());
        assert_eq!(
            e.to_string(),
            "the store could not write the import: storage failed: the disk is full: free some space there and try \
             again; no acknowledged event is lost; nothing was imported"
        );
    }

    #[test]
    fn refusals_of_lines_name_their_lines() {
        let errors = vec![(0, AppendError::IdConflict(events::EventId::from_uuid(uuid::Uuid::nil())))];
        let e = refused(errors, |i| i + 7);
        assert_eq!(e.lines(), ["line 7: event 00000000-0000-0000-0000-000000000000 exists with different content"]);
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }
}
