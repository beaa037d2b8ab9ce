//! `guard eval`: decide requests with a verified bundle.
//!
//! Two modes:
//! - **stream** (default): canonical requests (DESIGN.md §5), one JSON object a line on stdin;
//!   one decision JSON a line on stdout, in input order. A bad line gets a `"decision":"error"`
//!   line and the others go on. Memory stays flat: lines are read in bounded batches, each
//!   batch decided in parallel and written before the next is read, and a batch is cut as soon
//!   as stdin has nothing buffered, so an interactive client gets each answer at once.
//! - **one command** (`--command`): a human-readable decision, or its JSON with `--format json`.
//!
//! Trust: the bundle's SSH signature (`FILE.sig`) is verified against `--allowed-signers`
//! before anything is decided; without it, only the loudly named `--insecure-allow-unsigned`
//! lets an unverified bundle decide. A crash while deciding one line becomes an error line for
//! it, never an allow.

use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use guard_engine::LoadedBundle;
use guard_model::{Channel, Decision, DecisionKind, Dialect, Match, Request};
use rayon::prelude::*;

use super::Status;
use crate::output::{self, Format};

/// A bundle file larger than this is refused.
const MAX_BUNDLE_BYTES: u64 = 64 * 1024 * 1024;
/// A signature file larger than this is refused.
const MAX_SIGNATURE_BYTES: u64 = 64 * 1024;
/// An input line longer than this is an error line (and is not kept in memory).
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Most lines decided together.
const BATCH_LINES: usize = 1024;
/// Most bytes of input held at once (a batch is cut when it reaches this).
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Stack of the threads that analyse requests: parsers recurse over nested input.
const STACK_BYTES: usize = 64 * 1024 * 1024;

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Decide requests with a bundle.\n\n\
The bundle's signature, FILE.sig (from `guard sign` or `ssh-keygen -Y sign -n guard-bundle`), \
is verified against an allowed_signers file before anything is decided; an unsigned or \
untrusted bundle is refused. --insecure-allow-unsigned skips verification, with a warning.\n\n\
Stream mode (default): reads canonical requests, one JSON object a line, on stdin \
(`{\"id\",\"channel\":\"sql\"|\"shell\",\"dialect\",\"command\",\"actor\",\"target\"}`; `command` \
and `channel` are required) and writes one decision a line on stdout, in input order: \
`{\"id\",\"decision\",\"matches\":[…],\"bundle\":{\"digest\",\"revision\"}}`. A line that is not a \
valid request (not UTF-8, not JSON, a missing or mistyped field, an unknown channel) gets \
`{\"id\": <its id, else \"line N\">, \"decision\":\"error\", \"error\": …}` and the others go on. \
Blank lines are skipped.\n\n\
One-command mode (--command): decides one command and prints the decision and each match \
(rule, effect, message, help, controls, and the part of the command it is about).",
    after_help = "Examples:\n  guard eval --bundle p.bundle --allowed-signers signers < requests.jsonl\n  \
guard eval --bundle p.bundle --allowed-signers signers --command 'rm -rf /var/lib/postgresql'\n  \
guard eval --bundle p.bundle --insecure-allow-unsigned --channel sql --env production --command 'DROP TABLE users'\n\n\
Exit status, stream mode: 0 every line was decided (whatever the decisions), 2 some line was \
an error, or the bundle could not be loaded or verified.\n\
Exit status, --command: 0 allow or warn, 1 deny or require_approval (so `guard eval … && run` \
is a gate), 2 usage errors or a bundle that could not be loaded or verified."
)]
pub struct Args {
    /// The bundle to decide with (from `guard build`); its signature is read from FILE.sig.
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,

    /// The allowed_signers file (OpenSSH format) that must trust the bundle's signer.
    #[arg(
        long,
        value_name = "SIGNERS",
        conflicts_with = "insecure_allow_unsigned"
    )]
    pub allowed_signers: Option<PathBuf>,

    /// Only accept a signature by this principal of the allowed_signers file.
    #[arg(long, value_name = "ID", requires = "allowed_signers")]
    pub identity: Option<String>,

    /// Decide with a bundle whose signature is not verified (development only).
    #[arg(long)]
    pub insecure_allow_unsigned: bool,

    /// Decide this one command instead of reading requests from stdin.
    #[arg(long, value_name = "COMMAND")]
    pub command: Option<String>,

    /// The command's channel [default: shell].
    #[arg(long, value_name = "CHANNEL", value_parser = parse_channel, requires = "command")]
    pub channel: Option<Channel>,

    /// The SQL dialect [default: postgres].
    #[arg(long, value_name = "DIALECT", value_parser = parse_dialect, requires = "command")]
    pub dialect: Option<Dialect>,

    /// The target environment (`target.env`).
    #[arg(long, value_name = "ENV", requires = "command")]
    pub env: Option<String>,

    /// With --command: `human` text, or the decision's JSON line.
    #[arg(long, value_enum, default_value_t = Format::Human, requires = "command")]
    pub format: Format,
}

