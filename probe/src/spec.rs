//! What the kernel program writes for each syscall: the event ids and, per
//! parameter, how to read it (mirrors `bpf/spec.h`). The layouts are those of
//! the event schema's newest exit events, which since libs 0.23 carry every
//! argument of the syscall, so the probe writes exit events only (and, for
//! the time-of-check syscalls, their enter at syscall entry); the `compat`
//! layout synthesises the enters older readers need from the exits.
//!
//! Values are written raw; [`crate::record::fixup`] turns the Linux flag
//! values that differ from the PPM_* ones readers expect.

use scapbridge_formats::schema::{self, Direction, ParamType};

use crate::error::{LayoutFault, LayoutMismatch};
use crate::syscalls;

pub(crate) const MAX_PARAMS: usize = 32;
pub(crate) const TABLE_SIZE: usize = 512;

/// How one parameter is read (the `K_*` kinds of `spec.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum P {
    /// Zero-length.
    Empty,
    /// The return value (8 bytes).
    Ret,
    /// Argument `n`, `width` bytes.
    Arg(u8, u8),
    /// Argument `n`, a C `int` (fd, pid, signal) widened with its sign to 8 bytes.
    Int(u8),
    /// Written by the previous parameter (`ExeArgs` writes exe and args).
    Skip,
    /// `width` zero bytes: a value the probe does not read.
    Zero(u8),
    /// NUL-terminated user string at argument `n`.
    Str(u8),
    /// User bytes at argument `n`, as many as the return value (snaplen).
    BufRet(u8),
    /// User bytes at argument `n`, as many as argument `m` (snaplen).
    BufArg(u8, u8),
    /// User sockaddr at argument `n`, length in argument `m`.
    Sockaddr(u8, u8),
    /// Socket tuple of fd argument `n` (`None`: the return value); inbound?
    Tuple(Option<u8>, bool),
    /// A field of the calling task (`T_*`), `width` bytes for numbers.
    Task(u8, u8),
    /// exe then args from the task's argument area; on a failed exec, exe is
    /// the path in argument `n` (`None`: not an exec).
    ExeArgs(Option<u8>),
    /// The generic event's ppm syscall code.
    ScId,
    /// The syscall number.
    NativeId,
    /// Data of the iovec array at argument `n`.
    Iov(u8),
    /// Data of the iovecs of the msghdr at argument `n`.
    MsgIov(u8),
    /// The return value as a u32 size.
    RetSize,
    /// `width` bytes from user memory at argument `n` plus `offset`.
    Deref(u8, u8, u8),
    /// The executed path (from `sched_process_exec`), or argument `n` on failure.
    ExecName(u8),
    /// A `PT_DYN` value: alternative 0 (u64) holding argument `n`.
    Dyn64(u8),
    /// The fcntl command in argument `n`, as PPM_FCNTL_* (one byte).
    FcntlCmd(u8),
    /// Device of fd argument `n` (`None`: the return value), as `stat`'s `st_dev`.
    FdDev(Option<u8>),
    /// Inode number of fd argument `n` (`None`: the return value).
    FdIno(Option<u8>),
    /// Inode number of the fd stored as a C int in user memory at argument
    /// `n` plus `offset` (pipe's `int[2]`), once the call succeeded.
    FdInoAt(u8, u8),
    /// poll's fds: the pollfd array at argument `n`, count in argument `m`.
    FdList(u8, u8),
    /// The `struct timespec` at argument `n`, in ns (NULL: 0).
    RelTime(u8),
    /// The C int in user memory at argument `n` plus `offset`, widened with
    /// its sign to 8 bytes (pipe's and socketpair's fds; -1 when unreadable).
    IntAt(u8, u8),
    /// `O_NONBLOCK`/`O_CLOEXEC` of argument `n` as PPM_O_* in 2 bytes
    /// (converted in the kernel: O_CLOEXEC does not fit 2 bytes raw).
    OFlags16(u8),
    /// Path of fd argument `n` (`None`: the return value); empty when the
    /// fd names no file.
    FdPath(Option<u8>),
    /// set/getsockopt's option value as libs' PT_DYN (level, optname,
    /// optval, optlen in arguments 1-4); `true`: optlen is a pointer.
    Sockopt(bool),
    /// fsconfig's value for its command: `false` the binary blob
    /// (FSCONFIG_SET_BINARY), `true` the string (SET_STRING, SET_PATH,
    /// SET_PATH_EMPTY); empty otherwise and on failure.
    FsconfigValue(bool),
    /// One of quotactl's exit parameters (`QC_*` of spec.h, [`qc`]).
    Quotactl(u8),
    /// prctl's arg2 as libs writes it: `false` arg2_str (the name of
    /// PR_SET_NAME and PR_GET_NAME, else empty), `true` arg2_int (0 for
    /// those, the int PR_GET_CHILD_SUBREAPER stored, else arg2).
    PrctlArg2(bool),
}

