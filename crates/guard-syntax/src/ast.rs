//! The abstract syntax tree of one `.guard` file. Every node carries the byte [`Span`] of its
//! source text. The tree is what the parser understood; names are not resolved here.

use guard_diagnostics::Span;

/// A name with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A dotted path: `sql.destructive`, `stmt.kind`, `config.protected_envs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The path as written, segments joined by `.`.
    pub fn dotted(&self) -> String {
        let names: Vec<&str> = self.segments.iter().map(|s| s.name.as_str()).collect();
        names.join(".")
    }
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    /// `module a.b`; `None` when missing (a diagnostic was reported).
    pub module: Option<ModuleDecl>,
    pub items: Vec<Item>,
    /// Every `//` comment, in source order: trivia the formatter must put back.
    pub comments: Vec<Comment>,
}

/// A `//` comment (not a `///` doc comment, which belongs to its item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The text from `//` to the end of the line, trailing whitespace removed.
    pub text: String,
    pub span: Span,
    /// Nothing but whitespace precedes it on its line.
    pub own_line: bool,
    /// The line after it is blank: the formatter keeps that separation.
    pub blank_after: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleDecl {
    pub doc: Vec<String>,
    pub path: Path,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Use(UseDecl),
    Default(DefaultDecl),
    Set(SetDecl),
    Def(DefDecl),
    Rule(RuleDecl),
    Test(TestDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Use(i) => i.span,
            Item::Default(i) => i.span,
            Item::Set(i) => i.span,
            Item::Def(i) => i.span,
            Item::Rule(i) => i.span,
            Item::Test(i) => i.span,
        }
    }
}

/// `use a.b` or `use a.b as c`: names of module `a.b` are reachable as `b.name` (or `c.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseDecl {
    pub path: Path,
    pub alias: Option<Ident>,
    pub span: Span,
}

/// `default allow` / `default deny`: the bundle's decision when no rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultDecl {
    pub effect: Effect,
    pub effect_span: Span,
    pub span: Span,
}

/// `set name = { … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDecl {
    pub doc: Vec<String>,
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `def name = expr` or `def name on sql = expr`: a named predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefDecl {
    pub doc: Vec<String>,
    pub name: Ident,
    /// The action kind (or `request`) whose fields the body may read; `None` = only
    /// fields available everywhere (`actor`, `target`, `request`).
    pub on: Option<Ident>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    Allow,
    Warn,
    RequireApproval,
    Deny,
}

impl Effect {
    pub fn keyword(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Warn => "warn",
            Effect::RequireApproval => "require_approval",
            Effect::Deny => "deny",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Enforce,
    Audit,
}

/// `rule name: effect on kind` followed by clauses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDecl {
    pub doc: Vec<String>,
    pub name: Ident,
    pub effect: Effect,
    pub effect_span: Span,
    /// `sql`, `exec`, …, or `request`.
    pub on: Ident,
    /// `when` conditions, all of which must hold (several `when` clauses are joined by `and`).
    pub when: Vec<Expr>,
    /// `unless` conditions, none of which may hold.
    pub unless: Vec<Expr>,
    pub message: Option<Template>,
    pub help: Option<Template>,
    pub controls: Vec<StringLit>,
    pub mode: Option<(Mode, Span)>,
    pub span: Span,
}

/// A string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    /// The value, escapes resolved.
    pub value: String,
    pub span: Span,
}

/// A message or help string with `{expr}` interpolations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Literal text, escapes resolved (`{{` is `{`).
    Text(String),
    /// `{expr}`.
    Expr(Expr),
}

/// `test name { case* }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDecl {
    pub doc: Vec<String>,
    pub name: Ident,
    pub cases: Vec<TestCase>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Sql,
    Shell,
}

