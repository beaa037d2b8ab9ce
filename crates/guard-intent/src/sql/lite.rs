//! MySQL, SQLite and generic SQL: `sqlparser` tokens and trees → [`Facts`].
//!
//! Stages: tokenize with the dialect's tokenizer (bounding token count and parenthesis depth
//! before any recursive parsing), lift MySQL's `INTO OUTFILE|DUMPFILE '…'` clauses out of the
//! token stream (sqlparser does not parse them; the clause is recorded as a `copy` to a file),
//! parse statement by statement so each gets its exact span, then set the statement's kind and
//! targets from its variant and sweep the whole tree with sqlparser's visitor for relations,
//! functions, columns and DML nested in CTEs.
//!
//! Invariants: a statement the parser rejects ends the analysis with an `opaque` action covering
//! the rest of the text (earlier statements keep their actions); identifiers are normalised per
//! dialect (SQLite folds case, MySQL keeps it, generic folds unquoted ones).

mod fallback;

use std::ops::ControlFlow;

use guard_model::{Action, CopyTarget, Dialect, ObjectKind, OpaqueCause, StatementKind};
use sqlparser::ast::{
    self as ast, Expr, Ident, ObjectName, ObjectNamePart, Statement, Visit, Visitor,
};
use sqlparser::dialect::{GenericDialect, MySqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::fold::{self, Cmp, Val};
use super::{Facts, Session, deeper, span_of};
use crate::{Origin, opaque};

/// More tokens than this and the text is not analysed (a bound on time and tree depth).
const MAX_TOKENS: usize = 60_000;
/// Deeper parenthesis nesting than this is not parsed.
const MAX_PAREN_DEPTH: usize = 128;
/// Depth past which the folder gives up (and the WHERE is not trusted).
const MAX_FOLD_DEPTH: u32 = 200;

pub(crate) fn analyze(text: &str, origin: &Origin, session: &mut Session, out: &mut Vec<Action>) {
    let dialect = session.dialect;
    let parser_dialect: &dyn sqlparser::dialect::Dialect = match dialect {
        Dialect::Mysql => &MySqlDialect {},
        Dialect::Sqlite => &SQLiteDialect {},
        Dialect::Postgres | Dialect::Generic => &GenericDialect {},
    };
    let whole = origin.place(span_of(text, text));
    let tokens = match Tokenizer::new(parser_dialect, text).tokenize_with_location() {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("the {dialect} tokenizer rejected the text: {e}");
            out.push(opaque(
                OpaqueCause::ParseError,
                reason,
                whole,
                &origin.via,
                text,
            ));
            return;
        }
    };
    if tokens.len() > MAX_TOKENS {
        let reason = format!(
            "the text has {} tokens, over the {MAX_TOKENS}-token analysis limit",
            tokens.len()
        );
        out.push(opaque(
            OpaqueCause::TooLarge,
            reason,
            whole,
            &origin.via,
            text,
        ));
        return;
    }
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    for t in &tokens {
        match t.token {
            Token::LParen => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max_depth > MAX_PAREN_DEPTH {
        let reason = format!(
            "parentheses nest {max_depth} deep, over the {MAX_PAREN_DEPTH}-level analysis limit"
        );
        out.push(opaque(
            OpaqueCause::TooLarge,
            reason,
            whole,
            &origin.via,
            text,
        ));
        return;
    }
    let lines = LineIndex::new(text);
    let (tokens, outfiles) = if dialect == Dialect::Mysql {
        lift_outfiles(tokens, &lines)
    } else {
        (tokens, Vec::new())
    };
    let mut parser = Parser::new(parser_dialect).with_tokens_with_locations(tokens);
    // The text's tokens as the tokenizer gave them, made only when a statement fails to parse.
    let mut retokenized: Option<Vec<TokenWithSpan>> = None;
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        if parser.peek_token_ref().token == Token::EOF {
            break;
        }
        let start_loc = parser.peek_token_ref().span.start;
        let start = lines.offset(start_loc);
        if dialect == Dialect::Mysql
            && prepare_from(&mut parser, text, start, &lines, origin, session, out)
        {
            continue;
        }
        let parsed = parser.parse_statement().and_then(|s| {
            let next = parser.peek_token_ref();
            match next.token {
                Token::SemiColon | Token::EOF => Ok((s, next.span.start)),
                _ => Err(sqlparser::parser::ParserError::ParserError(format!(
                    "Expected: end of statement, found: {} at {}",
                    next.token, next.span.start
                ))),
            }
        });
        match parsed {
            Ok((stmt, end_loc)) => {
                let end = if parser.peek_token_ref().token == Token::EOF {
                    text.len()
                } else {
                    lines.offset(end_loc)
                };
                let stmt_text = text.get(start..end).unwrap_or(text).trim_end();
                let local = span_of(text, stmt_text);
                let outfile = outfiles.iter().find(|(at, _, _)| (start..end).contains(at));
                let cx = Cx {
                    text: stmt_text,
                    span: origin.place(local),
                    local,
                    origin,
                };
                emit(
                    &stmt,
                    &cx,
                    session,
                    out,
                    outfile.map(|(_, k, p)| (*k, p.as_str())),
                );
            }
            Err(e) => {
                let read = recognize(
                    Statement0 {
                        text,
                        start,
                        start_loc,
                    },
                    &mut retokenized,
                    parser_dialect,
                    &lines,
                    origin,
                    session,
                    out,
                );
                if let Some(end) = read {
                    // Move the parser to the statement's end, whatever the failed parse consumed.
                    let before_end = |p: &Parser<'_>| {
                        let t = p.peek_token_ref();
                        t.token != Token::EOF && end.is_none_or(|e| t.span.start < e)
                    };
                    let past_end = |p: &Parser<'_>| {
                        let t = p.peek_token_ref();
                        end.is_some_and(|e| t.token == Token::EOF || t.span.start > e)
                    };
                    while past_end(&parser) && parser.index() > 0 {
                        parser.prev_token();
                    }
                    while before_end(&parser) {
                        parser.advance_token();
                    }
                    if end.is_none() {
                        break;
                    }
                    continue;
                }
                let rest = text.get(start..).unwrap_or(text).trim_end();
                let reason = format!("the {dialect} parser rejected the statement: {e}");
                out.push(opaque(
                    OpaqueCause::ParseError,
                    reason,
                    origin.place(span_of(text, rest)),
                    &origin.via,
                    rest,
                ));
                return;
            }
        }
    }
}

/// Where a statement `sqlparser` rejected starts.
struct Statement0<'t> {
    text: &'t str,
    /// Byte offset.
    start: usize,
    start_loc: Location,
}

