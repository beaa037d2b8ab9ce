//! Shell text → actions. Stages: [`scan`] bounds the nesting before anything recursive runs;
//! brush-parser builds a real bash AST; the walker visits every simple command reachable
//! (pipelines, `;`/`&&`/`||` lists, subshells, brace groups, `if`/`for`/`while`/`case` bodies,
//! functions, command and process substitutions, here-documents), expands its words as far as
//! they can be known ([`words`]), emits one `exec` action per program, unwraps wrappers and
//! interpreters ([`wrappers`]: `sudo`, `bash -c`, `ssh host 'cmd'`, `xargs`, `find -exec`, …)
//! and hands known tools to [`crate::lift`] for typed actions. [`substitute`] knows the text
//! a command is fed from elsewhere (`cmd < <(…)`, `printf` formats, files written earlier in
//! the same text); [`env`] the environment assignments each program runs with.
//!
//! Invariants:
//! - [`analyze`] never returns an empty list and never panics; input deeper than
//!   [`MAX_DEPTH`] levels or nested through more than [`MAX_NESTING`] re-parses is one
//!   `opaque` (`too_large`) action, never a stack overflow.
//! - What cannot be known statically is an `opaque` action with a reason: a program from an
//!   unresolved variable or substitution, `eval` of a non-literal, code piped from a download
//!   or decoder into an interpreter, unparseable text.
//! - Variables are resolved only when the same command assigned them a constant on every
//!   path that reaches the use; a branch or loop that may change one makes it unknown.

mod argv;
mod env;
mod net;
mod scan;
mod substitute;
mod words;
mod wrappers;

use brush_parser::ast;
use guard_model::{Action, ActionDetail, ExecAction, List, OpaqueCause, Str};
use smallvec::SmallVec;

use crate::{Origin, lift, opaque};
pub(crate) use argv::{
    Arg, ShortIndex, Spec, Takes, classify, classify_from, looks_like_path, normalize_path,
    spec_for,
};
pub(crate) use net::url_host;
pub(crate) use substitute::KnownFile;
use words::{Var, Vars};
pub(crate) use wrappers::kubectl_verb_position;

/// Nesting deeper than this (as estimated by [`scan::depth`]) is not parsed.
pub const MAX_DEPTH: usize = 128;
/// Texts nested inside texts (`bash -c "sudo sh -c '…'"`) deeper than this are not parsed.
pub const MAX_NESTING: usize = 16;
/// Up to this estimated depth the parser runs on the caller's stack; deeper input is parsed
/// on a thread with [`BIG_STACK`] bytes of stack.
const INLINE_DEPTH: usize = 24;
const BIG_STACK: usize = 256 * 1024 * 1024;

/// Analyses shell text. Never returns an empty list.
pub fn analyze(text: &str, origin: &Origin) -> Vec<Action> {
    let ctx = Ctx {
        origin: origin.clone(),
        elevated: false,
        remote: String::new(),
    };
    // Sized by the walker, after parsing (see `Walker::new`).
    let mut out = Vec::new();
    analyze_nested(text, &ctx, Vars::new(), None, &mut out);
    if out.is_empty() {
        let span = origin.place([0, len32(text)]);
        out.push(opaque(
            OpaqueCause::Unsupported,
            "the command runs no program",
            span,
            &origin.via,
            text,
        ));
    }
    out
}

fn len32(text: &str) -> u32 {
    u32::try_from(text.len()).unwrap_or(u32::MAX)
}

/// The context nested text is analysed in.
#[derive(Debug, Clone)]
struct Ctx {
    origin: Origin,
    elevated: bool,
    remote: String,
}

/// Where a command's stdin comes from.
#[derive(Debug, Clone)]
pub(crate) enum Stdin {
    /// Another pipeline stage; `programs` are all earlier stages' programs.
    Pipe { programs: List, data: PipeData },
    /// A here-document (`step` `<<`) or here-string (`<<<`) with its expanded text.
    Here {
        text: String,
        span: [u32; 2],
        step: &'static str,
        dynamic: bool,
    },
    /// An input redirection from a file.
    File(String),
}

/// What a pipe carries, as far as guard can tell.
#[derive(Debug, Clone)]
pub(crate) enum PipeData {
    /// Text known exactly (`echo 'drop table x' | psql`).
    Literal { text: String, span: [u32; 2] },
    /// Data from a downloader or decoder (the program named).
    Decoded(String),
    /// Anything else.
    Other,
}

/// Analyses nested (or top-level) text, appending its actions to `out`: a nested analysis
/// writes straight into its parent's list rather than building one of its own.
fn analyze_nested(text: &str, ctx: &Ctx, vars: Vars, stdin: Option<Stdin>, out: &mut Vec<Action>) {
    let whole = ctx.origin.place([0, len32(text)]);
    if ctx.origin.via.len() > MAX_NESTING {
        let reason =
            format!("commands nested more than {MAX_NESTING} levels deep are not analysed");
        out.push(opaque(
            OpaqueCause::TooLarge,
            reason,
            whole,
            &ctx.origin.via,
            text,
        ));
        return;
    }
    // The exact estimate only when the cheap bound does not already settle it.
    let bound = scan::depth_bound(text);
    let depth = if bound <= INLINE_DEPTH {
        bound
    } else {
        scan::depth(text)
    };
    if depth > MAX_DEPTH {
        let reason = format!(
            "shell text nested about {depth} levels deep, over the {MAX_DEPTH}-level limit"
        );
        out.push(opaque(
            OpaqueCause::TooLarge,
            reason,
            whole,
            &ctx.origin.via,
            "",
        ));
        return;
    }
    if depth <= INLINE_DEPTH {
        parse_and_walk(text, ctx, vars, stdin, out);
        return;
    }
    // Deep (but bounded) input: the parser and walker recurse per level, so give them room.
    let owned_text = text.to_string();
    let owned_ctx = ctx.clone();
    let spawned = std::thread::Builder::new()
        .stack_size(BIG_STACK)
        .spawn(move || {
            let mut actions = vec![];
            parse_and_walk(&owned_text, &owned_ctx, vars, stdin, &mut actions);
            actions
        });
    match spawned.map(std::thread::JoinHandle::join) {
        Ok(Ok(actions)) => out.extend(actions),
        _ => out.push(opaque(
            OpaqueCause::TooLarge,
            "deeply nested shell text could not be analysed",
            whole,
            &ctx.origin.via,
            "",
        )),
    }
}

fn parse(text: &str) -> Result<ast::Program, brush_parser::ParseError> {
    let options = words::options();
    let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options);
    parser.parse_program()
}

fn parse_and_walk(text: &str, ctx: &Ctx, vars: Vars, stdin: Option<Stdin>, out: &mut Vec<Action>) {
    if scan::has_here_operator(text) && scan::unterminated(text) {
        // Never handed to brush-parser, which can loop forever on these (see `scan`).
        let reason = "shell text does not parse: an open quote, substitution or here-document is never closed";
        out.push(opaque(
            OpaqueCause::ParseError,
            reason,
            ctx.origin.place([0, len32(text)]),
            &ctx.origin.via,
            text,
        ));
        return;
    }
    match parse(text) {
        Ok(mut program) => {
            // Sized once, before anything is pushed: growing a buffer of large actions copies
            // them, and the growth of a many-stage pipeline's buffer is a large reallocation.
            if out.capacity() == 0 {
                out.reserve_exact(expected_actions(&program));
            }
            // The walker appends to `out` itself (its indices are into that list).
            let mut walker = Walker::new(text, ctx, vars, std::mem::take(out));
            for list in &mut program.complete_commands {
                walker.list(list, stdin.as_ref());
            }
            *out = walker.out;
        }
        Err(e) => {
            let whole = ctx.origin.place([0, len32(text)]);
            out.push(opaque(
                OpaqueCause::ParseError,
                format!("shell text does not parse: {e}"),
                whole,
                &ctx.origin.via,
                text,
            ));
            // Still report what the lines that do parse on their own would run.
            if text.contains('\n') {
                let mut offset = 0u32;
                for line in text.split('\n') {
                    // A line that would hang the parser is skipped like one that fails.
                    let hangs = line.contains("<<") && scan::unterminated(line);
                    if !line.trim().is_empty()
                        && !hangs
                        && let Ok(mut program) = parse(line)
                    {
                        let mut walker = Walker::new(line, ctx, Vars::new(), std::mem::take(out));
                        walker.base = offset;
                        for list in &mut program.complete_commands {
                            walker.list(list, None);
                        }
                        *out = walker.out;
                    }
                    offset = offset.saturating_add(len32(line)).saturating_add(1);
                }
            }
        }
    }
}

