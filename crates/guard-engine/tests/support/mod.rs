//! Helpers shared by the engine's integration tests: terse constructors for rules, requests
//! and actions, and a small policy resembling the standard library.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use guard_engine::ir::{EnumValue, ExprId, Pattern, PolicyBuilder, Rule, SourceLoc, TemplatePiece};
use guard_engine::{Metadata, Policy, Source};
use guard_model::schema::EnumType;
use guard_model::{
    Action, ActionDetail, ActionKind, ActorKind, CloudAction, CopyTarget, Effect, ExecAction,
    Field, GitAction, K8sAction, List, Mode, ObjectKind, OpaqueAction, Request, SqlAction,
    StatementKind, Str, Target, TerraformAction,
};

/// A rule with an id, effect, target, condition and message; enforce mode, no help.
pub fn rule(
    b: &mut PolicyBuilder,
    id: &str,
    effect: Effect,
    on: Option<ActionKind>,
    condition: ExprId,
    message: &[TemplatePiece<'_>],
) -> Rule {
    let message = b.template(message);
    Rule {
        id: id.to_string(),
        doc: String::new(),
        effect,
        mode: Mode::Enforce,
        on,
        condition,
        message,
        help: Default::default(),
        controls: Vec::new(),
        source: SourceLoc {
            file: 0,
            span: [0, 0],
        },
    }
}

pub fn variant(ty: EnumType, name: &str) -> EnumValue {
    EnumValue::named(ty, name).unwrap()
}

pub fn request(env: &str, command: &str) -> Request {
    Request {
        id: "r1".into(),
        command: command.into(),
        target: Target {
            env: env.into(),
            ..Target::default()
        },
        ..Request::default()
    }
}

pub fn sql(statement: StatementKind, tables: &[&str], span: [u32; 2]) -> Action {
    Action {
        span,
        via: List::new(),
        text: String::new(),
        detail: ActionDetail::Sql(SqlAction {
            statement,
            tables: tables.iter().map(|t| Str::from(*t)).collect(),
            ..SqlAction::default()
        }),
    }
}

pub fn exec(program: &str, flags: &[&str], paths: &[&str]) -> Action {
    Action {
        span: [0, 1],
        via: List::new(),
        text: String::new(),
        detail: ActionDetail::Exec(ExecAction {
            program: program.into(),
            path: program.into(),
            flags: flags.iter().map(|t| Str::from(*t)).collect(),
            paths: paths.iter().map(|t| Str::from(*t)).collect(),
            ..ExecAction::default()
        }),
    }
}

pub fn k8s(verb: &str, resource: &str, namespace: &str) -> Action {
    Action {
        span: [0, 1],
        via: List::new(),
        text: String::new(),
        detail: ActionDetail::K8s(K8sAction {
            tool: "kubectl".into(),
            verb: verb.into(),
            resource: resource.into(),
            namespace: namespace.into(),
            ..K8sAction::default()
        }),
    }
}

pub const SOURCE: &str =
    "module demo\n\nrule no_drop: deny on sql\n  when stmt.kind in {drop, truncate}\n";

/// A three-rule policy: deny drops on protected envs, warn on `rm -rf`, require approval for
/// deleting namespaces.
pub fn small_policy() -> Policy {
    let mut b = PolicyBuilder::new(Effect::Allow);
    let kind = b.field(Field::StmtKind);
    let kinds = b.enum_set(
        EnumType::StatementKind,
        [
            variant(EnumType::StatementKind, "drop"),
            variant(EnumType::StatementKind, "truncate"),
        ],
    );
    let kinds = b.set(kinds);
    let is_drop = b.is_in(kind, kinds, false);
    let env = b.field(Field::TargetEnv);
    let envs = b.string_set(["production", "prod-eu"]);
    let envs = b.set(envs);
    let on_prod = b.is_in(env, envs, false);
    let cond = b.and(vec![is_drop, on_prod]);
    let tables = b.field(Field::StmtTables);
    let mut r = rule(
        &mut b,
        "demo.no_drop",
        Effect::Deny,
        Some(ActionKind::Sql),
        cond,
        &[
            TemplatePiece::Expr(kind),
            TemplatePiece::Text(" of "),
            TemplatePiece::Expr(tables),
        ],
    );
    r.doc = "Drops are how a clean-up empties production.".into();
    r.controls = vec!["SOC2 CC8.1".into()];
    r.source = SourceLoc {
        file: 0,
        span: [13, 30],
    };
    b.rule(r);

    let flags = b.field(Field::ExecFlags);
    let rec = b.str("recursive");
    let has_rec = b.is_in(rec, flags, false);
    let t = b.local(0);
    let under_root = b.matches(t, Pattern::Glob("/*".into())).unwrap();
    let paths = b.field(Field::ExecPaths);
    let any_root = b.quantified(guard_engine::ir::Quantifier::Any, 0, paths, under_root);
    let cond = b.and(vec![has_rec, any_root]);
    let r = rule(
        &mut b,
        "demo.rm_rf",
        Effect::Warn,
        Some(ActionKind::Exec),
        cond,
        &[TemplatePiece::Text("recursive delete")],
    );
    b.rule(r);

    let verb = b.field(Field::K8sVerb);
    let delete = b.str("delete");
    let is_delete = b.compare(guard_engine::ir::CmpOp::Eq, verb, delete);
    let resource = b.field(Field::K8sResource);
    let ns = b.str("namespaces");
    let is_ns = b.compare(guard_engine::ir::CmpOp::Eq, resource, ns);
    let cond = b.and(vec![is_delete, is_ns]);
    let r = rule(
        &mut b,
        "demo.ns_delete",
        Effect::RequireApproval,
        Some(ActionKind::K8s),
        cond,
        &[TemplatePiece::Text("namespace deletion")],
    );
    b.rule(r);
    b.finish().unwrap()
}

pub fn metadata() -> Metadata {
    Metadata {
        guard_version: "0.1.0".into(),
        revision: 7,
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        sources: vec![Source::new("policies/demo.guard", SOURCE)],
    }
}

/// Terse expression building for [`standard_like_policy`].
pub struct B {
    pub b: PolicyBuilder,
    rules: usize,
}

impl B {
    pub fn f(&mut self, field: Field) -> ExprId {
        self.b.field(field)
    }
    pub fn s(&mut self, text: &str) -> ExprId {
        self.b.str(text)
    }
    pub fn i(&mut self, value: i64) -> ExprId {
        self.b.int(value)
    }
    pub fn eq(&mut self, lhs: ExprId, rhs: ExprId) -> ExprId {
        self.b.compare(guard_engine::ir::CmpOp::Eq, lhs, rhs)
    }
    pub fn field_is(&mut self, field: Field, text: &str) -> ExprId {
        let (l, r) = (self.f(field), self.s(text));
        self.eq(l, r)
    }
    pub fn gt(&mut self, lhs: ExprId, rhs: ExprId) -> ExprId {
        self.b.compare(guard_engine::ir::CmpOp::Gt, lhs, rhs)
    }
    pub fn and(&mut self, items: Vec<ExprId>) -> ExprId {
        self.b.and(items)
    }
    pub fn or(&mut self, items: Vec<ExprId>) -> ExprId {
        self.b.or(items)
    }
    pub fn not(&mut self, e: ExprId) -> ExprId {
        self.b.not(e)
    }
    pub fn in_strs(&mut self, item: ExprId, items: &[&str]) -> ExprId {
        let set = self.b.string_set(items.iter().copied());
        let set = self.b.set(set);
        self.b.is_in(item, set, false)
    }
    pub fn has(&mut self, list: Field, item: &str) -> ExprId {
        let (l, i) = (self.f(list), self.s(item));
        self.b.is_in(i, l, false)
    }
    pub fn in_enum(&mut self, item: ExprId, ty: EnumType, names: &[&str]) -> ExprId {
        let set = self.b.enum_set(ty, names.iter().map(|n| variant(ty, n)));
        let set = self.b.set(set);
        self.b.is_in(item, set, false)
    }
    pub fn glob(&mut self, subject: ExprId, pattern: &str) -> ExprId {
        self.b
            .matches(subject, Pattern::Glob(pattern.into()))
            .unwrap()
    }
    pub fn re(&mut self, subject: ExprId, pattern: &str) -> ExprId {
        self.b
            .matches(subject, Pattern::Regex(pattern.into()))
            .unwrap()
    }
    pub fn call(&mut self, builtin: guard_engine::ir::Builtin, args: Vec<ExprId>) -> ExprId {
        self.b.call(builtin, args)
    }
    /// `any x in list: body(x)` with `x` in slot 0.
    pub fn any(&mut self, list: Field, body: impl FnOnce(&mut B, ExprId) -> ExprId) -> ExprId {
        let over = self.f(list);
        let x = self.b.local(0);
        let body = body(self, x);
        self.b
            .quantified(guard_engine::ir::Quantifier::Any, 0, over, body)
    }
    pub fn rule(
        &mut self,
        id: &str,
        effect: Effect,
        on: Option<ActionKind>,
        cond: ExprId,
        message: &[TemplatePiece<'_>],
    ) {
        let mut r = rule(&mut self.b, id, effect, on, cond, message);
        r.doc = format!("{id}: what it does.\n\nWhy it matters.");
        r.controls = vec!["SOC2 CC6.1".into()];
        self.rules += 1;
        self.b.rule(r);
    }
}

const PROTECTED: &[&str] = &["production", "prod-eu", "prod-us"];

/// A ~40-rule policy resembling a real standard library: SQL, exec, k8s and other kinds, with
/// sets, globs, regexes, quantifiers and interpolated messages.
pub fn standard_like_policy() -> Policy {
    use Effect::{Deny, RequireApproval as Approve, Warn};
    use TemplatePiece::{Expr as E, Text as T};
    let sql = Some(ActionKind::Sql);
    let exec = Some(ActionKind::Exec);
    let k8s = Some(ActionKind::K8s);
    let st = EnumType::StatementKind;
    let mut p = B {
        b: PolicyBuilder::new(Effect::Allow),
        rules: 0,
    };

    // --- SQL ---
    let kind = p.f(Field::StmtKind);
    let destructive = p.in_enum(kind, st, &["drop", "truncate"]);
    let env = p.f(Field::TargetEnv);
    let prot = p.in_strs(env, PROTECTED);
    let temp = p.f(Field::StmtTemporary);
    let not_temp = p.not(temp);
    let c = p.and(vec![destructive, prot, not_temp]);
    let tables = p.f(Field::StmtTables);
    p.rule(
        "sql.destructive.no_schema_drop",
        Deny,
        sql,
        c,
        &[E(kind), T(" of "), E(tables), T(" is blocked on "), E(env)],
    );

    let dml = p.in_enum(kind, st, &["delete", "update"]);
    let w = p.f(Field::StmtEffectiveWhere);
    let nw = p.not(w);
    let c = p.and(vec![dml, nw]);
    p.rule(
        "sql.destructive.unbounded_delete",
        Approve,
        sql,
        c,
        &[
            E(kind),
            T(" without an effective WHERE touches every row of "),
            E(tables),
        ],
    );

    let copy = p.f(Field::StmtCopy);
    let program = p.b.enum_value(variant(EnumType::CopyTarget, "program"));
    let c = p.eq(copy, program);
    p.rule(
        "sql.exfil.copy_program",
        Deny,
        sql,
        c,
        &[T("COPY to a program runs shell commands on the server")],
    );
    let file = p.b.enum_value(variant(EnumType::CopyTarget, "file"));
    let c = p.eq(copy, file);
    let target = p.f(Field::StmtCopyTarget);
    p.rule(
        "sql.exfil.copy_file",
        Deny,
        sql,
        c,
        &[T("COPY writes server file "), E(target)],
    );

    let c = p.any(Field::StmtFunctions, |p, x| {
        p.in_strs(
            x,
            &[
                "pg_read_file",
                "pg_read_binary_file",
                "lo_export",
                "lo_import",
                "dblink",
                "pg_ls_dir",
            ],
        )
    });
    let fns = p.f(Field::StmtFunctions);
    p.rule(
        "sql.exfil.server_files",
        Deny,
        sql,
        c,
        &[T("server-side file or network access: "), E(fns)],
    );

    let c = p.any(Field::StmtSettings, |p, x| {
        let a = p.glob(x, "pgaudit.*");
        let b = p.in_strs(
            x,
            &[
                "log_statement",
                "log_min_duration_statement",
                "session_replication_role",
            ],
        );
        p.or(vec![a, b])
    });
    p.rule(
        "sql.audit.settings",
        Deny,
        sql,
        c,
        &[T("changing audit settings is blocked")],
    );

    let c = p.has(Field::StmtGrantees, "public");
    p.rule(
        "sql.access.grant_public",
        Deny,
        sql,
        c,
        &[T("GRANT to PUBLIC")],
    );
    let c = p.any(Field::StmtPrivileges, |p, x| {
        p.in_strs(x, &["superuser", "all", "createrole", "bypassrls"])
    });
    p.rule(
        "sql.access.privileges",
        Approve,
        sql,
        c,
        &[T("powerful privileges")],
    );

    let agent = p.b.enum_value(variant(EnumType::ActorKind, "agent"));
    let ak = p.f(Field::ActorKindF);
    let is_agent = p.eq(ak, agent);
    let billing = p.any(Field::StmtTables, |p, x| p.glob(x, "billing.*"));
    let c = p.and(vec![billing, is_agent]);
    p.rule(
        "sql.data.billing_reads",
        Warn,
        sql,
        c,
        &[T("agent reads billing tables "), E(tables)],
    );

    let c = p.any(Field::StmtColumnsRead, |p, x| {
        p.in_strs(x, &["ssn", "card_number", "password_hash", "dob"])
    });
    p.rule(
        "sql.data.pii_columns",
        Warn,
        sql,
        c,
        &[T("reads personal data")],
    );

    let cte = p.f(Field::StmtInCte);
    let c = p.and(vec![cte, dml]);
    p.rule(
        "sql.destructive.dml_in_cte",
        Approve,
        sql,
        c,
        &[T("DML hidden in a CTE")],
    );
    let c = p.f(Field::StmtDynamic);
    p.rule("sql.opaque.dynamic", Approve, sql, c, &[T("dynamic SQL")]);
    let alter = p.in_enum(kind, st, &["alter"]);
    let dc = p.has(Field::StmtOperations, "drop_column");
    let c = p.and(vec![alter, dc]);
    p.rule(
        "sql.destructive.drop_column",
        Approve,
        sql,
        c,
        &[T("drops a column of "), E(tables)],
    );
    let casc = p.f(Field::StmtCascade);
    let c = p.and(vec![destructive, casc]);
    p.rule("sql.destructive.cascade", Deny, sql, c, &[T("CASCADE")]);
    let obj = p.f(Field::StmtObject);
    let big = p.in_enum(obj, EnumType::ObjectKind, &["database", "schema"]);
    let c = p.and(vec![big, destructive]);
    p.rule(
        "sql.destructive.drop_database",
        Deny,
        sql,
        c,
        &[T("drops a "), E(obj)],
    );
    let c = p.any(Field::StmtWrites, |p, x| {
        let prefix = p.s("pg_catalog.");
        let a = p.call(guard_engine::ir::Builtin::StartsWith, vec![x, prefix]);
        let b = p.re(x, r"^information_schema\.");
        p.or(vec![a, b])
    });
    p.rule(
        "sql.system.catalog_writes",
        Deny,
        sql,
        c,
        &[T("writes system catalogs")],
    );

    // --- exec ---
    let is_rm = p.field_is(Field::ExecProgram, "rm");
    let rec = p.has(Field::ExecFlags, "recursive");
    let critical = p.any(Field::ExecPaths, |p, x| {
        let a = p.in_strs(x, &["/", "/etc", "/usr", "/var", "/home", "/boot", "/root"]);
        let b = p.glob(x, "/var/lib/*");
        p.or(vec![a, b])
    });
    let c = p.and(vec![is_rm, rec, critical]);
    let paths = p.f(Field::ExecPaths);
    p.rule(
        "shell.fs.rm_rf_critical",
        Deny,
        exec,
        c,
        &[T("recursive delete of "), E(paths)],
    );
    let prog = p.f(Field::ExecProgram);
    let shell = p.in_strs(prog, &["sh", "bash", "zsh", "dash", "python", "python3"]);
    let fed = p.any(Field::ExecPipedFrom, |p, x| p.in_strs(x, &["curl", "wget"]));
    let c = p.and(vec![shell, fed]);
    p.rule(
        "shell.net.curl_pipe_sh",
        Deny,
        exec,
        c,
        &[T("downloaded code piped into "), E(prog)],
    );
    let sends = p.f(Field::ExecSends);
    let n = p.call(guard_engine::ir::Builtin::Len, vec![sends]);
    let zero = p.i(0);
    let sending = p.gt(n, zero);
    let outside = p.any(Field::ExecHosts, |p, x| {
        let inside = p.glob(x, "*.internal.example.com");
        p.not(inside)
    });
    let c = p.and(vec![sending, outside]);
    let hosts = p.f(Field::ExecHosts);
    p.rule(
        "shell.net.exfiltration",
        Deny,
        exec,
        c,
        &[T("sends "), E(sends), T(" to "), E(hosts)],
    );
    let c = p.in_strs(prog, &["shred", "dd", "mkfs", "wipefs", "mkfs.ext4"]);
    p.rule(
        "shell.fs.disk_wipe",
        Deny,
        exec,
        c,
        &[E(prog), T(" can destroy disks")],
    );
    let chmod = p.field_is(Field::ExecProgram, "chmod");
    let s777 = p.has(Field::ExecOperands, "777");
    let c = p.and(vec![chmod, s777]);
    p.rule(
        "shell.fs.chmod_777",
        Warn,
        exec,
        c,
        &[T("world-writable permissions")],
    );
    let elevated = p.f(Field::ExecElevated);
    let c = p.and(vec![elevated, prot]);
    p.rule(
        "shell.priv.sudo_in_prod",
        Approve,
        exec,
        c,
        &[T("sudo on "), E(env)],
    );
    let c = p.any(Field::ExecWrites, |p, x| {
        let etc = p.s("/etc/");
        p.call(guard_engine::ir::Builtin::StartsWith, vec![x, etc])
    });
    p.rule(
        "shell.fs.etc_writes",
        Deny,
        exec,
        c,
        &[T("writes under /etc")],
    );
    let rh = p.f(Field::ExecRemoteHost);
    let c = p.re(rh, "prod|prd");
    p.rule(
        "shell.net.ssh_prod",
        Approve,
        exec,
        c,
        &[T("remote command on "), E(rh)],
    );
    let fw = p.in_strs(prog, &["iptables", "nft", "ufw"]);
    let fl1 = p.has(Field::ExecFlags, "flush");
    let fl2 = p.has(Field::ExecFlags, "F");
    let fl = p.or(vec![fl1, fl2]);
    let c = p.and(vec![fw, fl]);
    p.rule(
        "shell.net.firewall_flush",
        Deny,
        exec,
        c,
        &[T("flushes firewall rules")],
    );
    let kill = p.in_strs(prog, &["kill", "pkill", "killall"]);
    let init = p.has(Field::ExecOperands, "1");
    let c = p.and(vec![kill, init]);
    p.rule("shell.proc.kill_init", Deny, exec, c, &[T("signals init")]);
    let cron = p.field_is(Field::ExecProgram, "crontab");
    let r = p.has(Field::ExecFlags, "r");
    let c = p.and(vec![cron, r]);
    p.rule(
        "shell.sched.crontab_remove",
        Approve,
        exec,
        c,
        &[T("removes the crontab")],
    );
    let envp = p.in_strs(prog, &["env", "printenv"]);
    let to = p.f(Field::ExecPipedTo);
    let nto = p.call(guard_engine::ir::Builtin::Len, vec![to]);
    let piped = p.gt(nto, zero);
    let c = p.and(vec![envp, piped]);
    p.rule(
        "shell.secrets.env_dump",
        Warn,
        exec,
        c,
        &[T("environment piped to "), E(to)],
    );
    let lp = p.call(guard_engine::ir::Builtin::Lower, vec![prog]);
    let b64 = p.s("base64");
    let is64 = p.eq(lp, b64);
    let d = p.has(Field::ExecFlags, "decode");
    let c = p.and(vec![is64, d]);
    p.rule(
        "shell.opaque.base64_decode",
        Warn,
        exec,
        c,
        &[T("decodes data")],
    );
    let path = p.f(Field::ExecPath);
    let base = p.call(guard_engine::ir::Builtin::Basename, vec![path]);
    let c = p.in_strs(base, &["history", "unset"]);
    p.rule(
        "shell.audit.history",
        Warn,
        exec,
        c,
        &[T("touches shell history")],
    );

    // Nested quantifiers over a constant set (the standard library's favourite shape).
    let logs = p.b.string_set(["/var/log", "/var/audit", "/etc/rsyslog"]);
    for (id, builtin, with_eq) in [
        (
            "shell.audit.log_writes",
            guard_engine::ir::Builtin::StartsWith,
            false,
        ),
        (
            "shell.audit.log_paths",
            guard_engine::ir::Builtin::StartsWith,
            true,
        ),
        (
            "shell.audit.log_suffix",
            guard_engine::ir::Builtin::EndsWith,
            false,
        ),
    ] {
        let w = p.b.local(0);
        let d = p.b.local(1);
        let call = p.b.call(builtin, vec![w, d]);
        let body = if with_eq {
            let eq = p.eq(w, d);
            p.or(vec![eq, call])
        } else {
            call
        };
        let set = p.b.set(logs);
        let inner =
            p.b.quantified(guard_engine::ir::Quantifier::Any, 1, set, body);
        let list = p.f(if with_eq {
            Field::ExecPaths
        } else {
            Field::ExecWrites
        });
        let c =
            p.b.quantified(guard_engine::ir::Quantifier::Any, 0, list, inner);
        p.rule(id, Warn, exec, c, &[T("touches audit logs")]);
    }

    // --- k8s ---
    let del = p.field_is(Field::K8sVerb, "delete");
    let ns = p.field_is(Field::K8sResource, "namespaces");
    let c = p.and(vec![del, ns]);
    let names = p.f(Field::K8sNames);
    p.rule(
        "k8s.destructive.delete_namespace",
        Deny,
        k8s,
        c,
        &[T("deletes namespaces "), E(names)],
    );
    let all = p.f(Field::K8sAll);
    let alln = p.f(Field::K8sAllNamespaces);
    let any_all = p.or(vec![all, alln]);
    let c = p.and(vec![del, any_all]);
    p.rule(
        "k8s.destructive.delete_all",
        Deny,
        k8s,
        c,
        &[T("deletes every object")],
    );
    let kns = p.f(Field::K8sNamespace);
    let prodns = p.glob(kns, "prod-*");
    let verb = p.f(Field::K8sVerb);
    let risky = p.in_strs(
        verb,
        &["delete", "scale", "drain", "cordon", "rollout restart"],
    );
    let c = p.and(vec![prodns, risky]);
    p.rule(
        "k8s.prod.risky_verbs",
        Approve,
        k8s,
        c,
        &[E(verb), T(" in "), E(kns)],
    );
    let ex = p.field_is(Field::K8sVerb, "exec");
    let c = p.and(vec![ex, prodns]);
    p.rule(
        "k8s.prod.exec",
        Warn,
        k8s,
        c,
        &[T("exec into a pod in "), E(kns)],
    );
    let sec = p.field_is(Field::K8sResource, "secrets");
    let read = p.in_strs(verb, &["get", "describe", "edit"]);
    let c = p.and(vec![sec, read]);
    p.rule("k8s.secrets.read", Approve, k8s, c, &[T("reads secrets")]);
    let helm = p.field_is(Field::K8sTool, "helm");
    let un = p.field_is(Field::K8sVerb, "uninstall");
    let c = p.and(vec![helm, un]);
    p.rule(
        "k8s.helm.uninstall",
        Approve,
        k8s,
        c,
        &[T("uninstalls a release")],
    );

    // --- other kinds ---
    let destroy = p.f(Field::TfDestroy);
    let apply = p.field_is(Field::TfSubcommand, "apply");
    let auto = p.f(Field::TfAutoApprove);
    let auto_apply = p.and(vec![apply, auto]);
    let c = p.or(vec![destroy, auto_apply]);
    p.rule(
        "infra.terraform.destroy",
        Deny,
        Some(ActionKind::Terraform),
        c,
        &[T("unreviewed infrastructure change")],
    );
    let force = p.f(Field::GitForce);
    let main = p.any(Field::GitRefs, |p, x| {
        p.in_strs(x, &["main", "master", "release"])
    });
    let c = p.and(vec![force, main]);
    p.rule(
        "vcs.git.force_push_main",
        Deny,
        Some(ActionKind::Git),
        c,
        &[T("force push to a protected branch")],
    );
    let ct = p.field_is(Field::CloudService, "cloudtrail");
    let op = p.f(Field::CloudOperation);
    let stop = p.in_strs(op, &["delete-trail", "stop-logging", "update-trail"]);
    let c = p.and(vec![ct, stop]);
    p.rule(
        "cloud.audit.cloudtrail",
        Deny,
        Some(ActionKind::Cloud),
        c,
        &[T("disables CloudTrail: "), E(op)],
    );
    let sv = p.f(Field::SvcVerb);
    let stopping = p.in_strs(sv, &["stop", "disable", "mask", "kill"]);
    let auditd = p.has(Field::SvcUnits, "auditd");
    let c = p.and(vec![stopping, auditd]);
    p.rule(
        "host.audit.auditd",
        Deny,
        Some(ActionKind::Service),
        c,
        &[T("stops auditd")],
    );
    let rc = p.f(Field::RedisCommand);
    let c = p.in_strs(rc, &["flushall", "flushdb"]);
    p.rule(
        "data.redis.flush",
        Deny,
        Some(ActionKind::Redis),
        c,
        &[E(rc), T(" empties Redis")],
    );
    let t = p.b.bool(true);
    let reason = p.f(Field::OpaqueReason);
    p.rule(
        "opaque.review",
        Approve,
        Some(ActionKind::Opaque),
        t,
        &[T("guard cannot tell what this does: "), E(reason)],
    );
    let count = p.f(Field::RequestActionCount);
    let twenty = p.i(20);
    let many = p.gt(count, twenty);
    let c = p.and(vec![is_agent, many]);
    p.rule(
        "request.agent.too_many_actions",
        Approve,
        None,
        c,
        &[T("agent sends "), E(count), T(" actions at once")],
    );

    assert!(p.rules >= 40, "{} rules", p.rules);
    p.b.finish().unwrap()
}

// --- random requests and actions (proptest strategies) ---

const WORDS: &[&str] = &[
    "chmod",
    "kill",
    "crontab",
    "env",
    "base64",
    "iptables",
    "dd",
    "exec",
    "scale",
    "get",
    "uninstall",
    "pods",
    "apply",
    "cloudtrail",
    "delete-trail",
    "auditd",
    "flushall",
    "r",
    "decode",
    "history",
    "",
    "/",
    "/etc",
    "/etc/passwd",
    "/var/lib/pg",
    "/var/log",
    "/var/log/syslog",
    "/tmp/x/var/audit",
    "rm",
    "sh",
    "curl",
    "recursive",
    "force",
    "flush",
    "777",
    "1",
    "production",
    "staging",
    "prod-eu",
    "billing.invoices",
    "public.users",
    "pg_catalog.pg_class",
    "pgaudit.log",
    "pg_read_file",
    "public",
    "superuser",
    "ssn",
    "main",
    "delete",
    "namespaces",
    "prod-web",
    "secrets",
    "helm",
    "evil.example.org",
    "db.internal.example.com",
    "drop_column",
    "ÉTÉ",
    "a*b",
    "prod-db-1",
];

pub fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_string)
}

