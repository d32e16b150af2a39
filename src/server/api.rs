//! The JSON API under `/api/v1`: the log (head, streams, pages, live events), appends with the expected version
//! as an HTTP precondition, the queries in the CLI's JSON shapes (or any of its formats with `format`), import,
//! verification, export, and the admin's users and tokens.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as St};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use events::{Date, Hash, Line, NewEvent, PartialDate, StreamId, Timestamp};
use serde_json::json;

use super::auth::{check_forgery, Caller};
use super::problem::Problem;
use super::State;
use crate::access::Role;
use crate::app::{self, AppError, ImportFormat, ImportInput, Principal, TimelineQuery};
use crate::render::output::{self, Format, Style};
use crate::render::Lang;
use crate::store::{ExpectedVersion, Opened};

type Shared = St<Arc<State>>;

/// The largest append body: 4 MiB (a batch of at most 256 events of up to 16 KiB each, with room to spare).
pub const APPEND_LIMIT: usize = 4 << 20;
/// The largest import body: 64 MiB (some 100,000 events); a larger file is imported on the server's machine.
pub const IMPORT_LIMIT: usize = 64 << 20;
/// The largest body of the admin's requests: 16 KiB.
pub const SMALL_LIMIT: usize = 16 << 10;
/// The most events one append takes.
pub const MAX_BATCH: usize = 256;
/// The most events a page of the log holds; 100 by default.
pub const MAX_PAGE: usize = 1000;

/// The API's routes.
pub fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/api/openapi.json", get(super::openapi::document))
        .route("/api/v1/head", get(head))
        .route("/api/v1/streams/{stream}", get(read_stream))
        .route("/api/v1/streams/{stream}/events", post(append))
        .route("/api/v1/events", get(log_page))
        .route("/api/v1/events/live", get(live))
        .route("/api/v1/status", get(status))
        .route("/api/v1/timeline", get(timeline))
        .route("/api/v1/summary", get(summary))
        .route("/api/v1/due", get(due))
        .route("/api/v1/verify", get(verify))
        .route("/api/v1/report", get(report))
        .route("/api/v1/export", get(export))
        .route("/api/v1/import", post(import))
        .route("/api/v1/users", get(users).post(add_user))
        .route("/api/v1/users/{name}", delete(remove_user))
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
}

/// Runs blocking work (the store's IO) on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, Problem> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(Problem::from),
        Err(e) => Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("a task failed: {e}"))),
    }
}

/// The parameters of a request's query string, each named once and each among those the route takes.
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Parses `query`, refusing a parameter the route does not take (`allowed`) or one given twice.
    ///
    /// # Errors
    /// 400 naming the parameter.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Params, Problem> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| Problem::param("query", format!("the query string is not URL-encoded: {e}")))?;
        let mut values = HashMap::new();
        for (k, v) in pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(Problem::param(
                    k.clone(),
                    match allowed {
                        [] => format!("this route takes no parameter `{k}`: it takes none"),
                        _ => format!("this route takes no parameter `{k}`; it takes {}", allowed.join(", ")),
                    },
                ));
            }
            if values.insert(k.clone(), v).is_some() {
                return Err(Problem::param(k.clone(), format!("the parameter `{k}` is given twice")));
            }
        }
        Ok(Params { values })
    }

    /// The text of parameter `name`, if given (an empty value counts as not given).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn parsed<T>(&self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<Option<T>, Problem> {
        match self.text(name) {
            None => Ok(None),
            Some(text) => parse(text).map(Some).map_err(|m| Problem::param(name, format!("{name}: {m}"))),
        }
    }

    /// An EDTF date.
    pub fn date(&self, name: &str) -> Result<Option<PartialDate>, Problem> {
        self.parsed(name, |t| PartialDate::parse(t).map_err(|e| e.to_string()))
    }

    /// A UTC instant (RFC 3339, or a date meaning the end of that day).
    pub fn instant(&self, name: &str) -> Result<Option<Timestamp>, Problem> {
        self.parsed(name, app::parse_instant)
    }

    /// A report id.
    pub fn report(&self, name: &str) -> Result<Option<StreamId>, Problem> {
        self.parsed(name, app::parse_report)
    }

    /// A stream id.
    pub fn stream(&self, name: &str) -> Result<Option<StreamId>, Problem> {
        self.parsed(name, |t| StreamId::parse(t).map_err(|e| e.to_string()))
    }

    /// A whole number.
    pub fn number(&self, name: &str) -> Result<Option<u64>, Problem> {
        self.parsed(name, |t| t.parse::<u64>().map_err(|_| format!("`{t}` is not a whole number")))
    }

    /// The output style: `format` (json by default), `lang` (en by default).
    pub fn style(&self) -> Result<Style, Problem> {
        let format = self.parsed("format", Format::parse)?.unwrap_or(Format::Json);
        let lang = self.parsed("lang", Lang::parse)?.unwrap_or(Lang::En);
        Ok(Style { format, lang, bom: false })
    }
}

