"""Peer benchmark: the Python `eventsourcing` library on SQLite or PostgreSQL.

Does the same work as followup's own benchmark so that BENCHMARKS.md can
print ratios:

  append          one aggregate change, one `app.save(agg)`, one database
                  transaction per event (the library's normal, durable path)
  append_batched  the same events, `app.save(*aggs)` with about --batch-size
                  events per call (one transaction per call), into a fresh db
                  (with --postgres: a fresh schema)
  replay          `app.repository.get(id)` for every aggregate, snapshots and
                  the aggregate cache off, so every stored event is replayed
  read_log        the whole application notification log (the global,
                  ordered log), paged --page-size at a time and decoded
                  into domain events

The SQLite settings are the library's own: it switches file databases to
WAL and leaves `synchronous` at SQLite's default; both are queried on the
library's own connection and reported.

With --postgres URL the library's own PostgreSQL module
(`eventsourcing.postgres`, psycopg 3) is used instead. Each run gets fresh
schemas (created before, dropped after), the library creates its tables in
them, and the server's durability settings (`synchronous_commit`, `fsync`)
are queried on the library's own connection: the run is refused unless
commits are flushed to disk.

Run through run.sh, which provides the pinned library in a virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from importlib.metadata import version as package_version
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

SYNCHRONOUS_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


# ---------------------------------------------------------------------------
# Domain


class Recommendation(Aggregate):
    """An audit recommendation whose follow-up is recorded over time.

    Every event carries a text of about 400 characters, a date and an amount
    in whole euros, so that a stored event is of the same order of size as
    one of followup's JSON lines (roughly 600-900 bytes).
    """

    @event("Issued")
    def __init__(self, number: int, text: str, occurred: str, amount_eur: int):
        self.number = number
        self.text = text
        self.occurred = occurred
        self.amount_total = amount_eur

    @event("ProgressRecorded")
    def record_progress(self, text: str, occurred: str, amount_eur: int) -> None:
        self.text = text
        self.occurred = occurred
        self.amount_total += amount_eur


class FollowUp(Application):
    # Lets the notification log hand out pages of up to this many events
    # (the library's default section size is 10).
    log_section_size = 1000


# ---------------------------------------------------------------------------
# Workload


WORDS = (
    "de het een van en in op te dat voor met is zijn niet aan bij ook door "
    "gemeente college raad rekenkamer aanbeveling opvolging onderzoek rapport "
    "uitvoering beleid maatregel sturing informatie verantwoording toezicht "
    "doelmatigheid doeltreffendheid nazorg gedetineerden schuldhulpverlening "
    "overzicht traject wijkteam zorgaanbieder inkoop contract monitoring "
    "begroting jaarverslag wethouder portefeuille afspraken verbetering "
    "voortgang realisatie knelpunten risico signalering evaluatie kwaliteit "
    "regie ketenpartners bewoners huisvesting inkomen schulden werk zorg "
    "vastgesteld uitgevoerd toegezegd gedeeltelijk afgerond lopend vertraagd"
).split()

TEXT_POOL_SIZE = 997  # prime, so texts do not repeat in step with aggregates


def make_texts(count: int, length: int = 400, seed: int = 2013) -> list[str]:
    """Deterministic Dutch-like sentences of about `length` characters."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words: list[str] = []
        size = 0
        while size < length:
            word = rng.choice(WORDS)
            words.append(word)
            size += len(word) + 1
        text = " ".join(words)[:length].rstrip()
        texts.append(text[0].upper() + text[1:] + ".")
    return texts


