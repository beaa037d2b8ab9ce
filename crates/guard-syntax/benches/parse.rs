//! Parsing (and formatting) a generated policy file of 1,000 rules, each with a doc comment,
//! two conditions, a quantifier, an interpolated message and a control.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn policy(rules: usize) -> String {
    let mut s = String::from("module bench.rules\n\nset envs = {\"production\", \"prod-eu\"}\n");
    for i in 0..rules {
        s.push_str(&format!(
            "\n/// Rule {i}: drops in production.\nrule r{i}: deny on sql\n  \
             when stmt.kind in {{drop, truncate}} and target.env in envs\n  \
             unless stmt.temporary or any t in stmt.tables: t matches \"tmp_*\"\n  \
             message \"{{stmt.kind}} of {{stmt.tables}} on {{target.env}}\"\n  control \"SOC2 CC8.1\"\n"
        ));
    }
    s
}

fn bench(c: &mut Criterion) {
    let source = policy(1_000);
    let (file, diagnostics) = guard_syntax::parse(&source);
    assert!(diagnostics.is_empty());
    c.bench_function("parse 1000 rules", |b| {
        b.iter(|| guard_syntax::parse(black_box(&source)))
    });
    c.bench_function("format 1000 rules", |b| {
        b.iter(|| guard_syntax::format(black_box(&file)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
