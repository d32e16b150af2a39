//! The fuzz targets of `fuzz/` as bounded property tests, run with the other tests: the decoder and the EDTF
//! parser never panic and keep their invariants, whatever they are given. Inputs that once broke them are kept in
//! `regressions` below.

use events::{Line, PartialDate};
use proptest::prelude::*;

/// Inputs found by fuzzing or review that must keep working.
const REGRESSIONS: &[&str] =
    &["", "{", "[]", "9999-24", "0000-02-29", "2016-02-29", "2015-02-29", "{\"stream\":\"a\",\"stream\":\"b\"}"];

fn check_decode(data: &[u8]) {
    if let Ok(Line::New(e)) = events::decode(data) {
        assert_eq!(events::decode(e.to_line().as_bytes()), Ok(Line::New(e)));
    }
}

fn check_date(text: &str) {
    if let Ok(d) = PartialDate::parse(text) {
        assert_eq!(d.as_str(), text);
        assert!(d.start() <= d.end());
        assert_eq!(PartialDate::parse(d.as_str()), Ok(d));
    }
}

#[test]
fn regressions_still_hold() {
    for r in REGRESSIONS {
        check_decode(r.as_bytes());
        check_date(r);
    }
}

/// A valid input line with fuzzed parts.
fn line() -> impl Strategy<Value = String> {
    let date =
        prop_oneof!["[0-9]{4}", "[0-9]{4}-[0-9]{2}", "[0-9]{4}-[0-9]{2}-[0-9]{2}", "[0-9]{4}-(2[1-4]|3[3-6])[~?%]?",];
    let kind = prop::sample::select(events::EventType::ALL.map(|t| t.code()).to_vec());
    (date, kind, "[a-z0-9/.-]{1,12}", "\\PC{0,20}").prop_map(|(d, k, s, t)| {
        format!(r#"{{"stream":"{s}","type":"{k}","occurred":"{d}","source":{{"document":"D","locator":"L"}},"data":{{"summary":{t:?}}}}}"#)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_decode_or_fail_without_panicking(data in prop::collection::vec(any::<u8>(), 0..400)) {
        check_decode(&data);
    }

    #[test]
    fn near_valid_lines_decode_or_fail_without_panicking(l in line()) {
        check_decode(l.as_bytes());
    }

    #[test]
    fn any_text_parses_as_a_date_or_fails_without_panicking(text in "\\PC{0,14}") {
        check_date(&text);
    }

    #[test]
    fn date_like_text_keeps_the_date_invariants(text in "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?[~?%]?") {
        check_date(&text);
    }
}
