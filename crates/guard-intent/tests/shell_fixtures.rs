#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! One shell command per file in `fixtures/shell/`; each snapshot shows the command, then the
//! actions guard extracts from it (the `guard explain --format json` contract).

use guard_model::{Channel, Dialect};

#[test]
fn shell_fixtures() {
    insta::glob!("fixtures/shell/*.sh", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        // Files end with a newline that is not part of the command.
        let command = text.strip_suffix('\n').unwrap_or(&text);
        let actions = guard_intent::analyze_text(Channel::Shell, Dialect::Postgres, command);
        assert!(!actions.is_empty(), "no actions for {}", path.display());
        for action in &actions {
            let [start, end] = action.span;
            assert!(
                start <= end && end as usize <= command.len(),
                "span {start}..{end} outside the command"
            );
            assert!(
                command.is_char_boundary(start as usize) && command.is_char_boundary(end as usize)
            );
        }
        let json = serde_json::to_string_pretty(&actions).unwrap();
        insta::assert_snapshot!(format!("----- COMMAND\n{command}\n----- ACTIONS\n{json}"));
    });
}
