//! Envelopes and event lines: what a user gives ([`NewEvent`]), what the store keeps ([`RecordedEvent`]), the
//! JSON Lines format of both, and the SHA-256 chain that seals each stored line.

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::body::*;
use crate::{EventId, PartialDate, StreamId};

/// The longest event line accepted, in bytes (64 KiB), input or stored.
///
/// Keeps every event far below the size at which the store would move it out of its log into a separate file,
/// and bounds the memory one line can take.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The longest stored (and exported) line, in bytes: an input line of [`MAX_LINE_BYTES`] plus room for the
/// store's fields (id, version, position, recorded_at, recorded_by, prev_hash, hash).
pub const MAX_STORED_LINE_BYTES: usize = MAX_LINE_BYTES + 1024;

/// The longest `recorded_by`, in bytes.
pub const MAX_RECORDER_BYTES: usize = 200;

/// Where a fact comes from: a document, a place in it, and optionally the words themselves.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The document's title.
    pub document: String,
    /// Where in the document: section number and heading, page.
    pub locator: String,
    /// The words quoted, exactly as in the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

/// An event as a user gives it, before the store assigns version, position, time and hash.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// The event's id: given on the line, or derived from its content ([`NewEvent::content_id`]).
    pub id: EventId,
    /// The stream it is appended to.
    pub stream: StreamId,
    /// When it happened (valid time), as precise as the source.
    pub occurred: PartialDate,
    /// Where the fact comes from.
    pub source: Source,
    /// The fact itself.
    pub body: Body,
    /// Who records it, when the line says so; else the recorder of the whole append.
    pub recorded_by: Option<String>,
}

/// An event as the store keeps it: a [`NewEvent`] with its place in the log, its transaction time and its hashes.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEvent {
    /// The event's id, unique in the store.
    pub id: EventId,
    /// Its stream.
    pub stream: StreamId,
    /// Its version in the stream: 1, 2, 3, ... without gaps.
    pub version: u64,
    /// Its position in the whole log: 1, 2, 3, ... without gaps, in commit order.
    pub position: u64,
    /// When it happened (valid time), as precise as the source.
    pub occurred: PartialDate,
    /// When the store appended it (transaction time): a UTC instant, never earlier than the previous event's.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: String,
    /// Where the fact comes from.
    pub source: Source,
    /// The fact itself.
    pub body: Body,
    /// The hash of the event at the previous position ([`Hash::ZERO`] for position 1).
    pub prev_hash: Hash,
    /// The SHA-256 of this event's line without its `hash` member ([`seal`]).
    pub hash: Hash,
}

/// A SHA-256 digest, written as 64 lowercase hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev_hash` of the first event: 64 zeros.
    pub const ZERO: Hash = Hash([0; 32]);

    /// Parses 64 hexadecimal digits.
    ///
    /// # Errors
    /// A message naming the text when it is not 64 hexadecimal digits.
    pub fn parse(text: &str) -> Result<Hash, String> {
        fn nibble(c: u8) -> u8 {
            match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                _ => 16,
            }
        }
        let b = text.as_bytes();
        let bad = || format!("`{text}` is not a SHA-256 hash (64 lowercase hexadecimal digits)");
        if b.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        let mut invalid = 0u8;
        for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
            let (h, l) = (nibble(pair[0]), nibble(pair[1]));
            invalid |= (h | l) & 16;
            *o = (h & 15) << 4 | (l & 15);
        }
        if invalid != 0 {
            return Err(bad());
        }
        Ok(Hash(out))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 64];
        for (i, b) in self.0.iter().enumerate() {
            text[2 * i] = HEX[usize::from(b >> 4)];
            text[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(d)?;
        Hash::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What is wrong with one event line: the field (a dotted path such as `data.verdict`, when known) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct LineError {
    /// The field at fault, as a path into the line's JSON object (`data.evidence[1]`), or `None` for the whole line.
    pub field: Option<String>,
    /// What is wrong, lowercase, no final period.
    pub message: String,
}

impl LineError {
    /// An error about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> LineError {
        LineError { field: Some(field.into()), message: message.into() }
    }

    /// An error about the line as a whole.
    pub fn line(message: impl Into<String>) -> LineError {
        LineError { field: None, message: message.into() }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "field `{field}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// One decoded line of an input or exported file.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// A line without store fields: to be appended.
    New(NewEvent),
    /// A line with every store field (an exported line), whose `hash` matches its bytes.
    Recorded(RecordedEvent),
}

/// The longest verdict label (`data.label`), in characters.
pub const MAX_LABEL_CHARS: usize = 120;

/// The namespace of derived event ids: `uuid5(NAMESPACE_URL, "https://followup.invalid/event")`.
fn id_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://followup.invalid/event")
}

/// The `data` member of a body: the variant's fields without the type tag.
struct Data<'a>(&'a Body);

impl Serialize for Data<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Body::ReportPublished(b) => b.serialize(s),
            Body::RecommendationIssued(b) => b.serialize(s),
            Body::RecommendationReframed(b) => b.serialize(s),
            Body::ExecutiveResponded(b) => b.serialize(s),
            Body::AuditorCommented(b) | Body::ContextNoted(b) => b.serialize(s),
            Body::CommitteeDiscussed(b) => b.serialize(s),
            Body::CouncilDecided(b) => b.serialize(s),
            Body::CouncilMotionVoted(b) => b.serialize(s),
            Body::CommitmentMade(b) => b.serialize(s),
            Body::ActionTaken(b) => b.serialize(s),
            Body::StatusAssessed(b) => b.serialize(s),
            Body::EventRetracted(b) => b.serialize(s),
            Body::CommitmentRevised(b) => b.serialize(s),
            Body::ExecutiveReported(b) => b.serialize(s),
        }
    }
}

/// The canonical content of an event, the input of its derived id and of "same content" checks.
#[derive(Serialize)]
struct Content<'a> {
    stream: &'a StreamId,
    #[serde(rename = "type")]
    kind: EventType,
    occurred: &'a PartialDate,
    source: &'a Source,
    data: Data<'a>,
}

/// An input line: the content with its id and recorder.
#[derive(Serialize)]
struct InputLine<'a> {
    id: EventId,
    stream: &'a StreamId,
    #[serde(rename = "type")]
    kind: EventType,
    occurred: &'a PartialDate,
    source: &'a Source,
    data: Data<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded_by: Option<&'a str>,
}

