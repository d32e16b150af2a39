//! The parameters every front end takes the same way: windows (a valid-time date, a transaction-time instant)
//! and report ids.

use events::{Date, PartialDate, StreamId, Timestamp};
use projections::Window;

/// Parses a report id: a stream id without a recommendation number.
///
/// # Errors
/// A message naming the text: not a stream id, or a recommendation's.
pub fn parse_report(text: &str) -> Result<StreamId, String> {
    let id = StreamId::parse(text).map_err(|e| e.to_string())?;
    match id.recommendation() {
        None => Ok(id),
        Some(_) => Err(format!("`{text}` is a recommendation; --report takes a report id such as `{}`", id.report())),
    }
}

/// Parses a verdict scale's code: `followup`, `gao`, `eca`, `ar`, `iia`.
///
/// # Errors
/// A message naming the text and the scales.
pub fn parse_scale(text: &str) -> Result<projections::Scale, String> {
    projections::Scale::parse(text).ok_or_else(|| {
        let codes: Vec<&str> = projections::Scale::ALL.iter().map(|s| s.code()).collect();
        format!("`{text}` is no verdict scale: give one of {}", codes.join(", "))
    })
}

/// Parses an instant of transaction time: RFC 3339 with an offset (from -23:59 to +23:59), or a calendar date
/// meaning the last instant (23:59:59.999999999) of that day in UTC. A date past the last instant a timestamp can
/// hold (9999-12-30T22:00:00.999999999Z) means that last instant: no event is recorded later.
///
/// # Errors
/// A message naming the text and the forms accepted, or the offset out of range.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    if let Some(offset) = offset_of(text) {
        if offset.get(1..3).and_then(|h| h.parse::<u8>().ok()).is_none_or(|h| h > 23) {
            return Err(format!("`{text}` has the offset {offset}: RFC 3339 offsets run from -23:59 to +23:59"));
        }
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let bad = || {
        format!(
            "`{text}` is not an instant: give RFC 3339 with an offset (2017-12-31T23:59:59Z) or a date (2017-12-31)"
        )
    };
    let is_date = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    if !is_date {
        return Err(bad());
    }
    let day: Date = text.parse().map_err(|_| bad())?;
    let end = day
        .tomorrow()
        .and_then(|next| jiff::tz::TimeZone::UTC.to_timestamp(next.to_datetime(jiff::civil::Time::midnight())))
        .and_then(|midnight| midnight.checked_sub(jiff::SignedDuration::from_nanos(1)));
    Ok(end.unwrap_or(Timestamp::MAX))
}

/// The `+HH:MM` or `-HH:MM` offset at the end of an RFC 3339 text, if it has one (after its time).
fn offset_of(text: &str) -> Option<&str> {
    let time = &text[text.find(['T', 't', ' '])? + 1..];
    let at = time.rfind(['+', '-'])?;
    Some(&time[at..])
}

/// The window of a read: events that certainly occurred by the last day of `as_of` (valid time, EDTF), and
/// that the log held at `known_at` (transaction time, UTC).
pub fn window(as_of: Option<&PartialDate>, known_at: Option<Timestamp>) -> Window {
    Window { as_of: as_of.map(|d| d.end()), known_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_as_an_instant_is_the_last_nanosecond_of_that_day_in_utc() {
        assert_eq!(parse_instant("2017-12-31").unwrap().to_string(), "2017-12-31T23:59:59.999999999Z");
        assert_eq!(parse_instant("2017-12-31T10:00:00+01:00").unwrap().to_string(), "2017-12-31T09:00:00Z");
        assert!(parse_instant("2017-12").unwrap_err().contains("`2017-12` is not an instant"));
        assert!(parse_instant("2017-02-30").is_err());
    }

    #[test]
    fn an_offset_beyond_rfc_3339_s_range_is_refused_naming_it() {
        assert_eq!(
            parse_instant("2017-01-01T00:00:00+25:00").unwrap_err(),
            "`2017-01-01T00:00:00+25:00` has the offset +25:00: RFC 3339 offsets run from -23:59 to +23:59"
        );
        assert!(parse_instant("2017-01-01T00:00:00-24:00").is_err());
        assert_eq!(parse_instant("2017-01-01T00:00:00-23:59").unwrap().to_string(), "2017-01-01T23:59:00Z");
    }

    #[test]
    fn the_last_days_of_year_9999_mean_the_last_instant_a_timestamp_holds() {
        assert_eq!(parse_instant("9999-12-31"), Ok(Timestamp::MAX));
        assert_eq!(parse_instant("9999-12-30"), Ok(Timestamp::MAX));
        assert_eq!(parse_instant("9999-12-29").unwrap().to_string(), "9999-12-29T23:59:59.999999999Z");
    }

    #[test]
    fn a_report_id_has_no_recommendation_number() {
        assert_eq!(parse_report("ra-2013").unwrap().as_str(), "ra-2013");
        assert_eq!(
            parse_report("ra-2013/2").unwrap_err(),
            "`ra-2013/2` is a recommendation; --report takes a report id such as `ra-2013`"
        );
    }

    #[test]
    fn a_window_ends_on_the_last_day_of_its_date() {
        let w = window(Some(&PartialDate::parse("2016").unwrap()), None);
        assert_eq!(w.as_of, Some("2016-12-31".parse().unwrap()));
    }
}
