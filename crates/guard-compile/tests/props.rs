//! Property tests of compilation: for random typed programs (built directly as `guard-sema`
//! output) and random requests,
//! - the compiled policy decides exactly as a reference interpreter of the typed program says
//!   (the same matches, in the same order, with the same messages): compiling preserves meaning;
//! - compiling with and without constant folding gives the same decisions;
//! - evaluation never panics and is deterministic, also after a bundle round trip.
//!
//! Programs come from a seeded generator (one `u64` per case), so a failure names its seed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guard_diagnostics::{FileId, Span};
use guard_engine::ir::Pattern as IrPattern;
use guard_engine::{Metadata, Policy, Source};
use guard_model::Field;
use guard_model::schema::{Context, EnumType, Scalar, Type, Value};
use guard_model::{
    Action, ActionDetail, ActionKind, Actor, ActorKind, Channel, Decision, Dialect, Effect,
    ExecAction, Mode, Request, SqlAction, StatementKind, Target,
};
use guard_sema::program::{
    Builtin, CmpOp, CollectionKind, Const, Def, DefId, Pattern, Program, Quantifier, Rule, SetDef,
    SetId, TExpr, TExprKind, Template, TemplatePart,
};
use proptest::prelude::*;

// ------------------------------------------------------------------ generator

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const STRINGS: &[&str] = &[
    "production",
    "prod-eu",
    "public.users",
    "rm",
    "recursive",
    "",
    "ml",
    "a/b/",
    "/",
    "PROD",
    "é",
    "x",
];
const GLOBS: &[&str] = &["prod*", "public.*", "*rm*", "[a-p]*", "?", "*"];
const REGEXES: &[&str] = &["^prod", "users$", "r.c", "É|é", ""];
const STR_FIELDS: &[Field] = &[
    Field::TargetEnv,
    Field::ActorId,
    Field::RequestCommand,
    Field::StmtCopyTarget,
    Field::ExecProgram,
    Field::ActionText,
];
const LIST_FIELDS: &[Field] = &[
    Field::StmtTables,
    Field::ActorGroups,
    Field::TargetLabels,
    Field::ExecFlags,
    Field::ActionVia,
    Field::ExecPaths,
];
const BOOL_FIELDS: &[Field] = &[
    Field::StmtHasWhere,
    Field::StmtEffectiveWhere,
    Field::ExecElevated,
];
const STMT_KINDS: &[StatementKind] = &[
    StatementKind::Select,
    StatementKind::Drop,
    StatementKind::Delete,
    StatementKind::Truncate,
    StatementKind::Other,
];

fn t(kind: TExprKind, ty: Type) -> TExpr {
    TExpr {
        kind,
        ty,
        span: Span::default(),
    }
}

fn b(kind: TExprKind) -> TExpr {
    t(kind, Type::BOOL)
}

fn bx(e: TExpr) -> Box<TExpr> {
    Box::new(e)
}

struct Gen {
    rng: Rng,
    /// Defs that may be referenced (earlier ones only, so the graph is acyclic).
    defs: u32,
}

const SK: Scalar = Scalar::Enum(EnumType::StatementKind);

