//! Helpers shared by the CLI's integration tests: run the real `guard` binary and read what it
//! printed. Each test file uses a subset, hence `dead_code` is allowed here.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `guard ARGS` in `dir`, colour off.
pub fn guard(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Runs the real `ssh-keygen ARGS` in `dir`, its stdin the file `stdin` in `dir` or nothing.
pub fn ssh_keygen(args: &[&str], dir: &Path, stdin: Option<&str>) -> Output {
    let mut cmd = Command::new("ssh-keygen");
    cmd.current_dir(dir).args(args);
    match stdin {
        Some(file) => cmd.stdin(std::fs::File::open(dir.join(file)).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    cmd.output()
        .expect("ssh-keygen must be installed to run the signature tests")
}

/// An ed25519 key `dir/name` made by `ssh-keygen` (unencrypted when `passphrase` is empty);
/// returns its public line.
pub fn keygen(dir: &Path, name: &str, passphrase: &str) -> String {
    let out = ssh_keygen(
        &[
            "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", name,
        ],
        dir,
        None,
    );
    assert!(out.status.success(), "ssh-keygen: {}", stderr(&out));
    std::fs::read_to_string(dir.join(format!("{name}.pub")))
        .unwrap()
        .trim()
        .to_string()
}

/// The exit code (a signal is a test failure).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("guard was killed by a signal")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The value with every object's keys in sorted order. `serde_json::Map` keeps insertion order
/// when some crate in the build enables `preserve_order` (cedar-policy does, in `guard-bench`),
/// so a snapshot of a re-serialised `Value` must not depend on which crates are built together.
pub fn sorted_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_keys(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted_keys).collect())
        }
        other => other,
    }
}
