//! Fuzzes the EDTF parser: any text parses or is refused, never a panic; a parsed date keeps its text, covers a
//! non-empty interval and parses again to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(d) = events::PartialDate::parse(text) {
            assert_eq!(d.as_str(), text);
            assert!(d.start() <= d.end());
            assert_eq!(events::PartialDate::parse(d.as_str()), Ok(d));
        }
    }
});
