//! `guard sign` and `guard verify`: interop with the real `ssh-keygen` both ways, exit codes
//! for valid, invalid, untrusted and unusable inputs. Keys are made by `ssh-keygen` per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use guard_engine::ir::{PolicyBuilder, Rule, SourceLoc, TemplatePiece};
use guard_engine::{Metadata, Source, encode};
use guard_model::{ActionKind, Effect, Mode};

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        let dir = Dir {
            dir: tempfile::tempdir().unwrap(),
        };
        dir.write("policy.bundle", &bundle());
        dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: &[u8]) {
        std::fs::write(self.path(name), contents).unwrap();
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// An ed25519 key made by `ssh-keygen`; returns its public line.
    fn keygen(&self, name: &str, passphrase: &str) -> String {
        support::keygen(self.dir.path(), name, passphrase)
    }

    fn guard(&self, args: &[&str]) -> Output {
        Command::cargo_bin("guard")
            .unwrap()
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    }

    fn ssh_keygen(&self, args: &[&str], stdin: Option<&str>) -> Output {
        support::ssh_keygen(args, self.dir.path(), stdin)
    }
}

fn bundle() -> Vec<u8> {
    let mut b = PolicyBuilder::new(Effect::Deny);
    let t = b.bool(true);
    let message = b.template(&[TemplatePiece::Text("any statement")]);
    b.rule(Rule {
        id: "demo.all".into(),
        doc: String::new(),
        effect: Effect::Warn,
        mode: Mode::Enforce,
        on: Some(ActionKind::Sql),
        condition: t,
        message,
        help: Default::default(),
        controls: vec![],
        source: SourceLoc {
            file: 0,
            span: [0, 4],
        },
    });
    let metadata = Metadata {
        guard_version: "0.1.0".into(),
        revision: 3,
        git_commit: None,
        sources: vec![Source::new("demo.guard", "rule all: warn on sql\n")],
    };
    encode(&b.finish().unwrap(), &metadata).unwrap()
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn guard_sign_verifies_with_ssh_keygen_and_guard_verify() {
    let d = Dir::new();
    let public = d.keygen("ci", "");
    d.write(
        "allowed_signers",
        format!("ci@example.com {public}\n").as_bytes(),
    );

    let out = d.guard(&["sign", "--key", "ci", "policy.bundle"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "signed `policy.bundle`: wrote `policy.bundle.sig`\n"
    );
    assert!(
        String::from_utf8(d.read("policy.bundle.sig"))
            .unwrap()
            .starts_with("-----BEGIN SSH SIGNATURE-----")
    );

    let out = d.ssh_keygen(
        &[
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            "ci@example.com",
            "-n",
            "guard-bundle",
            "-s",
            "policy.bundle.sig",
        ],
        Some("policy.bundle"),
    );
    assert!(out.status.success(), "ssh-keygen: {}", stderr(&out));

    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("`policy.bundle`: valid signature by `ci@example.com` (SHA256:"),
        "{stdout}"
    );
    assert!(stdout.contains("revision 3"), "{stdout}");

    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "--identity",
        "ci@example.com",
        "--format",
        "json",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["principal"], "ci@example.com");
    assert_eq!(json["revision"], 3);
    assert!(json["digest"].as_str().unwrap().starts_with("sha256:"));

    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "--identity",
        "dev@example.com",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(1));
    assert!(
        stderr(&out).starts_with("error[GV005]: `policy.bundle`: untrusted key SHA256:"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ssh_keygen_signatures_verify_with_guard() {
    let d = Dir::new();
    let public = d.keygen("ops", "");
    d.write(
        "allowed_signers",
        format!("# trusted\nops@example.com namespaces=\"guard-bundle\" {public}\n").as_bytes(),
    );
    let out = d.ssh_keygen(
        &[
            "-q",
            "-Y",
            "sign",
            "-f",
            "ops",
            "-n",
            "guard-bundle",
            "policy.bundle",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "--identity",
        "ops@example.com",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));

    // The same signature moved elsewhere, named with --signature.
    std::fs::rename(d.path("policy.bundle.sig"), d.path("other.sig")).unwrap();
    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "--signature",
        "other.sig",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
}

#[test]
fn invalid_unsigned_and_untrusted_bundles_exit_1() {
    let d = Dir::new();
    let public = d.keygen("k", "");
    d.keygen("stranger", "");
    d.write("allowed_signers", format!("k@x {public}\n").as_bytes());
    d.write(
        "expired_signers",
        format!("k@x valid-before=\"20200101\" {public}\n").as_bytes(),
    );

    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(1));
    assert!(
        stderr(&out).starts_with("error[GV001]: `policy.bundle`: the bundle is not signed"),
        "{}",
        stderr(&out)
    );

    assert_eq!(
        code(&d.guard(&["sign", "--key", "k", "policy.bundle"])),
        Some(0)
    );
    let mut bytes = d.read("policy.bundle");
    let original = bytes.clone();
    bytes[20] ^= 1;
    d.write("policy.bundle", &bytes);
    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(1));
    assert!(stderr(&out).starts_with("error[GV004]"), "{}", stderr(&out));
    d.write("policy.bundle", &original);

    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "expired_signers",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(1));
    assert!(stderr(&out).starts_with("error[GV007]"), "{}", stderr(&out));

    assert_eq!(
        code(&d.guard(&["sign", "--key", "stranger", "policy.bundle"])),
        Some(0)
    );
    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "--format",
        "json",
        "policy.bundle",
    ]);
    assert_eq!(code(&out), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["valid"].clone(), json["code"].clone()),
        (false.into(), "GV005".into())
    );

    // A validly signed file that is not a bundle: the signature holds, the bundle does not.
    d.write("notes.txt", b"not a bundle");
    let out = d.ssh_keygen(
        &[
            "-q",
            "-Y",
            "sign",
            "-f",
            "k",
            "-n",
            "guard-bundle",
            "notes.txt",
        ],
        None,
    );
    assert!(out.status.success());
    let out = d.guard(&[
        "verify",
        "--allowed-signers",
        "allowed_signers",
        "notes.txt",
    ]);
    assert_eq!(code(&out), Some(1));
    assert!(stderr(&out).starts_with("error[GB001]"), "{}", stderr(&out));
}

