//! Stage 1: text → tokens with byte spans, built from nom recognisers.
//!
//! Invariants:
//! - Lexing never fails and is linear in the input: every byte is consumed exactly once, and
//!   bad characters become one [`TokenKind::Unknown`] token per run plus one diagnostic.
//! - Every word is an [`TokenKind::Ident`]; which words are keywords is decided by the parser
//!   in context ([`KEYWORDS`] lists them all, [`RESERVED`] those never usable as names).
//! - `//` comments are trivia kept beside the tokens (the formatter must not lose them);
//!   `///` doc comments are tokens, because they belong to the item that follows.
//! - String contents are not decoded here: templates need their raw text to map
//!   interpolations back to file offsets, so decoding happens in the parser.

use guard_diagnostics::{Diagnostic, Span};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::satisfy;
use nom::combinator::{recognize, value};
use nom::sequence::pair;
use nom::{IResult, Parser};

use crate::ast::Comment;
use crate::codes;

/// Every keyword of the language, reserved or contextual. `lang/guard.ebnf` quotes exactly
/// these (checked by `tests/grammar.rs`).
pub const KEYWORDS: &[&str] = &[
    "module",
    "use",
    "as",
    "default",
    "set",
    "def",
    "rule",
    "on",
    "when",
    "unless",
    "message",
    "help",
    "control",
    "mode",
    "audit",
    "enforce",
    "test",
    "allow",
    "warn",
    "require_approval",
    "deny",
    "by",
    "and",
    "or",
    "not",
    "in",
    "matches",
    "any",
    "all",
    "true",
    "false",
    "sql",
    "shell",
    "dialect",
    "groups",
    "labels",
];

/// Keywords that can never be a name, a variable or the first segment of a path. The other
/// keywords are contextual: `set` and `use` are also statement kinds (`stmt.kind == set`),
/// `sql` an action kind, `groups` a field (`actor.groups`).
pub const RESERVED: &[&str] = &[
    "module", "default", "def", "rule", "test", "when", "unless", "message", "help", "control",
    "mode", "and", "or", "not", "in", "matches", "any", "all", "true", "false",
];

/// Punctuation tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punct {
    Dot,
    Comma,
    Colon,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    EqEq,
    NotEq,
    Le,
    Ge,
    Lt,
    Gt,
    Eq,
    FatArrow,
}

impl Punct {
    pub fn text(self) -> &'static str {
        match self {
            Punct::Dot => ".",
            Punct::Comma => ",",
            Punct::Colon => ":",
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::LBrace => "{",
            Punct::RBrace => "}",
            Punct::LBracket => "[",
            Punct::RBracket => "]",
            Punct::EqEq => "==",
            Punct::NotEq => "!=",
            Punct::Le => "<=",
            Punct::Ge => ">=",
            Punct::Lt => "<",
            Punct::Gt => ">",
            Punct::Eq => "=",
            Punct::FatArrow => "=>",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    Int,
    /// `"…"`; the span covers both quotes (or runs to the end of the line when unterminated).
    Str {
        terminated: bool,
    },
    /// `re"…"`.
    Regex {
        terminated: bool,
    },
    /// `/// text`.
    Doc,
    Punct(Punct),
    /// Characters that start no token; the lexer already reported them.
    Unknown,
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// The first token on its line: recovery resynchronises on such tokens.
    pub line_start: bool,
}

/// The result of lexing: tokens (ending with one `Eof`), comments, and lexical diagnostics.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
}

fn ident(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

fn int(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_digit()).parse(i)
}

fn punct(i: &str) -> IResult<&str, Punct> {
    alt((
        value(Punct::FatArrow, tag("=>")),
        value(Punct::EqEq, tag("==")),
        value(Punct::NotEq, tag("!=")),
        value(Punct::Le, tag("<=")),
        value(Punct::Ge, tag(">=")),
        value(Punct::Lt, tag("<")),
        value(Punct::Gt, tag(">")),
        value(Punct::Eq, tag("=")),
        value(Punct::Dot, tag(".")),
        value(Punct::Comma, tag(",")),
        value(Punct::Colon, tag(":")),
        value(Punct::LParen, tag("(")),
        value(Punct::RParen, tag(")")),
        value(Punct::LBrace, tag("{")),
        value(Punct::RBrace, tag("}")),
        value(Punct::LBracket, tag("[")),
        value(Punct::RBracket, tag("]")),
    ))
    .parse(i)
}

