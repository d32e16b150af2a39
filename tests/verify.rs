//! Verification end to end: the Amsterdam case's verdicts, a verdict without evidence, a retracted piece of
//! evidence, tampered exports, bitemporal verification, and, on generated histories, that verification and
//! projections do not depend on how the log was built.

use std::path::Path;

use assert_cmd::Command;
use events::{Body, RecordedEvent};
use followup::{generate, EventStore, GenerateOptions, SledStore};
use projections::{TimelineFilter, Window};
use proptest::prelude::*;
use serde_json::Value;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");
/// Recommendation 5's verdict and one of the events it rests on (the monitor, an action_taken).
const REC5_VERDICT: &str = "72343897-27c8-5b8d-9794-291c1304f1b1";

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "verify test");
    cmd
}

fn case_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    dir
}

/// Runs `verify --format json` with `args`; returns the exit code and the JSON.
fn verify(store: &Path, args: &[&str]) -> (i32, Value) {
    let out = followup(store).arg("verify").args(args).args(["--format", "json"]).output().unwrap();
    let json =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), json)
}

fn results(v: &Value) -> Vec<(String, String)> {
    v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["recommendation"].as_str().unwrap().to_owned(), v["result"].as_str().unwrap().to_owned()))
        .collect()
}

fn record(store: &Path, line: &str) {
    followup(store).arg("record").arg(line).assert().success();
}

#[test]
fn the_demo_ends_with_five_supported_verdicts_an_intact_chain_and_the_head_hash() {
    let dir = tempfile::tempdir().unwrap();
    let out = followup(dir.path()).arg("demo").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(tail[1], "5 verdicts: 5 supported, 0 unsupported, 0 undermined");
    let head = tail[0].strip_prefix("Hash chain intact: 79 events; verdicts verified against log head ").unwrap();
    assert!(head.len() == 64 && head.bytes().all(|b| b.is_ascii_hexdigit()), "{head}");
}

#[test]
fn the_case_verifies_with_exit_0() {
    let dir = case_store();
    let (code, v) = verify(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(v["chain"]["ok"], true);
    assert_eq!(v["chain"]["events"], 79);
    assert!(results(&v).iter().all(|(_, r)| r == "supported"));
    assert_eq!(results(&v).len(), 5);
}

#[test]
fn an_implemented_verdict_citing_no_action_exits_1_and_names_v3() {
    let dir = case_store();
    record(
        dir.path(),
        r#"{"stream":"ra-amsterdam-2013-nazorg/1","type":"status_assessed","occurred":"2018-03","source":{"document":"Test","locator":"1"},"data":{"verdict":"implemented","as_of":"2018-03","assessor":"Someone","rationale":"looks done","evidence":[]}}"#,
    );
    let (code, v) = verify(dir.path(), &[]);
    assert_eq!(code, 1);
    let added = v["verdicts"].as_array().unwrap().iter().find(|x| x["as_of"] == "2018-03").unwrap();
    assert_eq!(added["recommendation"], "ra-amsterdam-2013-nazorg/1");
    assert_eq!(added["result"], "unsupported");
    let rules: Vec<&str> = added["failures"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["V3"]);
    let text = followup(dir.path()).arg("verify").output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("V3: implemented rests on no action_taken"));
}

