//! The command line's grammar: global options and one subcommand each, as clap parses them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use events::{Hash, PartialDate, StreamId, Timestamp};
use followup::app::{parse_instant, parse_report, parse_scale};
use followup::render::Lang;

use super::record::RecordArgs;

/// Event-sourced follow-up of audit recommendations: record what happened, read status and timelines.
#[derive(Parser)]
#[command(name = "followup", version, about, long_about = None)]
pub struct Cli {
    /// The store's directory [default: $FOLLOWUP_STORE, else the user's data directory]
    #[arg(long, global = true, env = "FOLLOWUP_STORE", value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// A PostgreSQL database holding the store instead of a directory: a connection string such as
    /// postgres://USER@HOST/DB or postgresql:///DB?host=/run/postgresql [env: FOLLOWUP_DATABASE]
    #[arg(long, global = true, env = "FOLLOWUP_DATABASE", value_name = "URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Output: text (tables), json, md (Markdown), csv, html (status, timeline, summary; others: text or json)
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The language of labels, dates and headings: en or nl
    #[arg(long, global = true, env = "FOLLOWUP_LANG", default_value = "en", value_parser = Lang::parse)]
    pub lang: Lang,
    /// Start CSV output with a UTF-8 byte order mark (for spreadsheets that need it)
    #[arg(long, global = true)]
    pub bom: bool,
    /// Who records the events (import, record) that do not name their recorder [default: $USER]
    #[arg(long, global = true, env = "FOLLOWUP_RECORDED_BY", value_name = "NAME")]
    pub recorded_by: Option<String>,
    /// Whether `recorded_by` came from the environment, not the command line: a server ignores it then.
    #[arg(skip)]
    pub recorded_by_from_env: bool,
    /// Whether `store` came from the command line, not the environment: it then conflicts with `database`.
    #[arg(skip)]
    pub store_from_command_line: bool,
    /// Whether `database` came from the command line, not the environment.
    #[arg(skip)]
    pub database_from_command_line: bool,
    /// A running server to read from and record to, instead of the store (`followup serve`): its URL, such as
    /// http://127.0.0.1:8080 [env: FOLLOWUP_SERVER]
    #[arg(long, global = true, env = "FOLLOWUP_SERVER", value_name = "URL", hide_env = true)]
    pub server: Option<String>,
    /// The bearer token for --server (`followup token create`) [env: FOLLOWUP_TOKEN]
    #[arg(long, global = true, env = "FOLLOWUP_TOKEN", value_name = "TOKEN", hide_env = true, hide_env_values = true)]
    pub token: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

pub use followup::render::output::Format;

#[derive(Subcommand)]
pub enum Command {
    /// Run the main job on the embedded Amsterdam case in a fresh temporary store (never --store): status,
    /// timeline, verification
    Demo,
    /// Import a JSON Lines file of events, a timeline CSV, or (with --map) a register spreadsheet: all or nothing;
    /// importing the same file again adds nothing
    Import {
        /// The file: JSON Lines, or CSV when it ends in `.csv`, or with --map a register (xlsx or CSV) (`-` for
        /// standard input)
        file: PathBuf,
        /// Read the file as this, whatever its name
        #[arg(long, value_name = "FORMAT", value_parser = ["jsonl", "csv"], conflicts_with = "map")]
        input: Option<String>,
        /// Read the file as a register, one row per recommendation, with this mapping of its columns: `nl-register`
        /// (built in: Dutch headers such as Rapport, Nr., Aanbeveling, Standpunt college, Verantwoordelijke,
        /// Streefdatum, Status, Peildatum) or a TOML (or .json) mapping file
        #[arg(long, value_name = "MAPPING")]
        map: Option<String>,
        /// A CSV register's encoding: utf-8 or windows-1252 [default: the mapping's, else UTF-8 unless the file is
        /// not, then Windows-1252, said on standard error]
        #[arg(long, value_name = "ENCODING", requires = "map", value_parser = followup::Encoding::parse)]
        encoding: Option<followup::Encoding>,
        /// The file is a draft file (`followup draft`): its drafts are imported once each is marked
        /// `"draft": false`; a line still marked `"draft": true` refuses the whole file
        #[arg(long, conflicts_with_all = ["map", "input"])]
        drafts: bool,
        /// With --drafts: import the drafts not yet marked as reviewed too
        #[arg(long, requires = "drafts")]
        accept_drafts: bool,
    },
    /// Record one event, given as a JSON line or by its fields
    Record(RecordArgs),
    /// Where each recommendation stands: stance, council, commitments, actions, verdict
    Status {
        /// Only events that certainly occurred by this date (EDTF; its last day counts) [default: today, UTC]
        #[arg(long, value_name = "DATE")]
        as_of: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
        /// Only this report
        #[arg(long, value_name = "REPORT", value_parser = parse_report)]
        report: Option<StreamId>,
        /// Only recommendations this owner is responsible for, or one of whose commitments they now own (the
        /// name as recorded, ignoring case and surrounding spaces; no partial matches)
        #[arg(long, value_name = "NAME")]
        owner: Option<String>,
    },
    /// Dated entries in timeline order: by the year each date starts in; within a year, the dates more precise than
    /// the year by start, end and position, then those covering the whole year or more (`2013`, `199X`, `2011/2012`)
    Timeline {
        /// Only this recommendation (`report/N`) or report
        #[arg(long, value_name = "STREAM")]
        rec: Option<StreamId>,
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
        #[arg(long, value_name = "HASH", value_parser = |s: &str| Hash::parse(s))]
        expect_head: Option<Hash>,
    },
    /// Commitments overdue on a date: due date passed, and the recommendation not (yet) judged implemented
    Due {
        /// The date to judge on (EDTF; its last day counts) [default: today, UTC]
        #[arg(long, value_name = "DATE")]
        on: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
        /// Only commitments this owner is to keep: the commitment's current owner, else its recommendation's (the
        /// name as recorded, ignoring case and surrounding spaces; no partial matches)
        #[arg(long, value_name = "NAME")]
        owner: Option<String>,
    },
    /// Counts per verdict, implementation rates, open and overdue commitments: per report and overall
    Summary {
        /// Only this report
        #[arg(long, value_name = "REPORT", value_parser = parse_report)]
        report: Option<StreamId>,
        /// Only events that certainly occurred by this date, and overdue on it (EDTF; its last day) [default: today]
        #[arg(long, value_name = "DATE")]
        as_of: Option<PartialDate>,
        /// Only what the log held at this UTC instant (RFC 3339, or a date meaning the end of that day, UTC)
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        known_at: Option<Timestamp>,
        /// Count the verdicts on another office's scale: gao, eca, ar (the Algemene Rekenkamer's
        /// Voortgangsmeter), iia, or followup's own (README: "Verdict scales")
        #[arg(long, value_name = "SCALE", value_parser = parse_scale)]
        scale: Option<projections::Scale>,
    },
    /// Write the full report pack into a directory: index.html (summary, status, chart, timelines with sources),
    /// timeline.md and status.csv; of every report, or of one with --report
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
        /// Only this report: its recommendations, timelines, summary and chart
        #[arg(long, value_name = "REPORT", value_parser = parse_report)]
        report: Option<StreamId>,
        /// The page's title [default: the report's title; with several reports, "Follow-up of N reports"]
        #[arg(long)]
        title: Option<String>,
        /// Write into a directory that holds other files too (a pack's own files are always replaced)
        #[arg(long)]
        force: bool,
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
    /// Draft the events of a follow-up report from its text (plain text, or a PDF through pdftotext) as JSON
    /// Lines for review: each line marked `"draft": true` with a confidence and the quote it rests on; with
    /// --compare, score the drafts against a hand-encoded log instead
    Draft {
        /// The report: a text file, or a PDF (read with `pdftotext -layout`, from Debian's poppler-utils)
        file: PathBuf,
        /// The document's title in the drafts' sources [default: the title the text gives its report]
        #[arg(long, value_name = "TITLE")]
        document: Option<String>,
        /// The report's id (its stream) [default: the audit office, the year and the title's first word]
        #[arg(long, value_name = "REPORT")]
        report: Option<String>,
        /// Write the drafts to this file instead of standard output
        #[arg(long, value_name = "FILE", conflicts_with = "compare")]
        out: Option<PathBuf>,
        /// Score the drafts against this hand-encoded log (JSON Lines): recall and precision per kind
        #[arg(long, value_name = "FILE")]
        compare: Option<PathBuf>,
    },
    /// Serve the store to a team: the HTTP API under /api/v1 and the browser UI, with live updates; until
    /// SIGINT or SIGTERM
    Serve {
        /// The address to listen on
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = listen_address)]
        listen: std::net::SocketAddr,
        /// Let anonymous callers read (status, timelines, the log); writes still need a user
        #[arg(long)]
        public: bool,
        /// Mark session cookies Secure: the server is reached over HTTPS, through a proxy
        #[arg(long)]
        secure_cookies: bool,
        /// A host name the server answers to (the Host header), besides IP addresses and localhost; repeat for
        /// several: the name a proxy or the office's DNS gives it. Other names are refused (DNS rebinding)
        #[arg(long = "allowed-host", value_name = "NAME", value_parser = followup::server::allowed_host)]
        allowed_hosts: Vec<String>,
    },
    /// Manage who may sign in to the server (kept beside the log, never in it)
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage bearer tokens for API clients and `--server`
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Copy the whole log from one store to another (a directory or a postgres:// URL each), every event with
    /// its id, version, position, time and hashes kept: the two exports are byte-identical afterwards
    Copy {
        /// The store to copy: a directory or a PostgreSQL connection string
        #[arg(long, value_name = "STORE")]
        from: String,
        /// The store to copy into (created if absent; empty, or holding a beginning of the same log)
        #[arg(long, value_name = "STORE")]
        to: String,
    },
    /// Write the whole log, envelopes included, as JSON Lines in position order (`--format csv`: the events'
    /// content in the timeline's columns, for a spreadsheet; imports back to the same events)
    Export {
        /// Write to this file instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user, or change an existing user's role and password; the password is read from standard input
    /// (its first line) or, on a terminal, from a prompt
    Add {
        /// The user's name, as it is recorded in `recorded_by`
        name: String,
        /// reader (reads everything), auditor (also records and imports), admin (also users, tokens, verify,
        /// export)
        #[arg(long, value_parser = followup::access::Role::parse)]
        role: followup::access::Role,
    },
    /// List the users and their roles
    List,
    /// Remove a user and its tokens
    Remove {
        /// The user's name
        name: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token for a user; it is printed once and kept only as its hash
    Create {
        /// The user the token acts as
        name: String,
        /// How many days it lasts
        #[arg(long, default_value_t = followup::access::TOKEN_DAYS)]
        days: i64,
    },
    /// List the tokens: id, user, expiry (never the tokens themselves)
    List,
    /// Revoke a token by its id
    Revoke {
        /// The token's id (the 8 hexadecimal digits after `fu_`)
        id: String,
    },
}

/// An address to listen on: `127.0.0.1:8080`, `[::1]:8080`, or a name and port such as `localhost:8080` (its first
/// address).
fn listen_address(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let mut addrs = text
        .to_socket_addrs()
        .map_err(|e| format!("`{text}` is not an address and port such as 127.0.0.1:8080 or localhost:8080 ({e})"))?;
    addrs.next().ok_or_else(|| format!("`{text}` names no address"))
}
