//! `guard build`: check and compile policies, and write them as one deterministic bundle.
//!
//! Also home of [`compile_paths`], the load → parse → check → compile step `guard test` shares.

use std::path::{Component, Path, PathBuf};

use guard_compile::Compilation;
use guard_diagnostics::SourceMap;

use super::Status;
use crate::output::{self, Format};
use crate::sources;

/// Stack for parsing, checking and compiling: all three recurse over expression trees (and
/// compiling inlines defs), so a pathological but size-limited file stays a diagnostic.
const STACK_BYTES: usize = 256 * 1024 * 1024;

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Compile policies into a deterministic bundle.\n\n\
Finds every `*.guard` file under the given paths (as `guard check` does), checks them as one \
program, compiles it to the engine's IR and writes a bundle: format version, IR, every source \
file (named relative to the build root) with its SHA-256, the Git commit, and a revision. The \
same sources give a byte-identical bundle, wherever and whenever they are built.\n\n\
The build root is the deepest directory containing every PATH (a file's directory for a file). \
The Git commit is HEAD's when the first PATH is inside a Git repository (none otherwise, or \
when the repository has no commit yet). The revision is --revision when given; otherwise the \
number of commits in HEAD's history inside a repository, else 0.",
    after_help = "Examples:\n  guard build policies/ -o policies.bundle\n  \
guard build policies/ -o out.bundle --revision 42\n\n\
Exit status: 0 bundle written, 1 errors in policies (diagnostics printed, no file written), \
2 usage or I/O errors."
)]
pub struct Args {
    /// Files or directories to compile; directories are searched for `*.guard` files.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Where to write the bundle (replaced atomically).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// The bundle's revision (default: the number of commits in HEAD's history when inside a
    /// Git repository, else 0).
    #[arg(long, value_name = "N")]
    pub revision: Option<u64>,

    /// `human`: diagnostics on stderr and a summary line. `json`: diagnostics, then a summary
    /// object (`bundle`, `digest`, `revision`, `git_commit`, `rules`, `sources`), on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> Status {
    let (sources, files, compilation) = match compile_paths(&args.paths, args.format) {
        Ok(loaded) => loaded,
        Err(status) => return status,
    };
    let Some(policy) = compilation.policy else {
        let errors = compilation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        if args.format == Format::Human {
            eprintln!(
                "no bundle written: {errors} error{} in policies",
                plural(errors)
            );
        }
        return Status::Failed;
    };

    let root = match build_root(&args.paths) {
        Ok(root) => root,
        Err(e) => {
            output::usage_error(e);
            return Status::Usage;
        }
    };
    let names: Vec<String> = files.iter().map(|f| bundle_name(&root, f)).collect();
    let git = args.paths.first().map(|p| git_info(p)).unwrap_or_default();
    let revision = args.revision.unwrap_or(git.commit_count);
    let metadata = guard_compile::metadata(
        &sources,
        |id, file| {
            names
                .get(id.0 as usize)
                .cloned()
                .unwrap_or_else(|| file.name.clone())
        },
        revision,
        git.commit.clone(),
    );
    let bytes = match guard_engine::encode(&policy, &metadata) {
        Ok(bytes) => bytes,
        Err(e) => {
            output::usage_error(format_args!("[{}] {e}", e.code()));
            return Status::Usage;
        }
    };
    // A written bundle always loads: decode it once, which also gives its digest.
    let loaded = match guard_engine::decode(&bytes) {
        Ok(loaded) => loaded,
        Err(e) => {
            output::usage_error(format_args!(
                "[{}] the bundle just built does not load (please report it): {e}",
                e.code()
            ));
            return Status::Usage;
        }
    };
    // Everything a runtime would only find on first use (a regex that does not compile).
    if let Err(e) = loaded.check_fully() {
        output::usage_error(format_args!(
            "[{}] the bundle just built is not valid (please report it): {e}",
            e.code()
        ));
        return Status::Usage;
    }
    if let Err(e) = write_atomically(&args.output, &bytes) {
        output::usage_error(format_args!(
            "cannot write `{}`: {e}",
            args.output.display()
        ));
        return Status::Usage;
    }

