//! Instruction counts per bundle load under callgrind: decodes a bundle N times (and with
//! `prepare`, builds the evaluation plan too). Run it with N and with 1 and subtract:
//! `valgrind --tool=callgrind target/release/examples/load_profile /tmp/std.bundle decode 11`.
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
        let src: usize = loaded.metadata.sources.iter().map(|s| s.text.len()).sum();
        println!(
            "strings {} ({} bytes), sets {} (str items {}), patterns {}, nodes {} (with vec {}), rules {} (doc {} bytes), sources {} bytes",
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
