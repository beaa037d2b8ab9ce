//! `lang/diagnostics.md` lists exactly the stable codes of every layer — syntax (`GS`), checker
//! (`GT`), compiler (`GC`), policy tests (`GP`), bundles (`GB`) and signatures (`GV`) — with their
//! names and summaries. It is generated from the crates' `CODES` lists:
//! `GUARD_BLESS=1 cargo test -p guard-e2e --test docs` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;

use guard_e2e::repo_root;

/// One code, whatever crate type it is declared with.
struct Row {
    id: &'static str,
    name: &'static str,
    summary: &'static str,
}

fn syntax() -> Vec<Row> {
    let c = guard_syntax::codes::CODES.iter();
    c.map(|c| Row {
        id: c.id,
        name: c.name,
        summary: c.summary,
    })
    .collect()
}

fn sema(lints: bool) -> Vec<Row> {
    let c = guard_sema::codes::CODES
        .iter()
        .filter(|c| c.id.starts_with("GT1") == lints);
    c.map(|c| Row {
        id: c.id,
        name: c.name,
        summary: c.summary,
    })
    .collect()
}

fn compile(prefix: &str) -> Vec<Row> {
    let c = guard_compile::codes::CODES
        .iter()
        .filter(|c| c.id.starts_with(prefix));
    c.map(|c| Row {
        id: c.id,
        name: c.name,
        summary: c.summary,
    })
    .collect()
}

fn engine(codes: &'static [guard_engine::ErrorCode]) -> Vec<Row> {
    codes
        .iter()
        .map(|c| Row {
            id: c.id,
            name: c.name,
            summary: c.summary,
        })
        .collect()
}

fn sections() -> Vec<(&'static str, Vec<Row>)> {
    vec![
        ("Syntax (`GS`)", syntax()),
        ("Names, types and modules (`GT0xx`)", sema(false)),
        ("Lints (`GT1xx`, warnings)", sema(true)),
        ("Compiler (`GC`)", compile("GC")),
        ("Policy tests (`GP`)", compile("GP")),
        ("Bundles (`GB`)", engine(guard_engine::bundle::CODES)),
        ("Signatures (`GV`)", engine(guard_engine::sign::CODES)),
    ]
}

fn expected() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated from the crates' `CODES` lists by \
         `GUARD_BLESS=1 cargo test -p guard-e2e --test docs`; do not edit by hand. -->\n",
    );
    out.push_str("# Diagnostics\n\n");
    out.push_str(
        "Every problem guard reports has a stable code: an id that is never reused and a name. \
         `--format json` prints both (`code`, `name`). `GS` codes come from the parser, `GT` from \
         the checker (`GT1xx` are lints, reported as warnings: they do not fail `guard check`), \
         `GC` from the compiler, `GP` from `guard test`, `GB` from loading bundles and `GV` from \
         verifying their signatures.\n",
    );
    for (title, rows) in sections() {
        let _ = write!(
            out,
            "\n## {title}\n\n| code | name | summary |\n|---|---|---|\n"
        );
        for r in rows {
            let summary = r.summary.replace('|', "\\|");
            let _ = writeln!(out, "| `{}` | `{}` | {} |", r.id, r.name, summary);
        }
    }
    out
}

#[test]
fn lang_diagnostics_md_lists_every_code() {
    let path = repo_root().join("lang/diagnostics.md");
    let expected = expected();
    if std::env::var_os("GUARD_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "lang/diagnostics.md is stale: regenerate it with `GUARD_BLESS=1 cargo test -p guard-e2e --test docs`"
    );
}

#[test]
fn codes_and_names_are_unique_across_layers() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (_, rows) in sections() {
        for r in rows {
            assert!(ids.insert(r.id), "code `{}` is declared twice", r.id);
            assert!(names.insert(r.name), "name `{}` is declared twice", r.name);
            assert!(!r.summary.is_empty(), "code `{}` has no summary", r.id);
        }
    }
}

/// Housekeeping: `ARCHITECTURE.md` names every crate of the workspace, so the map cannot silently
/// fall behind the code.
#[test]
fn architecture_md_names_every_crate() {
    let architecture = std::fs::read_to_string(repo_root().join("ARCHITECTURE.md")).unwrap();
    let crates = std::fs::read_dir(repo_root().join("crates")).unwrap();
    for entry in crates {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            architecture.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not mention `{name}`"
        );
    }
}
