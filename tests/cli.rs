//! The `followup` command line as a user runs it: the Amsterdam case end to end, all-or-nothing import,
//! export round trips, record with expected versions, and a held store.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "cli test");
    cmd
}

fn json(cmd: &mut Command) -> Value {
    let out = cmd.arg("--format").arg("json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn export(store: &Path) -> Vec<u8> {
    let out = followup(store).arg("export").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn field(status: &Value, name: &str) -> Vec<Value> {
    status["recommendations"].as_array().unwrap().iter().map(|r| r[name].clone()).collect()
}

#[test]
fn demo_prints_the_five_verdicts_the_timeline_and_an_intact_chain() {
    let dir = tempfile::tempdir().unwrap();
    let out = json(followup(dir.path()).arg("demo"));
    assert_eq!(
        field(&out["status"], "verdict"),
        ["not_implemented", "implemented", "implemented", "implemented", "partially_implemented"]
    );
    let entries = out["timeline"]["entries"].as_array().unwrap();
    // Entries dated only by their year follow the year's precisely dated ones: 2017's come last, and no entry of
    // "2013" stands above the report published in May 2013.
    assert_eq!(entries.last().unwrap()["occurred"], "2017");
    let at = |f: &dyn Fn(&serde_json::Value) -> bool| entries.iter().position(f).unwrap();
    let published = at(&|e| e["occurred"] == "2013-05" && e["type"] == "report_published");
    assert!(at(&|e| e["occurred"] == "2013") > published);
    assert_eq!(out["chain"]["ok"], true);
    assert_eq!(out["chain"]["events"], 79);

    let text = followup(dir.path()).arg("demo").output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    for words in [
        "not implemented",
        "partially implemented",
        "adopted with reservations",
        "December 2017",
        "Hash chain intact: 79 events",
    ] {
        assert!(text.contains(words), "demo output lacks {words:?}");
    }
}

#[test]
fn importing_the_case_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = json(followup(dir.path()).arg("import").arg(CASE));
    assert_eq!((first["events"].as_u64(), first["appended"].as_u64()), (Some(79), Some(79)));
    let second = json(followup(dir.path()).arg("import").arg(CASE));
    assert_eq!((second["appended"].as_u64(), second["already_present"].as_u64()), (Some(0), Some(79)));
    assert_eq!(second["head"], first["head"]);
}

#[test]
fn status_as_of_2016_shows_no_verdicts_and_the_2013_stances_and_today_the_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    let then = json(followup(dir.path()).args(["status", "--as-of", "2016-12-31"]));
    assert_eq!(field(&then, "verdict"), [Value::Null, Value::Null, Value::Null, Value::Null, Value::Null]);
    assert_eq!(field(&then, "stance"), ["adopted", "adopted_with_reservations", "adopted", "adopted", "adopted"]);
    assert_eq!(field(&then, "id"), (1..=5).map(|n| format!("ra-amsterdam-2013-nazorg/{n}")).collect::<Vec<_>>());
    let now = json(followup(dir.path()).arg("status"));
    assert_eq!(
        field(&now, "verdict"),
        ["not_implemented", "implemented", "implemented", "implemented", "partially_implemented"]
    );
    assert_eq!(field(&now, "verdict_as_of"), ["2017-11", "2017-11", "2017-11", "2017-12", "2017-11"]);
    assert_eq!(now["recommendations"][2]["totals_cents"]["EUR"], 159_500_000);
}

#[test]
fn a_file_with_one_bad_line_is_refused_whole_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    let before = export(dir.path());
    let good = r#"{"stream":"ra-amsterdam-2013-nazorg","type":"context_noted","occurred":"2018","source":{"document":"D","locator":"L"},"data":{"summary":"new"}}"#;
    let bad = good.replace("2018", "2018-02-30");
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, format!("{good}\n{}\n{bad}\n", good.replace("new", "newer"))).unwrap();
    let out = followup(dir.path()).arg("import").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("line 3: field `occurred`"), "{stderr}");
    assert!(stderr.contains("2018-02-30"), "{stderr}");
    assert_eq!(export(dir.path()), before, "the store is unchanged");
}

#[test]
fn an_export_imported_into_an_empty_store_exports_the_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    followup(a.path()).arg("import").arg(CASE).assert().success();
    followup(a.path())
        .args([
            "record",
            "--stream",
            "ra-amsterdam-2013-nazorg/5",
            "--type",
            "executive_reported",
            "--occurred",
            "2018-03",
        ])
        .args([
            "--document",
            "Brief",
            "--locator",
            "p. 2",
            "--data",
            r#"{"claim":"in_progress","summary":"monitor grows"}"#,
        ])
        .assert()
        .success();
    let file = a.path().join("export.jsonl");
    followup(a.path()).args(["export", "--out"]).arg(&file).assert().success();
    let exported = std::fs::read(&file).unwrap();
    assert_eq!(exported, export(a.path()));
    followup(b.path()).arg("import").arg(&file).assert().success();
    assert_eq!(export(b.path()), exported);
    let again = json(followup(b.path()).arg("import").arg(&file));
    assert_eq!(again["appended"], 0);
}

