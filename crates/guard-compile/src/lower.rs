//! Lowering a checked [`Program`] to the engine's IR, in two passes:
//!
//! 1. **fold**: each typed expression becomes an [`L`] tree. Sets and defs are resolved,
//!    constant subexpressions are evaluated (with exactly the engine's semantics), `and`/`or`
//!    chains are flattened, and a def whose body folds to a constant is replaced by it.
//! 2. **emit**: the [`L`] trees are written into a [`PolicyBuilder`] arena. A def that is
//!    not constant is emitted once and shared by every rule that uses it (its body sees no
//!    variable of its caller, so one copy means the same thing everywhere).
//!
//! Folding before emitting means the arena holds no dead nodes and no unused strings: the
//! bundle contains what evaluation reads and nothing else.
//!
//! Quantifier slots are kept as the checker numbered them (levels from 0 in each rule, template
//! or def body). A def's quantifier may reuse a slot its caller has bound: the engine saves and
//! restores a slot around each quantifier, and a def never reads its caller's variables.

use std::cmp::Ordering;
use std::collections::HashMap;

use guard_diagnostics::{Diagnostic, FileId, Span};
use guard_engine::Policy;
use guard_engine::ir::{
    self, EnumValue, ExprId, MAX_DEPTH, MAX_LOCALS, Node, PolicyBuilder, Rule as IrRule, SourceLoc,
    Template as IrTemplate, TemplatePiece,
};
use guard_model::schema::{Field, Scalar, Type};
use guard_sema::program::{
    Builtin, CmpOp, CollectionKind, Const, DefId, Pattern, Program, Quantifier, TExpr, TExprKind,
    Template, TemplatePart,
};

use crate::Options;
use crate::codes;

/// A folded expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum L {
    Const(Const),
    /// A constant set: one element type, canonical order (see [`canonical`]), no duplicates.
    ConstSet(Scalar, Vec<Const>),
    Field(Field),
    Var(u16),
    /// A def whose body is not constant; emitted once, shared.
    Def(DefId),
    /// A list literal, in source order.
    List(Vec<L>),
    Not(Box<L>),
    And(Vec<L>),
    Or(Vec<L>),
    Compare(CmpOp, Box<L>, Box<L>),
    In {
        item: Box<L>,
        coll: Box<L>,
        negated: bool,
    },
    Matches {
        subject: Box<L>,
        pattern: ir::Pattern,
    },
    Call(Builtin, Vec<L>),
    Quant {
        quantifier: Quantifier,
        slot: u16,
        over: Box<L>,
        body: Box<L>,
    },
}

const TRUE: L = L::Const(Const::Bool(true));
const FALSE: L = L::Const(Const::Bool(false));

/// The state of a def during folding.
#[derive(Debug, Clone)]
enum DefState {
    Pending,
    InProgress,
    Done(L),
}

pub(crate) struct Compiler<'p> {
    program: &'p Program,
    options: Options,
    diags: Vec<Diagnostic>,
    /// The file of the item being lowered, for diagnostics.
    file: FileId,
    defs: Vec<DefState>,
    builder: PolicyBuilder,
    /// Emitted defs: node and depth.
    def_nodes: Vec<Option<(ExprId, usize)>>,
    /// Emitted leaves (constants, fields, variables, sets), shared by every use.
    leaves: HashMap<Leaf, ExprId>,
    /// Each distinct pattern compiled once: the matcher, or why the engine rejects it.
    matchers: HashMap<ir::Pattern, Result<ir::Matcher, String>>,
}

/// A leaf node, for sharing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Leaf {
    Const(Const),
    Field(Field),
    Var(u16),
    Set(Scalar, Vec<Const>),
}

