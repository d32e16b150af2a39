//! Owners as a user records and reads them: `record --owner`, a new owner by `commitment_revised`, the owner in
//! every format of `status` and in `due`, and the `--owner` filters.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");
const REC: &str = "ra-amsterdam-2013-nazorg/5";

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "owner test");
    cmd.env_remove("FOLLOWUP_LANG");
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn json_of(cmd: &mut Command) -> Value {
    serde_json::from_str(&stdout(cmd.arg("--format").arg("json"))).unwrap()
}

/// The case, with a commitment on recommendation 5 made by "Wethouder Zorg" in 2018 and passed to "Wethouder
/// Werk" by a revision that keeps its due date.
fn case_with_owners() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    let made = json_of(followup(dir.path()).args([
        "record",
        "--stream",
        REC,
        "--type",
        "commitment_made",
        "--occurred",
        "2018-01",
        "--document",
        "Brief van het college",
        "--locator",
        "p. 2",
        "--data",
        r#"{"summary":"Een plan voor de nazorg","due":"2018-06"}"#,
        "--owner",
        "Wethouder Zorg",
    ]));
    let commitment = made["event_id"].as_str().unwrap();
    let revised = json!({"stream": REC, "type": "commitment_revised", "occurred": "2018-03",
        "source": {"document": "Brief van het college", "locator": "p. 1"},
        "data": {"commitment": commitment, "due": "2018-06", "reason": "Nieuwe portefeuilleverdeling"}});
    followup(dir.path()).args(["record", &revised.to_string(), "--owner", "Wethouder Werk"]).assert().success();
    dir
}

#[test]
fn the_case_as_published_has_no_owners_and_its_status_shows_no_owner_column() {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).arg("import").arg(CASE).assert().success();
    let status = json_of(followup(dir.path()).arg("status"));
    let owners: Vec<&Value> = status["recommendations"].as_array().unwrap().iter().map(|r| &r["owner"]).collect();
    assert_eq!(owners, [&Value::Null; 5]);
    assert!(!stdout(followup(dir.path()).arg("status")).contains("Owner"));
}

#[test]
fn an_owner_recorded_and_passed_on_shows_in_status_in_every_format() {
    let dir = case_with_owners();
    let status = json_of(followup(dir.path()).arg("status"));
    let r = &status["recommendations"][4];
    assert_eq!((r["id"].as_str(), r["owner"].as_str()), (Some(REC), Some("Wethouder Werk")));
    let c = r["commitments"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&c["owner"], &c["current_owner"], &c["current_due"], &c["slips"]),
        (&json!("Wethouder Zorg"), &json!("Wethouder Werk"), &json!("2018-06"), &json!(0))
    );
    assert_eq!(c["revisions"][0]["owner"], "Wethouder Werk");
    let others: Vec<&Value> = status["recommendations"].as_array().unwrap()[..4].iter().map(|r| &r["owner"]).collect();
    assert_eq!(others, [&Value::Null; 4]);

    let text = stdout(followup(dir.path()).arg("status"));
    assert!(text.lines().nth(2).unwrap().contains("Owner"), "{text}");
    assert!(text.contains("Wethouder Werk"), "{text}");
    let dutch = stdout(followup(dir.path()).args(["--lang", "nl", "status"]));
    assert!(dutch.contains("Verantwoordelijke"), "{dutch}");

    let md = stdout(followup(dir.path()).args(["status", "--format", "md"]));
    assert!(md.contains("| Actions | Owner |"), "{md}");
    let row5 = md.lines().find(|l| l.starts_with("| 5 |")).unwrap();
    assert!(row5.ends_with("| Wethouder Werk |"), "{row5}");
    let row1 = md.lines().find(|l| l.starts_with("| 1 |")).unwrap();
    assert!(row1.ends_with("|  |"), "{row1}");

    let csv = stdout(followup(dir.path()).args(["status", "--format", "csv"]));
    assert!(csv.lines().next().unwrap().starts_with("recommendation,report,number,text,owner,stance,"));
    let row5 = csv.lines().find(|l| l.starts_with(REC)).unwrap();
    assert!(row5.contains(",Wethouder Werk,adopted,"), "{row5}");

    let html = stdout(followup(dir.path()).args(["--lang", "nl", "status", "--format", "html"]));
    assert!(html.contains("<th>Verantwoordelijke</th>") && html.contains("<td>Wethouder Werk</td>"), "{html}");
}

