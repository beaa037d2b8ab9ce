//! Cloud CLIs → `cloud` actions: `aws SERVICE OPERATION`, `gcloud GROUP… VERB`,
//! `az GROUP… VERB`, with the resources named (operands, `s3://…`, and the values of options
//! that name things: `--bucket`, `--name`, `--instance-ids`, …) and canonical flags.
//!
//! These CLIs take `--option value`; an option is boolean only when listed as such (or spelled
//! `--no-…`), so a value is never mistaken for a resource.

use guard_model::{ActionDetail, CloudAction, List, Str};

use super::{Invocation, Lifted};

/// Options that take no value, per provider.
const AWS_BOOL: &[&str] = &[
    "recursive",
    "force",
    "dryrun",
    "dry-run",
    "quiet",
    "debug",
    "no-verify-ssl",
    "no-paginate",
    "no-sign-request",
    "only-show-errors",
    "follow-symlinks",
    "exact-timestamps",
    "delete",
    "skip-final-snapshot",
    "delete-automated-backups",
    "apply-immediately",
    "include-all-instances",
    "force-delete-without-recovery",
    "bypass-governance-retention",
    "all",
    "no-cli-pager",
    "no-progress",
    "size-only",
    "force-glacier-transfer",
    "human-readable",
    "summarize",
];
const GCLOUD_BOOL: &[&str] = &[
    "quiet",
    "q",
    "recursive",
    "r",
    "async",
    "force",
    "all",
    "delete-disks",
    "keep-disks",
    "no-user-output-enabled",
    "verbosity-debug",
    "dry-run",
    "continue-on-error",
    "skip-delete-protection",
    "billing-project-disabled",
];
const AZ_BOOL: &[&str] = &[
    "yes",
    "y",
    "no-wait",
    "force",
    "recursive",
    "all",
    "debug",
    "verbose",
    "only-show-errors",
    "force-deletion",
    "purge",
    "no-prompt",
    "delete-snapshots",
    "dry-run",
];

/// Option names whose values name resources.
fn names_resource(option: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "bucket",
        "name",
        "names",
        "id",
        "ids",
        "arn",
        "arns",
        "identifier",
        "key",
        "instance",
        "table",
        "cluster",
        "function",
        "group",
        "stack",
        "trail",
        "resource-group",
        "vault",
    ];
    SUFFIXES
        .iter()
        .any(|s| option == *s || option.ends_with(&format!("-{s}")))
}

struct Parsed {
    operands: Vec<Str>,
    flags: List,
    resources: Vec<Str>,
}

fn parse(inv: &Invocation<'_>, booleans: &[&str]) -> Parsed {
    let mut parsed = Parsed {
        operands: vec![],
        flags: List::new(),
        resources: vec![],
    };
    let mut i = 0;
    while let Some(a) = inv.args.get(i) {
        i += 1;
        let text = a.text.as_str();
        let Some(body) = text
            .strip_prefix("--")
            .or_else(|| text.strip_prefix('-').filter(|b| !b.is_empty()))
        else {
            parsed.operands.push(Str::from(text));
            continue;
        };
        if body.is_empty() {
            continue;
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let name = match name {
            "y" => "yes",
            "q" => "quiet",
            "r" => "recursive",
            other => other,
        };
        if !parsed.flags.iter().any(|f| f == name) {
            parsed.flags.push(Str::from(name));
        }
        let boolean = booleans.contains(&name) || name.starts_with("no-");
        let value = match inline {
            Some(v) => Some(v),
            None if !boolean => inv
                .args
                .get(i)
                .filter(|n| !n.text.starts_with("--"))
                .map(|n| {
                    i += 1;
                    n.text.as_str()
                }),
            None => None,
        };
        if let Some(v) = value
            && names_resource(name)
        {
            parsed
                .resources
                .extend(v.split([',', ' ']).filter(|s| !s.is_empty()).map(Str::from));
        }
    }
    parsed
}

fn action(
    inv: &Invocation<'_>,
    provider: &str,
    service: String,
    operation: String,
    mut resources: List,
    flags: List,
    extra: Vec<Str>,
) -> Lifted {
    // A copy's destination is its last positional resource (`cp SRC DST`).
    let copies = matches!(
        operation.rsplit(' ').next(),
        Some("cp" | "mv" | "sync" | "rsync")
    );
    let destination = match resources.as_slice() {
        [_, .., last] if copies => last.to_string(),
        _ => String::new(),
    };
    resources.extend(extra);
    let cloud = CloudAction {
        provider: provider.to_string(),
        service,
        operation,
        resources,
        flags,
        destination,
    };
    Lifted::single(inv.action(ActionDetail::Cloud(cloud)))
}

pub(super) fn aws(inv: &Invocation<'_>) -> Lifted {
    let p = parse(inv, AWS_BOOL);
    let mut operands = p.operands.into_iter();
    let Some(service) = operands.next() else {
        return Lifted::default();
    };
    let operation = operands
        .next()
        .map(|o| o.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    let rest: List = operands.collect();
    action(
        inv,
        "aws",
        service.as_str().to_ascii_lowercase(),
        operation,
        rest,
        p.flags,
        p.resources,
    )
}

/// Words that end a gcloud / az command path (the verb); what follows are resources.
const VERBS: &[&str] = &[
    "delete",
    "create",
    "list",
    "describe",
    "update",
    "rm",
    "cp",
    "mv",
    "ls",
    "cat",
    "start",
    "stop",
    "restart",
    "reset",
    "resize",
    "deploy",
    "show",
    "purge",
    "remove",
    "add",
    "set",
    "get",
    "import",
    "export",
    "patch",
    "disable",
    "enable",
    "clone",
    "restore",
    "failover",
    "promote-replica",
    "rsync",
    "undelete",
    "destroy",
    "rotate",
    "revoke",
    "grant",
    "add-iam-policy-binding",
    "remove-iam-policy-binding",
    "set-iam-policy",
    "get-iam-policy",
    "ssh",
    "scp",
    "wait",
    "suspend",
    "resume",
    "attach",
    "detach",
    "connect",
    "login",
    "upload",
    "download",
    "sign",
    "run",
    "execute",
    "invoke",
];

fn grouped(inv: &Invocation<'_>, provider: &str, booleans: &[&str]) -> Lifted {
    let p = parse(inv, booleans);
    let Some((service, rest)) = p.operands.split_first() else {
        return Lifted::default();
    };
    let verb_at = rest.iter().position(|w| {
        VERBS.contains(&w.as_str())
            || w.starts_with("delete-")
            || w.starts_with("set-")
            || w.starts_with("remove-")
    });
    let (path, resources): (Vec<Str>, List) = match verb_at {
        Some(v) => (
            rest.iter().take(v + 1).cloned().collect(),
            rest.iter().skip(v + 1).cloned().collect(),
        ),
        None => (rest.to_vec(), List::new()),
    };
    action(
        inv,
        provider,
        service.as_str().to_ascii_lowercase(),
        path.join(" ").to_ascii_lowercase(),
        resources,
        p.flags,
        p.resources,
    )
}

pub(super) fn gcloud(inv: &Invocation<'_>) -> Lifted {
    grouped(inv, "gcloud", GCLOUD_BOOL)
}

pub(super) fn az(inv: &Invocation<'_>) -> Lifted {
    grouped(inv, "az", AZ_BOOL)
}
