//! Fixture tests: every `fixtures/ok/*.guard` checks with zero diagnostics (its snapshot is the
//! checked program's dump); every `fixtures/err/*.guard` reports the code its name starts with
//! (`GT006-…` or `GS…`), and its snapshot shows the source above the rendered diagnostics.
//!
//! A fixture may hold several files: a line `//- name.guard` starts a new file (as in
//! rust-analyzer's fixtures), so multi-module cases stay one case per fixture file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use guard_diagnostics::{Diagnostic, FileId, SourceMap, render_human};

/// Splits a fixture into named files.
fn split(path: &Path, text: &str) -> Vec<(String, String)> {
    let default_name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("//- ") {
            files.push((name.trim().to_string(), String::new()));
        } else {
            if files.is_empty() {
                files.push((default_name.clone(), String::new()));
            }
            files.last_mut().unwrap().1.push_str(line);
        }
    }
    files
}

fn run(path: &Path) -> (SourceMap, guard_sema::Program, Vec<Diagnostic>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources = SourceMap::new();
    let ids: Vec<FileId> = split(path, &text)
        .into_iter()
        .map(|(n, t)| sources.add(n, t))
        .collect();
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::new();
    for &id in &ids {
        let (ast, syntax) = guard_syntax::parse(&sources.get(id).unwrap().text);
        diagnostics.extend(syntax.into_iter().map(|d| d.in_file(id)));
        parsed.push((id, ast));
    }
    let files: Vec<(FileId, &guard_syntax::ast::File)> =
        parsed.iter().map(|(i, a)| (*i, a)).collect();
    let (program, semantic) = guard_sema::check_sources(&files, &sources);
    diagnostics.extend(semantic);
    (sources, program, diagnostics)
}

fn render(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| render_human(d, sources, false, 80))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ok_fixtures_check_clean() {
    insta::glob!("fixtures/ok/*.guard", |path| {
        let (sources, program, diagnostics) = run(path);
        assert!(
            diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render(&sources, &diagnostics)
        );
        insta::assert_snapshot!(program.dump());
    });
}

#[test]
fn err_fixtures_report_their_code() {
    insta::glob!("fixtures/err/*.guard", |path| {
        let (sources, _program, diagnostics) = run(path);
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let code = name.split('-').next().unwrap();
        assert!(
            diagnostics.iter().any(|d| d.code.id == code),
            "{}: expected {code}, got:\n{}",
            path.display(),
            render(&sources, &diagnostics)
        );
        let source = std::fs::read_to_string(path).unwrap();
        insta::assert_snapshot!(format!(
            "----- SOURCE CODE\n{source}----- DIAGNOSTICS\n{}",
            render(&sources, &diagnostics)
        ));
    });
}

#[test]
fn every_sema_code_has_an_error_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/err");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    // GT039 guards hand-built trees; the parser's own depth limit (GS014) is lower, so no
    // source text reaches it. `tests/check.rs` covers it with a built tree.
    let from_source_only = |id: &&str| *id != guard_sema::codes::TOO_DEEP.id;
    let missing: Vec<&str> = guard_sema::codes::CODES
        .iter()
        .map(|c| c.id)
        .filter(from_source_only)
        .filter(|id| !names.iter().any(|n| n.starts_with(&format!("{id}-"))))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a fixture in tests/fixtures/err: {missing:?}"
    );
    assert!(names.len() >= 25, "only {} error fixtures", names.len());
}

#[test]
fn every_diagnostic_follows_the_conventions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/err");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let (sources, _, diagnostics) = run(&path);
        for d in &diagnostics {
            let at = format!("{}: {} {:?}", path.display(), d.code.id, d.message);
            let file = sources.get(d.file.expect(&at)).expect(&at);
            assert!(
                d.primary.span.end as usize <= file.text.len()
                    && d.primary.span.start <= d.primary.span.end,
                "{at}"
            );
            assert!(!d.message.ends_with('.'), "{at}");
            assert!(!d.message.starts_with(|c: char| c.is_uppercase()), "{at}");
            assert!(d.help.is_some(), "{at}: every diagnostic says what to do");
            for l in &d.secondary {
                assert!(l.span.end as usize <= file.text.len(), "{at}");
            }
        }
    }
}
