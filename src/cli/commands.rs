//! One function per command: parse what is left of the arguments, call the application layer, print.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use events::{Date, Hash, NewEvent, PartialDate, StreamId, Timestamp};
use followup::app::{self, AppError, ImportFormat, ImportInput, Principal, TimelineQuery};
use followup::render::Lang;
use followup::{EventStore, Location};

use super::args::{TokenCommand, UserCommand};
use super::output::{self, only_text_or_json, Style};
use super::record::RecordArgs;
use super::remote::{self, Remote};
use super::{Cli, Command, Failure, Format};

/// What every command may need: where the store is (or the server), and how to write.
struct Ctx {
    store: Option<PathBuf>,
    database: Option<String>,
    style: Style,
    recorded_by: Option<String>,
    remote: Option<Remote>,
}

type Outcome = Result<ExitCode, Failure>;

/// Runs the command the command line names.
pub fn run(cli: Cli) -> Outcome {
    let style = Style { format: cli.format, lang: cli.lang, bom: cli.bom };
    let remote = match (&cli.server, &cli.command) {
        (Some(url), c) if speaks_to_servers(c) => Some(Remote::new(url, cli.token.clone())?),
        (Some(_), Command::Serve { .. }) => {
            return Err(Failure::usage("serve holds the store itself: give --store, not --server"))
        }
        _ => None,
    };
    // FOLLOWUP_RECORDED_BY set for local work does not stand in the way of a server, which records under the
    // token's user; --recorded-by given with --server is refused.
    let recorded_by = cli.recorded_by.filter(|_| !(remote.is_some() && cli.recorded_by_from_env));
    // A flag beats the environment; both flags are refused. An empty FOLLOWUP_DATABASE is unset, an empty
    // --database a mistake (an unset variable in a script), not a fall-back to the default store.
    if cli.database_from_command_line && cli.database.as_deref().is_some_and(|d| d.trim().is_empty()) {
        return Err(Failure::usage("--database is empty: give a connection string such as postgres://HOST/DB"));
    }
    let database = cli.database.filter(|d| !d.trim().is_empty());
    if database.is_some() && cli.store.is_some() && cli.store_from_command_line && cli.database_from_command_line {
        return Err(Failure::usage("give --store DIR or --database URL, not both"));
    }
    let database = database.filter(|_| cli.database_from_command_line || !cli.store_from_command_line);
    let ctx = Ctx { store: cli.store, database, style, recorded_by, remote };
    let stdout = io::stdout();
    let out = &mut stdout.lock();
    let code = match cli.command {
        Command::Demo => demo(&ctx, out)?,
        Command::Import { file, input, map: None, drafts, accept_drafts, .. } => {
            import(&ctx, out, &file, input.as_deref(), drafts.then_some(accept_drafts))?
        }
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
        Command::Summary { report, as_of, known_at, scale } => summary(&ctx, out, report, (as_of, known_at), scale)?,
        Command::Report { out: dir, as_of, known_at, report: only, title, force } => {
            report(&ctx, out, &dir, (as_of, known_at), only, title, force)?
        }
        Command::Generate { reports, seed } => generate(&ctx, out, reports, seed)?,
        Command::Draft { file, document, report, out: to, compare } => {
            draft(ctx.style, out, &file, followup::draft::Options { document, report }, to, compare)?
        }
        Command::Export { out: file } => export(&ctx, out, file)?,
        Command::Copy { from, to } => copy(&ctx, out, &from, &to)?,
        Command::Serve { listen, public, secure_cookies, allowed_hosts } => {
            let options = followup::server::Options { public, secure_cookies, allowed_hosts, ..Default::default() };
            serve(&ctx, listen, options)?
        }
        Command::User { command } => user(&ctx, out, command)?,
        Command::Token { command } => token(&ctx, out, command)?,
    };
    out.flush()?;
    Ok(code)
}

