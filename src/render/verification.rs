//! The outcome of a verification as JSON or as a table and a summary (`followup verify`).

use std::io::Write;

use crate::app::Outcome;
use crate::render::{labels, Lang};
use projections::Judgement;

use super::output::{self, cell, Format, OutputError};

/// A judgement as the table writes it: the failures in capitals, so that they stand out.
fn result_word(lang: Lang, j: Judgement) -> String {
    match j {
        Judgement::Supported => labels::judgement(lang, j).to_owned(),
        Judgement::Unsupported | Judgement::Undermined => labels::judgement(lang, j).to_uppercase(),
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
pub fn write(out: &mut impl Write, format: Format, lang: Lang, o: &Outcome) -> Result<(), OutputError> {
    write_with(out, format, lang, o, Ids::Shown)
}

/// Writes the outcome as [`write`], the table with or without event ids. The table lists verdicts by report,
/// recommendation number, as-of date and position, the order a reader follows; JSON keeps log order.
pub fn write_with(out: &mut impl Write, format: Format, lang: Lang, o: &Outcome, ids: Ids) -> Result<(), OutputError> {
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
    let mut t = output::table(&match lang {
        Lang::En => ["Recommendation", "Verdict", "As of", "Result", "Rules failed"],
        Lang::Nl => ["Aanbeveling", "Oordeel", "Stand per", "Uitkomst", "Regels geschonden"],
    });
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
            cell(labels::verdict_labelled(lang, v.verdict, v.label.as_deref())),
            cell(labels::date(lang, &v.as_of)),
            cell(match v.superseded_by {
                Some(by) => format!(
                    "{}, {}\n{}",
                    result_word(lang, v.result),
                    lang.pick("superseded by", "vervangen door"),
                    successor(by)
                ),
                None => result_word(lang, v.result),
            }),
            cell(failures.join("\n")),
        ]);
    }
    writeln!(out, "{t}")?;
    let count = |j| o.verification.verdicts.iter().filter(|v| v.result == j).count();
    let superseded = o.verification.verdicts.len() - o.verification.standing().count();
    let (all, supported, unsupported, undermined) = (
        o.verification.verdicts.len(),
        count(Judgement::Supported),
        count(Judgement::Unsupported),
        count(Judgement::Undermined),
    );
    match lang {
        Lang::En => writeln!(
            out,
            "{all} verdicts: {supported} supported, {unsupported} unsupported, {undermined} undermined{}",
            if superseded == 0 {
                String::new()
            } else {
                format!("; {superseded} superseded, which the exit code does not judge")
            }
        )?,
        Lang::Nl => writeln!(
            out,
            "{all} oordelen: {supported} onderbouwd, {unsupported} niet onderbouwd, {undermined} ondermijnd{}",
            if superseded == 0 {
                String::new()
            } else {
                format!("; {superseded} vervangen, die de exitcode niet beoordeelt")
            }
        )?,
    }
    let (events, head) = (chain.events, chain.head);
    match (&chain.broken, o.known_head, lang) {
        (None, Some((position, known)), Lang::En) => writeln!(
            out,
            "Hash chain intact: {events} events; verdicts verified against the log as known then: position {position}, \
             head {known}"
        )?,
        (None, Some((position, known)), Lang::Nl) => writeln!(
            out,
            "Hashketen intact: {events} gebeurtenissen; oordelen getoetst aan het log zoals het toen bekend was: \
             positie {position}, kop {known}"
        )?,
        (None, None, Lang::En) => {
            writeln!(out, "Hash chain intact: {events} events; verdicts verified against log head {head}")?
        }
        (None, None, Lang::Nl) => {
            writeln!(out, "Hashketen intact: {events} gebeurtenissen; oordelen getoetst aan de kop van het log {head}")?
        }
        (Some(b), _, Lang::En) => writeln!(
            out,
            "Hash chain BROKEN at position {}: {} ({events} events sound before it, last sound hash {head})",
            b.position, b.reason
        )?,
        (Some(b), _, Lang::Nl) => writeln!(
            out,
            "Hashketen GEBROKEN op positie {}: {} ({events} gebeurtenissen gaaf daarvoor, laatste gave hash {head})",
            b.position, b.reason
        )?,
    }
    match (o.expected_head, lang) {
        (Some((expected, true)), Lang::En) => writeln!(out, "The log ends at the expected head {expected}.")?,
        (Some((expected, true)), Lang::Nl) => writeln!(out, "Het log eindigt op de verwachte kop {expected}.")?,
        (Some((expected, false)), Lang::En) => writeln!(
            out,
            "The log does NOT end at the expected head {expected}: it ends at {head} after {events} events (cut \
             short, extended or another log)"
        )?,
        (Some((expected, false)), Lang::Nl) => writeln!(
            out,
            "Het log eindigt NIET op de verwachte kop {expected}: het eindigt op {head} na {events} gebeurtenissen \
             (ingekort, verlengd of een ander log)"
        )?,
        (None, _) => {}
    }
    Ok(())
}
