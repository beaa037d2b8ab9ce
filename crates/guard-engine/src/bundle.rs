//! The bundle format: a compiled policy, its metadata and its source map in one deterministic
//! byte string that carries its own digest.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! offset  size  content
//! 0       8     magic `GUARDBDL`
//! 8       2     format version (u16), currently 4
//! 10      8     body length n (u64)
//! 18      n     body: postcard of (BundleInfo, schema names, PolicyData, prefilter reduction,
//!               doc spans, compressed sources), in that order
//! 18+n    32    SHA-256 of bytes [0, 18+n)
//! ```
//!
//! The digest covers the header too, so any altered byte is caught before the body is decoded;
//! it is the bundle's identity (`sha256:<hex>` in decisions). Schema references (fields, enum
//! variants, action kinds) are stored by name, and the body lists every name the policy uses
//! so a loader can say which one it does not know.
//!
//! Doc spans (version 2): one `Option<[u32; 2]>` per rule. `Some([start, end])` means the
//! rule's doc comment is the `///` lines at bytes `start..end` of its source file, read back
//! as the parser reads them (after `///` and one space, lines joined by `\n`), and the rule
//! itself stores an empty doc; the shipped library's docs were otherwise stored twice (45 KB).
//! The encoder uses a span only when reading it back gives the rule's doc exactly; `None`
//! keeps the doc in the rule. Version 1 stored every doc in its rule; this engine refuses it
//! (GB002: rebuild the bundle).
//!
//! Prefilter reduction (version 3): what the rule prefilter makes of each rule's condition,
//! its *groups* (necessary conditions, each a list of atoms such as "`exec.args` has the value
//! `--force`"), which was two thirds of building the prefilter at load. Per rule its number of
//! groups, per group its number of atoms, then the atoms; strings by their id in the policy's
//! string table (or inline, for the part of a glob a simple glob tests), fields and enum types
//! by name, patterns by id. [`decode`] checks ranges and bounds (GB005), and the prefilter is
//! built from it without reducing. It is covered by the digest and the signature like the IR
//! itself: a wrong one can only come from a different engine version (which this format
//! version rules out) or from a signer who could as well have written an `allow` rule; the
//! tools that vouch for a bundle recompute it ([`LoadedBundle::check_fully`]). Version 2 had
//! no reduction; this engine refuses it (GB002: rebuild the bundle).
//!
//! The source texts are carried whole, test blocks included: each source's recorded SHA-256 is
//! then the file's own (`sha256sum` of the file at the recorded commit), and
//! [`LoadedBundle::check_fully`] can prove every carried text is that file.
//!
//! Compressed sources (version 4): [`BundleInfo`] lists each source's name, SHA-256 and
//! length in bytes; the texts themselves, concatenated in that order, are one raw deflate
//! stream (`miniz_oxide`, pinned version, level 9: deterministic), stored last as a byte string.
//! Evaluation never reads them (they serve messages, `inspect` and `check_fully`), so
//! [`decode`] keeps them compressed and checks rule and doc spans against the recorded
//! lengths; [`LoadedBundle::metadata`] inflates them on first use into a buffer of exactly the
//! recorded total (at most [`MAX_SOURCE_BYTES`], refused at decode past it) and refuses
//! (GB009) a stream that is corrupt, ends early, would write more, leaves input over, or is
//! not UTF-8 with each file's end a character boundary. The shipped library's ~300 KB of
//! sources were two thirds of a bundle's bytes, hashed at every load. Version 3 stored them
//! as text in the metadata; this engine refuses it (GB002: rebuild the bundle).
//!
//! Why postcard: the body is serde-derived data with no maps and no floats, so postcard's
//! encoding (varints, length-prefixed sequences, declaration-order fields) is canonical: the
//! same policy and metadata always give the same bytes. The IR keeps expressions in a flat
//! arena, so decoding never recurses over hostile nesting.
//!
//! Invariants: [`encode`] is deterministic (no timestamps, no hash-order iteration) and
//! [`decode`] never panics: every malformed input is a [`BundleError`] with a stable code.

use guard_model::{Action, BundleRef, Decision, Request};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ir::{self, Policy, PolicyData, Rule};
use crate::prefilter::{Reduced, reduce};

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"GUARDBDL";
/// The format version this engine writes and reads.
pub const FORMAT_VERSION: u16 = 4;
const HEADER_LEN: usize = 18;
const DIGEST_LEN: usize = 32;

/// One policy source file, carried in the bundle so messages can point at rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The path shown to users, relative to where the bundle was built.
    pub name: String,
    /// Hex SHA-256 of `text`.
    pub sha256: String,
    pub text: String,
}

impl Source {
    /// A source with its digest computed.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        Source {
            name: name.into(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            text,
        }
    }

    /// 1-based line and column of a byte offset (columns count characters).
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }
}

/// What a bundle says about itself: what [`encode`] writes. A decoded bundle keeps the source
/// texts compressed until asked ([`LoadedBundle::metadata`]); [`LoadedBundle::info`] is the
/// rest, read at load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The guard version that built it (`env!("CARGO_PKG_VERSION")` of the builder).
    pub guard_version: String,
    /// Monotonic revision; a runtime refuses to go back to an older one.
    pub revision: u64,
    /// The Git commit the sources came from, when built inside a repository.
    pub git_commit: Option<String>,
    /// Every source file, in the order rules' [`ir::SourceLoc::file`] index them.
    pub sources: Vec<Source>,
}

/// [`Metadata`] without the source texts: what a bundle stores uncompressed and a load reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleInfo {
    pub guard_version: String,
    pub revision: u64,
    pub git_commit: Option<String>,
    /// Every source file (name, digest, length), in [`ir::SourceLoc::file`] order.
    pub sources: Vec<SourceInfo>,
}

/// A carried source file without its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The path shown to users, relative to where the bundle was built.
    pub name: String,
    /// Hex SHA-256 of the text.
    pub sha256: String,
    /// The text's length in bytes.
    pub len: u32,
}

/// Most bytes of source text a bundle may carry (all files together): the compressed section
/// is never inflated past this, whatever its header says (a decompression bomb in a bundle
/// someone signed is refused, GB009, not allocated). The shipped library carries ~300 KB.
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// The deflate level the sources are compressed with. With the pinned `miniz_oxide` version,
/// the same texts always give the same bytes (`encode` is deterministic).
const DEFLATE_LEVEL: u8 = 9;