#[test]
fn unusable_inputs_exit_2() {
    let d = Dir::new();
    let public = d.keygen("k", "");
    d.keygen("locked", "passphrase");
    d.write("allowed_signers", format!("k@x {public}\n").as_bytes());
    d.write("bad_signers", b"k@x not-a-key\n");
    d.write("notes.txt", b"not a bundle");

    let cases: &[(&[&str], &str)] = &[
        (
            &["sign", "--key", "missing", "policy.bundle"],
            "error: `missing`: no such file or directory",
        ),
        (
            &["sign", "--key", "k.pub", "policy.bundle"],
            "error[GV010]: `k.pub`: invalid private key",
        ),
        (
            &["sign", "--key", "locked", "policy.bundle"],
            "error[GV011]: `locked`: the private key is encrypted",
        ),
        (
            &["sign", "--key", "k", "notes.txt"],
            "error[GB001]: refusing to sign `notes.txt`",
        ),
        (
            &["sign", "--key", "k", "missing.bundle"],
            "error: `missing.bundle`: no such file or directory",
        ),
        (
            &["verify", "--allowed-signers", "missing", "policy.bundle"],
            "error: `missing`: no such file",
        ),
        (
            &[
                "verify",
                "--allowed-signers",
                "bad_signers",
                "policy.bundle",
            ],
            "error[GV009]: `bad_signers`: allowed_signers line 1",
        ),
        (
            &[
                "verify",
                "--allowed-signers",
                "allowed_signers",
                "--signature",
                "missing.sig",
                "policy.bundle",
            ],
            "error: `missing.sig`: no such file",
        ),
        (
            &["verify", "policy.bundle"],
            "error: the following required arguments were not provided",
        ),
    ];
    for (args, expected) in cases {
        let out = d.guard(args);
        assert_eq!(code(&out), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        !Path::new(&d.path("policy.bundle.sig")).exists(),
        "failed signing must not write a signature"
    );
}
