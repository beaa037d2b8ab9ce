//! The checked program: what `guard-compile` lowers to the engine IR.
//!
//! Invariants (when [`crate::check`] reported no error):
//! - Self-contained: nothing here points back into the AST. Names are resolved to ids
//!   ([`SetId`], [`DefId`], `guard_model::schema::Field`, `(EnumType, u16)` variants,
//!   quantifier slots), patterns are validated strings, and every [`TExpr`] carries its
//!   `guard_model::Type` and span.
//! - Every field read is visible in the rule (or def) that reads it, and every def a rule uses
//!   is declared `on` the rule's kind or on nothing.
//! - Defs are kept as separate typed trees referenced by [`TExprKind::Def`], not inlined; the
//!   def graph is acyclic, so inlining them terminates. Every def has type `bool`.
//! - Quantifier variables are de Bruijn *levels*: [`TExprKind::Var`]`(n)` is bound by the
//!   enclosing [`TExprKind::Quantified`] whose `slot` is `n`; slots count from 0 at the root of
//!   each rule condition, template, or def body. A def body never sees its caller's variables.
//! - `and`/`or` chains are left-deep binary trees as long as the source wrote them (thousands
//!   of operands is valid): passes over them should walk a chain's spine in a loop, as
//!   `lint.rs` does, rather than recurse once per operand.
//! - When errors were reported, the program holds what could be checked (ill-typed parts are
//!   dropped) and must not be compiled.

use guard_diagnostics::{FileId, Span};
use guard_model::schema::{EnumType, Field, Scalar, Type};
use guard_model::{ActionKind, ActorKind, Channel, Dialect, Effect, Mode};

/// Index into [`Program::sets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetId(pub u32);

/// Index into [`Program::defs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId(pub u32);

/// Every checked module, in input file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Program {
    pub modules: Vec<Module>,
    /// The bundle's decision when no enforced rule matches; `None` only if an error said so.
    pub default: Option<Effect>,
    pub sets: Vec<SetDef>,
    pub defs: Vec<Def>,
    /// Rules in file order, then declaration order.
    pub rules: Vec<Rule>,
    pub tests: Vec<Test>,
}

impl Program {
    pub fn set(&self, id: SetId) -> Option<&SetDef> {
        self.sets.get(id.0 as usize)
    }

    pub fn def(&self, id: DefId) -> Option<&Def> {
        self.defs.get(id.0 as usize)
    }

    /// The rule with that id (`module.rule`).
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// Dotted name (`sql.destructive`); empty when the file declared none (a syntax error).
    pub name: String,
    pub doc: Vec<String>,
    /// Modules this one imports, by name.
    pub uses: Vec<String>,
    pub file: FileId,
    pub span: Span,
}

/// A `set`: constant data with one element type.
#[derive(Debug, Clone, PartialEq)]
pub struct SetDef {
    /// `module.name`.
    pub id: String,
    pub doc: Vec<String>,
    pub element: Scalar,
    /// In source order, duplicates removed.
    pub values: Vec<Const>,
    pub file: FileId,
    pub span: Span,
}

/// A constant scalar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Const {
    Bool(bool),
    Int(i64),
    Str(String),
    Enum(EnumType, u16),
}

impl Const {
    pub fn scalar(&self) -> Scalar {
        match self {
            Const::Bool(_) => Scalar::Bool,
            Const::Int(_) => Scalar::Int,
            Const::Str(_) => Scalar::Str,
            Const::Enum(t, _) => Scalar::Enum(*t),
        }
    }
}

/// A `def`: a named predicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    /// `module.name`.
    pub id: String,
    pub doc: Vec<String>,
    /// The action kind whose fields the body reads; `None` = only fields available everywhere
    /// (so the def is usable in every rule).
    pub on: Option<ActionKind>,
    /// Type `bool`.
    pub body: TExpr,
    pub file: FileId,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `module.rule`.
    pub id: String,
    pub doc: Vec<String>,
    pub effect: Effect,
    /// The action kind the rule is evaluated against; `None` = once per request.
    pub on: Option<ActionKind>,
    pub mode: Mode,
    /// All must hold (each of type `bool`); empty = always.
    pub when: Vec<TExpr>,
    /// None may hold (each of type `bool`).
    pub unless: Vec<TExpr>,
    /// Required by the checker; `None` only if an error said so.
    pub message: Option<Template>,
    pub help: Option<Template>,
    pub controls: Vec<String>,
    pub file: FileId,
    /// The whole rule; `name_span` is its name.
    pub span: Span,
    pub name_span: Span,
}

