//! The hash chain check: recompute every line's SHA-256 and follow `prev_hash` from the first position.

use std::collections::HashMap;

use events::{Hash, Line, RecordedEvent, StreamId};

use crate::store::{ReadError, SledStore};

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
fn decode_stored(line: &[u8]) -> Result<RecordedEvent, String> {
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

/// Checks the chain of every line in `store`, that it ends at the store's head, and that the store's indexes
/// (ids, stream versions, no line past the head) agree with it.
///
/// # Errors
/// A storage failure while reading.
pub fn verify_chain(store: &SledStore) -> Result<ChainReport, ReadError> {
    verify_chain_with(store, |_| {})
}

/// As [`verify_chain`], in one read of the log, handing each sound event, in position order, to `each` (the
/// folds of `verify`).
///
/// # Errors
/// A storage failure while reading.
pub fn verify_chain_with(store: &SledStore, mut each: impl FnMut(&RecordedEvent)) -> Result<ChainReport, ReadError> {
    // Decoding, hashing and the index lookups of each line run on worker threads; the chain is followed here.
    let reader = store.clone();
    let mut failure = None;
    let items = store
        .map_ahead(1, move |position, line| {
            let decoded = decode_stored(line);
            let index = match &decoded {
                Ok(e) => reader.index_entry_problem(e)?,
                Err(_) => None,
            };
            Ok((Some(position), decoded, index))
        })
        .map_while(|r| match r {
            Ok(item) => Some(Ok(item)),
            Err(e) => {
                failure = Some(e);
                None
            }
        });
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
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
    let head = store.head();
    if report.ok() {
        if let Some((position, reason)) = store.index_tail_problem(&versions)? {
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
