//! The hash chain check: recompute every line's SHA-256 and follow `prev_hash` from the first position, over an
//! exported file or, with each backend's index checks, over a store.

use std::collections::HashMap;

use events::{Hash, Line, RecordedEvent};

use crate::store::{Head, ReadError, StreamVersions};

/// The first place where a chain is broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first position whose line is wrong, missing or out of place.
    pub position: u64,
    /// What is wrong there.
    pub reason: String,
}

/// The result of checking a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// How many lines were checked and found sound (all of them when the chain is intact).
    pub events: u64,
    /// The hash of the last sound line ([`Hash::ZERO`] for an empty log).
    pub head: Hash,
    /// Where the chain breaks, if it does.
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    /// Whether every line checked out.
    pub fn ok(&self) -> bool {
        self.broken.is_none()
    }
}

/// Checks lines given in order, each with the position it is stored at when that is known (a store's key).
///
/// Each line must decode as a stored line whose bytes hash to its `hash`, stand at the next position (1, 2,
/// 3, ...), name the previous line's hash as `prev_hash` (64 zeros for the first), and not be recorded before
/// the line preceding it. The check stops at the first line that does not.
pub fn check_chain<I>(lines: I) -> ChainReport
where
    I: IntoIterator<Item = Result<(Option<u64>, Vec<u8>), String>>,
{
    check_chain_with(lines, |_| None)
}

/// As [`check_chain`], handing each sound event to `each`, which may find it wrong too (its reason then breaks
/// the chain there): one decoding of each line serves the chain and what else reads the log.
pub fn check_chain_with<I, F>(lines: I, mut each: F) -> ChainReport
where
    I: IntoIterator<Item = Result<(Option<u64>, Vec<u8>), String>>,
    F: FnMut(RecordedEvent) -> Option<String>,
{
    let decoded = lines.into_iter().map(|item| item.map(|(key, line)| (key, decode_stored(&line), ())));
    check_decoded(decoded, |e, ()| each(e))
}

/// Decodes a line for the chain: a stored line whose hash matches its bytes, or why it is not one.
pub(crate) fn decode_stored(line: &[u8]) -> Result<RecordedEvent, String> {
    match events::decode(line) {
        Err(e) => Err(e.to_string()),
        Ok(Line::New(_)) => Err("the line lacks the store's fields".into()),
        Ok(Line::Recorded(e)) => Ok(e),
    }
}

/// The chain check over lines already decoded (on other threads, say), each with its key and something `each`
/// is given with the event.
fn check_decoded<X, I, F>(items: I, mut each: F) -> ChainReport
where
    I: IntoIterator<Item = Result<(Option<u64>, Result<RecordedEvent, String>, X), String>>,
    F: FnMut(RecordedEvent, X) -> Option<String>,
{
    let mut report = ChainReport { events: 0, head: Hash::ZERO, broken: None };
    let mut last_at = None;
    for item in items {
        let expected = report.events + 1;
        let fail = |reason: String| Some(ChainBreak { position: expected, reason });
        let (key, decoded, extra) = match item {
            Ok(x) => x,
            Err(reason) => {
                report.broken = fail(reason);
                break;
            }
        };
        let broken = match decoded {
            Err(reason) => fail(reason),
            Ok(e) => {
                if key.is_some_and(|k| k != expected) {
                    fail(format!(
                        "the log has no event at position {expected}; the next is stored at {}",
                        key.unwrap_or(0)
                    ))
                } else if e.position != expected {
                    fail(format!("the line states position {}, expected {expected}", e.position))
                } else if e.prev_hash != report.head {
                    fail(format!("its prev_hash {} is not the hash {} of the line before", e.prev_hash, report.head))
                } else if last_at.is_some_and(|t| e.recorded_at < t) {
                    fail("it was recorded before the line preceding it".into())
                } else {
                    let (at, hash) = (e.recorded_at, e.hash);
                    match each(e, extra) {
                        Some(reason) => fail(reason),
                        None => {
                            last_at = Some(at);
                            report.head = hash;
                            report.events = expected;
                            None
                        }
                    }
                }
            }
        };
        if broken.is_some() {
            report.broken = broken;
            break;
        }
    }
    report
}

/// One line of a store as a backend read it for an integrity check: the position it is stored at, the line
/// decoded for the chain (or why it does not decode), and what the backend's indexes say wrong about it.
pub type CheckedLine = (Option<u64>, Result<RecordedEvent, String>, Option<String>);

/// The integrity check of a store, for every backend: follows the chain over `items` (in position order, as the
/// backend read them), hands each sound event to `each`, then asks the backend's `tail` check (with each
/// stream's last version in the log) what its indexes hold beyond the events, and checks that the log ends at
/// `head`.
///
/// # Errors
/// The first storage failure while reading.
pub fn check_store<I, T>(
    items: I,
    head: Head,
    tail: T,
    each: &mut dyn FnMut(&RecordedEvent),
) -> Result<ChainReport, ReadError>
where
    I: IntoIterator<Item = Result<CheckedLine, ReadError>>,
    T: FnOnce(&StreamVersions) -> Result<Option<(u64, String)>, ReadError>,
{
    let mut failure = None;
    let items = items.into_iter().map_while(|r| match r {
        Ok(item) => Some(Ok(item)),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let mut versions: StreamVersions = HashMap::new();
    let mut report = check_decoded(items, |e, index_problem| match index_problem {
        Some(reason) => Some(reason),
        None => {
            each(&e);
            versions.insert(e.stream, e.version);
            None
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    if report.ok() {
        if let Some((position, reason)) = tail(&versions)? {
            report.broken = Some(ChainBreak { position, reason });
            return Ok(report);
        }
    }
    if report.ok() && (report.events != head.position || report.head != head.hash) {
        report.broken = Some(ChainBreak {
            position: report.events + 1,
            reason: format!(
                "the log ends at position {} but the store's head is position {} ({})",
                report.events, head.position, head.hash
            ),
        });
    }
    Ok(report)
}

/// Checks the chain and the indexes of every line in `store`, and that the log ends at its head.
///
/// # Errors
/// A storage failure while reading.
pub fn verify_chain(store: &dyn crate::store::EventStore) -> Result<ChainReport, ReadError> {
    store.check_integrity(&mut |_| {})
}
