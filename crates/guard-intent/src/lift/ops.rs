//! Operations tools: `terraform`/`tofu`, `git`, and service managers (`systemctl`, `service`,
//! `auditctl`).

use guard_model::{Action, ActionDetail, GitAction, List, ServiceAction, Str, TerraformAction};

use super::{Invocation, Lifted};
use crate::shell::{ShortIndex, Spec, Takes, classify};

use Takes::{No, Path as P, Value as V};

/// Terraform options that take a value (Go's flag package also accepts `-target x`).
const TF_VALUED: &[&str] = &[
    "target",
    "var",
    "var-file",
    "replace",
    "out",
    "state",
    "state-out",
    "backup",
    "lock-timeout",
    "parallelism",
    "chdir",
    "backend-config",
    "plugin-dir",
    "from-module",
    "generate-config-out",
    "test-directory",
    "filter",
];
/// Terraform commands with a sub-command.
const TF_TWO_WORD: &[&str] = &[
    "state",
    "workspace",
    "providers",
    "force-unlock-",
    "metadata",
];

pub(super) fn terraform(inv: &Invocation<'_>) -> Lifted {
    let mut flags = List::new();
    let mut operands: Vec<String> = vec![];
    let mut targets = List::new();
    let mut auto_approve = false;
    let mut i = 0;
    while let Some(a) = inv.args.get(i) {
        i += 1;
        let Some(body) = a
            .text
            .strip_prefix("--")
            .or_else(|| a.text.strip_prefix('-'))
            .filter(|b| !b.is_empty())
        else {
            operands.push(a.text.clone());
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (body.to_string(), None),
        };
        let value = match inline {
            Some(v) => Some(v),
            None if TF_VALUED.contains(&name.as_str()) => inv.args.get(i).map(|n| {
                i += 1;
                n.text.clone()
            }),
            None => None,
        };
        match name.as_str() {
            "target" => targets.extend(value.as_deref().map(Str::from)),
            "auto-approve" | "force" => auto_approve = value.as_deref() != Some("false"),
            _ => {}
        }
        if !flags.iter().any(|f| *f == name) {
            flags.push(Str::from(name));
        }
    }
    let Some((first, rest)) = operands.split_first() else {
        return Lifted::default();
    };
    let mut subcommand = first.clone();
    let mut rest: &[String] = rest;
    if TF_TWO_WORD.contains(&first.as_str())
        && let Some((sub, tail)) = rest.split_first()
    {
        subcommand = format!("{first} {sub}");
        rest = tail;
    }
    if matches!(
        subcommand.as_str(),
        "state rm" | "state mv" | "taint" | "untaint" | "import" | "state replace-provider"
    ) {
        targets.extend(
            rest.iter()
                .take(if subcommand == "state rm" {
                    usize::MAX
                } else {
                    1
                })
                .map(|t| Str::from(t.as_str())),
        );
    }
    let destroy = subcommand == "destroy" || flags.iter().any(|f| f == "destroy");
    let action = TerraformAction {
        tool: inv.program.to_string(),
        subcommand,
        auto_approve,
        destroy,
        targets,
        flags,
    };
    Lifted::single(inv.action(ActionDetail::Terraform(action)))
}

/// Global git options that take a value.
const GIT_GLOBAL_VALUED: &[&str] = &[
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--exec-path",
    "--config-env",
    "--super-prefix",
];

macro_rules! gspec {
    ($name:ident, [$($opt:expr),* $(,)?]) => {
        pub(super) const $name: Spec = Spec { options: &[$($opt),*], single_dash_long: false, stop_at_operand: false, path_operands: false, short: ShortIndex::NONE }.indexed();
    };
}

