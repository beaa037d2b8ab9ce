//! Expressions, loosest binding first: quantifier body, `or`, `and`, `not`, comparison
//! (non-associative), primary. A quantifier may stand wherever an operand of `not`, `and` or
//! `or` may, and its body extends as far right as possible.
//!
//! Every path of recursion passes through [`Parser::parse_not`], which is where depth is
//! counted and capped.

use guard_diagnostics::{Diagnostic, Span};

use super::Parser;
use crate::MAX_DEPTH;
use crate::ast::{BinOp, Expr, ExprKind, Ident, Path, Quantifier};
use crate::codes;
use crate::lexer::{Punct, TokenKind};

fn binary(op: BinOp, op_span: Span, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.cover(rhs.span).cover(op_span);
    Expr {
        kind: ExprKind::Binary {
            op,
            op_span,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

impl Parser<'_> {
    /// A whole expression: the entry point for clauses, `set` and `def` bodies, and
    /// interpolations.
    pub(crate) fn parse_expr(&mut self) -> Expr {
        self.depth = 0;
        self.bailed = false;
        self.expr()
    }

    fn expr(&mut self) -> Expr {
        let mut lhs = self.parse_and();
        while let Some(op_span) = self.eat_word("or") {
            let rhs = self.parse_and();
            lhs = binary(BinOp::Or, op_span, lhs, rhs);
        }
        lhs
    }

    fn parse_and(&mut self) -> Expr {
        let mut lhs = self.parse_not();
        while let Some(op_span) = self.eat_word("and") {
            let rhs = self.parse_not();
            lhs = binary(BinOp::And, op_span, lhs, rhs);
        }
        lhs
    }

    fn parse_not(&mut self) -> Expr {
        if self.depth >= MAX_DEPTH {
            return self.too_deep();
        }
        self.depth += 1;
        let e = if let Some(not) = self.eat_word("not") {
            let operand = self.parse_not();
            let span = not.cover(operand.span);
            Expr {
                kind: ExprKind::Not(Box::new(operand)),
                span,
            }
        } else if self.at_word("any") || self.at_word("all") {
            self.parse_quantified()
        } else {
            self.parse_comparison()
        };
        self.depth -= 1;
        e
    }

    /// Reports the nesting once, then skips what remains of this operand (balancing brackets)
    /// without recursing.
    fn too_deep(&mut self) -> Expr {
        let start = self.peek().span;
        if !self.bailed {
            self.bailed = true;
            self.report(
                Diagnostic::error(
                    codes::NESTING_TOO_DEEP,
                    start,
                    "expression nested too deeply",
                )
                .with_label(format!("more than {MAX_DEPTH} levels deep here"))
                .with_help("split the condition into named `def`s"),
            );
        }
        let mut level = 0usize;
        loop {
            let t = self.peek();
            if self.at_boundary() {
                break;
            }
            match t.kind {
                TokenKind::Punct(Punct::LParen | Punct::LBrace | Punct::LBracket) => level += 1,
                TokenKind::Punct(Punct::RParen | Punct::RBrace | Punct::RBracket) => {
                    if level == 0 {
                        break;
                    }
                    level -= 1;
                }
                TokenKind::Punct(Punct::Comma) if level == 0 => break,
                _ => {}
            }
            self.bump();
        }
        Expr {
            kind: ExprKind::Error,
            span: self.span_from(start),
        }
    }

    fn parse_quantified(&mut self) -> Expr {
        let kw = self.bump();
        let quantifier = if self.is_word(kw, "any") {
            Quantifier::Any
        } else {
            Quantifier::All
        };
        let error = |p: &Self| Expr {
            kind: ExprKind::Error,
            span: p.span_from(kw.span),
        };
        let t = self.peek();
        if self.word_of(t).is_none_or(Self::is_reserved) {
            let word = self.text(kw);
            self.expected(
                codes::EXPECTED_TOKEN,
                &format!("a variable name after `{word}`"),
            );
            return error(self);
        }
        self.bump();
        let var = Ident {
            name: self.text(t).to_string(),
            span: t.span,
        };
        if self.eat_word("in").is_none() {
            self.expected(codes::EXPECTED_TOKEN, &format!("`in` after `{}`", var.name));
            return error(self);
        }
        let over = self.expr();
        if self.eat_punct(Punct::Colon).is_none() {
            self.expected(codes::EXPECTED_TOKEN, "`:` before the condition");
            return error(self);
        }
        let body = self.expr();
        let span = kw.span.cover(body.span);
        Expr {
            kind: ExprKind::Quantified {
                quantifier,
                var,
                over: Box::new(over),
                body: Box::new(body),
            },
            span,
        }
    }

    fn maybe_comparison_op(&mut self) -> Option<(BinOp, Span)> {
        let t = self.peek();
        let op = match t.kind {
            TokenKind::Punct(Punct::EqEq) => BinOp::Eq,
            TokenKind::Punct(Punct::NotEq) => BinOp::Ne,
            TokenKind::Punct(Punct::Lt) => BinOp::Lt,
            TokenKind::Punct(Punct::Le) => BinOp::Le,
            TokenKind::Punct(Punct::Gt) => BinOp::Gt,
            TokenKind::Punct(Punct::Ge) => BinOp::Ge,
            TokenKind::Ident => match self.text(t) {
                "in" => BinOp::In,
                "matches" => BinOp::Matches,
                "not" if self.is_word(self.nth(1), "in") => {
                    self.bump();
                    let in_ = self.bump();
                    return Some((BinOp::NotIn, t.span.cover(in_.span)));
                }
                _ => return None,
            },
            _ => return None,
        };
        self.bump();
        Some((op, t.span))
    }

    fn parse_comparison(&mut self) -> Expr {
        let lhs = self.parse_primary(false);
        let Some((op, op_span)) = self.maybe_comparison_op() else {
            return lhs;
        };
        let rhs = self.parse_primary(op == BinOp::Matches);
        let e = binary(op, op_span, lhs, rhs);
        if let Some((_, second)) = self.maybe_comparison_op() {
            self.report(
                Diagnostic::error(
                    codes::CHAINED_COMPARISON,
                    second,
                    "comparisons cannot be chained",
                )
                .with_label("second comparison")
                .with_secondary(op_span, "first comparison")
                .with_help("join the comparisons with `and`, or parenthesise one of them"),
            );
            let _ = self.parse_primary(true);
        }
        e
    }

    fn error_expr(&self) -> Expr {
        let at = self.peek().span.start;
        Expr {
            kind: ExprKind::Error,
            span: Span::new(at, at),
        }
    }

    fn expected_expression(&mut self) -> Expr {
        let found = self.peek();
        if found.kind != TokenKind::Unknown && !self.bailed {
            let span = self.expected_span(found);
            let mut d = Diagnostic::error(
                codes::EXPECTED_EXPRESSION,
                span,
                format!("expected an expression, found {}", self.describe(found)),
            )
            .with_label("expected an expression");
            if let Some(word) = self.word_of(found)
                && Self::is_reserved(word)
            {
                d = d.with_help(format!(
                    "`{word}` is a keyword; it cannot stand for a value here"
                ));
            }
            self.report(d);
        }
        self.error_expr()
    }

    fn parse_primary(&mut self, allow_regex: bool) -> Expr {
        let t = self.peek();
        match t.kind {
            TokenKind::Int => {
                self.bump();
                let kind = match self.text(t).parse::<i64>() {
                    Ok(v) => ExprKind::Int(v),
                    Err(_) => {
                        self.report(
                            Diagnostic::error(
                                codes::INTEGER_TOO_LARGE,
                                t.span,
                                "integer literal too large",
                            )
                            .with_label(format!("larger than {}", i64::MAX))
                            .with_help("integers are signed 64-bit"),
                        );
                        ExprKind::Error
                    }
                };
                Expr { kind, span: t.span }
            }
            TokenKind::Str { .. } => {
                self.bump();
                let value = self.decode_string(t);
                Expr {
                    kind: ExprKind::Str(value),
                    span: t.span,
                }
            }
            TokenKind::Regex { .. } => {
                self.bump();
                if !allow_regex {
                    self.report(
                        Diagnostic::error(
                            codes::REGEX_OUTSIDE_MATCHES,
                            t.span,
                            "regex literal outside `matches`",
                        )
                        .with_label("a regex can only be matched against")
                        .with_help(
                            "write `x matches re\"…\"`; for plain text use a string `\"…\"`",
                        ),
                    );
                }
                Expr {
                    kind: ExprKind::Regex(self.decode_regex(t)),
                    span: t.span,
                }
            }
            TokenKind::Ident => {
                let word = self.text(t);
                match word {
                    "true" | "false" => {
                        self.bump();
                        Expr {
                            kind: ExprKind::Bool(word == "true"),
                            span: t.span,
                        }
                    }
                    _ if Self::is_reserved(word) || self.at_item_start() => {
                        self.expected_expression()
                    }
                    _ => self.parse_path_or_call(),
                }
            }
            TokenKind::Punct(Punct::LParen) => {
                let open = self.bump();
                let inner = self.expr();
                if self.eat_punct(Punct::RParen).is_none() {
                    self.close_or_report(open.span, "parenthesis");
                }
                inner
            }
            TokenKind::Punct(Punct::LBrace) => {
                let open = self.bump();
                let items = self.parse_comma_list(open.span, Punct::RBrace, "set");
                Expr {
                    kind: ExprKind::Set(items),
                    span: self.span_from(open.span),
                }
            }
            TokenKind::Punct(Punct::LBracket) => {
                let open = self.bump();
                let items = self.parse_comma_list(open.span, Punct::RBracket, "list");
                Expr {
                    kind: ExprKind::List(items),
                    span: self.span_from(open.span),
                }
            }
            _ => self.expected_expression(),
        }
    }

    /// A missing closing delimiter: unclosed when the expression ran into a boundary,
    /// otherwise something unexpected inside it.
    fn close_or_report(&mut self, open: Span, what: &str) {
        if self.at_boundary() || self.peek().line_start {
            self.unclosed(open, what);
        } else {
            let close = match what {
                "parenthesis" => "`)`",
                "list" => "`,` or `]`",
                _ => "`,` or `}`",
            };
            self.expected(codes::EXPECTED_TOKEN, close);
        }
    }

    fn parse_path_or_call(&mut self) -> Expr {
        let first = self.bump();
        let mut segments = vec![Ident {
            name: self.text(first).to_string(),
            span: first.span,
        }];
        while self.at_punct(Punct::Dot) {
            self.bump();
            let t = self.peek();
            if t.kind != TokenKind::Ident {
                self.expected(codes::EXPECTED_TOKEN, "a field name after `.`");
                return Expr {
                    kind: ExprKind::Error,
                    span: self.span_from(first.span),
                };
            }
            self.bump();
            segments.push(Ident {
                name: self.text(t).to_string(),
                span: t.span,
            });
        }
        if segments.len() == 1 && self.at_punct(Punct::LParen) {
            let open = self.bump();
            let args = self.parse_comma_list(open.span, Punct::RParen, "call");
            let func = segments.remove(0);
            return Expr {
                kind: ExprKind::Call { func, args },
                span: self.span_from(first.span),
            };
        }
        let span = self.span_from(first.span);
        Expr {
            kind: ExprKind::Path(Path { segments, span }),
            span,
        }
    }

    /// `a, b, c` up to `close` (consumed), a trailing comma allowed.
    fn parse_comma_list(&mut self, open: Span, close: Punct, what: &str) -> Vec<Expr> {
        let mut items = Vec::new();
        loop {
            if self.eat_punct(close).is_some() {
                return items;
            }
            if self.at_boundary() {
                self.unclosed(open, what);
                return items;
            }
            items.push(self.expr());
            if self.eat_punct(Punct::Comma).is_some() {
                continue;
            }
            if self.eat_punct(close).is_some() {
                return items;
            }
            if self.at_boundary() {
                self.unclosed(open, what);
                return items;
            }
            let expected = match close {
                Punct::RParen => "`,` or `)`",
                Punct::RBracket => "`,` or `]`",
                _ => "`,` or `}`",
            };
            self.expected(codes::EXPECTED_TOKEN, expected);
            self.skip_list_element(close);
        }
    }

    /// Recovery inside a bracketed list: up to the next `,` or `close` at this level.
    fn skip_list_element(&mut self, close: Punct) {
        let mut level = 0usize;
        while !self.at_boundary() {
            match self.peek().kind {
                TokenKind::Punct(Punct::LParen | Punct::LBrace | Punct::LBracket) => level += 1,
                TokenKind::Punct(p @ (Punct::RParen | Punct::RBrace | Punct::RBracket)) => {
                    if level == 0 {
                        if p == close {
                            return;
                        }
                    } else {
                        level -= 1;
                    }
                }
                TokenKind::Punct(Punct::Comma) if level == 0 => {
                    self.bump();
                    return;
                }
                _ => {}
            }
            self.bump();
        }
    }
}