/// quotactl's exit parameters for [`P::Quotactl`] (QC_* in spec.h).
pub(crate) mod qc {
    pub(crate) const QUOTAFILE: u8 = 0;
    pub(crate) const DQI_BGRACE: u8 = 8;
    pub(crate) const DQI_IGRACE: u8 = 9;
    pub(crate) const DQI_FLAGS: u8 = 10;
    pub(crate) const FMT_OUT: u8 = 11;
    pub(crate) const CMD: u8 = 12;
    pub(crate) const TYPE: u8 = 13;
    pub(crate) const ID: u8 = 14;
    pub(crate) const FMT: u8 = 15;

    /// Bytes the parameter takes (None: a string).
    pub(crate) fn width(field: u8) -> Option<u8> {
        match field {
            QUOTAFILE => None,
            1..=9 => Some(8),
            CMD => Some(2),
            ID => Some(4),
            _ => Some(1),
        }
    }
}

// Task fields (T_* in spec.h).
pub(crate) const T_TID: u8 = 2;
pub(crate) const T_PID: u8 = 3;
pub(crate) const T_PTID: u8 = 4;
pub(crate) const T_CWD: u8 = 5;
pub(crate) const T_FDLIMIT: u8 = 6;
pub(crate) const T_PGFT_MAJ: u8 = 7;
pub(crate) const T_PGFT_MIN: u8 = 8;
pub(crate) const T_COMM: u8 = 9;
pub(crate) const T_ENV: u8 = 10;
pub(crate) const T_TTY: u8 = 11;
pub(crate) const T_PGID: u8 = 12;
pub(crate) const T_LOGINUID: u8 = 13;
pub(crate) const T_CAP_INH: u8 = 14;
pub(crate) const T_CAP_PERM: u8 = 15;
pub(crate) const T_CAP_EFF: u8 = 16;
pub(crate) const T_UID: u8 = 17;
pub(crate) const T_GID: u8 = 18;
pub(crate) const T_EXEPATH: u8 = 19;
pub(crate) const T_CGROUPS: u8 = 21;
pub(crate) const T_VTID: u8 = 22;
pub(crate) const T_VPID: u8 = 23;
pub(crate) const T_VPGID: u8 = 24;
pub(crate) const T_PIDNS_START: u8 = 25;
pub(crate) const T_EXE_FLAGS: u8 = 26;
pub(crate) const T_EXE_INO: u8 = 27;
pub(crate) const T_EXE_CTIME: u8 = 28;
pub(crate) const T_EXE_MTIME: u8 = 29;
pub(crate) const T_VM_SIZE: u8 = 30;
pub(crate) const T_VM_RSS: u8 = 31;
pub(crate) const T_VM_SWAP: u8 = 32;

