//! Name resolution and type checking of expressions, bidirectionally: [`Checker::expr`] takes
//! an optional *hint* (the type the context expects) that types bare enum variants (`drop` in
//! `stmt.kind == drop`) and the elements of set literals. The caller still checks the result's
//! type: a hint never turns an error into a success.
//!
//! A single-segment name resolves, in order: quantifier variable, set or def of this module,
//! a variant of the enum the context expects, schema root (an error: records are not values),
//! `use` alias (an error), a variant of the one enum that has it. So `action.kind == exec`
//! reads `exec` as an action kind, not as the `exec` record.

use guard_diagnostics::{Diagnostic, FileId, Span};
use guard_model::ActionKind;
use guard_model::schema::{self, EnumType, Field, Scalar, Scope, Type};
use guard_syntax::ast;

use super::{Checker, Named, suggest};
use crate::codes;
use crate::program::{
    Builtin, CmpOp, CollectionKind, DefId, Pattern, Quantifier, TExpr, TExprKind,
};

/// Deepest expression nesting checked; the parser's own limit is lower, so this only guards
/// hand-built trees against stack exhaustion.
pub(crate) const MAX_DEPTH: usize = 256;

/// What is being checked, for scope rules and messages.
#[derive(Debug, Clone)]
pub(crate) enum Owner {
    Rule { on_name: String },
    Def { id: DefId, has_on: bool },
}

/// The context of one expression tree.
pub(crate) struct Ctx {
    module: usize,
    file: FileId,
    /// The action kind whose fields are visible (`None`: request-wide fields only).
    kind: Option<ActionKind>,
    /// The `on` did not resolve: skip scope checks rather than cascade.
    lenient: bool,
    owner: Owner,
    vars: Vec<(String, Scalar)>,
    depth: usize,
    too_deep: bool,
}

impl Ctx {
    pub(crate) fn new(
        module: usize,
        file: FileId,
        kind: Option<ActionKind>,
        lenient: bool,
        owner: Owner,
    ) -> Ctx {
        Ctx {
            module,
            file,
            kind,
            lenient,
            owner,
            vars: Vec::new(),
            depth: 0,
            too_deep: false,
        }
    }

    /// `a rule `on exec``, `a def without `on``.
    fn describe(&self) -> String {
        match &self.owner {
            Owner::Rule { on_name } => format!("a rule `on {on_name}`"),
            Owner::Def { has_on: false, .. } => "a def without `on`".to_string(),
            Owner::Def { .. } => match self.kind {
                Some(k) => format!("a def `on {}`", k.name()),
                None => "a def `on request`".to_string(),
            },
        }
    }
}

fn texpr(kind: TExprKind, ty: Type, span: Span) -> Option<TExpr> {
    Some(TExpr { kind, ty, span })
}

fn scalar_of(ty: Type) -> Scalar {
    match ty {
        Type::Scalar(s) | Type::List(s) | Type::Set(s) => s,
    }
}

/// `stmt` fields exist only in rules `on sql`.
fn scope_text(root: &str, scope: Scope) -> String {
    match scope {
        Scope::Everywhere => format!("`{root}` fields are available everywhere"),
        Scope::AnyAction => {
            format!("`{root}` fields exist only in rules on an action kind, not `on request`")
        }
        Scope::Kind(k) => format!("`{root}` fields exist only in rules `on {}`", k.name()),
    }
}

