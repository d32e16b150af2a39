//! [`PgStore`]: the event store in a PostgreSQL database, for offices that outgrow one machine: several server
//! processes on one database, with the database's own backups and replicas.
//!
//! The only module that knows PostgreSQL: its schema and migrations, the transaction of a commit, the pool of
//! connections, the `LISTEN`/`NOTIFY` wake-up of live subscriptions, and the tables of who may use a server.
//!
//! Every commit goes through the commit planner ([`super::planner`]) inside one transaction that first takes the
//! head row `FOR UPDATE`: that row is the serialisation point of every writer of the database, whatever its
//! process, so positions are assigned from the head in commit order and a rolled-back write leaves no gap (no
//! sequence is used). The transaction waits for the local flush (`synchronous_commit` raised from `off`, other
//! settings kept) and a write is acknowledged only once
//! `COMMIT` has returned, so an acknowledged event is in the database's durable log. Small writes waiting at the
//! same moment in one process are planned in turn and committed in one transaction (group commit), as the sled
//! store combines them under one fsync.
//!
//! The events table holds each event's stored line byte for byte (`bytea`: the hash chain is over those bytes),
//! beside the columns its indexes need. The store API is blocking; the module runs the asynchronous
//! tokio-postgres client on a runtime of its own and waits for each answer, so it may be called from any thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use events::{EventId, Hash, RecordedEvent, StreamId, Timestamp};
use tokio::sync::broadcast;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Config, NoTls, Row};

use super::planner::{self, Commit, Decision, GroupWrite, LogView, Pending, Planned, Sealed, Stage};
use super::{
    ahead, AppendError, BackendError, Clock, ErrorKind, EventIter, EventStore, ExpectedVersion, Head, LineIter,
    OpenError, ReadError, Refusals, StreamVersions, Subscription, Written,
};
use crate::chain::{self, ChainReport};

/// The schema version this release creates and reads, kept in the table `followup_schema`.
pub const SCHEMA_VERSION: i32 = 1;

/// The most connections one process holds open in its pool.
const POOL_SIZE: usize = 16;

/// How many events a replay reads per query, and a write looks up per query.
const PAGE: i64 = 4096;

/// How many items a write looks up at once before the planner judges them.
const LOOKUP_ITEMS: usize = 1024;

/// The most items a write may have to be combined with others (a larger one writes alone).
const COMBINE_ITEMS: usize = 256;

/// How many committed events a slow subscriber may fall behind before it re-reads them from the store.
const BROADCAST_CAPACITY: usize = 4096;

/// The key of the advisory lock held while the schema is checked or migrated.
const MIGRATION_LOCK: i64 = 0x666f_6c6c_6f77_7570;

/// The schema of version 1, created in the connection's current schema.
const SCHEMA_1: &str = r"
CREATE TABLE events (
    position    bigint PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    stream      text NOT NULL,
    version     bigint NOT NULL,
    report      text NOT NULL,
    type        text NOT NULL,
    recorded_at timestamptz NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    line        bytea NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX events_by_report ON events (report, position);
CREATE TABLE streams (stream text PRIMARY KEY, version bigint NOT NULL);
CREATE TABLE head (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    position    bigint NOT NULL,
    hash        bytea NOT NULL,
    recorded_at text
);
INSERT INTO head (position, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE users (name text PRIMARY KEY, role text NOT NULL, password text NOT NULL, added text NOT NULL);
CREATE TABLE tokens (
    id text PRIMARY KEY, username text NOT NULL, sha256 text NOT NULL UNIQUE, created text NOT NULL, expires text NOT NULL
);
CREATE TABLE sessions (
    digest text PRIMARY KEY, username text NOT NULL, csrf text NOT NULL, credential text NOT NULL,
    seen timestamptz NOT NULL
);
CREATE TABLE access_changes (one boolean PRIMARY KEY DEFAULT true CHECK (one), changes bigint NOT NULL);
INSERT INTO access_changes (changes) VALUES (0);
";

const COPY_EVENTS: &str = "COPY events (position, id, stream, version, report, type, recorded_at, prev_hash, hash, \
     line) FROM STDIN (FORMAT binary)";
const UPSERT_STREAMS: &str = "INSERT INTO streams (stream, version) SELECT * FROM unnest($1::text[], $2::bigint[]) \
     ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version";
const SET_HEAD: &str = "WITH h AS (UPDATE head SET position = $1, hash = $2, recorded_at = $3 RETURNING position) \
     SELECT pg_notify($4, position::text) FROM h";
const HEAD: &str = "SELECT position, hash, recorded_at FROM head";
const LOCK_HEAD: &str = "SELECT position, hash, recorded_at FROM head FOR UPDATE";
const BY_ID: &str = "SELECT position, line FROM events WHERE id = $1::text::uuid";
const BY_IDS: &str = "SELECT id::text, position, line FROM events WHERE id = ANY($1::text[]::uuid[])";
const AT: &str = "SELECT line FROM events WHERE position = $1";
const VERSION: &str = "SELECT version FROM streams WHERE stream = $1";
const VERSIONS: &str = "SELECT stream, version FROM streams WHERE stream = ANY($1::text[])";
// Pages are exact ranges of positions (positions have no gaps), never a LIMIT: a range the planner can estimate
// takes the primary key even when a bulk import left the table's statistics stale.
const PAGE_LINES: &str = "SELECT position, line FROM events WHERE position >= $1 AND position <= $2 ORDER BY position";
const PAGE_CHECKED: &str = "SELECT position, id::text, stream, version, line, report FROM events WHERE position >= $1 \
     AND position <= $2 ORDER BY position";

/// The event store in a PostgreSQL database. Cheap to clone: clones share the pool. Any number of processes may
/// open the same database.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The runtime the client's connections run on; shut down in the background when the store is dropped, so a
    /// store may be dropped anywhere.
    rt: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    config: Config,
    /// What messages call the database: its name and host, never its password.
    place: String,
    /// The channel commits notify, named after the schema.
    channel: String,
    tx: broadcast::Sender<Arc<RecordedEvent>>,
    clock: Clock,
    /// The head last read, for [`EventStore::head`] when the database cannot be reached.
    head: Mutex<Head>,
    /// Small writes waiting to be combined, and whether a writer is leading a group.
    queue: Mutex<Queue>,
    turn: Condvar,
    /// Whether the listener of notifications runs.
    listening: Mutex<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Arc<Request>>,
    leading: bool,
}

struct Request {
    write: Mutex<Option<GroupWrite>>,
    outcome: Mutex<Option<Planned>>,
}

/// Parameters of a query, owned so that the query can run on the store's runtime.
type Params = Vec<Box<dyn ToSql + Send + Sync>>;

/// A failure of PostgreSQL, classified: what may pass (a lost connection, a full disk, a server shutting down,
/// too many connections) is [`ErrorKind::Unavailable`].
fn pg(e: tokio_postgres::Error) -> BackendError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        if code == "53100" {
            return BackendError::new(
                ErrorKind::Unavailable,
                "the database's disk is full: free some space there and try again; no acknowledged event is lost",
            );
        }
        let kind = match &code[..2] {
            "08" | "53" | "57" | "40" | "58" => ErrorKind::Unavailable,
            "XX" => ErrorKind::Integrity,
            _ => ErrorKind::Internal,
        };
        return BackendError::new(kind, format!("PostgreSQL: {} ({code})", db.message()));
    }
    let detail = std::error::Error::source(&e).map(|s| format!(": {s}")).unwrap_or_default();
    BackendError::new(ErrorKind::Unavailable, format!("PostgreSQL: {e}{detail}"))
}

