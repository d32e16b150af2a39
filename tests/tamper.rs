//! Tampering under the store: bytes of a stored event changed, or an event removed, directly in the sled
//! database while the store is closed. `verify` finds it and names the position.

use std::path::Path;

use assert_cmd::Command;
use followup::SledStore;

const CASE: &str = include_str!("../examples/nazorg-amsterdam.jsonl");

/// Changes the raw sled tree of a closed store.
fn under_the_store(dir: &Path, change: impl FnOnce(&sled::Tree)) {
    // The store's last handle may still be letting go of its file lock: try for a few seconds, as the store does.
    let mut tries = 0;
    let db = loop {
        match sled::Config::new().path(dir).segment_size(8 << 20).open() {
            Ok(db) => break db,
            Err(e) if tries < 200 => {
                tries += 1;
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("the closed store opens: {e}"),
        }
    };
    let tree = db.open_tree("followup").unwrap();
    change(&tree);
    db.flush().unwrap();
}

fn line_key(position: u64) -> Vec<u8> {
    let mut k = vec![b'L'];
    k.extend_from_slice(&position.to_be_bytes());
    k
}

fn case_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    followup::import(&store, CASE.as_bytes(), "tamper test", |_| {}).unwrap();
    dir
}

fn verify(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Command::cargo_bin("followup")
        .unwrap()
        .arg("--store")
        .arg(dir)
        .args(["verify", "--format", "json"])
        .output()
        .unwrap();
    (out.status.code(), serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn a_changed_byte_in_a_stored_event_is_found_at_its_position() {
    let dir = case_store();
    under_the_store(dir.path(), |tree| {
        let mut line = tree.get(line_key(42)).unwrap().unwrap().to_vec();
        let at = line.windows(9).position(|w| w == b"\"summary\"").unwrap() + 12;
        line[at] ^= 0x01;
        tree.insert(line_key(42), line).unwrap();
    });
    let store = SledStore::open(dir.path()).unwrap();
    let chain = followup::verify_chain(&store).unwrap();
    assert_eq!(chain.broken.map(|b| b.position), Some(42));
    drop(store);
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2));
    assert_eq!(v["chain"]["broken"]["position"], 42);
}

#[test]
fn a_removed_event_is_found_where_the_gap_is() {
    let dir = case_store();
    under_the_store(dir.path(), |tree| {
        tree.remove(line_key(13)).unwrap();
    });
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2));
    assert_eq!(v["chain"]["broken"]["position"], 13);
}

#[test]
fn an_event_re_sealed_with_a_fresh_hash_still_breaks_the_chain_after_it() {
    // A forger who rewrites an event and recomputes its own hash cannot fix the next event's prev_hash.
    let dir = case_store();
    under_the_store(dir.path(), |tree| {
        let line = tree.get(line_key(7)).unwrap().unwrap().to_vec();
        let text = String::from_utf8(line).unwrap();
        let Ok(events::Line::Recorded(mut e)) = events::decode(text.as_bytes()) else { panic!() };
        e.source.locator = "forged".into();
        let (_, forged) = events::RecordedEvent::seal(
            e.to_new(),
            e.version,
            e.position,
            e.recorded_at,
            e.recorded_by.clone(),
            e.prev_hash,
        );
        tree.insert(line_key(7), forged).unwrap();
    });
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2));
    assert_eq!(v["chain"]["broken"]["position"], 8, "position 7 hashes to itself, but 8 names the old hash");
}

#[test]
fn a_removed_head_a_line_past_it_and_bent_indexes_are_found() {
    let head_key = b"Mhead".to_vec();
    type Change = Box<dyn Fn(&sled::Tree)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "head removed",
            Box::new(move |t: &sled::Tree| {
                t.remove(&head_key).unwrap();
            }),
        ),
        (
            "a line past the head",
            Box::new(|t: &sled::Tree| {
                let line = t.get(line_key(79)).unwrap().unwrap();
                t.insert(line_key(80), line).unwrap();
            }),
        ),
        (
            "an id pointed elsewhere",
            Box::new(|t: &sled::Tree| {
                let key = t.scan_prefix(b"I").next().unwrap().unwrap().0;
                let pos = u64::from_be_bytes(t.get(&key).unwrap().unwrap().as_ref().try_into().unwrap());
                t.insert(key, &(if pos == 1 { 2u64 } else { 1u64 }).to_be_bytes()).unwrap();
            }),
        ),
        (
            "a stream version lowered",
            Box::new(|t: &sled::Tree| {
                t.insert(b"Vra-amsterdam-2013-nazorg/3", &1u64.to_be_bytes()).unwrap();
            }),
        ),
    ];
    for (what, change) in cases {
        let dir = case_store();
        under_the_store(dir.path(), |t| change(t));
        let (code, v) = verify(dir.path());
        assert_eq!(code, Some(2), "{what}: {v}");
        assert_eq!(v["chain"]["ok"], false, "{what}");
    }
}

#[test]
fn a_store_whose_log_file_is_overwritten_fails_verify_with_exit_2_not_3() {
    let dir = case_store();
    // sled's log file replaced by other bytes (an export written over it, say)
    std::fs::write(dir.path().join("db"), CASE.as_bytes()).unwrap();
    let out = Command::cargo_bin("followup").unwrap().arg("--store").arg(dir.path()).arg("verify").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("verification failed") && err.contains("its files are damaged"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
