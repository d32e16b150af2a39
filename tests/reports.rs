//! Output that holds recommendations of several reports names each report (its title, auditor, date and URL),
//! so that "recommendation 1" is never ambiguous.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");
const OTHER: &str = r#"{"stream":"gao-1989","type":"report_published","occurred":"1989-11-XX","source":{"document":"GAO","locator":"cover"},"data":{"title":"Financial Audit","auditor":"GAO","summary":"S","url":"https://www.gao.gov/products/x"}}
{"stream":"gao-1989/1","type":"recommendation_issued","occurred":"1989-11","source":{"document":"GAO","locator":"p 3"},"data":{"number":1,"text":"Reconcile the accounts"}}
{"stream":"gao-1989/1","type":"action_taken","occurred":"2011/2012","source":{"document":"GAO","locator":"p 9"},"data":{"summary":"Accounts reconciled during 2011-2012"}}
{"stream":"gao-1989","type":"report_published","occurred":"2023","source":{"document":"GAO","locator":"follow-up"},"data":{"title":"Follow-up","auditor":"GAO","summary":"S"}}"#;

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "reports test");
    cmd
}

fn two_reports() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, OTHER).unwrap();
    for file in [Path::new(CASE), other.as_path()] {
        let out = followup(&dir.path().join("s")).arg("import").arg(file).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    dir
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn status_and_timeline_of_several_reports_name_each_report_by_title_auditor_date_and_url() {
    let dir = two_reports();
    let store = dir.path().join("s");
    let amsterdam = "Report ra-amsterdam-2013-nazorg: Nazorg aan gedetineerden, een ongemakkelijke keten (Rekenkamer Amsterdam, May 2013)";
    let gao = "Report gao-1989: Financial Audit (GAO, November 1989) https://www.gao.gov/products/x";

    let md = stdout(followup(&store).args(["status", "--format", "md"]));
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(headings, [format!("## {gao}"), format!("## {amsterdam}")]);

    let text = stdout(followup(&store).args(["status"]));
    assert!(text.contains(gao) && text.contains(amsterdam), "{text}");
    assert!(text.find(gao).unwrap() < text.find("Reconcile").unwrap(), "each table under its report");

    // The timeline's rows name their report, and the reports are listed under the table.
    let text = stdout(followup(&store).args(["timeline", "--to", "2013-05"]));
    assert!(text.contains("gao-1989"), "{text}");
    assert!(text.contains(gao) && text.contains(amsterdam), "{text}");
    let md = stdout(followup(&store).args(["timeline", "--format", "md"]));
    assert!(md.contains(&format!("## {gao}")), "{md}");

    // JSON holds the reports; the second publication on gao-1989 is its follow-up report.
    let out = stdout(followup(&store).args(["status", "--format", "json"]));
    let status: Value = serde_json::from_str(&out).unwrap();
    let gao = &status["reports"][0];
    assert_eq!(
        (&gao["id"], &gao["title"], &gao["published"], &gao["follow_ups"]),
        (&Value::from("gao-1989"), &Value::from("Financial Audit"), &Value::from("1989-11-XX"), &Value::from(1))
    );
    // Only one report: `--report` keeps its own entry.
    let out = stdout(followup(&store).args(["status", "--format", "json", "--report", "gao-1989"]));
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["reports"].as_array().unwrap().len(), 1);
}

#[test]
fn an_edtf_interval_and_unspecified_digits_are_recorded_shown_and_ordered() {
    let dir = two_reports();
    let store = dir.path().join("s");
    let text = stdout(followup(&store).args(["timeline", "--rec", "gao-1989/1"]));
    assert!(text.contains("2011–2012"), "{text}");
    assert!(text.contains("November 1989"), "{text}");
    let out = stdout(followup(&store).args(["timeline", "--rec", "gao-1989/1", "--format", "json"]));
    let t: Value = serde_json::from_str(&out).unwrap();
    let dates: Vec<&str> = t["entries"].as_array().unwrap().iter().map(|e| e["occurred"].as_str().unwrap()).collect();
    // "Some day of November 1989" and "November 1989" cover the same days: by position. Then the interval, after
    // the precise dates of 2011, and the 2023 follow-up.
    assert_eq!(dates, ["1989-11-XX", "1989-11", "2011/2012", "2023"]);
    // `--from` and `--as-of` take EDTF level 1 too.
    let out = stdout(followup(&store).args(["timeline", "--from", "201X", "--format", "json"]));
    let t: Value = serde_json::from_str(&out).unwrap();
    assert!(t["entries"].as_array().unwrap().iter().any(|e| e["occurred"] == "2011/2012"));
    let out = followup(&store).args(["status", "--as-of", "2012/2011"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`2012/2011` ends before it starts"));
}
