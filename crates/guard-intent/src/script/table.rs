//! The calls guard understands in inline code: one table per language, keyed by qualified
//! name (`shutil.rmtree`, `fs.rmSync`). To teach guard a call, add a row. A name that is not
//! here stops the analysis (fail closed).
//!
//! A row ending in `.*` covers every name under it (only for modules that are pure
//! computation: `math.*`, `os.path.*`).

use super::Db;

/// What a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A module (it can be imported and its names looked up).
    Module,
    /// A harmless constant or attribute.
    Const,
    /// A function with no effect outside the process; returns harmless data.
    Inert,
    /// Returns the contents of the file named by the first argument (`fs.readFileSync`).
    ReadFile,
    /// The process environment object.
    Env,
    /// `os.remove(p)`: `rm p`, with these flags (`-r` for `shutil.rmtree`).
    Rm(&'static str),
    /// `os.rmdir(p)`: `rmdir p`.
    Rmdir,
    /// `os.mkdir(p)` / `os.makedirs(p)` (with `-p`).
    Mkdir(bool),
    /// The first argument is shell text (`os.system`, `child_process.execSync`).
    Shell,
    /// Python `subprocess.*`: a list is an argv, a string with `shell=True` is shell text.
    Subprocess,
    /// Node `child_process.spawn(cmd, [args], opts)` / `execFile`.
    Spawn,
    /// `chmod MODE p` (mode in octal) — `os.chmod(p, mode)`.
    Chmod,
    /// `chown UID:GID p` — `os.chown(p, uid, gid)`.
    Chown,
    /// `mv a b`.
    Move,
    /// `cp a b` (`-r` when true).
    Copy(bool),
    /// Python `open(p, mode)`.
    Open,
    /// Writes (or appends, when true) the file named by the first argument.
    Write(bool),
    /// `pathlib.Path(p)`.
    PathNew,
    /// Node `fs.rmSync(p, {recursive, force})`.
    JsRm,
    /// Node `fs.rmdirSync(p, {recursive})`.
    JsRmdir,
    /// Node `fs.mkdirSync(p, {recursive})`.
    JsMkdir,
    /// An HTTP request to the URL in the first argument with this method (`None`: the method
    /// comes from the arguments).
    Http(Option<&'static str>),
    /// Node `fetch(url, {method, body})`.
    Fetch,
    /// A TCP connection: Python `socket.create_connection((host, port))`.
    Connect,
    /// Node `net.connect(port, host)`.
    JsConnect,
    /// A database connection (`psycopg2.connect`, `new pg.Client`); SQLite's file is the
    /// first argument.
    Database(Db),
    /// Node `require(name)`.
    Require,
}

use Kind::*;

const PYTHON: &[(&str, Kind)] = &[
    // Builtins.
    ("print", Inert),
    ("len", Inert),
    ("str", Inert),
    ("int", Inert),
    ("float", Inert),
    ("bool", Inert),
    ("bytes", Inert),
    ("bytearray", Inert),
    ("list", Inert),
    ("dict", Inert),
    ("tuple", Inert),
    ("set", Inert),
    ("frozenset", Inert),
    ("sorted", Inert),
    ("reversed", Inert),
    ("enumerate", Inert),
    ("zip", Inert),
    ("range", Inert),
    ("min", Inert),
    ("max", Inert),
    ("sum", Inert),
    ("abs", Inert),
    ("round", Inert),
    ("any", Inert),
    ("all", Inert),
    ("map", Inert),
    ("filter", Inert),
    ("repr", Inert),
    ("format", Inert),
    ("isinstance", Inert),
    ("hasattr", Inert),
    ("hex", Inert),
    ("oct", Inert),
    ("bin", Inert),
    ("chr", Inert),
    ("ord", Inert),
    ("divmod", Inert),
    ("pow", Inert),
    ("hash", Inert),
    ("iter", Inert),
    ("next", Inert),
    ("input", Inert),
    ("exit", Inert),
    ("quit", Inert),
    ("open", Open),
    // sys
    ("sys", Module),
    ("sys.stdin", Const),
    ("sys.stdin.read", Inert),
    ("sys.stdin.readline", Inert),
    ("sys.stdin.readlines", Inert),
    ("sys.stdin.buffer", Const),
    ("sys.stdout", Const),
    ("sys.stdout.write", Inert),
    ("sys.stdout.flush", Inert),
    ("sys.stderr", Const),
    ("sys.stderr.write", Inert),
    ("sys.exit", Inert),
    ("sys.argv", Const),
    ("sys.version", Const),
    ("sys.version_info", Const),
    ("sys.platform", Const),
    ("sys.executable", Const),
    ("sys.maxsize", Const),
    ("sys.byteorder", Const),
    ("sys.getsizeof", Inert),
    ("sys.getrecursionlimit", Inert),
    ("sys.getdefaultencoding", Inert),
    ("sys.prefix", Const),
    ("sys.path", Const),
    // os
    ("os", Module),
    ("os.path", Module),
    ("os.path.*", Inert),
    ("os.getcwd", Inert),
    ("os.listdir", Inert),
    ("os.scandir", Inert),
    ("os.walk", Inert),
    ("os.stat", Inert),
    ("os.lstat", Inert),
    ("os.access", Inert),
    ("os.getpid", Inert),
    ("os.getppid", Inert),
    ("os.getuid", Inert),
    ("os.geteuid", Inert),
    ("os.getgid", Inert),
    ("os.getlogin", Inert),
    ("os.cpu_count", Inert),
    ("os.uname", Inert),
    ("os.getloadavg", Inert),
    ("os.get_terminal_size", Inert),
    ("os.readlink", Inert),
    ("os.fspath", Inert),
    ("os.sep", Const),
    ("os.linesep", Const),
    ("os.pathsep", Const),
    ("os.name", Const),
    ("os.curdir", Const),
    ("os.devnull", Const),
    ("os.F_OK", Const),
    ("os.R_OK", Const),
    ("os.W_OK", Const),
    ("os.X_OK", Const),
    ("os.getenv", Inert),
    ("os.environ", Env),
    ("os.remove", Rm("")),
    ("os.unlink", Rm("")),
    ("os.rmdir", Rmdir),
    ("os.mkdir", Mkdir(false)),
    ("os.makedirs", Mkdir(true)),
    ("os.system", Shell),
    ("os.popen", Shell),
    ("os.chmod", Chmod),
    ("os.chown", Chown),
    ("os.rename", Move),
    ("os.replace", Move),
    // shutil
    ("shutil", Module),
    ("shutil.rmtree", Rm("-r")),
    ("shutil.move", Move),
    ("shutil.copy", Copy(false)),
    ("shutil.copy2", Copy(false)),
    ("shutil.copyfile", Copy(false)),
    ("shutil.copytree", Copy(true)),
    ("shutil.chown", Chown),
    ("shutil.disk_usage", Inert),
    ("shutil.which", Inert),
    ("shutil.get_terminal_size", Inert),
    // subprocess
    ("subprocess", Module),
    ("subprocess.run", Subprocess),
    ("subprocess.call", Subprocess),
    ("subprocess.check_call", Subprocess),
    ("subprocess.check_output", Subprocess),
    ("subprocess.Popen", Subprocess),
    ("subprocess.getoutput", Shell),
    ("subprocess.getstatusoutput", Shell),
    ("subprocess.PIPE", Const),
    ("subprocess.DEVNULL", Const),
    ("subprocess.STDOUT", Const),
    ("subprocess.CalledProcessError", Const),
    ("subprocess.TimeoutExpired", Const),
    // pathlib
    ("pathlib", Module),
    ("pathlib.Path", PathNew),
    ("pathlib.PurePath", PathNew),
    ("pathlib.PosixPath", PathNew),
    // Network.
    ("urllib", Module),
    ("urllib.request", Module),
    ("urllib.request.urlopen", Http(None)),
    ("urllib.parse", Module),
    ("urllib.parse.*", Inert),
    ("requests", Module),
    ("requests.get", Http(Some("GET"))),
    ("requests.head", Http(Some("HEAD"))),
    ("requests.post", Http(Some("POST"))),
    ("requests.put", Http(Some("PUT"))),
    ("requests.patch", Http(Some("PATCH"))),
    ("requests.delete", Http(Some("DELETE"))),
    ("requests.request", Http(None)),
    ("socket", Module),
    ("socket.create_connection", Connect),
    ("socket.gethostname", Inert),
    ("socket.getfqdn", Inert),
    ("socket.gethostbyname", Inert),
    // Databases.
    ("psycopg2", Module),
    ("psycopg2.connect", Database(Db::Postgres)),
    ("psycopg", Module),
    ("psycopg.connect", Database(Db::Postgres)),
    ("pymysql", Module),
    ("pymysql.connect", Database(Db::Mysql)),
    ("MySQLdb", Module),
    ("MySQLdb.connect", Database(Db::Mysql)),
    ("sqlite3", Module),
    ("sqlite3.connect", Database(Db::Sqlite)),
    // Pure computation.
    ("json", Module),
    ("json.loads", Inert),
    ("json.load", Inert),
    ("json.dumps", Inert),
    ("json.dump", Inert),
    ("json.JSONDecodeError", Const),
    ("math", Module),
    ("math.*", Inert),
    ("time", Module),
    ("time.*", Inert),
    ("datetime", Module),
    ("datetime.*", Inert),
    ("re", Module),
    ("re.*", Inert),
    ("random", Module),
    ("random.*", Inert),
    ("string", Module),
    ("string.*", Inert),
    ("statistics", Module),
    ("statistics.*", Inert),
    ("itertools", Module),
    ("itertools.*", Inert),
    ("collections", Module),
    ("collections.*", Inert),
    ("hashlib", Module),
    ("hashlib.*", Inert),
    ("base64", Module),
    ("base64.*", Inert),
    ("binascii", Module),
    ("binascii.*", Inert),
    ("uuid", Module),
    ("uuid.*", Inert),
    ("decimal", Module),
    ("decimal.*", Inert),
    ("fractions", Module),
    ("fractions.*", Inert),
    ("textwrap", Module),
    ("textwrap.*", Inert),
    ("platform", Module),
    ("platform.*", Inert),
    ("calendar", Module),
    ("calendar.*", Inert),
    ("shlex", Module),
    ("shlex.*", Inert),
    ("ipaddress", Module),
    ("ipaddress.*", Inert),
    ("html", Module),
    ("html.*", Inert),
    ("pprint", Module),
    ("pprint.*", Inert),
    ("glob", Module),
    ("glob.glob", Inert),
    ("glob.iglob", Inert),
    ("fnmatch", Module),
    ("fnmatch.*", Inert),
    ("csv", Module),
    ("csv.*", Inert),
    ("struct", Module),
    ("struct.*", Inert),
    ("getpass", Module),
    ("getpass.getuser", Inert),
    ("locale", Module),
    ("locale.getpreferredencoding", Inert),
    ("tomllib", Module),
    ("tomllib.loads", Inert),
    ("tomllib.load", Inert),
    ("functools", Module),
    ("functools.reduce", Inert),
    ("io", Module),
    ("io.StringIO", Inert),
    ("io.BytesIO", Inert),
];

const JAVASCRIPT: &[(&str, Kind)] = &[
    ("require", Require),
    ("console", Module),
    ("console.log", Inert),
    ("console.error", Inert),
    ("console.warn", Inert),
    ("console.info", Inert),
    ("console.debug", Inert),
    ("console.dir", Inert),
    ("console.table", Inert),
    ("JSON", Module),
    ("JSON.parse", Inert),
    ("JSON.stringify", Inert),
    ("Math", Module),
    ("Math.*", Inert),
    ("Object", Module),
    ("Object.keys", Inert),
    ("Object.values", Inert),
    ("Object.entries", Inert),
    ("Object.fromEntries", Inert),
    ("Array", Inert),
    ("Array.isArray", Inert),
    ("Array.from", Inert),
    ("Array.of", Inert),
    ("Number", Inert),
    ("Number.isInteger", Inert),
    ("Number.isFinite", Inert),
    ("Number.parseFloat", Inert),
    ("Number.parseInt", Inert),
    ("String", Inert),
    ("Boolean", Inert),
    ("Date", Inert),
    ("Date.now", Inert),
    ("Date.parse", Inert),
    ("Map", Inert),
    ("Set", Inert),
    ("RegExp", Inert),
    ("Error", Inert),
    ("URL", Inert),
    ("URLSearchParams", Inert),
    ("TextEncoder", Inert),
    ("TextDecoder", Inert),
    ("Promise", Inert),
    ("Promise.all", Inert),
    ("Promise.resolve", Inert),
    ("parseInt", Inert),
    ("parseFloat", Inert),
    ("isNaN", Inert),
    ("encodeURIComponent", Inert),
    ("decodeURIComponent", Inert),
    ("encodeURI", Inert),
    ("decodeURI", Inert),
    ("setTimeout", Inert),
    ("Buffer", Module),
    ("Buffer.from", Inert),
    ("Buffer.concat", Inert),
    ("Buffer.alloc", Inert),
    ("Buffer.byteLength", Inert),
    ("undefined", Const),
    ("NaN", Const),
    ("Infinity", Const),
    ("process", Module),
    ("process.versions", Const),
    ("process.version", Const),
    ("process.platform", Const),
    ("process.arch", Const),
    ("process.argv", Const),
    ("process.pid", Const),
    ("process.execPath", Const),
    ("process.exitCode", Const),
    ("process.stdin", Const),
    ("process.stdout", Const),
    ("process.stderr", Const),
    ("process.stdout.write", Inert),
    ("process.stderr.write", Inert),
    ("process.cwd", Inert),
    ("process.uptime", Inert),
    ("process.memoryUsage", Inert),
    ("process.hrtime", Inert),
    ("process.exit", Inert),
    ("process.env", Env),
    // fs
    ("fs", Module),
    ("fs.readFileSync", ReadFile),
    ("fs.readFile", ReadFile),
    ("fs.readdirSync", Inert),
    ("fs.readdir", Inert),
    ("fs.existsSync", Inert),
    ("fs.statSync", Inert),
    ("fs.lstatSync", Inert),
    ("fs.stat", Inert),
    ("fs.realpathSync", Inert),
    ("fs.accessSync", Inert),
    ("fs.rmSync", JsRm),
    ("fs.rm", JsRm),
    ("fs.unlinkSync", Rm("")),
    ("fs.unlink", Rm("")),
    ("fs.rmdirSync", JsRmdir),
    ("fs.rmdir", JsRmdir),
    ("fs.mkdirSync", JsMkdir),
    ("fs.mkdir", JsMkdir),
    ("fs.writeFileSync", Write(false)),
    ("fs.writeFile", Write(false)),
    ("fs.appendFileSync", Write(true)),
    ("fs.appendFile", Write(true)),
    ("fs.chmodSync", Chmod),
    ("fs.chmod", Chmod),
    ("fs.chownSync", Chown),
    ("fs.chown", Chown),
    ("fs.renameSync", Move),
    ("fs.rename", Move),
    ("fs.copyFileSync", Copy(false)),
    ("fs.copyFile", Copy(false)),
    ("fs.promises", Module),
    ("fs.promises.readFile", ReadFile),
    ("fs.promises.readdir", Inert),
    ("fs.promises.rm", JsRm),
    ("fs.promises.unlink", Rm("")),
    ("fs.promises.writeFile", Write(false)),
    ("fs.promises.appendFile", Write(true)),
    ("fs/promises", Module),
    ("fs/promises.readFile", ReadFile),
    ("fs/promises.readdir", Inert),
    ("fs/promises.rm", JsRm),
    ("fs/promises.unlink", Rm("")),
    ("fs/promises.writeFile", Write(false)),
    ("fs/promises.appendFile", Write(true)),
    // child_process
    ("child_process", Module),
    ("child_process.exec", Shell),
    ("child_process.execSync", Shell),
    ("child_process.spawn", Spawn),
    ("child_process.spawnSync", Spawn),
    ("child_process.execFile", Spawn),
    ("child_process.execFileSync", Spawn),
    // Pure computation.
    ("path", Module),
    ("path.*", Inert),
    ("os", Module),
    ("os.hostname", Inert),
    ("os.platform", Inert),
    ("os.type", Inert),
    ("os.release", Inert),
    ("os.arch", Inert),
    ("os.cpus", Inert),
    ("os.totalmem", Inert),
    ("os.freemem", Inert),
    ("os.homedir", Inert),
    ("os.tmpdir", Inert),
    ("os.uptime", Inert),
    ("os.loadavg", Inert),
    ("os.userInfo", Inert),
    ("os.networkInterfaces", Inert),
    ("os.EOL", Const),
    ("util", Module),
    ("util.inspect", Inert),
    ("util.format", Inert),
    ("util.isDeepStrictEqual", Inert),
    ("crypto", Module),
    ("crypto.randomUUID", Inert),
    ("crypto.randomBytes", Inert),
    ("crypto.createHash", Inert),
    ("url", Module),
    ("url.*", Inert),
    ("querystring", Module),
    ("querystring.*", Inert),
    // Network.
    ("fetch", Fetch),
    ("https", Module),
    ("https.get", Http(Some("GET"))),
    ("http", Module),
    ("http.get", Http(Some("GET"))),
    ("net", Module),
    ("net.connect", JsConnect),
    ("net.createConnection", JsConnect),
    // Databases.
    ("pg", Module),
    ("pg.Client", Database(Db::Postgres)),
    ("pg.Pool", Database(Db::Postgres)),
    ("mysql", Module),
    ("mysql.createConnection", Database(Db::Mysql)),
    ("mysql2", Module),
    ("mysql2.createConnection", Database(Db::Mysql)),
    ("better-sqlite3", Database(Db::Sqlite)),
];

/// What `name` is in `table`, if guard knows it.
fn find(table: &[(&str, Kind)], name: &str) -> Option<Kind> {
    if let Some((_, k)) = table.iter().find(|(n, _)| *n == name) {
        return Some(*k);
    }
    // `math.*`: any name under a pure module (not the module itself, which has its own row).
    table.iter().find_map(|(n, k)| {
        let prefix = n.strip_suffix(".*")?;
        let rest = name.strip_prefix(prefix)?.strip_prefix('.')?;
        (!rest.is_empty() && !rest.split('.').any(|part| part.starts_with('_'))).then_some(*k)
    })
}

pub(crate) fn python(name: &str) -> Option<Kind> {
    find(PYTHON, name)
}

pub(crate) fn javascript(name: &str) -> Option<Kind> {
    find(JAVASCRIPT, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_names_under_a_pure_module_only() {
        assert_eq!(python("math.sqrt"), Some(Inert));
        assert_eq!(python("math"), Some(Module));
        assert_eq!(python("os.path.join"), Some(Inert));
        assert_eq!(python("os.system"), Some(Shell));
        assert_eq!(python("os.execv"), None);
        assert_eq!(python("mathx.sqrt"), None);
        assert_eq!(python("math.__loader__"), None);
        assert_eq!(javascript("fs.rmSync"), Some(JsRm));
        assert_eq!(javascript("vm.runInNewContext"), None);
    }

    #[test]
    fn names_are_unique() {
        for table in [PYTHON, JAVASCRIPT] {
            let mut names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            names.sort_unstable();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len());
        }
    }
}
