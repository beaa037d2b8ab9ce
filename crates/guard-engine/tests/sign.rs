//! SSH signatures: interop with the real `ssh-keygen` both ways, tamper detection, and every
//! trust rule of `allowed_signers`. Keys are made by `ssh-keygen` in a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use guard_engine::encode;
use guard_engine::sign::{
    AllowedSigners, NAMESPACE, SignError, VerifyError, sign, verify, verify_bundle,
};
use guard_engine::{HashedBundle, decode, decode_hashed};
use support::*;

/// 2026-11-27, inside every validity window used below except the deliberately expired one.
const NOW: u64 = 1_795_737_600;

struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Makes an ed25519 key pair with `ssh-keygen`; returns the private key's path.
    fn keygen(&self, name: &str, extra: &[&str]) -> PathBuf {
        let path = self.path(name);
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .args(extra)
            .stdin(Stdio::null())
            .status()
            .expect("ssh-keygen must be installed to run the signature tests");
        assert!(status.success());
        path
    }

    fn public(&self, key: &Path) -> String {
        std::fs::read_to_string(key.with_extension("pub"))
            .unwrap()
            .trim()
            .to_string()
    }

    fn private(&self, key: &Path) -> String {
        std::fs::read_to_string(key).unwrap()
    }

    fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

fn bundle() -> Vec<u8> {
    encode(&small_policy(), &metadata()).unwrap()
}

fn signers(text: &str) -> AllowedSigners {
    AllowedSigners::parse(text).unwrap()
}

#[test]
fn guard_signatures_verify_with_ssh_keygen() {
    let keys = Keys::new();
    let key = keys.keygen("ci", &[]);
    let bytes = bundle();
    let file = keys.write("policy.bundle", &bytes);
    let signature = sign(&bytes, &keys.private(&key)).unwrap();
    let sig = keys.write("policy.bundle.sig", signature.as_bytes());
    let allowed = keys.write(
        "allowed_signers",
        format!("ci@example.com {}\n", keys.public(&key)).as_bytes(),
    );

    let run = |identity: &str, namespace: &str| {
        Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args(["-I", identity, "-n", namespace, "-s"])
            .arg(&sig)
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap()
    };
    let ok = run("ci@example.com", NAMESPACE);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        !run("ci@example.com", "git").status.success(),
        "the namespace is bound into the signature"
    );
    assert!(!run("someone@example.com", NAMESPACE).status.success());

    // And with our own verifier.
    let verified = verify(
        &bytes,
        &signature,
        &signers(&std::fs::read_to_string(&allowed).unwrap()),
        None,
        NOW,
    )
    .unwrap();
    assert_eq!(verified.principal, "ci@example.com");
    assert!(verified.fingerprint.starts_with("SHA256:"));
}

#[test]
fn ssh_keygen_signatures_verify_with_guard() {
    let keys = Keys::new();
    let key = keys.keygen("ops", &[]);
    let bytes = bundle();
    let file = keys.write("b.bundle", &bytes);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-f"])
        .arg(&key)
        .args(["-n", NAMESPACE])
        .arg(&file)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let signature = std::fs::read_to_string(keys.path("b.bundle.sig")).unwrap();
    let trust = signers(&format!(
        "# ops team\n\nops@example.com,ci@* {}\n",
        keys.public(&key)
    ));
    let v = verify(&bytes, &signature, &trust, Some("ci@build"), NOW).unwrap();
    assert_eq!((v.principal.as_str(), v.line), ("ci@build", 3));
    assert_eq!(
        verify(&bytes, &signature, &trust, Some("dev@laptop"), NOW)
            .err()
            .map(|e| e.code()),
        Some("GV005")
    );

    // A signature made for another namespace is refused even though the key is trusted.
    std::fs::remove_file(keys.path("b.bundle.sig")).unwrap();
    let status = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-f"])
        .arg(&key)
        .args(["-n", "git"])
        .arg(&file)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let git_sig = std::fs::read_to_string(keys.path("b.bundle.sig")).unwrap();
    assert_eq!(
        verify(&bytes, &git_sig, &trust, None, NOW).err(),
        Some(VerifyError::WrongNamespace {
            found: "git".into()
        })
    );
}

