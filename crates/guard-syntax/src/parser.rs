//! Stage 2: tokens → [`ast::File`], by recursive descent with error recovery.
//!
//! Naming (after Gleam's parser): `parse_x` parses an `x` that must be there and reports when
//! it is not; `maybe_x` returns `None` without reporting when no `x` starts here;
//! `skip_to_x` is recovery.
//!
//! Invariants:
//! - Never fails, never panics, and always makes progress: every loop either consumes a token
//!   or leaves through a boundary (end of file, an item keyword at the start of a line, a doc
//!   comment, a clause keyword inside a rule, a case start inside a test).
//! - Recovery points: items (a line starting with an item keyword or a doc comment), clauses
//!   (a clause keyword), test cases (a line starting with `sql`, `shell` or `}`). An item whose
//!   header is broken is dropped from the tree, but its clauses are still checked.
//! - At most one diagnostic per source position: an error usually causes a second one at the
//!   same token, which adds nothing.
//! - Expression nesting is bounded by [`crate::MAX_DEPTH`]; deeper input is skipped, reported
//!   once, and becomes an `ExprKind::Error` node.

mod expr;
mod strings;

use guard_diagnostics::{Code, Diagnostic, Span, did_you_mean};

use crate::ast::{
    Channel, DefDecl, DefaultDecl, Effect, File, Ident, Item, Mode, ModuleDecl, Path, RuleDecl,
    SetDecl, StringLit, TestCase, TestDecl, UseDecl,
};
use crate::codes;
use crate::lexer::{Punct, RESERVED, Token, TokenKind};

/// Words that start an item.
pub(crate) const ITEM_KEYWORDS: &[&str] =
    &["module", "use", "default", "set", "def", "rule", "test"];
/// Words that start a rule clause.
pub(crate) const CLAUSE_KEYWORDS: &[&str] =
    &["when", "unless", "message", "help", "control", "mode"];
/// Words that may follow a test case's command.
const CASE_OPTIONS: &[&str] = &["on", "dialect", "as", "groups", "labels"];
const EFFECTS: &[&str] = &["deny", "require_approval", "warn", "allow"];

/// User text shown in a message: at most 40 characters.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

fn effect_from(word: &str) -> Option<Effect> {
    match word {
        "allow" => Some(Effect::Allow),
        "warn" => Some(Effect::Warn),
        "require_approval" => Some(Effect::RequireApproval),
        "deny" => Some(Effect::Deny),
        _ => None,
    }
}

/// `did you mean` over `candidates`, skipping absurdly long input (edit distance is
/// quadratic, and a 4 MiB identifier must not make it so).
fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if word.len() > 64 {
        return None;
    }
    did_you_mean(word, candidates.iter().copied())
}

