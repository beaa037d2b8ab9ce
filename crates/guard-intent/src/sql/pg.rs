//! PostgreSQL front end: libpg_query's tree (the server's own grammar) → [`Facts`].
//!
//! Per statement: [`statement_facts`] sets the kind, object and targets; [`Walk`] then sweeps
//! every child node for relations read, functions called, columns read and DML hidden in CTEs.
//! The walker knows the common expression and query nodes; any other node is serialised and
//! swept generically (see [`Walk::generic`]), so a node kind we did not anticipate can hide no
//! function call or relation.
//!
//! Invariants: the libpg_query parse is the only parse of the text (no second parser to
//! disagree with it); statement spans come from `RawStmt.stmt_location/stmt_len`; recursion is
//! bounded because prost rejects messages nested more than 100 deep, and [`Walk`] also stops
//! (marking the statement too deep) past [`MAX_WALK_DEPTH`].

use guard_model::{Action, CopyTarget, Dialect, ObjectKind, OpaqueCause, StatementKind};
use pg_query::NodeEnum;
use pg_query::protobuf::{
    self as pb, AExprKind, AlterTableType, BoolExprType, BoolTestType, DropBehavior,
    GrantTargetType, Node, NullTestType, ObjectType, RoleSpecType, VariableSetKind,
};

use super::fold::{self, Cmp, Val};
use super::{Facts, Session, deeper, plpgsql, span_of};
use crate::{Origin, opaque};

/// Depth past which [`Walk`] and the folder stop and mark the statement too deep.
const MAX_WALK_DEPTH: u32 = 200;

const D: Dialect = Dialect::Postgres;

/// Analyses PostgreSQL text, appending one or more actions to `out`.
pub(crate) fn analyze(text: &str, origin: &Origin, session: &mut Session, out: &mut Vec<Action>) {
    let parsed = match pg_query::parse(text, 0) {
        Ok(p) => p,
        Err(e) => {
            let reason = format!(
                "the PostgreSQL parser rejected the text: {}",
                error_message(&e)
            );
            out.push(opaque(
                OpaqueCause::ParseError,
                reason,
                origin.place(span_of(text, text)),
                &origin.via,
                text,
            ));
            return;
        }
    };
    for raw in &parsed.protobuf.stmts {
        let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) else {
            continue;
        };
        let stmt_text = statement_text(text, raw.stmt_location, raw.stmt_len);
        let local = span_of(text, stmt_text);
        let cx = Place {
            text: stmt_text,
            span: origin.place(local),
            local,
            origin,
        };
        emit(node, &cx, session, out, false);
    }
}

/// Where a statement sits: its text, its span in the request and the origin it came through.
pub(crate) struct Place<'o> {
    pub text: &'o str,
    /// The span to record.
    pub span: [u32; 2],
    /// The statement's range in the text being analysed (used to nest origins).
    pub local: [u32; 2],
    pub origin: &'o Origin,
}

