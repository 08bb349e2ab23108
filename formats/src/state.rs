//! The thread and fd state a capture implies, kept the way libsinsp keeps it,
//! so that event parameters render as sysdig renders them (`fd=3(<f>/etc/passwd)`,
//! `ptid=11310(bash)`) and `proc.name` resolves.
//!
//! Fed with metadata blocks (process, fd and user lists) and then with every
//! event in file order ([`CaptureState::update`] before rendering the event,
//! as libsinsp parses an event before formatting it).

use std::collections::HashMap as StdHashMap;
use std::collections::HashSet as StdHashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::bytes::le_u64;
use crate::event::Event;
use crate::meta::{fd_type, FdData, FdInfo, ListenAddr, ProcessInfo, SocketTuple, UserEntry};
pub use crate::meta::{Caps, ExeInode};
use crate::render;
pub use crate::render::normalize_path;
use crate::schema::{self, Direction};

mod containers;
mod creators;
mod credentials;
mod events;
mod from_proc;
mod interfaces;
mod reapers;
mod snapshot;
mod times;

pub use containers::{
    concatenate_labels, ContainerRecord, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID,
};
pub use creators::{fd_creator, FdCreator};

/// Hasher for the integer keys of the tables (tids, pids, fds, uids): one
/// multiply instead of SipHash, which showed up at 5% of a `read`. Keys come
/// from the capture, not from an adversary choosing collisions at run time;
/// a crafted file can at worst make one read slower.
#[derive(Debug, Default, Clone, Copy)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        // FxHash's step.
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, x: i64) {
        self.write_u64(x as u64);
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }
}

type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<IntHasher>>;
type HashSet<K> = StdHashSet<K, BuildHasherDefault<IntHasher>>;

/// What is known of one fd.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FdEntry {
    /// libsinsp type character (`f`, `d`, `4`, `6`, `u`, `p`, `e`, ...).
    pub typechar: u8,
    /// Layer-4 protocol character for sockets (`t`, `u`, `r`, `i`), 0 if unknown.
    pub l4: u8,
    /// `fd.name`: path, or `sip:sport->dip:dport` for a connected socket.
    pub name: String,
    /// Protocol implied by the socket type at creation (`t`, `u`, `r`), shown
    /// once the socket is bound to a port or connected.
    pub sock_l4: u8,
    /// Learnt from the tuple of an old layout's send enter: libs 0.23 (which
    /// merges that enter into the exit) has this fd, sysdig 0.29 has not,
    /// so [`render::Names`] (the 0.29-exact text line) leaves it out while
    /// [`CaptureState::fd`] (the filter fields) gives it.
    pub learnt: bool,
    /// From the capture's fd list (open before the capture): libsinsp
    /// keeps no raw name for it (`fd.nameraw` empty).
    pub from_list: bool,
    /// The path as the open gave it, when it differs from `name` (a
    /// relative path): libsinsp's `fd.nameraw`.
    pub name_raw: Option<Box<str>>,
}

