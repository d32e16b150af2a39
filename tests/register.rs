//! A register spreadsheet imported as a user does it: the example CSV in Windows-1252 with `;`, Dutch dates and
//! decimal commas, the same register as an xlsx workbook, a bad row that writes nothing, a re-import that adds
//! nothing; and CSV written for Dutch spreadsheets (`;`, decimal commas) that imports back.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

const REGISTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/register.csv");
const CASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/nazorg-amsterdam.jsonl");

fn followup(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("followup").unwrap();
    cmd.arg("--store").arg(store).env_remove("FOLLOWUP_STORE").env("FOLLOWUP_RECORDED_BY", "register test");
    cmd.env_remove("FOLLOWUP_LANG");
    cmd
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(cmd: &mut Command) -> Value {
    let (code, stdout, stderr) = run(cmd.arg("--format").arg("json"));
    assert_eq!(code, Some(0), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn export(store: &Path) -> Vec<u8> {
    let out = followup(store).arg("export").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// What status says of each recommendation, without the event ids (which differ between a CSV and an xlsx
/// register, whose rows are located differently).
fn seen(status: &Value) -> Vec<Value> {
    status["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let commitments: Vec<Value> = r["commitments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| json!([c["summary"], c["occurred"], c["due"], c["owner"]]))
                .collect();
            json!({"id": r["id"], "text": r["text"], "issued": r["issued"], "owner": r["owner"], "stance": r["stance"],
                "verdict": r["verdict"], "as_of": r["verdict_as_of"], "commitments": commitments,
                "totals_cents": r["totals_cents"], "events": r["events"]})
        })
        .collect()
}

/// The status the example register gives.
fn expected() -> Vec<Value> {
    let s = "2014-schuldhulpverlening";
    let l = "2015-leerlingenvervoer";
    vec![
        json!({"id": format!("{s}/1"), "text": "Maak één loket voor schuldhulp", "issued": "2014-04-15",
            "owner": "Wethouder Financiën", "stance": "adopted", "verdict": "implemented", "as_of": "2017-11-01",
            "commitments": [["Het college neemt de aanbeveling over en opent een loket.", "2014-04-15", "2015-12-31", "Wethouder Financiën"]],
            "totals_cents": {"EUR": 12500050}, "events": 6}),
        json!({"id": format!("{s}/2"), "text": "Meet de resultaten van de schuldhulp", "issued": "2014-04-15",
            "owner": "Afdeling Werk en Inkomen", "stance": "adopted_with_reservations", "verdict": "partially_implemented",
            "as_of": "2017-11-01",
            "commitments": [["Het college meet de resultaten, met kanttekeningen over de kosten.", "2014-04-15", "2016-06-30", "Afdeling Werk en Inkomen"]],
            "totals_cents": {}, "events": 5}),
        json!({"id": format!("{s}/3"), "text": "Informeer de raad jaarlijks over de resultaten", "issued": "2014-04-15",
            "owner": null, "stance": "rejected", "verdict": "not_implemented", "as_of": "2017-11-01", "commitments": [],
            "totals_cents": {}, "events": 4}),
        json!({"id": format!("{l}/1"), "text": "Herzie de aanbesteding van het vervoer", "issued": "2015-03-02",
            "owner": "Wethouder Onderwijs", "stance": "adopted", "verdict": "in_progress", "as_of": "2017-11-01",
            "commitments": [["Het college zegt een nieuwe aanbesteding toe.", "2015-03-02", "2016-12", "Wethouder Onderwijs"]],
            "totals_cents": {}, "events": 5}),
        json!({"id": format!("{l}/2"), "text": "Stel een eigen klachtenregeling op", "issued": "2015-03-02",
            "owner": null, "stance": "partially_adopted", "verdict": "no_longer_relevant", "as_of": "2017-11-01",
            "commitments": [], "totals_cents": {}, "events": 4}),
    ]
}

#[test]
fn the_example_register_in_windows_1252_imports_into_the_events_each_row_implies() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) =
        run(followup(dir.path()).args(["--format", "json", "import", "--map", "nl-register", REGISTER]));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stderr,
        "note: the file is not UTF-8 (byte 0xE9 on line 2): read as Windows-1252; give --encoding to say otherwise\n"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((report["events"].as_u64(), report["appended"].as_u64()), (Some(21), Some(21)));
    let status = json_of(followup(dir.path()).arg("status"));
    assert_eq!(seen(&status), expected());

    // Every event traces to its row of the register.
    let timeline = json_of(followup(dir.path()).args(["timeline", "--rec", "2014-schuldhulpverlening/1"]));
    let sources: Vec<(String, String, String)> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = &e["source"];
            (
                e["type"].as_str().unwrap().to_owned(),
                s["document"].as_str().unwrap().to_owned(),
                s["locator"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let at = |t: &str| (t.to_owned(), "register".to_owned(), "row 2".to_owned());
    assert_eq!(
        sources,
        [
            at("report_published"),
            at("recommendation_issued"),
            at("executive_responded"),
            at("commitment_made"),
            at("action_taken"),
            at("status_assessed")
        ]
    );

    // Named as Windows-1252, it reads the same without a note.
    let named = tempfile::tempdir().unwrap();
    let (code, _, stderr) =
        run(followup(named.path()).args(["import", "--map", "nl-register", "--encoding", "windows-1252", REGISTER]));
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    assert_eq!(export_content(named.path()), export_content(dir.path()));
}

/// The exported log without the store's fields that differ between two stores (recording time, hashes).
fn export_content(store: &Path) -> Vec<Value> {
    String::from_utf8(export(store))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            json!([v["id"], v["stream"], v["type"], v["occurred"], v["source"], v["data"]])
        })
        .collect()
}

