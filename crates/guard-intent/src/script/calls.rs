//! What a call does, shared by both languages: a [`Kind`] from the table applied to evaluated
//! arguments, yielding the call's value and (for effectful calls) the shell spelling of its
//! effect.

use tree_sitter::Node;

use super::table::Kind;
use super::{Cx, Db, Effect, Obj, R, Val, quote, shell_text, stop};

/// Evaluated arguments: positional, and keyword (Python) — Node options objects are a
/// positional [`Val::Dict`].
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub pos: Vec<Val>,
    pub kw: Vec<(String, Val)>,
}

impl Args {
    fn get(&self, i: usize, kw: &str) -> Option<&Val> {
        self.pos
            .get(i)
            .or_else(|| self.kw.iter().find(|(k, _)| k == kw).map(|(_, v)| v))
    }

    fn kw(&self, name: &str) -> Option<&Val> {
        self.kw.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

fn dict_get<'v>(v: Option<&'v Val>, key: &str) -> Option<&'v Val> {
    match v {
        Some(Val::Dict(items)) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// Checks that a value passed to a call is harmless to pass: data, a closure, an inert
/// function. Passing the environment object dumps it (the `env` effect).
pub(crate) fn check_arg(cx: &mut Cx<'_>, v: &Val, node: Node<'_>, what: &str) -> R<()> {
    match v {
        Val::Str(_) | Val::Num(_) | Val::Float | Val::Bool(_) | Val::Null | Val::Data(_) => Ok(()),
        Val::Func => Ok(()),
        // A path object handed to a closure would become data there, and its methods delete.
        Val::Obj(Obj::Path(_)) => stop(format!("passes a path object to `{what}`"), node),
        Val::List(items) => {
            for i in items {
                check_arg(cx, i, node, what)?;
            }
            Ok(())
        }
        Val::Dict(items) => {
            for (_, i) in items {
                check_arg(cx, i, node, what)?;
            }
            Ok(())
        }
        Val::Obj(Obj::Env) => {
            cx.emit(Effect::Argv(vec!["env".to_string()]), node);
            Ok(())
        }
        Val::Name(q) => match cx.kind(q) {
            Some(Kind::Inert | Kind::Const) => Ok(()),
            _ => stop(format!("passes `{q}` to `{what}`"), node),
        },
        Val::Obj(Obj::Db(..)) | Val::Method(..) => {
            stop(format!("passes a database object to `{what}`"), node)
        }
        Val::Unknown => stop(
            format!("passes a value guard cannot follow to `{what}`"),
            node,
        ),
    }
}

/// Options of a call running a program: the environment passed to it (`env: process.env`) is
/// not printed.
fn check_options(cx: &mut Cx<'_>, v: &Val, node: Node<'_>, what: &str) -> R<()> {
    match v {
        Val::Dict(items) => {
            for (k, i) in items {
                if k != "env" || *i != Val::Obj(Obj::Env) {
                    check_arg(cx, i, node, what)?;
                }
            }
            Ok(())
        }
        other => check_arg(cx, other, node, what),
    }
}

fn check_all(cx: &mut Cx<'_>, args: &Args, node: Node<'_>, what: &str) -> R<()> {
    for v in &args.pos {
        check_arg(cx, v, node, what)?;
    }
    for (_, v) in &args.kw {
        check_arg(cx, v, node, what)?;
    }
    Ok(())
}

fn literal(v: Option<&Val>, what: &str, node: Node<'_>) -> R<String> {
    match v.and_then(Val::text) {
        Some(t) => Ok(t),
        None => stop(
            format!("calls `{what}` with an argument only known at run time"),
            node,
        ),
    }
}

fn only_kwargs(args: &Args, allowed: &[&str], what: &str, node: Node<'_>) -> R<()> {
    match args.kw.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, _)) => stop(
            format!("calls `{what}` with `{k}=`, which guard does not model"),
            node,
        ),
        None => Ok(()),
    }
}

