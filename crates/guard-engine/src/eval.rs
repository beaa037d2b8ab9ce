//! The evaluator: a [`Policy`] and a request's actions in, a [`Decision`] out (DESIGN.md §3).
//!
//! Semantics:
//! - A rule `on K` is evaluated against every action of kind K (rules on other kinds are never
//!   looked at); `on request` rules once per request, with no action in scope.
//! - The decision is the strongest effect (`deny > require_approval > warn > allow`) among
//!   matches of rules in enforce mode; with none, the policy's declared default. Audit-mode
//!   matches are reported and never decide.
//! - Matches are reported in a stable order: `on request` rules first (spanning the whole
//!   command), then each action in request order, and for each, the rules in policy order.
//!
//! Invariants: evaluation is total (no panics: an out-of-scope field reads as its empty value,
//! a type mismatch is `false`), bounded (recursion is limited by the IR's validated depth;
//! quantifiers only iterate over finite lists and sets) and deterministic (no hash-order
//! iteration, no clock, no randomness). The one failure is a regex that does not compile
//! (possible only in a hand-made bundle, since regexes are compiled on first use rather than
//! at load): a request whose evaluation needs it is decided `error`, never allowed.
//!
//! Speed: per action, the rule prefilter ([`crate::prefilter`]) picks the rules whose
//! necessary conditions hold, so most rules are never interpreted; request-invariant conjuncts
//! are decided once per request; common node shapes have fast paths. [`decide_reference`]
//! does none of this, and tests compare the two.

use std::borrow::Cow;
use std::sync::Arc;

use guard_model::schema::{Context, EnumType, Value};
use guard_model::{Action, Decision, DecisionKind, Effect, Match, Mode, Request, Str};

use crate::ir::{
    Builtin, CmpOp, ExprId, MAX_DISCRIMINATORS, MAX_LOCALS, NO_SLOT, Node, Part, PatternId, Plan,
    Policy, Quantifier, Rule, SetData, SetId, SetLookup, Template,
};
use crate::names;
use crate::prefilter::Scratch;

pub(crate) mod fused;

/// Per-request precomputation shared by every rule and action: labels as `key=value` strings
/// and the kind of every action. Build it once per request.
#[derive(Debug, Clone)]
pub struct RequestContext<'r> {
    request: &'r Request,
    actions: &'r [Action],
    labels: Vec<Str>,
    kinds: Vec<u16>,
}

impl<'r> RequestContext<'r> {
    pub fn new(request: &'r Request, actions: &'r [Action]) -> RequestContext<'r> {
        RequestContext {
            request,
            actions,
            labels: request.target.label_pairs(),
            kinds: actions.iter().map(|a| a.kind().index()).collect(),
        }
    }

    pub fn request(&self) -> &'r Request {
        self.request
    }

    pub fn actions(&self) -> &'r [Action] {
        self.actions
    }

    fn context<'a>(&'a self, action: Option<&'a Action>) -> Context<'a> {
        Context {
            request: self.request,
            action,
            labels: &self.labels,
            action_kinds: &self.kinds,
            action_count: i64::try_from(self.actions.len()).unwrap_or(i64::MAX),
        }
    }
}

/// Decides one request: `request`'s id, the decision and every match. The decision carries no
/// bundle reference; [`crate::LoadedBundle::evaluate`] adds it.
pub fn evaluate(policy: &Policy, request: &Request, actions: &[Action]) -> Decision {
    decide(policy, &RequestContext::new(request, actions))
}

/// [`evaluate`] with the per-request precomputation done by the caller.
pub fn decide(policy: &Policy, rcx: &RequestContext<'_>) -> Decision {
    decide_with(policy, rcx, false)
}

/// [`decide`] without any of the load-time plan: no prefilter, no hoisted guards, no
/// per-request cache, no shape-specific fast paths; every rule on the action's kind is
/// interpreted. Slower, and meant for differential tests: its decisions must be exactly those
/// of [`decide`].
pub fn decide_reference(policy: &Policy, rcx: &RequestContext<'_>) -> Decision {
    decide_with(policy, rcx, true)
}

/// For profiling the prefilter: per action (by index), the ids of the rules on its kind that
/// the prefilter does not rule out (every one of them is interpreted by [`decide`]), in policy
/// order. Nothing is evaluated beyond the prefilter's own tests.
#[doc(hidden)]
pub fn prefilter_admitted(policy: &Policy, rcx: &RequestContext<'_>) -> Vec<(usize, String)> {
    let mut ev = Evaluator::new(policy, rcx.context(None));
    let mut out = Vec::new();
    for (a, action) in rcx.actions.iter().enumerate() {
        ev.cx = rcx.context(Some(action));
        let kind = action.kind();
        let filtered = policy.prefilter().prepare(kind, &ev.cx, &mut ev.prefilter);
        for (index, rule) in policy.indexed_rules_on(Some(kind)) {
            let todo = ev
                .prefilter
                .todo
                .get(index / 64)
                .is_some_and(|w| (w >> (index % 64)) & 1 == 1);
            if !filtered
                || todo
                    && policy
                        .prefilter()
                        .admits(policy, index, &ev.cx, &mut ev.prefilter)
            {
                out.push((a, rule.id.clone()));
            }
        }
    }
    out
}

/// `reference`: evaluate without the shape-specific fast paths (tests compare both).
fn decide_with(policy: &Policy, rcx: &RequestContext<'_>, reference: bool) -> Decision {
    let mut ev = Evaluator::new(policy, rcx.context(None));
    ev.reference = reference;
    let mut matches = Vec::new();
    let mut strongest: Option<Effect> = None;
    let whole = [
        0,
        u32::try_from(rcx.request.command.len()).unwrap_or(u32::MAX),
    ];

    for (index, rule) in policy.indexed_rules_on(None) {
        if ev.rule_matches(index, rule) {
            record(
                &mut ev,
                index,
                rule,
                whole,
                &[],
                &mut matches,
                &mut strongest,
            );
        }
    }
    for action in rcx.actions {
        ev.cx = rcx.context(Some(action));
        ev.discriminated.fill(None);
        if let Some(per_action) = ev.cache.get_mut(policy.plan().action_slots..) {
            per_action.fill(0);
        }
        // Skip the rules whose necessary conditions the action does not meet.
        let kind = action.kind();
        if !reference && policy.prefilter().prepare(kind, &ev.cx, &mut ev.prefilter) {
            for w in 0..ev.prefilter.todo.len() {
                let mut word = ev.prefilter.todo.get(w).copied().unwrap_or(0);
                while word != 0 {
                    let index = w * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    let Some(rule) = policy.rules().get(index) else {
                        continue;
                    };
                    if rule.on == Some(kind)
                        && policy
                            .prefilter()
                            .admits(policy, index, &ev.cx, &mut ev.prefilter)
                        && ev.rule_matches(index, rule)
                    {
                        record(
                            &mut ev,
                            index,
                            rule,
                            action.span,
                            &action.via,
                            &mut matches,
                            &mut strongest,
                        );
                    }
                }
            }
            continue;
        }
        for (index, rule) in policy.indexed_rules_on(Some(kind)) {
            if ev.rule_matches(index, rule) {
                record(
                    &mut ev,
                    index,
                    rule,
                    action.span,
                    &action.via,
                    &mut matches,
                    &mut strongest,
                );
            }
        }
    }

    if let Some(pattern) = ev.broken {
        return broken_pattern(policy, rcx, pattern);
    }
    Decision {
        id: rcx.request.id.clone(),
        decision: DecisionKind::from(strongest.unwrap_or(policy.default_effect())),
        matches,
        error: None,
        bundle: None,
    }
}

/// The decision when evaluating the request needed a pattern that does not compile (only
/// from a malformed bundle: the compiler compiles every pattern). Fail closed: `error`, with
/// no matches, whatever the pattern's rule would have said.
#[cold]
fn broken_pattern(policy: &Policy, rcx: &RequestContext<'_>, pattern: PatternId) -> Decision {
    let text = policy
        .data()
        .patterns
        .get(pattern.index())
        .map_or("", |p| p.text());
    let reason = policy
        .data()
        .patterns
        .get(pattern.index())
        .and_then(|p| p.compile().err())
        .map_or_else(String::new, |e| format!(": {e}"));
    Decision {
        id: rcx.request.id.clone(),
        decision: DecisionKind::Error,
        matches: Vec::new(),
        error: Some(format!(
            "the policy's pattern `{text}` does not compile, so this request cannot be decided{reason}"
        )),
        bundle: None,
    }
}

fn record(
    ev: &mut Evaluator<'_>,
    index: usize,
    rule: &Rule,
    span: [u32; 2],
    via: &[Str],
    matches: &mut Vec<Match>,
    strongest: &mut Option<Effect>,
) {
    if rule.mode == Mode::Enforce {
        *strongest = Some(strongest.map_or(rule.effect, |s| s.max(rule.effect)));
    }
    let message: String = ev.render(&rule.message);
    let built;
    // The reference path builds the text afresh, so the differential tests check the plan's.
    let planned = if ev.reference {
        None
    } else {
        ev.plan.texts.get(index)
    };
    let text = match planned {
        Some(text) => text,
        None => {
            built = RuleText::new(ev.policy, rule);
            &built
        }
    };
    let help = match &text.help {
        Some(help) => help.clone(),
        None => ev.render::<Arc<str>>(&rule.help),
    };
    matches.push(Match {
        rule: text.id.clone(),
        effect: rule.effect,
        mode: rule.mode,
        message,
        help,
        controls: text.controls.clone(),
        span,
        via: via.to_vec(),
    });
}

/// The parts of a rule's matches that are the same for every match, built once with the plan
/// and shared by each [`Match`]: its id, its controls and its help when it has no placeholder.
#[derive(Debug, Clone)]
pub(crate) struct RuleText {
    id: Arc<str>,
    controls: Arc<[Str]>,
    /// `None` when the help has placeholders (then it is rendered per match).
    help: Option<Arc<str>>,
}

impl RuleText {
    pub(crate) fn new(policy: &Policy, rule: &Rule) -> RuleText {
        let mut help = String::new();
        let constant = rule.help.parts.iter().all(|part| match part {
            Part::Text(id) => {
                help.push_str(policy.string(*id));
                true
            }
            Part::Expr(_) => false,
        });
        RuleText {
            id: Arc::from(rule.id.as_str()),
            controls: rule
                .controls
                .iter()
                .map(|c| Str::from(c.as_str()))
                .collect(),
            help: constant.then(|| Arc::from(help)),
        }
    }
}

