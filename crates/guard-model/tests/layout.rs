#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The size of an action and the JSON of its list fields: intent analysis builds, moves and
//! drops many actions, so their size is part of the performance budget (see `List`).

use guard_model::{Action, ActionDetail, ExecAction, List, SqlAction, Str};

#[test]
fn action_stays_small() {
    let sizes = [
        ("Action", std::mem::size_of::<Action>()),
        ("ActionDetail", std::mem::size_of::<ActionDetail>()),
        ("ExecAction", std::mem::size_of::<ExecAction>()),
        ("SqlAction", std::mem::size_of::<SqlAction>()),
        ("List", std::mem::size_of::<List>()),
    ];
    println!("{sizes:?}");
    assert_eq!(std::mem::size_of::<List>(), std::mem::size_of::<usize>());
    assert!(std::mem::size_of::<Action>() <= 256, "{sizes:?}");
}

#[test]
fn lists_serialise_as_plain_arrays() {
    let e = ExecAction {
        program: "rm".into(),
        args: ["-rf", "/tmp/x"].into_iter().map(Str::from).collect(),
        ..ExecAction::default()
    };
    let action = Action {
        span: [0, 12],
        via: List::from([Str::from("sudo")]),
        text: "rm -rf /tmp/x".into(),
        detail: ActionDetail::Exec(e),
    };
    let json = serde_json::to_string(&action).unwrap();
    assert!(json.contains(r#""via":["sudo"]"#), "{json}");
    assert!(json.contains(r#""args":["-rf","/tmp/x"]"#), "{json}");
    assert!(json.contains(r#""flags":[]"#), "{json}");
    // Empty optional lists are omitted, as before.
    assert!(!json.contains(r#""env""#), "{json}");
    assert!(!json.contains(r#""images""#), "{json}");
    let back: Action = serde_json::from_str(&json).unwrap();
    assert_eq!(back, action);
}
