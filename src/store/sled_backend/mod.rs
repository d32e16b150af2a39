//! [`SledStore`]: the event store in an embedded sled database, with one writer at a time and group commit.
//!
//! The only module that knows sled: its trees and keys ([`keys`]), the values of store format 2 ([`record`]:
//! commit records of sealed lines, id and stream segments), chunks staged past the head under an uncommitted
//! marker, the flush and `fdatasync` that make a commit durable, the read-ahead of replays, and the upgrade of a
//! format-1 store ([`upgrade`]). Every rule of a write is the commit planner's ([`super::planner`]); this module applies what it
//! decides.

mod keys;
mod record;
mod upgrade;

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use events::{EventId, Hash, RecordedEvent, StreamId, Timestamp};
use tokio::sync::broadcast;

use super::planner::{self, Decision, LogView, Pending, Planned, Sealed, Stage};
use super::{
    AppendError, BackendError, Clock, ErrorKind, EventIter, EventStore, ExpectedVersion, Head, LineIter, OpenError,
    ReadError, Refusals, StreamVersions, Subscription, Written,
};
use crate::chain::{self, ChainReport};

/// sled's segment size. sled writes a page larger than a quarter of a segment to a separate blob file, which it
/// does not fsync; 8 MiB segments put that threshold at 2 MiB, above any leaf of at most 17 values of at most
/// [`record::RECORD_BYTES`] each, so every write goes through the log file that [`SledStore`] syncs.
const SEGMENT_SIZE: usize = 8 << 20;

/// sled's page cache, in bytes (sled's default is 1 GiB). Replays read the log once in order, so a large cache
/// buys little and would hold a large store's pages in memory.
const CACHE_BYTES: u64 = 64 << 20;

/// How long opening waits for a store held by another handle before it reports [`OpenError::InUse`].
const OPEN_PATIENCE: std::time::Duration = std::time::Duration::from_millis(800);

/// How many committed events a slow subscriber may fall behind before it re-reads them from the store.
const BROADCAST_CAPACITY: usize = 4096;

/// The event store kept in a sled database in one directory.
///
/// Cheap to clone: clones share the database. One process at a time may open a directory.
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    /// sled's log file, opened again to fdatasync it: sled's own flush only calls sync_file_range.
    log_file: File,
    /// The durable head, the end of what readers see.
    head: RwLock<Head>,
    /// Held while a write checks and applies its events: one writer at a time.
    writer: Mutex<()>,
    /// Small writes waiting for a leader to combine them ([`SledStore::write_combined`]).
    queue: Mutex<Vec<Arc<Request>>>,
    /// How many sled batches have ended writes since the store was opened.
    batches: std::sync::atomic::AtomicU64,
    /// What is durable, and the committed events not yet broadcast.
    sync: Mutex<SyncState>,
    /// Signalled when a flush and fsync ends.
    synced: Condvar,
    /// Set when a commit could not be made durable: the store refuses writes from then on.
    failed: std::sync::OnceLock<String>,
    tx: broadcast::Sender<Arc<RecordedEvent>>,
    clock: Clock,
    /// Why the log is damaged beyond its head, when it is (records past the head without a write in progress):
    /// the store then refuses writes, and every full read ends in this error after the head.
    damaged: Option<String>,
    /// The commit records read last, most recently used first: one-event reads of nearby positions (a stream's
    /// events, a timeline's entries, for many readers at once) decode a record once. At most 256 records of at
    /// most 96 KiB of lines each: 24 MiB.
    cache: Mutex<VecDeque<(u64, Arc<record::Record>)>>,
    /// The last [`RECENT_EVENTS`] events made durable, decoded, in position order (with gaps where a large write
    /// broadcast only its tail): a write reads its own events back for its warnings, and subscribers and pages read
    /// the newest, without decoding their lines again.
    recent: std::sync::RwLock<VecDeque<Arc<RecordedEvent>>>,
    /// The first event of streams read so far, durable and so fixed for ever (the log is append-only); cleared when
    /// it holds [`FIRST_EVENTS`].
    firsts: std::sync::RwLock<std::collections::HashMap<StreamId, Arc<RecordedEvent>>>,
}

/// How many decoded commit records [`Inner::cache`] keeps.
const CACHED_RECORDS: usize = 256;

/// How many durable events [`Inner::recent`] keeps decoded.
const RECENT_EVENTS: usize = 4096;

/// How many streams' first events [`Inner::firsts`] keeps before it starts again.
const FIRST_EVENTS: usize = 65_536;

/// At most this many events are read by [`EventStore::read_range`] one by one, from the cached commit records.
const SMALL_RANGE: usize = 64;

/// How many id segments of one bucket below [`record::SEGMENT_ENTRIES`] a commit leaves before it merges them.
const SMALL_SEGMENTS: usize = 8;

/// The durability of the log, shared by the writers waiting for it.
struct SyncState {
    /// The head of everything committed to sled: durable, or waiting for a flush and fsync. Kept here, not under
    /// the writer's mutex, so that a writer waiting for durability never waits for a long write in progress.
    applied: Head,
    /// The last durable position (the published head's).
    durable: u64,
    /// Whether a flush and fsync is under way.
    syncing: bool,
    /// How many flushes and fsyncs made commits durable since the store was opened.
    syncs: u64,
    /// Committed events waiting for durability before they are broadcast, in position order.
    unsent: VecDeque<Arc<RecordedEvent>>,
}

/// Keeps the last [`BROADCAST_CAPACITY`] of a write's records for the live subscription: a subscriber that misses
/// earlier ones reads them from the store.
fn keep_recent(recent: &mut VecDeque<Arc<RecordedEvent>>, records: Vec<RecordedEvent>) {
    let skip = records.len().saturating_sub(BROADCAST_CAPACITY);
    recent.extend(records.into_iter().skip(skip).map(Arc::new));
    while recent.len() > BROADCAST_CAPACITY {
        recent.pop_front();
    }
}

/// Removes every commit record past `head`, with the stream segments that begin in it, and the marker of an
/// uncommitted write (id segments are written only by the final batch, with the head). Returns how many lines
/// it removed.
fn remove_uncommitted(tree: &sled::Tree, head: u64) -> Result<usize, sled::Error> {
    let mut removed = 0;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    for kv in tree.range(keys::record(head + 1)..=keys::record(u64::MAX)) {
        let (k, value) = kv?;
        if let Ok(r) = record::decode(&value) {
            removed += r.len();
            // A segment begins at a stream's first event in its chunk, so at its first in the record too.
            let mut seen = std::collections::HashSet::new();
            for line in r.lines() {
                if let Ok(e) = RecordedEvent::decode(line) {
                    if seen.insert(e.stream.clone()) {
                        batch.remove(keys::stream_version(e.stream.as_str(), e.version));
                    }
                }
            }
        }
        batch.remove(k);
        in_batch += 1;
        if in_batch == 64 {
            tree.apply_batch(std::mem::take(&mut batch))?;
            in_batch = 0;
        }
    }
    batch.remove(keys::UNCOMMITTED);
    tree.apply_batch(batch)?;
    Ok(removed)
}

/// Removes the snapshots sled began in `dir` but never finished (`snap.*.generating`: sled renames a snapshot
/// into place only once it is whole, so such a file holds nothing the log needs); returns how many it removed.
fn remove_unfinished_snapshots(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") && std::fs::remove_file(entry.path()).is_ok() {
            tracing::info!(file = %name, "removed a snapshot that was never finished");
            removed += 1;
        }
    }
    removed
}

