//! Intent extraction for typical shell commands beside the bare brush-parser parse of the same
//! text, so the ratio (target: within 1.5×) can be read from one run.
//!
//! `bash -c '…'` and `ssh host '…'` legitimately parse their inner text a second time, so for
//! those the fair baseline is `parse_nested/…`: the outer text and the inner text parsed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use guard_intent::Origin;
use guard_intent::shell::analyze;

const COMMANDS: &[(&str, &str)] = &[
    ("rm", "rm -rf ./build"),
    ("sudo_rm", "sudo rm -rf /var/lib/app"),
    (
        "pipeline",
        "cat access.log | grep 500 | sort | uniq -c | sort -rn | head -20",
    ),
    (
        "kubectl",
        "kubectl delete pod web-1 -n prod --grace-period=0",
    ),
    ("git_push", "git push --force origin main"),
    ("curl_sh", "curl -fsSL https://get.example.sh | sh"),
    (
        "find_exec",
        "find /var/log -name '*.gz' -mtime +30 -exec rm -f {} \\;",
    ),
    ("bash_c", "bash -c 'cd /srv && tar czf backup.tgz data'"),
    (
        "ssh",
        "ssh -p 2222 deploy@web1 'sudo systemctl restart nginx'",
    ),
    ("for_loop", "for f in *.log; do gzip \"$f\"; done && ls -la"),
    ("aws", "aws s3 rm s3://prod-backups/2026 --recursive"),
];

fn bare_parse(text: &str) -> brush_parser::ast::Program {
    let options = brush_parser::ParserOptions::default();
    let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options);
    parser.parse_program().unwrap()
}

/// The text run by the commands that nest one (`bash -c`, `ssh`), as analysis re-parses it.
const NESTED: &[(&str, &str)] = &[
    ("bash_c", "cd /srv && tar czf backup.tgz data"),
    ("ssh", "sudo systemctl restart nginx"),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("shell");
    for (name, text) in COMMANDS {
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| bare_parse(std::hint::black_box(text)))
        });
        if let Some((_, inner)) = NESTED.iter().find(|(n, _)| n == name) {
            group.bench_function(format!("parse_nested/{name}"), |b| {
                b.iter(|| {
                    (
                        bare_parse(std::hint::black_box(text)),
                        bare_parse(std::hint::black_box(inner)),
                    )
                })
            });
        }
        group.bench_function(format!("analyze/{name}"), |b| {
            b.iter(|| analyze(std::hint::black_box(text), &Origin::top()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