/// What is known of one thread.
#[derive(Debug, Clone)]
pub struct ThreadEntry {
    /// Process id.
    pub pid: u64,
    /// Parent thread id (a thread's: its process's parent); 0 when libs
    /// 0.23 held no entry for the parent when the thread was made, and
    /// then for good (see `create_thread_dependencies` in libsinsp).
    pub ptid: u64,
    /// Command name (`proc.name`).
    pub comm: String,
    /// argv[0].
    pub exe: String,
    /// Full executable path.
    pub exepath: String,
    /// Arguments, space-separated.
    pub args: Vec<String>,
    /// Working directory (with a trailing `/`, as libsinsp keeps it).
    pub cwd: String,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// cgroups, NUL-separated `subsys=path` items as the process list and
    /// the execve/clone exits carry them (a clone child inherits its
    /// parent's until an event says otherwise). Shared, not copied: every
    /// thread of a process tree, and every clone child, holds its parent's
    /// list until it moves (set with [`ThreadEntry::set_cgroups`]).
    pub cgroups: Arc<[u8]>,
    /// The short id of the container the cgroups name, empty for the host
    /// (libsinsp's `m_container_id`): kept from the cgroups when they are
    /// set, and shared with them.
    pub container_id: Arc<str>,
    /// The controlling terminal's device number, 0 for none (`proc.tty`).
    pub tty: u32,
    /// The login uid, `u32::MAX` when unset (`user.loginuid` -1).
    pub loginuid: u32,
    /// execve's `flags` (`PPM_EXE_*`: upper/lower overlay layer, writable,
    /// from memfd); 0 when not known (`proc.is_exe_upper_layer`).
    pub exe_flags: u32,
    /// The executable's inode as execve's exit (or the process list) gives
    /// it (`proc.exe_ino*`); zeros when not known.
    pub exe_ino: ExeInode,
    /// Capability sets (`thread.cap_*`): from the process list and execve's
    /// exit, inherited on clone; zero when not known.
    pub caps: Caps,
    /// Session id (`proc.sid`): from the process list, inherited on clone,
    /// set by setsid's exit; `u64::MAX` (libsinsp's -1) when not known, as
    /// for a thread the capture first sees at its execve.
    pub sid: u64,
    /// Process group id in the thread's pid namespace (`proc.vpgid`): from
    /// the process list and execve's exit, inherited on clone; `u64::MAX`
    /// (-1) when not known.
    pub vpgid: u64,
    /// Process group id in the host's pid namespace (`proc.pgid`), as
    /// `vpgid`.
    pub pgid: u64,
    /// Process id in the thread's pid namespace (`proc.vpid`): from the
    /// process list and the clone exits; `u64::MAX` (-1) when not known.
    pub vpid: u64,
    /// Thread id in the thread's pid namespace (`thread.vtid`), as `vpid`.
    pub vtid: u64,
    /// When the thread was cloned (the clone exit's timestamp, ns since the
    /// epoch); 0 for a thread that existed before the capture, as libsinsp
    /// keeps it for a process list read from a file.
    pub clone_ts: u64,
}

impl Default for ThreadEntry {
    /// An entry with unknown ids: uid and gid `u32::MAX`, as libsinsp
    /// keeps them until a process list or an event says otherwise.
    fn default() -> Self {
        ThreadEntry {
            pid: 0,
            ptid: 0,
            comm: String::new(),
            exe: String::new(),
            exepath: String::new(),
            args: Vec::new(),
            cwd: String::new(),
            uid: u32::MAX,
            gid: u32::MAX,
            cgroups: Arc::default(),
            container_id: Arc::default(),
            tty: 0,
            loginuid: u32::MAX,
            exe_flags: 0,
            exe_ino: ExeInode::default(),
            caps: Caps::default(),
            sid: u64::MAX,
            vpgid: u64::MAX,
            pgid: u64::MAX,
            vpid: u64::MAX,
            vtid: u64::MAX,
            clone_ts: 0,
        }
    }
}

/// Whether libsinsp gives `ev` an event number (`evt.num`): it consumes
/// user/group meta events without numbering them.
pub fn is_numbered(ev: &Event<'_>) -> bool {
    // By id, not name: this runs on every event.
    !matches!(
        ev.event_type(),
        schema::PPME_USER_ADDED_E
            | schema::PPME_USER_DELETED_E
            | schema::PPME_GROUP_ADDED_E
            | schema::PPME_GROUP_DELETED_E
    )
}

/// What an event does to the state, by event id: looked up in a table
/// built once from the schema's names, since matching names per event
/// showed in profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateAction {
    None,
    ProcExit,
    Execve,
    Clone,
    Open,
    Socket,
    Tuple,
    NewFd,
    Dup,
    Bind,
    Close,
    Chdir,
    Setsid,
    Prctl,
    Credentials,
}

