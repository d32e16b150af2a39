//! The event schema of `followup`: envelopes, typed event bodies, EDTF partial dates, ids and the line format.
//!
//! Everything here is a stored format. Depends on no other crate of the workspace.
#![deny(missing_docs)]

mod body;
mod concern;
mod date;
mod envelope;
mod ids;

pub use body::minor_units_text;
pub use body::{
    ActionTaken, Body, Claim, CommitmentMade, CommitmentRevised, CommitteeDiscussed, CouncilDecided,
    CouncilMotionVoted, EventRetracted, EventType, ExecutiveReported, ExecutiveResponded, Money, MotionResult, Noted,
    RecommendationIssued, RecommendationReframed, RecommendationStance, Reframing, ReportPublished, Stance,
    StatusAssessed, Unanimous, Verdict, VoteCount, Votes, MAX_AMOUNT,
};
pub use concern::{concerned, Concerned};
pub use date::{DateError, PartialDate, Precision, Qualifier, Season};
pub use envelope::{
    check_recorder, decode, decode_body, line_hashes, Hash, Line, LineError, NewEvent, RecordedEvent, Source,
    MAX_LABEL_CHARS, MAX_LINE_BYTES, MAX_OWNER_BYTES, MAX_RECORDER_BYTES, MAX_STORED_LINE_BYTES,
};
pub use ids::{EventId, IdError, StreamId, MAX_RECOMMENDATION, MAX_REPORT_ID_LEN};
pub use jiff::civil::Date;
pub use jiff::Timestamp;
