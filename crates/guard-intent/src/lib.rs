//! Intent analysis: a request's command text becomes the list of typed [`Action`]s it will
//! perform (DESIGN.md §4).
//!
//! Stages: [`sql`] parses SQL (PostgreSQL with the server's own parser, libpg_query; other
//! dialects with `sqlparser`) into `sql` actions; [`shell`] parses bash with `brush-parser`,
//! walks every simple command reachable, unwraps wrappers and hands known tools to [`lift`],
//! which turns them into typed actions (`k8s`, `cloud`, `git`, …) or re-enters [`sql`] /
//! [`shell`] for nested text (`psql -c`, `bash -c`).
//!
//! Invariants:
//! - **Never empty, never a panic**: every request yields at least one action; input that
//!   cannot be understood (unparseable, too large, too deep, dynamic) yields an `opaque`
//!   action with a reason. Nothing is silently skipped.
//! - Spans are byte offsets into the request's original command text. Actions found inside
//!   nested text carry the span of the outermost word that contained them, and a `via` chain.
//! - Pure: no I/O, no environment lookups, deterministic.

pub mod lift;
pub mod script;
pub mod shell;
pub mod sql;

use guard_model::{
    Action, ActionDetail, Channel, Dialect, List, OpaqueAction, OpaqueCause, Request, Str,
};

/// Commands longer than this are not analysed: they become one `opaque` (`too_large`) action.
pub const MAX_COMMAND_BYTES: usize = 256 * 1024;

/// Builds an `opaque` action.
pub fn opaque(
    cause: OpaqueCause,
    reason: impl Into<String>,
    span: [u32; 2],
    via: &[Str],
    text: &str,
) -> Action {
    Action {
        span,
        via: via.iter().cloned().collect(),
        text: text.to_string(),
        detail: ActionDetail::Opaque(OpaqueAction {
            cause,
            reason: reason.into(),
        }),
    }
}

fn whole(text: &str) -> [u32; 2] {
    [0, u32::try_from(text.len()).unwrap_or(u32::MAX)]
}

/// Where nested text came from: the span in the original command and the chain of wrappers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Byte range in the original command; `None` for top-level text (spans are then the
    /// text's own offsets).
    pub span: Option<[u32; 2]>,
    pub via: List,
}

impl Origin {
    pub fn top() -> Origin {
        Origin::default()
    }

    /// This origin, one level deeper through `step`, at `span` of the current text.
    pub fn nested(&self, step: impl Into<Str>, span: [u32; 2]) -> Origin {
        let mut via = List::with_capacity(self.via.len() + 1);
        via.extend_from_slice(&self.via);
        via.push(step.into());
        Origin {
            span: Some(self.span.unwrap_or(span)),
            via,
        }
    }

    /// The span to record for something at `local` in the current text.
    pub fn place(&self, local: [u32; 2]) -> [u32; 2] {
        self.span.unwrap_or(local)
    }
}

/// Analyses one request into its actions. Never returns an empty list.
pub fn analyze(request: &Request) -> Vec<Action> {
    analyze_text(request.channel, request.dialect, &request.command)
}

/// Analyses command text on a channel. Never returns an empty list.
pub fn analyze_text(channel: Channel, dialect: Dialect, text: &str) -> Vec<Action> {
    if text.len() > MAX_COMMAND_BYTES {
        let reason = format!(
            "command is {} bytes, over the {MAX_COMMAND_BYTES}-byte analysis limit",
            text.len()
        );
        return vec![opaque(OpaqueCause::TooLarge, reason, whole(text), &[], "")];
    }
    if text.contains('\0') {
        return vec![opaque(
            OpaqueCause::InvalidInput,
            "command contains a NUL byte",
            whole(text),
            &[],
            "",
        )];
    }
    if text.trim().is_empty() {
        return vec![opaque(
            OpaqueCause::InvalidInput,
            "command is empty",
            whole(text),
            &[],
            "",
        )];
    }
    let actions = match channel {
        Channel::Sql => sql::analyze(text, dialect, &Origin::top()),
        Channel::Shell => {
            let mut actions = shell::analyze(text, &Origin::top());
            lift::resolve_git_remotes(&mut actions);
            actions
        }
    };
    if actions.is_empty() {
        // Defence in depth: the analysers promise never to return nothing.
        return vec![opaque(
            OpaqueCause::Unsupported,
            "no action could be extracted",
            whole(text),
            &[],
            text,
        )];
    }
    actions
}

/// Analyses raw bytes (as read from a file or socket): invalid UTF-8 is an `opaque` action.
pub fn analyze_bytes(channel: Channel, dialect: Dialect, bytes: &[u8]) -> Vec<Action> {
    match std::str::from_utf8(bytes) {
        Ok(text) => analyze_text(channel, dialect, text),
        Err(e) => {
            let end = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            vec![opaque(
                OpaqueCause::InvalidInput,
                format!("command is not valid UTF-8 ({e})"),
                [0, end],
                &[],
                "",
            )]
        }
    }
}
