//! The syscalls that make fds, and the fd each makes as libs 0.23 types it:
//! one table for the state (which adds the fds of successful calls) and
//! the filter (which answers for a failed call's fd the table lacks).

/// What a creator syscall makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FdCreator {
    /// Type character of the fd a successful call makes; 0 when the
    /// socket's family decides it (socket, accept: their own state paths).
    pub made: u8,
    /// Type character of the fd libs 0.23 gives a failed call's exit (fd
    /// -1, or the error for memfd_create); `None` when its parser adds
    /// none for a failure (the event then has no fd of its own).
    pub failed: Option<u8>,
}

/// The fd `syscall` (the event's name) makes, `None` if it makes none.
/// Failures were read with sysdig 0.41 on captures of each creator failing
/// (bad flags, a bad family, nothing to accept).
pub fn fd_creator(syscall: &str) -> Option<FdCreator> {
    let (made, failed) = match syscall {
        "socket" | "accept" | "accept4" => (0, Some(b'4')),
        "pipe" | "pipe2" => (b'p', Some(b'p')),
        "socketpair" => (b'u', None),
        "eventfd" | "eventfd2" => (b'e', Some(b'e')),
        "signalfd" | "signalfd4" => (b's', Some(b's')),
        "timerfd_create" => (b't', Some(b't')),
        "inotify_init" | "inotify_init1" => (b'i', Some(b'i')),
        "epoll_create" | "epoll_create1" => (b'l', None),
        "userfaultfd" => (b'u', None),
        // libs adds a failed memfd as an fd of no type (`<NA>`), `?`.
        "memfd_create" => (b'm', Some(b'?')),
        "bpf" => (b'b', None),
        "pidfd_open" => (b'P', None),
        "io_uring_setup" => (b'r', None),
        _ => return None,
    };
    Some(FdCreator { made, failed })
}
