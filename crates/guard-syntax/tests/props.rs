//! Property tests: the parser never panics, on arbitrary bytes or on soups of the language's
//! own tokens; and for random trees, `parse ∘ format` is the identity modulo layout and
//! `format` is idempotent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guard_diagnostics::Span;
use guard_syntax::ast::{
    BinOp, Channel, DefDecl, DefaultDecl, Effect, Expr, ExprKind, File, Ident, Item, Mode,
    ModuleDecl, Path, Quantifier, RuleDecl, SetDecl, StringLit, Template, TemplatePart, TestCase,
    TestDecl, UseDecl,
};
use guard_syntax::{KEYWORDS, RESERVED, format, format_with_width, parse};
use proptest::prelude::*;

const Z: Span = Span { start: 0, end: 0 };

/// Checks both formatter properties on a tree that must print as valid source.
fn check_round_trip(file: &File) -> Result<(), TestCaseError> {
    check_round_trip_at(file, guard_syntax::format::MAX_WIDTH)
}

fn check_round_trip_at(file: &File, width: usize) -> Result<(), TestCaseError> {
    let text = format_with_width(file, width);
    let (reparsed, diagnostics) = parse(&text);
    prop_assert!(
        diagnostics.is_empty(),
        "formatted text has errors: {diagnostics:#?}\n{text}"
    );
    let mut expected = file.clone();
    expected.erase_layout();
    let mut actual = reparsed.clone();
    actual.erase_layout();
    // Canonical clause order may move a comment relative to others: keep, not order, counts.
    expected.comments.sort_by(|a, b| a.text.cmp(&b.text));
    actual.comments.sort_by(|a, b| a.text.cmp(&b.text));
    prop_assert_eq!(&actual, &expected, "tree changed through\n{}", text);
    prop_assert_eq!(
        format_with_width(&reparsed, width),
        text,
        "format is not idempotent"
    );
    Ok(())
}

// ---- names ------------------------------------------------------------------------------

/// Names usable anywhere a name is declared or a path starts: includes contextual keywords.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z][a-z0-9_]{0,5}".prop_filter("not reserved", |s| !RESERVED.contains(&s.as_str())),
        1 => prop::sample::select(vec!["set", "use", "sql", "shell", "groups", "on", "deny", "as", "by"])
            .prop_map(str::to_string),
    ]
}

/// Names after a `.`: every word is allowed there, reserved ones included.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![3 => name(), 1 => prop::sample::select(RESERVED.to_vec()).prop_map(str::to_string)]
}

fn ident() -> impl Strategy<Value = Ident> {
    name().prop_map(|name| Ident { name, span: Z })
}

fn path(max_tail: usize) -> impl Strategy<Value = Path> {
    (name(), prop::collection::vec(segment(), 0..=max_tail)).prop_map(|(first, rest)| Path {
        segments: std::iter::once(first)
            .chain(rest)
            .map(|name| Ident { name, span: Z })
            .collect(),
        span: Z,
    })
}

/// A module path: every segment a non-reserved name.
fn module_path() -> impl Strategy<Value = Path> {
    prop::collection::vec(name(), 1..3).prop_map(|names| Path {
        segments: names
            .into_iter()
            .map(|name| Ident { name, span: Z })
            .collect(),
        span: Z,
    })
}

fn text() -> impl Strategy<Value = String> {
    "[a-z \"\\\\{}\n\té✓]{0,8}"
}

fn string_lit() -> impl Strategy<Value = StringLit> {
    text().prop_map(|value| StringLit { value, span: Z })
}

fn regex() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", "\\d", "\\\\", "\"", ".*", "^", "$", "(x|y)", "{", "é",
        ]),
        0..5,
    )
    .prop_map(|parts| parts.concat())
}

fn effect() -> impl Strategy<Value = Effect> {
    prop::sample::select(vec![
        Effect::Allow,
        Effect::Warn,
        Effect::RequireApproval,
        Effect::Deny,
    ])
}

