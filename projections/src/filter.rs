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
        self.knows(event.recorded_at)
    }

    /// Whether `event` had certainly occurred by `as_of`.
    pub fn occurred(&self, event: &RecordedEvent) -> bool {
        self.as_of.is_none_or(|d| event.occurred.certainly_by(d))
    }

    /// Whether the log held an event recorded at `recorded_at` (a UTC instant) at `known_at`.
    pub(crate) fn knows(&self, recorded_at: Timestamp) -> bool {
        self.known_at.is_none_or(|t| recorded_at <= t)
    }

    /// Whether the event `stamp` describes counts: [`Window::known`] and [`Window::occurred`] both hold.
    pub(crate) fn counts(&self, stamp: Stamp) -> bool {
        self.knows(stamp.recorded_at) && self.as_of.is_none_or(|d| stamp.last_day <= d)
    }
}

/// What a window needs of an event to judge it, kept by a fold in place of the event: when it was recorded and
/// the last day its `occurred` interval covers ([`events::PartialDate::end`], so that `last_day <= as_of` is
/// [`events::PartialDate::certainly_by`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The event's `recorded_at`, a UTC instant.
    pub recorded_at: Timestamp,
    /// The last calendar day of its `occurred` interval.
    pub last_day: Date,
}

impl Stamp {
    /// The stamp of `event`.
    pub(crate) fn of(event: &RecordedEvent) -> Stamp {
        Stamp { recorded_at: event.recorded_at, last_day: event.occurred.end() }
    }
}
