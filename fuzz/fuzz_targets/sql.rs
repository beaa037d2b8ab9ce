//! Arbitrary bytes through the SQL front ends of every dialect, both through the public entry
//! point (which rejects invalid UTF-8, NUL bytes and oversize input first) and directly on the
//! text read as UTF-8 lossily: it must never panic, never overflow the stack, never return an
//! empty action list, and every span must lie inside the text.
#![no_main]

use guard_intent::Origin;
use guard_model::{Channel, Dialect};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for dialect in Dialect::ALL {
        let actions = guard_intent::analyze_bytes(Channel::Sql, *dialect, data);
        assert!(!actions.is_empty());
        if text.contains('\0') || text.len() > guard_intent::MAX_COMMAND_BYTES {
            continue;
        }
        let actions = guard_intent::sql::analyze(&text, *dialect, &Origin::top());
        assert!(!actions.is_empty());
        for action in &actions {
            assert!(action.span[0] <= action.span[1] && action.span[1] as usize <= text.len());
        }
    }
});