impl Gen {
    /// A bool expression; `vars` are the string variables in scope (slot numbers).
    fn boolean(&mut self, depth: u32, vars: &[u32]) -> TExpr {
        let choice = if depth == 0 {
            self.rng.below(2)
        } else {
            self.rng.below(16)
        };
        let d = depth.saturating_sub(1);
        match choice {
            0 => b(TExprKind::Bool(self.rng.chance(50))),
            1 => b(TExprKind::Field(*self.rng.pick(BOOL_FIELDS))),
            2 => b(TExprKind::Not(bx(self.boolean(d, vars)))),
            3 => b(TExprKind::And(
                bx(self.boolean(d, vars)),
                bx(self.boolean(d, vars)),
            )),
            4 => b(TExprKind::Or(
                bx(self.boolean(d, vars)),
                bx(self.boolean(d, vars)),
            )),
            5 => {
                let op = if self.rng.chance(50) {
                    CmpOp::Eq
                } else {
                    CmpOp::Ne
                };
                b(TExprKind::Compare {
                    op,
                    lhs: bx(self.string(d, vars)),
                    rhs: bx(self.string(d, vars)),
                })
            }
            6 => {
                let op = *self.rng.pick(&[
                    CmpOp::Eq,
                    CmpOp::Ne,
                    CmpOp::Lt,
                    CmpOp::Le,
                    CmpOp::Gt,
                    CmpOp::Ge,
                ]);
                b(TExprKind::Compare {
                    op,
                    lhs: bx(self.int(d, vars)),
                    rhs: bx(self.int(d, vars)),
                })
            }
            7 => {
                let op = if self.rng.chance(50) {
                    CmpOp::Eq
                } else {
                    CmpOp::Ne
                };
                b(TExprKind::Compare {
                    op,
                    lhs: bx(self.stmt_kind()),
                    rhs: bx(self.stmt_kind()),
                })
            }
            8 => b(TExprKind::In {
                negated: self.rng.chance(30),
                elem: bx(self.string(d, vars)),
                coll: bx(self.str_collection(d, vars)),
            }),
            9 => {
                let coll = if self.rng.chance(50) {
                    t(TExprKind::Set(SetId(1)), Type::Set(Scalar::Int))
                } else {
                    let items = (0..self.rng.below(4)).map(|_| self.int(0, vars)).collect();
                    t(
                        TExprKind::Collection {
                            kind: CollectionKind::List,
                            items,
                        },
                        Type::List(Scalar::Int),
                    )
                };
                b(TExprKind::In {
                    negated: self.rng.chance(30),
                    elem: bx(self.int(d, vars)),
                    coll: bx(coll),
                })
            }
            10 => {
                let coll = if self.rng.chance(50) {
                    t(TExprKind::Set(SetId(2)), Type::Set(SK))
                } else {
                    let items = (0..self.rng.below(4)).map(|_| self.stmt_kind()).collect();
                    t(
                        TExprKind::Collection {
                            kind: CollectionKind::Set,
                            items,
                        },
                        Type::Set(SK),
                    )
                };
                b(TExprKind::In {
                    negated: self.rng.chance(30),
                    elem: bx(self.stmt_kind()),
                    coll: bx(coll),
                })
            }
            11 => {
                let pattern = if self.rng.chance(50) {
                    Pattern::Glob(self.rng.pick(GLOBS).to_string())
                } else {
                    Pattern::Regex(self.rng.pick(REGEXES).to_string())
                };
                b(TExprKind::Matches {
                    subject: bx(self.string(d, vars)),
                    pattern,
                    pattern_span: Span::default(),
                })
            }
            12 => {
                let builtin =
                    *self
                        .rng
                        .pick(&[Builtin::StartsWith, Builtin::EndsWith, Builtin::Contains]);
                b(TExprKind::Call {
                    builtin,
                    args: vec![self.string(d, vars), self.string(d, vars)],
                })
            }
            13 | 14 => {
                let slot = vars.len() as u32;
                let mut inner = vars.to_vec();
                inner.push(slot);
                let quantifier = if self.rng.chance(50) {
                    Quantifier::Any
                } else {
                    Quantifier::All
                };
                let over = self.str_collection(d, vars);
                let body = self.boolean(d, &inner);
                b(TExprKind::Quantified {
                    quantifier,
                    slot,
                    name: format!("v{slot}"),
                    over: bx(over),
                    body: bx(body),
                })
            }
            _ if self.defs > 0 => b(TExprKind::Def(DefId(
                self.rng.below(self.defs as usize) as u32
            ))),
            _ => b(TExprKind::Bool(true)),
        }
    }