/// A statement `sqlparser` rejected: when [`fallback`] reads it, emits its action and returns
/// where it ends (the location of its `;`, or `None` at the end of the text).
#[allow(clippy::too_many_arguments)]
fn recognize(
    at: Statement0<'_>,
    retokenized: &mut Option<Vec<TokenWithSpan>>,
    parser_dialect: &dyn sqlparser::dialect::Dialect,
    lines: &LineIndex<'_>,
    origin: &Origin,
    session: &mut Session,
    out: &mut Vec<Action>,
) -> Option<Option<Location>> {
    let Statement0 {
        text,
        start,
        start_loc,
    } = at;
    // The failed parse consumed tokens; read the statement from the tokenizer's own output
    // (made once per text, then searched by location).
    if retokenized.is_none() {
        *retokenized = Some(
            Tokenizer::new(parser_dialect, text)
                .tokenize_with_location()
                .ok()?,
        );
    }
    let tokens = retokenized.as_deref()?;
    let first = tokens.partition_point(|t| t.span.start < start_loc);
    let mut depth = 0usize;
    let mut end = None;
    let mut significant = Vec::new();
    for t in tokens.iter().skip(first) {
        match t.token {
            Token::SemiColon if depth == 0 => {
                end = Some(t);
                break;
            }
            Token::EOF => break,
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Whitespace(_) => continue,
            _ => {}
        }
        significant.push(t);
    }
    let facts = fallback::statement(&significant, session)?;
    let stop = end.map_or(text.len(), |t| lines.offset(t.span.start));
    let stmt_text = text.get(start..stop).unwrap_or(text).trim_end();
    let local = span_of(text, stmt_text);
    out.push(facts.into_action(session, origin.place(local), &origin.via, stmt_text));
    Some(end.map(|t| t.span.start))
}

/// MySQL `PREPARE name FROM 'sql'` / `PREPARE name FROM @var` (sqlparser only knows the
/// PostgreSQL form). The statement's text is followed when it is a literal, or a user variable
/// set to a literal earlier in the request; otherwise it is dynamic code. Returns whether the
/// tokens at the parser's position were such a statement (and consumed them).
fn prepare_from(
    parser: &mut Parser<'_>,
    text: &str,
    start: usize,
    lines: &LineIndex<'_>,
    origin: &Origin,
    session: &mut Session,
    out: &mut Vec<Action>,
) -> bool {
    let [prepare, name, from, source, end] = parser.peek_tokens_with_location::<5>();
    let is_kw = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k);
    if !is_kw(&prepare.token, Keyword::PREPARE) || !is_kw(&from.token, Keyword::FROM) {
        return false;
    }
    let Token::Word(name) = &name.token else {
        return false;
    };
    if !matches!(end.token, Token::SemiColon | Token::EOF) {
        return false;
    }
    let body = match &source.token {
        Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => Some(s.clone()),
        // MySQL tokenizes `@q` as a word.
        Token::Placeholder(var) => session.variable(var).map(str::to_string),
        Token::Word(w) if w.value.starts_with('@') && w.quote_style.is_none() => {
            session.variable(&w.value).map(str::to_string)
        }
        _ => return false,
    };
    for _ in 0..4 {
        parser.advance_token();
    }
    let stop = if end.token == Token::EOF {
        text.len()
    } else {
        lines.offset(end.span.start)
    };
    let stmt_text = text.get(start..stop).unwrap_or(text).trim_end();
    let local = span_of(text, stmt_text);
    let span = origin.place(local);
    let mut facts = Facts::new(StatementKind::Prepare, ObjectKind::None, session.dialect);
    facts.sql.dynamic = true;
    out.push(facts.into_action(session, span, &origin.via, stmt_text));
    session.prepared.push(name.value.clone());
    match body {
        Some(sql) => {
            let inner = deeper(origin, "PREPARE", local);
            super::analyze_in(&sql, &inner, session, out);
        }
        None => {
            let reason = format!(
                "PREPARE takes its SQL from `{source}`, whose value is only known at run time",
                source = source.token
            );
            out.push(opaque(
                OpaqueCause::DynamicCode,
                reason,
                span,
                &origin.via,
                stmt_text,
            ));
        }
    }
    true
}

struct Cx<'o> {
    text: &'o str,
    span: [u32; 2],
    local: [u32; 2],
    origin: &'o Origin,
}

/// Line/column (1-based, columns in characters) → byte offset.
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
    /// Whether each line is ASCII (then a column is a byte offset, found in constant time:
    /// a long one-line script of many statements stays linear).
    ascii: Vec<bool>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let e = starts.get(i + 1).copied().unwrap_or(text.len());
                text.get(s..e).is_some_and(|l| l.is_ascii())
            })
            .collect();
        LineIndex {
            text,
            starts,
            ascii,
        }
    }

    fn offset(&self, loc: Location) -> usize {
        let line = usize::try_from(loc.line).unwrap_or(0);
        let col = usize::try_from(loc.column).unwrap_or(0);
        let Some(&start) = line.checked_sub(1).and_then(|l| self.starts.get(l)) else {
            return self.text.len();
        };
        if line
            .checked_sub(1)
            .and_then(|l| self.ascii.get(l))
            .copied()
            .unwrap_or(false)
        {
            return (start + col.saturating_sub(1)).min(self.text.len());
        }
        let rest = self.text.get(start..).unwrap_or("");
        let within = rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
        start + within
    }
}

/// Removes MySQL `INTO OUTFILE|DUMPFILE 'path' [options]` clauses from the token stream,
/// returning where each was (byte offset of `INTO`), its kind and its path.
fn lift_outfiles(
    tokens: Vec<TokenWithSpan>,
    lines: &LineIndex<'_>,
) -> (Vec<TokenWithSpan>, Vec<(usize, CopyTarget, String)>) {
    let is_file_word = |t: &TokenWithSpan| {
        matches!(&t.token, Token::Word(w)
            if w.value.eq_ignore_ascii_case("outfile") || w.value.eq_ignore_ascii_case("dumpfile"))
    };
    // Most statements have no such clause: keep their tokens without copying them.
    if !tokens.iter().any(is_file_word) {
        return (tokens, Vec::new());
    }
    let significant = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_));
    let mut out = Vec::with_capacity(tokens.len());
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        let is_into = matches!(&t.token, Token::Word(w) if w.keyword == Keyword::INTO);
        let next = tokens
            .iter()
            .skip(i + 1)
            .position(significant)
            .map(|p| p + i + 1);
        let target = next
            .and_then(|n| tokens.get(n))
            .and_then(|n| match &n.token {
                Token::Word(w)
                    if w.value.eq_ignore_ascii_case("outfile")
                        || w.value.eq_ignore_ascii_case("dumpfile") =>
                {
                    Some(())
                }
                _ => None,
            });
        if is_into && target.is_some() {
            let mut j = next.map_or(i + 1, |n| n + 1);
            let mut path = String::new();
            while let Some(tok) = tokens.get(j) {
                let stop = match &tok.token {
                    Token::SemiColon | Token::RParen | Token::EOF => true,
                    Token::Word(w) => matches!(
                        w.keyword,
                        Keyword::FROM
                            | Keyword::WHERE
                            | Keyword::GROUP
                            | Keyword::HAVING
                            | Keyword::ORDER
                            | Keyword::LIMIT
                            | Keyword::FOR
                            | Keyword::LOCK
                            | Keyword::UNION
                            | Keyword::WINDOW
                            | Keyword::INTO
                    ),
                    Token::SingleQuotedString(s) | Token::DoubleQuotedString(s)
                        if path.is_empty() =>
                    {
                        path = s.clone();
                        false
                    }
                    _ => false,
                };
                if stop {
                    break;
                }
                j += 1;
            }
            found.push((lines.offset(t.span.start), CopyTarget::File, path));
            i = j;
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    (out, found)
}