impl<'p> Compiler<'p> {
    pub(crate) fn new(
        program: &'p Program,
        options: Options,
        default: guard_model::Effect,
    ) -> Compiler<'p> {
        Compiler {
            program,
            options,
            diags: Vec::new(),
            file: FileId(0),
            defs: vec![DefState::Pending; program.defs.len()],
            builder: PolicyBuilder::new(default),
            def_nodes: vec![None; program.defs.len()],
            leaves: HashMap::new(),
            matchers: HashMap::new(),
        }
    }

    pub(crate) fn run(mut self) -> Result<Policy, Vec<Diagnostic>> {
        for rule in &self.program.rules {
            self.file = rule.file;
            let condition = match rule.condition() {
                Some(c) => self.fold(&c),
                None => TRUE,
            };
            let (condition, depth) = self.emit(&condition);
            let mut too_deep = depth > MAX_DEPTH;
            let message = match &rule.message {
                Some(t) => {
                    let (t, d) = self.template(t);
                    too_deep |= d > MAX_DEPTH;
                    t
                }
                None => {
                    self.error(
                        Diagnostic::error(
                            codes::INVALID_PROGRAM,
                            rule.name_span,
                            format!("rule `{}` has no message", rule.id),
                        )
                        .with_label("this rule")
                        .with_help(
                            "every rule needs a `message`; fix the errors reported before this one",
                        ),
                    );
                    IrTemplate::default()
                }
            };
            let help = match &rule.help {
                Some(t) => {
                    let (t, d) = self.template(t);
                    too_deep |= d > MAX_DEPTH;
                    t
                }
                None => IrTemplate::default(),
            };
            if too_deep {
                self.error(
                    Diagnostic::error(
                        codes::TOO_DEEP,
                        rule.name_span,
                        format!("rule `{}` nests deeper than {MAX_DEPTH} levels once its defs are inlined", rule.id),
                    )
                    .with_label("this rule is too deep to evaluate")
                    .with_help("depth counts after inlining, so each def adds its own depth where it is used; long `and`/`or` chains are flat and cost nothing"),
                );
            }
            self.builder.rule(IrRule {
                id: rule.id.clone(),
                doc: rule.doc.join("\n"),
                effect: rule.effect,
                mode: rule.mode,
                on: rule.on,
                condition,
                message,
                help,
                controls: rule.controls.clone(),
                source: SourceLoc {
                    file: rule.file.0,
                    span: [rule.span.start, rule.span.end],
                },
            });
        }
        if !self.diags.is_empty() {
            return Err(self.diags);
        }
        self.builder.finish().map_err(|e| {
            vec![
                Diagnostic::error(
                    codes::INVALID_PROGRAM,
                    Span::default(),
                    format!("the compiled policy is invalid: {e}"),
                )
                .with_help("this is a bug in guard-compile; please report it with the policy"),
            ]
        })
    }

    fn error(&mut self, d: Diagnostic) {
        let file = self.file;
        self.diags.push(d.in_file(file));
    }

    // ---------------------------------------------------------------- fold

    pub(crate) fn fold(&mut self, e: &TExpr) -> L {
        match &e.kind {
            TExprKind::Bool(b) => L::Const(Const::Bool(*b)),
            TExprKind::Int(i) => L::Const(Const::Int(*i)),
            TExprKind::Str(s) => L::Const(Const::Str(s.clone())),
            TExprKind::Enum(t, i) => L::Const(Const::Enum(*t, *i)),
            TExprKind::Field(f) => L::Field(*f),
            TExprKind::Var(slot) => match self.slot(*slot, e.span) {
                Some(s) => L::Var(s),
                None => FALSE,
            },
            TExprKind::Set(id) => match self.program.set(*id) {
                Some(set) => L::ConstSet(set.element, canonical(set.values.clone())),
                None => self.dangling("set", id.0, e.span),
            },
            TExprKind::Def(id) => self.def(*id, e.span),
            TExprKind::Collection { kind, items } => {
                let element = match e.ty {
                    Type::Set(s) | Type::List(s) | Type::Scalar(s) => s,
                };
                let items: Vec<L> = items.iter().map(|i| self.fold(i)).collect();
                match kind {
                    CollectionKind::Set => match all_const(&items) {
                        Some(values) => L::ConstSet(element, canonical(values)),
                        None => L::List(items),
                    },
                    CollectionKind::List => L::List(items),
                }
            }
            TExprKind::Not(x) => {
                let x = self.fold(x);
                self.not(x)
            }
            TExprKind::And(a, b) => {
                let items = vec![self.fold(a), self.fold(b)];
                self.junction(true, items)
            }
            TExprKind::Or(a, b) => {
                let items = vec![self.fold(a), self.fold(b)];
                self.junction(false, items)
            }
            TExprKind::Compare { op, lhs, rhs } => {
                let (l, r) = (self.fold(lhs), self.fold(rhs));
                if self.options.optimize
                    && let (L::Const(a), L::Const(b)) = (&l, &r)
                {
                    return L::Const(Const::Bool(compare(*op, a, b)));
                }
                L::Compare(*op, Box::new(l), Box::new(r))
            }
            TExprKind::In {
                negated,
                elem,
                coll,
            } => {
                let (item, coll) = (self.fold(elem), self.fold(coll));
                self.is_in(item, coll, *negated)
            }
            TExprKind::Matches {
                subject,
                pattern,
                pattern_span,
            } => {
                let subject = self.fold(subject);
                let pattern = match pattern {
                    Pattern::Glob(g) => ir::Pattern::Glob(g.clone()),
                    Pattern::Regex(r) => ir::Pattern::Regex(r.clone()),
                };
                let matcher = match self.matcher(&pattern) {
                    Ok(m) => m,
                    Err(why) => {
                        self.error(
                            Diagnostic::error(
                                codes::INVALID_PATTERN,
                                *pattern_span,
                                format!("the engine cannot compile this pattern: {why}"),
                            )
                            .with_label("rejected by the engine")
                            .with_help("simplify the pattern (regexes compile to at most 1 MiB)"),
                        );
                        return FALSE;
                    }
                };
                if self.options.optimize
                    && let L::Const(c) = &subject
                {
                    let matched = matches!(c, Const::Str(s) if matcher.is_match(s));
                    return L::Const(Const::Bool(matched));
                }
                L::Matches {
                    subject: Box::new(subject),
                    pattern,
                }
            }
            TExprKind::Call { builtin, args } => {
                if *builtin == Builtin::Len
                    && let Some(arg) = args.first()
                {
                    self.require_literal_set(arg, "`len`");
                }
                let args: Vec<L> = args.iter().map(|a| self.fold(a)).collect();
                if self.options.optimize
                    && let Some(c) = call(*builtin, &args)
                {
                    return L::Const(c);
                }
                L::Call(*builtin, args)
            }
            TExprKind::Quantified {
                quantifier,
                slot,
                over,
                body,
                ..
            } => {
                let Some(slot) = self.slot(*slot, e.span) else {
                    return FALSE;
                };
                let (over, body) = (self.fold(over), self.fold(body));
                if self.options.optimize {
                    let len = match &over {
                        L::ConstSet(_, items) => Some(items.len()),
                        L::List(items) => Some(items.len()),
                        _ => None,
                    };
                    match (len, &body) {
                        (Some(0), _) => {
                            return L::Const(Const::Bool(*quantifier == Quantifier::All));
                        }
                        (Some(_), L::Const(c)) => {
                            return L::Const(Const::Bool(*c == Const::Bool(true)));
                        }
                        _ => {}
                    }
                }
                L::Quant {
                    quantifier: *quantifier,
                    slot,
                    over: Box::new(over),
                    body: Box::new(body),
                }
            }
        }
    }

    /// The engine has sets of constants only: a set literal with computed elements is
    /// evaluated as a list, which behaves the same under `in` and quantifiers but not under
    /// `len` (duplicates) or in a message (order, duplicates). Those uses are an error, decided
    /// on the source (literal elements or not), so folding never changes what compiles.
    fn require_literal_set(&mut self, e: &TExpr, what: &str) {
        let TExprKind::Collection {
            kind: CollectionKind::Set,
            items,
        } = &e.kind
        else {
            return;
        };
        let literal = |i: &TExpr| {
            matches!(
                i.kind,
                TExprKind::Bool(_) | TExprKind::Int(_) | TExprKind::Str(_) | TExprKind::Enum(..)
            )
        };
        if !items.iter().all(literal) {
            self.error(
                Diagnostic::error(
                    codes::COMPUTED_SET,
                    e.span,
                    format!("a set literal with computed elements cannot be used in {what}"),
                )
                .with_label("not every element is a literal")
                .with_help("use a list literal `[…]` (it keeps order and duplicates), or a set of literals"),
            );
        }
    }

    /// Compiles a pattern as the engine will at load (once per distinct pattern).
    fn matcher(&mut self, pattern: &ir::Pattern) -> Result<ir::Matcher, String> {
        if let Some(done) = self.matchers.get(pattern) {
            return done.clone();
        }
        let result = pattern.compile().map_err(|e| match e {
            ir::IrError::BadPattern { message, .. } => message,
            other => other.to_string(),
        });
        self.matchers.insert(pattern.clone(), result.clone());
        result
    }

    fn slot(&mut self, slot: u32, span: Span) -> Option<u16> {
        match u16::try_from(slot) {
            Ok(s) if usize::from(s) < MAX_LOCALS => Some(s),
            _ => {
                self.error(
                    Diagnostic::error(
                        codes::TOO_MANY_VARIABLES,
                        span,
                        format!("quantifiers nest more than {MAX_LOCALS} deep"),
                    )
                    .with_label("this variable is one too many")
                    .with_help("move the inner quantifiers into a `def`"),
                );
                None
            }
        }
    }

    fn dangling(&mut self, what: &str, id: u32, span: Span) -> L {
        self.error(
            Diagnostic::error(
                codes::INVALID_PROGRAM,
                span,
                format!("reference to {what} #{id}, which the program lacks"),
            )
            .with_help("fix the errors reported before this one"),
        );
        FALSE
    }

    fn def(&mut self, id: DefId, span: Span) -> L {
        let index = id.0 as usize;
        match self.defs.get(index).cloned() {
            None => self.dangling("def", id.0, span),
            Some(DefState::Done(body)) => self.def_ref(id, body),
            Some(DefState::InProgress) => {
                self.error(
                    Diagnostic::error(
                        codes::INVALID_PROGRAM,
                        span,
                        "defs refer to each other in a cycle",
                    )
                    .with_help("fix the errors reported before this one"),
                );
                FALSE
            }
            Some(DefState::Pending) => {
                let Some(def) = self.program.def(id) else {
                    return self.dangling("def", id.0, span);
                };
                if let Some(state) = self.defs.get_mut(index) {
                    *state = DefState::InProgress;
                }
                let caller_file = std::mem::replace(&mut self.file, def.file);
                let body = self.fold(&def.body);
                self.file = caller_file;
                if let Some(state) = self.defs.get_mut(index) {
                    *state = DefState::Done(body.clone());
                }
                self.def_ref(id, body)
            }
        }
    }

    fn def_ref(&self, id: DefId, body: L) -> L {
        match body {
            L::Const(c) if self.options.optimize => L::Const(c),
            _ => L::Def(id),
        }
    }

    fn not(&self, x: L) -> L {
        if self.options.optimize {
            match x {
                L::Const(c) => return L::Const(Const::Bool(c != Const::Bool(true))),
                L::Not(inner) => return *inner,
                _ => {}
            }
        }
        L::Not(Box::new(x))
    }

    /// `and` (`conjunction`) or `or`: flattened, constants folded.
    fn junction(&self, conjunction: bool, items: Vec<L>) -> L {
        let wrap = |items| {
            if conjunction {
                L::And(items)
            } else {
                L::Or(items)
            }
        };
        if !self.options.optimize {
            return wrap(items);
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                L::And(inner) if conjunction => out.extend(inner),
                L::Or(inner) if !conjunction => out.extend(inner),
                // The engine's truthiness: only `true` is true.
                L::Const(c) => {
                    let truthy = c == Const::Bool(true);
                    if truthy != conjunction {
                        // `false` in an `and`, `true` in an `or`: decides the whole.
                        return L::Const(Const::Bool(!conjunction));
                    }
                }
                other => out.push(other),
            }
        }
        match out.len() {
            0 => L::Const(Const::Bool(conjunction)),
            1 => out.pop().unwrap_or(FALSE),
            _ => {
                // Evaluation is pure and total, so operands may run in any order: cheapest
                // first, so the usual case (an action of the kind that is not the one a rule
                // is about) is rejected by a field comparison before a def or a quantifier
                // runs. Ties keep source order, so the result is deterministic.
                let mut keyed: Vec<(u32, usize, L)> = out
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| (self.cost(&l), i, l))
                    .collect();
                keyed.sort_by_key(|(cost, i, _)| (*cost, *i));
                wrap(keyed.into_iter().map(|(_, _, l)| l).collect())
            }
        }
    }

    /// A rough estimate of the work evaluating `l` takes (field reads and comparisons are
    /// 1; calls, patterns and quantifiers cost more); only its order matters.
    fn cost(&self, l: &L) -> u32 {
        let sum = |items: &[L]| {
            items
                .iter()
                .fold(0u32, |acc, i| acc.saturating_add(self.cost(i)))
        };
        match l {
            L::Const(_) | L::ConstSet(..) => 0,
            L::Field(_) | L::Var(_) => 1,
            L::Def(id) => match self.defs.get(id.0 as usize) {
                Some(DefState::Done(body)) => self.cost(body),
                _ => 1,
            },
            L::List(items) | L::And(items) | L::Or(items) => sum(items).saturating_add(1),
            L::Not(x) => self.cost(x).saturating_add(1),
            L::Compare(_, a, b) => self.cost(a).saturating_add(self.cost(b)).saturating_add(1),
            L::In { item, coll, .. } => {
                let lookup = match coll.as_ref() {
                    L::ConstSet(..) => 1,
                    // A scan of a list: a few elements on average.
                    other => self.cost(other).saturating_mul(2).saturating_add(3),
                };
                self.cost(item).saturating_add(lookup).saturating_add(1)
            }
            L::Matches { subject, .. } => self.cost(subject).saturating_add(8),
            L::Call(_, args) => sum(args).saturating_add(3),
            L::Quant { over, body, .. } => self
                .cost(over)
                .saturating_add(self.cost(body).saturating_mul(4))
                .saturating_add(4),
        }
    }

    fn is_in(&self, item: L, coll: L, negated: bool) -> L {
        if self.options.optimize {
            let constant_list = match &coll {
                L::List(items) => all_const(items),
                _ => None,
            };
            let members = match (&coll, &constant_list) {
                (L::ConstSet(_, items), _) => Some(items.as_slice()),
                (_, Some(items)) => Some(items.as_slice()),
                _ => None,
            };
            if let Some(members) = members {
                if let L::Const(c) = &item {
                    return L::Const(Const::Bool(members.contains(c) != negated));
                }
                if members.is_empty() {
                    return L::Const(Const::Bool(negated));
                }
                // A list of constants tested for membership is a set: a hash lookup at run time.
                if let Some(items) = constant_list
                    && let Some(element) = items.first().map(Const::scalar)
                    && items.iter().all(|c| c.scalar() == element)
                {
                    return L::In {
                        item: Box::new(item),
                        coll: Box::new(L::ConstSet(element, canonical(items))),
                        negated,
                    };
                }
            }
        }
        L::In {
            item: Box::new(item),
            coll: Box::new(coll),
            negated,
        }
    }

    // ---------------------------------------------------------------- emit

    /// Writes `l` into the arena; returns its node and depth (a leaf is 1).
    pub(crate) fn emit(&mut self, l: &L) -> (ExprId, usize) {
        match l {
            L::Const(c) => (self.leaf(Leaf::Const(c.clone())), 1),
            L::ConstSet(element, items) => {
                let depth = if *element == Scalar::Bool { 2 } else { 1 };
                (self.leaf(Leaf::Set(*element, items.clone())), depth)
            }
            L::Field(f) => (self.leaf(Leaf::Field(*f)), 1),
            L::Var(slot) => (self.leaf(Leaf::Var(*slot)), 1),
            L::Def(id) => {
                if let Some(Some(done)) = self.def_nodes.get(id.0 as usize) {
                    return *done;
                }
                let body = match self.defs.get(id.0 as usize) {
                    Some(DefState::Done(body)) => body.clone(),
                    _ => FALSE,
                };
                let done = self.emit(&body);
                if let Some(slot) = self.def_nodes.get_mut(id.0 as usize) {
                    *slot = Some(done);
                }
                done
            }
            L::List(items) => {
                let (ids, depth) = self.emit_all(items);
                (self.builder.node(Node::List(ids.into())), depth + 1)
            }
            L::Not(x) => {
                let (x, d) = self.emit(x);
                (self.builder.not(x), d + 1)
            }
            L::And(items) => {
                let (ids, depth) = self.emit_all(items);
                (self.builder.and(ids), depth + 1)
            }
            L::Or(items) => {
                let (ids, depth) = self.emit_all(items);
                (self.builder.or(ids), depth + 1)
            }
            L::Compare(op, a, b) => {
                let ((a, da), (b, db)) = (self.emit(a), self.emit(b));
                (self.builder.compare(cmp_op(*op), a, b), da.max(db) + 1)
            }
            L::In {
                item,
                coll,
                negated,
            } => {
                let ((i, di), (c, dc)) = (self.emit(item), self.emit(coll));
                (self.builder.is_in(i, c, *negated), di.max(dc) + 1)
            }
            L::Matches { subject, pattern } => {
                let (s, d) = self.emit(subject);
                // The pattern compiled during folding, so this cannot fail; should it, the
                // node is `false` and `finish` is never reached because of the diagnostic.
                match self.builder.matches(s, pattern.clone()) {
                    Ok(id) => (id, d + 1),
                    Err(e) => {
                        self.error(Diagnostic::error(
                            codes::INVALID_PATTERN,
                            Span::default(),
                            format!("the engine cannot compile a pattern: {e}"),
                        ));
                        (self.builder.bool(false), 1)
                    }
                }
            }
            L::Call(builtin, args) => {
                let (ids, depth) = self.emit_all(args);
                (self.builder.call(*builtin, ids), depth + 1)
            }
            L::Quant {
                quantifier,
                slot,
                over,
                body,
            } => {
                let ((o, d_over), (b, d_body)) = (self.emit(over), self.emit(body));
                let q = match quantifier {
                    Quantifier::Any => ir::Quantifier::Any,
                    Quantifier::All => ir::Quantifier::All,
                };
                (
                    self.builder.quantified(q, *slot, o, b),
                    d_over.max(d_body) + 1,
                )
            }
        }
    }

    fn emit_all(&mut self, items: &[L]) -> (Vec<ExprId>, usize) {
        let mut ids = Vec::with_capacity(items.len());
        let mut depth = 0;
        for item in items {
            let (id, d) = self.emit(item);
            ids.push(id);
            depth = depth.max(d);
        }
        (ids, depth)
    }

    /// A leaf's node, emitted on first use. Sharing is deterministic: the first use decides
    /// the id, and uses come in program order.
    fn leaf(&mut self, leaf: Leaf) -> ExprId {
        if let Some(id) = self.leaves.get(&leaf) {
            return *id;
        }
        let id = match &leaf {
            Leaf::Const(c) => self.constant(c),
            Leaf::Field(f) => self.builder.field(*f),
            Leaf::Var(slot) => self.builder.local(*slot),
            Leaf::Set(element, items) => self.const_set(*element, items),
        };
        self.leaves.insert(leaf, id);
        id
    }

    fn constant(&mut self, c: &Const) -> ExprId {
        match c {
            Const::Bool(b) => self.builder.bool(*b),
            Const::Int(i) => self.builder.int(*i),
            Const::Str(s) => self.builder.str(s),
            Const::Enum(ty, index) => self.builder.enum_value(EnumValue {
                ty: *ty,
                index: *index,
            }),
        }
    }

    fn const_set(&mut self, element: Scalar, items: &[Const]) -> ExprId {
        let set = match element {
            Scalar::Str => self
                .builder
                .string_set(items.iter().filter_map(|c| match c {
                    Const::Str(s) => Some(s.as_str()),
                    _ => None,
                })),
            Scalar::Int => self.builder.int_set(items.iter().filter_map(|c| match c {
                Const::Int(i) => Some(*i),
                _ => None,
            })),
            Scalar::Enum(ty) => self.builder.enum_set(
                ty,
                items.iter().filter_map(|c| match c {
                    Const::Enum(t, index) => Some(EnumValue {
                        ty: *t,
                        index: *index,
                    }),
                    _ => None,
                }),
            ),
            // The engine has no set of bools: a list of them behaves the same.
            Scalar::Bool => {
                let ids = items
                    .iter()
                    .map(|c| self.leaf(Leaf::Const(c.clone())))
                    .collect();
                return self.builder.node(Node::List(ids));
            }
        };
        self.builder.set(set)
    }

    fn template(&mut self, t: &Template) -> (IrTemplate, usize) {
        enum Piece {
            Text(String),
            Expr(ExprId),
        }
        let mut pieces = Vec::with_capacity(t.parts.len());
        let mut depth = 0;
        for part in &t.parts {
            match part {
                TemplatePart::Text(s) => pieces.push(Piece::Text(s.clone())),
                TemplatePart::Expr(e) => {
                    self.require_literal_set(e, "a message");
                    let l = self.fold(e);
                    match self.options.optimize.then(|| render_const(&l)).flatten() {
                        Some(text) => pieces.push(Piece::Text(text)),
                        None => {
                            let (id, d) = self.emit(&l);
                            depth = depth.max(d);
                            pieces.push(Piece::Expr(id));
                        }
                    }
                }
            }
        }
        let refs: Vec<TemplatePiece<'_>> = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(s) => TemplatePiece::Text(s),
                Piece::Expr(id) => TemplatePiece::Expr(*id),
            })
            .collect();
        (self.builder.template(&refs), depth)
    }
}

