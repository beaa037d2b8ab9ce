//! Properties of the SQL front ends: never a panic, never an empty list, bounded on hostile
//! input (unterminated quotes, deep nesting, very long statements), for every dialect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use guard_intent::Origin;
use guard_intent::sql::analyze;
use guard_model::{ActionDetail, Dialect, OpaqueCause};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "SELECT",
    "DELETE",
    "FROM",
    "WHERE",
    "DROP",
    "TABLE",
    "WITH",
    "AS",
    "(",
    ")",
    ";",
    "'",
    "\"",
    "$$",
    "DO",
    "EXECUTE",
    "INTO",
    "OUTFILE",
    "1=1",
    "OR",
    "TRUE",
    "NOT",
    "users",
    "public.users",
    "--",
    "/*",
    "*/",
    "COPY",
    "TO",
    "PROGRAM",
    "GRANT",
    "ALL",
    "ON",
    "PUBLIC",
    "INSERT",
    "VALUES",
    "UPDATE",
    "SET",
    "CREATE",
    "TEMP",
    "BEGIN",
    "END",
    "PREPARE",
    "EXPLAIN",
    "ANALYZE",
    ",",
    "*",
    "LIMIT",
    "1",
    "NULL",
    "IS",
    "IN",
    "BETWEEN",
    "AND",
    "`",
];

fn check(text: &str, dialect: Dialect) {
    let actions = analyze(text, dialect, &Origin::top());
    assert!(!actions.is_empty(), "empty result for {text:?} ({dialect})");
    for a in &actions {
        assert!(
            a.span[0] <= a.span[1] && a.span[1] as usize <= text.len(),
            "bad span {:?} for {text:?}",
            a.span
        );
    }
}

fn dialects() -> impl Strategy<Value = Dialect> {
    prop::sample::select(Dialect::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}", dialect in dialects()) {
        check(&text, dialect);
    }

    #[test]
    fn keyword_soup_never_panics(words in prop::collection::vec(prop::sample::select(WORDS.to_vec()), 0..40), dialect in dialects()) {
        check(&words.join(" "), dialect);
    }
}

fn assert_bounded(text: &str, dialect: Dialect) -> Vec<guard_model::Action> {
    let start = Instant::now();
    let actions = analyze(text, dialect, &Origin::top());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{dialect} took {:?}",
        start.elapsed()
    );
    assert!(!actions.is_empty());
    actions
}

fn is_opaque(a: &guard_model::Action, cause: OpaqueCause) -> bool {
    matches!(&a.detail, ActionDetail::Opaque(o) if o.cause == cause)
}

#[test]
fn ten_thousand_nested_parentheses_are_opaque() {
    let text = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    for d in Dialect::ALL {
        let actions = assert_bounded(&text, *d);
        assert!(
            actions
                .iter()
                .any(|a| is_opaque(a, OpaqueCause::TooLarge)
                    || is_opaque(a, OpaqueCause::ParseError)),
            "{d}: {actions:?}"
        );
    }
}

#[test]
fn long_operator_chain_is_bounded() {
    let text = format!("DELETE FROM t WHERE id = 1{}", " + 1".repeat(20_000));
    for d in Dialect::ALL {
        assert_bounded(&text, *d);
    }
}

#[test]
fn two_hundred_kilobyte_statement_is_bounded() {
    let values: Vec<String> = (0..20_000).map(|i| format!("({i},'x')")).collect();
    let text = format!("INSERT INTO t (a, b) VALUES {}", values.join(","));
    assert!(text.len() > 200_000);
    for d in Dialect::ALL {
        let actions = assert_bounded(&text, *d);
        let first = actions.first().map(|a| a.kind());
        assert!(first.is_some());
    }
}

#[test]
fn unterminated_quotes_are_parse_errors() {
    for text in [
        "SELECT 'abc",
        "SELECT \"abc",
        "DO $$ BEGIN",
        "SELECT /* open",
    ] {
        for d in Dialect::ALL {
            let actions = assert_bounded(text, *d);
            assert!(
                actions
                    .iter()
                    .any(|a| is_opaque(a, OpaqueCause::ParseError)),
                "{d} {text}: {actions:?}"
            );
        }
    }
}

#[test]
fn deeply_nested_dynamic_sql_stops() {
    let mut sql = String::from("DROP TABLE users");
    for level in 0..12 {
        sql = format!(
            "DO $g{level}$ BEGIN EXECUTE {}; END $g{level}$",
            quote(&sql)
        );
    }
    let actions = assert_bounded(&sql, Dialect::Postgres);
    assert!(
        actions.iter().any(|a| is_opaque(a, OpaqueCause::TooLarge)),
        "{actions:?}"
    );
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