/// Emits one statement's action and the actions it implies.
fn emit(
    stmt: &Statement,
    cx: &Cx<'_>,
    session: &mut Session,
    out: &mut Vec<Action>,
    outfile: Option<(CopyTarget, &str)>,
) {
    let (mut facts, nested) = statement_facts(stmt, session);
    if let Some((kind, path)) = outfile {
        facts.sql.copy = kind;
        facts.sql.copy_target = path.to_string();
    }
    let mut inner = Vec::new();
    for n in &nested {
        let (nf, _) = statement_facts(n, session);
        for t in &nf.sql.tables {
            facts.table(t.clone());
        }
        for w in &nf.sql.writes {
            facts.write(w.clone());
        }
        inner.push(nf);
    }
    let too_deep = facts.too_deep;
    out.push(facts.into_action(session, cx.span, &cx.origin.via, cx.text));
    for mut nf in inner {
        nf.sql.in_cte = true;
        out.push(nf.into_action(session, cx.span, &cx.origin.via, cx.text));
    }
    if too_deep {
        let reason = format!("the WHERE clause nests more than {MAX_FOLD_DEPTH} levels deep");
        out.push(opaque(
            OpaqueCause::TooLarge,
            reason,
            cx.span,
            &cx.origin.via,
            cx.text,
        ));
    }
    match stmt {
        Statement::Explain {
            analyze: true,
            statement,
            ..
        } => {
            let origin = deeper(cx.origin, "EXPLAIN ANALYZE", cx.local);
            emit(
                statement,
                &Cx {
                    origin: &origin,
                    ..*cx
                },
                session,
                out,
                None,
            );
        }
        Statement::Prepare {
            statement, name, ..
        } => {
            let origin = deeper(cx.origin, "PREPARE", cx.local);
            emit(
                statement,
                &Cx {
                    origin: &origin,
                    ..*cx
                },
                session,
                out,
                None,
            );
            session.prepared.push(normalize(name, session.dialect));
        }
        Statement::Execute { name, .. } => {
            let n = name
                .as_ref()
                .map(|n| object_name(n, session.dialect))
                .unwrap_or_default();
            if !session.prepared.contains(&n) {
                let reason = format!(
                    "EXECUTE runs prepared statement `{n}`, which was not prepared in this request"
                );
                out.push(opaque(
                    OpaqueCause::DynamicCode,
                    reason,
                    cx.span,
                    &cx.origin.via,
                    cx.text,
                ));
            }
        }
        _ => {}
    }
    remember(stmt, session);
}

fn remember(stmt: &Statement, session: &mut Session) {
    let d = session.dialect;
    match stmt {
        Statement::Set(ast::Set::SingleAssignment {
            variable, values, ..
        }) => {
            let name = variable.to_string();
            let literal = match values.as_slice() {
                [Expr::Value(v)] => v.value.clone().into_string(),
                _ => None,
            };
            if name.starts_with('@') {
                session.set_variable(&name, literal);
            }
        }
        Statement::CreateTable(c) => {
            let (schema, name) = split_name(&c.name, d);
            let full = session.relation(&schema, &name, c.temporary);
            let bare = (c.temporary && schema.is_empty()).then_some(name.as_str());
            session.created(&full, bare);
        }
        Statement::CreateView(v) => {
            let (schema, name) = split_name(&v.name, d);
            let full = session.relation(&schema, &name, v.temporary);
            session.created(
                &full,
                (v.temporary && schema.is_empty()).then_some(name.as_str()),
            );
        }
        Statement::Drop { names, .. } => {
            for n in names {
                let (schema, name) = split_name(n, d);
                let full = session.relation(&schema, &name, false);
                session.dropped(&full);
            }
        }
        _ => {}
    }
}

/// An identifier as the dialect stores it.
fn normalize(ident: &Ident, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => ident.value.to_lowercase(),
        Dialect::Mysql => ident.value.clone(),
        Dialect::Postgres | Dialect::Generic => {
            if ident.quote_style.is_some() {
                ident.value.clone()
            } else {
                ident.value.to_lowercase()
            }
        }
    }
}

fn parts(name: &ObjectName, dialect: Dialect) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => normalize(i, dialect),
            other => other.to_string(),
        })
        .collect()
}

fn object_name(name: &ObjectName, dialect: Dialect) -> String {
    parts(name, dialect).join(".")
}

/// (schema, name) of a possibly qualified name.
fn split_name(name: &ObjectName, dialect: Dialect) -> (String, String) {
    let mut p = parts(name, dialect);
    let last = p.pop().unwrap_or_default();
    (p.join("."), last)
}

fn relation_name(name: &ObjectName, session: &Session) -> String {
    let (schema, name) = split_name(name, session.dialect);
    session.relation(&schema, &name, false)
}

fn table_factor_name(t: &ast::TableFactor, session: &Session) -> Option<String> {
    match t {
        ast::TableFactor::Table { name, .. } => Some(relation_name(name, session)),
        _ => None,
    }
}

