//! Verification: judge every verdict against its evidence (rules V1 to V5 of `projections::verify`) and check the
//! hash chain, of a store or of an exported file, in one read of the log.

use std::io::BufRead;

use events::{Hash, Line, RecordedEvent};
use projections::{Verification, VerifyFold, Window};

use super::AppError;
use crate::chain::{self, ChainReport};
use crate::import::Lines;
use crate::store::EventStore;

/// Exit code when a verdict is not supported.
pub const EXIT_UNSUPPORTED: u8 = 1;
/// Exit code when the log's integrity fails.
pub const EXIT_INTEGRITY: u8 = 2;
/// Exit code when verification could not run (an unreadable file, a missing store, bad arguments).
pub const EXIT_ERROR: u8 = 3;

/// The outcome of a verification: verdicts and chain.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Every verdict judged.
    pub verification: Verification,
    /// The chain check.
    pub chain: ChainReport,
    /// With `known_at`: the last position and hash the log held at that instant.
    pub known_head: Option<(u64, Hash)>,
    /// With an expected head: the hash expected and whether the log ends there.
    pub expected_head: Option<(Hash, bool)>,
}

impl Outcome {
    /// 0 when every verdict is supported and the chain intact, 1 when a verdict is not, 2 when integrity fails.
    pub fn exit_code(&self) -> u8 {
        if !self.chain.ok() || self.expected_head.is_some_and(|(_, matched)| !matched) {
            EXIT_INTEGRITY
        } else if !self.verification.all_supported() {
            EXIT_UNSUPPORTED
        } else {
            0
        }
    }

    /// The outcome as JSON: `{"verdicts": [...], "retracted": [...], "chain": {"ok", "events", "head", "broken",
    /// "known_at", "expected_head"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let chain = &self.chain;
        serde_json::json!({
            "verdicts": self.verification.verdicts,
            "retracted": self.verification.retracted,
            "chain": {
                "ok": chain.ok(),
                "events": chain.events,
                "head": chain.head.to_string(),
                "broken": chain.broken.as_ref().map(|b| serde_json::json!({"position": b.position, "reason": b.reason})),
                "known_at": self.known_head.map(|(p, h)| serde_json::json!({"position": p, "head": h.to_string()})),
                "expected_head": self.expected_head.map(|(h, matched)| serde_json::json!({"hash": h.to_string(), "matched": matched})),
            },
        })
    }
}

/// The verdicts' fold through a window, noting the last event known at `window.known_at`.
struct Judge {
    fold: VerifyFold,
    window: Window,
    known: (u64, Hash),
}

impl Judge {
    fn new(window: Window) -> Judge {
        Judge { fold: VerifyFold::new(), window, known: (0, Hash::ZERO) }
    }

    fn apply(&mut self, e: &RecordedEvent) {
        if self.window.known(e) {
            self.known = (e.position, e.hash);
        }
        self.fold.apply(e);
    }

    fn outcome(self, chain: ChainReport, expect_head: Option<Hash>) -> Outcome {
        let known_head = self.window.known_at.map(|_| self.known);
        let expected_head = expect_head.map(|h| (h, chain.ok() && chain.head == h));
        Outcome { verification: self.fold.snapshot(self.window), chain, known_head, expected_head }
    }
}

/// Verifies a store in one read of its log: its chain and indexes, and its verdicts through `window`, judged on
/// the sound part of the log (the events before the first bad one). With `expect_head`, the log must end there.
///
/// # Errors
/// A storage failure while reading.
pub fn verify_store(store: &dyn EventStore, window: Window, expect_head: Option<Hash>) -> Result<Outcome, AppError> {
    let mut judge = Judge::new(window);
    let chain = store.check_integrity(&mut |e| judge.apply(e))?;
    Ok(judge.outcome(chain, expect_head))
}

/// Verifies an exported log without a store. Lines are read as import reads them (a byte order mark, CRLF line
/// ends and blank lines are not part of any line); every byte of every line is checked by the chain; verdicts
/// are judged on the lines before the first bad one.
///
/// # Errors
/// [`AppError::Io`] when the input cannot be read; [`AppError::NotAnExport`] when its first line is an input line
/// (an import file, not an export), [`AppError::NotJsonLines`] when it is no JSON object (a CSV): there is no
/// chain to check.
pub fn verify_log(input: impl BufRead, window: Window, expect_head: Option<Hash>) -> Result<Outcome, AppError> {
    let mut failure = None;
    // What the first line is, once it is read: an input line, no JSON object at all (a CSV), or neither.
    #[derive(PartialEq)]
    enum First {
        Input,
        NotJson,
        Other,
    }
    let mut first: Option<First> = None;
    let lines = Lines::new(input, |_| {}).map_while(|item| match item {
        Ok((number, line)) => Some(line.map(|bytes| (None, bytes)).ok_or_else(|| {
            format!("line {number} is longer than the limit of {} bytes", events::MAX_STORED_LINE_BYTES)
        })),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let lines = lines.inspect(|item| {
        if first.is_none() {
            first = Some(match item {
                Ok((_, bytes)) if matches!(events::decode(bytes), Ok(Line::New(_))) => First::Input,
                Ok((_, bytes)) if !bytes.trim_ascii_start().starts_with(b"{") => First::NotJson,
                _ => First::Other,
            });
        }
    });
    let mut judge = Judge::new(window);
    let chain = chain::check_chain_with(lines, |e| {
        judge.apply(&e);
        None
    });
    if let Some(e) = failure {
        return Err(AppError::Io(e));
    }
    match first {
        Some(First::Input) => return Err(AppError::NotAnExport),
        Some(First::NotJson) => return Err(AppError::NotJsonLines),
        _ => {}
    }
    Ok(judge.outcome(chain, expect_head))
}

/// Verifies events already in memory, with their chain from `chain`.
pub fn verify_events(events: &[RecordedEvent], chain: ChainReport) -> Outcome {
    Outcome {
        verification: projections::verify_verdicts(events, Window::default()),
        chain,
        known_head: None,
        expected_head: None,
    }
}
