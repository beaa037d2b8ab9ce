//! One module per subcommand, each with its clap `Args` and a `run` returning a [`Status`].

pub mod build;
pub mod check;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod inspect;
pub mod schema;
pub mod sign;
pub mod test;
pub mod verify;

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Clean.
    Ok = 0,
    /// Policy violations, errors in policies, or failed tests.
    Failed = 1,
    /// Usage or input errors.
    Usage = 2,
}