#[test]
fn record_honours_the_expected_version() {
    let dir = tempfile::tempdir().unwrap();
    let line = |summary: &str| {
        format!(
            r#"{{"stream":"x-2020/1","type":"recommendation_issued","occurred":"2020-01-02","source":{{"document":"D","locator":"1"}},"data":{{"number":1,"text":"{summary}"}}}}"#
        )
    };
    let first = json(followup(dir.path()).args(["record", "--expect", "no-stream"]).arg(line("one")));
    assert_eq!(
        (first["version"].as_u64(), first["position"].as_u64(), first["appended"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    let out = followup(dir.path()).args(["record", "--expect", "no-stream"]).arg(line("two")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stream x-2020/1 is at version 1, expected no-stream"));
    let out = followup(dir.path()).args(["record", "--expect", "5"]).arg(line("two")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("is at version 1, expected 5"));
    let ok = json(followup(dir.path()).args(["record", "--expect", "1"]).arg(line("two")));
    assert_eq!((ok["version"].as_u64(), ok["position"].as_u64()), (Some(2), Some(2)));
    let resent = json(followup(dir.path()).args(["record", "--expect", "1"]).arg(line("two")));
    assert_eq!((resent["appended"].as_u64(), resent["position"].as_u64()), (Some(0), Some(2)), "a resend is a no-op");
}

#[test]
fn record_refuses_invalid_events_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = followup(dir.path())
        .args([
            "record",
            "--stream",
            "r",
            "--type",
            "status_assessed",
            "--occurred",
            "2017",
            "--document",
            "D",
            "--locator",
            "L",
        ])
        .args(["--data", r#"{"verdict":"implemented","as_of":"2017","assessor":"A","rationale":"R","evidence":[]}"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("field `stream`: a verdict belongs on a recommendation stream"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn a_held_store_gives_a_clear_error_and_its_own_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let _held = followup::SledStore::open(dir.path()).unwrap();
    let out = followup(dir.path()).arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(75));
    assert!(String::from_utf8_lossy(&out.stderr).contains("store in use"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_timeline_of_one_recommendation_is_in_timeline_order() {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    let t = json(followup(dir.path()).args(["timeline", "--rec", "ra-amsterdam-2013-nazorg/3"]));
    let entries = t["entries"].as_array().unwrap();
    // By the year the date starts in; within it the precise dates first, then those covering the whole year.
    let keys: Vec<(i16, bool, events::Date, events::Date, u64)> = entries
        .iter()
        .map(|e| {
            let d: events::PartialDate = e["occurred"].as_str().unwrap().parse().unwrap();
            let whole_year = d.start().day_of_year() == 1 && d.end() >= d.start().last_of_year();
            (d.start().year(), whole_year, d.start(), d.end(), e["position"].as_u64().unwrap())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(entries
        .iter()
        .all(|e| e["stream"] == "ra-amsterdam-2013-nazorg/3" || e["stream"] == "ra-amsterdam-2013-nazorg"));
    assert_eq!(entries.iter().filter(|e| e["type"] == "status_assessed").count(), 1);
    let again = json(followup(dir.path()).args(["timeline", "--rec", "ra-amsterdam-2013-nazorg/3"]));
    assert_eq!(again, t, "the same order on every run");
}

// ---------------------------------------------------------------------------------------------------------------
// Regressions found by trying to break the tool.
// ---------------------------------------------------------------------------------------------------------------

fn stderr_of(cmd: &mut Command) -> (Option<i32>, String) {
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn an_export_holding_an_event_near_the_size_limit_re_imports() {
    let (files, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = files.path().join("store");
    let head = r#"{"stream":"big-2020","type":"context_noted","occurred":"2020","source":{"document":"D","locator":"L"},"data":{"summary":""#;
    let tail = r#""}}"#;
    let line = format!("{head}{}{tail}", "x".repeat(events::MAX_LINE_BYTES - head.len() - tail.len()));
    assert_eq!(line.len(), events::MAX_LINE_BYTES);
    let file = files.path().join("big.jsonl");
    std::fs::write(&file, &line).unwrap();
    followup(&a).arg("import").arg(&file).assert().success();
    let exported = export(&a);
    assert!(exported.len() > events::MAX_LINE_BYTES, "the stored line is longer than the input line");
    let copy = files.path().join("export.jsonl");
    std::fs::write(&copy, &exported).unwrap();
    followup(b.path()).arg("import").arg(&copy).assert().success();
    assert_eq!(export(b.path()), exported);
}

#[test]
fn export_out_writes_through_a_symbolic_link_and_keeps_a_file_s_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = case_dir();
    let target = dir.path().join("target.jsonl");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    followup(dir.path()).args(["export", "--out"]).arg(&link).assert().success();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    assert_eq!(std::fs::read(&target).unwrap(), export(dir.path()));
    followup(dir.path()).args(["export", "--out"]).arg(&target).assert().success();
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
}

fn case_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    dir
}

#[test]
fn reading_commands_never_create_a_store_and_a_foreign_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    for args in [vec!["status"], vec!["timeline"], vec!["export"], vec!["verify"], vec!["due"]] {
        let (code, err) = stderr_of(followup(&missing).args(&args));
        assert_ne!(code, Some(0), "{args:?}");
        assert!(err.contains("no store at"), "{args:?}: {err}");
    }
    assert!(!missing.exists(), "no directory was created");
    let foreign = dir.path().join("papers");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("db"), "my notes").unwrap();
    let (code, err) = stderr_of(followup(&foreign).arg("import").arg(CASE));
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a followup store"), "{err}");
    assert_eq!(std::fs::read_to_string(foreign.join("db")).unwrap(), "my notes");
}

#[test]
fn usage_errors_are_one_line_with_exit_64() {
    let dir = case_dir();
    for args in [
        vec!["status", "--known-at", "2026-11-29T00:00:01"],
        vec!["status", "--as-of", "2013-02-30"],
        vec!["record", "--expect", "+3", "{}"],
        vec!["record", "--expect", "junk", "{}"],
        vec!["verify", "--as-of", "x"],
        vec!["status", "--report", "ra-amsterdam-2013-nazorg/1"],
        vec!["nonsense"],
    ] {
        let (code, err) = stderr_of(followup(dir.path()).args(&args));
        assert_eq!(code, Some(64), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

#[test]
fn an_empty_timeline_window_is_an_error_not_an_empty_answer() {
    let dir = case_dir();
    let (code, err) = stderr_of(followup(dir.path()).args(["timeline", "--from", "2017", "--to", "2014"]));
    assert_eq!(code, Some(1));
    assert!(err.contains("--from 2017 is after --to 2014"), "{err}");
}

#[test]
fn every_event_the_store_refuses_is_named_with_its_line_and_field() {
    let dir = case_dir();
    let verdict = |n: u32| {
        format!(
            r#"{{"stream":"ra-amsterdam-2013-nazorg/{n}","type":"status_assessed","occurred":"2018","source":{{"document":"D","locator":"L"}},"data":{{"verdict":"in_progress","as_of":"2018","assessor":"A","rationale":"R","evidence":["00000000-0000-4000-8000-00000000000{n}"]}}}}"#
        )
    };
    let good = r#"{"stream":"ra-amsterdam-2013-nazorg","type":"context_noted","occurred":"2018","source":{"document":"D","locator":"L"},"data":{"summary":"fine"}}"#;
    let file = dir.path().join("refs.jsonl");
    std::fs::write(&file, format!("{}\n{good}\n{}\n", verdict(1), verdict(3))).unwrap();
    let before = export(dir.path());
    let (code, err) = stderr_of(followup(dir.path()).arg("import").arg(&file));
    assert_eq!(code, Some(1));
    assert!(
        err.contains(
            "line 1: field `data.evidence[0]`: event 00000000-0000-4000-8000-000000000001 is not in the store"
        ),
        "{err}"
    );
    assert!(err.contains("line 3: field `data.evidence[0]`"), "{err}");
    assert!(err.contains("2 events refused by the store; nothing was imported"), "{err}");
    assert_eq!(export(dir.path()), before);
}

#[test]
fn a_recorder_with_a_control_character_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = stderr_of(followup(dir.path()).args(["import", "--recorded-by", "a\nb"]).arg(CASE));
    assert_eq!(code, Some(1));
    assert!(err.contains("recorded_by"), "{err}");
}

/// Runs `followup` with `args` in `dir`, reads the first 10 bytes of its output and closes the pipe, as `| head`
/// does; returns whether it succeeded and what it wrote on standard error.
fn stopped_early(dir: &Path, args: &[&str]) -> (bool, String) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("followup"))
        .args(args)
        .current_dir(dir)
        .env_remove("FOLLOWUP_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap().success(), stderr)
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = stopped_early(dir.path(), &["demo", "--format", "json"]);
    assert!(ok, "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn filters_that_name_nothing_in_the_store_are_errors() {
    let dir = case_dir();
    for args in
        [vec!["status", "--report", "nope"], vec!["summary", "--report", "nope"], vec!["timeline", "--rec", "nope/1"]]
    {
        let (code, err) = stderr_of(followup(dir.path()).args(&args));
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(err.contains("the store holds no"), "{args:?}: {err}");
    }
    // A recommendation its report does not have is no timeline of the report's own events.
    let (code, err) = stderr_of(followup(dir.path()).args(["timeline", "--rec", "ra-amsterdam-2013-nazorg/9"]));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("the store holds no recommendation ra-amsterdam-2013-nazorg/9, though it holds its report"),
        "{err}"
    );
}

#[test]
fn report_honours_bom_and_lang_in_any_case() {
    let dir = case_dir();
    let pack = dir.path().join("pack");
    followup(dir.path())
        .args(["--lang", "NL", "--bom", "report", "--as-of", "2017-12-31", "--out"])
        .arg(&pack)
        .assert()
        .success();
    let csv = std::fs::read(pack.join("status.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a byte order mark");
    let html = std::fs::read_to_string(pack.join("index.html")).unwrap();
    assert!(html.contains("<html lang=\"nl\">") && html.contains("31 december 2017"));
}

#[test]
fn export_as_csv_imports_back_into_an_empty_store() {
    let (a, b) = (case_dir(), tempfile::tempdir().unwrap());
    let file = a.path().join("log.csv");
    followup(a.path()).args(["--format", "csv", "export", "--out"]).arg(&file).assert().success();
    followup(b.path()).arg("import").arg(&file).assert().success();
    let status = |d: &Path| {
        let out = followup(d).args(["status", "--format", "json"]).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(status(a.path()), status(b.path()));
}

#[test]
fn an_import_refused_into_a_new_store_leaves_no_store_and_no_directory_it_made() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"stream\":\"r\",\"type\":\"context_noted\"}\n").unwrap();
    // Into directories that do not exist: none of them is left.
    let deep = tmp.path().join("deep/a/b");
    followup(&deep).args(["import", bad.to_str().unwrap()]).assert().code(1);
    assert!(!tmp.path().join("deep").exists(), "the directories the import made are gone");
    // Into an empty directory that exists: it stays, empty.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    followup(&empty).args(["import", bad.to_str().unwrap()]).assert().code(1);
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "the directory is as it was");
    // Into an existing store: the store stays, as it was.
    let store = tmp.path().join("store");
    followup(&store).args(["import", CASE]).assert().success();
    let before = export(&store);
    followup(&store).args(["import", bad.to_str().unwrap()]).assert().code(1);
    assert_eq!(export(&store), before);
}

#[test]
fn report_into_a_directory_holding_other_files_is_refused_without_force() {
    // given a directory holding a file of the user's
    let dir = case_dir();
    let pack = dir.path().join("pack");
    std::fs::create_dir(&pack).unwrap();
    std::fs::write(pack.join("notes.txt"), "mine").unwrap();
    std::fs::write(pack.join("index.html"), "an old page").unwrap();
    // when a report is written there, then it is refused naming the file, and nothing is written
    let (code, err) = stderr_of(followup(dir.path()).args(["report", "--as-of", "2017-12-31", "--out"]).arg(&pack));
    assert_eq!(code, Some(1));
    assert!(err.contains("holds other files (index.html, notes.txt)") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(pack.join("index.html")).unwrap(), "an old page");
    assert!(!pack.join("status.csv").exists());
    // with --force it is written, and the user's file is left alone
    followup(dir.path()).args(["report", "--as-of", "2017-12-31", "--force", "--out"]).arg(&pack).assert().success();
    assert!(std::fs::read_to_string(pack.join("index.html")).unwrap().starts_with("<!DOCTYPE html>"));
    assert_eq!(std::fs::read_to_string(pack.join("notes.txt")).unwrap(), "mine");
    // and a directory holding only an earlier pack takes the new one without --force
    followup(dir.path())
        .args(["report", "--as-of", "2016-12-31", "--out"])
        .arg(dir.path().join("again"))
        .assert()
        .success();
    followup(dir.path())
        .args(["report", "--as-of", "2017-12-31", "--out"])
        .arg(dir.path().join("again"))
        .assert()
        .success();
    // but a user's own index.html alone is not taken for a pack's
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(site.join("index.html"), "<html>MY WEBSITE</html>").unwrap();
    let (code, err) = stderr_of(followup(dir.path()).args(["report", "--as-of", "2017-12-31", "--out"]).arg(&site));
    assert_eq!(code, Some(1));
    assert!(err.contains("holds other files (index.html)"), "{err}");
    assert_eq!(std::fs::read_to_string(site.join("index.html")).unwrap(), "<html>MY WEBSITE</html>");
}

#[test]
fn a_timeline_csv_value_starting_with_an_apostrophe_and_an_equals_sign_imports_back_unchanged() {
    // given an event whose summary starts with `'=` and one whose summary is a formula
    let a = tempfile::tempdir().unwrap();
    for summary in ["'=SUM(A1:A9)", "=HYPERLINK(\"x\")"] {
        let line = serde_json::json!({"stream": "x-2020", "type": "context_noted", "occurred": "2020",
            "source": {"document": "D", "locator": "L"}, "data": {"summary": summary}});
        followup(a.path()).arg("record").arg(line.to_string()).assert().success();
    }
    // when its timeline CSV is imported into a fresh store
    let file = a.path().join("timeline.csv");
    let out = followup(a.path()).args(["timeline", "--format", "csv"]).output().unwrap();
    std::fs::write(&file, out.stdout).unwrap();
    let b = tempfile::tempdir().unwrap();
    followup(b.path()).arg("import").arg(&file).assert().success();
    // then the same events are there: same ids, same summaries, and importing into the first store adds nothing
    let events = |d: &Path| {
        let v = json(followup(d).arg("timeline"));
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["event_id"].clone(), e["summary"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(events(b.path()), events(a.path()));
    assert!(events(b.path()).iter().any(|(_, s)| s == "'=SUM(A1:A9)"));
    let again = json(followup(a.path()).arg("import").arg(&file));
    assert_eq!(again["appended"], 0);
}

#[test]
fn a_timeline_csv_of_a_log_with_a_retraction_is_refused_naming_the_retraction_and_the_full_log_csv_imports() {
    // given a log in which an event was retracted
    let a = tempfile::tempdir().unwrap();
    let id = "6f1b9d1c-1111-4111-8111-000000000001";
    let noted = serde_json::json!({"id": id, "stream": "x-2020", "type": "context_noted", "occurred": "2020",
        "source": {"document": "D", "locator": "L"}, "data": {"summary": "wrong"}});
    let retracted = serde_json::json!({"stream": "x-2020", "type": "event_retracted", "occurred": "2021",
        "source": {"document": "D", "locator": "L"}, "data": {"target": id, "reason": "entered by mistake"}});
    followup(a.path()).arg("record").arg(noted.to_string()).assert().success();
    followup(a.path()).arg("record").arg(retracted.to_string()).assert().success();
    // when its timeline CSV (which leaves the retracted event out) is imported, then the retraction is refused
    let timeline = a.path().join("timeline.csv");
    std::fs::write(&timeline, followup(a.path()).args(["timeline", "--format", "csv"]).output().unwrap().stdout)
        .unwrap();
    let b = tempfile::tempdir().unwrap();
    let (code, err) = stderr_of(followup(b.path()).arg("import").arg(&timeline));
    assert_eq!(code, Some(1));
    assert!(err.contains("line 2: field `data.target`"), "{err}");
    // while the CSV of the whole log imports back to the same log
    let log = a.path().join("log.csv");
    followup(a.path()).args(["--format", "csv", "export", "--out"]).arg(&log).assert().success();
    followup(b.path()).arg("import").arg(&log).assert().success();
    assert_eq!(json(followup(b.path()).arg("status")), json(followup(a.path()).arg("status")));
}

#[test]
fn usage_errors_name_what_is_missing_and_recorded_by_goes_before_or_after_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = stderr_of(followup(dir.path()).arg("import"));
    assert_eq!(code, Some(64));
    assert!(err.contains("were not provided: <FILE>"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // --recorded-by before the subcommand, and after it, both name the recorder
    let line = |summary: &str| {
        serde_json::json!({"stream": "x-2020", "type": "context_noted", "occurred": "2020",
            "source": {"document": "D", "locator": "L"}, "data": {"summary": summary}})
        .to_string()
    };
    followup(dir.path()).args(["--recorded-by", "Before"]).arg("record").arg(line("a")).assert().success();
    followup(dir.path()).arg("record").arg(line("b")).args(["--recorded-by", "After"]).assert().success();
    let out = followup(dir.path()).arg("export").output().unwrap();
    let by: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["recorded_by"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(by, ["Before", "After"]);
    // an offset beyond RFC 3339's range is refused naming it; the last day of year 9999 means everything known
    let (code, err) = stderr_of(followup(dir.path()).args(["status", "--known-at", "2017-01-01T00:00:00+25:00"]));
    assert_eq!(code, Some(64));
    assert!(err.contains("has the offset +25:00"), "{err}");
    followup(dir.path()).args(["status", "--known-at", "9999-12-31"]).assert().success();
}

#[test]
fn a_cp1252_csv_or_a_workbook_is_refused_naming_the_line_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let cp1252 = dir.path().join("register.csv");
    std::fs::write(&cp1252, b"stream;type;occurred;document;locator;data\r\nr;context_noted;2015;Caf\xe9;L;{}\r\n")
        .unwrap();
    let (code, err) = stderr_of(followup(&dir.path().join("s")).arg("import").arg(&cp1252));
    assert_eq!(code, Some(1));
    assert!(err.contains("line 2: the file is not UTF-8 (byte 0xE9)"), "{err}");
    let workbook = dir.path().join("register.xlsx");
    // A workbook's binary "lines" after the first are not listed one by one.
    std::fs::write(&workbook, b"PK\x03\x04\x14\x00\x06\x00rest\n\xff\xfe of\n\xff a zip\n").unwrap();
    for input in [None, Some("csv")] {
        let mut cmd = followup(&dir.path().join("s"));
        cmd.arg("import").arg(&workbook);
        if let Some(kind) = input {
            cmd.args(["--input", kind]);
        }
        let (code, err) = stderr_of(&mut cmd);
        assert_eq!(code, Some(1));
        assert!(err.contains("line 1: the file is a zip archive (a spreadsheet workbook such as xlsx?)"), "{err}");
        assert!(err.contains("import --map nl-register FILE"), "{err}");
        assert!(!err.contains("line 2"), "{err}");
    }
    assert!(!dir.path().join("s").exists(), "nothing was written");
}

#[test]
fn bidirectional_controls_from_the_log_are_shown_by_their_codes_in_the_terminal_and_in_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let summary = "paid \u{202E}0001 EUR\u{202C} in 2015";
    let line = serde_json::json!({"stream": "x-2020", "type": "context_noted", "occurred": "2015",
        "source": {"document": "D", "locator": "L"}, "data": {"summary": summary}});
    followup(dir.path()).arg("record").arg(line.to_string()).assert().success();
    for format in ["text", "md"] {
        let out = followup(dir.path()).args(["timeline", "--format", format]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains('\u{202E}') && !text.contains('\u{202C}'), "{format}: {text}");
        assert!(text.contains("⟨U+202E⟩0001 EUR⟨U+202C⟩"), "{format}: {text}");
    }
    // the data itself is kept as recorded
    assert_eq!(json(followup(dir.path()).arg("timeline"))["entries"][0]["summary"], summary);
}

#[test]
fn bidirectional_controls_are_shown_by_their_codes_in_html_and_the_status_csv_and_kept_in_the_timeline_csv() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Pay \u{202E}0001 EUR\u{2069} now";
    for line in [
        serde_json::json!({"stream": "x-2020", "type": "report_published", "occurred": "2020",
            "source": {"document": "D", "locator": "L"}, "data": {"title": "T", "auditor": "A", "summary": "S"}}),
        serde_json::json!({"stream": "x-2020/1", "type": "recommendation_issued", "occurred": "2020",
            "source": {"document": "D", "locator": "L"}, "data": {"number": 1, "text": text}}),
    ] {
        followup(dir.path()).arg("record").arg(line.to_string()).assert().success();
    }
    for (command, format) in [("status", "html"), ("status", "csv"), ("timeline", "html")] {
        let out = followup(dir.path()).args([command, "--format", format]).output().unwrap();
        let page = String::from_utf8(out.stdout).unwrap();
        assert!(!page.contains('\u{202E}') && !page.contains('\u{2069}'), "{command} {format}: {page}");
        assert!(page.contains("⟨U+202E⟩0001 EUR⟨U+2069⟩"), "{command} {format}: {page}");
    }
    // The timeline CSV imports back, so it keeps the text as recorded.
    let out = followup(dir.path()).args(["timeline", "--format", "csv"]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains(text));
}

#[test]
fn the_report_page_title_counts_reports_in_the_window_not_publications() {
    let dir = tempfile::tempdir().unwrap();
    let publish = |stream: &str, id: &str, title: &str, occurred: &str| {
        let line = serde_json::json!({"id": id, "stream": stream, "type": "report_published", "occurred": occurred,
            "source": {"document": title, "locator": "1"}, "data": {"title": title, "auditor": "RA", "summary": "S"}});
        followup(dir.path()).arg("record").arg(line.to_string()).assert().success();
    };
    let title = |as_of: &str| {
        let pack = dir.path().join(format!("pack-{as_of}"));
        followup(dir.path()).args(["report", "--force", "--as-of", as_of, "--out"]).arg(&pack).assert().success();
        let page = std::fs::read_to_string(pack.join("index.html")).unwrap();
        page.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap().to_owned()
    };
    // a report and its follow-up report, published on the report's stream
    publish("a-2013", "11111111-1111-4111-8111-000000000001", "Nazorg", "2013-05");
    publish("a-2013", "11111111-1111-4111-8111-000000000002", "Nazorg: opvolging", "2017-11");
    assert_eq!(title("2017-12-31"), "Nazorg", "a follow-up report is not a second report");
    // a second report, published in 2015: counted from then on
    publish("b-2015", "11111111-1111-4111-8111-000000000003", "Schulden", "2015");
    assert_eq!(title("2017-12-31"), "Follow-up of 2 reports");
    assert_eq!(title("2014-12-31"), "Nazorg", "not yet published then");
    // its publication retracted: one report again
    let retraction = serde_json::json!({"stream": "b-2015", "type": "event_retracted", "occurred": "2018",
        "source": {"document": "D", "locator": "L"},
        "data": {"target": "11111111-1111-4111-8111-000000000003", "reason": "wrong file"}});
    followup(dir.path()).arg("record").arg(retraction.to_string()).assert().success();
    assert_eq!(title("2018-12-31"), "Nazorg");
}

#[test]
fn an_import_reads_and_checks_its_whole_file_before_it_opens_the_store() {
    // given a store held by this process (as by a colleague's long import)
    let dir = case_dir();
    let held = followup::SledStore::open(dir.path()).unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"stream\":\"r\",\"type\":\"context_noted\"}\n").unwrap();
    // when a file with a bad line is imported, from a path or from standard input, then its bad line is named
    // at once: the store was never asked for (it would have said "in use", exit 75)
    let (code, err) = stderr_of(followup(dir.path()).arg("import").arg(&bad));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("line 1: missing field `occurred`"), "{err}");
    let out = followup(dir.path()).args(["import", "-"]).write_stdin(std::fs::read(&bad).unwrap()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: missing field `occurred`"));
    // and a good file waits for the store as before
    let (code, err) = stderr_of(followup(dir.path()).arg("import").arg(CASE));
    assert_eq!(code, Some(75), "{err}");
    drop(held);
    // from standard input, a good file is spooled while it is checked, then written whole
    let text = std::fs::read(CASE).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let report = json(followup(fresh.path()).args(["import", "-"]).write_stdin(text));
    assert_eq!((report["events"].as_u64(), report["appended"].as_u64()), (Some(79), Some(79)));
}

#[test]
fn an_export_onto_a_file_of_the_store_itself_is_refused_and_the_store_survives() {
    let dir = case_dir();
    for own in ["db", "conf", "snap.0000000000000001"] {
        let (code, err) = stderr_of(followup(dir.path()).args(["export", "--out"]).arg(dir.path().join(own)));
        assert_eq!(code, Some(1), "{own}");
        assert!(err.contains("is a file of the store itself"), "{own}: {err}");
    }
    followup(dir.path()).arg("verify").assert().code(0);
    // a file of another name beside them is written as before
    followup(dir.path()).args(["export", "--out"]).arg(dir.path().join("log.jsonl")).assert().success();
}

#[test]
fn a_refused_first_record_leaves_no_store_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("new");
    let line = r#"{"stream":"x-2020/1","type":"context_noted","occurred":"2020","source":{"document":"D","locator":"L"},"data":{"summary":"s"}}"#;
    let (code, err) = stderr_of(followup(&store).args(["record", "--expect", "1"]).arg(line));
    assert_eq!(code, Some(1), "{err}");
    assert!(!store.exists(), "the refused record left {}", store.display());
    // a record that is accepted creates it
    followup(&store).arg("record").arg(line).assert().success();
    assert!(store.join("conf").exists());
}

#[test]
fn a_record_missing_a_field_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = stderr_of(followup(dir.path()).args(["record", "--stream", "x-2020"]));
    assert_eq!(code, Some(64), "{err}");
    assert!(err.contains("--data is missing"), "{err}");
}

#[test]
fn recording_a_retracted_fact_again_says_so_and_restore_brings_it_back_as_a_new_event() {
    let dir = tempfile::tempdir().unwrap();
    let fact = r#"{"stream":"x-2020/1","type":"action_taken","occurred":"2020","source":{"document":"D","locator":"L"},"data":{"summary":"budget","amount":{"value":100,"currency":"EUR"}}}"#;
    let issued = r#"{"stream":"x-2020/1","type":"recommendation_issued","occurred":"2020","source":{"document":"D","locator":"L"},"data":{"number":1,"text":"Spend"}}"#;
    followup(dir.path()).arg("record").arg(issued).assert().success();
    let id = json(followup(dir.path()).arg("record").arg(fact))["event_id"].as_str().unwrap().to_owned();
    let retract = serde_json::json!({"stream": "x-2020", "type": "event_retracted", "occurred": "2021",
        "source": {"document": "D", "locator": "L"}, "data": {"target": id, "reason": "entered in error"}});
    followup(dir.path()).arg("record").arg(retract.to_string()).assert().success();
    let actions = |d: &Path| json(followup(d).arg("status"))["recommendations"][0]["actions"].as_array().unwrap().len();
    assert_eq!(actions(dir.path()), 0);
    // recording it again is refused, saying why and what to do
    let (code, err) = stderr_of(followup(dir.path()).arg("record").arg(fact));
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!("event {id} was recorded at position 2 and retracted at position 3 (entered in error)")),
        "{err}"
    );
    assert!(err.contains("--restore"), "{err}");
    // --restore records it anew; the retracted event and its retraction stay
    let out = followup(dir.path()).args(["record", "--restore"]).arg(fact).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("restored: event ") && text.contains(&format!("restores event {id}")), "{text}");
    assert_eq!(actions(dir.path()), 1);
    // restoring again records nothing more
    let again = json(followup(dir.path()).args(["record", "--restore"]).arg(fact));
    assert_eq!((again["appended"].as_u64(), again["restores"]["event_id"].as_str()), (Some(0), Some(id.as_str())));
    // the restored one retracted too, a second restore brings it back under yet another id
    let restored = again["event_id"].as_str().unwrap().to_owned();
    let retract = serde_json::json!({"stream": "x-2020/1", "type": "event_retracted", "occurred": "2022",
        "source": {"document": "D", "locator": "L"}, "data": {"target": restored, "reason": "again"}});
    followup(dir.path()).arg("record").arg(retract.to_string()).assert().success();
    assert_eq!(actions(dir.path()), 0);
    let third = json(followup(dir.path()).args(["record", "--restore"]).arg(fact));
    assert_eq!(third["appended"], 1);
    assert_ne!(third["event_id"].as_str(), Some(restored.as_str()));
    assert_eq!(actions(dir.path()), 1);
    // and --restore on a fact that is not retracted is refused
    let (code, err) = stderr_of(followup(dir.path()).args(["record", "--restore"]).arg(issued));
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a retracted fact"), "{err}");
    followup(dir.path()).arg("verify").assert().code(0);
}

// ---------------------------------------------------------------------------------------------------------------
// The report pack of one report, and the demo's explanations.
// ---------------------------------------------------------------------------------------------------------------

/// A second report beside the case: published 2015, one recommendation, one action.
const SECOND_REPORT: &str = r#"{"stream":"o-2015","type":"report_published","occurred":"2015","source":{"document":"D","locator":"L"},"data":{"title":"Other report","auditor":"A","summary":"S"}}
{"stream":"o-2015/1","type":"recommendation_issued","occurred":"2015","source":{"document":"D","locator":"L"},"data":{"number":1,"text":"Do the other thing"}}
{"stream":"o-2015/1","type":"action_taken","occurred":"2016-06","source":{"document":"D","locator":"L"},"data":{"summary":"did it"}}
"#;

fn two_reports() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let second = dir.path().join("second.jsonl");
    std::fs::write(&second, SECOND_REPORT).unwrap();
    followup(&dir.path().join("store")).arg("import").arg(CASE).assert().success();
    followup(&dir.path().join("store")).arg("import").arg(&second).assert().success();
    dir
}

fn pack(dir: &Path, name: &str, report: &str) -> (String, String, String) {
    let out = dir.join(name);
    followup(&dir.join("store"))
        .args(["report", "--as-of", "2020-12-31", "--report", report, "--out"])
        .arg(&out)
        .assert()
        .success();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    (read("index.html"), read("timeline.md"), read("status.csv"))
}

#[test]
fn report_for_one_report_holds_only_its_recommendations_under_its_title() {
    let dir = two_reports();
    let head = json(followup(&dir.path().join("store")).arg("verify"))["chain"]["head"].as_str().unwrap().to_owned();

    let (html, md, csv) = pack(dir.path(), "other", "o-2015");
    assert!(html.contains("<title>Other report</title>"), "the page is titled by its report");
    assert_eq!(html.matches("<g class=\"lane\"").count(), 1, "one recommendation, one lane");
    assert!(html.contains("Do the other thing") && md.contains("Do the other thing"));
    for pack in [&html, &md, &csv] {
        assert!(!pack.contains("ra-amsterdam-2013-nazorg") && !pack.contains("Nazorg"), "nothing of the other report");
    }
    assert_eq!(csv.lines().count(), 2, "a header and one recommendation: {csv}");
    assert!(html.contains(&head), "the page cites the whole log's head {head}");

    let (html, _, csv) = pack(dir.path(), "nazorg", "ra-amsterdam-2013-nazorg");
    assert!(html.contains("<title>Nazorg aan gedetineerden, een ongemakkelijke keten</title>"));
    assert_eq!(html.matches("<g class=\"lane\"").count(), 5);
    assert_eq!(csv.lines().count(), 6);
    assert!(!html.contains("o-2015") && !html.contains("Other report"));
    // Without --report, both, under a title that counts them.
    followup(&dir.path().join("store"))
        .args(["report", "--as-of", "2020-12-31", "--out"])
        .arg(dir.path().join("both"))
        .assert()
        .success();
    let both = std::fs::read_to_string(dir.path().join("both/index.html")).unwrap();
    assert!(both.contains("<title>Follow-up of 2 reports</title>"));
    assert_eq!(both.matches("<g class=\"lane\"").count(), 6);
}

#[test]
fn report_for_an_unknown_report_is_an_error_naming_it() {
    let dir = case_dir();
    let out = dir.path().join("pack");
    let (code, err) = stderr_of(followup(dir.path()).args(["report", "--report", "nope-2020", "--out"]).arg(&out));
    assert_eq!(code, Some(1));
    assert!(err.contains("no report nope-2020"), "{err}");
    assert!(!out.exists(), "nothing written");
    let (code, err) =
        stderr_of(followup(dir.path()).args(["report", "--report", "ra-amsterdam-2013-nazorg/1", "--out"]).arg(&out));
    assert_eq!(code, Some(64));
    assert!(err.contains("is a recommendation"), "{err}");
}

fn demo_text(lang: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = followup(dir.path()).args(["--lang", lang, "demo"]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn demo_explains_the_check_mark_of_a_kept_commitment() {
    let text = demo_text("en");
    assert!(text.contains("due autumn 2013 ✓"), "recommendation 4's kept commitment");
    let legend = "✓ after a due date: the commitment is kept (an action names it in `fulfils`)";
    let after_table = text.split("Status of the recommendations").nth(1).unwrap();
    assert!(after_table.lines().any(|l| l == legend), "a legend line under the status table");
    assert!(demo_text("nl").contains("✓ na een termijn: de toezegging is nagekomen"));
    // And wherever status is printed as text.
    let dir = case_dir();
    let status = followup(dir.path()).arg("status").output().unwrap();
    assert!(String::from_utf8(status.stdout).unwrap().contains(legend));
}

#[test]
fn demo_lists_verdicts_by_recommendation_without_event_ids_which_json_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let out = json(followup(dir.path()).arg("demo"));
    let ids: Vec<String> =
        out["verdicts"].as_array().unwrap().iter().map(|v| v["event_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 5);
    let text = demo_text("en");
    let verification = text.split("Verification:").nth(1).unwrap();
    for id in &ids {
        assert!(!text.contains(id.as_str()), "no event id {id} in the text");
    }
    let at: Vec<usize> = (1..=5)
        .map(|n| verification.find(&format!("ra-amsterdam-2013-nazorg/{n} ")).expect("each recommendation"))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "by recommendation number: {at:?}");
}

#[test]
fn demo_shows_the_summary_on_the_date_of_the_latest_verdict() {
    let text = demo_text("en");
    let summary = text.split("Summary on 31 December 2017, the date of the latest verdict").nth(1).unwrap();
    let summary = summary.split("Timeline").next().unwrap();
    assert!(summary.contains("3/5 (60%)") && summary.contains("4/5 (80%)"), "{summary}");
    assert!(demo_text("nl").contains("Samenvatting op 31 december 2017"));
    let dir = tempfile::tempdir().unwrap();
    let out = json(followup(dir.path()).arg("demo"));
    assert_eq!(out["summary_on"], "2017-12-31");
    assert_eq!(out["summary"]["overall"]["implemented"], 3);
}

#[test]
fn demo_says_its_store_is_temporary_and_names_no_directory_that_is_gone() {
    let text = demo_text("en");
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "Nazorg aan gedetineerden, een ongemakkelijke keten (Rekenkamer Amsterdam, May 2013): 79 events imported into a temporary store, which \
         is removed when the demo ends"
    );
    assert!(!text.contains(&std::env::temp_dir().display().to_string()), "no path of the temporary directory");
    assert!(demo_text("nl").lines().next().unwrap().contains("in een tijdelijke opslag, die verdwijnt"));
}

#[test]
fn an_empty_database_flag_is_refused_and_the_store_flag_beats_the_database_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = followup(dir.path()).args(["--database", "", "status"]).env_remove("FOLLOWUP_DATABASE").output().unwrap();
    assert_eq!(out.status.code(), Some(64), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--database is empty"), "{out:?}");
    // --store on the command line wins over FOLLOWUP_DATABASE: the database named there is never reached.
    let out = followup(dir.path())
        .args(["import", CASE])
        .env("FOLLOWUP_DATABASE", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("79"), "{out:?}");
}

#[test]
fn summary_on_the_gao_scale_counts_the_case_and_every_output_shows_an_offices_own_label() {
    let dir = tempfile::tempdir().unwrap();
    assert!(followup(dir.path()).args(["import", CASE]).output().unwrap().status.success());
    let gao = json(followup(dir.path()).args(["summary", "--scale", "gao", "--as-of", "2017-12-31"]));
    let counts = &gao["overall"]["counts"];
    assert_eq!(
        (
            &counts["open"],
            &counts["open_partially_addressed"],
            &counts["closed_implemented"],
            &counts["closed_not_implemented"]
        ),
        (&Value::from(0), &Value::from(1), &Value::from(3), &Value::from(1))
    );
    assert_eq!(gao["overall"]["rate"], 0.6);
    assert_eq!(gao["scale"], "gao");
    let text = followup(dir.path()).args(["summary", "--scale", "iia"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("closed – no longer applicable") && text.contains("Lost in the mapping"), "{text}");
    let bad = followup(dir.path()).args(["summary", "--scale", "nao"]).output().unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("`nao` is no verdict scale: give one of followup, gao, eca, ar, iia"));
    // An assessment in the office's own words shows them beside the verdict.
    let line = r#"{"stream":"ra-amsterdam-2013-nazorg/5","type":"status_assessed","occurred":"2018-06","source":{"document":"Tweede opvolging","locator":"5"},"data":{"verdict":"partially_implemented","as_of":"2018-06","assessor":"Rekenkamer Amsterdam","rationale":"Deels.","evidence":[],"attributable":true,"label":"Deels opgevolgd"}}"#;
    let out = followup(dir.path()).args(["record", line]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for format in ["text", "md", "csv", "html"] {
        let out = followup(dir.path()).args(["status", "--as-of", "2018-12-31", "--format", format]).output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("Deels opgevolgd"), "{format}");
    }
    for format in ["csv", "md", "html"] {
        let mut cmd = followup(dir.path());
        let tl = cmd.args(["timeline", "--rec", "ra-amsterdam-2013-nazorg/5", "--format", format]).output().unwrap();
        assert!(String::from_utf8_lossy(&tl.stdout).contains("partially implemented (“Deels opgevolgd”)"), "{format}");
    }
}

#[test]
fn a_second_follow_up_reframes_recommendations_answers_each_in_its_own_way_and_judges_one_never_adopted() {
    let dir = tempfile::tempdir().unwrap();
    assert!(followup(dir.path()).args(["import", CASE]).output().unwrap().status.success());
    let second = dir.path().join("second.jsonl");
    let src = r#""source":{"document":"Tweede opvolging","locator":"2"}"#;
    std::fs::write(
        &second,
        [
            format!(r#"{{"stream":"ra-amsterdam-2021-nazorg","type":"report_published","occurred":"2021-03",{src},"data":{{"title":"Tweede opvolging","auditor":"Rekenkamer Amsterdam","summary":"S"}}}}"#),
            format!(r#"{{"stream":"ra-amsterdam-2021-nazorg/1","type":"recommendation_reframed","occurred":"2021-03",{src},"data":{{"number":1,"text":"Bereik kortgestraften en stuur op hun gegevens","predecessors":["ra-amsterdam-2013-nazorg/2","ra-amsterdam-2013-nazorg/5"],"how":"merged"}}}}"#),
            format!(r#"{{"stream":"ra-amsterdam-2021-nazorg/2","type":"recommendation_reframed","occurred":"2021-03",{src},"data":{{"number":2,"text":"Maak een overzicht van schulden","predecessors":["ra-amsterdam-2013-nazorg/1","ra-amsterdam-2009-oud/4"],"how":"merged"}}}}"#),
            format!(r#"{{"id":"00000000-0000-5000-8000-0000000000e1","stream":"ra-amsterdam-2021-nazorg","type":"executive_responded","occurred":"2021-04",{src},"data":{{"stance":"adopted","summary":"Ja, de tweede niet","stances":[{{"number":2,"stance":"rejected"}}]}}}}"#),
            format!(r#"{{"stream":"ra-amsterdam-2021-nazorg/2","type":"status_assessed","occurred":"2023-06",{src},"data":{{"verdict":"not_adopted","as_of":"2023-06","assessor":"Rekenkamer Amsterdam","rationale":"Nooit overgenomen","evidence":["00000000-0000-5000-8000-0000000000e1"],"label":"Niet overgenomen"}}}}"#),
        ]
        .join("\n"),
    )
    .unwrap();
    let out = followup(dir.path()).args(["import", second.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("field `data.predecessors`: ra-amsterdam-2009-oud/4 is not in the log"), "{err}");
    assert!(!err.contains("ra-amsterdam-2013-nazorg/5 is not in the log"), "{err}");
    let status =
        json(followup(dir.path()).args(["status", "--report", "ra-amsterdam-2021-nazorg", "--as-of", "2023-12-31"]));
    let recs = status["recommendations"].as_array().unwrap();
    assert_eq!(
        recs[0]["predecessors"],
        serde_json::json!(["ra-amsterdam-2013-nazorg/2", "ra-amsterdam-2013-nazorg/5"])
    );
    assert_eq!((&recs[0]["stance"], &recs[1]["stance"]), (&Value::from("adopted"), &Value::from("rejected")));
    assert_eq!(
        (&recs[1]["verdict"], &recs[1]["verdict_label"]),
        (&Value::from("not_adopted"), &Value::from("Niet overgenomen"))
    );
    let verify = followup(dir.path()).args(["verify", "--format", "json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&verify.stdout).unwrap();
    let judged =
        v["verdicts"].as_array().unwrap().iter().find(|x| x["recommendation"] == "ra-amsterdam-2021-nazorg/2").cloned();
    assert_eq!(judged.unwrap()["result"], "supported", "{v}");
    // A stance for a recommendation the report never issued, and a second reframing with other words, are said.
    let later = dir.path().join("later.jsonl");
    std::fs::write(
        &later,
        [
            format!(r#"{{"stream":"ra-amsterdam-2021-nazorg","type":"executive_responded","occurred":"2021-05",{src},"data":{{"stance":"adopted","summary":"Ja","stances":[{{"number":9,"stance":"rejected"}}]}}}}"#),
            format!(r#"{{"stream":"ra-amsterdam-2021-nazorg/1","type":"recommendation_reframed","occurred":"2021-06",{src},"data":{{"number":1,"text":"Andere woorden","predecessors":["ra-amsterdam-2013-nazorg/2"],"how":"reworded"}}}}"#),
        ]
        .join("\n"),
    )
    .unwrap();
    let out = followup(dir.path()).args(["import", later.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("field `data.stances`: names recommendation ra-amsterdam-2021-nazorg/9"), "{err}");
    assert!(err.contains("field `type`: ra-amsterdam-2021-nazorg/1 was issued before with other text"), "{err}");
    // A label is one line of at most 120 characters.
    let long = "x".repeat(121);
    let bad = format!(
        r#"{{"stream":"ra-amsterdam-2021-nazorg/1","type":"status_assessed","occurred":"2023-06",{src},"data":{{"verdict":"implemented","as_of":"2023-06","assessor":"R","rationale":"R","evidence":[],"label":"{long}"}}}}"#
    );
    let out = followup(dir.path()).args(["record", &bad]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("data.label"), "{out:?}");
    let iia = json(followup(dir.path()).args([
        "summary",
        "--scale",
        "iia",
        "--report",
        "ra-amsterdam-2021-nazorg",
        "--as-of",
        "2023-12-31",
    ]));
    assert_eq!(iia["overall"]["counts"]["closed_risk_accepted"], 1);
}

#[test]
fn a_reader_that_stops_early_ends_a_query_of_the_store_quietly_too() {
    let dir = tempfile::tempdir().unwrap();
    assert!(followup(dir.path()).args(["import", CASE]).output().unwrap().status.success());
    let store = dir.path().display().to_string();
    for args in [&["status", "--format", "json"][..], &["timeline", "--format", "json"], &["status"]] {
        let args: Vec<&str> = ["--store", store.as_str()].into_iter().chain(args.iter().copied()).collect();
        let (ok, stderr) = stopped_early(dir.path(), &args);
        assert!(ok, "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn users_added_before_any_event_leave_a_store_that_imports_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("new");
    let out = followup(&store)
        .args(["user", "add", "Anna", "--role", "auditor"])
        .write_stdin("a long password\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = followup(&store).args(["import", CASE]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let users = followup(&store).args(["user", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&users.stdout).starts_with("Anna\tauditor"));
}
