//! Several processes at once on one workspace, with the index in its default place: none
//! fails or says the database is locked.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Barrier;

const AS_OF: &str = "2024-06-30";

fn govtrack(ws: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("govtrack"));
    c.arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("GOVTRACK_DB")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .env("NO_COLOR", "1");
    c
}

/// Runs a command, insists on its exit status and on a stderr that does not speak of a
/// locked or busy database; returns its stdout.
fn run(mut cmd: Command, code: i32) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&stderr);
    assert_eq!(status.code(), Some(code), "{cmd:?}: {stderr}");
    assert!(
        !stderr.contains("locked") && !stderr.contains("busy"),
        "{cmd:?}: {stderr}"
    );
    String::from_utf8(stdout).unwrap()
}

/// Processes that find no index and create it at the same moment all get in: none is
/// told the database is locked. Each round starts several on a fresh index.
#[test]
fn people_creating_the_index_at_once_all_get_in() {
    let dir = common::workspace("basic");
    let ws = dir.path();
    for round in 0..10 {
        std::fs::remove_dir_all(ws.join(".govtrack")).unwrap_or(());
        let start = Barrier::new(6);
        let outputs: Vec<String> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..6)
                .map(|_| {
                    s.spawn(|| {
                        let cmd = govtrack(ws, &["status", "--as-of", AS_OF, "--format", "json"]);
                        start.wait();
                        run(cmd, 0)
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert!(
            outputs.iter().all(|o| *o == outputs[0]),
            "round {round}: the same report differs"
        );
    }
}
