//! Text a command is fed that is not on its command line: the output of a process
//! substitution used as stdin (`mysql < <(echo 'DROP TABLE t')`), `printf` output with a
//! literal format (`printf 'DROP TABLE %s;' t | psql`), and a file written earlier in the same
//! command with literal content, then run (`echo 'DROP TABLE t' > x.sql && psql -f x.sql`).
//!
//! Invariant: text is only ever called known when every byte of it is; anything else leaves
//! the input unknown (an opaque action or a pipe of unknown data), never a guess.

use brush_parser::ast;
use guard_model::{ActionDetail, List, Str};

use super::argv::{Arg, classify, normalize_path};
use super::wrappers::{self, Inner};
use super::{Ctx, PipeData, Stdin, Walker};

/// The `via` step of text fed from a process substitution (`psql < <(…)`).
const SUBSTITUTION_STEP: &str = "< <(…)";
/// The `via` step of text read from a file written earlier in the command (`psql < x.sql`).
const FILE_STEP: &str = "< file";

/// A file the command wrote earlier with literal content (`echo '…' > /tmp/x.sql`).
#[derive(Debug, Clone)]
pub(crate) struct KnownFile {
    /// Normalised path.
    pub path: Str,
    pub text: String,
    /// Span of the text in the walked source.
    pub span: [u32; 2],
}

/// Programs whose stdin, when redirected from a file written earlier, is analysed as their
/// input: SQL clients and shells.
fn reads_script_stdin(program: &str) -> bool {
    matches!(program, "psql" | "mysql" | "mariadb" | "sqlite3")
        || wrappers::SHELLS.contains(&program)
}

/// Whether a list is one simple command, not a pipeline or sequence: only then is the
/// output the walker saw for its command the whole output of the list.
fn is_one_simple(list: &ast::CompoundList) -> bool {
    match list.0.as_slice() {
        [item] => {
            item.0.additional.is_empty()
                && matches!(item.0.first.seq.as_slice(), [ast::Command::Simple(_)])
        }
        _ => false,
    }
}

impl Walker<'_> {
    /// Walks a process substitution whose output is a command's stdin (`cmd < <(…)`) and says
    /// what that stdin carries: its text when known exactly, else the programs producing it
    /// (and whether they download or decode).
    pub(super) fn substitution_stdin(
        &mut self,
        sub: &mut ast::SubshellCommand,
        step: &str,
        span: [u32; 2],
    ) -> Stdin {
        let ctx = Ctx {
            origin: self.ctx.origin.nested(step, span),
            elevated: self.ctx.elevated,
            remote: self.ctx.remote.clone(),
        };
        let single = is_one_simple(&sub.list);
        let start = self.out.len();
        let out = std::mem::take(&mut self.out);
        let mut walker = Walker::new(self.text, &ctx, self.vars.clone(), out);
        walker.chars.clone_from(&self.chars);
        walker.base = self.base;
        walker.files.clone_from(&self.files);
        walker.list(&mut sub.list, None);
        let literal = if single {
            walker.literal_output.take()
        } else {
            None
        };
        let mut programs = List::new();
        let mut decoded: Option<String> = None;
        self.out = walker.out;
        for action in self.out.get(start..).unwrap_or_default() {
            if let ActionDetail::Exec(e) = &action.detail {
                if decoded.is_none() && wrappers::is_decoder(&e.program) {
                    decoded = Some(e.program.to_string());
                }
                programs.push(e.program.clone());
            }
        }
        match (literal, decoded) {
            (_, Some(source)) => Stdin::Pipe {
                programs,
                data: PipeData::Decoded(source),
            },
            (Some((text, span)), None) => Stdin::Here {
                text,
                span,
                step: SUBSTITUTION_STEP,
                dynamic: false,
            },
            (None, None) => Stdin::Pipe {
                programs,
                data: PipeData::Other,
            },
        }
    }

    /// Records what a command wrote with `>` to a literal path when its output is known
    /// exactly; any other write to a recorded path forgets it.
    pub(super) fn note_written(
        &mut self,
        created: Option<&str>,
        writes: &[Str],
        output: Option<&(String, [u32; 2])>,
    ) {
        if self.files.is_empty() && (created.is_none() || output.is_none()) {
            return;
        }
        let created = created.map(normalize_path);
        for w in writes {
            let w = normalize_path(w);
            if created.as_ref() != Some(&w) {
                self.files.retain(|f| f.path != w);
            }
        }
        if let Some(path) = created {
            self.files.retain(|f| f.path != path);
            if let Some((text, span)) = output {
                self.files.push(KnownFile {
                    path,
                    text: text.clone(),
                    span: *span,
                });
            }
        }
    }

    /// The known content of `path`, if the command wrote it earlier.
    pub(super) fn known_file(&self, path: &str) -> Option<&KnownFile> {
        if self.files.is_empty() {
            return None;
        }
        let path = normalize_path(path);
        self.files.iter().rev().find(|f| f.path == path)
    }

    /// Stdin redirected from a file written earlier (`psql < x.sql`), as its text, for the
    /// programs that run their stdin as a script.
    pub(super) fn file_stdin(&self, program: &str, stdin: &Stdin) -> Option<Stdin> {
        let Stdin::File(path) = stdin else {
            return None;
        };
        if !reads_script_stdin(super::basename(program)) {
            return None;
        }
        let file = self.known_file(path)?;
        Some(Stdin::Here {
            text: file.text.clone(),
            span: file.span,
            step: FILE_STEP,
            dynamic: false,
        })
    }

    /// A script file written earlier in the command and run by a shell (`sh x.sh`,
    /// `source x.sh`, `. x.sh`), as shell text to analyse.
    pub(super) fn file_script(&self, program: &str, args: &[Arg]) -> Option<Inner> {
        if self.files.is_empty() {
            return None;
        }
        let script = match program {
            "source" | "." => args.first()?,
            p if wrappers::SHELLS.contains(&p) => {
                let c = classify(wrappers::spec_for(p), args);
                if c.has("command") {
                    return None;
                }
                c.rest.and_then(|r| args.get(r))?
            }
            _ => return None,
        };
        if script.dynamic {
            return None;
        }
        let file = self.known_file(&script.text)?;
        Some(Inner::Shell {
            text: file.text.clone(),
            span: file.span,
            step: compact_str::format_compact!("{program} {}", script.text),
            elevated: false,
            remote: None,
            stdin: None,
        })
    }
}