fn argv(words: &[&str]) -> Effect {
    Effect::Argv(words.iter().map(|w| w.to_string()).collect())
}

/// An effect run in `cwd` (when given): `cd CWD && …`.
fn in_dir(effect: Effect, cwd: Option<&Val>, what: &str, node: Node<'_>) -> R<Effect> {
    let Some(cwd) = cwd.filter(|v| **v != Val::Null) else {
        return Ok(effect);
    };
    let Some(dir) = cwd.text() else {
        return stop(
            format!("calls `{what}` in a directory only known at run time"),
            node,
        );
    };
    let body = match effect {
        Effect::Argv(words) => shell_text(&words),
        Effect::Shell(text) => text,
    };
    Ok(Effect::Shell(format!("cd {} && {body}", quote(&dir))))
}

fn mode_text(v: Option<&Val>, what: &str, node: Node<'_>) -> R<String> {
    match v {
        Some(Val::Num(n)) => Ok(format!("{n:o}")),
        Some(Val::Str(s)) if !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) => {
            Ok(s.clone())
        }
        _ => stop(
            format!("calls `{what}` with a mode only known at run time"),
            node,
        ),
    }
}

/// A literal rendered as the text sent (`-d TEXT`).
fn body_text(v: &Val) -> Option<String> {
    fn json(v: &Val) -> Option<serde_json::Value> {
        Some(match v {
            Val::Str(s) => serde_json::Value::String(s.clone()),
            Val::Num(n) => serde_json::Value::from(*n),
            Val::Bool(b) => serde_json::Value::Bool(*b),
            Val::Null => serde_json::Value::Null,
            Val::List(items) => {
                serde_json::Value::Array(items.iter().map(json).collect::<Option<Vec<_>>>()?)
            }
            Val::Dict(items) => serde_json::Value::Object(
                items
                    .iter()
                    .map(|(k, v)| Some((k.clone(), json(v)?)))
                    .collect::<Option<serde_json::Map<_, _>>>()?,
            ),
            _ => return None,
        })
    }
    match v {
        Val::Str(s) => Some(s.clone()),
        other => json(other).map(|j| j.to_string()),
    }
}

/// `curl` words sending `body` (a literal, or a file's contents).
fn body_words(words: &mut Vec<String>, body: &Val, what: &str, node: Node<'_>) -> R<()> {
    match body {
        Val::Null => Ok(()),
        Val::Data(Some(file)) => {
            words.push("--data-binary".to_string());
            words.push(format!("@{file}"));
            Ok(())
        }
        v => match body_text(v) {
            Some(t) => {
                words.push("--data-raw".to_string());
                words.push(t);
                Ok(())
            }
            None => stop(
                format!("calls `{what}` sending data only known at run time"),
                node,
            ),
        },
    }
}

fn curl(method: &str, url: String, extra: Vec<String>) -> Effect {
    let mut words = vec!["curl".to_string()];
    if method != "GET" {
        words.push("-X".to_string());
        words.push(method.to_string());
    }
    words.extend(extra);
    words.push(url);
    Effect::Argv(words)
}

fn sql_effect(cx: &mut Cx<'_>, db: Db, file: Option<&str>, sql: String, node: Node<'_>) -> R<()> {
    let effect = match db {
        Db::Postgres => Effect::Argv(vec!["psql".into(), "-c".into(), sql]),
        Db::Mysql => Effect::Argv(vec!["mysql".into(), "-e".into(), sql]),
        Db::Sqlite => match file {
            Some(f) => Effect::Argv(vec!["sqlite3".into(), f.to_string(), sql]),
            None => return stop("runs SQL on a database file only known at run time", node),
        },
    };
    cx.emit(effect, node);
    Ok(())
}

