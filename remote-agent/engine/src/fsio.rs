//! Opening files the way a root process on a shared host must.
//!
//! Two hazards live here. Files we create under a directory a user named
//! (a trigger window under `--save-dir /var/tmp/windows`) have predictable
//! names, so another user could plant a symlink there and have us truncate
//! its target as root: they are created new ([`create_new_in`]), never
//! opened through a symlink and never over what is there. And opening or
//! reading a FIFO blocks until its other end appears, in a system call that
//! a signal handler installed with `SA_RESTART` does not interrupt: every
//! such wait here polls and gives up when the stop flag
//! ([`watch_stop`]) rises, so SIGTERM ends a capture within the 1 s the
//! project promises whatever it waits on.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How often a blocked open or read looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(50);

static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Makes `flag` (raised by SIGTERM/SIGINT, see
/// [`crate::capture::stop_flag`]) the one the waits below obey. The first
/// flag given stays.
pub fn watch_stop(flag: &Arc<AtomicBool>) {
    let _ = STOP.set(Arc::clone(flag));
}

/// The stop flag, for waits elsewhere (the AWS client's calls).
pub fn stop_handle() -> Option<Arc<AtomicBool>> {
    STOP.get().cloned()
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.get().is_some_and(|f| f.load(Ordering::SeqCst))
}

/// The error a wait ends with when the stop flag rises. Not
/// `ErrorKind::Interrupted`: `read_exact` and friends retry those, and would
/// spin.
pub fn stopped() -> io::Error {
    io::Error::other(Stopped)
}

/// What [`stopped`]'s error holds.
#[derive(Debug)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped by a signal while waiting")
    }
}

impl std::error::Error for Stopped {}

/// Creates `path` as a new file: fails if anything is there (a file, a
/// dangling symlink, a FIFO), and never follows a symlink
/// (`O_CREAT|O_EXCL|O_NOFOLLOW`).
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o644);
    }
    o.open(path)
}

/// Creates a new file named `stem` + `ext` in `dir`, or, when that name is
/// taken (by a planted file or symlink, or a window a moment earlier),
/// `stem-1` + `ext`, `stem-2` + `ext` … up to 99: what is there is never
/// opened, let alone truncated. Returns the file and its path.
pub fn create_new_in(dir: &Path, stem: &str, ext: &str) -> io::Result<(File, PathBuf)> {
    let mut last = None;
    for n in 0..100u32 {
        let name = if n == 0 {
            format!("{stem}{ext}")
        } else {
            format!("{stem}-{n}{ext}")
        };
        let path = dir.join(name);
        match create_new(&path) {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free name")))
}

/// Opens `path` for writing when it is a FIFO (or another special file):
/// waits for a reader to open the other end, looking at the stop flag
/// every 50 ms (a plain blocking open would ignore SIGTERM until a reader
/// came). The returned file blocks on writes as usual.
pub fn open_fifo_for_writing(path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        loop {
            // O_NONBLOCK: a FIFO without a reader fails with ENXIO at once
            // instead of blocking.
            match OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open(path)
            {
                Ok(f) => {
                    set_blocking(&f)?;
                    return Ok(f);
                }
                Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                    if stop_requested() {
                        return Err(stopped());
                    }
                    std::thread::sleep(STOP_POLL);
                }
                Err(e) => return Err(e),
            }
        }
    }
    #[cfg(not(unix))]
    OpenOptions::new().write(true).open(path)
}

#[cfg(unix)]
#[allow(unsafe_code)]
fn set_blocking(f: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = f.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A file to read that may be a FIFO, a character device or a socket:
/// regular files read as they are; anything else is opened without
/// blocking and every read first waits (in 50 ms polls) until data or the
/// writer's end arrives, so the stop flag is obeyed while a FIFO has no
/// writer or a stalled one.
#[derive(Debug)]
pub struct InputFile {
    file: File,
    special: bool,
}

impl InputFile {
    /// Opens `path` for reading without blocking on a missing writer.
    pub fn open(path: &Path) -> io::Result<InputFile> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            let file = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open(path)?;
            let special = !file.metadata()?.is_file();
            if !special {
                set_blocking(&file)?;
            }
            Ok(InputFile { file, special })
        }
        #[cfg(not(unix))]
        Ok(InputFile {
            file: File::open(path)?,
            special: false,
        })
    }

    /// Whether this is not a regular file (a FIFO, device or socket).
    pub fn is_special(&self) -> bool {
        self.special
    }
}

impl Read for InputFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.special {
            return self.file.read(buf);
        }
        #[cfg(unix)]
        loop {
            use std::os::fd::AsRawFd;
            if stop_requested() {
                return Err(stopped());
            }
            let mut p = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd on the stack, for the call's duration.
            #[allow(unsafe_code)]
            let r = unsafe { libc::poll(&mut p, 1, STOP_POLL.as_millis() as i32) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if r == 0 {
                continue;
            }
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return other,
            }
        }
        #[cfg(not(unix))]
        self.file.read(buf)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_neither_followed_nor_truncated() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("target");
        std::fs::write(&target, b"precious").unwrap();
        std::os::unix::fs::symlink(&target, d.path().join("w.scap")).unwrap();
        std::fs::write(d.path().join("w-1.scap"), b"also there").unwrap();
        let (_f, p) = create_new_in(d.path(), "w", ".scap").unwrap();
        assert_eq!(p, d.path().join("w-2.scap"));
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        assert_eq!(
            std::fs::read(d.path().join("w-1.scap")).unwrap(),
            b"also there"
        );
        assert!(create_new(&d.path().join("w.scap")).is_err());
    }
}
