//! Fixture files, one case a file: `fixtures/ok/*.guard` parse without diagnostics and their
//! snapshot is the formatted text; `fixtures/err/*.guard` report at least one diagnostic and
//! their snapshot is the source followed by the rendered diagnostics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use guard_diagnostics::{SourceMap, render_human};
use guard_syntax::{codes, format, format_source, parse};

#[test]
fn ok_fixtures_parse_cleanly_and_format_stably() {
    insta::glob!("fixtures/ok/*.guard", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let (file, diagnostics) = parse(&source);
        assert!(
            diagnostics.is_empty(),
            "{}: {diagnostics:#?}",
            path.display()
        );
        let formatted = format(&file);

        let (reparsed, again) = parse(&formatted);
        assert!(
            again.is_empty(),
            "formatted text has errors: {again:#?}\n{formatted}"
        );
        assert_eq!(format(&reparsed), formatted, "format is not idempotent");

        let (mut before, mut after) = (file.clone(), reparsed);
        before.erase_layout();
        after.erase_layout();
        assert_eq!(before, after, "formatting changed the tree");

        insta::assert_snapshot!(formatted);
    });
}

fn render(name: &str, source: &str) -> String {
    let (_, diagnostics) = parse(source);
    let mut sources = SourceMap::new();
    let id = sources.add(name, source);
    let mut out = format!("----- SOURCE CODE\n{source}----- DIAGNOSTICS\n");
    for d in diagnostics {
        out.push_str(&render_human(&d.in_file(id), &sources, false, 80));
    }
    out
}

#[test]
fn err_fixtures_report_and_are_never_formatted() {
    insta::glob!("fixtures/err/*.guard", |path| {
        let source = std::fs::read_to_string(path).unwrap();
        let (_, diagnostics) = parse(&source);
        assert!(
            !diagnostics.is_empty(),
            "{}: no diagnostics",
            path.display()
        );
        assert_eq!(format_source(&source), None, "a broken file was formatted");
        let name = path.file_name().unwrap().to_string_lossy();
        insta::assert_snapshot!(render(&name, &source));
    });
}

#[test]
fn every_syntax_code_has_an_error_fixture() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/err");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "guard") {
            let source = std::fs::read_to_string(&path).unwrap();
            seen.extend(parse(&source).1.iter().map(|d| d.code.id));
        }
    }
    let missing: Vec<&str> = codes::CODES
        .iter()
        .map(|c| c.id)
        .filter(|id| !seen.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an error fixture: {missing:?}"
    );
}
