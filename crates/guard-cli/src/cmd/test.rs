//! `guard test`: run the `test` blocks of policies against the compiled policy.
//!
//! Each case becomes a [`Request`] that goes through the same path as production: intent
//! analysis, then the engine's evaluation of the compiled policy. Cases run in parallel
//! (rayon) and are reported in source order.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use guard_compile::codes::{TEST_CRASHED, TEST_FAILED, UNCOVERED_RULE};
use guard_diagnostics::{Diagnostic, LineIndex, SourceMap};
use guard_engine::Policy;
use guard_model::{Actor, Decision, DecisionKind, Effect, Match, Mode, Request, Target};
use guard_sema::program::{Test, TestCase};
use rayon::prelude::*;

use super::Status;
use crate::output::{self, Format};

/// Stack of the threads that analyse requests: parsers recurse over nested input.
const STACK_BYTES: usize = 64 * 1024 * 1024;

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Run the `test` blocks of policies.\n\n\
Checks and compiles the policies under the given paths as `guard build` does, then runs every \
case of every `test` block, in parallel: the case's command (with its channel, dialect, actor, \
groups, labels and environment) goes through intent analysis and the compiled policy, exactly \
as a request to `guard eval` would. A case passes when the decision is the expected effect and, \
with `by RULE`, when that rule matched in enforce mode with that effect. A failure is reported at \
the case with the decision and every match.\n\n\
--coverage also lists the rules that no case matched (in any mode), and makes them fail the run: \
use it in CI to require a test for every rule.",
    after_help = "Examples:\n  guard test                   run every test under .\n  \
guard test policies/ --coverage\n  guard test --format json     one JSON object per case, then a summary\n\n\
Exit status: 0 every case passed (and, with --coverage, every rule matched), 1 a case failed, \
a rule is uncovered (--coverage) or the policies have errors, 2 usage or I/O errors."
)]
pub struct Args {
    /// Files or directories; directories are searched for `*.guard` files.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// `human`: failures as diagnostics on stderr, a summary on stdout. `json`: on stdout, one
    /// object per case (`test`, `case`, `file`, `line`, `passed`, `expected`, `by`, `decision`,
    /// `matches`), then `{"summary": {…}}`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// List the rules no case matched; any such rule fails the run (exit 1).
    #[arg(long)]
    pub coverage: bool,
}

/// The outcome of one case.
struct Outcome<'p> {
    test: &'p Test,
    /// 1-based, within its test.
    number: usize,
    case: &'p TestCase,
    /// The decision, or the panic message when analysis or evaluation crashed.
    decision: Result<Decision, String>,
    passed: bool,
}

pub fn run(args: Args) -> Status {
    let (sources, _files, compilation) = match super::build::compile_paths(&args.paths, args.format)
    {
        Ok(loaded) => loaded,
        Err(status) => return status,
    };
    let Some(policy) = &compilation.policy else {
        let errors = compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        if args.format == Format::Human {
            eprintln!(
                "tests not run: {errors} error{} in policies",
                if errors == 1 { "" } else { "s" }
            );
        }
        return Status::Failed;
    };
    let program = &compilation.program;
    let cases: Vec<(&Test, usize, &TestCase)> = program
        .tests
        .iter()
        .flat_map(|t| t.cases.iter().enumerate().map(move |(i, c)| (t, i + 1, c)))
        .collect();

    let outcomes = match run_cases(policy, &cases) {
        Ok(outcomes) => outcomes,
        Err(e) => {
            output::usage_error(format_args!("cannot start test threads: {e}"));
            return Status::Usage;
        }
    };

    let matched: BTreeSet<&str> = outcomes
        .iter()
        .filter_map(|o| o.decision.as_ref().ok())
        .flat_map(|d| d.matches.iter().map(|m| &*m.rule))
        .collect();
    let uncovered: Vec<&guard_sema::program::Rule> = if args.coverage {
        program
            .rules
            .iter()
            .filter(|r| !matched.contains(r.id.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let failed = outcomes.len() - passed;

    match args.format {
        Format::Human => {
            let mut diagnostics: Vec<Diagnostic> =
                outcomes.iter().filter(|o| !o.passed).map(failure).collect();
            diagnostics.extend(uncovered.iter().map(|r| uncovered_diagnostic(r)));
            output::print_diagnostics(&diagnostics, &sources, Format::Human);
            let mut summary = format!("{passed} passed, {failed} failed");
            if args.coverage {
                let rules = program.rules.len();
                summary.push_str(&format!(
                    "; {} of {rules} rules matched",
                    rules - uncovered.len()
                ));
                if !uncovered.is_empty() {
                    let ids: Vec<&str> = uncovered.iter().map(|r| r.id.as_str()).collect();
                    summary.push_str(&format!(", uncovered: {}", ids.join(", ")));
                }
            }
            println!("{summary}");
        }
        Format::Json => {
            for o in &outcomes {
                println!("{}", case_json(o, &sources));
            }
            let uncovered: Vec<&str> = uncovered.iter().map(|r| r.id.as_str()).collect();
            let mut summary = serde_json::json!({ "passed": passed, "failed": failed });
            if args.coverage {
                summary["rules"] = program.rules.len().into();
                summary["uncovered"] = uncovered.into();
            }
            println!("{}", serde_json::json!({ "summary": summary }));
        }
    }
    if failed > 0 || !uncovered.is_empty() {
        Status::Failed
    } else {
        Status::Ok
    }
}

/// Runs every case on a pool whose threads have a large stack; outcomes in input order.
fn run_cases<'p>(
    policy: &Policy,
    cases: &[(&'p Test, usize, &'p TestCase)],
) -> Result<Vec<Outcome<'p>>, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .build()?;
    Ok(pool.install(|| {
        cases
            .par_iter()
            .map(|&(test, number, case)| {
                let decision = decide(policy, &request(test, number, case));
                let passed = decision.as_ref().is_ok_and(|d| passes(case, d));
                Outcome {
                    test,
                    number,
                    case,
                    decision,
                    passed,
                }
            })
            .collect()
    }))
}

/// The request a case describes.
pub fn request(test: &Test, number: usize, case: &TestCase) -> Request {
    Request {
        id: format!("{}#{number}", test.id),
        time: String::new(),
        channel: case.channel,
        dialect: case.dialect,
        command: case.command.clone(),
        actor: Actor {
            id: case.actor_id.clone(),
            kind: case.actor_kind,
            groups: case.groups.iter().map(guard_model::Str::from).collect(),
        },
        target: Target {
            env: case.env.clone(),
            resource: String::new(),
            labels: case.labels.iter().cloned().collect(),
        },
    }
}

/// Analyses and evaluates; a panic anywhere is an `Err` (the case fails), never a pass.
fn decide(policy: &Policy, request: &Request) -> Result<Decision, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let actions = guard_intent::analyze(request);
        guard_engine::evaluate(policy, request, &actions)
    }))
    .map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