class Workload:
    """N events over A aggregates: A creations, then updates round-robin."""

    def __init__(self, events: int, aggregates: int):
        if aggregates < 1 or events < aggregates:
            raise SystemExit("need 1 <= --aggregates <= --events")
        self.events = events
        self.aggregates = aggregates
        self.texts = make_texts(TEXT_POOL_SIZE)

    def payload(self, k: int) -> tuple[str, str, int]:
        """Text, date and amount of the k-th event (cheap: no generation)."""
        text = self.texts[k % TEXT_POOL_SIZE]
        occurred = f"{2013 + k % 12:04d}-{1 + k % 12:02d}-{1 + k % 28:02d}"
        amount_eur = (k * 7919) % 250_000
        return text, occurred, amount_eur

    def target(self, k: int) -> int:
        """Index of the aggregate the k-th event belongs to."""
        return k if k < self.aggregates else (k - self.aggregates) % self.aggregates

    def expected_version(self, i: int) -> int:
        """Version of aggregate i once all events are stored."""
        updates = self.events - self.aggregates
        return 1 + updates // self.aggregates + (1 if i < updates % self.aggregates else 0)

    def apply(self, aggs: list[Recommendation], k: int) -> Recommendation:
        """Performs the k-th change in memory; returns the changed aggregate."""
        text, occurred, amount_eur = self.payload(k)
        if k < self.aggregates:
            agg = Recommendation(k + 1, text, occurred, amount_eur)
            aggs.append(agg)
            return agg
        agg = aggs[self.target(k)]
        agg.record_progress(text, occurred, amount_eur)
        return agg


# ---------------------------------------------------------------------------
# Helpers


def open_app(db: Path | dict[str, str]) -> FollowUp:
    """Opens the application on a SQLite file, or with the environment given."""
    if isinstance(db, dict):
        env = db
    else:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}
    app = FollowUp(env=env)
    # The phases below must measure the plain event store: no snapshots and no
    # aggregate cache (either could be switched on through the environment).
    if app.snapshots is not None or app.repository.cache is not None:
        raise SystemExit("unset IS_SNAPSHOTTING_ENABLED / AGGREGATE_CACHE_MAXSIZE")
    return app


def pragmas(app: FollowUp) -> tuple[str, str, str]:
    """journal_mode, synchronous and SQLite version, on the library's connection."""
    with app.recorder.datastore.transaction(commit=False) as c:
        c.execute("PRAGMA journal_mode")
        journal_mode = str(c.fetchone()[0]).upper()
        c.execute("PRAGMA synchronous")
        sync = int(c.fetchone()[0])
        c.execute("SELECT sqlite_version()")
        sqlite_version = str(c.fetchone()[0])
    return journal_mode, SYNCHRONOUS_NAMES.get(sync, str(sync)), sqlite_version


class Progress:
    """Prints progress to stderr at most every few seconds."""

    def __init__(self, phase: str, total: int, every: float = 10.0):
        self.phase, self.total, self.every = phase, total, every
        self.start = self.last = time.perf_counter()

    def tick(self, done: int) -> None:
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            rate = done / (now - self.start)
            eta = (self.total - done) / rate if rate else float("inf")
            print(
                f"  {self.phase}: {done}/{self.total} events, "
                f"{rate:,.0f}/s, ~{eta:.0f}s left",
                file=sys.stderr,
                flush=True,
            )


def file_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def sibling(db: Path, suffix: str) -> Path:
    return db.with_name(f"{db.stem}-{suffix}{db.suffix}")


# ---------------------------------------------------------------------------
# Backends: where the two databases are, their settings and their size


class SqliteBackend:
    """Two SQLite files: `db` (append, replay, read_log) and its -batched sibling."""

    name = "sqlite"

    def __init__(self, db: Path):
        self.db, self.db_batched = db, sibling(db, "batched")
        for path in (self.db, self.db_batched):
            if path.exists():
                raise SystemExit(f"{path} exists; the benchmark needs a fresh database")

    def where(self) -> str:
        return f"db {self.db}"

    def open(self, batched: bool = False) -> FollowUp:
        return open_app(self.db_batched if batched else self.db)

    def settings(self, app: FollowUp) -> dict:
        journal_mode, synchronous, sqlite_version = pragmas(app)
        return {
            "sqlite_version": sqlite_version,
            "journal_mode": journal_mode,
            "synchronous": synchronous,
        }

    def sizes(self) -> dict:
        # Closing the last connection checkpoints the WAL into the main file (and
        # normally removes it); whatever WAL is left is counted too.
        db_bytes = file_size(self.db)
        wal_bytes = file_size(Path(f"{self.db}-wal"))
        return {"db_bytes": db_bytes, "wal_bytes": wal_bytes, "stored_bytes": db_bytes + wal_bytes}

    def cleanup(self) -> None:
        pass


# The connection parameters eventsourcing.postgres passes to psycopg; anything
# else in the URL would be silently dropped by the library, so it is refused.
PG_PARAMS = {
    "dbname": "POSTGRES_DBNAME",
    "host": "POSTGRES_HOST",
    "port": "POSTGRES_PORT",
    "user": "POSTGRES_USER",
    "password": "POSTGRES_PASSWORD",
}