/// Today in UTC: the default day of status, summary, due and the report.
pub fn today() -> Date {
    Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// A date as an EDTF day.
fn day_of(date: Date) -> PartialDate {
    PartialDate::parse(&date.to_string()).unwrap_or_else(|_| PartialDate::parse("2000").expect("a year parses"))
}

/// A body in `format`.
fn rendered(format: Format, bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, format.media_type())], bytes).into_response()
}

/// Writes into a buffer with a renderer, mapping a format the query does not write to 400.
fn render(write: impl FnOnce(&mut Vec<u8>) -> Result<(), output::OutputError>) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    write(&mut out).map_err(|e| match e {
        output::OutputError::Format(m) => Problem::param("format", m),
        other => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
    })?;
    Ok(out)
}

/// `{"position": N, "hash": "..."}` of a head.
fn head_json(position: u64, hash: Hash) -> serde_json::Value {
    json!({"position": position, "hash": hash.to_string()})
}

async fn head(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    Params::parse(q.as_deref(), &[])?;
    let h = state.store.head();
    Ok(axum::Json(head_json(h.position, h.hash)).into_response())
}

/// Parses a stream id from the path.
fn path_stream(text: &str) -> Result<StreamId, Problem> {
    StreamId::parse(text).map_err(|e| Problem::param("stream", format!("stream `{text}`: {e}")))
}

/// The stored lines of events, as a JSON array.
fn lines_array(events: &[events::RecordedEvent]) -> Vec<u8> {
    let mut out = Vec::with_capacity(events.len() * 700 + 2);
    out.push(b'[');
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&e.to_line());
    }
    out.push(b']');
    out
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

async fn read_stream(
    caller: Caller,
    St(state): Shared,
    Path(stream): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    Params::parse(q.as_deref(), &[])?;
    let stream = path_stream(&stream)?;
    let store = Arc::clone(&state.store);
    let s = stream.clone();
    let events = blocking(move || Ok(store.read_stream(&s, 1)?)).await?;
    let Some(events) = events else {
        return Err(Problem::new(StatusCode::NOT_FOUND, "not-found", format!("the store holds no stream {stream}")));
    };
    let version = events.last().map_or(0, |e| e.version);
    let tag = etag(version);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == tag.to_str().unwrap_or("")));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let mut body = format!("{{\"stream\":{},\"version\":{version},\"events\":", json!(stream.as_str())).into_bytes();
    body.extend_from_slice(&lines_array(&events));
    body.push(b'}');
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json")), (header::ETAG, tag)], body)
        .into_response())
}

