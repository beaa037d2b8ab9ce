//! Evaluation semantics (DESIGN.md §3): per-action matching, precedence, default, audit mode,
//! sets, lists, quantifiers, patterns, builtins, interpolation and out-of-scope fields.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use guard_engine::ir::{
    Builtin, CmpOp, ExprId, Pattern, PolicyBuilder, Quantifier, TemplatePiece as T,
};
use guard_engine::{Policy, evaluate};
use guard_model::schema::EnumType;
use guard_model::{Action, ActionKind, DecisionKind, Effect, Field, Mode, Request, StatementKind};
use support::*;

/// A policy of one rule per `(id, effect, on, mode)`, each with condition `true`.
fn always(default: Effect, rules: &[(&str, Effect, Option<ActionKind>, Mode)]) -> Policy {
    let mut b = PolicyBuilder::new(default);
    for (id, effect, on, mode) in rules {
        let t = b.bool(true);
        let mut r = rule(&mut b, id, *effect, *on, t, &[T::Text(id)]);
        r.mode = *mode;
        b.rule(r);
    }
    b.finish().unwrap()
}

/// A policy with one `on` rule whose condition `build` makes, and the decision it gives.
fn check(
    on: Option<ActionKind>,
    request: &Request,
    actions: &[Action],
    build: impl FnOnce(&mut PolicyBuilder) -> ExprId,
) -> bool {
    let mut b = PolicyBuilder::new(Effect::Allow);
    let cond = build(&mut b);
    let r = rule(&mut b, "t.r", Effect::Deny, on, cond, &[T::Text("m")]);
    b.rule(r);
    let policy = b.finish().unwrap();
    let decision = evaluate(&policy, request, actions);
    assert_eq!(
        decision.matches.is_empty(),
        decision.decision == DecisionKind::Allow
    );
    decision.decision == DecisionKind::Deny
}

fn drop_users() -> Vec<Action> {
    vec![sql(
        StatementKind::Drop,
        &["public.users", "billing.invoices"],
        [0, 16],
    )]
}

const SQL: Option<ActionKind> = Some(ActionKind::Sql);
const EXEC: Option<ActionKind> = Some(ActionKind::Exec);

#[test]
fn strongest_enforced_effect_decides() {
    use Effect::*;
    let cases: &[(&[Effect], DecisionKind)] = &[
        (&[Warn, Deny, RequireApproval], DecisionKind::Deny),
        (&[Warn, RequireApproval], DecisionKind::RequireApproval),
        (&[Allow, Warn], DecisionKind::Warn),
        (&[Allow], DecisionKind::Allow),
    ];
    for (effects, expected) in cases {
        let rules: Vec<_> = effects
            .iter()
            .enumerate()
            .map(|(i, e)| (["t.a", "t.b", "t.c"][i], *e, SQL, Mode::Enforce))
            .collect();
        let policy = always(Deny, &rules);
        let d = evaluate(&policy, &request("", "x"), &drop_users());
        assert_eq!(d.decision, *expected, "{effects:?}");
        assert_eq!(d.matches.len(), effects.len());
    }
}

#[test]
fn default_decides_when_nothing_matches() {
    let rules = [("t.exec", Effect::Allow, EXEC, Mode::Enforce)];
    for (default, expected) in [
        (Effect::Allow, DecisionKind::Allow),
        (Effect::Deny, DecisionKind::Deny),
    ] {
        let d = evaluate(&always(default, &rules), &request("", "x"), &drop_users());
        assert_eq!(d.decision, expected);
        assert!(d.matches.is_empty());
    }
}

#[test]
fn an_allow_rule_overrides_default_deny_but_not_a_deny() {
    let allow = always(Effect::Deny, &[("t.ok", Effect::Allow, SQL, Mode::Enforce)]);
    assert_eq!(
        evaluate(&allow, &request("", "x"), &drop_users()).decision,
        DecisionKind::Allow
    );
    let both = always(
        Effect::Allow,
        &[
            ("t.ok", Effect::Allow, SQL, Mode::Enforce),
            ("t.no", Effect::Deny, SQL, Mode::Enforce),
        ],
    );
    assert_eq!(
        evaluate(&both, &request("", "x"), &drop_users()).decision,
        DecisionKind::Deny
    );
}