pub(crate) struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    /// End of the last consumed token.
    last_end: u32,
    pub(crate) diags: Vec<Diagnostic>,
    last_error_at: Option<u32>,
    depth: usize,
    /// Set once the current expression went past `MAX_DEPTH`: what follows is noise.
    bailed: bool,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str, toks: Vec<Token>) -> Parser<'s> {
        let last_end = toks.first().map_or(0, |t| t.span.start);
        Parser {
            src,
            toks,
            pos: 0,
            last_end,
            diags: Vec::new(),
            last_error_at: None,
            depth: 0,
            bailed: false,
        }
    }

    // ---- token access -------------------------------------------------------------------

    fn eof_token(&self) -> Token {
        let end = Span::from_range(self.src.len()..self.src.len());
        self.toks.last().copied().unwrap_or(Token {
            kind: TokenKind::Eof,
            span: end,
            line_start: true,
        })
    }

    fn nth(&self, n: usize) -> Token {
        self.toks
            .get(self.pos + n)
            .copied()
            .unwrap_or_else(|| self.eof_token())
    }

    fn peek(&self) -> Token {
        self.nth(0)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
            self.last_end = t.span.end;
        }
        t
    }

    fn text(&self, t: Token) -> &'s str {
        self.src.get(t.span.range()).unwrap_or("")
    }

    fn is_word(&self, t: Token, word: &str) -> bool {
        t.kind == TokenKind::Ident && self.text(t) == word
    }

    fn at_word(&self, word: &str) -> bool {
        self.is_word(self.peek(), word)
    }

    fn eat_word(&mut self, word: &str) -> Option<Span> {
        self.at_word(word).then(|| self.bump().span)
    }

    fn at_punct(&self, p: Punct) -> bool {
        self.peek().kind == TokenKind::Punct(p)
    }

    fn eat_punct(&mut self, p: Punct) -> Option<Span> {
        self.at_punct(p).then(|| self.bump().span)
    }

    fn at_eof(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    fn word_of(&self, t: Token) -> Option<&'s str> {
        (t.kind == TokenKind::Ident).then(|| self.text(t))
    }

    fn is_reserved(word: &str) -> bool {
        RESERVED.contains(&word)
    }

    /// Whether the token at `n` starts an item. `set` and `use` are also statement kinds, so
    /// they count only when followed by what their items need.
    fn item_keyword_at(&self, n: usize) -> bool {
        let t = self.nth(n);
        let Some(word) = self.word_of(t) else {
            return false;
        };
        match word {
            "module" | "default" | "def" | "rule" | "test" => true,
            "set" => {
                self.nth(n + 1).kind == TokenKind::Ident
                    && self.nth(n + 2).kind == TokenKind::Punct(Punct::Eq)
            }
            "use" => {
                // `stmt.kind in [\n use in kinds]` must not start an item.
                let next = self.nth(n + 1);
                next.kind == TokenKind::Ident
                    && !next.line_start
                    && !Self::is_reserved(self.text(next))
            }
            _ => false,
        }
    }

    fn at_item_start(&self) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Doc || (t.line_start && self.item_keyword_at(0))
    }

    fn at_clause_keyword(&self) -> bool {
        self.word_of(self.peek())
            .is_some_and(|w| CLAUSE_KEYWORDS.contains(&w))
    }

    /// A token that no expression can continue through.
    fn at_boundary(&self) -> bool {
        self.at_eof() || self.at_item_start() || self.at_clause_keyword()
    }

    fn at_column_zero(&self, t: Token) -> bool {
        let start = t.span.start as usize;
        start == 0 || self.src.as_bytes().get(start - 1) == Some(&b'\n')
    }

    // ---- diagnostics --------------------------------------------------------------------

    fn report(&mut self, d: Diagnostic) {
        let at = d.primary.span.start;
        if self.last_error_at == Some(at) {
            return;
        }
        self.last_error_at = Some(at);
        self.diags.push(d);
    }

    fn describe(&self, t: Token) -> String {
        match t.kind {
            TokenKind::Eof => "end of file".to_string(),
            TokenKind::Str { .. } => "a string".to_string(),
            TokenKind::Regex { .. } => "a regex literal".to_string(),
            TokenKind::Doc => "a doc comment".to_string(),
            TokenKind::Ident | TokenKind::Int | TokenKind::Punct(_) | TokenKind::Unknown => {
                format!("`{}`", shorten(self.text(t)))
            }
        }
    }

    /// Where to point for "expected X": the token found, unless it is on a later line (then
    /// just after the last token, where the missing thing belongs).
    fn expected_span(&self, found: Token) -> Span {
        if found.line_start && self.pos > 0 {
            Span::new(self.last_end, self.last_end)
        } else {
            found.span
        }
    }

    /// Reports that `what` was expected at the current token.
    fn expected(&mut self, code: Code, what: &str) {
        let found = self.peek();
        if found.kind == TokenKind::Unknown || self.bailed {
            // The lexer already reported these characters; or the expression went too deep
            // and what follows it is noise.
            return;
        }
        let span = self.expected_span(found);
        let d = Diagnostic::error(
            code,
            span,
            format!("expected {what}, found {}", self.describe(found)),
        )
        .with_label(format!("expected {what}"));
        self.report(d);
    }

    // ---- recovery -----------------------------------------------------------------------

    fn skip_to_item(&mut self) {
        while !self.at_eof() && !self.at_item_start() {
            self.bump();
        }
    }

    fn skip_to_clause(&mut self) {
        while !self.at_boundary() {
            self.bump();
        }
    }

    fn at_case_boundary(&self) -> bool {
        let t = self.peek();
        self.at_eof()
            || self.at_item_start()
            || t.kind == TokenKind::Punct(Punct::RBrace)
            || (t.line_start && (self.is_word(t, "sql") || self.is_word(t, "shell")))
    }

    fn skip_to_case(&mut self) {
        while !self.at_case_boundary() {
            self.bump();
        }
    }

    // ---- file and items -----------------------------------------------------------------

    pub(crate) fn parse_file(&mut self) -> File {
        let mut file = File::default();
        let first = self.peek();
        let mut seen_item = false;
        loop {
            self.bailed = false;
            let (doc, doc_span) = self.maybe_docs();
            let t = self.peek();
            if t.kind == TokenKind::Eof {
                if let Some(span) = doc_span {
                    self.dangling_doc(span, "it is at the end of the file");
                }
                break;
            }
            let word = self.word_of(t).unwrap_or("");
            match word {
                "module" => {
                    if let Some(m) = self.parse_module(doc) {
                        self.place_module(&mut file, m, seen_item);
                    }
                }
                "use" | "default" => {
                    if let Some(span) = doc_span {
                        self.dangling_doc(span, &format!("`{word}` takes no doc comment"));
                    }
                    let item = if word == "use" {
                        self.parse_use()
                    } else {
                        self.parse_default()
                    };
                    file.items.extend(item);
                    seen_item = true;
                }
                "set" | "def" | "rule" | "test" => {
                    let item = match word {
                        "set" => self.parse_set(doc),
                        "def" => self.parse_def(doc),
                        "rule" => self.parse_rule(doc),
                        _ => self.parse_test(doc),
                    };
                    file.items.extend(item);
                    seen_item = true;
                }
                _ => {
                    self.unexpected_item(t);
                    self.bump();
                    self.skip_to_item();
                }
            }
        }
        if file.module.is_none() {
            let span = if first.kind == TokenKind::Eof {
                Span::new(0, 0)
            } else {
                first.span
            };
            self.report(
                Diagnostic::error(codes::MISSING_MODULE, span, "missing `module` declaration")
                    .with_label("expected `module <name>` before this")
                    .with_help(
                        "start the file with its module name, e.g. `module sql.destructive`",
                    ),
            );
        }
        file
    }

    fn place_module(&mut self, file: &mut File, m: ModuleDecl, seen_item: bool) {
        if let Some(first) = &file.module {
            let first_span = first.span;
            self.report(
                Diagnostic::error(
                    codes::MISPLACED_MODULE,
                    m.span,
                    "a file declares one module",
                )
                .with_label("second `module` declaration")
                .with_secondary(first_span, "the module is declared here")
                .with_help("split the file: one module a file"),
            );
        } else {
            if seen_item {
                self.report(
                    Diagnostic::error(codes::MISPLACED_MODULE, m.span, "`module` must come first")
                        .with_label("declared after other items")
                        .with_help("move `module` to the top of the file"),
                );
            }
            file.module = Some(m);
        }
    }

    fn unexpected_item(&mut self, t: Token) {
        if t.kind == TokenKind::Unknown {
            return;
        }
        let found = self.describe(t);
        let mut d = Diagnostic::error(
            codes::EXPECTED_ITEM,
            t.span,
            format!("expected an item, found {found}"),
        )
        .with_label("not the start of an item");
        let word = self.word_of(t).unwrap_or("");
        d = match suggest(word, ITEM_KEYWORDS) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None if CLAUSE_KEYWORDS.contains(&word) => d.with_help(format!(
                "`{word}` is a rule clause: it belongs inside a `rule`"
            )),
            None => d.with_help(
                "items start with `module`, `use`, `default`, `set`, `def`, `rule` or `test`",
            ),
        };
        self.report(d);
    }

    fn dangling_doc(&mut self, span: Span, why: &str) {
        self.report(
            Diagnostic::error(
                codes::DANGLING_DOC_COMMENT,
                span,
                "doc comment documents nothing",
            )
            .with_label(why.to_string())
            .with_help(
                "doc comments `///` go before `module`, `set`, `def`, `rule` or `test`; \
                     use `//` for a plain comment",
            ),
        );
    }

    /// Consecutive `///` lines: their text (after `///` and one space) and their span.
    fn maybe_docs(&mut self) -> (Vec<String>, Option<Span>) {
        let mut doc = Vec::new();
        let mut span: Option<Span> = None;
        while self.peek().kind == TokenKind::Doc {
            let t = self.bump();
            let text = self.text(t).strip_prefix("///").unwrap_or("");
            doc.push(text.strip_prefix(' ').unwrap_or(text).to_string());
            span = Some(span.map_or(t.span, |s| s.cover(t.span)));
        }
        (doc, span)
    }

    /// After an item that fits on one line: anything else on that line is an error.
    fn end_of_item(&mut self, what: &str) {
        let t = self.peek();
        if t.kind == TokenKind::Eof || t.line_start || t.kind == TokenKind::Doc {
            return;
        }
        self.expected(codes::EXPECTED_TOKEN, &format!("the end of the {what}"));
        self.skip_to_item();
    }

    fn span_from(&self, start: Span) -> Span {
        Span::new(start.start, self.last_end.max(start.end))
    }

    fn parse_word(&mut self, what: &str) -> Option<Ident> {
        let t = self.peek();
        if t.kind != TokenKind::Ident {
            self.expected(codes::EXPECTED_TOKEN, what);
            return None;
        }
        self.bump();
        Some(Ident {
            name: self.text(t).to_string(),
            span: t.span,
        })
    }

    /// A declared name: a word that is not reserved (reported, but kept, when it is).
    fn parse_name(&mut self, what: &str) -> Option<Ident> {
        let ident = self.parse_word(what)?;
        if Self::is_reserved(&ident.name) {
            self.report(
                Diagnostic::error(
                    codes::RESERVED_WORD,
                    ident.span,
                    format!("`{}` is a reserved keyword", ident.name),
                )
                .with_label(format!("cannot be used as {what}"))
                .with_help(format!("choose another name, e.g. `{}_`", ident.name)),
            );
        }
        Some(ident)
    }

    /// `a.b.c` where each segment is a name (module paths).
    fn parse_module_path(&mut self, what: &str) -> Option<Path> {
        let first = self.parse_name(what)?;
        let mut segments = vec![first];
        while self.at_punct(Punct::Dot) {
            self.bump();
            segments.push(self.parse_name("a name after `.`")?);
        }
        let span = segments
            .iter()
            .fold(segments[0].span, |acc, s| acc.cover(s.span));
        Some(Path { segments, span })
    }

    fn parse_module(&mut self, doc: Vec<String>) -> Option<ModuleDecl> {
        let kw = self.bump();
        let Some(path) = self.parse_module_path("a module name") else {
            self.skip_to_item();
            return None;
        };
        let span = self.span_from(kw.span);
        self.end_of_item("module declaration");
        Some(ModuleDecl { doc, path, span })
    }

    fn parse_use(&mut self) -> Option<Item> {
        let kw = self.bump();
        let Some(path) = self.parse_module_path("a module name") else {
            self.skip_to_item();
            return None;
        };
        let mut alias = None;
        if self.eat_word("as").is_some() {
            match self.parse_name("an alias") {
                Some(a) => alias = Some(a),
                None => {
                    self.skip_to_item();
                    return None;
                }
            }
        }
        let span = self.span_from(kw.span);
        self.end_of_item("`use` declaration");
        Some(Item::Use(UseDecl { path, alias, span }))
    }

    fn parse_default(&mut self) -> Option<Item> {
        let kw = self.bump();
        let t = self.peek();
        let Some(word) = self.word_of(t) else {
            self.expected(codes::EXPECTED_TOKEN, "`allow` or `deny`");
            self.skip_to_item();
            return None;
        };
        self.bump();
        let effect = match word {
            "allow" => Effect::Allow,
            "deny" => Effect::Deny,
            _ => {
                let mut d = Diagnostic::error(
                    codes::INVALID_DEFAULT,
                    t.span,
                    format!(
                        "the default decision must be `allow` or `deny`, found `{}`",
                        shorten(word)
                    ),
                )
                .with_label("not a default decision");
                d = match suggest(word, &["allow", "deny"]) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None if effect_from(word).is_some() => d.with_help(format!(
                        "write `default allow` or `default deny`; `{word}` is for rules to decide"
                    )),
                    None => d.with_help("write `default allow` or `default deny`"),
                };
                self.report(d);
                self.skip_to_item();
                return None;
            }
        };
        let span = self.span_from(kw.span);
        self.end_of_item("`default` declaration");
        Some(Item::Default(DefaultDecl {
            effect,
            effect_span: t.span,
            span,
        }))
    }

    fn parse_set(&mut self, doc: Vec<String>) -> Option<Item> {
        let kw = self.bump();
        let Some(name) = self.parse_name("a set name") else {
            self.skip_to_item();
            return None;
        };
        if self.eat_punct(Punct::Eq).is_none() {
            self.expected(codes::EXPECTED_TOKEN, "`=`");
            self.skip_to_item();
            return None;
        }
        let value = self.parse_expr();
        let span = self.span_from(kw.span);
        self.end_of_item("`set` declaration");
        Some(Item::Set(SetDecl {
            doc,
            name,
            value,
            span,
        }))
    }

    fn parse_def(&mut self, doc: Vec<String>) -> Option<Item> {
        let kw = self.bump();
        let Some(name) = self.parse_name("a def name") else {
            self.skip_to_item();
            return None;
        };
        let mut on = None;
        if self.eat_word("on").is_some() {
            let Some(kind) = self.parse_word("an action kind") else {
                self.skip_to_item();
                return None;
            };
            on = Some(kind);
        }
        if self.eat_punct(Punct::Eq).is_none() {
            let what = if on.is_some() { "`=`" } else { "`=` or `on`" };
            self.expected(codes::EXPECTED_TOKEN, what);
            self.skip_to_item();
            return None;
        }
        let body = self.parse_expr();
        let span = self.span_from(kw.span);
        self.end_of_item("`def` declaration");
        Some(Item::Def(DefDecl {
            doc,
            name,
            on,
            body,
            span,
        }))
    }

    fn parse_effect(&mut self) -> Option<(Effect, Span)> {
        let t = self.peek();
        let Some(word) = self.word_of(t) else {
            self.expected(
                codes::EXPECTED_TOKEN,
                "an effect (`deny`, `require_approval`, `warn` or `allow`)",
            );
            return None;
        };
        if let Some(effect) = effect_from(word) {
            self.bump();
            return Some((effect, t.span));
        }
        if t.line_start {
            self.expected(
                codes::EXPECTED_TOKEN,
                "an effect (`deny`, `require_approval`, `warn` or `allow`)",
            );
            return None;
        }
        self.bump();
        let d = Diagnostic::error(
            codes::UNKNOWN_EFFECT,
            t.span,
            format!("unknown effect `{}`", shorten(word)),
        )
        .with_label("not an effect");
        let d = match suggest(word, EFFECTS) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("effects are `deny`, `require_approval`, `warn` and `allow`"),
        };
        self.report(d);
        None
    }

    /// `NAME: EFFECT on KIND`; `None` (reported) when any part is missing.
    fn parse_rule_header(&mut self) -> Option<(Ident, Effect, Span, Ident)> {
        let name = self.parse_name("a rule name")?;
        if self.eat_punct(Punct::Colon).is_none() {
            self.expected(codes::EXPECTED_TOKEN, "`:` after the rule name");
            return None;
        }
        let (effect, effect_span) = self.parse_effect()?;
        if self.eat_word("on").is_none() {
            self.expected(codes::EXPECTED_TOKEN, "`on` and an action kind");
            return None;
        }
        let on = self.parse_word("an action kind (`sql`, `exec`, …, or `request`)")?;
        Some((name, effect, effect_span, on))
    }

    fn parse_rule(&mut self, doc: Vec<String>) -> Option<Item> {
        let kw = self.bump();
        let header = self.parse_rule_header();
        if header.is_none() {
            self.skip_to_clause();
        } else {
            self.end_of_line("the rule header", false);
        }
        let mut rule = RuleDecl {
            doc,
            name: Ident {
                name: String::new(),
                span: kw.span,
            },
            effect: Effect::Deny,
            effect_span: kw.span,
            on: Ident {
                name: String::new(),
                span: kw.span,
            },
            when: Vec::new(),
            unless: Vec::new(),
            message: None,
            help: None,
            controls: Vec::new(),
            mode: None,
            span: kw.span,
        };
        self.parse_clauses(&mut rule);
        let (name, effect, effect_span, on) = header?;
        rule.name = name;
        rule.effect = effect;
        rule.effect_span = effect_span;
        rule.on = on;
        rule.span = self.span_from(kw.span);
        Some(Item::Rule(rule))
    }

    fn duplicate_clause(&mut self, keyword: &str, first: Span, second: Span) {
        self.report(
            Diagnostic::error(
                codes::DUPLICATE_CLAUSE,
                second,
                format!("a rule has at most one `{keyword}` clause"),
            )
            .with_label(format!("second `{keyword}`"))
            .with_secondary(first, format!("first `{keyword}` here"))
            .with_help(format!("remove one of the `{keyword}` clauses")),
        );
    }

    fn parse_clauses(&mut self, rule: &mut RuleDecl) {
        loop {
            self.bailed = false;
            let t = self.peek();
            if t.kind == TokenKind::Doc && self.doc_before_clause() {
                continue;
            }
            if t.kind == TokenKind::Eof || self.at_item_start() {
                return;
            }
            let word = self.word_of(t).unwrap_or("");
            match word {
                "when" | "unless" => {
                    self.bump();
                    let e = self.parse_expr();
                    self.end_of_clause(true);
                    if word == "when" {
                        rule.when.push(e)
                    } else {
                        rule.unless.push(e)
                    }
                }
                "message" | "help" => {
                    self.bump();
                    if let Some(tpl) = self.parse_template() {
                        let slot = if word == "message" {
                            &mut rule.message
                        } else {
                            &mut rule.help
                        };
                        if let Some(first) = slot {
                            let first = first.span;
                            self.duplicate_clause(word, first, tpl.span);
                        } else {
                            *slot = Some(tpl);
                        }
                    }
                    self.end_of_clause(false);
                }
                "control" => {
                    self.bump();
                    if let Some(s) = self.parse_string("a control id string (`\"SOC2 CC8.1\"`)") {
                        rule.controls.push(s);
                    }
                    self.end_of_clause(false);
                }
                "mode" => {
                    self.bump();
                    if let Some(mode) = self.parse_mode() {
                        if let Some((_, first)) = rule.mode {
                            self.duplicate_clause("mode", first, mode.1);
                        } else {
                            rule.mode = Some(mode);
                        }
                    }
                    self.end_of_clause(false);
                }
                _ => {
                    self.unknown_clause(t);
                    self.bump();
                    self.skip_to_clause();
                }
            }
        }
    }

    fn unknown_clause(&mut self, t: Token) {
        if t.kind == TokenKind::Unknown {
            return;
        }
        let word = self.word_of(t);
        // A misspelt item keyword in column 0 is a new item, not a clause.
        if let Some(w) = word
            && self.at_column_zero(t)
            && suggest(w, ITEM_KEYWORDS).is_some()
        {
            self.unexpected_item(t);
            return;
        }
        let d = match word {
            Some(w) if t.line_start => {
                let d = Diagnostic::error(
                    codes::UNKNOWN_CLAUSE,
                    t.span,
                    format!("unknown clause `{}`", shorten(w)),
                )
                .with_label("not a rule clause");
                match suggest(w, CLAUSE_KEYWORDS) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "rule clauses are `when`, `unless`, `message`, `help`, `control` and `mode`",
                    ),
                }
            }
            _ => Diagnostic::error(
                codes::EXPECTED_TOKEN,
                t.span,
                format!("expected a rule clause, found {}", self.describe(t)),
            )
            .with_label("expected `when`, `unless`, `message`, `help`, `control` or `mode`"),
        };
        self.report(d);
    }

    /// A `///` run followed by a clause keyword inside a rule: reported and skipped, so the
    /// rule goes on (rather than ending there and the clause reading as a stray item).
    fn doc_before_clause(&mut self) -> bool {
        let mut n = 0;
        while self.nth(n).kind == TokenKind::Doc {
            n += 1;
        }
        let after = self.nth(n);
        if !self
            .word_of(after)
            .is_some_and(|w| CLAUSE_KEYWORDS.contains(&w))
        {
            return false;
        }
        let (_, span) = self.maybe_docs();
        if let Some(span) = span {
            self.dangling_doc(span, "doc comments document items, not clauses");
        }
        true
    }

    /// After a clause: the next clause, item or line must follow.
    fn end_of_clause(&mut self, after_expression: bool) {
        self.end_of_line("the clause", after_expression);
    }

    fn end_of_line(&mut self, what: &str, after_expression: bool) {
        let t = self.peek();
        if t.line_start || t.kind == TokenKind::Doc || self.at_clause_keyword() {
            return;
        }
        if t.kind != TokenKind::Unknown {
            let mut d = Diagnostic::error(
                codes::EXPECTED_TOKEN,
                t.span,
                format!("expected the end of {what}, found {}", self.describe(t)),
            )
            .with_label("unexpected here");
            if after_expression {
                d = d.with_help(
                    "join conditions with `and` or `or`; start each clause on its own line",
                );
            }
            self.report(d);
        }
        self.skip_to_clause();
    }

    fn parse_mode(&mut self) -> Option<(Mode, Span)> {
        let t = self.peek();
        let Some(word) = self.word_of(t).filter(|_| !t.line_start) else {
            self.expected(codes::EXPECTED_TOKEN, "`audit` or `enforce`");
            return None;
        };
        self.bump();
        match word {
            "audit" => Some((Mode::Audit, t.span)),
            "enforce" => Some((Mode::Enforce, t.span)),
            _ => {
                let d = Diagnostic::error(
                    codes::UNKNOWN_MODE,
                    t.span,
                    format!("unknown mode `{}`", shorten(word)),
                )
                .with_label("not a mode");
                let d = match suggest(word, &["audit", "enforce"]) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => {
                        d.with_help("a rule runs in `mode enforce` (the default) or `mode audit`")
                    }
                };
                self.report(d);
                None
            }
        }
    }

    // ---- tests --------------------------------------------------------------------------

    fn parse_test(&mut self, doc: Vec<String>) -> Option<Item> {
        let kw = self.bump();
        let Some(name) = self.parse_name("a test name") else {
            self.skip_to_item();
            return None;
        };
        let Some(open) = self.eat_punct(Punct::LBrace) else {
            self.expected(codes::EXPECTED_TOKEN, "`{` to open the test cases");
            self.skip_to_item();
            return None;
        };
        let mut cases = Vec::new();
        loop {
            if self.eat_punct(Punct::RBrace).is_some() {
                break;
            }
            if self.at_eof() || self.at_item_start() {
                self.unclosed(open, "test block");
                break;
            }
            if let Some(case) = self.parse_case() {
                cases.push(case);
            }
        }
        let span = self.span_from(kw.span);
        self.end_of_item("test block");
        Some(Item::Test(TestDecl {
            doc,
            name,
            cases,
            span,
        }))
    }

    pub(crate) fn unclosed(&mut self, open: Span, what: &str) {
        if self.bailed {
            return;
        }
        let found = self.peek();
        let at = self.expected_span(found);
        let open_text = self.src.get(open.range()).unwrap_or("(");
        let close = match open_text {
            "(" => ")",
            "[" => "]",
            _ => "}",
        };
        self.report(
            Diagnostic::error(
                codes::UNCLOSED_DELIMITER,
                open,
                format!("unclosed `{open_text}` of this {what}"),
            )
            .with_label("opened here")
            .with_secondary(
                at,
                format!("expected `{close}` before {}", self.describe(found)),
            )
            .with_help(format!("add the missing `{close}`")),
        );
    }

    fn parse_case(&mut self) -> Option<TestCase> {
        let t = self.peek();
        let channel = match self.word_of(t) {
            Some("sql") => Channel::Sql,
            Some("shell") => Channel::Shell,
            Some(word) if t.kind != TokenKind::Unknown => {
                let d = Diagnostic::error(
                    codes::UNKNOWN_CHANNEL,
                    t.span,
                    format!("unknown test channel `{}`", shorten(word)),
                )
                .with_label("a test case starts with `sql` or `shell`");
                let d = match suggest(word, &["sql", "shell"]) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "write `sql \"COMMAND\" => EFFECT` or `shell \"COMMAND\" => EFFECT`",
                    ),
                };
                self.report(d);
                self.bump();
                self.skip_to_case();
                return None;
            }
            _ => {
                self.expected(
                    codes::EXPECTED_TOKEN,
                    "a test case (`sql \"…\" => …`) or `}`",
                );
                self.bump();
                self.skip_to_case();
                return None;
            }
        };
        self.bump();
        let case = self.parse_case_rest(t.span, channel);
        if case.is_none() {
            self.skip_to_case();
            return None;
        }
        let next = self.peek();
        if !(next.line_start || next.kind == TokenKind::Punct(Punct::RBrace)) {
            self.expected(codes::EXPECTED_TOKEN, "the end of the test case");
            self.skip_to_case();
        }
        case
    }

    fn parse_case_rest(&mut self, start: Span, channel: Channel) -> Option<TestCase> {
        let command = self.parse_string("the command, as a string")?;
        let mut case = TestCase {
            channel,
            command,
            env: None,
            dialect: None,
            actor_kind: None,
            actor_id: None,
            groups: Vec::new(),
            labels: Vec::new(),
            expect: Effect::Allow,
            expect_span: start,
            by: None,
            span: start,
        };
        let mut seen: Vec<(&'s str, Span)> = Vec::new();
        loop {
            let t = self.peek();
            if t.kind == TokenKind::Punct(Punct::FatArrow) {
                break;
            }
            let Some(word) = self.word_of(t) else {
                self.expected(codes::EXPECTED_TOKEN, "`=>` and the expected decision");
                return None;
            };
            if effect_from(word).is_some() {
                let d = Diagnostic::error(
                    codes::EXPECTED_TOKEN,
                    t.span,
                    format!("expected `=>` before the expected decision `{word}`"),
                )
                .with_label("`=>` missing before this")
                .with_help(format!("write `=> {word}`"));
                self.report(d);
                return None;
            }
            if !CASE_OPTIONS.contains(&word) {
                let d = Diagnostic::error(
                    codes::UNKNOWN_CASE_OPTION,
                    t.span,
                    format!("unknown test case option `{}`", shorten(word)),
                )
                .with_label("not a test case option");
                let d = match suggest(word, CASE_OPTIONS) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "options are `on ENV`, `dialect D`, `as KIND \"ID\"`, `groups {…}` and `labels {…}`, then `=> EFFECT`",
                    ),
                };
                self.report(d);
                return None;
            }
            if let Some((_, first)) = seen.iter().find(|(w, _)| *w == word) {
                let first = *first;
                self.report(
                    Diagnostic::error(
                        codes::DUPLICATE_CASE_OPTION,
                        t.span,
                        format!("`{word}` is given twice in this test case"),
                    )
                    .with_label("second time")
                    .with_secondary(first, "first time")
                    .with_help("give each option at most once"),
                );
                return None;
            }
            seen.push((word, t.span));
            self.bump();
            match word {
                "on" => case.env = Some(self.parse_env()?),
                "dialect" => {
                    case.dialect = Some(self.parse_word("a dialect (`postgres`, `mysql`, …)")?)
                }
                "as" => {
                    case.actor_kind = Some(self.parse_word("an actor kind (`agent`, `human`, …)")?);
                    if matches!(self.peek().kind, TokenKind::Str { .. }) {
                        case.actor_id = self.parse_string("an actor id");
                    }
                }
                "groups" => case.groups = self.parse_string_set()?,
                _ => case.labels = self.parse_label_map()?,
            }
        }
        self.bump();
        let (expect, expect_span) = self.parse_effect()?;
        case.expect = expect;
        case.expect_span = expect_span;
        if self.eat_word("by").is_some() {
            case.by = Some(self.parse_rule_path()?);
        }
        case.span = self.span_from(start);
        Some(case)
    }

    /// `production` or `"prod-eu"`.
    fn parse_env(&mut self) -> Option<StringLit> {
        let t = self.peek();
        if t.kind == TokenKind::Ident {
            self.bump();
            return Some(StringLit {
                value: self.text(t).to_string(),
                span: t.span,
            });
        }
        if matches!(t.kind, TokenKind::Str { .. }) {
            return self.parse_string("an environment");
        }
        self.expected(
            codes::EXPECTED_TOKEN,
            "an environment (`production` or `\"prod-eu\"`)",
        );
        None
    }

    /// `rule` or `module.rule`: any words, since rule names were checked where declared.
    fn parse_rule_path(&mut self) -> Option<Path> {
        let first = self.parse_word("a rule name")?;
        let mut segments = vec![first];
        while self.at_punct(Punct::Dot) {
            self.bump();
            segments.push(self.parse_word("a name after `.`")?);
        }
        let span = segments
            .iter()
            .fold(segments[0].span, |acc, s| acc.cover(s.span));
        Some(Path { segments, span })
    }

    fn parse_string_set(&mut self) -> Option<Vec<StringLit>> {
        let open = self.eat_punct(Punct::LBrace);
        if open.is_none() {
            self.expected(codes::EXPECTED_TOKEN, "`{` and a list of strings");
            return None;
        }
        let mut out = Vec::new();
        loop {
            if self.eat_punct(Punct::RBrace).is_some() {
                return Some(out);
            }
            out.push(self.parse_string("a string")?);
            if self.eat_punct(Punct::Comma).is_none() && !self.at_punct(Punct::RBrace) {
                self.expected(codes::EXPECTED_TOKEN, "`,` or `}`");
                return None;
            }
        }
    }

    fn parse_label_map(&mut self) -> Option<Vec<(StringLit, StringLit)>> {
        if self.eat_punct(Punct::LBrace).is_none() {
            self.expected(codes::EXPECTED_TOKEN, "`{` and `\"key\": \"value\"` pairs");
            return None;
        }
        let mut out = Vec::new();
        loop {
            if self.eat_punct(Punct::RBrace).is_some() {
                return Some(out);
            }
            let key = self.parse_string("a label key string")?;
            if self.eat_punct(Punct::Colon).is_none() {
                self.expected(codes::EXPECTED_TOKEN, "`:` between a label's key and value");
                return None;
            }
            let value = self.parse_string("a label value string")?;
            out.push((key, value));
            if self.eat_punct(Punct::Comma).is_none() && !self.at_punct(Punct::RBrace) {
                self.expected(codes::EXPECTED_TOKEN, "`,` or `}`");
                return None;
            }
        }
    }
}
