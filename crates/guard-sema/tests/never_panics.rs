//! The checker never panics, whatever the parser hands it: token soups built from the
//! language's own vocabulary (so they get past the lexer and exercise recovery trees), checked
//! alone and as two files of one program.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guard_diagnostics::FileId;
use proptest::prelude::*;

const VOCABULARY: &[&str] = &[
    "module",
    "m",
    "n",
    "use",
    "as",
    "default",
    "allow",
    "deny",
    "warn",
    "require_approval",
    "set",
    "def",
    "rule",
    "r",
    "on",
    "sql",
    "exec",
    "request",
    "opaque",
    "when",
    "unless",
    "message",
    "help",
    "control",
    "mode",
    "audit",
    "test",
    "by",
    "dialect",
    "groups",
    "labels",
    "and",
    "or",
    "not",
    "in",
    "matches",
    "any",
    "all",
    "true",
    "false",
    "stmt",
    "stmt.kind",
    "stmt.tables",
    "exec.program",
    "target.env",
    "actor.kind",
    "action.kind",
    "m.x",
    "x",
    "drop",
    "agent",
    "other",
    "len",
    "starts_with",
    "lower",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    "=>",
    "\"a\"",
    "\"{stmt.kind}\"",
    "\"[\"",
    "re\"(\"",
    "re\"^a\"",
    "1",
    "42",
    "\n",
    "\n",
    "\n",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..120)
        .prop_map(|words| words.join(" "))
}

fn check(sources: &[String]) {
    let parsed: Vec<(FileId, guard_syntax::ast::File)> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (FileId(u32::try_from(i).unwrap()), guard_syntax::parse(s).0))
        .collect();
    let files: Vec<(FileId, &guard_syntax::ast::File)> =
        parsed.iter().map(|(i, f)| (*i, f)).collect();
    let (_, diagnostics) = guard_sema::check(&files);
    for d in diagnostics {
        assert!(
            d.file.is_some() || d.code == guard_sema::codes::MISSING_DEFAULT,
            "{d:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn one_file(body in soup()) {
        check(&[format!("module m\ndefault allow\n{body}")]);
        check(&[body]);
    }

    #[test]
    fn two_files(a in soup(), b in soup()) {
        check(&[format!("module m\nuse n\n{a}"), format!("module n\nuse m\n{b}")]);
    }
}
