//! Network destinations (`hosts`) and the local files sent to them (`sends`) for programs that
//! talk to the network: URLs of `curl`/`wget`, `nc host port < f`, `scp f host:`, `rsync`,
//! `ssh host < f`, `openssl s_client -connect`, `socat` addresses, `/dev/tcp/…` redirections,
//! and names looked up by `dig`/`nslookup`/`host` (DNS exfiltration puts data in the name).
//!
//! `-` in `sends` means the program's stdin (a pipe or an input redirection) is sent.

use guard_model::{List, Str};

use super::argv::{Arg, Classified};

/// What one program sends where.
#[derive(Debug, Default)]
pub(crate) struct Net {
    /// Distinct and non-empty (only [`Net::host`] and [`Net::host_owned`] add to it), so the
    /// `exec` action can take it as it is.
    pub hosts: List,
    pub sends: List,
}

impl Net {
    fn host(&mut self, host: &str) {
        let host = host.trim();
        if !host.is_empty() && !self.hosts.iter().any(|h| h == host) {
            self.hosts.push(Str::from(host));
        }
    }

    /// [`Net::host`] of a name already owned (as the URL parsers return it): kept as is
    /// unless it needs trimming, not copied again.
    fn host_owned<S: AsRef<str> + Into<Str>>(&mut self, host: S) {
        let name = host.as_ref();
        if name.trim().len() != name.len() {
            return self.host(name);
        }
        if !name.is_empty() && !self.hosts.iter().any(|h| h == name) {
            self.hosts.push(host.into());
        }
    }

    fn send(&mut self, file: &str) {
        if !file.is_empty() && !self.sends.iter().any(|f| f == file) {
            self.sends.push(Str::from(file));
        }
    }
}

/// The host of a URL or `host[:port]` (`https://user@api.example.com:8443/x` → `api.example.com`).
/// Every delimiter is ASCII, so the text is cut by byte positions.
pub(crate) fn url_host(text: &str) -> Option<String> {
    url_host_raw(text).map(str::to_ascii_lowercase)
}

/// [`url_host`] as a [`Str`]: a host of up to 24 bytes is lowercased inline, without an
/// allocation.
fn url_host_str(text: &str) -> Option<Str> {
    url_host_raw(text).map(|host| {
        let mut host = Str::from(host);
        host.make_ascii_lowercase();
        host
    })
}

/// The host of a URL as written (not lowercased); see [`url_host`].
fn url_host_raw(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let rest = match bytes.windows(3).position(|w| w == b"://") {
        Some(at) => {
            let scheme = bytes.get(..at)?;
            if scheme.is_empty()
                || !scheme
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
            {
                return None;
            }
            text.get(at + 3..)?
        }
        None => text,
    };
    let end = rest
        .bytes()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let authority = match authority.bytes().rposition(|c| c == b'@') {
        Some(at) => authority.get(at + 1..)?,
        None => authority,
    };
    let (body, stop) = match authority.strip_prefix('[') {
        Some(v6) => (v6, b']'),
        None => (authority, b':'),
    };
    let host = body.get(..body.bytes().position(|c| c == stop).unwrap_or(body.len()))?;
    if host.is_empty() || host.bytes().any(|c| matches!(c, b'$' | b'`' | b' ')) {
        return None;
    }
    Some(host)
}

/// The host of an ssh destination (`user@host`, `ssh://user@host:22`).
pub(crate) fn ssh_host(text: &str) -> String {
    if has_scheme_separator(text) {
        return url_host(text).unwrap_or_else(|| text.to_string());
    }
    let host = text.rsplit_once('@').map_or(text, |(_, h)| h);
    host.to_ascii_lowercase()
}

/// Whether `text` holds `://` (a byte scan: a substring search costs more on these short words).
fn has_scheme_separator(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| matches!(w, [b':', b'/', b'/']))
}

