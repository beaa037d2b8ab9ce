//! DESIGN.md §8 side by side: guard against Cedar and Regorus on equivalent policies (the
//! subset in `crates/guard-bench/policies/`), on the same pre-extracted inputs, in one run; the
//! shipped library is measured on the same inputs for context.
//!
//! Each benchmark decides every input of a group once per iteration (`all`: every input of
//! `guard_bench::CASES`; `sql` and `shell`: those of one channel), so the per-decision time is
//! the iteration median divided by the group's size; the table printed at the end gives it,
//! with the ratios to guard on the subset. What one decision contains for each engine is
//! documented in `guard_bench`'s crate docs; all conversion happens before timing.
//!
//! Run: `cargo bench -p guard-bench --bench compare -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::Criterion;
use guard_bench::{Case, Cedar, Rego, RegoVm};
use guard_model::Channel;

const ENGINES: &[&str] = &[
    "guard-subset",
    "guard-shipped",
    "cedar",
    "regorus",
    "regorus-rvm",
];

fn groups(cases: &[Case]) -> Vec<(&'static str, Vec<&Case>)> {
    vec![
        ("all", cases.iter().collect()),
        (
            "sql",
            cases.iter().filter(|c| c.channel == Channel::Sql).collect(),
        ),
        (
            "shell",
            cases
                .iter()
                .filter(|c| c.channel == Channel::Shell)
                .collect(),
        ),
    ]
}

fn bench(c: &mut Criterion, cases: &[Case]) {
    let subset = guard_bench::guard_subset().unwrap();
    let shipped = guard_bench::guard_shipped().unwrap();
    let cedar = Cedar::load().unwrap();
    let mut rego = Rego::load().unwrap();
    let mut rvm = RegoVm::load().unwrap();
    eprintln!(
        "{} inputs; guard subset {} rules, shipped library {} rules",
        cases.len(),
        subset.rules().len(),
        shipped.rules().len()
    );

    for (name, group_cases) in groups(cases) {
        let mut group = c.benchmark_group(format!("compare-{name}"));
        group.bench_function("guard-subset", |b| {
            b.iter(|| {
                for case in &group_cases {
                    black_box(guard_engine::evaluate(
                        &subset,
                        black_box(&case.request),
                        black_box(&case.actions),
                    ));
                }
            })
        });
        group.bench_function("guard-shipped", |b| {
            b.iter(|| {
                for case in &group_cases {
                    black_box(guard_engine::evaluate(
                        &shipped,
                        black_box(&case.request),
                        black_box(&case.actions),
                    ));
                }
            })
        });
        group.bench_function("cedar", |b| {
            b.iter(|| {
                for case in &group_cases {
                    black_box(cedar.decide(black_box(&case.cedar_requests)));
                }
            })
        });
        group.bench_function("regorus", |b| {
            b.iter(|| {
                for case in &group_cases {
                    black_box(rego.decide(black_box(&case.rego_input)).unwrap());
                }
            })
        });
        group.bench_function("regorus-rvm", |b| {
            b.iter(|| {
                for case in &group_cases {
                    black_box(rvm.decide(black_box(&case.rego_input)).unwrap());
                }
            })
        });
        group.finish();
    }
}

/// Where criterion writes its estimates: set explicitly so the summary reads the same files.
fn output_directory() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion")
}

/// The median of one benchmark of this run, in nanoseconds.
fn median_ns(dir: &Path, group: &str, engine: &str) -> Option<f64> {
    let path = dir
        .join(format!("compare-{group}"))
        .join(engine)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn format_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn summary(dir: &Path, cases: &[Case]) {
    println!();
    println!("per-decision medians (iteration median / inputs) and ratios to guard-subset:");
    for (name, group_cases) in groups(cases) {
        let n = group_cases.len() as f64;
        let Some(base) = median_ns(dir, name, "guard-subset").map(|m| m / n) else {
            continue;
        };
        let cells: Vec<String> = ENGINES
            .iter()
            .filter_map(|engine| {
                let per = median_ns(dir, name, engine)? / n;
                Some(format!("{engine} {} (×{:.1})", format_ns(per), per / base))
            })
            .collect();
        println!(
            "  {name} ({} inputs): {}",
            group_cases.len(),
            cells.join(", ")
        );
    }
}

fn main() {
    let cases = guard_bench::cases().unwrap();
    let dir = output_directory();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();
    bench(&mut c, &cases);
    c.final_summary();
    summary(&dir, &cases);
}