gspec!(
    GIT_PUSH,
    [
        ("f", "force", No),
        ("force", "force", No),
        ("force-with-lease", "force-with-lease", No),
        ("force-if-includes", "force-if-includes", No),
        ("u", "set-upstream", No),
        ("set-upstream", "set-upstream", No),
        ("d", "delete", No),
        ("delete", "delete", No),
        ("n", "dry-run", No),
        ("dry-run", "dry-run", No),
        ("mirror", "mirror", No),
        ("all", "all", No),
        ("tags", "tags", No),
        ("prune", "prune", No),
        ("o", "push-option", V),
        ("push-option", "push-option", V),
        ("repo", "repo", V),
        ("no-verify", "no-verify", No),
        ("q", "quiet", No),
        ("v", "verbose", No),
        ("atomic", "atomic", No),
    ]
);
gspec!(
    GIT_RESET,
    [
        ("hard", "hard", No),
        ("soft", "soft", No),
        ("mixed", "mixed", No),
        ("keep", "keep", No),
        ("merge", "merge", No),
        ("q", "quiet", No),
        ("p", "patch", No)
    ]
);
gspec!(
    GIT_CLEAN,
    [
        ("f", "force", No),
        ("force", "force", No),
        ("d", "directories", No),
        ("x", "ignored", No),
        ("X", "only-ignored", No),
        ("n", "dry-run", No),
        ("dry-run", "dry-run", No),
        ("i", "interactive", No),
        ("q", "quiet", No),
        ("e", "exclude", V),
        ("exclude", "exclude", V)
    ]
);
gspec!(
    GIT_BRANCH,
    [
        ("d", "delete", No),
        ("delete", "delete", No),
        ("D", "delete-force", No),
        ("m", "move", No),
        ("move", "move", No),
        ("M", "move-force", No),
        ("f", "force", No),
        ("force", "force", No),
        ("r", "remotes", No),
        ("remotes", "remotes", No),
        ("a", "all", No),
        ("all", "all", No),
        ("u", "set-upstream-to", V),
        ("set-upstream-to", "set-upstream-to", V),
        ("c", "copy", No),
        ("C", "copy-force", No),
        ("l", "list", No),
        ("v", "verbose", No),
    ]
);
gspec!(
    GIT_CHECKOUT,
    [
        ("f", "force", No),
        ("force", "force", No),
        ("b", "branch", V),
        ("B", "force-branch", V),
        ("q", "quiet", No),
        ("p", "patch", No),
        ("t", "track", No),
        ("orphan", "orphan", V),
        ("detach", "detach", No)
    ]
);
gspec!(
    GIT_COMMIT,
    [
        ("m", "message", V),
        ("message", "message", V),
        ("a", "all", No),
        ("all", "all", No),
        ("F", "file", P),
        ("amend", "amend", No),
        ("n", "no-verify", No),
        ("no-verify", "no-verify", No),
        ("S", "gpg-sign", No),
        ("s", "signoff", No),
        ("C", "reuse-message", V),
        ("q", "quiet", No),
        ("allow-empty", "allow-empty", No)
    ]
);
gspec!(
    GIT_RM,
    [
        ("r", "recursive", No),
        ("f", "force", No),
        ("force", "force", No),
        ("cached", "cached", No),
        ("n", "dry-run", No),
        ("q", "quiet", No)
    ]
);
gspec!(
    GIT_OTHER,
    [
        ("f", "force", No),
        ("force", "force", No),
        ("m", "message", V),
        ("message", "message", V),
        ("b", "branch", V),
        ("q", "quiet", No),
        ("v", "verbose", No),
        ("n", "dry-run", No)
    ]
);

