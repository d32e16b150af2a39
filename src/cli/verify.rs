//! `followup verify`: replay the log, judge every verdict, and check the hash chain, of a store or of an
//! exported file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use comfy_table::Cell;
use events::RecordedEvent;
use followup::{ChainReport, SledStore};
use projections::{Judgement, Verification, VerifyFold, Window};

use super::output;
use crate::Format;
use followup::render::{labels, Lang};

/// Exit code when a verdict is not supported.
pub const EXIT_UNSUPPORTED: u8 = 1;
/// Exit code when the log's integrity fails.
pub const EXIT_INTEGRITY: u8 = 2;

/// Exit code when verification could not run (an unreadable file, a missing store, bad arguments).
pub const EXIT_ERROR: u8 = 3;

/// The outcome of a verification: verdicts and chain.
pub struct Outcome {
    /// Every verdict judged.
    pub verification: Verification,
    /// The chain check.
    pub chain: ChainReport,
    /// With `--known-at`: the last position and hash the log held at that instant.
    pub known_head: Option<(u64, events::Hash)>,
    /// With `--expect-head`: the hash expected and whether the log ends there.
    pub expected_head: Option<(events::Hash, bool)>,
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
}

/// The verdicts' fold through a window, noting the last event known at `window.known_at`.
struct Judge {
    fold: VerifyFold,
    window: Window,
    known: (u64, events::Hash),
}

impl Judge {
    fn new(window: Window) -> Judge {
        Judge { fold: VerifyFold::new(), window, known: (0, events::Hash::ZERO) }
    }

    fn apply(&mut self, e: &RecordedEvent) {
        if self.window.known(e) {
            self.known = (e.position, e.hash);
        }
        self.fold.apply(e);
    }

    fn finish(self) -> (Verification, Option<(u64, events::Hash)>) {
        (self.fold.snapshot(self.window), self.window.known_at.map(|_| self.known))
    }
}

/// Verifies a store in one read of its log: its chain and indexes, and its verdicts through `window`, judged on
/// the sound part of the log (the events before the first bad one).
pub fn store(store: &SledStore, window: Window, expect_head: Option<events::Hash>) -> Result<Outcome> {
    let mut judge = Judge::new(window);
    let chain = followup::verify_chain_with(store, |e| judge.apply(e))?;
    let (verification, known_head) = judge.finish();
    let expected_head = expect_head.map(|h| (h, chain.ok() && chain.head == h));
    Ok(Outcome { verification, chain, known_head, expected_head })
}

/// Verifies an exported log without a store. Lines are read as import reads them (a byte order mark, CRLF line
/// ends and blank lines are not part of any line); every byte of every line is checked by the chain; verdicts
/// are judged on the lines before the first bad one.
pub fn log(path: &Path, window: Window, expect_head: Option<events::Hash>) -> Result<Outcome> {
    let file = std::fs::File::open(path).with_context(|| format!("could not read {}", path.display()))?;
    let mut failure = None;
    let lines = followup::Lines::new(std::io::BufReader::new(file), |_| {}).map_while(|item| match item {
        Ok((number, line)) => Some(line.map(|bytes| (None, bytes)).ok_or_else(|| {
            format!("line {number} is longer than the limit of {} bytes", events::MAX_STORED_LINE_BYTES)
        })),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let mut judge = Judge::new(window);
    let chain = followup::check_chain_with(lines, |e| {
        judge.apply(&e);
        None
    });
    if let Some(e) = failure {
        return Err(anyhow::Error::from(e).context(format!("could not read {}", path.display())));
    }
    let (verification, known_head) = judge.finish();
    let expected_head = expect_head.map(|h| (h, chain.ok() && chain.head == h));
    Ok(Outcome { verification, chain, known_head, expected_head })
}

/// Verifies events already in memory (the demo's), with their chain from `chain`.
pub fn events(events: &[RecordedEvent], chain: ChainReport) -> Outcome {
    Outcome {
        verification: projections::verify_verdicts(events, Window::default()),
        chain,
        known_head: None,
        expected_head: None,
    }
}

fn result_word(j: Judgement) -> &'static str {
    match j {
        Judgement::Supported => "supported",
        Judgement::Unsupported => "UNSUPPORTED",
        Judgement::Undermined => "UNDERMINED",
    }
}

/// Writes the outcome: `{"verdicts": [...], "chain": {...}}` or a table and a summary.
pub fn write(out: &mut impl Write, format: Format, lang: Lang, o: &Outcome) -> Result<()> {
    let chain = &o.chain;
    if format == Format::Json {
        let json = serde_json::json!({
            "verdicts": o.verification.verdicts,
            "retracted": o.verification.retracted,
            "chain": {
                "ok": chain.ok(),
                "events": chain.events,
                "head": chain.head.to_string(),
                "broken": chain.broken.as_ref().map(|b| serde_json::json!({"position": b.position, "reason": b.reason})),
                "known_at": o.known_head.map(|(p, h)| serde_json::json!({"position": p, "head": h.to_string()})),
                "expected_head": o.expected_head.map(|(h, matched)| serde_json::json!({"hash": h.to_string(), "matched": matched})),
            },
        });
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    let mut t = output::table(&["Recommendation", "Verdict", "As of", "Result", "Rules failed"]);
    for v in &o.verification.verdicts {
        let failures: Vec<String> = v.failures.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect();
        t.add_row(vec![
            Cell::new(format!("{}\n{}", v.recommendation, v.event_id)),
            Cell::new(labels::verdict(lang, v.verdict)),
            Cell::new(labels::date(lang, &v.as_of)),
            Cell::new(result_word(v.result)),
            Cell::new(failures.join("\n")),
        ]);
    }
    writeln!(out, "{t}")?;
    let count = |j| o.verification.verdicts.iter().filter(|v| v.result == j).count();
    writeln!(
        out,
        "{} verdicts: {} supported, {} unsupported, {} undermined",
        o.verification.verdicts.len(),
        count(Judgement::Supported),
        count(Judgement::Unsupported),
        count(Judgement::Undermined)
    )?;
    match &chain.broken {
        None => writeln!(
            out,
            "Hash chain intact: {} events; verdicts verified against log head {}",
            chain.events, chain.head
        )?,
        Some(b) => writeln!(
            out,
            "Hash chain BROKEN at position {}: {} ({} events sound before it, last sound hash {})",
            b.position, b.reason, chain.events, chain.head
        )?,
    }
    Ok(())
}
