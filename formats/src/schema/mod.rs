//! The event schema: every event id with its name, direction, category,
//! flags and parameter list.
//!
//! The table in `generated.rs` is produced by `formats/tools/gen_schema.py` from
//! the event table shipped in Falco's `falco_event_schema` crate (libs 0.21
//! layouts), with the parameters that later libs releases appended (close `fd`,
//! execve `filename`, ...) added at the end. Because libs only ever *appends*
//! parameters to an existing id, the table describes every historical layout of
//! an id as a prefix of its parameter list.

// Generated: its items are public for the table's users inside the crate.
#[allow(unreachable_pub)]
mod generated;
mod x86_64_syscalls;

/// The x86-64 syscall `nr`'s name (from the kernel's `unistd_64.h`): how
/// libs 0.23 names a generic event whose syscall code is 0 by its native
/// number.
pub fn x86_64_syscall_name(nr: u16) -> Option<&'static str> {
    let t = x86_64_syscalls::X86_64;
    t.binary_search_by_key(&nr, |(n, _)| *n)
        .ok()
        .map(|i| t[i].1)
}

/// Every x86-64 syscall, `(number, name)`, by number.
pub use x86_64_syscalls::X86_64 as X86_64_SYSCALLS;

pub use generated::EVENT_MAX;
pub use generated::{FLAGS_CLONE_FLAGS, FLAGS_FILE_FLAGS, FLAGS_SOCKET_FAMILIES};

/// Event category bits (`enum ppm_event_category`).
pub mod cat {
    #![allow(missing_docs)]
    pub const UNKNOWN: u32 = 0;
    pub const OTHER: u32 = 1;
    pub const FILE: u32 = 2;
    pub const NET: u32 = 3;
    pub const IPC: u32 = 4;
    pub const MEMORY: u32 = 5;
    pub const PROCESS: u32 = 6;
    pub const SLEEP: u32 = 7;
    pub const SYSTEM: u32 = 8;
    pub const SIGNAL: u32 = 9;
    pub const USER: u32 = 10;
    pub const TIME: u32 = 11;
    pub const PROCESSING: u32 = 12;
    pub const IO_READ: u32 = 32;
    pub const IO_WRITE: u32 = 33;
    pub const IO_OTHER: u32 = 34;
    pub const WAIT: u32 = 1 << 6;
    pub const SCHEDULER: u32 = 1 << 7;
    pub const INTERNAL: u32 = 1 << 8;
    pub const SYSCALL: u32 = 1 << 9;
    pub const TRACEPOINT: u32 = 1 << 10;
    pub const PLUGIN: u32 = 1 << 11;
    pub const METAEVENT: u32 = 1 << 12;
    /// Mask of the "syscall category" part (the low bits).
    pub const SUBCATEGORY_MASK: u32 = 0xff;
}

/// Event flag bits (`enum ppm_event_flags`).
pub mod ef {
    #![allow(missing_docs)]
    pub const NONE: u32 = 0;
    pub const CREATES_FD: u32 = 1 << 0;
    pub const DESTROYS_FD: u32 = 1 << 1;
    pub const USES_FD: u32 = 1 << 2;
    pub const READS_FROM_FD: u32 = 1 << 3;
    pub const WRITES_TO_FD: u32 = 1 << 4;
    pub const MODIFIES_STATE: u32 = 1 << 5;
    pub const UNUSED: u32 = 1 << 6;
    pub const WAITS: u32 = 1 << 7;
    pub const SKIPPARSERESET: u32 = 1 << 8;
    pub const OLD_VERSION: u32 = 1 << 9;
    pub const LARGE_PAYLOAD: u32 = 1 << 11;
    pub const TMP_CONVERTER_MANAGED: u32 = 1 << 12;
}

/// Wire type of a parameter (`enum ppm_param_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum ParamType {
    None,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Charbuf,
    Bytebuf,
    Errno,
    Sockaddr,
    Socktuple,
    Fd,
    Pid,
    Fdlist,
    Fspath,
    Syscallid,
    Sigtype,
    Reltime,
    Abstime,
    Port,
    L4proto,
    Sockfamily,
    Bool,
    Ipv4addr,
    Dyn,
    Flags8,
    Flags16,
    Flags32,
    Uid,
    Gid,
    Double,
    Sigset,
    Charbufarray,
    CharbufPairArray,
    Ipv4net,
    Ipv6addr,
    Ipv6net,
    Ipaddr,
    Ipnet,
    Mode,
    Fsrelpath,
    Enumflags8,
    Enumflags16,
    Enumflags32,
    Fd32,
    Pid32,
}

