//! Inline interpreter code (`python3 -c CODE`, `node -e CODE`, here-documents into
//! `python3 -`/`node`): parsed with tree-sitter, walked by an allowlist-based analyser that
//! understands a fixed table of calls ([`table`]). What the code does is returned as
//! [`Effect`]s, each the shell spelling of the same thing (`shutil.rmtree(p)` is `rm -r p`), which
//! the shell analyser then runs through its existing machinery, so every rule written for the
//! shell spelling applies unchanged.
//!
//! Fail closed: a call that is not in the table, an effectful call whose arguments are not
//! literals (or names bound to literals), dynamic code (`exec`, `eval`, `__import__`,
//! `require(x)`, `new Function`), syntax the walker does not model, a parse error, too much code
//! or too deep nesting all stop the analysis with an [`Analysis::unknown`] reason; the caller
//! makes it an `opaque` action (beside the effects found before it).

mod calls;
mod javascript;
mod python;
mod table;

use std::collections::HashMap;

/// Code longer than this is not analysed.
pub const MAX_CODE_BYTES: usize = 64 * 1024;
/// Syntax nested deeper than this is not analysed (the walker recurses per level).
pub const MAX_DEPTH: usize = 64;
/// Nodes visited (loop bodies count once per pass) before the analysis gives up.
const MAX_STEPS: usize = 100_000;

/// The language of inline code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    JavaScript,
}

impl Lang {
    /// The language an interpreter runs, if guard analyses it.
    pub fn of_program(program: &str) -> Option<Lang> {
        match program {
            "python" | "python3" | "python2" => Some(Lang::Python),
            p if p.starts_with("python3.") || p.starts_with("python2.") => Some(Lang::Python),
            "node" | "nodejs" => Some(Lang::JavaScript),
            _ => None,
        }
    }
}

/// What the code does, in shell terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A program run with these words (`["rm", "-r", "/var/lib/postgresql"]`).
    Argv(Vec<String>),
    /// Shell text run by `sh -c` (`os.system(s)`, `child_process.execSync(s)`).
    Shell(String),
}

/// One effect and the byte span of the call that has it, in the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifted {
    pub effect: Effect,
    pub span: [u32; 2],
}

/// The result of analysing inline code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    /// Effects found, in order (those before an unknown call, when there is one).
    pub effects: Vec<Lifted>,
    /// Why the code could not be understood completely (completes "`python3 -c` …"), and the
    /// span of what stopped the analysis.
    pub unknown: Option<(String, [u32; 2])>,
}

/// Analyses `code` in `lang`. Never panics; anything not understood is `unknown`.
pub fn analyze(lang: Lang, code: &str) -> Analysis {
    analyze_with(lang, code, false)
}

/// [`analyze`] for code whose last expression's value is printed (`node -p`).
pub fn analyze_printed(lang: Lang, code: &str) -> Analysis {
    analyze_with(lang, code, true)
}

fn analyze_with(lang: Lang, code: &str, printed: bool) -> Analysis {
    let whole = [0, u32::try_from(code.len()).unwrap_or(u32::MAX)];
    if code.len() > MAX_CODE_BYTES {
        return Analysis {
            effects: vec![],
            unknown: Some((
                format!(
                    "code is {} bytes, over the {MAX_CODE_BYTES}-byte analysis limit",
                    code.len()
                ),
                whole,
            )),
        };
    }
    let mut parser = tree_sitter::Parser::new();
    let language: tree_sitter::Language = match lang {
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
    };
    let parsed = parser
        .set_language(&language)
        .ok()
        .and_then(|()| parser.parse(code, None));
    let Some(tree) = parsed else {
        return Analysis {
            effects: vec![],
            unknown: Some(("code could not be parsed".to_string(), whole)),
        };
    };
    let root = tree.root_node();
    if root.has_error() {
        return Analysis {
            effects: vec![],
            unknown: Some(("code does not parse".to_string(), whole)),
        };
    }
    let mut cx = Cx::new(lang, code);
    let result = match lang {
        Lang::Python => python::program(&mut cx, root),
        Lang::JavaScript => javascript::program(&mut cx, root, printed),
    };
    Analysis {
        effects: cx.effects,
        unknown: result.err().map(|s| (s.reason, s.span)),
    }
}

