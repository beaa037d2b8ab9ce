//! Stage 3: AST → canonical text.
//!
//! Layout: the module first, then one item a block with a blank line between items
//! (consecutive `use`s stay together); rule clauses on their own lines, indented two spaces,
//! in the order `when`, `unless`, `message`, `help`, `control`, `mode`; test cases one a line
//! with their `=>` aligned; only the parentheses an expression's tree needs. An expression
//! that does not fit in [`MAX_WIDTH`] columns breaks before each `or`, then each `and`, and
//! a long set, list or call puts one element a line (`Lines`).
//!
//! Comments: the printed file is a list of *nodes* (an item header, a clause, a test case, a
//! test's closing brace), each knowing its source span. Every `//` comment is attached by
//! position to one node, as a leading own-line comment or as the trailing comment of the line
//! it ended, so reordering clauses or joining lines moves comments but never drops them.
//!
//! Invariants: idempotent (`format ∘ parse ∘ format = format ∘ parse`), and
//! `parse(format(f))` is `f` modulo layout, for every tree the parser produces without
//! errors. Trees holding `ExprKind::Error` print as `<error>` and do not re-parse.

use std::fmt::Write as _;

use guard_diagnostics::{Diagnostic, Span};

use crate::ast::{
    BinOp, Channel, Comment, Expr, ExprKind, File, Item, Mode, Quantifier, RuleDecl, Template,
    TemplatePart, TestDecl,
};

/// Lines longer than this break, where the layout allows (`set` literals).
pub const MAX_WIDTH: usize = 100;

const INDENT: &str = "  ";

/// Test cases whose text before `=>` is longer than this are not aligned with the others.
const ALIGN_LIMIT: usize = 60;

/// Formats `source`, or `None` when it has syntax errors: a broken file is never rewritten.
pub fn format_source(source: &str) -> Option<String> {
    let (file, diagnostics) = crate::parse(source);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return None;
    }
    Some(format(&file))
}

/// The canonical text of `file`, lines broken at [`MAX_WIDTH`].
pub fn format(file: &File) -> String {
    format_with_width(file, MAX_WIDTH)
}

/// The canonical text of `file` with long expressions broken to fit `width` columns where
/// the layout allows (strings and test cases never break).
pub fn format_with_width(file: &File, width: usize) -> String {
    let entries = layout(file, width);
    let nodes: Vec<&Node> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Node(n) => Some(n),
            Entry::Blank => None,
        })
        .collect();
    let attached = attach(&file.comments, &nodes);
    render(&entries, &attached)
}

/// One printed unit that comments can attach to.
struct Node {
    span: Span,
    /// Indentation of its lines, in levels.
    indent: usize,
    /// Indentation of comments printed before it (the closing `}` of a test takes its cases').
    comment_indent: usize,
    lines: Vec<String>,
}

enum Entry {
    Blank,
    Node(Node),
}

fn node(span: Span, indent: usize, lines: Vec<String>) -> Entry {
    Entry::Node(Node {
        span,
        indent,
        comment_indent: indent,
        lines,
    })
}

fn layout(file: &File, width: usize) -> Vec<Entry> {
    let mut entries = Vec::new();
    if let Some(m) = &file.module {
        let mut lines = doc_lines(&m.doc);
        lines.push(format!("module {}", m.path.dotted()));
        entries.push(node(m.span, 0, lines));
    }
    let mut previous_was_use = false;
    for item in &file.items {
        let is_use = matches!(item, Item::Use(_));
        let use_group = is_use && previous_was_use;
        if !entries.is_empty() && !use_group {
            entries.push(Entry::Blank);
        }
        previous_was_use = is_use;
        match item {
            Item::Use(u) => {
                let mut line = format!("use {}", u.path.dotted());
                if let Some(alias) = &u.alias {
                    let _ = write!(line, " as {}", alias.name);
                }
                entries.push(node(u.span, 0, vec![line]));
            }
            Item::Default(d) => entries.push(node(
                d.span,
                0,
                vec![format!("default {}", d.effect.keyword())],
            )),
            Item::Set(s) => {
                let mut lines = doc_lines(&s.doc);
                lines.extend(declaration(
                    &format!("set {} =", s.name.name),
                    &s.value,
                    width,
                ));
                entries.push(node(s.span, 0, lines));
            }
            Item::Def(d) => {
                let mut lines = doc_lines(&d.doc);
                let on =
                    d.on.as_ref()
                        .map(|k| format!(" on {}", k.name))
                        .unwrap_or_default();
                lines.extend(declaration(
                    &format!("def {}{on} =", d.name.name),
                    &d.body,
                    width,
                ));
                entries.push(node(d.span, 0, lines));
            }
            Item::Rule(r) => rule_entries(r, &mut entries, width),
            Item::Test(t) => test_entries(t, &mut entries),
        }
    }
    entries
}

