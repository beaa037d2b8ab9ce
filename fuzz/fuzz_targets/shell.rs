//! Arbitrary bytes through the shell front end, both through the public entry point (which
//! rejects invalid UTF-8, NUL bytes and oversize input first) and directly: it must never panic,
//! never overflow the stack, and never return an empty action list.
#![no_main]

use guard_intent::Origin;
use guard_model::{Channel, Dialect};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let actions = guard_intent::analyze_bytes(Channel::Shell, Dialect::Postgres, data);
    assert!(!actions.is_empty());
    let text = String::from_utf8_lossy(data);
    if text.contains('\0') || text.len() > guard_intent::MAX_COMMAND_BYTES {
        return;
    }
    let actions = guard_intent::shell::analyze(&text, &Origin::top());
    assert!(!actions.is_empty());
    for action in &actions {
        assert!(action.span[0] <= action.span[1] && action.span[1] as usize <= text.len());
    }
});
