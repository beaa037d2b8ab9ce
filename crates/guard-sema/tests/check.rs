//! The checker's API: the shape of the checked program (ids, slots, conditions) and the limits
//! that source fixtures cannot reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guard_diagnostics::{Diagnostic, FileId, Span};
use guard_model::schema::{Field, Type};
use guard_sema::Program;
use guard_sema::program::TExprKind;
use guard_syntax::ast;

fn check(sources: &[&str]) -> (Program, Vec<Diagnostic>) {
    let parsed: Vec<(FileId, ast::File)> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (file, diags) = guard_syntax::parse(s);
            assert!(diags.is_empty(), "syntax errors in test source: {diags:?}");
            (FileId(u32::try_from(i).unwrap()), file)
        })
        .collect();
    let files: Vec<(FileId, &ast::File)> = parsed.iter().map(|(i, f)| (*i, f)).collect();
    guard_sema::check(&files)
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.id).collect()
}

#[test]
fn quantifier_slots_are_levels_and_restart_in_defs() {
    let (program, diags) = check(&["module m\ndefault allow\n\
        def d on sql = any x in stmt.tables: x == \"a\"\n\
        rule r: deny on sql\n  when any t in stmt.writes: any c in stmt.columns_written: c == t and d\n  message \"x\"\n"]);
    assert!(diags.is_empty(), "{diags:?}");
    let rule = program.rule("m.r").unwrap();
    let TExprKind::Quantified { slot: 0, body, .. } = &rule.when[0].kind else {
        panic!("{:?}", rule.when[0])
    };
    let TExprKind::Quantified { slot: 1, body, .. } = &body.kind else {
        panic!("{body:?}")
    };
    let TExprKind::And(cmp, def) = &body.kind else {
        panic!("{body:?}")
    };
    let TExprKind::Compare { lhs, rhs, .. } = &cmp.kind else {
        panic!("{cmp:?}")
    };
    assert_eq!(
        (&lhs.kind, &rhs.kind),
        (&TExprKind::Var(1), &TExprKind::Var(0))
    );
    let TExprKind::Def(id) = def.kind else {
        panic!("{def:?}")
    };
    let d = program.def(id).unwrap();
    assert_eq!(d.id, "m.d");
    assert!(matches!(d.body.kind, TExprKind::Quantified { slot: 0, .. }));
}

#[test]
fn every_expression_carries_its_type_and_span() {
    let src = "module m\ndefault allow\nrule r: deny on sql\n  when len(stmt.tables) > 2\n  message \"{stmt.tables}\"\n";
    let (program, diags) = check(&[src]);
    assert!(diags.is_empty(), "{diags:?}");
    let when = &program.rules[0].when[0];
    assert_eq!(when.ty, Type::BOOL);
    let TExprKind::Compare { lhs, rhs, .. } = &when.kind else {
        panic!()
    };
    assert_eq!(lhs.ty, Type::INT);
    assert_eq!(&src[lhs.span.range()], "len(stmt.tables)");
    assert_eq!(&src[rhs.span.range()], "2");
    let TExprKind::Call { args, .. } = &lhs.kind else {
        panic!()
    };
    assert_eq!(args[0].kind, TExprKind::Field(Field::StmtTables));
    assert_eq!(args[0].ty.to_string(), "list<string>");
}

#[test]
fn condition_ands_whens_and_negates_unlesses() {
    let (program, _) = check(&[
        "module m\ndefault allow\nrule r: deny on sql\n  when stmt.has_where\n  when stmt.cascade\n  unless stmt.temporary\n  unless stmt.in_cte\n  message \"x\"\n",
    ]);
    let cond = program.rules[0].condition().unwrap();
    assert_eq!(
        program.expr_text(&cond),
        "(and (and stmt.has_where stmt.cascade) (not (or stmt.temporary stmt.in_cte)))"
    );
    let (program, _) =
        check(&["module m\ndefault allow\nrule r: deny on opaque\n  message \"x\"\n"]);
    assert_eq!(
        program.rules[0].condition(),
        None,
        "no clause: matches every action"
    );
}

#[test]
fn long_chains_do_not_recurse_per_operand() {
    let terms: Vec<String> = (0..5000)
        .map(|i| format!("target.env == \"e{i}\""))
        .collect();
    let src = format!(
        "module m\ndefault allow\nrule r: deny on request\n  when {}\n  message \"x\"\n",
        terms.join(" or ")
    );
    // A small stack: a recursion per operand would overflow it.
    let program = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let (file, _) = guard_syntax::parse(&src);
            let (program, diags) = guard_sema::check(&[(FileId(0), &file)]);
            assert!(diags.is_empty(), "{diags:?}");
            let rules = program.rules.len();
            // Dropping a 5,000-deep tree recurses too; leak it rather than measure Drop.
            std::mem::forget(program);
            std::mem::forget(file);
            rules
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(program, 1);
}

fn built(kind: ast::ExprKind) -> ast::Expr {
    ast::Expr {
        kind,
        span: Span::new(0, 4),
    }
}

