//! The scale benchmark: a generated history of a million events (`FOLLOWUP_BENCH_EVENTS`, default 1,000,000)
//! imported, rebuilt warm and cold, verified, read one timeline at a time, appended to one by one and by 64
//! appenders at once; beside the same work done by raw sled and by serde_json alone, and, with
//! `FOLLOWUP_BENCH_PEER=1`, by the Python `eventsourcing` library on SQLite (`benches/peer/run.sh`).
//!
//! Run: `cargo bench --bench scale`. The store lives under `FOLLOWUP_BENCH_DIR` (default `target/bench`), on the
//! disk being measured. Prints one table of figures and ratios; asserts nothing about time.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use events::{Line, RecordedEvent, StreamId};
use followup::{EventStore, ExpectedVersion, Pending, SledStore};
use projections::{StatusFold, TimelineFilter, TimelineFold, VerifyFold, Window};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One row of the table.
struct Row {
    what: String,
    figure: String,
    ratio: String,
}

struct Table(Vec<Row>);

impl Table {
    fn add(&mut self, what: &str, figure: String, ratio: String) {
        eprintln!("  {what}: {figure} {ratio}");
        self.0.push(Row { what: what.into(), figure, ratio });
    }

    fn print(&self) {
        println!("| measure | figure | ratio |");
        println!("|---|---:|---|");
        for r in &self.0 {
            println!("| {} | {} | {} |", r.what, r.figure, r.ratio);
        }
    }
}

fn rate(events: u64, took: Duration) -> f64 {
    events as f64 / took.as_secs_f64()
}

fn per_s(r: f64) -> String {
    format!("{} events/s", thousands(r.round() as u64))
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Resets this process's peak resident set (Linux: `clear_refs` 5).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident set since the last reset, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Evicts every file under `dir` from the page cache, so the next read comes from the disk.
fn evict(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            evict(&path);
        } else if let Ok(f) = File::open(&path) {
            use std::os::fd::AsRawFd;
            let _ = f.sync_all();
            // SAFETY: a valid open file descriptor; the call only advises the kernel.
            unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        }
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_bytes(&p)
            } else {
                use std::os::unix::fs::MetadataExt;
                // Blocks actually allocated, not the apparent length of sparse or preallocated files.
                e.metadata().map_or(0, |m| m.blocks() * 512)
            }
        })
        .sum()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// The most bytes of lines one commit record holds (layouts b and c).
const RECORD_BYTES: usize = 96 << 10;

/// A bare sled tree's key: a prefix byte and a position, big-endian.
fn sled_key(prefix: u8, position: u64) -> [u8; 9] {
    let mut k = [prefix; 9];
    k[1..].copy_from_slice(&position.to_be_bytes());
    k
}

/// Layouts b and c: consecutive lines packed into commit records (u32 count, u32 lengths, then the lines,
/// big-endian) of at most [`RECORD_BYTES`] of lines, keyed by `C` and the first position, lz4-compressed or plain;
/// inserted in batches of [`followup::CHUNK_EVENTS`] lines, one flush and fsync at the end. Events/s.
fn insert_records(dir: &Path, lines: &[(u64, Vec<u8>)], lz4: bool) -> f64 {
    let db = sled::Config::new().path(dir).segment_size(8 << 20).open().expect("layout sled");
    let tree = db.open_tree("raw").expect("tree");
    let t = Instant::now();
    for chunk in lines.chunks(followup::CHUNK_EVENTS) {
        let mut batch = sled::Batch::default();
        let mut rest = chunk;
        while !rest.is_empty() {
            let (mut take, mut bytes) = (1, rest[0].1.len());
            while take < rest.len() && bytes + rest[take].1.len() <= RECORD_BYTES {
                bytes += rest[take].1.len();
                take += 1;
            }
            let (record, tail) = rest.split_at(take);
            let mut value = Vec::with_capacity(4 + 4 * record.len() + bytes);
            value.extend_from_slice(&(record.len() as u32).to_be_bytes());
            for (_, line) in record {
                value.extend_from_slice(&(line.len() as u32).to_be_bytes());
            }
            for (_, line) in record {
                value.extend_from_slice(line);
            }
            let value = if lz4 { lz4_flex::compress_prepend_size(&value) } else { value };
            batch.insert(&sled_key(b'C', record[0].0), value);
            rest = tail;
        }
        tree.apply_batch(batch).expect("batch");
    }
    db.flush().expect("flush");
    File::open(dir.join("db")).and_then(|f| f.sync_data()).expect("fsync");
    rate(lines.len() as u64, t.elapsed())
}

