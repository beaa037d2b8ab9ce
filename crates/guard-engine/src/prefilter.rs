//! The rule prefilter: which rules can possibly match an action, decided once per action from
//! cheap facts about it, before any rule is interpreted.
//!
//! Built with the plan (on first evaluation): each top-level conjunct of a rule's condition
//! is reduced to a *necessary condition*, a set of atoms at least one of which is true
//! whenever the conjunct is (a disjunction implied by it); a rule keeps up to six of these
//! *groups*, cheapest first. Atoms
//! are facts about one field of the action: "a value of `exec.args` is `--force`" (exact),
//! "`exec.reads` is not empty" (present), "`stmt.kind` is `drop` or `truncate`" (enum), "a
//! value of `exec.paths` starts with `/etc/`" (test). The reduction:
//! - `and`: the necessary condition of one operand (the cheapest and most selective);
//! - `or`: the union of its operands' (unusable when one of them has none);
//! - `any x in FIELD: body`: the body's, with atoms on `x` read as atoms on `FIELD`'s values,
//!   else "`FIELD` is not empty"; `any d in CONST_SET: body`: the union over the set's items;
//! - `x in SET`, `x == "c"`, `"c" in FIELD`, `starts_with(x, "c")` (also `ends_with`,
//!   `contains`), `x matches P`, `len(FIELD) > 0`, a boolean field, `x in ENUM_SET`: an atom;
//! - anything else (`not`, `all`, calls such as `lower`): none.
//!
//! Per action, exact, present and enum atoms are decided at once (one hash lookup per field
//! value, a bit per group), which leaves the rules whose first group holds plus the rules whose
//! first group has string tests; for those, the remaining groups' tests run on demand, at most
//! once per action (once per request for request-level fields). A rule with an unsatisfied
//! group is skipped; any other rule is evaluated as usual, so the prefilter can only save
//! work, never change a result: soundness needs only "conjunct true ⇒ some atom of its group
//! true", which each case above preserves (an atom may hold when the conjunct does not; never
//! the reverse). Property tests (`eval::tests`, `guard-compile/tests/shipped_plan.rs` over the
//! corpus) compare decisions with and without it.

use guard_model::schema::{Context, EnumType, Scope, Value};
use guard_model::{ActionKind, Builtin, Field};
use rustc_hash::FxHashMap;

use crate::ir::{
    CmpOp, ExprId, GlobShape, MAX_LOCALS, Node, Pattern, PatternId, Policy, PolicyData, Quantifier,
    SetData, simple_glob_parts,
};

/// More atoms than this in one necessary condition: give up on it (the rule is always
/// evaluated), which bounds the index's size.
const MAX_ATOMS: usize = 256;
/// Steps of the reduction per rule; beyond it the rule is always evaluated. Bounds load time
/// on hostile bundles (nested quantifiers over constant sets multiply).
const MAX_STEPS: usize = 20_000;

/// A string test on a field's value(s).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Test<S = Box<str>> {
    Prefix(S),
    Suffix(S),
    Contains(S),
    Pattern(PatternId),
}

impl Test<&str> {
    fn owned(&self) -> Test {
        match self {
            Test::Prefix(s) => Test::Prefix(Box::from(*s)),
            Test::Suffix(s) => Test::Suffix(Box::from(*s)),
            Test::Contains(s) => Test::Contains(Box::from(*s)),
            Test::Pattern(p) => Test::Pattern(*p),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
            Atom::Test(..) => 2,
            Atom::Present(_) => 4,
        }
    }
}

