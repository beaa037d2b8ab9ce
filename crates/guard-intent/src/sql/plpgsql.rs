//! `DO $$ … $$` blocks and `CREATE FUNCTION|PROCEDURE` bodies: libpg_query's PL/pgSQL parser
//! finds the statements inside.
//!
//! Every embedded SQL statement (`DELETE …`, `PERFORM …`, `FOR r IN SELECT …`) becomes an
//! action of its own, reached via `"DO"` (or `"CREATE FUNCTION"`: a body defined now can run
//! later in the same request). `EXECUTE` of a string literal (or a concatenation of literals)
//! is followed via `"DO", "EXECUTE"`; `EXECUTE` of anything else yields an `execute` action plus
//! an `opaque` action (`dynamic_code`), because what it runs is only known at run time.
//! Functions called in PL/pgSQL expressions (`IF pg_read_file(…) …`, `x := dblink(…)`) are
//! added to the `DO` action itself. `LANGUAGE sql` bodies are plain SQL and analysed as such.
//!
//! Invariant: a body the PL/pgSQL parser rejects, or a body in a language guard cannot read
//! (`plpython3u`, `c`), is `opaque`: guard never treats code it could not read as harmless.

use guard_model::{Action, ActionDetail, OpaqueCause, StatementKind};
use pg_query::NodeEnum;
use pg_query::protobuf as pb;
use serde_json::Value;

use super::fold::Val;
use super::pg::{Place, Walk, fold_node};
use super::{Facts, Session, analyze_in, deeper};
use crate::{Origin, opaque};

/// How deep the PL/pgSQL JSON tree is followed (serde_json itself stops at 128).
const MAX_JSON_DEPTH: u32 = 256;

/// Emits the actions of a `DO` block's body; `own` is the index of the `DO` action in `out`.
pub(crate) fn do_block(
    s: &pb::DoStmt,
    cx: &Place<'_>,
    session: &mut Session,
    out: &mut Vec<Action>,
    own: usize,
) {
    let mut body = None;
    let mut language = String::from("plpgsql");
    for a in &s.args {
        let Some(NodeEnum::DefElem(d)) = &a.node else {
            continue;
        };
        let value = match d.arg.as_ref().and_then(|v| v.node.as_ref()) {
            Some(NodeEnum::String(v)) => v.sval.as_str(),
            _ => continue,
        };
        match d.defname.as_str() {
            "as" => body = Some(value),
            "language" => language = value.to_lowercase(),
            _ => {}
        }
    }
    set_language(out, own, &language);
    let origin = deeper(cx.origin, "DO", cx.local);
    if language != "plpgsql" {
        let reason =
            format!("the DO block is written in `{language}`, which guard does not analyse");
        out.push(opaque(
            OpaqueCause::Unsupported,
            reason,
            cx.span,
            &origin.via,
            cx.text,
        ));
        return;
    }
    let Some(body) = body else { return };
    let tag = dollar_tag(body);
    let wrapped =
        format!("CREATE FUNCTION guard_do() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}");
    body_actions(parse_function(&wrapped), cx, &origin, session, out, own);
}

/// Records the body's language on the `DO` / `CREATE FUNCTION` action itself.
fn set_language(out: &mut [Action], own: usize, language: &str) {
    if let Some(Action {
        detail: ActionDetail::Sql(own),
        ..
    }) = out.get_mut(own)
    {
        own.language = language.to_string();
    }
}

/// Parses a PL/pgSQL function definition with libpg_query.
fn parse_function(function_sql: &str) -> Result<Value, pg_query::Error> {
    pg_query::parse_plpgsql(function_sql)
}

/// A trigger function's body as the body of a plain function returning `record`, with `NEW`
/// and `OLD` declared in an enclosing block so assignments to their fields still parse. The
/// statements are the same; only the trigger variables libpg_query cannot print are gone.
fn trigger_free_function(body: &str) -> String {
    let inner = body.trim_end();
    let inner = inner.strip_suffix(';').unwrap_or(inner);
    let wrapped = format!("DECLARE new record; old record; BEGIN\n{inner}\n; END");
    let tag = dollar_tag(&wrapped);
    format!(
        "CREATE FUNCTION guard_trigger() RETURNS record LANGUAGE plpgsql AS {tag}{wrapped}{tag}"
    )
}

