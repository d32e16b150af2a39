//! `--lang nl` writes every table, heading, count and confirmation in Dutch; README lists what stays English
//! (errors, warnings and usage).

use std::path::Path;

use assert_cmd::Command;

const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).arg("--lang").arg("nl").env_remove("FOLLOWUP_STORE");
    cmd.env("FOLLOWUP_RECORDED_BY", "dutch test");
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Fails on any of these English words in `text`.
fn no_english(text: &str) {
    // Words of the tool's own (the log's texts in this case are English summaries, and stay as written).
    for english in [
        "entries",
        "Recommendation",
        "Due first",
        "Due now",
        "Days overdue",
        "Slipped",
        "appended",
        "already present",
        "not assessed",
        "Stance",
        "Verdict",
        "log head",
    ] {
        assert!(!text.contains(english), "`{english}` in: {text}");
    }
}

#[test]
fn import_record_timeline_due_and_status_speak_dutch() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let text = stdout(followup(&store).arg("import").arg(CASE));
    assert!(
        text.starts_with("79 gebeurtenissen gelezen: 79 toegevoegd, 0 al aanwezig; het log eindigt op positie 79 (")
    );
    no_english(&text);
    let text = stdout(followup(&store).arg("import").arg(CASE));
    assert!(text.starts_with("79 gebeurtenissen gelezen: 0 toegevoegd, 79 al aanwezig"), "{text}");

    let line = r#"{"stream":"ra-amsterdam-2013-nazorg","type":"context_noted","occurred":"2018","source":{"document":"D","locator":"L"},"data":{"summary":"s"}}"#;
    let text = stdout(followup(&store).args(["record", line]));
    assert!(
        text.starts_with("gebeurtenis ")
            && text.contains(" vastgelegd in ra-amsterdam-2013-nazorg, versie 21, positie 80"),
        "{text}"
    );
    let text = stdout(followup(&store).args(["record", line]));
    assert!(
        text.starts_with("al vastgelegd: gebeurtenis ") && text.contains("staat op positie 80 van het log"),
        "{text}"
    );

    let text = stdout(followup(&store).args(["timeline", "--rec", "ra-amsterdam-2013-nazorg/3"]));
    assert!(text.trim_end().ends_with(" gebeurtenissen"), "{text}");
    no_english(&text);

    let commitment = r#"{"stream":"ra-amsterdam-2013-nazorg/1","type":"commitment_made","occurred":"2013-06","source":{"document":"D","locator":"L"},"data":{"summary":"een overzicht","due":"2014-06"}}"#;
    stdout(followup(&store).args(["record", commitment]));
    let text = stdout(followup(&store).args(["due", "--on", "2014-12-31"]));
    assert!(text.contains("Eerste termijn") && text.contains("Dagen over tijd"), "{text}");
    assert!(text.contains("1 toezegging over tijd op 2014-12-31"), "{text}");
    no_english(&text);
    let text = stdout(followup(&store).args(["due", "--on", "2013-01-01"]));
    assert_eq!(text, "Op 2013-01-01 is geen toezegging over tijd.\n");

    let text = stdout(followup(&store).args(["status", "--as-of", "2011"]));
    assert_eq!(text, "Geen aanbevelingen in dit venster.\n");
    let text = stdout(followup(&store).args(["status"]));
    assert!(text.contains("Rapport ra-amsterdam-2013-nazorg: Nazorg aan gedetineerden"), "{text}");
    assert!(text.contains("gedeeltelijk uitgevoerd"), "{text}");
    no_english(&text);
}

#[test]
fn verify_says_its_counts_and_the_chain_in_dutch() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    stdout(followup(&store).arg("import").arg(CASE));
    let text = stdout(followup(&store).arg("verify"));
    assert!(text.contains("5 oordelen: 5 onderbouwd, 0 niet onderbouwd, 0 ondermijnd"), "{text}");
    assert!(text.contains("Hashketen intact: 79 gebeurtenissen; oordelen getoetst aan de kop van het log "), "{text}");
    let out = followup(&store).args(["verify", "--expect-head", &"0".repeat(64)]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("Het log eindigt NIET op de verwachte kop {}", "0".repeat(64))), "{text}");
}

#[test]
fn the_demo_and_verify_s_table_speak_dutch() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(followup(dir.path()).arg("demo"));
    for dutch in [
        "Nazorg aan gedetineerden, een ongemakkelijke keten (Rekenkamer Amsterdam, mei 2013): 79 gebeurtenissen",
        "Stand van zaken per aanbeveling",
        "Tijdlijn, mei 2013 tot en met 2017",
        "Verificatie: elk oordeel opnieuw getoetst",
        "Regels geschonden",
        "onderbouwd",
    ] {
        assert!(text.contains(dutch), "`{dutch}` missing: {text}");
    }
    for english in ["Status of the recommendations", "Timeline,", "Verification", "Rules failed", "supported"] {
        assert!(!text.contains(english), "`{english}` in: {text}");
    }
}
