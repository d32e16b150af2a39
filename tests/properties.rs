//! The import reader's fuzz target as a bounded property test: any bytes given as a JSON Lines file yield events
//! or errors that name lines from 1, never a panic.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn any_file_reads_or_fails_naming_lines(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        if let Err(followup::ImportError::Invalid(problems)) = followup::read_events(data.as_slice(), |_| {}) {
            prop_assert!(problems.iter().all(|p| p.line >= 1));
        }
    }

    #[test]
    fn lines_of_json_fragments_read_or_fail_naming_lines(parts in prop::collection::vec("[{}\\[\\]\",:a-z0-9 \r\n\u{feff}]{0,40}", 0..30)) {
        let text = parts.join("\n");
        if let Err(followup::ImportError::Invalid(problems)) = followup::read_events(text.as_bytes(), |_| {}) {
            let lines = text.split('\n').count();
            prop_assert!(problems.iter().all(|p| p.line >= 1 && p.line <= lines));
        }
    }
}
