//! `followup report --out DIR`: the full pack for a follow-up report: `index.html` (summary, status table, chart,
//! per-recommendation timelines with sources), `timeline.md` and `status.csv`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use events::{Body, PartialDate, Timestamp};
use followup::render::{self, Lang};
use followup::SledStore;
use projections::{StatusFold, TimelineFilter, TimelineFold, Window};

/// Writes the pack into `dir` and returns the files written.
pub fn write(
    store: &SledStore,
    dir: &Path,
    lang: Lang,
    as_of: Option<PartialDate>,
    known_at: Option<Timestamp>,
    title: Option<&str>,
    bom: bool,
) -> Result<Vec<PathBuf>> {
    let day = as_of.as_ref().map_or_else(crate::today, |d| d.end());
    let window = Window { as_of: Some(day), known_at };
    let mut status = StatusFold::new();
    let mut timeline = TimelineFold::new();
    let mut titles = Vec::new();
    for e in store.events_ahead(1) {
        let e = e?;
        if let Body::ReportPublished(b) = &e.body {
            titles.push(b.title.clone());
        }
        status.apply(&e);
        timeline.apply(&e);
    }
    let status = status.snapshot(window);
    let timeline = timeline.snapshot(window, &TimelineFilter::default()).entries(|p| store.event(p))?;
    let summary = projections::summary(&status, day);
    let title = match (title, titles.as_slice()) {
        (Some(t), _) => t.to_owned(),
        (None, [one]) => one.clone(),
        (None, many) => match lang {
            Lang::En => format!("Follow-up of {} reports", many.len()),
            Lang::Nl => format!("Opvolging van {} rapporten", many.len()),
        },
    };
    let as_of = render::labels::date(lang, &PartialDate::parse(&day.to_string())?);
    let generated = match lang {
        Lang::En => format!("The log as it stood on {as_of}; its SHA-256 head {}.", store.head().hash),
        Lang::Nl => format!("Het logboek zoals het was op {as_of}; SHA-256-kop {}.", store.head().hash),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let files = [
        ("index.html", render::html::report_page(&status, &timeline, &summary, lang, &title, &generated)),
        ("timeline.md", render::markdown::timeline(&timeline, &status, lang)),
        ("status.csv", render::csv::status(&status, lang, bom)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