impl P {
    /// The 4-byte `struct param_spec` of spec.h: kind, arg, aux, width.
    fn encode(self) -> [u8; 4] {
        match self {
            P::Empty => [0, 0, 0, 0],
            P::Ret => [1, 0, 0, 8],
            P::Arg(n, w) => [2, n, 0, w],
            P::Int(n) => [2, n, 1, 8],
            P::Skip => [13, 0, 0, 0],
            P::Zero(w) => [3, 0, 0, w],
            P::Str(n) => [4, n, 0, 0],
            P::BufRet(n) => [5, n, 0xff, 0],
            P::BufArg(n, m) => [5, n, m, 0],
            P::Sockaddr(n, m) => [6, n, m, 0],
            P::Tuple(n, inbound) => [7, n.unwrap_or(0xff), u8::from(inbound), 0],
            P::Task(f, w) => [8, 0, f, w],
            P::ExeArgs(n) => [8, n.unwrap_or(0), 1, u8::from(n.is_some())],
            P::ScId => [9, 0, 0, 2],
            P::NativeId => [10, 0, 0, 2],
            P::Iov(n) => [11, n, 0, 0],
            P::RetSize => [12, 0, 0, 4],
            P::MsgIov(n) => [14, n, 0, 0],
            P::Deref(n, off, w) => [15, n, off, w],
            P::ExecName(n) => [16, n, 0, 0],
            P::Dyn64(n) => [17, n, 0, 9],
            P::FcntlCmd(n) => [18, n, 0, 1],
            P::FdDev(n) => [19, n.unwrap_or(0xff), 0, 4],
            P::FdIno(n) => [20, n.unwrap_or(0xff), 0, 8],
            P::FdInoAt(n, off) => [20, n, 1, off],
            P::FdList(n, m) => [21, n, m, 0],
            P::RelTime(n) => [22, n, 0, 8],
            P::IntAt(n, off) => [23, n, off, 8],
            P::OFlags16(n) => [24, n, 0, 2],
            P::FdPath(n) => [25, n.unwrap_or(0xff), 0, 0],
            P::Sockopt(at_user) => [26, 0, u8::from(at_user), 0],
            P::FsconfigValue(string) => [27, 3, u8::from(string), 0],
            P::Quotactl(field) => [28, 0, field, qc::width(field).unwrap_or(0)],
            P::PrctlArg2(int) => [29, 1, u8::from(int), if int { 8 } else { 0 }],
        }
    }

    /// Whether `param_rare_cb` (emit.h) writes this kind: the rare kinds
    /// and the plain ones beside them in their layouts.
    #[cfg(test)]
    pub(crate) fn rare_cb_writes(self) -> bool {
        matches!(
            self,
            P::Empty
                | P::Ret
                | P::Arg(..)
                | P::Int(_)
                | P::Zero(_)
                | P::ScId
                | P::NativeId
                | P::RetSize
                | P::BufRet(_)
                | P::BufArg(..)
                | P::Str(_)
                | P::Deref(..)
                | P::Sockopt(_)
                | P::FsconfigValue(_)
                | P::Quotactl(_)
                | P::PrctlArg2(_)
        )
    }

    /// Bytes this kind writes when it has a fixed size.
    fn fixed_width(self) -> Option<usize> {
        match self {
            P::Ret | P::Int(_) | P::FdIno(_) | P::FdInoAt(..) | P::RelTime(_) | P::IntAt(..) => {
                Some(8)
            }
            P::FdDev(_) => Some(4),
            P::OFlags16(_) => Some(2),
            P::Arg(_, w) | P::Zero(w) | P::Deref(_, _, w) => Some(usize::from(w)),
            P::Task(_, w) if w > 0 => Some(usize::from(w)),
            P::ScId | P::NativeId => Some(2),
            P::FcntlCmd(_) => Some(1),
            P::RetSize => Some(4),
            P::Quotactl(field) => qc::width(field).map(usize::from),
            P::PrctlArg2(true) => Some(8),
            _ => None,
        }
    }
}