/// Calls the table's `kind` (named `what`).
pub(crate) fn call(cx: &mut Cx<'_>, kind: Kind, what: &str, args: Args, node: Node<'_>) -> R<Val> {
    match kind {
        Kind::Module | Kind::Const | Kind::Env => {
            stop(format!("calls `{what}`, which guard does not model"), node)
        }
        Kind::Require => {
            let name = match args.pos.first() {
                Some(Val::Str(s)) => s.strip_prefix("node:").unwrap_or(s).to_string(),
                _ => return stop("calls `require` with a name only known at run time", node),
            };
            match cx.kind(&name) {
                Some(Kind::Module | Kind::Database(_)) => Ok(Val::Name(name)),
                _ => stop(
                    format!("requires `{name}`, which guard does not model"),
                    node,
                ),
            }
        }
        Kind::Inert => {
            check_all(cx, &args, node, what)?;
            Ok(Val::Data(None))
        }
        Kind::ReadFile => {
            let path = literal(args.pos.first(), what, node)?;
            for v in args.pos.iter().skip(1) {
                check_arg(cx, v, node, what)?;
            }
            cx.emit(argv(&["cat", &path]), node);
            Ok(Val::Data(Some(path)))
        }
        Kind::Rm(flags) => {
            only_kwargs(&args, &["ignore_errors", "missing_ok"], what, node)?;
            let path = literal(args.pos.first(), what, node)?;
            for v in args.pos.iter().skip(1) {
                check_arg(cx, v, node, what)?;
            }
            let force = args.kw("ignore_errors").and_then(Val::truthy) == Some(true);
            let flags = match (flags, force) {
                ("-r", true) => "-rf",
                ("", true) => "-f",
                (f, _) => f,
            };
            let mut words = vec!["rm"];
            if !flags.is_empty() {
                words.push(flags);
            }
            words.push(&path);
            cx.emit(argv(&words), node);
            Ok(Val::Null)
        }
        Kind::Rmdir => {
            only_kwargs(&args, &[], what, node)?;
            let path = literal(args.pos.first(), what, node)?;
            cx.emit(argv(&["rmdir", &path]), node);
            Ok(Val::Null)
        }
        Kind::Mkdir(parents) => {
            only_kwargs(&args, &["exist_ok", "mode"], what, node)?;
            let path = literal(args.pos.first(), what, node)?;
            let words: &[&str] = if parents {
                &["mkdir", "-p", &path]
            } else {
                &["mkdir", &path]
            };
            cx.emit(argv(words), node);
            Ok(Val::Null)
        }
        Kind::JsMkdir | Kind::JsRm | Kind::JsRmdir => {
            let path = literal(args.pos.first(), what, node)?;
            let opts = args.pos.get(1);
            for v in args.pos.iter().skip(2) {
                check_arg(cx, v, node, what)?;
            }
            let flag = |key: &str| -> R<bool> {
                match dict_get(opts, key) {
                    None => Ok(false),
                    Some(v) => match v.truthy() {
                        Some(b) => Ok(b),
                        None => stop(
                            format!("calls `{what}` with options only known at run time"),
                            node,
                        ),
                    },
                }
            };
            match opts {
                None | Some(Val::Dict(_) | Val::Func) => {}
                Some(Val::Num(_) | Val::Str(_)) if kind == Kind::JsMkdir => {}
                Some(_) => {
                    return stop(
                        format!("calls `{what}` with options only known at run time"),
                        node,
                    );
                }
            }
            let recursive = flag("recursive")?;
            let words: Vec<&str> = match kind {
                Kind::JsMkdir if recursive => vec!["mkdir", "-p", &path],
                Kind::JsMkdir => vec!["mkdir", &path],
                Kind::JsRmdir if recursive => vec!["rm", "-r", &path],
                Kind::JsRmdir => vec!["rmdir", &path],
                _ => match (recursive, flag("force")?) {
                    (true, true) => vec!["rm", "-rf", &path],
                    (true, false) => vec!["rm", "-r", &path],
                    (false, true) => vec!["rm", "-f", &path],
                    (false, false) => vec!["rm", &path],
                },
            };
            cx.emit(argv(&words), node);
            Ok(Val::Data(None))
        }
        Kind::Shell => {
            let text = literal(args.pos.first(), what, node)?;
            let opts = args.pos.get(1);
            for v in args.pos.iter().skip(1) {
                check_options(cx, v, node, what)?;
            }
            only_kwargs(&args, &["shell", "text", "encoding"], what, node)?;
            let effect = in_dir(Effect::Shell(text), dict_get(opts, "cwd"), what, node)?;
            cx.emit(effect, node);
            Ok(Val::Data(None))
        }
        Kind::Subprocess => {
            only_kwargs(
                &args,
                &[
                    "args",
                    "shell",
                    "check",
                    "capture_output",
                    "text",
                    "universal_newlines",
                    "stdout",
                    "stderr",
                    "stdin",
                    "timeout",
                    "cwd",
                    "env",
                    "encoding",
                    "errors",
                    "input",
                    "bufsize",
                    "close_fds",
                ],
                what,
                node,
            )?;
            let shell = args.kw("shell").and_then(Val::truthy);
            let effect = match (args.get(0, "args"), shell) {
                (Some(Val::Str(s)), Some(true)) => Effect::Shell(s.clone()),
                (Some(Val::Str(s)), Some(false) | None) => Effect::Argv(vec![s.clone()]),
                (Some(Val::List(items)), Some(false) | None) if !items.is_empty() => {
                    match items.iter().map(Val::text).collect::<Option<Vec<_>>>() {
                        Some(words) => Effect::Argv(words),
                        None => {
                            return stop(
                                format!("calls `{what}` with an argument only known at run time"),
                                node,
                            );
                        }
                    }
                }
                // `shell=True` with a list runs its first item as shell text.
                (Some(Val::List(items)), Some(true)) => match items.first().and_then(Val::text) {
                    Some(t) => Effect::Shell(t),
                    None => {
                        return stop(
                            format!("calls `{what}` with an argument only known at run time"),
                            node,
                        );
                    }
                },
                _ => {
                    return stop(
                        format!("calls `{what}` with an argument only known at run time"),
                        node,
                    );
                }
            };
            for (k, v) in &args.kw {
                // The child's environment is passed to it, not printed.
                if k != "env" || *v != Val::Obj(Obj::Env) {
                    check_arg(cx, v, node, what)?;
                }
            }
            for v in args.pos.iter().skip(1) {
                check_arg(cx, v, node, what)?;
            }
            let effect = in_dir(effect, args.kw("cwd"), what, node)?;
            cx.emit(effect, node);
            Ok(Val::Data(None))
        }
        Kind::Spawn => {
            let program = literal(args.pos.first(), what, node)?;
            let (list, opts) = match args.pos.get(1) {
                Some(Val::List(items)) => (Some(items), args.pos.get(2)),
                other => (None, other),
            };
            let mut words = vec![program];
            for item in list.into_iter().flatten() {
                match item.text() {
                    Some(t) => words.push(t),
                    None => {
                        return stop(
                            format!("calls `{what}` with an argument only known at run time"),
                            node,
                        );
                    }
                }
            }
            match opts {
                None | Some(Val::Dict(_) | Val::Func) => {}
                Some(_) => {
                    return stop(
                        format!("calls `{what}` with options only known at run time"),
                        node,
                    );
                }
            }
            for v in args.pos.iter().skip(1) {
                check_options(cx, v, node, what)?;
            }
            let effect = match dict_get(opts, "shell").map(Val::truthy) {
                None | Some(Some(false)) => Effect::Argv(words),
                Some(Some(true)) => Effect::Shell(words.join(" ")),
                Some(None) => {
                    return stop(
                        format!("calls `{what}` with options only known at run time"),
                        node,
                    );
                }
            };
            let effect = in_dir(effect, dict_get(opts, "cwd"), what, node)?;
            cx.emit(effect, node);
            Ok(Val::Data(None))
        }
        Kind::Chmod => {
            only_kwargs(&args, &[], what, node)?;
            let path = literal(args.pos.first(), what, node)?;
            let mode = mode_text(args.pos.get(1), what, node)?;
            cx.emit(argv(&["chmod", &mode, &path]), node);
            Ok(Val::Null)
        }
        Kind::Chown => {
            only_kwargs(&args, &["user", "group"], what, node)?;
            let path = literal(args.pos.first(), what, node)?;
            let part = |v: Option<&Val>| -> R<String> {
                match v {
                    None | Some(Val::Null) => Ok(String::new()),
                    Some(Val::Num(-1)) => Ok(String::new()),
                    Some(v) => literal(Some(v), what, node),
                }
            };
            let user = part(args.get(1, "user"))?;
            let group = part(args.get(2, "group"))?;
            let owner = if group.is_empty() {
                user
            } else {
                format!("{user}:{group}")
            };
            if owner.is_empty() {
                return stop(format!("calls `{what}` with no owner guard can read"), node);
            }
            cx.emit(argv(&["chown", &owner, &path]), node);
            Ok(Val::Null)
        }
        Kind::Move | Kind::Copy(_) => {
            only_kwargs(&args, &["dirs_exist_ok", "follow_symlinks"], what, node)?;
            let from = literal(args.pos.first(), what, node)?;
            let to = literal(args.pos.get(1), what, node)?;
            for v in args.pos.iter().skip(2) {
                check_arg(cx, v, node, what)?;
            }
            let words: &[&str] = match kind {
                Kind::Copy(true) => &["cp", "-r", &from, &to],
                Kind::Copy(false) => &["cp", &from, &to],
                _ => &["mv", &from, &to],
            };
            cx.emit(argv(words), node);
            Ok(Val::Str(to))
        }
        Kind::Open => {
            only_kwargs(
                &args,
                &["mode", "encoding", "errors", "newline", "buffering"],
                what,
                node,
            )?;
            let path = literal(args.pos.first(), what, node)?;
            open(cx, &path, args.get(1, "mode"), what, node)
        }
        Kind::Write(append) => {
            let path = literal(args.pos.first(), what, node)?;
            for v in args.pos.iter().skip(1) {
                check_arg(cx, v, node, what)?;
            }
            let words: &[&str] = if append {
                &["tee", "-a", &path]
            } else {
                &["tee", &path]
            };
            cx.emit(argv(words), node);
            Ok(Val::Data(None))
        }
        Kind::PathNew => {
            check_all(cx, &args, node, what)?;
            Ok(Val::Obj(Obj::Path(match args.pos.as_slice() {
                [] => Some(".".to_string()),
                [one] => one.text(),
                _ => None,
            })))
        }
        Kind::Http(method) => {
            only_kwargs(
                &args,
                &[
                    "data",
                    "json",
                    "files",
                    "params",
                    "headers",
                    "timeout",
                    "verify",
                    "auth",
                    "allow_redirects",
                    "method",
                ],
                what,
                node,
            )?;
            let (method, rest) = match method {
                Some(m) => (m.to_string(), 0),
                None if what == "requests.request" => {
                    (literal(args.pos.first(), what, node)?.to_uppercase(), 1)
                }
                None => (String::new(), 0),
            };
            let url = literal(args.pos.get(rest), what, node)?;
            let mut extra = vec![];
            let body = args
                .get(rest + 1, "data")
                .or_else(|| args.kw("json"))
                .cloned();
            // `urlopen(url, data)` posts when there is data.
            let method = match (method.as_str(), &body) {
                ("", Some(b)) if *b != Val::Null => "POST".to_string(),
                ("", _) => "GET".to_string(),
                _ => method,
            };
            if let Some(b) = &body {
                check_arg(cx, b, node, what)?;
                body_words(&mut extra, b, what, node)?;
            }
            if let Some(files) = args.kw("files") {
                let Val::Dict(items) = files else {
                    return stop(
                        format!("calls `{what}` sending files only known at run time"),
                        node,
                    );
                };
                for (name, v) in items {
                    match v {
                        Val::Data(Some(file)) => {
                            extra.push("-F".to_string());
                            extra.push(format!("{name}=@{file}"));
                        }
                        _ => {
                            return stop(
                                format!("calls `{what}` sending files only known at run time"),
                                node,
                            );
                        }
                    }
                }
            }
            for v in args.pos.iter().skip(rest + 2) {
                check_arg(cx, v, node, what)?;
            }
            for (k, v) in &args.kw {
                if !matches!(k.as_str(), "data" | "json" | "files") {
                    check_arg(cx, v, node, what)?;
                }
            }
            cx.emit(curl(&method, url, extra), node);
            Ok(Val::Data(None))
        }
        Kind::Fetch => {
            let url = literal(args.pos.first(), what, node)?;
            let opts = args.pos.get(1);
            match opts {
                None | Some(Val::Dict(_)) => {}
                Some(_) => {
                    return stop(
                        format!("calls `{what}` with options only known at run time"),
                        node,
                    );
                }
            }
            let method = match dict_get(opts, "method") {
                None => "GET".to_string(),
                Some(m) => literal(Some(m), what, node)?.to_uppercase(),
            };
            let mut extra = vec![];
            if let Some(b) = dict_get(opts, "body") {
                check_arg(cx, b, node, what)?;
                body_words(&mut extra, b, what, node)?;
            }
            if let Some(o) = opts {
                check_arg(cx, o, node, what)?;
            }
            cx.emit(curl(&method, url, extra), node);
            Ok(Val::Data(None))
        }
        Kind::Connect => {
            let (host, port) = match args.pos.first() {
                Some(Val::List(items)) if items.len() == 2 => (
                    literal(items.first(), what, node)?,
                    literal(items.get(1), what, node)?,
                ),
                _ => {
                    return stop(
                        format!("calls `{what}` with an address only known at run time"),
                        node,
                    );
                }
            };
            cx.emit(argv(&["nc", &host, &port]), node);
            Ok(Val::Data(None))
        }
        Kind::JsConnect => {
            let (host, port) = match args.pos.first() {
                Some(Val::Num(p)) => (
                    match args.pos.get(1) {
                        Some(Val::Str(h)) => h.clone(),
                        None | Some(Val::Func) => "localhost".to_string(),
                        _ => {
                            return stop(
                                format!("calls `{what}` with an address only known at run time"),
                                node,
                            );
                        }
                    },
                    p.to_string(),
                ),
                Some(o @ Val::Dict(_)) => (
                    match dict_get(Some(o), "host") {
                        None => "localhost".to_string(),
                        h => literal(h, what, node)?,
                    },
                    literal(dict_get(Some(o), "port"), what, node)?,
                ),
                _ => {
                    return stop(
                        format!("calls `{what}` with an address only known at run time"),
                        node,
                    );
                }
            };
            cx.emit(argv(&["nc", &host, &port]), node);
            Ok(Val::Data(None))
        }
        Kind::Database(db) => {
            check_all(cx, &args, node, what)?;
            let file = match db {
                Db::Sqlite => args.get(0, "database").and_then(Val::text),
                _ => None,
            };
            Ok(Val::Obj(Obj::Db(db, file)))
        }
    }
}

