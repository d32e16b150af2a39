//! The command line: the one module that reads argv, the environment (`FOLLOWUP_STORE`, `FOLLOWUP_LANG`,
//! `FOLLOWUP_RECORDED_BY`, `USER`, `FOLLOWUP_LOG`) and the clock for a default (today). Each command is one short
//! function in [`commands`]: parse, call the application layer, print. Errors are mapped to exit codes once,
//! in [`exit_code`].

mod args;
mod commands;
pub mod demo;
pub mod record;
mod remote;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use followup::app::AppError;
use followup::ErrorKind;

pub use args::{Cli, Command};
pub use followup::render::output::{self, Format};
pub use followup::render::verification as verify;

/// The exit code when the store is unavailable, such as held by another process (sysexits EX_TEMPFAIL: try
/// again later).
const EXIT_UNAVAILABLE: u8 = 75;
/// The exit code for a command line that is not understood (sysexits EX_USAGE).
const EXIT_USAGE: u8 = 64;

/// Why a command failed: the error with its causes, its kind, the lines to print before it (one per bad input
/// line of an import), and what the command line itself adds (a usage error, `verify`'s own exit code).
#[derive(Debug)]
pub struct Failure {
    error: anyhow::Error,
    kind: ErrorKind,
    lines: Vec<String>,
    exit: Option<u8>,
}

impl Failure {
    /// A command line that is well formed but asks for something a command does not do: exit 64.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            error: anyhow::anyhow!(message.into()),
            kind: ErrorKind::Invalid,
            lines: Vec::new(),
            exit: Some(EXIT_USAGE),
        }
    }

    /// The store or server cannot serve now: exit 75.
    pub fn unavailable(message: impl Into<String>) -> Failure {
        Failure { error: anyhow::anyhow!(message.into()), kind: ErrorKind::Unavailable, lines: Vec::new(), exit: None }
    }

    /// What a server refused, of `kind`, with the lines it names.
    pub fn remote(message: impl Into<String>, kind: ErrorKind, lines: Vec<String>) -> Failure {
        Failure { error: anyhow::anyhow!(message.into()), kind, lines, exit: None }
    }

    /// The failure's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A request the command refuses as it stands: exit 1.
    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure { error: anyhow::anyhow!(message.into()), kind: ErrorKind::Invalid, lines: Vec::new(), exit: None }
    }

    /// The same failure, described as part of `what`.
    pub fn context(self, what: impl std::fmt::Display + Send + Sync + 'static) -> Failure {
        Failure { error: self.error.context(what), ..self }
    }

    /// The same failure with this exit code, unless the store is unavailable (that keeps its own).
    pub fn exit_with(self, code: u8) -> Failure {
        let exit = if self.kind == ErrorKind::Unavailable { self.exit } else { Some(code) };
        Failure { exit, ..self }
    }

    fn broken_pipe(&self) -> bool {
        self.error.chain().any(|c| {
            let io_broken = |e: &io::Error| e.kind() == io::ErrorKind::BrokenPipe;
            c.downcast_ref::<io::Error>().is_some_and(io_broken)
                || c.downcast_ref::<serde_json::Error>().and_then(|j| j.io_error_kind())
                    == Some(io::ErrorKind::BrokenPipe)
                || matches!(c.downcast_ref::<AppError>(), Some(AppError::Io(e)) if io_broken(e))
        })
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        Failure { kind: e.kind(), lines: e.lines(), error: e.into(), exit: None }
    }
}

/// A failure to write the command's output (a file it writes, standard output): exit 1, whatever the cause; the
/// store's own disk being full is the store's failure (75), not this.
impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure { kind: ErrorKind::Internal, lines: Vec::new(), error: e.into(), exit: None }
    }
}

impl From<followup::render::output::OutputError> for Failure {
    fn from(e: followup::render::output::OutputError) -> Failure {
        match e {
            followup::render::output::OutputError::Format(message) => Failure::usage(message),
            // Kept as what they are, so that a reader that stops early (`| head`) ends the command quietly.
            followup::render::output::OutputError::Io(e) => e.into(),
            followup::render::output::OutputError::Json(e) => e.into(),
        }
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Failure {
        Failure { kind: ErrorKind::Internal, lines: Vec::new(), error: e.into(), exit: None }
    }
}

impl From<followup::OpenError> for Failure {
    fn from(e: followup::OpenError) -> Failure {
        AppError::from(e).into()
    }
}

/// The exit code of a failure: the command line's own (64, `verify`'s 3), else by kind: 75 when the store is
/// unavailable (held by another process, a full disk), 1 otherwise.
fn exit_code(f: &Failure) -> u8 {
    match (f.exit, f.kind) {
        (Some(code), _) => code,
        (None, ErrorKind::Unavailable) => EXIT_UNAVAILABLE,
        (None, _) => 1,
    }
}

/// Parses the command line, runs the command, prints its error on one line and exits with its code.
pub fn main() -> ExitCode {
    let parsed = <Cli as clap::CommandFactory>::command().try_get_matches().and_then(|m| {
        let mut cli = <Cli as clap::FromArgMatches>::from_arg_matches(&m)?;
        cli.recorded_by_from_env = m.value_source("recorded_by") == Some(clap::parser::ValueSource::EnvVariable);
        cli.store_from_command_line = m.value_source("store") == Some(clap::parser::ValueSource::CommandLine);
        cli.database_from_command_line = m.value_source("database") == Some(clap::parser::ValueSource::CommandLine);
        Ok(cli)
    });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {} (see followup --help)", usage_line(&e.render().to_string()));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            // By default only this program's own warnings: a storage engine's log lines are not for users.
            tracing_subscriber::EnvFilter::try_from_env("FOLLOWUP_LOG").unwrap_or_else(|_| "off,followup=warn".into()),
        )
        .with_ansi(io::stderr().is_terminal())
        .with_writer(io::stderr)
        .init();
    match commands::run(cli) {
        Ok(code) => code,
        Err(f) if f.broken_pipe() => ExitCode::SUCCESS,
        Err(f) => {
            for line in &f.lines {
                eprintln!("{line}");
            }
            eprintln!("error: {}", one_line(&f.error));
            ExitCode::from(exit_code(&f))
        }
    }
}

/// clap's message on one line: its first line and the indented lines under it (the arguments it names, such as
/// a missing `<FILE>`), up to the first blank line.
fn usage_line(rendered: &str) -> String {
    let mut lines = rendered.lines().skip_while(|l| l.trim().is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let mut out = first.strip_prefix("error: ").unwrap_or(first).trim_end().to_owned();
    for more in lines.take_while(|l| !l.trim().is_empty() && l.starts_with(' ')) {
        out.push(' ');
        out.push_str(more.trim());
    }
    out
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

/// A progress bar on standard error for reading `size` bytes; drawn only on a terminal and for files over 4 MiB.
pub fn progress_bar(size: u64) -> indicatif::ProgressBar {
    if size < 4 << 20 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(size), indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message("importing");
    bar
}
