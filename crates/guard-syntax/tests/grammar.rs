//! Keeps `lang/guard.ebnf` and `lang/README.md` in step with the parser: the grammar quotes
//! exactly the lexer's keywords and reserves exactly its reserved words, and every complete
//! example in the reference parses without a diagnostic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use guard_syntax::{KEYWORDS, RESERVED, parse};

fn lang_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lang")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Removes `(* … *)` comments and `? … ?` special sequences, which quote freely.
fn strip_prose(grammar: &str) -> String {
    let mut out = String::new();
    let mut rest = grammar;
    while let Some(start) = rest.find("(*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*)").expect("unclosed comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    let mut plain = String::new();
    for (i, piece) in out.split('?').enumerate() {
        if i % 2 == 0 {
            plain.push_str(piece);
        }
    }
    plain
}

/// Every quoted terminal, in order.
fn terminals(grammar: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = grammar.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            let text: String = chars.by_ref().take_while(|&d| d != c).collect();
            found.push(text);
        }
    }
    found
}

fn is_word(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

#[test]
fn grammar_keywords_are_the_lexer_keywords() {
    let grammar = strip_prose(&lang_file("guard.ebnf"));
    let quoted: BTreeSet<String> = terminals(&grammar)
        .into_iter()
        .filter(|t| is_word(t))
        .collect();
    let lexer: BTreeSet<String> = KEYWORDS.iter().map(|k| k.to_string()).collect();
    let only_grammar: Vec<&String> = quoted.difference(&lexer).collect();
    let only_lexer: Vec<&String> = lexer.difference(&quoted).collect();
    assert!(
        only_grammar.is_empty(),
        "quoted in guard.ebnf but not lexer keywords: {only_grammar:?}"
    );
    assert!(
        only_lexer.is_empty(),
        "lexer keywords missing from guard.ebnf: {only_lexer:?}"
    );
}

#[test]
fn grammar_reserves_the_reserved_words() {
    let grammar = strip_prose(&lang_file("guard.ebnf"));
    let start = grammar
        .find("reserved      =")
        .expect("no `reserved` production");
    let end = grammar[start..].find(';').unwrap() + start;
    let reserved: BTreeSet<String> = terminals(&grammar[start..end]).into_iter().collect();
    let lexer: BTreeSet<String> = RESERVED.iter().map(|k| k.to_string()).collect();
    assert_eq!(reserved, lexer);
}

#[test]
fn reference_examples_parse_cleanly() {
    let readme = lang_file("README.md");
    let mut examples = 0;
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```guard\n") {
        let body = &rest[start + "```guard\n".len()..];
        let end = body.find("```").expect("unclosed example");
        let example = &body[..end];
        let (_, diagnostics) = parse(example);
        assert!(
            diagnostics.is_empty(),
            "example does not parse:\n{example}\n{diagnostics:#?}"
        );
        assert_eq!(
            guard_syntax::format_source(example).as_deref(),
            Some(example),
            "example is not formatted"
        );
        examples += 1;
        rest = &body[end + 3..];
    }
    assert!(
        examples >= 5,
        "only {examples} complete examples in lang/README.md"
    );
}