def patch_psycopg_pipeline_flush() -> None:
    """Works around a psycopg hang when a pipelined message outgrows the socket.

    eventsourcing.postgres sends each save as one pipeline (BEGIN, SET LOCAL,
    LOCK TABLE, NOTIFY, the INSERT of all the save's events, then Sync). With
    psycopg 3.3.9, `pipeline_communicate` returns once it has handed the last
    command to libpq, even when libpq's PQflush() says part of the output is
    still unsent: it then waits for a reply to a message the server has not
    fully received, and both sides wait for ever (server in ClientRead). Over
    a unix socket this happens from about 1000 events (~0.6 MB) per save, so
    every batched save of the default --batch-size hangs. The wrapper finishes
    the flush with psycopg's own `send` generator (which also reads whatever
    the server sends meanwhile); the messages sent are the same, and for
    small saves it is one extra PQflush() that returns 0 at once.
    """
    import psycopg._pipeline_base as pipeline_base
    from psycopg.generators import send

    communicate = pipeline_base.pipeline_communicate
    if getattr(communicate, "_peer_flush_patch", False):
        return

    def pipeline_communicate(pgconn, commands):  # type: ignore[no-untyped-def]
        results = yield from communicate(pgconn, commands)
        yield from send(pgconn)
        return results

    pipeline_communicate._peer_flush_patch = True  # type: ignore[attr-defined]
    pipeline_base.pipeline_communicate = pipeline_communicate


class PostgresBackend:
    """Two fresh schemas in one PostgreSQL database, tables made by the library.

    The library names its table after the application (`followup_events`) and
    creates it, a composite type and a function in POSTGRES_SCHEMA, which must
    exist. Both schemas are created here and, unless named with --pg-schema,
    dropped again afterwards.
    """

    name = "postgres"

    def __init__(self, url: str, schema: str | None):
        import psycopg
        from psycopg import sql

        self.psycopg, self.sql = psycopg, sql
        patch_psycopg_pipeline_flush()
        try:
            given = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as e:
            raise SystemExit(f"--postgres: {e}") from None
        extra = sorted(set(given) - set(PG_PARAMS) - {"connect_timeout"})
        if extra:
            raise SystemExit(
                f"--postgres: {', '.join(extra)} would not reach the library's own "
                f"connections (it passes only {', '.join(PG_PARAMS)}); "
                "set them with libpq's PG* environment variables instead"
            )
        # A connection of our own, for the schemas and the sizes. libpq fills
        # in what the URL leaves out (PGHOST, PGUSER, ... or its defaults);
        # the library is then given exactly the values this connection used.
        self.admin = psycopg.connect(url, autocommit=True)
        info = self.admin.info
        self.params = {
            "dbname": info.dbname,
            "host": info.host,  # a socket directory for a unix-socket connection
            "port": str(info.port),
            "user": info.user,
            "password": info.password or "",
        }
        self.connect_timeout = given.get("connect_timeout")
        self.admin.execute("SET lock_timeout = '30s'")

        self.keep = schema is not None
        base = schema if schema is not None else f"followup_peer_{os.getpid()}_{int(time.time())}"
        self.schema, self.schema_batched = base, f"{base}_batched"
        self.created: list[str] = []
        for name in (self.schema, self.schema_batched):
            exists = self.admin.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (name,)
            ).fetchone()
            if exists:
                self.keep = False  # drop only what this run has just created
                self.cleanup()
                raise SystemExit(f"schema {name} exists; the benchmark needs a fresh schema")
            self.admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
            self.created.append(name)

    def where(self) -> str:
        p = self.params
        return f"postgres {p['dbname']} on {p['host']}:{p['port']} as {p['user']}, schema {self.schema}"

    def env(self, schema: str) -> dict[str, str]:
        env = {key: self.params[param] for param, key in PG_PARAMS.items()}
        env.update(
            {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_SCHEMA": schema,
                "CREATE_TABLE": "y",
                # The library's default insert path (not its stored function).
                "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            }
        )
        if self.connect_timeout is not None:
            env["POSTGRES_CONNECT_TIMEOUT"] = str(self.connect_timeout)
        # The library looks up FOLLOWUP_<KEY> before <KEY>, and os.environ is
        # merged in underneath: give both spellings so nothing outside wins.
        prefix = FollowUp.name.upper() + "_"
        env.update({prefix + key: value for key, value in list(env.items())})
        return env

    def open(self, batched: bool = False) -> FollowUp:
        return open_app(self.env(self.schema_batched if batched else self.schema))

    def settings(self, app: FollowUp) -> dict:
        """Durability settings as the library's own connection sees them."""
        names = ("synchronous_commit", "fsync", "wal_sync_method", "server_version")
        with app.recorder.datastore.get_connection() as conn:
            got = {n: str(conn.execute(f"SHOW {n}").fetchone()[n]) for n in names}
        # on, remote_write, remote_apply and local all wait for the local WAL
        # flush; only off returns before it.
        if got["synchronous_commit"] == "off" or got["fsync"] != "on":
            raise SystemExit(
                f"PostgreSQL commits are not durable (synchronous_commit="
                f"{got['synchronous_commit']}, fsync={got['fsync']}); refusing to run"
            )
        return {
            "postgres_version": got["server_version"],
            "postgres_schema": self.schema,
            "synchronous_commit": got["synchronous_commit"],
            "fsync": got["fsync"],
            "wal_sync_method": got["wal_sync_method"],
        }

    def sizes(self) -> dict:
        table = self.sql.SQL("{}.{}").format(
            self.sql.Identifier(self.schema), self.sql.Identifier("followup_events")
        ).as_string(self.admin)
        heap, total = self.admin.execute(
            "SELECT pg_table_size(%s::regclass), pg_total_relation_size(%s::regclass)",
            (table, table),
        ).fetchone()
        return {
            # Heap, TOAST and indexes of the events table (no WAL file of its own).
            "db_bytes": int(total),
            "wal_bytes": None,
            "stored_bytes": int(total),
            "pg_table_bytes": int(heap),
            "pg_index_bytes": int(total) - int(heap),
        }

    def cleanup(self) -> None:
        if not self.keep:
            for name in reversed(self.created):
                self.admin.execute(
                    self.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        self.sql.Identifier(name)
                    )
                )
            self.created.clear()
        self.admin.close()


