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
            if self.number % 4096 == 0 {
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
        Err(e) => Err(LineProblem { line: number, message: e.to_string() }),
    }
}

/// Checks every line of a JSON Lines stream as an import would, keeping none of them, and returns how many lines
/// hold an event: an import checks its whole file so before it opens the store. `copy`, when given, receives
/// every byte read (a stream that cannot be read twice is spooled there).
///
/// # Errors
/// [`ImportError::Invalid`] listing every bad line; [`ImportError::Empty`] when no line holds an event;
/// [`ImportError::Io`].
pub fn check_lines(reader: impl BufRead, copy: Option<&mut dyn std::io::Write>) -> Result<usize, ImportError> {
    let mut problems = Vec::new();
    let mut events = 0;
    let mut reader = Tee { inner: reader, copy, failed: None };
    for item in Lines::new(&mut reader, |_| {}) {
        let (number, line) = item?;
        // A workbook is no file of lines: say so once, not once for each of its binary "lines".
        if let Some(problem) = line.as_deref().filter(|_| number == 1).and_then(foreign_format) {
            return Err(ImportError::Invalid(vec![problem]));
        }
        match pending(number, line) {
            Ok(_) => events += 1,
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(e) = reader.failed.take() {
        return Err(ImportError::Io(e));
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    if events == 0 {
        return Err(ImportError::Empty);
    }
    Ok(events)
}

/// A reader that copies what is read through it.
struct Tee<'a, R> {
    inner: R,
    copy: Option<&'a mut dyn std::io::Write>,
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
    reader: impl BufRead,
    recorded_by: &str,
    progress: impl FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let mut problems = Vec::new();
    let mut numbers = Vec::new();
    let mut failure = None;
    let mut lines = Lines::new(reader, progress);
    let mut items = std::iter::from_fn(|| {
        if failure.is_some() {
            return None;
        }
        let (number, line) = match lines.next()? {
            Ok(item) => item,
            Err(e) => {
                // Stands for the unread rest: the write is refused.
                failure = Some(e);
                return Some(None);
            }
        };
        numbers.push(number);
        Some(pending(number, line).map_err(|problem| problems.push(problem)).ok())
    });
    let written = store.write(&mut items, None, recorded_by);
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
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BackendError;

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
