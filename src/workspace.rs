//! The workspace: a folder of plain-text files that are the truth, and where its
//! disposable index lives.

use crate::diag::{BadInput, Diagnostic, Source};
use crate::parse::toml_error;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

pub const CONFIG_FILE: &str = "govtrack.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default = "default_policies")]
    policies: Vec<String>,
    #[serde(default = "default_progress")]
    progress: String,
    #[serde(default = "default_window")]
    due_soon_days: i64,
    #[serde(default = "default_stale")]
    stale_after_months: u32,
    database: Option<String>,
}

fn default_policies() -> Vec<String> {
    vec!["policies".into()]
}
fn default_progress() -> String {
    "progress".into()
}
fn default_window() -> i64 {
    30
}
fn default_stale() -> u32 {
    6
}

pub struct Workspace {
    pub root: PathBuf,
    pub policy_dirs: Vec<String>,
    pub progress_dir: String,
    pub due_soon_days: i64,
    /// Observations older than this many months are flagged stale.
    pub stale_after_months: u32,
    database: Option<String>,
}

/// A file of the workspace as found on disk.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Relative to the workspace root, with `/` separators: what the index stores.
    pub rel: String,
    pub size: i64,
    pub mtime_ns: i64,
    /// When the file last changed in any way, in nanoseconds: set by the system at every
    /// write, where the modification time can also be set by hand (and is, by some copying
    /// and archiving tools), back to what it was.
    pub ctime_ns: i64,
}

impl Workspace {
    /// The workspace named by `--workspace`, else the nearest folder upward holding a
    /// `govtrack.toml`, else the current folder.
    pub fn locate(explicit: Option<&Path>) -> Result<Workspace> {
        let root = match explicit {
            Some(dir) => {
                if !dir.is_dir() {
                    bail!("the workspace {} is not a folder", dir.display());
                }
                dir.to_path_buf()
            }
            None => {
                let cwd = std::env::current_dir().context("cannot read the current folder")?;
                cwd.ancestors()
                    .find(|d| d.join(CONFIG_FILE).is_file())
                    .unwrap_or(&cwd)
                    .to_path_buf()
            }
        };
        Workspace::open(root)
    }

    fn open(root: PathBuf) -> Result<Workspace> {
        let path = root.join(CONFIG_FILE);
        let config = if path.is_file() {
            let src = read_source(&root, CONFIG_FILE).map_err(|d| BadInput(vec![d]))?;
            let config: Config = toml::from_str(&src.text).map_err(|e| {
                BadInput(vec![toml_error(
                    &src,
                    &e,
                    "see docs/manifest.md for the settings",
                )])
            })?;
            let mut bad = Vec::new();
            for p in config.policies.iter().chain([&config.progress]) {
                if escapes(p) {
                    let at = src.text.find(p.as_str()).unwrap_or(0);
                    bad.push(
                        src.error(at..at + p.len(), format!("`{p}` leaves the workspace"))
                            .help("folders are relative to the workspace and may not use .. or start with /"),
                    );
                }
            }
            if !bad.is_empty() {
                return Err(BadInput(bad).into());
            }
            config
        } else {
            Config {
                policies: default_policies(),
                progress: default_progress(),
                due_soon_days: default_window(),
                stale_after_months: default_stale(),
                database: None,
            }
        };
        Ok(Workspace {
            root,
            policy_dirs: config.policies,
            progress_dir: config.progress,
            due_soon_days: config.due_soon_days,
            stale_after_months: config.stale_after_months,
            database: config.database,
        })
    }

    /// `--db`, else `GOVTRACK_DB` (both given to this as `explicit`), else the workspace's
    /// setting, else `.govtrack/index.sqlite` inside the workspace.
    pub fn db_path(&self, explicit: Option<&Path>) -> PathBuf {
        match (explicit, &self.database) {
            (Some(p), _) => p.to_path_buf(),
            (None, Some(p)) => self.root.join(p),
            (None, None) => self.root.join(".govtrack").join("index.sqlite"),
        }
    }