/// The expected version an append's preconditions state: `If-Match: "7"` exactly 7, `If-None-Match: *` no
/// stream, neither any.
///
/// # Errors
/// 400 naming the header when it is not one of these forms, or when both are given.
pub fn expected_version(headers: &HeaderMap) -> Result<ExpectedVersion, Problem> {
    let text = |name: header::HeaderName| headers.get(&name).map(|v| v.to_str().unwrap_or("\u{0}").trim().to_owned());
    match (text(header::IF_MATCH), text(header::IF_NONE_MATCH)) {
        (Some(_), Some(_)) => Err(Problem::param("If-Match", "give If-Match or If-None-Match, not both")),
        (None, Some(v)) if v == "*" => Ok(ExpectedVersion::NoStream),
        (None, Some(v)) => Err(Problem::param(
            "If-None-Match",
            format!("If-None-Match `{v}`: an append takes only `*` (the stream must not exist)"),
        )),
        (Some(v), None) if v == "*" => Ok(ExpectedVersion::Any),
        (Some(v), None) => {
            let inner = v.strip_prefix('"').and_then(|x| x.strip_suffix('"'));
            match inner.and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => Ok(ExpectedVersion::Exact(n)),
                None => Err(Problem::param(
                    "If-Match",
                    format!("If-Match `{v}`: give the stream's version as an entity tag, such as \"7\""),
                )),
            }
        }
        (None, None) => Ok(ExpectedVersion::Any),
    }
}

/// Refuses a body whose media type is not `json` (`application/json`, with or without parameters).
fn media_type_of(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads a body of at most `limit` bytes: 413 beyond it (after reading and dropping up to [`DRAINED`] more); 408
/// when it pauses for [`BODY_IDLE`]; 400 when it cannot be read.
pub async fn body_bytes(body: Body, limit: usize) -> Result<Bytes, Problem> {
    use futures_util::StreamExt as _;
    let mut chunks = body.into_data_stream();
    let (mut kept, mut read) = (Vec::new(), 0usize);
    // A client that stops sending, or sends a byte now and then, holds the connection no longer than this: a
    // pause of BODY_IDLE, or three of them plus the time the limit takes at BODY_RATE bytes a second in all.
    let allowed = 3 * BODY_IDLE + std::time::Duration::from_secs((limit / BODY_RATE) as u64);
    let deadline = tokio::time::Instant::now() + allowed;
    loop {
        let wait = deadline.min(tokio::time::Instant::now() + BODY_IDLE);
        let next = tokio::time::timeout_at(wait, chunks.next()).await.map_err(|_| {
            Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                format!(
                    "the body came too slowly: it paused for {} s, or took more than {} s in all",
                    BODY_IDLE.as_secs(),
                    allowed.as_secs()
                ),
            )
        })?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| Problem::param("body", format!("the body could not be read: {e}")))?;
        read = read.saturating_add(chunk.len());
        if read <= limit {
            kept.extend_from_slice(&chunk);
        } else if read > limit.saturating_add(DRAINED) {
            // Far too large: answer now, and the connection closes under the client.
            break;
        } else {
            kept = Vec::new();
        }
    }
    if read > limit {
        return Err(Problem::too_large(limit));
    }
    Ok(Bytes::from(kept))
}

/// How long a body may pause, between two of its chunks, before the request is answered 408 and its connection
/// closed.
pub const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// The slowest rate a body of the largest size may come at, in bytes a second, beyond three pauses of [`BODY_IDLE`].
const BODY_RATE: usize = 256 << 10;

/// How much of a body past its limit is read and dropped before the 413 is sent, so that a client still sending
/// it reads the answer rather than a closed connection.
const DRAINED: usize = 16 << 20;

