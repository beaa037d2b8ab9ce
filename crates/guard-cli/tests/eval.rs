//! `guard eval` end to end: decision snapshots over `fixtures/decisions/` (one request file per
//! case, evaluated by a bundle built from `fixtures/decisions/policies/`), error lines, exit
//! codes, signature enforcement, streaming, and the one-command mode.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{code, keygen, sorted_keys, ssh_keygen, stderr, stdout};

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::LazyLock;

use serde_json::Value;

fn guard(args: &[&str], dir: &Path, stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decisions")
}

/// A bundle of the fixture policies, built once, in a directory that lives as long as the
/// test process.
struct Built {
    dir: tempfile::TempDir,
    bundle: PathBuf,
}

static BUILT: LazyLock<Built> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("fixtures.bundle");
    let policies = fixtures().join("policies");
    let o = guard(
        &[
            "build",
            policies.to_str().unwrap(),
            "-o",
            bundle.to_str().unwrap(),
            "--revision",
            "7",
        ],
        dir.path(),
        b"",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    Built { dir, bundle }
});

fn bundle() -> &'static str {
    BUILT.bundle.to_str().unwrap()
}

fn eval(args: &[&str], stdin: &[u8]) -> Output {
    let mut all = vec!["eval", "--bundle", bundle()];
    all.extend_from_slice(args);
    guard(&all, BUILT.dir.path(), stdin)
}

fn eval_unsigned(stdin: &[u8]) -> Output {
    eval(&["--insecure-allow-unsigned"], stdin)
}

fn lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The digest changes with any policy or format change, and with the commit the fixtures
/// are built at; decisions are what the snapshots are about (bundle determinism is tested in
/// `build.rs`).
fn redact(mut v: Value) -> Value {
    if let Some(b) = v.get_mut("bundle") {
        assert!(b["digest"].as_str().unwrap().starts_with("sha256:"));
        b["digest"] = "sha256:[digest]".into();
    }
    sorted_keys(v)
}

/// Every fixture case, decided in one stream (sorted by file name), by case file name.
static DECISIONS: LazyLock<Vec<(String, Value)>> = LazyLock::new(|| {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut input = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert_eq!(
            text.trim().lines().count(),
            1,
            "{} must hold one request on one line",
            f.display()
        );
        input.extend_from_slice(text.trim().as_bytes());
        input.push(b'\n');
    }
    let o = eval_unsigned(&input);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = lines(&o);
    assert_eq!(out.len(), files.len(), "one decision per request");
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .zip(out)
        .collect()
});

#[test]
fn decision_snapshots() {
    insta::glob!("fixtures/decisions/cases/*.json", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let request = std::fs::read_to_string(path).unwrap();
        let decision = DECISIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| d.clone())
            .unwrap();
        let request_value: Value = serde_json::from_str(&request).unwrap();
        // Decisions come back in input order: each carries its own request's id.
        assert_eq!(
            decision["id"],
            request_value
                .get("id")
                .cloned()
                .unwrap_or_else(|| "".into()),
            "{name}"
        );
        let pretty = serde_json::to_string_pretty(&redact(decision)).unwrap();
        insta::assert_snapshot!(format!(
            "----- REQUEST\n{}\n----- DECISION\n{pretty}",
            request.trim()
        ));
    });
}

