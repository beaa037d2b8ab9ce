#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Properties of inline-code analysis (`python3 -c`, `node -e`): it never panics, never returns
//! nothing, keeps spans inside the command, and lifts exactly the effects a program has — checked
//! against programs generated together with the effects they must lift.

use guard_intent::script::{self, Effect, Lang};
use guard_model::{Action, ActionDetail, Channel, Dialect};
use proptest::prelude::*;

fn shell(text: &str) -> Vec<Action> {
    guard_intent::analyze_text(Channel::Shell, Dialect::Postgres, text)
}

fn check_well_formed(text: &str, actions: &[Action]) {
    assert!(!actions.is_empty(), "no actions for {text:?}");
    for a in actions {
        let [start, end] = a.span;
        assert!(
            start <= end && end as usize <= text.len(),
            "span {start}..{end} outside {} bytes of {text:?}",
            text.len()
        );
        assert!(text.is_char_boundary(start as usize) && text.is_char_boundary(end as usize));
    }
}

const PY_TOKENS: &[&str] = &[
    "import os",
    "import shutil as s",
    "from os import system as x",
    "os.system(",
    "s.rmtree(",
    "x(",
    "print(",
    "open(",
    "'/etc/passwd'",
    "\"rm -rf /\"",
    "'w'",
    ")",
    "(",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ";",
    "\n",
    "    ",
    "lambda y:",
    "for i in",
    "if",
    "else",
    "while",
    "=",
    "a",
    "b",
    "+",
    "f'{a}'",
    "__import__",
    "exec",
    "getattr",
    ".",
    "__class__",
    "os.environ",
    "with",
    "as",
    "try:",
    "except:",
    "def f():",
    "0o777",
    "\\",
    "\"",
    "'",
    "#",
    "yield",
    "await",
    "*",
    "**",
    "subprocess.run(",
    "['rm', '-rf', '/']",
    "shell=True",
    "None",
];

const JS_TOKENS: &[&str] = &[
    "const",
    "let",
    "fs",
    "=",
    "require('fs')",
    "require(",
    "'child_process'",
    ".execSync(",
    ".rmSync(",
    "'/var/lib/mysql'",
    "{recursive: true}",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ";",
    "\n",
    "=>",
    "async",
    "await",
    "fetch(",
    "'https://x.example'",
    "process.env",
    "console.log(",
    "`",
    "${",
    "a",
    "b",
    "+",
    ",",
    ".",
    "constructor",
    "eval",
    "new Function(",
    "for (",
    "of",
    "in",
    "if",
    "else",
    "\\",
    "'",
    "\"",
    "//",
    "/*",
    "*/",
    "...",
    "?.",
    "this",
];

fn code(tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(tokens), 0..40).prop_map(|t| t.concat())
}

/// Single-quoted for the shell.
fn quoted(code: &str) -> String {
    format!("'{}'", code.replace('\'', "'\\''"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn python_never_panics_never_empty(code in code(PY_TOKENS)) {
        let analysis = script::analyze(Lang::Python, &code);
        for e in &analysis.effects {
            prop_assert!(e.span[0] <= e.span[1] && e.span[1] as usize <= code.len());
        }
        for text in [
            format!("python3 -c {}", quoted(&code)),
            format!("python3 - <<'EOF'\n{code}\nEOF"),
        ] {
            check_well_formed(&text, &shell(&text));
        }
    }

    #[test]
    fn javascript_never_panics_never_empty(code in code(JS_TOKENS)) {
        let analysis = script::analyze(Lang::JavaScript, &code);
        for e in &analysis.effects {
            prop_assert!(e.span[0] <= e.span[1] && e.span[1] as usize <= code.len());
        }
        let text = format!("node -e {}", quoted(&code));
        check_well_formed(&text, &shell(&text));
    }

    #[test]
    fn arbitrary_text_never_panics(code in "\\PC{0,200}") {
        for lang in [Lang::Python, Lang::JavaScript] {
            let analysis = script::analyze(lang, &code);
            for e in &analysis.effects {
                prop_assert!(e.span[1] as usize <= code.len());
            }
        }
        let text = format!("python3 -c {}", quoted(&code));
        check_well_formed(&text, &shell(&text));
    }

    /// Programs built from statements whose effects are known: the analysis lifts exactly
    /// those, in order, and understands the whole program.
    #[test]
    fn python_lifts_exactly_the_generated_effects(stmts in prop::collection::vec((0usize..7, 0u32..50), 1..12)) {
        let mut lines = vec!["import os, shutil, json, subprocess".to_string()];
        let mut expected = vec![];
        for (kind, n) in stmts {
            let path = format!("/data/d{n}");
            match kind {
                0 => {
                    lines.push(format!("os.remove('{path}')"));
                    expected.push(Effect::Argv(vec!["rm".into(), path]));
                }
                1 => {
                    lines.push(format!("p{n} = '{path}'"));
                    lines.push(format!("shutil.rmtree(p{n})"));
                    expected.push(Effect::Argv(vec!["rm".into(), "-r".into(), path]));
                }
                2 => lines.push(format!("print(json.dumps({{'n': {n}}}))")),
                3 => {
                    lines.push(format!("os.system('ls {path}')"));
                    expected.push(Effect::Shell(format!("ls {path}")));
                }
                4 => {
                    lines.push(format!("subprocess.run(['touch', '{path}'], check=True)"));
                    expected.push(Effect::Argv(vec!["touch".into(), path]));
                }
                5 => {
                    lines.push(format!("for q in ['{path}', '{path}x']:\n    os.rmdir(q)"));
                    expected.push(Effect::Argv(vec!["rmdir".into(), path.clone()]));
                    expected.push(Effect::Argv(vec!["rmdir".into(), format!("{path}x")]));
                }
                _ => {
                    lines.push(format!("with open('{path}', 'a') as f:\n    f.write('x')"));
                    expected.push(Effect::Argv(vec!["tee".into(), "-a".into(), path]));
                }
            }
        }
        let code = lines.join("\n");
        let analysis = script::analyze(Lang::Python, &code);
        prop_assert_eq!(&analysis.unknown, &None, "{}", code);
        let got: Vec<Effect> = analysis.effects.into_iter().map(|e| e.effect).collect();
        prop_assert_eq!(got, expected, "{}", code);
    }
}

/// Spans: single-quoted code maps each lifted action to its call; other quoting to the word.
#[test]
fn spans_point_at_the_call_when_the_code_is_a_literal_slice() {
    let text = "python3 -c 'import os; os.remove(\"/etc/hosts\")'";
    let actions = shell(text);
    let rm = actions
        .iter()
        .find(|a| matches!(&a.detail, ActionDetail::Exec(e) if e.program == "rm"))
        .unwrap();
    assert_eq!(
        &text[rm.span[0] as usize..rm.span[1] as usize],
        "os.remove(\"/etc/hosts\")"
    );
    let text = "python3 -c \"import os; os.remove('/etc/hosts')\"";
    let actions = shell(text);
    let rm = actions
        .iter()
        .find(|a| matches!(&a.detail, ActionDetail::Exec(e) if e.program == "rm"))
        .unwrap();
    assert_eq!(
        &text[rm.span[0] as usize..rm.span[1] as usize],
        "\"import os; os.remove('/etc/hosts')\""
    );
}

/// Code over the size limit is not analysed.
#[test]
fn oversized_code_is_opaque() {
    let code = format!("print({})", "1".repeat(script::MAX_CODE_BYTES));
    let analysis = script::analyze(Lang::Python, &code);
    assert!(analysis.unknown.is_some());
    assert!(analysis.effects.is_empty());
}