/// Decodes an append's body: a JSON array of input lines without `stream` (given by the path), each checked by
/// the one decoder of input lines. A field at fault is named as `events[i].field`.
///
/// # Errors
/// 422 naming the event and field; 400 when the body is not a JSON array.
pub fn decode_batch(stream: &StreamId, body: &[u8]) -> Result<Vec<NewEvent>, Problem> {
    let invalid = |field: String, detail: String| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-event", detail).with_field(field)
    };
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_slice(body).map_err(|e| {
        Problem::new(StatusCode::BAD_REQUEST, "malformed-json", format!("the body is not a JSON array of events: {e}"))
    })?;
    if items.is_empty() {
        return Err(invalid("events".into(), "the batch holds no event".into()));
    }
    if items.len() > MAX_BATCH {
        return Err(Problem::too_large(APPEND_LIMIT)
            .with_field("events")
            .tap_detail(format!("the batch holds {} events; an append takes at most {MAX_BATCH}", items.len())));
    }
    /// The members of an event the path and the store decide; the others are read by the events' decoder.
    #[derive(serde::Deserialize)]
    struct Decided<'a> {
        #[serde(borrow)]
        stream: Option<&'a serde_json::value::RawValue>,
        recorded_by: Option<serde::de::IgnoredAny>,
        recorded_at: Option<serde::de::IgnoredAny>,
        position: Option<serde::de::IgnoredAny>,
        version: Option<serde::de::IgnoredAny>,
        hash: Option<serde::de::IgnoredAny>,
        prev_hash: Option<serde::de::IgnoredAny>,
    }
    let path_stream = serde_json::Value::String(stream.as_str().to_owned()).to_string();
    let mut events = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let raw = item.get();
        let decided = match raw.starts_with('{') {
            true => serde_json::from_str::<Decided>(raw).ok(),
            false => None,
        };
        let Some(decided) = decided else {
            return Err(invalid(format!("events[{i}]"), format!("events[{i}] is not a JSON object")));
        };
        // What the store seals an event with cannot be given: a stored line is imported, not appended.
        let sealed = [
            ("recorded_at", decided.recorded_at.is_some()),
            ("position", decided.position.is_some()),
            ("version", decided.version.is_some()),
            ("hash", decided.hash.is_some()),
            ("prev_hash", decided.prev_hash.is_some()),
        ];
        if let Some((key, _)) = sealed.iter().find(|(_, given)| *given) {
            return Err(invalid(
                format!("events[{i}].{key}"),
                format!("events[{i}].{key}: the store gives it when it records the event, and it cannot be given"),
            ));
        }
        if decided.recorded_by.is_some() {
            return Err(invalid(
                format!("events[{i}].recorded_by"),
                format!("events[{i}].recorded_by: the recorder is who signs in, and cannot be given"),
            ));
        }
        // The line as given, with the path's stream put first when it names none.
        let line = match decided.stream {
            Some(given) if serde_json::from_str::<&str>(given.get()).is_ok_and(|g| g == stream.as_str()) => {
                raw.as_bytes().to_vec()
            }
            Some(other) => {
                return Err(invalid(
                    format!("events[{i}].stream"),
                    format!(
                        "events[{i}].stream is {}; the path names the stream ({stream}): leave it out",
                        other.get()
                    ),
                ))
            }
            None => {
                let rest = raw[1..].trim_start();
                let comma = if rest.starts_with('}') { "" } else { "," };
                format!("{{\"stream\":{path_stream}{comma}{rest}").into_bytes()
            }
        };
        match events::decode(&line) {
            Ok(Line::New(e)) => events.push(e),
            Ok(Line::Recorded(_)) => {
                return Err(invalid(
                    format!("events[{i}]"),
                    format!("events[{i}] is a stored line (with version, position and hashes): import it instead"),
                ))
            }
            Err(e) => {
                let field = e.field.as_ref().map_or(format!("events[{i}]"), |f| format!("events[{i}].{f}"));
                return Err(invalid(field, format!("events[{i}]: {e}")));
            }
        }
    }
    Ok(events)
}

trait TapDetail {
    fn tap_detail(self, detail: String) -> Self;
}

impl TapDetail for Problem {
    fn tap_detail(mut self, detail: String) -> Problem {
        self.detail = detail;
        self
    }
}

/// The recorder a caller's writes carry: its own name.
fn principal(caller: &Caller) -> Result<Principal, Problem> {
    Principal::signed_in(caller.name.clone()).map_err(Problem::from)
}

