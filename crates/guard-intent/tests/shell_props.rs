#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Properties of shell analysis: it never panics, never returns nothing, keeps spans inside the
//! command, and turns hostile input (huge, deeply nested, not UTF-8) into `opaque` actions.

use guard_model::{Action, ActionDetail, Channel, Dialect, OpaqueCause};
use proptest::prelude::*;

fn shell(text: &str) -> Vec<Action> {
    guard_intent::analyze_text(Channel::Shell, Dialect::Postgres, text)
}

fn check_well_formed(text: &str, actions: &[Action]) {
    assert!(!actions.is_empty(), "no actions for {text:?}");
    for a in actions {
        let [start, end] = a.span;
        assert!(
            start <= end && end as usize <= text.len(),
            "span {start}..{end} outside {} bytes",
            text.len()
        );
    }
}

fn opaque_cause(actions: &[Action]) -> Option<OpaqueCause> {
    actions.iter().find_map(|a| match &a.detail {
        ActionDetail::Opaque(o) => Some(o.cause),
        _ => None,
    })
}

fn has_exec(actions: &[Action], program: &str) -> bool {
    actions
        .iter()
        .any(|a| matches!(&a.detail, ActionDetail::Exec(e) if e.program == program))
}

const TOKENS: &[&str] = &[
    "$(",
    ")",
    "`",
    "'",
    "\"",
    "\\",
    "|",
    "&&",
    "||",
    ";",
    "<<",
    "<<<",
    "EOF",
    "\n",
    "{",
    "}",
    "(",
    "<(",
    ">",
    ">&",
    "${",
    "IFS",
    "}",
    "rm",
    "-rf",
    "/",
    "bash",
    "-c",
    "sudo",
    "xargs",
    "find",
    "-exec",
    "\\;",
    "eval",
    "ssh",
    "psql",
    "kubectl",
    "delete",
    "if",
    "then",
    "fi",
    "for",
    "in",
    "do",
    "done",
    "case",
    "esac",
    "=",
    "a",
    "$a",
    "#",
    "*",
    "~",
    "$'\\x72'",
    "/dev/tcp/h/1",
    "curl",
    "sh",
    "base64",
    "-d",
    "env",
    "-i",
    "timeout",
    "1",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(TOKENS),
            prop::sample::select(&[" ", "", "\t"][..]),
        ),
        0..40,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(t, sep)| format!("{t}{sep}"))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic_nor_come_back_empty(text in ".{0,200}") {
        let actions = shell(&text);
        check_well_formed(&text, &actions);
    }

    #[test]
    fn metacharacter_soups_never_panic_nor_come_back_empty(text in token_soup()) {
        let actions = shell(&text);
        check_well_formed(&text, &actions);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let actions = guard_intent::analyze_bytes(Channel::Shell, Dialect::Postgres, &bytes);
        prop_assert!(!actions.is_empty());
    }

    /// Every spelling of `rm -rf` normalises to the same flags.
    #[test]
    fn rm_flag_spellings_agree(order in prop::sample::select(vec![
        "-rf", "-fr", "-r -f", "-f -r", "--recursive --force", "-R --force", "--force -r", "-r --fo", "-Rf",
    ])) {
        let text = format!("rm {order} /srv");
        let actions = shell(&text);
        let flags = actions.iter().find_map(|a| match &a.detail {
            ActionDetail::Exec(e) if e.program == "rm" => Some(e.flags.clone()),
            _ => None,
        }).unwrap();
        let mut flags = flags;
        flags.sort();
        prop_assert_eq!(flags, vec!["force".to_string(), "recursive".to_string()]);
    }
}

#[test]
fn empty_and_blank_commands_are_opaque() {
    for text in ["", "   ", "\n\t"] {
        let actions = shell(text);
        check_well_formed(text, &actions);
        assert_eq!(
            opaque_cause(&actions),
            Some(OpaqueCause::InvalidInput),
            "{text:?}"
        );
    }
}