fn snake(debug: &str) -> String {
    let head: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut out = String::new();
    for (i, c) in head.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn object_kind(t: &ast::ObjectType) -> ObjectKind {
    use ast::ObjectType as O;
    match t {
        O::Table => ObjectKind::Table,
        O::View => ObjectKind::View,
        O::MaterializedView => ObjectKind::MaterializedView,
        O::Index => ObjectKind::Index,
        O::Schema => ObjectKind::Schema,
        O::Database => ObjectKind::Database,
        O::Sequence => ObjectKind::Sequence,
        O::Role => ObjectKind::Role,
        O::User => ObjectKind::User,
        O::Type => ObjectKind::Type,
        _ => ObjectKind::Other,
    }
}

fn grant_objects(f: &mut Facts, objects: Option<&ast::GrantObjects>, session: &Session) {
    let Some(objects) = objects else { return };
    match objects {
        ast::GrantObjects::Tables(names) => {
            f.sql.object = ObjectKind::Table;
            for n in names {
                f.write(relation_name(n, session));
            }
        }
        ast::GrantObjects::Schemas(names) => {
            f.sql.object = ObjectKind::Schema;
            for n in names {
                f.write(object_name(n, session.dialect));
            }
        }
        ast::GrantObjects::AllTablesInSchema { schemas } => {
            f.sql.object = ObjectKind::Table;
            for n in schemas {
                f.write(format!("{}.*", object_name(n, session.dialect)));
            }
        }
        other => {
            // MySQL `ON db.*` and other object forms: keep their written name.
            f.sql.object = ObjectKind::Other;
            let text = other.to_string();
            let name = text.split_whitespace().last().unwrap_or("").to_string();
            f.write(name);
        }
    }
}

fn privileges(f: &mut Facts, p: &ast::Privileges) {
    match p {
        ast::Privileges::All { .. } => f.privilege("all"),
        ast::Privileges::Actions(actions) => {
            for a in actions {
                let text = a.to_string().to_lowercase();
                let name = text.split(['(', ' ']).next().unwrap_or("").to_string();
                f.privilege(&name);
            }
        }
    }
}

fn grantees(f: &mut Facts, gs: &[ast::Grantee], dialect: Dialect) {
    for g in gs {
        match (&g.grantee_type, &g.name) {
            (ast::GranteesType::Public, _) => f.grantee("public"),
            (_, Some(ast::GranteeName::ObjectName(n))) => f.grantee(&object_name(n, dialect)),
            (_, Some(other)) => f.grantee(&other.to_string().replace('\'', "")),
            (_, None) => {}
        }
    }
}

/// The facts of one statement, and the DML statements nested in its CTEs.
fn statement_facts(stmt: &Statement, session: &Session) -> (Facts, Vec<Statement>) {
    use StatementKind as K;
    if let Some((with, body)) = dml_body(stmt) {
        let (facts, mut nested) = statement_facts(body, session);
        let mut sweep = Sweep {
            facts,
            ctes: Vec::new(),
            nested: Vec::new(),
            session,
            depth: 1,
            queries: 0,
        };
        for cte in &with.cte_tables {
            sweep.ctes.push(normalize(&cte.alias.name, session.dialect));
        }
        let _ = with.visit(&mut sweep);
        // Relations the CTE names shadow are not tables.
        let ctes = sweep.ctes.clone();
        let mut facts = sweep.facts;
        facts
            .sql
            .tables
            .retain(|t| !ctes.iter().any(|c| c == t) || facts.sql.writes.contains(t));
        nested.extend(sweep.nested);
        return (facts, nested);
    }
    let d = session.dialect;
    let mut f = Facts::new(K::Other, ObjectKind::None, d);
    match stmt {
        Statement::Query(q) => {
            f.sql.statement = K::Select;
            f.sql.has_limit = q.limit_clause.is_some() || q.fetch.is_some();
            if let ast::SetExpr::Select(sel) = q.body.as_ref() {
                if let Some(w) = &sel.selection {
                    where_clause(&mut f, w);
                }
                if let Some(into) = &sel.into {
                    f.sql.statement = K::Create;
                    f.sql.object = ObjectKind::Table;
                    for t in &into.targets {
                        let name = match t {
                            Expr::Identifier(i) => normalize(i, d),
                            other => other.to_string(),
                        };
                        f.write(session.relation("", &name, into.temporary));
                    }
                }
            }
        }
        Statement::Insert(i) => {
            f.sql.statement = K::Insert;
            f.sql.object = ObjectKind::Table;
            if let ast::TableObject::TableName(n) = &i.table {
                f.write(relation_name(n, session));
            }
            if i.columns.is_empty() && i.assignments.is_empty() {
                f.column_written("*");
            }
            for c in &i.columns {
                f.column_written(object_name(c, d));
            }
            for a in &i.assignments {
                f.column_written(a.target.to_string());
            }
        }
        Statement::Update(u) => {
            f.sql.statement = K::Update;
            f.sql.object = ObjectKind::Table;
            if let Some(n) = table_factor_name(&u.table.relation, session) {
                f.write(n);
            }
            for a in &u.assignments {
                match &a.target {
                    ast::AssignmentTarget::ColumnName(n) => f.column_written(object_name(n, d)),
                    ast::AssignmentTarget::Tuple(ns) => {
                        for n in ns {
                            f.column_written(object_name(n, d));
                        }
                    }
                }
            }
            if let Some(w) = &u.selection {
                where_clause(&mut f, w);
            }
            f.sql.has_limit = u.limit.is_some();
        }
        Statement::Delete(del) => {
            f.sql.statement = K::Delete;
            f.sql.object = ObjectKind::Table;
            if del.tables.is_empty() {
                let from = match &del.from {
                    ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
                };
                for t in from {
                    if let Some(n) = table_factor_name(&t.relation, session) {
                        f.write(n);
                    }
                }
            } else {
                for n in &del.tables {
                    f.write(relation_name(n, session));
                }
            }
            if let Some(w) = &del.selection {
                where_clause(&mut f, w);
            }
            f.sql.has_limit = del.limit.is_some();
        }
        Statement::Merge(m) => {
            f.sql.statement = K::Merge;
            f.sql.object = ObjectKind::Table;
            if let Some(n) = table_factor_name(&m.table, session) {
                f.write(n);
            }
            where_clause(&mut f, &m.on);
        }
        Statement::Drop {
            object_type,
            names,
            cascade,
            table,
            temporary,
            ..
        } => {
            f.sql.statement = K::Drop;
            f.sql.object = object_kind(object_type);
            f.sql.cascade = *cascade;
            // MySQL's `DROP TEMPORARY TABLE t` drops only a temporary table (it fails on a
            // permanent `t`), so what it writes is temporary whatever the session knows.
            if *temporary && f.sql.object == ObjectKind::Table {
                f.created_temporary = true;
            }
            for n in names {
                match f.sql.object {
                    ObjectKind::Table
                    | ObjectKind::View
                    | ObjectKind::MaterializedView
                    | ObjectKind::Sequence => {
                        f.write(relation_name(n, session));
                    }
                    ObjectKind::Role | ObjectKind::User => f.role(&object_name(n, d)),
                    _ => f.write(object_name(n, d)),
                }
            }
            if let Some(t) = table {
                f.write(relation_name(t, session));
            }
        }
        // MySQL and SQLite `DROP TRIGGER name` (no table): the trigger itself is what goes;
        // with `ON table` (the PostgreSQL spelling) the table is written, as PostgreSQL's is.
        Statement::DropTrigger(t) => {
            f.sql.statement = K::Drop;
            f.sql.object = ObjectKind::Trigger;
            match &t.table_name {
                Some(table) => f.write(relation_name(table, session)),
                None => f.write(object_name(&t.trigger_name, d)),
            }
        }
        Statement::Truncate(t) => {
            f.sql.statement = K::Truncate;
            f.sql.object = ObjectKind::Table;
            f.sql.cascade = matches!(t.cascade, Some(ast::CascadeOption::Cascade));
            for n in &t.table_names {
                f.write(relation_name(&n.name, session));
            }
        }
        Statement::AlterTable(a) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Table;
            f.write(relation_name(&a.name, session));
            for op in &a.operations {
                let name = match op {
                    ast::AlterTableOperation::RenameTable { .. }
                    | ast::AlterTableOperation::RenameColumn { .. } => "rename".to_string(),
                    other => snake(&format!("{other:?}")),
                };
                if let ast::AlterTableOperation::DropColumn {
                    column_names,
                    drop_behavior,
                    ..
                } = op
                {
                    for c in column_names {
                        f.column_written(normalize(c, d));
                    }
                    f.sql.cascade |= matches!(drop_behavior, Some(ast::DropBehavior::Cascade));
                }
                if let ast::AlterTableOperation::AddColumn { column_def, .. } = op {
                    f.column_written(normalize(&column_def.name, d));
                }
                f.operation(&name);
            }
        }
        Statement::RenameTable(rs) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Table;
            f.operation("rename");
            for r in rs {
                f.write(relation_name(&r.old_name, session));
                f.write(relation_name(&r.new_name, session));
            }
        }
        Statement::CreateTable(c) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Table;
            let (schema, name) = split_name(&c.name, d);
            f.write(session.relation(&schema, &name, c.temporary));
        }
        Statement::CreateVirtualTable { name, .. } => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Table;
            f.write(relation_name(name, session));
        }
        Statement::CreateView(v) => {
            f.sql.statement = K::Create;
            f.sql.object = if v.materialized {
                ObjectKind::MaterializedView
            } else {
                ObjectKind::View
            };
            let (schema, name) = split_name(&v.name, d);
            f.write(session.relation(&schema, &name, v.temporary));
        }
        Statement::CreateIndex(i) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Index;
            f.write(relation_name(&i.table_name, session));
        }
        Statement::CreateSchema { schema_name, .. } => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Schema;
            f.write(schema_name.to_string());
        }
        Statement::CreateDatabase { db_name, .. } => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Database;
            f.write(object_name(db_name, d));
        }
        Statement::CreateRole(r) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Role;
            for n in &r.names {
                f.role(&object_name(n, d));
            }
            for (attr, on) in [
                ("superuser", r.superuser),
                ("createdb", r.create_db),
                ("createrole", r.create_role),
                ("login", r.login),
                ("replication", r.replication),
                ("bypassrls", r.bypassrls),
            ] {
                match on {
                    Some(true) => f.privilege(attr),
                    Some(false) => f.privilege(&format!("no{attr}")),
                    None => {}
                }
            }
        }
        Statement::CreateUser(u) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::User;
            f.role(&normalize(&u.name, d));
        }
        Statement::AlterRole { name, .. } => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Role;
            f.role(&normalize(name, d));
        }
        Statement::AlterUser(u) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::User;
            f.role(&normalize(&u.name, d));
        }
        Statement::CreateFunction(_)
        | Statement::CreateProcedure { .. }
        | Statement::CreateTrigger(_) => {
            f.sql.statement = K::Create;
            f.sql.object = match stmt {
                Statement::CreateFunction(_) => ObjectKind::Function,
                Statement::CreateProcedure { .. } => ObjectKind::Procedure,
                _ => ObjectKind::Trigger,
            };
        }
        Statement::Grant(g) => {
            f.sql.statement = K::Grant;
            privileges(&mut f, &g.privileges);
            grant_objects(&mut f, g.objects.as_ref(), session);
            grantees(&mut f, &g.grantees, d);
            if g.with_grant_option {
                f.privilege("grant_option");
            }
        }
        Statement::Revoke(r) => {
            f.sql.statement = K::Revoke;
            privileges(&mut f, &r.privileges);
            grant_objects(&mut f, r.objects.as_ref(), session);
            grantees(&mut f, &r.grantees, d);
            f.sql.cascade = matches!(r.cascade, Some(ast::CascadeOption::Cascade));
        }
        Statement::GrantRole(g) => {
            f.sql.statement = K::Grant;
            f.sql.object = ObjectKind::Role;
            for r in &g.roles {
                f.role(&normalize(r, d));
            }
            grantees(&mut f, &g.grantees, d);
        }
        Statement::Set(s) => {
            f.sql.statement = K::Set;
            match s {
                ast::Set::SingleAssignment { variable, .. } => {
                    if let Some(name) = system_variable(&object_name(variable, d)) {
                        f.setting(&name);
                    }
                }
                ast::Set::ParenthesizedAssignments { variables, .. } => {
                    for v in variables {
                        f.setting(&object_name(v, d));
                    }
                }
                ast::Set::MultipleAssignments { assignments } => {
                    for a in assignments {
                        f.setting(&object_name(&a.name, d));
                    }
                }
                other => f.setting(&snake(&format!("{other:?}"))),
            }
        }
        Statement::Pragma { name, value, .. } => {
            let name_text = object_name(name, d);
            f.sql.statement = if value.is_none() || fallback::read_only_pragma(&name_text) {
                K::Show
            } else {
                K::Set
            };
            f.setting(&object_name(name, d));
        }
        Statement::Copy {
            source, to, target, ..
        } => {
            f.sql.statement = K::Copy;
            f.sql.object = ObjectKind::Table;
            if let ast::CopySource::Table { table_name, .. } = source {
                let n = relation_name(table_name, session);
                if *to {
                    f.table(n);
                } else {
                    f.write(n);
                }
            }
            let (kind, path) = match target {
                ast::CopyTarget::Stdin => (CopyTarget::Stdin, String::new()),
                ast::CopyTarget::Stdout => (CopyTarget::Stdout, String::new()),
                ast::CopyTarget::File { filename } => (CopyTarget::File, filename.clone()),
                ast::CopyTarget::Program { command } => (CopyTarget::Program, command.clone()),
            };
            f.sql.copy = kind;
            f.sql.copy_target = path;
        }
        Statement::LoadData {
            inpath, table_name, ..
        } => {
            f.sql.statement = K::Copy;
            f.sql.object = ObjectKind::Table;
            f.sql.copy = CopyTarget::File;
            f.sql.copy_target = inpath.clone();
            f.write(relation_name(table_name, session));
        }
        Statement::AttachDatabase {
            schema_name,
            database_file_name,
            ..
        } => {
            f.sql.object = ObjectKind::Database;
            f.sql.copy = CopyTarget::File;
            f.sql.copy_target = match database_file_name {
                Expr::Value(v) => v.value.clone().into_string().unwrap_or_default(),
                other => other.to_string(),
            };
            f.write(normalize(schema_name, d));
        }
        Statement::Explain { statement, .. } => {
            f.sql.statement = K::Explain;
            let (inner, _) = statement_facts(statement, session);
            for t in inner.sql.tables {
                f.table(t);
            }
        }
        Statement::Execute { .. } => {
            f.sql.statement = K::Execute;
            f.sql.dynamic = true;
        }
        Statement::Prepare { .. } => {
            // The prepared statement is its own action (via `PREPARE`); preparing runs nothing.
            f.sql.statement = K::Prepare;
            f.sql.dynamic = true;
            return (f, Vec::new());
        }
        Statement::Deallocate { .. } => f.sql.statement = K::Deallocate,
        Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => f.sql.statement = K::Transaction,
        Statement::Use(_) => f.sql.statement = K::Use,
        Statement::Vacuum(_) => f.sql.statement = K::Vacuum,
        Statement::Analyze(_) => f.sql.statement = K::Analyze,
        Statement::Call(_) => f.sql.statement = K::Call,
        Statement::Lock(_) | Statement::LockTables { .. } | Statement::UnlockTables => {
            f.sql.statement = K::Lock
        }
        Statement::Comment { .. } => f.sql.statement = K::Comment,
        Statement::Reset(r) => {
            f.sql.statement = K::Reset;
            match &r.reset {
                ast::Reset::ALL => f.setting("all"),
                ast::Reset::SessionAuthorization => f.setting("session_authorization"),
                ast::Reset::ConfigurationParameter(n) => {
                    let name = object_name(n, d).to_lowercase();
                    // MySQL `RESET MASTER` deletes every binary log (the server's record of
                    // changes, which replicas and point-in-time recovery read).
                    if d == Dialect::Mysql && name == "master" {
                        f.sql.object = ObjectKind::System;
                        f.setting("log_bin");
                    } else {
                        f.setting(&name);
                    }
                }
            }
        }
        Statement::Discard { .. } => f.sql.statement = K::Discard,
        Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowCollation { .. }
        | Statement::ShowProcessList { .. } => f.sql.statement = K::Show,
        _ => {}
    }
    let mut sweep = Sweep {
        facts: f,
        ctes: Vec::new(),
        nested: Vec::new(),
        session,
        depth: 0,
        queries: 0,
    };
    let _ = stmt.visit(&mut sweep);
    let mut f = sweep.facts;
    if matches!(stmt, Statement::Set(_)) {
        // `SET x = value`: a bare word value is not a column.
        f.sql.columns_read.clear();
    }
    // A temporary relation being created is not also read under its unshadowed name.
    let created_temp = match stmt {
        Statement::CreateTable(c) if c.temporary => Some(&c.name),
        Statement::CreateView(v) if v.temporary => Some(&v.name),
        _ => None,
    };
    if let Some(name) = created_temp {
        let plain = relation_name(name, session);
        if !f.sql.writes.iter().any(|w| *w == plain) {
            f.sql.tables.retain(|t| *t != plain);
        }
        f.created_temporary = true;
    }
    (f, sweep.nested)
}

