//! A province's reports share their work between two threads. Where the system starts no
//! more threads (a cron job under a tight process limit), they do it all on one and give
//! the same answer, instead of stopping.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use tempfile::TempDir;

/// `program` under a limit of one process for its user. Root is not held to that limit, so
/// as root it runs as `nobody`.
fn under_limit(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "prlimit",
        ]);
        c
    } else {
        Command::new("prlimit")
    };
    c.arg("--nproc=1").arg(program);
    c
}

/// `govtrack ARGS` on the workspace at `ws`, under the limit when `limited`.
fn govtrack(ws: &Path, args: &[&str], limited: bool) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("govtrack");
    let mut c = if limited {
        under_limit(&bin)
    } else {
        Command::new(&bin)
    };
    c.arg("--workspace")
        .arg(ws)
        .args(args)
        .env("LANG", "C.UTF-8")
        .output()
        .expect("govtrack runs")
}

fn is_root() -> bool {
    let id = Command::new("id").arg("-u").output().expect("id runs");
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

#[test]
fn reports_give_the_same_answer_where_no_thread_can_be_started() {
    let dir = TempDir::new().unwrap();
    let ws = dir.path().join("ws");
    // 8,400 task instances: each report starts a second thread for them.
    common::generate(&ws, "0.002");
    assert!(govtrack(&ws, &["load"], false).status.success());
    if is_root() {
        // The workspace and the index must be `nobody`'s to refresh.
        let own = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(own.success());
    }
    // The limit holds: under it, not even a shell can start a second process.
    let sh = under_limit("sh")
        .args(["-c", "true & wait"])
        .output()
        .unwrap();
    assert!(
        !sh.status.success() || !sh.stderr.is_empty(),
        "a second process started under the limit"
    );

    for report in ["overdue", "status", "gaps"] {
        let args = [report, "--as-of", "2024-12-31", "--format", "json"];
        let free = govtrack(&ws, &args, false);
        let limited = govtrack(&ws, &args, true);
        assert_eq!(
            limited.status.code(),
            free.status.code(),
            "{report}: {}",
            String::from_utf8_lossy(&limited.stderr)
        );
        assert!(free.stdout.len() > 10_000, "{report} gave too little");
        assert!(
            limited.stdout == free.stdout,
            "{report} answered differently"
        );
    }
}