/// Length of a string body after its opening quote, and whether a closing quote ended it.
/// A string never spans lines: an unterminated one stops before the newline, so the rest of
/// the file still lexes as it was meant.
fn string_body(rest: &str) -> (usize, bool) {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => return (i + 1, true),
            b'\n' => return (i, false),
            b'\\' => match bytes.get(i + 1) {
                Some(b'\n') | None => return (i + 1, false),
                // Continuation bytes of a multi-byte character are never `"`, `\` or `\n`,
                // so stepping over one byte of it is harmless.
                Some(_) => i += 2,
            },
            _ => i += 1,
        }
    }
    (bytes.len(), false)
}

/// Whether a token of any kind starts at `rest`.
fn starts_token(rest: &str) -> bool {
    let Some(c) = rest.chars().next() else {
        return false;
    };
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '"'
        || c.is_ascii_whitespace()
        || rest.starts_with("//")
        || punct(rest).is_ok()
}

struct Lexer<'s> {
    source: &'s str,
    pos: usize,
    end: usize,
    line_start: bool,
    out: Lexed,
}

/// Lexes `source[range]`; spans are offsets into the whole `source`. `at_line_start` says
/// whether the first token counts as starting a line (false inside interpolations).
pub fn lex(source: &str, range: std::ops::Range<usize>, at_line_start: bool) -> Lexed {
    let mut lexer = Lexer {
        source,
        pos: range.start,
        end: range.end,
        line_start: at_line_start,
        out: Lexed::default(),
    };
    lexer.run();
    lexer.out
}

