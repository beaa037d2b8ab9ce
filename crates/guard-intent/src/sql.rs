//! SQL text → `sql` actions, one per statement (DESIGN.md §4).
//!
//! Stages: [`analyze`] starts a request's `Session` and hands the text to the dialect's front
//! end — `pg` (PostgreSQL, parsed by libpg_query, the server's own parser, so guard and server
//! cannot disagree about what the text means) or `lite` (MySQL, SQLite, generic, parsed by
//! `sqlparser`). Each front end lowers every statement into `Facts`; `fold` decides whether a
//! WHERE is provably true; `plpgsql` extracts the statements inside `DO` blocks and
//! `CREATE FUNCTION` bodies.
//!
//! Invariants:
//! - **Never empty**: every call returns at least one action; text a parser rejects is an
//!   `opaque` action (`parse_error`) naming the parser's message; text nested too deeply, and
//!   dynamic SQL guard cannot resolve (`EXECUTE` of a built string, of a statement prepared
//!   outside the request), are `opaque` too. Text holding only comments and empty statements
//!   is one `sql` action of kind `other`. Nothing is skipped silently.
//! - Statements are analysed in order with one `Session` per request, so objects created
//!   earlier in the same request (`CREATE TEMP TABLE t …; DROP TABLE t`), statements prepared
//!   earlier and MySQL user variables set to literals are known.
//! - Names are normalised per dialect: PostgreSQL folds unquoted identifiers to lowercase
//!   (the parser does this) and qualifies with `public` (or `pg_temp` for temp tables that
//!   shadow the name); SQLite folds case (`temp.` for temp tables); MySQL keeps case; generic
//!   folds unquoted identifiers. MySQL and SQLite have no default schema.
//! - Nested actions (DML in CTEs, `DO`/`EXECUTE`/`PREPARE`/`EXPLAIN ANALYZE` bodies) carry the
//!   span of the statement that contains them and extend the `via` chain.
//! - Bounded: recursion in our own walkers is depth-limited; libpg_query checks its own stack,
//!   prost limits message depth, sqlparser limits its recursion, the token count and
//!   parenthesis depth of the `sqlparser` front end are capped, and dynamic SQL is followed
//!   at most `MAX_DYNAMIC_DEPTH` levels deep.
//! - Pure: no I/O, deterministic.

mod fold;
mod lite;
mod pg;
mod plpgsql;

use guard_model::{
    Action, ActionDetail, Dialect, List, ObjectKind, OpaqueCause, SqlAction, StatementKind, Str,
};

use crate::{Origin, opaque};

/// How deeply dynamic SQL (`EXECUTE '…'` inside `DO` inside `EXECUTE` …) is followed.
const MAX_DYNAMIC_DEPTH: u32 = 8;

/// Analyses SQL text into one `sql` action per statement (plus actions for DML in CTEs,
/// statements inside `DO` bodies and prepared statements). Never returns an empty list.
pub fn analyze(text: &str, dialect: Dialect, origin: &Origin) -> Vec<Action> {
    let mut session = Session::new(dialect);
    let mut out = Vec::new();
    analyze_in(text, origin, &mut session, &mut out);
    if out.is_empty() {
        // Only comments and empty statements: nothing runs, which is itself a fact.
        let trimmed = text.trim();
        let facts = Facts::new(StatementKind::Other, ObjectKind::None, dialect);
        out.push(facts.into_action(
            &session,
            origin.place(span_of(text, trimmed)),
            &origin.via,
            trimmed,
        ));
    }
    out
}

/// Analyses `text` within an ongoing request, appending to `out`.
pub(crate) fn analyze_in(
    text: &str,
    origin: &Origin,
    session: &mut Session,
    out: &mut Vec<Action>,
) {
    if session.depth > MAX_DYNAMIC_DEPTH {
        let reason = format!("dynamic SQL nested more than {MAX_DYNAMIC_DEPTH} levels deep");
        out.push(opaque(
            OpaqueCause::TooLarge,
            reason,
            origin.place(span_of(text, text)),
            &origin.via,
            text,
        ));
        return;
    }
    session.depth += 1;
    // Defence in depth: a panic inside a parser (ours or a dependency's) must not take the
    // enforcement point down, nor let the text through; it becomes an opaque action.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match session.dialect {
        Dialect::Postgres => pg::analyze(text, origin, session, out),
        Dialect::Mysql | Dialect::Sqlite | Dialect::Generic => {
            lite::analyze(text, origin, session, out)
        }
    }));
    if run.is_err() {
        let reason = "the SQL analysis failed unexpectedly on this text";
        out.push(opaque(
            OpaqueCause::ParseError,
            reason,
            origin.place(span_of(text, text)),
            &origin.via,
            text,
        ));
    }
    session.depth -= 1;
}