fn doc_lines(doc: &[String]) -> Vec<String> {
    doc.iter()
        .map(|d| {
            if d.is_empty() {
                "///".to_string()
            } else {
                format!("/// {d}")
            }
        })
        .collect()
}

/// `set x = …` / `def x = …`: on one line if it fits; a set or list literal opens on the
/// first line; anything else longer starts on its own line, indented.
fn declaration(head: &str, value: &Expr, width: usize) -> Vec<String> {
    let flat = format!("{head} {}", expr_text(value));
    if flat.chars().count() <= width {
        return vec![flat];
    }
    let mut lines = Lines::new(width);
    lines.push_str(head);
    if matches!(value.kind, ExprKind::Set(_) | ExprKind::List(_)) {
        lines.push_str(" ");
        lines.put_expr(value, 0, true, 0);
    } else {
        lines.newline(INDENT.len());
        lines.put_expr(value, 0, true, INDENT.len());
    }
    lines.lines
}

/// A clause line (`when …`), breaking its expression when it does not fit.
fn clause(keyword: &str, e: &Expr, width: usize) -> Vec<String> {
    let mut lines = Lines::new(width);
    lines.push_str(INDENT);
    lines.push_str(keyword);
    lines.push_str(" ");
    lines.put_expr(e, 0, true, 2 * INDENT.len());
    lines.lines
}

fn rule_entries(r: &RuleDecl, entries: &mut Vec<Entry>, width: usize) {
    let mut lines = doc_lines(&r.doc);
    lines.push(format!(
        "rule {}: {} on {}",
        r.name.name,
        r.effect.keyword(),
        r.on.name
    ));
    entries.push(node(
        Span::new(r.span.start, r.on.span.end.max(r.span.start)),
        0,
        lines,
    ));
    // Clause lines carry their own indentation: continuation lines indent further.
    let clause_node = |span: Span, lines: Vec<String>| {
        Entry::Node(Node {
            span,
            indent: 0,
            comment_indent: 1,
            lines,
        })
    };
    for e in &r.when {
        entries.push(clause_node(e.span, clause("when", e, width)));
    }
    for e in &r.unless {
        entries.push(clause_node(e.span, clause("unless", e, width)));
    }
    if let Some(t) = &r.message {
        entries.push(node(
            t.span,
            1,
            vec![format!("message {}", template_text(t))],
        ));
    }
    if let Some(t) = &r.help {
        entries.push(node(t.span, 1, vec![format!("help {}", template_text(t))]));
    }
    for c in &r.controls {
        entries.push(node(
            c.span,
            1,
            vec![format!("control {}", quote(&c.value))],
        ));
    }
    if let Some((mode, span)) = r.mode {
        let word = match mode {
            Mode::Audit => "audit",
            Mode::Enforce => "enforce",
        };
        entries.push(node(span, 1, vec![format!("mode {word}")]));
    }
}