/// Why the walk stopped.
#[derive(Debug, Clone)]
pub(crate) struct Stop {
    reason: String,
    span: [u32; 2],
}

pub(crate) type R<T> = Result<T, Stop>;

/// A node's named children, comments left out.
pub(crate) fn named_children<'t>(node: tree_sitter::Node<'t>) -> Vec<tree_sitter::Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// A node's child by field name; its absence stops the analysis (the tree is not what the
/// walker expects).
pub(crate) fn field<'t>(node: tree_sitter::Node<'t>, name: &str) -> R<tree_sitter::Node<'t>> {
    match node.child_by_field_name(name) {
        Some(n) => Ok(n),
        None => stop(
            format!("code has a `{}` without its {name}", node.kind()),
            node,
        ),
    }
}

pub(crate) fn stop<T>(reason: impl Into<String>, node: tree_sitter::Node<'_>) -> R<T> {
    Err(Stop {
        reason: reason.into(),
        span: span(node),
    })
}

pub(crate) fn span(node: tree_sitter::Node<'_>) -> [u32; 2] {
    [
        u32::try_from(node.start_byte()).unwrap_or(u32::MAX),
        u32::try_from(node.end_byte()).unwrap_or(u32::MAX),
    ]
}

/// A value as far as the analyser knows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Str(String),
    Num(i64),
    /// A number that is not an integer guard keeps.
    Float,
    Bool(bool),
    Null,
    List(Vec<Val>),
    Dict(Vec<(String, Val)>),
    /// Harmless data whose value is not known (every method of it is harmless). `Some(path)`:
    /// the contents of that file.
    Data(Option<String>),
    /// Something in the table's namespace: a module, a function, a constant (`os.path.join`).
    Name(String),
    /// An object with effectful methods.
    Obj(Obj),
    /// A method of such an object.
    Method(Obj, String),
    /// A lambda or arrow function (its body is analysed where it is written).
    Func,
    /// Anything else: using it in a call stops the analysis.
    Unknown,
}

/// Objects whose methods have effects.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    /// A filesystem path object (`pathlib.Path`); `None` when the path is not known.
    Path(Option<String>),
    /// A database connection or cursor, and the database file (SQLite).
    Db(Db, Option<String>),
    /// The process environment (`os.environ`, `process.env`).
    Env,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Db {
    Postgres,
    Mysql,
    Sqlite,
}

impl Val {
    /// A literal (or a structure of literals).
    pub(crate) fn is_literal(&self) -> bool {
        match self {
            Val::Str(_) | Val::Num(_) | Val::Float | Val::Bool(_) | Val::Null => true,
            Val::List(items) => items.iter().all(Val::is_literal),
            Val::Dict(items) => items.iter().all(|(_, v)| v.is_literal()),
            _ => false,
        }
    }

    /// Harmless as data: a literal or [`Val::Data`].
    pub(crate) fn is_data(&self) -> bool {
        match self {
            Val::Str(_) | Val::Num(_) | Val::Float | Val::Bool(_) | Val::Null | Val::Data(_) => {
                true
            }
            Val::List(items) => items.iter().all(Val::is_data),
            Val::Dict(items) => items.iter().all(|(_, v)| v.is_data()),
            _ => false,
        }
    }