fn parse_channel(text: &str) -> Result<Channel, String> {
    Channel::from_name(text)
        .ok_or_else(|| format!("expected one of: {}", names(Channel::ALL, Channel::name)))
}

fn parse_dialect(text: &str) -> Result<Dialect, String> {
    Dialect::from_name(text)
        .ok_or_else(|| format!("expected one of: {}", names(Dialect::ALL, Dialect::name)))
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

pub fn run(args: Args) -> Status {
    let bundle = match load_bundle(&args) {
        Ok(bundle) => bundle,
        Err(status) => return status,
    };
    let pool = match rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .build()
    {
        Ok(pool) => pool,
        Err(e) => {
            output::usage_error(format_args!("cannot start worker threads: {e}"));
            return Status::Usage;
        }
    };
    match &args.command {
        Some(command) => {
            let request = Request {
                id: String::new(),
                time: String::new(),
                channel: args.channel.unwrap_or(Channel::Shell),
                dialect: args.dialect.unwrap_or_default(),
                command: command.clone(),
                actor: Default::default(),
                target: guard_model::Target {
                    env: args.env.clone().unwrap_or_default(),
                    ..Default::default()
                },
            };
            pool.install(|| one_command(&bundle, &request, args.format))
        }
        None => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            match pool.install(|| stream(&bundle, stdin.lock(), stdout.lock())) {
                Ok(summary) if summary.errors == 0 => Status::Ok,
                Ok(_) => Status::Usage,
                Err(e) => {
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        output::usage_error(format_args!("{e}"));
                    }
                    Status::Usage
                }
            }
        }
    }
}

/// Reads, verifies and decodes the bundle; prints why not and gives exit status 2.
fn load_bundle(args: &Args) -> Result<LoadedBundle, Status> {
    let fail = |message: String| {
        output::usage_error(message);
        Status::Usage
    };
    let bytes = read_limited(&args.bundle, MAX_BUNDLE_BYTES).map_err(|e| {
        fail(format!(
            "cannot read bundle `{}`: {e}",
            args.bundle.display()
        ))
    })?;
    // One SHA-256 pass serves both the signature (when made with `hashalg=sha256`, as `guard
    // sign` makes it) and the bundle's own digest.
    let hashed = guard_engine::HashedBundle::new(&bytes);
    match &args.allowed_signers {
        Some(signers_path) => {
            let sig_path = signature_path(&args.bundle);
            let signature = match read_limited(&sig_path, MAX_SIGNATURE_BYTES) {
                Ok(sig) => String::from_utf8_lossy(&sig).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => {
                    return Err(fail(format!(
                        "cannot read signature `{}`: {e}",
                        sig_path.display()
                    )));
                }
            };
            let signers_text = read_limited(signers_path, MAX_BUNDLE_BYTES).map_err(|e| {
                fail(format!(
                    "cannot read allowed signers `{}`: {e}",
                    signers_path.display()
                ))
            })?;
            let signers =
                guard_engine::sign::AllowedSigners::parse(&String::from_utf8_lossy(&signers_text))
                    .map_err(|e| fail(format!("[GV009] `{}`: {e}", signers_path.display())))?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            if let Err(e) = guard_engine::sign::verify_bundle(
                &hashed,
                &signature,
                &signers,
                args.identity.as_deref(),
                now,
            ) {
                let help = miette::Diagnostic::help(&e)
                    .map(|h| format!("\n  help: {h}"))
                    .unwrap_or_default();
                return Err(fail(format!(
                    "[{}] refusing bundle `{}`: {e} (signature `{}`){help}",
                    e.code(),
                    args.bundle.display(),
                    sig_path.display()
                )));
            }
        }
        None if args.insecure_allow_unsigned => {
            eprintln!(
                "warning: --insecure-allow-unsigned: the signature of `{}` is NOT verified; \
                 these decisions come from whatever that file holds. Never use this in production.",
                args.bundle.display()
            );
        }
        None => {
            return Err(fail(format!(
                "refusing to decide with an unverified bundle: give --allowed-signers SIGNERS to verify `{}`, \
                 or --insecure-allow-unsigned to skip verification (development only)",
                signature_path(&args.bundle).display()
            )));
        }
    }
    let bundle = guard_engine::decode_hashed(&hashed).map_err(|e| {
        let help = miette::Diagnostic::help(&e)
            .map(|h| format!("\n  help: {h}"))
            .unwrap_or_default();
        fail(format!(
            "[{}] cannot load bundle `{}`: {e}{help}",
            e.code(),
            args.bundle.display()
        ))
    })?;
    // Build the evaluation plan now, so that the first request does not pay for it. Regexes
    // still compile on first use; one that does not makes its decisions `error`.
    bundle.policy.prepare();
    Ok(bundle)
}

