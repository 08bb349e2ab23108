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
    #[error("the syscall probe needs {} (run as root, or grant the capabilities)", missing.join(" and "))]
    NotPermitted {
        /// The missing capabilities (`CAP_BPF`, `CAP_PERFMON`).
        missing: Vec<&'static str>,
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
    #[error("cannot {step}: {source}")]
    Load {
        /// What was being done.
        step: LoadStep,
        /// The cause: the loader's (aya's) own error, the kernel's errno,
        /// or a [`LoadFault`] (what was missing from the probe object).
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

/// What the loader was doing when it failed (see [`ProbeError::Load`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadStep {
    /// Reading the kernel's BTF.
    #[error("read the kernel BTF")]
    ReadBtf,
    /// Counting the possible CPUs.
    #[error("count the CPUs ({path})")]
    CountCpus {
        /// The file read.
        path: &'static str,
    },
    /// Loading the probe object into the kernel.
    #[error("load the probe object")]
    LoadObject,
    /// Checking and encoding the per-syscall layouts.
    #[error("build the syscall layouts")]
    BuildLayouts,
    /// Finding a map in the object.
    #[error("find map {map}")]
    FindMap {
        /// The map's name.
        map: &'static str,
    },
    /// Finding the ring buffer map of ring `index` (`EVENTS_<index>`).
    #[error("find map EVENTS_{index}")]
    FindRing {
        /// The ring's index.
        index: usize,
    },
    /// Opening a map as its type.
    #[error("open map {map}")]
    OpenMap {
        /// The map's name.
        map: &'static str,
    },
    /// Filling a map before the programs attach.
    #[error("fill map {map}")]
    FillMap {
        /// The map's name.
        map: &'static str,
    },
    /// Adding an entry to a map of a running probe.
    #[error("add to map {map}")]
    AddToMap {
        /// The map's name.
        map: &'static str,
    },
    /// Removing an entry from a map of a running probe.
    #[error("remove from map {map}")]
    RemoveFromMap {
        /// The map's name.
        map: &'static str,
    },
    /// Reading a map.
    #[error("read map {map}")]
    ReadMap {
        /// The map's name.
        map: &'static str,
    },
    /// Opening a ring buffer map as a ring buffer.
    #[error("open the ring buffer")]
    OpenRing,
    /// Finding a program in the object.
    #[error("find program {program}")]
    FindProgram {
        /// The program's name.
        program: &'static str,
    },
    /// Using a program as its type, or getting its fd.
    #[error("use program {program}")]
    UseProgram {
        /// The program's name.
        program: &'static str,
    },
    /// Loading or attaching a program (other than a verifier refusal).
    #[error("attach {program}")]
    Attach {
        /// The program's name.
        program: &'static str,
    },
}

/// What the loader itself found wrong: the source of a
/// [`ProbeError::Load`] that is neither aya's nor the kernel's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadFault {
    /// The probe object has no such map or program.
    #[error("missing")]
    Missing,
    /// A syscall layout does not match the event schema.
    #[error(transparent)]
    Layout(#[from] LayoutMismatch),
}

/// A syscall layout of the probe's table that does not match the event
/// schema (a bug in the table, caught before anything is loaded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} ({nr}): {fault}")]
#[non_exhaustive]
pub struct LayoutMismatch {
    /// The layout's event name (`openat`).
    pub event: &'static str,
    /// The syscall number.
    pub nr: u16,
    /// What does not match.
    pub fault: LayoutFault,
}

/// What does not match in a [`LayoutMismatch`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutFault {
    /// The schema has no exit event of the layout's name.
    #[error("no exit event in the schema")]
    NoExitEvent,
    /// The schema has no event of this id.
    #[error("no event {id}")]
    NoEvent {
        /// The event id.
        id: u16,
    },
    /// Not the schema's parameter count.
    #[error("{have} parameters for {event} ({schema} in the schema)")]
    ParamCount {
        /// The event's enum name (`PPME_SYSCALL_OPENAT_2_X`).
        event: &'static str,
        /// Parameters in the layout.
        have: usize,
        /// Parameters in the schema.
        schema: usize,
    },
    /// A parameter whose width is not the schema type's.
    #[error("parameter {param} of {event} has the wrong size")]
    ParamSize {
        /// The event's enum name.
        event: &'static str,
        /// The parameter's name.
        param: &'static str,
    },
    /// More enter and exit parameters than the kernel side holds.
    #[error("too many parameters")]
    TooManyParams,
}

