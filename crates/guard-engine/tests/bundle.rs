//! The bundle format: round trip, determinism, and rejection of every damaged input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use guard_engine::bundle::{FORMAT_VERSION, MAGIC};
use guard_engine::ir::SourceLoc;
use guard_engine::{BundleError, Metadata, Source, decode, encode};
use guard_model::{DecisionKind, StatementKind};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use support::*;

fn bundle() -> Vec<u8> {
    encode(&small_policy(), &metadata()).unwrap()
}

/// Recomputes the trailing digest so a change reaches the body decoder.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 32;
    let digest = Sha256::digest(&bytes[..n]);
    bytes[n..].copy_from_slice(&digest);
}

/// The policy's data as it was encoded: the decoded rules with their docs read back.
fn data_with_docs(loaded: &guard_engine::LoadedBundle) -> guard_engine::PolicyData {
    let mut data = loaded.policy.data().clone();
    for (rule, doc) in data.rules.iter_mut().zip(loaded.rule_docs().unwrap()) {
        rule.doc.clone_from(doc);
    }
    data
}

fn varint(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

/// `bytes` with the compressed sources (the last field of the body: its length, then the
/// stream of `texts` as `encode` compresses it) replaced by `packed`, and with the header's
/// length and the digest made right for the new body.
fn repack(bytes: &[u8], texts: &[u8], packed: &[u8]) -> Vec<u8> {
    let n = bytes.len() - 32;
    let old = miniz_oxide::deflate::compress_to_vec(texts, 9);
    let prefix = varint(old.len());
    let start = n - old.len() - prefix.len();
    assert_eq!(
        &bytes[start..n],
        [prefix, old].concat(),
        "the stream is last"
    );
    let mut out = bytes[..start].to_vec();
    out.extend_from_slice(&varint(packed.len()));
    out.extend_from_slice(packed);
    let body_len = (out.len() - 18) as u64;
    out[10..18].copy_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&[0; 32]);
    reseal(&mut out);
    out
}

#[test]
fn round_trips_policy_and_metadata() {
    let policy = small_policy();
    let loaded = decode(&encode(&policy, &metadata()).unwrap()).unwrap();
    assert_eq!(&data_with_docs(&loaded), policy.data());
    assert_eq!(loaded.metadata().unwrap(), &metadata());
    assert_eq!(loaded.info.revision, metadata().revision);
    assert_eq!(loaded.format_version, FORMAT_VERSION);
    let rule = &loaded.policy.rules()[0];
    assert_eq!(
        loaded.rule_source(rule).unwrap().map(|s| s.name.as_str()),
        Some("policies/demo.guard")
    );
    assert_eq!(
        loaded.metadata().unwrap().sources[0].line_col(rule.source.span[0]),
        (3, 1)
    );

    let request = request("production", "DROP TABLE users");
    let decision = loaded.evaluate(
        &request,
        &[sql(StatementKind::Drop, &["public.users"], [0, 16])],
    );
    assert_eq!(decision.decision, DecisionKind::Deny);
    let bundle = decision.bundle.unwrap();
    assert_eq!(bundle.revision, 7);
    assert_eq!(bundle.digest, loaded.digest());
}

#[test]
fn encoding_is_deterministic() {
    // Two independently built policies, encoded separately: byte-identical.
    let a = encode(&small_policy(), &metadata()).unwrap();
    let b = encode(&small_policy(), &metadata()).unwrap();
    assert_eq!(a, b);
    // Decode and re-encode: still identical.
    let loaded = decode(&a).unwrap();
    assert_eq!(loaded.encode().unwrap(), a);
}

#[test]
fn layout_and_digest() {
    let bytes = bundle();
    assert_eq!(&bytes[..8], &MAGIC);
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), FORMAT_VERSION);
    let body_len = u64::from_le_bytes(bytes[10..18].try_into().unwrap());
    assert_eq!(body_len as usize, bytes.len() - 18 - 32);
    let digest = decode(&bytes).unwrap().digest();
    assert_eq!(
        digest,
        format!(
            "sha256:{}",
            hex::encode(Sha256::digest(&bytes[..bytes.len() - 32]))
        )
    );
    // Metadata changes the digest.
    let mut other = metadata();
    other.revision += 1;
    let other = decode(&encode(&small_policy(), &other).unwrap()).unwrap();
    assert_ne!(other.digest(), digest);
}

#[test]
fn every_truncation_is_rejected() {
    let bytes = bundle();
    for len in 0..bytes.len() {
        let err = decode(&bytes[..len])
            .err()
            .unwrap_or_else(|| panic!("accepted at {len} bytes"));
        assert_eq!(err.code(), "GB003", "at {len} bytes: {err}");
    }
}