/// A decoded, validated bundle, ready to evaluate.
#[derive(Debug, Clone)]
pub struct LoadedBundle {
    pub format_version: u16,
    /// Everything the bundle says about itself but the source texts.
    pub info: BundleInfo,
    /// The policy. Rule docs stored as spans of the sources are empty here (the sources are
    /// not inflated at load): [`LoadedBundle::rule_docs`] has every rule's doc.
    pub policy: Policy,
    /// The sources' compressed section, as stored (raw deflate of the texts, concatenated).
    packed: Box<[u8]>,
    /// Per rule, where its doc is in its source file (format 2's doc spans).
    doc_spans: Box<[Option<[u32; 2]>]>,
    /// The inflated sources and docs, on first request.
    unpacked: std::sync::OnceLock<Result<Unpacked, BundleError>>,
    digest: [u8; DIGEST_LEN],
}

/// What inflating the sources gives: the full metadata and every rule's doc.
#[derive(Debug, Clone)]
struct Unpacked {
    metadata: Metadata,
    docs: Vec<String>,
}

impl LoadedBundle {
    /// `sha256:<hex>`: the digest stored in (and checked against) the bundle.
    pub fn digest(&self) -> String {
        format!("sha256:{}", hex::encode(self.digest))
    }

    pub fn bundle_ref(&self) -> BundleRef {
        BundleRef {
            digest: self.digest(),
            revision: self.info.revision,
        }
    }

    /// [`crate::evaluate`], with the decision naming this bundle.
    pub fn evaluate(&self, request: &Request, actions: &[Action]) -> Decision {
        let mut decision = crate::evaluate(&self.policy, request, actions);
        decision.bundle = Some(self.bundle_ref());
        decision
    }

    /// The bundle's metadata with the source texts, inflated on the first call (evaluation
    /// never needs them). Fails (GB009) when the compressed section does not inflate to the
    /// texts its header describes, and (GB005) when a rule's doc span is not `///` lines of
    /// its source; every later call gives the same answer.
    pub fn metadata(&self) -> Result<&Metadata, BundleError> {
        self.unpacked().map(|u| &u.metadata)
    }

    /// Every rule's doc comment, in [`Policy::rules`] order (those stored as spans of the
    /// sources read back from them): inflates the sources as [`Self::metadata`] does.
    pub fn rule_docs(&self) -> Result<&[String], BundleError> {
        self.unpacked().map(|u| u.docs.as_slice())
    }

    fn unpacked(&self) -> Result<&Unpacked, BundleError> {
        self.unpacked
            .get_or_init(|| unpack(&self.info, &self.packed, &self.doc_spans, &self.policy))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The bundle's bytes again, from what was loaded (docs and sources restored): equal to
    /// the bytes it was decoded from when this engine wrote them.
    pub fn encode(&self) -> Result<Vec<u8>, BundleError> {
        let docs = self.rule_docs()?;
        let mut data = self.policy.data().clone();
        for (rule, doc) in data.rules.iter_mut().zip(docs) {
            rule.doc.clone_from(doc);
        }
        let policy = Policy::new(data).map_err(|e| BundleError::Encode(e.to_string()))?;
        encode(&policy, self.metadata()?)
    }

    /// Checks what [`decode`] leaves to first use or takes on trust: every pattern compiles
    /// ([`Policy::check_patterns`]), the sources inflate and every doc span reads back
    /// ([`Self::metadata`]), every source's digest matches its text
    /// ([`Metadata::check_source_digests`]) and the stored prefilter reduction is this
    /// engine's reduction of the policy (see the module docs). A runtime need not call it (a
    /// regex that does not compile makes the decisions needing it `error`; the reduction is
    /// covered by the digest and the signature; evaluation never reads the sources), but tools
    /// that vouch for a bundle (`guard build`, `verify`, `inspect`) do, so such a bundle is
    /// refused before it is deployed. Failures are [`BundleError::Malformed`] (GB005) or, for
    /// the compressed sources, [`BundleError::Sources`] (GB009).
    pub fn check_fully(&self) -> Result<(), BundleError> {
        self.policy
            .check_patterns()
            .map_err(|e| BundleError::Malformed(e.to_string()))?;
        if self.policy.stored_reduction() != Some(&reduce(self.policy.data())) {
            return Err(BundleError::Malformed(
                "the stored prefilter reduction is not this engine's reduction of the policy"
                    .into(),
            ));
        }
        self.metadata()?
            .check_source_digests()
            .map_err(BundleError::Malformed)
    }

    /// The source file a rule was written in (inflates the sources, as [`Self::metadata`]).
    pub fn rule_source(&self, rule: &Rule) -> Result<Option<&Source>, BundleError> {
        Ok(self.metadata()?.sources.get(rule.source.file as usize))
    }
}

/// Inflates the sources' compressed section into the texts `info` describes, exactly (no byte
/// more or less, UTF-8, each file's end a character boundary), and reads the doc spans back.
fn unpack(
    info: &BundleInfo,
    packed: &[u8],
    doc_spans: &[Option<[u32; 2]>],
    policy: &Policy,
) -> Result<Unpacked, BundleError> {
    use miniz_oxide::inflate::TINFLStatus;
    use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
    let total = source_bytes(info)?;
    let bad = |what: String| BundleError::Sources(what);
    // `total` is at most `MAX_SOURCE_BYTES` (checked at decode and here), so this is bounded.
    let mut out = vec![0u8; usize::try_from(total).map_err(|_| bad("too large".into()))?];
    let mut inflater = Box::<DecompressorOxide>::default();
    // The whole input at once, into a buffer of exactly the declared size: a stream that
    // would write more stops with `HasMoreOutput`, one that ends early with `NeedsMoreInput`.
    let (status, read, written) = decompress(
        &mut inflater,
        packed,
        &mut out,
        0,
        inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
    );
    match status {
        TINFLStatus::Done if read == packed.len() && written == out.len() => {}
        TINFLStatus::Done if read != packed.len() => {
            return Err(bad(format!(
                "{} bytes after the end of the compressed sources",
                packed.len() - read.min(packed.len())
            )));
        }
        TINFLStatus::Done => {
            return Err(bad(format!(
                "the compressed sources inflate to {written} bytes, the header says {total}"
            )));
        }
        TINFLStatus::HasMoreOutput => {
            return Err(bad(format!(
                "the compressed sources inflate to more than the {total} bytes the header says"
            )));
        }
        other => {
            return Err(bad(format!(
                "the compressed sources are truncated or corrupt ({other:?})"
            )));
        }
    }
    let text = String::from_utf8(out).map_err(|_| bad("a source text is not UTF-8".into()))?;
    let mut sources = Vec::with_capacity(info.sources.len());
    let mut at = 0usize;
    for source in &info.sources {
        let end = at + source.len as usize;
        let Some(piece) = text.get(at..end) else {
            return Err(bad(format!(
                "source `{}` does not end on a character boundary",
                source.name
            )));
        };
        sources.push(Source {
            name: source.name.clone(),
            sha256: source.sha256.clone(),
            text: piece.to_owned(),
        });
        at = end;
    }
    let metadata = Metadata {
        guard_version: info.guard_version.clone(),
        revision: info.revision,
        git_commit: info.git_commit.clone(),
        sources,
    };
    let docs = read_docs(policy.rules(), doc_spans, &metadata).map_err(BundleError::Malformed)?;
    Ok(Unpacked { metadata, docs })
}

/// The total length of the source texts `info` describes, refused (GB009) past
/// [`MAX_SOURCE_BYTES`].
fn source_bytes(info: &BundleInfo) -> Result<u64, BundleError> {
    let total: u64 = info.sources.iter().map(|s| u64::from(s.len)).sum();
    if total > MAX_SOURCE_BYTES {
        return Err(BundleError::Sources(format!(
            "the header says the sources are {total} bytes, more than the {MAX_SOURCE_BYTES} a bundle may carry"
        )));
    }
    Ok(total)
}

/// Why a byte string is not a loadable bundle. Each variant has a stable code ([`Self::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum BundleError {
    /// GB001
    #[error("not a guard bundle: it does not start with the bundle magic bytes")]
    #[diagnostic(code(GB001), help("build bundles with `guard build`"))]
    BadMagic,
    /// GB002
    #[error(
        "unsupported bundle format version {found}; this engine reads version {FORMAT_VERSION}"
    )]
    #[diagnostic(code(GB002), help("rebuild the bundle with this version of guard"))]
    UnsupportedVersion { found: u16 },
    /// GB003
    #[error("truncated bundle: {len} bytes, expected {expected}")]
    #[diagnostic(code(GB003))]
    Truncated { len: usize, expected: u64 },
    /// GB004
    #[error("bundle digest mismatch: the bundle was altered or corrupted")]
    #[diagnostic(
        code(GB004),
        help("fetch or rebuild the bundle; never edit it by hand")
    )]
    DigestMismatch,
    /// GB005
    #[error("malformed bundle body: {0}")]
    #[diagnostic(code(GB005))]
    Malformed(String),
    /// GB006
    #[error("{extra} unexpected bytes after the bundle's digest")]
    #[diagnostic(code(GB006))]
    TrailingData { extra: usize },
    /// GB007
    #[error(
        "the bundle uses `{name}`, unknown to this engine (guard {engine}); it was built by guard {built_by}"
    )]
    #[diagnostic(
        code(GB007),
        help("run a guard at least as new as the one that built the bundle")
    )]
    SchemaMismatch {
        name: String,
        engine: String,
        built_by: String,
    },
    /// GB008
    #[error("cannot encode bundle: {0}")]
    #[diagnostic(code(GB008))]
    Encode(String),
    /// GB009
    #[error("the bundle's carried sources cannot be read: {0}")]
    #[diagnostic(
        code(GB009),
        help("rebuild the bundle with `guard build`; never edit it by hand")
    )]
    Sources(String),
}