fn pool_error(e: deadpool_postgres::PoolError, place: &str) -> BackendError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => {
            let e = pg(e);
            BackendError::new(e.kind(), format!("could not connect to {place}: {e}"))
        }
        other => BackendError::new(ErrorKind::Unavailable, format!("could not connect to {place}: {other}")),
    }
}

async fn query(c: &Object, sql: &str, params: &Params) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
    c.query(&statement, &refs).await
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn damaged(what: String) -> BackendError {
    BackendError::new(ErrorKind::Integrity, what)
}

/// The head from a row of (position, hash, recorded_at).
fn head_of(row: &Row) -> Result<Head, BackendError> {
    let position = to_u64(row.try_get::<_, i64>(0).map_err(pg)?);
    let hash: Vec<u8> = row.try_get(1).map_err(pg)?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| damaged("the head row's hash is not 32 bytes".into()))?;
    let recorded_at: Option<String> = row.try_get(2).map_err(pg)?;
    let recorded_at = match recorded_at {
        Some(t) => Some(Timestamp::from_str(&t).map_err(|e| damaged(format!("the head row's recorded_at: {e}")))?),
        None => None,
    };
    Ok(Head { position, hash: Hash(hash), recorded_at })
}

fn decode_at(position: u64, line: &[u8]) -> Result<RecordedEvent, ReadError> {
    RecordedEvent::decode(line).map_err(|e| ReadError::Corrupt { position, error: e.to_string() })
}

/// A name of the connection's target that never holds a password: `PostgreSQL database NAME on HOST`.
fn describe(config: &Config) -> String {
    let db = config.get_dbname().or(config.get_user()).unwrap_or("postgres");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    format!("PostgreSQL database {db} on {host}")
}

/// Whether `text` names a PostgreSQL database rather than a directory: a `postgres://` or `postgresql://` URL, or
/// libpq's `key=value` form whose first key is one of its connection keywords (`host=/run/postgresql dbname=x`).
pub fn is_database_url(text: &str) -> bool {
    const KEYS: &[&str] = &[
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "options",
        "application_name",
        "sslmode",
        "connect_timeout",
        "target_session_attrs",
        "channel_binding",
        "keepalives",
        "keepalives_idle",
    ];
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return true;
    }
    let first = text.split_whitespace().next().unwrap_or("");
    first.split_once('=').is_some_and(|(key, _)| KEYS.contains(&key))
}

/// What messages call the database a connection string names, never showing its password:
/// `PostgreSQL database NAME on HOST` (or `a database connection string` when it does not parse).
pub fn database_place(url: &str) -> String {
    Config::from_str(url).map_or_else(|_| "a database connection string".into(), |c| describe(&c))
}

impl PgStore {
    /// Opens the store in the database `url` names (a `postgres://` URL or a key=value connection string),
    /// creating its tables in the connection's current schema if `create` and they are absent, and migrating an
    /// older schema. Transaction time comes from the system clock (UTC).
    ///
    /// # Errors
    /// [`OpenError::Missing`] when the database holds no store and `create` is false; [`OpenError::Format`] for a
    /// schema newer than [`SCHEMA_VERSION`]; [`OpenError::Storage`] for a connection string that does not parse
    /// or a database that cannot be reached.
    pub fn open(url: &str, create: bool) -> Result<PgStore, OpenError> {
        PgStore::open_with_clock(url, create, Arc::new(Timestamp::now))
    }

    /// As [`PgStore::open`], with a given source of transaction time.
    ///
    /// # Errors
    /// As [`PgStore::open`].
    pub fn open_with_clock(url: &str, create: bool, clock: Clock) -> Result<PgStore, OpenError> {
        let mut config = Config::from_str(url).map_err(|e| OpenError::Storage {
            path: "the database URL".into(),
            source: BackendError::new(ErrorKind::Invalid, format!("it is not a PostgreSQL connection string: {e}")),
        })?;
        if config.get_application_name().is_none() {
            config.application_name("followup");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let place = describe(&config);
        let failed = |source: BackendError| OpenError::Storage { path: place.clone(), source };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("followup-postgres")
            .enable_all()
            .build()
            .map_err(|e| failed(BackendError::from(e)))?;
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| failed(BackendError::new(ErrorKind::Internal, e.to_string())))?;
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let handle = rt.handle().clone();
        let inner = Inner {
            rt: Some(rt),
            handle,
            pool,
            config,
            place: place.clone(),
            channel: String::new(),
            tx,
            clock,
            head: Mutex::new(Head::EMPTY),
            queue: Mutex::new(Queue::default()),
            turn: Condvar::new(),
            listening: Mutex::new(false),
        };
        let schema = inner.migrate(create).map_err(|e| match e {
            Migrated::Open(e) => e,
            Migrated::Failed(source) => OpenError::Storage { path: place.clone(), source },
        })?;
        let mut inner = inner;
        inner.channel = channel_name(&schema);
        let store = PgStore { inner: Arc::new(inner) };
        let head = store.inner.read_head().map_err(failed)?;
        *store.inner.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
        Ok(store)
    }

    /// What messages call the database: `PostgreSQL database NAME on HOST`.
    pub fn place(&self) -> &str {
        &self.inner.place
    }
}

/// The notification channel of a schema's store: `followup_` and the schema's name (its SHA-256 prefix when too
/// long for an identifier).
fn channel_name(schema: &str) -> String {
    let name = format!("followup_{schema}");
    if name.len() <= 63 {
        name
    } else {
        format!("followup_{}", &crate::access::sha256_hex(schema)[..32])
    }
}

enum Migrated {
    Open(OpenError),
    Failed(BackendError),
}

impl From<BackendError> for Migrated {
    fn from(e: BackendError) -> Migrated {
        Migrated::Failed(e)
    }
}