fn is_bare_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn test_entries(t: &TestDecl, entries: &mut Vec<Entry>) {
    let mut lines = doc_lines(&t.doc);
    lines.push(format!("test {} {{", t.name.name));
    entries.push(node(
        Span::new(t.span.start, t.name.span.end.max(t.span.start)),
        0,
        lines,
    ));
    let heads: Vec<String> = t
        .cases
        .iter()
        .map(|c| {
            let channel = match c.channel {
                Channel::Sql => "sql",
                Channel::Shell => "shell",
            };
            let mut head = format!("{channel} {}", quote(&c.command.value));
            if let Some(env) = &c.env {
                let env = if is_bare_word(&env.value) {
                    env.value.clone()
                } else {
                    quote(&env.value)
                };
                let _ = write!(head, " on {env}");
            }
            if let Some(d) = &c.dialect {
                let _ = write!(head, " dialect {}", d.name);
            }
            if let Some(kind) = &c.actor_kind {
                let _ = write!(head, " as {}", kind.name);
                if let Some(id) = &c.actor_id {
                    let _ = write!(head, " {}", quote(&id.value));
                }
            }
            if !c.groups.is_empty() {
                let groups: Vec<String> = c.groups.iter().map(|g| quote(&g.value)).collect();
                let _ = write!(head, " groups {{{}}}", groups.join(", "));
            }
            if !c.labels.is_empty() {
                let labels: Vec<String> = c
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{}: {}", quote(&k.value), quote(&v.value)))
                    .collect();
                let _ = write!(head, " labels {{{}}}", labels.join(", "));
            }
            head
        })
        .collect();
    // Outliers do not push every other case's `=>` far to the right.
    let width = heads
        .iter()
        .map(|h| h.chars().count())
        .filter(|&w| w <= ALIGN_LIMIT)
        .max()
        .unwrap_or(0);
    for (case, head) in t.cases.iter().zip(heads) {
        let pad = width.saturating_sub(head.chars().count());
        let mut line = format!("{head}{} => {}", " ".repeat(pad), case.expect.keyword());
        if let Some(by) = &case.by {
            let _ = write!(line, " by {}", by.dotted());
        }
        entries.push(node(case.span, 1, vec![line]));
    }
    let close = Span::new(t.span.end.saturating_sub(1), t.span.end);
    entries.push(Entry::Node(Node {
        span: close,
        indent: 0,
        comment_indent: 1,
        lines: vec!["}".to_string()],
    }));
}

/// Comments attached to nodes (by index into the node list) and those left at the end.
struct Attached<'c> {
    leading: Vec<Vec<&'c Comment>>,
    trailing: Vec<Option<&'c Comment>>,
    end: Vec<&'c Comment>,
}

fn attach<'c>(comments: &'c [Comment], nodes: &[&Node]) -> Attached<'c> {
    let mut attached = Attached {
        leading: vec![Vec::new(); nodes.len()],
        trailing: vec![None; nodes.len()],
        end: Vec::new(),
    };
    // Source order; printing order differs where clauses are canonicalised.
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| (nodes.get(i).map_or(0, |n| n.span.start), i));
    let span_of = |k: usize| {
        order
            .get(k)
            .and_then(|&i| nodes.get(i))
            .map_or(Span::default(), |n| n.span)
    };
    for c in comments {
        let k =
            order.partition_point(|&i| nodes.get(i).is_some_and(|n| n.span.end <= c.span.start));
        let next = order.get(k).copied();
        let prev = k.checked_sub(1).and_then(|p| order.get(p).copied());
        let inside = next.is_some() && span_of(k).start < c.span.start;
        match (next, prev) {
            (Some(n), _) if inside => push(&mut attached.leading, n, c),
            (_, Some(p))
                if !c.own_line && attached.trailing.get(p).is_some_and(Option::is_none) =>
            {
                if let Some(slot) = attached.trailing.get_mut(p) {
                    *slot = Some(c);
                }
            }
            (Some(n), _) => push(&mut attached.leading, n, c),
            (None, _) => attached.end.push(c),
        }
    }
    attached
}

fn push<'c>(lists: &mut [Vec<&'c Comment>], i: usize, c: &'c Comment) {
    if let Some(list) = lists.get_mut(i) {
        list.push(c);
    }
}

fn render(entries: &[Entry], attached: &Attached<'_>) -> String {
    let mut lines: Vec<String> = Vec::new();
    let blank = |lines: &mut Vec<String>| {
        if lines.last().is_some_and(|l| !l.is_empty()) {
            lines.push(String::new());
        }
    };
    let mut index = 0;
    for entry in entries {
        let Entry::Node(n) = entry else {
            blank(&mut lines);
            continue;
        };
        for c in attached.leading.get(index).into_iter().flatten() {
            lines.push(format!("{}{}", INDENT.repeat(n.comment_indent), c.text));
            if c.blank_after {
                blank(&mut lines);
            }
        }
        for l in &n.lines {
            lines.push(format!("{}{l}", INDENT.repeat(n.indent)));
        }
        if let Some(Some(c)) = attached.trailing.get(index) {
            if let Some(last) = lines.last_mut() {
                let _ = write!(last, "  {}", c.text);
            }
            if c.blank_after {
                blank(&mut lines);
            }
        }
        index += 1;
    }
    if !attached.end.is_empty() {
        blank(&mut lines);
        for c in &attached.end {
            lines.push(c.text.clone());
        }
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

// ---- expressions --------------------------------------------------------------------------

/// Binding strength, loosest first; operands print in parentheses when looser than their
/// position needs.
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_NOT: u8 = 3;
const PREC_CMP: u8 = 4;
const PREC_PRIMARY: u8 = 5;

/// An expression on one line.
pub fn expr_text(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, 0, true);
    out
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Quantified { .. } => 0,
        ExprKind::Binary { op: BinOp::Or, .. } => PREC_OR,
        ExprKind::Binary { op: BinOp::And, .. } => PREC_AND,
        ExprKind::Not(_) => PREC_NOT,
        ExprKind::Binary { .. } => PREC_CMP,
        _ => PREC_PRIMARY,
    }
}

