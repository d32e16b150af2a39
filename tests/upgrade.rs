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

/// Changes the raw sled tree of a closed store.
fn under(store: &Path, change: impl FnOnce(&sled::Tree)) {
    let db = loop {
        match sled::Config::new().path(store).segment_size(8 << 20).open() {
            Ok(db) => break db,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let tree = db.open_tree("followup").unwrap();
    change(&tree);
    db.flush().unwrap();
}

#[test]
fn an_upgrade_killed_part_way_is_done_again_on_the_next_open() {
    // given the fixture, still format 1, holding what a killed upgrade wrote: a commit record and an id segment
    let dir = tempfile::tempdir().unwrap();
    let store = fixture_copy(dir.path(), "store");
    under(&store, |t| {
        let mut c = vec![b'C'];
        c.extend_from_slice(&1u64.to_be_bytes());
        t.insert(c, &[0u8, 0, 0, 0, 1, 0, 0, 0, 1, b'x'][..]).unwrap();
        t.insert(&[b'I', 0, 7, 0, 0, 0, 0, 0, 0, 0, 9][..], &[0u8; 24][..]).unwrap();
    });
    // when it is opened, then the upgrade starts again and the export is the fixture's
    let out = followup(&store, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == FIXTURE_EXPORT.as_bytes());
    assert_eq!(followup(&store, &["verify"]).status.code(), Some(0));
}

#[test]
fn an_upgrade_killed_while_removing_format_1_keys_is_finished_on_the_next_open() {
    // given an upgraded store with a format-1 line and id key left, and the marker that says so
    let dir = tempfile::tempdir().unwrap();
    let store = fixture_copy(dir.path(), "store");
    assert!(followup(&store, &["export"]).status.success());
    under(&store, |t| {
        let mut l = vec![b'L'];
        l.extend_from_slice(&5u64.to_be_bytes());
        t.insert(l, &b"{}"[..]).unwrap();
        let mut i = vec![b'I'];
        i.extend_from_slice(&[3; 16]);
        t.insert(i, &5u64.to_be_bytes()).unwrap();
        t.insert(&b"Mformat-1-leftovers"[..], &[][..]).unwrap();
    });
    // when it is opened, then they are gone and the store is as before
    let out = followup(&store, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let kinds = key_kinds(&store);
    assert_eq!(kinds.get(&'L'), None, "{kinds:?}");
    assert!(followup(&store, &["export"]).stdout == FIXTURE_EXPORT.as_bytes());
}

#[test]
fn the_upgrade_keeps_the_directory_its_files_modes_and_what_else_it_holds() {
    use std::os::unix::fs::PermissionsExt;
    // given the fixture behind a symbolic link, private, with a file of the user's beside sled's
    let dir = tempfile::tempdir().unwrap();
    let store = fixture_copy(dir.path(), "real");
    std::fs::write(store.join("notes.txt"), "mine").unwrap();
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(store.join("db"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&store, &link).unwrap();
    // when it is upgraded through the link
    let out = followup(&link, &["export"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == FIXTURE_EXPORT.as_bytes());
    // then the link still points at the store, upgraded in place, with its modes and the user's file
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(key_kinds(&store).get(&'L'), None);
    assert_eq!(std::fs::metadata(&store).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(store.join("db")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(store.join("notes.txt")).unwrap(), "mine");
    let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(beside.len(), 2, "nothing was made beside it: {beside:?}");
}

#[test]
fn processes_opening_a_format_1_store_at_once_lose_nothing() {
    // given the fixture, and four records started at once, each opening it first
    let dir = tempfile::tempdir().unwrap();
    let store = fixture_copy(dir.path(), "store");
    let line = |n: u32| {
        format!(
            r#"{{"stream":"gemeente-x-2024/{n}","type":"recommendation_issued","occurred":"2024-03","source":{{"document":"Rapport X","locator":"§ {n}"}},"data":{{"number":{n},"text":"aanbeveling {n}"}}}}"#
        )
    };
    let spawned: Vec<_> = (2..=5)
        .map(|n| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("followup"))
                .arg("--store")
                .arg(&store)
                .args(["record", &line(n)])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut acknowledged = 0;
    for child in spawned {
        let out = child.wait_with_output().unwrap();
        match out.status.code() {
            Some(0) => acknowledged += 1,
            Some(75) => assert!(String::from_utf8_lossy(&out.stderr).contains("in use")),
            other => panic!("{other:?}: {}", String::from_utf8_lossy(&out.stderr)),
        }
    }
    // then each was acknowledged or told the store is in use, and every acknowledged event is in the store
    let export = String::from_utf8(followup(&store, &["export"]).stdout).unwrap();
    assert!(export.starts_with(FIXTURE_EXPORT));
    assert!(acknowledged >= 1);
    assert_eq!(export.lines().count(), 82 + acknowledged);
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
