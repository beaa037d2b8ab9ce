//! Bundle bodies that pass the digest: the input becomes the body of a bundle with a correct
//! header and a recomputed SHA-256 (as someone who computed the digest could make it), so the
//! fuzzer reaches postcard, `Policy::new`, the doc spans and the schema list check. Decoding
//! must never panic; what loads must evaluate and survive `check_fully` without panicking.
//! Seed the corpus with real bundle bodies (bytes 18..len-32 of `guard build` output).
#![no_main]

use guard_engine::bundle::{FORMAT_VERSION, MAGIC};
use guard_model::{Action, ActionDetail, Request, SqlAction, StatementKind, Target};
use sha2::{Digest, Sha256};

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    let mut bytes = Vec::with_capacity(18 + body.len() + 32);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    let Ok(loaded) = guard_engine::decode(&bytes) else {
        return;
    };
    let _ = loaded.check_fully();
    loaded.policy.prepare();
    for rule in loaded.policy.rules() {
        if let Ok(Some(source)) = loaded.rule_source(rule) {
            let _ = source.line_col(rule.source.span[0]);
        }
    }
    let _ = loaded.evaluate(&request(), &[sql()]);
});

fn request() -> Request {
    Request {
        command: "DROP TABLE users".into(),
        target: Target {
            env: "production".into(),
            ..Target::default()
        },
        ..Request::default()
    }
}

fn sql() -> Action {
    Action {
        span: [0, 16],
        via: guard_model::List::new(),
        text: String::new(),
        detail: ActionDetail::Sql(SqlAction {
            statement: StatementKind::Drop,
            tables: guard_model::List::from(["public.users".into()]),
            ..SqlAction::default()
        }),
    }
}
