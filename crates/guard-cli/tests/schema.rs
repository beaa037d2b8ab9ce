//! `guard schema`: every root, field and enum of `guard_model::schema` in each format, and
//! `lang/schema.md` kept equal to `--format markdown`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use guard_model::schema::{EnumType, FIELDS, ROOTS};

fn schema(format: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["schema", "--format", format])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn human_lists_every_root_field_and_enum() {
    let out = schema("human");
    for root in ROOTS {
        assert!(
            out.contains(&format!("{} — {}", root.name, root.doc)),
            "root {}",
            root.name
        );
    }
    for f in FIELDS {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", f.path)));
        let line = line.unwrap_or_else(|| panic!("field {} missing", f.path));
        assert!(
            line.contains(&f.ty.to_string()) && line.contains(f.doc),
            "{line}"
        );
    }
    for t in EnumType::ALL {
        assert!(out.contains(&t.variants().join(", ")), "enum {}", t.name());
    }
}

#[test]
fn json_matches_the_field_table() {
    let json: serde_json::Value = serde_json::from_str(&schema("json")).unwrap();
    let roots = json["roots"].as_array().unwrap();
    assert_eq!(roots.len(), ROOTS.len());
    let fields: Vec<&serde_json::Value> = roots
        .iter()
        .flat_map(|r| r["fields"].as_array().unwrap())
        .collect();
    assert_eq!(fields.len(), FIELDS.len());
    for (json, def) in fields.iter().zip(FIELDS) {
        assert_eq!(json["path"], def.path);
        assert_eq!(json["type"], def.ty.to_string());
        assert_eq!(json["doc"], def.doc);
    }
    let stmt_kind = fields.iter().find(|f| f["path"] == "stmt.kind").unwrap();
    assert_eq!(stmt_kind["available"], "on sql");
    let actor_id = fields.iter().find(|f| f["path"] == "actor.id").unwrap();
    assert_eq!(actor_id["available"], "everywhere");
    let enums = json["enums"].as_array().unwrap();
    assert_eq!(enums.len(), EnumType::ALL.len());
    for (json, t) in enums.iter().zip(EnumType::ALL) {
        assert_eq!(json["name"], t.name());
        assert_eq!(json["variants"], serde_json::json!(t.variants()));
    }
    assert!(
        json["functions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "starts_with")
    );
}

#[test]
fn lang_schema_md_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lang/schema.md");
    let expected = schema("markdown");
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "lang/schema.md is stale: regenerate it with `guard schema --format markdown > lang/schema.md`"
    );
    for f in FIELDS {
        assert!(
            expected.contains(&format!("| `{}` |", f.path)),
            "{}",
            f.path
        );
    }
}
