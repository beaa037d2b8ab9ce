//! Wrappers and interpreters: programs whose arguments (or stdin) are themselves a command.
//! [`unwrap`] says what a wrapper runs — another argv (`sudo rm …`), shell text to parse
//! (`bash -c '…'`, `ssh host 'cmd'`, `eval …`), or something guard cannot see (`eval $x`,
//! `curl … | sh`), which becomes an `opaque` action.
//!
//! Invariant: every wrapper that runs something yields it; an unresolvable inner command is
//! never dropped, it becomes [`Inner::Opaque`].

use compact_str::format_compact;
use guard_model::{OpaqueCause, Str};

use super::Stdin;
use super::argv::{Arg, ShortIndex, Spec, Takes, classify};
use crate::script;

use Takes::{No, Path as P, Value as V};

/// What a wrapper runs.
#[derive(Debug, Clone)]
pub(crate) enum Inner {
    /// Another program with its arguments.
    Argv {
        argv: Vec<Arg>,
        step: Str,
        elevated: bool,
        remote: Option<String>,
        keeps_stdin: bool,
        /// Environment assignments the wrapper adds (`NAME=value`).
        env: Vec<Str>,
    },
    /// Shell text to parse.
    Shell {
        text: String,
        span: [u32; 2],
        step: Str,
        elevated: bool,
        remote: Option<String>,
        stdin: Option<Stdin>,
    },
    /// Something run that guard cannot know.
    Opaque { cause: OpaqueCause, reason: String },
}

macro_rules! wspec {
    ($name:ident, [$($opt:expr),* $(,)?]) => {
        const $name: Spec = Spec { options: &[$($opt),*], single_dash_long: false, stop_at_operand: true, path_operands: false, short: ShortIndex::NONE }.indexed();
    };
}

