//! The diagnostic codes of the compiler (`GC` + three digits, `guard::compile::…`) and of policy
//! tests run on compiled policies (`GP` + three digits, `guard::test::…`, reported by `guard
//! test`). Ids are stable and never reused. `lang/diagnostics.md` is checked against [`CODES`].
//!
//! A program that `guard-sema` accepted rarely fails here: these are the limits the engine puts
//! on what it evaluates (bounded depth, bounded quantifier nesting, patterns it can compile),
//! which only show once defs are inlined.

use guard_diagnostics::codes;

codes! {
    TOO_DEEP = "GC001", "guard::compile::too-deep", "a rule's condition or message nests deeper than the engine evaluates, once defs are inlined";
    TOO_MANY_VARIABLES = "GC002", "guard::compile::too-many-variables", "quantifiers nest deeper than the engine has variable slots for";
    INVALID_PATTERN = "GC003", "guard::compile::invalid-pattern", "a glob or regex the checker accepted is rejected by the engine (e.g. over its size limit)";
    INVALID_PROGRAM = "GC004", "guard::compile::invalid-program", "the checked program is incomplete (no `default`, a rule without a message, a dangling reference): fix the errors reported before it";
    COMPUTED_SET = "GC005", "guard::compile::computed-set", "a set literal whose elements are not all literals is counted with `len` or interpolated in a message, where its duplicates and order would show";
    TEST_FAILED = "GP001", "guard::test::failed", "a test case's request got another decision than the one it expects (`guard test`)";
    TEST_CRASHED = "GP002", "guard::test::crashed", "analysing or evaluating a test case's request crashed, so the case fails (`guard test`)";
    UNCOVERED_RULE = "GP003", "guard::test::uncovered-rule", "no test case matched this rule (`guard test --coverage`)";
}