impl ParamType {
    /// Fixed wire size in bytes, or `None` for variable-length types.
    pub fn fixed_size(self) -> Option<usize> {
        use ParamType::*;
        Some(match self {
            Int8 | Uint8 | Sigtype | L4proto | Sockfamily | Flags8 | Enumflags8 => 1,
            Int16 | Uint16 | Syscallid | Port | Flags16 | Enumflags16 => 2,
            Int32 | Uint32 | Bool | Ipv4addr | Flags32 | Uid | Gid | Sigset | Mode
            | Enumflags32 | Fd32 | Pid32 => 4,
            Int64 | Uint64 | Errno | Fd | Pid | Reltime | Abstime | Double | Ipv4net => 8,
            Ipv6addr => 16,
            Ipv6net => 32,
            _ => return Option::None,
        })
    }

    /// Whether the value is a NUL-terminated string.
    pub fn is_string(self) -> bool {
        matches!(
            self,
            ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath
        )
    }
}

/// How a numeric parameter is printed (`enum ppm_print_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum PrintFormat {
    Na,
    Dec,
    Hex,
    Oct,
}

/// One alternative of a `PT_DYN` parameter.
#[derive(Debug, Clone, Copy)]
pub struct DynAlt {
    /// Type of the value following the index byte.
    pub ty: ParamType,
    /// Print format of that value.
    pub fmt: PrintFormat,
}

/// Extra information attached to a parameter.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ParamAux {
    /// Nothing.
    None,
    /// Names of the flag bits or enum values, in the libs table order.
    Flags(&'static [(&'static str, u32)]),
    /// For `FSRELPATH`: index of the dirfd parameter it is relative to.
    DirFd(u8),
    /// For `DYN`: the alternative types selected by the first byte.
    Dyn(&'static [DynAlt]),
}

/// Description of one parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    /// Parameter name as libsinsp prints it (`fd`, `res`, ...).
    pub name: &'static str,
    /// Wire type.
    pub ty: ParamType,
    /// Print format.
    pub fmt: PrintFormat,
    /// Flag table, dirfd link or dynamic alternatives.
    pub aux: ParamAux,
}

/// Description of one event id.
#[derive(Debug, Clone, Copy)]
pub struct EventInfo {
    /// Display name (`openat`); all versions of an event share it.
    pub name: &'static str,
    /// The libs enum name (`PPME_SYSCALL_OPENAT_2_E`), empty for gaps.
    pub enum_name: &'static str,
    /// Category bits, see [`cat`].
    pub category: u32,
    /// Flag bits, see [`ef`].
    pub flags: u32,
    /// Parameter count in the libs 0.21 layout (the `compat` profile).
    pub compat_nparams: u8,
    /// Parameter count in the libs 0.23 layout (the `stratoshark` profile:
    /// what Stratoshark 0.9, Wireshark 4.6 and sysdig 0.41 read), taken from
    /// that library's own table.
    pub libs023_nparams: u8,
    /// The event's flags in libs 0.23 (`ef::UNUSED`, `ef::OLD_VERSION`,
    /// `ef::TMP_CONVERTER_MANAGED` decide what its reader keeps).
    pub libs023_flags: u32,
    /// Parameters, in the newest known layout.
    pub params: &'static [ParamInfo],
}

/// Direction of an event: even ids enter a syscall, odd ids leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `>`
    Enter,
    /// `<`
    Exit,
}

impl Direction {
    /// Direction of an event id.
    pub fn of(event_type: u16) -> Self {
        if event_type & 1 == 0 {
            Direction::Enter
        } else {
            Direction::Exit
        }
    }

    /// The character sysdig prints (`>` or `<`).
    pub fn as_char(self) -> char {
        match self {
            Direction::Enter => '>',
            Direction::Exit => '<',
        }
    }
}

