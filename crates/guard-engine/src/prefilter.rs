//! The rule prefilter: which rules can possibly match an action, decided once per action from
//! cheap facts about it, before any rule is interpreted.
//!
//! Built with the plan (on first evaluation): each top-level conjunct of a rule's condition
//! is reduced to up to three *necessary conditions* (clauses), each a set of atoms at least
//! one of which is true whenever the conjunct is (a disjunction implied by it); a rule keeps
//! up to six of these *groups*, the ones decided for every action first, cheapest first. Atoms
//! are facts about one field of the action: "a value of `exec.args` is `--force`" (exact),
//! "`exec.reads` is not empty" (present), "`stmt.kind` is `drop` or `truncate`" (enum), "a
//! value of `exec.paths` starts with `/etc/`" (test). The reduction:
//! - `and`: its operands' clauses (each operand's cheapest, then each one's next);
//! - `or`: clause `i` is the union of its operands' clauses `i` (unusable when one of them
//!   has none), so `(rm and path under /etc/) or …` yields both "the program is `rm` or …"
//!   and the more selective "a path is under `/etc/` or …";
//! - `any x in FIELD: body`: the body's, with atoms on `x` read as atoms on `FIELD`'s values,
//!   else "`FIELD` is not empty"; `any d in CONST_SET: body`: the union over the set's items;
//! - `x in SET`, `x == "c"`, `"c" in FIELD`, `starts_with(x, "c")` (also `ends_with`,
//!   `contains`), `x matches P`, `len(FIELD) > 0`, a boolean field, `x in ENUM_SET`: an atom;
//!   `basename(x) in SET` (also `==`, `starts_with`, …): "`x` contains an item" (a basename
//!   is a substring of its path); the same tests on `lower(x)` or `lower(basename(x))` of an
//!   action field: a *folded* test on `x` ("`x` is not ASCII, or ends with `.pem` ignoring
//!   ASCII case", see [`view_atom`]), decided on demand;
//! - anything else (`not`, `all`, other calls, `lower` of request-level fields): none.
//!
//! Per action, exact, present and enum atoms and the prefix/suffix/substring tests on action
//! fields are decided at once (one read per field; one hash lookup per value; the string tests
//! through needles indexed by their first or last byte; a bit per group), which leaves the
//! rules whose first group holds plus the rules whose first group has on-demand tests
//! (patterns, request-level fields, and substring tests in a rule's later groups, which would
//! otherwise make every action scan every byte of its values for needles that rarely decide);
//! those run at most once per action (once per request for request-level fields), but a
//! group's substring tests on one action field run together, in one pass over each value
//! (a [`NeedleSet`]), and so do its folded tests ([`FoldTests`]). A rule with an unsatisfied
//! group is skipped; any other rule is evaluated as usual, so the prefilter can only save
//! work, never change a result: soundness needs only "conjunct true ⇒ some atom of its group
//! true", which each case above preserves (an atom may hold when the conjunct does not; never
//! the reverse). Property tests (`eval::tests`, `guard-compile/tests/shipped_plan.rs` over the
//! corpus) compare decisions with and without it.

use guard_model::schema::{Context, EnumType, Scope, Value};
use guard_model::{ActionKind, Builtin, Field};
use std::rc::Rc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ir::{
    CmpOp, ExprId, GlobShape, MAX_LOCALS, Node, Pattern, PatternId, Policy, PolicyData, Quantifier,
    SetData, simple_glob_parts,
};

mod reduced;
pub(crate) use reduced::{Reduced, reduce};
#[cfg(test)]
pub(crate) use reduced::{StoredAtom, Text};

/// More atoms than this in one necessary condition: give up on it (the rule is always
/// evaluated), which bounds the index's size.
const MAX_ATOMS: usize = 256;
/// Steps of the reduction per rule; beyond it the rule is always evaluated. Bounds load time
/// on hostile bundles (nested quantifiers over constant sets multiply).
const MAX_STEPS: usize = 20_000;

/// A string test on a field's value(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Test<S = Box<str>> {
    Prefix(S),
    Suffix(S),
    Contains(S),
    Pattern(PatternId),
    /// A test on `lower(x)` (or `lower(basename(x))`) read on `x`: passes when `x` is not
    /// ASCII (Unicode lowercasing can turn non-ASCII text into anything, e.g. the Kelvin sign
    /// into `k`), else when `x` — its trailing `/`s removed when `trim` — has the needle at
    /// the place `shape` says, ignoring ASCII case (`lower` of ASCII text is
    /// `to_ascii_lowercase`). Decided on demand, with the others of its group on the same
    /// field ([`FoldTests`]).
    Folded {
        shape: Shape,
        needle: S,
        trim: bool,
    },
}

/// Where a [`Test::Folded`] needle must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum Shape {
    /// The whole value.
    Eq,
    Prefix,
    Suffix,
    Contains,
}