#[test]
fn every_altered_byte_is_rejected() {
    let bytes = bundle();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut altered = bytes.clone();
            altered[i] ^= mask;
            let err = decode(&altered)
                .err()
                .unwrap_or_else(|| panic!("accepted with byte {i} ^ {mask:#x}"));
            let expected = match i {
                0..8 => "GB001",
                8..10 => "GB002",
                // A changed length reads as truncation (longer) or trailing data (shorter).
                10..18 => {
                    assert!(matches!(err.code(), "GB003" | "GB006"), "byte {i}: {err}");
                    continue;
                }
                _ => "GB004",
            };
            assert_eq!(err.code(), expected, "byte {i} ^ {mask:#x}: {err}");
        }
    }
}

#[test]
fn header_errors_are_specific() {
    assert_eq!(
        decode(b"PK\x03\x04 not a bundle at all").err(),
        Some(BundleError::BadMagic)
    );
    assert_eq!(decode(b"GUA").err().map(|e| e.code()), Some("GB003"));
    assert_eq!(decode(b"").err().map(|e| e.code()), Some("GB003"));
    assert_eq!(decode(b"XYZ").err(), Some(BundleError::BadMagic));

    // Versions 1 (before docs were read from the sources), 3 (sources not compressed) and a
    // future version.
    for version in [1u16, 3, FORMAT_VERSION + 1] {
        let mut other = bundle();
        other[8..10].copy_from_slice(&version.to_le_bytes());
        let err = decode(&other).err();
        assert_eq!(
            err,
            Some(BundleError::UnsupportedVersion { found: version })
        );
        assert_eq!(
            err.unwrap().to_string(),
            format!(
                "unsupported bundle format version {version}; this engine reads version {FORMAT_VERSION}"
            )
        );
    }

    let mut trailing = bundle();
    trailing.extend_from_slice(b"\n");
    assert_eq!(
        decode(&trailing).err(),
        Some(BundleError::TrailingData { extra: 1 })
    );

    let mut huge = bundle();
    huge[10..18].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(decode(&huge).err().map(|e| e.code()), Some("GB003"));
}

#[test]
fn a_field_unknown_to_this_engine_is_named() {
    let bytes = bundle();
    // Rename `stmt.kind` to a same-length name this engine does not have, then reseal.
    let needle = b"stmt.kind";
    let mut patched = bytes.clone();
    let mut replaced = 0;
    for i in 0..patched.len() - needle.len() {
        if &patched[i..i + needle.len()] == needle {
            patched[i..i + needle.len()].copy_from_slice(b"stmt.kinx");
            replaced += 1;
        }
    }
    assert!(
        replaced >= 2,
        "the schema list and the node both name the field"
    );
    reseal(&mut patched);
    match decode(&patched) {
        Err(BundleError::SchemaMismatch { name, built_by, .. }) => {
            assert_eq!(name, "field:stmt.kinx");
            assert_eq!(built_by, "0.1.0");
        }
        other => panic!("expected GB007, got {other:?}"),
    }
}

#[test]
fn a_resealed_garbage_body_is_malformed() {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&5u64.to_le_bytes());
    bytes.extend_from_slice(&[0xff; 5]);
    bytes.extend_from_slice(&[0; 32]);
    reseal(&mut bytes);
    assert_eq!(decode(&bytes).err().map(|e| e.code()), Some("GB005"));
}

#[test]
fn encode_checks_metadata_against_the_policy() {
    let mut m = metadata();
    m.sources.clear();
    assert_eq!(
        encode(&small_policy(), &m).err().map(|e| e.code()),
        Some("GB008")
    );
    let mut m = metadata();
    m.sources[0].text.push('x');
    assert_eq!(
        encode(&small_policy(), &m).err().map(|e| e.code()),
        Some("GB008")
    );
    let mut data = small_policy().into_data();
    data.rules[0].source = SourceLoc {
        file: 0,
        span: [0, 10_000],
    };
    let policy = guard_engine::Policy::new(data).unwrap();
    assert_eq!(
        encode(&policy, &metadata()).err().map(|e| e.code()),
        Some("GB008")
    );
    let empty = Metadata {
        guard_version: String::new(),
        revision: 0,
        git_commit: None,
        sources: vec![Source::new("a", "")],
    };
    let none = guard_engine::PolicyBuilder::new(guard_model::Effect::Deny)
        .finish()
        .unwrap();
    assert!(decode(&encode(&none, &empty).unwrap()).is_ok());
}

/// Shorter than 128 bytes, so every offset is one postcard byte.
const DOC_SOURCE: &str = "module demo\n\n/// Drops empty\n  ///production.\n///\nrule no_drop: deny on sql\n\n/// Other text.\nrule rm_rf: warn on exec\n";