/// Expands `printf FORMAT ARGS…` when the format uses only `%s`, `%d`, `%%` and the escapes
/// `\n`, `\t`, `\\`; the format is reused while arguments remain, as printf does. `Err` says
/// what guard does not expand.
pub(super) fn printf(args: &[Arg]) -> Result<String, String> {
    let mut args = args;
    if args.first().is_some_and(|a| a.text == "--") {
        args = args.get(1..).unwrap_or_default();
    }
    let Some((format, mut rest)) = args.split_first() else {
        return Err("`printf` without a format".into());
    };
    if format.text.starts_with('-') {
        return Err(format!("`printf {}` is not expanded", format.text));
    }
    let mut out = String::new();
    loop {
        let mut consumed = false;
        let mut chars = format.text.chars();
        while let Some(ch) = chars.next() {
            match ch {
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('\\') => out.push('\\'),
                    other => {
                        let shown = other.map(String::from).unwrap_or_default();
                        return Err(format!("`printf` escape `\\{shown}` is not expanded"));
                    }
                },
                '%' => {
                    let conversion = chars.next();
                    if conversion == Some('%') {
                        out.push('%');
                        continue;
                    }
                    let value = match rest.split_first() {
                        Some((first, tail)) => {
                            rest = tail;
                            consumed = true;
                            Some(first.text.as_str())
                        }
                        None => None,
                    };
                    match conversion {
                        Some('s') => out.push_str(value.unwrap_or("")),
                        Some('d') => {
                            let value = value.unwrap_or("0").trim();
                            let number: i64 = value.parse().map_err(|_| {
                                format!("`printf %d` of `{value}`, which is not a number")
                            })?;
                            out.push_str(&number.to_string());
                        }
                        other => {
                            let shown = other.map(String::from).unwrap_or_default();
                            return Err(format!("`printf` conversion `%{shown}` is not expanded"));
                        }
                    }
                }
                other => out.push(other),
            }
        }
        if rest.is_empty() || !consumed {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(words: &[&str]) -> Result<String, String> {
        let args: Vec<Arg> = words.iter().map(|w| Arg::literal(w, [0, 0])).collect();
        printf(&args)
    }

    #[test]
    fn printf_expands_simple_formats() {
        assert_eq!(
            expand(&["DROP TABLE %s;", "users"]).unwrap(),
            "DROP TABLE users;"
        );
        assert_eq!(expand(&["%s\\n", "a", "b"]).unwrap(), "a\nb\n");
        assert_eq!(expand(&["%d%%\\t%s", "5"]).unwrap(), "5%\t");
        assert_eq!(expand(&["--", "x"]).unwrap(), "x");
        assert_eq!(expand(&["plain"]).unwrap(), "plain");
    }

    #[test]
    fn printf_refuses_what_it_does_not_expand() {
        assert!(expand(&["%b", "\\x41"]).is_err());
        assert!(expand(&["\\x72m"]).is_err());
        assert!(expand(&["%d", "x"]).is_err());
        assert!(expand(&["-v", "x", "%s", "y"]).is_err());
        assert!(expand(&["%5s", "y"]).is_err());
    }
}