/// Creates a new, empty store at `dir` (absent or an empty directory) all at once: it is made in a temporary
/// directory beside `dir`, synced, and renamed into place, so a process killed while creating leaves either no
/// store or a whole one, never a directory that is neither.
fn create(dir: &Path) -> std::io::Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let tmp = tempfile::Builder::new().prefix(".followup-new-").tempdir_in(&parent)?;
    {
        let db =
            sled::Config::new().path(tmp.path()).segment_size(SEGMENT_SIZE).open().map_err(std::io::Error::other)?;
        let tree = db.open_tree(keys::TREE).map_err(std::io::Error::other)?;
        tree.insert(keys::FORMAT, &keys::FORMAT_VERSION.to_be_bytes()).map_err(std::io::Error::other)?;
        db.flush().map_err(std::io::Error::other)?;
        for name in ["db", "conf"] {
            File::open(tmp.path().join(name))?.sync_all()?;
        }
        File::open(tmp.path())?.sync_all()?;
    }
    let made = tmp.keep();
    if let Err(e) = std::fs::rename(&made, dir) {
        let _ = std::fs::remove_dir_all(&made);
        return Err(e);
    }
    File::open(&parent)?.sync_all()
}

impl SledStore {
    /// Opens the store in `dir`, creating it if absent.
    ///
    /// # Errors
    /// [`OpenError::InUse`] when another process holds it; [`OpenError::Format`] when a newer release wrote it;
    /// storage, IO and damage errors naming the directory.
    pub fn open(dir: &Path) -> Result<SledStore, OpenError> {
        SledStore::open_with_clock(dir, Arc::new(Timestamp::now))
    }

    /// Whether `dir` holds a store (sled's `conf` file).
    pub fn exists(dir: &Path) -> bool {
        dir.join("conf").is_file()
    }

    /// Opens the store in `dir`, which must exist: for commands that only read.
    ///
    /// # Errors
    /// [`OpenError::Missing`] when `dir` holds no store; otherwise as [`SledStore::open`].
    pub fn open_existing(dir: &Path) -> Result<SledStore, OpenError> {
        if !SledStore::exists(dir) {
            return Err(OpenError::Missing { path: dir.display().to_string() });
        }
        SledStore::open(dir)
    }