/// `WITH … DELETE …` parses as a query whose body is the DML statement: that statement is
/// the one that runs, with the query's CTEs in scope.
fn dml_body(stmt: &Statement) -> Option<(&ast::With, &Statement)> {
    let Statement::Query(q) = stmt else {
        return None;
    };
    let with = q.with.as_ref()?;
    match q.body.as_ref() {
        ast::SetExpr::Insert(s)
        | ast::SetExpr::Update(s)
        | ast::SetExpr::Delete(s)
        | ast::SetExpr::Merge(s) => Some((with, s)),
        _ => None,
    }
}

/// A server setting named by `SET`: MySQL user variables (`@q`) are not settings, and system
/// variables lose their `@@global.`-style prefix.
fn system_variable(name: &str) -> Option<String> {
    if name.starts_with('@') && !name.starts_with("@@") {
        return None;
    }
    let bare = name.trim_start_matches('@');
    let lower = bare.to_lowercase();
    for scope in ["global.", "session.", "local.", "persist.", "persist_only."] {
        if let Some(rest) = lower.strip_prefix(scope) {
            return Some(rest.to_string());
        }
    }
    Some(lower)
}

fn where_clause(f: &mut Facts, w: &Expr) {
    let mut deep = false;
    let v = fold_expr(w, f.sql.dialect, 0, &mut deep);
    let independent = row_independent(w, 0);
    f.where_clause(&v, deep, independent);
    f.too_deep |= deep;
}