/// `small_policy` over [`DOC_SOURCE`]: the first rule's doc is the `///` lines above it, the
/// second's is not what its source says, the third has none.
fn doc_bundle() -> (guard_engine::Policy, Metadata, Vec<u8>) {
    let mut data = small_policy().into_data();
    let rule_at = |name: &str| DOC_SOURCE.find(name).unwrap() as u32;
    data.rules[0].doc = "Drops empty\nproduction.\n".into();
    data.rules[0].source = SourceLoc {
        file: 0,
        span: [rule_at("rule no_drop"), rule_at("rule no_drop") + 10],
    };
    data.rules[1].doc = "Not the source's text.".into();
    data.rules[1].source = SourceLoc {
        file: 0,
        span: [rule_at("rule rm_rf"), rule_at("rule rm_rf") + 5],
    };
    data.rules[2].doc = String::new();
    let policy = guard_engine::Policy::new(data).unwrap();
    let mut m = metadata();
    m.sources = vec![Source::new("policies/demo.guard", DOC_SOURCE)];
    let bytes = encode(&policy, &m).unwrap();
    (policy, m, bytes)
}

#[test]
fn docs_are_read_from_the_sources_when_they_spell_them() {
    let (policy, m, bytes) = doc_bundle();
    let loaded = decode(&bytes).unwrap();
    assert_eq!(&data_with_docs(&loaded), policy.data());
    assert_eq!(loaded.metadata().unwrap(), &m);
    assert_eq!(loaded.encode().unwrap(), bytes);
    // Read from the source on request; the rule itself stores none.
    assert_eq!(loaded.policy.rules()[0].doc, "");
    assert_eq!(loaded.rule_docs().unwrap()[0], "Drops empty\nproduction.\n");
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    // Only in the (compressed) source; the doc the source does not spell is stored as is.
    assert_eq!(count(b"Drops empty"), 0);
    assert_eq!(count(b"Not the source's text."), 1);
    assert_eq!(count(b"Other text."), 0);
}

/// Where the doc list (`3, Some(start, end), None, None` in postcard) is in [`doc_bundle`].
fn doc_list_at(bytes: &[u8]) -> usize {
    let start = DOC_SOURCE.find("/// Drops").unwrap() as u8;
    let end = DOC_SOURCE.find("\nrule no_drop").unwrap() as u8;
    let list = [3, 1, start, end, 0, 0];
    let at: Vec<usize> = (0..bytes.len() - list.len())
        .filter(|&i| bytes[i..i + list.len()] == list)
        .collect();
    assert_eq!(at.len(), 1, "the doc list is found once");
    at[0]
}

#[test]
fn a_doc_span_that_is_not_doc_lines_is_malformed() {
    let (_, _, bytes) = doc_bundle();
    assert!(DOC_SOURCE.len() < 120);
    let list = doc_list_at(&bytes);
    let start = DOC_SOURCE.find("/// Drops").unwrap() as u8;
    let end = DOC_SOURCE.find("\nrule no_drop").unwrap() as u8;
    let at = list + 2;
    for (s, e) in [
        (start + 1, end), // starts inside `///`
        (start, end + 1), // takes the `rule` line's first byte
        (start, start),   // empty
        (end, start),     // reversed
        (start, 120),     // past the end of the text
        (0, end),         // starts with `module`
    ] {
        let mut altered = bytes.clone();
        altered[at] = s;
        altered[at + 1] = e;
        reseal(&mut altered);
        // Out of the text: at decode; not `///` lines: when the sources are read.
        let err = decode(&altered)
            .and_then(|loaded| loaded.rule_docs().map(|_| ()))
            .err()
            .unwrap_or_else(|| panic!("accepted {s}..{e}"));
        assert_eq!(err.code(), "GB005", "{s}..{e}: {err}");
    }
    // One entry too few.
    let mut short = bytes[..list].to_vec();
    short.extend_from_slice(&[2, 1, start, end, 0]);
    short.extend_from_slice(&bytes[list + 6..bytes.len() - 32]);
    let body_len = (short.len() - 18) as u64;
    short[10..18].copy_from_slice(&body_len.to_le_bytes());
    short.extend_from_slice(&[0; 32]);
    reseal(&mut short);
    assert_eq!(decode(&short).err().map(|e| e.code()), Some("GB005"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        prop_assert!(decode(&bytes).is_err());
    }

    /// Changes that keep the digest valid reach the body decoder and validation: they may
    /// load (a changed string) but must never panic.
    #[test]
    fn resealed_mutations_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut bytes = bundle();
        for (at, value) in edits {
            let i = 18 + at.index(bytes.len() - 18 - 32);
            bytes[i] = value;
        }
        reseal(&mut bytes);
        if let Ok(loaded) = decode(&bytes) {
            let _ = loaded.evaluate(&request("production", "x"), &[sql(StatementKind::Drop, &["t"], [0, 1])]);
            let _ = loaded.rule_docs();
            let _ = loaded.check_fully();
        }
    }

    /// The same over a bundle whose docs are spans of its source, with the edits near the
    /// doc list (the rules before it, the compressed sources after it).
    #[test]
    fn resealed_mutations_of_doc_spans_never_panic(edits in proptest::collection::vec((0usize..48, any::<u8>()), 1..4)) {
        let (_, _, mut bytes) = doc_bundle();
        let list = doc_list_at(&bytes);
        let n = bytes.len() - 32;
        for (back, value) in edits {
            bytes[(list + 12).min(n) - 1 - back] = value;
        }
        reseal(&mut bytes);
        if let Ok(loaded) = decode(&bytes) {
            let _ = loaded.policy.rules().iter().map(|r| r.doc.len()).sum::<usize>();
            let _ = loaded.rule_docs().map(|d| d.iter().map(String::len).sum::<usize>());
            let _ = loaded.metadata().map(|m| m.sources.len());
            let _ = loaded.evaluate(&request("production", "x"), &[sql(StatementKind::Drop, &["t"], [0, 1])]);
        }
    }
}