wspec!(
    SUDO,
    [
        ("u", "user", V),
        ("user", "user", V),
        ("g", "group", V),
        ("group", "group", V),
        ("C", "close-from", V),
        ("close-from", "close-from", V),
        ("D", "chdir", P),
        ("chdir", "chdir", P),
        ("h", "host", V),
        ("host", "host", V),
        ("p", "prompt", V),
        ("prompt", "prompt", V),
        ("r", "role", V),
        ("role", "role", V),
        ("t", "type", V),
        ("type", "type", V),
        ("U", "other-user", V),
        ("other-user", "other-user", V),
        ("T", "command-timeout", V),
        ("command-timeout", "command-timeout", V),
        ("R", "chroot", P),
        ("chroot", "chroot", P),
        ("E", "preserve-env", No),
        ("preserve-env", "preserve-env", No),
        ("H", "set-home", No),
        ("set-home", "set-home", No),
        ("n", "non-interactive", No),
        ("non-interactive", "non-interactive", No),
        ("S", "stdin", No),
        ("stdin", "stdin", No),
        ("b", "background", No),
        ("background", "background", No),
        ("i", "login", No),
        ("login", "login", No),
        ("s", "shell", No),
        ("shell", "shell", No),
        ("k", "reset-timestamp", No),
        ("reset-timestamp", "reset-timestamp", No),
        ("K", "remove-timestamp", No),
        ("l", "list", No),
        ("list", "list", No),
        ("v", "validate", No),
        ("validate", "validate", No),
        ("A", "askpass", No),
        ("askpass", "askpass", No),
        ("P", "preserve-groups", No),
        ("e", "edit", No),
        ("edit", "edit", No),
    ]
);
wspec!(
    DOAS,
    [
        ("u", "user", V),
        ("C", "config", P),
        ("n", "non-interactive", No),
        ("s", "shell", No),
        ("L", "clear", No)
    ]
);
wspec!(
    ENV,
    [
        ("i", "ignore-environment", No),
        ("ignore-environment", "ignore-environment", No),
        ("u", "unset", V),
        ("unset", "unset", V),
        ("C", "chdir", P),
        ("chdir", "chdir", P),
        ("S", "split-string", V),
        ("split-string", "split-string", V),
        ("0", "null", No),
        ("null", "null", No),
        ("v", "debug", No),
        ("debug", "debug", No),
        ("ignore-signal", "ignore-signal", V),
        ("default-signal", "default-signal", V),
        ("block-signal", "block-signal", V),
    ]
);
wspec!(PLAIN, []);
wspec!(
    TIMEOUT,
    [
        ("s", "signal", V),
        ("signal", "signal", V),
        ("k", "kill-after", V),
        ("kill-after", "kill-after", V),
        ("preserve-status", "preserve-status", No),
        ("foreground", "foreground", No),
        ("v", "verbose", No),
        ("verbose", "verbose", No),
    ]
);
wspec!(
    NICE,
    [("n", "adjustment", V), ("adjustment", "adjustment", V)]
);
wspec!(
    IONICE,
    [
        ("c", "class", V),
        ("class", "class", V),
        ("n", "classdata", V),
        ("classdata", "classdata", V),
        ("p", "pid", V),
        ("pid", "pid", V),
        ("P", "pgid", V),
        ("u", "uid", V),
        ("t", "ignore", No)
    ]
);
wspec!(
    STDBUF,
    [
        ("i", "input", V),
        ("input", "input", V),
        ("o", "output", V),
        ("output", "output", V),
        ("e", "error", V),
        ("error", "error", V)
    ]
);
wspec!(
    COMMAND,
    [
        ("p", "default-path", No),
        ("v", "describe", No),
        ("V", "describe-verbose", No)
    ]
);
wspec!(
    EXEC,
    [
        ("a", "name", V),
        ("c", "clear-environment", No),
        ("l", "login", No)
    ]
);
wspec!(
    TIME,
    [
        ("p", "portability", No),
        ("f", "format", V),
        ("format", "format", V),
        ("o", "output", P),
        ("output", "output", P),
        ("a", "append", No),
        ("v", "verbose", No),
        ("q", "quiet", No)
    ]
);
wspec!(
    SETSID,
    [("c", "ctty", No), ("f", "fork", No), ("w", "wait", No)]
);
// `screen [options] cmd args…`: the session runs the command, detached or not.
wspec!(
    SCREEN,
    [
        ("S", "session", V),
        ("c", "config", P),
        ("e", "escape", V),
        ("h", "history", V),
        ("p", "window", V),
        ("s", "shell", V),
        ("t", "title", V),
        ("T", "term", V),
        ("Logfile", "logfile", P),
        ("d", "detach", No),
        ("D", "detach-power", No),
        ("m", "ignore-sty", No),
        ("L", "log", No),
        ("a", "all-capabilities", No),
        ("A", "adapt", No),
        ("f", "flow", No),
        ("i", "interrupt", No),
        ("l", "login", No),
        ("O", "optimal", No),
        ("q", "quiet", No),
        ("U", "utf8", No),
        ("R", "reattach-create", No),
        ("r", "reattach", No),
        ("x", "multi-attach", No),
        ("X", "command", No),
        ("Q", "query", No)
    ]
);
// `nsenter [options] [cmd args…]`: the command runs in another process's namespaces (with no
// command, the shell). A namespace option takes its file only attached (`-m/proc/1/ns/mnt`,
// `--mount=…`).
wspec!(
    NSENTER,
    [
        ("t", "target", V),
        ("target", "target", V),
        ("S", "setuid", V),
        ("setuid", "setuid", V),
        ("G", "setgid", V),
        ("setgid", "setgid", V),
        ("W", "wdns", P),
        ("wdns", "wdns", P),
        ("m", "mount", Takes::Attached),
        ("mount", "mount", Takes::Attached),
        ("u", "uts", Takes::Attached),
        ("uts", "uts", Takes::Attached),
        ("i", "ipc", Takes::Attached),
        ("ipc", "ipc", Takes::Attached),
        ("n", "net", Takes::Attached),
        ("net", "net", Takes::Attached),
        ("p", "pid", Takes::Attached),
        ("pid", "pid", Takes::Attached),
        ("U", "user", Takes::Attached),
        ("user", "user", Takes::Attached),
        ("C", "cgroup", Takes::Attached),
        ("cgroup", "cgroup", Takes::Attached),
        ("T", "time", Takes::Attached),
        ("time", "time", Takes::Attached),
        ("r", "root", Takes::Attached),
        ("root", "root", Takes::Attached),
        ("w", "wd", Takes::Attached),
        ("wd", "wd", Takes::Attached),
        ("a", "all", No),
        ("all", "all", No),
        ("e", "env", No),
        ("F", "no-fork", No),
        ("Z", "follow-context", No),
        ("preserve-credentials", "preserve-credentials", No)
    ]
);
// `unshare [options] [cmd args…]`: the command runs in new namespaces (with no command, the
// shell).
wspec!(
    UNSHARE,
    [
        ("m", "mount", Takes::Attached),
        ("mount", "mount", Takes::Attached),
        ("u", "uts", Takes::Attached),
        ("uts", "uts", Takes::Attached),
        ("i", "ipc", Takes::Attached),
        ("ipc", "ipc", Takes::Attached),
        ("n", "net", Takes::Attached),
        ("net", "net", Takes::Attached),
        ("p", "pid", Takes::Attached),
        ("pid", "pid", Takes::Attached),
        ("U", "user", Takes::Attached),
        ("user", "user", Takes::Attached),
        ("C", "cgroup", Takes::Attached),
        ("cgroup", "cgroup", Takes::Attached),
        ("T", "time", Takes::Attached),
        ("time", "time", Takes::Attached),
        ("mount-proc", "mount-proc", Takes::Attached),
        ("kill-child", "kill-child", Takes::Attached),
        ("propagation", "propagation", V),
        ("setgroups", "setgroups", V),
        ("R", "root", P),
        ("root", "root", P),
        ("w", "wd", P),
        ("wd", "wd", P),
        ("S", "setuid", V),
        ("setuid", "setuid", V),
        ("G", "setgid", V),
        ("setgid", "setgid", V),
        ("map-user", "map-user", V),
        ("map-group", "map-group", V),
        ("map-users", "map-users", V),
        ("map-groups", "map-groups", V),
        ("f", "fork", No),
        ("fork", "fork", No),
        ("r", "map-root-user", No),
        ("map-root-user", "map-root-user", No),
        ("c", "map-current-user", No),
        ("map-current-user", "map-current-user", No),
        ("keep-caps", "keep-caps", No)
    ]
);
// `systemd-run [options] cmd args…`: the service manager runs the command as a transient unit.
wspec!(
    SYSTEMD_RUN,
    [
        ("u", "unit", V),
        ("unit", "unit", V),
        ("p", "property", V),
        ("property", "property", V),
        ("E", "setenv", V),
        ("setenv", "setenv", V),
        ("H", "host", V),
        ("host", "host", V),
        ("M", "machine", V),
        ("machine", "machine", V),
        ("description", "description", V),
        ("slice", "slice", V),
        ("uid", "uid", V),
        ("gid", "gid", V),
        ("nice", "nice", V),
        ("working-directory", "working-directory", P),
        ("service-type", "service-type", V),
        ("on-active", "on-active", V),
        ("on-boot", "on-boot", V),
        ("on-startup", "on-startup", V),
        ("on-unit-active", "on-unit-active", V),
        ("on-unit-inactive", "on-unit-inactive", V),
        ("on-calendar", "on-calendar", V),
        ("timer-property", "timer-property", V),
        ("path-property", "path-property", V),
        ("socket-property", "socket-property", V),
        ("d", "same-dir", No),
        ("G", "collect", No),
        ("t", "pty", No),
        ("P", "pipe", No),
        ("q", "quiet", No),
        ("r", "remain-after-exit", No),
        ("S", "shell", No),
        ("user", "user", No),
        ("system", "system", No),
        ("scope", "scope", No),
        ("wait", "wait", No)
    ]
);
wspec!(
    CHROOT,
    [
        ("userspec", "userspec", V),
        ("groups", "groups", V),
        ("skip-chdir", "skip-chdir", No)
    ]
);
wspec!(
    FLOCK,
    [
        ("s", "shared", No),
        ("x", "exclusive", No),
        ("n", "nonblock", No),
        ("u", "unlock", No),
        ("w", "timeout", V),
        ("c", "command", V),
        ("command", "command", V),
        ("o", "close", No),
        ("E", "conflict-exit-code", V),
        ("F", "no-fork", No)
    ]
);
wspec!(
    WATCH,
    [
        ("n", "interval", V),
        ("interval", "interval", V),
        ("d", "differences", No),
        ("differences", "differences", No),
        ("t", "no-title", No),
        ("g", "chgexit", No),
        ("e", "errexit", No),
        ("b", "beep", No),
        ("c", "color", No),
        ("x", "exec", No),
        ("exec", "exec", No),
        ("p", "precise", No),
        ("w", "no-wrap", No),
    ]
);
wspec!(
    XARGS,
    [
        ("I", "replace", V),
        ("replace", "replace", V),
        ("L", "max-lines", V),
        ("max-lines", "max-lines", V),
        ("n", "max-args", V),
        ("max-args", "max-args", V),
        ("P", "max-procs", V),
        ("max-procs", "max-procs", V),
        ("s", "max-chars", V),
        ("max-chars", "max-chars", V),
        ("d", "delimiter", V),
        ("delimiter", "delimiter", V),
        ("E", "eof", V),
        ("a", "arg-file", P),
        ("arg-file", "arg-file", P),
        ("0", "null", No),
        ("null", "null", No),
        ("r", "no-run-if-empty", No),
        ("no-run-if-empty", "no-run-if-empty", No),
        ("t", "verbose", No),
        ("verbose", "verbose", No),
        ("p", "interactive", No),
        ("interactive", "interactive", No),
        ("x", "exit", No),
        ("o", "open-tty", No),
        ("i", "replace", No),
        ("l", "max-lines", No),
        ("e", "eof", No),
    ]
);
wspec!(
    SHELL,
    [
        ("c", "command", No),
        ("s", "stdin", No),
        ("i", "interactive", No),
        ("l", "login", No),
        ("login", "login", No),
        ("e", "errexit", No),
        ("x", "xtrace", No),
        ("u", "nounset", No),
        ("v", "verbose", No),
        ("n", "noexec", No),
        ("o", "option", V),
        ("O", "shopt", V),
        ("norc", "norc", No),
        ("noprofile", "noprofile", No),
        ("rcfile", "rcfile", P),
        ("init-file", "rcfile", P),
        ("posix", "posix", No),
        ("r", "restricted", No),
        ("restricted", "restricted", No),
        ("noediting", "noediting", No),
        ("p", "privileged", No),
        ("f", "noglob", No),
        ("a", "allexport", No),
        ("h", "hashall", No),
        ("m", "monitor", No),
        ("B", "braceexpand", No),
        ("E", "errtrace", No),
        ("T", "functrace", No),
        ("P", "physical", No),
        ("H", "histexpand", No),
    ]
);
wspec!(
    SU,
    [
        ("c", "command", V),
        ("command", "command", V),
        ("s", "shell", V),
        ("shell", "shell", V),
        ("l", "login", No),
        ("login", "login", No),
        ("m", "preserve-environment", No),
        ("p", "preserve-environment", No),
        ("preserve-environment", "preserve-environment", No),
        ("g", "group", V),
        ("G", "supp-group", V),
        ("session-command", "session-command", V),
        ("f", "fast", No),
        ("P", "pty", No),
        ("w", "whitelist-environment", V),
    ]
);
/// `su` parses its options with GNU getopt, which permutes: `su postgres -c CMD` runs CMD just like
/// `su -c CMD postgres`, so the user operand does not end the options.
const SU_PERMUTED: Spec = Spec {
    stop_at_operand: false,
    ..SU
};
wspec!(
    PKEXEC,
    [
        ("user", "user", V),
        ("keep-cwd", "keep-cwd", No),
        ("disable-internal-agent", "disable-internal-agent", No)
    ]
);
wspec!(
    INTERP,
    [
        ("c", "command", V),
        ("e", "eval", V),
        ("E", "eval", V),
        ("r", "run", V),
        ("m", "module", V),
        ("p", "print", V),
        ("eval", "eval", V),
        ("print", "print", V),
        ("i", "inplace", No),
        ("n", "loop", No),
        ("I", "include", P),
        ("u", "unbuffered", No),
        ("B", "no-bytecode", No),
        ("O", "optimize", No),
        ("W", "warnings", V),
        ("X", "option", V),
        ("w", "warnings", No),
        ("l", "line-ending", No),
        ("a", "autosplit", No),
        ("S", "no-site", No),
        ("q", "quiet", No),
    ]
);
wspec!(
    DOCKER_EXEC,
    [
        ("i", "interactive", No),
        ("interactive", "interactive", No),
        ("t", "tty", No),
        ("tty", "tty", No),
        ("d", "detach", No),
        ("detach", "detach", No),
        ("u", "user", V),
        ("user", "user", V),
        ("w", "workdir", V),
        ("workdir", "workdir", V),
        ("e", "env", V),
        ("env", "env", V),
        ("env-file", "env-file", P),
        ("privileged", "privileged", No),
        ("detach-keys", "detach-keys", V),
    ]
);
wspec!(
    COMPOSE,
    [
        ("f", "file", P),
        ("file", "file", P),
        ("p", "project-name", V),
        ("project-name", "project-name", V),
        ("profile", "profile", V),
        ("env-file", "env-file", P),
        ("project-directory", "project-directory", P),
        ("ansi", "ansi", V),
        ("parallel", "parallel", V),
        ("progress", "progress", V),
        ("context", "context", V),
        ("c", "context", V),
        ("H", "host", V),
        ("host", "host", V),
        ("compatibility", "compatibility", No),
        ("dry-run", "dry-run", No),
        ("all-resources", "all-resources", No),
        ("verbose", "verbose", No),
        ("no-ansi", "no-ansi", No),
    ]
);
wspec!(
    COMPOSE_EXEC,
    [
        ("d", "detach", No),
        ("detach", "detach", No),
        ("privileged", "privileged", No),
        ("u", "user", V),
        ("user", "user", V),
        ("T", "no-tty", No),
        ("no-TTY", "no-tty", No),
        ("no-tty", "no-tty", No),
        ("i", "interactive", No),
        ("interactive", "interactive", No),
        ("t", "tty", No),
        ("tty", "tty", No),
        ("index", "index", V),
        ("e", "env", V),
        ("env", "env", V),
        ("w", "workdir", V),
        ("workdir", "workdir", V),
        ("dry-run", "dry-run", No),
    ]
);
wspec!(
    COMPOSE_RUN,
    [
        ("d", "detach", No),
        ("detach", "detach", No),
        ("rm", "rm", No),
        ("name", "name", V),
        ("entrypoint", "entrypoint", V),
        ("e", "env", V),
        ("env", "env", V),
        ("env-from-file", "env-from-file", P),
        ("l", "label", V),
        ("label", "label", V),
        ("p", "publish", V),
        ("publish", "publish", V),
        ("v", "volume", V),
        ("volume", "volume", V),
        ("u", "user", V),
        ("user", "user", V),
        ("w", "workdir", V),
        ("workdir", "workdir", V),
        ("T", "no-tty", No),
        ("no-TTY", "no-tty", No),
        ("no-tty", "no-tty", No),
        ("i", "interactive", No),
        ("interactive", "interactive", No),
        ("t", "tty", No),
        ("tty", "tty", No),
        ("P", "service-ports", No),
        ("service-ports", "service-ports", No),
        ("no-deps", "no-deps", No),
        ("use-aliases", "use-aliases", No),
        ("build", "build", No),
        ("quiet-pull", "quiet-pull", No),
        ("remove-orphans", "remove-orphans", No),
        ("pull", "pull", V),
        ("cap-add", "cap-add", V),
        ("cap-drop", "cap-drop", V),
        ("dry-run", "dry-run", No),
    ]
);
wspec!(
    KUBECTL_EXEC,
    [
        ("i", "stdin", No),
        ("stdin", "stdin", No),
        ("t", "tty", No),
        ("tty", "tty", No),
        ("c", "container", V),
        ("container", "container", V),
        ("n", "namespace", V),
        ("namespace", "namespace", V),
        ("context", "context", V),
        ("kubeconfig", "kubeconfig", P),
        ("f", "filename", P),
        ("filename", "filename", P),
        ("q", "quiet", No),
        ("quiet", "quiet", No),
        ("pod-running-timeout", "pod-running-timeout", V),
        ("s", "server", V),
        ("server", "server", V),
        ("cluster", "cluster", V),
        ("user", "user", V),
        ("token", "token", V),
    ]
);

