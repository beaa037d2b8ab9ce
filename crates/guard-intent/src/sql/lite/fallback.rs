//! Statements `sqlparser` rejects but the servers accept, read from the dialect's own tokens.
//!
//! When `sqlparser` fails on a statement, the statement's tokens (up to the next top-level `;`)
//! are matched against the exact grammar of a few everyday MySQL and SQLite statements:
//! accounts (`CREATE|ALTER|DROP USER 'u'@'h' …`), `ALTER TABLE … DROP|TRUNCATE PARTITION`,
//! `DISCARD TABLESPACE`, `ENGINE = …`, `GRANT`/`REVOKE` with MySQL privilege names
//! (`SUPER`, `FILE`, `PROCESS`, …), `LOAD DATA|XML [LOCAL] INFILE`, table maintenance
//! (`OPTIMIZE|REPAIR|CHECK|CHECKSUM|ANALYZE TABLE`), server plugins and shared-library functions
//! (`INSTALL PLUGIN … SONAME`, `CREATE FUNCTION … SONAME`), and SQLite's `PRAGMA name(arg)` /
//! `PRAGMA name = keyword` and `VACUUM INTO 'file'`.
//!
//! Invariant: a recognizer either accounts for every token of the statement or declines, so
//! a statement with anything more (a `SET` clause with expressions, `DEFAULT ROLE`, `AS user`)
//! stays `opaque`. Tokens come from the dialect's tokenizer, so quoting and comments are read
//! as the server reads them, never with patterns over the raw text.

use guard_model::{CopyTarget, Dialect, ObjectKind, StatementKind};
use sqlparser::ast::Ident;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::normalize;
use crate::sql::{Facts, Session};

/// Reads one statement's significant tokens (no whitespace, no terminating `;`).
pub(super) fn statement(toks: &[&TokenWithSpan], session: &Session) -> Option<Facts> {
    let mut c = Cursor { toks, i: 0 };
    let facts = match session.dialect {
        Dialect::Mysql => mysql(&mut c, session),
        Dialect::Sqlite => sqlite(&mut c, session),
        Dialect::Postgres | Dialect::Generic => None,
    }?;
    c.at_end().then_some(facts)
}

fn mysql(c: &mut Cursor<'_>, session: &Session) -> Option<Facts> {
    let d = session.dialect;
    if c.eat_kw("CREATE") {
        if c.eat_kw("USER") {
            return account(c, StatementKind::Create, d, true);
        }
        c.eat_kw("AGGREGATE");
        if c.eat_kw("FUNCTION") {
            return soname_function(c, session);
        }
        return None;
    }
    if c.eat_kw("ALTER") {
        if c.eat_kw("TABLE") {
            return alter_table(c, session);
        }
        return c
            .eat_kw("USER")
            .then(|| account(c, StatementKind::Alter, d, true))
            .flatten();
    }
    if c.eat_kw("DROP") {
        return c
            .eat_kw("USER")
            .then(|| account(c, StatementKind::Drop, d, false))
            .flatten();
    }
    if c.eat_kw("GRANT") {
        return grant(c, StatementKind::Grant, d);
    }
    if c.eat_kw("REVOKE") {
        return grant(c, StatementKind::Revoke, d);
    }
    if c.eat_kw("LOAD") {
        return load_data(c, session);
    }
    if c.eat_kw("INSTALL") {
        return install(c, d);
    }
    for (word, kind, writes) in [
        ("OPTIMIZE", StatementKind::Vacuum, true),
        ("REPAIR", StatementKind::Other, true),
        ("CHECK", StatementKind::Other, false),
        ("CHECKSUM", StatementKind::Other, false),
        ("ANALYZE", StatementKind::Analyze, false),
    ] {
        if c.eat_kw(word) {
            return maintenance(c, kind, writes, session);
        }
    }
    None
}