pub(super) fn git(inv: &Invocation<'_>) -> Lifted {
    let mut i = 0;
    while let Some(a) = inv.args.get(i) {
        if GIT_GLOBAL_VALUED.contains(&a.text.as_str()) {
            i += 2;
        } else if a.text.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    let Some(sub) = inv.args.get(i) else {
        return Lifted::default();
    };
    let subcommand = sub.text.clone();
    let tail = inv.args.get(i + 1..).unwrap_or_default();
    let spec = match subcommand.as_str() {
        "push" => &GIT_PUSH,
        "reset" => &GIT_RESET,
        "clean" => &GIT_CLEAN,
        "branch" => &GIT_BRANCH,
        "checkout" | "switch" => &GIT_CHECKOUT,
        "commit" => &GIT_COMMIT,
        "rm" => &GIT_RM,
        _ => &GIT_OTHER,
    };
    let c = classify(Some(spec), tail);
    let mut flags = c.owned_flags();
    for (combined, parts) in [
        ("delete-force", ["delete", "force"]),
        ("move-force", ["move", "force"]),
        ("copy-force", ["copy", "force"]),
    ] {
        if let Some(pos) = flags.iter().position(|f| f == combined) {
            flags.remove(pos);
            for p in parts {
                if !flags.iter().any(|f| f == p) {
                    flags.push(Str::from(p));
                }
            }
        }
    }
    let operands: List = c
        .operands
        .iter()
        .filter_map(|&k| tail.get(k))
        .map(|a| Str::from(a.text.as_str()))
        .collect();
    let mut force = flags.iter().any(|f| {
        matches!(
            f.as_str(),
            "force" | "force-with-lease" | "force-if-includes"
        )
    });
    let mut url = String::new();
    let (remote, refs) = if subcommand == "remote" {
        // `git remote add NAME URL`, `git remote set-url [--push|--add] NAME URL [OLD]`:
        // the remote and its URL, no refs.
        let mut it = operands.iter();
        match it.next().map(Str::as_str) {
            // `add [-t BRANCH] [-m HEAD] … NAME URL`: the last two operands.
            Some("add") => {
                let rest = it.as_slice();
                if let [.., name, u] = rest {
                    url = u.to_string();
                    (name.to_string(), List::new())
                } else {
                    (
                        rest.first().map(|r| r.to_string()).unwrap_or_default(),
                        List::new(),
                    )
                }
            }
            // `set-url [--push|--add|--delete] NAME NEWURL [OLDURL]`.
            Some("set-url") => {
                let remote = it.next().map(|r| r.to_string()).unwrap_or_default();
                url = it.next().map(|u| u.to_string()).unwrap_or_default();
                (remote, List::new())
            }
            Some(_) => (
                it.next().map(|r| r.to_string()).unwrap_or_default(),
                List::new(),
            ),
            None => (String::new(), List::new()),
        }
    } else if subcommand == "config" {
        // `git config [set] [--add] remote.NAME.url|pushurl URL`.
        let mut it = operands.iter();
        let mut remote = String::new();
        while let Some(key) = it.next() {
            if let Some(name) = remote_url_key(key) {
                remote = name.to_string();
                url = it.next().map(|u| u.to_string()).unwrap_or_default();
                break;
            }
        }
        (remote, List::new())
    } else if subcommand == "clone" {
        url = operands.first().map(|u| u.to_string()).unwrap_or_default();
        (String::new(), List::new())
    } else if matches!(subcommand.as_str(), "push" | "pull" | "fetch") {
        let mut it = operands.iter();
        let remote = it.next().map(|r| r.to_string()).unwrap_or_default();
        let refs: List = it
            .map(|r| {
                if subcommand == "push" && r.starts_with('+') {
                    force = true;
                }
                Str::from(r.trim_start_matches('+'))
            })
            .collect();
        // A remote named by URL (`git push https://… main`, `git fetch git@host:x.git`), or
        // given one by `git -c remote.NAME.url=URL push NAME`.
        if is_repository_url(&remote) {
            url.clone_from(&remote);
        } else if let Some(u) = global_remote_url(inv.args.get(..i).unwrap_or_default(), &remote) {
            url = u.to_string();
        }
        (remote, refs)
    } else {
        (String::new(), operands)
    };
    let action = GitAction {
        subcommand,
        flags,
        args: tail.iter().map(|a| Str::from(a.text.as_str())).collect(),
        force,
        remote,
        refs,
        url,
    };
    Lifted::single(inv.action(ActionDetail::Git(action)))
}

/// `NAME` of a `remote.NAME.url` or `remote.NAME.pushurl` configuration key.
fn remote_url_key(key: &str) -> Option<&str> {
    let rest = key.get(..7).filter(|p| p.eq_ignore_ascii_case("remote."))?;
    let rest = key.get(rest.len()..)?;
    let (name, var) = rest.rsplit_once('.')?;
    (!name.is_empty() && (var.eq_ignore_ascii_case("url") || var.eq_ignore_ascii_case("pushurl")))
        .then_some(name)
}

/// The URL a global `-c remote.NAME.url=URL` (before the subcommand) gives `remote`; the last
/// one wins, as in git.
fn global_remote_url<'a>(globals: &'a [crate::shell::Arg], remote: &str) -> Option<&'a str> {
    let mut found = None;
    let mut words = globals.iter();
    while let Some(a) = words.next() {
        let setting = match a.text.as_str() {
            "-c" => words.next().map(|v| v.text.as_str()),
            other => other.strip_prefix("-c").filter(|v| v.contains('=')),
        };
        if let Some((key, value)) = setting.and_then(|s| s.split_once('='))
            && remote_url_key(key) == Some(remote)
        {
            found = Some(value);
        }
    }
    found
}

/// A remote written as a URL rather than a name: `scheme://…`, `user@host:path`, `host:path`,
/// or a local path (`/srv/x.git`, `../x`).
fn is_repository_url(remote: &str) -> bool {
    remote.contains("://")
        || remote.contains('@')
        || remote.contains(':')
        || remote.starts_with('/')
        || remote.starts_with('.')
        || remote.starts_with('~')
}

/// Resolves, within one request, the URL of a remote pushed to, pulled or fetched by name when
/// an earlier `git remote add|set-url` of the same request set it (`git remote add x URL && git
/// push x --all`): a request-local fact, like a constant variable. `git remote remove|rm|rename`
/// forgets the name. Actions are in the order the text runs them; a remote set under a branch
/// is still taken as set, which can only make a rule stricter.
pub(crate) fn resolve_git_remotes(actions: &mut [Action]) {
    let mut remotes: Vec<(String, String)> = Vec::new();
    for action in actions {
        let ActionDetail::Git(g) = &mut action.detail else {
            continue;
        };
        match g.subcommand.as_str() {
            "config" if !g.remote.is_empty() && !g.url.is_empty() => {
                remotes.retain(|(name, _)| *name != g.remote);
                remotes.push((g.remote.clone(), g.url.clone()));
            }
            "remote" => {
                let op = g
                    .args
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .map_or("", Str::as_str);
                match op {
                    "add" | "set-url" if !g.remote.is_empty() && !g.url.is_empty() => {
                        remotes.retain(|(name, _)| *name != g.remote);
                        remotes.push((g.remote.clone(), g.url.clone()));
                    }
                    "remove" | "rm" | "rename" => {
                        remotes.retain(|(name, _)| *name != g.remote);
                    }
                    _ => {}
                }
            }
            "push" | "pull" | "fetch" if g.url.is_empty() => {
                if let Some((_, url)) = remotes.iter().rev().find(|(name, _)| *name == g.remote) {
                    g.url.clone_from(url);
                }
            }
            _ => {}
        }
    }
}