impl EventInfo {
    /// Whether the id is a placeholder that no producer emits.
    pub fn is_unused(&self) -> bool {
        self.flags & ef::UNUSED != 0
    }

    /// Whether parameter lengths are `u32` (block `0x221`) instead of `u16`.
    pub fn is_large_payload(&self) -> bool {
        self.flags & ef::LARGE_PAYLOAD != 0
    }

    /// Parameter count in the newest known layout.
    pub fn nparams(&self) -> usize {
        self.params.len()
    }

    /// Name of the category, as `evt.category` shows it.
    pub fn category_name(&self) -> &'static str {
        match self.category & cat::SUBCATEGORY_MASK {
            cat::OTHER => "other",
            cat::FILE => "file",
            cat::NET => "net",
            cat::IPC => "IPC",
            cat::MEMORY => "memory",
            cat::PROCESS => "process",
            cat::SLEEP => "sleep",
            cat::SYSTEM => "system",
            cat::SIGNAL => "signal",
            cat::USER => "user",
            cat::TIME => "time",
            cat::PROCESSING => "processing",
            cat::IO_READ | cat::IO_WRITE | cat::IO_OTHER => "I/O",
            _ if self.category & cat::WAIT != 0 => "wait",
            _ if self.category & cat::SCHEDULER != 0 => "scheduler",
            _ if self.category & cat::INTERNAL != 0 => "internal",
            _ => "unknown",
        }
    }

    /// Index of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

/// Looks an event id up; `None` for ids past the table.
pub fn event_info(event_type: u16) -> Option<&'static EventInfo> {
    generated::EVENTS.get(usize::from(event_type))
}

/// Looks an event id up and returns it only if some producer can emit it.
pub fn known_event(event_type: u16) -> Option<&'static EventInfo> {
    event_info(event_type).filter(|e| !e.is_unused() || event_type == PPME_GENERIC_E)
}

/// All ids whose display name is `name` (all versions of an event).
pub fn ids_named(name: &str) -> impl Iterator<Item = u16> + '_ {
    generated::EVENTS
        .iter()
        .enumerate()
        .filter(move |(_, e)| e.name == name && !e.is_unused())
        .map(|(i, _)| i as u16)
}

/// The Linux name of an errno value (`2` → `ENOENT`), the kernel's own
/// restart codes included: a syscall interrupted by a signal returns -514,
/// ERESTARTNOHAND, to the probe, and libsinsp (0.21 and 0.23) names them.
pub fn errno_name(errno: u64) -> Option<&'static str> {
    let n = u16::try_from(errno).ok()?;
    let restart = match n {
        512 => Some("ERESTARTSYS"),
        513 => Some("ERESTARTNOINTR"),
        514 => Some("ERESTARTNOHAND"),
        515 => Some("ENOIOCTLCMD"),
        516 => Some("ERESTART_RESTARTBLOCK"),
        _ => None,
    };
    generated::ERRNO_NAMES
        .binary_search_by_key(&n, |(k, _)| *k)
        .ok()
        .map(|i| generated::ERRNO_NAMES[i].1)
        .or(restart)
}

/// The Linux name of a signal number (`9` → `SIGKILL`).
pub fn signal_name(sig: u8) -> Option<&'static str> {
    generated::SIGNAL_NAMES
        .iter()
        .find(|(k, _)| *k == sig)
        .map(|(_, v)| *v)
}

/// `PPME_GENERIC_E` (the generic `syscall` event).
pub const PPME_GENERIC_E: u16 = 0;
/// `PPME_DROP_E`: the driver dropped events.
pub const PPME_DROP_E: u16 = 148;
/// `PPME_DROP_X`.
pub const PPME_DROP_X: u16 = 149;
/// `PPME_PROCINFO_E`.
pub const PPME_PROCINFO_E: u16 = 234;
/// `PPME_PLUGINEVENT_E`: a plugin event (plugin id, payload).
pub const PPME_PLUGINEVENT_E: u16 = 322;
/// `useradded` (meta event; not numbered by sysdig).
pub const PPME_USER_ADDED_E: u16 = 354;
/// `userdeleted`.
pub const PPME_USER_DELETED_E: u16 = 356;
/// `groupadded`.
pub const PPME_GROUP_ADDED_E: u16 = 358;
/// `groupdeleted`.
pub const PPME_GROUP_DELETED_E: u16 = 360;
/// `PPME_CONTAINER_JSON_E`: a container's JSON (u16 lengths).
pub const PPME_CONTAINER_JSON_E: u16 = 272;
/// `PPME_CONTAINER_JSON_2_E`.
pub const PPME_CONTAINER_JSON_2_E: u16 = 324;
/// `PPME_ASYNCEVENT_E`.
pub const PPME_ASYNCEVENT_E: u16 = 402;

