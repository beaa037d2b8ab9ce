//! The checking driver: modules and imports, declarations, then bodies, then whole-program
//! checks (cycles, `default`, lints).
//!
//! Passes, in order (each later pass may rely on the tables the earlier ones filled):
//! 1. modules: one [`ModInfo`] per file; names unique across files.
//! 2. imports: `use` targets resolved, aliases unique, the module graph acyclic.
//! 3. declarations: sets (constant, typed now), defs (their `on`), rules and tests registered;
//!    duplicates reported with a label on the first.
//! 4. bodies: def bodies, rules and test cases type-checked (`expr`).
//! 5. whole program: def cycles, exactly one `default`, unused sets, defs and `use`s, constant
//!    folding (`lint`).
//!
//! Error recovery: a declaration that fails to check stays in the tables (a broken set as
//! `Named::InvalidSet`, a def with an unchecked body), so its uses are resolved silently and
//! one mistake is reported once, at its source, and never again as a lint.

mod expr;

use std::collections::{HashMap, HashSet};

use guard_diagnostics::{Diagnostic, FileId, SourceMap, Span, did_you_mean};
use guard_model::schema::{self, EnumType, Scalar, Type};
use guard_model::{ActionKind, ActorKind, Dialect, Effect, Mode};
use guard_syntax::ast;

use crate::codes;
use crate::graph::RefGraph;
use crate::lint;
use crate::program::{
    Const, Def, DefId, Module, Program, Rule, SetDef, SetId, TExpr, TExprKind, Template,
    TemplatePart, Test, TestCase,
};

/// A set or def name of one module.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Named {
    Set(SetId),
    Def(DefId),
    /// A set whose declaration had errors: uses resolve to it silently, so one mistake is
    /// reported once, at the declaration.
    InvalidSet,
}

/// What the checker knows about one file's module.
pub(crate) struct ModInfo<'a> {
    pub name: String,
    pub file: FileId,
    pub ast: &'a ast::File,
    /// Sets and defs, one namespace (both are read by bare name).
    pub names: HashMap<String, (Named, Span)>,
    pub rules: HashMap<String, RuleMeta>,
    /// `use` bindings: alias → (module index, span of the `use`).
    pub aliases: HashMap<String, (usize, Span)>,
    /// Aliases some expression read through.
    pub aliases_used: HashSet<String>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleMeta {
    pub span: Span,
    pub effect: Effect,
    pub mode: Mode,
}

/// A def's declaration, known before any body is checked.
#[derive(Debug, Clone)]
pub(crate) struct DefMeta {
    pub name: String,
    pub on: Option<ActionKind>,
    /// The `on` did not resolve: scope checks are skipped to avoid cascades.
    pub lenient: bool,
}

pub(crate) struct Checker<'a> {
    /// File names for messages that mention another file; absent when checking bare trees.
    pub sources: Option<&'a SourceMap>,
    pub mods: Vec<ModInfo<'a>>,
    pub by_name: HashMap<String, usize>,
    pub program: Program,
    pub diags: Vec<Diagnostic>,
    pub set_used: Vec<bool>,
    pub def_used: Vec<bool>,
    pub def_meta: Vec<DefMeta>,
    /// Whether each def's body type-checked; a def that did not has a placeholder body that
    /// the lints must not fold.
    pub def_checked: Vec<bool>,
    pub def_graph: RefGraph,
    /// `use` declarations (module index, span) already reported as errors: not linted again.
    pub reported_uses: HashSet<(usize, Span)>,
}

/// Checks a set of parsed files as one program. Every diagnostic is tagged with its file and
/// they are sorted by file and position (whole-program diagnostics, with no file, last).
pub fn check(files: &[(FileId, &ast::File)]) -> (Program, Vec<Diagnostic>) {
    run(files, None)
}

/// [`check`], naming files from `sources` where a message refers to another file (a module
/// or `default` declared twice).
pub fn check_sources(
    files: &[(FileId, &ast::File)],
    sources: &SourceMap,
) -> (Program, Vec<Diagnostic>) {
    run(files, Some(sources))
}

