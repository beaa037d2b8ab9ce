//! SSH signatures over bundles (SSHSIG, ed25519, namespace `guard-bundle`), the format Git
//! uses for signed commits, and trust through an OpenSSH `allowed_signers` file.
//!
//! Interoperable both ways with `ssh-keygen -Y sign|verify -n guard-bundle`.
//!
//! `allowed_signers` is parsed here (ssh-key does not): one key a line,
//! `principals [options] keytype base64 [comment]`, `#` comments. Principals are a
//! comma-separated pattern list (`*`, `?`, `!negation`); options are `namespaces="…"` (a
//! pattern list), `valid-after="…"` and `valid-before="…"` (`YYYYMMDD[HHMM[SS]][Z]`, read as
//! UTC — OpenSSH reads a time without `Z` as local time), and `cert-authority`. Certificate
//! signatures are not supported, so `cert-authority` lines never match, exactly as a plain key
//! signature never matches them in OpenSSH.
//!
//! Invariants: no I/O (the caller reads files and passes the current time), no panics, and a
//! signature is accepted only when it is cryptographically valid over the exact bytes, made
//! in the `guard-bundle` namespace, by a key that an `allowed_signers` line trusts for that
//! namespace at that time (and for the requested identity, when one is given).

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use crate::bundle::HashedBundle;

/// The SSHSIG namespace of guard bundle signatures.
pub const NAMESPACE: &str = "guard-bundle";

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SignError {
    /// GV010
    #[error("invalid private key: {0}")]
    #[diagnostic(
        code(GV010),
        help("give an OpenSSH private key file, e.g. from `ssh-keygen -t ed25519`")
    )]
    InvalidKey(String),
    /// GV011
    #[error("the private key is encrypted with a passphrase, which guard cannot prompt for")]
    #[diagnostic(
        code(GV011),
        help(
            "sign with `ssh-keygen -Y sign -n guard-bundle -f KEY FILE`, which can use ssh-agent"
        )
    )]
    EncryptedKey,
    /// GV012
    #[error("unsupported key algorithm `{0}`; guard signs with ed25519 keys")]
    #[diagnostic(code(GV012))]
    UnsupportedAlgorithm(String),
    /// GV013
    #[error("signing failed: {0}")]
    #[diagnostic(code(GV013))]
    Failed(String),
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum VerifyError {
    /// GV001
    #[error("the bundle is not signed")]
    #[diagnostic(code(GV001), help("sign it with `guard sign --key KEY FILE`"))]
    Unsigned,
    /// GV002
    #[error("malformed signature: {0}")]
    #[diagnostic(code(GV002))]
    MalformedSignature(String),
    /// GV003
    #[error("the signature was made for namespace `{found}`, not `{NAMESPACE}`")]
    #[diagnostic(code(GV003), help("sign bundles with `-n guard-bundle`"))]
    WrongNamespace { found: String },
    /// GV004
    #[error("the signature does not match the bundle: the bundle or the signature was altered")]
    #[diagnostic(code(GV004))]
    BadSignature,
    /// GV005
    #[error("untrusted key {fingerprint}: no allowed signer{} has it", identity.as_ref().map(|i| format!(" for `{i}`")).unwrap_or_default())]
    #[diagnostic(
        code(GV005),
        help("add the key to the allowed_signers file, or check --identity")
    )]
    Untrusted {
        fingerprint: String,
        identity: Option<String>,
    },
    /// GV006
    #[error("allowed signer `{principals}` is not trusted for namespace `{NAMESPACE}`")]
    #[diagnostic(code(GV006))]
    NamespaceNotAllowed { principals: String },
    /// GV007
    #[error("the key of allowed signer `{principals}` expired (valid-before {valid_before})")]
    #[diagnostic(code(GV007))]
    Expired {
        principals: String,
        valid_before: String,
    },
    /// GV008
    #[error(
        "the key of allowed signer `{principals}` is not valid yet (valid-after {valid_after})"
    )]
    #[diagnostic(code(GV008))]
    NotYetValid {
        principals: String,
        valid_after: String,
    },
}