fn error_message(e: &pg_query::Error) -> String {
    match e {
        pg_query::Error::Parse(m) | pg_query::Error::Split(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The text of one statement: libpg_query gives its start and length (0 = to the end).
fn statement_text(text: &str, location: i32, len: i32) -> &str {
    let start = usize::try_from(location).unwrap_or(0).min(text.len());
    let end = match usize::try_from(len) {
        Ok(0) | Err(_) => text.len(),
        Ok(n) => (start + n).min(text.len()),
    };
    text.get(start..end)
        .unwrap_or(text)
        .trim_end_matches(|c: char| c.is_whitespace() || c == ';')
}

/// Analyses one statement node and emits its action, then the actions it implies (DML in
/// CTEs, prepared and explained-and-run statements, `DO` bodies).
pub(crate) fn emit(
    node: &NodeEnum,
    cx: &Place<'_>,
    session: &mut Session,
    out: &mut Vec<Action>,
    in_cte: bool,
) {
    let (mut facts, nested, ctes) = statement_facts(node, session, &[]);
    facts.sql.in_cte = in_cte;
    // DML hidden in CTEs: each is an action of its own, and the outer statement writes what
    // they write.
    let mut inner = Vec::new();
    for n in nested {
        let (nf, more, _) = statement_facts(n, session, &ctes);
        for t in &nf.sql.tables {
            facts.table(t.clone());
        }
        for w in &nf.sql.writes {
            facts.write(w.clone());
        }
        inner.push(nf);
        for m in more {
            inner.push(statement_facts(m, session, &ctes).0);
        }
    }
    let too_deep = facts.too_deep || inner.iter().any(|f| f.too_deep);
    let own = out.len();
    out.push(facts.into_action(session, cx.span, &cx.origin.via, cx.text));
    for mut nf in inner {
        nf.sql.in_cte = true;
        out.push(nf.into_action(session, cx.span, &cx.origin.via, cx.text));
    }
    if too_deep {
        let reason =
            format!("the statement nests expressions more than {MAX_WALK_DEPTH} levels deep");
        out.push(opaque(
            OpaqueCause::TooLarge,
            reason,
            cx.span,
            &cx.origin.via,
            cx.text,
        ));
    }
    follow(node, cx, session, out, own);
    remember(node, session);
}

/// Emits what a statement runs besides itself.
fn follow(
    node: &NodeEnum,
    cx: &Place<'_>,
    session: &mut Session,
    out: &mut Vec<Action>,
    own: usize,
) {
    match node {
        NodeEnum::ExplainStmt(s) if explain_runs(s) => {
            if let Some(q) = s.query.as_ref().and_then(|q| q.node.as_ref()) {
                let origin = deeper(cx.origin, "EXPLAIN ANALYZE", cx.local);
                emit(
                    q,
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
        NodeEnum::PrepareStmt(s) => {
            if let Some(q) = s.query.as_ref().and_then(|q| q.node.as_ref()) {
                let origin = deeper(cx.origin, "PREPARE", cx.local);
                emit(
                    q,
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
        NodeEnum::ExecuteStmt(s) if !session.prepared.contains(&s.name) => {
            let reason = format!(
                "EXECUTE runs prepared statement `{}`, which was not prepared in this request",
                s.name
            );
            out.push(opaque(
                OpaqueCause::DynamicCode,
                reason,
                cx.span,
                &cx.origin.via,
                cx.text,
            ));
        }
        NodeEnum::DoStmt(s) => plpgsql::do_block(s, cx, session, out, own),
        NodeEnum::CreateFunctionStmt(s) => plpgsql::create_function(s, cx, session, out, own),
        _ => {}
    }
}

/// Updates the request's state after a statement.
fn remember(node: &NodeEnum, session: &mut Session) {
    match node {
        NodeEnum::CreateStmt(s) => {
            if let Some(rv) = &s.relation {
                created(rv, session);
            }
        }
        NodeEnum::CreateTableAsStmt(s) => {
            if let Some(rv) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                created(rv, session);
            }
        }
        NodeEnum::SelectStmt(s) => {
            if let Some(rv) = s.into_clause.as_ref().and_then(|i| i.rel.as_ref()) {
                created(rv, session);
            }
        }
        NodeEnum::ViewStmt(s) => {
            if let Some(rv) = &s.view {
                created(rv, session);
            }
        }
        NodeEnum::CreateSeqStmt(s) => {
            if let Some(rv) = &s.sequence {
                created(rv, session);
            }
        }
        NodeEnum::DropStmt(s) if is_relation_type(s.remove_type) => {
            for o in &s.objects {
                if let Some(name) = qualified_name(o, session) {
                    session.dropped(&name);
                }
            }
        }
        NodeEnum::PrepareStmt(s) => session.prepared.push(s.name.clone()),
        _ => {}
    }
}

fn created(rv: &pb::RangeVar, session: &mut Session) {
    let temp = rv.relpersistence == "t";
    let name = session.relation(&rv.schemaname, &rv.relname, temp);
    let bare = (temp && rv.schemaname.is_empty()).then_some(rv.relname.as_str());
    session.created(&name, bare);
}

fn explain_runs(s: &pb::ExplainStmt) -> bool {
    s.options.iter().any(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) if d.defname == "analyze" => {
            match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
                None => true,
                Some(NodeEnum::Boolean(b)) => b.boolval,
                Some(NodeEnum::String(s)) => {
                    !matches!(s.sval.as_str(), "false" | "off" | "0" | "no")
                }
                Some(NodeEnum::Integer(i)) => i.ival != 0,
                Some(_) => true,
            }
        }
        _ => false,
    })
}

/// The facts of one statement, and the DML statements nested in its CTEs.
fn statement_facts<'a>(
    node: &'a NodeEnum,
    session: &Session,
    outer_ctes: &[String],
) -> (Facts, Vec<&'a NodeEnum>, Vec<String>) {
    use NodeEnum as N;
    use StatementKind as K;
    let mut w = Walk::new(session);
    w.ctes.extend(outer_ctes.iter().cloned());
    let f = &mut w.facts;
    match node {
        N::SelectStmt(s) => {
            if let Some(rel) = s.into_clause.as_ref().and_then(|i| i.rel.as_ref()) {
                // `SELECT … INTO t` creates a table.
                f.sql.statement = K::Create;
                f.sql.object = ObjectKind::Table;
                let name =
                    session.relation(&rel.schemaname, &rel.relname, rel.relpersistence == "t");
                f.write(name);
            } else {
                f.sql.statement = K::Select;
            }
            w.select(s, 0, true);
        }
        N::InsertStmt(s) => {
            f.sql.statement = K::Insert;
            f.sql.object = ObjectKind::Table;
            w.with(s.with_clause.as_ref(), 0);
            w.written(s.relation.as_ref());
            if s.cols.is_empty() {
                w.facts.column_written("*");
            }
            for c in &s.cols {
                if let Some(NodeEnum::ResTarget(t)) = &c.node {
                    w.facts.column_written(t.name.clone());
                }
            }
            w.opt(s.select_stmt.as_deref(), 0);
            if let Some(oc) = &s.on_conflict_clause {
                for t in &oc.target_list {
                    w.set_target(t, 0);
                }
                w.opt(oc.where_clause.as_deref(), 0);
            }
            w.returning(s.returning_clause.as_ref());
        }
        N::UpdateStmt(s) => {
            f.sql.statement = K::Update;
            f.sql.object = ObjectKind::Table;
            w.with(s.with_clause.as_ref(), 0);
            let mut target = None;
            if let Some(rv) = &s.relation {
                let name = w.relation(rv);
                target = Some(name.clone());
                w.facts.write(name);
            }
            for t in &s.target_list {
                w.set_target(t, 0);
            }
            w.list(&s.from_clause, 0);
            w.where_clause(s.where_clause.as_deref());
            w.self_semijoin(s.where_clause.as_deref(), target.as_deref());
            w.returning(s.returning_clause.as_ref());
        }
        N::DeleteStmt(s) => {
            f.sql.statement = K::Delete;
            f.sql.object = ObjectKind::Table;
            w.with(s.with_clause.as_ref(), 0);
            let mut target = None;
            if let Some(rv) = &s.relation {
                let name = w.relation(rv);
                target = Some(name.clone());
                w.facts.write(name);
            }
            w.list(&s.using_clause, 0);
            w.where_clause(s.where_clause.as_deref());
            w.self_semijoin(s.where_clause.as_deref(), target.as_deref());
            w.returning(s.returning_clause.as_ref());
        }
        N::MergeStmt(s) => {
            f.sql.statement = K::Merge;
            f.sql.object = ObjectKind::Table;
            w.with(s.with_clause.as_ref(), 0);
            w.written(s.relation.as_ref());
            w.opt(s.source_relation.as_deref(), 0);
            // The join condition decides which rows the WHEN clauses touch.
            w.where_clause(s.join_condition.as_deref());
            for c in &s.merge_when_clauses {
                if let Some(NodeEnum::MergeWhenClause(m)) = &c.node {
                    w.opt(m.condition.as_deref(), 0);
                    for t in &m.target_list {
                        w.set_target(t, 0);
                    }
                    w.list(&m.values, 0);
                }
            }
            w.returning(s.returning_clause.as_ref());
        }
        N::DropStmt(s) => {
            f.sql.statement = K::Drop;
            f.sql.object = object_kind(s.remove_type);
            f.sql.cascade = s.behavior == DropBehavior::DropCascade as i32;
            let on_table = matches!(f.sql.object, ObjectKind::Trigger | ObjectKind::Policy)
                || s.remove_type == ObjectType::ObjectRule as i32;
            for o in &s.objects {
                // `DROP TRIGGER t ON tbl` names [tbl…, t]: the table is what changes.
                let name = match (&o.node, on_table) {
                    (Some(NodeEnum::List(l)), true) => {
                        let mut items = l.items.clone();
                        items.pop();
                        qualified_name(
                            &Node {
                                node: Some(NodeEnum::List(pb::List { items })),
                            },
                            session,
                        )
                    }
                    _ => qualified_name(o, session),
                };
                if let Some(name) = name {
                    w.facts.write(name);
                }
            }
        }
        N::TruncateStmt(s) => {
            f.sql.statement = K::Truncate;
            f.sql.object = ObjectKind::Table;
            f.sql.cascade = s.behavior == DropBehavior::DropCascade as i32;
            for r in &s.relations {
                if let Some(NodeEnum::RangeVar(rv)) = &r.node {
                    w.written(Some(rv));
                }
            }
        }
        N::AlterTableStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = object_kind(s.objtype);
            w.written(s.relation.as_ref());
            for c in &s.cmds {
                if let Some(NodeEnum::AlterTableCmd(cmd)) = &c.node {
                    w.alter_cmd(cmd);
                }
            }
        }
        N::RenameStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = object_kind(s.rename_type);
            f.sql.cascade = s.behavior == DropBehavior::DropCascade as i32;
            f.operation("rename");
            if s.rename_type == ObjectType::ObjectColumn as i32 {
                f.column_written(s.subname.clone());
            }
            w.altered(s.relation.as_ref(), s.object.as_deref());
        }
        N::AlterOwnerStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = object_kind(s.object_type);
            f.operation("owner");
            if let Some(r) = &s.newowner {
                f.grantee(&role_name(r));
            }
            w.altered(s.relation.as_ref(), s.object.as_deref());
        }
        N::AlterObjectSchemaStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = object_kind(s.object_type);
            f.operation("set_schema");
            w.altered(s.relation.as_ref(), s.object.as_deref());
        }
        N::CreateStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Table;
            if let Some(rv) = &s.relation {
                let name = session.relation(&rv.schemaname, &rv.relname, rv.relpersistence == "t");
                w.facts.write(name);
            }
            w.list(&s.table_elts, 0);
            w.list(&s.inh_relations, 0);
            w.list(&s.constraints, 0);
        }
        N::CreateTableAsStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = object_kind(s.objtype);
            if let Some(rv) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                let name = session.relation(&rv.schemaname, &rv.relname, rv.relpersistence == "t");
                w.facts.write(name);
            }
            w.opt(s.query.as_deref(), 0);
        }
        N::ViewStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::View;
            if let Some(rv) = &s.view {
                let name = session.relation(&rv.schemaname, &rv.relname, rv.relpersistence == "t");
                w.facts.write(name);
            }
            w.opt(s.query.as_deref(), 0);
        }
        N::IndexStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Index;
            w.written(s.relation.as_ref());
            w.list(&s.index_params, 0);
            w.opt(s.where_clause.as_deref(), 0);
        }
        N::CreateSeqStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Sequence;
            if let Some(rv) = &s.sequence {
                let name = session.relation(&rv.schemaname, &rv.relname, rv.relpersistence == "t");
                w.facts.write(name);
            }
        }
        N::CreateSchemaStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Schema;
            f.write(s.schemaname.clone());
            if let Some(r) = &s.authrole {
                f.grantee(&role_name(r));
            }
            w.list(&s.schema_elts, 0);
        }
        N::CreatedbStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Database;
            f.write(s.dbname.clone());
        }
        N::DropdbStmt(s) => {
            f.sql.statement = K::Drop;
            f.sql.object = ObjectKind::Database;
            f.write(s.dbname.clone());
        }
        N::CreateRoleStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = role_kind(s.stmt_type);
            f.role(&s.role);
            role_options(f, &s.options);
        }
        N::AlterRoleStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Role;
            if let Some(r) = &s.role {
                f.role(&role_name(r));
            }
            role_options(f, &s.options);
        }
        N::AlterRoleSetStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Role;
            match &s.role {
                Some(r) => f.role(&role_name(r)),
                None => f.role("all"),
            }
            if let Some(set) = &s.setstmt {
                setting_names(f, set);
            }
        }
        N::DropRoleStmt(s) => {
            f.sql.statement = K::Drop;
            f.sql.object = ObjectKind::Role;
            for r in &s.roles {
                if let Some(NodeEnum::RoleSpec(r)) = &r.node {
                    f.role(&role_name(r));
                }
            }
        }
        N::DropOwnedStmt(s) => {
            f.sql.statement = K::Drop;
            f.sql.object = ObjectKind::Owned;
            f.sql.cascade = s.behavior == DropBehavior::DropCascade as i32;
            for r in &s.roles {
                if let Some(NodeEnum::RoleSpec(r)) = &r.node {
                    f.role(&role_name(r));
                }
            }
        }
        N::ReassignOwnedStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Owned;
            f.operation("owner");
            for r in &s.roles {
                if let Some(NodeEnum::RoleSpec(r)) = &r.node {
                    f.role(&role_name(r));
                }
            }
            if let Some(r) = &s.newrole {
                f.grantee(&role_name(r));
            }
        }
        N::AlterSystemStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::System;
            if let Some(set) = &s.setstmt {
                setting_names(f, set);
            }
        }
        N::AlterDatabaseSetStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Database;
            f.write(s.dbname.clone());
            if let Some(set) = &s.setstmt {
                setting_names(f, set);
            }
        }
        N::AlterDatabaseStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Database;
            f.write(s.dbname.clone());
        }
        N::VariableSetStmt(s) => {
            let reset = s.kind == VariableSetKind::VarReset as i32
                || s.kind == VariableSetKind::VarResetAll as i32;
            f.sql.statement = if reset { K::Reset } else { K::Set };
            setting_names(f, s);
            if s.name == "role" || s.name == "session_authorization" {
                for a in &s.args {
                    if let Some(Val::Str(r)) = Some(fold_node(a, 0, &mut false)) {
                        f.role(&r);
                    }
                }
            }
        }
        N::VariableShowStmt(_) => f.sql.statement = K::Show,
        N::GrantStmt(s) => grant(&mut w, s),
        N::GrantRoleStmt(s) => {
            f.sql.statement = if s.is_grant { K::Grant } else { K::Revoke };
            f.sql.object = ObjectKind::Role;
            for r in &s.granted_roles {
                if let Some(NodeEnum::AccessPriv(p)) = &r.node {
                    f.role(&p.priv_name);
                }
            }
            for r in &s.grantee_roles {
                if let Some(NodeEnum::RoleSpec(r)) = &r.node {
                    f.grantee(&role_name(r));
                }
            }
            for o in &s.opt {
                if let Some(NodeEnum::DefElem(d)) = &o.node {
                    f.privilege(&format!("{}_option", d.defname));
                }
            }
        }
        N::AlterDefaultPrivilegesStmt(s) => {
            if let Some(g) = &s.action {
                grant(&mut w, g);
            }
            w.facts.operation("default_privileges");
        }
        N::CopyStmt(s) => {
            f.sql.statement = K::Copy;
            f.sql.object = ObjectKind::Table;
            f.sql.copy = match (s.is_from, s.is_program, s.filename.is_empty()) {
                (_, true, _) => CopyTarget::Program,
                (_, false, false) => CopyTarget::File,
                (true, false, true) => CopyTarget::Stdin,
                (false, false, true) => CopyTarget::Stdout,
            };
            f.sql.copy_target = s.filename.clone();
            if let Some(rv) = &s.relation {
                let name = w.relation(rv);
                if s.is_from {
                    w.facts.write(name);
                }
            }
            for a in &s.attlist {
                if let Some(NodeEnum::String(c)) = &a.node {
                    if s.is_from {
                        w.facts.column_written(c.sval.clone());
                    } else {
                        w.facts.column_read(c.sval.clone());
                    }
                }
            }
            w.opt(s.query.as_deref(), 0);
            w.opt(s.where_clause.as_deref(), 0);
        }
        N::CallStmt(s) => {
            f.sql.statement = K::Call;
            f.sql.object = ObjectKind::Procedure;
            if let Some(fc) = &s.funccall {
                w.func_call(fc, 0);
            }
        }
        N::ExecuteStmt(s) => {
            f.sql.statement = K::Execute;
            f.sql.dynamic = true;
            w.list(&s.params, 0);
        }
        N::PrepareStmt(_) => {
            f.sql.statement = K::Prepare;
            f.sql.dynamic = true;
        }
        N::DeallocateStmt(_) => f.sql.statement = K::Deallocate,
        N::DoStmt(_) => {
            f.sql.statement = K::Do;
            f.sql.dynamic = true;
        }
        N::ExplainStmt(s) => {
            f.sql.statement = K::Explain;
            if let Some(q) = s.query.as_ref().and_then(|q| q.node.as_ref()) {
                // Plain EXPLAIN plans without running: the relations are touched, not written.
                let (inner, _, _) = statement_facts(q, session, &[]);
                for t in inner.sql.tables {
                    w.facts.table(t);
                }
                for c in inner.sql.functions {
                    w.facts.function(&c);
                }
            }
        }
        N::TransactionStmt(_) => f.sql.statement = K::Transaction,
        N::VacuumStmt(s) => {
            f.sql.statement = if s.is_vacuumcmd {
                K::Vacuum
            } else {
                K::Analyze
            };
            f.sql.object = ObjectKind::Table;
            for r in &s.rels {
                if let Some(NodeEnum::VacuumRelation(vr)) = &r.node
                    && let Some(rv) = &vr.relation
                {
                    let name = w.relation(rv);
                    if s.is_vacuumcmd {
                        w.facts.write(name);
                    }
                }
            }
        }
        N::LockStmt(s) => {
            f.sql.statement = K::Lock;
            f.sql.object = ObjectKind::Table;
            w.list(&s.relations, 0);
        }
        N::CommentStmt(s) => {
            f.sql.statement = K::Comment;
            f.sql.object = object_kind(s.objtype);
            if let Some(name) = s.object.as_ref().and_then(|o| qualified_name(o, session)) {
                w.facts.write(name);
            }
        }
        N::LoadStmt(_) => f.sql.statement = K::Load,
        N::ReindexStmt(s) => {
            f.sql.statement = K::Reindex;
            w.written(s.relation.as_ref());
        }
        N::ClusterStmt(s) => {
            f.sql.statement = K::Cluster;
            f.sql.object = ObjectKind::Table;
            w.written(s.relation.as_ref());
        }
        N::RefreshMatViewStmt(s) => {
            f.sql.statement = K::Refresh;
            f.sql.object = ObjectKind::MaterializedView;
            w.written(s.relation.as_ref());
        }
        N::ListenStmt(_) | N::UnlistenStmt(_) => f.sql.statement = K::Listen,
        N::NotifyStmt(_) => f.sql.statement = K::Notify,
        N::DiscardStmt(_) => f.sql.statement = K::Discard,
        N::CreateFunctionStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = if s.is_procedure {
                ObjectKind::Procedure
            } else {
                ObjectKind::Function
            };
            f.write(routine_name(&s.funcname, session));
            // `CREATE OR REPLACE` may overwrite a function that already exists (and every
            // trigger calling it): a new function cannot.
            if s.replace {
                f.operation("or_replace");
            }
        }
        N::CreateTrigStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Trigger;
            if s.replace {
                f.operation("or_replace");
            }
            w.written(s.relation.as_ref());
            w.facts.function(&dotted(&s.funcname));
            w.opt(s.when_clause.as_deref(), 0);
        }
        N::CreateEventTrigStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::EventTrigger;
            f.write(s.trigname.clone());
            f.function(&dotted(&s.funcname));
        }
        N::AlterEventTrigStmt(s) => {
            // `ENABLE REPLICA` fires only while `session_replication_role = replica`: in every
            // ordinary session the trigger is as good as disabled.
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::EventTrigger;
            f.write(s.trigname.clone());
            f.operation(match s.tgenabled.as_str() {
                "D" => "disable_trigger",
                "R" => "replica_trigger",
                _ => "enable_trigger",
            });
        }
        N::CreateExtensionStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Extension;
            f.write(s.extname.clone());
        }
        N::AlterExtensionStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Extension;
            f.write(s.extname.clone());
        }
        N::CreatePolicyStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Policy;
            w.written(s.table.as_ref());
            // A restrictive policy only narrows what permissive ones allow; a permissive one's
            // USING / WITH CHECK is the row filter, read like a WHERE.
            if s.permissive {
                w.policy_filter(s.qual.as_deref(), s.with_check.as_deref());
            }
            w.opt(s.qual.as_deref(), 0);
            w.opt(s.with_check.as_deref(), 0);
        }
        N::AlterPolicyStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Policy;
            w.written(s.table.as_ref());
            w.policy_filter(s.qual.as_deref(), s.with_check.as_deref());
            w.opt(s.qual.as_deref(), 0);
            w.opt(s.with_check.as_deref(), 0);
        }
        N::CreateForeignServerStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Server;
            f.write(s.servername.clone());
        }
        N::CreatePublicationStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Publication;
            f.write(s.pubname.clone());
            if s.for_all_tables {
                f.operation("all_tables");
            }
            w.list(&s.pubobjects, 0);
        }
        N::AlterPublicationStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Publication;
            f.write(s.pubname.clone());
            w.list(&s.pubobjects, 0);
        }
        N::CreateSubscriptionStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Subscription;
            f.write(s.subname.clone());
        }
        N::AlterSubscriptionStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Subscription;
            f.write(s.subname.clone());
        }
        N::DropSubscriptionStmt(s) => {
            f.sql.statement = K::Drop;
            f.sql.object = ObjectKind::Subscription;
            f.sql.cascade = s.behavior == DropBehavior::DropCascade as i32;
            f.write(s.subname.clone());
        }
        N::CreateTableSpaceStmt(s) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Tablespace;
            f.write(s.tablespacename.clone());
        }
        N::DropTableSpaceStmt(s) => {
            f.sql.statement = K::Drop;
            f.sql.object = ObjectKind::Tablespace;
            f.write(s.tablespacename.clone());
        }
        N::CreateDomainStmt(_)
        | N::DefineStmt(_)
        | N::CreateEnumStmt(_)
        | N::CompositeTypeStmt(_)
        | N::CreateRangeStmt(_) => {
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Type;
            w.generic(node, 0);
        }
        N::AlterEnumStmt(_) | N::AlterDomainStmt(_) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Type;
        }
        N::AlterFunctionStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = object_kind(s.objtype);
            if let Some(func) = &s.func {
                f.write(routine_name(&func.objname, session));
            }
        }
        N::AlterSeqStmt(s) => {
            f.sql.statement = K::Alter;
            f.sql.object = ObjectKind::Sequence;
            w.written(s.sequence.as_ref());
        }
        N::RuleStmt(s) => {
            // Rules rewrite every later query on the relation.
            f.sql.statement = K::Create;
            f.sql.object = ObjectKind::Other;
            w.written(s.relation.as_ref());
            w.opt(s.where_clause.as_deref(), 0);
            w.list(&s.actions, 0);
        }
        N::DeclareCursorStmt(s) => {
            f.sql.statement = K::Select;
            w.opt(s.query.as_deref(), 0);
        }
        N::CheckPointStmt(_) | N::FetchStmt(_) | N::ClosePortalStmt(_) => {
            f.sql.statement = K::Other
        }
        other => {
            f.sql.statement = if is_create(other) {
                K::Create
            } else {
                K::Other
            };
            w.generic(other, 0);
        }
    }
    (w.facts, w.nested, w.ctes)
}

