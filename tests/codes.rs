//! Claims are written with their codes wherever a code is printed: the status CSV's `claim` column (which once
//! printed `inprogress` and `notstarted`, Rust's variant names lower-cased), the JSON, and the timeline's detail;
//! the labels for people word them.

use std::collections::HashMap;

use events::{Claim, Hash, Line, RecordedEvent, Timestamp};
use followup::render::{self, Lang};
use projections::{TimelineFilter, Window};

/// Seals input lines into a log: positions 1.., versions per stream, recorded one hour apart.
fn log(lines: &[&str]) -> Vec<RecordedEvent> {
    let mut versions: HashMap<String, u64> = HashMap::new();
    let mut prev = Hash::ZERO;
    let start: Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Line::New(e) = events::decode(l.as_bytes()).unwrap_or_else(|err| panic!("{l}: {err}")) else {
            panic!("not an input line: {l}")
        };
        let v = versions.entry(e.stream.to_string()).or_default();
        *v += 1;
        let position = i as u64 + 1;
        let at = start + jiff::SignedDuration::from_hours(position as i64);
        let (rec, _) = RecordedEvent::seal(e, *v, position, at, "t".into(), prev);
        prev = rec.hash;
        out.push(rec);
    }
    out
}

const SOURCE: &str = r#""source":{"document":"D","locator":"L"}"#;

/// Report r with recommendations 1 and 2; the executive claims 1 is in progress and 2 not started.
fn claims() -> Vec<RecordedEvent> {
    let lines = [
        format!(
            r#"{{"stream":"r","type":"report_published","occurred":"2013-05",{SOURCE},"data":{{"title":"T","auditor":"RA","summary":"S"}}}}"#
        ),
        format!(
            r#"{{"stream":"r/1","type":"recommendation_issued","occurred":"2013-05",{SOURCE},"data":{{"number":1,"text":"Do one"}}}}"#
        ),
        format!(
            r#"{{"stream":"r/2","type":"recommendation_issued","occurred":"2013-05",{SOURCE},"data":{{"number":2,"text":"Do two"}}}}"#
        ),
        format!(
            r#"{{"stream":"r/1","type":"executive_reported","occurred":"2015",{SOURCE},"data":{{"claim":"in_progress","summary":"busy"}}}}"#
        ),
        format!(
            r#"{{"stream":"r/2","type":"executive_reported","occurred":"2015",{SOURCE},"data":{{"claim":"not_started","summary":"later"}}}}"#
        ),
    ];
    log(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn the_status_csv_prints_claims_as_their_codes_not_as_lower_cased_variant_names() {
    let status = projections::status(&claims(), Window::default());
    assert_eq!(
        status.recommendations.iter().map(|r| r.claim).collect::<Vec<_>>(),
        [Some(Claim::InProgress), Some(Claim::NotStarted)]
    );
    let csv = render::csv::status(&status, Lang::En, false);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let column = reader.headers().unwrap().iter().position(|h| h == "claim").expect("a claim column");
    let cells: Vec<String> = reader.records().map(|r| r.unwrap()[column].to_owned()).collect();
    assert_eq!(cells, ["in_progress", "not_started"]);
    // The JSON of the same status says the same.
    let json = serde_json::to_value(&status).unwrap();
    let codes: Vec<&str> =
        json["recommendations"].as_array().unwrap().iter().map(|r| r["claim"].as_str().unwrap()).collect();
    assert_eq!(codes, cells);
}

#[test]
fn the_timeline_details_a_claim_by_its_code_and_the_labels_word_it() {
    let events = claims();
    let timeline = projections::timeline(&events, Window::default(), TimelineFilter::default());
    let details: Vec<&str> = timeline.entries.iter().map(|e| e.detail.as_str()).filter(|d| !d.is_empty()).collect();
    assert_eq!(details, ["claim in_progress", "claim not_started"]);
    let words: Vec<String> = timeline
        .entries
        .iter()
        .filter(|e| e.kind == events::EventType::ExecutiveReported)
        .map(|e| render::labels::detail(Lang::En, &e.body))
        .collect();
    assert_eq!(words, ["says in progress", "says not started"]);
    assert_eq!(render::labels::claim(Lang::Nl, Claim::InProgress), "meldt in uitvoering");
}
