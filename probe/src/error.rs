//! Why the probe cannot run.

use std::path::PathBuf;

/// An error loading or running the probe. Each variant's message is one line
/// naming the cause and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The probe exists only for Linux on x86-64.
    #[error("the syscall probe is not available here: {reason}")]
    Unsupported {
        /// Why.
        reason: &'static str,
    },
    /// Missing privileges.
    #[error("the syscall probe needs {missing} (run as root, or grant the capabilities)")]
    NotPermitted {
        /// The missing capabilities, e.g. `CAP_BPF and CAP_PERFMON`.
        missing: String,
    },
    /// No kernel BTF.
    #[error("the kernel has no BTF at {}: the probe needs CONFIG_DEBUG_INFO_BTF", path.display())]
    NoBtf {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The kernel lacks a needed feature.
    #[error("kernel {release} is too old: the probe needs Linux {need} or later ({why})")]
    KernelTooOld {
        /// `uname -r`.
        release: String,
        /// Minimum version.
        need: &'static str,
        /// The feature that needs it.
        why: &'static str,
    },
    /// The verifier refused a program.
    #[error("the kernel's verifier rejected program {program}: {last_line}")]
    Verifier {
        /// Program name.
        program: String,
        /// The log's last non-empty line.
        last_line: String,
        /// The whole verifier log.
        log: String,
    },
    /// Loading the object, a map or attaching failed.
    #[error("cannot {action}: {source}")]
    Load {
        /// What was being done.
        action: String,
        /// The cause: the loader's (aya's) own error, the kernel's errno,
        /// or what was missing from the probe object.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The ring buffer size is not a power of two of at least a page.
    #[error("buffer size {bytes} is not a power of two of at least 4096 bytes")]
    RingSize {
        /// The size asked for, in bytes.
        bytes: u32,
    },
    /// The snaplen is above what the probe copies.
    #[error("snaplen {snaplen} is above the probe's limit of {max} bytes")]
    Snaplen {
        /// The snaplen asked for.
        snaplen: u32,
        /// The probe's limit.
        max: u32,
    },
}

/// A syscall set ([`crate::parse_syscall_set`]) that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyscallSetError {
    /// A name no syscall of the table has.
    #[error("unknown syscall '{name}'")]
    Unknown {
        /// The name as given.
        name: String,
    },
    /// A number past the table.
    #[error("syscall number {number} is out of range (0-{max})")]
    OutOfRange {
        /// The number as given.
        number: u16,
        /// The highest number of the table.
        max: usize,
    },
    /// Nothing but commas and blanks.
    #[error("empty syscall set")]
    Empty,
}