#[test]
fn audit_matches_are_recorded_but_do_not_decide() {
    let policy = always(
        Effect::Allow,
        &[
            ("t.audit", Effect::Deny, SQL, Mode::Audit),
            ("t.warn", Effect::Warn, SQL, Mode::Enforce),
        ],
    );
    let d = evaluate(&policy, &request("", "x"), &drop_users());
    assert_eq!(d.decision, DecisionKind::Warn);
    assert_eq!(d.matches.len(), 2);
    assert_eq!(
        (&*d.matches[0].rule, d.matches[0].mode),
        ("t.audit", Mode::Audit)
    );
    assert_eq!(d.matches[0].effect, Effect::Deny);

    let only_audit = always(
        Effect::Deny,
        &[("t.audit", Effect::Allow, SQL, Mode::Audit)],
    );
    let d = evaluate(&only_audit, &request("", "x"), &drop_users());
    assert_eq!(
        d.decision,
        DecisionKind::Deny,
        "an audit allow must not override the default"
    );
    assert_eq!(d.matches.len(), 1);
}

#[test]
fn rules_see_only_actions_of_their_kind() {
    let policy = always(
        Effect::Allow,
        &[("t.sql", Effect::Deny, SQL, Mode::Enforce)],
    );
    let d = evaluate(
        &policy,
        &request("", "rm x"),
        &[exec("rm", &[], &["x"]), k8s("get", "pods", "")],
    );
    assert_eq!(d.decision, DecisionKind::Allow);
    assert!(d.matches.is_empty());
    assert_eq!(policy.rules_on(Some(ActionKind::Exec)).count(), 0);
    assert_eq!(policy.rules_on(SQL).count(), 1);
}

#[test]
fn every_action_is_checked_and_matches_come_in_action_then_rule_order() {
    let policy = always(
        Effect::Allow,
        &[
            ("t.first", Effect::Warn, SQL, Mode::Enforce),
            ("t.exec", Effect::Warn, EXEC, Mode::Enforce),
            ("t.second", Effect::Deny, SQL, Mode::Enforce),
            ("t.req", Effect::Warn, None, Mode::Enforce),
        ],
    );
    let mut nested = exec("psql", &[], &[]);
    nested.via = guard_model::List::from(["sudo".into()]);
    nested.span = [0, 4];
    let actions = vec![
        sql(StatementKind::Select, &["a"], [5, 10]),
        nested,
        sql(StatementKind::Drop, &["b"], [11, 20]),
    ];
    let d = evaluate(&policy, &request("", "0123456789012345678901"), &actions);
    let got: Vec<(&str, [u32; 2])> = d.matches.iter().map(|m| (&*m.rule, m.span)).collect();
    assert_eq!(
        got,
        [
            ("t.req", [0, 22]),
            ("t.first", [5, 10]),
            ("t.second", [5, 10]),
            ("t.exec", [0, 4]),
            ("t.first", [11, 20]),
            ("t.second", [11, 20]),
        ]
    );
    assert_eq!(d.matches[3].via, ["sudo"]);
    assert_eq!(d.decision, DecisionKind::Deny);
    assert_eq!(d.id, "r1");
}

#[test]
fn request_rules_run_once_even_without_actions() {
    let policy = always(
        Effect::Allow,
        &[("t.req", Effect::RequireApproval, None, Mode::Enforce)],
    );
    let d = evaluate(&policy, &request("", ""), &[]);
    assert_eq!(d.decision, DecisionKind::RequireApproval);
    assert_eq!(d.matches.len(), 1);
    let d = evaluate(
        &policy,
        &request("", ""),
        &[exec("a", &[], &[]), exec("b", &[], &[])],
    );
    assert_eq!(d.matches.len(), 1);
}

