//! Database clients: `psql`, `mysql`, `sqlite3` (their SQL goes to [`crate::sql`], their
//! shell escapes — `\!`, `system`, `.shell` — back to the shell walker) and `redis-cli`.

use guard_model::{ActionDetail, Dialect, OpaqueCause, RedisAction, Str};

use super::{Invocation, Lifted, NestedShell, decoded_stdin, stdin_text};
use crate::shell::{ShortIndex, Spec, Stdin, Takes, classify};
use crate::{opaque, sql};

use Takes::{No, Path as P, Value as V};

pub(super) const PSQL: Spec = Spec {
    options: &[
        ("c", "command", V),
        ("command", "command", V),
        ("f", "file", P),
        ("file", "file", P),
        ("h", "host", V),
        ("host", "host", V),
        ("p", "port", V),
        ("port", "port", V),
        ("U", "username", V),
        ("username", "username", V),
        ("d", "dbname", V),
        ("dbname", "dbname", V),
        ("o", "output", P),
        ("output", "output", P),
        ("v", "set", V),
        ("set", "set", V),
        ("variable", "set", V),
        ("P", "pset", V),
        ("pset", "pset", V),
        ("F", "field-separator", V),
        ("R", "record-separator", V),
        ("L", "log-file", P),
        ("log-file", "log-file", P),
        ("T", "table-attr", V),
        ("1", "single-transaction", No),
        ("single-transaction", "single-transaction", No),
        ("A", "no-align", No),
        ("t", "tuples-only", No),
        ("tuples-only", "tuples-only", No),
        ("q", "quiet", No),
        ("quiet", "quiet", No),
        ("X", "no-psqlrc", No),
        ("no-psqlrc", "no-psqlrc", No),
        ("w", "no-password", No),
        ("W", "password", No),
        ("x", "expanded", No),
        ("a", "echo-all", No),
        ("e", "echo-queries", No),
        ("E", "echo-hidden", No),
        ("b", "echo-errors", No),
        ("n", "no-readline", No),
        ("s", "single-step", No),
        ("S", "single-line", No),
        ("H", "html", No),
        ("l", "list", No),
        ("csv", "csv", No),
        ("z", "field-separator-zero", No),
    ],
    single_dash_long: false,
    stop_at_operand: false,
    path_operands: false,
    short: ShortIndex::NONE,
}
.indexed();

pub(super) const MYSQL: Spec = Spec {
    options: &[
        ("e", "execute", V),
        ("execute", "execute", V),
        ("h", "host", V),
        ("host", "host", V),
        ("P", "port", V),
        ("port", "port", V),
        ("u", "user", V),
        ("user", "user", V),
        ("D", "database", V),
        ("database", "database", V),
        ("S", "socket", P),
        ("socket", "socket", P),
        ("defaults-file", "defaults-file", P),
        ("B", "batch", No),
        ("batch", "batch", No),
        ("N", "skip-column-names", No),
        ("s", "silent", No),
        ("silent", "silent", No),
        ("t", "table", No),
        ("v", "verbose", No),
        ("f", "force", No),
        ("force", "force", No),
        ("X", "xml", No),
        ("H", "html", No),
        ("E", "vertical", No),
        ("r", "raw", No),
        ("A", "no-auto-rehash", No),
        ("ssl-mode", "ssl-mode", V),
        ("protocol", "protocol", V),
        ("init-command", "init-command", V),
        ("local-infile", "local-infile", No),
        // `-pSecret`, `-p"$P"`, `--password=x`: the password is attached, or asked for
        ("p", "password", Takes::Attached),
        ("password", "password", Takes::Attached),
    ],
    single_dash_long: false,
    stop_at_operand: false,
    path_operands: false,
    short: ShortIndex::NONE,
}
.indexed();

pub(super) const SQLITE: Spec = Spec {
    options: &[
        ("cmd", "cmd", V),
        ("init", "init", P),
        ("separator", "separator", V),
        ("nullvalue", "nullvalue", V),
        ("newline", "newline", V),
        ("bail", "bail", No),
        ("batch", "batch", No),
        ("csv", "csv", No),
        ("echo", "echo", No),
        ("header", "header", No),
        ("json", "json", No),
        ("line", "line", No),
        ("list", "list", No),
        ("readonly", "readonly", No),
        ("safe", "safe", No),
        ("markdown", "markdown", No),
        ("box", "box", No),
        ("table", "table", No),
        ("column", "column", No),
        ("html", "html", No),
        ("interactive", "interactive", No),
        ("A", "archive", No),
        ("append", "append", No),
        ("deserialize", "deserialize", No),
        ("nofollow", "nofollow", No),
    ],
    single_dash_long: true,
    stop_at_operand: false,
    path_operands: false,
    short: ShortIndex::NONE,
}
.indexed();

