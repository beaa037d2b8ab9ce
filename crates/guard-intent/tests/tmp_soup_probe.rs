#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use guard_model::{Channel, Dialect};
const TOKENS: &[&str] = &[
    "$(", ")", "`", "'", "\"", "\\", "|", "&&", "||", ";", "<<", "<<<", "EOF", "\n", "{", "}", "(", "<(", ">", ">&", "${",
    "IFS", "}", "rm", "-rf", "/", "bash", "-c", "sudo", "xargs", "find", "-exec", "\\;", "eval", "ssh", "psql", "kubectl",
    "delete", "if", "then", "fi", "for", "in", "do", "done", "case", "esac", "=", "a", "$a", "#", "*", "~", "$'\\x72'",
    "/dev/tcp/h/1", "curl", "sh", "base64", "-d", "env", "-i", "timeout", "1",
];
#[test]
fn probe() {
    let mut seed: u64 = 12345;
    let mut next = || { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; seed };
    for _ in 0..20000 {
        let n = (next() % 40) as usize;
        let mut s = String::new();
        for _ in 0..n { s.push_str(TOKENS[(next() % TOKENS.len() as u64) as usize]); s.push_str([" ", "", "\t"][(next() % 3) as usize]); }
        eprintln!("CASE {s:?}");
        let t = std::time::Instant::now();
        let a = guard_intent::analyze_text(Channel::Shell, Dialect::Postgres, &s);
        if t.elapsed().as_millis() > 300 { eprintln!("SLOW {:?} {:?} {}", t.elapsed(), s, a.len()); }
    }
}