    fn string(&mut self, depth: u32, vars: &[u32]) -> TExpr {
        let choice = if depth == 0 {
            self.rng.below(3)
        } else {
            self.rng.below(5)
        };
        match choice {
            0 => t(
                TExprKind::Str(self.rng.pick(STRINGS).to_string()),
                Type::STR,
            ),
            1 => t(TExprKind::Field(*self.rng.pick(STR_FIELDS)), Type::STR),
            2 if !vars.is_empty() => t(TExprKind::Var(*self.rng.pick(vars)), Type::STR),
            2 => t(
                TExprKind::Str(self.rng.pick(STRINGS).to_string()),
                Type::STR,
            ),
            _ => {
                let builtin = *self
                    .rng
                    .pick(&[Builtin::Lower, Builtin::Upper, Builtin::Basename]);
                t(
                    TExprKind::Call {
                        builtin,
                        args: vec![self.string(depth - 1, vars)],
                    },
                    Type::STR,
                )
            }
        }
    }

    fn int(&mut self, depth: u32, vars: &[u32]) -> TExpr {
        match if depth == 0 {
            self.rng.below(2)
        } else {
            self.rng.below(4)
        } {
            0 => t(TExprKind::Int(self.rng.below(5) as i64 - 1), Type::INT),
            1 => t(TExprKind::Field(Field::RequestActionCount), Type::INT),
            2 => t(
                TExprKind::Call {
                    builtin: Builtin::Len,
                    args: vec![self.collection(depth - 1, vars, true)],
                },
                Type::INT,
            ),
            _ => t(
                TExprKind::Call {
                    builtin: Builtin::Len,
                    args: vec![self.string(depth - 1, vars)],
                },
                Type::INT,
            ),
        }
    }

    fn stmt_kind(&mut self) -> TExpr {
        if self.rng.chance(40) {
            t(TExprKind::Field(Field::StmtKind), Type::Scalar(SK))
        } else {
            let k = *self.rng.pick(STMT_KINDS);
            t(
                TExprKind::Enum(EnumType::StatementKind, k.index()),
                Type::Scalar(SK),
            )
        }
    }

    /// A list or set of strings: a field, the named set, or a literal (of constants or not).
    fn str_collection(&mut self, depth: u32, vars: &[u32]) -> TExpr {
        self.collection(depth, vars, false)
    }

    /// [`Self::str_collection`] where a set literal has literal elements only (the compiler
    /// requires that under `len` and in messages).
    fn collection(&mut self, depth: u32, vars: &[u32], literal_sets: bool) -> TExpr {
        match self.rng.below(4) {
            0 => t(
                TExprKind::Field(*self.rng.pick(LIST_FIELDS)),
                Type::List(Scalar::Str),
            ),
            1 => t(TExprKind::Set(SetId(0)), Type::Set(Scalar::Str)),
            n => {
                let depth = if literal_sets && n == 2 {
                    0
                } else {
                    depth.min(1)
                };
                let vars = if literal_sets && n == 2 {
                    &[][..]
                } else {
                    vars
                };
                let items = (0..self.rng.below(4))
                    .map(|_| {
                        let s = self.string(depth, vars);
                        match s.kind {
                            TExprKind::Field(_) if literal_sets && n == 2 => t(
                                TExprKind::Str(self.rng.pick(STRINGS).to_string()),
                                Type::STR,
                            ),
                            _ => s,
                        }
                    })
                    .collect();
                let kind = if n == 2 {
                    CollectionKind::Set
                } else {
                    CollectionKind::List
                };
                let ty = if n == 2 {
                    Type::Set(Scalar::Str)
                } else {
                    Type::List(Scalar::Str)
                };
                t(TExprKind::Collection { kind, items }, ty)
            }
        }
    }

