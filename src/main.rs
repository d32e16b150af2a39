//! The `followup` command line: record, import, export, and read the status and timelines of audit
//! recommendations kept in a sled event store.

mod cli;

/// mimalloc: replays allocate and free many small strings, on two threads; glibc's allocator spent a third of a
/// replay's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{self, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use events::{Date, PartialDate, Timestamp};
use followup::render::Lang;
use followup::{EventStore, ImportError, OpenError, SledStore};
use projections::{TimelineFilter, Window};

/// The exit code when another process holds the store (sysexits EX_TEMPFAIL: try again later).
const EXIT_IN_USE: u8 = 75;
/// The exit code for a command line that is not understood (sysexits EX_USAGE).
const EXIT_USAGE: u8 = 64;

/// Marks an error of `verify` that is not a verdict or integrity failure: it exits 3, not 1 or 2.
#[derive(Debug)]
struct VerifyFailed;

impl std::fmt::Display for VerifyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("verification could not run")
    }
}

/// Event-sourced follow-up of audit recommendations: record what happened, read status and timelines.
#[derive(Parser)]
#[command(name = "followup", version, about, long_about = None)]
struct Cli {
    /// The store's directory [default: $FOLLOWUP_STORE, else the user's data directory]
    #[arg(long, global = true, env = "FOLLOWUP_STORE", value_name = "DIR")]
    store: Option<PathBuf>,
    /// Output: text (tables), json, md (Markdown), csv, html (status, timeline, summary; others: text or json)
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The language of labels, dates and headings: en or nl
    #[arg(long, global = true, env = "FOLLOWUP_LANG", default_value = "en", value_parser = Lang::parse)]
    lang: Lang,
    /// Start CSV output with a UTF-8 byte order mark (for spreadsheets that need it)
    #[arg(long, global = true)]
    bom: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Md,
    Csv,
    Html,
}

/// A command line that is well formed but asks for something a command does not do: exit 64.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

