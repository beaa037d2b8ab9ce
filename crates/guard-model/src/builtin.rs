//! The language's built-in functions: one definition for the type checker (arity, signature,
//! result type) and the engine (evaluation, bundle encoding).

use serde::{Deserialize, Serialize};

use crate::schema::Type;

/// A built-in function. The variant order is part of the bundle format: append only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Builtin {
    /// `len(list | set | string) -> int`: elements, or characters of a string.
    Len,
    /// `lower(string) -> string`.
    Lower,
    /// `upper(string) -> string`.
    Upper,
    /// `basename(string) -> string`: the text after the last `/`, trailing slashes ignored
    /// (`/usr/bin/` → `bin`).
    Basename,
    /// `starts_with(string, string) -> bool`.
    StartsWith,
    /// `ends_with(string, string) -> bool`.
    EndsWith,
    /// `contains(string, string) -> bool`: substring test.
    Contains,
}

impl Builtin {
    pub const ALL: &'static [Builtin] = &[
        Builtin::Len,
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Basename,
        Builtin::StartsWith,
        Builtin::EndsWith,
        Builtin::Contains,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Len => "len",
            Builtin::Lower => "lower",
            Builtin::Upper => "upper",
            Builtin::Basename => "basename",
            Builtin::StartsWith => "starts_with",
            Builtin::EndsWith => "ends_with",
            Builtin::Contains => "contains",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// The signature as shown in diagnostics and `guard schema`.
    pub fn signature(self) -> &'static str {
        match self {
            Builtin::Len => "len(list | set | string) -> int",
            Builtin::Lower => "lower(string) -> string",
            Builtin::Upper => "upper(string) -> string",
            Builtin::Basename => "basename(string) -> string",
            Builtin::StartsWith => "starts_with(string, string) -> bool",
            Builtin::EndsWith => "ends_with(string, string) -> bool",
            Builtin::Contains => "contains(string, string) -> bool",
        }
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Builtin::Len | Builtin::Lower | Builtin::Upper | Builtin::Basename => 1,
            Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains => 2,
        }
    }

    /// The result type.
    pub fn result(self) -> Type {
        match self {
            Builtin::Len => Type::INT,
            Builtin::Lower | Builtin::Upper | Builtin::Basename => Type::STR,
            Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains => Type::BOOL,
        }
    }
}
