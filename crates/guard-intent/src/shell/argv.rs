//! Arguments of one program: which words are flags (normalised to canonical long names
//! without dashes), which are flag values, which are operands, and which operands are paths.
//!
//! Known programs have a [`Spec`] (a table of their options); for others, short clusters are
//! split into letters and long flags lose their dashes and `=value`. GNU long options may be
//! abbreviated to any unique prefix (`rm --rec --fo`), so known programs resolve prefixes too.

/// Whether an option takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Takes {
    /// A boolean option.
    No,
    /// An option with a value that is not a path.
    Value,
    /// An option whose value names a file or directory.
    Path,
    /// An option whose value, if it has one, is written attached to it (`mysql -pSecret`,
    /// `--password=x`): the next argument is never its value, and the rest of a short cluster
    /// is the value, not more options (`-pSecret` is not `-p -S ecret`).
    Attached,
}

use Takes::{No, Path as P, Value as V};

use guard_model::{List, Str};
use smallvec::SmallVec;

/// The options of one program: `(spelling, canonical, takes)`. A one-character spelling is
/// a short option (`-r`), a longer one a long option (`--recursive`).
pub(crate) struct Spec {
    pub options: &'static [(&'static str, &'static str, Takes)],
    /// Long options are written with one dash (`find -name`, `terraform -auto-approve`).
    pub single_dash_long: bool,
    /// The first operand ends the options (wrappers: `sudo -u x cmd -rf`).
    pub stop_at_operand: bool,
    /// Operands name paths.
    pub path_operands: bool,
    /// Where each one-letter option sits in `options`; filled by [`Spec::indexed`].
    pub short: ShortIndex,
}

/// For each ASCII byte, 1 + the position in a [`Spec`]'s options of the first one-letter
/// option spelled with it, else 0. Built at compile time, so `curl -fsSL` finds each letter
/// without scanning about a hundred options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShortIndex([u8; 128]);

impl ShortIndex {
    /// Not built yet: [`Spec::indexed`] replaces it.
    pub(crate) const NONE: ShortIndex = ShortIndex([0; 128]);

    const fn of(options: &[(&str, &str, Takes)]) -> ShortIndex {
        let mut index = [0u8; 128];
        // Backwards, so that the first of two equal spellings wins, as a forward scan finds.
        let mut i = options.len();
        while i > 0 {
            i -= 1;
            let (spelling, _, _) = options[i];
            if let [letter] = spelling.as_bytes()
                && *letter < 128
                && i < u8::MAX as usize
            {
                index[*letter as usize] = i as u8 + 1;
            }
        }
        ShortIndex(index)
    }
}

impl Spec {
    /// This spec with its [`ShortIndex`] built (every `Spec` constant is written through it).
    pub(crate) const fn indexed(self) -> Spec {
        Spec {
            short: ShortIndex::of(self.options),
            ..self
        }
    }

    fn find(&self, spelling: &str, short: bool) -> Option<(&'static str, Takes)> {
        if short {
            return self.find_short(spelling);
        }
        if let Some((_, canon, takes)) = self
            .options
            .iter()
            .find(|(s, _, _)| *s == spelling && s.len() != 1)
        {
            return Some((canon, *takes));
        }
        // GNU getopt_long accepts any unambiguous prefix of a long option.
        let mut matches = self
            .options
            .iter()
            .filter(|(s, _, _)| s.len() > 1 && s.starts_with(spelling));
        let first = matches.next()?;
        if matches.all(|(_, canon, _)| *canon == first.1) {
            Some((first.1, first.2))
        } else {
            None
        }
    }

    /// The one-letter option `spelling` (one byte; a longer spelling names none). Compares
    /// single bytes: `curl -fsSL` looks up four letters among about a hundred options.
    fn find_short(&self, spelling: &str) -> Option<(&'static str, Takes)> {
        let &[letter] = spelling.as_bytes() else {
            return None;
        };
        match self.short.0.get(usize::from(letter)).copied() {
            Some(0) | None if self.options.len() < usize::from(u8::MAX) => None,
            Some(at @ 1..) => self
                .options
                .get(usize::from(at) - 1)
                .map(|&(_, canon, takes)| (canon, takes)),
            // Options past the index's reach (none today): scan.
            _ => self.find_short_scan(letter),
        }
    }

    /// [`Spec::find_short`] by scanning every option: the reference the index is tested
    /// against, and the fallback for options beyond its reach.
    fn find_short_scan(&self, letter: u8) -> Option<(&'static str, Takes)> {
        self.options
            .iter()
            .find(|(s, _, _)| s.as_bytes() == [letter])
            .map(|&(_, canon, takes)| (canon, takes))
    }
}

/// One argument as the walker resolved it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Arg {
    pub text: String,
    /// Byte span of the word it came from, in the text being walked.
    pub span: [u32; 2],
    /// Part of it is only known at run time.
    pub dynamic: bool,
    /// It holds the output of a substitution that downloads or decodes data.
    pub decoded: bool,
}

impl Arg {
    pub(crate) fn literal(text: &str, span: [u32; 2]) -> Arg {
        Arg {
            text: text.to_string(),
            span,
            dynamic: false,
            decoded: false,
        }
    }
}