/// A set of program names: the list, and a membership test compiled to a `match` (a switch on
/// the length and a comparison or two, instead of a comparison per name in the list).
macro_rules! names {
    ($(#[$m:meta])* $name:ident, $test:ident, [$($word:literal),* $(,)?]) => {
        $(#[$m])*
        #[allow(dead_code, reason = "not every set is also needed as a list")]
        pub(crate) const $name: &[&str] = &[$($word),*];
        $(#[$m])*
        pub(crate) fn $test(program: &str) -> bool {
            matches!(program, $($word)|*)
        }
    };
}
pub(crate) use names;

names!(
    /// Shells: `-c` text and a script on stdin are shell code.
    SHELLS,
    is_shell,
    [
        "sh",
        "bash",
        "zsh",
        "dash",
        "ksh",
        "ash",
        "mksh",
        "fish",
        "rbash",
        "busybox-sh",
    ]
);
names!(
    /// Interpreters of other languages (besides `python3.x`/`python2.x`).
    INTERPRETERS,
    is_interpreter_name,
    [
        "python",
        "python2",
        "python3",
        "perl",
        "ruby",
        "node",
        "nodejs",
        "php",
        "lua",
        "tclsh",
        "Rscript",
        "deno",
        "bun",
        "pwsh",
        "osascript",
    ]
);
names!(
    /// Programs whose output is data from elsewhere or decoded from something unreadable.
    DECODERS,
    is_decoding,
    [
        "base64",
        "base32",
        "basenc",
        "xxd",
        "uudecode",
        "openssl",
        "gunzip",
        "gzip",
        "zcat",
        "bzcat",
        "bunzip2",
        "bzip2",
        "xz",
        "unxz",
        "xzcat",
        "zstd",
        "unzstd",
        "zstdcat",
        "rev",
        "tr",
        "gpg",
        "od",
        "hexdump",
        "perl",
        "python",
        "python3",
        "ruby",
        "node",
        "awk",
        "sed",
        "iconv",
        "unzip",
        "lz4",
        "brotli",
    ]
);
names!(
    /// Programs whose output is data from the network.
    DOWNLOADERS,
    is_downloader,
    [
        "curl",
        "wget",
        "fetch",
        "aria2c",
        "nc",
        "ncat",
        "netcat",
        "socat",
        "http",
        "https",
        "xh",
        "lwp-request",
        "GET",
        "ssh",
        "tftp",
        "ftp",
        "aws",
        "gsutil",
        "gcloud",
        "az",
        "dig",
        "nslookup",
        "host",
    ]
);

/// Whether a program's output counts as downloaded or decoded data.
pub(crate) fn is_decoder(program: &str) -> bool {
    is_decoding(program) || is_downloader(program)
}

fn rest_argv(args: &[Arg], from: Option<usize>) -> Vec<Arg> {
    rest_of(args, from).to_vec()
}

/// The arguments from `from` on (an index into the arguments, after the program's word),
/// moved out: `words`'s buffer itself, its leading words dropped, with no new allocation. The
/// wrapper's own `exec` action has already copied them.
fn take_rest(words: &mut Vec<Arg>, from: Option<usize>) -> Vec<Arg> {
    match from {
        Some(i) if i < words.len() => {
            words.drain(..=i);
            std::mem::take(words)
        }
        _ => vec![],
    }
}

/// The arguments from `from` on, borrowed (for wrappers that only read them).
fn rest_of(args: &[Arg], from: Option<usize>) -> &[Arg] {
    from.and_then(|i| args.get(i..)).unwrap_or_default()
}

fn argv(argv: Vec<Arg>, step: &str) -> Option<Inner> {
    if argv.is_empty() {
        return None;
    }
    Some(Inner::Argv {
        argv,
        step: Str::from(step),
        elevated: false,
        remote: None,
        keeps_stdin: true,
        env: vec![],
    })
}

/// [`argv`] with the environment assignments the wrapper passes.
fn argv_with_env(argv: Vec<Arg>, step: &str, env: Vec<Str>) -> Option<Inner> {
    let mut inner = self::argv(argv, step)?;
    if let Inner::Argv { env: slot, .. } = &mut inner {
        *slot = env;
    }
    Some(inner)
}

fn dynamic_code(arg: &Arg, what: &str) -> Inner {
    if arg.decoded {
        Inner::Opaque {
            cause: OpaqueCause::DecodedExec,
            reason: format!(
                "{what} runs code built from downloaded or decoded data (`{}`)",
                arg.text
            ),
        }
    } else {
        Inner::Opaque {
            cause: OpaqueCause::DynamicCode,
            reason: format!("{what} runs code only known at run time (`{}`)", arg.text),
        }
    }
}

fn joined(args: &[Arg]) -> Option<(String, [u32; 2], bool, bool)> {
    let first = args.first()?;
    let last = args.last()?;
    // The words joined by single spaces, built in one allocation.
    let mut text = String::with_capacity(args.iter().map(|a| a.text.len() + 1).sum());
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(&a.text);
    }
    let dynamic = args.iter().any(|a| a.dynamic);
    let decoded = args.iter().any(|a| a.decoded);
    Some((text, [first.span[0], last.span[1]], dynamic, decoded))
}

fn shell_text(args: &[Arg], step: &str, what: &str, remote: Option<String>) -> Option<Inner> {
    let (text, span, dynamic, decoded) = joined(args)?;
    if dynamic {
        let arg = Arg {
            text,
            span,
            dynamic,
            decoded,
        };
        return Some(dynamic_code(&arg, what));
    }
    Some(Inner::Shell {
        text,
        span,
        step: Str::from(step),
        elevated: false,
        remote,
        stdin: None,
    })
}

/// Wrappers whose [`unwrap`] moves the command's words out of `args` (and so must run after
/// the wrapper's own `exec` action has copied them).
pub(crate) fn moves_words(program: &str) -> bool {
    matches!(
        program,
        "sudo"
            | "doas"
            | "nohup"
            | "builtin"
            | "setsid"
            | "catchsegv"
            | "unbuffer"
            | "proxychains"
            | "proxychains4"
            | "torsocks"
            | "strace"
            | "ltrace"
            | "fakeroot"
            | "xargs"
    )
}

/// What the program `program` (basename) of `words` (the program's word, then its arguments)
/// runs, if it is a wrapper. Only the programs of [`moves_words`] take words out of `words`:
/// what they run is `words` itself with their own words drained from its front.
pub(crate) fn unwrap(
    program: &str,
    words: &mut Vec<Arg>,
    stdin: Option<&Stdin>,
    source: Source<'_>,
) -> Vec<Inner> {
    let one = |inner: Option<Inner>| inner.into_iter().collect::<Vec<_>>();
    let args: &[Arg] = words.get(1..).unwrap_or_default();
    match program {
        "sudo" | "doas" => {
            let c = classify(Some(if program == "sudo" { &SUDO } else { &DOAS }), args);
            if c.has("edit") || c.has("list") || c.has("validate") {
                return vec![];
            }
            let shell = c.has("shell") || c.has("login");
            let from = c.rest;
            drop(c);
            let mut rest = take_rest(words, from);
            let env = super::env::split_leading(&mut rest);
            if shell && rest.len() == 1 && rest.iter().any(|a| a.text.contains(' ')) {
                return one(shell_text(&rest, program, program, None).map(|i| elevate(i, true)));
            }
            one(argv_with_env(rest, program, env).map(|i| elevate(i, true)))
        }
        "pkexec" => {
            let c = classify(Some(&PKEXEC), args);
            one(argv(rest_argv(args, c.rest), program).map(|i| elevate(i, true)))
        }
        "su" | "runuser" => {
            let c = classify(Some(&SU_PERMUTED), args);
            let Some(command) = c.value("command") else {
                return vec![];
            };
            let span = args
                .iter()
                .find(|a| a.text == command)
                .map_or([0, 0], |a| a.span);
            let arg = args
                .iter()
                .find(|a| a.text == command)
                .cloned()
                .unwrap_or_else(|| Arg::literal(command, span));
            let step = format_compact!("{program} -c");
            one(shell_text(&[arg], &step, &step, None).map(|i| elevate(i, true)))
        }
        "env" => {
            let c = classify(Some(&ENV), args);
            let mut rest = rest_argv(args, c.rest);
            let env = super::env::split_leading(&mut rest);
            if let Some(split) = c.value("split-string") {
                let span = args
                    .iter()
                    .find(|a| a.text == split)
                    .map_or([0, 0], |a| a.span);
                let mut all = vec![Arg::literal(split, span)];
                all.extend(rest);
                return one(shell_text(&all, "env -S", "env -S", None));
            }
            one(argv_with_env(rest, program, env))
        }
        "nohup" | "builtin" | "setsid" | "catchsegv" | "unbuffer" | "proxychains"
        | "proxychains4" | "torsocks" | "strace" | "ltrace" | "fakeroot" => {
            let spec = if program == "setsid" { &SETSID } else { &PLAIN };
            let from = classify(Some(spec), args).rest;
            one(argv(take_rest(words, from), program))
        }
        "command" => {
            let c = classify(Some(&COMMAND), args);
            if c.has("describe") || c.has("describe-verbose") {
                return vec![];
            }
            one(argv(rest_argv(args, c.rest), program))
        }
        "exec" => one(argv(
            rest_argv(args, classify(Some(&EXEC), args).rest),
            program,
        )),
        // A detached session or a transient unit still runs the command (`screen -dmS x cmd`,
        // `systemd-run --unit x cmd`); screen's `-X`/`-Q`/`-r`/`-x` talk to a session instead.
        "screen" => {
            let c = classify(Some(&SCREEN), args);
            if ["command", "query", "reattach", "multi-attach"]
                .iter()
                .any(|f| c.has(f))
            {
                return vec![];
            }
            one(argv(rest_argv(args, c.rest), program))
        }
        "systemd-run" => one(argv(
            rest_argv(args, classify(Some(&SYSTEMD_RUN), args).rest),
            program,
        )),
        "nsenter" | "unshare" => one(argv(
            rest_argv(
                args,
                classify(
                    Some(if program == "nsenter" {
                        &NSENTER
                    } else {
                        &UNSHARE
                    }),
                    args,
                )
                .rest,
            ),
            program,
        )),
        "time" => one(argv(
            rest_argv(args, classify(Some(&TIME), args).rest),
            program,
        )),
        "stdbuf" => one(argv(
            rest_argv(args, classify(Some(&STDBUF), args).rest),
            program,
        )),
        "nice" => one(argv(
            rest_argv(args, classify(Some(&NICE), args).rest),
            program,
        )),
        "ionice" => {
            let c = classify(Some(&IONICE), args);
            if c.has("pid") || c.has("pgid") || c.has("uid") {
                return vec![];
            }
            one(argv(rest_argv(args, c.rest), program))
        }
        "timeout" | "chroot" => {
            let c = classify(
                Some(if program == "timeout" {
                    &TIMEOUT
                } else {
                    &CHROOT
                }),
                args,
            );
            one(argv(rest_argv(args, c.rest.map(|i| i + 1)), program))
        }
        "flock" => {
            let c = classify(Some(&FLOCK), args);
            if let Some(command) = c.value("command") {
                let arg = args
                    .iter()
                    .find(|a| a.text == command)
                    .cloned()
                    .unwrap_or_else(|| Arg::literal(command, [0, 0]));
                return one(shell_text(&[arg], "flock -c", "flock -c", None));
            }
            one(argv(rest_argv(args, c.rest.map(|i| i + 1)), program))
        }
        "busybox" | "toybox" => one(argv(args.to_vec(), program)),
        "watch" => {
            let c = classify(Some(&WATCH), args);
            let rest = rest_of(args, c.rest);
            if c.has("exec") {
                one(argv(rest.to_vec(), program))
            } else {
                one(shell_text(rest, "watch", "watch", None))
            }
        }
        "xargs" => {
            let from = classify(Some(&XARGS), args).rest;
            let end = args.last().map_or([0, 0], |a| a.span);
            let mut rest = take_rest(words, from);
            if rest.is_empty() {
                rest.push(Arg::literal("echo", end));
            }
            vec![Inner::Argv {
                argv: rest,
                step: "xargs".into(),
                elevated: false,
                remote: None,
                keeps_stdin: false,
                env: vec![],
            }]
        }
        "eval" => {
            if args.is_empty() {
                return vec![];
            }
            one(shell_text(args, "eval", "eval", None))
        }
        "ssh" => {
            let c = classify(Some(&super::argv::SSH), args);
            let rest = rest_of(args, c.rest);
            let Some((host_arg, command)) = rest.split_first() else {
                return vec![];
            };
            let host = super::net::ssh_host(&host_arg.text);
            // ssh reads options after the host too (`ssh host -t cmd`, `ssh host -p 22 -- cmd`):
            // the command starts at the first operand after them.
            let command = rest_of(command, classify(Some(&super::argv::SSH), command).rest);
            if command.is_empty() {
                return match stdin {
                    Some(Stdin::Here { text, span, .. }) => vec![Inner::Shell {
                        text: text.clone(),
                        span: *span,
                        step: "ssh <<".into(),
                        elevated: false,
                        remote: Some(host),
                        stdin: None,
                    }],
                    _ => vec![],
                };
            }
            one(shell_text(command, "ssh", "ssh", Some(host)))
        }
        "kubectl" | "oc" | "k" => kubectl_exec(program, args),
        "docker" | "podman" | "nerdctl" if args.first().is_some_and(|a| a.text == "compose") => {
            compose_exec(
                &format!("{program} compose"),
                args.get(1..).unwrap_or_default(),
            )
        }
        "docker-compose" | "podman-compose" => compose_exec(program, args),
        "docker" | "podman" | "nerdctl" => {
            if args.first().map(|a| a.text.as_str()) != Some("exec") {
                return vec![];
            }
            let tail = args.get(1..).unwrap_or_default();
            let c = classify(Some(&DOCKER_EXEC), tail);
            let rest = rest_of(tail, c.rest);
            let Some((container, command)) = rest.split_first() else {
                return vec![];
            };
            let env = container_env(c.all_values("env"));
            in_container(command.to_vec(), &format!("{program} exec"), container, env)
        }
        "find" => find_exec(args),
        "source" | "." => match args.first() {
            Some(a) if a.dynamic => vec![dynamic_code(a, program)],
            Some(a) if a.text == "/dev/stdin" || a.text == "-" => {
                from_stdin(program, stdin, true, source)
            }
            _ => vec![],
        },
        p if is_shell(p) => shell(program, args, stdin, source),
        p if is_interpreter(p) => interpreter(program, args, stdin, source),
        _ => vec![],
    }
}

/// The option table of a wrapper or interpreter, for its own `exec` action.
pub(crate) fn spec_for(program: &str) -> Option<&'static Spec> {
    Some(match program {
        "sudo" => &SUDO,
        "doas" => &DOAS,
        "env" => &ENV,
        "timeout" => &TIMEOUT,
        "nice" => &NICE,
        "ionice" => &IONICE,
        "stdbuf" => &STDBUF,
        "command" => &COMMAND,
        "exec" => &EXEC,
        "time" => &TIME,
        "setsid" => &SETSID,
        "chroot" => &CHROOT,
        "screen" => &SCREEN,
        "systemd-run" => &SYSTEMD_RUN,
        "nsenter" => &NSENTER,
        "unshare" => &UNSHARE,
        "flock" => &FLOCK,
        "watch" => &WATCH,
        "xargs" => &XARGS,
        "su" | "runuser" => &SU,
        "pkexec" => &PKEXEC,
        "nohup" | "builtin" => &PLAIN,
        p if is_shell(p) => &SHELL,
        p if is_interpreter(p) => &INTERP,
        _ => return None,
    })
}

fn is_interpreter(program: &str) -> bool {
    is_interpreter_name(program)
        || program.starts_with("python3.")
        || program.starts_with("python2.")
}

fn elevate(inner: Inner, on: bool) -> Inner {
    match inner {
        Inner::Argv {
            argv,
            step,
            remote,
            keeps_stdin,
            env,
            ..
        } => Inner::Argv {
            argv,
            step,
            elevated: on,
            remote,
            keeps_stdin,
            env,
        },
        Inner::Shell {
            text,
            span,
            step,
            remote,
            stdin,
            ..
        } => Inner::Shell {
            text,
            span,
            step,
            elevated: on,
            remote,
            stdin,
        },
        other => other,
    }
}

pub(crate) fn is_assignment(text: &str) -> bool {
    match text.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

fn shell(program: &str, args: &[Arg], stdin: Option<&Stdin>, source: Source<'_>) -> Vec<Inner> {
    let c = classify(Some(&SHELL), args);
    let rest = rest_of(args, c.rest);
    if c.has("command") {
        let Some(text) = rest.first() else {
            return vec![];
        };
        // `bash -c`, concatenated directly (this runs for every `sh -c`; `format!` costs more).
        let mut step = Str::from(program);
        step.push_str(" -c");
        if text.dynamic {
            return vec![dynamic_code(text, &step)];
        }
        return vec![Inner::Shell {
            text: text.text.clone(),
            span: text.span,
            step,
            elevated: false,
            remote: None,
            stdin: None,
        }];
    }
    match rest.first() {
        Some(script) if script.dynamic => vec![dynamic_code(script, program)],
        Some(script) if script.text != "-" && script.text != "/dev/stdin" => vec![],
        _ => from_stdin(program, stdin, true, source),
    }
}

fn interpreter(
    program: &str,
    args: &[Arg],
    stdin: Option<&Stdin>,
    source: Source<'_>,
) -> Vec<Inner> {
    let c = classify(Some(&INTERP), args);
    for (flag, spelled) in [
        ("command", "-c"),
        ("eval", "-e"),
        ("run", "-r"),
        ("print", "-p"),
    ] {
        let Some(code) = c.value(flag) else {
            if c.has(flag) {
                return vec![unanalysed(program)];
            }
            continue;
        };
        let Some(lang) = script::Lang::of_program(program) else {
            return vec![unanalysed(program)];
        };
        let Some(word) = args.iter().find(|a| contains(&a.text, code)) else {
            return vec![unanalysed(program)];
        };
        let step = format_compact!("{program} {spelled}");
        if word.dynamic {
            return vec![dynamic_code(word, &step)];
        }
        // Where the code starts in the text, when the word is a single-quoted literal slice.
        let offset = code.as_ptr() as usize - word.text.as_ptr() as usize;
        let base = source
            .slice(word.span)
            .and_then(|w| w.strip_prefix('\''))
            .and_then(|w| w.strip_suffix('\''))
            .filter(|inner| *inner == word.text)
            .map(|_| word.span[0] + 1 + u32::try_from(offset).unwrap_or(u32::MAX));
        let analysis = if flag == "print" {
            script::analyze_printed(lang, code)
        } else {
            script::analyze(lang, code)
        };
        return lifted(analysis, base, word.span, step);
    }
    if c.has("module") {
        return vec![];
    }
    match rest_of(args, c.rest).first() {
        Some(script) if script.dynamic => vec![dynamic_code(script, program)],
        Some(script) if script.text != "-" && script.text != "/dev/stdin" => vec![],
        _ => from_stdin(program, stdin, false, source),
    }
}

/// The text a walker is walking and the offset its spans carry (see [`Source::slice`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub text: &'a str,
    /// Added to every local offset (a line re-parsed on its own).
    pub base: u32,
}

impl<'a> Source<'a> {
    /// The text at `span` (in the walker's coordinates).
    fn slice(&self, span: [u32; 2]) -> Option<&'a str> {
        let start = span[0].checked_sub(self.base)? as usize;
        let end = span[1].checked_sub(self.base)? as usize;
        self.text.get(start..end)
    }
}

