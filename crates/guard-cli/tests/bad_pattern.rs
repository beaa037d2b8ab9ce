//! A hand-made bundle whose regex does not compile (the compiler never writes one): decoding
//! does not compile regexes, so `guard verify` and `guard inspect` do, and refuse it (GB005);
//! `guard eval`, which loads lazily, decides `error` (exit 2) whenever the regex is needed,
//! never allow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;

use guard_engine::ir::{Pattern, Policy, PolicyBuilder, Rule, SourceLoc, TemplatePiece};
use guard_engine::{Metadata, Source, encode};
use guard_model::{ActionKind, Effect, Field, Mode};
use support::{code, guard, keygen, ssh_keygen, stderr, stdout};

const SOURCE: &str = "rule weird: deny on exec\n  when exec.program matches re\"(\"\n";

/// `default allow`; `deny on exec when exec.program matches re"("`, so a regex read as "no
/// match" would allow. `pattern` replaces the placeholder regex after building.
fn bundle(pattern: &str) -> Vec<u8> {
    let mut b = PolicyBuilder::new(Effect::Allow);
    let program = b.field(Field::ExecProgram);
    let matches = b
        .matches(program, Pattern::Regex("placeholder".into()))
        .unwrap();
    let message = b.template(&[TemplatePiece::Text("weird program")]);
    b.rule(Rule {
        id: "demo.weird".into(),
        doc: String::new(),
        effect: Effect::Deny,
        mode: Mode::Enforce,
        on: Some(ActionKind::Exec),
        condition: matches,
        message,
        help: Default::default(),
        controls: vec![],
        source: SourceLoc {
            file: 0,
            span: [0, 4],
        },
    });
    let mut data = b.finish().unwrap().into_data();
    data.patterns = vec![Pattern::Regex(pattern.into())];
    let policy = Policy::new(data).unwrap();
    let metadata = Metadata {
        guard_version: "0.1.0".into(),
        revision: 1,
        git_commit: None,
        sources: vec![Source::new("demo.guard", SOURCE)],
    };
    encode(&policy, &metadata).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn inspect_refuses_a_bundle_whose_regex_does_not_compile() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.bundle", &bundle("("));
    write(dir.path(), "good.bundle", &bundle("^rm$"));

    let out = guard(&["inspect", "bad.bundle"], dir.path());
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out)
            .starts_with("error[GB005]: `bad.bundle`: malformed bundle body: invalid pattern `(`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");

    let out = guard(&["inspect", "good.bundle"], dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn eval_decides_error_never_allow_when_the_regex_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.bundle", &bundle("("));
    let eval = |command: &str, bundle: &str| {
        guard(
            &[
                "eval",
                "--bundle",
                bundle,
                "--insecure-allow-unsigned",
                "--format",
                "json",
                "--command",
                command,
            ],
            dir.path(),
        )
    };
    let out = eval("ls -l", "bad.bundle");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let decision: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(decision["decision"], "error", "{decision}");
    assert!(
        decision["error"].as_str().unwrap().contains("`(`"),
        "{decision}"
    );
    // SQL has no exec action: the regex is not needed, the default decides.
    let sql = guard(
        &[
            "eval",
            "--bundle",
            "bad.bundle",
            "--insecure-allow-unsigned",
            "--format",
            "json",
            "--channel",
            "sql",
            "--command",
            "SELECT 1",
        ],
        dir.path(),
    );
    assert_eq!(code(&sql), 0, "{}", stderr(&sql));
    let decision: serde_json::Value = serde_json::from_str(stdout(&sql).trim()).unwrap();
    assert_eq!(decision["decision"], "allow", "{decision}");

    // The same bundle with a valid regex decides as usual.
    write(dir.path(), "good.bundle", &bundle("^l"));
    let out = eval("ls -l", "good.bundle");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let decision: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(decision["decision"], "deny", "{decision}");
}

#[test]
fn sign_and_verify_refuse_a_bundle_whose_regex_does_not_compile() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let public = keygen(d, "k", "");
    write(
        d,
        "allowed_signers",
        format!("k@x {}\n", public.trim()).as_bytes(),
    );
    write(d, "good.bundle", &bundle("^rm$"));
    let out = guard(&["sign", "--key", "k", "good.bundle"], d);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // guard refuses to sign the bad bundle; a signature made by ssh-keygen itself must still not
    // get it past `verify`.
    write(d, "bad.bundle", &bundle("("));
    let out = guard(&["sign", "--key", "k", "bad.bundle"], d);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("GB005"), "{}", stderr(&out));
    assert!(!d.join("bad.bundle.sig").exists());
    let out = ssh_keygen(
        &[
            "-q",
            "-Y",
            "sign",
            "-n",
            "guard-bundle",
            "-f",
            "k",
            "bad.bundle",
        ],
        d,
        None,
    );
    assert!(out.status.success(), "ssh-keygen: {}", stderr(&out));

    let verify = |name: &str| guard(&["verify", "--allowed-signers", "allowed_signers", name], d);
    let out = verify("bad.bundle");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("error[GB005]: `bad.bundle`: signature is valid but the bundle is not: malformed bundle body: invalid pattern `(`"),
        "{}",
        stderr(&out)
    );
    let out = verify("good.bundle");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