#[test]
fn sets_of_strings_ints_and_enums() {
    let r = request("prod-eu", "x");
    let acts = drop_users();
    assert!(check(SQL, &r, &acts, |b| {
        let env = b.field(Field::TargetEnv);
        let s = b.string_set(["production", "prod-eu"]);
        let s = b.set(s);
        b.is_in(env, s, false)
    }));
    assert!(!check(SQL, &r, &acts, |b| {
        let env = b.field(Field::TargetEnv);
        let s = b.string_set(["production"]);
        let s = b.set(s);
        b.is_in(env, s, false)
    }));
    assert!(check(SQL, &r, &acts, |b| {
        let env = b.field(Field::TargetEnv);
        let s = b.string_set(["staging"]);
        let s = b.set(s);
        b.is_in(env, s, true)
    }));
    assert!(check(SQL, &r, &acts, |b| {
        let n = b.field(Field::RequestActionCount);
        let s = b.int_set([1, 3]);
        let s = b.set(s);
        b.is_in(n, s, false)
    }));
    for (names, expected) in [(&["drop", "truncate"][..], true), (&["delete"][..], false)] {
        assert_eq!(
            check(SQL, &r, &acts, |b| {
                let k = b.field(Field::StmtKind);
                let s = b.enum_set(
                    EnumType::StatementKind,
                    names.iter().map(|n| variant(EnumType::StatementKind, n)),
                );
                let s = b.set(s);
                b.is_in(k, s, false)
            }),
            expected,
            "{names:?}"
        );
    }
    // An enum of another type is never a member, even with the same index.
    assert!(!check(SQL, &r, &acts, |b| {
        let k = b.field(Field::StmtObject);
        let s = b.enum_set(
            EnumType::StatementKind,
            [variant(EnumType::StatementKind, "other")],
        );
        let s = b.set(s);
        b.is_in(k, s, false)
    }));
}

#[test]
fn membership_in_list_fields_and_list_literals() {
    let r = request("production", "rm -rf /");
    let acts = [exec("rm", &["recursive", "force"], &["/"])];
    assert!(check(EXEC, &r, &acts, |b| {
        let flags = b.field(Field::ExecFlags);
        let f = b.str("force");
        b.is_in(f, flags, false)
    }));
    assert!(!check(EXEC, &r, &acts, |b| {
        let flags = b.field(Field::ExecFlags);
        let f = b.str("interactive");
        b.is_in(f, flags, false)
    }));
    assert!(check(EXEC, &r, &acts, |b| {
        let env = b.field(Field::TargetEnv);
        let prog = b.field(Field::ExecProgram);
        let x = b.str("production");
        let list = b.node(guard_engine::ir::Node::List(vec![prog, x].into()));
        b.is_in(env, list, false)
    }));
    assert!(check(None, &r, &acts, |b| {
        let kinds = b.field(Field::RequestActionKinds);
        let exec = b.enum_value(variant(EnumType::ActionKind, "exec"));
        b.is_in(exec, kinds, false)
    }));
    let mut labelled = r.clone();
    labelled
        .target
        .labels
        .insert("team".into(), "billing".into());
    assert!(check(None, &labelled, &acts, |b| {
        let labels = b.field(Field::TargetLabels);
        let l = b.str("team=billing");
        b.is_in(l, labels, false)
    }));
}

