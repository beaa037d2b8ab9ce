//! `kubectl` (and `oc`) and `helm` → `k8s` actions: verb, resource type normalised to its
//! plural (`ns` → `namespaces`, `deploy` → `deployments`, `pod/web` → `pods` + `web`), names,
//! namespace, `--all`, `--all-namespaces`, label selector and canonical flags.

use guard_model::{ActionDetail, K8sAction, List, Str};

use super::{Invocation, Lifted};
use crate::shell::{ShortIndex, Spec, Takes, classify, kubectl_verb_position};

use Takes::{No, Path as P, Value as V};

macro_rules! kspec {
    ($name:ident, $follow:expr) => {
        pub(super) const $name: Spec = Spec {
            options: &[
                ("n", "namespace", V),
                ("namespace", "namespace", V),
                ("A", "all-namespaces", No),
                ("all-namespaces", "all-namespaces", No),
                ("all", "all", No),
                ("l", "selector", V),
                ("selector", "selector", V),
                ("o", "output", V),
                ("output", "output", V),
                ("f", $follow.0, $follow.1),
                ("filename", "filename", P),
                ("R", "recursive", No),
                ("recursive", "recursive", No),
                ("context", "context", V),
                ("kubeconfig", "kubeconfig", P),
                ("s", "server", V),
                ("server", "server", V),
                ("cluster", "cluster", V),
                ("user", "user", V),
                ("token", "token", V),
                ("as", "as", V),
                ("as-group", "as-group", V),
                ("field-selector", "field-selector", V),
                ("grace-period", "grace-period", V),
                ("force", "force", No),
                ("now", "now", No),
                ("wait", "wait", No),
                ("dry-run", "dry-run", No),
                ("timeout", "timeout", V),
                ("c", "container", V),
                ("container", "container", V),
                ("i", "stdin", No),
                ("stdin", "stdin", No),
                ("t", "tty", No),
                ("tty", "tty", No),
                ("replicas", "replicas", V),
                ("image", "image", V),
                ("type", "type", V),
                ("port", "port", V),
                ("target-port", "target-port", V),
                ("cascade", "cascade", No),
                ("ignore-daemonsets", "ignore-daemonsets", No),
                ("delete-emptydir-data", "delete-emptydir-data", No),
                ("delete-local-data", "delete-emptydir-data", No),
                ("overwrite", "overwrite", No),
                ("record", "record", No),
                ("p", "patch", V),
                ("patch", "patch", V),
                ("k", "kustomize", P),
                ("kustomize", "kustomize", P),
                ("w", "watch", No),
                ("watch", "watch", No),
                ("prune", "prune", No),
                ("server-side", "server-side", No),
                ("force-conflicts", "force-conflicts", No),
                ("from-literal", "from-literal", V),
                ("from-file", "from-file", P),
                ("from-env-file", "from-env-file", P),
                ("to-revision", "to-revision", V),
                ("show-labels", "show-labels", No),
                ("sort-by", "sort-by", V),
                ("L", "label-columns", V),
                ("since", "since", V),
                ("tail", "tail", V),
                ("previous", "previous", No),
                ("follow", "follow", No),
                ("v", "v", V),
                ("request-timeout", "request-timeout", V),
                ("ignore-not-found", "ignore-not-found", No),
                ("insecure-skip-tls-verify", "insecure-skip-tls-verify", No),
            ],
            single_dash_long: false,
            stop_at_operand: false,
            path_operands: false,
            short: ShortIndex::NONE,
        }
        .indexed();
    };
}

kspec!(KUBECTL, ("filename", P));
kspec!(KUBECTL_LOGS, ("follow", No));

pub(super) const HELM: Spec = Spec {
    options: &[
        ("n", "namespace", V),
        ("namespace", "namespace", V),
        ("kube-context", "kube-context", V),
        ("kubeconfig", "kubeconfig", P),
        ("A", "all-namespaces", No),
        ("all-namespaces", "all-namespaces", No),
        ("a", "all", No),
        ("all", "all", No),
        ("f", "values", P),
        ("values", "values", P),
        ("set", "set", V),
        ("set-string", "set-string", V),
        ("set-file", "set-file", V),
        ("version", "version", V),
        ("wait", "wait", No),
        ("timeout", "timeout", V),
        ("atomic", "atomic", No),
        ("i", "install", No),
        ("install", "install", No),
        ("force", "force", No),
        ("dry-run", "dry-run", No),
        ("keep-history", "keep-history", No),
        ("no-hooks", "no-hooks", No),
        ("cleanup-on-fail", "cleanup-on-fail", No),
        ("create-namespace", "create-namespace", No),
        ("reuse-values", "reuse-values", No),
        ("reset-values", "reset-values", No),
        ("repo", "repo", V),
        ("o", "output", V),
        ("output", "output", V),
        ("l", "selector", V),
        ("selector", "selector", V),
        ("description", "description", V),
        ("cascade", "cascade", V),
        ("debug", "debug", No),
    ],
    single_dash_long: false,
    stop_at_operand: false,
    path_operands: false,
    short: ShortIndex::NONE,
}
.indexed();