/// Whether an expression reads nothing of the row it is evaluated for (see the PostgreSQL
/// front end's twin): no column, no subquery, no per-row function; anything unfamiliar counts
/// as reading the row.
fn row_independent(e: &Expr, depth: u32) -> bool {
    if depth > MAX_FOLD_DEPTH {
        return false;
    }
    let d = depth + 1;
    let one = |x: &Expr| row_independent(x, d);
    match e {
        // MySQL user variables (`@v`) are one value for the whole statement.
        Expr::Identifier(i) => i.value.starts_with('@') && i.quote_style.is_none(),
        Expr::Value(_) | Expr::TypedString { .. } => true,
        Expr::Nested(x)
        | Expr::UnaryOp { expr: x, .. }
        | Expr::IsNull(x)
        | Expr::IsNotNull(x)
        | Expr::IsTrue(x)
        | Expr::IsNotTrue(x)
        | Expr::IsFalse(x)
        | Expr::IsNotFalse(x)
        | Expr::Cast { expr: x, .. } => one(x),
        Expr::BinaryOp { left, right, .. } => one(left) && one(right),
        Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => one(a) && one(b),
        Expr::Between {
            expr, low, high, ..
        } => one(expr) && one(low) && one(high),
        Expr::In {
            expr,
            target: ast::InTarget::List(list),
            ..
        } => one(expr) && list.iter().all(one),
        Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
            one(expr) && one(pattern)
        }
        Expr::Tuple(items) => items.iter().all(one),
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            operand.as_deref().is_none_or(one)
                && conditions
                    .iter()
                    .all(|w| one(&w.condition) && one(&w.result))
                && else_result.as_deref().is_none_or(one)
        }
        Expr::Function(f) => {
            let ast::FunctionArguments::List(list) = &f.args else {
                return matches!(f.args, ast::FunctionArguments::None)
                    && !fold::per_row_function(&object_name(&f.name, Dialect::Generic));
            };
            f.over.is_none()
                && f.filter.is_none()
                && !fold::per_row_function(&object_name(&f.name, Dialect::Generic))
                && list.args.iter().all(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => one(x),
                    _ => false,
                })
        }
        _ => false,
    }
}

/// Visits the whole tree: relations, functions, columns, nested DML.
struct Sweep<'s> {
    facts: Facts,
    ctes: Vec<String>,
    nested: Vec<Statement>,
    session: &'s Session,
    depth: u32,
    /// Queries entered: DML below a query is DML in a CTE.
    queries: u32,
}

impl Sweep<'_> {
    /// `*` and `t.*` in a select list read whole rows (as the PostgreSQL analysis records them).
    fn wildcards(&mut self, body: &ast::SetExpr) {
        match body {
            ast::SetExpr::Select(sel) => {
                for item in &sel.projection {
                    match item {
                        ast::SelectItem::Wildcard(_) => self.facts.column_read("*"),
                        ast::SelectItem::QualifiedWildcard(
                            ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                            _,
                        ) => self
                            .facts
                            .column_read(format!("{}.*", object_name(n, self.session.dialect))),
                        _ => {}
                    }
                }
            }
            ast::SetExpr::SetOperation { left, right, .. } => {
                self.wildcards(left);
                self.wildcards(right);
            }
            _ => {}
        }
    }
}