/// `part` is a slice of `whole` (a value the classifier borrowed from an argument).
fn contains(whole: &str, part: &str) -> bool {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    w <= p && p + part.len() <= w + whole.len()
}

fn unanalysed(program: &str) -> Inner {
    Inner::Opaque {
        cause: OpaqueCause::Unsupported,
        reason: format!("inline `{program}` code is not analysed"),
    }
}

/// Inline code's `analysis` (`script`): what it does lifted into the shell commands that do
/// the same. `base`: where the code starts in the walker's text when it is a literal slice of
/// it (each effect then gets its call's span), else every effect gets `whole`.
fn lifted(analysis: script::Analysis, base: Option<u32>, whole: [u32; 2], step: Str) -> Vec<Inner> {
    let mut out = Vec::with_capacity(analysis.effects.len() + 1);
    for effect in analysis.effects {
        let span = match base {
            Some(b) => [
                b.saturating_add(effect.span[0]),
                b.saturating_add(effect.span[1]),
            ],
            None => whole,
        };
        out.push(match effect.effect {
            script::Effect::Argv(words) => Inner::Argv {
                argv: words.iter().map(|w| Arg::literal(w, span)).collect(),
                step: step.clone(),
                elevated: false,
                remote: None,
                keeps_stdin: false,
                env: vec![],
            },
            script::Effect::Shell(text) => Inner::Shell {
                text,
                span,
                step: step.clone(),
                elevated: false,
                remote: None,
                stdin: None,
            },
        });
    }
    if let Some((reason, _)) = analysis.unknown {
        out.push(Inner::Opaque {
            cause: OpaqueCause::Unsupported,
            reason: format!("`{step}` {reason}"),
        });
    }
    out
}