fn is_create(node: &NodeEnum) -> bool {
    matches!(
        node,
        NodeEnum::CreateFdwStmt(_)
            | NodeEnum::CreateUserMappingStmt(_)
            | NodeEnum::CreateCastStmt(_)
            | NodeEnum::CreateConversionStmt(_)
            | NodeEnum::CreateOpClassStmt(_)
            | NodeEnum::CreateOpFamilyStmt(_)
            | NodeEnum::CreatePlangStmt(_)
            | NodeEnum::CreateStatsStmt(_)
            | NodeEnum::CreateTransformStmt(_)
            | NodeEnum::CreateAmStmt(_)
            | NodeEnum::CreateForeignTableStmt(_)
            | NodeEnum::ImportForeignSchemaStmt(_)
    )
}

fn grant(w: &mut Walk<'_, '_>, s: &pb::GrantStmt) {
    let f = &mut w.facts;
    f.sql.statement = if s.is_grant {
        StatementKind::Grant
    } else {
        StatementKind::Revoke
    };
    f.sql.object = object_kind(s.objtype);
    f.sql.cascade = s.behavior == DropBehavior::DropCascade as i32;
    if s.privileges.is_empty() {
        f.privilege("all");
    }
    for p in &s.privileges {
        if let Some(NodeEnum::AccessPriv(p)) = &p.node {
            f.privilege(&p.priv_name);
            for c in &p.cols {
                if let Some(NodeEnum::String(c)) = &c.node {
                    f.column_written(c.sval.clone());
                }
            }
        }
    }
    if s.grant_option {
        f.privilege("grant_option");
    }
    for g in &s.grantees {
        if let Some(NodeEnum::RoleSpec(r)) = &g.node {
            f.grantee(&role_name(r));
        }
    }
    let all_in_schema = s.targtype == GrantTargetType::AclTargetAllInSchema as i32;
    for o in &s.objects {
        let name = match &o.node {
            Some(NodeEnum::RangeVar(rv)) => {
                Some(w.session.relation(&rv.schemaname, &rv.relname, false))
            }
            Some(NodeEnum::String(n)) if all_in_schema => Some(format!("{}.*", n.sval)),
            _ => qualified_name(o, w.session),
        };
        if let Some(name) = name {
            w.facts.write(name);
        }
    }
}

