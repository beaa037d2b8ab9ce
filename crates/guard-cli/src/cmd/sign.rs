//! `guard sign --key KEY FILE`: signs a bundle with an OpenSSH ed25519 key (SSHSIG, namespace
//! `guard-bundle`) and writes the armored signature to `FILE.sig`, as
//! `ssh-keygen -Y sign -n guard-bundle -O hashalg=sha256` would (SHA-256, so that `guard eval`
//! hashes a signed bundle once: see `guard_engine::sign::verify_bundle`).

use std::path::PathBuf;

use super::Status;
use super::inspect::{read_limited, report};
use crate::output;

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Sign a bundle with an SSH key (writes FILE.sig).\n\n\
The signature is an SSH signature (SSHSIG) in the `guard-bundle` namespace, the format Git uses \
for signed commits: `ssh-keygen -Y verify -n guard-bundle` and `guard verify` both check it. Only \
unencrypted ed25519 keys are supported; for a key behind a passphrase or in ssh-agent, sign with \
`ssh-keygen -Y sign -n guard-bundle -O hashalg=sha256 -f KEY FILE` instead (its default hash, \
SHA-512, also verifies, but makes loading the bundle hash it twice). FILE must be a valid bundle.",
    after_help = "Examples:\n  ssh-keygen -t ed25519 -N '' -f ci_key\n  guard sign --key ci_key policy.bundle   writes policy.bundle.sig\n\n\
Exit status: 0 signed, 2 unreadable or invalid key, FILE not a bundle, or signature not written."
)]
pub struct Args {
    /// OpenSSH private key file (ed25519, without passphrase).
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,

    /// The bundle to sign.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Where to write the signature (default: FILE.sig).
    #[arg(long, short, value_name = "SIG")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> Status {
    let bytes = match read_limited(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => {
            output::usage_error(message);
            return Status::Usage;
        }
    };
    // Decoding checks structure; `check_fully` also compiles every regex, so a bundle that a
    // runtime would decide `error` with is never signed.
    if let Err(e) = guard_engine::decode(&bytes).and_then(|b| b.check_fully()) {
        report(
            e.code(),
            format!("refusing to sign `{}`: {e}", args.file.display()),
        );
        return Status::Usage;
    }
    let key = match std::fs::read_to_string(&args.key) {
        Ok(key) => key,
        Err(e) => {
            output::usage_error(format!(
                "`{}`: {}",
                args.key.display(),
                super::inspect::io_message(&e)
            ));
            return Status::Usage;
        }
    };
    let signature = match guard_engine::sign::sign(&bytes, &key) {
        Ok(signature) => signature,
        Err(e) => {
            report(e.code(), format!("`{}`: {e}", args.key.display()));
            return Status::Usage;
        }
    };
    let out = args.output.unwrap_or_else(|| sig_path(&args.file));
    if let Err(e) = std::fs::write(&out, signature) {
        output::usage_error(format!(
            "`{}`: {}",
            out.display(),
            super::inspect::io_message(&e)
        ));
        return Status::Usage;
    }
    println!(
        "signed `{}`: wrote `{}`",
        args.file.display(),
        out.display()
    );
    Status::Ok
}

/// `FILE.sig`, beside the file.
pub fn sig_path(file: &std::path::Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}