/// The layout of one syscall's event(s).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// Event name in the schema (`openat`); the newest ids are used.
    pub(crate) event: &'static str,
    /// Enter parameters, written beside the exit when not empty.
    pub(crate) enter: &'static [P],
    /// Exit parameters.
    pub(crate) exit: &'static [P],
    /// The enter event is written at syscall entry by the time-of-check
    /// hooks (`enter_event` in probe.bpf.c), not beside the exit.
    pub(crate) enter_at_entry: bool,
}

use P::*;

/// The layouts of clone-family and exec-family exits: the task's identity
/// (exe, args, ids, cwd, limits, comm, cgroups...) in the same first 15
/// parameters, then each family's own tail. `cgroups` and the in-namespace
/// ids (vtid, vpid, vpgid) are what tells a container's processes apart.
macro_rules! task_event {
    ($exe:expr; $($tail:expr),* $(,)?) => {
        &[
            Ret,
            $exe,
            Skip,
            Task(T_TID, 8),
            Task(T_PID, 8),
            Task(T_PTID, 8),
            Task(T_CWD, 0),
            Task(T_FDLIMIT, 8),
            Task(T_PGFT_MAJ, 8),
            Task(T_PGFT_MIN, 8),
            Task(T_VM_SIZE, 4),
            Task(T_VM_RSS, 4),
            Task(T_VM_SWAP, 4),
            Task(T_COMM, 0),
            Task(T_CGROUPS, 0),
            $($tail),*
        ]
    };
}

macro_rules! clone_like {
    ($flags:expr) => {
        task_event!(
            ExeArgs(None);
            $flags,
            Task(T_UID, 4),
            Task(T_GID, 4),
            Task(T_VTID, 8),
            Task(T_VPID, 8),
            Task(T_PIDNS_START, 8),
        )
    };
}

macro_rules! exec_like {
    ($path:expr, $($last:expr)?) => {
        task_event!(
            ExeArgs(Some($path));
            Task(T_ENV, 0),
            Task(T_TTY, 4),
            Task(T_VPGID, 8),
            Task(T_LOGINUID, 4),
            Task(T_EXE_FLAGS, 4),
            Task(T_CAP_INH, 8),
            Task(T_CAP_PERM, 8),
            Task(T_CAP_EFF, 8),
            Task(T_EXE_INO, 8),
            Task(T_EXE_CTIME, 8),
            Task(T_EXE_MTIME, 8),
            Task(T_UID, 4),
            Task(T_EXEPATH, 0),
            Task(T_PGID, 8),
            Task(T_GID, 4),
            $($last,)?
        )
    };
}