/// Sorted as the engine stores sets (strings by text, ints by value, enum variants and bools
/// by index), duplicates removed.
pub(crate) fn canonical(mut values: Vec<Const>) -> Vec<Const> {
    values.sort_by(cmp_const);
    values.dedup();
    values
}

fn cmp_const(a: &Const, b: &Const) -> Ordering {
    fn rank(c: &Const) -> u8 {
        match c {
            Const::Bool(_) => 0,
            Const::Int(_) => 1,
            Const::Str(_) => 2,
            Const::Enum(..) => 3,
        }
    }
    match (a, b) {
        (Const::Bool(x), Const::Bool(y)) => x.cmp(y),
        (Const::Int(x), Const::Int(y)) => x.cmp(y),
        (Const::Str(x), Const::Str(y)) => x.cmp(y),
        (Const::Enum(t, x), Const::Enum(u, y)) => (t, x).cmp(&(u, y)),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn all_const(items: &[L]) -> Option<Vec<Const>> {
    items
        .iter()
        .map(|i| match i {
            L::Const(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// `==`, `!=` and the int orderings, as the engine compares (different types are unequal).
fn compare(op: CmpOp, a: &Const, b: &Const) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => match (a, b) {
            (Const::Int(x), Const::Int(y)) => match op {
                CmpOp::Lt => x < y,
                CmpOp::Le => x <= y,
                CmpOp::Gt => x > y,
                _ => x >= y,
            },
            _ => false,
        },
    }
}

/// A built-in applied to constant arguments, as the engine computes it; `None` when an
/// argument is not constant.
fn call(builtin: Builtin, args: &[L]) -> Option<Const> {
    let first = args.first()?;
    let string = |l: &L| match l {
        L::Const(Const::Str(s)) => Some(s.clone()),
        L::Const(_) => Some(String::new()),
        _ => None,
    };
    match builtin {
        Builtin::Len => {
            let n = match first {
                L::Const(Const::Str(s)) => s.chars().count(),
                L::Const(_) => 0,
                L::ConstSet(_, items) => items.len(),
                L::List(items) => items.len(),
                _ => return None,
            };
            Some(Const::Int(i64::try_from(n).unwrap_or(i64::MAX)))
        }
        Builtin::Lower => match first {
            L::Const(_) => Some(Const::Str(string(first)?.to_lowercase())),
            _ => None,
        },
        Builtin::Upper => match first {
            L::Const(_) => Some(Const::Str(string(first)?.to_uppercase())),
            _ => None,
        },
        Builtin::Basename => match first {
            L::Const(_) => Some(Const::Str(basename(&string(first)?).to_string())),
            _ => None,
        },
        Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains => {
            let (L::Const(a), L::Const(b)) = (first, args.get(1)?) else {
                return None;
            };
            let result = match (a, b) {
                (Const::Str(s), Const::Str(p)) => match builtin {
                    Builtin::StartsWith => s.starts_with(p.as_str()),
                    Builtin::EndsWith => s.ends_with(p.as_str()),
                    _ => s.contains(p.as_str()),
                },
                _ => false,
            };
            Some(Const::Bool(result))
        }
    }
}

/// The engine's `basename`: the text after the last `/`, trailing slashes ignored; `/` for
/// a path of slashes only.
fn basename(s: &str) -> &str {
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() {
        return if s.is_empty() { "" } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The text the engine would interpolate for a constant; `None` when not constant.
fn render_const(l: &L) -> Option<String> {
    fn one(c: &Const) -> String {
        match c {
            Const::Bool(b) => b.to_string(),
            Const::Int(i) => i.to_string(),
            Const::Str(s) => s.clone(),
            Const::Enum(t, i) => t.variant_name(*i).to_string(),
        }
    }
    match l {
        L::Const(c) => Some(one(c)),
        L::ConstSet(_, items) => Some(items.iter().map(one).collect::<Vec<_>>().join(", ")),
        L::List(items) => Some(
            all_const(items)?
                .iter()
                .map(one)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

fn cmp_op(op: CmpOp) -> ir::CmpOp {
    match op {
        CmpOp::Eq => ir::CmpOp::Eq,
        CmpOp::Ne => ir::CmpOp::Ne,
        CmpOp::Lt => ir::CmpOp::Lt,
        CmpOp::Le => ir::CmpOp::Le,
        CmpOp::Gt => ir::CmpOp::Gt,
        CmpOp::Ge => ir::CmpOp::Ge,
    }
}
