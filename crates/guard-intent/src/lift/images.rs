//! Container images a command runs or pulls, for `exec.images`: `docker|podman|nerdctl
//! [container|image] run|create|pull`, `kubectl run|create|debug --image`, `kubectl set image
//! … c=IMAGE`, `crictl pull`, `ctr image pull` and `ctr run`, and the images a Helm release
//! is told to run (`helm install|upgrade … --set image.repository=X`).
//!
//! An image is recorded as written (an unresolved `$IMG` stays `$IMG`, so a policy can tell it
//! is unknown); only a `docker://` transport prefix is dropped. The image of `docker run` is
//! its first operand after the subcommand's options, so which options take a value matters:
//! an option this table does not know leaves the position ambiguous, and then both candidates
//! (the next word and the one after) are listed rather than guessing.

use guard_model::{List, Str};

use super::k8s::KUBECTL;
use crate::shell::{Arg, classify};

/// The images `program` run with `args` runs or pulls; empty (and unallocated) for other
/// programs.
pub(crate) fn images(program: &str, args: &[Arg]) -> List {
    match program {
        "docker" | "podman" | "nerdctl" => docker(args),
        "kubectl" | "oc" | "k" => kubectl(args),
        "crictl" => crictl(args),
        "ctr" => ctr(args),
        "helm" => helm(args),
        _ => List::new(),
    }
}

/// Drops a `docker://` transport prefix (`podman run docker://quay.io/x`).
fn image(text: &str) -> Str {
    Str::from(text.strip_prefix("docker://").unwrap_or(text))
}

fn push(list: &mut List, text: &str) {
    let item = image(text);
    if !item.is_empty() && !list.contains(&item) {
        list.push(item);
    }
}

/// Global options of `docker`, `podman` and `nerdctl` that take a value (before the
/// subcommand).
const ENGINE_GLOBAL_VALUED: &[&str] = &[
    "-H",
    "--host",
    "-c",
    "--context",
    "--config",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    "--url",
    "--connection",
    "--root",
    "--runroot",
    "--storage-driver",
    "--storage-opt",
    "--cgroup-manager",
    "--events-backend",
    "--tmpdir",
    "--identity",
    "--module",
    "--ssh",
    "-n",
    "--namespace",
    "-a",
    "--address",
    "--snapshotter",
    "--cni-path",
    "--cni-netconfpath",
    "--data-root",
    "--host-gateway-ip",
];

/// Boolean options of `run`/`create`/`pull` (long names without dashes, and short letters).
const RUN_BOOL: &[&str] = &[
    "d",
    "detach",
    "i",
    "interactive",
    "t",
    "tty",
    "rm",
    "privileged",
    "init",
    "P",
    "publish-all",
    "read-only",
    "sig-proxy",
    "disable-content-trust",
    "no-healthcheck",
    "oom-kill-disable",
    "q",
    "quiet",
    "a",
    "all-tags",
    "use-api-socket",
    "replace",
    "no-hosts",
    "http-proxy",
    "rootfs",
    "tls-verify",
    "env-host",
    "systemd",
    "read-only-tmpfs",
    "help",
];

