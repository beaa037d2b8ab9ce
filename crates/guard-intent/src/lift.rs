//! Lifting: known tools become typed actions of their own beside their `exec` action —
//! SQL clients (`psql -c`, `mysql -e`, `sqlite3 db 'sql'`, here-documents fed to them) re-enter
//! [`crate::sql`]; `kubectl`/`helm` → `k8s`; `aws`/`gcloud`/`az` → `cloud`; `terraform`/`tofu`;
//! `git`; `redis-cli`; `systemctl`/`service`/`auditctl` → `service`.
//!
//! The table [`LIFTERS`] has one entry per program and a function building its actions; adding
//! a tool is adding a line and a function. Shell text a tool runs (`psql`'s `\!`, sqlite's
//! `.shell`) is handed back as [`NestedShell`] for the shell walker to analyse.
//!
//! Invariant: lifting only adds actions; the `exec` action of the program is always there.

mod cloud;
mod db;
mod images;
mod k8s;
mod ops;

use guard_model::{Action, ActionDetail};

pub(crate) use images::images;
pub(crate) use ops::resolve_git_remotes;

use crate::Origin;
use crate::shell::{Arg, KnownFile, Stdin};

/// One program invocation, after wrappers were unwrapped and words expanded.
pub(crate) struct Invocation<'a> {
    /// Basename of the program.
    pub program: &'a str,
    pub args: &'a [Arg],
    pub stdin: Option<&'a Stdin>,
    /// Span of the whole command in the text being walked.
    pub span: [u32; 2],
    /// How the program was reached (`via`), and where nested text maps to.
    pub origin: &'a Origin,
    /// The command, unquoted, for messages.
    pub text: &'a str,
    /// Files written earlier in the same text with literal content (`psql -f` of one).
    pub files: &'a [KnownFile],
}

impl Invocation<'_> {
    /// An action of this invocation.
    pub(crate) fn action(&self, detail: ActionDetail) -> Action {
        Action {
            span: self.origin.place(self.span),
            via: self.origin.via.clone(),
            text: self.text.to_string(),
            detail,
        }
    }

    /// The span of the argument holding `value` (`-c 'sql'` or `--command=sql`).
    pub(crate) fn span_of(&self, value: &str) -> [u32; 2] {
        self.args
            .iter()
            .find(|a| a.text == value)
            .or_else(|| {
                self.args
                    .iter()
                    .find(|a| !value.is_empty() && a.text.ends_with(value))
            })
            .map_or(self.span, |a| a.span)
    }

    /// The argument holding `value`.
    pub(crate) fn arg_of(&self, value: &str) -> Option<&Arg> {
        self.args.iter().find(|a| a.text == value).or_else(|| {
            self.args
                .iter()
                .find(|a| !value.is_empty() && a.text.ends_with(value))
        })
    }
}

/// Shell text a lifted tool runs.
#[derive(Debug, Clone)]
pub(crate) struct NestedShell {
    pub text: String,
    pub span: [u32; 2],
    pub step: String,
}

/// What lifting one invocation produced.
#[derive(Debug, Default)]
pub(crate) struct Lifted {
    pub actions: Vec<Action>,
    pub shells: Vec<NestedShell>,
}

impl Lifted {
    /// One typed action and no nested shell text: what most lifters produce.
    pub(crate) fn single(action: Action) -> Lifted {
        Lifted {
            actions: vec![action],
            shells: vec![],
        }
    }
}

type Lifter = fn(&Invocation<'_>) -> Lifted;

/// The known programs, by basename.
pub(crate) const LIFTERS: &[(&str, Lifter)] = &[
    ("psql", db::psql),
    ("mysql", db::mysql),
    ("mariadb", db::mysql),
    ("sqlite3", db::sqlite3),
    ("redis-cli", db::redis_cli),
    ("kubectl", k8s::kubectl),
    ("oc", k8s::kubectl),
    ("k", k8s::kubectl),
    ("helm", k8s::helm),
    ("aws", cloud::aws),
    ("gcloud", cloud::gcloud),
    ("az", cloud::az),
    ("terraform", ops::terraform),
    ("tofu", ops::terraform),
    ("git", ops::git),
    ("systemctl", ops::systemctl),
    ("service", ops::service),
    ("auditctl", ops::auditctl),
];

/// The option table of a lifted tool, for its own `exec` action.
pub(crate) fn spec_for(program: &str) -> Option<&'static crate::shell::Spec> {
    Some(match program {
        "psql" => &db::PSQL,
        "mysql" | "mariadb" => &db::MYSQL,
        "sqlite3" => &db::SQLITE,
        "redis-cli" => &db::REDIS,
        "kubectl" | "oc" | "k" => &k8s::KUBECTL,
        "helm" => &k8s::HELM,
        "systemctl" => &ops::SYSTEMCTL,
        _ => return None,
    })
}

/// Lifts one invocation; unknown programs yield nothing.
pub(crate) fn lift(invocation: &Invocation<'_>) -> Lifted {
    LIFTERS
        .iter()
        .find(|(name, _)| *name == invocation.program)
        .map(|(_, f)| f(invocation))
        .unwrap_or_default()
}

/// Known stdin text (a here-document, a here-string, or a literal piped from `echo`), with its
/// span and the `via` step that names it.
pub(crate) fn stdin_text(
    program: &str,
    stdin: Option<&Stdin>,
) -> Option<(String, [u32; 2], String)> {
    match stdin? {
        Stdin::Here {
            text, span, step, ..
        } => Some((text.clone(), *span, format!("{program} {step}"))),
        Stdin::Pipe {
            data: crate::shell::PipeData::Literal { text, span },
            ..
        } => Some((text.clone(), *span, format!("| {program}"))),
        _ => None,
    }
}

/// Stdin carrying downloaded or decoded data, as the name of the program it came from.
pub(crate) fn decoded_stdin(stdin: Option<&Stdin>) -> Option<&str> {
    match stdin? {
        Stdin::Pipe {
            data: crate::shell::PipeData::Decoded(p),
            ..
        } => Some(p),
        _ => None,
    }
}