/// The [`RuleText`] of every rule, in policy order (part of the plan).
pub(crate) fn rule_texts(policy: &Policy) -> Vec<RuleText> {
    policy
        .rules()
        .iter()
        .map(|rule| RuleText::new(policy, rule))
        .collect()
}

/// A run-time value. Borrowed from the policy and the request; only `lower`/`upper` of
/// non-lowercase text allocate.
#[derive(Debug, Clone)]
enum Val<'a> {
    Bool(bool),
    Int(i64),
    Str(Cow<'a, str>),
    Enum(EnumType, u16),
    StrList(&'a [Str]),
    EnumList(EnumType, &'a [u16]),
    Set(SetId),
    List(&'a [ExprId]),
}

impl<'a> From<Value<'a>> for Val<'a> {
    fn from(v: Value<'a>) -> Val<'a> {
        match v {
            Value::Bool(b) => Val::Bool(b),
            Value::Int(i) => Val::Int(i),
            Value::Str(s) => Val::Str(Cow::Borrowed(s)),
            Value::Enum(t, i) => Val::Enum(t, i),
            Value::StrList(l) => Val::StrList(l),
            Value::EnumList(t, l) => Val::EnumList(t, l),
        }
    }
}

struct Evaluator<'a> {
    policy: &'a Policy,
    plan: &'a Plan,
    cx: Context<'a>,
    locals: [Val<'a>; MAX_LOCALS],
    /// The request-invariant conditions decided so far in this request, by cache slot
    /// ([`Policy::cache_slot`]): 0 not yet, 1 false, 2 true.
    cache: Vec<u8>,
    /// Per discriminator ([`Policy::discriminators`]), for the current action: `None` until
    /// looked up, then the bit set of rules whose string test the action's value passes
    /// (`Some(None)`: none does).
    discriminated: [Option<Option<&'a [u64]>>; MAX_DISCRIMINATORS],
    /// Skip the fast paths for common node shapes and the per-request cache (see
    /// [`decide_with`]).
    reference: bool,
    /// The prefilter's state for the current action.
    prefilter: Scratch,
    /// Where messages are rendered before being copied out (see [`Self::render`]).
    text: String,
    /// A pattern evaluation needed that does not compile: the decision is `error`.
    broken: Option<PatternId>,
}

const FALSE: Val<'static> = Val::Bool(false);

/// The evaluator's heap buffers, kept per thread between decisions so that deciding does not
/// allocate them each time (they are reset, never trusted, when taken).
#[derive(Default)]
struct Buffers {
    cache: Vec<u8>,
    prefilter: Scratch,
    text: String,
}

thread_local! {
    static POOL: std::cell::Cell<Buffers> = std::cell::Cell::new(Buffers::default());
}

impl Drop for Evaluator<'_> {
    fn drop(&mut self) {
        let buffers = Buffers {
            cache: std::mem::take(&mut self.cache),
            prefilter: std::mem::take(&mut self.prefilter),
            text: std::mem::take(&mut self.text),
        };
        // During thread teardown the pool may be gone: then the buffers are just freed.
        let _ = POOL.try_with(|pool| pool.set(buffers));
    }
}

impl<'a> Evaluator<'a> {
    /// An evaluator whose buffers come from this thread's pool (see [`Buffers`]).
    fn new(policy: &'a Policy, cx: Context<'a>) -> Evaluator<'a> {
        let plan = policy.plan();
        let Buffers {
            mut cache,
            mut prefilter,
            text,
        } = POOL.with(|pool| pool.take());
        cache.clear();
        cache.resize(plan.cache_slots, 0);
        plan.prefilter.reset(&mut prefilter);
        Evaluator {
            policy,
            plan,
            cx,
            locals: std::array::from_fn(|_| FALSE),
            cache,
            discriminated: [None; MAX_DISCRIMINATORS],
            reference: false,
            prefilter,
            text,
            broken: None,
        }
    }

    /// Whether a rule's condition holds for the current action. Its request-invariant
    /// conjuncts (cached for the whole request) are decided first, so a rule guarded by, say,
    /// `config.protected` costs one cache read per action when the guard is false.
    fn rule_matches(&mut self, index: usize, rule: &Rule) -> bool {
        if !self.reference
            && let Some(plan) = self.plan.plans.get(index)
        {
            if let Some(d) = plan.discriminator
                && !self.passes(d, index)
            {
                return false;
            }
            if !plan.guards.is_empty() {
                return plan.guards.iter().all(|e| self.truthy(*e))
                    && plan.rest.iter().all(|e| self.truthy(*e));
            }
        }
        self.truthy(rule.condition)
    }

    /// Whether the current action passes rule `index`'s string test on discriminator `d`
    /// (one hash lookup per action and discriminator, however many rules test it).
    fn passes(&mut self, d: usize, index: usize) -> bool {
        let bits = match self.discriminated.get(d) {
            Some(Some(bits)) => *bits,
            _ => {
                let bits = self.plan.discriminators.get(d).and_then(|disc| {
                    match disc.field.get(&self.cx) {
                        Value::Str(s) => disc.rules_for(s),
                        _ => None,
                    }
                });
                if let Some(cached) = self.discriminated.get_mut(d) {
                    *cached = Some(bits);
                }
                bits
            }
        };
        bits.and_then(|b| b.get(index / 64))
            .is_some_and(|word| (word >> (index % 64)) & 1 == 1)
    }

    /// Evaluates a condition, through the per-request cache when the node is a
    /// request-invariant condition (evaluation is pure, so its value cannot change).
    fn truthy(&mut self, id: ExprId) -> bool {
        let slot = self.plan.cache_slot.get(id.index()).copied();
        match slot {
            Some(slot) if slot != NO_SLOT && !self.reference => {
                let slot = slot as usize;
                match self.cache.get(slot) {
                    Some(1) => false,
                    Some(2) => true,
                    _ => {
                        let value = self.truthy_node(id);
                        if let Some(c) = self.cache.get_mut(slot) {
                            *c = 1 + u8::from(value);
                        }
                        value
                    }
                }
            }
            _ => self.truthy_node(id),
        }
    }

    /// Evaluates a condition. Boolean nodes are decided here without building a [`Val`]:
    /// conditions are most of what runs, and most of them fail on their first conjunct.
    fn truthy_node(&mut self, id: ExprId) -> bool {
        let policy = self.policy;
        let Some(node) = policy.data().nodes.get(id.index()) else {
            return false;
        };
        match node {
            Node::Bool(b) => *b,
            Node::Not(e) => !self.truthy(*e),
            Node::And(items) => items.iter().all(|e| self.truthy(*e)),
            Node::Or(items) => items.iter().any(|e| self.truthy(*e)),
            Node::Field(f) => matches!(f.get(&self.cx), Value::Bool(true)),
            Node::In {
                item,
                collection,
                negated,
            } => {
                let nodes = &policy.data().nodes;
                let shapes = (nodes.get(item.index()), nodes.get(collection.index()));
                match if self.reference { (None, None) } else { shapes } {
                    // The common shapes `field in const_set` and `"text" in list_field` read
                    // the field without building values.
                    (Some(Node::Field(f)), Some(Node::Set(set))) => {
                        set_contains(policy.lookups.get(set.index()), f.get(&self.cx)) != *negated
                    }
                    // `x in const_set` for a quantifier variable `x` (the body of `any a in
                    // exec.args: a in {…}`): the bound value, without copying it.
                    (Some(Node::Local(slot)), Some(Node::Set(set))) => {
                        let lookup = policy.lookups.get(set.index());
                        let found = match self.locals.get(usize::from(*slot)) {
                            Some(Val::Str(s)) => set_contains(lookup, Value::Str(s)),
                            Some(Val::Int(i)) => set_contains(lookup, Value::Int(*i)),
                            Some(Val::Enum(t, i)) => set_contains(lookup, Value::Enum(*t, *i)),
                            _ => false,
                        };
                        found != *negated
                    }
                    (Some(Node::Str(s)), Some(Node::Field(f))) => {
                        let text = policy.string(*s);
                        let found = matches!(f.get(&self.cx), Value::StrList(l) if l.iter().any(|x| x == text));
                        found != *negated
                    }
                    _ => {
                        let (item, collection) = (self.eval(*item), self.eval(*collection));
                        self.contains(&collection, &item) != *negated
                    }
                }
            }
            Node::Quantified {
                quantifier,
                slot,
                over,
                body,
            } => self.quantify(id, *quantifier, usize::from(*slot), *over, *body),
            Node::Matches { .. } => matches!(self.eval(id), Val::Bool(true)),
            Node::Compare {
                op: op @ (CmpOp::Eq | CmpOp::Ne),
                lhs,
                rhs,
            } => {
                let nodes = &policy.data().nodes;
                let shapes = (nodes.get(lhs.index()), nodes.get(rhs.index()));
                let equal = match if self.reference { (None, None) } else { shapes } {
                    // The common shapes `field == "text"` and `field == variant`.
                    (Some(Node::Field(f)), Some(Node::Str(s))) => {
                        matches!(f.get(&self.cx), Value::Str(v) if v == policy.string(*s))
                    }
                    (Some(Node::Field(f)), Some(Node::Enum(e))) => {
                        f.get(&self.cx) == Value::Enum(e.ty, e.index)
                    }
                    // `x == "text"` for a quantifier variable `x` (`any f in exec.flags: f ==
                    // "recursive"`): the bound value, without evaluating either side.
                    (Some(Node::Local(slot)), Some(Node::Str(s)))
                    | (Some(Node::Str(s)), Some(Node::Local(slot))) => matches!(
                        self.locals.get(usize::from(*slot)),
                        Some(Val::Str(v)) if v.as_ref() == policy.string(*s)
                    ),
                    _ => {
                        let (l, r) = (self.eval(*lhs), self.eval(*rhs));
                        equal(&l, &r)
                    }
                };
                equal == (*op == CmpOp::Eq)
            }
            _ => matches!(self.eval(id), Val::Bool(true)),
        }
    }

    fn eval(&mut self, id: ExprId) -> Val<'a> {
        let policy = self.policy;
        let Some(node) = policy.data().nodes.get(id.index()) else {
            return FALSE;
        };
        match node {
            Node::Bool(b) => Val::Bool(*b),
            Node::Int(i) => Val::Int(*i),
            Node::Str(s) => Val::Str(Cow::Borrowed(policy.string(*s))),
            Node::Enum(v) => Val::Enum(v.ty, v.index),
            Node::Field(f) => Val::from(f.get(&self.cx)),
            Node::Local(slot) => match self.locals.get(usize::from(*slot)) {
                // Quantifier variables are nearly always borrowed text: copy it without the
                // generic clone.
                Some(Val::Str(Cow::Borrowed(s))) => Val::Str(Cow::Borrowed(s)),
                Some(v) => v.clone(),
                None => FALSE,
            },
            Node::Set(id) => Val::Set(*id),
            Node::List(items) => Val::List(items),
            Node::Not(_) | Node::And(_) | Node::Or(_) => Val::Bool(self.truthy(id)),
            Node::Compare { op, lhs, rhs } => {
                let (l, r) = (self.eval(*lhs), self.eval(*rhs));
                Val::Bool(compare(*op, &l, &r))
            }
            Node::In { .. } => Val::Bool(self.truthy(id)),
            Node::Matches { subject, pattern } => {
                let subject = self.eval(*subject);
                let Some(matcher) = policy.matcher(*pattern) else {
                    // Fail closed: the whole decision becomes `error`.
                    self.broken = Some(*pattern);
                    return FALSE;
                };
                let matched = match &subject {
                    Val::Str(s) => matcher.is_match(s),
                    _ => false,
                };
                Val::Bool(matched)
            }
            Node::Call { builtin, args } => self.call(*builtin, args),
            Node::Quantified {
                quantifier,
                slot,
                over,
                body,
            } => Val::Bool(self.quantify(id, *quantifier, usize::from(*slot), *over, *body)),
        }
    }

    #[inline(never)]
    fn quantify(
        &mut self,
        id: ExprId,
        quantifier: Quantifier,
        slot: usize,
        over: ExprId,
        body: ExprId,
    ) -> bool {
        if !self.reference
            && let Some(at) = self.plan.needle_at.get(id.index()).copied()
            && at != NO_SLOT
        {
            let plan = self.plan;
            if at & fused::FUSED != 0 {
                if let Some(shape) =
                    plan.fused
                        .get(at, self.policy.data(), &plan.needle_at, &plan.needle_sets)
                    && let Value::StrList(values) = shape.field.get(&self.cx)
                {
                    let want = shape.quantifier == Quantifier::Any;
                    for x in values.iter() {
                        if self.test(&shape.test, x) == want {
                            return want;
                        }
                    }
                    return !want;
                }
            } else if quantifier == Quantifier::Any
                && let Some(found) = self.any_in_string_set(at)
            {
                return found;
            }
        }
        let over = self.eval(over);
        let want = quantifier == Quantifier::Any;
        let len = self.len(&over);
        if len == 0 {
            return !want;
        }
        // The outer binding is moved out and back, not cloned.
        let saved = match self.locals.get_mut(slot) {
            Some(local) => std::mem::replace(local, FALSE),
            None => FALSE,
        };
        let mut result = !want;
        for i in 0..len {
            let element = self.element(&over, i);
            if let Some(local) = self.locals.get_mut(slot) {
                *local = element;
            }
            if self.truthy(body) == want {
                result = want;
                break;
            }
        }
        if let Some(local) = self.locals.get_mut(slot) {
            *local = saved;
        }
        result
    }

    /// A fused quantifier's test ([`fused::Test`]) on one value `x` of its field: what the
    /// general path computes with `x` bound, in the same order.
    fn test(&mut self, test: &fused::Test, x: &str) -> bool {
        use fused::Test;
        match test {
            Test::Atom(fused::View([None, None]), atom) => self.atom(atom, x),
            Test::Atom(fused::View(views), atom) => {
                let mut v = Cow::Borrowed(x);
                for builtin in views.iter().flatten() {
                    v = match builtin {
                        Builtin::Lower => lower(v),
                        Builtin::Upper => upper(v),
                        _ => basename(v),
                    };
                }
                self.atom(atom, &v)
            }
            Test::Not(t) => !self.test(t, x),
            Test::And(tests) => tests.iter().all(|t| self.test(t, x)),
            Test::Or(tests) => tests.iter().any(|t| self.test(t, x)),
        }
    }

    /// One [`fused::Atom`] on the (viewed) value `v`.
    #[inline(always)]
    fn atom(&mut self, atom: &fused::Atom, v: &str) -> bool {
        use fused::Atom;
        match atom {
            Atom::In { set, negated } => {
                set_contains(self.policy.lookups.get(set.index()), Value::Str(v)) != *negated
            }
            Atom::Eq { text, equal } => (v == &**text) == *equal,
            Atom::StartsWith(s) => v.starts_with(&**s),
            Atom::EndsWith(s) => v.ends_with(&**s),
            Atom::Contains(s) => v.contains(&**s),
            Atom::Matches(pattern) => match self.policy.matcher(*pattern) {
                Some(matcher) => matcher.is_match(v),
                None => {
                    // Fail closed: the whole decision becomes `error`.
                    self.broken = Some(*pattern);
                    false
                }
            },
            Atom::Needles(at) => self
                .plan
                .needle_sets
                .get(*at as usize)
                .is_some_and(|(_, needles)| needles.any(v)),
            Atom::Prefixes(prefixes) => prefixes.any(v),
        }
    }

    /// The common shape `any d in STRING_SET: starts_with(x, d)` (also `ends_with`,
    /// `contains`, and `x == d or starts_with(x, d)`), where `x` does not depend on `d`: `x`
    /// is evaluated once and tested against the set's [`crate::prefilter::NeedleSet`], built
    /// with the plan ([`crate::ir::set_quantifier`]); `at` is the node's entry in the plan's
    /// quantifier table. `None` when it is not a needle set.
    fn any_in_string_set(&mut self, at: u32) -> Option<bool> {
        let (subject, needles) = self.plan.needle_sets.get(at as usize)?;
        let Val::Str(x) = self.eval(*subject) else {
            // The body is false for every element: `any` over it is false.
            return Some(false);
        };
        Some(needles.any(&x))
    }

    /// Number of elements of a collection (0 for a scalar).
    fn len(&self, v: &Val<'a>) -> usize {
        match v {
            Val::StrList(l) => l.len(),
            Val::EnumList(_, l) => l.len(),
            Val::List(l) => l.len(),
            Val::Set(id) => match self.policy.data().sets.get(id.index()) {
                Some(SetData::Str(items)) => items.len(),
                Some(SetData::Int(items)) => items.len(),
                Some(SetData::Enum(_, items)) => items.len(),
                None => 0,
            },
            _ => 0,
        }
    }

    fn element(&mut self, v: &Val<'a>, i: usize) -> Val<'a> {
        let policy = self.policy;
        match v {
            Val::StrList(l) => l.get(i).map_or(FALSE, |s| Val::Str(Cow::Borrowed(s))),
            Val::EnumList(t, l) => l.get(i).map_or(FALSE, |x| Val::Enum(*t, *x)),
            Val::List(l) => match l.get(i) {
                Some(e) => self.eval(*e),
                None => FALSE,
            },
            Val::Set(id) => match policy.data().sets.get(id.index()) {
                Some(SetData::Str(items)) => items
                    .get(i)
                    .map_or(FALSE, |s| Val::Str(Cow::Borrowed(policy.string(*s)))),
                Some(SetData::Int(items)) => items.get(i).map_or(FALSE, |x| Val::Int(*x)),
                Some(SetData::Enum(_, items)) => {
                    items.get(i).map_or(FALSE, |x| Val::Enum(x.ty, x.index))
                }
                None => FALSE,
            },
            _ => FALSE,
        }
    }

    fn contains(&mut self, collection: &Val<'a>, item: &Val<'a>) -> bool {
        match (collection, item) {
            (Val::Set(id), _) => {
                let lookup = self.policy.lookups.get(id.index());
                match item {
                    Val::Str(s) => set_contains(lookup, Value::Str(s)),
                    Val::Int(i) => set_contains(lookup, Value::Int(*i)),
                    Val::Enum(t, i) => set_contains(lookup, Value::Enum(*t, *i)),
                    _ => false,
                }
            }
            (Val::StrList(l), Val::Str(s)) => l.iter().any(|x| x == s),
            (Val::EnumList(t, l), Val::Enum(u, i)) => t == u && l.contains(i),
            (Val::List(ids), _) => ids.iter().any(|e| {
                let v = self.eval(*e);
                equal(&v, item)
            }),
            _ => false,
        }
    }

    #[inline(never)]
    fn call(&mut self, builtin: Builtin, args: &'a [ExprId]) -> Val<'a> {
        let first = self.arg(args, 0);
        match builtin {
            Builtin::Len => {
                let n = match &first {
                    Val::Str(s) => s.chars().count(),
                    other => self.len(other),
                };
                Val::Int(i64::try_from(n).unwrap_or(i64::MAX))
            }
            Builtin::Lower => match first {
                Val::Str(s) => Val::Str(lower(s)),
                _ => Val::Str(Cow::Borrowed("")),
            },
            Builtin::Upper => match first {
                Val::Str(s) => Val::Str(upper(s)),
                _ => Val::Str(Cow::Borrowed("")),
            },
            Builtin::Basename => match first {
                Val::Str(s) => Val::Str(basename(s)),
                _ => Val::Str(Cow::Borrowed("")),
            },
            Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains => {
                let second = self.arg(args, 1);
                let result = match (&first, &second) {
                    (Val::Str(s), Val::Str(p)) => match builtin {
                        Builtin::StartsWith => s.starts_with(p.as_ref()),
                        Builtin::EndsWith => s.ends_with(p.as_ref()),
                        _ => s.contains(p.as_ref()),
                    },
                    _ => false,
                };
                Val::Bool(result)
            }
        }
    }

    fn arg(&mut self, args: &[ExprId], n: usize) -> Val<'a> {
        match args.get(n) {
            Some(e) => self.eval(*e),
            None => FALSE,
        }
    }

    /// The template's text: rendered into the reused scratch buffer, then copied once into
    /// a `String` or an `Arc<str>` of exactly its size (one allocation).
    fn render<T: for<'s> From<&'s str>>(&mut self, template: &Template) -> T {
        match template.parts.as_slice() {
            [] => return T::from(""),
            [Part::Text(id)] => return T::from(self.policy.string(*id)),
            _ => {}
        }
        let mut out = std::mem::take(&mut self.text);
        out.clear();
        for part in &template.parts {
            match part {
                Part::Text(id) => out.push_str(self.policy.string(*id)),
                Part::Expr(e) => {
                    let v = self.eval(*e);
                    self.render_value(&v, &mut out);
                }
            }
        }
        let rendered = T::from(out.as_str());
        self.text = out;
        rendered
    }

    fn render_value(&mut self, v: &Val<'a>, out: &mut String) {
        use std::fmt::Write;
        match v {
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Val::Str(s) => out.push_str(s),
            Val::Enum(t, i) => out.push_str(names::variant_name(*t, *i)),
            Val::StrList(_) | Val::EnumList(..) | Val::List(_) | Val::Set(_) => {
                for i in 0..self.len(v) {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let element = self.element(v, i);
                    self.render_value(&element, out);
                }
            }
        }
    }
}

/// Membership of a field's scalar value in a constant set.
#[inline]
fn set_contains(lookup: Option<&SetLookup>, value: Value<'_>) -> bool {
    match (lookup, value) {
        (Some(SetLookup::Str(set)), Value::Str(s)) => set.contains(s),
        (Some(SetLookup::Int(set)), Value::Int(i)) => set.contains(&i),
        (Some(SetLookup::Enum(t, mask)), Value::Enum(u, i)) => {
            *t == u && i < 128 && (mask >> i) & 1 == 1
        }
        _ => false,
    }
}

fn equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Enum(t, x), Val::Enum(u, y)) => t == u && x == y,
        (Val::StrList(x), Val::StrList(y)) => x == y,
        (Val::EnumList(t, x), Val::EnumList(u, y)) => t == u && x == y,
        _ => false,
    }
}

