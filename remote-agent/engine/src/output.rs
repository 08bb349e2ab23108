//! Where the stream goes: a file, a FIFO or standard output.

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use scapbridge_formats::WriteError;

use crate::error::CaptureError;

/// Where the stream goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// A FIFO (extcap) or any non-regular path.
    Fifo(File),
    /// A regular file; on a write error it is cut back to its last whole block.
    File {
        /// Writing handle.
        file: File,
        /// Second handle, kept to truncate after a failure.
        truncate: File,
    },
    /// Standard output.
    Stdout,
}

impl Output {
    /// Opens `path` (`-` = standard output). A FIFO open blocks until the
    /// reader opens its end: call this before anything that can fail, so the
    /// host always has a peer to read the error from.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Output, CaptureError> {
        let path = path.as_ref();
        if path == std::path::Path::new("-") {
            return Ok(Output::Stdout);
        }
        let err = |source| CaptureError::Output {
            target: path.display().to_string(),
            source,
        };
        let is_regular = std::fs::metadata(path).map_or(true, |m| m.is_file());
        if is_regular {
            let file = File::create(path).map_err(err)?;
            let truncate = file.try_clone().map_err(err)?;
            Ok(Output::File { file, truncate })
        } else {
            Ok(Output::Fifo(
                crate::fsio::open_fifo_for_writing(path).map_err(err)?,
            ))
        }
    }
}

impl Output {
    /// A flag that rises when the reader of a FIFO or of standard output
    /// (a pipe or socket, such as an SSH session's) goes away, noticed by a
    /// thread blocked in `poll` on the descriptor. Without it a capture that
    /// writes nothing for a while (trigger mode between alerts, a quiet
    /// remote host) would learn that its reader left only at its next
    /// write, and linger, probe attached, until then. `None` for regular
    /// files, terminals and where the watch cannot start.
    ///
    /// The thread holds a duplicate of the descriptor (a second writer,
    /// which does not keep the pipe open for anyone) and is never joined:
    /// it ends with the process.
    #[cfg(unix)]
    pub fn watch_reader(&self) -> Option<Arc<AtomicBool>> {
        use std::os::fd::{AsFd, OwnedFd};
        let fd: OwnedFd = match self {
            // Output::open made it a FIFO or another non-regular path.
            Output::Fifo(f) => f.as_fd().try_clone_to_owned().ok()?,
            Output::Stdout => {
                let f = File::from(io::stdout().as_fd().try_clone_to_owned().ok()?);
                if f.metadata().ok()?.is_file() || io::IsTerminal::is_terminal(&f) {
                    return None;
                }
                f.into()
            }
            Output::File { .. } => return None,
        };
        let flag = Arc::new(AtomicBool::new(false));
        let raised = Arc::clone(&flag);
        std::thread::Builder::new()
            .name("reader-watch".into())
            .spawn(move || {
                use std::os::fd::AsRawFd;
                // No events asked: poll reports only POLLERR (a pipe or
                // FIFO without readers) and POLLHUP (a socket whose peer
                // closed), which is exactly "the reader left".
                let mut p = libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: 0,
                    revents: 0,
                };
                loop {
                    // SAFETY: one valid pollfd, owned by this frame.
                    #[allow(unsafe_code)]
                    let n = unsafe { libc::poll(&mut p, 1, -1) };
                    if n > 0 && p.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
                        raised.store(true, Ordering::SeqCst);
                        return;
                    }
                    if n < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                        return;
                    }
                }
            })
            .ok()?;
        Some(flag)
    }

    /// Not watched off Unix: the next write notices.
    #[cfg(not(unix))]
    pub fn watch_reader(&self) -> Option<Arc<AtomicBool>> {
        None
    }
}

pub(crate) struct OutputWriter(pub(crate) Output);

impl Write for OutputWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            Output::Fifo(f) | Output::File { file: f, .. } => f.write(buf),
            Output::Stdout => io::stdout().write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            Output::Fifo(f) | Output::File { file: f, .. } => f.flush(),
            Output::Stdout => io::stdout().flush(),
        }
    }
}

/// Cuts a regular file (`truncate`) back to its last whole block after
/// the I/O error `err`, so a full disk never leaves half a block behind,
/// and keeps every whole block that reached the disk (the writer counts
/// them; `committed` is the last flush point). Returns the length cut to,
/// if the output is a file and the cut worked.
///
/// Only an I/O error can leave part of a block behind. An event the writer
/// refuses (too large, not in the profile) wrote nothing: the output is
/// whole, and cutting it back to the last flush would throw away the good
/// events buffered since, which the end of the capture still writes.
pub(crate) fn cut_back(truncate: Option<&File>, committed: u64, err: &WriteError) -> Option<u64> {
    let WriteError::Io { written, .. } = err else {
        return None;
    };
    let keep = (*written).max(committed);
    truncate?.set_len(keep).ok().map(|()| keep)
}

pub(crate) fn is_broken_pipe(e: &WriteError) -> bool {
    matches!(e, WriteError::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
}
