//! Why a capture ended, and what can go wrong in one.

use std::fmt;
use std::io;
use std::path::PathBuf;

use scapbridge_formats::{ReadError, WriteError};

use crate::usage::UsageError;

/// Why a capture ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The source has no more events (end of a replayed file).
    EndOfInput,
    /// `--count` events were written.
    Count,
    /// `--duration` elapsed.
    Duration,
    /// SIGTERM or SIGINT.
    Signal,
    /// The host sent a quit message.
    Quit,
    /// The reader closed the FIFO or pipe (EPIPE).
    ReaderGone,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::EndOfInput => "end of input",
            StopReason::Count => "event count reached",
            StopReason::Duration => "duration reached",
            StopReason::Signal => "interrupted",
            StopReason::Quit => "stopped by the analyzer",
            StopReason::ReaderGone => "the reader closed the stream",
        })
    }
}

/// A capture failure. Each becomes one human line at the binary's edge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Wrong options.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The input could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// Input path.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// The input is not a readable capture.
    #[error("{path}: {source}")]
    Read {
        /// Input path.
        path: PathBuf,
        /// Cause, with its byte offset.
        source: ReadError,
    },
    /// The output could not be opened.
    #[error("cannot open output {target}: {source}")]
    Output {
        /// FIFO or file path.
        target: String,
        /// Cause.
        source: io::Error,
    },
    /// Writing the output failed.
    #[error("writing {target}: {source}{}", truncated.map(|n| format!("; the file was cut back to {n} bytes, its last whole block")).unwrap_or_default())]
    Write {
        /// FIFO or file path.
        target: String,
        /// Cause.
        source: WriteError,
        /// Length the file was cut back to, if it was.
        truncated: Option<u64>,
    },
    /// The syscall probe cannot run.
    #[error(transparent)]
    Probe(#[from] scapbridge_probe::ProbeError),
    /// The rules do not load.
    #[error(transparent)]
    Rules(#[from] scapbridge_rules::RulesError),
    /// The source failed (an SSH session, its remote command, an S3 or
    /// SQS call, a record that makes no event): the source's own typed
    /// error (`scapbridge_ssh::SshError`, `scapbridge_ssh::RemoteFailure`,
    /// `scapbridge_aws::AwsError`, …), one line saying which and why.
    #[error(transparent)]
    Source(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The command to trace could not be started (not found: exit 127,
    /// found but not runnable: 126, as a shell says).
    #[error("cannot run {program}: {reason}")]
    Command {
        /// The command as given.
        program: String,
        /// Why, in a shell's words ("command not found", "permission denied").
        reason: CommandFault,
    },
    /// The capture filter does not compile.
    #[error("capture filter '{text}': {source}")]
    Filter {
        /// The filter as given.
        text: String,
        /// Every problem, with columns.
        source: scapbridge_filter::FilterError,
    },
}

/// Why the command to trace could not be run (see [`CaptureError::Command`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandFault {
    /// No executable of that name in `PATH`.
    #[error("command not found")]
    NotFound,
    /// A path that does not exist.
    #[error("no such file or directory")]
    NoSuchFile,
    /// Found, but not executable by us.
    #[error("permission denied")]
    PermissionDenied,
    /// An argument cannot be passed to execve.
    #[error("an argument holds a NUL byte")]
    NulInArgument,
    /// The process could not be made.
    #[error("fork: {0}")]
    Fork(std::io::Error),
    /// Waiting for it to stop before the capture failed.
    #[error("waitpid: {0}")]
    Wait(std::io::Error),
    /// It ended before the capture started.
    #[error("it ended before the capture started")]
    EndedEarly,
    /// It could not be let run once the probe was attached.
    #[error("could not resume it: {0}")]
    Resume(std::io::Error),
    /// Its execve failed in the child (a script whose `#!` interpreter is
    /// missing, a file that is not a program), in a shell's words.
    #[error("{}", exec_words(.0))]
    Exec(std::io::Error),
}

/// bash's words for an execve that failed ("cannot execute: …").
fn exec_words(e: &std::io::Error) -> String {
    #[cfg(unix)]
    match e.raw_os_error() {
        Some(libc::ENOENT) => return "required file not found".into(),
        Some(libc::ENOEXEC) => return "exec format error".into(),
        Some(libc::EACCES) => return "permission denied".into(),
        _ => {}
    }
    e.to_string()
}

impl CommandFault {
    /// Whether a shell would call it "not found" (exit 127) rather than
    /// "not runnable" (126).
    pub fn not_found(&self) -> bool {
        match self {
            CommandFault::NotFound | CommandFault::NoSuchFile => true,
            CommandFault::Exec(e) => e.kind() == std::io::ErrorKind::NotFound,
            _ => false,
        }
    }
}
