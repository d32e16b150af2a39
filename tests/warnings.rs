//! What the store accepts but says is odd (README, "Accepted with a warning"), and the one case it refuses: each
//! warning names the event's position and the field, in text on standard error and in JSON beside the result.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");
const REC3: &str = "ra-amsterdam-2013-nazorg/3";
/// The commitment of recommendation 4 made on 5 June 2013.
const COMMITMENT_4: &str = "51958c50-6434-569b-90cc-caccc54ce0fc";

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "warnings test");
    cmd
}

fn case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = followup(dir.path()).args(["import", CASE, "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["warnings"], serde_json::json!([]), "the case itself draws no warning");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn line(stream: &str, kind: &str, occurred: &str, data: &str) -> String {
    format!(
        r#"{{"stream":"{stream}","type":"{kind}","occurred":"{occurred}","source":{{"document":"D","locator":"L"}},"data":{data}}}"#
    )
}

/// Records `line`, which must be accepted: its warnings on standard error, and from `--format json`.
fn record(store: &Path, line: &str) -> (String, Vec<Value>) {
    let out = followup(store).args(["record", line]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The same line again is a resend: nothing appended, so nothing to warn about.
    let again = followup(store).args(["record", line, "--format", "json"]).output().unwrap();
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((again["appended"].as_u64(), again["warnings"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let warnings = stderr.lines().filter(|l| l.starts_with("warning: ")).map(|l| Value::String(l.into())).collect();
    (stderr, warnings)
}

fn actions_of_3(store: &Path, as_of: Option<&str>) -> usize {
    let mut cmd = followup(store);
    cmd.args(["status", "--format", "json"]);
    if let Some(d) = as_of {
        cmd.args(["--as-of", d]);
    }
    let out = cmd.output().unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rec = status["recommendations"].as_array().unwrap().iter().find(|r| r["id"] == REC3).unwrap().clone();
    rec["actions"].as_array().unwrap().len()
}

#[test]
fn a_revised_due_date_before_the_commitment_is_refused_naming_data_due_and_nothing_is_written() {
    let dir = case();
    let before = followup(dir.path()).arg("export").output().unwrap().stdout;
    let revised = line(
        "ra-amsterdam-2013-nazorg/4",
        "commitment_revised",
        "2014-02",
        &format!(r#"{{"commitment":"{COMMITMENT_4}","due":"2012","reason":"r"}}"#),
    );
    let out = followup(dir.path()).args(["record", &revised]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("field `data.due`: 2012 is before the commitment it revises was made (2013-06-05)"),
        "{stderr}"
    );
    assert_eq!(followup(dir.path()).arg("export").output().unwrap().stdout, before);
}

#[test]
fn an_event_dated_after_today_is_accepted_with_a_warning_and_status_counts_it_from_its_date() {
    let dir = case();
    let today_count = actions_of_3(dir.path(), None);
    let (stderr, warnings) =
        record(dir.path(), &line(REC3, "action_taken", "2099-01", r#"{"summary":"a plan written as done"}"#));
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(stderr.contains("position 80 (event "), "{stderr}");
    assert!(stderr.contains("field `occurred`: 2099-01 lies after the day it was recorded ("), "{stderr}");
    // Status defaults to today, as summary does: the action counts only from 2099 on.
    assert_eq!(actions_of_3(dir.path(), None), today_count);
    assert_eq!(actions_of_3(dir.path(), Some("2099")), today_count + 1);
}

#[test]
fn a_record_to_a_recommendation_never_issued_or_a_report_never_published_warns_naming_the_stream() {
    let dir = case();
    let (stderr, warnings) =
        record(dir.path(), &line("ra-amsterdam-2013-nazorg/9", "action_taken", "2015", r#"{"summary":"x"}"#));
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "field `stream`: ra-amsterdam-2013-nazorg/9 has no recommendation_issued: status lists it as never issued"
        ),
        "{stderr}"
    );
    let (stderr, warnings) = record(
        dir.path(),
        &line("gemeente-x-2024/1", "recommendation_issued", "2024-03", r#"{"number":1,"text":"Doe iets"}"#),
    );
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(stderr.contains("field `stream`: report gemeente-x-2024 has no report_published"), "{stderr}");
}

#[test]
fn a_response_naming_recommendation_7_of_a_report_of_5_warns_naming_data_recommendations() {
    let dir = case();
    let (stderr, warnings) = record(
        dir.path(),
        &line(
            "ra-amsterdam-2013-nazorg",
            "executive_responded",
            "2013-06",
            r#"{"stance":"adopted","summary":"s","recommendations":[2,7]}"#,
        ),
    );
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "field `data.recommendations`: names recommendation ra-amsterdam-2013-nazorg/7, which its report never issued"
        ),
        "{stderr}"
    );
}

#[test]
fn a_second_recommendation_issued_with_other_text_warns_naming_the_first() {
    let dir = case();
    let (stderr, warnings) =
        record(dir.path(), &line(REC3, "recommendation_issued", "2013-05", r#"{"number":3,"text":"Another text"}"#));
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("field `type`: {REC3} was issued before with other text (position 4)")),
        "{stderr}"
    );
}

#[test]
fn an_as_of_coarser_than_the_assessment_warns_naming_data_as_of() {
    let dir = case();
    let (stderr, warnings) = record(
        dir.path(),
        &line(
            REC3,
            "status_assessed",
            "2018-03-15",
            r#"{"verdict":"implemented","as_of":"2018","assessor":"A","rationale":"R","evidence":[]}"#,
        ),
    );
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "field `data.as_of`: 2018 runs past the assessment itself (2018-03-15): give the state of affairs as precisely as the assessment is dated"
        ),
        "{stderr}"
    );
}

#[test]
fn an_import_reports_its_warnings_in_json_and_the_first_20_in_text() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> =
        (1..=25).map(|n| line(&format!("r-2020/{n}"), "action_taken", "2015", r#"{"summary":"x"}"#)).collect();
    let file = dir.path().join("odd.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let store = dir.path().join("store");
    let out = followup(&store).arg("import").arg(&file).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    // 25 streams never issued and their report never published: 26 warnings.
    assert_eq!(stderr.lines().filter(|l| l.starts_with("warning: position")).count(), 20, "{stderr}");
    assert!(stderr.contains("warning: and 6 more (all of them with --format json)"), "{stderr}");
    let store2 = dir.path().join("store2");
    let out = followup(&store2).arg("import").arg(&file).args(["--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 26);
    assert_eq!(warnings[0]["field"], "stream");
    assert_eq!(warnings[0]["position"], 1);
}

#[test]
fn a_recommendation_whose_issue_is_retracted_leaves_the_status_and_its_verdict_is_undermined() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        line("v", "report_published", "2016", r#"{"title":"T","auditor":"A","summary":"S"}"#),
        line("v/1", "recommendation_issued", "2016", r#"{"number":1,"text":"Do it"}"#),
        line(
            "v/1",
            "status_assessed",
            "2017",
            r#"{"verdict":"not_implemented","as_of":"2017","assessor":"A","rationale":"R","evidence":[],"attributable":true}"#,
        ),
    ];
    let file = dir.path().join("v.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let store = dir.path().join("s");
    assert!(followup(&store).arg("import").arg(&file).output().unwrap().status.success());
    let export = followup(&store).arg("export").output().unwrap().stdout;
    let issue: Value = serde_json::from_str(String::from_utf8(export).unwrap().lines().nth(1).unwrap()).unwrap();
    let id = issue["id"].as_str().unwrap();
    let retraction = line("v/1", "event_retracted", "2018", &format!(r#"{{"target":"{id}","reason":"never made"}}"#));
    let out = followup(&store).args(["record", &retraction]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = followup(&store).args(["status", "--format", "json"]).output().unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["recommendations"], serde_json::json!([]));
    assert_eq!(
        status["anomalies"][0]["message"],
        "recommendation v/1 is left out: its recommendation_issued was retracted"
    );
    let out = followup(&store).arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "an undermined verdict is not supported");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("the issue of v/1 was retracted at position 4, after the assessment"), "{text}");
}

#[test]
fn an_amount_with_a_third_decimal_beyond_what_a_double_holds_is_refused_not_rounded() {
    let dir = case();
    for value in ["10000000000000.001", "9999999999999.999", "1.0000000000000001", "12.345"] {
        let action = line(
            REC3,
            "action_taken",
            "2016",
            &format!(r#"{{"summary":"paid","amount":{{"value":{value},"currency":"EUR"}}}}"#),
        );
        let out = followup(dir.path()).args(["record", &action]).output().unwrap();
        assert!(!out.status.success(), "{value} was accepted");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains(&format!("amount `{value}` is not a number of EUR with at most two decimals")),
            "{stderr}"
        );
    }
    let (_, warnings) = record(
        dir.path(),
        &line(REC3, "action_taken", "2016", r#"{"summary":"paid","amount":{"value":12.50,"currency":"EUR"}}"#),
    );
    assert!(warnings.is_empty());
}
