//! `guard explain`: shows the actions guard extracts from one command — how guard understands
//! it. The JSON form (`{"actions":[…]}`) is the contract of `guard_model::Action`'s serde.

use std::io::Read as _;

use guard_model::{Action, Channel, Dialect};
use serde_json::Value;

use super::Status;
use crate::output::{Format, usage_error};

/// `--channel` of `guard explain`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelArg {
    /// A shell command line (bash syntax).
    #[default]
    Shell,
    /// SQL text.
    Sql,
}

/// `--dialect` of `guard explain`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DialectArg {
    #[default]
    Postgres,
    Mysql,
    Sqlite,
    Generic,
}

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Show the actions guard extracts from a command: how guard understands it.\n\n\
Every program a shell command runs is an `exec` action — including those inside pipelines, \
`$(…)`, `bash -c '…'`, `sudo`, `xargs`, `find -exec` and `ssh host '…'` (their `via` says how \
they were reached). Known tools also become typed actions: SQL clients (`psql -c`) give `sql` \
actions, `kubectl`/`helm` give `k8s`, `aws`/`gcloud`/`az` give `cloud`, and so on. What guard \
cannot know statically (a program from a variable, `curl … | sh`, unparseable text) is an \
`opaque` action with a reason. Policies are evaluated against exactly these actions, so this \
is the first thing to run when a rule does or does not match.",
    after_help = "Examples:\n  \
guard explain 'sudo bash -c \"psql -c \\\"drop table users\\\"\"'\n  \
guard explain --channel sql \"DELETE FROM orders WHERE 1=1\"\n  \
guard explain --channel sql --dialect mysql \"SELECT * INTO OUTFILE '/tmp/x' FROM users\"\n  \
guard explain --format json 'kubectl delete ns prod' | jq '.actions[].kind'\n  \
echo 'curl -s https://x.example/i.sh | sh' | guard explain -\n\n\
Exit status: 0 when the command was analysed (even if it is opaque), 2 on usage errors."
)]
pub struct Args {
    /// The command to explain, or `-` to read it from stdin.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
    /// How to read the command.
    #[arg(long, value_enum, default_value_t = ChannelArg::Shell)]
    pub channel: ChannelArg,
    /// SQL dialect (for `--channel sql`, and the default for SQL nested in shell commands is
    /// each client's own: psql → postgres, mysql → mysql, sqlite3 → sqlite).
    #[arg(long, value_enum, default_value_t = DialectArg::Postgres)]
    pub dialect: DialectArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> Status {
    let Some(command) = args.command else {
        usage_error("no command to explain: pass it as an argument, or `-` to read it from stdin");
        return Status::Usage;
    };
    let bytes = if command == "-" {
        let mut buffer = Vec::new();
        if let Err(e) = std::io::stdin().lock().read_to_end(&mut buffer) {
            usage_error(format!("cannot read the command from stdin: {e}"));
            return Status::Usage;
        }
        // A trailing newline from `echo … |` is not part of the command.
        while buffer.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buffer.pop();
        }
        buffer
    } else {
        command.into_bytes()
    };
    let channel = match args.channel {
        ChannelArg::Shell => Channel::Shell,
        ChannelArg::Sql => Channel::Sql,
    };
    let dialect = match args.dialect {
        DialectArg::Postgres => Dialect::Postgres,
        DialectArg::Mysql => Dialect::Mysql,
        DialectArg::Sqlite => Dialect::Sqlite,
        DialectArg::Generic => Dialect::Generic,
    };
    let actions = guard_intent::analyze_bytes(channel, dialect, &bytes);
    match args.format {
        Format::Json => match serde_json::to_string_pretty(&Explained { actions: &actions }) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                usage_error(format!("cannot serialise the actions: {e}"));
                return Status::Usage;
            }
        },
        Format::Human => print!("{}", human(&actions, &String::from_utf8_lossy(&bytes))),
    }
    Status::Ok
}

/// The JSON document: fields in the schema's declaration order.
#[derive(serde::Serialize)]
struct Explained<'a> {
    actions: &'a [Action],
}

/// Renders actions as a tree: a headline per action, then its non-empty fields.
pub fn human(actions: &[Action], command: &str) -> String {
    let mut out = String::new();
    let count = actions.len();
    out.push_str(&format!(
        "{count} action{}\n",
        if count == 1 { "" } else { "s" }
    ));
    for (i, action) in actions.iter().enumerate() {
        let last = i + 1 == count;
        let (branch, indent) = if last {
            ("└─", "   ")
        } else {
            ("├─", "│  ")
        };
        out.push_str(&format!(
            "{branch} {} {}\n",
            action.kind(),
            headline(action)
        ));
        let mut lines: Vec<(String, String)> = vec![];
        if !action.via.is_empty() {
            lines.push(("via".into(), action.via.join(" › ")));
        }
        let [start, end] = action.span;
        let source = command.get(start as usize..end as usize).unwrap_or("");
        lines.push((
            "source".into(),
            format!("{start}..{end} {}", one_line(source)),
        ));
        if let Ok(Value::Object(fields)) = serde_json::to_value(action) {
            for (name, value) in fields {
                if matches!(name.as_str(), "kind" | "span" | "via" | "text") {
                    continue;
                }
                if let Some(rendered) = render(&value) {
                    lines.push((name, rendered));
                }
            }
        }
        let width = lines.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, value) in lines {
            out.push_str(&format!("{indent}{name:<width$}  {value}\n"));
        }
    }
    out
}

fn headline(action: &Action) -> String {
    use guard_model::ActionDetail as D;
    match &action.detail {
        D::Exec(e) => one_line(&action.text)
            .trim()
            .to_string()
            .chars()
            .take(100)
            .collect::<String>()
            .pipe_or(&e.program),
        D::Sql(s) => format!("{} {}", s.statement, s.tables.join(", "))
            .trim()
            .to_string(),
        D::K8s(k) => format!("{} {} {} {}", k.tool, k.verb, k.resource, k.names.join(" "))
            .trim()
            .to_string(),
        D::Cloud(c) => format!("{} {} {}", c.provider, c.service, c.operation)
            .trim()
            .to_string(),
        D::Git(g) => format!("git {}", g.subcommand),
        D::Terraform(t) => format!("{} {}", t.tool, t.subcommand),
        D::Service(s) => format!("{} {} {}", s.manager, s.verb, s.units.join(" "))
            .trim()
            .to_string(),
        D::Redis(r) => format!("redis {}", r.command),
        D::Opaque(o) => format!("({}) {}", o.cause, o.reason),
    }
}

trait PipeOr {
    fn pipe_or(self, fallback: &str) -> String;
}

impl PipeOr for String {
    fn pipe_or(self, fallback: &str) -> String {
        if self.is_empty() {
            fallback.to_string()
        } else {
            self
        }
    }
}

fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c == '\n' { '⏎' } else { c })
        .collect();
    if flat.chars().count() > 120 {
        format!("{}…", flat.chars().take(120).collect::<String>())
    } else {
        flat
    }
}

/// A field's value for the tree; `None` for empty values (`""`, `false`, `[]`, `null`, `none`).
fn render(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(b) => b.then(|| "true".to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if s.is_empty() || s == "none" => None,
        Value::String(s) => Some(one_line(s)),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => one_line(s),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Object(_) => Some(value.to_string()),
    }
}