/// `FILE.sig`.
fn signature_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

// ------------------------------------------------------------------ stream mode

/// Totals of a stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamSummary {
    pub decided: u64,
    pub errors: u64,
}

/// One input line as read.
enum Line {
    Text(Vec<u8>),
    /// Longer than [`MAX_LINE_BYTES`]: only its length is kept.
    TooLong(usize),
}

/// Decides every line of `input`, writing one decision line per non-blank input line.
pub fn stream(
    bundle: &LoadedBundle,
    input: impl Read,
    output: impl Write,
) -> std::io::Result<StreamSummary> {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut out = BufWriter::new(output);
    let mut summary = StreamSummary::default();
    let mut batch: Vec<(u64, Line)> = Vec::new();
    let mut batch_bytes = 0usize;
    let mut line_no = 0u64;
    while let Some(line) = read_line(&mut reader)? {
        line_no += 1;
        let blank = matches!(&line, Line::Text(t) if t.trim_ascii().is_empty());
        if !blank {
            batch_bytes += match &line {
                Line::Text(t) => t.len(),
                Line::TooLong(_) => 0,
            };
            batch.push((line_no, line));
        }
        let idle = reader.buffer().is_empty();
        if batch.len() >= BATCH_LINES || batch_bytes >= BATCH_BYTES || (idle && !batch.is_empty()) {
            flush(bundle, &mut batch, &mut out, &mut summary)?;
            batch_bytes = 0;
        }
    }
    flush(bundle, &mut batch, &mut out, &mut summary)?;
    Ok(summary)
}

fn flush(
    bundle: &LoadedBundle,
    batch: &mut Vec<(u64, Line)>,
    out: &mut impl Write,
    summary: &mut StreamSummary,
) -> std::io::Result<()> {
    let decisions: Vec<Decision> = batch
        .par_iter()
        .map(|(n, line)| decide_line(bundle, *n, line))
        .collect();
    batch.clear();
    for d in &decisions {
        if d.decision == DecisionKind::Error {
            summary.errors += 1;
        } else {
            summary.decided += 1;
        }
        serde_json::to_writer(&mut *out, d).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Reads one line without its `\n` (or `\r\n`); `None` at end of input. A line over
/// [`MAX_LINE_BYTES`] is consumed without being kept.
fn read_line(reader: &mut impl BufRead) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (chunk.get(..i).unwrap_or_default(), true),
            None => (chunk, false),
        };
        total += part.len();
        if total <= MAX_LINE_BYTES {
            line.extend_from_slice(part);
        } else {
            line = Vec::new();
        }
        let used = part.len() + usize::from(done);
        reader.consume(used);
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if total > MAX_LINE_BYTES {
        return Ok(Some(Line::TooLong(total)));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(Line::Text(line)))
}

/// The decision for one input line: the bundle's, or an error line.
fn decide_line(bundle: &LoadedBundle, line_no: u64, line: &Line) -> Decision {
    let fallback_id = format!("line {line_no}");
    let text = match line {
        Line::TooLong(len) => {
            return error_decision(
                bundle,
                fallback_id,
                format!("line is {len} bytes, over the {MAX_LINE_BYTES}-byte limit"),
            );
        }
        Line::Text(bytes) => bytes,
    };
    let (id, request) = match parse_request(text) {
        Ok(request) => (request.id.clone(), request),
        Err((id, message)) => return error_decision(bundle, id.unwrap_or(fallback_id), message),
    };
    match catch_unwind(AssertUnwindSafe(|| {
        let actions = guard_intent::analyze(&request);
        bundle.evaluate(&request, &actions)
    })) {
        Ok(decision) => decision,
        Err(_) => error_decision(
            bundle,
            id,
            "internal error while deciding this request (please report it)".into(),
        ),
    }
}

fn error_decision(bundle: &LoadedBundle, id: String, error: String) -> Decision {
    Decision {
        id,
        decision: DecisionKind::Error,
        matches: Vec::new(),
        error: Some(error),
        bundle: Some(bundle.bundle_ref()),
    }
}