impl StateAction {
    fn named(name: &str) -> StateAction {
        match name {
            "procexit" => StateAction::ProcExit,
            "execve" | "execveat" => StateAction::Execve,
            "clone" | "fork" | "vfork" | "clone3" => StateAction::Clone,
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => StateAction::Open,
            "socket" => StateAction::Socket,
            "connect" | "accept" | "accept4" | "sendto" | "recvfrom" | "sendmsg" | "recvmsg" => {
                StateAction::Tuple
            }
            "pipe" | "pipe2" | "socketpair" | "eventfd" | "eventfd2" | "signalfd" | "signalfd4"
            | "timerfd_create" | "inotify_init" | "inotify_init1" | "epoll_create"
            | "epoll_create1" | "userfaultfd" | "memfd_create" | "bpf" | "pidfd_open"
            | "io_uring_setup" => StateAction::NewFd,
            // fcntl duplicates only with F_DUPFD / F_DUPFD_CLOEXEC (on_dup checks).
            "dup" | "dup2" | "dup3" | "fcntl" => StateAction::Dup,
            "bind" => StateAction::Bind,
            "close" => StateAction::Close,
            "chdir" | "fchdir" => StateAction::Chdir,
            "setsid" => StateAction::Setsid,
            "prctl" => StateAction::Prctl,
            "setuid" | "setgid" | "setresuid" | "setresgid" | "setreuid" | "setregid" => {
                StateAction::Credentials
            }
            _ => StateAction::None,
        }
    }

    /// The action of event `id`, and whether it is an enter event with an
    /// exit (worth keeping for that exit: enter-only events such as
    /// `procinfo` and `switch` have none, and keeping them as the thread's
    /// last enter would hide the syscall enter an exit still needs).
    fn of(id: u16) -> (StateAction, bool) {
        static TABLE: std::sync::OnceLock<Vec<(StateAction, bool)>> = std::sync::OnceLock::new();
        let t = TABLE.get_or_init(|| {
            (0..schema::EVENT_MAX)
                .map(|i| {
                    let action =
                        schema::event_info(i).map_or(StateAction::None, |e| Self::named(e.name));
                    let has_exit = Direction::of(i) == Direction::Enter
                        && schema::event_info(i + 1).is_some_and(|x| !x.is_unused());
                    (action, has_exit)
                })
                .collect()
        });
        t.get(usize::from(id))
            .copied()
            .unwrap_or((StateAction::None, false))
    }
}

/// The side of a clone whose exit made a child's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MadeBy {
    /// The caller's exit, the child's own still to come: that one copies
    /// no fds (they were copied, or not, by the caller's). Cleared by it.
    Caller,
    /// The child's own exit, before its caller's (libsinsp's
    /// `PPM_CL_CLONE_INVERTED`): the caller's exit leaves the entry be.
    /// Any other entry a caller's exit finds for its child is stale.
    Child,
}