/// Options of `run`/`create`/`pull` that take a value (long names without dashes, and short
/// letters). `-a` (`--attach` for run, `--all-tags` for pull) is decided by the subcommand.
const RUN_VALUED: &[&str] = &[
    "add-host",
    "annotation",
    "attach",
    "authfile",
    "arch",
    "blkio-weight",
    "blkio-weight-device",
    "c",
    "cap-add",
    "cap-drop",
    "cert-dir",
    "cgroup-conf",
    "cgroup-parent",
    "cgroupns",
    "cgroups",
    "chrootdirs",
    "cidfile",
    "conmon-pidfile",
    "cpu-count",
    "cpu-percent",
    "cpu-period",
    "cpu-quota",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "cpu-shares",
    "cpus",
    "cpuset-cpus",
    "cpuset-mems",
    "creds",
    "decryption-key",
    "detach-keys",
    "device",
    "device-cgroup-rule",
    "device-read-bps",
    "device-read-iops",
    "device-write-bps",
    "device-write-iops",
    "dns",
    "dns-opt",
    "dns-option",
    "dns-search",
    "domainname",
    "e",
    "entrypoint",
    "env",
    "env-file",
    "env-merge",
    "expose",
    "gidmap",
    "gpus",
    "group-add",
    "group-entry",
    "h",
    "health-cmd",
    "health-interval",
    "health-retries",
    "health-start-interval",
    "health-start-period",
    "health-timeout",
    "hostname",
    "hosts-file",
    "hostuser",
    "image-volume",
    "init-path",
    "io-maxbandwidth",
    "io-maxiops",
    "ip",
    "ip6",
    "ipc",
    "isolation",
    "kernel-memory",
    "l",
    "label",
    "label-file",
    "link",
    "link-local-ip",
    "log-driver",
    "log-opt",
    "m",
    "mac-address",
    "memory",
    "memory-reservation",
    "memory-swap",
    "memory-swappiness",
    "mount",
    "name",
    "net",
    "net-alias",
    "network",
    "network-alias",
    "oom-score-adj",
    "os",
    "p",
    "passwd-entry",
    "personality",
    "pid",
    "pidfile",
    "pids-limit",
    "platform",
    "pod",
    "pod-id-file",
    "preserve-fds",
    "publish",
    "pull",
    "rdt-class",
    "requires",
    "restart",
    "retry",
    "retry-delay",
    "runtime",
    "sdnotify",
    "seccomp-policy",
    "secret",
    "security-opt",
    "shm-size",
    "shm-size-systemd",
    "stop-signal",
    "stop-timeout",
    "storage-opt",
    "subgidname",
    "subuidname",
    "sysctl",
    "timeout",
    "tmpfs",
    "u",
    "uidmap",
    "ulimit",
    "umask",
    "unsetenv",
    "user",
    "userns",
    "uts",
    "v",
    "variant",
    "volume",
    "volume-driver",
    "volumes-from",
    "w",
    "workdir",
];

/// What an option of `run`/`create`/`pull` takes.
enum Opt {
    Bool,
    Valued,
    Unknown,
}

fn run_option(subcommand: &str, name: &str) -> Opt {
    if name == "a" {
        // `run -a stdout` attaches; `pull -a` pulls all tags.
        return if subcommand == "pull" {
            Opt::Bool
        } else {
            Opt::Valued
        };
    }
    if RUN_VALUED.contains(&name) {
        Opt::Valued
    } else if RUN_BOOL.contains(&name) {
        Opt::Bool
    } else {
        Opt::Unknown
    }
}

/// `docker [globals] [container|image] run|create|pull [options] IMAGE …`.
fn docker(args: &[Arg]) -> List {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let text = a.text.as_str();
        if ENGINE_GLOBAL_VALUED.contains(&text) {
            i += 2;
        } else if text.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    let mut sub = args.get(i).map_or("", |a| a.text.as_str());
    if matches!(sub, "container" | "image") {
        i += 1;
        sub = args.get(i).map_or("", |a| a.text.as_str());
    }
    if !matches!(sub, "run" | "create" | "pull") {
        return List::new();
    }
    image_operand(sub, args.get(i + 1..).unwrap_or_default())
}

/// The first operand after the options of `run`/`create`/`pull`, and a second candidate when
/// an unknown option makes the first uncertain.
fn image_operand(sub: &str, args: &[Arg]) -> List {
    let mut out = List::new();
    let mut ambiguous = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let text = a.text.as_str();
        if text == "--" {
            i += 1;
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            i += 1;
            if long.contains('=') {
                continue;
            }
            match run_option(sub, long) {
                Opt::Bool => {}
                Opt::Valued => i += 1,
                Opt::Unknown => ambiguous = true,
            }
            continue;
        }
        if let Some(cluster) = text.strip_prefix('-')
            && !cluster.is_empty()
        {
            i += 1;
            // `-it`, `-p8080:80`, `-dp 80:80`: letters up to the first that takes a value,
            // which takes the rest of the cluster or, at its end, the next word.
            for (at, letter) in cluster.char_indices() {
                let mut buf = [0u8; 4];
                match run_option(sub, letter.encode_utf8(&mut buf)) {
                    Opt::Bool => {}
                    Opt::Valued => {
                        if at + letter.len_utf8() == cluster.len() {
                            i += 1;
                        }
                        break;
                    }
                    Opt::Unknown => {
                        ambiguous = true;
                        break;
                    }
                }
            }
            continue;
        }
        break;
    }
    let mut candidates = args.get(i..).unwrap_or_default().iter();
    if let Some(first) = candidates.next() {
        push(&mut out, &first.text);
    }
    if ambiguous && let Some(second) = candidates.next() {
        push(&mut out, &second.text);
    }
    out
}

