//! End-to-end: the shipped `policies/` and `examples/` through the real `guard` binary, the way
//! a newcomer and a production deployment use them: build, sign with a key made by the real
//! `ssh-keygen`, verify both ways, then decide requests through the verified bundle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use guard_e2e::repo_root;
use serde_json::Value;

fn guard() -> Command {
    Command::cargo_bin("guard").unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ssh_keygen(args: &[&str], dir: &Path, stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(args).current_dir(dir);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    cmd.output().unwrap()
}

/// A key pair and an allowed_signers file trusting it for `ci@guard.test`.
fn keypair(dir: &Path) -> (PathBuf, PathBuf) {
    let out = ssh_keygen(
        &["-q", "-t", "ed25519", "-N", "", "-C", "ci", "-f", "ci_key"],
        dir,
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let public = std::fs::read_to_string(dir.join("ci_key.pub")).unwrap();
    let signers = dir.join("allowed_signers");
    std::fs::write(
        &signers,
        format!("ci@guard.test namespaces=\"guard-bundle\" {public}"),
    )
    .unwrap();
    (dir.join("ci_key"), signers)
}

fn build(dir: &Path) -> PathBuf {
    let bundle = dir.join("policies.bundle");
    let out = guard()
        .arg("build")
        .arg(repo_root().join("policies"))
        .arg("-o")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    bundle
}

fn decisions(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn help_lists_every_subcommand() {
    let out = guard().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "check", "fmt", "schema", "explain", "test", "build", "inspect", "sign", "verify", "eval",
    ] {
        assert!(
            help.contains(sub),
            "--help does not mention `{sub}`:\n{help}"
        );
    }
}

#[test]
fn shipped_policies_and_examples_check_clean_and_are_formatted() {
    let root = repo_root();
    let out = guard()
        .arg("check")
        .arg(root.join("policies"))
        .arg("--format")
        .arg("json")
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        text(&out)
    );
    let out = guard()
        .arg("check")
        .arg(root.join("examples/quickstart"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = guard()
        .arg("fmt")
        .arg("--check")
        .arg(root.join("policies"))
        .arg(root.join("examples"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "shipped policies are not in canonical form; run `guard fmt`\n{}",
        text(&out)
    );
}

#[test]
fn quickstart_tests_pass() {
    let out = guard()
        .arg("test")
        .arg(repo_root().join("examples/quickstart"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn signed_bundle_round_trips_with_ssh_keygen_and_decides_the_examples() {
    let dir = tempfile::tempdir().unwrap();
    let (key, signers) = keypair(dir.path());
    let bundle = build(dir.path());

    // guard signs, ssh-keygen verifies.
    let out = guard()
        .arg("sign")
        .arg("--key")
        .arg(&key)
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let sig = dir.path().join("policies.bundle.sig");
    let bytes = std::fs::read(&bundle).unwrap();
    let out = ssh_keygen(
        &[
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            "ci@guard.test",
            "-n",
            "guard-bundle",
            "-s",
            "policies.bundle.sig",
        ],
        dir.path(),
        Some(&bytes),
    );
    assert!(
        out.status.success(),
        "ssh-keygen rejects guard's signature: {}",
        text(&out)
    );

    // guard verifies, then decides every example request through the verified bundle.
    let out = guard()
        .arg("verify")
        .arg("--allowed-signers")
        .arg(&signers)
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let requests =
        std::fs::read_to_string(repo_root().join("examples/requests/mixed.jsonl")).unwrap();
    let expected_lines = requests.lines().filter(|l| !l.trim().is_empty()).count();
    let out = guard()
        .arg("eval")
        .arg("--bundle")
        .arg(&bundle)
        .arg("--allowed-signers")
        .arg(&signers)
        .write_stdin(requests)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let decided = decisions(&out.stdout);
    assert_eq!(decided.len(), expected_lines, "{}", text(&out));
    for d in &decided {
        let kind = d["decision"].as_str().unwrap();
        assert!(
            ["allow", "warn", "require_approval", "deny"].contains(&kind),
            "{d}"
        );
        assert!(
            d["bundle"]["digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:"),
            "{d}"
        );
    }
    assert!(
        decided.iter().any(|d| d["decision"] == "deny"),
        "the examples hold dangerous requests"
    );
    assert!(
        decided.iter().any(|d| d["decision"] == "allow"),
        "the examples hold benign requests"
    );

    // ssh-keygen signs, guard verifies.
    std::fs::remove_file(&sig).unwrap();
    let out = ssh_keygen(
        &[
            "-Y",
            "sign",
            "-q",
            "-f",
            "ci_key",
            "-n",
            "guard-bundle",
            "policies.bundle",
        ],
        dir.path(),
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = guard()
        .arg("verify")
        .arg("--allowed-signers")
        .arg(&signers)
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "guard rejects ssh-keygen's signature: {}",
        text(&out)
    );
}

#[test]
fn enforcement_refuses_unsigned_tampered_and_untrusted_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let (key, signers) = keypair(dir.path());
    let bundle = build(dir.path());
    let request =
        r#"{"id":"r1","channel":"sql","command":"DROP TABLE users","target":{"env":"production"}}"#;
    let eval = |bundle: &Path| {
        guard()
            .arg("eval")
            .arg("--bundle")
            .arg(bundle)
            .arg("--allowed-signers")
            .arg(&signers)
            .write_stdin(request)
            .output()
            .unwrap()
    };

    // Unsigned: refused, nothing decided.
    let out = eval(&bundle);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        out.stdout.is_empty() || !String::from_utf8_lossy(&out.stdout).contains("\"allow\""),
        "{}",
        text(&out)
    );

    // Signed: decided, and the drop is denied.
    let out = guard()
        .arg("sign")
        .arg("--key")
        .arg(&key)
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = eval(&bundle);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        decisions(&out.stdout)[0]["decision"],
        "deny",
        "{}",
        text(&out)
    );

    // One altered byte after signing: refused.
    let mut bytes = std::fs::read(&bundle).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&bundle, &bytes).unwrap();
    let out = eval(&bundle);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("\"allow\""),
        "{}",
        text(&out)
    );

    // Signed by a key the allowed_signers file does not trust: refused.
    let other = tempfile::tempdir().unwrap();
    let (other_key, _) = keypair(other.path());
    let fresh = build(dir.path());
    let out = guard()
        .arg("sign")
        .arg("--key")
        .arg(&other_key)
        .arg(&fresh)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = eval(&fresh);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn readme_opens_with_the_two_newcomer_commands() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let block: Vec<&str> = readme
        .split("```")
        .nth(1)
        .expect("README has a code block")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        block.len(),
        2,
        "the first block holds exactly the two commands: {block:?}"
    );
    assert!(
        block[0].contains("guard-cli")
            && block[0].contains("policies")
            && block[0].contains("examples/"),
        "{}",
        block[0]
    );
    assert!(
        block[1].starts_with("cargo test --workspace"),
        "{}",
        block[1]
    );
    let ci = std::fs::read_to_string(repo_root().join(".ci/run")).unwrap();
    assert!(
        ci.contains("cargo test --workspace"),
        ".ci/run must run the README's test command"
    );
}