impl Rule {
    /// The rule's condition as one tree: `when₁ and … and not (unless₁ or …)`; `None` = always.
    pub fn condition(&self) -> Option<TExpr> {
        let conj = |a: TExpr, b: TExpr, op: fn(Box<TExpr>, Box<TExpr>) -> TExprKind| TExpr {
            span: a.span.cover(b.span),
            ty: Type::BOOL,
            kind: op(Box::new(a), Box::new(b)),
        };
        let when = self
            .when
            .iter()
            .cloned()
            .reduce(|a, b| conj(a, b, TExprKind::And));
        let unless = self
            .unless
            .iter()
            .cloned()
            .reduce(|a, b| conj(a, b, TExprKind::Or))
            .map(|u| TExpr {
                span: u.span,
                ty: Type::BOOL,
                kind: TExprKind::Not(Box::new(u)),
            });
        match (when, unless) {
            (Some(w), Some(u)) => Some(conj(w, u, TExprKind::And)),
            (w, u) => w.or(u),
        }
    }
}

/// A typed `message` / `help`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    /// Any type; lists and sets print as `a, b, c`.
    Expr(TExpr),
}

/// A typed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: Type,
    pub span: Span,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    /// The ordering operators compare ints only.
    Lt,
    Le,
    Gt,
    Ge,
}

/// Whether a literal collection is a set or a list (membership behaves the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectionKind {
    Set,
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    Any,
    All,
}

/// A validated pattern for `matches`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// A glob as written; compiles with `globset::Glob::new` (default options, so `*`
    /// crosses `/` and `.`). Matches the whole string.
    Glob(String),
    /// A regex as written; compiles with `regex::Regex::new`. Unanchored.
    Regex(String),
}

/// The built-in functions: defined once in `guard-model`, shared with the engine.
pub use guard_model::Builtin;

#[derive(Debug, Clone, PartialEq)]
pub enum TExprKind {
    Bool(bool),
    Int(i64),
    Str(String),
    Enum(EnumType, u16),
    Field(Field),
    /// A quantifier variable, by slot (see the module invariants).
    Var(u32),
    /// A named set (type `set<element>`).
    Set(SetId),
    /// A def (type `bool`).
    Def(DefId),
    /// A set or list literal; elements are scalars of the one element type.
    Collection {
        kind: CollectionKind,
        items: Vec<TExpr>,
    },
    Not(Box<TExpr>),
    And(Box<TExpr>, Box<TExpr>),
    Or(Box<TExpr>, Box<TExpr>),
    /// Both sides have the same scalar type (ints for ordering).
    Compare {
        op: CmpOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    /// `elem in coll` (or `not in` when `negated`); `elem` has `coll`'s element type.
    In {
        negated: bool,
        elem: Box<TExpr>,
        coll: Box<TExpr>,
    },
    /// `subject matches pattern`; `subject` is a string.
    Matches {
        subject: Box<TExpr>,
        pattern: Pattern,
        pattern_span: Span,
    },
    Call {
        builtin: Builtin,
        args: Vec<TExpr>,
    },
    /// `any|all <slot> in over: body`; `over` is a list or set, `body` a bool.
    Quantified {
        quantifier: Quantifier,
        slot: u32,
        name: String,
        over: Box<TExpr>,
        body: Box<TExpr>,
    },
}

/// A `test` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// `module.name`.
    pub id: String,
    pub doc: Vec<String>,
    /// The module's name, for resolving rules the cases name.
    pub module: String,
    pub cases: Vec<TestCase>,
    pub file: FileId,
    pub span: Span,
}

/// One test case: a request to build and the decision it must get.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub channel: Channel,
    pub command: String,
    /// `target.env`; empty when not given.
    pub env: String,
    /// `postgres` when not given.
    pub dialect: Dialect,
    /// `unknown` when not given.
    pub actor_kind: ActorKind,
    pub actor_id: String,
    pub groups: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub expect: Effect,
    /// The id (`module.rule`) of the rule that must be among the enforced matches.
    pub by: Option<String>,
    pub span: Span,
}