impl Inner {
    /// Runs `f` on the store's runtime and waits for it: callable from any thread, async or not.
    fn run<T: Send + 'static>(
        &self,
        f: impl Future<Output = Result<T, BackendError>> + Send + 'static,
    ) -> Result<T, BackendError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(f.await);
        });
        rx.recv().unwrap_or_else(|_| Err(BackendError::new(ErrorKind::Unavailable, "the store was closed")))
    }

    /// A connection of the pool.
    fn connect(&self) -> Result<Arc<Object>, BackendError> {
        let (pool, place) = (self.pool.clone(), self.place.clone());
        self.run(async move { pool.get().await.map(Arc::new).map_err(|e| pool_error(e, &place)) })
    }

    /// Runs one query on a connection of the pool.
    fn query(&self, sql: &'static str, params: Params) -> Result<Vec<Row>, BackendError> {
        let (pool, place) = (self.pool.clone(), self.place.clone());
        self.run(async move {
            let c = pool.get().await.map_err(|e| pool_error(e, &place))?;
            query(&c, sql, &params).await.map_err(pg)
        })
    }

    fn read_head(&self) -> Result<Head, BackendError> {
        let rows = self.query(HEAD, Vec::new())?;
        let row = rows.first().ok_or_else(|| damaged("the head row is missing".into()))?;
        head_of(row)
    }

    /// Checks the schema and creates or migrates it, under an advisory lock; returns the current schema's name.
    fn migrate(&self, create: bool) -> Result<String, Migrated> {
        let c = self.connect()?;
        let place = self.place.clone();
        let outcome: Result<Result<String, OpenError>, BackendError> = self.run(async move {
            c.batch_execute("BEGIN").await.map_err(pg)?;
            let result: Result<Result<String, OpenError>, BackendError> = async {
                c.query("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(pg)?;
                let row = c.query_one("SELECT current_schema()", &[]).await.map_err(pg)?;
                let Some(schema) = row.try_get::<_, Option<String>>(0).map_err(pg)? else {
                    return Ok(Err(OpenError::Storage {
                        path: place.clone(),
                        source: BackendError::new(
                            ErrorKind::Invalid,
                            "the connection's search_path names no existing schema: create it first",
                        ),
                    }));
                };
                let row = c.query_one("SELECT to_regclass('followup_schema') IS NOT NULL", &[]).await.map_err(pg)?;
                let exists: bool = row.try_get(0).map_err(pg)?;
                if !exists {
                    if !create {
                        return Ok(Err(OpenError::Missing { path: place.clone() }));
                    }
                    c.batch_execute(SCHEMA_1).await.map_err(pg)?;
                    c.batch_execute(&format!(
                        "CREATE TABLE followup_schema (version integer NOT NULL); \
                         INSERT INTO followup_schema VALUES ({SCHEMA_VERSION})"
                    ))
                    .await
                    .map_err(pg)?;
                    return Ok(Ok(schema));
                }
                let row = c.query_one("SELECT max(version) FROM followup_schema", &[]).await.map_err(pg)?;
                let found: Option<i32> = row.try_get(0).map_err(pg)?;
                let found = found.unwrap_or(0);
                if found != SCHEMA_VERSION {
                    return Ok(Err(OpenError::Format {
                        path: place.clone(),
                        found: u32::try_from(found).unwrap_or(0),
                        supported: SCHEMA_VERSION as u32,
                    }));
                }
                Ok(Ok(schema))
            }
            .await;
            let end = if matches!(result, Ok(Ok(_))) { "COMMIT" } else { "ROLLBACK" };
            let ended = c.batch_execute(end).await.map_err(pg);
            let result = result?;
            ended?;
            Ok(result)
        });
        match outcome {
            Ok(Ok(schema)) => Ok(schema),
            Ok(Err(e)) => Err(Migrated::Open(e)),
            Err(e) => Err(Migrated::Failed(e)),
        }
    }
}

/// What a write knows of the log beyond its own events: ids and stream versions looked up in batches, and the
/// lines of the ids found, so that the planner asks the database once per batch, not once per event.
#[derive(Default)]
struct Known {
    ids: HashMap<EventId, Option<u64>>,
    lines: HashMap<u64, Vec<u8>>,
    versions: HashMap<StreamId, Option<u64>>,
}

/// How a write looks up committed ids, lines and stream versions in batches, into its [`Known`].
struct Lookups<'a> {
    store: &'a Inner,
    conn: Arc<Object>,
    known: Rc<RefCell<Known>>,
    /// Whether nothing was committed when the write began: then there is nothing to look up.
    empty: bool,
}

impl Lookups<'_> {
    fn query(&self, sql: &'static str, params: Params) -> Result<Vec<Row>, BackendError> {
        let c = Arc::clone(&self.conn);
        self.store.run(async move { query(&c, sql, &params).await.map_err(pg) })
    }

    /// Looks up at once every id and stream `items` name that is not known yet.
    fn look_up(&self, items: &[Option<Pending>]) -> Result<(), BackendError> {
        let mut ids = Vec::new();
        let mut streams = Vec::new();
        {
            let known = self.known.borrow();
            for item in items.iter().flatten() {
                let (id, stream, references) = match item {
                    Pending::New(e) => (e.id, &e.stream, e.body.references()),
                    Pending::Restored(e, _) => (e.id, &e.stream, e.body.references()),
                };
                for id in std::iter::once(id).chain(references) {
                    if !known.ids.contains_key(&id) {
                        ids.push(id);
                    }
                }
                if !known.versions.contains_key(stream) {
                    streams.push(stream.clone());
                }
            }
        }
        ids.sort();
        ids.dedup();
        streams.sort();
        streams.dedup();
        let mut known = self.known.borrow_mut();
        known.lines.clear();
        if self.empty {
            known.ids.extend(ids.into_iter().map(|id| (id, None)));
            known.versions.extend(streams.into_iter().map(|s| (s, None)));
            return Ok(());
        }
        if !ids.is_empty() {
            let texts: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
            let rows = self.query(BY_IDS, vec![Box::new(texts)])?;
            for id in &ids {
                known.ids.insert(*id, None);
            }
            for row in rows {
                let id: String = row.try_get(0).map_err(pg)?;
                let id = EventId::parse(&id).map_err(|e| damaged(format!("an id in the events table: {e}")))?;
                let position = to_u64(row.try_get(1).map_err(pg)?);
                known.ids.insert(id, Some(position));
                known.lines.insert(position, row.try_get(2).map_err(pg)?);
            }
        }
        if !streams.is_empty() {
            let texts: Vec<String> = streams.iter().map(|s| s.as_str().to_owned()).collect();
            let rows = self.query(VERSIONS, vec![Box::new(texts)])?;
            for s in &streams {
                known.versions.insert(s.clone(), None);
            }
            for row in rows {
                let stream: String = row.try_get(0).map_err(pg)?;
                let stream = StreamId::parse(&stream).map_err(|e| damaged(format!("a stream of the table: {e}")))?;
                known.versions.insert(stream, Some(to_u64(row.try_get(1).map_err(pg)?)));
            }
        }
        Ok(())
    }
}

