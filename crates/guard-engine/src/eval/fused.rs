//! Fused quantifier shapes: `any x in LIST_FIELD: TEST(x)` (and `all`), where the body tests
//! only the bound value against constants, recognised once per policy when the plan is built
//! and evaluated as one loop over the field's values, with no local binding and no walk of
//! the body's nodes per value.
//!
//! A body is fused when it is built only from, with `x` the quantifier's variable:
//! `x in CONST_SET` / `x not in CONST_SET`, `x == "s"` / `x != "s"` (either side),
//! `starts_with(x, "s")` / `ends_with` / `contains`, `x matches P`, `any d in CONST_SET:
//! starts_with(x, d)` (and the other shapes [`crate::ir::set_quantifier`] recognises, by the
//! plan's [`crate::prefilter::NeedleSet`]), and `and` / `or` / `not` of those. Anything else
//! keeps the general path, and so does a field whose value at run time is not a list of
//! strings. The evaluation order and short-circuiting are the general path's, so a pattern
//! that does not compile is reached (and the decision made `error`) exactly when it would be.
//! The reference evaluation never uses this table.
//!
//! The plan (built at load) only lists the quantifiers over fields; each is recognised on its
//! first evaluation, once for all threads.

use std::sync::OnceLock;

use guard_model::Field;

use crate::ir::{Builtin, CmpOp, ExprId, Node, PatternId, PolicyData, Quantifier, SetData, SetId};
use crate::prefilter::NeedleSet;

/// A test on the bound value `x` (a string).
#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// A test on `x`, or on `lower(x)`, `basename(x)`, … (`view`).
    Atom(View, Atom),
    Not(Box<Test>),
    And(Box<[Test]>),
    Or(Box<[Test]>),
}

/// What an [`Test::Atom`] tests: `x` itself or `lower`, `upper` or `basename` of it, applied
/// in order (at most two: `lower(basename(x))`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct View(pub(crate) [Option<Builtin>; 2]);

/// A test of one string against constants.
#[derive(Debug, Clone)]
pub(crate) enum Atom {
    /// `v in SET` (`negated`: `not in`), through the policy's set lookup.
    In {
        set: SetId,
        negated: bool,
    },
    /// `v == "s"` (`equal`) or `v != "s"`.
    Eq {
        text: Box<str>,
        equal: bool,
    },
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    Contains(Box<str>),
    Matches(PatternId),
    /// `any d in SET: starts_with(v, d)` and its kin: the plan's needle set at this index.
    Needles(u32),
    /// `any d in SET: starts_with(v, d)` (or `v == d or starts_with(v, d)`) as a
    /// [`Prefixes`] (one binary search rather than a scan of the needles sharing a first byte:
    /// the standard library's prefix sets all start with `/`).
    Prefixes(Prefixes),
}

/// A set of prefixes, sorted, without any that has another as a prefix (it adds nothing to
/// "starts with one of them"). Then at most one can be a prefix of a string `x`, and it is the
/// greatest one not after `x`: every string between a prefix `p` of `x` and `x` itself starts
/// with `p`, so another prefix there would start with `p`.
#[derive(Debug, Clone)]
pub(crate) struct Prefixes(Box<[Box<str>]>);

impl Prefixes {
    pub(crate) fn new<'s>(items: impl IntoIterator<Item = &'s str>) -> Prefixes {
        let mut sorted: Vec<&str> = items.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut kept: Vec<Box<str>> = Vec::with_capacity(sorted.len());
        for item in sorted {
            // In sorted order, a kept prefix of `item` is the last one kept.
            if kept.last().is_some_and(|last| item.starts_with(&**last)) {
                continue;
            }
            kept.push(item.into());
        }
        Prefixes(kept.into())
    }

    /// Whether `x` starts with one of the prefixes.
    #[inline]
    pub(crate) fn any(&self, x: &str) -> bool {
        let after = self.0.partition_point(|p| p.as_bytes() <= x.as_bytes());
        after
            .checked_sub(1)
            .and_then(|i| self.0.get(i))
            .is_some_and(|p| x.starts_with(&**p))
    }
}

