//! Fuzzes the event decoder: any bytes decode to an event or to an error, never a panic; a decoded input line
//! written back with `to_line` decodes to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(events::Line::New(e)) = events::decode(data) {
        let again = events::decode(e.to_line().as_bytes());
        assert_eq!(again, Ok(events::Line::New(e)));
    }
});