/// One write's transaction, holding the head row: the planner's view of the log, staged events included.
struct Txn<'a> {
    store: &'a Inner,
    conn: Arc<Object>,
    known: Rc<RefCell<Known>>,
    /// The insert of the last staged chunk, under way while the planner seals the next one.
    pending: RefCell<Option<tokio::task::JoinHandle<Result<(), BackendError>>>>,
    /// Whether nothing was committed when the write began: then nothing committed is there to look up.
    empty: bool,
    open: bool,
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        let pending = self.pending.borrow_mut().take();
        if self.open {
            // Rolled back on the store's runtime, once an insert under way ended; the connection returns to the
            // pool after.
            let conn = Arc::clone(&self.conn);
            self.store.handle.spawn(async move {
                if let Some(insert) = pending {
                    let _ = insert.await;
                }
                let _ = conn.batch_execute("ROLLBACK").await;
            });
        }
    }
}

/// Begins a write transaction whose COMMIT returns only once the commit is flushed to the server's disk: an
/// `off` setting of `synchronous_commit` is raised to `on` for it; `local`, `remote_write`, `on` and
/// `remote_apply` already wait for that flush (the last three also for standbys) and are kept, so a database set
/// to wait for its replicas still does.
const BEGIN_DURABLE: &str = "BEGIN; SELECT set_config('synchronous_commit', 'on', true) \
                             WHERE current_setting('synchronous_commit') = 'off'";

impl<'a> Txn<'a> {
    /// Begins a write: a transaction with `synchronous_commit` on that holds the head row; returns the head.
    fn begin(store: &'a Inner) -> Result<(Txn<'a>, Head), BackendError> {
        let conn = store.connect()?;
        let c = Arc::clone(&conn);
        let row = store.run(async move {
            c.batch_execute(BEGIN_DURABLE).await.map_err(pg)?;
            let rows = query(&c, LOCK_HEAD, &Vec::new()).await.map_err(pg)?;
            rows.into_iter().next().ok_or_else(|| damaged("the head row is missing".into()))
        });
        // Made before the head is read, so that a failure rolls the transaction back.
        let mut txn = Txn {
            store,
            conn,
            known: Rc::new(RefCell::new(Known::default())),
            pending: RefCell::new(None),
            empty: false,
            open: true,
        };
        let head = head_of(&row?)?;
        txn.empty = head.position == 0;
        Ok((txn, head))
    }

    fn query(&self, sql: &'static str, params: Params) -> Result<Vec<Row>, BackendError> {
        self.settle()?;
        let c = Arc::clone(&self.conn);
        self.store.run(async move { query(&c, sql, &params).await.map_err(pg) })
    }

    /// Waits for the insert under way, if any: what follows on the transaction's connection sees its rows.
    fn settle(&self) -> Result<(), BackendError> {
        let Some(insert) = self.pending.borrow_mut().take() else { return Ok(()) };
        self.store.run(async move {
            insert.await.map_err(|e| BackendError::new(ErrorKind::Internal, format!("an insert failed: {e}")))?
        })
    }

    /// The lookups of this write's committed rows on `conn`: the transaction's own connection when nothing is
    /// staged meanwhile, or another one, which may run while a staged chunk is being inserted (the head row is
    /// held, so what is committed cannot change).
    fn lookups(&self, conn: Arc<Object>) -> Lookups<'a> {
        Lookups { store: self.store, conn, known: Rc::clone(&self.known), empty: self.empty }
    }

    /// Inserts sealed events.
    fn insert(&self, events: &[Sealed]) -> Result<(), BackendError> {
        self.insert_behind(events)?;
        self.settle()
    }

    /// Starts inserting sealed events on the transaction's connection and returns at once; the next query there
    /// waits for it ([`Txn::settle`]).
    fn insert_behind(&self, events: &[Sealed]) -> Result<(), BackendError> {
        self.settle()?;
        if events.is_empty() {
            return Ok(());
        }
        let rows: Vec<CopyRow> = events
            .iter()
            .map(|Sealed { record: e, line }| CopyRow {
                position: to_i64(e.position),
                id: e.id.uuid(),
                stream: e.stream.as_str().to_owned(),
                version: to_i64(e.version),
                report: e.stream.report().to_owned(),
                kind: e.body.event_type().to_string(),
                recorded_at: PgInstant::of(e.recorded_at),
                prev_hash: e.prev_hash.0.to_vec(),
                hash: e.hash.0.to_vec(),
                line: line.clone(),
            })
            .collect();
        let c = Arc::clone(&self.conn);
        let insert = self.store.handle.spawn(async move { copy_in(&c, rows).await.map_err(pg) });
        *self.pending.borrow_mut() = Some(insert);
        Ok(())
    }

    /// Applies the planner's commit and commits the transaction: acknowledged once `COMMIT` returns.
    fn commit(mut self, commit: &Commit) -> Result<(), BackendError> {
        self.insert(&commit.events)?;
        let (streams, versions): (Vec<String>, Vec<i64>) =
            commit.versions.iter().map(|(s, v)| (s.as_str().to_owned(), to_i64(*v))).unzip();
        self.query(UPSERT_STREAMS, vec![Box::new(streams), Box::new(versions)])?;
        let head = commit.head;
        let at = head.recorded_at.map(|t| t.to_string());
        let channel = self.store.channel.clone();
        let position = to_i64(head.position);
        self.query(
            SET_HEAD,
            vec![Box::new(position), Box::new(head.hash.0.to_vec()), Box::new(at), Box::new(channel)],
        )?;
        let c = Arc::clone(&self.conn);
        self.open = false;
        let committed = self.store.run(async move { c.batch_execute("COMMIT").await.map_err(pg) });
        committed.map_err(|e| {
            BackendError::new(
                e.kind(),
                format!(
                    "{e}; the commit's outcome is unknown: send the same events again (a resend of a stored event \
                     is recognised and keeps its position)"
                ),
            )
        })?;
        *self.store.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
        Ok(())
    }
}

impl LogView for Txn<'_> {
    fn position_of(&self, id: &EventId) -> Result<Option<u64>, BackendError> {
        if let Some(p) = self.known.borrow().ids.get(id) {
            return Ok(*p);
        }
        let rows = self.query(BY_ID, vec![Box::new(id.to_string())])?;
        let mut known = self.known.borrow_mut();
        let found = match rows.first() {
            Some(row) => {
                let position = to_u64(row.try_get(0).map_err(pg)?);
                known.lines.insert(position, row.try_get(1).map_err(pg)?);
                Some(position)
            }
            None => None,
        };
        known.ids.insert(*id, found);
        Ok(found)
    }

    fn line_at(&self, position: u64) -> Result<Option<Vec<u8>>, BackendError> {
        if let Some(line) = self.known.borrow().lines.get(&position) {
            return Ok(Some(line.clone()));
        }
        let rows = self.query(AT, vec![Box::new(to_i64(position))])?;
        rows.first().map(|r| r.try_get(0).map_err(pg)).transpose()
    }

    fn version_of(&self, stream: &StreamId) -> Result<Option<u64>, BackendError> {
        if let Some(v) = self.known.borrow().versions.get(stream) {
            return Ok(*v);
        }
        let rows = self.query(VERSION, vec![Box::new(stream.as_str().to_owned())])?;
        let version = rows.first().map(|r| r.try_get::<_, i64>(0).map(to_u64).map_err(pg)).transpose()?;
        self.known.borrow_mut().versions.insert(stream.clone(), version);
        Ok(version)
    }
}