/// Every bundle error code: id, kebab-case name, one-line summary.
pub const CODES: &[crate::ErrorCode] = &[
    crate::ErrorCode {
        id: "GB001",
        name: "guard::bundle::bad-magic",
        summary: "the file is not a guard bundle",
    },
    crate::ErrorCode {
        id: "GB002",
        name: "guard::bundle::unsupported-version",
        summary: "the bundle's format version is not one this engine reads",
    },
    crate::ErrorCode {
        id: "GB003",
        name: "guard::bundle::truncated",
        summary: "the bundle is shorter than its header says",
    },
    crate::ErrorCode {
        id: "GB004",
        name: "guard::bundle::digest-mismatch",
        summary: "the bundle's bytes do not match its digest",
    },
    crate::ErrorCode {
        id: "GB005",
        name: "guard::bundle::malformed-body",
        summary: "the bundle's digest is right but its body is not a valid policy: found at decode, or (a regex that does not compile, a source digest) by `guard build`, `verify` and `inspect`",
    },
    crate::ErrorCode {
        id: "GB006",
        name: "guard::bundle::trailing-data",
        summary: "bytes follow the bundle's digest",
    },
    crate::ErrorCode {
        id: "GB007",
        name: "guard::bundle::schema-mismatch",
        summary: "the bundle uses a field or enum variant this engine does not know",
    },
    crate::ErrorCode {
        id: "GB008",
        name: "guard::bundle::encode-failed",
        summary: "the policy and metadata cannot be written as a bundle",
    },
    crate::ErrorCode {
        id: "GB009",
        name: "guard::bundle::bad-sources",
        summary: "the bundle's compressed source texts do not inflate to what its header describes (corrupt, truncated, or over the size cap): found when the sources are read (`guard build`, `verify`, `inspect`), or at decode for a size over the cap",
    },
];

impl BundleError {
    /// The stable code (`GB001`).
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::BadMagic => "GB001",
            BundleError::UnsupportedVersion { .. } => "GB002",
            BundleError::Truncated { .. } => "GB003",
            BundleError::DigestMismatch => "GB004",
            BundleError::Malformed(_) => "GB005",
            BundleError::TrailingData { .. } => "GB006",
            BundleError::SchemaMismatch { .. } => "GB007",
            BundleError::Encode(_) => "GB008",
            BundleError::Sources(_) => "GB009",
        }
    }
}

#[derive(Serialize)]
struct BodyRef<'a> {
    info: &'a BundleInfo,
    schema_names: &'a [String],
    policy: &'a PolicyData,
    reduction: &'a Reduced,
    docs: &'a [Option<[u32; 2]>],
    sources: Packed<'a>,
}

/// The sources' compressed section: a byte string (postcard: its length, then the bytes; a
/// `&[u8]` would be a sequence of varints), borrowed from the bundle at decode.
struct Packed<'a>(&'a [u8]);

impl Serialize for Packed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl<'de> Deserialize<'de> for Packed<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Packed<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the compressed sources")
            }
            fn visit_borrowed_bytes<E: serde::de::Error>(
                self,
                bytes: &'de [u8],
            ) -> Result<Packed<'de>, E> {
                Ok(Packed(bytes))
            }
        }
        d.deserialize_bytes(Bytes)
    }
}