impl Checker<'_> {
    pub(crate) fn expr(
        &mut self,
        cx: &mut Ctx,
        e: &ast::Expr,
        hint: Option<Type>,
    ) -> Option<TExpr> {
        if cx.depth >= MAX_DEPTH {
            if !cx.too_deep {
                cx.too_deep = true;
                let d =
                    Diagnostic::error(codes::TOO_DEEP, e.span, "expression is nested too deeply")
                        .with_label(format!("more than {MAX_DEPTH} levels deep"))
                        .with_help("split the condition into `def`s");
                self.error(cx.file, d);
            }
            return None;
        }
        cx.depth += 1;
        let out = self.expr_inner(cx, e, hint);
        cx.depth -= 1;
        out
    }

    fn expr_inner(&mut self, cx: &mut Ctx, e: &ast::Expr, hint: Option<Type>) -> Option<TExpr> {
        let span = e.span;
        match &e.kind {
            ast::ExprKind::Bool(b) => texpr(TExprKind::Bool(*b), Type::BOOL, span),
            ast::ExprKind::Int(i) => texpr(TExprKind::Int(*i), Type::INT, span),
            ast::ExprKind::Str(s) => texpr(TExprKind::Str(s.clone()), Type::STR, span),
            // The parser reports a regex outside `matches` (GS013); a program with syntax
            // errors is never compiled, so the node only poisons its expression here.
            ast::ExprKind::Regex(_) => None,
            ast::ExprKind::Path(p) => self.path(cx, p, hint),
            ast::ExprKind::Set(items) => {
                self.collection(cx, CollectionKind::Set, items, span, hint)
            }
            ast::ExprKind::List(items) => {
                self.collection(cx, CollectionKind::List, items, span, hint)
            }
            ast::ExprKind::Not(x) => {
                let x = self.expr(cx, x, Some(Type::BOOL))?;
                self.expect_bool(cx.file, &x, "the operand of `not`")
                    .then(|| TExpr {
                        kind: TExprKind::Not(Box::new(x)),
                        ty: Type::BOOL,
                        span,
                    })
            }
            ast::ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(cx, *op, *op_span, lhs, rhs, span),
            ast::ExprKind::Call { func, args } => self.call(cx, func, args, span),
            ast::ExprKind::Quantified {
                quantifier,
                var,
                over,
                body,
            } => self.quantified(cx, *quantifier, var, over, body, span),
            ast::ExprKind::Error => None,
        }
    }

    /// A single-segment name that is not a variable, set, def, root or alias: an enum variant
    /// to be typed by its context.
    fn bare_variant<'e>(&self, cx: &Ctx, e: &'e ast::Expr) -> Option<&'e ast::Ident> {
        let ast::ExprKind::Path(p) = &e.kind else {
            return None;
        };
        let [seg] = p.segments.as_slice() else {
            return None;
        };
        let name = seg.name.as_str();
        let m = self.mods.get(cx.module)?;
        // Roots and aliases are never values alone, so they may still be variants
        // (`action.kind == exec`); variables, sets and defs are values and win.
        let shadowed = cx.vars.iter().any(|(v, _)| v == name) || m.names.contains_key(name);
        (!shadowed).then_some(seg)
    }

    fn path(&mut self, cx: &mut Ctx, p: &ast::Path, hint: Option<Type>) -> Option<TExpr> {
        let span = p.span;
        let (first, rest) = p.segments.split_first()?;
        let name = first.name.as_str();
        let var = cx.vars.iter().rposition(|(v, _)| v == name);
        if rest.is_empty() {
            if let Some(slot) = var {
                let (_, s) = cx.vars.get(slot)?;
                let slot = u32::try_from(slot).ok()?;
                return texpr(TExprKind::Var(slot), Type::Scalar(*s), span);
            }
            let local = self
                .mods
                .get(cx.module)
                .and_then(|m| m.names.get(name))
                .map(|(n, _)| *n);
            if let Some(named) = local {
                return self.named(cx, named, name, span);
            }
            let hinted_variant = matches!(
                hint,
                Some(Type::Scalar(Scalar::Enum(t)) | Type::Set(Scalar::Enum(t)) | Type::List(Scalar::Enum(t)))
                    if t.variant_index(name).is_some()
            );
            if hinted_variant {
                return self.variant(cx, first, hint);
            }
            if let Some(root) = schema::root(name) {
                let example = schema::fields_of(root.name).next().map_or("", |f| f.path);
                let d = Diagnostic::error(
                    codes::NOT_A_VALUE,
                    span,
                    format!("`{name}` is a record, not a value"),
                )
                .with_label("read one of its fields")
                .with_help(format!(
                    "for example `{example}`; `guard schema` lists every field of `{name}`"
                ));
                self.error(cx.file, d);
                return None;
            }
            if self
                .mods
                .get(cx.module)
                .is_some_and(|m| m.aliases.contains_key(name))
            {
                let d = Diagnostic::error(
                    codes::NOT_A_VALUE,
                    span,
                    format!("`{name}` is a module, not a value"),
                )
                .with_label("an imported module")
                .with_help(format!(
                    "refer to one of its sets or defs: `{name}.some_name`"
                ));
                self.error(cx.file, d);
                return None;
            }
            return self.variant(cx, first, hint);
        }
        if var.is_some() {
            let d = Diagnostic::error(
                codes::NOT_A_VALUE,
                span,
                format!("quantifier variable `{name}` has no fields"),
            )
            .with_label(format!("`{name}` is one element, a scalar"))
            .with_help(format!(
                "use `{name}` itself: `{name} matches \"…\"`, `{name} in …`"
            ));
            self.error(cx.file, d);
            return None;
        }
        if let Some(root) = schema::root(name) {
            return self.field(cx, p, root);
        }
        let alias = self
            .mods
            .get(cx.module)
            .and_then(|m| m.aliases.get(name))
            .copied();
        if let Some((target, _)) = alias {
            if let Some(m) = self.mods.get_mut(cx.module) {
                m.aliases_used.insert(name.to_string());
            }
            let target_mod = self.mods.get(target)?;
            let target_name = target_mod.name.clone();
            let found = match rest {
                [member] => target_mod.names.get(&member.name).map(|(n, _)| *n),
                _ => None,
            };
            if let (Some(named), [member]) = (found, rest) {
                return self.named(cx, named, &member.name, span);
            }
            let member = rest
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(".");
            let help = suggest(
                &member,
                target_mod.names.keys().map(String::as_str),
                &format!(
                    "modules share their sets and defs; `{target_name}` declares no `{member}`"
                ),
            );
            let d = Diagnostic::error(
                codes::UNKNOWN_NAME,
                span,
                format!("module `{target_name}` has no set or def `{member}`"),
            )
            .with_label("not declared there")
            .with_help(help);
            self.error(cx.file, d);
            return None;
        }
        let dotted = p.dotted();
        // A module that exists but is not imported deserves a precise hint.
        let module_prefix = (1..p.segments.len()).rev().find_map(|n| {
            let prefix: Vec<&str> = p.segments.iter().take(n).map(|s| s.name.as_str()).collect();
            let prefix = prefix.join(".");
            self.by_name.contains_key(&prefix).then_some(prefix)
        });
        let by_last_segment = self
            .by_name
            .keys()
            .find(|m| m.rsplit('.').next() == Some(name))
            .cloned();
        let help = match (module_prefix, by_last_segment) {
            (Some(m), _) | (None, Some(m)) => {
                format!("module `{m}` is not imported here: add `use {m}`")
            }
            (None, None) => {
                let mut candidates: Vec<&str> = schema::ROOTS.iter().map(|r| r.name).collect();
                if let Some(m) = self.mods.get(cx.module) {
                    candidates.extend(m.aliases.keys().map(String::as_str));
                }
                suggest(
                    name,
                    candidates,
                    "a dotted name starts with a schema root (`stmt`, `target`, …) or an imported module",
                )
            }
        };
        let d = Diagnostic::error(
            codes::UNKNOWN_NAME,
            first.span,
            format!("unknown name `{dotted}`"),
        )
        .with_label(format!(
            "`{name}` is not a schema root or an imported module"
        ))
        .with_help(help);
        self.error(cx.file, d);
        None
    }

    fn named(&mut self, cx: &mut Ctx, named: Named, name: &str, span: Span) -> Option<TExpr> {
        match named {
            Named::InvalidSet => None,
            Named::Set(id) => {
                if let Some(u) = self.set_used.get_mut(id.0 as usize) {
                    *u = true;
                }
                let element = self.program.set(id)?.element;
                texpr(TExprKind::Set(id), Type::Set(element), span)
            }
            Named::Def(id) => {
                if let Some(u) = self.def_used.get_mut(id.0 as usize) {
                    *u = true;
                }
                if let Owner::Def { id: from, .. } = cx.owner {
                    self.def_graph
                        .add_edge(from.0 as usize, id.0 as usize, span);
                }
                let meta = self.def_meta.get(id.0 as usize)?;
                if let Some(def_kind) = meta.on
                    && !cx.lenient
                    && !meta.lenient
                    && cx.kind != Some(def_kind)
                {
                    {
                        let d = Diagnostic::error(
                            codes::DEF_SCOPE,
                            span,
                            format!("def `{name}` is declared `on {}` but used in {}", def_kind.name(), cx.describe()),
                        )
                        .with_label(format!("reads `{}` fields", def_kind.name()))
                        .with_help(format!(
                            "use it only in rules (and defs) `on {}`, or make it read only `request`, `actor` and `target` and drop its `on`",
                            def_kind.name()
                        ));
                        self.error(cx.file, d);
                        return None;
                    }
                }
                texpr(TExprKind::Def(id), Type::BOOL, span)
            }
        }
    }

    fn field(&mut self, cx: &mut Ctx, p: &ast::Path, root: &schema::Root) -> Option<TExpr> {
        let dotted = p.dotted();
        let Some(field) = Field::from_path(&dotted) else {
            let help = suggest(
                &dotted,
                schema::fields_of(root.name).map(|f| f.path),
                &format!("`guard schema` lists every field of `{}`", root.name),
            );
            let d = Diagnostic::error(
                codes::UNKNOWN_FIELD,
                p.span,
                format!("unknown field `{dotted}`"),
            )
            .with_label(format!("not a field of `{}`", root.name))
            .with_help(help);
            self.error(cx.file, d);
            return None;
        };
        let def = field.def();
        if !cx.lenient && !def.scope.visible_in(cx.kind) {
            let help = match (&cx.owner, def.scope) {
                (Owner::Def { .. }, Scope::Kind(k)) => {
                    format!(
                        "declare the def `on {}` (`def name on {} = …`) and use it in rules `on {}`",
                        k.name(),
                        k.name(),
                        k.name()
                    )
                }
                (_, Scope::Kind(k)) => format!("move this condition to a rule `on {}`", k.name()),
                _ => "move this condition to a rule on an action kind (`on exec`, `on sql`, …); only `request`, `actor` and `target` are available everywhere".to_string(),
            };
            let d = Diagnostic::error(
                codes::FIELD_NOT_AVAILABLE,
                p.span,
                format!("`{dotted}` is not available in {}", cx.describe()),
            )
            .with_label(scope_text(root.name, def.scope))
            .with_help(help);
            self.error(cx.file, d);
            return None;
        }
        texpr(TExprKind::Field(field), def.ty, p.span)
    }

    /// A bare name as an enum variant: typed by the hint, else by the one enum that has it.
    fn variant(&mut self, cx: &mut Ctx, name: &ast::Ident, hint: Option<Type>) -> Option<TExpr> {
        let span = name.span;
        if let Some(
            Type::Scalar(Scalar::Enum(t))
            | Type::Set(Scalar::Enum(t))
            | Type::List(Scalar::Enum(t)),
        ) = hint
        {
            if let Some(i) = t.variant_index(&name.name) {
                return texpr(TExprKind::Enum(t, i), Type::Scalar(Scalar::Enum(t)), span);
            }
            let variants = t.variants();
            let help = suggest(
                &name.name,
                variants.iter().copied(),
                &format!(
                    "the variants of `{}` are: {}",
                    t.name(),
                    variants.join(", ")
                ),
            );
            let d = Diagnostic::error(
                codes::UNKNOWN_VARIANT,
                span,
                format!("`{}` is not a variant of `{}`", name.name, t.name()),
            )
            .with_label(format!("expected a `{}`", t.name()))
            .with_help(help);
            self.error(cx.file, d);
            return None;
        }
        let owners: Vec<EnumType> = EnumType::ALL
            .iter()
            .copied()
            .filter(|t| t.variant_index(&name.name).is_some())
            .collect();
        match owners.as_slice() {
            [t] => {
                let i = t.variant_index(&name.name)?;
                texpr(TExprKind::Enum(*t, i), Type::Scalar(Scalar::Enum(*t)), span)
            }
            [] => {
                let vars: Vec<String> = cx.vars.iter().map(|(v, _)| v.clone()).collect();
                self.unknown_bare_name(cx.file, name, hint, &vars);
                None
            }
            many => {
                let names: Vec<String> = many.iter().map(|t| format!("`{}`", t.name())).collect();
                let d = Diagnostic::error(
                    codes::AMBIGUOUS_VARIANT,
                    span,
                    format!("`{}` is a variant of several enums", name.name),
                )
                .with_label(format!("could be {}", names.join(" or ")))
                .with_help(
                    "compare it with a field of the type you mean, e.g. `stmt.object == other`",
                );
                self.error(cx.file, d);
                None
            }
        }
    }

    /// Reports a bare name that is nothing at all.
    pub(crate) fn unknown_bare_name(
        &mut self,
        file: FileId,
        name: &ast::Ident,
        hint: Option<Type>,
        vars: &[String],
    ) {
        let mut candidates: Vec<String> = vars.to_vec();
        if let Some(m) = self.mods.iter().find(|m| m.file == file) {
            candidates.extend(m.names.keys().cloned());
        }
        candidates.extend(schema::ROOTS.iter().map(|r| r.name.to_string()));
        // `tables` for `stmt.tables`: a field named without its root.
        let suffix = format!(".{}", name.name);
        let field = schema::FIELDS.iter().find(|f| f.path.ends_with(&suffix));
        let help = if hint == Some(Type::STR) {
            format!("strings are written in quotes: `\"{}\"`", name.name)
        } else if let Some(f) = field {
            format!(
                "did you mean the field `{}`? fields are read with their root",
                f.path
            )
        } else {
            suggest(
                &name.name,
                candidates.iter().map(String::as_str),
                "a name is a quantifier variable, a set or def of this module, or an enum variant",
            )
        };
        let d = Diagnostic::error(
            codes::UNKNOWN_NAME,
            name.span,
            format!("unknown name `{}`", name.name),
        )
        .with_label("not defined")
        .with_help(help);
        self.error(file, d);
    }

    fn collection(
        &mut self,
        cx: &mut Ctx,
        kind: CollectionKind,
        items: &[ast::Expr],
        span: Span,
        hint: Option<Type>,
    ) -> Option<TExpr> {
        let noun = match kind {
            CollectionKind::Set => "set",
            CollectionKind::List => "list",
        };
        // Without context, bare variants type each other: `{other, drop}` is a set of statement
        // kinds (`other` alone is ambiguous), `{exec, sql}` of action kinds (`exec` alone is
        // also a root).
        let item_hint = hint.map(|t| Type::Scalar(scalar_of(t))).or_else(|| {
            let bare: Vec<&str> = items
                .iter()
                .filter_map(|i| self.bare_variant(cx, i))
                .map(|i| i.name.as_str())
                .collect();
            let owners: Vec<EnumType> = EnumType::ALL
                .iter()
                .copied()
                .filter(|t| !bare.is_empty() && bare.iter().all(|b| t.variant_index(b).is_some()))
                .collect();
            match owners.as_slice() {
                [t] => Some(Type::Scalar(Scalar::Enum(*t))),
                _ => None,
            }
        });
        let mut out = Vec::new();
        let mut element: Option<(Scalar, Span)> = None;
        let mut ok = true;
        for item in items {
            let Some(t) = self.expr(cx, item, item_hint) else {
                ok = false;
                continue;
            };
            let Type::Scalar(s) = t.ty else {
                let d = Diagnostic::error(
                    codes::MIXED_COLLECTION,
                    t.span,
                    format!("a {noun} holds scalars, not `{}`", t.ty),
                )
                .with_label(format!("this is `{}`", t.ty))
                .with_help(
                    "collections do not nest: test membership with `in` or quantify with `any`",
                );
                self.error(cx.file, d);
                ok = false;
                continue;
            };
            match element {
                None => element = Some((s, t.span)),
                Some((first, first_span)) if first != s => {
                    let d = Diagnostic::error(
                        codes::MIXED_COLLECTION,
                        t.span,
                        format!("this {noun} mixes `{first}` and `{s}`"),
                    )
                    .with_label(format!("this is `{s}`"))
                    .with_secondary(first_span, format!("the {noun} holds `{first}` from here"))
                    .with_help(format!("a {noun} holds values of one type"));
                    self.error(cx.file, d);
                    ok = false;
                    continue;
                }
                Some(_) => {}
            }
            out.push(t);
        }
        if !ok {
            return None;
        }
        let element = match (element, item_hint) {
            (Some((s, _)), _) | (None, Some(Type::Scalar(s))) => s,
            _ => {
                let d = Diagnostic::error(
                    codes::INVALID_SET,
                    span,
                    format!("cannot tell the type of this empty {noun}"),
                )
                .with_label(format!("an empty {noun}"))
                .with_help("compare it with something typed, or remove it");
                self.error(cx.file, d);
                return None;
            }
        };
        let ty = match kind {
            CollectionKind::Set => Type::Set(element),
            CollectionKind::List => Type::List(element),
        };
        texpr(TExprKind::Collection { kind, items: out }, ty, span)
    }

    fn binary(
        &mut self,
        cx: &mut Ctx,
        op: ast::BinOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> Option<TExpr> {
        use ast::BinOp as B;
        match op {
            B::And | B::Or => self.chain(cx, op, lhs, rhs),
            B::Eq | B::Ne | B::Lt | B::Le | B::Gt | B::Ge => {
                let (l, r) = if self.bare_variant(cx, lhs).is_some()
                    && self.bare_variant(cx, rhs).is_none()
                {
                    let r = self.expr(cx, rhs, None);
                    let l = self.expr(cx, lhs, r.as_ref().map(|r| r.ty));
                    (l, r)
                } else {
                    let l = self.expr(cx, lhs, None);
                    let r = self.expr(cx, rhs, l.as_ref().map(|l| l.ty));
                    (l, r)
                };
                let (l, r) = (l?, r?);
                let cmp = match op {
                    B::Eq => CmpOp::Eq,
                    B::Ne => CmpOp::Ne,
                    B::Lt => CmpOp::Lt,
                    B::Le => CmpOp::Le,
                    B::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                if matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
                    if !matches!(l.ty, Type::Scalar(_)) || !matches!(r.ty, Type::Scalar(_)) {
                        let d = Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            op_span,
                            format!("`{}` compares scalars, not `{}` and `{}`", op.symbol(), l.ty, r.ty),
                        )
                        .with_label("compares whole collections")
                        .with_secondary(l.span, format!("`{}`", l.ty))
                        .with_secondary(r.span, format!("`{}`", r.ty))
                        .with_help("test membership with `in`, quantify with `any`/`all`, or compare `len(…)`");
                        self.error(cx.file, d);
                        return None;
                    }
                    if l.ty != r.ty {
                        let d = Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            op_span,
                            format!("cannot compare `{}` with `{}`", l.ty, r.ty),
                        )
                        .with_label("different types")
                        .with_secondary(l.span, format!("this is `{}`", l.ty))
                        .with_secondary(r.span, format!("this is `{}`", r.ty))
                        .with_help(mismatch_help(&l, &r));
                        self.error(cx.file, d);
                        return None;
                    }
                } else if l.ty != Type::INT || r.ty != Type::INT {
                    let d = Diagnostic::error(
                        codes::ORDERING_NOT_INT,
                        op_span,
                        format!("`{}` orders ints, not `{}` and `{}`", op.symbol(), l.ty, r.ty),
                    )
                    .with_label("ordering needs two ints")
                    .with_secondary(l.span, format!("this is `{}`", l.ty))
                    .with_secondary(r.span, format!("this is `{}`", r.ty))
                    .with_help("compare strings and enums with `==`, `!=` or `in`; count a list with `len(…)`");
                    self.error(cx.file, d);
                    return None;
                }
                texpr(
                    TExprKind::Compare {
                        op: cmp,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    Type::BOOL,
                    span,
                )
            }
            B::In | B::NotIn => {
                let (l, r) = if self.bare_variant(cx, lhs).is_some() {
                    let r = self.expr(cx, rhs, None);
                    let elem = r.as_ref().map(|r| Type::Scalar(scalar_of(r.ty)));
                    let l = self.expr(cx, lhs, elem);
                    (l, r)
                } else {
                    let l = self.expr(cx, lhs, None);
                    let r = self.expr(cx, rhs, l.as_ref().map(|l| Type::Set(scalar_of(l.ty))));
                    (l, r)
                };
                let (l, r) = (l?, r?);
                let elem = match r.ty {
                    Type::List(s) | Type::Set(s) => s,
                    Type::Scalar(s) => {
                        let help = if s == Scalar::Str && l.ty == Type::STR {
                            "to test for a substring, use `contains(text, part)`".to_string()
                        } else {
                            "the right of `in` is a set or list: a literal `{…}`, a `set` or a list field".to_string()
                        };
                        let d = Diagnostic::error(
                            codes::NOT_A_COLLECTION,
                            r.span,
                            format!(
                                "`{}` needs a list or set on its right, found `{}`",
                                op.symbol(),
                                r.ty
                            ),
                        )
                        .with_label(format!("this is `{}`", r.ty))
                        .with_help(help);
                        self.error(cx.file, d);
                        return None;
                    }
                };
                if l.ty != Type::Scalar(elem) {
                    let help = match (&l.ty, &r.kind) {
                        (Type::Scalar(Scalar::Enum(t)), TExprKind::Collection { items, .. })
                            if items.iter().any(|i| matches!(&i.kind, TExprKind::Str(s) if t.variant_index(s).is_some())) =>
                        {
                            "enum variants are written without quotes: `{drop, truncate}`".to_string()
                        }
                        (Type::List(_) | Type::Set(_), _) => {
                            "quantify over the left side: `any x in …: x in …`".to_string()
                        }
                        _ => format!("the left of `{}` must be a `{elem}`", op.symbol()),
                    };
                    let d = Diagnostic::error(
                        codes::ELEMENT_MISMATCH,
                        op_span,
                        format!("`{}` is not an element type of `{}`", l.ty, r.ty),
                    )
                    .with_label("element types differ")
                    .with_secondary(l.span, format!("this is `{}`", l.ty))
                    .with_secondary(r.span, format!("this holds `{elem}`"))
                    .with_help(help);
                    self.error(cx.file, d);
                    return None;
                }
                texpr(
                    TExprKind::In {
                        negated: op == B::NotIn,
                        elem: Box::new(l),
                        coll: Box::new(r),
                    },
                    Type::BOOL,
                    span,
                )
            }
            B::Matches => {
                let l = self.expr(cx, lhs, Some(Type::STR));
                let pattern = match &rhs.kind {
                    ast::ExprKind::Str(glob) => match globset::Glob::new(glob) {
                        Ok(_) => Some(Pattern::Glob(glob.clone())),
                        Err(e) => {
                            let d = Diagnostic::error(codes::INVALID_GLOB, rhs.span, format!("invalid glob `{glob}`"))
                                .with_label(e.kind().to_string())
                                .with_help("globs use `*`, `?`, `[abc]`, `{a,b}`; escape a literal one with `[*]`");
                            self.error(cx.file, d);
                            None
                        }
                    },
                    ast::ExprKind::Regex(re) => match regex::Regex::new(re) {
                        Ok(_) => Some(Pattern::Regex(re.clone())),
                        Err(e) => {
                            let d = Diagnostic::error(codes::INVALID_REGEX, rhs.span, format!("invalid regex `{re}`"))
                                .with_label(regex_error(&e))
                                .with_help("regexes use Rust `regex` syntax (no look-around or back-references)");
                            self.error(cx.file, d);
                            None
                        }
                    },
                    ast::ExprKind::Error => None,
                    _ => {
                        let d = Diagnostic::error(
                            codes::INVALID_MATCHES,
                            rhs.span,
                            "the right of `matches` must be a glob or regex literal",
                        )
                        .with_label("not a literal pattern")
                        .with_help("write `matches \"billing.*\"` or `matches re\"^pg_\"`; patterns are compiled when policies are checked");
                        self.error(cx.file, d);
                        None
                    }
                };
                let l = l?;
                if l.ty != Type::STR {
                    let help = match l.ty {
                        Type::List(_) | Type::Set(_) => {
                            "quantify: `any t in stmt.tables: t matches \"billing.*\"`"
                        }
                        _ => "`matches` tests strings",
                    };
                    let d = Diagnostic::error(
                        codes::INVALID_MATCHES,
                        l.span,
                        format!("`matches` needs a `string` on its left, found `{}`", l.ty),
                    )
                    .with_label(format!("this is `{}`", l.ty))
                    .with_help(help);
                    self.error(cx.file, d);
                    return None;
                }
                let pattern = pattern?;
                texpr(
                    TExprKind::Matches {
                        subject: Box::new(l),
                        pattern,
                        pattern_span: rhs.span,
                    },
                    Type::BOOL,
                    span,
                )
            }
        }
    }

    /// `a and b and c …` (or `or`): the parser builds chains left-deep, so a long chain would
    /// recurse once per operand. The spine is walked in a loop instead and the operands
    /// checked one by one; only real nesting (parentheses, `not`, quantifiers) recurses.
    fn chain(
        &mut self,
        cx: &mut Ctx,
        op: ast::BinOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<TExpr> {
        let mut operands = vec![rhs];
        let mut spine = lhs;
        while let ast::ExprKind::Binary {
            op: inner,
            lhs: l,
            rhs: r,
            ..
        } = &spine.kind
            && *inner == op
        {
            operands.push(r);
            spine = l;
        }
        operands.push(spine);
        operands.reverse();
        let what = format!("an operand of `{}`", op.symbol());
        let mut typed = Vec::with_capacity(operands.len());
        let mut ok = true;
        for operand in operands {
            match self.expr(cx, operand, Some(Type::BOOL)) {
                Some(t) if self.expect_bool(cx.file, &t, &what) => typed.push(t),
                _ => ok = false,
            }
        }
        if !ok {
            return None;
        }
        typed.into_iter().reduce(|l, r| {
            let span = l.span.cover(r.span);
            let (l, r) = (Box::new(l), Box::new(r));
            let kind = if op == ast::BinOp::And {
                TExprKind::And(l, r)
            } else {
                TExprKind::Or(l, r)
            };
            TExpr {
                kind,
                ty: Type::BOOL,
                span,
            }
        })
    }

    fn call(
        &mut self,
        cx: &mut Ctx,
        func: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<TExpr> {
        let Some(builtin) = Builtin::from_name(&func.name) else {
            for a in args {
                self.expr(cx, a, None);
            }
            let names: Vec<&str> = Builtin::ALL.iter().map(|b| b.name()).collect();
            let help = suggest(
                &func.name,
                names.iter().copied(),
                &format!("the built-in functions are: {}", names.join(", ")),
            );
            let d = Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                func.span,
                format!("unknown function `{}`", func.name),
            )
            .with_label("not a built-in function")
            .with_help(help);
            self.error(cx.file, d);
            return None;
        };
        let hint = (builtin != Builtin::Len).then_some(Type::STR);
        let typed: Vec<Option<TExpr>> = args.iter().map(|a| self.expr(cx, a, hint)).collect();
        if args.len() != builtin.arity() {
            let n = builtin.arity();
            let d = Diagnostic::error(
                codes::WRONG_ARITY,
                span,
                format!(
                    "`{}` takes {n} argument{}, found {}",
                    builtin.name(),
                    if n == 1 { "" } else { "s" },
                    args.len()
                ),
            )
            .with_label(format!(
                "{} argument{}",
                args.len(),
                if args.len() == 1 { "" } else { "s" }
            ))
            .with_help(format!("the signature is `{}`", builtin.signature()));
            self.error(cx.file, d);
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for t in typed {
            let Some(t) = t else {
                ok = false;
                continue;
            };
            let fits = match builtin {
                Builtin::Len => matches!(
                    t.ty,
                    Type::List(_) | Type::Set(_) | Type::Scalar(Scalar::Str)
                ),
                _ => t.ty == Type::STR,
            };
            if !fits {
                let help = match t.ty {
                    Type::List(_) | Type::Set(_) => format!(
                        "apply it to each element: `any x in …: {}(x, …)`; the signature is `{}`",
                        builtin.name(),
                        builtin.signature()
                    ),
                    _ => format!("the signature is `{}`", builtin.signature()),
                };
                let d = Diagnostic::error(
                    codes::ARGUMENT_TYPE,
                    t.span,
                    format!("`{}` does not take a `{}`", builtin.name(), t.ty),
                )
                .with_label(format!("this is `{}`", t.ty))
                .with_help(help);
                self.error(cx.file, d);
                ok = false;
                continue;
            }
            out.push(t);
        }
        ok.then(|| TExpr {
            kind: TExprKind::Call { builtin, args: out },
            ty: builtin.result(),
            span,
        })
    }

    fn quantified(
        &mut self,
        cx: &mut Ctx,
        quantifier: ast::Quantifier,
        var: &ast::Ident,
        over: &ast::Expr,
        body: &ast::Expr,
        span: Span,
    ) -> Option<TExpr> {
        let over = self.expr(cx, over, None)?;
        let element = match over.ty {
            Type::List(s) | Type::Set(s) => s,
            Type::Scalar(_) => {
                let d = Diagnostic::error(
                    codes::NOT_A_COLLECTION,
                    over.span,
                    format!("quantifiers run over lists and sets, not `{}`", over.ty),
                )
                .with_label(format!("this is `{}`", over.ty))
                .with_help("quantify over a list field (`stmt.tables`, `exec.args`), a `set`, or a literal");
                self.error(cx.file, d);
                return None;
            }
        };
        let name = var.name.as_str();
        let m = self.mods.get(cx.module);
        let shadows = if cx.vars.iter().any(|(v, _)| v == name) {
            Some("an outer quantifier variable")
        } else if schema::root(name).is_some() {
            Some("a schema root")
        } else if m.is_some_and(|m| m.names.contains_key(name)) {
            Some("a set or def of this module")
        } else if m.is_some_and(|m| m.aliases.contains_key(name)) {
            Some("an imported module")
        } else {
            None
        };
        if let Some(what) = shadows {
            let d = Diagnostic::error(codes::SHADOWED_NAME, var.span, format!("`{name}` hides {what}"))
                .with_label("choose another name")
                .with_help("a quantifier variable must not hide another name: a reader could not tell them apart");
            self.error(cx.file, d);
        }
        let slot = u32::try_from(cx.vars.len()).ok()?;
        cx.vars.push((name.to_string(), element));
        let body = self.expr(cx, body, Some(Type::BOOL));
        cx.vars.pop();
        let body = body?;
        if !self.expect_bool(cx.file, &body, "a quantifier body") || shadows.is_some() {
            return None;
        }
        let quantifier = match quantifier {
            ast::Quantifier::Any => Quantifier::Any,
            ast::Quantifier::All => Quantifier::All,
        };
        texpr(
            TExprKind::Quantified {
                quantifier,
                slot,
                name: name.to_string(),
                over: Box::new(over),
                body: Box::new(body),
            },
            Type::BOOL,
            span,
        )
    }
}

fn mismatch_help(l: &TExpr, r: &TExpr) -> String {
    let quoted_variant = |e: &TExpr, other: &TExpr| match (&e.kind, other.ty) {
        (TExprKind::Str(s), Type::Scalar(Scalar::Enum(t))) if t.variant_index(s).is_some() => {
            Some(s.clone())
        }
        _ => None,
    };
    if let Some(v) = quoted_variant(l, r).or_else(|| quoted_variant(r, l)) {
        return format!("enum variants are written without quotes: `{v}`");
    }
    "both sides of a comparison must have the same type".to_string()
}

/// The last line of a regex error (the reason), without the pattern excerpt.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || text.lines().last().unwrap_or("invalid regex").to_string(),
            str::to_string,
        )
}
