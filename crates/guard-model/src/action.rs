//! Actions: the typed facts intent analysis extracts from a command. One request yields one
//! action per SQL statement, per executed program, per lifted tool call, nested ones included.
//!
//! JSON shape (the `guard explain --format json` contract): an object with `kind`, `span`,
//! `via`, `text`, then the fields of its kind flattened beside them.

use serde::{Deserialize, Serialize};

use crate::enums::{ActionKind, CopyTarget, Dialect, ObjectKind, OpaqueCause, StatementKind};
use crate::{List, Str};

/// One thing a command will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Byte range `[start, end)` in the request's command text this action came from. For
    /// nested commands (`bash -c '…'`) it is the range of the outermost enclosing word.
    pub span: [u32; 2],
    /// How the action was reached, outermost first: `["sudo", "bash -c", "psql -c"]`.
    pub via: List,
    /// The source text of the action itself (after unquoting), for messages.
    #[serde(default)]
    pub text: String,
    #[serde(flatten)]
    pub detail: ActionDetail,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        self.detail.kind()
    }
}

/// The kind-specific part of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionDetail {
    Sql(SqlAction),
    Exec(ExecAction),
    K8s(K8sAction),
    Cloud(CloudAction),
    Git(GitAction),
    Terraform(TerraformAction),
    Service(ServiceAction),
    Redis(RedisAction),
    Opaque(OpaqueAction),
}

impl ActionDetail {
    pub fn kind(&self) -> ActionKind {
        match self {
            ActionDetail::Sql(_) => ActionKind::Sql,
            ActionDetail::Exec(_) => ActionKind::Exec,
            ActionDetail::K8s(_) => ActionKind::K8s,
            ActionDetail::Cloud(_) => ActionKind::Cloud,
            ActionDetail::Git(_) => ActionKind::Git,
            ActionDetail::Terraform(_) => ActionKind::Terraform,
            ActionDetail::Service(_) => ActionKind::Service,
            ActionDetail::Redis(_) => ActionKind::Redis,
            ActionDetail::Opaque(_) => ActionKind::Opaque,
        }
    }
}

/// One SQL statement. Names are normalised: lowercase where the dialect folds case,
/// schema-qualified with the dialect's default schema (`public.users` for PostgreSQL).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlAction {
    pub statement: StatementKind,
    /// `null` in JSON when the statement acts on no object.
    #[serde(with = "object_kind_nullable")]
    pub object: ObjectKind,
    pub dialect: Dialect,
    /// Every table or other named relation the statement touches (read or written).
    pub tables: List,
    /// Tables (or dropped / altered objects) written, dropped or altered.
    pub writes: List,
    /// Tables only read.
    pub reads: List,
    pub columns_read: List,
    pub columns_written: List,
    /// A WHERE clause is present (for a row-security policy: a `USING` / `WITH CHECK`).
    pub has_where: bool,
    /// `has_where` and the predicate restricts rows: it is not constant-true after folding
    /// (`1=1`, `coalesce(null, true)`, `c IN (SELECT c FROM same_table)`) and, for DML, it reads
    /// the row (`WHERE now() > '2020-01-01'` keeps every row or none).
    pub effective_where: bool,
    pub has_limit: bool,
    /// This DML statement sits inside a CTE (`WITH d AS (DELETE …) SELECT …`).
    pub in_cte: bool,
    pub copy: CopyTarget,
    /// The file path or program of a `COPY … TO/FROM` or `INTO OUTFILE`, else `""`.
    pub copy_target: String,
    /// Functions called, lowercase, without schema (`pg_read_file`, `dblink`).
    pub functions: List,
    /// Settings changed (`SET`, `ALTER SYSTEM`, `set_config`), lowercase (`pgaudit.log`).
    pub settings: List,
    /// `GRANT … TO` / role membership recipients, lowercase (`public`).
    pub grantees: List,
    /// Privileges granted or revoked, and role attributes set (`all`, `superuser`).
    pub privileges: List,
    /// Roles created, altered, dropped or granted.
    pub roles: List,
    /// Sub-operations of an `ALTER` (`drop_column`, `add_column`, `rename`, `owner`, …); `or_replace`
    /// for `CREATE OR REPLACE FUNCTION|PROCEDURE|TRIGGER` (it may overwrite an existing one).
    pub operations: List,
    /// `CASCADE` was given.
    pub cascade: bool,
    /// Every object written was created earlier in the same request or is `TEMP`.
    pub temporary: bool,
    /// The statement runs SQL built at run time (`EXECUTE`, `DO` bodies, `PREPARE`).
    pub dynamic: bool,
    /// The language of the code a `CREATE FUNCTION|PROCEDURE` or `DO` defines or runs, lowercase
    /// (`plpgsql`, `sql`, `plpython3u`, `c` for a shared library), else `""`. Omitted from JSON
    /// when empty, so older readers and records stay valid.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub language: String,
}

