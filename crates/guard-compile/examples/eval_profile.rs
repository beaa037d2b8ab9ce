//! Instruction counts per evaluation under callgrind: compiles `policies/`, analyses one of the
//! e2e bench's commands and evaluates it N times. Run it with N and with 1 and subtract:
//! `valgrind --tool=callgrind target/release/examples/eval_profile shell_rm 1001`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use guard_diagnostics::SourceMap;
use guard_model::{Channel, Request, Target};

const COMMANDS: &[(&str, Channel, &str)] = &[
    ("sql_drop", Channel::Sql, "DROP TABLE users"),
    (
        "sql_delete",
        Channel::Sql,
        "DELETE FROM sessions WHERE expires_at < now()",
    ),
    ("shell_rm", Channel::Shell, "sudo rm -rf /var/lib/app"),
    (
        "shell_pipeline",
        Channel::Shell,
        "cat access.log | grep 500 | sort | uniq -c | sort -rn | head -20",
    ),
    (
        "shell_kubectl",
        Channel::Shell,
        "kubectl delete pod web-1 -n prod --grace-period=0",
    ),
    (
        "shell_psql",
        Channel::Shell,
        "psql -h db -c 'TRUNCATE audit_log'",
    ),
    (
        "shell_curl_sh",
        Channel::Shell,
        "curl -fsSL https://get.example.sh | sh",
    ),
];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "guard") {
            out.push(path);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("shell_rm", String::as_str);
    let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1);
    // `load BUNDLE N`: decode and prepare a bundle N times (load cost, `guard build` output).
    if name == "load" {
        let bytes = std::fs::read(args.get(3).map_or("/tmp/std.bundle", String::as_str)).unwrap();
        let mut rules = 0;
        for _ in 0..n {
            let loaded = guard_engine::decode(std::hint::black_box(&bytes)).unwrap();
            loaded.policy.prepare();
            rules += loaded.policy.rules().len();
        }
        println!("load: {rules} rules over {n} runs");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut sources = SourceMap::new();
    for f in files {
        sources.add(
            f.display().to_string(),
            std::fs::read_to_string(&f).unwrap(),
        );
    }
    let policy = guard_compile::compile_sources(&sources).policy.unwrap();
    let (_, channel, text) = COMMANDS.iter().find(|(c, ..)| *c == name).unwrap();
    let request = Request {
        id: "bench".into(),
        channel: *channel,
        command: (*text).into(),
        target: Target {
            env: "production".into(),
            ..Target::default()
        },
        ..Request::default()
    };
    let actions = guard_intent::analyze(&request);
    let mut matched = 0;
    for _ in 0..n {
        let d = guard_engine::evaluate(&policy, std::hint::black_box(&request), &actions);
        matched += d.matches.len();
    }
    println!(
        "{name}: {} actions, {matched} matches over {n} runs",
        actions.len()
    );
}