/// Layout a's value: one line. How many events it held.
fn decode_line(value: &[u8]) -> u64 {
    std::hint::black_box(RecordedEvent::decode(value).expect("decode"));
    1
}

/// Layout b's value: a commit record, each of its lines decoded. How many events it held.
fn decode_record(value: &[u8]) -> u64 {
    let u32_at = |i: usize| u32::from_be_bytes(value[i..i + 4].try_into().expect("4 bytes")) as usize;
    let count = u32_at(0);
    let mut at = 4 + 4 * count;
    for i in 0..count {
        let len = u32_at(4 + 4 * i);
        std::hint::black_box(RecordedEvent::decode(&value[at..at + len]).expect("decode"));
        at += len;
    }
    count as u64
}

/// Layout c's value: an lz4-compressed commit record.
fn decode_lz4_record(value: &[u8]) -> u64 {
    decode_record(&lz4_flex::decompress_size_prepended(value).expect("lz4"))
}

/// A warm scan + decode of a layout's tree by two threads, one each side of the key `prefix` + `split`, which must
/// find `n` events: events/s and the peak RSS (MiB) after it.
fn scan_layout(dir: &Path, n: u64, prefix: u8, split: u64, decode: fn(&[u8]) -> u64) -> (f64, f64) {
    let db = sled::Config::new().path(dir).segment_size(8 << 20).open().expect("layout sled");
    let tree = db.open_tree("raw").expect("tree");
    let split = sled_key(prefix, split);
    let decode_all = |iter: sled::Iter| iter.map(|kv| decode(&kv.expect("scan").1)).sum::<u64>();
    reset_peak();
    let t = Instant::now();
    let count = std::thread::scope(|s| {
        let low = s.spawn(|| decode_all(tree.range(..split)));
        let high = s.spawn(|| decode_all(tree.range(split..)));
        low.join().expect("scan thread") + high.join().expect("scan thread")
    });
    let took = t.elapsed();
    assert_eq!(count, n, "events in {}", dir.display());
    (rate(count, took), peak_mib())
}

/// Status and the whole timeline, folded over the log in one pass.
fn rebuild(store: &SledStore) -> (usize, usize) {
    let mut status = StatusFold::new();
    let mut timeline = TimelineFold::new();
    for e in store.events(1) {
        let e = e.expect("a sound store");
        status.apply(&e);
        timeline.apply(&e);
    }
    let all = Window::default();
    (status.snapshot(all).recommendations.len(), timeline.snapshot(all, &TimelineFilter::default()).positions.len())
}