impl Test<&str> {
    fn owned(&self) -> Test {
        match self {
            Test::Prefix(s) => Test::Prefix(Box::from(*s)),
            Test::Suffix(s) => Test::Suffix(Box::from(*s)),
            Test::Contains(s) => Test::Contains(Box::from(*s)),
            Test::Pattern(p) => Test::Pattern(*p),
            Test::Folded {
                shape,
                needle,
                trim,
            } => Test::Folded {
                shape: *shape,
                needle: Box::from(*needle),
                trim: *trim,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Atom<'p> {
    /// The field's string value, or one of its list's values, is this.
    Exact(Field, &'p str),
    /// The field is `true`, a non-empty string or a non-empty list.
    Present(Field),
    /// The field's enum value is in the mask.
    Enum(Field, EnumType, u128),
    /// The field's string value, or one of its list's values, passes the test.
    Test(Field, Test<&'p str>),
}

impl Atom<'_> {
    /// Cost of deciding the atom (exact and enum atoms come from one lookup per value), for
    /// choosing among the operands of an `and` and ordering a rule's conjuncts.
    fn score(&self) -> usize {
        match self {
            Atom::Exact(..) | Atom::Enum(..) => 0,
            Atom::Test(_, Test::Pattern(_)) => 16,
            Atom::Test(_, Test::Folded { .. }) => 3,
            Atom::Test(..) => 2,
            Atom::Present(_) => 4,
        }
    }
}

/// Whether an atom is a string test decided for every action in [`Prefilter::prepare`]
/// (prefix, suffix and substring tests on action fields, through [`StringTests`]); the other
/// tests (patterns, request-level fields) run on demand.
fn eager(atom: &Atom<'_>) -> bool {
    matches!(atom, Atom::Test(f, t) if !matches!(t, Test::Pattern(_) | Test::Folded { .. }) && !matches!(f.def().scope, Scope::Everywhere))
}

fn score(atoms: &[Atom<'_>]) -> usize {
    atoms.iter().map(Atom::score).sum()
}

/// Whether a clause has a test run on demand (not decided by [`Prefilter::prepare`]).
fn on_demand(atoms: &[Atom<'_>]) -> bool {
    atoms
        .iter()
        .any(|a| matches!(a, Atom::Test(..)) && !eager(a))
}

/// Necessary conditions of a node, each a *clause*: a list of atoms one of which is true
/// whenever the node is (an empty clause: the node is never true). All of them hold at once,
/// so several clauses filter more than one. No clause: nothing is known (the rule must be
/// evaluated). At most [`MAX_CLAUSES`], cheapest first. Clauses are shared (memoised nodes
/// and `and` pass their operands' clauses on without copying them).
type Need<'p> = Vec<Clause<'p>>;
type Clause<'p> = Rc<[Atom<'p>]>;

/// At most this many clauses per node: an `or` combines its operands' clauses position by
/// position (see [`combine`]), so a few alternatives per operand are enough to find a
/// selective one (`rm` on a path is not a history file even though `rm` overwrites).
const MAX_CLAUSES: usize = 3;

/// Cheapest first (ties keep their order), duplicates and oversized clauses dropped, at most
/// [`MAX_CLAUSES`].
fn normalise(mut clauses: Need<'_>) -> Need<'_> {
    clauses.retain(|c| c.len() <= MAX_ATOMS);
    clauses.sort_by_key(|c| score(c));
    clauses.dedup();
    clauses.truncate(MAX_CLAUSES);
    clauses
}

/// The necessary conditions of an `or` (or `any` over a constant set) from its operands'
/// (each with at least one clause): clause `i` is the union of every operand's clause `i`
/// (its last when it has fewer). Each such union holds whenever some operand does, whichever
/// clause of each operand is taken, so every combination is sound; taking them position by
/// position pairs cheap with cheap and selective with selective without the full product.
fn combine(mut parts: Vec<Need<'_>>) -> Need<'_> {
    if parts.is_empty() {
        // `or()`, or `any` over an empty set: never true.
        return vec![Rc::from([])];
    }
    if parts.len() == 1 {
        return normalise(parts.pop().unwrap_or_default());
    }
    let depth = parts
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .min(MAX_CLAUSES);
    let mut out = Vec::with_capacity(depth);
    for i in 0..depth {
        let size: usize = parts
            .iter()
            .filter_map(|part| part.get(i).or(part.last()))
            .map(|c| c.len())
            .sum();
        let mut clause = Vec::with_capacity(size.min(MAX_ATOMS + 1));
        for part in &parts {
            if let Some(c) = part.get(i).or(part.last()) {
                clause.extend_from_slice(c);
            }
            if clause.len() > MAX_ATOMS {
                break;
            }
        }
        if clause.len() <= MAX_ATOMS {
            out.push(Rc::from(clause));
        }
    }
    normalise(out)
}

/// A node reduced by [`Reducer::atoms`] alone (at most one clause, never memoised apart).
fn leaf(node: &Node) -> bool {
    !matches!(node, Node::And(_) | Node::Or(_) | Node::Quantified { .. })
}

/// What a quantifier variable stands for while reducing its body.
#[derive(Debug, Clone, Copy)]
enum Binding<'p> {
    Unknown,
    /// Each value of a list field in turn.
    Element(Field),
    /// One item of a constant string set (the union over the set is taken by the caller).
    Const(&'p str),
}

/// An operand as the reduction sees it.
enum Operand<'p> {
    /// A field's value or, for a bound variable, one of its values.
    Field(Field),
    /// `lower(…)` and/or `basename(…)` of a string field's value or of one of a string list
    /// field's values (see [`view_atom`]).
    View {
        field: Field,
        lower: bool,
        basename: bool,
    },
    Const(&'p str),
    Other,
}

/// The atom on `field`'s value(s) `x` implied by "`view(x)` `shape` `needle`" (`Eq`:
/// equals), where `view` is `lower`, `basename` or both:
/// - `basename` alone: `x` contains the needle (`basename(x)` is a substring of `x`: its last
///   segment, `/` for an all-`/` value, `""` for `""`);
/// - `lower`: a [`Test::Folded`] of the same shape;
/// - both: for ASCII `x`, `lower(basename(x))` is `basename(x)` lowercased, a suffix of `x`
///   without its trailing `/`s unless it is `/`: equal to or ending with a needle without `/`
///   needs that suffix (`trim`); anything else needs `x` to contain the needle, ignoring case.
fn view_atom<'p>(
    field: Field,
    lower: bool,
    basename: bool,
    shape: Shape,
    needle: &'p str,
) -> Atom<'p> {
    if !lower {
        return Atom::Test(field, Test::Contains(needle));
    }
    let (shape, trim) = match (basename, shape) {
        (false, shape) => (shape, false),
        (true, Shape::Eq | Shape::Suffix) if !needle.contains('/') => (Shape::Suffix, true),
        (true, _) => (Shape::Contains, false),
    };
    Atom::Test(
        field,
        Test::Folded {
            shape,
            needle,
            trim,
        },
    )
}

/// Per action kind: which groups the cheap atoms of an action satisfy.
#[derive(Debug, Clone, Default)]
struct KindFilter {
    /// Per field read by an exact, present or eager string atom: those atoms (one read of the
    /// field decides them all).
    fields: Vec<FieldFilter>,
    /// The group sets of exact atoms, one after the other (`group_words` each).
    arena: Box<[u64]>,
    enums: Vec<(Field, EnumType, u128, Box<[u64]>)>,
    /// The group sets of the eager string tests, `group_words` each.
    string_groups: Box<[u64]>,
    /// Rules on this kind that cannot be ruled out by cheap atoms alone: no necessary
    /// condition, or a first group with on-demand tests (a bit per rule index).
    pending: Box<[u64]>,
    /// Whether any rule on this kind is filtered at all.
    active: bool,
}

/// Needles indexed by one byte (the first, or the last for suffixes): the candidates for a
/// position of a value are the needles whose key byte is there. Each needle carries the
/// offset of its group set in [`KindFilter::string_groups`].
#[derive(Debug, Clone, Default)]
struct ByteIndex {
    /// `starts[b]..starts[b + 1]` are the needles keyed by byte `b` (257 entries, or none
    /// when the index is empty).
    starts: Box<[u32]>,
    needles: Box<[(Box<[u8]>, u32)]>,
    /// A bit per byte value that keys a needle: most bytes of most values key none, and this
    /// rules them out before any lookup in `starts`.
    keys: [u64; 4],
}

impl ByteIndex {
    fn new(mut needles: Vec<(u8, Box<[u8]>, u32)>) -> ByteIndex {
        if needles.is_empty() {
            return ByteIndex::default();
        }
        needles.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut starts = vec![0u32; 257];
        for (key, ..) in &needles {
            if let Some(s) = starts.get_mut(usize::from(*key) + 1) {
                *s += 1;
            }
        }
        for i in 1..starts.len() {
            let before = starts.get(i - 1).copied().unwrap_or(0);
            if let Some(s) = starts.get_mut(i) {
                *s += before;
            }
        }
        let mut keys = [0u64; 4];
        for (key, ..) in &needles {
            if let Some(w) = keys.get_mut(usize::from(*key) / 64) {
                *w |= 1u64 << (key % 64);
            }
        }
        ByteIndex {
            starts: starts.into(),
            needles: needles.into_iter().map(|(_, n, at)| (n, at)).collect(),
            keys,
        }
    }

    #[inline]
    fn get(&self, byte: u8) -> &[(Box<[u8]>, u32)] {
        let b = usize::from(byte);
        if self
            .keys
            .get(b / 64)
            .is_none_or(|w| (w >> (b % 64)) & 1 == 0)
        {
            return &[];
        }
        match (self.starts.get(b), self.starts.get(b + 1)) {
            (Some(start), Some(end)) => self
                .needles
                .get(*start as usize..*end as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// The eager string tests on one action field: every prefix, suffix and substring test of
/// any group on it, decided in one pass per value (see [`eager`]).
#[derive(Debug, Clone)]
struct StringTests {
    /// Group sets of tests with an empty needle: true of any string value.
    always: Vec<u32>,
    prefix: ByteIndex,
    suffix: ByteIndex,
    contains: ByteIndex,
}

impl StringTests {
    /// ORs into `out` the group sets of the tests `value` passes.
    #[inline]
    fn run(&self, value: &[u8], arena: &[u64], words: usize, out: &mut [u64]) {
        let mut hit = |at: u32| {
            let start = at as usize;
            if let Some(bits) = arena.get(start..start + words) {
                for (o, b) in out.iter_mut().zip(bits) {
                    *o |= *b;
                }
            }
        };
        for at in &self.always {
            hit(*at);
        }
        if let (Some(first), Some(last)) = (value.first(), value.last()) {
            for (needle, at) in self.prefix.get(*first) {
                if starts_with(value, needle) {
                    hit(*at);
                }
            }
            for (needle, at) in self.suffix.get(*last) {
                if value.ends_with(needle) {
                    hit(*at);
                }
            }
        }
        if !self.contains.needles.is_empty() {
            for (i, b) in value.iter().enumerate() {
                let candidates = self.contains.get(*b);
                if candidates.is_empty() {
                    continue;
                }
                let rest = value.get(i..).unwrap_or(&[]);
                for (needle, at) in candidates {
                    if starts_with(rest, needle) {
                        hit(*at);
                    }
                }
            }
        }
    }
}

/// The atoms of one kind on one field that [`Prefilter::prepare`] decides for every action.
#[derive(Debug, Clone)]
struct FieldFilter {
    field: Field,
    /// Value → offset of the groups it satisfies in [`KindFilter::arena`] (may be empty).
    exact: FxHashMap<Box<str>, u32>,
    /// A Bloom filter of `exact`'s keys (see [`bloom_bit`]): most values are in no set, and
    /// this rules them out without hashing them.
    bloom: [u64; BLOOM_WORDS],
    /// The groups satisfied when the field is `true`, a non-empty string or list.
    present: Option<Box<[u64]>>,
    /// Its prefix, suffix and substring tests, run on every value of the field.
    strings: Option<StringTests>,
}

const BLOOM_WORDS: usize = 16;

/// A value's bit in a [`FieldFilter::bloom`], from its length and three of its bytes.
#[inline]
fn bloom_bit(s: &str) -> usize {
    let b = s.as_bytes();
    let byte = |i: usize| usize::from(b.get(i).copied().unwrap_or(0));
    let len = b.len();
    (len.wrapping_mul(131)
        ^ byte(0).wrapping_mul(31)
        ^ byte(len / 2).wrapping_mul(7)
        ^ byte(len.wrapping_sub(1)).wrapping_mul(257))
        % (BLOOM_WORDS * 64)
}

/// One necessary condition of one top-level conjunct of a rule: satisfied when one of its
/// cheap atoms or eager string tests is (a bit set by [`Prefilter::prepare`]) or one of its
/// on-demand tests passes.
#[derive(Debug, Clone, Default)]
struct Group {
    /// Its [`Test::Folded`] atoms, by the field they read, each field's decided together
    /// (tried before `tests`: they run no regex).
    folded: Box<[(Field, FoldTests)]>,
    /// Its substring tests on action fields (a later group's: not decided for every action,
    /// see [`Prefilter::new`]), by the field they read, each field's decided in one pass over
    /// each value (tried before `tests`: they run no regex).
    contains: Box<[(Field, NeedleSet)]>,
    /// On-demand test ids, by the field they read (a field with no value skips all of its
    /// tests).
    tests: Box<[(Field, Box<[u32]>)]>,
}

/// The [`Test::Folded`] atoms of one group on one field: whether a value passes one of them
/// is decided by looking only at the needles whose first (prefix, equality, substring) or
/// last (suffix) byte, ASCII-lowercased, is the value's there. Agrees with running each
/// test ([`run`]): `folded_tests_agree_with_each_test`.
#[derive(Debug, Clone, Default)]
struct FoldTests {
    /// A test has an empty needle: every ASCII value passes.
    always: bool,
    /// Equality (payload 1) and prefix (payload 0) needles, keyed by their first byte.
    head: ByteIndex,
    /// Suffix needles on the value (payload 0) or on the value without its trailing `/`s
    /// (payload 1), keyed by their last byte.
    tail: ByteIndex,
    /// Substring needles, keyed by their first byte.
    inner: ByteIndex,
}

impl FoldTests {
    fn new<'s>(tests: impl IntoIterator<Item = (Shape, &'s str, bool)>) -> FoldTests {
        let (mut head, mut tail, mut inner) = (Vec::new(), Vec::new(), Vec::new());
        let mut always = false;
        for (shape, needle, trim) in tests {
            let bytes = needle.to_ascii_lowercase().into_bytes().into_boxed_slice();
            let (list, key, payload) = match shape {
                Shape::Eq => (&mut head, bytes.first().copied(), 1),
                Shape::Prefix => (&mut head, bytes.first().copied(), 0),
                Shape::Suffix => (&mut tail, bytes.last().copied(), u32::from(trim)),
                Shape::Contains => (&mut inner, bytes.first().copied(), 0),
            };
            match (key, shape) {
                (Some(key), _) => list.push((key, bytes, payload)),
                // `lower(x) == ""` needs an empty `x`, which every other test passes too.
                (None, Shape::Eq) => head.push((0, bytes, 1)),
                (None, _) => always = true,
            }
        }
        FoldTests {
            always,
            head: ByteIndex::new(head),
            tail: ByteIndex::new(tail),
            inner: ByteIndex::new(inner),
        }
    }

    /// Whether `value` passes one of the tests.
    fn any(&self, value: &str) -> bool {
        if !value.is_ascii() {
            return true;
        }
        if self.always {
            return true;
        }
        let v = value.as_bytes();
        let lower = |b: &u8| b.to_ascii_lowercase();
        let head = v.first().map_or(0, lower);
        if self.head.get(head).iter().any(|(n, eq)| {
            v.get(..n.len()).is_some_and(|p| p.eq_ignore_ascii_case(n))
                && (*eq == 0 || v.len() == n.len())
        }) {
            return true;
        }
        if !self.tail.needles.is_empty() {
            let trimmed = value.trim_end_matches('/').as_bytes();
            for (w, trim) in [(v, 0), (trimmed, 1)] {
                let Some(last) = w.last() else {
                    continue;
                };
                if self.tail.get(lower(last)).iter().any(|(n, t)| {
                    *t == trim
                        && w.len() >= n.len()
                        && w.get(w.len() - n.len()..)
                            .is_some_and(|s| s.eq_ignore_ascii_case(n))
                }) {
                    return true;
                }
            }
        }
        if !self.inner.needles.is_empty() {
            for i in 0..v.len() {
                let rest = v.get(i..).unwrap_or(&[]);
                let Some(b) = rest.first() else { break };
                if self.inner.get(lower(b)).iter().any(|(n, _)| {
                    rest.get(..n.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(n))
                }) {
                    return true;
                }
            }
        }
        false
    }
}

/// The prefilter of a whole policy (see the module docs).
///
/// Group ids: rule `i`'s first (cheapest) group is group `i`, so after [`Self::prepare`] the
/// first bits of the group set are the rules whose first group a cheap atom satisfies; the
/// rules' other groups follow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prefilter {
    /// Words of a rule bit set.
    rule_words: usize,
    /// Words of a group bit set.
    group_words: usize,
    /// By `ActionKind::index()`.
    kinds: Vec<KindFilter>,
    /// Per rule: whether it has any group (else it is always evaluated).
    filtered: Vec<bool>,
    /// Per rule: its groups after the first, cheapest first.
    more: Vec<Box<[u32]>>,
    groups: Vec<Group>,
    /// Per test id. Tests that read only request-level fields come first (`request_tests`
    /// of them): they run at most once per request, the others once per action.
    tests: Vec<Test>,
    request_tests: usize,
}

/// Per-request state of the prefilter, kept by the evaluator to avoid allocating.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// Groups satisfied by a cheap atom, for the current action.
    groups: Vec<u64>,
    /// The rules to look at for the current action (a bit per rule index).
    pub(crate) todo: Vec<u64>,
    /// Per test: 0 not run yet, 1 failed, 2 passed (request-level tests keep their state for
    /// the whole request).
    tests: Vec<u8>,
}

/// At most this many groups per rule (the cheapest): more rarely filter more.
const MAX_GROUPS: usize = 6;

/// Each rule's groups: its top-level conjuncts' necessary conditions, those decided for
/// every action first, each part cheapest first, at most [`MAX_GROUPS`] (none for a rule on
/// requests, or whose reduction went past [`MAX_STEPS`]). `data` must be validated.
fn reduce_groups(data: &PolicyData) -> Vec<Need<'_>> {
    let mut reducer = Reducer::new(data);
    let mut out = Vec::with_capacity(data.rules.len());
    for rule in &data.rules {
        if rule.on.is_none() {
            out.push(Vec::new());
            continue;
        }
        reducer.steps = 0;
        // The top-level conjuncts, nested `and`s flattened.
        let mut needs: Need<'_> = Vec::new();
        let mut stack = vec![rule.condition];
        while let Some(id) = stack.pop() {
            match data.nodes.get(id.index()) {
                Some(Node::And(items)) => stack.extend(items.iter().rev()),
                _ => needs.extend(reducer.need(id)),
            }
        }
        if reducer.steps > MAX_STEPS {
            needs.clear();
        }
        // Clauses decided for every action first (bit tests), then the ones with tests
        // run on demand; each part cheapest first.
        needs.sort_by_key(|atoms| (on_demand(atoms), score(atoms)));
        needs.dedup();
        needs.truncate(MAX_GROUPS);
        out.push(needs);
    }
    out
}

impl Prefilter {
    /// Builds the index. `data` must be validated (ids in range, children before parents).
    pub(crate) fn new(data: &PolicyData) -> Prefilter {
        Prefilter::build(data, reduce_groups(data))
    }

    /// Builds the index from a stored reduction of `data` (see [`Reduced`]), which must be
    /// validated against it ([`Reduced::validate`]).
    pub(crate) fn from_reduced(data: &PolicyData, reduced: &Reduced) -> Prefilter {
        Prefilter::build(data, reduced.groups(data))
    }

    /// Builds the index from each rule's groups as [`reduce_groups`] gives them (one entry
    /// per rule, in rule order; a rule without an entry, or on requests, has no group).
    fn build<'p>(data: &'p PolicyData, groups: Vec<Need<'p>>) -> Prefilter {
        type Bits = Vec<u64>;
        #[derive(Default)]
        struct Building<'p> {
            exact: FxHashMap<(Field, &'p str), u32>,
            arena: Bits,
            present: FxHashMap<Field, Bits>,
            enums: FxHashMap<(Field, EnumType, u128), Bits>,
            /// Eager string tests → their group set's offset in `string_groups`.
            strings: FxHashMap<(Field, Test<&'p str>), u32>,
            string_groups: Bits,
            pending: Bits,
            active: bool,
        }
        let rule_count = data.rules.len();
        let rule_words = rule_count.div_ceil(64);
        let mut building: Vec<Building<'_>> = (0..ActionKind::ALL.len())
            .map(|_| Building {
                pending: vec![0; rule_words],
                ..Building::default()
            })
            .collect();
        let mark = |bits: &mut Bits, i: usize| {
            if let Some(w) = bits.get_mut(i / 64) {
                *w |= 1u64 << (i % 64);
            }
        };
        // Group atoms by group id: the first group of each rule, then the others.
        let mut first: Vec<(usize, Clause<'_>)> = Vec::with_capacity(rule_count);
        let mut others: Vec<(usize, Clause<'_>)> = Vec::new();
        let mut more_local: Vec<Vec<usize>> = Vec::with_capacity(rule_count);
        let mut filtered = Vec::with_capacity(rule_count);
        let mut groups = groups.into_iter();
        for (index, rule) in data.rules.iter().enumerate() {
            more_local.push(Vec::new());
            let needs = groups.next().unwrap_or_default();
            let Some(kind) = rule.on else {
                first.push((usize::MAX, Rc::from([])));
                filtered.push(false);
                continue;
            };
            let k = usize::from(kind.index());
            let mut needs = needs.into_iter();
            let Some(cheapest) = needs.next() else {
                // No necessary condition: always looked at.
                if let Some(b) = building.get_mut(k) {
                    mark(&mut b.pending, index);
                }
                first.push((usize::MAX, Rc::from([])));
                filtered.push(false);
                continue;
            };
            if let Some(b) = building.get_mut(k) {
                b.active = true;
                if on_demand(&cheapest) {
                    mark(&mut b.pending, index);
                }
            }
            first.push((k, cheapest));
            filtered.push(true);
            for atoms in needs {
                if let Some(m) = more_local.last_mut() {
                    m.push(rule_count + others.len());
                }
                others.push((k, atoms));
            }
        }

        let group_count = rule_count + others.len();
        let group_words = group_count.div_ceil(64);
        let set_group = |bits: &mut [u64], group: usize| {
            if let Some(w) = bits.get_mut(group / 64) {
                *w |= 1u64 << (group % 64);
            }
        };
        let set_bit = |bits: &mut Bits, group: usize| {
            if bits.is_empty() {
                bits.resize(group_words, 0);
            }
            if let Some(w) = bits.get_mut(group / 64) {
                *w |= 1u64 << (group % 64);
            }
        };
        // Sized once for every atom of the kind (an upper bound), rather than grown.
        let mut per_kind = vec![0usize; building.len()];
        for (kind, atoms) in first.iter().chain(&others) {
            if let Some(n) = per_kind.get_mut(*kind) {
                *n += atoms.len();
            }
        }
        for (b, n) in building.iter_mut().zip(&per_kind) {
            b.exact.reserve(*n);
        }
        let mut test_ids: FxHashMap<(Field, Test<&str>), u32> = FxHashMap::default();
        let mut tests: Vec<(bool, Test)> = Vec::new();
        let mut groups = Vec::with_capacity(group_count);
        for (g, (kind, atoms)) in first.into_iter().chain(others).enumerate() {
            let mut by_field: Vec<(Field, Vec<u32>)> = Vec::new();
            let mut folded: Vec<(Field, Shape, &str, bool)> = Vec::new();
            let mut contains: Vec<(Field, &str)> = Vec::new();
            if let Some(b) = building.get_mut(kind) {
                for atom in atoms.iter().copied() {
                    match atom {
                        Atom::Test(
                            f,
                            Test::Folded {
                                shape,
                                needle,
                                trim,
                            },
                        ) => folded.push((f, shape, needle, trim)),
                        Atom::Exact(f, v) => {
                            let next = len_u32(b.arena.len() / group_words.max(1));
                            let at = *b.exact.entry((f, v)).or_insert(next);
                            if at == next {
                                b.arena.resize(b.arena.len() + group_words, 0);
                            }
                            let start = at as usize * group_words;
                            if let Some(bits) = b.arena.get_mut(start..start + group_words) {
                                set_group(bits, g);
                            }
                        }
                        Atom::Present(f) => set_bit(b.present.entry(f).or_default(), g),
                        Atom::Enum(f, t, m) => set_bit(b.enums.entry((f, t, m)).or_default(), g),
                        // A substring test scans every byte of every value: decided for
                        // every action only in a rule's first group, else on demand (when
                        // the rule's earlier groups hold).
                        Atom::Test(f, t)
                            if eager(&Atom::Test(f, t))
                                && (g < rule_count || !matches!(t, Test::Contains(_))) =>
                        {
                            let next = len_u32(b.string_groups.len());
                            let at = *b.strings.entry((f, t)).or_insert(next);
                            if at == next {
                                b.string_groups
                                    .resize(b.string_groups.len() + group_words, 0);
                            }
                            let start = at as usize;
                            if let Some(bits) = b.string_groups.get_mut(start..start + group_words)
                            {
                                set_group(bits, g);
                            }
                        }
                        // A later group's substring test on an action field: with the
                        // group's others on the same field, in one pass per value.
                        Atom::Test(f, Test::Contains(needle))
                            if eager(&Atom::Test(f, Test::Contains(needle))) =>
                        {
                            contains.push((f, needle));
                        }
                        Atom::Test(f, t) => {
                            let id = *test_ids.entry((f, t)).or_insert_with(|| {
                                let action_level = !matches!(f.def().scope, Scope::Everywhere);
                                tests.push((action_level, t.owned()));
                                len_u32(tests.len() - 1)
                            });
                            match by_field.iter_mut().find(|(g, _)| *g == f) {
                                Some((_, ids)) => ids.push(id),
                                None => by_field.push((f, vec![id])),
                            }
                        }
                    }
                }
            }
            folded.sort_unstable_by_key(|(f, ..)| *f);
            let folded = folded
                .chunk_by(|a, b| a.0 == b.0)
                .map(|chunk| {
                    let f = chunk.first().map_or(Field::ExecProgram, |c| c.0);
                    (
                        f,
                        FoldTests::new(chunk.iter().map(|(_, s, n, t)| (*s, *n, *t))),
                    )
                })
                .collect();
            contains.sort_unstable_by_key(|(f, _)| *f);
            let contains = contains
                .chunk_by(|a, b| a.0 == b.0)
                .map(|chunk| {
                    let f = chunk.first().map_or(Field::ExecProgram, |c| c.0);
                    (f, NeedleSet::containing(chunk.iter().map(|(_, n)| *n)))
                })
                .collect();
            groups.push(Group {
                folded,
                contains,
                tests: by_field
                    .into_iter()
                    .map(|(f, ids)| (f, ids.into()))
                    .collect(),
            });
        }
        let more = more_local
            .into_iter()
            .map(|m| m.into_iter().map(len_u32).collect())
            .collect();
        // Renumber the tests: request-level ones first (a stable sort keeps the order).
        let mut order: Vec<usize> = (0..tests.len()).collect();
        order.sort_by_key(|i| tests.get(*i).is_some_and(|(action_level, _)| *action_level));
        let mut renumber = vec![0u32; tests.len()];
        for (new, old) in order.iter().enumerate() {
            if let Some(r) = renumber.get_mut(*old) {
                *r = len_u32(new);
            }
        }
        for group in &mut groups {
            for (_, ids) in group.tests.iter_mut() {
                for id in ids.iter_mut() {
                    *id = renumber.get(*id as usize).copied().unwrap_or(*id);
                }
            }
        }
        let request_tests = tests
            .iter()
            .filter(|(action_level, _)| !action_level)
            .count();
        let mut tests: Vec<Option<Test>> = tests.into_iter().map(|(_, t)| Some(t)).collect();
        let tests: Vec<Test> = order
            .iter()
            .filter_map(|i| tests.get_mut(*i).and_then(Option::take))
            .collect();

        let kinds = building
            .into_iter()
            .map(|b| {
                let mut exact: Vec<(Field, FxHashMap<Box<str>, u32>)> = Vec::new();
                let mut keys: Vec<(Field, usize)> = Vec::new();
                for (f, _) in b.exact.keys() {
                    match keys.iter_mut().find(|(g, _)| g == f) {
                        Some((_, n)) => *n += 1,
                        None => keys.push((*f, 1)),
                    }
                }
                for ((f, v), at) in b.exact {
                    let at_field = match exact.iter().position(|(g, _)| *g == f) {
                        Some(i) => i,
                        None => {
                            let n = keys.iter().find(|(g, _)| *g == f).map_or(0, |(_, n)| *n);
                            exact.push((
                                f,
                                FxHashMap::with_capacity_and_hasher(n, Default::default()),
                            ));
                            exact.len() - 1
                        }
                    };
                    if let Some((_, m)) = exact.get_mut(at_field) {
                        m.insert(Box::from(v), at);
                    }
                }
                exact.sort_by_key(|(f, _)| *f);
                let mut present: Vec<_> = b
                    .present
                    .into_iter()
                    .map(|(f, bits)| (f, bits.into()))
                    .collect();
                present.sort_by_key(|(f, _)| *f);
                let mut enums: Vec<_> = b
                    .enums
                    .into_iter()
                    .map(|((f, t, m), bits)| (f, t, m, bits.into()))
                    .collect();
                enums.sort_by_key(|(f, t, m, _)| (*f, t.name(), *m));
                let mut strings: Vec<(Field, StringParts)> = Vec::new();
                for ((f, t), at) in b.strings {
                    let i = match strings.iter().position(|(g, _)| *g == f) {
                        Some(i) => i,
                        None => {
                            strings.push((f, StringParts::default()));
                            strings.len() - 1
                        }
                    };
                    if let Some((_, parts)) = strings.get_mut(i) {
                        parts.add(&t, at);
                    }
                }
                let mut fields: Vec<FieldFilter> = Vec::new();
                let at_field = |f: Field, fields: &mut Vec<FieldFilter>| match fields
                    .iter()
                    .position(|g| g.field == f)
                {
                    Some(i) => i,
                    None => {
                        fields.push(FieldFilter {
                            field: f,
                            exact: FxHashMap::default(),
                            bloom: [0; BLOOM_WORDS],
                            present: None,
                            strings: None,
                        });
                        fields.len() - 1
                    }
                };
                for (f, map) in exact {
                    let i = at_field(f, &mut fields);
                    if let Some(ff) = fields.get_mut(i) {
                        for key in map.keys() {
                            let bit = bloom_bit(key);
                            if let Some(w) = ff.bloom.get_mut(bit / 64) {
                                *w |= 1u64 << (bit % 64);
                            }
                        }
                        ff.exact = map;
                    }
                }
                for (f, bits) in present {
                    let i = at_field(f, &mut fields);
                    if let Some(ff) = fields.get_mut(i) {
                        ff.present = Some(bits);
                    }
                }
                for (f, parts) in strings {
                    let i = at_field(f, &mut fields);
                    if let Some(ff) = fields.get_mut(i) {
                        ff.strings = Some(parts.finish());
                    }
                }
                fields.sort_by_key(|ff| ff.field);
                KindFilter {
                    fields,
                    arena: b.arena.into(),
                    enums,
                    string_groups: b.string_groups.into(),
                    pending: b.pending.into(),
                    active: b.active,
                }
            })
            .collect();
        Prefilter {
            rule_words,
            group_words,
            kinds,
            filtered,
            more,
            groups,
            tests,
            request_tests,
        }
    }

    /// Sizes `scratch` for this prefilter and forgets every test state (a reused scratch may
    /// come from another policy or request).
    pub(crate) fn reset(&self, scratch: &mut Scratch) {
        for (v, n) in [
            (&mut scratch.groups, self.group_words),
            (&mut scratch.todo, self.rule_words),
        ] {
            v.clear();
            v.resize(n, 0);
        }
        scratch.tests.clear();
        scratch.tests.resize(self.tests.len(), 0);
    }

    /// A scratch space sized for this prefilter (its test states start unknown).
    #[cfg(test)]
    pub(crate) fn scratch(&self) -> Scratch {
        Scratch {
            groups: vec![0; self.group_words],
            todo: vec![0; self.rule_words],
            tests: vec![0; self.tests.len()],
        }
    }

    /// Whether `test` is among the tests run on demand (on any field; a substring test on an
    /// action field is among its group's [`NeedleSet`]s).
    #[cfg(test)]
    pub(crate) fn tests_on_demand(&self, test: &Test) -> bool {
        let in_group = |needle: &str| {
            self.groups.iter().any(|g| {
                g.contains.iter().any(|(_, c)| {
                    c.index
                        .needles
                        .iter()
                        .any(|(n, _)| &n[..] == needle.as_bytes())
                })
            })
        };
        self.tests.contains(test) || matches!(test, Test::Contains(n) if in_group(n))
    }

    /// Decides the cheap atoms of the action in `cx` (of kind `kind`), forgets the previous
    /// action's tests, and sets `scratch.todo` to the rules to look at: the ones a cheap atom
    /// admits and the pending ones (each still to be confirmed by [`Self::admits`]). `false`
    /// when no rule on `kind` is filtered: then look at every rule.
    pub(crate) fn prepare(
        &self,
        kind: ActionKind,
        cx: &Context<'_>,
        scratch: &mut Scratch,
    ) -> bool {
        let Some(filter) = self.kinds.get(usize::from(kind.index())) else {
            return false;
        };
        if !filter.active {
            return false;
        }
        let out = &mut scratch.groups[..];
        out.fill(0);
        if let Some(action_tests) = scratch.tests.get_mut(self.request_tests..) {
            action_tests.fill(0);
        }
        let or = |out: &mut [u64], bits: &[u64]| {
            for (o, b) in out.iter_mut().zip(bits) {
                *o |= *b;
            }
        };
        let w = self.group_words;
        let bits_at = |at: &u32| {
            let start = *at as usize * w;
            filter.arena.get(start..start + w).unwrap_or(&[])
        };
        let groups = &filter.string_groups;
        for ff in &filter.fields {
            let value = ff.field.get(cx);
            let present = match value {
                Value::Bool(b) => b,
                Value::Str(s) => !s.is_empty(),
                Value::StrList(l) => !l.is_empty(),
                Value::EnumList(_, l) => !l.is_empty(),
                Value::Int(_) | Value::Enum(..) => false,
            };
            if present && let Some(bits) = &ff.present {
                or(out, bits);
            }
            let one = |s: &str, out: &mut [u64]| {
                let bit = bloom_bit(s);
                if ff
                    .bloom
                    .get(bit / 64)
                    .is_some_and(|w| (w >> (bit % 64)) & 1 == 1)
                    && let Some(at) = ff.exact.get(s)
                {
                    or(out, bits_at(at));
                }
                if let Some(tests) = &ff.strings {
                    tests.run(s.as_bytes(), groups, w, out);
                }
            };
            match value {
                Value::Str(s) => one(s, out),
                Value::StrList(list) => {
                    for s in list {
                        one(s, out);
                    }
                }
                _ => {}
            }
        }
        for (field, ty, mask, bits) in &filter.enums {
            let hit = |t: EnumType, i: u16| t == *ty && i < 128 && (mask >> i) & 1 == 1;
            let passed = match field.get(cx) {
                Value::Enum(t, i) => hit(t, i),
                Value::EnumList(t, l) => l.iter().any(|i| hit(t, *i)),
                _ => false,
            };
            if passed {
                or(out, bits);
            }
        }
        // Group `i` < rule count is rule `i`'s first group.
        for (i, todo) in scratch.todo.iter_mut().enumerate() {
            *todo = scratch.groups.get(i).copied().unwrap_or(0)
                | filter.pending.get(i).copied().unwrap_or(0);
        }
        if let Some(last) = scratch.todo.last_mut() {
            let tail = self.filtered.len() % 64;
            if tail != 0 {
                *last &= (1u64 << tail) - 1;
            }
        }
        true
    }

    /// Whether rule `index` (a bit of `scratch.todo`) may match the action [`Self::prepare`]
    /// was last given: every one of its groups is satisfied (each test runs at most once per
    /// action, or per request for request-level fields).
    pub(crate) fn admits(
        &self,
        policy: &Policy,
        index: usize,
        cx: &Context<'_>,
        scratch: &mut Scratch,
    ) -> bool {
        if !self.filtered.get(index).copied().unwrap_or(false) {
            return true;
        }
        let more = self.more.get(index).map_or(&[][..], |m| &m[..]);
        std::iter::once(index)
            .chain(more.iter().map(|g| *g as usize))
            .all(|g| self.satisfied(policy, g, cx, scratch))
    }

    fn satisfied(
        &self,
        policy: &Policy,
        g: usize,
        cx: &Context<'_>,
        scratch: &mut Scratch,
    ) -> bool {
        if scratch
            .groups
            .get(g / 64)
            .is_some_and(|w| (w >> (g % 64)) & 1 == 1)
        {
            return true;
        }
        let Some(group) = self.groups.get(g) else {
            return true;
        };
        // Whether a string value of `field`, or one of its list's, passes `test`.
        let any_value = |field: &Field, test: &dyn Fn(&str) -> bool| match field.get(cx) {
            Value::Str(s) => test(s),
            Value::StrList(l) => l.iter().any(|s| test(s)),
            _ => false,
        };
        if group
            .folded
            .iter()
            .any(|(f, t)| any_value(f, &|s| t.any(s)))
            || group
                .contains
                .iter()
                .any(|(f, n)| any_value(f, &|s| n.any_inside(s)))
        {
            return true;
        }
        for (field, ids) in group.tests.iter() {
            let value = field.get(cx);
            match value {
                Value::Str(_) => {}
                Value::StrList(l) if !l.is_empty() => {}
                // No value: none of this field's tests can pass.
                _ => continue,
            }
            for id in ids.iter() {
                let id = *id as usize;
                let passed = match scratch.tests.get(id) {
                    Some(1) => false,
                    Some(2) => true,
                    _ => {
                        let Some(test) = self.tests.get(id) else {
                            return true;
                        };
                        let passed = match value {
                            Value::Str(s) => run(policy, test, s),
                            Value::StrList(l) => l.iter().any(|s| run(policy, test, s)),
                            _ => false,
                        };
                        if let Some(slot) = scratch.tests.get_mut(id) {
                            *slot = 1 + u8::from(passed);
                        }
                        passed
                    }
                };
                if passed {
                    return true;
                }
            }
        }
        false
    }
}

/// [`StringTests`] while it is built.
#[derive(Default)]
struct StringParts {
    always: Vec<u32>,
    prefix: Vec<(u8, Box<[u8]>, u32)>,
    suffix: Vec<(u8, Box<[u8]>, u32)>,
    contains: Vec<(u8, Box<[u8]>, u32)>,
}

impl StringParts {
    fn add(&mut self, test: &Test<&str>, at: u32) {
        let (list, needle, key) = match test {
            Test::Prefix(n) => (&mut self.prefix, *n, n.as_bytes().first()),
            Test::Suffix(n) => (&mut self.suffix, *n, n.as_bytes().last()),
            Test::Contains(n) => (&mut self.contains, *n, n.as_bytes().first()),
            Test::Pattern(_) | Test::Folded { .. } => return,
        };
        match key {
            Some(key) => list.push((*key, Box::from(needle.as_bytes()), at)),
            None => self.always.push(at),
        }
    }

    fn finish(mut self) -> StringTests {
        self.always.sort_unstable();
        StringTests {
            always: self.always,
            prefix: ByteIndex::new(self.prefix),
            suffix: ByteIndex::new(self.suffix),
            contains: ByteIndex::new(self.contains),
        }
    }
}

/// `any d in SET: starts_with(x, d)` (or `ends_with`, `contains`) for a constant set of
/// strings, decided by looking only at the needles that can match at each position (keyed by
/// their first byte, or last for suffixes) rather than at every item of the set. Built once
/// with the plan; [`Self::any`] agrees with testing every item (`needle_sets_agree_with_a_scan`).
#[derive(Debug, Clone)]
pub(crate) struct NeedleSet {
    builtin: Builtin,
    /// The set has the empty string, which every string starts with, ends with and contains.
    empty: bool,
    index: ByteIndex,
}

impl NeedleSet {
    /// `None` unless `builtin` is `starts_with`, `ends_with` or `contains`.
    pub(crate) fn new<'s>(
        builtin: Builtin,
        needles: impl IntoIterator<Item = &'s str>,
    ) -> Option<NeedleSet> {
        let by_last = match builtin {
            Builtin::StartsWith | Builtin::Contains => false,
            Builtin::EndsWith => true,
            _ => return None,
        };
        Some(NeedleSet::keyed(builtin, by_last, needles))
    }

    /// `contains(x, d)` for any needle `d`.
    pub(crate) fn containing<'s>(needles: impl IntoIterator<Item = &'s str>) -> NeedleSet {
        NeedleSet::keyed(Builtin::Contains, false, needles)
    }

    fn keyed<'s>(
        builtin: Builtin,
        by_last: bool,
        needles: impl IntoIterator<Item = &'s str>,
    ) -> NeedleSet {
        let mut empty = false;
        let mut keyed = Vec::new();
        for needle in needles {
            let bytes = needle.as_bytes();
            match if by_last { bytes.last() } else { bytes.first() } {
                Some(key) => keyed.push((*key, Box::from(bytes), 0)),
                None => empty = true,
            }
        }
        NeedleSet {
            builtin,
            empty,
            index: ByteIndex::new(keyed),
        }
    }

    /// The test: `starts_with`, `ends_with` or `contains`.
    pub(crate) fn builtin(&self) -> Builtin {
        self.builtin
    }

    /// Whether `x` starts with (ends with, contains) one of the needles.
    #[inline]
    pub(crate) fn any(&self, x: &str) -> bool {
        if self.empty {
            return true;
        }
        let x = x.as_bytes();
        match self.builtin {
            Builtin::StartsWith => x
                .first()
                .is_some_and(|b| self.index.get(*b).iter().any(|(n, _)| starts_with(x, n))),
            Builtin::EndsWith => x
                .last()
                .is_some_and(|b| self.index.get(*b).iter().any(|(n, _)| x.ends_with(n))),
            _ => self.inside(x),
        }
    }

    /// Whether `x` contains one of the needles, for a set built by [`Self::containing`].
    #[inline]
    pub(crate) fn any_inside(&self, x: &str) -> bool {
        self.empty || self.inside(x.as_bytes())
    }

    #[inline]
    fn inside(&self, x: &[u8]) -> bool {
        x.iter().enumerate().any(|(i, b)| {
            let candidates = self.index.get(*b);
            !candidates.is_empty() && {
                let rest = x.get(i..).unwrap_or(&[]);
                candidates.iter().any(|(n, _)| starts_with(rest, n))
            }
        })
    }
}

/// `value.starts_with(needle)` for a needle already known to share its first byte, with the
/// second byte compared inline first (most candidates differ there; a full comparison is a
/// library call).
#[inline]
fn starts_with(value: &[u8], needle: &[u8]) -> bool {
    match needle.get(1) {
        Some(second) => value.get(1) == Some(second) && value.starts_with(needle),
        None => !value.is_empty(),
    }
}

/// For a regex anchored at the start of the text (`^` or `\A`, not `(?m)^`): the literals
/// every match starts with, from `regex-syntax`'s literal extractor (its prefix sequence:
/// when finite, every match begins with one of its literals). A subject starting with none
/// of them cannot match, and checking that is much cheaper than running the regex (most
/// of whose cost on the short strings of commands is per call). Built when the regex is
/// compiled (on first use).
#[derive(Debug, Clone)]
pub struct LiteralScreen {
    literals: Box<[Box<[u8]>]>,
}

/// More literals than this (say, from `(?i)`): no screen, the regex is run as is.
const MAX_SCREEN_LITERALS: usize = 16;

impl LiteralScreen {
    /// The screen of a regex (`regex`'s syntax and defaults), `None` when it would not help:
    /// the regex does not parse, is not anchored at the start, or its prefixes are
    /// unbounded, too many, or include `""`.
    pub(crate) fn of_regex(pattern: &str) -> Option<Box<LiteralScreen>> {
        use regex_syntax::hir::Look;
        use regex_syntax::hir::literal::Extractor;
        let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
        // Unanchored, the regex's own prefilter (memchr, Teddy) searches for the literals
        // faster than a scan per literal here: only a regex anchored at the start of the
        // text, whose screen is a few prefix comparisons, is screened.
        if !hir.properties().look_set_prefix().contains(Look::Start) {
            return None;
        }
        let seq = Extractor::new().extract(&hir);
        let literals = seq.literals()?;
        if literals.is_empty()
            || literals.len() > MAX_SCREEN_LITERALS
            || literals.iter().any(|l| l.as_bytes().is_empty())
        {
            return None;
        }
        Some(Box::new(LiteralScreen {
            literals: literals.iter().map(|l| Box::from(l.as_bytes())).collect(),
        }))
    }

    /// `false` only when no match of the regex can be in `text`.
    #[inline]
    pub(crate) fn admits(&self, text: &[u8]) -> bool {
        self.literals.iter().any(|l| text.starts_with(l))
    }
}

/// Runs one test on one string.
fn run(policy: &Policy, test: &Test, s: &str) -> bool {
    match test {
        Test::Prefix(p) => s.starts_with(&**p),
        Test::Suffix(p) => s.ends_with(&**p),
        Test::Contains(p) => contains(s, p),
        // A pattern that does not compile admits the rule, so that evaluating it reports
        // the error (fail closed).
        Test::Pattern(id) => policy.matcher(*id).is_none_or(|m| m.is_match(s)),
        Test::Folded {
            shape,
            needle,
            trim,
        } => folded(*shape, needle, *trim, s),
    }
}

/// One [`Test::Folded`] on one string, plainly (the reference for [`FoldTests::any`]).
fn folded(shape: Shape, needle: &str, trim: bool, s: &str) -> bool {
    if !s.is_ascii() {
        return true;
    }
    let x = if trim { s.trim_end_matches('/') } else { s }.to_ascii_lowercase();
    let n = needle.to_ascii_lowercase();
    match shape {
        Shape::Eq => x == n,
        Shape::Prefix => x.starts_with(&n),
        Shape::Suffix => x.ends_with(&n),
        Shape::Contains => x.contains(&n),
    }
}

/// `haystack.contains(needle)`, for the short strings of commands: a scan for the first byte,
/// without the setup of a general substring search.
fn contains(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some((first, rest)) = n.split_first() else {
        return true;
    };
    let Some(last_start) = h.len().checked_sub(n.len()) else {
        return false;
    };
    h.iter()
        .take(last_start + 1)
        .enumerate()
        .any(|(i, b)| b == first && h.get(i + 1..).is_some_and(|t| t.starts_with(rest)))
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

struct Reducer<'p> {
    data: &'p PolicyData,
    env: [Binding<'p>; MAX_LOCALS],
    steps: usize,
    /// Per node: whether it reads no quantifier variable it does not bind (then its
    /// necessary condition does not depend on `env`) and has several parents: then it is
    /// memoised (shared defs such as `config.protected` are reduced once).
    closed: Vec<bool>,
    memo: Vec<Option<Need<'p>>>,
    /// Whether `any x in SET: leaf` takes [`Self::union_over`] (off only to test it).
    union_leaves: bool,
    #[cfg(test)]
    used_union: usize,
}

impl<'p> Reducer<'p> {
    fn new(data: &'p PolicyData) -> Reducer<'p> {
        let bit = |slot: u16| 1u32.checked_shl(u32::from(slot)).unwrap_or(0);
        let mut free = vec![0u32; data.nodes.len()];
        // A closed node with one parent, itself closed, is reduced at most as often as that
        // parent: only shared nodes and those under an open parent (reduced once per binding,
        // e.g. per item of a constant set) are worth remembering (2 counts as shared).
        let mut uses = vec![0u8; data.nodes.len()];
        for node in &data.nodes {
            for c in node.children() {
                if let Some(u) = uses.get_mut(c.index()) {
                    *u = u.saturating_add(1);
                }
            }
        }
        for rule in &data.rules {
            if let Some(u) = uses.get_mut(rule.condition.index()) {
                *u = u.saturating_add(1);
            }
        }
        for (i, node) in data.nodes.iter().enumerate() {
            let of = |id: ExprId| free.get(id.index()).copied().unwrap_or(u32::MAX);
            let f = match node {
                Node::Local(slot) => bit(*slot),
                Node::Quantified {
                    slot, over, body, ..
                } => of(*over) | (of(*body) & !bit(*slot)),
                _ => node.children().fold(0, |f, c| f | of(c)),
            };
            if let Some(x) = free.get_mut(i) {
                *x = f;
            }
        }
        for (node, f) in data.nodes.iter().zip(&free) {
            if *f != 0 {
                for c in node.children() {
                    if let Some(u) = uses.get_mut(c.index()) {
                        *u = 2;
                    }
                }
            }
        }
        Reducer {
            data,
            env: [Binding::Unknown; MAX_LOCALS],
            steps: 0,
            closed: free
                .iter()
                .zip(&uses)
                .map(|(f, u)| *f == 0 && *u > 1)
                .collect(),
            memo: vec![None; data.nodes.len()],
            union_leaves: true,
            #[cfg(test)]
            used_union: 0,
        }
    }

    fn node(&self, id: ExprId) -> Option<&'p Node> {
        self.data.nodes.get(id.index())
    }

    fn string(&self, id: crate::ir::StrId) -> Option<&'p str> {
        self.data.strings.get(id.index())
    }

    fn operand(&self, id: ExprId) -> Operand<'p> {
        match self.node(id) {
            Some(Node::Field(f)) => Operand::Field(*f),
            Some(Node::Str(s)) => self.string(*s).map_or(Operand::Other, Operand::Const),
            Some(Node::Local(slot)) => match self.env.get(usize::from(*slot)) {
                Some(Binding::Element(f)) => Operand::Field(*f),
                Some(Binding::Const(c)) => Operand::Const(c),
                _ => Operand::Other,
            },
            Some(Node::Call {
                builtin: builtin @ (Builtin::Lower | Builtin::Basename),
                args,
            }) => {
                let (lower, basename) = (
                    matches!(builtin, Builtin::Lower),
                    matches!(builtin, Builtin::Basename),
                );
                let [arg] = args.as_slice() else {
                    return Operand::Other;
                };
                // Only on string values: of anything else the view is `""`, which the atoms
                // on the field's values would not see. Not `lower` of a request-level field
                // (`lower(target.env)`): its folded tests would run again for every action
                // (they are not kept per request) and rarely rule anything out.
                let request_level = |f: Field| lower && matches!(f.def().scope, Scope::Everywhere);
                match self.operand(*arg) {
                    Operand::Field(field) | Operand::View { field, .. } if request_level(field) => {
                        Operand::Other
                    }
                    Operand::Field(field) if self.string_valued(*arg, field) => Operand::View {
                        field,
                        lower,
                        basename,
                    },
                    Operand::View {
                        field,
                        lower: l,
                        basename: b,
                    } => Operand::View {
                        field,
                        lower: lower || l,
                        basename: basename || b,
                    },
                    _ => Operand::Other,
                }
            }
            _ => Operand::Other,
        }
    }

    /// Whether operand `id`, read as `field`'s value(s) by [`Self::operand`], is a string: a
    /// string field, or a variable bound to the values of a string list field.
    fn string_valued(&self, id: ExprId, field: Field) -> bool {
        use guard_model::schema::{Scalar, Type};
        matches!(
            (self.node(id), field.def().ty),
            (Some(Node::Field(_)), Type::Scalar(Scalar::Str))
                | (
                    Some(Node::Local(_)),
                    Type::List(Scalar::Str) | Type::Set(Scalar::Str)
                )
        )
    }

    /// The necessary conditions of node `id` being true (see the module docs), memoised for
    /// closed nodes.
    fn need(&mut self, id: ExprId) -> Need<'p> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Vec::new();
        }
        let closed = self.closed.get(id.index()).copied().unwrap_or(false);
        if closed && let Some(Some(known)) = self.memo.get(id.index()) {
            return known.clone();
        }
        let need = self.reduce(id);
        if closed
            && self.steps <= MAX_STEPS
            && let Some(slot) = self.memo.get_mut(id.index())
        {
            *slot = Some(need.clone());
        }
        need
    }

