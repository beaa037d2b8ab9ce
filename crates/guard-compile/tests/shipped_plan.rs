//! The engine's load-time plan (prefilter, hoisted request guards, per-request cache, fast
//! paths) decides exactly as plain interpretation of every rule, on the shipped standard
//! library and every request of the labelled corpus (`tests/corpus/*.jsonl`), plus variants
//! of each request on other environments and actors; and a bundle of it, whose prefilter is
//! built from the reduction the bundle stores, decides as the compiled policy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support {
    pub mod shipped;
}

use guard_engine::eval::decide_reference;
use guard_engine::{RequestContext, decide};
use guard_model::{ActorKind, Request};
use support::shipped::{root, shipped_sources};

#[test]
fn the_plan_decides_the_corpus_as_plain_interpretation() {
    let sources = shipped_sources();
    let policy = guard_compile::compile_sources(&sources)
        .policy
        .expect("the shipped policies compile");
    let metadata = guard_compile::metadata(&sources, |_, f| f.name.clone(), 1, None);
    let loaded = guard_engine::decode(&guard_engine::encode(&policy, &metadata).unwrap()).unwrap();
    loaded.check_fully().unwrap();

    let mut checked = 0;
    for name in ["benign.jsonl", "dangerous.jsonl"] {
        let text = std::fs::read_to_string(root().join("tests/corpus").join(name)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let base: Request = serde_json::from_str(line).unwrap();
            let mut variants = vec![base.clone()];
            for env in ["staging", "prod-eu-west", ""] {
                let mut r = base.clone();
                r.target.env = env.into();
                variants.push(r);
            }
            let mut human = base.clone();
            human.actor.kind = ActorKind::Human;
            human.actor.groups = vec!["oncall".into(), "dba".into()];
            variants.push(human);
            for request in variants {
                let actions = guard_intent::analyze(&request);
                let rcx = RequestContext::new(&request, &actions);
                let planned = decide(&policy, &rcx);
                assert_eq!(
                    planned,
                    decide_reference(&policy, &rcx),
                    "{}: {:?} on {:?}",
                    request.id,
                    request.command,
                    request.target.env
                );
                assert_eq!(
                    decide(&loaded.policy, &rcx),
                    planned,
                    "{}: {:?} on {:?}, from the bundle",
                    request.id,
                    request.command,
                    request.target.env
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 5_000, "only {checked} requests checked");
}