/// `sql "DROP TABLE t" on production dialect postgres as agent "agent:x" => deny by rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    pub channel: Channel,
    pub command: StringLit,
    /// `on production` / `on "prod-eu"`: the target environment.
    pub env: Option<StringLit>,
    /// `dialect mysql`.
    pub dialect: Option<Ident>,
    /// `as agent` / `as human "alice"`: actor kind and optional id.
    pub actor_kind: Option<Ident>,
    pub actor_id: Option<StringLit>,
    /// `groups {"dba", "ml"}`.
    pub groups: Vec<StringLit>,
    /// `labels {"team": "billing"}`.
    pub labels: Vec<(StringLit, StringLit)>,
    pub expect: Effect,
    pub expect_span: Span,
    /// `by rule` / `by module.rule`.
    pub by: Option<Path>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    /// `x matches "glob*"` or `x matches re"regex"`.
    Matches,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Matches => "matches",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    Any,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    Str(String),
    /// `re"^pg_"`: only valid on the right of `matches`.
    Regex(String),
    /// A name or dotted path: a field (`stmt.kind`), a set or def (`protected_envs`,
    /// `config.protected_envs`), a quantifier variable, or an enum variant (`drop`).
    Path(Path),
    /// `{a, b, c}`.
    Set(Vec<Expr>),
    /// `[a, b, c]`.
    List(Vec<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `len(x)`, `lower(x)`, `starts_with(x, "p")`, …
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `any t in stmt.tables: t matches "billing.*"`.
    Quantified {
        quantifier: Quantifier,
        var: Ident,
        over: Box<Expr>,
        body: Box<Expr>,
    },
    /// Produced by error recovery where an expression was expected; never type-checks.
    Error,
}

impl File {
    /// Resets every span and comment layout flag, so that two trees can be compared for
    /// meaning: `parse(format(f))` equals `f` modulo layout.
    pub fn erase_layout(&mut self) {
        let zero = Span::default();
        if let Some(m) = &mut self.module {
            m.span = zero;
            m.path.erase();
        }
        for item in &mut self.items {
            item.erase_layout();
        }
        for c in &mut self.comments {
            c.span = zero;
            c.own_line = false;
            c.blank_after = false;
        }
    }
}

impl Item {
    fn erase_layout(&mut self) {
        let zero = Span::default();
        match self {
            Item::Use(u) => {
                u.span = zero;
                u.path.erase();
                if let Some(a) = &mut u.alias {
                    a.span = zero;
                }
            }
            Item::Default(d) => {
                d.span = zero;
                d.effect_span = zero;
            }
            Item::Set(s) => {
                s.span = zero;
                s.name.span = zero;
                s.value.erase();
            }
            Item::Def(d) => {
                d.span = zero;
                d.name.span = zero;
                if let Some(on) = &mut d.on {
                    on.span = zero;
                }
                d.body.erase();
            }
            Item::Rule(r) => {
                r.span = zero;
                r.name.span = zero;
                r.effect_span = zero;
                r.on.span = zero;
                r.when
                    .iter_mut()
                    .chain(r.unless.iter_mut())
                    .for_each(Expr::erase);
                for t in r.message.iter_mut().chain(r.help.iter_mut()) {
                    t.erase();
                }
                for c in &mut r.controls {
                    c.span = zero;
                }
                if let Some((_, span)) = &mut r.mode {
                    *span = zero;
                }
            }
            Item::Test(t) => {
                t.span = zero;
                t.name.span = zero;
                for case in &mut t.cases {
                    case.span = zero;
                    case.expect_span = zero;
                    case.command.span = zero;
                    let strings = case
                        .env
                        .iter_mut()
                        .chain(case.actor_id.iter_mut())
                        .chain(case.groups.iter_mut());
                    strings.for_each(|s| s.span = zero);
                    for (k, v) in &mut case.labels {
                        k.span = zero;
                        v.span = zero;
                    }
                    for i in case.dialect.iter_mut().chain(case.actor_kind.iter_mut()) {
                        i.span = zero;
                    }
                    if let Some(by) = &mut case.by {
                        by.erase();
                    }
                }
            }
        }
    }
}

impl Path {
    fn erase(&mut self) {
        self.span = Span::default();
        for s in &mut self.segments {
            s.span = Span::default();
        }
    }
}

impl Template {
    fn erase(&mut self) {
        self.span = Span::default();
        for part in &mut self.parts {
            if let TemplatePart::Expr(e) = part {
                e.erase();
            }
        }
    }
}

impl Expr {
    fn erase(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Path(p) => p.erase(),
            ExprKind::Set(items) | ExprKind::List(items) => items.iter_mut().for_each(Expr::erase),
            ExprKind::Not(e) => e.erase(),
            ExprKind::Binary {
                op_span, lhs, rhs, ..
            } => {
                *op_span = Span::default();
                lhs.erase();
                rhs.erase();
            }
            ExprKind::Call { func, args } => {
                func.span = Span::default();
                args.iter_mut().for_each(Expr::erase);
            }
            ExprKind::Quantified {
                var, over, body, ..
            } => {
                var.span = Span::default();
                over.erase();
                body.erase();
            }
            ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Str(_)
            | ExprKind::Regex(_)
            | ExprKind::Error => {}
        }
    }
}