    /// The text of a literal string or number (or a known path object).
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Val::Str(s) => Some(s.clone()),
            Val::Num(n) => Some(n.to_string()),
            Val::Obj(Obj::Path(Some(p))) => Some(p.clone()),
            _ => None,
        }
    }

    /// Truthiness of a literal (`None` when not known).
    pub(crate) fn truthy(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Null => Some(false),
            Val::Num(n) => Some(*n != 0),
            Val::Str(s) => Some(!s.is_empty()),
            _ => None,
        }
    }
}

/// The join of two values a name may hold after branches or loop passes.
pub(crate) fn join(a: &Val, b: &Val) -> Val {
    if a == b {
        a.clone()
    } else if a.is_data() && b.is_data() {
        Val::Data(None)
    } else {
        Val::Unknown
    }
}

pub(crate) fn join_scopes(
    a: &HashMap<String, Val>,
    b: &HashMap<String, Val>,
) -> HashMap<String, Val> {
    let mut out = a.clone();
    for (k, v) in b {
        let joined = match a.get(k) {
            Some(old) => join(old, v),
            None => v.clone(),
        };
        out.insert(k.clone(), joined);
    }
    out
}

/// Widened for a closure body: values of names bound more than once may differ when it runs.
pub(crate) fn widen(v: &Val) -> Val {
    if v.is_data() {
        if v.is_literal() {
            Val::Data(None)
        } else {
            v.clone()
        }
    } else {
        Val::Unknown
    }
}

/// The walk's state.
pub(crate) struct Cx<'s> {
    pub lang: Lang,
    pub src: &'s str,
    pub effects: Vec<Lifted>,
    /// Nonzero while a loop body is walked to a fixpoint: effects are not recorded.
    pub quiet: usize,
    pub steps: usize,
    pub depth: usize,
    pub vars: HashMap<String, Val>,
    /// How many places bind each name (closures see names bound more than once widened).
    pub bindings: HashMap<String, usize>,
    /// Names that are parameters of the closures being walked, innermost last.
    pub params: Vec<Vec<String>>,
}

