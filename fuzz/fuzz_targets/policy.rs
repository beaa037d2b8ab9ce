//! Fuzzes the policy parser on arbitrary bytes: it must never panic or overflow its stack, and
//! whatever parses cleanly must format to text that parses to the same tree.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (file, diagnostics) = guard_syntax::parse(&text);
    if diagnostics.iter().any(|d| d.is_error()) {
        return;
    }
    let formatted = guard_syntax::format(&file);
    let (reparsed, again) = guard_syntax::parse(&formatted);
    assert!(
        again.is_empty(),
        "formatted text does not parse:\n{formatted}"
    );
    let (mut a, mut b) = (file, reparsed.clone());
    a.erase_layout();
    b.erase_layout();
    assert_eq!(a, b, "formatting changed the tree:\n{formatted}");
    assert_eq!(
        guard_syntax::format(&reparsed),
        formatted,
        "format is not idempotent"
    );
});
