//! [`MemoryStore`]: the event store in this process's memory, for tests and the demo. It keeps every rule of the
//! store API (the commit planner decides every write) and loses everything when the last handle is dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use events::{EventId, RecordedEvent, StreamId, Timestamp};
use tokio::sync::broadcast;

use super::planner::{self, Decision, LogView, Pending, Sealed, Stage};
use super::{
    BackendError, Clock, EventIter, EventStore, ExpectedVersion, Head, LineIter, ReadError, Refusals, StreamVersions,
    Subscription, Written,
};
use crate::chain::{self, ChainReport};

/// How many durable events a slow subscriber may fall behind before it re-reads them from the store.
const BROADCAST_CAPACITY: usize = 4096;

/// The event store in memory. Cheap to clone: clones share the log.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
    clock: Clock,
}

struct Inner {
    /// The log, and the one lock that serialises writes (and reads, which are short).
    state: Mutex<State>,
    tx: broadcast::Sender<Arc<RecordedEvent>>,
}

struct State {
    /// Every line, committed (up to the head) or staged by the write in progress, by position - 1.
    lines: Vec<Arc<[u8]>>,
    events: Vec<Arc<RecordedEvent>>,
    /// Event id -> position, committed or staged.
    ids: HashMap<EventId, u64>,
    /// Stream -> the positions of its versions 1, 2, ..., committed.
    streams: HashMap<StreamId, Vec<u64>>,
    head: Head,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// An empty store whose transaction time is the system clock (UTC).
    pub fn new() -> MemoryStore {
        MemoryStore::with_clock(Arc::new(Timestamp::now))
    }

    /// An empty store with a given source of transaction time.
    pub fn with_clock(clock: Clock) -> MemoryStore {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let state = State {
            lines: Vec::new(),
            events: Vec::new(),
            ids: HashMap::new(),
            streams: HashMap::new(),
            head: Head::EMPTY,
        };
        MemoryStore { inner: Arc::new(Inner { state: Mutex::new(state), tx }), clock }
    }

    /// The same log with another source of transaction time, as a store reopened with another clock.
    pub fn reopen(&self, clock: Clock) -> MemoryStore {
        MemoryStore { inner: Arc::clone(&self.inner), clock }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One write in progress, holding the store's lock.
struct Txn<'a> {
    state: MutexGuard<'a, State>,
    /// The head position the write started from: staged lines lie past it.
    start: u64,
}

impl LogView for Txn<'_> {
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError> {
        Ok(self.state.ids.get(id).copied())
    }

    fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError> {
        let index = position.checked_sub(1).map(|i| i as usize);
        Ok(index.and_then(|i| self.state.lines.get(i)).map(|l| l.to_vec()))
    }

    fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError> {
        Ok(self.state.streams.get(stream).map(|v| v.len() as u64))
    }
}

impl Txn<'_> {
    fn put(&mut self, chunk: Vec<Sealed>) {
        for Sealed { record, line } in chunk {
            self.state.ids.insert(record.id, record.position);
            self.state.lines.push(line.into());
            self.state.events.push(Arc::new(record));
        }
    }
}

impl Stage for Txn<'_> {
    fn stage(&mut self, chunk: Vec<Sealed>) -> Result<(), BackendError> {
        self.put(chunk);
        Ok(())
    }

    fn discard(&mut self) {
        let keep = self.start as usize;
        let state = &mut *self.state;
        for e in state.events.drain(keep..) {
            state.ids.remove(&e.id);
        }
        state.lines.truncate(keep);
    }
}

