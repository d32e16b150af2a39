//! Crash safety: `followup import` of a 100,000-event file, a run of single `followup record` calls, and the
//! creation of new stores, as child processes killed with SIGKILL at random moments, 70 times in all. After each kill the store opens, its chain
//! verifies, and its log is exactly what was acknowledged: an import is all or nothing, and every `record` that
//! printed success is there.
//!
//! The moments are drawn from ChaCha8 with a fixed seed (`FOLLOWUP_CRASH_SEED` overrides it); the timing of a
//! process under a kill is the machine's, so each run probes different instants.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use events::EventId;
use followup::{generate, EventStore, GenerateOptions, SledStore};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const IMPORT_KILLS: usize = 15;
const RECORD_KILLS: usize = 35;

fn followup(store: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_followup"));
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "crash test");
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

fn rng() -> ChaCha8Rng {
    let seed = std::env::var("FOLLOWUP_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261129);
    eprintln!("crash seed {seed}");
    ChaCha8Rng::seed_from_u64(seed)
}

/// Opens the store after a kill and checks it: it opens, its chain is intact; returns the ids it holds.
fn check_store(dir: &Path) -> HashSet<EventId> {
    let store = SledStore::open(dir).expect("the store opens after a kill");
    let chain = followup::verify_chain(&store).unwrap();
    assert!(chain.ok(), "the chain is intact after a kill: {:?}", chain.broken);
    assert_eq!(chain.events, store.head().position);
    store.events(1).map(|e| e.unwrap().id).collect()
}

#[test]
fn an_import_killed_at_any_moment_is_all_or_nothing() {
    let events: Vec<_> = generate(GenerateOptions { reports: 1300, seed: 5 }).collect();
    let events = &events[..100_000];
    let ids: HashSet<EventId> = events.iter().map(|e| e.id).collect();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("big.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for e in events {
        writeln!(w, "{}", e.to_line()).unwrap();
    }
    w.flush().unwrap();
    drop(w);

    // One import left alone: how long a whole one takes here.
    let full = work.path().join("full");
    let started = Instant::now();
    let out = followup(&full).arg("import").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let whole = started.elapsed();
    assert_eq!(check_store(&full), ids);
    eprintln!("a whole import of 100,000 events takes {whole:?}");

    let mut rng = rng();
    let (mut none, mut all) = (0, 0);
    for round in 0..IMPORT_KILLS {
        let store = work.path().join(format!("round-{round}"));
        // From half of a whole import's time (the file is read and checked first) to a little past its end.
        let span = whole.as_micros() as u64;
        let after = Duration::from_micros(rng.random_range(span / 2..(span * 115 / 100).max(span / 2 + 1)));
        let mut child = followup(&store).arg("import").arg(&file).spawn().unwrap();
        std::thread::sleep(after);
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !store.exists() {
            none += 1; // killed before the store was created: it is made whole or not at all
            continue;
        }
        let held = check_store(&store);
        if status.success() {
            assert_eq!(held, ids, "round {round}: a finished import holds every event");
        } else if held.is_empty() {
            none += 1;
        } else {
            assert_eq!(held, ids, "round {round}: killed after {after:?}, the store holds part of the import");
        }
        if !held.is_empty() {
            all += 1;
        }
        std::fs::remove_dir_all(&store).unwrap();
    }
    eprintln!("{IMPORT_KILLS} imports killed: {none} left nothing, {all} left everything, none left a part");
}

#[test]
fn a_store_killed_while_being_created_is_absent_or_whole() {
    // A first record creates the store; kill it within its first milliseconds, 20 times, each in a new directory.
    let work = tempfile::tempdir().unwrap();
    let mut rng = rng();
    let (mut absent, mut whole) = (0, 0);
    for round in 0..20 {
        let store = work.path().join(format!("new-{round}"));
        let line = r#"{"stream":"new-2020","type":"context_noted","occurred":"2020","source":{"document":"D","locator":"L"},"data":{"summary":"first"}}"#;
        let mut child = followup(&store).arg("record").arg(line).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(rng.random_range(500..30_000)));
        let _ = child.kill();
        let _ = child.wait();
        if store.exists() {
            check_store(&store);
            whole += 1;
        } else {
            absent += 1;
        }
        // Either way, the directory takes a store now.
        let out = followup(&store).arg("record").arg(line).output().unwrap();
        assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
    }
    eprintln!("20 creations killed: {absent} left no store, {whole} a whole one");
}

#[test]
fn every_record_that_printed_success_survives_a_kill() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let mut rng = rng();
    let mut acknowledged: HashSet<EventId> = HashSet::new();
    let mut survived_unacknowledged = 0;
    for round in 0..RECORD_KILLS {
        // A few records that run to the end, then one killed at a random moment.
        for k in 0..3 {
            let line = format!(
                r#"{{"stream":"crash-{round}/1","type":"context_noted","occurred":"2020","source":{{"document":"D","locator":"L"}},"data":{{"summary":"round {round} record {k}"}}}}"#
            );
            let out = followup(&store).args(["--format", "json", "record"]).arg(&line).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            acknowledged.insert(EventId::parse(v["event_id"].as_str().unwrap()).unwrap());
        }
        let line = format!(
            r#"{{"stream":"crash-{round}/1","type":"context_noted","occurred":"2020","source":{{"document":"D","locator":"L"}},"data":{{"summary":"round {round} killed"}}}}"#
        );
        let mut child = followup(&store).args(["--format", "json", "record"]).arg(&line).spawn().unwrap();
        // A record takes about 0.1 s here: kill anywhere from its start to a little past its end.
        std::thread::sleep(Duration::from_micros(rng.random_range(0..180_000)));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let printed: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
        let held = check_store(&store);
        if let Some(v) = printed {
            acknowledged.insert(EventId::parse(v["event_id"].as_str().unwrap()).unwrap());
        }
        let missing: Vec<&EventId> = acknowledged.iter().filter(|id| !held.contains(id)).collect();
        assert!(missing.is_empty(), "round {round}: acknowledged events lost: {missing:?}");
        let extra = held.len() - acknowledged.len();
        assert!(extra <= 1, "round {round}: {extra} events nobody recorded");
        if extra == 1 {
            // The killed record committed but was killed before it could say so: record it as acknowledged now.
            survived_unacknowledged += 1;
            acknowledged = held;
        }
    }
    eprintln!("{RECORD_KILLS} records killed; {survived_unacknowledged} had committed before the kill; {} events acknowledged, none lost", acknowledged.len());
}
