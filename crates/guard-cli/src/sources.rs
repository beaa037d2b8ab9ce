//! Finding and reading policy files.

use std::path::{Path, PathBuf};

use guard_diagnostics::{FileId, SourceMap};

/// Policy files larger than this are refused with an I/O error.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

/// An error reading policies: always names the file.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.path.display(), self.message)
    }
}

/// Every `*.guard` file under `paths` (files given directly are taken whatever their name),
/// sorted for determinism. A missing path, or a set with no policy file, is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut found = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| LoadError {
            path: path.clone(),
            message: io_message(&e),
        })?;
        if meta.is_file() {
            found.push(path.clone());
            continue;
        }
        // Hidden directories and `target/` are pruned whole, not just skipped.
        let walker = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name()));
        for entry in walker {
            let entry = entry.map_err(|e| LoadError {
                path: e.path().map_or_else(|| path.clone(), Path::to_path_buf),
                message: e.to_string(),
            })?;
            if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "guard")
            {
                found.push(entry.into_path());
            }
        }
    }
    found.sort();
    found.dedup();
    if found.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        return Err(LoadError {
            path: paths.first().cloned().unwrap_or_default(),
            message: format!("no `*.guard` policy files found under {}", shown.join(", ")),
        });
    }
    Ok(found)
}

/// Reads policy files into a source map: too large, unreadable or not UTF-8 is an error naming
/// the file.
pub fn load(paths: &[PathBuf]) -> Result<(SourceMap, Vec<FileId>), LoadError> {
    let mut sources = SourceMap::new();
    let mut ids = Vec::new();
    for path in paths {
        let err = |message: String| LoadError {
            path: path.clone(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(io_message(&e)))?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(err(format!(
                "file is {} bytes; policy files are limited to {MAX_POLICY_BYTES} bytes",
                meta.len()
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| err(io_message(&e)))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            err(format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        ids.push(sources.add(path.display().to_string(), text));
    }
    Ok((sources, ids))
}

fn is_ignored(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') || n == "target")
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