/// A fused quantifier: `quantifier x in field: test(x)`.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) quantifier: Quantifier,
    pub(crate) field: Field,
    pub(crate) test: Test,
}

/// In the plan's per-node quantifier table (`Plan::needle_at`), the bit that marks a
/// quantifier over a field, which may be fused (the other bits: its index in [`Fused`]);
/// without it, an index of a needle set.
pub(crate) const FUSED: u32 = 1 << 30;

/// The quantifiers over fields of a policy, each recognised as a fused shape (or not) on its
/// first evaluation: the plan, built at load, only lists them (recognising them all at load
/// was ~140k instructions for the shipped library, most of it for quantifiers that the
/// commands seen never evaluate).
#[derive(Debug, Clone, Default)]
pub(crate) struct Fused {
    /// Per candidate: its node, and its shape once looked at (`None`: not fusable, the
    /// general path).
    candidates: Vec<(ExprId, OnceLock<Option<Shape>>)>,
}

impl Fused {
    /// Lists quantifier `id` as a candidate when it quantifies over a field: then its entry in
    /// the plan's per-node quantifier table, [`FUSED`] plus its index here.
    pub(crate) fn add(&mut self, data: &PolicyData, id: ExprId) -> Option<u32> {
        let Some(Node::Quantified { over, .. }) = data.nodes.get(id.index()) else {
            return None;
        };
        let Some(Node::Field(_)) = data.nodes.get(over.index()) else {
            return None;
        };
        let at = len_u32(self.candidates.len());
        (at < FUSED).then_some(())?;
        self.candidates.push((id, OnceLock::new()));
        Some(FUSED | at)
    }