#[test]
fn quantifiers_over_lists_and_sets() {
    let r = request("", "x");
    let acts = drop_users();
    let any_billing = |b: &mut PolicyBuilder, q: Quantifier, glob: &str| {
        let t = b.local(0);
        let m = b.matches(t, Pattern::Glob(glob.into())).unwrap();
        let tables = b.field(Field::StmtTables);
        b.quantified(q, 0, tables, m)
    };
    assert!(check(SQL, &r, &acts, |b| any_billing(
        b,
        Quantifier::Any,
        "billing.*"
    )));
    assert!(!check(SQL, &r, &acts, |b| any_billing(
        b,
        Quantifier::All,
        "billing.*"
    )));
    assert!(check(SQL, &r, &acts, |b| any_billing(
        b,
        Quantifier::All,
        "*.*"
    )));
    // Empty list: `any` is false, `all` is true.
    let empty = [sql(StatementKind::Select, &[], [0, 1])];
    assert!(!check(SQL, &r, &empty, |b| any_billing(
        b,
        Quantifier::Any,
        "*"
    )));
    assert!(check(SQL, &r, &empty, |b| any_billing(
        b,
        Quantifier::All,
        "nothing"
    )));
    // Nested, two slots: some table has a name equal to some element of a constant set.
    assert!(check(SQL, &r, &acts, |b| {
        let (t, s) = (b.local(0), b.local(1));
        let eq = b.compare(CmpOp::Eq, t, s);
        let set = b.string_set(["x", "public.users"]);
        let set = b.set(set);
        let inner = b.quantified(Quantifier::Any, 1, set, eq);
        let tables = b.field(Field::StmtTables);
        b.quantified(Quantifier::Any, 0, tables, inner)
    }));
    // Over an int set.
    assert!(check(SQL, &r, &acts, |b| {
        let x = b.local(0);
        let zero = b.int(0);
        let gt = b.compare(CmpOp::Gt, x, zero);
        let set = b.int_set([1, 2, 3]);
        let set = b.set(set);
        b.quantified(Quantifier::All, 0, set, gt)
    }));
}

#[test]
fn globs_match_whole_strings_and_regexes_are_unanchored() {
    let r = request("", "x");
    let acts = [sql(StatementKind::Select, &[], [0, 1])];
    let matches = |subject: &'static str, pattern: Pattern| {
        check(None, &r, &acts, |b| {
            let s = b.str(subject);
            b.matches(s, pattern).unwrap()
        })
    };
    assert!(matches(
        "billing.invoices",
        Pattern::Glob("billing.*".into())
    ));
    assert!(!matches("public.billing", Pattern::Glob("billing".into())));
    assert!(
        matches("/var/log/syslog", Pattern::Glob("/var/*".into())),
        "`*` crosses `/`"
    );
    assert!(matches("a1", Pattern::Glob("a[0-9]".into())));
    assert!(
        !matches("Billing.x", Pattern::Glob("billing.*".into())),
        "case-sensitive"
    );
    assert!(matches(
        "x pg_read_file y",
        Pattern::Regex("pg_(read|ls)".into())
    ));
    assert!(!matches("x pg_read_file", Pattern::Regex("^pg_".into())));
}