/// Python `open(path, mode)` (and `Path.open(mode)`).
pub(crate) fn open(
    cx: &mut Cx<'_>,
    path: &str,
    mode: Option<&Val>,
    what: &str,
    node: Node<'_>,
) -> R<Val> {
    let mode = match mode {
        None => "r".to_string(),
        Some(Val::Str(m)) => m.clone(),
        Some(_) => {
            return stop(
                format!("calls `{what}` with a mode only known at run time"),
                node,
            );
        }
    };
    if mode.contains(['w', 'x', '+']) {
        cx.emit(argv(&["tee", path]), node);
        Ok(Val::Data(None))
    } else if mode.contains('a') {
        cx.emit(argv(&["tee", "-a", path]), node);
        Ok(Val::Data(None))
    } else {
        cx.emit(argv(&["cat", path]), node);
        Ok(Val::Data(Some(path.to_string())))
    }
}

/// Methods of the environment object.
pub(crate) fn env_method(cx: &mut Cx<'_>, name: &str, args: Args, node: Node<'_>) -> R<Val> {
    match name {
        "get" | "getenv" => {
            check_all(cx, &args, node, name)?;
            Ok(Val::Data(None))
        }
        "copy" => Ok(Val::Obj(Obj::Env)),
        "items" | "keys" | "values" | "__repr__" | "__str__" => {
            cx.emit(Effect::Argv(vec!["env".to_string()]), node);
            Ok(Val::Data(None))
        }
        _ => stop(
            format!("calls `environ.{name}`, which guard does not model"),
            node,
        ),
    }
}