/// A line of an `allowed_signers` file that cannot be read. GV009.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("allowed_signers line {line}: {message}")]
#[diagnostic(code(GV009))]
pub struct AllowedSignersError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// Every signing and verification error code: id, kebab-case name, one-line summary.
pub const CODES: &[crate::ErrorCode] = &[
    crate::ErrorCode {
        id: "GV001",
        name: "guard::signature::unsigned",
        summary: "the bundle has no signature",
    },
    crate::ErrorCode {
        id: "GV002",
        name: "guard::signature::malformed-signature",
        summary: "the signature is not an armored SSH signature",
    },
    crate::ErrorCode {
        id: "GV003",
        name: "guard::signature::wrong-namespace",
        summary: "the signature was made for another namespace than `guard-bundle`",
    },
    crate::ErrorCode {
        id: "GV004",
        name: "guard::signature::bad-signature",
        summary: "the signature does not match the bundle's bytes",
    },
    crate::ErrorCode {
        id: "GV005",
        name: "guard::signature::untrusted-key",
        summary: "no allowed signer has the signing key (for the requested identity)",
    },
    crate::ErrorCode {
        id: "GV006",
        name: "guard::signature::namespace-not-allowed",
        summary: "the allowed signer's `namespaces` option excludes `guard-bundle`",
    },
    crate::ErrorCode {
        id: "GV007",
        name: "guard::signature::key-expired",
        summary: "the allowed signer's `valid-before` is in the past",
    },
    crate::ErrorCode {
        id: "GV008",
        name: "guard::signature::key-not-yet-valid",
        summary: "the allowed signer's `valid-after` is in the future",
    },
    crate::ErrorCode {
        id: "GV009",
        name: "guard::signature::invalid-allowed-signers",
        summary: "a line of the allowed_signers file cannot be read",
    },
    crate::ErrorCode {
        id: "GV010",
        name: "guard::signature::invalid-private-key",
        summary: "the signing key is not an OpenSSH private key",
    },
    crate::ErrorCode {
        id: "GV011",
        name: "guard::signature::encrypted-private-key",
        summary: "the signing key is protected by a passphrase",
    },
    crate::ErrorCode {
        id: "GV012",
        name: "guard::signature::unsupported-key-algorithm",
        summary: "the signing key is not ed25519",
    },
    crate::ErrorCode {
        id: "GV013",
        name: "guard::signature::signing-failed",
        summary: "the signature could not be made",
    },
];

impl VerifyError {
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Unsigned => "GV001",
            VerifyError::MalformedSignature(_) => "GV002",
            VerifyError::WrongNamespace { .. } => "GV003",
            VerifyError::BadSignature => "GV004",
            VerifyError::Untrusted { .. } => "GV005",
            VerifyError::NamespaceNotAllowed { .. } => "GV006",
            VerifyError::Expired { .. } => "GV007",
            VerifyError::NotYetValid { .. } => "GV008",
        }
    }
}

impl AllowedSignersError {
    pub fn code(&self) -> &'static str {
        "GV009"
    }
}

impl SignError {
    pub fn code(&self) -> &'static str {
        match self {
            SignError::InvalidKey(_) => "GV010",
            SignError::EncryptedKey => "GV011",
            SignError::UnsupportedAlgorithm(_) => "GV012",
            SignError::Failed(_) => "GV013",
        }
    }
}

/// Signs `message` with an OpenSSH ed25519 private key; returns the armored signature
/// (`-----BEGIN SSH SIGNATURE-----`), as `ssh-keygen -Y sign -n guard-bundle -O
/// hashalg=sha256` writes it. SHA-256 rather than ssh-keygen's default SHA-512: the loader
/// then hashes a signed bundle once, for its signature and its own digest together
/// ([`verify_bundle`]); SHA-256 is already what identifies a bundle, and OpenSSH verifies
/// either.
pub fn sign(message: &[u8], private_key_openssh: &str) -> Result<String, SignError> {
    let key = PrivateKey::from_openssh(private_key_openssh)
        .map_err(|e| SignError::InvalidKey(e.to_string()))?;
    if key.is_encrypted() {
        return Err(SignError::EncryptedKey);
    }
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(SignError::UnsupportedAlgorithm(key.algorithm().to_string()));
    }
    let signature = key
        .sign(NAMESPACE, HashAlg::Sha256, message)
        .map_err(|e| SignError::Failed(e.to_string()))?;
    signature
        .to_pem(LineEnding::LF)
        .map_err(|e| SignError::Failed(e.to_string()))
}

/// One trusted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    /// 1-based line in the file.
    pub line: usize,
    /// The principals pattern list as written (`alice@example.com,*@ci.example.com`).
    pub principals: String,
    /// The `namespaces` pattern list; `None` = every namespace.
    pub namespaces: Option<String>,
    /// Unix seconds, and the text as written.
    pub valid_after: Option<(u64, String)>,
    pub valid_before: Option<(u64, String)>,
    pub cert_authority: bool,
    pub key: PublicKey,
}

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSigners {
    pub signers: Vec<AllowedSigner>,
}

