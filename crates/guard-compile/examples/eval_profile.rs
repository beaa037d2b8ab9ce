//! Instruction counts per evaluation under callgrind: compiles `policies/`, analyses one of the
//! e2e bench's commands and evaluates it N times. Run it with N and with 1 and subtract, or
//! toggle collection on `evaluate`:
//! `valgrind --tool=callgrind --toggle-collect='*evaluate*' target/release/examples/eval_profile shell_rm 1001`.
//! A warm-up decision runs first, outside `evaluate`, so the toggled count is N steady-state
//! decisions. With `GUARD_LIST_ADMITTED=1` it first lists, per action, the rules the prefilter
//! does not rule out. (Bundle load: `guard-engine`'s `load_profile` example.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/shipped.rs"]
mod shipped;

use shipped::COMMANDS;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("shell_rm", String::as_str);
    let n: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1);
    let sources = shipped::shipped_sources();
    let policy = guard_compile::compile_sources(&sources).policy.unwrap();
    let (_, channel, text) = COMMANDS.iter().find(|(c, ..)| *c == name).unwrap();
    let request = shipped::production_request(*channel, text);
    let actions = guard_intent::analyze(&request);
    // Warm-up outside `evaluate` (the plan, compiled patterns, the thread's buffers), so that
    // toggling collection on `*evaluate*` counts only steady-state decisions.
    policy.prepare();
    let rcx = guard_engine::RequestContext::new(&request, &actions);
    std::hint::black_box(guard_engine::decide(&policy, &rcx));
    if std::env::var_os("GUARD_LIST_ADMITTED").is_some() {
        // The rules the prefilter lets through, per action (each is interpreted).
        for (a, rule) in guard_engine::eval::prefilter_admitted(&policy, &rcx) {
            let text = actions.get(a).map_or("", |x| x.text.as_str());
            println!("action {a} `{text}`: {rule}");
        }
    }
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