    /// Opens the store with a given source of transaction time (for tests and replays).
    ///
    /// # Errors
    /// As [`SledStore::open`].
    pub fn open_with_clock(dir: &Path, clock: Clock) -> Result<SledStore, OpenError> {
        let path = dir.display().to_string();
        let io = |source: std::io::Error| OpenError::Storage { path: path.clone(), source: source.into() };
        if !dir.join("conf").is_file() {
            // A new store's directory may already hold who may use it (`access.json`, written by `user add`).
            let empty = match std::fs::read_dir(dir) {
                Ok(entries) => entries.flatten().all(|e| {
                    let name = e.file_name();
                    name == "access.json" || name == "access.lock"
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
                Err(e) => return Err(io(e)),
            };
            if !empty {
                return Err(OpenError::NotAStore { path });
            }
            create(dir).map_err(io)?;
        }
        // Another process may hold the store, or this one's last handle may still be closing (sled's IO
        // threads let go of the file a moment after the last handle is dropped): try for up to a second.
        let deadline = std::time::Instant::now() + OPEN_PATIENCE;
        let mut cleaned = false;
        let db = loop {
            match sled::Config::new().path(dir).segment_size(SEGMENT_SIZE).cache_capacity(CACHE_BYTES).open() {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                    if std::time::Instant::now() >= deadline {
                        return Err(OpenError::InUse { path });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                // A snapshot sled began but could not finish (its disk filled up) is read as a damaged log;
                // nobody holds the store (that would be the lock error above), so the leftover can go.
                Err(sled::Error::Corruption { .. }) if !cleaned && remove_unfinished_snapshots(dir) > 0 => {
                    cleaned = true;
                }
                Err(source) => return Err(OpenError::Storage { path, source: source.into() }),
            }
        };
        let storage = |source: sled::Error| OpenError::Storage { path: path.clone(), source: source.into() };
        let tree = db.open_tree(keys::TREE).map_err(storage)?;
        match tree.get(keys::FORMAT).map_err(storage)? {
            None => {
                tree.insert(keys::FORMAT, &keys::FORMAT_VERSION.to_be_bytes()).map_err(storage)?;
            }
            Some(v) => {
                let found = v.as_ref().try_into().map(u32::from_be_bytes).unwrap_or(u32::MAX);
                if found == keys::FORMAT_1 {
                    upgrade::from_format_1(&tree, &path)?;
                } else if found != keys::FORMAT_VERSION {
                    return Err(OpenError::Format { path, found, supported: keys::FORMAT_VERSION });
                }
            }
        }
        let head = match tree.get(keys::HEAD).map_err(storage)? {
            None => Head { position: 0, hash: Hash::ZERO, recorded_at: None },
            Some(v) => {
                let (position, hash, ns) = keys::decode_head(&v).ok_or_else(|| OpenError::Corrupt {
                    path: path.clone(),
                    reason: "the head record is damaged".into(),
                })?;
                let recorded_at = Timestamp::from_nanosecond(ns).ok();
                Head { position, hash, recorded_at }
            }
        };
        // A write killed before its final batch left chunks past the head, and its marker: remove them. If that
        // fails (a disk still nearly full: removing writes too), the store opens for reading all the same, since
        // readers never see past the head, and refuses writes, which could mistake those chunks for stored
        // events; the next open tries again.
        let mut leftover = None;
        if tree.contains_key(keys::UNCOMMITTED).map_err(storage)? {
            match remove_uncommitted(&tree, head.position) {
                Ok(removed) => tracing::info!(removed, "removed the events of a write that did not complete"),
                Err(e) => leftover = Some(e),
            }
        }
        if tree.contains_key(keys::LEFTOVERS).map_err(storage)? {
            upgrade::remove_leftovers(&tree).map_err(storage)?;
        }
        // Records past the head with no write in progress: the head record is damaged or lost. Writes would
        // overwrite those events, so they are refused; reads say so.
        // (A last record that does not decode is left for reads and verify to name.)
        let last = if leftover.is_none() { last_recorded(&tree).unwrap_or(0) } else { 0 };
        let damaged = (last > head.position).then(|| {
            format!(
                "the store holds events up to position {last} past its head at {}: its head record is damaged; run \
                 `followup verify` and restore the store from an export",
                head.position
            )
        });
        let log_file = File::open(dir.join("db")).map_err(io)?;
        if leftover.is_none() {
            db.flush().map_err(storage)?;
            log_file.sync_data().map_err(io)?;
        }
        // A new store's files and their directory entries must survive a power loss too.
        File::open(dir.join("conf")).and_then(|f| f.sync_all()).map_err(io)?;
        File::open(dir).and_then(|f| f.sync_all()).map_err(io)?;
        tracing::debug!(path = %dir.display(), head = head.position, "store opened");
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let inner = Inner {
            path: dir.to_owned(),
            db,
            tree,
            log_file,
            head: RwLock::new(head),
            writer: Mutex::new(()),
            queue: Mutex::new(Vec::new()),
            batches: std::sync::atomic::AtomicU64::new(0),
            sync: Mutex::new(SyncState {
                applied: head,
                durable: head.position,
                syncing: false,
                syncs: 0,
                unsent: VecDeque::new(),
            }),
            synced: Condvar::new(),
            failed: leftover
                .map(|e| {
                    format!(
                        "the events of an earlier refused write could not be removed when it was opened ({}); free some \
                         disk space",
                        BackendError::from(e)
                    )
                })
                .map(std::sync::OnceLock::from)
                .unwrap_or_default(),
            damaged,
            tx,
            clock,
            cache: Mutex::new(VecDeque::new()),
            recent: std::sync::RwLock::new(VecDeque::new()),
            firsts: std::sync::RwLock::new(std::collections::HashMap::new()),
        };
        Ok(SledStore { inner: Arc::new(inner) })
    }

    /// How many flushes and fsyncs have made commits durable since the store was opened: fewer than the
    /// commits when concurrent writers shared them.
    pub fn syncs(&self) -> u64 {
        self.inner.sync.lock().unwrap_or_else(|e| e.into_inner()).syncs
    }

    /// How many sled batches have ended writes since the store was opened: fewer than the writes when small
    /// concurrent writes were combined.
    pub fn batches(&self) -> u64 {
        self.inner.batches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The end of the log.
    pub fn head(&self) -> Head {
        *self.inner.head.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The commit record that holds `position`, committed or staged (no head check): its first position and its
    /// lines. `None` when no record holds it.
    ///
    /// # Errors
    /// Storage failure; a record that does not decode, named by its first position.
    fn record_at(&self, position: u64) -> Result<Option<(u64, Arc<record::Record>)>, ReadError> {
        let holds = |first: u64, r: &record::Record| first <= position && position - first < r.len() as u64;
        {
            // Least recently used last: a hit moves to the front.
            let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = cache.iter().position(|(first, r)| holds(*first, r)) {
                let hit = cache.remove(i).expect("the entry found");
                let found = (hit.0, Arc::clone(&hit.1));
                cache.push_front(hit);
                return Ok(Some(found));
            }
        }
        let Some(kv) = self.inner.tree.range(keys::record(0)..=keys::record(position)).next_back() else {
            return Ok(None);
        };
        let (k, value) = kv?;
        let first = keys::decode_u64(&k[1..]).unwrap_or(0);
        let r = Arc::new(decode_record(first, &value)?);
        if !holds(first, &r) {
            return Ok(None);
        }
        let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.push_front((first, Arc::clone(&r)));
        cache.truncate(CACHED_RECORDS);
        Ok(Some((first, r)))
    }

    /// The stored line at `position`, as written, committed or staged (for the writer; readers use [`Self::line`]).
    fn any_line(&self, position: u64) -> Result<Option<Vec<u8>>, ReadError> {
        Ok(self.record_at(position)?.and_then(|(first, r)| r.line((position - first) as usize).map(<[u8]>::to_vec)))
    }

    /// The stored line at `position`, as written, up to the durable head.
    fn line(&self, position: u64) -> Result<Option<Vec<u8>>, ReadError> {
        if position > self.head().position {
            return Ok(None);
        }
        self.any_line(position)
    }

    /// The event at `position`, up to the durable head.
    fn event_at(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        {
            // Every event there is durable: it was put there when its commit was.
            let recent = self.inner.recent.read().unwrap_or_else(|e| e.into_inner());
            if let Ok(i) = recent.binary_search_by_key(&position, |e| e.position) {
                return Ok(Some(RecordedEvent::clone(&recent[i])));
            }
        }
        match self.line(position)? {
            None => Ok(None),
            Some(line) => decode_at(position, &line).map(Some),
        }
    }

    /// The position of event `id` in the id index, committed (durable or not).
    fn indexed_position(&self, id: &EventId) -> Result<Option<u64>, ReadError> {
        for kv in self.inner.tree.scan_prefix(keys::id_bucket_prefix(keys::id_bucket(id))) {
            let (k, segment) = kv?;
            if k.len() != keys::ID_SEGMENT_KEY {
                continue;
            }
            if let Some(p) = record::find_id(&segment, id) {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// The position the stream index gives `version` of `stream`, committed or staged.
    fn indexed_version(&self, stream: &str, version: u64) -> Result<Option<u64>, ReadError> {
        let prefix = keys::stream_prefix(stream);
        let Some(kv) = self.inner.tree.range(prefix.clone()..=keys::stream_version(stream, version)).next_back() else {
            return Ok(None);
        };
        let (k, segment) = kv?;
        let first = keys::decode_u64(&k[prefix.len()..]).unwrap_or(u64::MAX);
        Ok(version.checked_sub(first).and_then(|i| record::positions(&segment).nth(i as usize)))
    }

    /// Checks the index entries of one stored event: its id and its stream version must point at its position.
    /// Returns what is wrong, if anything.
    ///
    /// # Errors
    /// Storage failure.
    fn index_entry_problem(&self, e: &RecordedEvent) -> Result<Option<String>, ReadError> {
        if self.indexed_position(&e.id)? != Some(e.position) {
            return Ok(Some(format!("the id index does not point event {} at position {}", e.id, e.position)));
        }
        if self.indexed_version(e.stream.as_str(), e.version)? != Some(e.position) {
            return Ok(Some(format!(
                "the index of {} version {} does not point at position {}",
                e.stream, e.version, e.position
            )));
        }
        Ok(None)
    }

    /// Checks what the indexes hold against the log, once every event is read: no line past the head, the id and
    /// stream indexes holding exactly the entries of the log's events (`digests`: the order-free sums of
    /// [`id_digest`] and [`stream_digest`] over the log), and every stream's recorded version the last of
    /// `versions`. When a digest differs, the log is read once more to name the first event whose entries are
    /// wrong. Returns the position of the problem and what it is, if any.
    ///
    /// # Errors
    /// Storage failure.
    fn index_tail_problem(
        &self,
        versions: &StreamVersions,
        digests: (u64, u64),
    ) -> Result<Option<(u64, String)>, ReadError> {
        let tree = &self.inner.tree;
        let head = self.head().position;
        let last = last_recorded(tree)?;
        if last > head {
            return Ok(Some((head + 1, format!("the store holds a line at position {last}, past its head at {head}"))));
        }
        let mut ids = 0u64;
        for kv in tree.scan_prefix(b"I") {
            let (k, segment) = kv?;
            if k.len() != keys::ID_SEGMENT_KEY {
                continue;
            }
            for (id, position) in record::id_entries(&segment) {
                ids = ids.wrapping_add(id_digest(&id, position));
            }
        }
        let mut streams = 0u64;
        for kv in tree.scan_prefix(b"S") {
            let (k, segment) = kv?;
            let Some(nul) = k.iter().position(|&b| b == 0) else { continue };
            let stream = &k[1..nul];
            let first = keys::decode_u64(&k[nul + 1..]).unwrap_or(0);
            for (i, position) in record::positions(&segment).enumerate() {
                streams = streams.wrapping_add(stream_digest(stream, first + i as u64, position));
            }
        }
        if (ids, streams) != digests {
            for position in 1..=head {
                if let Some(e) = self.event_at(position)? {
                    if let Some(problem) = self.index_entry_problem(&e)? {
                        return Ok(Some((position, problem)));
                    }
                }
            }
            let which = if ids != digests.0 { "id" } else { "stream" };
            return Ok(Some((head + 1, format!("the {which} index holds an entry of no event in the log"))));
        }
        let mut recorded = 0;
        for kv in tree.scan_prefix(b"V") {
            let (k, v) = kv?;
            recorded += 1;
            let stream = String::from_utf8_lossy(&k[1..]).into_owned();
            let written = keys::decode_u64(&v);
            let actual = StreamId::parse(&stream).ok().and_then(|s| versions.get(&s).copied());
            if written != actual {
                return Ok(Some((
                    head + 1,
                    format!("stream {stream} is recorded at version {written:?}, its log ends at {actual:?}"),
                )));
            }
        }
        if versions.len() != recorded {
            return Ok(Some((head + 1, "a stream of the log has no recorded version".into())));
        }
        Ok(None)
    }

    /// The commit records that hold positions `from` to the head as it is now, in order.
    fn records(&self, from: u64) -> impl Iterator<Item = Result<(u64, sled::IVec), ReadError>> + Send + '_ {
        let (from, end) = (from.max(1), self.head().position);
        let tree = &self.inner.tree;
        // The record holding `from` begins at or before it.
        let start = match tree.range(keys::record(0)..=keys::record(from)).next_back() {
            Some(Ok((k, _))) => keys::decode_u64(&k[1..]).unwrap_or(from),
            _ => from,
        };
        let range = (from <= end).then(|| tree.range(keys::record(start)..=keys::record(end)));
        range.into_iter().flatten().map(|kv| {
            let (k, value) = kv?;
            Ok((keys::decode_u64(&k[1..]).unwrap_or(0), value))
        })
    }

    /// The stored lines from `from` up to the head as it is now, in position order, as written.
    fn raw_lines(&self, from: u64) -> impl Iterator<Item = Result<(u64, Vec<u8>), ReadError>> + Send + '_ {
        let (from, end) = (from.max(1), self.head().position);
        let mut continuity = Continuity { next: from, end, damaged: self.inner.damaged.clone() };
        let mut stopped = false;
        let records = self.records(from).map(Some).chain(std::iter::once(None));
        records
            .map_while(move |item| {
                if stopped {
                    return None;
                }
                let lines = match item {
                    // The records end: they must have reached the head, and nothing may lie past it.
                    None => continuity.end().map_or(Ok(Vec::new()), Err),
                    Some(item) => item.and_then(|(first, value)| {
                        let r = decode_record(first, &value)?;
                        continuity.record(first, r.len() as u64)?;
                        Ok(in_range(first, &r, from, end).map(|(p, line)| Ok((p, line.to_vec()))).collect::<Vec<_>>())
                    }),
                };
                Some(lines.unwrap_or_else(|e| {
                    stopped = true;
                    vec![Err(e)]
                }))
            })
            .flatten()
    }

    /// Applies `f` to every stored line (its position and bytes) from `from` up to the head as it is now, on
    /// worker threads (one per core, at most four), and yields the results in position order.
    ///
    /// One thread reads the commit records in order and deals them to the workers in turn; each worker
    /// decompresses its records and applies `f` to their lines, keeping at most two records ahead, so memory stays
    /// bounded whatever the log's size. Dropping the iterator stops the threads.
    fn map_ahead<T, F>(&self, from: u64, f: F) -> impl Iterator<Item = Result<T, ReadError>> + Send
    where
        T: Send + 'static,
        F: Fn(u64, &[u8]) -> Result<T, ReadError> + Send + Sync + 'static,
    {
        let (from, end) = (from.max(1), self.head().position);
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        let f = Arc::new(f);
        let mut inputs = Vec::with_capacity(workers);
        let receivers: Vec<_> = (0..workers)
            .map(|_| {
                let (in_tx, in_rx) = std::sync::mpsc::sync_channel::<Result<(u64, sled::IVec), ReadError>>(2);
                let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, u64, Vec<Result<T, ReadError>>)>(2);
                inputs.push(in_tx);
                let f = Arc::clone(&f);
                std::thread::spawn(move || {
                    for item in in_rx {
                        let run = match item.and_then(|(first, value)| Ok((first, decode_record(first, &value)?))) {
                            Err(e) => (0, 0, vec![Err(e)]),
                            Ok((first, r)) => {
                                let mut run = Vec::with_capacity(r.len());
                                for (position, line) in in_range(first, &r, from, end) {
                                    let item = f(position, line);
                                    let stop = item.is_err();
                                    run.push(item);
                                    if stop {
                                        break;
                                    }
                                }
                                (first, r.len() as u64, run)
                            }
                        };
                        if tx.send(run).is_err() {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        let reader = self.clone();
        std::thread::spawn(move || {
            for (i, item) in reader.records(from).enumerate() {
                let stop = item.is_err();
                if inputs[i % inputs.len()].send(item).is_err() || stop {
                    return;
                }
            }
        });
        let mut turn = 0;
        let mut stopped = false;
        let mut continuity = Continuity { next: from, end, damaged: self.inner.damaged.clone() };
        std::iter::from_fn(move || {
            if stopped {
                return None;
            }
            let Ok((first, count, run)) = receivers[turn % receivers.len()].recv() else {
                // The records end: they must have reached the head, and nothing may lie past it.
                stopped = true;
                return continuity.end().map(|e| vec![Err(e)]);
            };
            turn += 1;
            if count > 0 {
                if let Err(e) = continuity.record(first, count) {
                    // A record is missing: the log has a gap where it stood.
                    stopped = true;
                    return Some(vec![Err(e)]);
                }
            }
            if run.last().is_some_and(|r| r.is_err()) {
                stopped = true;
            }
            Some(run)
        })
        .flatten()
    }

    /// Removes the chunks a refused write applied past `head` (the caller holds the writer's mutex). If that
    /// fails, the store takes no more writes: the next open removes them.
    fn discard(&self, head: u64) {
        self.inner.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if let Err(e) = remove_uncommitted(&self.inner.tree, head) {
            let _ = self.inner.failed.set(format!("could not remove a refused write: {e}"));
        }
    }

    /// Waits until the log is durable up to `position`, making it so if no other writer is: whoever finds no
    /// flush under way flushes and fsyncs everything applied so far, and publishes the new head, for all the
    /// writers waiting (group commit).
    fn wait_durable(&self, position: u64) -> Result<(), AppendError> {
        self.settle(&|| Some(position), None)
    }

    /// Waits until the log is durable up to the position `wait_for` gives (`None`: a queued small write not yet
    /// combined). Whoever finds no flush under way first combines the small writes queued meanwhile into one
    /// batch ([`SledStore::lead`]), then flushes and fsyncs everything applied so far and publishes the new head,
    /// for all the writers waiting: while one flush runs, the next batch gathers.
    ///
    /// A queued write (`own`) waits on its own condition variable, woken by the flush that made it durable or
    /// when its turn comes to lead, so that the end of a flush does not wake every waiting writer.
    fn settle(&self, wait_for: &dyn Fn() -> Option<u64>, own: Option<&Request>) -> Result<(), AppendError> {
        let inner = &*self.inner;
        let mut sync = inner.sync.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if wait_for().is_some_and(|p| sync.durable >= p) {
                return Ok(());
            }
            if let Some(reason) = inner.failed.get() {
                return Err(AppendError::Failed(reason.clone()));
            }
            if !sync.syncing {
                if let Some(p) = wait_for().filter(|&p| p > sync.applied.position) {
                    if inner.queue.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
                        // Nothing applied or queued will ever reach it: waiting would flush for ever.
                        return Err(AppendError::Failed(format!(
                            "position {p} lies past everything written (the head is at {})",
                            sync.applied.position
                        )));
                    }
                }
            }
            if sync.syncing {
                let cv = own.map_or(&inner.synced, |r| &r.woken);
                sync = cv.wait(sync).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            sync.syncing = true;
            drop(sync);
            let group = std::mem::take(&mut *inner.queue.lock().unwrap_or_else(|e| e.into_inner()));
            if !group.is_empty() {
                let _writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
                self.lead(&group);
            }
            // Wakes the writers of the group led, the writers waiting for durability alone, and the first writer
            // queued since, whose turn it is to lead.
            let wake = |inner: &Inner| {
                inner.synced.notify_all();
                for r in &group {
                    r.woken.notify_one();
                }
                if let Some(next) = inner.queue.lock().unwrap_or_else(|e| e.into_inner()).first() {
                    next.woken.notify_one();
                }
            };
            let target = inner.sync.lock().unwrap_or_else(|e| e.into_inner()).applied;
            // Once applied, a batch is in sled's memory; if it cannot be made durable, whether it survives is
            // unknown, so the store takes no more writes until it is reopened and its log read back.
            let durable = inner.db.flush().map(|_| ()).map_err(|e| AppendError::Storage(e.into())).and_then(|()| {
                inner.log_file.sync_data().map_err(|e| {
                    let e = BackendError::from(e);
                    AppendError::Storage(BackendError::new(e.kind(), format!("could not sync the store to disk: {e}")))
                })
            });
            sync = inner.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.syncing = false;
            match durable {
                Ok(()) => {
                    sync.durable = target.position;
                    sync.syncs += 1;
                    *inner.head.write().unwrap_or_else(|e| e.into_inner()) = target;
                    let mut recent = inner.recent.write().unwrap_or_else(|e| e.into_inner());
                    while sync.unsent.front().is_some_and(|e| e.position <= target.position) {
                        if let Some(e) = sync.unsent.pop_front() {
                            recent.push_back(Arc::clone(&e));
                            let _ = inner.tx.send(e);
                        }
                    }
                    while recent.len() > RECENT_EVENTS {
                        recent.pop_front();
                    }
                    drop(recent);
                    wake(inner);
                }
                Err(e) => {
                    let _ = inner.failed.set(e.to_string());
                    wake(inner);
                    return Err(e);
                }
            }
        }
    }

    /// The positions of `stream`'s versions from `from` on, up to the published head: a commit still being made
    /// durable is not visible. `None` when the stream has no durable event.
    fn stream_positions(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<u64>>, ReadError> {
        let end = self.head().position;
        let prefix = keys::stream_prefix(stream.as_str());
        let mut exists = false;
        let mut out = Vec::new();
        'segments: for kv in self.inner.tree.scan_prefix(&prefix) {
            let (k, segment) = kv?;
            let first = keys::decode_u64(&k[prefix.len()..]).unwrap_or(u64::MAX);
            for (i, position) in record::positions(&segment).enumerate() {
                if position > end {
                    break 'segments;
                }
                exists = true;
                if first + i as u64 >= from {
                    out.push(position);
                }
            }
        }
        Ok(exists.then_some(out))
    }

    /// The events at `positions` (ascending, each at most the head), reading each commit record once.
    fn events_at(&self, positions: &[u64]) -> Result<Vec<RecordedEvent>, ReadError> {
        positions
            .iter()
            .map(|&position| {
                self.event_at(position)?
                    .ok_or(ReadError::Corrupt { position, error: "the stream index names a missing event".into() })
            })
            .collect()
    }

    fn read_stream_sync(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        let Some(positions) = self.stream_positions(stream, from.max(1))? else {
            return Ok(None);
        };
        self.events_at(&positions).map(Some)
    }

    /// The events of report stream `report` and of all its recommendations' streams, in position order: all a
    /// recommendation's timeline and status rest on, read through the stream index without a scan of the log.
    ///
    /// # Errors
    /// Storage failure or a damaged line.
    fn report_events_sync(&self, report: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        let end = self.head().position;
        let mut positions = Vec::new();
        let own = keys::stream_prefix(report.report());
        let mut recommendations = own.clone();
        if let Some(last) = recommendations.last_mut() {
            *last = b'/';
        }
        for prefix in [own, recommendations] {
            for kv in self.inner.tree.scan_prefix(&prefix) {
                let (_, segment) = kv?;
                positions.extend(record::positions(&segment).filter(|&p| p <= end));
            }
        }
        positions.sort_unstable();
        self.events_at(&positions)
    }

    /// The stream's durable version: that of its last event at or before the published head.
    fn durable_version(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        let end = self.head().position;
        let prefix = keys::stream_prefix(stream.as_str());
        for kv in self.inner.tree.scan_prefix(&prefix).rev() {
            let (k, segment) = kv?;
            let first = keys::decode_u64(&k[prefix.len()..]).unwrap_or(0);
            let durable = record::positions(&segment).take_while(|&p| p <= end).count() as u64;
            if durable > 0 {
                return Ok(Some(first + durable - 1));
            }
        }
        Ok(None)
    }

    /// Applies the planner's commit: the last chunk's records and stream segments, the id segments of the whole
    /// write (`ids`: the ids of its staged chunks), each stream's version and the new head, with the uncommitted
    /// marker removed, in one sled batch (the caller holds the writer's mutex).
    fn apply_commit(&self, commit: &planner::Commit, ids: Vec<(EventId, u64)>) -> Result<(), BackendError> {
        let mut batch = sled::Batch::default();
        put_chunk(&mut batch, &commit.events);
        let mut ids = ids;
        ids.extend(commit.events.iter().map(|s| (s.record.id, s.record.position)));
        put_ids(&self.inner.tree, &mut batch, ids)?;
        for (stream, version) in &commit.versions {
            batch.insert(keys::stream_head(stream.as_str()), &version.to_be_bytes());
        }
        let head = commit.head;
        let ns = head.recorded_at.map_or(0, |t| t.as_nanosecond());
        batch.insert(keys::HEAD, &keys::encode_head(head.position, &head.hash, ns)[..]);
        if commit.staged {
            batch.remove(keys::UNCOMMITTED);
        }
        self.inner.tree.apply_batch(batch)?;
        self.inner.batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// Adds the id segments of `ids` to `batch`: per bucket, one new segment, or, when the bucket would hold more
/// than [`SMALL_SEGMENTS`] segments below [`record::SEGMENT_ENTRIES`], those merged with the new entries into
/// as few as hold them.
fn put_ids(tree: &sled::Tree, batch: &mut sled::Batch, ids: Vec<(EventId, u64)>) -> Result<(), sled::Error> {
    let mut ids: Vec<(u16, EventId, u64)> = ids.into_iter().map(|(id, p)| (keys::id_bucket(&id), id, p)).collect();
    ids.sort_unstable();
    for group in ids.chunk_by(|a, b| a.0 == b.0) {
        let bucket = group[0].0;
        let mut entries: Vec<(EventId, u64)> = group.iter().map(|&(_, id, p)| (id, p)).collect();
        let mut small = Vec::new();
        for kv in tree.scan_prefix(keys::id_bucket_prefix(bucket)) {
            let (k, segment) = kv?;
            if k.len() == keys::ID_SEGMENT_KEY && record::id_count(&segment) < record::SEGMENT_ENTRIES {
                small.push((k, segment));
            }
        }
        if small.len() >= SMALL_SEGMENTS {
            for (k, segment) in small {
                entries.extend(record::id_entries(&segment));
                batch.remove(k);
            }
            entries.sort_unstable();
        }
        for piece in entries.chunks(record::SEGMENT_ENTRIES) {
            let least = piece.iter().map(|e| e.1).min().unwrap_or(0);
            batch.insert(&keys::id_segment(bucket, least), record::encode_ids(piece));
        }
    }
    Ok(())
}

/// Adds a chunk of sealed events (consecutive positions) to a batch: its commit records, and a stream segment
/// for each stream it touches.
fn put_chunk(batch: &mut sled::Batch, chunk: &[Sealed]) {
    let Some(first) = chunk.first().map(|s| s.record.position) else { return };
    let lines: Vec<&[u8]> = chunk.iter().map(|s| s.line.as_slice()).collect();
    put_records(batch, first, &lines);
    let mut streams: Vec<(&StreamId, u64, Vec<u64>)> = Vec::new();
    let mut index: std::collections::HashMap<&StreamId, usize> = std::collections::HashMap::new();
    for s in chunk {
        let e = &s.record;
        match index.get(&e.stream) {
            Some(&i) => streams[i].2.push(e.position),
            None => {
                index.insert(&e.stream, streams.len());
                streams.push((&e.stream, e.version, vec![e.position]));
            }
        }
    }
    for (stream, version, positions) in streams {
        batch.insert(keys::stream_version(stream.as_str(), version), record::encode_positions(&positions));
    }
}

/// Adds the lines of consecutive positions from `first` to a batch as commit records of at most
/// [`record::RECORD_BYTES`] each.
fn put_records(batch: &mut sled::Batch, first: u64, lines: &[&[u8]]) {
    let mut at = first;
    for run in record::runs(lines) {
        batch.insert(&keys::record(at), record::encode(&run));
        at += run.len() as u64;
    }
}

/// The last position the commit records hold (0 for none).
///
/// # Errors
/// Storage failure; a last record that does not decode.
fn last_recorded(tree: &sled::Tree) -> Result<u64, ReadError> {
    match tree.scan_prefix(b"C").next_back() {
        None => Ok(0),
        Some(kv) => {
            let (k, value) = kv?;
            let first = keys::decode_u64(&k[1..]).unwrap_or(0);
            Ok(first + decode_record(first, &value)?.len().saturating_sub(1) as u64)
        }
    }
}

/// Checks that the commit records a full read meets follow on without a gap from `next` and reach `end`, the head;
/// `damaged` is the store's damage past the head, reported once the records end.
struct Continuity {
    next: u64,
    end: u64,
    damaged: Option<String>,
}

impl Continuity {
    /// Takes in the record whose first position is `first`, holding `count` lines.
    ///
    /// # Errors
    /// The first position no record holds, when this record begins past it.
    fn record(&mut self, first: u64, count: u64) -> Result<(), ReadError> {
        if first > self.next {
            let error = format!("no commit record holds it (the next record begins at position {first})");
            return Err(ReadError::Corrupt { position: self.next, error });
        }
        self.next = self.next.max(first + count);
        Ok(())
    }

    /// What is wrong once the records end: a position up to the head that none held, or the damage past it.
    fn end(&self) -> Option<ReadError> {
        let missing =
            (self.next <= self.end).then(|| format!("no commit record holds it (the head is at {})", self.end));
        missing.or_else(|| self.damaged.clone()).map(|error| ReadError::Corrupt { position: self.next, error })
    }
}

/// The digest of one id index entry: summed over the log and over the index, the two sums must agree.
fn id_digest(id: &EventId, position: u64) -> u64 {
    record::mix(&[id.as_bytes(), &position.to_be_bytes()])
}

/// The digest of one stream index entry, as [`id_digest`].
fn stream_digest(stream: &[u8], version: u64, position: u64) -> u64 {
    record::mix(&[stream, &version.to_be_bytes(), &position.to_be_bytes()])
}

/// Decodes the commit record whose first position is `first`: a damaged one is named by that position.
fn decode_record(first: u64, value: &[u8]) -> Result<record::Record, ReadError> {
    record::decode(value).map_err(|e| ReadError::Corrupt { position: first, error: format!("its commit record: {e}") })
}

/// The lines of record `r` (first position `first`) from `from` to `end`, with their positions.
fn in_range(first: u64, r: &record::Record, from: u64, end: u64) -> impl Iterator<Item = (u64, &[u8])> + '_ {
    let skip = from.saturating_sub(first) as usize;
    let take = (end + 1).saturating_sub(first.max(from)) as usize;
    r.lines().enumerate().skip(skip).take(take).map(move |(i, line)| (first + i as u64, line))
}

/// One write in progress, under the writer's mutex: what the planner sees of the log, and where its chunks go.
struct Txn<'a> {
    store: &'a SledStore,
    /// The head this write started from: staged chunks lie past it.
    start: u64,
    marked: bool,
    /// The ids of the staged chunks and their positions: their id segments are written with the head, by the
    /// final batch, so that a killed write leaves none behind (24 bytes and a map entry per staged event).
    staged_at: std::collections::HashMap<EventId, u64>,
    /// The last [`BROADCAST_CAPACITY`] staged records, for the live subscription.
    recent: VecDeque<Arc<RecordedEvent>>,
}

/// The committed position of event `id` by the id index, which must lie at or before `head` (everything committed):
/// an entry past it is damage, not an event, and a write must not wait for it.
fn committed_position(store: &SledStore, id: &EventId, head: u64) -> Result<Option<u64>, BackendError> {
    match store.indexed_position(id).map_err(backend)? {
        Some(p) if p > head => Err(BackendError::new(
            ErrorKind::Integrity,
            format!(
                "its id index points event {id} at position {p}, past the head at {head}; run `followup verify` and \
                 restore the store from an export"
            ),
        )),
        found => Ok(found),
    }
}

/// A storage or decoding failure under the writer, as the planner takes it.
fn backend(e: ReadError) -> BackendError {
    match e {
        ReadError::Storage(e) => e,
        other => BackendError::new(ErrorKind::Integrity, other.to_string()),
    }
}

impl LogView for Txn<'_> {
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError> {
        if let Some(&p) = self.staged_at.get(id) {
            return Ok(Some(p));
        }
        committed_position(self.store, id, self.start)
    }

    fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError> {
        self.store.any_line(position).map_err(backend)
    }

    fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError> {
        Ok(self.store.inner.tree.get(keys::stream_head(stream.as_str()))?.and_then(|v| keys::decode_u64(&v)))
    }
}

impl Stage for Txn<'_> {
    fn stage(&mut self, chunk: Vec<Sealed>) -> Result<(), BackendError> {
        let mut batch = sled::Batch::default();
        if !self.marked {
            // Past the head, marked as uncommitted: invisible to readers, removed if this write fails.
            batch.insert(keys::UNCOMMITTED, &(self.start + 1).to_be_bytes());
            self.marked = true;
        }
        put_chunk(&mut batch, &chunk);
        self.store.inner.tree.apply_batch(batch)?;
        self.staged_at.extend(chunk.iter().map(|s| (s.record.id, s.record.position)));
        keep_recent(&mut self.recent, chunk.into_iter().map(|s| s.record).collect());
        Ok(())
    }

    fn discard(&mut self) {
        if self.marked {
            self.store.discard(self.start);
        }
    }
}

/// The most items a write may have to be combined with others (a larger one writes alone, in chunks).
const COMBINE_ITEMS: usize = 256;

/// A small write waiting to be combined with others by whichever writer leads next.
struct Request {
    items: Mutex<Vec<Option<Pending>>>,
    expect: Option<(StreamId, ExpectedVersion)>,
    recorded_by: String,
    /// Set by the leader, before it lets go of the writer's mutex.
    outcome: Mutex<Option<Planned>>,
    /// Signalled, under the durability mutex, when the flush of its group ends or its turn to lead comes.
    woken: Condvar,
}

/// The committed log as the leader of combined writes sees it, under the writer's mutex.
struct Committed<'a> {
    store: &'a SledStore,
    /// The head of everything committed before the group.
    start: u64,
}

impl LogView for Committed<'_> {
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError> {
        committed_position(self.store, id, self.start)
    }

    fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError> {
        self.store.any_line(position).map_err(backend)
    }

    fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError> {
        Ok(self.store.inner.tree.get(keys::stream_head(stream.as_str()))?.and_then(|v| keys::decode_u64(&v)))
    }
}

impl SledStore {
    /// Writes a small write combined with the others waiting at the same moment: it is queued, and the next
    /// writer to flush ([`SledStore::settle`]) plans every queued write in turn (each its own refusals and
    /// expected version, each seeing those before it), applies all of them in one sled batch, and makes it
    /// durable with one flush and fsync.
    fn write_combined(
        &self,
        items: Vec<Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals> {
        let inner = &*self.inner;
        let request = Arc::new(Request {
            items: Mutex::new(items),
            expect: expect.map(|(s, e)| (s.clone(), e)),
            recorded_by: recorded_by.to_owned(),
            outcome: Mutex::new(None),
            woken: Condvar::new(),
        });
        inner.queue.lock().unwrap_or_else(|e| e.into_inner()).push(Arc::clone(&request));
        let waited = self.settle(
            &|| match &*request.outcome.lock().unwrap_or_else(|e| e.into_inner()) {
                None => None,
                Some(Planned::Refused(_)) => Some(0),
                Some(Planned::Written { wait_for, .. }) => Some(*wait_for),
            },
            Some(&request),
        );
        let outcome = request.outcome.lock().unwrap_or_else(|e| e.into_inner()).take();
        match outcome {
            Some(Planned::Written { positions, version, appended, head, .. }) => {
                let last = positions.len().saturating_sub(1);
                waited.map_err(|e| vec![(last, e)])?;
                let head = if appended == 0 { self.head() } else { head };
                Ok(Written { positions, appended, version, head })
            }
            Some(Planned::Refused(refusals)) => Err(refusals),
            None => {
                Err(vec![(0, waited.err().unwrap_or_else(|| AppendError::Failed("the write was not planned".into())))])
            }
        }
    }

    /// Plans the queued writes of `group` in order and applies the new events of all of them in one batch (the
    /// caller holds the writer's mutex); sets each request's outcome.
    fn lead(&self, group: &[Arc<Request>]) {
        let inner = &*self.inner;
        let set = |r: &Request, o: Planned| *r.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(o);
        if let Some(reason) = inner.failed.get() {
            for r in group {
                set(r, Planned::Refused(vec![(0, AppendError::Failed(reason.clone()))]));
            }
            return;
        }
        let start = inner.sync.lock().unwrap_or_else(|e| e.into_inner()).applied;
        let writes = group
            .iter()
            .map(|r| planner::GroupWrite {
                items: std::mem::take(&mut *r.items.lock().unwrap_or_else(|e| e.into_inner())),
                expect: r.expect.clone(),
                recorded_by: r.recorded_by.clone(),
            })
            .collect();
        let base = Committed { store: self, start: start.position };
        let (commit, planned) = planner::plan_group(base, start, (inner.clock)(), writes);
        if let Some(commit) = commit {
            if let Err(e) = self.apply_commit(&commit, Vec::new()) {
                for (r, outcome) in group.iter().zip(planned) {
                    set(r, planner::refused_by(outcome, &e));
                }
                return;
            }
            let head = commit.head;
            let mut recent = VecDeque::new();
            keep_recent(&mut recent, commit.events.into_iter().map(|s| s.record).collect());
            let mut sync = inner.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.applied = head;
            sync.unsent.extend(recent);
        }
        for (r, outcome) in group.iter().zip(planned) {
            set(r, outcome);
        }
    }
}

impl From<sled::Error> for BackendError {
    fn from(e: sled::Error) -> BackendError {
        match e {
            sled::Error::Io(io) => BackendError::from(io),
            sled::Error::Corruption { at, .. } => BackendError::new(
                ErrorKind::Integrity,
                format!(
                    "its files are damaged (sled read corrupted data{}); restore it from a backup or an export",
                    at.map(|a| format!(" at {a:?}")).unwrap_or_default()
                ),
            ),
            other => BackendError::new(ErrorKind::Internal, other.to_string()),
        }
    }
}

impl From<sled::Error> for ReadError {
    fn from(e: sled::Error) -> ReadError {
        ReadError::Storage(e.into())
    }
}

fn decode_at(position: u64, line: &[u8]) -> Result<RecordedEvent, ReadError> {
    RecordedEvent::decode(line).map_err(|e| ReadError::Corrupt { position, error: e.to_string() })
}

impl EventStore for SledStore {
    fn write(
        &self,
        items: &mut dyn Iterator<Item = Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals> {
        let inner = &*self.inner;
        if let Some(damage) = &inner.damaged {
            // Writing would overwrite the events past the lost head.
            return Err(vec![(0, AppendError::Storage(BackendError::new(ErrorKind::Integrity, damage.clone())))]);
        }
        // A small write is combined with the others waiting now; a larger one writes alone, in chunks.
        let mut first: Vec<Option<Pending>> = (&mut *items).take(COMBINE_ITEMS + 1).collect();
        if first.len() <= COMBINE_ITEMS {
            return self.write_combined(first, expect, recorded_by);
        }
        let mut rest = first.drain(..).chain(items);
        let items: &mut dyn Iterator<Item = Option<Pending>> = &mut rest;
        let writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(reason) = inner.failed.get() {
            return Err(vec![(0, AppendError::Failed(reason.clone()))]);
        }
        let start = inner.sync.lock().unwrap_or_else(|e| e.into_inner()).applied;
        let mut txn = Txn {
            store: self,
            start: start.position,
            marked: false,
            staged_at: std::collections::HashMap::new(),
            recent: VecDeque::new(),
        };
        let decision = planner::plan(&mut txn, start, (inner.clock)(), items, expect, recorded_by)?;
        let (commit, positions, version) = match decision {
            Decision::Nothing { positions, version, last } => {
                // Nothing new: the events named are stored, though perhaps not yet durable.
                drop(writer);
                self.wait_durable(last).map_err(|e| vec![(0, e)])?;
                return Ok(Written { positions, appended: 0, version, head: self.head() });
            }
            Decision::Commit { commit, positions, version } => (commit, positions, version),
        };
        let last = positions.len().saturating_sub(1);
        let staged_ids = std::mem::take(&mut txn.staged_at).into_iter().collect();
        if let Err(e) = self.apply_commit(&commit, staged_ids) {
            txn.discard();
            return Err(vec![(last, e.into())]);
        }
        let mut recent = std::mem::take(&mut txn.recent);
        let new_head = commit.head;
        keep_recent(&mut recent, commit.events.into_iter().map(|s| s.record).collect());
        {
            let mut sync = inner.sync.lock().unwrap_or_else(|e| e.into_inner());
            sync.applied = new_head;
            sync.unsent.extend(recent);
        }
        drop(writer);
        // Other writers may commit while this one waits: one flush and fsync makes all of them durable.
        self.wait_durable(new_head.position).map_err(|e| vec![(last, e)])?;
        let appended = (new_head.position - start.position) as usize;
        tracing::debug!(appended, head = new_head.position, "commit durable");
        Ok(Written { positions, appended, version, head: new_head })
    }

    fn head(&self) -> Head {
        SledStore::head(self)
    }

    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        self.durable_version(stream)
    }

    fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        self.read_stream_sync(stream, from)
    }

    fn position_of(&self, id: &EventId) -> Result<Option<u64>, ReadError> {
        committed_position(self, id, self.head().position).map_err(ReadError::Storage)
    }

    fn stream_first(&self, stream: &StreamId) -> Result<Option<RecordedEvent>, ReadError> {
        if let Some(e) = self.inner.firsts.read().unwrap_or_else(|e| e.into_inner()).get(stream) {
            return Ok(Some(RecordedEvent::clone(e)));
        }
        // The stream's first index segment (keys ascend by version) names its first event: nothing else is read.
        let Some(kv) = self.inner.tree.scan_prefix(keys::stream_prefix(stream.as_str())).next() else {
            return Ok(None);
        };
        let (_, segment) = kv?;
        let first = record::positions(&segment).next();
        let event = match first {
            Some(position) if position <= self.head().position => self.event_at(position)?,
            _ => return Ok(None),
        };
        if let Some(e) = &event {
            let mut firsts = self.inner.firsts.write().unwrap_or_else(|e| e.into_inner());
            if firsts.len() >= FIRST_EVENTS {
                firsts.clear();
            }
            firsts.insert(stream.clone(), Arc::new(e.clone()));
        }
        Ok(event)
    }

    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        self.event_at(position)
    }

    fn events(&self, from: u64) -> EventIter<'_> {
        Box::new(self.map_ahead(from, decode_at))
    }

    fn read_range(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        let (from, end) = (from.max(1), self.head().position);
        // A few events (a write's own, read back for its warnings) come from the cached commit records, one line
        // each; more, or any from a damaged store, as every full read reads them.
        if limit <= SMALL_RANGE && self.inner.damaged.is_none() {
            let last = end.min(from.saturating_add(limit as u64).saturating_sub(1));
            return (from..=last)
                .map(|position| {
                    self.event_at(position)?.ok_or_else(|| ReadError::Corrupt {
                        position,
                        error: format!("no commit record holds it (the head is at {end})"),
                    })
                })
                .collect();
        }
        self.raw_lines(from).take(limit).map(|r| r.and_then(|(p, line)| decode_at(p, &line))).collect()
    }

    fn lines(&self, from: u64) -> LineIter<'_> {
        Box::new(self.raw_lines(from))
    }

    fn report_events(&self, report: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        self.report_events_sync(report)
    }

    fn room(&self) -> Option<u64> {
        fs4::available_space(&self.inner.path).ok()
    }

    fn check_integrity(&self, each: &mut dyn FnMut(&RecordedEvent)) -> Result<ChainReport, ReadError> {
        // Decoding and hashing run on worker threads, which also sum the digests of the index entries each event
        // should have; the chain is followed by the caller, and the indexes are then read once, in key order, and
        // summed the same way (a lookup per event would cost two sled reads each).
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        let sums = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let summed = Arc::clone(&sums);
        let items = self.map_ahead(1, move |position, line| {
            let decoded = chain::decode_stored(line);
            if let Ok(e) = &decoded {
                summed.0.fetch_add(id_digest(&e.id, e.position), Relaxed);
                summed.1.fetch_add(stream_digest(e.stream.as_str().as_bytes(), e.version, e.position), Relaxed);
            }
            Ok((Some(position), decoded, None))
        });
        // A commit record that does not decode breaks the chain at its first position, as a damaged line does.
        let items = items.map(|item| match item {
            Err(ReadError::Corrupt { position, error }) => Ok((Some(position), Err(error), None)),
            other => other,
        });
        chain::check_store(
            items,
            self.head(),
            |versions| self.index_tail_problem(versions, (sums.0.load(Relaxed), sums.1.load(Relaxed))),
            each,
        )
    }

    fn subscribe(&self, from: u64) -> Subscription {
        Subscription::new(Arc::new(self.clone()), self.inner.tx.subscribe(), from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_of_an_unknown_newer_format_is_refused_naming_both_formats() {
        // given a store whose format record says 99
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        {
            let store = SledStore::open(&path).unwrap();
            store.inner.tree.insert(keys::FORMAT, &99u32.to_be_bytes()).unwrap();
            store.inner.db.flush().unwrap();
        }
        // when it is opened, then it is refused with both formats named, and the record is left as it was
        let err = loop {
            match SledStore::open(&path) {
                Err(OpenError::InUse { .. }) => std::thread::sleep(std::time::Duration::from_millis(20)),
                Err(e) => break e,
                Ok(_) => panic!("a store of format 99 opened"),
            }
        };
        assert!(matches!(err, OpenError::Format { found: 99, supported: keys::FORMAT_VERSION, .. }), "{err:?}");
        assert_eq!(err.kind(), ErrorKind::Invalid);
        assert_eq!(
            err.to_string(),
            format!("store {} has format 99; this release reads format {}", path.display(), keys::FORMAT_VERSION)
        );
    }

    #[test]
    fn a_snapshot_left_unfinished_by_a_full_disk_does_not_brick_the_store() {
        // given a store holding an event, and the empty snapshot sled leaves when its disk fills up while it opens
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let head = {
            let store = SledStore::open(&path).unwrap();
            let event = events::NewEvent::new(
                StreamId::parse("r").unwrap(),
                events::PartialDate::parse("2015").unwrap(),
                events::Source { document: "D".into(), locator: "L".into(), quote: None },
                events::Body::ContextNoted(events::Noted { summary: "kept".into(), recommendations: vec![] }),
            );
            let mut items = std::iter::once(Some(Pending::New(event)));
            store.write(&mut items, None, "t").unwrap().head
        };
        std::fs::write(path.join("snap.FFFFFFFFFFFFFFF0.generating"), b"").unwrap();
        // when it is opened again, then it opens with its event, and the leftover is gone
        let store = loop {
            match SledStore::open(&path) {
                Err(OpenError::InUse { .. }) => std::thread::sleep(std::time::Duration::from_millis(20)),
                other => break other.expect("the store opens once the disk has room"),
            }
        };
        assert_eq!(store.head(), head);
        assert_eq!(store.event(1).unwrap().map(|e| e.body.summary().to_owned()).as_deref(), Some("kept"));
        assert!(!path.join("snap.FFFFFFFFFFFFFFF0.generating").exists());
    }

    #[test]
    fn a_full_disk_is_named_as_such() {
        let e = BackendError::from(sled::Error::Io(std::io::Error::from_raw_os_error(28)));
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(e.to_string().starts_with("the disk is full"), "{e}");
    }

    #[test]
    fn sled_failures_are_classified() {
        let full = sled::Error::Io(std::io::Error::from_raw_os_error(28));
        assert_eq!(BackendError::from(full).kind(), ErrorKind::Unavailable);
        let broken = sled::Error::Corruption { at: None, bt: () };
        assert_eq!(BackendError::from(broken).kind(), ErrorKind::Integrity);
        assert_eq!(BackendError::from(sled::Error::Unsupported("x".into())).kind(), ErrorKind::Internal);
    }
}