impl AllowedSigners {
    /// Parses the file's text. Any unreadable line is an error: a trust file is never read
    /// half-way.
    pub fn parse(text: &str) -> Result<AllowedSigners, AllowedSignersError> {
        let mut signers = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| AllowedSignersError {
                line: i + 1,
                message,
            };
            signers.push(parse_line(line, i + 1).map_err(err)?);
        }
        Ok(AllowedSigners { signers })
    }
}

fn parse_line(line: &str, number: usize) -> Result<AllowedSigner, String> {
    let (principals, rest) = take_token(line)?;
    if principals.is_empty() {
        return Err("empty principals".into());
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Err("missing key".into());
    }
    let plain_key = parse_key(rest);
    let (options, key) = match plain_key {
        Ok(key) => (None, key),
        // Not a key, so options come first.
        Err(_) => {
            let (options, key_text) = take_token(rest)?;
            (
                Some(options),
                parse_key(key_text.trim_start_matches([' ', '\t']))?,
            )
        }
    };
    let mut signer = AllowedSigner {
        line: number,
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        cert_authority: false,
        key,
    };
    if let Some(options) = options {
        parse_options(&options, &mut signer)?;
    }
    Ok(signer)
}

fn parse_key(text: &str) -> Result<PublicKey, String> {
    let mut words = text.split_whitespace();
    let (Some(kind), Some(data)) = (words.next(), words.next()) else {
        return Err("expected `keytype base64-key` after the principals and options".into());
    };
    PublicKey::from_openssh(&format!("{kind} {data}"))
        .map_err(|e| format!("invalid public key: {e}"))
}

