//! Environment assignments as an `exec` action's `env`: `NAME=value` strings, one per
//! assignment in effect for the command — its own prefix (`HISTFILE=/dev/null bash`), those an
//! `env`, `sudo`, `doas` or `docker exec -e` wrapper passes to what it runs, and those an
//! `export`/`declare`/`readonly`/`local` makes.
//!
//! Invariant: a value guard cannot know keeps its raw text (`X=$(…)`), so a policy matching
//! on the name still sees the assignment.

use brush_parser::ast;
use compact_str::format_compact;
use guard_model::Str;

use super::argv::Arg;
use super::words::Var;
use super::wrappers::is_assignment;

/// `NAME=value` for one assignment whose value the walker resolved to `value`.
pub(super) fn entry(a: &ast::Assignment, value: &Var) -> Str {
    let name = match &a.name {
        ast::AssignmentName::VariableName(n) | ast::AssignmentName::ArrayElementName(n, _) => {
            n.as_str()
        }
    };
    match (value, &a.value) {
        (Var::Const(text), _) => format_compact!("{name}={text}"),
        (Var::Unknown, ast::AssignmentValue::Scalar(w)) => format_compact!("{name}={}", w.value),
        (Var::Unknown, ast::AssignmentValue::Array(items)) => {
            let items: Vec<&str> = items.iter().map(|(_, w)| w.value.as_str()).collect();
            format_compact!("{name}=({})", items.join(" "))
        }
    }
}

/// Splits the leading `NAME=value` words off a wrapped command (`sudo X=1 cmd`,
/// `env -i X=1 cmd`): returns them as environment entries and leaves the command.
pub(super) fn split_leading(argv: &mut Vec<Arg>) -> Vec<Str> {
    let count = argv.iter().take_while(|a| is_assignment(&a.text)).count();
    if count == 0 {
        return vec![];
    }
    argv.drain(..count).map(|a| Str::from(a.text)).collect()
}
