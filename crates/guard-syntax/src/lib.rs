//! The guard policy language's syntax: lexer, parser, AST and formatter.
//!
//! Stages: [`lexer`] (text → tokens with spans, nom recognisers) → `parser` (tokens →
//! [`ast::File`], recursive descent recovering at item, clause and test-case boundaries) →
//! [`mod@format`] (AST → canonical text, comments put back).
//!
//! Invariants:
//! - Parsing never fails: [`parse`] always returns a tree and the diagnostics found; bad
//!   source yields `ExprKind::Error` nodes and skipped items, never a panic or `Err`.
//! - Parsing is linear in the input; nesting is bounded ([`MAX_DEPTH`]): deeper input is a
//!   diagnostic, not a stack overflow.
//! - No name resolution or types here: that is `guard-sema`. This crate knows nothing of the
//!   schema: action kinds, fields and enum variants are plain names to it.
//! - The formatter never reformats a file with syntax errors ([`format_source`] returns
//!   `None`), keeps every `//` comment, and is idempotent; `parse ∘ format` gives the same
//!   tree modulo layout ([`ast::File::erase_layout`]).

pub mod ast;
pub mod codes;
pub mod format;
pub mod lexer;
mod parser;

use guard_diagnostics::{Diagnostic, Span};

pub use format::{format, format_source, format_with_width};
pub use lexer::{KEYWORDS, RESERVED};

/// Deepest expression nesting the parser accepts.
pub const MAX_DEPTH: usize = 128;

/// Most diagnostics reported for one file; the rest are summarised by one `GS026`.
pub const MAX_DIAGNOSTICS: usize = 100;

/// Parses one file. Never fails: returns what was understood and every problem found, in
/// source order.
pub fn parse(source: &str) -> (ast::File, Vec<Diagnostic>) {
    let lexed = lexer::lex(source, 0..source.len(), true);
    let mut parser = parser::Parser::new(source, lexed.tokens);
    let mut file = parser.parse_file();
    file.comments = lexed.comments;
    let mut diagnostics = lexed.diagnostics;
    diagnostics.append(&mut parser.diags);
    diagnostics.sort_by_key(|d| d.primary.span.start);
    if diagnostics.len() > MAX_DIAGNOSTICS {
        let rest = diagnostics.split_off(MAX_DIAGNOSTICS);
        let at = rest.first().map_or(Span::default(), |d| d.primary.span);
        diagnostics.push(
            Diagnostic::error(
                codes::TOO_MANY_ERRORS,
                at,
                format!("{} more syntax errors not shown", rest.len()),
            )
            .with_label("further errors start here")
            .with_help("fix the errors above first; is this really a guard policy file?"),
        );
    }
    (file, diagnostics)
}