impl EventStore for MemoryStore {
    fn write(
        &self,
        items: &mut dyn Iterator<Item = Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals> {
        let state = self.state();
        let start = state.head;
        let mut txn = Txn { state, start: start.position };
        let decision = planner::plan(&mut txn, start, (self.clock)(), items, expect, recorded_by)?;
        let (commit, positions, version) = match decision {
            Decision::Nothing { positions, version, .. } => {
                return Ok(Written { positions, appended: 0, version, head: start });
            }
            Decision::Commit { commit, positions, version } => (commit, positions, version),
        };
        txn.put(commit.events);
        let state = &mut *txn.state;
        let added: VecDeque<Arc<RecordedEvent>> = state.events[start.position as usize..].iter().cloned().collect();
        for e in &added {
            state.streams.entry(e.stream.clone()).or_default().push(e.position);
        }
        state.head = commit.head;
        drop(txn);
        for e in added {
            let _ = self.inner.tx.send(e);
        }
        let appended = (commit.head.position - start.position) as usize;
        Ok(Written { positions, appended, version, head: commit.head })
    }

    fn head(&self) -> Head {
        self.state().head
    }

    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        Ok(self.state().streams.get(stream).map(|v| v.len() as u64))
    }

    fn position_of(&self, id: &EventId) -> Result<Option<u64>, ReadError> {
        Ok(self.state().ids.get(id).copied())
    }

    fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        let state = self.state();
        let Some(positions) = state.streams.get(stream) else { return Ok(None) };
        let skip = from.max(1) as usize - 1;
        Ok(Some(positions.iter().skip(skip).map(|p| (*state.events[*p as usize - 1]).clone()).collect()))
    }

    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        let state = self.state();
        if position == 0 || position > state.head.position {
            return Ok(None);
        }
        Ok(state.events.get(position as usize - 1).map(|e| (**e).clone()))
    }

    fn events(&self, from: u64) -> EventIter<'_> {
        let state = self.state();
        let from = from.max(1) as usize - 1;
        let end = state.head.position as usize;
        let events: Vec<Arc<RecordedEvent>> = state.events.get(from..end).unwrap_or_default().to_vec();
        Box::new(events.into_iter().map(|e| Ok((*e).clone())))
    }

    fn lines(&self, from: u64) -> LineIter<'_> {
        let state = self.state();
        let from = from.max(1) as usize - 1;
        let end = state.head.position as usize;
        let lines: Vec<(u64, Arc<[u8]>)> = (from..end).map(|i| (i as u64 + 1, Arc::clone(&state.lines[i]))).collect();
        Box::new(lines.into_iter().map(|(p, l)| Ok((p, l.to_vec()))))
    }

    fn report_events(&self, report: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        let state = self.state();
        let end = state.head.position as usize;
        let report = report.report();
        Ok(state.events[..end].iter().filter(|e| e.stream.report() == report).map(|e| (**e).clone()).collect())
    }

    fn check_integrity(&self, each: &mut dyn FnMut(&RecordedEvent)) -> Result<ChainReport, ReadError> {
        let (lines, head, streams) = {
            let state = self.state();
            let end = state.head.position as usize;
            (state.lines[..end].to_vec(), state.head, state.streams.clone())
        };
        let ids: HashMap<EventId, u64> = self.state().ids.clone();
        let items = lines.iter().enumerate().map(|(i, line)| {
            let position = i as u64 + 1;
            let decoded = chain::decode_stored(line);
            let index = decoded.as_ref().ok().and_then(|e| {
                let at = (e.version as usize).checked_sub(1);
                let by_version = streams.get(&e.stream).zip(at).and_then(|(v, i)| v.get(i)).copied();
                if ids.get(&e.id) != Some(&e.position) {
                    Some(format!("the id index does not point event {} at position {}", e.id, e.position))
                } else if by_version != Some(e.position) {
                    Some(format!(
                        "the index of {} version {} does not point at position {}",
                        e.stream, e.version, e.position
                    ))
                } else {
                    None
                }
            });
            Ok((Some(position), decoded, index))
        });
        let tail = |versions: &StreamVersions| {
            let recorded: StreamVersions = streams.iter().map(|(s, v)| (s.clone(), v.len() as u64)).collect();
            Ok((recorded != *versions)
                .then(|| (head.position + 1, "a stream's recorded version is not its last".into())))
        };
        chain::check_store(items, head, tail, each)
    }

    fn subscribe(&self, from: u64) -> Subscription {
        Subscription::new(Arc::new(self.clone()), self.inner.tx.subscribe(), from)
    }
}
