//! Constant folding of predicates, shared by both SQL front ends.
//!
//! Each front end lowers its expression nodes to [`Val`] and combines them with the operations
//! here. The question asked is only "is this WHERE provably true for every row?"; anything the
//! folder cannot decide is [`Val::Unknown`], so an undecided predicate counts as effective.
//!
//! Invariant: folding never claims `true` for a predicate that can be false for some row with
//! non-NULL values, except `x = x` (and `x <= x`, `x >= x`, `x LIKE '%'`, SQLite's
//! `x GLOB '*'`, and the same with any repeated expression free of per-row functions,
//! `lower(s) = lower(s)`), which the design treats as constant-true on purpose: such a
//! predicate only filters out NULLs.
//!
//! Conditional expressions fold when their branches do: `COALESCE`/`IFNULL`, `NULLIF`, `CASE`,
//! MySQL `IF`, SQLite `iif`, `GREATEST`/`LEAST`, row comparisons, `= ANY (ARRAY[…])`.
//!
//! Literal coercions follow the server: PostgreSQL coerces untyped literals (`'1' = 1`,
//! `'t'` as a boolean), MySQL converts strings to numbers by their numeric prefix (`'a' = 0` is
//! true) and compares strings case-insensitively, SQLite orders every number before every text.

use guard_model::Dialect;

/// A folded value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Bool(bool),
    Num(f64),
    Str(String),
    Null,
    /// A column reference, by its written (normalised) name.
    Col(String),
    Unknown,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl Cmp {
    pub(crate) fn from_op(op: &str) -> Option<Cmp> {
        Some(match op {
            "=" | "==" | "<=>" => Cmp::Eq,
            "<>" | "!=" => Cmp::NotEq,
            "<" => Cmp::Lt,
            "<=" => Cmp::LtEq,
            ">" => Cmp::Gt,
            ">=" => Cmp::GtEq,
            _ => return None,
        })
    }

    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Cmp::Eq => ord == Equal,
            Cmp::NotEq => ord != Equal,
            Cmp::Lt => ord == Less,
            Cmp::LtEq => ord != Greater,
            Cmp::Gt => ord == Greater,
            Cmp::GtEq => ord != Less,
        }
    }
}

/// Truth of a value used as a predicate: `Some(true)` only when provably true.
pub(crate) fn truth(v: &Val, dialect: Dialect) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(*b),
        Val::Num(n) => Some(*n != 0.0),
        Val::Str(s) => match dialect {
            Dialect::Postgres => pg_bool(s),
            Dialect::Mysql | Dialect::Sqlite => Some(numeric_prefix(s) != 0.0),
            Dialect::Generic => pg_bool(s),
        },
        Val::Null | Val::Col(_) | Val::Unknown => None,
    }
}

/// PostgreSQL's boolean input syntax (`'t'`, `'yes'`, `'on'`, `'1'`, and prefixes).
fn pg_bool(s: &str) -> Option<bool> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    let prefix_of = |word: &str| word.starts_with(t.as_str());
    if prefix_of("true") || prefix_of("yes") || t == "on" || t == "1" {
        Some(true)
    } else if prefix_of("false") || prefix_of("no") || t == "off" || t == "of" || t == "0" {
        Some(false)
    } else {
        None
    }
}

/// MySQL/SQLite string-to-number conversion: the longest numeric prefix, else 0.
fn numeric_prefix(s: &str) -> f64 {
    let t = s.trim_start();
    let mut end = 0;
    let bytes = t.as_bytes();
    let mut seen_digit = false;
    let mut seen_dot = false;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'+' | b'-' if i == 0 => {}
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_dot => seen_dot = true,
            _ => break,
        }
        end = i + 1;
    }
    if !seen_digit {
        return 0.0;
    }
    t.get(..end)
        .and_then(|p| p.parse::<f64>().ok())
        .unwrap_or(0.0)
}

pub(crate) fn not(v: Val, dialect: Dialect) -> Val {
    match v {
        Val::Null => Val::Null,
        other => match truth(&other, dialect) {
            Some(b) => Val::Bool(!b),
            None => Val::Unknown,
        },
    }
}