/// Thread, fd and user tables of a capture.
#[derive(Debug, Default)]
pub struct CaptureState {
    threads: HashMap<u64, ThreadEntry>,
    /// fd tables, keyed by process id (threads share their process's fds).
    fds: HashMap<u64, HashMap<i64, FdEntry>>,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
    /// Containers of the capture's `container` events, by short id.
    containers: std::collections::BTreeMap<String, ContainerRecord>,
    /// The containers' IPv4 addresses, parsed once as each record comes.
    container_ipv4: std::collections::BTreeMap<String, std::net::Ipv4Addr>,
    /// Raw bytes of the last enter event per thread, to complete exits that
    /// carry fewer parameters (old layouts). The buffers are reused, so the
    /// hot path allocates nothing once every thread has been seen.
    enters: HashMap<u64, Vec<u8>>,
    /// Thread whose procexit was seen, with the procexit's `reaper_tid`;
    /// removed at the next event (libsinsp's rule).
    to_remove: Option<(u64, u64)>,
    /// Processes a prctl or a reparenting marked as reaping orphans (or,
    /// when false, not), by pid ([`reapers`]).
    reapers: HashMap<u64, bool>,
    /// Threads libs 0.23 made an entry for (no parent, `<NA>` names) when a
    /// syscall event named them and its table had none: the entry stays,
    /// so their procexit has process fields too (seen with sysdig 0.41 on
    /// captures whose clone exits were lost). Dropped with the thread.
    made_up: HashSet<u64>,
    /// A process list was read since the last event: its threads are
    /// linked to their parents at the next event ([`Self::link_listed_parents`]).
    link_listed: bool,
    /// Which side of a clone made a child's entry, while that matters
    /// ([`MadeBy`]); dropped with the thread.
    made_by: HashMap<u64, MadeBy>,
    /// An fd closed by the previous event: removed at the next one, so that
    /// the close exit itself still sees it (as libsinsp does).
    fd_to_remove: Option<(u64, i64)>,
    /// The last dup (dup, dup2, dup3, fcntl F_DUPFD) whose old fd the
    /// table did not have, by thread and time: libsinsp copies nothing
    /// then and leaves the event on the old fd ([`Self::dup_missed`]).
    dup_missed: Option<(u64, u64)>,
    /// The capture's IPv4 interfaces (address, netmask), from which
    /// libsinsp infers the local end of a socket whose tuple has 0.0.0.0.
    ipv4_interfaces: Vec<([u8; 4], [u8; 4])>,
    /// The capture's IPv6 interface addresses, for the same (`::`).
    ipv6_interfaces: Vec<[u8; 16]>,
    /// Sockets of the capture's fd list, turned at the first event
    /// (`from_proc.rs`).
    from_proc: from_proc::ProcSockets,
    /// How byte buffers print (sysdig's -x/-X/-A/-b); kept across
    /// [`CaptureState::reset`].
    buffer_format: render::BufferFormat,
    /// Whose habits the state and the fields follow; kept across
    /// [`CaptureState::reset`].
    generation: crate::Generation,
    /// Event times (`evt.reltime`, `evt.deltatime`, `evt.latency`).
    times: times::EventTimes,
}

fn lossy(b: &[u8]) -> String {
    crate::event::value_str(b).into_owned()
}

fn typechar_of(t: u8) -> u8 {
    match t {
        fd_type::FILE | fd_type::FILE_V2 => b'f',
        fd_type::DIRECTORY => b'd',
        fd_type::IPV4_SOCK | fd_type::IPV4_SERVSOCK => b'4',
        fd_type::IPV6_SOCK | fd_type::IPV6_SERVSOCK => b'6',
        fd_type::FIFO => b'p',
        fd_type::UNIX_SOCK => b'u',
        fd_type::EVENT => b'e',
        fd_type::SIGNALFD => b's',
        fd_type::EVENTPOLL => b'l',
        fd_type::INOTIFY => b'i',
        fd_type::TIMERFD => b't',
        fd_type::NETLINK => b'n',
        fd_type::BPF => b'b',
        fd_type::USERFAULTFD => b'u',
        fd_type::IOURING => b'r',
        fd_type::MEMFD => b'm',
        fd_type::PIDFD => b'P',
        _ => b'o',
    }
}

fn l4char(proto: u8) -> u8 {
    match proto {
        2 => b't',
        3 => b'u',
        4 => b'i',
        5 => b'r',
        _ => 0,
    }
}

/// `exe` of an execve or clone exit, and its `comm` (the exe's base name,
/// cut at 15 characters as the kernel cuts it, when the event has none).
fn exe_and_comm(ev: &Event<'_>) -> (String, String) {
    let exe = ev.param_by_name("exe").map(lossy).unwrap_or_default();
    let comm = ev
        .param_by_name("comm")
        .map(lossy)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| {
            exe.rsplit('/')
                .next()
                .unwrap_or("")
                .chars()
                .take(15)
                .collect()
        });
    (exe, comm)
}