#[test]
fn importing_the_same_register_again_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).args(["import", "--map", "nl-register", REGISTER]).assert().success();
    let before = export(dir.path());
    let again = json_of(followup(dir.path()).args(["import", "--map", "nl-register", REGISTER]));
    assert_eq!(
        (again["events"].as_u64(), again["appended"].as_u64(), again["already_present"].as_u64()),
        (Some(21), Some(0), Some(21))
    );
    assert_eq!(export(dir.path()), before, "the log is byte for byte as it was");
}

#[test]
fn the_same_register_saved_under_another_name_or_read_from_stdin_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    followup(dir.path()).args(["import", "--map", "nl-register", REGISTER]).assert().success();
    let before = export(dir.path());
    let renamed = dir.path().join("register-2018.csv");
    std::fs::copy(REGISTER, &renamed).unwrap();
    let again = json_of(followup(dir.path()).args(["import", "--map", "nl-register"]).arg(&renamed));
    assert_eq!((again["appended"].as_u64(), again["already_present"].as_u64()), (Some(0), Some(21)));
    let piped = followup(dir.path())
        .args(["import", "--map", "nl-register", "-", "--format", "json"])
        .pipe_stdin(REGISTER)
        .unwrap()
        .output()
        .unwrap();
    let piped: serde_json::Value = serde_json::from_slice(&piped.stdout).unwrap();
    assert_eq!(piped["appended"].as_u64(), Some(0));
    assert_eq!(export(dir.path()), before, "the log is byte for byte as it was");
}

