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

/// Format 2's key of the commit record whose first line is at `position`.
fn record_key(position: u64) -> Vec<u8> {
    let mut k = vec![b'C'];
    k.extend_from_slice(&position.to_be_bytes());
    k
}

/// The commit record holding `position`: its first position and its lines (format 2, as ARCHITECTURE.md gives
/// it: a flag byte, 0 plain or 1 LZ4 with the size first; then a u32 count, u32 lengths and the lines).
fn record_holding(tree: &sled::Tree, position: u64) -> (u64, Vec<Vec<u8>>) {
    let (k, v) = tree.range(record_key(0)..=record_key(position)).next_back().unwrap().unwrap();
    let first = u64::from_be_bytes(k[1..].try_into().unwrap());
    let payload = match v[0] {
        0 => v[1..].to_vec(),
        1 => lz4_flex::decompress_size_prepended(&v[1..]).unwrap(),
        other => panic!("flag {other}"),
    };
    let u32_at = |at: usize| u32::from_be_bytes(payload[at..at + 4].try_into().unwrap()) as usize;
    let count = u32_at(0);
    let mut at = 4 + 4 * count;
    let mut lines = Vec::new();
    for i in 0..count {
        let len = u32_at(4 + 4 * i);
        lines.push(payload[at..at + len].to_vec());
        at += len;
    }
    assert!(position < first + lines.len() as u64, "a record holds position {position}");
    (first, lines)
}

/// Writes a commit record of `lines` at `first`, uncompressed.
fn put_record(tree: &sled::Tree, first: u64, lines: &[Vec<u8>]) {
    let mut v = vec![0u8];
    v.extend_from_slice(&(lines.len() as u32).to_be_bytes());
    for l in lines {
        v.extend_from_slice(&(l.len() as u32).to_be_bytes());
    }
    for l in lines {
        v.extend_from_slice(l);
    }
    tree.insert(record_key(first), v).unwrap();
}

/// Changes the stored line at `position` in its commit record (`None` removes it).
fn change_line(tree: &sled::Tree, position: u64, change: impl FnOnce(Vec<u8>) -> Option<Vec<u8>>) {
    let (first, mut lines) = record_holding(tree, position);
    let i = (position - first) as usize;
    match change(lines[i].clone()) {
        Some(line) => lines[i] = line,
        None => {
            lines.remove(i);
        }
    }
    put_record(tree, first, &lines);
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
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("verify printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

#[test]
fn a_changed_byte_in_a_stored_event_is_found_at_its_position() {
    let dir = case_store();
    under_the_store(dir.path(), |tree| {
        change_line(tree, 42, |mut line| {
            let at = line.windows(9).position(|w| w == b"\"summary\"").unwrap() + 12;
            line[at] ^= 0x01;
            Some(line)
        })
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
        change_line(tree, 13, |_| None);
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
        let (first, lines) = record_holding(tree, 7);
        let text = String::from_utf8(lines[(7 - first) as usize].clone()).unwrap();
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
        change_line(tree, 7, |_| Some(forged));
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
                let (first, lines) = record_holding(t, 79);
                put_record(t, 80, &lines[(79 - first) as usize..]);
            }),
        ),
        (
            "an id pointed elsewhere",
            Box::new(|t: &sled::Tree| {
                // an id segment: 16-byte ids, each followed by its position (u64)
                let (key, segment) = t.scan_prefix(b"I").next().unwrap().unwrap();
                let mut segment = segment.to_vec();
                let pos = u64::from_be_bytes(segment[16..24].try_into().unwrap());
                segment[16..24].copy_from_slice(&(if pos == 1 { 2u64 } else { 1u64 }).to_be_bytes());
                t.insert(key, segment).unwrap();
            }),
        ),
        (
            "a stream segment pointed elsewhere",
            Box::new(|t: &sled::Tree| {
                let key = b"Sra-amsterdam-2013-nazorg/3\0".to_vec();
                let (key, segment) = t.scan_prefix(&key).next().unwrap().unwrap();
                let mut segment = segment.to_vec();
                segment[..8].copy_from_slice(&1u64.to_be_bytes());
                t.insert(key, segment).unwrap();
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
fn a_bent_index_entry_is_named_by_the_event_it_should_point_at() {
    // given the stream segment of recommendation 3 pointing its first version at position 1
    let dir = case_store();
    let mut first = 0;
    under_the_store(dir.path(), |t| {
        let (key, segment) = t.scan_prefix(b"Sra-amsterdam-2013-nazorg/3\0").next().unwrap().unwrap();
        let mut segment = segment.to_vec();
        first = u64::from_be_bytes(segment[..8].try_into().unwrap());
        segment[..8].copy_from_slice(&1u64.to_be_bytes());
        t.insert(key, segment).unwrap();
    });
    // then verify names the event the entry should point at
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2), "{v}");
    assert_eq!(v["chain"]["broken"]["position"], first, "{v}");
    let reason = v["chain"]["broken"]["reason"].as_str().unwrap();
    assert!(reason.contains("ra-amsterdam-2013-nazorg/3 version 1"), "{reason}");
}

#[test]
fn a_changed_byte_inside_a_compressed_record_is_found_and_named_by_position() {
    // given the Amsterdam case, whose commit records are stored compressed
    let dir = case_store();
    let mut range = (0, 0);
    under_the_store(dir.path(), |tree| {
        let (first, lines) = record_holding(tree, 42);
        range = (first, first + lines.len() as u64 - 1);
        let (key, value) = tree.range(record_key(0)..=record_key(42)).next_back().unwrap().unwrap();
        assert_eq!(value[0], 1, "the record is compressed");
        // a byte of the summary of position 42 as it stands, literally, in the compressed bytes
        let line = &lines[(42 - first) as usize];
        let summary = line.windows(9).position(|w| w == b"\"summary\"").unwrap() + 11;
        let once = |hay: &[u8], w: &[u8]| hay.windows(w.len()).filter(|x| *x == w).count() == 1;
        let whole: Vec<u8> = lines.concat();
        let at = (summary..line.len() - 8)
            .find(|&i| once(&value, &line[i..i + 8]) && once(&whole, &line[i..i + 8]))
            .expect("some of the summary stands literally in the compressed bytes");
        let mut value = value.to_vec();
        let found = value.windows(8).position(|w| w == &line[at..at + 8]).unwrap();
        value[found + 4] ^= 0x01;
        tree.insert(key, value).unwrap();
    });
    // then verify names position 42: the line decompresses with one byte changed, and its hash no longer holds
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2), "{v}");
    assert_eq!(v["chain"]["broken"]["position"], 42, "{v}");
    assert!(range.0 <= 42 && 42 <= range.1);
}

#[test]
fn a_record_that_no_longer_decompresses_is_named_by_its_first_position() {
    // given a commit record whose compressed bytes are cut short
    let dir = case_store();
    let mut first = 0;
    under_the_store(dir.path(), |tree| {
        let (key, value) = tree.range(record_key(0)..=record_key(42)).next_back().unwrap().unwrap();
        first = u64::from_be_bytes(key[1..].try_into().unwrap());
        tree.insert(key, &value[..value.len() / 2]).unwrap();
    });
    // then verify stops there, naming the record's first position and why
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2), "{v}");
    assert_eq!(v["chain"]["broken"]["position"], first, "{v}");
    assert!(v["chain"]["broken"]["reason"].as_str().unwrap().contains("commit record"), "{v}");
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

