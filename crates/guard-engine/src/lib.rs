//! guard-engine: the enforcing side's core — the IR a policy compiles to, the evaluator, the
//! bundle format, and SSH signing and verification of bundles.
//!
//! Pipeline position: `guard-compile` builds a [`ir::Policy`] (through [`ir::PolicyBuilder`]);
//! [`bundle::encode`] writes it with its metadata and source map; [`sign::sign`] signs the
//! bytes. At enforcement, [`sign::verify`] checks the signature against an `allowed_signers`
//! file, [`bundle::decode`] loads the bundle, and [`eval::evaluate`] decides each request.
//!
//! ```
//! use guard_engine::ir::{Pattern, PolicyBuilder, Quantifier, Rule, SourceLoc, TemplatePiece};
//! use guard_engine::{Metadata, Source, decode, encode};
//! use guard_model::{Action, ActionDetail, ActionKind, DecisionKind, Effect, Field, Mode, Request, SqlAction};
//!
//! // rule billing: deny on sql when any t in stmt.tables: t matches "billing.*"
//! //   message "touches {stmt.tables}"
//! let mut b = PolicyBuilder::new(Effect::Allow);
//! let t = b.local(0);
//! let body = b.matches(t, Pattern::Glob("billing.*".into())).unwrap();
//! let tables = b.field(Field::StmtTables);
//! let condition = b.quantified(Quantifier::Any, 0, tables, body);
//! let message = b.template(&[TemplatePiece::Text("touches "), TemplatePiece::Expr(tables)]);
//! b.rule(Rule {
//!     id: "data.billing".into(),
//!     doc: String::new(),
//!     effect: Effect::Deny,
//!     mode: Mode::Enforce,
//!     on: Some(ActionKind::Sql),
//!     condition,
//!     message,
//!     help: Default::default(),
//!     controls: vec![],
//!     source: SourceLoc { file: 0, span: [0, 4] },
//! });
//! let policy = b.finish().unwrap();
//!
//! let metadata = Metadata {
//!     guard_version: "0.1.0".into(),
//!     revision: 1,
//!     git_commit: None,
//!     sources: vec![Source::new("data.guard", "rule billing: deny on sql …")],
//! };
//! let bundle = decode(&encode(&policy, &metadata).unwrap()).unwrap();
//!
//! let request = Request { command: "DELETE FROM billing.invoices".into(), ..Request::default() };
//! let action = Action {
//!     span: [0, 28],
//!     via: guard_model::List::new(),
//!     text: String::new(),
//!     detail: ActionDetail::Sql(SqlAction { tables: guard_model::List::from(["billing.invoices".into()]), ..SqlAction::default() }),
//! };
//! let decision = bundle.evaluate(&request, &[action]);
//! assert_eq!(decision.decision, DecisionKind::Deny);
//! assert_eq!(decision.matches[0].message, "touches billing.invoices");
//! assert_eq!(decision.bundle.unwrap().digest, bundle.digest());
//! ```
//!
//! Architecture invariant: this crate depends only on `guard-model` among guard's crates. The
//! enforcing side cannot parse policies: it links no syntax, checker or compiler.
//! No I/O and no printing: errors are values ([`BundleError`], [`sign::VerifyError`], …), each
//! with a stable code (`GB0xx` bundles, `GV0xx` signatures).

// Lets the shared test support (written against the public API) compile inside unit tests.
#[cfg(test)]
extern crate self as guard_engine;
#[cfg(test)]
#[path = "../tests/support/mod.rs"]
mod test_support;

pub mod bundle;
pub mod eval;
pub mod ir;
mod names;
mod prefilter;
pub mod sign;

/// A stable error code: the same three fields as `guard_diagnostics::Code` (which this crate
/// does not depend on), so the CLI and the generated `lang/diagnostics.md` can list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode {
    /// `GB001`: layer prefix and number; never reused.
    pub id: &'static str,
    /// `guard::bundle::bad-magic`.
    pub name: &'static str,
    /// One sentence for `lang/diagnostics.md`.
    pub summary: &'static str,
}

pub use bundle::{
    BundleError, BundleInfo, HashedBundle, LoadedBundle, Metadata, Source, SourceInfo, decode,
    decode_hashed, encode,
};
pub use eval::{RequestContext, decide, evaluate};
pub use ir::{IrError, Policy, PolicyBuilder, PolicyData};
