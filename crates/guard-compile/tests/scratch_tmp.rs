#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#[test]
#[ignore]
fn per_rule() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "guard")).collect();
    files.sort();
    let mut sources = guard_diagnostics::SourceMap::new();
    for f in files { sources.add(f.display().to_string(), std::fs::read_to_string(&f).unwrap()); }
    let c = guard_compile::compile_sources(&sources);
    let policy = c.policy.unwrap();
    let req = guard_model::Request { id: "b".into(), channel: guard_model::Channel::Shell, command: "cat access.log | grep 500 | sort | uniq -c | sort -rn | head -20".into(), target: guard_model::Target { env: "production".into(), ..Default::default() }, ..Default::default() };
    let actions = guard_intent::analyze(&req);
    let data = policy.data().clone();
    let mut times = vec![];
    for (i, rule) in data.rules.iter().enumerate() {
        if rule.on != Some(guard_model::ActionKind::Exec) { continue; }
        let mut d = data.clone();
        d.rules = vec![data.rules[i].clone()];
        let p = guard_engine::Policy::new(d).unwrap();
        let t = std::time::Instant::now();
        for _ in 0..2000 { std::hint::black_box(guard_engine::evaluate(&p, &req, &actions)); }
        times.push((t.elapsed().as_nanos() / 2000, rule.id.clone()));
    }
    times.sort();
    times.reverse();
    for (t, id) in times.iter().take(15) { eprintln!("{t:>8} ns  {id}"); }
    eprintln!("total {}", times.iter().map(|t| t.0).sum::<u128>());
}
