//! One function per command: parse what is left of the arguments, call the application layer, print.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use events::{Date, Hash, PartialDate, StreamId, Timestamp};
use followup::app::{self, AppError, ImportFormat, ImportInput, Principal, TimelineQuery};
use followup::render::Lang;
use followup::{EventStore, Location};

use super::output::{self, only_text_or_json, Style};
use super::record::RecordArgs;
use super::{Cli, Command, Failure, Format};

/// What every command may need: where the store is, and how to write.
struct Ctx {
    store: Option<PathBuf>,
    style: Style,
    recorded_by: Option<String>,
}

type Outcome = Result<ExitCode, Failure>;

/// Runs the command the command line names.
pub fn run(cli: Cli) -> Outcome {
    let style = Style { format: cli.format, lang: cli.lang, bom: cli.bom };
    let ctx = Ctx { store: cli.store, style, recorded_by: cli.recorded_by };
    let stdout = io::stdout();
    let out = &mut stdout.lock();
    let code = match cli.command {
        Command::Demo => demo(&ctx, out)?,
        Command::Import { file, input, map: None, .. } => import(&ctx, out, &file, input.as_deref())?,
        Command::Import { file, map: Some(map), encoding, .. } => import_register(&ctx, out, &file, &map, encoding)?,
        Command::Record(args) => record(&ctx, out, &args)?,
        Command::Status { as_of, known_at, report, owner } => {
            status(&ctx, out, (as_of, known_at), report, owner.as_deref())?
        }
        Command::Timeline { rec, from, to, as_of, known_at } => {
            let window = app::window(as_of.as_ref(), known_at);
            timeline(&ctx, out, TimelineQuery { stream: rec, from, to, window })?
        }
        Command::Verify { log, as_of, known_at, expect_head } => verify(&ctx, out, log, as_of, known_at, expect_head)?,
        Command::Due { on, known_at, owner } => due(&ctx, out, on, known_at, owner.as_deref())?,
        Command::Summary { report, as_of, known_at } => summary(&ctx, out, report, as_of, known_at)?,
        Command::Report { out: dir, as_of, known_at, report: only, title, force } => {
            report(&ctx, out, &dir, (as_of, known_at), only, title, force)?
        }
        Command::Generate { reports, seed } => generate(&ctx, out, reports, seed)?,
        Command::Export { out: file } => export(&ctx, out, file)?,
    };
    out.flush()?;
    Ok(code)
}

impl Ctx {
    /// Where the store is: `--store`, else `$FOLLOWUP_STORE` (both through clap), else the user's data directory.
    fn location(&self) -> Result<Location, Failure> {
        match &self.store {
            Some(d) => Ok(Location::Dir(d.clone())),
            None => match dirs::data_dir() {
                Some(base) => Ok(Location::Dir(base.join("followup"))),
                None => Err(Failure::from(io::Error::other(
                    "no --store given, FOLLOWUP_STORE is not set and there is no user data directory",
                ))),
            },
        }
    }

    /// The existing store, for reading: a read never creates a store.
    fn read(&self) -> Result<Arc<dyn EventStore>, Failure> {
        Ok(followup::open_existing(&self.location()?)?)
    }
}

/// The recorder: `--recorded-by` (or `$FOLLOWUP_RECORDED_BY`), else `$USER`, else `unknown`.
fn principal(given: Option<&str>) -> Result<Principal, Failure> {
    let name = given
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "unknown".into());
    Ok(Principal::new(name)?)
}

