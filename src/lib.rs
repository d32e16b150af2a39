//! `followup`: an event-sourced workflow engine for the follow-up of audit recommendations.
//!
//! This crate holds the store API with its commit planner and backends (memory, sled), the import of JSON Lines
//! and CSV files, the hash chain check, the application layer every front end calls ([`app`]), the renderers
//! ([`render`]), and the `followup` command line (the binary). The event schema is the `events` crate; status,
//! timelines and verification are pure folds in the `projections` crate.

pub mod access;
pub mod app;
mod chain;
pub mod draft;
mod generate;
mod import;
pub mod render;
pub mod server;
mod store;

pub use chain::{check_chain, check_chain_with, verify_chain, ChainBreak, ChainReport};
pub use generate::{generate, GenerateOptions};
pub use import::csv::read_events as read_csv;
pub use import::register::{
    read_events as read_register, Encoding, Mapping, MappingError, RegisterEvents, RowProblem, BUILTIN_MAPPINGS,
};
pub use import::{
    check_lines, import, import_events, read_events, ImportError, ImportReport, LineProblem, Lines, NumberedLine,
};

pub use store::{
    io_kind, is_database_url, open, open_existing, planner, AppendError, AppendOutcome, BackendError, Clock, ErrorKind,
    EventIter, EventStore, EventStoreExt, ExpectedVersion, Head, LineIter, Location, MemoryStore, OpenError, Opened,
    Pending, PgStore, ReadError, Refusals, SledStore, Subscription, Written, CHUNK_EVENTS, MAX_ERRORS,
};