    fn reduce(&mut self, id: ExprId) -> Need<'p> {
        let Some(node) = self.node(id) else {
            return Vec::new();
        };
        match node {
            // Every operand's conditions are necessary.
            // Every operand's conditions are necessary: keep each operand's cheapest, then
            // each one's next, so that every operand is represented (the cheapest clause of
            // `overwrites and basename(p) in HISTORY` is about the program, the selective
            // one about the path).
            Node::And(items) => {
                let parts: Vec<Need<'p>> = items.iter().map(|item| self.need(*item)).collect();
                let mut all: Vec<&Clause<'p>> = Vec::new();
                for i in 0..MAX_CLAUSES {
                    let start = all.len();
                    all.extend(parts.iter().filter_map(|part| part.get(i)));
                    if let Some(row) = all.get_mut(start..) {
                        row.sort_by_key(|c| score(c));
                    }
                }
                let mut unique: Need<'p> = Vec::with_capacity(MAX_CLAUSES);
                for clause in all {
                    if unique.len() < MAX_CLAUSES && !unique.contains(clause) {
                        unique.push(Rc::clone(clause));
                    }
                }
                unique
            }
            Node::Or(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    let need = self.need(*item);
                    if need.is_empty() {
                        return Vec::new();
                    }
                    parts.push(need);
                }
                combine(parts)
            }
            Node::Quantified {
                quantifier: Quantifier::Any,
                slot,
                over,
                body,
            } => {
                let slot = usize::from(*slot);
                let Some(saved) = self.env.get(slot).copied() else {
                    return Vec::new();
                };
                let need = match self.node(*over) {
                    Some(Node::Field(f)) => {
                        if let Some(b) = self.env.get_mut(slot) {
                            *b = Binding::Element(*f);
                        }
                        let need = self.need(*body);
                        if need.is_empty() {
                            vec![Rc::from([Atom::Present(*f)])]
                        } else {
                            need
                        }
                    }
                    // The `or` of the body over the set's items.
                    Some(Node::Set(set)) => match self.data.sets.get(set.index()) {
                        Some(SetData::Str(items))
                            if self.union_leaves && self.node(*body).is_some_and(leaf) =>
                        {
                            self.union_over(slot, items, *body)
                        }
                        Some(SetData::Str(items)) => {
                            let mut parts = Vec::with_capacity(items.len());
                            for s in items {
                                let Some(text) = self.string(*s) else {
                                    parts.clear();
                                    break;
                                };
                                if let Some(b) = self.env.get_mut(slot) {
                                    *b = Binding::Const(text);
                                }
                                let need = self.need(*body);
                                if need.is_empty() {
                                    parts.clear();
                                    break;
                                }
                                parts.push(need);
                            }
                            if parts.len() == items.len() {
                                combine(parts)
                            } else {
                                Vec::new()
                            }
                        }
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                if let Some(b) = self.env.get_mut(slot) {
                    *b = saved;
                }
                need
            }
            _ => match self.atoms(node) {
                Some(atoms) if atoms.len() <= MAX_ATOMS => vec![Rc::from(atoms)],
                _ => Vec::new(),
            },
        }
    }