/// Layouts by syscall name (x86-64 names).
pub(crate) fn layout(syscall: &str) -> Option<Layout> {
    let l = |event, enter, exit| {
        Some(Layout {
            event,
            enter,
            exit,
            enter_at_entry: false,
        })
    };
    // Time-of-check: the enter event is copied at syscall entry (the path or
    // address as the kernel is about to read it), the exit keeps everything.
    let toctou = |event, enter, exit| {
        Some(Layout {
            event,
            enter,
            exit,
            enter_at_entry: true,
        })
    };
    #[allow(non_upper_case_globals)]
    const fd0: P = Int(0);
    match syscall {
        "open" => toctou(
            "open",
            &[Str(0), Arg(1, 4), Arg(2, 4)],
            &[Ret, Str(0), Arg(1, 4), Arg(2, 4), FdDev(None), FdIno(None)],
        ),
        "openat" => toctou(
            "openat",
            &[fd0, Str(1), Arg(2, 4), Arg(3, 4)],
            &[
                Ret,
                fd0,
                Str(1),
                Arg(2, 4),
                Arg(3, 4),
                FdDev(None),
                FdIno(None),
            ],
        ),
        "openat2" => toctou(
            "openat2",
            &[fd0, Str(1), Deref(2, 0, 4), Deref(2, 8, 4), Deref(2, 16, 4)],
            &[
                Ret,
                fd0,
                Str(1),
                Deref(2, 0, 4),
                Deref(2, 8, 4),
                Deref(2, 16, 4),
                FdDev(None),
                FdIno(None),
            ],
        ),
        // The path is the file the new fd refers to, as libs reads it.
        "open_by_handle_at" => l(
            "open_by_handle_at",
            &[],
            &[Ret, fd0, Arg(2, 4), FdPath(None), FdDev(None), FdIno(None)],
        ),
        "creat" => toctou(
            "creat",
            &[Str(0), Arg(1, 4)],
            &[Ret, Str(0), Arg(1, 4), FdDev(None), FdIno(None), Zero(2)],
        ),
        "close" => l("close", &[], &[Ret, fd0]),
        "read" => l("read", &[], &[Ret, BufRet(1), fd0, Arg(2, 4)]),
        "write" => l("write", &[], &[Ret, BufArg(1, 2), fd0, Arg(2, 4)]),
        "pread64" => l("pread", &[], &[Ret, BufRet(1), fd0, Arg(2, 4), Arg(3, 8)]),
        "pwrite64" => l(
            "pwrite",
            &[],
            &[Ret, BufArg(1, 2), fd0, Arg(2, 4), Arg(3, 8)],
        ),
        "readv" => l("readv", &[], &[Ret, RetSize, Iov(1), fd0]),
        "writev" => l("writev", &[], &[Ret, Iov(1), fd0, RetSize]),
        "socket" => l(
            "socket",
            &[],
            &[Ret, Arg(0, 4), Arg(1, 4), Arg(2, 4), Zero(4)],
        ),
        "connect" => toctou(
            "connect",
            &[fd0, Sockaddr(1, 2)],
            &[Ret, Tuple(Some(0), false), fd0, Sockaddr(1, 2)],
        ),
        "accept" => l(
            "accept",
            &[],
            &[Ret, Tuple(None, true), Zero(1), Zero(4), Zero(4)],
        ),
        "accept4" => l(
            "accept4",
            &[],
            &[Ret, Tuple(None, true), Zero(1), Zero(4), Zero(4), Arg(3, 4)],
        ),
        "bind" => l("bind", &[], &[Ret, Sockaddr(1, 2), fd0]),
        "listen" => l("listen", &[], &[Ret, fd0, Arg(1, 4)]),
        "sendto" => l(
            "sendto",
            &[],
            &[Ret, BufArg(1, 2), fd0, Arg(2, 4), Tuple(Some(0), false)],
        ),
        "recvfrom" => l(
            "recvfrom",
            &[],
            &[Ret, BufRet(1), Tuple(Some(0), true), fd0, Arg(2, 4)],
        ),
        "sendmsg" => l(
            "sendmsg",
            &[],
            &[Ret, MsgIov(1), fd0, RetSize, Tuple(Some(0), false)],
        ),
        "recvmsg" => l(
            "recvmsg",
            &[],
            &[Ret, RetSize, MsgIov(1), Tuple(Some(0), true), Empty, fd0],
        ),
        // One event per message, as libs writes them (EACH_MESSAGE in
        // spec.h): the kernel points argument 1 at each struct mmsghdr in
        // turn, whose msghdr comes first, with that message's msg_len as
        // the return value; a failed call is one event with its error.
        // recvmmsg's msg_control is left empty, as recvmsg's.
        "sendmmsg" => l(
            "sendmmsg",
            &[],
            &[Ret, fd0, RetSize, MsgIov(1), Tuple(Some(0), false)],
        ),
        "recvmmsg" => l(
            "recvmmsg",
            &[],
            &[Ret, fd0, RetSize, MsgIov(1), Tuple(Some(0), true), Empty],
        ),
        // level and optname raw (Linux numbers, one byte), turned into PPM
        // values by record::fixup; the value as libs' PT_DYN.
        "fsconfig" => l(
            "fsconfig",
            &[],
            &[
                Ret,
                fd0,
                Arg(1, 4),
                Str(2),
                FsconfigValue(false),
                FsconfigValue(true),
                Arg(4, 4),
            ],
        ),
        "setsockopt" => l(
            "setsockopt",
            &[],
            &[Ret, fd0, Arg(1, 1), Arg(2, 1), Sockopt(false), Arg(4, 4)],
        ),
        "getsockopt" => l(
            "getsockopt",
            &[],
            &[
                Ret,
                fd0,
                Arg(1, 1),
                Arg(2, 1),
                Sockopt(true),
                Deref(4, 0, 4),
            ],
        ),
        // libs carries no parameters for these two: the event is the record.
        "getsockname" => l("getsockname", &[], &[]),
        "getpeername" => l("getpeername", &[], &[]),
        "dup" => l("dup", &[], &[Ret, fd0]),
        "fcntl" => l("fcntl", &[], &[Ret, fd0, FcntlCmd(1)]),
        "dup2" => l("dup2", &[], &[Ret, fd0, Int(1)]),
        "dup3" => l("dup3", &[], &[Ret, fd0, Int(1), Arg(2, 4)]),
        "unlink" => l("unlink", &[], &[Ret, Str(0)]),
        "unlinkat" => l("unlinkat", &[], &[Ret, fd0, Str(1), Arg(2, 4)]),
        "rename" => l("rename", &[], &[Ret, Str(0), Str(1)]),
        "renameat" => l("renameat", &[], &[Ret, fd0, Str(1), Int(2), Str(3)]),
        "renameat2" => l(
            "renameat2",
            &[],
            &[Ret, fd0, Str(1), Int(2), Str(3), Arg(4, 4)],
        ),
        "mkdir" => l("mkdir", &[], &[Ret, Str(0), Arg(1, 4)]),
        "mkdirat" => l("mkdirat", &[], &[Ret, fd0, Str(1), Arg(2, 4)]),
        "rmdir" => l("rmdir", &[], &[Ret, Str(0)]),
        "chmod" => l("chmod", &[], &[Ret, Str(0), Arg(1, 4)]),
        "fchmod" => l("fchmod", &[], &[Ret, fd0, Arg(1, 4)]),
        "fchmodat" => l("fchmodat", &[], &[Ret, fd0, Str(1), Arg(2, 4)]),
        "chown" => l("chown", &[], &[Ret, Str(0), Arg(1, 4), Arg(2, 4)]),
        "lchown" => l("lchown", &[], &[Ret, Str(0), Arg(1, 4), Arg(2, 4)]),
        "fchown" => l("fchown", &[], &[Ret, fd0, Arg(1, 4), Arg(2, 4)]),
        "fchownat" => l(
            "fchownat",
            &[],
            &[Ret, fd0, Str(1), Arg(2, 4), Arg(3, 4), Arg(4, 4)],
        ),
        "symlink" => l("symlink", &[], &[Ret, Str(0), Str(1)]),
        "symlinkat" => l("symlinkat", &[], &[Ret, Str(0), Int(1), Str(2)]),
        "link" => l("link", &[], &[Ret, Str(0), Str(1)]),
        "linkat" => l(
            "linkat",
            &[],
            &[Ret, fd0, Str(1), Int(2), Str(3), Arg(4, 4)],
        ),
        "setuid" => l("setuid", &[], &[Ret, Arg(0, 4)]),
        "setgid" => l("setgid", &[], &[Ret, Arg(0, 4)]),
        "setresuid" => l("setresuid", &[], &[Ret, Arg(0, 4), Arg(1, 4), Arg(2, 4)]),
        "setresgid" => l("setresgid", &[], &[Ret, Arg(0, 4), Arg(1, 4), Arg(2, 4)]),
        "ptrace" => l("ptrace", &[], &[Ret, Dyn64(2), Dyn64(3), Arg(0, 2), Int(1)]),
        "mount" => l("mount", &[], &[Ret, Str(0), Str(1), Str(2), Arg(3, 4)]),
        "umount2" => l("umount2", &[], &[Ret, Str(0), Arg(1, 4)]),
        "kill" => l("kill", &[], &[Ret, Int(0), Arg(1, 1)]),
        "tkill" => l("tkill", &[], &[Ret, Int(0), Arg(1, 1)]),
        "tgkill" => l("tgkill", &[], &[Ret, Int(0), Int(1), Arg(2, 1)]),
        "memfd_create" => l("memfd_create", &[], &[Ret, Str(0), Arg(1, 4)]),
        "bpf" => l("bpf", &[], &[Ret, Arg(0, 4)]),
        "init_module" => l("init_module", &[], &[Ret, BufArg(0, 1), Int(1), Str(2)]),
        "finit_module" => l("finit_module", &[], &[Ret, fd0, Str(1), Arg(2, 4)]),
        "prctl" => l(
            "prctl",
            &[],
            &[Ret, Arg(0, 4), PrctlArg2(false), PrctlArg2(true)],
        ),
        "capset" => l(
            "capset",
            &[],
            &[
                Ret,
                Task(T_CAP_INH, 8),
                Task(T_CAP_PERM, 8),
                Task(T_CAP_EFF, 8),
            ],
        ),
        "execve" => l("execve", &[], exec_like!(0, ExecName(0))),
        "execveat" => l("execveat", &[], exec_like!(1,)),
        "clone" => l("clone", &[], clone_like!(Arg(0, 4))),
        "clone3" => l("clone3", &[], clone_like!(Deref(0, 0, 4))),
        "fork" => l("fork", &[], clone_like!(Zero(4))),
        "vfork" => l("vfork", &[], clone_like!(Zero(4))),
        _ => misc::memory_and_misc(syscall),
    }
}