impl Stage for Txn<'_> {
    fn stage(&mut self, chunk: Vec<Sealed>) -> Result<(), BackendError> {
        // Inside the transaction: seen by this write alone, gone if it rolls back. The planner seals the next
        // chunk while this one is inserted.
        self.insert_behind(&chunk)?;
        let mut known = self.known.borrow_mut();
        for s in &chunk {
            known.ids.insert(s.record.id, Some(s.record.position));
        }
        Ok(())
    }

    fn discard(&mut self) {}
}

/// The items of a large write, looked up [`LOOKUP_ITEMS`] at a time before the planner takes them.
struct LookingUp<'a, 'i> {
    lookups: Lookups<'a>,
    items: &'i mut dyn Iterator<Item = Option<Pending>>,
    buffer: std::collections::VecDeque<Option<Pending>>,
}

impl Iterator for LookingUp<'_, '_> {
    type Item = Option<Pending>;

    fn next(&mut self) -> Option<Option<Pending>> {
        if self.buffer.is_empty() {
            self.buffer.extend((&mut *self.items).take(LOOKUP_ITEMS));
            let items: Vec<Option<Pending>> = self.buffer.iter().cloned().collect();
            // A failed lookup is no refusal: the planner then asks for each id itself, and meets the failure.
            let _ = self.lookups.look_up(&items);
        }
        self.buffer.pop_front()
    }
}