/// Parses a canonical request. On error: the line's id when it could be read, and why.
pub fn parse_request(bytes: &[u8]) -> Result<Request, (Option<String>, String)> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        (
            None,
            format!(
                "line is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| (None, format!("not valid JSON: {e}")))?;
    let Some(object) = value.as_object_mut() else {
        return Err((
            None,
            format!("expected a JSON object, found {}", json_kind(&value)),
        ));
    };
    // Ids may be strings or numbers; a number is kept as its text.
    let id = match object.get("id") {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => {
            let text = n.to_string();
            object.insert("id".into(), serde_json::Value::String(text.clone()));
            Some(text)
        }
        Some(other) => {
            return Err((
                None,
                format!(
                    "`id` must be a string or a number, found {}",
                    json_kind(other)
                ),
            ));
        }
    };
    if let Some(message) = field_type_error(object) {
        return Err((id, message));
    }
    serde_json::from_value::<Request>(value).map_err(|e| (id, format!("invalid request: {e}")))
}

/// The first known field of a request with the wrong JSON type, named by its path (serde's
/// own message does not say which field it was reading).
fn field_type_error(object: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    use serde_json::Value;
    fn check(
        value: Option<&Value>,
        path: &str,
        want: &str,
        ok: fn(&Value) -> bool,
    ) -> Option<String> {
        match value {
            Some(v) if !ok(v) => Some(format!(
                "invalid request: `{path}` must be {want}, found {}",
                json_kind(v)
            )),
            _ => None,
        }
    }
    let string = |v: &Value| v.is_string();
    let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    let string_map = |v: &Value| {
        v.as_object()
            .is_some_and(|m| m.values().all(Value::is_string))
    };
    for field in ["channel", "dialect", "command", "time"] {
        if let Some(e) = check(object.get(field), field, "a string", string) {
            return Some(e);
        }
    }
    for (record, fields) in [
        ("actor", &["id", "kind"][..]),
        ("target", &["env", "resource"][..]),
    ] {
        let Some(value) = object.get(record) else {
            continue;
        };
        let Some(inner) = value.as_object() else {
            return check(Some(value), record, "an object", Value::is_object);
        };
        for field in fields {
            if let Some(e) = check(
                inner.get(*field),
                &format!("{record}.{field}"),
                "a string",
                string,
            ) {
                return Some(e);
            }
        }
        let extra = if record == "actor" {
            check(
                inner.get("groups"),
                "actor.groups",
                "an array of strings",
                strings,
            )
        } else {
            check(
                inner.get("labels"),
                "target.labels",
                "an object of strings",
                string_map,
            )
        };
        if extra.is_some() {
            return extra;
        }
    }
    None
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

// ------------------------------------------------------------------ one command

fn one_command(bundle: &LoadedBundle, request: &Request, format: Format) -> Status {
    let decision = match catch_unwind(AssertUnwindSafe(|| {
        let actions = guard_intent::analyze(request);
        bundle.evaluate(request, &actions)
    })) {
        Ok(decision) => decision,
        Err(_) => {
            output::usage_error("internal error while deciding this command (please report it)");
            return Status::Usage;
        }
    };
    match format {
        Format::Json => match serde_json::to_string(&decision) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                output::usage_error(e);
                return Status::Usage;
            }
        },
        Format::Human => {
            let color = output::use_color(std::io::stdout().is_terminal());
            print!("{}", render_human(&decision, &request.command, color));
        }
    }
    match decision.decision {
        DecisionKind::Allow | DecisionKind::Warn => Status::Ok,
        DecisionKind::Deny | DecisionKind::RequireApproval => Status::Failed,
        DecisionKind::Error => Status::Usage,
    }
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn effect_color(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "1;32",
        DecisionKind::Warn | DecisionKind::RequireApproval => "1;33",
        DecisionKind::Deny | DecisionKind::Error => "1;31",
    }
}

fn kind_name(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "allow",
        DecisionKind::Warn => "warn",
        DecisionKind::RequireApproval => "require_approval",
        DecisionKind::Deny => "deny",
        DecisionKind::Error => "error",
    }
}

/// The decision, each match with the part of the command it is about underlined, and the
/// bundle that decided.
pub fn render_human(decision: &Decision, command: &str, color: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let kind = decision.decision;
    let _ = writeln!(
        out,
        "decision: {}",
        paint(kind_name(kind), effect_color(kind), color)
    );
    if decision.matches.is_empty() {
        let _ = writeln!(out, "  no rule matched: the bundle's default decides");
    }
    for m in &decision.matches {
        render_match(&mut out, m, command, color);
    }
    if let Some(b) = &decision.bundle {
        let _ = writeln!(out, "bundle: {} (revision {})", b.digest, b.revision);
    }
    out
}