# ---------------------------------------------------------------------------
# Phases


def phase_append(app: FollowUp, work: Workload) -> tuple[float, list[UUID], list[int]]:
    """One save (one transaction) per event. Returns seconds, ids, totals."""
    aggs: list[Recommendation] = []
    progress = Progress("append", work.events)
    start = time.perf_counter()
    for k in range(work.events):
        app.save(work.apply(aggs, k))
        if k % 1000 == 999:
            progress.tick(k + 1)
    seconds = time.perf_counter() - start
    return seconds, [a.id for a in aggs], [a.amount_total for a in aggs]


def phase_append_batched(app: FollowUp, work: Workload, batch: int) -> float:
    """The same events, saved `batch` events at a time with one save(*aggs)."""
    aggs: list[Recommendation] = []
    pending: dict[UUID, Recommendation] = {}  # insertion-ordered, one per aggregate
    progress = Progress("append_batched", work.events)
    start = time.perf_counter()
    for k in range(work.events):
        agg = work.apply(aggs, k)
        pending[agg.id] = agg
        if (k + 1) % batch == 0 or k + 1 == work.events:
            app.save(*pending.values())
            pending.clear()
            progress.tick(k + 1)
    seconds = time.perf_counter() - start
    # Every event must have been stored exactly once.
    stored = app.recorder.max_notification_id()
    assert stored == work.events, f"batched: {stored} stored, {work.events} appended"
    return seconds


def phase_replay(
    app: FollowUp, work: Workload, ids: list[UUID], totals: list[int]
) -> tuple[float, int]:
    """Rebuilds every aggregate from its events. Returns seconds, events replayed."""
    progress = Progress("replay", work.events)
    replayed = 0
    rebuilt: list[tuple[int, int]] = []
    start = time.perf_counter()
    for agg_id in ids:
        agg = app.repository.get(agg_id)
        rebuilt.append((agg.version, agg.amount_total))
        replayed += agg.version  # versions run 1..v, one event each
        progress.tick(replayed)
    seconds = time.perf_counter() - start

    # Correctness: every event replayed, each aggregate at the version appended
    # and with the state it had in memory when it was saved.
    assert replayed == work.events, f"replayed {replayed} events, expected {work.events}"
    for i, (ver, total) in enumerate(rebuilt):
        assert ver == work.expected_version(i), f"aggregate {i}: version {ver}"
        assert total == totals[i], f"aggregate {i}: amount_total {total} != {totals[i]}"
    return seconds, replayed


