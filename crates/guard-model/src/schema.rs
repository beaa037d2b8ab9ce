//! The field table: every name a policy may read, its type, where it is available, and how the
//! engine reads it. [`FIELDS`] and [`Field::get`] are generated from one list, so the type
//! checker and the evaluator cannot disagree.

use crate::Str;
use crate::action::{Action, ActionDetail};
use crate::enums::{
    ActionKind, ActorKind, Channel, CopyTarget, Dialect, ObjectKind, OpaqueCause, StatementKind,
};
use crate::request::Request;

/// A closed enum type of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EnumType {
    ActionKind,
    Channel,
    Dialect,
    ActorKind,
    StatementKind,
    ObjectKind,
    CopyTarget,
    OpaqueCause,
}

impl EnumType {
    pub const ALL: &'static [EnumType] = &[
        EnumType::ActionKind,
        EnumType::Channel,
        EnumType::Dialect,
        EnumType::ActorKind,
        EnumType::StatementKind,
        EnumType::ObjectKind,
        EnumType::CopyTarget,
        EnumType::OpaqueCause,
    ];

    /// The type's name in the language (`statement_kind`).
    pub fn name(self) -> &'static str {
        match self {
            EnumType::ActionKind => ActionKind::TYPE_NAME,
            EnumType::Channel => Channel::TYPE_NAME,
            EnumType::Dialect => Dialect::TYPE_NAME,
            EnumType::ActorKind => ActorKind::TYPE_NAME,
            EnumType::StatementKind => StatementKind::TYPE_NAME,
            EnumType::ObjectKind => ObjectKind::TYPE_NAME,
            EnumType::CopyTarget => CopyTarget::TYPE_NAME,
            EnumType::OpaqueCause => OpaqueCause::TYPE_NAME,
        }
    }

    /// Variant names in index order.
    pub fn variants(self) -> Vec<&'static str> {
        fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|v| name(*v)).collect()
        }
        match self {
            EnumType::ActionKind => names(ActionKind::ALL, ActionKind::name),
            EnumType::Channel => names(Channel::ALL, Channel::name),
            EnumType::Dialect => names(Dialect::ALL, Dialect::name),
            EnumType::ActorKind => names(ActorKind::ALL, ActorKind::name),
            EnumType::StatementKind => names(StatementKind::ALL, StatementKind::name),
            EnumType::ObjectKind => names(ObjectKind::ALL, ObjectKind::name),
            EnumType::CopyTarget => names(CopyTarget::ALL, CopyTarget::name),
            EnumType::OpaqueCause => names(OpaqueCause::ALL, OpaqueCause::name),
        }
    }

    /// Index of the variant named `text`.
    pub fn variant_index(self, text: &str) -> Option<u16> {
        self.variants()
            .iter()
            .position(|v| *v == text)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// Name of the variant at `index`, or `"?"`.
    pub fn variant_name(self, index: u16) -> &'static str {
        self.variants()
            .get(usize::from(index))
            .copied()
            .unwrap_or("?")
    }
}

/// A scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    Bool,
    Int,
    Str,
    Enum(EnumType),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Bool => f.write_str("bool"),
            Scalar::Int => f.write_str("int"),
            Scalar::Str => f.write_str("string"),
            Scalar::Enum(e) => f.write_str(e.name()),
        }
    }
}

/// The type of a field or expression. Lists come from actions, sets from `set` declarations
/// and literals; both hold scalars only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Scalar(Scalar),
    List(Scalar),
    Set(Scalar),
}

impl Type {
    pub const BOOL: Type = Type::Scalar(Scalar::Bool);
    pub const INT: Type = Type::Scalar(Scalar::Int);
    pub const STR: Type = Type::Scalar(Scalar::Str);
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Scalar(s) => write!(f, "{s}"),
            Type::List(s) => write!(f, "list<{s}>"),
            Type::Set(s) => write!(f, "set<{s}>"),
        }
    }
}

/// Where a field can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// In every rule (`actor`, `target`, `request`).
    Everywhere,
    /// In rules on any action kind (`action.via`), not in `on request` rules.
    AnyAction,
    /// Only in rules `on` that kind.
    Kind(ActionKind),
}