fn needs_parens(e: &Expr, min: u8, tail: bool) -> bool {
    match e.kind {
        ExprKind::Quantified { .. } => !tail || min >= PREC_CMP,
        _ => precedence(e) < min,
    }
}

/// `min` is the loosest binding allowed here; `tail` says nothing follows in the enclosing
/// expression, which is where a quantifier's open-ended body may stand bare.
fn write_expr(out: &mut String, e: &Expr, min: u8, tail: bool) {
    if needs_parens(e, min, tail) {
        out.push('(');
        write_bare(out, e, true);
        out.push(')');
    } else {
        write_bare(out, e, tail);
    }
}

fn write_list(out: &mut String, items: &[Expr]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, item, 0, true);
    }
}

fn write_bare(out: &mut String, e: &Expr, tail: bool) {
    match &e.kind {
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Int(i) => {
            let _ = write!(out, "{i}");
        }
        ExprKind::Str(s) => out.push_str(&quote(s)),
        ExprKind::Regex(r) => out.push_str(&quote_regex(r)),
        ExprKind::Path(p) => out.push_str(&p.dotted()),
        ExprKind::Set(items) => {
            out.push('{');
            write_list(out, items);
            out.push('}');
        }
        ExprKind::List(items) => {
            out.push('[');
            write_list(out, items);
            out.push(']');
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            write_list(out, args);
            out.push(')');
        }
        ExprKind::Not(operand) => {
            out.push_str("not ");
            write_expr(out, operand, PREC_NOT, tail);
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            let (left, right) = match op {
                BinOp::Or => (PREC_OR, PREC_AND),
                BinOp::And => (PREC_AND, PREC_NOT),
                _ => (PREC_PRIMARY, PREC_PRIMARY),
            };
            let chained = matches!(op, BinOp::Or | BinOp::And);
            write_expr(out, lhs, left, false);
            let _ = write!(out, " {} ", op.symbol());
            write_expr(out, rhs, right, chained && tail);
        }
        ExprKind::Quantified {
            quantifier,
            var,
            over,
            body,
        } => {
            let word = match quantifier {
                Quantifier::Any => "any",
                Quantifier::All => "all",
            };
            let _ = write!(out, "{word} {} in ", var.name);
            write_expr(out, over, PREC_OR, false);
            out.push_str(": ");
            write_expr(out, body, 0, tail);
        }
        ExprKind::Error => out.push_str("<error>"),
    }
}

/// Output lines under construction, for expressions too long for one line.
///
/// Breaking follows the tree, never the source: an `or` / `and` chain puts each further
/// operand on its own line, led by its operator, at the continuation column; an operand
/// that needs parentheses breaks inside them; a set, list or call puts one element a line.
/// Everything else stays on one line. The result depends only on the tree and the width,
/// so formatting stays idempotent.
struct Lines {
    lines: Vec<String>,
    width: usize,
}

impl Lines {
    fn new(width: usize) -> Lines {
        Lines {
            lines: vec![String::new()],
            width,
        }
    }

    fn current_len(&self) -> usize {
        self.lines.last().map_or(0, |l| l.chars().count())
    }

    fn push_str(&mut self, s: &str) {
        if let Some(last) = self.lines.last_mut() {
            last.push_str(s);
        }
    }

    fn newline(&mut self, column: usize) {
        self.lines.push(" ".repeat(column));
    }

    /// Writes `e` where `min` and `tail` are as in [`write_expr`]; continuation lines start
    /// at column `cont`.
    fn put_expr(&mut self, e: &Expr, min: u8, tail: bool, cont: usize) {
        let mut flat = String::new();
        write_expr(&mut flat, e, min, tail);
        if self.current_len() + flat.chars().count() <= self.width || !breakable(e) {
            self.push_str(&flat);
            return;
        }
        if needs_parens(e, min, tail) {
            self.push_str("(");
            self.put_broken(e, true, cont + INDENT.len());
            self.push_str(")");
        } else {
            self.put_broken(e, tail, cont);
        }
    }

