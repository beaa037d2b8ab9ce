//! Fixture tests: `fixtures/ok/*.guard` compile without any diagnostic, and the snapshot is the
//! compiled IR printed as text (so folding, inlining and sharing are visible in review);
//! `fixtures/err/*.guard` pass the checker but fail compilation, and the snapshot is the
//! source above the rendered diagnostics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write;

use guard_diagnostics::SourceMap;
use guard_engine::PolicyData;
use guard_engine::ir::{Node, Part, SetData, Template};

fn compile(path: &std::path::Path) -> (SourceMap, guard_compile::Compilation) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources = SourceMap::new();
    sources.add(path.file_name().unwrap().to_string_lossy(), text);
    let compilation = guard_compile::compile_sources(&sources);
    (sources, compilation)
}

#[test]
fn ok_fixtures() {
    insta::glob!("fixtures/ok/*.guard", |path| {
        let (sources, c) = compile(path);
        let rendered: Vec<String> = c
            .diagnostics
            .iter()
            .map(|d| guard_diagnostics::render_human(d, &sources, false, 100))
            .collect();
        assert!(c.diagnostics.is_empty(), "{}", rendered.join("\n"));
        let policy = c.policy.expect("no diagnostics, so a policy");
        // Compiling twice gives the same data: bundles are deterministic.
        assert_eq!(
            guard_compile::compile(&c.program).unwrap().data(),
            policy.data()
        );
        insta::assert_snapshot!(dump(policy.data()));
    });
}

#[test]
fn err_fixtures() {
    insta::glob!("fixtures/err/*.guard", |path| {
        let (sources, c) = compile(path);
        assert!(c.policy.is_none());
        assert!(!c.diagnostics.is_empty());
        assert!(
            c.diagnostics.iter().all(|d| d.code.id.starts_with("GC")),
            "err fixtures must pass the checker and fail in the compiler"
        );
        let source = &sources.files().next().unwrap().1.text;
        let rendered: String = c
            .diagnostics
            .iter()
            .map(|d| guard_diagnostics::render_human(d, &sources, false, 100))
            .collect();
        insta::assert_snapshot!(format!(
            "----- SOURCE\n{source}----- DIAGNOSTICS\n{rendered}"
        ));
    });
}

/// The IR as text: each rule with its condition and templates as trees, then the sizes of
/// the arena. A node reached twice (a shared def) is printed at each use and marked `#id`.
fn dump(data: &PolicyData) -> String {
    let mut uses = vec![0usize; data.nodes.len()];
    for node in &data.nodes {
        for child in node.children() {
            uses[child.index()] += 1;
        }
    }
    for rule in &data.rules {
        uses[rule.condition.index()] += 1;
        for part in rule.message.parts.iter().chain(&rule.help.parts) {
            if let Part::Expr(e) = part {
                uses[e.index()] += 1;
            }
        }
    }
    let mut out = format!("default {}\n", data.default);
    for rule in &data.rules {
        let _ = writeln!(
            out,
            "\nrule {}: {} on {} ({:?})",
            rule.id,
            rule.effect,
            rule.target_name(),
            rule.mode
        );
        if !rule.doc.is_empty() {
            let _ = writeln!(out, "  doc {:?}", rule.doc);
        }
        let _ = writeln!(out, "  when {}", expr(data, &uses, rule.condition.index()));
        let _ = writeln!(out, "  message {}", template(data, &uses, &rule.message));
        if !rule.help.is_empty() {
            let _ = writeln!(out, "  help {}", template(data, &uses, &rule.help));
        }
        for control in &rule.controls {
            let _ = writeln!(out, "  control {control:?}");
        }
    }
    let _ = writeln!(
        out,
        "\n{} nodes, {} strings, {} sets, {} patterns",
        data.nodes.len(),
        data.strings.len(),
        data.sets.len(),
        data.patterns.len()
    );
    out
}

fn template(data: &PolicyData, uses: &[usize], t: &Template) -> String {
    let parts: Vec<String> = t
        .parts
        .iter()
        .map(|p| match p {
            Part::Text(id) => format!("{:?}", &data.strings[id.index()]),
            Part::Expr(e) => format!("{{{}}}", expr(data, uses, e.index())),
        })
        .collect();
    parts.join(" ")
}

fn expr(data: &PolicyData, uses: &[usize], id: usize) -> String {
    let e = |child: &guard_engine::ir::ExprId| expr(data, uses, child.index());
    let list =
        |items: &[guard_engine::ir::ExprId]| items.iter().map(e).collect::<Vec<_>>().join(" ");
    let text = match &data.nodes[id] {
        Node::Bool(b) => b.to_string(),
        Node::Int(i) => i.to_string(),
        Node::Str(s) => format!("{:?}", &data.strings[s.index()]),
        Node::Enum(v) => v.name().to_string(),
        Node::Field(f) => f.def().path.to_string(),
        Node::Local(slot) => format!("${slot}"),
        Node::Set(s) => match &data.sets[s.index()] {
            SetData::Str(items) => {
                format!(
                    "{{{}}}",
                    items
                        .iter()
                        .map(|i| format!("{:?}", &data.strings[i.index()]))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            SetData::Int(items) => format!(
                "{{{}}}",
                items
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SetData::Enum(_, items) => format!(
                "{{{}}}",
                items
                    .iter()
                    .map(|v| v.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        Node::List(items) => format!("[{}]", list(items)),
        Node::Not(x) => format!("(not {})", e(x)),
        Node::And(items) => format!("(and {})", list(items)),
        Node::Or(items) => format!("(or {})", list(items)),
        Node::Compare { op, lhs, rhs } => format!("({op} {} {})", e(lhs), e(rhs)),
        Node::In {
            item,
            collection,
            negated,
        } => {
            format!(
                "({} {} {})",
                if *negated { "not-in" } else { "in" },
                e(item),
                e(collection)
            )
        }
        Node::Matches { subject, pattern } => format!(
            "(matches {} {:?})",
            e(subject),
            data.patterns[pattern.index()]
        ),
        Node::Call { builtin, args } => format!("({} {})", builtin.name(), list(args)),
        Node::Quantified {
            quantifier,
            slot,
            over,
            body,
        } => {
            format!("({quantifier:?} ${slot} in {}: {})", e(over), e(body))
        }
    };
    let leaf = data.nodes[id].children().next().is_none();
    let shared = uses[id] > 1 && !leaf;
    if shared { format!("#{id}{text}") } else { text }
}
