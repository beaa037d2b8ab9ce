//! The prefilter's reduction as plain data ([`Reduced`]): what [`super::reduce_groups`] makes of
//! a policy, stored in a bundle by `guard build` so that loading builds the index without
//! reducing (the reduction was two thirds of building the prefilter).
//!
//! Trust: a stored reduction is covered by the bundle's digest and signature like the IR
//! itself. A wrong one can make the prefilter skip a rule that would have matched, so it can
//! only come from a different engine version (the format version says which reduction the
//! bundle carries) or from whoever signed the bundle, who could as well have written an `allow`
//! rule. [`crate::bundle::decode`] checks that every id is in range and every bound holds
//! ([`Reduced::validate`]);
//! [`crate::bundle::LoadedBundle::check_fully`], which the tools that vouch for a bundle
//! (`guard build`, `verify`, `inspect`) call, recomputes the reduction and refuses a bundle whose
//! stored one differs.

use guard_model::Field;
use guard_model::schema::EnumType;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

use super::{Atom, MAX_ATOMS, MAX_GROUPS, Need, Shape, Test, reduce_groups};
use crate::ir::{PatternId, PolicyData, StrId};
use crate::names;

/// An atom's string: an interned string of the policy or, for the part of a glob that a
/// simple glob tests (`/etc/*` → `/etc/`), its own text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Text {
    Str(StrId),
    Inline(Box<str>),
}

/// A field of [`Reduced::fields`], by its name as the IR stores fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FieldName(#[serde(with = "names::serde_field")] pub(crate) Field);

/// A stored [`Atom`] (see there): a field as its index in [`Reduced::fields`] (names once,
/// not once per atom: per atom they were 80 KB for the shipped library), enum types by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StoredAtom {
    Exact(u16, Text),
    Present(u16),
    Enum(
        u16,
        #[serde(with = "names::serde_enum_type")] EnumType,
        u128,
    ),
    Prefix(u16, Text),
    Suffix(u16, Text),
    Contains(u16, Text),
    Pattern(u16, PatternId),
    Folded {
        field: u16,
        shape: Shape,
        needle: Text,
        trim: bool,
    },
}

/// Per rule, its groups (each a list of atoms one of which holds whenever the rule's
/// condition does), in rule order, flattened: `groups[i]` is rule `i`'s number of groups,
/// `sizes` the number of atoms of each group in turn, `atoms` all of them. Deterministic: a
/// function of the policy data alone ([`reduce`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reduced {
    /// The fields the atoms read, in order of first use.
    pub(crate) fields: Vec<FieldName>,
    pub(crate) groups: Vec<u8>,
    pub(crate) sizes: Vec<u16>,
    pub(crate) atoms: Vec<StoredAtom>,
}

/// The reduction of a validated policy, as stored in a bundle.
pub(crate) fn reduce(data: &PolicyData) -> Reduced {
    // Interned strings are unique; the first id of a text otherwise.
    let mut ids: FxHashMap<&str, StrId> = FxHashMap::default();
    for (i, s) in data.strings.iter().enumerate() {
        ids.entry(s)
            .or_insert(StrId(u32::try_from(i).unwrap_or(u32::MAX)));
    }
    let text = |s: &str| match ids.get(s) {
        Some(id) => Text::Str(*id),
        None => Text::Inline(Box::from(s)),
    };
    let mut out = Reduced::default();
    let mut field_ix: FxHashMap<Field, u16> = FxHashMap::default();
    for needs in reduce_groups(data) {
        out.groups
            .push(u8::try_from(needs.len()).unwrap_or(u8::MAX));
        for clause in &needs {
            out.sizes
                .push(u16::try_from(clause.len()).unwrap_or(u16::MAX));
            for atom in clause.iter() {
                let (Atom::Exact(f, _) | Atom::Present(f) | Atom::Enum(f, ..) | Atom::Test(f, _)) =
                    *atom;
                let fields = &mut out.fields;
                let at = *field_ix.entry(f).or_insert_with(|| {
                    fields.push(FieldName(f));
                    u16::try_from(fields.len() - 1).unwrap_or(u16::MAX)
                });
                out.atoms.push(match *atom {
                    Atom::Exact(_, s) => StoredAtom::Exact(at, text(s)),
                    Atom::Present(_) => StoredAtom::Present(at),
                    Atom::Enum(_, t, m) => StoredAtom::Enum(at, t, m),
                    Atom::Test(_, Test::Prefix(s)) => StoredAtom::Prefix(at, text(s)),
                    Atom::Test(_, Test::Suffix(s)) => StoredAtom::Suffix(at, text(s)),
                    Atom::Test(_, Test::Contains(s)) => StoredAtom::Contains(at, text(s)),
                    Atom::Test(_, Test::Pattern(p)) => StoredAtom::Pattern(at, p),
                    Atom::Test(
                        _,
                        Test::Folded {
                            shape,
                            needle,
                            trim,
                        },
                    ) => StoredAtom::Folded {
                        field: at,
                        shape,
                        needle: text(needle),
                        trim,
                    },
                });
            }
        }
    }
    out
}

