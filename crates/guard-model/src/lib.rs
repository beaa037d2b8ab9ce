//! The typed schema every guard stage shares: requests, the actions intent analysis extracts
//! from them, the decisions the engine returns, and the field table the policy language is
//! type-checked against.
//!
//! Invariants:
//! - This crate is the **one definition** of the schema. The type checker (`guard-sema`), the
//!   engine's field accessor and `guard schema` all read [`schema::FIELDS`]; a field that is not
//!   in that table does not exist for policies.
//! - There is no null: every field of every action has a value (`""`, `0`, `false`, an empty list,
//!   or an enum's `none`/`unknown` variant), so evaluation is total.
//! - No I/O, no parsing of commands or policies: only data and its (de)serialisation.

pub mod action;
pub mod builtin;
pub mod decision;
pub mod enums;
pub mod request;
pub mod schema;

/// The string type of every list-valued field of an action or request (`exec.args`,
/// `stmt.tables`, …), which [`schema::Value::StrList`] borrows. Strings up to 24 bytes (nearly
/// every argument, flag and path) are stored inline, without an allocation; serialised as a
/// plain string.
pub type Str = compact_str::CompactString;

/// The list type of the list-valued fields of an action (`action.via`, `exec.flags`, …; not
/// `exec.args`, see [`ExecAction::args`]): a
/// `thin_vec::ThinVec`, one pointer wide, and an empty one (most fields of most actions) holds
/// no allocation and costs nothing to drop. Derefs to `&[Str]`; serialised as a plain array.
pub type List = thin_vec::ThinVec<Str>;

/// Re-exported so that users of [`List`] need no dependency of their own (`thin_vec!`).
pub use thin_vec;

pub use action::{
    Action, ActionDetail, CloudAction, ExecAction, GitAction, K8sAction, OpaqueAction, RedisAction,
    ServiceAction, SqlAction, TerraformAction,
};
pub use builtin::Builtin;
pub use decision::{BundleRef, Decision, DecisionKind, Effect, Match, Mode};
pub use enums::{
    ActionKind, ActorKind, Channel, CopyTarget, Dialect, ObjectKind, OpaqueCause, StatementKind,
};
pub use request::{Actor, Request, Target};
pub use schema::{Field, FieldDef, Root, Type, Value};