/// Where each rule's doc comment is in its source file, when it can be read back from there
/// exactly ([`doc_text`]); the rule then stores an empty doc. `None`: the doc is stored in the
/// rule (no doc, or one the source does not spell as `///` lines right above the rule).
fn doc_spans(policy: &Policy, metadata: &Metadata) -> Vec<Option<[u32; 2]>> {
    policy
        .rules()
        .iter()
        .map(|rule| {
            let source = metadata.sources.get(rule.source.file as usize)?;
            let span = doc_above(&source.text, rule.source.span[0] as usize)?;
            let [start, end] = span;
            let text = source.text.get(start as usize..end as usize)?;
            (!rule.doc.is_empty() && doc_text(text).as_deref() == Some(rule.doc.as_str()))
                .then_some(span)
        })
        .collect()
}

/// The block of `///` lines right above the line holding byte `at`: from the first line's
/// `///` to the end of the last line (its newline excluded).
fn doc_above(text: &str, at: usize) -> Option<[u32; 2]> {
    let mut end = text.get(..at)?.rfind('\n')?;
    let last = end;
    let mut first = None;
    loop {
        let line_start = text.get(..end)?.rfind('\n').map_or(0, |i| i + 1);
        let line = text.get(line_start..end)?;
        let trimmed = line.trim_start_matches([' ', '\t']);
        if !trimmed.starts_with("///") {
            break;
        }
        first = Some(line_start + (line.len() - trimmed.len()));
        if line_start == 0 {
            break;
        }
        end = line_start - 1;
    }
    Some([u32::try_from(first?).ok()?, u32::try_from(last).ok()?])
}

/// A doc comment's text from its `///` lines, as the parser reads it: each line after `///`
/// and one space, joined by `\n`. `None` when a line is not a doc comment line.
fn doc_text(lines: &str) -> Option<String> {
    let mut doc = String::with_capacity(lines.len());
    // Line ends found with `memchr` (SIMD): `str::split` was a twentieth of a decode.
    let ends = memchr::memchr_iter(b'\n', lines.as_bytes()).chain([lines.len()]);
    let mut start = 0;
    for end in ends {
        // `\n` is ASCII, so both ends are character boundaries.
        let line = lines.get(start..end)?;
        if start > 0 {
            doc.push('\n');
        }
        start = end + 1;
        // The common case first: no indentation, one space.
        let text = match line.strip_prefix("/// ") {
            Some(text) => text,
            None => {
                let line = line.trim_start_matches([' ', '\t']).strip_prefix("///")?;
                line.strip_prefix(' ').unwrap_or(line)
            }
        };
        doc.push_str(text);
    }
    Some(doc)
}

/// Writes a bundle. Deterministic: equal inputs give byte-identical output.
///
/// Fails (GB008) only when the metadata does not fit the policy: a rule points at a source
/// file the metadata lacks, or a source's digest does not match its text.
pub fn encode(policy: &Policy, metadata: &Metadata) -> Result<Vec<u8>, BundleError> {
    encode_with(policy, metadata, &reduce(policy.data()))
}

/// [`encode`] with the given prefilter reduction (tests store altered ones).
fn encode_with(
    policy: &Policy,
    metadata: &Metadata,
    reduction: &Reduced,
) -> Result<Vec<u8>, BundleError> {
    encode_raw(policy, metadata, reduction, |_, _| {})
}

/// [`encode_with`], with `alter` given the source list and compressed section before they are
/// written (tests write damaged ones).
fn encode_raw(
    policy: &Policy,
    metadata: &Metadata,
    reduction: &Reduced,
    alter: impl FnOnce(&mut BundleInfo, &mut Vec<u8>),
) -> Result<Vec<u8>, BundleError> {
    check_sources(policy, metadata).map_err(BundleError::Encode)?;
    let schema_names = policy.schema_names();
    let docs = doc_spans(policy, metadata);
    let mut data = policy.data().clone();
    for (rule, span) in data.rules.iter_mut().zip(&docs) {
        if span.is_some() {
            rule.doc.clear();
        }
    }
    let mut sources = Vec::with_capacity(metadata.sources.len());
    let mut texts = Vec::new();
    for source in &metadata.sources {
        let len = u32::try_from(source.text.len())
            .map_err(|_| BundleError::Encode(format!("source `{}` is over 4 GiB", source.name)))?;
        sources.push(SourceInfo {
            name: source.name.clone(),
            sha256: source.sha256.clone(),
            len,
        });
        texts.extend_from_slice(source.text.as_bytes());
    }
    let mut info = BundleInfo {
        guard_version: metadata.guard_version.clone(),
        revision: metadata.revision,
        git_commit: metadata.git_commit.clone(),
        sources,
    };
    if texts.len() as u64 > MAX_SOURCE_BYTES {
        return Err(BundleError::Encode(format!(
            "the sources are {} bytes, more than the {MAX_SOURCE_BYTES} a bundle may carry",
            texts.len()
        )));
    }
    let mut packed = miniz_oxide::deflate::compress_to_vec(&texts, DEFLATE_LEVEL);
    alter(&mut info, &mut packed);
    let body = postcard::to_stdvec(&BodyRef {
        info: &info,
        schema_names: &schema_names,
        policy: &data,
        reduction,
        docs: &docs,
        sources: Packed(&packed),
    })
    .map_err(|e| BundleError::Encode(e.to_string()))?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + DIGEST_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// A bundle file's bytes with the two SHA-256 digests loading it can need, computed in one
/// pass: of the bytes before the stored digest (what [`decode`] checks) and of the whole file
/// (what an SSHSIG signature made with `hashalg=sha256`, as `guard sign` makes them, signs).
/// The second is the first's hash state continued over the last 32 bytes, so a signed bundle
/// is hashed once instead of twice ([`crate::sign::verify_bundle`], [`decode_hashed`]).
#[derive(Debug, Clone)]
pub struct HashedBundle<'a> {
    bytes: &'a [u8],
    /// SHA-256 of all but the last [`DIGEST_LEN`] bytes; `None` when there are fewer.
    body: Option<[u8; DIGEST_LEN]>,
    whole: [u8; DIGEST_LEN],
}