/// Today's date in UTC: the default day of `due`, `summary` and `report`.
fn today() -> Date {
    Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

fn demo(ctx: &Ctx, out: &mut impl Write) -> Outcome {
    only_text_or_json(ctx.style.format, "demo")?;
    let dir = tempfile::tempdir().map_err(|e| Failure::from(e).context("could not create a temporary directory"))?;
    let opened = followup::open(&Location::Dir(dir.path().to_owned()))?;
    let principal = Principal::new("followup demo")?;
    let demo = app::demo(&*opened.store, &principal).map_err(|e| Failure::from(e).context("the embedded case"))?;
    super::demo::write(out, ctx.style, &demo)?;
    Ok(ExitCode::SUCCESS)
}

fn import(ctx: &Ctx, out: &mut impl Write, file: &Path, input: Option<&str>) -> Outcome {
    only_text_or_json(ctx.style.format, "import")?;
    let principal = principal(ctx.recorded_by.as_deref())?;
    let stdin = file == Path::new("-");
    let name = file.display().to_string();
    let failed = move |f: Failure| {
        f.context(if stdin {
            "import from standard input failed".to_owned()
        } else {
            format!("import of {name} failed")
        })
    };
    let format = match input {
        Some("csv") => ImportFormat::Csv,
        Some(_) => ImportFormat::JsonLines,
        None if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => ImportFormat::Csv,
        None => ImportFormat::JsonLines,
    };
    let location = ctx.location()?;
    let input = if stdin { ImportInput::Stream(Box::new(io::stdin())) } else { ImportInput::File(file.to_owned()) };
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let bar = super::progress_bar(if format == ImportFormat::Csv { 0 } else { size });
    let report = app::import(|| followup::open(&location), input, format, &principal, |n| bar.set_position(n));
    bar.finish_and_clear();
    let r = report.map_err(|e| failed(e.into()))?;
    write_import(ctx, out, &r, &[])
}

/// `import --map`: a register spreadsheet, read whole and checked before the store is opened.
fn import_register(
    ctx: &Ctx,
    out: &mut impl Write,
    file: &Path,
    map: &str,
    encoding: Option<followup::Encoding>,
) -> Outcome {
    only_text_or_json(ctx.style.format, "import")?;
    let principal = principal(ctx.recorded_by.as_deref())?;
    let stdin = file == Path::new("-");
    let location = ctx.location()?;
    let input = if stdin { ImportInput::Stream(Box::new(io::stdin())) } else { ImportInput::File(file.to_owned()) };
    let (r, notes) = app::import_register(|| followup::open(&location), input, map, encoding, &principal)
        .map_err(|e| Failure::from(e).context(format!("import of register {} failed", file.display())))?;
    write_import(ctx, out, &r, &notes)
}

/// Prints what an import did, and its notes on standard error.
fn write_import(ctx: &Ctx, out: &mut impl Write, r: &followup::ImportReport, notes: &[String]) -> Outcome {
    for note in notes {
        eprintln!("note: {note}");
    }
    if ctx.style.format == Format::Json {
        let head = serde_json::json!({"position": r.head.position, "hash": r.head.hash.to_string()});
        let json = serde_json::json!({"events": r.events, "appended": r.appended, "already_present": r.already,
            "head": head, "warnings": r.warnings});
        writeln!(out, "{json}")?;
    } else {
        warn(&r.warnings);
        let (events, appended, already, head) = (r.events, r.appended, r.already, r.head.position);
        let hash = r.head.hash;
        match ctx.style.lang {
            Lang::En => {
                let s = if events == 1 { "" } else { "s" };
                writeln!(
                    out,
                    "read {events} event{s}: {appended} appended, {already} already present; log head at position {head} ({hash})"
                )?
            }
            Lang::Nl => {
                let noun = if events == 1 { "gebeurtenis" } else { "gebeurtenissen" };
                writeln!(
                    out,
                    "{events} {noun} gelezen: {appended} toegevoegd, {already} al aanwezig; het log eindigt op positie {head} ({hash})"
                )?
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the warnings on what a write accepted to standard error, the first 20 and how many more.
fn warn(warnings: &[app::Warning]) {
    const SHOWN: usize = 20;
    for w in warnings.iter().take(SHOWN) {
        eprintln!("warning: {w}");
    }
    if warnings.len() > SHOWN {
        eprintln!("warning: and {} more (all of them with --format json)", warnings.len() - SHOWN);
    }
}

fn record(ctx: &Ctx, out: &mut impl Write, args: &RecordArgs) -> Outcome {
    only_text_or_json(ctx.style.format, "record")?;
    let (event, expected) = args.event()?;
    let principal = principal(ctx.recorded_by.as_deref())?;
    let opened = followup::open(&ctx.location()?)?;
    let retracted = if args.restore { app::Retracted::Restore } else { app::Retracted::Refuse };
    let r = app::record_in(opened, &principal, event, expected, retracted)?;
    if ctx.style.format != Format::Json {
        warn(&r.warnings);
    }
    match (ctx.style.format, r.restores) {
        (Format::Json, _) => {
            let mut json = serde_json::json!({"event_id": r.event_id.to_string(), "stream": r.stream.as_str(),
                "position": r.position, "version": r.version, "appended": r.appended, "warnings": r.warnings});
            if let Some((original, retraction)) = r.restores {
                json["restores"] =
                    serde_json::json!({"event_id": original.to_string(), "retraction": retraction.to_string()});
            }
            writeln!(out, "{json}")?
        }
        (_, Some((original, retraction))) => {
            let (id, stream, position) = (r.event_id, &r.stream, r.position);
            match ctx.style.lang {
                Lang::En => writeln!(
                    out,
                    "{}: event {id} in {stream} at position {position} restores event {original}, which stays retracted by {retraction}",
                    if r.appended == 0 { "already restored" } else { "restored" }
                )?,
                Lang::Nl => writeln!(
                    out,
                    "{}: gebeurtenis {id} in {stream} op positie {position} herstelt gebeurtenis {original}, die ingetrokken blijft door {retraction}",
                    if r.appended == 0 { "al hersteld" } else { "hersteld" }
                )?,
            }
        }
        (_, None) if r.appended == 0 => match ctx.style.lang {
            Lang::En => {
                writeln!(out, "already recorded: event {} is at position {} of the log", r.event_id, r.position)?
            }
            Lang::Nl => {
                writeln!(out, "al vastgelegd: gebeurtenis {} staat op positie {} van het log", r.event_id, r.position)?
            }
        },
        _ => {
            let (id, stream, version, position) = (r.event_id, &r.stream, r.version.unwrap_or(0), r.position);
            match ctx.style.lang {
                Lang::En => writeln!(out, "recorded event {id} in {stream} at version {version}, position {position}")?,
                Lang::Nl => {
                    writeln!(out, "gebeurtenis {id} vastgelegd in {stream}, versie {version}, positie {position}")?
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status(
    ctx: &Ctx,
    out: &mut impl Write,
    (as_of, known_at): (Option<PartialDate>, Option<Timestamp>),
    report: Option<StreamId>,
    owner: Option<&str>,
) -> Outcome {
    // As summary does: without --as-of, what had certainly happened by today, so a fact dated ahead is not yet
    // counted.
    let as_of = match as_of {
        Some(d) => d,
        None => PartialDate::parse(&today().to_string()).map_err(|e| Failure::invalid(e.to_string()))?,
    };
    let store = ctx.read()?;
    let status = app::status(&*store, app::window(Some(&as_of), known_at), report.as_ref(), owner)?;
    output::status(out, ctx.style, &status)?;
    Ok(ExitCode::SUCCESS)
}

fn timeline(ctx: &Ctx, out: &mut impl Write, query: TimelineQuery) -> Outcome {
    let words = |e: AppError| match e {
        AppError::EmptyRange { from, to } => {
            Failure::invalid(format!("--from {from} is after --to {to}: the window is empty"))
        }
        other => Failure::from(other),
    };
    query.check().map_err(words)?;
    let store = ctx.read()?;
    let (timeline, status) = app::timeline(&*store, &query).map_err(words)?;
    output::timeline(out, ctx.style, &timeline, &status)?;
    Ok(ExitCode::SUCCESS)
}

fn verify(
    ctx: &Ctx,
    out: &mut impl Write,
    log: Option<PathBuf>,
    as_of: Option<PartialDate>,
    known_at: Option<Timestamp>,
    expect_head: Option<Hash>,
) -> Outcome {
    only_text_or_json(ctx.style.format, "verify")?;
    let window = app::window(as_of.as_ref(), known_at);
    let outcome = match log {
        Some(path) => {
            let could_not_read = |f: Failure| f.context(format!("could not read {}", path.display()));
            File::open(&path).map_err(|e| could_not_read(e.into())).and_then(|f| {
                app::verify_log(BufReader::new(f), window, expect_head).map_err(|e| match e {
                    AppError::Io(_) => could_not_read(e.into()),
                    other => Failure::from(other).context(path.display().to_string()),
                })
            })
        }
        None => ctx.read().and_then(|s| Ok(app::verify_store(&*s, window, expect_head)?)),
    }
    .map_err(|f| {
        // A store too damaged to open fails integrity (2); anything else keeps verification from running (3).
        match f.kind {
            followup::ErrorKind::Integrity => f.context("verification failed").exit_with(app::EXIT_INTEGRITY),
            _ => f.context("verification could not run").exit_with(app::EXIT_ERROR),
        }
    })?;
    super::verify::write(out, ctx.style.format, ctx.style.lang, &outcome)
        .map_err(|f| f.context("could not write the verification").exit_with(app::EXIT_ERROR))?;
    Ok(ExitCode::from(outcome.exit_code()))
}

fn due(
    ctx: &Ctx,
    out: &mut impl Write,
    on: Option<PartialDate>,
    known_at: Option<Timestamp>,
    owner: Option<&str>,
) -> Outcome {
    let store = ctx.read()?;
    let day = on.as_ref().map_or_else(today, |d| d.end());
    let overdue = app::due(&*store, day, known_at, owner)?;
    output::due(out, ctx.style, day, &overdue)?;
    Ok(ExitCode::SUCCESS)
}

fn summary(
    ctx: &Ctx,
    out: &mut impl Write,
    report: Option<StreamId>,
    as_of: Option<PartialDate>,
    known_at: Option<Timestamp>,
) -> Outcome {
    let store = ctx.read()?;
    let day = as_of.as_ref().map_or_else(today, |d| d.end());
    let summary = app::summary(&*store, report.as_ref(), day, known_at)?;
    output::summary(out, ctx.style, &summary)?;
    Ok(ExitCode::SUCCESS)
}

fn report(
    ctx: &Ctx,
    out: &mut impl Write,
    dir: &Path,
    (as_of, known_at): (Option<PartialDate>, Option<Timestamp>),
    only: Option<StreamId>,
    title: Option<String>,
    force: bool,
) -> Outcome {
    only_text_or_json(ctx.style.format, "report")?;
    if !force {
        refuse_foreign_files(dir, app::PACK_FILES)?;
    }
    let store = ctx.read()?;
    let day = as_of.as_ref().map_or_else(today, |d| d.end());
    let pack =
        app::report_pack(&*store, ctx.style.lang, (day, known_at), only.as_ref(), title.as_deref(), ctx.style.bom)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::from(e).context(format!("could not create {}", dir.display())))?;
    let mut written = Vec::new();
    for (name, text) in &pack.files {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| Failure::from(e).context(format!("could not write {}", path.display())))?;
        written.push(path.display().to_string());
    }
    if ctx.style.format == Format::Json {
        writeln!(out, "{}", serde_json::json!({ "files": written }))?;
    } else {
        for f in written {
            writeln!(out, "{} {f}", ctx.style.lang.pick("wrote", "geschreven:"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a directory `dir` that holds anything but the files in `ours`: nothing of a user's is overwritten
/// without `--force`.
/// Whether a file with a pack's name is a pack's: a page must carry the pack's generator tag (a user's own
/// `index.html` is not replaced without `--force`); the other files have no room for a tag.
fn written_by_us(path: &Path) -> bool {
    if path.extension().is_none_or(|e| e != "html") {
        return true;
    }
    let mut head = vec![0; 4096];
    let n = File::open(path).and_then(|mut f| io::Read::read(&mut f, &mut head)).unwrap_or(0);
    String::from_utf8_lossy(&head[..n]).contains(followup::render::html::GENERATOR)
}

fn refuse_foreign_files(dir: &Path, ours: &[&str]) -> Result<(), Failure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Failure::from(e).context(format!("could not read {}", dir.display()))),
    };
    let mut foreign: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !ours.contains(&name.as_str()) || !written_by_us(&dir.join(name)))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let more = if foreign.len() > 3 { format!(" and {} more", foreign.len() - 3) } else { String::new() };
    Err(Failure::invalid(format!(
        "{} holds other files ({}{more}); choose an empty or new directory, or give --force to write {} there",
        dir.display(),
        foreign.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
        ours.join(", ")
    )))
}

fn generate(ctx: &Ctx, out: &mut impl Write, reports: usize, seed: u64) -> Outcome {
    only_text_or_json(ctx.style.format, "generate")?;
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    for e in followup::generate(followup::GenerateOptions { reports, seed }) {
        out.write_all(e.to_line().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn export(ctx: &Ctx, out: &mut impl Write, file: Option<PathBuf>) -> Outcome {
    if let Some(path) = &file {
        refuse_store_files(ctx, path)?;
    }
    if ctx.style.format == Format::Csv {
        let store = ctx.read()?;
        let csv = app::export_csv(&*store, ctx.style.lang, ctx.style.bom)?;
        match file {
            Some(path) => std::fs::write(&path, csv)
                .map_err(|e| Failure::from(e).context(format!("could not write {}", path.display())))?,
            None => out.write_all(csv.as_bytes())?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    only_text_or_json(ctx.style.format, "export")?;
    let store = ctx.read()?;
    let Some(path) = file else {
        app::export(&*store, out).map_err(|e| Failure::from(e).context("could not write the export"))?;
        return Ok(ExitCode::SUCCESS);
    };
    let n = export_to(&*store, &path)?;
    if ctx.style.format == Format::Json {
        writeln!(out, "{}", serde_json::json!({"events": n, "file": path.display().to_string()}))?;
    } else {
        match ctx.style.lang {
            Lang::En => eprintln!("exported {n} events to {}", path.display()),
            Lang::Nl => eprintln!("{n} gebeurtenissen geëxporteerd naar {}", path.display()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a file to write that is one of the store's own (sled's `db`, `conf`, `snap.*`, or anything under
/// `blobs/`): writing it would destroy the store being read.
fn refuse_store_files(ctx: &Ctx, path: &Path) -> Result<(), Failure> {
    let Ok(Location::Dir(store)) = ctx.location() else { return Ok(()) };
    let (Ok(store), Some(name)) = (store.canonicalize(), path.file_name()) else { return Ok(()) };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(parent) = parent.canonicalize() else { return Ok(()) };
    let name = name.to_string_lossy();
    let own = (parent == store && (["db", "conf", "blobs"].contains(&name.as_ref()) || name.starts_with("snap.")))
        || parent.starts_with(store.join("blobs"));
    if own {
        return Err(Failure::invalid(format!(
            "{} is a file of the store itself; write the export elsewhere",
            path.display()
        )));
    }
    Ok(())
}

/// Exports to `path`. A new or regular file is written whole or not at all (a temporary file beside it, synced,
/// then renamed over it, keeping an existing file's permissions); anything else (a device, a pipe, or what a
/// symbolic link points to) is written to directly.
fn export_to(store: &dyn EventStore, path: &Path) -> Result<u64, Failure> {
    let meta = std::fs::symlink_metadata(path).ok();
    let regular = meta.as_ref().is_none_or(|m| m.file_type().is_file());
    let context = |what: &str| {
        let what = format!("{what} {}", path.display());
        move |e: io::Error| Failure::from(e).context(what)
    };
    if !regular {
        let file = std::fs::OpenOptions::new().write(true).open(path).map_err(context("could not open"))?;
        let written = app::export(store, &mut io::BufWriter::new(file));
        return written.map_err(|e| Failure::from(e).context(format!("could not write {}", path.display())));
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Failure::from(e).context(format!("could not create a file in {}", dir.display())))?;
    let n = app::export(store, &mut io::BufWriter::new(tmp.as_file_mut()))
        .map_err(|e| Failure::from(e).context(format!("could not write {}", path.display())))?;
    let permissions = match &meta {
        Some(m) => m.permissions(),
        None => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        }
    };
    tmp.as_file().set_permissions(permissions)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| context("could not write")(e.error))?;
    Ok(n)
}
