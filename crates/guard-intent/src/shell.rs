//! Shell text → actions. Stages: [`scan`] bounds the nesting before anything recursive runs;
//! brush-parser builds a real bash AST; the walker visits every simple command reachable
//! (pipelines, `;`/`&&`/`||` lists, subshells, brace groups, `if`/`for`/`while`/`case` bodies,
//! functions, command and process substitutions, here-documents), expands its words as far as
//! they can be known ([`words`]), emits one `exec` action per program, unwraps wrappers and
//! interpreters ([`wrappers`]: `sudo`, `bash -c`, `ssh host 'cmd'`, `xargs`, `find -exec`, …)
//! and hands known tools to [`crate::lift`] for typed actions.
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
mod net;
mod scan;
mod words;
mod wrappers;

use brush_parser::ast;
use guard_model::{Action, ActionDetail, ExecAction, OpaqueCause};

use crate::{Origin, lift, opaque};
pub(crate) use argv::{
    Arg, Classified, Spec, Takes, classify, looks_like_path, normalize_path, spec_for,
};
pub(crate) use net::url_host;
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
    let mut out = analyze_nested(text, &ctx, Vars::new(), None);
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
    Pipe {
        programs: Vec<String>,
        data: PipeData,
    },
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

fn analyze_nested(text: &str, ctx: &Ctx, vars: Vars, stdin: Option<Stdin>) -> Vec<Action> {
    let whole = ctx.origin.place([0, len32(text)]);
    if ctx.origin.via.len() > MAX_NESTING {
        let reason =
            format!("commands nested more than {MAX_NESTING} levels deep are not analysed");
        return vec![opaque(
            OpaqueCause::TooLarge,
            reason,
            whole,
            &ctx.origin.via,
            text,
        )];
    }
    let depth = scan::depth(text);
    if depth > MAX_DEPTH {
        let reason = format!(
            "shell text nested about {depth} levels deep, over the {MAX_DEPTH}-level limit"
        );
        return vec![opaque(
            OpaqueCause::TooLarge,
            reason,
            whole,
            &ctx.origin.via,
            "",
        )];
    }
    if depth <= INLINE_DEPTH {
        return parse_and_walk(text, ctx, vars, stdin);
    }
    // Deep (but bounded) input: the parser and walker recurse per level, so give them room.
    let owned_text = text.to_string();
    let owned_ctx = ctx.clone();
    let spawned = std::thread::Builder::new()
        .stack_size(BIG_STACK)
        .spawn(move || parse_and_walk(&owned_text, &owned_ctx, vars, stdin));
    match spawned.map(std::thread::JoinHandle::join) {
        Ok(Ok(actions)) => actions,
        _ => vec![opaque(
            OpaqueCause::TooLarge,
            "deeply nested shell text could not be analysed",
            whole,
            &ctx.origin.via,
            "",
        )],
    }
}

fn parse(text: &str) -> Result<ast::Program, brush_parser::ParseError> {
    let options = words::options();
    let mut parser = brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options);
    parser.parse_program()
}

fn parse_and_walk(text: &str, ctx: &Ctx, vars: Vars, stdin: Option<Stdin>) -> Vec<Action> {
    if text.contains("<<") && scan::unterminated(text) {
        // Never handed to brush-parser, which can loop forever on these (see `scan`).
        let reason = "shell text does not parse: an open quote, substitution or here-document is never closed";
        return vec![opaque(
            OpaqueCause::ParseError,
            reason,
            ctx.origin.place([0, len32(text)]),
            &ctx.origin.via,
            text,
        )];
    }
    match parse(text) {
        Ok(program) => {
            let mut walker = Walker::new(text, ctx, vars);
            for list in &program.complete_commands {
                walker.list(list, stdin.as_ref());
            }
            walker.out
        }
        Err(e) => {
            let whole = ctx.origin.place([0, len32(text)]);
            let mut out = vec![opaque(
                OpaqueCause::ParseError,
                format!("shell text does not parse: {e}"),
                whole,
                &ctx.origin.via,
                text,
            )];
            // Still report what the lines that do parse on their own would run.
            if text.contains('\n') {
                let mut offset = 0u32;
                for line in text.split('\n') {
                    // A line that would hang the parser is skipped like one that fails.
                    let hangs = line.contains("<<") && scan::unterminated(line);
                    if !line.trim().is_empty()
                        && !hangs
                        && let Ok(program) = parse(line)
                    {
                        let mut walker = Walker::new(line, ctx, Vars::new());
                        walker.base = offset;
                        for list in &program.complete_commands {
                            walker.list(list, None);
                        }
                        out.extend(walker.out);
                    }
                    offset = offset.saturating_add(len32(line)).saturating_add(1);
                }
            }
            out
        }
    }
}