mod object_kind_nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::enums::ObjectKind;

    pub fn serialize<S: Serializer>(kind: &ObjectKind, s: S) -> Result<S::Ok, S::Error> {
        match kind {
            ObjectKind::None => s.serialize_none(),
            other => other.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectKind, D::Error> {
        Ok(Option::<ObjectKind>::deserialize(d)?.unwrap_or(ObjectKind::None))
    }
}

/// One executed program, after unwrapping wrappers and resolving quoting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecAction {
    /// Basename of the program (`rm`, `psql`); a [`Str`], so it does not allocate.
    pub program: Str,
    /// The program as written (`/usr/bin/rm`).
    pub path: String,
    /// Every argument after the program, unquoted, in order. A `Vec`, not a [`List`]: the
    /// shell walker turns the command's words into it in place, without an allocation, and it
    /// is rarely empty.
    pub args: Vec<Str>,
    /// Flags, normalised to canonical long names without dashes for known programs
    /// (`rm -rf` → `["recursive", "force"]`); for others, short clusters split into letters.
    pub flags: List,
    /// Arguments that are not flags nor flag values.
    pub operands: List,
    /// Operands that name filesystem paths, normalised (`/var/log/` → `/var/log`). A relative
    /// path (here and in `writes`, `reads`, `sends`) is resolved against the working directory
    /// when an earlier `cd` in the same command made it known (`cd /srv && rm -rf x` →
    /// `/srv/x`); otherwise it stays relative.
    pub paths: List,
    /// Files written by output redirections (`>`, `>>`, `&>`, `tee` targets), `dd of=`, and a
    /// copier's local destination (`cp`, `mv`, `ln`, `install`, `rsync`, `scp`: `-t DIR`, else
    /// the last operand).
    pub writes: List,
    /// Files read by input redirections (`<`).
    pub reads: List,
    /// Programs of the earlier stages of the pipeline (or of a process substitution read as
    /// stdin, `cmd < <(…)`) feeding this one's stdin.
    pub piped_from: List,
    /// Programs of the later stages of the pipeline this one feeds.
    pub piped_to: List,
    /// Network hosts the program connects to.
    pub hosts: List,
    /// Local files (or `-` for stdin) whose contents are sent over the network; for a copy from
    /// one remote host to another (`scp db:/x.dump backup@host:/in/`), the remote source as
    /// written.
    pub sends: List,
    /// Run with elevated privileges (`sudo`, `doas`).
    pub elevated: bool,
    /// Runs on another host (`ssh host 'cmd'`), that host; else `""`.
    pub remote_host: String,
    /// Environment assignments in effect for the program, as `NAME=value`, in order: its own
    /// prefix (`HISTFILE=/dev/null bash`), those a wrapper passes (`env X=1 cmd`,
    /// `sudo X=1 cmd`, `docker exec -e X=1`), and those `export`/`declare`/`readonly`/`local`
    /// make. Omitted from JSON when empty, so older readers and records stay valid.
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub env: List,
    /// Container images the program runs or pulls, as written (`registry.example.com/api:1.3`,
    /// `busybox:1.36`): `docker|podman|nerdctl run|create|pull`, `kubectl run|create|debug
    /// --image`, `kubectl set image … c=IMAGE`, `crictl pull`, `ctr image pull|run`. An image
    /// from an unresolved expansion stays as written (`$IMG`); where an unknown option leaves
    /// the image's position ambiguous, both candidates are listed. Omitted from JSON when empty.
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub images: List,
}

/// A Kubernetes operation from `kubectl` or `helm`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct K8sAction {
    /// `kubectl` or `helm`.
    pub tool: String,
    /// The verb, lowercase (`delete`, `apply`, `get`, `rollout restart`, `uninstall`).
    pub verb: String,
    /// The resource type, plural and normalised (`ns` → `namespaces`, `deploy` → `deployments`).
    pub resource: String,
    pub names: List,
    /// The namespace given, else `""`.
    pub namespace: String,
    /// `--all`.
    pub all: bool,
    /// `--all-namespaces` / `-A`.
    pub all_namespaces: bool,
    /// Label selector (`-l`), else `""`.
    pub selector: String,
    pub flags: List,
}

/// A cloud provider CLI operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudAction {
    /// `aws`, `gcloud` or `az`.
    pub provider: String,
    /// `s3`, `ec2`, `rds`, `cloudtrail`, `compute`, …
    pub service: String,
    /// The operation, lowercase (`rm`, `delete-trail`, `instances delete`).
    pub operation: String,
    /// Resources named (`s3://bucket/key`, instance ids, trail names).
    pub resources: List,
    pub flags: List,
    /// Where a copy, move or sync writes (`s3://bucket/key`, or a local path for a
    /// download): its last positional resource; else `""`. Omitted from JSON when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub destination: String,
}

/// A git operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitAction {
    pub subcommand: String,
    pub flags: List,
    pub args: List,
    /// `--force`, `-f`, `--force-with-lease` or a `+refspec` on push.
    pub force: bool,
    pub remote: String,
    pub refs: List,
    /// The repository URL (or path) involved, as written: the one `remote add|set-url` or
    /// `config remote.NAME.url|pushurl` sets, `clone` reads, or `push`/`pull`/`fetch` names
    /// directly, through `-c remote.NAME.url=…`, or through a remote set earlier in the same
    /// request; else `""`. Omitted from JSON when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// A Terraform / OpenTofu operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerraformAction {
    /// `terraform` or `tofu`.
    pub tool: String,
    /// `plan`, `apply`, `destroy`, `state rm`, `import`, …
    pub subcommand: String,
    pub auto_approve: bool,
    /// `apply -destroy` or `destroy`.
    pub destroy: bool,
    pub targets: List,
    pub flags: List,
}

/// A service-manager operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAction {
    /// `systemctl`, `service`, `auditctl`, …
    pub manager: String,
    /// `stop`, `disable`, `mask`, `restart`, `delete-rules`, …
    pub verb: String,
    /// Units, without the `.service` suffix (`auditd`).
    pub units: List,
}

/// A Redis command sent by `redis-cli`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedisAction {
    /// The command, lowercase (`flushall`, `del`, `config set`).
    pub command: String,
    pub args: List,
    /// The host given with `-h`, else `""`.
    pub host: String,
}

/// What guard could not understand. Never silently allowed: policies decide what happens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpaqueAction {
    pub cause: OpaqueCause,
    pub reason: String,
}