gspec!(
    SYSTEMCTL,
    [
        ("H", "host", V),
        ("host", "host", V),
        ("M", "machine", V),
        ("machine", "machine", V),
        ("t", "type", V),
        ("type", "type", V),
        ("state", "state", V),
        ("p", "property", V),
        ("property", "property", V),
        ("n", "lines", V),
        ("lines", "lines", V),
        ("o", "output", V),
        ("output", "output", V),
        ("s", "signal", V),
        ("signal", "signal", V),
        ("kill-whom", "kill-whom", V),
        ("root", "root", P),
        ("job-mode", "job-mode", V),
        ("user", "user", No),
        ("system", "system", No),
        ("now", "now", No),
        ("f", "force", No),
        ("force", "force", No),
        ("q", "quiet", No),
        ("quiet", "quiet", No),
        ("no-block", "no-block", No),
        ("no-pager", "no-pager", No),
        ("l", "full", No),
        ("a", "all", No),
        ("all", "all", No),
        ("global", "global", No),
        ("runtime", "runtime", No),
        ("r", "recursive", No),
        ("i", "ignore-inhibitors", No),
        ("no-reload", "no-reload", No),
        ("no-ask-password", "no-ask-password", No),
    ]
);

fn unit_name(text: &str) -> Str {
    Str::from(text.strip_suffix(".service").unwrap_or(text))
}

fn service_action(inv: &Invocation<'_>, verb: String, units: List) -> Lifted {
    let action = ServiceAction {
        manager: inv.program.to_string(),
        verb,
        units,
    };
    Lifted::single(inv.action(ActionDetail::Service(action)))
}

pub(super) fn systemctl(inv: &Invocation<'_>) -> Lifted {
    let c = classify(Some(&SYSTEMCTL), inv.args);
    // The operands' texts, walked without collecting them: the verb, then the units.
    let mut operands = c
        .operands
        .iter()
        .filter_map(|&i| inv.args.get(i))
        .map(|a| a.text.as_str());
    let Some(verb) = operands.next() else {
        return service_action(inv, "list-units".to_string(), List::new());
    };
    service_action(
        inv,
        verb.to_ascii_lowercase(),
        operands.map(unit_name).collect(),
    )
}

pub(super) fn service(inv: &Invocation<'_>) -> Lifted {
    let operands: Vec<&str> = inv
        .args
        .iter()
        .map(|a| a.text.as_str())
        .filter(|t| !t.starts_with('-'))
        .collect();
    match operands.as_slice() {
        [unit, verb, ..] => service_action(
            inv,
            verb.to_ascii_lowercase(),
            List::from([unit_name(unit)]),
        ),
        [unit] => service_action(inv, "status".to_string(), List::from([unit_name(unit)])),
        [] => Lifted::default(),
    }
}

pub(super) fn auditctl(inv: &Invocation<'_>) -> Lifted {
    let mut out = Lifted::default();
    let mut verbs: Vec<String> = vec![];
    let mut i = 0;
    while let Some(a) = inv.args.get(i) {
        i += 1;
        let verb = match a.text.as_str() {
            "-D" => "delete-rules".to_string(),
            "-e" | "--enable" => {
                let value = inv.args.get(i).map(|v| v.text.clone()).unwrap_or_default();
                i += 1;
                match value.as_str() {
                    "0" => "disable".to_string(),
                    "2" => "lock".to_string(),
                    _ => "enable".to_string(),
                }
            }
            "-d" | "-W" => "delete-rule".to_string(),
            "-a" | "-A" | "-w" => "add-rule".to_string(),
            "-l" => "list".to_string(),
            "-s" => "status".to_string(),
            "-b" | "-f" | "-r" | "--backlog_wait_time" => "configure".to_string(),
            "-R" => "load-rules".to_string(),
            _ => continue,
        };
        if !verbs.contains(&verb) {
            verbs.push(verb);
        }
    }
    for verb in verbs {
        out.actions
            .extend(service_action(inv, verb, List::new()).actions);
    }
    out
}
