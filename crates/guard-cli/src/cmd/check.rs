//! `guard check`: parse, resolve, type-check and lint policy files, and report every problem.

use std::path::PathBuf;

use guard_diagnostics::{Diagnostic, FileId, Severity, SourceMap};

use super::Status;
use crate::output::{self, Format};
use crate::sources;

/// Stack for parsing and checking: both recurse over expression trees, and a generous stack
/// keeps a pathological (but size-limited) file a diagnostic rather than a crash.
const STACK_BYTES: usize = 256 * 1024 * 1024;

#[derive(clap::Args, Debug)]
// The subcommand's one-line `about` comes from its doc comment in `main.rs`; the teaching
// text goes in `after_long_help` so `guard check --help` shows it and `-h` stays short.
#[command(
    after_help = "Exit status: 0 no errors (warnings allowed), 1 errors in policies, 2 usage or I/O errors.",
    after_long_help = "Finds every `*.guard` file under the given paths (hidden directories and `target/` are \
skipped), parses them, resolves `module` and `use`, type-checks every rule, def, set and test \
against the schema (see `guard schema`), and runs the lints (unused sets and defs, conditions \
that are constant). The files checked together form one program: module names are unique and \
exactly one module declares `default allow` or `default deny`.

Examples:
  guard check                       check every policy under the current directory
  guard check policies/ examples/   check two trees as one program
  guard check --format json         one JSON object per diagnostic on stdout, for CI and editors

Exit status:
  0  no errors (warnings are allowed)
  1  errors in policies
  2  usage or I/O errors: a missing path, an unreadable or non-UTF-8 file, no policy files"
)]
pub struct Args {
    /// Files or directories to check; directories are searched for `*.guard` files.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// `human`: diagnostics with source snippets on stderr. `json`: one object per diagnostic
    /// on stdout (code, name, severity, file, line, column, range, message, help, labels).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> Status {
    let paths = match sources::discover(&args.paths) {
        Ok(paths) => paths,
        Err(e) => {
            output::usage_error(e);
            return Status::Usage;
        }
    };
    let (sources, ids) = match sources::load(&paths) {
        Ok(loaded) => loaded,
        Err(e) => {
            output::usage_error(e);
            return Status::Usage;
        }
    };
    let Some((sources, diagnostics)) = check_on_big_stack(sources, ids) else {
        output::usage_error("internal error while checking policies (please report it)");
        return Status::Usage;
    };
    output::print_diagnostics(&diagnostics, &sources, args.format);
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let files = sources.files().count();
    eprintln!(
        "checked {files} file{}: {errors} error{}, {warnings} warning{}",
        plural(files),
        plural(errors),
        plural(warnings)
    );
    if errors > 0 {
        Status::Failed
    } else {
        Status::Ok
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Parses and checks on a thread with a large stack; `None` if that thread failed.
fn check_on_big_stack(
    sources: SourceMap,
    ids: Vec<FileId>,
) -> Option<(SourceMap, Vec<Diagnostic>)> {
    let worker = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let diagnostics = parse_and_check(&sources, &ids);
            (sources, diagnostics)
        });
    worker.ok()?.join().ok()
}

/// Syntax diagnostics of every file, then the checker's, sorted by file and position.
pub fn parse_and_check(sources: &SourceMap, ids: &[FileId]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::new();
    for &id in ids {
        let Some(file) = sources.get(id) else {
            continue;
        };
        let (ast, syntax) = guard_syntax::parse(&file.text);
        diagnostics.extend(syntax.into_iter().map(|d| d.in_file(id)));
        parsed.push((id, ast));
    }
    let files: Vec<(FileId, &guard_syntax::ast::File)> =
        parsed.iter().map(|(id, ast)| (*id, ast)).collect();
    let (_program, semantic) = guard_sema::check_sources(&files, sources);
    diagnostics.extend(semantic);
    diagnostics.sort_by_key(|d| (d.file.is_none(), d.file, d.primary.span.start));
    diagnostics
}
