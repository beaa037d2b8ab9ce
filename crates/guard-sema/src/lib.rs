//! Semantic analysis of guard policies: module resolution, name resolution, type checking and
//! lints. Input: parsed files ([`guard_syntax::ast::File`]); output: a [`Program`] (resolved,
//! typed, self-contained; see [`program`]) and diagnostics.
//!
//! Pipeline position: `guard-syntax` (parse) → **`guard-sema`** (check) → `guard-compile`
//! (lower to the engine IR).
//!
//! Invariants:
//! - Checking never fails: [`check`] always returns a program and every problem found, each
//!   diagnostic tagged with its file (all but GT028 when no file has a module). Its input is
//!   `guard_syntax::parse`'s output: syntax errors were already reported there, and a program
//!   is only fit to compile when neither parsing nor checking reported an error.
//! - Checking is deterministic: diagnostics come sorted by file and position, whatever the
//!   hash order of the tables.
//! - Only real nesting recurses (parentheses, `not`, quantifiers, bounded by the parser);
//!   `and`/`or` chains of any length are walked in loops.
//! - The schema is read from [`guard_model::schema`], never copied: a field not in
//!   `schema::FIELDS` does not exist for policies.
//! - Globs and regexes are compiled here, so evaluation never meets an invalid pattern.
//! - No I/O and no printing.

pub mod codes;
pub mod program;

mod check;
mod graph;
mod lint;

pub use check::{check, check_sources};
pub use program::Program;