#[test]
fn hand_built_trees_deeper_than_the_limit_are_an_error() {
    let mut e = built(ast::ExprKind::Bool(true));
    for _ in 0..1000 {
        e = built(ast::ExprKind::Not(Box::new(e)));
    }
    let ident = |name: &str| ast::Ident {
        name: name.to_string(),
        span: Span::new(0, 4),
    };
    let file = ast::File {
        module: Some(ast::ModuleDecl {
            doc: vec![],
            path: ast::Path {
                segments: vec![ident("m")],
                span: Span::new(0, 1),
            },
            span: Span::new(0, 1),
        }),
        items: vec![
            ast::Item::Default(ast::DefaultDecl {
                effect: ast::Effect::Allow,
                effect_span: Span::new(0, 1),
                span: Span::new(0, 1),
            }),
            ast::Item::Rule(ast::RuleDecl {
                doc: vec![],
                name: ident("deep"),
                effect: ast::Effect::Deny,
                effect_span: Span::new(0, 1),
                on: ident("request"),
                when: vec![e],
                unless: vec![],
                message: Some(ast::Template {
                    parts: vec![ast::TemplatePart::Text("x".into())],
                    span: Span::new(0, 1),
                }),
                help: None,
                controls: vec![],
                mode: None,
                span: Span::new(0, 1),
            }),
        ],
        ..ast::File::default()
    };
    let (_, diags) = guard_sema::check(&[(FileId(0), &file)]);
    assert_eq!(codes(&diags), vec![guard_sema::codes::TOO_DEEP.id]);
}

#[test]
fn diagnostics_are_tagged_with_their_file() {
    let (_, diags) = check(&[
        "module a\ndefault allow\nrule r: deny on sql\n  when stmt.knd == drop\n  message \"x\"\n",
        "module b\nrule r: deny on exec\n  when exec.progam == \"rm\"\n  message \"x\"\n",
    ]);
    let files: Vec<(Option<FileId>, &str)> = diags.iter().map(|d| (d.file, d.code.id)).collect();
    assert_eq!(
        files,
        vec![(Some(FileId(0)), "GT006"), (Some(FileId(1)), "GT006")]
    );
}

#[test]
fn sets_are_constants_without_duplicates() {
    let (program, diags) = check(&[
        "module m\ndefault allow\nset s = {\"a\", \"b\", \"a\"}\nrule r: deny on request\n  when target.env in s\n  message \"x\"\n",
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(program.sets[0].values.len(), 2);
    assert_eq!(program.sets[0].id, "m.s");
}

#[test]
fn a_broken_set_is_reported_once() {
    let (_, diags) = check(&[
        "module m\ndefault allow\nset s = {\"a\", 1}\nrule r: deny on request\n  when target.env in s\n  message \"x\"\n",
    ]);
    assert_eq!(codes(&diags), vec!["GT019"]);
}

#[test]
fn rules_of_another_kind_cannot_read_kind_fields_through_templates() {
    let (_, diags) =
        check(&["module m\ndefault allow\nrule r: deny on request\n  message \"{stmt.tables}\"\n"]);
    assert_eq!(codes(&diags), vec!["GT007"]);
    assert!(
        diags[0].primary.message.contains("only in rules `on sql`"),
        "{:?}",
        diags[0]
    );
}

#[test]
fn variant_names_that_are_also_roots_resolve_by_context() {
    let (program, diags) = check(&[
        "module m\ndefault allow\nrule r: deny on exec\n  when action.kind == exec or exec in request.action_kinds\n  message \"x\"\n",
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        program.expr_text(&program.rules[0].when[0]),
        "(or (== action.kind exec:action_kind) (in exec:action_kind request.action_kinds))"
    );
    let (_, diags) =
        check(&["module m\ndefault allow\nrule r: deny on exec\n  message \"{exec}\"\n"]);
    assert_eq!(codes(&diags), vec!["GT037"]);
}

#[test]
fn did_you_mean_covers_modules_defs_sets_and_builtins() {
    let (_, diags) = check(&[
        "module lib.config\nset envs = {\"p\"}\ndef is_prod = target.env == \"p\"\n",
        "module app\nuse lib.config\ndefault allow\nrule r: deny on request\n  when target.env in config.env or config.is_prd or lowr(target.env) == \"x\"\n  message \"x\"\n",
    ]);
    let helps: Vec<String> = diags.iter().filter_map(|d| d.help.clone()).collect();
    for expected in [
        "did you mean `envs`?",
        "did you mean `is_prod`?",
        "did you mean `lower`?",
    ] {
        assert!(
            helps.iter().any(|h| h == expected),
            "{expected} not in {helps:?}"
        );
    }
}

#[test]
fn literal_variants_type_each_other_without_context() {
    let (program, diags) = check(&[
        "module m\ndefault allow\nrule r: deny on request\n  when any k in {exec, sql}: k in request.action_kinds\n  when any s in {other, drop}: s == drop\n  message \"x\"\n",
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    let text: Vec<String> = program.rules[0]
        .when
        .iter()
        .map(|w| program.expr_text(w))
        .collect();
    assert_eq!(
        text,
        vec![
            "(any $0=k in {exec:action_kind, sql:action_kind}: (in $0 request.action_kinds))",
            "(any $0=s in {other:statement_kind, drop:statement_kind}: (== $0 drop:statement_kind))",
        ]
    );
}
