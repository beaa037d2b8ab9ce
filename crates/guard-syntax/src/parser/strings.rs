//! String, regex and template literals: decoding escapes and parsing `{expr}` interpolations.
//!
//! - Strings: `\"`, `\\`, `\n`, `\t`, `\{`, `\}`; anything else after `\` is reported.
//! - Regex literals are raw: `\"` is a quote, every other backslash pair is kept as written,
//!   so `re"\d+"` means what it says in Rust regex syntax.
//! - Templates (`message`, `help`) are strings whose `{expr}` parts are expressions; `{{` and
//!   `}}` are literal braces. An interpolation ends at the `}` matching its `{` (a set literal
//!   inside nests) and its expression is lexed in place, so its spans point into the file.

use guard_diagnostics::{Diagnostic, Span};

use super::Parser;
use crate::ast::{StringLit, Template, TemplatePart};
use crate::codes;
use crate::lexer::{Token, TokenKind, lex};

/// Offset of the `}` that closes an interpolation whose `{` precedes `rest`: braces inside
/// (a set literal) nest.
fn matching_brace(rest: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in rest.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The byte range of a string token's contents, between its quotes.
fn body(t: Token) -> (usize, usize) {
    let (open, terminated) = match t.kind {
        TokenKind::Regex { terminated } => (3, terminated),
        TokenKind::Str { terminated } => (1, terminated),
        _ => (0, true),
    };
    let start = t.span.start as usize + open;
    let end = if terminated {
        (t.span.end as usize).saturating_sub(1)
    } else {
        t.span.end as usize
    };
    (start, end.max(start))
}

impl Parser<'_> {
    /// A string token at the cursor, decoded.
    pub(crate) fn parse_string(&mut self, what: &str) -> Option<StringLit> {
        let t = self.peek();
        if !matches!(t.kind, TokenKind::Str { .. }) {
            self.expected(codes::EXPECTED_TOKEN, what);
            return None;
        }
        self.bump();
        Some(StringLit {
            value: self.decode_string(t),
            span: t.span,
        })
    }

    /// Decodes one escape at `at` (the backslash); returns the character and the escape's
    /// length, or reports it.
    fn escape(&mut self, at: usize) -> (Option<char>, usize) {
        let next = self.src.get(at + 1..).and_then(|s| s.chars().next());
        let Some(c) = next else { return (None, 1) };
        let len = 1 + c.len_utf8();
        let decoded = match c {
            '"' => '"',
            '\\' => '\\',
            'n' => '\n',
            't' => '\t',
            '{' => '{',
            '}' => '}',
            _ => {
                let text: String = ['\\', c].iter().collect();
                self.report(
                    Diagnostic::error(
                        codes::INVALID_ESCAPE,
                        Span::from_range(at..at + len),
                        format!("unknown escape `{text}`"),
                    )
                    .with_label("not an escape")
                    .with_help("escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\{` and `\\}`; write `\\\\` for a backslash"),
                );
                return (None, len);
            }
        };
        (Some(decoded), len)
    }

    pub(crate) fn decode_string(&mut self, t: Token) -> String {
        let (start, end) = body(t);
        let mut out = String::new();
        let mut i = start;
        while i < end {
            let Some(c) = self.src.get(i..).and_then(|s| s.chars().next()) else {
                break;
            };
            if c == '\\' {
                let (decoded, len) = self.escape(i);
                out.extend(decoded);
                i += len;
            } else {
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    }

    pub(crate) fn decode_regex(&self, t: Token) -> String {
        let (start, end) = body(t);
        let raw = self.src.get(start..end).unwrap_or("");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('"') => out.push('"'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        out
    }

    /// A `message` or `help` string at the cursor.
    pub(crate) fn parse_template(&mut self) -> Option<Template> {
        let t = self.peek();
        if !matches!(t.kind, TokenKind::Str { .. }) {
            self.expected(codes::EXPECTED_TOKEN, "a string");
            return None;
        }
        self.bump();
        let (start, end) = body(t);
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = start;
        while i < end {
            let Some(c) = self.src.get(i..).and_then(|s| s.chars().next()) else {
                break;
            };
            let next = self
                .src
                .as_bytes()
                .get(i + 1)
                .copied()
                .filter(|_| i + 1 < end);
            match c {
                '\\' => {
                    let (decoded, len) = self.escape(i);
                    text.extend(decoded);
                    i += len;
                }
                '{' if next == Some(b'{') => {
                    text.push('{');
                    i += 2;
                }
                '}' if next == Some(b'}') => {
                    text.push('}');
                    i += 2;
                }
                '}' => {
                    self.report(
                        Diagnostic::error(
                            codes::UNBALANCED_TEMPLATE_BRACE,
                            Span::from_range(i..i + 1),
                            "unmatched `}` in text",
                        )
                        .with_label("no `{` opens this")
                        .with_help("write `}}` for a literal brace"),
                    );
                    i += 1;
                }
                '{' => {
                    let close = self.src.get(i + 1..end).and_then(matching_brace);
                    let Some(close) = close.map(|c| i + 1 + c) else {
                        self.report(
                            Diagnostic::error(
                                codes::UNBALANCED_TEMPLATE_BRACE,
                                Span::from_range(i..i + 1),
                                "unclosed `{` in text",
                            )
                            .with_label("this interpolation is never closed")
                            .with_help("close it with `}`, or write `{{` for a literal brace"),
                        );
                        break;
                    };
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    if let Some(e) = self.interpolation(i, close) {
                        parts.push(TemplatePart::Expr(e));
                    }
                    i = close + 1;
                }
                _ => {
                    text.push(c);
                    i += c.len_utf8();
                }
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Some(Template {
            parts,
            span: t.span,
        })
    }

    /// The expression between `{` at `open` and `}` at `close`.
    fn interpolation(&mut self, open: usize, close: usize) -> Option<crate::ast::Expr> {
        let inner = self.src.get(open + 1..close).unwrap_or("");
        if inner.trim().is_empty() {
            self.report(
                Diagnostic::error(
                    codes::EMPTY_INTERPOLATION,
                    Span::from_range(open..close + 1),
                    "empty interpolation",
                )
                .with_label("no expression between the braces")
                .with_help("put an expression inside, e.g. `{stmt.tables}`, or write `{{}}` for literal braces"),
            );
            return None;
        }
        let lexed = lex(self.src, open + 1..close, false);
        let mut sub = Parser::new(self.src, lexed.tokens);
        let e = sub.parse_expr();
        let found = sub.peek();
        if !sub.at_eof() && found.kind != TokenKind::Unknown {
            sub.report(
                Diagnostic::error(
                    codes::EXPECTED_TOKEN,
                    found.span,
                    format!(
                        "expected `}}` after the interpolated expression, found {}",
                        sub.describe(found)
                    ),
                )
                .with_label("unexpected here")
                .with_help("an interpolation holds one expression"),
            );
        }
        self.diags.extend(lexed.diagnostics);
        self.diags.extend(sub.diags);
        Some(e)
    }
}
