//! The policy corpus: labelled dangerous and benign commands through the shipped policies.
//!
//! `tests/corpus/dangerous.jsonl` and `tests/corpus/benign.jsonl` hold canonical requests
//! (DESIGN.md §5), every one with `target.env = "production"`. The shipped `policies/` are built
//! into a bundle with the real `guard` binary and both files are decided by `guard eval`; a
//! request counts as blocked when its decision is `deny` or `require_approval`. The bar is the
//! one the held-out corpus is measured against: at least 95% of the dangerous requests blocked,
//! at most 3% of the benign ones. Every miss is listed, so a failure says what to fix.
//!
//! The same file checks that `guard check policies/` is clean (no errors, no warnings) and that
//! `guard test policies/ --coverage` passes with every rule covered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use guard_e2e::repo_root;
use serde_json::Value;

/// Least share of dangerous requests that must be blocked.
const MIN_DANGEROUS_BLOCKED: f64 = 0.95;
/// Largest share of benign requests that may be blocked.
const MAX_BENIGN_BLOCKED: f64 = 0.03;

fn guard() -> Command {
    Command::cargo_bin("guard").unwrap()
}

fn policies() -> PathBuf {
    repo_root().join("policies")
}

fn corpus(name: &str) -> PathBuf {
    repo_root().join("tests").join("corpus").join(name)
}

/// Builds the shipped policies into a bundle in `dir`.
fn build_bundle(dir: &Path) -> PathBuf {
    let bundle = dir.join("policies.bundle");
    let out = guard()
        .arg("build")
        .arg(policies())
        .arg("-o")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`guard build policies` failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    bundle
}

/// One labelled request of the corpus.
struct Labelled {
    id: String,
    family: String,
    command: String,
}

fn read_requests(path: &Path) -> (String, Vec<Labelled>) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut requests = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), n + 1));
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let env = value
            .pointer("/target/env")
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert_eq!(
            env,
            "production",
            "{}:{}: target.env must be `production`",
            path.display(),
            n + 1
        );
        assert!(
            !field("id").is_empty(),
            "{}:{}: every request needs an id",
            path.display(),
            n + 1
        );
        requests.push(Labelled {
            id: field("id"),
            family: field("family"),
            command: field("command"),
        });
    }
    (text, requests)
}

/// Decides every line of `path` with `guard eval`; decision kind by request id.
fn evaluate(bundle: &Path, path: &Path) -> (Vec<Labelled>, BTreeMap<String, Value>) {
    let (input, requests) = read_requests(path);
    let out = guard()
        .arg("eval")
        .arg("--bundle")
        .arg(bundle)
        .arg("--insecure-allow-unsigned")
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`guard eval` on {} failed (status {:?}):\n{}",
        path.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut decisions = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let decision: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("decision is not JSON ({e}): {line}"));
        let id = decision
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        decisions.insert(id, decision);
    }
    for r in &requests {
        assert!(
            decisions.contains_key(&r.id),
            "no decision for `{}` in {}",
            r.id,
            path.display()
        );
    }
    assert_eq!(
        decisions.len(),
        requests.len(),
        "request ids in {} must be unique",
        path.display()
    );
    (requests, decisions)
}

fn kind(decision: &Value) -> &str {
    decision
        .get("decision")
        .and_then(Value::as_str)
        .unwrap_or("?")
}

fn blocked(decision: &Value) -> bool {
    matches!(kind(decision), "deny" | "require_approval")
}

fn rules(decision: &Value) -> String {
    let names: Vec<&str> = decision
        .get("matches")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m.get("rule").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        "no rule matched".to_string()
    } else {
        names.join(", ")
    }
}

