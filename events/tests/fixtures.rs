//! Every released event shape has a JSON fixture here; one test decodes them all, and one reads a stored log of
//! the first release, so that later releases keep reading what earlier ones wrote.

use std::path::Path;

use events::{EventType, Line};

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn every_event_type_has_a_fixture_that_decodes_to_that_type() {
    let fixtures = fixtures();
    let names: Vec<&str> = fixtures.iter().map(|(n, _)| n.as_str()).collect();
    let mut types: Vec<&str> = EventType::ALL.iter().map(EventType::code).collect();
    types.sort();
    assert_eq!(names, types);
    for (name, text) in &fixtures {
        let line = events::decode(text.trim().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Line::New(event) = line else { panic!("{name}: decoded as a stored line") };
        assert_eq!(event.body.event_type().code(), name);
        assert_eq!(EventType::parse(name), Some(event.body.event_type()));
        // The canonical content holds exactly what the fixture says, field for field.
        let given: serde_json::Value = serde_json::from_str(text).unwrap();
        let content: serde_json::Value = serde_json::from_slice(&event.content_bytes()).unwrap();
        for field in ["stream", "type", "occurred", "source", "data"] {
            assert_eq!(content[field], given[field], "{name}: {field}");
        }
        if given.get("id").is_none() {
            assert_eq!(event.id, event.content_id(), "{name}: an id-less line gets its content id");
        }
    }
}

#[test]
fn a_stored_log_of_format_1_still_decodes_and_its_hashes_hold() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stored-format-1.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let mut prev = events::Hash::ZERO;
    let mut n = 0u64;
    for line in text.lines() {
        n += 1;
        let Line::Recorded(e) = events::decode(line.as_bytes()).unwrap() else {
            panic!("line {n} is not a stored line")
        };
        assert_eq!((e.position, e.prev_hash), (n, prev), "line {n}");
        prev = e.hash;
    }
    assert_eq!(n, 79);
}

#[test]
fn the_replay_decoder_reads_every_stored_line_as_the_checking_decoder_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stored-format-1.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    for (i, line) in text.lines().enumerate() {
        let Line::Recorded(checked) = events::decode(line.as_bytes()).unwrap() else { panic!("line {}", i + 1) };
        assert_eq!(events::RecordedEvent::decode(line.as_bytes()).unwrap(), checked, "line {}", i + 1);
    }
    // Members out of the store's order (`data` before `type`) leave the fast path for the checking decoder,
    // which refuses this line because its bytes no longer match its hash.
    let first = text.lines().next().unwrap();
    let swapped = first.replacen("\"type\":\"report_published\",", "", 1).replacen(
        ",\"prev_hash\"",
        ",\"type\":\"report_published\",\"prev_hash\"",
        1,
    );
    assert_ne!(swapped, first);
    let error = events::RecordedEvent::decode(swapped.as_bytes()).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("hash"), "{error}");
    // A member twice, a member unknown or missing: refused, never decoded half.
    let twice = first.replacen("\"version\":1,", "\"version\":1,\"version\":2,", 1);
    assert!(events::RecordedEvent::decode(twice.as_bytes()).is_err());
    let unknown = first.replacen("\"version\":1,", "\"version\":1,\"colour\":2,", 1);
    assert!(events::RecordedEvent::decode(unknown.as_bytes()).is_err());
    let missing = first.replacen("\"version\":1,", "", 1);
    assert!(events::RecordedEvent::decode(missing.as_bytes()).is_err());
}

/// Shapes added to a type after its first release (a new optional field, a new value): each decodes to its type,
/// and its content holds exactly what the fixture says. Named `TYPE-WHAT.json`.
#[test]
fn every_later_shape_decodes_to_its_type_field_for_field() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shapes");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let kind = name.split('-').next().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let Line::New(event) = events::decode(text.trim().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}")) else {
            panic!("{name}: decoded as a stored line")
        };
        assert_eq!(event.body.event_type().code(), kind, "{name}");
        event.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let given: serde_json::Value = serde_json::from_str(&text).unwrap();
        let content: serde_json::Value = serde_json::from_slice(&event.content_bytes()).unwrap();
        assert_eq!(content["data"], given["data"], "{name}");
        n += 1;
    }
    assert_eq!(n, 2);
}

#[test]
fn a_line_of_an_earlier_release_keeps_its_content_id_now_that_its_types_have_optional_fields() {
    // Fields added since (`stances`, `label`) are not written when absent, so the canonical content, and with it
    // the derived id and every stored hash, is what the first release wrote.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/executive_responded.json"))
            .unwrap();
    let Line::New(event) = events::decode(text.trim().as_bytes()).unwrap() else { panic!() };
    let content = String::from_utf8(event.content_bytes()).unwrap();
    assert!(!content.contains("stances") && !content.contains("label"), "{content}");
}