/// How many actions a parsed text usually yields, to size the result buffer (never more than
/// [`MAX_RESERVED`]): one per program of its top-level pipelines and one more for each pipeline
/// of several stages (what it feeds an interpreter, a lifted tool), at least two (a program and
/// what it wraps or lifts to). Only a capacity: a wrong guess costs a reallocation, nothing else.
fn expected_actions(program: &ast::Program) -> usize {
    let mut n = 0usize;
    for list in &program.complete_commands {
        for item in &list.0 {
            let and_or = &item.0;
            let rest = and_or
                .additional
                .iter()
                .map(|(ast::AndOr::And(p) | ast::AndOr::Or(p))| p);
            for p in std::iter::once(&and_or.first).chain(rest) {
                n = n.saturating_add(p.seq.len() + usize::from(p.seq.len() > 1));
                // A quoted argument with a blank is often code run by the program (`bash -c
                // '…'`, `ssh host '…'`): room for it, a wrapper in it and what it lifts to.
                let quoted_code = p
                    .seq
                    .iter()
                    .filter(|c| matches!(c, ast::Command::Simple(s) if has_quoted_text(s)))
                    .count();
                n = n.saturating_add(3 * quoted_code);
            }
        }
    }
    n.clamp(2, MAX_RESERVED)
}

/// Whether a simple command has an argument written in quotes with a blank inside (`'a b'`).
fn has_quoted_text(command: &ast::SimpleCommand) -> bool {
    command.suffix.iter().flat_map(|s| s.0.iter()).any(|item| {
        matches!(item, ast::CommandPrefixOrSuffixItem::Word(w)
            if matches!(w.value.as_bytes().first(), Some(b'\'' | b'"')) && w.value.contains(' '))
    })
}

/// The most actions the result buffer is sized for up front.
const MAX_RESERVED: usize = 64;

/// The I/O of one simple command.
#[derive(Debug, Clone, Default)]
struct Io {
    writes: List,
    reads: List,
    hosts: List,
    /// Stdin set by the command's own redirections; else it inherits its caller's (a pipe),
    /// which is passed beside the `Io` by reference, never copied per command.
    stdin: Option<Stdin>,
    /// Local span of the whole command.
    span: [u32; 2],
    /// The literal path stdout is truncated into (`> file`), if any.
    created: Option<String>,
    /// Environment assignments in effect for the command (`NAME=value`).
    env: List,
}

/// Indices into the walker's actions (a pipeline's `exec` actions): inline up to eight.
type Marks = SmallVec<[usize; 8]>;

/// How a command was reached (borrowed: a wrapper builds a new one only for what it runs).
#[derive(Debug, Clone, Copy)]
struct Cx<'c> {
    origin: &'c Origin,
    elevated: bool,
    remote: &'c str,
    /// The caller owns `origin` and moves its `via` into the `exec` action afterwards
    /// ([`Walker::run`] returns the action's index), so the action is built without a copy.
    via_later: bool,
}

struct Walker<'a> {
    text: &'a str,
    ctx: &'a Ctx,
    vars: Vars,
    out: Vec<Action>,
    /// Byte offset of each char, when the text is not ASCII (brush counts chars).
    chars: Option<Vec<u32>>,
    /// Added to every local span (a line re-parsed on its own).
    base: u32,
    /// Indices of the `exec` actions of the pipeline stage being walked.
    stage: Option<Marks>,
    /// What the last simple command writes to stdout, when known exactly.
    literal_output: Option<(String, [u32; 2])>,
    /// Files written earlier in the text with literal content.
    files: Vec<substitute::KnownFile>,
}