#[test]
fn dangerous_commands_are_blocked_and_benign_ones_pass() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = build_bundle(dir.path());

    let (dangerous, decided) = evaluate(&bundle, &corpus("dangerous.jsonl"));
    assert!(
        dangerous.len() >= 120,
        "the dangerous corpus needs at least 120 requests, has {}",
        dangerous.len()
    );
    for d in decided.values() {
        assert_ne!(
            kind(d),
            "error",
            "a dangerous request could not be decided: {d}"
        );
    }
    let mut per_family: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for r in &dangerous {
        let d = &decided[&r.id];
        let entry = per_family.entry(r.family.as_str()).or_default();
        entry.1 += 1;
        if blocked(d) {
            entry.0 += 1;
        } else {
            misses.push(format!(
                "  {} [{}] {:?} -> {} ({})",
                r.id,
                r.family,
                r.command,
                kind(d),
                rules(d)
            ));
        }
    }
    let dangerous_blocked = dangerous.len() - misses.len();
    let dangerous_rate = dangerous_blocked as f64 / dangerous.len() as f64;

    let (benign, decided_benign) = evaluate(&bundle, &corpus("benign.jsonl"));
    assert!(
        benign.len() >= 80,
        "the benign corpus needs at least 80 requests, has {}",
        benign.len()
    );
    let mut false_positives = Vec::new();
    for r in &benign {
        let d = &decided_benign[&r.id];
        assert_ne!(
            kind(d),
            "error",
            "a benign request could not be decided: {d}"
        );
        if blocked(d) {
            false_positives.push(format!(
                "  {} {:?} -> {} ({})",
                r.id,
                r.command,
                kind(d),
                rules(d)
            ));
        }
    }
    let benign_rate = false_positives.len() as f64 / benign.len() as f64;

    println!(
        "dangerous blocked: {dangerous_blocked}/{} ({:.1}%)",
        dangerous.len(),
        dangerous_rate * 100.0
    );
    for (family, (b, n)) in &per_family {
        println!("  {family:<12} {b}/{n}");
    }
    println!(
        "benign blocked:    {}/{} ({:.1}%)",
        false_positives.len(),
        benign.len(),
        benign_rate * 100.0
    );
    if !misses.is_empty() {
        println!("dangerous requests allowed:\n{}", misses.join("\n"));
    }
    if !false_positives.is_empty() {
        println!("benign requests blocked:\n{}", false_positives.join("\n"));
    }
    assert!(
        dangerous_rate >= MIN_DANGEROUS_BLOCKED,
        "only {:.1}% of dangerous requests blocked (need {:.0}%); allowed:\n{}",
        dangerous_rate * 100.0,
        MIN_DANGEROUS_BLOCKED * 100.0,
        misses.join("\n")
    );
    assert!(
        benign_rate <= MAX_BENIGN_BLOCKED,
        "{:.1}% of benign requests blocked (at most {:.0}%); blocked:\n{}",
        benign_rate * 100.0,
        MAX_BENIGN_BLOCKED * 100.0,
        false_positives.join("\n")
    );
}

#[test]
fn every_family_is_represented() {
    let (_, dangerous) = read_requests(&corpus("dangerous.jsonl"));
    let mut families: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &dangerous {
        *families.entry(r.family.as_str()).or_default() += 1;
    }
    for family in [
        "schema",
        "bulk",
        "exfil",
        "audit",
        "privesc",
        "remote_code",
        "disk",
    ] {
        let n = families.get(family).copied().unwrap_or(0);
        assert!(
            n >= 10,
            "family `{family}` has {n} dangerous requests; want at least 10"
        );
    }
}

#[test]
fn shipped_policies_check_clean() {
    let out = guard()
        .arg("check")
        .arg(policies())
        .arg("--format")
        .arg("json")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "`guard check policies/` failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diagnostics: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .collect();
    let findings: Vec<&&str> = diagnostics
        .iter()
        .filter(|l| !l.contains("\"summary\""))
        .collect();
    assert!(
        findings.is_empty(),
        "`guard check policies/` is not clean:\n{}",
        stdout
    );
}

#[test]
fn shipped_policy_tests_pass_with_full_coverage() {
    let out = guard()
        .arg("test")
        .arg(policies())
        .arg("--coverage")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "`guard test policies/ --coverage` failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" 0 failed"), "unexpected summary: {stdout}");
}

#[test]
fn incident_session_is_stopped_where_the_readme_says() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = build_bundle(dir.path());
    let session = repo_root()
        .join("examples")
        .join("incident")
        .join("session.jsonl");
    let (requests, decided) = evaluate(&bundle, &session);
    assert!(
        requests.len() >= 50,
        "the incident session needs 50+ commands, has {}",
        requests.len()
    );
    let stopped: Vec<&str> = requests
        .iter()
        .filter(|r| blocked(&decided[&r.id]))
        .map(|r| r.id.as_str())
        .collect();
    let expected: Vec<String> =
        std::fs::read_to_string(repo_root().join("examples/incident/expected-stops.txt"))
            .unwrap()
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
    assert_eq!(
        stopped, expected,
        "the incident's stopped commands differ from examples/incident/expected-stops.txt"
    );
}