impl Reduced {
    /// Checks the reduction against the policy it was stored with: a count of groups per
    /// rule (none for a rule on requests), at most [`MAX_GROUPS`] groups of at most
    /// [`MAX_ATOMS`] atoms, the counts adding up, every string and pattern id in range, every
    /// enum mask within its type's variants (fields are known: they are read by name). Not
    /// that every field is one a rule on the rule's action kind may read: the IR does not
    /// require it of a rule's condition, so its reduction need not either. It does not check
    /// that this is the reduction of the policy ([`reduce`] does, in `check_fully`).
    pub(crate) fn validate(&self, data: &PolicyData) -> Result<(), String> {
        if self.groups.len() != data.rules.len() {
            return Err(format!(
                "the prefilter reduction has {} rules, the policy {}",
                self.groups.len(),
                data.rules.len()
            ));
        }
        let mut sizes = self.sizes.iter();
        let mut atoms = self.atoms.iter();
        for (rule, count) in data.rules.iter().zip(&self.groups) {
            let count = usize::from(*count);
            let bad = |what: &str| format!("the prefilter reduction of rule `{}` {what}", rule.id);
            if rule.on.is_none() && count > 0 {
                return Err(bad("has groups, but the rule is on requests"));
            }
            if count > MAX_GROUPS {
                return Err(bad("has too many groups"));
            }
            for _ in 0..count {
                let size = usize::from(*sizes.next().ok_or_else(|| bad("lacks a group"))?);
                if size > MAX_ATOMS {
                    return Err(bad("has a group with too many atoms"));
                }
                for _ in 0..size {
                    let atom = atoms.next().ok_or_else(|| bad("lacks an atom"))?;
                    let text_ok = |t: &Text| match t {
                        Text::Str(id) => id.index() < data.strings.len(),
                        Text::Inline(_) => true,
                    };
                    let field = match atom {
                        StoredAtom::Exact(f, _)
                        | StoredAtom::Present(f)
                        | StoredAtom::Enum(f, ..)
                        | StoredAtom::Prefix(f, _)
                        | StoredAtom::Suffix(f, _)
                        | StoredAtom::Contains(f, _)
                        | StoredAtom::Pattern(f, _)
                        | StoredAtom::Folded { field: f, .. } => *f,
                    };
                    let ok = usize::from(field) < self.fields.len()
                        && match atom {
                            StoredAtom::Exact(_, t)
                            | StoredAtom::Prefix(_, t)
                            | StoredAtom::Suffix(_, t)
                            | StoredAtom::Contains(_, t)
                            | StoredAtom::Folded { needle: t, .. } => text_ok(t),
                            StoredAtom::Present(_) => true,
                            StoredAtom::Enum(_, ty, mask) => {
                                let count = names::variant_count(*ty);
                                count >= 128 || mask >> count == 0
                            }
                            StoredAtom::Pattern(_, p) => p.index() < data.patterns.len(),
                        };
                    if !ok {
                        return Err(bad("has an id out of range"));
                    }
                }
            }
        }
        if sizes.next().is_some() || atoms.next().is_some() {
            return Err("the prefilter reduction has more groups or atoms than its rules".into());
        }
        Ok(())
    }

    /// Each rule's groups as [`super::Prefilter::build`] takes them, the strings read from
    /// `data` and from `self`. A rule whose groups do not resolve (which [`Self::validate`]
    /// rules out) gets none: it is always evaluated.
    pub(super) fn groups<'p>(&'p self, data: &'p PolicyData) -> Vec<Need<'p>> {
        let text = |t: &'p Text| -> Option<&'p str> {
            match t {
                Text::Str(id) => data.strings.get(id.index()),
                Text::Inline(s) => Some(s),
            }
        };
        let field = |ix: &u16| self.fields.get(usize::from(*ix)).map(|f| f.0);
        let atom = |a: &'p StoredAtom| -> Option<Atom<'p>> {
            Some(match a {
                StoredAtom::Exact(f, t) => Atom::Exact(field(f)?, text(t)?),
                StoredAtom::Present(f) => Atom::Present(field(f)?),
                StoredAtom::Enum(f, ty, m) => Atom::Enum(field(f)?, *ty, *m),
                StoredAtom::Prefix(f, t) => Atom::Test(field(f)?, Test::Prefix(text(t)?)),
                StoredAtom::Suffix(f, t) => Atom::Test(field(f)?, Test::Suffix(text(t)?)),
                StoredAtom::Contains(f, t) => Atom::Test(field(f)?, Test::Contains(text(t)?)),
                StoredAtom::Pattern(f, p) => Atom::Test(field(f)?, Test::Pattern(*p)),
                StoredAtom::Folded {
                    field: f,
                    shape,
                    needle,
                    trim,
                } => Atom::Test(
                    field(f)?,
                    Test::Folded {
                        shape: *shape,
                        needle: text(needle)?,
                        trim: *trim,
                    },
                ),
            })
        };
        // Every atom resolved in one buffer (a bad one as `None`), each group then copied out
        // of it at its exact size: collecting each group into an `Rc` grew a `Vec` per group.
        let resolved: Vec<Option<Atom<'p>>> = self.atoms.iter().map(atom).collect();
        let mut all: Vec<Atom<'p>> = Vec::with_capacity(resolved.len());
        let mut sizes = self.sizes.iter();
        let mut at = 0usize;
        let mut out = Vec::with_capacity(self.groups.len());
        for count in &self.groups {
            let mut needs: Need<'p> = Vec::with_capacity(usize::from(*count));
            let mut whole = true;
            for _ in 0..*count {
                let size = sizes.next().map_or(0, |s| usize::from(*s));
                let end = at.saturating_add(size);
                all.clear();
                match resolved.get(at..end) {
                    Some(these) => {
                        all.extend(these.iter().map_while(|a| *a));
                        if all.len() == size {
                            needs.push(Rc::from(all.as_slice()));
                        } else {
                            whole = false;
                        }
                    }
                    None => whole = false,
                }
                at = end;
            }
            out.push(if whole { needs } else { Vec::new() });
        }
        out
    }
}