def phase_read_log(app: FollowUp, work: Workload, page: int) -> tuple[float, int]:
    """Reads the global log in order, decoding each notification into its event."""
    log = app.notification_log
    to_event = app.mapper.to_domain_event
    last_version: dict[UUID, int] = {}
    count = 0
    last_id = 0
    progress = Progress("read_log", work.events)
    start = time.perf_counter()
    while True:
        notifications = log.select(last_id, page, inclusive_of_start=False)
        if not notifications:
            break
        for n in notifications:
            ev = to_event(n)
            # Order check: the log is strictly increasing and each aggregate's
            # events come in version order with no gaps.
            assert n.id > last_id
            last_id = n.id
            assert ev.originator_version == last_version.get(ev.originator_id, 0) + 1
            last_version[ev.originator_id] = ev.originator_version
        count += len(notifications)
        progress.tick(count)
    seconds = time.perf_counter() - start
    assert count == work.events, f"read {count} log entries, expected {work.events}"
    return seconds, count


# ---------------------------------------------------------------------------
# Main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000, help="total events N")
    ap.add_argument("--aggregates", type=int, default=10_000, help="aggregates A")
    ap.add_argument("--db", type=Path, help="SQLite file (default: in a fresh temp dir)")
    ap.add_argument(
        "--postgres",
        metavar="URL",
        help="run on PostgreSQL instead: a libpq connection string or postgresql:// URL, "
        "e.g. 'postgresql:///postgres?host=/tmp/pgdev&user=postgres'",
    )
    ap.add_argument(
        "--pg-schema",
        metavar="NAME",
        help="with --postgres: schema to create (must not exist; kept afterwards, "
        "with NAME_batched beside it; default: a fresh one, dropped afterwards)",
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--batch-size", type=int, default=1000, help="events per batched save")
    ap.add_argument("--page-size", type=int, default=1000, help="log entries per read")
    ap.add_argument("--no-batched", action="store_true", help="skip append_batched")
    args = ap.parse_args()
    # A plain SIGTERM would skip the clean-up below (temp dir, fresh schemas).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.postgres is not None and args.db is not None:
        ap.error("--db is for SQLite; it cannot be combined with --postgres")
    if args.pg_schema is not None and args.postgres is None:
        ap.error("--pg-schema needs --postgres")
    work = Workload(args.events, args.aggregates)
    FollowUp.log_section_size = max(FollowUp.log_section_size, args.page_size)

    tmpdir = None
    backend: SqliteBackend | PostgresBackend
    if args.postgres is not None:
        backend = PostgresBackend(args.postgres, args.pg_schema)
    else:
        if args.db is None:
            # TMPDIR decides where; on a tmpfs, fsync is free and append is flattered.
            tmpdir = Path(tempfile.mkdtemp(prefix="followup-peer-"))
            db = tmpdir / "events.sqlite"
        else:
            db = args.db.resolve()
        try:
            backend = SqliteBackend(db)
        except SystemExit:
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)
            raise

    try:
        result = run(work, backend, args)
    finally:
        backend.cleanup()
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


# Keys that only one backend fills in; the other reports them as null, so that
# every run has the same keys.
SQLITE_KEYS = ("sqlite_version", "journal_mode", "synchronous")
POSTGRES_KEYS = (
    "postgres_version",
    "postgres_schema",
    "synchronous_commit",
    "fsync",
    "wal_sync_method",
    "pg_table_bytes",
    "pg_index_bytes",
)


