//! guard-engine: the enforcing side's core — the IR a policy compiles to, the evaluator, the
//! bundle format, and SSH signing and verification of bundles.
//!
//! Pipeline position: `guard-compile` builds a [`ir::Policy`] (through [`ir::PolicyBuilder`]);
//! [`bundle::encode`] writes it with its metadata and source map; [`sign::sign`] signs the
//! bytes. At enforcement, [`sign::verify`] checks the signature against an `allowed_signers`
//! file, [`bundle::decode`] loads the bundle, and [`eval::evaluate`] decides each request.
//!
//! Architecture invariant: this crate depends only on `guard-model` among guard's crates. The
//! enforcing side cannot parse policies: it links no syntax, checker or compiler.
//! No I/O and no printing: errors are values ([`BundleError`], [`sign::VerifyError`], …), each
//! with a stable code (`GB0xx` bundles, `GV0xx` signatures).

pub mod bundle;
pub mod eval;
pub mod ir;
mod names;
pub mod sign;

pub use bundle::{BundleError, LoadedBundle, Metadata, Source, decode, encode};
pub use eval::{RequestContext, decide, evaluate};
pub use ir::{IrError, Policy, PolicyBuilder, PolicyData};