async fn append(
    caller: Caller,
    RawQuery(q): RawQuery,
    St(state): Shared,
    Path(stream): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    caller.needs(Role::Auditor)?;
    Params::parse(q.as_deref(), &[])?;
    check_forgery(Some(&caller), &headers, None)?;
    let stream = path_stream(&stream)?;
    let expected = expected_version(&headers)?;
    let media = media_type_of(&headers);
    if media != "application/json" {
        return Err(Problem::media_type(&media, "application/json: a JSON array of events"));
    }
    let body = body_bytes(body, APPEND_LIMIT).await?;
    let events = decode_batch(&stream, &body)?;
    let principal = principal(&caller)?;
    let store = Arc::clone(&state.store);
    let s = stream.clone();
    let r = blocking(move || app::record_batch(&*store, &principal, &s, events, expected)).await?;
    let code = if r.appended > 0 { StatusCode::CREATED } else { StatusCode::OK };
    let version = r.version.unwrap_or(0);
    let events: Vec<_> =
        r.events.iter().map(|(id, position)| json!({"id": id.to_string(), "position": position})).collect();
    let body = json!({"stream": stream.as_str(), "version": r.version, "appended": r.appended, "events": events,
        "head": head_json(r.head.position, r.head.hash), "warnings": r.warnings});
    Ok((code, [(header::ETAG, etag(version))], axum::Json(body)).into_response())
}