/// The classification of a program's arguments. Every text borrows from the arguments or the
/// option table, and the lists are inline up to a typical command's size, so classifying
/// usually allocates nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Classified<'a> {
    /// Canonical flag names, in order, without duplicates.
    pub flags: SmallVec<[&'a str; 8]>,
    /// Indices (into the arguments) of operands.
    pub operands: SmallVec<[usize; 8]>,
    /// `(canonical flag, value)` for options that took a value.
    pub values: SmallVec<[(&'a str, &'a str); 4]>,
    /// Values of path-valued options.
    pub path_values: SmallVec<[&'a str; 2]>,
    /// Index of the first argument after the options when `stop_at_operand` (the wrapped
    /// command), else `None`.
    pub rest: Option<usize>,
}

impl<'a> Classified<'a> {
    pub(crate) fn has(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    pub(crate) fn value(&self, flag: &str) -> Option<&'a str> {
        self.values
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| *v)
    }

    pub(crate) fn all_values<'s>(&'s self, flag: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.values
            .iter()
            .filter(move |(f, _)| *f == flag)
            .map(|(_, v)| *v)
    }

    /// The flags as owned strings (for an action).
    pub(crate) fn owned_flags(&self) -> List {
        // Sized once (a collected `ThinVec` grows as it goes); none for no flags.
        if self.flags.is_empty() {
            return List::new();
        }
        let mut list = List::with_capacity(self.flags.len());
        list.extend(self.flags.iter().map(|f| Str::from(*f)));
        list
    }

    fn add_flag(&mut self, name: &'a str) {
        if !self.flags.contains(&name) {
            self.flags.push(name);
        }
    }

    fn add_value(&mut self, name: &'a str, value: &'a str, takes: Takes) {
        if takes == P {
            self.path_values.push(value);
        }
        self.values.push((name, value));
    }
}

/// Classifies `args` (the arguments after the program name).
pub(crate) fn classify<'a>(spec: Option<&Spec>, args: &'a [Arg]) -> Classified<'a> {
    classify_from(spec, args, false)
}

/// [`classify`]; `first_is_cluster`: the first argument is a cluster of short options written
/// without its dash (`tar xzf f`).
pub(crate) fn classify_from<'a>(
    spec: Option<&Spec>,
    args: &'a [Arg],
    first_is_cluster: bool,
) -> Classified<'a> {
    let mut c = Classified::default();
    let mut i = 0;
    let mut only_operands = false;
    while let Some(arg) = args.get(i) {
        let text = arg.text.as_str();
        i += 1;
        if first_is_cluster && i == 1 {
            short_cluster(spec, args, text, text, &mut i, &mut c);
            continue;
        }
        if only_operands
            || text == "-"
            || !text.starts_with('-')
            || arg.dynamic && !text.starts_with('-')
        {
            if spec.is_some_and(|s| s.stop_at_operand) {
                c.rest = Some(i - 1);
                return c;
            }
            c.operands.push(i - 1);
            continue;
        }
        if text == "--" {
            if spec.is_some_and(|s| s.stop_at_operand) {
                c.rest = Some(i);
                return c;
            }
            only_operands = true;
            continue;
        }
        let long = text.strip_prefix("--").or_else(|| {
            spec.filter(|s| s.single_dash_long)
                .and_then(|_| text.strip_prefix('-'))
        });
        if let Some(body) = long.filter(|b| b.len() > 1 || text.starts_with("--")) {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            match spec.and_then(|s| s.find(name, false)) {
                Some((canon, takes)) => {
                    c.add_flag(canon);
                    if takes != No {
                        let value = match inline {
                            Some(v) => Some(v),
                            None if takes == Takes::Attached => None,
                            None => args.get(i).map(|a| {
                                i += 1;
                                a.text.as_str()
                            }),
                        };
                        if let Some(v) = value {
                            c.add_value(canon, v, takes);
                        }
                    }
                }
                // An unknown option (for a single-dash-long program, a single-dash one is
                // kept whole): its name, and its inline value if any.
                None => {
                    c.add_flag(name);
                    if let Some(v) = inline {
                        c.values.push((name, v));
                    }
                }
            }
            continue;
        }
        // A cluster of short options: `-rf`, `-n5`, `-ofile`.
        let cluster = text.get(1..).unwrap_or("");
        short_cluster(spec, args, text, cluster, &mut i, &mut c);
    }
    c
}

/// Classifies the letters of a short-option cluster (`rf` of `-rf`); `text` is the whole
/// argument. An option taking a value takes the rest of the cluster, else the next argument.
fn short_cluster<'a>(
    spec: Option<&Spec>,
    args: &'a [Arg],
    text: &'a str,
    cluster: &'a str,
    i: &mut usize,
    c: &mut Classified<'a>,
) {
    for (at, ch) in cluster.char_indices() {
        let next = at + ch.len_utf8();
        let key = cluster.get(at..next).unwrap_or("");
        match spec.and_then(|s| s.find(key, true)) {
            Some((canon, takes)) => {
                c.add_flag(canon);
                if takes != No {
                    let attached = cluster.get(next..).unwrap_or("");
                    let value = if !attached.is_empty() {
                        Some(attached)
                    } else if takes == Takes::Attached {
                        None
                    } else {
                        args.get(*i).map(|a| {
                            *i += 1;
                            a.text.as_str()
                        })
                    };
                    if let Some(v) = value {
                        c.add_value(canon, v, takes);
                    }
                    return;
                }
            }
            None => {
                if ch.is_ascii_digit() && at == 0 {
                    // `-9`, `-10`: a numeric option (kill, nice, head); keep it whole.
                    c.add_flag(text.trim_start_matches('-'));
                    return;
                }
                c.add_flag(key);
            }
        }
    }
}