    /// `any x in SET: body` for a leaf `body` (see [`leaf`]): what [`combine`] makes of the
    /// body's one clause per item (their union), without a clause per item.
    fn union_over(&mut self, slot: usize, items: &[crate::ir::StrId], body: ExprId) -> Need<'p> {
        let Some(node) = self.node(body) else {
            return Vec::new();
        };
        #[cfg(test)]
        {
            self.used_union += 1;
        }
        let mut clause = Vec::new();
        for s in items {
            self.steps += 1;
            let Some(text) = self.string(*s) else {
                return Vec::new();
            };
            if let Some(b) = self.env.get_mut(slot) {
                *b = Binding::Const(text);
            }
            match self.atoms(node) {
                Some(atoms) if self.steps <= MAX_STEPS => clause.extend(atoms),
                _ => return Vec::new(),
            }
            if clause.len() > MAX_ATOMS {
                return Vec::new();
            }
        }
        vec![Rc::from(clause)]
    }

    /// One atom per item of a string set (`None` past [`MAX_ATOMS`] or for a bad id), in
    /// one allocation.
    fn each(
        &self,
        items: &[crate::ir::StrId],
        atom: impl Fn(&'p str) -> Atom<'p>,
    ) -> Option<Vec<Atom<'p>>> {
        if items.len() > MAX_ATOMS {
            return None;
        }
        let mut atoms = Vec::with_capacity(items.len());
        for s in items {
            atoms.push(atom(self.string(*s)?));
        }
        Some(atoms)
    }

    /// The one clause of a leaf condition (see the module docs), `None` when there is none.
    fn atoms(&self, node: &'p Node) -> Option<Vec<Atom<'p>>> {
        match node {
            Node::Bool(true) => None,
            Node::Bool(false) => Some(Vec::new()),
            Node::Field(f) => Some(vec![Atom::Present(*f)]),
            Node::In {
                item,
                collection,
                negated: false,
            } => match (self.operand(*item), self.node(*collection)?) {
                (Operand::Field(f), Node::Set(set)) => match self.data.sets.get(set.index())? {
                    SetData::Str(items) => self.each(items, |s| Atom::Exact(f, s)),
                    SetData::Enum(ty, items) => {
                        let mask = items
                            .iter()
                            .filter(|v| v.index < 128)
                            .fold(0u128, |m, v| m | (1u128 << v.index));
                        Some(vec![Atom::Enum(f, *ty, mask)])
                    }
                    SetData::Int(_) => None,
                },
                (Operand::Const(c), Node::Field(f)) => Some(vec![Atom::Exact(*f, c)]),
                (
                    Operand::View {
                        field,
                        lower,
                        basename,
                    },
                    Node::Set(set),
                ) => match self.data.sets.get(set.index())? {
                    SetData::Str(items) => {
                        self.each(items, |s| view_atom(field, lower, basename, Shape::Eq, s))
                    }
                    _ => None,
                },
                _ => None,
            },
            Node::Compare {
                op: CmpOp::Eq,
                lhs,
                rhs,
            } => match (self.operand(*lhs), self.operand(*rhs)) {
                (Operand::Field(f), Operand::Const(c)) | (Operand::Const(c), Operand::Field(f)) => {
                    Some(vec![Atom::Exact(f, c)])
                }
                (
                    Operand::View {
                        field,
                        lower,
                        basename,
                    },
                    Operand::Const(c),
                )
                | (
                    Operand::Const(c),
                    Operand::View {
                        field,
                        lower,
                        basename,
                    },
                ) => Some(vec![view_atom(field, lower, basename, Shape::Eq, c)]),
                _ => match (self.node(*lhs)?, self.node(*rhs)?) {
                    (Node::Field(f), Node::Enum(e)) | (Node::Enum(e), Node::Field(f))
                        if e.index < 128 =>
                    {
                        Some(vec![Atom::Enum(*f, e.ty, 1u128 << e.index)])
                    }
                    _ => None,
                },
            },
            // `len(F) > k` (k ≥ 0), `len(F) >= k` (k ≥ 1), and the mirrored forms.
            Node::Compare { op, lhs, rhs } => {
                let (len_of, bound, op) = match (self.node(*lhs)?, self.node(*rhs)?) {
                    (
                        Node::Call {
                            builtin: Builtin::Len,
                            args,
                        },
                        Node::Int(k),
                    ) => (args, *k, *op),
                    (
                        Node::Int(k),
                        Node::Call {
                            builtin: Builtin::Len,
                            args,
                        },
                    ) => {
                        let mirrored = match op {
                            CmpOp::Lt => CmpOp::Gt,
                            CmpOp::Le => CmpOp::Ge,
                            _ => return None,
                        };
                        (args, *k, mirrored)
                    }
                    _ => return None,
                };
                let positive = match op {
                    CmpOp::Gt => bound >= 0,
                    CmpOp::Ge => bound >= 1,
                    _ => false,
                };
                match (positive, len_of.as_slice()) {
                    (true, [arg]) => match self.node(*arg)? {
                        Node::Field(f) => Some(vec![Atom::Present(*f)]),
                        _ => None,
                    },
                    _ => None,
                }
            }
            Node::Call {
                builtin: builtin @ (Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains),
                args,
            } => match args.as_slice() {
                [subject, arg] => match (self.operand(*subject), self.operand(*arg)) {
                    (Operand::Field(f), Operand::Const(c)) => {
                        let test = match builtin {
                            Builtin::StartsWith => Test::Prefix(c),
                            Builtin::EndsWith => Test::Suffix(c),
                            _ => Test::Contains(c),
                        };
                        Some(vec![Atom::Test(f, test)])
                    }
                    (
                        Operand::View {
                            field,
                            lower,
                            basename,
                        },
                        Operand::Const(c),
                    ) => {
                        let shape = match builtin {
                            Builtin::StartsWith => Shape::Prefix,
                            Builtin::EndsWith => Shape::Suffix,
                            _ => Shape::Contains,
                        };
                        Some(vec![view_atom(field, lower, basename, shape, c)])
                    }
                    _ => None,
                },
                _ => None,
            },
            Node::Matches { subject, pattern } => match self.operand(*subject) {
                // A glob that is a plain string test is that test (`Pattern::compile`).
                Operand::Field(f) => Some(vec![match self.data.patterns.get(pattern.index())? {
                    Pattern::Glob(text) => match simple_glob_parts(text) {
                        Some((GlobShape::Literal, t)) => Atom::Exact(f, t),
                        Some((GlobShape::Prefix, t)) => Atom::Test(f, Test::Prefix(t)),
                        Some((GlobShape::Suffix, t)) => Atom::Test(f, Test::Suffix(t)),
                        Some((GlobShape::Contains, t)) => Atom::Test(f, Test::Contains(t)),
                        None => Atom::Test(f, Test::Pattern(*pattern)),
                    },
                    Pattern::Regex(_) => Atom::Test(f, Test::Pattern(*pattern)),
                }]),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// `any d in SET: leaf` reduced in one pass ([`super::Reducer::union_over`]) gives what
    /// reducing the body once per item and combining the results gives, on every node.
    #[test]
    fn union_over_a_set_agrees_with_combining_items() {
        use super::Reducer;
        let policy = crate::test_support::standard_like_policy();
        let data = policy.data();
        let mut fast = Reducer::new(data);
        let mut slow = Reducer::new(data);
        slow.union_leaves = false;
        let mut selective = 0;
        for i in 0..data.nodes.len() {
            let id = crate::ir::ExprId(u32::try_from(i).unwrap());
            (fast.steps, slow.steps) = (0, 0);
            let need = fast.need(id);
            assert_eq!(need, slow.need(id), "node {i}");
            selective += usize::from(need.iter().any(|c| c.len() >= 3));
        }
        assert!(fast.used_union > 0 && selective > 0);
    }

    /// Regexes of the shapes the shipped library uses, and a few the screen must refuse.
    const SCREENED: &[&str] = &[
        r"^/var/lib/[^/]+/?$",
        r"^-{1,2}force$",
        r"^(/usr)?/s?bin/|^\./",
        r"(?i)^\s*curl",
        r"^\u{e9}x|^tcp",
        r"^x*y",
        r"(?i)\.(deletemany|remove|updatemany|drop)\s*\(\s*(\{\s*\})?\s*[,)]",
        r"(?i)curl",
        r"(?m)^foo",
        r"foo$",
        r"\bapp",
        r"(^|/)lib",
        r"x*",
        r"\A-rf|--force\z",
        r"\u{e9}+x|tcp",
        r"[^a]pp",
    ];

    /// The screen is built where it helps and refused where it cannot be exact.
    #[test]
    fn literal_screens_are_built_only_when_sound() {
        use super::LiteralScreen;
        let screen = LiteralScreen::of_regex(r"^/var/lib/[^/]+/?$").unwrap();
        assert!(screen.admits(b"/var/lib/app") && !screen.admits(b"x/var/lib/app"));
        assert!(LiteralScreen::of_regex(r"\A-rf|--force\z").is_none());
        // Not anchored at the start of the text (`(?m)^` is any line's start).
        assert!(LiteralScreen::of_regex("(?m)^foo").is_none());
        assert!(LiteralScreen::of_regex("foo").is_none());
        // `^x*` matches the empty string; `^[^a]pp` has too many prefixes.
        assert!(LiteralScreen::of_regex("^x*").is_none());
        assert!(LiteralScreen::of_regex("^[^a]pp").is_none());
        assert!(LiteralScreen::of_regex("(").is_none());
        let built = SCREENED
            .iter()
            .filter(|p| LiteralScreen::of_regex(p).is_some())
            .count();
        assert!(built >= 3, "{built}");
    }

    /// What `lower` and `basename` do in the evaluator (`eval.rs`), for checking the atoms
    /// the reduction reads through them.
    fn lower(s: &str) -> String {
        s.to_lowercase()
    }

    fn basename(s: &str) -> &str {
        let trimmed = s.trim_end_matches('/');
        if trimmed.is_empty() {
            return if s.is_empty() { "" } else { "/" };
        }
        trimmed.rsplit('/').next().unwrap_or(trimmed)
    }

    const SHAPES: [super::Shape; 4] = [
        super::Shape::Eq,
        super::Shape::Prefix,
        super::Shape::Suffix,
        super::Shape::Contains,
    ];

    proptest! {
        /// Soundness of [`super::view_atom`]: whenever `view(x)` equals (starts with, ends
        /// with, contains) the needle, the atom it yields holds of `x`; on values with case
        /// differences, non-ASCII text (the Kelvin sign lowercases to `k`, `İ` to two
        /// characters), trailing `/`s, empty needles and needles equal to the whole value.
        #[test]
        fn view_atoms_hold_whenever_the_view_does(
            x in "[aAkK/.\u{e9}\u{c9}\u{212a}\u{130}i]{0,8}",
            needle in "[aAkK/.\u{e9}i]{0,4}",
            whole in any::<bool>(),
            lower_it in any::<bool>(),
            base_it in any::<bool>(),
        ) {
            use super::{Atom, Shape, Test, view_atom};
            let f = guard_model::Field::ExecPaths;
            let mut view = x.clone();
            if base_it {
                view = basename(&view).to_string();
            }
            if lower_it {
                view = lower(&view);
            }
            // A needle taken from the view itself half the time, so that the tests hold.
            let needle = if whole { view.clone() } else { needle };
            for shape in SHAPES {
                let holds = match shape {
                    Shape::Eq => view == needle,
                    Shape::Prefix => view.starts_with(&needle),
                    Shape::Suffix => view.ends_with(&needle),
                    Shape::Contains => view.contains(&needle),
                };
                if !holds || !(lower_it || base_it) {
                    continue;
                }
                let atom = view_atom(f, lower_it, base_it, shape, &needle);
                let passes = match atom {
                    Atom::Test(_, Test::Contains(n)) => x.contains(n),
                    Atom::Test(_, Test::Folded { shape, needle, trim }) => {
                        super::folded(shape, needle, trim, &x)
                            && super::FoldTests::new([(shape, needle, trim)]).any(&x)
                    }
                    other => panic!("{other:?}"),
                };
                prop_assert!(passes, "{:?} of {:?} ({:?}) {:?} {:?}", atom, x, view, shape, needle);
            }
        }

        /// [`super::FoldTests`] (indexed by byte) agrees with running each of its tests.
        #[test]
        fn folded_tests_agree_with_each_test(
            x in "[aAbB/.\u{e9}]{0,8}",
            tests in prop::collection::vec((0..4usize, "[aAbB/.\u{e9}]{0,3}", any::<bool>()), 1..6),
        ) {
            let tests: Vec<(super::Shape, String, bool)> = tests
                .into_iter()
                .map(|(s, n, t)| (SHAPES[s], n, t && SHAPES[s] == super::Shape::Suffix))
                .collect();
            let set = super::FoldTests::new(tests.iter().map(|(s, n, t)| (*s, n.as_str(), *t)));
            let each = tests.iter().any(|(s, n, t)| super::folded(*s, n, *t, &x));
            prop_assert_eq!(set.any(&x), each, "{:?}", tests);
        }
    }

    proptest! {
        #[test]
        fn contains_agrees_with_str_contains(h in "[a/b\u{e9}]{0,12}", n in "[a/b\u{e9}]{0,4}") {
            prop_assert_eq!(super::contains(&h, &n), h.contains(n.as_str()));
        }

        /// A regex screened by its literals ([`super::LiteralScreen`]) matches exactly what
        /// the plain regex matches, on subjects built to hit and miss the literals.
        #[test]
        fn screened_regexes_agree_with_plain_ones(
            parts in prop::collection::vec(prop::sample::select(&[
                "/var/lib/", "app", "/", "-", "--force", "force", "x", "\u{e9}", "curl", "CURL",
                "| sh", " ", ".deleteMany(", "({})", "\n", "foo", "-rf", "/var/lib", "tcp",
            ][..]), 0..5),
        ) {
            let text: String = parts.concat();
            for pattern in SCREENED {
                let plain = regex::Regex::new(pattern).unwrap();
                let matcher = crate::ir::Pattern::Regex((*pattern).to_string()).compile().unwrap();
                prop_assert_eq!(matcher.is_match(&text), plain.is_match(&text), "{} on {:?}", pattern, text);
            }
        }

        /// The indexed needle sets give what testing every item gives.
        #[test]
        fn needle_sets_agree_with_a_scan(
            x in "[a/b.\u{e9}]{0,10}",
            needles in prop::collection::vec("[a/b.\u{e9}]{0,4}", 0..8),
        ) {
            use guard_model::Builtin;
            for builtin in [Builtin::StartsWith, Builtin::EndsWith, Builtin::Contains] {
                let set = super::NeedleSet::new(builtin, needles.iter().map(String::as_str)).unwrap();
                let scan = needles.iter().any(|n| match builtin {
                    Builtin::StartsWith => x.starts_with(n.as_str()),
                    Builtin::EndsWith => x.ends_with(n.as_str()),
                    _ => x.contains(n.as_str()),
                });
                prop_assert_eq!(set.any(&x), scan, "{:?}", builtin);
            }
            let inside = super::NeedleSet::containing(needles.iter().map(String::as_str));
            prop_assert_eq!(inside.any_inside(&x), needles.iter().any(|n| x.contains(n.as_str())));
        }
    }
}