impl<'a> HashedBundle<'a> {
    /// Hashes `bytes` (one pass over them).
    pub fn new(bytes: &'a [u8]) -> HashedBundle<'a> {
        let mut hasher = Sha256::new();
        let body = match bytes.len().checked_sub(DIGEST_LEN) {
            Some(at) => {
                let (head, tail) = bytes.split_at(at);
                hasher.update(head);
                let body: [u8; DIGEST_LEN] = hasher.clone().finalize().into();
                hasher.update(tail);
                Some(body)
            }
            None => {
                hasher.update(bytes);
                None
            }
        };
        HashedBundle {
            bytes,
            body,
            whole: hasher.finalize().into(),
        }
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// SHA-256 of the whole file.
    pub fn sha256(&self) -> &[u8; DIGEST_LEN] {
        &self.whole
    }
}

/// Reads and validates a bundle. Never panics; see [`BundleError`] for what it rejects.
///
/// This checks integrity, not trust: verify the signature ([`crate::sign::verify`]) before
/// enforcing a bundle.
pub fn decode(bytes: &[u8]) -> Result<LoadedBundle, BundleError> {
    decode_with(bytes, None)
}

/// [`decode`] of a bundle already hashed (for its signature): the same checks, without
/// hashing the bytes again.
pub fn decode_hashed(hashed: &HashedBundle<'_>) -> Result<LoadedBundle, BundleError> {
    decode_with(hashed.bytes, hashed.body.as_ref())
}

/// [`decode`]; `body_digest`, when given, is the SHA-256 of all but the last
/// [`DIGEST_LEN`] bytes of `bytes` ([`HashedBundle`] computes it from the same slice).
fn decode_with(
    bytes: &[u8],
    body_digest: Option<&[u8; DIGEST_LEN]>,
) -> Result<LoadedBundle, BundleError> {
    let magic_len = MAGIC.len();
    if bytes.len() < magic_len {
        return Err(if MAGIC.starts_with(bytes) {
            BundleError::Truncated {
                len: bytes.len(),
                expected: HEADER_LEN as u64,
            }
        } else {
            BundleError::BadMagic
        });
    }
    if bytes.get(..magic_len) != Some(&MAGIC[..]) {
        return Err(BundleError::BadMagic);
    }
    let truncated_header = || BundleError::Truncated {
        len: bytes.len(),
        expected: HEADER_LEN as u64,
    };
    let version = bytes
        .get(8..10)
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map(u16::from_le_bytes)
        .ok_or_else(truncated_header)?;
    if version != FORMAT_VERSION {
        return Err(BundleError::UnsupportedVersion { found: version });
    }
    let body_len = bytes
        .get(10..HEADER_LEN)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes)
        .ok_or_else(truncated_header)?;
    let expected = body_len.saturating_add((HEADER_LEN + DIGEST_LEN) as u64);
    let len = bytes.len() as u64;
    if len < expected {
        return Err(BundleError::Truncated {
            len: bytes.len(),
            expected,
        });
    }
    if len > expected {
        return Err(BundleError::TrailingData {
            extra: usize::try_from(len - expected).unwrap_or(usize::MAX),
        });
    }
    // `len == expected` and `bytes.len()` is a usize, so this fits.
    let signed_len = bytes.len() - DIGEST_LEN;
    let (signed, stored) = bytes.split_at(signed_len);
    let digest: [u8; DIGEST_LEN] = match body_digest {
        Some(digest) => *digest,
        None => Sha256::digest(signed).into(),
    };
    if stored != digest {
        return Err(BundleError::DigestMismatch);
    }
    let body = signed.get(HEADER_LEN..).unwrap_or(&[]);

    let malformed = |what: &str, e: postcard::Error| BundleError::Malformed(format!("{what}: {e}"));
    let (info, rest) =
        postcard::take_from_bytes::<BundleInfo>(body).map_err(|e| malformed("metadata", e))?;
    // Encoded as a list of strings; read into one buffer (a hundred allocations fewer).
    let (schema_names, rest) =
        postcard::take_from_bytes::<ir::Strings>(rest).map_err(|e| malformed("schema names", e))?;
    // Each name resolved once: for the error below and for `schema_names_are`.
    let mut schema_refs = Vec::with_capacity(schema_names.len());
    for name in schema_names.iter() {
        match ir::resolve_schema_name(name) {
            Some(r) => schema_refs.push(r),
            None => {
                return Err(BundleError::SchemaMismatch {
                    name: name.to_string(),
                    engine: env!("CARGO_PKG_VERSION").to_string(),
                    built_by: info.guard_version.clone(),
                });
            }
        }
    }
    let (data, rest) =
        postcard::take_from_bytes::<PolicyData>(rest).map_err(|e| malformed("policy", e))?;
    let (reduction, rest) = postcard::take_from_bytes::<Reduced>(rest)
        .map_err(|e| malformed("prefilter reduction", e))?;
    let (docs, rest) = postcard::take_from_bytes::<Vec<Option<[u32; 2]>>>(rest)
        .map_err(|e| malformed("doc comments", e))?;
    let (Packed(packed), rest) = postcard::take_from_bytes::<Packed<'_>>(rest)
        .map_err(|e| malformed("compressed sources", e))?;
    if !rest.is_empty() {
        return Err(BundleError::Malformed(format!(
            "{} unexpected bytes after the compressed sources",
            rest.len()
        )));
    }
    // Over the cap: refused now, never inflated.
    source_bytes(&info)?;
    let policy = Policy::new(data)
        .map_err(|e| BundleError::Malformed(e.to_string()))?
        .with_reduction(reduction)
        .map_err(BundleError::Malformed)?;
    // Spans against the recorded lengths: the texts stay compressed until asked for (and
    // are then checked to have exactly those lengths). The per-source digests were checked by
    // `encode`, and the bundle's digest (checked above) covers the compressed texts and every
    // recorded digest; `Metadata::check_source_digests` checks them on request.
    let lens: Vec<u32> = info.sources.iter().map(|s| s.len).collect();
    check_spans(&policy, &lens).map_err(BundleError::Malformed)?;
    check_doc_spans(&policy, &docs, &lens).map_err(BundleError::Malformed)?;
    if !policy.schema_names_are(&schema_names, &schema_refs) {
        return Err(BundleError::Malformed(
            "the schema name list does not match the policy".into(),
        ));
    }
    Ok(LoadedBundle {
        format_version: version,
        info,
        policy,
        packed: packed.into(),
        doc_spans: docs.into(),
        unpacked: std::sync::OnceLock::new(),
        digest,
    })
}

/// The doc spans fit the rules (one per rule; a spanned rule stores no doc) and their files
/// (within the recorded length). Whether each is `///` lines is seen when the sources are
/// inflated ([`read_docs`]).
fn check_doc_spans(policy: &Policy, docs: &[Option<[u32; 2]>], lens: &[u32]) -> Result<(), String> {
    let rules = policy.rules();
    if docs.len() != rules.len() {
        return Err(format!(
            "{} doc comment entries for {} rules",
            docs.len(),
            rules.len()
        ));
    }
    for (rule, span) in rules.iter().zip(docs) {
        let Some([start, end]) = *span else { continue };
        let len = lens.get(rule.source.file as usize).copied().unwrap_or(0);
        if !rule.doc.is_empty() || start > end || end > len {
            return Err(format!(
                "rule `{}` has a doc comment span outside its source or a doc besides",
                rule.id
            ));
        }
    }
    Ok(())
}

/// Every rule's doc: its own, or read back from the span of its source (see [`doc_spans`]).
fn read_docs(
    rules: &[Rule],
    docs: &[Option<[u32; 2]>],
    metadata: &Metadata,
) -> Result<Vec<String>, String> {
    if docs.len() != rules.len() {
        return Err(format!(
            "{} doc comment entries for {} rules",
            docs.len(),
            rules.len()
        ));
    }
    let mut out = Vec::with_capacity(rules.len());
    for (rule, span) in rules.iter().zip(docs) {
        let Some([start, end]) = *span else {
            out.push(rule.doc.clone());
            continue;
        };
        let text = metadata
            .sources
            .get(rule.source.file as usize)
            .and_then(|s| s.text.get(start as usize..end as usize));
        match text.and_then(doc_text) {
            Some(doc) if rule.doc.is_empty() => out.push(doc),
            _ => {
                return Err(format!(
                    "rule `{}` has a doc comment span that is not `///` lines of its source",
                    rule.id
                ));
            }
        }
    }
    Ok(out)
}

impl Metadata {
    /// Checks every source's recorded SHA-256 against its text. [`encode`] refuses metadata
    /// that fails this; [`decode`] does not repeat it (the bundle's digest covers the texts and
    /// their recorded digests), so tools that show provenance may.
    pub fn check_source_digests(&self) -> Result<(), String> {
        for source in &self.sources {
            if hex::encode(Sha256::digest(source.text.as_bytes())) != source.sha256 {
                return Err(format!(
                    "the digest of source `{}` does not match its text",
                    source.name
                ));
            }
        }
        Ok(())
    }
}

fn check_sources(policy: &Policy, metadata: &Metadata) -> Result<(), String> {
    metadata.check_source_digests()?;
    let lens: Vec<u32> = metadata
        .sources
        .iter()
        .map(|s| u32::try_from(s.text.len()).unwrap_or(u32::MAX))
        .collect();
    check_spans(policy, &lens)
}

/// Every rule points into a source file of the bundle (`lens`: their lengths), within its text.
fn check_spans(policy: &Policy, lens: &[u32]) -> Result<(), String> {
    for rule in policy.rules() {
        let file = rule.source.file as usize;
        let Some(&len) = lens.get(file) else {
            return Err(format!(
                "rule `{}` points at source file {file}, which the bundle lacks",
                rule.id
            ));
        };
        let [start, end] = rule.source.span;
        if start > end || end > len {
            return Err(format!(
                "rule `{}` has a span outside source file {file}",
                rule.id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{CmpOp, Pattern, PolicyBuilder, Quantifier, SourceLoc, TemplatePiece};
    use crate::prefilter::{Prefilter, StoredAtom, Text};
    use guard_model::schema::EnumType;
    use guard_model::{ActionKind, Builtin, Effect, Field, Mode};

    const SOURCE: &str = "module demo\nrule a: deny on exec\n";

    /// A policy whose reduction has every kind of atom: exact, present, enum, prefix (from a
    /// simple glob: an inline text), contains, pattern, folded; several groups; a rule on
    /// requests; a rule without a necessary condition.
    fn reduced_policy() -> Policy {
        let mut b = PolicyBuilder::new(Effect::Allow);
        let rule = |b: &mut PolicyBuilder, id: &str, on: Option<ActionKind>, condition| {
            let message = b.template(&[TemplatePiece::Text("m")]);
            b.rule(Rule {
                id: id.to_string(),
                doc: String::new(),
                effect: Effect::Deny,
                mode: Mode::Enforce,
                on,
                condition,
                message,
                help: Default::default(),
                controls: Vec::new(),
                source: SourceLoc {
                    file: 0,
                    span: [0, 4],
                },
            });
        };
        // exec.program in {rm, shred} and any p in exec.paths: p matches "/etc/*" and
        // (lower(exec.path) ends with ".pem" or exec.elevated)
        let program = b.field(Field::ExecProgram);
        let set = b.string_set(["rm", "shred"]);
        let set = b.set(set);
        let is_rm = b.is_in(program, set, false);
        let p = b.local(0);
        let under_etc = b.matches(p, Pattern::Glob("/etc/*".into())).unwrap_or(p);
        let paths = b.field(Field::ExecPaths);
        let any_etc = b.quantified(Quantifier::Any, 0, paths, under_etc);
        let path = b.field(Field::ExecPath);
        let lower = b.call(Builtin::Lower, vec![path]);
        let pem = b.str(".pem");
        let ends = b.call(Builtin::EndsWith, vec![lower, pem]);
        let elevated = b.field(Field::ExecElevated);
        let either = b.or(vec![ends, elevated]);
        let cond = b.and(vec![is_rm, any_etc, either]);
        rule(&mut b, "demo.a", Some(ActionKind::Exec), cond);
        // stmt.kind in {drop} and contains(exec-free text) and stmt.tables matches a regex
        let kind = b.field(Field::StmtKind);
        let drop = crate::ir::EnumValue::named(EnumType::StatementKind, "drop");
        let kinds = b.enum_set(EnumType::StatementKind, drop);
        let kinds = b.set(kinds);
        let is_drop = b.is_in(kind, kinds, false);
        let t = b.local(0);
        let secret = b.str("secret");
        let has_secret = b.call(Builtin::Contains, vec![t, secret]);
        let tables = b.field(Field::StmtTables);
        let any_secret = b.quantified(Quantifier::Any, 0, tables, has_secret);
        let t = b.local(0);
        let re = b.matches(t, Pattern::Regex("^a+b$".into())).unwrap_or(t);
        let tables = b.field(Field::StmtTables);
        let any_re = b.quantified(Quantifier::Any, 0, tables, re);
        let cond = b.and(vec![is_drop, any_secret, any_re]);
        rule(&mut b, "demo.b", Some(ActionKind::Sql), cond);
        // On requests, and a rule with nothing to reduce.
        let env = b.field(Field::TargetEnv);
        let prod = b.str("production");
        let is_prod = b.compare(CmpOp::Eq, env, prod);
        rule(&mut b, "demo.c", None, is_prod);
        let elevated = b.field(Field::ExecElevated);
        let not = b.not(elevated);
        rule(&mut b, "demo.d", Some(ActionKind::Exec), not);
        b.finish().unwrap()
    }

    fn reduced_metadata() -> Metadata {
        Metadata {
            guard_version: "0.1.0".into(),
            revision: 1,
            git_commit: None,
            sources: vec![Source::new("demo.guard", SOURCE)],
        }
    }

    #[test]
    fn the_sample_reduction_has_every_kind_of_atom() {
        let reduced = reduce(reduced_policy().data());
        assert_eq!(reduced.groups, [3, 3, 0, 0]);
        let has = |f: fn(&StoredAtom) -> bool| reduced.atoms.iter().any(f);
        assert!(has(|a| matches!(a, StoredAtom::Exact(_, Text::Str(_)))));
        assert!(has(|a| matches!(a, StoredAtom::Present(_))));
        assert!(has(|a| matches!(a, StoredAtom::Enum(..))));
        assert!(has(|a| matches!(a, StoredAtom::Prefix(_, Text::Inline(_)))));
        assert!(has(|a| matches!(a, StoredAtom::Contains(..))));
        assert!(has(|a| matches!(a, StoredAtom::Pattern(..))));
        assert!(has(|a| matches!(a, StoredAtom::Folded { .. })));
    }

    /// The prefilter built from a decoded bundle's stored reduction is the one built by
    /// reducing the policy, field for field.
    #[test]
    fn a_stored_reduction_builds_the_same_prefilter() {
        let policy = reduced_policy();
        let bytes = encode(&policy, &reduced_metadata()).unwrap();
        let loaded = decode(&bytes).unwrap();
        let stored = loaded.policy.stored_reduction().unwrap();
        assert_eq!(stored, &reduce(policy.data()));
        loaded.check_fully().unwrap();
        let fresh = format!("{:?}", Prefilter::new(policy.data()));
        assert_eq!(
            format!(
                "{:?}",
                Prefilter::from_reduced(loaded.policy.data(), stored)
            ),
            fresh
        );
        assert_eq!(format!("{:?}", loaded.policy.prefilter()), fresh);
    }

    fn sealed(reduction: &Reduced) -> Result<LoadedBundle, BundleError> {
        decode(&encode_with(&reduced_policy(), &reduced_metadata(), reduction).unwrap())
    }

    /// A reduction that is in range but not the policy's loads (the digest and the signature
    /// vouch for it), and `check_fully` refuses it.
    #[test]
    fn an_altered_reduction_fails_check_fully() {
        let right = reduce(reduced_policy().data());
        let mut alterations = Vec::new();
        // Another string of the policy.
        let mut r = right.clone();
        let at = r
            .atoms
            .iter()
            .position(|a| matches!(a, StoredAtom::Exact(..)))
            .unwrap();
        if let Some(StoredAtom::Exact(_, Text::Str(id))) = r.atoms.get_mut(at) {
            id.0 = (id.0 + 1) % u32::try_from(reduced_policy().data().strings.len()).unwrap();
        }
        alterations.push(r);
        // One group fewer for the first rule.
        let mut r = right.clone();
        r.groups[0] -= 1;
        let last = usize::from(r.groups[0]);
        let size = usize::from(r.sizes.remove(last));
        let start: usize = r.sizes[..last].iter().map(|s| usize::from(*s)).sum();
        r.atoms.drain(start..start + size);
        alterations.push(r);
        // No groups at all: the same index as a policy nothing can be ruled out in.
        alterations.push(Reduced {
            groups: vec![0; 4],
            ..Reduced::default()
        });
        // An inline text changed.
        let mut r = right.clone();
        for a in &mut r.atoms {
            if let StoredAtom::Prefix(_, t @ Text::Inline(_)) = a {
                *t = Text::Inline("/usr/".into());
            }
        }
        alterations.push(r);
        for altered in alterations {
            assert_ne!(altered, right);
            let loaded = sealed(&altered).unwrap();
            let err = loaded.check_fully().unwrap_err();
            assert_eq!(err.code(), "GB005", "{err}");
        }
        sealed(&right).unwrap().check_fully().unwrap();
    }

    /// Out-of-range ids and broken counts are malformed at decode.
    #[test]
    fn an_invalid_reduction_is_malformed() {
        let right = reduce(reduced_policy().data());
        let strings = u32::try_from(reduced_policy().data().strings.len()).unwrap();
        let mut cases: Vec<(&str, Reduced)> = Vec::new();
        let mut r = right.clone();
        for a in &mut r.atoms {
            if let StoredAtom::Exact(_, Text::Str(id)) = a {
                id.0 = strings;
            }
        }
        cases.push(("string id", r));
        let mut r = right.clone();
        for a in &mut r.atoms {
            if let StoredAtom::Pattern(_, p) = a {
                p.0 = 9;
            }
        }
        cases.push(("pattern id", r));
        let mut r = right.clone();
        for a in &mut r.atoms {
            if let StoredAtom::Present(f) = a {
                *f = u16::try_from(r.fields.len()).unwrap();
            }
        }
        cases.push(("field index", r));
        let mut r = right.clone();
        for a in &mut r.atoms {
            if let StoredAtom::Enum(_, _, mask) = a {
                *mask |= 1 << 120;
            }
        }
        cases.push(("enum mask", r));
        let mut r = right.clone();
        r.groups.pop();
        cases.push(("a rule short", r));
        let mut r = right.clone();
        r.groups[2] = 1;
        r.sizes.push(0);
        cases.push(("groups on a request rule", r));
        let mut r = right.clone();
        r.atoms.push(StoredAtom::Present(0));
        cases.push(("an atom too many", r));
        let mut r = right.clone();
        r.atoms.pop();
        cases.push(("an atom short", r));
        let mut r = right.clone();
        r.groups[3] = 7;
        r.sizes.extend([0; 7]);
        cases.push(("too many groups", r));
        let mut r = right.clone();
        r.groups[3] = 1;
        r.sizes.push(257);
        r.atoms.extend((0..257).map(|_| StoredAtom::Present(0)));
        cases.push(("too many atoms", r));
        for (what, altered) in cases {
            let err = sealed(&altered)
                .err()
                .unwrap_or_else(|| panic!("{what}: accepted"));
            assert_eq!(err.code(), "GB005", "{what}: {err}");
        }
    }

    /// A bundle of [`reduced_policy`] whose source list and compressed section `alter` has
    /// changed (the digest is then computed over the changed bytes, as a signer would).
    fn repacked(
        alter: impl FnOnce(&mut BundleInfo, &mut Vec<u8>),
    ) -> Result<LoadedBundle, BundleError> {
        let policy = reduced_policy();
        decode(&encode_raw(&policy, &reduced_metadata(), &reduce(policy.data()), alter).unwrap())
    }

    /// Sources that inflate to exactly what the header says load and read back.
    #[test]
    fn compressed_sources_inflate_on_request() {
        let loaded = repacked(|_, _| {}).unwrap();
        assert_eq!(loaded.metadata().unwrap(), &reduced_metadata());
        assert_eq!(loaded.info.sources[0].len as usize, SOURCE.len());
        loaded.check_fully().unwrap();
        // Replacing the stream by an equivalent one (another level) is still the same texts.
        let loaded = repacked(|_, packed| {
            *packed = miniz_oxide::deflate::compress_to_vec(SOURCE.as_bytes(), 1);
        })
        .unwrap();
        assert_eq!(loaded.metadata().unwrap(), &reduced_metadata());
    }

    /// Every way the compressed section can fail to be the texts its header describes is
    /// GB009 when the sources are read, and `check_fully` refuses the bundle; the policy
    /// itself loads and evaluates as it would (evaluation never reads the sources).
    #[test]
    fn damaged_compressed_sources_are_refused_when_read() {
        let zeros = vec![0u8; 8 << 20];
        type Alter = Box<dyn FnOnce(&mut BundleInfo, &mut Vec<u8>)>;
        let cases: Vec<(&str, Alter)> = vec![
            ("garbage", Box::new(|_, p| *p = vec![0xff; 40])),
            ("empty", Box::new(|_, p| p.clear())),
            ("truncated", Box::new(|_, p| p.truncate(p.len() / 2))),
            (
                "last byte cut",
                Box::new(|_, p| {
                    p.pop();
                }),
            ),
            (
                "bytes after the stream",
                Box::new(|_, p| p.extend_from_slice(&[0, 1, 2])),
            ),
            ("inflates to more", Box::new(|i, _| i.sources[0].len -= 1)),
            ("inflates to less", Box::new(|i, _| i.sources[0].len += 10)),
            (
                "a bomb: 8 MiB for a header of 35 bytes",
                Box::new(move |_, p| *p = miniz_oxide::deflate::compress_to_vec(&zeros, 9)),
            ),
            (
                "not UTF-8",
                Box::new(|i, p| {
                    let mut text = SOURCE.as_bytes().to_vec();
                    text[3] = 0xc3;
                    i.sources[0].len = u32::try_from(text.len()).unwrap();
                    *p = miniz_oxide::deflate::compress_to_vec(&text, 9);
                }),
            ),
            (
                "a file ending inside a character",
                Box::new(|i, p| {
                    let text = format!("{SOURCE}é");
                    i.sources[0].len = u32::try_from(text.len()).unwrap() - 1;
                    i.sources.push(SourceInfo {
                        name: "b.guard".into(),
                        sha256: String::new(),
                        len: 1,
                    });
                    *p = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
                }),
            ),
        ];
        let request = crate::test_support::request("production", "x");
        let action = crate::test_support::sql(guard_model::StatementKind::Drop, &["t"], [0, 1]);
        let expected = repacked(|_, _| {})
            .unwrap()
            .evaluate(&request, std::slice::from_ref(&action));
        for (what, alter) in cases {
            let loaded = repacked(alter).unwrap_or_else(|e| panic!("{what}: {e}"));
            for err in [
                loaded.metadata().unwrap_err(),
                loaded.rule_docs().unwrap_err(),
                loaded.check_fully().unwrap_err(),
                loaded.encode().unwrap_err(),
            ] {
                assert_eq!(err.code(), "GB009", "{what}: {err}");
            }
            let decision = loaded.evaluate(&request, std::slice::from_ref(&action));
            assert_eq!(decision.decision, expected.decision, "{what}");
            assert_eq!(decision.matches.len(), expected.matches.len(), "{what}");
        }
    }

    /// A header claiming more source text than the cap is refused at decode, before anything
    /// is inflated or allocated.
    #[test]
    fn sources_over_the_cap_are_refused_at_decode() {
        let err = repacked(|i, _| {
            i.sources[0].len = u32::MAX;
            for n in 0..16 {
                i.sources.push(SourceInfo {
                    name: format!("{n}.guard"),
                    sha256: String::new(),
                    len: u32::MAX,
                });
            }
        })
        .unwrap_err();
        assert_eq!(err.code(), "GB009", "{err}");
        // Exactly at the cap is not refused for its size (it fails for its content).
        let loaded = repacked(|i, _| {
            i.sources[0].len = u32::try_from(MAX_SOURCE_BYTES).unwrap();
        })
        .unwrap();
        let err = loaded.metadata().unwrap_err();
        assert_eq!(err.code(), "GB009", "{err}");
        assert!(err.to_string().contains("inflate to"), "{err}");
    }

    /// `doc_text` as it was written first, with `str::split`: the reference for the
    /// memchr version.
    fn doc_text_reference(lines: &str) -> Option<String> {
        let mut doc = Vec::new();
        for line in lines.split('\n') {
            let line = line.trim_start_matches([' ', '\t']).strip_prefix("///")?;
            doc.push(line.strip_prefix(' ').unwrap_or(line));
        }
        Some(doc.join("\n"))
    }

    #[test]
    fn doc_text_reads_doc_lines_as_the_parser_does() {
        for text in [
            "",
            "///",
            "/// a",
            "///a\n///  b\n  \t/// c",
            "/// a\n",
            "\n/// a",
            "/// a\n\n/// b",
            "/// a\n// b",
            "/// é ü\n/// ∀x",
            "//// four",
        ] {
            assert_eq!(doc_text(text), doc_text_reference(text), "{text:?}");
        }
        assert_eq!(doc_text("/// a\n///b").as_deref(), Some("a\nb"));
    }

    proptest::proptest! {
        #[test]
        fn doc_text_agrees_with_reference(text in "([/ \t\na-cé]{0,6}){0,12}") {
            proptest::prop_assert_eq!(doc_text(&text), doc_text_reference(&text));
        }
    }

    #[test]
    fn every_error_has_a_listed_code() {
        let errors = [
            BundleError::BadMagic,
            BundleError::UnsupportedVersion { found: 9 },
            BundleError::Truncated {
                len: 0,
                expected: 1,
            },
            BundleError::DigestMismatch,
            BundleError::Malformed(String::new()),
            BundleError::TrailingData { extra: 1 },
            BundleError::SchemaMismatch {
                name: String::new(),
                engine: String::new(),
                built_by: String::new(),
            },
            BundleError::Encode(String::new()),
            BundleError::Sources(String::new()),
        ];
        let ids: Vec<&str> = errors.iter().map(BundleError::code).collect();
        let listed: Vec<&str> = CODES.iter().map(|c| c.id).collect();
        assert_eq!(ids, listed, "CODES lists every variant, in id order");
        for error in &errors {
            let miette_code = miette::Diagnostic::code(error).map(|c| c.to_string());
            assert_eq!(miette_code.as_deref(), Some(error.code()));
        }
    }
}