/// The byte range of `part` (a subslice of `text`) inside `text`.
pub(crate) fn span_of(text: &str, part: &str) -> [u32; 2] {
    let start = (part.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len());
    let end = (start + part.len()).min(text.len());
    [to_u32(start), to_u32(end)]
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// PostgreSQL's system catalogs and views (`pg_catalog`, searched before the search path, so
/// an unqualified `pg_authid` is always the catalog's), sorted for binary search.
const PG_CATALOG_RELATIONS: &[&str] = &[
    "pg_aggregate",
    "pg_am",
    "pg_amop",
    "pg_amproc",
    "pg_attrdef",
    "pg_attribute",
    "pg_auth_members",
    "pg_authid",
    "pg_available_extensions",
    "pg_backend_memory_contexts",
    "pg_cast",
    "pg_class",
    "pg_collation",
    "pg_config",
    "pg_constraint",
    "pg_conversion",
    "pg_cursors",
    "pg_database",
    "pg_db_role_setting",
    "pg_default_acl",
    "pg_depend",
    "pg_description",
    "pg_enum",
    "pg_event_trigger",
    "pg_extension",
    "pg_file_settings",
    "pg_foreign_data_wrapper",
    "pg_foreign_server",
    "pg_foreign_table",
    "pg_group",
    "pg_hba_file_rules",
    "pg_ident_file_mappings",
    "pg_index",
    "pg_indexes",
    "pg_inherits",
    "pg_init_privs",
    "pg_language",
    "pg_largeobject",
    "pg_largeobject_metadata",
    "pg_locks",
    "pg_matviews",
    "pg_namespace",
    "pg_opclass",
    "pg_operator",
    "pg_opfamily",
    "pg_parameter_acl",
    "pg_partitioned_table",
    "pg_policies",
    "pg_policy",
    "pg_prepared_statements",
    "pg_prepared_xacts",
    "pg_proc",
    "pg_publication",
    "pg_publication_rel",
    "pg_publication_tables",
    "pg_range",
    "pg_replication_origin",
    "pg_replication_slots",
    "pg_rewrite",
    "pg_roles",
    "pg_rules",
    "pg_seclabel",
    "pg_seclabels",
    "pg_sequence",
    "pg_sequences",
    "pg_settings",
    "pg_shadow",
    "pg_shdepend",
    "pg_shdescription",
    "pg_shmem_allocations",
    "pg_shseclabel",
    "pg_stat_activity",
    "pg_stat_all_tables",
    "pg_stat_database",
    "pg_stat_replication",
    "pg_stat_ssl",
    "pg_stat_user_tables",
    "pg_statistic",
    "pg_statistic_ext",
    "pg_stats",
    "pg_subscription",
    "pg_subscription_rel",
    "pg_tables",
    "pg_tablespace",
    "pg_timezone_names",
    "pg_transform",
    "pg_trigger",
    "pg_ts_config",
    "pg_ts_dict",
    "pg_type",
    "pg_user",
    "pg_user_mapping",
    "pg_user_mappings",
    "pg_views",
];

/// State carried from one statement to the next within one request.
#[derive(Debug)]
pub(crate) struct Session {
    pub dialect: Dialect,
    /// Normalised names of relations created earlier in this request (temporary or not).
    created: Vec<String>,
    /// Unqualified names of temporary relations, which shadow permanent ones of the same name.
    temp: Vec<String>,
    /// Names of statements prepared earlier in this request.
    pub prepared: Vec<String>,
    /// MySQL user variables set to a literal earlier in this request (`SET @q = '…'`);
    /// `None` when the last assignment was not a literal.
    variables: Vec<(String, Option<String>)>,
    /// Nesting of dynamic SQL being followed.
    depth: u32,
}

impl Session {
    pub(crate) fn new(dialect: Dialect) -> Session {
        Session {
            dialect,
            created: Vec::new(),
            temp: Vec::new(),
            prepared: Vec::new(),
            variables: Vec::new(),
            depth: 0,
        }
    }

    /// The schema temporary relations live in, for this dialect.
    fn temp_schema(&self) -> Option<&'static str> {
        match self.dialect {
            Dialect::Postgres => Some("pg_temp"),
            Dialect::Sqlite => Some("temp"),
            Dialect::Mysql | Dialect::Generic => None,
        }
    }

    /// The normalised name of a relation. `schema` and `name` are already case-folded as the
    /// dialect does; `temp` says the statement creates it as a temporary relation.
    pub(crate) fn relation(&self, schema: &str, name: &str, temp: bool) -> String {
        if !schema.is_empty() {
            return format!("{schema}.{name}");
        }
        let shadowed = temp || self.temp.iter().any(|t| t == name);
        match (shadowed, self.temp_schema(), self.dialect) {
            (true, Some(s), _) => format!("{s}.{name}"),
            // `pg_catalog` is searched before the search path: `pg_authid` is the catalog's.
            (_, _, Dialect::Postgres) if PG_CATALOG_RELATIONS.binary_search(&name).is_ok() => {
                format!("pg_catalog.{name}")
            }
            (_, _, Dialect::Postgres) => format!("public.{name}"),
            _ => name.to_string(),
        }
    }

    /// Whether writing `name` only touches work of this request.
    fn is_temporary(&self, name: &str) -> bool {
        let in_temp_schema = self.temp_schema().is_some_and(|s| {
            name.strip_prefix(s)
                .is_some_and(|rest| rest.starts_with('.'))
        });
        in_temp_schema || self.created.iter().any(|c| c == name)
    }

    /// Records a relation created by the statement just analysed.
    pub(crate) fn created(&mut self, name: &str, temp_unqualified: Option<&str>) {
        if !self.created.iter().any(|c| c == name) {
            self.created.push(name.to_string());
        }
        if let Some(t) = temp_unqualified
            && !self.temp.iter().any(|x| x == t)
        {
            self.temp.push(t.to_string());
        }
    }

    /// Records `SET @name = value` (MySQL user variables are case-insensitive).
    pub(crate) fn set_variable(&mut self, name: &str, literal: Option<String>) {
        let name = name.to_lowercase();
        self.variables.retain(|(n, _)| *n != name);
        self.variables.push((name, literal));
    }

    /// The literal value of a user variable set earlier in this request.
    pub(crate) fn variable(&self, name: &str) -> Option<&str> {
        let name = name.to_lowercase();
        self.variables
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Forgets a relation dropped by the statement just analysed: a later statement naming it
    /// reaches the permanent relation again.
    pub(crate) fn dropped(&mut self, name: &str) {
        self.created.retain(|c| c != name);
        if let Some(schema) = self.temp_schema()
            && let Some(bare) = name.strip_prefix(schema).and_then(|r| r.strip_prefix('.'))
        {
            self.temp.retain(|t| t != bare);
        }
    }
}

/// The facts gathered about one statement, deduplicated in first-seen order.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub sql: SqlAction,
    /// Fold depth or walk depth was exceeded: the statement is too deep to judge.
    pub too_deep: bool,
    /// The statement creates (or, `DROP TEMPORARY TABLE`, drops) only a temporary relation
    /// (MySQL has no temporary schema to tell).
    pub created_temporary: bool,
}