pub(super) const REDIS: Spec = Spec {
    options: &[
        ("h", "host", V),
        ("p", "port", V),
        ("a", "pass", V),
        ("pass", "pass", V),
        ("n", "db", V),
        ("u", "uri", V),
        ("user", "user", V),
        ("r", "repeat", V),
        ("i", "interval", V),
        ("d", "delimiter", V),
        ("s", "socket", P),
        ("x", "stdin-last-arg", No),
        ("c", "cluster", No),
        ("e", "exit-on-error", No),
        ("raw", "raw", No),
        ("no-raw", "no-raw", No),
        ("tls", "tls", No),
        ("scan", "scan", No),
        ("pattern", "pattern", V),
        ("bigkeys", "bigkeys", No),
        ("memkeys", "memkeys", No),
        ("hotkeys", "hotkeys", No),
        ("eval", "eval", P),
        ("latency", "latency", No),
        ("stat", "stat", No),
        ("csv", "csv", No),
        ("json", "json", No),
        ("rdb", "rdb", P),
        ("pipe", "pipe", No),
        ("cacert", "cacert", P),
        ("cert", "cert", P),
        ("key", "key", P),
        ("sni", "sni", V),
        ("askpass", "askpass", No),
        ("no-auth-warning", "no-auth-warning", No),
        ("count", "count", V),
        ("quoted-input", "quoted-input", No),
        ("verbose", "verbose", No),
        ("2", "resp2", No),
        ("3", "resp3", No),
    ],
    single_dash_long: false,
    stop_at_operand: false,
    path_operands: false,
    short: ShortIndex::NONE,
}
.indexed();

/// A client script split into SQL and client commands.
struct Script {
    sql: String,
    /// `(client command, shell text)`.
    shells: Vec<(String, String)>,
    unsupported: Vec<String>,
}

/// Splits a client script: lines starting with the meta prefix are client commands; shell
/// escapes among them are returned as shell text; commands that read or write elsewhere are
/// reported as unsupported; harmless ones (`\c`, `\x`, `.mode`) are dropped.
fn split_script(text: &str, meta: char, shell_commands: &[&str], harmless: &[&str]) -> Script {
    let mut script = Script {
        sql: String::new(),
        shells: vec![],
        unsupported: vec![],
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        let Some(command) = trimmed.strip_prefix(meta) else {
            script.sql.push_str(line);
            script.sql.push('\n');
            continue;
        };
        let (name, rest) = command
            .split_once(char::is_whitespace)
            .unwrap_or((command, ""));
        let rest = rest.trim();
        if shell_commands.contains(&name) {
            script
                .shells
                .push((format!("{meta}{name}"), rest.to_string()));
        } else if matches!(name, "o" | "out" | "g" | "output" | "once") && rest.starts_with('|') {
            script.shells.push((
                format!("{meta}{name} |"),
                rest.trim_start_matches('|').trim().to_string(),
            ));
        } else if !(harmless.contains(&name)
            || (meta == '\\' && name.starts_with('d') && name.len() <= 4))
        {
            script.unsupported.push(format!("{meta}{name}"));
        }
    }
    script
}

const PSQL_HARMLESS: &[&str] = &[
    "c",
    "connect",
    "set",
    "unset",
    "timing",
    "x",
    "echo",
    "q",
    "quit",
    "pset",
    "conninfo",
    "encoding",
    "l",
    "list",
    "t",
    "a",
    "H",
    "f",
    "C",
    "prompt",
    "warn",
    "qecho",
    "errverbose",
    "?",
    "h",
    "help",
    "if",
    "elif",
    "else",
    "endif",
];
const SQLITE_HARMLESS: &[&str] = &[
    "mode",
    "headers",
    "header",
    "tables",
    "schema",
    "indexes",
    "indices",
    "timer",
    "width",
    "nullvalue",
    "separator",
    "quit",
    "exit",
    "bail",
    "echo",
    "changes",
    "databases",
    "show",
    "help",
    "print",
    "stats",
    "eqp",
    "explain",
    "dbinfo",
];