/// The host of an scp/rsync operand that names a remote (`host:path`, `user@host:path`,
/// `host::module`, `rsync://host/…`), else `None` for a local path.
pub(crate) fn remote_operand(text: &str) -> Option<String> {
    if text.starts_with("rsync://") || text.starts_with("scp://") || text.starts_with("sftp://") {
        return url_host(text);
    }
    // The separating `:` is outside any `${…}` / `$(…)`: in `${x:-y}:/p` the host is the
    // unresolved `${x:-y}`, not `${x`.
    let before = text.get(..host_colon(text)?)?;
    if before.is_empty() || before.contains('/') {
        return None;
    }
    Some(ssh_host(before))
}

/// The byte position of the first `:` not inside a `${…}` or `$(…)` expansion or backquotes.
fn host_colon(text: &str) -> Option<usize> {
    outside_expansions(text, |b| b == b':')
}

/// The byte position of the first byte matching `stop` that is not inside a `${…}` or `$(…)`
/// expansion or backquotes.
fn outside_expansions(text: &str, stop: impl Fn(u8) -> bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut backquoted = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'$' if matches!(bytes.get(i + 1), Some(b'{' | b'(')) => {
                depth += 1;
                i += 1;
            }
            b'{' | b'(' if depth > 0 => depth += 1,
            b'}' | b')' if depth > 0 => depth -= 1,
            b'`' => backquoted = !backquoted,
            _ if depth == 0 && !backquoted && stop(b) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// [`url_host`], or, when the host is built from an unresolved expansion (`curl $URL`,
/// `https://${H:-x}/up`), that part as written: an unknown host, as `nc $H` records `$H`,
/// rather than no host at all.
pub(crate) fn url_host_or_unresolved(text: &str) -> Option<Str> {
    if let Some(host) = url_host_str(text) {
        return Some(host);
    }
    if !text.contains(['$', '`']) {
        return None;
    }
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let end = outside_expansions(rest, |b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let host = match outside_expansions(authority, |b| b == b'@') {
        Some(at) => authority.get(at + 1..)?,
        None => authority,
    };
    (!host.is_empty() && host.contains(['$', '`'])).then(|| Str::from(host))
}

/// `/dev/tcp/host/port` or `/dev/udp/host/port` → host.
pub(crate) fn dev_tcp_host(path: &str) -> Option<String> {
    let rest = path
        .strip_prefix("/dev/tcp/")
        .or_else(|| path.strip_prefix("/dev/udp/"))?;
    let host = rest.split('/').next().unwrap_or("");
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Subcommands of the object-store CLIs that copy their sources to their last operand.
fn is_object_copy_verb(word: &str) -> bool {
    matches!(
        word,
        "cp" | "copy" | "copyto" | "mv" | "move" | "moveto" | "sync" | "rsync" | "put" | "mirror"
    )
}

/// A bucket or remote location rather than a local path: `gs://b/x`, `s3://b`,
/// `https://acct.blob.core.windows.net/c`, rclone's `remote:path` (the same test as
/// `exfil.object_store_cli_upload`'s).
fn is_object_location(word: &str) -> bool {
    word.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    })
}

/// Hosts and sends of one invocation. `stdin_is_data`: stdin is a pipe or input redirection.
pub(crate) fn analyze<'a>(
    program: &str,
    args: &'a [Arg],
    c: &Classified<'a>,
    stdin_reads: &[Str],
    piped: bool,
) -> Net {
    let mut net = Net::default();
    let operand = |i: &usize| args.get(*i).map(|a| a.text.as_str()).unwrap_or("");
    // The operands' texts, walked again per use rather than collected.
    let ops = || c.operands.iter().map(operand);
    // A program that reads its stdin implicitly sends what is redirected or piped into it.
    let stdin_sent = |net: &mut Net| {
        for f in stdin_reads {
            net.send(f);
        }
        if piped {
            net.send("-");
        }
    };
    // An explicit `@-` / `-T -` sends stdin whatever feeds it.
    let explicit_stdin = |net: &mut Net| {
        for f in stdin_reads {
            net.send(f);
        }
        net.send("-");
    };
    match program {
        "curl" => {
            for u in ops().chain(c.all_values("url")) {
                if let Some(h) = url_host_or_unresolved(u) {
                    net.host_owned(h);
                }
            }
            for flag in ["data", "data-binary", "data-urlencode", "json"] {
                for v in c.all_values(flag) {
                    // `name@file` (urlencode) and `@file` read a file; `@-` reads stdin.
                    if let Some((_, file)) = v.split_once('@') {
                        if file == "-" {
                            explicit_stdin(&mut net);
                        } else if !v.starts_with('@') && flag != "data-urlencode" {
                            // `-d a@b` sends the literal text, not a file.
                        } else {
                            net.send(file);
                        }
                    }
                }
            }
            for flag in ["form"] {
                for v in c.all_values(flag) {
                    if let Some((_, val)) = v.split_once('=')
                        && let Some(file) = val.strip_prefix('@').or_else(|| val.strip_prefix('<'))
                    {
                        let file = file.split(';').next().unwrap_or(file);
                        if file == "-" {
                            explicit_stdin(&mut net)
                        } else {
                            net.send(file)
                        }
                    }
                }
            }
            for v in c.all_values("upload-file") {
                if v == "-" || v == "." {
                    explicit_stdin(&mut net)
                } else {
                    net.send(v)
                }
            }
        }
        "wget" => {
            for u in ops() {
                if let Some(h) = url_host_or_unresolved(u) {
                    net.host_owned(h);
                }
            }
            for flag in ["post-file", "body-file"] {
                for v in c.all_values(flag) {
                    if v == "-" {
                        explicit_stdin(&mut net)
                    } else {
                        net.send(v)
                    }
                }
            }
        }
        "nc" | "ncat" | "netcat" | "telnet" => {
            if !c.has("l")
                && !c.has("listen")
                && let Some(h) = ops().next()
            {
                net.host(h);
                stdin_sent(&mut net);
            }
        }
        "ssh" | "sftp" | "mosh" => {
            let host = c.rest.and_then(|i| args.get(i)).map(|a| ssh_host(&a.text));
            if let Some(h) = host.or_else(|| ops().next().map(ssh_host)) {
                net.host_owned(h);
                stdin_sent(&mut net);
            }
        }
        "scp" | "rsync" => {
            let operands: Vec<&str> = ops().collect();
            let remotes: Vec<Option<String>> = operands.iter().map(|o| remote_operand(o)).collect();
            for h in remotes.iter().flatten() {
                net.host(h);
            }
            // An upload: the last operand is remote; every local operand before it is sent,
            // and so is a source on another host (`scp db:/x.dump backup@203.0.113.9:/in/`
            // copies from one remote to the other: the data still leaves for the destination).
            if let Some(Some(dest)) = remotes.last() {
                for (o, r) in operands
                    .iter()
                    .zip(&remotes)
                    .take(operands.len().saturating_sub(1))
                {
                    if r.as_ref().is_none_or(|h| h != dest) {
                        net.send(o);
                    }
                }
            }
        }
        // Object-store copiers: the subcommand, then sources, the destination last. An upload
        // (a remote destination) sends every local source; a download sends nothing.
        "gsutil" | "s3cmd" | "rclone" | "azcopy" | "mc" | "s5cmd" => {
            let mut words = ops();
            if words.next().is_some_and(is_object_copy_verb) {
                let rest: Vec<&str> = words.collect();
                if let Some((dest, sources)) = rest.split_last()
                    && is_object_location(dest)
                {
                    for s in sources {
                        if *s == "-" {
                            explicit_stdin(&mut net);
                        } else if !is_object_location(s) {
                            net.send(s);
                        }
                    }
                }
            }
        }
        "openssl" => {
            if ops().next() == Some("s_client") {
                let mut it = args.iter();
                while let Some(a) = it.next() {
                    if a.text == "-connect" {
                        if let Some(v) = it.next() {
                            net.host_owned(url_host(&v.text).unwrap_or_else(|| v.text.clone()));
                        }
                    } else if let Some(v) = a.text.strip_prefix("-connect=") {
                        net.host_owned(url_host(v).unwrap_or_else(|| v.to_string()));
                    }
                }
                stdin_sent(&mut net);
            }
        }
        "socat" => {
            let mut network = false;
            let mut files = vec![];
            for o in ops() {
                let (kind, rest) = o.split_once(':').unwrap_or((o, ""));
                let kind = kind.to_ascii_uppercase();
                if [
                    "TCP", "TCP4", "TCP6", "UDP", "UDP4", "UDP6", "OPENSSL", "SSL", "SCTP", "DCCP",
                    "PROXY", "SOCKS4", "SOCKS4A", "SOCKS5",
                ]
                .contains(&kind.as_str())
                {
                    network = true;
                    if let Some(h) = rest.split([':', ',']).next().filter(|h| !h.is_empty()) {
                        net.host_owned(h.to_ascii_lowercase());
                    }
                } else if ["FILE", "OPEN", "GOPEN", "CREATE"].contains(&kind.as_str()) {
                    files.push(rest.split(',').next().unwrap_or(rest).to_string());
                } else if o == "-" || kind == "STDIN" || kind == "STDIO" {
                    files.push("-".into());
                }
            }
            if network {
                for f in files {
                    if f == "-" {
                        stdin_sent(&mut net)
                    } else {
                        net.send(&f)
                    }
                }
            }
        }
        "dig" | "nslookup" | "host" | "drill" | "ping" | "ping6" | "traceroute" | "mtr"
        | "whois" => {
            for o in ops() {
                if let Some(server) = o.strip_prefix('@') {
                    net.host(server);
                } else if !o.is_empty() {
                    net.host_owned(o.to_ascii_lowercase());
                }
            }
        }
        "ftp" | "tftp" | "lftp" => {
            if let Some(h) = ops().next().and_then(url_host_or_unresolved) {
                net.host_owned(h);
                stdin_sent(&mut net);
            }
        }
        "git" => {}
        _ => {
            // Any program given a network URL operand talks to that host (`http`, `xh`).
            const SCHEMES: &[&str] = &[
                "http://",
                "https://",
                "ftp://",
                "ftps://",
                "ws://",
                "wss://",
                "tcp://",
                "udp://",
                "ssh://",
                "sftp://",
                "scp://",
                "rsync://",
                "telnet://",
                "ldap://",
                "smb://",
                "gopher://",
                "dict://",
            ];
            // Every scheme ends in `://`: an operand without it is no URL.
            for o in ops().filter(|o| super::argv::has_scheme(o)) {
                // Case-insensitive prefix test without lowercasing a copy per scheme.
                if SCHEMES.iter().any(|s| {
                    o.as_bytes()
                        .get(..s.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(s.as_bytes()))
                }) && let Some(h) = url_host_or_unresolved(o)
                {
                    net.host_owned(h);
                }
            }
        }
    }
    net
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hosts of the one `exec` action of `command`.
    fn exec_hosts(command: &str) -> Vec<String> {
        let actions = crate::shell::analyze(command, &crate::Origin::top());
        let hosts = actions.iter().find_map(|a| match &a.detail {
            guard_model::ActionDetail::Exec(e) => Some(&e.hosts),
            _ => None,
        });
        hosts
            .map(|h| h.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }

    /// An `exec` action takes the program's own hosts without deduplicating them again when no
    /// redirection adds one: they must already be distinct, non-empty and in order.
    #[test]
    fn hosts_taken_as_they_are_are_distinct() {
        assert_eq!(
            exec_hosts("curl http://A.example/x https://a.example/y http://b.example"),
            ["a.example", "b.example"]
        );
        assert_eq!(
            exec_hosts("wget ftp://h.example/f ftp://h.example/g"),
            ["h.example"]
        );
        assert_eq!(
            exec_hosts("nslookup x.example @ns.example x.example"),
            ["x.example", "ns.example"]
        );
        // A redirection's host first, then the program's, each once.
        assert_eq!(
            exec_hosts("curl http://h.example/a http://g.example > /dev/tcp/h.example/80"),
            ["h.example", "g.example"]
        );
        // A long host (heap-allocated as a `Str`) is lowercased like a short one.
        assert_eq!(
            exec_hosts("curl https://A-VERY-LONG-HOST-NAME.EXAMPLE.COM/x"),
            ["a-very-long-host-name.example.com"]
        );
    }

    #[test]
    fn unresolved_url_hosts_are_kept_as_written() {
        assert_eq!(url_host_or_unresolved("$URL").as_deref(), Some("$URL"));
        assert_eq!(
            url_host_or_unresolved("https://${H:-x}/up?a=1").as_deref(),
            Some("${H:-x}")
        );
        assert_eq!(
            url_host_or_unresolved("https://u@$(h)/p").as_deref(),
            Some("$(h)")
        );
        assert_eq!(
            url_host_or_unresolved("https://api.example.com/$ID").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(url_host_or_unresolved("https:///p"), None);
    }

    #[test]
    fn object_locations_are_buckets_and_remotes_not_paths() {
        for remote in [
            "gs://b/x",
            "s3://b",
            "remote-evil:loot",
            "https://a.blob.core.windows.net/c",
        ] {
            assert!(is_object_location(remote), "{remote}");
        }
        for local in ["./x", "/backups/db.sql", "dump.sql", "-", ":x", "a/b:c"] {
            assert!(!is_object_location(local), "{local}");
        }
    }

    #[test]
    fn remote_operand_host_is_outside_expansions() {
        assert_eq!(remote_operand("${x:-y}:/path").as_deref(), Some("${x:-y}"));
        assert_eq!(remote_operand("u@$(h):/p").as_deref(), Some("$(h)"));
        assert_eq!(remote_operand("`h`:/p").as_deref(), Some("`h`"));
        assert_eq!(
            remote_operand("bob@Host.example:/tmp/").as_deref(),
            Some("host.example")
        );
        assert_eq!(remote_operand("./a:b"), None);
        assert_eq!(remote_operand("${x:-/a}"), None);
    }

    /// `url_host` as first written, to compare the byte-cutting one with.
    fn url_host_reference(text: &str) -> Option<String> {
        let rest = match text.split_once("://") {
            Some((scheme, rest))
                if !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.') =>
            {
                rest
            }
            Some(_) => return None,
            None => text,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            authority.split(':').next().unwrap_or("")
        };
        if host.is_empty() || host.contains(['$', '`', ' ']) {
            return None;
        }
        Some(host.to_ascii_lowercase())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4000))]
        #[test]
        fn url_hosts_agree_with_the_reference(
            text in "(https?|s3|a\\+b|x y|)(://)?([a-zA-Z0-9.:@\\[\\]/?#$` é-]|://){0,16}"
        ) {
            proptest::prop_assert_eq!(url_host(&text), url_host_reference(&text));
        }
    }

    #[test]
    fn hosts_from_urls_and_destinations() {
        assert_eq!(
            url_host("https://user@API.example.com:8443/x?y").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(url_host("example.com/path").as_deref(), Some("example.com"));
        assert_eq!(url_host("http://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(ssh_host("root@db.internal"), "db.internal");
        for text in [
            "", ":", "://", "a://b", "ssh://h", "a:/b", "a//b", "x:", "h://", "é://ü",
        ] {
            assert_eq!(has_scheme_separator(text), text.contains("://"), "{text}");
        }
        assert_eq!(remote_operand("user@h:/tmp/x").as_deref(), Some("h"));
        assert_eq!(remote_operand("./local:file"), None);
        assert_eq!(
            dev_tcp_host("/dev/tcp/10.0.0.1/4444").as_deref(),
            Some("10.0.0.1")
        );
    }
}