impl Visitor for Sweep<'_> {
    type Break = ();

    fn pre_visit_statement(&mut self, s: &Statement) -> ControlFlow<()> {
        let dml = matches!(
            s,
            Statement::Insert(_)
                | Statement::Update(_)
                | Statement::Delete(_)
                | Statement::Merge(_)
        );
        if self.depth > 0 && self.queries > 0 && dml {
            self.nested.push(s.clone());
        }
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_statement(&mut self, _s: &Statement) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _q: &ast::Query) -> ControlFlow<()> {
        self.queries = self.queries.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &ast::Query) -> ControlFlow<()> {
        self.queries += 1;
        self.wildcards(&q.body);
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                self.ctes
                    .push(normalize(&cte.alias.name, self.session.dialect));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, r: &ObjectName) -> ControlFlow<()> {
        let (schema, name) = split_name(r, self.session.dialect);
        if schema.is_empty() && self.ctes.contains(&name) {
            return ControlFlow::Continue(());
        }
        self.facts
            .table(self.session.relation(&schema, &name, false));
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        let d = self.session.dialect;
        match e {
            Expr::Function(func) => self.facts.function(&object_name(&func.name, d)),
            // `@q` is a MySQL user variable, not a column.
            Expr::Identifier(i) if i.value.starts_with('@') && i.quote_style.is_none() => {}
            Expr::Identifier(i) => self.facts.column_read(normalize(i, d)),
            Expr::CompoundIdentifier(is) => {
                let name: Vec<String> = is.iter().map(|i| normalize(i, d)).collect();
                self.facts.column_read(name.join("."));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The single expression of `SELECT <expr>` with no FROM, WHERE, HAVING, LIMIT or set
/// operation: such a subquery yields exactly one row.
fn one_row(q: &ast::Query) -> Option<&Expr> {
    if q.with.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return None;
    }
    let ast::SetExpr::Select(sel) = q.body.as_ref() else {
        return None;
    };
    if !sel.from.is_empty() || sel.selection.is_some() || sel.having.is_some() {
        return None;
    }
    match sel.projection.as_slice() {
        [ast::SelectItem::UnnamedExpr(e)] | [ast::SelectItem::ExprWithAlias { expr: e, .. }] => {
            Some(e)
        }
        _ => None,
    }
}

/// Folds a sqlparser expression to a constant where it can.
fn fold_expr(e: &Expr, d: Dialect, depth: u32, deep: &mut bool) -> Val {
    use ast::{BinaryOperator as B, UnaryOperator as U};
    if depth > MAX_FOLD_DEPTH {
        *deep = true;
        return Val::Unknown;
    }
    let n = depth + 1;
    match e {
        Expr::Nested(x) => fold_expr(x, d, n, deep),
        Expr::Value(v) => match &v.value {
            ast::Value::Number(s, _) => s.parse().map_or(Val::Unknown, Val::Num),
            ast::Value::Boolean(b) => Val::Bool(*b),
            ast::Value::Null => Val::Null,
            other => other.clone().into_string().map_or(Val::Unknown, Val::Str),
        },
        Expr::Identifier(i) => Val::Col(normalize(i, d)),
        Expr::CompoundIdentifier(is) => Val::Col(
            is.iter()
                .map(|i| normalize(i, d))
                .collect::<Vec<_>>()
                .join("."),
        ),
        Expr::UnaryOp { op, expr } => {
            let v = fold_expr(expr, d, n, deep);
            match (op, v) {
                (U::Not, v) => fold::not(v, d),
                (U::Minus, Val::Num(x)) => Val::Num(-x),
                (U::Plus, v @ Val::Num(_)) => v,
                _ => Val::Unknown,
            }
        }
        Expr::BinaryOp { left, op, right }
            if matches!(
                (left.as_ref(), right.as_ref()),
                (Expr::Tuple(_), Expr::Tuple(_))
            ) =>
        {
            let (Expr::Tuple(l), Expr::Tuple(r)) = (left.as_ref(), right.as_ref()) else {
                return Val::Unknown;
            };
            let l: Vec<Val> = l.iter().map(|x| fold_expr(x, d, n, deep)).collect();
            let r: Vec<Val> = r.iter().map(|x| fold_expr(x, d, n, deep)).collect();
            match op {
                B::Eq => fold::compare_rows(Cmp::Eq, &l, &r, d),
                B::NotEq => fold::compare_rows(Cmp::NotEq, &l, &r, d),
                _ => Val::Unknown,
            }
        }
        Expr::BinaryOp { left, op, right } => {
            let l = fold_expr(left, d, n, deep);
            let r = fold_expr(right, d, n, deep);
            match op {
                B::And => fold::and([l, r], d),
                B::Or => match fold::or([l, r], d) {
                    Val::Unknown if has_complementary_pair(e) => Val::Bool(true),
                    v => v,
                },
                B::Xor => match (fold::truth(&l, d), fold::truth(&r, d)) {
                    (Some(a), Some(b)) => Val::Bool(a != b),
                    _ => Val::Unknown,
                },
                // `lower(s) = lower(s)`: like `x = x`, true wherever it is not NULL.
                B::Eq | B::LtEq | B::GtEq
                    if matches!((&l, &r), (Val::Unknown, Val::Unknown))
                        && left == right
                        && !mentions_per_row_function(left) =>
                {
                    Val::Bool(true)
                }
                B::Eq => fold::compare(Cmp::Eq, &l, &r, d),
                B::NotEq => fold::compare(Cmp::NotEq, &l, &r, d),
                B::Lt => fold::compare(Cmp::Lt, &l, &r, d),
                B::LtEq => fold::compare(Cmp::LtEq, &l, &r, d),
                B::Gt => fold::compare(Cmp::Gt, &l, &r, d),
                B::GtEq => fold::compare(Cmp::GtEq, &l, &r, d),
                B::Spaceship => match (&l, &r) {
                    (Val::Null, Val::Null) => Val::Bool(true),
                    _ => fold::compare(Cmp::Eq, &l, &r, d),
                },
                B::Plus => fold::arith("+", &l, &r),
                B::Minus => fold::arith("-", &l, &r),
                B::Multiply => fold::arith("*", &l, &r),
                B::Divide => fold::arith("/", &l, &r),
                B::Modulo => fold::arith("%", &l, &r),
                B::StringConcat => fold::arith("||", &l, &r),
                B::Glob => fold::glob(&l, &r),
                _ => Val::Unknown,
            }
        }
        Expr::IsNull(x) => fold::is_null(&fold_expr(x, d, n, deep)),
        Expr::IsNotNull(x) => fold::not(fold::is_null(&fold_expr(x, d, n, deep)), d),
        Expr::IsTrue(x) => fold::is_bool(&fold_expr(x, d, n, deep), true, d),
        Expr::IsNotTrue(x) => fold::not(fold::is_bool(&fold_expr(x, d, n, deep), true, d), d),
        Expr::IsFalse(x) => fold::is_bool(&fold_expr(x, d, n, deep), false, d),
        Expr::IsNotFalse(x) => fold::not(fold::is_bool(&fold_expr(x, d, n, deep), false, d), d),
        Expr::In {
            expr,
            target: ast::InTarget::List(list),
            negated,
            ..
        } => {
            let l = fold_expr(expr, d, n, deep);
            let items: Vec<Val> = list.iter().map(|i| fold_expr(i, d, n, deep)).collect();
            fold::in_list(&l, &items, *negated, d)
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let v = fold_expr(expr, d, n, deep);
            let lo = fold_expr(low, d, n, deep);
            let hi = fold_expr(high, d, n, deep);
            let inside = fold::and(
                [
                    fold::compare(Cmp::GtEq, &v, &lo, d),
                    fold::compare(Cmp::LtEq, &v, &hi, d),
                ],
                d,
            );
            if *negated {
                fold::not(inside, d)
            } else {
                inside
            }
        }
        Expr::Like {
            negated,
            expr,
            pattern,
            ..
        }
        | Expr::ILike {
            negated,
            expr,
            pattern,
            ..
        } => fold::like(
            &fold_expr(expr, d, n, deep),
            &fold_expr(pattern, d, n, deep),
            *negated,
        ),
        Expr::Exists { subquery, negated } if one_row(subquery).is_some() => Val::Bool(!*negated),
        Expr::Subquery(q) => match one_row(q) {
            Some(item) => fold_expr(item, d, n, deep),
            None => Val::Unknown,
        },
        Expr::Cast {
            expr, data_type, ..
        } => {
            let ty = data_type.to_string();
            let ty = ty.split(['(', ' ']).next().unwrap_or("").to_string();
            fold::cast(fold_expr(expr, d, n, deep), &ty, d)
        }
        Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
            let (a, b) = (fold_expr(a, d, n, deep), fold_expr(b, d, n, deep));
            let same = match (&a, &b) {
                (Val::Null, Val::Null) => Val::Bool(true),
                (Val::Null, Val::Bool(_) | Val::Num(_) | Val::Str(_))
                | (Val::Bool(_) | Val::Num(_) | Val::Str(_), Val::Null) => Val::Bool(false),
                (a, b) => fold::compare(Cmp::Eq, a, b, d),
            };
            if matches!(e, Expr::IsDistinctFrom(..)) {
                fold::not(same, d)
            } else {
                same
            }
        }
        Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            // `CASE x WHEN v …` compares `x = v`; a searched CASE tests each condition.
            let operand = operand.as_deref().map(|o| fold_expr(o, d, n, deep));
            let arms = conditions
                .iter()
                .map(|w| {
                    let cond = fold_expr(&w.condition, d, n, deep);
                    let cond = match &operand {
                        Some(x) => fold::compare(Cmp::Eq, x, &cond, d),
                        None => cond,
                    };
                    (cond, fold_expr(&w.result, d, n, deep))
                })
                .collect::<Vec<_>>();
            let otherwise = match else_result {
                Some(e) => fold_expr(e, d, n, deep),
                None => Val::Null,
            };
            fold::case(arms, otherwise, d)
        }
        Expr::Function(f) => fold_function(f, d, n, deep),
        _ => Val::Unknown,
    }
}