/// Normalises a path lexically: `//` and `/./` collapse, `..` folds where it can, a trailing
/// `/` goes (except for the root), `./build` becomes `build`.
pub(crate) fn normalize_path(path: &str) -> Str {
    if path.is_empty() {
        return Str::default();
    }
    let absolute = path.starts_with('/');
    // Already normal (no empty, `.` or `..` segment, no trailing `/`): the result is the
    // path itself, so skip splitting and re-joining. Likewise after a leading `./`
    // (`./build` is `build`).
    let is_normal = |body: &str| {
        // No segment empty, `.` or `..`: scanned byte by byte (this runs for every path).
        let mut segment = 0usize;
        let mut dots = 0usize;
        for b in body.bytes() {
            if b == b'/' {
                if segment == 0 || segment == dots && dots <= 2 {
                    return false;
                }
                segment = 0;
                dots = 0;
            } else {
                segment += 1;
                dots += usize::from(b == b'.');
            }
        }
        segment != 0 && !(segment == dots && dots <= 2)
    };
    let body = path.strip_prefix('/').unwrap_or(path);
    if is_normal(body) {
        return Str::from(path);
    }
    if let Some(rest) = path.strip_prefix("./")
        && is_normal(rest)
    {
        return Str::from(rest);
    }
    // The segments kept, joined by `/`, built in one string (popping is truncating).
    let mut joined = Str::with_capacity(path.len() + 1);
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                let last_is_parent = joined == ".." || joined.ends_with("/..");
                // A segment from an unresolved expansion (`$(pwd)`, `$DIR`, `` `x` ``) may be
                // any number of directories: `..` cannot cancel it, the path stays unknown.
                let last = joined.rsplit('/').next().unwrap_or("");
                let last_is_unknown = last.contains(['$', '`']);
                if !joined.is_empty() && !last_is_parent && !last_is_unknown {
                    let cut = joined.rfind('/').unwrap_or(0);
                    joined.truncate(cut);
                } else if !absolute || !joined.is_empty() {
                    if !joined.is_empty() {
                        joined.push('/');
                    }
                    joined.push_str("..");
                }
            }
            other => {
                if !joined.is_empty() {
                    joined.push('/');
                }
                joined.push_str(other);
            }
        }
    }
    match (absolute, joined.is_empty()) {
        (true, _) => {
            joined.insert(0, '/');
            joined
        }
        (false, true) => Str::from("."),
        (false, false) => joined,
    }
}

/// Whether an operand of a program without a path table looks like a path.
pub(crate) fn looks_like_path(text: &str) -> bool {
    if text.is_empty() || text.starts_with('-') || text.contains(char::is_whitespace) {
        return false;
    }
    text.starts_with('/')
        || text.starts_with("./")
        || text.starts_with("../")
        || text.starts_with('~')
        || text == "."
        || text == ".."
        || (text.contains('/') && !has_scheme(text))
}

/// `text.contains("://")`, without the substring searcher's set-up for the texts (nearly all
/// paths) that hold no `:` at all.
pub(crate) fn has_scheme(text: &str) -> bool {
    text.contains(':') && text.contains("://")
}

macro_rules! spec {
    ($name:ident, [$($opt:expr),* $(,)?] $(, $field:ident)*) => {
        pub(crate) const $name: Spec = Spec {
            options: &[$($opt),*],
            single_dash_long: spec!(@flag single_dash_long $($field)*),
            stop_at_operand: spec!(@flag stop_at_operand $($field)*),
            path_operands: spec!(@flag path_operands $($field)*),
            short: ShortIndex::NONE,
        }
        .indexed();
    };
    (@flag $want:ident) => { false };
    (@flag $want:ident $first:ident $($rest:ident)*) => {
        spec!(@eq $want $first) || spec!(@flag $want $($rest)*)
    };
    (@eq single_dash_long single_dash_long) => { true };
    (@eq stop_at_operand stop_at_operand) => { true };
    (@eq path_operands path_operands) => { true };
    (@eq $a:ident $b:ident) => { false };
}

