//! Hostile input, fed to `import` and `record`: the corpus in `tests/hostile/` plus a 10 MB line made here.
//! What Windows tools write (a byte order mark, CRLF) and a real 29 February are accepted; everything else is
//! refused naming the line and the field, writes nothing, and never panics.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile").join(name)
}

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "hostile test");
    cmd
}

fn export(store: &Path) -> Vec<u8> {
    followup(store).arg("export").output().unwrap().stdout
}

/// Imports `file` into a store holding the case; returns exit code and standard error, and checks that nothing
/// was written when it is refused.
fn import(file: &Path) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    let before = export(dir.path());
    let out = followup(dir.path()).arg("import").arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{}: {stderr}", file.display());
    if !out.status.success() {
        assert_eq!(export(dir.path()), before, "{}: a refused import wrote something", file.display());
    }
    (out.status.code(), stderr)
}

#[test]
fn a_byte_order_mark_crlf_and_29_february_2016_are_accepted() {
    let (code, err) = import(&corpus("ok-bom-crlf.jsonl"));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn every_hostile_file_is_refused_naming_its_line_and_field() {
    let cases: [(&str, &str); 17] = [
        ("bad-utf8.jsonl", "line 2: the line is not valid UTF-8"),
        ("bad-nested.jsonl", "line 2: field `data.x`: unknown field `x`"),
        ("bad-duplicate-key.jsonl", "line 2: field `type`: duplicate field `type`"),
        ("bad-unknown-type.jsonl", "line 2: field `type`: unknown event type `action_took`"),
        ("bad-unknown-field.jsonl", "line 2: field `data.colour`: unknown field `colour`"),
        ("bad-missing-field.jsonl", "line 2: field `data`: missing field `summary`"),
        ("bad-date-2013-02-30.jsonl", "line 2: field `occurred`: `2013-02-30` is not a calendar day"),
        ("bad-date-2015-02-29.jsonl", "line 2: field `occurred`: `2015-02-29` is not a calendar day"),
        ("bad-empty.jsonl", "nothing to import"),
        ("bad-blank-lines.jsonl", "nothing to import"),
        ("bad-stream-dotdot.jsonl", "line 2: field `stream`: `../etc/passwd` is not a stream id"),
        ("bad-stream-control.jsonl", "line 2: field `stream`: `h-2020\\u{7}/1` is not a stream id"),
        ("bad-verdict-on-report.jsonl", "line 2: field `stream`: a verdict belongs on a recommendation stream"),
        (
            "bad-unknown-evidence.jsonl",
            "line 2: field `data.evidence[0]`: event 00000000-0000-4000-8000-0000000000ee is not in the store",
        ),
        ("bad-number-out-of-range.jsonl", "line 1: field `data.number`"),
        ("bad-amount-out-of-range.jsonl", "line 2: field `data.amount`"),
        ("bad-negative-votes.jsonl", "line 2: field `data.votes`"),
    ];
    for (file, expected) in cases {
        let (code, err) = import(&corpus(file));
        assert_eq!(code, Some(1), "{file}: {err}");
        assert!(err.contains(expected), "{file}: expected {expected:?} in {err}");
    }
}

#[test]
fn a_10_mb_line_is_refused_without_being_held() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.jsonl");
    let huge = format!("{{\"stream\":\"h-2020\",\"type\":\"context_noted\",\"occurred\":\"2020\",\"source\":{{\"document\":\"D\",\"locator\":\"L\"}},\"data\":{{\"summary\":\"{}\"}}}}\n", "x".repeat(10 << 20));
    std::fs::write(&file, huge).unwrap();
    let (code, err) = import(&file);
    assert_eq!(code, Some(1));
    assert!(err.contains("line 1: the line is longer than the limit of 66560 bytes"), "{err}");
}

#[test]
fn record_refuses_the_same_lines_with_one_line_of_error() {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    let before = export(dir.path());
    for file in [
        "bad-unknown-field.jsonl",
        "bad-date-2015-02-29.jsonl",
        "bad-stream-dotdot.jsonl",
        "bad-verdict-on-report.jsonl",
        "bad-unknown-evidence.jsonl",
        "bad-duplicate-key.jsonl",
    ] {
        let text = std::fs::read_to_string(corpus(file)).unwrap();
        let last = text.lines().last().unwrap();
        let out = followup(dir.path()).arg("record").arg(last).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{file}: {err}");
        assert!(err.contains("field `"), "{file}: {err}");
    }
    assert_eq!(export(dir.path()), before);
}