/// The generic layout for every other syscall.
pub(crate) const GENERIC: Layout = Layout {
    event: "syscall",
    enter: &[],
    exit: &[ScId, NativeId],
    enter_at_entry: false,
};

/// The time-of-check hooks: program name, tracepoint (category
/// `syscalls`), syscall.
pub(crate) const ENTRY_HOOKS: &[(&str, &str, &str)] = &[
    ("open_e", "sys_enter_open", "open"),
    ("openat_e", "sys_enter_openat", "openat"),
    ("openat2_e", "sys_enter_openat2", "openat2"),
    ("creat_e", "sys_enter_creat", "creat"),
    ("connect_e", "sys_enter_connect", "connect"),
];

/// The encoded `struct syscall_spec` (136 bytes) of one syscall.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Encoded(pub(crate) [u8; 8 + 4 * MAX_PARAMS]);

/// The newest event id of `name` in `dir`.
pub(crate) fn newest_id(name: &str, dir: Direction) -> Option<u16> {
    schema::ids_named(name)
        .filter(|&id| Direction::of(id) == dir)
        .filter(|&id| {
            schema::event_info(id)
                .is_some_and(|i| i.flags & schema::ef::OLD_VERSION == 0 && !i.is_unused())
        })
        .max()
}

impl Layout {
    /// Encodes the layout for syscall `nr`, checking it against the schema.
    pub(crate) fn encode(&self, nr: u16) -> Result<Encoded, LayoutMismatch> {
        let bad = |fault: LayoutFault| {
            Err(LayoutMismatch {
                event: self.event,
                nr,
                fault,
            })
        };
        let Some(exit_id) = newest_id(self.event, Direction::Exit) else {
            return bad(LayoutFault::NoExitEvent);
        };
        let enter_id = if self.enter.is_empty() {
            0
        } else {
            exit_id - 1
        };
        for (id, params) in [(exit_id, self.exit), (enter_id, self.enter)] {
            if id == 0 && params.is_empty() {
                continue;
            }
            let Some(info) = schema::event_info(id) else {
                return bad(LayoutFault::NoEvent { id });
            };
            if params.len() != info.params.len() {
                return bad(LayoutFault::ParamCount {
                    event: info.enum_name,
                    have: params.len(),
                    schema: info.params.len(),
                });
            }
            for (p, pi) in params.iter().zip(info.params) {
                let size = pi.ty.fixed_size();
                let ok = match (p.fixed_width(), size) {
                    (Some(w), Some(s)) => w == s,
                    (None, None) => true,
                    (_, None) if pi.ty == ParamType::Dyn => matches!(p, Dyn64(_)),
                    (Some(_), None) => false,
                    (None, Some(_)) => matches!(p, Empty),
                };
                if !ok {
                    return bad(LayoutFault::ParamSize {
                        event: info.enum_name,
                        param: pi.name,
                    });
                }
            }
        }
        if self.enter.len() + self.exit.len() > MAX_PARAMS {
            return bad(LayoutFault::TooManyParams);
        }
        let mut out = [0u8; 8 + 4 * MAX_PARAMS];
        out[0..2].copy_from_slice(&enter_id.to_ne_bytes());
        out[2..4].copy_from_slice(&exit_id.to_ne_bytes());
        let sc = syscalls::name(nr).and_then(syscalls::ppm_sc).unwrap_or(0);
        out[4..6].copy_from_slice(&sc.to_ne_bytes());
        // The high bit says "written at entry" (ENTER_AT_ENTRY in spec.h).
        out[6] = self.enter.len() as u8 | if self.enter_at_entry { 0x80 } else { 0 };
        // 0x40: one exit event per message (EACH_MESSAGE in spec.h).
        if self.each_message() {
            out[6] |= 0x40;
        }
        // The high bit says "simple kinds only" (EXIT_SIMPLE in spec.h).
        out[7] = self.exit.len() as u8 | if self.is_simple() { 0x80 } else { 0 };
        // 0x40: a rare kind, written by param_rare_cb (EXIT_RARE in spec.h).
        if self.is_rare() {
            out[7] |= 0x40;
        }
        for (i, p) in self.enter.iter().chain(self.exit).enumerate() {
            out[8 + 4 * i..12 + 4 * i].copy_from_slice(&p.encode());
        }
        Ok(Encoded(out))
    }
}

