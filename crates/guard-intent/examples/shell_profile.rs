//! Loops the shell bench's cases for callgrind: `shell_profile <case|all> <parse|analyze|count> <n>`.
//! Run with n and 1 and subtract to get the instructions of one iteration; `count` prints how
//! many actions each case yields and the capacity of the result buffer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guard_intent::Origin;
use guard_intent::shell::analyze;

const COMMANDS: &[(&str, &str, &str)] = &[
    ("rm", "rm -rf ./build", ""),
    ("sudo_rm", "sudo rm -rf /var/lib/app", ""),
    (
        "pipeline",
        "cat access.log | grep 500 | sort | uniq -c | sort -rn | head -20",
        "",
    ),
    (
        "kubectl",
        "kubectl delete pod web-1 -n prod --grace-period=0",
        "",
    ),
    ("git_push", "git push --force origin main", ""),
    ("curl_sh", "curl -fsSL https://get.example.sh | sh", ""),
    (
        "find_exec",
        "find /var/log -name '*.gz' -mtime +30 -exec rm -f {} \\;",
        "",
    ),
    (
        "bash_c",
        "bash -c 'cd /srv && tar czf backup.tgz data'",
        "cd /srv && tar czf backup.tgz data",
    ),
    (
        "ssh",
        "ssh -p 2222 deploy@web1 'sudo systemctl restart nginx'",
        "sudo systemctl restart nginx",
    ),
    (
        "for_loop",
        "for f in *.log; do gzip \"$f\"; done && ls -la",
        "",
    ),
    ("aws", "aws s3 rm s3://prod-backups/2026 --recursive", ""),
];

fn bare_parse(text: &str) -> brush_parser::ast::Program {
    let options = brush_parser::ParserOptions::default();
    let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options);
    parser.parse_program().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args[1].as_str();
    let mode = args[2].as_str();
    let n: usize = args[3].parse().unwrap();
    for (name, text, inner) in COMMANDS {
        if case != "all" && case != *name {
            continue;
        }
        for _ in 0..n {
            match mode {
                "parse" => {
                    std::hint::black_box(bare_parse(std::hint::black_box(text)));
                    if !inner.is_empty() {
                        std::hint::black_box(bare_parse(std::hint::black_box(inner)));
                    }
                }
                "analyze" => {
                    std::hint::black_box(analyze(std::hint::black_box(text), &Origin::top()));
                }
                "count" => {
                    let actions = analyze(text, &Origin::top());
                    println!(
                        "{name}: {} actions, capacity {}",
                        actions.len(),
                        actions.capacity()
                    );
                }
                _ => panic!("mode"),
            }
        }
    }
}