/// A stored line before its `hash` member is added. Field order is the stored format.
#[derive(Serialize)]
struct Unsealed<'a> {
    id: EventId,
    stream: &'a StreamId,
    version: u64,
    position: u64,
    occurred: &'a PartialDate,
    recorded_at: Timestamp,
    recorded_by: &'a str,
    source: &'a Source,
    #[serde(rename = "type")]
    kind: EventType,
    data: Data<'a>,
    prev_hash: Hash,
}

impl NewEvent {
    /// A new event whose id is derived from its content.
    pub fn new(stream: StreamId, occurred: PartialDate, source: Source, body: Body) -> NewEvent {
        let mut event =
            NewEvent { id: EventId::from_uuid(Uuid::nil()), stream, occurred, source, body, recorded_by: None };
        event.id = event.content_id();
        event
    }

    /// The canonical JSON of the event's content: `{"stream", "type", "occurred", "source", "data"}` in that order,
    /// without whitespace.
    pub fn content_bytes(&self) -> Vec<u8> {
        content_bytes(&self.stream, &self.occurred, &self.source, &self.body)
    }

    /// The id derived from the content: a version 5 UUID of [`NewEvent::content_bytes`].
    pub fn content_id(&self) -> EventId {
        EventId::from_uuid(Uuid::new_v5(&id_namespace(), &self.content_bytes()))
    }

    /// The event as one input line of JSON Lines (`id`, `stream`, `type`, `occurred`, `source`, `data`, and
    /// `recorded_by` when set), without a trailing newline; [`decode`] reads it back to an equal event.
    pub fn to_line(&self) -> String {
        let line = InputLine {
            id: self.id,
            stream: &self.stream,
            kind: self.body.event_type(),
            occurred: &self.occurred,
            source: &self.source,
            data: Data(&self.body),
            recorded_by: self.recorded_by.as_deref(),
        };
        serde_json::to_string(&line).unwrap_or_default()
    }

    /// Checks the rules a single event must meet on its own, beyond its JSON shape.
    ///
    /// Rules: `report_published` on a report stream; `recommendation_issued` and `status_assessed` on a
    /// recommendation stream, the former with the stream's number; `recommendations` only on a report stream,
    /// each from 1 to 9999 and named once; evidence and kept commitments named once; a verdict's `as_of` not
    /// later than the assessment; a commitment not due before it was made; a motion's result agreeing with
    /// counted votes (adopted needs more votes for than against); texts not blank and without control
    /// characters other than tab and line breaks.
    ///
    /// # Errors
    /// The first rule broken, with the field.
    pub fn validate(&self) -> Result<(), LineError> {
        validate(&self.stream, &self.occurred, &self.source, &self.body, self.recorded_by.as_deref())
    }
}

fn content_bytes(stream: &StreamId, occurred: &PartialDate, source: &Source, body: &Body) -> Vec<u8> {
    let content = Content { stream, kind: body.event_type(), occurred, source, data: Data(body) };
    serde_json::to_vec(&content).unwrap_or_default()
}

/// Appends the `hash` member to an unsealed line and returns the hash and the sealed line.
///
/// The hash of a stored line is the SHA-256 of the line's bytes with its final `,"hash":"…"` member removed;
/// since the line holds `prev_hash`, the hashes chain the log in position order.
fn seal(mut unsealed: Vec<u8>) -> (Hash, Vec<u8>) {
    let hash = Hash(Sha256::digest(&unsealed).into());
    unsealed.pop();
    unsealed.extend_from_slice(b",\"hash\":\"");
    unsealed.extend_from_slice(hash.to_string().as_bytes());
    unsealed.extend_from_slice(b"\"}");
    (hash, unsealed)
}

/// The length of the final member `,"hash":"<64 hex>"}`.
const HASH_TAIL: usize = 9 + 64 + 2;

/// Recomputes the hash of a stored line: `(hash written in the line, hash of its bytes)`.
///
/// # Errors
/// When the line does not end in a `,"hash":"<64 hex>"}` member.
pub fn line_hashes(line: &[u8]) -> Result<(Hash, Hash), LineError> {
    let n = line.len();
    let bad = || LineError::field("hash", "the line does not end with its \"hash\" member");
    if n < HASH_TAIL + 2 || !line[n - HASH_TAIL..].starts_with(b",\"hash\":\"") || !line.ends_with(b"\"}") {
        return Err(bad());
    }
    let written = std::str::from_utf8(&line[n - 66..n - 2]).map_err(|_| bad())?;
    let written = Hash::parse(written).map_err(|m| LineError::field("hash", m))?;
    let mut hasher = Sha256::new();
    hasher.update(&line[..n - HASH_TAIL]);
    hasher.update(b"}");
    Ok((written, Hash(hasher.finalize().into())))
}

impl RecordedEvent {
    /// Gives a new event its place in the log and seals it: returns the recorded event and its stored line
    /// (canonical JSON, no trailing newline), whose last member is `hash`.
    pub fn seal(
        event: NewEvent,
        version: u64,
        position: u64,
        recorded_at: Timestamp,
        recorded_by: String,
        prev_hash: Hash,
    ) -> (RecordedEvent, Vec<u8>) {
        let unsealed = Unsealed {
            id: event.id,
            stream: &event.stream,
            version,
            position,
            occurred: &event.occurred,
            recorded_at,
            recorded_by: &recorded_by,
            source: &event.source,
            kind: event.body.event_type(),
            data: Data(&event.body),
            prev_hash,
        };
        let (hash, line) = seal(serde_json::to_vec(&unsealed).unwrap_or_default());
        let NewEvent { id, stream, occurred, source, body, .. } = event;
        let recorded = RecordedEvent {
            id,
            stream,
            version,
            position,
            occurred,
            recorded_at,
            recorded_by,
            source,
            body,
            prev_hash,
            hash,
        };
        (recorded, line)
    }