pub fn words() -> impl Strategy<Value = List> {
    prop::collection::vec(prop::sample::select(WORDS).prop_map(Str::from), 0..4)
        .prop_map(List::from)
}

pub fn pick<T: Copy + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(all)
}

pub fn detail() -> impl Strategy<Value = ActionDetail> {
    prop_oneof![
        (
            prop_oneof![pick(StatementKind::ALL), pick(RISKY_STATEMENTS)],
            prop_oneof![pick(ObjectKind::ALL), Just(ObjectKind::Table)],
            words(),
            words(),
            words(),
            any::<[bool; 5]>(),
            pick(CopyTarget::ALL),
            words()
        )
            .prop_map(
                |(statement, object, tables, functions, settings, b, copy, grantees)| {
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
                }
            ),
        (
            word(),
            words(),
            words(),
            words(),
            words(),
            any::<bool>(),
            word()
        )
            .prop_map(
                |(program, flags, paths, piped_from, hosts, elevated, remote_host)| {
                    ActionDetail::Exec(ExecAction {
                        path: format!("/usr/bin/{program}"),
                        program: program.into(),
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
        (
            word(),
            word(),
            words(),
            word(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(verb, resource, names, namespace, all, all_namespaces)| {
                ActionDetail::K8s(K8sAction {
                    tool: "kubectl".into(),
                    verb,
                    resource,
                    names,
                    namespace,
                    all,
                    all_namespaces,
                    ..K8sAction::default()
                })
            }),
        (word(), any::<bool>(), any::<bool>()).prop_map(|(subcommand, auto_approve, destroy)| {
            ActionDetail::Terraform(TerraformAction {
                tool: "terraform".into(),
                subcommand,
                auto_approve,
                destroy,
                ..TerraformAction::default()
            })
        }),
        (any::<bool>(), words()).prop_map(|(force, refs)| ActionDetail::Git(GitAction {
            subcommand: "push".into(),
            force,
            refs,
            ..GitAction::default()
        })),
        (word(), word()).prop_map(|(service, operation)| ActionDetail::Cloud(CloudAction {
            provider: "aws".into(),
            service,
            operation,
            ..CloudAction::default()
        })),
        word().prop_map(|reason| ActionDetail::Opaque(OpaqueAction {
            reason,
            ..OpaqueAction::default()
        })),
    ]
}

pub fn action() -> impl Strategy<Value = Action> {
    (detail(), 0u32..100, 0u32..50, words()).prop_map(|(detail, start, len, via)| Action {
        span: [start, start + len],
        via,
        text: String::new(),
        detail,
    })
}

const RISKY_STATEMENTS: &[StatementKind] = &[
    StatementKind::Drop,
    StatementKind::Truncate,
    StatementKind::Delete,
    StatementKind::Update,
    StatementKind::Alter,
    StatementKind::Select,
];

pub fn request_strategy() -> impl Strategy<Value = Request> {
    let env = prop_oneof![word(), pick(PROTECTED).prop_map(str::to_string)];
    (env, pick(ActorKind::ALL), word()).prop_map(|(env, kind, command)| {
        let mut r = request(&env, &command);
        r.actor.kind = kind;
        r
    })
}
