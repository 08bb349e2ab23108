//! How a remote capture ends badly once the session is up: what the user
//! reads is one line naming the host and why, with the last line the remote
//! command wrote to its stderr when it helps.

use std::fmt;

/// A remote capture that did not end cleanly.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RemoteFailure {
    /// The connection was lost mid-stream (keepalives unanswered, TCP
    /// reset) before the server closed the channel.
    Lost {
        /// `user@host`.
        host: String,
    },
    /// The remote command was killed by a signal.
    Killed {
        /// `user@host`.
        host: String,
        /// The signal's name without `SIG` (`KILL`).
        signal: String,
    },
    /// The remote command exited with a failure status.
    Exit {
        /// `user@host`.
        host: String,
        /// Its exit status.
        code: u32,
        /// Its last stderr line, empty if none.
        stderr: String,
    },
    /// The stream from the host is not a whole capture.
    BrokenStream {
        /// `user@host`.
        host: String,
        /// What the reader found wrong (shared: the failure is cloned
        /// into summaries, the reader's error is not `Clone`).
        error: std::sync::Arc<scapbridge_formats::ReadError>,
        /// The remote command's last stderr line, empty if none.
        stderr: String,
    },
}

impl fmt::Display for RemoteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteFailure::Lost { host } => write!(
                f,
                "the SSH connection was lost ({host}); the capture ends on its last whole block"
            ),
            RemoteFailure::Killed { host, signal } => write!(
                f,
                "the remote capture command on {host} was killed (SIG{signal}); the capture ends on its last whole block"
            ),
            RemoteFailure::Exit { host, code, stderr } => {
                write!(f, "the remote command failed on {host} (exit {code})")?;
                if !stderr.is_empty() {
                    write!(f, ": {stderr}")?;
                }
                Ok(())
            }
            RemoteFailure::BrokenStream {
                host,
                error,
                stderr,
            } => {
                write!(f, "the stream from {host} is not a whole capture ({error})")?;
                if !stderr.is_empty() {
                    write!(f, "; remote said: {stderr}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RemoteFailure {}