    /// Decodes a line the store wrote, for replay: its JSON shape only, without recomputing its hash or
    /// checking the rules of [`NewEvent::validate`] again (the store checked them when it wrote the line, and
    /// `verify` checks the chain). About three times faster than [`decode`].
    ///
    /// # Errors
    /// When the line is not a complete stored line: the error [`decode`] gives for it.
    pub fn decode(line: &[u8]) -> Result<RecordedEvent, LineError> {
        if let Some(e) = decode_stored(line) {
            return Ok(e);
        }
        match decode(line)? {
            Line::Recorded(e) => Ok(e),
            Line::New(_) => Err(LineError::line(
                "the line lacks the store's fields (id, version, position, recorded_at, recorded_by, prev_hash, hash)",
            )),
        }
    }

    /// The event as a stored line (canonical JSON, no trailing newline, `hash` last): the bytes the store wrote
    /// for it, as long as it was decoded from them, since the form is canonical.
    pub fn to_line(&self) -> Vec<u8> {
        let unsealed = Unsealed {
            id: self.id,
            stream: &self.stream,
            version: self.version,
            position: self.position,
            occurred: &self.occurred,
            recorded_at: self.recorded_at,
            recorded_by: &self.recorded_by,
            source: &self.source,
            kind: self.body.event_type(),
            data: Data(&self.body),
            prev_hash: self.prev_hash,
        };
        let mut line = serde_json::to_vec(&unsealed).unwrap_or_default();
        line.pop();
        line.extend_from_slice(b",\"hash\":\"");
        line.extend_from_slice(self.hash.to_string().as_bytes());
        line.extend_from_slice(b"\"}");
        line
    }

    /// Whether `new` states the same fact: same id, stream, occurred, source, type and data.
    pub fn same_content(&self, new: &NewEvent) -> bool {
        self.id == new.id
            && self.stream == new.stream
            && self.occurred == new.occurred
            && self.source == new.source
            && self.body == new.body
    }

    /// The canonical JSON of the content, as [`NewEvent::content_bytes`].
    pub fn content_bytes(&self) -> Vec<u8> {
        content_bytes(&self.stream, &self.occurred, &self.source, &self.body)
    }

    /// The event as a [`NewEvent`]: what a user gave, without the store's fields.
    pub fn to_new(&self) -> NewEvent {
        NewEvent {
            id: self.id,
            stream: self.stream.clone(),
            occurred: self.occurred.clone(),
            source: self.source.clone(),
            body: self.body.clone(),
            recorded_by: Some(self.recorded_by.clone()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine<'a> {
    #[serde(default)]
    id: Option<EventId>,
    stream: StreamId,
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    position: Option<u64>,
    occurred: PartialDate,
    #[serde(default)]
    recorded_at: Option<Timestamp>,
    #[serde(default)]
    recorded_by: Option<String>,
    source: Source,
    #[serde(rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(default)]
    prev_hash: Option<Hash>,
    #[serde(default)]
    hash: Option<Hash>,
}

/// The fast path of [`RecordedEvent::decode`]: one pass over a stored line, its body decoded as it is met (a
/// stored line names its `type` before its `data`); `None` when the line does not decode this way.
fn decode_stored(line: &[u8]) -> Option<RecordedEvent> {
    let text = std::str::from_utf8(line).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let event = serde::Deserializer::deserialize_map(&mut de, StoredVisitor).ok()?;
    de.end().ok()?;
    Some(event)
}

/// Reads a stored line's members, each once, every one required, no other.
struct StoredVisitor;

impl<'de> serde::de::Visitor<'de> for StoredVisitor {
    type Value = RecordedEvent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a stored event line")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RecordedEvent, A::Error> {
        use serde::de::Error;
        let (mut id, mut stream, mut version, mut position, mut occurred) = (None, None, None, None, None);
        let (mut recorded_at, mut recorded_by, mut source, mut kind, mut body) = (None, None, None, None, None);
        let (mut prev_hash, mut hash) = (None, None);
        fn set<T, E: Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
            match slot.replace(value) {
                Some(_) => Err(E::duplicate_field(name)),
                None => Ok(()),
            }
        }
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "id" => set(&mut id, map.next_value::<EventId>()?, "id")?,
                "stream" => set(&mut stream, map.next_value::<StreamId>()?, "stream")?,
                "version" => set(&mut version, map.next_value::<u64>()?, "version")?,
                "position" => set(&mut position, map.next_value::<u64>()?, "position")?,
                "occurred" => set(&mut occurred, map.next_value::<PartialDate>()?, "occurred")?,
                "recorded_at" => set(&mut recorded_at, map.next_value::<Timestamp>()?, "recorded_at")?,
                "recorded_by" => set(&mut recorded_by, map.next_value::<String>()?, "recorded_by")?,
                "source" => set(&mut source, map.next_value::<Source>()?, "source")?,
                "type" => set(&mut kind, map.next_value::<EventType>()?, "type")?,
                "data" => {
                    let kind = kind.ok_or_else(|| A::Error::custom("`data` before `type`"))?;
                    set(&mut body, map.next_value_seed(BodySeed(kind))?, "data")?;
                }
                "prev_hash" => set(&mut prev_hash, map.next_value::<Hash>()?, "prev_hash")?,
                "hash" => set(&mut hash, map.next_value::<Hash>()?, "hash")?,
                other => return Err(A::Error::unknown_field(other, &[])),
            }
        }
        let missing = |name| A::Error::missing_field(name);
        Ok(RecordedEvent {
            id: id.ok_or_else(|| missing("id"))?,
            stream: stream.ok_or_else(|| missing("stream"))?,
            version: version.ok_or_else(|| missing("version"))?,
            position: position.ok_or_else(|| missing("position"))?,
            occurred: occurred.ok_or_else(|| missing("occurred"))?,
            recorded_at: recorded_at.ok_or_else(|| missing("recorded_at"))?,
            recorded_by: recorded_by.ok_or_else(|| missing("recorded_by"))?,
            source: source.ok_or_else(|| missing("source"))?,
            body: body.ok_or_else(|| missing("data"))?,
            prev_hash: prev_hash.ok_or_else(|| missing("prev_hash"))?,
            hash: hash.ok_or_else(|| missing("hash"))?,
        })
    }
}

/// Decodes `data` as the body of the type named before it.
struct BodySeed(EventType);