fn run<'a>(
    files: &[(FileId, &'a ast::File)],
    sources: Option<&'a SourceMap>,
) -> (Program, Vec<Diagnostic>) {
    let mut checker = Checker {
        sources,
        mods: Vec::new(),
        by_name: HashMap::new(),
        program: Program::default(),
        diags: Vec::new(),
        set_used: Vec::new(),
        def_used: Vec::new(),
        def_meta: Vec::new(),
        def_checked: Vec::new(),
        def_graph: RefGraph::default(),
        reported_uses: HashSet::new(),
    };
    checker.modules(files);
    checker.imports();
    checker.declarations();
    checker.bodies();
    checker.whole_program();
    let Checker {
        program, mut diags, ..
    } = checker;
    diags.sort_by_key(|d| (d.file.is_none(), d.file, d.primary.span.start));
    (program, diags)
}

fn effect(e: ast::Effect) -> Effect {
    match e {
        ast::Effect::Allow => Effect::Allow,
        ast::Effect::Warn => Effect::Warn,
        ast::Effect::RequireApproval => Effect::RequireApproval,
        ast::Effect::Deny => Effect::Deny,
    }
}

fn mode(m: Option<(ast::Mode, Span)>) -> Mode {
    match m {
        Some((ast::Mode::Audit, _)) => Mode::Audit,
        _ => Mode::Enforce,
    }
}

/// `did you mean `x`?` when a candidate is close, else `fallback`.
pub(crate) fn suggest<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    fallback: &str,
) -> String {
    match did_you_mean(name, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None => fallback.to_string(),
    }
}

/// Action kinds and `request`, as written after `on`.
fn targets() -> Vec<&'static str> {
    let mut v: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
    v.push("request");
    v
}

impl<'a> Checker<'a> {
    /// `` `a.guard` `` when names are known, else "another file".
    fn file_name(&self, file: FileId) -> String {
        self.sources
            .and_then(|s| s.get(file))
            .map_or_else(|| "another file".to_string(), |f| format!("`{}`", f.name))
    }

    pub(crate) fn error(&mut self, file: FileId, d: Diagnostic) {
        self.diags.push(d.in_file(file));
    }