    fn template(&mut self) -> Template {
        let mut parts = Vec::new();
        for _ in 0..self.rng.below(4) {
            parts.push(TemplatePart::Text(
                self.rng.pick(&["of ", " on ", "{", ", "]).to_string(),
            ));
            let e = match self.rng.below(5) {
                0 => self.string(1, &[]),
                1 => self.int(1, &[]),
                2 => self.stmt_kind(),
                3 => self.collection(1, &[], true),
                _ => self.boolean(1, &[]),
            };
            parts.push(TemplatePart::Expr(e));
        }
        Template {
            parts,
            span: Span::default(),
        }
    }

    fn program(&mut self) -> Program {
        let sets = vec![
            set(
                "s.strs",
                Scalar::Str,
                STRINGS
                    .iter()
                    .take(6)
                    .map(|s| Const::Str(s.to_string()))
                    .collect(),
            ),
            set(
                "s.ints",
                Scalar::Int,
                vec![Const::Int(3), Const::Int(0), Const::Int(1), Const::Int(3)],
            ),
            set(
                "s.kinds",
                SK,
                vec![
                    Const::Enum(EnumType::StatementKind, StatementKind::Truncate.index()),
                    Const::Enum(EnumType::StatementKind, StatementKind::Drop.index()),
                ],
            ),
        ];
        let mut defs = Vec::new();
        for i in 0..self.rng.below(4) {
            self.defs = i as u32;
            let body = self.boolean(2, &[]);
            defs.push(Def {
                id: format!("m.d{i}"),
                doc: vec![],
                on: None,
                body,
                file: FileId(0),
                span: Span::default(),
            });
        }
        self.defs = defs.len() as u32;
        let mut rules = Vec::new();
        for i in 0..1 + self.rng.below(5) {
            let on = *self
                .rng
                .pick(&[None, Some(ActionKind::Sql), Some(ActionKind::Exec)]);
            let when = (0..self.rng.below(3))
                .map(|_| self.boolean(3, &[]))
                .collect();
            let unless = (0..self.rng.below(2))
                .map(|_| self.boolean(2, &[]))
                .collect();
            rules.push(Rule {
                id: format!("m.r{i}"),
                doc: vec![format!("rule {i}")],
                effect: *self.rng.pick(Effect::ALL),
                on,
                mode: if self.rng.chance(20) {
                    Mode::Audit
                } else {
                    Mode::Enforce
                },
                when,
                unless,
                message: Some(self.template()),
                help: if self.rng.chance(50) {
                    Some(self.template())
                } else {
                    None
                },
                controls: if self.rng.chance(30) {
                    vec!["C1".into()]
                } else {
                    vec![]
                },
                file: FileId(0),
                span: Span::default(),
                name_span: Span::default(),
            });
        }
        Program {
            modules: vec![],
            default: Some(if self.rng.chance(50) {
                Effect::Allow
            } else {
                Effect::Deny
            }),
            sets,
            defs,
            rules,
            tests: vec![],
        }
    }

    fn strings<L: FromIterator<guard_model::Str>>(&mut self, max: usize) -> L {
        (0..self.rng.below(max + 1))
            .map(|_| guard_model::Str::from(*self.rng.pick(STRINGS)))
            .collect()
    }