impl<'a> Walker<'a> {
    /// A walker appending to `out` (usually empty; a nested analysis's is its parent's).
    fn new(text: &'a str, ctx: &'a Ctx, vars: Vars, mut out: Vec<Action>) -> Walker<'a> {
        // A parsed text's buffer is sized from its tree (`expected_actions`); any other (the
        // lines of a text that does not parse) starts with room for two, a program and what
        // it lifts to or wraps. Allocated after the parse, so that a later growth can usually
        // extend it in place.
        if out.capacity() == 0 {
            out.reserve_exact(2);
        }
        let chars = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
                .collect()
        });
        Walker {
            text,
            ctx,
            vars,
            out,
            chars,
            base: 0,
            stage: None,
            literal_output: None,
            files: vec![],
        }
    }

    fn source(&self) -> wrappers::Source<'a> {
        wrappers::Source {
            text: self.text,
            base: self.base,
        }
    }

    fn offset(&self, char_index: usize) -> u32 {
        let byte = match &self.chars {
            Some(map) => map
                .get(char_index)
                .copied()
                .unwrap_or_else(|| len32(self.text)),
            None => u32::try_from(char_index).unwrap_or(u32::MAX),
        };
        byte.saturating_add(self.base)
    }

    fn loc(&self, loc: &brush_parser::SourceSpan) -> [u32; 2] {
        [self.offset(loc.start.index), self.offset(loc.end.index)]
    }

    fn word_span(&self, w: &ast::Word) -> [u32; 2] {
        w.loc
            .as_ref()
            .map_or([self.base, self.base], |l| self.loc(l))
    }

    fn root_cx(&self) -> Cx<'a> {
        let ctx: &'a Ctx = self.ctx;
        Cx {
            origin: &ctx.origin,
            elevated: ctx.elevated,
            remote: &ctx.remote,
            via_later: false,
        }
    }

    // ----- structure -----

    // The walk takes the tree mutably only to move literal words out of it instead of
    // copying them (see `expand_word_into`); nothing is visited twice.

    fn list(&mut self, list: &mut ast::CompoundList, stdin: Option<&Stdin>) {
        for item in &mut list.0 {
            self.and_or(&mut item.0, stdin);
        }
    }

    /// `a && b || c`: what `a` or `b` sets (a variable, the directory) reaches the commands
    /// that only run after it succeeded (`&&` carries it on). A part after `||` runs because
    /// something before it failed, perhaps before setting anything, so what the list set so far
    /// is unknown to it; and what it sets is unknown after it (it may not have run). After the
    /// whole list, what its conditional parts set is unknown.
    fn and_or(&mut self, list: &mut ast::AndOrList, stdin: Option<&Stdin>) {
        if list.additional.is_empty() {
            self.pipeline(&mut list.first, stdin);
            return;
        }
        let start = self.vars.clone();
        self.pipeline(&mut list.first, stdin);
        let before = self.vars.clone();
        for next in &mut list.additional {
            match next {
                ast::AndOr::And(p) => self.pipeline(p, stdin),
                ast::AndOr::Or(p) => {
                    merge(&start, &mut self.vars);
                    let skipped = self.vars.clone();
                    self.pipeline(p, stdin);
                    merge(&skipped, &mut self.vars);
                }
            }
        }
        merge(&before, &mut self.vars);
    }

    fn pipeline(&mut self, pipeline: &mut ast::Pipeline, stdin: Option<&Stdin>) {
        if pipeline.seq.len() == 1 {
            if let Some(command) = pipeline.seq.first_mut() {
                self.command(command, stdin);
            }
            return;
        }
        let saved_stage = self.stage.take();
        let n = pipeline.seq.len();
        self.out.reserve(n);
        // The `exec` actions of every stage, in order; `ranges[i]` is stage i's part of it.
        let mut marks = Marks::new();
        let mut ranges: SmallVec<[[usize; 2]; 8]> = SmallVec::with_capacity(n);
        // Programs of every stage so far, in order; `bounds[i]` is stage i's range in it.
        // A `List`, so that the last stage takes it as its `piped_from` without a copy.
        let mut upstream = List::with_capacity(n);
        let mut bounds: SmallVec<[[usize; 2]; 8]> = SmallVec::with_capacity(n);
        let mut decoded: Option<String> = None;
        let mut previous_literal: Option<(String, [u32; 2])> = None;
        // The stdin of the current stage; `upstream` is moved in and back out, not copied.
        let mut pipe: Option<Stdin> = None;
        for (i, command) in pipeline.seq.iter_mut().enumerate() {
            let stage_stdin = if i == 0 {
                stdin
            } else {
                let data = match (&decoded, previous_literal.take()) {
                    (Some(p), _) => PipeData::Decoded(p.clone()),
                    (None, Some((text, span))) => PipeData::Literal { text, span },
                    (None, None) => PipeData::Other,
                };
                pipe = Some(Stdin::Pipe {
                    programs: std::mem::take(&mut upstream),
                    data,
                });
                pipe.as_ref()
            };
            // The walker records this stage's `exec` actions at the end of `marks`.
            let first_mark = marks.len();
            self.stage = Some(std::mem::take(&mut marks));
            self.literal_output = None;
            // Not cloned when empty (usually): then restoring it is clearing.
            let before = (!self.vars.is_empty()).then(|| self.vars.clone());
            self.command(command, stage_stdin);
            if let Some(Stdin::Pipe { programs, .. }) = pipe.take() {
                upstream = programs;
            }
            // Each stage runs in a subshell: its assignments do not outlive it.
            match before {
                Some(before) => self.vars = before,
                None => self.vars.clear(),
            }
            let first_program = upstream.len();
            marks = self.stage.take().unwrap_or_default();
            for &m in marks.get(first_mark..).unwrap_or_default() {
                if let Some(Action {
                    detail: ActionDetail::Exec(e),
                    ..
                }) = self.out.get(m)
                {
                    if decoded.is_none() && wrappers::is_decoder(&e.program) {
                        decoded = Some(e.program.to_string());
                    }
                    // Escapes guard does not expand may decode anything (`printf '\x72m'`);
                    // a `printf` it expanded exactly is a literal instead.
                    if decoded.is_none()
                        && matches!(e.program.as_str(), "printf" | "echo")
                        && e.args.iter().any(|a| a.contains('\\'))
                        && !(e.program == "printf" && self.literal_output.is_some())
                    {
                        decoded = Some(e.program.to_string());
                    }
                    upstream.push(e.program.clone());
                }
            }
            previous_literal = self.literal_output.take();
            ranges.push([first_mark, marks.len()]);
            bounds.push([first_program, upstream.len()]);
        }
        // Every stage learns what feeds it and what it feeds. Each `exec` action gets its own
        // copies, except the very last one, which takes the programs themselves.
        let last_mark = marks.last().copied();
        for (&[first, end_mark], &[start, end]) in ranges.iter().zip(&bounds) {
            for &m in marks.get(first..end_mark).unwrap_or_default() {
                if let Some(Action {
                    detail: ActionDetail::Exec(e),
                    ..
                }) = self.out.get_mut(m)
                {
                    if Some(m) == last_mark && end == upstream.len() {
                        // The programs before it: the list itself, cut after them.
                        upstream.truncate(start);
                        e.piped_from = if start == 0 {
                            List::new()
                        } else {
                            std::mem::take(&mut upstream)
                        };
                    } else {
                        e.piped_from = copied(upstream.get(..start).unwrap_or_default());
                        e.piped_to = copied(upstream.get(end..).unwrap_or_default());
                    }
                    if !e.piped_from.is_empty()
                        && net_reads_stdin(&e.program)
                        && !e.hosts.is_empty()
                        && !e.sends.iter().any(|s| s == "-")
                    {
                        e.sends.push("-".into());
                    }
                }
            }
        }
        self.stage = saved_stage;
        self.literal_output = None;
    }

    fn command(&mut self, command: &mut ast::Command, stdin: Option<&Stdin>) {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, stdin),
            ast::Command::Compound(compound, redirects) => {
                let start = self.out.len();
                let io = redirects
                    .as_mut()
                    .map(|r| self.redirects(r.0.iter_mut()))
                    .unwrap_or_default();
                self.compound(compound, io.stdin.as_ref().or(stdin));
                self.apply_io(start, &io);
            }
            ast::Command::Function(def) => {
                // A function's body runs whenever it is called: analyse it where it is defined.
                let before = self.vars.clone();
                let start = self.out.len();
                let io = def
                    .body
                    .1
                    .as_mut()
                    .map(|r| self.redirects(r.0.iter_mut()))
                    .unwrap_or_default();
                self.compound(&mut def.body.0, None);
                self.apply_io(start, &io);
                merge(&before, &mut self.vars);
            }
            ast::Command::ExtendedTest(test, redirects) => {
                self.test_expr(&test.expr);
                if let Some(r) = redirects {
                    let _ = self.redirects(r.0.iter_mut());
                }
            }
        }
    }

    /// Output redirections of a compound command apply to every program inside it.
    fn apply_io(&mut self, start: usize, io: &Io) {
        if io.writes.is_empty() && io.reads.is_empty() && io.hosts.is_empty() {
            return;
        }
        for action in self.out.iter_mut().skip(start) {
            if let ActionDetail::Exec(e) = &mut action.detail {
                extend_unique(&mut e.writes, &io.writes);
                extend_unique(&mut e.reads, &io.reads);
                extend_unique(&mut e.hosts, &io.hosts);
            }
        }
    }

    fn compound(&mut self, compound: &mut ast::CompoundCommand, stdin: Option<&Stdin>) {
        match compound {
            ast::CompoundCommand::BraceGroup(g) => self.list(&mut g.list, stdin),
            ast::CompoundCommand::Subshell(s) => {
                let before = self.vars.clone();
                self.list(&mut s.list, stdin);
                self.vars = before;
            }
            ast::CompoundCommand::ForClause(f) => {
                if let Some(values) = &f.values {
                    for w in values {
                        let _ = self.expand_word(w, true);
                    }
                }
                let before = self.vars.clone();
                self.vars.insert(f.variable_name.clone(), Var::Unknown);
                self.list(&mut f.body.list, stdin);
                merge(&before, &mut self.vars);
            }
            ast::CompoundCommand::ArithmeticForClause(f) => {
                let before = self.vars.clone();
                self.list(&mut f.body.list, stdin);
                merge(&before, &mut self.vars);
            }
            ast::CompoundCommand::CaseClause(c) => {
                let _ = self.expand_word(&c.value, false);
                for item in &mut c.cases {
                    for p in &item.patterns {
                        let _ = self.expand_word(p, false);
                    }
                    if let Some(body) = &mut item.cmd {
                        let before = self.vars.clone();
                        self.list(body, stdin);
                        merge(&before, &mut self.vars);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                self.list(&mut i.condition, stdin);
                let before = self.vars.clone();
                self.list(&mut i.then, stdin);
                merge(&before, &mut self.vars);
                for e in i.elses.iter_mut().flatten() {
                    let before = self.vars.clone();
                    if let Some(c) = &mut e.condition {
                        self.list(c, stdin);
                    }
                    self.list(&mut e.body, stdin);
                    merge(&before, &mut self.vars);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                let before = self.vars.clone();
                self.list(&mut w.0, stdin);
                self.list(&mut w.1.list, stdin);
                merge(&before, &mut self.vars);
            }
            ast::CompoundCommand::Arithmetic(a) => {
                let span = self.loc(&a.loc);
                self.substitutions_in(&format!("\"{}\"", a.expr.value), span);
            }
            ast::CompoundCommand::Coprocess(c) => self.command(&mut c.body, stdin),
        }
    }

    fn test_expr(&mut self, expr: &ast::ExtendedTestExpr) {
        match expr {
            ast::ExtendedTestExpr::And(a, b) | ast::ExtendedTestExpr::Or(a, b) => {
                self.test_expr(a);
                self.test_expr(b);
            }
            ast::ExtendedTestExpr::Not(a) | ast::ExtendedTestExpr::Parenthesized(a) => {
                self.test_expr(a)
            }
            ast::ExtendedTestExpr::UnaryTest(_, w) => {
                let _ = self.expand_word(w, false);
            }
            ast::ExtendedTestExpr::BinaryTest(_, a, b) => {
                let _ = self.expand_word(a, false);
                let _ = self.expand_word(b, false);
            }
        }
    }

    /// Analyses the substitutions found in raw text (an arithmetic expression).
    fn substitutions_in(&mut self, raw: &str, span: [u32; 2]) {
        let expansion = words::expand(raw, &self.vars, false);
        for sub in expansion.substitutions {
            self.substitution(&sub, "$(…)", span, None);
        }
    }

    // ----- words -----

    /// [`Walker::expand_word`], appending the fields to `out`; a literal word (the common
    /// case) becomes its one field without building an intermediate expansion.
    fn expand_word_into(&mut self, w: &mut ast::Word, split: bool, out: &mut Vec<Arg>) {
        if words::is_literal(&w.value) {
            // Moved out, not copied: the walk never reads a word twice.
            out.push(Arg {
                text: std::mem::take(&mut w.value),
                span: self.word_span(w),
                dynamic: false,
                decoded: false,
            });
        } else if let Some(text) = words::unquote_simple(&w.value) {
            // Only quotes and escapes to remove: brush's word parser is not needed.
            out.push(Arg {
                text,
                span: self.word_span(w),
                dynamic: false,
                decoded: false,
            });
        } else {
            out.extend(self.expand_word(w, split));
        }
    }

    /// Expands a word; its substitutions are analysed as commands. Returns its fields.
    fn expand_word(&mut self, w: &ast::Word, split: bool) -> Vec<Arg> {
        let span = self.word_span(w);
        let expansion = words::expand(&w.value, &self.vars, split);
        let mut decoded = false;
        for sub in &expansion.substitutions {
            decoded |= self.substitution(sub, "$(…)", span, None);
        }
        expansion
            .fields
            .into_iter()
            .map(|f| Arg {
                decoded: decoded && f.dynamic,
                text: f.text,
                span,
                dynamic: f.dynamic,
            })
            .collect()
    }

    fn expand_joined(&mut self, w: &ast::Word) -> Arg {
        let span = self.word_span(w);
        let fields = self.expand_word(w, false);
        let text = fields
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        Arg {
            text,
            span,
            dynamic: fields.iter().any(|f| f.dynamic),
            decoded: fields.iter().any(|f| f.decoded),
        }
    }

    /// Analyses a command or process substitution; returns whether it downloads or decodes.
    fn substitution(
        &mut self,
        text: &str,
        step: &str,
        span: [u32; 2],
        stdin: Option<Stdin>,
    ) -> bool {
        let ctx = Ctx {
            origin: self.ctx.origin.nested(step, span),
            elevated: self.ctx.elevated,
            remote: self.ctx.remote.clone(),
        };
        let start = self.out.len();
        analyze_nested(text, &ctx, self.vars.clone(), stdin, &mut self.out);
        let nested = self.out.get(start..).unwrap_or_default();
        nested.iter().any(|a| match &a.detail {
            ActionDetail::Exec(e) => wrappers::is_decoder(&e.program),
            ActionDetail::Opaque(o) => o.cause == OpaqueCause::DecodedExec,
            _ => false,
        })
    }

    // ----- simple commands -----

    fn redirects<'r>(&mut self, items: impl Iterator<Item = &'r mut ast::IoRedirect>) -> Io {
        let mut io = Io::default();
        for r in items {
            match r {
                ast::IoRedirect::File(fd, kind, target) => match target {
                    ast::IoFileRedirectTarget::Filename(w) => {
                        let arg = self.expand_joined(w);
                        let literal = !arg.dynamic;
                        let path = arg.text;
                        if let Some(h) = net::dev_tcp_host(&path) {
                            push_unique(&mut io.hosts, h);
                        }
                        match kind {
                            ast::IoFileRedirectKind::Read => {
                                push_unique(&mut io.reads, path.as_str());
                                if fd.is_none_or(|f| f == 0) {
                                    io.stdin = Some(Stdin::File(path));
                                }
                            }
                            ast::IoFileRedirectKind::ReadAndWrite => {
                                push_unique(&mut io.reads, path.as_str());
                                push_unique(&mut io.writes, path);
                            }
                            ast::IoFileRedirectKind::Write | ast::IoFileRedirectKind::Clobber
                                if literal && fd.is_none_or(|f| f == 1) =>
                            {
                                io.created = Some(path.clone());
                                push_unique(&mut io.writes, path);
                            }
                            ast::IoFileRedirectKind::Write
                            | ast::IoFileRedirectKind::Append
                            | ast::IoFileRedirectKind::Clobber => {
                                push_unique(&mut io.writes, path);
                            }
                            // `>& file` (not a descriptor number) redirects stdout and stderr to it.
                            ast::IoFileRedirectKind::DuplicateOutput if !is_fd(&path) => {
                                push_unique(&mut io.writes, path)
                            }
                            ast::IoFileRedirectKind::DuplicateInput if !is_fd(&path) => {
                                push_unique(&mut io.reads, path)
                            }
                            ast::IoFileRedirectKind::DuplicateInput
                            | ast::IoFileRedirectKind::DuplicateOutput => {}
                        }
                    }
                    ast::IoFileRedirectTarget::ProcessSubstitution(sub_kind, sub) => {
                        let span = self.loc(&sub.loc);
                        let step = match sub_kind {
                            ast::ProcessSubstitutionKind::Read => "<(…)",
                            ast::ProcessSubstitutionKind::Write => ">(…)",
                        };
                        // `cmd < <(…)`: the substitution's output is the command's stdin.
                        if matches!(sub_kind, ast::ProcessSubstitutionKind::Read)
                            && matches!(kind, ast::IoFileRedirectKind::Read)
                            && fd.is_none_or(|f| f == 0)
                        {
                            io.stdin = Some(self.substitution_stdin(sub, step, span));
                        } else {
                            self.subshell_text(sub, step, span);
                        }
                    }
                    ast::IoFileRedirectTarget::Duplicate(w) => {
                        let arg = self.expand_joined(w);
                        if !is_fd(&arg.text) {
                            if let Some(h) = net::dev_tcp_host(&arg.text) {
                                push_unique(&mut io.hosts, h);
                            }
                            push_unique(&mut io.writes, arg.text);
                        }
                    }
                    ast::IoFileRedirectTarget::Fd(_) => {}
                },
                ast::IoRedirect::HereDocument(_, doc) => {
                    let span = self.word_span(&doc.doc);
                    let mut body = doc.doc.value.clone();
                    if doc.remove_tabs {
                        body = body
                            .lines()
                            .map(|l| l.trim_start_matches('\t'))
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                    let expansion =
                        words::expand_heredoc(&body, doc.requires_expansion, &self.vars);
                    for sub in &expansion.substitutions {
                        self.substitution(sub, "$(…)", span, None);
                    }
                    let dynamic = expansion.fields.iter().any(|f| f.dynamic);
                    let text = expansion
                        .fields
                        .into_iter()
                        .map(|f| f.text)
                        .collect::<String>();
                    io.stdin = Some(Stdin::Here {
                        text,
                        span,
                        step: "<<",
                        dynamic,
                    });
                }
                ast::IoRedirect::HereString(_, w) => {
                    let arg = self.expand_joined(w);
                    io.stdin = Some(Stdin::Here {
                        text: format!("{}\n", arg.text),
                        span: arg.span,
                        step: "<<<",
                        dynamic: arg.dynamic,
                    });
                }
                ast::IoRedirect::OutputAndError(w, _) => {
                    let arg = self.expand_joined(w);
                    if let Some(h) = net::dev_tcp_host(&arg.text) {
                        push_unique(&mut io.hosts, h);
                    }
                    push_unique(&mut io.writes, arg.text);
                }
            }
        }
        io
    }

    /// Analyses the commands of a process substitution (their text is re-cut from the source
    /// so they go through the same nested path as `$(…)`).
    fn subshell_text(
        &mut self,
        sub: &mut ast::SubshellCommand,
        step: &str,
        span: [u32; 2],
    ) -> bool {
        let ctx = Ctx {
            origin: self.ctx.origin.nested(step, span),
            elevated: self.ctx.elevated,
            remote: self.ctx.remote.clone(),
        };
        let start = self.out.len();
        let out = std::mem::take(&mut self.out);
        let mut walker = Walker::new(self.text, &ctx, self.vars.clone(), out);
        walker.chars.clone_from(&self.chars);
        walker.base = self.base;
        walker.list(&mut sub.list, None);
        self.out = walker.out;
        self.out
            .get(start..)
            .unwrap_or_default()
            .iter()
            .any(|a| matches!(&a.detail, ActionDetail::Exec(e) if wrappers::is_decoder(&e.program)))
    }

    fn simple(&mut self, cmd: &mut ast::SimpleCommand, stdin: Option<&Stdin>) {
        let mut assignments: Vec<(String, Var)> = vec![];
        // The same assignments as `NAME=value`, for the action's `env`.
        let mut env = List::new();
        let mut redirects: Vec<&mut ast::IoRedirect> = vec![];
        // One field per word, usually: sized once.
        let words = cmd.prefix.as_ref().map_or(0, |p| p.0.len())
            + cmd.suffix.as_ref().map_or(0, |s| s.0.len())
            + 1;
        let mut argv: Vec<Arg> = Vec::with_capacity(words.next_multiple_of(ARGV_STEP));
        let mut span: Option<[u32; 2]> = None;
        let mut widen = |s: [u32; 2]| {
            span = Some(match span {
                Some([a, b]) => [a.min(s[0]), b.max(s[1])],
                None => s,
            });
        };
        let declaration_builtin = cmd.word_or_name.as_ref().is_some_and(|w| {
            matches!(
                w.value.as_str(),
                "export" | "declare" | "typeset" | "local" | "readonly"
            )
        });
        for item in cmd.prefix.iter_mut().flat_map(|p| p.0.iter_mut()) {
            match item {
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    widen(self.word_span(w));
                    let value = self.assignment_value(a, w);
                    env.push(env::entry(a, &value));
                    assignments.push((assignment_name(a), value));
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r),
                ast::CommandPrefixOrSuffixItem::Word(w) => {
                    widen(self.word_span(w));
                    self.expand_word_into(w, true, &mut argv);
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(kind, sub) => {
                    let s = self.loc(&sub.loc);
                    widen(s);
                    argv.push(self.process_substitution(kind, sub, s));
                }
            }
        }
        if let Some(w) = &mut cmd.word_or_name {
            widen(self.word_span(w));
            self.expand_word_into(w, true, &mut argv);
        }
        let mut declared: Vec<(String, Var)> = vec![];
        for item in cmd.suffix.iter_mut().flat_map(|s| s.0.iter_mut()) {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => {
                    widen(self.word_span(w));
                    self.expand_word_into(w, true, &mut argv);
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    widen(self.word_span(w));
                    if declaration_builtin {
                        let value = self.assignment_value(a, w);
                        env.push(env::entry(a, &value));
                        declared.push((assignment_name(a), value));
                        argv.push(self.expand_joined(w));
                    } else {
                        self.expand_word_into(w, true, &mut argv);
                    }
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(r),
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(kind, sub) => {
                    let s = self.loc(&sub.loc);
                    widen(s);
                    argv.push(self.process_substitution(kind, sub, s));
                }
            }
        }
        if span.is_none() {
            // Only redirections (`> file`): the command spans them.
            for r in &redirects {
                if let Some(s) = redirect_span(self, r) {
                    span = Some(match span {
                        Some([a, b]) => [a.min(s[0]), b.max(s[1])],
                        None => s,
                    });
                }
            }
        }
        let mut io = self.redirects(redirects.into_iter());
        if let Some(s) = span {
            io.span = s;
        }
        io.env = env;
        // `psql < x.sql` where the command wrote x.sql earlier: its text is the input.
        if let (Some(own), Some(first)) = (&io.stdin, argv.first())
            && let Some(text) = self.file_stdin(&first.text, own)
        {
            io.stdin = Some(text);
        }
        let stdin = io.stdin.as_ref().or(stdin);
        if argv.is_empty() {
            // Assignments alone persist in the shell; redirections alone still write or read.
            self.vars.extend(assignments);
            if !io.writes.is_empty()
                || !io.reads.is_empty()
                || !io.hosts.is_empty()
                || !io.env.is_empty()
            {
                let cx = self.root_cx();
                let [start, end] = io.span.map(|o| o.saturating_sub(self.base) as usize);
                let text = self.text.get(start..end).unwrap_or("").to_string();
                let mut argv = vec![Arg::literal("", io.span)];
                let action = exec_action(&mut argv, false, Str::default(), &io, stdin, &cx, text);
                self.push_exec(action);
            }
            if !self.files.is_empty() {
                self.note_written(None, &io.writes, None);
            }
            return;
        }
        self.vars.extend(declared);
        if argv.first().is_some_and(|a| a.text == "unset") {
            for a in argv.iter().skip(1).filter(|a| !a.text.starts_with('-')) {
                self.vars.remove(&a.text);
            }
        }
        // `cd DIR` moves the shell: later commands' relative paths are read from DIR.
        let moved = directory_change(&argv, self.vars.get(CWD));
        let cx = self.root_cx();
        self.run(argv, &io, stdin, &cx);
        if let Some(cwd) = moved {
            self.vars.insert(CWD.to_string(), cwd.clone());
            self.vars.insert("PWD".to_string(), cwd);
        }
        // After the run: `literal_output` is now this command's.
        if io.created.is_some() || !self.files.is_empty() {
            let output = self.literal_output.take();
            self.note_written(io.created.as_deref(), &io.writes, output.as_ref());
            self.literal_output = output;
        }
    }

    fn assignment_value(&mut self, a: &ast::Assignment, w: &ast::Word) -> Var {
        match &a.value {
            ast::AssignmentValue::Scalar(value) => {
                let span = self.word_span(w);
                let expansion = words::expand(&value.value, &self.vars, false);
                for sub in &expansion.substitutions {
                    self.substitution(sub, "$(…)", span, None);
                }
                let dynamic = expansion.fields.iter().any(|f| f.dynamic);
                let text = expansion
                    .fields
                    .into_iter()
                    .map(|f| f.text)
                    .collect::<Vec<_>>()
                    .join(" ");
                if dynamic || a.append {
                    Var::Unknown
                } else {
                    Var::Const(text)
                }
            }
            ast::AssignmentValue::Array(items) => {
                for (_, item) in items {
                    let _ = self.expand_word(item, false);
                }
                Var::Unknown
            }
        }
    }

    fn process_substitution(
        &mut self,
        kind: &ast::ProcessSubstitutionKind,
        sub: &mut ast::SubshellCommand,
        span: [u32; 2],
    ) -> Arg {
        let (step, text) = match kind {
            ast::ProcessSubstitutionKind::Read => ("<(…)", "<(…)"),
            ast::ProcessSubstitutionKind::Write => (">(…)", ">(…)"),
        };
        let decoded = self.subshell_text(sub, step, span);
        Arg {
            text: text.to_string(),
            span,
            dynamic: true,
            decoded,
        }
    }

    fn push_exec(&mut self, mut action: Action) {
        if let Some(marks) = &mut self.stage {
            marks.push(self.out.len());
        }
        if !self.vars.is_empty()
            && let Some(Var::Const(cwd)) = self.vars.get(CWD)
            && let ActionDetail::Exec(e) = &mut action.detail
            // A command run elsewhere (`ssh`, `docker exec`) starts in its own directory.
            && e.remote_host == self.ctx.remote
        {
            for list in [&mut e.paths, &mut e.writes, &mut e.reads, &mut e.sends] {
                resolve_relative(list, cwd);
            }
            // `git clean` with no pathspec cleans the working tree it runs in.
            if e.program == "git"
                && e.operands.first().is_some_and(|o| o == "clean")
                && e.paths.is_empty()
            {
                e.paths.push(cwd.clone().into());
            }
        }
        self.out.push(action);
    }

    /// What a shell started by this one (`bash -c`, `find -exec sh -c`) inherits: its working
    /// directory, not its unexported variables. A shell on another host starts afresh.
    fn child_shell_vars(&self, remote: &str) -> Vars {
        let mut vars = Vars::new();
        if remote == self.ctx.remote {
            for key in [CWD, "PWD"] {
                if let Some(v) = self.vars.get(key) {
                    vars.insert(key.to_string(), v.clone());
                }
            }
        }
        vars
    }

    /// Runs one program: its `exec` action, what it wraps, and what it lifts to. `stdin` is
    /// what feeds it (its own redirection, else its caller's). Returns the index of its `exec`
    /// action, if it made one.
    fn run(
        &mut self,
        mut argv: Vec<Arg>,
        io: &Io,
        stdin: Option<&Stdin>,
        cx: &Cx<'_>,
    ) -> Option<usize> {
        let first = argv.first()?;
        if first.dynamic {
            let (cause, reason) = if first.decoded {
                (
                    OpaqueCause::DecodedExec,
                    format!(
                        "the program to run comes from downloaded or decoded data (`{}`)",
                        first.text
                    ),
                )
            } else {
                (
                    OpaqueCause::DynamicProgram,
                    format!(
                        "the program to run comes from `{}`, which guard cannot resolve",
                        first.text
                    ),
                )
            };
            let text = display(&argv);
            let action = opaque(
                cause,
                reason,
                cx.origin.place(io.span),
                &cx.origin.via,
                &text,
            );
            self.out.push(action);
            return None;
        }
        let program = Str::from(basename(&first.text));
        // The command as shown in messages: computed once for the action, wrappers and lifting.
        let shown = display(&argv);
        let args = argv.get(1..).unwrap_or_default();
        // What it wraps and what it lifts to only read the arguments (but for a wrapper that
        // moves its command out, see below), so they are worked out before the `exec` action
        // takes the words.
        let literal = literal_output(&program, args, io, stdin);
        // `sh x.sh` where the command wrote x.sh earlier: its text is what runs.
        let script = self.file_script(&program, args);
        let lifted = lift::lift(&lift::Invocation {
            program: &program,
            args,
            stdin,
            span: io.span,
            origin: cx.origin,
            text: &shown,
            files: &self.files,
        });
        let exec_index = self.out.len();
        // A wrapper that moves its command's words out of `argv` does so after its `exec`
        // action copied them; any other program's words go into its action in place.
        let moves = wrappers::moves_words(&program);
        let mut inners = if moves {
            vec![]
        } else {
            wrappers::unwrap(&program, &mut argv, stdin, self.source())
        };
        // Pushed as it is built: the action is large, and each move copies it.
        self.push_exec(exec_action(
            &mut argv,
            moves,
            program.clone(),
            io,
            stdin,
            cx,
            shown,
        ));
        if moves {
            inners = wrappers::unwrap(&program, &mut argv, stdin, self.source());
        }
        inners.extend(script);
        drop(argv);
        self.literal_output = literal;

        for inner in inners {
            match inner {
                wrappers::Inner::Argv {
                    argv,
                    step,
                    elevated,
                    remote,
                    keeps_stdin,
                    env,
                } => {
                    let mut via = List::with_capacity(cx.origin.via.len() + 1);
                    via.extend_from_slice(&cx.origin.via);
                    via.push(step);
                    let origin = Origin {
                        span: cx.origin.span,
                        via,
                    };
                    let inner_cx = Cx {
                        origin: &origin,
                        elevated: cx.elevated || elevated,
                        remote: remote.as_deref().unwrap_or(cx.remote),
                        via_later: true,
                    };
                    // Its stdin is passed beside it (`inner_stdin`), not in the `Io`.
                    let mut inner_io = Io {
                        stdin: None,
                        ..io.clone()
                    };
                    if let (Some(first), Some(last)) = (argv.first(), argv.last()) {
                        inner_io.span = [first.span[0], last.span[1]];
                    }
                    inner_io.env.extend(env);
                    let inner_stdin = if keeps_stdin {
                        stdin
                    } else {
                        inner_io.reads.clear();
                        None
                    };
                    let index = self.run(argv, &inner_io, inner_stdin, &inner_cx);
                    if let Some(action) = index.and_then(|i| self.out.get_mut(i)) {
                        action.via = origin.via;
                    }
                }
                wrappers::Inner::Shell {
                    text,
                    span,
                    step,
                    elevated,
                    remote,
                    stdin,
                } => {
                    let ctx = Ctx {
                        origin: cx.origin.nested(step, span),
                        elevated: cx.elevated || elevated,
                        remote: remote.unwrap_or_else(|| cx.remote.to_string()),
                    };
                    let vars = self.child_shell_vars(&ctx.remote);
                    analyze_nested(&text, &ctx, vars, stdin, &mut self.out);
                }
                wrappers::Inner::Opaque { cause, reason } => {
                    let shown = self
                        .out
                        .get(exec_index)
                        .map(|a| a.text.as_str())
                        .unwrap_or("");
                    let action = opaque(
                        cause,
                        reason,
                        cx.origin.place(io.span),
                        &cx.origin.via,
                        shown,
                    );
                    self.out.push(action);
                }
            }
        }

        self.out.extend(lifted.actions);
        for nested in lifted.shells {
            let ctx = Ctx {
                origin: cx.origin.nested(nested.step, nested.span),
                elevated: cx.elevated,
                remote: cx.remote.to_string(),
            };
            let vars = self.child_shell_vars(&ctx.remote);
            analyze_nested(&nested.text, &ctx, vars, None, &mut self.out);
        }
        Some(exec_index)
    }
}

/// The `exec` action of `argv` (whose first word is the program, `program` its basename);
/// `text` is how the command is shown ([`display`]). Takes the words, which become the
/// action's `path` and `args` (converted in place, see [`ARGV_STEP`]); with `keep_words` it
/// takes only the program word and copies the arguments, which a wrapper then moves into the
/// command it runs. With `cx.via_later` the action's `via` is left empty for the caller to
/// move in.
fn exec_action(
    argv: &mut Vec<Arg>,
    keep_words: bool,
    name: Str,
    io: &Io,
    stdin: Option<&Stdin>,
    cx: &Cx<'_>,
    text: String,
) -> Action {
    // Read as `&str` throughout (a `Str` would re-derive its length on every use).
    let program: &str = name.as_str();
    let args = argv.get(1..).unwrap_or_default();
    let spec = exec_spec(program);
    // `find`'s `-exec … ;` segments are commands of their own, not find's options.
    let find_args: Vec<Arg>;
    let classified_args: &[Arg] = if program == "find" {
        find_args = find_without_exec(args);
        &find_args
    } else {
        args
    };
    // `tar xzf f` (the first word a cluster without a dash) means `tar -xzf f`.
    let tar_cluster = program == "tar"
        && classified_args.first().is_some_and(|first| {
            !first.text.starts_with('-')
                && !first.text.is_empty()
                && first.text.chars().all(|ch| ch.is_ascii_alphabetic())
        });
    let mut c = if tar_cluster {
        classify_from(spec_for("tar"), classified_args, true)
    } else {
        classify(spec, classified_args)
    };
    if program == "find" {
        for a in args {
            if matches!(a.text.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
                let name = a.text.trim_start_matches('-');
                if !c.flags.contains(&name) {
                    c.flags.push(name);
                }
            }
        }
    }
    let rest = c
        .rest
        .map_or(0, |r| classified_args.len().saturating_sub(r));
    let mut operands = List::with_capacity(c.operands.len() + rest);
    operands.extend(
        c.operands
            .iter()
            .filter_map(|&i| classified_args.get(i))
            .map(|a| Str::from(a.text.as_str())),
    );
    // A wrapper's operands are the command it runs.
    if let Some(rest) = c.rest {
        operands.extend(
            classified_args
                .iter()
                .skip(rest)
                .map(|a| Str::from(a.text.as_str())),
        );
    }
    let mut e = ExecAction {
        writes: copied(&io.writes),
        reads: copied(&io.reads),
        elevated: cx.elevated,
        remote_host: cx.remote.to_string(),
        env: copied(&io.env),
        images: lift::images(program, args),
        ..ExecAction::default()
    };
    // `cmd < <(producer)`: the substitution's programs feed it, as a pipe would.
    if let Some(Stdin::Pipe { programs, .. }) = &io.stdin {
        e.piped_from = copied(programs);
    }
    // Each path is normalised into `e.paths` as it is found, in the order found.
    let add_path = |paths: &mut List, p: &str| {
        if !(p.is_empty() || p == "-" || argv::has_scheme(p)) {
            push_unique(paths, normalize_path(p));
        }
    };
    match program {
        "dd" => {
            for o in &operands {
                if let Some((key, value)) = o.split_once('=') {
                    match key {
                        "of" => {
                            add_path(&mut e.paths, value);
                            push_unique(&mut e.writes, normalize_path(value));
                        }
                        "if" => {
                            add_path(&mut e.paths, value);
                            push_unique(&mut e.reads, normalize_path(value));
                        }
                        _ => {}
                    }
                }
            }
        }
        // The first operand is a mode or an owner, not a path.
        "chmod" | "chown" | "chgrp" => {
            let skip = usize::from(c.value("reference").is_none());
            for o in operands.iter().skip(skip) {
                add_path(&mut e.paths, o);
            }
        }
        // A wrapper's operands are a command: its own action carries the paths.
        _ if c.rest.is_some() || has_no_path_operands(program) => {}
        "scp" | "rsync" => {
            for o in operands.iter().filter(|o| net::remote_operand(o).is_none()) {
                add_path(&mut e.paths, o);
            }
        }
        _ if spec.is_some_and(|s| s.path_operands) => {
            for o in &operands {
                add_path(&mut e.paths, o);
            }
        }
        _ => {
            for o in operands.iter().filter(|o| looks_like_path(o)) {
                add_path(&mut e.paths, o);
            }
        }
    }
    for p in &c.path_values {
        add_path(&mut e.paths, p);
    }
    if matches!(program, "tee" | "shred" | "wipefs" | "truncate") || program.starts_with("mkfs") {
        for p in &operands {
            push_unique(&mut e.writes, normalize_path(p));
        }
    }
    if program == "tee" {
        e.writes.retain(|w| w != "-");
    }
    let piped = matches!(stdin, Some(Stdin::Pipe { .. }));
    let stdin_file: Option<Str> = match stdin {
        Some(Stdin::File(f)) => Some(Str::from(f.as_str())),
        _ => None,
    };
    let stdin_reads: &[Str] = stdin_file.as_slice();
    let found = net::analyze(
        program,
        args,
        &c,
        stdin_reads,
        piped && net_reads_stdin(program),
    );
    // The program's own hosts are distinct already (see `net::Net`): taken as they are when no
    // redirection added one.
    e.hosts = if io.hosts.is_empty() {
        found.hosts
    } else {
        let mut hosts = copied(&io.hosts);
        extend_unique(&mut hosts, &found.hosts);
        hosts
    };
    e.sends = found.sends;
    if !io.hosts.is_empty() {
        // Output to /dev/tcp sends what the program reads.
        let mut sent: List = e.reads.clone();
        if program != "echo" && program != "printf" {
            sent.extend(e.paths.iter().cloned());
        }
        extend_unique(&mut e.sends, &sent);
    }
    if let Some(dest) = copy_destination(program, &c, &operands) {
        push_unique(&mut e.writes, dest);
    }
    e.flags = c.owned_flags();
    drop(c);
    e.operands = operands;
    if keep_words {
        e.args = args.iter().map(|a| Str::from(a.text.as_str())).collect();
        if let Some(first) = argv.first_mut() {
            e.path = std::mem::take(&mut first.text);
        }
    } else {
        // Moved in last: the words are no longer read as arguments.
        let mut words = std::mem::take(argv).into_iter();
        e.path = words.next().map(|a| a.text).unwrap_or_default();
        e.args = words.map(|a| Str::from(a.text)).collect();
    }
    e.program = name;
    Action {
        span: cx.origin.place(io.span),
        via: if cx.via_later {
            List::new()
        } else {
            cx.origin.via.clone()
        },
        text,
        detail: ActionDetail::Exec(e),
    }
}

wrappers::names!(
    /// Programs whose operands are text, names or commands, never files.
    NO_PATH_OPERANDS,
    has_no_path_operands,
    [
        "echo",
        "printf",
        "export",
        "declare",
        "local",
        "readonly",
        "typeset",
        "unset",
        "alias",
        "set",
        "kubectl",
        "oc",
        "k",
        "helm",
        "aws",
        "gcloud",
        "az",
        "redis-cli",
        "systemctl",
        "service",
        "socat",
        "dig",
        "nslookup",
        "host",
        "ping",
        "eval",
        "ssh",
        "watch",
        "su",
        "runuser",
        "psql",
        "mysql",
        "mariadb",
        "terraform",
        "tofu",
    ]
);

/// The option table used for a program's `exec` action: file tools, wrappers, lifted tools.
fn exec_spec(program: &str) -> Option<&'static Spec> {
    spec_for(program)
        .or_else(|| wrappers::spec_for(program))
        .or_else(|| lift::spec_for(program))
}

/// The local file or directory a copier writes: `-t DIR`, else its last operand (`cp a b`,
/// `ln -sf /dev/null f`, `rsync -a src/ dst/`); none when the destination is remote
/// (`scp f host:`) or there is no source.
fn copy_destination(program: &str, c: &argv::Classified<'_>, operands: &[Str]) -> Option<Str> {
    if !matches!(program, "cp" | "mv" | "ln" | "install" | "rsync" | "scp") {
        return None;
    }
    if let Some(dir) = c.value("target-directory") {
        return Some(normalize_path(dir));
    }
    // `install -d a b` creates directories; `ln target` links into the current directory.
    if c.has("directory") || operands.len() < 2 {
        return None;
    }
    let dest = operands.last()?;
    if matches!(program, "rsync" | "scp") && net::remote_operand(dest).is_some() {
        return None;
    }
    Some(normalize_path(dest))
}

/// Programs that send their stdin over the network when connected.
fn net_reads_stdin(program: &str) -> bool {
    matches!(
        program,
        "nc" | "ncat" | "netcat" | "telnet" | "ssh" | "openssl" | "socat"
    )
}

/// What a command writes to stdout when it is known exactly (`echo`, `printf` without
/// escapes, `cat` of a here-document).
fn literal_output(
    program: &str,
    args: &[Arg],
    io: &Io,
    stdin: Option<&Stdin>,
) -> Option<(String, [u32; 2])> {
    if args.iter().any(|a| a.dynamic) {
        return None;
    }
    let span = match (args.first(), args.last()) {
        (Some(f), Some(l)) => [f.span[0], l.span[1]],
        _ => io.span,
    };
    match program {
        "echo" => {
            let (n, rest) = match args.first().map(|a| a.text.as_str()) {
                Some("-n") => (true, args.get(1..).unwrap_or_default()),
                Some(f) if f.starts_with('-') && f.len() > 1 => return None,
                _ => (false, args),
            };
            let mut text = rest
                .iter()
                .map(|a| a.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            if !n {
                text.push('\n');
            }
            Some((text, span))
        }
        "printf" => substitute::printf(args).ok().map(|text| (text, span)),
        "cat" if args.is_empty() => match stdin {
            Some(Stdin::Here {
                text,
                span,
                dynamic: false,
                ..
            }) => Some((text.clone(), *span)),
            _ => None,
        },
        _ => None,
    }
}

fn find_without_exec(args: &[Arg]) -> Vec<Arg> {
    let takes_value = |text: &str| {
        argv::FIND
            .options
            .iter()
            .any(|(s, _, t)| *s == text.trim_start_matches('-') && *t != argv::Takes::No)
    };
    let mut out = vec![];
    let mut in_expression = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        let text = a.text.as_str();
        if matches!(text, "-exec" | "-execdir" | "-ok" | "-okdir") {
            in_expression = true;
            // Skip the command up to its terminator (`;`, or `+` right after `{}`).
            while let Some(b) = args.get(i) {
                i += 1;
                if b.text == ";"
                    || (b.text == "+" && args.get(i - 2).is_some_and(|p| p.text == "{}"))
                {
                    break;
                }
            }
            continue;
        }
        if matches!(text, "(" | ")" | "!" | ",") {
            in_expression = true;
            continue;
        }
        if text.starts_with('-') && text.len() > 1 {
            in_expression = true;
            out.push(a.clone());
            if takes_value(text)
                && let Some(v) = args.get(i)
            {
                out.push(v.clone());
                i += 1;
            }
            continue;
        }
        // Words before the expression are start points; stray words inside it are dropped.
        if !in_expression {
            out.push(a.clone());
        }
    }
    out
}

/// A command for messages: its words, single-quoted where they hold blanks, quotes or are
/// empty (`psql -c 'drop table x'`).
fn display(argv: &[Arg]) -> String {
    // Room for every word, its separator and a pair of quotes: one allocation, usually.
    let mut out = String::with_capacity(argv.iter().map(|a| a.text.len() + 3).sum());
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let plain = is_plain(&a.text);
        if plain || a.dynamic {
            out.push_str(&a.text);
        } else if a.text.contains('\'') && !a.text.contains(['"', '$', '`', '\\']) {
            out.push('"');
            out.push_str(&a.text);
            out.push('"');
        } else {
            out.push('\'');
            if a.text.contains('\'') {
                out.push_str(&a.text.replace('\'', "'\\''"));
            } else {
                out.push_str(&a.text);
            }
            out.push('\'');
        }
    }
    out
}