/// Three-valued AND over already folded operands.
pub(crate) fn and(items: impl IntoIterator<Item = Val>, dialect: Dialect) -> Val {
    let mut all_true = true;
    for v in items {
        match (&v, truth(&v, dialect)) {
            (_, Some(false)) => return Val::Bool(false),
            (_, Some(true)) => {}
            _ => all_true = false,
        }
    }
    if all_true {
        Val::Bool(true)
    } else {
        Val::Unknown
    }
}

/// Three-valued OR over already folded operands.
pub(crate) fn or(items: impl IntoIterator<Item = Val>, dialect: Dialect) -> Val {
    let mut all_false = true;
    for v in items {
        match truth(&v, dialect) {
            Some(true) => return Val::Bool(true),
            Some(false) => {}
            None => all_false = false,
        }
    }
    if all_false {
        Val::Bool(false)
    } else {
        Val::Unknown
    }
}

/// `v IS NULL`.
pub(crate) fn is_null(v: &Val) -> Val {
    match v {
        Val::Null => Val::Bool(true),
        Val::Bool(_) | Val::Num(_) | Val::Str(_) => Val::Bool(false),
        Val::Col(_) | Val::Unknown => Val::Unknown,
    }
}

/// `v IS [NOT] TRUE|FALSE`: `want` is the boolean tested for.
pub(crate) fn is_bool(v: &Val, want: bool, dialect: Dialect) -> Val {
    match v {
        Val::Null => Val::Bool(false),
        other => match truth(other, dialect) {
            Some(b) => Val::Bool(b == want),
            None => Val::Unknown,
        },
    }
}

/// A comparison of two folded values.
pub(crate) fn compare(op: Cmp, a: &Val, b: &Val, dialect: Dialect) -> Val {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Val::Null, _) | (_, Val::Null) => return Val::Null,
        (Val::Col(x), Val::Col(y)) if x == y => Some(Ordering::Equal),
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Str(x), Val::Str(y)) => Some(match dialect {
            Dialect::Mysql => x.to_lowercase().trim_end().cmp(y.to_lowercase().trim_end()),
            _ => x.cmp(y),
        }),
        (Val::Num(_), Val::Str(_)) | (Val::Str(_), Val::Num(_)) => {
            let (n, s, flipped) = match (a, b) {
                (Val::Num(n), Val::Str(s)) => (*n, s, false),
                (Val::Str(s), Val::Num(n)) => (*n, s, true),
                _ => return Val::Unknown,
            };
            let ord = match dialect {
                // Every number sorts before every text value in SQLite.
                Dialect::Sqlite => Some(Ordering::Less),
                Dialect::Mysql => n.partial_cmp(&numeric_prefix(s)),
                Dialect::Postgres | Dialect::Generic => match s.trim().parse::<f64>() {
                    Ok(v) => n.partial_cmp(&v),
                    Err(_) => return Val::Unknown,
                },
            };
            if flipped {
                ord.map(Ordering::reverse)
            } else {
                ord
            }
        }
        (Val::Bool(x), Val::Num(n)) | (Val::Num(n), Val::Bool(x))
            if dialect != Dialect::Postgres =>
        {
            let bx = if *x { 1.0 } else { 0.0 };
            if matches!(a, Val::Bool(_)) {
                bx.partial_cmp(n)
            } else {
                n.partial_cmp(&bx)
            }
        }
        (Val::Bool(x), Val::Str(s)) | (Val::Str(s), Val::Bool(x))
            if dialect == Dialect::Postgres =>
        {
            match pg_bool(s) {
                Some(y) => {
                    let ord = if matches!(a, Val::Bool(_)) {
                        x.cmp(&y)
                    } else {
                        y.cmp(x)
                    };
                    Some(ord)
                }
                None => return Val::Unknown,
            }
        }
        _ => None,
    };
    match ord {
        Some(o) => Val::Bool(op.holds(o)),
        None => Val::Unknown,
    }
}

/// Arithmetic on constants (`2-1`, `1*1`); anything else is unknown.
pub(crate) fn arith(op: &str, a: &Val, b: &Val) -> Val {
    match (a, b) {
        (Val::Null, _) | (_, Val::Null) => Val::Null,
        (Val::Num(x), Val::Num(y)) => match op {
            "+" => Val::Num(x + y),
            "-" => Val::Num(x - y),
            "*" => Val::Num(x * y),
            "/" if *y != 0.0 => Val::Num(x / y),
            "%" if *y != 0.0 => Val::Num(x % y),
            _ => Val::Unknown,
        },
        (Val::Str(x), Val::Str(y)) if op == "||" => Val::Str(format!("{x}{y}")),
        _ => Val::Unknown,
    }
}

