//! Every code enum writes the same text through `code()` as through serde, so that labels, CSV cells, messages
//! and JSON never disagree about a value's name.

use events::{Claim, EventType, MotionResult, Stance, Verdict};
use serde::Serialize;

/// `(code(), serde's text)` of each value, and whether serde reads the code back to the same value.
fn codes<T>(all: &[T], code: impl Fn(&T) -> &'static str) -> Vec<(&'static str, String, bool)>
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq,
{
    all.iter()
        .map(|v| {
            let json = serde_json::to_value(v).unwrap();
            let text = json.as_str().unwrap_or("<not a string>").to_owned();
            let back = serde_json::from_value::<T>(serde_json::Value::from(code(v))).is_ok_and(|b| b == *v);
            (code(v), text, back)
        })
        .collect()
}

fn check<T>(all: &[T], code: impl Fn(&T) -> &'static str)
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq,
{
    let got = codes(all, code);
    for (code, serde, back) in &got {
        assert_eq!(code, serde, "code() and serde disagree");
        assert!(back, "`{code}` does not read back to its value");
    }
    let mut unique: Vec<&str> = got.iter().map(|(c, ..)| *c).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "two values share a code");
}

#[test]
fn every_event_type_s_code_is_its_serde_name_and_parses_back() {
    check(&EventType::ALL, EventType::code);
    // ALL lists the variants in the order they are declared (and so in `Ord` order), each once.
    for (i, t) in EventType::ALL.iter().enumerate() {
        assert_eq!(*t as usize, i, "{t}");
    }
    for t in EventType::ALL {
        assert_eq!(EventType::parse(t.code()), Some(t));
        assert_eq!(t.to_string(), t.code());
    }
    assert_eq!(EventType::parse("Status_assessed"), None);
    assert_eq!(EventType::parse(" status_assessed"), None);
}

#[test]
fn every_stance_verdict_motion_result_and_claim_code_is_its_serde_name() {
    check(&Stance::ALL, Stance::code);
    check(&Verdict::ALL, Verdict::code);
    check(&MotionResult::ALL, MotionResult::code);
    check(&Claim::ALL, Claim::code);
    assert_eq!(Claim::ALL.map(|c| c.code()), ["done", "in_progress", "not_started"]);
}
