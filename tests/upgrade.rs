//! A store written in format 1 (one sled value per event) is upgraded to format 2 when it is opened, and
//! exports byte for byte what it exported before. The fixture `tests/fixtures/format-1` was written by the
//! format-1 release: the Amsterdam case imported, then three events recorded (one a retraction);
//! `tests/fixtures/format-1.jsonl` is its export by that release.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const FIXTURE_EXPORT: &str = include_str!("fixtures/format-1.jsonl");

/// A copy of the format-1 fixture in a temporary directory, as `dir/name`.
fn fixture_copy(dir: &Path, name: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-1");
    let to = dir.join(name);
    std::fs::create_dir_all(to.join("blobs")).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    to
}

fn followup(store: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("followup").unwrap().arg("--store").arg(store).args(args).output().unwrap()
}

/// The keys of the closed store's tree, by their first byte.
fn key_kinds(store: &Path) -> std::collections::BTreeMap<char, usize> {
    let db = loop {
        match sled::Config::new().path(store).segment_size(8 << 20).open() {
            Ok(db) => break db,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let tree = db.open_tree("followup").unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    for kv in tree.iter() {
        *kinds.entry(kv.unwrap().0[0] as char).or_insert(0) += 1;
    }
    kinds
}

#[test]
fn a_format_1_store_is_upgraded_on_open_and_exports_the_same_bytes() {
    // given the format-1 fixture, one sled value per event
    let dir = tempfile::tempdir().unwrap();
    let store = fixture_copy(dir.path(), "store");
    assert_eq!(key_kinds(&store).get(&'L'), Some(&82));
    // when it is exported by this release
    let out = followup(&store, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // then the export is byte for byte the format-1 release's
    assert!(String::from_utf8(out.stdout).unwrap() == FIXTURE_EXPORT, "the export differs from the format-1 export");
    // and the store is in format 2 now: commit records, no line keys, nothing left beside it
    let kinds = key_kinds(&store);
    assert_eq!(kinds.get(&'L'), None, "{kinds:?}");
    assert!(kinds.get(&'C').is_some_and(|&n| n >= 1), "{kinds:?}");
    let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("store")], "the old store and the temporary one are gone");
    // and it verifies, and takes new events after the old ones
    let out = followup(&store, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let line = r#"{"stream":"gemeente-x-2024/1","type":"auditor_commented","occurred":"2024-07","source":{"document":"Brief","locator":"p. 4"},"data":{"summary":"Na de upgrade."}}"#;
    let out = followup(&store, &["record", line]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("position 83"));
    let export = String::from_utf8(followup(&store, &["export"]).stdout).unwrap();
    assert!(export.starts_with(FIXTURE_EXPORT), "the upgraded log is kept as it was, the new event after it");
}

#[test]
fn an_upgrade_killed_between_its_renames_is_finished_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    // given the old store moved aside and the new one not yet in its place (killed after step 2)
    let aside = fixture_copy(dir.path(), ".store.format-1");
    let store = dir.path().join("store");
    // when the store is opened, then the old store is put back and upgraded
    let out = followup(&store, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == FIXTURE_EXPORT.as_bytes());
    assert!(!aside.exists());

    // given the new store in place and the old one still beside it (killed after step 3)
    let aside = fixture_copy(dir.path(), ".store.format-1");
    // when the store is opened, then the old one is removed and the new one used
    let out = followup(&store, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == FIXTURE_EXPORT.as_bytes());
    assert!(!aside.exists());
    assert_eq!(key_kinds(&store).get(&'L'), None);
}

#[test]
fn a_refused_write_to_a_store_whose_upgrade_was_interrupted_keeps_the_store() {
    // given a store whose old copy waits beside it, moved aside by an upgrade killed after its second step
    let dir = tempfile::tempdir().unwrap();
    fixture_copy(dir.path(), ".store.format-1");
    let store = dir.path().join("store");
    // when a write to it is refused by the store (a stream said to be new exists)
    let line = r#"{"stream":"gemeente-x-2024/1","type":"auditor_commented","occurred":"2024-07","source":{"document":"Brief","locator":"p. 4"},"data":{"summary":"Te laat."}}"#;
    let out = followup(&store, &["record", "--expect", "no-stream", line]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("gemeente-x-2024/1"), "{err}");
    // then the store is there, upgraded, with every event it had: the refusal did not take it for a new one
    let out = followup(&store, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == FIXTURE_EXPORT.as_bytes());
}

#[test]
fn lines_a_killed_format_1_write_left_past_the_head_are_not_upgraded() {
    // given the fixture with a line past its head and the marker of a write that did not complete
    let dir = tempfile::tempdir().unwrap();
    let store = fixture_copy(dir.path(), "store");
    {
        let db = sled::Config::new().path(&store).segment_size(8 << 20).open().unwrap();
        let tree = db.open_tree("followup").unwrap();
        let mut key = vec![b'L'];
        key.extend_from_slice(&82u64.to_be_bytes());
        let last = tree.get(&key).unwrap().unwrap();
        key[1..].copy_from_slice(&83u64.to_be_bytes());
        tree.insert(key, last).unwrap();
        tree.insert(b"Muncommitted", &83u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    // when it is opened, then it is upgraded without them: the export is the fixture's, and it verifies
    let out = followup(&store, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == FIXTURE_EXPORT.as_bytes());
    let out = followup(&store, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
