//! Word expansion as far as it can be known statically: brace expansion, quote removal,
//! escapes (`\rm`, `$'\x72m'`), tilde, variables assigned earlier in the same command (with
//! word splitting of unquoted expansions, so `rm${IFS}-rf` is two fields), and the texts of
//! command substitutions (returned for the caller to analyse as commands of their own).
//!
//! Invariant: whatever cannot be known (an unset or non-constant variable, a substitution's
//! output, arithmetic) marks the field `dynamic` and keeps its raw text, so callers can fail
//! closed instead of guessing.

use std::collections::HashMap;

use brush_parser::ParserOptions;
use brush_parser::word::{
    BraceExpressionMember, BraceExpressionOrText, Parameter, ParameterExpr, WordPiece,
    WordPieceWithSource,
};

/// A shell variable as far as guard knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Var {
    Const(String),
    /// Assigned, but to something only known at run time (or differently on different paths).
    Unknown,
}

pub(crate) type Vars = HashMap<String, Var>;

/// One field of an expanded word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Field {
    pub text: String,
    pub dynamic: bool,
}

/// The result of expanding one word.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expansion {
    pub fields: Vec<Field>,
    /// Texts of `$(…)` and backquoted substitutions, in order, to be analysed as commands.
    pub substitutions: Vec<String>,
}

/// Brace expansion never yields more fields than this; beyond it the word is kept raw.
const MAX_BRACE_FIELDS: usize = 64;
/// Nested parameter defaults (`${a:-${b:-$(x)}}`) are searched for substitutions this deep.
const MAX_DEFAULT_DEPTH: usize = 8;

pub(crate) fn options() -> ParserOptions {
    ParserOptions::default()
}

/// Whether a raw word has nothing to expand (no quote, escape, `$`, backquote, `~` or brace):
/// it is then one field, its own text, with no substitutions.
pub(crate) fn is_literal(raw: &str) -> bool {
    // A table lookup per byte instead of seven comparisons (this runs on every word).
    !raw.bytes().any(|b| EXPANDS[usize::from(b)])
}

/// The bytes that make a word more than its literal text (see [`is_literal`]).
const EXPANDING_BYTES: &[u8] = b"\\'\"$`~{";

/// `EXPANDS[b]`: whether `b` is one of [`EXPANDING_BYTES`].
const EXPANDS: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < EXPANDING_BYTES.len() {
        table[EXPANDING_BYTES[i] as usize] = true;
        i += 1;
    }
    table
};