/// Most parameters of a layout written straight-line (`SIMPLE_MAX`).
const SIMPLE_MAX: usize = 6;

impl Layout {
    /// Whether the kernel writes one exit event per message of the call
    /// (sendmmsg, recvmmsg), as libs does.
    pub(crate) fn each_message(&self) -> bool {
        matches!(self.event, "sendmmsg" | "recvmmsg")
    }

    /// Whether the layout uses a rare kind, which the kernel's
    /// `param_rare_cb` writes (with the plain kinds [`P::rare_cb_writes`]).
    pub(crate) fn is_rare(&self) -> bool {
        self.enter.iter().chain(self.exit).any(|p| {
            matches!(
                p,
                Sockopt(_) | FsconfigValue(_) | Quotactl(_) | PrctlArg2(_)
            )
        })
    }

    /// Whether the kernel may write both events straight-line
    /// (`emit_simple`): a few parameters, each of a kind that needs no
    /// walk of kernel structures, and no enter written at entry.
    pub(crate) fn is_simple(&self) -> bool {
        !self.enter_at_entry
            && self.enter.len() + self.exit.len() <= SIMPLE_MAX
            && self.enter.iter().chain(self.exit).all(|p| {
                matches!(
                    p,
                    Empty
                        | Ret
                        | Arg(..)
                        | Int(_)
                        | Zero(_)
                        | ScId
                        | NativeId
                        | RetSize
                        | BufRet(_)
                        | BufArg(..)
                )
            })
    }
}

/// The layout used for syscall `nr`: its own, or the generic one.
pub(crate) fn layout_for(nr: u16) -> Layout {
    syscalls::name(nr).and_then(layout).unwrap_or(GENERIC)
}

mod misc;

#[cfg(test)]
#[allow(clippy::panic)]
mod tests;
