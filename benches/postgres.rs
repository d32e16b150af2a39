//! The PostgreSQL benchmark: the same work on the PostgreSQL backend and on sled in one run (a generated history
//! of a million events, `FOLLOWUP_BENCH_EVENTS`): import, read of the global log, rebuild of status and
//! timelines, verification, single durable appends and 64 appenders at once; and, with `FOLLOWUP_BENCH_PEER=1`,
//! the Python `eventsourcing` library's PostgreSQL recorder on the same server (`benches/peer/run.sh
//! --postgres`).
//!
//! Run: `FOLLOWUP_BENCH_DATABASE=postgresql:///postgres?host=/tmp/pg cargo bench --bench postgres` (a fresh
//! schema is made there and dropped at the end; `bash .ci/postgres start` starts a throwaway server). The sled
//! store lives under `FOLLOWUP_BENCH_DIR` (default `target/bench`). Prints one table; asserts nothing about time.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use events::{Line, StreamId};
use followup::{EventStore, ExpectedVersion, Pending, PgStore, SledStore};
use projections::{StatusFold, TimelineFilter, TimelineFold, VerifyFold, Window};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rate(events: u64, took: Duration) -> f64 {
    events as f64 / took.as_secs_f64()
}

fn per_s(r: f64) -> String {
    let n = r.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} events/s")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

/// What one backend did.
#[derive(Default)]
struct Figures {
    import: f64,
    read: f64,
    rebuild: f64,
    verify: f64,
    single: (Duration, Duration, f64),
    concurrent: f64,
}

/// Runs the whole benchmark on `store`, which is empty; `n` events are in `input`.
fn measure(name: &str, store: &dyn EventStore, input: &std::path::Path, n: u64) -> Figures {
    let mut f = Figures::default();
    eprintln!("{name}: import");
    let t = Instant::now();
    let report =
        followup::import(store, BufReader::with_capacity(1 << 20, File::open(input).expect("input")), "bench", |_| {})
            .expect("import");
    f.import = rate(n, t.elapsed());
    assert_eq!(report.appended as u64, n);

    eprintln!("{name}: read the global log");
    let t = Instant::now();
    let mut count = 0u64;
    for e in store.events(1) {
        e.expect("a sound store");
        count += 1;
    }
    f.read = rate(count, t.elapsed());
    assert_eq!(count, n);

    eprintln!("{name}: rebuild");
    let t = Instant::now();
    let mut status = StatusFold::new();
    let mut timeline = TimelineFold::new();
    for e in store.events(1) {
        let e = e.expect("a sound store");
        status.apply(&e);
        timeline.apply(&e);
    }
    let all = Window::default();
    let recs = status.snapshot(all).recommendations.len();
    let entries = timeline.snapshot(all, &TimelineFilter::default()).positions.len();
    f.rebuild = rate(n, t.elapsed());
    eprintln!("{name}: {recs} recommendations, {entries} timeline entries");
    drop((status, timeline));

    eprintln!("{name}: verify");
    let t = Instant::now();
    let mut fold = VerifyFold::new();
    let chain = store.check_integrity(&mut |e| fold.apply(e)).expect("chain");
    assert!(chain.ok(), "{chain:?}");
    let _ = fold.snapshot(Window::default());
    f.verify = rate(n, t.elapsed());

    // Single durable appends, then 64 appenders at once, to recommendations of the history.
    let streams: Vec<StreamId> = {
        let mut seen = std::collections::BTreeSet::new();
        for e in store.events(1).filter_map(|e| e.ok()) {
            if e.stream.recommendation().is_some() {
                seen.insert(e.stream.clone());
            }
            if seen.len() >= 64 {
                break;
            }
        }
        seen.into_iter().collect()
    };
    let action = |stream: &StreamId, i: usize| -> Pending {
        let line = format!(
            r#"{{"stream":"{stream}","type":"action_taken","occurred":"2024-03","source":{{"document":"Bench","locator":"{i}"}},"data":{{"summary":"Appended action number {i}: the executive reported progress on the aftercare programme to the council committee.","amount":{{"value":{},"currency":"EUR"}}}}}}"#,
            1000 + i
        );
        match events::decode(line.as_bytes()).expect("valid") {
            Line::New(e) => Pending::New(e),
            Line::Recorded(_) => unreachable!(),
        }
    };
    eprintln!("{name}: single appends");
    let appends = 1000;
    let mut took = Vec::with_capacity(appends);
    let t_all = Instant::now();
    for i in 0..appends {
        let s = &streams[i % streams.len()];
        let e = action(s, i);
        let t = Instant::now();
        store.write(&mut std::iter::once(Some(e)), Some((s, ExpectedVersion::Any)), "bench").expect("append");
        took.push(t.elapsed());
    }
    let single_rate = rate(appends as u64, t_all.elapsed());
    took.sort();
    f.single = (percentile(&took, 0.5), percentile(&took, 0.99), single_rate);

    eprintln!("{name}: 64 appenders");
    let per = 100;
    let t = Instant::now();
    std::thread::scope(|scope| {
        for (k, s) in streams.iter().enumerate() {
            let action = &action;
            scope.spawn(move || {
                for i in 0..per {
                    store
                        .write(
                            &mut std::iter::once(Some(action(s, 100_000 + k * per + i))),
                            Some((s, ExpectedVersion::Any)),
                            "bench",
                        )
                        .expect("append");
                }
            });
        }
    });
    f.concurrent = rate((streams.len() * per) as u64, t.elapsed());
    f
}