async fn log_page(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    let p = Params::parse(q.as_deref(), &["from", "limit"])?;
    let from = p.number("from")?.unwrap_or(1).max(1);
    let limit = p.number("limit")?.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE as u64 {
        return Err(Problem::param("limit", format!("limit {limit}: a page holds 1 to {MAX_PAGE} events")));
    }
    let store = Arc::clone(&state.store);
    let (events, head) = blocking(move || {
        let head = store.head().position;
        Ok((store.read_range(from, limit as usize)?, head))
    })
    .await?;
    let next = events.last().map_or(from, |e| e.position + 1);
    let mut body = format!("{{\"head\":{head},\"from\":{from},\"events\":").into_bytes();
    body.extend_from_slice(&lines_array(&events));
    body.extend_from_slice(
        if next <= head { format!(",\"next\":{next}}}") } else { ",\"next\":null}".into() }.as_bytes(),
    );
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if next <= head {
        let link = format!("</api/v1/events?from={next}&limit={limit}>; rel=\"next\"");
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

/// `GET /api/v1/events/live`: Server-Sent Events, each a stored line with its position as `id`, from `from` or
/// after the `Last-Event-ID` a reconnecting client sends (else from the next event), each sent once it is
/// durable and once only; the stream ends when the server shuts down.
async fn live(
    caller: Caller,
    St(state): Shared,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    let p = Params::parse(q.as_deref(), &["from"])?;
    let last = match headers.get("last-event-id").map(|v| v.to_str().unwrap_or("").trim().to_owned()) {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            Problem::param("Last-Event-ID", format!("Last-Event-ID `{v}` is not a position of the log"))
        })?),
    };
    let from = match (last, p.number("from")?) {
        (Some(last), _) => {
            // A client cannot have seen an event past the head: the log it followed is not this one (a store
            // restored to an earlier point, another store). Resuming there would skip the events up to it.
            let head = state.store.head().position;
            if last > head {
                return Err(Problem::param(
                    "Last-Event-ID",
                    format!(
                        "Last-Event-ID {last} is past the end of the log (position {head}): this is not the log the \
                         client followed; reconnect without it"
                    ),
                ));
            }
            last + 1
        }
        (None, Some(from)) => from.max(1),
        (None, None) => state.store.head().position + 1,
    };
    let subscription = state.store.subscribe(from);
    let shutdown = state.shutdown.clone();
    let stream = futures_util::stream::unfold((subscription, shutdown), |(mut sub, mut shutdown)| async move {
        let next = tokio::select! {
            e = sub.next() => e.ok(),
            _ = shutdown.wait_for(|s| *s) => None,
        };
        let e = next?;
        let data = String::from_utf8_lossy(&e.to_line()).into_owned();
        let event = Event::default().id(e.position.to_string()).event("event").data(data);
        Some((Ok::<_, std::convert::Infallible>(event), (sub, shutdown)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

async fn status(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    let p = Params::parse(q.as_deref(), &["as_of", "known_at", "report", "owner", "format", "lang"])?;
    let as_of = p.date("as_of")?.unwrap_or_else(|| day_of(today()));
    let window = app::window(Some(&as_of), p.instant("known_at")?);
    let (report, owner, style) = (p.report("report")?, p.text("owner").map(str::to_owned), p.style()?);
    let bytes = state
        .live
        .query(&state.store, move |m, s| {
            let status = m.status(s, window, report.as_ref(), owner.as_deref())?;
            render(|out| output::status(out, style, &status))
        })
        .await?;
    Ok(rendered(style.format, bytes))
}

async fn timeline(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    let p = Params::parse(q.as_deref(), &["rec", "from", "to", "as_of", "known_at", "format", "lang"])?;
    let window = app::window(p.date("as_of")?.as_ref(), p.instant("known_at")?);
    let query = TimelineQuery { stream: p.stream("rec")?, from: p.date("from")?, to: p.date("to")?, window };
    let style = p.style()?;
    let bytes = state
        .live
        .query(&state.store, move |m, s| {
            let (timeline, status) = m.timeline(s, &query)?;
            render(|out| output::timeline(out, style, &timeline, &status))
        })
        .await?;
    Ok(rendered(style.format, bytes))
}

async fn summary(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    let p = Params::parse(q.as_deref(), &["report", "as_of", "known_at", "scale", "format", "lang"])?;
    let day = p.date("as_of")?.map_or_else(today, |d| d.end());
    let (report, known_at, style) = (p.report("report")?, p.instant("known_at")?, p.style()?);
    let scale =
        p.text("scale").map(|s| crate::app::parse_scale(s).map_err(|m| Problem::param("scale", m))).transpose()?;
    let bytes = state
        .live
        .query(&state.store, move |m, s| match scale {
            Some(scale) => {
                let on = m.on_scale(s, report.as_ref(), (day, known_at), scale)?;
                render(|out| output::scale_summary(out, style, &on))
            }
            None => {
                let summary = m.summary(s, report.as_ref(), day, known_at)?;
                render(|out| output::summary(out, style, &summary))
            }
        })
        .await?;
    Ok(rendered(style.format, bytes))
}

async fn due(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    let p = Params::parse(q.as_deref(), &["on", "known_at", "owner", "format", "lang"])?;
    let day = p.date("on")?.map_or_else(today, |d| d.end());
    let (known_at, owner, style) = (p.instant("known_at")?, p.text("owner").map(str::to_owned), p.style()?);
    let bytes = state
        .live
        .query(&state.store, move |m, _| {
            let overdue = m.due(day, known_at, owner.as_deref())?;
            render(|out| output::due(out, style, day, &overdue))
        })
        .await?;
    Ok(rendered(style.format, bytes))
}

/// `GET /api/v1/verify` (admin): replays the log, judges every verdict and checks the chain, as `followup
/// verify` does; the header `Followup-Exit` carries the command's exit code (0, 1 or 2).
async fn verify(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Admin)?;
    let p = Params::parse(q.as_deref(), &["as_of", "known_at", "expect_head", "format", "lang"])?;
    let window = app::window(p.date("as_of")?.as_ref(), p.instant("known_at")?);
    let expect_head = p.parsed("expect_head", Hash::parse)?;
    let style = p.style()?;
    let store = Arc::clone(&state.store);
    let outcome = blocking(move || app::verify_store(&*store, window, expect_head)).await?;
    let body = render(|out| crate::render::verification::write(out, style.format, style.lang, &outcome))?;
    let mut response = rendered(style.format, body);
    response.headers_mut().insert("followup-exit", HeaderValue::from(u16::from(outcome.exit_code())));
    Ok(response)
}

/// `GET /api/v1/report`: one file of the report pack (`file`: index.html by default, timeline.md, status.csv),
/// as a download.
async fn report(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Reader)?;
    let p = Params::parse(q.as_deref(), &["as_of", "known_at", "report", "title", "lang", "file"])?;
    let day = p.date("as_of")?.map_or_else(today, |d| d.end());
    let (known_at, report, lang) = (p.instant("known_at")?, p.report("report")?, p.style()?.lang);
    let title = p.text("title").map(str::to_owned);
    let file = p.text("file").unwrap_or(app::PACK_FILES[0]).to_owned();
    let Some(index) = app::PACK_FILES.iter().position(|f| *f == file) else {
        return Err(Problem::param("file", format!("file `{file}`: the pack holds {}", app::PACK_FILES.join(", "))));
    };
    let store = Arc::clone(&state.store);
    let pack =
        blocking(move || app::report_pack(&*store, lang, (day, known_at), report.as_ref(), title.as_deref(), false))
            .await?;
    let (name, text) = pack.files.into_iter().nth(index).unwrap_or(("index.html", String::new()));
    let media = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "text/csv; charset=utf-8",
    };
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        text,
    )
        .into_response())
}