/// An interpreter reading its program from stdin.
fn from_stdin(
    program: &str,
    stdin: Option<&Stdin>,
    is_shell: bool,
    source: Source<'_>,
) -> Vec<Inner> {
    match stdin {
        Some(Stdin::Here {
            text, span, step, ..
        }) if is_shell => vec![Inner::Shell {
            text: text.clone(),
            span: *span,
            step: format_compact!("{program} {step}"),
            elevated: false,
            remote: None,
            stdin: None,
        }],
        Some(Stdin::Here {
            text,
            span,
            step,
            dynamic,
        }) => match script::Lang::of_program(program) {
            Some(_) if *dynamic => vec![Inner::Opaque {
                cause: OpaqueCause::DynamicCode,
                reason: format!(
                    "`{program}` runs code from a here-document with parts only known at run time"
                ),
            }],
            Some(lang) => {
                let base = source
                    .slice(*span)
                    .filter(|t| t.starts_with(text.as_str()))
                    .map(|_| span[0]);
                lifted(
                    script::analyze(lang, text),
                    base,
                    *span,
                    format_compact!("{program} {step}"),
                )
            }
            None => vec![Inner::Opaque {
                cause: OpaqueCause::Unsupported,
                reason: format!("`{program}` code from a here-document is not analysed"),
            }],
        },
        Some(Stdin::Pipe { programs, data }) => match data {
            super::PipeData::Literal { text, span } if is_shell => vec![Inner::Shell {
                text: text.clone(),
                span: *span,
                step: format_compact!("| {program}"),
                elevated: false,
                remote: None,
                stdin: None,
            }],
            // `echo 'print(1)' | python3`: the code is known exactly.
            super::PipeData::Literal { text, span }
                if let Some(lang) = script::Lang::of_program(program) =>
            {
                lifted(
                    script::analyze(lang, text),
                    None,
                    *span,
                    format_compact!("| {program}"),
                )
            }
            super::PipeData::Decoded(source) => {
                // Concatenated directly: `curl … | sh` is common, and `format!` costs more.
                let mut reason = String::with_capacity(program.len() + source.len() + 40);
                reason.push('`');
                reason.push_str(program);
                reason.push_str("` runs data downloaded or decoded by `");
                reason.push_str(source);
                reason.push('`');
                vec![Inner::Opaque {
                    cause: OpaqueCause::DecodedExec,
                    reason,
                }]
            }
            _ => vec![Inner::Opaque {
                cause: OpaqueCause::DynamicCode,
                reason: format!(
                    "`{program}` runs code read from the output of `{}`",
                    programs.join(" | ")
                ),
            }],
        },
        Some(Stdin::File(_)) | None => vec![],
    }
}