// ---- expressions ------------------------------------------------------------------------

fn e(kind: ExprKind) -> Expr {
    Expr { kind, span: Z }
}

/// `in_template`: no string or regex literal (an interpolation cannot hold a `"`).
fn expr(in_template: bool) -> BoxedStrategy<Expr> {
    let mut leaves = vec![
        any::<bool>().prop_map(|b| e(ExprKind::Bool(b))).boxed(),
        (0..=i64::MAX).prop_map(|i| e(ExprKind::Int(i))).boxed(),
        path(2).prop_map(|p| e(ExprKind::Path(p))).boxed(),
    ];
    if !in_template {
        leaves.push(text().prop_map(|s| e(ExprKind::Str(s))).boxed());
    }
    let leaf = prop::strategy::Union::new(leaves);
    leaf.prop_recursive(5, 48, 3, move |inner| {
        // The logical operators weigh more: their nesting is where parenthesisation bugs hide.
        let binary_ops = vec![
            BinOp::And,
            BinOp::And,
            BinOp::And,
            BinOp::Or,
            BinOp::Or,
            BinOp::Or,
            BinOp::Eq,
            BinOp::Ne,
            BinOp::Lt,
            BinOp::Le,
            BinOp::Gt,
            BinOp::Ge,
            BinOp::In,
            BinOp::NotIn,
            BinOp::Matches,
        ];
        let rhs = if in_template {
            inner.clone().boxed()
        } else {
            prop_oneof![4 => inner.clone(), 1 => regex().prop_map(|r| e(ExprKind::Regex(r)))]
                .boxed()
        };
        let mut options = vec![
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|v| e(ExprKind::List(v)))
                .boxed(),
            inner
                .clone()
                .prop_map(|x| e(ExprKind::Not(Box::new(x))))
                .boxed(),
            (prop::sample::select(binary_ops), inner.clone(), rhs)
                .prop_map(|(op, lhs, rhs)| {
                    // A regex is valid only on the right of `matches`.
                    let rhs = match (op, rhs.kind) {
                        (BinOp::Matches, kind) => e(kind),
                        (_, ExprKind::Regex(r)) => e(ExprKind::Str(r)),
                        (_, kind) => e(kind),
                    };
                    e(ExprKind::Binary {
                        op,
                        op_span: Z,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    })
                })
                .boxed(),
            (ident(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(|(func, args)| e(ExprKind::Call { func, args }))
                .boxed(),
            (any::<bool>(), ident(), inner.clone(), inner.clone())
                .prop_map(|(any, var, over, body)| {
                    let quantifier = if any {
                        Quantifier::Any
                    } else {
                        Quantifier::All
                    };
                    e(ExprKind::Quantified {
                        quantifier,
                        var,
                        over: Box::new(over),
                        body: Box::new(body),
                    })
                })
                .boxed(),
        ];
        options.push(
            prop::collection::vec(inner, 0..3)
                .prop_map(|v| e(ExprKind::Set(v)))
                .boxed(),
        );
        // Binary operators three times as likely as each other form.
        prop::strategy::Union::new_weighted(
            options
                .into_iter()
                .enumerate()
                .map(|(i, s)| (if i == 2 { 3 } else { 1 }, s))
                .collect(),
        )
    })
    .boxed()
}

fn template() -> impl Strategy<Value = Template> {
    let part = prop_oneof![
        text().prop_map(TemplatePart::Text),
        expr(true).prop_map(TemplatePart::Expr),
    ];
    prop::collection::vec(part, 0..4).prop_map(|parts| {
        // The parser merges adjacent text and never produces empty text.
        let mut merged: Vec<TemplatePart> = Vec::new();
        for part in parts {
            match (merged.last_mut(), part) {
                (_, TemplatePart::Text(t)) if t.is_empty() => {}
                (Some(TemplatePart::Text(prev)), TemplatePart::Text(t)) => prev.push_str(&t),
                (_, part) => merged.push(part),
            }
        }
        Template {
            parts: merged,
            span: Z,
        }
    })
}

// ---- items ------------------------------------------------------------------------------

fn doc() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("([a-z`]+( [a-z]+)*)?", 0..3)
}

