//! `followup demo`: prints the embedded Amsterdam case (2013 to 2017) as the application layer reads it back
//! from a fresh store: its status, its timeline and the verification of its verdicts and chain.

use std::io::Write;
use std::path::Path;

use followup::app::Demo;
use followup::render::{labels, Lang};

use super::output::{self, Style};
use super::{Failure, Format};

/// Writes the demo: JSON `{"imported", "status", "timeline", "verdicts", "chain"}`, or text.
pub fn write(out: &mut impl Write, style: Style, demo: &Demo, dir: &Path) -> Result<(), Failure> {
    let chain = &demo.verified.chain;
    if style.format == Format::Json {
        let json = serde_json::json!({
            "imported": demo.imported,
            "status": demo.status,
            "timeline": demo.timeline,
            "verdicts": demo.verified.verification.verdicts,
            "chain": {"ok": chain.ok(), "events": chain.events, "head": chain.head.to_string()},
        });
        serde_json::to_writer(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "Nazorg aan gedetineerden (Rekenkamer Amsterdam, May 2013): {} events imported into {}\n",
        demo.imported,
        dir.display()
    )?;
    writeln!(out, "Status of the recommendations")?;
    output::status(out, style, &demo.status)?;
    let span =
        |e: Option<&projections::TimelineEntry>| e.map(|e| labels::date(Lang::En, &e.occurred)).unwrap_or_default();
    let entries = &demo.timeline.entries;
    writeln!(out, "\nTimeline, {} to {}", span(entries.first()), span(entries.last()))?;
    output::timeline(out, style, &demo.timeline, &demo.status)?;
    if demo.earlier > 0 {
        writeln!(
            out,
            "({} entries of background before the report are left out here; `followup timeline` shows them)",
            demo.earlier
        )?;
    }
    writeln!(out, "\nVerification: every verdict replayed against its evidence, and the hash chain")?;
    super::verify::write(out, style.format, style.lang, &demo.verified)?;
    Ok(())
}
