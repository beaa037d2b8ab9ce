//! sql (in progress)
use guard_model::{Action, Dialect};
use crate::Origin;
pub fn analyze(_text: &str, _dialect: Dialect, _origin: &Origin) -> Vec<Action> { Vec::new() }