impl PgStore {
    /// A write of more items than are combined: one transaction of its own, its chunks inserted as they are
    /// sealed.
    fn write_alone(
        &self,
        items: &mut dyn Iterator<Item = Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals> {
        let inner = &*self.inner;
        let (mut txn, start) = Txn::begin(inner).map_err(|e| vec![(0, e.into())])?;
        let lookups = txn.lookups(inner.connect().map_err(|e| vec![(0, e.into())])?);
        let mut looking = LookingUp { lookups, items, buffer: Default::default() };
        let decision = planner::plan(&mut txn, start, (inner.clock)(), &mut looking, expect, recorded_by)?;
        drop(looking);
        match decision {
            Decision::Nothing { positions, version, .. } => {
                Ok(Written { positions, appended: 0, version, head: start })
            }
            Decision::Commit { commit, positions, version } => {
                let last = positions.len().saturating_sub(1);
                txn.commit(&commit).map_err(|e| vec![(last, e.into())])?;
                let appended = (commit.head.position - start.position) as usize;
                if appended >= planner::CHUNK_EVENTS {
                    // The planner's statistics of a table that just grew by a chunk or more are stale: refresh
                    // them in the background (a failure only leaves them stale).
                    let pool = inner.pool.clone();
                    inner.handle.spawn(async move {
                        if let Ok(c) = pool.get().await {
                            let _ = c.batch_execute("ANALYZE events, streams").await;
                        }
                    });
                }
                Ok(Written { positions, appended, version, head: commit.head })
            }
        }
    }

    /// A small write, combined with the others of this process waiting at the same moment: whichever writer
    /// finds no group under way leads the next one, planning every waiting write in turn and committing them in
    /// one transaction.
    fn write_combined(
        &self,
        items: Vec<Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals> {
        let inner = &*self.inner;
        let request = Arc::new(Request {
            write: Mutex::new(Some(GroupWrite {
                items,
                expect: expect.map(|(s, e)| (s.clone(), e)),
                recorded_by: recorded_by.to_owned(),
            })),
            outcome: Mutex::new(None),
        });
        let mut queue = inner.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.waiting.push(Arc::clone(&request));
        loop {
            if let Some(outcome) = request.outcome.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return match outcome {
                    Planned::Written { positions, version, appended, head, .. } => {
                        Ok(Written { positions, appended, version, head })
                    }
                    Planned::Refused(refusals) => Err(refusals),
                };
            }
            if queue.leading {
                queue = inner.turn.wait(queue).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            queue.leading = true;
            let group = std::mem::take(&mut queue.waiting);
            drop(queue);
            self.lead(&group);
            queue = inner.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.leading = false;
            inner.turn.notify_all();
        }
    }

    /// Plans the writes of `group` in turn in one transaction and commits them together; sets each outcome.
    fn lead(&self, group: &[Arc<Request>]) {
        let inner = &*self.inner;
        let set = |r: &Request, o: Planned| *r.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(o);
        let writes: Vec<GroupWrite> =
            group.iter().filter_map(|r| r.write.lock().unwrap_or_else(|e| e.into_inner()).take()).collect();
        let (txn, start) = match Txn::begin(inner) {
            Ok(begun) => begun,
            Err(e) => {
                for r in group {
                    set(r, Planned::Refused(vec![(0, AppendError::Storage(e.clone()))]));
                }
                return;
            }
        };
        let all: Vec<Option<Pending>> = writes.iter().flat_map(|w| w.items.iter().cloned()).collect();
        // Nothing is staged in a group: its lookups share the transaction's connection.
        let _ = txn.lookups(Arc::clone(&txn.conn)).look_up(&all);
        let (commit, planned) = planner::plan_group(&txn, start, (inner.clock)(), writes);
        let failed = match &commit {
            Some(commit) => txn.commit(commit).err(),
            None => None,
        };
        for (r, outcome) in group.iter().zip(planned) {
            let outcome = match &failed {
                Some(e) => planner::refused_by(outcome, e),
                None => outcome,
            };
            set(r, outcome);
        }
    }

    /// The stored lines from `from` to `end`, a page at a time, with the columns `sql` selects.
    fn pages(
        &self,
        sql: &'static str,
        from: u64,
        end: u64,
    ) -> impl Iterator<Item = Result<Vec<Row>, ReadError>> + Send {
        let store = self.clone();
        let mut next = from.max(1);
        let mut done = false;
        std::iter::from_fn(move || {
            if done || next > end {
                return None;
            }
            let to = end.min(next + PAGE as u64 - 1);
            let params: Params = vec![Box::new(to_i64(next)), Box::new(to_i64(to))];
            let rows = match store.inner.query(sql, params) {
                Ok(rows) => rows,
                Err(e) => {
                    done = true;
                    return Some(Err(ReadError::Storage(e)));
                }
            };
            let Some(last) = rows.last() else {
                done = true;
                return Some(Err(ReadError::Corrupt {
                    position: next,
                    error: format!("the events table holds no event at {next}, though the head is at {end}"),
                }));
            };
            match last.try_get::<_, i64>(0) {
                Ok(p) => next = to_u64(p) + 1,
                Err(e) => {
                    done = true;
                    return Some(Err(ReadError::Storage(pg(e))));
                }
            }
            Some(Ok(rows))
        })
    }

    /// The (position, line) pairs of `from` up to the head as it is now, a page at a time.
    fn line_pages(&self, from: u64) -> impl Iterator<Item = Result<Vec<(u64, Vec<u8>)>, ReadError>> + Send {
        let end = self.head().position;
        self.pages(PAGE_LINES, from, end).map(|page| {
            page?
                .into_iter()
                .map(|row| Ok((to_u64(row.try_get(0).map_err(pg)?), row.try_get(1).map_err(pg)?)))
                .collect()
        })
    }

    fn events_of(&self, rows: Vec<Row>) -> Result<Vec<RecordedEvent>, ReadError> {
        rows.into_iter()
            .map(|row| {
                let position = to_u64(row.try_get(0).map_err(pg)?);
                let line: Vec<u8> = row.try_get(1).map_err(pg)?;
                decode_at(position, &line)
            })
            .collect()
    }

    /// Starts the listener of commit notifications, once, and waits until it listens.
    fn listen(&self) {
        let mut listening = self.inner.listening.lock().unwrap_or_else(|e| e.into_inner());
        if *listening {
            return;
        }
        *listening = true;
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let listener = Listener {
            config: self.inner.config.clone(),
            channel: self.inner.channel.clone(),
            pool: self.inner.pool.clone(),
            tx: self.inner.tx.clone(),
            last: Arc::new(AtomicU64::new(u64::MAX)),
        };
        self.inner.handle.spawn(listener.run(ready_tx));
        let _ = ready_rx.recv_timeout(Duration::from_secs(5));
    }
}

/// The task that turns the notifications of commits (from every process on the database) into the live events
/// of this process's subscriptions.
struct Listener {
    config: Config,
    channel: String,
    pool: Pool,
    tx: broadcast::Sender<Arc<RecordedEvent>>,
    /// The last position broadcast (`u64::MAX` before the first connection).
    last: Arc<AtomicU64>,
}

impl Listener {
    /// Listens for ever: after a lost connection it connects again and first broadcasts every event committed
    /// since the last one it broadcast, so a subscriber misses nothing and sees nothing twice.
    async fn run(self, ready: std::sync::mpsc::SyncSender<()>) {
        let mut ready = Some(ready);
        let mut pause = Duration::from_millis(50);
        loop {
            if self.listen_once(&mut ready).await.is_err() {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            } else {
                pause = Duration::from_millis(50);
            }
        }
    }

    async fn listen_once(&self, ready: &mut Option<std::sync::mpsc::SyncSender<()>>) -> Result<(), BackendError> {
        let (client, mut connection) = self.config.connect(NoTls).await.map_err(pg)?;
        let (notified, mut notifications) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let messages = tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        let _ = notified.send(n.payload().parse().unwrap_or(0));
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        let quoted = format!("\"{}\"", self.channel.replace('"', "\"\""));
        client.batch_execute(&format!("LISTEN {quoted}")).await.map_err(pg)?;
        let head = client.query_one("SELECT position FROM head", &[]).await.map_err(pg)?;
        let head = to_u64(head.try_get(0).map_err(pg)?);
        if self.last.load(Ordering::SeqCst) == u64::MAX {
            self.last.store(head, Ordering::SeqCst);
        }
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        self.broadcast_to(head).await?;
        while let Some(mut target) = notifications.recv().await {
            while let Ok(more) = notifications.try_recv() {
                target = target.max(more);
            }
            self.broadcast_to(target).await?;
        }
        messages.abort();
        Err(BackendError::new(ErrorKind::Unavailable, "the listening connection was lost"))
    }

    /// Broadcasts every event after the last one broadcast up to `target`, in position order.
    async fn broadcast_to(&self, target: u64) -> Result<(), BackendError> {
        while self.last.load(Ordering::SeqCst) < target {
            let last = self.last.load(Ordering::SeqCst);
            if self.tx.receiver_count() == 0 {
                // Nobody listens: a later subscriber reads these from the store.
                self.last.store(target, Ordering::SeqCst);
                return Ok(());
            }
            let c = self.pool.get().await.map_err(|e| pool_error(e, "the database"))?;
            let to = target.min(last + PAGE as u64);
            let params: Params = vec![Box::new(to_i64(last + 1)), Box::new(to_i64(to))];
            let rows = query(&c, PAGE_LINES, &params).await.map_err(pg)?;
            if rows.is_empty() {
                self.last.store(target, Ordering::SeqCst);
                return Ok(());
            }
            for row in rows {
                let position = to_u64(row.try_get(0).map_err(pg)?);
                let line: Vec<u8> = row.try_get(1).map_err(pg)?;
                // A damaged line is not broadcast: a subscriber reads it from the store and meets the damage.
                if let Ok(e) = decode_at(position, &line) {
                    let _ = self.tx.send(Arc::new(e));
                }
                self.last.store(position, Ordering::SeqCst);
            }
        }
        Ok(())
    }
}

impl EventStore for PgStore {
    fn write(
        &self,
        items: &mut dyn Iterator<Item = Option<Pending>>,
        expect: Option<(&StreamId, ExpectedVersion)>,
        recorded_by: &str,
    ) -> Result<Written, Refusals> {
        let mut first: Vec<Option<Pending>> = (&mut *items).take(COMBINE_ITEMS + 1).collect();
        if first.len() <= COMBINE_ITEMS {
            return self.write_combined(first, expect, recorded_by);
        }
        let mut rest = first.drain(..).chain(items);
        self.write_alone(&mut rest, expect, recorded_by)
    }

    fn head(&self) -> Head {
        match self.inner.read_head() {
            Ok(head) => {
                *self.inner.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
                head
            }
            Err(e) => {
                tracing::warn!(error = %e, "the head could not be read; the last one read stands");
                *self.inner.head.lock().unwrap_or_else(|e| e.into_inner())
            }
        }
    }

    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, ReadError> {
        let rows = self.inner.query(VERSION, vec![Box::new(stream.as_str().to_owned())])?;
        Ok(rows.first().map(|r| r.try_get::<_, i64>(0).map(to_u64).map_err(pg)).transpose()?)
    }

    fn read_stream(&self, stream: &StreamId, from: u64) -> Result<Option<Vec<RecordedEvent>>, ReadError> {
        let sql = "SELECT position, line FROM events WHERE stream = $1 AND version >= $2 ORDER BY version";
        let rows = self.inner.query(sql, vec![Box::new(stream.as_str().to_owned()), Box::new(to_i64(from.max(1)))])?;
        if rows.is_empty() && self.stream_version(stream)?.is_none() {
            return Ok(None);
        }
        Ok(Some(self.events_of(rows)?))
    }

    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        if position == 0 {
            return Ok(None);
        }
        let rows = self.inner.query(AT, vec![Box::new(to_i64(position))])?;
        match rows.first() {
            Some(row) => Ok(Some(decode_at(position, &row.try_get::<_, Vec<u8>>(0).map_err(pg)?)?)),
            None => Ok(None),
        }
    }

    fn position_of(&self, id: &EventId) -> Result<Option<u64>, ReadError> {
        let rows = self.inner.query(BY_ID, vec![Box::new(id.to_string())])?;
        Ok(rows.first().map(|r| r.try_get::<_, i64>(0).map(to_u64).map_err(pg)).transpose()?)
    }

    fn stream_first(&self, stream: &StreamId) -> Result<Option<RecordedEvent>, ReadError> {
        let sql = "SELECT position, line FROM events WHERE stream = $1 AND version = 1";
        let rows = self.inner.query(sql, vec![Box::new(stream.as_str().to_owned())])?;
        Ok(self.events_of(rows)?.into_iter().next())
    }

    fn read_range(&self, from: u64, limit: usize) -> Result<Vec<RecordedEvent>, ReadError> {
        let end = self.head().position;
        let from = from.max(1);
        if limit == 0 || from > end {
            return Ok(Vec::new());
        }
        let to = end.min(from.saturating_add(limit as u64 - 1));
        let rows = self.inner.query(PAGE_LINES, vec![Box::new(to_i64(from)), Box::new(to_i64(to))])?;
        self.events_of(rows)
    }

    fn events(&self, from: u64) -> EventIter<'_> {
        let pages = self.line_pages(from);
        Box::new(ahead::map_batches(pages, |page| page.into_iter().map(|(p, line)| decode_at(p, &line)).collect()))
    }

