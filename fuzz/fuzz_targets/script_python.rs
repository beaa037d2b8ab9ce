//! Arbitrary text through the inline-code front end for Python (`script::analyze`), and
//! through the shell front end as inline code: it must never panic, never overflow the stack,
//! keep effect spans inside the code and never return an empty action list.
#![no_main]

use guard_intent::script::{self, Lang};
use guard_model::{Channel, Dialect};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let code = String::from_utf8_lossy(data);
    let analysis = script::analyze(Lang::Python, &code);
    for e in &analysis.effects {
        assert!(e.span[0] <= e.span[1] && e.span[1] as usize <= code.len());
    }
    if code.contains('\0') {
        return;
    }
    let command = format!("python3 -c '{}'", code.replace('\'', "'\\''"));
    let actions = guard_intent::analyze_text(Channel::Shell, Dialect::Postgres, &command);
    assert!(!actions.is_empty());
    for action in &actions {
        assert!(action.span[0] <= action.span[1] && action.span[1] as usize <= command.len());
    }
});