/// `kubectl run|create|debug … --image X` (every `--image`, before `--`, and every `"image"` of
/// `--overrides`), and `kubectl set image RESOURCE c=IMAGE …`.
fn kubectl(args: &[Arg]) -> List {
    let end = args
        .iter()
        .position(|a| a.text == "--")
        .unwrap_or(args.len());
    let args = args.get(..end).unwrap_or_default();
    let c = classify(Some(&KUBECTL), args);
    let mut operands = c.operands.iter().filter_map(|&i| args.get(i));
    let mut out = List::new();
    match operands.next().map(|a| a.text.as_str()) {
        Some("run" | "create" | "debug") => {
            for v in c.all_values("image") {
                push(&mut out, v);
            }
            overrides(args, &mut out);
        }
        Some("set") if operands.next().is_some_and(|a| a.text == "image") => {
            for o in operands {
                if let Some((_, image)) = o.text.split_once('=') {
                    push(&mut out, image);
                }
            }
        }
        _ => {}
    }
    out
}

/// `kubectl run --overrides=JSON` replaces the pod spec, images included: every `"image"` of
/// the JSON is an image; JSON that does not parse is listed as written (not a trusted image).
fn overrides(args: &[Arg], out: &mut List) {
    fn collect(value: &serde_json::Value, out: &mut List) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    match v {
                        serde_json::Value::String(image) if key == "image" => push(out, image),
                        _ => collect(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let mut words = args.iter();
    while let Some(a) = words.next() {
        let text = match a.text.strip_prefix("--overrides") {
            Some("") => words.next().map_or("", |v| v.text.as_str()),
            Some(rest) => match rest.strip_prefix('=') {
                Some(json) => json,
                None => continue,
            },
            None => continue,
        };
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) => collect(&json, out),
            Err(_) => push(out, text),
        }
    }
}

/// `crictl [globals] pull IMAGE`.
fn crictl(args: &[Arg]) -> List {
    let Some(at) = args.iter().position(|a| a.text == "pull") else {
        return List::new();
    };
    image_operand("pull", args.get(at + 1..).unwrap_or_default())
}

/// `ctr [-n ns] image(s)|i pull IMAGE`, `ctr run [options] IMAGE ID`.
fn ctr(args: &[Arg]) -> List {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let text = a.text.as_str();
        if matches!(
            text,
            "-n" | "--namespace" | "-a" | "--address" | "--timeout"
        ) {
            i += 2;
        } else if text.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    let rest = args.get(i + 1..).unwrap_or_default();
    match args.get(i).map(|a| a.text.as_str()) {
        Some("image" | "images" | "i") if rest.first().is_some_and(|a| a.text == "pull") => {
            image_operand("pull", rest.get(1..).unwrap_or_default())
        }
        Some("run") => image_operand("run", rest),
        Some("container" | "containers" | "c")
            if rest.first().is_some_and(|a| a.text == "create") =>
        {
            image_operand("run", rest.get(1..).unwrap_or_default())
        }
        _ => List::new(),
    }
}

/// Helm's subcommands: the first word that is one of them is the subcommand (a global
/// option's value, `helm -n prod upgrade …`, is not).
const HELM_SUBCOMMANDS: &[&str] = &[
    "install",
    "upgrade",
    "template",
    "lint",
    "package",
    "show",
    "inspect",
    "pull",
    "fetch",
    "get",
    "list",
    "ls",
    "status",
    "history",
    "rollback",
    "uninstall",
    "delete",
    "del",
    "repo",
    "dependency",
    "dep",
    "search",
    "test",
    "verify",
    "push",
    "registry",
    "env",
    "plugin",
    "create",
    "diff",
    "version",
];

