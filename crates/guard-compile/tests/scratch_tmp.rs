#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[test]
#[ignore]
fn phases() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "guard")).collect();
    files.sort();
    let texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let asts: Vec<_> = texts.iter().map(|s| guard_syntax::parse(s).0).collect();
        let parse = t.elapsed();
        let refs: Vec<_> = asts.iter().enumerate().map(|(i, a)| (guard_diagnostics::FileId(i as u32), a)).collect();
        let t = std::time::Instant::now();
        let (program, _) = guard_sema::check(&refs);
        let check = t.elapsed();
        let t = std::time::Instant::now();
        let policy = guard_compile::compile(&program).unwrap();
        let compile = t.elapsed();
        let t = std::time::Instant::now();
        let _p2 = guard_engine::Policy::new(policy.data().clone()).unwrap();
        let load = t.elapsed();
        eprintln!("parse {parse:?} check {check:?} compile {compile:?} policy-load {load:?} patterns {}", policy.data().patterns.len());
    }
}