    fn lines(&self, from: u64) -> LineIter<'_> {
        let mut failed = false;
        Box::new(
            self.line_pages(from)
                .map_while(move |page| {
                    if failed {
                        return None;
                    }
                    failed = page.is_err();
                    Some(match page {
                        Ok(lines) => lines.into_iter().map(Ok).collect::<Vec<_>>(),
                        Err(e) => vec![Err(e)],
                    })
                })
                .flatten(),
        )
    }

    fn report_events(&self, report: &StreamId) -> Result<Vec<RecordedEvent>, ReadError> {
        let sql = "SELECT position, line FROM events WHERE report = $1 ORDER BY position";
        let rows = self.inner.query(sql, vec![Box::new(report.report().to_owned())])?;
        self.events_of(rows)
    }

    fn check_integrity(&self, each: &mut dyn FnMut(&RecordedEvent)) -> Result<ChainReport, ReadError> {
        let head = self.head();
        // Each row's columns must say what its line says: they are the indexes of this backend.
        let pages = self.pages(PAGE_CHECKED, 1, head.position);
        let items = ahead::map_batches(pages, |rows: Vec<Row>| {
            rows.into_iter()
                .map(|row| {
                    let position = to_u64(row.try_get(0).map_err(pg)?);
                    let id: String = row.try_get(1).map_err(pg)?;
                    let stream: String = row.try_get(2).map_err(pg)?;
                    let version = to_u64(row.try_get(3).map_err(pg)?);
                    let line: Vec<u8> = row.try_get(4).map_err(pg)?;
                    let report: String = row.try_get(5).map_err(pg)?;
                    let decoded = chain::decode_stored(&line);
                    let index = decoded.as_ref().ok().and_then(|e| {
                        if e.id.to_string() != id {
                            Some(format!("the row at position {position} holds id {id}, its line {}", e.id))
                        } else if e.stream.report() != report {
                            Some(format!(
                                "the row at position {position} says report {report}, its line {}",
                                e.stream.report()
                            ))
                        } else if e.stream.as_str() != stream || e.version != version {
                            Some(format!(
                                "the row at position {position} says {stream} version {version}, its line {} version {}",
                                e.stream, e.version
                            ))
                        } else {
                            None
                        }
                    });
                    Ok((Some(position), decoded, index))
                })
                .collect()
        });
        let tail = |versions: &StreamVersions| -> Result<Option<(u64, String)>, ReadError> {
            let rows = self.inner.query("SELECT stream, version FROM streams", Vec::new())?;
            let mut recorded = 0usize;
            for row in rows {
                let stream: String = row.try_get(0).map_err(pg)?;
                let version = to_u64(row.try_get(1).map_err(pg)?);
                recorded += 1;
                let last = StreamId::parse(&stream).ok().and_then(|s| versions.get(&s).copied());
                if last != Some(version) {
                    return Ok(Some((
                        head.position + 1,
                        format!("the streams table has {stream} at version {version}, the log at {last:?}"),
                    )));
                }
            }
            if recorded != versions.len() {
                return Ok(Some((head.position + 1, "a stream of the log has no recorded version".into())));
            }
            Ok(None)
        };
        chain::check_store(items, head, tail, each)
    }

    fn subscribe(&self, from: u64) -> Subscription {
        let rx = self.inner.tx.subscribe();
        self.listen();
        Subscription::new(Arc::new(self.clone()), rx, from)
    }
}

/// One row of the events table, as `COPY` takes it.
struct CopyRow {
    position: i64,
    id: uuid::Uuid,
    stream: String,
    version: i64,
    report: String,
    kind: String,
    recorded_at: PgInstant,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    line: Vec<u8>,
}

/// A UTC instant as PostgreSQL's `timestamptz` takes it: microseconds since 2000-01-01T00:00:00Z.
#[derive(Debug)]
struct PgInstant(i64);

impl PgInstant {
    /// Microseconds between the Unix epoch and PostgreSQL's.
    const EPOCH: i64 = 946_684_800_000_000;

    fn of(t: Timestamp) -> PgInstant {
        PgInstant(t.as_microsecond() - PgInstant::EPOCH)
    }
}