/// Emits the SQL and client commands of one script.
fn script_actions(
    inv: &Invocation<'_>,
    out: &mut Lifted,
    text: &str,
    span: [u32; 2],
    step: &str,
    dialect: Dialect,
) {
    let (meta, shells, harmless): (char, &[&str], &[&str]) = match dialect {
        Dialect::Sqlite => ('.', &["shell", "system"], SQLITE_HARMLESS),
        Dialect::Mysql => ('\\', &["!"], &["c", "q", "G", "g", "u", "s", "W", "w", "#"]),
        _ => ('\\', &["!"], PSQL_HARMLESS),
    };
    let mut script = split_script(text, meta, shells, harmless);
    if dialect == Dialect::Mysql {
        // The mysql client's `system cmd` runs a shell command too.
        let mut sql = String::new();
        for line in script.sql.lines() {
            match line.trim_start().strip_prefix("system ") {
                Some(cmd) => script.shells.push((
                    "system".to_string(),
                    cmd.trim().trim_end_matches(';').to_string(),
                )),
                None => {
                    sql.push_str(line);
                    sql.push('\n');
                }
            }
        }
        script.sql = sql;
    }
    if !script.sql.trim().is_empty() {
        let origin = inv.origin.nested(step, span);
        out.actions
            .extend(sql::analyze(script.sql.trim_end(), dialect, &origin));
    }
    for (command, shell) in script.shells {
        out.shells.push(NestedShell {
            text: shell,
            span,
            step: format!("{step} {command}"),
        });
    }
    for command in script.unsupported {
        let origin = inv.origin.nested(step, span);
        let reason = format!(
            "client command `{command}` of `{}` is not analysed",
            inv.program
        );
        out.actions.push(opaque(
            OpaqueCause::Unsupported,
            reason,
            origin.place(span),
            &origin.via,
            text,
        ));
    }
}

/// SQL read from stdin: a known text is analysed; downloaded or decoded data is opaque.
fn stdin_script(inv: &Invocation<'_>, out: &mut Lifted, dialect: Dialect) {
    if let Some((text, span, step)) = stdin_text(inv.program, inv.stdin) {
        script_actions(inv, out, &text, span, &step, dialect);
    } else if let Some(source) = decoded_stdin(inv.stdin) {
        let reason = format!(
            "`{}` runs SQL downloaded or decoded by `{source}`",
            inv.program
        );
        out.actions
            .push(inv.action(guard_model::ActionDetail::Opaque(
                guard_model::OpaqueAction {
                    cause: OpaqueCause::DecodedExec,
                    reason,
                },
            )));
    } else if let Some(Stdin::Pipe { programs, .. }) = inv.stdin {
        // Piped from something guard could not read exactly (`printf '%b' …`, `pg_dump`).
        let reason = format!(
            "`{}` runs SQL read from the output of `{}`, which guard could not read",
            inv.program,
            programs.join(" | ")
        );
        out.actions
            .push(inv.action(guard_model::ActionDetail::Opaque(
                guard_model::OpaqueAction {
                    cause: OpaqueCause::DynamicCode,
                    reason,
                },
            )));
    }
}

fn dynamic_sql(inv: &Invocation<'_>, out: &mut Lifted, text: &str) {
    let decoded = inv.arg_of(text).is_some_and(|a| a.decoded);
    let (cause, reason) = if decoded {
        (
            OpaqueCause::DecodedExec,
            format!(
                "`{}` runs SQL built from downloaded or decoded data",
                inv.program
            ),
        )
    } else {
        (
            OpaqueCause::DynamicCode,
            format!(
                "`{}` runs SQL only known at run time (`{text}`)",
                inv.program
            ),
        )
    };
    out.actions
        .push(inv.action(ActionDetail::Opaque(guard_model::OpaqueAction {
            cause,
            reason,
        })));
}