#[test]
fn a_megabyte_command_is_too_large() {
    let text = format!("echo {}", "a".repeat(1024 * 1024));
    let actions = shell(&text);
    check_well_formed(&text, &actions);
    assert_eq!(opaque_cause(&actions), Some(OpaqueCause::TooLarge));
}

#[test]
fn ten_thousand_nested_substitutions_are_too_large_not_a_crash() {
    let text = format!("echo {}x{}", "$(".repeat(10_000), ")".repeat(10_000));
    let actions = shell(&text);
    check_well_formed(&text, &actions);
    assert_eq!(opaque_cause(&actions), Some(OpaqueCause::TooLarge));
}

#[test]
fn ten_thousand_nested_groups_and_ifs_are_too_large() {
    for text in [
        format!("{}true{}", "{ ".repeat(10_000), "; }".repeat(10_000)),
        format!(
            "{}true{}",
            "if true; then ".repeat(10_000),
            "; fi".repeat(10_000)
        ),
        format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("echo {}x{}", "\"$(".repeat(10_000), ")\"".repeat(10_000)),
        format!("echo {}", "${a:-".repeat(10_000)),
    ] {
        let actions = shell(&text);
        check_well_formed(&text, &actions);
        assert_eq!(
            opaque_cause(&actions),
            Some(OpaqueCause::TooLarge),
            "{}",
            &text[..40]
        );
    }
}

#[test]
fn moderately_deep_nesting_is_still_analysed() {
    // Deeper than the inline limit, shallower than the cap: parsed on a big stack.
    let text = format!("{}rm -rf /{}", "{ ".repeat(100), "; }".repeat(100));
    let actions = shell(&text);
    check_well_formed(&text, &actions);
    assert!(has_exec(&actions, "rm"), "{actions:?}");
}

#[test]
fn nesting_through_too_many_shells_is_too_large() {
    // Each `eval` re-parses the rest: forty levels of nested text.
    let text = format!("{}rm -rf /", "eval ".repeat(40));
    let actions = shell(&text);
    check_well_formed(&text, &actions);
    assert_eq!(opaque_cause(&actions), Some(OpaqueCause::TooLarge));
    // Within the limit, the innermost command is still found.
    let text = format!("{}rm -rf /", "eval ".repeat(8));
    assert!(has_exec(&shell(&text), "rm"));
}

#[test]
fn invalid_utf8_and_nul_bytes_are_opaque() {
    let actions =
        guard_intent::analyze_bytes(Channel::Shell, Dialect::Postgres, b"rm -rf /\xff\xfe");
    assert_eq!(opaque_cause(&actions), Some(OpaqueCause::InvalidInput));
    let actions = shell("rm -rf /\0tmp");
    assert_eq!(opaque_cause(&actions), Some(OpaqueCause::InvalidInput));
}

#[test]
fn unterminated_constructs_are_parse_errors() {
    for text in [
        "echo 'open",
        "echo \"open",
        "echo $(ls",
        "echo `ls",
        "cat <<EOF\nno end",
        "if true; then",
        "{ rm -rf /",
    ] {
        let actions = shell(text);
        check_well_formed(text, &actions);
        assert_eq!(
            opaque_cause(&actions),
            Some(OpaqueCause::ParseError),
            "{text:?}: {actions:?}"
        );
    }
}

/// Each pipeline stage runs in a subshell: what it assigns is gone after the pipeline, whether
/// the shell had variables before it (restored from a copy) or none (cleared, not copied).
#[test]
fn pipeline_stage_assignments_do_not_outlive_the_pipeline() {
    for text in ["X=rm | cat; $X -rf /", "Y=1; X=rm | cat; $X -rf /"] {
        let actions = shell(text);
        assert!(
            !has_exec(&actions, "rm"),
            "{text:?} resolved $X: {actions:?}"
        );
        assert_eq!(
            opaque_cause(&actions),
            Some(OpaqueCause::DynamicProgram),
            "{text:?}"
        );
    }
    // Assignments before the pipeline still hold after it.
    assert!(has_exec(&shell("X=rm; true | cat; $X -rf /"), "rm"));
}
