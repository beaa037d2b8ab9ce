//! Bad input at scale, and facts about the tree that snapshots do not show: spans point into
//! the file, doc comments attach to the next item, recovery reports each error once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guard_syntax::ast::{ExprKind, Item, TemplatePart};
use guard_syntax::{MAX_DIAGNOSTICS, codes, format_source, parse};

fn codes_of(source: &str) -> Vec<&'static str> {
    parse(source).1.iter().map(|d| d.code.id).collect()
}

#[test]
fn ten_thousand_nested_parentheses_give_one_diagnostic() {
    let deep = format!(
        "module m\n\ndef d = {}x{}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(codes_of(&deep), vec![codes::NESTING_TOO_DEEP.id]);
}

#[test]
fn ten_thousand_unclosed_parentheses_give_one_diagnostic() {
    let deep = format!(
        "module m\n\ndef d = {}x\n\nset s = {{1}}\n",
        "(".repeat(10_000)
    );
    assert_eq!(codes_of(&deep), vec![codes::NESTING_TOO_DEEP.id]);
    // Recovery resumes at the next item.
    assert_eq!(parse(&deep).0.items.len(), 2);
}

#[test]
fn deep_nesting_of_every_kind_is_bounded() {
    for (open, close) in [
        ("not ", ""),
        ("{", "}"),
        ("[", "]"),
        ("f(", ")"),
        ("any x in y: ", ""),
    ] {
        let deep = format!(
            "module m\n\ndef d = {}x{}\n",
            open.repeat(10_000),
            close.repeat(10_000)
        );
        assert_eq!(codes_of(&deep), vec![codes::NESTING_TOO_DEEP.id], "{open}");
    }
}

#[test]
fn nesting_up_to_the_limit_is_accepted() {
    let depth = guard_syntax::MAX_DEPTH - 1;
    let ok = format!(
        "module m\n\ndef d = {}x{}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    assert_eq!(codes_of(&ok), Vec::<&str>::new());
}

fn big_policy(rules: usize) -> String {
    let mut s = String::from("module big\n\nset envs = {\"production\", \"prod-eu\"}\n");
    for i in 0..rules {
        s.push_str(&format!(
            "\n/// Rule {i}.\nrule r{i}: deny on sql\n  when stmt.kind in {{drop, truncate}} and target.env in envs\n  \
             unless stmt.temporary or any t in stmt.tables: t matches \"tmp_*\"\n  \
             message \"{{stmt.kind}} of {{stmt.tables}} on {{target.env}}\"\n  control \"SOC2 CC8.1\"\n"
        ));
    }
    s
}

#[test]
fn a_ten_megabyte_file_parses() {
    let mut source = big_policy(1);
    let rule =
        big_policy(1).split_off("module big\n\nset envs = {\"production\", \"prod-eu\"}\n".len());
    let mut i = 0;
    while source.len() < 10 * 1024 * 1024 {
        source.push_str(&rule.replace("r0", &format!("r{i}")));
        i += 1;
    }
    let start = std::time::Instant::now();
    let (file, diagnostics) = parse(&source);
    assert!(diagnostics.is_empty());
    assert_eq!(file.items.len(), i + 2);
    // Generous: guards against quadratic behaviour, not a benchmark (debug build).
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

#[test]
fn ten_megabytes_of_garbage_is_bounded_too() {
    let source = "rule ( { \"x $ \\q re\" when => ]\n".repeat(350_000);
    let (_, diagnostics) = parse(&source);
    assert_eq!(diagnostics.len(), MAX_DIAGNOSTICS + 1);
    assert_eq!(diagnostics.last().unwrap().code, codes::TOO_MANY_ERRORS);
}

#[test]
fn three_independent_errors_are_three_diagnostics() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/err/three_errors.guard"
    ))
    .unwrap();
    let (file, diagnostics) = parse(&source);
    let found: Vec<(&str, &str)> = diagnostics
        .iter()
        .map(|d| (d.code.id, &source[d.primary.span.range()]))
        .collect();
    assert_eq!(
        found,
        vec![("GS001", ""), ("GS009", "block"), ("GS002", "\"b\"")]
    );
    // The rules around the errors are still in the tree.
    let rules: Vec<&str> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Rule(r) => Some(r.name.name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(rules, vec!["a", "c"]);
}

#[test]
fn interpolation_spans_point_into_the_file() {
    let source = "module m\n\nrule r: deny on sql\n  when true\n  message \"a {len(stmt.tables)} b {target.env}\"\n";
    let (file, diagnostics) = parse(source);
    assert!(diagnostics.is_empty());
    let Some(Item::Rule(rule)) = file.items.first() else {
        panic!("no rule")
    };
    let parts = &rule.message.as_ref().unwrap().parts;
    let exprs: Vec<&str> = parts
        .iter()
        .filter_map(|p| match p {
            TemplatePart::Expr(e) => Some(&source[e.span.range()]),
            TemplatePart::Text(_) => None,
        })
        .collect();
    assert_eq!(exprs, vec!["len(stmt.tables)", "target.env"]);
    let TemplatePart::Expr(first) = &parts[1] else {
        panic!("not an expression")
    };
    let ExprKind::Call { args, .. } = &first.kind else {
        panic!("not a call")
    };
    assert_eq!(&source[args[0].span.range()], "stmt.tables");
}

#[test]
fn an_error_inside_an_interpolation_points_into_the_file() {
    let source = "module m\n\nrule r: deny on sql\n  when true\n  message \"a {stmt.kind ==} b\"\n";
    let (_, diagnostics) = parse(source);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, codes::EXPECTED_EXPRESSION);
    let at = diagnostics[0].primary.span.start as usize;
    assert_eq!(&source[at - 2..at], "==");
}

#[test]
fn doc_comments_attach_to_the_next_item() {
    let source = "/// the module\nmodule m\n\n/// one\n/// two\nrule r: deny on sql\n  when true\n  message \"m\"\n";
    let (file, diagnostics) = parse(source);
    assert!(diagnostics.is_empty());
    assert_eq!(file.module.unwrap().doc, vec!["the module"]);
    let Some(Item::Rule(rule)) = file.items.first() else {
        panic!("no rule")
    };
    assert_eq!(rule.doc, vec!["one", "two"]);
    assert_eq!(
        &source[rule.span.range()],
        "rule r: deny on sql\n  when true\n  message \"m\""
    );
}

#[test]
fn every_node_span_covers_its_text() {
    let source =
        "module a.b\n\nuse c.d as e\n\ndefault deny\n\nset s = {1, 2}\n\ndef d on sql = not x\n";
    let (file, diagnostics) = parse(source);
    assert!(diagnostics.is_empty());
    let texts: Vec<&str> = file
        .items
        .iter()
        .map(|i| &source[i.span().range()])
        .collect();
    assert_eq!(
        texts,
        vec![
            "use c.d as e",
            "default deny",
            "set s = {1, 2}",
            "def d on sql = not x"
        ]
    );
    assert_eq!(&source[file.module.unwrap().span.range()], "module a.b");
}

#[test]
fn broken_files_are_not_formatted() {
    assert_eq!(
        format_source("module m\n\nrule r: deny on sql\n  when\n"),
        None
    );
    assert_eq!(
        format_source("module m\nset s = {1,}\n").as_deref(),
        Some("module m\n\nset s = {1}\n")
    );
}

#[test]
fn an_empty_file_reports_the_missing_module() {
    assert_eq!(codes_of(""), vec![codes::MISSING_MODULE.id]);
    assert_eq!(
        codes_of("// only a comment\n"),
        vec![codes::MISSING_MODULE.id]
    );
}