/// Whether a word is shown as is: not empty, no blank, quote, backslash, `;`, `|` or `&`.
fn is_plain(text: &str) -> bool {
    let special = |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '\\' | ';' | '|' | '&');
    if text.is_empty() {
        return false;
    }
    // ASCII words (nearly all) are decided byte by byte through a table; `char::is_whitespace`
    // on ASCII is exactly tab, newline, vertical tab, form feed, carriage return and space.
    if text.bytes().all(|b| PLAIN_BYTE[usize::from(b)]) {
        return true;
    }
    !text.contains(special)
}

/// ASCII bytes a plain word may hold: all but blanks, quotes, backslash, `;`, `|`, `&`
/// (non-ASCII bytes are `false`: such words take the `char` path).
const PLAIN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = !matches!(
            b as u8,
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | b'\'' | b'"' | b'\\' | b';' | b'|' | b'&'
        );
        b += 1;
    }
    table
};

/// `>&2`, `<&0`, `>&-`: a descriptor, not a file.
fn is_fd(text: &str) -> bool {
    text == "-"
        || (!text.is_empty()
            && text
                .trim_end_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit()))
}

/// The span of a redirection's words (its target, or a here-document's body).
fn redirect_span(w: &Walker<'_>, r: &ast::IoRedirect) -> Option<[u32; 2]> {
    let word = match r {
        ast::IoRedirect::File(
            _,
            _,
            ast::IoFileRedirectTarget::Filename(w) | ast::IoFileRedirectTarget::Duplicate(w),
        ) => w,
        ast::IoRedirect::HereString(_, w) | ast::IoRedirect::OutputAndError(w, _) => w,
        ast::IoRedirect::HereDocument(_, doc) => &doc.here_end,
        ast::IoRedirect::File(..) => return None,
    };
    Some(w.word_span(word))
}

