//! `guard fmt` end to end: rewriting, `--check`, broken files, I/O errors, exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

const MESSY: &str = "module   demo\n// keep me\nrule r :deny on sql\n  message \"m\"   // and me\n      when stmt.kind==drop\n";
const CANONICAL: &str = "module demo\n\n// keep me\nrule r: deny on sql\n  when stmt.kind == drop\n  message \"m\"  // and me\n";
const BROKEN: &str = "module demo\n\nrule r: deny on sql\n  when stmt.kind ==\n  message \"m\"\n";

fn guard() -> Command {
    let mut cmd = Command::cargo_bin("guard").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn rewrites_files_in_place_keeping_comments() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "a.guard", MESSY);
    guard()
        .arg("fmt")
        .arg(dir.path())
        .assert()
        .success()
        .stdout("");
    assert_eq!(read(&file), CANONICAL);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a.guard")]);
}

#[test]
fn a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "a.guard", MESSY);
    guard().arg("fmt").arg(&file).assert().success();
    guard()
        .args(["fmt", "--check"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    assert_eq!(read(&file), CANONICAL);
}

#[test]
fn check_lists_files_that_would_change_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let messy = write(dir.path(), "b/messy.guard", MESSY);
    let clean = write(dir.path(), "a/clean.guard", CANONICAL);
    guard()
        .args(["fmt", "--check"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("messy.guard")
                .and(predicate::str::contains("clean.guard").not()),
        );
    assert_eq!(read(&messy), MESSY);
    assert_eq!(read(&clean), CANONICAL);
}

#[test]
fn check_as_json_names_each_file() {
    let dir = tempfile::tempdir().unwrap();
    let messy = write(dir.path(), "messy.guard", MESSY);
    let out = guard()
        .args(["fmt", "--check", "--format", "json"])
        .arg(&messy)
        .assert()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["status"], "unformatted");
    assert!(line["file"].as_str().unwrap().ends_with("messy.guard"));
}

#[test]
fn check_passes_on_canonical_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clean.guard", CANONICAL);
    guard()
        .args(["fmt", "--check"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("");
}

#[test]
fn files_with_syntax_errors_are_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(dir.path(), "broken.guard", BROKEN);
    let messy = write(dir.path(), "messy.guard", MESSY);
    guard()
        .arg("fmt")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("GS001").and(predicate::str::contains("broken.guard")));
    assert_eq!(read(&broken), BROKEN);
    // The other files are still formatted.
    assert_eq!(read(&messy), CANONICAL);
}

#[test]
fn syntax_errors_in_json_go_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(dir.path(), "broken.guard", BROKEN);
    let out = guard()
        .args(["fmt", "--format", "json"])
        .arg(&broken)
        .assert()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let line: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["code"], "GS001");
    assert_eq!(line["line"], 4);
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    guard()
        .arg("fmt")
        .arg(dir.path().join("nope"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope").and(predicate::str::contains("no such file")));
}

#[test]
fn a_directory_without_policies_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "# not a policy\n");
    guard()
        .arg("fmt")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no `*.guard`"));
}

#[test]
fn a_file_that_is_not_utf8_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin.guard");
    std::fs::write(&path, [0x6d, 0xff, 0xfe, 0x00]).unwrap();
    guard()
        .arg("fmt")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bin.guard").and(predicate::str::contains("UTF-8")));
}

#[test]
fn defaults_to_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "policies/a.guard", MESSY);
    guard()
        .arg("fmt")
        .current_dir(dir.path())
        .assert()
        .success();
    assert_eq!(read(&file), CANONICAL);
}

#[test]
fn help_shows_examples() {
    guard().args(["fmt", "--help"]).assert().success().stdout(
        predicate::str::contains("Examples:").and(predicate::str::contains("guard fmt --check")),
    );
}
