//! guard-compile: lowers a checked program ([`guard_sema::Program`]) to the engine's IR
//! ([`guard_engine::Policy`]).
//!
//! Pipeline position: `guard-syntax` (parse) → `guard-sema` (check) → **`guard-compile`** →
//! `guard-engine` (bundle, evaluate). [`compile_sources`] runs the whole authoring side over a
//! source map; [`compile`] is the last step alone.
//!
//! What compiling does (see `lower` for how):
//! - defs are inlined: a def that is constant becomes its value; any other is emitted once and
//!   shared by the rules that use it (defs are acyclic and see no caller variables);
//! - constants are folded with exactly the engine's semantics (comparisons, membership,
//!   `matches`, built-in calls, `and`/`or`/`not`), `and`/`or` chains are flattened and their
//!   operands ordered cheapest first (evaluation is pure, so order changes cost, not results);
//! - sets become the engine's sorted constant sets (hash sets and bit masks at load), a list of
//!   constants tested with `in` becomes a set, globs and regexes are stored as pattern text the
//!   engine compiles once at load (and checked to compile now), strings are interned, and
//!   message and help templates are pre-split, their constant parts rendered to text;
//! - the engine indexes rules by action kind when the policy is built.
//!
//! Invariants:
//! - Deterministic: the same program gives the same [`guard_engine::PolicyData`], so the same
//!   bundle bytes (no hash-order iteration; everything follows program order).
//! - Meaning-preserving: a policy decides every request as a reference interpreter of the
//!   typed program does, with or without [`Options::optimize`] (tested by proptest).
//! - Only a program without errors is compiled; the limits the engine puts on evaluation
//!   (expression depth, quantifier nesting, pattern size) are reported as `GC0xx`
//!   diagnostics, never as a panic or an invalid policy.
//! - No I/O and no printing.

pub mod codes;
mod lower;

use guard_diagnostics::{Diagnostic, FileId, SourceFile, SourceMap, Span};
use guard_engine::{Metadata, Policy, Source};
use guard_sema::Program;

/// How to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Fold constants, flatten `and`/`or` and order their operands by cost (on by default;
    /// off only to test that optimizing preserves meaning).
    pub optimize: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { optimize: true }
    }
}

/// Lowers a checked program to a policy. `program` must come from a check that reported no
/// error; otherwise (or when it exceeds the engine's limits) the diagnostics say why.
pub fn compile(program: &Program) -> Result<Policy, Vec<Diagnostic>> {
    compile_with(program, Options::default())
}

/// [`compile`] with explicit [`Options`].
pub fn compile_with(program: &Program, options: Options) -> Result<Policy, Vec<Diagnostic>> {
    let Some(default) = program.default else {
        return Err(vec![
            Diagnostic::error(
                codes::INVALID_PROGRAM,
                Span::default(),
                "the policies declare no `default`",
            )
            .with_help("add `default allow` or `default deny` to exactly one module"),
        ]);
    };
    lower::Compiler::new(program, options, default).run()
}

/// The result of [`compile_sources`].
#[derive(Debug, Clone)]
pub struct Compilation {
    /// The checked program (its tests are what `guard test` runs).
    pub program: Program,
    /// The compiled policy; `None` when any diagnostic is an error.
    pub policy: Option<Policy>,
    /// Every diagnostic, each tagged with its file: those of parsing and checking sorted by
    /// file and position, then the compiler's (reported only when there were no errors before).
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, checks and compiles every file of `sources` as one policy set.
pub fn compile_sources(sources: &SourceMap) -> Compilation {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for (id, file) in sources.files() {
        let (ast, diags) = guard_syntax::parse(&file.text);
        diagnostics.extend(
            diags
                .into_iter()
                .map(|d| if d.file.is_none() { d.in_file(id) } else { d }),
        );
        files.push((id, ast));
    }
    let refs: Vec<(FileId, &guard_syntax::ast::File)> =
        files.iter().map(|(id, ast)| (*id, ast)).collect();
    let (program, diags) = guard_sema::check(&refs);
    diagnostics.extend(diags);
    diagnostics.sort_by_key(|d| (d.file.is_none(), d.file, d.primary.span.start));
    let policy = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        match compile(&program) {
            Ok(policy) => Some(policy),
            Err(diags) => {
                diagnostics.extend(diags);
                None
            }
        }
    };
    Compilation {
        program,
        policy,
        diagnostics,
    }
}

/// The bundle metadata for a policy compiled from `sources`: the sources in [`FileId`] order,
/// which is the order rules' [`guard_engine::ir::SourceLoc::file`] index them. `name` gives each
/// file's name in the bundle (a path relative to the build root, so bundles do not depend on
/// where they were built).
pub fn metadata(
    sources: &SourceMap,
    name: impl Fn(FileId, &SourceFile) -> String,
    revision: u64,
    git_commit: Option<String>,
) -> Metadata {
    Metadata {
        guard_version: env!("CARGO_PKG_VERSION").to_string(),
        revision,
        git_commit,
        sources: sources
            .files()
            .map(|(id, file)| Source::new(name(id, file), file.text.clone()))
            .collect(),
    }
}