#[test]
fn status_and_due_filter_by_owner_ignoring_case() {
    let dir = case_with_owners();
    let ids = |v: &Value| -> Vec<String> {
        v["recommendations"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&json_of(followup(dir.path()).args(["status", "--owner", " wethouder werk "]))), [REC]);
    // The commitment passed on: its first owner owns nothing now.
    assert!(ids(&json_of(followup(dir.path()).args(["status", "--owner", "Wethouder Zorg"]))).is_empty());
    assert!(
        ids(&json_of(followup(dir.path()).args(["status", "--owner", "Wethouder"]))).is_empty(),
        "no partial match"
    );
    let text = stdout(followup(dir.path()).args(["status", "--owner", "nobody"]));
    assert_eq!(text, "No recommendations in this window.\n");

    // An earlier commitment of another owner: the recommendation's owner stays that of the latest.
    followup(dir.path())
        .args(["record", "--stream", REC, "--type", "commitment_made", "--occurred", "2017-12", "--document", "D"])
        .args(["--locator", "L", "--data", r#"{"summary":"Een overleg","due":"2018-09"}"#, "--owner", "Afdeling Zorg"])
        .assert()
        .success();
    assert_eq!(ids(&json_of(followup(dir.path()).args(["status", "--owner", "afdeling zorg"]))), [REC]);
    let all = json_of(followup(dir.path()).args(["due", "--on", "2018-12-31"]));
    let all: Vec<(&Value, &Value)> =
        all["overdue"].as_array().unwrap().iter().map(|o| (&o["owner"], &o["days_overdue"])).collect();
    assert_eq!(all, [(&json!("Wethouder Werk"), &json!(184)), (&json!("Afdeling Zorg"), &json!(92))]);
    let mine = json_of(followup(dir.path()).args(["due", "--on", "2018-12-31", "--owner", "WETHOUDER WERK"]));
    let mine = mine["overdue"].as_array().unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        (&mine[0]["recommendation"], &mine[0]["owner"], &mine[0]["commitment"]["summary"], &mine[0]["days_overdue"]),
        (&json!(REC), &json!("Wethouder Werk"), &json!("Een plan voor de nazorg"), &json!(184))
    );
    let text = stdout(followup(dir.path()).args(["due", "--on", "2018-12-31", "--owner", "wethouder werk"]));
    assert!(text.lines().nth(1).unwrap().contains("Owner"), "{text}");
    assert!(text.contains("Wethouder Werk") && text.ends_with("1 commitment overdue on 2018-12-31\n"), "{text}");
}

#[test]
fn an_owner_is_refused_where_it_does_not_apply_and_when_it_is_blank() {
    let dir = case_with_owners();
    let out = followup(dir.path())
        .args(["record", "--stream", REC, "--type", "action_taken", "--occurred", "2018", "--document", "D"])
        .args(["--locator", "L", "--data", r#"{"summary":"done"}"#, "--owner", "X"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --owner applies to recommendation_issued, commitment_made, commitment_revised, not to `action_taken`\n"
    );
    let out = followup(dir.path())
        .args(["record", "--stream", REC, "--type", "commitment_made", "--occurred", "2018", "--document", "D"])
        .args(["--locator", "L", "--data", r#"{"summary":"more"}"#, "--owner", " "])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("data.owner"), "{}", String::from_utf8_lossy(&out.stderr));
    // --owner beside a line that names another owner is refused, not silently preferred
    let line = format!(
        r#"{{"stream":"{REC}","type":"commitment_made","occurred":"2018","source":{{"document":"D","locator":"L"}},"data":{{"summary":"more","owner":"Z"}}}}"#
    );
    let out = followup(dir.path()).args(["record", &line, "--owner", "Y"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--owner `Y` and the line's data.owner `Z` disagree"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
