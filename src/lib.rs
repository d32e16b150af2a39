//! `followup`: an event-sourced workflow engine for the follow-up of audit recommendations.
//!
//! This crate holds the sled event store, the import of JSON Lines files, and the `followup` command line.
//! The event schema is the `events` crate; status and timeline are pure folds in the `projections` crate.

mod chain;
mod generate;
mod import;
pub mod render;
mod store;

pub use chain::{check_chain, check_chain_with, verify_chain, verify_chain_with, ChainBreak, ChainReport};
pub use generate::{generate, GenerateOptions};
pub use import::{import, import_events, read_events, ImportError, ImportReport, LineProblem, Lines, NumberedLine};

pub use store::{
    AppendError, AppendOutcome, EventStore, ExpectedVersion, Head, OpenError, Pending, ReadError, SledStore,
    Subscription, Written, CHUNK_EVENTS,
};