#[derive(Subcommand)]
enum Command {
    /// Run the main job on the embedded Amsterdam case in a fresh temporary store (never --store): status,
    /// timeline, verification
    Demo,
    /// Import a JSON Lines file of events: all or nothing; importing the same file again adds nothing
    Import {
        /// The file: JSON Lines, or CSV when it ends in `.csv` (`-` for standard input)
        file: PathBuf,
        /// Read the file as this, whatever its name
        #[arg(long, value_name = "FORMAT", value_parser = ["jsonl", "csv"])]
        input: Option<String>,
        /// Who records the events that do not say [default: $USER]
        #[arg(long, env = "FOLLOWUP_RECORDED_BY")]
        recorded_by: Option<String>,
    },
    /// Record one event, given as a JSON line or by its fields
    Record(cli::record::RecordArgs),
    /// Where each recommendation stands: stance, council, commitments, actions, verdict
    Status {
        /// Only events that certainly occurred by this date (EDTF; its last day counts)
        #[arg(long, value_name = "DATE")]
        as_of: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
        /// Only this report
        #[arg(long, value_name = "REPORT", value_parser = parse_report)]
        report: Option<String>,
    },
    /// Dated entries in timeline order: by start of the date's interval, then its end, then position
    Timeline {
        /// Only this recommendation (`report/N`) or report
        #[arg(long, value_name = "STREAM")]
        rec: Option<events::StreamId>,
        /// Only entries that reach this date or later (EDTF; its first day counts)
        #[arg(long, value_name = "DATE")]
        from: Option<PartialDate>,
        /// Only entries that start by this date (EDTF; its last day counts)
        #[arg(long, value_name = "DATE")]
        to: Option<PartialDate>,
        /// Only events that certainly occurred by this date (EDTF; its last day counts)
        #[arg(long, value_name = "DATE")]
        as_of: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
    },
    /// Replay the log: judge every verdict against its evidence (rules V1 to V5) and check the hash chain.
    /// Exit 0 when all verdicts are supported and the chain intact, 1 when a verdict is not, 2 when integrity fails
    Verify {
        /// Check this exported log (JSON Lines) instead of the store
        #[arg(long, value_name = "FILE")]
        log: Option<PathBuf>,
        /// Judge only assessments that certainly occurred by this date (EDTF; its last day counts)
        #[arg(long, value_name = "DATE")]
        as_of: Option<PartialDate>,
        /// Judge the verdicts as the log stood at this UTC instant (RFC 3339, or a date meaning the end of that day)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
        /// The head hash the log must end at (as cited in a report): a log cut short or extended gives exit 2
        #[arg(long, value_name = "HASH", value_parser = |s: &str| events::Hash::parse(s))]
        expect_head: Option<events::Hash>,
    },
    /// Commitments overdue on a date: due date passed, and the recommendation not (yet) judged implemented
    Due {
        /// The date to judge on (EDTF; its last day counts) [default: today, UTC]
        #[arg(long, value_name = "DATE")]
        on: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
    },
    /// Counts per verdict, implementation rates, open and overdue commitments: per report and overall
    Summary {
        /// Only this report
        #[arg(long, value_name = "REPORT", value_parser = parse_report)]
        report: Option<String>,
        /// Only events that certainly occurred by this date, and overdue on it (EDTF; its last day) [default: today]
        #[arg(long, value_name = "DATE")]
        as_of: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
    },
    /// Write the full report pack into a directory: index.html (summary, status, chart, timelines with sources),
    /// timeline.md and status.csv
    Report {
        /// The directory (created if absent)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Only events that certainly occurred by this date (EDTF; its last day counts) [default: today]
        #[arg(long, value_name = "DATE")]
        as_of: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
        /// The page's title [default: the first report's title]
        #[arg(long)]
        title: Option<String>,
    },
    /// Write a deterministic synthetic history shaped like real follow-ups, as JSON Lines (for tests and benchmarks)
    Generate {
        /// How many reports (3 to 15 recommendations each, about 80 events per report)
        #[arg(long, default_value_t = 10)]
        reports: usize,
        /// The seed: the same seed gives the same history
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write the whole log, envelopes included, as JSON Lines in position order (`--format csv`: the events'
    /// content in the timeline's columns, for a spreadsheet; imports back to the same events)
    Export {
        /// Write to this file instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Parses a report id: a stream id without a recommendation number.
fn parse_report(text: &str) -> Result<String, String> {
    let id = events::StreamId::parse(text).map_err(|e| e.to_string())?;
    match id.recommendation() {
        None => Ok(text.to_owned()),
        Some(_) => Err(format!("`{text}` is a recommendation; --report takes a report id such as `{}`", id.report())),
    }
}

/// Parses an RFC 3339 instant, or a calendar date meaning the last instant of that day in UTC.
fn parse_instant(text: &str) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let bad = || {
        format!(
            "`{text}` is not an instant: give RFC 3339 with an offset (2017-12-31T23:59:59Z) or a date (2017-12-31)"
        )
    };
    let is_date = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    if !is_date {
        return Err(bad());
    }
    let day: Date = text.parse().map_err(|_| bad())?;
    let next = day.tomorrow().map_err(|e| e.to_string())?;
    let midnight = jiff::tz::TimeZone::UTC
        .to_timestamp(next.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|e| e.to_string())?;
    midnight.checked_sub(jiff::SignedDuration::from_nanos(1)).map_err(|e| e.to_string())
}

/// The status of every recommendation in `store` through `window`, of one report if given.
///
/// # Errors
/// A damaged store, or a report the store does not hold.
fn fold_status(store: &SledStore, window: Window, report: Option<&str>) -> Result<projections::Status> {
    let mut fold = projections::StatusFold::new();
    match report {
        None => {
            for e in store.events_ahead(1) {
                fold.apply(&e?);
            }
        }
        Some(r) => {
            let stream = events::StreamId::parse(r).map_err(|e| anyhow::anyhow!("--report {r}: {e}"))?;
            if stream.recommendation().is_some() {
                bail!("--report {r}: give a report id, without a recommendation number");
            }
            let events = store.report_events(&stream)?;
            if events.is_empty() {
                bail!("the store holds no report {r}");
            }
            for e in &events {
                fold.apply(e);
            }
        }
    }
    let mut status = fold.snapshot(window);
    if let Some(r) = report {
        status.recommendations.retain(|s| s.report == r);
    }
    Ok(status)
}

/// Today's date in UTC.
fn today() -> Date {
    Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

fn default_store() -> Result<PathBuf> {
    let base =
        dirs::data_dir().context("no --store given, FOLLOWUP_STORE is not set and there is no user data directory")?;
    Ok(base.join("followup"))
}

fn store_dir(dir: &Option<PathBuf>) -> Result<PathBuf> {
    match dir {
        Some(d) => Ok(d.clone()),
        None => default_store(),
    }
}

/// Opens the store for writing, creating it if need be.
fn open_store(dir: &Option<PathBuf>) -> Result<SledStore> {
    Ok(SledStore::open(&store_dir(dir)?)?)
}

/// Opens an existing store for reading: a read never creates a store.
fn read_store(dir: &Option<PathBuf>) -> Result<SledStore> {
    Ok(SledStore::open_existing(&store_dir(dir)?)?)
}

/// The recorder: as given, else `$USER`, else `unknown`.
fn recorder(given: Option<String>) -> String {
    given.or_else(|| std::env::var("USER").ok().filter(|s| !s.trim().is_empty())).unwrap_or_else(|| "unknown".into())
}

fn window(as_of: Option<PartialDate>, known_at: Option<Timestamp>) -> Window {
    Window { as_of: as_of.map(|d| d.end()), known_at }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("error: {first} (see followup --help)");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FOLLOWUP_LOG").unwrap_or_else(|_| "warn,sled=error".into()),
        )
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<serde_json::Error>().and_then(|j| j.io_error_kind())
                        == Some(io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            match e.downcast_ref::<ImportError>() {
                Some(ImportError::Invalid(problems)) => {
                    for p in problems {
                        eprintln!("line {}: {}", p.line, p.message);
                    }
                }
                Some(ImportError::Refused(problems)) => {
                    for (line, error) in problems {
                        eprintln!("line {line}: {error}");
                    }
                }
                _ => {}
            }
            let code = match e.downcast_ref::<OpenError>() {
                Some(OpenError::InUse { .. }) => EXIT_IN_USE,
                _ if e.downcast_ref::<UsageError>().is_some() => EXIT_USAGE,
                _ if e.downcast_ref::<VerifyFailed>().is_some() => cli::verify::EXIT_ERROR,
                _ => 1,
            };
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(code)
        }
    }
}

/// The error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ").replace('\n', " ")
}

fn run(cli: Cli) -> Result<ExitCode> {
    let format = cli.format;
    let style = cli::output::Style { format, lang: cli.lang, bom: cli.bom };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Demo => {
            cli::output::only_text_or_json(format, "demo")?;
            cli::demo::run(&mut out, style)?
        }
        Command::Import { file, input, recorded_by } => {
            cli::output::only_text_or_json(format, "import")?;
            let by = recorder(recorded_by);
            events::check_recorder(&by).context("--recorded-by")?;
            let name = file.display().to_string();
            let csv = match input.as_deref() {
                Some(kind) => kind == "csv",
                None => file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")),
            };
            let dir = store_dir(&cli.store)?;
            let is_new = !dir.join("conf").exists();
            // The outermost directory this import would create, removed again if the import is refused.
            let created =
                dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).last().map(Path::to_path_buf);
            let imported = (|| -> Result<followup::ImportReport> {
                if csv {
                    // CSV rows are put in position order first: read the whole file, then open the store.
                    let reader: Box<dyn io::Read> = if file == Path::new("-") {
                        Box::new(io::stdin().lock())
                    } else {
                        Box::new(std::fs::File::open(&file).with_context(|| format!("could not open {name}"))?)
                    };
                    let events = followup::render::csv::read_events(reader)?;
                    let store = SledStore::open(&dir)?;
                    return Ok(followup::import_events(&store, events, &by)?);
                }
                let reader: Box<dyn io::BufRead> = if file == Path::new("-") {
                    Box::new(io::stdin().lock())
                } else {
                    let f = std::fs::File::open(&file).with_context(|| format!("could not open {name}"))?;
                    Box::new(BufReader::with_capacity(1 << 20, f))
                };
                let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                let store = SledStore::open(&dir)?;
                let bar = cli::progress_bar(size);
                let report = followup::import(&store, reader, &by, |n| bar.set_position(n));
                bar.finish_and_clear();
                Ok(report?)
            })();
            let report = match imported {
                Ok(report) => report,
                Err(e) => {
                    // An import refused into a store it created leaves no store behind.
                    if is_new && dir.join("conf").exists() {
                        match &created {
                            Some(outermost) => {
                                let _ = std::fs::remove_dir_all(outermost);
                            }
                            None => {
                                let _ = std::fs::remove_dir_all(&dir);
                                let _ = std::fs::create_dir(&dir);
                            }
                        }
                    }
                    return Err(e.context(if file == Path::new("-") {
                        "import from standard input failed".to_owned()
                    } else {
                        format!("import of {name} failed")
                    }));
                }
            };
            match format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    serde_json::json!({"events": report.events, "appended": report.appended, "already_present": report.already,
                        "head": {"position": report.head.position, "hash": report.head.hash.to_string()}})
                )?,
                _ => writeln!(
                    out,
                    "read {} event{}: {} appended, {} already present; log head at position {} ({})",
                    report.events,
                    if report.events == 1 { "" } else { "s" },
                    report.appended,
                    report.already,
                    report.head.position,
                    report.head.hash
                )?,
            }
        }
        Command::Record(args) => {
            cli::output::only_text_or_json(format, "record")?;
            let (event, expected) = args.event()?;
            let by = recorder(args.recorded_by.clone());
            events::check_recorder(&by).context("--recorded-by")?;
            let store = open_store(&cli.store)?;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let stream = event.stream.clone();
            let id = event.id;
            let mut event = event;
            event.recorded_by.get_or_insert(by);
            let outcome = rt.block_on(store.append(&stream, expected, vec![event]))?;
            let position = outcome.positions.first().copied().unwrap_or(0);
            match format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    serde_json::json!({"event_id": id.to_string(), "stream": stream.as_str(), "position": position,
                        "version": outcome.version, "appended": outcome.appended})
                )?,
                _ if outcome.appended == 0 => {
                    writeln!(out, "already recorded: event {id} is at position {position} of the log")?
                }
                _ => writeln!(
                    out,
                    "recorded event {id} in {stream} at version {}, position {position}",
                    outcome.version.unwrap_or(0)
                )?,
            }
        }
        Command::Status { as_of, known_at, report } => {
            let store = read_store(&cli.store)?;
            let status = fold_status(&store, window(as_of, known_at), report.as_deref())?;
            cli::output::status(&mut out, style, &status)?;
        }
        Command::Timeline { rec, from, to, as_of, known_at } => {
            if let (Some(f), Some(t)) = (&from, &to) {
                if f.start() > t.end() {
                    bail!("--from {f} is after --to {t}: the window is empty");
                }
            }
            let store = read_store(&cli.store)?;
            if let Some(stream) = &rec {
                let rt = tokio::runtime::Builder::new_current_thread().build()?;
                let report = stream.report_stream();
                let exists = rt.block_on(store.stream_head(stream))?.is_some()
                    || rt.block_on(store.stream_head(&report))?.is_some();
                if !exists {
                    bail!("the store holds no stream {stream} (nor its report {report})");
                }
            }
            let filter = TimelineFilter { stream: rec.clone(), from: from.map(|d| d.start()), to: to.map(|d| d.end()) };
            let w = window(as_of, known_at);
            let mut fold = projections::TimelineFold::new();
            let mut status = projections::StatusFold::new();
            // A recommendation's or report's timeline rests on its report's streams alone: read those.
            let events: Box<dyn Iterator<Item = Result<events::RecordedEvent, followup::ReadError>>> = match &rec {
                Some(stream) => Box::new(store.report_events(&stream.report_stream())?.into_iter().map(Ok)),
                None => Box::new(store.events_ahead(1)),
            };
            for e in events {
                let e = e?;
                fold.apply(&e);
                status.apply(&e);
            }
            let mut status = status.snapshot(w);
            if let Some(stream) = &rec {
                status
                    .recommendations
                    .retain(|r| r.report == stream.report() && stream.recommendation().is_none_or(|n| n == r.number));
            }
            let timeline = fold.snapshot(w, &filter).entries(|p| store.event(p))?;
            cli::output::timeline(&mut out, style, &timeline, &status)?;
        }
        Command::Verify { log, as_of, known_at, expect_head } => {
            cli::output::only_text_or_json(format, "verify")?;
            let outcome = match log {
                Some(path) => cli::verify::log(&path, window(as_of, known_at), expect_head),
                None => {
                    read_store(&cli.store).and_then(|s| cli::verify::store(&s, window(as_of, known_at), expect_head))
                }
            }
            .map_err(|e| e.context(VerifyFailed))?;
            cli::verify::write(&mut out, format, cli.lang, &outcome)?;
            out.flush()?;
            return Ok(ExitCode::from(outcome.exit_code()));
        }
        Command::Due { on, known_at } => {
            let store = read_store(&cli.store)?;
            let day = on.as_ref().map_or_else(today, |d| d.end());
            let status = fold_status(&store, Window { as_of: Some(day), known_at }, None)?;
            cli::output::due(&mut out, style, day, &projections::overdue(&status, day))?;
        }
        Command::Summary { report, as_of, known_at } => {
            let store = read_store(&cli.store)?;
            let day = as_of.as_ref().map_or_else(today, |d| d.end());
            let status = fold_status(&store, Window { as_of: Some(day), known_at }, report.as_deref())?;
            cli::output::summary(&mut out, style, &projections::summary(&status, day))?;
        }
        Command::Report { out: dir, as_of, known_at, title } => {
            cli::output::only_text_or_json(format, "report")?;
            let store = read_store(&cli.store)?;
            let files = cli::report::write(&store, &dir, cli.lang, as_of, known_at, title.as_deref(), cli.bom)?;
            if format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>()})
                )?;
            } else {
                for f in files {
                    writeln!(out, "wrote {}", f.display())?;
                }
            }
        }
        Command::Generate { reports, seed } => {
            cli::output::only_text_or_json(format, "generate")?;
            let mut out = io::BufWriter::with_capacity(1 << 20, &mut out);
            for e in followup::generate(followup::GenerateOptions { reports, seed }) {
                out.write_all(e.to_line().as_bytes())?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
        Command::Export { out: file } => {
            if format == Format::Csv {
                let store = read_store(&cli.store)?;
                let events: Vec<events::RecordedEvent> = store.events(1).collect::<Result<_, _>>()?;
                let csv = followup::render::csv::log(&events, cli.lang, cli.bom);
                match file {
                    Some(path) => {
                        std::fs::write(&path, csv).with_context(|| format!("could not write {}", path.display()))?
                    }
                    None => out.write_all(csv.as_bytes())?,
                }
                out.flush()?;
                return Ok(ExitCode::SUCCESS);
            }
            cli::output::only_text_or_json(format, "export")?;
            let store = read_store(&cli.store)?;
            match file {
                Some(path) => {
                    let n = export_to(&store, &path)?;
                    if format == Format::Json {
                        writeln!(out, "{}", serde_json::json!({"events": n, "file": path.display().to_string()}))?;
                    } else {
                        eprintln!("exported {n} events to {}", path.display());
                    }
                }
                None => {
                    export(&store, &mut out)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Exports to `path`. A new or regular file is written whole or not at all (a temporary file beside it, synced,
/// then renamed over it, keeping an existing file's permissions); anything else (a device, a pipe, or what a
/// symbolic link points to) is written to directly.
fn export_to(store: &SledStore, path: &Path) -> Result<u64> {
    let meta = std::fs::symlink_metadata(path).ok();
    let regular = meta.as_ref().is_none_or(|m| m.file_type().is_file());
    if !regular {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("could not open {}", path.display()))?;
        return export(store, &mut io::BufWriter::new(file));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("could not create a file in {}", dir.display()))?;
    let n = export(store, &mut io::BufWriter::new(tmp.as_file_mut()))?;
    let permissions = match &meta {
        Some(m) => m.permissions(),
        None => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        }
    };
    tmp.as_file().set_permissions(permissions)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).with_context(|| format!("could not write {}", path.display()))?;
    Ok(n)
}

/// Writes every stored line in position order, each followed by a newline; returns how many.
fn export(store: &SledStore, out: &mut impl Write) -> Result<u64> {
    let mut n = 0;
    for item in store.lines(1) {
        let (position, line) = item?;
        if position != n + 1 {
            bail!("the log has no event at position {}", n + 1);
        }
        out.write_all(&line)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    if n != store.head().position {
        return Err(anyhow!("the log ends at position {n}, its head says {}", store.head().position));
    }
    Ok(n)
}