/// The I/O of one simple command.
#[derive(Debug, Clone, Default)]
struct Io {
    writes: Vec<String>,
    reads: Vec<String>,
    hosts: Vec<String>,
    stdin: Option<Stdin>,
    /// Local span of the whole command.
    span: [u32; 2],
}

/// How a command was reached.
#[derive(Debug, Clone)]
struct Cx {
    origin: Origin,
    elevated: bool,
    remote: String,
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
    stage: Option<Vec<usize>>,
    /// What the last simple command writes to stdout, when known exactly.
    literal_output: Option<(String, [u32; 2])>,
}

impl<'a> Walker<'a> {
    fn new(text: &'a str, ctx: &'a Ctx, vars: Vars) -> Walker<'a> {
        let chars = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
                .collect()
        });
        Walker {
            text,
            ctx,
            vars,
            out: vec![],
            chars,
            base: 0,
            stage: None,
            literal_output: None,
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

    fn root_cx(&self) -> Cx {
        Cx {
            origin: self.ctx.origin.clone(),
            elevated: self.ctx.elevated,
            remote: self.ctx.remote.clone(),
        }
    }

    // ----- structure -----

    fn list(&mut self, list: &ast::CompoundList, stdin: Option<&Stdin>) {
        for item in &list.0 {
            self.and_or(&item.0, stdin);
        }
    }

    fn and_or(&mut self, list: &ast::AndOrList, stdin: Option<&Stdin>) {
        self.pipeline(&list.first, stdin);
        for next in &list.additional {
            let (ast::AndOr::And(p) | ast::AndOr::Or(p)) = next;
            let before = self.vars.clone();
            self.pipeline(p, stdin);
            merge(&before, &mut self.vars);
        }
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline, stdin: Option<&Stdin>) {
        if pipeline.seq.len() == 1 {
            if let Some(command) = pipeline.seq.first() {
                self.command(command, stdin);
            }
            return;
        }
        let saved_stage = self.stage.take();
        let mut stages: Vec<Vec<usize>> = vec![];
        // Programs of every stage so far, in order; `bounds[i]` is stage i's range in it.
        let mut upstream: Vec<String> = vec![];
        let mut bounds: Vec<[usize; 2]> = vec![];
        let mut decoded: Option<String> = None;
        let mut previous_literal: Option<(String, [u32; 2])> = None;
        // The stdin of the current stage; `upstream` is moved in and back out, not copied.
        let mut pipe: Option<Stdin> = None;
        for (i, command) in pipeline.seq.iter().enumerate() {
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
            self.stage = Some(vec![]);
            self.literal_output = None;
            let before = self.vars.clone();
            self.command(command, stage_stdin);
            if let Some(Stdin::Pipe { programs, .. }) = pipe.take() {
                upstream = programs;
            }
            // Each stage runs in a subshell: its assignments do not outlive it.
            self.vars = before;
            let first_program = upstream.len();
            let marks = self.stage.take().unwrap_or_default();
            for &m in &marks {
                if let Some(Action {
                    detail: ActionDetail::Exec(e),
                    ..
                }) = self.out.get(m)
                {
                    if decoded.is_none() && wrappers::is_decoder(&e.program) {
                        decoded = Some(e.program.clone());
                    }
                    if decoded.is_none()
                        && matches!(e.program.as_str(), "printf" | "echo")
                        && e.args.iter().any(|a| a.contains('\\'))
                    {
                        decoded = Some(e.program.clone());
                    }
                    upstream.push(e.program.clone());
                }
            }
            previous_literal = self.literal_output.take();
            stages.push(marks);
            bounds.push([first_program, upstream.len()]);
        }
        // Every stage learns what feeds it and what it feeds.
        for (marks, &[start, end]) in stages.iter().zip(&bounds) {
            let mut from: Vec<String> = upstream.get(..start).unwrap_or_default().to_vec();
            let mut to: Vec<String> = upstream.get(end..).unwrap_or_default().to_vec();
            for (k, &m) in marks.iter().enumerate() {
                if let Some(Action {
                    detail: ActionDetail::Exec(e),
                    ..
                }) = self.out.get_mut(m)
                {
                    // The last mark of the stage takes the lists; earlier ones get copies.
                    if k + 1 == marks.len() {
                        e.piped_from = std::mem::take(&mut from);
                        e.piped_to = std::mem::take(&mut to);
                    } else {
                        e.piped_from = from.clone();
                        e.piped_to = to.clone();
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

    fn command(&mut self, command: &ast::Command, stdin: Option<&Stdin>) {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, stdin),
            ast::Command::Compound(compound, redirects) => {
                let start = self.out.len();
                let io = redirects
                    .as_ref()
                    .map(|r| self.redirects(r.0.iter()))
                    .unwrap_or_default();
                let inner_stdin = io.stdin.clone().or_else(|| stdin.cloned());
                self.compound(compound, inner_stdin.as_ref());
                self.apply_io(start, &io);
            }
            ast::Command::Function(def) => {
                // A function's body runs whenever it is called: analyse it where it is defined.
                let before = self.vars.clone();
                let start = self.out.len();
                let io = def
                    .body
                    .1
                    .as_ref()
                    .map(|r| self.redirects(r.0.iter()))
                    .unwrap_or_default();
                self.compound(&def.body.0, None);
                self.apply_io(start, &io);
                merge(&before, &mut self.vars);
            }
            ast::Command::ExtendedTest(test, redirects) => {
                self.test_expr(&test.expr);
                if let Some(r) = redirects {
                    let _ = self.redirects(r.0.iter());
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

    fn compound(&mut self, compound: &ast::CompoundCommand, stdin: Option<&Stdin>) {
        match compound {
            ast::CompoundCommand::BraceGroup(g) => self.list(&g.list, stdin),
            ast::CompoundCommand::Subshell(s) => {
                let before = self.vars.clone();
                self.list(&s.list, stdin);
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
                self.list(&f.body.list, stdin);
                merge(&before, &mut self.vars);
            }
            ast::CompoundCommand::ArithmeticForClause(f) => {
                let before = self.vars.clone();
                self.list(&f.body.list, stdin);
                merge(&before, &mut self.vars);
            }
            ast::CompoundCommand::CaseClause(c) => {
                let _ = self.expand_word(&c.value, false);
                for item in &c.cases {
                    for p in &item.patterns {
                        let _ = self.expand_word(p, false);
                    }
                    if let Some(body) = &item.cmd {
                        let before = self.vars.clone();
                        self.list(body, stdin);
                        merge(&before, &mut self.vars);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                self.list(&i.condition, stdin);
                let before = self.vars.clone();
                self.list(&i.then, stdin);
                merge(&before, &mut self.vars);
                for e in i.elses.iter().flatten() {
                    let before = self.vars.clone();
                    if let Some(c) = &e.condition {
                        self.list(c, stdin);
                    }
                    self.list(&e.body, stdin);
                    merge(&before, &mut self.vars);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                let before = self.vars.clone();
                self.list(&w.0, stdin);
                self.list(&w.1.list, stdin);
                merge(&before, &mut self.vars);
            }
            ast::CompoundCommand::Arithmetic(a) => {
                let span = self.loc(&a.loc);
                self.substitutions_in(&format!("\"{}\"", a.expr.value), span);
            }
            ast::CompoundCommand::Coprocess(c) => self.command(&c.body, stdin),
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
    fn expand_word_into(&mut self, w: &ast::Word, split: bool, out: &mut Vec<Arg>) {
        if words::is_literal(&w.value) {
            out.push(Arg {
                text: w.value.clone(),
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
        let actions = analyze_nested(text, &ctx, self.vars.clone(), stdin);
        let decoded = actions.iter().any(|a| match &a.detail {
            ActionDetail::Exec(e) => wrappers::is_decoder(&e.program),
            ActionDetail::Opaque(o) => o.cause == OpaqueCause::DecodedExec,
            _ => false,
        });
        self.out.extend(actions);
        decoded
    }

    // ----- simple commands -----

    fn redirects<'r>(&mut self, items: impl Iterator<Item = &'r ast::IoRedirect>) -> Io {
        let mut io = Io::default();
        for r in items {
            match r {
                ast::IoRedirect::File(fd, kind, target) => match target {
                    ast::IoFileRedirectTarget::Filename(w) => {
                        let arg = self.expand_joined(w);
                        let path = arg.text;
                        if let Some(h) = net::dev_tcp_host(&path) {
                            push_unique(&mut io.hosts, h);
                        }
                        match kind {
                            ast::IoFileRedirectKind::Read => {
                                push_unique(&mut io.reads, path.clone());
                                if fd.is_none_or(|f| f == 0) {
                                    io.stdin = Some(Stdin::File(path));
                                }
                            }
                            ast::IoFileRedirectKind::ReadAndWrite => {
                                push_unique(&mut io.reads, path.clone());
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
                    ast::IoFileRedirectTarget::ProcessSubstitution(kind, sub) => {
                        let span = self.loc(&sub.loc);
                        let step = match kind {
                            ast::ProcessSubstitutionKind::Read => "<(…)",
                            ast::ProcessSubstitutionKind::Write => ">(…)",
                        };
                        self.subshell_text(sub, step, span);
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
    fn subshell_text(&mut self, sub: &ast::SubshellCommand, step: &str, span: [u32; 2]) -> bool {
        let ctx = Ctx {
            origin: self.ctx.origin.nested(step, span),
            elevated: self.ctx.elevated,
            remote: self.ctx.remote.clone(),
        };
        let mut walker = Walker::new(self.text, &ctx, self.vars.clone());
        walker.chars.clone_from(&self.chars);
        walker.base = self.base;
        walker.list(&sub.list, None);
        let decoded = walker.out.iter().any(
            |a| matches!(&a.detail, ActionDetail::Exec(e) if wrappers::is_decoder(&e.program)),
        );
        self.out.extend(walker.out);
        decoded
    }

    fn simple(&mut self, cmd: &ast::SimpleCommand, stdin: Option<&Stdin>) {
        let mut assignments: Vec<(String, Var)> = vec![];
        let mut redirects: Vec<&ast::IoRedirect> = vec![];
        let mut argv: Vec<Arg> = vec![];
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
        for item in cmd.prefix.iter().flat_map(|p| p.0.iter()) {
            match item {
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    widen(self.word_span(w));
                    let value = self.assignment_value(a, w);
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
        if let Some(w) = &cmd.word_or_name {
            widen(self.word_span(w));
            self.expand_word_into(w, true, &mut argv);
        }
        let mut declared: Vec<(String, Var)> = vec![];
        for item in cmd.suffix.iter().flat_map(|s| s.0.iter()) {
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => {
                    widen(self.word_span(w));
                    self.expand_word_into(w, true, &mut argv);
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    widen(self.word_span(w));
                    if declaration_builtin {
                        let value = self.assignment_value(a, w);
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
        if io.stdin.is_none() {
            io.stdin = stdin.cloned();
        }
        if argv.is_empty() {
            // Assignments alone persist in the shell; redirections alone still write or read.
            self.vars.extend(assignments);
            if !io.writes.is_empty() || !io.reads.is_empty() || !io.hosts.is_empty() {
                let cx = self.root_cx();
                let [start, end] = io.span.map(|o| o.saturating_sub(self.base) as usize);
                let text = self.text.get(start..end).unwrap_or("").to_string();
                let action = self.exec_action(&[Arg::literal("", io.span)], &io, &cx, text);
                self.push_exec(action);
            }
            return;
        }
        self.vars.extend(declared);
        if argv.first().is_some_and(|a| a.text == "unset") {
            for a in argv.iter().skip(1).filter(|a| !a.text.starts_with('-')) {
                self.vars.remove(&a.text);
            }
        }
        let cx = self.root_cx();
        self.run(argv, &io, &cx);
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
        sub: &ast::SubshellCommand,
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

    fn push_exec(&mut self, action: Action) {
        if let Some(marks) = &mut self.stage {
            marks.push(self.out.len());
        }
        self.out.push(action);
    }

    /// Runs one program: its `exec` action, what it wraps, and what it lifts to.
    fn run(&mut self, argv: Vec<Arg>, io: &Io, cx: &Cx) {
        let Some(first) = argv.first() else { return };
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
            return;
        }
        let program = basename(&first.text).to_string();
        // The command as shown in messages: computed once for the action, wrappers and lifting.
        let shown = display(&argv);
        let action = self.exec_action(&argv, io, cx, shown.clone());
        self.push_exec(action);
        let args = argv.get(1..).unwrap_or_default();
        self.literal_output = literal_output(&program, args, io);

        for inner in wrappers::unwrap(&program, args, io.stdin.as_ref()) {
            match inner {
                wrappers::Inner::Argv {
                    argv,
                    step,
                    elevated,
                    remote,
                    keeps_stdin,
                } => {
                    let mut via = cx.origin.via.clone();
                    via.push(step);
                    let inner_cx = Cx {
                        origin: Origin {
                            span: cx.origin.span,
                            via,
                        },
                        elevated: cx.elevated || elevated,
                        remote: remote.unwrap_or_else(|| cx.remote.clone()),
                    };
                    let mut inner_io = io.clone();
                    if let (Some(first), Some(last)) = (argv.first(), argv.last()) {
                        inner_io.span = [first.span[0], last.span[1]];
                    }
                    if !keeps_stdin {
                        inner_io.stdin = None;
                        inner_io.reads.clear();
                    }
                    self.run(argv, &inner_io, &inner_cx);
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
                        remote: remote.unwrap_or_else(|| cx.remote.clone()),
                    };
                    let actions = analyze_nested(&text, &ctx, Vars::new(), stdin);
                    self.out.extend(actions);
                }
                wrappers::Inner::Opaque { cause, reason } => {
                    self.out.push(opaque(
                        cause,
                        reason,
                        cx.origin.place(io.span),
                        &cx.origin.via,
                        &shown,
                    ));
                }
            }
        }

        let invocation = lift::Invocation {
            program: &program,
            args,
            stdin: io.stdin.as_ref(),
            span: io.span,
            origin: &cx.origin,
            text: &shown,
        };
        let lifted = lift::lift(&invocation);
        self.out.extend(lifted.actions);
        for nested in lifted.shells {
            let ctx = Ctx {
                origin: cx.origin.nested(nested.step, nested.span),
                elevated: cx.elevated,
                remote: cx.remote.clone(),
            };
            let actions = analyze_nested(&nested.text, &ctx, Vars::new(), None);
            self.out.extend(actions);
        }
    }

    /// The `exec` action of `argv`; `text` is how the command is shown ([`display`]).
    fn exec_action(&self, argv: &[Arg], io: &Io, cx: &Cx, text: String) -> Action {
        let path = argv.first().map(|a| a.text.clone()).unwrap_or_default();
        let program = basename(&path).to_string();
        let args = argv.get(1..).unwrap_or_default();
        let spec = exec_spec(&program);
        // `find`'s `-exec … ;` segments are commands of their own, not find's options.
        let find_args: Vec<Arg>;
        let classified_args: &[Arg] = if program == "find" {
            find_args = find_without_exec(args);
            &find_args
        } else {
            args
        };
        let mut c = classify(spec, classified_args);
        if program == "find" {
            for a in args {
                if matches!(a.text.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
                    let name = a.text.trim_start_matches('-').to_string();
                    if !c.flags.contains(&name) {
                        c.flags.push(name);
                    }
                }
            }
        }
        if program == "tar" {
            c = tar_classify(classified_args, c);
        }
        let mut operands: Vec<String> = c
            .operands
            .iter()
            .filter_map(|&i| classified_args.get(i))
            .map(|a| a.text.clone())
            .collect();
        // A wrapper's operands are the command it runs.
        if let Some(rest) = c.rest {
            operands.extend(classified_args.iter().skip(rest).map(|a| a.text.clone()));
        }
        let mut e = ExecAction {
            program: String::new(),
            path: String::new(),
            args: args.iter().map(|a| a.text.clone()).collect(),
            writes: io.writes.clone(),
            reads: io.reads.clone(),
            elevated: cx.elevated,
            remote_host: cx.remote.clone(),
            ..ExecAction::default()
        };
        // Borrowed, not copied: each path is normalised into a new string below anyway.
        let mut paths: Vec<&str> = vec![];
        match program.as_str() {
            "dd" => {
                for o in &operands {
                    if let Some((key, value)) = o.split_once('=') {
                        match key {
                            "of" => {
                                paths.push(value);
                                push_unique(&mut e.writes, normalize_path(value));
                            }
                            "if" => {
                                paths.push(value);
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
                paths.extend(operands.iter().skip(skip).map(String::as_str));
            }
            // A wrapper's operands are a command: its own action carries the paths.
            _ if c.rest.is_some() || NO_PATH_OPERANDS.contains(&program.as_str()) => {}
            "scp" | "rsync" => paths.extend(
                operands
                    .iter()
                    .filter(|o| net::remote_operand(o).is_none())
                    .map(String::as_str),
            ),
            _ if spec.is_some_and(|s| s.path_operands) => {
                paths.extend(operands.iter().map(String::as_str));
            }
            _ => paths.extend(
                operands
                    .iter()
                    .filter(|o| looks_like_path(o))
                    .map(String::as_str),
            ),
        }
        paths.extend(c.path_values.iter().map(String::as_str));
        if matches!(program.as_str(), "tee" | "shred" | "wipefs" | "truncate")
            || program.starts_with("mkfs")
        {
            for p in &operands {
                push_unique(&mut e.writes, normalize_path(p));
            }
        }
        if program == "tee" {
            e.writes.retain(|w| w != "-");
        }
        for p in paths {
            if p.is_empty() || p == "-" || p.contains("://") {
                continue;
            }
            push_unique(&mut e.paths, normalize_path(p));
        }
        let piped = matches!(io.stdin, Some(Stdin::Pipe { .. }));
        let stdin_reads: &[String] = match &io.stdin {
            Some(Stdin::File(f)) => std::slice::from_ref(f),
            _ => &[],
        };
        let found = net::analyze(
            &program,
            args,
            &c,
            stdin_reads,
            piped && net_reads_stdin(&program),
        );
        e.hosts = io.hosts.clone();
        extend_unique(&mut e.hosts, &found.hosts);
        e.sends = found.sends;
        if !io.hosts.is_empty() {
            // Output to /dev/tcp sends what the program reads.
            let mut sent: Vec<String> = e.reads.clone();
            if program != "echo" && program != "printf" {
                sent.extend(e.paths.iter().cloned());
            }
            extend_unique(&mut e.sends, &sent);
        }
        // Moved in last: nothing above reads them through `e` or `c` any more.
        e.flags = std::mem::take(&mut c.flags);
        e.operands = operands;
        e.program = program;
        e.path = path;
        Action {
            span: cx.origin.place(io.span),
            via: cx.origin.via.clone(),
            text,
            detail: ActionDetail::Exec(e),
        }
    }
}

/// Programs whose operands are text, names or commands, never files.
const NO_PATH_OPERANDS: &[&str] = &[
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
];

/// The option table used for a program's `exec` action: file tools, wrappers, lifted tools.
fn exec_spec(program: &str) -> Option<&'static Spec> {
    spec_for(program)
        .or_else(|| wrappers::spec_for(program))
        .or_else(|| lift::spec_for(program))
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
fn literal_output(program: &str, args: &[Arg], io: &Io) -> Option<(String, [u32; 2])> {
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
        "printf" => {
            let format = args.first()?;
            if args.len() == 1 && !format.text.contains(['%', '\\']) {
                return Some((format.text.clone(), span));
            }
            if format.text == "%s" || format.text == "%s\\n" {
                return Some((
                    args.get(1..)
                        .unwrap_or_default()
                        .iter()
                        .map(|a| a.text.as_str())
                        .collect::<Vec<_>>()
                        .join(""),
                    span,
                ));
            }
            None
        }
        "cat" if args.is_empty() => match &io.stdin {
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

/// `tar xzf f` (the first word a cluster without a dash) means `tar -xzf f`.
fn tar_classify(args: &[Arg], c: Classified) -> Classified {
    match args.first() {
        Some(first)
            if !first.text.starts_with('-')
                && !first.text.is_empty()
                && first.text.chars().all(|ch| ch.is_ascii_alphabetic()) =>
        {
            let mut rewritten = args.to_vec();
            if let Some(f) = rewritten.first_mut() {
                f.text = format!("-{}", f.text);
            }
            classify(spec_for("tar"), &rewritten)
        }
        _ => c,
    }
}

/// A command for messages: its words, single-quoted where they hold blanks, quotes or are
/// empty (`psql -c 'drop table x'`).
fn display(argv: &[Arg]) -> String {
    let mut out = String::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let plain = !a.text.is_empty()
            && !a.text.contains(|c: char| {
                c.is_whitespace() || matches!(c, '\'' | '"' | '\\' | ';' | '|' | '&')
            });
        if plain || a.dynamic {
            out.push_str(&a.text);
        } else if a.text.contains('\'') && !a.text.contains(['"', '$', '`', '\\']) {
            out.push('"');
            out.push_str(&a.text);
            out.push('"');
        } else {
            out.push('\'');
            out.push_str(&a.text.replace('\'', "'\\''"));
            out.push('\'');
        }
    }
    out
}

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

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

fn extend_unique(list: &mut Vec<String>, items: &[String]) {
    for i in items {
        push_unique(list, i.clone());
    }
}
