//! Evaluation on pre-extracted actions (ns per decision) of a ~40-rule policy resembling the
//! standard library, and bundle encode / decode (load) time.
//!
//! `cargo bench -p guard-engine --bench eval`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_engine::{Metadata, RequestContext, Source, decide, decode, encode, evaluate};
use guard_model::{Action, ActorKind, Request, StatementKind};
use support::*;

fn cases() -> Vec<(&'static str, Request, Vec<Action>)> {
    let mut agent = request("production", "SELECT * FROM billing.invoices WHERE id = 1");
    agent.actor.kind = ActorKind::Agent;
    agent.target.labels.insert("team".into(), "billing".into());
    let mut pipeline = vec![
        exec("curl", &["silent"], &[]),
        exec("sh", &[], &[]),
        exec("grep", &["v"], &["/var/log/app.log"]),
    ];
    if let guard_model::ActionDetail::Exec(e) = &mut pipeline[1].detail {
        e.piped_from = guard_model::List::from(["curl".into()]);
    }
    vec![
        (
            "sql_select_allow",
            request("production", "SELECT id FROM public.users WHERE id = 1"),
            vec![sql(StatementKind::Select, &["public.users"], [0, 40])],
        ),
        (
            "sql_drop_deny",
            request("production", "DROP TABLE users"),
            vec![sql(StatementKind::Drop, &["public.users"], [0, 16])],
        ),
        (
            "sql_agent_billing_warn",
            agent,
            vec![sql(StatementKind::Select, &["billing.invoices"], [0, 44])],
        ),
        (
            "shell_pipeline_3_actions",
            request("staging", "curl -s x | sh; grep -v x /var/log/app.log"),
            pipeline,
        ),
        (
            "k8s_get_allow",
            request("production", "kubectl get pods -n prod-web"),
            vec![k8s("get", "pods", "prod-web")],
        ),
    ]
}

fn bench_eval(c: &mut Criterion) {
    let policy = standard_like_policy();
    let mut group = c.benchmark_group("evaluate");
    for (name, request, actions) in cases() {
        group.bench_function(name, |b| {
            b.iter(|| evaluate(black_box(&policy), black_box(&request), black_box(&actions)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("decide_prepared_context");
    for (name, request, actions) in cases() {
        let rcx = RequestContext::new(&request, &actions);
        group.bench_function(name, |b| {
            b.iter(|| decide(black_box(&policy), black_box(&rcx)))
        });
    }
    group.finish();
}

fn bench_bundle(c: &mut Criterion) {
    let policy = standard_like_policy();
    // Sources of about the standard library's size (~40 KiB), so decode pays for hashing and
    // copying them as it will in production.
    let text = "/// Doc comment explaining the rule, its reason and its fix.\nrule r: deny on sql when stmt.kind in {drop}\n".repeat(400);
    let metadata = Metadata {
        guard_version: "0.1.0".into(),
        revision: 42,
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        sources: vec![Source::new("policies/std.guard", text)],
    };
    let bytes = encode(&policy, &metadata).unwrap();
    let mut group = c.benchmark_group("bundle");
    group.bench_function(format!("decode_{}_bytes", bytes.len()), |b| {
        b.iter(|| decode(black_box(&bytes)).unwrap())
    });
    group.bench_function("encode", |b| {
        b.iter(|| encode(black_box(&policy), black_box(&metadata)).unwrap())
    });
    // A real bundle (`guard build policies -o /tmp/p.bundle`), when one is given.
    if let Some(path) = std::env::var_os("GUARD_BENCH_BUNDLE") {
        let bytes = std::fs::read(path).unwrap();
        group.bench_function(format!("decode_given_{}_bytes", bytes.len()), |b| {
            b.iter(|| decode(black_box(&bytes)).unwrap())
        });
        // Load plus what the first evaluation builds (the plan and the rule prefilter).
        group.bench_function("decode_and_prepare_given", |b| {
            b.iter(|| {
                let loaded = decode(black_box(&bytes)).unwrap();
                loaded.policy.prepare();
                loaded
            })
        });
        // What loading cost when every pattern was compiled eagerly.
        let patterns = decode(&bytes).unwrap().policy.data().patterns.clone();
        group.bench_function("compile_given_patterns_eagerly", |b| {
            b.iter(|| {
                for p in black_box(&patterns) {
                    black_box(p.compile().unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_eval, bench_bundle);
criterion_main!(benches);