/// `helm install|upgrade … --set[-string] KEY=VALUE[,KEY=VALUE…]`: a value whose key is an
/// image (`image`, `api.image`) or an image's repository (`image.repository`,
/// `api.image.repository`) is an image; an image's registry (`image.registry=R`) is recorded
/// as `R/`, so a policy reads which registry the chart will pull from. Values files (`-f`) are
/// not read.
fn helm(args: &[Arg]) -> List {
    let mut out = List::new();
    let installs = args
        .iter()
        .find(|a| HELM_SUBCOMMANDS.contains(&a.text.as_str()))
        .is_some_and(|a| matches!(a.text.as_str(), "install" | "upgrade"));
    if !installs {
        return out;
    }
    let mut words = args.iter();
    while let Some(a) = words.next() {
        let text = a.text.as_str();
        let pairs = match text
            .strip_prefix("--set-string")
            .or_else(|| text.strip_prefix("--set"))
        {
            Some("") => words.next().map_or("", |v| v.text.as_str()),
            Some(rest) => match rest.strip_prefix('=') {
                Some(pairs) => pairs,
                None => continue,
            },
            None => continue,
        };
        for pair in pairs.split(',') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            let mut segments = key.rsplit('.');
            let last = segments.next().unwrap_or("");
            let parent = segments.next().unwrap_or("");
            let of_image = parent == "image" || parent.ends_with("image");
            if last.ends_with("image") || of_image && last == "repository" {
                push(&mut out, value);
            } else if of_image && last == "registry" && !value.is_empty() {
                push(&mut out, &format!("{}/", value.trim_end_matches('/')));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Arg> {
        line.split_whitespace()
            .map(|w| Arg::literal(w, [0, 0]))
            .collect()
    }

    fn of(program: &str, line: &str) -> Vec<String> {
        images(program, &args(line))
            .into_iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn docker_run_skips_option_values() {
        assert_eq!(
            of("docker", "run -it --rm -p 80:80 -v /a:/b img cmd"),
            ["img"]
        );
        assert_eq!(of("docker", "run -dp 80:80 img"), ["img"]);
        assert_eq!(of("docker", "run -p8080:80 -eA=1 img"), ["img"]);
        assert_eq!(of("docker", "run --name=x --network host img"), ["img"]);
        assert_eq!(of("docker", "run -a stdout img"), ["img"]);
        assert_eq!(of("docker", "pull -a img"), ["img"]);
        assert_eq!(of("docker", "run -- img"), ["img"]);
        assert_eq!(
            of("docker", "-H tcp://h:2375 container create img"),
            ["img"]
        );
        assert_eq!(of("podman", "run docker://quay.io/a/b"), ["quay.io/a/b"]);
    }

    #[test]
    fn unknown_options_list_both_candidates() {
        assert_eq!(of("docker", "run --new-thing v img cmd"), ["v", "img"]);
        assert_eq!(of("docker", "run -Z v img"), ["v", "img"]);
    }

    #[test]
    fn other_subcommands_and_programs_have_no_images() {
        assert!(of("docker", "ps -a").is_empty());
        assert!(of("docker", "images evil.example/x").is_empty());
        assert!(of("docker", "exec -it c sh").is_empty());
        assert!(of("kubectl", "get pods -o wide").is_empty());
        assert!(of("ctr", "containers ls").is_empty());
        assert!(of("ls", "-la").is_empty());
    }

    #[test]
    fn kubectl_images() {
        assert_eq!(
            of("kubectl", "run x --image a.io/b -- --image=c.io/d"),
            ["a.io/b"]
        );
        assert_eq!(
            of("kubectl", "-n p create job j --image=a.io/b"),
            ["a.io/b"]
        );
        assert_eq!(
            of("kubectl", "set image deploy/a c=a.io/b *=c.io/d"),
            ["a.io/b", "c.io/d"]
        );
        assert_eq!(of("kubectl", "set image deploy a c=a.io/b"), ["a.io/b"]);
    }

    #[test]
    fn helm_set_images() {
        assert_eq!(
            of(
                "helm",
                "upgrade api ./chart -n prod --set image.repository=docker.io/u/api"
            ),
            ["docker.io/u/api"]
        );
        assert_eq!(
            of(
                "helm",
                "install x ./c --set-string=replicas=2,worker.image.repository=q.io/w"
            ),
            ["q.io/w"]
        );
        assert_eq!(
            of(
                "helm",
                "-n prod upgrade --install x ./c --set image=a.io/b:1"
            ),
            ["a.io/b:1"]
        );
        assert_eq!(
            of("helm", "upgrade x ./c --set image.registry=evil.example/"),
            ["evil.example/"]
        );
        // A tag or pull policy alone names no image; `template` runs nothing.
        assert!(of("helm", "upgrade x ./c --set image.tag=v2").is_empty());
        assert!(of("helm", "upgrade x ./c --set image.pullPolicy=Always").is_empty());
        assert!(of("helm", "template x ./c --set image.repository=a.io/b").is_empty());
    }

    #[test]
    fn crictl_and_ctr() {
        assert_eq!(of("crictl", "pull a.io/b"), ["a.io/b"]);
        assert_eq!(of("ctr", "-n k8s.io i pull a.io/b"), ["a.io/b"]);
        assert_eq!(of("ctr", "run --rm -t a.io/b id"), ["a.io/b"]);
    }
}
