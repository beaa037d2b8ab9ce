//! Properties of evaluation on random requests and actions against a ~40-rule policy: it never
//! panics, is deterministic, decides by the strongest enforced match (else the default), only
//! applies rules to actions of their kind, and gives the same answer after a bundle round trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use guard_engine::{decode, encode, evaluate};
use guard_model::{Action, ActionKind, ActorKind, DecisionKind, StatementKind};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use support::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_is_total_deterministic_and_consistent(
        request in request_strategy(),
        actions in prop::collection::vec(action(), 0..6),
    ) {
        let policy = standard_like_policy();
        let first = evaluate(&policy, &request, &actions);
        let second = evaluate(&policy, &request, &actions);
        prop_assert_eq!(&first, &second);

        let strongest = first
            .matches
            .iter()
            .filter(|m| m.mode == guard_model::Mode::Enforce)
            .map(|m| m.effect)
            .max()
            .unwrap_or(policy.default_effect());
        prop_assert_eq!(first.decision, DecisionKind::from(strongest));

        for rule in policy.rules() {
            let matched = first.matches.iter().filter(|m| *m.rule == *rule.id).count();
            let eligible = match rule.on {
                Some(kind) => actions.iter().filter(|a| a.kind() == kind).count(),
                None => 1,
            };
            prop_assert!(matched <= eligible, "{} matched {} times for {} eligible", rule.id, matched, eligible);
        }
        let kinds: Vec<ActionKind> = actions.iter().map(Action::kind).collect();
        for m in &first.matches {
            let rule = policy.rules().iter().find(|r| *r.id == *m.rule).unwrap();
            if let Some(kind) = rule.on {
                prop_assert!(kinds.contains(&kind));
            }
        }
    }
}

#[test]
fn a_bundle_round_trip_decides_identically() {
    let policy = standard_like_policy();
    let loaded = decode(&encode(&policy, &metadata()).unwrap()).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (request_strategy(), prop::collection::vec(action(), 0..6));
    let mut kinds = std::collections::BTreeMap::new();
    let mut rules = std::collections::BTreeSet::new();
    for _ in 0..512 {
        let (request, actions) = strategy.new_tree(&mut runner).unwrap().current();
        let mut from_bundle = loaded.evaluate(&request, &actions);
        from_bundle.bundle = None;
        let direct = evaluate(&policy, &request, &actions);
        assert_eq!(from_bundle, direct);
        *kinds.entry(format!("{:?}", direct.decision)).or_insert(0) += 1;
        rules.extend(direct.matches.into_iter().map(|m| m.rule));
    }
    // The generator must exercise the policy, or the properties above say little.
    assert!(kinds.len() >= 3, "decisions seen: {kinds:?}");
    assert!(
        rules.len() >= 20,
        "only {} rules ever matched: {rules:?}",
        rules.len()
    );
}

#[test]
fn the_standard_like_policy_matches_what_it_should() {
    let policy = standard_like_policy();
    let mut rm = exec("rm", &["recursive", "force"], &["/etc"]);
    rm.span = [0, 11];
    let d = evaluate(&policy, &request("production", "rm -rf /etc"), &[rm]);
    assert_eq!(d.decision, DecisionKind::Deny);
    assert_eq!(&*d.matches[0].rule, "shell.fs.rm_rf_critical");
    assert_eq!(d.matches[0].message, "recursive delete of /etc");
    let mut agent = request("production", "SELECT * FROM billing.invoices");
    agent.actor.kind = ActorKind::Agent;
    let d = evaluate(
        &policy,
        &agent,
        &[sql(StatementKind::Select, &["billing.invoices"], [0, 30])],
    );
    assert_eq!(d.decision, DecisionKind::Warn);
    assert_eq!(
        d.matches[0].message,
        "agent reads billing tables billing.invoices"
    );
}