#[test]
fn an_id_entry_bent_past_the_head_fails_an_import_of_the_same_events_instead_of_waiting_for_ever() {
    // given a store whose id index points one event past the head
    let dir = case_store();
    under_the_store(dir.path(), |t| {
        for kv in t.scan_prefix(b"I") {
            let (key, segment) = kv.unwrap();
            let mut segment = segment.to_vec();
            for entry in segment.chunks_exact_mut(24) {
                entry[16..24].copy_from_slice(&500u64.to_be_bytes());
            }
            t.insert(key, segment).unwrap();
        }
    });
    // when the case is imported into it again (every event a resend)
    let out = Command::cargo_bin("followup")
        .unwrap()
        .arg("--store")
        .arg(dir.path())
        .args(["import", "examples/nazorg-amsterdam.jsonl"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    // then it fails, naming the damage, instead of flushing for ever
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("past the head"), "{err}");
    // and verify names the bent index
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2), "{v}");
    assert!(v["chain"]["broken"]["reason"].as_str().unwrap().contains("id index"), "{v}");
}

#[test]
fn a_store_whose_head_record_is_lost_refuses_writes_and_says_so_on_every_read() {
    // given a store whose head record was removed, its events still there
    let dir = case_store();
    under_the_store(dir.path(), |t| {
        t.remove(b"Mhead").unwrap();
    });
    let run = |args: &[&str]| {
        Command::cargo_bin("followup")
            .unwrap()
            .arg("--store")
            .arg(dir.path())
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap()
    };
    // when a new event is recorded, then it is refused, naming the damage: nothing is overwritten
    let line = r#"{"stream":"ra-amsterdam-2013-nazorg/1","type":"auditor_commented","occurred":"2018","source":{"document":"D","locator":"L"},"data":{"summary":"late"}}"#;
    let out = run(&["record", line]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("past its head"), "{err}");
    // as damage, not as a store busy for now: trying again would not help
    assert_ne!(out.status.code(), Some(75), "{err}");
    assert!(!err.contains("reopen"), "{err}");
    // and an export or a status fails instead of printing an empty log
    for args in [&["export"][..], &["status"][..]] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("past its head"), "{args:?}: {err}");
    }
    // and the events are all still there, below the lost head
    under_the_store(dir.path(), |t| {
        assert_eq!(record_holding(t, 79).1.len() as u64 + record_holding(t, 79).0 - 1, 79);
    });
}

#[test]
fn a_lost_commit_record_fails_every_replay_naming_where_the_gap_begins() {
    // given a store of three imports, the middle one's record removed
    let dir = case_store();
    let more = |tag: &str| {
        (1..=3)
            .map(|i| {
                format!(
                    r#"{{"stream":"ra-amsterdam-2013-nazorg","type":"context_noted","occurred":"2018","source":{{"document":"D","locator":"{tag}{i}"}},"data":{{"summary":"{tag} {i}"}}}}"#
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    {
        let store = SledStore::open(dir.path()).unwrap();
        followup::import(&store, more("a").as_bytes(), "t", |_| {}).unwrap();
        followup::import(&store, more("b").as_bytes(), "t", |_| {}).unwrap();
    }
    under_the_store(dir.path(), |t| {
        t.remove(record_key(80)).unwrap();
    });
    // when the log is replayed, then status, summary and export fail naming position 80
    for args in [&["status"][..], &["summary"][..], &["export"][..]] {
        let out = Command::cargo_bin("followup").unwrap().arg("--store").arg(dir.path()).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("position 80") && err.contains("no commit record"), "{args:?}: {err}");
    }
    let (code, v) = verify(dir.path());
    assert_eq!(code, Some(2));
    assert_eq!(v["chain"]["broken"]["position"], 80, "{v}");
}
