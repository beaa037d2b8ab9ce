//! `guard verify --allowed-signers SIGNERS [--identity ID] FILE`: checks a bundle's SSH
//! signature against an OpenSSH `allowed_signers` file, then the bundle's own integrity.

use std::path::PathBuf;

use guard_engine::sign::{AllowedSigners, VerifyError};
use serde_json::json;

use super::Status;
use super::inspect::{io_message, read_limited, report};
use crate::output::{self, Format};

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Verify a bundle's SSH signature against an allowed_signers file.\n\n\
The signature (FILE.sig, or --signature) must be an SSH signature in the `guard-bundle` \
namespace over the exact bytes of FILE, by a key listed in the allowed_signers file (the format \
of ssh-keygen(1) and Git: `principals [options] keytype key`, with `namespaces=`, \
`valid-after=`, `valid-before=`). With --identity, only lines whose principals match it count. \
The bundle itself must then decode (magic, version, digest).",
    after_help = "Examples:\n  guard verify --allowed-signers .guard/allowed_signers policy.bundle\n  \
guard verify --allowed-signers signers --identity ci@example.com policy.bundle\n\n\
Exit status: 0 valid and trusted, 1 unsigned, invalid, untrusted or malformed bundle, \
2 usage or I/O errors (unreadable file, unreadable allowed_signers)."
)]
pub struct Args {
    /// The bundle.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// OpenSSH allowed_signers file: the keys trusted to sign bundles.
    #[arg(long, value_name = "SIGNERS")]
    pub allowed_signers: PathBuf,

    /// Require the signer to be trusted for this principal (`ci@example.com`).
    #[arg(long, value_name = "ID")]
    pub identity: Option<String>,

    /// The signature file (default: FILE.sig).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// `human`: one line on stdout (errors on stderr). `json`: one object on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> Status {
    let bytes = match read_limited(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => {
            output::usage_error(message);
            return Status::Usage;
        }
    };
    let signers = match std::fs::read_to_string(&args.allowed_signers) {
        Ok(text) => text,
        Err(e) => {
            output::usage_error(format!(
                "`{}`: {}",
                args.allowed_signers.display(),
                io_message(&e)
            ));
            return Status::Usage;
        }
    };
    let signers = match AllowedSigners::parse(&signers) {
        Ok(signers) => signers,
        Err(e) => {
            report(
                "GV009",
                format!("`{}`: {e}", args.allowed_signers.display()),
            );
            return Status::Usage;
        }
    };
    let sig_path = args
        .signature
        .clone()
        .unwrap_or_else(|| super::sign::sig_path(&args.file));
    let signature = match std::fs::read_to_string(&sig_path) {
        Ok(text) => text,
        // No signature beside the bundle: the bundle is unsigned, a verification failure.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.signature.is_none() => {
            String::new()
        }
        Err(e) => {
            output::usage_error(format!("`{}`: {}", sig_path.display(), io_message(&e)));
            return Status::Usage;
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // One SHA-256 pass for a sha256 signature and the bundle's digest (as `guard eval`).
    let hashed = guard_engine::HashedBundle::new(&bytes);
    let verified = match guard_engine::sign::verify_bundle(
        &hashed,
        &signature,
        &signers,
        args.identity.as_deref(),
        now,
    ) {
        Ok(v) => v,
        Err(e) => return failed(&args, e.code(), &e.to_string(), hint(&e)),
    };
    // Decoding checks structure; `check_fully` also compiles every regex (which a runtime does
    // only on first use), so a bundle that would decide `error` is refused here.
    let bundle =
        match guard_engine::decode_hashed(&hashed).and_then(|b| b.check_fully().map(|()| b)) {
            Ok(bundle) => bundle,
            Err(e) => {
                return failed(
                    &args,
                    e.code(),
                    &format!("signature is valid but the bundle is not: {e}"),
                    None,
                );
            }
        };
    match args.format {
        Format::Human => println!(
            "`{}`: valid signature by `{}` ({}); bundle {} revision {}",
            args.file.display(),
            verified.principal,
            verified.fingerprint,
            bundle.digest(),
            bundle.info.revision
        ),
        Format::Json => println!(
            "{}",
            json!({
                "file": args.file.display().to_string(),
                "valid": true,
                "principal": verified.principal,
                "fingerprint": verified.fingerprint,
                "digest": bundle.digest(),
                "revision": bundle.info.revision,
            })
        ),
    }
    Status::Ok
}

/// The error's help text (one source: the error type's `#[diagnostic(help)]`).
fn hint(e: &VerifyError) -> Option<String> {
    use miette::Diagnostic;
    e.help().map(|h| h.to_string())
}

fn failed(args: &Args, code: &str, message: &str, help: Option<String>) -> Status {
    match args.format {
        Format::Human => {
            report(code, format!("`{}`: {message}", args.file.display()));
            if let Some(help) = help {
                eprintln!("  help: {help}");
            }
        }
        Format::Json => println!(
            "{}",
            json!({"file": args.file.display().to_string(), "valid": false, "code": code, "error": message})
        ),
    }
    Status::Failed
}