/// Whether a command works against a server when `--server` is given: the reading and recording ones.
fn speaks_to_servers(command: &Command) -> bool {
    matches!(
        command,
        Command::Import { map: None, .. }
            | Command::Record(_)
            | Command::Status { .. }
            | Command::Timeline { .. }
            | Command::Verify { log: None, .. }
            | Command::Due { .. }
            | Command::Summary { .. }
            | Command::Report { .. }
            | Command::Export { .. }
    )
}

/// A window's parameters for the API.
fn window_query(as_of: Option<&PartialDate>, known_at: Option<Timestamp>) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(d) = as_of {
        q.push(("as_of", d.to_string()));
    }
    if let Some(t) = known_at {
        q.push(("known_at", t.to_string()));
    }
    q
}

impl Ctx {
    /// The output style as API parameters.
    fn style_query(&self) -> Vec<(&'static str, String)> {
        let format = match self.style.format {
            Format::Text => "text",
            Format::Json => "json",
            Format::Md => "md",
            Format::Csv => "csv",
            Format::Html => "html",
        };
        vec![("format", format.to_owned()), ("lang", self.style.lang.code().to_owned())]
    }

    /// Prints what the server answered to a query, with a byte order mark first for CSV when asked.
    fn print_remote(&self, out: &mut impl Write, r: &Remote, path: &str, mut q: Vec<(&str, String)>) -> Outcome {
        q.extend(self.style_query());
        let answer = r.get(path, &q)?;
        if self.style.format == Format::Csv && self.style.bom && answer.status == 200 {
            out.write_all("\u{feff}".as_bytes())?;
        }
        r.print(out, answer, self.style.format)
    }