    fn put_broken(&mut self, e: &Expr, tail: bool, cont: usize) {
        let deeper = cont + INDENT.len();
        match &e.kind {
            ExprKind::Binary {
                op: op @ (BinOp::Or | BinOp::And),
                ..
            } => {
                let operands = chain(e, *op);
                let (left, right) = if *op == BinOp::Or {
                    (PREC_OR, PREC_AND)
                } else {
                    (PREC_AND, PREC_NOT)
                };
                let last = operands.len().saturating_sub(1);
                for (i, operand) in operands.into_iter().enumerate() {
                    if i == 0 {
                        self.put_expr(operand, left, false, deeper);
                    } else {
                        self.newline(cont);
                        self.push_str(op.symbol());
                        self.push_str(" ");
                        self.put_expr(operand, right, tail && i == last, deeper);
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                self.put_expr(lhs, PREC_PRIMARY, false, deeper);
                self.push_str(&format!(" {} ", op.symbol()));
                self.put_expr(rhs, PREC_PRIMARY, false, deeper);
            }
            ExprKind::Not(operand) => {
                self.push_str("not ");
                self.put_expr(operand, PREC_NOT, tail, cont);
            }
            ExprKind::Quantified {
                quantifier,
                var,
                over,
                body,
            } => {
                let word = match quantifier {
                    Quantifier::Any => "any",
                    Quantifier::All => "all",
                };
                self.push_str(&format!("{word} {} in ", var.name));
                self.put_expr(over, PREC_OR, false, deeper);
                self.push_str(": ");
                self.put_expr(body, 0, tail, deeper);
            }
            ExprKind::Set(items) => self.put_elements("{", items, "}", cont),
            ExprKind::List(items) => self.put_elements("[", items, "]", cont),
            ExprKind::Call { func, args } => {
                self.put_elements(&format!("{}(", func.name), args, ")", cont);
            }
            _ => {
                let mut flat = String::new();
                write_bare(&mut flat, e, tail);
                self.push_str(&flat);
            }
        }
    }

    /// Elements one a line, indented from the line that opens them (not from how deep the
    /// expression is), closed on a line of their own.
    fn put_elements(&mut self, open: &str, items: &[Expr], close: &str, cont: usize) {
        let line_indent = self
            .lines
            .last()
            .map_or(0, |l| l.len() - l.trim_start().len());
        let cont = cont.min(line_indent + INDENT.len());
        self.push_str(open);
        for item in items {
            self.newline(cont + INDENT.len());
            self.put_expr(item, 0, true, cont + 2 * INDENT.len());
            self.push_str(",");
        }
        self.newline(cont);
        self.push_str(close);
    }
}

/// Whether breaking `e` can shorten its line.
fn breakable(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Binary { .. } | ExprKind::Not(_) | ExprKind::Quantified { .. } => true,
        ExprKind::Set(items) | ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
            !items.is_empty()
        }
        _ => false,
    }
}

/// The operands of a left-leaning chain of `op`: `(a or b) or c` is `[a, b, c]`.
fn chain(e: &Expr, op: BinOp) -> Vec<&Expr> {
    let mut rights = Vec::new();
    let mut cursor = e;
    while let ExprKind::Binary {
        op: o, lhs, rhs, ..
    } = &cursor.kind
    {
        if *o != op {
            break;
        }
        rights.push(rhs.as_ref());
        cursor = lhs;
    }
    rights.push(cursor);
    rights.reverse();
    rights
}

/// A string literal that decodes back to `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A regex literal: raw, except that quotes are escaped.
fn quote_regex(r: &str) -> String {
    let mut out = String::with_capacity(r.len() + 3);
    out.push_str("re\"");
    let mut chars = r.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push_str("\\\\"),
            },
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn template_text(t: &Template) -> String {
    let mut out = String::from("\"");
    for part in &t.parts {
        match part {
            TemplatePart::Text(text) => {
                for c in text.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '{' => out.push_str("{{"),
                        '}' => out.push_str("}}"),
                        _ => out.push(c),
                    }
                }
            }
            TemplatePart::Expr(e) => {
                let mut inner = String::new();
                write_expr(&mut inner, e, 0, true);
                // `{{` would read as a literal brace: `{ {a, b} }` keeps a set apart.
                let pad = if inner.starts_with('{') || inner.ends_with('}') {
                    " "
                } else {
                    ""
                };
                out.push('{');
                out.push_str(pad);
                out.push_str(&inner);
                out.push_str(pad);
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}