/// Sends what a blocking writer writes, in chunks of 64 KiB, as a response body.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 << 10 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

/// `GET /api/v1/export` (admin): the whole log as JSON Lines, streamed.
async fn export(caller: Caller, St(state): Shared, RawQuery(q): RawQuery) -> Result<Response, Problem> {
    caller.needs(Role::Admin)?;
    Params::parse(q.as_deref(), &[])?;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let store = Arc::clone(&state.store);
    tokio::task::spawn_blocking(move || {
        let mut w = ChannelWriter { tx: tx.clone(), buf: Vec::new() };
        if let Err(e) = app::export(&*store, &mut w) {
            // A failure after the first bytes can only cut the body short, which the client sees.
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok(([(header::CONTENT_TYPE, "application/jsonl")], body).into_response())
}

/// `POST /api/v1/import` (auditor): a JSON Lines (`application/jsonl`, `application/x-ndjson`) or CSV
/// (`text/csv`) body, all or nothing, every bad line named, as `followup import`.
async fn import(
    caller: Caller,
    RawQuery(q): RawQuery,
    St(state): Shared,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    caller.needs(Role::Auditor)?;
    Params::parse(q.as_deref(), &[])?;
    check_forgery(Some(&caller), &headers, None)?;
    let media = media_type_of(&headers);
    let format = match media.as_str() {
        "application/jsonl" | "application/x-ndjson" | "application/json-lines" | "application/x-jsonlines" => {
            ImportFormat::JsonLines
        }
        "text/csv" => ImportFormat::Csv,
        other => return Err(Problem::media_type(other, "application/jsonl (JSON Lines) or text/csv")),
    };
    let body = body_bytes(body, IMPORT_LIMIT).await?;
    let principal = principal(&caller)?;
    let store = Arc::clone(&state.store);
    let r = blocking(move || {
        let input = ImportInput::Stream(Box::new(std::io::Cursor::new(body)));
        app::import(|| Ok(Opened::existing(store)), input, format, &principal, |_| {})
    })
    .await?;
    let code = if r.appended > 0 { StatusCode::CREATED } else { StatusCode::OK };
    let body = json!({"events": r.events, "appended": r.appended, "already_present": r.already,
        "head": head_json(r.head.position, r.head.hash), "warnings": r.warnings});
    Ok((code, axum::Json(body)).into_response())
}

/// Decodes a small JSON body of `T`, refusing unknown fields and naming the one at fault.
fn small_json<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    let media = media_type_of(headers);
    if media != "application/json" {
        return Err(Problem::media_type(&media, "application/json"));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{}", e.inner())).with_field(field)
    })
}

async fn users(caller: Caller, RawQuery(q): RawQuery, St(state): Shared) -> Result<Response, Problem> {
    caller.needs(Role::Admin)?;
    Params::parse(q.as_deref(), &[])?;
    let access = state.access.current().map_err(super::access_unreadable)?;
    let users: Vec<_> =
        access.users.iter().map(|u| json!({"name": u.name, "role": u.role, "added": u.added})).collect();
    let tokens: Vec<_> = access
        .tokens
        .iter()
        .map(|t| json!({"id": t.id, "user": t.user, "created": t.created, "expires": t.expires}))
        .collect();
    Ok(axum::Json(json!({"users": users, "tokens": tokens})).into_response())
}

fn internal(e: impl std::fmt::Display) -> Problem {
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

fn access_problem(e: crate::access::AccessError) -> Problem {
    match e {
        crate::access::AccessError::Invalid(m) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
        crate::access::AccessError::InvalidField { field, message } => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).with_field(field)
        }
        e @ (crate::access::AccessError::Database { .. } | crate::access::AccessError::Io { .. }) => {
            super::access_unreadable(e)
        }
        other => internal(other),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    name: String,
    role: Role,
    password: String,
}

/// What every change of users and tokens checks first: an admin, no query parameter, a same-site request.
fn admin_change(caller: &Caller, q: Option<&str>, headers: &HeaderMap) -> Result<(), Problem> {
    caller.needs(Role::Admin)?;
    Params::parse(q, &[])?;
    check_forgery(Some(caller), headers, None)
}

/// Runs `change` on the access file on a blocking thread (it locks, hashes and syncs the file).
async fn access_change<T: Send + 'static>(
    state: &Arc<State>,
    change: impl FnOnce(&crate::access::AccessFile) -> Result<T, crate::access::AccessError> + Send + 'static,
) -> Result<T, Problem> {
    let st = Arc::clone(state);
    tokio::task::spawn_blocking(move || change(&st.access)).await.map_err(internal)?.map_err(access_problem)
}