fn compare(op: CmpOp, l: &Val<'_>, r: &Val<'_>) -> bool {
    match op {
        CmpOp::Eq => equal(l, r),
        CmpOp::Ne => !equal(l, r),
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => match (l, r) {
            (Val::Int(x), Val::Int(y)) => match op {
                CmpOp::Lt => x < y,
                CmpOp::Le => x <= y,
                CmpOp::Gt => x > y,
                _ => x >= y,
            },
            _ => false,
        },
    }
}

fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            s
        }
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

fn upper(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(s.to_ascii_uppercase())
        } else {
            s
        }
    } else {
        Cow::Owned(s.to_uppercase())
    }
}

fn basename(s: Cow<'_, str>) -> Cow<'_, str> {
    fn base(s: &str) -> &str {
        let trimmed = s.trim_end_matches('/');
        if trimmed.is_empty() {
            // `/` and `//` are their own basename; `""` stays empty.
            return if s.is_empty() { "" } else { "/" };
        }
        trimmed.rsplit('/').next().unwrap_or(trimmed)
    }
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(base(b)),
        Cow::Owned(o) => Cow::Owned(base(&o).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::test_support::*;

    #[test]
    fn set_quantifier_fast_path_agrees_with_reference() {
        let policy = standard_like_policy();
        let cases: [(&[&str], &[&str], &[&str]); 5] = [
            (&["/var/log/syslog"], &[], &["shell.audit.log_writes"]),
            (&[], &["/var/log"], &["shell.audit.log_paths"]),
            (&[], &["/var/logs"], &["shell.audit.log_paths"]),
            (&["/tmp/x/var/audit"], &[], &["shell.audit.log_suffix"]),
            (&["/tmp/var/lo"], &["/va", "/etc"], &[]),
        ];
        for (writes, paths, expected) in cases {
            let mut action = exec("tee", &[], paths);
            if let guard_model::ActionDetail::Exec(e) = &mut action.detail {
                e.writes = writes.iter().map(|w| Str::from(*w)).collect();
            }
            let request = request("staging", "x");
            let actions = [action];
            let rcx = RequestContext::new(&request, &actions);
            let fast = decide_with(&policy, &rcx, false);
            assert_eq!(
                fast,
                decide_with(&policy, &rcx, true),
                "{writes:?} {paths:?}"
            );
            let audit: Vec<&str> = fast
                .matches
                .iter()
                .map(|m| &*m.rule)
                .filter(|r| r.starts_with("shell.audit.log"))
                .collect();
            assert_eq!(audit, expected, "{writes:?} {paths:?}");
        }
    }

    /// Request-invariant conjuncts (here a shared `protected` def over `target.env`, and a
    /// quantifier over `actor.groups`) are hoisted and cached per request, and string tests on
    /// `exec.program` are looked up once per action: the matches are exactly those of plain
    /// evaluation, over several actions and requests.
    #[test]
    fn hoisted_request_guards_give_the_same_matches() {
        use guard_model::{ActionKind, Effect, Field};

        use crate::ir::{Pattern, PolicyBuilder, TemplatePiece};

        let mut b = PolicyBuilder::new(Effect::Allow);
        // def protected = lower(target.env) in {"prod-eu", "production"}
        //   or any p in {"prod-"}: starts_with(lower(target.env), p)
        let env = b.field(Field::TargetEnv);
        let lowered = b.call(Builtin::Lower, vec![env]);
        let envs = b.string_set(["production", "prod-eu"]);
        let envs = b.set(envs);
        let listed = b.is_in(lowered, envs, false);
        let prefixes = b.string_set(["prod-"]);
        let prefixes = b.set(prefixes);
        let p = b.local(0);
        let starts = b.call(Builtin::StartsWith, vec![lowered, p]);
        let prefixed = b.quantified(Quantifier::Any, 0, prefixes, starts);
        let protected = b.or(vec![listed, prefixed]);

        let program = b.field(Field::ExecProgram);
        let destroyers = b.string_set(["dd", "rm"]);
        let destroyers = b.set(destroyers);
        let destroys = b.is_in(program, destroyers, false);
        // rule a: deny on exec when protected and exec.program in {"dd", "rm"}
        let a = b.and(vec![protected, destroys]);
        // rule b: warn on exec when exec.program == "rm" and (protected and any f in
        //   exec.flags: f in {"r", "rf"})
        let rm = b.str("rm");
        let is_rm = b.compare(CmpOp::Eq, program, rm);
        let flags = b.field(Field::ExecFlags);
        let f = b.local(0);
        let recursive = b.string_set(["r", "rf"]);
        let recursive = b.set(recursive);
        let flag_in = b.is_in(f, recursive, false);
        let any_flag = b.quantified(Quantifier::Any, 0, flags, flag_in);
        let inner = b.and(vec![protected, any_flag]);
        let rule_b = b.and(vec![is_rm, inner]);
        // rule c: warn on exec when (any g in actor.groups: g matches re"^on.?call$")
        //   and (exec.program == "ls" or exec.program == "rm")
        let groups = b.field(Field::ActorGroups);
        let g = b.local(0);
        let oncall = b.matches(g, Pattern::Regex("^on.?call$".into())).unwrap();
        let in_oncall = b.quantified(Quantifier::Any, 0, groups, oncall);
        let ls = b.str("ls");
        let is_ls = b.compare(CmpOp::Eq, program, ls);
        let ls_or_rm = b.or(vec![is_ls, is_rm]);
        let c = b.and(vec![in_oncall, ls_or_rm]);
        // rule d: warn on request when protected
        // rule e: allow on exec when not protected or exec.program in {"dd", "rm"}
        let unprotected = b.not(protected);
        let e = b.or(vec![unprotected, destroys]);
        // rule f: warn on exec when (any f in exec.flags: f in {"r", "rf"}) or exec.program == "ls"
        // (the quantifier is shared with rule b: cached per action)
        let rule_f = b.or(vec![any_flag, is_ls]);
        let message = [
            TemplatePiece::Expr(program),
            TemplatePiece::Text(" on "),
            TemplatePiece::Expr(env),
        ];
        let exec_kind = Some(ActionKind::Exec);
        let rules = [
            ("t.a", Effect::Deny, exec_kind, a),
            ("t.b", Effect::Warn, exec_kind, rule_b),
            ("t.c", Effect::Warn, exec_kind, c),
            ("t.d", Effect::Warn, None, protected),
            ("t.e", Effect::Allow, exec_kind, e),
            ("t.f", Effect::Warn, exec_kind, rule_f),
        ];
        for (id, effect, on, condition) in rules {
            let r = rule(&mut b, id, effect, on, condition, &message);
            b.rule(r);
        }
        let policy = b.finish().unwrap();
        // Both paths in: compiled by the builder, and loaded from plain data (lazy patterns).
        let loaded = Policy::new(policy.data().clone()).unwrap();

        // `protected` is one shared slot; rules a, b (nested `and`) and c are guarded.
        assert_eq!(
            policy.plan().cache_slot[protected.index()],
            loaded.plan().cache_slot[protected.index()]
        );
        assert!(policy.plan().cache_slot[protected.index()] != NO_SLOT);
        for i in [0, 1, 2] {
            assert!(!policy.plan().plans[i].guards.is_empty(), "rule {i}");
        }
        assert!(policy.plan().plans[4].guards.is_empty());
        assert!(policy.plan().plans[0].discriminator.is_some());
        assert!(policy.plan().cache_slot[any_flag.index()] as usize >= policy.plan().action_slots);
        assert!(policy.plan().cache_slot[any_flag.index()] != NO_SLOT);

        let actions = [
            exec("rm", &["rf"], &["/var/lib"]),
            exec("dd", &[], &[]),
            exec("ls", &["l"], &[]),
            exec("rm", &[], &["x"]),
        ];
        let mut expected_production = 0;
        for env in ["production", "PROD-west", "prod", "staging", ""] {
            for groups in [vec![], vec![Str::from("dev"), Str::from("on-call")]] {
                let mut request = request(env, "rm -rf /var/lib; dd; ls -l; rm x");
                request.actor.groups = groups;
                let rcx = RequestContext::new(&request, &actions);
                for p in [&policy, &loaded] {
                    let fast = decide_with(p, &rcx, false);
                    assert_eq!(
                        fast,
                        decide_with(p, &rcx, true),
                        "{env} {:?}",
                        request.actor.groups
                    );
                    if env == "production" && request.actor.groups.is_empty() {
                        let ids: Vec<&str> = fast.matches.iter().map(|m| &*m.rule).collect();
                        assert_eq!(
                            ids,
                            [
                                "t.d", "t.a", "t.b", "t.e", "t.f", "t.a", "t.e", "t.f", "t.a",
                                "t.e"
                            ]
                        );
                        assert_eq!(fast.matches[1].message, "rm on production");
                        expected_production += 1;
                    }
                }
            }
        }
        assert_eq!(expected_production, 2);
    }

    /// A regex that does not compile, inside a fused quantifier: the decision is `error` exactly
    /// when the general path would reach it (see the next test).
    #[test]
    fn a_broken_regex_in_a_fused_quantifier_is_an_error_decision() {
        use guard_model::{ActionKind, Effect, Field};

        use crate::ir::{Pattern, PolicyBuilder, TemplatePiece};

        // allow on exec when not (any a in exec.args: a matches re"(") — broken, fused
        let mut b = PolicyBuilder::new(Effect::Allow);
        let args = b.field(Field::ExecArgs);
        let a = b.local(0);
        let bad = b.matches(a, Pattern::Regex("placeholder".into())).unwrap();
        let any_bad = b.quantified(Quantifier::Any, 0, args, bad);
        let condition = b.not(any_bad);
        let message = [TemplatePiece::Text("m")];
        let r = rule(
            &mut b,
            "t.allow",
            Effect::Allow,
            Some(ActionKind::Exec),
            condition,
            &message,
        );
        b.rule(r);
        let mut data = b.finish().unwrap().into_data();
        data.patterns = vec![Pattern::Regex("(".into())];
        let policy = Policy::new(data).unwrap();
        let plan = policy.plan();
        let at = plan.needle_at[any_bad.index()];
        assert!(
            plan.fused
                .get(at, policy.data(), &plan.needle_at, &plan.needle_sets)
                .is_some()
        );

        let request = request("production", "rm x");
        for reference in [false, true] {
            // Reached: the decision is `error`, never the rule's allow.
            let mut action = exec("rm", &[], &[]);
            if let guard_model::ActionDetail::Exec(e) = &mut action.detail {
                e.args = vec![Str::from("-rf")].into_iter().collect();
            }
            let actions = [action];
            let decision =
                decide_with(&policy, &RequestContext::new(&request, &actions), reference);
            assert_eq!(decision.decision, DecisionKind::Error, "{reference}");
            assert!(decision.matches.is_empty());
            // Not reached (no arguments): decided as usual.
            let actions = [exec("rm", &[], &[])];
            let decision =
                decide_with(&policy, &RequestContext::new(&request, &actions), reference);
            assert_eq!(decision.decision, DecisionKind::Allow, "{reference}");
            assert_eq!(decision.matches.len(), 1);
        }
    }

    /// A regex that does not compile (possible only in a hand-made bundle: the compiler
    /// compiles every pattern) makes the decision `error` whenever evaluation needs it, under
    /// `not` too, never an allow; requests that do not need it are decided as usual.
    #[test]
    fn a_regex_that_does_not_compile_is_an_error_decision() {
        use guard_model::{ActionKind, Effect, Field};

        use crate::ir::{Pattern, PolicyBuilder, TemplatePiece};

        let mut b = PolicyBuilder::new(Effect::Allow);
        let program = b.field(Field::ExecProgram);
        let rm = b.str("rm");
        let is_rm = b.compare(CmpOp::Eq, program, rm);
        let bad = b
            .matches(program, Pattern::Regex("placeholder".into()))
            .unwrap();
        let not_bad = b.not(bad);
        // deny on exec when exec.program == "rm" and exec.program matches re"(" (broken)
        let deny = b.and(vec![is_rm, bad]);
        // allow on exec when not (exec.program matches re"(")
        let message = [TemplatePiece::Text("m")];
        let exec_kind = Some(ActionKind::Exec);
        for (id, effect, condition) in [
            ("t.deny", Effect::Deny, deny),
            ("t.allow", Effect::Allow, not_bad),
        ] {
            let r = rule(&mut b, id, effect, exec_kind, condition, &message);
            b.rule(r);
        }
        let mut data = b.finish().unwrap().into_data();
        data.patterns = vec![Pattern::Regex("(".into())];
        let policy = Policy::new(data).unwrap();
        assert!(policy.check_patterns().is_err());

        let request = request("production", "rm x");
        for reference in [false, true] {
            let actions = [exec("rm", &[], &["x"])];
            let decision =
                decide_with(&policy, &RequestContext::new(&request, &actions), reference);
            assert_eq!(
                decision.decision,
                DecisionKind::Error,
                "reference: {reference}"
            );
            assert!(decision.matches.is_empty());
            assert!(
                decision.error.as_deref().is_some_and(|e| e.contains("`(`")),
                "{decision:?}"
            );
            // No exec action: nothing needs the pattern.
            let sql_only = [sql(guard_model::StatementKind::Select, &["t"], [0, 1])];
            let decision = decide_with(
                &policy,
                &RequestContext::new(&request, &sql_only),
                reference,
            );
            assert_eq!(decision.decision, DecisionKind::Allow);
            assert_eq!(decision.error, None);
        }
    }

    /// A match's rule id, controls and help come from the plan's shared [`RuleText`]: each is
    /// the matching rule's own (by index, over rules on several kinds), constant help is shared
    /// and help with a placeholder is rendered per match; the JSON omits an empty help.
    #[test]
    fn matches_carry_their_rules_text() {
        use guard_model::{ActionKind, Effect, Field};

        use crate::ir::{PolicyBuilder, TemplatePiece as T};

        let mut b = PolicyBuilder::new(Effect::Allow);
        let program = b.field(Field::ExecProgram);
        let env = b.field(Field::TargetEnv);
        let always = b.and(vec![]);
        for (i, (on, help)) in [
            (Some(ActionKind::Sql), vec![T::Text("sql help")]),
            (Some(ActionKind::Exec), vec![]),
            (None, vec![T::Text("on "), T::Expr(env)]),
            (
                Some(ActionKind::Exec),
                vec![T::Text("run "), T::Expr(program)],
            ),
            (
                Some(ActionKind::Exec),
                vec![T::Text("constant "), T::Text("help")],
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let id = format!("t.r{i}");
            let mut r = rule(&mut b, &id, Effect::Warn, on, always, &[T::Text("m")]);
            r.help = b.template(&help);
            r.controls = (0..i).map(|c| format!("C{i}.{c}")).collect();
            b.rule(r);
        }
        let policy = b.finish().unwrap();
        let request = request("production", "x");
        let actions = [
            exec("rm", &[], &[]),
            sql(guard_model::StatementKind::Select, &["t"], [0, 1]),
            exec("ls", &[], &[]),
        ];
        let rcx = RequestContext::new(&request, &actions);
        let decision = decide_with(&policy, &rcx, false);
        assert_eq!(decision, decide_with(&policy, &rcx, true));
        let seen: Vec<(String, String, Vec<String>)> = decision
            .matches
            .iter()
            .map(|m| {
                let controls = m.controls.iter().map(|c| c.to_string()).collect();
                (m.rule.to_string(), m.help.to_string(), controls)
            })
            .collect();
        let expected = |i: usize, help: &str| {
            let controls = (0..i).map(|c| format!("C{i}.{c}")).collect();
            (format!("t.r{i}"), help.to_string(), controls)
        };
        assert_eq!(
            seen,
            [
                expected(2, "on production"),
                expected(1, ""),
                expected(3, "run rm"),
                expected(4, "constant help"),
                expected(0, "sql help"),
                expected(1, ""),
                expected(3, "run ls"),
                expected(4, "constant help"),
            ]
        );
        assert!(
            std::sync::Arc::ptr_eq(&decision.matches[3].help, &decision.matches[7].help),
            "constant help is shared"
        );
        let json = serde_json::to_value(&decision.matches[1]).unwrap();
        assert_eq!(json.get("help"), None);
        assert_eq!(json["rule"], "t.r1");
        assert_eq!(json["controls"], serde_json::json!(["C1.0"]));
        let json = serde_json::to_value(&decision.matches[0]).unwrap();
        assert_eq!(json["help"], "on production");
        assert_eq!(json["controls"], serde_json::json!(["C2.0", "C2.1"]));
        let back: Match = serde_json::from_value(json).unwrap();
        assert_eq!(back, decision.matches[0]);
    }

    /// `x == "text"` and `"text" != x` for quantifier variables (the fast path in
    /// `truthy_node`), on string and enum variables, under `any`, `all` and `not`.
    fn local_compare_policy() -> Policy {
        use guard_model::{ActionKind, Effect, Field};

        use crate::ir::{PolicyBuilder, TemplatePiece};

        let mut b = PolicyBuilder::new(Effect::Allow);
        let args = b.field(Field::ExecArgs);
        let flags = b.field(Field::ExecFlags);
        let kinds = b.field(Field::RequestActionKinds);
        let x0 = b.local(0);
        let force = b.str("--force");
        let rm = b.str("rm");
        let r = b.str("r");
        let empty = b.str("");
        let exec_text = b.str("exec");
        let mut conditions = Vec::new();
        let is_force = b.compare(CmpOp::Eq, x0, force);
        conditions.push(b.quantified(Quantifier::Any, 0, args, is_force));
        let not_rm = b.compare(CmpOp::Ne, rm, x0);
        conditions.push(b.quantified(Quantifier::Any, 0, args, not_rm));
        let is_r = b.compare(CmpOp::Eq, r, x0);
        conditions.push(b.quantified(Quantifier::All, 0, flags, is_r));
        let is_empty = b.compare(CmpOp::Eq, x0, empty);
        let any_empty = b.quantified(Quantifier::Any, 0, args, is_empty);
        conditions.push(b.not(any_empty));
        // An enum variable against a string: never equal.
        let kind_text = b.compare(CmpOp::Eq, x0, exec_text);
        conditions.push(b.quantified(Quantifier::Any, 0, kinds, kind_text));
        let kind_not_text = b.compare(CmpOp::Ne, x0, exec_text);
        conditions.push(b.quantified(Quantifier::Any, 0, kinds, kind_not_text));
        let message = [TemplatePiece::Text("m")];
        for (i, condition) in conditions.into_iter().enumerate() {
            let r = rule(
                &mut b,
                &format!("t.c{i}"),
                Effect::Warn,
                Some(ActionKind::Exec),
                condition,
                &message,
            );
            b.rule(r);
        }
        b.finish().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// The comparison fast path on quantifier variables agrees with plain evaluation.
        #[test]
        fn local_comparisons_agree_with_reference_evaluation(
            actions in prop::collection::vec(
                (
                    prop::collection::vec(prop::sample::select(&["--force", "rm", "RM", "", "r", "\u{e9}"][..]), 0..4),
                    prop::collection::vec(prop::sample::select(&["r", "R", "rf", ""][..]), 0..3),
                ),
                0..3,
            ),
        ) {
            let policy = local_compare_policy();
            let request = request("production", "x");
            let actions: Vec<guard_model::Action> = actions
                .into_iter()
                .map(|(args, flags)| {
                    let mut action = exec("rm", &flags, &[]);
                    if let guard_model::ActionDetail::Exec(e) = &mut action.detail {
                        e.args = args.into_iter().map(Str::from).collect();
                    }
                    action
                })
                .collect();
            let rcx = RequestContext::new(&request, &actions);
            prop_assert_eq!(decide_with(&policy, &rcx, false), decide_with(&policy, &rcx, true));
        }
    }

    /// A policy with every shape the prefilter reduces (and some it cannot), for comparing
    /// decisions with and without it.
    fn prefilter_shapes_policy() -> Policy {
        use guard_model::{ActionKind, Effect, Field, StatementKind};

        use crate::ir::{Pattern, PolicyBuilder, TemplatePiece};

        let mut b = PolicyBuilder::new(Effect::Allow);
        let program = b.field(Field::ExecProgram);
        let args = b.field(Field::ExecArgs);
        let paths = b.field(Field::ExecPaths);
        let reads = b.field(Field::ExecReads);
        let hosts = b.field(Field::ExecHosts);
        let x0 = b.local(0);
        let x1 = b.local(1);
        let mut conditions: Vec<(Option<ActionKind>, ExprId)> = Vec::new();
        let exec_kind = Some(ActionKind::Exec);

        // exec.program in {"dd", "rm"} or any a in exec.args:
        //   contains(a, "/dev/tcp/") or contains(a, "/dev/udp/")
        let programs = b.string_set(["rm", "dd"]);
        let programs = b.set(programs);
        let in_programs = b.is_in(program, programs, false);
        let tcp = b.str("/dev/tcp/");
        let udp = b.str("/dev/udp/");
        let c1 = b.call(Builtin::Contains, vec![x0, tcp]);
        let c2 = b.call(Builtin::Contains, vec![x0, udp]);
        let either = b.or(vec![c1, c2]);
        let any_socket = b.quantified(Quantifier::Any, 0, args, either);
        conditions.push((exec_kind, b.or(vec![in_programs, any_socket])));
        // any p in exec.paths: any d in {"/etc/", "/usr/"}: p == d or starts_with(p, d)
        let prefixes = b.string_set(["/etc/", "/usr/"]);
        let prefixes = b.set(prefixes);
        let eq = b.compare(CmpOp::Eq, x0, x1);
        let starts = b.call(Builtin::StartsWith, vec![x0, x1]);
        let under = b.or(vec![eq, starts]);
        let any_prefix = b.quantified(Quantifier::Any, 1, prefixes, under);
        conditions.push((
            exec_kind,
            b.quantified(Quantifier::Any, 0, paths, any_prefix),
        ));
        // "kv" in exec.args and any a in exec.args: a in {"--force", "-f"}
        let kv = b.str("kv");
        let kv_in = b.is_in(kv, args, false);
        let forces = b.string_set(["--force", "-f"]);
        let forces = b.set(forces);
        let force_in = b.is_in(x0, forces, false);
        let any_force = b.quantified(Quantifier::Any, 0, args, force_in);
        conditions.push((exec_kind, b.and(vec![kv_in, any_force])));
        // len(exec.reads) > 0 and any r in exec.reads: r matches "/dev/*"
        let len_reads = b.call(Builtin::Len, vec![reads]);
        let zero = b.int(0);
        let some_reads = b.compare(CmpOp::Gt, len_reads, zero);
        let dev = b.matches(x0, Pattern::Glob("/dev/*".into())).unwrap();
        let any_dev = b.quantified(Quantifier::Any, 0, reads, dev);
        conditions.push((exec_kind, b.and(vec![some_reads, any_dev])));
        // exec.elevated
        conditions.push((exec_kind, b.field(Field::ExecElevated)));
        // not (exec.program == "ls")
        let ls = b.str("ls");
        let is_ls = b.compare(CmpOp::Eq, program, ls);
        conditions.push((exec_kind, b.not(is_ls)));
        // any a in exec.args: ends_with(a, ".sh") and exec.program == "bash"
        let sh = b.str(".sh");
        let ends = b.call(Builtin::EndsWith, vec![x0, sh]);
        let bash = b.str("bash");
        let is_bash = b.compare(CmpOp::Eq, program, bash);
        let both = b.and(vec![ends, is_bash]);
        conditions.push((exec_kind, b.quantified(Quantifier::Any, 0, args, both)));
        // on sql: stmt.kind in {drop, truncate} or stmt.kind == delete
        let kind = b.field(Field::StmtKind);
        let drops = b.enum_set(
            EnumType::StatementKind,
            [StatementKind::Drop, StatementKind::Truncate]
                .iter()
                .filter_map(|k| crate::ir::EnumValue::named(EnumType::StatementKind, k.name())),
        );
        let drops = b.set(drops);
        let kind_in = b.is_in(kind, drops, false);
        let delete = crate::ir::EnumValue::named(EnumType::StatementKind, "delete").unwrap();
        let delete = b.enum_value(delete);
        let is_delete = b.compare(CmpOp::Eq, kind, delete);
        conditions.push((Some(ActionKind::Sql), b.or(vec![kind_in, is_delete])));
        // on exec: any k in request.action_kinds: k in {sql}
        let kinds = b.field(Field::RequestActionKinds);
        let sql_kind = crate::ir::EnumValue::named(EnumType::ActionKind, "sql").unwrap();
        let sql_set = b.enum_set(EnumType::ActionKind, [sql_kind]);
        let sql_set = b.set(sql_set);
        let k_in = b.is_in(x0, sql_set, false);
        conditions.push((exec_kind, b.quantified(Quantifier::Any, 0, kinds, k_in)));
        // any a in exec.args: a matches re"^-{1,2}force$"
        let force_re = b
            .matches(x0, Pattern::Regex("^-{1,2}force$".into()))
            .unwrap();
        conditions.push((exec_kind, b.quantified(Quantifier::Any, 0, args, force_re)));
        // 0 < len(exec.hosts)
        let len_hosts = b.call(Builtin::Len, vec![hosts]);
        conditions.push((exec_kind, b.compare(CmpOp::Lt, zero, len_hosts)));
        // all a in exec.args: a == "rm"
        let rm = b.str("rm");
        let is_rm = b.compare(CmpOp::Eq, x0, rm);
        conditions.push((exec_kind, b.quantified(Quantifier::All, 0, args, is_rm)));
        // any a in exec.args: lower(a) == "rm"
        let lowered = b.call(Builtin::Lower, vec![x0]);
        let lower_rm = b.compare(CmpOp::Eq, lowered, rm);
        conditions.push((exec_kind, b.quantified(Quantifier::Any, 0, args, lower_rm)));
        // or() (never true) and and() (always true)
        conditions.push((exec_kind, b.or(vec![])));
        conditions.push((exec_kind, b.and(vec![])));
        // any d in {"kv", "rm"}: any a in exec.args: a == d
        let words = b.string_set(["kv", "rm"]);
        let words = b.set(words);
        let eq_d = b.compare(CmpOp::Eq, x1, x0);
        let any_arg = b.quantified(Quantifier::Any, 1, args, eq_d);
        conditions.push((exec_kind, b.quantified(Quantifier::Any, 0, words, any_arg)));
        // exec.program matches "*sh" and (target.env == "production" or len(exec.args) >= 2)
        let shells = b.matches(program, Pattern::Glob("*sh".into())).unwrap();
        let env = b.field(Field::TargetEnv);
        let production = b.str("production");
        let is_production = b.compare(CmpOp::Eq, env, production);
        let len_args = b.call(Builtin::Len, vec![args]);
        let two = b.int(2);
        let two_args = b.compare(CmpOp::Ge, len_args, two);
        let either = b.or(vec![is_production, two_args]);
        conditions.push((exec_kind, b.and(vec![shells, either])));
        // any p in exec.paths: basename(p) in {"passwd", "sda", "tcp"}
        let base = b.call(Builtin::Basename, vec![x0]);
        let names = b.string_set(["passwd", "sda", "tcp"]);
        let names = b.set(names);
        let base_in = b.is_in(base, names, false);
        conditions.push((exec_kind, b.quantified(Quantifier::Any, 0, paths, base_in)));
        // on request: any a in request.action_kinds: a in {sql}
        conditions.push((None, b.quantified(Quantifier::Any, 0, kinds, k_in)));
        // exec.program in {"dd", "rm"} and any p in exec.paths: contains(p, "hist") — a
        // substring clause after the first group, tested on demand.
        let hist = b.str("hist");
        let has_hist = b.call(Builtin::Contains, vec![x0, hist]);
        let any_hist = b.quantified(Quantifier::Any, 0, paths, has_hist);
        conditions.push((exec_kind, b.and(vec![in_programs, any_hist])));
        // An `or` of `and`s, whose selective clause is not its cheapest:
        // (exec.program in {"dd", "rm"} and any p in exec.paths: starts_with(p, "/etc/"))
        //   or (exec.elevated and any a in exec.args: a in {"--force", "-f"})
        let etc = b.str("/etc/");
        let under_etc = b.call(Builtin::StartsWith, vec![x0, etc]);
        let any_etc = b.quantified(Quantifier::Any, 0, paths, under_etc);
        let rm_etc = b.and(vec![in_programs, any_etc]);
        let elevated = b.field(Field::ExecElevated);
        let forced = b.and(vec![elevated, any_force]);
        conditions.push((exec_kind, b.or(vec![rm_etc, forced])));
        // `lower`, `basename` and `lower(basename(…))` of list values and of a string field,
        // as in the credential-file rules:
        // any o in exec.paths: o not in exec.reads and (lower(basename(o)) in {"id_rsa",
        //   ".pgpass", "credentials", "é"} or (any s in {".pem", "/.aws/credentials"}:
        //   ends_with(lower(o), s)) or basename(o) == ".env" or starts_with(basename(o),
        //   ".env.") and not ends_with(lower(o), ".example"))
        let not_read = b.is_in(x0, reads, true);
        let base = b.call(Builtin::Basename, vec![x0]);
        let lower_base = b.call(Builtin::Lower, vec![base]);
        let secret_names = b.string_set(["id_rsa", ".pgpass", "credentials", "\u{e9}"]);
        let secret_names = b.set(secret_names);
        let named = b.is_in(lower_base, secret_names, false);
        let lower_o = b.call(Builtin::Lower, vec![x0]);
        let suffixes = b.string_set([".pem", "/.aws/credentials"]);
        let suffixes = b.set(suffixes);
        let ends_lower = b.call(Builtin::EndsWith, vec![lower_o, x1]);
        let any_suffix = b.quantified(Quantifier::Any, 1, suffixes, ends_lower);
        let dot_env = b.str(".env");
        let is_env = b.compare(CmpOp::Eq, base, dot_env);
        let dot_env_dot = b.str(".env.");
        let env_prefixed = b.call(Builtin::StartsWith, vec![base, dot_env_dot]);
        let example = b.str(".example");
        let is_example = b.call(Builtin::EndsWith, vec![lower_o, example]);
        let not_example = b.not(is_example);
        let env_file = b.and(vec![env_prefixed, not_example]);
        let secret = b.or(vec![named, any_suffix, is_env, env_file]);
        let secret_path = b.and(vec![not_read, secret]);
        conditions.push((
            exec_kind,
            b.quantified(Quantifier::Any, 0, paths, secret_path),
        ));
        // Negated: not (any p in exec.paths: basename(p) == "passwd") — no condition.
        let passwd = b.str("passwd");
        let is_passwd = b.compare(CmpOp::Eq, base, passwd);
        let any_passwd = b.quantified(Quantifier::Any, 0, paths, is_passwd);
        conditions.push((exec_kind, b.not(any_passwd)));
        // A string field through views: basename(exec.program) == "rm" or
        //   lower(exec.program) in {"dd", "\u{e9}x"}
        let program_base = b.call(Builtin::Basename, vec![program]);
        let base_rm = b.compare(CmpOp::Eq, program_base, rm);
        let program_lower = b.call(Builtin::Lower, vec![program]);
        let lowered_names = b.string_set(["dd", "\u{e9}x"]);
        let lowered_names = b.set(lowered_names);
        let lower_in = b.is_in(program_lower, lowered_names, false);
        conditions.push((exec_kind, b.or(vec![base_rm, lower_in])));
        // Empty needles and a suffix equal to the whole value: any a in exec.args:
        //   ends_with(lower(a), "") and exec.program == "ls" or ends_with(basename(a), "tcp/")
        let empty = b.str("");
        let ends_empty = b.call(Builtin::EndsWith, vec![lowered, empty]);
        let empty_ls = b.and(vec![ends_empty, is_ls]);
        let tcp_slash = b.str("tcp/");
        let arg_base = b.call(Builtin::Basename, vec![x0]);
        let base_tcp = b.call(Builtin::EndsWith, vec![arg_base, tcp_slash]);
        let either = b.or(vec![empty_ls, base_tcp]);
        conditions.push((exec_kind, b.quantified(Quantifier::Any, 0, args, either)));
        // A substring of a lowered path after a program clause:
        // exec.program in {"dd", "rm"} and any p in exec.paths: contains(lower(p), "hist")
        let lower_p = b.call(Builtin::Lower, vec![x0]);
        let lower_hist = b.call(Builtin::Contains, vec![lower_p, hist]);
        let any_lower_hist = b.quantified(Quantifier::Any, 0, paths, lower_hist);
        conditions.push((exec_kind, b.and(vec![in_programs, any_lower_hist])));

        let message = [TemplatePiece::Text("m")];
        for (i, (on, condition)) in conditions.into_iter().enumerate() {
            let r = rule(
                &mut b,
                &format!("t.r{i}"),
                Effect::Warn,
                on,
                condition,
                &message,
            );
            b.rule(r);
        }
        b.finish().unwrap()
    }

    fn shapes_exec() -> impl Strategy<Value = guard_model::Action> {
        const VOCABULARY: &[&str] = &[
            "rm",
            "dd",
            "ls",
            "bash",
            "zsh",
            "kv",
            "--force",
            "-f",
            "force",
            "/dev/tcp/1.2.3.4/80",
            "x/dev/udp/",
            "/etc/",
            "/etc/passwd",
            "/usr",
            "/dev/sda",
            "tcp/",
            "run.sh",
            "RM",
            "",
            // For `lower`/`basename`: cases, non-ASCII, trailing slashes, whole-value suffixes.
            "/HOME/deploy/.ssh/ID_RSA",
            "id_rsa/",
            "/",
            "//",
            ".pem",
            "/x/\u{c9}a.PEM",
            "\u{c9}",
            "\u{130}",
            "/root/.aws/CREDENTIALS",
            "a/.aws/credentials/",
            ".env",
            "app/.env.production",
            "app/.ENV.example",
            ".env.Example",
            "x/.env/",
            "/var/hist",
            "/HIST",
            "\u{c9}X",
            "/usr/bin/rm",
            "/bin/",
            "passwd",
            "/etc/passwd/",
        ];
        let word = || prop::sample::select(VOCABULARY).prop_map(str::to_string);
        let words = || {
            prop::collection::vec(prop::sample::select(VOCABULARY).prop_map(Str::from), 0..4)
                .prop_map(guard_model::List::from)
        };
        (word(), words(), words(), words(), words(), any::<bool>()).prop_map(
            |(program, args, paths, reads, hosts, elevated)| {
                let mut action = exec(&program, &[], &[]);
                if let guard_model::ActionDetail::Exec(e) = &mut action.detail {
                    e.args = args.into_iter().collect();
                    e.paths = paths;
                    e.reads = reads;
                    e.hosts = hosts;
                    e.elevated = elevated;
                }
                action
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// The prefilter skips only rules that cannot match: decisions with it are those of
        /// plain evaluation, on actions built to hit and miss every atom.
        #[test]
        fn prefilter_agrees_with_reference_evaluation(
            env in prop::sample::select(&["production", "staging"][..]),
            actions in prop::collection::vec(
                prop_oneof![3 => shapes_exec(), 1 => action()],
                0..4,
            ),
        ) {
            let policy = prefilter_shapes_policy();
            let request = request(env, "x");
            let rcx = RequestContext::new(&request, &actions);
            prop_assert_eq!(decide_with(&policy, &rcx, false), decide_with(&policy, &rcx, true));
        }
    }

    /// One rule per fused quantifier shape ([`fused`]), each with `any` and `all`, plain and
    /// negated, over string list fields (and an enum list field, which keeps the general
    /// path), and one rule whose body is not fusable (a comparison with another variable).
    fn fused_shapes_policy() -> Policy {
        use guard_model::{ActionKind, Effect, Field};

        use crate::ir::{Pattern, PolicyBuilder, TemplatePiece};

        let mut b = PolicyBuilder::new(Effect::Allow);
        let x = b.local(0);
        let d = b.local(1);
        let mut bodies: Vec<(Field, ExprId)> = Vec::new();
        // x in {…} / x not in {…}
        let words = b.string_set(["-r", "recursive", "\u{e9}t\u{e9}", "/etc/", ""]);
        let words = b.set(words);
        let x_in = b.is_in(x, words, false);
        bodies.push((Field::ExecFlags, x_in));
        let x_not_in = b.is_in(x, words, true);
        bodies.push((Field::ExecArgs, x_not_in));
        // x in an int set (never true for a string)
        let ints = b.int_set([1, 2]);
        let ints = b.set(ints);
        bodies.push((Field::ExecArgs, b.is_in(x, ints, false)));
        // x == "s", "s" == x, x != "s"
        let rm = b.str("--no-preserve-root");
        bodies.push((Field::ExecArgs, b.compare(CmpOp::Eq, x, rm)));
        let etc = b.str("/etc/");
        bodies.push((Field::ExecPaths, b.compare(CmpOp::Eq, etc, x)));
        bodies.push((Field::ExecPaths, b.compare(CmpOp::Ne, x, etc)));
        // starts_with / ends_with / contains against a constant, including ""
        bodies.push((Field::ExecPaths, b.call(Builtin::StartsWith, vec![x, etc])));
        let tail = b.str("\u{e9}");
        bodies.push((Field::ExecPaths, b.call(Builtin::EndsWith, vec![x, tail])));
        let empty = b.str("");
        bodies.push((Field::ExecArgs, b.call(Builtin::Contains, vec![x, empty])));
        let lib = b.str("/lib");
        bodies.push((Field::ExecPaths, b.call(Builtin::Contains, vec![x, lib])));
        // x matches re / glob
        let re = b
            .matches(x, Pattern::Regex("^-[a-zA-Z]*[rR]".into()))
            .unwrap();
        bodies.push((Field::ExecArgs, re));
        let glob = b.matches(x, Pattern::Glob("/var/lib/*".into())).unwrap();
        bodies.push((Field::ExecPaths, glob));
        // any d in {…}: starts_with(x, d), and `x == d or starts_with(x, d)`
        let prefixes = b.string_set(["/etc/", "/usr", "/var/lib/", "/\u{e9}"]);
        let prefixes = b.set(prefixes);
        let starts = b.call(Builtin::StartsWith, vec![x, d]);
        let needles = b.quantified(Quantifier::Any, 1, prefixes, starts);
        bodies.push((Field::ExecPaths, needles));
        let eq_d = b.compare(CmpOp::Eq, x, d);
        let eq_or_starts = b.or(vec![eq_d, starts]);
        bodies.push((
            Field::ExecPaths,
            b.quantified(Quantifier::Any, 1, prefixes, eq_or_starts),
        ));
        // Nested prefixes (only the shortest matters), non-ASCII ones, one equal to a value.
        let nested = b.string_set(["/var", "/var/lib/", "/\u{e9}t", "/\u{e9}", "app"]);
        let nested = b.set(nested);
        let starts_nested = b.call(Builtin::StartsWith, vec![x, d]);
        bodies.push((
            Field::ExecPaths,
            b.quantified(Quantifier::Any, 1, nested, starts_nested),
        ));
        let suffixes = b.string_set([".pem", "\u{e9}", "/"]);
        let suffixes = b.set(suffixes);
        let ends = b.call(Builtin::EndsWith, vec![x, d]);
        bodies.push((
            Field::ExecPaths,
            b.quantified(Quantifier::Any, 1, suffixes, ends),
        ));
        // Views: lower(x), basename(x), lower(basename(x)), upper(x)
        let lower_x = b.call(Builtin::Lower, vec![x]);
        let secret = b.string_set(["id_rsa", "\u{e9}t\u{e9}", "-r"]);
        let secret = b.set(secret);
        bodies.push((Field::ExecArgs, b.is_in(lower_x, secret, false)));
        let base = b.call(Builtin::Basename, vec![x]);
        let lower_base = b.call(Builtin::Lower, vec![base]);
        bodies.push((Field::ExecPaths, b.is_in(lower_base, secret, false)));
        let app = b.str("app");
        bodies.push((Field::ExecPaths, b.compare(CmpOp::Eq, base, app)));
        let upper_x = b.call(Builtin::Upper, vec![x]);
        let upper_etc = b.str("/ETC/");
        bodies.push((
            Field::ExecPaths,
            b.call(Builtin::StartsWith, vec![upper_x, upper_etc]),
        ));
        let contains_lower = b.call(Builtin::Contains, vec![lower_x, d]);
        let markers = b.string_set(["audit", "\u{e9}"]);
        let markers = b.set(markers);
        bodies.push((
            Field::ExecArgs,
            b.quantified(Quantifier::Any, 1, markers, contains_lower),
        ));
        // and / or / not of atoms, with a regex after a cheap test (as in `bulk.guard`)
        let var_lib = b.str("/var/lib/");
        let under_var_lib = b.call(Builtin::StartsWith, vec![x, var_lib]);
        let state = b
            .matches(x, Pattern::Regex("^/var/lib/[^/]+/?$".into()))
            .unwrap();
        let not_needles = b.not(needles);
        bodies.push((
            Field::ExecPaths,
            b.and(vec![under_var_lib, not_needles, state]),
        ));
        let recursive = b.str("--recursive");
        let is_recursive = b.compare(CmpOp::Eq, x, recursive);
        bodies.push((Field::ExecArgs, b.or(vec![re, is_recursive])));
        let slash = b.str("/");
        let is_root = b.compare(CmpOp::Eq, x, slash);
        bodies.push((Field::ExecPaths, b.or(vec![is_root, x_in, needles])));
        // An enum list field: fused in the table, general at run time.
        let sql = crate::ir::EnumValue::named(EnumType::ActionKind, "sql").unwrap();
        let sql = b.enum_set(EnumType::ActionKind, [sql]);
        let sql = b.set(sql);
        bodies.push((Field::RequestActionKinds, b.is_in(x, sql, false)));
        bodies.push((Field::RequestActionKinds, b.compare(CmpOp::Eq, x, rm)));
        // Not fusable: the body compares with another field.
        let program = b.field(Field::ExecProgram);
        bodies.push((Field::ExecArgs, b.compare(CmpOp::Eq, x, program)));

        let message = [TemplatePiece::Text("m")];
        let mut n = 0;
        for (field, body) in bodies {
            let over = b.field(field);
            for quantifier in [Quantifier::Any, Quantifier::All] {
                let q = b.quantified(quantifier, 0, over, body);
                for condition in [q, b.not(q)] {
                    let r = rule(
                        &mut b,
                        &format!("t.f{n}"),
                        Effect::Warn,
                        Some(ActionKind::Exec),
                        condition,
                        &message,
                    );
                    b.rule(r);
                    n += 1;
                }
            }
        }
        b.finish().unwrap()
    }

    fn fused_exec() -> impl Strategy<Value = guard_model::Action> {
        const VOCABULARY: &[&str] = &[
            "",
            "-r",
            "-rf",
            "-fR",
            "-f",
            "recursive",
            "--recursive",
            "--no-preserve-root",
            "/",
            "/etc/",
            "/etc",
            "/etc/passwd",
            "/usr",
            "/usr/lib/x",
            "/var/lib/app",
            "/var/lib/app/",
            "/var/lib/app/tmp",
            "/var/lib/",
            "/tmp/app",
            "app",
            "/x/APP",
            "/var",
            "/vara",
            "/\u{e9}tat",
            "/home/d/.ssh/ID_RSA",
            "id_rsa/",
            "\u{e9}t\u{e9}",
            "\u{c9}T\u{c9}",
            "/\u{e9}",
            "/x/\u{e9}",
            "\u{130}",
            "key.PEM",
            "audit_log",
            "AUDIT",
            "x\u{c9}",
        ];
        let words = || {
            prop::collection::vec(prop::sample::select(VOCABULARY).prop_map(Str::from), 0..4)
                .prop_map(guard_model::List::from)
        };
        (words(), words(), words()).prop_map(|(flags, args, paths)| {
            let mut action = exec("rm", &[], &[]);
            if let guard_model::ActionDetail::Exec(e) = &mut action.detail {
                e.flags = flags;
                e.args = args.into_iter().collect();
                e.paths = paths;
            }
            action
        })
    }

    /// Every shape the fused table is meant to recognise is recognised (so the differential
    /// test below exercises the fused loop, not the general path).
    #[test]
    fn fused_shapes_are_recognised() {
        let policy = fused_shapes_policy();
        let plan = policy.plan();
        let fused: Vec<usize> = policy
            .data()
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                plan.fused
                    .get(
                        plan.needle_at[*i],
                        policy.data(),
                        &plan.needle_at,
                        &plan.needle_sets,
                    )
                    .is_some()
            })
            .map(|(i, _)| i)
            .collect();
        // Two quantifiers (`any`, `all`) per body; all but the last body are fused.
        let bodies = policy.rules().len() / 4;
        assert_eq!(fused.len(), 2 * (bodies - 1));
        assert_eq!(plan.fused.len(), fused.len() + 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// Fused quantifiers decide as the general path does: `any`/`all` over empty and
        /// non-empty lists, negated, non-ASCII values, views, several actions per request.
        #[test]
        fn fused_quantifiers_agree_with_reference_evaluation(
            actions in prop::collection::vec(
                prop_oneof![3 => fused_exec(), 1 => action()],
                0..4,
            ),
        ) {
            let policy = fused_shapes_policy();
            let request = request("production", "x");
            let rcx = RequestContext::new(&request, &actions);
            prop_assert_eq!(decide_with(&policy, &rcx, false), decide_with(&policy, &rcx, true));
        }
    }

    /// The prefilter does filter: an action meeting no atom of a rule skips it.
    #[test]
    fn prefilter_admits_only_rules_whose_atoms_hold() {
        let policy = prefilter_shapes_policy();
        let request = request("staging", "x");
        let quiet = [exec("cat", &[], &[])];
        let rcx = RequestContext::new(&request, &quiet);
        let cx = rcx.context(Some(&quiet[0]));
        let mut scratch = policy.prefilter().scratch();
        assert!(
            policy
                .prefilter()
                .prepare(guard_model::ActionKind::Exec, &cx, &mut scratch)
        );
        let todo = scratch.todo.clone();
        let admitted: Vec<usize> = (0..policy.rules().len())
            .filter(|i| policy.rules()[*i].on == Some(guard_model::ActionKind::Exec))
            .filter(|i| (todo[i / 64] >> (i % 64)) & 1 == 1)
            .filter(|i| policy.prefilter().admits(&policy, *i, &cx, &mut scratch))
            .collect();
        // `not`, `all` and `and()` have no necessary condition; `lower(a)` needs arguments;
        // the rules quantified over paths or arguments need them; `basename(exec.program)
        // == "rm"` needs the program to contain `rm`, `lower(exec.program) in {…}` it to be
        // one of the items ignoring ASCII case (or not ASCII): `cat` meets neither.
        assert_eq!(admitted, [5, 11, 14, 22]);

        // `rm` meets the cheapest clause of the last rule (a program in its sets) but not the
        // selective one (a path under `/etc/`, or a force flag): it is skipped.
        let last = 20;
        // Whether the prefilter lets rule `rule` be interpreted for `action`.
        let admitted = |rule: usize, action: &guard_model::Action| {
            let actions = [action.clone()];
            let rcx = RequestContext::new(&request, &actions);
            let cx = rcx.context(Some(&actions[0]));
            let mut scratch = policy.prefilter().scratch();
            policy
                .prefilter()
                .prepare(guard_model::ActionKind::Exec, &cx, &mut scratch);
            (scratch.todo[rule / 64] >> (rule % 64)) & 1 == 1
                && policy.prefilter().admits(&policy, rule, &cx, &mut scratch)
        };
        assert!(!admitted(last, &exec("rm", &[], &["/tmp/x"])));
        assert!(admitted(last, &exec("rm", &[], &["/etc/passwd"])));

        // The substring clause of the rule before it is not in the per-action scan (a rule's
        // later groups test substrings on demand) and still rules out `rm` on other paths.
        let hist = last - 1;
        assert!(
            policy
                .prefilter()
                .tests_on_demand(&crate::prefilter::Test::Contains("hist".into()))
        );
        assert!(!admitted(hist, &exec("rm", &[], &["/tmp/x"])));
        assert!(!admitted(hist, &exec("cat", &[], &["/root/.bash_history"])));
        assert!(admitted(hist, &exec("rm", &[], &["/root/.bash_history"])));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// The fast paths for common node shapes agree with plain evaluation.
        #[test]
        fn fast_paths_agree_with_reference_evaluation(
            request in request_strategy(),
            actions in prop::collection::vec(action(), 0..5),
        ) {
            let policy = standard_like_policy();
            let rcx = RequestContext::new(&request, &actions);
            prop_assert_eq!(decide_with(&policy, &rcx, false), decide_with(&policy, &rcx, true));
        }
    }
}