/// The decision is the expected effect and, with `by`, that rule matched in enforce mode
/// with that effect (so it is one of the rules that decided).
pub fn passes(case: &TestCase, decision: &Decision) -> bool {
    decision.decision == DecisionKind::from(case.expect)
        && case.by.as_ref().is_none_or(|rule| {
            decision
                .matches
                .iter()
                .any(|m| deciding(m, rule, case.expect))
        })
}

fn deciding(m: &Match, rule: &str, effect: Effect) -> bool {
    &*m.rule == rule && m.mode == Mode::Enforce && m.effect == effect
}

fn decision_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "allow",
        DecisionKind::Warn => "warn",
        DecisionKind::RequireApproval => "require_approval",
        DecisionKind::Deny => "deny",
        DecisionKind::Error => "error",
    }
}

fn expectation(case: &TestCase) -> String {
    match &case.by {
        Some(rule) => format!("`{}` by `{rule}`", case.expect),
        None => format!("`{}`", case.expect),
    }
}

fn failure(o: &Outcome<'_>) -> Diagnostic {
    let case = o.case;
    let decision = match &o.decision {
        Ok(decision) => decision,
        Err(panic) => {
            return Diagnostic::error(
                TEST_CRASHED,
                case.span,
                format!(
                    "test `{}` case {}: analysing or evaluating the command crashed: {panic}",
                    o.test.id, o.number
                ),
            )
            .with_label(format!("expected {}", expectation(case)))
            .with_help("this is a bug in guard; please report it with this case")
            .in_file(o.test.file);
        }
    };
    let got = decision_name(decision.decision);
    let message = match &case.by {
        Some(rule) if decision.decision == DecisionKind::from(case.expect) => format!(
            "test `{}` case {}: expected {}, got `{got}` but not by `{rule}`",
            o.test.id,
            o.number,
            expectation(case)
        ),
        _ => format!(
            "test `{}` case {}: expected {}, got `{got}`",
            o.test.id,
            o.number,
            expectation(case)
        ),
    };
    let help = if decision.matches.is_empty() {
        format!("no rule matched, so the decision is the policies' default (`{got}`)")
    } else {
        let lines: Vec<String> = decision.matches.iter().map(describe_match).collect();
        format!("matches:\n{}", lines.join("\n"))
    };
    Diagnostic::error(TEST_FAILED, case.span, message)
        .with_label(format!("got `{got}`"))
        .with_help(help)
        .in_file(o.test.file)
}

fn describe_match(m: &Match) -> String {
    let mode = match m.mode {
        Mode::Enforce => "",
        Mode::Audit => ", audit",
    };
    let via = if m.via.is_empty() {
        String::new()
    } else {
        format!(" (via {})", m.via.join(" → "))
    };
    format!("  {} ({}{mode}): {}{via}", m.rule, m.effect, m.message)
}

fn uncovered_diagnostic(rule: &guard_sema::program::Rule) -> Diagnostic {
    Diagnostic::warning(
        UNCOVERED_RULE,
        rule.name_span,
        format!("no test case matches rule `{}`", rule.id),
    )
    .with_label("never matched")
    .with_help("add a case to a `test` block whose command this rule matches")
    .in_file(rule.file)
}

fn case_json(o: &Outcome<'_>, sources: &SourceMap) -> serde_json::Value {
    let file = sources.get(o.test.file);
    let line = file.map_or(0, |f| LineIndex::new(&f.text).line_col(o.case.span.start).0);
    let mut value = serde_json::json!({
        "test": o.test.id,
        "case": o.number,
        "file": file.map(|f| f.name.as_str()),
        "line": line,
        "command": o.case.command,
        "passed": o.passed,
        "expected": o.case.expect.name(),
        "by": o.case.by,
    });
    match &o.decision {
        Ok(d) => {
            value["decision"] = decision_name(d.decision).into();
            value["matches"] = serde_json::to_value(&d.matches).unwrap_or_default();
        }
        Err(panic) => {
            value["decision"] = "error".into();
            value["error"] = format!("crashed: {panic}").into();
        }
    }
    value
}