    fn request(&mut self) -> (Request, Vec<Action>) {
        let mut labels = std::collections::BTreeMap::new();
        if self.rng.chance(50) {
            labels.insert("team".to_string(), self.rng.pick(STRINGS).to_string());
        }
        let request = Request {
            id: format!("r{}", self.rng.below(100)),
            time: String::new(),
            channel: if self.rng.chance(50) {
                Channel::Sql
            } else {
                Channel::Shell
            },
            dialect: Dialect::Postgres,
            command: self.rng.pick(STRINGS).to_string(),
            actor: Actor {
                id: self.rng.pick(STRINGS).to_string(),
                kind: *self.rng.pick(ActorKind::ALL),
                groups: self.strings(2),
            },
            target: Target {
                env: self.rng.pick(STRINGS).to_string(),
                resource: String::new(),
                labels,
            },
        };
        let mut actions = Vec::new();
        for i in 0..self.rng.below(4) as u32 {
            let detail = if self.rng.chance(50) {
                ActionDetail::Sql(SqlAction {
                    statement: *self.rng.pick(STMT_KINDS),
                    tables: self.strings(3),
                    has_where: self.rng.chance(50),
                    effective_where: self.rng.chance(50),
                    copy_target: self.rng.pick(STRINGS).to_string(),
                    ..SqlAction::default()
                })
            } else {
                ActionDetail::Exec(ExecAction {
                    program: guard_model::Str::from(*self.rng.pick(STRINGS)),
                    flags: self.strings(2),
                    paths: self.strings(2),
                    elevated: self.rng.chance(50),
                    ..ExecAction::default()
                })
            };
            actions.push(Action {
                span: [i, i + 1],
                via: self.strings(1),
                text: self.rng.pick(STRINGS).to_string(),
                detail,
            });
        }
        (request, actions)
    }
}

fn set(id: &str, element: Scalar, values: Vec<Const>) -> SetDef {
    SetDef {
        id: id.into(),
        doc: vec![],
        element,
        values,
        file: FileId(0),
        span: Span::default(),
    }
}

// ------------------------------------------------------------------ reference interpreter

/// A value of the typed program, as the language reference defines it.
#[derive(Debug, Clone, PartialEq)]
enum V {
    B(bool),
    I(i64),
    S(String),
    E(EnumType, u16),
    /// A list (source order) or a set (sorted as the engine sorts sets, no duplicates).
    L(Vec<V>),
}

fn truthy(v: &V) -> bool {
    *v == V::B(true)
}

fn canonical(mut items: Vec<V>) -> Vec<V> {
    let key = |v: &V| match v {
        V::B(b) => (0, i64::from(*b), String::new()),
        V::I(i) => (1, *i, String::new()),
        V::S(s) => (2, 0, s.clone()),
        V::E(_, i) => (3, i64::from(*i), String::new()),
        V::L(_) => (4, 0, String::new()),
    };
    items.sort_by_key(key);
    items.dedup();
    items
}

fn constant(c: &Const) -> V {
    match c {
        Const::Bool(b) => V::B(*b),
        Const::Int(i) => V::I(*i),
        Const::Str(s) => V::S(s.clone()),
        Const::Enum(t, i) => V::E(*t, *i),
    }
}

struct Reference<'a> {
    program: &'a Program,
    cx: Context<'a>,
    vars: Vec<V>,
}