fn test_case() -> impl Strategy<Value = TestCase> {
    (
        (
            any::<bool>(),
            string_lit(),
            prop::option::of(prop_oneof![
                string_lit(),
                name().prop_map(|value| StringLit { value, span: Z })
            ]),
        ),
        (
            prop::option::of(ident()),
            prop::option::of((ident(), prop::option::of(string_lit()))),
        ),
        (
            prop::collection::vec(string_lit(), 0..3),
            prop::collection::vec((string_lit(), string_lit()), 0..3),
        ),
        (effect(), prop::option::of(path(1))),
    )
        .prop_map(
            |((sql, command, env), (dialect, actor), (groups, labels), (expect, by))| {
                let (actor_kind, actor_id) = match actor {
                    Some((kind, id)) => (Some(kind), id),
                    None => (None, None),
                };
                TestCase {
                    channel: if sql { Channel::Sql } else { Channel::Shell },
                    command,
                    env,
                    dialect,
                    actor_kind,
                    actor_id,
                    groups,
                    labels,
                    expect,
                    expect_span: Z,
                    by,
                    span: Z,
                }
            },
        )
}

fn rule() -> impl Strategy<Value = RuleDecl> {
    (
        (doc(), ident(), effect(), ident()),
        (
            prop::collection::vec(expr(false), 0..3),
            prop::collection::vec(expr(false), 0..2),
        ),
        (prop::option::of(template()), prop::option::of(template())),
        (
            prop::collection::vec(string_lit(), 0..2),
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |((doc, name, effect, on), (when, unless), (message, help), (controls, mode))| {
                RuleDecl {
                    doc,
                    name,
                    effect,
                    effect_span: Z,
                    on,
                    when,
                    unless,
                    message,
                    help,
                    controls,
                    mode: mode.map(|audit| (if audit { Mode::Audit } else { Mode::Enforce }, Z)),
                    span: Z,
                }
            },
        )
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        (module_path(), prop::option::of(ident())).prop_map(|(path, alias)| Item::Use(UseDecl {
            path,
            alias,
            span: Z
        })),
        any::<bool>().prop_map(|allow| Item::Default(DefaultDecl {
            effect: if allow { Effect::Allow } else { Effect::Deny },
            effect_span: Z,
            span: Z,
        })),
        (doc(), ident(), expr(false)).prop_map(|(doc, name, value)| Item::Set(SetDecl {
            doc,
            name,
            value,
            span: Z
        })),
        (doc(), ident(), prop::option::of(ident()), expr(false)).prop_map(
            |(doc, name, on, body)| Item::Def(DefDecl {
                doc,
                name,
                on,
                body,
                span: Z
            })
        ),
        rule().prop_map(Item::Rule),
        (doc(), ident(), prop::collection::vec(test_case(), 0..4)).prop_map(
            |(doc, name, cases)| Item::Test(TestDecl {
                doc,
                name,
                cases,
                span: Z
            })
        ),
    ]
}

fn file() -> impl Strategy<Value = File> {
    (doc(), module_path(), prop::collection::vec(item(), 0..5)).prop_map(|(doc, path, items)| {
        File {
            module: Some(ModuleDecl { doc, path, span: Z }),
            items,
            comments: Vec::new(),
        }
    })
}

// ---- token soups ------------------------------------------------------------------------