fn assignment_name(a: &ast::Assignment) -> String {
    match &a.name {
        ast::AssignmentName::VariableName(n) | ast::AssignmentName::ArrayElementName(n, _) => {
            n.clone()
        }
    }
}

/// Variables whose value differs between `before` and `after` (a branch that may or may not
/// run) become unknown.
fn merge(before: &Vars, after: &mut Vars) {
    for (name, value) in after.iter_mut() {
        if before.get(name) != Some(value) {
            *value = Var::Unknown;
        }
    }
}

pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A command's words are allocated in multiples of this many, so that the buffer holds a whole
/// number of [`Str`]s and `exec_action` converts the words into the action's arguments in
/// place, without a reallocation (three 40-byte words are five 24-byte strings).
const ARGV_STEP: usize = {
    let (mut a, mut b) = (std::mem::size_of::<Arg>(), std::mem::size_of::<Str>());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    std::mem::size_of::<Str>() / a
};

/// A copy of a list that is usually empty: the empty case costs no call.
fn copied(list: &[Str]) -> List {
    if list.is_empty() {
        List::new()
    } else {
        let mut copy = List::with_capacity(list.len());
        copy.extend_from_slice(list);
        copy
    }
}

/// The walker's working directory, kept among the variables so that it is scoped like them
/// (a subshell's or a pipeline stage's `cd` does not outlive it; after a conditional one it is
/// unknown). Not a valid variable name, so no expansion can read or set it.
const CWD: &str = "\0cwd";

