//! The field table: the names a filter may use, their kinds, and how a
//! name with its argument resolves.

use super::*;

/// The fields this engine extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    EvtType,
    EvtDir,
    EvtNum,
    EvtCpu,
    EvtRes,
    EvtRawRes,
    EvtFailed,
    EvtArg(ArgSel),
    EvtRawArg(ArgSel),
    ThreadTid,
    ProcPid,
    ProcPpid,
    ProcName,
    ProcExe,
    ProcExepath,
    ProcArgs,
    ProcCmdline,
    ProcCwd,
    UserUid,
    /// `proc.tty`: the controlling terminal's device number, 0 for none.
    ProcTty,
    /// `user.loginuid`: -1 when unset.
    UserLoginuid,
    /// `proc.is_exe_writable`, `proc.is_exe_upper_layer`,
    /// `proc.is_exe_from_memfd`, `proc.is_exe_lower_layer`: a `PPM_EXE_*`
    /// bit of the execve `flags` (or the process list's bytes).
    ProcExeFlag(u32),
    /// `proc.exe_ino*`: the executable's inode number, ctime, mtime, and
    /// the clone time minus the ctime; missing when 0, as in libsinsp.
    ProcExeIno(ExeIno),
    /// `thread.cap_*`: a capability set by its names.
    ThreadCap(CapSet),
    /// `proc.sid`, `proc.vpgid`, `proc.pgid`: a group's id, -1 unknown.
    GroupId(Group),
    /// `proc.sname`, `proc.sid.exe`, `proc.vpgid.name`, …: of a group's
    /// leader.
    GroupLeader(Group, LeaderPart),
    /// `proc.is_sid_leader`, `proc.is_vpgid_leader`, `proc.is_pgid_leader`.
    IsGroupLeader(Group),
    /// `proc.vpid`: the pid in the process's namespace, -1 unknown.
    ProcVpid,
    /// `thread.vtid`: the thread id in its pid namespace, -1 unknown.
    ThreadVtid,
    UserName,
    GroupGid,
    GroupName,
    FdNum,
    FdName,
    FdType,
    FdTypechar,
    FdDirectory,
    FdFilename,
    /// `proc.apid`, `proc.aname`, …: of ancestor N, or with no N of any
    /// ancestor (see [`ancestors::extract`]).
    Ancestor(ancestors::Attr, Option<usize>),
    /// `proc.pname`, `proc.pexe`, `proc.pexepath`, `proc.pcmdline`: of the
    /// parent ([`ancestors::ancestor`] 1, which sysdig 0.29 counts from the
    /// thread itself where `proc.aname[1]` counts from its main thread).
    Parent(ancestors::Attr),
    EvtArgs,
    EvtIsOpenRead,
    EvtIsOpenWrite,
    FdL4proto,
    FdNameraw,
    FdSip,
    FdCip,
    FdSport,
    FdCport,
    FdLport,
    FdRport,
    FdConnected,
    FdNameChanged,
    FdIp,
    FdNet,
    FdSnet,
    FdCnet,
    FdLip,
    FdRip,
    FdLnet,
    FdRnet,
    FdIsServer,
    /// `container.*` and `k8s.*`.
    Container(CField),
    /// `evt.time.iso8601`.
    EvtTimeIso8601,
    /// `evt.rawtime`.
    EvtRawTime,
    /// `evt.time`: local `HH:MM:SS.nnnnnnnnn`.
    EvtTime,
    /// `evt.datetime`: local `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`.
    EvtDatetime,
    /// `evt.category`.
    EvtCategory,
    /// `evt.rawtime.s` … `evt.deltatime.ns`: parts and deltas of times.
    Time(TimePart),
    /// `evt.is_io`, `evt.is_io_read`, `evt.is_io_write`: the event's flags
    /// say it reads from (1) or writes to (2) an fd (3: either).
    EvtIsIo(u8),
    /// `evt.buflen`: the bytes an I/O exit moved.
    EvtBuflen,
    /// `fd.sockfamily`: `ip` or `unix`.
    FdSockfamily,
    /// `evt.buffer`: the data of a read or write, raw.
    EvtBuffer,
    /// `user.loginname`.
    UserLoginname,
    /// A field a source provides (`ct.*`, `json.value[…]`, … for
    /// CloudTrail; see [`crate::provider`]): missing on other events.
    Plugin(crate::provider::Provided),
    /// Fields whose source this engine does not have yet (capabilities, login uid, terminal, inode times): known, so
    /// rules compile, but never extracted, so comparisons on them are false.
    Unavailable(Kind),
}