/// A record name that starts a field path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Root {
    pub name: &'static str,
    pub scope: Scope,
    pub doc: &'static str,
}

/// The roots, in the order `guard schema` prints them.
pub const ROOTS: &[Root] = &[
    Root {
        name: "request",
        scope: Scope::Everywhere,
        doc: "the request as a whole",
    },
    Root {
        name: "actor",
        scope: Scope::Everywhere,
        doc: "who issued the command",
    },
    Root {
        name: "target",
        scope: Scope::Everywhere,
        doc: "where the command runs",
    },
    Root {
        name: "action",
        scope: Scope::AnyAction,
        doc: "the action being checked, whatever its kind",
    },
    Root {
        name: "stmt",
        scope: Scope::Kind(ActionKind::Sql),
        doc: "one SQL statement",
    },
    Root {
        name: "exec",
        scope: Scope::Kind(ActionKind::Exec),
        doc: "one executed program",
    },
    Root {
        name: "k8s",
        scope: Scope::Kind(ActionKind::K8s),
        doc: "a Kubernetes operation",
    },
    Root {
        name: "cloud",
        scope: Scope::Kind(ActionKind::Cloud),
        doc: "a cloud CLI operation",
    },
    Root {
        name: "git",
        scope: Scope::Kind(ActionKind::Git),
        doc: "a git operation",
    },
    Root {
        name: "terraform",
        scope: Scope::Kind(ActionKind::Terraform),
        doc: "a Terraform operation",
    },
    Root {
        name: "service",
        scope: Scope::Kind(ActionKind::Service),
        doc: "a service-manager operation",
    },
    Root {
        name: "redis",
        scope: Scope::Kind(ActionKind::Redis),
        doc: "a Redis command",
    },
    Root {
        name: "opaque",
        scope: Scope::Kind(ActionKind::Opaque),
        doc: "something guard could not understand",
    },
];

/// The value of a field for one action. Borrowed from the request and action: reading a field
/// never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Bool(bool),
    Int(i64),
    Str(&'a str),
    Enum(EnumType, u16),
    StrList(&'a [Str]),
    EnumList(EnumType, &'a [u16]),
}

/// Everything a field may be read from while evaluating one action (or the request).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub request: &'a Request,
    /// `None` while evaluating `on request` rules.
    pub action: Option<&'a Action>,
    /// `target.labels` as `key=value` strings, computed once per request.
    pub labels: &'a [Str],
    /// Indices of the kinds of every action of the request, computed once per request.
    pub action_kinds: &'a [u16],
    /// Number of actions in the request.
    pub action_count: i64,
}

/// A field's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    pub field: Field,
    /// Dotted path in the language (`stmt.kind`).
    pub path: &'static str,
    pub ty: Type,
    pub scope: Scope,
    pub doc: &'static str,
}

const EMPTY: &[Str] = &[];

macro_rules! fields {
    ($($variant:ident => $path:literal : $ty:expr, $scope:expr, $doc:literal, |$cx:ident| $get:expr;)+) => {
        /// Every field a policy can read. `#[repr(u16)]` so the IR stores it compactly.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum Field { $($variant),+ }

        /// The field table, in `Field` order.
        pub const FIELDS: &[FieldDef] = &[
            $(FieldDef { field: Field::$variant, path: $path, ty: $ty, scope: $scope, doc: $doc }),+
        ];

        impl Field {
            /// Reads the field. A field read outside its scope (which the type checker rules
            /// out) yields its type's empty value rather than failing: evaluation is total.
            #[inline]
            pub fn get<'a>(self, context: &Context<'a>) -> Value<'a> {
                match self { $(Field::$variant => { let $cx = context; $get }),+ }
            }
        }
    };
}

use Scalar::{Bool as B, Int as I, Str as S};