impl ToSql for PgInstant {
    fn to_sql(
        &self,
        _: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        bytes::BufMut::put_i64(out, self.0);
        Ok(tokio_postgres::types::IsNull::No)
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        *ty == tokio_postgres::types::Type::TIMESTAMPTZ
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Writes `rows` into the events table with one binary `COPY`.
async fn copy_in(c: &Object, rows: Vec<CopyRow>) -> Result<(), tokio_postgres::Error> {
    use tokio_postgres::types::Type;
    let sink = c.copy_in(COPY_EVENTS).await?;
    let types = [
        Type::INT8,
        Type::UUID,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::BYTEA,
        Type::BYTEA,
        Type::BYTEA,
    ];
    let writer = tokio_postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    for r in &rows {
        writer
            .as_mut()
            .write(&[
                &r.position,
                &r.id,
                &r.stream,
                &r.version,
                &r.report,
                &r.kind,
                &r.recorded_at,
                &r.prev_hash,
                &r.hash,
                &r.line,
            ])
            .await?;
    }
    writer.finish().await?;
    Ok(())
}

/// A failure of the access tables, as [`crate::access`] reports it.
fn access_failure(place: &str, e: BackendError) -> crate::access::AccessError {
    crate::access::AccessError::Database { place: place.to_owned(), message: e.to_string() }
}

fn access_damaged(place: &str, reason: String) -> crate::access::AccessError {
    crate::access::AccessError::Damaged { path: place.to_owned(), reason }
}

/// The users and tokens in the tables `users` and `tokens`, as text.
fn access_of(
    place: &str,
    users: Vec<Row>,
    tokens: Vec<Row>,
) -> Result<crate::access::Access, crate::access::AccessError> {
    use crate::access::{Role, Token, User};
    let text = |row: &Row, i: usize| row.try_get::<_, String>(i).map_err(|e| access_failure(place, pg(e)));
    let instant = |t: String| Timestamp::from_str(&t).map_err(|e| access_damaged(place, format!("`{t}`: {e}")));
    let mut access = crate::access::Access::default();
    for row in &users {
        let role = Role::parse(&text(row, 1)?).map_err(|e| access_damaged(place, e))?;
        access.users.push(User { name: text(row, 0)?, role, password: text(row, 2)?, added: instant(text(row, 3)?)? });
    }
    for row in &tokens {
        access.tokens.push(Token {
            id: text(row, 0)?,
            user: text(row, 1)?,
            sha256: text(row, 2)?,
            created: instant(text(row, 3)?)?,
            expires: instant(text(row, 4)?)?,
        });
    }
    Ok(access)
}

const USERS: &str = "SELECT name, role, password, added FROM users ORDER BY name";

impl PgStore {
    /// A query of the sessions table, its failure as [`crate::access`] reports it.
    fn sessions(&self, sql: &'static str, params: Params) -> Result<Vec<Row>, crate::access::AccessError> {
        self.inner.query(sql, params).map_err(|e| access_failure(&self.inner.place, e))
    }
}
const TOKENS: &str = "SELECT id, username, sha256, created, expires FROM tokens ORDER BY created, id";

impl crate::access::AccessRecords for PgStore {
    fn changes(&self) -> Result<u64, crate::access::AccessError> {
        let place = &self.inner.place;
        let rows =
            self.inner.query("SELECT changes FROM access_changes", Vec::new()).map_err(|e| access_failure(place, e))?;
        let changes =
            rows.first().map(|r| r.try_get::<_, i64>(0)).transpose().map_err(|e| access_failure(place, pg(e)))?;
        Ok(changes.map_or(0, to_u64))
    }

    fn read(&self) -> Result<crate::access::Access, crate::access::AccessError> {
        let place = &self.inner.place;
        let users = self.inner.query(USERS, Vec::new()).map_err(|e| access_failure(place, e))?;
        let tokens = self.inner.query(TOKENS, Vec::new()).map_err(|e| access_failure(place, e))?;
        access_of(place, users, tokens)
    }

    fn replace(
        &self,
        change: &mut dyn FnMut(&mut crate::access::Access) -> Result<(), crate::access::AccessError>,
    ) -> Result<(), crate::access::AccessError> {
        let inner = &*self.inner;
        let place = inner.place.clone();
        let fail = |e: BackendError| access_failure(&place, e);
        let conn = inner.connect().map_err(fail)?;
        let c = Arc::clone(&conn);
        let read = inner.run(async move {
            c.batch_execute(&format!("{BEGIN_DURABLE}; SELECT changes FROM access_changes FOR UPDATE"))
                .await
                .map_err(pg)?;
            let users = query(&c, USERS, &Vec::new()).await.map_err(pg)?;
            let tokens = query(&c, TOKENS, &Vec::new()).await.map_err(pg)?;
            Ok((users, tokens))
        });
        let rollback = |conn: Arc<Object>| {
            inner.handle.spawn(async move {
                let _ = conn.batch_execute("ROLLBACK").await;
            });
        };
        let (users, tokens) = match read {
            Ok(rows) => rows,
            Err(e) => {
                rollback(conn);
                return Err(fail(e));
            }
        };
        let mut access = match access_of(&place, users, tokens) {
            Ok(a) => a,
            Err(e) => {
                rollback(conn);
                return Err(e);
            }
        };
        if let Err(e) = change(&mut access) {
            rollback(conn);
            return Err(e);
        }
        let c = Arc::clone(&conn);
        let written = inner.run(async move {
            c.batch_execute("DELETE FROM tokens; DELETE FROM users").await.map_err(pg)?;
            for u in &access.users {
                let params: Params = vec![
                    Box::new(u.name.clone()),
                    Box::new(u.role.name().to_owned()),
                    Box::new(u.password.clone()),
                    Box::new(u.added.to_string()),
                ];
                query(&c, "INSERT INTO users (name, role, password, added) VALUES ($1, $2, $3, $4)", &params)
                    .await
                    .map_err(pg)?;
            }
            for t in &access.tokens {
                let params: Params = vec![
                    Box::new(t.id.clone()),
                    Box::new(t.user.clone()),
                    Box::new(t.sha256.clone()),
                    Box::new(t.created.to_string()),
                    Box::new(t.expires.to_string()),
                ];
                let sql = "INSERT INTO tokens (id, username, sha256, created, expires) VALUES ($1, $2, $3, $4, $5)";
                query(&c, sql, &params).await.map_err(pg)?;
            }
            c.batch_execute("UPDATE access_changes SET changes = changes + 1; COMMIT").await.map_err(pg)
        });
        if let Err(e) = written {
            rollback(conn);
            return Err(fail(e));
        }
        Ok(())
    }

    fn start_session(
        &self,
        digest: &str,
        session: &crate::access::SessionRecord,
        ended: Option<&str>,
        idle: Duration,
    ) -> Result<(), crate::access::AccessError> {
        let idle = idle.as_secs_f64();
        let ended = ended.map(str::to_owned);
        self.sessions(
            "DELETE FROM sessions WHERE seen < now() - make_interval(secs => $1) OR digest = $2",
            vec![Box::new(idle), Box::new(ended)],
        )?;
        let sql = "INSERT INTO sessions (digest, username, csrf, credential, seen) VALUES ($1, $2, $3, $4, now())";
        let params: Params = vec![
            Box::new(digest.to_owned()),
            Box::new(session.user.clone()),
            Box::new(session.csrf.clone()),
            Box::new(session.credential.clone()),
        ];
        self.sessions(sql, params)?;
        Ok(())
    }

    fn use_session(
        &self,
        digest: &str,
        idle: Duration,
    ) -> Result<Option<crate::access::SessionRecord>, crate::access::AccessError> {
        let sql = "UPDATE sessions SET seen = now() WHERE digest = $1 AND seen >= now() - make_interval(secs => $2) \
                   RETURNING username, csrf, credential";
        let rows = self.sessions(sql, vec![Box::new(digest.to_owned()), Box::new(idle.as_secs_f64())])?;
        let place = &self.inner.place;
        let text = |row: &Row, i: usize| row.try_get::<_, String>(i).map_err(|e| access_failure(place, pg(e)));
        match rows.first() {
            Some(row) => Ok(Some(crate::access::SessionRecord {
                user: text(row, 0)?,
                csrf: text(row, 1)?,
                credential: text(row, 2)?,
            })),
            None => Ok(None),
        }
    }

    fn end_session(&self, digest: &str) -> Result<(), crate::access::AccessError> {
        self.sessions("DELETE FROM sessions WHERE digest = $1", vec![Box::new(digest.to_owned())])?;
        Ok(())
    }
}