impl<'de> serde::de::DeserializeSeed<'de> for BodySeed {
    type Value = Body;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Body, D::Error> {
        Ok(match self.0 {
            EventType::ReportPublished => Body::ReportPublished(Deserialize::deserialize(d)?),
            EventType::RecommendationIssued => Body::RecommendationIssued(Deserialize::deserialize(d)?),
            EventType::RecommendationReframed => Body::RecommendationReframed(Deserialize::deserialize(d)?),
            EventType::ExecutiveResponded => Body::ExecutiveResponded(Deserialize::deserialize(d)?),
            EventType::AuditorCommented => Body::AuditorCommented(Deserialize::deserialize(d)?),
            EventType::CommitteeDiscussed => Body::CommitteeDiscussed(Deserialize::deserialize(d)?),
            EventType::CouncilDecided => Body::CouncilDecided(Deserialize::deserialize(d)?),
            EventType::CouncilMotionVoted => Body::CouncilMotionVoted(Deserialize::deserialize(d)?),
            EventType::CommitmentMade => Body::CommitmentMade(Deserialize::deserialize(d)?),
            EventType::ActionTaken => Body::ActionTaken(Deserialize::deserialize(d)?),
            EventType::ContextNoted => Body::ContextNoted(Deserialize::deserialize(d)?),
            EventType::StatusAssessed => Body::StatusAssessed(Deserialize::deserialize(d)?),
            EventType::EventRetracted => Body::EventRetracted(Deserialize::deserialize(d)?),
            EventType::CommitmentRevised => Body::CommitmentRevised(Deserialize::deserialize(d)?),
            EventType::ExecutiveReported => Body::ExecutiveReported(Deserialize::deserialize(d)?),
        })
    }
}

/// Strips serde_json's " at line L column C", which counts within the one line decoded.
fn tidy(message: String) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    }
}

/// Plain words for serde's messages that name internal types.
fn plain(message: String) -> String {
    if message.contains("expected struct RawLine") {
        "the line is not a JSON object".into()
    } else if message.contains("expected struct ") && message.starts_with("invalid ") {
        "must be a JSON object".into()
    } else {
        message
    }
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> LineError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return LineError::line(format!("invalid JSON: {} (column {})", tidy(inner.to_string()), inner.column()));
    }
    let message = plain(tidy(inner.to_string()));
    let mut path = match (prefix, path.as_str()) {
        (_, ".") => (!prefix.is_empty()).then(|| prefix.to_owned()),
        ("", p) => Some(p.to_owned()),
        (pre, p) => Some(format!("{pre}.{p}")),
    };
    // A duplicate field is named by the message, not by the path: name it as the field.
    if let Some(name) = message.strip_prefix("duplicate field `").and_then(|m| m.split('`').next()) {
        path = Some(match path {
            Some(p) => format!("{p}.{name}"),
            None => name.to_owned(),
        });
    }
    LineError { field: path, message }
}

/// Decodes the body of an event from its type name and its `data` JSON.
///
/// # Errors
/// An unknown type (field `type`) or data that does not fit the type (a field under `data`).
pub fn decode_body(kind: &str, data: &str) -> Result<Body, LineError> {
    let Some(event_type) = EventType::parse(kind) else {
        let known: Vec<&str> = EventType::ALL.iter().map(EventType::code).collect();
        return Err(LineError::field("type", format!("unknown event type `{kind}` (known: {})", known.join(", "))));
    };
    if !data.trim_start().starts_with('{') {
        return Err(LineError::field("data", "must be a JSON object"));
    }
    if let Ok(body) = body_of(event_type, data) {
        return Ok(body);
    }
    // Decode again, slowly, to name the field at fault.
    let json = format!("{{\"type\":\"{kind}\",\"data\":{data}}}");
    let de = &mut serde_json::Deserializer::from_str(&json);
    serde_path_to_error::deserialize::<_, Body>(de).map_err(|e| path_error(e, ""))
}

/// Decodes `data` as the body of type `kind` directly, without the path of a failing field: the fast path of
/// [`decode_body`] and of reading the store. It accepts exactly what the tagged [`Body`] accepts.
fn body_of(kind: EventType, data: &str) -> Result<Body, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(data);
    let body = serde::de::DeserializeSeed::deserialize(BodySeed(kind), &mut de)?;
    de.end()?;
    Ok(body)
}

