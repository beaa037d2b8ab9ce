//! `guard test` end to end: passing and failing cases, `by RULE`, the failure diagnostics,
//! `--coverage`, JSON output and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{code, guard, stderr, stdout};

const RULES: &str = r#"/// Test fixtures.
module app

default allow

set protected_envs = {"production"}

/// No drops in production.
rule no_drop: deny on sql
  when stmt.kind == drop and target.env in protected_envs
  message "drop of {stmt.tables} on {target.env}"
  help "use a migration"

/// Deletes without WHERE need approval.
rule unbounded_delete: require_approval on sql
  when stmt.kind == delete and not stmt.has_effective_where
  message "delete of every row of {stmt.tables}"

/// Recorded only.
rule watch_agents: warn on request
  when actor.kind == agent
  message "agent {actor.id}"
  mode audit

/// Recursive rm.
rule no_rm_rf: deny on exec
  when exec.program == "rm" and "recursive" in exec.flags
  message "recursive rm of {exec.paths}"
"#;

const PASSING: &str = r#"
test drops {
  sql "DROP TABLE users" on production => deny by no_drop
  sql "DROP TABLE users" on staging => allow
  sql "DELETE FROM t" => require_approval by unbounded_delete
  shell "psql -c 'drop table users'" on production => deny by no_drop
  sql "SELECT 1" as agent "agent:x" => allow
}
"#;

fn setup(tests: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("p")).unwrap();
    std::fs::write(dir.path().join("p/app.guard"), format!("{RULES}{tests}")).unwrap();
    dir
}

#[test]
fn passing_cases_exit_0_with_a_summary() {
    let dir = setup(PASSING);
    let o = guard(&["test", "p"], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "5 passed, 0 failed\n");
    assert_eq!(stderr(&o), "");
}

#[test]
fn failures_are_diagnostics_at_the_case_and_exit_1() {
    let dir = setup(
        r#"
test mixed {
  sql "DROP TABLE users" on production => deny by no_drop
  sql "DROP TABLE users" on staging => deny
  sql "DELETE FROM t; DROP TABLE x" on production => require_approval
  shell "rm -rf /tmp/x" => allow
}
"#,
    );
    let o = guard(&["test", "p"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o), "1 passed, 3 failed\n");
    insta::assert_snapshot!(stderr(&o));
}

#[test]
fn by_names_a_rule_that_must_decide() {
    // Both rules match and the decision is `deny`; `by unbounded_delete` fails because that
    // rule gives `require_approval`, which is not what decided.
    let dir = setup(
        r#"
test by {
  sql "DELETE FROM t; DROP TABLE x" on production => deny by no_drop
  sql "DROP TABLE x; DELETE FROM t" on production => deny by app.no_drop
}
"#,
    );
    let o = guard(&["test", "p"], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "2 passed, 0 failed\n");

    // The right decision from another rule fails `by`; audit matches are listed, marked.
    let extra = RULES.replace(
        "/// Recorded only.",
        "/// Truncates.\nrule no_truncate: deny on sql\n  when stmt.kind == truncate\n  message \"truncate\"\n\n\
         /// Audit.\nrule audit_drop: deny on sql\n  when stmt.kind == drop\n  message \"audited drop\"\n  mode audit\n\n\
         /// Recorded only.",
    );
    std::fs::write(
        dir.path().join("p/app.guard"),
        format!("{extra}\ntest other {{\n  sql \"DROP TABLE x\" on production => deny by no_truncate\n}}\n"),
    )
    .unwrap();
    let o = guard(&["test", "p"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("expected `deny` by `app.no_truncate`, got `deny` but not by"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("app.no_drop (deny): drop of public.x on production"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("app.audit_drop (deny, audit): audited drop"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn coverage_lists_unmatched_rules_and_fails() {
    let dir = setup(PASSING);
    let o = guard(&["test", "p", "--coverage"], dir.path());
    assert_eq!(
        code(&o),
        1,
        "an uncovered rule fails --coverage: {}",
        stderr(&o)
    );
    assert_eq!(
        stdout(&o),
        "5 passed, 0 failed; 3 of 4 rules matched, uncovered: app.no_rm_rf\n"
    );
    assert!(
        stderr(&o).contains("no test case matches rule `app.no_rm_rf`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("guard::test::uncovered-rule(GP003)"),
        "{}",
        stderr(&o)
    );

    // Without --coverage the same run is clean; with every rule matched, --coverage is too.
    assert_eq!(code(&guard(&["test", "p"], dir.path())), 0);
    let dir = setup(&PASSING.replace("}\n", "  shell \"rm -r /tmp/x\" => deny by no_rm_rf\n}\n"));
    let o = guard(&["test", "p", "--coverage"], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "6 passed, 0 failed; 4 of 4 rules matched\n");
}

#[test]
fn json_output_has_one_object_per_case_in_source_order() {
    let mut cases = String::from("\ntest many {\n");
    for i in 0..200 {
        if i % 2 == 0 {
            cases.push_str(&format!(
                "  sql \"DROP TABLE t{i}\" on production => deny by no_drop\n"
            ));
        } else {
            cases.push_str(&format!("  shell \"ls /tmp/{i}\" => allow\n"));
        }
    }
    cases.push_str("  sql \"SELECT 1\" => deny\n}\n");
    let dir = setup(&cases);
    let o = guard(&["test", "p", "--format", "json", "--coverage"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 202);
    for (i, case) in lines.iter().take(201).enumerate() {
        assert_eq!(case["test"], "app.many");
        assert_eq!(case["case"], i + 1);
        assert_eq!(case["file"], "p/app.guard");
        assert_eq!(case["passed"], i < 200, "{case}");
    }
    let first = &lines[0];
    assert_eq!(first["command"], "DROP TABLE t0");
    assert_eq!(first["expected"], "deny");
    assert_eq!(first["by"], "app.no_drop");
    assert_eq!(first["decision"], "deny");
    assert_eq!(
        first["matches"][0]["message"],
        "drop of public.t0 on production"
    );
    let line_of_first_case = RULES.lines().count() + 3;
    assert_eq!(first["line"], line_of_first_case);
    assert_eq!(lines[200]["decision"], "allow");
    assert_eq!(
        lines[201],
        serde_json::json!({"summary": {"passed": 200, "failed": 1, "rules": 4, "uncovered": ["app.unbounded_delete", "app.watch_agents", "app.no_rm_rf"]}})
    );
}

#[test]
fn policy_errors_exit_1_and_io_errors_exit_2() {
    let dir = setup(&PASSING.replace(
        "on production => deny by no_drop",
        "on production => deny by no_dorp",
    ));
    let o = guard(&["test", "p"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("no_dorp"), "{}", stderr(&o));
    assert!(stderr(&o).contains("tests not run: "), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");

    let o = guard(&["test", "nowhere"], dir.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`nowhere`: no such file or directory"),
        "{}",
        stderr(&o)
    );

    let o = guard(&["test", "p", "--format", "yaml"], dir.path());
    assert_eq!(code(&o), 2);
}

#[test]
fn no_tests_is_a_clean_run() {
    let dir = setup("");
    let o = guard(&["test", "p"], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "0 passed, 0 failed\n");
}