fn main() {
    let Some(url) = std::env::var("FOLLOWUP_BENCH_DATABASE").ok().filter(|u| !u.is_empty()) else {
        eprintln!("set FOLLOWUP_BENCH_DATABASE to a postgres:// URL (bash .ci/postgres start starts a server)");
        std::process::exit(2);
    };
    let n: u64 = std::env::var("FOLLOWUP_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let base = PathBuf::from(std::env::var("FOLLOWUP_BENCH_DIR").unwrap_or_else(|_| "target/bench".into()));
    std::fs::create_dir_all(&base).expect("bench directory");
    let work = tempfile::tempdir_in(&base).expect("temporary directory");
    let input = work.path().join("history.jsonl");
    {
        let mut w = BufWriter::new(File::create(&input).expect("input file"));
        let reports = (n as usize).div_ceil(80) + 1;
        for e in followup::generate(followup::GenerateOptions { reports, seed: 2026 }).take(n as usize) {
            w.write_all(e.to_line().as_bytes()).expect("write");
            w.write_all(b"\n").expect("write");
        }
        w.flush().expect("flush");
    }
    eprintln!("postgres benchmark: {n} events; sled under {}", work.path().display());

    let schema = format!("bench_{}", std::process::id());
    let admin = PgStore::open(&url, true);
    drop(admin);
    let sql = |statement: String| {
        let url = url.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
                tokio::spawn(conn);
                c.batch_execute(&statement).await.expect("statement");
            })
        })
        .join()
        .unwrap()
    };
    sql(format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"));
    let sep = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{sep}options=-csearch_path%3D{schema}");

    let pg = {
        let store = PgStore::open(&schema_url, true).expect("the PostgreSQL store");
        measure("postgres", &store, &input, n)
    };
    sql(format!("DROP SCHEMA {schema} CASCADE"));
    let sled = {
        let store = SledStore::open(&work.path().join("store")).expect("the sled store");
        measure("sled", &store, &input, n)
    };

    let peer = (std::env::var("FOLLOWUP_BENCH_PEER").as_deref() == Ok("1")).then(|| {
        let peer_events: u64 =
            std::env::var("FOLLOWUP_BENCH_PEER_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let out = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer/run.sh"))
            .args(["--events", &peer_events.to_string(), "--aggregates", &(peer_events / 10).to_string(), "--json"])
            .args(["--postgres", &url])
            .output()
            .expect("peer");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("peer output: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        (peer_events, doc)
    });

    println!("| measure ({n} events, same run) | PostgreSQL | sled | PostgreSQL ÷ sled |");
    println!("|---|---:|---:|---:|");
    let row = |what: &str, p: f64, s: f64| println!("| {what} | {} | {} | {:.2}× |", per_s(p), per_s(s), p / s);
    row("import (JSON Lines file, one durable commit)", pg.import, sled.import);
    row("read the global log, decoded", pg.read, sled.read);
    row("rebuild status + timeline", pg.rebuild, sled.rebuild);
    row("verify (chain, indexes, every verdict)", pg.verify, sled.verify);
    println!(
        "| single durable append | p50 {} p99 {}; {} | p50 {} p99 {}; {} | p50 {:.2}× |",
        micros(pg.single.0),
        micros(pg.single.1),
        per_s(pg.single.2),
        micros(sled.single.0),
        micros(sled.single.1),
        per_s(sled.single.2),
        pg.single.0.as_secs_f64() / sled.single.0.as_secs_f64()
    );
    row("64 concurrent appenders, each durable", pg.concurrent, sled.concurrent);
    if let Some((events, doc)) = peer {
        let f = |k: &str| doc[k].as_f64().unwrap_or(f64::NAN);
        println!();
        println!("| peer: eventsourcing on PostgreSQL ({events} events over {} aggregates) | peer | ours on PostgreSQL ÷ peer |", events / 10);
        println!("|---|---:|---:|");
        println!(
            "| replay | {} | rebuild {:.1}× |",
            per_s(f("replay_events_per_s")),
            pg.rebuild / f("replay_events_per_s")
        );
        println!(
            "| read the global log | {} | {:.1}× |",
            per_s(f("read_log_events_per_s")),
            pg.read / f("read_log_events_per_s")
        );
        println!(
            "| durable append, one event per save | {} | single {:.2}×, 64 appenders {:.1}× |",
            per_s(f("append_events_per_s")),
            pg.single.2 / f("append_events_per_s"),
            pg.concurrent / f("append_events_per_s")
        );
        println!(
            "| append in saves of 1000 events | {} | import {:.1}× |",
            per_s(f("append_batched_events_per_s")),
            pg.import / f("append_batched_events_per_s")
        );
        println!("\npeer JSON: {doc}");
    }
}
