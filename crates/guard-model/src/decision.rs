//! The canonical decision record (DESIGN.md §5).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Str;

/// What a matching rule asks for. Ordered weakest first, so `max` is the strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Allow,
    Warn,
    RequireApproval,
    Deny,
}

impl Effect {
    pub const ALL: &'static [Effect] = &[
        Effect::Allow,
        Effect::Warn,
        Effect::RequireApproval,
        Effect::Deny,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Warn => "warn",
            Effect::RequireApproval => "require_approval",
            Effect::Deny => "deny",
        }
    }

    pub fn from_name(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.name() == text)
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a rule's match changes the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Enforce,
    Audit,
}

/// The decision for one request: an effect, or `error` for input that could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Allow,
    Warn,
    RequireApproval,
    Deny,
    Error,
}

impl From<Effect> for DecisionKind {
    fn from(effect: Effect) -> Self {
        match effect {
            Effect::Allow => DecisionKind::Allow,
            Effect::Warn => DecisionKind::Warn,
            Effect::RequireApproval => DecisionKind::RequireApproval,
            Effect::Deny => DecisionKind::Deny,
        }
    }
}

/// One rule that matched one action.
///
/// The rule's id, controls and constant help are shared (`Arc`) with the policy, so recording a
/// match copies no text but the rendered message; they serialise as plain strings and arrays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// `module.rule`.
    pub rule: Arc<str>,
    pub effect: Effect,
    pub mode: Mode,
    pub message: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub help: Arc<str>,
    #[serde(default)]
    pub controls: Arc<[Str]>,
    /// Span of the matched action in the command (`[start, end)`).
    pub span: [u32; 2],
    /// The matched action's `via` chain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<Str>,
}

fn is_empty(text: &Arc<str>) -> bool {
    text.is_empty()
}

/// Which bundle decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRef {
    pub digest: String,
    pub revision: u64,
}

/// The answer for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: String,
    pub decision: DecisionKind,
    #[serde(default)]
    pub matches: Vec<Match>,
    /// For `decision: error`: what was wrong with the input line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleRef>,
}