    pub fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Every `*.toml` under the policy folders, sorted.
    pub fn definition_files(&self) -> Result<Vec<FileEntry>> {
        let mut out = Vec::new();
        for dir in &self.policy_dirs {
            self.walk(dir, &["toml"], &mut out)?;
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        out.dedup_by(|a, b| a.rel == b.rel);
        Ok(out)
    }

    /// Every `*.csv` and `*.toml` under the progress folder, sorted.
    pub fn progress_files(&self) -> Result<Vec<FileEntry>> {
        let mut out = Vec::new();
        self.walk(&self.progress_dir, &["csv", "toml"], &mut out)?;
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(out)
    }

    fn walk(&self, rel_dir: &str, exts: &[&str], out: &mut Vec<FileEntry>) -> Result<()> {
        let dir = self.root.join(rel_dir);
        if !dir.is_dir() {
            return Ok(());
        }
        let mut stack = vec![(dir, rel_dir.trim_end_matches('/').to_string())];
        while let Some((dir, rel)) = stack.pop() {
            for entry in
                std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
            {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let rel = if rel.is_empty() || rel == "." {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let meta = entry.metadata()?;
                if meta.is_dir() {
                    stack.push((entry.path(), rel));
                } else if exts.iter().any(|e| name.ends_with(&format!(".{e}"))) {
                    let mtime_ns = meta
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_nanos() as i64);
                    out.push(FileEntry {
                        rel,
                        size: meta.len() as i64,
                        mtime_ns,
                        ctime_ns: changed_ns(&meta).unwrap_or(mtime_ns),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The status change time of a file ([`FileEntry::ctime_ns`]); none where the system keeps
/// none.
#[cfg(unix)]
fn changed_ns(meta: &std::fs::Metadata) -> Option<i64> {
    use std::os::unix::fs::MetadataExt;
    Some(
        meta.ctime()
            .saturating_mul(1_000_000_000)
            .saturating_add(meta.ctime_nsec()),
    )
}

#[cfg(not(unix))]
fn changed_ns(_: &std::fs::Metadata) -> Option<i64> {
    None
}

fn escapes(p: &str) -> bool {
    Path::new(p).components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::RootDir | Component::Prefix(_)
        )
    })
}

/// Reads a whole file under a shared lock. `record` appends a line under an exclusive
/// lock, and a line that crosses a page of the system's cache can be seen half written by
/// a plain read; this waits for the line instead, up to a minute. Where the file system
/// has no locks, or the lock is held longer (a process stuck), the file is read as it is.
pub fn read_whole(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while let Err(std::fs::TryLockError::WouldBlock) = file.try_lock_shared() {
        if std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a workspace file as UTF-8 text without a byte-order mark.
pub fn read_source(root: &Path, rel: &str) -> Result<Source, Diagnostic> {
    let bytes = read_whole(&root.join(rel))
        .map_err(|e| Diagnostic::file(rel, 1, format!("cannot read the file: {e}")))?;
    source_from_bytes(rel, bytes)
}

/// The largest file govtrack reads. A province's registry is some 4 MiB and a district's
/// monthly figures a few hundred KiB; reading a file takes about twelve times its size in
/// memory, so this keeps a stray export or dump from exhausting it.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The problem with a file of `size` bytes, if it is too large to read.
pub fn too_large(rel: &str, size: u64) -> Option<Diagnostic> {
    if size <= MAX_FILE_BYTES {
        return None;
    }
    Some(
        Diagnostic::file(
            rel,
            1,
            format!(
                "the file is {:.1} MiB; govtrack reads files of up to {} MiB",
                size as f64 / f64::from(1 << 20),
                MAX_FILE_BYTES >> 20
            ),
        )
        .help(
            "split it into several files, all read alike: the registry one per city, say, \
             and progress one per month or per return",
        ),
    )
}

pub fn source_from_bytes(rel: &str, mut bytes: Vec<u8>) -> Result<Source, Diagnostic> {
    if let Some(d) = too_large(rel, bytes.len() as u64) {
        return Err(d);
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(rel, text)),
        Err(e) => {
            // Point at the first byte that is not UTF-8, in a lossy copy of the text.
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let bad = text[valid..].chars().next().map_or(0, char::len_utf8);
            let help = if rel.ends_with(".csv") {
                "save it as UTF-8 (in Excel: CSV UTF-8; GBK files must be converted first)"
            } else {
                "save it as UTF-8 in your editor (GBK files must be converted first, e.g. with \
                 iconv -f GBK -t UTF-8)"
            };
            Err(Source::new(rel, text)
                .error(valid..valid + bad, "the file is not UTF-8 text")
                .help(help))
        }
    }
}

/// Writes a temporary file next to `path`, flushes it to disk and renames it over `path`,
/// so that a reader sees the old file or the new one, never half of one. The temporary
/// name starts with a dot, which the index passes over.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary(path, bytes)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_folder(path);
    Ok(())
}

/// Creates `path` holding `bytes`, whole or not at all: a temporary file is flushed to disk
/// and renamed into place, which fails with `AlreadyExists` when `path` exists, so two
/// processes creating it at once cannot overwrite each other. Where the system cannot
/// rename so, the temporary file is linked into place; where the file system has no hard
/// links either, the file is created and written directly.
pub fn create_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary(path, bytes)?;
    match rename_new(&tmp, path) {
        Ok(()) => {
            sync_folder(path);
            return Ok(());
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // A file system that cannot: the temporary file is linked into place instead.
        Err(_) => {}
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
        Err(_) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)?;
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_all()?;
        }
        Ok(()) => {}
    }
    sync_folder(path);
    Ok(())
}

/// Renames `tmp` to `path` unless `path` exists, in one step: linking and then removing the
/// temporary name has a moment with both names, and a kill in it would leave the hidden
/// one as a second name of the file, changing with it.
#[cfg(target_os = "linux")]
fn rename_new(tmp: &Path, path: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    Ok(renameat_with(CWD, tmp, CWD, path, RenameFlags::NOREPLACE)?)
}

#[cfg(not(target_os = "linux"))]
fn rename_new(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// A hidden file next to `path` holding `bytes`, flushed to disk.
fn temporary(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The temporary name must fit where the file's own does (255 bytes on most file
    // systems) with its dot, process id and count: a long name is cut for it.
    let mut end = name.len().min(200);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.truncate(end);
    // A new file, never one left by a killed process that had the same id: that one is
    // left alone.
    let mut n = 0;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match std::fs::File::create_new(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => return Err(e),
        }
    };
    let written = std::io::Write::write_all(&mut file, bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Makes a new name in the folder of `path` durable; not every platform can open a folder.
fn sync_folder(path: &Path) {
    if let Ok(d) = std::fs::File::open(path.parent().unwrap_or(Path::new("."))) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::{create_atomically, write_atomically};

    #[test]
    fn a_new_file_takes_its_name_alone_and_an_existing_one_is_kept() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("events.csv");
        create_atomically(&path, b"first").unwrap();
        let again = create_atomically(&path, b"second").unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        // No temporary name is left, and the file has no second name.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(std::fs::metadata(&path).unwrap().nlink(), 1);
        }
    }

    #[test]
    fn a_name_as_long_as_the_file_system_allows_is_written_whole() {
        let dir = tempfile::TempDir::new().unwrap();
        // 83 characters of three bytes and `.csv`: 253 bytes, two short of ext4's limit.
        let path = dir.path().join(format!("{}.csv", "区".repeat(83)));
        write_atomically(&path, b"rows").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"rows");
        let path = dir.path().join(format!("{}.toml", "区".repeat(82)));
        create_atomically(&path, b"x").unwrap();
        // Nothing but the files themselves is left.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_temporary_file_left_by_a_process_with_the_same_id_is_not_written_over() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("events.csv");
        let leftover = dir
            .path()
            .join(format!(".events.csv.{}.0.tmp", std::process::id()));
        std::fs::write(&leftover, "left by a killed process").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(
            std::fs::read_to_string(&leftover).unwrap(),
            "left by a killed process"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
