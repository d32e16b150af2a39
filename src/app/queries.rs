//! Queries: the status of every recommendation, timelines, the summary, overdue commitments, the export and the
//! report pack, each through a window.

use std::io::Write;

use events::{Date, PartialDate, RecordedEvent, StreamId, Timestamp};
use projections::{Overdue, Status, StatusFold, Summary, Timeline, TimelineFilter, TimelineFold, Window};

use super::AppError;
use crate::render::{self, Lang};
use crate::store::{EventStore, ReadError};

/// The read models every query is answered from: the status, verification and timeline folds, fed event by
/// event in position order. A command line query folds the events it needs into fresh models; the server keeps
/// one set current from the store's subscription, so it answers without replaying the log. Either way the answer
/// is the same: each fold answers for any window exactly what a fresh fold of the events so far answers
/// (`tests/live.rs`).
pub struct ReadModels {
    status: StatusFold,
    verify: Option<projections::VerifyFold>,
    timeline: Option<TimelineFold>,
    position: u64,
    hash: events::Hash,
}

/// One page of the register ([`ReadModels::register`]).
#[derive(Debug)]
pub struct RegisterPage {
    /// Every report, for choosing one.
    pub reports: Vec<projections::ReportEntry>,
    /// The recommendations of the page, by report and number.
    pub rows: Vec<projections::RecommendationStatus>,
    /// Their commitments overdue on the day.
    pub overdue: Vec<Overdue>,
    /// The report the next page begins at, if there is more.
    pub next: Option<String>,
}

/// Which folds a set of [`ReadModels`] keeps: a command line query folds only what it asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Folds {
    /// Status and verification: status, summary, due.
    Status,
    /// Status and timeline order: a timeline and its headings.
    Timeline,
    /// All three: the server's live models, the report pack.
    All,
}

impl Default for ReadModels {
    fn default() -> ReadModels {
        ReadModels::new(Folds::All)
    }
}

impl ReadModels {
    /// Models that have seen no event, keeping `folds`.
    pub fn new(folds: Folds) -> ReadModels {
        ReadModels {
            status: StatusFold::new(),
            verify: (folds != Folds::Timeline).then(projections::VerifyFold::new),
            timeline: (folds != Folds::Status).then(TimelineFold::new),
            position: 0,
            hash: events::Hash::ZERO,
        }
    }

    /// Models keeping `folds`, fed `events` (in position order).
    ///
    /// # Errors
    /// The first read failure among `events`.
    pub fn fold(
        events: impl Iterator<Item = Result<RecordedEvent, ReadError>>,
        folds: Folds,
    ) -> Result<ReadModels, AppError> {
        let mut models = ReadModels::new(folds);
        for e in events {
            models.apply(&e?);
        }
        Ok(models)
    }

    /// Feeds one event, the next in position order.
    pub fn apply(&mut self, e: &RecordedEvent) {
        self.status.apply(e);
        if let Some(v) = &mut self.verify {
            v.apply(e);
        }
        if let Some(t) = &mut self.timeline {
            t.apply(e);
        }
        self.position = e.position;
        self.hash = e.hash;
    }

    /// The position of the last event fed (0 before any).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The hash of the last event fed ([`events::Hash::ZERO`] before any).
    pub fn hash(&self) -> events::Hash {
        self.hash
    }

    /// The status through `window`, of one report if given (a report id), judged when the models keep
    /// verification.
    fn status_of(&self, window: Window, report: Option<&str>) -> Status {
        let mut status = self.status.snapshot_of(window, report);
        if let Some(v) = &self.verify {
            projections::judge(&mut status, &v.snapshot_of(window, report));
        }
        status
    }

    /// The timeline order through `window` and `filter` (empty when the models keep no timeline).
    fn timeline_order(&self, window: Window, filter: &TimelineFilter) -> projections::TimelineOrder {
        match &self.timeline {
            Some(t) => t.snapshot(window, filter),
            None => TimelineFold::new().snapshot(window, filter),
        }
    }