    /// Where the store is: `--database` (or `$FOLLOWUP_DATABASE`), else `--store` (or `$FOLLOWUP_STORE`; a
    /// `postgres://` URL there names a database too), else the user's data directory.
    fn location(&self) -> Result<Location, Failure> {
        if let Some(url) = &self.database {
            return Ok(Location::Database(url.clone()));
        }
        match &self.store {
            Some(d) => Ok(location_of(&d.to_string_lossy())),
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

/// The store a command-line value names: a PostgreSQL database for a `postgres://` URL, else a directory.
fn location_of(text: &str) -> Location {
    if followup::is_database_url(text) {
        Location::Database(text.to_owned())
    } else {
        Location::Dir(PathBuf::from(text))
    }
}

/// `copy`: the whole log from one store into another, kept byte for byte.
fn copy(ctx: &Ctx, out: &mut impl Write, from: &str, to: &str) -> Outcome {
    only_text_or_json(ctx.style.format, "copy")?;
    let (source, destination) = (location_of(from), location_of(to));
    let same = match (&source, &destination) {
        (Location::Dir(a), Location::Dir(b)) => {
            a == b || a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b)
        }
        (a, b) => a == b,
    };
    if same {
        return Err(Failure::usage("--from and --to name the same store"));
    }
    let source = followup::open_existing(&source)?;
    let opened = followup::open(&destination)?;
    let copied = match app::copy(&*source, &*opened.store) {
        Ok(copied) => copied,
        Err(e) => {
            if opened.store.head().position == 0 {
                opened.close_and_remove_if_created();
            }
            return Err(Failure::from(e).context(format!("nothing was copied to {}", destination.describe())));
        }
    };
    if ctx.style.format == Format::Json {
        writeln!(
            out,
            "{}",
            serde_json::json!({"copied": copied.copied, "head": copied.head.position, "hash": copied.head.hash.to_string()})
        )?;
    } else {
        writeln!(
            out,
            "copied {} events; the copy ends at position {} ({})",
            copied.copied, copied.head.position, copied.head.hash
        )?;
    }
    Ok(ExitCode::SUCCESS)
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

/// `drafts`: the file is a draft file, `Some(true)` accepting the drafts not marked as reviewed.
fn import(ctx: &Ctx, out: &mut impl Write, file: &Path, input: Option<&str>, drafts: Option<bool>) -> Outcome {
    only_text_or_json(ctx.style.format, "import")?;
    let principal = principal(ctx.recorded_by.as_deref())?;
    let reviewed = match drafts {
        None => None,
        Some(accept_all) => {
            let bytes = remote::read_input(file)?;
            let r = followup::draft::review::reviewed(&bytes[..], accept_all).map_err(|e| {
                Failure::from(AppError::from(e)).context(format!("import of the drafts in {} failed", file.display()))
            })?;
            Some(r)
        }
    };
    let mut notes = Vec::new();
    if let Some(r) = reviewed.as_ref().filter(|r| r.accepted_unreviewed > 0) {
        notes.push(format!(
            "{} of the {} drafts were accepted without review (--accept-drafts)",
            r.accepted_unreviewed, r.drafts
        ));
    }
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
    if let Some(r) = &ctx.remote {
        let media = if format == ImportFormat::Csv { "text/csv" } else { "application/jsonl" };
        let body = match &reviewed {
            Some(d) => Ok(d.lines.clone()),
            None => remote::read_input(file),
        };
        let answer =
            body.and_then(|body| r.post("/api/v1/import", media, &[], body)).and_then(|a| r.ok(a)).map_err(failed)?;
        let v: serde_json::Value = serde_json::from_slice(&answer.body)?;
        return write_remote_import(ctx, out, &v);
    }
    let location = ctx.location()?;
    let input = match reviewed {
        Some(d) => ImportInput::Stream(Box::new(io::Cursor::new(d.lines))),
        None if stdin => ImportInput::Stream(Box::new(io::stdin())),
        None => ImportInput::File(file.to_owned()),
    };
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let bar = super::progress_bar(if format == ImportFormat::Csv { 0 } else { size });
    let report = app::import(|| followup::open(&location), input, format, &principal, |n| bar.set_position(n));
    bar.finish_and_clear();
    let r = report.map_err(|e| failed(e.into()))?;
    write_import(ctx, out, &r, &notes)
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

/// Prints what a server's import did, as [`write_import`] does.
fn write_remote_import(ctx: &Ctx, out: &mut impl Write, v: &serde_json::Value) -> Outcome {
    if ctx.style.format == Format::Json {
        writeln!(out, "{v}")?;
        return Ok(ExitCode::SUCCESS);
    }
    remote_warnings(v);
    let n = |k: &str| v[k].as_u64().unwrap_or(0) as usize;
    let hash = v["head"]["hash"].as_str().and_then(|h| Hash::parse(h).ok()).unwrap_or(Hash::ZERO);
    let head = followup::Head { position: v["head"]["position"].as_u64().unwrap_or(0), hash, recorded_at: None };
    let r = followup::ImportReport {
        events: n("events"),
        appended: n("appended"),
        already: n("already_present"),
        head,
        first_appended: None,
        warnings: Vec::new(),
    };
    write_import(ctx, out, &r, &[])
}

/// Writes the warnings of a server's answer to standard error, as [`warn`] does.
fn remote_warnings(v: &serde_json::Value) {
    for w in v["warnings"].as_array().into_iter().flatten().take(20) {
        eprintln!(
            "warning: position {} (event {}), field `{}`: {}",
            w["position"],
            w["event_id"].as_str().unwrap_or(""),
            w["field"].as_str().unwrap_or(""),
            w["message"].as_str().unwrap_or("")
        );
    }
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
    if let Some(r) = &ctx.remote {
        return record_remote(ctx, out, r, args, event, expected);
    }
    let principal = principal(ctx.recorded_by.as_deref())?;
    let opened = followup::open(&ctx.location()?)?;
    let retracted = if args.restore { app::Retracted::Restore } else { app::Retracted::Refuse };
    let r = app::record_in(opened, &principal, event, expected, retracted)?;
    write_recorded(ctx, out, &r)
}

/// Records on a server: the event is sent as a batch of one to its stream, with the expected version as the
/// request's precondition; the server records it as the token's user.
fn record_remote(
    ctx: &Ctx,
    out: &mut impl Write,
    r: &Remote,
    args: &RecordArgs,
    event: events::NewEvent,
    expected: followup::ExpectedVersion,
) -> Outcome {
    if args.restore {
        return Err(Failure::usage("record --restore works against the store: run it on the server's machine"));
    }
    if ctx.recorded_by.is_some() {
        return Err(Failure::usage(
            "--recorded-by is not taken by a server: it records what you record under the name your token belongs to",
        ));
    }
    let mut line: serde_json::Value = serde_json::from_str(&event.to_line())?;
    if let Some(o) = line.as_object_mut() {
        o.remove("stream");
    }
    let body = serde_json::to_vec(&[line])?;
    let headers = match expected {
        followup::ExpectedVersion::Any => vec![],
        followup::ExpectedVersion::NoStream | followup::ExpectedVersion::Exact(0) => {
            vec![("If-None-Match", "*".to_owned())]
        }
        followup::ExpectedVersion::Exact(n) => vec![("If-Match", format!("\"{n}\""))],
    };
    let path = format!("/api/v1/streams/{}/events", url_segment(event.stream.as_str()));
    let answer = r.ok(r.post(&path, "application/json", &headers, body)?)?;
    let v: serde_json::Value = serde_json::from_slice(&answer.body)?;
    if ctx.style.format != Format::Json {
        remote_warnings(&v);
    }
    let recorded = app::Recorded {
        event_id: event.id,
        stream: event.stream.clone(),
        position: v["events"][0]["position"].as_u64().unwrap_or(0),
        version: v["version"].as_u64(),
        appended: v["appended"].as_u64().unwrap_or(0) as usize,
        restores: None,
        warnings: Vec::new(),
    };
    if ctx.style.format == Format::Json {
        let json = serde_json::json!({"event_id": recorded.event_id.to_string(), "stream": recorded.stream.as_str(),
            "position": recorded.position, "version": recorded.version, "appended": recorded.appended,
            "warnings": v["warnings"]});
        writeln!(out, "{json}")?;
        return Ok(ExitCode::SUCCESS);
    }
    write_recorded(ctx, out, &recorded)
}

/// A path segment: every byte but unreserved ones percent-encoded (a stream id's `/` included).
fn url_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Prints where a recorded event stands.
fn write_recorded(ctx: &Ctx, out: &mut impl Write, r: &app::Recorded) -> Outcome {
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
    if let Some(r) = &ctx.remote {
        let mut q = window_query(as_of.as_ref(), known_at);
        q.extend(report.map(|r| ("report", r.to_string())));
        q.extend(owner.map(|o| ("owner", o.to_owned())));
        return ctx.print_remote(out, r, "/api/v1/status", q);
    }
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
    if let Some(r) = &ctx.remote {
        let mut q = Vec::new();
        q.extend(query.stream.as_ref().map(|s| ("rec", s.to_string())));
        q.extend(query.from.as_ref().map(|d| ("from", d.to_string())));
        q.extend(query.to.as_ref().map(|d| ("to", d.to_string())));
        // The window's as-of day is the end of the date given; the day itself says the same.
        q.extend(query.window.as_of.map(|d| ("as_of", d.to_string())));
        q.extend(query.window.known_at.map(|t| ("known_at", t.to_string())));
        return ctx.print_remote(out, r, "/api/v1/timeline", q);
    }
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
    if let (Some(r), None) = (&ctx.remote, &log) {
        let mut q = window_query(as_of.as_ref(), known_at);
        q.extend(expect_head.map(|h| ("expect_head", h.to_string())));
        return ctx.print_remote(out, r, "/api/v1/verify", q).map_err(|f| {
            let code = if f.kind() == followup::ErrorKind::Integrity { app::EXIT_INTEGRITY } else { app::EXIT_ERROR };
            f.context("verification could not run").exit_with(code)
        });
    }
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
        .map_err(|f| Failure::from(f).context("could not write the verification").exit_with(app::EXIT_ERROR))?;
    Ok(ExitCode::from(outcome.exit_code()))
}

fn due(
    ctx: &Ctx,
    out: &mut impl Write,
    on: Option<PartialDate>,
    known_at: Option<Timestamp>,
    owner: Option<&str>,
) -> Outcome {
    if let Some(r) = &ctx.remote {
        let mut q = Vec::new();
        q.extend(on.as_ref().map(|d| ("on", d.to_string())));
        q.extend(known_at.map(|t| ("known_at", t.to_string())));
        q.extend(owner.map(|o| ("owner", o.to_owned())));
        return ctx.print_remote(out, r, "/api/v1/due", q);
    }
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
    (as_of, known_at): (Option<PartialDate>, Option<Timestamp>),
    scale: Option<projections::Scale>,
) -> Outcome {
    if let Some(r) = &ctx.remote {
        let mut q = window_query(as_of.as_ref(), known_at);
        q.extend(report.map(|r| ("report", r.to_string())));
        q.extend(scale.map(|s| ("scale", s.code().to_owned())));
        return ctx.print_remote(out, r, "/api/v1/summary", q);
    }
    let store = ctx.read()?;
    let day = as_of.as_ref().map_or_else(today, |d| d.end());
    match scale {
        Some(scale) => {
            let on = app::on_scale(&*store, report.as_ref(), (day, known_at), scale)?;
            output::scale_summary(out, ctx.style, &on)?;
        }
        None => {
            let summary = app::summary(&*store, report.as_ref(), day, known_at)?;
            output::summary(out, ctx.style, &summary)?;
        }
    }
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
    let pack = match &ctx.remote {
        Some(r) => remote_pack(ctx, r, (as_of.as_ref(), known_at), only.as_ref(), title.as_deref())?,
        None => {
            let store = ctx.read()?;
            let day = as_of.as_ref().map_or_else(today, |d| d.end());
            app::report_pack(&*store, ctx.style.lang, (day, known_at), only.as_ref(), title.as_deref(), ctx.style.bom)?
        }
    };
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

/// The text of a report: a text file as it is (UTF-8), a PDF through `pdftotext -layout`.
fn report_text(file: &Path) -> Result<String, Failure> {
    let bytes =
        std::fs::read(file).map_err(|e| Failure::from(e).context(format!("could not read {}", file.display())))?;
    let bytes = if bytes.starts_with(b"%PDF") {
        let run = std::process::Command::new("pdftotext").arg("-layout").arg(file).arg("-").output();
        match run {
            Ok(o) if o.status.success() => o.stdout,
            Ok(o) => {
                return Err(Failure::invalid(format!(
                    "pdftotext could not read {}: {}",
                    file.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                )))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Failure::invalid(format!(
                    "{} is a PDF, and reading one needs pdftotext (Debian: apt-get install poppler-utils); or give \
                     its text, such as from `pdftotext -layout FILE`",
                    file.display()
                )))
            }
            Err(e) => return Err(Failure::from(e).context("could not run pdftotext")),
        }
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        Failure::invalid(format!(
            "{} is not UTF-8 text (line {line}, byte {at} is not): give a PDF or a UTF-8 text file (`iconv -f \
             latin1 -t utf-8` converts one in Latin-1)",
            file.display()
        ))
    })
}

fn draft(
    style: Style,
    out: &mut impl Write,
    file: &Path,
    options: followup::draft::Options,
    to: Option<PathBuf>,
    compare: Option<PathBuf>,
) -> Outcome {
    let text = report_text(file)?;
    let drafted =
        followup::draft::draft(&text, &options).map_err(|e| Failure::invalid(format!("{}: {e}", file.display())))?;
    if let Some(reference) = compare {
        let read = std::fs::File::open(&reference)
            .map_err(|e| Failure::from(e).context(format!("could not read {}", reference.display())))?;
        let events = followup::read_events(io::BufReader::new(read), |_| {}).map_err(|e| {
            Failure::from(app::AppError::from(e)).context(format!("{} is not a log", reference.display()))
        })?;
        let reference: Vec<NewEvent> = events.into_iter().map(|(_, p)| p.into_new()).collect();
        let drafts: Vec<NewEvent> = drafted.events.iter().map(|d| d.event.clone()).collect();
        let scores = followup::draft::compare::compare(&drafts, &reference);
        output::draft_scores(out, style, &scores, &drafted.unread)?;
        return Ok(ExitCode::SUCCESS);
    }
    for u in &drafted.unread {
        let at = if u.line > 0 { format!("line {}: ", u.line) } else { String::new() };
        eprintln!("not drafted: {at}\"{}\" ({})", u.phrase, u.why);
    }
    let mut text = String::new();
    for d in &drafted.events {
        text.push_str(&d.to_line());
        text.push('\n');
    }
    match to {
        Some(path) => {
            std::fs::write(&path, text)
                .map_err(|e| Failure::from(e).context(format!("could not write {}", path.display())))?;
            writeln!(out, "{} drafts written to {}; review them, set \"draft\": false on each one accepted, then `followup import --drafts {}`", drafted.events.len(), path.display(), path.display())?;
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn export(ctx: &Ctx, out: &mut impl Write, file: Option<PathBuf>) -> Outcome {
    if let Some(path) = &file {
        refuse_store_files(ctx, path)?;
    }
    if ctx.style.format == Format::Csv {
        if ctx.remote.is_some() {
            return Err(Failure::usage(
                "export --format csv reads the store: run it on the server's machine, or export JSON Lines",
            ));
        }
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
    if let Some(r) = &ctx.remote {
        let answer = r.ok(r.get("/api/v1/export", &[])?)?;
        match file {
            Some(path) => std::fs::write(&path, &answer.body)
                .map_err(|e| Failure::from(e).context(format!("could not write {}", path.display())))?,
            None => out.write_all(&answer.body)?,
        }
        return Ok(ExitCode::SUCCESS);
    }
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

/// The report pack from a server: each of its files, asked for in turn.
fn remote_pack(
    ctx: &Ctx,
    r: &Remote,
    (as_of, known_at): (Option<&PartialDate>, Option<Timestamp>),
    only: Option<&StreamId>,
    title: Option<&str>,
) -> Result<app::ReportPack, Failure> {
    let mut files = Vec::new();
    for name in app::PACK_FILES {
        let mut q = window_query(as_of, known_at);
        q.extend(only.map(|r| ("report", r.to_string())));
        q.extend(title.map(|t| ("title", t.to_owned())));
        q.push(("lang", ctx.style.lang.code().to_owned()));
        q.push(("file", (*name).to_owned()));
        let answer = r.ok(r.get("/api/v1/report", &q)?)?;
        let mut text = String::from_utf8_lossy(&answer.body).into_owned();
        if ctx.style.bom && name.ends_with(".csv") {
            text.insert(0, '\u{feff}');
        }
        files.push((*name, text));
    }
    Ok(app::ReportPack { files })
}

/// `serve`: opens the store (creating it if absent), serves it until SIGINT or SIGTERM, then closes it.
fn serve(ctx: &Ctx, listen: std::net::SocketAddr, options: followup::server::Options) -> Outcome {
    let location = ctx.location()?;
    let (opened, access, place) = match &location {
        Location::Dir(dir) => {
            let opened = followup::open(&location)?;
            (opened, followup::access::AccessFile::in_dir(dir), dir.display().to_string())
        }
        Location::Database(url) => {
            let store = Arc::new(followup::PgStore::open(url, true)?);
            let place = store.place().to_owned();
            let access = followup::access::AccessFile::in_records(&place, Arc::clone(&store) as _);
            (followup::Opened::existing(store), access, place)
        }
        Location::Memory => return Err(Failure::usage("serve needs a store directory or a database")),
    };
    let users = access.current().map_err(|e| Failure::invalid(e.to_string()))?.users.len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::from(e).context("could not start the server's runtime"))?;
    let store = Arc::clone(&opened.store);
    let dir_text = place;
    let served = runtime.block_on(followup::server::serve(store, access, listen, options, shutdown_signal(), |addr| {
        eprintln!("serving {dir_text} on http://{addr} ({users} users); stop with Ctrl-C");
        if users == 0 {
            eprintln!("warning: nobody can sign in yet: add a user with `followup user add NAME --role admin`");
        }
    }));
    served.map_err(|e| Failure::unavailable(format!("could not serve on {listen}: {e}")))?;
    drop(opened);
    eprintln!("stopped; the store is closed");
    Ok(ExitCode::SUCCESS)
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// The users and tokens of the store; `create`: a database's tables are created if absent (a change), else a
/// database without a store is refused (a listing never creates one).
fn access_file(ctx: &Ctx, create: bool) -> Result<followup::access::AccessFile, Failure> {
    match ctx.location()? {
        Location::Dir(dir) => {
            // Users of a store not yet made: the store is made first (empty, whole), so that the users file
            // does not stand in the way of creating it later.
            if create && !followup::SledStore::exists(&dir) {
                drop(followup::open(&Location::Dir(dir.clone()))?);
            }
            Ok(followup::access::AccessFile::in_dir(&dir))
        }
        Location::Memory => Err(Failure::usage("users live in a store's directory")),
        Location::Database(url) => {
            let store = Arc::new(followup::PgStore::open(&url, create)?);
            Ok(followup::access::AccessFile::in_records(store.place(), Arc::clone(&store) as _))
        }
    }
}

fn access_failure(e: followup::access::AccessError) -> Failure {
    match e {
        followup::access::AccessError::Invalid(m) => Failure::invalid(m),
        followup::access::AccessError::InvalidField { message, .. } => Failure::invalid(message),
        other => Failure::invalid(other.to_string()),
    }
}

/// Reads a password: a prompt on a terminal (asked twice), else the first line of standard input.
fn read_password() -> Result<String, Failure> {
    use std::io::IsTerminal;
    if io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ")?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            return Err(Failure::invalid("the two passwords differ; nothing was changed"));
        }
        return Ok(first);
    }
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn user(ctx: &Ctx, out: &mut impl Write, command: UserCommand) -> Outcome {
    let access = access_file(ctx, !matches!(command, UserCommand::List))?;
    match command {
        UserCommand::Add { name, role } => {
            let password = read_password()?;
            let added = access.add_user(&name, role, &password, Timestamp::now()).map_err(access_failure)?;
            let what = if added { "added" } else { "changed" };
            writeln!(out, "{what} user {name} ({})", role.name())?;
        }
        UserCommand::List => {
            let a = access.current().map_err(access_failure)?;
            if ctx.style.format == Format::Json {
                let users: Vec<_> = a
                    .users
                    .iter()
                    .map(|u| serde_json::json!({"name": u.name, "role": u.role, "added": u.added}))
                    .collect();
                writeln!(out, "{}", serde_json::json!({ "users": users }))?;
            } else {
                for u in &a.users {
                    writeln!(out, "{}\t{}\tadded {}", u.name, u.role.name(), u.added)?;
                }
            }
        }
        UserCommand::Remove { name } => {
            access.remove_user(&name).map_err(access_failure)?;
            writeln!(out, "removed user {name} and its tokens")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token(ctx: &Ctx, out: &mut impl Write, command: TokenCommand) -> Outcome {
    let access = access_file(ctx, !matches!(command, TokenCommand::List))?;
    match command {
        TokenCommand::Create { name, days } => {
            let (token, record) = access.create_token(&name, days, Timestamp::now()).map_err(access_failure)?;
            if ctx.style.format == Format::Json {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"token": token, "id": record.id, "user": record.user, "expires": record.expires})
                )?;
            } else {
                writeln!(out, "{token}")?;
                eprintln!("token {} for {name}, valid until {}; it is shown only now", record.id, record.expires);
            }
        }
        TokenCommand::List => {
            let a = access.current().map_err(access_failure)?;
            let now = jiff::Timestamp::now();
            for t in &a.tokens {
                let when = if t.expires <= now { "expired" } else { "expires" };
                writeln!(out, "{}\t{}\t{when} {}", t.id, t.user, t.expires)?;
            }
        }
        TokenCommand::Revoke { id } => {
            access.revoke_token(&id).map_err(access_failure)?;
            writeln!(out, "revoked token {id}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