/// The first action_taken among recommendation 5's verdict's evidence.
fn rec5_action_evidence(store: &Path) -> String {
    let export = followup(store).arg("export").output().unwrap().stdout;
    let lines: Vec<Value> =
        export.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
    let verdict = lines.iter().find(|l| l["id"] == REC5_VERDICT).unwrap();
    let evidence: Vec<&str> =
        verdict["data"]["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    let action =
        lines.iter().find(|l| evidence.contains(&l["id"].as_str().unwrap()) && l["type"] == "action_taken").unwrap();
    action["id"].as_str().unwrap().to_owned()
}

#[test]
fn retracting_evidence_of_recommendation_5_undermines_its_verdict_from_then_on() {
    let dir = case_store();
    let target = rec5_action_evidence(dir.path());
    let before = chrono_now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    record(
        dir.path(),
        &format!(
            r#"{{"stream":"ra-amsterdam-2013-nazorg/5","type":"event_retracted","occurred":"2018-02","source":{{"document":"Correction","locator":"1"}},"data":{{"target":"{target}","reason":"not about the monitor"}}}}"#
        ),
    );
    let (code, v) = verify(dir.path(), &[]);
    assert_eq!(code, 1);
    let got = results(&v);
    assert_eq!(got.iter().filter(|(_, r)| r == "undermined").count(), 1);
    assert!(got.contains(&("ra-amsterdam-2013-nazorg/5".to_owned(), "undermined".to_owned())));
    // As the log stood before the retraction, every verdict is supported.
    let (code, v) = verify(dir.path(), &["--known-at", &before]);
    assert_eq!(code, 0, "{v}");
    // The status no longer counts the retracted action; the timeline shows the retraction.
    let status = followup(dir.path()).args(["status", "--format", "json"]).output().unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let actions = status["recommendations"][4]["actions"].as_array().unwrap();
    assert!(actions.iter().all(|a| a["event_id"] != target.as_str()));
    let timeline = followup(dir.path())
        .args(["timeline", "--rec", "ra-amsterdam-2013-nazorg/5", "--format", "json"])
        .output()
        .unwrap();
    let timeline: Value = serde_json::from_slice(&timeline.stdout).unwrap();
    let last = timeline["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["type"].as_str(), last["occurred"].as_str()), (Some("event_retracted"), Some("2018-02")));
}

fn chrono_now() -> String {
    events::Timestamp::now().to_string()
}

/// Exports the case, applies `tamper` to its lines, writes them back, and runs `verify --log` on the file.
fn verify_tampered(tamper: impl FnOnce(&mut Vec<Vec<u8>>)) -> (i32, Value) {
    let dir = case_store();
    let export = followup(dir.path()).arg("export").output().unwrap().stdout;
    let mut lines: Vec<Vec<u8>> = export.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect();
    tamper(&mut lines);
    let file = dir.path().join("tampered.jsonl");
    let mut text = lines.join(&b'\n');
    text.push(b'\n');
    std::fs::write(&file, text).unwrap();
    verify(dir.path(), &["--log", file.to_str().unwrap()])
}

#[test]
fn an_intact_export_verifies_without_a_store() {
    let (code, v) = verify_tampered(|_| {});
    assert_eq!((code, v["chain"]["ok"].as_bool(), v["chain"]["events"].as_u64()), (0, Some(true), Some(79)));
    assert_eq!(results(&v).len(), 5);
}

#[test]
fn one_changed_byte_in_a_body_makes_verify_log_exit_2_naming_that_position() {
    for position in [1usize, 40, 79] {
        let (code, v) = verify_tampered(|lines| {
            let line = &mut lines[position - 1];
            // The first character of the first string value in the body (`data`).
            let data = line.windows(7).position(|w| w == b"\"data\":").unwrap();
            let at = data + line[data..].windows(2).position(|w| w == b":\"").unwrap() + 2;
            line[at] = if line[at] == b'x' { b'y' } else { b'x' };
        });
        assert_eq!(code, 2, "position {position}");
        assert_eq!(v["chain"]["broken"]["position"], position as u64);
        assert_eq!(v["chain"]["events"], position as u64 - 1);
    }
}

#[test]
fn a_deleted_line_swapped_lines_or_a_changed_position_make_verify_log_exit_2() {
    let (code, v) = verify_tampered(|lines| {
        lines.remove(30);
    });
    assert_eq!((code, v["chain"]["broken"]["position"].as_u64()), (2, Some(31)));
    let (code, v) = verify_tampered(|lines| lines.swap(10, 11));
    assert_eq!((code, v["chain"]["broken"]["position"].as_u64()), (2, Some(11)));
    let (code, v) = verify_tampered(|lines| {
        let text = String::from_utf8(lines[19].clone()).unwrap().replace("\"position\":20,", "\"position\":21,");
        lines[19] = text.into_bytes();
    });
    assert_eq!((code, v["chain"]["broken"]["position"].as_u64()), (2, Some(20)));
    let (code, v) = verify_tampered(|lines| {
        lines.pop();
    });
    assert_eq!(
        (code, v["chain"]["ok"].as_bool(), v["chain"]["events"].as_u64()),
        (0, Some(true), Some(78)),
        "a shortened log is still a sound prefix; its head differs"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Determinism and independence from how the log was built.
// ---------------------------------------------------------------------------------------------------------------

/// Every projection of a log, serialised: status, timeline and verification.
fn projections_of(events: &[RecordedEvent]) -> Vec<u8> {
    let status = projections::status(events, Window::default());
    let timeline = projections::timeline(events, Window::default(), TimelineFilter::default());
    let verification = projections::verify_verdicts(events, Window::default());
    serde_json::to_vec(&(status, timeline, verification)).unwrap()
}

fn store_events(store: &SledStore) -> Vec<RecordedEvent> {
    store.events(1).collect::<Result<_, _>>().unwrap()
}

fn import_lines(store: &SledStore, lines: &[String]) {
    followup::import(store, lines.join("\n").as_bytes(), "test", |_| {}).unwrap();
}

#[test]
fn projections_rebuilt_from_scratch_are_identical_and_equal_to_incremental_state() {
    let case: Vec<String> = std::fs::read_to_string(CASE).unwrap().lines().map(str::to_owned).collect();
    let generated: Vec<String> = generate(GenerateOptions { reports: 150, seed: 42 }).map(|e| e.to_line()).collect();
    for lines in [case, generated] {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        // Incremental: folds fed by a live subscription while the log is written in several commits.
        let rt = tokio::runtime::Runtime::new().unwrap();
        let mut sub = store.subscribe(1);
        let mut status = projections::StatusFold::new();
        let mut timeline = projections::TimelineFold::new();
        let mut verify = projections::VerifyFold::new();
        for chunk in lines.chunks(lines.len() / 7 + 1) {
            import_lines(&store, chunk);
            rt.block_on(async {
                while sub.next_position() <= store.head().position {
                    let e = sub.next().await.unwrap();
                    status.apply(&e);
                    timeline.apply(&e);
                    verify.apply(&e);
                }
            });
        }
        let all = Window::default();
        let timeline = timeline.snapshot(all, &TimelineFilter::default()).entries(|p| store.event(p)).unwrap();
        let incremental = serde_json::to_vec(&(status.snapshot(all), timeline, verify.snapshot(all))).unwrap();
        let first = projections_of(&store_events(&store));
        let second = projections_of(&store_events(&store));
        assert_eq!(first, second, "two rebuilds differ");
        assert_eq!(first, incremental, "rebuild differs from the incrementally maintained state");
        drop(sub);
        drop(store);
        let reopened = SledStore::open(dir.path()).unwrap();
        assert_eq!(projections_of(&store_events(&reopened)), first, "rebuild after reopen differs");
    }
}

#[test]
fn a_generated_history_verifies_and_yields_every_kind_of_judgement() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let lines: Vec<String> = generate(GenerateOptions { reports: 60, seed: 3 }).map(|e| e.to_line()).collect();
    import_lines(&store, &lines);
    assert!(followup::verify_chain(&store).unwrap().ok());
    let events = store_events(&store);
    let v = projections::verify_verdicts(&events, Window::default());
    let assessed = events.iter().filter(|e| matches!(e.body, Body::StatusAssessed(_))).count();
    assert_eq!(v.verdicts.len(), assessed);
    let supported = v.verdicts.iter().filter(|x| x.result == projections::Judgement::Supported).count();
    assert!(supported * 10 >= assessed * 8, "{supported} of {assessed} supported");
}

#[test]
fn a_recommendations_timeline_and_status_read_from_its_report_alone_equal_those_of_the_whole_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let lines: Vec<String> = generate(GenerateOptions { reports: 40, seed: 11 }).map(|e| e.to_line()).collect();
    import_lines(&store, &lines);
    let all = store_events(&store);
    let status_all = projections::status(&all, Window::default());
    let mut streams: Vec<events::StreamId> = all.iter().map(|e| e.stream.clone()).collect();
    streams.sort();
    streams.dedup();
    let mut checked = 0;
    for s in streams.iter().step_by(7) {
        let own = store.report_events(&s.report_stream()).unwrap();
        assert!(own.windows(2).all(|w| w[0].position < w[1].position), "in position order");
        let filter = TimelineFilter { stream: Some(s.clone()), from: None, to: None };
        assert_eq!(
            projections::timeline(&own, Window::default(), filter.clone()),
            projections::timeline(&all, Window::default(), filter),
            "timeline of {s}"
        );
        let mut status = projections::status(&own, Window::default());
        status.anomalies.clear();
        let mut expected = status_all.clone();
        expected.recommendations.retain(|r| r.report == s.report());
        expected.anomalies.clear();
        expected.reports.retain(|r| r.id == s.report());
        status.recommendations.retain(|r| r.report == s.report());
        status.reports.retain(|r| r.id == s.report());
        assert_eq!(serde_json::to_value(&status).unwrap(), serde_json::to_value(&expected).unwrap(), "status of {s}");
        checked += 1;
    }
    assert!(checked > 20, "{checked} streams checked");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// For random valid histories, verification on the live store equals verification on its export imported
    /// into a fresh store, and so do the chain heads.
    #[test]
    fn verify_on_the_live_store_equals_verify_on_its_export_imported_afresh(seed in any::<u64>(), reports in 1usize..6) {
        let live_dir = tempfile::tempdir().unwrap();
        let live = SledStore::open(live_dir.path()).unwrap();
        let history: Vec<_> = generate(GenerateOptions { reports, seed }).collect();
        // Written in several commits, as a team would.
        let lines: Vec<String> = history.iter().map(|e| e.to_line()).collect();
        for chunk in lines.chunks(17) {
            import_lines(&live, chunk);
        }
        let export: Vec<String> =
            live.lines(1).map(|r| String::from_utf8(r.unwrap().1.to_vec()).unwrap()).collect();
        let copy_dir = tempfile::tempdir().unwrap();
        let copy = SledStore::open(copy_dir.path()).unwrap();
        import_lines(&copy, &export);
        let (a, b) = (store_events(&live), store_events(&copy));
        prop_assert_eq!(
            serde_json::to_string(&projections::verify_verdicts(&a, Window::default())).unwrap(),
            serde_json::to_string(&projections::verify_verdicts(&b, Window::default())).unwrap()
        );
        prop_assert_eq!(followup::verify_chain(&live).unwrap(), followup::verify_chain(&copy).unwrap());
        prop_assert_eq!(projections_of(&a), projections_of(&b));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Regressions found by trying to break verification.
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn verify_that_cannot_run_exits_3_not_1_or_2() {
    let dir = case_store();
    let out = followup(dir.path()).args(["verify", "--log", "/nonexistent/log.jsonl"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not read /nonexistent/log.jsonl"));
    let out = followup(&dir.path().join("typo")).arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_log_cut_short_fails_against_the_head_it_should_end_at() {
    let dir = case_store();
    let (_, full) = verify(dir.path(), &[]);
    let head = full["chain"]["head"].as_str().unwrap().to_owned();
    let (code, _) = verify_tampered(|lines| {
        lines.pop();
    });
    assert_eq!(code, 0, "without an expected head a shorter log is a sound log");
    let export = followup(dir.path()).arg("export").output().unwrap().stdout;
    let mut lines: Vec<&[u8]> = export.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    lines.pop();
    let file = dir.path().join("short.jsonl");
    std::fs::write(&file, lines.join(&b'\n')).unwrap();
    let (code, v) = verify(dir.path(), &["--log", file.to_str().unwrap(), "--expect-head", &head]);
    assert_eq!(code, 2);
    assert_eq!(v["chain"]["expected_head"]["matched"], false);
    let (code, _) = verify(dir.path(), &["--expect-head", &head]);
    assert_eq!(code, 0);
}

#[test]
fn verify_log_reads_lines_as_import_does_bom_crlf_and_blank_lines_included() {
    let dir = case_store();
    let (_, store) = verify(dir.path(), &[]);
    let export = String::from_utf8(followup(dir.path()).arg("export").output().unwrap().stdout).unwrap();
    let windows = format!("\u{feff}{}\r\n\r\n", export.trim_end().replace('\n', "\r\n\r\n"));
    let file = dir.path().join("windows.jsonl");
    std::fs::write(&file, windows).unwrap();
    let (code, v) = verify(dir.path(), &["--log", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["chain"]["head"], store["chain"]["head"]);
    let copy = tempfile::tempdir().unwrap();
    followup(copy.path()).arg("import").arg(&file).assert().success();
    assert_eq!(verify(copy.path(), &[]).1["chain"]["head"], store["chain"]["head"]);
}

#[test]
fn verify_known_at_cites_the_head_of_the_log_as_it_stood_then() {
    let dir = case_store();
    let (_, then) = verify(dir.path(), &[]);
    let before = chrono_now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    record(
        dir.path(),
        r#"{"stream":"ra-amsterdam-2013-nazorg","type":"context_noted","occurred":"2018","source":{"document":"D","locator":"L"},"data":{"summary":"later"}}"#,
    );
    let (code, v) = verify(dir.path(), &["--known-at", &before]);
    assert_eq!(code, 0);
    assert_eq!(v["chain"]["known_at"]["position"], 79);
    assert_eq!(v["chain"]["known_at"]["head"], then["chain"]["head"]);
    assert_eq!(v["chain"]["events"], 80);
}

#[test]
fn verify_and_report_known_at_cite_in_their_text_the_head_known_then_not_the_current_one() {
    // given the case, the instant after it, and an event recorded later
    let dir = case_store();
    let (_, then) = verify(dir.path(), &[]);
    let then_head = then["chain"]["head"].as_str().unwrap().to_owned();
    let before = chrono_now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    record(
        dir.path(),
        r#"{"stream":"ra-amsterdam-2013-nazorg","type":"context_noted","occurred":"2018","source":{"document":"D","locator":"L"},"data":{"summary":"later"}}"#,
    );
    let (_, now) = verify(dir.path(), &[]);
    let now_head = now["chain"]["head"].as_str().unwrap().to_owned();
    assert_ne!(then_head, now_head);
    // when verify's text is asked as known at that instant, then it cites the head then
    let out = followup(dir.path()).args(["verify", "--known-at", &before]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("as known then: position 79, head {then_head}")), "{text}");
    assert!(!text.contains(&now_head), "{text}");
    // and the report pack too, in its page
    let pack = dir.path().join("pack-then");
    followup(dir.path())
        .args(["report", "--as-of", "2017-12-31", "--known-at", &before, "--out"])
        .arg(&pack)
        .assert()
        .success();
    let page = std::fs::read_to_string(pack.join("index.html")).unwrap();
    assert!(page.contains(&format!("SHA-256 head {then_head}")), "the page cites the head known then");
    assert!(!page.contains(&now_head));
    // while without --known-at both cite the head of the whole log
    let pack = dir.path().join("pack-now");
    followup(dir.path()).args(["report", "--as-of", "2017-12-31", "--out"]).arg(&pack).assert().success();
    assert!(std::fs::read_to_string(pack.join("index.html")).unwrap().contains(&format!("SHA-256 head {now_head}")));
}

#[test]
fn verify_log_on_an_import_file_says_it_is_not_an_export_instead_of_a_broken_chain() {
    let out = followup(Path::new("/nonexistent-store")).args(["verify", "--log", CASE]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "verification could not run: {err}");
    assert!(err.contains("it is a file to import, not an export"), "{err}");
    assert!(!err.contains("BROKEN") && out.stdout.is_empty(), "no chain verdict is printed");
}

#[test]
fn verify_log_on_a_csv_says_it_is_not_an_export_instead_of_a_broken_chain() {
    let dir = case_store();
    let csv = followup(dir.path()).args(["export", "--format", "csv"]).output().unwrap().stdout;
    let file = dir.path().join("log.csv");
    std::fs::write(&file, csv).unwrap();
    let out = followup(Path::new("/nonexistent-store")).args(["verify", "--log"]).arg(&file).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "verification could not run: {err}");
    assert!(err.contains("its first line is not a JSON object: it is not an export"), "{err}");
    assert!(!err.contains("BROKEN") && out.stdout.is_empty(), "no chain verdict is printed");
}

#[test]
fn a_superseded_unsupported_verdict_is_shown_as_superseded_and_no_longer_fails_verify() {
    // given the case and an unsupported verdict on recommendation 1 (V3: implemented, resting on no action)
    let dir = case_store();
    let bad = "bbbbbbbb-0000-4000-8000-000000000001";
    record(
        dir.path(),
        &format!(
            r#"{{"id":"{bad}","stream":"ra-amsterdam-2013-nazorg/1","type":"status_assessed","occurred":"2018-03","source":{{"document":"Test","locator":"1"}},"data":{{"verdict":"implemented","as_of":"2018-03","assessor":"Someone","rationale":"looks done","evidence":[]}}}}"#
        ),
    );
    assert_eq!(verify(dir.path(), &[]).0, 1);
    // when a later assessment supersedes it, repeating the case's own supported verdict as of 2018-04
    let export = followup(dir.path()).arg("export").output().unwrap().stdout;
    let original: Value = export
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .find(|l| l["stream"] == "ra-amsterdam-2013-nazorg/1" && l["type"] == "status_assessed" && l["id"] != bad)
        .unwrap();
    let mut data = original["data"].clone();
    data["as_of"] = "2018-04".into();
    data["supersedes"] = bad.into();
    let again = serde_json::json!({"stream": "ra-amsterdam-2013-nazorg/1", "type": "status_assessed",
        "occurred": "2018-04", "source": original["source"], "data": data});
    record(dir.path(), &again.to_string());
    // then verify exits 0: the superseded verdict is judged and listed as superseded, but not what it judges
    let (code, v) = verify(dir.path(), &[]);
    assert_eq!(code, 0, "{v}");
    let listed = v["verdicts"].as_array().unwrap().iter().find(|x| x["event_id"] == bad).unwrap();
    assert_eq!(listed["result"], "unsupported");
    assert!(listed["superseded_by"].is_string(), "{listed}");
    let text = String::from_utf8(followup(dir.path()).arg("verify").output().unwrap().stdout).unwrap();
    assert!(text.contains("UNSUPPORTED, superseded by"), "{text}");
    assert!(text.contains("1 superseded, which the exit code does not judge"), "{text}");
    // and the timeline shows it as superseded, in text and Markdown, while status takes the new one
    for format in ["text", "md"] {
        let out = followup(dir.path())
            .args(["timeline", "--rec", "ra-amsterdam-2013-nazorg/1", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("superseded"), "{format}: {text}");
    }
    let out = followup(dir.path()).args(["status", "--format", "json"]).output().unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["recommendations"][0]["verdict_as_of"], "2018-04");
}

#[test]
fn verify_text_says_whether_the_log_ends_at_the_expected_head() {
    let dir = case_store();
    let head = verify(dir.path(), &[]).1["chain"]["head"].as_str().unwrap().to_owned();
    let out = followup(dir.path()).args(["verify", "--expect-head", &head]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("The log ends at the expected head {head}.")));
    let other = "0".repeat(64);
    let out = followup(dir.path()).args(["verify", "--expect-head", &other]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("does NOT end at the expected head {other}: it ends at {head} after 79 events")),
        "{text}"
    );
}

#[test]
fn status_and_the_report_show_the_judgement_beside_each_verdict() {
    // given the case, each verdict supported
    let dir = case_store();
    let status = |args: &[&str]| {
        let out = followup(dir.path()).arg("status").args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&status(&["--format", "json"])).unwrap();
    let judged: Vec<&str> =
        json["recommendations"].as_array().unwrap().iter().map(|r| r["verdict_judgement"].as_str().unwrap()).collect();
    assert_eq!(judged, ["supported"; 5]);
    // when the evidence of recommendation 5's verdict is retracted
    let target = rec5_action_evidence(dir.path());
    record(
        dir.path(),
        &format!(
            r#"{{"stream":"ra-amsterdam-2013-nazorg/5","type":"event_retracted","occurred":"2018-02","source":{{"document":"Correction","locator":"1"}},"data":{{"target":"{target}","reason":"not about the monitor"}}}}"#
        ),
    );
    // then status says so in every format, and the report's status table too
    let json: Value = serde_json::from_str(&status(&["--format", "json"])).unwrap();
    assert_eq!(json["recommendations"][4]["verdict_judgement"], "undermined");
    assert_eq!(json["recommendations"][4]["verdicts"][0]["judgement"], "undermined");
    assert!(status(&[]).contains("undermined"));
    assert!(status(&["--format", "md"]).contains("partially implemented (undermined)"));
    assert!(status(&["--format", "csv"]).lines().nth(5).unwrap().ends_with(",undermined"));
    assert!(status(&["--lang", "nl"]).contains("ondermijnd"));
    let pack = dir.path().join("pack");
    followup(dir.path()).args(["report", "--as-of", "2018-12-31", "--out"]).arg(&pack).assert().success();
    assert!(std::fs::read_to_string(pack.join("index.html"))
        .unwrap()
        .contains("<span class=\"muted\">undermined</span>"));
    // and the summary counts the verdict as it stands, saying how many are not supported by the evidence
    let out = followup(dir.path()).args(["summary", "--as-of", "2018-12-31", "--format", "json"]).output().unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&summary["overall"]["verdicts"]["partially_implemented"], &summary["overall"]["not_supported"]),
        (&Value::from(1), &Value::from(1))
    );
    let out = followup(dir.path()).args(["summary", "--as-of", "2018-12-31"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l.contains("Verdicts not supported by the evidence") && l.contains(" 1 ")), "{text}");
}