def run(work: Workload, backend: SqliteBackend | PostgresBackend, args: argparse.Namespace) -> dict:
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    log(f"peer: eventsourcing {package_version('eventsourcing')}, "
        f"{work.events} events over {work.aggregates} aggregates, {backend.where()}")

    app = backend.open()
    settings = backend.settings(app)
    log("peer: " + " ".join(f"{k}={v}" for k, v in settings.items()
                             if k in ("journal_mode", "synchronous", "synchronous_commit", "fsync"))
        + "; append ...")
    append_s, ids, totals = phase_append(app, work)
    app.close()

    batched_s = None
    if not args.no_batched:
        log("peer: append_batched ...")
        app_b = backend.open(batched=True)
        batched_s = phase_append_batched(app_b, work, args.batch_size)
        app_b.close()

    # Replay and log reading each use a freshly opened application, so nothing
    # from the append phase is held in the library's memory.
    log("peer: replay ...")
    app = backend.open()
    replay_s, replayed = phase_replay(app, work, ids, totals)
    app.close()

    log("peer: read_log ...")
    app = backend.open()
    read_s, read = phase_read_log(app, work, args.page_size)
    app.close()

    sizes = backend.sizes()
    peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    extra = {k: None for k in SQLITE_KEYS + POSTGRES_KEYS}
    extra.update(settings)
    extra.update({k: v for k, v in sizes.items() if k in extra})
    result = {
        "library": "eventsourcing",
        "library_version": package_version("eventsourcing"),
        "backend": backend.name,
        "python_version": sys.version.split()[0],
        "sqlite_version": extra["sqlite_version"],
        "journal_mode": extra["journal_mode"],
        "synchronous": extra["synchronous"],
        "events": work.events,
        "aggregates": work.aggregates,
        "batch_size": None if batched_s is None else args.batch_size,
        "append_seconds": round(append_s, 3),
        "append_events_per_s": round(work.events / append_s, 1),
        "append_batched_seconds": None if batched_s is None else round(batched_s, 3),
        "append_batched_events_per_s": (
            None if batched_s is None else round(work.events / batched_s, 1)
        ),
        "replay_seconds": round(replay_s, 3),
        "replay_events_per_s": round(replayed / replay_s, 1),
        "read_log_seconds": round(read_s, 3),
        "read_log_events_per_s": round(read / read_s, 1),
        "db_bytes": sizes["db_bytes"],
        "wal_bytes": sizes["wal_bytes"],
        "bytes_per_event": round(sizes["stored_bytes"] / work.events, 1),
        "peak_rss_mib": round(peak_rss_kib / 1024, 1),
    }
    result.update({k: extra[k] for k in POSTGRES_KEYS})
    if backend.name == "postgres":
        result["psycopg_version"] = package_version("psycopg")
    else:
        result["psycopg_version"] = None
    return result


def print_table(r: dict) -> None:
    if r["backend"] == "postgres":
        print(f"eventsourcing {r['library_version']} on PostgreSQL {r['postgres_version']} "
              f"(psycopg {r['psycopg_version']}), Python {r['python_version']}")
        print(f"synchronous_commit={r['synchronous_commit']} fsync={r['fsync']} "
              f"wal_sync_method={r['wal_sync_method']}, "
              f"{r['events']} events over {r['aggregates']} aggregates")
    else:
        print(f"eventsourcing {r['library_version']} on SQLite {r['sqlite_version']}, "
              f"Python {r['python_version']}")
        print(f"journal_mode={r['journal_mode']} synchronous={r['synchronous']}, "
              f"{r['events']} events over {r['aggregates']} aggregates")
    print()
    print(f"{'phase':<16}{'seconds':>10}{'events/s':>14}")
    rows = [
        ("append", r["append_seconds"], r["append_events_per_s"]),
        ("append_batched", r["append_batched_seconds"], r["append_batched_events_per_s"]),
        ("replay", r["replay_seconds"], r["replay_events_per_s"]),
        ("read_log", r["read_log_seconds"], r["read_log_events_per_s"]),
    ]
    for name, secs, rate in rows:
        if secs is None:
            print(f"{name:<16}{'-':>10}{'-':>14}")
        else:
            print(f"{name:<16}{secs:>10.2f}{rate:>14,.0f}")
    print()
    if r["backend"] == "postgres":
        print(f"bytes/event {r['bytes_per_event']:.0f} "
              f"(table {r['pg_table_bytes']}, indexes {r['pg_index_bytes']}), "
              f"peak RSS {r['peak_rss_mib']} MiB (client only)")
    else:
        print(f"bytes/event {r['bytes_per_event']:.0f} "
              f"(db {r['db_bytes']}, wal {r['wal_bytes']}), peak RSS {r['peak_rss_mib']} MiB")


if __name__ == "__main__":
    main()
