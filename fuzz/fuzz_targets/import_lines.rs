//! Fuzzes the import line reader: any bytes as a JSON Lines file give events or errors naming lines, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(followup::ImportError::Invalid(problems)) = followup::read_events(data, |_| {}) {
        assert!(problems.iter().all(|p| p.line >= 1));
    }
});