/// `CREATE FUNCTION|PROCEDURE`: the body does not run now, but a later statement of the same
/// request (or a trigger) can run it, so its statements are actions of their own, reached via
/// `"CREATE FUNCTION"`. Bodies in languages guard cannot read are `opaque`.
pub(crate) fn create_function(
    s: &pb::CreateFunctionStmt,
    cx: &Place<'_>,
    session: &mut Session,
    out: &mut Vec<Action>,
    own: usize,
) {
    let mut language = String::from("sql");
    let mut body: Vec<&str> = Vec::new();
    for o in &s.options {
        let Some(NodeEnum::DefElem(d)) = &o.node else {
            continue;
        };
        match (
            d.defname.as_str(),
            d.arg.as_ref().and_then(|v| v.node.as_ref()),
        ) {
            ("language", Some(NodeEnum::String(v))) => language = v.sval.to_lowercase(),
            ("as", Some(NodeEnum::List(l))) => {
                body = l
                    .items
                    .iter()
                    .filter_map(|i| match &i.node {
                        Some(NodeEnum::String(v)) => Some(v.sval.as_str()),
                        _ => None,
                    })
                    .collect();
            }
            _ => {}
        }
    }
    set_language(out, own, &language);
    let step = if s.is_procedure {
        "CREATE PROCEDURE"
    } else {
        "CREATE FUNCTION"
    };
    let origin = deeper(cx.origin, step, cx.local);
    match (language.as_str(), body.as_slice()) {
        ("plpgsql", _) => {
            let tree = match (parse_function(cx.text), body.as_slice()) {
                // libpg_query cannot print the trigger variables (`TG_NAME`, …) of a trigger
                // function as JSON; the same body declared inside a plain function parses.
                (Err(pg_query::Error::InvalidJson(_)), [text]) => {
                    parse_function(&trigger_free_function(text))
                }
                (tree, _) => tree,
            };
            body_actions(tree, cx, &origin, session, out, own);
        }
        ("sql", [text]) => analyze_in(text, &origin, session, out),
        // `BEGIN ATOMIC … END`: the statements are already parsed.
        ("sql", []) => {
            if let Some(NodeEnum::List(l)) = s.sql_body.as_ref().and_then(|b| b.node.as_ref()) {
                for n in l.items.iter().filter_map(|i| i.node.as_ref()) {
                    let items: Vec<&NodeEnum> = match n {
                        NodeEnum::List(inner) => {
                            inner.items.iter().filter_map(|i| i.node.as_ref()).collect()
                        }
                        other => vec![other],
                    };
                    for stmt in items {
                        super::pg::emit(
                            stmt,
                            &Place {
                                origin: &origin,
                                ..*cx
                            },
                            session,
                            out,
                            false,
                        );
                    }
                }
            }
        }
        _ => {
            let reason = format!(
                "the function body is written in `{language}`, which guard does not analyse"
            );
            out.push(opaque(
                OpaqueCause::Unsupported,
                reason,
                cx.span,
                &origin.via,
                cx.text,
            ));
        }
    }
}

/// Emits the actions of a parsed PL/pgSQL function definition.
fn body_actions(
    parsed: Result<Value, pg_query::Error>,
    cx: &Place<'_>,
    origin: &Origin,
    session: &mut Session,
    out: &mut Vec<Action>,
    own: usize,
) {
    let tree = match parsed {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("the PL/pgSQL parser rejected the body: {e}");
            out.push(opaque(
                OpaqueCause::ParseError,
                reason,
                cx.span,
                &origin.via,
                cx.text,
            ));
            return;
        }
    };
    let mut body_facts = Facts::new(
        StatementKind::Do,
        guard_model::ObjectKind::None,
        session.dialect,
    );
    let mut state = State {
        cx,
        origin,
        facts: &mut body_facts,
    };
    state.walk(&tree, session, out, 0);
    // Expression-level facts belong to the DO action itself.
    if let Some(Action {
        detail: ActionDetail::Sql(own),
        ..
    }) = out.get_mut(own)
    {
        for f in body_facts.sql.functions {
            super::push_unique(&mut own.functions, f);
        }
        for s in body_facts.sql.settings {
            super::push_unique(&mut own.settings, s);
        }
        for t in body_facts.sql.tables {
            if !own.tables.contains(&t) {
                own.tables.push(t.clone());
                own.reads.push(t);
            }
        }
        for c in body_facts.sql.columns_read {
            super::push_unique(&mut own.columns_read, c);
        }
    }
}

/// A dollar-quote tag that does not occur in `body`.
fn dollar_tag(body: &str) -> String {
    let mut n = 0u32;
    loop {
        let tag = if n == 0 {
            "$guard$".to_string()
        } else {
            format!("$guard{n}$")
        };
        if !body.contains(&tag) {
            return tag;
        }
        n += 1;
    }
}

struct State<'p, 'o> {
    cx: &'p Place<'o>,
    origin: &'p Origin,
    facts: &'p mut Facts,
}

