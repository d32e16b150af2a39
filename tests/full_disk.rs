//! A disk that fills: on a small tmpfs (which needs root and `mount`; elsewhere the test says so and stops), an
//! import too large for the room left is refused before it writes, and the store opens and verifies after.

use std::path::Path;
use std::process::Command;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");

fn followup(store: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_followup"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("FOLLOWUP_STORE")
        .env("FOLLOWUP_RECORDED_BY", "full disk test")
        .output()
        .unwrap()
}

struct Tmpfs(std::path::PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn an_import_too_large_for_a_nearly_full_disk_is_refused_before_it_writes_and_the_store_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("disk");
    std::fs::create_dir(&mount).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=12m", "tmpfs"]).arg(&mount).output();
    if !mounted.is_ok_and(|o| o.status.success()) {
        eprintln!("not run: mounting a tmpfs needs root and mount(8)");
        return;
    }
    let _unmount = Tmpfs(mount.clone());
    let store = mount.join("s");
    assert!(followup(&store, &["import", CASE]).status.success());
    // About 15 MB of input: a stored event takes up to 5 times its line, more than the disk has left.
    let big = dir.path().join("big.jsonl");
    let generated =
        Command::new(env!("CARGO_BIN_EXE_followup")).args(["generate", "--reports", "300"]).output().unwrap();
    std::fs::write(&big, &generated.stdout).unwrap();
    let size_before = std::fs::metadata(store.join("db")).unwrap().len();
    let out = followup(&store, &["import", big.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(75));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("the disk holding the store has ") && stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(std::fs::metadata(store.join("db")).unwrap().len(), size_before, "nothing was written");
    let verified = followup(&store, &["verify"]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    assert!(String::from_utf8(verified.stdout).unwrap().contains("Hash chain intact: 79 events"));
}
