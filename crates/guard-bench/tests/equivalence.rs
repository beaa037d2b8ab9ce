//! The three translations decide alike: for every input of the comparison, guard (the subset),
//! Cedar, Regorus's interpreter and Regorus's VM give the same decision and the same set of
//! matched rule ids. A translation that diverges on any input fails this test; so does a Cedar
//! policy that errors (Cedar would silently skip it), and so does a rule no input exercises.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use guard_bench::{Cedar, Rego, RegoVm, Verdict};
use guard_model::Effect;

#[test]
fn every_engine_decides_every_input_alike() {
    let cases = guard_bench::cases().unwrap();
    let guard = guard_bench::guard_subset().unwrap();
    let cedar = Cedar::load().unwrap();
    let mut rego = Rego::load().unwrap();
    let mut rvm = RegoVm::load().unwrap();

    let mut failures = Vec::new();
    for case in &cases {
        let g = Verdict::of_guard(&guard_engine::evaluate(
            &guard,
            &case.request,
            &case.actions,
        ))
        .unwrap();
        let c = cedar.verdict(&case.cedar_requests);
        let r = rego.verdict(&case.rego_input);
        let v = rvm.verdict(&case.rego_input);
        for (engine, verdict) in [("cedar", &c), ("regorus", &r), ("regorus-rvm", &v)] {
            match verdict {
                Ok(verdict) if *verdict == g => {}
                other => failures.push(format!("{}: guard {g:?}, {engine} {other:?}", case.name)),
            }
        }
        // The decision-only entry points the bench times agree too.
        assert_eq!(
            cedar.decide(&case.cedar_requests),
            g.effect,
            "{}",
            case.name
        );
        let decided = rego.decide(&case.rego_input).unwrap();
        assert_eq!(
            guard_bench::rego_effect(&decided).unwrap(),
            g.effect,
            "{}",
            case.name
        );
        let decided = rvm.decide(&case.rego_input).unwrap();
        assert_eq!(
            guard_bench::rego_effect(&decided).unwrap(),
            g.effect,
            "{}",
            case.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every rule of the subset is matched by some input, and the three files name the same rules.
#[test]
fn every_rule_is_exercised_and_named_alike() {
    let cases = guard_bench::cases().unwrap();
    let guard = guard_bench::guard_subset().unwrap();
    let guard_rules: BTreeSet<String> = guard.rules().iter().map(|r| r.id.clone()).collect();
    let cedar = Cedar::load().unwrap();
    assert_eq!(
        cedar.rule_ids(),
        guard_rules,
        "compare.cedar names other rules"
    );

    let mut matched = BTreeSet::new();
    let mut effects = BTreeSet::new();
    for case in &cases {
        let verdict = Verdict::of_guard(&guard_engine::evaluate(
            &guard,
            &case.request,
            &case.actions,
        ))
        .unwrap();
        matched.extend(verdict.rules);
        effects.insert(verdict.effect);
    }
    let unexercised: Vec<&String> = guard_rules.difference(&matched).collect();
    assert!(unexercised.is_empty(), "no input matches {unexercised:?}");
    assert_eq!(
        effects,
        BTreeSet::from([Effect::Allow, Effect::RequireApproval, Effect::Deny])
    );
    // Rego's rule ids are checked by the equivalence test, since every rule matches somewhere.
}

/// The harness can tell translations apart: altering one condition of one rule, in Cedar or
/// in Rego, makes some input decide differently from guard.
#[test]
fn a_diverging_translation_is_detected() {
    let cases = guard_bench::cases().unwrap();
    let guard = guard_bench::guard_subset().unwrap();
    let expected: Vec<Verdict> = cases
        .iter()
        .map(|c| {
            Verdict::of_guard(&guard_engine::evaluate(&guard, &c.request, &c.actions)).unwrap()
        })
        .collect();

    let cedar_mutations = [
        // `no_truncate` forgets its `unless stmt.temporary`.
        (
            "unless { context.temporary };\n\n// sql.destructive.no_drop_column",
            ";\n\n// sql.destructive.no_drop_column",
        ),
        // `rm_system_paths` no longer knows the normalised `recursive` flag.
        ("[\"recursive\", \"r\", \"R\"]", "[\"r\", \"R\"]"),
    ];
    for (from, to) in cedar_mutations {
        assert!(
            guard_bench::SUBSET_CEDAR.contains(from),
            "mutation target `{from}` is gone"
        );
        let cedar = Cedar::from_text(&guard_bench::SUBSET_CEDAR.replacen(from, to, 1)).unwrap();
        let diverges = cases
            .iter()
            .zip(&expected)
            .any(|(c, g)| cedar.verdict(&c.cedar_requests).ok().as_ref() != Some(g));
        assert!(diverges, "altering Cedar `{from}` went unnoticed");
    }

    let rego_mutations = [
        // `delete_without_where` forgets `not a.effective_where`.
        (
            "a.statement == \"delete\"\n\tnot a.effective_where\n",
            "a.statement == \"delete\"\n",
        ),
        // `opaque.needs_approval` forgets its `decoded_exec` exception.
        ("a.cause != \"decoded_exec\"", "true"),
    ];
    for (from, to) in rego_mutations {
        assert!(
            guard_bench::SUBSET_REGO.contains(from),
            "mutation target `{from}` is gone"
        );
        let mut rego = Rego::from_text(&guard_bench::SUBSET_REGO.replacen(from, to, 1)).unwrap();
        let diverges = cases
            .iter()
            .zip(&expected)
            .any(|(c, g)| rego.verdict(&c.rego_input).ok().as_ref() != Some(g));
        assert!(diverges, "altering Rego `{from}` went unnoticed");
    }
}

/// The subset still mirrors the shipped library: on every input, the subset's rules match
/// exactly where the shipped rules of the same id match. The simplifications could make a
/// subset rule broader or narrower on other inputs; on these they change nothing, so a change
/// to a shipped rule that the copy does not follow shows up here.
#[test]
fn the_subset_agrees_with_the_shipped_rules_it_copies() {
    let cases = guard_bench::cases().unwrap();
    let subset = guard_bench::guard_subset().unwrap();
    let shipped = guard_bench::guard_shipped().unwrap();
    let subset_rules: BTreeSet<String> = subset.rules().iter().map(|r| r.id.clone()).collect();
    let shipped_rules: BTreeSet<String> = shipped.rules().iter().map(|r| r.id.clone()).collect();
    let missing: Vec<&String> = subset_rules.difference(&shipped_rules).collect();
    assert!(
        missing.is_empty(),
        "not in the shipped library: {missing:?}"
    );

    for case in &cases {
        let ours = Verdict::of_guard(&guard_engine::evaluate(
            &subset,
            &case.request,
            &case.actions,
        ))
        .unwrap()
        .rules;
        let theirs: BTreeSet<String> = Verdict::of_guard(&guard_engine::evaluate(
            &shipped,
            &case.request,
            &case.actions,
        ))
        .unwrap()
        .rules
        .intersection(&subset_rules)
        .cloned()
        .collect();
        assert_eq!(ours, theirs, "{}", case.name);
    }
}

/// The `set`s of a guard module's text: name → the quoted strings between `{` and the first
/// `}` outside quotes (`"${HOME}"` holds one).
fn guard_sets(text: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut sets = std::collections::BTreeMap::new();
    let mut rest = text;
    while let Some(start) = rest.find("\nset ") {
        rest = &rest[start + 5..];
        let name = rest[..rest.find(' ').unwrap()].to_string();
        let mut elements = Vec::new();
        let mut quoted: Option<String> = None;
        for ch in rest[rest.find('{').unwrap() + 1..].chars() {
            match (&mut quoted, ch) {
                (None, '}') => break,
                (None, '"') => quoted = Some(String::new()),
                (Some(s), '"') => {
                    elements.push(std::mem::take(s));
                    quoted = None;
                }
                (Some(s), c) => s.push(c),
                (None, _) => {}
            }
        }
        sets.insert(name, elements);
    }
    sets
}

/// The peers' data (`config.json`) is the subset's `config.guard`, set for set and element for
/// element, and both are copies of the shipped `policies/config.guard`'s sets of those names.
#[test]
fn config_json_holds_the_sets_of_config_guard() {
    let text = guard_bench::SUBSET_GUARD
        .iter()
        .find(|(name, _)| *name == "config.guard")
        .unwrap()
        .1;
    let in_guard = guard_sets(text);
    let in_json: std::collections::BTreeMap<String, Vec<String>> = guard_bench::config_sets()
        .unwrap()
        .into_iter()
        .map(|(name, v)| (name, serde_json::from_value(v).unwrap()))
        .collect();
    assert_eq!(in_guard.len(), 15, "config.guard's sets were not all found");
    assert_eq!(in_guard, in_json);

    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/config.guard"),
    )
    .unwrap();
    let shipped = guard_sets(&shipped);
    for (name, elements) in &in_guard {
        assert_eq!(
            Some(elements),
            shipped.get(name),
            "set `{name}` differs from the shipped policies/config.guard"
        );
    }
}