/// `verify_bundle` takes the SHA-256 of a `hashalg=sha256` signature from `HashedBundle`
/// instead of hashing again: it must agree with `verify` for both of ssh-keygen's hash
/// algorithms, on the bundle and on altered copies, and `decode_hashed` with `decode`.
#[test]
fn one_pass_verification_agrees_with_verify() {
    let keys = Keys::new();
    let key = keys.keygen("ops", &[]);
    let bytes = bundle();
    let trust = signers(&format!("ops@example.com {}\n", keys.public(&key)));
    let file = keys.write("b.bundle", &bytes);
    let mut signatures = vec![("guard sign", sign(&bytes, &keys.private(&key)).unwrap())];
    for (what, extra) in [
        ("ssh-keygen (sha512)", &[][..]),
        (
            "ssh-keygen -O hashalg=sha256",
            &["-O", "hashalg=sha256"][..],
        ),
    ] {
        let _ = std::fs::remove_file(keys.path("b.bundle.sig"));
        let status = Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-f"])
            .arg(&key)
            .args(["-n", NAMESPACE])
            .args(extra)
            .arg(&file)
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{what}");
        signatures.push((
            what,
            std::fs::read_to_string(keys.path("b.bundle.sig")).unwrap(),
        ));
    }
    let alg = |sig: &str| ssh_key::SshSig::from_pem(sig.trim()).unwrap().hash_alg();
    assert_eq!(
        alg(&signatures[0].1),
        ssh_key::HashAlg::Sha256,
        "guard signs with sha256"
    );
    assert_eq!(alg(&signatures[1].1), ssh_key::HashAlg::Sha512);
    assert_eq!(alg(&signatures[2].1), ssh_key::HashAlg::Sha256);

    let hashed = HashedBundle::new(&bytes);
    assert_eq!(
        decode_hashed(&hashed).unwrap().digest(),
        decode(&bytes).unwrap().digest()
    );
    for (what, signature) in &signatures {
        let slow = verify(&bytes, signature, &trust, None, NOW).unwrap();
        let fast = verify_bundle(&hashed, signature, &trust, None, NOW).unwrap();
        assert_eq!(fast, slow, "{what}");
        // Altered copies: a flipped bit anywhere (the stored digest included), a byte more
        // or less.
        let mut altered: Vec<Vec<u8>> = (0..bytes.len())
            .step_by(7)
            .chain([bytes.len() - 1])
            .map(|i| {
                let mut b = bytes.clone();
                b[i] ^= 0x10;
                b
            })
            .collect();
        altered.push([&bytes[..], &[0]].concat());
        altered.push(bytes[..bytes.len() - 1].to_vec());
        for b in &altered {
            let hashed = HashedBundle::new(b);
            assert_eq!(
                verify_bundle(&hashed, signature, &trust, None, NOW).err(),
                Some(VerifyError::BadSignature),
                "{what}"
            );
            assert_eq!(
                verify(b, signature, &trust, None, NOW).err(),
                Some(VerifyError::BadSignature),
                "{what}"
            );
            assert!(decode_hashed(&hashed).is_err());
        }
    }
}