/// Decodes one line of JSON Lines: an input line (no store fields) or a stored/exported line (all of them).
///
/// Input lines without `id` get one derived from their content. Stored lines must carry all of `id`, `version`,
/// `position`, `recorded_at`, `recorded_by`, `prev_hash` and `hash`, and their hash must match their bytes.
/// Both kinds are validated with [`NewEvent::validate`].
///
/// # Errors
/// [`LineError`] naming the field: invalid JSON, a missing, unknown or duplicate field, a value of the wrong
/// shape, an impossible date, a malformed id, a broken rule, a line longer than [`MAX_LINE_BYTES`].
pub fn decode(line: &[u8]) -> Result<Line, LineError> {
    // Input lines may be 64 KiB; stored lines, which end in their hash member, a little more.
    let stored = line.len() > HASH_TAIL && line[line.len() - HASH_TAIL..].starts_with(b",\"hash\":\"");
    let limit = if stored { MAX_STORED_LINE_BYTES } else { MAX_LINE_BYTES };
    if line.len() > limit {
        return Err(LineError::line(format!("the line is {} bytes long; the limit is {limit}", line.len())));
    }
    let text = std::str::from_utf8(line)
        .map_err(|e| LineError::line(format!("the line is not valid UTF-8 (byte {})", e.valid_up_to() + 1)))?;
    if !text.trim_start().starts_with('{') {
        return Err(LineError::line("the line is not a JSON object"));
    }
    let raw: RawLine<'_> = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(_) => {
            // Decode again, slowly, to name the field at fault.
            let de = &mut serde_json::Deserializer::from_str(text);
            let raw: RawLine<'_> = serde_path_to_error::deserialize(&mut *de).map_err(|e| path_error(e, ""))?;
            de.end().map_err(|e| {
                LineError::line(format!("invalid JSON: {} (column {})", tidy(e.to_string()), e.column()))
            })?;
            raw
        }
    };
    let body = decode_body(&raw.kind, raw.data.get())?;
    if let Some(by) = &raw.recorded_by {
        check_text("recorded_by", by)?;
    }
    if raw.id.is_some_and(|id| id.uuid().is_nil()) {
        return Err(LineError::field("id", "the nil UUID is not an event id"));
    }
    validate(&raw.stream, &raw.occurred, &raw.source, &body, raw.recorded_by.as_deref())?;
    let store_fields = [
        ("version", raw.version.is_some()),
        ("position", raw.position.is_some()),
        ("recorded_at", raw.recorded_at.is_some()),
        ("prev_hash", raw.prev_hash.is_some()),
        ("hash", raw.hash.is_some()),
    ];
    if store_fields.iter().all(|(_, given)| !given) {
        let mut event = NewEvent {
            id: raw.id.unwrap_or(EventId::from_uuid(Uuid::nil())),
            stream: raw.stream,
            occurred: raw.occurred,
            source: raw.source,
            body,
            recorded_by: raw.recorded_by,
        };
        if raw.id.is_none() {
            event.id = event.content_id();
        }
        return Ok(Line::New(event));
    }
    let missing = |name: &str| {
        LineError::field(
            name,
            "missing: a line with store fields needs all of id, version, position, recorded_at, recorded_by, prev_hash and hash",
        )
    };
    let given = [
        ("id", raw.id.is_some()),
        ("version", raw.version.is_some()),
        ("position", raw.position.is_some()),
        ("recorded_at", raw.recorded_at.is_some()),
        ("recorded_by", raw.recorded_by.is_some()),
        ("prev_hash", raw.prev_hash.is_some()),
        ("hash", raw.hash.is_some()),
    ];
    let (Some(id), Some(version), Some(position), Some(recorded_at), Some(recorded_by), Some(prev_hash), Some(hash)) =
        (raw.id, raw.version, raw.position, raw.recorded_at, raw.recorded_by, raw.prev_hash, raw.hash)
    else {
        let name = given.into_iter().find(|(_, given)| !given).map_or("hash", |(name, _)| name);
        return Err(missing(name));
    };
    if version == 0 {
        return Err(LineError::field("version", "versions start at 1"));
    }
    if position == 0 {
        return Err(LineError::field("position", "positions start at 1"));
    }
    let (written, computed) = line_hashes(line)?;
    if written != hash || written != computed {
        return Err(LineError::field(
            "hash",
            format!("the line's bytes hash to {computed}, not to the {written} it states"),
        ));
    }
    Ok(Line::Recorded(RecordedEvent {
        id,
        stream: raw.stream,
        version,
        position,
        occurred: raw.occurred,
        recorded_at,
        recorded_by,
        source: raw.source,
        body,
        prev_hash,
        hash,
    }))
}

/// Checks a recorder's name: not blank, no control characters (not even line breaks), at most
/// [`MAX_RECORDER_BYTES`].
///
/// # Errors
/// The rule broken, on field `recorded_by`.
pub fn check_recorder(name: &str) -> Result<(), LineError> {
    check_text("recorded_by", name)?;
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(LineError::field("recorded_by", format!("contains the control character {c:?}")));
    }
    if name.len() > MAX_RECORDER_BYTES {
        return Err(LineError::field("recorded_by", format!("is longer than {MAX_RECORDER_BYTES} bytes")));
    }
    Ok(())
}

/// The longest owner's name, in bytes.
pub const MAX_OWNER_BYTES: usize = 200;

/// Checks an owner's name (`data.owner`): not blank, no control characters (not even line breaks), at most
/// [`MAX_OWNER_BYTES`].
fn check_owner(owner: &str) -> Result<(), LineError> {
    check_text("data.owner", owner)?;
    if owner.chars().any(char::is_control) {
        return Err(LineError::field("data.owner", "contains a line break or tab: an owner is a name on one line"));
    }
    if owner.len() > MAX_OWNER_BYTES {
        return Err(LineError::field("data.owner", format!("is longer than {MAX_OWNER_BYTES} bytes")));
    }
    Ok(())
}

fn check_text(field: &str, text: &str) -> Result<(), LineError> {
    if text.trim().is_empty() {
        return Err(LineError::field(field, "is blank"));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
        return Err(LineError::field(field, format!("contains the control character {:?}", c)));
    }
    Ok(())
}