/// `-e NAME=value` options of a container command, as environment entries (a bare `-e NAME`
/// passes the caller's value, which is not an assignment).
fn container_env<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Str> {
    values.filter(|v| is_assignment(v)).map(Str::from).collect()
}

/// `command` run inside `container` (reached through `step`).
fn in_container(command: Vec<Arg>, step: &str, container: &Arg, env: Vec<Str>) -> Vec<Inner> {
    match argv(command, step) {
        Some(Inner::Argv {
            argv,
            step,
            elevated,
            ..
        }) => vec![Inner::Argv {
            argv,
            step,
            elevated,
            remote: Some(container.text.clone()),
            keeps_stdin: true,
            env,
        }],
        _ => vec![],
    }
}

/// `docker compose exec|run SERVICE cmd…` (`tool` is `docker compose`, `docker-compose`, …;
/// `args` follow it): what runs in the service's container, like `docker exec`.
fn compose_exec(tool: &str, args: &[Arg]) -> Vec<Inner> {
    let global = classify(Some(&COMPOSE), args);
    let Some(at) = global.rest else {
        return vec![];
    };
    let Some(sub) = args.get(at).map(|a| a.text.as_str()) else {
        return vec![];
    };
    let spec = match sub {
        "exec" => &COMPOSE_EXEC,
        "run" => &COMPOSE_RUN,
        _ => return vec![],
    };
    let tail = args.get(at + 1..).unwrap_or_default();
    let c = classify(Some(spec), tail);
    let rest = rest_of(tail, c.rest);
    let Some((service, command)) = rest.split_first() else {
        return vec![];
    };
    let mut argv: Vec<Arg> = vec![];
    // `run --entrypoint sh app -c '…'`: the entrypoint is the program, the command its
    // arguments.
    if let Some(entrypoint) = c.value("entrypoint") {
        let span = tail
            .iter()
            .find(|a| a.text.ends_with(entrypoint))
            .map_or(service.span, |a| a.span);
        argv.extend(entrypoint.split_whitespace().map(|w| Arg::literal(w, span)));
    }
    argv.extend_from_slice(command);
    let env = container_env(c.all_values("env"));
    in_container(argv, &format!("{tool} {sub}"), service, env)
}