    /// The status through `window`, each verdict judged by verification through the same window; of one report
    /// if given, and with `owner` only the recommendations it owns. `store` says whether it holds the report.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a report the store holds no stream of; a damaged store.
    pub fn status(
        &self,
        store: &dyn EventStore,
        window: Window,
        report: Option<&StreamId>,
        owner: Option<&str>,
    ) -> Result<Status, AppError> {
        if let Some(r) = report {
            held(store, r)?;
        }
        let mut status = self.status_of(window, report.map(StreamId::report));
        if let Some(name) = owner {
            status.recommendations.retain(|r| r.owned_by(name));
        }
        Ok(status)
    }

    /// One page of the register through `window`: the status of the reports from `from` on (a report id,
    /// inclusive; from the first when `None`), report after report in id order, until the page holds at least `rows`
    /// recommendations that `keep` keeps (given each with its commitments overdue on `day`); with the id of the
    /// report the next page begins at, if any. With `report`, that report alone. `reports` lists every report for
    /// choosing one ([`StatusFold::report_entries`]).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a `report` the store holds no stream of; a damaged store.
    #[allow(clippy::too_many_arguments)]
    pub fn register(
        &self,
        store: &dyn EventStore,
        window: Window,
        day: Date,
        report: Option<&StreamId>,
        from: Option<&str>,
        rows: usize,
        keep: impl Fn(&projections::RecommendationStatus, usize) -> bool,
    ) -> Result<RegisterPage, AppError> {
        if let Some(r) = report {
            held(store, r)?;
        }
        let ids: Vec<&str> = match report {
            Some(r) => vec![r.report()],
            None => self.status.reports().into_iter().filter(|id| from.is_none_or(|f| *id >= f)).collect(),
        };
        let mut page = RegisterPage {
            reports: self.status.report_entries(window),
            rows: Vec::new(),
            overdue: Vec::new(),
            next: None,
        };
        for id in &ids {
            if page.rows.len() >= rows {
                page.next = Some((*id).to_owned());
                break;
            }
            let status = self.status_of(window, Some(id));
            let overdue = projections::overdue(&status, day);
            for r in status.recommendations {
                let late: Vec<&Overdue> = overdue.iter().filter(|o| o.recommendation == r.id).collect();
                if keep(&r, late.len()) {
                    page.overdue.extend(late.into_iter().cloned());
                    page.rows.push(r);
                }
            }
        }
        Ok(page)
    }

    /// The timeline `q` asks for, in timeline order, its entries read from `store` by position, with the status
    /// of the recommendations it concerns (not judged: for the renderers' headings).
    ///
    /// # Errors
    /// As [`timeline`].
    pub fn timeline(&self, store: &dyn EventStore, q: &TimelineQuery) -> Result<(Timeline, Status), AppError> {
        q.check()?;
        if let Some(stream) = &q.stream {
            stream_held(store, stream)?;
        }
        let filter = TimelineFilter {
            stream: q.stream.clone(),
            from: q.from.as_ref().map(|d| d.start()),
            to: q.to.as_ref().map(|d| d.end()),
        };
        let mut status = self.status.snapshot_of(q.window, q.stream.as_ref().map(StreamId::report));
        status.anomalies.clear();
        if let Some(stream) = &q.stream {
            status
                .recommendations
                .retain(|r| r.report == stream.report() && stream.recommendation().is_none_or(|n| n == r.number));
        }
        let timeline = self.timeline_order(q.window, &filter).entries(|p| store.event(p))?;
        Ok((timeline, status))
    }

    /// The summary on `day` (events that certainly occurred by then, overdue on it), of one report if given.
    ///
    /// # Errors
    /// As [`ReadModels::status`].
    pub fn summary(
        &self,
        store: &dyn EventStore,
        report: Option<&StreamId>,
        day: Date,
        known_at: Option<Timestamp>,
    ) -> Result<Summary, AppError> {
        let window = Window { as_of: Some(day), known_at };
        if report.is_some() {
            return Ok(projections::summary(&self.status(store, window, report, None)?, day));
        }
        // Report after report: the whole status is never held.
        let mut summing = projections::Summing::new(day);
        for r in self.status.reports() {
            summing.add(&self.status_of(window, Some(r)));
        }
        Ok(summing.finish())
    }