/// The arguments of a NUL-separated list, as libsinsp splits them: every
/// piece, empty ones too (nginx blanks its arguments with NULs, and
/// `proc.args` then shows the spaces between them), the list's last NUL
/// ending the last argument.
fn split_args(b: &[u8]) -> Vec<String> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() {
        return Vec::new();
    }
    b.split(|&c| c == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

impl CaptureState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether libs 0.23 holds a made-up entry for `tid` (see `made_up`)
    /// that our table lacks.
    pub fn is_made_up(&self, tid: u64) -> bool {
        self.made_up.contains(&tid) && !self.threads.contains_key(&tid)
    }

    /// Forgets everything (a new section starts) but the buffer format and
    /// whether latencies are kept.
    pub fn reset(&mut self) {
        let latency = self.times.tracking_latency();
        *self = Self {
            buffer_format: self.buffer_format,
            generation: self.generation,
            ..Self::default()
        };
        if latency {
            self.track_latency();
        }
    }

    /// Keeps each thread's last enter from now on, so that
    /// [`CaptureState::latency`] answers: a lookup per event, so only when
    /// a filter or output asks for `evt.latency`. Kept across
    /// [`CaptureState::reset`].
    pub fn track_latency(&mut self) {
        self.times.track_latency();
    }

    /// The last event's latency as libsinsp gives it (`evt.latency`): an
    /// exit's time since its thread's last enter, a context switch's the
    /// thread's last such latency, 0 for other events; `None` unless
    /// [`CaptureState::track_latency`] was called.
    pub fn latency(&self) -> Option<u64> {
        self.times.latency()
    }

    /// The time of the capture's first numbered event (`evt.reltime`
    /// counts from it, as sysdig's `-t r`).
    pub fn first_ts(&self) -> Option<u64> {
        self.times.first()
    }

    /// The time of the event before the last one updated.
    pub fn prev_ts(&self) -> Option<u64> {
        self.times.prev()
    }

    /// Prints byte buffers in `fmt` from now on (every name this state
    /// gives, [`Libs023Names`]'s included).
    pub fn set_buffer_format(&mut self, fmt: render::BufferFormat) {
        self.buffer_format = fmt;
    }

    /// Follows generation `g`'s habits from now on (set before the first
    /// event).
    pub fn set_generation(&mut self, g: crate::Generation) {
        self.generation = g;
    }

    /// The generation the state follows.
    pub fn generation(&self) -> crate::Generation {
        self.generation
    }

    /// The name of `ev`'s type as the state's generation shows it
    /// (`evt.type`, the text line's type column): [`render::type_name`],
    /// or for a generic event of syscall code 0 under libs 0.23 the name of
    /// its native x86-64 number ([`Self::native_name`]).
    pub fn type_name(&self, ev: &Event<'_>) -> std::borrow::Cow<'static, str> {
        match self.native_name(ev) {
            Some(n) => n.into(),
            None => render::type_name(ev),
        }
    }

    /// The name libs 0.23 gives a generic event of syscall code 0: its
    /// native x86-64 number's (its enter's, in an old layout: `fadvise64`
    /// in a 2016 capture). `None` for other events, for a number the table
    /// lacks and under sysdig 0.29, which says `<unknown>`.
    pub fn native_name(&self, ev: &Event<'_>) -> Option<&'static str> {
        if self.generation.is_029() || render::generic_code(ev) != Some(0) {
            return None;
        }
        let native = crate::event::value_i64(self.arg(ev, "nativeID")?)?;
        schema::x86_64_syscall_name(u16::try_from(native).ok()?)
    }

    /// A thread, if known.
    pub fn thread(&self, tid: u64) -> Option<&ThreadEntry> {
        self.threads.get(&tid)
    }

    /// Number of known threads.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// An fd of the process that thread `tid` belongs to (as sysdig 0.29
    /// knows it, none learnt from a send, under [`crate::Generation::Sysdig029`]).
    pub fn fd(&self, tid: u64, fd: i64) -> Option<&FdEntry> {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        let e = self.fds.get(&pid)?.get(&fd)?;
        (!e.learnt || !self.generation.is_029()).then_some(e)
    }

    /// User name of `uid`, if the capture listed it.
    pub fn user_name(&self, uid: u32) -> Option<&str> {
        self.users.get(&uid).map(String::as_str)
    }

    /// Group name of `gid`.
    pub fn group_name(&self, gid: u32) -> Option<&str> {
        self.groups.get(&gid).map(String::as_str)
    }

    /// Adds the threads of a process-list block.
    pub fn add_processes(&mut self, procs: &[ProcessInfo]) {
        for p in procs {
            let mut cwd = lossy(&p.cwd);
            if !cwd.ends_with('/') && !cwd.is_empty() {
                cwd.push('/');
            }
            self.threads.insert(
                p.tid,
                ThreadEntry {
                    pid: p.pid,
                    ptid: p.ptid,
                    comm: lossy(&p.comm),
                    exe: lossy(&p.exe),
                    exepath: lossy(&p.exepath),
                    args: split_args(&p.args),
                    cwd,
                    uid: p.uid,
                    gid: p.gid,
                    container_id: containers::container_id_of(&p.cgroups).into(),
                    cgroups: p.cgroups.as_slice().into(),
                    tty: p.tty().unwrap_or(0),
                    loginuid: p.loginuid().unwrap_or(u32::MAX),
                    exe_flags: p.exe_flags().unwrap_or(0),
                    exe_ino: p.exe_inode().unwrap_or_default(),
                    caps: p.caps().unwrap_or_default(),
                    sid: p.sid,
                    vpgid: p.vpgid,
                    pgid: p.pgid().unwrap_or(u64::MAX),
                    vpid: p.vpid as u64,
                    vtid: p.vtid as u64,
                    clone_ts: 0,
                },
            );
        }
        // Linked at the first event: the list may span several blocks.
        self.link_listed = true;
    }

    /// Adds the fds of a fd-list block.
    pub fn add_fds(&mut self, tid: u64, fds: &[FdInfo]) {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        let table = self.fds.entry(pid).or_default();
        for f in fds {
            self.from_proc.note(pid, f);
            let (name, l4) = match (f.data.inet_name(), f.data.l4proto()) {
                (Some(name), Some(proto)) => (name, l4char(proto)),
                // libscap of 2019 kept /proc/net/unix's line end in a unix
                // socket's name; libsinsp shows the name without it.
                _ if f.fd_type == fd_type::UNIX_SOCK => {
                    (lossy(f.name()).trim_end_matches('\n').to_string(), 0)
                }
                _ => (lossy(f.name()), 0),
            };
            table.insert(
                f.fd,
                FdEntry {
                    typechar: typechar_of(f.fd_type),
                    l4,
                    name,
                    sock_l4: l4,
                    learnt: false,
                    from_list: true,
                    name_raw: None,
                },
            );
        }
    }

    /// Adds users and groups.
    pub fn add_users(&mut self, users: &[UserEntry]) {
        for u in users {
            match u {
                UserEntry::User { uid, name, .. } => {
                    self.users.insert(*uid, lossy(name));
                }
                UserEntry::Group { gid, name } => {
                    self.groups.insert(*gid, lossy(name));
                }
            }
        }
    }

    fn fd_table(&mut self, tid: u64) -> &mut HashMap<i64, FdEntry> {
        let pid = self.threads.get(&tid).map_or(tid, |t| t.pid);
        self.fds.entry(pid).or_default()
    }

    /// The enter event stored for `ev`'s thread, if it is `ev`'s own enter
    /// (exit events of old layouts keep the fd and sizes there).
    pub fn last_enter<'s>(&'s self, ev: &Event<'_>) -> Option<Event<'s>> {
        let raw = self.enters.get(&ev.tid())?;
        let et = crate::bytes::le_u16(raw, 20);
        if et != ev.event_type().wrapping_sub(1) {
            return None;
        }
        let large = schema::event_info(et).is_some_and(|i| i.is_large_payload());
        Event::parse(raw, large).ok()
    }

    /// Whether `ev`, a dup that succeeded, duplicated an fd the table did
    /// not have (opened before the capture, its process unlisted): such an
    /// event works on the old fd, as libsinsp leaves it, not on the copy.
    pub fn dup_missed(&self, ev: &Event<'_>) -> bool {
        self.dup_missed == Some((ev.tid(), ev.ts()))
    }

    /// A parameter of `ev` by name, falling back to the stored enter event
    /// of the same thread (old layouts keep fds and sizes in the enter).
    pub fn arg<'s>(&'s self, ev: &Event<'s>, name: &str) -> Option<&'s [u8]> {
        if let Some(v) = ev.param_by_name(name).filter(|v| !v.is_empty()) {
            return Some(v);
        }
        let raw = self.enters.get(&ev.tid())?;
        let et = crate::bytes::le_u16(raw, 20);
        if et != ev.event_type() - 1 {
            return None;
        }
        let large = schema::event_info(et).is_some_and(|i| i.is_large_payload());
        Event::parse(raw, large).ok()?.param_by_name(name)
    }

    fn i64_arg(&self, ev: &Event<'_>, name: &str) -> Option<i64> {
        crate::event::value_i64(self.arg(ev, name)?)
    }

    /// An opened path as libsinsp names the fd: relative to `dirfd` or
    /// the cwd, with `.`, `..`, doubled and trailing `/` collapsed,
    /// absolute paths too (sysdig 0.41 names an fd opened as
    /// `/a/../b/c/` `/b/c`).
    pub fn resolve_path(&self, tid: u64, dirfd: Option<i64>, path: &str) -> String {
        if path.is_empty() {
            return String::new();
        }
        if path.starts_with('/') {
            return normalize_path(path);
        }
        let base = match dirfd {
            Some(d) if d != -100 => self
                .fd(tid, d)
                .map(|f| format!("{}/", f.name.trim_end_matches('/'))),
            _ => None,
        }
        .or_else(|| self.threads.get(&tid).map(|t| t.cwd.clone()))
        .unwrap_or_default();
        normalize_path(&format!("{base}{path}"))
    }

    /// Applies any block of a capture: a section resets the tables,
    /// process/fd/user lists fill them, an event updates them.
    pub fn apply(&mut self, item: &crate::reader::Item<'_>) {
        use crate::reader::Item;
        match item {
            Item::Section(_) => self.reset(),
            Item::Processes(p) => self.add_processes(p),
            Item::Fds { tid, fds } => self.add_fds(*tid, fds),
            Item::Users(u) => self.add_users(u),
            Item::Interfaces(i) => self.add_interfaces(i),
            Item::Event(ev) => self.update(ev),
            _ => {}
        }
    }

    /// Applies the state changes of one event. Call before rendering it.
    pub fn update(&mut self, ev: &Event<'_>) {
        if self.from_proc.pending() {
            self.fix_sockets_from_proc();
        }
        if self.link_listed {
            self.link_listed = false;
            self.link_listed_parents();
        }
        if let Some((t, fd)) = self.fd_to_remove.take() {
            self.fd_table(t).remove(&fd);
        }
        if let Some((t, reaper)) = self.to_remove.take() {
            if t != ev.tid() {
                self.remove_thread(t, reaper);
            } else {
                self.to_remove = Some((t, reaper));
            }
        }
        self.times.see(ev);
        let Some(info) = ev.info() else { return };
        if matches!(
            ev.event_type(),
            schema::PPME_CONTAINER_JSON_E | schema::PPME_CONTAINER_JSON_2_E
        ) {
            self.on_container(ev);
            return;
        }
        let tid = ev.tid();
        if info.category & schema::cat::SYSCALL != 0
            && tid != u64::MAX
            && !self.threads.contains_key(&tid)
        {
            self.made_up.insert(tid);
        }
        let (action, has_exit) = StateAction::of(ev.event_type());
        if ev.direction() == Direction::Enter {
            if action == StateAction::ProcExit {
                let reaper = self.i64_arg(ev, "reaper_tid").unwrap_or(0);
                self.to_remove = Some((tid, reaper.max(0) as u64));
            } else if has_exit {
                let raw = self.enters.entry(tid).or_default();
                raw.clear();
                raw.extend_from_slice(ev.raw());
            }
            return;
        }
        match action {
            StateAction::None | StateAction::ProcExit => {}
            StateAction::Execve => self.on_execve(ev),
            StateAction::Clone => self.on_clone(ev),
            StateAction::Open => self.on_open(ev),
            StateAction::Socket => self.on_socket(ev),
            StateAction::Tuple => self.on_tuple(ev, info.name),
            StateAction::NewFd => self.on_newfd(ev, info.name),
            StateAction::Dup => self.on_dup(ev),
            StateAction::Bind => self.on_bind(ev),
            StateAction::Close if self.i64_arg(ev, "res") == Some(0) => {
                if let Some(fd) = self.i64_arg(ev, "fd") {
                    self.fd_to_remove = Some((tid, fd));
                }
            }
            StateAction::Prctl => self.on_prctl(ev),
            StateAction::Credentials => self.on_credentials(ev, tid, info.name),
            // libsinsp: a successful setsid makes its result the session id.
            StateAction::Setsid => {
                if let Some(sid) = self.i64_arg(ev, "res").filter(|&r| r >= 0) {
                    if let Some(t) = self.threads.get_mut(&tid) {
                        t.sid = sid as u64;
                    }
                }
            }
            StateAction::Chdir if self.i64_arg(ev, "res") == Some(0) => {
                let new = if info.name == "chdir" {
                    self.arg(ev, "path")
                        .map(lossy)
                        .map(|p| self.resolve_path(tid, None, &p))
                } else {
                    self.i64_arg(ev, "fd")
                        .and_then(|fd| self.fd(tid, fd))
                        .map(|f| f.name.clone())
                };
                if let Some(mut p) = new {
                    if !p.ends_with('/') {
                        p.push('/');
                    }
                    if let Some(th) = self.threads.get_mut(&tid) {
                        th.cwd = p;
                    }
                }
            }
            _ => {}
        }
    }
}

impl FdEntry {
    /// The fd as rendering names it.
    pub fn as_name(&self) -> render::FdName<'_> {
        render::FdName {
            typechar: self.typechar,
            l4: self.l4,
            name: &self.name,
        }
    }
}

/// The names libs 0.23 (sysdig 0.41, Stratoshark) gives values: the
/// state's, the fds it learnt from an old layout's send enter included
/// (which the 0.29-exact text line, [`CaptureState`]'s own names, leaves
/// out).
#[derive(Debug, Clone, Copy)]
pub struct Libs023Names<'a>(pub &'a CaptureState);

