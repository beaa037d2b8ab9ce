//! `guard inspect`: metadata and rules of a bundle built in Rust, in both formats, and the
//! errors for files that are not valid bundles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use assert_cmd::Command;
use guard_engine::ir::{EnumValue, PolicyBuilder, Rule, SourceLoc, TemplatePiece};
use guard_engine::{Metadata, Source, encode};
use guard_model::schema::EnumType;
use guard_model::{ActionKind, Effect, Field, Mode};

const SQL_SOURCE: &str = "module sql.destructive\n\n/// Schema objects change only through migrations.\n/// More detail.\nrule no_schema_drop: deny on sql\n  when stmt.kind in {drop, truncate}\n  message \"{stmt.kind} is blocked\"\n";
const SHELL_SOURCE: &str = "module shell.fs\n\nrule rm_rf: warn on exec\n  when \"recursive\" in exec.flags\n  message \"recursive delete\"\n  mode audit\n\nrule big: require_approval on request\n  when request.action_count > 20\n  message \"too many\"\n";

fn rule(
    id: &str,
    effect: Effect,
    on: Option<ActionKind>,
    file: u32,
    start: u32,
    doc: &str,
) -> Rule {
    Rule {
        id: id.into(),
        doc: doc.into(),
        effect,
        mode: Mode::Enforce,
        on,
        condition: guard_engine::ir::ExprId(0),
        message: Default::default(),
        help: Default::default(),
        controls: vec!["SOC2 CC8.1".into()],
        source: SourceLoc {
            file,
            span: [start, start + 4],
        },
    }
}

/// Writes a three-rule bundle to `dir/policy.bundle`.
fn write_bundle(dir: &Path) -> Vec<u8> {
    let mut b = PolicyBuilder::new(Effect::Allow);
    let kind = b.field(Field::StmtKind);
    let set = b.enum_set(
        EnumType::StatementKind,
        ["drop", "truncate"]
            .iter()
            .filter_map(|n| EnumValue::named(EnumType::StatementKind, n)),
    );
    let set = b.set(set);
    let cond = b.is_in(kind, set, false);
    let mut r = rule(
        "sql.destructive.no_schema_drop",
        Effect::Deny,
        Some(ActionKind::Sql),
        0,
        92,
        "Schema objects change only through migrations.\nMore detail.",
    );
    r.condition = cond;
    r.message = b.template(&[
        TemplatePiece::Expr(kind),
        TemplatePiece::Text(" is blocked"),
    ]);
    b.rule(r);
    let mut audit = rule(
        "shell.fs.rm_rf",
        Effect::Warn,
        Some(ActionKind::Exec),
        1,
        17,
        "",
    );
    audit.mode = Mode::Audit;
    b.rule(audit);
    b.rule(rule(
        "shell.fs.big",
        Effect::RequireApproval,
        None,
        1,
        118,
        "Large requests.",
    ));
    let policy = b.finish().unwrap();
    let metadata = Metadata {
        guard_version: "0.1.0".into(),
        revision: 42,
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        sources: vec![
            Source::new("policies/sql.guard", SQL_SOURCE),
            Source::new("policies/shell.guard", SHELL_SOURCE),
        ],
    };
    let bytes = encode(&policy, &metadata).unwrap();
    std::fs::write(dir.join("policy.bundle"), &bytes).unwrap();
    bytes
}

fn guard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("guard").unwrap();
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

#[test]
fn human_output() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let out = guard(dir.path())
        .args(["inspect", "policy.bundle"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn json_output() {
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());
    let out = guard(dir.path())
        .args(["inspect", "--format", "json", "policy.bundle"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    insta::assert_json_snapshot!(support::sorted_keys(value));
}

#[test]
fn damaged_and_missing_files_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = write_bundle(dir.path());
    let last = bytes.len() - 40;
    bytes[last] ^= 1;
    std::fs::write(dir.path().join("altered.bundle"), &bytes).unwrap();
    std::fs::write(dir.path().join("short.bundle"), &bytes[..30]).unwrap();
    std::fs::write(dir.path().join("text.bundle"), "module x\n").unwrap();
    for (file, expected) in [
        (
            "altered.bundle",
            "error[GB004]: `altered.bundle`: bundle digest mismatch",
        ),
        (
            "short.bundle",
            "error[GB003]: `short.bundle`: truncated bundle",
        ),
        (
            "text.bundle",
            "error[GB001]: `text.bundle`: not a guard bundle",
        ),
        (
            "missing.bundle",
            "error: `missing.bundle`: no such file or directory",
        ),
    ] {
        let out = guard(dir.path()).args(["inspect", file]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with(expected), "{file}: {stderr}");
    }
}
