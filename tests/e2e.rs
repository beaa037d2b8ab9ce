//! End-to-end: the shipped `policies/` and `examples/` through the real `guard` binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;
use guard_e2e::repo_root;

fn guard() -> Command {
    Command::cargo_bin("guard").unwrap()
}

#[test]
fn help_lists_every_subcommand() {
    let out = guard().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "check", "fmt", "schema", "explain", "test", "build", "inspect", "sign", "verify", "eval",
    ] {
        assert!(
            text.contains(sub),
            "--help does not mention `{sub}`:\n{text}"
        );
    }
    assert!(repo_root().join("Cargo.toml").exists());
}