    /// The fused shape at `at`, an entry of the plan's per-node quantifier table with the
    /// [`FUSED`] bit, if it is one (recognised on first use). `needle_at`, `needle_sets`: the
    /// plan's.
    #[inline]
    pub(crate) fn get(
        &self,
        at: u32,
        data: &PolicyData,
        needle_at: &[u32],
        needle_sets: &[(ExprId, NeedleSet)],
    ) -> Option<&Shape> {
        if at & FUSED == 0 {
            return None;
        }
        let (id, cell) = self.candidates.get((at & !FUSED) as usize)?;
        match cell.get() {
            Some(shape) => shape.as_ref(),
            None => cell
                .get_or_init(|| shape(data, needle_at, needle_sets, *id))
                .as_ref(),
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.candidates.len()
    }
}

/// Quantifier `id` as a fused shape, if it is one.
#[cold]
#[inline(never)]
fn shape(
    data: &PolicyData,
    needle_at: &[u32],
    needle_sets: &[(ExprId, NeedleSet)],
    id: ExprId,
) -> Option<Shape> {
    let Some(Node::Quantified {
        quantifier,
        slot,
        over,
        body,
    }) = data.nodes.get(id.index())
    else {
        return None;
    };
    let Some(Node::Field(field)) = data.nodes.get(over.index()) else {
        return None;
    };
    let test = test(data, needle_at, needle_sets, *slot, *body, 0)?;
    Some(Shape {
        quantifier: *quantifier,
        field: *field,
        test,
    })
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The body `id` as a [`Test`] on the value bound to `slot`, if it is one. `depth` bounds the
/// recursion (the IR's depth is validated; this is belt and braces).
fn test(
    data: &PolicyData,
    needle_at: &[u32],
    needle_sets: &[(ExprId, NeedleSet)],
    slot: u16,
    id: ExprId,
    depth: usize,
) -> Option<Test> {
    if depth > 16 {
        return None;
    }
    let nodes = &data.nodes;
    let view = |e: &ExprId| view(data, slot, *e);
    let text = |e: &ExprId| match nodes.get(e.index()) {
        Some(Node::Str(s)) => data.strings.get(s.index()).map(Box::<str>::from),
        _ => None,
    };
    let inner = |e: &ExprId| test(data, needle_at, needle_sets, slot, *e, depth + 1);
    Some(match nodes.get(id.index())? {
        Node::In {
            item,
            collection,
            negated,
        } => match nodes.get(collection.index())? {
            Node::Set(set) => Test::Atom(
                view(item)?,
                Atom::In {
                    set: *set,
                    negated: *negated,
                },
            ),
            _ => return None,
        },
        Node::Compare {
            op: op @ (CmpOp::Eq | CmpOp::Ne),
            lhs,
            rhs,
        } => {
            let (v, text) = match (view(lhs), view(rhs)) {
                (Some(v), None) => (v, text(rhs)?),
                (None, Some(v)) => (v, text(lhs)?),
                _ => return None,
            };
            Test::Atom(
                v,
                Atom::Eq {
                    text,
                    equal: *op == CmpOp::Eq,
                },
            )
        }
        Node::Call { builtin, args } => match args.as_slice() {
            [x, s] => {
                let (v, s) = (view(x)?, text(s)?);
                let atom = match builtin {
                    Builtin::StartsWith => Atom::StartsWith(s),
                    Builtin::EndsWith => Atom::EndsWith(s),
                    Builtin::Contains => Atom::Contains(s),
                    _ => return None,
                };
                Test::Atom(v, atom)
            }
            _ => return None,
        },
        Node::Matches { subject, pattern } => Test::Atom(view(subject)?, Atom::Matches(*pattern)),
        Node::Quantified { .. } => {
            // A needle set whose subject is `x` or a view of it (the needle shape checks
            // that the subject does not read the inner variable).
            let at = *needle_at.get(id.index())?;
            if at & FUSED != 0 {
                return None;
            }
            let (subject, needles) = needle_sets.get(at as usize)?;
            let v = view(subject)?;
            // The set's items, for a prefix set.
            let items = match nodes.get(id.index()) {
                Some(Node::Quantified { over, .. }) => match nodes.get(over.index()) {
                    Some(Node::Set(set)) => match data.sets.get(set.index()) {
                        Some(SetData::Str(items)) => Some(items),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            match items {
                Some(items) if needles.builtin() == Builtin::StartsWith => {
                    let items = items.iter().map(|s| data.strings.get(s.index()));
                    Test::Atom(
                        v,
                        Atom::Prefixes(Prefixes::new(items.collect::<Option<Vec<_>>>()?)),
                    )
                }
                _ => Test::Atom(v, Atom::Needles(at)),
            }
        }
        Node::Not(e) => Test::Not(Box::new(inner(e)?)),
        Node::And(items) => Test::And(items.iter().map(inner).collect::<Option<_>>()?),
        Node::Or(items) => Test::Or(items.iter().map(inner).collect::<Option<_>>()?),
        _ => return None,
    })
}

/// Node `id` as a [`View`] of the value bound to `slot`: the bound value itself, or
/// `lower`, `upper`, `basename` of it, at most two deep.
fn view(data: &PolicyData, slot: u16, id: ExprId) -> Option<View> {
    let nodes = &data.nodes;
    let unary = |id: ExprId| match nodes.get(id.index()) {
        Some(Node::Call {
            builtin: builtin @ (Builtin::Lower | Builtin::Upper | Builtin::Basename),
            args,
        }) => match args.as_slice() {
            [arg] => Some((*builtin, *arg)),
            _ => None,
        },
        _ => None,
    };
    let bound = |id: ExprId| matches!(nodes.get(id.index()), Some(Node::Local(s)) if *s == slot);
    if bound(id) {
        return Some(View([None, None]));
    }
    let (outer, arg) = unary(id)?;
    if bound(arg) {
        return Some(View([Some(outer), None]));
    }
    let (inner, arg) = unary(arg)?;
    bound(arg).then_some(View([Some(inner), Some(outer)]))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Prefixes;

    proptest! {
        /// A prefix set answers as a scan of its items would.
        #[test]
        fn prefixes_agree_with_a_scan(
            items in prop::collection::vec("(/|a|b|\u{e9}){0,4}", 0..8),
            x in "(/|a|b|\u{e9}){0,6}",
        ) {
            let set = Prefixes::new(items.iter().map(String::as_str));
            prop_assert_eq!(set.any(&x), items.iter().any(|p| x.starts_with(p.as_str())));
        }
    }
}