    /// The counts and rate of the current verdicts on `scale` (as [`ReadModels::summary`] counts them on
    /// followup's): per report (or of `report` alone) and overall.
    ///
    /// # Errors
    /// As [`ReadModels::summary`].
    pub fn on_scale(
        &self,
        store: &dyn EventStore,
        report: Option<&StreamId>,
        (day, known_at): (Date, Option<Timestamp>),
        scale: projections::Scale,
    ) -> Result<projections::ScaleSummary, AppError> {
        let window = Window { as_of: Some(day), known_at };
        if report.is_some() {
            return Ok(projections::on_scale(&self.status(store, window, report, None)?, scale));
        }
        let mut summing = projections::ScaleSumming::new(scale);
        for r in self.status.reports() {
            summing.add(&self.status_of(window, Some(r)));
        }
        Ok(summing.finish())
    }

    /// The commitments overdue on `day`, by current due date, then recommendation; with `owner`, only those it
    /// owns.
    ///
    /// # Errors
    /// None: the models hold all it needs (a `Result` as every query's).
    pub fn due(&self, day: Date, known_at: Option<Timestamp>, owner: Option<&str>) -> Result<Vec<Overdue>, AppError> {
        let window = Window { as_of: Some(day), known_at };
        // Report after report: the whole status is never held.
        let mut overdue = Vec::new();
        for r in self.status.reports() {
            let mut of_report = projections::overdue(&self.status_of(window, Some(r)), day);
            if let Some(name) = owner {
                of_report.retain(|o| o.owned_by(name));
            }
            overdue.append(&mut of_report);
        }
        projections::order_overdue(&mut overdue);
        Ok(overdue)
    }
}

/// Refuses a recommendation or report the store holds no stream of, saying what it holds of it.
fn stream_held(store: &dyn EventStore, stream: &StreamId) -> Result<(), AppError> {
    if store.stream_version(stream)?.is_some() {
        return Ok(());
    }
    let report = stream.report_stream();
    Err(AppError::NotFound(match store.stream_version(&report)? {
        _ if stream.recommendation().is_none() => format!("the store holds no report {stream}"),
        None => format!("the store holds no stream {stream} (nor its report {report})"),
        Some(_) => format!("the store holds no recommendation {stream}, though it holds its report {report}"),
    }))
}

/// Refuses a report the store holds no stream of (neither the report's own nor one of its recommendations').
fn held(store: &dyn EventStore, report: &StreamId) -> Result<(), AppError> {
    if store.stream_version(report)?.is_some() || !store.report_events(report)?.is_empty() {
        return Ok(());
    }
    Err(AppError::NotFound(format!("the store holds no report {report}")))
}

/// The events a report's status and timelines rest on: its own streams', read through the store's index.
///
/// # Errors
/// [`AppError::NotFound`] when the store holds no event of the report.
fn report_events(store: &dyn EventStore, report: &StreamId) -> Result<Vec<RecordedEvent>, AppError> {
    let events = store.report_events(report)?;
    if events.is_empty() {
        return Err(AppError::NotFound(format!("the store holds no report {report}")));
    }
    Ok(events)
}

/// The status of every recommendation through `window`, of one report if given, by report and number; with
/// `owner`, only the recommendations it owns ([`projections::RecommendationStatus::owned_by`]: the whole name,
/// in any case).
///
/// # Errors
/// A damaged store; [`AppError::NotFound`] for a report the store does not hold.
pub fn status(
    store: &dyn EventStore,
    window: Window,
    report: Option<&StreamId>,
    owner: Option<&str>,
) -> Result<Status, AppError> {
    // One report's status rests on its own streams alone: fold those.
    let models = match report {
        None => ReadModels::fold(store.events(1), Folds::Status)?,
        Some(r) => ReadModels::fold(report_events(store, r)?.into_iter().map(Ok), Folds::Status)?,
    };
    models.status(store, window, report, owner)
}