/// The example register as an xlsx workbook, as a spreadsheet saves it: numbers as numbers, dates as date cells,
/// the budget as a number in euros.
fn workbook(bad_status_on_row_4: bool) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Blad1").unwrap();
    let dates = Format::new().set_num_format("dd-mm-yyyy");
    let text = std::fs::read(REGISTER).unwrap();
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&text);
    for (r, line) in text.lines().enumerate() {
        let row = r as u32;
        for (c, value) in line.split(';').enumerate() {
            let col = c as u16;
            let is_date = r > 0 && [1, 7, 10].contains(&c);
            match value {
                "" => {}
                v if r > 0 && c == 2 => {
                    sheet.write_number(row, col, v.parse::<f64>().unwrap()).unwrap();
                }
                "€ 125.000,50" => {
                    sheet.write_number(row, col, 125000.5).unwrap();
                }
                v if is_date && v.len() == 10 => {
                    let (d, m, y) = (&v[0..2], &v[3..5], &v[6..10]);
                    let date =
                        ExcelDateTime::from_ymd(y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap()).unwrap();
                    sheet.write_datetime_with_format(row, col, &date, &dates).unwrap();
                }
                "gedeeltelijk uitgevoerd" if bad_status_on_row_4 => {
                    sheet.write_string(row, col, "bijna klaar").unwrap();
                }
                v => {
                    sheet.write_string(row, col, v).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn the_register_as_an_xlsx_workbook_imports_to_the_same_status() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("register.xlsx");
    std::fs::write(&file, workbook(false)).unwrap();
    let store = dir.path().join("store");
    let (code, _, stderr) = run(followup(&store).args(["import", "--map", "nl-register"]).arg(&file));
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    let status = json_of(followup(&store).arg("status"));
    assert_eq!(seen(&status), expected());
    let timeline = json_of(followup(&store).args(["timeline", "--rec", "2015-leerlingenvervoer/1"]));
    assert_eq!(timeline["entries"][0]["source"], json!({"document": "register", "locator": "sheet Blad1, row 5"}));
    let again = json_of(followup(&store).args(["import", "--map", "nl-register"]).arg(&file));
    assert_eq!(again["appended"].as_u64(), Some(0));
}

#[test]
fn a_bad_row_is_named_with_its_column_and_value_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    followup(&store).arg("import").arg(CASE).assert().success();
    let before = export(&store);

    // CSV: an unknown status word on row (line) 3, an impossible date on row 5.
    let text = std::fs::read(REGISTER).unwrap();
    let text = String::from_utf8(encoding_rs::WINDOWS_1252.decode(&text).0.into_owned().into_bytes()).unwrap();
    let bad = text.replace("gedeeltelijk uitgevoerd", "half klaar").replace(";12-2016;", ";31-13-2016;");
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, bad).unwrap();
    let (code, _, stderr) = run(followup(&store).args(["import", "--map", "nl-register"]).arg(&file));
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].starts_with(
            "row 3, column \"Status\", value \"half klaar\": is not a status; the mapping knows niet uitgevoerd, in uitvoering, gedeeltelijk uitgevoerd,"
        ),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(
            "row 5, column \"Streefdatum\", value \"31-13-2016\": is not a date such as 31-12-2015 or 2015"
        ),
        "{stderr}"
    );
    assert!(
        lines[2].starts_with("error: import of register ")
            && lines[2].ends_with("2 invalid rows; nothing was imported"),
        "{stderr}"
    );
    assert_eq!(export(&store), before, "the store is unchanged");

    // xlsx: the sheet and its row number.
    let file = dir.path().join("bad.xlsx");
    std::fs::write(&file, workbook(true)).unwrap();
    let (code, _, stderr) = run(followup(&store).args(["import", "--map", "nl-register"]).arg(&file));
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("sheet Blad1, row 3, column \"Status\", value \"bijna klaar\": is not a status;"),
        "{stderr}"
    );
    assert_eq!(export(&store), before, "the store is unchanged");

    // Into a store that does not exist yet: none is made.
    let fresh = dir.path().join("fresh");
    let (code, _, _) = run(followup(&fresh).args(["import", "--map", "nl-register"]).arg(&file));
    assert_eq!(code, Some(1));
    assert!(!fresh.exists(), "no store was created");
}

#[test]
fn a_register_row_with_a_response_but_no_stance_or_a_status_without_its_date_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.csv");
    std::fs::write(
        &file,
        "Rapport;Datum rapport;Nr.;Aanbeveling;Reactie college;Standpunt college;Status;Peildatum\n\
         Parkeren;2016;1;Tel de plekken;Wij tellen ze.;;uitgevoerd;\n",
    )
    .unwrap();
    let (code, _, stderr) = run(followup(&dir.path().join("s")).args(["import", "--map", "nl-register"]).arg(&file));
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "row 2, column \"Standpunt college\", value \"\": is empty, but the row has a response: a response needs a stance",
            "row 2, column \"Peildatum\", value \"\": is empty, but the row has a status: a status needs the date it describes",
        ]
    );
    std::fs::write(&file, "Titel;Nr.\nParkeren;1\n").unwrap();
    let (code, _, stderr) = run(followup(&dir.path().join("s")).args(["import", "--map", "nl-register"]).arg(&file));
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with(
            "row 1: the header row lacks the columns report (Rapport or Onderzoek or Titel rapport), report_date"
        ),
        "{stderr}"
    );
}