/// The name of a `ppm_sc_code` (`139` → `madvise`), as the generic `syscall` event's `ID` carries it.
pub fn syscall_name(code: u16) -> Option<&'static str> {
    generated::SYSCALL_NAMES
        .binary_search_by_key(&code, |(k, _)| *k)
        .ok()
        .map(|i| generated::SYSCALL_NAMES[i].1)
}

/// The highest `ppm_sc_code` with a name.
pub const SYSCALL_CODE_MAX: usize = {
    let mut max = 0;
    let mut i = 0;
    while i < generated::SYSCALL_NAMES.len() {
        if generated::SYSCALL_NAMES[i].0 as usize > max {
            max = generated::SYSCALL_NAMES[i].0 as usize;
        }
        i += 1;
    }
    max
};

/// Every `ppm_sc_code` named `name` (generic events carry these).
pub fn syscall_codes_named(name: &str) -> impl Iterator<Item = u16> + '_ {
    generated::SYSCALL_NAMES
        .iter()
        .filter(move |(_, n)| *n == name)
        .map(|(k, _)| *k)
}

/// The `ppm_sc_code` of a syscall name (`madvise` → `139`): the inverse of [`syscall_name`].
pub fn syscall_code(name: &str) -> Option<u16> {
    generated::SYSCALL_NAMES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use generated::SYSCALL_NAMES as SYSCALL_NAMES_FOR_TEST;

    #[test]
    fn known_ids_match_the_spec() {
        let openat_e = event_info(306).unwrap();
        assert_eq!(openat_e.name, "openat");
        assert_eq!(openat_e.params.len(), 4);
        assert_eq!(openat_e.params[1].ty, ParamType::Fsrelpath);
        let execve_x = event_info(293).unwrap();
        assert_eq!(execve_x.params.len(), 31);
        assert_eq!(execve_x.compat_nparams, 30);
        assert_eq!(execve_x.params[30].name, "filename");
        let close_x = event_info(5).unwrap();
        assert_eq!(close_x.params.len(), 2);
        assert_eq!(close_x.compat_nparams, 1);
        assert!(event_info(PPME_PLUGINEVENT_E).unwrap().is_large_payload());
        assert!(event_info(PPME_ASYNCEVENT_E).unwrap().is_large_payload());
        assert!(event_info(EVENT_MAX).is_none());
        assert_eq!(Direction::of(307), Direction::Exit);
        // The user/group meta events are these ids and no others.
        for (name, id) in [
            ("useradded", PPME_USER_ADDED_E),
            ("userdeleted", PPME_USER_DELETED_E),
            ("groupadded", PPME_GROUP_ADDED_E),
            ("groupdeleted", PPME_GROUP_DELETED_E),
        ] {
            assert_eq!(ids_named(name).collect::<Vec<_>>(), vec![id], "{name}");
        }
        let max = SYSCALL_NAMES_FOR_TEST
            .iter()
            .map(|(c, _)| usize::from(*c))
            .max();
        assert_eq!(max, Some(SYSCALL_CODE_MAX));
    }

    #[test]
    fn errno_and_signals() {
        assert_eq!(errno_name(2), Some("ENOENT"));
        assert_eq!(errno_name(115), Some("EINPROGRESS"));
        assert_eq!(signal_name(9), Some("SIGKILL"));
    }

    #[test]
    fn fixed_sizes_are_consistent() {
        for (id, e) in generated::EVENTS.iter().enumerate() {
            assert!(e.params.len() <= 32, "event {id} has too many params");
            assert!(usize::from(e.compat_nparams) <= e.params.len());
        }
    }
}