async fn add_user(
    caller: Caller,
    RawQuery(q): RawQuery,
    St(state): Shared,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    admin_change(&caller, q.as_deref(), &headers)?;
    let body = body_bytes(body, SMALL_LIMIT).await?;
    let u: NewUser = small_json(&headers, &body)?;
    let added = access_change(&state, move |a| a.add_user(&u.name, u.role, &u.password, Timestamp::now())).await?;
    let code = if added { StatusCode::CREATED } else { StatusCode::OK };
    Ok((code, axum::Json(json!({"added": added}))).into_response())
}

async fn remove_user(
    caller: Caller,
    RawQuery(q): RawQuery,
    St(state): Shared,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    admin_change(&caller, q.as_deref(), &headers)?;
    access_change(&state, move |a| a.remove_user(&name)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    user: String,
    #[serde(default)]
    days: Option<i64>,
}

async fn create_token(
    caller: Caller,
    RawQuery(q): RawQuery,
    St(state): Shared,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    admin_change(&caller, q.as_deref(), &headers)?;
    let body = body_bytes(body, SMALL_LIMIT).await?;
    let t: NewToken = small_json(&headers, &body)?;
    let days = t.days.unwrap_or(crate::access::TOKEN_DAYS);
    let (token, record) = access_change(&state, move |a| a.create_token(&t.user, days, Timestamp::now())).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"token": token, "id": record.id, "user": record.user, "expires": record.expires})),
    )
        .into_response())
}

async fn revoke_token(
    caller: Caller,
    RawQuery(q): RawQuery,
    St(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    admin_change(&caller, q.as_deref(), &headers)?;
    access_change(&state, move |a| a.revoke_token(&id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