/// `a LIKE pattern`: only the match-everything patterns are decided.
pub(crate) fn like(a: &Val, pattern: &Val, negated: bool) -> Val {
    match (a, pattern) {
        (Val::Null, _) | (_, Val::Null) => Val::Null,
        (Val::Col(_) | Val::Str(_) | Val::Num(_), Val::Str(p))
            if !p.is_empty() && p.chars().all(|c| c == '%') =>
        {
            Val::Bool(!negated)
        }
        (Val::Str(s), Val::Str(p)) if !p.contains(['%', '_', '\\']) => {
            Val::Bool((s == p) != negated)
        }
        _ => Val::Unknown,
    }
}

/// `a GLOB pattern` (SQLite, case-sensitive, `*` for any run of characters): only the
/// match-everything patterns (`'*'`, `'**'`, …) are decided, like `LIKE '%'`.
pub(crate) fn glob(a: &Val, pattern: &Val) -> Val {
    match (a, pattern) {
        (Val::Null, _) | (_, Val::Null) => Val::Null,
        (Val::Col(_) | Val::Str(_) | Val::Num(_), Val::Str(p))
            if !p.is_empty() && p.chars().all(|c| c == '*') =>
        {
            Val::Bool(true)
        }
        _ => Val::Unknown,
    }
}

/// `a [NOT] IN (list)`.
pub(crate) fn in_list(a: &Val, list: &[Val], negated: bool, dialect: Dialect) -> Val {
    let found = or(
        list.iter().map(|v| compare(Cmp::Eq, a, v, dialect)),
        dialect,
    );
    if negated { not(found, dialect) } else { found }
}

/// A cast of a constant to a named type (`'t'::bool`, `'1'::int`).
pub(crate) fn cast(v: Val, type_name: &str, dialect: Dialect) -> Val {
    let t = type_name.to_ascii_lowercase();
    match v {
        Val::Null => Val::Null,
        Val::Col(_) | Val::Unknown => Val::Unknown,
        v if matches!(t.as_str(), "bool" | "boolean") => match truth(&v, dialect) {
            Some(b) => Val::Bool(b),
            None => Val::Unknown,
        },
        Val::Str(s) if is_numeric_type(&t) => match s.trim().parse::<f64>() {
            Ok(n) => Val::Num(n),
            Err(_) => Val::Unknown,
        },
        Val::Bool(b) if is_numeric_type(&t) => Val::Num(if b { 1.0 } else { 0.0 }),
        Val::Num(n) if matches!(t.as_str(), "text" | "varchar" | "char" | "bpchar") => {
            Val::Str(n.to_string())
        }
        v @ (Val::Num(_) | Val::Str(_)) if is_numeric_type(&t) || is_text_type(&t) => v,
        _ => Val::Unknown,
    }
}

fn is_numeric_type(t: &str) -> bool {
    matches!(
        t,
        "int"
            | "int2"
            | "int4"
            | "int8"
            | "integer"
            | "smallint"
            | "bigint"
            | "numeric"
            | "decimal"
            | "float4"
            | "float8"
            | "real"
            | "double"
            | "signed"
            | "unsigned"
    )
}

fn is_text_type(t: &str) -> bool {
    matches!(t, "text" | "varchar" | "char" | "bpchar" | "string")
}

/// `COALESCE(a, b, …)` (also MySQL/SQLite `IFNULL`): the first argument that is not NULL.
/// An argument that may or may not be NULL (a column, an unknown) makes the result unknown.
pub(crate) fn coalesce(items: impl IntoIterator<Item = Val>) -> Val {
    for v in items {
        match v {
            Val::Null => {}
            Val::Bool(_) | Val::Num(_) | Val::Str(_) => return v,
            Val::Col(_) | Val::Unknown => return Val::Unknown,
        }
    }
    Val::Null
}