const fn e(t: EnumType) -> Type {
    Type::Scalar(Scalar::Enum(t))
}
const fn l(s: Scalar) -> Type {
    Type::List(s)
}
const fn sc(s: Scalar) -> Type {
    Type::Scalar(s)
}
const K_SQL: Scope = Scope::Kind(ActionKind::Sql);
const K_EXEC: Scope = Scope::Kind(ActionKind::Exec);
const K_K8S: Scope = Scope::Kind(ActionKind::K8s);
const K_CLOUD: Scope = Scope::Kind(ActionKind::Cloud);
const K_GIT: Scope = Scope::Kind(ActionKind::Git);
const K_TF: Scope = Scope::Kind(ActionKind::Terraform);
const K_SVC: Scope = Scope::Kind(ActionKind::Service);
const K_REDIS: Scope = Scope::Kind(ActionKind::Redis);
const K_OPAQUE: Scope = Scope::Kind(ActionKind::Opaque);
const ALL: Scope = Scope::Everywhere;
const ANY: Scope = Scope::AnyAction;

macro_rules! detail {
    ($cx:ident, $variant:ident, |$a:ident| $get:expr, $empty:expr) => {
        match $cx.action.map(|a| &a.detail) {
            Some(ActionDetail::$variant($a)) => $get,
            _ => $empty,
        }
    };
}

fn en<T: Into<u16>>(t: EnumType, v: T) -> Value<'static> {
    Value::Enum(t, v.into())
}

macro_rules! impl_into_u16 {
    ($($t:ty),+) => { $(impl From<$t> for u16 { fn from(v: $t) -> u16 { v.index() } })+ };
}
impl_into_u16!(
    ActionKind,
    Channel,
    Dialect,
    ActorKind,
    StatementKind,
    ObjectKind,
    CopyTarget,
    OpaqueCause
);