impl Reference<'_> {
    fn eval(&mut self, e: &TExpr) -> V {
        match &e.kind {
            TExprKind::Bool(x) => V::B(*x),
            TExprKind::Int(x) => V::I(*x),
            TExprKind::Str(x) => V::S(x.clone()),
            TExprKind::Enum(ty, i) => V::E(*ty, *i),
            TExprKind::Field(f) => match f.get(&self.cx) {
                Value::Bool(x) => V::B(x),
                Value::Int(x) => V::I(x),
                Value::Str(x) => V::S(x.to_string()),
                Value::Enum(ty, i) => V::E(ty, i),
                Value::StrList(l) => V::L(l.iter().map(|s| V::S(s.to_string())).collect()),
                Value::EnumList(ty, l) => V::L(l.iter().map(|i| V::E(ty, *i)).collect()),
            },
            TExprKind::Var(slot) => self.vars[*slot as usize].clone(),
            TExprKind::Set(id) => V::L(canonical(
                self.program
                    .set(*id)
                    .unwrap()
                    .values
                    .iter()
                    .map(constant)
                    .collect(),
            )),
            TExprKind::Def(id) => {
                // A def sees none of its caller's variables.
                let saved = std::mem::take(&mut self.vars);
                let v = self.eval(&self.program.def(*id).unwrap().body.clone());
                self.vars = saved;
                v
            }
            TExprKind::Collection { kind, items } => {
                let items: Vec<V> = items.iter().map(|i| self.eval(i)).collect();
                V::L(if *kind == CollectionKind::Set {
                    canonical(items)
                } else {
                    items
                })
            }
            TExprKind::Not(x) => V::B(!truthy(&self.eval(x))),
            TExprKind::And(x, y) => V::B(truthy(&self.eval(x)) && truthy(&self.eval(y))),
            TExprKind::Or(x, y) => V::B(truthy(&self.eval(x)) || truthy(&self.eval(y))),
            TExprKind::Compare { op, lhs, rhs } => {
                let (l, r) = (self.eval(lhs), self.eval(rhs));
                V::B(match (op, &l, &r) {
                    (CmpOp::Eq, _, _) => l == r,
                    (CmpOp::Ne, _, _) => l != r,
                    (CmpOp::Lt, V::I(x), V::I(y)) => x < y,
                    (CmpOp::Le, V::I(x), V::I(y)) => x <= y,
                    (CmpOp::Gt, V::I(x), V::I(y)) => x > y,
                    (CmpOp::Ge, V::I(x), V::I(y)) => x >= y,
                    _ => false,
                })
            }
            TExprKind::In {
                negated,
                elem,
                coll,
            } => {
                let (item, coll) = (self.eval(elem), self.eval(coll));
                let found = matches!(&coll, V::L(items) if items.contains(&item));
                V::B(found != *negated)
            }
            TExprKind::Matches {
                subject, pattern, ..
            } => {
                let pattern = match pattern {
                    Pattern::Glob(g) => IrPattern::Glob(g.clone()),
                    Pattern::Regex(r) => IrPattern::Regex(r.clone()),
                };
                let matcher = pattern.compile().unwrap();
                V::B(matches!(self.eval(subject), V::S(s) if matcher.is_match(&s)))
            }
            TExprKind::Call { builtin, args } => {
                let args: Vec<V> = args.iter().map(|a| self.eval(a)).collect();
                let s = |i: usize| match args.get(i) {
                    Some(V::S(s)) => s.clone(),
                    _ => String::new(),
                };
                match builtin {
                    Builtin::Len => V::I(match &args[0] {
                        V::S(s) => s.chars().count() as i64,
                        V::L(l) => l.len() as i64,
                        _ => 0,
                    }),
                    Builtin::Lower => V::S(s(0).to_lowercase()),
                    Builtin::Upper => V::S(s(0).to_uppercase()),
                    Builtin::Basename => {
                        let text = s(0);
                        let trimmed = text.trim_end_matches('/');
                        V::S(if trimmed.is_empty() {
                            if text.is_empty() {
                                String::new()
                            } else {
                                "/".into()
                            }
                        } else {
                            trimmed.rsplit('/').next().unwrap().to_string()
                        })
                    }
                    Builtin::StartsWith => V::B(s(0).starts_with(&s(1))),
                    Builtin::EndsWith => V::B(s(0).ends_with(&s(1))),
                    Builtin::Contains => V::B(s(0).contains(&s(1))),
                }
            }
            TExprKind::Quantified {
                quantifier,
                slot,
                over,
                body,
                ..
            } => {
                let V::L(items) = self.eval(over) else {
                    return V::B(false);
                };
                let slot = *slot as usize;
                if self.vars.len() <= slot {
                    self.vars.resize(slot + 1, V::B(false));
                }
                let result = match quantifier {
                    Quantifier::Any => items.into_iter().any(|item| {
                        self.vars[slot] = item;
                        truthy(&self.eval(body))
                    }),
                    Quantifier::All => items.into_iter().all(|item| {
                        self.vars[slot] = item;
                        truthy(&self.eval(body))
                    }),
                };
                self.vars.truncate(slot);
                V::B(result)
            }
        }
    }

    fn render(&mut self, t: &Template) -> String {
        fn text(v: &V, out: &mut String) {
            match v {
                V::B(b) => out.push_str(if *b { "true" } else { "false" }),
                V::I(i) => out.push_str(&i.to_string()),
                V::S(s) => out.push_str(s),
                V::E(ty, i) => out.push_str(ty.variant_name(*i)),
                V::L(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        text(item, out);
                    }
                }
            }
        }
        let mut out = String::new();
        for part in &t.parts {
            match part {
                TemplatePart::Text(s) => out.push_str(s),
                TemplatePart::Expr(e) => {
                    let v = self.eval(e);
                    text(&v, &mut out);
                }
            }
        }
        out
    }
}