/// `NULLIF(a, b)`: NULL when `a = b`, else `a`.
pub(crate) fn nullif(a: Val, b: &Val, dialect: Dialect) -> Val {
    match (&a, b) {
        (Val::Null, _) => Val::Null,
        (_, Val::Null) => a,
        _ => match compare(Cmp::Eq, &a, b, dialect) {
            Val::Bool(true) => Val::Null,
            Val::Bool(false) => a,
            _ => Val::Unknown,
        },
    }
}

/// `CASE WHEN c1 THEN r1 … ELSE e END` (and MySQL `IF(c, a, b)`, SQLite `iif`), with each arm's
/// condition already folded (for `CASE x WHEN v`, the folded `x = v`). The first arm whose
/// condition is provably true decides; arms provably false or NULL are skipped; when some
/// condition is undecided, the result is known only if every arm that can still be taken
/// yields the same value. A missing `ELSE` is NULL.
pub(crate) fn case(
    arms: impl IntoIterator<Item = (Val, Val)>,
    otherwise: Val,
    dialect: Dialect,
) -> Val {
    let mut possible: Vec<Val> = Vec::new();
    let mut decided = false;
    for (cond, result) in arms {
        match (&cond, truth(&cond, dialect)) {
            (_, Some(true)) => {
                possible.push(result);
                decided = true;
                break;
            }
            (Val::Null, _) | (_, Some(false)) => {}
            _ => possible.push(result),
        }
    }
    if !decided {
        possible.push(otherwise);
    }
    let mut it = possible.into_iter();
    let Some(first) = it.next() else {
        return Val::Unknown;
    };
    if matches!(first, Val::Col(_) | Val::Unknown) {
        return Val::Unknown;
    }
    if it.all(|v| v == first) {
        first
    } else {
        Val::Unknown
    }
}

/// `GREATEST(…)` / `LEAST(…)` over numbers. PostgreSQL ignores NULL arguments; MySQL and
/// SQLite (`max(a, b)`) return NULL when any argument is NULL.
pub(crate) fn extreme(
    items: impl IntoIterator<Item = Val>,
    greatest: bool,
    dialect: Dialect,
) -> Val {
    let mut best: Option<f64> = None;
    for v in items {
        match v {
            Val::Num(n) => {
                best = Some(match best {
                    Some(b) if greatest => b.max(n),
                    Some(b) => b.min(n),
                    None => n,
                });
            }
            Val::Null if dialect == Dialect::Postgres => {}
            Val::Null => return Val::Null,
            _ => return Val::Unknown,
        }
    }
    best.map_or(Val::Null, Val::Num)
}

/// Pairwise `(a, b) = (c, d)` / `<>` of two rows of the same width; other operators on rows
/// (lexicographic order) are not decided.
pub(crate) fn compare_rows(op: Cmp, left: &[Val], right: &[Val], dialect: Dialect) -> Val {
    if left.len() != right.len() || left.is_empty() {
        return Val::Unknown;
    }
    let pairs = left
        .iter()
        .zip(right)
        .map(|(a, b)| compare(Cmp::Eq, a, b, dialect));
    match op {
        Cmp::Eq => and(pairs, dialect),
        Cmp::NotEq => not(and(pairs, dialect), dialect),
        _ => Val::Unknown,
    }
}

/// Functions whose value changes from row to row although they read no column: a predicate
/// over them can still pick some rows (`WHERE random() < 0.1`).
pub(crate) fn per_row_function(name: &str) -> bool {
    matches!(
        name.rsplit('.')
            .next()
            .unwrap_or(name)
            .to_ascii_lowercase()
            .as_str(),
        "random"
            | "rand"
            | "random_normal"
            | "gen_random_uuid"
            | "uuid"
            | "uuid_generate_v4"
            | "randomblob"
            | "nextval"
            | "clock_timestamp"
            | "row_number"
    )
}