/// Which time field [`Field::Time`] is: `Rel*` count from the capture's
/// first event, `Latency*` is an exit's time since its enter, `Delta*`
/// the time since the previous event (in an output: the previous event
/// the output printed, as sysdig's `-p`); `S` and `Ns` are the seconds and
/// the nanoseconds part (printed with nine digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimePart {
    RawS,
    RawNs,
    TimeS,
    DatetimeS,
    Rel,
    RelS,
    RelNs,
    Latency,
    LatencyS,
    LatencyNs,
    LatencyHuman,
    Delta,
    DeltaS,
    DeltaNs,
}

impl TimePart {
    /// Nanoseconds print with nine digits (libsinsp's PF_10_PADDED_DEC).
    pub(super) fn padded(self) -> bool {
        matches!(
            self,
            TimePart::RawNs
                | TimePart::Rel
                | TimePart::RelNs
                | TimePart::LatencyNs
                | TimePart::DeltaNs
        )
    }

    pub(super) fn is_latency(self) -> bool {
        matches!(
            self,
            TimePart::Latency | TimePart::LatencyS | TimePart::LatencyNs | TimePart::LatencyHuman
        )
    }
}

/// Which capability set `thread.cap_*` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CapSet {
    Inheritable,
    Permitted,
    Effective,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExeIno {
    Ino,
    Ctime,
    Mtime,
    CtimeToClone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ArgSel {
    Name(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Str,
    Num,
    Bool,
    /// IP addresses: compared with an address or a CIDR network.
    Ip,
    /// A byte buffer (`evt.buffer`): `bcontains`, `bstartswith`.
    Bytes,
}

impl Field {
    pub(super) fn kind(&self) -> Kind {
        use Field::*;
        match self {
            EvtNum | EvtRawTime | EvtBuflen | EvtCpu | EvtRawRes | ThreadTid | ProcPid
            | ProcPpid | UserUid | GroupGid | ProcTty | UserLoginuid | ProcExeIno(_)
            | GroupId(_) | ProcVpid | ThreadVtid | FdNum | FdSport | FdCport | FdLport
            | FdRport => Kind::Num,
            EvtFailed | EvtIsOpenRead | EvtIsOpenWrite | EvtIsIo(_) | FdConnected
            | FdNameChanged | ProcExeFlag(_) | FdIsServer | IsGroupLeader(_) => Kind::Bool,
            FdIp | FdNet | FdSnet | FdCnet | FdSip | FdCip | FdLip | FdRip | FdLnet | FdRnet => {
                Kind::Ip
            }
            EvtBuffer => Kind::Bytes,
            Time(TimePart::TimeS | TimePart::DatetimeS | TimePart::LatencyHuman) => Kind::Str,
            Time(_) => Kind::Num,
            Unavailable(k) => *k,
            Ancestor(a, _) | Parent(a) => a.kind(),
            Container(c) => c.kind(),
            Plugin(f) if f.0.is_numeric() => Kind::Num,
            _ => Kind::Str,
        }
    }
}

/// The fields without an argument: name, what it reads, and the line a
/// field listing shows. Lookup and listing both read this table, so a
/// field cannot be accepted and left out of the list.
#[allow(clippy::type_complexity)]
pub(super) const PLAIN: &[(&str, Field, &str)] = &[
    (
        "evt.type",
        Field::EvtType,
        "the event's name (open, execve, ...; a generic event's syscall)",
    ),
    (
        "evt.dir",
        Field::EvtDir,
        "> for an enter event, < for an exit",
    ),
    (
        "evt.num",
        Field::EvtNum,
        "the event's number in the capture, as sysdig numbers them",
    ),
    ("evt.cpu", Field::EvtCpu, "the CPU the event happened on"),
    (
        "evt.res",
        Field::EvtRes,
        "the result: SUCCESS, or the errno name (ENOENT)",
    ),
    ("evt.rawres", Field::EvtRawRes, "the result as a number"),
    (
        "evt.failed",
        Field::EvtFailed,
        "true when the syscall returned an error",
    ),
    (
        "evt.args",
        Field::EvtArgs,
        "every argument as text, as sysdig's evt.args",
    ),
    (
        "evt.info",
        Field::EvtArgs,
        "as evt.args (libsinsp's higher-level descriptions of syslog writes are not made)",
    ),
    (
        "evt.is_open_read",
        Field::EvtIsOpenRead,
        "an open family event that opened for reading",
    ),
    (
        "evt.is_open_write",
        Field::EvtIsOpenWrite,
        "an open family event that opened for writing",
    ),
    (
        "evt.time.iso8601",
        Field::EvtTimeIso8601,
        "the event's time in ISO 8601 (UTC)",
    ),
    (
        "evt.buffer",
        Field::EvtBuffer,
        "the data buffer of an event that has one (read, write, sendto, ...), raw",
    ),
    (
        "evt.rawtime",
        Field::EvtRawTime,
        "the event's time in nanoseconds since the epoch",
    ),
    (
        "evt.time",
        Field::EvtTime,
        "the event's time of day, local: HH:MM:SS.nnnnnnnnn",
    ),
    (
        "evt.datetime",
        Field::EvtDatetime,
        "the event's date and time, local: YYYY-MM-DD HH:MM:SS.nnnnnnnnn",
    ),
    (
        "evt.rawtime.s",
        Field::Time(TimePart::RawS),
        "the seconds of the event's time since the epoch",
    ),
    (
        "evt.rawtime.ns",
        Field::Time(TimePart::RawNs),
        "the nanoseconds part of the event's time",
    ),
    (
        "evt.time.s",
        Field::Time(TimePart::TimeS),
        "the event's time of day, local, without nanoseconds: HH:MM:SS",
    ),
    (
        "evt.datetime.s",
        Field::Time(TimePart::DatetimeS),
        "the event's date and time, local, without nanoseconds",
    ),
    (
        "evt.reltime",
        Field::Time(TimePart::Rel),
        "nanoseconds since the capture's first event",
    ),
    (
        "evt.reltime.s",
        Field::Time(TimePart::RelS),
        "seconds since the capture's first event",
    ),
    (
        "evt.reltime.ns",
        Field::Time(TimePart::RelNs),
        "the nanoseconds part of the time since the capture's first event",
    ),
    (
        "evt.latency",
        Field::Time(TimePart::Latency),
        "an exit's nanoseconds since its thread's enter (a context switch: the thread's last), else 0",
    ),
    (
        "evt.latency.s",
        Field::Time(TimePart::LatencyS),
        "the seconds of evt.latency",
    ),
    (
        "evt.latency.ns",
        Field::Time(TimePart::LatencyNs),
        "the nanoseconds part of evt.latency",
    ),
    (
        "evt.latency.human",
        Field::Time(TimePart::LatencyHuman),
        "evt.latency as text: 653ns, 3.12us, 11ms, 3.11s",
    ),
    (
        "evt.deltatime",
        Field::Time(TimePart::Delta),
        "nanoseconds since the previous event (in -p and outputs: the previous one printed)",
    ),
    (
        "evt.deltatime.s",
        Field::Time(TimePart::DeltaS),
        "the seconds of evt.deltatime",
    ),
    (
        "evt.deltatime.ns",
        Field::Time(TimePart::DeltaNs),
        "the nanoseconds part of evt.deltatime",
    ),
    (
        "evt.category",
        Field::EvtCategory,
        "the event's category (file, net, process, I/O, ...)",
    ),
    (
        "evt.is_io",
        Field::EvtIsIo(3),
        "an event that reads from or writes to an fd",
    ),
    (
        "evt.is_io_read",
        Field::EvtIsIo(1),
        "an event that reads from an fd",
    ),
    (
        "evt.is_io_write",
        Field::EvtIsIo(2),
        "an event that writes to an fd",
    ),
    (
        "evt.buflen",
        Field::EvtBuflen,
        "the bytes an I/O exit read or wrote (its result, when not an error)",
    ),
    (
        "fd.sockfamily",
        Field::FdSockfamily,
        "the socket family of the event's fd: ip or unix",
    ),
    ("thread.tid", Field::ThreadTid, "the thread id"),
    ("proc.pid", Field::ProcPid, "the process id"),
    ("proc.ppid", Field::ProcPpid, "the parent process id"),
    ("proc.name", Field::ProcName, "the process name (its comm)"),
    ("proc.pname", Field::Parent(ancestors::Attr::Name), "the parent process name"),
    (
        "proc.exe",
        Field::ProcExe,
        "the first command-line argument (argv[0])",
    ),
    (
        "proc.exepath",
        Field::ProcExepath,
        "the full path of the executable",
    ),
    (
        "proc.args",
        Field::ProcArgs,
        "the command-line arguments, argv[0] left out",
    ),
    ("proc.cmdline", Field::ProcCmdline, "name and arguments"),
    ("proc.cwd", Field::ProcCwd, "the working directory"),
    (
        "proc.pcmdline",
        Field::Parent(ancestors::Attr::Cmdline),
        "the parent's name and arguments",
    ),
    ("proc.pexe", Field::Parent(ancestors::Attr::Exe), "the parent's argv[0]"),
    (
        "proc.pexepath",
        Field::Parent(ancestors::Attr::Exepath),
        "the parent's executable path",
    ),
    (
        "proc.tty",
        Field::ProcTty,
        "the controlling terminal's device number, 0 for none",
    ),
    (
        "proc.is_exe_upper_layer",
        Field::ProcExeFlag(2),
        "the executable is on an overlay's upper (writable) layer",
    ),
    (
        "proc.is_exe_lower_layer",
        Field::ProcExeFlag(8),
        "the executable is on an overlay's lower (image) layer",
    ),
    ("user.uid", Field::UserUid, "the effective user id"),
    ("user.name", Field::UserName, "the effective user's name"),
    (
        "user.loginuid",
        Field::UserLoginuid,
        "the login user id (audit), -1 when unset",
    ),
    ("group.gid", Field::GroupGid, "the effective group id"),
    ("group.name", Field::GroupName, "the effective group's name"),
    ("fd.num", Field::FdNum, "the file descriptor number"),
    (
        "fd.name",
        Field::FdName,
        "the fd's name: path, socket tuple, pipe, ...",
    ),
    (
        "fd.type",
        Field::FdType,
        "file, directory, ipv4, ipv6, unix, pipe, event, signalfd, ...",
    ),
    (
        "fd.typechar",
        Field::FdTypechar,
        "the fd type as one character (f, 4, 6, u, p, ...)",
    ),
    (
        "fd.directory",
        Field::FdDirectory,
        "the directory of a file fd",
    ),
    (
        "fd.filename",
        Field::FdFilename,
        "the file name of a file fd, without its directory",
    ),
    ("fd.l4proto", Field::FdL4proto, "tcp, udp, icmp or raw"),
    (
        "fd.nameraw",
        Field::FdNameraw,
        "the fd's name as the event gave it",
    ),
    ("fd.sip", Field::FdSip, "the server address of a connection"),
    ("fd.cip", Field::FdCip, "the client address of a connection"),
    ("fd.sport", Field::FdSport, "the server port"),
    ("fd.cport", Field::FdCport, "the client port"),
    (
        "fd.lport",
        Field::FdLport,
        "the local end's port (the client's when its address is the thread's: the machine's, or in a container the container's)",
    ),
    (
        "fd.rport",
        Field::FdRport,
        "the remote end's port",
    ),
    (
        "fd.connected",
        Field::FdConnected,
        "the socket is connected",
    ),
    (
        "fd.name_changed",
        Field::FdNameChanged,
        "the event changed the fd's name (connect, bind, ...)",
    ),
    (
        "fd.ip",
        Field::FdIp,
        "either end's address (matches the client or the server)",
    ),
    ("fd.net", Field::FdNet, "either end's network (with a CIDR)"),
    (
        "fd.snet",
        Field::FdSnet,
        "the server's network (with a CIDR)",
    ),
    (
        "fd.cnet",
        Field::FdCnet,
        "the client's network (with a CIDR)",
    ),
    (
        "fd.lip",
        Field::FdLip,
        "the local end's address (the client's when it is the thread's: the machine's, or in a container the container's)",
    ),
    (
        "fd.rip",
        Field::FdRip,
        "the remote end's address",
    ),
    (
        "fd.lnet",
        Field::FdLnet,
        "the local end's network (with a CIDR)",
    ),
    (
        "fd.rnet",
        Field::FdRnet,
        "the remote end's network (with a CIDR)",
    ),
    (
        "fd.is_server",
        Field::FdIsServer,
        "the fd is a listening (bound, unconnected) socket",
    ),
    (
        "proc.duration",
        Field::Unavailable(Kind::Num),
        "not available yet: the process's age",
    ),
    (
        "proc.exe_ino",
        Field::ProcExeIno(ExeIno::Ino),
        "the executable's inode number",
    ),
    (
        "proc.exe_ino.ctime",
        Field::ProcExeIno(ExeIno::Ctime),
        "the executable's inode status change time (ns since the epoch)",
    ),
    (
        "proc.exe_ino.mtime",
        Field::ProcExeIno(ExeIno::Mtime),
        "the executable's modification time (ns since the epoch)",
    ),
    (
        "proc.exe_ino.ctime_duration_proc_start",
        Field::ProcExeIno(ExeIno::CtimeToClone),
        "ns from the executable's ctime to the process's clone",
    ),
    (
        "proc.vpid",
        Field::ProcVpid,
        "the process id in its pid namespace",
    ),
    (
        "thread.vtid",
        Field::ThreadVtid,
        "the thread id in its pid namespace",
    ),
    ("proc.sid", Field::GroupId(Group::Session), "the session id"),
    (
        "proc.sid.exe",
        Field::GroupLeader(Group::Session, LeaderPart::Exe),
        "the session leader's argv[0]",
    ),
    (
        "proc.sid.exepath",
        Field::GroupLeader(Group::Session, LeaderPart::Exepath),
        "the session leader's executable path",
    ),
    (
        "proc.is_sid_leader",
        Field::IsGroupLeader(Group::Session),
        "the process leads its session (proc.sid = proc.vpid)",
    ),
    (
        "proc.vpgid",
        Field::GroupId(Group::Vpgid),
        "the process group id in the process's pid namespace",
    ),
    (
        "proc.vpgid.name",
        Field::GroupLeader(Group::Vpgid, LeaderPart::Name),
        "the process group leader's name",
    ),
    (
        "proc.vpgid.exe",
        Field::GroupLeader(Group::Vpgid, LeaderPart::Exe),
        "the process group leader's argv[0]",
    ),
    (
        "proc.vpgid.exepath",
        Field::GroupLeader(Group::Vpgid, LeaderPart::Exepath),
        "the process group leader's executable path",
    ),
    (
        "proc.is_vpgid_leader",
        Field::IsGroupLeader(Group::Vpgid),
        "the process leads its process group (proc.vpgid = proc.vpid)",
    ),
    (
        "proc.pgid",
        Field::GroupId(Group::Pgid),
        "the process group id in the host's pid namespace",
    ),
    (
        "proc.pgid.name",
        Field::GroupLeader(Group::Pgid, LeaderPart::Name),
        "the host process group leader's name",
    ),
    (
        "proc.pgid.exe",
        Field::GroupLeader(Group::Pgid, LeaderPart::Exe),
        "the host process group leader's argv[0]",
    ),
    (
        "proc.pgid.exepath",
        Field::GroupLeader(Group::Pgid, LeaderPart::Exepath),
        "the host process group leader's executable path",
    ),
    (
        "proc.is_pgid_leader",
        Field::IsGroupLeader(Group::Pgid),
        "the process leads its host process group (proc.pgid = proc.pid)",
    ),
    (
        "proc.is_exe_from_memfd",
        Field::ProcExeFlag(4),
        "the executable is a memfd (fileless execution)",
    ),
    (
        "proc.is_exe_writable",
        Field::ProcExeFlag(1),
        "the executable is writable by the user that ran it",
    ),
    (
        "proc.sname",
        Field::GroupLeader(Group::Session, LeaderPart::Name),
        "the session leader's name",
    ),
    (
        "user.loginname",
        Field::UserLoginname,
        "the login user's name (of user.loginuid)",
    ),
    (
        "thread.cap_effective",
        Field::ThreadCap(CapSet::Effective),
        "the thread's effective capabilities (CAP_CHOWN CAP_KILL ...)",
    ),
    (
        "thread.cap_permitted",
        Field::ThreadCap(CapSet::Permitted),
        "the thread's permitted capabilities",
    ),
    (
        "thread.cap_inheritable",
        Field::ThreadCap(CapSet::Inheritable),
        "the thread's inheritable capabilities",
    ),
    (
        "fd.sip.name",
        Field::Unavailable(Kind::Str),
        "not available: the server's DNS name",
    ),
    (
        "fd.cip.name",
        Field::Unavailable(Kind::Str),
        "not available: the client's DNS name",
    ),
];

/// The fields that take an argument, for listings.
pub(super) const WITH_ARG: &[(&str, &str, &str)] = &[
    (
        "evt.arg[N]",
        "CHARBUF",
        "argument N of the event, as text (also evt.arg.NAME)",
    ),
    (
        "evt.rawarg[N]",
        "DYN",
        "argument N of the event, raw (also evt.rawarg.NAME)",
    ),
];

pub(super) fn lookup(r: &FieldRef) -> Result<Field, FieldError> {
    use Field::*;
    let arg_sel = |a: &Option<String>| -> Result<ArgSel, FieldError> {
        match a {
            Some(a) => a
                .parse::<usize>()
                .map(ArgSel::Index)
                .or_else(|_| Ok(ArgSel::Name(a.clone()))),
            None => Err(FieldError::MissingArgument {
                field: r.name.clone(),
                what: "an argument",
                example: format!("{}[N] or {}.NAME", r.name, r.name),
            }),
        }
    };
    if let Some(f) = crate::provider::lookup(&r.name, r.arg.as_deref()) {
        return f.map(|f| Plugin(crate::provider::Provided(f)));
    }
    if let Some(c) = CField::named(&r.name, r.arg.as_deref()) {
        return c.map(Container);
    }
    if let Some(name) = r.name.strip_prefix("evt.arg.") {
        return Ok(EvtArg(ArgSel::Name(name.to_string())));
    }
    if let Some(name) = r.name.strip_prefix("evt.rawarg.") {
        return Ok(EvtRawArg(ArgSel::Name(name.to_string())));
    }
    let f = match r.name.as_str() {
        "evt.arg" => return arg_sel(&r.arg).map(EvtArg),
        "evt.rawarg" => return arg_sel(&r.arg).map(EvtRawArg),
        name => match ancestors::Attr::named(name) {
            Some(attr) => {
                return match &r.arg {
                    None => Ok(Ancestor(attr, None)),
                    Some(a) => a
                        .parse()
                        .map(|n| Ancestor(attr, Some(n)))
                        .map_err(|_| ancestor_number(name, a)),
                }
            }
            None => match PLAIN.iter().find(|d| d.0 == name) {
                Some(d) => d.1.clone(),
                None => {
                    return Err(FieldError::Unknown {
                        field: name.to_string(),
                        like: super::suggest_field(name),
                    })
                }
            },
        },
    };
    if r.arg.is_some() {
        return Err(FieldError::UnexpectedArgument {
            field: r.name.clone(),
        });
    }
    Ok(f)
}

/// `field[arg]` where the argument must be an ancestor number.
fn ancestor_number(field: &str, arg: &str) -> FieldError {
    FieldError::BadArgument {
        field: field.to_string(),
        arg: arg.to_string(),
        expected: "the argument is an ancestor number",
        did_you_mean: None,
    }
}

/// Every name [`lookup`] resolves (besides `evt.arg.NAME` and
/// `evt.rawarg.NAME`): the table's and those that take an argument.
pub(super) fn names() -> impl Iterator<Item = &'static str> {
    PLAIN
        .iter()
        .map(|d| d.0)
        .chain(["evt.arg", "evt.rawarg"])
        .chain(ancestors::Attr::NAMED.iter().map(|a| a.0))
}