    let rules = policy.rules().len();
    match args.format {
        Format::Human => {
            let commit = git
                .commit
                .as_deref()
                .map(|c| format!(", commit {}", short(c)))
                .unwrap_or_default();
            eprintln!(
                "built `{}`: {rules} rule{} from {} file{}, revision {revision}{commit}, {}",
                args.output.display(),
                plural(rules),
                names.len(),
                plural(names.len()),
                loaded.digest()
            );
        }
        Format::Json => {
            let summary = serde_json::json!({
                "bundle": args.output.display().to_string(),
                "digest": loaded.digest(),
                "revision": revision,
                "git_commit": git.commit,
                "rules": rules,
                "sources": names,
            });
            println!("{summary}");
        }
    }
    Status::Ok
}

/// Discovers, reads, parses, checks and compiles the policies under `paths`, and prints every
/// diagnostic. `Err` carries the exit status: 2 for I/O problems, 1 when compiling failed for
/// a reason other than a diagnostic (diagnostics with errors give `Ok` with no policy).
pub(crate) fn compile_paths(
    paths: &[PathBuf],
    format: Format,
) -> Result<(SourceMap, Vec<PathBuf>, Compilation), Status> {
    let files = sources::discover(paths).map_err(|e| {
        output::usage_error(e);
        Status::Usage
    })?;
    let (sources, _ids) = sources::load(&files).map_err(|e| {
        output::usage_error(e);
        Status::Usage
    })?;
    let worker = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let compilation = guard_compile::compile_sources(&sources);
            (sources, compilation)
        });
    let Some((sources, compilation)) = worker.ok().and_then(|w| w.join().ok()) else {
        output::usage_error("internal error while compiling policies (please report it)");
        return Err(Status::Failed);
    };
    output::print_diagnostics(&compilation.diagnostics, &sources, format);
    Ok((sources, files, compilation))
}

/// The deepest directory containing every path (a file counts as its directory), absolute and
/// lexically normalised.
fn build_root(paths: &[PathBuf]) -> Result<PathBuf, String> {
    let mut root: Option<PathBuf> = None;
    for path in paths {
        let abs = absolute(path)?;
        let dir = if abs.is_dir() {
            abs
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or(abs)
        };
        root = Some(match root {
            None => dir,
            Some(r) => r
                .components()
                .zip(dir.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    root.ok_or_else(|| "no path given".to_string())
}

/// `path` made absolute (against the current directory) and lexically normalised: `.`
/// removed, `..` applied. Symlinks are not resolved, so names follow the paths as given.
fn absolute(path: &Path) -> Result<PathBuf, String> {
    let abs = std::path::absolute(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// A source's name in the bundle: its path relative to the build root, `/`-separated.
fn bundle_name(root: &Path, file: &Path) -> String {
    let abs = absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let rel = abs.strip_prefix(root).unwrap_or(&abs);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

/// What the bundle records of the Git repository the sources are in.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct GitInfo {
    /// HEAD's commit id, when inside a repository with at least one commit.
    commit: Option<String>,
    /// Commits reachable from HEAD (0 outside a repository).
    commit_count: u64,
}

/// Reads HEAD of the repository containing `path`. Anything unreadable counts as "not in a
/// repository": the bundle then has no commit and revision 0 unless --revision is given.
fn git_info(path: &Path) -> GitInfo {
    let Ok(start) = absolute(path) else {
        return GitInfo::default();
    };
    let Ok(repo) = git2::Repository::discover(&start) else {
        return GitInfo::default();
    };
    let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return GitInfo::default();
    };
    let commit_count = repo
        .revwalk()
        .and_then(|mut walk| {
            walk.push(head.id())?;
            Ok(walk.filter(Result::is_ok).count() as u64)
        })
        .unwrap_or(0);
    GitInfo {
        commit: Some(head.id().to_string()),
        commit_count,
    }
}

/// Writes through a temporary file in the same directory and renames it over `path`, so a
/// reader never sees half a bundle and a failed build leaves no file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_relative_to_the_build_root() {
        let root = PathBuf::from("/a/b");
        assert_eq!(bundle_name(&root, Path::new("/a/b/c/d.guard")), "c/d.guard");
        assert_eq!(
            bundle_name(&root, Path::new("/a/b/./c/../e.guard")),
            "e.guard"
        );
    }

    #[test]
    fn root_is_the_common_directory() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("x/a");
        let b = dir.path().join("x/b");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("f.guard"), "").unwrap();
        let root = build_root(&[a.clone(), b.join("f.guard")]).unwrap();
        assert_eq!(root, absolute(&dir.path().join("x")).unwrap());
        assert_eq!(
            build_root(std::slice::from_ref(&a)).unwrap(),
            absolute(&a).unwrap()
        );
    }
}
