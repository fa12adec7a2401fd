//! What the integration tests share: fresh copies of the fixture workspaces.

// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies the files below `from` over `to`, skipping hidden entries (an index left by
/// running govtrack on a fixture by hand).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Runs a command in English whatever the machine's locale.
pub fn english(c: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    c.env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
}

/// A fresh copy of the fixture workspace `tests/fixtures/<name>`.
pub fn workspace(name: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    copy_tree(&fixtures().join(name), dir.path());
    dir
}

/// The object of a JSON array of report rows whose `unit` is `unit`.
pub fn unit_row(rows: &serde_json::Value, unit: &str) -> serde_json::Value {
    rows.as_array()
        .expect("an array of rows")
        .iter()
        .find(|r| r["unit"] == unit)
        .unwrap_or_else(|| panic!("no row for {unit}: {rows:#}"))
        .clone()
}

/// Writes a synthetic workspace with the workload generator (`examples/generate.rs`) into
/// `dir` at `scale`, and returns what the generator printed.
pub fn generate(dir: &Path, scale: &str) -> String {
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo.args(["run", "--quiet", "--example", "generate"]);
    // Build the example in the profile the tests were built in, so nothing is rebuilt.
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let out = cargo
        .args(["--", "--out"])
        .arg(dir)
        .args(["--scale", scale])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "the generator failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