fn find_exec(args: &[Arg]) -> Vec<Inner> {
    let mut out = vec![];
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let step = match arg.text.as_str() {
            "-exec" | "-execdir" | "-ok" | "-okdir" => format!("find {}", arg.text),
            _ => continue,
        };
        let start = i;
        while let Some(a) = args.get(i) {
            if a.text == ";"
                || (a.text == "+" && i > start && args.get(i - 1).is_some_and(|p| p.text == "{}"))
            {
                break;
            }
            i += 1;
        }
        let command = args.get(start..i).map(<[Arg]>::to_vec).unwrap_or_default();
        i += 1;
        if let Some(inner) = argv(command, &step) {
            out.push(match inner {
                Inner::Argv {
                    argv,
                    step,
                    elevated,
                    remote,
                    env,
                    ..
                } => Inner::Argv {
                    argv,
                    step,
                    elevated,
                    remote,
                    keeps_stdin: false,
                    env,
                },
                other => other,
            });
        }
    }
    out
}

fn kubectl_exec(program: &str, args: &[Arg]) -> Vec<Inner> {
    let Some(pos) = kubectl_verb_position(args) else {
        return vec![];
    };
    if args.get(pos).map(|a| a.text.as_str()) != Some("exec") {
        return vec![];
    }
    let tail = args.get(pos + 1..).unwrap_or_default();
    let (before, command) = match tail.iter().position(|a| a.text == "--") {
        Some(dash) => (
            tail.get(..dash).unwrap_or_default(),
            tail.get(dash + 1..).unwrap_or_default(),
        ),
        None => {
            let c = classify(Some(&KUBECTL_EXEC), tail);
            match c.rest {
                Some(r) => (
                    tail.get(..=r).unwrap_or_default(),
                    tail.get(r + 1..).unwrap_or_default(),
                ),
                None => (tail, &[][..]),
            }
        }
    };
    let pod = {
        let mut c = classify(Some(&KUBECTL_EXEC), before);
        c.rest
            .or_else(|| c.operands.pop())
            .and_then(|i| before.get(i))
            .map(|a| a.text.clone())
            .unwrap_or_default()
    };
    if command.is_empty() {
        return vec![];
    }
    let step = format_compact!("{program} exec");
    vec![Inner::Argv {
        argv: command.to_vec(),
        step,
        elevated: false,
        remote: Some(pod),
        keeps_stdin: true,
        env: vec![],
    }]
}

