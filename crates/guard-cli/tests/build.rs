//! `guard build` end to end: deterministic bundles (twice, and from a copy at another absolute
//! path), metadata inside and outside a Git repository, and failures that write nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{code, guard, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decisions/policies")
}

/// Copies the fixture policies to `dir/policies`, with a nested directory to check that
/// names keep their relative path.
fn copy_policies(dir: &Path) -> PathBuf {
    let target = dir.join("policies");
    std::fs::create_dir_all(target.join("shell")).unwrap();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        let dest = if name == "shell.guard" {
            target.join("shell").join(name)
        } else {
            target.join(name)
        };
        std::fs::copy(&path, dest).unwrap();
    }
    target
}

fn build(dir: &Path, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "out.bundle"]);
    let o = guard(&all, dir);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    std::fs::read(dir.join("out.bundle")).unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git must be installed");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn same_sources_give_byte_identical_bundles_anywhere() {
    let a = tempfile::tempdir().unwrap();
    copy_policies(a.path());
    let first = build(a.path(), &["policies"]);
    let second = build(a.path(), &["policies"]);
    assert_eq!(first, second, "two builds of the same sources differ");

    // A copy at another absolute path, built from a different working directory with an
    // absolute path argument: the same bytes.
    let b = tempfile::tempdir().unwrap();
    let nested = b.path().join("deeper/still");
    std::fs::create_dir_all(&nested).unwrap();
    let copied = copy_policies(&nested);
    let elsewhere = build(b.path(), &[copied.to_str().unwrap()]);
    assert_eq!(
        first, elsewhere,
        "a copy of the sources at another path gives another bundle"
    );

    let loaded = guard_engine::decode(&first).unwrap();
    let names: Vec<&str> = loaded
        .metadata()
        .unwrap()
        .sources
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["config.guard", "shell/shell.guard", "sql.guard"]);
    for source in &loaded.metadata().unwrap().sources {
        let on_disk =
            std::fs::read_to_string(a.path().join("policies").join(&source.name)).unwrap();
        assert_eq!(source.text, on_disk);
        assert_eq!(source.sha256.len(), 64);
    }
    assert_eq!(loaded.policy.rules().len(), 10);
}

#[test]
fn outside_a_repository_there_is_no_commit_and_revision_is_0() {
    let dir = tempfile::tempdir().unwrap();
    copy_policies(dir.path());
    let bytes = build(dir.path(), &["policies"]);
    let meta = guard_engine::decode(&bytes).unwrap().info;
    assert_eq!(meta.git_commit, None);
    assert_eq!(meta.revision, 0);
    assert_eq!(meta.guard_version, env!("CARGO_PKG_VERSION"));

    let bytes = build(dir.path(), &["policies", "--revision", "41"]);
    assert_eq!(guard_engine::decode(&bytes).unwrap().info.revision, 41);
}

#[test]
fn inside_a_repository_the_commit_and_history_length_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    // A repository without commits: no commit to record.
    copy_policies(&repo);
    let bytes = build(&repo, &["policies"]);
    let meta = guard_engine::decode(&bytes).unwrap().info;
    assert_eq!((meta.git_commit, meta.revision), (None, 0));

    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    std::fs::write(repo.join("README"), "policies\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "second"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);

    // Discovered from the first path, even from a subdirectory and another working directory.
    let policies = repo.join("policies");
    let o = guard(
        &[
            "build",
            policies.to_str().unwrap(),
            "-o",
            "b.bundle",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let meta = guard_engine::decode(&std::fs::read(dir.path().join("b.bundle")).unwrap())
        .unwrap()
        .info;
    assert_eq!(meta.git_commit.as_deref(), Some(head.as_str()));
    assert_eq!(
        meta.revision, 2,
        "the default revision is the number of commits in HEAD's history"
    );

    let summary: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(summary["git_commit"], head.as_str());
    assert_eq!(summary["revision"], 2);
    assert_eq!(summary["rules"], 10);
    assert!(summary["digest"].as_str().unwrap().starts_with("sha256:"));

    let bytes = build(&repo, &["policies", "--revision", "100"]);
    let meta = guard_engine::decode(&bytes).unwrap().info;
    assert_eq!(
        (meta.git_commit.as_deref(), meta.revision),
        (Some(head.as_str()), 100)
    );
}

#[test]
fn policy_errors_write_no_file_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let policies = copy_policies(dir.path());
    std::fs::write(dir.path().join("out.bundle"), "previous").unwrap();
    let sql = policies.join("sql.guard");
    let text = std::fs::read_to_string(&sql)
        .unwrap()
        .replace("stmt.has_effective_where", "stmt.has_efective_where");
    std::fs::write(&sql, text).unwrap();
    let o = guard(&["build", "policies", "-o", "out.bundle"], dir.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("unknown field `stmt.has_efective_where`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("no bundle written: 1 error in policies"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.bundle")).unwrap(),
        "previous",
        "the old bundle stays"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left: {leftovers:?}");
}

#[test]
fn io_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    copy_policies(dir.path());
    let o = guard(&["build", "missing", "-o", "out.bundle"], dir.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`missing`: no such file or directory"),
        "{}",
        stderr(&o)
    );

    let o = guard(&["build", "policies"], dir.path());
    assert_eq!(code(&o), 2, "-o is required");

    let o = guard(
        &["build", "policies", "-o", "no/such/dir/out.bundle"],
        dir.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot write `no/such/dir/out.bundle`"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("out.bundle").exists());
}

#[test]
fn human_summary_names_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    copy_policies(dir.path());
    let o = guard(
        &["build", "policies", "-o", "out.bundle", "--revision", "3"],
        dir.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let digest = guard_engine::decode(&std::fs::read(dir.path().join("out.bundle")).unwrap())
        .unwrap()
        .digest();
    assert_eq!(
        stderr(&o),
        format!("built `out.bundle`: 10 rules from 3 files, revision 3, {digest}\n")
    );
}