/// Whether a folded WHERE predicate is provably true for every row.
pub(crate) fn always_true(v: &Val, dialect: Dialect) -> bool {
    truth(v, dialect) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_prefix_follows_mysql() {
        assert_eq!(numeric_prefix("12abc"), 12.0);
        assert_eq!(numeric_prefix("abc"), 0.0);
        assert_eq!(numeric_prefix(" -3.5x"), -3.5);
    }

    #[test]
    fn glob_decides_only_match_everything_patterns() {
        let col = || Val::Col("body".into());
        assert_eq!(glob(&col(), &Val::Str("*".into())), Val::Bool(true));
        assert_eq!(glob(&col(), &Val::Str("**".into())), Val::Bool(true));
        assert_eq!(glob(&col(), &Val::Str("tmp-*".into())), Val::Unknown);
        assert_eq!(glob(&col(), &Val::Str("".into())), Val::Unknown);
        assert_eq!(glob(&col(), &Val::Str("?*".into())), Val::Unknown);
        assert_eq!(glob(&Val::Null, &Val::Str("*".into())), Val::Null);
    }

    #[test]
    fn pg_boolean_literals() {
        assert_eq!(pg_bool("TRUE"), Some(true));
        assert_eq!(pg_bool("y"), Some(true));
        assert_eq!(pg_bool("off"), Some(false));
        assert_eq!(pg_bool("maybe"), None);
    }

    #[test]
    fn mixed_comparisons_per_dialect() {
        let a = Val::Str("a".into());
        let zero = Val::Num(0.0);
        assert_eq!(compare(Cmp::Eq, &a, &zero, Dialect::Mysql), Val::Bool(true));
        assert_eq!(compare(Cmp::Eq, &a, &zero, Dialect::Postgres), Val::Unknown);
        assert_eq!(
            compare(
                Cmp::Eq,
                &Val::Num(1.0),
                &Val::Str("1".into()),
                Dialect::Sqlite
            ),
            Val::Bool(false)
        );
        assert_eq!(
            compare(
                Cmp::Eq,
                &Val::Str("A".into()),
                &Val::Str("a".into()),
                Dialect::Mysql
            ),
            Val::Bool(true)
        );
    }

    #[test]
    fn conditional_expressions() {
        let d = Dialect::Postgres;
        let col = || Val::Col("x".into());
        assert_eq!(coalesce([Val::Null, Val::Bool(true)]), Val::Bool(true));
        assert_eq!(coalesce([col(), Val::Bool(true)]), Val::Unknown);
        assert_eq!(coalesce([Val::Null, Val::Null]), Val::Null);
        assert_eq!(nullif(Val::Num(1.0), &Val::Num(2.0), d), Val::Num(1.0));
        assert_eq!(nullif(Val::Num(1.0), &Val::Num(1.0), d), Val::Null);
        assert_eq!(nullif(col(), &Val::Num(1.0), d), Val::Unknown);
        // Provably true first arm decides; an undecided arm keeps the ELSE possible.
        assert_eq!(
            case([(Val::Bool(true), Val::Num(1.0))], Val::Num(0.0), d),
            Val::Num(1.0)
        );
        assert_eq!(
            case([(col(), Val::Num(1.0))], Val::Num(0.0), d),
            Val::Unknown
        );
        assert_eq!(
            case([(col(), Val::Bool(true))], Val::Bool(true), d),
            Val::Bool(true)
        );
        assert_eq!(
            case([(Val::Bool(false), Val::Bool(true))], Val::Null, d),
            Val::Null
        );
        assert_eq!(
            extreme([Val::Num(1.0), Val::Null, Val::Num(2.0)], true, d),
            Val::Num(2.0)
        );
        assert_eq!(
            extreme([Val::Num(1.0), Val::Null], true, Dialect::Mysql),
            Val::Null
        );
        assert_eq!(extreme([Val::Num(1.0), col()], false, d), Val::Unknown);
        let one_two = [Val::Num(1.0), Val::Num(2.0)];
        assert_eq!(
            compare_rows(Cmp::Eq, &one_two, &one_two, d),
            Val::Bool(true)
        );
        assert_eq!(compare_rows(Cmp::Lt, &one_two, &one_two, d), Val::Unknown);
    }

    #[test]
    fn three_valued_logic() {
        let d = Dialect::Postgres;
        assert_eq!(or([Val::Unknown, Val::Bool(true)], d), Val::Bool(true));
        assert_eq!(and([Val::Unknown, Val::Bool(true)], d), Val::Unknown);
        assert_eq!(and([Val::Unknown, Val::Bool(false)], d), Val::Bool(false));
        assert_eq!(not(Val::Null, d), Val::Null);
        assert_eq!(compare(Cmp::Eq, &Val::Null, &Val::Null, d), Val::Null);
    }
}