impl<'s> Cx<'s> {
    fn new(lang: Lang, src: &'s str) -> Cx<'s> {
        Cx {
            lang,
            src,
            effects: vec![],
            quiet: 0,
            steps: 0,
            depth: 0,
            vars: HashMap::new(),
            bindings: HashMap::new(),
            params: vec![],
        }
    }

    /// What a qualified name is in this language's table.
    pub(crate) fn kind(&self, name: &str) -> Option<table::Kind> {
        match self.lang {
            Lang::Python => table::python(name),
            Lang::JavaScript => table::javascript(name),
        }
    }

    pub(crate) fn text(&self, node: tree_sitter::Node<'_>) -> &'s str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    /// Counts a visit and a level; stops on too many or too deep.
    pub(crate) fn enter(&mut self, node: tree_sitter::Node<'_>) -> R<()> {
        self.steps += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return stop(
                format!("code is nested more than {MAX_DEPTH} levels deep"),
                node,
            );
        }
        if self.steps > MAX_STEPS {
            return stop("code is too large to analyse", node);
        }
        if node.is_missing() || node.is_error() {
            return stop("code does not parse", node);
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Walks `node` with `walk` one level deeper, counted against the step and depth limits.
    pub(crate) fn nested<'t, T>(
        &mut self,
        node: tree_sitter::Node<'t>,
        walk: impl FnOnce(&mut Self, tree_sitter::Node<'t>) -> R<T>,
    ) -> R<T> {
        self.enter(node)?;
        let r = walk(self, node);
        self.leave();
        r
    }

    /// A name the language's table knows as a constant or the environment, as that value.
    pub(crate) fn norm(&self, v: Val) -> Val {
        match &v {
            Val::Name(q) => match self.kind(q) {
                Some(table::Kind::Const) => Val::Data(None),
                Some(table::Kind::Env) => Val::Obj(Obj::Env),
                _ => v,
            },
            _ => v,
        }
    }

    /// Counts the places each name is bound (over-counting is safe: it only widens more).
    /// Below a node `binds` accepts, every name is a binding; `target` gives the child a node
    /// assigns to (`left` of an assignment); `is_name` says which node kinds are names.
    pub(crate) fn count_bindings(
        &mut self,
        root: tree_sitter::Node<'_>,
        binds: fn(&str) -> bool,
        is_name: fn(&str) -> bool,
        target: for<'t> fn(tree_sitter::Node<'t>) -> Option<tree_sitter::Node<'t>>,
    ) {
        let mut stack = vec![(root, false)];
        while let Some((node, binding)) = stack.pop() {
            let here = binding || binds(node.kind());
            if here && is_name(node.kind()) {
                let name = self.text(node).to_string();
                *self.bindings.entry(name).or_insert(0) += 1;
            }
            let target = target(node);
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                let is_target = target.is_some_and(|t| t.id() == child.id());
                stack.push((child, here || is_target));
            }
        }
    }

    pub(crate) fn emit(&mut self, effect: Effect, node: tree_sitter::Node<'_>) {
        if self.quiet == 0 {
            self.effects.push(Lifted {
                effect,
                span: span(node),
            });
        }
    }

    /// The value of a name in the code.
    pub(crate) fn lookup(&self, name: &str) -> Option<Val> {
        let v = self.vars.get(name)?;
        let is_param = self.params.iter().any(|ps| ps.iter().any(|p| p == name));
        if !self.params.is_empty() && !is_param && self.bindings.get(name).copied().unwrap_or(0) > 1
        {
            return Some(widen(v));
        }
        Some(v.clone())
    }

    pub(crate) fn bind(&mut self, name: &str, v: Val) {
        self.vars.insert(name.to_string(), v);
    }

    /// Walks a loop body to a fixpoint of the names it binds (effects not recorded), then once
    /// more recording effects. `body` is walked with the names as they may be on any pass.
    pub(crate) fn looped(&mut self, mut body: impl FnMut(&mut Cx<'s>) -> R<()>) -> R<()> {
        let mut stable = false;
        for _ in 0..4 {
            let before = self.vars.clone();
            self.quiet += 1;
            let r = body(self);
            self.quiet -= 1;
            r?;
            let joined = join_scopes(&before, &self.vars);
            stable = joined == before;
            self.vars = joined;
            if stable {
                break;
            }
        }
        if !stable {
            // Unreachable for the lattice used (literal → data → unknown), kept as a guard.
            for v in self.vars.values_mut() {
                *v = widen(v);
            }
        }
        let before = self.vars.clone();
        body(self)?;
        self.vars = join_scopes(&before, &self.vars);
        Ok(())
    }

    /// Walks alternative branches from the same state; names end up joined.
    pub(crate) fn branches(
        &mut self,
        count: usize,
        mut branch: impl FnMut(&mut Cx<'s>, usize) -> R<()>,
    ) -> R<()> {
        let start = self.vars.clone();
        let mut out: Option<HashMap<String, Val>> = None;
        for i in 0..count {
            self.vars = start.clone();
            branch(self, i)?;
            out = Some(match out {
                None => join_scopes(&start, &self.vars),
                Some(acc) => join_scopes(&acc, &self.vars),
            });
        }
        self.vars = out.unwrap_or(start);
        Ok(())
    }
}

/// Quotes a word for shell text (single quotes).
pub(crate) fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Shell text running `argv`.
pub(crate) fn shell_text(argv: &[String]) -> String {
    argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips_through_the_shell_parser() {
        for w in ["a b", "it's", "", "$(x)", "plain/path.txt", "a\"b", "*"] {
            let text = shell_text(&["echo".to_string(), w.to_string()]);
            let actions = crate::shell::analyze(&text, &crate::Origin::top());
            let json = serde_json::to_value(&actions).unwrap_or_default();
            let args = &json[0]["args"];
            assert_eq!(args[0].as_str(), Some(w), "{text}: {json}");
        }
    }
}