fields! {
    RequestId => "request.id": sc(S), ALL, "the request's id", |cx| Value::Str(&cx.request.id);
    RequestChannel => "request.channel": e(EnumType::Channel), ALL, "`sql` or `shell`", |cx| en(EnumType::Channel, cx.request.channel);
    RequestDialect => "request.dialect": e(EnumType::Dialect), ALL, "the SQL dialect of the request", |cx| en(EnumType::Dialect, cx.request.dialect);
    RequestCommand => "request.command": sc(S), ALL, "the raw command text (prefer typed fields)", |cx| Value::Str(&cx.request.command);
    RequestActionKinds => "request.action_kinds": l(Scalar::Enum(EnumType::ActionKind)), ALL, "the kind of every action of the request", |cx| Value::EnumList(EnumType::ActionKind, cx.action_kinds);
    RequestActionCount => "request.action_count": sc(I), ALL, "how many actions the request has", |cx| Value::Int(cx.action_count);

    ActorId => "actor.id": sc(S), ALL, "the actor's id (`agent:pipeline-tuner`)", |cx| Value::Str(&cx.request.actor.id);
    ActorKindF => "actor.kind": e(EnumType::ActorKind), ALL, "`agent`, `human`, `service` or `unknown`", |cx| en(EnumType::ActorKind, cx.request.actor.kind);
    ActorGroups => "actor.groups": l(S), ALL, "the actor's groups", |cx| Value::StrList(&cx.request.actor.groups);

    TargetEnv => "target.env": sc(S), ALL, "the environment (`production`)", |cx| Value::Str(&cx.request.target.env);
    TargetResource => "target.resource": sc(S), ALL, "the resource (`postgres://orders-db/orders`)", |cx| Value::Str(&cx.request.target.resource);
    TargetLabels => "target.labels": l(S), ALL, "labels as `key=value` strings", |cx| Value::StrList(cx.labels);

    ActionKindF => "action.kind": e(EnumType::ActionKind), ANY, "the action's kind", |cx| match cx.action { Some(a) => en(EnumType::ActionKind, a.kind()), None => en(EnumType::ActionKind, ActionKind::Opaque) };
    ActionVia => "action.via": l(S), ANY, "how the action was reached, outermost first (`sudo`, `bash -c`)", |cx| Value::StrList(cx.action.map_or(EMPTY, |a| &a.via));
    ActionText => "action.text": sc(S), ANY, "the action's own text", |cx| Value::Str(cx.action.map_or("", |a| &a.text));

    StmtKind => "stmt.kind": e(EnumType::StatementKind), K_SQL, "the statement kind", |cx| detail!(cx, Sql, |s| en(EnumType::StatementKind, s.statement), en(EnumType::StatementKind, StatementKind::Other));
    StmtObject => "stmt.object": e(EnumType::ObjectKind), K_SQL, "the kind of object acted on (`none` if none)", |cx| detail!(cx, Sql, |s| en(EnumType::ObjectKind, s.object), en(EnumType::ObjectKind, ObjectKind::None));
    StmtDialect => "stmt.dialect": e(EnumType::Dialect), K_SQL, "the dialect the statement was parsed as", |cx| detail!(cx, Sql, |s| en(EnumType::Dialect, s.dialect), en(EnumType::Dialect, Dialect::Postgres));
    StmtTables => "stmt.tables": l(S), K_SQL, "every relation touched, normalised (`public.users`)", |cx| detail!(cx, Sql, |s| Value::StrList(&s.tables), Value::StrList(EMPTY));
    StmtWrites => "stmt.writes": l(S), K_SQL, "relations written, dropped or altered", |cx| detail!(cx, Sql, |s| Value::StrList(&s.writes), Value::StrList(EMPTY));
    StmtReads => "stmt.reads": l(S), K_SQL, "relations only read", |cx| detail!(cx, Sql, |s| Value::StrList(&s.reads), Value::StrList(EMPTY));
    StmtColumnsRead => "stmt.columns_read": l(S), K_SQL, "columns read", |cx| detail!(cx, Sql, |s| Value::StrList(&s.columns_read), Value::StrList(EMPTY));
    StmtColumnsWritten => "stmt.columns_written": l(S), K_SQL, "columns written", |cx| detail!(cx, Sql, |s| Value::StrList(&s.columns_written), Value::StrList(EMPTY));
    StmtHasWhere => "stmt.has_where": sc(B), K_SQL, "a WHERE clause (or a row-security policy's USING / WITH CHECK) is present", |cx| detail!(cx, Sql, |s| Value::Bool(s.has_where), Value::Bool(false));
    StmtEffectiveWhere => "stmt.has_effective_where": sc(B), K_SQL, "a WHERE clause is present and restricts rows: not constant-true (`1=1`, `x OR true`, `coalesce(null, true)`) and, for DML, reading the row", |cx| detail!(cx, Sql, |s| Value::Bool(s.effective_where), Value::Bool(false));
    StmtHasLimit => "stmt.has_limit": sc(B), K_SQL, "a LIMIT is present", |cx| detail!(cx, Sql, |s| Value::Bool(s.has_limit), Value::Bool(false));
    StmtInCte => "stmt.in_cte": sc(B), K_SQL, "this DML statement is hidden in a CTE", |cx| detail!(cx, Sql, |s| Value::Bool(s.in_cte), Value::Bool(false));
    StmtCopy => "stmt.copy": e(EnumType::CopyTarget), K_SQL, "where COPY / INTO OUTFILE moves data (`none`, `stdout`, `stdin`, `file`, `program`)", |cx| detail!(cx, Sql, |s| en(EnumType::CopyTarget, s.copy), en(EnumType::CopyTarget, CopyTarget::None));
    StmtCopyTarget => "stmt.copy_target": sc(S), K_SQL, "the file or program of a COPY / INTO OUTFILE, else empty", |cx| detail!(cx, Sql, |s| Value::Str(&s.copy_target), Value::Str(""));
    StmtFunctions => "stmt.functions": l(S), K_SQL, "functions called, lowercase, without schema", |cx| detail!(cx, Sql, |s| Value::StrList(&s.functions), Value::StrList(EMPTY));
    StmtSettings => "stmt.settings": l(S), K_SQL, "settings changed (`log_statement`, `pgaudit.log`)", |cx| detail!(cx, Sql, |s| Value::StrList(&s.settings), Value::StrList(EMPTY));
    StmtGrantees => "stmt.grantees": l(S), K_SQL, "grant recipients (`public`)", |cx| detail!(cx, Sql, |s| Value::StrList(&s.grantees), Value::StrList(EMPTY));
    StmtPrivileges => "stmt.privileges": l(S), K_SQL, "privileges granted or revoked and role attributes set (`all`, `superuser`)", |cx| detail!(cx, Sql, |s| Value::StrList(&s.privileges), Value::StrList(EMPTY));
    StmtRoles => "stmt.roles": l(S), K_SQL, "roles created, altered, dropped or granted", |cx| detail!(cx, Sql, |s| Value::StrList(&s.roles), Value::StrList(EMPTY));
    StmtOperations => "stmt.operations": l(S), K_SQL, "sub-operations of an ALTER (`drop_column`, `rename`, …); `or_replace` for `CREATE OR REPLACE FUNCTION|PROCEDURE|TRIGGER`", |cx| detail!(cx, Sql, |s| Value::StrList(&s.operations), Value::StrList(EMPTY));
    StmtCascade => "stmt.cascade": sc(B), K_SQL, "CASCADE was given", |cx| detail!(cx, Sql, |s| Value::Bool(s.cascade), Value::Bool(false));
    StmtTemporary => "stmt.temporary": sc(B), K_SQL, "every object written is TEMP or was created earlier in the same request", |cx| detail!(cx, Sql, |s| Value::Bool(s.temporary), Value::Bool(false));
    StmtDynamic => "stmt.dynamic": sc(B), K_SQL, "runs SQL built at run time (EXECUTE, DO, PREPARE)", |cx| detail!(cx, Sql, |s| Value::Bool(s.dynamic), Value::Bool(false));
    StmtLanguage => "stmt.language": sc(S), K_SQL, "the language of a function, procedure or DO block, lowercase (`plpgsql`, `plpython3u`, `c` for a shared library), else empty", |cx| detail!(cx, Sql, |s| Value::Str(&s.language), Value::Str(""));

    ExecProgram => "exec.program": sc(S), K_EXEC, "the program's basename (`rm`)", |cx| detail!(cx, Exec, |x| Value::Str(&x.program), Value::Str(""));
    ExecPath => "exec.path": sc(S), K_EXEC, "the program as written (`/usr/bin/rm`)", |cx| detail!(cx, Exec, |x| Value::Str(&x.path), Value::Str(""));
    ExecArgs => "exec.args": l(S), K_EXEC, "every argument, unquoted", |cx| detail!(cx, Exec, |x| Value::StrList(&x.args), Value::StrList(EMPTY));
    ExecFlags => "exec.flags": l(S), K_EXEC, "flags, canonical long names without dashes (`recursive`, `force`)", |cx| detail!(cx, Exec, |x| Value::StrList(&x.flags), Value::StrList(EMPTY));
    ExecOperands => "exec.operands": l(S), K_EXEC, "arguments that are not flags", |cx| detail!(cx, Exec, |x| Value::StrList(&x.operands), Value::StrList(EMPTY));
    ExecPaths => "exec.paths": l(S), K_EXEC, "operands that are filesystem paths, normalised; relative ones resolved against a directory an earlier `cd` in the command made known (`cd /srv && rm -rf x` → `/srv/x`)", |cx| detail!(cx, Exec, |x| Value::StrList(&x.paths), Value::StrList(EMPTY));
    ExecWrites => "exec.writes": l(S), K_EXEC, "files written: redirections, `tee`, `dd of=`, a copier's destination (`cp`/`mv`/`ln`/`install`/`rsync`/`scp`, `-t DIR`)", |cx| detail!(cx, Exec, |x| Value::StrList(&x.writes), Value::StrList(EMPTY));
    ExecReads => "exec.reads": l(S), K_EXEC, "files read by redirections", |cx| detail!(cx, Exec, |x| Value::StrList(&x.reads), Value::StrList(EMPTY));
    ExecPipedFrom => "exec.piped_from": l(S), K_EXEC, "programs of earlier pipeline stages (or a `< <(…)` substitution) feeding this one", |cx| detail!(cx, Exec, |x| Value::StrList(&x.piped_from), Value::StrList(EMPTY));
    ExecPipedTo => "exec.piped_to": l(S), K_EXEC, "programs of later pipeline stages this one feeds", |cx| detail!(cx, Exec, |x| Value::StrList(&x.piped_to), Value::StrList(EMPTY));
    ExecHosts => "exec.hosts": l(S), K_EXEC, "network hosts contacted", |cx| detail!(cx, Exec, |x| Value::StrList(&x.hosts), Value::StrList(EMPTY));
    ExecSends => "exec.sends": l(S), K_EXEC, "local files whose contents are sent over the network (`-` = stdin); a remote source copied to another host (`scp db:/x h:/y`) as written", |cx| detail!(cx, Exec, |x| Value::StrList(&x.sends), Value::StrList(EMPTY));
    ExecElevated => "exec.elevated": sc(B), K_EXEC, "runs under sudo / doas", |cx| detail!(cx, Exec, |x| Value::Bool(x.elevated), Value::Bool(false));
    ExecRemoteHost => "exec.remote_host": sc(S), K_EXEC, "the host it runs on via ssh, else empty", |cx| detail!(cx, Exec, |x| Value::Str(&x.remote_host), Value::Str(""));
    ExecEnv => "exec.env": l(S), K_EXEC, "environment assignments in effect, as `NAME=value` (its own prefix, `env`/`sudo` wrappers, `export`)", |cx| detail!(cx, Exec, |x| Value::StrList(&x.env), Value::StrList(EMPTY));
    ExecImages => "exec.images": l(S), K_EXEC, "container images run or pulled, as written (`docker run|create|pull`, `podman`, `nerdctl`, `kubectl run|create|debug --image`, `kubectl set image c=IMAGE`, `crictl pull`, `ctr`, `helm install|upgrade --set image.repository=X` (an `image.registry=R` as `R/`)); an unresolved one stays `$IMG`", |cx| detail!(cx, Exec, |x| Value::StrList(&x.images), Value::StrList(EMPTY));

    K8sTool => "k8s.tool": sc(S), K_K8S, "`kubectl` or `helm`", |cx| detail!(cx, K8s, |k| Value::Str(&k.tool), Value::Str(""));
    K8sVerb => "k8s.verb": sc(S), K_K8S, "the verb (`delete`, `apply`, `uninstall`)", |cx| detail!(cx, K8s, |k| Value::Str(&k.verb), Value::Str(""));
    K8sResource => "k8s.resource": sc(S), K_K8S, "the resource type, plural (`namespaces`, `pods`)", |cx| detail!(cx, K8s, |k| Value::Str(&k.resource), Value::Str(""));
    K8sNames => "k8s.names": l(S), K_K8S, "the objects named", |cx| detail!(cx, K8s, |k| Value::StrList(&k.names), Value::StrList(EMPTY));
    K8sNamespace => "k8s.namespace": sc(S), K_K8S, "the namespace given, else empty", |cx| detail!(cx, K8s, |k| Value::Str(&k.namespace), Value::Str(""));
    K8sAll => "k8s.all": sc(B), K_K8S, "`--all`", |cx| detail!(cx, K8s, |k| Value::Bool(k.all), Value::Bool(false));
    K8sAllNamespaces => "k8s.all_namespaces": sc(B), K_K8S, "`--all-namespaces` / `-A`", |cx| detail!(cx, K8s, |k| Value::Bool(k.all_namespaces), Value::Bool(false));
    K8sSelector => "k8s.selector": sc(S), K_K8S, "the label selector, else empty", |cx| detail!(cx, K8s, |k| Value::Str(&k.selector), Value::Str(""));
    K8sFlags => "k8s.flags": l(S), K_K8S, "flags, long names without dashes", |cx| detail!(cx, K8s, |k| Value::StrList(&k.flags), Value::StrList(EMPTY));

    CloudProvider => "cloud.provider": sc(S), K_CLOUD, "`aws`, `gcloud` or `az`", |cx| detail!(cx, Cloud, |c| Value::Str(&c.provider), Value::Str(""));
    CloudService => "cloud.service": sc(S), K_CLOUD, "the service (`s3`, `cloudtrail`)", |cx| detail!(cx, Cloud, |c| Value::Str(&c.service), Value::Str(""));
    CloudOperation => "cloud.operation": sc(S), K_CLOUD, "the operation (`rm`, `delete-trail`)", |cx| detail!(cx, Cloud, |c| Value::Str(&c.operation), Value::Str(""));
    CloudResources => "cloud.resources": l(S), K_CLOUD, "resources named", |cx| detail!(cx, Cloud, |c| Value::StrList(&c.resources), Value::StrList(EMPTY));
    CloudFlags => "cloud.flags": l(S), K_CLOUD, "flags, long names without dashes", |cx| detail!(cx, Cloud, |c| Value::StrList(&c.flags), Value::StrList(EMPTY));
    CloudDestination => "cloud.destination": sc(S), K_CLOUD, "where a copy, move or sync writes (a bucket URL, or a local path for a download), else empty", |cx| detail!(cx, Cloud, |c| Value::Str(&c.destination), Value::Str(""));

    GitSubcommand => "git.subcommand": sc(S), K_GIT, "`push`, `reset`, `clean`, …", |cx| detail!(cx, Git, |g| Value::Str(&g.subcommand), Value::Str(""));
    GitFlags => "git.flags": l(S), K_GIT, "flags, long names without dashes", |cx| detail!(cx, Git, |g| Value::StrList(&g.flags), Value::StrList(EMPTY));
    GitArgs => "git.args": l(S), K_GIT, "arguments after the subcommand", |cx| detail!(cx, Git, |g| Value::StrList(&g.args), Value::StrList(EMPTY));
    GitForce => "git.force": sc(B), K_GIT, "a forced push or update", |cx| detail!(cx, Git, |g| Value::Bool(g.force), Value::Bool(false));
    GitRemote => "git.remote": sc(S), K_GIT, "the remote, else empty", |cx| detail!(cx, Git, |g| Value::Str(&g.remote), Value::Str(""));
    GitRefs => "git.refs": l(S), K_GIT, "refs named", |cx| detail!(cx, Git, |g| Value::StrList(&g.refs), Value::StrList(EMPTY));
    GitUrl => "git.url": sc(S), K_GIT, "the repository URL as written: set by `remote add|set-url` or `config remote.NAME.url`, read by `clone`, or named by `push`/`pull`/`fetch` directly, through `-c remote.NAME.url=`, or through a remote set earlier in the request; else empty", |cx| detail!(cx, Git, |g| Value::Str(&g.url), Value::Str(""));

    TfTool => "terraform.tool": sc(S), K_TF, "`terraform` or `tofu`", |cx| detail!(cx, Terraform, |t| Value::Str(&t.tool), Value::Str(""));
    TfSubcommand => "terraform.subcommand": sc(S), K_TF, "`plan`, `apply`, `destroy`, `state rm`, …", |cx| detail!(cx, Terraform, |t| Value::Str(&t.subcommand), Value::Str(""));
    TfAutoApprove => "terraform.auto_approve": sc(B), K_TF, "`-auto-approve`", |cx| detail!(cx, Terraform, |t| Value::Bool(t.auto_approve), Value::Bool(false));
    TfDestroy => "terraform.destroy": sc(B), K_TF, "destroys infrastructure (`destroy`, `apply -destroy`)", |cx| detail!(cx, Terraform, |t| Value::Bool(t.destroy), Value::Bool(false));
    TfTargets => "terraform.targets": l(S), K_TF, "`-target` addresses", |cx| detail!(cx, Terraform, |t| Value::StrList(&t.targets), Value::StrList(EMPTY));
    TfFlags => "terraform.flags": l(S), K_TF, "flags without dashes", |cx| detail!(cx, Terraform, |t| Value::StrList(&t.flags), Value::StrList(EMPTY));

    SvcManager => "service.manager": sc(S), K_SVC, "`systemctl`, `service`, `auditctl`", |cx| detail!(cx, Service, |s| Value::Str(&s.manager), Value::Str(""));
    SvcVerb => "service.verb": sc(S), K_SVC, "`stop`, `disable`, `mask`, …", |cx| detail!(cx, Service, |s| Value::Str(&s.verb), Value::Str(""));
    SvcUnits => "service.units": l(S), K_SVC, "units, without `.service`", |cx| detail!(cx, Service, |s| Value::StrList(&s.units), Value::StrList(EMPTY));

    RedisCommand => "redis.command": sc(S), K_REDIS, "the command, lowercase (`flushall`)", |cx| detail!(cx, Redis, |r| Value::Str(&r.command), Value::Str(""));
    RedisArgs => "redis.args": l(S), K_REDIS, "the command's arguments", |cx| detail!(cx, Redis, |r| Value::StrList(&r.args), Value::StrList(EMPTY));
    RedisHost => "redis.host": sc(S), K_REDIS, "the host, else empty", |cx| detail!(cx, Redis, |r| Value::Str(&r.host), Value::Str(""));

    OpaqueCauseF => "opaque.cause": e(EnumType::OpaqueCause), K_OPAQUE, "why guard could not understand it", |cx| detail!(cx, Opaque, |o| en(EnumType::OpaqueCause, o.cause), en(EnumType::OpaqueCause, OpaqueCause::ParseError));
    OpaqueReason => "opaque.reason": sc(S), K_OPAQUE, "the reason, in words", |cx| detail!(cx, Opaque, |o| Value::Str(&o.reason), Value::Str(""));
}

