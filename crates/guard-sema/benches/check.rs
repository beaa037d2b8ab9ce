//! Parse + check of a generated 1,000-rule policy set (target: under 50 ms). The set is 10
//! modules of 100 rules each, with shared sets and defs imported from a config module, so
//! module resolution, imports and the lints are exercised as in a real bundle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_diagnostics::FileId;

fn config() -> String {
    let mut s = String::from("module bench.config\n\ndefault allow\n\n");
    s.push_str("set protected_envs = {\"production\", \"prod-eu\", \"prod-us\"}\n");
    s.push_str("set dba_groups = {\"dba\", \"sre\"}\n");
    s.push_str("def in_production = target.env in protected_envs\n");
    s.push_str("def is_dba = any g in actor.groups: g in dba_groups\n");
    s
}

fn module(m: usize) -> String {
    let mut s = format!("module bench.m{m}\n\nuse bench.config\n\n");
    for r in 0..100 {
        let _ = match r % 4 {
            0 => write!(
                s,
                "/// Rule {r}.\nrule r{r}: deny on sql\n  when stmt.kind in {{drop, truncate}} and config.in_production\n  unless config.is_dba or stmt.temporary\n  message \"{{stmt.kind}} of {{stmt.tables}} on {{target.env}}\"\n  control \"SOC2 CC8.1\"\n\n"
            ),
            1 => write!(
                s,
                "rule r{r}: require_approval on sql\n  when stmt.kind in {{delete, update}} and not stmt.has_effective_where\n  when any t in stmt.tables: t matches \"billing_{r}.*\"\n  message \"{{stmt.kind}} without WHERE on {{stmt.tables}}\"\n\n"
            ),
            2 => write!(
                s,
                "rule r{r}: deny on exec\n  when exec.program == \"tool{r}\" and \"force\" in exec.flags\n  when any p in exec.paths: p matches re\"^/srv/{r}/\" or starts_with(p, \"/etc\")\n  message \"{{exec.program}} {{exec.paths}}\"\n\n"
            ),
            _ => write!(
                s,
                "rule r{r}: warn on request\n  when actor.kind == agent and len(request.command) > {r} and config.in_production\n  message \"{{actor.id}} sent {{request.action_count}} actions\"\n\n"
            ),
        };
    }
    s.push_str("test r0 {\n  sql \"DROP TABLE t\" on production => deny by r0\n}\n");
    s
}

fn sources() -> Vec<String> {
    let mut v = vec![config()];
    v.extend((0..10).map(module));
    v
}

fn parse_and_check(sources: &[String]) -> usize {
    let parsed: Vec<(FileId, guard_syntax::ast::File)> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (FileId(u32::try_from(i).unwrap()), guard_syntax::parse(s).0))
        .collect();
    let files: Vec<(FileId, &guard_syntax::ast::File)> =
        parsed.iter().map(|(i, f)| (*i, f)).collect();
    let (program, diagnostics) = guard_sema::check(&files);
    program.rules.len() + diagnostics.len()
}

fn bench(c: &mut Criterion) {
    let sources = sources();
    // The generated set must be valid, or the benchmark measures error paths.
    assert_eq!(
        parse_and_check(&sources),
        1000,
        "generated policies must check clean"
    );
    c.bench_function("parse+check 1000 rules", |b| {
        b.iter(|| parse_and_check(black_box(&sources)))
    });
    let parsed: Vec<(FileId, guard_syntax::ast::File)> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (FileId(u32::try_from(i).unwrap()), guard_syntax::parse(s).0))
        .collect();
    let files: Vec<(FileId, &guard_syntax::ast::File)> =
        parsed.iter().map(|(i, f)| (*i, f)).collect();
    c.bench_function("check only 1000 rules", |b| {
        b.iter(|| guard_sema::check(black_box(&files)).0.rules.len())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