spec!(
    RM,
    [
        ("r", "recursive", No),
        ("R", "recursive", No),
        ("recursive", "recursive", No),
        ("f", "force", No),
        ("force", "force", No),
        ("i", "interactive", No),
        ("I", "interactive-once", No),
        ("interactive", "interactive", No),
        ("d", "dir", No),
        ("dir", "dir", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("no-preserve-root", "no-preserve-root", No),
        ("preserve-root", "preserve-root", No),
        ("one-file-system", "one-file-system", No),
    ],
    path_operands
);
spec!(
    CP,
    [
        ("r", "recursive", No),
        ("R", "recursive", No),
        ("recursive", "recursive", No),
        ("f", "force", No),
        ("force", "force", No),
        ("a", "archive", No),
        ("archive", "archive", No),
        ("p", "preserve", No),
        ("preserve", "preserve", No),
        ("i", "interactive", No),
        ("interactive", "interactive", No),
        ("n", "no-clobber", No),
        ("no-clobber", "no-clobber", No),
        ("u", "update", No),
        ("update", "update", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("l", "link", No),
        ("link", "link", No),
        ("s", "symbolic-link", No),
        ("symbolic-link", "symbolic-link", No),
        ("t", "target-directory", P),
        ("target-directory", "target-directory", P),
        ("T", "no-target-directory", No),
        ("no-target-directory", "no-target-directory", No),
        ("b", "backup", No),
        ("backup", "backup", No),
        ("S", "suffix", V),
        ("suffix", "suffix", V),
        ("L", "dereference", No),
        ("dereference", "dereference", No),
        ("P", "no-dereference", No),
        ("no-dereference", "no-dereference", No),
        ("d", "no-dereference", No),
    ],
    path_operands
);
spec!(
    MV,
    [
        ("f", "force", No),
        ("force", "force", No),
        ("i", "interactive", No),
        ("interactive", "interactive", No),
        ("n", "no-clobber", No),
        ("no-clobber", "no-clobber", No),
        ("u", "update", No),
        ("update", "update", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("t", "target-directory", P),
        ("target-directory", "target-directory", P),
        ("T", "no-target-directory", No),
        ("b", "backup", No),
        ("backup", "backup", No),
        ("S", "suffix", V),
        ("suffix", "suffix", V),
    ],
    path_operands
);
spec!(
    CHMOD,
    [
        ("R", "recursive", No),
        ("recursive", "recursive", No),
        ("f", "silent", No),
        ("silent", "silent", No),
        ("quiet", "silent", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("c", "changes", No),
        ("changes", "changes", No),
        ("reference", "reference", P),
        ("preserve-root", "preserve-root", No),
        ("no-preserve-root", "no-preserve-root", No),
    ],
    path_operands
);
spec!(
    CHOWN,
    [
        ("R", "recursive", No),
        ("recursive", "recursive", No),
        ("f", "silent", No),
        ("silent", "silent", No),
        ("quiet", "silent", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("c", "changes", No),
        ("changes", "changes", No),
        ("h", "no-dereference", No),
        ("no-dereference", "no-dereference", No),
        ("dereference", "dereference", No),
        ("L", "follow-symlinks", No),
        ("H", "follow-args", No),
        ("P", "no-follow", No),
        ("reference", "reference", P),
        ("from", "from", V),
        ("preserve-root", "preserve-root", No),
        ("no-preserve-root", "no-preserve-root", No),
    ],
    path_operands
);
spec!(
    FIND,
    [
        ("name", "name", V),
        ("iname", "iname", V),
        ("path", "path", V),
        ("ipath", "ipath", V),
        ("wholename", "wholename", V),
        ("regex", "regex", V),
        ("iregex", "iregex", V),
        ("type", "type", V),
        ("xtype", "xtype", V),
        ("mtime", "mtime", V),
        ("mmin", "mmin", V),
        ("atime", "atime", V),
        ("amin", "amin", V),
        ("ctime", "ctime", V),
        ("cmin", "cmin", V),
        ("size", "size", V),
        ("user", "user", V),
        ("group", "group", V),
        ("uid", "uid", V),
        ("gid", "gid", V),
        ("perm", "perm", V),
        ("maxdepth", "maxdepth", V),
        ("mindepth", "mindepth", V),
        ("newer", "newer", P),
        ("samefile", "samefile", P),
        ("links", "links", V),
        ("inum", "inum", V),
        ("fstype", "fstype", V),
        ("printf", "printf", V),
        ("fprint", "fprint", P),
        ("fprint0", "fprint0", P),
        ("fls", "fls", P),
        ("delete", "delete", No),
        ("print", "print", No),
        ("print0", "print0", No),
        ("prune", "prune", No),
        ("empty", "empty", No),
        ("xdev", "xdev", No),
        ("mount", "xdev", No),
        ("depth", "depth", No),
        ("follow", "follow", No),
        ("quit", "quit", No),
        ("ls", "ls", No),
        ("nouser", "nouser", No),
        ("nogroup", "nogroup", No),
        ("readable", "readable", No),
        ("writable", "writable", No),
        ("executable", "executable", No),
        ("true", "true", No),
        ("false", "false", No),
        ("not", "not", No),
        ("and", "and", No),
        ("or", "or", No),
        ("a", "and", No),
        ("o", "or", No),
        ("L", "follow", No),
        ("H", "follow-args", No),
        ("P", "no-follow", No),
    ],
    single_dash_long,
    path_operands
);
spec!(
    CURL,
    [
        ("X", "request", V),
        ("request", "request", V),
        ("d", "data", V),
        ("data", "data", V),
        ("data-binary", "data-binary", V),
        ("data-raw", "data-raw", V),
        ("data-ascii", "data", V),
        ("data-urlencode", "data-urlencode", V),
        ("json", "json", V),
        ("F", "form", V),
        ("form", "form", V),
        ("form-string", "form-string", V),
        ("T", "upload-file", P),
        ("upload-file", "upload-file", P),
        ("o", "output", P),
        ("output", "output", P),
        ("O", "remote-name", No),
        ("remote-name", "remote-name", No),
        ("H", "header", V),
        ("header", "header", V),
        ("u", "user", V),
        ("user", "user", V),
        ("k", "insecure", No),
        ("insecure", "insecure", No),
        ("L", "location", No),
        ("location", "location", No),
        ("s", "silent", No),
        ("silent", "silent", No),
        ("S", "show-error", No),
        ("show-error", "show-error", No),
        ("f", "fail", No),
        ("fail", "fail", No),
        ("x", "proxy", V),
        ("proxy", "proxy", V),
        ("A", "user-agent", V),
        ("user-agent", "user-agent", V),
        ("e", "referer", V),
        ("referer", "referer", V),
        ("b", "cookie", V),
        ("cookie", "cookie", V),
        ("c", "cookie-jar", P),
        ("cookie-jar", "cookie-jar", P),
        ("url", "url", V),
        ("K", "config", P),
        ("config", "config", P),
        ("w", "write-out", V),
        ("write-out", "write-out", V),
        ("m", "max-time", V),
        ("max-time", "max-time", V),
        ("connect-timeout", "connect-timeout", V),
        ("I", "head", No),
        ("head", "head", No),
        ("G", "get", No),
        ("get", "get", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("resolve", "resolve", V),
        ("cacert", "cacert", P),
        ("E", "cert", V),
        ("cert", "cert", V),
        ("key", "key", P),
        ("r", "range", V),
        ("range", "range", V),
        ("C", "continue-at", V),
        ("retry", "retry", V),
        ("i", "include", No),
        ("include", "include", No),
        ("compressed", "compressed", No),
        ("create-dirs", "create-dirs", No),
        ("N", "no-buffer", No),
        ("oauth2-bearer", "oauth2-bearer", V),
        ("unix-socket", "unix-socket", P),
        ("D", "dump-header", P),
        ("dump-header", "dump-header", P),
    ]
);
spec!(
    WGET,
    [
        ("O", "output-document", P),
        ("output-document", "output-document", P),
        ("o", "output-file", P),
        ("output-file", "output-file", P),
        ("q", "quiet", No),
        ("quiet", "quiet", No),
        ("post-data", "post-data", V),
        ("post-file", "post-file", P),
        ("body-data", "body-data", V),
        ("body-file", "body-file", P),
        ("method", "method", V),
        ("header", "header", V),
        ("P", "directory-prefix", P),
        ("directory-prefix", "directory-prefix", P),
        ("r", "recursive", No),
        ("recursive", "recursive", No),
        ("N", "timestamping", No),
        ("c", "continue", No),
        ("continue", "continue", No),
        ("no-check-certificate", "no-check-certificate", No),
        ("U", "user-agent", V),
        ("user-agent", "user-agent", V),
        ("i", "input-file", P),
        ("input-file", "input-file", P),
        ("user", "user", V),
        ("password", "password", V),
        ("t", "tries", V),
        ("tries", "tries", V),
        ("T", "timeout", V),
        ("timeout", "timeout", V),
        ("e", "execute", V),
        ("execute", "execute", V),
    ]
);
spec!(
    TAR,
    [
        ("c", "create", No),
        ("create", "create", No),
        ("x", "extract", No),
        ("extract", "extract", No),
        ("get", "extract", No),
        ("t", "list", No),
        ("list", "list", No),
        ("r", "append", No),
        ("append", "append", No),
        ("u", "update", No),
        ("update", "update", No),
        ("z", "gzip", No),
        ("gzip", "gzip", No),
        ("j", "bzip2", No),
        ("bzip2", "bzip2", No),
        ("J", "xz", No),
        ("xz", "xz", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("f", "file", P),
        ("file", "file", P),
        ("C", "directory", P),
        ("directory", "directory", P),
        ("exclude", "exclude", V),
        ("p", "preserve-permissions", No),
        ("P", "absolute-names", No),
        ("absolute-names", "absolute-names", No),
        ("remove-files", "remove-files", No),
        ("overwrite", "overwrite", No),
        ("to-command", "to-command", V),
        ("T", "files-from", P),
        ("files-from", "files-from", P),
        ("X", "exclude-from", P),
        ("exclude-from", "exclude-from", P),
        ("checkpoint-action", "checkpoint-action", V),
        ("checkpoint", "checkpoint", No),
        ("use-compress-program", "use-compress-program", V),
        ("I", "use-compress-program", V),
    ],
    path_operands
);
spec!(DD, [], path_operands);
spec!(
    SHRED,
    [
        ("u", "remove", No),
        ("remove", "remove", No),
        ("z", "zero", No),
        ("zero", "zero", No),
        ("n", "iterations", V),
        ("iterations", "iterations", V),
        ("f", "force", No),
        ("force", "force", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("x", "exact", No),
        ("exact", "exact", No),
        ("s", "size", V),
        ("size", "size", V),
    ],
    path_operands
);
spec!(
    WIPEFS,
    [
        ("a", "all", No),
        ("all", "all", No),
        ("f", "force", No),
        ("force", "force", No),
        ("n", "no-act", No),
        ("no-act", "no-act", No),
        ("o", "offset", V),
        ("offset", "offset", V),
        ("t", "types", V),
        ("types", "types", V),
        ("q", "quiet", No),
        ("quiet", "quiet", No),
        ("b", "backup", No),
    ],
    path_operands
);
spec!(
    MKFS,
    [
        ("t", "type", V),
        ("type", "type", V),
        ("F", "force", No),
        ("f", "force", No),
        ("L", "label", V),
        ("n", "label", V),
        ("q", "quiet", No),
        ("v", "verbose", No),
        ("b", "block-size", V),
        ("O", "features", V),
    ],
    path_operands
);
spec!(
    TRUNCATE,
    [
        ("s", "size", V),
        ("size", "size", V),
        ("c", "no-create", No),
        ("no-create", "no-create", No),
        ("o", "io-blocks", No),
        ("io-blocks", "io-blocks", No),
        ("r", "reference", P),
        ("reference", "reference", P),
    ],
    path_operands
);
spec!(
    CRONTAB,
    [
        ("r", "remove", No),
        ("e", "edit", No),
        ("l", "list", No),
        ("i", "interactive", No),
        ("u", "user", V),
    ],
    path_operands
);
spec!(
    HISTORY,
    [
        ("c", "clear", No),
        ("d", "delete", V),
        ("w", "write", No),
        ("a", "append", No),
        ("r", "read", No),
        ("n", "new", No),
        ("p", "print", No),
        ("s", "store", No),
    ]
);
spec!(
    LN,
    [
        ("s", "symbolic", No),
        ("symbolic", "symbolic", No),
        ("f", "force", No),
        ("force", "force", No),
        ("n", "no-dereference", No),
        ("v", "verbose", No),
        ("t", "target-directory", P),
        ("T", "no-target-directory", No),
        ("r", "relative", No),
        ("b", "backup", No),
    ],
    path_operands
);
spec!(
    INSTALL,
    [
        ("m", "mode", V),
        ("mode", "mode", V),
        ("o", "owner", V),
        ("owner", "owner", V),
        ("g", "group", V),
        ("group", "group", V),
        ("t", "target-directory", P),
        ("target-directory", "target-directory", P),
        ("T", "no-target-directory", No),
        ("d", "directory", No),
        ("directory", "directory", No),
        ("D", "parents", No),
        ("S", "suffix", V),
        ("suffix", "suffix", V),
        ("b", "backup", No),
        ("C", "compare", No),
        ("p", "preserve-timestamps", No),
        ("s", "strip", No),
        ("v", "verbose", No),
    ],
    path_operands
);
spec!(
    TEE,
    [
        ("a", "append", No),
        ("append", "append", No),
        ("i", "ignore-interrupts", No),
        ("p", "output-error", No)
    ],
    path_operands
);
spec!(
    PATHS,
    [
        ("r", "recursive", No),
        ("R", "recursive", No),
        ("recursive", "recursive", No),
        ("f", "force", No),
        ("force", "force", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("p", "parents", No),
        ("parents", "parents", No),
        ("m", "mode", V),
        ("mode", "mode", V),
    ],
    path_operands
);
// The MySQL/MariaDB client tools that are not lifted (`mysqldump`, `mysqladmin`, …): the
// connection options, so that an attached password (`-pSecret`) stays one option.
spec!(
    MYSQL_TOOLS,
    [
        ("u", "user", V),
        ("user", "user", V),
        ("h", "host", V),
        ("host", "host", V),
        ("P", "port", V),
        ("port", "port", V),
        ("S", "socket", P),
        ("socket", "socket", P),
        ("p", "password", Takes::Attached),
        ("password", "password", Takes::Attached),
        ("r", "result-file", P),
        ("result-file", "result-file", P),
        ("T", "tab", P),
        ("tab", "tab", P),
        ("defaults-file", "defaults-file", P),
        ("A", "all-databases", No),
        ("all-databases", "all-databases", No),
        ("B", "databases", No),
        ("databases", "databases", No),
    ]
);

spec!(
    SSH,
    [
        ("p", "port", V),
        ("i", "identity", P),
        ("l", "login", V),
        ("o", "option", V),
        ("F", "config", P),
        ("J", "jump", V),
        ("L", "local-forward", V),
        ("R", "remote-forward", V),
        ("D", "dynamic-forward", V),
        ("W", "stdio-forward", V),
        ("b", "bind-address", V),
        ("c", "cipher", V),
        ("E", "log-file", P),
        ("e", "escape-char", V),
        ("I", "pkcs11", V),
        ("m", "mac", V),
        ("O", "control", V),
        ("Q", "query", V),
        ("S", "control-path", P),
        ("w", "tunnel", V),
        ("B", "bind-interface", V),
        ("t", "tty", No),
        ("T", "no-tty", No),
        ("n", "no-stdin", No),
        ("N", "no-command", No),
        ("f", "background", No),
        ("v", "verbose", No),
        ("q", "quiet", No),
        ("A", "forward-agent", No),
        ("a", "no-forward-agent", No),
        ("x", "no-x11", No),
        ("X", "x11", No),
        ("Y", "trusted-x11", No),
        ("C", "compress", No),
        ("g", "gateway-ports", No),
        ("K", "gssapi", No),
        ("k", "no-gssapi", No),
        ("M", "master", No),
        ("s", "subsystem", No),
        ("G", "print-config", No),
        ("4", "ipv4", No),
        ("6", "ipv6", No),
        ("V", "version", No),
    ],
    stop_at_operand
);
spec!(
    SCP,
    [
        ("P", "port", V),
        ("i", "identity", P),
        ("o", "option", V),
        ("F", "config", P),
        ("J", "jump", V),
        ("l", "limit", V),
        ("c", "cipher", V),
        ("S", "program", P),
        ("r", "recursive", No),
        ("p", "preserve", No),
        ("q", "quiet", No),
        ("C", "compress", No),
        ("v", "verbose", No),
        ("3", "through-local", No),
        ("4", "ipv4", No),
        ("6", "ipv6", No),
        ("B", "batch", No),
        ("T", "no-strict-filenames", No),
        ("O", "legacy", No),
        ("s", "sftp", No),
    ],
    path_operands
);
spec!(
    RSYNC,
    [
        ("e", "rsh", V),
        ("rsh", "rsh", V),
        ("exclude", "exclude", V),
        ("include", "include", V),
        ("filter", "filter", V),
        ("files-from", "files-from", P),
        ("password-file", "password-file", P),
        ("port", "port", V),
        ("rsync-path", "rsync-path", V),
        ("delete", "delete", No),
        ("delete-before", "delete", No),
        ("delete-after", "delete", No),
        ("delete-during", "delete", No),
        ("a", "archive", No),
        ("archive", "archive", No),
        ("r", "recursive", No),
        ("recursive", "recursive", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
        ("z", "compress", No),
        ("compress", "compress", No),
        ("n", "dry-run", No),
        ("dry-run", "dry-run", No),
        ("P", "partial-progress", No),
        ("remove-source-files", "remove-source-files", No),
        ("backup-dir", "backup-dir", P),
        ("chmod", "chmod", V),
        ("b", "backup", No),
        ("bwlimit", "bwlimit", V),
        ("timeout", "timeout", V),
        ("u", "update", No),
        ("l", "links", No),
        ("p", "perms", No),
        ("t", "times", No),
        ("g", "group", No),
        ("o", "owner", No),
        ("D", "devices", No),
        ("H", "hard-links", No),
        ("A", "acls", No),
        ("X", "xattrs", No),
        ("h", "human-readable", No),
        ("q", "quiet", No),
        ("c", "checksum", No),
        ("S", "sparse", No),
        ("x", "one-file-system", No),
        ("W", "whole-file", No),
        ("L", "copy-links", No),
        ("R", "relative", No),
        ("progress", "progress", No),
        ("partial", "partial", No),
        ("stats", "stats", No),
        ("info", "info", V),
        ("i", "itemize-changes", No),
        ("list-only", "list-only", No),
        ("f", "filter", V),
    ],
    path_operands
);
spec!(
    GREP,
    [
        ("r", "recursive", No),
        ("R", "dereference-recursive", No),
        ("recursive", "recursive", No),
        ("i", "ignore-case", No),
        ("ignore-case", "ignore-case", No),
        ("v", "invert-match", No),
        ("n", "line-number", No),
        ("l", "files-with-matches", No),
        ("c", "count", No),
        ("E", "extended-regexp", No),
        ("F", "fixed-strings", No),
        ("w", "word-regexp", No),
        ("x", "line-regexp", No),
        ("q", "quiet", No),
        ("s", "no-messages", No),
        ("h", "no-filename", No),
        ("H", "with-filename", No),
        ("o", "only-matching", No),
        ("e", "regexp", V),
        ("regexp", "regexp", V),
        ("f", "file", P),
        ("file", "file", P),
        ("include", "include", V),
        ("exclude", "exclude", V),
        ("exclude-dir", "exclude-dir", V),
        ("A", "after-context", V),
        ("B", "before-context", V),
        ("C", "context", V),
        ("m", "max-count", V),
        ("P", "perl-regexp", No),
    ]
);
spec!(
    SED,
    [
        ("i", "in-place", No),
        ("in-place", "in-place", No),
        ("n", "quiet", No),
        ("quiet", "quiet", No),
        ("e", "expression", V),
        ("expression", "expression", V),
        ("f", "file", P),
        ("file", "file", P),
        ("E", "regexp-extended", No),
        ("r", "regexp-extended", No),
        ("s", "separate", No),
        ("z", "null-data", No),
    ]
);
spec!(
    KILL,
    [
        ("s", "signal", V),
        ("signal", "signal", V),
        ("n", "signal-number", V),
        ("l", "list", No),
        ("9", "kill", No)
    ]
);
spec!(
    USER_MOD,
    [
        ("r", "remove", No),
        ("f", "force", No),
        ("G", "groups", V),
        ("a", "append", No),
        ("g", "gid", V),
        ("s", "shell", V),
        ("u", "uid", V),
        ("d", "home", P),
        ("m", "create-home", No),
        ("p", "password", V),
        ("L", "lock", No),
        ("U", "unlock", No),
        ("e", "expiredate", V),
        ("o", "non-unique", No)
    ]
);
spec!(SINGLE_DASH, [], single_dash_long);
spec!(
    OPENSSL,
    [
        ("connect", "connect", V),
        ("servername", "servername", V),
        ("cert", "cert", P),
        ("key", "key", P),
        ("in", "in", P),
        ("out", "out", P),
        ("CAfile", "CAfile", P),
        ("pass", "pass", V),
        ("passin", "passin", V),
        ("passout", "passout", V),
        ("k", "k", V),
        ("md", "md", V),
        ("proxy", "proxy", V),
        ("starttls", "starttls", V),
        ("inkey", "inkey", P),
    ],
    single_dash_long
);
spec!(
    CHATTR,
    [
        ("R", "recursive", No),
        ("V", "verbose", No),
        ("f", "silent", No)
    ],
    path_operands
);

/// The option table of a program, by basename.
pub(crate) fn spec_for(program: &str) -> Option<&'static Spec> {
    Some(match program {
        "rm" => &RM,
        "cp" => &CP,
        "mv" => &MV,
        "chmod" => &CHMOD,
        "chown" | "chgrp" => &CHOWN,
        "find" => &FIND,
        "curl" => &CURL,
        "wget" => &WGET,
        "tar" => &TAR,
        "dd" => &DD,
        "shred" => &SHRED,
        "wipefs" => &WIPEFS,
        "truncate" => &TRUNCATE,
        "crontab" => &CRONTAB,
        "history" => &HISTORY,
        "ln" => &LN,
        "install" => &INSTALL,
        "tee" => &TEE,
        "mkdir" | "rmdir" | "touch" | "cat" | "ls" | "unlink" | "less" | "more" | "head"
        | "tail" | "stat" => &PATHS,
        "ssh" => &SSH,
        "scp" => &SCP,
        "rsync" => &RSYNC,
        "grep" | "egrep" | "fgrep" | "rg" => &GREP,
        "sed" => &SED,
        "kill" | "pkill" | "killall" => &KILL,
        "userdel" | "usermod" | "useradd" | "groupdel" | "passwd" => &USER_MOD,
        "chattr" => &CHATTR,
        "openssl" => &OPENSSL,
        "mysqldump" | "mysqladmin" | "mysqlimport" | "mysqlcheck" | "mysqlpump" | "mysqlshow"
        | "mariadb-dump" | "mariadb-admin" | "mariadb-import" | "mariadb-check" => &MYSQL_TOOLS,
        "terraform" | "tofu" | "terragrunt" | "java" => &SINGLE_DASH,
        p if p == "mkfs" || p.starts_with("mkfs.") || p.starts_with("mke2fs") || p == "mkswap" => {
            &MKFS
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<Arg> {
        words.iter().map(|w| Arg::literal(w, [0, 0])).collect()
    }

    #[test]
    fn attached_password_is_one_option() {
        for (words, password) in [
            (&["-pS3cret", "--all-databases"][..], Some("S3cret")),
            (&["-p", "-h", "db1"][..], None),
            (&["--password=x y", "-h", "db1"][..], Some("x y")),
        ] {
            let a = args(words);
            let c = classify(Some(&MYSQL_TOOLS), &a);
            assert!(c.has("password"), "{words:?}");
            assert!(c.path_values.is_empty(), "{words:?}");
            assert_eq!(
                c.values
                    .iter()
                    .find(|(n, _)| *n == "password")
                    .map(|(_, v)| *v),
                password
            );
            assert!(!c.has("socket") && !c.has("port"), "{words:?}");
        }
        let a = args(&["-p", "-h", "db1"]);
        let c = classify(Some(&MYSQL_TOOLS), &a);
        assert!(c.values.contains(&("host", "db1")));
    }

    #[test]
    fn has_scheme_is_contains_scheme_separator() {
        for text in [
            "",
            ":",
            "://",
            "a:/b",
            "a:b//c",
            "s3://bucket/key",
            "/var/lib/app",
            "./x:y",
            "https://h",
            "x:://",
            "::/",
            "a:/",
            "é://",
            "/p/a:/b//",
        ] {
            assert_eq!(has_scheme(text), text.contains("://"), "{text:?}");
        }
    }

    /// The one-letter lookup as first written: a scan of every option.
    fn short_reference(spec: &Spec, key: &str) -> Option<(&'static str, Takes)> {
        spec.options
            .iter()
            .find(|(s, _, _)| *s == key && s.len() == 1)
            .map(|&(_, canon, takes)| (canon, takes))
    }

    /// Every one-character key (ASCII and not) looks up the same option through the index as
    /// by scanning, for every option table reachable by program name.
    #[test]
    fn short_index_agrees_with_scanning() {
        let programs = [
            "rm",
            "cp",
            "mv",
            "chmod",
            "chown",
            "find",
            "curl",
            "wget",
            "tar",
            "dd",
            "shred",
            "wipefs",
            "truncate",
            "crontab",
            "history",
            "ln",
            "install",
            "tee",
            "cat",
            "ssh",
            "scp",
            "rsync",
            "grep",
            "sed",
            "kill",
            "userdel",
            "chattr",
            "openssl",
            "terraform",
            "mkfs",
            "sudo",
            "doas",
            "env",
            "timeout",
            "nice",
            "ionice",
            "stdbuf",
            "command",
            "exec",
            "time",
            "setsid",
            "chroot",
            "flock",
            "watch",
            "xargs",
            "su",
            "pkexec",
            "nohup",
            "bash",
            "python3",
            "psql",
            "mysql",
            "sqlite3",
            "redis-cli",
            "kubectl",
            "helm",
            "systemctl",
        ];
        let mut keys: Vec<String> = (0..128u8).map(|b| char::from(b).to_string()).collect();
        keys.extend(["é", "ß", "€", "rf", ""].map(String::from));
        let mut tables = 0;
        for program in programs {
            let specs = [
                spec_for(program),
                super::super::wrappers::spec_for(program),
                crate::lift::spec_for(program),
            ];
            for spec in specs.into_iter().flatten() {
                tables += 1;
                for key in &keys {
                    assert_eq!(
                        spec.find(key, true),
                        short_reference(spec, key),
                        "{program} -{key}"
                    );
                }
            }
        }
        assert!(tables >= programs.len(), "{tables} tables checked");
    }

    /// A letter past the index's reach (position 255 on) is still found, by scanning.
    #[test]
    fn short_options_past_the_index_are_scanned() {
        const MANY: [(&str, &str, Takes); 300] = {
            let mut options = [("long", "long", No); 300];
            options[3] = ("a", "early", No);
            options[280] = ("z", "late", V);
            options
        };
        const SPEC: Spec = Spec {
            options: &MANY,
            single_dash_long: false,
            stop_at_operand: false,
            path_operands: false,
            short: ShortIndex::NONE,
        }
        .indexed();
        assert_eq!(SPEC.find("a", true), Some(("early", No)));
        assert_eq!(SPEC.find("z", true), Some(("late", V)));
        assert_eq!(SPEC.find("q", true), None);
        assert_eq!(SPEC.find("long", false), Some(("long", No)));
    }

    #[test]
    fn rm_spellings_agree() {
        for words in [
            &["-rf", "/"][..],
            &["-fr", "/"],
            &["-r", "-f", "/"],
            &["--recursive", "--force", "/"],
            &["--rec", "--fo", "/"],
            &["-R", "--force", "--", "/"],
        ] {
            let a = args(words);
            let c = classify(Some(&RM), &a);
            let mut flags = c.flags.to_vec();
            flags.sort();
            assert_eq!(flags, ["force", "recursive"], "{words:?}");
            assert_eq!(c.operands.len(), 1);
        }
    }

    #[test]
    fn values_are_not_operands() {
        let a = args(&["-d", "@/etc/passwd", "https://x.example", "-H", "a: b"]);
        let c = classify(Some(&CURL), &a);
        assert_eq!(c.value("data"), Some("@/etc/passwd"));
        assert_eq!(c.operands[..], [2]);
        let a = args(&["-abc", "--long=x", "-", "op"]);
        let unknown = classify(None, &a);
        assert_eq!(unknown.flags[..], ["a", "b", "c", "long"]);
        assert_eq!(unknown.operands[..], [2, 3]);
    }

    /// The normaliser as first written (split, fold, join), to compare the fast one with.
    fn normalize_reference(path: &str) -> String {
        if path.is_empty() {
            return String::new();
        }
        let absolute = path.starts_with('/');
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                // An unresolved segment (`$x`) may be several directories: `..` keeps it.
                ".." => {
                    if parts
                        .last()
                        .is_some_and(|p| *p != ".." && !p.contains(['$', '`']))
                    {
                        parts.pop();
                    } else if !absolute || !parts.is_empty() {
                        parts.push("..");
                    }
                }
                other => parts.push(other),
            }
        }
        let joined = parts.join("/");
        match (absolute, joined.is_empty()) {
            (true, _) => format!("/{joined}"),
            (false, true) => ".".to_string(),
            (false, false) => joined,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4000))]
        #[test]
        fn normalising_agrees_with_the_reference(
            path in "(/|\\.|\\.\\.|\\.\\.\\.|a|bc|\\.a|a\\.|\\.\\.a|~|é|\\$x|`y`){0,8}"
        ) {
            proptest::prop_assert_eq!(normalize_path(&path), normalize_reference(&path));
        }
    }

    #[test]
    fn paths_normalise() {
        assert_eq!(normalize_path("/var/log/"), "/var/log");
        assert_eq!(normalize_path("//"), "/");
        assert_eq!(normalize_path("/tmp/../"), "/");
        assert_eq!(normalize_path("./build"), "build");
        assert_eq!(normalize_path("a/./b//c"), "a/b/c");
        assert_eq!(normalize_path("../x"), "../x");
        assert_eq!(normalize_path("$(pwd)/../../../"), "$(pwd)/../../..");
        assert_eq!(normalize_path("/tmp/$X/../../etc"), "/tmp/$X/../../etc");
        assert_eq!(normalize_path("$DIR/cache/../tmp"), "$DIR/tmp");
        assert_eq!(normalize_path("/a/`b`/.."), "/a/`b`/..");
    }
}