pub(crate) fn push_unique(list: &mut List, item: impl Into<Str>) {
    let item = item.into();
    if !item.is_empty() && !list.contains(&item) {
        list.push(item);
    }
}

impl Facts {
    pub(crate) fn new(statement: StatementKind, object: ObjectKind, dialect: Dialect) -> Facts {
        Facts {
            sql: SqlAction {
                statement,
                object,
                dialect,
                ..SqlAction::default()
            },
            too_deep: false,
            created_temporary: false,
        }
    }

    /// A relation touched (read unless also written).
    pub(crate) fn table(&mut self, name: impl Into<Str>) {
        push_unique(&mut self.sql.tables, name);
    }

    /// A relation written, dropped or altered.
    pub(crate) fn write(&mut self, name: impl Into<Str>) {
        let name = name.into();
        push_unique(&mut self.sql.tables, name.clone());
        push_unique(&mut self.sql.writes, name);
    }

    pub(crate) fn column_read(&mut self, name: impl Into<Str>) {
        push_unique(&mut self.sql.columns_read, name);
    }

    pub(crate) fn column_written(&mut self, name: impl Into<Str>) {
        push_unique(&mut self.sql.columns_written, name);
    }

    /// A function called; recorded lowercase and without its schema.
    pub(crate) fn function(&mut self, name: &str) {
        let bare = name.rsplit('.').next().unwrap_or(name);
        push_unique(&mut self.sql.functions, Str::from_str_to_lowercase(bare));
    }

    pub(crate) fn setting(&mut self, name: &str) {
        push_unique(&mut self.sql.settings, Str::from_str_to_lowercase(name));
    }