/// The one field of a word that needs only quote removal, without brush's word parser:
/// unquoted text with `\x` escapes, `'…'`, and `"…"` holding no `$`, backquote or backslash.
/// `None` for anything else — an expansion, substitution, tilde, brace, parenthesis (extended
/// globs), an escaped newline or an open quote — which takes the full path ([`expand`]).
///
/// Invariant: where it answers, the answer is what the full path gives (the property test
/// `fast_path_agrees_with_the_word_parser` compares them).
pub(crate) fn unquote_simple(raw: &str) -> Option<String> {
    // Every character that matters is ASCII, so runs between them are copied whole.
    let special = |b: u8| {
        matches!(
            b,
            b'\'' | b'"' | b'\\' | b'$' | b'`' | b'~' | b'{' | b'}' | b'(' | b')'
        )
    };
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes.get(i..)?.iter().position(|&b| special(b));
        let end = run.map_or(bytes.len(), |n| i + n);
        out.push_str(raw.get(i..end)?);
        let Some(&quote) = bytes.get(end) else {
            break;
        };
        let body = end + 1;
        match quote {
            b'\'' => {
                let close = body + bytes.get(body..)?.iter().position(|&b| b == b'\'')?;
                out.push_str(raw.get(body..close)?);
                i = close + 1;
            }
            b'"' => {
                let stop = body
                    + bytes
                        .get(body..)?
                        .iter()
                        .position(|&b| matches!(b, b'"' | b'$' | b'`' | b'\\'))?;
                if bytes.get(stop) != Some(&b'"') {
                    return None;
                }
                out.push_str(raw.get(body..stop)?);
                i = stop + 1;
            }
            b'\\' => {
                let escaped = raw.get(body..)?.chars().next()?;
                if escaped == '\n' {
                    return None;
                }
                out.push(escaped);
                i = body + escaped.len_utf8();
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Expands a raw word. `split`: whether unquoted expansions undergo field splitting (false
/// for assignment values and here-strings).
pub(crate) fn expand(raw: &str, vars: &Vars, split: bool) -> Expansion {
    if is_literal(raw) {
        return Expansion {
            fields: vec![Field {
                text: raw.to_string(),
                dynamic: false,
            }],
            substitutions: vec![],
        };
    }
    if let Some(text) = unquote_simple(raw) {
        return Expansion {
            fields: vec![Field {
                text,
                dynamic: false,
            }],
            substitutions: vec![],
        };
    }
    expand_parsed(raw, vars, split)
}

/// [`expand`] through brush's word parser (and brace expansion), for any word.
fn expand_parsed(raw: &str, vars: &Vars, split: bool) -> Expansion {
    let mut out = Expansion::default();
    for alternative in brace_expand(raw) {
        let mut builder = Builder {
            vars,
            split,
            fields: vec![],
            current: Field::default(),
            started: false,
        };
        match brush_parser::word::parse(&alternative, &options()) {
            Ok(pieces) => builder.pieces(&alternative, &pieces, false, &mut out.substitutions),
            Err(_) => {
                builder.current = Field {
                    text: alternative.clone(),
                    dynamic: true,
                };
                builder.started = true;
            }
        }
        out.fields.extend(builder.finish());
    }
    if !split && out.fields.len() > 1 {
        let dynamic = out.fields.iter().any(|f| f.dynamic);
        let text = out
            .fields
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        out.fields = vec![Field { text, dynamic }];
    }
    out
}

/// Expands a here-document body (quotes are literal; `$…` and substitutions expand when the
/// delimiter was unquoted).
pub(crate) fn expand_heredoc(body: &str, expand_vars: bool, vars: &Vars) -> Expansion {
    if !expand_vars || !body.bytes().any(|b| matches!(b, b'\\' | b'$' | b'`')) {
        return Expansion {
            fields: vec![Field {
                text: body.to_string(),
                dynamic: false,
            }],
            substitutions: vec![],
        };
    }
    let mut out = Expansion::default();
    let mut builder = Builder {
        vars,
        split: false,
        fields: vec![],
        current: Field::default(),
        started: true,
    };
    match brush_parser::word::parse_heredoc(body, &options()) {
        Ok(pieces) => builder.pieces(body, &pieces, true, &mut out.substitutions),
        Err(_) => {
            builder.current = Field {
                text: body.to_string(),
                dynamic: true,
            }
        }
    }
    out.fields = builder.finish();
    out
}

struct Builder<'v> {
    vars: &'v Vars,
    split: bool,
    fields: Vec<Field>,
    current: Field,
    /// The current field exists even if empty (`""`, `''`).
    started: bool,
}

impl Builder<'_> {
    fn push(&mut self, text: &str, dynamic: bool) {
        self.current.text.push_str(text);
        self.current.dynamic |= dynamic;
        self.started = true;
    }

    fn break_field(&mut self) {
        if self.started || !self.current.text.is_empty() {
            self.fields.push(std::mem::take(&mut self.current));
        }
        self.started = false;
    }

    fn finish(mut self) -> Vec<Field> {
        self.break_field();
        self.fields
    }

    /// Appends a value that undergoes field splitting when unquoted.
    fn push_expanded(&mut self, value: &str, quoted: bool) {
        if quoted || !self.split {
            self.push(value, false);
            return;
        }
        let ifs = match self.vars.get("IFS") {
            Some(Var::Const(ifs)) => ifs.clone(),
            _ => " \t\n".to_string(),
        };
        let mut first = true;
        for part in value.split(|c: char| ifs.contains(c)) {
            if !first {
                self.break_field();
            }
            first = false;
            if !part.is_empty() {
                self.push(part, false);
            }
        }
    }

    fn pieces(
        &mut self,
        raw: &str,
        pieces: &[WordPieceWithSource],
        quoted: bool,
        subs: &mut Vec<String>,
    ) {
        for p in pieces {
            let source = raw.get(p.start_index..p.end_index).unwrap_or("");
            match &p.piece {
                WordPiece::Text(t) => self.push(t, false),
                WordPiece::SingleQuotedText(t) => self.push(t, false),
                WordPiece::AnsiCQuotedText(t) => self.push(&decode_ansi_c(t), false),
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    self.started = true;
                    self.pieces(raw, inner, true, subs);
                }
                // `~`, `~user`, `~+`: kept as written (paths compare against them as text).
                WordPiece::TildeExpansion(_) => self.push(source, false),
                WordPiece::ParameterExpansion(expr) => self.parameter(expr, source, quoted, subs),
                WordPiece::CommandSubstitution(text) => {
                    subs.push(text.clone());
                    self.push(source, true);
                }
                WordPiece::BackquotedCommandSubstitution(text) => {
                    subs.push(unescape_backquoted(text));
                    self.push(source, true);
                }
                WordPiece::EscapeSequence(s) => {
                    let escaped = s.strip_prefix('\\').unwrap_or(s);
                    if escaped == "\n" {
                        continue;
                    }
                    let special = matches!(escaped, "$" | "`" | "\"" | "\\");
                    if quoted && !special {
                        self.push(s, false);
                    } else {
                        self.push(escaped, false);
                    }
                }
                WordPiece::ArithmeticExpression(e) => {
                    collect_substitutions(&e.value, subs, 0);
                    self.push(source, true);
                }
            }
        }
    }

    fn parameter(
        &mut self,
        expr: &ParameterExpr,
        source: &str,
        quoted: bool,
        subs: &mut Vec<String>,
    ) {
        match expr {
            ParameterExpr::Parameter {
                parameter: Parameter::Named(name),
                indirect: false,
            } => match self.vars.get(name.as_str()) {
                Some(Var::Const(value)) => {
                    let value = value.clone();
                    self.push_expanded(&value, quoted);
                }
                None if name == "IFS" => self.push_expanded(" \t\n", quoted),
                _ => self.push(source, true),
            },
            ParameterExpr::UseDefaultValues {
                default_value: Some(text),
                ..
            }
            | ParameterExpr::AssignDefaultValues {
                default_value: Some(text),
                ..
            }
            | ParameterExpr::UseAlternativeValue {
                alternative_value: Some(text),
                ..
            }
            | ParameterExpr::IndicateErrorIfNullOrUnset {
                error_message: Some(text),
                ..
            } => {
                collect_substitutions(text, subs, 0);
                self.push(source, true);
            }
            _ => self.push(source, true),
        }
    }
}

/// Finds command substitutions inside text that brush keeps raw (parameter defaults,
/// arithmetic).
fn collect_substitutions(text: &str, subs: &mut Vec<String>, depth: usize) {
    if depth > MAX_DEFAULT_DEPTH || !(text.contains('$') || text.contains('`')) {
        return;
    }
    let Ok(pieces) = brush_parser::word::parse(text, &options()) else {
        return;
    };
    collect_from_pieces(&pieces, subs, depth);
}

fn collect_from_pieces(pieces: &[WordPieceWithSource], subs: &mut Vec<String>, depth: usize) {
    for p in pieces {
        match &p.piece {
            WordPiece::CommandSubstitution(t) => subs.push(t.clone()),
            WordPiece::BackquotedCommandSubstitution(t) => subs.push(unescape_backquoted(t)),
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                collect_from_pieces(inner, subs, depth);
            }
            WordPiece::ParameterExpansion(
                ParameterExpr::UseDefaultValues {
                    default_value: Some(t),
                    ..
                }
                | ParameterExpr::AssignDefaultValues {
                    default_value: Some(t),
                    ..
                }
                | ParameterExpr::UseAlternativeValue {
                    alternative_value: Some(t),
                    ..
                },
            ) => collect_substitutions(t, subs, depth + 1),
            WordPiece::ArithmeticExpression(e) => collect_substitutions(&e.value, subs, depth + 1),
            _ => {}
        }
    }
}