#[test]
fn every_single_byte_change_fails_verification() {
    let keys = Keys::new();
    let key = keys.keygen("k", &[]);
    // Small, so that one verification per byte stays fast in debug builds.
    let empty = guard_engine::PolicyBuilder::new(guard_model::Effect::Deny)
        .finish()
        .unwrap();
    let meta = guard_engine::Metadata {
        guard_version: "0.1.0".into(),
        revision: 1,
        git_commit: None,
        sources: vec![],
    };
    let bytes = encode(&empty, &meta).unwrap();
    assert!(bytes.len() < 150, "{} bytes", bytes.len());
    let signature = sign(&bytes, &keys.private(&key)).unwrap();
    let trust = signers(&format!("k {}", keys.public(&key)));
    assert!(verify(&bytes, &signature, &trust, None, NOW).is_ok());
    for i in 0..bytes.len() {
        let mut altered = bytes.clone();
        altered[i] ^= 0x01;
        assert_eq!(
            verify(&altered, &signature, &trust, None, NOW).err(),
            Some(VerifyError::BadSignature),
            "byte {i}"
        );
        let hashed = HashedBundle::new(&altered);
        assert_eq!(
            verify_bundle(&hashed, &signature, &trust, None, NOW).err(),
            Some(VerifyError::BadSignature),
            "byte {i}, one pass"
        );
        assert!(decode_hashed(&hashed).is_err(), "byte {i}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(verify(&longer, &signature, &trust, None, NOW).is_err());
    assert!(verify(&bytes[..bytes.len() - 1], &signature, &trust, None, NOW).is_err());
}

#[test]
fn trust_rules_of_allowed_signers() {
    let keys = Keys::new();
    let key = keys.keygen("k", &[]);
    let other = keys.keygen("other", &[]);
    let bytes = bundle();
    let sig = sign(&bytes, &keys.private(&key)).unwrap();
    let public = keys.public(&key);
    let check =
        |line: String| verify(&bytes, &sig, &signers(&line), None, NOW).map(|v| v.principal);

    assert_eq!(check(format!("a@x {public}")), Ok("a@x".into()));
    assert_eq!(
        check(format!("\"a@x\" {public} with a comment")),
        Ok("a@x".into())
    );
    assert_eq!(
        check(format!("a@x namespaces=\"guard-*,git\" {public}")),
        Ok("a@x".into())
    );
    assert_eq!(
        check(format!("a@x namespaces=\"git\" {public}"))
            .err()
            .map(|e| e.code()),
        Some("GV006")
    );
    assert_eq!(
        check(format!("a@x valid-before=\"20200101\" {public}"))
            .err()
            .map(|e| e.code()),
        Some("GV007")
    );
    assert_eq!(
        check(format!("a@x valid-after=\"29991231\" {public}"))
            .err()
            .map(|e| e.code()),
        Some("GV008")
    );
    assert_eq!(
        check(format!(
            "a@x valid-after=\"20200101\",valid-before=\"29991231Z\" {public}"
        )),
        Ok("a@x".into())
    );
    // Another key only: untrusted. A CA line never trusts a plain key signature.
    assert_eq!(
        check(format!("a@x {}", keys.public(&other)))
            .err()
            .map(|e| e.code()),
        Some("GV005")
    );
    assert_eq!(
        check(format!("a@x cert-authority {public}"))
            .err()
            .map(|e| e.code()),
        Some("GV005")
    );
    // Several lines: an expired one does not stop a later valid one (key rotation).
    assert_eq!(
        check(format!(
            "old valid-before=\"20200101\" {public}\nnew {public}\n"
        )),
        Ok("new".into())
    );
    // Without a valid line, the first failure is reported.
    assert_eq!(
        check(format!(
            "old valid-before=\"20200101\" {public}\nother {}\n",
            keys.public(&other)
        ))
        .err()
        .map(|e| e.code()),
        Some("GV007")
    );
}

#[test]
fn malformed_inputs_are_specific_errors() {
    let keys = Keys::new();
    let key = keys.keygen("k", &[]);
    let bytes = bundle();
    let trust = signers(&format!("k {}", keys.public(&key)));
    assert_eq!(
        verify(&bytes, "", &trust, None, NOW).err(),
        Some(VerifyError::Unsigned)
    );
    assert_eq!(
        verify(&bytes, "garbage", &trust, None, NOW)
            .err()
            .map(|e| e.code()),
        Some("GV002")
    );

    for (text, line) in [
        ("a@x", 1),
        ("a@x ssh-ed25519", 1),
        ("# c\na@x bogus=\"1\" ssh-ed25519 AAAA", 2),
        (
            "a@x valid-before=\"2020\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOm",
            1,
        ),
        ("\"a@x ssh-ed25519 AAAA", 1),
    ] {
        let err = AllowedSigners::parse(text)
            .err()
            .unwrap_or_else(|| panic!("accepted {text:?}"));
        assert_eq!(err.line, line, "{text:?}: {err}");
    }

    assert!(matches!(
        sign(&bytes, "not a key"),
        Err(SignError::InvalidKey(_))
    ));
    let encrypted = keys.keygen("enc", &["-N", "secret"]);
    // `-N` given twice: ssh-keygen takes the last one.
    assert_eq!(
        sign(&bytes, &keys.private(&encrypted)).err(),
        Some(SignError::EncryptedKey)
    );
    let public_only = keys.public(&key);
    assert!(sign(&bytes, &public_only).is_err());
}
