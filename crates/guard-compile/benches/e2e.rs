//! Raw command → decision through a compiled policy, beside intent analysis alone and the bare
//! parse of the same text (DESIGN.md §8: a decision within 2× of the bare parse), so the ratios
//! can be read from one run. Also: evaluation alone on pre-extracted actions, and compiling.
//!
//! `psql -c '…'` parses its SQL a second time, with PostgreSQL's parser, so its fair baseline is
//! `parse_nested/shell_psql`: the shell text and the SQL inside it parsed (as the intent bench
//! does for `bash -c` and `ssh`).
//!
//! The policy is the shipped standard library (`policies/`) when it compiles, else the
//! decision fixtures of the CLI tests; the run says which.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/shipped.rs"]
mod shipped;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_diagnostics::SourceMap;
use guard_engine::Policy;
use guard_model::Channel;
use shipped::{COMMANDS, production_request, root, shipped_sources, sources_under};

/// Commands whose analysis must also parse an inner text in another language, with that text.
const NESTED_SQL: &[(&str, &str)] = &[("shell_psql", "TRUNCATE audit_log")];

fn policy() -> (SourceMap, Policy) {
    let shipped = shipped_sources();
    let compiled = guard_compile::compile_sources(&shipped);
    if let Some(policy) = compiled.policy {
        eprintln!("policy: policies/ ({} rules)", policy.rules().len());
        return (shipped, policy);
    }
    let fixtures =
        sources_under(&root().join("crates/guard-cli/tests/fixtures/decisions/policies"));
    let compiled = guard_compile::compile_sources(&fixtures);
    let policy = compiled
        .policy
        .expect("the CLI's decision fixtures compile");
    eprintln!(
        "policy: policies/ does not compile; using the CLI decision fixtures ({} rules)",
        policy.rules().len()
    );
    (fixtures, policy)
}

fn bare_parse(channel: Channel, text: &str) {
    match channel {
        Channel::Sql => {
            std::hint::black_box(pg_query::parse(text, 0).ok());
        }
        Channel::Shell => {
            let options = brush_parser::ParserOptions::default();
            let mut parser =
                brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options);
            std::hint::black_box(parser.parse_program().ok());
        }
    }
}

fn bench(c: &mut Criterion) {
    let (sources, policy) = policy();
    let mut group = c.benchmark_group("e2e");
    for (name, channel, text) in COMMANDS {
        let req = production_request(*channel, text);
        let actions = guard_intent::analyze(&req);
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| bare_parse(*channel, std::hint::black_box(text)))
        });
        if let Some((_, sql)) = NESTED_SQL.iter().find(|(n, _)| n == name) {
            assert!(
                text.contains(sql),
                "{name}: the nested SQL is part of the command"
            );
            group.bench_function(format!("parse_nested/{name}"), |b| {
                b.iter(|| {
                    bare_parse(*channel, std::hint::black_box(text));
                    bare_parse(Channel::Sql, std::hint::black_box(sql));
                })
            });
        }
        group.bench_function(format!("analyze/{name}"), |b| {
            b.iter(|| guard_intent::analyze(std::hint::black_box(&req)))
        });
        group.bench_function(format!("evaluate/{name}"), |b| {
            b.iter(|| {
                guard_engine::evaluate(
                    &policy,
                    std::hint::black_box(&req),
                    std::hint::black_box(&actions),
                )
            })
        });
        group.bench_function(format!("decide/{name}"), |b| {
            b.iter(|| {
                let r = std::hint::black_box(&req);
                let actions = guard_intent::analyze(r);
                guard_engine::evaluate(&policy, r, &actions)
            })
        });
    }
    group.finish();
    c.bench_function("compile/policy", |b| {
        b.iter(|| guard_compile::compile_sources(std::hint::black_box(&sources)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
