//! The log files of a local tree.
//!
//! Only regular files are read: a `*.json` that is a device, a FIFO or a
//! socket (or a symbolic link to one, such as `/dev/zero`) is skipped and
//! counted. Symbolic links are followed, to files and to directories, but
//! nothing is visited twice: each directory and each file is known by its
//! device and inode, so a link back up the tree (a loop) or two names of
//! one file read it once, under the first name in walk order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::parse::{not_regular, FileSkip};
use crate::spec::is_log_name;

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The log files to read, in walk order (names sorted, depth first).
    pub files: Vec<PathBuf>,
    /// Entries with a log file's name that are not read: why, and a line
    /// naming them.
    pub skipped: Vec<(PathBuf, FileSkip, String)>,
    /// Directories and files reached again through a symbolic link.
    pub repeats: u64,
}

/// What identifies a file or a directory whatever the path to it.
#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = PathBuf;

#[cfg(unix)]
fn identity(_: &Path, md: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some((md.dev(), md.ino()))
}

#[cfg(not(unix))]
fn identity(p: &Path, _: &std::fs::Metadata) -> Option<Identity> {
    std::fs::canonicalize(p).ok()
}

fn listing(p: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// Every `.json`/`.json.gz` file under `root` (or `root` itself, which may
/// have any name). Fails only if `root` cannot be read or is neither a
/// regular file nor a directory; what goes wrong below it is listed.
pub fn walk(root: &Path) -> std::io::Result<Walk> {
    let md = std::fs::metadata(root)?;
    let mut out = Walk::default();
    if md.is_file() {
        out.files.push(root.to_path_buf());
        return Ok(out);
    }
    if !md.is_dir() {
        return Err(std::io::Error::other(format!(
            "{}, and not a directory",
            not_regular(&md.file_type())
        )));
    }
    let mut seen: HashSet<Identity> = HashSet::new();
    seen.extend(identity(root, &md));
    // A stack of directory listings rather than recursion: a deep tree
    // cannot exhaust the capture thread's stack.
    let mut stack = vec![listing(root)?.into_iter()];
    while let Some(top) = stack.last_mut() {
        let Some(e) = top.next() else {
            stack.pop();
            continue;
        };
        let is_log = e
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_log_name);
        // Follows a symbolic link to what it names.
        let md = match std::fs::metadata(&e) {
            Ok(m) => m,
            Err(err) => {
                if is_log {
                    let line = format!("{}: {err}", e.display());
                    out.skipped.push((e, FileSkip::Unreadable, line));
                }
                continue;
            }
        };
        if md.is_dir() {
            if identity(&e, &md).is_some_and(|id| !seen.insert(id)) {
                out.repeats += 1;
                continue;
            }
            match listing(&e) {
                Ok(v) => stack.push(v.into_iter()),
                Err(err) => {
                    let line = format!("{}: cannot list: {err}", e.display());
                    out.skipped.push((e, FileSkip::Unreadable, line));
                }
            }
        } else if is_log {
            if !md.is_file() {
                let line = format!("{}: {}", e.display(), not_regular(&md.file_type()));
                out.skipped.push((e, FileSkip::NotRegular, line));
            } else if identity(&e, &md).is_some_and(|id| !seen.insert(id)) {
                out.repeats += 1;
            } else {
                out.files.push(e);
            }
        }
    }
    Ok(out)
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn loops_and_devices() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a");
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("x.json"), "{}").unwrap();
        std::os::unix::fs::symlink(d.path(), a.join("loop")).unwrap();
        std::os::unix::fs::symlink(a.join("x.json"), d.path().join("same.json")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.json")).unwrap();
        std::os::unix::fs::symlink("/nonexistent", d.path().join("gone.json")).unwrap();
        let w = walk(d.path()).unwrap();
        assert_eq!(w.files, [a.join("x.json")]);
        assert_eq!(w.repeats, 2, "the loop and the second name");
        let why: Vec<FileSkip> = w.skipped.iter().map(|s| s.1).collect();
        assert_eq!(why, [FileSkip::Unreadable, FileSkip::NotRegular]);
        assert!(walk(Path::new("/dev/zero")).is_err());
    }
}
