//! `guard`: the command-line tool. A thin shell over the library crates: argument parsing,
//! all I/O, rendering and exit codes live here, and nothing else does.
//!
//! Exit codes everywhere: 0 clean, 1 policy violations or failed tests, 2 usage or input errors.

mod cmd;
mod output;
mod sources;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Access guardrails: policies as code that decide whether a command may run.
#[derive(Parser, Debug)]
#[command(name = "guard", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse, resolve and type-check policies; report every problem found.
    Check(cmd::check::Args),
    /// Rewrite policy files in canonical form (or, with --check, list files that would change).
    Fmt(cmd::fmt::Args),
    /// Print the fields, types and enums policies can use.
    Schema(cmd::schema::Args),
    /// Show the actions guard extracts from a command: how guard understands it.
    Explain(cmd::explain::Args),
    /// Run the `test` blocks of policies.
    Test(cmd::test::Args),
    /// Compile policies into a deterministic bundle.
    Build(cmd::build::Args),
    /// Print a bundle's metadata and rules.
    Inspect(cmd::inspect::Args),
    /// Sign a bundle with an SSH key (writes FILE.sig).
    Sign(cmd::sign::Args),
    /// Verify a bundle's SSH signature against an allowed_signers file.
    Verify(cmd::verify::Args),
    /// Decide requests with a bundle: JSON lines on stdin, decisions on stdout.
    Eval(cmd::eval::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let status = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Fmt(args) => cmd::fmt::run(args),
        Command::Schema(args) => cmd::schema::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Test(args) => cmd::test::run(args),
        Command::Build(args) => cmd::build::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Sign(args) => cmd::sign::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Eval(args) => cmd::eval::run(args),
    };
    ExitCode::from(status as u8)
}
