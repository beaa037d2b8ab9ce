//! Properties of evaluation on random requests and actions against a ~40-rule policy: it never
//! panics, is deterministic, decides by the strongest enforced match (else the default), only
//! applies rules to actions of their kind, and gives the same answer after a bundle round trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use guard_engine::{decode, encode, evaluate};
use guard_model::{
    Action, ActionDetail, ActionKind, ActorKind, CloudAction, CopyTarget, DecisionKind, ExecAction, GitAction,
    K8sAction, ObjectKind, OpaqueAction, Request, SqlAction, StatementKind, TerraformAction,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use support::*;

const WORDS: &[&str] = &[
    "", "/", "/etc", "/etc/passwd", "/var/lib/pg", "rm", "sh", "curl", "recursive", "force", "flush", "777", "1",
    "production", "staging", "prod-eu", "billing.invoices", "public.users", "pg_catalog.pg_class", "pgaudit.log",
    "pg_read_file", "public", "superuser", "ssn", "main", "delete", "namespaces", "prod-web", "secrets", "helm",
    "evil.example.org", "db.internal.example.com", "drop_column", "ÉTÉ", "a*b", "prod-db-1",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_string)
}

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(word(), 0..4)
}

fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(all)
}

fn detail() -> impl Strategy<Value = ActionDetail> {
    prop_oneof![
        (pick(StatementKind::ALL), pick(ObjectKind::ALL), words(), words(), words(), any::<[bool; 5]>(), pick(CopyTarget::ALL), words())
            .prop_map(|(statement, object, tables, functions, settings, b, copy, grantees)| {
                ActionDetail::Sql(SqlAction {
                    statement,
                    object,
                    writes: tables.clone(),
                    tables,
                    functions,
                    settings,
                    grantees,
                    has_where: b[0],
                    effective_where: b[1],
                    in_cte: b[2],
                    cascade: b[3],
                    temporary: b[4],
                    copy,
                    ..SqlAction::default()
                })
            }),
        (word(), words(), words(), words(), words(), any::<bool>(), word()).prop_map(
            |(program, flags, paths, piped_from, hosts, elevated, remote_host)| {
                ActionDetail::Exec(ExecAction {
                    path: format!("/usr/bin/{program}"),
                    program,
                    operands: paths.clone(),
                    sends: hosts.iter().take(1).cloned().collect(),
                    writes: paths.clone(),
                    flags,
                    paths,
                    piped_from,
                    hosts,
                    elevated,
                    remote_host,
                    ..ExecAction::default()
                })
            }
        ),
        (word(), word(), words(), word(), any::<bool>(), any::<bool>()).prop_map(|(verb, resource, names, namespace, all, all_namespaces)| {
            ActionDetail::K8s(K8sAction { tool: "kubectl".into(), verb, resource, names, namespace, all, all_namespaces, ..K8sAction::default() })
        }),
        (word(), any::<bool>(), any::<bool>()).prop_map(|(subcommand, auto_approve, destroy)| {
            ActionDetail::Terraform(TerraformAction { tool: "terraform".into(), subcommand, auto_approve, destroy, ..TerraformAction::default() })
        }),
        (any::<bool>(), words()).prop_map(|(force, refs)| ActionDetail::Git(GitAction { subcommand: "push".into(), force, refs, ..GitAction::default() })),
        (word(), word()).prop_map(|(service, operation)| ActionDetail::Cloud(CloudAction { provider: "aws".into(), service, operation, ..CloudAction::default() })),
        word().prop_map(|reason| ActionDetail::Opaque(OpaqueAction { reason, ..OpaqueAction::default() })),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    (detail(), 0u32..100, 0u32..50, words()).prop_map(|(detail, start, len, via)| Action {
        span: [start, start + len],
        via,
        text: String::new(),
        detail,
    })
}

fn request_strategy() -> impl Strategy<Value = Request> {
    (word(), pick(ActorKind::ALL), word()).prop_map(|(env, kind, command)| {
        let mut r = request(&env, &command);
        r.actor.kind = kind;
        r
    })
}

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
            let matched = first.matches.iter().filter(|m| m.rule == rule.id).count();
            let eligible = match rule.on {
                Some(kind) => actions.iter().filter(|a| a.kind() == kind).count(),
                None => 1,
            };
            prop_assert!(matched <= eligible, "{} matched {} times for {} eligible", rule.id, matched, eligible);
        }
        let kinds: Vec<ActionKind> = actions.iter().map(Action::kind).collect();
        for m in &first.matches {
            let rule = policy.rules().iter().find(|r| r.id == m.rule).unwrap();
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
    for _ in 0..256 {
        let (request, actions) = strategy.new_tree(&mut runner).unwrap().current();
        let mut from_bundle = loaded.evaluate(&request, &actions);
        from_bundle.bundle = None;
        assert_eq!(from_bundle, evaluate(&policy, &request, &actions));
    }
}

#[test]
fn the_standard_like_policy_matches_what_it_should() {
    let policy = standard_like_policy();
    let mut rm = exec("rm", &["recursive", "force"], &["/etc"]);
    rm.span = [0, 11];
    let d = evaluate(&policy, &request("production", "rm -rf /etc"), &[rm]);
    assert_eq!(d.decision, DecisionKind::Deny);
    assert_eq!(d.matches[0].rule, "shell.fs.rm_rf_critical");
    assert_eq!(d.matches[0].message, "recursive delete of /etc");
    let mut agent = request("production", "SELECT * FROM billing.invoices");
    agent.actor.kind = ActorKind::Agent;
    let d = evaluate(&policy, &agent, &[sql(StatementKind::Select, &["billing.invoices"], [0, 30])]);
    assert_eq!(d.decision, DecisionKind::Warn);
    assert_eq!(d.matches[0].message, "agent reads billing tables billing.invoices");
}
