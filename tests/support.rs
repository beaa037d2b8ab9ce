//! Shared helpers for the end-to-end tests (paths of the repository's shipped material).

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

// The tests run the `guard` binary that `cargo test --workspace` builds (the README's test
// command); `assert_cmd` finds it in the shared target directory.
