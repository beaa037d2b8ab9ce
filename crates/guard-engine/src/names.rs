//! Stable names for schema references in bundles.
//!
//! Bundles name fields (`stmt.kind`), enum variants (`statement_kind.drop`), action kinds,
//! effects and modes by their stable text, never by a Rust discriminant: a field or variant
//! added to `guard-model` in a later version must not shift what an older bundle means. A name
//! this engine does not know makes the bundle fail to load ([`crate::BundleError::SchemaMismatch`]).

use std::sync::LazyLock;

use guard_model::schema::{EnumType, FIELDS};
use guard_model::{
    ActionKind, ActorKind, Channel, CopyTarget, Dialect, Effect, Field, Mode, ObjectKind,
    OpaqueCause, StatementKind,
};
use rustc_hash::FxHashMap;

// Fx, not SipHash: the keys are our own schema's names, and a bundle looks up a couple of
// thousand of them at decode.
static FIELD_BY_PATH: LazyLock<FxHashMap<&'static str, Field>> =
    LazyLock::new(|| FIELDS.iter().map(|d| (d.path, d.field)).collect());

static ENUM_BY_NAME: LazyLock<FxHashMap<&'static str, EnumType>> =
    LazyLock::new(|| EnumType::ALL.iter().map(|t| (t.name(), *t)).collect());

static VARIANT_BY_NAME: LazyLock<FxHashMap<(EnumType, &'static str), u16>> = LazyLock::new(|| {
    let mut map = FxHashMap::default();
    for t in EnumType::ALL {
        for (i, v) in t.variants().into_iter().enumerate() {
            if let Ok(i) = u16::try_from(i) {
                map.insert((*t, v), i);
            }
        }
    }
    map
});

pub fn field(path: &str) -> Option<Field> {
    FIELD_BY_PATH.get(path).copied()
}

pub fn enum_type(name: &str) -> Option<EnumType> {
    ENUM_BY_NAME.get(name).copied()
}

pub fn variant_index(ty: EnumType, name: &str) -> Option<u16> {
    VARIANT_BY_NAME.get(&(ty, name)).copied()
}

/// The variant's name without allocating (unlike `EnumType::variant_name`); `"?"` when out
/// of range, which validation rules out for bundles.
pub fn variant_name(ty: EnumType, index: u16) -> &'static str {
    fn pick<T: Copy>(all: &[T], index: u16, name: fn(T) -> &'static str) -> &'static str {
        all.get(usize::from(index)).map_or("?", |v| name(*v))
    }
    match ty {
        EnumType::ActionKind => pick(ActionKind::ALL, index, ActionKind::name),
        EnumType::Channel => pick(Channel::ALL, index, Channel::name),
        EnumType::Dialect => pick(Dialect::ALL, index, Dialect::name),
        EnumType::ActorKind => pick(ActorKind::ALL, index, ActorKind::name),
        EnumType::StatementKind => pick(StatementKind::ALL, index, StatementKind::name),
        EnumType::ObjectKind => pick(ObjectKind::ALL, index, ObjectKind::name),
        EnumType::CopyTarget => pick(CopyTarget::ALL, index, CopyTarget::name),
        EnumType::OpaqueCause => pick(OpaqueCause::ALL, index, OpaqueCause::name),
    }
}

pub fn variant_count(ty: EnumType) -> usize {
    match ty {
        EnumType::ActionKind => ActionKind::ALL.len(),
        EnumType::Channel => Channel::ALL.len(),
        EnumType::Dialect => Dialect::ALL.len(),
        EnumType::ActorKind => ActorKind::ALL.len(),
        EnumType::StatementKind => StatementKind::ALL.len(),
        EnumType::ObjectKind => ObjectKind::ALL.len(),
        EnumType::CopyTarget => CopyTarget::ALL.len(),
        EnumType::OpaqueCause => OpaqueCause::ALL.len(),
    }
}

pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Enforce => "enforce",
        Mode::Audit => "audit",
    }
}

pub fn mode_from_name(name: &str) -> Option<Mode> {
    match name {
        "enforce" => Some(Mode::Enforce),
        "audit" => Some(Mode::Audit),
        _ => None,
    }
}

fn unknown<E: serde::de::Error>(what: &str, name: &str) -> E {
    E::custom(format!("unknown {what} `{name}`"))
}

/// Reads a name and maps it with `lookup` without allocating it (a bundle names thousands of
/// fields and variants; an owned `String` each was a fifth of the decoder's allocations).
pub(crate) fn by_name<'de, D, T>(
    d: D,
    what: &'static str,
    lookup: impl FnOnce(&str) -> Option<T>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    d.deserialize_str(NameVisitor { what, lookup })
}

/// [`by_name`] as a seed, for elements of a sequence (`EnumValue`'s pair).
pub(crate) struct NameSeed<F> {
    pub(crate) what: &'static str,
    pub(crate) lookup: F,
}

impl<'de, T, F: FnOnce(&str) -> Option<T>> serde::de::DeserializeSeed<'de> for NameSeed<F> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        by_name(d, self.what, self.lookup)
    }
}

struct NameVisitor<F> {
    what: &'static str,
    lookup: F,
}

impl<T, F: FnOnce(&str) -> Option<T>> serde::de::Visitor<'_> for NameVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a {} name", self.what)
    }
    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<T, E> {
        (self.lookup)(name).ok_or_else(|| unknown(self.what, name))
    }
}

/// `#[serde(with = "names::serde_field")]`: a [`Field`] as its dotted path.
pub mod serde_field {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(f: &Field, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(f.def().path)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        by_name(d, "field", field)
    }
}

/// An [`Effect`] as its name.
pub mod serde_effect {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(e: &Effect, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(e.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Effect, D::Error> {
        by_name(d, "effect", Effect::from_name)
    }
}

/// A [`Mode`] as its name.
pub mod serde_mode {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &Mode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(mode_name(*m))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        by_name(d, "mode", mode_from_name)
    }
}

/// An [`EnumType`] as its name.
pub mod serde_enum_type {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &EnumType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<EnumType, D::Error> {
        by_name(d, "enum type", enum_type)
    }
}

/// An optional [`ActionKind`] (`None` = `on request`) as its name, `request` for `None`.
pub mod serde_target {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<ActionKind>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.map_or("request", ActionKind::name))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ActionKind>, D::Error> {
        by_name(d, "action kind", |name| match name {
            "request" => Some(None),
            _ => ActionKind::from_name(name).map(Some),
        })
    }
}