fn main() {
    let n: u64 = std::env::var("FOLLOWUP_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let base = PathBuf::from(std::env::var("FOLLOWUP_BENCH_DIR").unwrap_or_else(|_| "target/bench".into()));
    std::fs::create_dir_all(&base).expect("bench directory");
    let work = tempfile::tempdir_in(&base).expect("temporary directory");
    let mut table = Table(Vec::new());
    eprintln!("scale benchmark: {n} events under {}", work.path().display());

    // The input: a generated history cut at n events.
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
    let input_bytes = std::fs::metadata(&input).map_or(0, |m| m.len());

    // Import: one durable commit of every event.
    let store_dir = work.path().join("store");
    reset_peak();
    let t = Instant::now();
    let store = SledStore::open(&store_dir).expect("store");
    let report = followup::import(
        &store,
        BufReader::with_capacity(1 << 20, File::open(&input).expect("input")),
        "bench",
        |_| {},
    )
    .expect("import");
    let import_took = t.elapsed();
    assert_eq!(report.appended as u64, n);
    let import_rate = rate(n, import_took);
    let import_peak = peak_mib();

    // Raw sled: the same stored lines inserted in batches of the same size under 9-byte keys, one fsync at the
    // end; then scanned.
    let raw_dir = work.path().join("raw");
    let raw_insert_rate;
    // The layout comparison: the same lines packed into commit records, plain (b) and lz4 (c), beside raw sled's
    // one value per event (a); the second thread of each scan reads the keys from position `split` on.
    let (records_dir, lz4_dir) = (work.path().join("layout-records"), work.path().join("layout-lz4"));
    let (records_insert_rate, lz4_insert_rate, split);
    {
        let db = sled::Config::new().path(&raw_dir).segment_size(8 << 20).open().expect("raw sled");
        let tree = db.open_tree("raw").expect("tree");
        let lines: Vec<(u64, Vec<u8>)> = store.lines(1).map(|r| r.expect("line")).collect();
        let t = Instant::now();
        for chunk in lines.chunks(followup::CHUNK_EVENTS) {
            let mut batch = sled::Batch::default();
            for (p, line) in chunk {
                let mut k = [b'L'; 9];
                k[1..].copy_from_slice(&p.to_be_bytes());
                batch.insert(&k, line.clone());
            }
            tree.apply_batch(batch).expect("batch");
        }
        db.flush().expect("flush");
        File::open(raw_dir.join("db")).and_then(|f| f.sync_data()).expect("fsync");
        raw_insert_rate = rate(n, t.elapsed());
        drop((tree, db));
        records_insert_rate = insert_records(&records_dir, &lines, false);
        lz4_insert_rate = insert_records(&lz4_dir, &lines, true);
        split = lines[lines.len() / 2].0;
    }
    table.add(
        "import (JSON Lines file to durable store, one commit)",
        per_s(import_rate),
        format!(
            "{:.2}× raw sled insert of the same lines ({}); peak RSS {import_peak:.0} MiB",
            import_rate / raw_insert_rate,
            per_s(raw_insert_rate)
        ),
    );
    let store_bytes = dir_bytes(&store_dir);
    let raw_bytes = dir_bytes(&raw_dir);
    table.add(
        "bytes on disk per event",
        format!("{} B", store_bytes / n),
        format!(
            "{:.2}× raw sled's {} B; input line {} B",
            store_bytes as f64 / raw_bytes as f64,
            raw_bytes / n,
            input_bytes / n
        ),
    );

    let layouts = [
        (
            "layout: one value per event (raw sled)",
            raw_insert_rate,
            raw_bytes,
            scan_layout(&raw_dir, n, b'L', split, decode_line),
        ),
        (
            "layout: commit records, plain",
            records_insert_rate,
            dir_bytes(&records_dir),
            scan_layout(&records_dir, n, b'C', split, decode_record),
        ),
        (
            "layout: commit records, lz4",
            lz4_insert_rate,
            dir_bytes(&lz4_dir),
            scan_layout(&lz4_dir, n, b'C', split, decode_lz4_record),
        ),
    ];
    let (_, a_insert, a_bytes, (a_scan, a_peak)) = layouts[0];
    for (what, insert, bytes, (scan, peak)) in layouts {
        table.add(
            what,
            format!(
                "insert {}; {} B/event; scan + decode, warm, 2 threads {}; peak RSS {peak:.0} MiB",
                per_s(insert),
                bytes / n,
                per_s(scan)
            ),
            format!(
                "insert {:.2}×, bytes {:.2}×, scan + decode {:.2}×, peak RSS {:.2}× layout a",
                insert / a_insert,
                bytes as f64 / a_bytes as f64,
                scan / a_scan,
                peak / a_peak
            ),
        );
    }
    for dir in [&records_dir, &lz4_dir] {
        std::fs::remove_dir_all(dir).expect("remove layout directory");
    }

    // serde_json alone, on the stored lines in memory.
    let sample: Vec<Vec<u8>> = store.lines(1).take(200_000).map(|r| r.expect("line").1).collect();
    let m = sample.len() as u64;
    let t = Instant::now();
    for l in &sample {
        serde_json::from_slice::<serde::de::IgnoredAny>(l).expect("json");
    }
    let json_skim = rate(m, t.elapsed());
    let t = Instant::now();
    for l in &sample {
        std::hint::black_box(serde_json::from_slice::<serde_json::Value>(l).expect("json"));
    }
    let json_value = rate(m, t.elapsed());
    let t = Instant::now();
    for l in &sample {
        std::hint::black_box(RecordedEvent::decode(l).expect("decode"));
    }
    let ours_decode = rate(m, t.elapsed());
    let t = Instant::now();
    for l in &sample {
        std::hint::black_box(events::decode(l).expect("decode"));
    }
    let ours_check = rate(m, t.elapsed());
    let decoded: Vec<RecordedEvent> = sample.iter().map(|l| RecordedEvent::decode(l).expect("decode")).collect();
    let t = Instant::now();
    let mut status = StatusFold::new();
    let mut timeline = TimelineFold::new();
    for e in &decoded {
        status.apply(e);
        timeline.apply(e);
    }
    std::hint::black_box((
        status.snapshot(Window::default()),
        timeline.snapshot(Window::default(), &TimelineFilter::default()),
    ));
    let folds = rate(m, t.elapsed());
    drop((sample, decoded));
    table.add("serde_json: parse and skip (IgnoredAny)", per_s(json_skim), String::new());
    table.add(
        "serde_json: decode to serde_json::Value",
        per_s(json_value),
        format!("{:.2}× parse and skip", json_value / json_skim),
    );
    table.add(
        "decode a stored line to a RecordedEvent (replay)",
        per_s(ours_decode),
        format!("{:.2}× serde_json::Value, {:.2}× parse and skip", ours_decode / json_value, ours_decode / json_skim),
    );
    table.add("status and timeline folds alone, events in memory", per_s(folds), String::new());
    table.add(
        "decode and check a line (hash, rules: verify, import)",
        per_s(ours_check),
        format!("{:.2}× replay decode", ours_check / ours_decode),
    );

    // Raw sled scans, warm.
    let raw = sled::Config::new().path(&raw_dir).segment_size(8 << 20).open().expect("raw sled");
    let raw_tree = raw.open_tree("raw").expect("tree");
    let scan = |tree: &sled::Tree, decode: bool| {
        let t = Instant::now();
        let mut count = 0u64;
        for kv in tree.iter() {
            let (_, v) = kv.expect("scan");
            if decode {
                std::hint::black_box(RecordedEvent::decode(&v).expect("decode"));
            }
            count += 1;
        }
        rate(count, t.elapsed())
    };
    let raw_scan_warm = scan(&raw_tree, false);
    let raw_decode_warm = scan(&raw_tree, true);
    table.add("raw sled scan, warm", per_s(raw_scan_warm), String::new());
    table.add("raw sled scan + decode, warm", per_s(raw_decode_warm), String::new());

    // The global log read in order and decoded, as a subscriber catching up reads it.
    let t = Instant::now();
    let mut read = 0u64;
    for e in store.events(1) {
        e.expect("event");
        read += 1;
    }
    let read_rate = rate(read, t.elapsed());
    table.add(
        "read the global log, decoded (worker threads)",
        per_s(read_rate),
        format!("{:.2}× raw scan + decode (one thread)", read_rate / raw_decode_warm),
    );

    // Rebuild of status and timeline, warm.
    rebuild(&store);
    reset_peak();
    let t = Instant::now();
    let (recs, entries) = rebuild(&store);
    let rebuild_warm = rate(n, t.elapsed());
    let rebuild_warm_peak = peak_mib();
    table.add(
        "rebuild status + timeline, warm",
        per_s(rebuild_warm),
        format!(
            "{:.2}× raw scan + decode; {recs} recommendations, {entries} timeline entries; peak RSS {rebuild_warm_peak:.0} MiB",
            rebuild_warm / raw_decode_warm
        ),
    );

    // Verify: the chain and indexes, then every verdict.
    let t = Instant::now();
    let mut fold = VerifyFold::new();
    let chain = store.check_integrity(&mut |e| fold.apply(e)).expect("chain");
    assert!(chain.ok(), "{chain:?}");
    let verification = fold.snapshot(Window::default());
    let verify_rate = rate(n, t.elapsed());
    table.add(
        "verify (chain, indexes, every verdict)",
        per_s(verify_rate),
        format!(
            "{:.2}× raw scan + decode; {} verdicts checked",
            verify_rate / raw_decode_warm,
            verification.verdicts.len()
        ),
    );

    // One recommendation's timeline, by its report's streams.
    let streams: Vec<StreamId> = store
        .events(1)
        .step_by((n / 50).max(1) as usize)
        .filter_map(|e| e.ok())
        .filter(|e| e.stream.recommendation().is_some())
        .map(|e| e.stream)
        .collect();
    let mut took = Vec::new();
    for s in &streams {
        let t = Instant::now();
        let events = store.report_events(&s.report_stream()).expect("report events");
        let filter = TimelineFilter { stream: Some(s.clone()), from: None, to: None };
        let mut fold = TimelineFold::new();
        let mut status = StatusFold::new();
        for e in &events {
            fold.apply(e);
            status.apply(e);
        }
        std::hint::black_box((
            fold.snapshot(Window::default(), &filter).entries(|p| store.event(p)).expect("entries"),
            status.snapshot(Window::default()),
        ));
        took.push(t.elapsed());
    }
    took.sort();
    table.add(
        "one recommendation's timeline and status",
        format!("p50 {} p99 {}", micros(percentile(&took, 0.5)), micros(percentile(&took, 0.99))),
        format!(
            "{} timelines, in a store of {n} events; p50 {:.0}× faster than the warm rebuild of the whole log",
            took.len(),
            (n as f64 / rebuild_warm) / percentile(&took, 0.5).as_secs_f64()
        ),
    );

    // Cold: close, evict the files from the page cache, open and rebuild.
    drop(store);
    drop(raw_tree);
    drop(raw);
    std::thread::sleep(Duration::from_millis(300));
    evict(&raw_dir);
    let raw = sled::Config::new().path(&raw_dir).segment_size(8 << 20).open().expect("raw sled");
    let raw_tree = raw.open_tree("raw").expect("tree");
    let t = Instant::now();
    let mut count = 0u64;
    for kv in raw_tree.iter() {
        std::hint::black_box(RecordedEvent::decode(&kv.expect("scan").1).expect("decode"));
        count += 1;
    }
    let raw_decode_cold = rate(count, t.elapsed());
    drop(raw_tree);
    drop(raw);
    std::thread::sleep(Duration::from_millis(300));
    evict(&store_dir);
    reset_peak();
    let t = Instant::now();
    let store = SledStore::open(&store_dir).expect("store");
    let opened = t.elapsed();
    rebuild(&store);
    let rebuild_cold = rate(n, t.elapsed());
    let cold_peak = peak_mib();
    table.add("raw sled scan + decode, cold", per_s(raw_decode_cold), String::new());
    table.add(
        "open + rebuild status + timeline, cold",
        per_s(rebuild_cold),
        format!(
            "{:.2}× raw sled scan + decode cold; open {:.0} ms; peak RSS {cold_peak:.0} MiB",
            rebuild_cold / raw_decode_cold,
            opened.as_secs_f64() * 1e3
        ),
    );

    // Durable appends, one at a time, against the disk's own fsync.
    let streams: Vec<StreamId> = {
        let mut seen = HashMap::new();
        for e in store.events(1).filter_map(|e| e.ok()) {
            if e.stream.recommendation().is_some() && seen.len() < 64 {
                seen.entry(e.stream.clone()).or_insert(());
            }
            if seen.len() >= 64 {
                break;
            }
        }
        seen.into_keys().collect()
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
    let appends = 2000;
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
    let (a50, a99) = (percentile(&took, 0.5), percentile(&took, 0.99));
    let mut fs = Vec::with_capacity(appends);
    {
        let mut f = File::create(work.path().join("fsync-probe")).expect("probe");
        for _ in 0..appends {
            f.write_all(&[7u8; 900]).expect("write");
            let t = Instant::now();
            f.sync_data().expect("fdatasync");
            fs.push(t.elapsed());
        }
    }
    fs.sort();
    let (f50, f99) = (percentile(&fs, 0.5), percentile(&fs, 0.99));
    table.add("disk: 900-byte append + fdatasync", format!("p50 {} p99 {}", micros(f50), micros(f99)), String::new());
    table.add(
        "single durable append (record)",
        format!("p50 {} p99 {}; {}", micros(a50), micros(a99), per_s(single_rate)),
        format!(
            "p50 {:.2}× the disk's fdatasync, p99 {:.2}×",
            a50.as_secs_f64() / f50.as_secs_f64(),
            a99.as_secs_f64() / f99.as_secs_f64()
        ),
    );

    // 64 appenders at once, each waiting for its own append to be durable.
    let per = 100;
    let syncs = store.syncs();
    let t = Instant::now();
    std::thread::scope(|scope| {
        for (k, s) in streams.iter().enumerate() {
            let store = &store;
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
    let concurrent = rate((streams.len() * per) as u64, t.elapsed());
    let groups = store.syncs() - syncs;
    table.add(
        &format!("{} concurrent appenders, each durable", streams.len()),
        per_s(concurrent),
        format!(
            "{:.1}× one appender; {:.1} appends per flush and fsync",
            concurrent / single_rate,
            (streams.len() * per) as f64 / groups as f64
        ),
    );

    // The peer: the Python eventsourcing library on SQLite.
    if std::env::var("FOLLOWUP_BENCH_PEER").is_ok_and(|v| v == "1") {
        // The issue's workload: 100,000 events over 10,000 aggregates (FOLLOWUP_BENCH_PEER_EVENTS for a smaller run).
        let peer_events: u64 =
            std::env::var("FOLLOWUP_BENCH_PEER_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let db = work.path().join("peer.sqlite");
        let out = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer/run.sh"))
            .args([
                "--events",
                &peer_events.to_string(),
                "--aggregates",
                &(peer_events / 10).to_string(),
                "--json",
                "--db",
            ])
            .arg(&db)
            .output()
            .expect("peer");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("peer output: {e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        let f = |k: &str| json[k].as_f64().unwrap_or(f64::NAN);
        table.add(
            &format!(
                "peer: eventsourcing (Python) on SQLite, replay {peer_events} events over {} aggregates",
                peer_events / 10
            ),
            per_s(f("replay_events_per_s")),
            format!(
                "our warm rebuild is {:.1}× its replay, our cold {:.1}×",
                rebuild_warm / f("replay_events_per_s"),
                rebuild_cold / f("replay_events_per_s")
            ),
        );
        table.add(
            "peer: read the global log",
            per_s(f("read_log_events_per_s")),
            format!("our read of the global log is {:.1}×", read_rate / f("read_log_events_per_s")),
        );
        table.add(
            "peer: durable append, one event per save",
            per_s(f("append_events_per_s")),
            format!(
                "our single appender is {:.1}×, 64 appenders {:.1}×",
                single_rate / f("append_events_per_s"),
                concurrent / f("append_events_per_s")
            ),
        );
        table.add(
            "peer: append in saves of 1000 events",
            per_s(f("append_batched_events_per_s")),
            format!(
                "our import is {:.1}×; peer bytes/event {}",
                import_rate / f("append_batched_events_per_s"),
                f("bytes_per_event")
            ),
        );
    }
    println!();
    println!("{n} events; input {} bytes/line", input_bytes / n);
    table.print();
}
