//! The layouts of the syscalls after the file, network and process ones.

use super::*;

/// The layouts of the syscalls a busy process makes most after the file and
/// network ones (memory, stat, polling, sleeping, ids, limits, fd
/// creators), and the rarer ones libs also describes. Flag values are
/// written raw and turned into PPM_* values by [`crate::record::fixup`].
pub(super) fn memory_and_misc(syscall: &str) -> Option<Layout> {
    let l = |event, exit| {
        Some(Layout {
            event,
            enter: &[],
            exit,
            enter_at_entry: false,
        })
    };
    #[allow(non_upper_case_globals)]
    const fd0: P = Int(0);
    const VM_SIZE: P = Task(T_VM_SIZE, 4);
    const VM_RSS: P = Task(T_VM_RSS, 4);
    const VM_SWAP: P = Task(T_VM_SWAP, 4);
    match syscall {
        "brk" => l("brk", &[Ret, VM_SIZE, VM_RSS, VM_SWAP, Arg(0, 8)]),
        "mmap" => l(
            "mmap",
            &[
                Ret,
                VM_SIZE,
                VM_RSS,
                VM_SWAP,
                Arg(0, 8),
                Arg(1, 8),
                Arg(2, 4),
                Arg(3, 4),
                Int(4),
                Arg(5, 8),
            ],
        ),
        "munmap" => l(
            "munmap",
            &[Ret, VM_SIZE, VM_RSS, VM_SWAP, Arg(0, 8), Arg(1, 8)],
        ),
        "mprotect" => l("mprotect", &[Ret, Arg(0, 8), Arg(1, 8), Arg(2, 4)]),
        "mlock" => l("mlock", &[Ret, Arg(0, 8), Arg(1, 8)]),
        "munlock" => l("munlock", &[Ret, Arg(0, 8), Arg(1, 8)]),
        "mlock2" => l("mlock2", &[Ret, Arg(0, 8), Arg(1, 8), Arg(2, 4)]),
        "mlockall" => l("mlockall", &[Ret, Arg(0, 4)]),
        "munlockall" => l("munlockall", &[Ret]),
        "stat" => l("stat", &[Ret, Str(0)]),
        "lstat" => l("lstat", &[Ret, Str(0)]),
        "fstat" => l("fstat", &[Ret, fd0]),
        "newfstatat" => l("newfstatat", &[Ret, fd0, Str(1), Arg(3, 4)]),
        "access" => l("access", &[Ret, Str(0), Arg(1, 4)]),
        "lseek" => l("lseek", &[Ret, fd0, Arg(1, 8), Arg(2, 1)]),
        "ioctl" => l("ioctl", &[Ret, fd0, Arg(1, 8), Arg(2, 8)]),
        "getdents" => l("getdents", &[Ret, fd0]),
        "getdents64" => l("getdents64", &[Ret, fd0]),
        "getcwd" => l("getcwd", &[Ret, Str(0)]),
        "chdir" => l("chdir", &[Ret, Str(0)]),
        "fchdir" => l("fchdir", &[Ret, fd0]),
        "chroot" => l("chroot", &[Ret, Str(0)]),
        "mknod" => l("mknod", &[Ret, Str(0), Arg(1, 4), Arg(2, 4)]),
        "mknodat" => l("mknodat", &[Ret, fd0, Str(1), Arg(2, 4), Arg(3, 4)]),
        "flock" => l("flock", &[Ret, fd0, Arg(1, 4)]),
        "sendfile" => l("sendfile", &[Ret, Deref(2, 0, 8), fd0, Int(1), Arg(3, 8)]),
        "splice" => l("splice", &[Ret, fd0, Int(2), Arg(4, 8), Arg(5, 4)]),
        "copy_file_range" => l(
            "copy_file_range",
            &[Ret, Int(2), Deref(3, 0, 8), fd0, Deref(1, 0, 8), Arg(4, 8)],
        ),
        "preadv" => l("preadv", &[Ret, RetSize, Iov(1), fd0, Arg(3, 8)]),
        "pwritev" => l("pwritev", &[Ret, Iov(1), fd0, RetSize, Arg(3, 8)]),
        "poll" => l("poll", &[Ret, FdList(0, 1), Int(2)]),
        "ppoll" => l("ppoll", &[Ret, FdList(0, 1), RelTime(2), Deref(3, 0, 4)]),
        "select" => l("select", &[Ret]),
        "epoll_wait" => l("epoll_wait", &[Ret, Int(2)]),
        "epoll_create" => l("epoll_create", &[Ret, Arg(0, 4)]),
        "epoll_create1" => l("epoll_create1", &[Ret, Arg(0, 4)]),
        "nanosleep" => l("nanosleep", &[Ret, RelTime(0)]),
        "futex" => l("futex", &[Ret, Arg(0, 8), Arg(1, 2), Arg(2, 8)]),
        "pipe" => l("pipe", &[Ret, IntAt(0, 0), IntAt(0, 4), FdInoAt(0, 0)]),
        "pipe2" => l(
            "pipe2",
            &[Ret, IntAt(0, 0), IntAt(0, 4), FdInoAt(0, 0), Arg(1, 4)],
        ),
        "eventfd" => l("eventfd", &[Ret, Arg(0, 8), Zero(4)]),
        "eventfd2" => l("eventfd2", &[Ret, OFlags16(1), Arg(0, 8)]),
        "signalfd" => l("signalfd", &[Ret, fd0, Deref(1, 0, 4), Zero(1)]),
        "signalfd4" => l("signalfd4", &[Ret, OFlags16(3), fd0, Deref(1, 0, 4)]),
        "timerfd_create" => l("timerfd_create", &[Ret, Arg(0, 1), Arg(1, 1)]),
        "inotify_init" => l("inotify_init", &[Ret, Zero(1)]),
        "inotify_init1" => l("inotify_init1", &[Ret, OFlags16(0)]),
        "userfaultfd" => l("userfaultfd", &[Ret, Arg(0, 4)]),
        "pidfd_open" => l("pidfd_open", &[Ret, fd0, Arg(1, 4)]),
        "pidfd_getfd" => l("pidfd_getfd", &[Ret, fd0, Int(1), Arg(2, 4)]),
        "shutdown" => l("shutdown", &[Ret, fd0, Arg(1, 1)]),
        "socketpair" => l(
            "socketpair",
            &[
                Ret,
                IntAt(3, 0),
                IntAt(3, 4),
                Zero(8),
                Zero(8),
                Arg(0, 4),
                Arg(1, 4),
                Arg(2, 4),
            ],
        ),
        "getrlimit" => l(
            "getrlimit",
            &[Ret, Deref(1, 0, 8), Deref(1, 8, 8), Arg(0, 1)],
        ),
        "setrlimit" => l(
            "setrlimit",
            &[Ret, Deref(1, 0, 8), Deref(1, 8, 8), Arg(0, 1)],
        ),
        "prlimit64" => l(
            "prlimit",
            &[
                Ret,
                Deref(2, 0, 8),
                Deref(2, 8, 8),
                Deref(3, 0, 8),
                Deref(3, 8, 8),
                fd0,
                Arg(1, 1),
            ],
        ),
        "getuid" => l("getuid", &[RetSize]),
        "geteuid" => l("geteuid", &[RetSize]),
        "getgid" => l("getgid", &[RetSize]),
        "getegid" => l("getegid", &[RetSize]),
        "getresuid" => l(
            "getresuid",
            &[Ret, Deref(0, 0, 4), Deref(1, 0, 4), Deref(2, 0, 4)],
        ),
        "getresgid" => l(
            "getresgid",
            &[Ret, Deref(0, 0, 4), Deref(1, 0, 4), Deref(2, 0, 4)],
        ),
        "setreuid" => l("setreuid", &[Ret, Arg(0, 4), Arg(1, 4)]),
        "setregid" => l("setregid", &[Ret, Arg(0, 4), Arg(1, 4)]),
        "setpgid" => l("setpgid", &[Ret, fd0, Int(1)]),
        "setsid" => l("setsid", &[Ret]),
        "unshare" => l("unshare", &[Ret, Arg(0, 4)]),
        "setns" => l("setns", &[Ret, fd0, Arg(1, 4)]),
        "seccomp" => l("seccomp", &[Ret, Arg(0, 8), Arg(1, 8)]),
        "semget" => l("semget", &[Ret, Arg(0, 4), Arg(1, 4), Arg(2, 4)]),
        "semctl" => l("semctl", &[Ret, Arg(0, 4), Arg(1, 4), Arg(2, 2), Arg(3, 4)]),
        // The first two struct sembuf, read whatever nsops says: user space
        // zeroes what libs leaves zero (record::fixup). Deref reads 8 bytes,
        // so an array ending less than 6 bytes before an unmapped page
        // shows its last sem_flg as 0.
        "semop" => l(
            "semop",
            &[
                Ret,
                Arg(2, 4),
                Deref(1, 0, 2),
                Deref(1, 2, 2),
                Deref(1, 4, 2),
                Deref(1, 6, 2),
                Deref(1, 8, 2),
                Deref(1, 10, 2),
                Arg(0, 4),
            ],
        ),
        "delete_module" => l("delete_module", &[Ret, Str(0), Arg(1, 4)]),
        "io_uring_enter" => l(
            "io_uring_enter",
            &[Ret, fd0, Arg(1, 4), Arg(2, 4), Arg(3, 4), Deref(4, 0, 4)],
        ),
        "io_uring_register" => l(
            "io_uring_register",
            &[Ret, fd0, Arg(1, 2), Arg(2, 8), Arg(3, 4)],
        ),
        // struct io_uring_params as the kernel filled it in: sq_entries,
        // cq_entries, flags, sq_thread_cpu, sq_thread_idle, features.
        "io_uring_setup" => l(
            "io_uring_setup",
            &[
                Ret,
                Arg(0, 4),
                Deref(1, 0, 4),
                Deref(1, 4, 4),
                Deref(1, 8, 4),
                Deref(1, 12, 4),
                Deref(1, 16, 4),
                Deref(1, 20, 4),
            ],
        ),
        // The data is the local iovec's (what was read, or written), as
        // much as the call moved.
        "process_vm_readv" => l("process_vm_readv", &[Ret, Int(0), Iov(1)]),
        "process_vm_writev" => l("process_vm_writev", &[Ret, Int(0), Iov(1)]),
        // cmd, type and the formats as Linux values, turned into PPM ones
        // by record::fixup.
        "quotactl" => l(
            "quotactl",
            &[
                Ret,
                Str(1),
                Quotactl(qc::QUOTAFILE),
                Quotactl(1),
                Quotactl(2),
                Quotactl(3),
                Quotactl(4),
                Quotactl(5),
                Quotactl(6),
                Quotactl(7),
                Quotactl(qc::DQI_BGRACE),
                Quotactl(qc::DQI_IGRACE),
                Quotactl(qc::DQI_FLAGS),
                Quotactl(qc::FMT_OUT),
                Quotactl(qc::CMD),
                Quotactl(qc::TYPE),
                Quotactl(qc::ID),
                Quotactl(qc::FMT),
            ],
        ),
        _ => None,
    }
}
