//! shell (in progress)
use guard_model::Action;
use crate::Origin;
pub fn analyze(_text: &str, _origin: &Origin) -> Vec<Action> { Vec::new() }