/// Short names and singulars of Kubernetes resources, to their plural names.
const ALIASES: &[(&str, &str)] = &[
    ("po", "pods"),
    ("pod", "pods"),
    ("ns", "namespaces"),
    ("namespace", "namespaces"),
    ("deploy", "deployments"),
    ("deployment", "deployments"),
    ("svc", "services"),
    ("service", "services"),
    ("pvc", "persistentvolumeclaims"),
    ("persistentvolumeclaim", "persistentvolumeclaims"),
    ("pv", "persistentvolumes"),
    ("persistentvolume", "persistentvolumes"),
    ("sts", "statefulsets"),
    ("statefulset", "statefulsets"),
    ("ds", "daemonsets"),
    ("daemonset", "daemonsets"),
    ("cm", "configmaps"),
    ("configmap", "configmaps"),
    ("secret", "secrets"),
    ("rs", "replicasets"),
    ("replicaset", "replicasets"),
    ("rc", "replicationcontrollers"),
    ("ing", "ingresses"),
    ("ingress", "ingresses"),
    ("no", "nodes"),
    ("node", "nodes"),
    ("sa", "serviceaccounts"),
    ("serviceaccount", "serviceaccounts"),
    ("cj", "cronjobs"),
    ("cronjob", "cronjobs"),
    ("job", "jobs"),
    ("ep", "endpoints"),
    ("crd", "customresourcedefinitions"),
    ("crds", "customresourcedefinitions"),
    ("customresourcedefinition", "customresourcedefinitions"),
    ("netpol", "networkpolicies"),
    ("networkpolicy", "networkpolicies"),
    ("hpa", "horizontalpodautoscalers"),
    ("horizontalpodautoscaler", "horizontalpodautoscalers"),
    ("pdb", "poddisruptionbudgets"),
    ("poddisruptionbudget", "poddisruptionbudgets"),
    ("role", "roles"),
    ("rolebinding", "rolebindings"),
    ("clusterrole", "clusterroles"),
    ("clusterrolebinding", "clusterrolebindings"),
    ("ev", "events"),
    ("event", "events"),
    ("quota", "resourcequotas"),
    ("resourcequota", "resourcequotas"),
    ("limits", "limitranges"),
    ("limitrange", "limitranges"),
    ("sc", "storageclasses"),
    ("storageclass", "storageclasses"),
    ("pc", "priorityclasses"),
    ("priorityclass", "priorityclasses"),
    ("csr", "certificatesigningrequests"),
    (
        "mutatingwebhookconfiguration",
        "mutatingwebhookconfigurations",
    ),
    (
        "validatingwebhookconfiguration",
        "validatingwebhookconfigurations",
    ),
];