impl Field {
    pub fn def(self) -> &'static FieldDef {
        // FIELDS is generated in `Field` order, so the discriminant is the index.
        &FIELDS[self as usize]
    }

    /// The field with that dotted path.
    pub fn from_path(path: &str) -> Option<Field> {
        FIELDS.iter().find(|d| d.path == path).map(|d| d.field)
    }

    /// The `u16` id used in bundles.
    pub fn id(self) -> u16 {
        self as u16
    }

    /// The field with that id.
    pub fn from_id(id: u16) -> Option<Field> {
        FIELDS.get(usize::from(id)).map(|d| d.field)
    }
}

impl Scope {
    /// Whether a field of this scope can be read in a rule `on kind` (`None` = `on request`).
    pub fn visible_in(self, kind: Option<ActionKind>) -> bool {
        match (self, kind) {
            (Scope::Everywhere, _) => true,
            (Scope::AnyAction, k) => k.is_some(),
            (Scope::Kind(s), Some(k)) => s == k,
            (Scope::Kind(_), None) => false,
        }
    }
}

/// Fields under a root, in table order.
pub fn fields_of(root: &str) -> impl Iterator<Item = &'static FieldDef> + '_ {
    FIELDS
        .iter()
        .filter(move |d| d.path.split_once('.').is_some_and(|(r, _)| r == root))
}