/// Inside backquotes, `\\`, `` \` `` and `\$` stand for the character itself.
fn unescape_backquoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && matches!(next, '\\' | '`' | '$')
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// Expands unquoted brace expressions (`{rm,-rf,/}`, `file{,.bak}`); a word without any, or
/// one that would expand past the limit, is returned as is.
fn brace_expand(raw: &str) -> Vec<String> {
    if !(raw.contains('{') && raw.contains('}') && (raw.contains(',') || raw.contains(".."))) {
        return vec![raw.to_string()];
    }
    match brush_parser::word::parse_brace_expansions(raw, &options()) {
        Ok(Some(parts))
            if parts
                .iter()
                .any(|p| matches!(p, BraceExpressionOrText::Expr(_))) =>
        {
            let expanded = expand_sequence(&parts);
            match expanded {
                Some(list) if !list.is_empty() => list,
                _ => vec![raw.to_string()],
            }
        }
        _ => vec![raw.to_string()],
    }
}

fn expand_sequence(parts: &[BraceExpressionOrText]) -> Option<Vec<String>> {
    let mut acc = vec![String::new()];
    for part in parts {
        let options: Vec<String> = match part {
            BraceExpressionOrText::Text(t) => vec![t.clone()],
            BraceExpressionOrText::Expr(members) => {
                let mut all = vec![];
                for m in members {
                    match m {
                        BraceExpressionMember::Child(children) => {
                            all.extend(expand_sequence(children)?)
                        }
                        BraceExpressionMember::NumberSequence {
                            start,
                            end,
                            increment,
                        } => {
                            let step = increment.checked_abs().filter(|s| *s > 0).unwrap_or(1);
                            let count = (end - start).checked_abs()? / step + 1;
                            if usize::try_from(count).ok()? > MAX_BRACE_FIELDS {
                                return None;
                            }
                            let mut v = *start;
                            for _ in 0..count {
                                all.push(v.to_string());
                                v = if end >= start { v + step } else { v - step };
                            }
                        }
                        BraceExpressionMember::CharSequence { start, end, .. } => {
                            let (a, b) = (u32::from(*start), u32::from(*end));
                            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                            if usize::try_from(hi - lo).ok()? >= MAX_BRACE_FIELDS {
                                return None;
                            }
                            all.extend((lo..=hi).filter_map(char::from_u32).map(String::from));
                        }
                    }
                }
                all
            }
        };
        if acc.len().saturating_mul(options.len()) > MAX_BRACE_FIELDS {
            return None;
        }
        acc = acc
            .iter()
            .flat_map(|a| options.iter().map(move |o| format!("{a}{o}")))
            .collect();
    }
    Some(acc)
}