/// Methods of a database connection or cursor.
pub(crate) fn db_method(
    cx: &mut Cx<'_>,
    db: Db,
    file: Option<String>,
    name: &str,
    args: Args,
    node: Node<'_>,
) -> R<Val> {
    // A callback given to a connection (`pool.connect((err, client) => …)`, `.then(client =>
    // …)`) may receive a client, which guard would take for plain data there.
    let runs_sql = matches!(
        name,
        "execute" | "executemany" | "executescript" | "query" | "exec"
    );
    if !runs_sql && args.pos.contains(&Val::Func) {
        return stop(
            format!(
                "passes a callback to `{name}` on a database connection, which guard does not follow"
            ),
            node,
        );
    }
    match name {
        "execute" | "executemany" | "executescript" | "query" | "exec" | "prepare" | "mogrify" => {
            let sql = match args.pos.first() {
                Some(Val::Str(s)) => s.clone(),
                Some(Val::Dict(items)) => match items.iter().find(|(k, _)| k == "text") {
                    Some((_, Val::Str(s))) => s.clone(),
                    _ => return stop(format!("runs SQL only known at run time (`{name}`)"), node),
                },
                _ => return stop(format!("runs SQL only known at run time (`{name}`)"), node),
            };
            for v in args.pos.iter().skip(1) {
                check_arg(cx, v, node, name)?;
            }
            sql_effect(cx, db, file.as_deref(), sql, node)?;
            Ok(Val::Obj(Obj::Db(db, file)))
        }
        "cursor" | "connect" => {
            check_all(cx, &args, node, name)?;
            Ok(Val::Obj(Obj::Db(db, file)))
        }
        "commit" | "rollback" | "close" | "end" | "release" | "fetchone" | "fetchall"
        | "fetchmany" | "then" | "catch" | "finally" | "run" | "all" | "get" | "iterate"
        | "pluck" | "on" | "set_session" | "autocommit" => {
            check_all(cx, &args, node, name)?;
            Ok(Val::Data(None))
        }
        _ => stop(
            format!("calls `{name}` on a database connection, which guard does not model"),
            node,
        ),
    }
}

