//! One fixture file per case: `fixtures/sql/<dialect>/<case>.sql` is analysed with that
//! dialect and the actions are snapshotted as the `guard explain --format json` JSON, with the
//! SQL in the snapshot header so a reviewer reads the case and the result together.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guard_intent::Origin;
use guard_intent::sql::analyze;
use guard_model::{ActionDetail, Dialect};

fn dialect_of(path: &std::path::Path) -> Dialect {
    let dir = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    Dialect::from_name(dir).unwrap_or_else(|| {
        panic!(
            "fixture {} is not under a dialect directory",
            path.display()
        )
    })
}

#[test]
fn sql_fixtures() {
    insta::glob!("fixtures/sql/**/*.sql", |path| {
        let sql = std::fs::read_to_string(path).unwrap();
        let dialect = dialect_of(path);
        let actions = analyze(&sql, dialect, &Origin::top());
        assert!(!actions.is_empty(), "no action for {}", path.display());
        for a in &actions {
            let [start, end] = a.span;
            assert!(
                start <= end && end as usize <= sql.len(),
                "span {:?} outside the text",
                a.span
            );
            if let ActionDetail::Sql(s) = &a.detail {
                assert_eq!(s.dialect, dialect);
                assert!(
                    !s.effective_where || s.has_where,
                    "effective WHERE without WHERE"
                );
            }
        }
        let json = serde_json::to_string_pretty(&actions).unwrap();
        insta::with_settings!({ description => sql.trim_end(), omit_expression => true }, {
            insta::assert_snapshot!(json);
        });
    });
}