/// One match: rule, span, message, help.
type Seen = (String, [u32; 2], String, String);

/// What the language reference says the matches are: `(rule, span, message, help)` in report
/// order, and the decision.
fn reference(program: &Program, request: &Request, actions: &[Action]) -> (Vec<Seen>, Effect) {
    let labels = request.target.label_pairs();
    let kinds: Vec<u16> = actions.iter().map(|a| a.kind().index()).collect();
    let whole = [0, request.command.len() as u32];
    let mut out = Vec::new();
    let mut strongest: Option<Effect> = None;
    let scopes = std::iter::once((None, whole)).chain(actions.iter().map(|a| (Some(a), a.span)));
    for (action, span) in scopes {
        let cx = Context {
            request,
            action,
            labels: &labels,
            action_kinds: &kinds,
            action_count: actions.len() as i64,
        };
        let mut r = Reference {
            program,
            cx,
            vars: Vec::new(),
        };
        for rule in &program.rules {
            if rule.on != action.map(Action::kind) {
                continue;
            }
            let matched = rule.condition().is_none_or(|c| truthy(&r.eval(&c)));
            if matched {
                if rule.mode == Mode::Enforce {
                    strongest = strongest.max(Some(rule.effect));
                }
                let message = r.render(rule.message.as_ref().unwrap());
                let help = rule.help.as_ref().map(|h| r.render(h)).unwrap_or_default();
                out.push((rule.id.clone(), span, message, help));
            }
        }
    }
    (out, strongest.unwrap_or(program.default.unwrap()))
}

fn summary(d: &Decision) -> Vec<Seen> {
    d.matches
        .iter()
        .map(|m| {
            (
                m.rule.to_string(),
                m.span,
                m.message.clone(),
                m.help.to_string(),
            )
        })
        .collect()
}

fn round_trip(policy: &Policy) -> Policy {
    let metadata = Metadata {
        guard_version: "test".into(),
        revision: 1,
        git_commit: None,
        sources: vec![Source::new("a.guard", "")],
    };
    guard_engine::decode(&guard_engine::encode(policy, &metadata).unwrap())
        .unwrap()
        .policy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiled_policies_mean_what_the_program_says(seed in any::<u64>()) {
        let mut g = Gen { rng: Rng(seed | 1), defs: 0 };
        let program = g.program();
        let folded = guard_compile::compile(&program).unwrap();
        let plain = guard_compile::compile_with(&program, guard_compile::Options { optimize: false }).unwrap();
        let loaded = round_trip(&folded);
        for _ in 0..8 {
            let (request, actions) = g.request();
            let decision = guard_engine::evaluate(&folded, &request, &actions);
            let (expected, effect) = reference(&program, &request, &actions);
            prop_assert_eq!(summary(&decision), expected, "seed {}", seed);
            prop_assert_eq!(decision.decision, effect.into());
            prop_assert_eq!(&guard_engine::evaluate(&plain, &request, &actions), &decision, "folding changed the decision");
            prop_assert_eq!(&guard_engine::evaluate(&folded, &request, &actions), &decision, "not deterministic");
            prop_assert_eq!(&guard_engine::evaluate(&loaded, &request, &actions), &decision, "changed by a bundle round trip");
        }
    }
}