/// Something the probe does without, said once it is loaded (see
/// `Probe::notes`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeNote {
    /// No tracefs: no time-of-check hooks at all.
    #[error(
        "no time-of-check copies of open/connect arguments (tracefs: {0}); exit events carry them"
    )]
    NoTracefs(TracefsFault),
    /// One time-of-check hook could not be attached.
    #[error("no time-of-check copies for {tracepoint} ({fault}); exit events carry them")]
    NoEntryHook {
        /// The tracepoint (`sys_enter_openat`).
        tracepoint: &'static str,
        /// Why.
        fault: AttachFault,
    },
}

/// Why tracefs, which the time-of-check hooks need, is not there.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracefsFault {
    /// Neither usual place has it, and mounting it failed.
    #[error("cannot mount it at {at}: {source}")]
    Mount {
        /// Where it was mounted.
        at: &'static str,
        /// The kernel's error.
        source: std::io::Error,
    },
    /// Mounted, but without syscall tracepoints.
    #[error("{at} has no syscall tracepoints")]
    NoSyscallTracepoints {
        /// Where it is mounted.
        at: &'static str,
    },
}

/// Why a tracepoint program could not be attached through a perf event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachFault {
    /// The tracepoint's id file could not be read.
    #[error("{}: {source}", path.display())]
    ReadId {
        /// The id file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The tracepoint's id file does not hold a number.
    #[error("{}: {source}", path.display())]
    ParseId {
        /// The id file.
        path: PathBuf,
        /// The cause.
        source: std::num::ParseIntError,
    },
    /// perf_event_open failed.
    #[error("perf_event_open: {0}")]
    PerfEventOpen(std::io::Error),
    /// An ioctl on the perf event failed.
    #[error("{request}: {source}")]
    Ioctl {
        /// The request (`PERF_EVENT_IOC_SET_BPF`).
        request: &'static str,
        /// The kernel's error.
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_steps_and_faults_read_as_before() {
        let load = |step, source: LoadFault| ProbeError::Load {
            step,
            source: Box::new(source),
        };
        assert_eq!(
            load(LoadStep::FindRing { index: 3 }, LoadFault::Missing).to_string(),
            "cannot find map EVENTS_3: missing"
        );
        assert_eq!(
            load(
                LoadStep::BuildLayouts,
                LoadFault::Layout(LayoutMismatch {
                    event: "openat",
                    nr: 257,
                    fault: LayoutFault::ParamCount {
                        event: "PPME_SYSCALL_OPENAT_2_X",
                        have: 3,
                        schema: 7,
                    },
                }),
            )
            .to_string(),
            "cannot build the syscall layouts: openat (257): 3 parameters for PPME_SYSCALL_OPENAT_2_X (7 in the schema)"
        );
        assert_eq!(
            ProbeError::NotPermitted {
                missing: vec!["CAP_BPF", "CAP_PERFMON"]
            }
            .to_string(),
            "the syscall probe needs CAP_BPF and CAP_PERFMON (run as root, or grant the capabilities)"
        );
        assert_eq!(
            ProbeNote::NoEntryHook {
                tracepoint: "sys_enter_openat",
                fault: AttachFault::Ioctl {
                    request: "PERF_EVENT_IOC_SET_BPF",
                    source: std::io::Error::from_raw_os_error(1),
                },
            }
            .to_string(),
            "no time-of-check copies for sys_enter_openat (PERF_EVENT_IOC_SET_BPF: Operation not permitted (os error 1)); exit events carry them"
        );
    }
}
