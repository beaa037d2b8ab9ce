//! The canonical request (DESIGN.md §5): one command, who runs it, and where.

use serde::{Deserialize, Serialize};

use crate::Str;
use crate::enums::{ActorKind, Channel, Dialect};

/// One command to decide on. Unknown top-level JSON fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub id: String,
    /// RFC 3339 time the command was issued, as given; not interpreted by the engine.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub time: String,
    pub channel: Channel,
    #[serde(default)]
    pub dialect: Dialect,
    pub command: String,
    #[serde(default)]
    pub actor: Actor,
    #[serde(default)]
    pub target: Target,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub kind: ActorKind,
    #[serde(default)]
    pub groups: Vec<Str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    #[serde(default)]
    pub env: String,
    #[serde(default)]
    pub resource: String,
    /// Free-form labels; exposed to policies as `"key=value"` strings.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
}

impl Target {
    /// Labels as `key=value` strings, sorted by key.
    pub fn label_pairs(&self) -> Vec<Str> {
        self.labels
            .iter()
            .map(|(k, v)| compact_str::format_compact!("{k}={v}"))
            .collect()
    }
}
