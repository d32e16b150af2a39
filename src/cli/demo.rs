//! `followup demo`: prints the embedded Amsterdam case (2013 to 2017) as the application layer reads it back
//! from a fresh temporary store: its status, its summary, its timeline and the verification of its verdicts and
//! chain.

use std::io::Write;

use followup::app::Demo;
use followup::render::{labels, Lang};

use super::output::{self, Style};
use super::{Failure, Format};

/// Writes the demo: JSON `{"imported", "status", "summary_on", "summary", "timeline", "verdicts", "chain"}`
/// (`verdicts` with their event ids), or text (the verification without ids, by recommendation).
pub fn write(out: &mut impl Write, style: Style, demo: &Demo) -> Result<(), Failure> {
    let chain = &demo.verified.chain;
    let lang = style.lang;
    if style.format == Format::Json {
        let json = serde_json::json!({
            "imported": demo.imported,
            "status": demo.status,
            "summary_on": demo.summary_on.to_string(),
            "summary": demo.summary,
            "timeline": demo.timeline,
            "verdicts": demo.verified.verification.verdicts,
            "chain": {"ok": chain.ok(), "events": chain.events, "head": chain.head.to_string()},
        });
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    let imported = match lang {
        Lang::En => {
            format!("{} events imported into a temporary store, which is removed when the demo ends", demo.imported)
        }
        Lang::Nl => format!(
            "{} gebeurtenissen ingelezen in een tijdelijke opslag, die verdwijnt als de demo eindigt",
            demo.imported
        ),
    };
    let case = demo.status.reports.first().map(|r| labels::report(lang, r)).unwrap_or_default();
    writeln!(out, "{case}: {imported}\n")?;
    writeln!(out, "{}", lang.pick("Status of the recommendations", "Stand van zaken per aanbeveling"))?;
    output::status(out, style, &demo.status)?;
    let on = labels::date(
        lang,
        &events::PartialDate::parse(&demo.summary_on.to_string()).map_err(|e| Failure::invalid(e.to_string()))?,
    );
    match lang {
        Lang::En => writeln!(out, "\nSummary on {on}, the date of the latest verdict")?,
        Lang::Nl => writeln!(out, "\nSamenvatting op {on}, de datum van het laatste oordeel")?,
    }
    output::summary(out, style, &demo.summary)?;
    let span = |e: Option<&projections::TimelineEntry>| e.map(|e| labels::date(lang, &e.occurred)).unwrap_or_default();
    let entries = &demo.timeline.entries;
    let (first, last) = (span(entries.first()), span(entries.last()));
    match lang {
        Lang::En => writeln!(out, "\nTimeline, {first} to {last}")?,
        Lang::Nl => writeln!(out, "\nTijdlijn, {first} tot en met {last}")?,
    }
    output::timeline(out, style, &demo.timeline, &demo.status)?;
    if demo.earlier > 0 {
        match lang {
            Lang::En => writeln!(
                out,
                "({} entries of background before the report are left out here; `followup timeline` shows them)",
                demo.earlier
            )?,
            Lang::Nl => writeln!(
                out,
                "({} gebeurtenissen van vóór het rapport zijn hier weggelaten; `followup timeline` toont ze)",
                demo.earlier
            )?,
        }
    }
    writeln!(
        out,
        "\n{}",
        lang.pick(
            "Verification: every verdict replayed against its evidence, and the hash chain",
            "Verificatie: elk oordeel opnieuw getoetst aan zijn onderbouwing, en de hashketen"
        )
    )?;
    super::verify::write_with(out, style.format, lang, &demo.verified, super::verify::Ids::Hidden)?;
    Ok(())
}
