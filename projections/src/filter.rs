//! Which events a projection sees: valid time (`as_of`) and transaction time (`known_at`).

use events::{Date, RecordedEvent, Timestamp};

/// The bitemporal window of a read.
///
/// `known_at` (transaction time, a UTC instant) keeps the events the log held then: recorded at or before it.
/// A retraction counts only if it was known then too. `as_of` (valid time, a calendar day) keeps the events that
/// certainly occurred by then: whose `occurred` interval ends on or before the day, so `2016` is not kept as of
/// 2016-06-30 but is as of 2016-12-31.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// Keep events that certainly occurred by this calendar day.
    pub as_of: Option<Date>,
    /// Keep events recorded at or before this UTC instant.
    pub known_at: Option<Timestamp>,
}

impl Window {
    /// Whether the log held `event` at `known_at`.
    pub fn known(&self, event: &RecordedEvent) -> bool {
        self.known_at.is_none_or(|t| event.recorded_at <= t)
    }

    /// Whether `event` had certainly occurred by `as_of`.
    pub fn occurred(&self, event: &RecordedEvent) -> bool {
        self.as_of.is_none_or(|d| event.occurred.certainly_by(d))
    }
}