impl<'s> Lexer<'s> {
    fn rest(&self) -> &'s str {
        self.source.get(self.pos..self.end).unwrap_or("")
    }

    fn push(&mut self, kind: TokenKind, len: usize) {
        let span = Span::from_range(self.pos..self.pos + len);
        self.out.tokens.push(Token {
            kind,
            span,
            line_start: self.line_start,
        });
        self.line_start = false;
        self.pos += len;
    }

    fn run(&mut self) {
        loop {
            self.skip_whitespace();
            let rest = self.rest();
            if rest.is_empty() {
                break;
            }
            if rest.starts_with("//") {
                self.comment();
            } else if let Some(body) = rest.strip_prefix('"') {
                let (len, terminated) = string_body(body);
                self.check_terminated(terminated, self.pos, len + 1);
                self.push(TokenKind::Str { terminated }, len + 1);
            } else if let Some(body) = rest.strip_prefix("re\"") {
                let (len, terminated) = string_body(body);
                self.check_terminated(terminated, self.pos + 2, len + 3);
                self.push(TokenKind::Regex { terminated }, len + 3);
            } else if let Ok((after, word)) = ident(rest) {
                debug_assert!(after.len() < rest.len());
                self.push(TokenKind::Ident, word.len());
            } else if let Ok((_, digits)) = int(rest) {
                self.push(TokenKind::Int, digits.len());
            } else if let Ok((after, p)) = punct(rest) {
                let len = rest.len() - after.len();
                self.push(TokenKind::Punct(p), len);
            } else {
                self.unknown();
            }
        }
        let eof = Span::from_range(self.end..self.end);
        self.out.tokens.push(Token {
            kind: TokenKind::Eof,
            span: eof,
            line_start: true,
        });
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        let skipped = &rest[..rest.len() - trimmed.len()];
        if skipped.contains('\n') {
            self.line_start = true;
        }
        self.pos += skipped.len();
    }

    fn check_terminated(&mut self, terminated: bool, quote: usize, len: usize) {
        if terminated {
            return;
        }
        self.out.diagnostics.push(
            Diagnostic::error(
                codes::UNTERMINATED_STRING,
                Span::from_range(quote..quote + 1),
                "unterminated string",
            )
            .with_label("this string is never closed")
            .with_secondary(
                Span::from_range(self.pos + len..self.pos + len),
                "the line ends here",
            )
            .with_help("close the string with `\"` on the same line"),
        );
    }

    fn comment(&mut self) {
        let rest = self.rest();
        let line_len = rest.find('\n').unwrap_or(rest.len());
        let line = &rest[..line_len];
        let is_doc = line.starts_with("///") && !line.starts_with("////");
        if is_doc {
            let text_len = line.trim_end().len();
            self.push(TokenKind::Doc, text_len);
            self.pos += line_len - text_len;
            return;
        }
        let text = line.trim_end().to_string();
        let span = Span::from_range(self.pos..self.pos + text.len());
        let after = &rest[line_len..];
        let blank_after = after
            .strip_prefix('\n')
            .map(|next| next.trim_start_matches([' ', '\t', '\r']).starts_with('\n'))
            .unwrap_or(false);
        self.out.comments.push(Comment {
            text,
            span,
            own_line: self.line_start,
            blank_after,
        });
        self.pos += line_len;
    }

    fn unknown(&mut self) {
        let rest = self.rest();
        let len = if rest.starts_with('\'') {
            // A single-quoted string: one error for the whole of it.
            let line = rest.find('\n').unwrap_or(rest.len());
            rest[1..line].find('\'').map_or(line, |close| close + 2)
        } else {
            let mut len = rest.chars().next().map_or(1, char::len_utf8);
            while let Some(more) = rest.get(len..) {
                match more.chars().next() {
                    Some(c) if !starts_token(more) => len += c.len_utf8(),
                    _ => break,
                }
            }
            len
        };
        let text = &rest[..len];
        let help = match text {
            "&&" | "&" => Some("use `and`"),
            "||" | "|" => Some("use `or`"),
            "!" => Some("use `not`"),
            "\\" => Some(
                "escapes work only inside strings; an interpolation `{…}` cannot hold a string",
            ),
            _ if text.starts_with('\'') => Some("strings use double quotes: `\"…\"`"),
            _ => None,
        };
        let shown = crate::parser::shorten(text);
        let message = if text.chars().count() == 1 {
            format!("unexpected character `{shown}`")
        } else {
            format!("unexpected characters `{shown}`")
        };
        let mut d = Diagnostic::error(
            codes::UNEXPECTED_CHARACTER,
            Span::from_range(self.pos..self.pos + len),
            message,
        )
        .with_label("not part of the guard language");
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.out.diagnostics.push(d);
        self.push(TokenKind::Unknown, len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        lex(src, 0..src.len(), true)
            .tokens
            .iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn lexes_words_numbers_strings_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"a.b == "x\"y" 42 re"^a" => !="#),
            vec![
                Ident,
                Punct(super::Punct::Dot),
                Ident,
                Punct(super::Punct::EqEq),
                Str { terminated: true },
                Int,
                Regex { terminated: true },
                Punct(super::Punct::FatArrow),
                Punct(super::Punct::NotEq),
                Eof
            ]
        );
    }

    #[test]
    fn comments_are_trivia_and_doc_comments_are_tokens() {
        let src = "/// doc\nrule // trailing\n// own\n\nx";
        let lexed = lex(src, 0..src.len(), true);
        let kinds: Vec<TokenKind> = lexed.tokens.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TokenKind::Doc,
                TokenKind::Ident,
                TokenKind::Ident,
                TokenKind::Eof
            ]
        );
        let comments: Vec<(&str, bool, bool)> = lexed
            .comments
            .iter()
            .map(|c| (c.text.as_str(), c.own_line, c.blank_after))
            .collect();
        assert_eq!(
            comments,
            vec![("// trailing", false, false), ("// own", true, true)]
        );
    }

    #[test]
    fn unterminated_string_stops_at_the_newline() {
        let src = "\"abc\nrule";
        let lexed = lex(src, 0..src.len(), true);
        assert_eq!(lexed.tokens[0].span, Span::new(0, 4));
        assert_eq!(lexed.tokens[1].kind, TokenKind::Ident);
        assert!(lexed.tokens[1].line_start);
        assert_eq!(lexed.diagnostics.len(), 1);
        assert_eq!(lexed.diagnostics[0].primary.span, Span::new(0, 1));
    }

    #[test]
    fn runs_of_unknown_characters_are_one_token() {
        let src = "a && b $$ c";
        let lexed = lex(src, 0..src.len(), true);
        assert_eq!(lexed.diagnostics.len(), 2);
        assert_eq!(lexed.diagnostics[0].help.as_deref(), Some("use `and`"));
    }

    #[test]
    fn reserved_words_are_keywords() {
        for word in RESERVED {
            assert!(KEYWORDS.contains(word), "{word}");
        }
    }
}