fn validate(
    stream: &StreamId,
    occurred: &PartialDate,
    source: &Source,
    body: &Body,
    recorded_by: Option<&str>,
) -> Result<(), LineError> {
    check_text("source.document", &source.document)?;
    check_text("source.locator", &source.locator)?;
    if let Some(q) = &source.quote {
        check_text("source.quote", q)?;
    }
    if let Some(by) = recorded_by {
        check_recorder(by)?;
    }
    let kind = body.event_type().code();
    let number = stream.recommendation();
    match (body, number) {
        (Body::ReportPublished(_), Some(_)) => {
            return Err(LineError::field(
                "stream",
                format!("{kind} belongs on a report stream, not on recommendation stream `{stream}`"),
            ));
        }
        (Body::RecommendationIssued(_) | Body::RecommendationReframed(_) | Body::StatusAssessed(_), None) => {
            let what = if matches!(body, Body::StatusAssessed(_)) { "a verdict" } else { kind };
            return Err(LineError::field(
                "stream",
                format!(
                    "{what} belongs on a recommendation stream such as `{stream}/1`, not on report stream `{stream}`"
                ),
            ));
        }
        (Body::RecommendationIssued(RecommendationIssued { number, .. }), Some(n))
        | (Body::RecommendationReframed(RecommendationReframed { number, .. }), Some(n))
            if *number != n =>
        {
            return Err(LineError::field("data.number", format!("is {number} but the stream is recommendation {n}")));
        }
        (Body::ExecutiveResponded(b), Some(_)) if !b.stances.is_empty() => {
            return Err(LineError::field(
                "data.stances",
                format!("gives stances per recommendation, which only a report-level response may do; `{stream}` is a recommendation stream"),
            ));
        }
        _ => {}
    }
    let recs = body.recommendations();
    if !recs.is_empty() && number.is_some() {
        return Err(LineError::field(
            "data.recommendations",
            format!(
                "names recommendations, which only a report-level event may do; `{stream}` is a recommendation stream"
            ),
        ));
    }
    for (i, n) in recs.iter().enumerate() {
        if !(1..=crate::MAX_RECOMMENDATION).contains(n) {
            return Err(LineError::field(
                format!("data.recommendations[{i}]"),
                format!("{n} is not a recommendation number from 1 to 9999"),
            ));
        }
        if recs[..i].contains(n) {
            return Err(LineError::field(
                format!("data.recommendations[{i}]"),
                format!("names recommendation {n} twice"),
            ));
        }
    }
    let texts: Vec<(&str, &str)> = match body {
        Body::ReportPublished(b) => {
            let mut t =
                vec![("data.title", b.title.as_str()), ("data.auditor", &b.auditor), ("data.summary", &b.summary)];
            if let Some(u) = &b.url {
                t.push(("data.url", u));
            }
            t
        }
        Body::RecommendationIssued(b) => {
            if b.number == 0 || b.number > crate::MAX_RECOMMENDATION {
                return Err(LineError::field(
                    "data.number",
                    format!("{} is not a recommendation number from 1 to 9999", b.number),
                ));
            }
            let mut t = vec![("data.text", b.text.as_str())];
            if let Some(x) = &b.explanation {
                t.push(("data.explanation", x));
            }
            if let Some(o) = &b.owner {
                check_owner(o)?;
            }
            t
        }
        Body::RecommendationReframed(b) => {
            if b.predecessors.is_empty() {
                return Err(LineError::field(
                    "data.predecessors",
                    "names no recommendation: a reframed recommendation carries on at least one".to_owned(),
                ));
            }
            let fits = match b.how {
                Reframing::Merged => b.predecessors.len() >= 2,
                Reframing::Split | Reframing::Reworded => b.predecessors.len() == 1,
            };
            if !fits {
                return Err(LineError::field(
                    "data.how",
                    format!(
                        "is {} but names {} predecessors: merged carries on two or more, split and reworded one",
                        b.how.code(),
                        b.predecessors.len()
                    ),
                ));
            }
            for (i, p) in b.predecessors.iter().enumerate() {
                let field = format!("data.predecessors[{i}]");
                if p.recommendation().is_none() {
                    return Err(LineError::field(
                        field,
                        format!("`{p}` is a report; a predecessor is a recommendation such as `{p}/1`"),
                    ));
                }
                if p == stream {
                    return Err(LineError::field(field, format!("`{p}` is this recommendation itself")));
                }
                if b.predecessors[..i].contains(p) {
                    return Err(LineError::field(field, format!("names `{p}` twice")));
                }
            }
            let mut t = vec![("data.text", b.text.as_str())];
            if let Some(x) = &b.explanation {
                t.push(("data.explanation", x));
            }
            t
        }
        Body::ExecutiveResponded(b) => {
            for (i, s) in b.stances.iter().enumerate() {
                if !(1..=crate::MAX_RECOMMENDATION).contains(&s.number) {
                    return Err(LineError::field(
                        format!("data.stances[{i}].number"),
                        format!("{} is not a recommendation number from 1 to 9999", s.number),
                    ));
                }
                if b.stances[..i].iter().any(|o| o.number == s.number) {
                    return Err(LineError::field(
                        format!("data.stances[{i}].number"),
                        format!("gives recommendation {} a stance twice", s.number),
                    ));
                }
                if !b.recommendations.is_empty() && !b.recommendations.contains(&s.number) {
                    return Err(LineError::field(
                        format!("data.stances[{i}].number"),
                        format!(
                            "recommendation {} is not among those the response answers (data.recommendations)",
                            s.number
                        ),
                    ));
                }
                if let Some(x) = &s.summary {
                    check_text("data.stances.summary", x)?;
                }
            }
            vec![("data.summary", b.summary.as_str())]
        }
        Body::CommitteeDiscussed(b) => vec![("data.committee", b.committee.as_str()), ("data.summary", &b.summary)],
        Body::CouncilMotionVoted(b) => {
            if let Votes::Counted(c) = b.votes {
                let carried = c.in_favour > c.against;
                let contradicts = match b.result {
                    MotionResult::Adopted => !carried,
                    MotionResult::Rejected => carried,
                    MotionResult::Withdrawn => false,
                };
                if contradicts {
                    return Err(LineError::field(
                        "data.result",
                        format!(
                            "is {} but the votes are {} for and {} against",
                            b.result.code(),
                            c.in_favour,
                            c.against
                        ),
                    ));
                }
            }
            vec![("data.motion", b.motion.as_str()), ("data.summary", &b.summary)]
        }
        Body::CommitmentMade(b) => {
            if let Some(due) = &b.due {
                if due.end() < occurred.start() {
                    return Err(LineError::field(
                        "data.due",
                        format!("{due} is before the commitment was made ({occurred})"),
                    ));
                }
            }
            if let Some(o) = &b.owner {
                check_owner(o)?;
            }
            vec![("data.summary", b.summary.as_str())]
        }
        Body::StatusAssessed(b) => {
            if b.as_of.start() > occurred.end() {
                return Err(LineError::field(
                    "data.as_of",
                    format!("{} is later than the assessment itself ({occurred}): a verdict describes a state of affairs already reached", b.as_of),
                ));
            }
            for (i, id) in b.evidence.iter().enumerate() {
                if b.evidence[..i].contains(id) {
                    return Err(LineError::field(format!("data.evidence[{i}]"), format!("names event {id} twice")));
                }
            }
            if let Some(label) = &b.label {
                check_text("data.label", label)?;
                if label.contains(['\n', '\r', '\u{2028}', '\u{2029}']) || label.chars().count() > MAX_LABEL_CHARS {
                    return Err(LineError::field(
                        "data.label",
                        format!("is the verdict's name in the office's words: one line of at most {MAX_LABEL_CHARS} characters"),
                    ));
                }
            }
            vec![("data.assessor", b.assessor.as_str()), ("data.rationale", &b.rationale)]
        }
        Body::ActionTaken(b) => {
            for (i, id) in b.fulfils.iter().enumerate() {
                if b.fulfils[..i].contains(id) {
                    return Err(LineError::field(format!("data.fulfils[{i}]"), format!("names commitment {id} twice")));
                }
            }
            vec![("data.summary", b.summary.as_str())]
        }
        Body::EventRetracted(b) => vec![("data.reason", b.reason.as_str())],
        Body::CommitmentRevised(b) => {
            if let Some(o) = &b.owner {
                check_owner(o)?;
            }
            vec![("data.reason", b.reason.as_str())]
        }
        other => vec![("data.summary", other.summary())],
    };
    for (field, text) in texts {
        check_text(field, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_line(json: &str) -> Result<NewEvent, LineError> {
        match decode(json.as_bytes())? {
            Line::New(e) => Ok(e),
            Line::Recorded(_) => panic!("not a new line"),
        }
    }

    #[test]
    fn a_reframed_recommendation_names_recommendations_other_than_itself_each_once() {
        let line = |data: &str| {
            let l = format!(
                r#"{{"stream":"s/1","type":"recommendation_reframed","occurred":"2021","source":{{"document":"D","locator":"1"}},"data":{data}}}"#
            );
            new_line(&l).and_then(|e| e.validate().map(|()| e))
        };
        let field = |data: &str| line(data).unwrap_err().field.unwrap_or_default();
        assert!(line(r#"{"number":1,"text":"T","predecessors":["r/1","r/2"],"how":"merged"}"#).is_ok());
        assert_eq!(field(r#"{"number":1,"text":"T","predecessors":[],"how":"split"}"#), "data.predecessors");
        assert_eq!(field(r#"{"number":1,"text":"T","predecessors":["r"],"how":"split"}"#), "data.predecessors[0]");
        assert_eq!(
            field(r#"{"number":1,"text":"T","predecessors":["r/1","s/1"],"how":"merged"}"#),
            "data.predecessors[1]"
        );
        assert_eq!(
            field(r#"{"number":1,"text":"T","predecessors":["r/1","r/1"],"how":"merged"}"#),
            "data.predecessors[1]"
        );
        assert_eq!(field(r#"{"number":2,"text":"T","predecessors":["r/1"],"how":"split"}"#), "data.number");
        assert_eq!(field(r#"{"number":1,"text":"T","predecessors":["r/1"],"how":"merged"}"#), "data.how");
        assert_eq!(field(r#"{"number":1,"text":"T","predecessors":["r/1","r/2"],"how":"split"}"#), "data.how");
        assert!(line(r#"{"number":1,"text":"T","predecessors":["r/1"],"how":"cut"}"#).is_err());
    }

    #[test]
    fn stances_per_recommendation_belong_to_a_report_level_response_each_once_among_those_it_answers() {
        let line = |stream: &str, data: &str| {
            let l = format!(
                r#"{{"stream":"{stream}","type":"executive_responded","occurred":"2013","source":{{"document":"D","locator":"1"}},"data":{data}}}"#
            );
            new_line(&l).and_then(|e| e.validate().map(|()| e))
        };
        let ok = r#"{"stance":"adopted","summary":"S","stances":[{"number":2,"stance":"rejected"}]}"#;
        assert!(line("r", ok).is_ok());
        assert_eq!(line("r/1", ok).unwrap_err().field.as_deref(), Some("data.stances"));
        let twice = r#"{"stance":"adopted","summary":"S","stances":[{"number":2,"stance":"rejected"},{"number":2,"stance":"adopted"}]}"#;
        assert_eq!(line("r", twice).unwrap_err().field.as_deref(), Some("data.stances[1].number"));
        let outside =
            r#"{"stance":"adopted","summary":"S","recommendations":[1],"stances":[{"number":2,"stance":"rejected"}]}"#;
        assert_eq!(line("r", outside).unwrap_err().field.as_deref(), Some("data.stances[0].number"));
    }

    const LINE: &str = r#"{"stream":"r/1","type":"action_taken","occurred":"2015","source":{"document":"D","locator":"3"},"data":{"summary":"s","amount":{"value":500000,"currency":"EUR"}}}"#;

    #[test]
    fn an_input_line_without_id_gets_its_content_id() {
        let e = new_line(LINE).unwrap();
        assert_eq!(e.id, e.content_id());
        assert_eq!(e.id.uuid().get_version_num(), 5);
        let spaced = LINE.replace(',', ", ");
        assert_eq!(new_line(&spaced).unwrap().id, e.id, "whitespace does not change the content");
    }

    #[test]
    fn a_sealed_line_decodes_to_itself_and_its_hash_covers_every_byte() {
        let e = new_line(LINE).unwrap();
        let at: Timestamp = "2026-01-02T03:04:05.123456Z".parse().unwrap();
        let (rec, line) = RecordedEvent::seal(e, 1, 1, at, "tester".into(), Hash::ZERO);
        assert_eq!(decode(&line).unwrap(), Line::Recorded(rec.clone()));
        let (written, computed) = line_hashes(&line).unwrap();
        assert_eq!((written, computed), (rec.hash, rec.hash));
        for i in 0..line.len() - 2 {
            let mut edited = line.clone();
            edited[i] ^= 1;
            assert!(decode(&edited).is_err(), "edit at byte {i} of {}", String::from_utf8_lossy(&line));
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (LINE.replace("action_taken", "action_took"), "type"),
            (LINE.replace("2015", "2015-02-29"), "occurred"),
            (LINE.replace(r#""summary":"s""#, r#""summary":"s","sum":1"#), "data.sum"),
            (LINE.replace(r#""summary":"s","#, ""), "data"),
            (LINE.replace("500000", "0.001"), "data.amount"),
            (LINE.replace(r#""stream":"r/1""#, r#""stream":"../x""#), "stream"),
            (LINE.replace(r#""locator":"3""#, r#""locator":" ""#), "source.locator"),
            (LINE.replace(r#"{"stream""#, r#"{"id":"nope","stream""#), "id"),
            (LINE.replace(r#"{"stream""#, r#"{"version":3,"stream""#), "id"),
            (LINE.replace(r#"{"stream":"r/1""#, r#"{"stream":"r/1","stream":"r/2""#), "stream"),
        ];
        for (line, field) in cases {
            let err = new_line(&line).unwrap_err();
            assert_eq!(err.field.as_deref().unwrap_or(""), field, "{line}: {err}");
        }
    }

    #[test]
    fn stream_rules_are_checked() {
        let verdict = r#"{"stream":"r","type":"status_assessed","occurred":"2017-11","source":{"document":"D","locator":"5"},"data":{"verdict":"implemented","as_of":"2017-11","assessor":"A","rationale":"R","evidence":[]}}"#;
        let err = new_line(verdict).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("stream"));
        assert!(err.message.contains("a verdict belongs on a recommendation stream"), "{err}");
        let recs = LINE.replace(r#""summary":"s""#, r#""summary":"s","recommendations":[1]"#);
        assert_eq!(new_line(&recs).unwrap_err().field.as_deref(), Some("data.recommendations"));
        let report = recs.replace(r#""stream":"r/1""#, r#""stream":"r""#);
        assert!(new_line(&report).is_ok());
        let issued = r#"{"stream":"r/2","type":"recommendation_issued","occurred":"2013-05","source":{"document":"D","locator":"2"},"data":{"number":3,"text":"T"}}"#;
        assert_eq!(new_line(issued).unwrap_err().field.as_deref(), Some("data.number"));
    }

    #[test]
    fn an_owner_is_optional_and_leaves_the_content_id_of_a_line_without_one_as_it_was() {
        let issued = r#"{"stream":"r/1","type":"recommendation_issued","occurred":"2013-05","source":{"document":"D","locator":"2"},"data":{"number":1,"text":"T"}}"#;
        let without = new_line(issued).unwrap();
        assert_eq!(
            String::from_utf8(without.content_bytes()).unwrap(),
            r#"{"stream":"r/1","type":"recommendation_issued","occurred":"2013-05","source":{"document":"D","locator":"2"},"data":{"number":1,"text":"T"}}"#
        );
        let with = new_line(&issued.replace(r#""text":"T""#, r#""text":"T","owner":"Wethouder Zorg""#)).unwrap();
        assert_ne!(with.id, without.id);
        let Body::RecommendationIssued(b) = &with.body else { panic!("{:?}", with.body) };
        assert_eq!(b.owner.as_deref(), Some("Wethouder Zorg"));
        for (owner, why) in [
            (r#""  ""#, "is blank"),
            (r#""a\nb""#, "line break"),
            (&format!("\"{}\"", "x".repeat(201)), "longer than 200 bytes"),
        ] {
            let err =
                new_line(&issued.replace(r#""text":"T""#, &format!(r#""text":"T","owner":{owner}"#))).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("data.owner"), "{owner}");
            assert!(err.message.contains(why), "{owner}: {err}");
        }
    }

    #[test]
    fn an_input_line_written_by_to_line_decodes_to_the_same_event() {
        let mut e = new_line(LINE).unwrap();
        e.recorded_by = Some("auditor".into());
        assert_eq!(new_line(&e.to_line()).unwrap(), e);
    }

    #[test]
    fn inconsistent_facts_are_refused_naming_the_field() {
        let verdict = |occurred: &str, as_of: &str| {
            format!(
                r#"{{"stream":"r/1","type":"status_assessed","occurred":"{occurred}","source":{{"document":"D","locator":"5"}},"data":{{"verdict":"implemented","as_of":"{as_of}","assessor":"A","rationale":"R","evidence":[]}}}}"#
            )
        };
        assert_eq!(new_line(&verdict("2018", "2030")).unwrap_err().field.as_deref(), Some("data.as_of"));
        assert!(new_line(&verdict("2018", "2018-06")).is_ok(), "an as-of date within the assessment's year");
        let due = |occurred: &str, due: &str| {
            format!(
                r#"{{"stream":"r/1","type":"commitment_made","occurred":"{occurred}","source":{{"document":"D","locator":"5"}},"data":{{"summary":"s","due":"{due}"}}}}"#
            )
        };
        assert_eq!(new_line(&due("2015", "2010")).unwrap_err().field.as_deref(), Some("data.due"));
        assert!(new_line(&due("2015-06", "2015")).is_ok());
        let motion = |result: &str, votes: &str| {
            format!(
                r#"{{"stream":"r","type":"council_motion_voted","occurred":"2013","source":{{"document":"D","locator":"5"}},"data":{{"motion":"M","result":"{result}","votes":{votes},"summary":"s"}}}}"#
            )
        };
        assert_eq!(
            new_line(&motion("adopted", r#"{"for":1,"against":40}"#)).unwrap_err().field.as_deref(),
            Some("data.result")
        );
        assert_eq!(
            new_line(&motion("rejected", r#"{"for":30,"against":5}"#)).unwrap_err().field.as_deref(),
            Some("data.result")
        );
        assert!(new_line(&motion("rejected", r#"{"for":20,"against":20}"#)).is_ok(), "a tie rejects");
        assert!(new_line(&motion("withdrawn", r#"{"for":0,"against":0}"#)).is_ok());
        let nil = LINE.replace(r#"{"stream""#, r#"{"id":"00000000-0000-0000-0000-000000000000","stream""#);
        assert_eq!(new_line(&nil).unwrap_err().field.as_deref(), Some("id"));
    }

    #[test]
    fn json_errors_speak_of_json_not_of_internal_types() {
        let cases = [
            ("[1,2]", "the line is not a JSON object"),
            ("\"text\"", "the line is not a JSON object"),
            ("{1:2}", "invalid JSON: key must be a string (column 2)"),
            ("{\"stream\":", "invalid JSON: EOF while parsing a value (column 10)"),
            (&format!("{LINE} x"), "invalid JSON: trailing characters (column"),
        ];
        for (line, message) in cases {
            let err = decode(line.as_bytes()).unwrap_err();
            assert!(err.to_string().starts_with(message), "{line}: {err}");
        }
        let data_array = LINE.replace(r#"{"summary":"s","amount":{"value":500000,"currency":"EUR"}}"#, "[]");
        assert_eq!(new_line(&data_array).unwrap_err().to_string(), "field `data`: must be a JSON object");
        let path = LINE.replace(r#""stream":"r/1""#, r#""stream":"../etc/passwd""#);
        assert!(
            new_line(&path).unwrap_err().message.contains("a report id starts with a letter or digit"),
            "the report part is judged first"
        );
    }

    #[test]
    fn oversized_lines_are_refused_before_parsing() {
        let long = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_LINE_BYTES));
        assert!(decode(long.as_bytes()).unwrap_err().message.contains("limit is 65536"));
    }
}