/// What a timeline shows: one recommendation's or report's entries (or all), between two dates, through a window.
#[derive(Clone, Debug, Default)]
pub struct TimelineQuery {
    /// A recommendation (`report/N`) or a report; `None` for the whole log.
    pub stream: Option<StreamId>,
    /// Only entries that reach this date or later (its first day counts).
    pub from: Option<PartialDate>,
    /// Only entries that start by this date (its last day counts).
    pub to: Option<PartialDate>,
    /// The bitemporal window.
    pub window: Window,
}

impl TimelineQuery {
    /// Checks the query without a store: its dates must not make the window empty.
    ///
    /// # Errors
    /// [`AppError::EmptyRange`] when `from` starts after `to` ends.
    pub fn check(&self) -> Result<(), AppError> {
        match (&self.from, &self.to) {
            (Some(f), Some(t)) if f.start() > t.end() => Err(AppError::EmptyRange { from: f.clone(), to: t.clone() }),
            _ => Ok(()),
        }
    }
}

/// The timeline asked for, in timeline order, with the status of the recommendations it concerns (for the
/// renderers' headings).
///
/// # Errors
/// [`AppError::EmptyRange`] when `from` is after `to`; [`AppError::NotFound`] for a stream the store does not
/// hold (a recommendation of a report it holds included); a damaged store.
pub fn timeline(store: &dyn EventStore, q: &TimelineQuery) -> Result<(Timeline, Status), AppError> {
    q.check()?;
    // A recommendation's or report's timeline rests on its report's streams alone: fold those, once the stream
    // is known to be held.
    let models = match &q.stream {
        Some(stream) => {
            stream_held(store, stream)?;
            let events = store.report_events(&stream.report_stream())?;
            ReadModels::fold(events.into_iter().map(Ok), Folds::Timeline)?
        }
        None => ReadModels::fold(store.events(1), Folds::Timeline)?,
    };
    models.timeline(store, q)
}

/// Counts per verdict, implementation rates, open and overdue commitments on `day` (valid time: events that
/// certainly occurred by then), per report and overall, of one report if given.
///
/// # Errors
/// As [`status`].
pub fn summary(
    store: &dyn EventStore,
    report: Option<&StreamId>,
    day: Date,
    known_at: Option<Timestamp>,
) -> Result<Summary, AppError> {
    let status = status(store, Window { as_of: Some(day), known_at }, report, None)?;
    Ok(projections::summary(&status, day))
}

/// The summary on `scale` of a store: [`summary`]'s window, counted on another office's scale.
///
/// # Errors
/// As [`summary`].
pub fn on_scale(
    store: &dyn EventStore,
    report: Option<&StreamId>,
    (day, known_at): (Date, Option<Timestamp>),
    scale: projections::Scale,
) -> Result<projections::ScaleSummary, AppError> {
    let status = status(store, Window { as_of: Some(day), known_at }, report, None)?;
    Ok(projections::on_scale(&status, scale))
}

/// The commitments overdue on `day`, by current due date, then recommendation; with `owner`, only those it owns.
///
/// # Errors
/// A damaged store.
pub fn due(
    store: &dyn EventStore,
    day: Date,
    known_at: Option<Timestamp>,
    owner: Option<&str>,
) -> Result<Vec<Overdue>, AppError> {
    ReadModels::fold(store.events(1), Folds::Status)?.due(day, known_at, owner)
}