#[test]
fn builtins() {
    let r = request("Production", "x");
    let acts = [exec("rm", &["recursive"], &["/usr/bin/", "/etc/passwd"])];
    let string_is = |f: fn(&mut PolicyBuilder) -> ExprId, expected: &'static str| {
        check(EXEC, &r, &acts, |b| {
            let got = f(b);
            let want = b.str(expected);
            b.compare(CmpOp::Eq, got, want)
        })
    };
    assert!(string_is(
        |b| {
            let e = b.field(Field::TargetEnv);
            b.call(Builtin::Lower, vec![e])
        },
        "production"
    ));
    assert!(string_is(
        |b| {
            let e = b.field(Field::TargetEnv);
            b.call(Builtin::Upper, vec![e])
        },
        "PRODUCTION"
    ));
    assert!(string_is(
        |b| {
            let s = b.str("ÉTÉ");
            b.call(Builtin::Lower, vec![s])
        },
        "été"
    ));
    for (path, base) in [
        ("/usr/bin/", "bin"),
        ("/usr/bin/rm", "rm"),
        ("rm", "rm"),
        ("/", "/"),
        ("", ""),
    ] {
        assert!(
            check(EXEC, &r, &acts, |b| {
                let p = b.str(path);
                let got = b.call(Builtin::Basename, vec![p]);
                let want = b.str(base);
                b.compare(CmpOp::Eq, got, want)
            }),
            "basename({path:?})"
        );
    }
    let int_is = |f: fn(&mut PolicyBuilder) -> ExprId, expected: i64| {
        check(EXEC, &r, &acts, |b| {
            let got = f(b);
            let want = b.int(expected);
            b.compare(CmpOp::Eq, got, want)
        })
    };
    assert!(int_is(
        |b| {
            let l = b.field(Field::ExecPaths);
            b.call(Builtin::Len, vec![l])
        },
        2
    ));
    assert!(int_is(
        |b| {
            let s = b.str("été");
            b.call(Builtin::Len, vec![s])
        },
        3
    ));
    assert!(int_is(
        |b| {
            let s = b.string_set(["a", "b", "c"]);
            let s = b.set(s);
            b.call(Builtin::Len, vec![s])
        },
        3
    ));
    let pred = |f: Builtin, s: &'static str, p: &'static str| {
        check(EXEC, &r, &acts, |b| {
            let s = b.str(s);
            let p = b.str(p);
            b.call(f, vec![s, p])
        })
    };
    assert!(pred(Builtin::StartsWith, "/etc/passwd", "/etc/"));
    assert!(!pred(Builtin::StartsWith, "/etc/passwd", "/var"));
    assert!(pred(Builtin::EndsWith, "dump.sql", ".sql"));
    assert!(pred(Builtin::Contains, "a;b", ";"));
    assert!(!pred(Builtin::Contains, "ab", ";"));
}

#[test]
fn comparisons_are_typed_and_mismatches_are_false() {
    let r = request("production", "x");
    let acts = drop_users();
    let cmp = |op: CmpOp, l: i64, rhs: i64| {
        check(None, &r, &acts, |b| {
            let (l, rhs) = (b.int(l), b.int(rhs));
            b.compare(op, l, rhs)
        })
    };
    assert!(
        cmp(CmpOp::Lt, 1, 2)
            && cmp(CmpOp::Le, 2, 2)
            && cmp(CmpOp::Gt, 3, 2)
            && cmp(CmpOp::Ge, 2, 2)
    );
    assert!(!cmp(CmpOp::Lt, 2, 2) && cmp(CmpOp::Ne, 1, 2) && !cmp(CmpOp::Eq, 1, 2));
    assert!(!check(None, &r, &acts, |b| {
        let s = b.str("1");
        let i = b.int(1);
        b.compare(CmpOp::Eq, s, i)
    }));
    assert!(!check(None, &r, &acts, |b| {
        let s = b.str("a");
        let t = b.str("b");
        b.compare(CmpOp::Lt, s, t)
    }));
    assert!(check(SQL, &r, &acts, |b| {
        let k = b.field(Field::StmtKind);
        let d = b.enum_value(variant(EnumType::StatementKind, "drop"));
        b.compare(CmpOp::Eq, k, d)
    }));
}

#[test]
fn boolean_logic_short_circuits_and_handles_empty_operands() {
    let r = request("", "x");
    let acts = drop_users();
    assert!(check(None, &r, &acts, |b| b.and(vec![])));
    assert!(!check(None, &r, &acts, |b| b.or(vec![])));
    assert!(check(None, &r, &acts, |b| {
        let f = b.bool(false);
        let t = b.bool(true);
        let n = b.not(f);
        b.and(vec![n, t])
    }));
    assert!(check(None, &r, &acts, |b| {
        let f = b.bool(false);
        let t = b.bool(true);
        b.or(vec![f, t])
    }));
}

