//! `guard fmt`: rewrites policy files in canonical form, or with `--check` lists the files
//! that would change. A file with syntax errors is reported and never rewritten; a file is
//! replaced by renaming a fully written sibling, so an interrupted run cannot truncate it.

use std::path::{Path, PathBuf};

use guard_diagnostics::Diagnostic;

use super::Status;
use crate::output::{self, Format};
use crate::sources;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  guard fmt                      rewrite every *.guard file under the current directory
  guard fmt policies/ extra.guard
  guard fmt --check              list files that are not formatted; exit 1 if any (for CI)
  guard fmt --check --format json

Exit status: 0 all files formatted (or, with --check, already canonical); 1 a file would
change (--check) or has syntax errors; 2 a path is missing or a file cannot be read or written.")]
pub struct Args {
    /// Files or directories (searched for `*.guard`, skipping hidden ones and `target`).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Write nothing: list the files that would change, and exit 1 if there are any.
    #[arg(long)]
    check: bool,
    /// Output format of diagnostics and of the `--check` list.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(args: Args) -> Status {
    let files = match sources::discover(&args.paths) {
        Ok(files) => files,
        Err(e) => {
            output::usage_error(e);
            return Status::Usage;
        }
    };
    let (sources, ids) = match sources::load(&files) {
        Ok(loaded) => loaded,
        Err(e) => {
            output::usage_error(e);
            return Status::Usage;
        }
    };
    let mut status = Status::Ok;
    for (path, id) in files.iter().zip(ids) {
        let Some(source) = sources.get(id) else {
            continue;
        };
        let (file, diagnostics) = guard_syntax::parse(&source.text);
        if diagnostics.iter().any(Diagnostic::is_error) {
            let diagnostics: Vec<Diagnostic> =
                diagnostics.into_iter().map(|d| d.in_file(id)).collect();
            output::print_diagnostics(&diagnostics, &sources, args.format);
            status = worse(status, Status::Failed);
            continue;
        }
        let formatted = guard_syntax::format(&file);
        if formatted == source.text {
            continue;
        }
        if args.check {
            report_unformatted(path, args.format);
            status = worse(status, Status::Failed);
        } else if let Err(e) = replace(path, &formatted) {
            output::usage_error(format_args!("`{}`: cannot write: {e}", path.display()));
            status = Status::Usage;
        }
    }
    status
}

/// I/O trouble (2) outranks policy trouble (1).
fn worse(a: Status, b: Status) -> Status {
    if a as u8 >= b as u8 { a } else { b }
}

fn report_unformatted(path: &Path, format: Format) {
    match format {
        Format::Human => println!("{}", path.display()),
        Format::Json => {
            let line =
                serde_json::json!({ "file": path.display().to_string(), "status": "unformatted" });
            println!("{line}");
        }
    }
}

/// Writes `text` beside `path`, keeps its permissions, and renames it over `path`.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(".guard-fmt.tmp");
    let tmp = path.with_file_name(tmp_name);
    let permissions = std::fs::metadata(path)?.permissions();
    let written = std::fs::write(&tmp, text)
        .and_then(|()| std::fs::set_permissions(&tmp, permissions))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