/// The root of that name.
pub fn root(name: &str) -> Option<&'static Root> {
    ROOTS.iter().find(|r| r.name == name)
}

/// Rule targets in the language: each action kind by name, and `request`.
pub fn rule_target(name: &str) -> Option<Option<ActionKind>> {
    if name == "request" {
        return Some(None);
    }
    ActionKind::from_name(name).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_table_is_in_discriminant_order() {
        for (i, def) in FIELDS.iter().enumerate() {
            assert_eq!(def.field as usize, i, "{} out of order", def.path);
            assert_eq!(Field::from_path(def.path), Some(def.field));
        }
    }

    #[test]
    fn every_field_has_a_known_root_and_matching_scope() {
        for def in FIELDS {
            let (root_name, _) = def.path.split_once('.').unwrap_or(("", ""));
            let r = root(root_name);
            assert!(r.is_some(), "{} has no root", def.path);
            assert_eq!(
                r.map(|r| r.scope),
                Some(def.scope),
                "{} scope differs from root",
                def.path
            );
        }
    }

    #[test]
    fn enum_indices_round_trip() {
        for t in EnumType::ALL {
            for (i, v) in t.variants().iter().enumerate() {
                assert_eq!(t.variant_index(v), u16::try_from(i).ok());
            }
        }
    }

    #[test]
    fn fields_read_from_their_action() {
        let request = Request {
            command: "DROP TABLE t".into(),
            ..Request::default()
        };
        let action = Action {
            span: [0, 12],
            via: crate::List::new(),
            text: "DROP TABLE t".into(),
            detail: ActionDetail::Sql(crate::SqlAction {
                statement: StatementKind::Drop,
                tables: crate::List::from(["public.t".into()]),
                ..Default::default()
            }),
        };
        let cx = Context {
            request: &request,
            action: Some(&action),
            labels: &[],
            action_kinds: &[0],
            action_count: 1,
        };
        assert_eq!(
            Field::StmtKind.get(&cx),
            Value::Enum(EnumType::StatementKind, StatementKind::Drop.index())
        );
        assert_eq!(
            Field::StmtTables.get(&cx),
            Value::StrList(&[Str::from("public.t")])
        );
        assert_eq!(Field::ExecProgram.get(&cx), Value::Str(""));
    }
}