#[test]
fn fields_out_of_scope_read_as_empty_values() {
    let r = request("", "x");
    let acts = [exec("rm", &[], &[])];
    // In an `on request` rule there is no action: `stmt.kind` reads as `other`.
    assert!(check(None, &r, &acts, |b| {
        let k = b.field(Field::StmtKind);
        let other = b.enum_value(variant(EnumType::StatementKind, "other"));
        b.compare(CmpOp::Eq, k, other)
    }));
    // In an exec rule, SQL lists are empty and exec strings of other kinds are "".
    assert!(check(EXEC, &r, &acts, |b| {
        let t = b.field(Field::StmtTables);
        let n = b.call(Builtin::Len, vec![t]);
        let zero = b.int(0);
        let empty = b.compare(CmpOp::Eq, n, zero);
        let k = b.field(Field::K8sVerb);
        let blank = b.str("");
        let k_empty = b.compare(CmpOp::Eq, k, blank);
        b.and(vec![empty, k_empty])
    }));
}

#[test]
fn messages_interpolate_typed_values() {
    let mut b = PolicyBuilder::new(Effect::Allow);
    let t = b.bool(true);
    let kind = b.field(Field::StmtKind);
    let tables = b.field(Field::StmtTables);
    let env = b.field(Field::TargetEnv);
    let count = b.field(Field::RequestActionCount);
    let where_ = b.field(Field::StmtHasWhere);
    let set = b.string_set(["prod-eu", "production"]);
    let set = b.set(set);
    let kinds = b.field(Field::RequestActionKinds);
    let mut r = rule(
        &mut b,
        "sql.destructive.no_schema_drop",
        Effect::Deny,
        SQL,
        t,
        &[
            T::Expr(kind),
            T::Text(" of "),
            T::Expr(tables),
            T::Text(" is blocked on "),
            T::Expr(env),
            T::Text(" ("),
            T::Expr(count),
            T::Text(" action, where="),
            T::Expr(where_),
            T::Text(", envs "),
            T::Expr(set),
            T::Text(", kinds "),
            T::Expr(kinds),
            T::Text(")"),
        ],
    );
    r.help = b.template(&[T::Text("ship this change as a migration on "), T::Expr(env)]);
    r.controls = vec!["SOC2 CC8.1".into(), "ISO 27001 A.8.32".into()];
    b.rule(r);
    let policy = b.finish().unwrap();
    let d = evaluate(
        &policy,
        &request("production", "DROP TABLE users"),
        &drop_users(),
    );
    let m = &d.matches[0];
    assert_eq!(
        m.message,
        "drop of public.users, billing.invoices is blocked on production (1 action, where=false, envs prod-eu, production, kinds sql)"
    );
    assert_eq!(&*m.help, "ship this change as a migration on production");
    assert_eq!(*m.controls, ["SOC2 CC8.1", "ISO 27001 A.8.32"]);
    assert_eq!(m.span, [0, 16]);
    assert_eq!(&*m.rule, "sql.destructive.no_schema_drop");
}

#[test]
fn the_small_policy_decides_like_its_rules_say() {
    let policy = small_policy();
    let drop = evaluate(
        &policy,
        &request("production", "DROP TABLE users"),
        &drop_users(),
    );
    assert_eq!(drop.decision, DecisionKind::Deny);
    assert_eq!(
        drop.matches[0].message,
        "drop of public.users, billing.invoices"
    );
    let staging = evaluate(
        &policy,
        &request("staging", "DROP TABLE users"),
        &drop_users(),
    );
    assert_eq!(staging.decision, DecisionKind::Allow);
    let rm = evaluate(
        &policy,
        &request("", "rm -rf /tmp"),
        &[exec("rm", &["recursive", "force"], &["/tmp"])],
    );
    assert_eq!(rm.decision, DecisionKind::Warn);
    let rm_rel = evaluate(
        &policy,
        &request("", "rm -rf tmp"),
        &[exec("rm", &["recursive"], &["tmp"])],
    );
    assert_eq!(rm_rel.decision, DecisionKind::Allow);
    let ns = evaluate(
        &policy,
        &request("", "kubectl delete ns x"),
        &[k8s("delete", "namespaces", "")],
    );
    assert_eq!(ns.decision, DecisionKind::RequireApproval);
}