    pub(crate) fn grantee(&mut self, name: &str) {
        push_unique(&mut self.sql.grantees, Str::from_str_to_lowercase(name));
    }

    pub(crate) fn privilege(&mut self, name: &str) {
        push_unique(&mut self.sql.privileges, Str::from_str_to_lowercase(name));
    }

    pub(crate) fn role(&mut self, name: &str) {
        push_unique(&mut self.sql.roles, name);
    }

    pub(crate) fn operation(&mut self, name: &str) {
        push_unique(&mut self.sql.operations, name);
    }

    /// Sets the WHERE facts from a folded predicate.
    /// `row_independent`: the predicate reads nothing of the row (no column, no subquery, no
    /// per-row random value), so it keeps every row or none: `WHERE now() > '2020-01-01'`,
    /// `WHERE $1`, `WHERE current_user = 'app'` restrict nothing.
    pub(crate) fn where_clause(
        &mut self,
        folded: &fold::Val,
        too_deep: bool,
        row_independent: bool,
    ) {
        self.sql.has_where = true;
        let undecided = matches!(folded, fold::Val::Unknown);
        let keeps_every_row = too_deep
            || fold::always_true(folded, self.sql.dialect)
            || (undecided && row_independent);
        self.sql.effective_where = !keeps_every_row;
    }

    /// Completes the derived fields and wraps the facts into an action.
    pub(crate) fn into_action(
        mut self,
        session: &Session,
        span: [u32; 2],
        via: &[Str],
        text: &str,
    ) -> Action {
        let writes = &self.sql.writes;
        self.sql.reads = self
            .sql
            .tables
            .iter()
            .filter(|t| !writes.contains(t))
            .cloned()
            .collect();
        self.sql.temporary = self.created_temporary
            || (!writes.is_empty() && writes.iter().all(|w| session.is_temporary(w)));
        Action {
            span,
            via: via.iter().cloned().collect(),
            text: text.to_string(),
            detail: ActionDetail::Sql(self.sql),
        }
    }
}

/// Adds `step` to the end of a `via` chain, keeping the origin's span.
pub(crate) fn deeper(origin: &Origin, step: &str, span: [u32; 2]) -> Origin {
    origin.nested(step, span)
}

#[cfg(test)]
mod tests {
    use guard_model::ActionKind;

    use super::*;

    #[test]
    fn nested_text_keeps_the_outer_span_and_via() {
        let origin = Origin {
            span: Some([10, 40]),
            via: List::from(["psql -c".into()]),
        };
        for dialect in Dialect::ALL {
            let actions = analyze("SELECT 1; DROP TABLE t", *dialect, &origin);
            assert_eq!(actions.len(), 2, "{dialect}");
            for a in &actions {
                assert_eq!(a.span, [10, 40]);
                assert_eq!(a.via, vec!["psql -c".to_string()]);
                assert_eq!(a.kind(), ActionKind::Sql);
            }
        }
    }

    #[test]
    fn do_bodies_extend_the_via_chain() {
        let origin = Origin {
            span: Some([3, 9]),
            via: List::from(["bash -c".into()]),
        };
        let actions = analyze(
            "DO $$ BEGIN DELETE FROM t; END $$",
            Dialect::Postgres,
            &origin,
        );
        let inner = actions.iter().find(|a| a.text == "DELETE FROM t");
        assert_eq!(
            inner.map(|a| a.via.clone()),
            Some(List::from([Str::from("bash -c"), Str::from("DO")]))
        );
        assert_eq!(inner.map(|a| a.span), Some([3, 9]));
    }

    #[test]
    fn comment_only_text_is_one_other_statement() {
        for dialect in Dialect::ALL {
            let actions = analyze("-- nothing to run\n;", *dialect, &Origin::top());
            assert_eq!(actions.len(), 1, "{dialect}");
            let other = matches!(&actions[0].detail, ActionDetail::Sql(s) if s.statement == StatementKind::Other);
            assert!(other, "{dialect}: {actions:?}");
        }
    }

    #[test]
    fn catalog_names_are_sorted_for_binary_search() {
        assert!(PG_CATALOG_RELATIONS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn dropping_a_temporary_table_unshadows_the_permanent_one() {
        let mut session = Session::new(Dialect::Postgres);
        session.created("pg_temp.users", Some("users"));
        assert_eq!(session.relation("", "users", false), "pg_temp.users");
        session.dropped("pg_temp.users");
        assert_eq!(session.relation("", "users", false), "public.users");
        assert!(!session.is_temporary("public.users"));
    }
}