/// Whether the operands of an OR chain hold a predicate and its complement: `x IS NULL OR x
/// IS NOT NULL` (true for every row), or `p OR NOT p` (true wherever `p` is not NULL: like
/// `x = x`, it only leaves NULLs out).
fn has_complementary_pair(e: &Expr) -> bool {
    fn operands<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        match e {
            Expr::BinaryOp {
                left,
                op: ast::BinaryOperator::Or,
                right,
            } => {
                operands(left, out, budget);
                operands(right, out, budget);
            }
            Expr::Nested(x) => operands(x, out, budget),
            other => out.push(other),
        }
    }
    let mut ops = Vec::new();
    let mut budget = 256;
    operands(e, &mut ops, &mut budget);
    fn unnest(mut x: &Expr) -> &Expr {
        while let Expr::Nested(inner) = x {
            x = inner;
        }
        x
    }
    fn negated(x: &Expr) -> Option<&Expr> {
        match unnest(x) {
            Expr::UnaryOp {
                op: ast::UnaryOperator::Not,
                expr,
            } => Some(unnest(expr)),
            _ => None,
        }
    }
    let volatile = |x: &Expr| mentions_per_row_function(x);
    ops.iter().enumerate().any(|(i, a)| {
        ops.iter().skip(i + 1).any(|b| {
            let (a, b) = (unnest(a), unnest(b));
            let nulls = match (a, b) {
                (Expr::IsNull(x), Expr::IsNotNull(y)) | (Expr::IsNotNull(x), Expr::IsNull(y)) => {
                    x == y && !volatile(x)
                }
                _ => false,
            };
            nulls
                || negated(a).is_some_and(|p| p == b && !volatile(b))
                || negated(b).is_some_and(|p| p == a && !volatile(a))
        })
    })
}

/// Whether a per-row function (`random()`, `rand()`) is called anywhere in `e`.
fn mentions_per_row_function(e: &Expr) -> bool {
    let mut found = false;
    let _ = ast::visit_expressions(e, |x| {
        if let Expr::Function(f) = x
            && fold::per_row_function(&object_name(&f.name, Dialect::Generic))
        {
            found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    found
}

/// The conditional functions a WHERE can hide a constant in: `COALESCE`/`IFNULL` (`NVL`),
/// `NULLIF`, MySQL `IF`, SQLite `iif`, `GREATEST`/`LEAST` and SQLite's scalar `max`/`min`.
/// Any other function is unknown.
fn fold_function(f: &ast::Function, d: Dialect, n: u32, deep: &mut bool) -> Val {
    let ast::FunctionArguments::List(list) = &f.args else {
        return Val::Unknown;
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return Val::Unknown;
    }
    let mut args = Vec::with_capacity(list.args.len());
    for a in &list.args {
        match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => {
                args.push(fold_expr(e, d, n, deep));
            }
            _ => return Val::Unknown,
        }
    }
    let name = object_name(&f.name, d).to_ascii_lowercase();
    match (name.as_str(), args.as_slice()) {
        ("coalesce", [_, ..]) | ("ifnull" | "nvl", [_, _]) => fold::coalesce(args),
        ("nullif", [a, b]) => fold::nullif(a.clone(), b, d),
        ("if", [c, a, b]) if d == Dialect::Mysql => {
            fold::case([(c.clone(), a.clone())], b.clone(), d)
        }
        ("iif", [c, a, b]) if d == Dialect::Sqlite => {
            fold::case([(c.clone(), a.clone())], b.clone(), d)
        }
        ("greatest", [_, ..]) if d != Dialect::Sqlite => fold::extreme(args, true, d),
        ("least", [_, ..]) if d != Dialect::Sqlite => fold::extreme(args, false, d),
        // With one argument SQLite's max/min are aggregates; with two or more, scalars.
        ("max", [_, _, ..]) if d == Dialect::Sqlite => fold::extreme(args, true, d),
        ("min", [_, _, ..]) if d == Dialect::Sqlite => fold::extreme(args, false, d),
        _ => Val::Unknown,
    }
}