fn role_kind(stmt_type: i32) -> ObjectKind {
    if stmt_type == pb::RoleStmtType::RolestmtUser as i32 {
        ObjectKind::User
    } else {
        ObjectKind::Role
    }
}

/// Role attributes set by `CREATE/ALTER ROLE … WITH …`, as privileges.
fn role_options(f: &mut Facts, options: &[Node]) {
    for o in options {
        let Some(NodeEnum::DefElem(d)) = &o.node else {
            continue;
        };
        let on = match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
            Some(NodeEnum::Boolean(b)) => b.boolval,
            Some(NodeEnum::Integer(i)) => i.ival != 0,
            _ => true,
        };
        let attr = match d.defname.as_str() {
            "superuser" => "superuser",
            "createrole" => "createrole",
            "createdb" => "createdb",
            "canlogin" => "login",
            "isreplication" => "replication",
            "bypassrls" => "bypassrls",
            "inherit" => "inherit",
            "password" => "password",
            "validUntil" => "valid_until",
            "connectionlimit" => "connection_limit",
            "addroleto" | "rolemembers" | "adminmembers" => {
                for r in role_list(d.arg.as_deref()) {
                    f.grantee(&r);
                }
                continue;
            }
            other => other,
        };
        if on || matches!(attr, "password" | "valid_until" | "connection_limit") {
            f.privilege(attr);
        } else {
            f.privilege(&format!("no{attr}"));
        }
    }
}

