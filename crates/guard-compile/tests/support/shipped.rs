//! The shipped standard library and the e2e bench's commands, shared by `benches/e2e.rs`,
//! `examples/eval_profile.rs` and `tests/shipped_plan.rs` (each includes this file with
//! `#[path]`). Library crates do no I/O; these dev targets read `policies/` here, once.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use guard_diagnostics::SourceMap;
use guard_model::{Channel, Request, Target};

/// Typical commands, named as the e2e bench reports them.
pub const COMMANDS: &[(&str, Channel, &str)] = &[
    ("sql_drop", Channel::Sql, "DROP TABLE users"),
    (
        "sql_delete",
        Channel::Sql,
        "DELETE FROM sessions WHERE expires_at < now()",
    ),
    (
        "sql_select",
        Channel::Sql,
        "SELECT o.id, o.total, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at > now() - interval '1 day' ORDER BY o.total DESC LIMIT 50",
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

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.guard` file under `dir`, in path order.
pub fn sources_under(dir: &Path) -> SourceMap {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "guard") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    let mut sources = SourceMap::new();
    for f in files {
        sources.add(
            f.display().to_string(),
            std::fs::read_to_string(&f).unwrap(),
        );
    }
    sources
}

/// The shipped standard library (`policies/`).
pub fn shipped_sources() -> SourceMap {
    sources_under(&root().join("policies"))
}

/// A request for `command` on production, as the bench and the profiler decide it.
pub fn production_request(channel: Channel, command: &str) -> Request {
    Request {
        id: "bench".into(),
        channel,
        command: command.into(),
        target: Target {
            env: "production".into(),
            ..Target::default()
        },
        ..Request::default()
    }
}