/// The next whitespace-delimited token, where double quotes protect whitespace (and are kept
/// inside option values, removed around a whole quoted token).
fn take_token(text: &str) -> Result<(String, &str), String> {
    let mut token = String::new();
    let mut quoted = false;
    let mut end = text.len();
    let whole_quoted = text.starts_with('"');
    for (i, c) in text.char_indices() {
        match c {
            '"' => {
                quoted = !quoted;
                if !whole_quoted {
                    token.push(c);
                }
            }
            ' ' | '\t' if !quoted => {
                end = i;
                break;
            }
            _ => token.push(c),
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    Ok((token, text.get(end..).unwrap_or("")))
}

fn parse_options(options: &str, signer: &mut AllowedSigner) -> Result<(), String> {
    for option in split_options(options)? {
        let (name, value) = match option.split_once('=') {
            Some((n, v)) => (n, Some(unquote(v)?)),
            None => (option, None),
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("cert-authority", None) => signer.cert_authority = true,
            ("namespaces", Some(v)) => signer.namespaces = Some(v.to_string()),
            ("valid-after", Some(v)) => signer.valid_after = Some((parse_time(v)?, v.to_string())),
            ("valid-before", Some(v)) => {
                signer.valid_before = Some((parse_time(v)?, v.to_string()))
            }
            (other, _) => return Err(format!("unknown or malformed option `{other}`")),
        }
    }
    Ok(())
}

/// Splits on commas outside double quotes.
fn split_options(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(text.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text.get(start..).unwrap_or(""));
    if out.iter().any(|o| o.is_empty()) {
        return Err("empty option".into());
    }
    Ok(out)
}

fn unquote(value: &str) -> Result<&str, String> {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(|| format!("option value `{value}` must be in double quotes"))
}

/// `YYYYMMDD[HHMM[SS]][Z]` to Unix seconds (UTC).
fn parse_time(text: &str) -> Result<u64, String> {
    let bad = || format!("invalid time `{text}`: expected YYYYMMDD[HHMM[SS]][Z]");
    let digits = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix('z'))
        .unwrap_or(text);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<u64, String> {
        digits
            .get(range)
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        _ => (num(8..10)?, num(10..12)?, num(12..14)?),
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let days = days_from_civil(year as i64, month as i64, day as i64);
    let seconds = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
    u64::try_from(seconds).map_err(|_| bad())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// OpenSSH `match_pattern`: `*` any run, `?` any one character.
fn match_pattern(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative wildcard matching with one backtrack point: linear in practice, no recursion.
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// OpenSSH `match_pattern_list`: true when some pattern matches and no negated one does.
fn match_pattern_list(text: &str, list: &str) -> bool {
    let mut positive = false;
    for pattern in list.split(',') {
        match pattern.strip_prefix('!') {
            Some(negated) if match_pattern(text, negated) => return false,
            Some(_) => {}
            None if match_pattern(text, pattern) => positive = true,
            None => {}
        }
    }
    positive
}

/// Who signed, once a signature is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The identity asked for, or else the principals of the matching allowed_signers line.
    pub principal: String,
    /// `SHA256:…` fingerprint of the signing key.
    pub fingerprint: String,
    /// The allowed_signers line that trusted it.
    pub line: usize,
}

/// Verifies an armored SSH signature over `message` against `signers`.
///
/// With `identity`, only lines whose principals match it are considered (`ssh-keygen -Y verify
/// -I`); without, any line with the signing key. `now` is Unix seconds, for `valid-after` and
/// `valid-before`.
pub fn verify(
    message: &[u8],
    signature: &str,
    signers: &AllowedSigners,
    identity: Option<&str>,
    now: u64,
) -> Result<Verified, VerifyError> {
    verify_with(message, None, signature, signers, identity, now)
}

/// [`verify`] of a bundle hashed by [`HashedBundle::new`]: a signature made with
/// `hashalg=sha256` (`guard sign`'s, or `ssh-keygen -Y sign -O hashalg=sha256`) is checked
/// against the SHA-256 already computed there, so the bundle is read once for both its
/// signature and [`crate::decode_hashed`]; a `sha512` signature (`ssh-keygen`'s default)
/// hashes the bytes with SHA-512 as [`verify`] does. Same result as [`verify`] on the same
/// bytes either way.
pub fn verify_bundle(
    bundle: &HashedBundle<'_>,
    signature: &str,
    signers: &AllowedSigners,
    identity: Option<&str>,
    now: u64,
) -> Result<Verified, VerifyError> {
    verify_with(
        bundle.bytes(),
        Some(bundle.sha256()),
        signature,
        signers,
        identity,
        now,
    )
}

/// The bytes an SSHSIG signature signs (PROTOCOL.sshsig): `"SSHSIG"`, then as SSH strings
/// (u32 big-endian length, bytes) the namespace, the reserved field, the hash algorithm's name
/// and the message's hash. ssh-key builds the same, but only from the message itself.
fn sshsig_signed_data(namespace: &str, reserved: &[u8], hash_alg: HashAlg, hash: &[u8]) -> Vec<u8> {
    let fields: [&[u8]; 4] = [
        namespace.as_bytes(),
        reserved,
        hash_alg.as_str().as_bytes(),
        hash,
    ];
    let mut data = Vec::with_capacity(6 + fields.iter().map(|f| 4 + f.len()).sum::<usize>());
    data.extend_from_slice(b"SSHSIG");
    for field in fields {
        // Every field here is far shorter than 4 GiB (a namespace, a hash).
        data.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
        data.extend_from_slice(field);
    }
    data
}

/// [`verify`], with `sha256` the SHA-256 of `message` when the caller has it.
fn verify_with(
    message: &[u8],
    sha256: Option<&[u8; 32]>,
    signature: &str,
    signers: &AllowedSigners,
    identity: Option<&str>,
    now: u64,
) -> Result<Verified, VerifyError> {
    if signature.trim().is_empty() {
        return Err(VerifyError::Unsigned);
    }
    let sig = SshSig::from_pem(signature.trim())
        .map_err(|e| VerifyError::MalformedSignature(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(VerifyError::WrongNamespace {
            found: sig.namespace().to_string(),
        });
    }
    let key = PublicKey::from(sig.public_key().clone());
    match (sig.hash_alg(), sha256) {
        // What `PublicKey::verify` does (the key is the signature's own and the namespace was
        // checked above), with the message's hash given instead of computed.
        (HashAlg::Sha256, Some(hash)) => {
            let data = sshsig_signed_data(sig.namespace(), sig.reserved(), HashAlg::Sha256, hash);
            signature::Verifier::verify(sig.public_key(), &data, sig.signature())
                .map_err(|_| VerifyError::BadSignature)?;
        }
        _ => key
            .verify(NAMESPACE, message, &sig)
            .map_err(|_| VerifyError::BadSignature)?,
    }
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();

    let mut first_failure = None;
    for signer in &signers.signers {
        if signer.cert_authority || signer.key.key_data() != key.key_data() {
            continue;
        }
        if identity.is_some_and(|id| !match_pattern_list(id, &signer.principals)) {
            continue;
        }
        match check_signer(signer, now) {
            Ok(()) => {
                return Ok(Verified {
                    principal: identity.map_or_else(|| signer.principals.clone(), str::to_string),
                    fingerprint,
                    line: signer.line,
                });
            }
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
    }
    Err(first_failure.unwrap_or(VerifyError::Untrusted {
        fingerprint,
        identity: identity.map(str::to_string),
    }))
}

fn check_signer(signer: &AllowedSigner, now: u64) -> Result<(), VerifyError> {
    if signer
        .namespaces
        .as_deref()
        .is_some_and(|list| !match_pattern_list(NAMESPACE, list))
    {
        return Err(VerifyError::NamespaceNotAllowed {
            principals: signer.principals.clone(),
        });
    }
    if let Some((after, text)) = &signer.valid_after
        && now < *after
    {
        return Err(VerifyError::NotYetValid {
            principals: signer.principals.clone(),
            valid_after: text.clone(),
        });
    }
    if let Some((before, text)) = &signer.valid_before
        && now > *before
    {
        return Err(VerifyError::Expired {
            principals: signer.principals.clone(),
            valid_before: text.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_listed_code() {
        let verify = [
            VerifyError::Unsigned,
            VerifyError::MalformedSignature(String::new()),
            VerifyError::WrongNamespace {
                found: String::new(),
            },
            VerifyError::BadSignature,
            VerifyError::Untrusted {
                fingerprint: String::new(),
                identity: None,
            },
            VerifyError::NamespaceNotAllowed {
                principals: String::new(),
            },
            VerifyError::Expired {
                principals: String::new(),
                valid_before: String::new(),
            },
            VerifyError::NotYetValid {
                principals: String::new(),
                valid_after: String::new(),
            },
        ];
        let sign = [
            SignError::InvalidKey(String::new()),
            SignError::EncryptedKey,
            SignError::UnsupportedAlgorithm(String::new()),
            SignError::Failed(String::new()),
        ];
        let signers = AllowedSignersError {
            line: 1,
            message: String::new(),
        };
        let mut ids: Vec<&str> = verify.iter().map(VerifyError::code).collect();
        ids.push(signers.code());
        ids.extend(sign.iter().map(SignError::code));
        let listed: Vec<&str> = CODES.iter().map(|c| c.id).collect();
        assert_eq!(ids, listed, "CODES lists every variant, in id order");
        let miette = |d: &dyn miette::Diagnostic| d.code().map(|c| c.to_string());
        for e in &verify {
            assert_eq!(miette(e).as_deref(), Some(e.code()));
        }
        for e in &sign {
            assert_eq!(miette(e).as_deref(), Some(e.code()));
        }
        assert_eq!(miette(&signers).as_deref(), Some(signers.code()));
    }

    #[test]
    fn signed_data_is_ssh_keys() {
        for message in [&b""[..], b"x", &[7u8; 1000]] {
            for alg in [HashAlg::Sha256, HashAlg::Sha512] {
                let ours = sshsig_signed_data(NAMESPACE, &[], alg, &alg.digest(message));
                let theirs = SshSig::signed_data(NAMESPACE, alg, message).unwrap();
                assert_eq!(ours, theirs, "{alg}");
            }
        }
    }

    #[test]
    fn patterns_match_like_openssh() {
        assert!(match_pattern("alice@example.com", "*@example.com"));
        assert!(match_pattern("alice", "al?ce"));
        assert!(match_pattern("", "*"));
        assert!(!match_pattern("alice", "bob"));
        assert!(!match_pattern("alice", "alic"));
        assert!(match_pattern("aXbXc", "a*b*c"));
        assert!(!match_pattern("aXbX", "a*b*c"));
        assert!(match_pattern_list("ci@x", "ops@x,ci@*"));
        assert!(!match_pattern_list("ci@x", "*@x,!ci@x"));
        assert!(!match_pattern_list("dev@y", "*@x"));
    }

    #[test]
    fn times_parse_as_utc() {
        assert_eq!(parse_time("19700101"), Ok(0));
        assert_eq!(parse_time("19700102Z"), Ok(86_400));
        assert_eq!(parse_time("202001010000"), Ok(1_577_836_800));
        assert_eq!(parse_time("20200101000001"), Ok(1_577_836_801));
        assert!(parse_time("2020010").is_err());
        assert!(parse_time("20201301").is_err());
        assert!(parse_time("2020x101").is_err());
    }

    #[test]
    fn options_split_outside_quotes() {
        assert_eq!(
            split_options(r#"namespaces="a,b",cert-authority"#),
            Ok(vec![r#"namespaces="a,b""#, "cert-authority"])
        );
        assert!(split_options("a,,b").is_err());
    }
}
