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

/// Whether the table of verdicts names each assessment's event id under its recommendation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    /// Ids shown (`verify`: they find the event in the log).
    Shown,
    /// No ids (the demo, whose store is gone when it ends); a superseding verdict is named by its as-of date.
    /// JSON keeps them either way.
    Hidden,
}

/// Writes the outcome: `{"verdicts": [...], "chain": {...}}` or a table and a summary, with event ids.
pub fn write(out: &mut impl Write, format: Format, lang: Lang, o: &Outcome) -> Result<(), Failure> {
    write_with(out, format, lang, o, Ids::Shown)
}

/// Writes the outcome as [`write`], the table with or without event ids. The table lists verdicts by report,
/// recommendation number, as-of date and position, the order a reader follows; JSON keeps log order.
pub fn write_with(out: &mut impl Write, format: Format, lang: Lang, o: &Outcome, ids: Ids) -> Result<(), Failure> {
    let chain = &o.chain;
    if format == Format::Json {
        serde_json::to_writer(&mut *out, &o.to_json())?;
        writeln!(out)?;
        return Ok(());
    }
    let verdicts = &o.verification.verdicts;
    let mut order: Vec<&projections::VerdictCheck> = verdicts.iter().collect();
    order.sort_by_key(|v| {
        (v.recommendation.report(), v.recommendation.recommendation(), v.as_of.start(), v.as_of.end(), v.position)
    });
    let mut t = output::table(&["Recommendation", "Verdict", "As of", "Result", "Rules failed"]);
    for v in order {
        let failures: Vec<String> = v.failures.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect();
        let successor = |by: events::EventId| match ids {
            Ids::Shown => by.to_string(),
            Ids::Hidden => verdicts
                .iter()
                .find(|s| s.event_id == by)
                .map(|s| match lang {
                    Lang::En => format!("the verdict as of {}", labels::date(lang, &s.as_of)),
                    Lang::Nl => format!("het oordeel per {}", labels::date(lang, &s.as_of)),
                })
                .unwrap_or_else(|| {
                    match lang {
                        Lang::En => "a later verdict",
                        Lang::Nl => "een later oordeel",
                    }
                    .to_owned()
                }),
        };
        t.add_row(vec![
            cell(match ids {
                Ids::Shown => format!("{}\n{}", v.recommendation, v.event_id),
                Ids::Hidden => v.recommendation.to_string(),
            }),
            cell(labels::verdict(lang, v.verdict)),
            cell(labels::date(lang, &v.as_of)),
            cell(match v.superseded_by {
                Some(by) => format!("{}, superseded by\n{}", result_word(v.result), successor(by)),
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