/// Methods of a path object.
pub(crate) fn path_method(
    cx: &mut Cx<'_>,
    path: Option<String>,
    name: &str,
    args: Args,
    node: Node<'_>,
) -> R<Val> {
    let what = format!("Path.{name}");
    let need = |p: &Option<String>| -> R<String> {
        match p {
            Some(p) => Ok(p.clone()),
            None => stop(
                format!("calls `{what}` on a path only known at run time"),
                node,
            ),
        }
    };
    match name {
        "exists" | "is_file" | "is_dir" | "is_symlink" | "stat" | "lstat" | "samefile"
        | "match" | "as_posix" | "is_absolute" | "owner" | "group" | "as_uri" => {
            check_all(cx, &args, node, &what)?;
            Ok(Val::Data(None))
        }
        "resolve" | "absolute" | "expanduser" | "with_name" | "with_suffix" | "relative_to"
        | "iterdir" | "glob" | "rglob" => {
            check_all(cx, &args, node, &what)?;
            Ok(Val::Obj(Obj::Path(None)))
        }
        "joinpath" => {
            check_all(cx, &args, node, &what)?;
            let mut p = path;
            for a in &args.pos {
                p = match (p, a.text()) {
                    (Some(base), Some(part)) => Some(join_path(&base, &part)),
                    _ => None,
                };
            }
            Ok(Val::Obj(Obj::Path(p)))
        }
        "unlink" => {
            only_kwargs(&args, &["missing_ok"], &what, node)?;
            let p = need(&path)?;
            cx.emit(argv(&["rm", &p]), node);
            Ok(Val::Null)
        }
        "rmdir" => {
            let p = need(&path)?;
            cx.emit(argv(&["rmdir", &p]), node);
            Ok(Val::Null)
        }
        "touch" => {
            let p = need(&path)?;
            cx.emit(argv(&["touch", &p]), node);
            Ok(Val::Null)
        }
        "mkdir" => {
            only_kwargs(&args, &["parents", "exist_ok", "mode"], &what, node)?;
            let p = need(&path)?;
            let parents = args.kw("parents").and_then(Val::truthy) == Some(true);
            let words: &[&str] = if parents {
                &["mkdir", "-p", &p]
            } else {
                &["mkdir", &p]
            };
            cx.emit(argv(words), node);
            Ok(Val::Null)
        }
        "write_text" | "write_bytes" => {
            let p = need(&path)?;
            check_all(cx, &args, node, &what)?;
            cx.emit(argv(&["tee", &p]), node);
            Ok(Val::Data(None))
        }
        "read_text" | "read_bytes" => {
            let p = need(&path)?;
            check_all(cx, &args, node, &what)?;
            cx.emit(argv(&["cat", &p]), node);
            Ok(Val::Data(Some(p)))
        }
        "open" => {
            let p = need(&path)?;
            open(cx, &p, args.get(0, "mode"), &what, node)
        }
        "chmod" => {
            let p = need(&path)?;
            let mode = mode_text(args.pos.first(), &what, node)?;
            cx.emit(argv(&["chmod", &mode, &p]), node);
            Ok(Val::Null)
        }
        "rename" | "replace" => {
            let p = need(&path)?;
            let to = literal(args.pos.first(), &what, node)?;
            cx.emit(argv(&["mv", &p, &to]), node);
            Ok(Val::Obj(Obj::Path(Some(to))))
        }
        _ => stop(format!("calls `{what}`, which guard does not model"), node),
    }
}

/// Attributes of a path object.
pub(crate) fn path_attribute(path: Option<String>, name: &str) -> Val {
    match name {
        "name" | "suffix" | "stem" | "suffixes" | "parts" | "anchor" | "drive" | "root" => {
            Val::Data(None)
        }
        "parent" => Val::Obj(Obj::Path(path.map(
            |p| match p.trim_end_matches('/').rsplit_once('/') {
                Some(("", _)) => "/".to_string(),
                Some((dir, _)) => dir.to_string(),
                None => ".".to_string(),
            },
        ))),
        _ => Val::Unknown,
    }
}

pub(crate) fn join_path(base: &str, part: &str) -> String {
    if part.starts_with('/') {
        part.to_string()
    } else if base.ends_with('/') {
        format!("{base}{part}")
    } else {
        format!("{base}/{part}")
    }
}