/// `CREATE|ALTER USER [IF [NOT] EXISTS] user [auth] [, user [auth]]… [options]` and
/// `DROP USER [IF EXISTS] user [, user]…`. The accounts are the statement's roles, named as
/// MySQL names them, `user@host` (a user given without a host is `user@%`: any host).
fn account(c: &mut Cursor<'_>, kind: StatementKind, d: Dialect, options: bool) -> Option<Facts> {
    let mut f = Facts::new(kind, ObjectKind::User, d);
    if c.eat_kw("IF") {
        c.eat_kw("NOT");
        c.expect_kw("EXISTS")?;
    }
    loop {
        let (user, host) = c.user()?;
        let host = host.map_or_else(|| "%".to_string(), |h| h.to_lowercase());
        f.role(&format!("{user}@{host}"));
        if options {
            c.auth()?;
        }
        if !c.eat(&Token::Comma) {
            break;
        }
    }
    if options {
        c.account_options()?;
    }
    Some(f)
}

/// The `ALTER TABLE t …` forms sqlparser rejects: `DROP|TRUNCATE PARTITION p [, p]…` (the
/// partitions' rows are destroyed), `DISCARD TABLESPACE` (the table's data file is deleted),
/// `IMPORT TABLESPACE`, `ENGINE [=] e` (a rebuild).
fn alter_table(c: &mut Cursor<'_>, session: &Session) -> Option<Facts> {
    let table = c.relation(session)?;
    let mut f = Facts::new(StatementKind::Alter, ObjectKind::Table, session.dialect);
    f.write(table);
    for (word, op) in [
        ("DROP", "drop_partition"),
        ("TRUNCATE", "truncate_partition"),
    ] {
        if c.eat_kw(word) {
            c.expect_kw("PARTITION")?;
            f.operation(op);
            loop {
                if !c.eat_kw("ALL") {
                    c.word()?;
                }
                if !c.eat(&Token::Comma) {
                    return Some(f);
                }
            }
        }
    }
    for (word, op) in [
        ("DISCARD", "discard_tablespace"),
        ("IMPORT", "import_tablespace"),
    ] {
        if c.eat_kw(word) {
            c.expect_kw("TABLESPACE")?;
            f.operation(op);
            return Some(f);
        }
    }
    c.expect_kw("ENGINE")?;
    c.eat(&Token::Eq);
    c.word()?;
    f.operation("set_engine");
    Some(f)
}

