//! Rendering diagnostics for people (miette, with source snippets) and for programs (JSON).

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::{Diagnostic, Severity, SourceMap};

/// Byte offset → 1-based line and column (in characters).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// 1-based `(line, column)` of a byte offset; offsets past the end clamp to it.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

struct MietteAdapter<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
}

impl fmt::Debug for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for MietteAdapter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for MietteAdapter<'_> {}

fn clamp_span(span: crate::Span, len: usize) -> SourceSpan {
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).clamp(start, len);
    SourceSpan::new(start.into(), end - start)
}

impl miette::Diagnostic for MietteAdapter<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{}({})",
            self.diagnostic.code.name, self.diagnostic.code.id
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let len = self.source.inner().len();
        let d = self.diagnostic;
        let label = |msg: &str| {
            if msg.is_empty() {
                None
            } else {
                Some(msg.to_string())
            }
        };
        let primary = LabeledSpan::new_primary_with_span(
            label(&d.primary.message),
            clamp_span(d.primary.span, len),
        );
        let secondary = d
            .secondary
            .iter()
            .map(move |l| LabeledSpan::new_with_span(label(&l.message), clamp_span(l.span, len)));
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

/// Renders a diagnostic with its source snippet. `color` selects ANSI colours; `width` the
/// wrap width (snapshots use a fixed one).
pub fn render_human(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    color: bool,
    width: usize,
) -> String {
    let (name, text) = diagnostic
        .file
        .and_then(|f| sources.get(f))
        .map_or((String::from("<input>"), String::new()), |f| {
            (f.name.clone(), f.text.clone())
        });
    let adapter = MietteAdapter {
        diagnostic,
        source: NamedSource::new(name, text),
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &adapter).is_err() {
        out = format!("{}: {}\n", diagnostic.code.name, diagnostic.message);
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: Severity,
    file: Option<&'a str>,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    range: [u32; 2],
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    range: [u32; 2],
    message: &'a str,
}

/// One JSON object for a diagnostic (`guard check --format json` prints one a line).
pub fn to_json(diagnostic: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let file = diagnostic.file.and_then(|f| sources.get(f));
    let index = LineIndex::new(file.map_or("", |f| f.text.as_str()));
    let (line, column) = index.line_col(diagnostic.primary.span.start);
    let (end_line, end_column) = index.line_col(diagnostic.primary.span.end);
    let json = JsonDiagnostic {
        code: diagnostic.code.id,
        name: diagnostic.code.name,
        severity: diagnostic.severity,
        file: file.map(|f| f.name.as_str()),
        line,
        column,
        end_line,
        end_column,
        range: [diagnostic.primary.span.start, diagnostic.primary.span.end],
        message: &diagnostic.message,
        help: diagnostic.help.as_deref(),
        labels: diagnostic
            .secondary
            .iter()
            .map(|l| JsonLabel {
                range: [l.span.start, l.span.end],
                message: &l.message,
            })
            .collect(),
    };
    serde_json::to_value(json).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, Span};

    const CODE: Code = Code {
        id: "GX000",
        name: "guard::test::example",
        summary: "an example",
    };

    #[test]
    fn line_col_counts_characters() {
        let index = LineIndex::new("ab\ncdé f\n");
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(3), (2, 1));
        assert_eq!(index.line_col(7), (2, 4));
        assert_eq!(index.line_col(999), (3, 1));
    }

    #[test]
    fn renders_snippet_and_json() {
        let mut sources = SourceMap::new();
        let file = sources.add("a.guard", "rule x: deny on sql\n  when stmt.knd == drop\n");
        let d = Diagnostic::error(CODE, Span::new(27, 35), "unknown field `stmt.knd`")
            .with_label("not a field of `stmt`")
            .with_help("did you mean `stmt.kind`?")
            .in_file(file);
        let text = render_human(&d, &sources, false, 80);
        assert!(text.contains("a.guard:2:8"), "{text}");
        assert!(text.contains("did you mean"), "{text}");
        let json = to_json(&d, &sources);
        assert_eq!(json["line"], 2);
        assert_eq!(json["column"], 8);
        assert_eq!(json["code"], "GX000");
    }
}