/// `deploy` → `deployments`, `Deployment.apps` → `deployments`, `pods,svc` → `pods,services`.
pub(crate) fn normalize_resource(text: &str) -> String {
    text.split(',')
        .map(|one| {
            let lower = one.to_ascii_lowercase();
            let base = lower.split('.').next().unwrap_or(&lower).to_string();
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == base)
                .map_or(base, |(_, full)| (*full).to_string())
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Verbs whose operand is a pod rather than a resource type.
const POD_VERBS: &[&str] = &["logs", "exec", "attach", "port-forward", "cp", "debug"];
/// Verbs acting on nodes.
const NODE_VERBS: &[&str] = &["cordon", "uncordon", "drain", "taint"];
/// Verbs with a sub-verb (`rollout restart`, `config use-context`).
const TWO_WORD: &[&str] = &["rollout", "config", "auth", "certificate", "plugin", "set"];
/// Verbs without a resource operand.
const NO_RESOURCE: &[&str] = &[
    "apply",
    "replace",
    "diff",
    "version",
    "cluster-info",
    "api-resources",
    "api-versions",
    "config",
    "auth",
    "proxy",
    "kustomize",
    "wait",
    "run",
];

pub(super) fn kubectl(inv: &Invocation<'_>) -> Lifted {
    let Some(pos) = kubectl_verb_position(inv.args) else {
        return Lifted::default();
    };
    let is_logs = inv.args.get(pos).is_some_and(|a| a.text == "logs");
    let c = classify(
        Some(if is_logs { &KUBECTL_LOGS } else { &KUBECTL }),
        inv.args,
    );
    let operands: Vec<&str> = c
        .operands
        .iter()
        .filter_map(|&i| inv.args.get(i))
        .map(|a| a.text.as_str())
        .collect();
    // Stop at `--` (what `exec` runs is not kubectl's).
    let dash = inv.args.iter().position(|a| a.text == "--");
    let operands: Vec<&str> = match dash {
        Some(d) => c
            .operands
            .iter()
            .filter(|&&i| i < d)
            .filter_map(|&i| inv.args.get(i))
            .map(|a| a.text.as_str())
            .collect(),
        None => operands,
    };
    let Some((verb, rest)) = operands.split_first() else {
        return Lifted::default();
    };
    let mut verb = verb.to_ascii_lowercase();
    let mut rest: &[&str] = rest;
    if TWO_WORD.contains(&verb.as_str())
        && let Some((sub, tail)) = rest.split_first()
    {
        verb = format!("{verb} {sub}");
        rest = tail;
    }
    // `k` is the usual alias of kubectl.
    let tool = if inv.program == "k" {
        "kubectl"
    } else {
        inv.program
    };
    let mut action = K8sAction {
        tool: tool.to_string(),
        verb: verb.clone(),
        namespace: c.value("namespace").unwrap_or("").to_string(),
        all: c.has("all"),
        all_namespaces: c.has("all-namespaces"),
        selector: c.value("selector").unwrap_or("").to_string(),
        flags: c.owned_flags(),
        ..K8sAction::default()
    };
    let base_verb = verb.split(' ').next().unwrap_or("");
    let mut names = List::new();
    let mut resources: Vec<String> = vec![];
    if POD_VERBS.contains(&base_verb) {
        resources.push("pods".into());
        for r in rest.iter().take(1) {
            match r.split_once('/') {
                Some((kind, name)) => {
                    resources = vec![normalize_resource(kind)];
                    names.push(Str::from(name));
                }
                None => names.push(Str::from(*r)),
            }
        }
    } else if NODE_VERBS.contains(&base_verb) {
        resources.push("nodes".into());
        // `taint NODE KEY=VAL:EFFECT…` names one node; `cordon`/`uncordon`/`drain` take several.
        let nodes = if base_verb == "taint" { 1 } else { rest.len() };
        names.extend(rest.iter().take(nodes).map(|s| Str::from(*s)));
    } else if NO_RESOURCE.contains(&base_verb) && !verb.starts_with("rollout") {
        names.extend(rest.iter().map(|s| Str::from(*s)));
    } else if let Some((first, tail)) = rest.split_first() {
        if first.contains('/') {
            for r in rest {
                if let Some((kind, name)) = r.split_once('/') {
                    let kind = normalize_resource(kind);
                    if !resources.contains(&kind) {
                        resources.push(kind);
                    }
                    names.push(Str::from(name));
                }
            }
        } else {
            resources.push(normalize_resource(first));
            let mut tail: &[&str] = tail;
            if base_verb == "create"
                && first.starts_with("secret")
                && let Some((kind, after)) = tail.split_first()
                && matches!(*kind, "generic" | "tls" | "docker-registry")
            {
                tail = after;
            }
            names.extend(tail.iter().map(|s| Str::from(*s)));
        }
    }
    action.resource = resources.join(",");
    action.names = names;
    Lifted::single(inv.action(ActionDetail::K8s(action)))
}

pub(super) fn helm(inv: &Invocation<'_>) -> Lifted {
    let c = classify(Some(&HELM), inv.args);
    let operands: Vec<&str> = c
        .operands
        .iter()
        .filter_map(|&i| inv.args.get(i))
        .map(|a| a.text.as_str())
        .collect();
    let Some((verb, rest)) = operands.split_first() else {
        return Lifted::default();
    };
    let verb = match *verb {
        "uninstall" | "delete" | "del" | "un" => "uninstall",
        "ls" => "list",
        "upgrade" | "install" | "rollback" | "list" | "status" | "history" | "template"
        | "test" | "get" => verb,
        other => other,
    };
    let names: List = match verb {
        "uninstall" => rest.iter().map(|s| Str::from(*s)).collect(),
        "list" | "repo" | "search" | "version" | "env" | "plugin" | "registry" => List::new(),
        _ => rest.iter().take(1).map(|s| Str::from(*s)).collect(),
    };
    let action = K8sAction {
        tool: "helm".into(),
        verb: verb.to_string(),
        resource: "releases".into(),
        names,
        namespace: c.value("namespace").unwrap_or("").to_string(),
        all: c.has("all"),
        all_namespaces: c.has("all-namespaces"),
        selector: c.value("selector").unwrap_or("").to_string(),
        flags: c.owned_flags(),
    };
    Lifted::single(inv.action(ActionDetail::K8s(action)))
}