fn render_match(out: &mut String, m: &Match, command: &str, color: bool) {
    use std::fmt::Write;
    let effect = paint(
        m.effect.name(),
        effect_color(DecisionKind::from(m.effect)),
        color,
    );
    let mode = match m.mode {
        guard_model::Mode::Enforce => String::new(),
        guard_model::Mode::Audit => " (audit: recorded, does not decide)".to_string(),
    };
    let _ = writeln!(out, "\n  {effect} {}{mode}", paint(&m.rule, "1", color));
    let _ = writeln!(out, "    {}", m.message);
    for line in underline(command, m.span) {
        let _ = writeln!(out, "    │ {line}");
    }
    if !m.via.is_empty() {
        let _ = writeln!(out, "    via: {}", m.via.join(" → "));
    }
    if !m.help.is_empty() {
        let _ = writeln!(out, "    help: {}", m.help);
    }
    if !m.controls.is_empty() {
        let _ = writeln!(out, "    controls: {}", m.controls.join(", "));
    }
}

/// The lines of `command` that `span` covers, each followed by a line of `^` under the
/// covered characters. Tabs and other control characters print as one space.
pub fn underline(command: &str, span: [u32; 2]) -> Vec<String> {
    let [start, end] = span.map(|v| (v as usize).min(command.len()));
    let (start, end) = (start.min(end), end.max(start));
    let mut out = Vec::new();
    let mut offset = 0usize;
    for raw in command.split_inclusive('\n') {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let (line_start, line_end) = (offset, offset + line.len());
        offset += raw.len();
        let overlaps = if start == end {
            line_start <= start && start <= line_end
        } else {
            start < line_end && end > line_start
        };
        if !overlaps {
            continue;
        }
        let mut shown = String::new();
        let mut marks = String::new();
        for (i, c) in line.char_indices() {
            let at = line_start + i;
            shown.push(if c.is_control() { ' ' } else { c });
            marks.push(if at >= start && at < end { '^' } else { ' ' });
        }
        out.push(shown);
        out.push(marks.trim_end().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn underline_marks_the_span() {
        assert_eq!(
            underline("DROP TABLE users", [0, 16]),
            vec!["DROP TABLE users", "^^^^^^^^^^^^^^^^"]
        );
        assert_eq!(
            underline("ls; rm -rf /", [4, 12]),
            vec!["ls; rm -rf /", "    ^^^^^^^^"]
        );
        assert_eq!(
            underline("a\nrm -rf /\nb", [2, 10]),
            vec!["rm -rf /", "^^^^^^^^"]
        );
        assert_eq!(underline("é rm", [3, 5]), vec!["é rm", "  ^^"]);
        // Out of range spans clamp (here to the empty span at the end) instead of panicking.
        assert_eq!(underline("ab", [5, 9]), vec!["ab", ""]);
        assert_eq!(underline("ab", [9, 1]), vec!["ab", " ^"]);
    }

    #[test]
    fn read_line_bounds_long_lines() {
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut input = long.clone();
        input.extend_from_slice(b"\n{}\r\nlast");
        let mut reader = BufReader::with_capacity(1024, input.as_slice());
        assert!(
            matches!(read_line(&mut reader).unwrap(), Some(Line::TooLong(n)) if n == long.len())
        );
        assert!(matches!(read_line(&mut reader).unwrap(), Some(Line::Text(t)) if t == b"{}"));
        assert!(matches!(read_line(&mut reader).unwrap(), Some(Line::Text(t)) if t == b"last"));
        assert!(read_line(&mut reader).unwrap().is_none());
    }

    #[test]
    fn parse_request_recovers_ids() {
        let err = parse_request(br#"{"id": 7, "channel": "http", "command": "x"}"#).unwrap_err();
        assert_eq!(err.0.as_deref(), Some("7"));
        assert!(err.1.contains("unknown variant `http`"), "{}", err.1);
        let err = parse_request(br#"{"id": "r1", "channel": "sql"}"#).unwrap_err();
        assert_eq!(err.0.as_deref(), Some("r1"));
        assert!(err.1.contains("missing field `command`"), "{}", err.1);
        assert_eq!(
            parse_request(b"[1]").unwrap_err().1,
            "expected a JSON object, found an array"
        );
        let ok =
            parse_request(br#"{"id": 12, "channel": "sql", "command": "SELECT 1", "extra": true}"#)
                .unwrap();
        assert_eq!(ok.id, "12");
    }
}