/// Writes every stored line in position order, each followed by a newline, and returns how many.
///
/// # Errors
/// [`AppError::Integrity`] when the log has a gap or ends before its head; storage and write failures.
pub fn export(store: &dyn EventStore, out: &mut dyn Write) -> Result<u64, AppError> {
    let head = store.head().position;
    let mut n = 0;
    for item in store.lines(1) {
        let (position, line) = item?;
        if position != n + 1 {
            return Err(AppError::Integrity(format!("the log has no event at position {}", n + 1)));
        }
        out.write_all(&line)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    if n != head {
        return Err(AppError::Integrity(format!("the log ends at position {n}, its head says {head}")));
    }
    Ok(n)
}

/// The whole log as CSV in the timeline's columns, retractions and their targets included: it imports back to
/// the same events.
///
/// # Errors
/// A damaged store.
pub fn export_csv(store: &dyn EventStore, lang: Lang, bom: bool) -> Result<String, AppError> {
    let events: Vec<RecordedEvent> = store.events(1).collect::<Result<_, _>>()?;
    Ok(render::csv::log(&events, lang, bom))
}

/// The names of the report pack's files, in the order [`ReportPack::files`] holds them.
pub const PACK_FILES: &[&str] = &["index.html", "timeline.md", "status.csv"];

/// The report pack: file names and their contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPack {
    /// `index.html` (summary, status table, chart, per-recommendation timelines with sources), `timeline.md`,
    /// `status.csv`, in that order.
    pub files: Vec<(&'static str, String)>,
}

/// The full pack of the log as it stood on `day` (valid time) and, if given, as known at `known_at`, of every
/// report or of `report` alone (then its recommendations, timelines, summary and chart only); titled `title`, else
/// the report's title, else by the number of reports. The head it cites is the whole log's as known at
/// `known_at`, also for one report.
///
/// # Errors
/// [`AppError::NotFound`] for a `report` the store holds no event of; a damaged store.
pub fn report_pack(
    store: &dyn EventStore,
    lang: Lang,
    (day, known_at): (Date, Option<Timestamp>),
    report: Option<&StreamId>,
    title: Option<&str>,
    bom: bool,
) -> Result<ReportPack, AppError> {
    let window = Window { as_of: Some(day), known_at };
    let mut found = false;
    // The head of the log that is judged: as known at `known_at`, else the whole log's.
    let mut head = events::Hash::ZERO;
    let events = store.events(1).inspect(|e| {
        let Ok(e) = e else { return };
        if !window.known(e) {
            return;
        }
        head = e.hash;
        found |= report.is_none_or(|r| e.stream.report() == r.as_str());
    });
    // Only the report's events are folded; the head above still follows the whole log.
    let events = events.filter(|e| match (e, report) {
        (Ok(e), Some(r)) => e.stream.report() == r.as_str(),
        _ => true,
    });
    let models = ReadModels::fold(events, Folds::All)?;
    let status = models.status_of(window, None);
    if let Some(r) = report.filter(|_| !found) {
        let then = known_at.map(|t| format!(" as known at {t}")).unwrap_or_default();
        return Err(AppError::NotFound(format!("the store holds no report {r}{then}")));
    }
    let timeline = models.timeline_order(window, &TimelineFilter::default()).entries(|p| store.event(p))?;
    let summary = projections::summary(&status, day);
    // The reports published in the window and not retracted, each once with its first publication's title
    // (a later `report_published` on its stream is its follow-up report).
    let reports: Vec<&str> = status.reports.iter().filter_map(|r| r.title.as_deref()).collect();
    let title = match (title, reports.as_slice()) {
        (Some(t), _) => t.to_owned(),
        (None, [one]) => (*one).to_owned(),
        (None, many) => match lang {
            Lang::En => format!("Follow-up of {} reports", many.len()),
            Lang::Nl => format!("Opvolging van {} rapporten", many.len()),
        },
    };
    let as_of = render::labels::date(
        lang,
        &PartialDate::parse(&day.to_string()).map_err(|e| AppError::Param { name: "as_of", message: e.to_string() })?,
    );
    let generated = match lang {
        Lang::En => format!("The log as it stood on {as_of}; its SHA-256 head {head}."),
        Lang::Nl => format!("Het logboek zoals het was op {as_of}; SHA-256-kop {head}."),
    };
    Ok(ReportPack {
        files: vec![
            (PACK_FILES[0], render::html::report_page(&status, &timeline, &summary, lang, &title, &generated)),
            (PACK_FILES[1], render::markdown::timeline(&timeline, &status, lang)),
            (PACK_FILES[2], render::csv::status(&status, lang, bom)),
        ],
    })
}