/// Decodes the body of `$'…'`.
pub(crate) fn decode_ansi_c(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            out.push('\\');
            break;
        };
        i += 1;
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'e' | 'E' => Some('\x1b'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' | '\'' | '"' | '?' => Some(e),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (radix, max) = match e {
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='7' => {
                i -= 1;
                (8, 3)
            }
            'c' => {
                if let Some(&ctl) = chars.get(i) {
                    i += 1;
                    out.push(char::from_u32(u32::from(ctl) & 0x1f).unwrap_or(ctl));
                }
                continue;
            }
            other => {
                out.push('\\');
                out.push(other);
                continue;
            }
        };
        let mut value = 0u32;
        let mut n = 0;
        while n < max {
            match chars.get(i).and_then(|d| d.to_digit(radix)) {
                Some(d) => {
                    value = value.saturating_mul(radix).saturating_add(d);
                    i += 1;
                    n += 1;
                }
                None => break,
            }
        }
        if n == 0 {
            out.push('\\');
            out.push(e);
        } else {
            out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_literal_table_agrees_with_the_byte_test() {
        let reference = |raw: &str| {
            !raw.bytes()
                .any(|b| matches!(b, b'\\' | b'\'' | b'"' | b'$' | b'`' | b'~' | b'{'))
        };
        for b in 0..=255u8 {
            let raw = String::from_utf8_lossy(&[b'a', b, b'z']).into_owned();
            assert_eq!(is_literal(&raw), reference(&raw), "{b}");
        }
        for raw in [
            "rm",
            "-rf",
            "/var/lib/app",
            "$HOME",
            "a'b'",
            "~x",
            "{a,b}",
            "\\rm",
            "é",
        ] {
            assert_eq!(is_literal(raw), reference(raw), "{raw}");
        }
    }

    fn texts(raw: &str, vars: &Vars) -> Vec<String> {
        expand(raw, vars, true)
            .fields
            .into_iter()
            .map(|f| f.text)
            .collect()
    }

    #[test]
    fn quoting_and_escapes_resolve() {
        let vars = Vars::new();
        assert_eq!(texts("r''m", &vars), ["rm"]);
        assert_eq!(texts("\\rm", &vars), ["rm"]);
        assert_eq!(texts("\"r\"m", &vars), ["rm"]);
        assert_eq!(texts("$'\\x72m'", &vars), ["rm"]);
        assert_eq!(texts("$'\\162m'", &vars), ["rm"]);
        assert_eq!(texts("\"a\\\"b\\d\"", &vars), ["a\"b\\d"]);
    }

    #[test]
    fn ifs_and_variables_split_fields() {
        let mut vars = Vars::new();
        assert_eq!(texts("rm${IFS}-rf${IFS}/", &vars), ["rm", "-rf", "/"]);
        vars.insert("a".into(), Var::Const("rm -rf".into()));
        assert_eq!(texts("$a", &vars), ["rm", "-rf"]);
        assert_eq!(texts("\"$a\"", &vars), ["rm -rf"]);
        let unknown = expand("$b", &vars, true);
        assert!(unknown.fields.iter().all(|f| f.dynamic));
    }

    #[test]
    fn fast_path_takes_common_quoted_words() {
        for (raw, text) in [
            ("'*.gz'", "*.gz"),
            ("\\;", ";"),
            (
                "'cd /srv && tar czf backup.tgz data'",
                "cd /srv && tar czf backup.tgz data",
            ),
            ("\"drop table x\"", "drop table x"),
            ("a'b'\"c\"d", "abcd"),
            ("''", ""),
            ("\"it's\"", "it's"),
            ("'a\\b'", "a\\b"),
        ] {
            assert_eq!(unquote_simple(raw).as_deref(), Some(text), "{raw:?}");
            let slow = expand_parsed(raw, &Vars::new(), true);
            assert_eq!(
                slow.fields,
                [Field {
                    text: text.into(),
                    dynamic: false
                }],
                "{raw:?}"
            );
        }
        for raw in [
            "$x",
            "\"$x\"",
            "~/x",
            "{a,b}",
            "`id`",
            "'open",
            "\"a\\\"b\"",
            "@(a|b)",
            "a\\",
        ] {
            assert_eq!(unquote_simple(raw), None, "{raw:?}");
        }
    }

    /// Pieces words are made of, special characters weighted up.
    fn word_piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        proptest::prop_oneof![
            proptest::string::string_regex("[a-z0-9./_=:,-]{1,3}")
                .unwrap_or_else(|_| unreachable!()),
            proptest::sample::select(vec![
                "'", "\"", "\\", "$", "`", "~", "{", "}", "(", ")", "*", "?", "[", "]", "!", "@",
                "+", "#", "%", "^", "&", "|", ";", "<", ">", " ", "\t", "\n", "é", "'a b'",
                "\"a b\"", "\\;", "\\ ", "\\'", "\\\"", "$x", "${x}", "$(a)", "{a,b}", "$'a'",
                "$\"a\"", "\\\n", "''", "\"\"",
            ])
            .prop_map(str::to_string),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4000))]
        #[test]
        fn fast_path_agrees_with_the_word_parser(
            pieces in proptest::collection::vec(word_piece(), 1..8),
            split in proptest::bool::ANY,
        ) {
            let raw: String = pieces.concat();
            let mut vars = Vars::new();
            vars.insert("x".into(), Var::Const("a b".into()));
            if let Some(text) = unquote_simple(&raw) {
                let slow = expand_parsed(&raw, &vars, split);
                proptest::prop_assert_eq!(
                    &slow.fields,
                    &vec![Field { text, dynamic: false }],
                    "{:?}", raw
                );
                proptest::prop_assert!(slow.substitutions.is_empty());
            }
        }
    }

    /// Pieces of words the fast path must take: plain text, single-quoted text, double-quoted
    /// text without expansions, and escapes outside quotes.
    fn simple_piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        let re = |r: &str| proptest::string::string_regex(r).unwrap_or_else(|_| unreachable!());
        proptest::prop_oneof![
            re("[a-zA-Z0-9./_=:,*?@+%^#-]{1,4}"),
            re("[^']{0,4}").prop_map(|t| format!("'{t}'")),
            re("[^\"$`\\\\]{0,4}").prop_map(|t| format!("\"{t}\"")),
            re("[^\\n]").prop_map(|t| format!("\\{t}")),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        #[test]
        fn fast_path_takes_and_agrees_on_simple_words(
            pieces in proptest::collection::vec(simple_piece(), 1..6),
        ) {
            let raw: String = pieces.concat();
            let fast = unquote_simple(&raw);
            proptest::prop_assert!(fast.is_some(), "{:?}", raw);
            let slow = expand_parsed(&raw, &Vars::new(), true);
            proptest::prop_assert_eq!(
                slow.fields,
                fast.map(|text| Field { text, dynamic: false }).into_iter().collect::<Vec<_>>(),
                "{:?}", raw
            );
        }
    }

    #[test]
    fn braces_expand_and_substitutions_are_returned() {
        let vars = Vars::new();
        assert_eq!(texts("{rm,-rf,/}", &vars), ["rm", "-rf", "/"]);
        assert_eq!(texts("f{,.bak}", &vars), ["f", "f.bak"]);
        assert_eq!(texts("'{a,b}'", &vars), ["{a,b}"]);
        let e = expand("$(echo rm)`id`", &vars, true);
        assert_eq!(e.substitutions, ["echo rm", "id"]);
        assert!(e.fields.iter().all(|f| f.dynamic));
    }
}