impl render::Names for Libs023Names<'_> {
    fn fd_name(&self, tid: u64, fd: i64) -> Option<render::FdName<'_>> {
        self.0.fd(tid, fd).map(FdEntry::as_name)
    }
    fn comm(&self, pid: u64) -> Option<&str> {
        render::Names::comm(self.0, pid)
    }
    fn cwd(&self, tid: u64) -> Option<&str> {
        render::Names::cwd(self.0, tid)
    }
    fn user_name(&self, uid: u32) -> Option<&str> {
        self.0.user_name(uid)
    }
    fn group_name(&self, gid: u32) -> Option<&str> {
        self.0.group_name(gid)
    }
    fn user_name_for(&self, tid: u64, uid: u32) -> Option<&str> {
        self.0.user_name_for(tid, uid)
    }
    fn group_name_for(&self, tid: u64, gid: u32) -> Option<&str> {
        self.0.group_name_for(tid, gid)
    }
    fn buffer_format(&self) -> render::BufferFormat {
        self.0.buffer_format
    }
    fn is_libs023(&self) -> bool {
        true
    }
}

impl render::Names for CaptureState {
    fn fd_name(&self, tid: u64, fd: i64) -> Option<render::FdName<'_>> {
        self.fd(tid, fd).filter(|e| !e.learnt).map(FdEntry::as_name)
    }

    fn comm(&self, pid: u64) -> Option<&str> {
        self.thread(pid).map(|t| t.comm.as_str())
    }

    fn cwd(&self, tid: u64) -> Option<&str> {
        self.thread(tid).map(|t| t.cwd.as_str())
    }

    fn user_name(&self, uid: u32) -> Option<&str> {
        CaptureState::user_name(self, uid)
    }

    fn group_name(&self, gid: u32) -> Option<&str> {
        CaptureState::group_name(self, gid)
    }

    fn buffer_format(&self) -> render::BufferFormat {
        self.buffer_format
    }
}

#[cfg(test)]
mod tests;
