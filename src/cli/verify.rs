//! `followup verify` on the command line: the outcome of a verification as JSON or as a table and a summary.

use std::io::Write;

use followup::app::Outcome;
use followup::render::{labels, Lang};
use projections::Judgement;

use super::output::{self, cell};
use super::{Failure, Format};

fn result_word(j: Judgement) -> &'static str {
    match j {
        Judgement::Supported => "supported",
        Judgement::Unsupported => "UNSUPPORTED",
        Judgement::Undermined => "UNDERMINED",
    }
}

/// Writes the outcome: `{"verdicts": [...], "chain": {...}}` or a table and a summary.
pub fn write(out: &mut impl Write, format: Format, lang: Lang, o: &Outcome) -> Result<(), Failure> {
    let chain = &o.chain;
    if format == Format::Json {
        serde_json::to_writer(&mut *out, &o.to_json())?;
        writeln!(out)?;
        return Ok(());
    }
    let mut t = output::table(&["Recommendation", "Verdict", "As of", "Result", "Rules failed"]);
    for v in &o.verification.verdicts {
        let failures: Vec<String> = v.failures.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect();
        t.add_row(vec![
            cell(format!("{}\n{}", v.recommendation, v.event_id)),
            cell(labels::verdict(lang, v.verdict)),
            cell(labels::date(lang, &v.as_of)),
            cell(match v.superseded_by {
                Some(by) => format!("{}, superseded by\n{by}", result_word(v.result)),
                None => result_word(v.result).to_owned(),
            }),
            cell(failures.join("\n")),
        ]);
    }
    writeln!(out, "{t}")?;
    let count = |j| o.verification.verdicts.iter().filter(|v| v.result == j).count();
    let superseded = o.verification.verdicts.len() - o.verification.standing().count();
    writeln!(
        out,
        "{} verdicts: {} supported, {} unsupported, {} undermined{}",
        o.verification.verdicts.len(),
        count(Judgement::Supported),
        count(Judgement::Unsupported),
        count(Judgement::Undermined),
        if superseded == 0 {
            String::new()
        } else {
            format!("; {superseded} superseded, which the exit code does not judge")
        }
    )?;
    match (&chain.broken, o.known_head) {
        (None, Some((position, head))) => writeln!(
            out,
            "Hash chain intact: {} events; verdicts verified against the log as known then: position {position}, head \
             {head}",
            chain.events
        )?,
        (None, None) => writeln!(
            out,
            "Hash chain intact: {} events; verdicts verified against log head {}",
            chain.events, chain.head
        )?,
        (Some(b), _) => writeln!(
            out,
            "Hash chain BROKEN at position {}: {} ({} events sound before it, last sound hash {})",
            b.position, b.reason, chain.events, chain.head
        )?,
    }
    match o.expected_head {
        Some((expected, true)) => writeln!(out, "The log ends at the expected head {expected}.")?,
        Some((expected, false)) => writeln!(
            out,
            "The log does NOT end at the expected head {expected}: it ends at {} after {} events (cut short, extended \
             or another log)",
            chain.head, chain.events
        )?,
        None => {}
    }
    Ok(())
}
