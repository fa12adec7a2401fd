//! The synthetic workspace generator (`cargo run --example generate`) writes a workspace
//! that loads, and `govtrack load` finds in it exactly what the generator says it wrote.

mod common;

use assert_cmd::Command;
use common::generate;
use tempfile::TempDir;

/// The generator's own count, in the words `govtrack load` uses.
fn expected(stdout: &str) -> &str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("expected: "))
        .unwrap_or_else(|| panic!("no `expected:` line in the generator's output:\n{stdout}"))
}

#[test]
fn generated_workspace_loads_with_the_counts_the_generator_printed() {
    let dir = TempDir::new().unwrap();
    let ws = dir.path().join("ws");
    let printed = generate(&ws, "0.002");
    let want = expected(&printed);
    // At this scale: one district, town and community at least per parent; all 50
    // policies of 40 tasks; 36 months of 10 metrics for every community.
    assert!(
        want.starts_with("index holds 50 policies, 2000 tasks ("),
        "{want}"
    );
    assert!(ws.join("bench/tasks.json").is_file());
    assert!(ws.join("progress/obs/2024-12").is_dir());

    let out = Command::cargo_bin("govtrack")
        .unwrap()
        .arg("--workspace")
        .arg(&ws)
        .arg("load")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "load failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().any(|l| l.ends_with(want)),
        "load said:\n{}\nthe generator wrote: {want}",
        stdout.lines().last().unwrap_or("")
    );

    // Taskwarrior's import file holds one task per instance.
    let instances: usize = want
        .split_once("tasks (")
        .and_then(|(_, r)| r.split_once(' '))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap();
    let tasks = std::fs::read_to_string(ws.join("bench/tasks.json")).unwrap();
    assert_eq!(tasks.lines().count(), instances);
    for line in tasks.lines().take(50) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["description", "project", "status", "tags", "uuid"] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }
}

#[test]
fn the_same_scale_gives_the_same_files() {
    let dir = TempDir::new().unwrap();
    let a = generate(&dir.path().join("a"), "0.002");
    let b = generate(&dir.path().join("b"), "0.002");
    assert_eq!(expected(&a), expected(&b));
    for file in [
        "policies/units.toml",
        "policies/p01.toml",
        "policies/p50.toml",
        "progress/events/p01.csv",
        "progress/obs/2023-06/c01-d001.csv",
        "bench/tasks.json",
    ] {
        let x = std::fs::read(dir.path().join("a").join(file)).unwrap();
        let y = std::fs::read(dir.path().join("b").join(file)).unwrap();
        assert!(x == y, "{file} differs between two runs");
    }
}
