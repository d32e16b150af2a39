//! Identifiers: event ids (UUIDs) and stream ids (a report, or one of its recommendations).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// The id of one event: a UUID, written in lowercase hyphenated form.
///
/// An input line without an id gets a version 5 UUID derived from its canonical content
/// ([`crate::NewEvent::content_id`]), so that importing the same line twice adds nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(Uuid);

impl EventId {
    /// Wraps a UUID.
    pub fn from_uuid(uuid: Uuid) -> EventId {
        EventId(uuid)
    }

    /// The UUID.
    pub fn uuid(&self) -> Uuid {
        self.0
    }

    /// The 16 bytes of the UUID, big-endian as RFC 9562 writes them.
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// Parses a UUID in hyphenated form (`8-4-4-4-12` hexadecimal digits).
    ///
    /// # Errors
    /// [`IdError::Event`] when the text is not a hyphenated UUID.
    pub fn parse(text: &str) -> Result<EventId, IdError> {
        if text.len() != 36 {
            return Err(IdError::Event(text.to_owned()));
        }
        Uuid::try_parse(text).map(EventId).map_err(|_| IdError::Event(text.to_owned()))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl std::str::FromStr for EventId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventId::parse(s)
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.hyphenated())
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        EventId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not an id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Not a hyphenated UUID.
    #[error("`{0}` is not an event id (a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427)")]
    Event(String),
    /// Not a stream id; the message says which rule it breaks.
    #[error("`{text}` is not a stream id: {rule}")]
    Stream {
        /// The offending text (control characters escaped by `Debug` formatting of the caller if needed).
        text: String,
        /// The rule it breaks.
        rule: &'static str,
    },
}

/// The longest report id, in bytes.
pub const MAX_REPORT_ID_LEN: usize = 100;
/// The highest recommendation number.
pub const MAX_RECOMMENDATION: u32 = 9999;

/// A stream: a report (`ra-amsterdam-2013-nazorg`) or one of its recommendations (`ra-amsterdam-2013-nazorg/3`).
///
/// A report id is 1 to 100 characters of `a-z`, `0-9`, `.`, `_` and `-`, starting with a letter or digit and without
/// `..`; a recommendation adds `/N` with N from 1 to 9999, without leading zeros. These rules keep ids safe as file
/// names and key prefixes: no path separators besides the one `/`, no control characters, no upper case twins.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId {
    text: Box<str>,
    number: Option<u32>,
}

impl StreamId {
    /// Parses and checks a stream id.
    ///
    /// # Errors
    /// [`IdError::Stream`] naming the rule the text breaks.
    pub fn parse(text: &str) -> Result<StreamId, IdError> {
        let fail = |rule| Err(IdError::Stream { text: text.escape_debug().to_string(), rule });
        let (report, n) = match text.split_once('/') {
            None => (text, None),
            Some((report, n)) => (report, Some(n)),
        };
        if report.is_empty() {
            return fail("the report id is empty");
        }
        if report.len() > MAX_REPORT_ID_LEN {
            return fail("the report id is longer than 100 characters");
        }
        if !report.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')) {
            return fail("only a-z, 0-9, '.', '_' and '-' are allowed in a report id, and one '/' before a recommendation number");
        }
        if !report.as_bytes()[0].is_ascii_alphanumeric() {
            return fail("a report id starts with a letter or digit");
        }
        if report.contains("..") {
            return fail("a report id may not contain '..'");
        }
        let number = match n {
            None => None,
            Some(n) => {
                if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) || n.starts_with('0') || n.len() > 4 {
                    return fail(
                        "after the report id comes at most one '/' and a recommendation number from 1 to 9999",
                    );
                }
                n.parse::<u32>().ok()
            }
        };
        Ok(StreamId { text: text.into(), number })
    }

    /// The stream id as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The report this stream belongs to (itself for a report stream).
    pub fn report(&self) -> &str {
        match self.number {
            Some(_) => self.text.split_once('/').map_or(&*self.text, |(r, _)| r),
            None => &self.text,
        }
    }

    /// The report's own stream.
    pub fn report_stream(&self) -> StreamId {
        StreamId { text: self.report().into(), number: None }
    }

    /// The recommendation number, or `None` for a report stream.
    pub fn recommendation(&self) -> Option<u32> {
        self.number
    }

    /// The stream of recommendation `number` of this stream's report.
    ///
    /// # Errors
    /// [`IdError::Stream`] when `number` is 0 or above 9999.
    pub fn recommendation_stream(&self, number: u32) -> Result<StreamId, IdError> {
        StreamId::parse(&format!("{}/{}", self.report(), number))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for StreamId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StreamId::parse(s)
    }
}

impl Serialize for StreamId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for StreamId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        StreamId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_name_report_and_recommendation() {
        let s = StreamId::parse("ra-amsterdam-2013-nazorg/3").unwrap();
        assert_eq!((s.report(), s.recommendation()), ("ra-amsterdam-2013-nazorg", Some(3)));
        assert_eq!(s.report_stream().as_str(), "ra-amsterdam-2013-nazorg");
        let r = StreamId::parse("ra-amsterdam-2013-nazorg").unwrap();
        assert_eq!((r.report(), r.recommendation()), ("ra-amsterdam-2013-nazorg", None));
        assert_eq!(r.recommendation_stream(5).unwrap().as_str(), "ra-amsterdam-2013-nazorg/5");
    }

    #[test]
    fn unsafe_stream_ids_are_rejected() {
        for bad in [
            "", "../etc", "a/../b", "a/0", "a/01", "a/10000", "a/", "/1", "A", "a b", "a\u{0}b", "a\nb", "a/1/2", "-a",
            ".a", "a..b", "é",
        ] {
            assert!(StreamId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(StreamId::parse(&"a".repeat(101)).is_err());
        assert!(StreamId::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn event_ids_are_hyphenated_uuids() {
        let id = EventId::parse("1b4e28ba-2fa1-11d2-883f-0016d3cca427").unwrap();
        assert_eq!(id.to_string(), "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
        assert_eq!(EventId::parse("1B4E28BA-2FA1-11D2-883F-0016D3CCA427").unwrap(), id);
        for bad in [
            "",
            "1b4e28ba2fa111d2883f0016d3cca427",
            "{1b4e28ba-2fa1-11d2-883f-0016d3cca427}",
            "not-a-uuid",
            "1b4e28ba-2fa1-11d2-883f-0016d3cca42z",
        ] {
            assert_eq!(EventId::parse(bad), Err(IdError::Event(bad.into())), "{bad:?}");
        }
    }
}
