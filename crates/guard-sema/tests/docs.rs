//! `lang/diagnostics.md` lists exactly the codes of `guard_syntax::codes::CODES` and
//! `guard_sema::codes::CODES`, with their summaries. It is generated from those lists:
//! `GUARD_BLESS=1 cargo test -p guard-sema --test docs` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::Path;

use guard_diagnostics::Code;

fn table(out: &mut String, codes: &[Code]) {
    out.push_str("| code | name | summary |\n|---|---|---|\n");
    for c in codes {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} |",
            c.id,
            c.name,
            c.summary.replace('|', "\\|")
        );
    }
}

fn expected() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated from `guard_syntax::codes::CODES` and `guard_sema::codes::CODES` by \
         `GUARD_BLESS=1 cargo test -p guard-sema --test docs`; do not edit by hand. -->\n",
    );
    out.push_str("# Diagnostics\n\n");
    out.push_str(
        "Every problem `guard check` reports has a stable code: an id that is never reused and a \
         name. `guard check --format json` prints both (`code`, `name`). `GS` codes come from the \
         parser, `GT` codes from the checker; `GT1xx` codes are lints, reported as warnings: they \
         do not fail `guard check`.\n\n",
    );
    out.push_str("## Syntax (`GS`)\n\n");
    table(&mut out, guard_syntax::codes::CODES);
    out.push_str("\n## Names, types and modules (`GT0xx`)\n\n");
    let (errors, lints): (Vec<Code>, Vec<Code>) = guard_sema::codes::CODES
        .iter()
        .partition(|c| !c.id.starts_with("GT1"));
    table(&mut out, &errors);
    out.push_str("\n## Lints (`GT1xx`, warnings)\n\n");
    table(&mut out, &lints);
    out
}

#[test]
fn lang_diagnostics_md_lists_every_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lang/diagnostics.md");
    let expected = expected();
    if std::env::var_os("GUARD_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    // Exactly the union: every code listed once, and no row for a code that does not exist.
    let listed: Vec<&str> = actual
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let mut all: Vec<&str> = guard_syntax::codes::CODES
        .iter()
        .chain(guard_sema::codes::CODES)
        .map(|c| c.id)
        .collect();
    all.sort_unstable();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, all,
        "lang/diagnostics.md does not list exactly the GS and GT codes"
    );
    assert!(
        actual == expected,
        "lang/diagnostics.md is stale: regenerate it with `GUARD_BLESS=1 cargo test -p guard-sema --test docs`"
    );
}

#[test]
fn syntax_and_sema_codes_do_not_collide() {
    for s in guard_syntax::codes::CODES {
        for t in guard_sema::codes::CODES {
            assert_ne!(s.id, t.id);
            assert_ne!(s.name, t.name);
        }
    }
}
