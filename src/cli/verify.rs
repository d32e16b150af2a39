//! `followup verify`: replay the log, judge every verdict, and check the hash chain, of a store or of an
//! exported file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use comfy_table::Cell;
use events::{Line, RecordedEvent};
use followup::{ChainReport, SledStore};
use projections::{Judgement, Verification, VerifyFold, Window};

use super::{human, output};
use crate::Format;

/// Exit code when a verdict is not supported.
pub const EXIT_UNSUPPORTED: u8 = 1;
/// Exit code when the log's integrity fails.
pub const EXIT_INTEGRITY: u8 = 2;

/// The outcome of a verification: verdicts and chain.
pub struct Outcome {
    /// Every verdict judged.
    pub verification: Verification,
    /// The chain check.
    pub chain: ChainReport,
}

impl Outcome {
    /// 0 when every verdict is supported and the chain intact, 1 when a verdict is not, 2 when integrity fails.
    pub fn exit_code(&self) -> u8 {
        if !self.chain.ok() {
            EXIT_INTEGRITY
        } else if !self.verification.all_supported() {
            EXIT_UNSUPPORTED
        } else {
            0
        }
    }
}

/// Verifies a store: its chain, then its verdicts through `window`.
pub fn store(store: &SledStore, window: Window) -> Result<Outcome> {
    let chain = followup::verify_chain(store)?;
    let mut fold = VerifyFold::new(window);
    for e in store.events(1) {
        fold.apply(&e?);
    }
    Ok(Outcome { verification: fold.finish(), chain })
}

/// Verifies an exported log without a store: every byte of every line is checked by the chain; verdicts are
/// judged on the lines before the first bad one.
pub fn log(path: &Path, window: Window) -> Result<Outcome> {
    let bytes = std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let chain = followup::check_chain(lines.iter().map(|l| Ok((None, l.to_vec()))));
    let mut fold = VerifyFold::new(window);
    for line in lines.iter().take(chain.events as usize) {
        if let Ok(Line::Recorded(e)) = events::decode(line) {
            fold.apply(&e);
        }
    }
    Ok(Outcome { verification: fold.finish(), chain })
}

/// Verifies events already in memory (the demo's), with their chain from `chain`.
pub fn events(events: &[RecordedEvent], chain: ChainReport) -> Outcome {
    Outcome { verification: projections::verify_verdicts(events, Window::default()), chain }
}

fn result_word(j: Judgement) -> &'static str {
    match j {
        Judgement::Supported => "supported",
        Judgement::Unsupported => "UNSUPPORTED",
        Judgement::Undermined => "UNDERMINED",
    }
}

/// Writes the outcome: `{"verdicts": [...], "chain": {...}}` or a table and a summary.
pub fn write(out: &mut impl Write, format: Format, o: &Outcome) -> Result<()> {
    let chain = &o.chain;
    if format == Format::Json {
        let json = serde_json::json!({
            "verdicts": o.verification.verdicts,
            "chain": {
                "ok": chain.ok(),
                "events": chain.events,
                "head": chain.head.to_string(),
                "broken": chain.broken.as_ref().map(|b| serde_json::json!({"position": b.position, "reason": b.reason})),
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
            Cell::new(human::verdict(v.verdict)),
            Cell::new(human::date(&v.as_of)),
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