#[test]
fn error_lines_are_reported_in_order_and_the_rest_go_on() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\":\"ok1\",\"channel\":\"sql\",\"command\":\"SELECT 1\"}\n");
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"   \n");
    input.extend_from_slice(b"{\"id\":\"nocmd\",\"channel\":\"sql\"}\n");
    input.extend_from_slice(b"{\"id\":\"chan\",\"channel\":\"http\",\"command\":\"GET /\"}\n");
    input.extend_from_slice(b"{\"channel\":\"sql\",\"command\":\"SELECT \xff\"}\n");
    input.extend_from_slice(b"\xff\xfe{}\n");
    input.extend_from_slice(b"{\"id\":\"types\",\"channel\":\"sql\",\"command\":[\"DROP\"]}\n");
    input.extend_from_slice(b"[1, 2]\n");
    input.extend_from_slice(b"{\"id\":{\"x\":1},\"channel\":\"sql\",\"command\":\"x\"}\n");
    input.extend_from_slice(b"{\"id\":\"groups\",\"channel\":\"sql\",\"command\":\"x\",\"actor\":{\"groups\":\"ml\"}}\n");
    input.extend_from_slice(
        b"{\"id\":\"ok2\",\"channel\":\"shell\",\"command\":\"rm -rf /etc\"}\r\n",
    );
    let o = eval_unsigned(&input);
    assert_eq!(
        code(&o),
        2,
        "an error line makes the exit status 2: {}",
        stderr(&o)
    );
    let out = lines(&o);
    let summary: Vec<(String, String, String)> = out
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["decision"].as_str().unwrap().to_string(),
                d.get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let expected = [
        ("ok1", "allow", ""),
        (
            "line 2",
            "error",
            "not valid JSON: expected ident at line 1 column 2",
        ),
        ("nocmd", "error", "invalid request: missing field `command`"),
        (
            "chan",
            "error",
            "invalid request: unknown variant `http`, expected `sql` or `shell`",
        ),
        (
            "line 7",
            "error",
            "line is not valid UTF-8 (invalid byte at offset 35)",
        ),
        (
            "line 8",
            "error",
            "line is not valid UTF-8 (invalid byte at offset 0)",
        ),
        (
            "types",
            "error",
            "invalid request: `command` must be a string, found an array",
        ),
        ("line 10", "error", "expected a JSON object, found an array"),
        (
            "line 11",
            "error",
            "`id` must be a string or a number, found an object",
        ),
        (
            "groups",
            "error",
            "invalid request: `actor.groups` must be an array of strings, found a string",
        ),
        ("ok2", "deny", ""),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(summary, expected);
    // Error lines still name the bundle, and carry no match.
    for d in &out {
        assert!(
            d["bundle"]["digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        if d["decision"] == "error" {
            assert_eq!(d["matches"], serde_json::json!([]));
        }
    }
}

#[test]
fn every_line_decided_exits_0_whatever_the_decisions() {
    let input = b"{\"id\":\"a\",\"channel\":\"shell\",\"command\":\"rm -rf /\"}\n\n{\"id\":\"b\",\"channel\":\"sql\",\"command\":\"DELETE FROM t\"}\n";
    let o = eval_unsigned(input);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = lines(&o);
    assert_eq!(
        out.iter()
            .map(|d| d["decision"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["deny", "require_approval"]
    );
    // Numeric ids are kept as text; a missing final newline still ends a line.
    let o = eval_unsigned(b"{\"id\":42,\"channel\":\"sql\",\"command\":\"SELECT 1\"}");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["id"], "42");
    // No input at all: nothing to decide, nothing wrong.
    let o = eval_unsigned(b"");
    assert_eq!((code(&o), stdout(&o)), (0, String::new()));
}

#[test]
fn a_long_stream_keeps_input_order() {
    let mut input = String::new();
    for i in 0..5000 {
        let command = if i % 3 == 0 { "rm -rf /etc" } else { "ls" };
        input.push_str(&format!(
            "{{\"id\":\"r{i}\",\"channel\":\"shell\",\"command\":\"{command}\"}}\n"
        ));
    }
    let o = eval_unsigned(input.as_bytes());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = lines(&o);
    assert_eq!(out.len(), 5000);
    for (i, d) in out.iter().enumerate() {
        assert_eq!(d["id"], format!("r{i}"));
        assert_eq!(d["decision"], if i % 3 == 0 { "deny" } else { "allow" });
    }
}

#[test]
fn an_overlong_line_is_an_error_line_and_the_stream_goes_on() {
    let mut input = b"{\"id\":\"big\",\"channel\":\"shell\",\"command\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
    input.extend_from_slice(b"\"}\n{\"id\":\"after\",\"channel\":\"shell\",\"command\":\"ls\"}\n");
    let o = eval_unsigned(&input);
    assert_eq!(code(&o), 2);
    let out = lines(&o);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["id"], "line 1");
    assert!(
        out[0]["error"]
            .as_str()
            .unwrap()
            .contains("over the 4194304-byte limit"),
        "{}",
        out[0]
    );
    assert_eq!(
        (out[1]["id"].as_str(), out[1]["decision"].as_str()),
        (Some("after"), Some("allow"))
    );
}

/// An interactive client writes one request and waits for its answer before the next: each
/// decision must come out without waiting for more input or for the end of stdin.
#[test]
fn each_decision_is_written_as_soon_as_its_line_is_read() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["eval", "--bundle", bundle(), "--insecure-allow-unsigned"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for (id, command, decision) in [("one", "rm -rf /usr", "deny"), ("two", "ls", "allow")] {
        writeln!(
            stdin,
            "{{\"id\":\"{id}\",\"channel\":\"shell\",\"command\":\"{command}\"}}"
        )
        .unwrap();
        stdin.flush().unwrap();
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("no decision while stdin is still open");
        let d: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            (d["id"].as_str(), d["decision"].as_str()),
            (Some(id), Some(decision))
        );
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

// ------------------------------------------------------------------ trust

#[test]
fn an_unverified_bundle_is_refused_by_default() {
    let o = eval(&[], b"{\"channel\":\"shell\",\"command\":\"ls\"}\n");
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "", "nothing may be decided");
    assert!(
        stderr(&o).contains("refusing to decide with an unverified bundle"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("--insecure-allow-unsigned"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn insecure_mode_warns_loudly() {
    let o = eval_unsigned(b"{\"channel\":\"shell\",\"command\":\"ls\"}\n");
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("warning: --insecure-allow-unsigned"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("NOT verified"), "{}", stderr(&o));
}

#[test]
fn insecure_mode_and_allowed_signers_are_exclusive() {
    let o = eval(
        &["--insecure-allow-unsigned", "--allowed-signers", "x"],
        b"",
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

/// A signed copy of the fixture bundle, an allowed_signers file trusting its key for
/// `ops@example.com`, and an untrusted key.
struct Signed {
    dir: tempfile::TempDir,
}

impl Signed {
    fn new() -> Signed {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::copy(bundle(), d.join("p.bundle")).unwrap();
        let public = keygen(d, "trusted", "");
        let other = keygen(d, "other", "");
        let signed = ssh_keygen(
            &[
                "-Y",
                "sign",
                "-n",
                "guard-bundle",
                "-f",
                "trusted",
                "p.bundle",
            ],
            d,
            None,
        );
        assert!(signed.status.success(), "ssh-keygen: {}", stderr(&signed));
        std::fs::write(
            d.join("allowed_signers"),
            format!("ops@example.com {public}\n"),
        )
        .unwrap();
        std::fs::write(
            d.join("other_signers"),
            format!("ops@example.com {other}\n"),
        )
        .unwrap();
        Signed { dir }
    }

    fn eval(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut all = vec!["eval", "--bundle", "p.bundle"];
        all.extend_from_slice(args);
        guard(&all, self.dir.path(), stdin)
    }
}

const ONE_REQUEST: &[u8] = b"{\"id\":\"r\",\"channel\":\"shell\",\"command\":\"rm -rf /etc\"}\n";

#[test]
fn a_bundle_signed_by_ssh_keygen_is_verified_and_decides() {
    let s = Signed::new();
    let o = s.eval(&["--allowed-signers", "allowed_signers"], ONE_REQUEST);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(lines(&o)[0]["decision"], "deny");
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    let o = s.eval(
        &[
            "--allowed-signers",
            "allowed_signers",
            "--identity",
            "ops@example.com",
        ],
        ONE_REQUEST,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn untrusted_altered_or_missing_signatures_are_refused() {
    let s = Signed::new();
    let d = s.dir.path();

    let o = s.eval(&["--allowed-signers", "other_signers"], ONE_REQUEST);
    assert_eq!((code(&o), stdout(&o)), (2, String::new()));
    assert!(stderr(&o).contains("[GV005]"), "{}", stderr(&o));

    let o = s.eval(
        &[
            "--allowed-signers",
            "allowed_signers",
            "--identity",
            "someone@else",
        ],
        ONE_REQUEST,
    );
    assert_eq!((code(&o), stdout(&o)), (2, String::new()));
    assert!(stderr(&o).contains("[GV005]"), "{}", stderr(&o));

    // One byte of the bundle changed: the signature no longer matches.
    let original = std::fs::read(d.join("p.bundle")).unwrap();
    let mut altered = original.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    std::fs::write(d.join("p.bundle"), &altered).unwrap();
    let o = s.eval(&["--allowed-signers", "allowed_signers"], ONE_REQUEST);
    assert_eq!((code(&o), stdout(&o)), (2, String::new()));
    assert!(stderr(&o).contains("[GV004]"), "{}", stderr(&o));
    std::fs::write(d.join("p.bundle"), &original).unwrap();

    std::fs::remove_file(d.join("p.bundle.sig")).unwrap();
    let o = s.eval(&["--allowed-signers", "allowed_signers"], ONE_REQUEST);
    assert_eq!((code(&o), stdout(&o)), (2, String::new()));
    assert!(
        stderr(&o).contains("[GV001] refusing bundle `p.bundle`: the bundle is not signed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_corrupt_bundle_is_refused_even_when_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(bundle()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(dir.path().join("bad.bundle"), &bytes).unwrap();
    std::fs::write(dir.path().join("text.bundle"), "not a bundle").unwrap();
    for (file, code_id) in [
        ("bad.bundle", "[GB004]"),
        ("text.bundle", "[GB001]"),
        ("missing.bundle", "cannot read bundle"),
    ] {
        let o = guard(
            &["eval", "--bundle", file, "--insecure-allow-unsigned"],
            dir.path(),
            ONE_REQUEST,
        );
        assert_eq!((code(&o), stdout(&o)), (2, String::new()), "{file}");
        assert!(stderr(&o).contains(code_id), "{file}: {}", stderr(&o));
    }
}

// ------------------------------------------------------------------ one command

#[test]
fn one_command_human_output() {
    let o = eval(
        &[
            "--insecure-allow-unsigned",
            "--channel",
            "sql",
            "--env",
            "production",
            "--command",
            "SELECT 1;\nDROP TABLE users",
        ],
        b"",
    );
    assert_eq!(code(&o), 1, "deny exits 1: {}", stderr(&o));
    let text = stdout(&o).replace(bundle_digest().as_str(), "sha256:[digest]");
    insta::assert_snapshot!("one_command_sql_multi_line", text);

    let o = eval(
        &[
            "--insecure-allow-unsigned",
            "--command",
            "cd / && sudo rm -fr /etc",
            "--env",
            "production",
        ],
        b"",
    );
    assert_eq!(code(&o), 1);
    let text = stdout(&o).replace(bundle_digest().as_str(), "sha256:[digest]");
    insta::assert_snapshot!("one_command_shell_two_matches", text);
}

fn bundle_digest() -> String {
    let o = eval_unsigned(b"{\"channel\":\"shell\",\"command\":\"ls\"}\n");
    lines(&o)[0]["bundle"]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn one_command_exit_codes_follow_the_decision() {
    let cases: [(&[&str], i32, &str); 5] = [
        (&["--command", "ls -la"], 0, "allow"),
        (&["--command", "rm -rf /usr"], 1, "deny"),
        (
            &["--command", "DELETE FROM t", "--channel", "sql"],
            1,
            "require_approval",
        ),
        (&["--command", "sudo ls", "--env", "production"], 0, "warn"),
        (
            &[
                "--command",
                "DROP TABLE `x`",
                "--channel",
                "sql",
                "--dialect",
                "mysql",
                "--env",
                "prod-eu",
            ],
            1,
            "deny",
        ),
    ];
    for (args, expected, decision) in cases {
        let mut all = vec!["--insecure-allow-unsigned", "--format", "json"];
        all.extend_from_slice(args);
        let o = eval(&all, b"");
        assert_eq!(code(&o), expected, "{args:?}: {}", stderr(&o));
        assert_eq!(lines(&o)[0]["decision"], decision, "{args:?}");
    }
}

#[test]
fn one_command_usage_errors_exit_2() {
    for args in [
        &[
            "--insecure-allow-unsigned",
            "--command",
            "ls",
            "--channel",
            "http",
        ][..],
        &[
            "--insecure-allow-unsigned",
            "--command",
            "ls",
            "--dialect",
            "oracle",
        ][..],
        &["--insecure-allow-unsigned", "--channel", "sql"][..],
        &["--identity", "x", "--command", "ls"][..],
    ] {
        let o = eval(args, b"");
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}");
    }
}