/// Global kubectl flags that take a value (they may precede the verb).
pub(crate) const KUBECTL_GLOBALS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "-s",
    "--server",
    "--cluster",
    "--user",
    "--token",
    "--as",
    "--as-group",
    "--request-timeout",
    "-v",
    "--v",
    "--certificate-authority",
    "--client-certificate",
    "--client-key",
];

/// Index of kubectl's verb: the first word that is neither a flag nor a global flag's value.
pub(crate) fn kubectl_verb_position(args: &[Arg]) -> Option<usize> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if KUBECTL_GLOBALS.contains(&a.text.as_str()) {
            i += 2;
            continue;
        }
        if !a.text.starts_with('-') {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        /// The text of joined words is exactly `join(" ")` of them, spans and flags included.
        #[test]
        fn joined_words_match_join(
            words in proptest::collection::vec(("[a-z '\"é-]{0,6}", proptest::bool::ANY), 0..6)
        ) {
            let args: Vec<Arg> = words
                .iter()
                .enumerate()
                .map(|(i, (text, dynamic))| {
                    let at = u32::try_from(i * 10).unwrap_or(0);
                    Arg { text: text.clone(), span: [at, at + 5], dynamic: *dynamic, decoded: false }
                })
                .collect();
            let expected = (!args.is_empty()).then(|| {
                let text = words.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(" ");
                let span = [args[0].span[0], args[args.len() - 1].span[1]];
                (text, span, words.iter().any(|(_, d)| *d), false)
            });
            proptest::prop_assert_eq!(joined(&args), expected);
        }
    }
}