fn soup() -> impl Strategy<Value = String> {
    let mut words: Vec<&'static str> = KEYWORDS.to_vec();
    words.extend([
        ".",
        ",",
        ":",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "=",
        "=>",
        "\n",
        "\n",
        "\n  ",
        "x",
        "stmt.kind",
        "\"s\"",
        "\"{x}\"",
        "\"{\"",
        "re\"^a\"",
        "42",
        "///doc\n",
        "// c\n",
        "\"",
        "$",
        "99999999999999999999",
        "\\",
    ]);
    prop::collection::vec(prop::sample::select(words), 0..60).prop_map(|tokens| tokens.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_token_soup(text in soup()) {
        let (file, diagnostics) = parse(&text);
        // Whatever parses cleanly must also survive formatting.
        if diagnostics.is_empty() {
            check_round_trip(&file)?;
        }
    }

    #[test]
    fn parse_never_panics_on_module_prefixed_soup(text in soup()) {
        let (file, diagnostics) = parse(&format!("module m\n{text}"));
        if diagnostics.is_empty() {
            check_round_trip(&file)?;
        }
    }

    #[test]
    fn format_round_trips_random_trees(file in file()) {
        check_round_trip(&file)?;
    }


    /// Comments sprinkled over a formatted file, own-line or at line ends, all survive
    /// formatting, the tree is unchanged, and formatting again changes nothing.
    #[test]
    fn formatting_keeps_every_comment(
        file in file(),
        spots in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 1..8),
    ) {
        let text = format(&file);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut inserted = Vec::new();
        for (n, (spot, own_line)) in spots.into_iter().enumerate() {
            let comment = format!("// c{n}");
            if own_line {
                lines.insert(spot.index(lines.len() + 1), comment.clone());
                inserted.push(comment);
                continue;
            }
            let at = spot.index(lines.len());
            if !lines[at].contains("//") {
                lines[at].push_str(&format!(" {comment}"));
            } else {
                continue;
            }
            inserted.push(comment);
        }
        let commented = lines.join("\n") + "\n";
        let (parsed, diagnostics) = parse(&commented);
        prop_assert!(diagnostics.is_empty(), "{diagnostics:#?}\n{commented}");
        let formatted = format(&parsed);
        let mut kept: Vec<String> = parse(&formatted).0.comments.into_iter().map(|c| c.text).collect();
        kept.sort();
        inserted.sort();
        prop_assert_eq!(kept, inserted, "comments lost in\n{}", formatted);
        let (again, _) = parse(&formatted);
        prop_assert_eq!(format(&again), formatted.clone(), "format is not idempotent");
        let (mut a, mut b) = (file, again);
        a.erase_layout();
        b.erase_layout();
        b.comments.clear();
        prop_assert_eq!(a, b, "tree changed through\n{}", formatted);
    }
}

proptest! {
    // Line breaking has many more shapes than one-line printing: more cases.
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// The round trip at narrow widths, where most expressions break across lines.
    #[test]
    fn format_round_trips_random_trees_broken_across_lines(file in file(), width in 10usize..60) {
        check_round_trip_at(&file, width)?;
    }
}

/// The clean fixtures, as seeds for edits.
fn fixture_sources() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok");
    let mut sources: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    sources.sort();
    sources
}

/// A byte offset on a character boundary of `s`.
fn boundary(s: &str, at: prop::sample::Index) -> usize {
    let mut i = at.index(s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Real files with a few random edits (deletions and inserted tokens) exercise recovery
    /// paths that random text rarely reaches: never a panic, and a clean result still
    /// formats faithfully.
    #[test]
    fn edited_fixtures_never_panic(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0usize..12, prop::sample::select(vec![
                "", " ", "\n", "(", ")", "{", "}", "\"", "//", "///", "re\"", "not", "in", "when",
                "rule", "set", "use", "=>", ",", ":", "==", "\\", "{{", "}}", "$",
            ])),
            1..4,
        ),
    ) {
        let sources = fixture_sources();
        let mut text = which.get(&sources).clone();
        for (at, delete, insert) in edits {
            let start = boundary(&text, at);
            let mut end = (start + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, insert);
        }
        let (file, diagnostics) = parse(&text);
        if diagnostics.is_empty() {
            check_round_trip(&file)?;
        }
    }
}