/// Where `cd DIR` / `pushd DIR` (argv) leaves the shell, given where it was: a directory when
/// it is known statically, else [`Var::Unknown`] (`cd` alone or `cd ~` is `$HOME`, `cd -` the
/// previous one, a relative move from an unknown place, an expansion). `None` when argv is
/// not a directory change. `CDPATH` is not consulted.
fn directory_change(argv: &[Arg], current: Option<&Var>) -> Option<Var> {
    let (first, rest) = argv.split_first()?;
    if first.dynamic {
        return None;
    }
    match first.text.as_str() {
        "cd" | "pushd" => {}
        "popd" => return Some(Var::Unknown),
        _ => return None,
    }
    let mut operands = rest.iter().skip_while(|a| {
        !a.dynamic && a.text.len() > 1 && a.text.starts_with('-') && a.text != "--"
    });
    let mut target = operands.next();
    if target.is_some_and(|a| a.text == "--") {
        target = operands.next();
    }
    let Some(target) = target else {
        return Some(Var::Unknown);
    };
    let dir = target.text.as_str();
    if target.dynamic || dir.is_empty() || dir == "-" || dir.starts_with(['~', '+']) {
        return Some(Var::Unknown);
    }
    if dir.starts_with('/') {
        return Some(Var::Const(normalize_path(dir).into()));
    }
    match current {
        Some(Var::Const(base)) if base.starts_with('/') => {
            Some(Var::Const(normalize_path(&format!("{base}/{dir}")).into()))
        }
        _ => Some(Var::Unknown),
    }
}

