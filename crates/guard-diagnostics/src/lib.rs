//! Spans, source files and the one [`Diagnostic`] type every guard stage reports with.
//!
//! Invariants:
//! - Spans are byte offsets (`u32`) into one file; line and column are computed only when
//!   rendering.
//! - Every diagnostic has a stable [`Code`]: an id (`GS001`) that is never reused and a
//!   kebab-case name. Each crate that reports diagnostics owns its codes and lists them in a
//!   `CODES` constant; `lang/diagnostics.md` is checked against the union.
//! - Library crates build diagnostics; only the CLI renders them (`render_human`, `to_json`).

mod render;

use serde::Serialize;

pub use render::{LineIndex, render_human, to_json};

/// A byte range `[start, end)` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }

    /// A span from `usize` offsets, saturating at `u32::MAX` (files are capped far below).
    pub fn from_range(range: std::ops::Range<usize>) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(range.start),
            end: clamp(range.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A stable diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    /// `GS001`: layer prefix and number; never reused.
    pub id: &'static str,
    /// `guard::syntax::expected-expression`.
    pub name: &'static str,
    /// One sentence for `lang/diagnostics.md`.
    pub summary: &'static str,
}

/// Declares a crate's diagnostic codes as constants plus `CODES`, the list `lang/diagnostics.md`
/// is generated from. One macro for every layer, so a code is declared the same way everywhere:
///
/// ```
/// guard_diagnostics::codes! {
///     /// Optional longer docs.
///     EXAMPLE = "GX001", "guard::example::name", "a one-line summary";
/// }
/// assert_eq!(CODES[0].id, "GX001");
/// ```
#[macro_export]
macro_rules! codes {
    ($($(#[$meta:meta])* $konst:ident = $id:literal, $name:literal, $summary:literal;)+) => {
        $(
            #[doc = $summary]
            $(#[$meta])*
            pub const $konst: $crate::Code = $crate::Code { id: $id, name: $name, summary: $summary };
        )+
        /// Every code of this crate, in id order.
        pub const CODES: &[$crate::Code] = &[$($konst),+];
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A labelled span inside the diagnostic's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// Lowercase, no final period, user input in backticks.
    pub message: String,
    /// The exact span of the problem.
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// The file it is in; `None` for diagnostics about no single file.
    pub file: Option<FileId>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, span, message)
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, span, message)
    }

    fn new(code: Code, severity: Severity, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
            file: None,
        }
    }

    /// Text under the primary span.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn in_file(mut self, file: FileId) -> Diagnostic {
        self.file = Some(file);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

/// One source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown to users (a path relative to where guard ran).
    pub name: String,
    pub text: String,
}

/// The files of one run, so diagnostics can name files by id.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

/// The candidate closest to `name` by edit distance, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_names() {
        assert_eq!(
            did_you_mean("tabels", ["tables", "kind", "object"]),
            Some("tables")
        );
        assert_eq!(did_you_mean("zzz", ["tables", "kind"]), None);
        assert_eq!(did_you_mean("kind", ["kind"]), None);
    }
}
