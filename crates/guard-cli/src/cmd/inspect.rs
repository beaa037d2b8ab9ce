//! `guard inspect FILE`: a bundle's metadata and rules, for people (`human`) or programs
//! (`json`). Reading a bundle checks its integrity (magic, version, length, digest) but not
//! its signature: that is `guard verify`.

use std::path::{Path, PathBuf};

use guard_engine::LoadedBundle;
use guard_model::ActionKind;
use serde_json::json;

use super::Status;
use crate::output::{self, Format};

/// Bundles larger than this are refused as input errors.
pub const MAX_BUNDLE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Print a bundle's metadata and rules.\n\n\
Shows the format version, the digest decisions name the bundle by, the revision, the Git commit \
and guard version it was built from, every source file with its SHA-256, the rule count per \
action kind, and each rule (id, effect, target, mode, first line of its doc). The bundle's \
integrity is checked; its signature is not (see `guard verify`).",
    after_help = "Exit status: 0 printed, 2 unreadable file or not a valid bundle."
)]
pub struct Args {
    /// The bundle file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// `human`: aligned text. `json`: one JSON object on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> Status {
    let bytes = match read_limited(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => {
            output::usage_error(message);
            return Status::Usage;
        }
    };
    // Also compile every regex: a runtime would only find a bad one on first use. The
    // sources (compressed in the bundle) are inflated here, once, for the locations and docs.
    let loaded = guard_engine::decode(&bytes).and_then(|b| {
        b.check_fully()?;
        Ok(b)
    });
    let shown = loaded.as_ref().map_err(Clone::clone).and_then(|b| {
        let view = View {
            bundle: b,
            metadata: b.metadata()?,
            docs: b.rule_docs()?,
        };
        Ok(match args.format {
            Format::Human => human(&args.file, &view),
            Format::Json => format!("{}\n", to_json(&args.file, &view)),
        })
    });
    match shown {
        Ok(text) => print!("{text}"),
        Err(e) => {
            report(e.code(), format!("`{}`: {e}", args.file.display()));
            return Status::Usage;
        }
    }
    Status::Ok
}

/// A checked bundle with its sources inflated and every rule's doc.
struct View<'a> {
    bundle: &'a LoadedBundle,
    metadata: &'a guard_engine::Metadata,
    docs: &'a [String],
}

/// Reads a file of at most [`MAX_BUNDLE_BYTES`]; the error names the file.
pub fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("`{name}`: {}", io_message(&e)))?;
    if meta.len() > MAX_BUNDLE_BYTES {
        return Err(format!(
            "`{name}`: {} bytes is larger than the {MAX_BUNDLE_BYTES}-byte limit",
            meta.len()
        ));
    }
    std::fs::read(path).map_err(|e| format!("`{name}`: {}", io_message(&e)))
}

pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Prints `error[CODE]: message` to stderr.
pub fn report(code: &str, message: impl std::fmt::Display) {
    eprintln!("error[{code}]: {message}");
}

/// `sql 16, exec 14, …, request 1`, in schema order, kinds without rules left out.
fn rule_counts(bundle: &LoadedBundle) -> Vec<(&'static str, usize)> {
    ActionKind::ALL
        .iter()
        .map(|k| Some(*k))
        .chain([None])
        .map(|k| {
            (
                k.map_or("request", ActionKind::name),
                bundle.policy.rules_on(k).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn first_line(doc: &str) -> &str {
    doc.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn location(metadata: &guard_engine::Metadata, rule: &guard_engine::ir::Rule) -> String {
    match metadata.sources.get(rule.source.file as usize) {
        Some(source) => {
            let (line, column) = source.line_col(rule.source.span[0]);
            format!("{}:{line}:{column}", source.name)
        }
        None => String::new(),
    }
}

fn human(file: &Path, view: &View<'_>) -> String {
    use std::fmt::Write;
    let (bundle, m) = (view.bundle, view.metadata);
    let mut out = String::new();
    let _ = writeln!(out, "bundle      {}", file.display());
    let _ = writeln!(out, "format      {}", bundle.format_version);
    let _ = writeln!(out, "digest      {}", bundle.digest());
    let _ = writeln!(out, "revision    {}", m.revision);
    let _ = writeln!(
        out,
        "git commit  {}",
        m.git_commit.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(out, "built by    guard {}", m.guard_version);
    let _ = writeln!(out, "default     {}", bundle.policy.default_effect());
    let _ = writeln!(out, "sources     {}", m.sources.len());
    let width = m.sources.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in &m.sources {
        let _ = writeln!(out, "  {:width$}  sha256:{}", s.name, s.sha256);
    }
    let counts: Vec<String> = rule_counts(bundle)
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let rules = bundle.policy.rules();
    if counts.is_empty() {
        let _ = writeln!(out, "rules       0");
    } else {
        let _ = writeln!(out, "rules       {} ({})", rules.len(), counts.join(", "));
    }
    if rules.is_empty() {
        return out;
    }
    let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0).max(4);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:id_width$}  {:16}  {:9}  {:7}  DOC",
        "RULE", "EFFECT", "ON", "MODE"
    );
    for (rule, doc) in rules.iter().zip(view.docs) {
        let line = format!(
            "{:id_width$}  {:16}  {:9}  {:7}  {}",
            rule.id,
            rule.effect.name(),
            rule.target_name(),
            guard_mode(rule.mode),
            first_line(doc)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

fn guard_mode(mode: guard_model::Mode) -> &'static str {
    match mode {
        guard_model::Mode::Enforce => "enforce",
        guard_model::Mode::Audit => "audit",
    }
}

fn to_json(file: &Path, view: &View<'_>) -> serde_json::Value {
    let (bundle, m) = (view.bundle, view.metadata);
    let counts: serde_json::Map<String, serde_json::Value> = rule_counts(bundle)
        .into_iter()
        .map(|(k, n)| (k.to_string(), json!(n)))
        .collect();
    json!({
        "file": file.display().to_string(),
        "format_version": bundle.format_version,
        "digest": bundle.digest(),
        "revision": m.revision,
        "git_commit": m.git_commit,
        "guard_version": m.guard_version,
        "default": bundle.policy.default_effect(),
        "sources": m.sources.iter().map(|s| json!({"name": s.name, "sha256": format!("sha256:{}", s.sha256)})).collect::<Vec<_>>(),
        "rule_counts": counts,
        "rules": bundle.policy.rules().iter().zip(view.docs).map(|(r, doc)| json!({
            "id": r.id,
            "effect": r.effect,
            "on": r.target_name(),
            "mode": r.mode,
            "doc": first_line(doc),
            "controls": r.controls,
            "location": location(m, r),
        })).collect::<Vec<_>>(),
    })
}
