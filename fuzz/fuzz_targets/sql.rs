//! Arbitrary bytes, read as UTF-8 lossily, through the SQL analysis of every dialect: it must
//! never panic and never return an empty action list.
#![no_main]

use guard_intent::Origin;
use guard_intent::sql::analyze;
use guard_model::Dialect;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if text.contains('\0') {
        // NUL bytes are rejected before SQL analysis (`guard_intent::analyze_text`).
        return;
    }
    for dialect in Dialect::ALL {
        let actions = analyze(&text, *dialect, &Origin::top());
        assert!(!actions.is_empty());
    }
});