/// Rewrites the relative paths of `list` as seen from `cwd` (an absolute directory), keeping
/// the order and dropping duplicates. Left as they are: absolute paths, `-` (stdin/stdout),
/// URLs, and paths that start with an unresolved expansion or `~` (not relative to `cwd`).
fn resolve_relative(list: &mut List, cwd: &str) {
    let relative = |p: &str| {
        !(p.is_empty() || p == "-" || p.starts_with(['/', '$', '`', '~']) || argv::has_scheme(p))
    };
    if !list.iter().any(|p| relative(p)) {
        return;
    }
    // Rewritten in place: `cwd/p` is built in an inline `Str` (no heap for up to 24 bytes).
    for p in list.iter_mut() {
        if relative(p) {
            let mut joined = Str::with_capacity(cwd.len() + 1 + p.len());
            joined.push_str(cwd);
            joined.push('/');
            joined.push_str(p);
            *p = normalize_path(&joined);
        }
    }
    // A rewritten path may now equal another: keep each first occurrence, in order.
    let mut i = 1;
    while i < list.len() {
        let seen = match (list.get(..i), list.get(i)) {
            (Some(before), Some(p)) => before.contains(p),
            _ => false,
        };
        if seen {
            list.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Appends `item` unless the list has it; converted to a [`Str`] only when appended.
fn push_unique<S: AsRef<str> + Into<Str>>(list: &mut List, item: S) {
    if !list.iter().any(|x| x == item.as_ref()) {
        list.push(item.into());
    }
}

fn extend_unique(list: &mut List, items: &[Str]) {
    for i in items {
        push_unique(list, i.as_str());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// The earlier `resolve_relative`: a new list, each entry joined through `format!`.
    fn resolve_relative_reference(list: &List, cwd: &str) -> List {
        let relative = |p: &str| {
            !(p.is_empty()
                || p == "-"
                || p.starts_with(['/', '$', '`', '~'])
                || argv::has_scheme(p))
        };
        let mut out = List::new();
        for p in list {
            if relative(p) {
                push_unique(&mut out, normalize_path(&format!("{cwd}/{p}")));
            } else {
                push_unique(&mut out, p.as_str());
            }
        }
        out
    }

    #[test]
    fn resolve_relative_agrees_with_the_reference() {
        let lists: &[&[&str]] = &[
            &["backup.tgz", "data"],
            &["a", "/srv/a", "./a", "a/", "-", ""],
            &["../x", "x", "/x", "$HOME/y", "~/z", "`pwd`/w", "s3://b/k"],
            &["a/../b", "b", "./b/.", "c//d", "c/d"],
            &["/only/absolute", "/only/absolute/"],
            &["a-very-long-relative-directory-name/and/a/file.txt", "x"],
        ];
        for cwd in ["/srv", "/", "/var/lib/app-with-a-long-name/sub", "/a/.."] {
            for items in lists {
                let list: List = items.iter().map(|s| Str::from(*s)).collect();
                let mut fast = list.clone();
                resolve_relative(&mut fast, cwd);
                assert_eq!(
                    fast,
                    resolve_relative_reference(&list, cwd),
                    "{items:?} from {cwd}"
                );
            }
        }
    }
}
