//! `followup draft` on the seed's follow-up report, measured against the hand-encoded case: the targets of
//! recall and precision per kind, deterministic output, and drafts that import once reviewed.

use std::process::Command;

use serde_json::Value;

const TEXT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam-2017.txt");
const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");

/// The drafts a `draft` run wrote, one JSON object a line.
fn drafts_of(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The drafts of one event type.
fn of_type(drafts: &[Value], kind: &str) -> Vec<Value> {
    drafts.iter().filter(|d| d["type"] == kind).cloned().collect()
}

fn followup(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(args)
        .env_remove("FOLLOWUP_STORE")
        .env_remove("FOLLOWUP_DATABASE")
        .env_remove("FOLLOWUP_SERVER")
        .output()
        .unwrap()
}

#[test]
fn the_draft_of_the_seed_finds_every_recommendation_stance_and_verdict_and_most_dated_facts() {
    let out = followup(&["draft", TEXT, "--compare", CASE, "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let score = |kind: &str| report["scores"].as_array().unwrap().iter().find(|s| s["kind"] == kind).cloned().unwrap();
    for kind in ["recommendations", "stances", "verdicts"] {
        let s = score(kind);
        assert_eq!(
            (s["reference"].as_u64(), s["matched"].as_u64(), s["drafted"].as_u64()),
            (Some(5), Some(5), Some(5)),
            "{kind}: {s}"
        );
    }
    let facts = score("dated facts");
    assert_eq!(facts["reference"], 45);
    let (recall, precision) = (facts["recall"].as_f64().unwrap(), facts["precision"].as_f64().unwrap());
    assert!(recall >= 0.70, "dated facts recall {recall}: {facts}");
    assert!(precision >= 0.80, "dated facts precision {precision}: {facts}");
    // The phrases it could not read are listed with their lines.
    let unread = report["unread"].as_array().unwrap();
    assert!(unread.iter().any(|u| u["phrase"] == "vòòr 2014" && u["line"] == 559), "{unread:?}");
}

#[test]
fn drafts_carry_their_source_a_marker_and_a_confidence_and_the_same_text_gives_the_same_drafts() {
    let first = followup(&["draft", TEXT]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let again = followup(&["draft", TEXT]);
    assert_eq!(first.stdout, again.stdout, "deterministic");
    let lines: Vec<Value> =
        String::from_utf8(first.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 50, "{}", lines.len());
    for l in &lines {
        assert_eq!(l["draft"], true, "{l}");
        let c = l["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{l}");
        assert!(l["source"]["locator"].as_str().unwrap().contains("line "), "{l}");
        assert!(!l["source"]["quote"].as_str().unwrap().is_empty(), "{l}");
    }
    let verdict =
        lines.iter().find(|l| l["type"] == "status_assessed" && l["stream"].as_str().unwrap().ends_with("/4")).unwrap();
    // "Stand van zaken 2017" gives the year; "Op dit moment (december 2017)" in that section the month.
    assert_eq!(verdict["data"]["as_of"], "2017-12");
    assert_eq!(verdict["data"]["verdict"], "implemented");
    assert_eq!(verdict["data"]["label"], "Volledig uitgevoerd");
    let response = lines
        .iter()
        .find(|l| l["type"] == "executive_responded" && l["stream"].as_str().unwrap().ends_with("/2"))
        .unwrap();
    assert_eq!(response["data"]["stance"], "adopted_with_reservations");
    assert_eq!(response["source"]["locator"], "2 Aanbeveling 2, Reactie college 2013, line 170");
}

#[test]
fn a_text_without_recommendations_a_binary_file_and_a_pdf_without_pdftotext_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("notes.txt");
    std::fs::write(&plain, "Een brief zonder aanbevelingen.\n").unwrap();
    let out = followup(&["draft", plain.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no recommendation heading"), "{out:?}");
    let binary = dir.path().join("x.txt");
    std::fs::write(&binary, b"1 Aanbeveling 1\n\xff\xfe").unwrap();
    let out = followup(&["draft", binary.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not UTF-8 text (line 2, byte 16"), "{out:?}");
    let pdf = dir.path().join("r.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 not really").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_followup"))
        .args(["draft", pdf.to_str().unwrap()])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs pdftotext"), "{out:?}");
}

#[test]
fn a_draft_file_imports_only_once_every_draft_is_reviewed_or_accepted_and_a_plain_import_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let drafts = dir.path().join("drafts.jsonl");
    let store = dir.path().join("store");
    let (drafts_s, store_s) = (drafts.to_str().unwrap(), store.to_str().unwrap());
    assert!(followup(&["draft", TEXT, "--out", drafts_s]).status.success());
    let plain = followup(&["--store", store_s, "import", drafts_s]);
    assert!(!plain.status.success());
    assert!(String::from_utf8_lossy(&plain.stderr).contains("import --drafts"), "{plain:?}");
    let refused = followup(&["--store", store_s, "import", "--drafts", drafts_s]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("line 1: field `draft`: the report_published"), "{err}");
    assert!(!store.exists(), "a refused import leaves no store behind");
    // The auditor accepts each draft, drops a fact of the report (one no verdict rests on) and edits a summary.
    let text = std::fs::read_to_string(&drafts).unwrap();
    let mut kept = Vec::new();
    let mut dropped = false;
    for line in text.lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if !dropped && v["type"] == "context_noted" && !v["stream"].as_str().unwrap().contains('/') {
            dropped = true;
            continue;
        }
        v["draft"] = Value::Bool(false);
        if v["type"] == "report_published" {
            v["data"]["summary"] = "Follow-up of the 2013 audit of aftercare for ex-prisoners".into();
        }
        kept.push(v.to_string());
    }
    std::fs::write(&drafts, kept.join("\n") + "\n").unwrap();
    let out = followup(&["--store", store_s, "import", "--drafts", drafts_s, "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["appended"].as_u64().unwrap() as usize, kept.len());
    let verify = followup(&["--store", store_s, "verify"]);
    assert!(String::from_utf8_lossy(&verify.stdout).contains(&format!("Hash chain intact: {} events", kept.len())));
    // --accept-drafts takes the unreviewed ones too, and says how many.
    let other = dir.path().join("other");
    let fresh = dir.path().join("fresh.jsonl");
    assert!(followup(&["draft", TEXT, "--out", fresh.to_str().unwrap()]).status.success());
    let out = followup(&[
        "--store",
        other.to_str().unwrap(),
        "import",
        "--drafts",
        "--accept-drafts",
        fresh.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("accepted without review"), "{out:?}");
    // Every drafted verdict rests on facts that certainly occurred by its as-of date: verify supports all five.
    let verify = followup(&["--store", other.to_str().unwrap(), "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", String::from_utf8_lossy(&verify.stdout));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("5 verdicts: 5 supported"));
}

#[test]
fn an_english_report_with_plain_headings_is_drafted_and_what_is_not_drafted_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("en.txt");
    std::fs::write(
        &file,
        "The Court of Audit Utrecht published the report \"Youth care in the city\" in May 2019.\n\
         Recommendation 1\nMake one overview of waiting lists\nResponse of the executive\n\
         The executive accepts the recommendation.\nStatus November 2021\n\
         In 2020 the city built a dashboard. Currently the overview covers all districts\n\
         Conclusion recommendation 1: Implemented\nThe recommendation is implemented.\n\
         Aanbeveling 2\nDoe iets anders\nConclusie aanbeveling 2: Grotendeels uitgevoerd\n\
         Conclusie aanbeveling 9: Uitgevoerd\n",
    )
    .unwrap();
    let out = followup(&["draft", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let drafts = drafts_of(&out);
    let of = |kind: &str| of_type(&drafts, kind);
    assert_eq!(of("report_published")[0]["occurred"], "2019-05");
    assert_eq!(of("report_published")[0]["data"]["auditor"], "Court of Audit Utrecht");
    assert_eq!(of("recommendation_issued").len(), 2, "a heading without a section number too");
    assert_eq!(of("executive_responded")[0]["data"]["stance"], "adopted");
    let verdicts = of("status_assessed");
    assert_eq!(verdicts.len(), 2);
    assert_eq!(
        (&verdicts[0]["data"]["verdict"], &verdicts[0]["data"]["as_of"]),
        (&"implemented".into(), &"2021-11".into())
    );
    assert_eq!(
        (&verdicts[1]["data"]["verdict"], &verdicts[1]["data"]["label"]),
        (&"partially_implemented".into(), &"Grotendeels uitgevoerd".into())
    );
    assert!(of("action_taken").iter().any(|a| a["occurred"] == "2021-11"), "told in the present under Status");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not drafted: line 13: \"Conclusie aanbeveling 9: Uitgevoerd\""), "{err}");
}

#[test]
fn every_row_of_the_readme_table_of_date_phrases_reads_as_it_says() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table =
        readme.split("#### Date phrases").nth(1).expect("the table of date phrases").split("\n\n").nth(2).unwrap();
    let mut rows = 0;
    for row in table.lines().skip(2) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let (phrase, edtf) = (cells[0], cells[1]);
        let (found, unread) = followup::draft::dates::dates_in(phrase);
        if edtf.starts_with("not read") {
            assert!(found.is_empty() && !unread.is_empty(), "{phrase}: {found:?}");
        } else if edtf.starts_with("not a date") {
            assert!(found.is_empty(), "{phrase}: {found:?}");
        } else {
            let code = edtf.split('`').nth(1).unwrap();
            assert_eq!(found.len(), 1, "{phrase}: {found:?} {unread:?}");
            assert_eq!(found[0].date.as_str(), code, "{phrase}");
        }
        rows += 1;
    }
    assert!(rows >= 45, "{rows} rows");
}

/// A PDF of `pages`, each a list of lines of ASCII text in Helvetica, built by hand (objects, cross-reference
/// table and all), so that the test reads a real PDF through pdftotext without a PDF library.
fn pdf(pages: &[&[&str]]) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    let n = pages.len();
    // 1 catalog, 2 pages, 3 font, then a page and its contents per page.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into());
    for (i, lines) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
            5 + 2 * i
        ));
        let mut stream = String::from("BT /F1 10 Tf 14 TL 40 800 Td");
        for l in lines.iter() {
            let escaped = l.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
            stream.push_str(&format!(" ({escaped}) Tj T*"));
        }
        stream.push_str(" ET");
        objects.push(format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

#[test]
fn a_pdf_is_read_through_pdftotext_with_words_joined_across_its_pages_and_locators_naming_the_page() {
    let available = Command::new("pdftotext").arg("-v").output().is_ok();
    if !available {
        assert!(
            std::env::var("FOLLOWUP_REQUIRE_PDFTOTEXT").as_deref() != Ok("1"),
            "FOLLOWUP_REQUIRE_PDFTOTEXT=1 but pdftotext is not installed (Debian: poppler-utils)"
        );
        eprintln!("skipped: pdftotext (poppler-utils) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("opvolging.pdf");
    std::fs::write(
        &file,
        pdf(&[
            &[
                "De rekenkamer Amsterdam heeft in mei 2013 het rapport \"Nazorg aan gedetineerden\" gepubliceerd.",
                "1 Aanbeveling 1",
                "Zorg voor een centraal overzicht van lopende schuld-",
                "hulpverleningstrajecten",
                "Reactie college 2013",
                "Het college heeft deze aanbeveling overgenomen.",
                "Stand van zaken november 2017",
                "Het college heeft in 2014 onderzoek gedaan naar de moge-",
            ],
            &[
                "lijkheden om gegevens te delen. Inmiddels is er een stedelijk overzicht.",
                "Conclusie aanbeveling 1: Niet uitgevoerd",
                "De aanbeveling is niet opgevolgd.",
            ],
        ]),
    )
    .unwrap();
    let out = followup(&["draft", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let drafts = drafts_of(&out);
    let of = |kind: &str| of_type(&drafts, kind);
    assert_eq!(
        of("recommendation_issued")[0]["data"]["text"],
        "Zorg voor een centraal overzicht van lopende schuldhulpverleningstrajecten"
    );
    assert_eq!(of("executive_responded")[0]["data"]["stance"], "adopted");
    let verdict = &of("status_assessed")[0];
    assert_eq!(
        (&verdict["data"]["verdict"], &verdict["data"]["as_of"]),
        (&"not_implemented".into(), &"2017-11".into())
    );
    let facts = of("action_taken");
    let research = facts.iter().find(|f| f["occurred"] == "2014").expect("the fact of 2014");
    assert_eq!(
        research["source"]["quote"],
        "Het college heeft in 2014 onderzoek gedaan naar de mogelijkheden om gegevens te delen."
    );
    assert!(research["source"]["locator"].as_str().unwrap().contains("p. 1"), "{research}");
    let now = facts.iter().find(|f| f["occurred"] == "2017-11").expect("the fact told in the present");
    assert!(now["source"]["locator"].as_str().unwrap().contains("p. 2"), "{now}");
}

#[test]
fn a_text_of_two_reports_is_refused_and_negated_stances_second_states_of_affairs_and_capital_headings_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let two = dir.path().join("two.txt");
    std::fs::write(&two, "1 Aanbeveling 1\nDoe het\nReactie college 2013\nOvergenomen.\n1 Aanbeveling 1\nDoe dat\n")
        .unwrap();
    let out = followup(&["draft", two.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recommendation 1 is headed twice (its words at lines 2 and 6)"),
        "{out:?}"
    );
    let text = dir.path().join("one.txt");
    std::fs::write(
        &text,
        "De rekenkamer Amsterdam heeft in mei 2013 het rapport \"De kosten van de zorg\" gepubliceerd.\n\
         AANBEVELING 1\nDoe het\nReactie college 2013\nHet college onderschrijft de aanbeveling niet.\n\
         STAND VAN ZAKEN NOVEMBER 2017\nInmiddels is er een plan.\nStand van zaken maart 2018\n\
         In februari 2018 is het plan uitgevoerd. Inmiddels werkt het.\n\
         Conclusie aanbeveling 1: Uitgevoerd, maar niet volledig\n",
    )
    .unwrap();
    let out = followup(&["draft", text.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let drafts = drafts_of(&out);
    let of = |kind: &str| of_type(&drafts, kind);
    assert_eq!(of("report_published")[0]["stream"], "rekenkamer-amsterdam-2013-kosten", "articles skipped in the id");
    assert_eq!(of("executive_responded")[0]["data"]["stance"], "rejected");
    let verdict = &of("status_assessed")[0];
    assert_eq!(
        (&verdict["data"]["verdict"], &verdict["data"]["as_of"]),
        (&"partially_implemented".into(), &"2018-03".into())
    );
    assert_eq!(verdict["data"]["label"], "Uitgevoerd, maar niet volledig");
    let dates: Vec<String> = of("action_taken").iter().map(|a| a["occurred"].as_str().unwrap().to_owned()).collect();
    assert_eq!(dates, ["2017-11", "2018-02", "2018-03"], "each present-tense fact by its own state of affairs");
}
