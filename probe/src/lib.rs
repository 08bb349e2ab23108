//! The local eBPF syscall probe (Linux on x86-64).
//!
//! The kernel side (`bpf/probe.bpf.c`, C with CO-RE, compiled by clang from
//! `build.rs`) writes scap events into a ring buffer; [`Probe`] loads it with
//! aya, attaches it through BTF tracepoints (no tracefs), and hands each
//! record to the caller after [`record::fixup`]. [`procfs`] reads the process
//! and fd tables of processes that started before the capture.
//!
//! The probe knows the kernel, not rules: filtering by rule is the engine's
//! business; the probe filters only by syscall set and process tree, in the
//! kernel, where it is cheap.
//!
//! On other systems the crate builds, and [`Probe::load`] answers
//! [`ProbeError::Unsupported`].

mod error;
#[cfg(target_os = "linux")]
mod loader;
#[cfg(any(target_os = "linux", test))]
mod merge;
pub mod procfs;
pub mod record;
mod spec;
pub mod syscalls;
mod x86_64_syscalls {
    //! The x86-64 syscall table, kept with the event schema in `formats`
    //! (readers name a generic event by its native number with it too).
    pub(crate) use scapbridge_formats::schema::X86_64_SYSCALLS as X86_64;
}

pub use error::{
    AttachFault, LayoutFault, LayoutMismatch, LoadFault, LoadStep, ProbeError, ProbeNote,
    SyscallSetError, TracefsFault,
};
#[cfg(target_os = "linux")]
pub use loader::{check_available, Probe, MAX_SCOPE_CGROUPS};

/// How this build's kernel side was made (`scapbridge --version`): the
/// object's size and hash and its compiler, or why there is none.
pub const BUILD: &str = env!("SCAPBRIDGE_PROBE_BUILD");

/// Default ring buffer size (Falco's default, per buffer).
pub const DEFAULT_RING_BYTES: u32 = 8 << 20;
/// Default bytes of I/O data kept per event (sysdig's default).
pub const DEFAULT_SNAPLEN: u32 = 80;
/// Largest snaplen the kernel program accepts.
pub const MAX_SNAPLEN: u32 = 4096;

/// What to capture.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Bytes of each ring buffer: a power of two, at least one page.
    pub ring_bytes: u32,
    /// CPUs sharing one ring buffer (Falco's `cpus_for_each_buffer`): 1 for
    /// a ring per CPU, 0 for one ring shared by all. Machines with more
    /// CPUs than the probe has rings (16) share them between neighbours.
    pub cpus_per_ring: u32,
    /// I/O bytes per event (read/write data).
    pub snaplen: u32,
    /// Syscall numbers to capture; `None` for all of them.
    pub syscalls: Option<Vec<u16>>,
    /// Trace only these processes and their descendants; empty for all.
    pub pids: Vec<u32>,
    /// Leave out the capturing process's own syscalls.
    pub ignore_self: bool,
    /// Capture only threads in these cgroups or below them (`--container`,
    /// `--pod`); `None` for every cgroup. More can be added while the probe
    /// runs ([`Probe::add_scope_cgroup`]).
    pub cgroup_scope: Option<CgroupScope>,
}

/// Which cgroup hierarchy a thread's cgroup is read from for the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeHierarchy {
    /// The default (cgroup v2) hierarchy: a cgroup v2 machine.
    Unified,
    /// The v1 memory controller's: cgroup v1 and hybrid machines.
    Memory,
}

/// A scoped capture's cgroups: threads in them or below them are captured,
/// the others' events are counted in [`ProbeStats::scoped_out`] and never
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupScope {
    /// The hierarchy the ids belong to.
    pub hierarchy: ScopeHierarchy,
    /// Cgroup ids: the inode numbers of the cgroup directories.
    pub cgroup_ids: Vec<u64>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            ring_bytes: DEFAULT_RING_BYTES,
            cpus_per_ring: 1,
            snaplen: DEFAULT_SNAPLEN,
            syscalls: None,
            pids: Vec::new(),
            ignore_self: true,
            cgroup_scope: None,
        }
    }
}

/// Kernel-side counters, summed over the CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeStats {
    /// Events the probe tried to write.
    pub events: u64,
    /// Events lost because the ring buffer was full.
    pub drops: u64,
    /// Events written with parameters cut to fit the event size limit.
    pub truncated: u64,
    /// Events not written because their thread is outside the capture's
    /// cgroup scope (counted before anything of them is built).
    pub scoped_out: u64,
}

/// Parses a syscall set: names or numbers, comma-separated; `falco` stands
/// for the syscalls the stock Falco rules use, `all` for every syscall.
pub fn parse_syscall_set(s: &str) -> Result<Option<Vec<u16>>, SyscallSetError> {
    let mut out = Vec::new();
    for item in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match item {
            "all" => return Ok(None),
            "falco" => {
                for n in FALCO_SYSCALLS {
                    out.extend(syscalls::number(n));
                }
            }
            _ => match item.parse::<u16>() {
                Ok(n) if usize::from(n) < spec::TABLE_SIZE => out.push(n),
                Ok(number) => {
                    return Err(SyscallSetError::OutOfRange {
                        number,
                        max: spec::TABLE_SIZE - 1,
                    })
                }
                Err(_) => match syscalls::number(item) {
                    Some(n) => out.push(n),
                    None => {
                        return Err(SyscallSetError::Unknown {
                            name: item.to_string(),
                        })
                    }
                },
            },
        }
    }
    if out.is_empty() {
        return Err(SyscallSetError::Empty);
    }
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

/// The syscalls the stock Falco rules and the process/fd state need.
const FALCO_SYSCALLS: &[&str] = &[
    "execve",
    "execveat",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "open",
    "openat",
    "openat2",
    "creat",
    "close",
    "connect",
    "accept",
    "accept4",
    "socket",
    "bind",
    "listen",
    "sendto",
    "recvfrom",
    "dup",
    "dup2",
    "dup3",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "mkdir",
    "mkdirat",
    "rmdir",
    "chmod",
    "fchmod",
    "fchmodat",
    "symlink",
    "symlinkat",
    "link",
    "linkat",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "ptrace",
    "mount",
    "umount2",
    "kill",
    "tgkill",
    "memfd_create",
    "bpf",
    "init_module",
    "finit_module",
    "prctl",
    "capset",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn syscall_sets() {
        assert_eq!(parse_syscall_set("all"), Ok(None));
        let s = parse_syscall_set("openat, 59,write")
            .expect("valid")
            .expect("some");
        assert_eq!(s, vec![1, 59, 257]);
        assert!(parse_syscall_set("openatt")
            .unwrap_err()
            .to_string()
            .contains("openatt"));
        assert!(parse_syscall_set("600").is_err());
        assert!(
            parse_syscall_set("falco")
                .expect("valid")
                .expect("some")
                .len()
                > 40
        );
    }
}