pub(super) fn psql(inv: &Invocation<'_>) -> Lifted {
    let mut out = Lifted::default();
    let c = classify(Some(&PSQL), inv.args);
    let commands: Vec<&str> = c.all_values("command").collect();
    for text in &commands {
        if inv.arg_of(text).is_some_and(|a| a.dynamic) {
            dynamic_sql(inv, &mut out, text);
            continue;
        }
        let span = inv.span_of(text);
        script_actions(inv, &mut out, text, span, "psql -c", Dialect::Postgres);
    }
    // `-f x.sql` of a file the command wrote earlier with literal text.
    for file in c.all_values("file") {
        let path = crate::shell::normalize_path(file);
        if let Some(known) = inv.files.iter().rev().find(|f| f.path == path) {
            script_actions(
                inv,
                &mut out,
                &known.text,
                known.span,
                "psql -f",
                Dialect::Postgres,
            );
        }
    }
    let reads_stdin = c.all_values("file").any(names_stdin);
    if reads_stdin || (commands.is_empty() && c.value("file").is_none() && !c.has("list")) {
        stdin_script(inv, &mut out, Dialect::Postgres);
    }
    out
}

/// A file argument that is the process's own standard input: `-f -`, `-f /dev/stdin`.
fn names_stdin(file: &str) -> bool {
    matches!(file, "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0")
}

pub(super) fn mysql(inv: &Invocation<'_>) -> Lifted {
    let mut out = Lifted::default();
    let c = classify(Some(&MYSQL), inv.args);
    let commands: Vec<&str> = c.all_values("execute").collect();
    for text in &commands {
        if inv.arg_of(text).is_some_and(|a| a.dynamic) {
            dynamic_sql(inv, &mut out, text);
            continue;
        }
        let span = inv.span_of(text);
        script_actions(
            inv,
            &mut out,
            text,
            span,
            &format!("{} -e", inv.program),
            Dialect::Mysql,
        );
    }
    if commands.is_empty() {
        stdin_script(inv, &mut out, Dialect::Mysql);
    }
    out
}

pub(super) fn sqlite3(inv: &Invocation<'_>) -> Lifted {
    let mut out = Lifted::default();
    let c = classify(Some(&SQLITE), inv.args);
    let mut texts: Vec<(String, [u32; 2], bool)> = c
        .all_values("cmd")
        .map(|t| {
            (
                t.to_string(),
                inv.span_of(t),
                inv.arg_of(t).is_some_and(|a| a.dynamic),
            )
        })
        .collect();
    // The first operand is the database file; every further operand is SQL or a dot-command.
    for &i in c.operands.iter().skip(1) {
        if let Some(a) = inv.args.get(i) {
            texts.push((a.text.clone(), a.span, a.dynamic));
        }
    }
    let had_sql = c.operands.len() > 1;
    for (text, span, dynamic) in texts {
        if dynamic {
            dynamic_sql(inv, &mut out, &text);
        } else {
            script_actions(inv, &mut out, &text, span, "sqlite3", Dialect::Sqlite);
        }
    }
    if !had_sql {
        stdin_script(inv, &mut out, Dialect::Sqlite);
    }
    out
}

/// Redis commands made of two words.
const REDIS_TWO_WORD: &[&str] = &[
    "config", "client", "acl", "cluster", "script", "module", "memory", "object", "xinfo",
    "slowlog", "debug", "function", "latency", "command", "pubsub", "xgroup",
];

pub(super) fn redis_cli(inv: &Invocation<'_>) -> Lifted {
    let mut out = Lifted::default();
    let c = classify(Some(&REDIS), inv.args);
    let host = c
        .value("host")
        .map(str::to_string)
        .or_else(|| c.value("uri").and_then(crate::shell::url_host))
        .unwrap_or_default();
    let words: Vec<String> = c
        .operands
        .iter()
        .filter_map(|&i| inv.args.get(i))
        .map(|a| a.text.clone())
        .collect();
    let mut commands: Vec<Vec<String>> = vec![];
    if words.is_empty() {
        if let Some((text, _, _)) = stdin_text(inv.program, inv.stdin) {
            commands.extend(
                text.lines()
                    .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                    .filter(|w| !w.is_empty()),
            );
        }
    } else {
        commands.push(words);
    }
    for words in commands {
        let Some(first) = words.first() else { continue };
        let mut command = first.to_ascii_lowercase();
        let mut rest = words.get(1..).unwrap_or_default();
        if REDIS_TWO_WORD.contains(&command.as_str())
            && let Some((sub, tail)) = rest.split_first()
        {
            command = format!("{command} {}", sub.to_ascii_lowercase());
            rest = tail;
        }
        out.actions
            .push(inv.action(ActionDetail::Redis(RedisAction {
                command,
                args: rest.iter().map(|w| Str::from(w.as_str())).collect(),
                host: host.clone(),
            })));
    }
    out
}
