//! Output conventions shared by every subcommand: `--format`, colour, diagnostics rendering.

use std::io::IsTerminal;

use guard_diagnostics::{Diagnostic, SourceMap};

/// `--format human|json`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Readable text, with colour on a terminal.
    #[default]
    Human,
    /// Machine-readable JSON.
    Json,
}

/// Colour only on a terminal and when `NO_COLOR` is unset.
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Whether stderr gets colour.
pub fn stderr_color() -> bool {
    use_color(std::io::stderr().is_terminal())
}

/// Width diagnostics wrap at.
pub const WIDTH: usize = 100;

/// Prints diagnostics to stderr (human) or stdout (JSON, one object a line).
pub fn print_diagnostics(diagnostics: &[Diagnostic], sources: &SourceMap, format: Format) {
    match format {
        Format::Human => {
            let color = stderr_color();
            for d in diagnostics {
                eprint!(
                    "{}",
                    guard_diagnostics::render_human(d, sources, color, WIDTH)
                );
            }
        }
        Format::Json => {
            for d in diagnostics {
                println!("{}", guard_diagnostics::to_json(d, sources));
            }
        }
    }
}

/// Prints a one-line error for a usage or I/O problem.
pub fn usage_error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
}