impl State<'_, '_> {
    fn walk(&mut self, v: &Value, session: &mut Session, out: &mut Vec<Action>, depth: u32) {
        if depth > MAX_JSON_DEPTH {
            let reason = "the DO body nests statements too deeply to analyse";
            out.push(opaque(
                OpaqueCause::TooLarge,
                reason,
                self.cx.span,
                &self.origin.via,
                self.cx.text,
            ));
            return;
        }
        match v {
            Value::Object(map) => {
                for (key, child) in map {
                    match key.as_str() {
                        "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors" => {
                            if let Some(q) = expr_query(child.get("query")) {
                                self.dynamic(q, session, out);
                            }
                            self.walk_except(child, &["query"], session, out, depth + 1);
                        }
                        "PLpgSQL_stmt_open" | "PLpgSQL_stmt_return_query" => {
                            if let Some(q) = expr_query(child.get("dynquery")) {
                                self.dynamic(q, session, out);
                            }
                            self.walk_except(child, &["dynquery"], session, out, depth + 1);
                        }
                        "PLpgSQL_expr" => self.expr(child, session, out),
                        _ => self.walk(child, session, out, depth + 1),
                    }
                }
            }
            Value::Array(items) => {
                for i in items {
                    self.walk(i, session, out, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn walk_except(
        &mut self,
        v: &Value,
        skip: &[&str],
        session: &mut Session,
        out: &mut Vec<Action>,
        depth: u32,
    ) {
        if let Value::Object(map) = v {
            for (k, child) in map {
                if !skip.contains(&k.as_str()) {
                    self.walk(child, session, out, depth + 1);
                }
            }
        }
    }

    /// A PL/pgSQL expression: a whole statement (parse mode 0) or an expression.
    fn expr(&mut self, e: &Value, session: &mut Session, out: &mut Vec<Action>) {
        let Some(query) = e.get("query").and_then(Value::as_str) else {
            return;
        };
        let mode = e.get("parseMode").and_then(Value::as_i64).unwrap_or(0);
        if mode == 0 {
            analyze_in(query, self.origin, session, out);
            return;
        }
        let mode = i32::try_from(mode).unwrap_or(2);
        match pg_query::parse(query, mode) {
            Ok(parsed) => {
                for raw in &parsed.protobuf.stmts {
                    if let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
                        let mut w = Walk::new(session);
                        w.generic_or_typed(node);
                        merge(self.facts, w.facts);
                    }
                }
            }
            Err(e) => {
                let reason = format!(
                    "the PostgreSQL parser rejected the PL/pgSQL expression `{query}`: {e}"
                );
                out.push(opaque(
                    OpaqueCause::ParseError,
                    reason,
                    self.cx.span,
                    &self.origin.via,
                    self.cx.text,
                ));
            }
        }
    }

    /// `EXECUTE <expr>`: followed when the expression is a constant string.
    fn dynamic(&mut self, expr: &str, session: &mut Session, out: &mut Vec<Action>) {
        let mut facts = Facts::new(
            StatementKind::Execute,
            guard_model::ObjectKind::None,
            session.dialect,
        );
        facts.sql.dynamic = true;
        let mut literal = None;
        if let Ok(parsed) = pg_query::parse(expr, pg_query::ParserOptions::PLPGSQL_EXPR) {
            for raw in &parsed.protobuf.stmts {
                let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) else {
                    continue;
                };
                if let NodeEnum::SelectStmt(s) = node
                    && let [target] = s.target_list.as_slice()
                    && s.from_clause.is_empty()
                    && let Some(NodeEnum::ResTarget(rt)) = &target.node
                    && let Some(val) = &rt.val
                    && let Val::Str(sql) = fold_node(val, 0, &mut false)
                {
                    literal = Some(sql);
                }
                let mut w = Walk::new(session);
                w.generic_or_typed(node);
                merge(&mut facts, w.facts);
            }
        }
        out.push(facts.into_action(session, self.cx.span, &self.origin.via, expr));
        match literal {
            Some(sql) => {
                let origin = deeper(self.origin, "EXECUTE", self.cx.local);
                analyze_in(&sql, &origin, session, out);
            }
            None => {
                let reason = format!("EXECUTE runs SQL built at run time: `{expr}`");
                out.push(opaque(
                    OpaqueCause::DynamicCode,
                    reason,
                    self.cx.span,
                    &self.origin.via,
                    expr,
                ));
            }
        }
    }
}

/// `{"PLpgSQL_expr": {"query": "…"}}` → the query text.
fn expr_query(v: Option<&Value>) -> Option<&str> {
    v?.get("PLpgSQL_expr")?.get("query")?.as_str()
}

fn merge(into: &mut Facts, from: Facts) {
    for f in from.sql.functions {
        into.function(&f);
    }
    for s in from.sql.settings {
        into.setting(&s);
    }
    for t in from.sql.tables {
        into.table(t);
    }
    for c in from.sql.columns_read {
        into.column_read(c);
    }
    into.too_deep |= from.too_deep;
}