#[test]
fn source_digests_are_checked_on_encode_and_on_request() {
    let mut m = metadata();
    assert_eq!(m.check_source_digests(), Ok(()));
    let loaded = decode(&encode(&small_policy(), &m).unwrap()).unwrap();
    assert_eq!(loaded.metadata().unwrap().check_source_digests(), Ok(()));
    m.sources[0].sha256 = "00".repeat(32);
    assert!(m.check_source_digests().is_err());
    assert_eq!(
        encode(&small_policy(), &m).err().map(|e| e.code()),
        Some("GB008")
    );
}

/// Built-in functions are encoded by variant index (`Builtin`'s serde derive), so the order of
/// its variants is part of the bundle format. Reordering, inserting or removing one would make
/// existing bundles call a different function; this pins every index to its name.
#[test]
fn builtin_indices_are_pinned_to_their_names() {
    use guard_model::Builtin;
    let pinned = [
        "len",
        "lower",
        "upper",
        "basename",
        "starts_with",
        "ends_with",
        "contains",
    ];
    assert_eq!(
        Builtin::ALL.len(),
        pinned.len(),
        "a new built-in is appended here, at the end, never inserted"
    );
    for (index, name) in pinned.iter().enumerate() {
        let builtin = Builtin::ALL
            .iter()
            .find(|b| b.name() == *name)
            .unwrap_or_else(|| panic!("built-in `{name}` is gone: old bundles still call it"));
        let bytes = postcard::to_allocvec(builtin).unwrap();
        assert_eq!(
            bytes,
            vec![u8::try_from(index).unwrap()],
            "`{name}` must stay variant {index} in bundles"
        );
        let back: Builtin = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, *builtin);
    }
}

/// Source texts are compressed (format 4): text beyond ASCII round-trips, and compressed
/// sources that inflate to bytes that are not UTF-8 are refused (GB009) when read, never
/// shown.
#[test]
fn source_texts_must_be_utf8() {
    let mut meta = metadata();
    let text = format!("{}// é ∀ 🦀 {}\n", meta.sources[0].text, "x".repeat(100));
    meta.sources[0] = Source::new(meta.sources[0].name.clone(), text.clone());
    let bytes = encode(&small_policy(), &meta).unwrap();
    assert_eq!(decode(&bytes).unwrap().metadata().unwrap(), &meta);
    // Repacking the same text gives the same bundle (the helper finds the stream).
    let same = miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9);
    assert_eq!(repack(&bytes, text.as_bytes(), &same), bytes);

    let crab = text.find('🦀').unwrap();
    // A lone continuation byte, a truncated 4-byte sequence, a byte never in UTF-8, and the
    // same late in a long run of ASCII.
    for (offset, value) in [
        (crab + 1, b'x'),
        (crab + 3, b' '),
        (0, 0xff),
        (text.len() - 3, 0x80),
    ] {
        let mut bad_text = text.clone().into_bytes();
        bad_text[offset] = value;
        let packed = miniz_oxide::deflate::compress_to_vec(&bad_text, 9);
        let bad = repack(&bytes, text.as_bytes(), &packed);
        let loaded = decode(&bad).unwrap();
        let err = loaded.metadata().unwrap_err();
        assert_eq!(err.code(), "GB009", "{err}");
        assert!(err.to_string().contains("UTF-8"), "{err}");
        assert_eq!(loaded.check_fully().unwrap_err().code(), "GB009");
    }
}
