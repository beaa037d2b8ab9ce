#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[test]
fn scratch() {
    let src = r#"module sql.destructive

default deny

set protected_envs = {"production", "prod-eu"}

def is_prod = target.env in protected_envs

/// Drops.
rule no_schema_drop: deny on sql
  when stmt.kind in {drop, truncate} and is_prod
  unless stmt.temporary
  message "{stmt.kind} of {stmt.tables} is blocked on {target.env}"
  help "ship this change as a migration"
  control "SOC2 CC8.1"

rule reads: allow on sql
  when stmt.kind == select
  message "reads are fine {len(protected_envs)} {protected_envs}"

test no_schema_drop {
  sql "DROP TABLE users" on production             => deny by no_schema_drop
  sql "SELECT 1"   => allow
}
"#;
    let mut sources = guard_diagnostics::SourceMap::new();
    sources.add("a.guard", src);
    let c = guard_compile::compile_sources(&sources);
    for d in &c.diagnostics { eprintln!("{}", guard_diagnostics::render_human(d, &sources, false, 100)); }
    eprintln!("{:#?}", c.program.tests);
    eprintln!("{:#?}", c.policy.as_ref().map(|p| p.data()));
}
