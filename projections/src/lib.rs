//! Pure projections of the `followup` event log: the status of every recommendation and dated timelines.
//!
//! No IO, no clock, no async, no environment: every function folds events given in position order, and time
//! comes from the events' envelopes and from arguments. Depends on the `events` crate alone.
#![deny(missing_docs)]

mod filter;
mod status;
mod timeline;

use events::{EventId, RecordedEvent};
use serde::Serialize;

pub use filter::Window;
pub use status::{
    status, ActionEntry, Amount, CommitmentEntry, CouncilEntry, RecommendationStatus, Status, StatusFold, VerdictEntry,
};
pub use timeline::{timeline, Timeline, TimelineEntry, TimelineFilter, TimelineFold};

/// A fact that did not fit a projection: reported beside the result, never a panic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// The position of the event at fault, when there is one.
    pub position: Option<u64>,
    /// Its id.
    pub event_id: Option<EventId>,
    /// What does not fit.
    pub message: String,
}

impl Anomaly {
    /// An anomaly about `event`, or about no event in particular.
    pub fn new(event: Option<&RecordedEvent>, message: String) -> Anomaly {
        Anomaly { position: event.map(|e| e.position), event_id: event.map(|e| e.id), message }
    }
}