fn score(atoms: &[Atom<'_>]) -> usize {
    atoms.iter().map(Atom::score).sum()
}

/// A necessary condition: `None` when there is none (the rule must always be evaluated);
/// `Some(atoms)`: the condition implies one of `atoms` (none: it is never true).
type Need<'p> = Option<Vec<Atom<'p>>>;

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
    Const(&'p str),
    Other,
}

/// Per action kind: which groups the cheap atoms of an action satisfy.
#[derive(Debug, Clone, Default)]
struct KindFilter {
    /// Per field: value → groups satisfied by it.
    exact: Vec<(Field, FxHashMap<Box<str>, u32>)>,
    /// The group sets of `exact`, one after the other (`group_words` each).
    arena: Box<[u64]>,
    present: Vec<(Field, Box<[u64]>)>,
    enums: Vec<(Field, EnumType, u128, Box<[u64]>)>,
    /// Rules on this kind that cannot be ruled out by cheap atoms alone: no necessary
    /// condition, or a first group with tests (a bit per rule index).
    pending: Box<[u64]>,
    /// Whether any rule on this kind is filtered at all.
    active: bool,
}

/// One necessary condition of one top-level conjunct of a rule: satisfied when one of its
/// cheap atoms is (a bit set by [`Prefilter::prepare`]) or one of its tests passes.
#[derive(Debug, Clone, Default)]
struct Group {
    /// Test ids, by the field they read (a field with no value skips all of its tests).
    tests: Box<[(Field, Box<[u32]>)]>,
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

impl Prefilter {
    /// Builds the index. `data` must be validated (ids in range, children before parents).
    pub(crate) fn new(data: &PolicyData) -> Prefilter {
        type Bits = Vec<u64>;
        #[derive(Default)]
        struct Building<'p> {
            exact: FxHashMap<(Field, &'p str), u32>,
            arena: Bits,
            present: FxHashMap<Field, Bits>,
            enums: FxHashMap<(Field, EnumType, u128), Bits>,
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
        let mut first: Vec<(usize, Vec<Atom<'_>>)> = Vec::with_capacity(rule_count);
        let mut others: Vec<(usize, Vec<Atom<'_>>)> = Vec::new();
        let mut reducer = Reducer::new(data);
        let mut more_local: Vec<Vec<usize>> = Vec::with_capacity(rule_count);
        let mut filtered = Vec::with_capacity(rule_count);
        for (index, rule) in data.rules.iter().enumerate() {
            more_local.push(Vec::new());
            let Some(kind) = rule.on else {
                first.push((usize::MAX, Vec::new()));
                filtered.push(false);
                continue;
            };
            let k = usize::from(kind.index());
            reducer.steps = 0;
            // The top-level conjuncts, nested `and`s flattened.
            let mut needs: Vec<Vec<Atom<'_>>> = Vec::new();
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
            needs.sort_by_key(|atoms| score(atoms));
            needs.truncate(MAX_GROUPS);
            let mut needs = needs.into_iter();
            let Some(cheapest) = needs.next() else {
                // No necessary condition: always looked at.
                if let Some(b) = building.get_mut(k) {
                    mark(&mut b.pending, index);
                }
                first.push((usize::MAX, Vec::new()));
                filtered.push(false);
                continue;
            };
            if let Some(b) = building.get_mut(k) {
                b.active = true;
                if cheapest.iter().any(|a| matches!(a, Atom::Test(..))) {
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
        let mut test_ids: FxHashMap<(Field, Test<&str>), u32> = FxHashMap::default();
        let mut tests: Vec<(bool, Test)> = Vec::new();
        let mut groups = Vec::with_capacity(group_count);
        for (g, (kind, atoms)) in first.into_iter().chain(others).enumerate() {
            let mut by_field: Vec<(Field, Vec<u32>)> = Vec::new();
            if let Some(b) = building.get_mut(kind) {
                for atom in atoms {
                    match atom {
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
                        Atom::Test(f, t) => {
                            let id = *test_ids.entry((f, t.clone())).or_insert_with(|| {
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
            groups.push(Group {
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
                for ((f, v), at) in b.exact {
                    let at_field = match exact.iter().position(|(g, _)| *g == f) {
                        Some(i) => i,
                        None => {
                            exact.push((f, FxHashMap::default()));
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
                KindFilter {
                    exact,
                    arena: b.arena.into(),
                    present,
                    enums,
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

    /// A scratch space sized for this prefilter (its test states start unknown).
    pub(crate) fn scratch(&self) -> Scratch {
        Scratch {
            groups: vec![0; self.group_words],
            todo: vec![0; self.rule_words],
            tests: vec![0; self.tests.len()],
        }
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
        for (field, by_value) in &filter.exact {
            match field.get(cx) {
                Value::Str(s) => {
                    if let Some(at) = by_value.get(s) {
                        or(out, bits_at(at));
                    }
                }
                Value::StrList(list) => {
                    for s in list {
                        if let Some(at) = by_value.get(s.as_str()) {
                            or(out, bits_at(at));
                        }
                    }
                }
                _ => {}
            }
        }
        for (field, bits) in &filter.present {
            let present = match field.get(cx) {
                Value::Bool(b) => b,
                Value::Str(s) => !s.is_empty(),
                Value::StrList(l) => !l.is_empty(),
                Value::EnumList(_, l) => !l.is_empty(),
                Value::Int(_) | Value::Enum(..) => false,
            };
            if present {
                or(out, bits);
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

/// Runs one test on one string.
fn run(policy: &Policy, test: &Test, s: &str) -> bool {
    match test {
        Test::Prefix(p) => s.starts_with(&**p),
        Test::Suffix(p) => s.ends_with(&**p),
        Test::Contains(p) => contains(s, p),
        // A pattern that does not compile admits the rule, so that evaluating it reports
        // the error (fail closed).
        Test::Pattern(id) => policy.matcher(*id).is_none_or(|m| m.is_match(s)),
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
    /// necessary condition does not depend on `env`, and is memoised: shared defs such as
    /// `config.protected` are reduced once).
    closed: Vec<bool>,
    memo: Vec<Option<Need<'p>>>,
}

impl<'p> Reducer<'p> {
    fn new(data: &'p PolicyData) -> Reducer<'p> {
        let bit = |slot: u16| 1u32.checked_shl(u32::from(slot)).unwrap_or(0);
        let mut free = vec![0u32; data.nodes.len()];
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
        Reducer {
            data,
            env: [Binding::Unknown; MAX_LOCALS],
            steps: 0,
            closed: free.iter().map(|f| *f == 0).collect(),
            memo: vec![None; data.nodes.len()],
        }
    }

    fn node(&self, id: ExprId) -> Option<&'p Node> {
        self.data.nodes.get(id.index())
    }

    fn string(&self, id: crate::ir::StrId) -> Option<&'p str> {
        self.data.strings.get(id.index()).map(String::as_str)
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
            _ => Operand::Other,
        }
    }

    /// A necessary condition of node `id` being true (see the module docs), memoised for
    /// closed nodes.
    fn need(&mut self, id: ExprId) -> Need<'p> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return None;
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
        let node = self.node(id)?;
        let need = match node {
            Node::Bool(true) => None,
            Node::Bool(false) => Some(Vec::new()),
            Node::Field(f) => Some(vec![Atom::Present(*f)]),
            Node::And(items) => {
                let mut best: Need<'p> = None;
                let mut best_score = usize::MAX;
                for item in items {
                    if let Some(atoms) = self.need(*item) {
                        let score = score(&atoms);
                        if score < best_score {
                            best_score = score;
                            best = Some(atoms);
                        }
                    }
                }
                best
            }
            Node::Or(items) => {
                let mut all = Vec::new();
                for item in items {
                    all.extend(self.need(*item)?);
                    if all.len() > MAX_ATOMS {
                        return None;
                    }
                }
                Some(all)
            }
            Node::In {
                item,
                collection,
                negated: false,
            } => match (self.operand(*item), self.node(*collection)?) {
                (Operand::Field(f), Node::Set(set)) => match self.data.sets.get(set.index())? {
                    SetData::Str(items) => Some(
                        items
                            .iter()
                            .map(|s| Some(Atom::Exact(f, self.string(*s)?)))
                            .collect::<Option<Vec<_>>>()?,
                    ),
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
            Node::Quantified {
                quantifier: Quantifier::Any,
                slot,
                over,
                body,
            } => {
                let slot = usize::from(*slot);
                let saved = *self.env.get(slot)?;
                let need = match self.node(*over)? {
                    Node::Field(f) => {
                        if let Some(b) = self.env.get_mut(slot) {
                            *b = Binding::Element(*f);
                        }
                        Some(self.need(*body).unwrap_or_else(|| vec![Atom::Present(*f)]))
                    }
                    Node::Set(set) => match self.data.sets.get(set.index())? {
                        SetData::Str(items) => {
                            let mut all = Some(Vec::new());
                            for s in items {
                                let text = self.string(*s)?;
                                if let Some(b) = self.env.get_mut(slot) {
                                    *b = Binding::Const(text);
                                }
                                match (self.need(*body), &mut all) {
                                    (Some(atoms), Some(all)) if all.len() <= MAX_ATOMS => {
                                        all.extend(atoms)
                                    }
                                    _ => {
                                        all = None;
                                        break;
                                    }
                                }
                            }
                            all
                        }
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(b) = self.env.get_mut(slot) {
                    *b = saved;
                }
                need
            }
            _ => None,
        };
        match need {
            Some(atoms) if atoms.len() > MAX_ATOMS => None,
            need => need,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn contains_agrees_with_str_contains(h in "[a/b\u{e9}]{0,12}", n in "[a/b\u{e9}]{0,4}") {
            prop_assert_eq!(super::contains(&h, &n), h.contains(n.as_str()));
        }
    }
}
