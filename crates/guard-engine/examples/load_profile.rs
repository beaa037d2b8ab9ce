//! Instruction counts per bundle load under callgrind: decodes a bundle N times (and with
//! `prepare`, builds the evaluation plan too). Run it with N and with 1 and subtract:
//! `valgrind --tool=callgrind target/release/examples/load_profile /tmp/std.bundle decode 11`.
//! Modes: `decode`, `prepare` (decode + plan), `signed` / `signed512` (verify a signature made
//! with SHA-256 / SHA-512, then decode + plan, as `guard eval --allowed-signers` does),
//! `sha256` / `sha512` (one hash of the file), `stats`, `roundtrip` (decode, encode, compare).
//! Under valgrind, sha2 does not see the CPU's SHA extensions: hashing's instruction counts
//! are the portable code's, so compare them between modes, not with wall-clock time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: load_profile BUNDLE decode|prepare N");
    let what = args.next().unwrap_or_else(|| "decode".into());
    let n: usize = args.next().map_or(1, |n| n.parse().expect("N"));
    let bytes = std::fs::read(path).expect("read bundle");
    if what == "sha256" || what == "sha512" {
        use sha2::Digest;
        let start = std::time::Instant::now();
        for _ in 0..n {
            if what == "sha256" {
                black_box(sha2::Sha256::digest(black_box(&bytes)));
            } else {
                black_box(sha2::Sha512::digest(black_box(&bytes)));
            }
        }
        println!(
            "{what}: {:?} per pass over {} bytes",
            start.elapsed() / n as u32,
            bytes.len()
        );
        return;
    }
    if what == "roundtrip" {
        // Decode, encode again: the same bytes when this engine reads and writes the format
        // the bundle was written in (a check that a layout change kept the encoding).
        let loaded = guard_engine::decode(&bytes).expect("decode");
        let again = loaded.encode().expect("encode");
        assert!(again == bytes, "re-encoding changed the bytes");
        println!("roundtrip: {} bytes, identical", bytes.len());
        return;
    }
    if what == "stats" {
        let loaded = guard_engine::decode(&bytes).expect("decode");
        let d = loaded.policy.data();
        let vecs = d
            .nodes
            .iter()
            .filter(|n| {
                matches!(
                    n,
                    guard_engine::ir::Node::And(_)
                        | guard_engine::ir::Node::Or(_)
                        | guard_engine::ir::Node::List(_)
                        | guard_engine::ir::Node::Call { .. }
                )
            })
            .count();
        // How many children the nodes with a list of them have: 0, 1, …, 8 and more.
        let mut lengths = [0usize; 9];
        for n in &d.nodes {
            if let guard_engine::ir::Node::And(v)
            | guard_engine::ir::Node::Or(v)
            | guard_engine::ir::Node::List(v)
            | guard_engine::ir::Node::Call { args: v, .. } = n
                && let Some(count) = lengths.get_mut(v.len().min(8))
            {
                *count += 1;
            }
        }
        println!("child list lengths 0..=8+: {lengths:?}");
        // How many parts messages and help texts have: 0, 1, …, 8 and more.
        let mut parts = [0usize; 9];
        for t in d.rules.iter().flat_map(|r| [&r.message, &r.help]) {
            if let Some(count) = parts.get_mut(t.parts.len().min(8)) {
                *count += 1;
            }
        }
        println!("template part counts 0..=8+: {parts:?}");
        // How many items string sets have: 0, 1, …, 8 and more.
        let mut items = [0usize; 9];
        for s in &d.sets {
            if let guard_engine::ir::SetData::Str(v) = s
                && let Some(count) = items.get_mut(v.len().min(8))
            {
                *count += 1;
            }
        }
        println!("string set sizes 0..=8+: {items:?}");
        let set_items: usize = d
            .sets
            .iter()
            .map(|s| match s {
                guard_engine::ir::SetData::Str(v) => v.len(),
                _ => 0,
            })
            .sum();
        let str_bytes: usize = d.strings.iter().map(str::len).sum();
        let doc_bytes: usize = d.rules.iter().map(|r| r.doc.len()).sum();
        let src: usize = loaded.info.sources.iter().map(|s| s.len as usize).sum();
        println!(
            "strings {} ({} bytes), sets {} (str items {}), patterns {}, nodes {} (with vec {}), rules {} (doc {} bytes not in spans), sources {} bytes inflated",
            d.strings.len(),
            str_bytes,
            d.sets.len(),
            set_items,
            d.patterns.len(),
            d.nodes.len(),
            vecs,
            d.rules.len(),
            doc_bytes,
            src
        );
        return;
    }
    if what == "signed" || what == "signed512" {
        // What `guard eval --allowed-signers` does before its first request: verify the
        // signature (`signed`: made as `guard sign` makes it, hashalg=sha256; `signed512`: as
        // `ssh-keygen -Y sign` does by default), decode, prepare. The key is made here.
        use guard_engine::sign;
        let key = ssh_key::PrivateKey::random(
            &mut ssh_key::rand_core::OsRng,
            ssh_key::Algorithm::Ed25519,
        )
        .expect("key");
        let signature = if what == "signed" {
            sign::sign(
                &bytes,
                &key.to_openssh(ssh_key::LineEnding::LF).expect("key"),
            )
            .expect("sign")
        } else {
            key.sign(sign::NAMESPACE, ssh_key::HashAlg::Sha512, &bytes)
                .expect("sign")
                .to_pem(ssh_key::LineEnding::LF)
                .expect("pem")
        };
        let public = key.public_key().to_openssh().expect("public key");
        let signers =
            sign::AllowedSigners::parse(&format!("ci@example.com {public}\n")).expect("signers");
        let start = std::time::Instant::now();
        for _ in 0..n {
            let hashed = guard_engine::HashedBundle::new(black_box(&bytes));
            sign::verify_bundle(&hashed, &signature, &signers, None, 0).expect("verify");
            let loaded = guard_engine::decode_hashed(&hashed).expect("decode");
            loaded.policy.prepare();
            black_box(&loaded);
        }
        eprintln!("{what}: {:?} per load", start.elapsed() / n as u32);
        return;
    }
    let start = std::time::Instant::now();
    for _ in 0..n {
        let loaded = guard_engine::decode(black_box(&bytes)).expect("decode");
        if what == "prepare" {
            loaded.policy.prepare();
        }
        black_box(&loaded);
    }
    eprintln!("{what}: {:?} per load", start.elapsed() / n as u32);
}