/// MySQL `GRANT|REVOKE`: privileges `ON` a level `TO|FROM` accounts, or roles to accounts.
fn grant(c: &mut Cursor<'_>, kind: StatementKind, d: Dialect) -> Option<Facts> {
    let grant = kind == StatementKind::Grant;
    if !grant && c.eat_kw("IF") {
        c.expect_kw("EXISTS")?;
    }
    let to = if grant { "TO" } else { "FROM" };
    // The privilege (or role) list, up to `ON` or `TO|FROM`.
    let mut items: Vec<Vec<&TokenWithSpan>> = vec![Vec::new()];
    loop {
        let t = c.peek()?;
        if is_kw(t, "ON") || is_kw(t, to) {
            break;
        }
        c.i += 1;
        match &t.token {
            Token::Comma => items.push(Vec::new()),
            Token::LParen => c.skip_parens()?,
            _ => items.last_mut()?.push(t),
        }
    }
    let mut f = Facts::new(kind, ObjectKind::Table, d);
    let words = |item: &[&TokenWithSpan]| -> Option<String> {
        let words = item
            .iter()
            .map(|t| match &t.token {
                Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(words.join(" "))
    };
    let every_privilege = match items.as_slice() {
        [all, option] => {
            matches!(words(all).as_deref(), Some("all" | "all privileges"))
                && words(option).as_deref() == Some("grant option")
        }
        _ => false,
    };
    if !grant && every_privilege && c.peek().is_some_and(|t| is_kw(t, to)) {
        // `REVOKE ALL [PRIVILEGES], GRANT OPTION FROM u`: every privilege at every level.
        f.privilege("all");
        f.privilege("grant_option");
        f.table("*.*");
    } else if c.eat_kw("ON") {
        if c.peek().is_some_and(|t| is_kw(t, "PROXY")) {
            return None;
        }
        for item in &items {
            let name = words(item)?;
            match name.as_str() {
                "" => return None,
                "all" | "all privileges" => f.privilege("all"),
                "grant option" => f.privilege("grant_option"),
                other => f.privilege(other),
            }
        }
        for object in ["TABLE", "FUNCTION", "PROCEDURE"] {
            if c.eat_kw(object) {
                if object != "TABLE" {
                    f.sql.object = ObjectKind::Function;
                }
                break;
            }
        }
        let level = c.level(d)?;
        f.table(level);
    } else {
        // Roles granted to accounts: `GRANT 'dba', 'ops'@'%' TO 'u'@'h'`.
        f.sql.object = ObjectKind::Role;
        for item in &items {
            let mut inner = Cursor { toks: item, i: 0 };
            let (role, _) = inner.user()?;
            inner.at_end().then_some(())?;
            f.role(&role);
        }
    }
    c.expect_kw(to)?;
    loop {
        let (user, host) = c.user()?;
        match host {
            Some(h) => f.grantee(&format!("{user}@{h}")),
            None => f.grantee(&user),
        }
        if !c.eat(&Token::Comma) {
            break;
        }
    }
    if grant && c.eat_kw("WITH") {
        if c.eat_kw("GRANT") {
            c.expect_kw("OPTION")?;
            f.privilege("grant_option");
        } else {
            c.expect_kw("ADMIN")?;
            c.expect_kw("OPTION")?;
            f.privilege("admin_option");
        }
    }
    if !grant && c.eat_kw("IGNORE") {
        c.expect_kw("UNKNOWN")?;
        c.expect_kw("USER")?;
    }
    Some(f)
}

/// `LOAD DATA|XML [LOW_PRIORITY|CONCURRENT] [LOCAL] INFILE 'file' [REPLACE|IGNORE] INTO TABLE t
/// [PARTITION (…)] [CHARACTER SET cs] [format options] [(columns)]`: a file read into a table.
/// Without `LOCAL` the server reads its own file (`copy = file`); with `LOCAL` the client sends
/// one of its files over the connection (`copy = stdin`); either way `copy_target` is the file.
/// A `SET col = expr` clause is not read (the statement stays opaque).
fn load_data(c: &mut Cursor<'_>, session: &Session) -> Option<Facts> {
    if !c.eat_kw("DATA") {
        c.expect_kw("XML")?;
    }
    if !c.eat_kw("LOW_PRIORITY") {
        c.eat_kw("CONCURRENT");
    }
    let local = c.eat_kw("LOCAL");
    c.expect_kw("INFILE")?;
    let file = c.string()?;
    if !c.eat_kw("REPLACE") {
        c.eat_kw("IGNORE");
    }
    c.expect_kw("INTO")?;
    c.expect_kw("TABLE")?;
    let table = c.relation(session)?;
    let mut f = Facts::new(StatementKind::Copy, ObjectKind::Table, session.dialect);
    f.write(table);
    f.sql.copy = if local {
        CopyTarget::Stdin
    } else {
        CopyTarget::File
    };
    f.sql.copy_target = file;
    if c.eat_kw("PARTITION") {
        c.expect(&Token::LParen)?;
        c.skip_parens()?;
    }
    if c.eat_kw("CHARACTER") {
        c.expect_kw("SET")?;
        c.word()?;
    }
    // Format options: words, strings and numbers only, then an optional column list.
    while let Some(t) = c.peek() {
        match &t.token {
            Token::Word(w) if w.quote_style.is_none() && !w.value.eq_ignore_ascii_case("SET") => {
                c.i += 1;
            }
            Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) | Token::Number(..) => {
                c.i += 1;
            }
            Token::LParen => {
                c.i += 1;
                loop {
                    let t = c.peek()?;
                    c.i += 1;
                    match &t.token {
                        Token::RParen => break,
                        Token::Word(_) | Token::Comma | Token::Placeholder(_) => {}
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
    }
    Some(f)
}

/// `INSTALL PLUGIN name SONAME 'lib'` / `INSTALL COMPONENT 'urn' [, 'urn']…`: code loaded into
/// the server (`load`, like PostgreSQL's `LOAD 'lib'`).
fn install(c: &mut Cursor<'_>, d: Dialect) -> Option<Facts> {
    let mut f = Facts::new(StatementKind::Load, ObjectKind::Other, d);
    if c.eat_kw("PLUGIN") {
        c.word()?;
        c.expect_kw("SONAME")?;
        f.sql.copy_target = c.string()?;
        f.sql.language = "c".to_string();
        return Some(f);
    }
    c.expect_kw("COMPONENT")?;
    loop {
        c.string()?;
        if !c.eat(&Token::Comma) {
            break;
        }
    }
    f.sql.language = "c".to_string();
    Some(f)
}

/// `CREATE [AGGREGATE] FUNCTION [IF NOT EXISTS] f RETURNS type SONAME 'lib'`: a function
/// implemented by a shared library (language `c`).
fn soname_function(c: &mut Cursor<'_>, session: &Session) -> Option<Facts> {
    if c.eat_kw("IF") {
        c.expect_kw("NOT")?;
        c.expect_kw("EXISTS")?;
    }
    let name = c.relation(session)?;
    c.expect_kw("RETURNS")?;
    c.word()?;
    c.expect_kw("SONAME")?;
    let library = c.string()?;
    let mut f = Facts::new(StatementKind::Create, ObjectKind::Function, session.dialect);
    f.write(name);
    f.sql.language = "c".to_string();
    f.sql.copy_target = library;
    Some(f)
}

/// `OPTIMIZE|REPAIR|CHECK|CHECKSUM|ANALYZE [NO_WRITE_TO_BINLOG|LOCAL] TABLE[S] t [, t]…
/// [options]`.
fn maintenance(
    c: &mut Cursor<'_>,
    kind: StatementKind,
    writes: bool,
    session: &Session,
) -> Option<Facts> {
    if !c.eat_kw("NO_WRITE_TO_BINLOG") {
        c.eat_kw("LOCAL");
    }
    if !c.eat_kw("TABLE") {
        c.expect_kw("TABLES")?;
    }
    let mut f = Facts::new(kind, ObjectKind::Table, session.dialect);
    loop {
        let t = c.relation(session)?;
        if writes {
            f.write(t);
        } else {
            f.table(t);
        }
        if !c.eat(&Token::Comma) {
            break;
        }
    }
    const OPTIONS: [&str; 9] = [
        "QUICK", "FAST", "MEDIUM", "EXTENDED", "CHANGED", "USE_FRM", "FOR", "UPGRADE", "NONE",
    ];
    while c.peek().is_some() {
        OPTIONS.iter().any(|o| c.eat_kw(o)).then_some(())?;
    }
    Some(f)
}

/// SQLite pragmas that only report (even when given an argument, `table_info(t)`).
const READ_ONLY_PRAGMAS: [&str; 20] = [
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_key_check",
    "integrity_check",
    "quick_check",
    "database_list",
    "collation_list",
    "function_list",
    "module_list",
    "pragma_list",
    "compile_options",
    "data_version",
    "freelist_count",
    "page_count",
    "stats",
];

/// Whether a SQLite pragma only reports, whatever its argument.
pub(super) fn read_only_pragma(name: &str) -> bool {
    let base = name.rsplit('.').next().unwrap_or(name).to_lowercase();
    READ_ONLY_PRAGMAS.contains(&base.as_str())
}

fn sqlite(c: &mut Cursor<'_>, session: &Session) -> Option<Facts> {
    let d = session.dialect;
    if c.eat_kw("PRAGMA") {
        let mut name = c.word()?;
        if c.eat(&Token::Period) {
            name = format!("{name}.{}", c.word()?);
        }
        let name = name.to_lowercase();
        let value = if c.eat(&Token::Eq) {
            Some(c.pragma_value()?)
        } else if c.eat(&Token::LParen) {
            let v = c.pragma_value()?;
            c.expect(&Token::RParen)?;
            Some(v)
        } else {
            None
        };
        let kind = if value.is_none() || read_only_pragma(&name) {
            StatementKind::Show
        } else {
            StatementKind::Set
        };
        let mut f = Facts::new(kind, ObjectKind::None, d);
        f.setting(&name);
        return Some(f);
    }
    if c.eat_kw("VACUUM") {
        // `VACUUM [schema] INTO 'file'`: a copy of the whole database written to a file.
        if !c.peek().is_some_and(|t| is_kw(t, "INTO")) {
            c.word()?;
        }
        c.expect_kw("INTO")?;
        let mut f = Facts::new(StatementKind::Vacuum, ObjectKind::Database, d);
        f.sql.copy = CopyTarget::File;
        f.sql.copy_target = c.string()?;
        return Some(f);
    }
    None
}

fn is_kw(t: &TokenWithSpan, kw: &str) -> bool {
    matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
}

struct Cursor<'t> {
    toks: &'t [&'t TokenWithSpan],
    i: usize,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<&'t TokenWithSpan> {
        self.toks.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.toks.len()
    }

    fn eat(&mut self, token: &Token) -> bool {
        let hit = self.peek().is_some_and(|t| &t.token == token);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn expect(&mut self, token: &Token) -> Option<()> {
        self.eat(token).then_some(())
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.peek().is_some_and(|t| is_kw(t, kw));
        if hit {
            self.i += 1;
        }
        hit
    }

    fn expect_kw(&mut self, kw: &str) -> Option<()> {
        self.eat_kw(kw).then_some(())
    }

    /// A bare or quoted word's value.
    fn word(&mut self) -> Option<String> {
        match &self.peek()?.token {
            Token::Word(w) => {
                self.i += 1;
                Some(w.value.clone())
            }
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        match &self.peek()?.token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                self.i += 1;
                Some(s.clone())
            }
            _ => None,
        }
    }

    /// Skips to the `)` matching an already consumed `(`.
    fn skip_parens(&mut self) -> Option<()> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.peek()?.token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ => {}
            }
            self.i += 1;
        }
        Some(())
    }

    /// A table name, `[db.]t`, normalised as the rest of the front end does.
    fn relation(&mut self, session: &Session) -> Option<String> {
        let mut parts = vec![self.ident()?];
        while self.eat(&Token::Period) {
            parts.push(self.ident()?);
        }
        let d = session.dialect;
        let mut names: Vec<String> = parts.iter().map(|i| normalize(i, d)).collect();
        let name = names.pop()?;
        Some(session.relation(&names.join("."), &name, false))
    }

    fn ident(&mut self) -> Option<Ident> {
        match &self.peek()?.token {
            Token::Word(w) => {
                self.i += 1;
                Some(Ident {
                    value: w.value.clone(),
                    quote_style: w.quote_style,
                    span: sqlparser::tokenizer::Span::empty(),
                })
            }
            _ => None,
        }
    }

    /// A privilege level: `*`, `*.*`, `db.*`, `db.t`, `t`.
    fn level(&mut self, d: Dialect) -> Option<String> {
        let mut out = String::new();
        loop {
            match &self.peek()?.token {
                Token::Mul => out.push('*'),
                Token::Word(w) if !is_kw(self.peek()?, "TO") && !is_kw(self.peek()?, "FROM") => {
                    out.push_str(&normalize(
                        &Ident {
                            value: w.value.clone(),
                            quote_style: w.quote_style,
                            span: sqlparser::tokenizer::Span::empty(),
                        },
                        d,
                    ));
                }
                _ => return None,
            }
            self.i += 1;
            if !self.eat(&Token::Period) {
                return Some(out);
            }
            out.push('.');
        }
    }

    /// A MySQL account, `'u'@'h'`, `u@h`, `` `u`@`h` ``, `u`, `CURRENT_USER[()]`:
    /// (user, host).
    fn user(&mut self) -> Option<(String, Option<String>)> {
        let t = self.peek()?;
        let (name, glued) = match &t.token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => (s.clone(), false),
            Token::Word(w) if w.quote_style.is_some() => (w.value.clone(), false),
            Token::Word(w) if !is_kw(t, "IDENTIFIED") => (w.value.clone(), true),
            _ => return None,
        };
        self.i += 1;
        if glued && name.eq_ignore_ascii_case("CURRENT_USER") {
            if self.eat(&Token::LParen) {
                self.expect(&Token::RParen)?;
            }
            return Some((name.to_lowercase(), None));
        }
        // The MySQL tokenizer glues `@` to unquoted words: `u@h`, `u@` + `'h'`.
        if glued && let Some((user, host)) = name.split_once('@') {
            if !host.is_empty() {
                return Some((user.to_string(), Some(host.to_string())));
            }
            let host = self.host()?;
            return Some((user.to_string(), Some(host)));
        }
        if self.eat(&Token::AtSign) {
            let host = self.host()?;
            return Some((name, Some(host)));
        }
        if let Some(next) = self.peek() {
            let glued_host = match &next.token {
                Token::Word(w) if w.quote_style.is_none() => w.value.strip_prefix('@'),
                Token::Placeholder(p) => p.strip_prefix('@'),
                _ => None,
            };
            if let Some(h) = glued_host.filter(|h| !h.is_empty()) {
                self.i += 1;
                return Some((name, Some(h.to_string())));
            }
        }
        Some((name, None))
    }

    fn host(&mut self) -> Option<String> {
        match &self.peek()?.token {
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                let h = s.clone();
                self.i += 1;
                Some(h)
            }
            Token::Word(w) => {
                let h = w.value.clone();
                self.i += 1;
                Some(h)
            }
            Token::Number(n, _) => {
                // An unquoted IP address tokenizes as numbers and periods.
                let mut h = n.clone();
                self.i += 1;
                while self.eat(&Token::Period) {
                    match &self.peek()?.token {
                        Token::Number(m, _) => {
                            h.push('.');
                            h.push_str(m);
                            self.i += 1;
                        }
                        _ => return None,
                    }
                }
                Some(h)
            }
            _ => None,
        }
    }

    /// `IDENTIFIED BY 'pw' | BY RANDOM PASSWORD | WITH plugin [BY|AS 'x' | BY RANDOM PASSWORD]`,
    /// with `REPLACE 'current'` / `RETAIN CURRENT PASSWORD`; absent is fine.
    fn auth(&mut self) -> Option<()> {
        if !self.eat_kw("IDENTIFIED") {
            return Some(());
        }
        if self.eat_kw("WITH") {
            self.word()?;
            if !(self.eat_kw("BY") || self.eat_kw("AS")) {
                return Some(());
            }
        } else {
            self.expect_kw("BY")?;
        }
        if self.eat_kw("RANDOM") {
            self.expect_kw("PASSWORD")?;
        } else if self.eat_kw("PASSWORD") {
            // Old `IDENTIFIED BY PASSWORD 'hash'`.
            self.string()?;
        } else {
            self.string()?;
        }
        if self.eat_kw("REPLACE") {
            self.string()?;
        }
        if self.eat_kw("RETAIN") {
            self.expect_kw("CURRENT")?;
            self.expect_kw("PASSWORD")?;
        }
        Some(())
    }

    /// The account options after the users: TLS, resource limits, password and lock options,
    /// comments. Anything else (notably `DEFAULT ROLE`) declines.
    fn account_options(&mut self) -> Option<()> {
        const WORDS: [&str; 36] = [
            "REQUIRE",
            "NONE",
            "SSL",
            "X509",
            "CIPHER",
            "ISSUER",
            "SUBJECT",
            "AND",
            "WITH",
            "MAX_QUERIES_PER_HOUR",
            "MAX_UPDATES_PER_HOUR",
            "MAX_CONNECTIONS_PER_HOUR",
            "MAX_USER_CONNECTIONS",
            "PASSWORD",
            "EXPIRE",
            "DEFAULT",
            "NEVER",
            "INTERVAL",
            "DAY",
            "HISTORY",
            "REUSE",
            "CURRENT",
            "OPTIONAL",
            "REQUIRE",
            "FAILED_LOGIN_ATTEMPTS",
            "PASSWORD_LOCK_TIME",
            "UNBOUNDED",
            "ACCOUNT",
            "LOCK",
            "UNLOCK",
            "COMMENT",
            "ATTRIBUTE",
            "DISCARD",
            "OLD",
            "RETAIN",
            "RANDOM",
        ];
        while let Some(t) = self.peek() {
            let ok = match &t.token {
                Token::SingleQuotedString(_) | Token::Number(..) => true,
                Token::Word(_) => WORDS.iter().any(|w| is_kw(t, w)),
                _ => false,
            };
            if !ok {
                return None;
            }
            self.i += 1;
        }
        Some(())
    }

    /// A pragma's value: a word, a string, or a signed number.
    fn pragma_value(&mut self) -> Option<String> {
        let sign = if self.eat(&Token::Minus) {
            "-"
        } else {
            self.eat(&Token::Plus);
            ""
        };
        match &self.peek()?.token {
            Token::Number(n, _) => {
                let v = format!("{sign}{n}");
                self.i += 1;
                Some(v)
            }
            Token::Word(_) | Token::SingleQuotedString(_) | Token::DoubleQuotedString(_)
                if sign.is_empty() =>
            {
                self.word().or_else(|| self.string())
            }
            _ => None,
        }
    }
}