    fn modules(&mut self, files: &[(FileId, &'a ast::File)]) {
        for &(file, ast) in files {
            let index = self.mods.len();
            let name = ast
                .module
                .as_ref()
                .map_or_else(String::new, |m| m.path.dotted());
            if let Some(decl) = &ast.module {
                match self.by_name.get(&name) {
                    Some(&first) => {
                        let other = self.mods.get(first).map(|m| m.file);
                        let d = Diagnostic::error(
                            codes::DUPLICATE_MODULE,
                            decl.path.span,
                            format!("module `{name}` is declared twice"),
                        )
                        .with_label("second declaration")
                        .with_help(format!(
                            "each module lives in one file, and {} already declares `{name}`: rename one of them",
                            other.map_or_else(|| "another file".to_string(), |f| self.file_name(f))
                        ));
                        self.error(file, d);
                    }
                    None => {
                        self.by_name.insert(name.clone(), index);
                    }
                }
                self.program.modules.push(Module {
                    name: name.clone(),
                    doc: decl.doc.clone(),
                    uses: Vec::new(),
                    file,
                    span: decl.span,
                });
            } else {
                self.program.modules.push(Module {
                    name: String::new(),
                    doc: Vec::new(),
                    uses: Vec::new(),
                    file,
                    span: Span::default(),
                });
            }
            self.mods.push(ModInfo {
                name,
                file,
                ast,
                names: HashMap::new(),
                rules: HashMap::new(),
                aliases: HashMap::new(),
                aliases_used: HashSet::new(),
            });
        }
    }

    fn imports(&mut self) {
        let mut graph = RefGraph::default();
        for index in 0..self.mods.len() {
            let Some(m) = self.mods.get(index) else {
                continue;
            };
            let (file, ast) = (m.file, m.ast);
            for item in &ast.items {
                let ast::Item::Use(u) = item else { continue };
                let target = u.path.dotted();
                let Some(&to) = self.by_name.get(&target) else {
                    let help = suggest(
                        &target,
                        self.by_name.keys().map(String::as_str),
                        "pass the file that declares this module to `guard check` as well",
                    );
                    let d = Diagnostic::error(
                        codes::UNKNOWN_MODULE,
                        u.path.span,
                        format!("unknown module `{target}`"),
                    )
                    .with_label("no checked file declares this module")
                    .with_help(help);
                    self.error(file, d);
                    continue;
                };
                let alias = u.alias.as_ref().or(u.path.segments.last());
                let Some(alias) = alias else { continue };
                if schema::root(&alias.name).is_some() {
                    let d = Diagnostic::error(
                        codes::ALIAS_SHADOWS_ROOT,
                        alias.span,
                        format!("`use` binds `{}`, which is a schema root", alias.name),
                    )
                    .with_label("this name already means the schema record")
                    .with_help(format!(
                        "bind the module to another name: `use {target} as {}_mod`",
                        alias.name
                    ));
                    self.error(file, d);
                    continue;
                }
                let Some(m) = self.mods.get_mut(index) else {
                    continue;
                };
                if let Some(&(_, first)) = m.aliases.get(&alias.name) {
                    let d = Diagnostic::error(
                        codes::DUPLICATE_ALIAS,
                        alias.span,
                        format!("`{}` is imported twice", alias.name),
                    )
                    .with_label("second binding")
                    .with_secondary(first, "first bound here")
                    .with_help(format!(
                        "give one of them another name: `use {target} as other_name`"
                    ));
                    self.error(file, d);
                    self.reported_uses.insert((index, first));
                    continue;
                }
                m.aliases.insert(alias.name.clone(), (to, u.span));
                if let Some(pm) = self.program.modules.get_mut(index) {
                    pm.uses.push(target.clone());
                }
                graph.add_edge(index, to, u.span);
            }
        }
        for cycle in graph.cycles() {
            self.reported_uses
                .extend(cycle.iter().map(|e| (e.from, e.span)));
            let name = |i: usize| {
                self.mods
                    .get(i)
                    .map_or("?", |m| m.name.as_str())
                    .to_string()
            };
            let mut chain: Vec<String> = cycle
                .iter()
                .map(|e| format!("`{}`", name(e.from)))
                .collect();
            if let Some(first) = cycle.first() {
                chain.push(format!("`{}`", name(first.from)));
            }
            let steps: Vec<String> = cycle
                .iter()
                .map(|e| format!("`{}` uses `{}`", name(e.from), name(e.to)))
                .collect();
            let Some(first) = cycle.first() else { continue };
            let Some(file) = self.mods.get(first.from).map(|m| m.file) else {
                continue;
            };
            let mut d = Diagnostic::error(
                codes::MODULE_CYCLE,
                first.span,
                format!("module cycle: {}", chain.join(" → ")),
            )
            .with_label(format!(
                "`{}` uses `{}` here",
                name(first.from),
                name(first.to)
            ));
            for e in cycle.iter().skip(1) {
                if self.mods.get(e.from).map(|m| m.file) == Some(file) {
                    d = d.with_secondary(
                        e.span,
                        format!("`{}` uses `{}` here", name(e.from), name(e.to)),
                    );
                }
            }
            d = d.with_help(format!(
                "{}; move what they share into a module that uses neither",
                steps.join(", ")
            ));
            self.error(file, d);
        }
    }

    fn declarations(&mut self) {
        for index in 0..self.mods.len() {
            let Some(m) = self.mods.get(index) else {
                continue;
            };
            let (file, ast, mod_name) = (m.file, m.ast, m.name.clone());
            let mut tests: HashMap<&str, Span> = HashMap::new();
            for item in &ast.items {
                match item {
                    ast::Item::Set(s) => {
                        if !self.declare_name(index, &s.name) {
                            continue;
                        }
                        let id = SetId(u32::try_from(self.program.sets.len()).unwrap_or(u32::MAX));
                        let named = match self.set_decl(file, &mod_name, s) {
                            Some(def) => {
                                self.program.sets.push(def);
                                self.set_used.push(false);
                                Named::Set(id)
                            }
                            None => Named::InvalidSet,
                        };
                        if let Some(m) = self.mods.get_mut(index) {
                            m.names.insert(s.name.name.clone(), (named, s.name.span));
                        }
                    }
                    ast::Item::Def(d) => {
                        if !self.declare_name(index, &d.name) {
                            continue;
                        }
                        let (on, lenient) = match &d.on {
                            None => (None, false),
                            Some(on) => match schema::rule_target(&on.name) {
                                Some(k) => (k, false),
                                None => {
                                    self.unknown_target(file, on);
                                    (None, true)
                                }
                            },
                        };
                        let id = DefId(u32::try_from(self.program.defs.len()).unwrap_or(u32::MAX));
                        // The body is checked in `bodies`; until then (and for ever, if it
                        // does not type-check) it is `false`.
                        self.program.defs.push(Def {
                            id: format!("{mod_name}.{}", d.name.name),
                            doc: d.doc.clone(),
                            on,
                            body: TExpr {
                                kind: TExprKind::Bool(false),
                                ty: Type::BOOL,
                                span: d.body.span,
                            },
                            file,
                            span: d.span,
                        });
                        self.def_used.push(false);
                        self.def_checked.push(false);
                        self.def_meta.push(DefMeta {
                            name: d.name.name.clone(),
                            on,
                            lenient,
                        });
                        if let Some(m) = self.mods.get_mut(index) {
                            m.names
                                .insert(d.name.name.clone(), (Named::Def(id), d.name.span));
                        }
                    }
                    ast::Item::Rule(r) => {
                        let Some(m) = self.mods.get_mut(index) else {
                            continue;
                        };
                        if let Some(first) = m.rules.get(&r.name.name) {
                            let d = Diagnostic::error(
                                codes::DUPLICATE_RULE,
                                r.name.span,
                                format!(
                                    "rule `{}` is declared twice in module `{mod_name}`",
                                    r.name.name
                                ),
                            )
                            .with_label("second declaration")
                            .with_secondary(first.span, "first declared here")
                            .with_help(
                                "rule ids (`module.rule`) must be unique: rename one of them",
                            );
                            self.error(file, d);
                            continue;
                        }
                        m.rules.insert(
                            r.name.name.clone(),
                            RuleMeta {
                                span: r.name.span,
                                effect: effect(r.effect),
                                mode: mode(r.mode),
                            },
                        );
                    }
                    ast::Item::Test(t) => {
                        if let Some(&first) = tests.get(t.name.name.as_str()) {
                            let d = Diagnostic::error(
                                codes::DUPLICATE_TEST,
                                t.name.span,
                                format!(
                                    "test `{}` is declared twice in module `{mod_name}`",
                                    t.name.name
                                ),
                            )
                            .with_label("second declaration")
                            .with_secondary(first, "first declared here")
                            .with_help("rename one of them, or merge their cases");
                            self.error(file, d);
                            continue;
                        }
                        tests.insert(&t.name.name, t.name.span);
                    }
                    ast::Item::Use(_) | ast::Item::Default(_) => {}
                }
            }
        }
    }

    /// Reports a duplicate set/def name; returns whether the name is new.
    fn declare_name(&mut self, index: usize, name: &ast::Ident) -> bool {
        let Some(m) = self.mods.get(index) else {
            return false;
        };
        let Some(&(kind, first)) = m.names.get(&name.name) else {
            return true;
        };
        let what = match kind {
            Named::Set(_) | Named::InvalidSet => "set",
            Named::Def(_) => "def",
        };
        let d = Diagnostic::error(
            codes::DUPLICATE_DEFINITION,
            name.span,
            format!("`{}` is already declared in module `{}`", name.name, m.name),
        )
        .with_label("second declaration")
        .with_secondary(first, format!("first declared here, as a {what}"))
        .with_help("sets and defs of a module share one namespace: rename one of them");
        let file = m.file;
        self.error(file, d);
        false
    }

    fn unknown_target(&mut self, file: FileId, on: &ast::Ident) {
        let help = suggest(
            &on.name,
            targets(),
            &format!("rules and defs are `on` one of: {}", targets().join(", ")),
        );
        let d = Diagnostic::error(
            codes::UNKNOWN_ACTION_KIND,
            on.span,
            format!("unknown action kind `{}`", on.name),
        )
        .with_label("not an action kind")
        .with_help(help);
        self.error(file, d);
    }

    /// A `set` declaration: a non-empty literal of constants of one type.
    fn set_decl(&mut self, file: FileId, module: &str, s: &ast::SetDecl) -> Option<SetDef> {
        let ast::ExprKind::Set(items) = &s.value.kind else {
            let d = Diagnostic::error(
                codes::INVALID_SET,
                s.value.span,
                format!("set `{}` must be a set literal", s.name.name),
            )
            .with_label("not a `{…}` literal")
            .with_help("write the values out: `set name = {\"a\", \"b\"}`");
            self.error(file, d);
            return None;
        };
        if items.is_empty() {
            let d = Diagnostic::error(
                codes::INVALID_SET,
                s.value.span,
                format!("set `{}` is empty", s.name.name),
            )
            .with_label("an empty set has no element type")
            .with_help("add at least one value, or remove the set");
            self.error(file, d);
            return None;
        }
        // Bare names are enum variants; the set's enum is the one enum they all belong to.
        let bare: Vec<&ast::Ident> = items
            .iter()
            .filter_map(|e| match &e.kind {
                ast::ExprKind::Path(p) if p.segments.len() == 1 => p.segments.first(),
                _ => None,
            })
            .collect();
        let enums: Vec<EnumType> = EnumType::ALL
            .iter()
            .copied()
            .filter(|t| bare.iter().all(|b| t.variant_index(&b.name).is_some()))
            .collect();
        let enum_type = match (bare.is_empty(), enums.as_slice()) {
            (true, _) => None,
            (false, [one]) => Some(*one),
            (false, []) => {
                for b in &bare {
                    if EnumType::ALL
                        .iter()
                        .all(|t| t.variant_index(&b.name).is_none())
                    {
                        self.unknown_bare_name(file, b, None, &[]);
                    }
                }
                if bare.iter().all(|b| {
                    EnumType::ALL
                        .iter()
                        .any(|t| t.variant_index(&b.name).is_some())
                }) {
                    let d = Diagnostic::error(
                        codes::MIXED_COLLECTION,
                        s.value.span,
                        format!(
                            "the variants of set `{}` belong to different enums",
                            s.name.name
                        ),
                    )
                    .with_label("no one enum has all of these variants")
                    .with_help("a set holds values of one type: split it into one set per enum");
                    self.error(file, d);
                }
                return None;
            }
            (false, many) => {
                let names: Vec<String> = many.iter().map(|t| format!("`{}`", t.name())).collect();
                let d = Diagnostic::error(
                    codes::AMBIGUOUS_VARIANT,
                    s.value.span,
                    format!("the variants of set `{}` belong to several enums", s.name.name),
                )
                .with_label(format!("could be {}", names.join(" or ")))
                .with_help("add a variant only one of those enums has, or write the values inline where they are compared");
                self.error(file, d);
                return None;
            }
        };
        let mut values: Vec<Const> = Vec::new();
        let mut element: Option<(Scalar, Span)> = None;
        let mut ok = true;
        for item in items {
            let value = match &item.kind {
                ast::ExprKind::Bool(b) => Const::Bool(*b),
                ast::ExprKind::Int(i) => Const::Int(*i),
                ast::ExprKind::Str(v) => Const::Str(v.clone()),
                ast::ExprKind::Path(p) if p.segments.len() == 1 => {
                    let (Some(t), Some(seg)) = (enum_type, p.segments.first()) else {
                        continue;
                    };
                    let Some(i) = t.variant_index(&seg.name) else {
                        continue;
                    };
                    Const::Enum(t, i)
                }
                ast::ExprKind::Error => {
                    ok = false;
                    continue;
                }
                _ => {
                    let d = Diagnostic::error(
                        codes::INVALID_SET,
                        item.span,
                        "set elements must be constants",
                    )
                    .with_label("not a literal or an enum variant")
                    .with_help("sets hold constant data; put computed conditions in a `def`");
                    self.error(file, d);
                    ok = false;
                    continue;
                }
            };
            match element {
                None => element = Some((value.scalar(), item.span)),
                Some((first, first_span)) if first != value.scalar() => {
                    let d = Diagnostic::error(
                        codes::MIXED_COLLECTION,
                        item.span,
                        format!(
                            "set `{}` mixes `{first}` and `{}`",
                            s.name.name,
                            value.scalar()
                        ),
                    )
                    .with_label(format!("this is `{}`", value.scalar()))
                    .with_secondary(first_span, format!("the set is `set<{first}>` from here"))
                    .with_help("a set holds values of one type");
                    self.error(file, d);
                    ok = false;
                    continue;
                }
                Some(_) => {}
            }
            if !values.contains(&value) {
                values.push(value);
            }
        }
        let (element, _) = element?;
        ok.then(|| SetDef {
            id: format!("{module}.{}", s.name.name),
            doc: s.doc.clone(),
            element,
            values,
            file,
            span: s.span,
        })
    }

    fn bodies(&mut self) {
        for index in 0..self.mods.len() {
            let Some(m) = self.mods.get(index) else {
                continue;
            };
            let (file, ast, mod_name) = (m.file, m.ast, m.name.clone());
            for item in &ast.items {
                match item {
                    ast::Item::Def(d) => self.def_body(index, file, d),
                    ast::Item::Rule(r) => {
                        // Only the first of duplicate rules is part of the program.
                        let first = self
                            .mods
                            .get(index)
                            .and_then(|m| m.rules.get(&r.name.name))
                            .map(|m| m.span);
                        let rule = self.rule(index, file, &mod_name, r);
                        if first == Some(r.name.span) {
                            self.program.rules.push(rule);
                        }
                    }
                    ast::Item::Test(t) => {
                        let test = self.test(index, file, &mod_name, t);
                        self.program.tests.push(test);
                    }
                    ast::Item::Use(_) | ast::Item::Set(_) | ast::Item::Default(_) => {}
                }
            }
        }
    }

    fn def_body(&mut self, module: usize, file: FileId, d: &ast::DefDecl) {
        let found = self
            .mods
            .get(module)
            .and_then(|m| m.names.get(&d.name.name))
            .copied();
        let Some((Named::Def(id), span)) = found else {
            return;
        };
        if span != d.name.span {
            // A duplicate: its name belongs to the first declaration.
            return;
        }
        let Some(meta) = self.def_meta.get(id.0 as usize).cloned() else {
            return;
        };
        let mut cx = expr::Ctx::new(
            module,
            file,
            meta.on,
            meta.lenient,
            expr::Owner::Def {
                id,
                has_on: d.on.is_some(),
            },
        );
        let body = self.expr(&mut cx, &d.body, Some(Type::BOOL));
        if let Some(body) = body
            && self.expect_bool(file, &body, &format!("the body of def `{}`", meta.name))
            && let Some(def) = self.program.defs.get_mut(id.0 as usize)
        {
            def.body = body;
            if let Some(ok) = self.def_checked.get_mut(id.0 as usize) {
                *ok = true;
            }
        }
    }

    /// Reports a non-bool condition; returns whether it was bool.
    pub(crate) fn expect_bool(&mut self, file: FileId, e: &TExpr, what: &str) -> bool {
        if e.ty == Type::BOOL {
            return true;
        }
        let d = Diagnostic::error(
            codes::EXPECTED_BOOL,
            e.span,
            format!("{what} must be `bool`, found `{}`", e.ty),
        )
        .with_label(format!("this is `{}`", e.ty))
        .with_help(match e.ty {
            Type::List(_) | Type::Set(_) => {
                "test a collection with `x in …`, `any x in …: …` or `len(…) > 0`"
            }
            _ => "compare it with something: `==`, `!=`, `in`, `matches`",
        });
        self.error(file, d);
        false
    }

    fn rule(&mut self, module: usize, file: FileId, mod_name: &str, r: &ast::RuleDecl) -> Rule {
        let (on, lenient) = match schema::rule_target(&r.on.name) {
            Some(k) => (k, false),
            None => {
                self.unknown_target(file, &r.on);
                (None, true)
            }
        };
        let owner = expr::Owner::Rule {
            on_name: r.on.name.clone(),
        };
        let mut when = Vec::new();
        for w in &r.when {
            let mut cx = expr::Ctx::new(module, file, on, lenient, owner.clone());
            if let Some(e) = self.expr(&mut cx, w, Some(Type::BOOL))
                && self.expect_bool(file, &e, "a `when` condition")
            {
                when.push(e);
            }
        }
        let mut unless = Vec::new();
        for u in &r.unless {
            let mut cx = expr::Ctx::new(module, file, on, lenient, owner.clone());
            if let Some(e) = self.expr(&mut cx, u, Some(Type::BOOL))
                && self.expect_bool(file, &e, "an `unless` condition")
            {
                unless.push(e);
            }
        }
        let message = match &r.message {
            Some(t) => Some(self.template(module, file, on, lenient, &owner, t)),
            None => {
                let d = Diagnostic::error(
                    codes::MISSING_MESSAGE,
                    r.name.span,
                    format!("rule `{}` has no `message`", r.name.name),
                )
                .with_label("every rule needs a message")
                .with_help("add `message \"…\"` saying what was stopped and why; it is shown to whoever ran the command");
                self.error(file, d);
                None
            }
        };
        let help = r
            .help
            .as_ref()
            .map(|t| self.template(module, file, on, lenient, &owner, t));
        Rule {
            id: format!("{mod_name}.{}", r.name.name),
            doc: r.doc.clone(),
            effect: effect(r.effect),
            on,
            mode: mode(r.mode),
            when,
            unless,
            message,
            help,
            controls: r.controls.iter().map(|c| c.value.clone()).collect(),
            file,
            span: r.span,
            name_span: r.name.span,
        }
    }

    fn template(
        &mut self,
        module: usize,
        file: FileId,
        on: Option<ActionKind>,
        lenient: bool,
        owner: &expr::Owner,
        t: &ast::Template,
    ) -> Template {
        let mut parts = Vec::new();
        for part in &t.parts {
            match part {
                ast::TemplatePart::Text(s) => parts.push(TemplatePart::Text(s.clone())),
                ast::TemplatePart::Expr(e) => {
                    let mut cx = expr::Ctx::new(module, file, on, lenient, owner.clone());
                    if let Some(e) = self.expr(&mut cx, e, None) {
                        parts.push(TemplatePart::Expr(e));
                    }
                }
            }
        }
        Template {
            parts,
            span: t.span,
        }
    }

    fn test(&mut self, module: usize, file: FileId, mod_name: &str, t: &ast::TestDecl) -> Test {
        let mut cases = Vec::new();
        for c in &t.cases {
            let dialect = match &c.dialect {
                None => Dialect::default(),
                Some(d) => match Dialect::from_name(&d.name) {
                    Some(v) => v,
                    None => {
                        let names: Vec<&str> = Dialect::ALL.iter().map(|v| v.name()).collect();
                        let help = suggest(
                            &d.name,
                            names.iter().copied(),
                            &format!("known dialects: {}", names.join(", ")),
                        );
                        let diag = Diagnostic::error(
                            codes::UNKNOWN_DIALECT,
                            d.span,
                            format!("unknown dialect `{}`", d.name),
                        )
                        .with_label("not a SQL dialect guard knows")
                        .with_help(help);
                        self.error(file, diag);
                        Dialect::default()
                    }
                },
            };
            let actor_kind = match &c.actor_kind {
                None => ActorKind::default(),
                Some(k) => match ActorKind::from_name(&k.name) {
                    Some(v) => v,
                    None => {
                        let names: Vec<&str> = ActorKind::ALL.iter().map(|v| v.name()).collect();
                        let help = suggest(
                            &k.name,
                            names.iter().copied(),
                            &format!("actor kinds: {}", names.join(", ")),
                        );
                        let diag = Diagnostic::error(
                            codes::UNKNOWN_ACTOR_KIND,
                            k.span,
                            format!("unknown actor kind `{}`", k.name),
                        )
                        .with_label("not an actor kind")
                        .with_help(help);
                        self.error(file, diag);
                        ActorKind::default()
                    }
                },
            };
            let expect = effect(c.expect);
            let by =
                c.by.as_ref()
                    .and_then(|p| self.test_by(module, file, mod_name, p, expect));
            cases.push(TestCase {
                channel: match c.channel {
                    ast::Channel::Sql => guard_model::Channel::Sql,
                    ast::Channel::Shell => guard_model::Channel::Shell,
                },
                command: c.command.value.clone(),
                env: c.env.as_ref().map(|e| e.value.clone()).unwrap_or_default(),
                dialect,
                actor_kind,
                actor_id: c
                    .actor_id
                    .as_ref()
                    .map(|a| a.value.clone())
                    .unwrap_or_default(),
                groups: c.groups.iter().map(|g| g.value.clone()).collect(),
                labels: c
                    .labels
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
                expect,
                by,
                span: c.span,
            });
        }
        Test {
            id: format!("{mod_name}.{}", t.name.name),
            doc: t.doc.clone(),
            module: mod_name.to_string(),
            cases,
            file,
            span: t.span,
        }
    }

    /// Resolves a test case's `by` to a rule id and checks the rule can give `expect`.
    fn test_by(
        &mut self,
        module: usize,
        file: FileId,
        mod_name: &str,
        by: &ast::Path,
        expect: Effect,
    ) -> Option<String> {
        let (rule, module_path) = by.segments.split_last()?;
        let target = if module_path.is_empty() {
            module
        } else {
            let names: Vec<&str> = module_path.iter().map(|s| s.name.as_str()).collect();
            let wanted = names.join(".");
            match self.by_name.get(&wanted) {
                Some(&m) => m,
                None => {
                    let help = suggest(
                        &wanted,
                        self.by_name.keys().map(String::as_str),
                        "name a rule as `rule` (this module) or `module.rule`",
                    );
                    let span = module_path
                        .iter()
                        .map(|s| s.span)
                        .reduce(Span::cover)
                        .unwrap_or(by.span);
                    let d = Diagnostic::error(
                        codes::UNKNOWN_MODULE,
                        span,
                        format!("unknown module `{wanted}`"),
                    )
                    .with_label("no checked file declares this module")
                    .with_help(help);
                    self.error(file, d);
                    return None;
                }
            }
        };
        let m = self.mods.get(target)?;
        let target_name = m.name.clone();
        let Some(meta) = m.rules.get(&rule.name).copied() else {
            let help = suggest(
                &rule.name,
                m.rules.keys().map(String::as_str),
                &format!("`by` names a rule of module `{target_name}`"),
            );
            let d = Diagnostic::error(
                codes::UNKNOWN_RULE,
                by.span,
                format!("module `{target_name}` has no rule `{}`", rule.name),
            )
            .with_label("no such rule")
            .with_help(help);
            self.error(file, d);
            return None;
        };
        let id = format!("{target_name}.{}", rule.name);
        let shown = if target_name == mod_name {
            rule.name.clone()
        } else {
            id.clone()
        };
        if meta.mode == Mode::Audit {
            let d = Diagnostic::error(
                codes::IMPOSSIBLE_EXPECTATION,
                by.span,
                format!("rule `{shown}` runs in audit mode, so it never decides a request"),
            )
            .with_label("an audit-mode rule")
            .with_help("drop `by …` from this case, or test the rule once it enforces");
            self.error(file, d);
        } else if meta.effect != expect {
            let d = Diagnostic::error(
                codes::IMPOSSIBLE_EXPECTATION,
                by.span,
                format!(
                    "rule `{shown}` gives `{}`, so it cannot decide `{expect}`",
                    meta.effect
                ),
            )
            .with_label(format!("this rule's effect is `{}`", meta.effect))
            .with_help(format!(
                "expect `=> {} by {}`, or name the rule that gives `{expect}`",
                meta.effect,
                by.dotted()
            ));
            self.error(file, d);
        }
        Some(id)
    }

    fn whole_program(&mut self) {
        // Def cycles.
        for cycle in self.def_graph.cycles() {
            let name = |i: usize| {
                self.def_meta
                    .get(i)
                    .map_or("?", |m| m.name.as_str())
                    .to_string()
            };
            let Some(first) = cycle.first() else { continue };
            let Some(file) = self.program.defs.get(first.from).map(|d| d.file) else {
                continue;
            };
            let mut chain: Vec<String> = cycle
                .iter()
                .map(|e| format!("`{}`", name(e.from)))
                .collect();
            chain.push(format!("`{}`", name(first.from)));
            let mut d = Diagnostic::error(
                codes::DEF_CYCLE,
                first.span,
                format!("def cycle: {}", chain.join(" → ")),
            )
            .with_label(format!(
                "`{}` uses `{}` here",
                name(first.from),
                name(first.to)
            ));
            for e in cycle.iter().skip(1) {
                if self.program.defs.get(e.from).map(|d| d.file) == Some(file) {
                    d = d.with_secondary(
                        e.span,
                        format!("`{}` uses `{}` here", name(e.from), name(e.to)),
                    );
                }
            }
            d = d.with_help("defs cannot refer to themselves, directly or through other defs: evaluation must end");
            self.error(file, d);
        }

        // Exactly one `default`.
        let mut defaults: Vec<(usize, FileId, &ast::DefaultDecl)> = Vec::new();
        for (i, m) in self.mods.iter().enumerate() {
            for item in &m.ast.items {
                if let ast::Item::Default(d) = item {
                    defaults.push((i, m.file, d));
                }
            }
        }
        let mut new = Vec::new();
        match defaults.as_slice() {
            [] => {
                // Anchored on the first module so the report has a file to point at.
                let anchor = self
                    .mods
                    .iter()
                    .find_map(|m| m.ast.module.as_ref().map(|d| (m.file, d.path.span)));
                let mut d = Diagnostic::error(codes::MISSING_DEFAULT, anchor.map_or(Span::default(), |a| a.1), "no `default` declared")
                    .with_label("no checked module declares `default allow` or `default deny`")
                    .with_help("declare the decision for requests no rule matches, in exactly one module: `default deny` or `default allow`");
                if let Some((file, _)) = anchor {
                    d = d.in_file(file);
                }
                new.push(d);
            }
            [(first_mod, first_file, first_decl), rest @ ..] => {
                let (first_mod, first_file, first_decl) = (*first_mod, *first_file, *first_decl);
                self.program.default = Some(effect(first_decl.effect));
                let first_name = self.mods.get(first_mod).map_or("", |m| m.name.as_str());
                for (_, file, d) in rest {
                    let mut diag = Diagnostic::error(
                        codes::DUPLICATE_DEFAULT,
                        d.span,
                        "`default` is declared more than once",
                    )
                    .with_label("another `default`");
                    if *file == first_file {
                        diag = diag.with_secondary(first_decl.span, "first declared here");
                    }
                    diag = diag
                        .with_help(format!(
                            "a bundle has exactly one default; module `{first_name}`{} already declares `default {}`",
                            if *file == first_file { String::new() } else { format!(" ({})", self.file_name(first_file)) },
                            first_decl.effect.keyword()
                        ))
                        .in_file(*file);
                    new.push(diag);
                }
                if !rest.is_empty() {
                    self.program.default = None;
                }
            }
        }
        self.diags.extend(new);

        // Unused sets and defs.
        let mut new = Vec::new();
        for m in &self.mods {
            for item in &m.ast.items {
                let (used, code, kind, name) = match item {
                    ast::Item::Set(s) => match m.names.get(&s.name.name) {
                        Some((Named::Set(id), span)) if *span == s.name.span => (
                            self.set_used.get(id.0 as usize).copied().unwrap_or(true),
                            codes::UNUSED_SET,
                            "set",
                            &s.name,
                        ),
                        _ => continue,
                    },
                    ast::Item::Def(d) => match m.names.get(&d.name.name) {
                        Some((Named::Def(id), span)) if *span == d.name.span => (
                            self.def_used.get(id.0 as usize).copied().unwrap_or(true),
                            codes::UNUSED_DEF,
                            "def",
                            &d.name,
                        ),
                        _ => continue,
                    },
                    _ => continue,
                };
                if !used {
                    new.push(
                        Diagnostic::warning(code, name.span, format!("{kind} `{}` is never used", name.name))
                            .with_label("declared here, read nowhere")
                            .with_help(format!("use it in a rule, or remove it (modules that `use` `{}` read it as `{}.{}`)", m.name, m.name.rsplit('.').next().unwrap_or(&m.name), name.name))
                            .in_file(m.file),
                    );
                }
            }
        }
        // Unused imports, in source order.
        for (index, m) in self.mods.iter().enumerate() {
            for item in &m.ast.items {
                let ast::Item::Use(u) = item else { continue };
                if self.reported_uses.contains(&(index, u.span)) {
                    continue;
                }
                let Some(alias) = u.alias.as_ref().or(u.path.segments.last()) else {
                    continue;
                };
                let bound_here = m
                    .aliases
                    .get(&alias.name)
                    .is_some_and(|(_, span)| *span == u.span);
                if bound_here && !m.aliases_used.contains(&alias.name) {
                    new.push(
                        Diagnostic::warning(codes::UNUSED_USE, u.span, format!("`use {}` is never used", u.path.dotted()))
                            .with_label(format!("nothing here reads `{}.…`", alias.name))
                            .with_help("remove it; a module's rules are part of the bundle whether or not another module uses it")
                            .in_file(m.file),
                    );
                }
            }
        }
        self.diags.extend(new);
        self.diags
            .extend(lint::lint_rules(&self.program, &self.def_checked));
    }
}