/// A readable, stable text form of the checked program (used by snapshot tests and handy when
/// debugging the compiler): every resolved name spelled out, conditions as typed s-expressions.
impl Program {
    pub fn dump(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for m in &self.modules {
            let _ = writeln!(out, "module {} uses [{}]", m.name, m.uses.join(", "));
        }
        match self.default {
            Some(e) => {
                let _ = writeln!(out, "default {e}");
            }
            None => out.push_str("default <none>\n"),
        }
        for s in &self.sets {
            let values: Vec<String> = s.values.iter().map(const_text).collect();
            let _ = writeln!(
                out,
                "set {}: set<{}> = {{{}}}",
                s.id,
                s.element,
                values.join(", ")
            );
        }
        for d in &self.defs {
            let on = d.on.map_or("request", |k| k.name());
            let _ = writeln!(out, "def {} on {on} = {}", d.id, self.expr_text(&d.body));
        }
        for r in &self.rules {
            let on = r.on.map_or("request", |k| k.name());
            let mode = match r.mode {
                Mode::Enforce => "enforce",
                Mode::Audit => "audit",
            };
            let _ = writeln!(out, "rule {}: {} on {on} ({mode})", r.id, r.effect);
            for w in &r.when {
                let _ = writeln!(out, "  when {}", self.expr_text(w));
            }
            for u in &r.unless {
                let _ = writeln!(out, "  unless {}", self.expr_text(u));
            }
            if let Some(m) = &r.message {
                let _ = writeln!(out, "  message {}", self.template_text(m));
            }
            if let Some(h) = &r.help {
                let _ = writeln!(out, "  help {}", self.template_text(h));
            }
            for c in &r.controls {
                let _ = writeln!(out, "  control {c:?}");
            }
        }
        for t in &self.tests {
            let _ = writeln!(out, "test {}", t.id);
            for c in &t.cases {
                let channel = c.channel.name();
                let by =
                    c.by.as_ref()
                        .map_or_else(String::new, |b| format!(" by {b}"));
                let _ = writeln!(
                    out,
                    "  {channel} {:?} env={:?} dialect={} actor={}:{:?} groups={:?} labels={:?} => {}{by}",
                    c.command,
                    c.env,
                    c.dialect,
                    c.actor_kind,
                    c.actor_id,
                    c.groups,
                    c.labels,
                    c.expect
                );
            }
        }
        out
    }

    fn template_text(&self, t: &Template) -> String {
        let mut out = String::from("\"");
        for part in &t.parts {
            match part {
                TemplatePart::Text(s) => out.push_str(&s.replace('{', "{{").replace('}', "}}")),
                TemplatePart::Expr(e) => {
                    out.push('{');
                    out.push_str(&self.expr_text(e));
                    out.push_str(": ");
                    out.push_str(&e.ty.to_string());
                    out.push('}');
                }
            }
        }
        out.push('"');
        out
    }

    /// A typed s-expression: `(in stmt.kind {drop:statement_kind, …})`, variables as `$slot`.
    pub fn expr_text(&self, e: &TExpr) -> String {
        let b = |e: &TExpr| self.expr_text(e);
        match &e.kind {
            TExprKind::Bool(v) => v.to_string(),
            TExprKind::Int(v) => v.to_string(),
            TExprKind::Str(s) => format!("{s:?}"),
            TExprKind::Enum(t, i) => format!("{}:{}", t.variant_name(*i), t.name()),
            TExprKind::Field(f) => f.def().path.to_string(),
            TExprKind::Var(slot) => format!("${slot}"),
            TExprKind::Set(id) => format!("set {}", self.set(*id).map_or("?", |s| s.id.as_str())),
            TExprKind::Def(id) => format!("def {}", self.def(*id).map_or("?", |d| d.id.as_str())),
            TExprKind::Collection { kind, items } => {
                let items: Vec<String> = items.iter().map(b).collect();
                match kind {
                    CollectionKind::Set => format!("{{{}}}", items.join(", ")),
                    CollectionKind::List => format!("[{}]", items.join(", ")),
                }
            }
            TExprKind::Not(x) => format!("(not {})", b(x)),
            TExprKind::And(l, r) => format!("(and {} {})", b(l), b(r)),
            TExprKind::Or(l, r) => format!("(or {} {})", b(l), b(r)),
            TExprKind::Compare { op, lhs, rhs } => {
                let op = match op {
                    CmpOp::Eq => "==",
                    CmpOp::Ne => "!=",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                format!("({op} {} {})", b(lhs), b(rhs))
            }
            TExprKind::In {
                negated,
                elem,
                coll,
            } => {
                format!(
                    "({} {} {})",
                    if *negated { "not-in" } else { "in" },
                    b(elem),
                    b(coll)
                )
            }
            TExprKind::Matches {
                subject, pattern, ..
            } => match pattern {
                Pattern::Glob(g) => format!("(matches {} glob{g:?})", b(subject)),
                Pattern::Regex(r) => format!("(matches {} re{r:?})", b(subject)),
            },
            TExprKind::Call { builtin, args } => {
                let args: Vec<String> = args.iter().map(b).collect();
                format!("({} {})", builtin.name(), args.join(" "))
            }
            TExprKind::Quantified {
                quantifier,
                slot,
                name,
                over,
                body,
            } => {
                let q = match quantifier {
                    Quantifier::Any => "any",
                    Quantifier::All => "all",
                };
                format!("({q} ${slot}={name} in {}: {})", b(over), b(body))
            }
        }
    }
}

fn const_text(c: &Const) -> String {
    match c {
        Const::Bool(v) => v.to_string(),
        Const::Int(v) => v.to_string(),
        Const::Str(s) => format!("{s:?}"),
        Const::Enum(t, i) => format!("{}:{}", t.variant_name(*i), t.name()),
    }
}