fn role_list(n: Option<&Node>) -> Vec<String> {
    match n.and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::List(l)) => l
            .items
            .iter()
            .filter_map(|i| match &i.node {
                Some(NodeEnum::RoleSpec(r)) => Some(role_name(r)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn role_name(r: &pb::RoleSpec) -> String {
    match RoleSpecType::try_from(r.roletype) {
        Ok(RoleSpecType::RolespecPublic) => "public".into(),
        Ok(RoleSpecType::RolespecCurrentUser) => "current_user".into(),
        Ok(RoleSpecType::RolespecCurrentRole) => "current_role".into(),
        Ok(RoleSpecType::RolespecSessionUser) => "session_user".into(),
        _ => r.rolename.clone(),
    }
}

/// The settings named by a `SET`/`RESET`/`ALTER … SET` statement.
fn setting_names(f: &mut Facts, s: &pb::VariableSetStmt) {
    if s.kind == VariableSetKind::VarResetAll as i32 {
        f.setting("all");
    } else if !s.name.is_empty() {
        f.setting(&s.name);
    }
}

/// `schema.name` of an object named by a list of strings (or a bare string, or a typed name).
fn qualified_name(n: &Node, session: &Session) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::List(l) => {
            let parts: Vec<&str> = l
                .items
                .iter()
                .filter_map(|i| match &i.node {
                    Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                    _ => None,
                })
                .collect();
            match parts.as_slice() {
                [] => None,
                [name] => Some(session.relation("", name, false)),
                [rest @ .., name] => Some(format!("{}.{name}", rest.join("."))),
            }
        }
        NodeEnum::String(s) => Some(s.sval.clone()),
        NodeEnum::RangeVar(rv) => Some(session.relation(&rv.schemaname, &rv.relname, false)),
        NodeEnum::ObjectWithArgs(o) => Some(routine_name(&o.objname, session)),
        NodeEnum::TypeName(t) => Some(dotted(&t.names)),
        _ => None,
    }
}

/// A function or procedure name, schema-qualified like relations (`public.cleanup`).
fn routine_name(names: &[Node], session: &Session) -> String {
    let name = dotted(names);
    if names.len() == 1 {
        session.relation("", &name, false)
    } else {
        name
    }
}

/// Names joined with dots (`pg_catalog.pg_read_file`).
fn dotted(names: &[Node]) -> String {
    let parts: Vec<&str> = names
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect();
    parts.join(".")
}

fn is_relation_type(t: i32) -> bool {
    matches!(
        object_kind(t),
        ObjectKind::Table
            | ObjectKind::View
            | ObjectKind::MaterializedView
            | ObjectKind::Index
            | ObjectKind::Sequence
    )
}

fn object_kind(t: i32) -> ObjectKind {
    use ObjectType as O;
    match ObjectType::try_from(t) {
        Ok(O::ObjectTable | O::ObjectForeignTable) => ObjectKind::Table,
        Ok(O::ObjectView) => ObjectKind::View,
        Ok(O::ObjectMatview) => ObjectKind::MaterializedView,
        Ok(O::ObjectIndex) => ObjectKind::Index,
        Ok(O::ObjectSchema) => ObjectKind::Schema,
        Ok(O::ObjectDatabase) => ObjectKind::Database,
        Ok(O::ObjectSequence) => ObjectKind::Sequence,
        Ok(O::ObjectFunction | O::ObjectAggregate | O::ObjectRoutine) => ObjectKind::Function,
        Ok(O::ObjectProcedure) => ObjectKind::Procedure,
        Ok(O::ObjectTrigger) => ObjectKind::Trigger,
        Ok(O::ObjectRole) => ObjectKind::Role,
        Ok(O::ObjectExtension) => ObjectKind::Extension,
        Ok(O::ObjectType | O::ObjectDomain) => ObjectKind::Type,
        Ok(O::ObjectColumn) => ObjectKind::Column,
        Ok(O::ObjectPolicy) => ObjectKind::Policy,
        Ok(O::ObjectForeignServer) => ObjectKind::Server,
        Ok(O::ObjectPublication) => ObjectKind::Publication,
        Ok(O::ObjectSubscription) => ObjectKind::Subscription,
        Ok(O::ObjectEventTrigger) => ObjectKind::EventTrigger,
        Ok(O::ObjectTablespace) => ObjectKind::Tablespace,
        _ => ObjectKind::Other,
    }
}

/// The name of an `ALTER TABLE` sub-command.
fn alter_operation(subtype: i32) -> String {
    use AlterTableType as A;
    let Ok(t) = AlterTableType::try_from(subtype) else {
        return "other".into();
    };
    let fixed = match t {
        A::AtDisableTrig | A::AtDisableTrigAll | A::AtDisableTrigUser => "disable_trigger",
        // Replica-only triggers and rules do not fire in ordinary sessions.
        A::AtEnableReplicaTrig => "replica_trigger",
        A::AtEnableReplicaRule => "replica_rule",
        A::AtEnableTrig | A::AtEnableTrigAll | A::AtEnableTrigUser | A::AtEnableAlwaysTrig => {
            "enable_trigger"
        }
        A::AtChangeOwner => "owner",
        A::AtSetUnLogged => "set_unlogged",
        A::AtColumnDefault => "set_default",
        A::AtAddColumnToView => "add_column",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.into();
    }
    // `AT_DropColumn` → `drop_column`.
    let name = t.as_str_name().trim_start_matches("AT_");
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Sweeps a statement's nodes, collecting relations, functions, columns and nested DML.
pub(crate) struct Walk<'a, 's> {
    pub facts: Facts,
    session: &'s Session,
    /// Names of the CTEs in scope: a bare name that matches one is not a relation.
    ctes: Vec<String>,
    pub nested: Vec<&'a NodeEnum>,
}

impl<'a, 's> Walk<'a, 's> {
    pub(crate) fn new(session: &'s Session) -> Walk<'a, 's> {
        Walk {
            facts: Facts::new(StatementKind::Other, ObjectKind::None, D),
            session,
            ctes: Vec::new(),
            nested: Vec::new(),
        }
    }

    /// Records a relation read (unless it names a CTE) and returns its normalised name.
    fn relation(&mut self, rv: &pb::RangeVar) -> String {
        let name = self.session.relation(&rv.schemaname, &rv.relname, false);
        let name = if rv.catalogname.is_empty() {
            name
        } else {
            format!("{}.{name}", rv.catalogname)
        };
        self.facts.table(name.clone());
        name
    }

    /// Records a relation written (and read: see [`Self::relation`]), if there is one.
    fn written(&mut self, rel: Option<&pb::RangeVar>) {
        if let Some(rv) = rel {
            let name = self.relation(rv);
            self.facts.write(name);
        }
    }

    fn altered(&mut self, rel: Option<&pb::RangeVar>, object: Option<&Node>) {
        if rel.is_some() {
            self.written(rel);
        } else if let Some(name) = object.and_then(|o| qualified_name(o, self.session)) {
            self.facts.write(name);
        }
    }

    fn alter_cmd(&mut self, cmd: &'a pb::AlterTableCmd) {
        let op = alter_operation(cmd.subtype);
        if cmd.behavior == DropBehavior::DropCascade as i32 {
            self.facts.sql.cascade = true;
        }
        if let Some(o) = &cmd.newowner {
            self.facts.grantee(&role_name(o));
        }
        let column_op = op.contains("column") || op.contains("default") || op.contains("not_null");
        if column_op && !cmd.name.is_empty() {
            self.facts.column_written(cmd.name.clone());
        }
        if let Some(NodeEnum::ColumnDef(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
            self.facts.column_written(c.colname.clone());
        }
        self.facts.operation(&op);
        self.opt(cmd.def.as_deref(), 0);
    }

    fn with(&mut self, w: Option<&'a pb::WithClause>, depth: u32) {
        let Some(w) = w else { return };
        for c in &w.ctes {
            if let Some(NodeEnum::CommonTableExpr(cte)) = &c.node {
                self.ctes.push(cte.ctename.clone());
            }
        }
        for c in &w.ctes {
            if let Some(NodeEnum::CommonTableExpr(cte)) = &c.node {
                match cte.ctequery.as_ref().and_then(|q| q.node.as_ref()) {
                    Some(
                        q @ (NodeEnum::InsertStmt(_)
                        | NodeEnum::UpdateStmt(_)
                        | NodeEnum::DeleteStmt(_)
                        | NodeEnum::MergeStmt(_)),
                    ) => self.nested.push(q),
                    Some(q) => self.enum_(q, depth + 1),
                    None => {}
                }
            }
        }
    }

    fn returning(&mut self, r: Option<&'a pb::ReturningClause>) {
        if let Some(r) = r {
            self.list(&r.exprs, 0);
        }
    }

    /// A `SET col = expr` / `ON CONFLICT … SET` target.
    fn set_target(&mut self, t: &'a Node, depth: u32) {
        if let Some(NodeEnum::ResTarget(rt)) = &t.node {
            self.facts.column_written(rt.name.clone());
            self.opt(rt.val.as_deref(), depth + 1);
        } else {
            self.node(t, depth + 1);
        }
    }

    fn where_clause(&mut self, w: Option<&'a Node>) {
        if let Some(w) = w {
            let mut deep = false;
            let v = fold_node(w, 0, &mut deep);
            let independent = row_independent(w, 0);
            self.facts.where_clause(&v, deep, independent);
            self.facts.too_deep |= deep;
            self.node(w, 1);
        }
    }

    /// A row-security policy's `USING` / `WITH CHECK` expressions, read as its WHERE: present,
    /// and effective unless one of them is constant-true (`USING (true)` lets every row
    /// through). Unlike a DELETE's WHERE, a filter that reads no column
    /// (`USING (current_user = 'auditor')`) is a real per-session restriction, so it counts.
    fn policy_filter(&mut self, qual: Option<&'a Node>, check: Option<&'a Node>) {
        for e in [qual, check].into_iter().flatten() {
            let mut deep = false;
            let v = fold_node(e, 0, &mut deep);
            let was_effective = !self.facts.sql.has_where || self.facts.sql.effective_where;
            self.facts.where_clause(&v, deep, false);
            self.facts.sql.effective_where &= was_effective;
            self.facts.too_deep |= deep;
        }
    }

    /// `DELETE FROM t WHERE c IN (SELECT c FROM t)` (or `= ANY (…)`), alone or as one branch
    /// of an OR: every row whose `c` is not NULL matches, as `c = c` does, so the WHERE
    /// restricts nothing.
    fn self_semijoin(&mut self, w: Option<&'a Node>, target: Option<&str>) {
        let (Some(w), Some(target)) = (w, target) else {
            return;
        };
        let branches: Vec<&Node> = match &w.node {
            Some(NodeEnum::BoolExpr(b)) if b.boolop == BoolExprType::OrExpr as i32 => {
                b.args.iter().collect()
            }
            _ => vec![w],
        };
        if branches.iter().any(|b| self.is_self_semijoin(b, target)) {
            self.facts.sql.effective_where = false;
        }
    }

    fn is_self_semijoin(&self, n: &Node, target: &str) -> bool {
        let Some(NodeEnum::SubLink(l)) = &n.node else {
            return false;
        };
        let any = l.sub_link_type == pb::SubLinkType::AnySublink as i32;
        let equality = l.oper_name.is_empty() || dotted(&l.oper_name) == "=";
        let Some(NodeEnum::ColumnRef(outer)) = l.testexpr.as_deref().and_then(|t| t.node.as_ref())
        else {
            return false;
        };
        let Some(NodeEnum::SelectStmt(q)) = l.subselect.as_deref().and_then(|t| t.node.as_ref())
        else {
            return false;
        };
        let plain = q.where_clause.is_none()
            && q.having_clause.is_none()
            && q.group_clause.is_empty()
            && q.limit_count.is_none()
            && q.limit_offset.is_none()
            && q.with_clause.is_none()
            && q.larg.is_none()
            && q.values_lists.is_empty()
            && q.distinct_clause.is_empty();
        let (Some(from), Some(t)) = (q.from_clause.first(), q.target_list.first()) else {
            return false;
        };
        let same_table = q.from_clause.len() == 1
            && matches!(&from.node, Some(NodeEnum::RangeVar(rv))
                if rv.inh && self.session.relation(&rv.schemaname, &rv.relname, false) == target);
        let inner = match &t.node {
            Some(NodeEnum::ResTarget(rt)) => {
                match rt.val.as_deref().and_then(|v| v.node.as_ref()) {
                    Some(NodeEnum::ColumnRef(c)) => Some(c),
                    _ => None,
                }
            }
            _ => None,
        };
        let last = |c: &pb::ColumnRef| column_name(c).rsplit('.').next().map(str::to_string);
        any && equality
            && plain
            && same_table
            && q.target_list.len() == 1
            && inner.is_some_and(|c| last(c).is_some() && last(c) == last(outer))
    }

    fn select(&mut self, s: &'a pb::SelectStmt, depth: u32, top: bool) {
        if depth > MAX_WALK_DEPTH {
            self.facts.too_deep = true;
            return;
        }
        self.with(s.with_clause.as_ref(), depth);
        if top {
            if let Some(w) = &s.where_clause {
                let mut deep = false;
                let v = fold_node(w, 0, &mut deep);
                self.facts.where_clause(&v, deep, row_independent(w, 0));
                self.facts.too_deep |= deep;
            }
            let limited = s
                .limit_count
                .as_ref()
                .is_some_and(|l| !matches!(&l.node, Some(NodeEnum::AConst(c)) if c.isnull));
            self.facts.sql.has_limit = limited;
        }
        self.list(&s.target_list, depth);
        self.list(&s.from_clause, depth);
        self.opt(s.where_clause.as_deref(), depth);
        self.list(&s.group_clause, depth);
        self.opt(s.having_clause.as_deref(), depth);
        self.list(&s.window_clause, depth);
        self.list(&s.values_lists, depth);
        self.list(&s.sort_clause, depth);
        self.list(&s.distinct_clause, depth);
        self.opt(s.limit_count.as_deref(), depth);
        self.opt(s.limit_offset.as_deref(), depth);
        self.list(&s.locking_clause, depth);
        if let Some(l) = &s.larg {
            self.select(l, depth + 1, false);
        }
        if let Some(r) = &s.rarg {
            self.select(r, depth + 1, false);
        }
    }

    fn func_call(&mut self, fc: &'a pb::FuncCall, depth: u32) {
        let name = dotted(&fc.funcname);
        self.facts.function(&name);
        let bare = name.rsplit('.').next().unwrap_or(&name).to_lowercase();
        if bare == "set_config" {
            match fc.args.first().map(|a| fold_node(a, 0, &mut false)) {
                Some(Val::Str(s)) => self.facts.setting(&s),
                // A setting named at run time: record that some setting changes.
                _ => self.facts.setting("*"),
            }
        }
        self.list(&fc.args, depth + 1);
        self.list(&fc.agg_order, depth + 1);
        self.opt(fc.agg_filter.as_deref(), depth + 1);
        if let Some(over) = &fc.over {
            self.list(&over.partition_clause, depth + 1);
            self.list(&over.order_clause, depth + 1);
        }
    }

    fn opt(&mut self, n: Option<&'a Node>, depth: u32) {
        if let Some(n) = n {
            self.node(n, depth);
        }
    }

    fn list(&mut self, ns: &'a [Node], depth: u32) {
        for n in ns {
            self.node(n, depth);
        }
    }

    fn node(&mut self, n: &'a Node, depth: u32) {
        if let Some(e) = &n.node {
            self.enum_(e, depth);
        }
    }

    fn enum_(&mut self, e: &'a NodeEnum, depth: u32) {
        use NodeEnum as N;
        if depth > MAX_WALK_DEPTH {
            self.facts.too_deep = true;
            return;
        }
        let d = depth + 1;
        match e {
            N::List(l) => self.list(&l.items, d),
            N::RangeVar(rv) => {
                if rv.schemaname.is_empty() && self.ctes.contains(&rv.relname) {
                    return;
                }
                self.relation(rv);
            }
            N::ColumnRef(c) => {
                let name = column_name(c);
                self.facts.column_read(name);
            }
            N::AConst(_)
            | N::ParamRef(_)
            | N::String(_)
            | N::Integer(_)
            | N::Float(_)
            | N::Boolean(_)
            | N::TypeName(_)
            | N::SqlvalueFunction(_)
            | N::SetToDefault(_)
            | N::RoleSpec(_)
            | N::AccessPriv(_)
            | N::AStar(_)
            | N::Alias(_)
            | N::CurrentOfExpr(_) => {}
            N::FuncCall(fc) => self.func_call(fc, d),
            N::AExpr(x) => {
                self.opt(x.lexpr.as_deref(), d);
                self.opt(x.rexpr.as_deref(), d);
            }
            N::BoolExpr(x) => self.list(&x.args, d),
            N::NullTest(x) => self.opt(x.arg.as_deref(), d),
            N::BooleanTest(x) => self.opt(x.arg.as_deref(), d),
            N::TypeCast(x) => self.opt(x.arg.as_deref(), d),
            N::CollateClause(x) => self.opt(x.arg.as_deref(), d),
            N::NamedArgExpr(x) => self.opt(x.arg.as_deref(), d),
            N::SubLink(x) => {
                self.opt(x.testexpr.as_deref(), d);
                self.opt(x.subselect.as_deref(), d);
            }
            N::SelectStmt(s) => self.select(s, d, false),
            N::InsertStmt(_) | N::UpdateStmt(_) | N::DeleteStmt(_) | N::MergeStmt(_) => {
                self.nested.push(e)
            }
            N::ResTarget(t) => {
                self.list(&t.indirection, d);
                self.opt(t.val.as_deref(), d);
            }
            N::MultiAssignRef(m) => self.opt(m.source.as_deref(), d),
            N::SortBy(s) => self.opt(s.node.as_deref(), d),
            N::WindowDef(w) => {
                self.list(&w.partition_clause, d);
                self.list(&w.order_clause, d);
            }
            N::GroupingSet(g) => self.list(&g.content, d),
            N::JoinExpr(j) => {
                self.opt(j.larg.as_deref(), d);
                self.opt(j.rarg.as_deref(), d);
                self.opt(j.quals.as_deref(), d);
            }
            N::RangeSubselect(r) => self.opt(r.subquery.as_deref(), d),
            N::RangeFunction(r) => self.list(&r.functions, d),
            N::CaseExpr(c) => {
                self.opt(c.arg.as_deref(), d);
                self.list(&c.args, d);
                self.opt(c.defresult.as_deref(), d);
            }
            N::CaseWhen(c) => {
                self.opt(c.expr.as_deref(), d);
                self.opt(c.result.as_deref(), d);
            }
            N::CoalesceExpr(c) => self.list(&c.args, d),
            N::MinMaxExpr(c) => self.list(&c.args, d),
            N::RowExpr(r) => self.list(&r.args, d),
            N::AArrayExpr(a) => self.list(&a.elements, d),
            N::AIndirection(a) => {
                self.opt(a.arg.as_deref(), d);
                self.list(&a.indirection, d);
            }
            N::AIndices(a) => {
                self.opt(a.lidx.as_deref(), d);
                self.opt(a.uidx.as_deref(), d);
            }
            N::ColumnDef(c) => {
                self.opt(c.raw_default.as_deref(), d);
                self.list(&c.constraints, d);
            }
            N::Constraint(c) => {
                self.opt(c.raw_expr.as_deref(), d);
                self.opt(c.where_clause.as_deref(), d);
                if let Some(rv) = &c.pktable {
                    self.relation(rv);
                }
            }
            N::IndexElem(i) => {
                if !i.name.is_empty() {
                    self.facts.column_read(i.name.clone());
                }
                self.opt(i.expr.as_deref(), d);
            }
            N::DefElem(x) => self.opt(x.arg.as_deref(), d),
            N::RangeTableSample(r) => {
                self.opt(r.relation.as_deref(), d);
                self.list(&r.args, d);
            }
            N::CommonTableExpr(c) => self.opt(c.ctequery.as_deref(), d),
            N::LockingClause(_) => {}
            other => self.generic(other, d),
        }
    }

    /// Sweeps any node (a statement or an expression) for relations, functions and columns.
    pub(crate) fn generic_or_typed(&mut self, e: &'a NodeEnum) {
        self.enum_(e, 0);
    }

    /// Sweeps a node kind the typed walker does not know through its serialised form, so no
    /// relation or function call can hide in it.
    pub(crate) fn generic(&mut self, e: &NodeEnum, depth: u32) {
        match serde_json::to_value(e) {
            Ok(v) => self.json(&v, depth),
            Err(_) => self.facts.too_deep = true,
        }
    }

    fn json(&mut self, v: &serde_json::Value, depth: u32) {
        use serde_json::Value as J;
        if depth > MAX_WALK_DEPTH * 4 {
            self.facts.too_deep = true;
            return;
        }
        match v {
            J::Object(map) => {
                for (k, child) in map {
                    match (k.as_str(), child) {
                        ("RangeVar", J::Object(rv)) => {
                            let text = |key: &str| {
                                rv.get(key).and_then(J::as_str).unwrap_or("").to_string()
                            };
                            let (schema, rel) = (text("schemaname"), text("relname"));
                            if schema.is_empty() && self.ctes.contains(&rel) {
                                continue;
                            }
                            let name = self.session.relation(&schema, &rel, false);
                            self.facts.table(name);
                        }
                        ("FuncCall", J::Object(fc)) => {
                            if let Some(J::Array(names)) = fc.get("funcname") {
                                let parts: Vec<&str> =
                                    names.iter().filter_map(json_string).collect();
                                self.facts.function(&parts.join("."));
                            }
                            self.json(child, depth + 1);
                        }
                        ("ColumnRef", J::Object(cr)) => {
                            if let Some(J::Array(fields)) = cr.get("fields") {
                                let parts: Vec<&str> = fields
                                    .iter()
                                    .map(|f| json_string(f).unwrap_or("*"))
                                    .collect();
                                self.facts.column_read(parts.join("."));
                            }
                        }
                        _ => self.json(child, depth + 1),
                    }
                }
            }
            J::Array(items) => {
                for i in items {
                    self.json(i, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// `{"node": {"String": {"sval": "x"}}}` → `"x"`.
fn json_string(v: &serde_json::Value) -> Option<&str> {
    v.get("node")?.get("String")?.get("sval")?.as_str()
}

fn column_name(c: &pb::ColumnRef) -> String {
    let parts: Vec<&str> = c
        .fields
        .iter()
        .map(|f| match &f.node {
            Some(NodeEnum::String(s)) => s.sval.as_str(),
            _ => "*",
        })
        .collect();
    parts.join(".")
}

/// Folds a PostgreSQL expression to a constant where it can.
pub(crate) fn fold_node(n: &Node, depth: u32, deep: &mut bool) -> Val {
    if depth > MAX_WALK_DEPTH {
        *deep = true;
        return Val::Unknown;
    }
    let d = depth + 1;
    let sub = |n: &Option<Box<Node>>, deep: &mut bool| match n {
        Some(n) => fold_node(n, d, deep),
        None => Val::Unknown,
    };
    match &n.node {
        Some(NodeEnum::AConst(c)) => match &c.val {
            None => Val::Null,
            Some(pb::a_const::Val::Ival(i)) => Val::Num(f64::from(i.ival)),
            Some(pb::a_const::Val::Fval(f)) => f.fval.parse().map_or(Val::Unknown, Val::Num),
            Some(pb::a_const::Val::Boolval(b)) => Val::Bool(b.boolval),
            Some(pb::a_const::Val::Sval(s)) => Val::Str(s.sval.clone()),
            Some(pb::a_const::Val::Bsval(_)) => Val::Unknown,
        },
        Some(NodeEnum::ColumnRef(c)) => Val::Col(column_name(c)),
        Some(NodeEnum::BoolExpr(b)) => {
            let args = b
                .args
                .iter()
                .map(|a| fold_node(a, d, deep))
                .collect::<Vec<_>>();
            match BoolExprType::try_from(b.boolop) {
                Ok(BoolExprType::AndExpr) => fold::and(args, D),
                Ok(BoolExprType::OrExpr) => match fold::or(args, D) {
                    Val::Unknown if has_complementary_pair(&b.args) => Val::Bool(true),
                    v => v,
                },
                Ok(BoolExprType::NotExpr) => args
                    .into_iter()
                    .next()
                    .map_or(Val::Unknown, |a| fold::not(a, D)),
                _ => Val::Unknown,
            }
        }
        Some(NodeEnum::NullTest(t)) => {
            let v = fold::is_null(&sub(&t.arg, deep));
            if t.nulltesttype == NullTestType::IsNotNull as i32 {
                fold::not(v, D)
            } else {
                v
            }
        }
        Some(NodeEnum::BooleanTest(t)) => {
            let v = sub(&t.arg, deep);
            match BoolTestType::try_from(t.booltesttype) {
                Ok(BoolTestType::IsTrue) => fold::is_bool(&v, true, D),
                Ok(BoolTestType::IsNotTrue) => fold::not(fold::is_bool(&v, true, D), D),
                Ok(BoolTestType::IsFalse) => fold::is_bool(&v, false, D),
                Ok(BoolTestType::IsNotFalse) => fold::not(fold::is_bool(&v, false, D), D),
                Ok(BoolTestType::IsUnknown) => fold::is_null(&v),
                Ok(BoolTestType::IsNotUnknown) => fold::not(fold::is_null(&v), D),
                _ => Val::Unknown,
            }
        }
        Some(NodeEnum::TypeCast(c)) => {
            let v = sub(&c.arg, deep);
            let ty = c
                .type_name
                .as_ref()
                .map(|t| dotted(&t.names))
                .unwrap_or_default();
            let ty = ty.rsplit('.').next().unwrap_or("").to_string();
            fold::cast(v, &ty, D)
        }
        Some(NodeEnum::AExpr(x)) => fold_aexpr(x, d, deep),
        Some(NodeEnum::SubLink(l)) => fold_sublink(l, d, deep),
        Some(NodeEnum::CoalesceExpr(c)) => fold::coalesce(
            c.args
                .iter()
                .map(|a| fold_node(a, d, deep))
                .collect::<Vec<_>>(),
        ),
        Some(NodeEnum::MinMaxExpr(m)) => {
            let args = m
                .args
                .iter()
                .map(|a| fold_node(a, d, deep))
                .collect::<Vec<_>>();
            match pb::MinMaxOp::try_from(m.op) {
                Ok(pb::MinMaxOp::IsGreatest) => fold::extreme(args, true, D),
                Ok(pb::MinMaxOp::IsLeast) => fold::extreme(args, false, D),
                _ => Val::Unknown,
            }
        }
        Some(NodeEnum::CaseExpr(c)) => {
            // `CASE x WHEN v …` compares `x = v`; a searched CASE tests each condition.
            let operand = c.arg.as_deref().map(|a| fold_node(a, d, deep));
            let mut arms = Vec::with_capacity(c.args.len());
            for w in &c.args {
                let Some(NodeEnum::CaseWhen(w)) = &w.node else {
                    return Val::Unknown;
                };
                let cond = sub(&w.expr, deep);
                let cond = match &operand {
                    Some(x) => fold::compare(Cmp::Eq, x, &cond, D),
                    None => cond,
                };
                arms.push((cond, sub(&w.result, deep)));
            }
            let otherwise = match &c.defresult {
                Some(e) => fold_node(e, d, deep),
                None => Val::Null,
            };
            fold::case(arms, otherwise, D)
        }
        _ => Val::Unknown,
    }
}

/// Whether an expression reads nothing of the row it is evaluated for: no column, no
/// subquery (which may be correlated), no per-row function. Anything unfamiliar counts as
/// reading the row, so the answer `true` is always safe to act on.
fn row_independent(n: &Node, depth: u32) -> bool {
    if depth > MAX_WALK_DEPTH {
        return false;
    }
    let d = depth + 1;
    let all = |nodes: &[Node]| nodes.iter().all(|a| row_independent(a, d));
    let opt = |n: &Option<Box<Node>>| n.as_deref().is_none_or(|a| row_independent(a, d));
    match &n.node {
        Some(NodeEnum::AConst(_) | NodeEnum::ParamRef(_) | NodeEnum::SqlvalueFunction(_)) => true,
        Some(NodeEnum::TypeCast(c)) => opt(&c.arg),
        Some(NodeEnum::AExpr(x)) => opt(&x.lexpr) && opt(&x.rexpr),
        Some(NodeEnum::BoolExpr(b)) => all(&b.args),
        Some(NodeEnum::NullTest(t)) => opt(&t.arg),
        Some(NodeEnum::BooleanTest(t)) => opt(&t.arg),
        Some(NodeEnum::CoalesceExpr(c)) => all(&c.args),
        Some(NodeEnum::MinMaxExpr(m)) => all(&m.args),
        Some(NodeEnum::List(l)) => all(&l.items),
        Some(NodeEnum::RowExpr(r)) => all(&r.args),
        Some(NodeEnum::AArrayExpr(a)) => all(&a.elements),
        Some(NodeEnum::CaseExpr(c)) => opt(&c.arg) && all(&c.args) && opt(&c.defresult),
        Some(NodeEnum::CaseWhen(w)) => opt(&w.expr) && opt(&w.result),
        Some(NodeEnum::FuncCall(fc)) => {
            !fold::per_row_function(&dotted(&fc.funcname))
                && fc.agg_filter.is_none()
                && fc.over.is_none()
                && !fc.agg_star
                && all(&fc.args)
        }
        _ => false,
    }
}

/// Whether an OR's operands hold a predicate and its complement: `x IS NULL OR x IS NOT NULL`
/// (true for every row), or `p OR NOT p` (true wherever `p` is not NULL: like `x = x`, it only
/// leaves NULLs out).
fn has_complementary_pair(args: &[Node]) -> bool {
    fn null_test(n: &Node) -> Option<(&Node, bool)> {
        match &n.node {
            Some(NodeEnum::NullTest(t)) => t
                .arg
                .as_deref()
                .map(|a| (a, t.nulltesttype == NullTestType::IsNull as i32)),
            _ => None,
        }
    }
    fn negated(n: &Node) -> Option<&Node> {
        match &n.node {
            Some(NodeEnum::BoolExpr(b)) if b.boolop == BoolExprType::NotExpr as i32 => {
                b.args.first().filter(|_| b.args.len() == 1)
            }
            _ => None,
        }
    }
    /// The operands of nested ORs (`a OR (b OR c)`), a bounded number of them.
    fn flatten<'n>(args: &'n [Node], out: &mut Vec<&'n Node>) {
        for a in args {
            if out.len() >= 256 {
                return;
            }
            match &a.node {
                Some(NodeEnum::BoolExpr(b)) if b.boolop == BoolExprType::OrExpr as i32 => {
                    flatten(&b.args, out);
                }
                _ => out.push(a),
            }
        }
    }
    let mut all = Vec::new();
    flatten(args, &mut all);
    all.iter().enumerate().any(|(i, &a)| {
        all.iter().skip(i + 1).any(|&b| {
            let nulls = match (null_test(a), null_test(b)) {
                (Some((x, is_null_x)), Some((y, is_null_y))) => {
                    is_null_x != is_null_y && same_expr(x, y)
                }
                _ => false,
            };
            nulls
                || negated(a).is_some_and(|p| same_expr(p, b))
                || negated(b).is_some_and(|p| same_expr(p, a))
        })
    })
}

/// Whether two expressions are the same text up to layout (locations aside) and can only
/// yield the same value for a row: no per-row function (`random()`) anywhere in them.
fn same_expr(a: &Node, b: &Node) -> bool {
    fn strip(v: &mut serde_json::Value, volatile: &mut bool) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("location");
                if let Some(serde_json::Value::String(s)) = m.get("sval") {
                    *volatile |= fold::per_row_function(s);
                }
                for x in m.values_mut() {
                    strip(x, volatile);
                }
            }
            serde_json::Value::Array(xs) => xs.iter_mut().for_each(|x| strip(x, volatile)),
            _ => {}
        }
    }
    let (Ok(mut x), Ok(mut y)) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return false;
    };
    let mut volatile = false;
    strip(&mut x, &mut volatile);
    strip(&mut y, &mut volatile);
    !volatile && x == y
}

/// The folded fields of a row constructor (`(1, 2)`, `ROW(1, 2)`), if `n` is one.
fn fold_row(n: &Node, d: u32, deep: &mut bool) -> Option<Vec<Val>> {
    match &n.node {
        Some(NodeEnum::RowExpr(r)) => Some(r.args.iter().map(|a| fold_node(a, d, deep)).collect()),
        _ => None,
    }
}

/// `EXISTS (SELECT 1)` and `(SELECT true)`: a subquery with no FROM, WHERE, HAVING or LIMIT
/// yields exactly one row, so it folds like its single target.
fn fold_sublink(l: &pb::SubLink, d: u32, deep: &mut bool) -> Val {
    let Some(NodeEnum::SelectStmt(s)) = l.subselect.as_ref().and_then(|n| n.node.as_ref()) else {
        return Val::Unknown;
    };
    // `EXISTS (SELECT 1 WHERE false)`: a FROM-less query yields its one row when its WHERE
    // holds; a WHERE that folds to a constant decides it.
    let filter = match s.where_clause.as_deref() {
        None => Some(true),
        Some(w) => fold::truth(&fold_node(w, d, deep), D)
            .or_else(|| matches!(fold_node(w, d, deep), Val::Null).then_some(false)),
    };
    let Some(filter) = filter else {
        return Val::Unknown;
    };
    let one_row = s.from_clause.is_empty()
        && s.having_clause.is_none()
        && s.limit_count.is_none()
        && s.limit_offset.is_none()
        && s.values_lists.is_empty()
        && s.larg.is_none()
        && s.target_list.len() == 1;
    if !one_row {
        return Val::Unknown;
    }
    match pb::SubLinkType::try_from(l.sub_link_type) {
        Ok(pb::SubLinkType::ExistsSublink) => Val::Bool(filter),
        _ if !filter => Val::Unknown,
        Ok(pb::SubLinkType::ExprSublink) => {
            match s.target_list.first().and_then(|t| t.node.as_ref()) {
                Some(NodeEnum::ResTarget(rt)) => rt
                    .val
                    .as_deref()
                    .map_or(Val::Unknown, |v| fold_node(v, d, deep)),
                _ => Val::Unknown,
            }
        }
        _ => Val::Unknown,
    }
}

fn fold_aexpr(x: &pb::AExpr, d: u32, deep: &mut bool) -> Val {
    let op = dotted(&x.name);
    let op = op.rsplit('.').next().unwrap_or("").to_string();
    let left = x.lexpr.as_deref().map(|n| fold_node(n, d, deep));
    let right = || x.rexpr.as_deref();
    let list = |deep: &mut bool| -> Vec<Val> {
        match right().and_then(|r| r.node.as_ref()) {
            Some(NodeEnum::List(l)) => l.items.iter().map(|i| fold_node(i, d, deep)).collect(),
            Some(_) => right()
                .map(|r| vec![fold_node(r, d, deep)])
                .unwrap_or_default(),
            None => Vec::new(),
        }
    };
    let r = |deep: &mut bool| right().map_or(Val::Unknown, |r| fold_node(r, d, deep));
    match AExprKind::try_from(x.kind) {
        Ok(AExprKind::AexprOp) => match left {
            // Prefix operators: `-1`, `+1`.
            None => match (op.as_str(), r(deep)) {
                ("-", Val::Num(n)) => Val::Num(-n),
                ("+", v @ Val::Num(_)) => v,
                _ => Val::Unknown,
            },
            Some(l) => {
                let rows = x
                    .lexpr
                    .as_deref()
                    .and_then(|n| fold_row(n, d, deep))
                    .zip(right().and_then(|n| fold_row(n, d, deep)));
                if let Some((lrow, rrow)) = rows {
                    return match Cmp::from_op(&op) {
                        Some(c) => fold::compare_rows(c, &lrow, &rrow, D),
                        None => Val::Unknown,
                    };
                }
                let rv = r(deep);
                match Cmp::from_op(&op) {
                    Some(c) => match fold::compare(c, &l, &rv, D) {
                        // `lower(s) = lower(s)`: like `x = x`, true wherever it is not NULL.
                        Val::Unknown
                            if matches!(c, Cmp::Eq | Cmp::LtEq | Cmp::GtEq)
                                && x.lexpr
                                    .as_deref()
                                    .zip(right())
                                    .is_some_and(|(a, b)| same_expr(a, b)) =>
                        {
                            Val::Bool(true)
                        }
                        v => v,
                    },
                    None => fold::arith(&op, &l, &rv),
                }
            }
        },
        // `x = ANY(ARRAY[…])` / `x <> ALL(ARRAY[…])`: only literal arrays are decided.
        Ok(k @ (AExprKind::AexprOpAny | AExprKind::AexprOpAll)) => {
            let (Some(l), Some(c)) = (left, Cmp::from_op(&op)) else {
                return Val::Unknown;
            };
            let Some(NodeEnum::AArrayExpr(a)) = right().and_then(|r| r.node.as_ref()) else {
                return Val::Unknown;
            };
            let each = a
                .elements
                .iter()
                .map(|e| fold::compare(c, &l, &fold_node(e, d, deep), D))
                .collect::<Vec<_>>();
            if k == AExprKind::AexprOpAny {
                fold::or(each, D)
            } else {
                fold::and(each, D)
            }
        }
        Ok(AExprKind::AexprNullif) => match left {
            Some(l) => fold::nullif(l, &r(deep), D),
            None => Val::Unknown,
        },
        Ok(AExprKind::AexprIn) => {
            let l = left.unwrap_or(Val::Unknown);
            fold::in_list(&l, &list(deep), op == "<>", D)
        }
        Ok(AExprKind::AexprLike | AExprKind::AexprIlike) => {
            let l = left.unwrap_or(Val::Unknown);
            fold::like(&l, &r(deep), op.starts_with('!'))
        }
        Ok(
            k @ (AExprKind::AexprBetween
            | AExprKind::AexprNotBetween
            | AExprKind::AexprBetweenSym
            | AExprKind::AexprNotBetweenSym),
        ) => {
            let l = left.unwrap_or(Val::Unknown);
            let bounds = list(deep);
            let (Some(lo), Some(hi)) = (bounds.first(), bounds.get(1)) else {
                return Val::Unknown;
            };
            let inside = fold::and(
                [
                    fold::compare(Cmp::GtEq, &l, lo, D),
                    fold::compare(Cmp::LtEq, &l, hi, D),
                ],
                D,
            );
            if matches!(
                k,
                AExprKind::AexprNotBetween | AExprKind::AexprNotBetweenSym
            ) {
                fold::not(inside, D)
            } else {
                inside
            }
        }
        Ok(k @ (AExprKind::AexprNotDistinct | AExprKind::AexprDistinct)) => {
            let l = left.unwrap_or(Val::Unknown);
            let same = match (&l, &r(deep)) {
                (Val::Null, Val::Null) => Val::Bool(true),
                (Val::Null, Val::Bool(_) | Val::Num(_) | Val::Str(_))
                | (Val::Bool(_) | Val::Num(_) | Val::Str(_), Val::Null) => Val::Bool(false),
                (a, b) => fold::compare(Cmp::Eq, a, b, D),
            };
            if k == AExprKind::AexprDistinct {
                fold::not(same, D)
            } else {
                same
            }
        }
        _ => Val::Unknown,
    }
}
