//! `guard check` end to end: exit codes, human and JSON output, and bad input (each a clear
//! error naming the file, never a panic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{code, guard, stderr, stdout};

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const CLEAN: &str = "module app\n\ndefault allow\n\nrule no_drop: deny on sql\n  when stmt.kind == drop\n  message \"no drops\"\n";

#[test]
fn quickstart_checks_clean() {
    let o = guard(&["check", "examples/quickstart"], &repo());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("checked 3 files: 0 errors, 0 warnings"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn default_path_is_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.guard", CLEAN);
    let o = guard(&["check"], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("checked 1 file: 0 errors, 0 warnings"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn errors_exit_1_with_rendered_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.guard",
        &CLEAN.replace("stmt.kind", "stmt.knd"),
    );
    let o = guard(&["check", "a.guard"], dir.path());
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("guard::type::unknown-field(GT006)"), "{err}");
    assert!(err.contains("unknown field `stmt.knd`"), "{err}");
    assert!(err.contains("did you mean `stmt.kind`?"), "{err}");
    assert!(err.contains("a.guard:6:8"), "{err}");
    assert!(err.contains("checked 1 file: 1 error, 0 warnings"), "{err}");
}

#[test]
fn warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.guard",
        &format!("{CLEAN}\nset unused = {{\"x\"}}\n"),
    );
    let o = guard(&["check", "."], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("GT100"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("checked 1 file: 0 errors, 1 warning"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_output_has_one_object_per_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let text = "module app\n\ndefault allow\n\nset unused = {\"x\"}\n\nrule r: deny on exec\n  when stmt.kind == drop\n  message \"x\"\n";
    write(dir.path(), "a.guard", text);
    let o = guard(&["check", "--format", "json", "a.guard"], dir.path());
    assert_eq!(code(&o), 1);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", stdout(&o));
    let warning = &lines[0];
    assert_eq!(warning["code"], "GT100");
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["line"], 5);
    let error = &lines[1];
    assert_eq!(error["code"], "GT007");
    assert_eq!(error["name"], "guard::type::field-not-available");
    assert_eq!(error["severity"], "error");
    assert_eq!(error["file"], "a.guard");
    assert_eq!(error["line"], 8);
    assert_eq!(error["column"], 8);
    let start = text.find("stmt.kind").unwrap();
    assert_eq!(
        error["range"],
        serde_json::json!([start, start + "stmt.kind".len()])
    );
    assert_eq!(
        error["message"],
        "`stmt.kind` is not available in a rule `on exec`"
    );
    assert_eq!(error["help"], "move this condition to a rule `on sql`");
}

#[test]
fn syntax_and_type_errors_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.guard",
        "module app\n\ndefault allow\n\nrule r: deny on sql\n  when stmt.kind == \n  message \"x\"\n",
    );
    write(
        dir.path(),
        "b.guard",
        "module b\n\nrule s: deny on sql\n  when stmt.tabls\n  message \"x\"\n",
    );
    let o = guard(&["check", "--format", "json", "."], dir.path());
    assert_eq!(code(&o), 1);
    let codes: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(codes.iter().any(|c| c.starts_with("GS")), "{codes:?}");
    assert!(codes.contains(&"GT006".to_string()), "{codes:?}");
}

#[test]
fn several_paths_form_one_program() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    write(
        &dir.path().join("lib"),
        "config.guard",
        "module lib.config\n\nset envs = {\"production\"}\n",
    );
    write(
        &dir.path().join("app"),
        "main.guard",
        "module app\n\nuse lib.config\n\ndefault deny\n\nrule r: allow on request\n  when target.env not in config.envs\n  message \"fine\"\n",
    );
    let alone = guard(&["check", "app"], dir.path());
    assert_eq!(code(&alone), 1);
    assert!(
        stderr(&alone).contains("unknown module `lib.config`"),
        "{}",
        stderr(&alone)
    );
    let both = guard(&["check", "app", "lib"], dir.path());
    assert_eq!(code(&both), 0, "{}", stderr(&both));
    assert!(
        stderr(&both).contains("checked 2 files"),
        "{}",
        stderr(&both)
    );
}

#[test]
fn missing_path_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = guard(&["check", "nowhere.guard"], dir.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`nowhere.guard`: no such file or directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn directory_without_policies_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "no policies here");
    let o = guard(&["check", "."], dir.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("no `*.guard` policy files found under `.`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn binary_garbage_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    std::fs::write(dir.path().join("garbage.guard"), bytes).unwrap();
    let o = guard(&["check", "garbage.guard"], dir.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`garbage.guard`: not valid UTF-8"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn text_garbage_is_a_policy_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let soup: String = (0..20_000u32)
        .map(|i| ['(', '{', '"', '=', '.', ' ', 'a', '\n', ':', 'r'][(i * 7 % 10) as usize])
        .collect();
    write(dir.path(), "soup.guard", &soup);
    let o = guard(&["check", "soup.guard"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("checked 1 file:"), "{}", stderr(&o));
}

#[test]
fn ten_megabyte_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!("module big\n{}", "// filler line\n".repeat(700_000));
    assert!(big.len() > 10_000_000);
    write(dir.path(), "big.guard", &big);
    let o = guard(&["check", "big.guard"], dir.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`big.guard`: file is"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("policy files are limited to"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn ten_thousand_nested_parentheses_are_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let cond = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
    write(
        dir.path(),
        "deep.guard",
        &CLEAN.replace("stmt.kind == drop", &cond),
    );
    let o = guard(&["check", "--format", "json", "deep.guard"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("\"code\":\"GS014\""), "{}", stdout(&o));
}

#[test]
fn ten_thousand_term_chain_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let terms: Vec<String> = (0..10_000)
        .map(|i| format!("target.env == \"env{i}\""))
        .collect();
    write(
        dir.path(),
        "chain.guard",
        &CLEAN.replace("stmt.kind == drop", &terms.join(" or ")),
    );
    let o = guard(&["check", "chain.guard"], dir.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = guard(&["check", "--frmat", "json"], &repo());
    assert_eq!(code(&o), 2);
}

#[test]
fn help_teaches_paths_formats_and_exit_codes() {
    let o = guard(&["check", "--help"], &repo());
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for needle in [
        "[PATH]...",
        "--format",
        "Examples:",
        "guard check --format json",
        "Exit status:",
        "2  usage or I/O errors",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
}