#[test]
fn a_mapping_file_names_the_columns_and_adds_words() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        "auditor = \"Rekenkamer Zuid\"\nreport_prefix = \"rk-zuid\"\ndocument = \"Register 2018\"\n\
         [columns]\nreport = \"Onderwerp\"\nreport_date = \"Jaar\"\nnumber = \"#\"\ntext = \"Wat\"\nstatus = \"Hoe ver\"\n\
         status_date = \"Per\"\nowner = \"Wie\"\n[verdicts]\n\"klaar\" = \"implemented\"\n",
    )
    .unwrap();
    let file = dir.path().join("r.csv");
    std::fs::write(
        &file,
        "Onderwerp,Jaar,#,Wat,Hoe ver,Per,Wie\nGroen,2016,1,Plant bomen,klaar,2018-03,Stadsdeel Zuid\n",
    )
    .unwrap();
    let store = dir.path().join("s");
    followup(&store).args(["import", "--map"]).arg(&map).arg(&file).assert().success();
    let status = json_of(followup(&store).arg("status"));
    let r = &status["recommendations"][0];
    assert_eq!(
        (&r["id"], &r["verdict"], &r["verdict_as_of"], &r["owner"]),
        (&json!("rk-zuid-2016-groen/1"), &json!("implemented"), &json!("2018-03"), &json!("Stadsdeel Zuid"))
    );
    let timeline = json_of(followup(&store).arg("timeline"));
    assert_eq!(timeline["entries"][0]["source"], json!({"document": "Register 2018", "locator": "row 2"}));
    std::fs::write(&map, "auditor = \"R\"\n[columns]\nreport = \"A\"\n").unwrap();
    let (code, _, stderr) = run(followup(&store).args(["import", "--map"]).arg(&map).arg(&file));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not valid: missing field `report_date`"), "{stderr}");
}

#[test]
fn a_column_a_mapping_file_names_but_the_header_lacks_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.toml");
    std::fs::write(
        &map,
        "auditor = \"R\"\n[columns]\nreport = \"Onderwerp\"\nreport_date = \"Jaar\"\nnumber = \"#\"\ntext = \"Wat\"\n\
         status = \"Stat\"\nstatus_date = \"Per\"\n",
    )
    .unwrap();
    let file = dir.path().join("r.csv");
    std::fs::write(&file, "Onderwerp,Jaar,#,Wat,State,Per\nGroen,2016,1,Plant bomen,klaar,2018-03\n").unwrap();
    let store = dir.path().join("s");
    let (code, _, stderr) = run(followup(&store).args(["import", "--map"]).arg(&map).arg(&file));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("the header row lacks the column status (Stat)"), "{stderr}");
    assert!(!store.exists(), "nothing written, no store made");
}

#[test]
fn csv_in_dutch_has_semicolons_and_decimal_commas_and_the_timeline_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    followup(&store).args(["import", "--map", "nl-register", REGISTER]).assert().success();
    let (code, csv, _) = run(followup(&store).args(["--lang", "nl", "status", "--format", "csv"]));
    assert_eq!(code, Some(0));
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("recommendation;report;number;text;owner;stance;"));
    let first: Vec<&str> = lines.next().unwrap().split(';').collect();
    assert_eq!((first[0], first[4], first[13]), ("2014-schuldhulpverlening/1", "Wethouder Financiën", "125000,50"));
    let (_, csv_en, _) = run(followup(&store).args(["status", "--format", "csv"]));
    assert!(csv_en.lines().nth(1).unwrap().contains(",125000.50,"), "{csv_en}");

    let (code, timeline, _) = run(followup(&store).args(["--lang", "nl", "timeline", "--format", "csv", "--bom"]));
    assert_eq!(code, Some(0));
    assert!(timeline.starts_with("\u{feff}position;event_id;stream;recommendation;occurred;date;type;"));
    assert!(timeline.contains("€ 125.000,50"), "the amount in the detail column as Dutch spreadsheets read it");
    let file = dir.path().join("timeline.csv");
    std::fs::write(&file, &timeline).unwrap();
    let copy = dir.path().join("copy");
    let imported = json_of(followup(&copy).arg("import").arg(&file));
    assert_eq!(imported["appended"].as_u64(), Some(21));
    assert_eq!(export_content(&copy), export_content(&store), "the same events, ids and all");
}
